#include "config.h"

#include "server/wchan.h"
