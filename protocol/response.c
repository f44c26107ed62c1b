#include "config.h"

#include "protocol/response.h"

/* Placeholder until the module lands. */
