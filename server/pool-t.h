/*
 * What server/pool.c and server/worker.c share: the pool, its apps and
 * their workers (struct pool, struct pool_app, struct worker), and the
 * ops through which a worker tells its app that it became free, died or
 * dropped a request (struct pool_app_ops, set by pool.c), and the pools'
 * fixed timings.  Types only (with one inline accessor): not for use
 * outside those two files.
 */
#ifndef FERRY_SERVER_POOL_T_H
#define FERRY_SERVER_POOL_T_H

#include <sys/types.h>
#include <sys/un.h>

#include <limits.h>
#include <stddef.h>

#include <ev.h>

#include "server/app.h"
#include "server/cgroup.h"
#include "server/child.h"
#include "server/fcgireq.h"
#include "server/master-t.h"
#include "server/reap.h"
#include "server/wchan.h"

#define POOL_BACKLOG		8	/* listen(2) backlog of a worker */
#define POOL_START_FAIL		1.0	/* s: an exit this soon after spawn,
					   before any request, is a failed
					   start (back-off) */
#define POOL_BACKOFF_MIN	0.1	/* s: first respawn delay */
#define POOL_BACKOFF_MAX	10.0	/* s: the delay doubles up to this */
#define POOL_BACKOFF_RESET	10.0	/* s: a worker that lived this long
					   resets the back-off */

#define WORKER_EXT_HIJACK	FCGIREQ_EXT_HIJACK	/* FERRY_EXTENSIONS */

enum worker_state {
	WORKER_STARTING,	/* spawned; GET_VALUES asked */
	WORKER_IDLE,		/* ready for a request */
	WORKER_BUSY,		/* a request runs (its client may be gone) */
	WORKER_ABORTING,	/* ABORT_REQUEST sent; END_REQUEST awaited */
	WORKER_RETIRING,	/* holds hijacked sockets: no more requests,
				   told so (FERRY_RETIRE); its own exit
				   awaited, or the end of hijack_grace */
	WORKER_STOPPING,	/* signalled; its exit awaited */
	WORKER_DEAD,		/* reaped; freed from the loop */
};

struct pool_app;

struct worker {
	struct pool_app		*app;
	struct worker		*next;		/* app's list */
	enum worker_state	 state;
	pid_t			 pid;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct reap_watch	 child;		/* its exit (server/reap.c) */
	struct child_log	 log;		/* stdout and stderr */
	ev_timer		 timer;		/* what the state waits for */
	struct wchan		 ch;
	struct fcgireq		 req;		/* the request on ch; its
						   extensions are the
						   worker's */

	ev_tstamp		 born;
	unsigned int		 nserved;
	int			 doomed;	/* stop after this request */
	ev_tstamp		 retired_at;	/* state retiring since */
	int			 values_known;	/* GET_VALUES was answered */
	int			 killing;	/* SIGTERM sent */
	int			 refused;	/* its socket refused us */
	int			 verdict;	/* its exit decides whether
						   the request on it is
						   replayed (worker_fate) */
	int			 exited;
	int			 status;

	struct child_log	 errlog;	/* FCGI_STDERR */
	struct cgroup_proc	 cg;		/* its cgroups */
};

/* A request going back to the queue after a worker dropped it. */
struct pool_retry {
	struct pool_retry	*next;
	struct conn		*c;
	unsigned int		 n;		/* tries failed so far */
	char			*body;		/* body bytes already consumed */
	size_t			 len;
};

/*
 * What a worker (server/worker.c) asks of its app (server/pool.c).
 */
struct pool_app_ops {
	/* Waiting requests go to idle workers; then the app grows if
	   needed (a worker became free, or went). */
	void	(*next)(struct pool_app *a);
	/* Spawns what the app lacks (min_workers, and for waiting requests
	   more up to max_workers). */
	void	(*adjust)(struct pool_app *a);
	/* A start failed: the next one waits, the delay doubling
	   (a->backoff). */
	void	(*backoff)(struct pool_app *a);
	/* Workers not doomed and not going; *starting (may be NULL) gets
	   those not ready yet. */
	unsigned int (*live)(struct pool_app *a, unsigned int *starting);
	/* w dropped c's request unread: c goes back to the head of the
	   queue with the body bytes consumed so far (w->req's), or 502. */
	void	(*retry)(struct pool_app *a, struct worker *w, struct conn *c);
	/* Takes c's retry out of the app's list, or returns NULL; the
	   caller frees it. */
	struct pool_retry *(*retry_take)(struct pool_app *a, struct conn *c);
};

struct pool_app {
	struct pool_app		*next;		/* the pool's */
	struct master		*m;
	struct pool		*p;
	struct conf_app		*conf;		/* its own copy of the newest
						   settings, at one address */
	unsigned int		 gens;		/* configurations using it */
	int			 current;	/* m->conf uses it */
	int			 fresh;		/* installed, not started */
	const char		*leaving;	/* why its workers go once the
						   queue is empty (a stop, or a
						   reload that replaced it);
						   NULL: they stay */
	uint8_t			 leave_reason;	/* FERRY_RETIRE_* */
	const struct pool_app_ops *ops;
	struct worker		*workers;
	struct app_queue	 queue;		/* waiting requests */
	ev_timer		 respawn;	/* back-off after failed starts */
	struct app_short	 shortage;	/* out of fds to reach a
						   worker: the queue waits */
	double			 backoff;
	struct pool_retry	*retries;	/* of requests in the queue */
	int			 extensions;	/* WORKER_EXT_* its workers
						   announced */
	struct sandbox		*sb;		/* its processes' (NULL:
						   none) */
};

struct pool {
	char			 dir[PATH_MAX];	/* private socket directory */
	int			 have_dir;
	struct pool_app		*apps;		/* every FastCGI app's state */
	unsigned int		 serial;	/* socket names */
	unsigned int		 ngone;		/* clients gone mid-request */
	double			 gone_time;	/* their total time to reuse
						   or exit of the worker */
	void			(*on_ready)(struct master *);
};

/* The time a signalled worker gets before SIGKILL (kill_grace). */
static inline double
pool_kill_grace(struct master *m)
{
	return m->conf->kill_grace;
}

#endif
