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
#include "server/log.h"

static void	app_queue_unqueue(struct conn *);

/* What a waiting connection offers: only leaving the queue (no app runs
   its request yet, so the other ops are never called). */
static const struct conn_app_ops app_queue_ops = {
	NULL, NULL, NULL, app_queue_unqueue, NULL, NULL, NULL
};

void
app_queue_push(struct app_queue *q, struct conn *c)
{
	struct app_qlink	*l = conn_qlink(c);

	l->next = NULL;
	l->queue = q;
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
	q->head = c;
	if (q->tail == NULL)
		q->tail = c;
	q->n++;
}

struct conn *
app_queue_pop(struct app_queue *q)
{
	struct conn	*c = q->head;

	if (c != NULL)
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
