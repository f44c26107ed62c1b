/*
 * Listening sockets: open them from the settings, accept with accept4
 * (non-blocking, close-on-exec), pause at max_connections and when out of
 * file descriptors (retried from a timer, never spinning).
 */
#ifndef FERRY_SERVER_LISTEN_H
#define FERRY_SERVER_LISTEN_H

#include <ev.h>

#include "server/conf.h"

struct master;

struct listener {
	ev_io			 io;
	struct master		*m;
	const struct conf_listen *cl;
	int			 fd;
};

/* Opens and binds every listener of m->conf.  Returns 0, or -1 after
   logging why. */
int	listen_open(struct master *m);
/* Starts or stops accepting on every listener. */
void	listen_resume(struct master *m);
void	listen_pause(struct master *m);
/* Closes every listener (and unlinks Unix socket paths). */
void	listen_close(struct master *m);

#endif
