/*
 * libferry: the response.  It owns what the app builds under req->omu
 * (status, header lines, the output buffer), turns it into STDOUT records
 * (the head with a default Content-Type, then the body), and ends the
 * request with ferry_end: the unread body drained, END_REQUEST, and
 * whether the connection may serve on.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/fcgi.h"
#include "protocol/response.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

#define FERRY_DEFAULT_CTYPE	"Content-Type: text/plain; charset=utf-8\r\n"

static int	ferry_req_send(struct ferry_req *req, const void *extra,
		    size_t elen, const void *tail, size_t tlen);
static size_t	ferry_status_line(char *out, size_t cap, int status);
static void	ferry_req_failed(struct ferry_req *req);
static int	ferry_req_writable(struct ferry_req *req, int look);
static void	ferry_end_state(struct ferry_req *req);
static int	ferry_head_open(struct ferry_req *req);

/* 0 while the response head may still change, else -1 with errno: EPERM
   after a hijack, EALREADY once the head went out or the response
   ended.  omu held. */
static int
ferry_head_open(struct ferry_req *req)
{
	if (req->hijack == FERRY_HJ_DONE) {
		errno = EPERM;
		return -1;
	}
	if (req->head_sent || req->ended) {
		errno = EALREADY;
		return -1;
	}
	return 0;
}

int
ferry_status(struct ferry_req *req, int code)
{
	int	 rc = 0;

	if (code < 100 || code > 999) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&req->omu);
	if ((rc = ferry_head_open(req)) == 0)
		req->status = code;
	pthread_mutex_unlock(&req->omu);
	return rc;
}

int
ferry_add_header(struct ferry_req *req, const char *name, const char *value)
{
	const char	*q;
	size_t		 nlen, vlen, need, ncap;
	char		*p;
	int		 rc = 0;

	nlen = strlen(name);
	vlen = strlen(value);
	if (nlen == 0 || strpbrk(value, "\r\n") != NULL) {
		errno = EINVAL;
		return -1;
	}
	for (q = name; *q != '\0'; q++)
		if (!ferry_is_tchar((unsigned char)*q)) {
			errno = EINVAL;
			return -1;
		}
	pthread_mutex_lock(&req->omu);
	if ((rc = ferry_head_open(req)) == -1)
		goto out;
	need = req->hlen + nlen + 2 + vlen + 2;
	if (need > req->hcap) {
		ncap = req->hcap == 0 ? 256 : req->hcap;
		while (ncap < need)
			ncap *= 2;
		if ((p = realloc(req->hdrs, ncap)) == NULL) {
			rc = -1;
			goto out;
		}
		req->hdrs = p;
		req->hcap = ncap;
	}
	p = req->hdrs + req->hlen;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, value, vlen);
	memcpy(p + nlen + 2 + vlen, "\r\n", 2);
	req->hlen = need;
	if (ferry_casecmp(name, "Content-Type") == 0)
		req->has_ctype = 1;
out:
	pthread_mutex_unlock(&req->omu);
	return rc;
}

/*
 * 0 when body output may go on, else -1 with errno; omu held.  With look,
 * it first handles what the server sent and nobody read yet (an abort, a
 * notification), without waiting: output is about to be sent.
 */
static int
ferry_req_writable(struct ferry_req *req, int look)
{
	struct ferry_conn	*c = req->conn;
	int			 aborted;

	if (req->hijack == FERRY_HJ_DONE) {
		errno = EPERM;
		return -1;
	}
	if (req->ended) {
		errno = ESHUTDOWN;
		return -1;
	}
	pthread_mutex_lock(&c->mu);
	if (look)
		ferry_conn_peek(c);
	aborted = req->aborted;
	pthread_mutex_unlock(&c->mu);
	if (aborted) {
		errno = ECONNABORTED;
		return -1;
	}
	return 0;
}

/*
 * Sends the head (the first time), the buffered body and extra[0..elen)
 * as STDOUT records, then tail[0..tlen) (whole records) in the same
 * sendmsg, and empties the buffer.  omu held.  0 or -1.
 */
static int
ferry_req_send(struct ferry_req *req, const void *extra, size_t elen,
    const void *tail, size_t tlen)
{
	struct iovec	 seg[5];
	char		 sline[64];
	int		 n = 0;

	if (!req->head_sent) {
		seg[n++] = (struct iovec){ sline,
		    ferry_status_line(sline, sizeof(sline), req->status) };
		seg[n++] = (struct iovec){ req->hdrs, req->hlen };
		/* Statuses without content get no default Content-Type. */
		if (req->has_ctype || (req->status >= 100 &&
		    req->status < 200) || req->status == 204 ||
		    req->status == 304)
			seg[n++] = (struct iovec){ (void *)(uintptr_t)"\r\n", 2 };
		else
			seg[n++] = (struct iovec){
			    (void *)(uintptr_t)FERRY_DEFAULT_CTYPE "\r\n",
			    sizeof(FERRY_DEFAULT_CTYPE "\r\n") - 1 };
	}
	seg[n++] = (struct iovec){ req->out, req->outlen };
	seg[n++] = (struct iovec){ (void *)(uintptr_t)extra, elen };
	req->head_sent = 1;
	req->outlen = 0;
	if (ferry_conn_send_stream(req->conn, FCGI_STDOUT, req->id, seg,
	    n, tail, tlen) == -1) {
		ferry_req_failed(req);
		return -1;
	}
	return 0;
}

/* "Status: 200 OK\r\n" for status (100..999) into out; returns its
   length.  The reason is cut to what fits. */
static size_t
ferry_status_line(char *out, size_t cap, int status)
{
	const char	*reason = response_reason(status);
	size_t		 rlen = strlen(reason), n = 0;

	memcpy(out, "Status: ", 8);
	n = 8;
	out[n++] = (char)('0' + status / 100);
	out[n++] = (char)('0' + status / 10 % 10);
	out[n++] = (char)('0' + status % 10);
	out[n++] = ' ';
	if (rlen > cap - n - 2)
		rlen = cap - n - 2;
	memcpy(out + n, reason, rlen);
	n += rlen;
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

/* The connection failed under a write: GONE, and EPIPE for the caller. */
static void
ferry_req_failed(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;

	pthread_mutex_lock(&c->mu);
	req->lost = 1;
	ferry_notify_set(req, FERRY_GONE);
	pthread_mutex_unlock(&c->mu);
	errno = EPIPE;
}

ssize_t
ferry_write(struct ferry_req *req, const void *buf, size_t len)
{
	ssize_t	 rc = (ssize_t)len;

	if (len > SSIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&req->omu);
	if (len == 0 && req->hijack == FERRY_HJ_DONE)
		rc = 0;
	else if (req->outlen + len <= sizeof(req->out)) {
		if (ferry_req_writable(req, 0) == -1)
			rc = -1;
		else {
			memcpy(req->out + req->outlen, buf, len);
			req->outlen += len;
		}
	} else if (ferry_req_writable(req, 1) == -1 ||
	    ferry_req_send(req, buf, len, NULL, 0) == -1)
		rc = -1;
	pthread_mutex_unlock(&req->omu);
	return rc;
}

int
ferry_printf(struct ferry_req *req, const char *fmt, ...)
{
	char	 small[512], *p = small;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(small)) {
		if ((p = malloc((size_t)n + 1)) == NULL)
			return -1;
		va_start(ap, fmt);
		(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (ferry_write(req, p, (size_t)n) == -1)
		n = -1;
	if (p != small)
		free(p);
	return n;
}

int
ferry_flush(struct ferry_req *req)
{
	int	 rc;

	pthread_mutex_lock(&req->omu);
	if ((rc = ferry_req_writable(req, 1)) == 0)
		rc = ferry_req_send(req, NULL, 0, NULL, 0);
	pthread_mutex_unlock(&req->omu);
	return rc;
}

/* END_REQUEST is decided: nothing more is acknowledged, and one
   acknowledgement being sent goes out before it.  mu held. */
static void
ferry_end_state(struct ferry_req *req)
{
	req->state = FERRY_REQ_ENDED;
	while (req->wsending)
		pthread_cond_wait(&req->conn->cv, &req->conn->mu);
}

/*
 * Ends the response.  Before END_REQUEST it skips what is left of the body
 * (up to FERRY_DRAIN_MAX bytes or FERRY_DRAIN_MS), so that the connection
 * is clean for the next request: a server such as ferryd keeps a
 * connection only when the worker consumed all it was sent.  When the
 * body did not end in time, the connection closes after this request.
 * In the common case the body has ended already, and the last STDOUT, the
 * empty STDOUT and END_REQUEST leave in one sendmsg.
 */
int
ferry_end(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;
	struct timespec		 deadline;
	uint8_t			 tail[2 * FCGI_HEADER_LEN + FCGI_END_REQUEST_LEN +
				    8];	/* ferry_rec_reply's room for padding */
	uint8_t			 body[FCGI_END_REQUEST_LEN];
	size_t			 tlen = 0, elen;
	int			 rc = 0, out, settled;

	pthread_mutex_lock(&req->omu);
	if (req->ended) {
		pthread_mutex_unlock(&req->omu);
		errno = ESHUTDOWN;
		return -1;
	}
	req->ended = 1;
	pthread_mutex_lock(&c->mu);
	ferry_body_discard(req);
	/* The body's end may be buffered already: handled, no read. */
	if (!req->stdin_ended && !c->reading && !c->dead)
		(void)ferry_conn_step(c, NULL, FERRY_STEP_PARSE);
	/* After a hijack the response is the app's own business, after an
	   abort nobody wants it: only END_REQUEST goes out. */
	out = !req->aborted && req->hijack != FERRY_HJ_DONE;
	settled = req->stdin_ended || req->lost || req->aborted || c->dead;
	if (settled) {
		req->keep = req->keep_conn && req->stdin_ended && !req->lost &&
		    !c->dead;
		ferry_end_state(req);
	}
	pthread_mutex_unlock(&c->mu);

	if (out) {
		(void)fcgi_record_header(tail, FCGI_STDOUT, req->id, 0);
		tlen = FCGI_HEADER_LEN;
	}
	fcgi_end_request_encode(body, (uint32_t)req->app_status,
	    FCGI_REQUEST_COMPLETE);
	elen = ferry_rec_reply(tail + tlen, sizeof(tail) - tlen,
	    FCGI_END_REQUEST, req->id, body, sizeof(body));
	if (settled) {
		/* STDOUT, its end and END_REQUEST together. */
		if ((out ? ferry_req_send(req, NULL, 0, tail, tlen + elen) :
		    ferry_conn_send_stream(c, FCGI_STDOUT, req->id, NULL, 0,
		    tail, elen)) == -1) {
			req->keep = 0;
			errno = EPIPE;
			rc = -1;
		}
		pthread_mutex_unlock(&req->omu);
		return rc;
	}

	/* The response now, END_REQUEST once the body ended. */
	if (out && ferry_req_send(req, NULL, 0, tail, tlen) == -1)
		rc = -1;
	pthread_mutex_lock(&c->mu);
	ferry_deadline(&deadline, FERRY_DRAIN_MS);
	/* What was dropped above makes room for the rest. */
	ferry_body_ack(req, 1);
	while (!req->stdin_ended && !req->lost && !req->aborted &&
	    !c->dead && req->discarded < FERRY_DRAIN_MAX &&
	    ferry_conn_wait(c, &deadline) == 0)
		;
	req->keep = req->keep_conn && req->stdin_ended && !req->lost &&
	    !c->dead;
	ferry_end_state(req);
	pthread_mutex_unlock(&c->mu);

	if (ferry_conn_send_stream(c, FCGI_STDOUT, req->id, NULL, 0,
	    tail + tlen, elen) == -1) {
		req->keep = 0;
		if (rc == 0) {
			errno = EPIPE;
			rc = -1;
		}
	}
	pthread_mutex_unlock(&req->omu);
	return rc;
}
