#include "config.h"

#include "server/conf.h"

/* Placeholder until the module lands. */
