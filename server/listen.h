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

/* Opens and binds every listener of m->conf (m->listen).  Returns 0, or
   -1 after logging why. */
int	listen_open(struct master *m);
/* Starts or stops accepting on every listener. */
void	listen_resume(struct master *m);
void	listen_pause(struct master *m);
/* Accepting paused at max_connections resumes once fewer connections
   are open (not while backing off after running out of fds). */
void	listen_refill(struct master *m);
/*
 * A reload's listeners, in two steps.  listen_prepare opens those of cf
 * that are new (a listener whose address cf still names keeps its
 * socket); -1 after logging when one cannot be opened, and nothing
 * changed.  listen_commit (once cf is m->conf) switches to them: the
 * ones cf no longer names are closed, the new ones accept.  listen_abort
 * drops what listen_prepare opened.
 */
int	listen_prepare(struct master *m, const struct conf *cf);
void	listen_commit(struct master *m);
void	listen_abort(struct master *m);
/* Drain (SIGWINCH, after drain_delay) or a stop: the listeners with
   SO_REUSEPORT accept what waits in their queues, then close; the port's
   other sockets (sibling instances) take its new connections.  The
   others stay open; a reload opens no reuse_port listener again.
   Returns how many it closed (each logged with why first). */
size_t	listen_drain(struct master *m, const char *why);
/* Closes every listener (and unlinks Unix socket paths it bound). */
void	listen_close(struct master *m);
/* Frees what listen_open allocated (after listen_close). */
void	listen_fini(struct master *m);
/* The open listening sockets and their listen specs, up to max of each
   (still the listeners'); returns how many are open. */
size_t	listen_fds(struct master *m, int *fds, const char **specs,
	    size_t max);
/* The sockets were handed to a new master: listen_close will not unlink
   their Unix socket paths. */
void	listen_handed(struct master *m);

#endif
