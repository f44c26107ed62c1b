/*
 * The app boundary: the wait queue of an app's requests and the one
 * "wait or answer 503" decision (app.h).  The app types themselves are
 * server/cgi.c and server/pool.c; master.c puts them in m->app_types.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "server/app.h"
#include "server/conn.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/util.h"

static void	app_queue_unqueue(struct conn *);

/* What a waiting connection offers: only leaving the queue (no app runs
   its request yet, so the other ops are never called). */
static const struct conn_app_ops app_queue_ops = {
	NULL, NULL, NULL, app_queue_unqueue, NULL, NULL, NULL
};

/* The status page's gauges of c's app: one more waits (from now), or
   one fewer. */
static void
app_queue_count(struct conn *c, int more)
{
	struct conf_app		*app = conn_app_conf(c);
	struct stats_app	*st = app != NULL ? app->stats : NULL;

	if (st == NULL)
		return;
	if (!more) {
		st->queued--;
		return;
	}
	conn_qlink(c)->since = ev_now(conn_master(c)->loop);
	if (++st->queued > st->queue_peak)
		st->queue_peak = st->queued;
}

void
app_queue_push(struct app_queue *q, struct conn *c)
{
	struct app_qlink	*l = conn_qlink(c);

	l->next = NULL;
	l->queue = q;
	app_queue_count(c, 1);
	if (q->tail != NULL)
		conn_qlink(q->tail)->next = c;
	else
		q->head = c;
	q->tail = c;
	q->n++;
}

void
app_queue_push_front(struct app_queue *q, struct conn *c)
{
	struct app_qlink	*l = conn_qlink(c);

	l->next = q->head;
	l->queue = q;
	app_queue_count(c, 1);
	q->head = c;
	if (q->tail == NULL)
		q->tail = c;
	q->n++;
}

struct conn *
app_queue_pop(struct app_queue *q)
{
	struct conn		*c = q->head;
	struct stats_app	*st;

	if (c == NULL)
		return NULL;
	if (conn_app_conf(c) != NULL && (st = conn_app_conf(c)->stats) != NULL)
		stats_observe(&st->queue_wait, ev_now(conn_master(c)->loop) -
		    conn_qlink(c)->since);
	app_queue_remove(q, c);		/* found at once */
	return c;
}

void
app_queue_remove(struct app_queue *q, struct conn *c)
{
	struct conn		*p, *prev = NULL;
	struct app_qlink	*l;

	for (p = q->head; p != NULL; prev = p, p = l->next) {
		l = conn_qlink(p);
		if (p != c)
			continue;
		if (prev != NULL)
			conn_qlink(prev)->next = l->next;
		else
			q->head = l->next;
		if (q->tail == p)
			q->tail = prev;
		q->n--;
		l->next = NULL;
		l->queue = NULL;
		app_queue_count(c, 0);
		return;
	}
}

int
app_queue_wait(struct app_queue *q, unsigned int max, struct conn *c,
    const char *fmt, ...)
{
	char	line[LOG_LINE_MAX];
	va_list	ap;

	if (q->n >= max) {
		if (conn_app_conf(c) != NULL && conn_app_conf(c)->stats != NULL)
			conn_app_conf(c)->stats->queue_full++;
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		log_warnx("%s", line);
		conn_app_fail(c, 503);
		return -1;
	}
	conn_app_attach(c, &app_queue_ops, NULL);
	app_queue_push(q, c);
	conn_queued(c);
	return 0;
}

void
app_queue_wait_front(struct app_queue *q, struct conn *c)
{
	conn_app_attach(c, &app_queue_ops, NULL);
	app_queue_push_front(q, c);
	conn_queued(c);
}

/* The client left, or the request waited too long. */
static void
app_queue_unqueue(struct conn *c)
{
	struct app_queue	*q = conn_qlink(c)->queue;

	if (q == NULL)
		return;
	app_queue_remove(q, c);
	if (q->left != NULL)
		q->left(q, c);
}

static void
app_short_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct app_short	*s = container_of(t, struct app_short, timer);

	s->retry(s->arg);
	if (!ev_is_active(&s->timer) && s->logged) {
		log_info("%s: fds to %s again", s->name, s->what);
		s->logged = 0;
	}
}

void
app_short_init(struct app_short *s, struct ev_loop *loop, const char *name,
    const char *what, void (*retry)(void *), void *arg)
{
	s->loop = loop;
	s->name = name;
	s->what = what;
	s->retry = retry;
	s->arg = arg;
	s->logged = 0;
	ev_init(&s->timer, app_short_cb);
}

void
app_short_hit(struct app_short *s)
{
	if (ev_is_active(&s->timer))
		return;
	if (!s->logged) {
		log_warnx("%s: out of fds to %s: requests wait in the queue",
		    s->name, s->what);
		s->logged = 1;
	}
	ev_timer_set(&s->timer, CONNECT_RETRY, 0);
	ev_timer_start(s->loop, &s->timer);
}

int
app_short_active(struct app_short *s)
{
	return ev_is_active(&s->timer);
}

void
app_short_stop(struct app_short *s)
{
	if (s->loop != NULL)
		ev_timer_stop(s->loop, &s->timer);
}
