#include "config.h"

#include "worker/ferry.h"
#include "worker/ferry-int.h"

int ferry_placeholder(void);

int
ferry_placeholder(void)
{
	return 0;
}
