#include "config.h"

#include "server/log.h"

/* Placeholder until the module lands. */
