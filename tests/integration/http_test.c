/*
 * Black-box integration tests of ferryd's HTTP/1.1 (issue 3), written from
 * RFC 9112 and RFC 9110: request parsing, response framing, keep-alive,
 * pipelining, Expect, request bodies, and the errors of requests ferryd
 * refuses, against a real ferryd running the scripts of tests/cgi-bin.
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define MiB	(1024 * 1024)

static Suite	*http_suite(void);

/* ---- responses ---- */

/*
 * GETs and what their answers must be.  Date (RFC 9110 6.6.1): exactly
 * one, IMF-fixdate, now, on script responses and on ferryd's own error
 * responses.  Framing of script output: a response that ends
 * within the first buffer gets a Content-Length; a longer one without a
 * length of its own is chunked to a 1.1 client; a script's own
 * Content-Length is kept, also for a long body.
 */
static const struct hc_get_case responses[] = {
	{ "Date of a script's response", "/cgi-bin/hello.sh",
	  { .date = 1 } },
	{ "Date of ferryd's 404", "/cgi-bin/no-such-script", { .date = 1 } },
	{ "Date of a Status response", "/cgi-bin/status.sh", { .date = 1 } },
	{ "short output", "/cgi-bin/hello.sh",
	  { .framing = HC_FRAMING(HC_LENGTH),
	    .fields = { { "Content-Length", "6" } } } },
	{ "long output", "/cgi-bin/bigout.sh?300000",
	  { .framing = HC_FRAMING(HC_CHUNKED), .body_len = 300000 } },
	{ "script's length", "/cgi-bin/cl-long.sh",
	  { .framing = HC_FRAMING(HC_LENGTH), .body_len = 300000,
	    .fields = { { "Content-Length", "300000" } } } },
};

/* Each GET of responses[] on a ferryd of its own. */
START_TEST(test_responses)
{
	struct ferryd	f = { 0 };

	harness_start(&f, NULL, NULL);
	hc_get_check(&f, &responses[_i]);
	harness_stop_ok(&f);
}
END_TEST

/* ---- connections: keep-alive, pipelining, HTTP/1.0 ---- */

/* A GET runs the script: 200, its body, a length or chunked framing (not
   close-delimited to a 1.1 client), a Date, the script's Content-Type,
   and the connection stays open. */
START_TEST(test_hello_get)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, r.minor == 1, "HTTP/1.%d", r.minor);
	HARNESS_ASSERT(&f, strcmp(r.body, "hello\n") == 0, "body \"%s\"",
	    r.body);
	HARNESS_ASSERT(&f, r.framing == HC_LENGTH || r.framing == HC_CHUNKED,
	    "framing %d", r.framing);
	HARNESS_ASSERT(&f, hc_header(&r, "Date") != NULL, "no Date");
	HARNESS_ASSERT(&f, hc_header(&r, "Content-Type") != NULL &&
	    strcmp(hc_header(&r, "Content-Type"), "text/plain") == 0,
	    "Content-Type %s", hc_header(&r, "Content-Type"));
	HARNESS_ASSERT(&f, hc_quiet(&c, 300), "the connection must stay "
	    "open and quiet after a complete response");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* HEAD (RFC 9110 9.3.2): the GET's status and fields, no body. */
START_TEST(test_head)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 g, h;
	const char		*gl, *hl;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &g, 0);
	hc_sendstr(&c, "HEAD /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &h, HC_HEAD);
	HARNESS_ASSERT(&f, h.status == g.status, "HEAD %d, GET %d", h.status,
	    g.status);
	HARNESS_ASSERT(&f, hc_header(&h, "Content-Type") != NULL &&
	    strcmp(hc_header(&h, "Content-Type"),
	    hc_header(&g, "Content-Type")) == 0, "Content-Type differs");
	gl = hc_header(&g, "Content-Length");
	hl = hc_header(&h, "Content-Length");
	HARNESS_ASSERT(&f, hl == NULL || (gl != NULL && strcmp(gl, hl) == 0),
	    "HEAD Content-Length %s, GET %s", hl, gl != NULL ? gl : "none");
	HARNESS_ASSERT(&f, hc_quiet(&c, 300), "bytes after a HEAD response: "
	    "\"%.100s\"", c.buf);
	hc_response_free(&g);
	hc_response_free(&h);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Keep-alive: two requests, one after the other, on one connection, each
   running the script. */
START_TEST(test_keepalive_reuse)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/query.sh?one HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "one") == 0,
	    "first: %d \"%s\"", r.status, r.body);
	HARNESS_ASSERT(&f, !hc_header_has_token(&r, "Connection", "close"),
	    "ferryd closes a keep-alive connection");
	hc_response_free(&r);
	hc_sendstr(&c, "GET /cgi-bin/query.sh?two HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "two") == 0,
	    "second: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Pipelining: three requests in one write, three responses in order. */
START_TEST(test_pipelined_three)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			want[8];
	int			i;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c,
	    "GET /cgi-bin/query.sh?1 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /cgi-bin/query.sh?2 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /cgi-bin/query.sh?3 HTTP/1.1\r\nHost: t\r\n\r\n");
	for (i = 1; i <= 3; i++) {
		snprintf(want, sizeof(want), "%d", i);
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, want) == 0,
		    "response %d: %d \"%s\"", i, r.status, r.body);
		hc_response_free(&r);
	}
	HARNESS_ASSERT(&f, hc_quiet(&c, 200), "a fourth response came");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A HEAD between two GETs in a pipeline: its script output is not sent,
   so the third response still parses. */
START_TEST(test_pipelined_head)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c,
	    "GET /cgi-bin/query.sh?a HTTP/1.1\r\nHost: t\r\n\r\n"
	    "HEAD /cgi-bin/query.sh?b HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /cgi-bin/query.sh?c HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, strcmp(r.body, "a") == 0, "first \"%s\"", r.body);
	hc_response_free(&r);
	hc_expect_response(&c, &r, HC_HEAD);
	HARNESS_ASSERT(&f, r.status == 200, "HEAD status %d", r.status);
	hc_response_free(&r);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "c") == 0,
	    "third: %d \"%s\" (a HEAD body was sent?)", r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A request pipelined while the script of the one before it runs does
   not disturb that script (no client-gone policy for pipelined data),
   nor does a half-close after it: both answers come, in order. */
START_TEST(test_pipelined_during_script)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			p[512], file[600], req[1024];

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "pd");
	snprintf(req, sizeof(req), "GET /cgi-bin/gate.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	harness_read_pidfile(file, 5000);
	hc_sendstr(&c, "GET /cgi-bin/query.sh?second HTTP/1.1\r\nHost: t\r\n"
	    "\r\n");
	harness_sleep_ms(300);
	hc_shutdown_write(&c);
	harness_sleep_ms(300);
	snprintf(file, sizeof(file), "%s.go", p);
	harness_write_file(file, "", 0, 0644);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 &&
	    strcmp(r.body, "first\nsecond\n") == 0, "first: %d \"%s\"",
	    r.status, r.body);
	hc_response_free(&r);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "second") == 0,
	    "second: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1, "not closed after "
	    "the answers to a half-closed client");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* An HTTP/1.0 request without keep-alive: no chunked, the whole body,
   then the connection closes (RFC 9112 9.3). */
START_TEST(test_http10_close)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.0\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "%d \"%s\"", r.status, r.body);
	HARNESS_ASSERT(&f, hc_header(&r, "Transfer-Encoding") == NULL,
	    "Transfer-Encoding to a 1.0 client");
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection must close after a 1.0 response");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* HTTP/1.0 and a body longer than any first buffer: close-delimited (or
   a length), never chunked, all 300000 bytes. */
START_TEST(test_http10_long_body)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/bigout.sh?300000 HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, r.framing != HC_CHUNKED, "chunked to HTTP/1.0");
	HARNESS_ASSERT(&f, r.body_len == 300000, "%zu bytes", r.body_len);
	if (!hc_header_has_token(&r, "Connection", "keep-alive"))
		HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
		    "no keep-alive announced, yet the connection stays");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* HTTP/1.0 with Connection: keep-alive and a known-length response:
   Content-Length, "Connection: keep-alive", and a second request on the
   same connection. */
START_TEST(test_http10_keepalive)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	int			i;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	for (i = 0; i < 2; i++) {
		hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.0\r\n"
		    "Connection: keep-alive\r\n\r\n");
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 200 &&
		    strcmp(r.body, "hello\n") == 0, "request %d: %d \"%s\"",
		    i, r.status, r.body);
		HARNESS_ASSERT(&f, r.framing == HC_LENGTH, "framing %d",
		    r.framing);
		HARNESS_ASSERT(&f, hc_header_has_token(&r, "Connection",
		    "keep-alive"), "request %d: no Connection: keep-alive", i);
		hc_response_free(&r);
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Connection: close from the client: the response says close, and the
   connection closes after it. */
START_TEST(test_connection_close)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "%d \"%s\"", r.status, r.body);
	HARNESS_ASSERT(&f, hc_header_has_token(&r, "Connection", "close"),
	    "no Connection: close in the response");
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stays open");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A real client: curl reuses its connection for two URLs and uploads a
   2 MiB chunked body (with its own Expect: 100-continue). */
START_TEST(test_curl)
{
	struct ferryd	 f = { 0 };
	char		 u1[128], u2[128], file[512], data[600], *out;
	char		 sha[65], want[128];
	unsigned char	*body;
	const size_t	 len = 2 * MiB;
	int		 rc;

	harness_start(&f, NULL, NULL);
	snprintf(u1, sizeof(u1), "http://127.0.0.1:%d/cgi-bin/query.sh?c1",
	    f.port);
	snprintf(u2, sizeof(u2), "http://127.0.0.1:%d/cgi-bin/query.sh?c2",
	    f.port);
	{
		const char *const argv[] = { "curl", "-sS", "--max-time", "20",
		    "-w", " %{http_code} %{num_connects}\n", u1, u2, NULL };

		rc = harness_run(argv, &out, 30000);
		HARNESS_ASSERT(&f, rc == 0, "curl exited %d: %s", rc, out);
		HARNESS_ASSERT(&f, strcmp(out, "c1 200 1\nc2 200 0\n") == 0,
		    "curl printed \"%s\" (want the second transfer on the "
		    "same connection)", out);
		free(out);
	}
	body = malloc(len);
	harness_random_bytes(body, len, 99);
	harness_sha256(body, len, sha);
	harness_path(file, sizeof(file), &f, "upload");
	harness_write_file(file, body, len, 0644);
	free(body);
	snprintf(data, sizeof(data), "@%s", file);
	snprintf(u1, sizeof(u1), "http://127.0.0.1:%d/cgi-bin/sha.sh", f.port);
	{
		const char *const argv[] = { "curl", "-sS", "--max-time", "20",
		    "-H", "Transfer-Encoding: chunked", "--data-binary", data,
		    u1, NULL };

		rc = harness_run(argv, &out, 30000);
		snprintf(want, sizeof(want), "%zu\n%s\n", len, sha);
		HARNESS_ASSERT(&f, rc == 0 && strcmp(out, want) == 0,
		    "curl exited %d, printed \"%s\", want \"%s\"", rc, out,
		    want);
		free(out);
	}
	harness_stop_ok(&f);
}
END_TEST

/* ---- Expect ---- */

/* Expect: 100-continue: the interim 100 comes before the client sends
   its body (it waits for it), then the final response. */
START_TEST(test_expect_continue)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	hc_expect_response(&c, &r, HC_INTERIM);
	HARNESS_ASSERT(&f, r.status == 100, "status %d before the body was "
	    "sent, want 100", r.status);
	hc_response_free(&r);
	hc_sendstr(&c, "hello");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, strcmp(r.body, "CONTENT_LENGTH=5\nhello") == 0,
	    "body \"%s\"", r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Any other expectation is 417 (RFC 9110 10.1.1). */
START_TEST(test_expect_unknown)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n"
	    "Expect: foo\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 417, "status %d, want 417", r.status);
	HARNESS_ASSERT(&f, strstr(r.body, "hello") == NULL,
	    "the script ran");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Expect: 100-continue in an HTTP/1.0 request is ignored (RFC 9110
   10.1.1): no interim 100, the body is read as sent. */
START_TEST(test_expect_http10)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /cgi-bin/echo.sh HTTP/1.0\r\nContent-Length: 5\r\n"
	    "Expect: 100-continue\r\n\r\nhello");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.ninterim == 0, "a 1xx (%d) to HTTP/1.0",
	    r.interim[0]);
	HARNESS_ASSERT(&f, r.status == 200 &&
	    strcmp(r.body, "CONTENT_LENGTH=5\nhello") == 0, "%d \"%s\"",
	    r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- request bodies ---- */

/* A chunked request body (sent in pieces, with an extension and a
   trailer) reaches the script with CONTENT_LENGTH and the exact bytes. */
START_TEST(test_chunked_request)
{
	static const char *const pieces[] = {
	    ("POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"),
	    "5\r\nhel", "lo\r\n", "6;ext=1\r\n wor", "ld\r\n",
	    "0\r\nX-Trailer: t\r\n", "\r\n" };
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	size_t			i;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		hc_sendstr(&c, pieces[i]);
		harness_sleep_ms(30);
	}
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, strcmp(r.body, "CONTENT_LENGTH=11\nhello world")
	    == 0, "body \"%s\"", r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A 3 MiB chunked body in chunks of varied sizes (past any in-memory
   threshold): CONTENT_LENGTH and SHA-256 match at the script. */
START_TEST(test_chunked_request_large)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	const size_t		 total = 3 * MiB;
	unsigned char		*body = malloc(total);
	char			 sha[65], want[128], line[32];
	size_t			 off = 0, n;
	unsigned int		 seed = 7;

	harness_random_bytes(body, total, 3);
	harness_sha256(body, total, sha);
	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /cgi-bin/sha.sh HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	while (off < total) {
		seed = seed * 1103515245 + 12345;
		n = 1 + (seed >> 8) % 65536;
		if (n > total - off)
			n = total - off;
		snprintf(line, sizeof(line), "%zx\r\n", n);
		hc_sendstr(&c, line);
		hc_send(&c, body + off, n);
		hc_sendstr(&c, "\r\n");
		off += n;
	}
	hc_sendstr(&c, "0\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	snprintf(want, sizeof(want), "%zu\n%s\n", total, sha);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, want) == 0,
	    "%d \"%s\", want \"%s\"", r.status, r.body, want);
	hc_response_free(&r);
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/* A script that does not read a small body: the rest is drained and the
   connection serves the next request. */
START_TEST(test_unread_body_drained)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	const size_t		 len = 100 * 1024;
	char			*body = malloc(len), head[256];

	memset(body, 'u', len);
	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	snprintf(head, sizeof(head), "POST /cgi-bin/hello.sh HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", len);
	hc_sendstr(&c, head);
	hc_send(&c, body, len);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "%d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_sendstr(&c, "GET /cgi-bin/query.sh?next HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "next") == 0,
	    "after the drained body: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/* A script that does not read a large streamed body (beyond 256 KiB;
   request_buffering off): the client still gets the response, then the
   connection closes. */
START_TEST(test_unread_body_large)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	const size_t		 len = 8 * MiB;
	char			*body = malloc(len), head[256];
	pid_t			 pid;
	int			 ws;

	memset(body, 'u', len);
	harness_start(&f, "[app s]\ntype = cgi\nprefix = /s/\n"
	    "root = @CGI_BIN@\nrequest_buffering = off\n", NULL);
	hc_open(&c, &f);
	snprintf(head, sizeof(head), "POST /s/hello.sh HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", len);
	hc_sendstr(&c, head);
	pid = hc_send_background(&c, body, len, 15000);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "%d \"%s\"", r.status, r.body);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 10000) == 1,
	    "the connection must close rather than drain 8 MiB");
	hc_response_free(&r);
	hc_close(&c);
	kill(pid, SIGKILL);
	waitpid(pid, &ws, 0);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/* ---- requests refused ---- */

/* 431 for a header section over max_header_size, and for more fields
   than max_header_fields, then close. */
START_TEST(test_header_too_large_431)
{
	static const char conf[] = "[server]\nmax_header_size = 4096\n"
	    "max_header_fields = 10\n";
	struct ferryd	f = { 0 };
	char		req[20000];
	int		n, i;

	harness_start(&f, conf, NULL);
	n = snprintf(req, sizeof(req), "GET /cgi-bin/hello.sh HTTP/1.1\r\n"
	    "Host: t\r\nX-Big: ");
	memset(req + n, 'a', 16384);
	memcpy(req + n + 16384, "\r\n\r\n", 5);
	hc_expect_error_close(&f, req, strlen(req), 431);
	/* Too many fields, each small. */
	n = snprintf(req, sizeof(req), "GET /cgi-bin/hello.sh HTTP/1.1\r\n"
	    "Host: t\r\n");
	for (i = 0; i < 20; i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
		    "X-F%d: v\r\n", i);
	snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	hc_expect_error_close(&f, req, strlen(req), 431);
	harness_stop_ok(&f);
}
END_TEST

/* 414 for a target over max_target_length, then close. */
START_TEST(test_target_too_long_414)
{
	static const char conf[] = "[server]\nmax_target_length = 1024\n";
	struct ferryd	f = { 0 };
	char		req[8192];
	int		n;

	harness_start(&f, conf, NULL);
	n = snprintf(req, sizeof(req), "GET /cgi-bin/query.sh?");
	memset(req + n, 'q', 4000);
	snprintf(req + n + 4000, sizeof(req) - (size_t)n - 4000,
	    " HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_error_close(&f, req, strlen(req), 414);
	harness_stop_ok(&f);
}
END_TEST

/* Request smuggling: Content-Length with Transfer-Encoding is a 400 and a
   close; the request hidden in the body is never answered. */
START_TEST(test_smuggling_400)
{
	static const char req[] =
	    "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\n\r\n"
	    "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n";
	struct ferryd	f = { 0 };

	harness_start(&f, NULL, NULL);
	hc_expect_error_close(&f, req, sizeof(req) - 1, 400);
	harness_stop_ok(&f);
}
END_TEST

struct bad_request {
	const char	*comment;
	const char	*raw;
	int		 status;
};

static const struct bad_request bad_requests[] = {
	/* An unsupported major version (RFC 9110 15.6.6). */
	{ "version", "GET /cgi-bin/hello.sh HTTP/2.0\r\nHost: t\r\n\r\n",
	  505 },
	/* A transfer coding ferryd does not implement (RFC 9112 6.1). */
	{ "coding", "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n"
	  "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501 },
	/* obs-fold (RFC 9112 5.2). */
	{ "obs-fold", "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n"
	  "X-A: a\r\n b\r\n\r\n", 400 },
	/* Whitespace between a field name and the colon (RFC 9112 5.1). */
	{ "name ws", "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost : t\r\n\r\n",
	  400 },
	/* A bare CR in a field value (RFC 9112 2.2). */
	{ "bare cr", "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n"
	  "X-A: a\rb\r\n\r\n", 400 },
	/* No Host in HTTP/1.1 (RFC 9112 3.2). */
	{ "no host", "GET /cgi-bin/hello.sh HTTP/1.1\r\n\r\n", 400 },
	/* Two Host fields (RFC 9112 3.2). */
	{ "two hosts", "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: a\r\n"
	  "Host: b\r\n\r\n", 400 },
	/* Two different Content-Lengths (RFC 9112 6.3). */
	{ "two lengths", "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n"
	  "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400 },
	/* A signed Content-Length. */
	{ "signed length", "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n"
	  "Content-Length: +1\r\n\r\na", 400 },
	/* A chunk size with 0x (not HEXDIG only). */
	{ "chunk 0x", "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n0x1\r\na\r\n0\r\n\r\n", 400 },
	/* A request line without a version. */
	{ "request line", "GET /cgi-bin/hello.sh\r\n\r\n", 400 },
};

/* Requests the parser refuses get its status, Connection: close and a
   close (one fresh connection each). */
START_TEST(test_bad_requests)
{
	const struct bad_request	*t = &bad_requests[_i];
	struct ferryd			 f = { 0 };

	harness_start(&f, NULL, NULL);
	hc_expect_error_close(&f, t->raw, strlen(t->raw), t->status);
	harness_stop_ok(&f);
}
END_TEST

/* max_body_size: 413 for a Content-Length over it and for a chunked body
   that grows over it, then close. */
START_TEST(test_body_too_large_413)
{
	static const char conf[] = "[server]\nmax_body_size = 1000\n";
	struct ferryd	f = { 0 };
	char		req[8192];
	int		n, i;

	harness_start(&f, conf, NULL);
	n = snprintf(req, sizeof(req), "POST /cgi-bin/echo.sh HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: 5000\r\n\r\n");
	memset(req + n, 'b', 5000);
	req[n + 5000] = '\0';
	hc_expect_error_close(&f, req, (size_t)n + 5000, 413);

	n = snprintf(req, sizeof(req), "POST /cgi-bin/echo.sh HTTP/1.1\r\n"
	    "Host: t\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 3; i++) {
		n += snprintf(req + n, sizeof(req) - (size_t)n, "258\r\n");
		memset(req + n, 'c', 600);
		n += 600;
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	}
	n += snprintf(req + n, sizeof(req) - (size_t)n, "0\r\n\r\n");
	hc_expect_error_close(&f, req, (size_t)n, 413);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc;

	tc = tcase_create("responses");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_responses, 0,
	    (int)(sizeof(responses) / sizeof(responses[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("connections");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_get);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_keepalive_reuse);
	tcase_add_test(tc, test_pipelined_three);
	tcase_add_test(tc, test_pipelined_head);
	tcase_add_test(tc, test_pipelined_during_script);
	tcase_add_test(tc, test_http10_close);
	tcase_add_test(tc, test_http10_long_body);
	tcase_add_test(tc, test_http10_keepalive);
	tcase_add_test(tc, test_connection_close);
	tcase_add_test(tc, test_curl);
	tcase_add_test(tc, test_expect_continue);
	tcase_add_test(tc, test_expect_unknown);
	tcase_add_test(tc, test_expect_http10);
	suite_add_tcase(s, tc);

	tc = tcase_create("bodies");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_chunked_request);
	tcase_add_test(tc, test_chunked_request_large);
	tcase_add_test(tc, test_unread_body_drained);
	tcase_add_test(tc, test_unread_body_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_header_too_large_431);
	tcase_add_test(tc, test_target_too_long_414);
	tcase_add_test(tc, test_smuggling_400);
	tcase_add_loop_test(tc, test_bad_requests, 0,
	    (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
	tcase_add_test(tc, test_body_too_large_413);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(http_suite(), "ferry-http");
}
