/*
 * Black-box integration tests of ferryd running CGI scripts (issue 3),
 * written from RFC 3875 (CGI/1.1) and doc/ARCHITECTURE.md: a real ferryd, real
 * sockets, real scripts from tests/cgi-bin.  The environment a script
 * gets, which paths run what, a script's output and stdin, redirects, and
 * what ferryd does with scripts that fail, hang, queue or lose their
 * client.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define MiB	(1024 * 1024)

/* /s/: the CGI scripts with their bodies streamed, not buffered whole
   before the script starts (request_buffering, on by default for CGI). */
static const char stream_conf[] = "[app s]\ntype = cgi\nprefix = /s/\n"
    "root = @CGI_BIN@\nrequest_buffering = off\n";

/* A GET of a script and what its answer must be; some rows need more. */
struct script_case {
	struct hc_get_case	 get;
	int			 subdir;	/* serve a copy of the CGI
						   directory with a subdir/ */
	const char		*then;		/* afterwards, this gets a
						   200 */
	const char		*log;		/* a line of the error log
						   holds this... */
	const char		*log_tag;	/* ...and this, when not NULL */
};

static Suite	*cgi_suite(void);

/* ---- the environment (RFC 3875 4.1) ---- */

/* The meta-variables of RFC 3875 section 4.1, and HTTP_* fields (repeated
   fields joined with ", "). */
START_TEST(test_meta_variables)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	struct sockaddr_in	 me;
	socklen_t		 len = sizeof(me);
	char			 port[16], sport[16], *v;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	ck_assert_int_eq(getsockname(c.fd, (struct sockaddr *)&me, &len), 0);
	snprintf(port, sizeof(port), "%d", ntohs(me.sin_port));
	snprintf(sport, sizeof(sport), "%d", f.port);
	hc_sendstr(&c, "POST /cgi-bin/env.sh/extra/p%20q?a=1&b=%41 HTTP/1.1\r\n"
	    "Host: example.test\r\n"
	    "User-Agent: ferry-test\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 3\r\n"
	    "X-Custom: one\r\n"
	    "X-Custom: two\r\n"
	    "Accept-Language: en\r\n"
	    "\r\nabc");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_expect_env(&f, &r, "GATEWAY_INTERFACE", "CGI/1.1");
	hc_expect_env(&f, &r, "REQUEST_METHOD", "POST");
	hc_expect_env(&f, &r, "QUERY_STRING", "a=1&b=%41"); /* not decoded */
	hc_expect_env(&f, &r, "PATH_INFO", "/extra/p q");	/* decoded */
	hc_expect_env(&f, &r, "SCRIPT_NAME", "/cgi-bin/env.sh");
	hc_expect_env(&f, &r, "SERVER_PROTOCOL", "HTTP/1.1");
	hc_expect_env(&f, &r, "REMOTE_ADDR", "127.0.0.1");
	hc_expect_env(&f, &r, "REMOTE_PORT", port);
	hc_expect_env(&f, &r, "SERVER_PORT", sport);
	hc_expect_env(&f, &r, "SERVER_NAME", "example.test");
	hc_expect_env(&f, &r, "CONTENT_TYPE",
	    "application/x-www-form-urlencoded");
	hc_expect_env(&f, &r, "CONTENT_LENGTH", "3");
	hc_expect_env(&f, &r, "HTTP_HOST", "example.test");
	hc_expect_env(&f, &r, "HTTP_USER_AGENT", "ferry-test");
	hc_expect_env(&f, &r, "HTTP_X_CUSTOM", "one, two");
	hc_expect_env(&f, &r, "HTTP_ACCEPT_LANGUAGE", "en");
	v = hc_env_value(&r, "SERVER_SOFTWARE");
	HARNESS_ASSERT(&f, v != NULL && *v != '\0', "no SERVER_SOFTWARE");
	free(v);
	/* PATH_TRANSLATED, when given, maps the decoded PATH_INFO. */
	v = hc_env_value(&r, "PATH_TRANSLATED");
	HARNESS_ASSERT(&f, v == NULL || (strlen(v) > 10 &&
	    strcmp(v + strlen(v) - 10, "/extra/p q") == 0),
	    "PATH_TRANSLATED \"%s\"", v);
	free(v);
	v = hc_env_value(&r, "PATH");
	HARNESS_ASSERT(&f, v != NULL && *v != '\0', "no PATH");
	free(v);
	hc_response_free(&r);

	/* A GET without a body or PATH_INFO, on the same connection. */
	hc_sendstr(&c, "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: h:8\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	hc_expect_env(&f, &r, "REQUEST_METHOD", "GET");
	hc_expect_env(&f, &r, "QUERY_STRING", "");	/* "MUST be set" */
	hc_expect_env(&f, &r, "SERVER_NAME", "h");
	v = hc_env_value(&r, "PATH_INFO");
	HARNESS_ASSERT(&f, v == NULL || *v == '\0', "PATH_INFO \"%s\"", v);
	free(v);
	v = hc_env_value(&r, "PATH_TRANSLATED");
	HARNESS_ASSERT(&f, v == NULL || *v == '\0', "PATH_TRANSLATED \"%s\" "
	    "without PATH_INFO (RFC 3875 4.1.6)", v);
	free(v);
	v = hc_env_value(&r, "CONTENT_LENGTH");
	HARNESS_ASSERT(&f, v == NULL || *v == '\0', "CONTENT_LENGTH \"%s\" "
	    "without a body", v);
	free(v);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* The environment is exactly the meta-variables, HTTP_*, PATH (and what
   sh adds): nothing of ferryd's own environment. */
START_TEST(test_env_exact)
{
	static const char *const allowed[] = { "AUTH_TYPE", "CONTENT_LENGTH",
	    "CONTENT_TYPE", "GATEWAY_INTERFACE", "PATH_INFO",
	    "PATH_TRANSLATED", "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST",
	    "REMOTE_IDENT", "REMOTE_USER", "REQUEST_METHOD", "SCRIPT_NAME",
	    "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
	    "SERVER_SOFTWARE", "REMOTE_PORT", "REQUEST_URI",
	    "SCRIPT_FILENAME", "DOCUMENT_ROOT", "REDIRECT_STATUS",
	    "REQUEST_SCHEME", "SERVER_ADDR", "HTTPS", "PATH", "PWD", NULL };
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	const char		*p, *e;
	size_t			 i, nl;
	int			 ok;

	harness_start(&f, NULL, NULL);
	hc_get(&f, "/cgi-bin/env.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	for (p = r.body; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		nl = strcspn(p, "=");
		ok = strncmp(p, "HTTP_", 5) == 0;
		for (i = 0; allowed[i] != NULL && !ok; i++)
			ok = strlen(allowed[i]) == nl &&
			    strncmp(p, allowed[i], nl) == 0;
		HARNESS_ASSERT(&f, ok, "unexpected variable \"%.*s\" in the "
		    "script's environment:\n%s", (int)(e - p), p, r.body);
	}
	HARNESS_ASSERT(&f, strstr(r.body, "FERRY_TEST_LEAK_CANARY") == NULL,
	    "ferryd's environment leaked");
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* httpoxy (CVE-2016-5385): a Proxy field never becomes HTTP_PROXY, while
   other fields pass. */
START_TEST(test_httpoxy)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: t\r\n"
	    "Proxy: http://evil.example:1/\r\nX-Probe: 1\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_expect_env(&f, &r, "HTTP_X_PROBE", "1");
	hc_expect_env(&f, &r, "HTTP_PROXY", NULL);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- which path runs what, and the answers of scripts ---- */

static const struct script_case scripts[] = {
	/* 404 for a script that does not exist. */
	{ .get = { "missing", "/cgi-bin/no-such-script.sh",
	  { .status = 404 } } },
	{ .get = { "missing with path info",
	  "/cgi-bin/no-such-script.sh/with/path-info", { .status = 404 } } },
	/* 403 for a file that is not executable, and for a directory. */
	{ .get = { "non-executable", "/cgi-bin/noexec.sh",
	  { .status = 403, .body_lacks = "noexec-ran" } }, .subdir = 1 },
	{ .get = { "directory", "/cgi-bin/subdir", { .status = 403 } },
	  .subdir = 1 },
	{ .get = { "directory with path info", "/cgi-bin/subdir/x",
	  { .status = 403 } }, .subdir = 1 },
	/* 502 for output without a CGI header block, and for no output. */
	{ .get = { "garbage", "/cgi-bin/garbage.sh",
	  { .status = 502, .body_lacks = "not a header" } } },
	{ .get = { "empty", "/cgi-bin/empty.sh", { .status = 502 } } },
	/* A CGI header block over the size limit is a 502. */
	{ .get = { "head too large", "/cgi-bin/bighead.sh",
	  { .status = 502 } } },
	/* Status header (RFC 3875 6.3.3): the status line follows it, other
	   fields pass, Status itself is not sent. */
	{ .get = { "Status", "/cgi-bin/status.sh",
	  { .status = 201, .reason = "Created", .body = "made\n",
	    .fields = { { "X-Script", "status" }, { "Status", NULL } } } } },
	/* A local redirect (RFC 3875 6.2.2) is served internally; a client
	   redirect (6.2.3) is a 302 with the Location. */
	{ .get = { "local redirect", "/cgi-bin/redirect-local.sh",
	  { .status = 200, .body = "from-redirect" } } },
	{ .get = { "client redirect", "/cgi-bin/redirect-client.sh",
	  { .status = 302, .fields = { { "Location",
	    "http://example.test/elsewhere" } } } } },
	/* A local redirect loop is cut off with a 5xx instead of spinning. */
	{ .get = { "redirect loop", "/cgi-bin/redirect-loop.sh",
	  { .status = 500, .status_max = 599 } },
	  .then = "/cgi-bin/hello.sh" },
	/* A script that exits non-zero after a complete response: the
	   response is still delivered whole, and the exit is logged. */
	{ .get = { "non-zero exit", "/cgi-bin/exit3.sh",
	  { .status = 200, .body = "complete output\n" } },
	  .log = "exit3.sh" },
	/* A script's stderr reaches the error log, tagged with the script. */
	{ .get = { "stderr", "/cgi-bin/stderr.sh", { .status = 200 } },
	  .log = "ferry-stderr-marker one", .log_tag = "stderr.sh" },
};

/* Each GET of scripts[] on a ferryd of its own. */
START_TEST(test_scripts)
{
	const struct script_case	*t = &scripts[_i];
	struct ferryd			 f = { 0 };
	struct hc_response		 r;
	char				*d = NULL, sub[512], *log;
	const char			*line;

	if (t->subdir) {
		d = harness_tmpdir("forbid", 0);
		harness_copy_cgi_dir(d);
		snprintf(sub, sizeof(sub), "%s/subdir", d);
		ck_assert_int_eq(mkdir(sub, 0755), 0);
		f.cgi_dir = d;
	}
	harness_start(&f, NULL, NULL);
	hc_get_check(&f, &t->get);
	if (t->then != NULL) {
		hc_get(&f, t->then, &r);
		HARNESS_ASSERT(&f, r.status == 200, "%s: status %d after",
		    t->get.what, r.status);
		hc_response_free(&r);
	}
	if (t->log != NULL) {
		log = harness_wait_text(f.error_log, t->log, 5000);
		line = log != NULL ? harness_line_of(log, t->log) : NULL;
		HARNESS_ASSERT(&f, line != NULL, "%s: no \"%s\" in the error "
		    "log", t->get.what, t->log);
		HARNESS_ASSERT(&f, t->log_tag == NULL ||
		    (strstr(line, t->log_tag) != NULL &&
		    strstr(line, t->log_tag) < strchr(line, '\n')),
		    "%s: the line is not tagged with %s: %.200s", t->get.what,
		    t->log_tag, line);
		free(log);
	}
	harness_stop_ok(&f);
	if (d != NULL) {
		harness_rmtree(d);
		free(d);
	}
}
END_TEST

/* Path traversal: "..", "%2e%2e", an encoded slash, NUL and a symlink out
   of the CGI directory are refused (400, 403 or 404) and never run the
   script outside; a copy of the directory makes the setup. */
START_TEST(test_traversal)
{
	static const char *const targets[] = {
	    "/cgi-bin/../outside.sh",
	    "/cgi-bin/%2e%2e/outside.sh",
	    "/cgi-bin/%2E%2E/outside.sh",
	    "/cgi-bin/.%2e/outside.sh",
	    "/cgi-bin/..%2foutside.sh",
	    "/cgi-bin/%2e%2e%2foutside.sh",
	    "/cgi-bin/link.sh",
	    "/cgi-bin/linkdir/outside.sh",
	    "/cgi-bin/hello.sh%00",
	    "/cgi-bin/./../outside.sh",
	};
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	char			*d, cgi[512], out[512], ran[512], link[600];
	char			 script[1024], req[1024];
	size_t			 i;

	d = harness_tmpdir("trav", 0);
	snprintf(cgi, sizeof(cgi), "%s/cgi", d);
	snprintf(out, sizeof(out), "%s/outside.sh", d);
	snprintf(ran, sizeof(ran), "%s/outside-ran", d);
	ck_assert_int_eq(mkdir(cgi, 0755), 0);
	harness_copy_cgi_dir(cgi);
	snprintf(script, sizeof(script), "#!/bin/sh\n: > '%s'\n"
	    "printf 'Content-Type: text/plain\\n\\nSECRET-OUTSIDE\\n'\n", ran);
	harness_write_file(out, script, strlen(script), 0755);
	snprintf(link, sizeof(link), "%s/link.sh", cgi);
	ck_assert_int_eq(symlink("../outside.sh", link), 0);
	snprintf(link, sizeof(link), "%s/linkdir", cgi);
	ck_assert_int_eq(symlink("..", link), 0);
	f.cgi_dir = cgi;
	harness_start(&f, NULL, NULL);

	/* The copy serves. */
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "the copy does not serve: %d",
	    r.status);
	hc_response_free(&r);
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n"
		    "Connection: close\r\n\r\n", targets[i]);
		hc_open(&c, &f);
		hc_sendstr(&c, req);
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 400 || r.status == 403 ||
		    r.status == 404, "%s: status %d", targets[i], r.status);
		HARNESS_ASSERT(&f, strstr(r.body, "SECRET") == NULL &&
		    access(ran, F_OK) == -1, "%s ran the script outside",
		    targets[i]);
		hc_response_free(&r);
		hc_close(&c);
	}
	harness_stop_ok(&f);
	harness_rmtree(d);
	free(d);
}
END_TEST

/* ---- output and stdin ---- */

/* A 20 MiB Content-Length body in: the script sees every byte. */
START_TEST(test_big_body_in)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	const size_t		 total = 20 * MiB;
	unsigned char		*body = malloc(total);
	char			 sha[65], want[128], head[256];
	pid_t			 pid;
	int			 ws;

	harness_random_bytes(body, total, 20);
	harness_sha256(body, total, sha);
	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	snprintf(head, sizeof(head), "POST /cgi-bin/sha.sh HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", total);
	hc_sendstr(&c, head);
	pid = hc_send_background(&c, body, total, 15000);
	c.timeout_ms = 30000;
	hc_expect_response(&c, &r, 0);
	waitpid(pid, &ws, 0);
	snprintf(want, sizeof(want), "%zu\n%s\n", total, sha);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, want) == 0,
	    "%d \"%s\", want \"%s\"", r.status, r.body, want);
	HARNESS_ASSERT(&f, WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
	    "sending the body failed");
	hc_response_free(&r);
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/* A 50 MiB body out: the client gets exactly the script's bytes. */
START_TEST(test_big_body_out)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			copy[512], req[1024], got[65], want[65];

	harness_start(&f, NULL, NULL);
	harness_path(copy, sizeof(copy), &f, "out.bin");
	snprintf(req, sizeof(req), "GET /cgi-bin/bigout.sh?%d:%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", 50 * MiB, copy);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	c.timeout_ms = 30000;
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	HARNESS_ASSERT(&f, r.body_len == (size_t)50 * MiB, "%zu bytes",
	    r.body_len);
	HARNESS_ASSERT(&f, r.framing == HC_CHUNKED || r.framing == HC_LENGTH,
	    "framing %d", r.framing);
	harness_sha256(r.body, r.body_len, got);
	harness_sha256_file(copy, want);
	HARNESS_ASSERT(&f, strcmp(got, want) == 0, "SHA-256 %s, want %s",
	    got, want);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A script's first output reaches the client while the script still
   runs: gate.sh prints "first" and waits for the test's go file. */
START_TEST(test_streaming)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			p[512], go[600], done[600], req[1024];
	long long		deadline;

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "s");
	snprintf(go, sizeof(go), "%s.go", p);
	snprintf(done, sizeof(done), "%s.done", p);
	snprintf(req, sizeof(req), "GET /cgi-bin/gate.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	deadline = harness_now_ms() + 10000;
	while ((c.buf == NULL || strstr(c.buf, "first") == NULL) &&
	    harness_now_ms() < deadline && hc_fill(&c, 500) != 0)
		;
	HARNESS_ASSERT(&f, c.buf != NULL && strstr(c.buf, "first") != NULL,
	    "the first line did not arrive while the script waits; got "
	    "\"%.200s\"", c.buf != NULL ? c.buf : "");
	HARNESS_ASSERT(&f, access(done, F_OK) == -1, "the script ended");
	harness_write_file(go, "", 0, 0644);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 &&
	    strcmp(r.body, "first\nsecond\n") == 0, "%d \"%s\"", r.status,
	    r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A script killed by a signal mid-body: the client never sees a clean
   end (no final chunk, or a short body, then a close); a 5xx before any
   byte of the body is fine too. */
START_TEST(test_killed_mid_body)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	int			rc;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/killed.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	rc = hc_read_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.head_done, "no response head: %s", r.error);
	if (rc == 0)
		HARNESS_ASSERT(&f, r.status >= 500, "a killed script's "
		    "response ended cleanly: status %d, %zu body bytes, "
		    "framing %d", r.status, r.body_len, r.framing);
	else
		HARNESS_ASSERT(&f, c.eof && (strstr(r.error, "EOF") != NULL ||
		    strstr(r.error, "reset") != NULL),
		    "want the connection closed mid-body: %s", r.error);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1, "still open");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A script's Content-Length is enforced: 500 of 1000 promised bytes, then
   the connection closes. */
START_TEST(test_short_content_length)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	int			rc;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/short.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	rc = hc_read_response(&c, &r, 0);
	HARNESS_ASSERT(&f, rc == -1 && r.status == 200 &&
	    r.framing == HC_LENGTH, "rc %d status %d framing %d: %s", rc,
	    r.status, r.framing, r.error);
	HARNESS_ASSERT(&f, strcmp(hc_header(&r, "Content-Length"), "1000") ==
	    0, "Content-Length %s", hc_header(&r, "Content-Length"));
	HARNESS_ASSERT(&f, r.body_len == 500, "%zu body bytes", r.body_len);
	HARNESS_ASSERT(&f, c.eof, "not closed: %s", r.error);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- processes: timeouts, the queue, clients gone ---- */

/* request_timeout: a script that does not answer in time gets a 504, and
   its process group (the script and its child) is killed. */
START_TEST(test_timeout_504)
{
	static const char conf[] =
	    "[app slow]\ntype = cgi\nprefix = /slow/\nroot = @CGI_BIN@\n"
	    "request_timeout = 1\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			p[512], file[600], req[1024];
	pid_t			sh, child;

	harness_start(&f, conf, NULL);
	harness_path(p, sizeof(p), &f, "t");
	snprintf(req, sizeof(req), "GET /slow/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	sh = harness_read_pidfile(file, 5000);
	snprintf(file, sizeof(file), "%s.child", p);
	child = harness_read_pidfile(file, 5000);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 504, "status %d, want 504", r.status);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 8000), "the script %d "
	    "still runs", (int)sh);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(child, 8000), "the "
	    "script's child %d still runs", (int)child);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* max_processes = 1, queue = 1: with one request running and one waiting,
   a third gets 503 with Retry-After; the first two complete. */
START_TEST(test_queue_full_503)
{
	static const char conf[] =
	    "[app one]\ntype = cgi\nprefix = /one/\nroot = @CGI_BIN@\n"
	    "max_processes = 1\nqueue = 1\n";
	struct ferryd		 f = { 0 };
	struct hc		 c[3];
	struct hc_response	 r;
	char			 p[3][512], file[2048], req[1024];
	const char		*ra;
	long long		 deadline;
	int			 i, full, queued;

	harness_start(&f, conf, NULL);
	for (i = 0; i < 3; i++) {
		char	name[8];

		snprintf(name, sizeof(name), "q%d", i);
		harness_path(p[i], sizeof(p[i]), &f, name);
		snprintf(req, sizeof(req), "GET /one/gate.sh?%s HTTP/1.1\r\n"
		    "Host: t\r\n\r\n", p[i]);
		hc_open(&c[i], &f);
		hc_sendstr(&c[i], req);
		if (i == 0) {
			snprintf(file, sizeof(file), "%s.pid", p[0]);
			harness_read_pidfile(file, 5000);
		} else
			harness_sleep_ms(300);
	}
	/* The second and third requests may be read in either order: the
	   one that gets an answer now is the one that found the queue full. */
	deadline = harness_now_ms() + 10000;
	for (full = -1; full == -1 && harness_now_ms() < deadline; )
		for (i = 1; i <= 2 && full == -1; i++)
			if (c[i].len > 0 || hc_fill(&c[i], 50) >= 0)
				full = i;
	HARNESS_ASSERT(&f, full != -1, "no 503 within 10 s");
	queued = full == 1 ? 2 : 1;
	hc_expect_response(&c[full], &r, 0);
	HARNESS_ASSERT(&f, r.status == 503, "third: status %d, want 503",
	    r.status);
	ra = hc_header(&r, "Retry-After");
	HARNESS_ASSERT(&f, ra != NULL && (strspn(ra, "0123456789") ==
	    strlen(ra) || harness_parse_imf_fixdate(ra) != -1),
	    "Retry-After \"%s\"", ra != NULL ? ra : "(none)");
	hc_response_free(&r);
	snprintf(file, sizeof(file), "%s.pid", p[queued]);
	HARNESS_ASSERT(&f, access(file, F_OK) == -1,
	    "the queued request runs beside the first");
	for (i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s.go", p[i]);
		harness_write_file(file, "", 0, 0644);
	}
	for (i = 0; i < 3; i++) {
		if (i == full)
			continue;
		hc_expect_response(&c[i], &r, 0);
		HARNESS_ASSERT(&f, r.status == 200 &&
		    strcmp(r.body, "first\nsecond\n") == 0, "request %d: %d "
		    "\"%s\"", i, r.status, r.body);
		hc_response_free(&r);
	}
	for (i = 0; i < 3; i++)
		hc_close(&c[i]);
	harness_stop_ok(&f);
}
END_TEST

/* A request that waited in the queue and then started is no longer
   subject to the queue's timeout (request_timeout = 3): released from
   the queue 2 s after it arrived, its script stays silent past the 3 s
   mark and the request still completes with 200. */
START_TEST(test_queue_timeout_stops_when_started)
{
	static const char conf[] =
	    "[app one]\ntype = cgi\nprefix = /one/\nroot = @CGI_BIN@\n"
	    "max_processes = 1\nqueue = 2\nrequest_timeout = 3\n";
	struct ferryd		 f = { 0 };
	struct hc		 c[2];
	struct hc_response	 r;
	char			 p[2][512], file[2048], req[2048];
	int			 i;

	harness_start(&f, conf, NULL);
	for (i = 0; i < 2; i++) {
		char	name[8];

		snprintf(name, sizeof(name), "t%d", i);
		harness_path(p[i], sizeof(p[i]), &f, name);
		snprintf(req, sizeof(req), "GET /one/%s?%s HTTP/1.1\r\n"
		    "Host: t\r\n\r\n", i == 0 ? "gate.sh" : "late.sh", p[i]);
		hc_open(&c[i], &f);
		hc_sendstr(&c[i], req);
		if (i == 0) {
			snprintf(file, sizeof(file), "%s.pid", p[0]);
			harness_read_pidfile(file, 5000);
		}
	}
	/* The second waits in the queue; free the first after 2 s. */
	harness_sleep_ms(2000);
	snprintf(file, sizeof(file), "%s.go", p[0]);
	harness_write_file(file, "", 0, 0644);
	hc_expect_response(&c[0], &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "first: %d", r.status);
	hc_response_free(&r);
	/* The second runs now; let it pass the queue's 3 s deadline. */
	snprintf(file, sizeof(file), "%s.pid", p[1]);
	harness_read_pidfile(file, 5000);
	harness_sleep_ms(1500);
	snprintf(file, sizeof(file), "%s.go", p[1]);
	harness_write_file(file, "", 0, 0644);
	hc_expect_response(&c[1], &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "late\n") == 0,
	    "second: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	for (i = 0; i < 2; i++)
		hc_close(&c[i]);
	harness_stop_ok(&f);
}
END_TEST

/*
 * A pipelined request that must wait in the queue keeps waiting there:
 * the timer the request before it left armed (header_timeout = 1) does
 * not answer it 408 while it is queued, and it runs once a process is
 * free.  (It used to get the 408, stay in the queue, and be started
 * after its connection was freed.)
 */
START_TEST(test_pipelined_request_queued)
{
	static const char conf[] =
	    "[server]\nheader_timeout = 1\n"
	    "[app one]\ntype = cgi\nprefix = /one/\nroot = @CGI_BIN@\n"
	    "max_processes = 1\nqueue = 4\nrequest_timeout = 30\n";
	struct ferryd		 f = { 0 };
	struct hc		 a, b, c;
	struct hc_response	 r;
	char			 pb[512], pc[512], file[1024], req[1024];

	harness_start(&f, conf, NULL);
	harness_path(pb, sizeof(pb), &f, "b");
	harness_path(pc, sizeof(pc), &f, "c");
	/* b holds the only process; a's first request, then c, queue. */
	hc_open(&b, &f);
	snprintf(req, sizeof(req), "GET /one/late.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", pb);
	hc_sendstr(&b, req);
	snprintf(file, sizeof(file), "%s.pid", pb);
	harness_read_pidfile(file, 5000);
	hc_open(&a, &f);
	hc_sendstr(&a, "GET /one/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /one/hello.sh HTTP/1.1\r\nHost: t\r\n\r\n");
	harness_sleep_ms(300);
	hc_open(&c, &f);
	snprintf(req, sizeof(req), "GET /one/late.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", pc);
	hc_sendstr(&c, req);
	harness_sleep_ms(300);
	/* b ends; a's first runs, then c takes the process, and a's second,
	   read after its first was answered, waits behind c. */
	snprintf(file, sizeof(file), "%s.go", pb);
	harness_write_file(file, "", 0, 0644);
	hc_expect_response(&b, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "b: status %d", r.status);
	hc_response_free(&r);
	hc_expect_response(&a, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "a's first: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	snprintf(file, sizeof(file), "%s.pid", pc);
	harness_read_pidfile(file, 5000);
	/* Past header_timeout, a's second still waits, unanswered. */
	HARNESS_ASSERT(&f, a.len == 0 && hc_fill(&a, 2500) == -1, "a's "
	    "second request was answered (or its connection closed) while it "
	    "waited in the queue: \"%.*s\"", (int)a.len, a.buf);
	snprintf(file, sizeof(file), "%s.go", pc);
	harness_write_file(file, "", 0, 0644);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "c: status %d", r.status);
	hc_response_free(&r);
	hc_expect_response(&a, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "a's second: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_close(&a);
	hc_close(&b);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* The client goes away while the script runs: with the default policy
   (terminate) the script and its child are killed. */
START_TEST(test_client_gone_kill)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	char			p[512], file[600], req[1024];
	pid_t			sh, child;

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "g");
	snprintf(req, sizeof(req), "GET /cgi-bin/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	sh = harness_read_pidfile(file, 5000);
	snprintf(file, sizeof(file), "%s.child", p);
	child = harness_read_pidfile(file, 5000);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 8000), "the script %d "
	    "still runs after its client left", (int)sh);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(child, 8000), "the "
	    "script's child %d still runs", (int)child);
	snprintf(file, sizeof(file), "%s.done", p);
	HARNESS_ASSERT(&f, access(file, F_OK) == -1, "the script finished");
	harness_stop_ok(&f);
}
END_TEST

/* A client that sends part of a Content-Length body and then closes its
   sending side (FIN) is gone (close-notify rule 2), even while some of
   what it sent is still buffered for the script: the script, which reads
   nothing, is stopped. */
START_TEST(test_fin_mid_body_gone)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	char			p[512], file[600], req[1024];
	char			*part;
	size_t			len = 72 * 1024;	/* a pipe, then 8 KiB
						   buffered in ferryd */
	pid_t			sh;

	harness_start(&f, stream_conf, NULL);
	harness_path(p, sizeof(p), &f, "g");
	snprintf(req, sizeof(req), "POST /s/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %d\r\n\r\n", p, MiB);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	sh = harness_read_pidfile(file, 5000);
	part = malloc(len);
	ck_assert_ptr_nonnull(part);
	memset(part, 'x', len);
	hc_send(&c, part, len);
	free(part);
	harness_sleep_ms(200);
	hc_shutdown_write(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 8000), "the script %d "
	    "still runs after its client closed in the middle of the body",
	    (int)sh);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * An upload to a script that reads none of it, and then the client
 * leaves: its body fills the script's pipe, ferryd's input buffer and its
 * socket's, so ferryd no longer reads the socket, yet it sees the reset
 * (how, by rst) or the FIN (by its Content-Length, the body cannot be
 * complete) and stops the script (on_client_gone = terminate, the
 * default).  The body is longer than any receive buffer can grow.
 */
static void
upload_then_leave(int rst)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	char			p[512], file[600], req[1024], conf[512];
	size_t			sent, len = hc_unabsorbable_len();
	pid_t			sh;

	snprintf(conf, sizeof(conf), "[server]\nmax_body_size = %zu\n%s",
	    len, stream_conf);
	harness_start(&f, conf, NULL);
	harness_path(p, sizeof(p), &f, "u");
	snprintf(req, sizeof(req), "POST /s/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", p, len);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	sh = harness_read_pidfile(file, 5000);
	sent = hc_upload_then_leave(&f, &c, NULL, len, rst);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 2000), "the script %d "
	    "still runs 2 s after its client left (%s, %zu body bytes sent)",
	    (int)sh, rst ? "reset" : "FIN", sent);
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

/* body_timeout is about a client that stops sending: a script that read
   its whole body and then works longer than body_timeout is answered,
   with the body buffered (prefix /cgi-bin/, request_buffering on by
   default) and streamed to the script through its pipe (prefix /s/,
   request_buffering = off: the body timer must stop when the pipe
   writer, not the client's read, finishes the body). */
static void
body_timeout_after_body(const char *prefix)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			conf[512], req[256];

	snprintf(conf, sizeof(conf), "[server]\nbody_timeout = 1\n%s",
	    stream_conf);
	harness_start(&f, conf, NULL);
	snprintf(req, sizeof(req), "POST %swork.sh?2 HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 3\r\n\r\nabc", prefix);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "read 3\n") == 0,
	    "%s: status %d, body \"%s\"", prefix, r.status, r.body != NULL ?
	    r.body : "");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}

START_TEST(test_body_timeout_after_body)
{
	body_timeout_after_body("/cgi-bin/");
}
END_TEST

START_TEST(test_body_timeout_after_body_streamed)
{
	body_timeout_after_body("/s/");
}
END_TEST

/*
 * A client that sends its whole request and then shutdown(SHUT_WR)
 * (netcat, scripted clients): with half_close = answer the script runs to
 * its end and its answer arrives, then the connection closes; with the
 * default (gone) the script is stopped, as when the client left.
 */
START_TEST(test_half_close_answer)
{
	static const char conf[] =
	    "[app hc]\ntype = cgi\nprefix = /hc/\nroot = @CGI_BIN@\n"
	    "half_close = answer\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /hc/work.sh?1 HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 3\r\n\r\nabc");
	hc_shutdown_write(&c);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "read 3\n") == 0,
	    "status %d, body \"%s\"", r.status, r.body != NULL ? r.body :
	    "");
	HARNESS_ASSERT(&f, hc_header_has_token(&r, "Connection", "close"),
	    "no Connection: close on the answer to a half-closed client");
	hc_response_free(&r);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stayed open after the answer");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

START_TEST(test_half_close_gone)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	char			p[512], file[600], req[1024];
	pid_t			sh;

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "h");
	snprintf(req, sizeof(req), "GET /cgi-bin/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	sh = harness_read_pidfile(file, 5000);
	hc_shutdown_write(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 4000), "the script %d "
	    "still runs after its client half-closed (half_close = gone)",
	    (int)sh);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stayed open");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * request_buffering (on by default for CGI): a Content-Length body is
 * received whole before the script starts, so a slow or vanishing client
 * costs no process.  The script starts only once the last byte came; a
 * client that leaves first never starts it.
 */
START_TEST(test_buffering_before_start)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			p[512], file[600], req[1024], *body;
	size_t			len = 200 * 1024;

	harness_start(&f, NULL, NULL);
	harness_path(p, sizeof(p), &f, "b");
	snprintf(file, sizeof(file), "%s.pid", p);
	snprintf(req, sizeof(req), "POST /cgi-bin/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", p, len);
	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	memset(body, 'b', len);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_send(&c, body, len / 2);
	harness_sleep_ms(500);
	HARNESS_ASSERT(&f, access(file, F_OK) == -1, "the script started "
	    "before its body was whole");
	hc_send(&c, body + len / 2, len - len / 2);
	(void)harness_read_pidfile(file, 5000);
	hc_close(&c);

	/* Gone half-way: no script at all, and ferryd serves on. */
	harness_path(p, sizeof(p), &f, "g");
	snprintf(file, sizeof(file), "%s.pid", p);
	snprintf(req, sizeof(req), "POST /cgi-bin/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", p, len);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_send(&c, body, len / 2);
	harness_sleep_ms(200);
	hc_reset(&c);
	harness_sleep_ms(500);
	HARNESS_ASSERT(&f, access(file, F_OK) == -1, "a script ran for a "
	    "client that left before its body was whole");
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/* request_buffering = SIZE: bodies up to SIZE are buffered, larger ones
   stream (the script starts with the body still coming); the script
   sees every byte either way. */
START_TEST(test_buffering_size)
{
	static const char conf[] =
	    "[app b]\ntype = cgi\nprefix = /b/\nroot = @CGI_BIN@\n"
	    "request_buffering = 1000\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			p[512], file[600], req[1024], body[5000];

	memset(body, 's', sizeof(body));
	harness_start(&f, conf, NULL);
	harness_path(p, sizeof(p), &f, "s");
	snprintf(file, sizeof(file), "%s.pid", p);
	snprintf(req, sizeof(req), "POST /b/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", p, sizeof(body));
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_send(&c, body, 100);
	(void)harness_read_pidfile(file, 5000);	/* streamed: started */
	hc_reset(&c);

	harness_path(p, sizeof(p), &f, "m");
	snprintf(file, sizeof(file), "%s.pid", p);
	snprintf(req, sizeof(req), "POST /b/sleeper.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: 1000\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_send(&c, body, 100);
	harness_sleep_ms(500);
	HARNESS_ASSERT(&f, access(file, F_OK) == -1, "a body within "
	    "request_buffering was not buffered");
	hc_reset(&c);

	hc_open(&c, &f);
	hc_sendstr(&c, "POST /b/stdin.sh HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 1000\r\n\r\n");
	hc_send(&c, body, 1000);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "stdin 1000\n")
	    == 0, "buffered: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_sendstr(&c, "POST /b/stdin.sh HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5000\r\n\r\n");
	hc_send(&c, body, 5000);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "stdin 5000\n")
	    == 0, "streamed: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* body_min_rate: a client that sends its body slower than the rate, once
   body_timeout has passed, gets 408 (here while its body is buffered: no
   script ever ran for it). */
START_TEST(test_body_min_rate)
{
	static const char conf[] =
	    "[server]\nbody_timeout = 1\nbody_min_rate = 1000\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /cgi-bin/stdin.sh HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 100000\r\n\r\n");
	/* 50 bytes/s: never silent for body_timeout, far below the rate. */
	HARNESS_ASSERT(&f, hc_trickle_until_answer(&c, 8000), "no answer to "
	    "a body at 50 bytes/s within 8 s (body_min_rate = 1000)");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 408, "status %d, want 408", r.status);
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "body_min_rate", 1, 2000) == 1,
	    "the slow client was not logged");
	harness_stop_ok(&f);
}
END_TEST

/* request_timeout measures the script, not the client (issue 14, B): a
   body streamed to the script (request_buffering = off) that the client
   sends over 3 s, with request_timeout = 1, is answered, not cut with a
   504 (cgi.c's timer leaves out the time spent waiting on the client). */
START_TEST(test_request_timeout_not_client)
{
	static const char conf[] =
	    "[app rt]\ntype = cgi\nprefix = /rt/\nroot = @CGI_BIN@\n"
	    "request_buffering = off\nrequest_timeout = 1\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	int			i;

	harness_start(&f, conf, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /rt/stdin.sh HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 10\r\n\r\n");
	for (i = 0; i < 10; i++) {
		harness_sleep_ms(300);
		hc_sendstr(&c, "x");
	}
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && r.body != NULL &&
	    strcmp(r.body, "stdin 10\n") == 0, "status %d, body \"%s\"",
	    r.status, r.body != NULL ? r.body : "");
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_log_count(&f, "no response within") == 0,
	    "the script was charged for the client's slowness");
	harness_stop_ok(&f);
}
END_TEST

/* on_client_gone = finish: the script runs to its end after its client
   left, and ferryd keeps serving. */
START_TEST(test_client_gone_finish)
{
	static const char conf[] =
	    "[app fin]\ntype = cgi\nprefix = /fin/\nroot = @CGI_BIN@\n"
	    "on_client_gone = finish\n";
	struct ferryd		f = { 0 };
	struct hc		c;
	struct hc_response	r;
	char			p[512], file[600], req[1024];

	harness_start(&f, conf, NULL);
	harness_path(p, sizeof(p), &f, "g");
	snprintf(req, sizeof(req), "GET /fin/gate.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	harness_read_pidfile(file, 5000);
	hc_close(&c);
	harness_sleep_ms(500);
	snprintf(file, sizeof(file), "%s.go", p);
	harness_write_file(file, "", 0, 0644);
	snprintf(file, sizeof(file), "%s.done", p);
	HARNESS_ASSERT(&f, harness_wait_file(file, 8000),
	    "the script did not run to its end");
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* ---- out of fds (issue 14, item C) ---- */

/* ferryd runs out of fds (its soft RLIMIT_NOFILE lowered to its lowest
   free fd) when a request for a script comes: the pipes cannot be made.
   That is ferryd's shortage: the request waits in the queue instead of a
   500, and is answered once fds are free again. */
START_TEST(test_out_of_fds_waits)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	long			 old;
	int			 i;

	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	for (i = 0; i < 500 && !harness_holds_only(&f, &c, 1); i++)
		harness_sleep_ms(20);
	HARNESS_ASSERT(&f, harness_holds_only(&f, &c, 1), "the client was "
	    "not accepted");
	old = harness_set_nofile(&f, harness_lowest_free_fd(f.pid));
	hc_send_get(&c, "/cgi-bin/hello.sh");
	(void)harness_wait_log(&f, "out of fds to start a script", 1, 5000);
	harness_sleep_ms(200);
	(void)harness_set_nofile(&f, old);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "status %d, want 200", r.status);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_log_count(&f, "out of fds to start a "
	    "script") == 1, "the shortage was not met, or logged more than "
	    "once");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- a daemonised grandchild (issue 14, item E) ---- */

/* A script starts `setsid sleep 12 &` (it leaves the script's process
   group, so ferryd cannot kill it) and answers.  With max_processes = 1
   and no queue, the slot must be free once the script exited and its
   stdout ended: the next request gets 200, not 503.  The sleep keeps the
   script's stderr (row 0), or its stdout too (row 1: the slot is freed at
   the request timeout, where the answer ends), or floods stderr (row 2).  In neither case does a
   timer fire again for a request already answered. */
static const struct daemon_case {
	const char	*what;
	const char	*path;		/* after /one/daemon.sh */
	int		 held_out;	/* the sleep holds stdout */
} daemon_cases[] = {
	{ "stderr held", "", 0 },
	{ "stdout held", "/stdout", 1 },
	/* Its stderr is read for a bounded time after the script's exit. */
	{ "stderr flooded", "/noisy", 0 },
};

START_TEST(test_daemonised_grandchild)
{
	static const char conf[] =
	    "[app one]\ntype = cgi\nprefix = /one/\nroot = @CGI_BIN@\n"
	    "max_processes = 1\nqueue = 0\nrequest_timeout = 1\n";
	const struct daemon_case *t = &daemon_cases[_i];
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	char			 p[512], file[600], req[1024];
	pid_t			 child;
	int			 rc;

	harness_start(&f, conf, NULL);
	harness_path(p, sizeof(p), &f, "d");
	snprintf(req, sizeof(req), "GET /one/daemon.sh%s?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", t->path, p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.child", p);
	child = harness_read_pidfile(file, 5000);
	HARNESS_ASSERT(&f, child > 0, "%s: no pid of the sleep", t->what);
	/* Held open, the answer ends at the request timeout (cut or not:
	   the script's output was whole). */
	rc = hc_read_response(&c, &r, 0);
	HARNESS_ASSERT(&f, (rc == 0 || t->held_out) && r.status == 200 &&
	    r.body != NULL && strcmp(r.body, "started\n") == 0, "%s: %d %s",
	    t->what, r.status, rc == 0 ? r.body : r.error);
	hc_response_free(&r);
	hc_close(&c);
	/* Over two request timeouts: the slot is free, and no timer fires
	   for the request answered. */
	harness_sleep_ms(t->held_out ? 2500 : 2000);
	hc_get(&f, "/one/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "%s: the next request: %d, want "
	    "200", t->what, r.status);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_log_count(&f, "no response within") == 0,
	    "%s: a request timeout fired for an answered request", t->what);
	HARNESS_ASSERT(&f, harness_log_count(&f, "stdout still open") ==
	    t->held_out, "%s: stdout closed %d times", t->what,
	    harness_log_count(&f, "stdout still open"));
	kill(child, SIGKILL);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
cgi_suite(void)
{
	Suite	*s = suite_create("cgi");
	TCase	*tc;

	tc = tcase_create("environment");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_meta_variables);
	tcase_add_test(tc, test_env_exact);
	tcase_add_test(tc, test_httpoxy);
	suite_add_tcase(s, tc);

	tc = tcase_create("scripts");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_scripts, 0,
	    (int)(sizeof(scripts) / sizeof(scripts[0])));
	tcase_add_test(tc, test_traversal);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_big_body_in);
	tcase_add_test(tc, test_big_body_out);
	tcase_add_test(tc, test_streaming);
	tcase_add_test(tc, test_killed_mid_body);
	tcase_add_test(tc, test_short_content_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("processes");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_timeout_504);
	tcase_add_test(tc, test_queue_full_503);
	tcase_add_test(tc, test_queue_timeout_stops_when_started);
	tcase_add_test(tc, test_pipelined_request_queued);
	tcase_add_test(tc, test_client_gone_kill);
	tcase_add_test(tc, test_fin_mid_body_gone);
	tcase_add_test(tc, test_upload_then_reset);
	tcase_add_test(tc, test_upload_then_fin);
	tcase_add_test(tc, test_half_close_answer);
	tcase_add_test(tc, test_half_close_gone);
	tcase_add_test(tc, test_buffering_before_start);
	tcase_add_test(tc, test_buffering_size);
	tcase_add_test(tc, test_body_min_rate);
	tcase_add_test(tc, test_body_timeout_after_body);
	tcase_add_test(tc, test_body_timeout_after_body_streamed);
	tcase_add_test(tc, test_request_timeout_not_client);
	tcase_add_test(tc, test_client_gone_finish);
	tcase_add_test(tc, test_out_of_fds_waits);
	tcase_add_loop_test(tc, test_daemonised_grandchild, 0,
	    (int)(sizeof(daemon_cases) / sizeof(daemon_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(cgi_suite(), "ferry-cgi");
}
