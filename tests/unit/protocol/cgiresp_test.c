#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/cgiresp.h"
#include "tests/unit/guard.h"

#define NFIELDS_MAX	128

struct limits {
	size_t	max_fields;
	size_t	max_head;
};

/*
 * One response header block and what the parser must answer for it.  For
 * a good block (want > 0) every result is compared; reason, location,
 * upgrade and connection NULL mean "p == NULL".  fv lists the kept fields: name, value, ..., NULL.
 */
struct tcase {
	const char		*what;
	const char		*in;
	size_t			 inlen;		/* 0: strlen(in) */
	const struct limits	*lim;		/* NULL: the defaults */
	ssize_t			 want;		/* consumed, 0 or -1 */
	enum cgiresp_kind	 kind;
	int			 status;
	const char		*reason;
	const char		*location;
	const char		*upgrade;	/* kept apart for a 101 */
	const char		*connection;
	int			 has_cl;
	int64_t			 cl;
	const char * const	*fv;
	enum cgiresp_class	 cls;		/* cgiresp_class(); 0: final */
};

#define LEN(s)		(sizeof(s) - 1)
#define FV(...)		((const char * const[]){ __VA_ARGS__, NULL })
#define CL(n)		.has_cl = 1, .cl = (n)
/* A good block that is the whole input. */
#define OK(w, s)	.what = (w), .in = (s), .want = (ssize_t)LEN(s)
/* A good block followed by a body of LEN(b) bytes. */
#define OKB(w, s, b)	.what = (w), .in = s b, .want = (ssize_t)LEN(s)
#define BAD(w, s)	.what = (w), .in = (s), .inlen = LEN(s), .want = -1

static const struct limits two_fields = { 2, CGIRESP_DEFAULT_MAX_HEAD };
static const struct limits no_fields = { 0, CGIRESP_DEFAULT_MAX_HEAD };
static const struct limits head6 = { CGIRESP_DEFAULT_MAX_FIELDS, 6 };
static const struct limits head5 = { CGIRESP_DEFAULT_MAX_FIELDS, 5 };
static const struct limits head24 = { CGIRESP_DEFAULT_MAX_FIELDS, 24 };

static const struct tcase cases[] = {
	/* The plainest document, bare LF line ends as scripts write them. */
	{ OK("LF document", "Content-Type: text/html\n\n"),
	  .status = 200, .fv = FV("Content-Type", "text/html") },
	/* The same with CRLF line ends. */
	{ OK("CRLF document", "Content-Type: text/html\r\n\r\n"),
	  .status = 200, .fv = FV("Content-Type", "text/html") },
	/* LF and CRLF chosen per line, also for the final empty line. */
	{ OK("mixed line ends",
	  "Content-Type: text/plain\r\nX-A: 1\nX-B: 2\r\n\n"),
	  .status = 200,
	  .fv = FV("Content-Type", "text/plain", "X-A", "1", "X-B", "2") },
	{ OK("mixed line ends, CRLF last",
	  "Content-Type: text/plain\nX-A: 1\r\n\r\n"),
	  .status = 200, .fv = FV("Content-Type", "text/plain", "X-A", "1") },
	/* The body is not part of the block and is not consumed. */
	{ OKB("body after the block", "Content-Type: text/plain\n\n",
	  "hello\n\nX: y\n\n"),
	  .status = 200, .fv = FV("Content-Type", "text/plain") },
	{ OKB("body after a CRLF block", "X-A: 1\r\n\r\n", "\r\n\r\nbody"),
	  .status = 200, .fv = FV("X-A", "1") },

	/* Status with a reason phrase; Status is not a kept field. */
	{ OK("Status 404 Not Found",
	  "Status: 404 Not Found\nContent-Type: text/html\n\n"),
	  .status = 404, .reason = "Not Found",
	  .fv = FV("Content-Type", "text/html") },
	/* Status without a reason, common in the wild. */
	{ OK("Status 404 alone", "Status: 404\n\n"), .status = 404 },
	/* A trailing space is trimmed with the value: empty reason. */
	{ OK("Status 404 SP", "Status: 404 \r\n\r\n"), .status = 404 },
	/* Extra blanks before the reason are skipped. */
	{ OK("Status with blanks", "Status: 200  \tOK then\n\n"),
	  .status = 200, .reason = "OK then" },
	/* The field name is matched case-insensitively. */
	{ OK("STATUS upper case", "STATUS: 500 Oops\nX: y\n\n"),
	  .status = 500, .reason = "Oops", .fv = FV("X", "y") },
	/* The limits of the code range are accepted. */
	{ OK("Status 100", "Status: 100 Continue\n\n"),
	  .status = 100, .reason = "Continue", .cls = CGIRESP_DROPPED },
	{ OK("Status 599", "Status: 599\n\n"), .status = 599 },
	/* obs-text is allowed in the reason phrase. */
	{ OK("Status obs-text reason", "Status: 200 \xc3\xa9t\xc3\xa9\n\n"),
	  .status = 200, .reason = "\xc3\xa9t\xc3\xa9" },
	/* Two digits are not a status code. */
	{ BAD("Status 99", "Status: 99\n\n") },
	/* Three digits, but under 100. */
	{ BAD("Status 099", "Status: 099\n\n") },
	/* Over 599. */
	{ BAD("Status 600", "Status: 600\n\n") },
	/* Four digits. */
	{ BAD("Status 2000", "Status: 2000\n\n") },
	/* Not a number. */
	{ BAD("Status abc", "Status: abc\n\n") },
	/* Empty. */
	{ BAD("Status empty", "Status:\n\n") },
	/* The reason must follow a SP. */
	{ BAD("Status 404Not", "Status: 404Not Found\n\n") },
	{ BAD("Status 404 HTAB", "Status: 404\tNot Found\n\n") },
	/* A sign is no digit. */
	{ BAD("Status +20", "Status: +20\n\n") },
	/* Two Status fields, even with the same value. */
	{ BAD("two Status", "Status: 200 OK\nstatus: 200 OK\n\n") },

	/*
	 * Status classes (cgiresp_class(), RFC 9110 15.2): which 1xx an app
	 * may send before its response, and the 101 that needs an Upgrade.
	 */
	/* 103 Early Hints with its Link fields: passed on. */
	{ OKB("103 early hints",
	  "Status: 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n"
	  "Link: </a.js>; rel=preload\r\n\r\n", "Status: 200\r\n\r\n"),
	  .status = 103, .reason = "Early Hints", .cls = CGIRESP_HINTS,
	  .fv = FV("Link", "</s.css>; rel=preload", "Link",
	  "</a.js>; rel=preload") },
	/* A 103's hop-by-hop fields go as any block's do. */
	{ OK("103 with hop-by-hop fields",
	  "Status: 103\nConnection: X-H\nX-H: 1\nUpgrade: x\nLink: <y>\n\n"),
	  .status = 103, .cls = CGIRESP_HINTS, .upgrade = "x",
	  .connection = "X-H", .fv = FV("Link", "<y>") },
	/* 102 Processing: dropped. */
	{ OK("102 processing", "Status: 102\n\n"), .status = 102,
	  .cls = CGIRESP_DROPPED },
	/* Other 1xx codes, known or not: 502. */
	{ OK("104", "Status: 104 Upload Resumption Supported\n\n"),
	  .status = 104, .reason = "Upload Resumption Supported",
	  .cls = CGIRESP_BAD_STATUS },
	{ OK("199", "Status: 199\nX: y\n\n"), .status = 199,
	  .fv = FV("X", "y"), .cls = CGIRESP_BAD_STATUS },
	/* The first final code. */
	{ OK("200 is final", "Status: 200\n\n"), .status = 200 },
	/* A 1xx with Content-Length (RFC 9110 8.6) or a Location. */
	{ OK("103 with Content-Length", "Status: 103\nContent-Length: 0\n\n"),
	  .status = 103, CL(0), .cls = CGIRESP_BAD_STATUS },
	{ OK("100 with Content-Length", "Status: 100\nContent-Length: 4\n\n"),
	  .status = 100, CL(4), .cls = CGIRESP_BAD_STATUS },
	{ OK("103 with Location", "Status: 103\nLocation: /x\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 103, .location = "/x",
	  .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with Location",
	  "Status: 101\nUpgrade: raw\nLocation: http://h/\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 101, .upgrade = "raw",
	  .location = "http://h/", .cls = CGIRESP_BAD_STATUS },
	/* 101: Upgrade = #protocol, protocol = token ["/" token]. */
	{ OK("101 without Upgrade", "Status: 101\nConnection: upgrade\n\n"),
	  .status = 101, .connection = "upgrade", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with an empty Upgrade", "Status: 101\nUpgrade:\n\n"),
	  .status = 101, .upgrade = "", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with an Upgrade of empty elements",
	  "Status: 101\nUpgrade: , ,\t,\n\n"),
	  .status = 101, .upgrade = ", ,\t,", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with a space inside a protocol",
	  "Status: 101\nUpgrade: web socket\n\n"),
	  .status = 101, .upgrade = "web socket", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with a bad byte", "Status: 101\nUpgrade: ws;v=1\n\n"),
	  .status = 101, .upgrade = "ws;v=1", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with an empty version", "Status: 101\nUpgrade: h2c/\n\n"),
	  .status = 101, .upgrade = "h2c/", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with an empty name", "Status: 101\nUpgrade: /1.0\n\n"),
	  .status = 101, .upgrade = "/1.0", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with two slashes", "Status: 101\nUpgrade: a/b/c\n\n"),
	  .status = 101, .upgrade = "a/b/c", .cls = CGIRESP_BAD_STATUS },
	{ OK("101, one bad protocol in a list",
	  "Status: 101\nUpgrade: websocket, x y\n\n"),
	  .status = 101, .upgrade = "websocket, x y", .cls = CGIRESP_BAD_STATUS },
	{ OK("101 with Content-Length",
	  "Status: 101\nUpgrade: raw\nContent-Length: 0\n\n"),
	  .status = 101, .upgrade = "raw", CL(0), .cls = CGIRESP_BAD_STATUS },
	/* Good ones: a version, a list with empty elements and OWS. */
	{ OK("101 with a versioned protocol", "Status: 101\nUpgrade: HTTP/2.0\n\n"),
	  .status = 101, .upgrade = "HTTP/2.0", .cls = CGIRESP_SWITCH },
	{ OK("101 with a list",
	  "Status: 101\nUpgrade: ,websocket , \tRTA/x11,\n\n"),
	  .status = 101, .upgrade = ",websocket , \tRTA/x11,",
	  .cls = CGIRESP_SWITCH },
	/* Only the first Upgrade counts (the one the server passes on). */
	{ OK("101, the first Upgrade bad",
	  "Status: 101\nUpgrade: x y\nUpgrade: raw\n\n"),
	  .status = 101, .upgrade = "x y", .cls = CGIRESP_BAD_STATUS },
	/* An Upgrade on a final response changes nothing. */
	{ OK("200 with a bad Upgrade", "Status: 200\nUpgrade: x y\n\n"),
	  .status = 200, .upgrade = "x y" },

	/* Local redirect: exactly one Location line with a path. */
	{ OK("local redirect", "Location: /other/page?x=1&y=2\n\n"),
	  .kind = CGIRESP_LOCAL_REDIRECT, .status = 200,
	  .location = "/other/page?x=1&y=2" },
	{ OK("local redirect CRLF", "location:\t/a \r\n\r\n"),
	  .kind = CGIRESP_LOCAL_REDIRECT, .status = 200, .location = "/a" },
	/* "//x" is an abs-path by RFC 3875's grammar: still local. */
	{ OK("local redirect //", "Location: //x/y\n\n"),
	  .kind = CGIRESP_LOCAL_REDIRECT, .status = 200, .location = "//x/y" },
	/* A body after a local redirect is left to the caller to discard. */
	{ OKB("local redirect with body", "Location: /a\n\n", "ignored"),
	  .kind = CGIRESP_LOCAL_REDIRECT, .status = 200, .location = "/a" },
	/* A local-looking Location with other fields: client redirect. */
	{ OK("local with Content-Type",
	  "Location: /x\nContent-Type: text/html\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 302, .location = "/x",
	  .fv = FV("Content-Type", "text/html") },
	/* ... also when the other field is Status (any code is kept). */
	{ OK("local with Status",
	  "Status: 301 Moved Permanently\nLocation: /x\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 301,
	  .reason = "Moved Permanently", .location = "/x" },
	{ OK("local with Status 200", "Location: /x\nStatus: 200\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 200, .location = "/x" },
	/* ... or Content-Length, or a field that is dropped. */
	{ OK("local with Content-Length", "Location: /x\nContent-Length: 0\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 302, .location = "/x",
	  CL(0) },
	{ OK("local with Connection", "Connection: close\nLocation: /x\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 302, .location = "/x",
	  .connection = "close" },
	/* Client redirect without Status: 302. */
	{ OK("client redirect", "Location: http://example.com/a?b\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 302,
	  .location = "http://example.com/a?b" },
	/* Client redirect with Status and a document. */
	{ OKB("client redirect with Status and body",
	  "Status: 303 See Other\r\nLocation: https://h/x\r\n"
	  "Content-Type: text/html\r\n\r\n", "<a href=\"https://h/x\">x</a>"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 303,
	  .reason = "See Other", .location = "https://h/x",
	  .fv = FV("Content-Type", "text/html") },
	/* Any Status the script gives is taken, even a non-3xx one. */
	{ OK("client redirect with Status 201",
	  "Status: 201 Created\nLocation: urn:x:y\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 201, .reason = "Created",
	  .location = "urn:x:y" },
	/* A relative reference (RFC 9110 allows it) goes to the client. */
	{ OK("relative Location", "Location: page.html\n\n"),
	  .kind = CGIRESP_CLIENT_REDIRECT, .status = 302,
	  .location = "page.html" },
	/* Two Location fields. */
	{ BAD("two Location", "Location: /a\nLocation: /a\n\n") },
	/* An empty Location. */
	{ BAD("empty Location", "Location: \nContent-Type: text/html\n\n") },

	/* Content-Length is taken out of the fields. */
	{ OK("Content-Length", "Content-Type: a/b\nContent-Length: 42\n\n"),
	  .status = 200, CL(42), .fv = FV("Content-Type", "a/b") },
	/* The largest int64_t; leading zeros are allowed. */
	{ OK("Content-Length max", "content-length: 09223372036854775807\n\n"),
	  .status = 200, CL(INT64_MAX) },
	/* Repeated with the same value. */
	{ OK("Content-Length repeated", "Content-Length: 7\nContent-Length: 07\n\n"),
	  .status = 200, CL(7) },
	/* Repeated with another value. */
	{ BAD("Content-Length differs", "Content-Length: 7\nContent-Length: 8\n\n") },
	/* One over the largest int64_t. */
	{ BAD("Content-Length overflow",
	  "Content-Length: 9223372036854775808\n\n") },
	{ BAD("Content-Length huge",
	  "Content-Length: 99999999999999999999999\n\n") },
	/* Not 1*DIGIT. */
	{ BAD("Content-Length negative", "Content-Length: -1\n\n") },
	{ BAD("Content-Length empty", "Content-Length:\n\n") },
	{ BAD("Content-Length list", "Content-Length: 5, 5\n\n") },
	{ BAD("Content-Length inner space", "Content-Length: 1 2\n\n") },
	{ BAD("Content-Length hex", "Content-Length: 0x10\n\n") },

	/* Every hop-by-hop field is dropped, in any case; others stay. */
	{ OK("hop-by-hop dropped",
	  "Connection: close\nX-A: 1\nKEEP-ALIVE: timeout=5\n"
	  "Transfer-Encoding: chunked\nTrailer: X-T\nupgrade: websocket\n"
	  "Proxy-Connection: keep-alive\nContent-Type: text/plain\n\n"),
	  .status = 200, .fv = FV("X-A", "1", "Content-Type", "text/plain"),
	  .upgrade = "websocket", .connection = "close" },
	/* A 101's Upgrade and Connection are kept apart (the first of
	   each), never among the fields. */
	{ OK("101 switching protocols",
	  "Status: 101 Switching Protocols\nUpgrade: websocket\n"
	  "Connection: Upgrade\nSec-WebSocket-Accept: x\nUpgrade: h2c\n"
	  "connection: keep-alive\n\n"),
	  .status = 101, .reason = "Switching Protocols",
	  .upgrade = "websocket", .connection = "Upgrade",
	  .fv = FV("Sec-WebSocket-Accept", "x"), .cls = CGIRESP_SWITCH },
	/* A block of dropped fields only is an (empty) document. */
	{ OK("only dropped fields", "Connection: close\n\n"), .status = 200,
	  .connection = "close" },
	/* Fields a Connection field names go too (RFC 9110 7.6.1), from
	   every Connection field, before or after it, any case, OWS and
	   empty list elements allowed; a near name stays. */
	{ OK("connection options dropped",
	  "X-Hop: 1\nConnection: x-hop , ,\tX-Other\nX-Keep: 2\n"
	  "x-other: 3\nX-Hops: 4\nconnection: X-Late\nX-Late: 5\n"
	  "X-Hop: 6\n\n"),
	  .status = 200, .connection = "x-hop , ,\tX-Other",
	  .fv = FV("X-Keep", "2", "X-Hops", "4") },
	/* Naming a field the server takes out changes nothing. */
	{ OK("connection names Content-Length",
	  "Connection: Content-Length, Status\nStatus: 404\n"
	  "Content-Length: 0\nX-A: 1\n\n"),
	  .status = 404, CL(0), .connection = "Content-Length, Status",
	  .fv = FV("X-A", "1") },
	/* Names that merely start like a hop-by-hop field are kept. */
	{ OK("near names kept", "Connections: x\nTrailers: y\nStatus-X: z\n\n"),
	  .status = 200,
	  .fv = FV("Connections", "x", "Trailers", "y", "Status-X", "z") },

	/* Value trimming, empty values, every tchar, obs-text kept raw. */
	{ OK("value trimming", "X-A: \t a b \t\nX-B:\nX-C:   \n\n"),
	  .status = 200, .fv = FV("X-A", "a b", "X-B", "", "X-C", "") },
	{ OK("all tchars", "!#$%&'*+-.^_`|~09azAZ:v\n\n"),
	  .status = 200, .fv = FV("!#$%&'*+-.^_`|~09azAZ", "v") },
	{ OK("obs-text value", "X-A: \x80\xff\n\n"),
	  .status = 200, .fv = FV("X-A", "\x80\xff") },
	/* A colon inside the value is just a byte of it. */
	{ OK("colon in value", "X-A: a:b: c\n\n"),
	  .status = 200, .fv = FV("X-A", "a:b: c") },
	/* Repeated ordinary fields are all kept, in order. */
	{ OK("repeated fields kept", "Set-Cookie: a=1\nX: y\nSet-Cookie: b=2\n\n"),
	  .status = 200,
	  .fv = FV("Set-Cookie", "a=1", "X", "y", "Set-Cookie", "b=2") },

	/* obs-fold: a continuation line starting with SP or HTAB. */
	{ BAD("obs-fold SP", "X-A: 1\n 2\n\n") },
	{ BAD("obs-fold HTAB", "X-A: 1\r\n\t2\r\n\r\n") },
	/* Leading whitespace on the first line. */
	{ BAD("leading SP", " X-A: 1\n\n") },
	/* Whitespace before the colon. */
	{ BAD("SP before colon", "Content-Type : text/html\n\n") },
	{ BAD("HTAB before colon", "Status\t: 200\n\n") },
	/* No colon at all; an empty name. */
	{ BAD("no colon", "Content-Type text/html\n\n") },
	{ BAD("empty name", ": x\n\n") },
	/* Non-tchar bytes in the name. */
	{ BAD("bad name byte", "X(a): 1\n\n") },
	{ BAD("obs-text name", "X\xc3\xa9: 1\n\n") },
	/* A bare CR: in a value, at a line end, as the empty line. */
	{ BAD("bare CR in value", "X-A: a\rb\n\n") },
	{ BAD("bare CR at line end", "X-A: a\r\rX-B: b\n\n") },
	{ BAD("bare CR as empty line", "X-A: a\n\rX-B: b\n\n") },
	{ BAD("CR CR LF", "X-A: a\r\r\n\n") },
	{ BAD("bare CR in name", "X\r: a\n\n") },
	/* CTLs other than HTAB in a value. */
	{ BAD("NUL in value", "X-A: a\0b\n\n") },
	{ BAD("DEL in value", "X-A: a\x7f\n\n") },
	{ BAD("ESC in value", "X-A: \x1b[0m\n\n") },
	/* No CGI-field at all. */
	{ BAD("empty block LF", "\nbody") },
	{ BAD("empty block CRLF", "\r\nbody") },
	/* No body, no end yet: more is needed. */
	{ .what = "no empty line yet", .in = "Content-Type: text/html\n",
	  .want = 0 },
	{ .what = "CR before the last LF", .in = "Content-Type: a\n\r",
	  .want = 0 },
	{ .what = "nothing", .in = "", .want = 0 },

	/* A block of exactly max_head bytes is accepted ... */
	{ OK("block at max_head", "X: a\n\n"), .lim = &head6, .status = 200,
	  .fv = FV("X", "a") },
	{ OKB("block at max_head, body after", "X: a\n\n", "more body"),
	  .lim = &head6, .status = 200, .fv = FV("X", "a") },
	{ OK("CRLF block at max_head", "Status: 200 OK\r\nX: a\r\n\r\n"),
	  .lim = &head24, .status = 200, .reason = "OK", .fv = FV("X", "a") },
	/* ... one byte more is not, whatever follows. */
	{ BAD("block over max_head", "X: a\n\n"), .lim = &head5 },
	{ BAD("block over max_head, body after", "X: a\n\nbody"),
	  .lim = &head5 },
	{ BAD("unended block at max_head", "X: abcd"), .lim = &head6 },
	{ BAD("CRLF over max_head by the LF", "Status: 200 OK\r\nX: ab\r\n\r\n"),
	  .lim = &head24 },

	/* Two kept fields fit; Status, Location, CL and dropped ones are free. */
	{ OK("field count at the limit",
	  "Status: 200\nX-A: 1\nConnection: close\nContent-Length: 3\n"
	  "X-B: 2\n\n"),
	  .lim = &two_fields, .status = 200, CL(3), .connection = "close",
	  .fv = FV("X-A", "1", "X-B", "2") },
	/* A third one does not. */
	{ BAD("field count over the limit", "X-A: 1\nX-B: 2\nX-C: 3\n\n"),
	  .lim = &two_fields },
	/* With room for no field, a Status-only block still parses. */
	{ OK("no room, Status only", "Status: 204 No Content\n\n"),
	  .lim = &no_fields, .status = 204, .reason = "No Content" },
	{ BAD("no room, one field", "Status: 200\nX: y\n\n"), .lim = &no_fields },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static size_t
case_len(const struct tcase *tc)
{
	return tc->inlen != 0 ? tc->inlen : strlen(tc->in);
}

static void
case_limits(const struct tcase *tc, size_t *max_fields, size_t *max_head)
{
	*max_fields = tc->lim != NULL ? tc->lim->max_fields :
	    CGIRESP_DEFAULT_MAX_FIELDS;
	*max_head = tc->lim != NULL ? tc->lim->max_head :
	    CGIRESP_DEFAULT_MAX_HEAD;
}

static void
check_span(const struct tcase *tc, const char *buf, size_t blen,
    const struct http1_span *sp, const char *want, const char *what)
{
	if (want == NULL) {
		ck_assert_msg(sp->p == NULL && sp->len == 0,
		    "%s: %s should be absent", tc->what, what);
		return;
	}
	ck_assert_msg(sp->p != NULL, "%s: %s missing", tc->what, what);
	ck_assert_msg(sp->p >= buf && sp->len <= blen &&
	    (size_t)(sp->p - buf) <= blen - sp->len,
	    "%s: %s outside the block", tc->what, what);
	ck_assert_msg(sp->len == strlen(want) &&
	    memcmp(sp->p, want, sp->len) == 0,
	    "%s: %s is \"%.*s\", want \"%s\"", tc->what, what,
	    (int)sp->len, sp->p, want);
}

/* Asserts that parsing the full case gave exactly what it wants. */
static void
check_result(const struct tcase *tc, const char *buf, ssize_t got,
    const struct cgiresp *r)
{
	size_t	 i, nfv = 0;

	ck_assert_msg(got == tc->want, "%s: returned %zd, want %zd",
	    tc->what, got, tc->want);
	if (tc->want <= 0)
		return;
	ck_assert_msg(r->kind == tc->kind, "%s: kind %d, want %d",
	    tc->what, (int)r->kind, (int)tc->kind);
	ck_assert_msg(r->status == tc->status, "%s: status %d, want %d",
	    tc->what, r->status, tc->status);
	check_span(tc, buf, (size_t)got, &r->reason, tc->reason, "reason");
	check_span(tc, buf, (size_t)got, &r->location, tc->location,
	    "location");
	check_span(tc, buf, (size_t)got, &r->upgrade, tc->upgrade, "upgrade");
	check_span(tc, buf, (size_t)got, &r->connection, tc->connection,
	    "connection");
	ck_assert_msg(cgiresp_class(r) == tc->cls, "%s: class %s, want %s",
	    tc->what, cgiresp_class_name(cgiresp_class(r)),
	    cgiresp_class_name(tc->cls));
	ck_assert_msg(r->content_length == (tc->has_cl ? tc->cl : -1),
	    "%s: content_length %lld", tc->what,
	    (long long)r->content_length);
	if (tc->fv != NULL)
		while (tc->fv[nfv] != NULL)
			nfv++;
	ck_assert_msg(r->nfields * 2 == nfv, "%s: %zu fields, want %zu",
	    tc->what, r->nfields, nfv / 2);
	for (i = 0; i < r->nfields; i++) {
		check_span(tc, buf, (size_t)got, &r->fields[i].name,
		    tc->fv[2 * i], "field name");
		check_span(tc, buf, (size_t)got, &r->fields[i].value,
		    tc->fv[2 * i + 1], "field value");
	}
}

/*
 * Asserts what a prefix of n bytes must give, given the previous answer
 * (-1 stays -1: a verdict depends only on bytes already seen).
 */
static void
check_prefix(const struct tcase *tc, size_t n, size_t len, const char *buf,
    ssize_t got, ssize_t prev, const struct cgiresp *r)
{
	if (tc->want > 0 && n >= (size_t)tc->want) {
		check_result(tc, buf, got, r);
		return;
	}
	if (n == len) {
		ck_assert_msg(got == tc->want, "%s: full input gave %zd",
		    tc->what, got);
		return;
	}
	if (tc->want >= 0)
		ck_assert_msg(got == 0, "%s: prefix %zu gave %zd, want 0",
		    tc->what, n, got);
	else
		ck_assert_msg(got == 0 || got == -1,
		    "%s: prefix %zu gave %zd", tc->what, n, got);
	ck_assert_msg(prev != -1 || got == -1,
	    "%s: prefix %zu gave %zd after -1", tc->what, n, got);
}

/* The whole input at once. */
static void
run_whole(const struct tcase *tc, size_t len, size_t mf, size_t mh)
{
	struct http1_field	 fields[NFIELDS_MAX];
	struct cgiresp		 r;
	struct guard		 g = { NULL, 0 };
	const char		*buf;
	ssize_t			 got;

	memset(&r, 0xa5, sizeof(r));
	r.fields = fields;
	buf = guard_copy(&g, tc->in, len);
	got = cgiresp_parse(buf, len, &r, mf, mh);
	check_result(tc, buf, got, &r);
	guard_free(&g);
}

/* Growing prefixes, as a caller re-parses after each read. */
static void
run_prefixes(const struct tcase *tc, size_t len, size_t mf, size_t mh)
{
	struct http1_field	 fields[NFIELDS_MAX];
	struct cgiresp		 r;
	struct guard		 g = { NULL, 0 };
	const char		*buf;
	size_t			 n;
	ssize_t			 got, prev = 0;

	r.fields = fields;
	for (n = 0; n <= len; n++) {
		buf = guard_copy(&g, tc->in, n);
		got = cgiresp_parse(buf, n, &r, mf, mh);
		check_prefix(tc, n, len, buf, got, prev, &r);
		prev = got;
	}
	guard_free(&g);
}

/*
 * Every two-way split: the first part alone, then the whole input at a new
 * address (the caller's buffer grew), into the same, now dirty, result.
 */
static void
run_splits(const struct tcase *tc, size_t len, size_t mf, size_t mh)
{
	struct http1_field	 fields[NFIELDS_MAX];
	struct cgiresp		 r;
	struct guard		 g1 = { NULL, 0 }, g2 = { NULL, 0 };
	const char		*buf;
	size_t			 k;
	ssize_t			 got;

	r.fields = fields;
	for (k = 0; k <= len; k++) {
		buf = guard_copy(&g1, tc->in, k);
		got = cgiresp_parse(buf, k, &r, mf, mh);
		check_prefix(tc, k, len, buf, got, 0, &r);
		buf = guard_copy(&g2, tc->in, len);
		got = cgiresp_parse(buf, len, &r, mf, mh);
		check_result(tc, buf, got, &r);
	}
	guard_free(&g1);
	guard_free(&g2);
}

/* Each case whole, as growing prefixes and at every two-way split. */
START_TEST(test_cases)
{
	const struct tcase	*tc = &cases[_i];
	size_t			 len = case_len(tc), mf, mh;

	case_limits(tc, &mf, &mh);
	run_whole(tc, len, mf, mh);
	run_prefixes(tc, len, mf, mh);
	run_splits(tc, len, mf, mh);
}
END_TEST

/*
 * The default max_head on a generated block of "X: aaa...\n\n": exactly
 * CGIRESP_DEFAULT_MAX_HEAD bytes is fine, one more is not, and an unended
 * block needs more only while it is shorter than the limit.
 */
START_TEST(test_default_max_head)
{
	struct http1_field	 fields[4];
	struct cgiresp		 r;
	struct guard		 g = { NULL, 0 };
	size_t			 mh = CGIRESP_DEFAULT_MAX_HEAD;
	char			*in;
	const char		*buf;

	r.fields = fields;
	in = malloc(mh + 2);
	ck_assert_ptr_nonnull(in);
	memcpy(in, "X: ", 3);

	/* Exactly max_head bytes, then a body byte. */
	memset(in + 3, 'a', mh - 5);
	memcpy(in + mh - 2, "\n\nB", 3);
	buf = guard_copy(&g, in, mh + 1);
	ck_assert_int_eq(cgiresp_parse(buf, mh + 1, &r, 4, mh), (ssize_t)mh);
	ck_assert_uint_eq(r.nfields, 1);
	ck_assert_uint_eq(r.fields[0].value.len, mh - 5);
	/* Its prefix one short of the end needs more. */
	buf = guard_copy(&g, in, mh - 1);
	ck_assert_int_eq(cgiresp_parse(buf, mh - 1, &r, 4, mh), 0);

	/* One value byte more: the same block is max_head + 1 bytes. */
	memset(in + 3, 'a', mh - 4);
	memcpy(in + mh - 1, "\n\n", 2);
	buf = guard_copy(&g, in, mh + 1);
	ck_assert_int_eq(cgiresp_parse(buf, mh + 1, &r, 4, mh), -1);
	/* A buffer of max_head bytes without the end is already too long. */
	buf = guard_copy(&g, in, mh);
	ck_assert_int_eq(cgiresp_parse(buf, mh, &r, 4, mh), -1);
	/* One byte less may still end in time. */
	buf = guard_copy(&g, in, mh - 1);
	ck_assert_int_eq(cgiresp_parse(buf, mh - 1, &r, 4, mh), 0);

	free(in);
	guard_free(&g);
}
END_TEST

/* More fields than the default max_fields, each one short. */
START_TEST(test_default_max_fields)
{
	struct http1_field	 fields[CGIRESP_DEFAULT_MAX_FIELDS];
	struct cgiresp		 r;
	struct guard		 g = { NULL, 0 };
	size_t			 n = CGIRESP_DEFAULT_MAX_FIELDS, len, i;
	char			 in[CGIRESP_DEFAULT_MAX_FIELDS * 6 + 8];
	const char		*buf;

	r.fields = fields;
	len = 0;
	for (i = 0; i < n; i++) {
		memcpy(in + len, "X: y\n", 5);
		len += 5;
	}
	in[len++] = '\n';
	buf = guard_copy(&g, in, len);
	ck_assert_int_eq(cgiresp_parse(buf, len, &r, n, CGIRESP_DEFAULT_MAX_HEAD),
	    (ssize_t)len);
	ck_assert_uint_eq(r.nfields, n);

	memcpy(in + len - 1, "X: y\n\n", 6);
	len += 5;
	buf = guard_copy(&g, in, len);
	ck_assert_int_eq(cgiresp_parse(buf, len, &r, n, CGIRESP_DEFAULT_MAX_HEAD),
	    -1);
	guard_free(&g);
}
END_TEST

/* cgiresp_upgrade_offered(): a 101's Upgrade against the request's. */
static const struct {
	const char	*what;
	const char	*offer;		/* NULL: the request has none */
	const char	*answer;
	int		 want;
} offers[] = {
	{ "the one offered", "websocket", "websocket", 1 },
	{ "case-insensitive", "WebSocket", "websocket", 1 },
	{ "one of a list, OWS", "h2c ,\tHTTP/2.0, websocket", "HTTP/2.0", 1 },
	{ "several, all offered", "a, b/1, c", "c, a", 1 },
	{ "empty elements skipped", ", raw,", " ,raw , ", 1 },
	{ "not offered", "h2c", "websocket", 0 },
	{ "one of two not offered", "h2c", "h2c, websocket", 0 },
	{ "the version counts", "HTTP/2.0", "HTTP/3.0", 0 },
	{ "a version not offered", "HTTP", "HTTP/2.0", 0 },
	{ "a prefix is not the name", "websockets", "websocket", 0 },
	{ "nothing offered", NULL, "websocket", 0 },
	{ "an empty offer", "", "websocket", 0 },
	{ "no protocol in the answer", "websocket", " , ", 0 },
};

START_TEST(test_upgrade_offered)
{
	struct guard		 g1 = { NULL, 0 }, g2 = { NULL, 0 };
	struct http1_span	 offer, answer;

	offer.len = offers[_i].offer != NULL ? strlen(offers[_i].offer) : 0;
	offer.p = offers[_i].offer != NULL ? guard_copy(&g1, offers[_i].offer,
	    offer.len) : NULL;
	answer.len = strlen(offers[_i].answer);
	answer.p = guard_copy(&g2, offers[_i].answer, answer.len);
	ck_assert_msg(cgiresp_upgrade_offered(&offer, &answer) ==
	    offers[_i].want, "%s: not %d", offers[_i].what, offers[_i].want);
	guard_free(&g1);
	guard_free(&g2);
}
END_TEST

/* Every class has a name. */
START_TEST(test_class_names)
{
	ck_assert_str_eq(cgiresp_class_name(CGIRESP_FINAL), "final");
	ck_assert_str_eq(cgiresp_class_name(CGIRESP_SWITCH), "switch");
	ck_assert_str_eq(cgiresp_class_name(CGIRESP_HINTS), "hints");
	ck_assert_str_eq(cgiresp_class_name(CGIRESP_DROPPED), "dropped");
	ck_assert_str_eq(cgiresp_class_name(CGIRESP_BAD_STATUS), "bad status");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cgiresp");
	TCase	*tc = tcase_create("parse");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_cases, 0, (int)NCASES);
	tcase_add_test(tc, test_default_max_head);
	tcase_add_test(tc, test_default_max_fields);
	tcase_add_loop_test(tc, test_upgrade_offered, 0,
	    (int)(sizeof(offers) / sizeof(offers[0])));
	tcase_add_test(tc, test_class_names);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
