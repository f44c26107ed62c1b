#include "config.h"

#include "protocol/cgiresp.h"

/* Placeholder until the module lands. */
