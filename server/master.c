/*
 * The master: signals, graceful stop, and the pieces every module shares.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/cgi.h"
#include "server/conn.h"
#include "server/listen.h"
#include "server/log.h"
#include "server/master.h"
#include "server/util.h"
#include "server/pool.h"
#include "server/spawn.h"

const char *
master_date(struct master *m)
{
	return response_date(&m->date, (time_t)ev_now(m->loop));
}

void
master_conn_closed(struct master *m)
{
	if (m->stopping) {
		if (m->nconns == 0 && cgi_running(m) == 0 &&
		    pool_running(m) == 0)
			ev_break(m->loop, EVBREAK_ALL);
		return;
	}
	if (m->accept_paused && m->nconns < m->conf->max_conns &&
	    !ev_is_active(&m->accept_retry))
		listen_resume(m);
}

void
master_pools_ready(struct master *m)
{
	if (m->waiting_pools) {
		m->waiting_pools = 0;
		ev_timer_stop(m->loop, &m->pools_timer);
	} else if (m->ready)
		return;
	m->ready = 1;
	if (!m->stopping)
		listen_resume(m);
	log_info("ferryd %s ready", PACKAGE_VERSION);
}

static void
master_pools_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = container_of(w, struct master, pools_timer);

	(void)loop;
	(void)revents;
	master_pools_ready(m);
}

/* The access log lines of the loop's round, in one write. */
static void
master_logflush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	log_flush();
}

static void
master_stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = container_of(w, struct master, shutdown_timer);
	struct conn	*c;

	log_warnx("graceful stop: deadline passed, closing %u connections",
	    m->nconns);
	cgi_kill_all(m);
	while ((c = m->conns) != NULL)
		conn_close(c, "shutdown deadline");
	ev_break(loop, EVBREAK_ALL);
}

static void
master_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct master	*m = w->data;

	switch (w->signum) {
	case SIGTERM:
	case SIGINT:
		if (m->stopping)
			return;
		log_info("%s: stopping: %u connections, %u CGI processes",
		    w->signum == SIGTERM ? "SIGTERM" : "SIGINT", m->nconns,
		    cgi_running(m));
		m->stopping = 1;
		listen_close(m);
		conn_shutdown_idle(m);
		pool_stop(m);
		if (m->nconns == 0 && cgi_running(m) == 0 &&
		    pool_running(m) == 0) {
			ev_break(loop, EVBREAK_ALL);
			return;
		}
		ev_timer_init(&m->shutdown_timer, master_stop_cb,
		    m->conf->shutdown_timeout, 0);
		ev_timer_start(loop, &m->shutdown_timer);
		break;
	case SIGUSR1:
		if (log_reopen() == -1)
			log_warn("SIGUSR1: reopening the logs");
		else
			log_info("SIGUSR1: logs reopened");
		break;
	case SIGHUP:
		log_info("SIGHUP: reload is not supported yet; ignored");
		break;
	}
}

int
master_run(struct conf *cf)
{
	static struct master	 master;	/* large: its scratch buffer */
	struct master		*m = &master;

	memset(m, 0, sizeof(*m));
	m->conf = cf;
	m->loop = ev_default_loop(EVFLAG_AUTO);
	if (m->loop == NULL) {
		log_warnx("cannot start the event loop");
		return 1;
	}
	http1_limits_default(&m->limits);
	if (cf->max_target)
		m->limits.max_target = cf->max_target;
	if (cf->max_head)
		m->limits.max_head = cf->max_head;
	if (cf->max_fields)
		m->limits.max_fields = cf->max_fields;
	snprintf(m->software, sizeof(m->software), "ferry/%s", PACKAGE_VERSION);
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&m->sigterm, master_signal_cb, SIGTERM);
	ev_signal_init(&m->sigint, master_signal_cb, SIGINT);
	ev_signal_init(&m->sigusr1, master_signal_cb, SIGUSR1);
	ev_signal_init(&m->sighup, master_signal_cb, SIGHUP);
	m->sigterm.data = m->sigint.data = m->sigusr1.data = m->sighup.data = m;
	ev_signal_start(m->loop, &m->sigterm);
	ev_signal_start(m->loop, &m->sigint);
	ev_signal_start(m->loop, &m->sigusr1);
	ev_signal_start(m->loop, &m->sighup);
	spawn_signals_note();	/* before the first child */

	if (cgi_init(m) == -1 || listen_open(m) == -1 || pool_init(m) == -1) {
		listen_close(m);
		pool_fini(m);
		return 1;
	}
	ev_prepare_init(&m->logflush, master_logflush_cb);
	ev_prepare_start(m->loop, &m->logflush);
	log_buffer(1);
	/*
	 * Connections wait in the listen backlog until the pools' first
	 * workers have said which extensions they speak (how a chunked
	 * body goes to them depends on it), a second at most.
	 */
	if (pool_starting(m) > 0) {
		m->waiting_pools = 1;
		ev_timer_init(&m->pools_timer, master_pools_timer_cb,
		    POOL_READY_TIMEOUT + 1.0, 0);
		ev_timer_start(m->loop, &m->pools_timer);
	} else
		master_pools_ready(m);

	ev_run(m->loop, 0);
	log_buffer(0);

	if (m->dead != NULL)
		conn_reap(m->loop, &m->reaper, 0);
	conn_fini(m);
	listen_close(m);
	free(m->listeners);
	pool_fini(m);
	cgi_fini(m);
	log_info("stopped");
	return 0;
}
