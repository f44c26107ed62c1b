#include "config.h"

#include "protocol/cgienv.h"

/* Placeholder until the module lands. */
