/*
 * One FastCGI pool worker process and its supervision: spawn, the
 * GET_VALUES question and the extensions it announces, its state machine
 * and its one timer, the callbacks of its channel, the request run on it
 * (the glue to server/fcgireq.c, which owns the request's records), its
 * kill, its exit and its freeing.  What concerns the whole app (the queue,
 * spawning more, back-off, retries) is server/pool.c's, asked through
 * struct pool_app_ops.
 *
 * Each worker gets, as its fd 0, a socket listening at a path in the
 * pool's private 0700 directory; the master connects to that path (see
 * server/wchan.c) for the GET_VALUES question at spawn, then for requests,
 * keeping a connection only while the worker reads every byte it is sent.
 *
 * A struct worker lives from the spawn until its process is reaped and
 * no request runs on its channel any more.  It is freed from the loop
 * (its own timer, state WORKER_DEAD), never inside a channel callback.
 * A worker is "doomed" when it must go after its current request
 * (isolation = request, max_requests): it no longer counts as live, so
 * that its replacement is spawned ahead of time.
 *
 * Retiring.  A libferry worker may keep the client sockets it hijacked
 * after its handler returned (a WebSocket served by a thread).  Such a
 * worker is never killed by supervision (max_requests, isolation =
 * request, idle_timeout, a stop): it is retired instead (state
 * retiring): doomed, so it gets no more requests and its replacement
 * starts at once; told with FERRY_RETIRE, so that libferry calls the
 * app's going-away callback and its accept loop ends; and stopped only
 * when it exits by itself (once its sockets are closed: only the worker
 * can know that) or when hijack_grace runs out (at a stop: hijack_grace
 * or shutdown_timeout, the shorter).  The master counts the sockets it
 * handed over (req.handed); it cannot see a worker close one.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/fcgi.h"
#include "server/child.h"
#include "server/conn.h"
#include "server/fcgireq.h"
#include "server/filter.h"
#include "server/notif.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/pool-t.h"
#include "server/spawn.h"
#include "server/util.h"
#include "server/wchan.h"
#include "server/worker.h"

static const char *worker_state_name(enum worker_state);
static void	worker_set_state(struct worker *, enum worker_state);
static void	worker_timer(struct worker *, double);
static void	worker_ready(struct worker *, int);
static void	worker_after_request(struct worker *);
static void	worker_gone_done(struct worker *, const char *);
static void	worker_retire_tell(struct worker *, uint8_t, double);
static void	worker_free(struct worker *);
static int	worker_listening(struct worker *);
static enum fcgireq_worker worker_fate(struct worker *);
static void	worker_child_cb(struct reap_watch *, int,
		    const struct rusage *);
static void	worker_timer_cb(struct ev_loop *, ev_timer *, int);

static void	worker_ch_record(void *, uint8_t, uint16_t, const uint8_t *,
		    size_t);
static void	worker_ch_idle(void *);
static void	worker_ch_drained(void *);
static void	worker_ch_closed(void *, const char *);

static void	worker_req_errout(void *, const char *, size_t);
static void	worker_req_served(void *);
static void	worker_req_aborting(void *);
static void	worker_req_kill(void *, const char *);
static void	worker_req_lost(void *, const char *);
static void	worker_req_retry(void *, struct conn *);

static const struct wchan_ops worker_ch_ops = {
	worker_ch_record, worker_ch_idle, worker_ch_drained, worker_ch_closed
};

static const struct fcgireq_ops worker_req_ops = {
	worker_req_errout, worker_req_served, worker_req_aborting, worker_req_kill,
	worker_req_lost, worker_req_retry
};

static const char *
worker_state_name(enum worker_state s)
{
	switch (s) {
	case WORKER_STARTING:	return "starting";
	case WORKER_IDLE:	return "idle";
	case WORKER_BUSY:	return "busy";
	case WORKER_ABORTING:	return "aborting";
	case WORKER_RETIRING:	return "retiring";
	case WORKER_STOPPING:	return "stopping";
	case WORKER_DEAD:	return "dead";
	}
	return "unknown";
}

static void
worker_set_state(struct worker *w, enum worker_state s)
{
	struct stats_app	*st = w->app->conf->stats;

	if (w->state == s)
		return;
	log_debug("%s[%d]: %s -> %s", w->app->conf->name, (int)w->pid,
	    worker_state_name(w->state), worker_state_name(s));
	if (st != NULL) {
		st->workers[w->state]--;
		st->workers[s]++;
	}
	w->state = s;
}

/* Arms the worker's one timer for secs (0: stops it). */
static void
worker_timer(struct worker *w, double secs)
{
	struct ev_loop	*loop = w->app->m->loop;

	ev_timer_stop(loop, &w->timer);
	if (secs <= 0)
		return;
	ev_timer_set(&w->timer, secs, 0);
	ev_timer_start(loop, &w->timer);
}

/* Spawning. */

/* Queues the FCGI_GET_VALUES question on w's channel.  0 or -1. */
static int
worker_values_ask(struct worker *w)
{
	static const char *const names[] = {
		FCGI_MAX_CONNS, FCGI_MPXS_CONNS, FERRY_EXTENSIONS,
		FERRY_STDIN_WINDOW
	};
	uint8_t	 body[128];
	size_t	 len = 0, i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = fcgi_nv_encode(body + len, sizeof(body) - len, names[i],
		    strlen(names[i]), "", 0);
		len += n;
	}
	return wchan_record(&w->ch, FCGI_GET_VALUES, FCGI_NULL_REQUEST_ID,
	    body, len);
}

static void
worker_ask_values(struct worker *w)
{
	if (wchan_connect(&w->ch, w->path) == -1 ||
	    worker_values_ask(w) == -1) {
		log_warn("%s[%d]: asking FCGI_GET_VALUES", w->app->conf->name,
		    (int)w->pid);
		wchan_close(&w->ch);
		return;
	}
	wchan_send(&w->ch);
}

struct worker *
worker_spawn(struct pool_app *a)
{
	struct master		*m = a->m;
	struct conf_app		*app = a->conf;
	struct sockaddr_un	 sun;
	struct spawn_req	 sr;
	struct child_env	 env;
	struct worker		*w;
	char			**argv = NULL, *dir = NULL;
	size_t			 nargs = 0, i;
	int			 lfd = -1, out[2] = { -1, -1 }, n;
	pid_t			 pid;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s: worker", app->name);
		a->ops->backoff(a);
		return NULL;
	}
	child_env_init(&env);
	w->app = a;
	n = snprintf(w->path, sizeof(w->path), "%s/w%u", a->p->dir,
	    ++a->p->serial);
	if (n < 0 || (size_t)n >= sizeof(w->path)) {
		log_warnx("%s: socket path too long", app->name);
		free(w);
		return NULL;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, w->path, strlen(w->path) + 1);
	unlink(w->path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, POOL_BACKLOG) == -1) {
		log_warn("%s: worker socket %s", app->name, w->path);
		goto fail;
	}
	if (pipe2(out, O_CLOEXEC) == -1 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) == -1) {
		log_warn("%s: worker output pipe", app->name);
		goto fail;
	}
	for (nargs = 0; app->args != NULL && app->args[nargs] != NULL; nargs++)
		;
	if ((argv = calloc(nargs + 2, sizeof(*argv))) == NULL ||
	    child_env_base(&env, app) == -1) {
		log_warn("%s: worker", app->name);
		goto fail;
	}
	argv[0] = app->command;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = app->args[i];
	if (app->root == NULL && (dir = child_dir(app->command)) == NULL)
		goto fail;
	memset(&sr, 0, sizeof(sr));
	sr.path = app->command;
	sr.argv = argv;
	sr.envp = env.v;
	sr.cwd = app->root != NULL ? app->root : dir;
	sr.fd_in = lfd;		/* FCGI_LISTENSOCK_FILENO */
	sr.fd_out = out[1];
	sr.fd_err = out[1];
	sr.new_pgrp = 1;
	sr.set_ids = app->user != NULL || app->group != NULL;
	sr.uid = app->uid;
	sr.gid = app->gid;
	sr.limits = app->limits;
	sr.filter = filter_for(app->syscall_filter);
	sr.sandbox = a->sb;
	/* A worker must not outlive a ferryd that was killed: it would
	   wait in accept for good. */
	sr.death_sig = SIGTERM;
	if (cgroup_proc_open(&w->cg, app) == -1) {
		log_warn("%s: worker cgroup", app->name);
		goto fail;
	}
	sr.cgroup_fds = w->cg.fds;
	sr.ncgroup_fds = w->cg.nfds;
	notif_prepare(m, &sr);
	pid = spawn_process(&sr);
	notif_take(m, pid, app->name, app->stats);
	cgroup_proc_spawned(&w->cg);
	if (pid == -1) {
		log_warn("%s: cannot start %s", app->name, app->command);
		goto fail;
	}
	free(argv);
	free(dir);
	child_env_free(&env);
	close(lfd);		/* the worker holds it now */
	close(out[1]);

	w->pid = pid;
	w->born = ev_now(m->loop);
	w->state = WORKER_STARTING;
	if (app->stats != NULL) {
		app->stats->spawns++;
		app->stats->workers[WORKER_STARTING]++;
	}
	w->next = a->workers;
	a->workers = w;
	reap_start(m, &w->child, pid, worker_child_cb);
	child_log_init(&w->log, m->loop, out[0], app->name, pid, 1, NULL,
	    NULL);
	child_log_init(&w->errlog, m->loop, -1, app->name, pid, 1, NULL,
	    NULL);
	ev_init(&w->timer, worker_timer_cb);
	wchan_init(&w->ch, m->loop, &worker_ch_ops, w);
	fcgireq_init(&w->req, &w->ch, app, pid, &worker_req_ops, w);
	log_info("%s[%d]: worker started", app->name, (int)pid);
	worker_ask_values(w);
	worker_timer(w, POOL_READY_TIMEOUT);
	return w;

fail:
	free(argv);
	free(dir);
	child_env_free(&env);
	if (lfd != -1)
		close(lfd);
	if (out[0] != -1) {
		close(out[0]);
		close(out[1]);
	}
	unlink(w->path);
	cgroup_proc_end(&w->cg, m->loop, app->name, 0);
	free(w);
	a->ops->backoff(a);
	log_warnx("%s: next start in %.1f s", app->name, a->backoff);
	return NULL;
}

/*
 * The worker answered GET_VALUES, refused it, or kept silent.  A silent
 * one keeps the connection (keep_channel): a late answer still arrives
 * on it, and its first request goes there (a worker serves one
 * connection at a time, so a new one would wait behind it).
 */
static void
worker_ready(struct worker *w, int keep_channel)
{
	struct pool_app	*a = w->app;

	if (!keep_channel)
		wchan_close(&w->ch);
	worker_timer(w, 0);
	worker_set_state(w, WORKER_IDLE);
	log_debug("%s[%d]: ready%s%s", a->conf->name, (int)w->pid,
	    w->req.extensions & FCGIREQ_EXT_CLOSE_NOTIFY ? ", close-notify" :
	    "", w->req.extensions & FCGIREQ_EXT_HIJACK ? ", hijack" : "");
	if (a->leaving != NULL && a->queue.head == NULL)
		worker_kill(w, a->leaving);
	else {
		if (a->conf->min_workers < a->conf->max_workers)
			worker_timer(w, a->conf->idle_timeout);
		a->ops->next(a);
	}
	if (a->p->on_ready != NULL)
		a->p->on_ready(a->m);
}

static void
worker_values(struct worker *w, const uint8_t *body, size_t len)
{
	const char	*v;
	size_t		 vlen;

	if (fcgi_get_values_find(body, len, FERRY_EXTENSIONS, &v, &vlen) == 1) {
		if (fcgi_list_has(v, vlen, FERRY_EXT_CLOSE_NOTIFY))
			w->req.extensions |= FCGIREQ_EXT_CLOSE_NOTIFY;
		if (fcgi_list_has(v, vlen, FERRY_EXT_HIJACK))
			w->req.extensions |= FCGIREQ_EXT_HIJACK;
	}
	fcgireq_values(&w->req, body, len);
	w->app->extensions |= w->req.extensions;
	if (fcgi_get_values_find(body, len, FCGI_MPXS_CONNS, &v, &vlen) == 1)
		log_debug("%s[%d]: %s=%.*s", w->app->conf->name, (int)w->pid,
		    FCGI_MPXS_CONNS, (int)vlen, v);
}

/* Requests: their records are fcgireq.c's. */

/* Starts c's request on idle worker w.  Returns 0 (also when the request
   was answered with an error), -1 when w cannot be reached (w is being
   replaced), or WORKER_RUN_SHORT when the master lacks an fd or memory to
   reach it (w stays); c is left as it was in both. */
int
worker_run(struct worker *w, struct conn *c)
{
	struct pool_app	*a = w->app;
	struct pool_retry *r;
	unsigned int	 retries = 0;
	char		*replay = NULL;
	size_t		 replay_len = 0;
	int		 reused;
	double		 t;

	reused = wchan_is_open(&w->ch);
	if (!reused && wchan_connect(&w->ch, w->path) == -1) {
		if (util_short(errno)) {
			/* Our shortage, not the worker's fault. */
			log_debug("%s[%d]: connecting to the worker: %s",
			    a->conf->name, (int)w->pid, strerror(errno));
			return WORKER_RUN_SHORT;
		}
		log_warn("%s[%d]: connecting to the worker", a->conf->name,
		    (int)w->pid);
		w->refused = 1;
		worker_kill(w, "its socket refuses connections");
		return -1;
	}
	child_log_discard(&w->errlog);
	if ((r = a->ops->retry_take(a, c)) != NULL) {
		retries = r->n;
		replay = r->body;
		replay_len = r->len;
		free(r);
	}
	if (a->conf->isolation_request || (a->conf->max_requests > 0 &&
	    w->nserved + 1 >= a->conf->max_requests))
		w->doomed = 1;
	worker_set_state(w, WORKER_BUSY);
	t = a->conf->request_timeout;
	worker_timer(w, t);
	if (fcgireq_start(&w->req, c, reused, retries, replay,
	    replay_len) == -1) {
		worker_timer(w, 0);
		worker_after_request(w);
	}
	return 0;
}

static void
worker_ch_drained(void *arg)
{
	struct worker	*w = arg;

	fcgireq_drained(&w->req);
}

static void
worker_ch_idle(void *arg)
{
	struct worker	*w = arg;

	fcgireq_idle(&w->req);
}

/* Records of no request are the worker's (GET_VALUES); the others go to
   the request. */
static void
worker_ch_record(void *arg, uint8_t type, uint16_t id, const uint8_t *content,
    size_t len)
{
	struct worker	*w = arg;

	if (id != FCGI_NULL_REQUEST_ID || type == FERRY_HIJACK) {
		fcgireq_record(&w->req, type, id, content, len);
		return;
	}
	if (type == FCGI_GET_VALUES_RESULT) {
		w->values_known = 1;
		worker_values(w, content, len);
		if (w->state == WORKER_STARTING)
			worker_ready(w, 0);
	} else if (type == FCGI_UNKNOWN_TYPE)
		log_debug("%s[%d]: FCGI_UNKNOWN_TYPE", w->app->conf->name,
		    (int)w->pid);
}

static void
worker_req_errout(void *arg, const char *p, size_t len)
{
	struct worker	*w = arg;

	if (len > 0) {
		child_log_feed(&w->errlog, p, len);
		return;
	}
	child_log_flush(&w->errlog);
}

/* END_REQUEST: the worker is free again. */
static void
worker_req_served(void *arg)
{
	struct worker	*w = arg;

	worker_timer(w, 0);
	cgroup_proc_forks(&w->cg, w->app->conf->name, w->pid);
	w->nserved++;
	w->app->backoff = 0;
	if (w->req.gone_at != 0)
		worker_gone_done(w, "reused");
	worker_after_request(w);
}

/* A request left the worker: back to idle, or replaced. */
static void
worker_after_request(struct worker *w)
{
	struct pool_app	*a = w->app;
	char		 why[64];

	if (w->exited) {
		wchan_close(&w->ch);
		worker_free(w);
		a->ops->next(a);
		return;
	}
	if (w->state == WORKER_STOPPING)
		return;
	if (a->conf->isolation_request) {
		worker_retire(w, "isolation = request: one request per worker",
		    FERRY_RETIRE_RECYCLE);
	} else if (a->conf->max_requests > 0 &&
	    w->nserved >= a->conf->max_requests) {
		snprintf(why, sizeof(why), "served %u requests (max_requests)",
		    w->nserved);
		worker_retire(w, why, FERRY_RETIRE_RECYCLE);
	} else if (a->leaving != NULL && a->queue.head == NULL) {
		worker_retire(w, a->leaving, a->leave_reason);
	} else {
		w->doomed = 0;
		worker_set_state(w, WORKER_IDLE);
		if (a->conf->min_workers < a->conf->max_workers)
			worker_timer(w, a->conf->idle_timeout);
	}
	a->ops->next(a);
}

/* The channel ended without our asking. */
static void
worker_ch_closed(void *arg, const char *why)
{
	struct worker	*w = arg;
	int		 replay;

	if (w->state == WORKER_STARTING) {
		log_debug("%s[%d]: %s before answering FCGI_GET_VALUES",
		    w->app->conf->name, (int)w->pid, why);
		worker_ready(w, 0);
		return;
	}
	if (!fcgireq_running(&w->req)) {
		if (w->exited)
			worker_after_request(w);
		return;		/* the worker did not keep the connection */
	}
	worker_timer(w, 0);
	replay = fcgireq_replayable(&w->req, w->nserved > 0);
	if (!w->exited && replay != FCGIREQ_REPLAY_NO && !worker_listening(w)) {
		/* Its socket is gone: the process is ending.  Whether the
		   request may go again, its exit status tells: wait. */
		log_debug("%s[%d]: %s; awaiting its exit before replaying",
		    w->app->conf->name, (int)w->pid, why);
		w->verdict = 1;
		worker_set_state(w, WORKER_STOPPING);
		worker_timer(w, pool_kill_grace(w->app->m));
		w->app->ops->adjust(w->app);
		return;
	}
	fcgireq_closed(&w->req, why, w->nserved > 0, worker_fate(w));
}

/* 1 unless w's listening socket is known gone (connecting is refused):
   then its process is ending.  A probe that cannot be made says 1. */
static int
worker_listening(struct worker *w)
{
	struct sockaddr_un	 sun;
	int			 fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, w->path, strlen(w->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return 1;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (r == -1 && (errno == ECONNREFUSED || errno == ENOENT)) {
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

/* What became of w, for a request its channel dropped. */
static enum fcgireq_worker
worker_fate(struct worker *w)
{
	if (!w->exited)
		return FCGIREQ_WORKER_LIVES;
	if (w->killing || !WIFEXITED(w->status) || WEXITSTATUS(w->status) != 0)
		return FCGIREQ_WORKER_DIED;
	return FCGIREQ_WORKER_EXITED;
}

/* The worker dropped the request unread: c goes back to the queue. */
static void
worker_req_retry(void *arg, struct conn *c)
{
	struct worker	*w = arg;

	w->app->ops->retry(w->app, w, c);
	if (!w->exited && !w->req.reused) {
		/* A fresh connection dropped: the worker is broken or on its
		   way out. */
		worker_kill(w, "dropped a request");
		w->app->ops->next(w->app);
	} else
		worker_after_request(w);
}

/* The channel failed under a request. */
static void
worker_req_lost(void *arg, const char *why)
{
	struct worker	*w = arg;

	worker_timer(w, 0);
	if (w->exited) {
		worker_after_request(w);
		return;
	}
	worker_req_kill(w, why);
}

static void
worker_req_kill(void *arg, const char *why)
{
	struct worker	*w = arg;

	worker_kill(w, why);
	w->app->ops->next(w->app);
}

/* FCGI_ABORT_REQUEST went out: its END_REQUEST is awaited. */
static void
worker_req_aborting(void *arg)
{
	struct worker	*w = arg;

	worker_set_state(w, WORKER_ABORTING);
	worker_timer(w, pool_kill_grace(w->app->m));
}

/* Logs and counts the time from the client's leaving to the worker's
   reuse or exit. */
static void
worker_gone_done(struct worker *w, const char *what)
{
	struct pool	*p = w->app->p;
	double		 t = ev_now(w->app->m->loop) - w->req.gone_at;

	p->ngone++;
	p->gone_time += t;
	if (w->app->conf->stats != NULL)
		stats_observe(&w->app->conf->stats->gone_free, t);
	log_info("%s[%d]: %s %.3f s after its client left", w->app->conf->name,
	    (int)w->pid, what, t);
	w->req.gone_at = 0;
}

void
worker_retire(struct worker *w, const char *why, uint8_t reason)
{
	struct pool_app	*a = w->app;
	double		 grace = a->conf->hijack_grace;
	double		 stop = a->m->conf->shutdown_timeout;

	if (w->req.handed == 0 || w->exited || fcgireq_running(&w->req)) {
		worker_kill(w, why);
		return;
	}
	if (w->state == WORKER_RETIRING || w->state == WORKER_STOPPING ||
	    w->state == WORKER_DEAD)
		return;
	if (reason == FERRY_RETIRE_STOP && (grace == 0 || stop < grace))
		grace = stop;
	w->doomed = 1;		/* its replacement starts now */
	w->retired_at = ev_now(a->m->loop);
	worker_set_state(w, WORKER_RETIRING);
	worker_timer(w, grace);	/* 0: no limit */
	if (grace > 0)
		log_info("%s[%d]: retired (%s): it took %u client sockets; "
		    "stopped in %.1f s unless it ends first", a->conf->name,
		    (int)w->pid, why, w->req.handed, grace);
	else
		log_info("%s[%d]: retired (%s): it took %u client sockets; "
		    "it ends when it is done with them", a->conf->name,
		    (int)w->pid, why, w->req.handed);
	worker_retire_tell(w, reason, grace);
	a->ops->adjust(a);
}

/* Sends FERRY_RETIRE on w's channel (connecting it if needed).  A worker
   that cannot be told is still retired: its grace still ends it. */
static void
worker_retire_tell(struct worker *w, uint8_t reason, double grace)
{
	uint8_t		 rec[FERRY_RETIRE_LEN];
	uint32_t	 ms = FERRY_RETIRE_NO_LIMIT;

	if (grace > 0)
		ms = grace * 1000 >= FERRY_RETIRE_NO_LIMIT ?
		    FERRY_RETIRE_NO_LIMIT - 1 : (uint32_t)(grace * 1000);
	fcgi_retire_encode(rec, reason, ms);
	/* wchan_record frames the content itself. */
	if ((!wchan_is_open(&w->ch) && wchan_connect(&w->ch, w->path) == -1) ||
	    wchan_record(&w->ch, FERRY_RETIRE, FCGI_NULL_REQUEST_ID,
	    rec + FCGI_HEADER_LEN, FERRY_RETIRE_CONTENT) == -1) {
		log_warn("%s[%d]: telling the worker it is retired",
		    w->app->conf->name, (int)w->pid);
		return;
	}
	wchan_send(&w->ch);
}

/* SIGTERM to the worker's process group, SIGKILL after kill_grace; the
   exit is reaped by worker_child_cb, which starts a replacement. */
void
worker_kill(struct worker *w, const char *why)
{
	fcgireq_drop(&w->req, 502);
	wchan_close(&w->ch);
	if (w->exited || w->state == WORKER_DEAD)
		return;
	if (!child_kill(w->pid, &w->killing, w->app->conf->name, "stopping",
	    why))
		return;
	worker_set_state(w, WORKER_STOPPING);
	worker_timer(w, pool_kill_grace(w->app->m));
}

static void
worker_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = container_of(t, struct worker, timer);
	struct pool_app	*a = w->app;
	double		 left;

	switch (w->state) {
	case WORKER_STARTING:
		log_info("%s[%d]: no answer to FCGI_GET_VALUES within %.1f s: "
		    "a legacy worker until it answers", a->conf->name,
		    (int)w->pid, POOL_READY_TIMEOUT);
		worker_ready(w, 1);
		break;
	case WORKER_IDLE:
		if (a->ops->live(a, NULL) > (unsigned int)a->conf->min_workers)
			worker_retire(w, "idle_timeout", FERRY_RETIRE_IDLE);
		else
			worker_timer(w, a->conf->idle_timeout);
		break;
	case WORKER_BUSY:
		/* Time spent waiting on a slow client is not the app's. */
		if (w->req.c != NULL && (left = a->conf->request_timeout -
		    conn_app_time(w->req.c)) > 0.001) {
			worker_timer(w, left);
			break;
		}
		log_warnx("%s[%d]: no response within the request timeout",
		    a->conf->name, (int)w->pid);
		fcgireq_fail(&w->req, 504);
		worker_kill(w, "request timeout");
		a->ops->next(a);
		break;
	case WORKER_ABORTING:
		log_warnx("%s[%d]: FCGI_ABORT_REQUEST not answered within "
		    "%.1f s", a->conf->name, (int)w->pid, pool_kill_grace(a->m));
		worker_kill(w, "abort not answered");
		a->ops->next(a);
		break;
	case WORKER_RETIRING:
		log_warnx("%s[%d]: still holds hijacked sockets at the end of "
		    "its grace", a->conf->name, (int)w->pid);
		worker_kill(w, "hijack_grace is over");
		a->ops->next(a);
		break;
	case WORKER_STOPPING:
		if (w->exited) {
			/* Exited mid-request, and its channel did not end
			   within the request's time. */
			log_warnx("%s[%d]: channel still open after the "
			    "worker's exit", a->conf->name, (int)w->pid);
			fcgireq_drop(&w->req, 504);
			wchan_close(&w->ch);
			worker_free(w);
			a->ops->next(a);
			break;
		}
		if (w->verdict && !w->killing) {
			/* Its socket went, its exit did not come. */
			log_warnx("%s[%d]: no exit within %.1f s of its socket "
			    "closing: SIGKILL", a->conf->name, (int)w->pid,
			    pool_kill_grace(a->m));
			w->killing = 1;
			kill(-w->pid, SIGKILL);
			break;
		}
		child_kill_late(w->pid, a->conf->name);
		break;
	case WORKER_DEAD:
		worker_free(w);
		break;
	}
}

static void
worker_child_cb(struct reap_watch *cw, int st, const struct rusage *ru)
{
	struct worker	*w = container_of(cw, struct worker, child);
	struct pool_app	*a = w->app;
	struct master	*m = a->m;
	struct ev_loop	*loop = m->loop;
	double		 lived = ev_now(loop) - w->born;
	int		 failed_start;
	const char	*cause = cgroup_proc_cause(&w->cg,
			    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	const char	*limit = WIFSIGNALED(st) ?
			    child_signal_cause(WTERMSIG(st), ru,
			    a->conf->limits) : "";

	w->exited = 1;
	w->status = st;
	kill(-w->pid, SIGKILL);		/* what it left in its group */
	cgroup_proc_end(&w->cg, loop, a->conf->name, w->pid);
	child_log_drain(&w->log);
	child_log_close(&w->log);
	failed_start = (!w->killing || w->refused) && w->nserved == 0 &&
	    lived < POOL_START_FAIL && w->state != WORKER_RETIRING;
	if (a->conf->stats != NULL) {
		a->conf->stats->exits++;
		/* A crash: a signal not ours, or a failure unasked. */
		a->conf->stats->crashes += WIFSIGNALED(st) ?
		    (WTERMSIG(st) != SIGTERM && WTERMSIG(st) != SIGKILL) ||
		    !w->killing : WEXITSTATUS(st) != 0 && !w->killing &&
		    w->state != WORKER_RETIRING;
		a->conf->stats->hijacked_held -= w->req.handed;
	}
	/* A worker a limit killed is said to be so, also when its
	   channel broke first and ferryd was stopping it already. */
	if (w->killing && *cause == '\0' && *limit == '\0')
		log_info("%s[%d]: worker stopped", a->conf->name, (int)w->pid);
	else if (w->state == WORKER_RETIRING)
		log_info("%s[%d]: retired worker exited (status %d) %.2f s "
		    "after its retirement", a->conf->name, (int)w->pid,
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
		    ev_now(loop) - w->retired_at);
	else if (WIFSIGNALED(st))
		log_warnx("%s[%d]: worker killed by signal %d%s%s after "
		    "%.2f s", a->conf->name, (int)w->pid, WTERMSIG(st),
		    limit, cause, lived);
	else
		log_warnx("%s[%d]: worker exited with status %d after %.2f s",
		    a->conf->name, (int)w->pid, WEXITSTATUS(st), lived);
	if (w->req.gone_at != 0)
		worker_gone_done(w, "exited");
	if (failed_start && !m->stopping) {
		a->ops->backoff(a);
		log_warnx("%s: worker exited %.2f s after its start: next "
		    "start in %.1f s", a->conf->name, lived, a->backoff);
	} else if (lived > POOL_BACKOFF_RESET)
		a->backoff = 0;
	if (w->verdict) {
		/* Its channel closed under a request that may go again,
		   unless this exit says the request killed it. */
		w->verdict = 0;
		fcgireq_closed(&w->req, "exited", w->nserved > 0,
		    worker_fate(w));
		return;
	}
	/* A request still running reads the channel to its end first. */
	if (fcgireq_running(&w->req) && wchan_is_open(&w->ch)) {
		worker_set_state(w, WORKER_STOPPING);
		if (!ev_is_active(&w->timer))
			worker_timer(w, pool_kill_grace(m));
		a->ops->adjust(a);
		return;
	}
	worker_kill(w, "exited");	/* a client still attached gets 502 */
	worker_free(w);
	a->ops->next(a);
}

/* Forgets a reaped worker.  Inside a channel callback the struct must
   outlive the call: it is freed from the loop, by its timer. */
static void
worker_free(struct worker *w)
{
	struct pool_app	*a = w->app;
	struct master	*m = a->m;
	struct worker	**pp;

	if (w->state != WORKER_DEAD) {
		worker_set_state(w, WORKER_DEAD);
		reap_stop(m, &w->child);
		wchan_close(&w->ch);
		worker_timer(w, 0);
		ev_timer_set(&w->timer, 0, 0);
		ev_timer_start(m->loop, &w->timer);
		return;
	}
	ev_timer_stop(m->loop, &w->timer);
	for (pp = &a->workers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	fcgireq_body_drop(&w->req);
	wchan_free(&w->ch);
	unlink(w->path);
	free(w);
}
