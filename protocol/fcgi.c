#include "config.h"

#include "protocol/fcgi.h"

/* Placeholder until the module lands. */
