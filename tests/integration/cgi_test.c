/*
 * Black-box integration tests of ferryd serving CGI (issue 3), written from
 * RFC 9112/9110 (HTTP/1.1), RFC 3875 (CGI/1.1) and DESIGN.md: a real ferryd,
 * real sockets, real scripts from tests/cgi-bin.  The first test case checks
 * the harness's own response reader against canned bytes.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define MiB	(1024 * 1024)

static void	 path_in(char *buf, size_t len, const struct ferryd *f,
		    const char *name);
static void	 get(struct ferryd *f, const char *target,
		    struct hc_response *r);
static char	*env_value(const struct hc_response *r, const char *name);
static void	 expect_env(const struct ferryd *f, const struct hc_response *r,
		    const char *name, const char *want);
static int	 count_fd_lines(const char *s);
static int	 wait_exit(struct ferryd *f, int timeout_ms);
static int	 connect_refused(const struct ferryd *f);
static pid_t	 send_in_background(struct hc *c, const void *data,
		    size_t len);
static void	 expect_error_close(struct ferryd *f, const char *raw,
		    size_t rawlen, int status);
static char	*make_tmpdir(const char *tag);
static int	 rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw);
static int	 count_substr(const char *s, const char *needle);
static long long log_duration(const char *line);
static const char *log_line(const char *log, const char *needle);
static long long proc_cpu_ticks(pid_t pid);
static Suite	*cgi_suite(void);

/* ---- helpers ---- */

static void
path_in(char *buf, size_t len, const struct ferryd *f, const char *name)
{
	snprintf(buf, len, "%s/%s", f->dir, name);
}

/* One GET on a fresh connection; the response in *r. */
static void
get(struct ferryd *f, const char *target, struct hc_response *r)
{
	struct hc	c;
	char		req[8192];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n"
	    "User-Agent: ferry-test\r\n\r\n", target);
	hc_open(&c, f);
	hc_sendstr(&c, req);
	hc_expect_response(&c, r, 0);
	hc_close(&c);
}

/* The value of NAME in an env(1) dump, malloc'd, or NULL. */
static char *
env_value(const struct hc_response *r, const char *name)
{
	const char	*p = r->body, *e;
	size_t		 nl = strlen(name);

	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		if (strncmp(p, name, nl) == 0 && p[nl] == '=')
			return strndup(p + nl + 1, e != NULL ?
			    (size_t)(e - p - nl - 1) : strlen(p + nl + 1));
		p = e != NULL ? e + 1 : NULL;
	}
	return NULL;
}

static void
expect_env(const struct ferryd *f, const struct hc_response *r,
    const char *name, const char *want)
{
	char	*v = env_value(r, name);

	if (want == NULL) {
		HARNESS_ASSERT(f, v == NULL, "%s must be unset, is \"%s\"; "
		    "environment:\n%s", name, v, r->body);
		return;
	}
	HARNESS_ASSERT(f, v != NULL && strcmp(v, want) == 0,
	    "%s is \"%s\", want \"%s\"; environment:\n%s", name,
	    v != NULL ? v : "(unset)", want, r->body);
	free(v);
}

/* Lines of `ls -l /proc/self/fd` that name an fd. */
static int
count_fd_lines(const char *s)
{
	return count_substr(s, " -> ");
}

static int
count_substr(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

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

/* Sends from a child process, for bodies the server may not read while
   the test reads the response.  Reap the returned pid with waitpid. */
static pid_t
send_in_background(struct hc *c, const void *data, size_t len)
{
	pid_t	pid;

	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		c->timeout_ms = 15000;
		_exit(hc_try_send(c, data, len) == 0 ? 0 : 1);
	}
	return pid;
}

/*
 * Sends raw on a fresh connection; expects `status` with Connection: close
 * and then the connection closed by ferryd with nothing more sent.
 */
static void
expect_error_close(struct ferryd *f, const char *raw, size_t rawlen,
    int status)
{
	struct hc		 c;
	struct hc_response	 r;
	int			 closed;

	hc_open(&c, f);
	hc_try_send(&c, raw, rawlen);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(f, r.status == status, "status %d, want %d for "
	    "\"%.200s\"", r.status, status, raw);
	HARNESS_ASSERT(f, hc_header_has_token(&r, "Connection", "close"),
	    "a %d must carry Connection: close", status);
	closed = hc_wait_closed(&c, 5000);
	HARNESS_ASSERT(f, closed == 1, "after the %d the connection must "
	    "close with nothing more sent (got %d, %zu bytes: \"%.100s\")",
	    status, closed, c.len, c.buf != NULL ? c.buf : "");
	hc_response_free(&r);
	hc_close(&c);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static char *
make_tmpdir(const char *tag)
{
	const char	*base = getenv("FERRY_TEST_TMP");
	char		*p;

	if (asprintf(&p, "%s/%s.XXXXXX", base != NULL ? base : "/tmp",
	    tag) == -1 || mkdtemp(p) == NULL)
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	return p;
}

/* ---- the harness itself, against canned bytes ---- */

struct canned {
	const char	*comment;
	const char	*bytes;
	int		 flags;
	int		 rc;		/* of hc_read_response */
	int		 status;
	const char	*body;		/* NULL: do not check */
	enum hc_framing	 framing;
	const char	*error;		/* substring of r.error when rc -1 */
	const char	*rest;		/* bytes left unread, NULL: "" */
};

static const struct canned canned[] = {
	/* A Content-Length body. */
	{ "length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	  0, 0, 200, "hello", HC_LENGTH, NULL, NULL },
	/* Chunked with an extension and a trailer field. */
	{ "chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "5;x=y\r\nhello\r\n1\r\n!\r\n0\r\nT: v\r\n\r\n",
	  0, 0, 200, "hello!", HC_CHUNKED, NULL, NULL },
	/* Chunk data not followed by CRLF. */
	{ "chunk crlf", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "5\r\nhelloX\r\n0\r\n\r\n",
	  0, -1, 200, "hello", HC_CHUNKED, "not followed by CRLF", NULL },
	/* EOF before the last chunk: a killed response, not a clean end. */
	{ "chunk eof", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "5\r\nhello\r\n",
	  0, -1, 200, "hello", HC_CHUNKED, "EOF", NULL },
	/* A bad chunk size. */
	{ "chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "0x5\r\nhello\r\n0\r\n\r\n",
	  0, -1, 200, "", HC_CHUNKED, "bad chunk-size", NULL },
	/* A close-delimited body. */
	{ "close", "HTTP/1.0 200 OK\r\n\r\nall of it",
	  0, 0, 200, "all of it", HC_CLOSE, NULL, NULL },
	/* A HEAD response: a Content-Length but no body. */
	{ "head", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
	  HC_HEAD, 0, 200, "", HC_NO_BODY, NULL, NULL },
	/* 304 with a Content-Length has no body; the next bytes stay. */
	{ "304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\nHTTP",
	  0, 0, 304, "", HC_NO_BODY, NULL, "HTTP" },
	/* 204: no body. */
	{ "204", "HTTP/1.1 204 No Content\r\n\r\n",
	  0, 0, 204, "", HC_NO_BODY, NULL, NULL },
	/* 1xx skipped and recorded. */
	{ "100 then 200", "HTTP/1.1 100 Continue\r\n\r\n"
	  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	  0, 0, 200, "ok", HC_LENGTH, NULL, NULL },
	/* 1xx returned when asked. */
	{ "100 alone", "HTTP/1.1 100 Continue\r\n\r\n"
	  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	  HC_INTERIM, 0, 100, "", HC_NO_BODY, NULL,
	  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" },
	/* Pipelined responses: the second stays unread. */
	{ "pipelined", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
	  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
	  0, 0, 200, "a", HC_LENGTH, NULL,
	  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb" },
	/* Bare LF line ends are an error. */
	{ "bare lf", "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
	  0, -1, 0, NULL, HC_NO_BODY, "CRLF", NULL },
	/* Content-Length together with Transfer-Encoding is an error. */
	{ "cl+te", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	  0, -1, 200, NULL, HC_NO_BODY, "both", NULL },
	/* A body shorter than its Content-Length. */
	{ "short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	  0, -1, 200, "abc", HC_LENGTH, "EOF", NULL },
	/* A bad status line. */
	{ "status line", "HTTP/1.1 20 OK\r\n\r\n",
	  0, -1, 0, NULL, HC_NO_BODY, "status line", NULL },
	/* A field name with a space before the colon. */
	{ "field", "HTTP/1.1 200 OK\r\nBad : x\r\nContent-Length: 0\r\n\r\n",
	  0, -1, 200, NULL, HC_NO_BODY, "bad header field", NULL },
	/* EOF in the head. */
	{ "eof head", "HTTP/1.1 200 OK\r\nContent-Le",
	  0, -1, 0, NULL, HC_NO_BODY, "EOF", NULL },
};

/* Feeds one canned response through a socketpair in pieces of `piece`
   bytes from a child process, then closes, and checks the result. */
static void
canned_run(const struct canned *t, size_t piece)
{
	struct hc		 c;
	struct hc_response	 r;
	const char		*p;
	size_t			 len = strlen(t->bytes), n, left;
	int			 sv[2], rc, ws;
	pid_t			 pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		for (p = t->bytes, left = len; left > 0; p += n, left -= n) {
			n = left < piece ? left : piece;
			if (write(sv[1], p, n) != (ssize_t)n)
				_exit(1);
			if (piece < len)
				usleep(200);
		}
		/* Hold the socket open a little: EOF must not be needed
		   where the framing ends the body. */
		harness_sleep_ms(t->rest != NULL || t->framing == HC_CLOSE ||
		    t->rc == -1 ? 0 : 20);
		_exit(0);
	}
	close(sv[1]);
	hc_init_fd(&c, sv[0]);
	c.timeout_ms = 3000;
	rc = hc_read_response(&c, &r, t->flags);
	ck_assert_msg(rc == t->rc, "%s (piece %zu): rc %d, want %d (%s)",
	    t->comment, piece, rc, t->rc, r.error);
	ck_assert_msg(r.status == t->status, "%s: status %d, want %d",
	    t->comment, r.status, t->status);
	if (t->body != NULL)
		ck_assert_msg(r.body != NULL && strcmp(r.body, t->body) == 0,
		    "%s (piece %zu): body \"%s\", want \"%s\"", t->comment,
		    piece, r.body, t->body);
	if (rc == 0)
		ck_assert_msg(r.framing == t->framing, "%s: framing %d, "
		    "want %d", t->comment, r.framing, t->framing);
	else
		ck_assert_msg(strstr(r.error, t->error) != NULL,
		    "%s: error \"%s\" lacks \"%s\"", t->comment, r.error,
		    t->error);
	if (t->rest != NULL) {
		/* The rest may still be on its way. */
		while (c.len < strlen(t->rest) && hc_fill(&c, 3000) > 0)
			;
		ck_assert_msg(c.len == strlen(t->rest) &&
		    memcmp(c.buf, t->rest, c.len) == 0,
		    "%s: left \"%.*s\", want \"%s\"", t->comment, (int)c.len,
		    c.buf != NULL ? c.buf : "", t->rest);
	}
	hc_response_free(&r);
	hc_close(&c);
	waitpid(pid, &ws, 0);
}

/* Every canned response, whole and byte by byte. */
START_TEST(test_harness_canned)
{
	const struct canned	*t = &canned[_i];

	canned_run(t, strlen(t->bytes));
	canned_run(t, 1);
	canned_run(t, 7);
}
END_TEST

/* A silent peer makes the reader fail after its deadline, not hang. */
START_TEST(test_harness_timeout)
{
	struct hc		 c;
	struct hc_response	 r;
	int			 sv[2];
	long long		 t0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	hc_init_fd(&c, sv[0]);
	c.timeout_ms = 300;
	ck_assert_int_eq(write(sv[1], "HTTP/1.1 200 OK\r\n", 17), 17);
	t0 = harness_now_ms();
	ck_assert_int_eq(hc_read_response(&c, &r, 0), -1);
	ck_assert_msg(harness_now_ms() - t0 < 2000, "the deadline held");
	ck_assert_msg(strstr(r.error, "no byte") != NULL, "%s", r.error);
	ck_assert_int_eq(hc_wait_closed(&c, 100), 0);	/* bytes unread */
	hc_response_free(&r);
	hc_close(&c);
	close(sv[1]);
}
END_TEST

/* The small helpers: dates, SHA-256, tokens, closing. */
START_TEST(test_harness_helpers)
{
	char		 sha[65];
	struct hc	 c;
	int		 sv[2];

	ck_assert_int_eq(harness_parse_imf_fixdate(
	    "Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
	ck_assert_int_eq(harness_parse_imf_fixdate(
	    "Mon, 06 Nov 1994 08:49:37 GMT"), -1);	/* wrong weekday */
	ck_assert_int_eq(harness_parse_imf_fixdate(
	    "Sunday, 06-Nov-94 08:49:37 GMT"), -1);	/* RFC 850 */
	ck_assert_int_eq(harness_parse_imf_fixdate(
	    "Sun, 6 Nov 1994 08:49:37 GMT"), -1);
	harness_sha256("abc", 3, sha);
	ck_assert_str_eq(sha, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	hc_init_fd(&c, sv[0]);
	ck_assert_int_eq(hc_wait_closed(&c, 50), -1);	/* still open */
	ck_assert_int_eq(hc_quiet(&c, 50), 1);
	close(sv[1]);
	ck_assert_int_eq(hc_wait_closed(&c, 1000), 1);
	hc_close(&c);
}
END_TEST

/* ---- HTTP/1.1 behaviour ---- */

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

/* Date (RFC 9110 6.6.1): exactly one, IMF-fixdate, now, on script
   responses and on ferryd's own error responses. */
START_TEST(test_date_format)
{
	static const char *const targets[] = { "/cgi-bin/hello.sh",
	    "/cgi-bin/no-such-script", "/cgi-bin/status.sh" };
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	long long		 t;
	size_t			 i;

	harness_start(&f, NULL, NULL);
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		get(&f, targets[i], &r);
		HARNESS_ASSERT(&f, hc_header_count(&r, "Date") == 1,
		    "%s: %zu Date fields", targets[i],
		    hc_header_count(&r, "Date"));
		t = harness_parse_imf_fixdate(hc_header(&r, "Date"));
		HARNESS_ASSERT(&f, t != -1, "%s: Date \"%s\" is not an "
		    "IMF-fixdate", targets[i], hc_header(&r, "Date"));
		HARNESS_ASSERT(&f, llabs(t - (long long)time(NULL)) < 60,
		    "Date %s is not now", hc_header(&r, "Date"));
		hc_response_free(&r);
	}
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
	pid = send_in_background(&c, body, total);
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
	path_in(copy, sizeof(copy), &f, "out.bin");
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
	path_in(p, sizeof(p), &f, "s");
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

/* ---- CGI/1.1 (RFC 3875) ---- */

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
	expect_env(&f, &r, "GATEWAY_INTERFACE", "CGI/1.1");
	expect_env(&f, &r, "REQUEST_METHOD", "POST");
	expect_env(&f, &r, "QUERY_STRING", "a=1&b=%41");	/* not decoded */
	expect_env(&f, &r, "PATH_INFO", "/extra/p q");		/* decoded */
	expect_env(&f, &r, "SCRIPT_NAME", "/cgi-bin/env.sh");
	expect_env(&f, &r, "SERVER_PROTOCOL", "HTTP/1.1");
	expect_env(&f, &r, "REMOTE_ADDR", "127.0.0.1");
	expect_env(&f, &r, "REMOTE_PORT", port);
	expect_env(&f, &r, "SERVER_PORT", sport);
	expect_env(&f, &r, "SERVER_NAME", "example.test");
	expect_env(&f, &r, "CONTENT_TYPE",
	    "application/x-www-form-urlencoded");
	expect_env(&f, &r, "CONTENT_LENGTH", "3");
	expect_env(&f, &r, "HTTP_HOST", "example.test");
	expect_env(&f, &r, "HTTP_USER_AGENT", "ferry-test");
	expect_env(&f, &r, "HTTP_X_CUSTOM", "one, two");
	expect_env(&f, &r, "HTTP_ACCEPT_LANGUAGE", "en");
	v = env_value(&r, "SERVER_SOFTWARE");
	HARNESS_ASSERT(&f, v != NULL && *v != '\0', "no SERVER_SOFTWARE");
	free(v);
	/* PATH_TRANSLATED, when given, maps the decoded PATH_INFO. */
	v = env_value(&r, "PATH_TRANSLATED");
	HARNESS_ASSERT(&f, v == NULL || (strlen(v) > 10 &&
	    strcmp(v + strlen(v) - 10, "/extra/p q") == 0),
	    "PATH_TRANSLATED \"%s\"", v);
	free(v);
	v = env_value(&r, "PATH");
	HARNESS_ASSERT(&f, v != NULL && *v != '\0', "no PATH");
	free(v);
	hc_response_free(&r);

	/* A GET without a body or PATH_INFO, on the same connection. */
	hc_sendstr(&c, "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: h:8\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	expect_env(&f, &r, "REQUEST_METHOD", "GET");
	expect_env(&f, &r, "QUERY_STRING", "");	/* "MUST be set" */
	expect_env(&f, &r, "SERVER_NAME", "h");
	v = env_value(&r, "PATH_INFO");
	HARNESS_ASSERT(&f, v == NULL || *v == '\0', "PATH_INFO \"%s\"", v);
	free(v);
	v = env_value(&r, "PATH_TRANSLATED");
	HARNESS_ASSERT(&f, v == NULL || *v == '\0', "PATH_TRANSLATED \"%s\" "
	    "without PATH_INFO (RFC 3875 4.1.6)", v);
	free(v);
	v = env_value(&r, "CONTENT_LENGTH");
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
	get(&f, "/cgi-bin/env.sh", &r);
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
	expect_env(&f, &r, "HTTP_X_PROBE", "1");
	expect_env(&f, &r, "HTTP_PROXY", NULL);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
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

	d = make_tmpdir("trav");
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
	get(&f, "/cgi-bin/hello.sh", &r);
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
	nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}
END_TEST

/* 404 for a script that does not exist. */
START_TEST(test_missing_404)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/no-such-script.sh", &r);
	HARNESS_ASSERT(&f, r.status == 404, "status %d", r.status);
	hc_response_free(&r);
	get(&f, "/cgi-bin/no-such-script.sh/with/path-info", &r);
	HARNESS_ASSERT(&f, r.status == 404, "status %d", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* 403 for a file that is not executable, and for a directory. */
START_TEST(test_forbidden_403)
{
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	char			*d, sub[512];

	d = make_tmpdir("forbid");
	harness_copy_cgi_dir(d);
	snprintf(sub, sizeof(sub), "%s/subdir", d);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	f.cgi_dir = d;
	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/noexec.sh", &r);
	HARNESS_ASSERT(&f, r.status == 403, "non-executable: status %d",
	    r.status);
	HARNESS_ASSERT(&f, strstr(r.body, "noexec-ran") == NULL, "it ran");
	hc_response_free(&r);
	get(&f, "/cgi-bin/subdir", &r);
	HARNESS_ASSERT(&f, r.status == 403, "directory: status %d", r.status);
	hc_response_free(&r);
	get(&f, "/cgi-bin/subdir/x", &r);
	HARNESS_ASSERT(&f, r.status == 403, "directory with path info: "
	    "status %d", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
	nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}
END_TEST

/* 502 for output without a CGI header block, and for no output. */
START_TEST(test_malformed_502)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/garbage.sh", &r);
	HARNESS_ASSERT(&f, r.status == 502, "garbage: status %d", r.status);
	HARNESS_ASSERT(&f, strstr(r.body, "not a header") == NULL,
	    "the garbage was passed on");
	hc_response_free(&r);
	get(&f, "/cgi-bin/empty.sh", &r);
	HARNESS_ASSERT(&f, r.status == 502, "empty: status %d", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* Status header (RFC 3875 6.3.3): the status line follows it, other
   fields pass, Status itself is not sent. */
START_TEST(test_status_header)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/status.sh", &r);
	HARNESS_ASSERT(&f, r.status == 201, "status %d", r.status);
	HARNESS_ASSERT(&f, strcmp(r.reason, "Created") == 0, "reason %s",
	    r.reason);
	HARNESS_ASSERT(&f, hc_header(&r, "X-Script") != NULL &&
	    strcmp(hc_header(&r, "X-Script"), "status") == 0, "X-Script");
	HARNESS_ASSERT(&f, hc_header(&r, "Status") == NULL, "Status sent");
	HARNESS_ASSERT(&f, strcmp(r.body, "made\n") == 0, "body %s", r.body);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* A local redirect (RFC 3875 6.2.2) is served internally; a client
   redirect (6.2.3) is a 302 with the Location. */
START_TEST(test_redirects)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/redirect-local.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 &&
	    strcmp(r.body, "from-redirect") == 0, "local: %d \"%s\"",
	    r.status, r.body);
	hc_response_free(&r);
	get(&f, "/cgi-bin/redirect-client.sh", &r);
	HARNESS_ASSERT(&f, r.status == 302, "client: status %d", r.status);
	HARNESS_ASSERT(&f, hc_header(&r, "Location") != NULL &&
	    strcmp(hc_header(&r, "Location"), "http://example.test/elsewhere")
	    == 0, "Location %s", hc_header(&r, "Location"));
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* A script that exits non-zero after a complete response: the response
   is still delivered whole, and the exit is logged. */
START_TEST(test_exit_nonzero)
{
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	char			*log;
	long long		 deadline;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/exit3.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 &&
	    strcmp(r.body, "complete output\n") == 0, "%d \"%s\"", r.status,
	    r.body);
	hc_response_free(&r);
	deadline = harness_now_ms() + 5000;
	while ((log = harness_read_file(f.error_log, NULL)) != NULL &&
	    strstr(log, "exit3.sh") == NULL && harness_now_ms() < deadline) {
		free(log);
		harness_sleep_ms(50);
	}
	HARNESS_ASSERT(&f, log != NULL && strstr(log, "exit3.sh") != NULL,
	    "the non-zero exit is not logged");
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* A script's stderr reaches the error log, tagged with the script. */
START_TEST(test_stderr_logged)
{
	struct ferryd		 f = { 0 };
	struct hc_response	 r;
	char			*log = NULL, *line;
	long long		 deadline;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/stderr.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	deadline = harness_now_ms() + 5000;
	for (;;) {
		free(log);
		log = harness_read_file(f.error_log, NULL);
		if ((log != NULL && strstr(log, "ferry-stderr-marker one")) ||
		    harness_now_ms() > deadline)
			break;
		harness_sleep_ms(50);
	}
	line = log != NULL ? strstr(log, "ferry-stderr-marker one") : NULL;
	HARNESS_ASSERT(&f, line != NULL, "the stderr line is not in the "
	    "error log");
	while (line > log && line[-1] != '\n')
		line--;
	HARNESS_ASSERT(&f, strstr(line, "stderr.sh") != NULL &&
	    strstr(line, "stderr.sh") < strchr(line, '\n'),
	    "the line is not tagged with the script: %.200s", line);
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* ---- failures of scripts ---- */

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
	path_in(p, sizeof(p), &f, "t");
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
		path_in(p[i], sizeof(p[i]), &f, name);
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
		path_in(p[i], sizeof(p[i]), &f, name);
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

/* The client goes away while the script runs: with the default policy
   (terminate) the script and its child are killed. */
START_TEST(test_client_gone_kill)
{
	struct ferryd		f = { 0 };
	struct hc		c;
	char			p[512], file[600], req[1024];
	pid_t			sh, child;

	harness_start(&f, NULL, NULL);
	path_in(p, sizeof(p), &f, "g");
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
	path_in(p, sizeof(p), &f, "g");
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
	get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
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
	expect_error_close(&f, req, strlen(req), 431);
	/* Too many fields, each small. */
	n = snprintf(req, sizeof(req), "GET /cgi-bin/hello.sh HTTP/1.1\r\n"
	    "Host: t\r\n");
	for (i = 0; i < 20; i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
		    "X-F%d: v\r\n", i);
	snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	expect_error_close(&f, req, strlen(req), 431);
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
	expect_error_close(&f, req, strlen(req), 414);
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
	expect_error_close(&f, req, sizeof(req) - 1, 400);
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
	expect_error_close(&f, t->raw, strlen(t->raw), t->status);
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
	expect_error_close(&f, req, (size_t)n + 5000, 413);

	n = snprintf(req, sizeof(req), "POST /cgi-bin/echo.sh HTTP/1.1\r\n"
	    "Host: t\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 3; i++) {
		n += snprintf(req + n, sizeof(req) - (size_t)n, "258\r\n");
		memset(req + n, 'c', 600);
		n += 600;
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	}
	n += snprintf(req + n, sizeof(req) - (size_t)n, "0\r\n\r\n");
	expect_error_close(&f, req, (size_t)n, 413);
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

/* A script that does not read a large body (beyond 256 KiB): the client
   still gets the response, then the connection closes. */
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
	harness_start(&f, NULL, NULL);
	hc_open(&c, &f);
	snprintf(head, sizeof(head), "POST /cgi-bin/hello.sh HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %zu\r\n\r\n", len);
	hc_sendstr(&c, head);
	pid = send_in_background(&c, body, len);
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

/* ---- lifecycle ---- */

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
	path_in(p, sizeof(p), &f, "gs");
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
	path_in(p, sizeof(p), &f, "sd");
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

/* Returns the start of the line holding needle, or NULL. */
static const char *
log_line(const char *log, const char *needle)
{
	const char	*p = strstr(log, needle);

	if (p == NULL)
		return NULL;
	while (p > log && p[-1] != '\n')
		p--;
	return p;
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
		get(&f, want, &r);
		hc_response_free(&r);
	}
	get(&f, "/cgi-bin/no-such.sh", &r);
	nf_len = r.body_len;
	hc_response_free(&r);
	expect_error_close(&f, "GET /x HTTP/1.1\r\nHost : t\r\n\r\n", 29, 400);
	deadline = harness_now_ms() + 5000;
	for (;;) {
		free(log);
		log = harness_read_file(f.access_log, NULL);
		if ((log != NULL && count_substr(log, "\n") >= 5) ||
		    harness_now_ms() > deadline)
			break;
		harness_sleep_ms(50);
	}
	HARNESS_ASSERT(&f, log != NULL, "no access log");
	HARNESS_ASSERT(&f, count_substr(log, "\n") == 5, "want 5 lines:\n%s",
	    log);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "\"GET /cgi-bin/query.sh?uniq-%d "
		    "HTTP/1.1\" 200 6 \"-\" \"ferry-test\" ", i);
		line = log_line(log, want);
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
	line = log_line(log, want);
	HARNESS_ASSERT(&f, line != NULL, "no line with %s (the 404's body "
	    "bytes) in\n%s", want, log);
	us = log_duration(line);
	HARNESS_ASSERT(&f, us >= 0 && us < 60000000LL, "duration %lld us in "
	    "%.200s", us, line);
	line = log_line(log, "\" 400 ");
	HARNESS_ASSERT(&f, line != NULL, "no line for the 400 in\n%s", log);
	us = log_duration(line);
	HARNESS_ASSERT(&f, us >= 0 && us < 60000000LL, "duration %lld us in "
	    "%.200s", us, line);
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
		if ((log != NULL && count_substr(log, "\n") >= 20) ||
		    harness_now_ms() > deadline)
			break;
		harness_sleep_ms(50);
	}
	HARNESS_ASSERT(&f, log != NULL && count_substr(log, "\n") == 20,
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
	get(&f, "/cgi-bin/query.sh?quiet", &r);
	ck_assert_int_eq(r.status, 200);
	hc_response_free(&r);
	expect_error_close(&f, "GET /x HTTP/1.1\r\nHost : t\r\n\r\n", 29, 400);
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
	get(&f, "/cgi-bin/query.sh?before", &r);
	hc_response_free(&r);
	snprintf(old, sizeof(old), "%s.1", f.access_log);
	ck_assert_int_eq(rename(f.access_log, old), 0);
	kill(f.pid, SIGUSR1);
	deadline = harness_now_ms() + 5000;
	while (harness_now_ms() < deadline) {
		get(&f, "/cgi-bin/query.sh?after", &r);
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
	path_in(file, sizeof(file), &f, "upload");
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

/* Framing of script output (DESIGN.md): a response that ends within the
   first buffer gets a Content-Length; a longer one without a length of
   its own is chunked to a 1.1 client; a script's own Content-Length is
   kept, also for a long body. */
START_TEST(test_response_framing)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.framing == HC_LENGTH &&
	    strcmp(hc_header(&r, "Content-Length"), "6") == 0,
	    "short output: framing %d", r.framing);
	hc_response_free(&r);
	get(&f, "/cgi-bin/bigout.sh?300000", &r);
	HARNESS_ASSERT(&f, r.framing == HC_CHUNKED && r.body_len == 300000,
	    "long output: framing %d, %zu bytes", r.framing, r.body_len);
	hc_response_free(&r);
	get(&f, "/cgi-bin/cl-long.sh", &r);
	HARNESS_ASSERT(&f, r.framing == HC_LENGTH && r.body_len == 300000 &&
	    strcmp(hc_header(&r, "Content-Length"), "300000") == 0,
	    "script's length: framing %d, %zu bytes", r.framing, r.body_len);
	hc_response_free(&r);
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
	path_in(p, sizeof(p), &f, "pd");
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

/* A local redirect loop is cut off with a 5xx instead of spinning. */
START_TEST(test_redirect_loop)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/redirect-loop.sh", &r);
	HARNESS_ASSERT(&f, r.status >= 500 && r.status <= 599,
	    "status %d", r.status);
	hc_response_free(&r);
	get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "status %d after", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* A CGI header block over the size limit is a 502. */
START_TEST(test_cgi_head_too_large)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/bighead.sh", &r);
	HARNESS_ASSERT(&f, r.status == 502, "status %d", r.status);
	hc_response_free(&r);
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

/* --listen unix:PATH and [::1]:PORT serve like the TCP listener. */
START_TEST(test_listen_other)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	char			*d, sock[512], l6[64];
	const char		*extra[5];
	int			 port6 = harness_free_port6(), n = 0;

	d = make_tmpdir("unix");
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
		expect_env(&f, &r, "REMOTE_ADDR", "::1");
		hc_response_free(&r);
		hc_close(&c);
	}
	harness_stop_ok(&f);
	nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}
END_TEST

/* CPU time (utime + stime, in clock ticks) of a process. */
static long long
proc_cpu_ticks(pid_t pid)
{
	char			 path[64], *s, *p;
	unsigned long long	 v[2] = { 0, 0 };
	int			 field, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((s = harness_read_file(path, NULL)) == NULL ||
	    (p = strrchr(s, ')')) == NULL) {
		free(s);
		return -1;
	}
	/* After ")": field 3 is the state; utime and stime are 14 and 15. */
	for (field = 2, i = 0; *p != '\0' && field < 15; p++) {
		if (*p == ' ') {
			field++;
			if (field >= 14) {
				for (p++; *p >= '0' && *p <= '9'; p++)
					v[i] = v[i] * 10 + (unsigned)(*p - '0');
				i++;
				p--;
			}
		}
	}
	free(s);
	return (long long)(v[0] + v[1]);
}

/* Out of fds (RLIMIT_NOFILE 64 and 100 idle clients): ferryd pauses
   accepting instead of spinning, and serves again once fds are free. */
START_TEST(test_out_of_fds)
{
	static const char conf[] = "[server]\nmax_connections = 1000\n";
	struct ferryd		 f = { 0 };
	struct hc		 c[100], n;
	struct hc_response	 r;
	long long		 t0, t1, hz = sysconf(_SC_CLK_TCK);
	int			 i;

	f.nofile = 64;
	harness_start(&f, conf, NULL);
	for (i = 0; i < 100; i++)
		hc_open(&c[i], &f);
	harness_sleep_ms(500);
	t0 = proc_cpu_ticks(f.pid);
	harness_sleep_ms(1000);
	t1 = proc_cpu_ticks(f.pid);
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

/* SIGINT stops ferryd like SIGTERM: exit 0. */
START_TEST(test_stop_sigint)
{
	struct ferryd		f = { 0 };
	struct hc_response	r;
	int			code;

	harness_start(&f, NULL, NULL);
	get(&f, "/cgi-bin/hello.sh", &r);
	hc_response_free(&r);
	kill(f.pid, SIGINT);
	code = wait_exit(&f, 5000);
	HARNESS_ASSERT(&f, code == 0, "exit status %d after SIGINT", code);
}
END_TEST

static Suite *
cgi_suite(void)
{
	Suite	*s = suite_create("cgi");
	TCase	*tc;

	tc = tcase_create("harness");
	tcase_add_loop_test(tc, test_harness_canned, 0,
	    (int)(sizeof(canned) / sizeof(canned[0])));
	tcase_add_test(tc, test_harness_timeout);
	tcase_add_test(tc, test_harness_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_get);
	tcase_add_test(tc, test_date_format);
	tcase_add_test(tc, test_keepalive_reuse);
	tcase_add_test(tc, test_pipelined_three);
	tcase_add_test(tc, test_pipelined_head);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_http10_close);
	tcase_add_test(tc, test_http10_long_body);
	tcase_add_test(tc, test_http10_keepalive);
	tcase_add_test(tc, test_connection_close);
	tcase_add_test(tc, test_expect_continue);
	tcase_add_test(tc, test_expect_unknown);
	tcase_add_test(tc, test_chunked_request);
	tcase_add_test(tc, test_chunked_request_large);
	tcase_add_test(tc, test_big_body_in);
	tcase_add_test(tc, test_big_body_out);
	tcase_add_test(tc, test_streaming);
	tcase_add_test(tc, test_curl);
	tcase_add_test(tc, test_response_framing);
	tcase_add_test(tc, test_expect_http10);
	tcase_add_test(tc, test_pipelined_during_script);
	tcase_add_test(tc, test_listen_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("cgi");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_meta_variables);
	tcase_add_test(tc, test_env_exact);
	tcase_add_test(tc, test_httpoxy);
	tcase_add_test(tc, test_traversal);
	tcase_add_test(tc, test_missing_404);
	tcase_add_test(tc, test_forbidden_403);
	tcase_add_test(tc, test_malformed_502);
	tcase_add_test(tc, test_status_header);
	tcase_add_test(tc, test_redirects);
	tcase_add_test(tc, test_exit_nonzero);
	tcase_add_test(tc, test_stderr_logged);
	tcase_add_test(tc, test_killed_mid_body);
	tcase_add_test(tc, test_short_content_length);
	tcase_add_test(tc, test_timeout_504);
	tcase_add_test(tc, test_queue_full_503);
	tcase_add_test(tc, test_queue_timeout_stops_when_started);
	tcase_add_test(tc, test_client_gone_kill);
	tcase_add_test(tc, test_client_gone_finish);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_redirect_loop);
	tcase_add_test(tc, test_cgi_head_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_slowloris);
	tcase_add_test(tc, test_keepalive_timeout);
	tcase_add_test(tc, test_header_too_large_431);
	tcase_add_test(tc, test_target_too_long_414);
	tcase_add_test(tc, test_smuggling_400);
	tcase_add_loop_test(tc, test_bad_requests, 0,
	    (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
	tcase_add_test(tc, test_body_too_large_413);
	tcase_add_test(tc, test_unread_body_drained);
	tcase_add_test(tc, test_unread_body_large);
	tcase_add_test(tc, test_max_connections);
	tcase_add_test(tc, test_write_timeout);
	tcase_add_test(tc, test_body_timeout);
	tcase_add_test(tc, test_out_of_fds);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_graceful_stop);
	tcase_add_test(tc, test_stop_idle);
	tcase_add_test(tc, test_stop_deadline);
	tcase_add_test(tc, test_access_log);
	tcase_add_test(tc, test_access_log_batch);
	tcase_add_test(tc, test_access_log_off);
	tcase_add_test(tc, test_reopen_logs);
	tcase_add_test(tc, test_stop_sigint);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	char	*base;
	int	 failed;

	/* Every temp file of the run lives under one directory. */
	base = make_tmpdir("ferry-it");
	setenv("FERRY_TEST_TMP", base, 1);
	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(cgi_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (getenv("FERRY_TEST_KEEP") == NULL)
		nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", base);
	free(base);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
