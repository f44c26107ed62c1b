/*
 * libferry, black-box: a FastCGI client written here (records encoded with
 * protocol/fcgi.h) talks over a real Unix socket to a libferry app that
 * runs in a forked child, its fd 0 the listening socket as under ferryd.
 * Handlers that cannot answer in the response (their client left, or the
 * response already ended) report on fd 3, a pipe the test reads.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdpass/fdpass.h"
#include "protocol/fcgi.h"
#include "worker/ferry.h"

#define REPORT_FD	3	/* handlers -> test */
#define TC_TIMEOUT_MS	10000	/* a record that does not come is a failure */
#define TC_MAX_OUT	(4 * 1024 * 1024)

struct app {
	ferry_handler_fn h;		/* what the child serves with */
	char	 arg[160];		/* --listen's value */
	pid_t	 pid;
	int	 report;	/* read end of the handlers' reports */
	char	 dir[64];
	char	 path[128];
};

struct tc_resp {
	char		*out;		/* STDOUT bytes, NUL-terminated */
	size_t		 outlen;
	int		 nstdout;	/* STDOUT records with content */
	int		 stdout_end;	/* the empty STDOUT record came */
	uint32_t	 app_status;
	uint8_t		 proto;
};

static void	app_start(struct app *a, ferry_handler_fn h);
static void	app_start_fn(struct app *a, void (*fn)(const struct app *));
static void	app_stop(struct app *a);
static void	app_exited(struct app *a);
static void	app_report(const struct app *a, char *buf, size_t cap);
static int	tc_connect(const struct app *a);
static void	tc_send(int fd, const void *p, size_t n);
static void	tc_record(int fd, uint8_t type, uint16_t id, const void *c,
		    size_t len);
static void	tc_begin(int fd, uint16_t id, uint16_t role, uint8_t flags);
static void	tc_params(int fd, uint16_t id, const char *const *nv);
static void	tc_stdin(int fd, uint16_t id, const void *p, size_t n);
static int	tc_read_full(int fd, void *buf, size_t n);
static int	tc_read_record(int fd, struct fcgi_header *h, uint8_t *content);
static void	tc_response(int fd, uint16_t id, struct tc_resp *r);
static void	tc_expect_stdout(int fd, uint16_t id, const char *want);
static void	tc_get(int fd, uint16_t id, const char *query, struct tc_resp *r);
static void	tc_notify(int fd, uint16_t id, uint8_t reason);
static int	tc_eof(int fd);
static char	*tc_body(struct tc_resp *r);
static void	report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int	readable(int fd);

static const char *const GET_PARAMS[] = {
	"REQUEST_METHOD", "GET", "SCRIPT_NAME", "/t", "QUERY_STRING", "",
	NULL
};

/* ---- The app side ---- */

static void
report(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vdprintf(REPORT_FD, fmt, ap);
	va_end(ap);
}

static int
readable(int fd)
{
	struct pollfd	 p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Runs fn in a child whose fd 0 listens on a fresh Unix socket; a->h
   and a->arg are set by the caller. */
static void
app_start_fn(struct app *a, void (*fn)(const struct app *))
{
	struct sockaddr_un	 sun;
	int			 lfd, rp[2];

	strcpy(a->dir, "/tmp/ferry_test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(a->dir));
	snprintf(a->path, sizeof(a->path), "%s/s", a->dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, a->path);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	ck_assert_int_eq(pipe(rp), 0);
	a->pid = fork();
	ck_assert_int_ge(a->pid, 0);
	if (a->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(lfd, 0);
		dup2(rp[1], REPORT_FD);
		if (lfd != 0)
			close(lfd);
		close(rp[0]);
		close(rp[1]);
		fn(a);
		_exit(99);
	}
	close(lfd);
	close(rp[1]);
	a->report = rp[0];
}

static void
app_serve(const struct app *a)
{
	_exit(ferry_serve(a->h, NULL) == -1 ? 2 : 0);
}

static void
app_start(struct app *a, ferry_handler_fn h)
{
	memset(a, 0, sizeof(*a));
	a->h = h;
	app_start_fn(a, app_serve);
}

static void
app_stop(struct app *a)
{
	int	 st;

	kill(a->pid, SIGKILL);
	waitpid(a->pid, &st, 0);
	close(a->report);
	unlink(a->path);
	rmdir(a->dir);
}

/* Waits for the app to exit by itself, with status 0, and cleans up. */
static void
app_exited(struct app *a)
{
	int	 st;

	ck_assert_int_eq(waitpid(a->pid, &st, 0), a->pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(a->report);
	unlink(a->path);
	rmdir(a->dir);
}

/* Reads one report line (without its newline) from the app. */
static void
app_report(const struct app *a, char *buf, size_t cap)
{
	struct pollfd	 p = { .fd = a->report, .events = POLLIN };
	size_t		 n = 0;
	char		 ch;

	while (n + 1 < cap) {
		ck_assert_msg(poll(&p, 1, TC_TIMEOUT_MS) == 1,
		    "no report from the app");
		ck_assert_int_eq(read(a->report, &ch, 1), 1);
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
}

/* ---- The test client ---- */

static int
tc_connect(const struct app *a)
{
	struct sockaddr_un	 sun;
	int			 fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, a->path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void
tc_send(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		ck_assert_int_gt(w, 0);
		b += w;
		n -= (size_t)w;
	}
}

static void
tc_record(int fd, uint8_t type, uint16_t id, const void *c, size_t len)
{
	uint8_t	 hdr[FCGI_HEADER_LEN];
	uint8_t	 pad;

	pad = fcgi_record_header(hdr, type, id, len);
	tc_send(fd, hdr, sizeof(hdr));
	if (len > 0)
		tc_send(fd, c, len);
	if (pad > 0)
		tc_send(fd, FCGI_PAD, pad);
}

static void
tc_begin(int fd, uint16_t id, uint16_t role, uint8_t flags)
{
	uint8_t	 body[FCGI_BEGIN_REQUEST_LEN];

	fcgi_begin_request_encode(body, role, flags);
	tc_record(fd, FCGI_BEGIN_REQUEST, id, body, sizeof(body));
}

/* nv: name, value, ..., NULL.  One PARAMS record per pair, then the end. */
static void
tc_params(int fd, uint16_t id, const char *const *nv)
{
	uint8_t	 buf[4096];
	size_t	 n;

	for (; nv[0] != NULL; nv += 2) {
		n = fcgi_nv_encode(buf, sizeof(buf), nv[0], strlen(nv[0]),
		    nv[1], strlen(nv[1]));
		ck_assert_uint_gt(n, 0);
		tc_record(fd, FCGI_PARAMS, id, buf, n);
	}
	tc_record(fd, FCGI_PARAMS, id, NULL, 0);
}

/* The body in records of varied sizes (1, 100, 65535, 7...); n 0: the end. */
static void
tc_stdin(int fd, uint16_t id, const void *p, size_t n)
{
	static const size_t	 sizes[] = { 1, 100, FCGI_MAX_LENGTH, 7, 4096 };
	const uint8_t		*b = p;
	size_t			 k, i = 0;

	if (n == 0) {
		tc_record(fd, FCGI_STDIN, id, NULL, 0);
		return;
	}
	while (n > 0) {
		k = sizes[i++ % 5];
		if (k > n)
			k = n;
		tc_record(fd, FCGI_STDIN, id, b, k);
		b += k;
		n -= k;
	}
}

/* 1 when n bytes were read, 0 at EOF first, fails the test on timeout. */
static int
tc_read_full(int fd, void *buf, size_t n)
{
	struct pollfd	 p = { .fd = fd, .events = POLLIN };
	uint8_t		*b = buf;
	ssize_t		 r;

	while (n > 0) {
		ck_assert_msg(poll(&p, 1, TC_TIMEOUT_MS) == 1,
		    "timed out waiting for the app");
		r = read(fd, b, n);
		if (r == 0 || (r == -1 && errno == ECONNRESET))
			return 0;
		ck_assert_int_gt(r, 0);
		b += r;
		n -= (size_t)r;
	}
	return 1;
}

/* Reads one record; content (>= FCGI_MAX_LENGTH + 255 bytes) gets its
   content.  1, or 0 at EOF. */
static int
tc_read_record(int fd, struct fcgi_header *h, uint8_t *content)
{
	uint8_t	 hdr[FCGI_HEADER_LEN];

	if (!tc_read_full(fd, hdr, sizeof(hdr)))
		return 0;
	ck_assert_int_eq(fcgi_header_decode(hdr, h), 0);
	ck_assert_int_eq(tc_read_full(fd, content,
	    (size_t)h->content_length + h->padding_length), 1);
	return 1;
}

/* Reads records up to END_REQUEST for id, collecting STDOUT. */
static void
tc_response(int fd, uint16_t id, struct tc_resp *r)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN];
	struct fcgi_header	 h;

	memset(r, 0, sizeof(*r));
	r->out = malloc(TC_MAX_OUT + 1);
	ck_assert_ptr_nonnull(r->out);
	for (;;) {
		ck_assert_msg(tc_read_record(fd, &h, content) == 1,
		    "EOF before END_REQUEST");
		ck_assert_uint_eq(h.request_id, id);
		if (h.type == FCGI_STDOUT) {
			ck_assert(!r->stdout_end);
			if (h.content_length == 0) {
				r->stdout_end = 1;
				continue;
			}
			ck_assert_uint_le(r->outlen + h.content_length,
			    TC_MAX_OUT);
			memcpy(r->out + r->outlen, content, h.content_length);
			r->outlen += h.content_length;
			r->nstdout++;
		} else if (h.type == FCGI_END_REQUEST) {
			ck_assert_int_eq(fcgi_end_request_decode(content,
			    h.content_length, &r->app_status, &r->proto), 0);
			break;
		} else
			ck_abort_msg("unexpected record type %d", h.type);
	}
	r->out[r->outlen] = '\0';
}

/* Reads one STDOUT record for id and checks its content. */
static void
tc_expect_stdout(int fd, uint16_t id, const char *want)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN];
	struct fcgi_header	 h;

	ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	ck_assert_int_eq(h.type, FCGI_STDOUT);
	ck_assert_uint_eq(h.request_id, id);
	ck_assert_uint_eq(h.content_length, strlen(want));
	ck_assert(memcmp(content, want, strlen(want)) == 0);
}

static void
tc_get(int fd, uint16_t id, const char *query, struct tc_resp *r)
{
	const char *const nv[] = {
		"REQUEST_METHOD", "GET", "SCRIPT_NAME", "/t",
		"QUERY_STRING", query, NULL
	};

	tc_begin(fd, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, id, nv);
	tc_stdin(fd, id, NULL, 0);
	tc_response(fd, id, r);
}

static void
tc_notify(int fd, uint16_t id, uint8_t reason)
{
	uint8_t	 rec[FERRY_CLOSE_NOTIFY_LEN];

	fcgi_close_notify_encode(rec, id, reason);
	tc_send(fd, rec, sizeof(rec));
}

/* 1 when the app closed the connection (EOF within the timeout). */
static int
tc_eof(int fd)
{
	uint8_t	 b;

	return tc_read_full(fd, &b, 1) == 0;
}

/* The body after the CGI head ("\r\n\r\n"). */
static char *
tc_body(struct tc_resp *r)
{
	char	*p = strstr(r->out, "\r\n\r\n");

	ck_assert_msg(p != NULL, "no head in \"%s\"", r->out);
	return p + 4;
}

/* ---- Handlers ---- */

static int
h_params(struct ferry_req *req, void *arg)
{
	const char	*n, *v, *bad;
	size_t		 i;

	for (i = 0; ferry_param_at(req, i, &n, &v); i++)
		;
	bad = ferry_header(req, "Bad Name");
	ferry_printf(req, "method=%s\npath=%s\nscript=%s\npath_info=%s\n"
	    "query=%s\ntoken=%s\nctype=%s\nmissing=%s\nbad=%s\ncl=%lld\n"
	    "params=%zu\n",
	    ferry_method(req), ferry_path(req), ferry_script_name(req),
	    ferry_path_info(req), ferry_query(req),
	    ferry_header(req, "x-TOKEN"), ferry_header(req, "content-type"),
	    ferry_header(req, "X-Missing") == NULL ? "(none)" : "?",
	    bad == NULL ? "(none)" : "?",
	    (long long)ferry_content_length(req), i);
	return 0;
}

/* Reads the body in pieces of changing size: "n=N sum=S". */
static int
h_sum(struct ferry_req *req, void *arg)
{
	static const size_t	 sizes[] = { 1, 1000, 7, 65536, 3 };
	uint8_t			 buf[65536];
	size_t			 total = 0, i = 0, k;
	unsigned		 sum = 0;
	ssize_t			 n;

	while ((n = ferry_read(req, buf, sizes[i++ % 5])) > 0) {
		for (k = 0; k < (size_t)n; k++)
			sum = sum * 31 + buf[k];
		total += (size_t)n;
	}
	ferry_printf(req, "n=%zu sum=%u rc=%zd cl=%lld\n", total, sum, n,
	    (long long)ferry_content_length(req));
	return 0;
}

/* Reads 10 bytes of the body at most and returns; first, with the
   parameter WAIT, waits for PIPELINED (a test's sign that the STDIN
   window is full). */
static int
h_read_some(struct ferry_req *req, void *arg)
{
	char	 buf[10];
	ssize_t	 n, got = 0;

	while (got < 10 && (n = ferry_read(req, buf + got,
	    sizeof(buf) - (size_t)got)) > 0)
		got += n;
	if (ferry_param(req, "WAIT") != NULL)
		(void)ferry_wait_notify(req, FERRY_PIPELINED, 5000);
	ferry_printf(req, "got %zd\n", got);
	return 0;
}

/* "one" flushed, then waits for the body "go" before "two". */
static int
h_stream(struct ferry_req *req, void *arg)
{
	char	 buf[8];
	ssize_t	 n;

	ferry_write(req, "one", 3);
	ferry_flush(req);
	n = ferry_read(req, buf, sizeof(buf));
	ferry_write(req, "two", 3);
	ferry_flush(req);
	ferry_printf(req, "%zd", n);
	return 0;
}

static int
h_status(struct ferry_req *req, void *arg)
{
	int	 e[6], r[6];

	ferry_status(req, 404);
	ferry_add_header(req, "X-A", "1");
	ferry_add_header(req, "Content-Type", "text/html");
	r[0] = ferry_add_header(req, "Bad Name", "x");
	e[0] = errno;
	r[1] = ferry_add_header(req, "X-B", "a\r\nb");
	e[1] = errno;
	r[2] = ferry_status(req, 99);
	e[2] = errno;
	ferry_write(req, "body\n", 5);
	ferry_flush(req);
	r[3] = ferry_status(req, 200);
	e[3] = errno;
	r[4] = ferry_add_header(req, "X-C", "late");
	e[4] = errno;
	ferry_printf(req, "%d%d%d%d %d%d%d%d\n", r[0], r[1], r[2], r[3],
	    e[0] == EINVAL, e[1] == EINVAL, e[2] == EINVAL, e[3] == EALREADY);
	ferry_printf(req, "%d %d\n", r[4], e[4] == EALREADY);
	return 7;
}

/* Flushes "waiting", waits up to 5 s for GONE, says what it saw (in the
   response and on the report fd). */
static int
h_wait_gone(struct ferry_req *req, void *arg)
{
	int	 fd, before, after, r;

	fd = ferry_notify_fd(req);
	before = readable(fd);
	ferry_printf(req, "waiting\n");
	ferry_flush(req);
	r = ferry_wait_notify(req, FERRY_GONE, 5000);
	after = readable(fd);
	ferry_printf(req, "r=%d gone=%d pipelined=%d before=%d after=%d "
	    "samefd=%d\n", r, ferry_gone(req), ferry_pipelined(req), before,
	    after, ferry_notify_fd(req) == fd);
	report("r=%d gone=%d after=%d\n", r, ferry_gone(req), after);
	return 0;
}

/* Waits for any reason, then 200 ms more for GONE. */
static int
h_wait_any(struct ferry_req *req, void *arg)
{
	int	 r, r2;

	ferry_printf(req, "waiting\n");
	ferry_flush(req);
	r = ferry_wait_notify(req, 0, 5000);
	r2 = ferry_wait_notify(req, FERRY_GONE, 200);
	ferry_printf(req, "r=%d r2=%d gone=%d pipelined=%d fd=%d\n", r, r2,
	    ferry_gone(req), ferry_pipelined(req),
	    readable(ferry_notify_fd(req)));
	return 0;
}

/* What arrives within 200 ms. */
static int
h_notified(struct ferry_req *req, void *arg)
{
	ferry_printf(req, "r=%d\n", ferry_wait_notify(req, 0, 200));
	return 0;
}

/* App status 100 + 10 when GONE arrived + 1 when writing failed with
   ECONNABORTED + 1000 when reading did too. */
static int
h_abort(struct ferry_req *req, void *arg)
{
	char	 b[4];
	int	 r, st = 100;

	ferry_printf(req, "waiting\n");
	ferry_flush(req);
	r = ferry_wait_notify(req, FERRY_GONE, 5000);
	if (r & FERRY_GONE)
		st += 10;
	if (ferry_write(req, "x", 1) == -1 && errno == ECONNABORTED &&
	    ferry_flush(req) == -1 && errno == ECONNABORTED)
		st += 1;
	if (ferry_read(req, b, sizeof(b)) == -1 && errno == ECONNABORTED)
		st += 1000;
	return st;
}

/* The response ends early; what fails afterwards, on the report fd. */
static int
h_after_end(struct ferry_req *req, void *arg)
{
	int	 end, w, fl, end2, st, ew, efl, eend2, est;

	ferry_write(req, "done\n", 5);
	end = ferry_end(req);
	w = (int)ferry_write(req, "x", 1);
	ew = errno;
	fl = ferry_flush(req);
	efl = errno;
	end2 = ferry_end(req);
	eend2 = errno;
	st = ferry_status(req, 500);
	est = errno;
	report("end=%d write=%d/%d flush=%d/%d end2=%d/%d status=%d/%d "
	    "method=%s\n", end, w, ew == ESHUTDOWN, fl, efl == ESHUTDOWN,
	    end2, eend2 == ESHUTDOWN, st, est == EALREADY, ferry_method(req));
	return 0;
}

/* Drops the body, then waits for GONE. */
static int
h_discard(struct ferry_req *req, void *arg)
{
	char	 b[4];
	int	 r;

	ferry_discard(req);
	ferry_printf(req, "waiting\n");
	ferry_flush(req);
	r = ferry_wait_notify(req, FERRY_GONE, 5000);
	ferry_printf(req, "r=%d read=%zd\n", r, ferry_read(req, b, 4));
	return 0;
}

struct waiter {
	struct ferry_req	*req;
	atomic_int		 seen;
};

static void *
waiter_main(void *arg)
{
	struct waiter	*w = arg;

	atomic_store(&w->seen, ferry_wait_notify(w->req, FERRY_GONE, 5000));
	return NULL;
}

/* One thread waits for GONE while this one keeps writing and flushing. */
static int
h_thread(struct ferry_req *req, void *arg)
{
	struct waiter	 w = { .req = req };
	pthread_t	 t;
	struct timespec	 ms = { 0, 5 * 1000000L };
	int		 ticks = 0;

	atomic_init(&w.seen, 0);
	pthread_create(&t, NULL, waiter_main, &w);
	while (atomic_load(&w.seen) == 0 && ticks < 2000) {
		ferry_printf(req, "tick %d\n", ticks++);
		ferry_flush(req);
		nanosleep(&ms, NULL);
	}
	pthread_join(t, NULL);
	report("seen=%d ticks>0=%d\n", atomic_load(&w.seen), ticks > 0);
	return 0;
}

/* ---- Hijack and raw chunked bodies: the app side ---- */

/* The number after KEY ("rs=") in the query string, 0 when absent. */
static size_t
q_num(struct ferry_req *req, const char *key)
{
	const char	*q = ferry_query(req), *p;
	size_t		 klen = strlen(key), n = 0;

	for (p = q; (p = strstr(p, key)) != NULL; p++) {
		if (p != q && p[-1] != '&')
			continue;
		for (p += klen; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (size_t)(*p - '0');
		return n;
	}
	return 0;
}

static int
fd_write_all(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, b, n)) <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
fd_read_all(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, b, n)) <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads exactly want bytes of the body (or until it ends), rs at a time;
   returns a malloc'd copy and its length in *got. */
static uint8_t *
h_read_n(struct ferry_req *req, size_t want, size_t rs, size_t *got)
{
	uint8_t	*b = malloc(want + 1);
	size_t	 k;
	ssize_t	 n;

	*got = 0;
	while (b != NULL && *got < want) {
		k = want - *got < rs ? want - *got : rs;
		if ((n = ferry_read(req, b + *got, k)) <= 0)
			break;
		*got += (size_t)n;
	}
	return b;
}

/*
 * Query "read=N&rs=R&flush=1&unflushed=1&retry=1": flushes "flushed"
 * (flush), reads N body bytes R at a time, writes "dropped" without
 * flushing (unflushed), then hijacks (twice when refused, with retry).  Through the socket it writes "NREAD LEN\n",
 * the bytes it read, then *buf; it answers "ping\n" with "pong\n", then
 * reports what the request calls did after the hijack.  A failed hijack
 * is reported (and answered) as "hijack=-1 errno=E err=[why] ...".
 */
static int
h_hijack(struct ferry_req *req, void *arg)
{
	uint8_t		*got, one;
	void		*buf, *b2 = &one;
	size_t		 ngot, rs, len, l2 = 1;
	char		 line[64], err0[256], ping[6];
	int		 fd, e, nb, ce, before, ep[6], w0, again, err2, pong;

	rs = q_num(req, "rs=");
	if (rs == 0)
		rs = 65536;
	if (q_num(req, "flush=")) {
		ferry_write(req, "flushed", 7);
		ferry_flush(req);
	}
	got = h_read_n(req, q_num(req, "read="), rs, &ngot);
	if (q_num(req, "unflushed="))
		ferry_write(req, "dropped", 7);
	before = ferry_hijacked(req);
	fd = ferry_hijack(req, &buf, &len);
	if (fd == -1 && q_num(req, "retry="))
		fd = ferry_hijack(req, &buf, &len);
	if (fd == -1) {
		e = errno;
		report("hijack=-1 errno=%d err=[%s] bufnull=%d len=%zu "
		    "hijacked=%d\n", e, ferry_hijack_error(req), buf == NULL,
		    len, ferry_hijacked(req));
		ferry_printf(req, "hijack=-1 errno=%d\n", e);
		free(got);
		return 1;
	}
	snprintf(err0, sizeof(err0), "%s", ferry_hijack_error(req));
	nb = (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
	ce = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
	ep[0] = ferry_read(req, &one, 1) == -1 && errno == EPERM;
	ep[1] = ferry_write(req, "x", 1) == -1 && errno == EPERM;
	ep[2] = ferry_printf(req, "x") == -1 && errno == EPERM;
	ep[3] = ferry_flush(req) == -1 && errno == EPERM;
	ep[4] = ferry_status(req, 201) == -1 && errno == EPERM;
	ep[5] = ferry_add_header(req, "X-A", "1") == -1 && errno == EPERM;
	w0 = ferry_write(req, "", 0) == 0;
	again = ferry_hijack(req, &b2, &l2) == -1 && errno == EALREADY &&
	    b2 == NULL && l2 == 0;
	err2 = ferry_hijack_error(req)[0] != '\0';
	snprintf(line, sizeof(line), "%zu %zu\n", ngot, len);
	fd_write_all(fd, line, strlen(line));
	fd_write_all(fd, got, ngot);
	fd_write_all(fd, buf, len);
	pong = fd_read_all(fd, ping, 5) == 0 && memcmp(ping, "ping\n", 5) == 0 &&
	    fd_write_all(fd, "pong\n", 5) == 0;
	report("nb=%d ce=%d before=%d bufok=%d eperm=%d%d%d%d%d%d w0=%d "
	    "hijacked=%d again=%d err0=[%s] err2=%d notified=%d/%d pong=%d\n",
	    nb, ce, before, (buf == NULL) == (len == 0), ep[0], ep[1], ep[2],
	    ep[3], ep[4], ep[5], w0, ferry_hijacked(req), again, err0, err2,
	    ferry_wait_notify(req, 0, 50), ferry_notified(req), pong);
	free(buf);
	free(got);
	close(fd);
	return 5;
}

/*
 * Query "read=N&rs=R": reads N body bytes, hijacks (expecting a refusal),
 * then answers "rc=... errno=E err=[why] bufnull=B len=L hijacked=H\n",
 * the bytes read before, "|", the rest of the body, "|rc=R\n".
 */
static int
h_refused(struct ferry_req *req, void *arg)
{
	static const size_t	 sizes[] = { 1, 4096, 7, 65536, 3 };
	uint8_t			 b[65536], *got;
	void			*buf = b;
	size_t			 ngot, len = 1, rs, i = 0;
	ssize_t			 n;
	int			 fd, e;

	rs = q_num(req, "rs=");
	got = h_read_n(req, q_num(req, "read="), rs == 0 ? 65536 : rs,
	    &ngot);
	fd = ferry_hijack(req, &buf, &len);
	e = errno;
	ferry_printf(req, "rc=%d errno=%d err=[%s] bufnull=%d len=%zu "
	    "hijacked=%d\n", fd, fd == -1 ? e : 0, ferry_hijack_error(req),
	    buf == NULL, len, ferry_hijacked(req));
	if (fd != -1) {
		free(buf);
		close(fd);
		free(got);
		return 1;
	}
	ferry_write(req, got, ngot);
	ferry_write(req, "|", 1);
	while ((n = ferry_read(req, b, sizes[i++ % 5])) > 0)
		ferry_write(req, b, (size_t)n);
	ferry_printf(req, "|rc=%zd\n", n);
	free(got);
	return 0;
}

/* Ends the response, then tries to hijack: reported on fd 3. */
static int
h_hijack_ended(struct ferry_req *req, void *arg)
{
	void	*buf = &buf;
	size_t	 len = 1;
	int	 end, fd, e;

	ferry_printf(req, "done\n");
	end = ferry_end(req);
	fd = ferry_hijack(req, &buf, &len);
	e = errno;
	report("end=%d rc=%d errno=%d bufnull=%d len=%zu err=%d hijacked=%d\n",
	    end, fd, e, buf == NULL, len, ferry_hijack_error(req)[0] != '\0',
	    ferry_hijacked(req));
	return 0;
}

/* Query "rs=R": reads the whole body R bytes at a time and answers
   "rc=R errno=E cl=CL\n" then the bytes. */
static int
h_chunked(struct ferry_req *req, void *arg)
{
	size_t		 cap = 256, total = 0, rs, k;
	uint8_t		*b = malloc(cap), *nb;
	ssize_t		 n = 0;
	int		 e = 0;

	rs = q_num(req, "rs=");
	if (rs == 0)
		rs = 65536;
	while (b != NULL) {
		if (total == cap) {
			if ((nb = realloc(b, 2 * cap)) == NULL)
				break;
			b = nb;
			cap *= 2;
		}
		k = cap - total < rs ? cap - total : rs;
		if ((n = ferry_read(req, b + total, k)) <= 0)
			break;
		total += (size_t)n;
	}
	if (n == -1)
		e = errno;
	ferry_printf(req, "rc=%zd errno=%d cl=%lld\n", n, e,
	    (long long)ferry_content_length(req));
	ferry_write(req, b, total);
	free(b);
	return 0;
}

/* ---- Tests ---- */

/* A GET: parameters, derived accessors, header lookup, default head. */
START_TEST(test_get_params)
{
	static const char *const nv[] = {
		"REQUEST_METHOD", "GET", "SCRIPT_NAME", "/app",
		"PATH_INFO", "/x/y", "QUERY_STRING", "a=1&b=2",
		"HTTP_X_TOKEN", "abc", "CONTENT_TYPE", "text/csv",
		"CONTENT_LENGTH", "0", "REQUEST_METHOD", "POST", NULL
	};
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_params);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, 0);
	tc_params(fd, 1, nv);
	tc_stdin(fd, 1, NULL, 0);
	tc_response(fd, 1, &r);
	ck_assert_str_eq(r.out, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	    "method=GET\npath=/app/x/y\nscript=/app\npath_info=/x/y\n"
	    "query=a=1&b=2\ntoken=abc\nctype=text/csv\nmissing=(none)\n"
	    "bad=(none)\ncl=0\nparams=8\n");
	ck_assert(r.stdout_end);
	ck_assert_uint_eq(r.app_status, 0);
	ck_assert_uint_eq(r.proto, FCGI_REQUEST_COMPLETE);
	/* No FCGI_KEEP_CONN: the app closes the connection. */
	ck_assert(tc_eof(fd));
	close(fd);
	free(r.out);
	app_stop(&a);
}
END_TEST

/* A 300 KiB POST (more than the library buffers) read in pieces. */
START_TEST(test_post_body)
{
	static const char *const nv[] = {
		"REQUEST_METHOD", "POST", "CONTENT_LENGTH", "307200", NULL
	};
	struct app	 a;
	struct tc_resp	 r;
	uint8_t		*body;
	size_t		 n = 307200, i;
	unsigned	 sum = 0;
	char		 want[128];
	int		 fd;

	body = malloc(n);
	for (i = 0; i < n; i++) {
		body[i] = (uint8_t)(i * 7 + i / 251);
		sum = sum * 31 + body[i];
	}
	app_start(&a, h_sum);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, nv);
	tc_stdin(fd, 1, body, n);
	tc_stdin(fd, 1, NULL, 0);
	tc_response(fd, 1, &r);
	snprintf(want, sizeof(want), "n=%zu sum=%u rc=0 cl=307200\n", n, sum);
	ck_assert_str_eq(tc_body(&r), want);
	free(r.out);
	/* An empty body on the same connection. */
	tc_get(fd, 1, "", &r);
	ck_assert_str_eq(tc_body(&r), "n=0 sum=0 rc=0 cl=-1\n");
	free(r.out);
	close(fd);
	free(body);
	app_stop(&a);
}
END_TEST

/* The handler reads 10 of 100 KiB: the library skips the rest, and the
   next requests on the KEEP_CONN connection are served. */
START_TEST(test_early_stop_keep_conn)
{
	static const char *const nv[] = { "REQUEST_METHOD", "POST", NULL };
	struct app	 a;
	struct tc_resp	 r;
	uint8_t		*body;
	int		 fd, i;

	body = calloc(1, 100 * 1024);
	app_start(&a, h_read_some);
	fd = tc_connect(&a);
	for (i = 0; i < 3; i++) {
		tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
		tc_params(fd, 1, nv);
		tc_stdin(fd, 1, body, 100 * 1024);
		tc_stdin(fd, 1, NULL, 0);
		tc_response(fd, 1, &r);
		ck_assert_str_eq(tc_body(&r), "got 10\n");
		free(r.out);
	}
	tc_get(fd, 2, "", &r);
	ck_assert_str_eq(tc_body(&r), "got 0\n");
	free(r.out);
	close(fd);
	free(body);
	app_stop(&a);
}
END_TEST

/* 4 MiB the handler does not read, sent by another process: the response
   still completes, then the app closes the connection. */
START_TEST(test_early_stop_big)
{
	static const char *const nv[] = { "REQUEST_METHOD", "POST", NULL };
	struct app	 a;
	struct tc_resp	 r;
	pid_t		 w;
	int		 fd, st;

	app_start(&a, h_read_some);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, nv);
	w = fork();
	ck_assert_int_ge(w, 0);
	if (w == 0) {
		uint8_t	*body = calloc(1, 4 << 20);
		size_t	 off, k;
		ssize_t	 x;
		uint8_t	 hdr[FCGI_HEADER_LEN];

		for (off = 0; off < (4u << 20); off += k) {
			k = fcgi_stream_chunk((4u << 20) - off);
			fcgi_record_header(hdr, FCGI_STDIN, 1, k);
			if (send(fd, hdr, 8, MSG_NOSIGNAL) != 8)
				_exit(0);
			x = send(fd, body + off, k, MSG_NOSIGNAL);
			if (x != (ssize_t)k)
				_exit(0);
		}
		_exit(0);
	}
	tc_response(fd, 1, &r);
	ck_assert_str_eq(tc_body(&r), "got 10\n");
	free(r.out);
	ck_assert(tc_eof(fd));
	shutdown(fd, SHUT_RDWR);
	waitpid(w, &st, 0);
	close(fd);
	app_stop(&a);
}
END_TEST

/* A flush sends STDOUT at once (head and "one") while the handler waits
   for its body; the rest follows. */
START_TEST(test_streaming)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_stream);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_expect_stdout(fd, 1, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\none");
	tc_record(fd, FCGI_STDIN, 1, "go", 2);
	tc_expect_stdout(fd, 1, "two");
	tc_stdin(fd, 1, NULL, 0);
	tc_response(fd, 1, &r);
	ck_assert_str_eq(r.out, "2");
	ck_assert_int_eq(r.nstdout, 1);
	ck_assert(r.stdout_end);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* Status and fields in the CGI head; bad ones and late ones refused. */
START_TEST(test_status_headers)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_status);
	fd = tc_connect(&a);
	tc_get(fd, 1, "", &r);
	ck_assert_str_eq(r.out, "Status: 404 Not Found\r\nX-A: 1\r\n"
	    "Content-Type: text/html\r\n\r\nbody\n-1-1-1-1 1111\n-1 1\n");
	ck_assert_uint_eq(r.app_status, 7);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* Sends GET_VALUES and checks the answer. */
static void
check_get_values(int fd)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN];
	static const char *const names[] = {
		FCGI_MAX_CONNS, FCGI_MAX_REQS, "NOT_A_NAME", FCGI_MPXS_CONNS,
		FERRY_EXTENSIONS, NULL
	};
	uint8_t			 q[512];
	size_t			 qlen = 0, vlen, i;
	struct fcgi_header	 h;
	const char		*v;

	for (i = 0; names[i] != NULL; i++)
		qlen += fcgi_nv_encode(q + qlen, sizeof(q) - qlen, names[i],
		    strlen(names[i]), "", 0);
	tc_record(fd, FCGI_GET_VALUES, 0, q, qlen);
	ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	ck_assert_int_eq(h.type, FCGI_GET_VALUES_RESULT);
	ck_assert_uint_eq(h.request_id, 0);
	ck_assert_int_eq(fcgi_get_values_find(content, h.content_length,
	    FCGI_MAX_CONNS, &v, &vlen), 1);
	ck_assert(vlen == 1 && v[0] == '1');
	ck_assert_int_eq(fcgi_get_values_find(content, h.content_length,
	    FCGI_MAX_REQS, &v, &vlen), 1);
	ck_assert(vlen == 1 && v[0] == '1');
	ck_assert_int_eq(fcgi_get_values_find(content, h.content_length,
	    FCGI_MPXS_CONNS, &v, &vlen), 1);
	ck_assert(vlen == 1 && v[0] == '0');
	ck_assert_int_eq(fcgi_get_values_find(content, h.content_length,
	    FERRY_EXTENSIONS, &v, &vlen), 1);
	ck_assert(fcgi_list_has(v, vlen, FERRY_EXT_CLOSE_NOTIFY));
	ck_assert_int_eq(fcgi_get_values_find(content, h.content_length,
	    "NOT_A_NAME", &v, &vlen), 0);
}

/* GET_VALUES between requests and while a handler computes. */
START_TEST(test_get_values)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_wait_gone);
	fd = tc_connect(&a);
	check_get_values(fd);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_stdin(fd, 1, NULL, 0);
	tc_expect_stdout(fd, 1, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nwaiting\n");
	check_get_values(fd);
	tc_notify(fd, 1, FERRY_REASON_GONE);
	tc_response(fd, 1, &r);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* Unknown record types, management or not, get UNKNOWN_TYPE. */
START_TEST(test_unknown_type)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN];
	struct app		 a;
	struct tc_resp		 r;
	struct fcgi_header	 h;
	uint8_t			 type;
	int			 fd;

	app_start(&a, h_notified);
	fd = tc_connect(&a);
	tc_record(fd, 99, 0, "x", 1);
	ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	ck_assert_int_eq(h.type, FCGI_UNKNOWN_TYPE);
	ck_assert_int_eq(fcgi_unknown_type_decode(content, h.content_length,
	    &type), 0);
	ck_assert_int_eq(type, 99);
	/* A worker -> master type is unknown here too. */
	tc_record(fd, FCGI_END_REQUEST, 1, "12345678", 8);
	ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	ck_assert_int_eq(h.type, FCGI_UNKNOWN_TYPE);
	ck_assert_int_eq(content[0], FCGI_END_REQUEST);
	tc_get(fd, 1, "", &r);
	ck_assert_str_eq(tc_body(&r), "r=0\n");
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* Authorizer and filter roles: UNKNOWN_ROLE; the connection serves on. */
START_TEST(test_unknown_role)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_notified);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_AUTHORIZER, FCGI_KEEP_CONN);
	tc_response(fd, 1, &r);
	ck_assert_uint_eq(r.proto, FCGI_UNKNOWN_ROLE);
	ck_assert_uint_eq(r.outlen, 0);
	free(r.out);
	tc_get(fd, 2, "", &r);
	ck_assert_str_eq(tc_body(&r), "r=0\n");
	free(r.out);
	/* Without KEEP_CONN the app closes after answering. */
	tc_begin(fd, 3, FCGI_FILTER, 0);
	tc_response(fd, 3, &r);
	ck_assert_uint_eq(r.proto, FCGI_UNKNOWN_ROLE);
	free(r.out);
	ck_assert(tc_eof(fd));
	close(fd);
	app_stop(&a);
}
END_TEST

/* A second request id while one runs: CANT_MPX_CONN; the first is
   unaffected. */
START_TEST(test_no_multiplexing)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_wait_gone);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_stdin(fd, 1, NULL, 0);
	tc_expect_stdout(fd, 1, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nwaiting\n");
	tc_begin(fd, 2, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_response(fd, 2, &r);
	ck_assert_uint_eq(r.proto, FCGI_CANT_MPX_CONN);
	free(r.out);
	tc_params(fd, 2, GET_PARAMS);
	tc_notify(fd, 2, FERRY_REASON_GONE);	/* not request 1's */
	tc_notify(fd, 1, FERRY_REASON_GONE);
	tc_response(fd, 1, &r);
	ck_assert_str_eq(r.out, "r=1 gone=1 pipelined=0 before=0 after=1 "
	    "samefd=1\n");
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* CLOSE_NOTIFY(GONE) wakes ferry_wait_notify and the notify fd. */
START_TEST(test_notify_gone)
{
	struct app	 a;
	struct tc_resp	 r;
	char		 rep[128];
	int		 fd;

	app_start(&a, h_wait_gone);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_stdin(fd, 1, NULL, 0);
	tc_expect_stdout(fd, 1, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nwaiting\n");
	tc_notify(fd, 1, FERRY_REASON_GONE);
	tc_notify(fd, 1, FERRY_REASON_GONE);	/* a repeat changes nothing */
	tc_response(fd, 1, &r);
	ck_assert_str_eq(r.out, "r=1 gone=1 pipelined=0 before=0 after=1 "
	    "samefd=1\n");
	free(r.out);
	app_report(&a, rep, sizeof(rep));
	ck_assert_str_eq(rep, "r=1 gone=1 after=1");
	close(fd);
	app_stop(&a);
}
END_TEST

/* PIPELINED sets only PIPELINED; an unknown reason is ignored. */
START_TEST(test_notify_pipelined)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_wait_any);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_stdin(fd, 1, NULL, 0);
	tc_expect_stdout(fd, 1, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nwaiting\n");
	tc_notify(fd, 1, 9);
	tc_notify(fd, 1, FERRY_REASON_PIPELINED);
	tc_response(fd, 1, &r);
	ck_assert_str_eq(r.out, "r=2 r2=0 gone=0 pipelined=1 fd=1\n");
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* A notification for a request that ended, or for another id, is
   ignored, also when the next request reuses the id. */
START_TEST(test_notify_old_id)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_notified);
	fd = tc_connect(&a);
	tc_get(fd, 1, "", &r);
	ck_assert_str_eq(tc_body(&r), "r=0\n");
	free(r.out);
	tc_notify(fd, 1, FERRY_REASON_GONE);	/* after its END_REQUEST */
	tc_notify(fd, 1, FERRY_REASON_PIPELINED);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_notify(fd, 7, FERRY_REASON_GONE);	/* another id */
	tc_stdin(fd, 1, NULL, 0);
	tc_response(fd, 1, &r);
	ck_assert_str_eq(tc_body(&r), "r=0\n");
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* FCGI_ABORT_REQUEST: GONE, body and output calls fail, END_REQUEST
   still comes with the handler's status and no more output. */
START_TEST(test_abort)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_abort);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_expect_stdout(fd, 1, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nwaiting\n");
	tc_record(fd, FCGI_ABORT_REQUEST, 1, NULL, 0);
	tc_response(fd, 1, &r);
	ck_assert_uint_eq(r.outlen, 0);
	ck_assert_uint_eq(r.app_status, 1111);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* ABORT_REQUEST before the parameters ended: answered at once. */
START_TEST(test_abort_early)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	app_start(&a, h_notified);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_record(fd, FCGI_ABORT_REQUEST, 1, NULL, 0);
	tc_response(fd, 1, &r);
	ck_assert_uint_eq(r.proto, FCGI_REQUEST_COMPLETE);
	ck_assert_uint_eq(r.outlen, 0);
	free(r.out);
	tc_get(fd, 1, "", &r);
	ck_assert_str_eq(tc_body(&r), "r=0\n");
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* After ferry_end, output fails cleanly; the request stays readable. */
START_TEST(test_after_end)
{
	struct app	 a;
	struct tc_resp	 r;
	char		 rep[256];
	int		 fd;

	app_start(&a, h_after_end);
	fd = tc_connect(&a);
	tc_get(fd, 1, "", &r);
	ck_assert_str_eq(tc_body(&r), "done\n");
	free(r.out);
	app_report(&a, rep, sizeof(rep));
	ck_assert_str_eq(rep, "end=0 write=-1/1 flush=-1/1 end2=-1/1 "
	    "status=-1/1 method=GET");
	tc_get(fd, 1, "", &r);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* The server's connection closes while the handler waits: GONE. */
START_TEST(test_conn_lost)
{
	struct app	 a;
	char		 rep[128];
	int		 fd;

	app_start(&a, h_wait_gone);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_stdin(fd, 1, NULL, 0);
	tc_expect_stdout(fd, 1, "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nwaiting\n");
	close(fd);
	app_report(&a, rep, sizeof(rep));
	ck_assert_str_eq(rep, "r=1 gone=1 after=1");
	/* The app serves the next connection. */
	{
		struct tc_resp	 r;

		fd = tc_connect(&a);
		tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
		tc_params(fd, 1, GET_PARAMS);
		tc_stdin(fd, 1, NULL, 0);
		tc_expect_stdout(fd, 1, "Status: 200 OK\r\nContent-Type: "
		    "text/plain; charset=utf-8\r\n\r\nwaiting\n");
		tc_notify(fd, 1, FERRY_REASON_GONE);
		tc_response(fd, 1, &r);
		free(r.out);
		close(fd);
	}
	app_stop(&a);
}
END_TEST

/* A discarded 600 KiB body does not hide the GONE sent after it. */
START_TEST(test_discard)
{
	static const char *const nv[] = { "REQUEST_METHOD", "POST", NULL };
	struct app	 a;
	struct tc_resp	 r;
	uint8_t		*body;
	int		 fd;

	body = calloc(1, 600 * 1024);
	app_start(&a, h_discard);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, nv);
	tc_stdin(fd, 1, body, 600 * 1024);
	tc_stdin(fd, 1, NULL, 0);
	tc_notify(fd, 1, FERRY_REASON_GONE);
	tc_response(fd, 1, &r);
	ck_assert_str_eq(tc_body(&r), "waiting\nr=1 read=0\n");
	free(r.out);
	tc_get(fd, 1, "", &r);
	free(r.out);
	close(fd);
	free(body);
	app_stop(&a);
}
END_TEST

/* One thread waits for GONE while another streams output. */
START_TEST(test_threads)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN];
	struct app		 a;
	struct fcgi_header	 h;
	char			 rep[128];
	int			 fd;

	app_start(&a, h_thread);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, GET_PARAMS);
	tc_stdin(fd, 1, NULL, 0);
	ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	ck_assert_int_eq(h.type, FCGI_STDOUT);
	tc_notify(fd, 1, FERRY_REASON_GONE);
	do {
		ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	} while (h.type == FCGI_STDOUT);
	ck_assert_int_eq(h.type, FCGI_END_REQUEST);
	app_report(&a, rep, sizeof(rep));
	ck_assert_str_eq(rep, "seen=1 ticks>0=1");
	close(fd);
	app_stop(&a);
}
END_TEST

static void
app_accept_loop(const struct app *a)
{
	struct ferry		*f;
	struct ferry_req	*req, *again;
	int			 i, busy;

	if ((f = ferry_open(0)) == NULL)
		_exit(3);
	for (i = 0; i < 2; i++) {
		if ((req = ferry_accept(f)) == NULL)
			_exit(4);
		again = ferry_accept(f);
		busy = again == NULL && errno == EBUSY;
		ferry_printf(req, "n=%d busy=%d id=%u\n", i, busy,
		    ferry_request_id(req));
		if (ferry_finish(req) != 0)
			_exit(5);
	}
	ferry_close(f);
	_exit(0);
}

/* The accept-style API: two requests, then the app leaves its loop. */
START_TEST(test_accept_api)
{
	struct app	 a;
	struct tc_resp	 r;
	int		 fd;

	memset(&a, 0, sizeof(a));
	app_start_fn(&a, app_accept_loop);
	fd = tc_connect(&a);
	tc_get(fd, 5, "", &r);
	ck_assert_str_eq(tc_body(&r), "n=0 busy=1 id=5\n");
	free(r.out);
	tc_get(fd, 6, "", &r);
	ck_assert_str_eq(tc_body(&r), "n=1 busy=1 id=6\n");
	free(r.out);
	ck_assert(tc_eof(fd));
	close(fd);
	app_exited(&a);
}
END_TEST

static void
retire_cb(int why, int grace_ms, void *arg)
{
	report("retired why=%d grace=%d arg=%s retired()=%d\n", why,
	    grace_ms, (const char *)arg, ferry_retired());
}

static int
h_retire(struct ferry_req *req, void *arg)
{
	(void)arg;
	ferry_printf(req, "retired=%d\n", ferry_retired());
	return 0;
}

/* ferry_serve with a going-away callback: it returns 0 once retired. */
static void
app_retire(const struct app *a)
{
	int	 rc;

	(void)a;
	ferry_on_retire(retire_cb, "x");
	rc = ferry_serve(h_retire, NULL);
	report("serve=%d retired()=%d\n", rc, ferry_retired());
	_exit(rc == 0 ? 0 : 2);
}

/* FERRY_RETIRE between requests: the callback runs once with the reason
   and grace, ferry_serve returns 0; a malformed one is ignored. */
START_TEST(test_retire)
{
	static const struct {
		uint8_t		 why;
		uint32_t	 ms;
		const char	*want;
	} cases[] = {
		{ FERRY_RETIRE_RECYCLE, FERRY_RETIRE_NO_LIMIT,
		  "retired why=1 grace=-1 arg=x retired()=1" },
		{ FERRY_RETIRE_IDLE, 0, "retired why=2 grace=0 arg=x retired()=2" },
		{ FERRY_RETIRE_STOP, 10000,
		  "retired why=3 grace=10000 arg=x retired()=3" },
		{ 77, 5, "retired why=1 grace=5 arg=x retired()=1" },
	};
	uint8_t		 rec[FERRY_RETIRE_LEN];
	char		 rep[256], want[64];
	struct app	 a;
	struct tc_resp	 r;
	size_t		 i;
	int		 fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		app_start_fn(&a, app_retire);
		fd = tc_connect(&a);
		tc_get(fd, 1, "", &r);
		ck_assert_str_eq(tc_body(&r), "retired=0\n");
		free(r.out);
		/* Malformed: too short, or for a request. */
		fcgi_retire_encode(rec, cases[i].why, cases[i].ms);
		tc_record(fd, FERRY_RETIRE, 0, rec + FCGI_HEADER_LEN, 4);
		tc_record(fd, FERRY_RETIRE, 1, rec + FCGI_HEADER_LEN,
		    FERRY_RETIRE_CONTENT);
		tc_get(fd, 2, "", &r);
		ck_assert_str_eq(tc_body(&r), "retired=0\n");
		free(r.out);
		tc_send(fd, rec, sizeof(rec));
		app_report(&a, rep, sizeof(rep));
		ck_assert_str_eq(rep, cases[i].want);
		app_report(&a, rep, sizeof(rep));
		snprintf(want, sizeof(want), "serve=0 retired()=%c",
		    cases[i].want[12]);
		ck_assert_str_eq(rep, want);
		ck_assert(tc_eof(fd));
		close(fd);
		app_exited(&a);
	}
}
END_TEST

/* fd 0 not a listening socket: an error and a message saying how. */
START_TEST(test_not_a_socket)
{
	char	 msg[2048];
	int	 ep[2], sp[2], fd, st;
	ssize_t	 n, k;
	pid_t	 pid;

	/* ferry_open refuses a file and a connected socket. */
	fd = open("/dev/null", O_RDONLY);
	ck_assert_ptr_null(ferry_open(fd));
	ck_assert_int_eq(errno, ENOTSOCK);
	close(fd);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_ptr_null(ferry_open(sp[0]));
	ck_assert_int_eq(errno, ENOTSOCK);
	close(sp[0]);
	close(sp[1]);

	ck_assert_int_eq(pipe(ep), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		dup2(ep[1], 2);
		_exit(ferry_serve(h_notified, NULL) == -1 && errno == ENOTSOCK ?
		    0 : 1);
	}
	close(ep[1]);
	for (n = 0; (k = read(ep[0], msg + n, sizeof(msg) - 1 - (size_t)n)) > 0;)
		n += k;
	msg[n] = '\0';
	close(ep[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_ptr_nonnull(strstr(msg, "not a listening socket"));
	ck_assert_ptr_nonnull(strstr(msg, "ferryd"));
	ck_assert_ptr_nonnull(strstr(msg, "--app"));
	ck_assert_ptr_nonnull(strstr(msg, "--listen"));
}
END_TEST

/* ferry_listen's address forms and errors. */
START_TEST(test_listen_addr)
{
	static const struct {
		const char	*addr;
		int		 ok;
	} cases[] = {
		{ "127.0.0.1:0", 1 },		/* any free port */
		{ "[::1]:0", 2 },		/* IPv6 literal; 2: may be absent */
		{ "127.0.0.1", 0 },		/* no port */
		{ "127.0.0.1:", 0 },		/* empty port */
		{ "127.0.0.1:65536", 0 },	/* port too large */
		{ "127.0.0.1:80a", 0 },		/* not a number */
		{ "127.0.0.1:+80", 0 },		/* no signs */
		{ "127.0.0.1:000080", 0 },	/* more than 5 digits */
		{ "unix:", 0 },			/* empty path */
		{ "", 0 },			/* nothing */
	};
	struct ferry	*f;
	size_t		 i;
	int		 fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = ferry_listen(cases[i].addr);
		if (cases[i].ok == 1)
			ck_assert_msg(fd >= 0, "%s", cases[i].addr);
		else if (cases[i].ok == 0)
			ck_assert_msg(fd == -1, "%s", cases[i].addr);
		if (fd >= 0) {
			f = ferry_open(fd);
			ck_assert_ptr_nonnull(f);
			ferry_close(f);
			close(fd);
		}
	}
}
END_TEST

static void
app_listen(const struct app *a)
{
	char		 addr[sizeof(a->arg)];
	char *const	 argv[] = { "app", "--listen", addr, NULL };

	memcpy(addr, a->arg, sizeof(addr));

	_exit(ferry_serve_args(3, argv, h_notified, NULL) == -1 ? 2 : 0);
}

/* --listen unix:PATH serves there, replacing a stale socket file. */
START_TEST(test_listen_option)
{
	struct app		 a, b;
	struct sockaddr_un	 sun;
	struct tc_resp		 r;
	struct timespec		 ms = { 0, 10 * 1000000L };
	int			 fd, s, i;

	/* A stale socket file: bound, then closed. */
	memset(&b, 0, sizeof(b));
	strcpy(b.dir, "/tmp/ferry_test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(b.dir));
	snprintf(b.path, sizeof(b.path), "%s/own", b.dir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, b.path);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(s);
	memset(&a, 0, sizeof(a));
	snprintf(a.arg, sizeof(a.arg), "unix:%s", b.path);
	app_start_fn(&a, app_listen);
	for (i = 0; i < 500; i++) {
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		close(s);
		nanosleep(&ms, NULL);
	}
	ck_assert_int_lt(i, 500);
	fd = s;
	tc_get(fd, 1, "", &r);
	ck_assert_str_eq(tc_body(&r), "r=0\n");
	free(r.out);
	close(fd);
	app_stop(&a);
	unlink(b.path);
	rmdir(b.dir);
}
END_TEST

/* ---- Hijack and raw chunked bodies: the server side ---- */

#define HJ_EXT		FERRY_EXT_CLOSE_NOTIFY "," FERRY_EXT_HIJACK
#define HJ_BIG		(300 * 1024)	/* more than FERRY_STDIN_MAX */
#define HJ_HEAD		"Status: 200 OK\r\n" \
			"Content-Type: text/plain; charset=utf-8\r\n\r\n"

/* Body byte i of the test bodies: all 256 values, no short period. */
static uint8_t
hj_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static uint8_t *
hj_pattern(size_t off, size_t n)
{
	uint8_t	*b = malloc(n + 1);
	size_t	 i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++)
		b[i] = hj_byte(off + i);
	return b;
}

/* Reads records up to FERRY_HIJACK (empty, for id), checking that the
   STDOUT before it is exactly flushed. */
static void
tc_expect_hijack(int fd, uint16_t id, const char *flushed)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN];
	char			 out[4096];
	struct fcgi_header	 h;
	size_t			 outlen = 0;

	for (;;) {
		ck_assert_msg(tc_read_record(fd, &h, content) == 1,
		    "EOF before HIJACK");
		ck_assert_uint_eq(h.request_id, id);
		if (h.type == FERRY_HIJACK)
			break;
		ck_assert_msg(h.type == FCGI_STDOUT && h.content_length > 0,
		    "record type %d before HIJACK", h.type);
		ck_assert_uint_le(outlen + h.content_length, sizeof(out) - 1);
		memcpy(out + outlen, content, h.content_length);
		outlen += h.content_length;
	}
	ck_assert_uint_eq(h.content_length, 0);
	ck_assert_uint_eq(h.padding_length, 0);
	out[outlen] = '\0';
	ck_assert_str_eq(out, flushed);
}

/*
 * Sends p[0..len) as ferryd does: FERRY_HIJACKED records (sizes from
 * split, a 0-terminated list used in turn; NULL: fcgi_stream_chunk's), the
 * first carrying sock with SCM_RIGHTS, then an empty record; len 0 is a
 * single empty record that carries sock.  Like ferryd's channel, every
 * byte from the first record on goes in one fdpass_send when it can.
 */
static void
tc_hijacked(int fd, uint16_t id, int sock, const uint8_t *p, size_t len,
    const size_t *split)
{
	uint8_t	*buf, *q;
	size_t	 off, k, nrec = 1, i;
	ssize_t	 n;
	uint8_t	 pad;

	for (off = 0, i = 0; off < len; off += k, nrec++) {
		k = split == NULL ? fcgi_stream_chunk(len - off) : split[i++];
		if (split != NULL && split[i] == 0)
			i = 0;
		if (k > len - off)
			k = len - off;
	}
	buf = malloc(len + nrec * (FCGI_HEADER_LEN + 8));
	ck_assert_ptr_nonnull(buf);
	q = buf;
	for (off = 0, i = 0; off < len; off += k) {
		k = split == NULL ? fcgi_stream_chunk(len - off) : split[i++];
		if (split != NULL && split[i] == 0)
			i = 0;
		if (k > len - off)
			k = len - off;
		pad = fcgi_record_header(q, FERRY_HIJACKED, id, k);
		memcpy(q + FCGI_HEADER_LEN, p + off, k);
		memset(q + FCGI_HEADER_LEN + k, 0, pad);
		q += FCGI_HEADER_LEN + k + pad;
	}
	fcgi_record_header(q, FERRY_HIJACKED, id, 0);
	q += FCGI_HEADER_LEN;
	n = fdpass_send(fd, buf, (size_t)(q - buf), sock);
	ck_assert_int_gt(n, 0);
	tc_send(fd, buf + n, (size_t)(q - buf) - (size_t)n);
	free(buf);
}

/* A GET_VALUES round trip: every record sent before it was handled. */
static void
tc_sync(int fd)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN], q[64];
	struct fcgi_header	 h;
	size_t			 n;

	n = fcgi_nv_encode(q, sizeof(q), FCGI_MAX_CONNS,
	    strlen(FCGI_MAX_CONNS), "", 0);
	tc_record(fd, FCGI_GET_VALUES, 0, q, n);
	ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	ck_assert_int_eq(h.type, FCGI_GET_VALUES_RESULT);
}

/* Reads exactly n bytes from fd and compares them with want. */
static void
tc_expect_bytes(int fd, const void *want, size_t n, const char *what)
{
	uint8_t	*b = malloc(n + 1);
	size_t	 i;

	ck_assert_ptr_nonnull(b);
	ck_assert_msg(tc_read_full(fd, b, n) == 1, "%s: EOF", what);
	for (i = 0; i < n && b[i] == ((const uint8_t *)want)[i]; i++)
		;
	ck_assert_msg(i == n, "%s: byte %zu of %zu differs", what, i, n);
	free(b);
}

/* One hijack, the server's side of it (see h_hijack). */
struct hj_io {
	const char *const	*nv;		/* PARAMS */
	const uint8_t		*pre;		/* STDIN before HIJACK */
	size_t			 prelen;
	int			 pre_end;	/* then the empty STDIN */
	const char		*refuse;	/* refuse the first HIJACK so */
	const uint8_t		*pend;		/* STDIN before the refusal */
	size_t			 pendlen;
	const uint8_t		*post;		/* STDIN after HIJACK came */
	size_t			 postlen;
	const uint8_t		*hj;		/* the HIJACKED bytes */
	size_t			 hjlen;
	const size_t		*split;		/* their record sizes */
	const char		*flushed;	/* STDOUT before HIJACK */
	const uint8_t		*want_read;	/* what the handler read */
	size_t			 want_readlen;
	const uint8_t		*want_buf;	/* *buf, *len */
	size_t			 want_buflen;
};

static void
hj_run(const struct app *a, int fd, uint16_t id, const struct hj_io *io)
{
	struct tc_resp	 r;
	char		 line[64], rep[512];
	int		 sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	/* Non-blocking, as ferryd's client sockets are. */
	ck_assert_int_eq(fcntl(sp[1], F_SETFL, O_NONBLOCK), 0);
	tc_begin(fd, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, id, io->nv);
	if (io->prelen > 0)
		tc_stdin(fd, id, io->pre, io->prelen);
	if (io->pre_end)
		tc_stdin(fd, id, NULL, 0);
	tc_expect_hijack(fd, id, io->flushed);
	if (io->refuse != NULL) {
		if (io->pendlen > 0)
			tc_stdin(fd, id, io->pend, io->pendlen);
		tc_record(fd, FERRY_HIJACK_REFUSED, id, io->refuse,
		    strlen(io->refuse));
		tc_expect_hijack(fd, id, "");
	}
	if (io->postlen > 0)
		tc_stdin(fd, id, io->post, io->postlen);
	tc_hijacked(fd, id, sp[1], io->hj, io->hjlen, io->split);
	close(sp[1]);
	/* After the hijack: never seen (the GET_VALUES round trip makes
	   sure the app's reader handled it before "ping"). */
	tc_notify(fd, id, FERRY_REASON_GONE);
	tc_notify(fd, id, FERRY_REASON_PIPELINED);
	tc_sync(fd);
	snprintf(line, sizeof(line), "%zu %zu\n", io->want_readlen,
	    io->want_buflen);
	tc_expect_bytes(sp[0], line, strlen(line), "the lengths");
	tc_expect_bytes(sp[0], io->want_read, io->want_readlen, "read");
	tc_expect_bytes(sp[0], io->want_buf, io->want_buflen, "*buf");
	tc_send(sp[0], "ping\n", 5);
	tc_expect_bytes(sp[0], "pong\n", 5, "pong");
	app_report(a, rep, sizeof(rep));
	ck_assert_str_eq(rep, "nb=0 ce=1 before=0 bufok=1 eperm=111111 w0=1 "
	    "hijacked=1 again=1 err0=[] err2=1 notified=0/0 pong=1");
	/* END_REQUEST with the handler's status; no STDOUT, not even its
	   end, after the hijack: "dropped" never comes. */
	tc_response(fd, id, &r);
	ck_assert_uint_eq(r.outlen, 0);
	ck_assert(!r.stdout_end);
	ck_assert_uint_eq(r.app_status, 5);
	ck_assert_uint_eq(r.proto, FCGI_REQUEST_COMPLETE);
	free(r.out);
	/* The app closed the socket and kept no copy of it. */
	ck_assert(tc_eof(sp[0]));
	close(sp[0]);
}

/* Hijack as ferryd plays it, body bytes before and after HIJACK, the
   HIJACKED bytes in records of various sizes; then the next request. */
START_TEST(test_hijack)
{
	static const size_t	 s_small[] = { 1, 7, 13, 0 };
	static const size_t	 s_edge[] = { FCGI_MAX_LENGTH, 1, 0 };
	static const struct {
		size_t		 pre;		/* body bytes before HIJACK */
		int		 pre_end;	/* and the body's end */
		size_t		 nread;		/* read by the handler */
		size_t		 rs;		/* ... this many at a time */
		size_t		 post;		/* body bytes after HIJACK */
		size_t		 hjlen;		/* HIJACKED bytes */
		const size_t	*split;		/* ... in records of */
		int		 flush;		/* "flushed" sent before */
		int		 unflushed;	/* "dropped" written, not sent */
	} cases[] = {
		/* Nothing to hand over: one empty HIJACKED with the fd,
		   *buf NULL and *len 0. */
		{ 0, 0, 0, 0, 0, 0, NULL, 0, 0 },
		/* Flushed output arrives before HIJACK, unflushed output
		   never; unread body bytes, then the client's next bytes
		   in records of 1, 7, 13 bytes. */
		{ 1000, 0, 10, 3, 0, 40, s_small, 1, 1 },
		/* The body ended before the hijack and was read whole:
		   only the HIJACKED bytes. */
		{ 500, 1, 500, 7, 0, 100, NULL, 0, 0 },
		/* More body than the ring holds, sent after HIJACK came: the
		   reader keeps it aside, no deadlock; HIJACKED bytes in a
		   65528-byte record and the rest. */
		{ 100, 0, 100, 0, HJ_BIG, 70000, NULL, 1, 0 },
		/* The ring is full and the reader waits for room when the
		   handler hijacks: the rest follows the ring's bytes. */
		{ HJ_BIG, 0, 10, 7, 1000, 5, NULL, 0, 1 },
		/* Big on both sides, nothing read; HIJACKED records of
		   65535 (padded) and 1 byte. */
		{ HJ_BIG, 0, 0, 0, HJ_BIG, 65536, s_edge, 1, 1 },
	};
	struct app	 a;
	struct tc_resp	 r;
	struct hj_io	 io;
	uint8_t		*body, *hj, *want;
	char		 q[128], flushed[256];
	size_t		 i, total;
	int		 fd;

	app_start(&a, h_hijack);
	fd = tc_connect(&a);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const nv[] = {
			"REQUEST_METHOD", "POST", "QUERY_STRING", q,
			FERRY_PARAM_EXTENSIONS, HJ_EXT, NULL
		};

		snprintf(q, sizeof(q), "read=%zu&rs=%zu&flush=%d&unflushed=%d",
		    cases[i].nread, cases[i].rs, cases[i].flush,
		    cases[i].unflushed);
		snprintf(flushed, sizeof(flushed), "%s",
		    cases[i].flush ? HJ_HEAD "flushed" : "");
		total = cases[i].pre + cases[i].post;
		body = hj_pattern(0, total);
		hj = hj_pattern(12345, cases[i].hjlen);
		want = malloc(total - cases[i].nread + cases[i].hjlen + 1);
		memcpy(want, body + cases[i].nread, total - cases[i].nread);
		memcpy(want + total - cases[i].nread, hj, cases[i].hjlen);
		memset(&io, 0, sizeof(io));
		io.nv = nv;
		io.pre = body;
		io.prelen = cases[i].pre;
		io.pre_end = cases[i].pre_end;
		io.post = body + cases[i].pre;
		io.postlen = cases[i].post;
		io.hj = hj;
		io.hjlen = cases[i].hjlen;
		io.split = cases[i].split;
		io.flushed = flushed;
		io.want_read = body;
		io.want_readlen = cases[i].nread;
		io.want_buf = want;
		io.want_buflen = total - cases[i].nread + cases[i].hjlen;
		hj_run(&a, fd, (uint16_t)(i + 1), &io);
		free(body);
		free(hj);
		free(want);
	}
	/* Refused, then asked again: body bytes from before the first
	   HIJACK, from while it was pending and from after the second one,
	   in order, then the HIJACKED bytes; ferry_hijack_error() is ""
	   again. */
	{
		const char *const nv[] = {
			"REQUEST_METHOD", "POST", "QUERY_STRING",
			"read=2&rs=1&retry=1",
			FERRY_PARAM_EXTENSIONS, HJ_EXT, NULL
		};

		body = hj_pattern(0, 3000);
		hj = hj_pattern(999, 20);
		want = malloc(3000 - 2 + 20);
		memcpy(want, body + 2, 3000 - 2);
		memcpy(want + 3000 - 2, hj, 20);
		memset(&io, 0, sizeof(io));
		io.nv = nv;
		io.pre = body;
		io.prelen = 1000;
		io.refuse = "busy: not now";
		io.pend = body + 1000;
		io.pendlen = 1000;
		io.post = body + 2000;
		io.postlen = 1000;
		io.hj = hj;
		io.hjlen = 20;
		io.flushed = "";
		io.want_read = body;
		io.want_readlen = 2;
		io.want_buf = want;
		io.want_buflen = 3000 - 2 + 20;
		hj_run(&a, fd, 100, &io);
		free(body);
		free(hj);
		free(want);
	}
	/* The connection serves on: a request without FERRY_EXTENSIONS. */
	tc_get(fd, 1, "", &r);
	snprintf(q, sizeof(q), "hijack=-1 errno=%d\n", EOPNOTSUPP);
	ck_assert_str_eq(tc_body(&r), q);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* Cuts "err=[TEXT]" of the line at s[0..*len) down to "err=[]", TEXT
   into text. */
static void
hj_take_err(char *s, size_t *len, char *text, size_t cap)
{
	char	*b, *e;
	size_t	 n;

	s[*len] = '\0';
	b = strstr(s, "err=[");
	ck_assert_ptr_nonnull(b);
	b += 5;
	e = strstr(b, "] ");
	ck_assert_ptr_nonnull(e);
	n = (size_t)(e - b);
	ck_assert_uint_lt(n, cap);
	memcpy(text, b, n);
	text[n] = '\0';
	memmove(b, e, *len - (size_t)(e - s) + 1);
	*len -= n;
}

/* Refused hijacks: the errno for each reason, the body still readable in
   order; no hijack offered: EOPNOTSUPP and no HIJACK record. */
START_TEST(test_hijack_refused)
{
	static const struct {
		const char	*ext;	/* FERRY_EXTENSIONS; NULL: none */
		const char	*why;	/* the refusal; NULL: no HIJACK */
		int		 err;
		size_t		 pre;	/* body before HIJACK */
		size_t		 nread;	/* read before hijacking */
		size_t		 pend;	/* body while HIJACK is pending */
		size_t		 post;	/* body after the refusal */
	} cases[] = {
		/* The client left: ENOTCONN. */
		{ HJ_EXT, FERRY_REFUSED_GONE, ENOTCONN, 3, 1, 3, 3 },
		/* Hijacked already (by the server's count): EALREADY. */
		{ HJ_EXT, FERRY_REFUSED_TWICE, EALREADY, 3, 1, 3, 3 },
		/* The response is complete: ESHUTDOWN. */
		{ HJ_EXT, FERRY_REFUSED_COMPLETE, ESHUTDOWN, 3, 0, 3, 0 },
		/* Other known reasons: ECONNREFUSED. */
		{ HJ_EXT, FERRY_REFUSED_STALE, ECONNREFUSED, 0, 0, 5, 5 },
		{ HJ_EXT, FERRY_REFUSED_SPOOLED, ECONNREFUSED, 10, 10, 0, 0 },
		/* The first word decides, whatever follows it. */
		{ HJ_EXT, "gone: the client reset the connection", ENOTCONN,
		    3, 2, 0, 3 },
		{ HJ_EXT, "complete:", ESHUTDOWN, 3, 3, 3, 3 },
		/* Unknown words, no colon, an empty reason: ECONNREFUSED. */
		{ HJ_EXT, "busy: try later", ECONNREFUSED, 3, 1, 3, 3 },
		{ HJ_EXT, "gone", ECONNREFUSED, 3, 1, 3, 3 },
		{ HJ_EXT, "GONE: upper case", ECONNREFUSED, 3, 1, 3, 3 },
		{ HJ_EXT, "", ECONNREFUSED, 3, 1, 3, 3 },
		/* More than the ring while pending and again after the
		   refusal: all of it read in order, no deadlock. */
		{ HJ_EXT, FERRY_REFUSED_GONE, ENOTCONN, 1000, 10, HJ_BIG,
		    HJ_BIG },
		/* The ring full when hijacking, more after the refusal. */
		{ HJ_EXT, FERRY_REFUSED_GONE, ENOTCONN, HJ_BIG, 7, 100,
		    HJ_BIG },
		/* No FERRY_EXTENSIONS: EOPNOTSUPP, nothing sent. */
		{ NULL, NULL, EOPNOTSUPP, 3, 1, 3, 3 },
		/* Extensions without hijack. */
		{ FERRY_EXT_CLOSE_NOTIFY, NULL, EOPNOTSUPP, 3, 1, 3, 3 },
		{ "", NULL, EOPNOTSUPP, 3, 1, 3, 3 },
		/* Words that are not "hijack": case matters, no prefixes,
		   only commas separate. */
		{ "Hijack,hijacked,hijac", NULL, EOPNOTSUPP, 3, 1, 3, 3 },
		{ "close-notify;hijack", NULL, EOPNOTSUPP, 3, 1, 3, 3 },
	};
	struct app	 a;
	struct tc_resp	 r;
	uint8_t		*body, *want;
	char		 q[64], line[256], text[256];
	size_t		 i, total, wlen, olen;
	uint16_t	 id;
	int		 fd;

	app_start(&a, h_refused);
	fd = tc_connect(&a);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *nv[] = {
			"REQUEST_METHOD", "POST", "QUERY_STRING", q,
			FERRY_PARAM_EXTENSIONS, cases[i].ext, NULL
		};

		if (cases[i].ext == NULL)
			nv[4] = NULL;
		id = (uint16_t)(i + 1);
		snprintf(q, sizeof(q), "read=%zu&rs=%d", cases[i].nread,
		    i % 2 ? 1 : 0);
		total = cases[i].pre + cases[i].pend + cases[i].post;
		body = hj_pattern(0, total);
		tc_begin(fd, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
		tc_params(fd, id, nv);
		if (cases[i].pre > 0)
			tc_stdin(fd, id, body, cases[i].pre);
		if (cases[i].why != NULL)
			tc_expect_hijack(fd, id, "");
		if (cases[i].pend > 0)
			tc_stdin(fd, id, body + cases[i].pre, cases[i].pend);
		if (cases[i].why != NULL)
			tc_record(fd, FERRY_HIJACK_REFUSED, id, cases[i].why,
			    strlen(cases[i].why));
		if (cases[i].post > 0)
			tc_stdin(fd, id, body + cases[i].pre + cases[i].pend,
			    cases[i].post);
		tc_stdin(fd, id, NULL, 0);
		/* tc_response fails on any record but STDOUT and END. */
		tc_response(fd, id, &r);
		ck_assert_uint_eq(r.app_status, 0);
		olen = r.outlen;
		hj_take_err(r.out, &olen, text, sizeof(text));
		if (cases[i].why != NULL)
			ck_assert_str_eq(text, cases[i].why);
		else
			ck_assert_msg(text[0] != '\0', "case %zu: no reason", i);
		snprintf(line, sizeof(line), HJ_HEAD "rc=-1 errno=%d err=[] "
		    "bufnull=1 len=0 hijacked=0\n", cases[i].err);
		wlen = strlen(line) + total + 8;
		want = malloc(wlen + 1);
		memcpy(want, line, strlen(line));
		memcpy(want + strlen(line), body, cases[i].nread);
		want[strlen(line) + cases[i].nread] = '|';
		memcpy(want + strlen(line) + cases[i].nread + 1,
		    body + cases[i].nread, total - cases[i].nread);
		memcpy(want + strlen(line) + total + 1, "|rc=0\n", 6);
		wlen = strlen(line) + total + 7;
		ck_assert_msg(olen == wlen && memcmp(r.out, want, wlen) == 0,
		    "case %zu: got %zu bytes \"%.*s\"...", i, olen,
		    (int)(olen < 200 ? olen : 200), r.out);
		free(want);
		free(body);
		free(r.out);
	}
	close(fd);
	app_stop(&a);
}
END_TEST

/* The server's connection closes while the handler waits for HIJACKED:
   EPIPE; the app serves the next connection. */
START_TEST(test_hijack_conn_lost)
{
	static const char *const nv[] = {
		"REQUEST_METHOD", "GET", "QUERY_STRING", "read=0",
		FERRY_PARAM_EXTENSIONS, HJ_EXT, NULL
	};
	struct app	 a;
	struct tc_resp	 r;
	char		 rep[512], want[128], text[256];
	size_t		 len;
	int		 fd;

	app_start(&a, h_hijack);
	fd = tc_connect(&a);
	tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, 1, nv);
	tc_expect_hijack(fd, 1, "");
	close(fd);
	app_report(&a, rep, sizeof(rep));
	len = strlen(rep);
	hj_take_err(rep, &len, text, sizeof(text));
	ck_assert_msg(text[0] != '\0', "no reason");
	snprintf(want, sizeof(want), "hijack=-1 errno=%d err=[] bufnull=1 "
	    "len=0 hijacked=0", EPIPE);
	ck_assert_str_eq(rep, want);
	fd = tc_connect(&a);
	tc_get(fd, 1, "", &r);
	snprintf(want, sizeof(want), "hijack=-1 errno=%d\n", EOPNOTSUPP);
	ck_assert_str_eq(tc_body(&r), want);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* After ferry_end: ESHUTDOWN, no HIJACK sent; the connection serves on. */
START_TEST(test_hijack_after_end)
{
	static const char *const nv[] = {
		"REQUEST_METHOD", "GET", FERRY_PARAM_EXTENSIONS, HJ_EXT, NULL
	};
	struct app	 a;
	struct tc_resp	 r;
	char		 rep[256], want[128];
	uint16_t	 id;
	int		 fd;

	app_start(&a, h_hijack_ended);
	fd = tc_connect(&a);
	snprintf(want, sizeof(want), "end=0 rc=-1 errno=%d bufnull=1 len=0 "
	    "err=1 hijacked=0", ESHUTDOWN);
	for (id = 1; id <= 2; id++) {
		/* A stray HIJACK would come before request 2's records. */
		tc_begin(fd, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
		tc_params(fd, id, nv);
		tc_stdin(fd, id, NULL, 0);
		tc_response(fd, id, &r);
		ck_assert_str_eq(tc_body(&r), "done\n");
		free(r.out);
		app_report(&a, rep, sizeof(rep));
		ck_assert_str_eq(rep, want);
	}
	close(fd);
	app_stop(&a);
}
END_TEST

/* Sends raw as STDIN: one record (k 0), two cut at k, or one record per
   byte (k == len); len 0 sends no record.  Then the body's end. */
static void
tc_stdin_split(int fd, uint16_t id, const char *raw, size_t len, size_t k)
{
	size_t	 i;

	if (k == len && len > 1) {
		for (i = 0; i < len; i++)
			tc_record(fd, FCGI_STDIN, id, raw + i, 1);
	} else if (k > 0 && k < len) {
		tc_record(fd, FCGI_STDIN, id, raw, k);
		tc_record(fd, FCGI_STDIN, id, raw + k, len - k);
	} else if (len > 0)
		tc_record(fd, FCGI_STDIN, id, raw, len);
	tc_record(fd, FCGI_STDIN, id, NULL, 0);
}

/* Checks h_chunked's answer: "rc=R errno=E cl=-1\n" and the data. */
static void
chunked_check(struct tc_resp *r, int err, const char *want, size_t wlen,
    const char *what)
{
	char	 line[64];
	char	*b = tc_body(r);
	size_t	 blen = r->outlen - (size_t)(b - r->out), llen;

	snprintf(line, sizeof(line), "rc=%d errno=%d cl=-1\n",
	    err == 0 ? 0 : -1, err);
	llen = strlen(line);
	ck_assert_msg(blen == llen + wlen && memcmp(b, line, llen) == 0 &&
	    memcmp(b + llen, want, wlen) == 0,
	    "%s: got \"%.*s\", want \"%s%.*s\"", what, (int)blen, b, line,
	    (int)wlen, want);
}

#define CHUNK_31	"0123456789abcdefghijklmnopqrstu"

/* Raw chunked bodies (FERRY_STDIN_CHUNKED=1): decoded by ferry_read
   whole, at every split point, byte by byte, with small and large reads. */
START_TEST(test_chunked_body)
{
	static const struct {
		const char	*raw;
		const char	*want;	/* the decoded body */
		int		 err;	/* ferry_read's errno at the end */
	} cases[] = {
		/* One chunk. */
		{ "5\r\nhello\r\n0\r\n\r\n", "hello", 0 },
		/* Only the last chunk: an empty body. */
		{ "0\r\n\r\n", "", 0 },
		/* Many chunks of growing size. */
		{ "1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n4\r\nghij\r\n0\r\n\r\n",
		    "abcdefghij", 0 },
		/* Extensions: names, token and quoted values, on the last
		   chunk too. */
		{ "4;name=value\r\nWiki\r\n5;a;b=\"q s\"\r\npedia\r\n"
		    "0;last\r\n\r\n", "Wikipedia", 0 },
		/* Trailer fields, skipped. */
		{ "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n",
		    "abc", 0 },
		/* Hex sizes in upper and lower case. */
		{ "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n1F\r\n" CHUNK_31
		    "\r\n1f\r\n" CHUNK_31 "\r\n0\r\n\r\n",
		    "0123456789abcdefghijk" CHUNK_31 CHUNK_31, 0 },
		/* Leading zeros, on the last chunk's size too. */
		{ "0003\r\nxyz\r\n000\r\n\r\n", "xyz", 0 },
		/* Data that looks like framing. */
		{ "7\r\n0\r\n\r\nxx\r\n2\r\n\r\n\r\n0\r\n\r\n",
		    "0\r\n\r\nxx\r\n", 0 },
		/* Bytes with the high bit set and controls in the data. */
		{ "4\r\n\x01\xff\x7f\x80\r\n0\r\n\r\n", "\x01\xff\x7f\x80", 0 },
		/* Malformed: not a hex digit; what came before is read. */
		{ "g\r\nabc\r\n0\r\n\r\n", "", EBADMSG },
		{ "3\r\nabc\r\nz\r\n0\r\n\r\n", "abc", EBADMSG },
		/* Malformed: data longer than its size. */
		{ "3\r\nabcX\r\n0\r\n\r\n", "abc", EBADMSG },
		/* Malformed: whitespace, sign, 0x prefix, empty size. */
		{ "3 \r\nabc\r\n0\r\n\r\n", "", EBADMSG },
		{ "+3\r\nabc\r\n0\r\n\r\n", "", EBADMSG },
		{ "0x3\r\nabc\r\n0\r\n\r\n", "", EBADMSG },
		{ "\r\nabc\r\n0\r\n\r\n", "", EBADMSG },
		/* Malformed: a bare LF. */
		{ "3\nabc\r\n0\r\n\r\n", "", EBADMSG },
		/* Malformed: a size over 64 bits. */
		{ "1ffffffffffffffff\r\na\r\n0\r\n\r\n", "", EBADMSG },
		/* Malformed: an obs-fold trailer line. */
		{ "1\r\na\r\n0\r\nA: b\r\n c\r\n\r\n", "a", EBADMSG },
		/* Malformed: a space in an extension (no BWS). */
		{ "1 ;x\r\na\r\n0\r\n\r\n", "", EBADMSG },
		/* STDIN ends inside the data, after it, in the last chunk's
		   line, in the trailers: EPIPE after the data. */
		{ "5\r\nhel", "hel", EPIPE },
		{ "5\r\nhello\r\n", "hello", EPIPE },
		{ "5\r\nhello\r\n0\r\n", "hello", EPIPE },
		{ "5\r\nhello\r\n0\r\nX: y\r\n", "hello", EPIPE },
		/* No byte at all. */
		{ "", "", EPIPE },
	};
	static const size_t	 rss[] = { 1, 3, 7, 65536 };
	struct app	 a;
	struct tc_resp	 r;
	char		 q[32], what[96];
	size_t		 i, j, k, len;
	int		 fd;

	app_start(&a, h_chunked);
	fd = tc_connect(&a);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].raw);
		for (k = 0; k <= len; k++) {
			for (j = 0; j < sizeof(rss) / sizeof(rss[0]); j++) {
				/* Whole and byte by byte with every read
				   size, two-way splits with one of them in
				   turn (all of them would take too long on a
				   loaded machine). */
				if (k > 0 && k < len && j != (k + i) %
				    (sizeof(rss) / sizeof(rss[0])))
					continue;
				const char *const nv[] = {
					"REQUEST_METHOD", "POST",
					"QUERY_STRING", q,
					FERRY_PARAM_EXTENSIONS, HJ_EXT,
					FERRY_PARAM_CHUNKED, "1", NULL
				};

				snprintf(q, sizeof(q), "rs=%zu", rss[j]);
				snprintf(what, sizeof(what),
				    "case %zu split %zu/%zu rs %zu", i, k, len,
				    rss[j]);
				tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
				tc_params(fd, 1, nv);
				tc_stdin_split(fd, 1, cases[i].raw, len, k);
				tc_response(fd, 1, &r);
				chunked_check(&r, cases[i].err, cases[i].want,
				    strlen(cases[i].want), what);
				free(r.out);
			}
		}
	}
	close(fd);
	app_stop(&a);
}
END_TEST

/* A chunked body larger than the ring (it wraps), and a body that is not
   marked raw chunked (FERRY_STDIN_CHUNKED other than "1"): passed as is. */
START_TEST(test_chunked_big)
{
	static const size_t	 rss[] = { 7, 4096, 65536 };
	static const char	 head[] = "4B000;big\r\n";	/* 307200 */
	static const char	 tail[] = "\r\n10\r\n0123456789abcdef\r\n"
	    "0\r\nX: y\r\n\r\n";
	struct app	 a;
	struct tc_resp	 r;
	uint8_t		*data, *raw, *want;
	char		 q[32];
	size_t		 j, rawlen, hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	int		 fd;

	data = hj_pattern(0, HJ_BIG);
	rawlen = hl + HJ_BIG + tl;
	raw = malloc(rawlen);
	memcpy(raw, head, hl);
	memcpy(raw + hl, data, HJ_BIG);
	memcpy(raw + hl + HJ_BIG, tail, tl);
	want = malloc(HJ_BIG + 16);
	memcpy(want, data, HJ_BIG);
	memcpy(want + HJ_BIG, "0123456789abcdef", 16);
	app_start(&a, h_chunked);
	fd = tc_connect(&a);
	for (j = 0; j < sizeof(rss) / sizeof(rss[0]); j++) {
		const char *const nv[] = {
			"REQUEST_METHOD", "POST", "QUERY_STRING", q,
			FERRY_PARAM_CHUNKED, "1", NULL
		};

		snprintf(q, sizeof(q), "rs=%zu", rss[j]);
		tc_begin(fd, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
		tc_params(fd, 1, nv);
		tc_stdin(fd, 1, raw, rawlen);
		tc_stdin(fd, 1, NULL, 0);
		tc_response(fd, 1, &r);
		chunked_check(&r, 0, (const char *)want, HJ_BIG + 16, q);
		free(r.out);
	}
	/* "0" (and anything but "1") leaves the body alone. */
	{
		static const char *const nv[] = {
			"REQUEST_METHOD", "POST", FERRY_PARAM_CHUNKED, "0",
			"CONTENT_LENGTH", "15", NULL
		};
		struct tc_resp	 r2;

		tc_begin(fd, 2, FCGI_RESPONDER, FCGI_KEEP_CONN);
		tc_params(fd, 2, nv);
		tc_stdin(fd, 2, "5\r\nhello\r\n0\r\n\r\n", 15);
		tc_stdin(fd, 2, NULL, 0);
		tc_response(fd, 2, &r2);
		ck_assert_str_eq(tc_body(&r2),
		    "rc=0 errno=0 cl=15\n5\r\nhello\r\n0\r\n\r\n");
		free(r2.out);
	}
	close(fd);
	app_stop(&a);
	free(data);
	free(raw);
	free(want);
}
END_TEST

/* Hijack in the middle of a raw chunked body: *buf holds the bytes not
   decoded yet, chunk framing included, then the HIJACKED bytes. */
START_TEST(test_chunked_hijack)
{
	static const size_t	 s_small[] = { 5, 7, 100, 0 };
	static const char	 A[] = "5\r\nhello\r\n0\r\n\r\n";
	static const char	 B[] = "3;x=y\r\nabc\r\n4\r\ndefg\r\n0\r\n"
	    "T: v\r\n\r\n";
	static const char	 next[] = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
	static const struct {
		const char	*raw;
		size_t		 pre;	/* raw bytes before HIJACK; the rest
					   after it */
		int		 pre_end;	/* all of it, and STDIN's end */
		size_t		 nread;	/* data bytes read first */
		size_t		 rs;	/* ... this many at a time */
		const char	*want_read;
		const char	*want_rest;	/* raw bytes in *buf */
	} cases[] = {
		/* Nothing read: the whole raw body. */
		{ A, 15, 0, 0, 0, "", A },
		/* Inside the data. */
		{ A, 15, 0, 3, 0, "hel", "lo\r\n0\r\n\r\n" },
		/* At the end of the data: its CRLF and the last chunk. */
		{ A, 15, 0, 5, 1, "hello", "\r\n0\r\n\r\n" },
		/* Into the second chunk, 7 then 1 at a time. */
		{ B, 32, 0, 4, 7, "abcd", "efg\r\n0\r\nT: v\r\n\r\n" },
		/* Byte by byte through both chunks. */
		{ B, 32, 0, 7, 1, "abcdefg", "\r\n0\r\nT: v\r\n\r\n" },
		/* The first chunk and its CRLF came before HIJACK, the rest
		   after it. */
		{ B, 12, 0, 3, 3, "abc", "\r\n4\r\ndefg\r\n0\r\nT: v\r\n\r\n" },
		/* Cut inside the first chunk's data. */
		{ B, 9, 0, 2, 0, "ab", "c\r\n4\r\ndefg\r\n0\r\nT: v\r\n\r\n" },
		/* Cut inside the next size line. */
		{ B, 14, 0, 3, 0, "abc", "\r\n4\r\ndefg\r\n0\r\nT: v\r\n\r\n" },
		/* The body read to its end (ferry_read 0): only the
		   HIJACKED bytes. */
		{ B, 32, 1, 100, 0, "abcdefg", "" },
	};
	struct app	 a;
	struct hj_io	 io;
	struct tc_resp	 r;
	uint8_t		*want, *big, *data;
	char		 q[128];
	size_t		 i, rawlen, rlen, nl = sizeof(next) - 1;
	int		 fd;

	app_start(&a, h_hijack);
	fd = tc_connect(&a);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const nv[] = {
			"REQUEST_METHOD", "POST", "QUERY_STRING", q,
			FERRY_PARAM_EXTENSIONS, HJ_EXT,
			FERRY_PARAM_CHUNKED, "1", NULL
		};

		rawlen = strlen(cases[i].raw);
		ck_assert_uint_eq(strlen(A), 15);
		ck_assert_uint_eq(strlen(B), 32);
		snprintf(q, sizeof(q), "read=%zu&rs=%zu", cases[i].nread,
		    cases[i].rs);
		rlen = strlen(cases[i].want_rest);
		want = malloc(rlen + nl);
		memcpy(want, cases[i].want_rest, rlen);
		memcpy(want + rlen, next, nl);
		memset(&io, 0, sizeof(io));
		io.nv = nv;
		io.pre = (const uint8_t *)cases[i].raw;
		io.prelen = cases[i].pre;
		io.pre_end = cases[i].pre_end;
		io.post = (const uint8_t *)cases[i].raw + cases[i].pre;
		io.postlen = rawlen - cases[i].pre;
		io.hj = (const uint8_t *)next;
		io.hjlen = nl;
		io.split = s_small;
		io.flushed = "";
		io.want_read = (const uint8_t *)cases[i].want_read;
		io.want_readlen = strlen(cases[i].want_read);
		io.want_buf = want;
		io.want_buflen = rlen + nl;
		hj_run(&a, fd, (uint16_t)(i + 1), &io);
		free(want);
	}

	/* Bigger than the ring, which is full when the handler hijacks
	   after 10 bytes of data. */
	{
		static const char *const nv[] = {
			"REQUEST_METHOD", "POST", "QUERY_STRING", "read=10&rs=7",
			FERRY_PARAM_EXTENSIONS, HJ_EXT,
			FERRY_PARAM_CHUNKED, "1", NULL
		};
		static const char	 head[] = "4B000\r\n";
		static const char	 tail[] = "\r\n0\r\n\r\n";
		size_t			 hl = 7, tl = 7;

		data = hj_pattern(0, HJ_BIG);
		rawlen = hl + HJ_BIG + tl;
		big = malloc(rawlen + nl);
		memcpy(big, head, hl);
		memcpy(big + hl, data, HJ_BIG);
		memcpy(big + hl + HJ_BIG, tail, tl);
		memcpy(big + rawlen, next, nl);
		memset(&io, 0, sizeof(io));
		io.nv = nv;
		io.pre = big;
		io.prelen = rawlen;
		io.hj = (const uint8_t *)next;
		io.hjlen = nl;
		io.flushed = "";
		io.want_read = data;
		io.want_readlen = 10;
		io.want_buf = big + hl + 10;
		io.want_buflen = rawlen - hl - 10 + nl;
		hj_run(&a, fd, 77, &io);
		free(big);
		free(data);
	}
	/* The connection serves on. */
	tc_get(fd, 1, "", &r);
	snprintf(q, sizeof(q), "hijack=-1 errno=%d\n", EOPNOTSUPP);
	ck_assert_str_eq(tc_body(&r), q);
	free(r.out);
	close(fd);
	app_stop(&a);
}
END_TEST

/* ---- The window: STDIN flow control, the app side ---- */

#define WIN_STEP	(64 * 1024)	/* libferry acknowledges at least this */

/* What a server that keeps a window saw of one request. */
struct tc_win {
	uint32_t	 window;
	size_t		 sent, acked;
	size_t		 min_ack, max_ack;	/* acknowledgements */
	int		 nacks;
	int		 ended;		/* END_REQUEST came */
	int		 end_sent;	/* the empty STDIN went */
	int		 gone;		/* CLOSE_NOTIFY(GONE) after it (set
					   by the caller) */
	int		 pipelined;	/* CLOSE_NOTIFY(PIPELINED) once the
					   window is full (set by the caller) */
	struct tc_resp	 r;
};

/* Asks GET_VALUES for the window: "window" must be announced, with a
   FERRY_STDIN_WINDOW; returns it. */
static uint32_t
tc_window_size(int fd)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN], q[128];
	struct fcgi_header	 h;
	const char		*v;
	size_t			 qlen, vlen;
	uint32_t		 w;

	qlen = fcgi_nv_encode(q, sizeof(q), FERRY_EXTENSIONS,
	    strlen(FERRY_EXTENSIONS), "", 0);
	qlen += fcgi_nv_encode(q + qlen, sizeof(q) - qlen, FERRY_STDIN_WINDOW,
	    strlen(FERRY_STDIN_WINDOW), "", 0);
	tc_record(fd, FCGI_GET_VALUES, 0, q, qlen);
	ck_assert_int_eq(tc_read_record(fd, &h, content), 1);
	ck_assert_int_eq(h.type, FCGI_GET_VALUES_RESULT);
	ck_assert_int_eq(fcgi_get_values_find(content, h.content_length,
	    FERRY_EXTENSIONS, &v, &vlen), 1);
	ck_assert(fcgi_list_has(v, vlen, FERRY_EXT_WINDOW));
	ck_assert_int_eq(fcgi_get_values_find(content, h.content_length,
	    FERRY_STDIN_WINDOW, &v, &vlen), 1);
	w = fcgi_window_parse(v, vlen);
	ck_assert_uint_gt(w, WIN_STEP);
	return w;
}

/* One record from the app while a windowed request runs: WINDOW (never
   more than was sent and not acknowledged, never after END_REQUEST),
   STDOUT, or END_REQUEST. */
static void
tc_window_record(int fd, uint16_t id, struct tc_win *w)
{
	uint8_t			 content[FCGI_RECORD_MAX_LEN];
	struct fcgi_header	 h;
	uint32_t		 n;

	ck_assert_msg(tc_read_record(fd, &h, content) == 1,
	    "EOF before END_REQUEST");
	ck_assert_uint_eq(h.request_id, id);
	switch (h.type) {
	case FERRY_WINDOW:
		ck_assert(!w->ended);
		ck_assert_int_eq(fcgi_window_decode(content, h.content_length,
		    &n), 0);
		ck_assert_uint_le(n, w->sent - w->acked);
		w->acked += n;
		if (w->nacks++ == 0 || n < w->min_ack)
			w->min_ack = n;
		if (n > w->max_ack)
			w->max_ack = n;
		break;
	case FCGI_STDOUT:
		ck_assert_uint_le(w->r.outlen + h.content_length, TC_MAX_OUT);
		memcpy(w->r.out + w->r.outlen, content, h.content_length);
		w->r.outlen += h.content_length;
		w->r.out[w->r.outlen] = '\0';
		break;
	case FCGI_END_REQUEST:
		w->ended = 1;
		break;
	default:
		ck_abort_msg("unexpected record type %d", h.type);
	}
}

/*
 * A POST of body[0..n) to request id as a server that keeps the window
 * (offered in FERRY_EXTENSIONS, with more params in nv): STDIN in records
 * of varied sizes while sent - acknowledged stays within w->window, the
 * app's records read in between, then to END_REQUEST (GONE after the end
 * of STDIN when w->gone, PIPELINED at the first full window when
 * w->pipelined).  A body that the app stops taking (it ended first) is
 * not sent whole.
 */
static void
tc_window_post(int fd, uint16_t id, const char *const *nv, const void *body,
    size_t n, struct tc_win *w)
{
	static const size_t	 sizes[] = { 1, 100, FCGI_MAX_LENGTH, 7, 4096 };
	const char		*all[16];
	const uint8_t		*b = body;
	size_t			 k, i = 0;

	w->sent = w->acked = w->min_ack = w->max_ack = 0;
	w->nacks = w->ended = w->end_sent = 0;
	memset(&w->r, 0, sizeof(w->r));
	w->r.out = malloc(TC_MAX_OUT + 1);
	ck_assert_ptr_nonnull(w->r.out);
	w->r.out[0] = '\0';
	for (k = 0; nv[k] != NULL; k++) {
		ck_assert_uint_lt(k, 12);
		all[k] = nv[k];
	}
	all[k++] = FERRY_PARAM_EXTENSIONS;
	all[k++] = FERRY_EXT_CLOSE_NOTIFY "," FERRY_EXT_HIJACK ","
	    FERRY_EXT_WINDOW;
	all[k] = NULL;
	tc_begin(fd, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
	tc_params(fd, id, all);
	while (!w->ended) {
		while (w->sent < n && w->sent - w->acked < w->window) {
			k = sizes[i++ % 5];
			if (k > n - w->sent)
				k = n - w->sent;
			if (k > w->window - (w->sent - w->acked))
				k = w->window - (w->sent - w->acked);
			tc_record(fd, FCGI_STDIN, id, b + w->sent, k);
			w->sent += k;
		}
		if (w->pipelined && w->sent - w->acked == w->window) {
			tc_notify(fd, id, FERRY_REASON_PIPELINED);
			w->pipelined = 0;
		}
		if (w->sent == n && !w->end_sent) {
			tc_record(fd, FCGI_STDIN, id, NULL, 0);
			if (w->gone)
				tc_notify(fd, id, FERRY_REASON_GONE);
			w->end_sent = 1;
		}
		tc_window_record(fd, id, w);
	}
}

static const char *const POST_NV[] = { "REQUEST_METHOD", "POST", NULL };

/* Starts an app serving with h, connects, and asks for its window into a
   zeroed *w.  Returns the connection. */
static int
tc_window_start(struct app *a, ferry_handler_fn h, struct tc_win *w)
{
	int	 fd;

	app_start(a, h);
	fd = tc_connect(a);
	memset(w, 0, sizeof(*w));
	w->window = tc_window_size(fd);
	return fd;
}

/* A body of three windows and some, read in pieces: every byte arrives,
   the app acknowledges a quarter window or more at a time (and enough
   for the body to go whole), and the connection serves on. */
START_TEST(test_window_read)
{
	struct app	 a;
	struct tc_win	 w;
	struct tc_resp	 r;
	uint8_t		*body;
	size_t		 n, i;
	unsigned	 sum = 0;
	char		 want[128];
	int		 fd;

	fd = tc_window_start(&a, h_sum, &w);
	n = 3 * (size_t)w.window + 12345;
	body = malloc(n);
	for (i = 0; i < n; i++) {
		body[i] = (uint8_t)(i * 13 + i / 509);
		sum = sum * 31 + body[i];
	}
	tc_window_post(fd, 1, POST_NV, body, n, &w);
	snprintf(want, sizeof(want), "n=%zu sum=%u rc=0 cl=-1\n", n, sum);
	ck_assert_str_eq(tc_body(&w.r), want);
	ck_assert_uint_eq(w.sent, n);
	ck_assert_int_ge(w.nacks, 3);
	ck_assert_uint_ge(w.min_ack, WIN_STEP);
	free(w.r.out);
	/* No acknowledgement of request 1 follows its END_REQUEST. */
	tc_get(fd, 2, "", &r);
	ck_assert_str_eq(tc_body(&r), "n=0 sum=0 rc=0 cl=-1\n");
	free(r.out);
	close(fd);
	free(body);
	app_stop(&a);
}
END_TEST

/* A raw chunked body of small chunks read 7 bytes at a time: the framing
   the app consumes counts too, or the window would run dry. */
START_TEST(test_window_chunked)
{
	static const char *const nv[] = {
		"REQUEST_METHOD", "POST", "QUERY_STRING", "rs=7",
		FERRY_PARAM_CHUNKED, "1", NULL
	};
	struct app	 a;
	struct tc_win	 w;
	uint8_t		*raw, *want;
	size_t		 i, len = 0, wlen = 0, nchunks = 30000;
	int		 fd;

	raw = malloc(nchunks * 22 + 5);
	want = malloc(nchunks * 16);
	for (i = 0; i < nchunks; i++) {
		memcpy(raw + len, "10\r\n", 4);
		memset(raw + len + 4, 'a' + (int)(i % 26), 16);
		memcpy(raw + len + 20, "\r\n", 2);
		memset(want + wlen, 'a' + (int)(i % 26), 16);
		len += 22;
		wlen += 16;
	}
	memcpy(raw + len, "0\r\n\r\n", 5);
	len += 5;
	fd = tc_window_start(&a, h_chunked, &w);
	ck_assert_uint_gt(len, 2 * (size_t)w.window);
	tc_window_post(fd, 1, nv, raw, len, &w);
	chunked_check(&w.r, 0, (const char *)want, wlen, "small chunks");
	ck_assert_uint_eq(w.sent, len);
	free(w.r.out);
	close(fd);
	free(raw);
	free(want);
	app_stop(&a);
}
END_TEST

/* A handler that discards its body and waits for GONE: the library's
   reader drops four windows as they come and acknowledges them, the end
   of STDIN and then the GONE behind it are seen. */
START_TEST(test_window_discard)
{
	struct app	 a;
	struct tc_win	 w;
	uint8_t		*body;
	size_t		 n;
	int		 fd;

	fd = tc_window_start(&a, h_discard, &w);
	n = 4 * (size_t)w.window;
	body = calloc(1, n);
	w.gone = 1;	/* the handler answers once GONE came */
	tc_window_post(fd, 1, POST_NV, body, n, &w);
	ck_assert_str_eq(tc_body(&w.r), "waiting\nr=1 read=0\n");
	ck_assert_uint_eq(w.sent, n);
	ck_assert_uint_ge(w.min_ack, WIN_STEP);
	free(w.r.out);
	close(fd);
	free(body);
	app_stop(&a);
}
END_TEST

/*
 * A handler that reads 10 bytes of a full window and returns: ferry_end
 * drops the buffered body and acknowledges it at once, so that the rest
 * can come, and drains the rest.  A rest within the drain keeps the
 * connection; a longer one ends it after END_REQUEST, with no
 * acknowledgement after that.
 */
START_TEST(test_window_drain)
{
	static const char *const nv[] = {
		"REQUEST_METHOD", "POST", "WAIT", "1", NULL
	};
	struct app	 a;
	struct tc_win	 w;
	struct tc_resp	 r;
	uint8_t		*body;
	size_t		 n;
	int		 fd;

	fd = tc_window_start(&a, h_read_some, &w);
	n = (size_t)w.window + w.window / 2;
	body = calloc(1, 8 * (size_t)w.window);
	w.pipelined = 1;
	tc_window_post(fd, 1, nv, body, n, &w);
	ck_assert_str_eq(tc_body(&w.r), "got 10\n");
	ck_assert_uint_eq(w.sent, n);
	/* The window less the 10 bytes read, and those: at once. */
	ck_assert_uint_eq(w.max_ack, w.window);
	free(w.r.out);
	tc_get(fd, 2, "", &r);
	ck_assert_str_eq(tc_body(&r), "got 0\n");
	free(r.out);
	/* Eight windows: more than the drain takes. */
	w.pipelined = 1;
	tc_window_post(fd, 3, nv, body, 8 * (size_t)w.window, &w);
	ck_assert_str_eq(tc_body(&w.r), "got 10\n");
	ck_assert_uint_lt(w.sent, 8 * (size_t)w.window);
	free(w.r.out);
	ck_assert(tc_eof(fd));
	close(fd);
	free(body);
	app_stop(&a);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ferry");
	TCase	*tc = tcase_create("ferry");
	SRunner	*sr;
	int	 failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_get_params);
	tcase_add_test(tc, test_post_body);
	tcase_add_test(tc, test_early_stop_keep_conn);
	tcase_add_test(tc, test_early_stop_big);
	tcase_add_test(tc, test_streaming);
	tcase_add_test(tc, test_status_headers);
	tcase_add_test(tc, test_get_values);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_unknown_role);
	tcase_add_test(tc, test_no_multiplexing);
	tcase_add_test(tc, test_notify_gone);
	tcase_add_test(tc, test_notify_pipelined);
	tcase_add_test(tc, test_notify_old_id);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_abort_early);
	tcase_add_test(tc, test_after_end);
	tcase_add_test(tc, test_conn_lost);
	tcase_add_test(tc, test_discard);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_accept_api);
	tcase_add_test(tc, test_retire);
	tcase_add_test(tc, test_not_a_socket);
	tcase_add_test(tc, test_listen_addr);
	tcase_add_test(tc, test_listen_option);
	tcase_add_test(tc, test_hijack);
	tcase_add_test(tc, test_hijack_refused);
	tcase_add_test(tc, test_hijack_conn_lost);
	tcase_add_test(tc, test_hijack_after_end);
	tcase_add_test(tc, test_chunked_body);
	tcase_add_test(tc, test_chunked_big);
	tcase_add_test(tc, test_chunked_hijack);
	tcase_add_test(tc, test_window_read);
	tcase_add_test(tc, test_window_chunked);
	tcase_add_test(tc, test_window_discard);
	tcase_add_test(tc, test_window_drain);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
