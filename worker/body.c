/*
 * libferry: the request body as the app reads it.  It owns the read side
 * of the body buffers the reader fills (the STDIN ring, then the bytes
 * kept aside after a refused hijack), the decoding of a body that comes
 * still chunked (FERRY_STDIN_CHUNKED), ferry_read and ferry_discard.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "protocol/chunked.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

/* The body bytes to read first, contiguous: the ring's, then those kept
   aside after a refused hijack.  Returns their length (0: none); mu. */
static size_t
ferry_body_span(struct ferry_req *req, const uint8_t **p)
{
	size_t	 k;

	if (req->in_len > 0) {
		*p = req->in + req->in_head;
		k = FERRY_STDIN_MAX - req->in_head;
		return k < req->in_len ? k : req->in_len;
	}
	if (req->hjoff < req->hjlen && req->hijack != FERRY_HJ_PENDING) {
		*p = req->hj + req->hjoff;
		return req->hjlen - req->hjoff;
	}
	return 0;
}

/* Drops k bytes of the span ferry_body_span() named; mu held. */
static void
ferry_body_drop(struct ferry_req *req, size_t k)
{
	req->unacked += k;
	if (req->in_len > 0) {
		req->in_head = (req->in_head + k) % FERRY_STDIN_MAX;
		req->in_len -= k;
	} else {
		req->hjoff += k;
		if (req->hjoff == req->hjlen)
			req->hjoff = req->hjlen = 0;
	}
	/* A STDIN record left waiting for room may go in now. */
	pthread_cond_broadcast(&req->conn->cv);
}

/*
 * Decodes the chunked body's raw bytes p[0..n) into buf (at most len
 * bytes), dropping what it used.  Returns the data bytes (0 when only
 * framing was used), or -1 (EBADMSG) on malformed chunking.  mu held.
 */
static ssize_t
ferry_body_dechunk(struct ferry_req *req, const uint8_t *p, size_t n,
    void *buf, size_t len)
{
	struct chunked_dec	 d = req->chunk;
	const char		*data;
	size_t			 dlen;
	ssize_t			 k;

	k = chunked_decode(&d, (const char *)p, n, &data, &dlen);
	if (k < 0) {
		errno = EBADMSG;
		return -1;
	}
	if (dlen > len) {
		/* Only len bytes fit: the framing and len bytes of data. */
		k = chunked_decode(&req->chunk, (const char *)p,
		    (size_t)k - dlen + len, &data, &dlen);
	} else
		req->chunk = d;
	if (dlen > 0)
		memcpy(buf, data, dlen);
	ferry_body_drop(req, (size_t)k);
	return (ssize_t)dlen;
}

ssize_t
ferry_read(struct ferry_req *req, void *buf, size_t len)
{
	struct ferry_conn	*c = req->conn;
	const uint8_t		*p;
	size_t			 k;
	ssize_t			 rc;

	if (len == 0)
		return 0;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		if (req->hijack == FERRY_HJ_DONE) {
			errno = EPERM;
			rc = -1;
			break;
		}
		if (req->raw_chunked && req->chunk.done) {
			rc = 0;
			break;
		}
		if ((k = ferry_body_span(req, &p)) > 0) {
			if (!req->raw_chunked) {
				if (k > len)
					k = len;
				memcpy(buf, p, k);
				ferry_body_drop(req, k);
				rc = (ssize_t)k;
				break;
			}
			if ((rc = ferry_body_dechunk(req, p, k, buf, len)) != 0)
				break;
			continue;
		}
		if (req->discard) {
			rc = 0;
			break;
		}
		if (req->stdin_ended) {
			if (req->raw_chunked) {
				/* The body ended before its last chunk. */
				errno = EPIPE;
				rc = -1;
			} else
				rc = 0;
			break;
		}
		if (req->aborted || req->lost || c->dead) {
			errno = req->aborted ? ECONNABORTED : EPIPE;
			rc = -1;
			break;
		}
		/* Chunk framing alone may have been consumed.  An
		   acknowledgement released mu: look again first. */
		if (ferry_body_ack(req, 0))
			continue;
		(void)ferry_conn_wait(c, NULL);
	}
	if (rc > 0)
		ferry_body_ack(req, 0);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
ferry_discard(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;

	pthread_mutex_lock(&c->mu);
	ferry_body_discard(req);
	ferry_body_ack(req, 0);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

void
ferry_body_discard(struct ferry_req *req)
{
	req->discard = 1;
	req->unacked += req->in_len;
	req->in_len = 0;
	/* While a hijack is asked for, what is kept aside may be the
	   client's bytes already (HIJACKED), not STDIN. */
	if (req->hijack != FERRY_HJ_PENDING)
		req->unacked += req->hjlen - req->hjoff;
	req->hjoff = req->hjlen = 0;
	pthread_cond_broadcast(&req->conn->cv);
}

/*
 * The window's acknowledgements (ferry-int.h, "The window"): sent by the
 * thread that consumed, outside mu (the lock order), one at a time per
 * request; what is consumed meanwhile goes with the next, which the
 * sender sends itself when it is due by then (nobody else may consume
 * again: a server waiting for the window would wait forever).
 */
int
ferry_body_ack(struct ferry_req *req, int all)
{
	struct ferry_conn	*c = req->conn;
	uint8_t			 rec[FERRY_WINDOW_LEN];
	size_t			 n;
	int			 sent = 0;

	while (req->window && !req->wsending && !req->stdin_ended &&
	    req->state != FERRY_REQ_ENDED && !c->dead && !c->closing &&
	    req->unacked > 0 && (all || req->unacked >= FERRY_WINDOW_STEP)) {
		n = req->unacked;
		req->unacked = 0;
		req->wsending = 1;
		fcgi_window_encode(rec, req->id, (uint32_t)n);
		pthread_mutex_unlock(&c->mu);
		(void)ferry_conn_send_stream(c, FERRY_WINDOW, req->id, NULL, 0,
		    rec, sizeof(rec));
		pthread_mutex_lock(&c->mu);
		req->wsending = 0;
		pthread_cond_broadcast(&c->cv);
		sent = 1;
	}
	return sent;
}
