/*
 * Black-box tests of the small holes of issue 14, item F, against a real
 * ferryd with real scripts and FastCGI workers: prefixes on segment
 * boundaries, max_target_length above max_header_size, a fragment in the
 * target, the 413 that lingers, a chunk size over max_body_size refused
 * on its size line, a local redirect's Location grammar, an app's stderr
 * rate-limited, and spare memory given back after a burst.
 */
#include "config.h"

#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define BURST	100	/* server/limits.h CHILD_LOG_BURST */

static Suite	*edges_suite(void);
static void	 start_responder(struct ferryd *, const char *, const char *);
static int	 sum_dropped(const struct ferryd *, const char *);
static int	 error_log_count(const struct ferryd *, const char *);

/* How many times needle is in the whole error log (harness_log_count
   sees its tail only). */
static int
error_log_count(const struct ferryd *f, const char *needle)
{
	char	*log = harness_read_file(f->error_log, NULL);
	int	 n = log != NULL ? harness_count(log, needle) : 0;

	free(log);
	return n;
}

/* ferryd with a FastCGI app at prefix running tests/fcgi-apps/responder
   (one worker), server as more [server] lines. */
static void
start_responder(struct ferryd *f, const char *server, const char *prefix)
{
	char	program[1024];

	snprintf(program, sizeof(program), "%s/responder",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	harness_start_fcgi(f, server, prefix, program, "workers = 1\n");
}

/* The sum of N over the error log's "NAME[PID]: ... dropped N lines"
   whose line holds name. */
static int
sum_dropped(const struct ferryd *f, const char *name)
{
	char		*log = harness_read_file(f->error_log, NULL);
	const char	*p, *line;
	int		 sum = 0, n;

	for (p = log; p != NULL && (p = strstr(p, "... dropped ")) != NULL;
	    p++) {
		for (line = p; line > log && line[-1] != '\n'; line--)
			;
		if (strstr(line, name) == NULL || strstr(line, name) > p)
			continue;
		if (sscanf(p, "... dropped %d lines", &n) == 1)
			sum += n;
	}
	free(log);
	return sum;
}

/* ---- routing ---- */

struct prefix_case {
	const char	*what;
	const char	*target;
	int		 status;
	const char	*path_info;	/* NULL: not checked */
};

/* A FastCGI prefix without its trailing slash ("/app") matches on a
   segment boundary (RFC 3875 4.1.5: PATH_INFO starts with '/'). */
static const struct prefix_case prefix_cases[] = {
	{ "below", "/app/q?env", 200, "/q" },
	{ "deeper", "/app/x/y?env", 200, "/x/y" },
	{ "itself", "/app?env", 200, NULL },
	/* Was 200 with PATH_INFO "XYZ/q". */
	{ "glued", "/appXYZ/q?env", 404, NULL },
	{ "glued name", "/apple?env", 404, NULL },
};

START_TEST(test_prefix_segment)
{
	const struct prefix_case	*t = &prefix_cases[_i];
	struct ferryd			 f;
	struct hc_response		 r;

	start_responder(&f, NULL, "/app");
	hc_get(&f, t->target, &r);
	HARNESS_ASSERT(&f, r.status == t->status, "%s: %s: status %d, want "
	    "%d; body:\n%s", t->what, t->target, r.status, t->status, r.body);
	if (t->status == 200) {
		hc_expect_env(&f, &r, "SCRIPT_NAME", "/app");
		if (t->path_info != NULL)
			hc_expect_env(&f, &r, "PATH_INFO", t->path_info);
	}
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* ---- request targets ---- */

/* GETs /cgi-bin/query.sh?QQQ... with a target of tlen bytes. */
static char *
long_target_request(size_t tlen, size_t *len)
{
	static const char	 pre[] = "GET /cgi-bin/query.sh?";
	static const char	 post[] = " HTTP/1.1\r\nHost: t\r\n\r\n";
	char			*req;
	size_t			 plen = sizeof(pre) - 1 - 4;

	if ((req = malloc(4 + tlen + sizeof(post))) == NULL)
		abort();
	memcpy(req, pre, sizeof(pre) - 1);
	memset(req + sizeof(pre) - 1, 'q', tlen - plen);
	memcpy(req + 4 + tlen, post, sizeof(post));
	*len = 4 + tlen + sizeof(post) - 1;
	return req;
}

/* max_target_length above max_header_size works as documented: a target
   within it is served (was 431), one over it is 414 at once (was 408
   after header_timeout, the input buffer full). */
START_TEST(test_target_over_header_size)
{
	static const char conf[] = "[server]\nmax_target_length = 64K\n"
	    "header_timeout = 60\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			*req;
	size_t			 len;

	harness_start(&f, conf, NULL);
	/* 17,000 and 60,000 bytes: within 64K, over the default 16K. */
	req = long_target_request(17000, &len);
	hc_open(&c, &f);
	hc_send(&c, req, len);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "17000-byte target: status %d",
	    r.status);
	HARNESS_ASSERT(&f, r.body_len == 17000 - 22 + 4, "body of %zu bytes",
	    r.body_len);
	hc_response_free(&r);
	free(req);
	/* Then a 60,000-byte one on the same connection. */
	req = long_target_request(60000, &len);
	hc_send(&c, req, len);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "60000-byte target: status %d",
	    r.status);
	hc_response_free(&r);
	hc_close(&c);
	free(req);
	/* 70,000 bytes: over 64K. */
	req = long_target_request(70000, &len);
	hc_expect_error_close(&f, req, len, 414);
	free(req);
	harness_stop_ok(&f);
}
END_TEST

/* A fragment is no part of a request-target (RFC 9112 3.2): '#' is 400
   (was 404, "hello.sh#x" taken as a script name). */
START_TEST(test_fragment_400)
{
	static const char req[] =
	    "GET /cgi-bin/hello.sh#x HTTP/1.1\r\nHost: t\r\n\r\n";
	struct ferryd	f = { 0 };

	harness_start(&f, NULL, NULL);
	hc_expect_error_close(&f, req, sizeof(req) - 1, 400);
	harness_stop_ok(&f);
}
END_TEST

/* ---- request bodies ---- */

/* A 413 for a Content-Length over max_body_size lingers as a 400 does:
   the body the client goes on sending is read, not answered with a
   reset (was: closed at once, a RST for the next bytes). */
START_TEST(test_413_lingers)
{
	static const char conf[] = "[server]\nmax_body_size = 1000\n";
	static const char head[] = "POST /cgi-bin/echo.sh HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: 100000\r\n\r\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			body[4096];
	int			err = 0;
	socklen_t		elen = sizeof(err);

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, head);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 413, "status %d", r.status);
	HARNESS_ASSERT(&f, hc_header_has_token(&r, "Connection", "close"),
	    "a 413 must carry Connection: close");
	hc_response_free(&r);
	/* The client, not waiting for 100-continue, sends its body on. */
	memset(body, 'b', sizeof(body));
	HARNESS_ASSERT(&f, hc_try_send(&c, body, sizeof(body)) == 0,
	    "first body bytes refused: %s", strerror(errno));
	harness_sleep_ms(300);
	HARNESS_ASSERT(&f, getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err,
	    &elen) == 0, "SO_ERROR: %s", strerror(errno));
	HARNESS_ASSERT(&f, err == 0, "the connection was reset after the "
	    "413 (%s): no lingering close", strerror(err));
	/* It ends with an orderly close, nothing more sent. */
	hc_shutdown_write(&c);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1 && !c.reset,
	    "no orderly close after the 413 (%zu bytes, reset %d)", c.len,
	    c.reset);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A chunk size far beyond max_body_size is 413 as soon as its size line
   is read, its data never awaited (was: accepted, the connection waiting
   for 64 MB or the body timeout). */
START_TEST(test_chunk_size_413)
{
	static const char huge[] = "POST /cgi-bin/echo.sh HTTP/1.1\r\n"
	    "Host: t\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "ffffffffffffffff\r\n";
	static const char over[] = "POST /cgi-bin/echo.sh HTTP/1.1\r\n"
	    "Host: t\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n3e9\r\n";
	static const char conf[] = "[server]\nmax_body_size = 1000\n"
	    "body_timeout = 60\n";
	struct ferryd	f = { 0 };

	harness_start(&f, NULL, NULL);
	hc_expect_error_close(&f, huge, sizeof(huge) - 1, 413);
	harness_stop_ok(&f);
	/* 5 + 0x3e9 (1001) bytes announced: one over a 1000-byte limit. */
	harness_start(&f, conf, NULL);
	hc_expect_error_close(&f, over, sizeof(over) - 1, 413);
	harness_stop_ok(&f);
}
END_TEST

/* The same for a chunked body passed on raw to a libferry worker (which
   decodes it itself): the master still judges the size lines. */
START_TEST(test_chunk_size_413_raw)
{
	static const char huge[] = "POST /n/echo HTTP/1.1\r\n"
	    "Host: t\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\nffffffffffffffff\r\n";
	struct ferryd	f;
	char		conf[2048];

	snprintf(conf, sizeof(conf),
	    "[server]\n"
	    "body_timeout = 60\n"
	    "[app notify]\n"
	    "type = fastcgi\n"
	    "prefix = /n/\n"
	    "command = %s/notifyapp\n"
	    "args = --log @DIR@/notify.log\n"
	    "workers = 1\n", harness_env_path("FERRY_TEST_FERRY_APPS"));
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	hc_expect_error_close(&f, huge, sizeof(huge) - 1, 413);
	harness_stop_ok(&f);
}
END_TEST

/* ---- app responses ---- */

/* A local redirect (RFC 3875 6.2.2) is followed only to a local-pathquery:
   a Location with a space or a '#' is the app's error, 502 (was
   followed, query.sh answering "a b"). */
static const struct hc_get_case redirect_cases[] = {
	{ "space", "/cgi-bin/redirect-bad.sh?space", { .status = 502,
	  .body_lacks = "a b" } },
	{ "hash", "/cgi-bin/redirect-bad.sh?hash", { .status = 502 } },
	{ "good", "/cgi-bin/redirect-bad.sh?good", { .status = 200,
	  .body = "a%20b" } },
};

START_TEST(test_redirect_location)
{
	struct ferryd	f = { 0 };

	harness_start(&f, NULL, NULL);
	hc_get_check(&f, &redirect_cases[_i]);
	harness_stop_ok(&f);
}
END_TEST

/* A script's flood of stderr lines is rate-limited: a burst of lines is
   logged, the rest dropped and counted, logged and dropped adding up to
   what it wrote (was: every line logged). */
START_TEST(test_stderr_flood_cgi)
{
	static const char conf[] = "[server]\nlog_level = info\n";
	struct ferryd		f = { 0 };
	struct hc_response	r;
	int			logged, dropped;

	harness_start(&f, conf, NULL);
	hc_get(&f, "/cgi-bin/stderr-flood.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "... dropped ", 1, 10000) >= 1,
	    "no \"... dropped N lines\" logged");
	logged = error_log_count(&f, "ferry-flood ");
	dropped = sum_dropped(&f, "stderr-flood.sh");
	HARNESS_ASSERT(&f, logged >= BURST && logged < 1000, "%d lines "
	    "logged", logged);
	HARNESS_ASSERT(&f, logged + dropped == 1000, "%d logged + %d dropped, "
	    "not the 1000 written", logged, dropped);
	harness_stop_ok(&f);
}
END_TEST

/* The same for a FastCGI worker's FCGI_STDERR, the count said when the
   request ends. */
START_TEST(test_stderr_flood_fcgi)
{
	struct ferryd		f;
	struct hc_response	r;
	char			target[4096];
	size_t			n = 0;
	int			i, logged, dropped;

	start_responder(&f, NULL, "/app");
	n = (size_t)snprintf(target, sizeof(target), "/app?");
	for (i = 0; i < 150; i++)
		n += (size_t)snprintf(target + n, sizeof(target) - n,
		    "%sstderr=ferry-fl", i > 0 ? "&" : "");
	hc_get(&f, target, &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "... dropped ", 1, 10000) >= 1,
	    "no \"... dropped N lines\" logged");
	logged = error_log_count(&f, "ferry-fl\n");
	dropped = sum_dropped(&f, "]: ... dropped");
	HARNESS_ASSERT(&f, logged >= BURST && logged < 150, "%d lines logged",
	    logged);
	HARNESS_ASSERT(&f, logged + dropped == 150, "%d logged + %d dropped, "
	    "not the 150 written", logged, dropped);
	harness_stop_ok(&f);
}
END_TEST

/* ---- memory ---- */

/* After a burst of connections, the spare connection records are
   released once the server is idle, and it serves on after it. */
START_TEST(test_idle_trim)
{
	static const char conf[] = "[server]\nlog_level = debug\n";
	struct ferryd		f = { 0 };
	struct hc		c[40];
	struct hc_response	r;
	size_t			i;

	harness_start(&f, conf, NULL);
	/* Answered by the server itself (no app at "/"). */
	for (i = 0; i < 40; i++) {
		hc_open(&c[i], &f);
		hc_send_get(&c[i], "/none");
	}
	for (i = 0; i < 40; i++) {
		hc_expect_response(&c[i], &r, 0);
		HARNESS_ASSERT(&f, r.status == 404, "status %d", r.status);
		hc_response_free(&r);
		hc_close(&c[i]);
	}
	HARNESS_ASSERT(&f, harness_wait_log(&f, "spare connections released",
	    1, 20000) == 1, "spare connections not released after idle");
	HARNESS_ASSERT(&f, harness_log_count(&f, "idle: 0 spare") == 0,
	    "no spare connection to release after a burst of 40");
	/* New records for the next requests; released again after. */
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "after the trim: status %d", r.status);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "spare connections released",
	    2, 20000) == 2, "not released again after the next request");
	harness_stop_ok(&f);
}
END_TEST

#ifndef __SANITIZE_ADDRESS__
/* ferryd's resident set in KiB (VmRSS), or -1. */
static long
rss_kib(pid_t pid)
{
	char	 path[64], *st, *p;
	long	 kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((st = harness_read_file(path, NULL)) == NULL)
		return -1;
	if ((p = strstr(st, "VmRSS:")) != NULL)
		kib = strtol(p + 6, NULL, 10);
	free(st);
	return kib;
}

/* The memory of a burst goes back to the system once the server is idle
   (the trim's malloc_trim(3): freeing the spare records alone left about
   15 of 20 MB resident after 1,000 connections).  300 clients each hold
   12 KB of an unfinished request head, then leave; after the trim the
   resident set has given back at least three quarters of what the burst
   took.
   glibc's heap only: ASan's allocator does not answer malloc_trim. */
START_TEST(test_idle_trim_rss)
{
	static const char conf[] = "[server]\nlog_level = debug\n"
	    "access_log = off\n";
	enum { N = 300, HEAD = 12000 };
	struct ferryd	 f = { 0 };
	struct hc	*c;
	char		*head;
	long		 base, burst, now, idle;
	size_t		 i;
	int		 trims;

	c = calloc(N, sizeof(*c));
	head = malloc(HEAD + 64);
	ck_assert(c != NULL && head != NULL);
	i = (size_t)snprintf(head, 64, "GET /none HTTP/1.1\r\nHost: t\r\nX: ");
	memset(head + i, 'a', HEAD);
	head[i + HEAD] = '\0';
	harness_start(&f, conf, NULL);
	base = rss_kib(f.pid);
	for (i = 0; i < N; i++) {
		hc_open(&c[i], &f);
		hc_sendstr(&c[i], head);
	}
	/* Every head read in: the resident set stops growing. */
	for (burst = base, i = 0; i < 100; i++) {
		harness_sleep_ms(100);
		if ((now = rss_kib(f.pid)) <= burst && burst - base > 2048)
			break;
		burst = now > burst ? now : burst;
	}
	trims = harness_log_count(&f, "spare connections released");
	for (i = 0; i < N; i++)
		hc_close(&c[i]);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "spare connections released",
	    trims + 1, 20000) == trims + 1, "spare connections not released "
	    "after idle");
	idle = rss_kib(f.pid);
	HARNESS_ASSERT(&f, base > 0 && burst - base > 2048, "the burst took "
	    "%ld KiB (from %ld): too little to judge", burst - base, base);
	HARNESS_ASSERT(&f, idle - base < (burst - base) / 4, "resident %ld "
	    "KiB before the burst, %ld during it, %ld after the trim",
	    base, burst, idle);
	free(head);
	free(c);
	harness_stop_ok(&f);
}
END_TEST
#endif

static Suite *
edges_suite(void)
{
	Suite	*s = suite_create("edges");
	TCase	*tc;

	tc = tcase_create("routing");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_prefix_segment, 0,
	    (int)(sizeof(prefix_cases) / sizeof(prefix_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_target_over_header_size);
	tcase_add_test(tc, test_fragment_400);
	tcase_add_test(tc, test_413_lingers);
	tcase_add_test(tc, test_chunk_size_413);
	tcase_add_test(tc, test_chunk_size_413_raw);
	suite_add_tcase(s, tc);

	tc = tcase_create("apps");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_redirect_location, 0,
	    (int)(sizeof(redirect_cases) / sizeof(redirect_cases[0])));
	tcase_add_test(tc, test_stderr_flood_cgi);
	tcase_add_test(tc, test_stderr_flood_fcgi);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_idle_trim);
#ifndef __SANITIZE_ADDRESS__
	tcase_add_test(tc, test_idle_trim_rss);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(edges_suite(), "ferry-edges");
}
