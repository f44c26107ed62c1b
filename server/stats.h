/*
 * ferryd's counters, gauges and histograms, for the status page
 * (server/status.c) and nothing else: the server's (m->stats) and one set
 * per app name, kept across reloads (an app a reload replaced or removed
 * keeps its counters; its gauges fall to 0).  Modules count with plain
 * increments on the structs below: no call, no lock (one thread).  Every
 * name here is documented, with its meaning, in ferry-status(7); the
 * renderers write the same figures as JSON and in the Prometheus text
 * format, in O(apps), never O(connections).
 */
#ifndef FERRY_SERVER_STATS_H
#define FERRY_SERVER_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_BUCKETS	12	/* histogram bounds, and +Inf */
#define STATS_CLASSES	6	/* responses by status class: 1xx-5xx, and
				   [0]: none (the client left first) */

/* Seconds, in buckets of upper bounds stats_bounds[] (cumulative only
   when rendered). */
struct stats_hist {
	uint64_t	 count;
	double		 sum;
	uint64_t	 bucket[STATS_BUCKETS + 1];	/* the last: +Inf */
};

/* Why the master refused a worker's hijack: FERRY_REFUSED_* of
   protocol/fcgi.h, in this order. */
enum stats_refusal {
	STATS_REFUSE_GONE,	/* the client had left */
	STATS_REFUSE_TWICE,	/* hijacked already */
	STATS_REFUSE_STALE,	/* not the worker's current request */
	STATS_REFUSE_COMPLETE,	/* the response was complete */
	STATS_REFUSE_SPOOLED,	/* the body went to a temporary file */
	STATS_REFUSALS
};

/* The rungs of on_client_gone a request whose client left went down. */
enum stats_rung {
	STATS_RUNG_NOTIFY,	/* close-notify sent (libferry) */
	STATS_RUNG_ABORT,	/* FCGI_ABORT_REQUEST sent */
	STATS_RUNG_KILL,	/* the process killed (terminate, or the
				   abort unanswered) */
	STATS_RUNG_FINISH,	/* left to finish (finish) */
	STATS_RUNGS
};

struct stats_app {
	struct stats_app	*next;
	char			*name;
	int			 type;		/* enum conf_app_type */

	/* gauges */
	unsigned int		 workers[8];	/* by enum worker_state */
	unsigned int		 cgi_running;
	unsigned int		 queued, queue_peak;
	unsigned int		 hijacked_held;	/* sockets workers hold */
	double			 backoff;	/* s before the next start;
						   0: none */

	/* counters */
	uint64_t		 requests;	/* ended (access-logged) */
	uint64_t		 status[STATS_CLASSES];
	uint64_t		 queue_full;	/* 503: the queue was full */
	uint64_t		 timeouts;	/* 504 */
	uint64_t		 spawns, exits, crashes;
	uint64_t		 notify_gone, notify_pipelined;
	uint64_t		 rungs[STATS_RUNGS];
	uint64_t		 hijacks;
	uint64_t		 refusals[STATS_REFUSALS];
	uint64_t		 cgi_utime_us, cgi_stime_us;
	uint64_t		 cgi_maxrss_kib;	/* the largest */
	uint64_t		 seccomp_denied;	/* calls syscall_filter
						   denied (server/notif.c) */

	struct stats_hist	 duration;	/* request, start to end */
	struct stats_hist	 queue_wait;	/* in the app's queue */
	struct stats_hist	 gone_notify;	/* client gone -> notified */
	struct stats_hist	 gone_free;	/* client gone -> worker free */
};

struct stats {
	double			 started;	/* ev_now at start */
	unsigned int		 generation;	/* of m->conf */
	uint64_t		 accepted;	/* connections */
	uint64_t		 accept_errors;	/* accept failed (no fds) */
	uint64_t		 proxy_refused;	/* closed on a proxy_protocol
						   listener: peer not in
						   proxy_from, no valid header */
	uint64_t		 requests;
	uint64_t		 status[STATS_CLASSES];
	uint64_t		 hijacks;
	uint64_t		 reloads, reloads_failed;
	struct stats_app	*apps;
};

/* The upper bounds of the histograms' buckets, in seconds. */
extern const double	stats_bounds[STATS_BUCKETS];

/* The counters of the app called name (made at its first use, type
   updated); NULL when out of memory (the app is not counted). */
struct stats_app *stats_app(struct stats *s, const char *name, int type);
void	stats_free(struct stats *s);
/* Counts a value of seconds in h. */
void	stats_observe(struct stats_hist *h, double seconds);
/* The class index of an HTTP status for status[] (0 when none). */
int	stats_class(int status);

/* A text built by the renderers, grown as needed. */
struct stats_text {
	char	*p;
	size_t	 len, cap;
	int	 nomem;		/* a step could not grow it */
};

/* What the renderers need besides s: the gauges only the master can
   read (connections by state, in the order of their names). */
struct stats_now {
	double			 now;
	long			 pid;
	const char		*version;
	unsigned int		 conns;
	const char *const	*state_names;	/* CONN_NSTATES - 1 */
	const unsigned int	*states;
	size_t			 nstates;
	int			 draining;	/* SIGWINCH, or a graceful stop
						   began */
	const char		*instance;	/* which ferryd (instance) */
};

/* s as one JSON object, or in the Prometheus text format (0.0.4). */
void	stats_json(const struct stats *s, const struct stats_now *n,
	    struct stats_text *t);
void	stats_prometheus(const struct stats *s, const struct stats_now *n,
	    struct stats_text *t);
void	stats_text_free(struct stats_text *t);

#endif
