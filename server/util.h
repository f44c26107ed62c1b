/*
 * Small helpers every server/ file may use, with no dependency on the
 * master or any other part of ferryd.
 */
#ifndef FERRY_SERVER_UTIL_H
#define FERRY_SERVER_UTIL_H

#include <stddef.h>

/* The struct of the given type whose member ptr points to: how a libev
   callback finds the owner of its watcher. */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
