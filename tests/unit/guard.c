#include "config.h"

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/guard.h"

char *
guard_copy(struct guard *g, const void *data, size_t len)
{
	size_t	 page = (size_t)sysconf(_SC_PAGESIZE);
	size_t	 datapages = (len + page - 1) / page;
	char	*start;

	guard_free(g);
	if (datapages == 0)
		datapages = 1;
	g->maplen = (datapages + 1) * page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		perror("guard_copy: mmap");
		abort();
	}
	if (mprotect(g->map + datapages * page, page, PROT_NONE) == -1) {
		perror("guard_copy: mprotect");
		abort();
	}
	start = g->map + datapages * page - len;
	if (len > 0)
		memcpy(start, data, len);
	return start;
}

void
guard_free(struct guard *g)
{
	if (g->map != NULL && g->map != MAP_FAILED)
		munmap(g->map, g->maplen);
	g->map = NULL;
	g->maplen = 0;
}
