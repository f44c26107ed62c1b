/*
 * Small helpers every server/ file may use, with no dependency of their
 * own: container_of, to recover the struct a libev watcher is embedded in.
 */
#ifndef FERRY_SERVER_UTIL_H
#define FERRY_SERVER_UTIL_H

#include <stddef.h>

/* The struct of type that holds member at ptr. */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
