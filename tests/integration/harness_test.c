/*
 * The harness's own tests (harness.h): its strict response reader against
 * canned bytes fed whole and in pieces, its deadlines, and its small
 * helpers.  No ferryd runs here.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static Suite	*harness_suite(void);

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

/* Which of c[0], c[1] the accepted socket a is the server end of: 0, 1,
   or -1. */
static int
ht_accepted_of(int a, const struct hc *c)
{
	struct sockaddr_in	 peer, mine;
	socklen_t		 len;
	int			 k;

	len = sizeof(peer);
	if (getpeername(a, (struct sockaddr *)&peer, &len) == -1)
		return -1;
	for (k = 0; k < 2; k++) {
		len = sizeof(mine);
		if (getsockname(c[k].fd, (struct sockaddr *)&mine, &len) == 0 &&
		    mine.sin_port == peer.sin_port)
			return k;
	}
	return -1;
}

/* harness_holds_only, against a listener of this process standing in for
   ferryd: a connection in the listen queue is not held, an accepted one
   is, and one held besides those asked about spoils the answer. */
START_TEST(test_harness_holds_only)
{
	struct ferryd		 f;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct hc		 c[2];
	int			 lfd, a0, a1, k;

	memset(&f, 0, sizeof(f));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(lfd = socket(AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	f.pid = getpid();
	f.port = ntohs(sin.sin_port);
	ck_assert_int_eq(harness_holds_only(&f, c, 0), 1);
	hc_open(&c[0], &f);
	hc_open(&c[1], &f);
	ck_assert_int_eq(harness_holds_only(&f, c, 2), 0);	/* queued */
	ck_assert_int_eq(harness_holds_only(&f, c, 0), 1);
	/* The first accepted is either (the handshakes of two connects
	   may complete out of order on a loaded machine). */
	ck_assert_int_ne(a0 = accept(lfd, NULL, NULL), -1);
	k = ht_accepted_of(a0, c);
	ck_assert_int_ne(k, -1);
	ck_assert_int_eq(harness_holds_only(&f, &c[k], 1), 1);
	ck_assert_int_eq(harness_holds_only(&f, c, 2), 0);
	ck_assert_int_eq(harness_holds_only(&f, &c[1 - k], 1), 0);
	ck_assert_int_ne(a1 = accept(lfd, NULL, NULL), -1);
	ck_assert_int_eq(harness_holds_only(&f, c, 2), 1);
	ck_assert_int_eq(harness_holds_only(&f, &c[k], 1), 0);	/* both */
	close(a0);
	ck_assert_int_eq(harness_holds_only(&f, &c[1 - k], 1), 1);
	close(a1);
	ck_assert_int_eq(harness_holds_only(&f, c, 0), 1);
	hc_close(&c[0]);
	hc_close(&c[1]);
	close(lfd);
}
END_TEST

/* hc_check passes a response that is as wanted; the text, environment
   dump and directory helpers do what harness.h says. */
START_TEST(test_harness_check)
{
	static const char	 env[] = "A=1\nPATH=/bin\nAB=2";
	struct hc		 c;
	struct hc_response	 r;
	struct hc_want		 w = { .status = 200, .reason = "OK",
				    .body = env, .body_lacks = "B=1",
				    .body_len = sizeof(env) - 1,
				    .framing = HC_FRAMING(HC_LENGTH) |
				    HC_FRAMING(HC_CHUNKED), .date = 1,
				    .fields = { { "X-A", "a" },
				    { "X-B", NULL } } };
	char			 bytes[512], date[64], sub[600], *d, *v;
	time_t			 now = time(NULL);
	struct tm		 tm;
	int			 sv[2], n;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	n = snprintf(bytes, sizeof(bytes), "HTTP/1.1 200 OK\r\nDate: %s\r\n"
	    "X-A: a\r\nContent-Length: %zu\r\n\r\n%s", date, sizeof(env) - 1,
	    env);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], bytes, (size_t)n), n);
	hc_init_fd(&c, sv[0]);
	ck_assert_int_eq(hc_read_response(&c, &r, 0), 0);
	hc_check(NULL, "canned", &r, &w);
	w.status = 100;
	w.status_max = 299;
	hc_check(NULL, "canned, a range of statuses", &r, &w);

	v = hc_env_value(&r, "A");
	ck_assert_str_eq(v, "1");
	free(v);
	v = hc_env_value(&r, "AB");
	ck_assert_str_eq(v, "2");
	free(v);
	ck_assert_ptr_null(hc_env_value(&r, "B"));
	hc_expect_env(NULL, &r, "PATH", "/bin");
	hc_expect_env(NULL, &r, "B", NULL);
	ck_assert_int_eq(harness_count(env, "="), 3);
	ck_assert_int_eq(harness_count(env, "xyz"), 0);
	ck_assert_str_eq(harness_line_of(env, "/bin"), "PATH=/bin\nAB=2");
	ck_assert_str_eq(harness_line_of(env, "A=1"), env);
	ck_assert_ptr_null(harness_line_of(env, "xyz"));
	hc_response_free(&r);
	hc_close(&c);
	close(sv[1]);

	d = harness_tmpdir("check", 0);
	snprintf(sub, sizeof(sub), "%s/sub", d);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/sub/file", d);
	harness_write_file(sub, "x", 1, 0644);
	v = harness_wait_text(sub, "x", 1000);
	ck_assert_str_eq(v, "x");
	free(v);
	harness_rmtree(d);
	ck_assert_int_eq(access(d, F_OK), -1);
	free(d);
}
END_TEST

static Suite *
harness_suite(void)
{
	Suite	*s = suite_create("harness");
	TCase	*tc;

	tc = tcase_create("harness");
	tcase_add_loop_test(tc, test_harness_canned, 0,
	    (int)(sizeof(canned) / sizeof(canned[0])));
	tcase_add_test(tc, test_harness_timeout);
	tcase_add_test(tc, test_harness_helpers);
	tcase_add_test(tc, test_harness_holds_only);
	tcase_add_test(tc, test_harness_check);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(harness_suite(), "ferry-harness");
}
