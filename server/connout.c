/*
 * Client connections, the output queue: the buffer respond.c writes the
 * response into (as its struct respond_sink), sending it (conn_flush)
 * and the write watcher that goes on with what the client did not take,
 * and the server's own responses (conn_respond).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/conn-int.h"
#include "server/limits.h"
#include "server/master-t.h"
#include "server/util.h"

static int	conn_out_reserve(struct conn *, size_t);

/* Output queue. */
static int
conn_out_reserve(struct conn *c, size_t n)
{
	size_t	 cap;
	char	*p;

	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n <= c->out_cap)
		return 0;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + n <= c->out_cap)
			return 0;
	}
	cap = c->out_cap ? c->out_cap : 4096;
	while (cap < c->out_len + n)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		return -1;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/* The output queue as struct respond_sink. */
static char *
conn_sink_reserve(void *arg, size_t n, size_t *room)
{
	struct conn	*c = arg;

	if (conn_out_reserve(c, n) == -1)
		return NULL;
	*room = c->out_cap - c->out_len;
	return c->out + c->out_len;
}

static void
conn_sink_wrote(void *arg, size_t n)
{
	struct conn	*c = arg;

	c->out_len += n;
	if (c->req.first_byte == 0 && n > 0)
		c->req.first_byte = ev_now(c->m->loop);
}

static const char *
conn_sink_date(void *arg)
{
	struct conn	*c = arg;

	return master_date(c->m);
}

static const struct respond_sink conn_sink = {
	conn_sink_reserve, conn_sink_wrote, conn_sink_date
};

/* The request as respond.c sees it now. */
void
conn_respond_req(struct conn *c, struct respond_req *x)
{
	x->sink = &conn_sink;
	x->arg = c;
	x->minor = c->req.r.minor;
	x->is_head = c->req.is_head;
	x->keep_alive = &c->req.keep_alive;
	x->stopping = c->m->stopping || c->m->draining;
	x->name = c->req.script.script_name;
	x->request = &c->req.r;
}

/* The response is complete (or cut): nothing more will be queued. */
int
conn_ended(const struct conn *c)
{
	return respond_state(&c->req.resp) == RESPOND_ENDED;
}

void
conn_flush(struct conn *c)
{
	ssize_t	n;
	size_t	before = c->out_len - c->out_off;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_gone(c, errno == EPIPE || errno == ECONNRESET ?
			    "client gone (write)" : "write error");
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off < c->out_len) {
		if (!ev_is_active(&c->wio))
			ev_io_start(c->m->loop, &c->wio);
		conn_timer_update(c, c->out_len - c->out_off < before);
		return;
	}
	c->out_off = c->out_len = 0;
	ev_io_stop(c->m->loop, &c->wio);
	if (c->state == CONN_HIJACK || conn_ended(c)) {
		/* The request is done, but callers up the stack may still
		   be in it: finish from the loop. */
		ev_feed_event(c->m->loop, &c->wio, EV_WRITE);
		return;
	}
	if (before >= CONN_OUT_HIGH && c->app != NULL)
		c->app_ops->output_resume(c->app);
	conn_timer_update(c, 1);
}

void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn	*c = container_of(w, struct conn, wio);
	size_t		 pending = c->out_len - c->out_off;

	if (pending == 0) {
		if (c->state == CONN_HIJACK)
			conn_hijack_finish(c);
		else if (conn_ended(c))
			conn_request_done(c);
		return;
	}
	conn_flush(c);
	if (c->state != CONN_CLOSED && c->app != NULL &&
	    pending >= CONN_OUT_LOW && c->out_len - c->out_off < CONN_OUT_LOW)
		c->app_ops->output_resume(c->app);
}

/* A response of the server's own: errors, 503, OPTIONS *. */
void
conn_respond(struct conn *c, int status, const char *extra, int close)
{
	struct conn_req		*q = &c->req;
	struct respond_req	 x;

	conn_unqueue(c);
	conn_app_release(c, "server answered");
	if (close || !conn_body_complete(c))
		q->keep_alive = 0;
	conn_respond_req(c, &x);
	if (respond_error(&q->resp, &x, status, extra) == RESPOND_NOMEM) {
		conn_close(c, "out of memory");
		return;
	}
	if (q->start == 0)
		q->start = ev_now(c->m->loop);
	conn_set_state(c, CONN_WRITE);
	conn_flush(c);
}
