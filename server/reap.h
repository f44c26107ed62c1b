/*
 * Reaping the master's children (CGI scripts, pool workers) with wait4,
 * so that each exit comes with the child's resource use (a CGI script's
 * CPU time and peak RSS, for the access log).  libev's ev_child reaps
 * with waitpid and drops it, and its SIGCHLD handler lives in the default
 * loop alone: the master runs a loop of its own (ev_loop_new) and this
 * SIGCHLD watcher in its place.
 */
#ifndef FERRY_SERVER_REAP_H
#define FERRY_SERVER_REAP_H

#include <sys/types.h>

struct master;
struct rusage;
struct reap_watch;

/* Called from the loop once the child was reaped; w is stopped by then
   and may be started again or freed. */
typedef void	(*reap_cb)(struct reap_watch *w, int status,
		    const struct rusage *ru);

/* Waits for one child; embed it in the child's struct. */
struct reap_watch {
	struct reap_watch	*prev, *next;	/* m->reap's, while active */
	pid_t			 pid;
	reap_cb			 cb;
	int			 active;
};

/* Starts the SIGCHLD watcher on m->loop (it keeps no loop alive);
   0, or -1 when out of memory (logged). */
int	reap_init(struct master *m);
/* Stops it; watches still active are forgotten. */
void	reap_fini(struct master *m);
/* cb is called once child pid has exited and was reaped. */
void	reap_start(struct master *m, struct reap_watch *w, pid_t pid,
	    reap_cb cb);
/* Tells pid's watch (if any) that it exited with status and ru: for a
   child reaped elsewhere (server/spawner.c's). */
void	reap_deliver(struct master *m, pid_t pid, int status,
	    const struct rusage *ru);
/* w no longer waits (idempotent); the child, when it exits, is reaped
   with no one told. */
void	reap_stop(struct master *m, struct reap_watch *w);

#endif
