/*
 * FastCGI pool apps: worker processes, their supervision, and the
 * requests they run.
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
 * Retries.  libfcgi keeps the last request id across a kept connection
 * and takes a late record of that id (the empty STDIN it stopped short
 * of) for a protocol error at its next accept: it then drops the
 * connection with our next request unread.  SIOCOUTQ at END_REQUEST
 * cannot tell this apart from a clean read (the worker may read the
 * record right after END_REQUEST), and a worker exiting between
 * requests (max requests of php-cgi) does the same.  So a request that a
 * worker dropped before sending anything back, on a reused connection
 * or from a worker that had served before, goes back to the head of the
 * queue, at most POOL_RETRIES times, its body replayed from a copy
 * (bodies up to POOL_REPLAY_MAX only).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol/cgienv.h"
#include "protocol/fcgi.h"
#include "server/conn.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master.h"
#include "server/pool.h"
#include "server/spawn.h"
#include "server/wchan.h"

#define WORKER_EXT_CLOSE_NOTIFY	0x01	/* FERRY_EXTENSIONS words */
#define WORKER_EXT_HIJACK	0x02

enum worker_state {
	WORKER_STARTING,	/* spawned; GET_VALUES asked */
	WORKER_IDLE,		/* ready for a request */
	WORKER_BUSY,		/* a request runs (its client may be gone) */
	WORKER_ABORTING,	/* ABORT_REQUEST sent; END_REQUEST awaited */
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
	ev_child		 child;
	ev_io			 log_r;		/* stdout and stderr */
	ev_timer		 timer;		/* what the state waits for */
	struct wchan		 ch;

	struct conn		*c;		/* client; NULL once detached */
	int			 active;	/* a request runs on ch */
	uint16_t		 reqid;		/* of the request running */
	int			 stdin_done;	/* its empty STDIN was queued */
	int			 stdin_body;	/* body bytes went before it */
	int			 stdout_done;	/* its empty STDOUT arrived */
	size_t			 notify_tail;	/* CLOSE_NOTIFY bytes queued
						   after the end of STDIN */
	int			 hijacking;	/* HIJACK accepted, socket not
						   handed over yet */
	int			 hijacked;	/* the request's client socket
						   went to the worker */
	int			 spill_eof;	/* spilled body read to its end */
	ev_tstamp		 gone_at;	/* client left; 0: not */

	ev_tstamp		 born;
	unsigned int		 nserved;
	int			 doomed;	/* stop after this request */
	int			 extensions;	/* WORKER_EXT_* */
	int			 values_known;	/* GET_VALUES was answered */
	int			 killing;	/* SIGTERM sent */
	int			 refused;	/* its socket refused us */
	int			 reused;	/* the request went on a kept
						   connection */
	int			 answered;	/* a record of it came back */
	unsigned int		 retries;	/* of the request running */
	char			*copy;		/* body bytes sent, for a retry */
	size_t			 copy_len;
	int			 copy_over;	/* too large, or spilled: none */
	char			*replay;	/* copy from a failed try: sent
						   before the rest of the body */
	size_t			 replay_len, replay_off;
	int			 exited;
	int			 status;

	char			 outline[POOL_LOG_LINE];	/* fd 1 and 2 */
	size_t			 outlen;
	char			 errline[POOL_LOG_LINE];	/* FCGI_STDERR */
	size_t			 errlen;
};

/* A request going back to the queue after a worker dropped it. */
struct pool_retry {
	struct pool_retry	*next;
	struct conn		*c;
	unsigned int		 n;		/* tries failed so far */
	char			*body;		/* body bytes already consumed */
	size_t			 len;
};

struct pool_app {
	struct master		*m;
	struct pool		*p;
	struct conf_app		*conf;
	struct worker		*workers;
	struct conn_queue	 queue;		/* waiting requests */
	ev_timer		 respawn;	/* back-off after failed starts */
	double			 backoff;
	struct pool_retry	*retries;	/* of requests in the queue */
	int			 extensions;	/* WORKER_EXT_* its workers
						   announced */
};

struct pool {
	char			 dir[PATH_MAX];	/* private socket directory */
	int			 have_dir;
	struct pool_app		*apps;		/* one per conf app */
	size_t			 napps;
	unsigned int		 serial;	/* socket names */
	unsigned int		 ngone;		/* clients gone mid-request */
	double			 gone_time;	/* their total time to reuse
						   or exit of the worker */
};

/* A growable byte buffer for PARAMS. */
struct pool_buf {
	uint8_t	*p;
	size_t	 len, cap;
};

static const char *worker_state_name(enum worker_state);
static void	worker_set_state(struct worker *, enum worker_state);
static void	worker_timer(struct worker *, double);
static struct worker *worker_spawn(struct pool_app *);
static int	worker_run(struct worker *, struct conn *);
static void	worker_ready(struct worker *, int);
static void	worker_pump_stdin(struct worker *);
static void	worker_stdin_queue(struct worker *, struct conn *);
static int	worker_stdin_ready(struct worker *, struct conn *);
static void	worker_body_copy(struct worker *, const char *, size_t);
static void	worker_end_request(struct worker *, uint8_t);
static void	worker_after_request(struct worker *);
static void	worker_kill(struct worker *, const char *);
static void	worker_gone_done(struct worker *, const char *);
static void	worker_free(struct worker *);
static void	worker_log_line(struct worker *, const char *, size_t);
static void	worker_child_cb(struct ev_loop *, ev_child *, int);
static void	worker_log_cb(struct ev_loop *, ev_io *, int);
static void	worker_timer_cb(struct ev_loop *, ev_timer *, int);
static void	worker_log_drain(struct worker *);
static void	pool_app_adjust(struct pool_app *);
static void	pool_next(struct pool_app *);
static void	pool_respawn_cb(struct ev_loop *, ev_timer *, int);
static struct worker *pool_idle_worker(struct pool_app *);
static unsigned int pool_live(struct pool_app *, unsigned int *);
static void	pool_retry(struct pool_app *, struct worker *, struct conn *);
static struct pool_retry *pool_retry_take(struct pool_app *, struct conn *);
static void	worker_body_drop(struct worker *);

static void	pool_ch_record(void *, uint8_t, uint16_t, const uint8_t *,
		    size_t);
static void	pool_ch_idle(void *);
static void	pool_ch_drained(void *);
static void	pool_ch_closed(void *, const char *);

static void	pool_body_ready(void *);
static void	pool_output_resume(void *);
static void	pool_detach(void *, const char *);
static void	pool_unqueue(struct conn *);
static void	pool_pipelined(void *);
static void	pool_hijacked(void *, int, const char *, size_t);
static void	worker_notify(struct worker *, uint8_t);
static void	worker_hijack(struct worker *, uint16_t);
static void	worker_hijack_refuse(struct worker *, uint16_t, const char *);

static const struct wchan_ops pool_ch_ops = {
	pool_ch_record, pool_ch_idle, pool_ch_drained, pool_ch_closed
};

static const struct conn_app_ops pool_ops = {
	pool_body_ready, pool_output_resume, pool_detach, pool_unqueue,
	pool_pipelined, pool_hijacked
};

static const char *
worker_state_name(enum worker_state s)
{
	switch (s) {
	case WORKER_STARTING:	return "starting";
	case WORKER_IDLE:	return "idle";
	case WORKER_BUSY:	return "busy";
	case WORKER_ABORTING:	return "aborting";
	case WORKER_STOPPING:	return "stopping";
	case WORKER_DEAD:	return "dead";
	}
	return "unknown";
}

static void
worker_set_state(struct worker *w, enum worker_state s)
{
	if (w->state == s)
		return;
	log_debug("%s[%d]: %s -> %s", w->app->conf->name, (int)w->pid,
	    worker_state_name(w->state), worker_state_name(s));
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

static double
pool_kill_grace(struct master *m)
{
	return m->conf->kill_grace > 0 ? m->conf->kill_grace :
	    CONF_DEFAULT_KILL_GRACE;
}

int
pool_init(struct master *m)
{
	struct pool	*p;
	struct pool_app	*a;
	const char	*tmp;
	char		 err[256];
	size_t		 i, nfcgi = 0;
	int		 j, n;

	for (i = 0; i < m->conf->napps; i++) {
		if (m->conf->apps[i].type != CONF_APP_FASTCGI)
			continue;
		nfcgi++;
		if (conf_app_ids_check(&m->conf->apps[i], err,
		    sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
	}
	if (nfcgi == 0)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->apps = calloc(m->conf->napps, sizeof(*p->apps))) == NULL) {
		free(p);
		log_warn("pool");
		return -1;
	}
	p->napps = m->conf->napps;
	m->pool = p;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp != '/')
		tmp = "/tmp";
	n = snprintf(p->dir, sizeof(p->dir), "%s/ferry-XXXXXX", tmp);
	/* Room for "/w" and ten digits in a sun_path. */
	if (n < 0 || (size_t)n + 13 > sizeof(((struct sockaddr_un *)0)->sun_path)) {
		log_warnx("TMPDIR %s: too long for worker socket paths", tmp);
		return -1;
	}
	if (mkdtemp(p->dir) == NULL) {	/* mode 0700 */
		log_warn("%s", p->dir);
		return -1;
	}
	p->have_dir = 1;
	log_debug("worker sockets in %s", p->dir);
	for (i = 0; i < p->napps; i++) {
		a = &p->apps[i];
		a->m = m;
		a->p = p;
		a->conf = &m->conf->apps[i];
		ev_init(&a->respawn, pool_respawn_cb);
		if (a->conf->type != CONF_APP_FASTCGI)
			continue;
		for (j = 0; j < a->conf->workers; j++)
			if (worker_spawn(a) == NULL)
				return -1;
	}
	return 0;
}

void
pool_fini(struct master *m)
{
	struct pool	*p = m->pool;
	struct pool_app	*a;
	struct worker	*w;
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	double		 waited = 0, grace = pool_kill_grace(m);
	size_t		 i;
	int		 left, st;
	pid_t		 r;

	if (p == NULL)
		return;
	for (i = 0; i < p->napps; i++) {
		a = &p->apps[i];
		ev_timer_stop(m->loop, &a->respawn);
		for (w = a->workers; w != NULL; w = w->next) {
			ev_child_stop(m->loop, &w->child);
			ev_timer_stop(m->loop, &w->timer);
			wchan_close(&w->ch);
			if (!w->exited)
				kill(-w->pid, SIGTERM);
		}
	}
	/* The loop has ended: reap synchronously, within the grace. */
	for (;;) {
		left = 0;
		for (i = 0; i < p->napps; i++)
			for (w = p->apps[i].workers; w != NULL; w = w->next) {
				if (w->exited)
					continue;
				r = waitpid(w->pid, &st, WNOHANG);
				if (r == w->pid || (r == -1 && errno != EINTR)) {
					w->exited = 1;
					kill(-w->pid, SIGKILL);
				} else
					left++;
			}
		if (left == 0 || waited >= grace)
			break;
		nanosleep(&ts, NULL);
		waited += 0.01;
	}
	for (i = 0; i < p->napps; i++) {
		struct pool_retry	*rt;

		a = &p->apps[i];
		while ((rt = a->retries) != NULL) {
			a->retries = rt->next;
			free(rt->body);
			free(rt);
		}
		while ((w = a->workers) != NULL) {
			a->workers = w->next;
			worker_body_drop(w);
			if (!w->exited) {
				log_warnx("%s[%d]: still running after "
				    "SIGTERM: SIGKILL", a->conf->name,
				    (int)w->pid);
				kill(-w->pid, SIGKILL);
				while (waitpid(w->pid, &st, 0) == -1 &&
				    errno == EINTR)
					;
			}
			worker_log_drain(w);
			ev_io_stop(m->loop, &w->log_r);
			if (w->log_r.fd != -1)
				close(w->log_r.fd);
			wchan_free(&w->ch);
			unlink(w->path);
			free(w);
		}
	}
	if (p->have_dir && rmdir(p->dir) == -1)
		log_warn("%s", p->dir);
	if (p->ngone > 0)
		log_info("pool: %u requests lost their client; %.3f s on "
		    "average until the worker was free", p->ngone,
		    p->gone_time / p->ngone);
	free(p->apps);
	free(p);
	m->pool = NULL;
}

void
pool_stop(struct master *m)
{
	struct pool	*p = m->pool;
	struct worker	*w, *next;
	size_t		 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->napps; i++) {
		ev_timer_stop(m->loop, &p->apps[i].respawn);
		for (w = p->apps[i].workers; w != NULL; w = next) {
			next = w->next;
			if (w->state == WORKER_STARTING ||
			    w->state == WORKER_IDLE)
				worker_kill(w, "shutting down");
		}
	}
}

unsigned int
pool_running(struct master *m)
{
	struct pool	*p = m->pool;
	struct worker	*w;
	unsigned int	 n = 0;
	size_t		 i;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->napps; i++)
		for (w = p->apps[i].workers; w != NULL; w = w->next)
			if (w->state != WORKER_DEAD)
				n++;
	return n;
}

/* Workers that are not doomed and not going; *starting counts those not
   ready yet. */
static unsigned int
pool_live(struct pool_app *a, unsigned int *starting)
{
	struct worker	*w;
	unsigned int	 n = 0, s = 0;

	for (w = a->workers; w != NULL; w = w->next) {
		if (w->doomed || w->state == WORKER_STOPPING ||
		    w->state == WORKER_DEAD)
			continue;
		n++;
		if (w->state == WORKER_STARTING)
			s++;
	}
	if (starting != NULL)
		*starting = s;
	return n;
}

static struct worker *
pool_idle_worker(struct pool_app *a)
{
	struct worker	*w;

	for (w = a->workers; w != NULL; w = w->next)
		if (w->state == WORKER_IDLE)
			return w;
	return NULL;
}

/* Spawns what the app lacks: min_workers, and for waiting requests more
   up to max_workers; nothing while stopping or backing off. */
static void
pool_app_adjust(struct pool_app *a)
{
	unsigned int	 live, starting;

	if (a->m->stopping || ev_is_active(&a->respawn))
		return;
	for (;;) {
		live = pool_live(a, &starting);
		if (live < (unsigned int)a->conf->min_workers ||
		    (a->queue.n > starting &&
		    live < (unsigned int)a->conf->max_workers)) {
			if (worker_spawn(a) == NULL)
				return;
			continue;
		}
		return;
	}
}

static void
pool_respawn_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pool_app	*a = container_of(w, struct pool_app, respawn);

	pool_app_adjust(a);
	pool_next(a);
}

/* A start failed: wait before the next one, doubling the delay. */
static void
pool_backoff(struct pool_app *a)
{
	a->backoff = a->backoff == 0 ? POOL_BACKOFF_MIN : a->backoff * 2;
	if (a->backoff > POOL_BACKOFF_MAX)
		a->backoff = POOL_BACKOFF_MAX;
	ev_timer_stop(a->m->loop, &a->respawn);
	ev_timer_set(&a->respawn, a->backoff, 0);
	ev_timer_start(a->m->loop, &a->respawn);
}

/* Waiting requests go to idle workers; then the pool grows if needed. */
static void
pool_next(struct pool_app *a)
{
	struct worker	*w;
	struct conn	*c;

	while (a->queue.head != NULL && (w = pool_idle_worker(a)) != NULL) {
		c = conn_queue_pop(&a->queue);
		if (worker_run(w, c) == -1)
			/* That worker is being replaced: c keeps its place. */
			conn_queue_push_front(&a->queue, c);
	}
	pool_app_adjust(a);
}

static struct pool_app *
pool_app_of(struct conn *c)
{
	struct master	*m = c->m;

	if (m->pool == NULL)
		return NULL;
	return &m->pool->apps[c->req.app - m->conf->apps];
}

void
pool_request(struct conn *c)
{
	struct pool_app	*a = pool_app_of(c);
	struct worker	*w;

	if (a == NULL) {
		conn_app_fail(c, 502);
		return;
	}
	while ((w = pool_idle_worker(a)) != NULL)
		if (worker_run(w, c) == 0) {
			pool_app_adjust(a);
			return;
		}
	if (a->queue.n >= a->conf->queue) {
		log_warnx("%s: every worker busy and %u requests waiting: 503",
		    a->conf->name, a->queue.n);
		conn_app_fail(c, 503);
		pool_app_adjust(a);
		return;
	}
	conn_app_attach(c, &pool_ops, NULL);
	conn_queue_push(&a->queue, c);
	c->state = CONN_QUEUED;
	pool_app_adjust(a);
}

int
pool_takes_raw_chunked(struct conn *c)
{
	struct pool_app	*a;

	if (c->req.app == NULL || c->req.app->type == CONF_APP_CGI ||
	    (a = pool_app_of(c)) == NULL)
		return 0;
	return (a->extensions & WORKER_EXT_HIJACK) != 0;
}

static void
pool_unqueue(struct conn *c)
{
	struct pool_app	*a;
	struct pool_retry *r;

	if (c->req.app == NULL || (a = pool_app_of(c)) == NULL)
		return;
	conn_queue_remove(&a->queue, c);
	if ((r = pool_retry_take(a, c)) != NULL) {
		free(r->body);
		free(r);
	}
}

/* Spawning. */

struct pool_env {
	char	*v[CGI_MAX_ENV + 2];
	size_t	 n;
};

static int
pool_env_add(struct pool_env *e, const char *name, const char *value)
{
	size_t	 nlen = strlen(name), vlen = strlen(value);
	char	*s;

	if (e->n >= CGI_MAX_ENV)
		return 0;
	if ((s = malloc(nlen + vlen + 2)) == NULL)
		return -1;
	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, value, vlen + 1);
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
	return 0;
}

static void
pool_env_free(struct pool_env *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

/* PATH and the names the app passes through from ferryd's environment:
   nothing else reaches a worker. */
static int
pool_build_env(struct conf_app *app, struct pool_env *e)
{
	const char	*path, *val;
	char		**p;

	e->n = 0;
	e->v[0] = NULL;
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	if (pool_env_add(e, "PATH", path) == -1)
		return -1;
	for (p = app->env; p != NULL && *p != NULL; p++) {
		if (strcmp(*p, "PATH") == 0 || (val = getenv(*p)) == NULL)
			continue;
		if (pool_env_add(e, *p, val) == -1)
			return -1;
	}
	return 0;
}

/* Queues the FCGI_GET_VALUES question on w's channel.  0 or -1. */
static int
worker_values_ask(struct worker *w)
{
	static const char *const names[] = {
		FCGI_MAX_CONNS, FCGI_MPXS_CONNS, FERRY_EXTENSIONS
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

static struct worker *
worker_spawn(struct pool_app *a)
{
	struct master		*m = a->m;
	struct conf_app		*app = a->conf;
	struct sockaddr_un	 sun;
	struct spawn_req	 sr;
	struct pool_env		 env;
	struct worker		*w;
	char			**argv = NULL, *dir = NULL, *slash;
	size_t			 nargs = 0, i;
	int			 lfd = -1, out[2] = { -1, -1 }, n;
	pid_t			 pid;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s: worker", app->name);
		pool_backoff(a);
		return NULL;
	}
	env.n = 0;
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
	    pool_build_env(app, &env) == -1) {
		log_warn("%s: worker", app->name);
		goto fail;
	}
	argv[0] = app->command;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = app->args[i];
	if (app->root == NULL) {
		if ((dir = strdup(app->command)) == NULL)
			goto fail;
		if ((slash = strrchr(dir, '/')) != NULL)
			*(slash == dir ? slash + 1 : slash) = '\0';
	}
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
	/* A worker must not outlive a ferryd that was killed: it would
	   wait in accept for good. */
	sr.death_sig = SIGTERM;
	pid = spawn_process(&sr);
	if (pid == -1) {
		log_warn("%s: cannot start %s", app->name, app->command);
		goto fail;
	}
	free(argv);
	free(dir);
	pool_env_free(&env);
	close(lfd);		/* the worker holds it now */
	close(out[1]);

	w->pid = pid;
	w->born = ev_now(m->loop);
	w->state = WORKER_STARTING;
	w->next = a->workers;
	a->workers = w;
	ev_child_init(&w->child, worker_child_cb, pid, 0);
	ev_child_start(m->loop, &w->child);
	ev_io_init(&w->log_r, worker_log_cb, out[0], EV_READ);
	ev_io_start(m->loop, &w->log_r);
	ev_init(&w->timer, worker_timer_cb);
	wchan_init(&w->ch, m->loop, &pool_ch_ops, w);
	log_info("%s[%d]: worker started", app->name, (int)pid);
	worker_ask_values(w);
	worker_timer(w, POOL_READY_TIMEOUT);
	return w;

fail:
	free(argv);
	free(dir);
	pool_env_free(&env);
	if (lfd != -1)
		close(lfd);
	if (out[0] != -1) {
		close(out[0]);
		close(out[1]);
	}
	unlink(w->path);
	free(w);
	pool_backoff(a);
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
	    w->extensions & WORKER_EXT_CLOSE_NOTIFY ? ", close-notify" : "",
	    w->extensions & WORKER_EXT_HIJACK ? ", hijack" : "");
	if (a->m->stopping && a->queue.head == NULL) {
		worker_kill(w, "shutting down");
		return;
	}
	if (a->conf->min_workers < a->conf->max_workers)
		worker_timer(w, a->conf->idle_timeout > 0 ?
		    a->conf->idle_timeout : CONF_DEFAULT_IDLE_TIMEOUT);
	pool_next(a);
	if (a->m->waiting_pools && pool_starting(a->m) == 0)
		master_pools_ready(a->m);
}

unsigned int
pool_starting(struct master *m)
{
	struct worker	*w;
	unsigned int	 n = 0;
	size_t		 i;

	if (m->pool == NULL)
		return 0;
	for (i = 0; i < m->pool->napps; i++)
		for (w = m->pool->apps[i].workers; w != NULL; w = w->next)
			if (w->state == WORKER_STARTING)
				n++;
	return n;
}

static void
worker_values(struct worker *w, const uint8_t *body, size_t len)
{
	const char	*v;
	size_t		 vlen;

	if (fcgi_get_values_find(body, len, FERRY_EXTENSIONS, &v, &vlen) == 1) {
		if (fcgi_list_has(v, vlen, FERRY_EXT_CLOSE_NOTIFY))
			w->extensions |= WORKER_EXT_CLOSE_NOTIFY;
		if (fcgi_list_has(v, vlen, FERRY_EXT_HIJACK))
			w->extensions |= WORKER_EXT_HIJACK;
	}
	w->app->extensions |= w->extensions;
	if (fcgi_get_values_find(body, len, FCGI_MPXS_CONNS, &v, &vlen) == 1)
		log_debug("%s[%d]: %s=%.*s", w->app->conf->name, (int)w->pid,
		    FCGI_MPXS_CONNS, (int)vlen, v);
}

/* Requests. */

static int
pool_buf_add(void *arg, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct pool_buf	*b = arg;
	size_t		 need = fcgi_nv_size(nlen, vlen), cap;
	uint8_t		*p;

	if (need == 0)
		return -1;
	if (b->len + need > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + need)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	b->len += fcgi_nv_encode(b->p + b->len, b->cap - b->len, name, nlen,
	    value, vlen);
	return 0;
}

/* The request's meta-variables, as for CGI, plus REDIRECT_STATUS for
   php-cgi when the app runs scripts under a root, and the extensions
   offered to a worker that announced them. */
static int
pool_params(struct worker *w, struct conn *c, struct pool_buf *b)
{
	struct cgienv_info	 info;
	struct conf_app		*app = c->req.app;
	const char		*ext = NULL;

	conn_cgienv_info(c, &info);
	if (cgienv_build(&c->req.r, &info, pool_buf_add, b) == -1)
		return -1;
	if (app->root != NULL &&
	    pool_buf_add(b, "REDIRECT_STATUS", 15, "200", 3) == -1)
		return -1;
	if (w->extensions & WORKER_EXT_HIJACK)
		ext = w->extensions & WORKER_EXT_CLOSE_NOTIFY ?
		    FERRY_EXT_CLOSE_NOTIFY "," FERRY_EXT_HIJACK :
		    FERRY_EXT_HIJACK;
	else if (w->extensions & WORKER_EXT_CLOSE_NOTIFY)
		ext = FERRY_EXT_CLOSE_NOTIFY;
	if (ext != NULL && pool_buf_add(b, FERRY_PARAM_EXTENSIONS,
	    strlen(FERRY_PARAM_EXTENSIONS), ext, strlen(ext)) == -1)
		return -1;
	if (conn_body_raw_chunked(c) && pool_buf_add(b, FERRY_PARAM_CHUNKED,
	    strlen(FERRY_PARAM_CHUNKED), "1", 1) == -1)
		return -1;
	return 0;
}

/* Starts c's request on idle worker w.  Returns 0 (also when the request
   was answered with an error), or -1 when w cannot be reached: w is being
   replaced and c is left as it was. */
static int
worker_run(struct worker *w, struct conn *c)
{
	struct pool_app	*a = w->app;
	struct pool_buf	 b = { NULL, 0, 0 };
	struct pool_retry *r;
	uint8_t		 begin[FCGI_BEGIN_REQUEST_LEN];
	double		 t;

	w->reused = wchan_is_open(&w->ch);
	if (!w->reused && wchan_connect(&w->ch, w->path) == -1) {
		log_warn("%s[%d]: connecting to the worker", a->conf->name,
		    (int)w->pid);
		w->refused = 1;
		worker_kill(w, "its socket refuses connections");
		return -1;
	}
	if (++w->reqid == 0)
		w->reqid = 1;
	w->c = c;
	w->active = 1;
	w->stdin_done = 0;
	w->stdin_body = 0;
	w->stdout_done = 0;
	w->notify_tail = 0;
	w->hijacking = 0;
	w->hijacked = 0;
	w->spill_eof = 0;
	w->gone_at = 0;
	w->errlen = 0;
	w->answered = 0;
	w->retries = 0;
	w->copy_over = conn_body_fd(c) != -1;
	if ((r = pool_retry_take(a, c)) != NULL) {
		w->retries = r->n;
		w->replay = r->body;
		w->replay_len = r->len;
		w->replay_off = 0;
		free(r);
	}
	if (a->conf->isolation_request || (a->conf->max_requests > 0 &&
	    w->nserved + 1 >= a->conf->max_requests))
		w->doomed = 1;
	worker_set_state(w, WORKER_BUSY);
	conn_app_attach(c, &pool_ops, w);
	fcgi_begin_request_encode(begin, FCGI_RESPONDER, FCGI_KEEP_CONN);
	if (pool_params(w, c, &b) == -1 ||
	    wchan_record(&w->ch, FCGI_BEGIN_REQUEST, w->reqid, begin,
	    sizeof(begin)) == -1 ||
	    wchan_stream(&w->ch, FCGI_PARAMS, w->reqid, b.p, b.len) == -1 ||
	    wchan_record(&w->ch, FCGI_PARAMS, w->reqid, NULL, 0) == -1) {
		free(b.p);
		log_warn("%s[%d]: sending a request", a->conf->name,
		    (int)w->pid);
		w->c = NULL;
		w->active = 0;
		worker_body_drop(w);
		wchan_close(&w->ch);
		conn_app_detached(c);
		conn_app_fail(c, 500);
		worker_after_request(w);
		return 0;
	}
	free(b.p);
	t = a->conf->request_timeout > 0 ? a->conf->request_timeout :
	    CONF_DEFAULT_REQUEST_TIMEOUT;
	worker_timer(w, t);
	conn_dispatch_ready(c);
	worker_pump_stdin(w);
	if (w->c == c)
		conn_dispatch_watch(c);
	return 0;
}

/* The request body to STDIN records, while the channel's queue is short;
   then the empty record that ends the stream. */
static void
worker_pump_stdin(struct worker *w)
{
	struct conn	*c = w->c;

	if (c == NULL || !w->active || w->stdin_done || w->hijacking ||
	    !wchan_is_open(&w->ch))
		return;
	/* Queue, write, and again while the socket takes it all: once it
	   pushes back, the channel's drained() brings us back, and new
	   body bytes bring body_ready(). */
	for (;;) {
		worker_stdin_queue(w, c);
		wchan_send(&w->ch);
		if (!wchan_is_open(&w->ch) || w->stdin_done ||
		    wchan_pending(&w->ch) > 0 || !worker_stdin_ready(w, c))
			return;
	}
}

/* 1 when STDIN has something to queue now. */
static int
worker_stdin_ready(struct worker *w, struct conn *c)
{
	const char	*p;
	size_t		 len;

	if (w->replay_off < w->replay_len)
		return 1;
	if (conn_body_fd(c) != -1)
		return !w->spill_eof;
	conn_body_peek(c, &p, &len);
	return len > 0 || conn_body_complete(c);
}

/* Queues STDIN records up to WCHAN_OUT_HIGH, and the stream's end
   record once the whole body was queued. */
static void
worker_stdin_queue(struct worker *w, struct conn *c)
{
	const char	*p;
	size_t		 len;
	ssize_t		 n;
	char		*buf = c->m->scratch;
	int		 spilled;

	spilled = conn_body_fd(c) != -1;
	/* What a failed try consumed already comes first. */
	while (w->replay_off < w->replay_len &&
	    wchan_pending(&w->ch) < WCHAN_OUT_HIGH) {
		len = fcgi_stream_chunk(w->replay_len - w->replay_off);
		if (wchan_stream(&w->ch, FCGI_STDIN, w->reqid,
		    w->replay + w->replay_off, len) == -1)
			return;
		w->stdin_body = 1;
		w->replay_off += len;
	}
	if (w->replay_off < w->replay_len)
		return;
	while (wchan_pending(&w->ch) < WCHAN_OUT_HIGH) {
		if (spilled) {
			/* A chunked body that was spilled to a file. */
			if (w->spill_eof)
				break;
			n = read(conn_body_fd(c), buf, FCGI_MAX_LENGTH);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == -1)
					log_warn("%s: spilled body",
					    w->app->conf->name);
				w->spill_eof = 1;
				break;
			}
			p = buf;
			len = (size_t)n;
		} else {
			conn_body_peek(c, &p, &len);
			if (len == 0)
				break;
			if (len > FCGI_MAX_LENGTH)
				len = fcgi_stream_chunk(len);
		}
		if (wchan_stream(&w->ch, FCGI_STDIN, w->reqid, p, len) == -1)
			return;
		w->stdin_body = 1;
		worker_body_copy(w, p, len);
		if (!spilled)
			conn_body_consume(c, len);
	}
	if (spilled ? w->spill_eof : conn_body_complete(c)) {
		w->stdin_done = 1;
		wchan_record(&w->ch, FCGI_STDIN, w->reqid, NULL, 0);
	}
}

/* Keeps what was sent of a small body, for a retry. */
static void
worker_body_copy(struct worker *w, const char *p, size_t len)
{
	char	*np;

	if (w->copy_over || w->answered)
		return;
	if (w->replay_len + w->copy_len + len > POOL_REPLAY_MAX ||
	    (np = realloc(w->copy, w->copy_len + len)) == NULL) {
		w->copy_over = 1;
		free(w->copy);
		w->copy = NULL;
		w->copy_len = 0;
		return;
	}
	w->copy = np;
	memcpy(w->copy + w->copy_len, p, len);
	w->copy_len += len;
}

static void
pool_body_ready(void *arg)
{
	worker_pump_stdin(arg);
}

static void
pool_ch_drained(void *arg)
{
	worker_pump_stdin(arg);
}

static void
pool_output_resume(void *arg)
{
	struct worker	*w = arg;

	if (w->active)
		wchan_pause(&w->ch, 0);
}

static void
pool_ch_idle(void *arg)
{
	struct worker	*w = arg;

	if (w->active && w->c != NULL)
		conn_app_idle(w->c);
}

/* FCGI_STDERR and the worker's own output, line by line. */
static void
worker_lines(struct worker *w, char *line, size_t *llen, const char *p,
    size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' || *llen == POOL_LOG_LINE) {
			worker_log_line(w, line, *llen);
			*llen = 0;
			if (p[i] == '\n')
				continue;
		}
		line[(*llen)++] = p[i];
	}
}

static void
worker_log_line(struct worker *w, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	log_warnx("%s[%d]: %.*s", w->app->conf->name, (int)w->pid, (int)len,
	    line);
}

static void
pool_ch_record(void *arg, uint8_t type, uint16_t id, const uint8_t *content,
    size_t len)
{
	struct worker	*w = arg;
	uint32_t	 app_status;
	uint8_t		 pstatus;

	if (type == FERRY_HIJACK) {
		worker_hijack(w, id);
		return;
	}
	if (id == FCGI_NULL_REQUEST_ID) {
		if (type == FCGI_GET_VALUES_RESULT) {
			w->values_known = 1;
			worker_values(w, content, len);
			if (w->state == WORKER_STARTING)
				worker_ready(w, 0);
		} else if (type == FCGI_UNKNOWN_TYPE)
			log_debug("%s[%d]: FCGI_UNKNOWN_TYPE", w->app->conf->name,
			    (int)w->pid);
		return;
	}
	if (!w->active || id != w->reqid) {
		/* A late record of an earlier request: never the next one's. */
		log_debug("%s[%d]: record type %u for request %u ignored",
		    w->app->conf->name, (int)w->pid, type, id);
		return;
	}
	if (!w->answered) {
		w->answered = 1;	/* no retry from now on */
		worker_body_drop(w);
	}
	switch (type) {
	case FCGI_STDOUT:
		if (len == 0)
			w->stdout_done = 1;
		if (len == 0 || w->c == NULL)
			return;		/* end of stream, or discarded */
		if (!conn_app_output(w->c, (const char *)content, len) &&
		    w->c != NULL)
			wchan_pause(&w->ch, 1);	/* client slow */
		return;
	case FCGI_STDERR:
		worker_lines(w, w->errline, &w->errlen, (const char *)content,
		    len);
		return;
	case FCGI_END_REQUEST:
		if (fcgi_end_request_decode(content, len, &app_status,
		    &pstatus) == -1)
			pstatus = FCGI_REQUEST_COMPLETE;
		worker_end_request(w, pstatus);
		return;
	default:
		log_debug("%s[%d]: record type %u ignored", w->app->conf->name,
		    (int)w->pid, type);
		return;
	}
}

/* END_REQUEST: the response is complete; the worker is free again. */
static void
worker_end_request(struct worker *w, uint8_t pstatus)
{
	struct conn	*c = w->c;

	w->active = 0;
	w->hijacking = 0;
	worker_timer(w, 0);
	worker_body_drop(w);
	if (w->errlen > 0) {
		worker_log_line(w, w->errline, w->errlen);
		w->errlen = 0;
	}
	/* Keep the connection only when the worker read all we sent. */
	/* A close-notify the worker had no reason to read (it answered
	   first) does not count: it ignores it as an ended request's.  A
	   worker speaking our extensions (libferry) keeps a connection only
	   once it read the end of STDIN, and sends END_REQUEST after that:
	   without a body, there is no need to ask the kernel. */
	if (!w->stdin_done || ((w->extensions == 0 || w->stdin_body) &&
	    !wchan_consumed(&w->ch, w->notify_tail, FERRY_CLOSE_NOTIFY_LEN)))
		wchan_close(&w->ch);
	else
		wchan_pause(&w->ch, 0);
	w->nserved++;
	w->app->backoff = 0;
	if (w->gone_at != 0)
		worker_gone_done(w, "reused");
	if (c != NULL) {
		w->c = NULL;
		conn_app_detached(c);
		if (pstatus == FCGI_REQUEST_COMPLETE)
			conn_app_end(c, 1);
		else {
			log_warnx("%s[%d]: request refused (protocol status "
			    "%u)", w->app->conf->name, (int)w->pid, pstatus);
			conn_app_fail(c, pstatus == FCGI_OVERLOADED ? 503 : 502);
		}
	}
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
		pool_next(a);
		return;
	}
	if (w->state == WORKER_STOPPING)
		return;
	if (a->conf->isolation_request) {
		worker_kill(w, "isolation = request: one request per worker");
	} else if (a->conf->max_requests > 0 &&
	    w->nserved >= a->conf->max_requests) {
		snprintf(why, sizeof(why), "served %u requests (max_requests)",
		    w->nserved);
		worker_kill(w, why);
	} else if (a->m->stopping && a->queue.head == NULL) {
		worker_kill(w, "shutting down");
	} else {
		w->doomed = 0;
		worker_set_state(w, WORKER_IDLE);
		if (a->conf->min_workers < a->conf->max_workers)
			worker_timer(w, a->conf->idle_timeout > 0 ?
			    a->conf->idle_timeout : CONF_DEFAULT_IDLE_TIMEOUT);
	}
	pool_next(a);
}

/* The channel ended without our asking. */
static void
pool_ch_closed(void *arg, const char *why)
{
	struct worker	*w = arg;
	struct conn	*c = w->c;

	if (w->state == WORKER_STARTING) {
		log_debug("%s[%d]: %s before answering FCGI_GET_VALUES",
		    w->app->conf->name, (int)w->pid, why);
		worker_ready(w, 0);
		return;
	}
	if (!w->active) {
		if (w->exited)
			worker_after_request(w);
		return;		/* the worker did not keep the connection */
	}
	w->active = 0;
	worker_timer(w, 0);
	if (c != NULL && !w->answered && !w->copy_over &&
	    (w->reused || w->nserved > 0) && w->retries < POOL_RETRIES) {
		/* Dropped unread (see the top of this file): again. */
		log_info("%s[%d]: %s before answering; the request goes back "
		    "to the queue", w->app->conf->name, (int)w->pid, why);
		w->c = NULL;
		conn_app_detached(c);
		pool_retry(w->app, w, c);
		if (!w->exited && !w->reused) {
			/* A fresh connection dropped: the worker is broken
			   or on its way out. */
			worker_kill(w, "dropped a request");
			pool_next(w->app);
		} else
			worker_after_request(w);
		return;
	}
	log_warnx("%s[%d]: %s in the middle of a request", w->app->conf->name,
	    (int)w->pid, why);
	worker_body_drop(w);
	if (c != NULL) {
		w->c = NULL;
		conn_app_detached(c);
		conn_app_fail(c, 502);
	}
	if (w->exited) {
		worker_after_request(w);
		return;
	}
	worker_kill(w, "lost its channel mid-request");
	pool_next(w->app);
}

/* Puts c back at the head of the queue with what it needs for another
   try: the body bytes consumed already, and the count. */
static void
pool_retry(struct pool_app *a, struct worker *w, struct conn *c)
{
	struct pool_retry	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		worker_body_drop(w);
		conn_app_fail(c, 502);
		return;
	}
	r->c = c;
	r->n = w->retries + 1;
	/* The replayed part and the part copied since, in order. */
	r->len = w->replay_len + w->copy_len;
	if (r->len > 0 && (r->body = malloc(r->len)) == NULL) {
		free(r);
		worker_body_drop(w);
		conn_app_fail(c, 502);
		return;
	}
	if (w->replay_len > 0)
		memcpy(r->body, w->replay, w->replay_len);
	if (w->copy_len > 0)
		memcpy(r->body + w->replay_len, w->copy, w->copy_len);
	worker_body_drop(w);
	r->next = a->retries;
	a->retries = r;
	conn_app_attach(c, &pool_ops, NULL);
	conn_queue_push_front(&a->queue, c);
	c->state = CONN_QUEUED;
}

static struct pool_retry *
pool_retry_take(struct pool_app *a, struct conn *c)
{
	struct pool_retry	**pp, *r;

	for (pp = &a->retries; (r = *pp) != NULL; pp = &r->next)
		if (r->c == c) {
			*pp = r->next;
			return r;
		}
	return NULL;
}

/* Forgets the body copies of the request that ran on w. */
static void
worker_body_drop(struct worker *w)
{
	free(w->copy);
	free(w->replay);
	w->copy = w->replay = NULL;
	w->copy_len = w->replay_len = w->replay_off = 0;
}

/* Client gone (or the response failed): the app's on_client_gone
   policy, for workers that do not speak close-notify. */
static void
pool_detach(void *arg, const char *why)
{
	struct worker	*w = arg;
	struct conn	*c = w->c;
	struct master	*m = w->app->m;

	if (c == NULL)
		return;
	w->c = NULL;
	conn_app_detached(c);
	if (!w->active)
		return;
	if (w->hijacking) {
		/* The client failed while its response was flushed. */
		w->hijacking = 0;
		worker_hijack_refuse(w, w->reqid, FERRY_REFUSED_GONE);
	}
	w->gone_at = ev_now(m->loop);
	wchan_pause(&w->ch, 0);		/* its output is discarded now */
	if (!w->stdin_done) {
		/* End the body early, so that a reader sees its end. */
		w->stdin_done = 1;
		wchan_record(&w->ch, FCGI_STDIN, w->reqid, NULL, 0);
		wchan_send(&w->ch);
	}
	worker_body_drop(w);
	if (w->extensions & WORKER_EXT_CLOSE_NOTIFY) {
		/* A worker that speaks close-notify hears why and stops by
		   itself; the policies are for legacy workers (DESIGN.md,
		   close-notify rule 7).  Its output is discarded. */
		log_info("%s[%d]: %s: sending close-notify",
		    w->app->conf->name, (int)w->pid, why);
		worker_notify(w, FERRY_REASON_GONE);
		return;
	}
	switch (w->app->conf->on_client_gone) {
	case CONF_GONE_ABORT:
		log_info("%s[%d]: %s: aborting the request",
		    w->app->conf->name, (int)w->pid, why);
		wchan_record(&w->ch, FCGI_ABORT_REQUEST, w->reqid, NULL, 0);
		wchan_send(&w->ch);
		worker_set_state(w, WORKER_ABORTING);
		worker_timer(w, pool_kill_grace(m));
		break;
	case CONF_GONE_TERMINATE:
		w->active = 0;
		worker_kill(w, why);
		pool_next(w->app);
		break;
	default:
		log_info("%s[%d]: %s: letting the request finish",
		    w->app->conf->name, (int)w->pid, why);
		break;
	}
}

/* Logs and counts the time from the client's leaving to the worker's
   reuse or exit. */
static void
worker_gone_done(struct worker *w, const char *what)
{
	struct pool	*p = w->app->p;
	double		 t = ev_now(w->app->m->loop) - w->gone_at;

	p->ngone++;
	p->gone_time += t;
	log_info("%s[%d]: %s %.3f s after its client left", w->app->conf->name,
	    (int)w->pid, what, t);
	w->gone_at = 0;
}

/* SIGTERM to the worker's process group, SIGKILL after kill_grace; the
   exit is reaped by worker_child_cb, which starts a replacement. */
static void
worker_kill(struct worker *w, const char *why)
{
	struct conn	*c = w->c;

	if (c != NULL) {
		w->c = NULL;
		conn_app_detached(c);
		conn_app_fail(c, 502);
	}
	w->active = 0;
	worker_body_drop(w);
	wchan_close(&w->ch);
	if (w->exited || w->state == WORKER_DEAD)
		return;
	if (w->killing) {
		kill(-w->pid, SIGKILL);
		return;
	}
	log_info("%s[%d]: stopping: %s", w->app->conf->name, (int)w->pid, why);
	w->killing = 1;
	kill(-w->pid, SIGTERM);
	worker_set_state(w, WORKER_STOPPING);
	worker_timer(w, pool_kill_grace(w->app->m));
}

static void
worker_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = container_of(t, struct worker, timer);
	struct pool_app	*a = w->app;
	struct conn	*c;

	switch (w->state) {
	case WORKER_STARTING:
		log_info("%s[%d]: no answer to FCGI_GET_VALUES within %.1f s: "
		    "a legacy worker until it answers", a->conf->name,
		    (int)w->pid, POOL_READY_TIMEOUT);
		worker_ready(w, 1);
		break;
	case WORKER_IDLE:
		if (pool_live(a, NULL) > (unsigned int)a->conf->min_workers)
			worker_kill(w, "idle_timeout");
		else
			worker_timer(w, a->conf->idle_timeout > 0 ?
			    a->conf->idle_timeout : CONF_DEFAULT_IDLE_TIMEOUT);
		break;
	case WORKER_BUSY:
		log_warnx("%s[%d]: no response within the request timeout",
		    a->conf->name, (int)w->pid);
		if ((c = w->c) != NULL) {
			w->c = NULL;
			conn_app_detached(c);
			conn_app_fail(c, 504);
		}
		worker_kill(w, "request timeout");
		pool_next(a);
		break;
	case WORKER_ABORTING:
		log_warnx("%s[%d]: FCGI_ABORT_REQUEST not answered within "
		    "%.1f s", a->conf->name, (int)w->pid, pool_kill_grace(a->m));
		worker_kill(w, "abort not answered");
		pool_next(a);
		break;
	case WORKER_STOPPING:
		if (w->exited) {
			/* Exited mid-request, and its channel did not end
			   within the request's time. */
			log_warnx("%s[%d]: channel still open after the "
			    "worker's exit", a->conf->name, (int)w->pid);
			if ((c = w->c) != NULL) {
				w->c = NULL;
				conn_app_detached(c);
				conn_app_fail(c, 504);
			}
			w->active = 0;
			wchan_close(&w->ch);
			worker_free(w);
			pool_next(a);
			break;
		}
		log_warnx("%s[%d]: still running after SIGTERM: SIGKILL",
		    a->conf->name, (int)w->pid);
		kill(-w->pid, SIGKILL);
		break;
	case WORKER_DEAD:
		worker_free(w);
		break;
	}
}

/* Whatever the worker's output pipe still holds, then the last line. */
static void
worker_log_drain(struct worker *w)
{
	char	buf[4096];
	ssize_t	n;

	if (w->log_r.fd == -1)
		return;
	while ((n = read(w->log_r.fd, buf, sizeof(buf))) > 0)
		worker_lines(w, w->outline, &w->outlen, buf, (size_t)n);
	if (w->outlen > 0)
		worker_log_line(w, w->outline, w->outlen);
	w->outlen = 0;
}

static void
worker_log_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker	*w = container_of(io, struct worker, log_r);
	char		 buf[4096];
	ssize_t		 n;

	n = read(io->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (w->outlen > 0)
			worker_log_line(w, w->outline, w->outlen);
		w->outlen = 0;
		ev_io_stop(loop, io);
		close(io->fd);
		ev_io_set(io, -1, EV_READ);
		return;
	}
	worker_lines(w, w->outline, &w->outlen, buf, (size_t)n);
}

static void
worker_child_cb(struct ev_loop *loop, ev_child *cw, int revents)
{
	struct worker	*w = container_of(cw, struct worker, child);
	struct pool_app	*a = w->app;
	struct master	*m = a->m;
	double		 lived = ev_now(loop) - w->born;
	int		 st = cw->rstatus, failed_start;

	ev_child_stop(loop, cw);
	w->exited = 1;
	w->status = st;
	kill(-w->pid, SIGKILL);		/* what it left in its group */
	worker_log_drain(w);
	ev_io_stop(loop, &w->log_r);
	if (w->log_r.fd != -1) {
		close(w->log_r.fd);
		ev_io_set(&w->log_r, -1, EV_READ);
	}
	failed_start = (!w->killing || w->refused) && w->nserved == 0 &&
	    lived < POOL_START_FAIL;
	if (w->killing)
		log_info("%s[%d]: worker stopped", a->conf->name, (int)w->pid);
	else if (WIFSIGNALED(st))
		log_warnx("%s[%d]: worker killed by signal %d after %.2f s",
		    a->conf->name, (int)w->pid, WTERMSIG(st), lived);
	else
		log_warnx("%s[%d]: worker exited with status %d after %.2f s",
		    a->conf->name, (int)w->pid, WEXITSTATUS(st), lived);
	if (w->gone_at != 0)
		worker_gone_done(w, "exited");
	if (failed_start && !m->stopping) {
		pool_backoff(a);
		log_warnx("%s: worker exited %.2f s after its start: next "
		    "start in %.1f s", a->conf->name, lived, a->backoff);
	} else if (lived > POOL_BACKOFF_RESET)
		a->backoff = 0;
	/* A request still running reads the channel to its end first. */
	if (w->active && wchan_is_open(&w->ch)) {
		worker_set_state(w, WORKER_STOPPING);
		if (!ev_is_active(&w->timer))
			worker_timer(w, pool_kill_grace(m));
		pool_app_adjust(a);
		return;
	}
	worker_kill(w, "exited");	/* a client still attached gets 502 */
	worker_free(w);
	pool_next(a);
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
		ev_child_stop(m->loop, &w->child);
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
	worker_body_drop(w);
	wchan_free(&w->ch);
	unlink(w->path);
	free(w);
	if (m->stopping)
		master_conn_closed(m);
}

/* One CLOSE_NOTIFY record for the running request, never blocking: the
   record joins the channel's output queue. */
static void
worker_notify(struct worker *w, uint8_t reason)
{
	if (!w->active || w->hijacked ||
	    !(w->extensions & WORKER_EXT_CLOSE_NOTIFY))
		return;
	if (wchan_record(&w->ch, FERRY_CLOSE_NOTIFY, w->reqid, &reason, 1) ==
	    -1)
		return;
	/* After the end of STDIN nothing else goes to this worker for the
	   request: these records are the stream's tail. */
	if (w->stdin_done)
		w->notify_tail += FERRY_CLOSE_NOTIFY_LEN;
	wchan_send(&w->ch);
}

/* The client pipelined its next request (conn.c says so once). */
static void
pool_pipelined(void *arg)
{
	struct worker	*w = arg;

	log_debug("%s[%d]: the client pipelined its next request",
	    w->app->conf->name, (int)w->pid);
	worker_notify(w, FERRY_REASON_PIPELINED);
}

/*
 * The worker asks for its request's client socket (DESIGN.md, "Hijack
 * semantics").  Refused when the request is not the one running, was
 * hijacked already, has its response complete, or its client is gone.
 */
static void
worker_hijack(struct worker *w, uint16_t id)
{
	const char	*why;

	if (!w->active || id != w->reqid || id == FCGI_NULL_REQUEST_ID) {
		worker_hijack_refuse(w, id, FERRY_REFUSED_STALE);
		return;
	}
	w->answered = 1;		/* no retry from now on */
	worker_body_drop(w);
	if (w->hijacked || w->hijacking)
		why = FERRY_REFUSED_TWICE;
	else if (w->stdout_done)
		why = FERRY_REFUSED_COMPLETE;
	else if (w->c == NULL)
		why = FERRY_REFUSED_GONE;
	else
		why = conn_app_hijack(w->c);
	if (why != NULL) {
		log_info("%s[%d]: hijack refused: %s", w->app->conf->name,
		    (int)w->pid, why);
		worker_hijack_refuse(w, id, why);
		return;
	}
	/* No more body: what is left goes with the socket. */
	w->hijacking = 1;
}

static void
worker_hijack_refuse(struct worker *w, uint16_t id, const char *why)
{
	w->notify_tail = 0;		/* not a close-notify at the end */
	if (wchan_record(&w->ch, FERRY_HIJACK_REFUSED, id, why,
	    strlen(why)) == 0)
		wchan_send(&w->ch);
}

/* conn.c handed the socket over: it goes to the worker with the bytes
   the master read and did not pass on, as a HIJACKED stream whose first
   record carries the fd. */
static void
pool_hijacked(void *arg, int fd, const char *p, size_t len)
{
	struct worker	*w = arg;
	size_t		 first = len > 0 ? fcgi_stream_chunk(len) : 0;

	w->c = NULL;
	w->hijacking = 0;
	w->hijacked = 1;
	/* STDIN ends here for both sides: the rest went with the socket. */
	w->stdin_done = 1;
	w->notify_tail = 0;
	log_info("%s[%d]: took over its client connection (%zu bytes "
	    "buffered)", w->app->conf->name, (int)w->pid, len);
	if (wchan_record_fd(&w->ch, FERRY_HIJACKED, w->reqid, p, first,
	    fd) == -1 ||
	    (len > first && wchan_stream(&w->ch, FERRY_HIJACKED, w->reqid,
	    p + first, len - first) == -1) ||
	    (len > 0 && wchan_record(&w->ch, FERRY_HIJACKED, w->reqid, NULL,
	    0) == -1)) {
		/* The client's socket is closed with the channel. */
		log_warn("%s[%d]: handing over a client socket",
		    w->app->conf->name, (int)w->pid);
		wchan_close(&w->ch);
		w->active = 0;
		worker_timer(w, 0);
		if (w->exited) {
			worker_after_request(w);
			return;
		}
		worker_kill(w, "lost its channel during a hijack");
		pool_next(w->app);
		return;
	}
	wchan_send(&w->ch);
}
