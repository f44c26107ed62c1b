/*
 * Black-box tests of what an app's output does to the connection (issue
 * 14): interim (1xx) responses from CGI scripts and FastCGI apps, and
 * responses after which the server must close.  A real ferryd, real
 * scripts (tests/cgi-bin: s103.sh, interim.sh, overrun.sh), the libfcgi
 * responder (its interim= command) and the libferry notifyapp, and raw
 * clients that pipeline their requests, so that a response out of step
 * with its request shows.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

#define LINK_CGI	"</style.css>; rel=preload"
#define LINK_FCGI	"</hint.css>; rel=preload"

static void	start_responder(struct ferryd *);
static void	start_notifyapp(struct ferryd *);
static void	expect_hints(struct ferryd *, struct hc *, const char *);
static void	expect_body(struct ferryd *, struct hc *, int, const char *);

/* ferryd with the responder at /r (one worker), and CGI at /cgi-bin/. */
static void
start_responder(struct ferryd *f)
{
	const char	*apps = harness_env_path("FERRY_TEST_FCGI_APPS");
	char		 program[1024];

	snprintf(program, sizeof(program), "%s/responder", apps);
	harness_start_fcgi(f, NULL, "/r", program, "workers = 1\n");
}

/* ferryd with the libferry notifyapp at /n/ (one worker). */
static void
start_notifyapp(struct ferryd *f)
{
	const char	*apps = harness_env_path("FERRY_TEST_FERRY_APPS");
	char		 conf[1024];

	snprintf(conf, sizeof(conf), "[app notify]\ntype = fastcgi\n"
	    "prefix = /n/\ncommand = %s/notifyapp\nworkers = 1\n", apps);
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* Reads the next response, which must be a 103 with Link: link. */
static void
expect_hints(struct ferryd *f, struct hc *c, const char *link)
{
	struct hc_response	 r;
	const char		*v;

	hc_expect_response(c, &r, HC_INTERIM);
	v = hc_header(&r, "Link");
	HARNESS_ASSERT(f, r.status == 103 && v != NULL && strcmp(v, link) == 0,
	    "want 103 with Link %s, got %d with Link %s", link, r.status,
	    v != NULL ? v : "(none)");
	HARNESS_ASSERT(f, strcmp(r.reason, "Early Hints") == 0 &&
	    hc_header(&r, "Content-Length") == NULL &&
	    hc_header(&r, "Transfer-Encoding") == NULL &&
	    hc_header(&r, "Connection") == NULL,
	    "103 \"%s\" with framing or Connection fields", r.reason);
	hc_response_free(&r);
}

/* Reads the next response (no interim one before it), which must be
   status with exactly body (or, body ending in '*', starting so). */
static void
expect_body(struct ferryd *f, struct hc *c, int status, const char *body)
{
	struct hc_response	 r;
	size_t			 n = strlen(body);
	int			 ok;

	hc_expect_response(c, &r, 0);
	if (n > 0 && body[n - 1] == '*')
		ok = r.body_len >= n - 1 && memcmp(r.body, body, n - 1) == 0;
	else
		ok = r.body_len == n && memcmp(r.body, body, n) == 0;
	HARNESS_ASSERT(f, r.status == status && ok && r.ninterim == 0,
	    "want %d \"%s\", got %d \"%s\" after %zu interim responses",
	    status, body, r.status, r.body, r.ninterim);
	hc_response_free(&r);
}

/* ---- interim responses ---- */

/* A script's 103, pipelined with a second request: the client reads the
   103, then the script's 200, then the 200 of the second request, each
   in step with its request, on one connection. */
START_TEST(test_cgi_103_pipelined)
{
	struct ferryd	 f = { 0 };
	struct hc	 c;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/s103.sh HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_hints(&f, &c, LINK_CGI);
	expect_body(&f, &c, 200, "after hints\n");
	expect_body(&f, &c, 200, "hello\n");
	HARNESS_ASSERT(&f, hc_quiet(&c, 200), "more after the responses: "
	    "\"%.*s\"", (int)c.len, c.buf);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* The 103 goes out as soon as the script wrote it, before its final
   response exists. */
START_TEST(test_cgi_103_early)
{
	struct ferryd	 f = { 0 };
	struct hc	 c;
	char		 p[512], file[600], req[1024];

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "g");
	snprintf(req, sizeof(req), "GET /cgi-bin/s103.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	expect_hints(&f, &c, LINK_CGI);
	snprintf(file, sizeof(file), "%s.go", p);
	harness_write_file(file, "", 0, 0644);
	expect_body(&f, &c, 200, "after hints\n");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* An HTTP/1.0 client gets no 1xx (RFC 9110 15.2): the final response
   is the first thing it reads. */
START_TEST(test_cgi_103_http10)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/s103.sh HTTP/1.0\r\n\r\n");
	hc_expect_response(&c, &r, HC_INTERIM);
	HARNESS_ASSERT(&f, r.status == 200 &&
	    strcmp(r.body, "after hints\n") == 0, "status %d \"%s\"",
	    r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* curl, one request: it reads the 103 and then its response, at once
   (a 103 taken for the final response left it waiting for one). */
START_TEST(test_cgi_103_curl)
{
	struct ferryd	 f = { 0 };
	char		 url[128], *out;
	int		 rc;

	harness_start(&f, NULL, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/cgi-bin/s103.sh",
	    f.port);
	{
		const char *const argv[] = { "curl", "-sS", "--max-time", "10",
		    "-D", "-", "-w", "code %{http_code}\n", url, NULL };

		rc = harness_run(argv, &out, 20000);
	}
	HARNESS_ASSERT(&f, rc == 0 && strncmp(out, "HTTP/1.1 103 ", 13) == 0 &&
	    strstr(out, "\r\nLink: " LINK_CGI "\r\n") != NULL &&
	    strstr(out, "HTTP/1.1 200 OK\r\n") != NULL &&
	    strstr(out, "\r\n\r\nafter hints\ncode 200\n") != NULL,
	    "curl exited %d and printed \"%s\"", rc, out);
	free(out);
	harness_stop_ok(&f);
}
END_TEST

/* One interim block of a script, then its response "final", and what
   the client must get for it. */
struct interim_case {
	const char	*what;
	const char	*code;		/* interim.sh's query */
	int		 status;	/* of the response */
};

static const struct interim_case interim_cases[] = {
	/* 100 Continue is the server's, 102 is obsolete: dropped. */
	{ "100 dropped", "100", 200 },
	{ "102 dropped", "102", 200 },
	/* Other 1xx: 502, and the connection stays in step. */
	{ "104 is 502", "104", 502 },
	{ "199 is 502", "199", 502 },
	/* A 101 without Upgrade (RFC 9110 15.2.2). */
	{ "101 without Upgrade is 502", "101", 502 },
	/* A 101 to a protocol the client did not ask for (RFC 9110 7.8):
	   it would take it for an interim response and wait on. */
	{ "101 not asked for is 502", "101u", 502 },
};

/* Each interim case pipelined with a second request on one connection:
   the client reads exactly one response for each, with no 1xx. */
START_TEST(test_cgi_interim)
{
	const struct interim_case	*t = &interim_cases[_i];
	struct ferryd			 f = { 0 };
	struct hc			 c;
	char				 req[512];

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	snprintf(req, sizeof(req), "GET /cgi-bin/interim.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\nGET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n",
	    t->code);
	hc_sendstr(&c, req);
	expect_body(&f, &c, t->status, t->status == 200 ? "final\n" :
	    "502 Bad Gateway\n");
	expect_body(&f, &c, 200, "hello\n");
	hc_close(&c);
	if (t->status == 502)
		HARNESS_ASSERT(&f, harness_wait_log(&f, "interim.sh: status",
		    1, 5000) == 1, "%s: the 502 is not logged", t->what);
	harness_stop_ok(&f);
}
END_TEST

/* A script's 101 with Upgrade, to a client that asked for that protocol:
   the 101 goes out, and as no app takes the connection over, it closes
   (the bytes after the request are the new protocol's, never a
   request). */
START_TEST(test_cgi_101_asked)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/interim.sh?101u HTTP/1.1\r\nHost: t\r\n"
	    "Connection: Upgrade\r\nUpgrade: RAW\r\n\r\nhello\r\n\r\n");
	hc_expect_response(&c, &r, HC_INTERIM);
	HARNESS_ASSERT(&f, r.status == 101 && hc_header(&r, "Upgrade") != NULL &&
	    strcmp(hc_header(&r, "Upgrade"), "raw") == 0 &&
	    hc_header_has_token(&r, "Connection", "upgrade"),
	    "status %d Upgrade %s", r.status, hc_header(&r, "Upgrade"));
	hc_response_free(&r);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1, "not closed, or "
	    "more came: \"%.*s\"", (int)c.len, c.buf);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* The same through a FastCGI app: a 103 before the head, in step with a
   pipelined request. */
START_TEST(test_fcgi_103_pipelined)
{
	struct ferryd	 f;
	struct hc	 c;

	start_responder(&f);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /r?interim=103&pid HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /r?pid HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_hints(&f, &c, LINK_FCGI);
	expect_body(&f, &c, 200, "pid *");
	expect_body(&f, &c, 200, "pid *");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Each interim case through the FastCGI app, pipelined; the 101 is the
   responder's own head with status=101 (no Upgrade). */
START_TEST(test_fcgi_interim)
{
	static const struct {
		const char	*query;
		int		 status;
		const char	*body;
	} cases[] = {
		{ "interim=100&pid", 200, "pid *" },
		{ "interim=102&pid", 200, "pid *" },
		{ "interim=104&pid", 502, "502 Bad Gateway\n" },
		{ "interim=103&interim=102&interim=103&pid", 0, "pid *" },
		{ "status=101", 502, "502 Bad Gateway\n" },
	};
	struct ferryd	 f;
	struct hc	 c;
	char		 req[512];
	size_t		 i;

	start_responder(&f);
	hc_open(&c, &f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), "GET /r?%s HTTP/1.1\r\nHost: t\r\n"
		    "\r\nGET /r?pid HTTP/1.1\r\nHost: t\r\n\r\n",
		    cases[i].query);
		hc_sendstr(&c, req);
		if (cases[i].status == 0) {
			/* Two 103s pass, the 102 between them does not. */
			expect_hints(&f, &c, LINK_FCGI);
			expect_hints(&f, &c, LINK_FCGI);
			expect_body(&f, &c, 200, cases[i].body);
		} else
			expect_body(&f, &c, cases[i].status, cases[i].body);
		expect_body(&f, &c, 200, "pid *");
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- closing after a response ---- */

/* A script that writes more than its Content-Length in one go: the
   excess is cut, and as the server knows it before the head goes out,
   the head says Connection: close.  The request pipelined behind it is
   not answered, and that is logged. */
START_TEST(test_overrun_known)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/overrun.sh HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && r.body_len == 3 &&
	    memcmp(r.body, "hel", 3) == 0 &&
	    hc_header_has_token(&r, "Connection", "close"),
	    "status %d body \"%s\" Connection %s", r.status, r.body,
	    hc_header(&r, "Connection") ? hc_header(&r, "Connection") :
	    "(none)");
	hc_response_free(&r);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1, "not closed, or "
	    "more came: \"%.*s\"", (int)c.len, c.buf);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "pipelined request left "
	    "unanswered", 1, 5000) == 1, "the dropped request is not logged");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* The excess comes after the head went out: it is cut, the connection
   closes after the response (whose head could not say so), and the
   pipelined request left unanswered is logged. */
START_TEST(test_overrun_late)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/overrun.sh?late HTTP/1.1\r\nHost: t\r\n"
	    "\r\nGET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && r.body_len == 3 &&
	    memcmp(r.body, "hel", 3) == 0, "status %d body \"%s\"", r.status,
	    r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1, "not closed, or "
	    "more came: \"%.*s\"", (int)c.len, c.buf);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "pipelined request left "
	    "unanswered", 1, 5000) == 1, "the dropped request is not logged");
	HARNESS_ASSERT(&f, harness_log_count(&f, "script wrote more than its "
	    "Content-Length") == 1, "the overrun is not logged");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * An app that answers and ends without reading a body larger than the
 * server drains (CONN_DRAIN_MAX, 256 KiB): the connection closes after
 * the response.  When the head is made after the app ended (a short CGI
 * response, held to give it a length), it says so (says_close); a head
 * committed while the app ran could not.  Either way the client, still
 * due to send its body, reads the whole response and then the close.
 */
static void
drain_too_large(struct ferryd *f, const char *target, const char *body,
    int says_close)
{
	struct hc		 c;
	struct hc_response	 r;
	char			 req[512], chunk[4096];

	snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 4194304\r\n\r\n", target);
	memset(chunk, 'x', sizeof(chunk));
	hc_open(&c, f);
	hc_sendstr(&c, req);
	hc_send(&c, chunk, sizeof(chunk));
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(f, r.status == 200 && strcmp(r.body, body) == 0 &&
	    (!says_close || hc_header_has_token(&r, "Connection", "close")),
	    "%s: status %d body \"%s\" Connection %s", target, r.status,
	    r.body, hc_header(&r, "Connection") ? hc_header(&r, "Connection") :
	    "(none)");
	hc_response_free(&r);
	HARNESS_ASSERT(f, hc_wait_closed(&c, 5000) == 1, "%s: not closed",
	    target);
	hc_close(&c);
}

START_TEST(test_drain_too_large_cgi)
{
	struct ferryd	 f = { 0 };

	/* Streamed: buffered (the default for CGI), the script would
	   start only once the whole body came. */
	harness_start(&f, "[app s]\ntype = cgi\nprefix = /s/\n"
	    "root = @CGI_BIN@\nrequest_buffering = off\n", NULL);
	drain_too_large(&f, "/s/hello.sh", "hello\n", 1);
	harness_stop_ok(&f);
}
END_TEST

START_TEST(test_drain_too_large_libferry)
{
	struct ferryd	 f;

	start_notifyapp(&f);
	drain_too_large(&f, "/n/hello", "hello\n", 0);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
interim_suite(void)
{
	Suite	*s = suite_create("interim");
	TCase	*tc;

	tc = tcase_create("interim");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cgi_103_pipelined);
	tcase_add_test(tc, test_cgi_103_early);
	tcase_add_test(tc, test_cgi_103_http10);
	tcase_add_test(tc, test_cgi_103_curl);
	tcase_add_loop_test(tc, test_cgi_interim, 0,
	    (int)(sizeof(interim_cases) / sizeof(interim_cases[0])));
	tcase_add_test(tc, test_cgi_101_asked);
	tcase_add_test(tc, test_fcgi_103_pipelined);
	tcase_add_test(tc, test_fcgi_interim);
	suite_add_tcase(s, tc);

	tc = tcase_create("close");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_overrun_known);
	tcase_add_test(tc, test_overrun_late);
	tcase_add_test(tc, test_drain_too_large_cgi);
	tcase_add_test(tc, test_drain_too_large_libferry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(interim_suite(), "ferry-interim");
}
