/*
 * Hijack across the process boundary (doc/ARCHITECTURE.md, "Hijack rules"),
 * ported from Go's serve_test.go where named, against a real ferryd and a
 * real libferry app, tests/ferry-apps/hijackapp.c (its top comment lists
 * what each path does).  The app writes its own HTTP/1.0 answers on the
 * hijacked socket, so what the client reads proves where the bytes went.
 */
#include "config.h"

#include <sys/socket.h>

#include <dirent.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static void	hj_start(struct ferryd *, const char *);
static void	hj_start_listen(struct ferryd *, const char *);
static void	hj_read_head(struct hc *, const struct ferryd *);
static void	hj_read_to_eof(struct hc *, const struct ferryd *);
static char	*hj_header(struct hc *, const char *);
static void	hj_wait_log(const struct ferryd *, const char *);
static char	*hj_wait_line(const struct ferryd *, const char *);
static Suite	*hijack_suite(void);

/* Starts ferryd with the hijack app at /h/ (one worker) and conf_text. */
static void
hj_start(struct ferryd *f, const char *conf_text)
{
	harness_start_app(f, conf_text, "/h",
	    harness_env_path("FERRY_TEST_HIJACK_APP"), NULL);
}

/* As hj_start, also listening on the Unix socket at path. */
static void
hj_start_listen(struct ferryd *f, const char *path)
{
	char	listen[600];

	snprintf(listen, sizeof(listen), "unix:%s", path);
	harness_start_app(f, NULL, "/h",
	    harness_env_path("FERRY_TEST_HIJACK_APP"), listen);
}

/* Reads until the buffered input holds a whole head (CRLF CRLF). */
static void
hj_read_head(struct hc *c, const struct ferryd *f)
{
	while (c->len < 4 || memmem(c->buf, c->len, "\r\n\r\n", 4) == NULL) {
		HARNESS_ASSERT(f, hc_fill(c, 10000) > 0,
		    "no whole head; have %zu bytes: %.*s", c->len,
		    (int)c->len, c->buf != NULL ? c->buf : "");
	}
}

/* Reads until the peer closes (fails after 10 s). */
static void
hj_read_to_eof(struct hc *c, const struct ferryd *f)
{
	ssize_t	 n;

	while (!c->eof && !c->reset) {
		n = hc_fill(c, 10000);
		HARNESS_ASSERT(f, n >= 0, "no EOF within 10 s (%zu bytes)",
		    c->len);
	}
}

/* The value of header name in the head at the start of c's input, as a
   malloc'd string, or NULL. */
static char *
hj_header(struct hc *c, const char *name)
{
	char	*end = memmem(c->buf, c->len, "\r\n\r\n", 4), *p, *eol;
	size_t	 nlen = strlen(name);

	if (end == NULL)
		return NULL;
	for (p = c->buf; p < end; p = eol + 2) {
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > nlen + 1 &&
		    strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			while (*p == ' ')
				p++;
			return strndup(p, (size_t)(eol - p));
		}
	}
	return NULL;
}

/* Waits up to 10 s for the app's log file at path to hold a whole line
   (the app may have created it and not written yet); returns its text. */
static char *
hj_wait_line(const struct ferryd *f, const char *path)
{
	long long	 deadline = harness_now_ms() + 10000;
	char		*s;
	size_t		 len;

	for (;;) {
		if ((s = harness_read_file(path, &len)) != NULL && len > 0 &&
		    s[len - 1] == '\n')
			return s;
		free(s);
		HARNESS_ASSERT(f, harness_now_ms() < deadline,
		    "the app logged no line in %s", path);
		harness_sleep_ms(20);
	}
}

/* TestHijackAfterCloseNotifier: request 1 uses close-notify, request 2 on
   the same connection hijacks; the socket the worker gets is the raw
   TCP connection (its peer is REMOTE_ADDR:REMOTE_PORT, and both requests
   saw the same one). */
START_TEST(test_hijack_after_close_notifier)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			*addr1, *addr2, *peer;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/addr HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(hc_header(&r, "X-Addr"));
	addr1 = strdup(hc_header(&r, "X-Addr"));
	hc_response_free(&r);
	hc_sendstr(&c, "GET /h/hijack HTTP/1.1\r\nHost: t\r\n\r\n");
	hj_read_head(&c, &f);
	HARNESS_ASSERT(&f, strncmp(c.buf, "HTTP/1.0 200 OK\r\n", 17) == 0,
	    "not the app's own answer: %.*s", (int)c.len, c.buf);
	addr2 = hj_header(&c, "X-Addr");
	peer = hj_header(&c, "X-Peer-Ok");
	ck_assert_ptr_nonnull(addr2);
	ck_assert_str_eq(addr1, addr2);
	ck_assert_str_eq(peer, "1");
	hj_read_to_eof(&c, &f);
	free(addr1);
	free(addr2);
	free(peer);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Hijack in the same request that asked for close-notify: Go 1.6
   refused it, ferry allows it. */
START_TEST(test_hijack_same_request_as_notify)
{
	struct ferryd	 f;
	struct hc	 c;
	char		*peer;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/notify-hijack HTTP/1.1\r\nHost: t\r\n\r\n");
	hj_read_head(&c, &f);
	HARNESS_ASSERT(&f, strncmp(c.buf, "HTTP/1.0 200 OK\r\n", 17) == 0,
	    "refused: %.*s", (int)c.len, c.buf);
	peer = hj_header(&c, "X-Peer-Ok");
	ck_assert_str_eq(peer, "1");
	free(peer);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * Sends head, then extra bytes (after the worker heard PIPELINED when
 * wait is set), half-closes, and checks that the app echoes exactly
 * extra: every byte arrives once, in order, through the buffered bytes
 * plus the socket.
 */
static void
hj_echo_case(const char *extra, size_t elen, int separate)
{
	struct ferryd	 f;
	struct hc	 c;
	char		*after, *body;
	size_t		 hlen;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	if (separate) {
		hc_sendstr(&c, "GET /h/echo?wait=pipelined HTTP/1.1\r\n"
		    "Host: e.com\r\n\r\n");
		harness_sleep_ms(100);
		hc_send(&c, extra, elen);
	} else {
		char	*all;
		const char *h = "GET /h/echo HTTP/1.1\r\nHost: e.com\r\n\r\n";

		all = malloc(strlen(h) + elen);
		memcpy(all, h, strlen(h));
		memcpy(all + strlen(h), extra, elen);
		hc_send(&c, all, strlen(h) + elen);
		free(all);
	}
	hc_shutdown_write(&c);
	hj_read_head(&c, &f);
	HARNESS_ASSERT(&f, strncmp(c.buf, "HTTP/1.0 200 OK\r\n", 17) == 0,
	    "refused: %.*s", (int)(c.len < 300 ? c.len : 300), c.buf);
	after = hj_header(&c, "X-After");
	ck_assert_str_eq(after, "EPERM EPERM");
	free(after);
	hj_read_to_eof(&c, &f);
	body = (char *)memmem(c.buf, c.len, "\r\n\r\n", 4) + 4;
	hlen = (size_t)(body - c.buf);
	HARNESS_ASSERT(&f, c.len - hlen == elen, "echoed %zu bytes, sent %zu",
	    c.len - hlen, elen);
	ck_assert(memcmp(body, extra, elen) == 0);
	hc_close(&c);
	harness_stop_ok(&f);
}

/* TestServerHijackGetsBackgroundByte: "foo" sent after the request (the
   master's watch reads it, the worker hears PIPELINED), then FIN: the
   hijacker reads "foo" and then EOF. */
START_TEST(test_hijack_gets_background_byte)
{
	hj_echo_case("foo", 3, 1);
}
END_TEST

/* TestServerHijackGetsBackgroundByte_big: 8 KiB after the request in the
   same write, then FIN. */
START_TEST(test_hijack_gets_background_byte_big)
{
	char	 x[8192];

	memset(x, 'x', sizeof(x));
	hj_echo_case(x, sizeof(x), 0);
}
END_TEST

/* TestServerHijackGetsFullBody: 100 KiB after the request, then FIN:
   more than the master's buffer holds, so part comes buffered and the
   rest from the socket. */
START_TEST(test_hijack_gets_full_body)
{
	size_t	 n = 100 * 1024;
	char	*x = malloc(n);

	harness_random_bytes(x, n, 7);
	hj_echo_case(x, n, 0);
	free(x);
}
END_TEST

/* Hijack before the worker read its Content-Length body: the unread body
   and what follows it are handed over raw. */
START_TEST(test_hijack_unread_length_body)
{
	struct ferryd	 f;
	struct hc	 c;
	const char	*req = "POST /h/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n";
	char		*body;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_shutdown_write(&c);
	hj_read_head(&c, &f);
	hj_read_to_eof(&c, &f);
	body = (char *)memmem(c.buf, c.len, "\r\n\r\n", 4) + 4;
	ck_assert_int_eq(c.len - (size_t)(body - c.buf), 23);
	ck_assert(memcmp(body, "helloGET / HTTP/1.1\r\n\r\n", 23) == 0);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Hijack before the worker read its chunked body: the raw remaining
   bytes, chunk framing included, are handed over.  (The client keeps its
   side open: a FIN with nothing left unpassed would be GONE.) */
START_TEST(test_hijack_unread_chunked_body)
{
	struct ferryd	 f;
	struct hc	 c;
	const char	*chunks = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
	char		*body;
	size_t		 blen;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /h/echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	hc_sendstr(&c, chunks);
	hj_read_head(&c, &f);
	body = (char *)memmem(c.buf, c.len, "\r\n\r\n", 4) + 4;
	while ((blen = c.len - (size_t)(body - c.buf)) < strlen(chunks)) {
		HARNESS_ASSERT(&f, hc_fill(&c, 10000) > 0, "handed over %zu "
		    "bytes: %.*s", blen, (int)blen, body);
		body = (char *)memmem(c.buf, c.len, "\r\n\r\n", 4) + 4;
	}
	HARNESS_ASSERT(&f, blen == strlen(chunks) &&
	    memcmp(body, chunks, blen) == 0, "handed over %zu bytes: %.*s",
	    blen, (int)blen, body);
	c.len = 0;
	ck_assert(hc_quiet(&c, 200));
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A chunked body the worker reads: decoded by libferry, no
   CONTENT_LENGTH. */
START_TEST(test_chunked_body_read_raw_mode)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	/* Wait until the worker said it speaks hijack: the first request
	   may come before. */
	hc_sendstr(&c, "GET /h/pid HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	hc_response_free(&r);
	hc_sendstr(&c, "POST /h/body HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n"
	    "Trailer: x\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "len=-1 body=hello world");
	hc_response_free(&r);
	/* Malformed chunking: 400, the connection closes. */
	hc_sendstr(&c, "POST /h/body HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 400);
	hc_response_free(&r);
	ck_assert_int_eq(hc_wait_closed(&c, 5000), 1);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* TestServerFlushAndHijack: the handler writes and flushes "Hello, " as a
   chunked response, hijacks, and writes the rest of the chunked body
   itself: the client reads "Hello, world!". */
START_TEST(test_flush_and_hijack)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/flush-hijack HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.framing, HC_CHUNKED);
	ck_assert_str_eq(r.body, "Hello, world!");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* TestWriteHeaderSwitchingProtocols: 101 flushed, hijack, raw echo. */
START_TEST(test_switching_protocols)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/upgrade HTTP/1.1\r\nHost: t\r\n"
	    "Connection: Upgrade\r\nUpgrade: raw\r\n\r\n");
	ck_assert_int_eq(hc_read_response(&c, &r, HC_INTERIM), 0);
	ck_assert_int_eq(r.status, 101);
	ck_assert_str_eq(hc_header(&r, "Upgrade"), "raw");
	ck_assert_ptr_null(hc_header(&r, "Content-Type"));
	ck_assert(hc_header_has_token(&r, "Connection", "upgrade"));
	ck_assert_ptr_null(hc_header(&r, "Transfer-Encoding"));
	ck_assert_ptr_null(hc_header(&r, "Content-Length"));
	hc_response_free(&r);
	ck_assert_int_eq(c.len, 0);
	hc_sendstr(&c, "ping\n");
	while (c.len < 5)
		HARNESS_ASSERT(&f, hc_fill(&c, 10000) > 0, "no echo");
	ck_assert(memcmp(c.buf, "ping\n", 5) == 0);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A 101 the app does not follow with a hijack: the connection cannot go
   back to HTTP, so it closes; the bytes after the request are never
   taken for a request (no 400 after the 101). */
START_TEST(test_switching_protocols_without_hijack)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/upgrade-only HTTP/1.1\r\nHost: t\r\n"
	    "Connection: Upgrade\r\nUpgrade: raw\r\n\r\nhello\r\n\r\n");
	ck_assert_int_eq(hc_read_response(&c, &r, HC_INTERIM), 0);
	ck_assert_int_eq(r.status, 101);
	hc_response_free(&r);
	ck_assert_int_eq(hc_wait_closed(&c, 5000), 1);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* TestDoubleHijack: the second hijack of a request fails with
   EALREADY. */
START_TEST(test_double_hijack)
{
	struct ferryd	 f;
	struct hc	 c;
	char		*second;

	hj_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/double HTTP/1.1\r\nHost: t\r\n\r\n");
	hj_read_head(&c, &f);
	second = hj_header(&c, "X-Second");
	ck_assert_str_eq(second, "EALREADY");
	free(second);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Hijack after the client left is refused (ENOTCONN, "gone"); and a
   hijacked request hears no close-notify when its client goes. */
START_TEST(test_hijack_after_gone_refused)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 req[512], log[300], *s;

	hj_start(&f, NULL);
	snprintf(log, sizeof(log), "%s/app.log", f.dir);
	hc_open(&c, &f);
	snprintf(req, sizeof(req), "GET /h/late?log=%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", log);
	hc_sendstr(&c, req);
	harness_sleep_ms(200);
	hc_close(&c);
	s = hj_wait_line(&f, log);
	HARNESS_ASSERT(&f, strncmp(s, "late: ENOTCONN gone:", 20) == 0,
	    "app log: %s", s);
	free(s);

	/* After a hijack, the client's leaving is not the master's news. */
	hc_open(&c, &f);
	snprintf(req, sizeof(req), "GET /h/echo?log=%s.2 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", log);
	hc_sendstr(&c, req);
	hj_read_head(&c, &f);
	hc_close(&c);
	snprintf(req, sizeof(req), "%s.2", log);
	s = hj_wait_line(&f, req);
	ck_assert_str_eq(s, "echo: notified=0\n");
	free(s);
	harness_stop_ok(&f);
}
END_TEST

/* The worker keeps a hijacked socket after its handler returned and goes
   on serving requests; a worker that dies holding one does not affect
   the master. */
START_TEST(test_hold_and_die)
{
	struct ferryd		 f;
	struct hc		 held, c, d;
	struct hc_response	 r;

	hj_start(&f, NULL);
	hc_open(&held, &f);
	hc_sendstr(&held, "GET /h/hold HTTP/1.1\r\nHost: t\r\n\r\nearly\n");
	while (held.len < 11)
		HARNESS_ASSERT(&f, hc_fill(&held, 10000) > 0, "nothing held");
	ck_assert(memcmp(held.buf, "early\nheld\n", 11) == 0);
	held.len = 0;

	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/pid HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	hc_response_free(&r);

	hc_sendstr(&held, "still\n");
	while (held.len < 6)
		HARNESS_ASSERT(&f, hc_fill(&held, 10000) > 0, "hold stopped");
	ck_assert(memcmp(held.buf, "still\n", 6) == 0);

	/* The worker dies with the socket: its client sees the end. */
	hc_open(&d, &f);
	hc_sendstr(&d, "GET /h/die HTTP/1.1\r\nHost: t\r\n\r\n");
	hj_read_to_eof(&d, &f);
	ck_assert(d.len >= 6 && memcmp(d.buf, "dying\n", 6) == 0);
	hc_close(&d);
	hj_read_to_eof(&held, &f);

	/* The master serves on, with a new worker. */
	hc_sendstr(&c, "GET /h/pid HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	hc_response_free(&r);
	hc_close(&c);
	hc_close(&held);
	harness_stop_ok(&f);
}
END_TEST

/* 1000 hijacks in a row: the master's fd count and memory stay flat. */
START_TEST(test_many_hijacks_flat)
{
	struct ferryd	 f;
	struct hc	 c;
	int		 i, fds0 = -1, fds1;
	long		 rss0 = -1, rss1;
	const char	*asan = getenv("ASAN_OPTIONS");
	char		 opts[1024];

	/* Under ASan, freed memory waits in a quarantine: RSS would grow
	   with no leak.  LeakSanitizer checks leaks at ferryd's exit. */
	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0",
	    asan != NULL ? asan : "", asan != NULL && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	hj_start(&f, NULL);
	for (i = 0; i < 1000; i++) {
		if (i == 100) {
			fds0 = harness_count_fds(f.pid);
			rss0 = harness_rss_kib(f.pid);
		}
		hc_open(&c, &f);
		hc_sendstr(&c, "GET /h/hijack HTTP/1.1\r\nHost: t\r\n\r\n");
		hj_read_head(&c, &f);
		HARNESS_ASSERT(&f, strncmp(c.buf, "HTTP/1.0 200 OK", 15) == 0,
		    "hijack %d: %.*s", i, (int)c.len, c.buf);
		hj_read_to_eof(&c, &f);
		hc_close(&c);
	}
	harness_sleep_ms(100);
	fds1 = harness_count_fds(f.pid);
	rss1 = harness_rss_kib(f.pid);
	HARNESS_ASSERT(&f, fds1 <= fds0, "fds %d -> %d", fds0, fds1);
	HARNESS_ASSERT(&f, rss1 - rss0 < 1024, "RSS %ld -> %ld KiB", rss0,
	    rss1);
	harness_stop_ok(&f);
}
END_TEST

/* A Unix-socket listener's connections hijack too. */
START_TEST(test_hijack_unix_listener)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 path[300], *peer;
	char		 tmpl[] = "/tmp/ferry-hj.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/http.sock", tmpl);
	hj_start_listen(&f, path);
	hc_open_unix(&c, &f, path);
	hc_sendstr(&c, "GET /h/hijack HTTP/1.1\r\nHost: t\r\n\r\n");
	hj_read_head(&c, &f);
	HARNESS_ASSERT(&f, strncmp(c.buf, "HTTP/1.0 200 OK", 15) == 0,
	    "refused: %.*s", (int)c.len, c.buf);
	peer = hj_header(&c, "X-Peer-Ok");
	ck_assert_str_eq(peer, "1");
	free(peer);
	hc_close(&c);
	harness_stop_ok(&f);
	unlink(path);
	rmdir(tmpl);
}
END_TEST

/* Waits up to 10 s for needle in ferryd's logs; fails the test if it
   never shows. */
static void
hj_wait_log(const struct ferryd *f, const char *needle)
{
	HARNESS_ASSERT(f, harness_wait_log(f, needle, 1, 10000) >= 1,
	    "no \"%s\" in the logs", needle);
}

/* The master's own refusals, driven by a worker on the bare records
   (libferry stops these cases before asking): a HIJACK for another
   request id, a second HIJACK, a HIJACK after the response ended. */
START_TEST(test_master_refusals)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 app[1024];

	/* rawhijack is built beside hijackapp. */
	snprintf(app, sizeof(app), "%s",
	    harness_env_path("FERRY_TEST_HIJACK_APP"));
	ck_assert(strlen(app) > 9);
	memcpy(app + strlen(app) - 9, "rawhijack", 9);
	harness_start_app(&f, NULL, "/r", app, NULL);

	hc_open(&c, &f);
	hc_sendstr(&c, "GET /r?stale HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "ok\n");
	hc_response_free(&r);
	hj_wait_log(&f, "rawhijack: stale: refused stale:");

	hc_sendstr(&c, "GET /r?complete HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "ok\n");
	hc_response_free(&r);
	hj_wait_log(&f, "rawhijack: complete: refused complete:");
	hc_close(&c);

	hc_open(&c, &f);
	hc_sendstr(&c, "GET /r?twice HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.minor, 0);
	ck_assert_str_eq(r.body, "ok\n");
	hc_response_free(&r);
	hj_wait_log(&f, "rawhijack: twice-1: hijacked 0 bytes, fd ok");
	hj_wait_log(&f, "rawhijack: twice-2: refused hijacked:");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
hijack_suite(void)
{
	Suite	*s = suite_create("hijack");
	TCase	*tc = tcase_create("hijack");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hijack_after_close_notifier);
	tcase_add_test(tc, test_hijack_same_request_as_notify);
	tcase_add_test(tc, test_hijack_gets_background_byte);
	tcase_add_test(tc, test_hijack_gets_background_byte_big);
	tcase_add_test(tc, test_hijack_gets_full_body);
	tcase_add_test(tc, test_hijack_unread_length_body);
	tcase_add_test(tc, test_hijack_unread_chunked_body);
	tcase_add_test(tc, test_chunked_body_read_raw_mode);
	tcase_add_test(tc, test_flush_and_hijack);
	tcase_add_test(tc, test_switching_protocols);
	tcase_add_test(tc, test_switching_protocols_without_hijack);
	tcase_add_test(tc, test_double_hijack);
	tcase_add_test(tc, test_hijack_after_gone_refused);
	tcase_add_test(tc, test_hold_and_die);
	tcase_add_test(tc, test_many_hijacks_flat);
	tcase_add_test(tc, test_hijack_unix_listener);
	tcase_add_test(tc, test_master_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(hijack_suite(), "ferry-hijack");
}
