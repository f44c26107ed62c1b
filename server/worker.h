/*
 * One process of a FastCGI pool app (server/worker.c): its spawn, the
 * GET_VALUES question, its state and timer, its channel, the request
 * run on it, its kill, its exit and its freeing.  The app's queue,
 * back-off and retries are server/pool.c's, reached through struct
 * pool_app_ops (server/pool-t.h).
 */
#ifndef FERRY_SERVER_WORKER_H
#define FERRY_SERVER_WORKER_H

#include <stdint.h>

struct conn;
struct pool_app;
struct worker;

/* Starts a worker of app a, listening on a new socket in the pool's
   directory, and asks it FCGI_GET_VALUES.  Returns it (in a's list,
   state starting), or NULL after logging why (and backing off). */
struct worker *worker_spawn(struct pool_app *a);
#define WORKER_RUN_SHORT	(-2)	/* worker_run: out of fds here */

/* Starts c's request on idle worker w.  Returns 0 (also when the request
   was answered with an error), -1 when w cannot be reached (w is being
   replaced), or WORKER_RUN_SHORT when the master lacks an fd or memory to
   connect (EMFILE, ENFILE, ENOBUFS, ENOMEM: w stays idle and fine); c is
   left as it was in both. */
int	worker_run(struct worker *w, struct conn *c);
/* SIGTERM to the worker's process group, SIGKILL after kill_grace; a
   request still on it gets 502.  The exit is reaped by the worker. */
void	worker_kill(struct worker *w, const char *why);
/* w must go (why; reason: FERRY_RETIRE_*): killed, unless it is idle and
   was handed client sockets: then retired (no requests, told, replaced,
   stopped at its own exit or after hijack_grace). */
void	worker_retire(struct worker *w, const char *why, uint8_t reason);

#endif
