/*
 * The master's context, as every module sees it: the loop, the settings,
 * the state every part of ferryd shares, and a handle on each module's
 * own state.  Passed explicitly, never global.  Types (an "x-t.h"
 * header) and one inline accessor: a module includes this, never
 * master.h, so nothing below master.c depends on master.c; what a
 * module's events make due (accepting again, the end of a graceful stop)
 * master.c checks before the loop blocks.
 */
#ifndef FERRY_SERVER_MASTER_T_H
#define FERRY_SERVER_MASTER_T_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>

#include "protocol/response.h"
#include "server/conf.h"
#include "server/stats.h"
#include "server/util.h"

#define MASTER_APP_TYPES	(CONF_APP_STATUS + 1)
#define MASTER_SCRATCH		(64 * 1024)

struct app_type;
struct cgi_set;
struct conn_set;
struct listen_set;
struct pool;
struct upgrade;
struct reap_set;
struct notif_set;

struct master {
	struct ev_loop		*loop;
	struct conf		*conf;
	struct http1_limits	 limits;
	struct response_date	 date;
	char			 software[32];	/* "ferry/VERSION" */
	int			 stopping;	/* graceful stop begun */
	int			 draining;	/* SIGWINCH: out of rotation
						   (health 503, no keep-alive),
						   still serving */
	struct stats		 stats;		/* for the status page */
	int			 argc;		/* main's */
	char			**argv;

	/* Each module's own state, allocated and freed by it. */
	struct listen_set	*listen;	/* server/listen.c */
	struct conn_set		*conns;		/* server/connsock.c */
	struct cgi_set		*cgi;		/* server/cgi.c */
	struct pool		*pool;		/* server/pool.c */
	struct upgrade		*upgrade;	/* server/upgrade.c */
	struct reap_set		*reap;		/* server/reap.c */
	struct notif_set	*notif;		/* server/notif.c */
	/* Indexed by enum conf_app_type; filled by master_run. */
	const struct app_type	*app_types[MASTER_APP_TYPES];

	/* master.c's own */
	int			 ready;		/* accepting was started */
	int			 waiting_pools;	/* accepting waits until the
						   pools' first workers said
						   what they speak */
	ev_timer		 pools_timer;
	ev_prepare		 logflush;	/* access log, before waiting */
	ev_prepare		 settle;	/* what events made due */
	ev_signal		 sigterm, sigint, sigusr1, sighup;
	ev_signal		 sigusr2;
	ev_timer		 shutdown_timer;
	ev_signal		 sigwinch;	/* drain */
	ev_timer		 drain_timer;	/* drain_delay */

	/* Per-callback I/O buffer, shared by every module: valid only
	   inside the callback that fills it (one thread, one loop). */
	char			 scratch[MASTER_SCRATCH];
};

/* The current IMF-fixdate for a Date field. */
static inline const char *
master_date(struct master *m)
{
	return response_date(&m->date, (time_t)ev_now(m->loop));
}

#endif
