/*
 * Black-box integration tests of ferryd's lifecycle (issue 3): stopping on
 * SIGTERM and SIGINT, the limits and timeouts that protect it, its access
 * and error logs, the fds its scripts see, and its other listeners.  A
 * real ferryd, real sockets, the scripts of tests/cgi-bin.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static int	 wait_exit(struct ferryd *f, int timeout_ms);
static int	 connect_refused(const struct ferryd *f);
static int	 count_fd_lines(const char *s);
static long long log_duration(const char *line);
static Suite	*lifecycle_suite(void);

/* ---- helpers ---- */

/* Waits for ferryd to exit by itself; its status code, or -1. */
static int
wait_exit(struct ferryd *f, int timeout_ms)
{
	long long	deadline = harness_now_ms() + timeout_ms;

	while (harness_now_ms() < deadline) {
		if (harness_exited(f))
			return WIFEXITED(f->wstatus) ?
			    WEXITSTATUS(f->wstatus) :
			    128 + WTERMSIG(f->wstatus);
		harness_sleep_ms(10);
	}
	return -1;
}

/* 1 when a connection to ferryd's port is refused. */
static int
connect_refused(const struct ferryd *f)
{
	struct sockaddr_in	sin;
	int			fd, rc, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(f->port);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	err = errno;
	close(fd);
	return rc == -1 && err == ECONNREFUSED;
}

/* Lines of `ls -l /proc/self/fd` that name an fd. */
static int
count_fd_lines(const char *s)
{
	return harness_count(s, " -> ");
}

/* ---- stopping ---- */

/* SIGTERM with a request in flight: ferryd stops accepting, the running
   request completes, then ferryd exits 0. */
START_TEST(test_graceful_stop)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			p[512], file[600], req[1024];
	long long		deadline;
	int			code;

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "gs");
	snprintf(req, sizeof(req), "GET /cgi-bin/gate.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	harness_read_pidfile(file, 5000);
	kill(f.pid, SIGTERM);
	deadline = harness_now_ms() + 5000;
	while (!connect_refused(&f) && harness_now_ms() < deadline)
		harness_sleep_ms(20);
	HARNESS_ASSERT(&f, connect_refused(&f), "ferryd still accepts after "
	    "SIGTERM");
	HARNESS_ASSERT(&f, !harness_exited(&f), "ferryd exited with a "
	    "request in flight");
	snprintf(file, sizeof(file), "%s.go", p);
	harness_write_file(file, "", 0, 0644);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 &&
	    strcmp(r.body, "first\nsecond\n") == 0, "%d \"%s\"", r.status,
	    r.body);
	code = wait_exit(&f, 10000);
	HARNESS_ASSERT(&f, code == 0, "exit status %d", code);
	hc_response_free(&r);
	hc_close(&c);
}
END_TEST

/* SIGTERM closes idle keep-alive connections at once and exits 0. */
START_TEST(test_stop_idle)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	int			code;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	hc_response_free(&r);
	kill(f.pid, SIGTERM);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 3000) == 1, "the idle "
	    "connection stays open after SIGTERM");
	code = wait_exit(&f, 3000);
	HARNESS_ASSERT(&f, code == 0, "exit status %d", code);
	hc_close(&c);
}
END_TEST

/* A connection accepted just before SIGTERM whose request comes after
   it: the request is answered (Connection: close), not reset, and then
   ferryd exits 0.  (Closing it as idle reset requests already sent: seen
   across a binary upgrade.) */
START_TEST(test_stop_new_connection)
{
	struct ferryd		f = { 0 };
	struct hc		c, k;
	struct hc_response	r;
	int			code;

	harness_start(&f, NULL, NULL);
	/* A kept-alive idle one beside it, closed at once as before. */
	hc_open(&k, &f);
	hc_sendstr(&k, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&k, &r, 0);
	hc_response_free(&r);
	hc_open(&c, &f);
	harness_sleep_ms(100);		/* accepted, nothing read */
	kill(f.pid, SIGTERM);
	HARNESS_ASSERT(&f, hc_wait_closed(&k, 3000) == 1, "the idle "
	    "kept-alive connection stays open after SIGTERM");
	harness_sleep_ms(100);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && hc_header_has_token(&r,
	    "Connection", "close"), "the new connection's request after "
	    "SIGTERM: %d", r.status);
	hc_response_free(&r);
	code = wait_exit(&f, 5000);
	HARNESS_ASSERT(&f, code == 0, "exit status %d", code);
	hc_close(&c);
	hc_close(&k);
}
END_TEST

/* shutdown_timeout = 1: a script still running at the deadline is killed
   and ferryd exits 0. */
START_TEST(test_stop_deadline)
{
	static const char conf[] = "[server]\nshutdown_timeout = 1\n"
	    "kill_grace = 0.5\n";
	struct ferryd	f = { 0 };
	struct hc	c;
	char		p[512], file[600], req[1024];
	pid_t		sh, child;
	int		code;

	harness_start(&f, conf, NULL);
	harness_path(p, sizeof(p), &f, "sd");
	snprintf(req, sizeof(req), "GET /cgi-bin/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	sh = harness_read_pidfile(file, 5000);
	snprintf(file, sizeof(file), "%s.child", p);
	child = harness_read_pidfile(file, 5000);
	kill(f.pid, SIGTERM);
	code = wait_exit(&f, 8000);
	HARNESS_ASSERT(&f, code == 0, "exit status %d (-1: still running)",
	    code);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 3000) &&
	    harness_wait_pid_gone(child, 3000), "the script outlived ferryd");
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 3000) != -1, "still open");
	hc_close(&c);
}
END_TEST

/* SIGINT stops ferryd like SIGTERM: exit 0. */
START_TEST(test_stop_sigint)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;
	int			code;

	harness_start(&f, NULL, NULL);
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	hc_response_free(&r);
	kill(f.pid, SIGINT);
	code = wait_exit(&f, 5000);
	HARNESS_ASSERT(&f, code == 0, "exit status %d after SIGINT", code);
}
END_TEST

/* ---- limits and timeouts ---- */

/* Slowloris: header_timeout = 1 and a client sending a byte every 300 ms
   is closed (after a 408 or not) within a few seconds. */
START_TEST(test_slowloris)
{
	static const char conf[] = "[server]\nheader_timeout = 1\n";
	static const char req[] = "GET /cgi-bin/hello.sh HTTP/1.1\r\n"
	    "Host: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct ferryd		f = { 0 };
	struct hc		c;
	long long		t0;
	size_t			i;
	int			closed = 0;

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	t0 = harness_now_ms();
	for (i = 0; i < sizeof(req) - 1 && !closed; i++) {
		if (hc_try_send(&c, req + i, 1) == -1)
			closed = 1;
		else if (hc_wait_closed(&c, 300) != -1)
			closed = 1;
	}
	if (!closed)
		closed = hc_wait_closed(&c, 3000) != -1;
	HARNESS_ASSERT(&f, closed, "still open after %lld ms",
	    harness_now_ms() - t0);
	HARNESS_ASSERT(&f, harness_now_ms() - t0 < 6000, "closed only "
	    "after %lld ms", harness_now_ms() - t0);
	while (!c.eof && hc_fill(&c, 2000) > 0)
		;
	HARNESS_ASSERT(&f, c.len == 0 || strncmp(c.buf, "HTTP/1.1 408 ", 13)
	    == 0, "answer \"%.100s\"", c.buf);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* keepalive_timeout = 1: an idle connection is closed. */
START_TEST(test_keepalive_timeout)
{
	static const char conf[] = "[server]\nkeepalive_timeout = 1\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 6000) == 1,
	    "an idle connection outlived keepalive_timeout");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* body_timeout = 1: a body that stops arriving ends the request (408 or a
   plain close) within a few seconds. */
START_TEST(test_body_timeout)
{
	static const char conf[] = "[server]\nbody_timeout = 1\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	long long		t0;
	int			closed;

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	/* env.sh reads the whole body before it writes anything. */
	hc_sendstr(&c, "POST /cgi-bin/env.sh HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 100\r\n\r\n0123456789");
	t0 = harness_now_ms();
	while (!c.eof && harness_now_ms() - t0 < 8000 && hc_fill(&c, 500) != 0)
		;
	closed = c.eof;
	HARNESS_ASSERT(&f, closed, "still open after %lld ms",
	    harness_now_ms() - t0);
	HARNESS_ASSERT(&f, harness_now_ms() - t0 < 6000, "closed after %lld "
	    "ms", harness_now_ms() - t0);
	HARNESS_ASSERT(&f, c.len == 0 || strncmp(c.buf, "HTTP/1.1 408 ", 13)
	    == 0, "answer \"%.100s\"", c.buf);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* write_timeout = 1: a client that stops reading a long response is
   disconnected, and the script does not run on. */
START_TEST(test_write_timeout)
{
	static const char conf[] = "[server]\nwrite_timeout = 1\n";
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	int			 rc;

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/bigout.sh?209715200 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	harness_sleep_ms(4000);
	rc = hc_read_response(&c, &r, 0);
	HARNESS_ASSERT(&f, rc == -1 && c.eof, "the response went on (%s, "
	    "%zu body bytes)", r.error, r.body_len);
	HARNESS_ASSERT(&f, r.body_len < 209715200, "%zu bytes", r.body_len);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* max_connections = 2: a third connection is not served while two are
   open, and is served once one closes. */
START_TEST(test_max_connections)
{
	static const char conf[] = "[server]\nmax_connections = 2\n";
	static const char req[] =
	    "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n";
	struct ferryd		f = { 0 };
	struct hc		c[3];
	struct hc_response	r;
	int			i;

	harness_start(&f, conf, NULL);
	for (i = 0; i < 2; i++) {
		hc_open(&c[i], &f);
		hc_sendstr(&c[i], req);
		hc_expect_response(&c[i], &r, 0);
		hc_response_free(&r);
	}
	hc_open(&c[2], &f);
	hc_sendstr(&c[2], req);
	HARNESS_ASSERT(&f, hc_quiet(&c[2], 700), "a third connection was "
	    "served beyond max_connections = 2");
	hc_close(&c[0]);
	hc_expect_response(&c[2], &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	hc_close(&c[1]);
	hc_close(&c[2]);
	harness_stop_ok(&f);
}
END_TEST

/* Out of fds (RLIMIT_NOFILE 64 and 100 idle clients): ferryd pauses
   accepting instead of spinning, and serves again once fds are free.
   Such a limit does not fit max_connections = 1000 at start (see
   test_nofile_too_low): it is lowered once ferryd runs. */
START_TEST(test_out_of_fds)
{
	static const char conf[] = "[server]\nmax_connections = 1000\n";
	struct ferryd		 f = { 0 };
	struct hc		 c[100], n;
	struct hc_response	 r;
	long long		 t0, t1, hz = sysconf(_SC_CLK_TCK);
	int			 i;

	harness_start(&f, conf, NULL);
	(void)harness_set_nofile(&f, 64);
	for (i = 0; i < 100; i++)
		hc_open(&c[i], &f);
	harness_sleep_ms(500);
	t0 = harness_cpu_ticks(f.pid);
	harness_sleep_ms(1000);
	t1 = harness_cpu_ticks(f.pid);
	HARNESS_ASSERT(&f, t0 >= 0 && t1 - t0 < hz / 2, "ferryd used %lld "
	    "of %lld ticks in 1 s out of fds: it spins", t1 - t0, hz);
	HARNESS_ASSERT(&f, !harness_exited(&f), "ferryd died out of fds");
	for (i = 0; i < 100; i++)
		hc_close(&c[i]);
	hc_open(&n, &f);
	n.timeout_ms = 15000;
	hc_sendstr(&n, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&n, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	hc_close(&n);
	harness_stop_ok(&f);
}
END_TEST

/* ---- RLIMIT_NOFILE at start (issue 14, item C) ---- */

/* A limit that max_connections does not fit in: ferryd does not start,
   and says with which numbers. */
START_TEST(test_nofile_too_low)
{
	static const char text[] = "[server]\nlisten = 127.0.0.1:1\n"
	    "max_connections = 1000\n";
	char		*dir, conf[512], *out = NULL;
	const char	*argv[] = { "/bin/sh", "-c",
	    "ulimit -n 64 && exec \"$0\" -c \"$1\" 2>&1", NULL, conf, NULL };
	int		 rc;

	argv[3] = harness_env_path("FERRYD");
	dir = harness_tmpdir("nofile", 0);
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dir);
	harness_write_file(conf, text, strlen(text), 0644);
	rc = harness_run(argv, &out, 10000);
	HARNESS_ASSERT(NULL, rc == 1 && out != NULL &&
	    strstr(out, "RLIMIT_NOFILE is 64 (hard limit 64)") != NULL &&
	    strstr(out, "1000 for max_connections") != NULL, "exit %d, "
	    "output: %s", rc, out != NULL ? out : "(none)");
	free(out);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* A soft limit of 64 under a hard one of 4096: ferryd raises its own to
   fit max_connections = 1000 and serves 100 idle clients and a request
   beside them; a script still gets the soft limit ferryd had. */
START_TEST(test_nofile_raised)
{
	static const char conf[] = "[server]\nmax_connections = 1000\n";
	struct ferryd		 f = { 0 };
	struct hc		 c[100], n;
	struct hc_response	 r;
	int			 i;

	f.nofile = 4096;
	f.nofile_soft = 64;
	harness_start(&f, conf, NULL);
	for (i = 0; i < 100; i++)
		hc_open(&c[i], &f);
	hc_open(&n, &f);
	hc_sendstr(&n, "GET /cgi-bin/nofile.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&n, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "64 4096\n") ==
	    0, "status %d, the script's limits: %s", r.status, r.body);
	hc_response_free(&r);
	hc_close(&n);
	for (i = 0; i < 100; i++)
		hc_close(&c[i]);
	harness_stop_ok(&f);
}
END_TEST

/* The soft limit scripts get is the one ferryd had at its start, also
   after a reload (whose check of the limits sees the raised one); a
   reload whose max_connections cannot fit the hard limit is refused, the
   running configuration kept. */
START_TEST(test_nofile_reload)
{
	static const char conf[] = "[server]\nmax_connections = 1000\n";
	static const char big[] = "[server]\nmax_connections = 10000\n";
	struct ferryd		 f = { 0 };
	struct hc_response	 r;

	f.nofile = 4096;
	f.nofile_soft = 64;
	harness_start(&f, conf, NULL);
	ck_assert_int_eq(kill(f.pid, SIGHUP), 0);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "configuration 2 in use", 1,
	    5000) == 1, "the reload was not done");
	hc_get(&f, "/cgi-bin/nofile.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "64 4096\n") ==
	    0, "status %d, the script's limits after a reload: %s", r.status,
	    r.body);
	hc_response_free(&r);
	harness_write_conf(&f, big);
	ck_assert_int_eq(kill(f.pid, SIGHUP), 0);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "reload failed: "
	    "configuration 2 stays in use", 1, 5000) == 1 &&
	    harness_log_count(&f, "10000 for max_connections") == 1,
	    "a reload past RLIMIT_NOFILE was not refused with its numbers");
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "after the refused reload: %d",
	    r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* ---- logs ---- */

/* The field after the last space of an access log line: the duration in
   microseconds.  Returns it, or -1 when it is not a number. */
static long long
log_duration(const char *line)
{
	const char		*e = strchr(line, '\n'), *sp;
	unsigned long long	 v = 0;

	if (e == NULL)
		e = line + strlen(line);
	for (sp = e; sp > line && sp[-1] != ' '; sp--)
		;
	if (sp == e)
		return -1;
	for (; sp < e; sp++) {
		if (*sp < '0' || *sp > '9' || v > 1000000000000ULL)
			return -1;
		v = v * 10 + (unsigned)(*sp - '0');
	}
	return (long long)v;
}

/* The access log gets one line per request, Combined Log Format (host,
   ident, user, [time], "request", status, body bytes, "referer",
   "user-agent") plus the duration in microseconds: for script responses,
   ferryd's own error responses and requests that did not parse. */
START_TEST(test_access_log)
{
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	char			*log = NULL, want[128];
	const char		*line;
	long long		 deadline, us;
	size_t			 nf_len;
	int			 i;

	harness_start(&f, NULL, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "/cgi-bin/query.sh?uniq-%d", i);
		hc_get(&f, want, &r);
		hc_response_free(&r);
	}
	hc_get(&f, "/cgi-bin/no-such.sh", &r);
	nf_len = r.body_len;
	hc_response_free(&r);
	hc_expect_error_close(&f, "GET /x HTTP/1.1\r\nHost : t\r\n\r\n", 29,
	    400);
	deadline = harness_now_ms() + 5000;
	for (;;) {
		free(log);
		log = harness_read_file(f.access_log, NULL);
		if ((log != NULL && harness_count(log, "\n") >= 5) ||
		    harness_now_ms() > deadline)
			break;
		harness_sleep_ms(50);
	}
	HARNESS_ASSERT(&f, log != NULL, "no access log");
	HARNESS_ASSERT(&f, harness_count(log, "\n") == 5, "want 5 lines:\n%s",
	    log);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "\"GET /cgi-bin/query.sh?uniq-%d "
		    "HTTP/1.1\" 200 6 \"-\" \"ferry-test\" ", i);
		line = harness_line_of(log, want);
		HARNESS_ASSERT(&f, line != NULL, "no line with %s in\n%s",
		    want, log);
		HARNESS_ASSERT(&f, strncmp(line, "127.0.0.1 - - [", 15) == 0,
		    "not Combined Log Format: %.200s", line);
		us = log_duration(line);
		HARNESS_ASSERT(&f, us >= 0 && us < 60000000LL, "duration "
		    "%lld us in %.200s", us, line);
	}
	snprintf(want, sizeof(want), "\"GET /cgi-bin/no-such.sh HTTP/1.1\" "
	    "404 %zu ", nf_len);
	line = harness_line_of(log, want);
	HARNESS_ASSERT(&f, line != NULL, "no line with %s (the 404's body "
	    "bytes) in\n%s", want, log);
	us = log_duration(line);
	HARNESS_ASSERT(&f, us >= 0 && us < 60000000LL, "duration %lld us in "
	    "%.200s", us, line);
	line = harness_line_of(log, "\" 400 ");
	HARNESS_ASSERT(&f, line != NULL, "no line for the 400 in\n%s", log);
	us = log_duration(line);
	HARNESS_ASSERT(&f, us >= 0 && us < 60000000LL, "duration %lld us in "
	    "%.200s", us, line);
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* A request whose client left before its answer is logged with status
   499 (as nginx logs it), the bytes sent (none) and the time from the
   request to the client's leaving. */
START_TEST(test_access_log_499)
{
	struct ferryd	 f = { 0 };
	struct hc	 c;
	char		 p[512], file[600], req[1024], want[700];
	char		*log;
	const char	*line;
	long long	 us;

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "g");
	snprintf(req, sizeof(req), "GET /cgi-bin/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	harness_read_pidfile(file, 5000);
	harness_sleep_ms(300);
	hc_close(&c);
	snprintf(want, sizeof(want), "\"GET /cgi-bin/sleeper.sh?%s HTTP/1.1\" "
	    "499 0 ", p);
	log = harness_wait_text(f.access_log, want, 5000);
	line = log != NULL ? harness_line_of(log, want) : NULL;
	HARNESS_ASSERT(&f, line != NULL, "no line with %s in\n%s", want,
	    log != NULL ? log : "(no access log)");
	us = log_duration(line);
	HARNESS_ASSERT(&f, us >= 300000 && us < 60000000LL, "duration %lld us "
	    "(the client left after 300 ms or more): %.300s", us, line);
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* A client that leaves after part of the answer came: 499 too, with the
   body bytes sent until then (gate.sh's "first\n"), as nginx logs it. */
START_TEST(test_access_log_499_partial)
{
	struct ferryd	 f = { 0 };
	struct hc	 c;
	char		 p[512], req[1024], want[700];
	char		*log;

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "g");
	snprintf(req, sizeof(req), "GET /cgi-bin/gate.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	while (strstr(c.buf != NULL ? c.buf : "", "first\n") == NULL)
		HARNESS_ASSERT(&f, hc_fill(&c, 5000) > 0, "no first line: "
		    "\"%.300s\"", c.buf != NULL ? c.buf : "");
	hc_close(&c);
	snprintf(want, sizeof(want), "\"GET /cgi-bin/gate.sh?%s HTTP/1.1\" "
	    "499 6 ", p);
	log = harness_wait_text(f.access_log, want, 5000);
	HARNESS_ASSERT(&f, log != NULL && harness_line_of(log, want) != NULL,
	    "no line with %s in\n%s", want, log != NULL ? log :
	    "(no access log)");
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* Twenty requests pipelined in one write: the access log lines (gathered
   and written together) are all there, whole and in order. */
START_TEST(test_access_log_batch)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	char			 req[4096], want[96], *log = NULL;
	const char		*p;
	long long		 deadline;
	size_t			 len = 0;
	int			 i;

	harness_start(&f, NULL, NULL);
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(req + len, sizeof(req) - len,
		    "GET /cgi-bin/query.sh?batch-%02d HTTP/1.1\r\n"
		    "Host: t\r\n\r\n", i);
	hc_open(&c, &f);
	hc_send(&c, req, len);
	for (i = 0; i < 20; i++) {
		hc_expect_response(&c, &r, 0);
		ck_assert_int_eq(r.status, 200);
		hc_response_free(&r);
	}
	hc_close(&c);
	deadline = harness_now_ms() + 5000;
	for (;;) {
		free(log);
		log = harness_read_file(f.access_log, NULL);
		if ((log != NULL && harness_count(log, "\n") >= 20) ||
		    harness_now_ms() > deadline)
			break;
		harness_sleep_ms(50);
	}
	HARNESS_ASSERT(&f, log != NULL && harness_count(log, "\n") == 20,
	    "want 20 lines:\n%s", log == NULL ? "(none)" : log);
	for (i = 0, p = log; i < 20; i++) {
		snprintf(want, sizeof(want), "\"GET /cgi-bin/query.sh?batch-%02d "
		    "HTTP/1.1\" 200 ", i);
		p = strstr(p, want);
		HARNESS_ASSERT(&f, p != NULL, "no line %d in order:\n%s", i,
		    log);
	}
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* --access-log off: no access log anywhere, the error log goes on. */
START_TEST(test_access_log_off)
{
	const char *const	 argv[] = { "--access-log", "off", NULL };
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	char			*out;

	harness_start(&f, NULL, argv);
	hc_get(&f, "/cgi-bin/query.sh?quiet", &r);
	ck_assert_int_eq(r.status, 200);
	hc_response_free(&r);
	hc_expect_error_close(&f, "GET /x HTTP/1.1\r\nHost : t\r\n\r\n", 29,
	    400);
	harness_stop_ok(&f);
	HARNESS_ASSERT(&f, access(f.access_log, F_OK) == -1,
	    "an access log was written");
	HARNESS_ASSERT(&f, access("off", F_OK) == -1, "a file named off");
	out = harness_read_file(f.stderr_log, NULL);
	HARNESS_ASSERT(&f, out == NULL || strstr(out, "query.sh") == NULL,
	    "access line on stderr: %s", out);
	free(out);
	out = harness_read_file(f.error_log, NULL);
	HARNESS_ASSERT(&f, out != NULL && strstr(out, "stopped") != NULL,
	    "no error log");
	free(out);
}
END_TEST

/* SIGUSR1 reopens the logs: after a rename, new lines go to a new file. */
START_TEST(test_reopen_logs)
{
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	char			 old[400], *log = NULL;
	long long		 deadline;

	harness_start(&f, NULL, NULL);
	hc_get(&f, "/cgi-bin/query.sh?before", &r);
	hc_response_free(&r);
	snprintf(old, sizeof(old), "%s.1", f.access_log);
	ck_assert_int_eq(rename(f.access_log, old), 0);
	kill(f.pid, SIGUSR1);
	deadline = harness_now_ms() + 5000;
	while (harness_now_ms() < deadline) {
		hc_get(&f, "/cgi-bin/query.sh?after", &r);
		hc_response_free(&r);
		free(log);
		if ((log = harness_read_file(f.access_log, NULL)) != NULL &&
		    strstr(log, "query.sh?after") != NULL)
			break;
		harness_sleep_ms(100);
	}
	HARNESS_ASSERT(&f, log != NULL && strstr(log, "query.sh?after"),
	    "no new access log after SIGUSR1");
	HARNESS_ASSERT(&f, strstr(log, "query.sh?before") == NULL,
	    "old lines in the new log");
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* ---- fds and listeners ---- */

/* No fd of ferryd leaks into a script: ls in the script sees 0, 1, 2 and
   its own directory fd, with other clients connected; stdin is a pipe
   with a body and /dev/null without one. */
START_TEST(test_no_fd_leak)
{
	struct ferryd		f = { 0 };
	struct hc		idle[3], c;
	struct hc_response	r;
	int			i;

	harness_start(&f, NULL, NULL);
	for (i = 0; i < 3; i++) {
		hc_open(&idle[i], &f);
		hc_sendstr(&idle[i], "GET /cgi-bin/hello.sh HTTP/1.1\r\n"
		    "Host: t\r\n\r\n");
		hc_expect_response(&idle[i], &r, 0);
		hc_response_free(&r);
	}
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /cgi-bin/fds.sh HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, count_fd_lines(r.body) == 4, "the script has "
	    "%d fds open, want 4 (0, 1, 2 and ls's own):\n%s",
	    count_fd_lines(r.body), r.body);
	HARNESS_ASSERT(&f, strstr(r.body, " 0 -> pipe:") != NULL,
	    "a body comes on a pipe:\n%s", r.body);
	hc_response_free(&r);
	/* Without a body, stdin is /dev/null (EOF at once), not a pipe. */
	hc_sendstr(&c, "GET /cgi-bin/fds.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, count_fd_lines(r.body) == 4, "the script has "
	    "%d fds open, want 4:\n%s", count_fd_lines(r.body), r.body);
	HARNESS_ASSERT(&f, strstr(r.body, " 0 -> /dev/null") != NULL,
	    "stdin without a body:\n%s", r.body);
	hc_response_free(&r);
	hc_close(&c);
	for (i = 0; i < 3; i++)
		hc_close(&idle[i]);
	harness_stop_ok(&f);
}
END_TEST

/* An fd ferryd inherited (open in whoever started it, without
   close-on-exec) is closed at start: it does not reach a script. */
START_TEST(test_inherited_fd_closed)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;
	int			fd;

	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(dup2(fd, 37), 37);	/* no FD_CLOEXEC */
	close(fd);
	harness_start(&f, NULL, NULL);
	close(37);
	hc_get(&f, "/cgi-bin/fds.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, count_fd_lines(r.body) == 4 &&
	    strstr(r.body, " 37 -> ") == NULL, "an inherited fd reached the "
	    "script:\n%s", r.body);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* unix:PATH mode=0600: the socket file gets that mode; a second ferryd on
   the same path, while the first serves there, refuses to start (it does
   not steal the address), and the first still serves. */
START_TEST(test_listen_unix_mode_live)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	struct stat		 st;
	char			*d, sock[512], spec[600];
	const char		*extra[3];
	const char		*ferryd = harness_env_path("FERRYD");
	pid_t			 pid;
	int			 st2 = 0, waited = 0;

	d = harness_tmpdir("unixm", 0);
	snprintf(sock, sizeof(sock), "%s/ferryd.sock", d);
	snprintf(spec, sizeof(spec), "unix:%s mode=0600", sock);
	extra[0] = "--listen";
	extra[1] = spec;
	extra[2] = NULL;
	harness_start(&f, NULL, extra);
	HARNESS_ASSERT(&f, stat(sock, &st) == 0 && (st.st_mode & 07777) ==
	    0600, "socket mode %o, want 600", (unsigned)(st.st_mode & 07777));
	if ((pid = fork()) == 0) {
		int	null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(ferryd, "ferryd", "--listen", spec,
		    "--error-log", "/dev/null", (char *)NULL);
		_exit(127);
	}
	while (waited < 5000 && waitpid(pid, &st2, WNOHANG) == 0) {
		harness_sleep_ms(20);
		waited += 20;
	}
	if (waited >= 5000) {
		kill(pid, SIGKILL);
		waitpid(pid, &st2, 0);
	}
	HARNESS_ASSERT(&f, waited < 5000 && WIFEXITED(st2) &&
	    WEXITSTATUS(st2) != 0, "a second ferryd started on a live "
	    "socket's path");
	hc_open_unix(&c, &f, sock);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "the first ferryd: status %d",
	    r.status);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
	unlink(sock);
	rmdir(d);
	free(d);
}
END_TEST

/* Connects to 127.0.0.1:port within 5 s; the fd, or -1. */
static int
sd_connect(int port)
{
	struct sockaddr_in	sin;
	long long		deadline = harness_now_ms() + 5000;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (harness_now_ms() < deadline) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		close(fd);
		harness_sleep_ms(20);
	}
	return -1;
}

/* Starts ferryd under systemd-socket-activate, which binds 127.0.0.1:port
   and passes it as fd 3, with NOTIFY_SOCKET set; f is filled enough for
   hc_* and harness_stop.  Returns once the port takes connections (the
   first one, held open as *first, makes systemd-socket-activate start
   ferryd). */
static void
sd_start(struct ferryd *f, int port, const char *listen, const char *notify,
    int *first)
{
	char	lspec[64], cgi[600];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", notify);
	*strrchr(f->dir, '/') = '\0';
	snprintf(f->error_log, sizeof(f->error_log), "%s/error.log", f->dir);
	snprintf(f->stderr_log, sizeof(f->stderr_log), "%s/stderr.log",
	    f->dir);
	snprintf(f->access_log, sizeof(f->access_log), "%s/access.log",
	    f->dir);
	snprintf(lspec, sizeof(lspec), "127.0.0.1:%d", port);
	snprintf(cgi, sizeof(cgi), "/cgi-bin/=%s",
	    harness_env_path("FERRY_TEST_CGI_BIN"));
	f->port = port;
	if ((f->pid = fork()) == 0) {
		int	fd = open(f->stderr_log, O_WRONLY | O_CREAT | O_TRUNC,
			    0644);

		dup2(fd, 1);
		dup2(fd, 2);
		setenv("NOTIFY_SOCKET", notify, 1);
		execlp("systemd-socket-activate", "systemd-socket-activate",
		    "-l", lspec, "-E", "NOTIFY_SOCKET",
		    harness_env_path("FERRYD"), "--listen",
		    listen, "--cgi", cgi, "--user", harness_user(), "--error-log",
		    f->error_log, "--access-log", f->access_log,
		    (char *)NULL);
		_exit(127);
	}
	*first = sd_connect(port);
}

/*
 * systemd: ferryd started by systemd-socket-activate serves on the socket
 * it is passed (fd 3, LISTEN_FDS) and tells NOTIFY_SOCKET READY=1 once
 * serving and STOPPING=1 at SIGTERM; a passed socket that no listen entry
 * names stops the start.
 */
START_TEST(test_socket_activation)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			*d, notify[512], msg[512], other[64];
	int			 nfd, nfd2 = -1, st = 0;
	int			 port = harness_free_port();
	long long		 deadline;

	d = harness_tmpdir("sd", 0);
	snprintf(notify, sizeof(notify), "%s/notify", d);
	nfd = harness_notify_socket(notify);

	snprintf(other, sizeof(other), "127.0.0.1:%d", port);
	sd_start(&f, port, other, notify, &nfd2);
	HARNESS_ASSERT(&f, nfd2 != -1, "systemd-socket-activate did not "
	    "listen on port %d", port);
	close(nfd2);
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "on the passed socket: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	harness_notify_recv(nfd, msg, sizeof(msg), 10000);
	HARNESS_ASSERT(&f, strstr(msg, "READY=1") != NULL, "no READY=1 on "
	    "NOTIFY_SOCKET (got \"%s\")", msg);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "a socket passed to ferryd",
	    1, 1000) == 1, "the passed socket was not logged");
	kill(f.pid, SIGTERM);
	harness_notify_recv(nfd, msg, sizeof(msg), 5000);
	HARNESS_ASSERT(&f, strstr(msg, "STOPPING=1") != NULL, "no STOPPING=1 "
	    "at SIGTERM (got \"%s\")", msg);
	harness_stop_ok(&f);

	/* A passed socket no listen entry names: no start. */
	snprintf(other, sizeof(other), "127.0.0.1:%d", harness_free_port());
	sd_start(&f, port, other, notify, &nfd2);
	deadline = harness_now_ms() + 10000;
	while (waitpid(f.pid, &st, WNOHANG) == 0 &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(20);
	f.reaped = 1;
	HARNESS_ASSERT(&f, WIFEXITED(st) && WEXITSTATUS(st) != 0,
	    "ferryd started with a passed socket it has no listen entry for");
	HARNESS_ASSERT(&f, harness_log_count(&f, "no listen entry") >= 1,
	    "the unmatched socket was not named");
	if (nfd2 != -1)
		close(nfd2);
	close(nfd);
	unlink(notify);
	free(d);
}
END_TEST

/* pid_file: written with ferryd's pid once it listens, removed at its
   stop. */
START_TEST(test_pid_file)
{
	struct ferryd	 f = { 0 };
	char		 path[400], *pid;

	harness_start(&f, "[server]\npid_file = @DIR@/ferryd.pid\n", NULL);
	snprintf(path, sizeof(path), "%s/ferryd.pid", f.dir);
	pid = harness_read_file(path, NULL);
	HARNESS_ASSERT(&f, pid != NULL && strtol(pid, NULL, 10) == f.pid,
	    "pid_file holds \"%s\", want %d", pid != NULL ? pid : "(none)",
	    (int)f.pid);
	free(pid);
	harness_stop_ok(&f);
	HARNESS_ASSERT(&f, access(path, F_OK) == -1, "the pid file is still "
	    "there after the stop");
}
END_TEST

/* --listen unix:PATH and [::1]:PORT serve like the TCP listener. */
START_TEST(test_listen_other)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	char			*d, sock[512], l6[64];
	const char		*extra[5];
	int			 port6 = harness_free_port6(), n = 0;

	d = harness_tmpdir("unix", 0);
	snprintf(sock, sizeof(sock), "unix:%s/ferryd.sock", d);
	extra[n++] = "--listen";
	extra[n++] = sock;
	if (port6 > 0) {
		snprintf(l6, sizeof(l6), "[::1]:%d", port6);
		extra[n++] = "--listen";
		extra[n++] = l6;
	}
	extra[n] = NULL;
	harness_start(&f, NULL, extra);
	hc_open_unix(&c, &f, sock + 5);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "unix: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	if (port6 > 0) {
		hc_open_ipv6(&c, &f, port6);
		hc_sendstr(&c, "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: t\r\n\r\n");
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 200, "ipv6: %d", r.status);
		hc_expect_env(&f, &r, "REMOTE_ADDR", "::1");
		hc_response_free(&r);
		hc_close(&c);
	}
	harness_stop_ok(&f);
	harness_rmtree(d);
	free(d);
}
END_TEST

static Suite *
lifecycle_suite(void)
{
	Suite	*s = suite_create("lifecycle");
	TCase	*tc;

	tc = tcase_create("stop");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_graceful_stop);
	tcase_add_test(tc, test_stop_idle);
	tcase_add_test(tc, test_stop_new_connection);
	tcase_add_test(tc, test_stop_deadline);
	tcase_add_test(tc, test_stop_sigint);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_slowloris);
	tcase_add_test(tc, test_keepalive_timeout);
	tcase_add_test(tc, test_body_timeout);
	tcase_add_test(tc, test_write_timeout);
	tcase_add_test(tc, test_max_connections);
	tcase_add_test(tc, test_nofile_too_low);
	tcase_add_test(tc, test_nofile_raised);
	tcase_add_test(tc, test_nofile_reload);
	tcase_add_test(tc, test_out_of_fds);
	suite_add_tcase(s, tc);

	tc = tcase_create("logs");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_access_log);
	tcase_add_test(tc, test_access_log_499);
	tcase_add_test(tc, test_access_log_499_partial);
	tcase_add_test(tc, test_access_log_batch);
	tcase_add_test(tc, test_access_log_off);
	tcase_add_test(tc, test_reopen_logs);
	suite_add_tcase(s, tc);

	tc = tcase_create("fds");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_inherited_fd_closed);
	tcase_add_test(tc, test_listen_unix_mode_live);
	tcase_add_test(tc, test_socket_activation);
	tcase_add_test(tc, test_pid_file);
	tcase_add_test(tc, test_listen_other);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(lifecycle_suite(), "ferry-lifecycle");
}
