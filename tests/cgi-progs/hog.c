/*
 * A CGI program for cgroup_test: allocates 256 MiB a MiB at a time and
 * writes to every page of it, then answers "allocated".  Under a
 * memory_max below that, the OOM killer stops it first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOG_MIB		256

int
main(void)
{
	char	*p;
	int	 i;

	for (i = 0; i < HOG_MIB; i++) {
		if ((p = malloc(1024 * 1024)) == NULL) {
			printf("Status: 500\r\n\r\nmalloc failed at %d MiB\n",
			    i);
			return 1;
		}
		memset(p, i + 1, 1024 * 1024);
	}
	printf("Content-Type: text/plain\r\n\r\nallocated %d MiB\n", HOG_MIB);
	return 0;
}
