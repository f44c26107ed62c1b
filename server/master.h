/*
 * The master's context: the loop, the settings, the listeners and the
 * counters every part of ferryd shares.  Passed explicitly, never global.
 */
#ifndef FERRY_SERVER_MASTER_H
#define FERRY_SERVER_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "protocol/response.h"
#include "server/conf.h"

struct conn;
struct conn_sock;
struct listener;
struct cgi_app;
struct cgi;
struct pool;

/* Connection states as in Go's ConnState, counted for shutdown. */
enum master_conn_state {
	MASTER_CONN_NEW, MASTER_CONN_ACTIVE, MASTER_CONN_IDLE,
	MASTER_CONN_HIJACKED, MASTER_CONN_NSTATES
};

struct master {
	struct ev_loop		*loop;
	struct conf		*conf;
	struct http1_limits	 limits;

	struct listener		*listeners;
	size_t			 nlisteners;
	int			 accept_paused;	/* max_conns or out of fds */
	ev_timer		 accept_retry;	/* EMFILE back-off */

	struct conn		*conns;		/* connections with work */
	struct conn_sock	*idle;		/* new and kept-alive ones
						   waiting for a request */
	unsigned int		 nconns;	/* both */
	struct conn		*dead;		/* closed, freed by reaper */
	struct conn		*spare;		/* for reuse, with buffers */
	unsigned int		 nspare;	/* at most CONN_SPARE_MAX */
	unsigned long		 nhijacked;	/* connections handed to apps */
	ev_prepare		 reaper;
	ev_prepare		 logflush;	/* access log, before waiting */

	struct cgi_app		*cgi_apps;	/* one per app of conf */
	struct cgi		*cgis;		/* live CGI processes */
	unsigned int		 ncgis;
	int			 cgi_null;	/* /dev/null: stdin of a
						   request without a body */

	struct pool		*pool;		/* FastCGI apps, server/pool.c */

	struct response_date	 date;
	char			 software[32];	/* "ferry/VERSION" */

	int			 ready;		/* accepting was started */
	int			 waiting_pools;	/* accepting waits until the
						   pools' first workers said
						   what they speak */
	ev_timer		 pools_timer;

	ev_signal		 sigterm, sigint, sigusr1, sighup;
	ev_timer		 shutdown_timer;
	int			 stopping;

	char			 scratch[64 * 1024];	/* per-callback I/O */
};

/* The current IMF-fixdate for a Date field. */
const char *master_date(struct master *m);

/* Called when a connection closes: resumes accepting when paused by the
   connection limit, and ends a graceful stop once nothing is left. */
void	master_conn_closed(struct master *m);

/* The pools' first workers answered (or the wait is over): accepting
   starts.  Idempotent. */
void	master_pools_ready(struct master *m);

/* Runs ferryd with settings cf until a stop; returns the exit status. */
int	master_run(struct conf *cf);

#endif
