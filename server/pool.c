/*
 * FastCGI pool apps: the pool's private socket directory, its start and
 * its stop, and per app the supervision of its workers as a group (how
 * many live, spawning what it lacks, back-off after failed starts) and
 * its wait queue, with the retries of requests that a worker dropped
 * unread.  One worker process is server/worker.c's; one request on a
 * worker's channel is server/fcgireq.c's.
 *
 * A worker tells its app what happened to it (free again, gone, a
 * request dropped) through struct pool_app_ops (server/pool-t.h).
 * A request that a worker dropped unread goes back to the head of the
 * queue for another try (server/fcgireq.c, "Retries").
 */
#include "config.h"

#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol/fcgi.h"
#include "server/app.h"
#include "server/conn.h"
#include "server/fcgireq.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/pool.h"
#include "server/pool-t.h"
#include "server/sandbox.h"
#include "server/util.h"
#include "server/worker.h"

static void	pool_app_adjust(struct pool_app *);
static void	pool_next(struct pool_app *);
static void	pool_backoff(struct pool_app *);
static void	pool_respawn_cb(struct ev_loop *, ev_timer *, int);
static void	pool_short_retry(void *);
static struct worker *pool_idle_worker(struct pool_app *);
static unsigned int pool_live(struct pool_app *, unsigned int *);
static void	pool_retry(struct pool_app *, struct worker *, struct conn *);
static struct pool_retry *pool_retry_take(struct pool_app *, struct conn *);

static void	pool_queue_left(struct app_queue *, struct conn *);

static const struct pool_app_ops pool_app_ops = {
	pool_next, pool_app_adjust, pool_backoff, pool_live, pool_retry,
	pool_retry_take
};


int
pool_init(struct master *m, void (*on_ready)(struct master *))
{
	struct pool	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("pool");
		return -1;
	}
	p->on_ready = on_ready;
	m->pool = p;
	return 0;
}

/* The private socket directory, made when the first FastCGI app comes:
   0, or -1 after logging. */
static int
pool_dir(struct pool *p)
{
	const char	*tmp;
	int		 n;

	if (p->have_dir)
		return 0;
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
	return 0;
}

/* The state of a current app named app->name that starts the same
   processes, or NULL. */
static struct pool_app *
pool_app_find(struct pool *p, const struct conf_app *app, int same)
{
	struct pool_app	*a;

	for (a = p->apps; a != NULL; a = a->next)
		if (a->current && strcmp(a->conf->name, app->name) == 0 &&
		    (!same || conf_app_same_process(a->conf, app)))
			return a;
	return NULL;
}

static struct pool_app *
pool_app_new(struct master *m, const struct conf_app *app)
{
	struct pool	*p = m->pool;
	struct pool_app	*a, *old;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->conf = conf_app_dup(app)) == NULL) {
		free(a);
		log_warn("%s", app->name);
		return NULL;
	}
	if (sandbox_open(app, &a->sb) == -1) {
		conf_app_destroy(a->conf);
		free(a);
		return NULL;
	}
	a->m = m;
	a->p = p;
	a->ops = &pool_app_ops;
	a->queue.left = pool_queue_left;
	ev_init(&a->respawn, pool_respawn_cb);
	app_short_init(&a->shortage, m->loop, a->conf->name, "reach a worker",
	    pool_short_retry, a);
	/* The same program likely speaks what its workers spoke, until the
	   new ones say. */
	if ((old = pool_app_find(p, app, 0)) != NULL &&
	    strcmp(old->conf->command, app->command) == 0)
		a->extensions = old->extensions;
	a->fresh = 1;
	a->next = p->apps;
	p->apps = a;
	return a;
}

int
pool_install(struct master *m, struct conf *cf)
{
	struct conf_app	*app;
	struct pool_app	*a;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < cf->napps; i++) {
		app = &cf->apps[i];
		if (app->type != CONF_APP_FASTCGI)
			continue;
		if (conf_app_ids_check(app, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
		if (pool_dir(m->pool) == -1)
			return -1;
		/* Its processes' settings unchanged: it keeps its workers. */
		if ((a = pool_app_find(m->pool, app, 1)) == NULL &&
		    (a = pool_app_new(m, app)) == NULL)
			return -1;
		a->gens++;
		app->rt = a;
	}
	return 0;
}

/* A reload replaced or removed a: no request comes to it any more.  Its
   idle workers go now, busy ones once they found the queue empty. */
static void
pool_app_drain(struct pool_app *a)
{
	struct worker	*w, *next;

	a->leaving = "reloaded";
	a->leave_reason = FERRY_RETIRE_RELOAD;
	ev_timer_stop(a->m->loop, &a->respawn);
	for (w = a->workers; w != NULL; w = next) {
		next = w->next;
		if (w->state == WORKER_STARTING || w->state == WORKER_IDLE)
			worker_retire(w, a->leaving, a->leave_reason);
	}
}

int
pool_commit(struct master *m, struct conf *cf)
{
	struct pool_app	*a;
	struct worker	*w, *next;
	size_t		 i;
	int		 j, was, rc = 0;

	for (a = m->pool->apps; a != NULL; a = a->next) {
		was = a->current;
		a->current = 0;
		for (i = 0; i < cf->napps; i++)
			if (cf->apps[i].rt == a)
				a->current = 1;
		if (was && !a->current)
			pool_app_drain(a);
	}
	for (i = 0; i < cf->napps; i++) {
		if (cf->apps[i].type != CONF_APP_FASTCGI)
			continue;
		a = cf->apps[i].rt;
		if (a->fresh) {
			a->fresh = 0;
			for (j = 0; j < a->conf->workers; j++)
				if (worker_spawn(a) == NULL) {
					rc = -1;
					break;
				}
			continue;
		}
		if (conf_app_update(a->conf, &cf->apps[i]) == -1)
			log_warn("%s: keeping its settings", a->conf->name);
		/* Fewer workers allowed: idle ones beyond go now. */
		for (w = a->workers; w != NULL &&
		    pool_live(a, NULL) > (unsigned int)a->conf->max_workers;
		    w = next) {
			next = w->next;
			if (w->state == WORKER_IDLE)
				worker_retire(w, "max_workers lowered",
				    FERRY_RETIRE_RECYCLE);
		}
		pool_next(a);
	}
	return rc;
}

void
pool_release(struct master *m, struct conf_app *app)
{
	struct pool_app	*a = app->rt;

	if (m->pool != NULL)	/* else pool_fini freed a */
		a->gens--;
}

/* At the end, the loop over: stops w's watchers, closes its channel
   and sends SIGTERM to its process group unless it exited. */
static void
pool_worker_stop(struct worker *w)
{
	struct ev_loop	*loop = w->app->m->loop;

	reap_stop(w->app->m, &w->child);
	ev_timer_stop(loop, &w->timer);
	wchan_close(&w->ch);
	if (!w->exited)
		kill(-w->pid, SIGTERM);
}

/* Reaps w without waiting (SIGKILL to what it left in its group): 1
   while it still runs, else 0. */
static int
pool_worker_poll(struct worker *w)
{
	int	 st;
	pid_t	 r;

	if (w->exited)
		return 0;
	r = waitpid(w->pid, &st, WNOHANG);
	if (r == w->pid || (r == -1 && errno != EINTR)) {
		w->exited = 1;
		kill(-w->pid, SIGKILL);
		return 0;
	}
	return 1;
}

/* Kills w if it still runs (SIGKILL, waiting for it), drains its output
   and frees w, which the caller took out of its app's list. */
static void
pool_worker_free(struct worker *w)
{
	int	 st;

	fcgireq_body_drop(&w->req);
	if (!w->exited) {
		child_kill_late(w->pid, w->app->conf->name);
		while (waitpid(w->pid, &st, 0) == -1 && errno == EINTR)
			;
	}
	child_log_drain(&w->log);
	child_log_close(&w->log);
	cgroup_proc_end(&w->cg, w->app->m->loop, w->app->conf->name, w->pid);
	wchan_free(&w->ch);
	unlink(w->path);
	free(w);
}

static void
pool_app_free(struct pool_app *a)
{
	struct pool_retry	*rt;
	struct worker		*w;

	ev_timer_stop(a->m->loop, &a->respawn);
	app_short_stop(&a->shortage);
	while ((rt = a->retries) != NULL) {
		a->retries = rt->next;
		free(rt->body);
		free(rt);
	}
	while ((w = a->workers) != NULL) {
		a->workers = w->next;
		pool_worker_free(w);
	}
	sandbox_close(a->sb);
	conf_app_destroy(a->conf);
	free(a);
}

void
pool_collect(struct master *m)
{
	struct pool_app	**pp, *a;

	if (m->pool == NULL)
		return;
	for (pp = &m->pool->apps; (a = *pp) != NULL;) {
		if (a->gens == 0 && a->workers == NULL) {
			*pp = a->next;
			pool_app_free(a);
		} else
			pp = &a->next;
	}
}

void
pool_fini(struct master *m)
{
	struct pool	*p = m->pool;
	struct pool_app	*a;
	struct worker	*w;
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	double		 waited = 0, grace = pool_kill_grace(m);
	int		 left;

	if (p == NULL)
		return;
	for (a = p->apps; a != NULL; a = a->next) {
		ev_timer_stop(m->loop, &a->respawn);
		app_short_stop(&a->shortage);
		for (w = a->workers; w != NULL; w = w->next)
			pool_worker_stop(w);
	}
	/* The loop has ended: reap synchronously, within the grace. */
	for (;;) {
		left = 0;
		for (a = p->apps; a != NULL; a = a->next)
			for (w = a->workers; w != NULL; w = w->next)
				if (pool_worker_poll(w))
					left++;
		if (left == 0 || waited >= grace)
			break;
		nanosleep(&ts, NULL);
		waited += 0.01;
	}
	while ((a = p->apps) != NULL) {
		p->apps = a->next;
		pool_app_free(a);
	}
	if (p->have_dir && rmdir(p->dir) == -1)
		log_warn("%s", p->dir);
	if (p->ngone > 0)
		log_info("pool: %u requests lost their client; %.3f s on "
		    "average until the worker was free", p->ngone,
		    p->gone_time / p->ngone);
	free(p);
	m->pool = NULL;
}

void
pool_stop(struct master *m)
{
	struct pool	*p = m->pool;
	struct pool_app	*a;
	struct worker	*w, *next;

	if (p == NULL)
		return;
	for (a = p->apps; a != NULL; a = a->next) {
		ev_timer_stop(m->loop, &a->respawn);
		a->leaving = "shutting down";
		a->leave_reason = FERRY_RETIRE_STOP;
		for (w = a->workers; w != NULL; w = next) {
			next = w->next;
			if (w->state == WORKER_STARTING ||
			    w->state == WORKER_IDLE)
				worker_retire(w, a->leaving, a->leave_reason);
		}
	}
}

unsigned int
pool_running(struct master *m)
{
	struct pool	*p = m->pool;
	struct pool_app	*a;
	struct worker	*w;
	unsigned int	 n = 0;

	if (p == NULL)
		return 0;
	for (a = p->apps; a != NULL; a = a->next)
		for (w = a->workers; w != NULL; w = w->next)
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
		    w->state == WORKER_RETIRING || w->state == WORKER_DEAD)
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
   up to max_workers; nothing while stopping or backing off.  An app a
   reload replaced serves the requests routed to it before: one worker
   at most, while some wait. */
static void
pool_app_adjust(struct pool_app *a)
{
	unsigned int	 live, starting;

	if (a->m->stopping || ev_is_active(&a->respawn))
		return;
	if (a->leaving != NULL) {
		if (a->queue.head != NULL && pool_live(a, NULL) == 0)
			(void)worker_spawn(a);
		return;
	}
	for (;;) {
		live = pool_live(a, &starting);
		/* Short of fds, waiting requests spawn nothing more: the
		   workers are not what they wait for. */
		if (live < (unsigned int)a->conf->min_workers ||
		    (a->queue.n > starting && !app_short_active(&a->shortage) &&
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

	if (a->conf->stats != NULL)
		a->conf->stats->backoff = 0;	/* waited */
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
	if (a->conf->stats != NULL)
		a->conf->stats->backoff = a->backoff;
	ev_timer_stop(a->m->loop, &a->respawn);
	ev_timer_set(&a->respawn, a->backoff, 0);
	ev_timer_start(a->m->loop, &a->respawn);
}

/* Waiting requests go to idle workers; then the pool grows if needed.
   Short of fds to reach a worker, they wait for pool_short_retry. */
static void
pool_next(struct pool_app *a)
{
	struct worker	*w;
	struct conn	*c;
	int		 r;

	while (a->queue.head != NULL && !app_short_active(&a->shortage) &&
	    (w = pool_idle_worker(a)) != NULL) {
		c = app_queue_pop(&a->queue);
		if ((r = worker_run(w, c)) != 0) {
			/* That worker is being replaced, or we are short:
			   c keeps its place. */
			app_queue_push_front(&a->queue, c);
			if (r == WORKER_RUN_SHORT)
				app_short_hit(&a->shortage);
		}
	}
	pool_app_adjust(a);
}

/* Out of fds (or memory) to reach a worker: the master's shortage, not
   the worker's fault.  The workers stay; the queue is tried again. */
static void
pool_short_retry(void *arg)
{
	pool_next(arg);
}

/* The state of c's app in the configuration that routed c. */
static struct pool_app *
pool_app_of(struct conn *c)
{
	return conn_app_conf(c)->rt;
}

void
pool_request(struct conn *c)
{
	struct pool_app	*a = pool_app_of(c);
	struct worker	*w;
	int		 r;

	if (a == NULL) {
		conn_app_fail(c, 502);
		return;
	}
	while (!app_short_active(&a->shortage) &&
	    (w = pool_idle_worker(a)) != NULL) {
		if ((r = worker_run(w, c)) == 0) {
			pool_app_adjust(a);
			return;
		}
		if (r == WORKER_RUN_SHORT)
			app_short_hit(&a->shortage);
	}
	(void)app_queue_wait(&a->queue, a->conf->queue, c,
	    "%s: every worker busy and %u requests waiting: 503",
	    a->conf->name, a->queue.n);
	pool_app_adjust(a);
}

int
pool_takes_raw_chunked(struct conn *c)
{
	struct conf_app	*app = conn_app_conf(c);
	struct pool_app	*a;

	if (app == NULL || app->type == CONF_APP_CGI ||
	    (a = pool_app_of(c)) == NULL)
		return 0;
	return (a->extensions & WORKER_EXT_HIJACK) != 0;
}

/* c left the queue (its client went, or it waited too long): its retry,
   if any, goes too. */
static void
pool_queue_left(struct app_queue *q, struct conn *c)
{
	struct pool_app	*a = container_of(q, struct pool_app, queue);
	struct pool_retry *r;

	if ((r = pool_retry_take(a, c)) != NULL) {
		free(r->body);
		free(r);
	}
}

unsigned int
pool_starting(struct master *m)
{
	struct pool_app	*a;
	struct worker	*w;
	unsigned int	 n = 0;

	if (m->pool == NULL)
		return 0;
	for (a = m->pool->apps; a != NULL; a = a->next)
		for (w = a->workers; w != NULL; w = w->next)
			if (w->state == WORKER_STARTING)
				n++;
	return n;
}

/* Puts c back at the head of the queue with what it needs for another
   try: the body bytes consumed already, and the count. */
static void
pool_retry(struct pool_app *a, struct worker *w, struct conn *c)
{
	struct pool_retry	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fcgireq_body_drop(&w->req);
		conn_app_fail(c, 502);
		return;
	}
	r->c = c;
	r->n = w->req.retries + 1;
	/* The replayed part and the part copied since, in order. */
	r->len = w->req.replay_len + w->req.copy_len;
	if (r->len > 0 && (r->body = malloc(r->len)) == NULL) {
		free(r);
		fcgireq_body_drop(&w->req);
		conn_app_fail(c, 502);
		return;
	}
	if (w->req.replay_len > 0)
		memcpy(r->body, w->req.replay, w->req.replay_len);
	if (w->req.copy_len > 0)
		memcpy(r->body + w->req.replay_len, w->req.copy,
		    w->req.copy_len);
	fcgireq_body_drop(&w->req);
	r->next = a->retries;
	a->retries = r;
	app_queue_wait_front(&a->queue, c);
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
