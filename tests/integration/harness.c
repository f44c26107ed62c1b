#include "config.h"

#include "tests/integration/harness.h"
