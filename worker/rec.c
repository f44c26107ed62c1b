/*
 * libferry: what each record from the server does.  The token holder
 * (worker/conn.c) hands every complete record to ferry_rec_handle(), which
 * picks the request it is for and dispatches on its type to one small
 * handler: BEGIN_REQUEST, ABORT_REQUEST, PARAMS, STDIN, GET_VALUES and
 * ferry's extension records (close-notify, HIJACKED, HIJACK_REFUSED,
 * RETIRE).
 * Handlers run under conn->mu and never send: a reply is built into the
 * caller's buffer and sent by it after mu is released (ferry-int.h).
 */
#include "config.h"

#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/fcgi.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

/*
 * A record's handler, mu held.  req is the request the record is for when
 * its id is that request's, else NULL.  A reply (at most FERRY_REPLY_MAX
 * bytes) goes to reply, its size to *rlen.  Returns as ferry_rec_handle.
 */
typedef int	ferry_rec_fn(struct ferry_conn *c, struct ferry_req *req,
		    const struct fcgi_record *rec, uint8_t *reply,
		    size_t *rlen);

static ferry_rec_fn	ferry_rec_begin, ferry_rec_abort, ferry_rec_params,
			ferry_rec_stdin, ferry_rec_ignore,
			ferry_rec_get_values, ferry_rec_close_notify,
			ferry_rec_hijacked, ferry_rec_hijack_refused,
			ferry_rec_unknown;
static ferry_rec_fn	ferry_rec_retire;
static size_t	ferry_rec_values(const uint8_t *body, size_t len, uint8_t *out,
		    size_t cap);

/* The handler of each record type the server may send; the others get
   UNKNOWN_TYPE. */
static ferry_rec_fn *const ferry_rec_handlers[] = {
	[FCGI_BEGIN_REQUEST]	= ferry_rec_begin,
	[FCGI_ABORT_REQUEST]	= ferry_rec_abort,
	[FCGI_PARAMS]		= ferry_rec_params,
	[FCGI_STDIN]		= ferry_rec_stdin,
	[FCGI_DATA]		= ferry_rec_ignore,
	[FCGI_GET_VALUES]	= ferry_rec_get_values,
	[FERRY_CLOSE_NOTIFY]	= ferry_rec_close_notify,
	[FERRY_HIJACKED]	= ferry_rec_hijacked,
	[FERRY_HIJACK_REFUSED]	= ferry_rec_hijack_refused,
	[FERRY_RETIRE]		= ferry_rec_retire,
};
#define FERRY_REC_NTYPES \
	(sizeof(ferry_rec_handlers) / sizeof(ferry_rec_handlers[0]))

/* What libferry answers to FCGI_GET_VALUES. */
static const struct {
	const char	*name;
	const char	*value;
} ferry_values[] = {
	{ FCGI_MAX_CONNS,	"1" },
	{ FCGI_MAX_REQS,	"1" },
	{ FCGI_MPXS_CONNS,	"0" },
	{ FERRY_EXTENSIONS,	FERRY_EXT_CLOSE_NOTIFY "," FERRY_EXT_HIJACK ","
				FERRY_EXT_WINDOW },
	{ FERRY_STDIN_WINDOW,	FERRY_STDIN_MAX_STR },
};
_Static_assert(FERRY_STDIN_MAX == 262144, "FERRY_STDIN_MAX_STR");

int
ferry_rec_handle(struct ferry_conn *c, const struct fcgi_record *rec,
    uint8_t *reply, size_t *rlen)
{
	const struct fcgi_header *h = &rec->h;
	struct ferry_req	*req;
	ferry_rec_fn		*fn = NULL;
	int			 rc = 0;

	pthread_mutex_lock(&c->mu);
	if (c->closing)
		goto out;
	/*
	 * The request a record is for: the current one until its
	 * END_REQUEST is decided, then the next one (the server may begin
	 * it as soon as it has END_REQUEST, before the app calls
	 * ferry_finish).  Ids are reused, so an ended request's id is the
	 * next one's.
	 */
	req = c->cur != NULL && c->cur->state != FERRY_REQ_ENDED ? c->cur :
	    c->next;
	if (req != NULL && h->request_id != req->id)
		req = NULL;
	if (h->type < FERRY_REC_NTYPES)
		fn = ferry_rec_handlers[h->type];
	if (fn == NULL)
		fn = ferry_rec_unknown;
	rc = fn(c, req, rec, reply, rlen);
out:
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* A new request, or a refusal when one is running or the role is not
   RESPONDER. */
static int
ferry_rec_begin(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	const struct fcgi_header *h = &rec->h;
	uint8_t			 body[FCGI_END_REQUEST_LEN];
	uint16_t		 role;
	uint8_t			 flags;
	int			 busy;

	busy = c->cur != NULL && (c->cur->state != FERRY_REQ_ENDED ||
	    c->next != NULL);
	if (fcgi_begin_request_decode(rec->content, h->content_length,
	    &role, &flags) == -1)
		return -1;
	if (h->request_id == FCGI_NULL_REQUEST_ID)
		return 0;
	if (role != FCGI_RESPONDER || busy) {
		fcgi_end_request_encode(body, 0, role != FCGI_RESPONDER ?
		    FCGI_UNKNOWN_ROLE : FCGI_CANT_MPX_CONN);
		*rlen = ferry_rec_reply(reply, FERRY_REPLY_MAX,
		    FCGI_END_REQUEST, h->request_id, body, sizeof(body));
		if (c->cur == NULL && !(flags & FCGI_KEEP_CONN)) {
			c->close_after = 1;
			return -1;
		}
		return 0;
	}
	if ((req = ferry_req_new(c, h->request_id,
	    (flags & FCGI_KEEP_CONN) != 0)) == NULL)
		return -1;
	if (c->cur == NULL)
		c->cur = req;
	else
		c->next = req;
	return 0;
}

/* Before the app has the request it ends here; after, the app learns
   (GONE). */
static int
ferry_rec_abort(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	uint8_t			 body[FCGI_END_REQUEST_LEN];
	int			 rc = 0;

	if (req == NULL)
		return 0;
	if (req->state == FERRY_REQ_PARAMS) {
		/* Not handed to the app yet: end it here. */
		fcgi_end_request_encode(body, 0, FCGI_REQUEST_COMPLETE);
		*rlen = ferry_rec_reply(reply, FERRY_REPLY_MAX,
		    FCGI_END_REQUEST, rec->h.request_id, body, sizeof(body));
		if (c->cur == req)
			c->cur = NULL;
		else
			c->next = NULL;
		if (!req->keep_conn)
			rc = -1;
		ferry_req_recycle(c, req);
		return rc;
	}
	req->aborted = 1;
	ferry_notify_set(req, FERRY_GONE);
	return 0;
}

/* Collects the PARAMS stream; its end makes the request READY. */
static int
ferry_rec_params(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	const struct fcgi_header *h = &rec->h;

	(void)reply;
	(void)rlen;
	if (req == NULL || req->state != FERRY_REQ_PARAMS)
		return 0;
	if (h->content_length == 0) {
		if (ferry_req_params(req) == -1)
			return -1;
		req->state = FERRY_REQ_READY;
		pthread_cond_broadcast(&c->cv);
		return 0;
	}
	if (req->prawlen + h->content_length > FERRY_PARAMS_MAX)
		return -1;
	if (req->prawlen + h->content_length > req->prawcap) {
		size_t	 ncap = req->prawcap == 0 ? 4096 : req->prawcap;
		uint8_t	*np;

		while (ncap < req->prawlen + h->content_length)
			ncap *= 2;
		if ((np = realloc(req->praw, ncap)) == NULL)
			return -1;
		req->praw = np;
		req->prawcap = ncap;
	}
	memcpy(req->praw + req->prawlen, rec->content,
	    h->content_length);
	req->prawlen += h->content_length;
	return 0;
}

/*
 * Moves a STDIN record's bytes into req's buffer.  Returns 1, taking
 * nothing, when they do not fit (ferry_read makes room), 0, or -1 (out of
 * memory).  Drops them when the app discards the body.
 */
static int
ferry_rec_stdin(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	const uint8_t	*p = rec->content;
	size_t		 n = rec->h.content_length;
	size_t		 tail, first;

	(void)reply;
	(void)rlen;
	if (req == NULL)
		return 0;
	if (n == 0) {
		req->stdin_ended = 1;
		pthread_cond_broadcast(&c->cv);
		return 0;
	}
	if (req->discard) {
		/* Consumed: acknowledged by the reader once handled. */
		req->discarded += n;
		req->unacked += n;
		pthread_cond_broadcast(&c->cv);
		return 0;
	}
	/* Asked for the socket: the body's rest goes with it, so it is
	   kept whole, never waited on.  After a refusal, what was kept
	   aside is read first, and new bytes queue behind it. */
	if (req->hijack == FERRY_HJ_PENDING || req->hjoff < req->hjlen) {
		if (req->hijack != FERRY_HJ_PENDING &&
		    req->hjlen - req->hjoff >= FERRY_STDIN_MAX)
			return 1;
		if (ferry_hj_add(req, p, n) == -1)
			return -1;
		pthread_cond_broadcast(&c->cv);
		return 0;
	}
	if (req->in == NULL &&
	    (req->in = malloc(FERRY_STDIN_MAX)) == NULL)
		return -1;
	if (FERRY_STDIN_MAX - req->in_len < n)
		return 1;
	tail = (req->in_head + req->in_len) % FERRY_STDIN_MAX;
	first = FERRY_STDIN_MAX - tail;
	if (first > n)
		first = n;
	memcpy(req->in + tail, p, first);
	memcpy(req->in, p + first, n - first);
	req->in_len += n;
	pthread_cond_broadcast(&c->cv);
	return 0;
}

/* The filter role's second stream: not for a responder. */
static int
ferry_rec_ignore(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	(void)c;
	(void)req;
	(void)rec;
	(void)reply;
	(void)rlen;
	return 0;
}

static int
ferry_rec_get_values(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	(void)c;
	(void)req;
	*rlen = ferry_rec_values(rec->content, rec->h.content_length,
	    reply, FERRY_REPLY_MAX);
	return 0;
}

/* Unknown reasons and other requests' ids are ignored. */
static int
ferry_rec_close_notify(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	uint8_t			 reason;

	(void)c;
	(void)reply;
	(void)rlen;
	if (req == NULL || fcgi_close_notify_decode(rec->content,
	    rec->h.content_length, &reason) == -1)
		return 0;
	if (reason == FERRY_REASON_GONE)
		ferry_notify_set(req, FERRY_GONE);
	else if (reason == FERRY_REASON_PIPELINED)
		ferry_notify_set(req, FERRY_PIPELINED);
	return 0;
}

/* The client's socket (with the record's first byte) and the bytes the
   server had read from it; the empty record ends the hand-over. */
static int
ferry_rec_hijacked(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	const struct fcgi_header *h = &rec->h;

	(void)reply;
	(void)rlen;
	if (req == NULL || req->hijack != FERRY_HJ_PENDING) {
		/* Not asked for: its socket, if any, is dropped. */
		if (c->pending_fd != -1) {
			close(c->pending_fd);
			c->pending_fd = -1;
		}
		return 0;
	}
	if (req->hijack_fd == -1) {
		req->hijack_fd = c->pending_fd;
		c->pending_fd = -1;
	}
	if (req->hijack_fd == -1 || ferry_hj_add(req, rec->content,
	    h->content_length) == -1) {
		snprintf(req->herr, sizeof(req->herr), "%s",
		    req->hijack_fd == -1 ? "the server sent no socket" :
		    "out of memory for the client's bytes");
		if (req->hijack_fd != -1)
			close(req->hijack_fd);
		req->hijack_fd = -1;
		req->hijack = FERRY_HJ_REFUSED;
		pthread_cond_broadcast(&c->cv);
		return -1;	/* the stream is out of step now */
	}
	if (h->content_length == 0) {
		req->hijack = FERRY_HJ_DONE;
		req->stdin_ended = 1;
		pthread_cond_broadcast(&c->cv);
	}
	return 0;
}

static int
ferry_rec_hijack_refused(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	(void)reply;
	(void)rlen;
	if (req == NULL || req->hijack != FERRY_HJ_PENDING)
		return 0;
	snprintf(req->herr, sizeof(req->herr), "%.*s",
	    (int)rec->h.content_length, (const char *)rec->content);
	req->hijack = FERRY_HJ_REFUSED;
	pthread_cond_broadcast(&c->cv);
	return 0;
}

/* Any other type, END_REQUEST and STDOUT included: UNKNOWN_TYPE. */
static int
ferry_rec_unknown(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	uint8_t			 body[FCGI_UNKNOWN_TYPE_LEN];

	(void)c;
	(void)req;
	fcgi_unknown_type_encode(body, rec->h.type);
	*rlen = ferry_rec_reply(reply, FERRY_REPLY_MAX, FCGI_UNKNOWN_TYPE,
	    FCGI_NULL_REQUEST_ID, body, FCGI_UNKNOWN_TYPE_LEN);
	return 0;
}

/* The server retires this worker (FERRY_RETIRE): it is noted for the
   whole process, and whoever waits in ferry_accept wakes up.  A
   malformed one is ignored. */
static int
ferry_rec_retire(struct ferry_conn *c, struct ferry_req *req,
    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen)
{
	uint8_t		 why;
	uint32_t	 ms;

	(void)req;
	(void)reply;
	(void)rlen;
	if (rec->h.request_id != FCGI_NULL_REQUEST_ID ||
	    fcgi_retire_decode(rec->content, rec->h.content_length, &why,
	    &ms) == -1)
		return 0;
	ferry_retire_note(why, ms);
	pthread_cond_broadcast(&c->cv);
	return 0;
}

/* Writes a whole record into out[0..cap); returns its size, 0 when it
   does not fit. */
size_t
ferry_rec_reply(uint8_t *out, size_t cap, uint8_t type, uint16_t id,
    const uint8_t *content, size_t len)
{
	uint8_t	 pad;

	if (FCGI_HEADER_LEN + len + 7 > cap)
		return 0;
	pad = fcgi_record_header(out, type, id, len);
	memcpy(out + FCGI_HEADER_LEN, content, len);
	memset(out + FCGI_HEADER_LEN + len, 0, pad);
	return FCGI_HEADER_LEN + len + pad;
}

/*
 * Builds the GET_VALUES_RESULT record answering the query body[0..len):
 * each name asked for that libferry knows, once, in the order asked.  A
 * malformed query gets an empty result.  Returns the record's size.
 */
static size_t
ferry_rec_values(const uint8_t *body, size_t len, uint8_t *out, size_t cap)
{
	uint8_t		 content[FERRY_REPLY_MAX - FCGI_HEADER_LEN - 8];
	const char	*name, *value;
	size_t		 nlen, vlen, clen = 0, off = 0, k, i;
	ssize_t		 r;
	unsigned	 done = 0;

	while (off < len &&
	    (r = fcgi_nv_decode(body + off, len - off, &name, &nlen, &value,
	    &vlen)) > 0) {
		off += (size_t)r;
		for (i = 0; i < sizeof(ferry_values) / sizeof(ferry_values[0]);
		    i++) {
			if (strlen(ferry_values[i].name) != nlen ||
			    memcmp(ferry_values[i].name, name, nlen) != 0 ||
			    (done & (1U << i)))
				continue;
			k = fcgi_nv_encode(content + clen, sizeof(content) - clen,
			    ferry_values[i].name, nlen, ferry_values[i].value,
			    strlen(ferry_values[i].value));
			if (k > 0) {
				clen += k;
				done |= 1U << i;
			}
		}
	}
	return ferry_rec_reply(out, cap, FCGI_GET_VALUES_RESULT,
	    FCGI_NULL_REQUEST_ID, content, clen);
}
