#include "config.h"

#include "server/spawn.h"

/* Placeholder until the module lands. */
