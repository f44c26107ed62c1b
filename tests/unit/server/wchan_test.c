/*
 * server/wchan.c over a real Unix stream connection in a real libev loop:
 * the test listens at a path in a private directory, the channel connects
 * to it, and the accepted socket plays the worker.  Every wchan_* call is
 * made with wt.in_call set, so that a callback run from inside one (the
 * contract says never) is counted as a failure.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "fdpass/fdpass.h"
#include "protocol/fcgi.h"
#include "server/wchan.h"

#define WT_MAX_RECS	16
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define WT_TIMEOUT	2.0	/* s: a wait that never ends fails */

/* One record the channel handed over. */
struct wt_rec {
	uint8_t		 type;
	uint16_t	 id;
	size_t		 len;
	uint8_t		 content[FCGI_MAX_LENGTH];
};

/* The fixture: a loop, a channel, the worker's end of the connection,
   and what the callbacks saw. */
struct wt {
	struct ev_loop	*loop;
	struct wchan	 ch;
	char		 dir[64];
	char		 path[96];
	int		 lfd;		/* listening */
	int		 peer;		/* the worker's end */

	int		 in_call;	/* a wchan_* call runs */
	int		 nested;	/* callbacks run inside one */
	struct wt_rec	 recs[WT_MAX_RECS];
	int		 nrec;
	int		 nidle, ndrained, nclosed;
	char		 why[128];
	int		 pause_at;	/* pause after this many records */
	int		 close_at;	/* close after this many records */
	int		 nrec_at_resume;
};

static struct wt	 wt;

static void	wt_record(void *, uint8_t, uint16_t, const uint8_t *, size_t);
static void	wt_idle(void *);
static void	wt_drained(void *);
static void	wt_closed(void *, const char *);

static const struct wchan_ops wt_ops = {
	wt_record, wt_idle, wt_drained, wt_closed
};

static void
wt_record(void *arg, uint8_t type, uint16_t id, const uint8_t *content,
    size_t len)
{
	struct wt	*t = arg;
	struct wt_rec	*r;

	if (t->in_call)
		t->nested++;
	ck_assert_int_lt(t->nrec, WT_MAX_RECS);
	r = &t->recs[t->nrec++];
	r->type = type;
	r->id = id;
	r->len = len;
	memcpy(r->content, content, len);
	if (t->pause_at > 0 && t->nrec == t->pause_at)
		wchan_pause(&t->ch, 1);
	if (t->close_at > 0 && t->nrec == t->close_at)
		wchan_close(&t->ch);
}

static void
wt_idle(void *arg)
{
	struct wt	*t = arg;

	if (t->in_call)
		t->nested++;
	t->nidle++;
}

static void
wt_drained(void *arg)
{
	struct wt	*t = arg;

	if (t->in_call)
		t->nested++;
	t->ndrained++;
}

static void
wt_closed(void *arg, const char *why)
{
	struct wt	*t = arg;

	if (t->in_call)
		t->nested++;
	t->nclosed++;
	snprintf(t->why, sizeof(t->why), "%s", why);
}

/* A listening socket, a connected channel, the accepted peer. */
static void
wt_setup(void)
{
	struct sockaddr_un	 sun;

	memset(&wt, 0, sizeof(wt));
	wt.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(wt.loop);
	snprintf(wt.dir, sizeof(wt.dir), "/tmp/wchan_test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(wt.dir));
	snprintf(wt.path, sizeof(wt.path), "%s/w", wt.dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", wt.path);
	wt.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(wt.lfd, 0);
	ck_assert_int_eq(bind(wt.lfd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	ck_assert_int_eq(listen(wt.lfd, 4), 0);
	wchan_init(&wt.ch, wt.loop, &wt_ops, &wt);
	ck_assert(!wchan_is_open(&wt.ch));
	wt.in_call = 1;
	ck_assert_int_eq(wchan_connect(&wt.ch, wt.path), 0);
	wt.in_call = 0;
	ck_assert(wchan_is_open(&wt.ch));
	wt.peer = accept4(wt.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ck_assert_int_ge(wt.peer, 0);
}

static void
wt_teardown(void)
{
	wt.in_call = 1;
	wchan_free(&wt.ch);
	wt.in_call = 0;
	ck_assert_int_eq(wt.nested, 0);
	if (wt.peer != -1)
		close(wt.peer);
	close(wt.lfd);
	unlink(wt.path);
	rmdir(wt.dir);
	ev_loop_destroy(wt.loop);
}

static void
wt_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	*(int *)w->data = 1;
}

/* Runs the loop until *counter reaches want; fails after WT_TIMEOUT. */
static void
wt_until(const int *counter, int want)
{
	ev_timer	 guard;
	int		 expired = 0;

	ev_timer_init(&guard, wt_timeout_cb, WT_TIMEOUT, 0);
	guard.data = &expired;
	ev_timer_start(wt.loop, &guard);
	while (*counter < want && !expired)
		ev_run(wt.loop, EVRUN_ONCE);
	ev_timer_stop(wt.loop, &guard);
	ck_assert_msg(!expired, "waited %.0f s for a callback (%d of %d)",
	    WT_TIMEOUT, *counter, want);
}

/* Lets the loop handle what is ready now, without waiting. */
static void
wt_spin(void)
{
	int	i;

	for (i = 0; i < 4; i++)
		ev_run(wt.loop, EVRUN_NOWAIT);
}

/* Encodes a record with its padding into out; returns its length. */
static size_t
wt_encode(uint8_t *out, uint8_t type, uint16_t id, const void *content,
    size_t len)
{
	uint8_t	pad;

	pad = fcgi_record_header(out, type, id, len);
	memcpy(out + FCGI_HEADER_LEN, content, len);
	memset(out + FCGI_HEADER_LEN + len, 0, pad);
	return FCGI_HEADER_LEN + len + pad;
}

static void
wt_peer_write(const void *p, size_t len)
{
	ck_assert_int_eq(write(wt.peer, p, len), (ssize_t)len);
}

/* Reads what the peer has now, running the loop so that the channel keeps
   writing, until want bytes arrived. */
static size_t
wt_peer_read(uint8_t *buf, size_t want)
{
	size_t	 got = 0;
	ssize_t	 n;
	int	 idle = 0;

	while (got < want && idle < 100000) {
		n = read(wt.peer, buf + got, want - got);
		if (n > 0) {
			got += (size_t)n;
			idle = 0;
			continue;
		}
		ck_assert(n == -1 && errno == EAGAIN);
		ev_run(wt.loop, EVRUN_NOWAIT);
		idle++;
	}
	return got;
}

START_TEST(records_in)
{
	uint8_t	 buf[256];
	uint8_t	 end[FCGI_END_REQUEST_LEN] = { 0 };
	size_t	 len;

	len = wt_encode(buf, FCGI_STDOUT, 7, "hello", 5);
	len += wt_encode(buf + len, FCGI_END_REQUEST, 7, end, sizeof(end));
	wt_peer_write(buf, len);
	wt_until(&wt.nidle, 1);
	ck_assert_int_eq(wt.nrec, 2);
	ck_assert_int_eq(wt.recs[0].type, FCGI_STDOUT);
	ck_assert_int_eq(wt.recs[0].id, 7);
	ck_assert_int_eq(wt.recs[0].len, 5);
	ck_assert(memcmp(wt.recs[0].content, "hello", 5) == 0);
	ck_assert_int_eq(wt.recs[1].type, FCGI_END_REQUEST);
	ck_assert_int_eq(wt.recs[1].len, FCGI_END_REQUEST_LEN);
	ck_assert_int_eq(wt.nclosed, 0);
}
END_TEST

/* A record arriving one byte per read is handed over once, whole, after
   its last byte (padding included). */
START_TEST(record_split)
{
	uint8_t	 buf[64];
	size_t	 len, i;

	len = wt_encode(buf, FCGI_STDERR, 3, "abc", 3);	/* 5 bytes pad */
	for (i = 0; i + 1 < len; i++) {
		wt_peer_write(buf + i, 1);
		wt_spin();
		ck_assert_int_eq(wt.nrec, 0);
	}
	wt_peer_write(buf + len - 1, 1);
	wt_until(&wt.nrec, 1);
	ck_assert_int_eq(wt.recs[0].type, FCGI_STDERR);
	ck_assert_int_eq(wt.recs[0].id, 3);
	ck_assert_int_eq(wt.recs[0].len, 3);
	ck_assert(memcmp(wt.recs[0].content, "abc", 3) == 0);
}
END_TEST

/* A record, and a stream split into records of FCGI_MAX_LENGTH at most,
   reach the worker as sent. */
START_TEST(records_out)
{
	static uint8_t		 body[100000], got[120000];
	struct fcgi_record	 rec;
	uint8_t			 begin[FCGI_BEGIN_REQUEST_LEN];
	size_t			 i, off = 0, total, streamed = 0;
	ssize_t			 n;
	int			 nrec = 0;

	for (i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7);
	fcgi_begin_request_encode(begin, FCGI_RESPONDER, FCGI_KEEP_CONN);
	wt.in_call = 1;
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_BEGIN_REQUEST, 1, begin,
	    sizeof(begin)), 0);
	ck_assert_int_eq(wchan_stream(&wt.ch, FCGI_STDIN, 1, body,
	    sizeof(body)), 0);
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, NULL, 0), 0);
	total = wchan_pending(&wt.ch);
	wchan_send(&wt.ch);
	wt.in_call = 0;
	ck_assert_uint_eq(wt_peer_read(got, total), total);
	while (off < total) {
		n = fcgi_record_parse(got + off, total - off, &rec);
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
		ck_assert_int_eq(rec.h.request_id, 1);
		if (nrec++ == 0) {
			ck_assert_int_eq(rec.h.type, FCGI_BEGIN_REQUEST);
			ck_assert(memcmp(rec.content, begin, sizeof(begin)) == 0);
			continue;
		}
		ck_assert_int_eq(rec.h.type, FCGI_STDIN);
		ck_assert_int_le(rec.h.content_length, FCGI_MAX_LENGTH);
		ck_assert(memcmp(rec.content, body + streamed,
		    rec.h.content_length) == 0);
		streamed += rec.h.content_length;
		if (rec.h.content_length == 0)
			break;
	}
	ck_assert_uint_eq(off, total);
	ck_assert_uint_eq(streamed, sizeof(body));
	ck_assert_int_ge(nrec, 4);
	ck_assert_uint_eq(wchan_pending(&wt.ch), 0);
	ck_assert(!ev_is_active(&wt.ch.wio));
	ck_assert_int_eq(wt.nclosed, 0);
}
END_TEST

/* The write watcher runs only while output is queued; drained() comes
   once the queue went below WCHAN_OUT_LOW, from the loop. */
START_TEST(backpressure)
{
	static uint8_t	 chunk[FCGI_MAX_LENGTH], sink[65536];
	ssize_t		 n;
	int		 sndbuf = 4096, i;

	ck_assert_int_eq(setsockopt(wt.ch.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	ck_assert(!ev_is_active(&wt.ch.wio));
	/* A small record goes out at once: no watcher, no drained(). */
	wt.in_call = 1;
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, "x", 1), 0);
	wchan_send(&wt.ch);
	wt.in_call = 0;
	ck_assert_uint_eq(wchan_pending(&wt.ch), 0);
	ck_assert(!ev_is_active(&wt.ch.wio));
	wt_spin();
	ck_assert_int_eq(wt.ndrained, 0);
	/* More than the socket takes: the rest waits, the watcher runs. */
	wt.in_call = 1;
	for (i = 0; wchan_pending(&wt.ch) < WCHAN_OUT_HIGH; i++) {
		ck_assert_int_lt(i, 1000);
		ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, chunk,
		    sizeof(chunk)), 0);
		wchan_send(&wt.ch);
	}
	wt.in_call = 0;
	ck_assert(ev_is_active(&wt.ch.wio));
	wt_spin();
	ck_assert_int_eq(wt.ndrained, 0);	/* the peer reads nothing */
	ck_assert(ev_is_active(&wt.ch.wio));
	/* The worker reads: the queue drains, drained() says so. */
	while (wt.ndrained == 0 || ev_is_active(&wt.ch.wio)) {
		n = read(wt.peer, sink, sizeof(sink));
		if (n == -1) {
			ck_assert_int_eq(errno, EAGAIN);
			ev_run(wt.loop, EVRUN_ONCE);
		}
	}
	ck_assert_int_ge(wt.ndrained, 1);
	ck_assert_uint_eq(wchan_pending(&wt.ch), 0);
	ck_assert(!ev_is_active(&wt.ch.wio));
	ck_assert_int_eq(wt.nclosed, 0);
}
END_TEST

/* An fd rides with its record's first byte; the channel closes its copy
   once sent. */
START_TEST(record_fd)
{
	uint8_t	 buf[64], c;
	int	 p[2], q[2], fd = -1;
	ssize_t	 n;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(q, O_CLOEXEC), 0);
	wt.in_call = 1;
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 2, "ab", 2), 0);
	ck_assert_int_eq(wchan_record_fd(&wt.ch, FERRY_HIJACKED, 2, "xyz", 3,
	    p[1]), 0);
	/* One at a time: a second fd is refused, and closed. */
	errno = 0;
	ck_assert_int_eq(wchan_record_fd(&wt.ch, FERRY_HIJACKED, 2, "", 0,
	    q[1]), -1);
	ck_assert_int_eq(errno, EBUSY);
	wchan_send(&wt.ch);
	wt.in_call = 0;
	ck_assert_int_eq(read(q[0], &c, 1), 0);	/* q[1] was closed */
	/* The first record comes without an fd, the second with it. */
	n = fdpass_recv(wt.peer, buf, 16, &fd);
	ck_assert_int_eq(n, 16);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(buf[1], FCGI_STDIN);
	n = fdpass_recv(wt.peer, buf, sizeof(buf), &fd);
	ck_assert_int_eq(n, 16);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(buf[1], FERRY_HIJACKED);
	ck_assert(memcmp(buf + FCGI_HEADER_LEN, "xyz", 3) == 0);
	/* The fd that came is the pipe; the channel kept no copy. */
	ck_assert_int_eq(write(fd, "!", 1), 1);
	close(fd);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, '!');
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
	close(q[0]);
}
END_TEST

/*
 * wchan_drop: the records of one type and request that carry content and
 * were not started go; the one partly written is finished (it was moved
 * to the front of the queue on the way), and an empty one, one carrying
 * an fd, other types and other requests stay, in order.
 */
START_TEST(drop_queued)
{
	static uint8_t		 big[65528], got[200000];
	struct fcgi_record	 rec;
	static const struct {
		uint8_t		 type;
		uint16_t	 id;
		size_t		 len;
	} want[] = {
		{ FCGI_STDIN, 1, sizeof(big) },	/* was being written */
		{ FCGI_PARAMS, 1, 1 },
		{ FCGI_STDIN, 2, 5 },
		{ FCGI_STDIN, 1, 2 },		/* carries an fd */
		{ FCGI_STDIN, 1, 0 },		/* the stream's end */
	};
	size_t			 off = 0, total, first, sent;
	ssize_t			 n;
	int			 sndbuf = 4096, p[2], i = 0;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	ck_assert_int_eq(setsockopt(wt.ch.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	memset(big, 'b', sizeof(big));
	wt.in_call = 1;
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, big, sizeof(big)),
	    0);
	first = wchan_pending(&wt.ch);
	wchan_send(&wt.ch);
	sent = first - wchan_pending(&wt.ch);
	ck_assert_uint_gt(sent, 0);
	ck_assert_uint_lt(sent, first);
	/* The next record needs room: the queue moves to the front. */
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, big, sizeof(big)),
	    0);
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_PARAMS, 1, "p", 1), 0);
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, "abc", 3), 0);
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 2, "other", 5), 0);
	ck_assert_int_eq(wchan_record_fd(&wt.ch, FCGI_STDIN, 1, "fd", 2, p[1]),
	    0);
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, NULL, 0), 0);
	ck_assert_uint_eq(wchan_drop(&wt.ch, FCGI_STDIN, 1), sizeof(big) + 3);
	ck_assert_uint_eq(wchan_drop(&wt.ch, FCGI_STDIN, 1), 0);
	total = sent + wchan_pending(&wt.ch);
	wchan_send(&wt.ch);
	wt.in_call = 0;
	/* Read with read(2): the fd that rides along is discarded. */
	ck_assert_uint_eq(wt_peer_read(got, total), total);
	while (off < total) {
		n = fcgi_record_parse(got + off, total - off, &rec);
		ck_assert_int_gt(n, 0);
		ck_assert_int_lt(i, (int)NELEM(want));
		ck_assert_uint_eq(rec.h.type, want[i].type);
		ck_assert_uint_eq(rec.h.request_id, want[i].id);
		ck_assert_uint_eq(rec.h.content_length, want[i].len);
		off += (size_t)n;
		i++;
	}
	ck_assert_int_eq(i, (int)NELEM(want));
	ck_assert_uint_eq(wchan_pending(&wt.ch), 0);
	ck_assert(!ev_is_active(&wt.ch.wio));
}
END_TEST

/* A worker closing its end: the records it sent first, then closed(),
   from the loop; the channel is closed by then. */
START_TEST(peer_close)
{
	uint8_t	buf[64];
	size_t	len;

	len = wt_encode(buf, FCGI_STDOUT, 1, "bye", 3);
	wt_peer_write(buf, len);
	close(wt.peer);
	wt.peer = -1;
	wt_until(&wt.nclosed, 1);
	ck_assert_int_eq(wt.nrec, 1);
	ck_assert_int_eq(wt.recs[0].type, FCGI_STDOUT);
	ck_assert_str_eq(wt.why, "connection closed by the worker");
	ck_assert(!wchan_is_open(&wt.ch));
	wt.in_call = 1;
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, NULL, 0), -1);
	wt.in_call = 0;
}
END_TEST

/* A write to a worker that went away fails quietly inside wchan_send;
   the end is reported from the loop. */
START_TEST(write_error)
{
	static uint8_t	 chunk[FCGI_MAX_LENGTH];

	close(wt.peer);
	wt.peer = -1;
	wt.in_call = 1;
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, chunk,
	    sizeof(chunk)), 0);
	wchan_send(&wt.ch);
	ck_assert_int_eq(wchan_record(&wt.ch, FCGI_STDIN, 1, NULL, 0), 0);
	wchan_send(&wt.ch);
	wt.in_call = 0;
	ck_assert_int_eq(wt.nclosed, 0);
	ck_assert(!ev_is_active(&wt.ch.wio));
	wt_until(&wt.nclosed, 1);
	ck_assert(!wchan_is_open(&wt.ch));
}
END_TEST

static void
wt_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	wt.in_call = 1;
	wchan_pause(&wt.ch, 0);
	wt.in_call = 0;
	wt.nrec_at_resume = wt.nrec;
}

/* A pause stops the hand-over within the records buffered; a resume
   hands over the rest from the loop, not from inside wchan_pause. */
START_TEST(pause_resume)
{
	ev_timer	 resume;
	uint8_t		 buf[128];
	size_t		 len;

	len = wt_encode(buf, FCGI_STDOUT, 1, "1", 1);
	len += wt_encode(buf + len, FCGI_STDOUT, 1, "2", 1);
	len += wt_encode(buf + len, FCGI_STDOUT, 1, "3", 1);
	wt.pause_at = 1;
	wt_peer_write(buf, len);
	wt_until(&wt.nrec, 1);
	wt_spin();
	ck_assert_int_eq(wt.nrec, 1);
	wt.pause_at = 0;
	/* The owner resumes from another watcher's callback, as server/worker.c
	   does from the client's (a resume made outside the loop would
	   wait for the loop's next poll). */
	ev_timer_init(&resume, wt_resume_cb, 0, 0);
	ev_timer_start(wt.loop, &resume);
	wt_until(&wt.nrec, 3);
	ck_assert_int_eq(wt.nrec_at_resume, 1);
	ck_assert_int_eq(wt.recs[1].content[0], '2');
	ck_assert_int_eq(wt.recs[2].content[0], '3');
}
END_TEST

/* The owner closing the channel inside record(): nothing more is handed
   over, and closed() is not called (the owner asked). */
START_TEST(close_in_callback)
{
	uint8_t	 buf[128];
	size_t	 len;

	len = wt_encode(buf, FCGI_STDOUT, 1, "1", 1);
	len += wt_encode(buf + len, FCGI_STDOUT, 1, "2", 1);
	wt.close_at = 1;
	wt_peer_write(buf, len);
	wt_until(&wt.nrec, 1);
	wt_spin();
	ck_assert_int_eq(wt.nrec, 1);
	ck_assert_int_eq(wt.nclosed, 0);
	ck_assert(!wchan_is_open(&wt.ch));
}
END_TEST

/* A record of another FastCGI version ends the channel. */
START_TEST(bad_version)
{
	uint8_t	 buf[64];
	size_t	 len;

	len = wt_encode(buf, FCGI_STDOUT, 1, "x", 1);
	buf[0] = 2;
	wt_peer_write(buf, len);
	wt_until(&wt.nclosed, 1);
	ck_assert_int_eq(wt.nrec, 0);
	ck_assert_str_eq(wt.why, "bad record version");
}
END_TEST

/* Nobody listening: connect fails with the errno the header names. */
START_TEST(connect_refused)
{
	struct wchan	ch;

	wchan_init(&ch, wt.loop, &wt_ops, &wt);
	close(wt.lfd);
	wt.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(wt.path);
	ck_assert_int_eq(wchan_connect(&ch, wt.path), -1);
	ck_assert(errno == ENOENT || errno == ECONNREFUSED);
	ck_assert(!wchan_is_open(&ch));
	wchan_free(&ch);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("wchan");
	TCase	*tc = tcase_create("wchan");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, wt_setup, wt_teardown);
	tcase_add_test(tc, records_in);
	tcase_add_test(tc, record_split);
	tcase_add_test(tc, records_out);
	tcase_add_test(tc, backpressure);
	tcase_add_test(tc, record_fd);
	tcase_add_test(tc, drop_queued);
	tcase_add_test(tc, peer_close);
	tcase_add_test(tc, write_error);
	tcase_add_test(tc, pause_resume);
	tcase_add_test(tc, close_in_callback);
	tcase_add_test(tc, bad_version);
	tcase_add_test(tc, connect_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
