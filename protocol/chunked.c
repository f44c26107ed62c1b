#include "config.h"

#include "protocol/chunked.h"

/* Placeholder until the module lands. */
