/*
 * Client connections, the driver: the HTTP/1.1 state machine of the
 * master.  conn_set_state() is the one writer of c->state and keeps the
 * counts by state; this file reads the client (conn_read_cb, conn_eof),
 * runs the state machine on what it read (conn_advance), takes a request
 * from its head to its end (start, route, local redirect, the chunked
 * body collected before dispatch, dispatch through the app table, done,
 * reset) and arms the one timer.  The lifecycle is connsock.c's, the
 * output queue connout.c's, the apps' side connapp.c's (conn-int.h).
 *
 * The input buffer holds the current request's head at in[0..head_len)
 * for the whole request (the parsed spans point there), then the bytes not
 * consumed yet at in[in_off..in_len): body bytes for the app, then
 * pipelined requests.  Compaction only ever moves the unconsumed part
 * down to head_len, so the spans stay valid.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/app-t.h"
#include "server/confgen.h"
#include "server/conn-int.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/util.h"

static void	conn_advance(struct conn *);
static void	conn_request_start(struct conn *, size_t);
static void	conn_read_body(struct conn *);
static int	conn_takes_raw_chunked(struct conn *);
static int	conn_buffers(struct conn *, uint64_t);
static uint64_t	conn_body_got(const struct conn *);
static void	conn_client_wait(struct conn *, int);
static double	conn_rate_left(const struct conn *);

const char *
conn_state_name(enum conn_state s)
{
	switch (s) {
	case CONN_IDLE:		return "idle";
	case CONN_READ_HEAD:	return "read-head";
	case CONN_READ_BODY:	return "read-body";
	case CONN_QUEUED:	return "queued";
	case CONN_DISPATCHED:	return "dispatched";
	case CONN_WRITE:	return "write";
	case CONN_DRAIN:	return "drain";
	case CONN_LINGER:	return "linger";
	case CONN_HIJACK:	return "hijack";
	case CONN_CLOSED:	return "closed";
	}
	return "unknown";
}

/*
 * The one writer of c->state: logs the transition and keeps the counts
 * by state.  A connection counts in its state while open; closed, in
 * none.  (A struct conn taken from the spares starts in CONN_IDLE, zeroed,
 * as its connection was.)
 */
void
conn_set_state(struct conn *c, enum conn_state s)
{
	struct conn_set	*cs = c->m->conns;

	if (c->state == s)
		return;
	log_debug("conn %d: %s -> %s", c->fd, conn_state_name(c->state),
	    conn_state_name(s));
	if (s == CONN_CLOSED || s == CONN_HIJACK)
		conn_watch_set(c, 0);	/* before the fd closes or goes */
	if (c->state != CONN_CLOSED)
		cs->nstate[c->state]--;
	if (s != CONN_CLOSED)
		cs->nstate[s]++;
	c->state = s;
}

/* Timeouts: one timer, armed for what the connection waits on now. */
void
conn_timer_update(struct conn *c, int activity)
{
	struct conf	*cf = c->m->conf;
	int		 kind;
	double		 t = 0;

	if (c->state == CONN_CLOSED)
		return;		/* c->sock is gone, or not c's any more */
	switch (c->state) {
	case CONN_IDLE:
		kind = T_KEEPALIVE;
		break;
	case CONN_READ_HEAD:
		kind = T_HEADER;
		break;
	case CONN_READ_BODY:
	case CONN_DRAIN:
		kind = T_BODY;
		break;
	case CONN_QUEUED:
		kind = T_QUEUE;
		break;
	case CONN_DISPATCHED:
		/* body_timeout is the client's silence while the app waits
		   for body bytes: none while the app has some to take. */
		if (c->out_len > c->out_off)
			kind = T_WRITE;
		else if (!conn_body_complete(c) && !c->rd_eof &&
		    conn_body_starved(c))
			kind = T_BODY;
		else
			kind = T_NONE;	/* the app's own timeout governs */
		conn_client_wait(c, kind == T_BODY);
		break;
	case CONN_WRITE:
		kind = T_WRITE;
		break;
	case CONN_HIJACK:
		kind = c->out_len > c->out_off ? T_WRITE : T_NONE;
		break;
	case CONN_LINGER:
		kind = T_LINGER;
		break;
	default:
		kind = T_NONE;
		break;
	}
	/* The head timeout is for the whole head; the others are idle
	   timeouts, pushed back by activity. */
	if ((kind == c->tkind || (kind == T_BODY && c->tkind == T_RATE)) &&
	    !(activity && (kind == T_BODY || kind == T_WRITE)))
		return;
	c->tkind = kind;
	switch (kind) {
	case T_HEADER:		t = cf->header_timeout; break;
	case T_KEEPALIVE:	t = cf->keepalive_timeout; break;
	case T_BODY:
		t = cf->body_timeout;
		if (cf->body_min_rate > 0 && c->state != CONN_DRAIN &&
		    conn_rate_left(c) < t) {
			c->tkind = T_RATE;
			t = conn_rate_left(c);
			if (t < 0.001)
				t = 0.001;
		}
		break;
	case T_WRITE:		t = cf->write_timeout; break;
	case T_LINGER:		t = CONN_LINGER_TIME; break;
	case T_QUEUE:		/* queued: routed to an app */
		t = c->req.app->request_timeout;
		break;
	default:
		t = 0;
		break;
	}
	if (t <= 0) {
		ev_timer_stop(c->m->loop, &c->sock->timer);
		return;
	}
	c->sock->timer.repeat = t;
	ev_timer_again(c->m->loop, &c->sock->timer);
}

void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn_sock	*sk = container_of(w, struct conn_sock, timer);
	struct conn		*c = sk->c;

	if (c == NULL) {
		conn_idle_close(sk, sk->nreq == 0 ? "request head timeout" :
		    "keep-alive timeout");
		return;
	}
	switch (c->tkind) {
	case T_KEEPALIVE:
		conn_close(c, "keep-alive timeout");
		break;
	case T_HEADER:
		if (c->in_len > 0) {
			c->req.keep_alive = 0;
			c->linger = 1;
			ev_timer_stop(loop, w);
			conn_respond(c, 408, NULL, 1);
		} else
			conn_close(c, "request head timeout");
		break;
	case T_QUEUE:
		conn_timed_out(c, "queue timeout", 0);
		conn_unqueue(c);
		log_warnx("%s:%u: waited too long for a free process of %s",
		    c->peer_addr, c->peer_port, c->req.app != NULL ?
		    c->req.app->name : "its app");
		conn_set_state(c, CONN_DISPATCHED);
		conn_respond(c, 503, "Retry-After: 1\r\n", 0);
		break;
	case T_BODY:
		conn_timed_out(c, "request body timeout", 1);
		break;
	case T_RATE:
		log_info("%s:%u: request body slower than body_min_rate "
		    "(%llu bytes in %.1f s)", c->peer_addr, c->peer_port,
		    (unsigned long long)conn_body_got(c),
		    ev_now(loop) - c->req.start);
		c->req.keep_alive = 0;
		c->linger = !c->rd_eof;
		ev_timer_stop(loop, w);
		conn_timed_out(c, "request body slower than body_min_rate", 0);
		conn_app_fail(c, 408);
		break;
	case T_WRITE:
		conn_timed_out(c, "write timeout (client not reading)", 1);
		break;
	default:
		conn_close(c, "linger done");
		break;
	}
}

/* The app waits on the client for body bytes (on), or no longer: that
   time is not the app's (conn_app_time). */
static void
conn_client_wait(struct conn *c, int on)
{
	struct conn_req	*q = &c->req;
	ev_tstamp	 now = ev_now(c->m->loop);

	if (on && q->wait_since == 0)
		q->wait_since = now;
	else if (!on && q->wait_since != 0) {
		q->waited += now - q->wait_since;
		q->wait_since = 0;
	}
}

double
conn_app_time(struct conn *c)
{
	const struct conn_req	*q = &c->req;
	ev_tstamp		 now = ev_now(c->m->loop);

	return now - q->dispatched - q->waited -
	    (q->wait_since != 0 ? now - q->wait_since : 0);
}

/* Body bytes the client has sent so far (read from its socket). */
static uint64_t
conn_body_got(const struct conn *c)
{
	const struct reqbody	*b = &c->req.body;
	uint64_t		 left = reqbody_unread(b);
	uint64_t		 buf = conn_unconsumed(c);

	switch (reqbody_kind(b)) {
	case REQBODY_LENGTH:
		if (buf > left)
			buf = left;
		return (uint64_t)c->req.body_len - left + buf;
	case REQBODY_RAW_CHUNKED:
		return reqbody_total(b) + buf;
	default:
		return reqbody_total(b);
	}
}

/* Seconds until the body falls below body_min_rate: body_timeout from
   the request's start, plus a second for each body_min_rate bytes that
   came (mod_reqtimeout's MinRate). */
static double
conn_rate_left(const struct conn *c)
{
	const struct conf	*cf = c->m->conf;

	return c->req.start + cf->body_timeout + (double)conn_body_got(c) /
	    (double)cf->body_min_rate - ev_now(c->m->loop);
}

/* Reading: on while there is room in the buffer and the client has not
   half-closed; it also watches for the client leaving while an app runs. */
void
conn_read_update(struct conn *c)
{
	int	want;

	if (c->state == CONN_CLOSED)
		return;
	/* A connection being handed over reads nothing more: what the
	   client sends goes with the socket. */
	want = !c->rd_eof && c->state != CONN_HIJACK && (c->in == NULL ||
	    c->in_len < c->in_cap || c->in_off > c->req.head_len);
	if (want && !ev_is_active(&c->sock->rio))
		ev_io_start(c->m->loop, &c->sock->rio);
	else if (!want && ev_is_active(&c->sock->rio))
		ev_io_stop(c->m->loop, &c->sock->rio);
	/* Not reading (a full buffer, or the client half-closed and waits
	   for its answer): a FIN or reset is seen by the blind watch. */
	conn_watch_set(c, !want && c->state != CONN_HIJACK);
}

void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn_sock	*sk = container_of(w, struct conn_sock, rio);
	struct conn		*c = sk->c;
	ssize_t			 n;

	if (c == NULL && (c = conn_attach(sk)) == NULL)
		return;
	if (c->state == CONN_CLOSED)
		return;
	if (c->in == NULL) {
		/* Room for a whole head: max_head bytes besides a target
		   of up to max_target (http1.h). */
		c->in_cap = c->m->limits.max_head +
		    c->m->limits.max_target + 4096;
		if (c->in_cap < CONN_IN_MIN)
			c->in_cap = CONN_IN_MIN;
		if ((c->in = malloc(c->in_cap)) == NULL) {
			conn_close(c, "out of memory");
			return;
		}
		c->in_len = c->in_off = 0;
	}
	if (reqbody_error(&c->req.body) && c->state == CONN_DISPATCHED) {
		/* Fed by conn_body_peek. */
		log_info("%s:%u: bad chunked request body", c->peer_addr,
		    c->peer_port);
		c->req.keep_alive = 0;
		c->linger = !c->rd_eof;
		conn_app_fail(c, reqbody_error(&c->req.body));
		return;
	}
	if (c->rd_eof) {
		/* Fed by conn_body_consume: the EOF seen earlier counts now. */
		conn_eof(c);
		return;
	}
	if (c->state == CONN_LINGER) {
		n = read(c->fd, c->m->scratch, sizeof(c->m->scratch));
		if (n > 0 && (c->lingered += (size_t)n) < CONN_LINGER_BYTES)
			return;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(c, "linger done");
		return;
	}
	if (c->in_len == c->in_cap && c->in_off > c->req.head_len) {
		memmove(c->in + c->req.head_len, c->in + c->in_off,
		    c->in_len - c->in_off);
		c->in_len -= c->in_off - c->req.head_len;
		c->in_off = c->req.head_len;
	}
	if (c->in_len == c->in_cap) {
		conn_read_update(c);
		return;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR) {
			/* A wake-up with nothing to read: nothing to do. */
			if (c->state == CONN_IDLE && c->in_len == 0 &&
			    c->out_off == c->out_len)
				conn_detach(c);
			return;
		}
		conn_gone(c, errno == ECONNRESET ? "client reset" : "read error");
		return;
	}
	if (n == 0) {
		c->rd_eof = 1;
		ev_io_stop(loop, w);
		conn_eof(c);
		conn_read_update(c);	/* the watch, for a reset */
		return;
	}
	c->in_len += (size_t)n;
	if (c->state == CONN_IDLE)
		conn_set_state(c, CONN_READ_HEAD);
	else if (c->state == CONN_READ_HEAD &&
	    memchr(c->in + c->in_len - n, '\n', (size_t)n) == NULL &&
	    !(c->in_len - n <= c->m->limits.max_target &&
	    c->in_len > c->m->limits.max_target) &&
	    c->in_len < c->m->limits.max_head + c->m->limits.max_target) {
		/* The parser reads the whole head again on each call: call
		   it only when a line ended or a limit was crossed, so a
		   client sending a byte at a time costs linear work. */
		conn_timer_update(c, 1);
		return;
	}
	conn_advance(c);
	if (c->state != CONN_CLOSED) {
		conn_read_update(c);
		conn_timer_update(c, 1);
	}
}

/* The client closed its sending side. */
void
conn_eof(struct conn *c)
{
	switch (c->state) {
	case CONN_IDLE:
		conn_close(c, "client closed");
		return;
	case CONN_READ_HEAD:
		conn_close(c, conn_unconsumed(c) > 0 ?
		    "client closed inside a request head" : "client closed");
		return;
	case CONN_DRAIN:
	case CONN_READ_BODY:
		conn_gone(c, "client closed inside a request body");
		return;
	case CONN_WRITE:
		/* The response is complete and going out: a client that
		   half-closed still reads it; close once it is sent. */
		if (conn_body_complete(c))
			return;
		conn_gone(c, "client gone during the request body");
		return;
	case CONN_QUEUED:
	case CONN_DISPATCHED:
		/* EOF before the client sent its whole body, by the body's
		   framing, is the client gone (close-notify rule 2), whatever
		   is buffered.  EOF after it with bytes buffered (the rest of
		   the body, pipelined requests) is a half-close: the client
		   waits for its answers.  Otherwise it is gone (rule 4). */
		if (!reqbody_received(&c->req.body, c->in + c->in_off,
		    conn_unconsumed(c))) {
			conn_gone(c, "client gone during the request body");
			return;
		}
		if (conn_unconsumed(c) > 0 ||
		    (reqbody_kind(&c->req.body) == REQBODY_MEMORY &&
		    !conn_body_complete(c)))
			return;
		/* A half-close after the whole request (close-notify rule
		   4): GONE, or answered (conn_half_closed). */
		if (conn_half_closed(c))
			return;
		conn_gone(c, conn_body_complete(c) ? "client gone" :
		    "client gone during the request body");
		return;
	default:
		return;
	}
}

/* Runs the state machine on the buffered input. */
static void
conn_advance(struct conn *c)
{
	ssize_t	n;

	switch (c->state) {
	case CONN_IDLE:
	case CONN_READ_HEAD:
		if (c->in_off > 0) {
			memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (c->in_len == 0)
			return;
		conn_set_state(c, CONN_READ_HEAD);
		c->req.r.fields = c->req.r.fields != NULL ? c->req.r.fields :
		    calloc(c->m->limits.max_fields, sizeof(struct http1_field));
		if (c->req.r.fields == NULL) {
			conn_close(c, "out of memory");
			return;
		}
		n = http1_parse_request(c->in, c->in_len, &c->req.r,
		    &c->m->limits);
		if (n == 0)
			return;
		if (n < 0) {
			log_info("%s:%u: bad request: %d", c->peer_addr,
			    c->peer_port, (int)-n);
			c->req.keep_alive = 0;
			c->linger = 1;
			conn_respond(c, (int)-n, NULL, 1);
			return;
		}
		conn_request_start(c, (size_t)n);
		return;
	case CONN_READ_BODY:
		conn_read_body(c);
		return;
	case CONN_DISPATCHED:
		if (c->app == NULL || conn_unconsumed(c) == 0)
			return;
		if (!conn_body_complete(c))
			c->app_ops->body_ready(c->app);
		else
			conn_tell_pipelined(c);
		return;
	case CONN_DRAIN:
		c->in_off += reqbody_skip(&c->req.body, conn_unconsumed(c));
		if (reqbody_unread(&c->req.body) == 0)
			conn_request_done(c);
		return;
	default:
		return;
	}
}

static const char *
conn_field(const struct conn *c, const char *name, size_t *len)
{
	const struct http1_field *f = http1_find_field(&c->req.r, name);

	if (f == NULL) {
		*len = 0;
		return NULL;
	}
	*len = f->value.len;
	return f->value.p;
}

static void
conn_request_start(struct conn *c, size_t head_len)
{
	struct conn_req	*q = &c->req;
	struct master	*m = c->m;
	const struct http1_request *r = &q->r;

	q->head_len = head_len;
	q->log_method = r->method;
	q->log_target = r->target;
	c->in_off = head_len;
	q->start = ev_now(m->loop);
	q->body_len = -1;
	q->is_head = r->method.len == 4 && memcmp(r->method.p, "HEAD", 4) == 0;
	if (r->minor >= 1)
		q->keep_alive = !(r->flags & HTTP1_F_CLOSE);
	else
		q->keep_alive = (r->flags & HTTP1_F_KEEPALIVE) != 0;
	if (m->stopping || m->draining)
		q->keep_alive = 0;
	c->nreq++;
	conn_forwarded(c);
	conn_set_state(c, CONN_DISPATCHED);

	reqbody_start(&q->body, r->body, r->content_length,
	    m->conf->max_body, CONN_CBODY_MEM);
	if (r->body == HTTP1_BODY_LENGTH) {
		q->body_len = (int64_t)r->content_length;
		if (r->content_length > m->conf->max_body) {
			/* Linger as after a 400: the client is likely still
			   sending the body, and a close with it unread would
			   reset the connection before the 413 is read. */
			q->keep_alive = 0;
			c->linger = 1;
			conn_respond(c, 413, NULL, 1);
			return;
		}
	}
	if (r->flags & HTTP1_F_EXPECT_OTHER) {
		conn_respond(c, 417, NULL, 1);
		return;
	}
	if (r->form == HTTP1_TARGET_ASTERISK) {
		conn_respond(c, 200, "Allow: GET, HEAD, POST, OPTIONS\r\n", 0);
		return;
	}
	if (r->form == HTTP1_TARGET_AUTHORITY) {
		conn_respond(c, 501, NULL, 0);
		return;
	}
	conn_route(c);
	if (c->state != CONN_DISPATCHED)
		return;		/* answered, or closed */
	if (r->body == HTTP1_BODY_CHUNKED && conn_takes_raw_chunked(c)) {
		/* Streamed raw: the worker decodes it, and a hijack hands
		   the rest over exactly as the client sent it. */
		reqbody_set_raw(&q->body);
		conn_dispatch(c);
		return;
	}
	if (r->body == HTTP1_BODY_LENGTH && r->content_length > 0 &&
	    conn_buffers(c, r->content_length))
		reqbody_set_buffered(&q->body, CONN_BUFFER_MEM);
	if (reqbody_kind(&q->body) == REQBODY_MEMORY) {
		conn_set_state(c, CONN_READ_BODY);
		if (conn_continue(c) && c->state == CONN_CLOSED)
			return;
		conn_read_body(c);
		return;
	}
	conn_dispatch(c);
}

/* 1 when the app's request_buffering takes a Content-Length body of len
   bytes whole before dispatch (AUTO: unless the app's workers stream
   bodies themselves, as libferry's do). */
static int
conn_buffers(struct conn *c, uint64_t len)
{
	uint64_t	limit = c->req.app->request_buffering;

	if (limit == CONF_BUFFER_AUTO)
		limit = conn_takes_raw_chunked(c) ? 0 : CONF_BUFFER_ON;
	return len <= limit;
}

/* Picks the app and the script for the request's path; answers the
   request itself when there is none. */
void
conn_route(struct conn *c)
{
	struct conn_req	*q = &c->req;
	struct master	*m = c->m;
	int		 st;

	/* A local redirect routes again, by the configuration now. */
	if (q->cf != m->conf) {
		confgen_put(m, q->cf);
		q->cf = m->conf;
		confgen_hold(q->cf);
	}
	q->app = route_match(m->conf->apps, m->conf->napps, q->r.path.p,
	    q->r.path.len);
	if (q->app == NULL) {
		conn_respond(c, 404, NULL, 0);
		return;
	}
	if (q->app->type == CONF_APP_STATUS)	/* ferryd's own page */
		st = route_app_paths(q->app->prefix, q->app->name,
		    q->r.path.p, q->r.path.len, &q->script);
	else if (q->app->type == CONF_APP_CGI)
		st = route_script_resolve(q->app->root, q->app->prefix,
		    q->r.path.p, q->r.path.len, ROUTE_EXEC, &q->script);
	else if (q->app->root != NULL)	/* php-cgi, fcgiwrap */
		st = route_script_resolve(q->app->root, q->app->prefix,
		    q->r.path.p, q->r.path.len, 0, &q->script);
	else
		st = route_app_paths(q->app->prefix, q->app->command,
		    q->r.path.p, q->r.path.len, &q->script);
	if (st != 0)
		conn_respond(c, st, NULL, 0);
}

/* Collects a chunked body (CGI needs CONTENT_LENGTH) or a buffered one
   (request_buffering), in memory up to CONN_CBODY_MEM and in an unlinked
   temp file beyond; dispatches it once whole. */
static void
conn_read_body(struct conn *c)
{
	struct conn_req	*q = &c->req;
	size_t		 used;
	int		 st;

	st = reqbody_collect(&q->body, c->in + c->in_off, conn_unconsumed(c),
	    &used);
	c->in_off += used;
	if (st == REQBODY_MORE)
		return;
	if (st != REQBODY_DONE) {
		if (st != 500) {
			q->keep_alive = 0;
			c->linger = 1;
		}
		conn_respond(c, st, NULL, 1);
		return;
	}
	q->body_len = (int64_t)reqbody_total(&q->body);
	conn_set_state(c, CONN_DISPATCHED);
	conn_dispatch(c);
}

/* The routed request goes to its app, through the app type table. */
void
conn_dispatch(struct conn *c)
{
	c->req.dispatched = ev_now(c->m->loop);
	conn_set_state(c, CONN_DISPATCHED);
	c->m->app_types[c->req.app->type]->request(c);
}

/* 1 when the routed request's app takes a chunked body raw. */
static int
conn_takes_raw_chunked(struct conn *c)
{
	const struct app_type	*t = c->m->app_types[c->req.app->type];

	return t->takes_raw_chunked != NULL && t->takes_raw_chunked(c);
}

/* The status page's counters of a request that ended. */
static void
conn_count_request(struct conn *c, int status, double seconds)
{
	struct stats		*s = &c->m->stats;
	struct stats_app	*a;
	int			 k = stats_class(status);

	s->requests++;
	s->status[k]++;
	if (c->req.app == NULL || (a = c->req.app->stats) == NULL)
		return;
	a->requests++;
	a->status[k]++;
	if (status == 504)
		a->timeouts++;
	stats_observe(&a->duration, seconds);
}

void
conn_access_log(struct conn *c, int status)
{
	struct conn_req		*q = &c->req;
	struct log_access_entry	 e;

	memset(&e, 0, sizeof(e));
	e.remote_addr = conn_client_addr(c);
	e.method = q->log_method.p;
	e.method_len = q->log_method.len;
	e.target = q->log_target.p;
	e.target_len = q->log_target.len;
	e.minor = q->r.minor;
	e.status = status != 0 ? status : respond_status(&q->resp);
	e.bytes = respond_bytes(&q->resp);
	if (q->r.method.p != NULL) {
		e.referer = conn_field(c, "Referer", &e.referer_len);
		e.user_agent = conn_field(c, "User-Agent", &e.user_agent_len);
	}
	e.duration_us = (uint64_t)((ev_now(c->m->loop) - q->start) * 1e6);
	e.remote_port = conn_client_port(c);
	e.bytes_in = q->head_len + conn_body_got(c);
	if ((e.has_ttfb = q->first_byte != 0))
		e.ttfb_us = (uint64_t)((q->first_byte - q->start) * 1e6);
	e.app = q->app != NULL ? q->app->name : NULL;
	e.pid = q->app_pid;
	e.end = status == 499 ? LOG_END_GONE : (enum log_end)q->end;
	e.end_reason = q->end_reason;
	if ((e.has_rusage = q->has_rusage)) {
		e.cpu_user_us = q->cpu_user_us;
		e.cpu_sys_us = q->cpu_sys_us;
		e.maxrss_kb = q->maxrss_kb;
	}
	log_access(&e);
	conn_count_request(c, e.status, ev_now(c->m->loop) - q->start);
}

void
conn_timed_out(struct conn *c, const char *reason, int close)
{
	c->req.end = LOG_END_TIMEOUT;
	c->req.end_reason = reason;
	if (!close)
		return;
	/* 408 unless a response began (nginx logs the same) */
	if (conn_in_request(c))
		conn_access_log(c, respond_status(&c->req.resp) != 0 ? 0 :
		    408);
	conn_close(c, reason);
}

void
conn_gone(struct conn *c, const char *reason)
{
	switch (c->state) {
	case CONN_READ_BODY:
	case CONN_QUEUED:
	case CONN_DISPATCHED:
	case CONN_WRITE:
		c->req.end_reason = reason;
		conn_access_log(c, 499);
		break;
	default:
		break;
	}
	conn_close(c, reason);
}

void
conn_request_reset(struct conn *c)
{
	struct conn_req		*q = &c->req;
	struct http1_field	*fields = q->r.fields;

	route_script_free(&q->script);
	confgen_put(c->m, q->cf);
	reqbody_reset(&q->body);
	respond_reset(&q->resp);
	free(q->redirect);
	memset(q, 0, sizeof(*q));
	q->r.fields = fields;
}

const char *
conn_body_blocks_keep(const struct conn *c)
{
	uint64_t	left = reqbody_unread(&c->req.body);
	size_t		have = conn_unconsumed(c);

	if (left > have && left - have > CONN_DRAIN_MAX)
		return "unread request body too large to drain";
	if (left == 0 && !reqbody_wire_done(&c->req.body))
		return "unread chunked body";
	return NULL;
}

/*
 * The connection ends after its response, for why.  A request the client
 * pipelined behind this one goes unanswered: it is logged, as the client
 * may not have been told (a close decided after the head went out), and
 * has to retry it (RFC 9112 section 9.3.2).  A client that may still be
 * sending gets a lingering close (section 9.6), so that it reads the
 * response rather than a reset.
 */
static void
conn_close_after(struct conn *c, const char *why)
{
	struct conn_req	*q = &c->req;
	uint64_t	 left = reqbody_unread(&q->body);
	size_t		 have = conn_unconsumed(c);

	/* After a 101 the bytes are the new protocol's, not a request. */
	if (have > left && (left > 0 || reqbody_wire_done(&q->body)) &&
	    respond_status(&q->resp) != 101)
		log_info("%s:%u: %zu bytes of a pipelined request left "
		    "unanswered: %s", c->peer_addr, c->peer_port,
		    have - (size_t)left, why);
	if (!c->linger && !c->m->stopping && (have > 0 ||
	    !reqbody_received(&q->body, c->in + c->in_off, have)))
		c->linger = 1;
	if (!c->linger || c->rd_eof) {
		conn_close(c, why);
		return;
	}
	/* Half-close so the client reads the response instead of a
	   reset, then drain briefly. */
	shutdown(c->fd, SHUT_WR);
	conn_set_state(c, CONN_LINGER);
	conn_timer_update(c, 0);
	conn_read_update(c);
}

/* The response went out: log it, then the next request or close. */
void
conn_request_done(struct conn *c)
{
	struct conn_req	*q = &c->req;
	const char	*why = NULL;

	if (c->state != CONN_DRAIN) {
		if (q->r.method.p != NULL || respond_status(&q->resp) != 0)
			conn_access_log(c, 0);
		conn_app_release(c, "response done");
		if (c->linger)
			why = "error sent";
		else if (!q->keep_alive || respond_must_close(&q->resp) ||
		    c->m->stopping)
			why = "response done, not keeping alive";
		else
			why = conn_body_blocks_keep(c);
		if (why != NULL) {
			conn_close_after(c, why);
			return;
		}
		if (reqbody_unread(&q->body) > 0) {
			c->in_off += reqbody_skip(&q->body, conn_unconsumed(c));
			if (reqbody_unread(&q->body) > 0) {
				conn_set_state(c, CONN_DRAIN);
				conn_timer_update(c, 0);
				conn_read_update(c);
				return;
			}
		}
	}
	/* Move what is left (pipelined requests) to the buffer's start. */
	if (c->in != NULL) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	conn_request_reset(c);
	conn_set_state(c, c->in_len > 0 ? CONN_READ_HEAD : CONN_IDLE);
	if (c->in_len == 0) {
		if (c->rd_eof) {
			conn_close(c, "client closed after its requests");
			return;
		}
		/* An idle connection keeps no struct conn, nor buffers. */
		if (c->out_off == c->out_len) {
			conn_detach(c);
			return;
		}
	}
	c->tkind = -1;
	conn_timer_update(c, 0);
	conn_read_update(c);
	if (c->in_len > 0)
		conn_advance(c);
	/* A half-closed client whose last bytes are not a whole request
	   will send no more. */
	if (c->state == CONN_READ_HEAD && c->rd_eof)
		conn_close(c, "client closed inside a request head");
}
