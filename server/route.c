#include "config.h"

#include "server/route.h"

/* Placeholder until the module lands. */
