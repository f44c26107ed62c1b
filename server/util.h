/*
 * Small helpers every server/ file may use, with no dependency on the
 * master or any other part of ferryd.
 */
#ifndef FERRY_SERVER_UTIL_H
#define FERRY_SERVER_UTIL_H

#include <errno.h>
#include <stddef.h>

/* The struct of the given type whose member ptr points to: how a libev
   callback finds the owner of its watcher. */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* 1 when errno value e says ferryd itself ran short of fds or memory
   (EMFILE, ENFILE, ENOBUFS, ENOMEM): not the fault of the peer or child
   it was reaching for. */
static inline int
util_short(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

#endif
