/*
 * The master: starts every module and fills the app type table, handles
 * signals and the graceful stop, and checks before the loop blocks what
 * the modules' events made due.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#include <systemd/sd-daemon.h>

#include "server/app.h"
#include "server/cgi.h"
#include "server/confgen.h"
#include "server/confval.h"
#include "server/conn.h"
#include "server/listen.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master.h"
#include "server/notif.h"
#include "server/util.h"
#include "server/cgroup.h"
#include "server/pool.h"
#include "server/reap.h"
#include "server/spawn.h"
#include "server/status.h"
#include "server/upgrade.h"

static int	master_pid_file(const char *, int);
static int	master_nofile(struct conf *, int);
static void	master_pools_timer_cb(struct ev_loop *, ev_timer *, int);

static const struct app_type master_cgi_type = {
	cgi_request, NULL, cgi_running, NULL, cgi_kill_all,
	cgi_install, cgi_commit, cgi_release, cgi_collect
};
static const struct app_type master_pool_type = {
	pool_request, pool_takes_raw_chunked, pool_running, pool_stop, NULL,
	pool_install, pool_commit, pool_release, pool_collect
};
static const struct app_type master_status_type = {
	status_request, NULL, status_running, NULL, NULL,
	status_install, status_commit, NULL, status_collect
};

/* Processes of every app type not reaped yet. */
static unsigned int
master_apps_running(struct master *m)
{
	unsigned int	n = 0;
	size_t		i;

	for (i = 0; i < MASTER_APP_TYPES; i++)
		n += m->app_types[i]->running(m);
	return n;
}

/* 1 when a graceful stop has nothing left to wait for. */
static int
master_stopped(struct master *m)
{
	return conn_count(m) == 0 && master_apps_running(m) == 0;
}

/*
 * Before the loop blocks: a connection's close may have made room to
 * accept again, and the end of the last connection or process ends a
 * graceful stop.  Checked here, once per round, so that no module calls
 * up into the master.
 */
static void
master_settle_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct master	*m = container_of(w, struct master, settle);
	size_t		 i;

	(void)revents;
	for (i = 0; i < MASTER_APP_TYPES; i++)
		m->app_types[i]->collect(m);
	if (m->stopping) {
		if (master_stopped(m))
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	listen_refill(m);
}

/* The pools' first workers answered (or the wait is over): accepting
   starts.  Idempotent. */
static void
master_pools_ready(struct master *m)
{
	if (m->waiting_pools) {
		m->waiting_pools = 0;
		ev_timer_stop(m->loop, &m->pools_timer);
	} else if (m->ready)
		return;
	if (m->ready)
		log_info("reload: configuration %u ready",
		    m->conf->generation);
	else {
		m->ready = 1;
		if (!m->stopping)
			listen_resume(m);
		log_info("ferryd %s ready", PACKAGE_VERSION);
		if (upgrade_ready(m))	/* the old master names us */
			return;
	}
	if (!m->stopping)
		(void)sd_notify(0, m->draining ? "READY=1\nSTATUS=draining" :
		    "READY=1\nSTATUS=serving");
}

/* Accepting (or a reload's READY=1) waits until the new workers have
   said which extensions they speak (how a chunked body goes to them
   depends on it), a second at most. */
static void
master_pools_wait(struct master *m)
{
	if (pool_starting(m) == 0) {
		master_pools_ready(m);
		return;
	}
	m->waiting_pools = 1;
	ev_timer_stop(m->loop, &m->pools_timer);
	ev_timer_init(&m->pools_timer, master_pools_timer_cb,
	    POOL_READY_TIMEOUT + 1.0, 0);
	ev_timer_start(m->loop, &m->pools_timer);
}

static void
master_pools_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = container_of(w, struct master, pools_timer);

	(void)loop;
	(void)revents;
	master_pools_ready(m);
}

/* A new worker answered FCGI_GET_VALUES (or its wait ended). */
static void
master_worker_ready(struct master *m)
{
	if (m->waiting_pools && pool_starting(m) == 0)
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
	size_t		 i;

	log_warnx("graceful stop: deadline passed, closing %u connections",
	    conn_count(m));
	for (i = 0; i < MASTER_APP_TYPES; i++)
		if (m->app_types[i]->kill != NULL)
			m->app_types[i]->kill(m);
	conn_close_all(m, "shutdown deadline");
	ev_break(loop, EVBREAK_ALL);
}

/* The HTTP parser's limits, from m->conf. */
static void
master_limits(struct master *m)
{
	http1_limits_default(&m->limits);
	if (m->conf->max_target)
		m->limits.max_target = m->conf->max_target;
	if (m->conf->max_head)
		m->limits.max_head = m->conf->max_head;
	if (m->conf->max_fields)
		m->limits.max_fields = m->conf->max_fields;
}

/* A reload's configuration errors go to the error log. */
static void
master_reload_report(const char *msg)
{
	log_warnx("reload: %s", msg);
}

/* Gives cf's apps their state, every app type's or none: 0, or -1
   after logging (the states given are released with cf). */
static int
master_install(struct master *m, struct conf *cf)
{
	size_t	i;

	for (i = 0; i < cf->napps; i++) {
		cf->apps[i].stats = stats_app(&m->stats, cf->apps[i].name,
		    (int)cf->apps[i].type);
		/* Root by choice (conf_apps_check): said once per load. */
		if (cf->apps[i].user != NULL && cf->apps[i].uid == 0 &&
		    geteuid() == 0)
			log_info("[app %s]: its processes run as root, as its "
			    "%s says", cf->apps[i].name, cf->apps[i].from_args ?
			    "--user root" : "user = root");
	}
	if (cgroup_install(cf) == -1)
		return -1;
	for (i = 0; i < MASTER_APP_TYPES; i++)
		if (m->app_types[i]->install(m, cf) == -1)
			return -1;
	return 0;
}

/* cf (now m->conf) starts: -1 when a new app's first process did not. */
static int
master_commit(struct master *m, struct conf *cf)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < MASTER_APP_TYPES; i++)
		if (m->app_types[i]->commit(m, cf) == -1)
			rc = -1;
	cgroup_commit(cf);
	return rc;
}

/* The error log says what a reload changed in the apps. */
static void
master_reload_apps(const struct conf *old, const struct conf *cf)
{
	const struct conf_app	*a, *b;
	size_t			 i, j;

	for (i = 0; i < cf->napps; i++) {
		a = &cf->apps[i];
		if (a->type == CONF_APP_STATUS)
			continue;	/* ferryd's own pages */
		for (j = 0, b = NULL; j < old->napps && b == NULL; j++)
			if (strcmp(old->apps[j].name, a->name) == 0)
				b = &old->apps[j];
		if (b == NULL)
			log_info("reload: [app %s] added", a->name);
		else if (b->rt != a->rt)
			log_info("reload: [app %s]: new workers (the settings "
			    "of its processes changed); the old ones finish "
			    "their requests", a->name);
		else if (!conf_app_same(a, b))
			log_info("reload: [app %s]: settings changed",
			    a->name);
	}
	for (j = 0; j < old->napps; j++) {
		if (old->apps[j].type == CONF_APP_STATUS)
			continue;
		for (i = 0; i < cf->napps; i++)
			if (strcmp(old->apps[j].name, cf->apps[i].name) == 0)
				break;
		if (i == cf->napps)
			log_info("reload: [app %s] removed%s",
			    old->apps[j].name,
			    old->apps[j].type == CONF_APP_FASTCGI ?
			    ": its workers finish their requests" : "");
	}
}

/* The pid file moves when pid_file changed. */
static void
master_reload_pid_file(const char *old, const char *path)
{
	if (old != NULL && path != NULL && strcmp(old, path) == 0)
		return;
	master_pid_file(old, 0);
	if (master_pid_file(path, 1) == -1)
		log_warnx("reload: no pid file");
}

/*
 * SIGHUP: reads the configuration again.  Invalid (or a new listener
 * cannot be opened, or the fds would not suffice): each error is
 * logged, and the configuration running stays.  Else it becomes m->conf
 * at once: new connections and new requests use it, listeners are
 * added and removed, apps keep their processes or get new ones, the
 * logs are opened again; requests routed before finish with the old
 * one, which is freed after them (confgen.h).
 */
static void
master_reload(struct master *m)
{
	struct conf	*cf, *old = m->conf;
	struct timespec	 ts;
	char		 msg[96];
	int		 rc;

	if (m->stopping)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=reloading", (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000);
	(void)sd_notify(0, msg);
	log_info("SIGHUP: reloading %s", old->file != NULL ? old->file :
	    "the command line");
	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		log_warn("reload");
		goto keep;
	}
	confval_report_to(master_reload_report);
	rc = conf_load(cf, m->argc, m->argv);
	if (rc == 0 && (confval_logs(cf) == -1 || conf_apps_check(cf) == -1))
		rc = -1;
	confval_report_to(NULL);
	if (rc != 0) {
		conf_free(cf);
		free(cf);
		goto keep;
	}
	cf->generation = old->generation + 1;
	cf->refs = 1;
	if (master_nofile(cf, 0) == -1 || listen_prepare(m, cf) == -1) {
		confgen_put(m, cf);
		goto keep;
	}
	if (master_install(m, cf) == -1) {
		listen_abort(m);
		confgen_put(m, cf);
		goto keep;
	}

	m->conf = cf;
	/* What changed goes to the new logs. */
	if (log_configure(&(struct log_conf){ cf->error_log, cf->access_log,
	    cf->log_level, cf->access_log_format, cf->syslog_facility }) == -1)
		log_warn("reload: opening the logs again");
	master_limits(m);
	listen_commit(m);
	(void)master_commit(m, cf);
	master_reload_apps(old, cf);
	master_reload_pid_file(old->pid_file, cf->pid_file);
	log_info("reload: configuration %u in use", cf->generation);
	m->stats.reloads++;
	confgen_put(m, old);
	master_pools_wait(m);
	return;
keep:
	m->stats.reloads_failed++;
	log_warnx("reload failed: configuration %u stays in use",
	    old->generation);
	(void)sd_notify(0, "READY=1\nSTATUS=serving (the last reload "
	    "failed)");
}

/* The graceful stop begins (why: its cause, for the log): accepting
   ends, requests in flight may finish within shutdown_timeout.  notify:
   tell systemd STOPPING=1 (not after an upgrade: the unit goes on). */
static void
master_stop_begin(struct master *m, const char *why, int notify)
{
	size_t	i;

	if (m->stopping)
		return;
	log_info("%s: stopping: %u connections, %u CGI processes", why,
	    conn_count(m), m->app_types[CONF_APP_CGI]->running(m));
	m->stopping = 1;
	if (notify)
		(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	upgrade_abort(m);
	ev_timer_stop(m->loop, &m->drain_timer);
	/* A port shared with other instances: what waits in this one's
	   queue is served, the siblings take the rest. */
	(void)listen_drain(m, why);
	listen_close(m);
	conn_shutdown_idle(m);
	for (i = 0; i < MASTER_APP_TYPES; i++)
		if (m->app_types[i]->stop != NULL)
			m->app_types[i]->stop(m);
	if (master_stopped(m)) {
		ev_break(m->loop, EVBREAK_ALL);
		return;
	}
	ev_timer_init(&m->shutdown_timer, master_stop_cb,
	    m->conf->shutdown_timeout, 0);
	ev_timer_start(m->loop, &m->shutdown_timer);
}

/* drain_delay after SIGWINCH: the listeners that share their port with
   other instances (reuse_port) close, so that the siblings take every
   new connection; the others stay open, where the load balancer's
   health checks keep reading "draining" and a late client is served
   rather than refused. */
static void
master_drain_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = container_of(w, struct master, drain_timer);

	(void)loop;
	(void)revents;
	if (!m->stopping && listen_drain(m, "drain") == 0)
		log_info("drain: drain_delay passed; no reuse_port listener "
		    "to close, every listener stays open");
}

/*
 * SIGWINCH: the instance leaves the load balancer's rotation while it
 * keeps serving: the health page answers 503 "draining", responses end
 * keep-alive (Connection: close), and after drain_delay the reuse_port
 * listeners close.  SIGTERM then stops it as always.  Kept across a
 * reload; an upgrade's new master starts serving, not draining.
 */
static void
master_drain(struct master *m)
{
	if (m->stopping) {
		log_info("SIGWINCH: stopping already");
		return;
	}
	if (m->draining) {
		log_info("SIGWINCH: draining already");
		return;
	}
	m->draining = 1;
	if (m->conf->drain_delay > 0) {
		log_info("SIGWINCH: draining: health 503, no keep-alive; the "
		    "reuse_port listeners close in %.3g s (drain_delay)",
		    m->conf->drain_delay);
		ev_timer_init(&m->drain_timer, master_drain_timer_cb,
		    m->conf->drain_delay, 0);
		ev_timer_start(m->loop, &m->drain_timer);
	} else
		log_info("SIGWINCH: draining: health 503, no keep-alive; "
		    "every listener stays open (no drain_delay)");
	(void)sd_notify(0, "STATUS=draining");
}

/* An upgrade ended: the new master took over (drain and exit), or it
   failed (the pid file is ours again). */
static void
master_upgrade_end(struct master *m, int handed)
{
	if (handed)
		master_stop_begin(m, "upgrade", 0);
	else
		(void)master_pid_file(m->conf->pid_file, 1);
}

static void
master_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct master	*m = w->data;

	(void)loop;
	switch (w->signum) {
	case SIGTERM:
	case SIGINT:
		master_stop_begin(m, w->signum == SIGTERM ? "SIGTERM" :
		    "SIGINT", 1);
		break;
	case SIGUSR2:
		upgrade_start(m);
		break;
	case SIGUSR1:
		if (log_reopen() == -1)
			log_warn("SIGUSR1: reopening the logs");
		else
			log_info("SIGUSR1: logs reopened");
		break;
	case SIGHUP:
		master_reload(m);
		break;
	case SIGWINCH:
		master_drain(m);
		break;
	}
}

/*
 * Raises RLIMIT_NOFILE's soft limit to the hard one (children keep the
 * limit ferryd had at its start: spawn_nofile_note, when start is 1; a
 * reload finds the limit raised already) and checks that max_connections,
 * the listening sockets and the apps' processes fit in it, so that a
 * shortage of fds cannot be what ends requests or workers later.
 * Returns 0, or -1 after logging the numbers.
 */
static int
master_nofile(struct conf *cf, int start)
{
	struct rlimit		 rl, up;
	unsigned long long	 need, workers = 0, procs = 0, filtered = 0, n;
	size_t			 i;

	for (i = 0; i < cf->napps; i++) {
		n = 0;
		if (cf->apps[i].type == CONF_APP_FASTCGI)
			workers += n = (unsigned int)cf->apps[i].max_workers;
		else if (cf->apps[i].type == CONF_APP_CGI)
			procs += n = cf->apps[i].max_procs;
		if (cf->apps[i].syscall_filter != CONF_FILTER_OFF)
			filtered += n;
	}
	need = FD_RESERVE + cf->nlistens +
	    (unsigned long long)cf->max_conns * FD_PER_CONN +
	    workers * FD_PER_WORKER + procs * FD_PER_CGI +
	    filtered * FD_PER_FILTERED;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return -1;
	}
	if (start)
		spawn_nofile_note(&rl);
	up = rl;
	if (rl.rlim_cur < rl.rlim_max) {
		up.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == -1) {
			/* An unlimited hard limit is beyond what the kernel
			   takes (fs.nr_open): then what is needed. */
			up.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
			if (up.rlim_cur <= rl.rlim_cur ||
			    setrlimit(RLIMIT_NOFILE, &up) == -1)
				up.rlim_cur = rl.rlim_cur;
		}
	}
	if (up.rlim_cur != RLIM_INFINITY && up.rlim_cur < need) {
		log_warnx("RLIMIT_NOFILE is %llu (hard limit %llu), but %llu "
		    "fds are needed: %u for max_connections, %zu for listening, "
		    "%llu for %llu FastCGI workers (max_workers), %llu for %llu "
		    "CGI processes (max_processes), %llu for the seccomp "
		    "listeners of those filtered, %d spare: lower those or "
		    "raise the limit", (unsigned long long)up.rlim_cur,
		    (unsigned long long)rl.rlim_max, need,
		    cf->max_conns * FD_PER_CONN, cf->nlistens,
		    workers * FD_PER_WORKER, workers, procs * FD_PER_CGI, procs,
		    filtered * FD_PER_FILTERED, FD_RESERVE);
		return -1;
	}
	if (up.rlim_cur != rl.rlim_cur)
		log_debug("RLIMIT_NOFILE raised from %llu to %llu (%llu needed)",
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)up.rlim_cur, need);
	return 0;
}

int
master_run(struct conf *cf, int argc, char *argv[])
{
	static struct master	 master;	/* large: its scratch buffer */
	struct master		*m = &master;

	memset(m, 0, sizeof(*m));
	m->conf = cf;
	m->argc = argc;
	m->argv = argv;
	m->app_types[CONF_APP_CGI] = &master_cgi_type;
	m->app_types[CONF_APP_FASTCGI] = &master_pool_type;
	m->app_types[CONF_APP_STATUS] = &master_status_type;
	cf->generation = 1;
	cf->refs = 1;
	/* Not the default loop: server/reap.c reaps the children. */
	m->loop = ev_loop_new(EVFLAG_AUTO);
	if (m->loop == NULL) {
		log_errx("cannot start the event loop");
		confgen_put(m, cf);
		return 1;
	}
	master_limits(m);
	m->stats.started = ev_now(m->loop);
	snprintf(m->software, sizeof(m->software), "ferry/%s", PACKAGE_VERSION);
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&m->sigterm, master_signal_cb, SIGTERM);
	ev_signal_init(&m->sigint, master_signal_cb, SIGINT);
	ev_signal_init(&m->sigusr1, master_signal_cb, SIGUSR1);
	ev_signal_init(&m->sighup, master_signal_cb, SIGHUP);
	ev_signal_init(&m->sigusr2, master_signal_cb, SIGUSR2);
	ev_signal_init(&m->sigwinch, master_signal_cb, SIGWINCH);
	ev_init(&m->drain_timer, master_drain_timer_cb);
	m->sigterm.data = m->sigint.data = m->sigusr1.data = m->sighup.data = m;
	m->sigusr2.data = m->sigwinch.data = m;
	ev_signal_start(m->loop, &m->sigterm);
	ev_signal_start(m->loop, &m->sigint);
	ev_signal_start(m->loop, &m->sigusr1);
	ev_signal_start(m->loop, &m->sighup);
	ev_signal_start(m->loop, &m->sigusr2);
	ev_signal_start(m->loop, &m->sigwinch);
	if (reap_init(m) == -1) {
		log_errx("not started");
		confgen_put(m, cf);
		ev_loop_destroy(m->loop);
		return 1;
	}
	spawn_signals_note();	/* before the first child */
	if (upgrade_init(m, master_upgrade_end) == -1 ||
	    master_nofile(cf, 1) == -1) {
		upgrade_fini(m);
		confgen_put(m, cf);
		return 1;
	}
	if (notif_init(m) == -1 ||
	    conn_init(m) == -1 || cgi_init(m) == -1 || listen_open(m) == -1 ||
	    master_pid_file(cf->pid_file, 1) == -1 ||
	    pool_init(m, master_worker_ready) == -1 ||
	    master_install(m, cf) == -1 || master_commit(m, cf) == -1) {
		listen_close(m);
		listen_fini(m);
		pool_fini(m);
		cgi_fini(m);
		notif_fini(m);
		cgroup_fini();
		upgrade_fini(m);
		reap_fini(m);
		master_pid_file(cf->pid_file, 0);
		confgen_put(m, cf);
		ev_loop_destroy(m->loop);
		/* What stopped it was logged, maybe at warn (the same calls
		   at a reload are not fatal): the start's failure at error. */
		log_errx("not started");
		return 1;
	}
	ev_prepare_init(&m->logflush, master_logflush_cb);
	ev_prepare_start(m->loop, &m->logflush);
	ev_prepare_init(&m->settle, master_settle_cb);
	ev_prepare_start(m->loop, &m->settle);
	log_buffer(1);
	/* Connections wait in the listen backlog meanwhile. */
	master_pools_wait(m);

	ev_run(m->loop, 0);
	log_buffer(0);

	conn_fini(m);
	listen_close(m);
	listen_fini(m);
	pool_fini(m);
	cgi_fini(m);
	notif_fini(m);
	cgroup_fini();
	upgrade_fini(m);
	reap_fini(m);
	master_pid_file(m->conf->pid_file, 0);
	log_info("stopped");
	confgen_put(m, m->conf);
	stats_free(&m->stats);
	ev_loop_destroy(m->loop);
	return 0;
}

/* Writes ferryd's pid to path (write) or removes the file (once it is
   ours); nothing when path is NULL.  -1 after logging. */
static int
master_pid_file(const char *path, int write)
{
	char	 tmp[PATH_MAX], buf[32];
	FILE	*fp;
	int	 ok;

	if (path == NULL)
		return 0;
	if (!write) {
		if ((fp = fopen(path, "re")) != NULL) {
			if (fgets(buf, sizeof(buf), fp) != NULL &&
			    strtol(buf, NULL, 10) == (long)getpid())
				unlink(path);
			fclose(fp);
		}
		return 0;
	}
	/* Whole or not at all: a reader never sees half a pid. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		log_err("pid_file %s", path);
		return -1;
	}
	if ((fp = fopen(tmp, "we")) == NULL) {
		log_err("pid_file %s", tmp);
		return -1;
	}
	ok = fprintf(fp, "%ld\n", (long)getpid()) > 0;
	if (fclose(fp) == EOF || !ok || rename(tmp, path) == -1) {
		log_err("pid_file %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
