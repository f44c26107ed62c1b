#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/response.h"
#include "tests/unit/guard.h"

#define DATE	"Sun, 06 Nov 1994 08:49:37 GMT"

/* response_date() for fixed times. */
static const struct {
	time_t		 when;
	const char	*text;
} dates[] = {
	/* The epoch. */
	{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
	/* RFC 9110's example. */
	{ 784111777, DATE },
	/* A leap day. */
	{ 1709210096, "Thu, 29 Feb 2024 12:34:56 GMT" },
	/* A leap day of a century year. */
	{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
	/* The last second of a year. */
	{ 946684799, "Fri, 31 Dec 1999 23:59:59 GMT" },
	/* Before the epoch. */
	{ -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
};

/* response_reason() for some codes. */
static const struct {
	int		 status;
	const char	*reason;
} reasons[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 203, "Non-Authoritative Information" },
	{ 204, "No Content" },
	{ 205, "Reset Content" },
	{ 206, "Partial Content" },
	{ 300, "Multiple Choices" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 305, "Use Proxy" },
	/* 306 is unused (RFC 9110 section 15.4.7). */
	{ 306, "Unknown" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 402, "Payment Required" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 421, "Misdirected Request" },
	{ 422, "Unprocessable Content" },
	{ 426, "Upgrade Required" },
	{ 428, "Precondition Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
	/* Codes it does not know. */
	{ 299, "Unknown" },
	{ 599, "Unknown" },
	{ 0, "Unknown" },
	{ -1, "Unknown" },
};

/*
 * Every framing combination: status, minor, HEAD, keep-alive in, content
 * length; then the framing and keep-alive out, and the fields written
 * between Date and the caller's fields.
 */
static const struct {
	int			 status;
	int			 minor;
	int			 head;
	int			 keep_alive;
	int64_t			 content_length;
	enum response_framing	 framing;
	int			 keep_alive_out;
	const char		*fields;
} frames[] = {
	/* HTTP/1.1 200, known length, keep-alive on */
	{ 200, 1, 0, 1, 5, RESPONSE_LENGTH, 1,
	    "Content-Length: 5\r\n" },
	/* HTTP/1.1 200, known length, keep-alive off */
	{ 200, 1, 0, 0, 5, RESPONSE_LENGTH, 0,
	    "Content-Length: 5\r\nConnection: close\r\n" },
	/* HTTP/1.1 200, unknown length, keep-alive on */
	{ 200, 1, 0, 1, -1, RESPONSE_CHUNKED, 1,
	    "Transfer-Encoding: chunked\r\n" },
	/* HTTP/1.1 200, unknown length, keep-alive off */
	{ 200, 1, 0, 0, -1, RESPONSE_CHUNKED, 0,
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n" },
	/* HTTP/1.1 200 HEAD, known length, keep-alive on */
	{ 200, 1, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "Content-Length: 5\r\n" },
	/* HTTP/1.1 200 HEAD, known length, keep-alive off */
	{ 200, 1, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "Content-Length: 5\r\nConnection: close\r\n" },
	/* HTTP/1.1 200 HEAD, unknown length, keep-alive on */
	{ 200, 1, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 200 HEAD, unknown length, keep-alive off */
	{ 200, 1, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 204, known length, keep-alive on */
	{ 204, 1, 0, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 204, known length, keep-alive off */
	{ 204, 1, 0, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 204, unknown length, keep-alive on */
	{ 204, 1, 0, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 204, unknown length, keep-alive off */
	{ 204, 1, 0, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 204 HEAD, known length, keep-alive on */
	{ 204, 1, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 204 HEAD, known length, keep-alive off */
	{ 204, 1, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 204 HEAD, unknown length, keep-alive on */
	{ 204, 1, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 204 HEAD, unknown length, keep-alive off */
	{ 204, 1, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 304, known length, keep-alive on */
	{ 304, 1, 0, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 304, known length, keep-alive off */
	{ 304, 1, 0, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 304, unknown length, keep-alive on */
	{ 304, 1, 0, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 304, unknown length, keep-alive off */
	{ 304, 1, 0, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 304 HEAD, known length, keep-alive on */
	{ 304, 1, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 304 HEAD, known length, keep-alive off */
	{ 304, 1, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 304 HEAD, unknown length, keep-alive on */
	{ 304, 1, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 304 HEAD, unknown length, keep-alive off */
	{ 304, 1, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.1 100, known length, keep-alive on */
	{ 100, 1, 0, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 100, known length, keep-alive off */
	{ 100, 1, 0, 0, 5, RESPONSE_NO_BODY, 0,
	    "" },
	/* HTTP/1.1 100, unknown length, keep-alive on */
	{ 100, 1, 0, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 100, unknown length, keep-alive off */
	{ 100, 1, 0, 0, -1, RESPONSE_NO_BODY, 0,
	    "" },
	/* HTTP/1.1 100 HEAD, known length, keep-alive on */
	{ 100, 1, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 100 HEAD, known length, keep-alive off */
	{ 100, 1, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "" },
	/* HTTP/1.1 100 HEAD, unknown length, keep-alive on */
	{ 100, 1, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.1 100 HEAD, unknown length, keep-alive off */
	{ 100, 1, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "" },
	/* HTTP/1.0 200, known length, keep-alive on */
	{ 200, 0, 0, 1, 5, RESPONSE_LENGTH, 1,
	    "Content-Length: 5\r\nConnection: keep-alive\r\n" },
	/* HTTP/1.0 200, known length, keep-alive off */
	{ 200, 0, 0, 0, 5, RESPONSE_LENGTH, 0,
	    "Content-Length: 5\r\nConnection: close\r\n" },
	/* HTTP/1.0 200, unknown length, keep-alive on: cleared */
	{ 200, 0, 0, 1, -1, RESPONSE_CLOSE, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 200, unknown length, keep-alive off */
	{ 200, 0, 0, 0, -1, RESPONSE_CLOSE, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 200 HEAD, known length, keep-alive on */
	{ 200, 0, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "Content-Length: 5\r\nConnection: keep-alive\r\n" },
	/* HTTP/1.0 200 HEAD, known length, keep-alive off */
	{ 200, 0, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "Content-Length: 5\r\nConnection: close\r\n" },
	/* HTTP/1.0 200 HEAD, unknown length, keep-alive on */
	{ 200, 0, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 200 HEAD, unknown length, keep-alive off */
	{ 200, 0, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 204, known length, keep-alive on */
	{ 204, 0, 0, 1, 5, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 204, known length, keep-alive off */
	{ 204, 0, 0, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 204, unknown length, keep-alive on */
	{ 204, 0, 0, 1, -1, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 204, unknown length, keep-alive off */
	{ 204, 0, 0, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 204 HEAD, known length, keep-alive on */
	{ 204, 0, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 204 HEAD, known length, keep-alive off */
	{ 204, 0, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 204 HEAD, unknown length, keep-alive on */
	{ 204, 0, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 204 HEAD, unknown length, keep-alive off */
	{ 204, 0, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 304, known length, keep-alive on */
	{ 304, 0, 0, 1, 5, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 304, known length, keep-alive off */
	{ 304, 0, 0, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 304, unknown length, keep-alive on */
	{ 304, 0, 0, 1, -1, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 304, unknown length, keep-alive off */
	{ 304, 0, 0, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 304 HEAD, known length, keep-alive on */
	{ 304, 0, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 304 HEAD, known length, keep-alive off */
	{ 304, 0, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 304 HEAD, unknown length, keep-alive on */
	{ 304, 0, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "Connection: keep-alive\r\n" },
	/* HTTP/1.0 304 HEAD, unknown length, keep-alive off */
	{ 304, 0, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "Connection: close\r\n" },
	/* HTTP/1.0 100, known length, keep-alive on */
	{ 100, 0, 0, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.0 100, known length, keep-alive off */
	{ 100, 0, 0, 0, 5, RESPONSE_NO_BODY, 0,
	    "" },
	/* HTTP/1.0 100, unknown length, keep-alive on */
	{ 100, 0, 0, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.0 100, unknown length, keep-alive off */
	{ 100, 0, 0, 0, -1, RESPONSE_NO_BODY, 0,
	    "" },
	/* HTTP/1.0 100 HEAD, known length, keep-alive on */
	{ 100, 0, 1, 1, 5, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.0 100 HEAD, known length, keep-alive off */
	{ 100, 0, 1, 0, 5, RESPONSE_NO_BODY, 0,
	    "" },
	/* HTTP/1.0 100 HEAD, unknown length, keep-alive on */
	{ 100, 0, 1, 1, -1, RESPONSE_NO_BODY, 1,
	    "" },
	/* HTTP/1.0 100 HEAD, unknown length, keep-alive off */
	{ 100, 0, 1, 0, -1, RESPONSE_NO_BODY, 0,
	    "" },
};

/* Whole heads, byte for byte. */
static const struct {
	const char		*name;
	struct response_head	 h;	/* framing filled by response_frame */
	const char		*date;
	const char		*extra;
	const char		*want;	/* NULL: returns 0 */
} heads[] = {
	/* A plain 200 with a length and the caller's fields. */
	{ "200 length", { 200, 1, 0, 1, 12, 0 }, DATE,
	    "Content-Type: text/plain\r\n",
	    "HTTP/1.1 200 OK\r\nDate: " DATE "\r\nContent-Length: 12\r\n"
	    "Content-Type: text/plain\r\n\r\n" },
	/* An HTTP/1.0 client still gets HTTP/1.1; keep-alive it asked for. */
	{ "1.0 keep-alive", { 404, 0, 0, 1, 9, 0 }, DATE, "",
	    "HTTP/1.1 404 Not Found\r\nDate: " DATE "\r\nContent-Length: 9\r\n"
	    "Connection: keep-alive\r\n\r\n" },
	/* HTTP/1.0, unknown length: close-delimited, said explicitly. */
	{ "1.0 close-delimited", { 200, 0, 0, 1, -1, 0 }, DATE, "",
	    "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n"
	    "Connection: close\r\n\r\n" },
	/* A request too broken to tell its version (minor 0) gets close. */
	{ "400 broken", { 400, 0, 0, 0, 12, 0 }, NULL, "",
	    "HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\n"
	    "Connection: close\r\n\r\n" },
	/* 101: no framing, no Connection of ours, the caller's Upgrade. */
	{ "101 upgrade", { 101, 1, 0, 1, -1, 0 }, DATE,
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n",
	    "HTTP/1.1 101 Switching Protocols\r\nDate: " DATE "\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n" },
	/* 100 Continue, no date. */
	{ "100 no date", { 100, 1, 0, 1, -1, 0 }, NULL, "",
	    "HTTP/1.1 100 Continue\r\n\r\n" },
	/* Chunked, closing, no date. */
	{ "chunked close", { 500, 1, 0, 0, -1, 0 }, NULL, "",
	    "HTTP/1.1 500 Internal Server Error\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" },
	/* The biggest length. */
	{ "INT64_MAX", { 200, 1, 0, 1, INT64_MAX, 0 }, DATE, "",
	    "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n"
	    "Content-Length: 9223372036854775807\r\n\r\n" },
	/* A zero length. */
	{ "length 0", { 200, 1, 0, 1, 0, 0 }, DATE, "",
	    "HTTP/1.1 200 OK\r\nDate: " DATE "\r\nContent-Length: 0\r\n\r\n" },
	/* HEAD keeps the length a GET would have. */
	{ "HEAD length", { 200, 1, 1, 1, 1234, 0 }, DATE, "",
	    "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n"
	    "Content-Length: 1234\r\n\r\n" },
	/* A status code it has no reason for. */
	{ "299", { 299, 1, 0, 1, 0, 0 }, DATE, "",
	    "HTTP/1.1 299 Unknown\r\nDate: " DATE "\r\n"
	    "Content-Length: 0\r\n\r\n" },
	/* Status codes out of 100..599 are refused. */
	{ "99", { 99, 1, 0, 1, 0, 0 }, DATE, "", NULL },
	{ "600", { 600, 1, 0, 1, 0, 0 }, DATE, "", NULL },
	{ "0", { 0, 1, 0, 1, 0, 0 }, DATE, "", NULL },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

START_TEST(test_date)
{
	struct response_date	 d;

	memset(&d, 0, sizeof(d));
	ck_assert_str_eq(response_date(&d, dates[_i].when), dates[_i].text);
	ck_assert_uint_eq(strlen(d.text), RESPONSE_DATE_LEN);
}
END_TEST

/* The text is rebuilt only when the second changes. */
START_TEST(test_date_cache)
{
	struct response_date	 d;
	const char		*p;

	memset(&d, 0, sizeof(d));
	p = response_date(&d, 784111777);
	ck_assert_ptr_eq(p, d.text);
	ck_assert_str_eq(p, DATE);
	/* Mark the cached text: the same second must not rebuild it. */
	d.text[0] = 'X';
	ck_assert_str_eq(response_date(&d, 784111777),
	    "Xun, 06 Nov 1994 08:49:37 GMT");
	/* The next second rebuilds it. */
	ck_assert_str_eq(response_date(&d, 784111778),
	    "Sun, 06 Nov 1994 08:49:38 GMT");
	d.text[0] = 'X';
	ck_assert_str_eq(response_date(&d, 784111778),
	    "Xun, 06 Nov 1994 08:49:38 GMT");
	/* Going back in time rebuilds it too. */
	ck_assert_str_eq(response_date(&d, 0), "Thu, 01 Jan 1970 00:00:00 GMT");
	/* A zeroed cache at time 0 is built, not taken as cached. */
	memset(&d, 0, sizeof(d));
	ck_assert_str_eq(response_date(&d, 0), "Thu, 01 Jan 1970 00:00:00 GMT");
}
END_TEST

START_TEST(test_reason)
{
	ck_assert_str_eq(response_reason(reasons[_i].status),
	    reasons[_i].reason);
}
END_TEST

/* Writes h's head into a buffer of exactly cap bytes before a guard page. */
static size_t
write_guarded(struct guard *g, char **out, size_t cap,
    const struct response_head *h, const char *date, const char *extra)
{
	char	*fill;

	fill = malloc(cap + 1);
	ck_assert_ptr_nonnull(fill);
	memset(fill, '#', cap);
	*out = guard_copy(g, fill, cap);
	free(fill);
	return response_write_head(*out, cap, h, date, extra, strlen(extra));
}

/*
 * Writes the head at every cap from 0 to its size: 0 below it, never a
 * byte past cap (the guard page), the exact bytes at it.
 */
static void
check_head(const char *name, const struct response_head *h, const char *date,
    const char *extra, const char *want)
{
	struct guard	 g = { NULL, 0 };
	char		*out;
	size_t		 cap, n, wantlen;

	if (want == NULL) {
		n = write_guarded(&g, &out, 4096, h, date, extra);
		ck_assert_msg(n == 0, "%s: wrote %zu bytes", name, n);
		guard_free(&g);
		return;
	}
	wantlen = strlen(want);
	for (cap = 0; cap < wantlen; cap++) {
		n = write_guarded(&g, &out, cap, h, date, extra);
		ck_assert_msg(n == 0, "%s: cap %zu gave %zu", name, cap, n);
	}
	n = write_guarded(&g, &out, wantlen, h, date, extra);
	ck_assert_msg(n == wantlen && memcmp(out, want, n) == 0,
	    "%s: wrote \"%.*s\"", name, (int)n, out);
	guard_free(&g);
}

START_TEST(test_frame)
{
	struct response_head	 h;
	char			 want[512], extra[] = "X-A: b\r\n";

	memset(&h, 0, sizeof(h));
	h.status = frames[_i].status;
	h.minor = frames[_i].minor;
	h.head_request = frames[_i].head;
	h.keep_alive = frames[_i].keep_alive;
	h.content_length = frames[_i].content_length;
	response_frame(&h);
	ck_assert_int_eq(h.framing, frames[_i].framing);
	ck_assert_int_eq(h.keep_alive, frames[_i].keep_alive_out);
	snprintf(want, sizeof(want), "HTTP/1.1 %d %s\r\nDate: %s\r\n%s%s\r\n",
	    h.status, response_reason(h.status), DATE, frames[_i].fields,
	    extra);
	check_head("frame", &h, DATE, extra, want);
}
END_TEST

START_TEST(test_head)
{
	struct response_head	 h = heads[_i].h;

	response_frame(&h);
	check_head(heads[_i].name, &h, heads[_i].date, heads[_i].extra,
	    heads[_i].want);
}
END_TEST

/* An empty EXTRA may be NULL. */
START_TEST(test_head_null_extra)
{
	struct response_head	 h = { 204, 1, 0, 1, -1, 0 };
	char			 out[128];
	const char		*want = "HTTP/1.1 204 No Content\r\n\r\n";

	response_frame(&h);
	ck_assert_uint_eq(response_write_head(out, sizeof(out), &h, NULL,
	    NULL, 0), strlen(want));
	ck_assert(memcmp(out, want, strlen(want)) == 0);
}
END_TEST

/* chunk_header(): lowercase hex, no leading zeros, CRLF, NUL. */
static const struct {
	size_t		 len;
	const char	*want;
} chunks[] = {
	{ 1, "1\r\n" },
	{ 15, "f\r\n" },
	{ 16, "10\r\n" },
	{ 255, "ff\r\n" },
	{ 4096, "1000\r\n" },
	{ 0xabcdef, "abcdef\r\n" },
#if SIZE_MAX == UINT64_MAX
	{ SIZE_MAX, "ffffffffffffffff\r\n" },
#else
	{ SIZE_MAX, "ffffffff\r\n" },
#endif
};

START_TEST(test_chunk_header)
{
	struct guard	 g = { NULL, 0 };
	char		*out, fill[CHUNK_HEADER_MAX];
	size_t		 n;

	memset(fill, '#', sizeof(fill));
	out = guard_copy(&g, fill, sizeof(fill));
	n = chunk_header(out, chunks[_i].len);
	ck_assert_uint_eq(n, strlen(chunks[_i].want));
	ck_assert_str_eq(out, chunks[_i].want);
	guard_free(&g);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("response");
	TCase	*tc = tcase_create("response");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_date, 0, (int)NELEM(dates));
	tcase_add_test(tc, test_date_cache);
	tcase_add_loop_test(tc, test_reason, 0, (int)NELEM(reasons));
	tcase_add_loop_test(tc, test_frame, 0, (int)NELEM(frames));
	tcase_add_loop_test(tc, test_head, 0, (int)NELEM(heads));
	tcase_add_test(tc, test_head_null_extra);
	tcase_add_loop_test(tc, test_chunk_header, 0, (int)NELEM(chunks));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
