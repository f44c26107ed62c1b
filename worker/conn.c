/*
 * libferry: one connection from the server and how it is read and
 * written.  It owns the reading token (one reader at a time: the app's
 * thread inside a call that needs input, or the background reader), the
 * input buffer and the round that fills and parses it (each record goes
 * to worker/rec.c), the background reader thread, and the writes of whole
 * records and streams under wmu.  The rules (who reads when, the lock
 * order) are written down in ferry-int.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdpass/fdpass.h"
#include "protocol/fcgi.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

/* ferry_conn_parse() results. */
#define FERRY_P_NONE		0	/* no complete record left */
#define FERRY_P_FULL		1	/* the next one waits for body room */
#define FERRY_P_STOP		2	/* no more input: protocol error */

static void	*ferry_conn_bg(void *arg);
static uint64_t	ferry_now_ns(void);
static int	ferry_conn_parse(struct ferry_conn *c, int *handled);
static int	ferry_conn_fill(struct ferry_conn *c,
		    const struct timespec *deadline, int flags);
static void	ferry_conn_died(struct ferry_conn *c);
static int	ferry_conn_sendv(struct ferry_conn *c, struct iovec *iov, int n);
static int	ferry_ms_left(const struct timespec *deadline);
static int	ferry_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
		    const struct timespec *deadline);

struct ferry_conn *
ferry_conn_new(int fd)
{
	struct ferry_conn	*c;
	pthread_condattr_t	 ca;
	sigset_t		 all, old;
	int			 rc;

	if ((c = malloc(sizeof(*c))) == NULL) {
		close(fd);
		return NULL;
	}
	/* Everything but the input buffer, which needs no zeroing. */
	memset(c, 0, offsetof(struct ferry_conn, rbuf));
	c->fd = fd;
	c->pending_fd = -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->wmu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_cond_init(&c->bgcv, &ca);
	pthread_condattr_destroy(&ca);
	/* Signals are for the app's threads, not for the reader. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->bg, NULL, ferry_conn_bg, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_cond_destroy(&c->bgcv);
		pthread_mutex_destroy(&c->mu);
		pthread_mutex_destroy(&c->wmu);
		close(fd);
		free(c);
		errno = rc;
		return NULL;
	}
	return c;
}

/*
 * Stops the background reader and closes the connection.  With linger
 * (input the request did not read is still coming), it first half-closes
 * and reads on a little, discarding, until the server's EOF, so that
 * closing with unread input does not reset the connection under the
 * response (TCP would).
 */
void
ferry_conn_free(struct ferry_conn *c, int linger)
{
	struct timespec	 deadline;

	pthread_mutex_lock(&c->mu);
	c->closing = 1;
	pthread_cond_signal(&c->bgcv);
	pthread_cond_broadcast(&c->cv);
	if (linger && !c->dead) {
		(void)shutdown(c->fd, SHUT_WR);
		ferry_deadline(&deadline, FERRY_LINGER_MS);
		while (!c->dead && ferry_conn_wait(c, &deadline) == 0)
			;
	}
	pthread_mutex_unlock(&c->mu);
	/* Wakes a background reader blocked in recvmsg: it reads EOF. */
	(void)shutdown(c->fd, SHUT_RDWR);
	pthread_join(c->bg, NULL);
	if (c->cur != NULL)
		ferry_req_free(c->cur);
	if (c->next != NULL)
		ferry_req_free(c->next);
	if (c->spare != NULL)
		ferry_req_free(c->spare);
	if (c->pending_fd != -1)
		close(c->pending_fd);
	close(c->fd);
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->bgcv);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->wmu);
	free(c);
}

/*
 * The background reader.  It sleeps until it is wanted: by
 * ferry_notify_fd(), whose fd must turn readable with no app thread in the
 * library (after a grace of FERRY_BG_GRACE_MS), or by itself when a tick finds the same request running as at
 * the last tick and nobody reading (a handler that computes for long: its
 * management records, aborts and notifications are handled meanwhile).
 * Wanted, it reads whenever the token is free, until ferry_finish.
 */
static void *
ferry_conn_bg(void *arg)
{
	struct ferry_conn	*c = arg;
	struct timespec		 tick;
	unsigned		 seen = 0;

	pthread_mutex_lock(&c->mu);
	while (!c->closing) {
		if (c->bg_want && c->bg_grace) {
			/* A handler that ends within the grace needs no
			   reading from here: the socket stays with the app's
			   thread for the next request. */
			c->bg_grace = 0;
			ferry_deadline(&tick, FERRY_BG_GRACE_MS);
			(void)ferry_cond_wait(&c->bgcv, &c->mu, &tick);
			continue;
		}
		if (c->bg_want && !c->dead) {
			if (c->reading ||
			    ferry_conn_step(c, NULL, 0) == EAGAIN)
				pthread_cond_wait(&c->cv, &c->mu);
			continue;
		}
		ferry_deadline(&tick, FERRY_BG_TICK_MS);
		if (ferry_cond_wait(&c->bgcv, &c->mu, &tick) != ETIMEDOUT)
			continue;
		if (c->cur != NULL && c->cur->state == FERRY_REQ_RUNNING &&
		    c->seq == seen && !c->reading && !c->dead)
			c->bg_want = 1;
		seen = c->seq;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/*
 * Waits for input that may change what the caller waits for: this thread
 * reads a round itself when nobody holds the reading token, else it waits
 * for the holder's round (or for room in a body buffer).  mu held; the
 * caller re-checks its condition, dead included.  Returns 0, or ETIMEDOUT
 * once deadline (NULL: none) passed.
 */
int
ferry_conn_wait(struct ferry_conn *c, const struct timespec *deadline)
{
	int	 rc;

	if (!c->reading && !c->dead) {
		rc = ferry_conn_step(c, deadline, 0);
		if (rc != EAGAIN)
			return rc;
	}
	return ferry_cond_wait(&c->cv, &c->mu, deadline);
}

/*
 * Handles what the server sent and nobody read yet, without waiting,
 * when no other thread is reading; mu held.  A read that returned less
 * than FERRY_PEEK_NS ago counts as the look (a poll costs microseconds,
 * and a handler that asks right after ferry_accept would pay one each
 * request).
 */
void
ferry_conn_peek(struct ferry_conn *c)
{
	if (!c->reading && !c->dead &&
	    ferry_now_ns() - c->looked_ns >= FERRY_PEEK_NS)
		(void)ferry_conn_step(c, NULL, FERRY_STEP_NOWAIT);
}

/* CLOCK_MONOTONIC in nanoseconds. */
static uint64_t
ferry_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * One round of input by the calling thread, which takes the reading token
 * (it must be free): handles the complete records buffered and, when none
 * was (or with NOWAIT), reads the socket once (waiting until deadline,
 * NULL: no limit; NOWAIT: not at all; PARSE: no read) and handles what
 * came.  mu held on entry and on return, released in between.  Returns 0
 * (records handled, or bytes read; the connection may be dead now),
 * ETIMEDOUT (nothing came in time), or EAGAIN (the next record waits for
 * room in a body buffer: wait on cv).
 */
int
ferry_conn_step(struct ferry_conn *c, const struct timespec *deadline,
    int flags)
{
	int	 p, n = 0, more = 0, got = 1, looked = 0;

	c->reading = 1;
	pthread_mutex_unlock(&c->mu);
	p = ferry_conn_parse(c, &n);
	if (p == FERRY_P_NONE && !(flags & FERRY_STEP_PARSE) &&
	    (n == 0 || (flags & FERRY_STEP_NOWAIT))) {
		got = ferry_conn_fill(c, deadline, flags);
		looked = got >= 0;
		if (got > 0) {
			p = ferry_conn_parse(c, &more);
			n += more;
		} else if (got < 0)
			p = FERRY_P_STOP;
	}
	pthread_mutex_lock(&c->mu);
	c->reading = 0;
	if (looked)
		c->looked_ns = ferry_now_ns();
	if (p == FERRY_P_STOP)
		ferry_conn_died(c);
	pthread_cond_broadcast(&c->cv);
	if (n > 0 || p == FERRY_P_STOP)
		return 0;
	if (p == FERRY_P_FULL)
		return EAGAIN;
	return got == 0 ? ETIMEDOUT : 0;
}

/*
 * Handles the complete records in rbuf, in order, each under mu, sending
 * their replies after releasing it.  *handled counts them.  Returns
 * FERRY_P_NONE (no complete record left), FERRY_P_FULL (the next is STDIN
 * that waits for room) or FERRY_P_STOP.  Token held, mu not.
 */
static int
ferry_conn_parse(struct ferry_conn *c, int *handled)
{
	struct fcgi_record	 rec;
	uint8_t			 reply[FERRY_REPLY_MAX];
	size_t			 rlen;
	ssize_t			 r;
	int			 x;

	*handled = 0;
	while ((r = fcgi_record_parse(c->rbuf + c->roff, c->rlen - c->roff,
	    &rec)) > 0) {
		rlen = 0;
		if ((x = ferry_rec_handle(c, &rec, reply, &rlen)) == 1)
			return FERRY_P_FULL;
		c->roff += (size_t)r;
		(*handled)++;
		if (rec.h.type == FCGI_STDIN && rec.h.content_length > 0) {
			/* Dropped on arrival (the app discards): consumed. */
			pthread_mutex_lock(&c->mu);
			if (c->cur != NULL && c->cur->id == rec.h.request_id)
				ferry_body_ack(c->cur, 0);
			pthread_mutex_unlock(&c->mu);
		}
		if (rlen > 0) {
			pthread_mutex_lock(&c->wmu);
			if (ferry_conn_sendv(c, &(struct iovec){ reply, rlen },
			    1) == -1)
				x = -1;
			pthread_mutex_unlock(&c->wmu);
		}
		if (x == -1)
			return FERRY_P_STOP;
	}
	return r < 0 ? FERRY_P_STOP : FERRY_P_NONE;
}

/*
 * Reads the socket once into rbuf: waits until deadline (NULL: no limit),
 * or not at all with NOWAIT.  Returns 1 (bytes came), 0 (nothing in time)
 * or -1 (EOF or an error: no more input).  Token held, mu not.
 */
static int
ferry_conn_fill(struct ferry_conn *c, const struct timespec *deadline,
    int flags)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 xfd, pr;

	if (c->roff > 0) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	/* What is left is less than a record: there is room. */
	if ((flags & FERRY_STEP_NOWAIT) || deadline != NULL) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		do {
			pr = poll(&pfd, 1, (flags & FERRY_STEP_NOWAIT) ? 0 :
			    ferry_ms_left(deadline));
		} while (pr == -1 && errno == EINTR);
		if (pr == 0)
			return 0;
		if (pr == -1)
			return -1;
	}
	n = fdpass_recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen,
	    &xfd);
	if (n <= 0)
		return -1;
	/*
	 * Only FERRY_HIJACKED carries a descriptor, on its first byte: the
	 * fd comes with a read that holds that byte, so it waits here until
	 * the record is parsed.  A stray one replaces the last and is closed.
	 */
	if (xfd != -1) {
		if (c->pending_fd != -1)
			close(c->pending_fd);
		c->pending_fd = xfd;
	}
	c->rlen += (size_t)n;
	return 1;
}

/* No more input: the requests learn it (GONE).  mu held. */
static void
ferry_conn_died(struct ferry_conn *c)
{
	c->dead = 1;
	if (c->cur != NULL && !c->closing) {
		c->cur->lost = 1;
		ferry_notify_set(c->cur, FERRY_GONE);
	}
	if (c->next != NULL && !c->closing) {
		c->next->lost = 1;
		ferry_notify_set(c->next, FERRY_GONE);
	}
}

/* Sends all of iov[0..n) on c's socket; the caller holds wmu.  0 or -1. */
static int
ferry_conn_sendv(struct ferry_conn *c, struct iovec *iov, int n)
{
	struct msghdr	 msg;
	ssize_t		 w;
	size_t		 left;

	while (n > 0 && iov->iov_len == 0) {
		iov++;
		n--;
	}
	while (n > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		/* No SIGPIPE when the server went away: EPIPE. */
		w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		left = (size_t)w;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
			while (n > 0 && iov->iov_len == 0) {
				iov++;
				n--;
			}
		}
	}
	return 0;
}

/*
 * Sends the bytes of seg[0..nseg) (nseg <= 5) as records of stream TYPE,
 * as many as they need, none when they are empty, then tail[0..tlen)
 * (whole records already encoded) in the same sendmsg as the last of
 * them.  Takes wmu.  0 or -1.
 */
int
ferry_conn_send_stream(struct ferry_conn *c, uint8_t type, uint16_t id,
    const struct iovec *seg, int nseg, const void *tail, size_t tlen)
{
	struct iovec	 iov[9];
	uint8_t		 hdr[FCGI_HEADER_LEN];
	size_t		 total = 0, chunk, take, segoff = 0;
	uint8_t		 pad;
	int		 i, si = 0, rc = 0, tail_left = tlen > 0;

	for (i = 0; i < nseg; i++)
		total += seg[i].iov_len;
	pthread_mutex_lock(&c->wmu);
	while (rc == 0 && (total > 0 || tail_left)) {
		i = 0;
		if (total > 0) {
			chunk = fcgi_stream_chunk(total);
			pad = fcgi_record_header(hdr, type, id, chunk);
			iov[i++] = (struct iovec){ hdr, sizeof(hdr) };
			total -= chunk;
			while (chunk > 0) {
				take = seg[si].iov_len - segoff;
				if (take > chunk)
					take = chunk;
				if (take > 0)
					iov[i++] = (struct iovec){
					    (uint8_t *)seg[si].iov_base + segoff,
					    take };
				chunk -= take;
				segoff += take;
				if (segoff == seg[si].iov_len) {
					si++;
					segoff = 0;
				}
			}
			iov[i++] = (struct iovec){ (void *)(uintptr_t)FCGI_PAD,
			    pad };
		}
		if (total == 0 && tail_left) {
			iov[i++] = (struct iovec){ (void *)(uintptr_t)tail, tlen };
			tail_left = 0;
		}
		rc = ferry_conn_sendv(c, iov, i);
	}
	pthread_mutex_unlock(&c->wmu);
	return rc;
}

/* Sends one record (len <= FCGI_MAX_LENGTH), empty ones too.  0 or -1. */
int
ferry_conn_send_record(struct ferry_conn *c, uint8_t type, uint16_t id,
    const void *content, size_t len)
{
	struct iovec	 iov[3];
	uint8_t		 hdr[FCGI_HEADER_LEN];
	uint8_t		 pad;
	int		 rc;

	pad = fcgi_record_header(hdr, type, id, len);
	iov[0] = (struct iovec){ hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ (void *)(uintptr_t)content, len };
	iov[2] = (struct iovec){ (void *)(uintptr_t)FCGI_PAD, pad };
	pthread_mutex_lock(&c->wmu);
	rc = ferry_conn_sendv(c, iov, 3);
	pthread_mutex_unlock(&c->wmu);
	return rc;
}

/* *ts = CLOCK_MONOTONIC now + ms. */
void
ferry_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The milliseconds from now to deadline, rounded up; 0 when passed. */
static int
ferry_ms_left(const struct timespec *deadline)
{
	struct timespec	 now;
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec + 999999L) / 1000000L;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Waits on cv until signalled or deadline (NULL: none): 0 or ETIMEDOUT. */
static int
ferry_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
    const struct timespec *deadline)
{
	if (deadline == NULL)
		return pthread_cond_wait(cv, mu);
	return pthread_cond_timedwait(cv, mu, deadline) == ETIMEDOUT ?
	    ETIMEDOUT : 0;
}
