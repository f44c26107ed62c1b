#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/http1.h"
#include "tests/unit/guard.h"

#define NFIELDS_MAX	128
#define SPLIT_EDGE	512	/* every split this close to either end */
#define SPLIT_STRIDE	61	/* elsewhere, one split in this many */

/*
 * One request head and what the parser must answer for it.  For a good
 * request (want > 0) every listed span is compared; a NULL string means
 * "p == NULL", "" means "empty but present".
 */
struct tcase {
	const char		*what;
	const char		*in;
	size_t			 inlen;		/* 0: strlen(in) */
	const struct http1_limits *lim;		/* NULL: the defaults */
	ssize_t			 want;		/* consumed or -STATUS */
	size_t			 errat;		/* error: shortest prefix that
						   reports it; 0: unchecked */
	const char		*method;
	const char		*target;
	enum http1_target_form	 form;
	const char		*authority;
	const char		*path;
	const char		*query;
	int			 minor;
	size_t			 nfields;
	const char * const	*fv;		/* name, value, ..., NULL */
	enum http1_body		 body;
	uint64_t		 cl;
	unsigned int		 flags;
};

static const struct http1_limits small = { 16, 64, 3 };
/* max_target >= max_head: the target is still bounded by max_target only */
static const struct http1_limits wide = { 64, 32, 4 };

#define GET11		"GET / HTTP/1.1\r\n"
#define HOSTA		"Host: a\r\n"
#define LEN(s)		(sizeof(s) - 1)
#define PIPE_HEAD	GET11 HOSTA "\r\n"

/* A good GET / with Host: a and nothing else of note. */
#define GOOD_GET(w, s, n) \
	.what = (w), .in = (s), .want = (ssize_t)LEN(s), .method = "GET", \
	.target = "/", .form = HTTP1_TARGET_ORIGIN, .authority = "a", \
	.path = "/", .minor = 1, .nfields = (n)

#define BAD(w, s, st) \
	.what = (w), .in = (s), .inlen = LEN(s), .want = -(st)

static const struct tcase cases[] = {
	/* The simplest complete request. */
	{ .what = "simple GET",
	  .in = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
	  .want = 37, .method = "GET", .target = "/",
	  .form = HTTP1_TARGET_ORIGIN, .authority = "example.com",
	  .path = "/", .minor = 1, .nfields = 1,
	  .fv = (const char * const[]){ "Host", "example.com", NULL } },
	/* Origin form: path and query split at the first '?'. */
	{ .what = "origin form with query",
	  .in = "POST /a/b?x=1&y=?2 HTTP/1.1\r\nHost: h:8080\r\n\r\n",
	  .want = 45, .method = "POST", .target = "/a/b?x=1&y=?2",
	  .form = HTTP1_TARGET_ORIGIN, .authority = "h:8080",
	  .path = "/a/b", .query = "x=1&y=?2", .minor = 1, .nfields = 1 },
	/* A '?' with nothing after it is an empty, present query. */
	{ .what = "empty query",
	  .in = "GET /a? HTTP/1.1\r\nHost: a\r\n\r\n",
	  .want = 29, .method = "GET", .target = "/a?",
	  .form = HTTP1_TARGET_ORIGIN, .authority = "a", .path = "/a",
	  .query = "", .minor = 1, .nfields = 1 },
	/* Absolute form: authority, path and query come from the target. */
	{ .what = "absolute form",
	  .in = "GET http://h:81/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
	  .want = 45, .method = "GET", .target = "http://h:81/p?q",
	  .form = HTTP1_TARGET_ABSOLUTE, .authority = "h:81", .path = "/p",
	  .query = "q", .minor = 1, .nfields = 1 },
	/* Absolute form, scheme case-insensitive, empty path reads as "/". */
	{ .what = "absolute form, HTTPS, no path",
	  .in = "GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n",
	  .want = 35, .method = "GET", .target = "HTTPS://h",
	  .form = HTTP1_TARGET_ABSOLUTE, .authority = "h", .path = "/",
	  .minor = 1, .nfields = 1 },
	/* Absolute form with a query but no path. */
	{ .what = "absolute form, query, no path",
	  .in = "GET http://h?q=1 HTTP/1.1\r\nHost: h\r\n\r\n",
	  .want = 38, .method = "GET", .target = "http://h?q=1",
	  .form = HTTP1_TARGET_ABSOLUTE, .authority = "h", .path = "/",
	  .query = "q=1", .minor = 1, .nfields = 1 },
	/* Absolute form with an IPv6 literal. */
	{ .what = "absolute form, IPv6",
	  .in = "GET http://[::1]:8080/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
	  .want = 54, .method = "GET", .target = "http://[::1]:8080/x",
	  .form = HTTP1_TARGET_ABSOLUTE, .authority = "[::1]:8080",
	  .path = "/x", .minor = 1, .nfields = 1 },
	/* Authority form with CONNECT; Host may be omitted. */
	{ .what = "authority form",
	  .in = "CONNECT h:443 HTTP/1.1\r\n\r\n",
	  .want = 26, .method = "CONNECT", .target = "h:443",
	  .form = HTTP1_TARGET_AUTHORITY, .authority = "h:443",
	  .minor = 1 },
	/* Authority form with a Host field: authority still from target. */
	{ .what = "authority form with Host",
	  .in = "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
	  .want = 39, .method = "CONNECT", .target = "h:443",
	  .form = HTTP1_TARGET_AUTHORITY, .authority = "h:443",
	  .minor = 1, .nfields = 1 },
	/* Asterisk form with OPTIONS; Host may be omitted. */
	{ .what = "asterisk form",
	  .in = "OPTIONS * HTTP/1.1\r\n\r\n",
	  .want = 22, .method = "OPTIONS", .target = "*",
	  .form = HTTP1_TARGET_ASTERISK, .path = "*", .minor = 1 },
	/* Asterisk form with Host: authority is the Host value. */
	{ .what = "asterisk form with Host",
	  .in = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	  .want = 31, .method = "OPTIONS", .target = "*",
	  .form = HTTP1_TARGET_ASTERISK, .authority = "a", .path = "*",
	  .minor = 1, .nfields = 1 },
	/* HTTP/1.0 may omit Host. */
	{ .what = "HTTP/1.0 without Host",
	  .in = "GET / HTTP/1.0\r\n\r\n", .want = 18, .method = "GET",
	  .target = "/", .form = HTTP1_TARGET_ORIGIN, .path = "/",
	  .minor = 0 },
	/* A higher minor version is answered as HTTP/1.1. */
	{ .what = "HTTP/1.2 reads as 1.1",
	  .in = "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .want = 27,
	  .method = "GET", .target = "/", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "a", .path = "/", .minor = 1, .nfields = 1 },
	/* HTTP/1.9 too. */
	{ GOOD_GET("HTTP/1.9 reads as 1.1", "GET / HTTP/1.9\r\n" HOSTA "\r\n",
	  1) },
	/* Empty lines before the request line are skipped and counted. */
	{ GOOD_GET("leading CRLFs", "\r\n\r\n" GET11 HOSTA "\r\n", 1) },
	/* Pipelined bytes after the head are not consumed. */
	{ .what = "pipelined request",
	  .in = PIPE_HEAD "GET /x HTTP/1.1\r\n", .want = LEN(PIPE_HEAD),
	  .method = "GET", .target = "/", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "a", .path = "/", .minor = 1, .nfields = 1 },
	/* A body after the head is not consumed either. */
	{ .what = "body after head",
	  .in = PIPE_HEAD "hello", .want = LEN(PIPE_HEAD), .method = "GET",
	  .target = "/", .form = HTTP1_TARGET_ORIGIN, .authority = "a",
	  .path = "/", .minor = 1, .nfields = 1 },
	/* Methods are case-sensitive tokens: lowercase is just a token. */
	{ .what = "lowercase method",
	  .in = "get / HTTP/1.1\r\nHost: a\r\n\r\n", .want = 27,
	  .method = "get", .target = "/", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "a", .path = "/", .minor = 1, .nfields = 1 },
	/* Every tchar is allowed in a method. */
	{ .what = "method of all tchar kinds",
	  .in = "X!#$%&'*+-.^_`|~9 / HTTP/1.1\r\nHost: a\r\n\r\n",
	  .want = 41, .method = "X!#$%&'*+-.^_`|~9", .target = "/",
	  .form = HTTP1_TARGET_ORIGIN, .authority = "a", .path = "/",
	  .minor = 1, .nfields = 1 },
	/* "OPTIONS /" is plain origin form. */
	{ .what = "OPTIONS with origin form",
	  .in = "OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n", .want = 32,
	  .method = "OPTIONS", .target = "/x", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "a", .path = "/x", .minor = 1, .nfields = 1 },
	/* OWS around values is trimmed, inner whitespace kept. */
	{ GOOD_GET("OWS trimmed",
	  GET11 "Host: \t a \t\r\nX-A:b\r\nX-B:  c \t d  \r\nX-C:\r\n"
	  "X-D: \t \r\n\r\n", 5),
	  .fv = (const char * const[]){ "Host", "a", "X-A", "b", "X-B",
	  "c \t d", "X-C", "", "X-D", "", NULL } },
	/* obs-text (0x80-0xff) is allowed in values. */
	{ GOOD_GET("obs-text in value",
	  GET11 HOSTA "X: caf\xc3\xa9 \xff\r\n\r\n", 2),
	  .fv = (const char * const[]){ "Host", "a", "X",
	  "caf\xc3\xa9 \xff", NULL } },
	/* Field names keep their case; Host is found case-insensitively. */
	{ GOOD_GET("HOST in capitals", GET11 "HOST: a\r\n\r\n", 1),
	  .fv = (const char * const[]){ "HOST", "a", NULL } },
	/* An empty Host is accepted for origin form. */
	{ .what = "empty Host",
	  .in = GET11 "Host:\r\n\r\n", .want = 25, .method = "GET",
	  .target = "/", .form = HTTP1_TARGET_ORIGIN, .authority = "",
	  .path = "/", .minor = 1, .nfields = 1 },
	/* Host forms: IPv4 with port, IPv6 literal, pct-encoded reg-name. */
	{ .what = "Host IPv4 and port",
	  .in = GET11 "Host: 10.0.0.1:65535\r\n\r\n", .want = 40,
	  .method = "GET", .target = "/", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "10.0.0.1:65535", .path = "/", .minor = 1,
	  .nfields = 1 },
	{ .what = "Host IPv6 literal",
	  .in = GET11 "Host: [fe80::1]\r\n\r\n", .want = 35,
	  .method = "GET", .target = "/", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "[fe80::1]", .path = "/", .minor = 1, .nfields = 1 },
	{ .what = "Host pct-encoded, empty port",
	  .in = GET11 "Host: a%2Db.c:\r\n\r\n", .want = 34,
	  .method = "GET", .target = "/", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "a%2Db.c:", .path = "/", .minor = 1, .nfields = 1 },

	/* Body framing. */
	/* Content-Length gives a length body. */
	{ GOOD_GET("Content-Length", GET11 HOSTA "Content-Length: 5\r\n\r\n",
	  2), .body = HTTP1_BODY_LENGTH, .cl = 5 },
	/* Content-Length: 0 is a (zero) length body, not "none". */
	{ GOOD_GET("Content-Length 0", GET11 HOSTA "Content-length:0\r\n\r\n",
	  2), .body = HTTP1_BODY_LENGTH, .cl = 0 },
	/* Leading zeros are digits like any other. */
	{ GOOD_GET("Content-Length leading zeros",
	  GET11 HOSTA "Content-Length: 007\r\n\r\n", 2),
	  .body = HTTP1_BODY_LENGTH, .cl = 7 },
	/* Identical repeated Content-Length fields count once. */
	{ GOOD_GET("identical Content-Lengths",
	  GET11 HOSTA "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 3),
	  .body = HTTP1_BODY_LENGTH, .cl = 5 },
	/* A list of identical values counts once. */
	{ GOOD_GET("Content-Length list 5, 5",
	  GET11 HOSTA "Content-Length: 5, 5 ,5\r\n\r\n", 2),
	  .body = HTTP1_BODY_LENGTH, .cl = 5 },
	/* The largest 19-digit value. */
	{ GOOD_GET("Content-Length 19 digits",
	  GET11 HOSTA "Content-Length: 9999999999999999999\r\n\r\n", 2),
	  .body = HTTP1_BODY_LENGTH, .cl = UINT64_C(9999999999999999999) },
	/* Transfer-Encoding: chunked. */
	{ GOOD_GET("chunked", GET11 HOSTA "Transfer-Encoding: chunked\r\n\r\n",
	  2), .body = HTTP1_BODY_CHUNKED },
	/* OWS before the value is HTAB here. */
	{ GOOD_GET("TE:\\tchunked",
	  GET11 HOSTA "Transfer-Encoding:\tchunked\r\n\r\n", 2),
	  .body = HTTP1_BODY_CHUNKED },
	/* Coding names are case-insensitive; trailing OWS trimmed. */
	{ GOOD_GET("TE Chunked", GET11 HOSTA "transfer-encoding: Chunked \r\n"
	  "\r\n", 2), .body = HTTP1_BODY_CHUNKED },

	/* Connection and Expect. */
	/* Connection: close. */
	{ GOOD_GET("Connection close", GET11 HOSTA "Connection: close\r\n\r\n",
	  2), .flags = HTTP1_F_CLOSE },
	/* Lists, case, repetition and unknown options. */
	{ GOOD_GET("Connection list",
	  GET11 HOSTA "Connection: Keep-Alive, ,foo,UPGRADE\r\n"
	  "connection: CLOSE\r\n\r\n", 3),
	  .flags = HTTP1_F_CLOSE | HTTP1_F_KEEPALIVE | HTTP1_F_UPGRADE },
	/* Unknown options alone set nothing. */
	{ GOOD_GET("Connection other", GET11 HOSTA "Connection: closed, x\r\n"
	  "\r\n", 2) },
	/* Expect: 100-continue, case-insensitive. */
	{ GOOD_GET("Expect 100-continue",
	  GET11 HOSTA "Expect: 100-Continue\r\n\r\n", 2),
	  .flags = HTTP1_F_EXPECT_CONTINUE },
	/* Any other expectation asks for 417. */
	{ GOOD_GET("Expect other", GET11 HOSTA "Expect: 200-ok\r\n\r\n", 2),
	  .flags = HTTP1_F_EXPECT_OTHER },
	/* Expect is ignored in HTTP/1.0. */
	{ .what = "Expect in HTTP/1.0",
	  .in = "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", .want = 40,
	  .method = "GET", .target = "/", .form = HTTP1_TARGET_ORIGIN,
	  .path = "/", .minor = 0, .nfields = 1 },

	/* Limits that are just met. */
	/* Exactly max_fields fields. */
	{ GOOD_GET("max_fields fields", GET11 HOSTA "A: 1\r\nB: 2\r\n\r\n", 3),
	  .lim = &small },
	/* Exactly max_target target bytes. */
	{ .what = "target of max_target",
	  .in = "GET /234567890123456 HTTP/1.1\r\nHost: a\r\n\r\n",
	  .lim = &small, .want = 42, .method = "GET",
	  .target = "/234567890123456", .form = HTTP1_TARGET_ORIGIN,
	  .authority = "a", .path = "/234567890123456", .minor = 1,
	  .nfields = 1 },
	/* A head of exactly max_head bytes. */
	{ GOOD_GET("head of max_head",
	  GET11 HOSTA "X: 01234567890123456789012345678901\r\n\r\n", 2),
	  .lim = &small },
	/* max_head bytes besides the target's one byte: the target does
	   not count toward max_head. */
	{ GOOD_GET("head of max_head besides the target",
	  GET11 HOSTA "X: 012345678901234567890123456789012\r\n\r\n", 2),
	  .lim = &small },
	/* max_target above max_head: a target within max_target never makes
	   the head too long (issue 14 F: was 431 at byte 34). */
	{ .what = "wide: target over max_head",
	  .in = "GET /2345678901234567890123456789 HTTP/1.1\r\nHost: a\r\n\r\n",
	  .lim = &wide, .want = 55, .method = "GET",
	  .target = "/2345678901234567890123456789",
	  .form = HTTP1_TARGET_ORIGIN, .authority = "a",
	  .path = "/2345678901234567890123456789", .minor = 1, .nfields = 1 },
	/* A target of exactly max_target, four times max_head. */
	{ .what = "wide: target of max_target",
	  .in = "GET /234567890123456789012345678901234567890123456789012345678"
	  "901234 HTTP/1.1\r\nHost: a\r\n\r\n",
	  .lim = &wide, .want = 90, .method = "GET",
	  .target = "/234567890123456789012345678901234567890123456789012345678"
	  "901234", .form = HTTP1_TARGET_ORIGIN, .authority = "a",
	  .path = "/234567890123456789012345678901234567890123456789012345678"
	  "901234", .minor = 1, .nfields = 1 },

	/* Smuggling vectors and other framing errors. */
	/* CL with TE. */
	{ BAD("CL+TE", GET11 HOSTA "Content-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 400), .errat = 72 },
	/* TE with CL, other order, CL 0. */
	{ BAD("TE+CL 0", GET11 HOSTA "Transfer-Encoding: chunked\r\n"
	  "Content-Length: 0\r\n\r\n", 400) },
	/* Two different Content-Lengths. */
	{ BAD("two different CLs", GET11 HOSTA "Content-Length: 5\r\n"
	  "Content-Length: 6\r\n\r\n", 400), .errat = 63 },
	/* A list of different values. */
	{ BAD("CL list 5, 6", GET11 HOSTA "Content-Length: 5, 6\r\n\r\n",
	  400) },
	/* A sign is not a digit. */
	{ BAD("CL +5", GET11 HOSTA "Content-Length: +5\r\n\r\n", 400) },
	/* Negative. */
	{ BAD("CL -1", GET11 HOSTA "Content-Length: -1\r\n\r\n", 400) },
	/* Hex. */
	{ BAD("CL 0x10", GET11 HOSTA "Content-Length: 0x10\r\n\r\n", 400) },
	/* Inner whitespace. */
	{ BAD("CL 1 0", GET11 HOSTA "Content-Length: 1 0\r\n\r\n", 400) },
	/* Empty value. */
	{ BAD("CL empty", GET11 HOSTA "Content-Length: \r\n\r\n", 400) },
	/* Empty list element. */
	{ BAD("CL 5,", GET11 HOSTA "Content-Length: 5,\r\n\r\n", 400) },
	/* 2^64: 20 digits, overflows. */
	{ BAD("CL 2^64", GET11 HOSTA "Content-Length: 18446744073709551616\r\n"
	  "\r\n", 400) },
	/* 20 digits, even with a small value. */
	{ BAD("CL 20 digits", GET11 HOSTA "Content-Length: "
	  "00000000000000000001\r\n\r\n", 400) },
	/* chunked not alone. */
	{ BAD("TE chunked, identity", GET11 HOSTA "Transfer-Encoding: chunked, "
	  "identity\r\n\r\n", 501) },
	/* Not "chunked" at all. */
	{ BAD("TE xchunked", GET11 HOSTA "Transfer-Encoding: xchunked\r\n\r\n",
	  501), .errat = 54 },
	/* A coding ferry does not decode before chunked. */
	{ BAD("TE gzip, chunked", GET11 HOSTA "Transfer-Encoding: gzip, "
	  "chunked\r\n\r\n", 501) },
	/* A quoted string is not a coding name. */
	{ BAD("TE \"chunked\"", GET11 HOSTA "Transfer-Encoding: \"chunked\"\r\n"
	  "\r\n", 501) },
	/* Parameters. */
	{ BAD("TE chunked;x=1", GET11 HOSTA "Transfer-Encoding: chunked;x=1\r\n"
	  "\r\n", 501) },
	/* chunked twice, in two fields. */
	{ BAD("TE twice", GET11 HOSTA "Transfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 501) },
	/* Empty Transfer-Encoding. */
	{ BAD("TE empty", GET11 HOSTA "Transfer-Encoding:\r\n\r\n", 501) },
	/* Transfer-Encoding in HTTP/1.0. */
	{ BAD("TE in HTTP/1.0", "GET / HTTP/1.0\r\nTransfer-Encoding: "
	  "chunked\r\n\r\n", 400), .errat = 44 },
	/* Each field is judged when its line ends: TE first, so 501... */
	{ BAD("TE gzip, then CL", GET11 HOSTA "Transfer-Encoding: gzip\r\n"
	  "Content-Length: 5\r\n\r\n", 501) },
	/* ...and CL first, so 400 (either way the connection closes). */
	{ BAD("CL, then TE gzip", GET11 HOSTA "Content-Length: 5\r\n"
	  "Transfer-Encoding: gzip\r\n\r\n", 400) },
	/* An unfinished head that already proves CL+TE is answered now. */
	{ BAD("CL+TE, head unfinished", GET11 "Content-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\nX: 1", 400), .errat = 63 },
	/* obs-fold: a line starting with SP; answered at that byte. */
	{ BAD("obs-fold", GET11 HOSTA "X: a\r\n b\r\n\r\n", 400),
	  .errat = 32 },
	/* obs-fold with HTAB. */
	{ BAD("obs-fold HTAB", GET11 HOSTA "X: a\r\n\tb\r\n\r\n", 400) },
	/* Whitespace between the request line and the first field. */
	{ BAD("SP before first field", GET11 " Host: a\r\n\r\n", 400),
	  .errat = 17 },
	/* Whitespace before the colon. */
	{ BAD("Foo : bar", GET11 HOSTA "Foo : bar\r\n\r\n", 400), .errat = 29 },
	/* HTAB before the colon. */
	{ BAD("Foo\\t: bar", GET11 HOSTA "Foo\t: bar\r\n\r\n", 400) },
	/* Empty field name. */
	{ BAD("empty name", GET11 HOSTA ": bar\r\n\r\n", 400), .errat = 26 },
	/* No colon. */
	{ BAD("no colon", GET11 HOSTA "Foo\r\n\r\n", 400) },
	/* Non-token byte in a name. */
	{ BAD("name with /", GET11 HOSTA "Fo/o: x\r\n\r\n", 400) },
	/* NUL in a value. */
	{ BAD("NUL in value", GET11 HOSTA "X: a\0b\r\n\r\n", 400),
	  .errat = 30 },
	/* NUL in a name. */
	{ BAD("NUL in name", GET11 HOSTA "X\0: a\r\n\r\n", 400) },
	/* NUL in the target. */
	{ BAD("NUL in target", "GET /\0 HTTP/1.1\r\n" HOSTA "\r\n", 400),
	  .errat = 6 },
	/* DEL in a value. */
	{ BAD("DEL in value", GET11 HOSTA "X: a\x7f\r\n\r\n", 400) },
	/* Another CTL in a value. */
	{ BAD("CTL in value", GET11 HOSTA "X: \x01\r\n\r\n", 400) },
	/* Bare CR inside a value. */
	{ BAD("bare CR in value", GET11 HOSTA "X: a\rb\r\n\r\n", 400),
	  .errat = 31 },
	/* Bare CR ending a value. */
	{ BAD("bare CR after value", GET11 HOSTA "X: a\rY: b\r\n\r\n", 400) },
	/* Bare CR ending the request line. */
	{ BAD("bare CR after version", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400) },
	/* Bare CR as the final empty line. */
	{ BAD("bare CR as end of head", GET11 HOSTA "\r\r\n", 400) },
	/* Bare CR before the request line. */
	{ BAD("bare CR leading", "\rGET / HTTP/1.1\r\n" HOSTA "\r\n", 400),
	  .errat = 2 },
	/* Bare LF ending the request line. */
	{ BAD("bare LF after version", "GET / HTTP/1.1\nHost: a\n\n", 400),
	  .errat = 15 },
	/* Bare LF ending a field line. */
	{ BAD("bare LF after field", GET11 "Host: a\nX: b\r\n\r\n", 400) },
	/* Bare LF as the final empty line. */
	{ BAD("bare LF as end of head", GET11 HOSTA "\n", 400) },
	/* Bare LF before the request line. */
	{ BAD("bare LF leading", "\nGET / HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Bare LF inside a value. */
	{ BAD("bare LF in value", GET11 HOSTA "X: a\nb\r\n\r\n", 400) },

	/* Host. */
	/* HTTP/1.1 without Host. */
	{ BAD("missing Host", GET11 "X: a\r\n\r\n", 400), .errat = 24 },
	/* Absolute form still needs Host in HTTP/1.1. */
	{ BAD("absolute form without Host", "GET http://h/ HTTP/1.1\r\n\r\n",
	  400) },
	/* Two Host fields. */
	{ BAD("two Hosts", GET11 HOSTA "host: a\r\n\r\n", 400), .errat = 34 },
	/* Two Hosts in an unfinished head: no need to wait for its end. */
	{ BAD("two Hosts, head unfinished", GET11 HOSTA HOSTA, 400),
	  .errat = 34 },
	/* Two Host fields in HTTP/1.0 too. */
	{ BAD("two Hosts in 1.0", "GET / HTTP/1.0\r\n" HOSTA HOSTA "\r\n",
	  400) },
	/* Whitespace inside Host. */
	{ BAD("Host a b", GET11 "Host: a b\r\n\r\n", 400) },
	/* Userinfo in Host. */
	{ BAD("Host u@a", GET11 "Host: u@a\r\n\r\n", 400) },
	/* Path in Host. */
	{ BAD("Host a/b", GET11 "Host: a/b\r\n\r\n", 400) },
	/* Non-numeric port. */
	{ BAD("Host a:x", GET11 "Host: a:x\r\n\r\n", 400) },
	/* Port out of range. */
	{ BAD("Host a:65536", GET11 "Host: a:65536\r\n\r\n", 400) },
	/* Unclosed IP literal. */
	{ BAD("Host [::1", GET11 "Host: [::1\r\n\r\n", 400) },
	/* Bad percent-encoding. */
	{ BAD("Host %zz", GET11 "Host: a%zz\r\n\r\n", 400) },
	/* Port without host. */
	{ BAD("Host :80", GET11 "Host: :80\r\n\r\n", 400) },
	/* Empty Host with absolute form. */
	{ BAD("empty Host, absolute form", "GET http://h/ HTTP/1.1\r\nHost:\r\n"
	  "\r\n", 400) },

	/* Request line. */
	/* HTTP/2.0 is not ours. */
	{ BAD("HTTP/2.0", "GET / HTTP/2.0\r\n" HOSTA "\r\n", 505),
	  .errat = 14 },
	/* Neither is 0.9. */
	{ BAD("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505) },
	/* Misspelt name. */
	{ BAD("HTTX/1.1", "GET / HTTX/1.1\r\n" HOSTA "\r\n", 400),
	  .errat = 10 },
	/* No minor version. */
	{ BAD("HTTP/1", "GET / HTTP/1\r\n" HOSTA "\r\n", 400), .errat = 13 },
	/* Lowercase name. */
	{ BAD("http/1.1", "GET / http/1.1\r\n" HOSTA "\r\n", 400) },
	/* Two-digit minor. */
	{ BAD("HTTP/1.10", "GET / HTTP/1.10\r\n" HOSTA "\r\n", 400) },
	/* Two-digit major. */
	{ BAD("HTTP/11.1", "GET / HTTP/11.1\r\n" HOSTA "\r\n", 400) },
	/* No version at all (HTTP/0.9 simple request). */
	{ BAD("no version", "GET /\r\n\r\n", 400), .errat = 6 },
	/* Space after the version. */
	{ BAD("SP after version", "GET / HTTP/1.1 \r\n" HOSTA "\r\n", 400) },
	/* Two spaces after the method. */
	{ BAD("two spaces", "GET  / HTTP/1.1\r\n" HOSTA "\r\n", 400),
	  .errat = 5 },
	/* Two spaces after the target. */
	{ BAD("two spaces after target", "GET /  HTTP/1.1\r\n" HOSTA "\r\n",
	  400) },
	/* HTAB instead of SP after the method. */
	{ BAD("tab after method", "GET\t/ HTTP/1.1\r\n" HOSTA "\r\n", 400),
	  .errat = 4 },
	/* HTAB instead of SP after the target. */
	{ BAD("tab after target", "GET /\tHTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Leading SP. */
	{ BAD("leading SP", " GET / HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Non-token method. */
	{ BAD("method with /", "G/T / HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* A fragment in the target (RFC 9112 3.2: no part of it). */
	{ BAD("# in target", "GET /a#b HTTP/1.1\r\n" HOSTA "\r\n", 400),
	  .errat = 7 },
	{ BAD("# in query", "GET /a?q#b HTTP/1.1\r\n" HOSTA "\r\n", 400),
	  .errat = 9 },
	/* DEL in the target. */
	{ BAD("DEL in target", "GET /\x7f HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Byte >= 0x80 in the target. */
	{ BAD("0x80 in target", "GET /\x80 HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Empty request line. */
	{ BAD("empty method", "\r\n \r\n", 400) },

	/* Target forms. */
	/* Asterisk form is only for OPTIONS. */
	{ BAD("GET *", "GET * HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* "*x" is no form at all. */
	{ BAD("OPTIONS *x", "OPTIONS *x HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Authority form is only for CONNECT. */
	{ BAD("GET authority", "GET h:80 HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* CONNECT takes only authority form. */
	{ BAD("CONNECT /", "CONNECT / HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* CONNECT needs a port. */
	{ BAD("CONNECT no port", "CONNECT h HTTP/1.1\r\n\r\n", 400) },
	/* CONNECT with an empty port. */
	{ BAD("CONNECT empty port", "CONNECT h: HTTP/1.1\r\n\r\n", 400) },
	/* CONNECT with absolute form. */
	{ BAD("CONNECT absolute", "CONNECT http://h:80/ HTTP/1.1\r\n\r\n",
	  400) },
	/* Only http and https schemes. */
	{ BAD("ftp scheme", "GET ftp://h/ HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Empty host in absolute form. */
	{ BAD("http:///p", "GET http:///p HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* Userinfo in absolute form. */
	{ BAD("http://u@h/", "GET http://u@h/ HTTP/1.1\r\n" HOSTA "\r\n",
	  400) },
	/* A relative path. */
	{ BAD("relative path", "GET x HTTP/1.1\r\n" HOSTA "\r\n", 400) },
	/* The target form is judged before the fields are parsed. */
	{ BAD("bad form, then huge head", "GET * HTTP/1.1\r\n"
	  "X: 01234567890123456789012345678901234567890123456789\r\n\r\n",
	  400), .lim = &small },

	/* Limits. */
	/* Target longer than max_target: 414 on its 17th byte. */
	{ BAD("414 at once", "GET /2345678901234567", 414), .lim = &small,
	  .errat = 21 },
	/* Overlong target in a head that is also over max_head: 414. */
	{ BAD("414 before 431", "GET /23456789012345678901234567890 HTTP/1.1"
	  "\r\n" HOSTA "X: 01234567890123456789012345678901234567890\r\n\r\n",
	  414), .lim = &small, .errat = 21 },
	/* A short target in an overlong head: 431 at max_head bytes and
	   the target's one. */
	{ BAD("431 head", GET11 HOSTA "X: 0123456789012345678901234567890123\r\n"
	  "\r\n", 431), .lim = &small, .errat = 65 },
	/* The request line itself over max_head (long method). */
	{ BAD("431 long method", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQ"
	  "RSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n\r\n", 431),
	  .lim = &small, .errat = 64 },
	/* Leading CRLFs count toward max_head. */
	{ BAD("431 leading CRLFs", "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	  "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	  "\r\n\r\n\r\n\r\n\r\n\r\n\r\n" GET11 HOSTA "\r\n", 431),
	  .lim = &small, .errat = 64 },
	/* More fields than max_fields. */
	{ BAD("431 fields", GET11 HOSTA "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431),
	  .lim = &small, .errat = 38 },
	/* max_target above max_head: 414 still wins for a long target. */
	{ BAD("wide: 414", "GET /23456789012345678901234567890123456789012345"
	  "67890123456789012345", 414), .lim = &wide, .errat = 69 },
	/* A long target, then fields over max_head without it: 431 at
	   max_head bytes besides the target (29 + 32). */
	{ BAD("wide: 431 besides the target", "GET /234567890123456789012345"
	  "6789 HTTP/1.1\r\nHost: a\r\nX: 0123456\r\n\r\n", 431),
	  .lim = &wide, .errat = 61 },
};

static size_t
case_len(const struct tcase *t)
{
	return t->inlen != 0 ? t->inlen : strlen(t->in);
}

/* Asserts that s lies inside buf[0..len). */
static void
check_inside(const struct tcase *t, const char *buf, size_t len,
    struct http1_span s, const char *name)
{
	if (s.p == NULL) {
		ck_assert_msg(s.len == 0, "%s: %s: NULL span with length",
		    t->what, name);
		return;
	}
	ck_assert_msg(s.p >= buf && s.p <= buf + len &&
	    s.len <= (size_t)(buf + len - s.p), "%s: %s outside the buffer",
	    t->what, name);
}

/* Asserts that span s holds want (NULL: p == NULL). */
static void
check_span(const struct tcase *t, struct http1_span s, const char *want,
    const char *name)
{
	if (want == NULL) {
		ck_assert_msg(s.p == NULL && s.len == 0,
		    "%s: %s: want NULL, got \"%.*s\"", t->what, name,
		    (int)s.len, s.p != NULL ? s.p : "");
		return;
	}
	ck_assert_msg(s.p != NULL && s.len == strlen(want) &&
	    memcmp(s.p, want, s.len) == 0, "%s: %s: want \"%s\", got \"%.*s\"",
	    t->what, name, want, (int)s.len, s.p != NULL ? s.p : "");
}

static void
check_good(const struct tcase *t, const char *buf, size_t len,
    const struct http1_request *req)
{
	size_t	 i;

	check_span(t, req->method, t->method, "method");
	check_span(t, req->target, t->target, "target");
	ck_assert_msg(req->form == t->form, "%s: form %d", t->what, req->form);
	check_span(t, req->authority, t->authority, "authority");
	check_span(t, req->path, t->path, "path");
	check_span(t, req->query, t->query, "query");
	ck_assert_msg(req->minor == t->minor, "%s: minor %d", t->what,
	    req->minor);
	ck_assert_msg(req->nfields == t->nfields, "%s: nfields %zu", t->what,
	    req->nfields);
	ck_assert_msg(req->body == t->body, "%s: body %d", t->what, req->body);
	ck_assert_msg(req->content_length == t->cl, "%s: content_length",
	    t->what);
	ck_assert_msg(req->flags == t->flags, "%s: flags %#x", t->what,
	    req->flags);

	check_inside(t, buf, len, req->method, "method");
	check_inside(t, buf, len, req->target, "target");
	check_inside(t, buf, len, req->authority, "authority");
	if (!(req->form == HTTP1_TARGET_ABSOLUTE && req->path.len == 1 &&
	    !(req->path.p >= buf && req->path.p < buf + len)))
		check_inside(t, buf, len, req->path, "path");
	check_inside(t, buf, len, req->query, "query");
	for (i = 0; i < req->nfields; i++) {
		check_inside(t, buf, len, req->fields[i].name, "name");
		check_inside(t, buf, len, req->fields[i].value, "value");
	}
	for (i = 0; t->fv != NULL && t->fv[2 * i] != NULL; i++) {
		ck_assert_msg(i < req->nfields, "%s: too few fields", t->what);
		check_span(t, req->fields[i].name, t->fv[2 * i], "field name");
		check_span(t, req->fields[i].value, t->fv[2 * i + 1],
		    "field value");
	}
	if (t->fv != NULL)
		ck_assert_msg(i == req->nfields, "%s: too many fields",
		    t->what);
}

/*
 * Checks the answer for the prefix in[0..k) of a case: need-more before
 * the head is complete, the head length after; for a bad request, 0 or the
 * status, with the status from errat on when errat is given.
 */
static void
check_prefix(const struct tcase *t, size_t k, ssize_t rv, const char *buf,
    const struct http1_request *req)
{
	if (t->want > 0) {
		if (k < (size_t)t->want)
			ck_assert_msg(rv == 0, "%s: prefix %zu: %zd, want 0",
			    t->what, k, rv);
		else {
			ck_assert_msg(rv == t->want,
			    "%s: prefix %zu: %zd, want %zd", t->what, k, rv,
			    t->want);
			check_good(t, buf, k, req);
		}
	} else if (t->errat != 0)
		ck_assert_msg(rv == (k >= t->errat ? t->want : 0),
		    "%s: prefix %zu: %zd, want %zd from %zu", t->what, k, rv,
		    t->want, t->errat);
	else
		ck_assert_msg(rv == 0 || rv == t->want,
		    "%s: prefix %zu: %zd, want 0 or %zd", t->what, k, rv,
		    t->want);
}

/*
 * Puts in[0..k) at the end of the guarded copy buf[0..len) (k <= len), so
 * that the prefix too ends right before the guard page, without a new
 * mapping for each prefix.
 */
static const char *
prefix_at_guard(char *buf, size_t len, const char *in, size_t k)
{
	memmove(buf + len - k, in, k);
	return buf + len - k;
}

/* Runs one case whole, as every growing prefix, and at every split. */
static void
run_case(const struct tcase *t, const char *in, size_t len)
{
	struct http1_field	 fields[NFIELDS_MAX];
	struct http1_request	 req;
	struct http1_limits	 lim;
	struct guard		 g = { NULL, 0 }, g2 = { NULL, 0 };
	char			*area;
	const char		*buf, *buf2;
	ssize_t			 rv, prev = 0;
	size_t			 k;

	if (t->lim != NULL)
		lim = *t->lim;
	else
		http1_limits_default(&lim);
	ck_assert(lim.max_fields <= NFIELDS_MAX);

	/* whole */
	buf = guard_copy(&g, in, len);
	req.fields = fields;
	rv = http1_parse_request(buf, len, &req, &lim);
	ck_assert_msg(rv == t->want, "%s: got %zd, want %zd", t->what, rv,
	    t->want);
	if (rv > 0)
		check_good(t, buf, len, &req);

	/* growing prefixes, each ending at the guard page */
	area = guard_copy(&g, in, len);
	for (k = 0; k < len; k++) {
		buf = prefix_at_guard(area, len, in, k);
		req.fields = fields;
		rv = http1_parse_request(buf, k, &req, &lim);
		check_prefix(t, k, rv, buf, &req);
		/* once an error, always the same error */
		if (prev < 0)
			ck_assert_msg(rv == prev, "%s: prefix %zu: %zd after %zd",
			    t->what, k, rv, prev);
		prev = rv;
	}

	/*
	 * Every two-way split: the first part, then the whole in another
	 * buffer (as after the connection's input buffer moved).  The big
	 * generated heads (the loop above already tried all their prefixes)
	 * are split every SPLIT_STRIDE bytes in the middle, to stay fast.
	 */
	buf2 = guard_copy(&g2, in, len);
	for (k = 1; k < len; k += (k >= SPLIT_EDGE && k + SPLIT_EDGE < len) ?
	    SPLIT_STRIDE : 1) {
		buf = prefix_at_guard(area, len, in, k);
		req.fields = fields;
		rv = http1_parse_request(buf, k, &req, &lim);
		check_prefix(t, k, rv, buf, &req);
		rv = http1_parse_request(buf2, len, &req, &lim);
		ck_assert_msg(rv == t->want, "%s: split %zu: %zd, want %zd",
		    t->what, k, rv, t->want);
		if (rv > 0)
			check_good(t, buf2, len, &req);
	}
	guard_free(&g);
	guard_free(&g2);
}

START_TEST(test_cases)
{
	const struct tcase	*t = &cases[_i];

	run_case(t, t->in, case_len(t));
}
END_TEST

/*
 * Builds "GET /aaa... HTTP/1.1\r\nHost: a\r\n", nx lines "X: 1\r\n", one
 * line "P: ppp...\r\n" with npad bytes of value when npad > 0, and CRLF.
 */
static char *
build(size_t tlen, size_t nx, size_t npad, size_t *lenp)
{
	size_t	 len, i;
	char	*s, *p;

	len = 4 + tlen + 11 + 9 + nx * 6 + (npad > 0 ? 5 + npad : 0) + 2;
	ck_assert((s = malloc(len + 1)) != NULL);
	p = s;
	memcpy(p, "GET /", 5);
	p += 5;
	for (i = 1; i < tlen; i++)
		*p++ = (char)('a' + i % 26);
	memcpy(p, " HTTP/1.1\r\nHost: a\r\n", 20);
	p += 20;
	for (i = 0; i < nx; i++, p += 6)
		memcpy(p, "X: 1\r\n", 6);
	if (npad > 0) {
		memcpy(p, "P: ", 3);
		p += 3;
		memset(p, 'p', npad);
		p += npad;
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	memcpy(p, "\r\n", 3);
	*lenp = len;
	return s;
}

/* Copies in[off..off+n) to a new string. */
static char *
slice(const char *in, size_t off, size_t n)
{
	char	*s;

	ck_assert((s = malloc(n + 1)) != NULL);
	memcpy(s, in + off, n);
	s[n] = '\0';
	return s;
}

/* A generated GET of a tlen-byte target, good under lim (NULL: the
   defaults), run as every case is. */
static void
run_good_target(const char *what, size_t tlen, const struct http1_limits *lim)
{
	struct tcase	 t;
	char		*in, *target;
	size_t		 len;

	in = build(tlen, 0, 0, &len);
	target = slice(in, 4, tlen);
	memset(&t, 0, sizeof(t));
	t.what = what;
	t.lim = lim;
	t.want = (ssize_t)len;
	t.method = "GET";
	t.target = t.path = target;
	t.form = HTTP1_TARGET_ORIGIN;
	t.authority = "a";
	t.minor = 1;
	t.nfields = 1;
	run_case(&t, in, len);
	free(target);
	free(in);
}

/* Default limits with generated heads, prefixes and splits included. */
START_TEST(test_default_limits)
{
	struct http1_limits lim32k = { 0, HTTP1_DEFAULT_MAX_HEAD,
			    HTTP1_DEFAULT_MAX_FIELDS };
	struct tcase	 t;
	char		*in;
	size_t		 len;

	/* A target of exactly HTTP1_DEFAULT_MAX_TARGET bytes is fine. */
	run_good_target("default max_target", HTTP1_DEFAULT_MAX_TARGET, NULL);

	/* One byte more is 414, on the first byte over. */
	in = build(HTTP1_DEFAULT_MAX_TARGET + 1, 0, 0, &len);
	memset(&t, 0, sizeof(t));
	t.what = "default max_target + 1";
	t.want = -414;
	t.errat = 4 + HTTP1_DEFAULT_MAX_TARGET + 1;
	run_case(&t, in, len);
	free(in);

	/* HTTP1_DEFAULT_MAX_FIELDS fields are fine. */
	in = build(1, HTTP1_DEFAULT_MAX_FIELDS - 1, 0, &len);
	memset(&t, 0, sizeof(t));
	t.what = "default max_fields";
	t.want = (ssize_t)len;
	t.method = "GET";
	t.target = t.path = "/";
	t.form = HTTP1_TARGET_ORIGIN;
	t.authority = "a";
	t.minor = 1;
	t.nfields = HTTP1_DEFAULT_MAX_FIELDS;
	run_case(&t, in, len);
	free(in);

	/* One more is 431, on the first byte of the extra field. */
	in = build(1, HTTP1_DEFAULT_MAX_FIELDS, 0, &len);
	memset(&t, 0, sizeof(t));
	t.what = "default max_fields + 1";
	t.want = -431;
	t.errat = len - 2 - 6 + 1;
	run_case(&t, in, len);
	free(in);

	/* A head of exactly max_head bytes and its 1-byte target is fine
	   (the target does not count). */
	in = build(1, 0, HTTP1_DEFAULT_MAX_HEAD - 27 - 5 + 1, &len);
	ck_assert_uint_eq(len, HTTP1_DEFAULT_MAX_HEAD + 1);
	memset(&t, 0, sizeof(t));
	t.what = "default max_head";
	t.want = (ssize_t)len;
	t.method = "GET";
	t.target = t.path = "/";
	t.form = HTTP1_TARGET_ORIGIN;
	t.authority = "a";
	t.minor = 1;
	t.nfields = 2;
	run_case(&t, in, len);
	free(in);

	/* One more byte is 431, as soon as max_head bytes besides the
	   target are in. */
	in = build(1, 0, HTTP1_DEFAULT_MAX_HEAD - 27 - 5 + 2, &len);
	memset(&t, 0, sizeof(t));
	t.what = "default max_head + 1";
	t.want = -431;
	t.errat = HTTP1_DEFAULT_MAX_HEAD + 1;
	run_case(&t, in, len);
	free(in);

	/* max_target above max_head (issue 14 F): a 17,000-byte target
	   with max_target 32K and the default max_head is fine. */
	lim32k.max_target = 32 * 1024;
	run_good_target("17000-byte target, max_target 32K", 17000, &lim32k);
}
END_TEST

START_TEST(test_limits_default)
{
	struct http1_limits	 lim;

	http1_limits_default(&lim);
	ck_assert_uint_eq(lim.max_target, HTTP1_DEFAULT_MAX_TARGET);
	ck_assert_uint_eq(lim.max_head, HTTP1_DEFAULT_MAX_HEAD);
	ck_assert_uint_eq(lim.max_fields, HTTP1_DEFAULT_MAX_FIELDS);
}
END_TEST

START_TEST(test_find_field)
{
	static const char	 in[] = "GET / HTTP/1.1\r\nHost: a\r\n"
	    "X-Foo: 1\r\nx-foo: 2\r\nX-Fo: 3\r\n\r\n";
	struct http1_field	 fields[HTTP1_DEFAULT_MAX_FIELDS];
	struct http1_request	 req;
	struct http1_limits	 lim;
	const struct http1_field *f;

	http1_limits_default(&lim);
	req.fields = fields;
	ck_assert_int_eq(http1_parse_request(in, sizeof(in) - 1, &req, &lim),
	    (ssize_t)sizeof(in) - 1);
	/* The first of two, case-insensitively. */
	f = http1_find_field(&req, "X-FOO");
	ck_assert_ptr_nonnull(f);
	ck_assert(f->value.len == 1 && f->value.p[0] == '1');
	/* A prefix of a name does not match, nor does a longer name. */
	f = http1_find_field(&req, "x-fo");
	ck_assert_ptr_nonnull(f);
	ck_assert(f->value.len == 1 && f->value.p[0] == '3');
	ck_assert_ptr_null(http1_find_field(&req, "X-Fooo"));
	ck_assert_ptr_null(http1_find_field(&req, "X-F"));
	ck_assert_ptr_null(http1_find_field(&req, ""));
}
END_TEST

START_TEST(test_tchar)
{
	static const char	 extra[] = "!#$%&'*+-.^_`|~";
	unsigned int		 c;
	int			 want;

	for (c = 0; c < 256; c++) {
		want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ||
		    (c != 0 && memchr(extra, (int)c, sizeof(extra) - 1) != NULL);
		ck_assert_msg(http1_is_tchar((unsigned char)c) == want,
		    "tchar %#x", c);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("http1");
	TCase	*tc = tcase_create("parse");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_cases, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_default_limits);
	tcase_add_test(tc, test_limits_default);
	tcase_add_test(tc, test_find_field);
	tcase_add_test(tc, test_tchar);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
