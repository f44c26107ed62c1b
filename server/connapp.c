/*
 * Client connections, the apps' side: what conn.h offers an app running
 * (or queued to run) a request.  Attaching and releasing the app, the
 * request and its facts (accessors, cgienv), the queue's state changes,
 * 100 Continue, the request body (over server/reqbody.c), the app's
 * output to the response (over server/respond.c, with the commit
 * timer), its end or failure, and the hand-over of the socket (hijack).
 */
#include "config.h"

#include <sys/resource.h>

#include <stdlib.h>
#include <string.h>

#include "protocol/cgienv.h"
#include "protocol/fcgi.h"
#include "server/conn-int.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/util.h"

static void	conn_commit(struct conn *, int64_t);
static void	conn_body_out(struct conn *, const char *, size_t);

struct master *
conn_master(const struct conn *c)
{
	return c->m;
}

struct conf_app *
conn_app_conf(const struct conn *c)
{
	return c->req.app;
}

const struct http1_request *
conn_request(const struct conn *c)
{
	return &c->req.r;
}

const struct route_script *
conn_script(const struct conn *c)
{
	return &c->req.script;
}

struct app_qlink *
conn_qlink(struct conn *c)
{
	return &c->ql;
}

/* A queued request leaves its queue (its client left, it waited too
   long, or the server answers it itself); nothing otherwise. */
void
conn_unqueue(struct conn *c)
{
	if (c->state == CONN_QUEUED && c->app_ops != NULL &&
	    c->app_ops->unqueue != NULL)
		c->app_ops->unqueue(c);
}

/* The queue's timeout replaces whatever the connection waited on: a
   pipelined request queued from the end of the one before would
   otherwise keep that one's header timeout, and be answered 408 while it
   still waits in the queue. */
void
conn_queued(struct conn *c)
{
	conn_set_state(c, CONN_QUEUED);
	conn_timer_update(c, 0);
}

void
conn_dequeued(struct conn *c)
{
	conn_set_state(c, CONN_DISPATCHED);
}

void
conn_cgienv_info(struct conn *c, struct cgienv_info *info)
{
	memset(info, 0, sizeof(*info));
	info->remote_addr = c->peer_addr;
	info->remote_port = c->peer_port;
	info->server_addr = c->local_addr;
	info->server_port = c->local_port;
	info->https = c->https;
	info->server_software = c->m->software;
	info->script_name = c->req.script.script_name;
	info->script_filename = c->req.script.script_filename;
	info->path_info = c->req.script.path_info;
	info->path_translated = c->req.script.path_translated;
	info->document_root = c->req.app->root;
	info->content_length = c->req.body_len;
	conn_forwarded_info(c, info);
}

void
conn_app_attach(struct conn *c, const struct conn_app_ops *ops, void *app)
{
	c->app_ops = ops;
	c->app = app;
}

void
conn_app_detached(struct conn *c)
{
	c->app = NULL;
}

void
conn_app_note_pid(struct conn *c, pid_t pid)
{
	c->req.app_pid = pid;
}

void
conn_app_note_rusage(struct conn *c, const struct rusage *ru)
{
	struct conn_req	*q = &c->req;

	q->has_rusage = 1;
	q->cpu_user_us = (uint64_t)ru->ru_utime.tv_sec * 1000000 +
	    (uint64_t)ru->ru_utime.tv_usec;
	q->cpu_sys_us = (uint64_t)ru->ru_stime.tv_sec * 1000000 +
	    (uint64_t)ru->ru_stime.tv_usec;
	q->maxrss_kb = ru->ru_maxrss > 0 ? (uint64_t)ru->ru_maxrss : 0;
}

/* Bytes after the whole body of a running request are the next request:
   the app hears of it once (close-notify rule 5); the bytes stay
   buffered, and the watch goes on for a reset. */
void
conn_tell_pipelined(struct conn *c)
{
	struct conn_req	*q = &c->req;

	if (q->pipelined_told || c->app == NULL ||
	    c->app_ops->pipelined == NULL || conn_ended(c))
		return;
	q->pipelined_told = 1;
	c->app_ops->pipelined(c->app);
}

int
conn_half_closed(struct conn *c)
{
	int	keep;

	if (c->req.half_closed)
		return 1;
	if (c->state == CONN_QUEUED)
		keep = c->req.app != NULL && c->req.app->half_close_answer;
	else
		keep = c->app != NULL && c->app_ops->half_closed != NULL &&
		    c->app_ops->half_closed(c->app);
	if (!keep)
		return 0;
	log_info("%s:%u: the client half-closed; its answer goes out",
	    c->peer_addr, c->peer_port);
	c->req.keep_alive = 0;
	c->req.half_closed = 1;
	return 1;
}

/* The connection lets go of its app, which applies its policy (a CGI
   script is terminated, a worker finishes or is aborted). */
void
conn_app_release(struct conn *c, const char *why)
{
	void	*app = c->app;

	if (app == NULL)
		return;
	c->app = NULL;
	c->app_ops->detach(app, why);
}

/* The app is starting: a client that waits for 100 Continue gets it now. */
void
conn_dispatch_ready(struct conn *c)
{
	if (c->state == CONN_QUEUED)
		conn_set_state(c, CONN_DISPATCHED);
	/* The wait in the queue is over: its timeout must not fire on the
	   running request. */
	conn_timer_update(c, 0);
	(void)conn_continue(c);
}

/* A client that waits for 100 Continue before it sends its body gets it
   (once), when none of the body came yet.  Returns 1 when it was sent
   (and flushed: c may be closed). */
int
conn_continue(struct conn *c)
{
	const struct http1_request	*r = &c->req.r;
	struct respond_req		 x;

	if (!(r->flags & HTTP1_F_EXPECT_CONTINUE) || r->minor < 1 ||
	    c->req.resp.continued || reqbody_wire_done(&c->req.body) ||
	    conn_unconsumed(c) > 0)
		return 0;
	conn_respond_req(c, &x);
	respond_continue(&c->req.resp, &x);
	conn_flush(c);
	return 1;
}

/* For apps: the request now runs on a worker that can hear of
   pipelining; a next request already buffered counts at once. */
void
conn_dispatch_watch(struct conn *c)
{
	if (c->state == CONN_DISPATCHED && conn_body_complete(c) &&
	    conn_unconsumed(c) > 0)
		conn_tell_pipelined(c);
}

void
conn_body_peek(struct conn *c, const char **p, size_t *len)
{
	/* A raw chunked body that turned out bad fails the request from
	   the loop (conn_read_cb). */
	if (reqbody_peek(&c->req.body, c->in + c->in_off, conn_unconsumed(c),
	    p, len))
		ev_feed_event(c->m->loop, &c->sock->rio, EV_READ);
}

void
conn_body_consume(struct conn *c, size_t n)
{
	c->in_off += reqbody_consume(&c->req.body, c->in + c->in_off,
	    conn_unconsumed(c), n);
	/* A client that half-closed after its body left nothing behind
	   it once the body is passed on: it is gone now. */
	if (c->rd_eof && conn_unconsumed(c) == 0 &&
	    c->state == CONN_DISPATCHED) {
		/* From the loop: the app is in the middle of passing it on. */
		ev_feed_event(c->m->loop, &c->sock->rio, EV_READ);
		return;
	}
	conn_read_update(c);
	/* The app took what there was: from now on the body waits on the
	   client (body_timeout), or on nothing. */
	conn_timer_update(c, 0);
}

int
conn_body_starved(struct conn *c)
{
	return conn_unconsumed(c) == 0 && !reqbody_received(&c->req.body,
	    c->in + c->in_off, 0);
}

int
conn_body_complete(struct conn *c)
{
	return reqbody_complete(&c->req.body);
}

int
conn_body_fd(struct conn *c)
{
	return reqbody_fd(&c->req.body);
}

int
conn_body_take_fd(struct conn *c)
{
	return reqbody_take_fd(&c->req.body);
}

int
conn_body_raw_chunked(struct conn *c)
{
	return reqbody_kind(&c->req.body) == REQBODY_RAW_CHUNKED;
}

/* Acts on what a respond_* call returned. */
static void
conn_respond_result(struct conn *c, int st)
{
	if (st == RESPOND_NOMEM)
		conn_close(c, "out of memory");
	else if (st != RESPOND_OK)
		conn_app_fail(c, st);
}

/* Queues the response head for the app's response; length is the body
   length when known, else -1. */
static void
conn_commit(struct conn *c, int64_t length)
{
	struct respond_req	 x;

	ev_timer_stop(c->m->loop, &c->commit);
	/* An app that ended reads no more of the body: when what it left
	   will close the connection, the head says so (RFC 9112 9.6). */
	if (c->app == NULL && conn_body_blocks_keep(c) != NULL)
		c->req.keep_alive = 0;
	conn_respond_req(c, &x);
	conn_respond_result(c, respond_commit(&c->req.resp, &x, length));
}

/* Queues body bytes from the app, framed as the response head said, or
   held while it is not committed. */
static void
conn_body_out(struct conn *c, const char *p, size_t len)
{
	struct respond_req	 x;
	int			 st;

	conn_respond_req(c, &x);
	st = respond_body(&c->req.resp, &x, p, len);
	if (respond_state(&c->req.resp) != RESPOND_HELD)
		ev_timer_stop(c->m->loop, &c->commit);
	conn_respond_result(c, st);
}

int
conn_app_output(struct conn *c, const char *p, size_t len)
{
	struct conn_req		*q = &c->req;
	struct respond_req	 x;
	int			 st;

	if (conn_ended(c) || c->state == CONN_HIJACK)
		return 1;
	if (respond_state(&q->resp) == RESPOND_HEAD) {
		conn_respond_req(c, &x);
		st = respond_head(&q->resp, &x, p, len);
		/* An interim response (103) queued goes out at once. */
		if (st == RESPOND_MORE && c->out_off == c->out_len)
			return 1;
		if (st == RESPOND_REDIRECT) {
			conn_local_redirect(c, respond_cgiresp(&q->resp));
			return 0;
		}
		if (st != RESPOND_OK && st != RESPOND_MORE) {
			conn_app_fail(c, st);
			return 0;
		}
		if (st == RESPOND_OK && respond_commit_due(&q->resp))
			conn_commit(c, -1);
	} else
		conn_body_out(c, p, len);
	if (c->state == CONN_CLOSED)
		return 0;
	conn_flush(c);
	if (c->state == CONN_CLOSED)
		return 0;
	return c->out_len - c->out_off < CONN_OUT_HIGH;
}

void
conn_commit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn	*c = container_of(w, struct conn, commit);

	if (respond_state(&c->req.resp) == RESPOND_HELD) {
		conn_commit(c, -1);
		if (c->state != CONN_CLOSED)
			conn_flush(c);
	}
}

void
conn_app_idle(struct conn *c)
{
	if (respond_state(&c->req.resp) == RESPOND_HELD &&
	    !ev_is_active(&c->commit)) {
		ev_timer_set(&c->commit, CONN_COMMIT_DELAY, 0);
		ev_timer_start(c->m->loop, &c->commit);
	}
}

void
conn_app_end(struct conn *c, int clean)
{
	struct conn_req		*q = &c->req;
	struct respond_req	 x;

	c->app = NULL;
	switch (respond_state(&q->resp)) {
	case RESPOND_ENDED:
		return;
	case RESPOND_HEAD:
		log_warnx("%s: script ended without a response header block",
		    q->script.script_name);
		conn_app_fail(c, 502);
		return;
	case RESPOND_HELD:
		if (!clean) {
			conn_app_fail(c, 502);
			return;
		}
		conn_commit(c, (int64_t)respond_held(&q->resp));
		if (c->state == CONN_CLOSED)
			return;
		break;
	default:
		break;
	}
	conn_respond_req(c, &x);
	respond_end(&q->resp, &x, clean);
	conn_set_state(c, CONN_WRITE);
	conn_flush(c);
}

void
conn_app_fail(struct conn *c, int status)
{
	struct conn_req	*q = &c->req;

	if (conn_ended(c))
		return;
	if (status == 504)	/* ferry's 504 is the app's request_timeout */
		conn_timed_out(c, "request timeout", 0);
	if (respond_state(&q->resp) != RESPOND_COMMITTED) {
		conn_respond(c, status, status == 503 ? "Retry-After: 1\r\n" :
		    NULL, 0);
		return;
	}
	conn_app_release(c, "response failed");
	respond_abort(&q->resp);
	conn_set_state(c, CONN_WRITE);
	conn_flush(c);
}

const char *
conn_app_hijack(struct conn *c)
{
	struct conn_req	*q = &c->req;

	/* A half-closed client was told GONE: its socket, read side
	   closed, is kept for the answer only. */
	if (c->state == CONN_CLOSED || q->half_closed)
		return FERRY_REFUSED_GONE;
	if (c->state != CONN_DISPATCHED || conn_ended(c))
		return FERRY_REFUSED_COMPLETE;
	/* A collected body spilled to a file: its unsent rest cannot go
	   with the socket. */
	if (reqbody_spill_unread(&q->body))
		return FERRY_REFUSED_SPOOLED;
	ev_timer_stop(c->m->loop, &c->commit);
	if (respond_state(&q->resp) == RESPOND_HEAD) {
		/* Not a whole head: nothing of it was committed. */
		respond_drop_head(&q->resp);
	} else if (respond_state(&q->resp) == RESPOND_HELD) {
		/* Chosen now, with no length: chunked on HTTP/1.1 (the
		   app goes on with the chunks itself), none for a 101. */
		conn_commit(c, -1);
		if (c->state != CONN_DISPATCHED)
			return c->state == CONN_CLOSED ? FERRY_REFUSED_GONE :
			    FERRY_REFUSED_COMPLETE;
	}
	conn_set_state(c, CONN_HIJACK);
	conn_read_update(c);
	c->tkind = -1;
	conn_timer_update(c, 0);
	/* Completes from the loop once everything was written. */
	conn_flush(c);
	if (c->state == CONN_CLOSED)
		return FERRY_REFUSED_GONE;
	return NULL;
}

/* The response is out: the socket and the unconsumed bytes go to the
   app, and the connection forgets them. */
void
conn_hijack_finish(struct conn *c)
{
	struct conn_req		*q = &c->req;
	const struct conn_app_ops *ops = c->app_ops;
	void			*app = c->app;
	const char		*p = NULL;
	char			*joined;
	size_t			 len = 0;
	int			 fd = c->fd;

	if (app == NULL || ops->hijacked == NULL) {
		conn_close(c, "the hijacking app went away");
		return;
	}
	if (c->in != NULL) {
		p = c->in + c->in_off;
		len = conn_unconsumed(c);
	}
	/* A collected chunked body not passed on comes first. */
	if (reqbody_hijack_rest(&q->body, p, len, &p, &len, &joined) == -1) {
		conn_close(c, "out of memory");
		return;
	}
	log_debug("conn %d: hijacked with %zu unconsumed bytes", fd, len);
	q->end = LOG_END_HIJACKED;
	conn_access_log(c, 0);
	c->app = NULL;
	c->given = 1;
	c->m->conns->nhijacked++;
	conn_close(c, "hijacked");
	c->m->stats.hijacks++;
	ops->hijacked(app, fd, p, len);
	free(joined);
}

/* RFC 3875 6.2.2: the server answers as for a GET of the new path. */
void
conn_local_redirect(struct conn *c, const struct cgiresp *cr)
{
	struct conn_req	*q = &c->req;
	char		*qm;

	conn_app_release(c, "local redirect");
	if (++q->nredirects > CONN_MAX_REDIRECTS) {
		log_warnx("%s: more than %d local redirects",
		    q->script.script_name, CONN_MAX_REDIRECTS);
		conn_app_fail(c, 500);
		return;
	}
	if (!route_local_location_valid(cr->location.p, cr->location.len)) {
		log_warnx("%s: bad local redirect Location \"%.*s\"",
		    q->script.script_name, (int)cr->location.len,
		    cr->location.p);
		conn_app_fail(c, 502);
		return;
	}
	free(q->redirect);
	if ((q->redirect = strndup(cr->location.p, cr->location.len)) == NULL) {
		conn_app_fail(c, 500);
		return;
	}
	log_debug("%s: local redirect to %s", q->script.script_name,
	    q->redirect);
	q->r.method.p = "GET";
	q->r.method.len = 3;
	q->r.target.p = q->redirect;
	q->r.target.len = cr->location.len;
	q->r.path.p = q->redirect;
	if ((qm = strchr(q->redirect, '?')) != NULL) {
		q->r.path.len = (size_t)(qm - q->redirect);
		q->r.query.p = qm + 1;
		q->r.query.len = strlen(qm + 1);
	} else {
		q->r.path.len = cr->location.len;
		q->r.query.p = NULL;
		q->r.query.len = 0;
	}
	q->r.body = HTTP1_BODY_NONE;
	reqbody_detach(&q->body);
	q->body_len = -1;
	respond_restart(&q->resp);
	route_script_free(&q->script);
	conn_route(c);
	if (c->state == CONN_DISPATCHED)
		conn_dispatch(c);
}
