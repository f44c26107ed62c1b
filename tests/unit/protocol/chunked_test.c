#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/chunked.h"
#include "tests/unit/guard.h"

/* A string literal and its length, NULs included. */
#define S(x)	(x), (sizeof(x) - 1)

#define ERR	(-400)
#define TOO	(-413)

struct ccase {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	const char	*body;		/* all data spans, concatenated */
	size_t		 bodylen;
	ssize_t		 consumed;	/* total consumed, or ERR */
	int		 done;
};

/* What one feeding of an input produced. */
struct outcome {
	char		*body;
	size_t		 bodylen;
	ssize_t		 consumed;
	int		 done;
};

static const struct ccase cases[] = {
	/* One chunk and the last chunk. */
	{ "one chunk", S("5\r\nhello\r\n0\r\n\r\n"), S("hello"), 15, 1 },
	/* Bytes after the body belong to the next request: not consumed. */
	{ "pipelined", S("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n"),
	    S("hello"), 15, 1 },
	/* Only the last chunk: an empty body. */
	{ "empty body", S("0\r\n\r\n"), S(""), 5, 1 },
	/* Empty body, then a pipelined request. */
	{ "empty body pipelined", S("0\r\n\r\nGET /"), S(""), 5, 1 },
	/* Several chunks are concatenated. */
	{ "multiple chunks", S("3\r\nabc\r\n4\r\ndefg\r\n1\r\nh\r\n0\r\n\r\n"),
	    S("abcdefgh"), 28, 1 },
	/* Uppercase hex digits. */
	{ "uppercase hex", S("A\r\n0123456789\r\n0\r\n\r\n"),
	    S("0123456789"), 20, 1 },
	/* Lowercase hex digits. */
	{ "lowercase hex", S("a\r\n0123456789\r\n0\r\n\r\n"),
	    S("0123456789"), 20, 1 },
	/* Two digits, either case: 0x1f = 31 bytes. */
	{ "two digits 1F",
	    S("1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n"),
	    S("0123456789012345678901234567890"), 42, 1 },
	{ "two digits 1f",
	    S("1f\r\n0123456789012345678901234567890\r\n0\r\n\r\n"),
	    S("0123456789012345678901234567890"), 42, 1 },
	/* Leading zeros are fine, also on the last chunk. */
	{ "leading zeros", S("0005\r\nhello\r\n0000\r\n\r\n"),
	    S("hello"), 21, 1 },
	/* 32 digits, leading zeros included: the most accepted. */
	{ "32 digits",
	    S("00000000000000000000000000000005\r\nhello\r\n0\r\n\r\n"),
	    S("hello"), 46, 1 },
	/* 33 digits, even if only zeros lead: error. */
	{ "33 digits",
	    S("000000000000000000000000000000005\r\nhello\r\n0\r\n\r\n"),
	    S(""), ERR, 0 },
	/* 16 significant digits fit in 64 bits: a huge chunk, incomplete. */
	{ "16 digits max", S("ffffffffffffffff\r\nab"), S("ab"), 20, 0 },
	/* 16 significant digits behind leading zeros. */
	{ "16 digits and zeros", S("00FFFFFFFFFFFFFFFF\r\nab"),
	    S("ab"), 22, 0 },
	/* 17 significant hex digits overflow uint64: error. */
	{ "17 digits", S("10000000000000000\r\n"), S(""), ERR, 0 },
	/* 17 digits, all f: error. */
	{ "17 digits f", S("fffffffffffffffff\r\n"), S(""), ERR, 0 },
	/* A 0x prefix is not hex. */
	{ "0x prefix", S("0x5\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* No sign. */
	{ "minus", S("-5\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	{ "plus", S("+5\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Whitespace after the size. */
	{ "space after size", S("5 \r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	{ "tab after size", S("5\t\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Whitespace before the size. */
	{ "space before size", S(" 5\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* BWS before ';' is not accepted (strict). */
	{ "BWS before ext", S("5 ;a=b\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* BWS after ';' neither. */
	{ "BWS after ;", S("5; a=b\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* BWS around '='. */
	{ "BWS around =", S("5;a = b\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* No digits at all. */
	{ "empty size", S("\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	{ "ext without size", S(";a\r\n"), S(""), ERR, 0 },
	/* Not a hex digit. */
	{ "g", S("g\r\n"), S(""), ERR, 0 },
	{ "NUL in size", S("5\0\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Data longer than its size: anything but CRLF after the data. */
	{ "data too long", S("3\r\nhello\r\n0\r\n\r\n"), S("hel"), ERR, 0 },
	/* Data shorter than its size eats the CRLF, then misses one. */
	{ "data too short", S("5\r\nhel\r\n0\r\n\r\n"), S("hel\r\n"), ERR, 0 },
	/* Data may hold CRLFs. */
	{ "CRLF in data", S("4\r\n\r\n\r\n\r\n0\r\n\r\n"),
	    S("\r\n\r\n"), 14, 1 },
	/* Data may hold NULs and high bytes. */
	{ "binary data", S("4\r\n\0\xff\x80\n\r\n0\r\n\r\n"), S("\0\xff\x80\n"),
	    14, 1 },
	/* Bare LF ending the size line. */
	{ "bare LF size", S("5\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Bare LF after the data. */
	{ "bare LF data", S("5\r\nhello\n0\r\n\r\n"), S("hello"), ERR, 0 },
	/* Bare LF ending the last chunk line. */
	{ "bare LF last", S("0\n\r\n"), S(""), ERR, 0 },
	/* Bare LF as the final empty line. */
	{ "bare LF end", S("0\r\n\n"), S(""), ERR, 0 },
	/* Bare LF ending a trailer field. */
	{ "bare LF trailer", S("0\r\nX: y\n\r\n"), S(""), ERR, 0 },
	/* Bare CR ending the size line. */
	{ "bare CR size", S("5\rhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Bare CR after the data. */
	{ "bare CR data", S("5\r\nhello\r0\r\n\r\n"), S("hello"), ERR, 0 },
	/* CR CR LF at the end. */
	{ "bare CR end", S("0\r\n\r\r\n"), S(""), ERR, 0 },
	/* LF CR instead of CR LF. */
	{ "LF CR", S("0\n\r\n\r"), S(""), ERR, 0 },
	/* Extension: a name alone. */
	{ "ext name", S("5;name\r\nhello\r\n0\r\n\r\n"), S("hello"), 20, 1 },
	/* Extensions: token value, quoted value with escapes, name alone. */
	{ "ext values",
	    S("5;a=b;c=\"q \\\"d\\\\\";e;f=1.0~|\r\nhello\r\n0\r\n\r\n"),
	    S("hello"), 41, 1 },
	/* Quoted value with HTAB, obs-text, and an empty quoted value. */
	{ "ext quoted", S("5;a=\"x\ty\x80\";b=\"\"\r\nhello\r\n0\r\n\r\n"),
	    S("hello"), 29, 1 },
	/* Extension on the last chunk. */
	{ "ext last chunk", S("5\r\nhello\r\n0;last=yes\r\n\r\nGET"),
	    S("hello"), 24, 1 },
	/* Empty extension name. */
	{ "ext empty name", S("5;\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	{ "ext =value", S("5;=b\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Two semicolons in a row. */
	{ "ext ;;", S("5;a;;b\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Empty extension value. */
	{ "ext empty value", S("5;a=\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Space inside a token value. */
	{ "ext space in value", S("5;a=b c\r\nhello\r\n0\r\n\r\n"),
	    S(""), ERR, 0 },
	/* Bytes after a closing quote. */
	{ "ext after quote", S("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"),
	    S(""), ERR, 0 },
	/* A quoted-string is not ended by CR. */
	{ "ext unterminated", S("5;a=\"b\r\nhello\r\n0\r\n\r\n"),
	    S(""), ERR, 0 },
	/* A CTL in a quoted-string. */
	{ "ext CTL quoted", S("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n"),
	    S(""), ERR, 0 },
	/* A CTL escaped in a quoted-pair. */
	{ "ext CTL qpair", S("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n"),
	    S(""), ERR, 0 },
	/* A non-token byte in a name. */
	{ "ext bad name", S("5;a@b\r\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Bare LF ending an extension. */
	{ "ext bare LF", S("5;a=b\nhello\r\n0\r\n\r\n"), S(""), ERR, 0 },
	/* Trailer fields. */
	{ "trailers", S("0\r\nExpires: never\r\nX-Sum:abc \r\n\r\n"),
	    S(""), 33, 1 },
	/* Trailer after data, then a pipelined request. */
	{ "trailers pipelined",
	    S("2\r\nhi\r\n0\r\nX: y\r\n\r\nPOST / HTTP/1.1"),
	    S("hi"), 18, 1 },
	/* Empty value, HTAB and obs-text in a value. */
	{ "trailer values", S("0\r\nA:\r\nB: \tx\x80\xff y\r\n\r\n"),
	    S(""), 20, 1 },
	/* Whitespace before the colon. */
	{ "trailer space colon", S("0\r\nX : y\r\n\r\n"), S(""), ERR, 0 },
	/* Whitespace before the name. */
	{ "trailer leading space", S("0\r\n X: y\r\n\r\n"), S(""), ERR, 0 },
	/* obs-fold. */
	{ "trailer obs-fold", S("0\r\nX: y\r\n z\r\n\r\n"), S(""), ERR, 0 },
	{ "trailer obs-fold tab", S("0\r\nX: y\r\n\tz\r\n\r\n"),
	    S(""), ERR, 0 },
	/* No colon. */
	{ "trailer no colon", S("0\r\nXy\r\n\r\n"), S(""), ERR, 0 },
	/* Empty name. */
	{ "trailer empty name", S("0\r\n: y\r\n\r\n"), S(""), ERR, 0 },
	/* Non-token byte in the name. */
	{ "trailer bad name", S("0\r\nX(y): z\r\n\r\n"), S(""), ERR, 0 },
	/* CTL, DEL and NUL in a value. */
	{ "trailer CTL", S("0\r\nX: a\x01z\r\n\r\n"), S(""), ERR, 0 },
	{ "trailer DEL", S("0\r\nX: a\x7fz\r\n\r\n"), S(""), ERR, 0 },
	{ "trailer NUL", S("0\r\nX: a\0z\r\n\r\n"), S(""), ERR, 0 },
	/* Bare CR in a value. */
	{ "trailer bare CR", S("0\r\nX: a\rz\r\n\r\n"), S(""), ERR, 0 },
	/* Incomplete inputs: all consumed, not done. */
	{ "nothing", S(""), S(""), 0, 0 },
	{ "size only", S("5"), S(""), 1, 0 },
	{ "half data", S("5\r\nhel"), S("hel"), 6, 0 },
	{ "data no CRLF", S("5\r\nhello"), S("hello"), 8, 0 },
	{ "no final LF", S("0\r\n\r"), S(""), 4, 0 },
	{ "in trailers", S("0\r\nX: y\r\n"), S(""), 9, 0 },
	{ "in ext", S("5;a=\"x"), S(""), 6, 0 },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Cases with chunked_set_max(): the body's size is judged on the size
   line, digit by digit, before any data of the chunk. */
struct mcase {
	const char	*name;
	uint64_t	 max;
	const char	*in;
	size_t		 inlen;
	const char	*body;
	size_t		 bodylen;
	ssize_t		 consumed;	/* total consumed, ERR or TOO */
	int		 done;
};

static const struct mcase mcases[] = {
	/* A body of exactly max bytes. */
	{ "max met", 8, S("3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n"),
	    S("abcdefgh"), 23, 1 },
	/* One chunk over max: 413 on its size digit, no data taken. */
	{ "one chunk over", 4, S("5\r\nhello\r\n0\r\n\r\n"), S(""), TOO, 0 },
	/* The second chunk passes max: the first one's data was given. */
	{ "second chunk over", 8, S("3\r\nabc\r\n6\r\ndefghi\r\n0\r\n\r\n"),
	    S("abc"), TOO, 0 },
	/* issue 14 F: a huge size is refused on its size line, here on its
	   second digit (0xff > 64), without waiting for its data. */
	{ "ffffffffffffffff", 64, S("ffffffffffffffff\r\n"), S(""), TOO, 0 },
	/* Leading zeros do not count. */
	{ "zeros then size", 5, S("0000005\r\nhello\r\n0\r\n\r\n"),
	    S("hello"), 21, 1 },
	/* max 0: only an empty body. */
	{ "max 0, empty", 0, S("0\r\n\r\n"), S(""), 5, 1 },
	{ "max 0, one byte", 0, S("1\r\na\r\n0\r\n\r\n"), S(""), TOO, 0 },
	/* A malformed line before the limit is passed is still 400. */
	{ "bad before max", 4, S("x5\r\n"), S(""), ERR, 0 },
	/* The largest max: 16 digits of f fit, a second chunk does not. */
	{ "max UINT64_MAX", UINT64_MAX,
	    S("ffffffffffffffff\r\nab"), S("ab"), 20, 0 },
};

#define NMCASES	(sizeof(mcases) / sizeof(mcases[0]))

/*
 * Feeds in[0..len) the way a connection would receive it: the bytes
 * available grow to ends[0], ends[1], ... (the last is len).  Every call
 * gets the unconsumed available bytes copied to end at the guard page:
 * END is the end of a guard_copy() of at least len bytes, refilled for each
 * call (an mmap per call is slow).
 */
static void
feed(const char *name, const char *in, size_t len, char *end,
    const size_t *ends, size_t nends, const uint64_t *max, struct outcome *o)
{
	struct chunked_dec	 d;
	const char		*data;
	char			*p;
	size_t			 pos = 0, avail, n, dlen, e;
	ssize_t			 r;

	chunked_init(&d);
	if (max != NULL)
		chunked_set_max(&d, *max);
	o->body = malloc(len + 1);
	ck_assert_ptr_nonnull(o->body);
	o->bodylen = 0;
	o->done = 0;
	for (e = 0; e < nends; e++) {
		avail = ends[e];
		for (;;) {
			n = avail - pos;
			p = end - n;
			if (n > 0)
				memcpy(p, in + pos, n);
			r = chunked_decode(&d, p, n, &data, &dlen);
			if (r == ERR || r == TOO) {
				/* Errors stick. */
				o->consumed = r;
				r = chunked_decode(&d, p, n, &data, &dlen);
				ck_assert_msg(r == o->consumed,
				    "%s: error not sticky", name);
				r = chunked_decode(&d, NULL, 0, &data, &dlen);
				ck_assert_msg(r == o->consumed,
				    "%s: error not sticky", name);
				return;
			}
			ck_assert_msg(r >= 0 && (size_t)r <= n,
			    "%s: returned %zd for %zu bytes", name, r, n);
			if (dlen > 0) {
				/* The span is the last thing consumed. */
				ck_assert_msg(data >= p &&
				    data + dlen == p + r, "%s: bad span", name);
				memcpy(o->body + o->bodylen, data, dlen);
				o->bodylen += dlen;
			}
			pos += (size_t)r;
			if (d.done) {
				/* Nothing more is consumed after done. */
				r = chunked_decode(&d, p + r, n - (size_t)r,
				    &data, &dlen);
				ck_assert_msg(r == 0 && dlen == 0,
				    "%s: consumed after done", name);
				o->done = 1;
				o->consumed = (ssize_t)pos;
				return;
			}
			if (pos == avail)
				break;
			ck_assert_msg(dlen > 0, "%s: stopped short without "
			    "data in state %s", name,
			    chunked_state_name(d.state));
		}
	}
	o->consumed = (ssize_t)pos;
}

static void
expect(const char *name, const char *how, const struct outcome *o,
    const char *body, size_t bodylen, ssize_t consumed, int done)
{
	ck_assert_msg(o->consumed == consumed,
	    "%s (%s): consumed %zd, want %zd", name, how, o->consumed,
	    consumed);
	ck_assert_msg(o->done == done, "%s (%s): done %d, want %d", name, how,
	    o->done, done);
	ck_assert_msg(o->bodylen == bodylen &&
	    memcmp(o->body, body, bodylen) == 0,
	    "%s (%s): body of %zu bytes, want %zu", name, how, o->bodylen,
	    bodylen);
}

/* Runs one case whole, byte by byte, and split in two at every point;
   max: NULL, or the decoder's chunked_set_max(). */
static void
run_case_max(const char *name, const uint64_t *max, const char *in,
    size_t len, const char *body, size_t bodylen, ssize_t consumed, int done)
{
	struct outcome	 o;
	struct guard	 g = { NULL, 0 };
	char		*end;
	size_t		*ends, i, two[2];

	end = guard_copy(&g, in, len) + len;
	two[0] = len;
	feed(name, in, len, end, two, 1, max, &o);
	expect(name, "whole", &o, body, bodylen, consumed, done);
	free(o.body);

	ends = malloc((len + 1) * sizeof(*ends));
	ck_assert_ptr_nonnull(ends);
	for (i = 0; i < len; i++)
		ends[i] = i + 1;
	feed(name, in, len, end, ends, len, max, &o);
	expect(name, "bytewise", &o, body, bodylen, consumed, done);
	free(o.body);
	free(ends);

	for (i = 0; i <= len; i++) {
		two[0] = i;
		two[1] = len;
		feed(name, in, len, end, two, 2, max, &o);
		expect(name, "split", &o, body, bodylen, consumed, done);
		free(o.body);
	}
	guard_free(&g);
}

static void
run_case(const char *name, const char *in, size_t len, const char *body,
    size_t bodylen, ssize_t consumed, int done)
{
	run_case_max(name, NULL, in, len, body, bodylen, consumed, done);
}

START_TEST(test_max_table)
{
	const struct mcase	*c = &mcases[_i];

	run_case_max(c->name, &c->max, c->in, c->inlen, c->body, c->bodylen,
	    c->consumed, c->done);
}
END_TEST

/* The decoder stops at the digit that passes max: "ff" of a 64-byte
   max fails with the second f as the last byte fed. */
START_TEST(test_max_at_digit)
{
	struct chunked_dec	 d;
	const char		*data;
	size_t			 dlen;

	chunked_init(&d);
	chunked_set_max(&d, 64);
	ck_assert_int_eq(chunked_decode(&d, S("f"), &data, &dlen), 1);
	ck_assert_int_eq(chunked_decode(&d, S("f"), &data, &dlen), TOO);
	ck_assert_str_eq(chunked_state_name(d.state), "too-large");
	ck_assert_int_eq(chunked_decode(&d, S("\r\n"), &data, &dlen), TOO);
}
END_TEST

START_TEST(test_table)
{
	const struct ccase	*c = &cases[_i];

	run_case(c->name, c->in, c->inlen, c->body, c->bodylen, c->consumed,
	    c->done);
}
END_TEST

/* Builds "5" + ";" + n-1 extension bytes + CRLF "hello" CRLF last chunk. */
static size_t
build_ext(char *buf, size_t n)
{
	size_t	 len = 0;

	memcpy(buf, "5;a=", 4);
	len = 4;
	memset(buf + len, 'x', n - 3);
	len += n - 3;
	memcpy(buf + len, "\r\nhello\r\n0\r\n\r\n", 14);
	return len + 14;
}

/* Extension bytes: CHUNKED_MAX_EXT pass, one more fails. */
START_TEST(test_ext_limit)
{
	static char	 buf[CHUNKED_MAX_EXT + 64];
	size_t		 len;

	/* ";a=" and the x's make exactly CHUNKED_MAX_EXT bytes. */
	len = build_ext(buf, CHUNKED_MAX_EXT);
	run_case("ext at limit", buf, len, S("hello"), (ssize_t)len, 1);
	/* One byte more. */
	len = build_ext(buf, CHUNKED_MAX_EXT + 1);
	run_case("ext over limit", buf, len, S(""), ERR, 0);
}
END_TEST

/* Builds a last chunk whose trailer field line has n bytes (CRLF in). */
static size_t
build_trailer(char *buf, size_t n)
{
	size_t	 len;

	memcpy(buf, "0\r\nX: ", 6);
	len = 6;
	memset(buf + len, 'v', n - 5);
	len += n - 5;
	memcpy(buf + len, "\r\n\r\nGET", 7);
	return len + 7;
}

/* Trailer bytes: CHUNKED_MAX_TRAILER pass, one more fails. */
START_TEST(test_trailer_limit)
{
	static char	 buf[CHUNKED_MAX_TRAILER + 64];
	size_t		 len;

	/* One field line of exactly CHUNKED_MAX_TRAILER bytes. */
	len = build_trailer(buf, CHUNKED_MAX_TRAILER);
	run_case("trailer at limit", buf, len, S(""), (ssize_t)len - 3, 1);
	/* One byte more. */
	len = build_trailer(buf, CHUNKED_MAX_TRAILER + 1);
	run_case("trailer over limit", buf, len, S(""), ERR, 0);
	/* Many short lines add up: 1024 lines of 8 bytes pass. */
	{
		size_t	 i;

		memcpy(buf, "0\r\n", 3);
		len = 3;
		for (i = 0; i < CHUNKED_MAX_TRAILER / 8; i++) {
			memcpy(buf + len, "Ab: cd\r\n", 8);
			len += 8;
		}
		memcpy(buf + len, "\r\n", 2);
		len += 2;
		run_case("many trailers at limit", buf, len, S(""),
		    (ssize_t)len, 1);
		/* One more short line fails. */
		memcpy(buf + len - 2, "A:\r\n\r\n", 6);
		len += 4;
		run_case("many trailers over limit", buf, len, S(""), ERR, 0);
	}
}
END_TEST

/* A bigger chunk, 0x1000 bytes, among small ones. */
START_TEST(test_big_chunk)
{
	static char	 in[8192], body[8192];
	size_t		 len, i;

	for (i = 0; i < 4096; i++)
		body[i] = (char)('a' + i % 26);
	memcpy(in, "1000\r\n", 6);
	memcpy(in + 6, body, 4096);
	memcpy(in + 6 + 4096, "\r\n1\r\nZ\r\n0\r\n\r\n", 13);
	body[4096] = 'Z';
	len = 6 + 4096 + 13;
	run_case("big chunk", in, len, body, 4097, (ssize_t)len, 1);
}
END_TEST

/* A zeroed struct is as good as chunked_init; calls after done give 0. */
START_TEST(test_zeroed_and_after)
{
	struct chunked_dec	 d;
	const char		*data;
	size_t			 dlen;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(chunked_decode(&d, S("0\r\n\r\n"), &data, &dlen), 5);
	ck_assert_int_eq(d.done, 1);
	ck_assert_str_eq(chunked_state_name(d.state), "done");
	ck_assert_int_eq(chunked_decode(&d, S("5\r\nhello"), &data, &dlen), 0);
	ck_assert_uint_eq(dlen, 0);
	ck_assert_int_eq(chunked_decode(&d, NULL, 0, &data, &dlen), 0);

	chunked_init(&d);
	ck_assert_int_eq(chunked_decode(&d, S("x"), &data, &dlen), ERR);
	ck_assert_str_eq(chunked_state_name(d.state), "error");
	ck_assert_int_eq(chunked_decode(&d, NULL, 0, &data, &dlen), ERR);
	ck_assert_int_eq(chunked_decode(&d, S("0\r\n\r\n"), &data, &dlen), ERR);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("chunked");
	TCase	*tc = tcase_create("decode");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_table, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_max_table, 0, (int)NMCASES);
	tcase_add_test(tc, test_max_at_digit);
	tcase_add_test(tc, test_ext_limit);
	tcase_add_test(tc, test_trailer_limit);
	tcase_add_test(tc, test_big_chunk);
	tcase_add_test(tc, test_zeroed_and_after);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
