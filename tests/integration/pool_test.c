/*
 * Black-box integration tests of ferryd's FastCGI pools (issue 4), written
 * from doc/ARCHITECTURE.md ("The channel to a pool worker"): a real
 * ferryd running real FastCGI programs as workers, the libfcgi apps of
 * tests/fcgi-apps (built by make check), php-cgi and fcgiwrap.
 *
 * Most tests run tests/fcgi-apps/responder, whose QUERY_STRING commands
 * (see its header) make a worker sleep, crash, exit, hang, list its fds or
 * stream a big body; "pid" makes it say which worker answered, so the
 * tests watch the pool's workers come and go through their pids rather
 * than through timing.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define MiB		(1024 * 1024)
#define MAX_PIDS	16
#define MAX_LISTING	64

/*
 * Growth of the master's VmRSS allowed while a big body goes through it.
 * A master that held the whole 20 MiB request body or 50 MiB response
 * would grow by about that much; a streaming one grows by its buffers
 * only (under 1 MiB when these tests were written, ASan build).
 */
#define RSS_GROWTH_MAX_KIB	(8 * 1024)

/* An RSS sampler: a child process polling the master's VmRSS. */
struct sampler {
	pid_t	pid;
	int	stop;		/* write end: closing it stops the child */
	int	result;		/* read end: the peak in KiB */
};

/* One line of the responder's fds listing. */
struct fdline {
	int	 fd;
	char	 target[256];
	char	 sock[256];	/* "" when not a Unix socket */
	char	 peer[256];
	int	 unix_sock;
	int	 inet;
	int	 listening;
};

static const char *apps_dir(void);
static void	 start_app(struct ferryd *f, const char *program,
		    const char *settings);
static void	 start_app_server(struct ferryd *f, const char *program,
		    const char *server, const char *settings);
static pid_t	 leave_during(struct ferryd *f, const char *target, int ms);
static pid_t	 resp_pid(const struct ferryd *f, const struct hc_response *r);
static pid_t	 get_pid(struct ferryd *f);
static pid_t	 get_pid_on(struct ferryd *f, struct hc *c);
static void	 expect_status(const struct ferryd *f,
		    const struct hc_response *r, int status);
static int	 parse_num(const char *s, size_t len, unsigned long long max,
		    unsigned long long *out);
static int	 distinct(const pid_t *pids, size_t n);
static size_t	 workers_of(const struct ferryd *f, pid_t *pids, size_t max);
static void	 sampler_start(struct sampler *s, pid_t target);
static long	 sampler_stop(struct sampler *s);
static uint64_t	 fnv1a(const void *data, size_t len);
static size_t	 parse_listing(const char *body, struct fdline *lines,
		    size_t max);
static const char *worker_path(const struct ferryd *f,
		    const struct hc_response *r, char *out, size_t outlen);
static void	 check_listing(const struct ferryd *f,
		    const struct hc_response *r, const char *own);
static void	 concurrent(struct ferryd *f, const char *target, size_t n,
		    struct hc_response *rs);
static int	 php_missing(void);
static int	 ids_root(const char *test);
static int	 ids_reachable(const char *path);
static char	*ids_dir(const char *test, mode_t mode);
static void	 ids_rmdir(char *dir);
static void	 ids_copy(const char *src, const char *dst);
static int	 ids_run_ferryd(const char *conf_path, const char *listen,
		    int as_nobody, char *out, size_t outlen);
static Suite	*pool_suite(void);

/* ---- helpers ---- */

static const char *
apps_dir(void)
{
	return harness_env_path("FERRY_TEST_FCGI_APPS");
}

/*
 * Starts ferryd with one FastCGI app "resp" at prefix /r running
 * tests/fcgi-apps/PROGRAM, with more settings lines for its section, and
 * a short kill_grace.  Returns once a first request was answered, so that
 * the pool's workers are up.
 */
static void
start_app(struct ferryd *f, const char *program, const char *settings)
{
	start_app_server(f, program, "kill_grace = 0.5\nlog_level = debug\n",
	    settings);
}

/* start_app with server as the [server] section's lines. */
static void
start_app_server(struct ferryd *f, const char *program, const char *server,
    const char *settings)
{
	char		 conf[4096];
	struct hc_response r;

	snprintf(conf, sizeof(conf),
	    "[server]\n"
	    "%s"
	    "[app resp]\n"
	    "type = fastcgi\n"
	    "prefix = /r\n"
	    "command = %s/%s\n"
	    "%s", server, apps_dir(), program,
	    settings != NULL ? settings : "");
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
	if (strcmp(program, "responder") == 0) {
		hc_get(f, "/r?pid", &r);
		expect_status(f, &r, 200);
		hc_response_free(&r);
	}
}

/* The client of a GET of target leaves after ms: returns the pid of the
   (only) worker, which was serving it. */
static pid_t
leave_during(struct ferryd *f, const char *target, int ms)
{
	struct hc	c;
	pid_t		pid = get_pid(f);

	hc_open(&c, f);
	hc_send_get(&c, target);
	harness_sleep_ms(ms);
	hc_close(&c);
	return pid;
}

static void
expect_status(const struct ferryd *f, const struct hc_response *r,
    int status)
{
	HARNESS_ASSERT(f, r->status == status, "status %d, want %d; body: "
	    "\"%.300s\"", r->status, status, r->body != NULL ? r->body : "");
}

/* Digits only, at most max. */
static int
parse_num(const char *s, size_t len, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long	v = 0;
	size_t			i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (unsigned long long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The worker pid from the responder's X-Pid field; fails without one. */
static pid_t
resp_pid(const struct ferryd *f, const struct hc_response *r)
{
	const char		*v = hc_header(r, "X-Pid");
	unsigned long long	 pid;

	HARNESS_ASSERT(f, v != NULL && parse_num(v, strlen(v), 4194304,
	    &pid) == 0 && pid > 1, "status %d without a usable X-Pid (%s); "
	    "body: \"%.300s\"", r->status, v != NULL ? v : "none",
	    r->body != NULL ? r->body : "");
	return (pid_t)pid;
}

/* The pid of the worker that answers "pid" on a fresh connection. */
static pid_t
get_pid(struct ferryd *f)
{
	struct hc_response	r;
	pid_t			pid;

	hc_get(f, "/r?pid", &r);
	expect_status(f, &r, 200);
	pid = resp_pid(f, &r);
	hc_response_free(&r);
	return pid;
}

/* The same on an open keep-alive connection. */
static pid_t
get_pid_on(struct ferryd *f, struct hc *c)
{
	struct hc_response	r;
	pid_t			pid;

	hc_send_get(c, "/r?pid");
	hc_expect_response(c, &r, 0);
	expect_status(f, &r, 200);
	pid = resp_pid(f, &r);
	hc_response_free(&r);
	return pid;
}

static int
distinct(const pid_t *pids, size_t n)
{
	size_t	i, j;
	int	count = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (pids[j] == pids[i])
				break;
		if (j == i)
			count++;
	}
	return count;
}

/* The live (not zombie) child processes of ferryd: its workers. */
static size_t
workers_of(const struct ferryd *f, pid_t *pids, size_t max)
{
	DIR			*d;
	struct dirent		*de;
	char			 path[300], *s, *p;
	unsigned long long	 pid, ppid;
	size_t			 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (parse_num(de->d_name, strlen(de->d_name), 4194304,
		    &pid) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((s = harness_read_file(path, NULL)) == NULL)
			continue;
		/* After the ")" of the name: " STATE PPID ". */
		if ((p = strrchr(s, ')')) != NULL && p[1] == ' ' &&
		    p[2] != '\0' && p[2] != 'Z' && p[3] == ' ') {
			p += 4;
			if (parse_num(p, strcspn(p, " "), 4194304,
			    &ppid) == 0 && (pid_t)ppid == f->pid && n < max)
				pids[n++] = (pid_t)pid;
		}
		free(s);
	}
	closedir(d);
	return n;
}

/* Starts a child that samples target's VmRSS every 20 ms. */
static void
sampler_start(struct sampler *s, pid_t target)
{
	int		stop[2], result[2];
	long		peak = -1, v;
	struct pollfd	pfd;

	if (pipe(stop) == -1 || pipe(result) == -1)
		ck_abort_msg("pipe: %s", strerror(errno));
	if ((s->pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (s->pid == 0) {
		close(stop[1]);
		close(result[0]);
		pfd.fd = stop[0];
		pfd.events = POLLIN;
		do {
			if ((v = harness_rss_kib(target)) > peak)
				peak = v;
		} while (poll(&pfd, 1, 20) == 0);
		if (write(result[1], &peak, sizeof(peak)) != sizeof(peak))
			_exit(1);
		_exit(0);
	}
	close(stop[0]);
	close(result[1]);
	s->stop = stop[1];
	s->result = result[0];
}

/* Stops the sampler; returns the peak VmRSS it saw in KiB (-1: none). */
static long
sampler_stop(struct sampler *s)
{
	long	peak = -1;

	close(s->stop);
	if (read(s->result, &peak, sizeof(peak)) != sizeof(peak))
		peak = -1;
	close(s->result);
	waitpid(s->pid, NULL, 0);
	return peak;
}

/* 64-bit FNV-1a, as tests/fcgi-apps/exact_cl computes it. */
static uint64_t
fnv1a(const void *data, size_t len)
{
	const unsigned char	*p = data;
	uint64_t		 h = 0xcbf29ce484222325ULL;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Parses the responder's "fds" lines (others are skipped). */
static size_t
parse_listing(const char *body, struct fdline *lines, size_t max)
{
	const char		*p = body, *e, *w, *we;
	unsigned long long	 fd;
	struct fdline		*l;
	size_t			 n = 0, wl;
	char			 word[256];

	for (; p != NULL && *p != '\0' && n < max; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (strncmp(p, "fd ", 3) != 0)
			continue;
		w = p + 3;
		we = w + strcspn(w, " \n");
		if (parse_num(w, (size_t)(we - w), 1 << 30, &fd) != 0)
			continue;
		l = &lines[n++];
		memset(l, 0, sizeof(*l));
		l->fd = (int)fd;
		for (w = we; w < e; w = we) {
			w += strspn(w, " ");
			we = w + strcspn(w, " \n");
			wl = (size_t)(we - w);
			if (wl == 0)
				break;
			snprintf(word, sizeof(word), "%.*s", (int)wl, w);
			if (l->target[0] == '\0')
				snprintf(l->target, sizeof(l->target), "%s",
				    word);
			else if (strcmp(word, "unix") == 0)
				l->unix_sock = 1;
			else if (strcmp(word, "inet") == 0)
				l->inet = 1;
			else if (strcmp(word, "listening") == 0)
				l->listening = 1;
			else if (strncmp(word, "sock=", 5) == 0)
				snprintf(l->sock, sizeof(l->sock), "%s",
				    word + 5);
			else if (strncmp(word, "peer=", 5) == 0)
				snprintf(l->peer, sizeof(l->peer), "%s",
				    word + 5);
		}
	}
	return n;
}

/* The path of the listening socket on a worker's fd 0, from its fds
   listing; fails the test when fd 0 is not a bound listening Unix
   socket. */
static const char *
worker_path(const struct ferryd *f, const struct hc_response *r, char *out,
    size_t outlen)
{
	struct fdline	lines[MAX_LISTING];
	size_t		n, i;

	n = parse_listing(r->body, lines, MAX_LISTING);
	for (i = 0; i < n; i++)
		if (lines[i].fd == 0)
			break;
	HARNESS_ASSERT(f, i < n && lines[i].unix_sock &&
	    lines[i].listening && lines[i].sock[0] == '/', "fd 0 of a "
	    "worker must be a listening Unix socket bound to a path; "
	    "listing:\n%s", r->body);
	snprintf(out, outlen, "%s", lines[i].sock);
	return out;
}

/*
 * A worker's fds: 0 is its listening socket (bound to own), 1 and 2 its
 * stdout and stderr (anything but a socket), and the only other fd allowed
 * is libfcgi's accepted connection (a Unix socket bound to own, not
 * listening).  Anything else leaked from the master or another worker:
 * a listening port, a client connection, another worker's socket or the
 * master's end of a channel, a pipe, a file.
 */
static void
check_listing(const struct ferryd *f, const struct hc_response *r,
    const char *own)
{
	struct fdline	lines[MAX_LISTING];
	size_t		n, i;
	int		conns = 0;

	n = parse_listing(r->body, lines, MAX_LISTING);
	HARNESS_ASSERT(f, n >= 3, "short fds listing:\n%s", r->body);
	for (i = 0; i < n; i++) {
		const struct fdline *l = &lines[i];

		HARNESS_ASSERT(f, !l->inet, "worker fd %d is an IP socket (a "
		    "listening port or client connection of the master?); "
		    "listing:\n%s", l->fd, r->body);
		if (l->fd == 0)
			continue;
		if (l->fd == 1 || l->fd == 2) {
			HARNESS_ASSERT(f, !l->unix_sock, "worker fd %d is a "
			    "socket; listing:\n%s", l->fd, r->body);
			continue;
		}
		HARNESS_ASSERT(f, l->unix_sock && !l->listening &&
		    strcmp(l->sock, own) == 0, "worker fd %d (%s sock=%s "
		    "peer=%s) is not its own FastCGI connection (own socket "
		    "%s): leaked from the master or another worker; "
		    "listing:\n%s", l->fd, l->target, l->sock, l->peer, own,
		    r->body);
		conns++;
	}
	HARNESS_ASSERT(f, conns <= 1, "%d FastCGI connections open in one "
	    "worker; listing:\n%s", conns, r->body);
}

/* Sends target on n connections at once, then reads the n responses. */
static void
concurrent(struct ferryd *f, const char *target, size_t n,
    struct hc_response *rs)
{
	struct hc	c[MAX_PIDS];
	size_t		i;

	ck_assert_uint_le(n, MAX_PIDS);
	for (i = 0; i < n; i++) {
		hc_open(&c[i], f);
		c[i].timeout_ms = 20000;
		hc_send_get(&c[i], target);
	}
	for (i = 0; i < n; i++) {
		hc_expect_response(&c[i], &rs[i], 0);
		hc_close(&c[i]);
	}
}

static int
php_missing(void)
{
	if (access("/usr/bin/php-cgi", X_OK) == 0)
		return 0;
	fprintf(stderr, "SKIP: /usr/bin/php-cgi is missing (Debian package "
	    "php-cgi; .ci/run installs it)\n");
	return 1;
}

/* ---- real programs ---- */

/* A fcgi_stdio.h app (FCGI_Accept + printf) served through --app on the
   command line, twice on one keep-alive connection. */
START_TEST(test_hello_stdio)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 app[600];
	const char		*argv[] = { "--app", app, "--workers", "2", NULL };
	int			 i;

	snprintf(app, sizeof(app), "/app=%s/hello_stdio", apps_dir());
	memset(&f, 0, sizeof(f));
	harness_start(&f, NULL, argv);
	hc_open(&c, &f);
	for (i = 0; i < 2; i++) {
		hc_send_get(&c, "/app");
		hc_expect_response(&c, &r, 0);
		expect_status(&f, &r, 200);
		HARNESS_ASSERT(&f, r.body_len == 19 &&
		    strcmp(r.body, "hello from fastcgi\n") == 0,
		    "body \"%s\"", r.body);
		HARNESS_ASSERT(&f, hc_header(&r, "Content-Type") != NULL &&
		    strcmp(hc_header(&r, "Content-Type"), "text/plain") == 0,
		    "Content-Type %s", hc_header(&r, "Content-Type"));
		hc_response_free(&r);
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A fcgiapp.h app (FCGX_Accept_r) echoes a POST body, with its
   CONTENT_LENGTH; a chunked body arrives with a CONTENT_LENGTH too. */
START_TEST(test_echo_post)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 head[256], *body;
	size_t			 len = 100000;

	start_app(&f, "echo_fcgiapp", NULL);
	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	harness_random_bytes(body, len, 4);
	hc_open(&c, &f);
	snprintf(head, sizeof(head), "POST /r HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\n\r\n", len);
	hc_sendstr(&c, head);
	hc_send(&c, body, len);
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, hc_header(&r, "X-Content-Length") != NULL &&
	    strcmp(hc_header(&r, "X-Content-Length"), "100000") == 0,
	    "X-Content-Length %s", hc_header(&r, "X-Content-Length"));
	HARNESS_ASSERT(&f, r.body_len == len && memcmp(r.body, body,
	    len) == 0, "echoed %zu bytes, sent %zu (or they differ)",
	    r.body_len, len);
	hc_response_free(&r);

	/* Chunked: collected, then passed on with CONTENT_LENGTH. */
	hc_sendstr(&c, "POST /r HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, hc_header(&r, "X-Content-Length") != NULL &&
	    strcmp(hc_header(&r, "X-Content-Length"), "12") == 0,
	    "X-Content-Length %s", hc_header(&r, "X-Content-Length"));
	HARNESS_ASSERT(&f, strcmp(r.body, "hello, world") == 0, "body "
	    "\"%s\"", r.body);
	hc_response_free(&r);
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/*
 * 1,000 keep-alive POSTs in a row to an app that reads exactly
 * CONTENT_LENGTH bytes and never the end of STDIN: every one succeeds on
 * the same connection (nginx with fastcgi_keep_conn loses about 1%).  Two
 * bodies alternate, so that an answer to the wrong request shows.
 *
 * Every body is 1 MiB (1 GiB in all: about 15 s under ASan on 2 cores),
 * far past libfcgi's 8 KiB buffer, so the end record arrives after the
 * app stopped reading.
 */
START_TEST(test_exact_cl_keepalive)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 head[256], want[2][64];
	char			*body[2];
	int			 i, b;

	start_app(&f, "exact_cl", "workers = 1\n");
	for (b = 0; b < 2; b++) {
		body[b] = malloc(MiB);
		ck_assert_ptr_nonnull(body[b]);
		harness_random_bytes(body[b], MiB, 10 + (unsigned)b);
		snprintf(want[b], sizeof(want[b]), "%d %016llx\n", MiB,
		    (unsigned long long)fnv1a(body[b], MiB));
	}
	snprintf(head, sizeof(head), "POST /r HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: %d\r\n\r\n", MiB);
	hc_open(&c, &f);
	c.timeout_ms = 30000;
	for (i = 0; i < 1000; i++) {
		b = i % 2;
		hc_sendstr(&c, head);
		hc_send(&c, body[b], MiB);
		if (hc_read_response(&c, &r, 0) != 0)
			harness_fail(&f, __FILE__, __LINE__, "POST %d of 1000: "
			    "%s", i + 1, r.error);
		HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body,
		    want[b]) == 0, "POST %d of 1000: status %d, body "
		    "\"%.200s\", want \"%s\"", i + 1, r.status, r.body,
		    want[b]);
		HARNESS_ASSERT(&f, !hc_header_has_token(&r, "Connection",
		    "close"), "POST %d of 1000 closes the connection", i + 1);
		hc_response_free(&r);
	}
	hc_close(&c);
	free(body[0]);
	free(body[1]);
	harness_stop_ok(&f);
}
END_TEST

/* ---- queueing ---- */

/* 2 workers, 4 concurrent slow requests: all answered 200 by only 2
   workers, two at a time (so the whole takes at least two sleeps). */
START_TEST(test_queue_two_workers)
{
	struct ferryd		 f;
	struct hc_response	 rs[4];
	pid_t			 pids[4];
	long long		 t0, elapsed;
	size_t			 i;

	start_app(&f, "responder", "workers = 2\n");
	t0 = harness_now_ms();
	concurrent(&f, "/r?sleep=700&pid", 4, rs);
	elapsed = harness_now_ms() - t0;
	for (i = 0; i < 4; i++) {
		expect_status(&f, &rs[i], 200);
		pids[i] = resp_pid(&f, &rs[i]);
		hc_response_free(&rs[i]);
	}
	HARNESS_ASSERT(&f, distinct(pids, 4) == 2, "4 requests on 2 workers "
	    "were answered by %d distinct pids (%d %d %d %d)",
	    distinct(pids, 4), (int)pids[0], (int)pids[1], (int)pids[2],
	    (int)pids[3]);
	HARNESS_ASSERT(&f, elapsed >= 1400, "4 requests of 700 ms on 2 "
	    "workers took only %lld ms", elapsed);
	harness_stop_ok(&f);
}
END_TEST

/* 1 worker, queue = 1: with one request running and one waiting, a third
   is answered 503 with Retry-After at once; the other two get 200. */
START_TEST(test_queue_full_503)
{
	struct ferryd		 f;
	struct hc		 c[3];
	struct hc_response	 r;
	long long		 t0;
	int			 i;

	start_app(&f, "responder", "workers = 1\nqueue = 1\n");
	for (i = 0; i < 3; i++) {
		hc_open(&c[i], &f);
		c[i].timeout_ms = 20000;
	}
	hc_send_get(&c[0], "/r?sleep=1500&pid");
	harness_sleep_ms(300);
	hc_send_get(&c[1], "/r?sleep=100&pid");
	harness_sleep_ms(300);
	t0 = harness_now_ms();
	hc_send_get(&c[2], "/r?pid");
	hc_expect_response(&c[2], &r, 0);
	expect_status(&f, &r, 503);
	HARNESS_ASSERT(&f, hc_header(&r, "Retry-After") != NULL, "a 503 "
	    "from a full queue needs Retry-After");
	HARNESS_ASSERT(&f, harness_now_ms() - t0 < 1000, "the 503 took "
	    "%lld ms: it must not wait for a worker", harness_now_ms() - t0);
	hc_response_free(&r);
	for (i = 0; i < 2; i++) {
		hc_expect_response(&c[i], &r, 0);
		expect_status(&f, &r, 200);
		hc_response_free(&r);
	}
	for (i = 0; i < 3; i++)
		hc_close(&c[i]);
	harness_stop_ok(&f);
}
END_TEST

/*
 * A request that waited in the queue is dispatched the moment the worker
 * ends the one before: ten rounds of a slow request and a queued one on
 * a single worker all get 200 from that same worker.  (A queued request
 * reaches the worker in several writes, so its empty STDIN record may
 * still be unread when the worker sends END_REQUEST; libfcgi reads it
 * right after, as the start of its next request, and the master must not
 * lose the next request to that.)
 */
START_TEST(test_queued_rounds)
{
	struct ferryd		 f;
	struct hc		 c[2];
	struct hc_response	 r;
	pid_t			 p0, p;
	int			 round, i;

	start_app(&f, "responder", "workers = 1\n");
	p0 = get_pid(&f);
	for (i = 0; i < 2; i++) {
		hc_open(&c[i], &f);
		c[i].timeout_ms = 20000;
	}
	for (round = 0; round < 10; round++) {
		hc_send_get(&c[0], "/r?sleep=200&pid");
		harness_sleep_ms(50);
		hc_send_get(&c[1], "/r?pid");
		for (i = 0; i < 2; i++) {
			hc_expect_response(&c[i], &r, 0);
			HARNESS_ASSERT(&f, r.status == 200, "round %d, %s "
			    "request: status %d, body \"%.200s\"", round,
			    i == 0 ? "running" : "queued", r.status, r.body);
			p = resp_pid(&f, &r);
			HARNESS_ASSERT(&f, p == p0, "round %d: worker %d "
			    "replaced by %d", round, (int)p0, (int)p);
			hc_response_free(&r);
		}
	}
	for (i = 0; i < 2; i++)
		hc_close(&c[i]);
	harness_stop_ok(&f);
}
END_TEST

/* ---- supervision ---- */

/* A worker that crashes before answering: 502, and the next request is
   served by a new worker. */
START_TEST(test_respawn_after_crash)
{
	struct ferryd		 f;
	struct hc_response	 r;
	pid_t			 p1, p2;

	start_app(&f, "responder", "workers = 1\n");
	p1 = get_pid(&f);
	hc_get(&f, "/r?crash", &r);
	expect_status(&f, &r, 502);
	hc_response_free(&r);
	p2 = get_pid(&f);
	HARNESS_ASSERT(&f, p2 != p1, "the crashed worker %d still answers",
	    (int)p1);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(p1, 3000), "crashed worker "
	    "%d still there", (int)p1);
	harness_stop_ok(&f);
}
END_TEST

/* A ferryd killed with SIGKILL (it cannot stop its workers) leaves no
   worker behind: each gets SIGTERM when its parent dies, instead of
   waiting in accept for good. */
START_TEST(test_workers_die_with_ferryd)
{
	struct ferryd		 f;
	pid_t			 p1;

	start_app(&f, "responder", "workers = 1\n");
	p1 = get_pid(&f);
	ck_assert_int_eq(kill(f.pid, SIGKILL), 0);
	(void)harness_stop_timeout(&f, 5000);
	HARNESS_ASSERT(NULL, harness_wait_pid_gone(p1, 5000), "worker %d "
	    "outlived its killed ferryd", (int)p1);
}
END_TEST

/* A worker that exits between requests (after a complete response): the
   next request, sent at once on the same connection, is answered 200 by
   a new worker.  Five rounds, to meet the race with the exit. */
START_TEST(test_respawn_after_exit)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	pid_t			 p1, p2;
	int			 i;

	start_app(&f, "responder", "workers = 1\n");
	hc_open(&c, &f);
	for (i = 0; i < 5; i++) {
		hc_send_get(&c, "/r?pid&exit");
		hc_expect_response(&c, &r, 0);
		expect_status(&f, &r, 200);
		p1 = resp_pid(&f, &r);
		hc_response_free(&r);
		p2 = get_pid_on(&f, &c);
		HARNESS_ASSERT(&f, p2 != p1, "round %d: worker %d exited "
		    "yet answered again", i, (int)p1);
		HARNESS_ASSERT(&f, harness_wait_pid_gone(p1, 3000), "round "
		    "%d: exited worker %d still there", i, (int)p1);
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* max_requests = 3: a worker serves 3 requests, then a new one does. */
START_TEST(test_max_requests)
{
	struct ferryd	f;
	struct hc	c;
	pid_t		p[7];
	int		i;

	/* start_app's first request counts: workers = 1, so begin afresh
	   with the 4th. */
	start_app(&f, "responder", "workers = 1\nmax_requests = 3\n");
	hc_open(&c, &f);
	for (i = 0; i < 2; i++)
		p[i] = get_pid_on(&f, &c);
	for (i = 0; i < 7; i++)
		p[i] = get_pid_on(&f, &c);
	HARNESS_ASSERT(&f, p[0] == p[1] && p[1] == p[2] && p[3] == p[4] &&
	    p[4] == p[5] && p[2] != p[3] && p[5] != p[6] && p[6] != p[0] &&
	    p[6] != p[3], "pids of 7 requests with max_requests = 3: %d %d "
	    "%d %d %d %d %d", (int)p[0], (int)p[1], (int)p[2], (int)p[3],
	    (int)p[4], (int)p[5], (int)p[6]);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(p[0], 3000), "recycled "
	    "worker %d still there", (int)p[0]);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* request_timeout = 1: a worker that never answers gets the client a
   504 and is killed (it ignores SIGTERM in the second round, so SIGKILL
   must follow) and replaced. */
START_TEST(test_request_timeout)
{
	static const char *const hang[] = { "/r?hang", "/r?noterm&hang" };
	struct ferryd		 f;
	struct hc_response	 r;
	pid_t			 p1, p2;
	long long		 t0;
	int			 i;

	start_app(&f, "responder", "workers = 1\nrequest_timeout = 1\n");
	for (i = 0; i < 2; i++) {
		p1 = get_pid(&f);
		t0 = harness_now_ms();
		hc_get(&f, hang[i], &r);
		expect_status(&f, &r, 504);
		HARNESS_ASSERT(&f, harness_now_ms() - t0 < 5000, "the 504 "
		    "took %lld ms with request_timeout = 1",
		    harness_now_ms() - t0);
		hc_response_free(&r);
		HARNESS_ASSERT(&f, harness_wait_pid_gone(p1, 4000), "%s: the "
		    "timed-out worker %d is still there", hang[i], (int)p1);
		p2 = get_pid(&f);
		HARNESS_ASSERT(&f, p2 != p1, "timed-out worker %d answers "
		    "again", (int)p1);
	}
	harness_stop_ok(&f);
}
END_TEST

/* A worker killed mid-response, after its head and part of its body went
   out: the client sees the connection closed without a clean end (no
   final chunk, or fewer bytes than Content-Length), never a complete
   response; the next request is served by a new worker. */
START_TEST(test_killed_mid_response)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	pid_t			 p1, p2;
	int			 rc;

	start_app(&f, "responder", "workers = 1\n");
	p1 = get_pid(&f);
	hc_open(&c, &f);
	hc_send_get(&c, "/r?partial&crash");
	rc = hc_read_response(&c, &r, 0);
	HARNESS_ASSERT(&f, rc == -1 && r.head_done && !r.complete &&
	    (c.eof || c.reset), "a worker killed mid-response must leave "
	    "an unfinished response and a closed connection: rc %d, status "
	    "%d, %zu body bytes, complete %d, eof %d (%s)", rc, r.status,
	    r.body_len, r.complete, c.eof, r.error);
	HARNESS_ASSERT(&f, r.status == 200 && r.body_len >= 8 &&
	    memcmp(r.body, "partial\n", 8) == 0, "the partial response "
	    "(status %d, %zu bytes) should have started to arrive",
	    r.status, r.body_len);
	hc_response_free(&r);
	hc_close(&c);
	p2 = get_pid(&f);
	HARNESS_ASSERT(&f, p2 != p1, "crashed worker %d answers again",
	    (int)p1);
	harness_stop_ok(&f);
}
END_TEST

/* ---- big bodies, flat memory ---- */

/* A 20 MiB POST through a worker that first pauses 1.5 s: it arrives
   whole, and the master's memory stays flat (back-pressure on the
   client, not a buffer of the body). */
START_TEST(test_big_post)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	struct sampler		 s;
	char			 head[256], want[64];
	char			*body;
	size_t			 len = 20 * MiB;
	long			 before, peak;
	pid_t			 sender;
	int			 st;

	start_app(&f, "exact_cl", "workers = 1\n");
	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	harness_random_bytes(body, len, 20);
	snprintf(want, sizeof(want), "%zu %016llx\n", len,
	    (unsigned long long)fnv1a(body, len));

	before = harness_rss_kib(f.pid);
	sampler_start(&s, f.pid);
	hc_open(&c, &f);
	c.timeout_ms = 60000;
	snprintf(head, sizeof(head), "POST /r?pause=1500 HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", len);
	hc_sendstr(&c, head);
	sender = hc_send_background(&c, body, len, 60000);
	hc_expect_response(&c, &r, 0);
	peak = sampler_stop(&s);
	waitpid(sender, &st, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, want) == 0, "body \"%.200s\", "
	    "want \"%s\"", r.body, want);
	HARNESS_ASSERT(&f, before > 0 && peak > 0 && peak - before <
	    RSS_GROWTH_MAX_KIB, "ferryd's VmRSS went from %ld to %ld KiB "
	    "during a 20 MiB POST", before, peak);
	hc_response_free(&r);
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/* A 50 MiB response streamed through the master while the client first
   reads nothing for 1.5 s: every byte arrives (SHA-256) and the master's
   memory stays flat (back-pressure on the worker). */
START_TEST(test_big_response)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	struct sampler		 s;
	char			 got[65], want[65];
	char			*expect;
	size_t			 len = 50 * MiB, i;
	long			 before, peak;

	start_app(&f, "responder", "workers = 1\n");
	expect = malloc(len);
	ck_assert_ptr_nonnull(expect);
	for (i = 0; i < len; i++)
		expect[i] = (char)(i % 251);
	harness_sha256(expect, len, want);
	free(expect);

	before = harness_rss_kib(f.pid);
	sampler_start(&s, f.pid);
	hc_open(&c, &f);
	c.timeout_ms = 60000;
	hc_send_get(&c, "/r?big=52428800");
	harness_sleep_ms(1500);
	hc_expect_response(&c, &r, 0);
	peak = sampler_stop(&s);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, r.body_len == len, "%zu bytes of %zu", r.body_len,
	    len);
	harness_sha256(r.body, r.body_len, got);
	HARNESS_ASSERT(&f, strcmp(got, want) == 0, "SHA-256 %s, want %s",
	    got, want);
	HARNESS_ASSERT(&f, before > 0 && peak > 0 && peak - before <
	    RSS_GROWTH_MAX_KIB, "ferryd's VmRSS went from %ld to %ld KiB "
	    "during a 50 MiB response", before, peak);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- isolation of workers ---- */

/*
 * No fd of the master or of another worker is visible in a worker: with 3
 * workers busy at once (so the master holds a channel to each and client
 * connections), each lists /proc/self/fd; then one crashes and the
 * respawned worker, started while all that was open, lists its fds too.
 */
START_TEST(test_worker_fds)
{
	struct ferryd		 f;
	struct hc		 keep;
	struct hc_response	 rs[3], r;
	pid_t			 pids[3];
	char			 path[3][200];
	int			 round;
	size_t			 i;

	start_app(&f, "responder", "workers = 3\n");
	hc_open(&keep, &f);	/* an idle client connection in the master */
	(void)get_pid_on(&f, &keep);
	for (round = 0; round < 2; round++) {
		if (round == 1) {
			hc_get(&f, "/r?crash", &r);
			expect_status(&f, &r, 502);
			hc_response_free(&r);
		}
		concurrent(&f, "/r?sleep=600&pid&fds", 3, rs);
		for (i = 0; i < 3; i++) {
			expect_status(&f, &rs[i], 200);
			pids[i] = resp_pid(&f, &rs[i]);
			worker_path(&f, &rs[i], path[i], sizeof(path[i]));
		}
		HARNESS_ASSERT(&f, distinct(pids, 3) == 3, "round %d: 3 "
		    "concurrent requests on 3 workers came from %d pids",
		    round, distinct(pids, 3));
		HARNESS_ASSERT(&f, strcmp(path[0], path[1]) != 0 &&
		    strcmp(path[1], path[2]) != 0 &&
		    strcmp(path[0], path[2]) != 0, "workers share a socket "
		    "path: %s %s %s", path[0], path[1], path[2]);
		for (i = 0; i < 3; i++) {
			check_listing(&f, &rs[i], path[i]);
			hc_response_free(&rs[i]);
		}
	}
	hc_close(&keep);
	harness_stop_ok(&f);
}
END_TEST

/* The workers' sockets live in a private directory of mode 0700 owned by
   ferryd's user, which is gone once ferryd stops. */
START_TEST(test_socket_dir)
{
	struct ferryd		 f;
	struct hc_response	 r;
	struct stat		 st;
	char			 path[200], dir[200], *slash;

	start_app(&f, "responder", "workers = 2\n");
	hc_get(&f, "/r?fds", &r);
	expect_status(&f, &r, 200);
	worker_path(&f, &r, path, sizeof(path));
	hc_response_free(&r);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	HARNESS_ASSERT(&f, slash != NULL && slash != dir, "socket path %s",
	    path);
	*slash = '\0';
	HARNESS_ASSERT(&f, lstat(dir, &st) == 0, "stat %s: %s", dir,
	    strerror(errno));
	HARNESS_ASSERT(&f, S_ISDIR(st.st_mode) && (st.st_mode & 07777) ==
	    0700 && st.st_uid == geteuid(), "socket directory %s: mode %o, "
	    "owner %d; want a directory of mode 0700 owned by %d", dir,
	    (unsigned)(st.st_mode & 07777), (int)st.st_uid, (int)geteuid());
	HARNESS_ASSERT(&f, lstat(path, &st) == 0 && S_ISSOCK(st.st_mode),
	    "%s is not a socket", path);
	harness_stop_ok(&f);
	HARNESS_ASSERT(NULL, lstat(path, &st) == -1 && errno == ENOENT,
	    "socket %s left behind after ferryd stopped", path);
	HARNESS_ASSERT(NULL, lstat(dir, &st) == -1 && errno == ENOENT,
	    "socket directory %s left behind after ferryd stopped", dir);
}
END_TEST

/* What a worker writes to FCGI_STDERR reaches the error log, on a line
   that names the worker's pid. */
START_TEST(test_stderr_logged)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			 pid[32], *log, *line, *end;
	long long		 deadline;
	int			 found = 0;

	start_app(&f, "responder", "workers = 1\n");
	hc_get(&f, "/r?stderr=marker-4711-oops&pid", &r);
	expect_status(&f, &r, 200);
	snprintf(pid, sizeof(pid), "%d", (int)resp_pid(&f, &r));
	hc_response_free(&r);
	for (deadline = harness_now_ms() + 3000; !found &&
	    harness_now_ms() < deadline; harness_sleep_ms(50)) {
		if ((log = harness_read_file(f.error_log, NULL)) == NULL)
			continue;
		if ((line = strstr(log, "marker-4711-oops")) != NULL) {
			while (line > log && line[-1] != '\n')
				line--;
			if ((end = strchr(line, '\n')) != NULL)
				*end = '\0';
			HARNESS_ASSERT(&f, strstr(line, pid) != NULL,
			    "the error log line of the worker's stderr "
			    "does not name its pid %s: %s", pid, line);
			found = 1;
		}
		free(log);
	}
	HARNESS_ASSERT(&f, found, "the worker's stderr text is not in the "
	    "error log");
	harness_stop_ok(&f);
}
END_TEST

/* A program that dies at once at every start: ferryd keeps running and
   answers (502 or 503, not a hang) without spinning on respawns. */
START_TEST(test_dies_at_start)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			 conf[512];
	long long		 t0, t1;
	long			 hz = sysconf(_SC_CLK_TCK);

	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app false]\ntype = fastcgi\nprefix = /r\n"
	    "command = /bin/false\nworkers = 2\nrequest_timeout = 2\n");
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	harness_sleep_ms(500);
	t0 = harness_cpu_ticks(f.pid);
	harness_sleep_ms(2000);
	t1 = harness_cpu_ticks(f.pid);
	HARNESS_ASSERT(&f, !harness_exited(&f), "ferryd exited");
	HARNESS_ASSERT(&f, t0 >= 0 && t1 >= 0 && t1 - t0 < hz / 2,
	    "ferryd used %lld of %ld ticks/s CPU in 2 s with an app that "
	    "dies at start: respawning without back-off?", t1 - t0, hz);
	hc_get(&f, "/r", &r);
	HARNESS_ASSERT(&f, r.status == 502 || r.status == 503 ||
	    r.status == 504, "status %d from an app that cannot start",
	    r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* ---- dynamic pool and client gone ---- */

/* min_workers = 1, max_workers = 3, idle_timeout = 1: a burst of 3 slow
   requests starts more workers, and after the burst the pool shrinks
   back to one. */
START_TEST(test_idle_scale_down)
{
	struct ferryd		 f;
	struct hc_response	 rs[3];
	pid_t			 pids[3], w[MAX_PIDS];
	size_t			 i, n;
	long long		 deadline;

	start_app(&f, "responder", "workers = 1\nmin_workers = 1\n"
	    "max_workers = 3\nidle_timeout = 1\n");
	n = workers_of(&f, w, MAX_PIDS);
	HARNESS_ASSERT(&f, n == 1, "%zu workers at start, want 1", n);
	concurrent(&f, "/r?sleep=1500&pid", 3, rs);
	for (i = 0; i < 3; i++) {
		expect_status(&f, &rs[i], 200);
		pids[i] = resp_pid(&f, &rs[i]);
		hc_response_free(&rs[i]);
	}
	HARNESS_ASSERT(&f, distinct(pids, 3) >= 2, "a burst of 3 requests "
	    "on a pool of 1 to 3 was served by %d worker(s)",
	    distinct(pids, 3));
	deadline = harness_now_ms() + 6000;
	while ((n = workers_of(&f, w, MAX_PIDS)) > 1 &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(100);
	HARNESS_ASSERT(&f, n == 1, "%zu workers 6 s after the burst with "
	    "idle_timeout = 1, want min_workers = 1", n);
	(void)get_pid(&f);
	harness_stop_ok(&f);
}
END_TEST

/* on_client_gone = terminate: a client that leaves during a slow
   request gets its worker killed, with the worker's own child (the
   signals go to its process group), and replaced. */
START_TEST(test_client_gone_terminate)
{
	struct ferryd	f;
	struct hc	c;
	pid_t		p1, p2, child;
	char		p[512], file[600], req[1024];

	start_app(&f, "responder", "workers = 1\n"
	    "on_client_gone = terminate\n");
	p1 = get_pid(&f);
	harness_path(p, sizeof(p), &f, "t");
	snprintf(req, sizeof(req), "/r?spawn=%s&sleep=10000", p);
	hc_open(&c, &f);
	hc_send_get(&c, req);
	snprintf(file, sizeof(file), "%s.child", p);
	child = harness_read_pidfile(file, 5000);
	harness_sleep_ms(200);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(p1, 4000), "worker %d "
	    "still runs 4 s after its client left (terminate)", (int)p1);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(child, 4000), "the worker's "
	    "child %d still runs (the process group was not signalled)",
	    (int)child);
	p2 = get_pid(&f);
	HARNESS_ASSERT(&f, p2 != p1, "pid %d reused", (int)p1);
	harness_stop_ok(&f);
}
END_TEST

/*
 * An upload to a libfcgi worker that reads none of it, then the client
 * leaves: the body fills the worker's channel, ferryd's input buffer and
 * its socket's, so ferryd no longer reads the socket, yet it sees the
 * reset or the FIN (by its Content-Length, the body cannot be complete)
 * and the worker is stopped (on_client_gone = terminate).  The body is
 * longer than any receive buffer can grow (1 MiB was not, when ferryd
 * read fast under load).
 */
static void
upload_then_leave(int rst)
{
	struct ferryd	f;
	struct hc	c;
	char		head[256], server[256];
	size_t		sent, len = hc_unabsorbable_len();
	pid_t		p1;

	snprintf(server, sizeof(server), "kill_grace = 0.5\n"
	    "log_level = debug\nmax_body_size = %zu\n", len);
	start_app_server(&f, "responder", server, "workers = 1\n"
	    "on_client_gone = terminate\nrequest_buffering = off\n");
	p1 = get_pid(&f);
	snprintf(head, sizeof(head), "POST /r?sleep=20000 HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", len);
	hc_open(&c, &f);
	sent = hc_upload_then_leave(&f, &c, head, len, rst);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(p1, 2000), "worker %d "
	    "still runs 2 s after its client left (%s, %zu body bytes sent)",
	    (int)p1, rst ? "reset" : "FIN", sent);
	if (!rst)
		hc_close(&c);
	harness_stop_ok(&f);
}

START_TEST(test_upload_then_reset)
{
	upload_then_leave(1);
}
END_TEST

START_TEST(test_upload_then_fin)
{
	upload_then_leave(0);
}
END_TEST

/* A libfcgi app cannot be told of a half-close: with half_close = answer
   its request runs to its end and is answered, then the connection
   closes. */
START_TEST(test_half_close_answer)
{
	struct ferryd		f;
	struct hc		c;
	struct hc_response	r;

	start_app(&f, "responder", "workers = 1\nhalf_close = answer\n");
	hc_open(&c, &f);
	hc_send_get(&c, "/r?sleep=500&pid");
	hc_shutdown_write(&c);
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strstr(r.body, "pid ") != NULL, "body \"%.200s\"",
	    r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stayed open after the answer");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * Slow request bodies do not pin the pool (request_buffering, on by
 * default for a libfcgi app): four clients trickling POST bodies to a
 * two-worker pool hold no worker, a normal request is answered at once,
 * no worker is killed, and each slow POST is answered whole once its
 * body is in.
 */
START_TEST(test_slow_posts_do_not_pin)
{
	struct ferryd		 f;
	struct hc		 slow[4], c;
	struct hc_response	 r;
	long long		 t0;
	size_t			 i;

	start_app(&f, "responder", "workers = 2\nrequest_timeout = 2\n");
	for (i = 0; i < 4; i++) {
		hc_open(&slow[i], &f);
		hc_sendstr(&slow[i], "POST /r?read HTTP/1.1\r\nHost: t\r\n"
		    "Content-Length: 10\r\n\r\nx");
	}
	harness_sleep_ms(300);
	t0 = harness_now_ms();
	hc_open(&c, &f);
	hc_send_get(&c, "/r?pid");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_now_ms() - t0 < 1000, "a normal request "
	    "waited %lld ms behind 4 slow POSTs", harness_now_ms() - t0);
	/* Longer than request_timeout: no worker is charged for it. */
	for (i = 0; i < 4; i++) {
		harness_sleep_ms(700);
		hc_sendstr(&slow[i], "x");
	}
	for (i = 0; i < 4; i++) {
		hc_sendstr(&slow[i], "xxxxxxxx");
		hc_expect_response(&slow[i], &r, 0);
		expect_status(&f, &r, 200);
		HARNESS_ASSERT(&f, strstr(r.body, "read 10\n") != NULL,
		    "slow POST %zu: \"%.200s\"", i, r.body);
		hc_response_free(&r);
		hc_close(&slow[i]);
	}
	HARNESS_ASSERT(&f, harness_log_count(&f, "request timeout") == 0 &&
	    harness_log_count(&f, "stopping") == 0, "a worker was stopped");
	harness_stop_ok(&f);
}
END_TEST

/* request_timeout measures the app, not the client: a streamed body
   (request_buffering = off) that a client sends over 3 s, to a worker
   that reads it as it comes, with request_timeout = 1, is answered, and
   the worker is not stopped. */
START_TEST(test_request_timeout_not_client)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	pid_t			 p1;
	int			 i;

	start_app(&f, "responder", "workers = 1\nrequest_timeout = 1\n"
	    "request_buffering = off\n");
	p1 = get_pid(&f);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /r?read HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 10\r\n\r\n");
	for (i = 0; i < 10; i++) {
		harness_sleep_ms(300);
		hc_sendstr(&c, "x");
	}
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strstr(r.body, "read 10\n") != NULL, "body "
	    "\"%.200s\"", r.body);
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, get_pid(&f) == p1, "the worker was replaced");
	harness_stop_ok(&f);
}
END_TEST

/* on_client_gone = finish: the worker whose client left runs on, and
   serves the next request once done. */
START_TEST(test_client_gone_finish)
{
	struct ferryd	f;
	pid_t		p1, p2;

	start_app(&f, "responder", "workers = 1\n"
	    "on_client_gone = finish\n");
	p1 = leave_during(&f, "/r?sleep=1500", 300);
	harness_sleep_ms(600);
	HARNESS_ASSERT(&f, !harness_pid_gone(p1), "worker %d was stopped "
	    "although on_client_gone = finish", (int)p1);
	p2 = get_pid(&f);
	HARNESS_ASSERT(&f, p2 == p1, "the next request went to %d, not to "
	    "the finishing worker %d", (int)p2, (int)p1);
	harness_stop_ok(&f);
}
END_TEST

/* body_timeout is about a client that stops sending, not an app slow to
   read: a 2 MiB POST to a worker that reads nothing for 2 s, with
   body_timeout = 1, is answered (the client sends as fast as flow
   control lets it).  settings: the app's request_buffering, on by
   default for a libfcgi app (the master takes the body whole first), or
   off (the body streams to the worker as it reads). */
static void
body_timeout_slow_reader(const char *settings)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 head[256], want[64], app[128];
	char			*body;
	size_t			 len = 2 * MiB;
	pid_t			 sender;
	int			 st;

	snprintf(app, sizeof(app), "workers = 1\n%s", settings);
	start_app_server(&f, "responder", "body_timeout = 1\n", app);
	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	memset(body, 'y', len);
	hc_open(&c, &f);
	c.timeout_ms = 30000;
	snprintf(head, sizeof(head), "POST /r?sleep=2000&read HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", len);
	hc_sendstr(&c, head);
	sender = hc_send_background(&c, body, len, 30000);
	hc_expect_response(&c, &r, 0);
	waitpid(sender, &st, 0);
	snprintf(want, sizeof(want), "read %zu\n", len);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, want) == 0, "%s: body \"%.200s\"",
	    settings[0] != '\0' ? settings : "buffered", r.body);
	hc_response_free(&r);
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}

START_TEST(test_body_timeout_slow_reader)
{
	body_timeout_slow_reader("");
}
END_TEST

START_TEST(test_body_timeout_slow_reader_streamed)
{
	body_timeout_slow_reader("request_buffering = off\n");
}
END_TEST

/* With the default policy (abort for FastCGI), a libfcgi worker whose
   client left during a long request is replaced within kill_grace
   (0.5 s here) + 1 s, and the app serves the next request. */
START_TEST(test_client_gone_default)
{
	struct ferryd	f;
	pid_t		p1, p2;

	start_app(&f, "responder", "workers = 1\n");
	p1 = leave_during(&f, "/r?sleep=10000", 400);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(p1, 1500), "worker %d "
	    "still runs 1.5 s after its client left (default: abort)",
	    (int)p1);
	p2 = get_pid(&f);
	HARNESS_ASSERT(&f, p2 != p1, "pid %d reused", (int)p1);
	harness_stop_ok(&f);
}
END_TEST

/* on_client_gone = abort, with a libfcgi worker (which does not answer
   FCGI_ABORT_REQUEST): the request is aborted when its client leaves,
   and the worker that does not answer within kill_grace is replaced. */
START_TEST(test_client_gone_abort)
{
	struct ferryd	f;
	pid_t		p1, p2;

	start_app(&f, "responder", "workers = 1\n"
	    "on_client_gone = abort\n");
	p1 = leave_during(&f, "/r?sleep=10000", 400);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "aborting the request", 1,
	    4000) == 1, "no \"aborting the request\" in the log");
	HARNESS_ASSERT(&f, harness_wait_log(&f, "FCGI_ABORT_REQUEST not "
	    "answered", 1, 4000) == 1, "the unanswered abort was not logged");
	HARNESS_ASSERT(&f, harness_wait_pid_gone(p1, 4000), "worker %d "
	    "still runs 4 s after its abort went unanswered", (int)p1);
	p2 = get_pid(&f);
	HARNESS_ASSERT(&f, p2 != p1, "pid %d reused", (int)p1);
	harness_stop_ok(&f);
}
END_TEST

/* on_client_gone = abort, the other rung: a worker that ends the request
   within kill_grace after FCGI_ABORT_REQUEST (here, its sleep ends) is
   clean, and serves the next request. */
START_TEST(test_client_gone_abort_reused)
{
	struct ferryd	f;
	pid_t		p1, p2;

	start_app_server(&f, "responder", "kill_grace = 5\nlog_level = debug\n",
	    "workers = 1\non_client_gone = abort\n");
	p1 = leave_during(&f, "/r?sleep=1500", 300);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "aborting the request", 1,
	    4000) == 1, "no \"aborting the request\" in the log");
	p2 = get_pid(&f);
	HARNESS_ASSERT(&f, p2 == p1, "the next request went to %d, not to "
	    "the worker %d that ended its aborted request in time", (int)p2,
	    (int)p1);
	HARNESS_ASSERT(&f, harness_log_count(&f, "not answered") == 0,
	    "the abort was taken as unanswered");
	harness_stop_ok(&f);
}
END_TEST

/* A local redirect (RFC 3875 6.2.2) from a FastCGI app after a chunked
   body was spilled to a file (over 1 MiB): the redirected request is a
   GET without a body, so the CGI script it reaches reads an empty stdin,
   not the rest of the spilled file. */
START_TEST(test_redirect_after_spilled_body)
{
	struct ferryd	 f;
	char		 file[PATH_MAX], data[PATH_MAX + 1], url[128];
	char		*body, *out;
	size_t		 len = 3 * MiB;
	int		 rc;

	start_app(&f, "responder", "workers = 1\n");
	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	harness_random_bytes(body, len, 7);
	harness_path(file, sizeof(file), &f, "upload");
	harness_write_file(file, body, len, 0644);
	free(body);
	snprintf(data, sizeof(data), "@%s", file);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/r?redirect="
	    "/cgi-bin/stdin.sh", f.port);
	{
		const char *const argv[] = { "curl", "-sS", "--max-time", "20",
		    "-H", "Transfer-Encoding: chunked", "--data-binary", data,
		    "-w", "%{http_code}\n", url, NULL };

		rc = harness_run(argv, &out, 30000);
		HARNESS_ASSERT(&f, rc == 0 && strcmp(out, "stdin 0\n200\n") ==
		    0, "curl exited %d, printed \"%s\", want \"stdin 0\" and "
		    "200", rc, out);
		free(out);
	}
	harness_stop_ok(&f);
}
END_TEST

/* isolation = request: no two requests share a worker process. */
START_TEST(test_isolation_request)
{
	struct ferryd	f;
	struct hc	c;
	pid_t		p[4];
	int		i;

	start_app(&f, "responder", "workers = 1\nisolation = request\n");
	hc_open(&c, &f);
	for (i = 0; i < 4; i++)
		p[i] = get_pid_on(&f, &c);
	HARNESS_ASSERT(&f, distinct(p, 4) == 4, "4 requests with isolation "
	    "= request came from %d processes", distinct(p, 4));
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- php-cgi and fcgiwrap ---- */

/* php-cgi as a pool app with root = tests/php: GET with a query, a POST
   form, a status and headers set from PHP, and a fatal error answered
   500 (not a hang), after which PHP still serves. */
START_TEST(test_php)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 conf[1024];
	const char		*php = getenv("FERRY_TEST_PHP");
	static const char	 form[] = "b=2&a=hello+world&c=%C3%A9";

	if (php_missing())
		return;
	HARNESS_ASSERT(NULL, php != NULL, "FERRY_TEST_PHP is not set");
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app php]\ntype = fastcgi\nprefix = /php/\nroot = %s\n"
	    "command = /usr/bin/php-cgi\n"
	    "args = -d display_errors=0 -d log_errors=1\n"
	    "workers = 1\nrequest_timeout = 10\n", php);
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	c.timeout_ms = 15000;

	hc_send_get(&c, "/php/hello.php");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, "hello from php\n") == 0, "body "
	    "\"%s\"", r.body);
	hc_response_free(&r);

	hc_send_get(&c, "/php/query.php?b=2&a=x%20y");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, "a=x y\nb=2\n") == 0, "body "
	    "\"%s\"", r.body);
	hc_response_free(&r);

	snprintf(conf, sizeof(conf), "POST /php/form.php HTTP/1.1\r\n"
	    "Host: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(form), form);
	hc_sendstr(&c, conf);
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, "method=POST\na=hello world\nb=2\n"
	    "c=\xc3\xa9\n") == 0, "body \"%s\"", r.body);
	hc_response_free(&r);

	hc_send_get(&c, "/php/headers.php");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 201);
	HARNESS_ASSERT(&f, hc_header(&r, "X-Php") != NULL &&
	    strcmp(hc_header(&r, "X-Php"), "yes") == 0, "X-Php: %s",
	    hc_header(&r, "X-Php"));
	HARNESS_ASSERT(&f, hc_header(&r, "Set-Cookie") != NULL &&
	    strncmp(hc_header(&r, "Set-Cookie"), "flavour=oat", 11) == 0,
	    "Set-Cookie: %s", hc_header(&r, "Set-Cookie"));
	HARNESS_ASSERT(&f, strcmp(r.body, "created\n") == 0, "body \"%s\"",
	    r.body);
	hc_response_free(&r);

	hc_send_get(&c, "/php/fatal.php");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 500);
	HARNESS_ASSERT(&f, strstr(r.body, "not reached") == NULL, "body "
	    "\"%s\"", r.body);
	hc_response_free(&r);
	hc_close(&c);

	hc_get(&f, "/php/hello.php", &r);
	expect_status(&f, &r, 200);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* php-cgi exits by itself after PHP_FCGI_MAX_REQUESTS requests, between
   two requests: with it at 3, 10 requests in a row on one keep-alive
   connection all succeed, served by at least 3 php-cgi processes. */
START_TEST(test_php_max_requests)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 conf[1024];
	const char		*php = getenv("FERRY_TEST_PHP");
	int			 i;

	if (php_missing())
		return;
	HARNESS_ASSERT(NULL, php != NULL, "FERRY_TEST_PHP is not set");
	setenv("PHP_FCGI_MAX_REQUESTS", "3", 1);	/* this test's child */
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app php]\ntype = fastcgi\nprefix = /php/\nroot = %s\n"
	    "command = /usr/bin/php-cgi\nenv = PHP_FCGI_MAX_REQUESTS\n"
	    "workers = 1\nrequest_timeout = 10\n", php);
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	c.timeout_ms = 15000;
	for (i = 0; i < 10; i++) {
		hc_send_get(&c, "/php/hello.php");
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body,
		    "hello from php\n") == 0, "request %d of 10 with "
		    "PHP_FCGI_MAX_REQUESTS = 3: status %d, body \"%.200s\"",
		    i + 1, r.status, r.body);
		hc_response_free(&r);
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* fcgiwrap as a pool app with root = the test CGI directory runs CGI
   scripts: a FastCGI program that nobody here wrote. */
START_TEST(test_fcgiwrap)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 conf[1024];

	if (access("/usr/sbin/fcgiwrap", X_OK) != 0) {
		fprintf(stderr, "SKIP: /usr/sbin/fcgiwrap is missing (Debian "
		    "package fcgiwrap; .ci/run installs it)\n");
		return;
	}
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app wrap]\ntype = fastcgi\nprefix = /wrap/\nroot = @CGI_BIN@\n"
	    "command = /usr/sbin/fcgiwrap\nworkers = 1\n"
	    "request_timeout = 10\n");
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	c.timeout_ms = 15000;
	hc_send_get(&c, "/wrap/hello.sh");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, "hello\n") == 0, "body \"%s\"",
	    r.body);
	hc_response_free(&r);
	hc_send_get(&c, "/wrap/query.sh?a=1&b=two");
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, "a=1&b=two") == 0, "body \"%s\"",
	    r.body);
	hc_response_free(&r);
	hc_send_get(&c, "/wrap/status.sh");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status >= 200, "status %d", r.status);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- user and group (ferry.conf(5): run the app's processes as them) ---- */

/* 1 when the test process is root; else prints why the test is skipped. */
static int
ids_root(const char *test)
{
	if (geteuid() == 0)
		return 1;
	fprintf(stderr, "SKIP: %s: switching user and group needs root "
	    "(CI runs the suite as root)\n", test);
	return 0;
}

/* 1 when every directory above path, and path, is searchable (x) by
   others, so that another user can reach it. */
static int
ids_reachable(const char *path)
{
	char		 buf[PATH_MAX], *slash;
	struct stat	 st;

	if (realpath(path, buf) == NULL)
		return 0;
	for (;;) {
		if (stat(buf, &st) == -1 || (st.st_mode & S_IXOTH) == 0)
			return 0;
		if ((slash = strrchr(buf, '/')) == NULL || slash == buf)
			break;
		*slash = '\0';
	}
	return stat("/", &st) == 0 && (st.st_mode & S_IXOTH) != 0;
}

/* A new directory of the given mode under $TMPDIR or /tmp (not under
   the 0700 FERRY_TEST_TMP), realpath'd; NULL, with the reason printed,
   when another user could not reach it. */
static char *
ids_dir(const char *test, mode_t mode)
{
	char	*d, *real;

	d = harness_tmpdir("ferry-ids", 1);
	HARNESS_ASSERT(NULL, chmod(d, mode) == 0, "chmod %s: %s", d,
	    strerror(errno));
	real = realpath(d, NULL);
	HARNESS_ASSERT(NULL, real != NULL, "realpath %s: %s", d,
	    strerror(errno));
	free(d);
	if ((mode & S_IXOTH) != 0 && !ids_reachable(real)) {
		fprintf(stderr, "SKIP: %s: %s is not reachable by other users "
		    "(set TMPDIR to a directory that is)\n", test, real);
		ids_rmdir(real);
		return NULL;
	}
	return real;
}

static void
ids_rmdir(char *dir)
{
	harness_rmtree(dir);
	free(dir);
}

/* Copies a program, mode 0755. */
static void
ids_copy(const char *src, const char *dst)
{
	char	*data;
	size_t	 len;

	data = harness_read_file(src, &len);
	HARNESS_ASSERT(NULL, data != NULL, "cannot read %s", src);
	harness_write_file(dst, data, len, 0755);
	free(data);
}

/*
 * Runs ferryd -c conf_path --listen listen (as nobody:nogroup when
 * as_nobody) for a startup that must fail: returns its exit code, with
 * what it wrote to stdout and stderr in out.  Fails the test when it is
 * still running after 10 s.
 */
static int
ids_run_ferryd(const char *conf_path, const char *listen, int as_nobody,
    char *out, size_t outlen)
{
	const char	*ferryd = getenv("FERRYD");
	struct passwd	*pw;
	struct pollfd	 pfd;
	long long	 deadline;
	size_t		 off = 0;
	ssize_t		 n;
	pid_t		 parent = getpid(), pid;
	gid_t		 gid;
	int		 p[2], status;

	HARNESS_ASSERT(NULL, ferryd != NULL, "FERRYD is not set");
	pw = getpwnam("nobody");
	HARNESS_ASSERT(NULL, !as_nobody || pw != NULL, "no user nobody");
	HARNESS_ASSERT(NULL, pipe2(p, O_CLOEXEC) == 0, "pipe: %s",
	    strerror(errno));
	HARNESS_ASSERT(NULL, (pid = fork()) != -1, "fork: %s",
	    strerror(errno));
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(126);
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (as_nobody) {
			gid = pw->pw_gid;
			if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
			    setuid(pw->pw_uid) == -1)
				_exit(125);
		}
		execl(ferryd, ferryd, "-c", conf_path, "--listen", listen,
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (deadline = harness_now_ms() + 10000;;) {
		if (harness_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			HARNESS_ASSERT(NULL, 0, "ferryd still runs after 10 s; "
			    "its output: %.*s", (int)off, out);
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(p[0], out + off, outlen - 1 - off);
		if (n <= 0 && !(n == -1 && errno == EINTR))
			break;
		if (n > 0)
			off += (size_t)n;
		if (off == outlen - 1)
			break;
	}
	out[off] = '\0';
	close(p[0]);
	HARNESS_ASSERT(NULL, waitpid(pid, &status, 0) == pid, "waitpid: %s",
	    strerror(errno));
	HARNESS_ASSERT(NULL, WIFEXITED(status), "ferryd ended by signal %d; "
	    "its output: %s", WIFSIGNALED(status) ? WTERMSIG(status) : 0, out);
	return WEXITSTATUS(status);
}

struct ids_case {
	const char	*comment;
	const char	*user;		/* NULL: not set */
	const char	*group;		/* NULL: not set */
};

static const struct ids_case ids_cases[] = {
	/* user only: its primary group, and no other group. */
	{ "user = nobody", "nobody", NULL },
	/* group only: ferryd's own user (root here) in that one group. */
	{ "group = nogroup", NULL, "nogroup" },
	/* Both: group wins over the user's primary group. */
	{ "user = nobody, group = daemon", "nobody", "daemon" },
};

/*
 * A pool app with user and/or group: from inside the worker (whoami,
 * copied into a 0755 directory), its real and effective uid and gid and
 * its only group are the configured ones, its cwd is the command's
 * directory, and the private socket directory is closed to it; it
 * serves keep-alive requests; a worker killed is replaced by one with
 * the same ids.
 */
START_TEST(test_ids_worker)
{
	const struct ids_case	*ic = &ids_cases[_i];
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	struct passwd		*pw;
	struct group		*gr;
	char			 conf[PATH_MAX + 1024], want[PATH_MAX + 256];
	char			 prog[PATH_MAX + 16];
	char			 src[PATH_MAX], *dir;
	unsigned long		 uid, gid;
	long long		 deadline;
	pid_t			 p1, p2 = 0;
	int			 i;

	if (!ids_root(ic->comment))
		return;
	uid = (unsigned long)geteuid();
	gid = (unsigned long)getegid();
	if (ic->user != NULL) {
		if ((pw = getpwnam(ic->user)) == NULL) {
			fprintf(stderr, "SKIP: %s: no user %s\n", ic->comment,
			    ic->user);
			return;
		}
		uid = (unsigned long)pw->pw_uid;
		gid = (unsigned long)pw->pw_gid;
	}
	if (ic->group != NULL) {
		if ((gr = getgrnam(ic->group)) == NULL) {
			fprintf(stderr, "SKIP: %s: no group %s\n", ic->comment,
			    ic->group);
			return;
		}
		gid = (unsigned long)gr->gr_gid;
	}
	if ((dir = ids_dir(ic->comment, 0755)) == NULL)
		return;
	snprintf(src, sizeof(src), "%s/whoami", apps_dir());
	snprintf(prog, sizeof(prog), "%s/whoami", dir);
	ids_copy(src, prog);
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app who]\ntype = fastcgi\nprefix = /who\ncommand = %s\n"
	    "workers = 1\n%s%s%s%s%s%s", prog,
	    ic->user != NULL ? "user = " : "",
	    ic->user != NULL ? ic->user : "", ic->user != NULL ? "\n" : "",
	    ic->group != NULL ? "group = " : "",
	    ic->group != NULL ? ic->group : "", ic->group != NULL ? "\n" : "");
	snprintf(want, sizeof(want), "uid=%lu euid=%lu gid=%lu egid=%lu\n"
	    "groups=%lu\ncwd=%s\nsockdir=%d\n", uid, uid, gid, gid, gid, dir,
	    uid == 0 ? 0 : EACCES);
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);

	hc_open(&c, &f);
	for (i = 0; i < 3; i++) {
		hc_send_get(&c, "/who");
		hc_expect_response(&c, &r, 0);
		expect_status(&f, &r, 200);
		HARNESS_ASSERT(&f, strcmp(r.body, want) == 0, "%s: request %d: "
		    "the worker says\n%s\nwant\n%s", ic->comment, i + 1, r.body,
		    want);
		p1 = resp_pid(&f, &r);
		hc_response_free(&r);
	}
	hc_close(&c);

	HARNESS_ASSERT(&f, kill(p1, SIGKILL) == 0, "kill %d: %s", (int)p1,
	    strerror(errno));
	for (deadline = harness_now_ms() + 5000; harness_now_ms() < deadline;
	    harness_sleep_ms(100)) {
		hc_get(&f, "/who", &r);
		if (r.status == 200 && (p2 = resp_pid(&f, &r)) != p1) {
			HARNESS_ASSERT(&f, strcmp(r.body, want) == 0, "%s: the "
			    "respawned worker says\n%s\nwant\n%s", ic->comment,
			    r.body, want);
			hc_response_free(&r);
			break;
		}
		hc_response_free(&r);
	}
	HARNESS_ASSERT(&f, p2 != 0 && p2 != p1, "%s: no new worker within 5 s "
	    "after killing %d", ic->comment, (int)p1);
	harness_stop_ok(&f);
	ids_rmdir(dir);
}
END_TEST

/* A CGI app with user = nobody: the script runs as nobody, in nobody's
   primary group only, in its own directory. */
START_TEST(test_ids_cgi)
{
	struct ferryd		 f;
	struct hc_response	 r;
	struct passwd		*pw;
	char			 conf[PATH_MAX + 1024], want[PATH_MAX + 64];
	char			 script[PATH_MAX + 16], *dir;
	static const char	 text[] = "#!/bin/sh\n"
	    "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
	    "echo \"$(id -u) $(id -g) $(id -G) $(pwd)\"\n";

	if (!ids_root("test_ids_cgi"))
		return;
	if ((pw = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "SKIP: test_ids_cgi: no user nobody\n");
		return;
	}
	if ((dir = ids_dir("test_ids_cgi", 0755)) == NULL)
		return;
	snprintf(script, sizeof(script), "%s/ids.sh", dir);
	harness_write_file(script, text, strlen(text), 0755);
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app ids]\ntype = cgi\nprefix = /ids/\nroot = %s\n"
	    "user = nobody\n", dir);
	snprintf(want, sizeof(want), "%lu %lu %lu %s\n",
	    (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid,
	    (unsigned long)pw->pw_gid, dir);
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	hc_get(&f, "/ids/ids.sh", &r);
	expect_status(&f, &r, 200);
	HARNESS_ASSERT(&f, strcmp(r.body, want) == 0, "the script says \"%s\", "
	    "want \"%s\"", r.body, want);
	hc_response_free(&r);
	harness_stop_ok(&f);
	ids_rmdir(dir);
}
END_TEST

struct ids_fail_case {
	const char	*comment;
	int		 as_nobody;	/* ferryd runs as nobody (as we are,
					   when we are not root) */
	int		 denied_dir;	/* the program sits in a 0700 dir */
	int		 fastcgi;	/* whoami as a pool app, else CGI */
	const char	*settings;	/* more lines for the app's section */
	int		 exit_code;
	const char	*message;	/* in ferryd's output */
};

static const struct ids_fail_case ids_fail_cases[] = {
	/* A user that does not exist: a configuration error (exit 2). */
	{ "unknown user", 0, 0, 1, "user = no-such-user-ferry\n",
	  2, "user: unknown user \"no-such-user-ferry\"" },
	/* A group that does not exist. */
	{ "unknown group", 0, 0, 0, "group = no-such-group-ferry\n",
	  2, "group: unknown group \"no-such-group-ferry\"" },
	/* ferryd not root, a pool app as someone else. */
	{ "pool app needs root", 1, 0, 1, "user = daemon\n",
	  1, "[app x]: user = daemon needs ferryd to run as root" },
	/* ferryd not root, a CGI app in another group. */
	{ "CGI app needs root", 1, 0, 0, "group = daemon\n",
	  1, "[app x]: group = daemon needs ferryd to run as root" },
	/* The program's directory is closed to nobody: the worker's chdir
	   fails after the switch, and ferryd reports the errno of the
	   child (not an exit 127) and does not start. */
	{ "program out of reach", 0, 1, 1, "user = nobody\n",
	  1, "Permission denied" },
};

START_TEST(test_ids_startup_fails)
{
	const struct ids_fail_case *fc = &ids_fail_cases[_i];
	struct passwd		*pw;
	char			 conf[2 * PATH_MAX + 1024], out[8192];
	char			 path[PATH_MAX + 32], listen[PATH_MAX + 32];
	char			 src[PATH_MAX], *dir, *prog_dir = NULL;
	int			 code, drop;

	/* Not root already: ferryd runs as we are. */
	drop = fc->as_nobody && geteuid() == 0;
	if (fc->denied_dir && !ids_root(fc->comment))
		return;
	if (fc->as_nobody && !drop && getpwnam("daemon") != NULL &&
	    getpwnam("daemon")->pw_uid == geteuid()) {
		fprintf(stderr, "SKIP: %s: we are daemon\n", fc->comment);
		return;
	}
	if ((dir = ids_dir(fc->comment, 0755)) == NULL)
		return;
	if (drop) {
		if ((pw = getpwnam("nobody")) == NULL) {
			fprintf(stderr, "SKIP: %s: no user nobody\n",
			    fc->comment);
			ids_rmdir(dir);
			return;
		}
		if (!ids_reachable(getenv("FERRYD"))) {
			fprintf(stderr, "SKIP: %s: nobody cannot reach %s\n",
			    fc->comment, getenv("FERRYD"));
			ids_rmdir(dir);
			return;
		}
		/* Where nobody may create the listening socket. */
		HARNESS_ASSERT(NULL, chown(dir, pw->pw_uid, pw->pw_gid) == 0,
		    "chown %s: %s", dir, strerror(errno));
	}
	if (fc->denied_dir) {
		/* 0700 */
		prog_dir = harness_tmpdir("ferry-ids-closed", 1);
		snprintf(path, sizeof(path), "%s/whoami", prog_dir);
	} else
		snprintf(path, sizeof(path), "%s/whoami", dir);
	snprintf(src, sizeof(src), "%s/whoami", apps_dir());
	ids_copy(src, path);
	if (fc->fastcgi)
		snprintf(conf, sizeof(conf), "[app x]\ntype = fastcgi\n"
		    "prefix = /w\ncommand = %s\n%s", path, fc->settings);
	else
		snprintf(conf, sizeof(conf), "[app x]\ntype = cgi\n"
		    "prefix = /w/\nroot = %s\n%s", dir, fc->settings);
	snprintf(path, sizeof(path), "%s/ferry.conf", dir);
	harness_write_file(path, conf, strlen(conf), 0644);
	snprintf(listen, sizeof(listen), "unix:%s/sock", dir);

	code = ids_run_ferryd(path, listen, drop, out, sizeof(out));
	HARNESS_ASSERT(NULL, code == fc->exit_code && strstr(out,
	    fc->message) != NULL, "%s: ferryd exited %d, want %d with \"%s\"; "
	    "its output:\n%s", fc->comment, code, fc->exit_code, fc->message,
	    out);
	ids_rmdir(dir);
	if (prog_dir != NULL) {
		harness_rmtree(prog_dir);
		free(prog_dir);
	}
}
END_TEST

/* ---- out of fds (issue 14, item C) ---- */

/* ferryd runs out of fds (its soft RLIMIT_NOFILE lowered to its lowest
   free fd) with two idle workers, one of them reached over a kept
   connection, and two requests come: the one that needs a new connection
   to a worker cannot have it.  That is ferryd's shortage, not the
   worker's fault: both requests wait, both workers stay (the same pids),
   and once fds are free again each request is answered once. */
START_TEST(test_out_of_fds_workers_stay)
{
	struct ferryd		 f;
	struct hc		 c[2];
	struct hc_response	 r;
	pid_t			 before[4], after[4];
	size_t			 n, m, i, j;
	long			 old;
	int			 k;

	start_app(&f, "responder", "workers = 2\nqueue = 8\n");
	for (i = 0; i < 100 && (n = workers_of(&f, before, 4)) < 2; i++)
		harness_sleep_ms(20);
	HARNESS_ASSERT(&f, n == 2, "%zu workers, not 2", n);
	/* Both clients accepted before the fds run out, and the start's own
	   request closed on ferryd's side (its fd, freed later, would let a
	   connection to a worker through).  Not judged by the lowest free
	   fd: ferryd's fds have gaps, so one accept can raise it by more
	   than one. */
	for (k = 0; k < 2; k++)
		hc_open(&c[k], &f);
	for (i = 0; i < 500 && !harness_holds_only(&f, c, 2); i++)
		harness_sleep_ms(20);
	HARNESS_ASSERT(&f, harness_holds_only(&f, c, 2), "ferryd holds "
	    "other client connections than the two, or not both of them");
	old = harness_set_nofile(&f, harness_lowest_free_fd(f.pid));
	hc_send_get(&c[0], "/r?pid&sleep=300");
	hc_send_get(&c[1], "/r?pid&sleep=300");
	/* Asserted below, once the workers were checked. */
	(void)harness_wait_log(&f, "out of fds to reach a worker", 1, 5000);
	harness_sleep_ms(200);
	(void)harness_set_nofile(&f, old);
	for (k = 0; k < 2; k++) {
		c[k].timeout_ms = 15000;
		hc_expect_response(&c[k], &r, 0);
		expect_status(&f, &r, 200);
		hc_response_free(&r);
		HARNESS_ASSERT(&f, hc_quiet(&c[k], 200), "request %d answered "
		    "twice", k);
		hc_close(&c[k]);
	}
	m = workers_of(&f, after, 4);
	for (i = 0; i < n; i++) {
		for (j = 0; j < m && after[j] != before[i]; j++)
			;
		HARNESS_ASSERT(&f, j < m, "worker %d is gone",
		    (int)before[i]);
	}
	HARNESS_ASSERT(&f, m == 2, "%zu workers, not 2", m);
	HARNESS_ASSERT(&f, harness_log_count(&f, "out of fds to reach a "
	    "worker") == 1, "the shortage was not met, or logged more than "
	    "once");
	harness_stop_ok(&f);
}
END_TEST

/* ---- replays (issue 14, item D) ---- */

/* Each request crashes the worker it runs on, sent on a kept connection
   to a worker that served before (the case a replay would be tried in).
   RFC 9112 9.3.1 lets a GET be replayed, but a request that killed a
   worker would kill the next one too: each is answered 502 once, and of
   the two workers only the one that ran it goes. */
static const struct crash_case {
	const char	*what;
	const char	*raw;
} crash_cases[] = {
	{ "a POST with a body", "POST /r?read&crash HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 3\r\n\r\nabc" },
	{ "an idempotent GET", "GET /r?crash HTTP/1.1\r\nHost: h\r\n\r\n" },
};

START_TEST(test_crash_not_replayed)
{
	const struct crash_case	*t = &crash_cases[_i];
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	pid_t			 before[4], after[4], a;
	size_t			 n, m, i;
	int			 seen;

	start_app(&f, "responder", "workers = 2\n");
	for (i = 0; i < 100 && (n = workers_of(&f, before, 4)) < 2; i++)
		harness_sleep_ms(20);
	HARNESS_ASSERT(&f, n == 2, "%s: %zu workers, not 2", t->what, n);
	hc_open(&c, &f);
	a = get_pid_on(&f, &c);		/* the channel to a is kept */
	hc_sendstr(&c, t->raw);
	hc_expect_response(&c, &r, 0);
	expect_status(&f, &r, 502);
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(a, 3000), "%s: crashed "
	    "worker %d still there", t->what, (int)a);
	/* The replacement has started when two workers run again. */
	for (i = 0; i < 150 && workers_of(&f, after, 4) < 2; i++)
		harness_sleep_ms(20);
	m = workers_of(&f, after, 4);
	for (seen = 0, i = 0; i < m; i++)
		if (after[i] == (before[0] == a ? before[1] : before[0]))
			seen = 1;
	HARNESS_ASSERT(&f, seen, "%s: the worker that did not run the "
	    "request is gone", t->what);
	HARNESS_ASSERT(&f, harness_log_count(&f, ": crash") == 1, "%s: the "
	    "request ran %d times", t->what, harness_log_count(&f, ": crash"));
	HARNESS_ASSERT(&f, harness_log_count(&f, "died of the request") == 1,
	    "%s: the request's death not logged once", t->what);
	harness_stop_ok(&f);
}
END_TEST

/* A worker that exits by itself (status 0) after a response, with the
   channel to it kept: a POST pipelined behind that response goes on that
   channel and is never read, so it is replayed on another worker and
   answered 200, its body whole.  Five rounds, to meet the race with the
   exit. */
START_TEST(test_post_replayed_after_clean_exit)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r[2];
	pid_t			 pid[2];
	int			 i, j;

	start_app(&f, "responder", "workers = 1\n");
	hc_open(&c, &f);
	for (i = 0; i < 5; i++) {
		hc_sendstr(&c, "GET /r?pid&exit HTTP/1.1\r\nHost: h\r\n\r\n"
		    "POST /r?pid&read HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 5\r\n\r\nhello");
		for (j = 0; j < 2; j++) {
			hc_expect_response(&c, &r[j], 0);
			expect_status(&f, &r[j], 200);
			pid[j] = resp_pid(&f, &r[j]);
		}
		HARNESS_ASSERT(&f, strstr(r[1].body, "read 5\n") != NULL &&
		    pid[1] != pid[0], "round %d: the POST after the exit of "
		    "%d: pid %d, body %s", i, (int)pid[0], (int)pid[1],
		    r[1].body);
		hc_response_free(&r[0]);
		hc_response_free(&r[1]);
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite	*s = suite_create("pool");
	TCase	*tc;

	tc = tcase_create("programs");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hello_stdio);
	tcase_add_test(tc, test_echo_post);
	tcase_add_test(tc, test_exact_cl_keepalive);
	tcase_add_test(tc, test_php);
	tcase_add_test(tc, test_php_max_requests);
	tcase_add_test(tc, test_fcgiwrap);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_queue_two_workers);
	tcase_add_test(tc, test_queue_full_503);
	tcase_add_test(tc, test_queued_rounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("supervision");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_respawn_after_crash);
	tcase_add_test(tc, test_workers_die_with_ferryd);
	tcase_add_test(tc, test_respawn_after_exit);
	tcase_add_test(tc, test_max_requests);
	tcase_add_test(tc, test_request_timeout);
	tcase_add_test(tc, test_killed_mid_response);
	tcase_add_test(tc, test_stderr_logged);
	tcase_add_test(tc, test_dies_at_start);
	tcase_add_test(tc, test_idle_scale_down);
	tcase_add_test(tc, test_client_gone_terminate);
	tcase_add_test(tc, test_upload_then_reset);
	tcase_add_test(tc, test_upload_then_fin);
	tcase_add_test(tc, test_half_close_answer);
	tcase_add_test(tc, test_slow_posts_do_not_pin);
	tcase_add_test(tc, test_request_timeout_not_client);
	tcase_add_test(tc, test_client_gone_finish);
	tcase_add_test(tc, test_client_gone_default);
	tcase_add_test(tc, test_client_gone_abort);
	tcase_add_test(tc, test_client_gone_abort_reused);
	tcase_add_test(tc, test_body_timeout_slow_reader);
	tcase_add_test(tc, test_body_timeout_slow_reader_streamed);
	tcase_add_test(tc, test_redirect_after_spilled_body);
	tcase_add_test(tc, test_isolation_request);
	tcase_add_loop_test(tc, test_crash_not_replayed, 0,
	    (int)(sizeof(crash_cases) / sizeof(crash_cases[0])));
	tcase_add_test(tc, test_post_replayed_after_clean_exit);
	tcase_add_test(tc, test_out_of_fds_workers_stay);
	suite_add_tcase(s, tc);

	tc = tcase_create("big");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_big_post);
	tcase_add_test(tc, test_big_response);
	suite_add_tcase(s, tc);

	tc = tcase_create("isolation");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_worker_fds);
	tcase_add_test(tc, test_socket_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("user and group");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_ids_worker, 0,
	    (int)(sizeof(ids_cases) / sizeof(ids_cases[0])));
	tcase_add_test(tc, test_ids_cgi);
	tcase_add_loop_test(tc, test_ids_startup_fails, 0,
	    (int)(sizeof(ids_fail_cases) / sizeof(ids_fail_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(pool_suite(), "ferry-pool");
}
