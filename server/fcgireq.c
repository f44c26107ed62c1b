/*
 * One FastCGI request on the channel to a pool worker, from
 * BEGIN_REQUEST to END_REQUEST: PARAMS, the body as STDIN, the response
 * records, the client leaving (close-notify, or the app's on_client_gone
 * policy for workers that do not speak it) and the hijack of the client's
 * socket.  The worker's process and channel belong to server/worker.c.
 *
 * Retries.  libfcgi keeps the last request id across a kept connection
 * and takes a late record of that id (the empty STDIN it stopped short
 * of) for a protocol error at its next accept: it then drops the
 * connection with our next request unread.  SIOCOUTQ at END_REQUEST
 * cannot tell this apart from a clean read (the worker may read the
 * record right after END_REQUEST), and a worker exiting between
 * requests (max requests of php-cgi) does the same.  So a request that a
 * worker dropped before sending anything back may go back to the head
 * of the queue, at most FCGIREQ_RETRIES times, its body replayed from a
 * copy (bodies up to FCGIREQ_REPLAY_MAX only), but only what RFC 9112
 * 9.3.1 lets a client replay: a request sent on a reused connection; an
 * idempotent one (GET, HEAD, OPTIONS without a body) to a worker that
 * had served before; any other request to a worker that had served
 * before only when that worker then exited by itself with status 0 (it
 * was on its way out, as php-cgi after its max requests).  Never a
 * request that killed its worker (the owner tells: the worker died of a
 * signal or exited non-zero while it ran): that one is answered 502, so
 * that it can neither take down a second worker nor run twice.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/cgienv.h"
#include "protocol/fcgi.h"
#include "protocol/http1.h"
#include "server/conn.h"
#include "server/fcgireq.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/wchan.h"

/* A growable byte buffer for PARAMS. */
struct fcgireq_buf {
	uint8_t	*p;
	size_t	 len, cap;
};

static void	fcgireq_set_state(struct fcgireq *, enum fcgireq_state);
static void	fcgireq_pump(struct fcgireq *);
static int	fcgireq_stdin_ready(struct fcgireq *, struct conn *);
static void	fcgireq_stdin_queue(struct fcgireq *, struct conn *);
static size_t	fcgireq_window_room(struct fcgireq *);
static void	fcgireq_window(struct fcgireq *, const uint8_t *, size_t);
static void	fcgireq_body_copy(struct fcgireq *, const char *, size_t);
static void	fcgireq_end_request(struct fcgireq *, uint8_t);
static void	fcgireq_notify(struct fcgireq *, uint8_t);
static void	fcgireq_rung(struct fcgireq *, enum stats_rung);
static void	fcgireq_hijack(struct fcgireq *, uint16_t);
static void	fcgireq_hijack_refuse(struct fcgireq *, uint16_t,
		    const char *);

static void	fcgireq_body_ready(void *);
static void	fcgireq_output_resume(void *);
static void	fcgireq_detach(void *, const char *);
static void	fcgireq_pipelined(void *);
static void	fcgireq_hijacked(void *, int, const char *, size_t);
static int	fcgireq_half_closed(void *);

static const struct conn_app_ops fcgireq_conn_ops = {
	fcgireq_body_ready, fcgireq_output_resume, fcgireq_detach,
	NULL, fcgireq_pipelined, fcgireq_hijacked, fcgireq_half_closed
};

const char *
fcgireq_state_name(enum fcgireq_state s)
{
	switch (s) {
	case FCGIREQ_IDLE:	return "idle";
	case FCGIREQ_BODY:	return "body";
	case FCGIREQ_WAIT:	return "wait";
	case FCGIREQ_HIJACKING:	return "hijacking";
	case FCGIREQ_HIJACKED:	return "hijacked";
	}
	return "unknown";
}

static void
fcgireq_set_state(struct fcgireq *req, enum fcgireq_state s)
{
	if (req->state == s)
		return;
	log_debug("%s[%d]: request %u: %s -> %s", req->app->name,
	    (int)req->pid, req->reqid, fcgireq_state_name(req->state),
	    fcgireq_state_name(s));
	req->state = s;
}

void
fcgireq_init(struct fcgireq *req, struct wchan *ch, const struct conf_app *app,
    pid_t pid, const struct fcgireq_ops *ops, void *arg)
{
	memset(req, 0, sizeof(*req));
	req->ch = ch;
	req->app = app;
	req->pid = pid;
	req->ops = ops;
	req->arg = arg;
	req->state = FCGIREQ_IDLE;
}

void
fcgireq_values(struct fcgireq *req, const uint8_t *body, size_t len)
{
	const char	*v;
	size_t		 vlen;
	uint32_t	 window;

	if (fcgi_get_values_find(body, len, FERRY_EXTENSIONS, &v, &vlen) != 1 ||
	    !fcgi_list_has(v, vlen, FERRY_EXT_WINDOW) ||
	    fcgi_get_values_find(body, len, FERRY_STDIN_WINDOW, &v, &vlen) != 1)
		return;
	if ((window = fcgi_window_parse(v, vlen)) == 0) {
		log_warnx("%s[%d]: %s \"%.*s\" is not a window: STDIN goes "
		    "unbounded", req->app->name, (int)req->pid,
		    FERRY_STDIN_WINDOW, (int)vlen, v);
		return;
	}
	req->extensions |= FCGIREQ_EXT_WINDOW;
	req->window = window;
}

int
fcgireq_running(const struct fcgireq *req)
{
	return req->state != FCGIREQ_IDLE;
}

/* 1 once the end of STDIN was queued, or the hijack took its place. */
static int
fcgireq_stdin_ended(const struct fcgireq *req)
{
	switch (req->state) {
	case FCGIREQ_WAIT:
	case FCGIREQ_HIJACKED:
		return 1;
	case FCGIREQ_HIJACKING:
		return req->before_hijack == FCGIREQ_WAIT;
	default:
		return 0;
	}
}

void
fcgireq_fail(struct fcgireq *req, int status)
{
	struct conn	*c = req->c;

	if (c == NULL)
		return;
	req->c = NULL;
	conn_app_detached(c);
	conn_app_fail(c, status);
}

void
fcgireq_drop(struct fcgireq *req, int status)
{
	fcgireq_fail(req, status);
	fcgireq_set_state(req, FCGIREQ_IDLE);
	fcgireq_body_drop(req);
}

static int
fcgireq_buf_add(void *arg, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct fcgireq_buf *b = arg;
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
fcgireq_params(struct fcgireq *req, struct conn *c, struct fcgireq_buf *b)
{
	struct cgienv_info	 info;
	struct conf_app		*app = conn_app_conf(c);
	char			 ext[64];

	conn_cgienv_info(c, &info);
	if (cgienv_build(conn_request(c), &info, fcgireq_buf_add, b) == -1)
		return -1;
	if (app->root != NULL &&
	    fcgireq_buf_add(b, "REDIRECT_STATUS", 15, "200", 3) == -1)
		return -1;
	snprintf(ext, sizeof(ext), "%s%s%s",
	    req->extensions & FCGIREQ_EXT_CLOSE_NOTIFY ?
	    "," FERRY_EXT_CLOSE_NOTIFY : "",
	    req->extensions & FCGIREQ_EXT_HIJACK ? "," FERRY_EXT_HIJACK : "",
	    req->extensions & FCGIREQ_EXT_WINDOW ? "," FERRY_EXT_WINDOW : "");
	if (ext[0] != '\0' && fcgireq_buf_add(b, FERRY_PARAM_EXTENSIONS,
	    strlen(FERRY_PARAM_EXTENSIONS), ext + 1, strlen(ext + 1)) == -1)
		return -1;
	if (conn_body_raw_chunked(c) && fcgireq_buf_add(b, FERRY_PARAM_CHUNKED,
	    strlen(FERRY_PARAM_CHUNKED), "1", 1) == -1)
		return -1;
	return 0;
}

int
fcgireq_start(struct fcgireq *req, struct conn *c, int reused,
    unsigned int retries, char *replay, size_t replay_len)
{
	struct fcgireq_buf b = { NULL, 0, 0 };
	uint8_t		 begin[FCGI_BEGIN_REQUEST_LEN];

	if (++req->reqid == 0)
		req->reqid = 1;
	req->c = c;
	req->reused = reused;
	req->stdin_body = 0;
	req->stdout_done = 0;
	req->notify_tail = 0;
	req->unacked = 0;
	req->window_full = 0;
	req->spill_eof = 0;
	req->gone_at = 0;
	req->gone_told = 0;
	req->answered = 0;
	req->retries = retries;
	req->copy_over = conn_body_fd(c) != -1;
	req->replay = replay;
	req->replay_len = replay_len;
	req->replay_off = 0;
	fcgireq_set_state(req, FCGIREQ_BODY);
	log_debug("%s[%d]: request %u on %s", req->app->name, (int)req->pid,
	    req->reqid, reused ? "the kept connection" : "a new connection");
	conn_app_attach(c, &fcgireq_conn_ops, req);
	conn_app_note_pid(c, req->pid);
	fcgi_begin_request_encode(begin, FCGI_RESPONDER, FCGI_KEEP_CONN);
	if (fcgireq_params(req, c, &b) == -1 ||
	    wchan_record(req->ch, FCGI_BEGIN_REQUEST, req->reqid, begin,
	    sizeof(begin)) == -1 ||
	    wchan_stream(req->ch, FCGI_PARAMS, req->reqid, b.p, b.len) == -1 ||
	    wchan_record(req->ch, FCGI_PARAMS, req->reqid, NULL, 0) == -1) {
		free(b.p);
		log_warn("%s[%d]: sending a request", req->app->name,
		    (int)req->pid);
		wchan_close(req->ch);
		fcgireq_drop(req, 500);
		return -1;
	}
	free(b.p);
	conn_dispatch_ready(c);
	fcgireq_pump(req);
	if (req->c == c)
		conn_dispatch_watch(c);
	return 0;
}

/* The request body to STDIN records, while the channel's queue is short;
   then the empty record that ends the stream. */
static void
fcgireq_pump(struct fcgireq *req)
{
	struct conn	*c = req->c;

	if (c == NULL || req->state != FCGIREQ_BODY || !wchan_is_open(req->ch))
		return;
	/* Queue, write, and again while the socket takes it all: once it
	   pushes back, the channel's drained() brings us back, and new
	   body bytes bring body_ready(). */
	for (;;) {
		fcgireq_stdin_queue(req, c);
		wchan_send(req->ch);
		if (!wchan_is_open(req->ch) || req->state != FCGIREQ_BODY ||
		    wchan_pending(req->ch) > 0 || !fcgireq_stdin_ready(req, c))
			return;
	}
}

/* 1 when STDIN has something to queue now. */
static int
fcgireq_stdin_ready(struct fcgireq *req, struct conn *c)
{
	const char	*p;
	size_t		 len;

	if (req->replay_off < req->replay_len)
		return fcgireq_window_room(req) > 0;
	if (conn_body_fd(c) != -1)
		return !req->spill_eof && fcgireq_window_room(req) > 0;
	conn_body_peek(c, &p, &len);
	return len > 0 ? fcgireq_window_room(req) > 0 : conn_body_complete(c);
}

/* STDIN content bytes the worker's window takes now (SIZE_MAX: no
   window); a full window is logged once per stall. */
static size_t
fcgireq_window_room(struct fcgireq *req)
{
	if (!(req->extensions & FCGIREQ_EXT_WINDOW))
		return SIZE_MAX;
	if (req->unacked < req->window) {
		req->window_full = 0;
		return req->window - req->unacked;
	}
	if (!req->window_full)
		log_debug("%s[%d]: request %u: STDIN window full (%zu of %u "
		    "bytes unacknowledged)", req->app->name, (int)req->pid,
		    req->reqid, req->unacked, req->window);
	req->window_full = 1;
	return 0;
}

/* A FERRY_WINDOW record: the worker consumed that much; more may go. */
static void
fcgireq_window(struct fcgireq *req, const uint8_t *content, size_t len)
{
	uint32_t	 count;

	if (!(req->extensions & FCGIREQ_EXT_WINDOW))
		return;
	if (fcgi_window_decode(content, len, &count) == -1 ||
	    count > req->unacked) {
		/* Its own accounting is off: trust the window no more than
		   it, and let what it acknowledged so far stand. */
		log_warnx("%s[%d]: request %u: bad FERRY_WINDOW (%zu bytes "
		    "unacknowledged)", req->app->name, (int)req->pid,
		    req->reqid, req->unacked);
		return;
	}
	req->unacked -= count;
	fcgireq_pump(req);
}

/* Queues STDIN records up to WCHAN_OUT_HIGH, and the stream's end
   record once the whole body was queued. */
static void
fcgireq_stdin_queue(struct fcgireq *req, struct conn *c)
{
	const char	*p;
	size_t		 len;
	ssize_t		 n;
	char		*buf = conn_master(c)->scratch;
	int		 spilled;
	size_t		 room;

	spilled = conn_body_fd(c) != -1;
	/* What a failed try consumed already comes first. */
	while (req->replay_off < req->replay_len &&
	    wchan_pending(req->ch) < WCHAN_OUT_HIGH &&
	    (room = fcgireq_window_room(req)) > 0) {
		len = req->replay_len - req->replay_off;
		len = fcgi_stream_chunk(len < room ? len : room);
		if (wchan_stream(req->ch, FCGI_STDIN, req->reqid,
		    req->replay + req->replay_off, len) == -1)
			return;
		req->stdin_body = 1;
		req->unacked += len;
		req->replay_off += len;
	}
	if (req->replay_off < req->replay_len)
		return;
	while (wchan_pending(req->ch) < WCHAN_OUT_HIGH) {
		room = fcgireq_window_room(req);
		if (spilled) {
			/* A chunked body that was spilled to a file. */
			if (req->spill_eof || room == 0)
				break;
			n = read(conn_body_fd(c), buf, room < FCGI_MAX_LENGTH ?
			    room : FCGI_MAX_LENGTH);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == -1)
					log_warn("%s: spilled body",
					    req->app->name);
				req->spill_eof = 1;
				break;
			}
			p = buf;
			len = (size_t)n;
		} else {
			conn_body_peek(c, &p, &len);
			if (len == 0 || room == 0)
				break;
			if (len > room)
				len = room;
			if (len > FCGI_MAX_LENGTH)
				len = fcgi_stream_chunk(len);
		}
		if (wchan_stream(req->ch, FCGI_STDIN, req->reqid, p, len) == -1)
			return;
		req->stdin_body = 1;
		req->unacked += len;
		fcgireq_body_copy(req, p, len);
		if (!spilled)
			conn_body_consume(c, len);
	}
	if (spilled ? req->spill_eof : conn_body_complete(c)) {
		fcgireq_set_state(req, FCGIREQ_WAIT);
		wchan_record(req->ch, FCGI_STDIN, req->reqid, NULL, 0);
	}
}

/* Keeps what was sent of a small body, for a retry. */
static void
fcgireq_body_copy(struct fcgireq *req, const char *p, size_t len)
{
	char	*np;

	if (req->copy_over || req->answered)
		return;
	if (req->replay_len + req->copy_len + len > FCGIREQ_REPLAY_MAX ||
	    (np = realloc(req->copy, req->copy_len + len)) == NULL) {
		req->copy_over = 1;
		free(req->copy);
		req->copy = NULL;
		req->copy_len = 0;
		return;
	}
	req->copy = np;
	memcpy(req->copy + req->copy_len, p, len);
	req->copy_len += len;
}

void
fcgireq_body_drop(struct fcgireq *req)
{
	free(req->copy);
	free(req->replay);
	req->copy = req->replay = NULL;
	req->copy_len = req->replay_len = req->replay_off = 0;
}

static void
fcgireq_body_ready(void *arg)
{
	fcgireq_pump(arg);
}

void
fcgireq_drained(struct fcgireq *req)
{
	fcgireq_pump(req);
}

static void
fcgireq_output_resume(void *arg)
{
	struct fcgireq	*req = arg;

	if (fcgireq_running(req))
		wchan_pause(req->ch, 0);
}

void
fcgireq_idle(struct fcgireq *req)
{
	if (fcgireq_running(req) && req->c != NULL)
		conn_app_idle(req->c);
}

void
fcgireq_record(struct fcgireq *req, uint8_t type, uint16_t id,
    const uint8_t *content, size_t len)
{
	uint32_t	 app_status;
	uint8_t		 pstatus;

	if (type == FERRY_HIJACK) {
		fcgireq_hijack(req, id);
		return;
	}
	if (!fcgireq_running(req) || id != req->reqid) {
		/* A late record of an earlier request: never the next one's. */
		log_debug("%s[%d]: record type %u for request %u ignored",
		    req->app->name, (int)req->pid, type, id);
		return;
	}
	if (!req->answered) {
		req->answered = 1;	/* no retry from now on */
		fcgireq_body_drop(req);
	}
	switch (type) {
	case FCGI_STDOUT:
		if (len == 0)
			req->stdout_done = 1;
		if (len == 0 || req->c == NULL)
			return;		/* end of stream, or discarded */
		if (!conn_app_output(req->c, (const char *)content, len) &&
		    req->c != NULL)
			wchan_pause(req->ch, 1);	/* client slow */
		return;
	case FCGI_STDERR:
		if (len > 0)
			req->ops->errout(req->arg, (const char *)content, len);
		return;
	case FERRY_WINDOW:
		fcgireq_window(req, content, len);
		return;
	case FCGI_END_REQUEST:
		if (fcgi_end_request_decode(content, len, &app_status,
		    &pstatus) == -1)
			pstatus = FCGI_REQUEST_COMPLETE;
		fcgireq_end_request(req, pstatus);
		return;
	default:
		log_debug("%s[%d]: record type %u ignored", req->app->name,
		    (int)req->pid, type);
		return;
	}
}

/* END_REQUEST: the response is complete; the worker is free again. */
static void
fcgireq_end_request(struct fcgireq *req, uint8_t pstatus)
{
	struct conn	*c = req->c;
	int		 stdin_ended = fcgireq_stdin_ended(req);

	fcgireq_set_state(req, FCGIREQ_IDLE);
	fcgireq_body_drop(req);
	req->ops->errout(req->arg, NULL, 0);
	/* Keep the connection only when the worker read all we sent. */
	/* A close-notify the worker had no reason to read (it answered
	   first) does not count: it ignores it as an ended request's.  A
	   worker speaking our extensions (libferry) keeps a connection only
	   once it read the end of STDIN, and sends END_REQUEST after that:
	   without a body, there is no need to ask the kernel. */
	if (!stdin_ended || ((req->extensions == 0 || req->stdin_body) &&
	    !wchan_consumed(req->ch, req->notify_tail, FERRY_CLOSE_NOTIFY_LEN)))
		wchan_close(req->ch);
	else
		wchan_pause(req->ch, 0);
	if (c != NULL && pstatus == FCGI_REQUEST_COMPLETE) {
		req->c = NULL;
		conn_app_detached(c);
		conn_app_end(c, 1);
	} else if (c != NULL) {
		log_warnx("%s[%d]: request refused (protocol status %u)",
		    req->app->name, (int)req->pid, pstatus);
		fcgireq_fail(req, pstatus == FCGI_OVERLOADED ? 503 : 502);
	}
	req->ops->served(req->arg);
}

/* 1 for GET, HEAD and OPTIONS without a body: safe to send again. */
static int
fcgireq_idempotent(struct conn *c)
{
	const struct http1_request *r = conn_request(c);
	static const char *const safe[] = { "GET", "HEAD", "OPTIONS" };
	size_t		 i;

	if (r->body == HTTP1_BODY_CHUNKED ||
	    (r->body == HTTP1_BODY_LENGTH && r->content_length > 0))
		return 0;
	for (i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		if (r->method.len == strlen(safe[i]) &&
		    memcmp(r->method.p, safe[i], r->method.len) == 0)
			return 1;
	return 0;
}

int
fcgireq_replayable(const struct fcgireq *req, int served_before)
{
	if (req->c == NULL || req->answered || req->copy_over ||
	    req->retries >= FCGIREQ_RETRIES)
		return FCGIREQ_REPLAY_NO;
	if (req->reused || (served_before && fcgireq_idempotent(req->c)))
		return FCGIREQ_REPLAY_YES;
	return served_before ? FCGIREQ_REPLAY_IF_EXITED : FCGIREQ_REPLAY_NO;
}

void
fcgireq_closed(struct fcgireq *req, const char *why, int served_before,
    enum fcgireq_worker fate)
{
	struct conn	*c = req->c;
	int		 replay;

	replay = fcgireq_replayable(req, served_before);
	fcgireq_set_state(req, FCGIREQ_IDLE);
	if ((replay == FCGIREQ_REPLAY_YES && fate != FCGIREQ_WORKER_DIED) ||
	    (replay == FCGIREQ_REPLAY_IF_EXITED &&
	    fate == FCGIREQ_WORKER_EXITED)) {
		/* Dropped unread (see the top of this file): again. */
		log_info("%s[%d]: %s before answering; the request goes back "
		    "to the queue", req->app->name, (int)req->pid, why);
		req->c = NULL;
		conn_app_detached(c);
		req->ops->retry(req->arg, c);
		return;
	}
	if (fate == FCGIREQ_WORKER_DIED && c != NULL && !req->answered)
		log_warnx("%s[%d]: %s: the worker died of the request, which "
		    "is not given to another one", req->app->name,
		    (int)req->pid, why);
	else
		log_warnx("%s[%d]: %s in the middle of a request",
		    req->app->name, (int)req->pid, why);
	fcgireq_body_drop(req);
	fcgireq_fail(req, 502);
	req->ops->lost(req->arg, "lost its channel mid-request");
}

/* Client gone (or the response failed): close-notify for a worker that
   speaks it, else the app's on_client_gone policy. */
static void
fcgireq_detach(void *arg, const char *why)
{
	struct fcgireq	*req = arg;
	struct conn	*c = req->c;
	size_t		 n;

	if (c == NULL)
		return;
	req->c = NULL;
	conn_app_detached(c);
	if (!fcgireq_running(req))
		return;
	if (!wchan_is_open(req->ch)) {
		/* The worker went; its owner awaits its exit. */
		fcgireq_body_drop(req);
		return;
	}
	if (req->state == FCGIREQ_HIJACKING) {
		/* The client failed while its response was flushed. */
		fcgireq_set_state(req, req->before_hijack);
		fcgireq_hijack_refuse(req, req->reqid, FERRY_REFUSED_GONE);
	}
	req->gone_at = ev_now(req->ch->loop);
	wchan_pause(req->ch, 0);	/* its output is discarded now */
	if (req->state == FCGIREQ_BODY || req->state == FCGIREQ_WAIT) {
		/* Nobody wants the body now: what of it still waits in the
		   queue goes, so that the end of STDIN and the news below
		   reach the worker at once; the end comes early, so that a
		   reader sees it. */
		if ((n = wchan_drop(req->ch, FCGI_STDIN, req->reqid)) > 0)
			log_debug("%s[%d]: request %u: %zu bytes of queued "
			    "STDIN dropped", req->app->name, (int)req->pid,
			    req->reqid, n);
		if (req->state == FCGIREQ_BODY) {
			fcgireq_set_state(req, FCGIREQ_WAIT);
			wchan_record(req->ch, FCGI_STDIN, req->reqid, NULL, 0);
		}
		wchan_send(req->ch);
	}
	fcgireq_body_drop(req);
	if (req->extensions & FCGIREQ_EXT_CLOSE_NOTIFY) {
		/* A worker that speaks close-notify hears why and stops by
		   itself; the policies are for legacy workers
		   (doc/ARCHITECTURE.md, close-notify rule 7).  Its output is
		   discarded.  After a half-close it heard GONE already. */
		if (req->gone_told)
			return;
		fcgireq_rung(req, STATS_RUNG_NOTIFY);
		log_info("%s[%d]: %s: sending close-notify", req->app->name,
		    (int)req->pid, why);
		fcgireq_notify(req, FERRY_REASON_GONE);
		return;
	}
	switch (req->app->on_client_gone) {
	case CONF_GONE_ABORT:
		fcgireq_rung(req, STATS_RUNG_ABORT);
		log_info("%s[%d]: %s: aborting the request", req->app->name,
		    (int)req->pid, why);
		wchan_record(req->ch, FCGI_ABORT_REQUEST, req->reqid, NULL, 0);
		wchan_send(req->ch);
		req->ops->aborting(req->arg);
		break;
	case CONF_GONE_TERMINATE:
		fcgireq_rung(req, STATS_RUNG_KILL);
		fcgireq_set_state(req, FCGIREQ_IDLE);
		req->ops->kill(req->arg, why);
		break;
	default:
		fcgireq_rung(req, STATS_RUNG_FINISH);
		log_info("%s[%d]: %s: letting the request finish",
		    req->app->name, (int)req->pid, why);
		break;
	}
}

/* The status page counts the on_client_gone rung a request took. */
static void
fcgireq_rung(struct fcgireq *req, enum stats_rung rung)
{
	if (req->app->stats != NULL)
		req->app->stats->rungs[rung]++;
}

/* One CLOSE_NOTIFY record for the running request, never blocking: the
   record joins the channel's output queue. */
static void
fcgireq_notify(struct fcgireq *req, uint8_t reason)
{
	struct stats_app	*st;

	if (!fcgireq_running(req) || req->state == FCGIREQ_HIJACKED ||
	    !(req->extensions & FCGIREQ_EXT_CLOSE_NOTIFY))
		return;
	if (wchan_record(req->ch, FERRY_CLOSE_NOTIFY, req->reqid, &reason,
	    1) == -1)
		return;
	/* From the client's leaving (its half-close: now) to the record. */
	if ((st = req->app->stats) != NULL && reason == FERRY_REASON_GONE) {
		st->notify_gone++;
		stats_observe(&st->gone_notify, req->gone_at == 0 ? 0 :
		    ev_now(req->ch->loop) - req->gone_at);
	} else if (st != NULL)
		st->notify_pipelined++;
	/* After the end of STDIN nothing else goes to this worker for the
	   request: these records are the stream's tail. */
	if (fcgireq_stdin_ended(req))
		req->notify_tail += FERRY_CLOSE_NOTIFY_LEN;
	wchan_send(req->ch);
}

/*
 * The client half-closed after its whole request.  A worker that speaks
 * close-notify hears GONE (the client may have left: as Go and nginx, we
 * cancel) and its answer, if it gives one, still goes out, as Go's does;
 * a legacy worker is not told, and half_close decides.
 */
static int
fcgireq_half_closed(void *arg)
{
	struct fcgireq	*req = arg;

	if (!(req->extensions & FCGIREQ_EXT_CLOSE_NOTIFY))
		return req->app->half_close_answer;
	log_info("%s[%d]: the client half-closed: sending close-notify",
	    req->app->name, (int)req->pid);
	fcgireq_rung(req, STATS_RUNG_NOTIFY);
	fcgireq_notify(req, FERRY_REASON_GONE);
	req->gone_told = 1;
	return 1;
}

/* The client pipelined its next request (connapp.c says so once). */
static void
fcgireq_pipelined(void *arg)
{
	struct fcgireq	*req = arg;

	log_debug("%s[%d]: the client pipelined its next request",
	    req->app->name, (int)req->pid);
	fcgireq_notify(req, FERRY_REASON_PIPELINED);
}

/*
 * The worker asks for its request's client socket (doc/ARCHITECTURE.md,
 * "Hijack rules").  Refused when the request is not the one running, was
 * hijacked already, has its response complete, or its client is gone.
 */
static void
fcgireq_hijack(struct fcgireq *req, uint16_t id)
{
	const char	*why;

	if (!fcgireq_running(req) || id != req->reqid ||
	    id == FCGI_NULL_REQUEST_ID) {
		fcgireq_hijack_refuse(req, id, FERRY_REFUSED_STALE);
		return;
	}
	req->answered = 1;		/* no retry from now on */
	fcgireq_body_drop(req);
	if (req->state == FCGIREQ_HIJACKED || req->state == FCGIREQ_HIJACKING)
		why = FERRY_REFUSED_TWICE;
	else if (req->stdout_done)
		why = FERRY_REFUSED_COMPLETE;
	else if (req->c == NULL)
		why = FERRY_REFUSED_GONE;
	else
		why = conn_app_hijack(req->c);
	if (why != NULL) {
		log_info("%s[%d]: hijack refused: %s", req->app->name,
		    (int)req->pid, why);
		fcgireq_hijack_refuse(req, id, why);
		return;
	}
	/* No more body: what is left goes with the socket. */
	req->before_hijack = req->state;
	fcgireq_set_state(req, FCGIREQ_HIJACKING);
}

static void
fcgireq_hijack_refuse(struct fcgireq *req, uint16_t id, const char *why)
{
	static const char *const reasons[STATS_REFUSALS] = {
		FERRY_REFUSED_GONE, FERRY_REFUSED_TWICE, FERRY_REFUSED_STALE,
		FERRY_REFUSED_COMPLETE, FERRY_REFUSED_SPOOLED
	};
	size_t	i;

	for (i = 0; i < STATS_REFUSALS; i++)
		if (why == reasons[i] && req->app->stats != NULL)
			req->app->stats->refusals[i]++;
	req->notify_tail = 0;		/* not a close-notify at the end */
	if (wchan_record(req->ch, FERRY_HIJACK_REFUSED, id, why,
	    strlen(why)) == 0)
		wchan_send(req->ch);
}

/* connapp.c handed the socket over: it goes to the worker with the bytes
   the master read and did not pass on, as a HIJACKED stream whose first
   record carries the fd. */
static void
fcgireq_hijacked(void *arg, int fd, const char *p, size_t len)
{
	struct fcgireq	*req = arg;
	size_t		 first = len > 0 ? fcgi_stream_chunk(len) : 0;

	req->c = NULL;
	/* STDIN ends here for both sides: the rest went with the socket. */
	fcgireq_set_state(req, FCGIREQ_HIJACKED);
	req->notify_tail = 0;
	log_info("%s[%d]: took over its client connection (%zu bytes "
	    "buffered)", req->app->name, (int)req->pid, len);
	if (wchan_record_fd(req->ch, FERRY_HIJACKED, req->reqid, p, first,
	    fd) == -1 ||
	    (len > first && wchan_stream(req->ch, FERRY_HIJACKED, req->reqid,
	    p + first, len - first) == -1) ||
	    (len > 0 && wchan_record(req->ch, FERRY_HIJACKED, req->reqid,
	    NULL, 0) == -1)) {
		/* The client's socket is closed with the channel. */
		log_warn("%s[%d]: handing over a client socket",
		    req->app->name, (int)req->pid);
		wchan_close(req->ch);
		fcgireq_set_state(req, FCGIREQ_IDLE);
		req->ops->lost(req->arg, "lost its channel during a hijack");
		return;
	}
	req->handed++;		/* the worker holds a client socket now */
	if (req->app->stats != NULL) {
		req->app->stats->hijacks++;
		req->app->stats->hijacked_held++;
	}
	wchan_send(req->ch);
}
