#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fastcgi.h>

#include "protocol/fcgi.h"
#include "tests/unit/guard.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* A string literal and its length, NULs included. */
#define S(s)		(const uint8_t *)(s), sizeof(s) - 1
/*
 * An assertion for hot loops: ck_assert() marks a point on every success
 * (a write to the parent in fork mode), which a loop over 64 KB of split
 * points cannot afford.  This one costs nothing until it fails.
 */
#define EXPECT(cond) do {						\
	if (!(cond))							\
		ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);	\
} while (0)

/*
 * Many prefixes of a 64 KB input: one guard_copy() mapping serves them all.
 * Each input is copied so that it ends right before the guard page, as
 * guard_copy() would place it, without a new mapping per prefix.
 */
struct at_guard {
	struct guard	 g;
	uint8_t		*end;	/* the guard page */
	size_t		 max;
};

static void
at_guard_init(struct at_guard *a, const void *data, size_t max)
{
	a->g.map = NULL;
	a->g.maplen = 0;
	a->end = (uint8_t *)guard_copy(&a->g, data, max) + max;
	a->max = max;
}

static uint8_t *
at_guard_place(struct at_guard *a, const void *data, size_t len)
{
	ck_assert_uint_le(len, a->max);
	if (len > 0)
		memmove(a->end - len, data, len);
	return a->end - len;
}

/*
 * Headers
 */

static const struct header_case {
	const char		*comment;
	struct fcgi_header	 h;
	uint8_t			 bytes[FCGI_HEADER_LEN];
} header_cases[] = {
	/* All zero but the version. */
	{ "minimal", { 1, 0, 0, 0, 0 }, { 1, 0, 0, 0, 0, 0, 0, 0 } },
	/* A typical BEGIN_REQUEST header. */
	{ "begin", { 1, FCGI_BEGIN_REQUEST, 1, 8, 0 },
	    { 1, 1, 0, 1, 0, 8, 0, 0 } },
	/* Big-endian: the high byte goes first. */
	{ "byte order", { 1, FCGI_STDOUT, 0x1234, 0xabcd, 3 },
	    { 1, 6, 0x12, 0x34, 0xab, 0xcd, 3, 0 } },
	/* Every field at its maximum. */
	{ "max", { 1, 255, 65535, 65535, 255 },
	    { 1, 255, 0xff, 0xff, 0xff, 0xff, 0xff, 0 } },
	/* An extension type. */
	{ "close notify", { 1, FERRY_CLOSE_NOTIFY, 256, 1, 7 },
	    { 1, 64, 1, 0, 0, 1, 7, 0 } },
};

START_TEST(test_header_roundtrip)
{
	const struct header_case	*c = &header_cases[_i];
	struct guard			 g = { NULL, 0 };
	struct fcgi_header		 h;
	uint8_t				 out[FCGI_HEADER_LEN];
	const uint8_t			*in;

	memset(out, 0xee, sizeof(out));
	fcgi_header_encode(out, &c->h);
	ck_assert_msg(memcmp(out, c->bytes, FCGI_HEADER_LEN) == 0, "%s",
	    c->comment);

	in = (const uint8_t *)guard_copy(&g, c->bytes, FCGI_HEADER_LEN);
	memset(&h, 0xee, sizeof(h));
	ck_assert_int_eq(fcgi_header_decode(in, &h), 0);
	ck_assert_uint_eq(h.version, c->h.version);
	ck_assert_uint_eq(h.type, c->h.type);
	ck_assert_uint_eq(h.request_id, c->h.request_id);
	ck_assert_uint_eq(h.content_length, c->h.content_length);
	ck_assert_uint_eq(h.padding_length, c->h.padding_length);
	guard_free(&g);
}
END_TEST

static const struct bad_version_case {
	const char	*comment;
	uint8_t		 bytes[FCGI_HEADER_LEN];
} bad_version_cases[] = {
	{ "version 0", { 0, 6, 0, 1, 0, 0, 0, 0 } },
	{ "version 2", { 2, 6, 0, 1, 0, 0, 0, 0 } },
	{ "version 255", { 255, 6, 0, 1, 0, 0, 0, 0 } },
	/* Someone speaking HTTP to a FastCGI socket. */
	{ "http", { 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T' } },
};

START_TEST(test_header_bad_version)
{
	const struct bad_version_case	*c = &bad_version_cases[_i];
	struct guard			 g = { NULL, 0 };
	struct fcgi_header		 h;
	struct fcgi_record		 rec;
	const uint8_t			*in;
	size_t				 p;

	in = (const uint8_t *)guard_copy(&g, c->bytes, FCGI_HEADER_LEN);
	ck_assert_int_eq(fcgi_header_decode(in, &h), -1);
	/* The decoded fields are still there, for a log line. */
	ck_assert_uint_eq(h.version, c->bytes[0]);
	ck_assert_uint_eq(h.type, c->bytes[1]);
	/* fcgi_record_parse() rejects it as soon as the first byte is in. */
	for (p = 0; p <= FCGI_HEADER_LEN; p++) {
		in = (const uint8_t *)guard_copy(&g, c->bytes, p);
		ck_assert_int_eq(fcgi_record_parse(in, p, &rec), p == 0 ? 0 : -1);
	}
	guard_free(&g);
}
END_TEST

/* Our bytes are libfcgi's: fill its structs field by field and compare. */
START_TEST(test_libfcgi_crosscheck)
{
	FCGI_Header		lh;
	FCGI_BeginRequestBody	lb;
	FCGI_EndRequestBody	le;
	FCGI_UnknownTypeBody	lu;
	struct fcgi_header	h = { FCGI_VERSION_1, FCGI_STDERR, 0x0102,
				    0x0304, 5 };
	uint8_t			out[8];

	ck_assert_uint_eq(sizeof(lh), FCGI_HEADER_LEN);
	memset(&lh, 0, sizeof(lh));
	lh.version = FCGI_VERSION_1;
	lh.type = FCGI_STDERR;
	lh.requestIdB1 = 0x01;
	lh.requestIdB0 = 0x02;
	lh.contentLengthB1 = 0x03;
	lh.contentLengthB0 = 0x04;
	lh.paddingLength = 5;
	fcgi_header_encode(out, &h);
	ck_assert(memcmp(out, &lh, sizeof(lh)) == 0);

	ck_assert_uint_eq(sizeof(lb), FCGI_BEGIN_REQUEST_LEN);
	memset(&lb, 0, sizeof(lb));
	lb.roleB1 = 0;
	lb.roleB0 = FCGI_AUTHORIZER;
	lb.flags = FCGI_KEEP_CONN;
	fcgi_begin_request_encode(out, FCGI_AUTHORIZER, FCGI_KEEP_CONN);
	ck_assert(memcmp(out, &lb, sizeof(lb)) == 0);

	ck_assert_uint_eq(sizeof(le), FCGI_END_REQUEST_LEN);
	memset(&le, 0, sizeof(le));
	le.appStatusB3 = 0xde;
	le.appStatusB2 = 0xad;
	le.appStatusB1 = 0xbe;
	le.appStatusB0 = 0xef;
	le.protocolStatus = FCGI_OVERLOADED;
	fcgi_end_request_encode(out, 0xdeadbeef, FCGI_OVERLOADED);
	ck_assert(memcmp(out, &le, sizeof(le)) == 0);

	ck_assert_uint_eq(sizeof(lu), FCGI_UNKNOWN_TYPE_LEN);
	memset(&lu, 0, sizeof(lu));
	lu.type = FERRY_HIJACK;
	fcgi_unknown_type_encode(out, FERRY_HIJACK);
	ck_assert(memcmp(out, &lu, sizeof(lu)) == 0);
}
END_TEST

/*
 * Padding, record headers, stream splitting
 */

static const struct padding_case {
	const char	*comment;
	size_t		 len;
	uint8_t		 padding;
} padding_cases[] = {
	{ "empty record", 0, 0 },
	{ "one byte", 1, 7 },
	{ "seven", 7, 1 },
	{ "aligned", 8, 0 },
	{ "just past", 9, 7 },
	{ "split chunk", 65528, 0 },
	{ "max length", 65535, 1 },
	/* Only len % 8 matters, even beyond a record's length. */
	{ "large", (size_t)1 << 40 | 3, 5 },
};

START_TEST(test_padding)
{
	const struct padding_case	*c = &padding_cases[_i];

	ck_assert_msg(fcgi_padding(c->len) == c->padding, "%s", c->comment);
	ck_assert_uint_eq((c->len + c->padding) % 8, 0);
}
END_TEST

static const struct record_header_case {
	const char	*comment;
	uint8_t		 type;
	uint16_t	 id;
	size_t		 len;
	uint8_t		 padding;
	uint8_t		 bytes[FCGI_HEADER_LEN];
} record_header_cases[] = {
	/* The empty record that ends a stream. */
	{ "stream end", FCGI_STDIN, 1, 0, 0, { 1, 5, 0, 1, 0, 0, 0, 0 } },
	{ "hello", FCGI_STDOUT, 1, 5, 3, { 1, 6, 0, 1, 0, 5, 3, 0 } },
	{ "aligned", FCGI_PARAMS, 2, 16, 0, { 1, 4, 0, 2, 0, 16, 0, 0 } },
	{ "management", FCGI_GET_VALUES, FCGI_NULL_REQUEST_ID, 33, 7,
	    { 1, 9, 0, 0, 0, 33, 7, 0 } },
	{ "max", FCGI_STDOUT, 65535, 65535, 1,
	    { 1, 6, 0xff, 0xff, 0xff, 0xff, 1, 0 } },
	{ "split chunk", FERRY_HIJACKED, 7, 65528, 0,
	    { 1, 66, 0, 7, 0xff, 0xf8, 0, 0 } },
};

START_TEST(test_record_header)
{
	const struct record_header_case	*c = &record_header_cases[_i];
	uint8_t				 out[FCGI_HEADER_LEN];

	memset(out, 0xee, sizeof(out));
	ck_assert_uint_eq(fcgi_record_header(out, c->type, c->id, c->len),
	    c->padding);
	ck_assert_msg(memcmp(out, c->bytes, sizeof(out)) == 0, "%s",
	    c->comment);
	ck_assert_uint_le(c->padding, sizeof(FCGI_PAD));
	ck_assert(memcmp(FCGI_PAD, "\0\0\0\0\0\0\0\0", 8) == 0);
}
END_TEST

static const struct chunk_case {
	const char	*comment;
	size_t		 len;
	size_t		 chunk;
} chunk_cases[] = {
	{ "end of stream", 0, 0 },
	{ "small", 1, 1 },
	{ "fits, padded", 65535, 65535 },
	{ "fits, aligned", 65528, 65528 },
	/* Split: a multiple of 8, so no padding between records. */
	{ "one over", 65536, 65528 },
	{ "two records", 131056, 65528 },
	{ "huge", SIZE_MAX, 65528 },
};

START_TEST(test_stream_chunk)
{
	const struct chunk_case	*c = &chunk_cases[_i];

	ck_assert_msg(fcgi_stream_chunk(c->len) == c->chunk, "%s", c->comment);
}
END_TEST

/*
 * Splits streams of several lengths into records with fcgi_stream_chunk()
 * and fcgi_record_header(), parses them back and compares the data: every
 * record but the last is unpadded and the stream ends with an empty record.
 */
START_TEST(test_stream_roundtrip)
{
	static const size_t	 lens[] = { 0, 1, 8, 65528, 65535, 65536,
				    131056, 131057, 200003 };
	struct guard		 g = { NULL, 0 };
	struct fcgi_record	 rec;
	uint8_t			*data, *wire, *back;
	const uint8_t		*in;
	size_t			 len, off, woff, n, i, nrec;
	uint8_t			 pad;
	ssize_t			 r;

	for (i = 0; i < NELEM(lens); i++) {
		len = lens[i];
		data = malloc(len + 1);
		back = malloc(len + 1);
		wire = malloc(len + (len / 65528 + 2) * 16);
		EXPECT(data != NULL && back != NULL && wire != NULL);
		for (off = 0; off < len; off++)
			data[off] = (uint8_t)(off * 7 + 1);
		off = woff = 0;
		for (;;) {
			n = fcgi_stream_chunk(len - off);
			pad = fcgi_record_header(wire + woff, FCGI_STDIN, 3, n);
			woff += FCGI_HEADER_LEN;
			memcpy(wire + woff, data + off, n);
			woff += n;
			memcpy(wire + woff, FCGI_PAD, pad);
			woff += pad;
			off += n;
			if (n == 0)
				break;
		}
		in = (const uint8_t *)guard_copy(&g, wire, woff);
		off = nrec = 0;
		for (n = 0; n < woff; n += (size_t)r) {
			r = fcgi_record_parse(in + n, woff - n, &rec);
			EXPECT(r > 0);
			EXPECT(rec.h.type == FCGI_STDIN);
			EXPECT(rec.h.request_id == 3);
			if (off + rec.h.content_length < len)
				EXPECT(rec.h.padding_length == 0);
			memcpy(back + off, rec.content, rec.h.content_length);
			off += rec.h.content_length;
			nrec++;
		}
		EXPECT(off == len);
		EXPECT(rec.h.content_length == 0);
		/* Full 65528-byte records while more than a record is left,
		   then the rest (if any), then the empty end record. */
		for (n = len, off = 1; n > 65535; n -= 65528)
			off++;
		EXPECT(nrec == off + (n > 0));
		EXPECT(len == 0 || memcmp(back, data, len) == 0);
		free(data);
		free(back);
		free(wire);
	}
	guard_free(&g);
}
END_TEST

/*
 * Record parsing.  A case is a list of records, written by rec_build()
 * (independently of the code under test) unless raw bytes are given, then
 * optionally some trailing bytes: the start of a record that is incomplete
 * (tail_result 0) or that has a bad version (tail_result -1).
 */

#define MAXREC	5

struct rspec {
	uint8_t		 type;
	uint16_t	 id;
	const char	*content;	/* NULL: a pattern of clen bytes */
	size_t		 clen;
	uint8_t		 plen;
	uint8_t		 reserved;
};

static const struct record_case {
	const char	*comment;
	const uint8_t	*raw;		/* NULL: built from recs */
	size_t		 rawlen;
	struct rspec	 recs[MAXREC];
	size_t		 nrec;
	const uint8_t	*tail;
	size_t		 tail_len;
	ssize_t		 tail_result;
} record_cases[] = {
	/* Nothing at all: need more. */
	{ "empty input", NULL, 0, { { 0 } }, 0, NULL, 0, 0 },
	/* BEGIN_REQUEST, responder, keep the connection, pinned bytes. */
	{ "begin request", S("\1\1\0\1\0\10\0\0" "\0\1\1\0\0\0\0\0"),
	    { { FCGI_BEGIN_REQUEST, 1, "\0\1\1\0\0\0\0\0", 8, 0, 0 } }, 1,
	    NULL, 0, 0 },
	/* ABORT_REQUEST: a zero-length record. */
	{ "abort request", S("\1\2\0\1\0\0\0\0"),
	    { { FCGI_ABORT_REQUEST, 1, "", 0, 0, 0 } }, 1, NULL, 0, 0 },
	{ "end request", S("\1\3\0\1\0\10\0\0" "\0\0\0\0\0\0\0\0"),
	    { { FCGI_END_REQUEST, 1, "\0\0\0\0\0\0\0\0", 8, 0, 0 } }, 1,
	    NULL, 0, 0 },
	/* PARAMS with one pair and 1 byte of padding, then its end. */
	{ "params stream", S("\1\4\0\1\0\7\1\0" "\3\2ONEab" "\0"
	    "\1\4\0\1\0\0\0\0"),
	    { { FCGI_PARAMS, 1, "\3\2ONEab", 7, 1, 0 },
	      { FCGI_PARAMS, 1, "", 0, 0, 0 } }, 2, NULL, 0, 0 },
	/* STDIN with padding, then the end of the stream. */
	{ "stdin", S("\1\5\0\1\0\5\3\0" "hello\0\0\0" "\1\5\0\1\0\0\0\0"),
	    { { FCGI_STDIN, 1, "hello", 5, 3, 0 },
	      { FCGI_STDIN, 1, "", 0, 0, 0 } }, 2, NULL, 0, 0 },
	/* STDOUT, STDERR, END_REQUEST: a whole response. */
	{ "response", NULL, 0,
	    { { FCGI_STDOUT, 9, "Status: 200\r\n\r\nhi", 17, 7, 0 },
	      { FCGI_STDERR, 9, "oops", 4, 4, 0 },
	      { FCGI_STDOUT, 9, "", 0, 0, 0 },
	      { FCGI_END_REQUEST, 9, "\0\0\0\0\0\0\0\0", 8, 0, 0 } }, 4,
	    NULL, 0, 0 },
	{ "data", NULL, 0, { { FCGI_DATA, 1, "filter", 6, 2, 0 } }, 1,
	    NULL, 0, 0 },
	/* Management records use request id 0. */
	{ "get values", NULL, 0,
	    { { FCGI_GET_VALUES, 0, "\16\0FCGI_MAX_CONNS", 16, 0, 0 } }, 1,
	    NULL, 0, 0 },
	{ "get values result", NULL, 0,
	    { { FCGI_GET_VALUES_RESULT, 0, "\16\1FCGI_MAX_CONNS1", 17, 7,
	    0 } }, 1, NULL, 0, 0 },
	{ "unknown type", NULL, 0,
	    { { FCGI_UNKNOWN_TYPE, 0, "\100\0\0\0\0\0\0\0", 8, 0, 0 } }, 1,
	    NULL, 0, 0 },
	/* ferry's extensions, pinned bytes. */
	{ "close notify", S("\1\100\0\1\0\1\7\0" "\2\0\0\0\0\0\0\0"),
	    { { FERRY_CLOSE_NOTIFY, 1, "\2", 1, 7, 0 } }, 1, NULL, 0, 0 },
	{ "hijack", S("\1\101\0\1\0\0\0\0"),
	    { { FERRY_HIJACK, 1, "", 0, 0, 0 } }, 1, NULL, 0, 0 },
	{ "hijacked", NULL, 0,
	    { { FERRY_HIJACKED, 1, "GET / HTTP/1.1\r\n", 16, 0, 0 },
	      { FERRY_HIJACKED, 1, "", 0, 0, 0 } }, 2, NULL, 0, 0 },
	{ "hijack refused", NULL, 0,
	    { { FERRY_HIJACK_REFUSED, 1, "gone", 4, 4, 0 } }, 1, NULL, 0, 0 },
	/* A type nobody defined is still a record. */
	{ "type 200", NULL, 0, { { 200, 5, "x", 1, 7, 0 } }, 1, NULL, 0, 0 },
	/* The reserved byte is ignored. */
	{ "reserved set", NULL, 0, { { FCGI_STDOUT, 1, "ab", 2, 6, 0xff } },
	    1, NULL, 0, 0 },
	/* Padding beyond alignment is legal: 255 bytes of it. */
	{ "empty, max padding", NULL, 0, { { FCGI_STDOUT, 1, "", 0, 255, 0 } },
	    1, NULL, 0, 0 },
	/* Unusual padding on an aligned record. */
	{ "aligned, padded", NULL, 0,
	    { { FCGI_STDOUT, 1, "12345678", 8, 8, 0 } }, 1, NULL, 0, 0 },
	/* The largest record: 65535 + 255 + 8 bytes. */
	{ "max record", NULL, 0,
	    { { FCGI_STDOUT, 65535, NULL, 65535, 255, 0 } }, 1, NULL, 0, 0 },
	/* A record followed by part of a header. */
	{ "then partial header", NULL, 0,
	    { { FCGI_STDOUT, 1, "abc", 3, 5, 0 } }, 1, S("\1\6\0\1\0"), 0 },
	/* A record followed by a header whose content is missing. */
	{ "then partial content", NULL, 0,
	    { { FCGI_STDOUT, 1, "abc", 3, 5, 0 } }, 1,
	    S("\1\6\0\1\0\5\3\0hel"), 0 },
	/* Content complete, padding still missing: need more. */
	{ "then missing padding", NULL, 0,
	    { { FCGI_STDOUT, 1, "abc", 3, 5, 0 } }, 1,
	    S("\1\6\0\1\0\5\3\0hello\0\0"), 0 },
	/* A good record, then garbage. */
	{ "then bad version", NULL, 0,
	    { { FCGI_STDOUT, 1, "abc", 3, 5, 0 } }, 1,
	    S("\2\6\0\1\0\0\0\0"), -1 },
	/* Bad version right away. */
	{ "bad version first", NULL, 0, { { 0 } }, 0, S("HTTP/1.1"), -1 },
};

/* Writes the record r into out and returns its size. */
static size_t
rec_build(uint8_t *out, const struct rspec *r)
{
	size_t	i;

	out[0] = 1;
	out[1] = r->type;
	out[2] = (uint8_t)(r->id >> 8);
	out[3] = (uint8_t)(r->id & 0xff);
	out[4] = (uint8_t)(r->clen >> 8);
	out[5] = (uint8_t)(r->clen & 0xff);
	out[6] = r->plen;
	out[7] = r->reserved;
	for (i = 0; i < r->clen; i++)
		out[8 + i] = r->content != NULL ? (uint8_t)r->content[i] :
		    (uint8_t)(i % 251);
	/* Padding bytes may hold anything. */
	memset(out + 8 + r->clen, 0xa5, r->plen);
	return 8 + r->clen + r->plen;
}

static size_t
rec_size(const struct rspec *r)
{
	return 8 + r->clen + r->plen;
}

/* The whole input of case c, malloc'ed. */
static uint8_t *
record_case_input(const struct record_case *c, size_t *lenp)
{
	uint8_t	*buf;
	size_t	 i, len = 0;

	for (i = 0; i < c->nrec; i++)
		len += rec_size(&c->recs[i]);
	if (c->raw != NULL)
		ck_assert_uint_eq(c->rawlen, len);
	buf = malloc(len + c->tail_len + 1);
	ck_assert(buf != NULL);
	if (c->raw != NULL)
		memcpy(buf, c->raw, len);
	else
		for (len = 0, i = 0; i < c->nrec; i++)
			len += rec_build(buf + len, &c->recs[i]);
	if (c->tail_len > 0)
		memcpy(buf + len, c->tail, c->tail_len);
	*lenp = len + c->tail_len;
	return buf;
}

/*
 * Checks record k of case c, found at at.  The content is compared byte
 * by byte only when bytes is set (the whole-input run): otherwise its place
 * (at + 8) suffices, as the input is a copy of the same bytes.
 */
static void
rec_check(const struct record_case *c, size_t k, const uint8_t *at,
    const struct fcgi_record *rec, ssize_t r, int bytes)
{
	const struct rspec	*e = &c->recs[k];
	size_t			 i;

	ck_assert_msg(r == (ssize_t)rec_size(e), "%s: record %zu spans %zd",
	    c->comment, k, r);
	EXPECT(rec->h.version == 1);
	EXPECT(rec->h.type == e->type);
	EXPECT(rec->h.request_id == e->id);
	EXPECT(rec->h.content_length == e->clen);
	EXPECT(rec->h.padding_length == e->plen);
	EXPECT(rec->content == at + FCGI_HEADER_LEN);
	for (i = 0; bytes && i < e->clen; i++)
		EXPECT(rec->content[i] == (e->content != NULL ?
		    (uint8_t)e->content[i] : (uint8_t)(i % 251)));
}

/*
 * Parses buf[0..len) record after record, where buf holds the case's
 * input from record *k on.  Checks each record found and the final result,
 * advances *k and returns the bytes consumed.  bytes: see rec_check().
 */
static size_t
parse_some(const struct record_case *c, const uint8_t *buf, size_t len,
    size_t *k, int bytes)
{
	struct fcgi_record	rec;
	size_t			off = 0;
	ssize_t			r, want;

	for (;;) {
		r = fcgi_record_parse(buf + off, len - off, &rec);
		if (r <= 0)
			break;
		ck_assert_msg(*k < c->nrec, "%s: extra record", c->comment);
		rec_check(c, *k, buf + off, &rec, r, bytes);
		EXPECT((size_t)r <= len - off);
		off += (size_t)r;
		(*k)++;
	}
	/* Stopped: at the bad tail once its first byte is in, else need more. */
	want = (*k == c->nrec && off < len) ? c->tail_result : 0;
	ck_assert_msg(r == want, "%s: after %zu records at %zu/%zu: %zd",
	    c->comment, *k, off, len, r);
	/* Records complete within len were all found. */
	if (*k < c->nrec)
		EXPECT(len - off < rec_size(&c->recs[*k]));
	return off;
}

START_TEST(test_record_whole)
{
	const struct record_case	*c = &record_cases[_i];
	struct guard			 g = { NULL, 0 };
	uint8_t				*all;
	const uint8_t			*in;
	size_t				 len, k = 0, off;

	all = record_case_input(c, &len);
	in = (const uint8_t *)guard_copy(&g, all, len);
	off = parse_some(c, in, len, &k, 1);
	ck_assert_uint_eq(k, c->nrec);
	ck_assert_uint_eq(off, len - c->tail_len);
	free(all);
	guard_free(&g);
}
END_TEST

/* Growing prefixes: a record appears exactly when its last padding byte
   does, and nothing before. */
START_TEST(test_record_bytewise)
{
	const struct record_case	*c = &record_cases[_i];
	struct at_guard			 a;
	uint8_t				*all;
	const uint8_t			*in;
	size_t				 len, p, k, off, ends, i;

	all = record_case_input(c, &len);
	at_guard_init(&a, all, len);
	for (p = 0; p <= len; p++) {
		in = at_guard_place(&a, all, p);
		k = 0;
		off = parse_some(c, in, p, &k, 0);
		for (ends = 0, i = 0; i < c->nrec; i++) {
			if (ends + rec_size(&c->recs[i]) > p)
				break;
			ends += rec_size(&c->recs[i]);
		}
		EXPECT(k == i);
		EXPECT(off == ends);
	}
	free(all);
	guard_free(&a.g);
}
END_TEST

/*
 * Every two-way split: the first part is parsed, then what it left
 * unconsumed is joined with the second part into a new buffer (as a
 * connection's input buffer would) and parsing goes on.  That buffer is
 * a suffix of the whole input, which b holds at its guard page already.
 */
START_TEST(test_record_split)
{
	const struct record_case	*c = &record_cases[_i];
	struct at_guard			 a, b;
	uint8_t				*all;
	const uint8_t			*in;
	size_t				 len, s, k, off;

	all = record_case_input(c, &len);
	at_guard_init(&a, all, len);
	at_guard_init(&b, all, len);
	for (s = 0; s <= len; s++) {
		k = 0;
		in = at_guard_place(&a, all, s);
		off = parse_some(c, in, s, &k, 0);
		in = b.end - (len - off);
		off += parse_some(c, in, len - off, &k, 0);
		EXPECT(k == c->nrec);
		EXPECT(off == len - c->tail_len);
	}
	free(all);
	guard_free(&a.g);
	guard_free(&b.g);
}
END_TEST

/*
 * Name-value pairs
 */

static const struct nv_case {
	const char	*comment;
	size_t		 nlen;
	size_t		 vlen;
	uint8_t		 head[8];	/* expected length fields */
	size_t		 headlen;
} nv_cases[] = {
	{ "both empty", 0, 0, { 0, 0 }, 2 },
	{ "one, empty value", 1, 0, { 1, 0 }, 2 },
	{ "short", 4, 3, { 4, 3 }, 2 },
	/* 127 is the largest 1-byte length. */
	{ "127/127", 127, 127, { 127, 127 }, 2 },
	/* 128 is the smallest 4-byte length. */
	{ "128 value", 5, 128, { 5, 0x80, 0, 0, 128 }, 5 },
	{ "128 name", 128, 5, { 0x80, 0, 0, 128, 5 }, 5 },
	{ "255/0", 255, 0, { 0x80, 0, 0, 255, 0 }, 5 },
	{ "both long", 200, 300, { 0x80, 0, 0, 200, 0x80, 0, 1, 0x2c }, 8 },
	{ "65536 value", 14, 65536, { 14, 0x80, 1, 0, 0 }, 5 },
};

/* Fills a name or value of length n with a pattern keyed by seed. */
static char *
nv_fill(size_t n, unsigned seed)
{
	char	*p;
	size_t	 i;

	p = malloc(n + 1);
	ck_assert(p != NULL);
	for (i = 0; i < n; i++)
		p[i] = (char)('a' + (i * seed + seed) % 26);
	return p;
}

START_TEST(test_nv_encode)
{
	const struct nv_case	*c = &nv_cases[_i];
	struct at_guard		 a;
	char			*name, *value;
	uint8_t			*out;
	size_t			 size, cap;

	name = nv_fill(c->nlen, 3);
	value = nv_fill(c->vlen, 5);
	size = fcgi_nv_size(c->nlen, c->vlen);
	EXPECT(size == c->headlen + c->nlen + c->vlen);

	out = malloc(size);
	EXPECT(out != NULL);
	EXPECT(fcgi_nv_encode(out, size, name, c->nlen, value,
	    c->vlen) == size);
	ck_assert_msg(memcmp(out, c->head, c->headlen) == 0, "%s", c->comment);
	EXPECT(memcmp(out + c->headlen, name, c->nlen) == 0);
	EXPECT(memcmp(out + c->headlen + c->nlen, value, c->vlen) == 0);

	/* Any smaller capacity is refused, and nothing is written past it
	   (the output ends at the guard page). */
	at_guard_init(&a, out, size);
	for (cap = 0; cap < size; cap++) {
		EXPECT(fcgi_nv_encode(a.end - cap, cap, name,
		    c->nlen, value, c->vlen) == 0);
	}
	free(out);
	free(name);
	free(value);
	guard_free(&a.g);
}
END_TEST

/* Decodes the encoded pair whole and at every shorter prefix (need more). */
START_TEST(test_nv_decode)
{
	const struct nv_case	*c = &nv_cases[_i];
	struct at_guard		 a;
	char			*name, *value;
	const char		*n, *v;
	uint8_t			*out;
	const uint8_t		*in;
	size_t			 size, p, nl, vl;

	name = nv_fill(c->nlen, 3);
	value = nv_fill(c->vlen, 5);
	size = fcgi_nv_size(c->nlen, c->vlen);
	out = malloc(size);
	EXPECT(out != NULL);
	EXPECT(fcgi_nv_encode(out, size, name, c->nlen, value,
	    c->vlen) == size);

	at_guard_init(&a, out, size);
	in = a.end - size;
	EXPECT(fcgi_nv_decode(in, size, &n, &nl, &v, &vl) ==
	    (ssize_t)size);
	EXPECT(nl == c->nlen);
	EXPECT(vl == c->vlen);
	EXPECT(n == (const char *)in + c->headlen);
	EXPECT(v == n + nl);
	EXPECT(memcmp(n, name, nl) == 0);
	EXPECT(memcmp(v, value, vl) == 0);

	for (p = 0; p < size; p++) {
		in = at_guard_place(&a, out, p);
		ck_assert_msg(fcgi_nv_decode(in, p, &n, &nl, &v, &vl) == 0,
		    "%s: prefix %zu", c->comment, p);
	}
	free(out);
	free(name);
	free(value);
	guard_free(&a.g);
}
END_TEST

/*
 * Pairs as they arrive from the wire, including forms ferry never writes.
 * Nothing but truncation is wrong with a pair: every 31-bit length is
 * valid and a 4-byte form of a short length is accepted.
 */
static const struct nv_raw_case {
	const char	*comment;
	const uint8_t	*in;
	size_t		 len;
	ssize_t		 result;
	const char	*name;
	size_t		 nlen;
	const char	*value;
	size_t		 vlen;
} nv_raw_cases[] = {
	{ "empty input", S(""), 0, NULL, 0, NULL, 0 },
	{ "one length byte", S("\3"), 0, NULL, 0, NULL, 0 },
	{ "simple", S("\3\1abcX"), 6, "abc", 3, "X", 1 },
	/* The next pair's bytes are left alone. */
	{ "followed", S("\1\1ab\2\2cdef"), 4, "a", 1, "b", 1 },
	{ "non-minimal name", S("\x80\0\0\3\1abcX"), 9, "abc", 3, "X", 1 },
	{ "non-minimal both", S("\x80\0\0\0\x80\0\0\0"), 8, "", 0, "", 0 },
	/* The high bit is the form, not part of the length. */
	{ "4-byte 1", S("\x80\0\0\1\0z"), 6, "z", 1, "", 0 },
	/* The 4-byte name length is cut short. */
	{ "short 4-byte name", S("\x80\0\0"), 0, NULL, 0, NULL, 0 },
	{ "short 4-byte value", S("\1\x80\0\0"), 0, NULL, 0, NULL, 0 },
	/* Lengths far beyond the input: need more, never a wild read. */
	{ "max name", S("\xff\xff\xff\xff\0abc"), 0, NULL, 0, NULL, 0 },
	{ "max value", S("\0\xff\xff\xff\xff"), 0, NULL, 0, NULL, 0 },
	{ "max both", S("\xff\xff\xff\xff\xff\xff\xff\xff"), 0, NULL, 0,
	    NULL, 0 },
	/* Name fits, value one short. */
	{ "value short", S("\2\3abcd"), 0, NULL, 0, NULL, 0 },
	/* Embedded NULs are bytes like any other. */
	{ "nul bytes", S("\1\1\0\0"), 4, "\0", 1, "\0", 1 },
};

START_TEST(test_nv_raw)
{
	const struct nv_raw_case	*c = &nv_raw_cases[_i];
	struct guard			 g = { NULL, 0 };
	const uint8_t			*in;
	const char			*n = NULL, *v = NULL;
	size_t				 nl = 99, vl = 99, p;
	ssize_t				 r;

	in = (const uint8_t *)guard_copy(&g, c->in, c->len);
	r = fcgi_nv_decode(in, c->len, &n, &nl, &v, &vl);
	ck_assert_msg(r == c->result, "%s: %zd", c->comment, r);
	if (r > 0) {
		ck_assert_uint_eq(nl, c->nlen);
		ck_assert_uint_eq(vl, c->vlen);
		ck_assert(memcmp(n, c->name, nl) == 0);
		ck_assert(memcmp(v, c->value, vl) == 0);
		ck_assert(n >= (const char *)in && v + vl <=
		    (const char *)in + c->len);
	} else {
		/* Outputs untouched when no pair is returned. */
		ck_assert(n == NULL && v == NULL && nl == 99 && vl == 99);
	}
	/* Every shorter prefix of a pair needs more; longer ones decode the
	   same pair. */
	for (p = 0; p < c->len; p++) {
		in = (const uint8_t *)guard_copy(&g, c->in, p);
		r = fcgi_nv_decode(in, p, &n, &nl, &v, &vl);
		ck_assert_int_eq(r, (c->result > 0 && (size_t)c->result <= p) ?
		    c->result : 0);
	}
	guard_free(&g);
}
END_TEST

/* Several pairs back to back, mixing 1- and 4-byte forms, decoded in a
   loop over a PARAMS body, whole and cut at every byte. */
START_TEST(test_nv_sequence)
{
	static const struct {
		size_t	nlen, vlen;
	} pairs[] = { { 11, 3 }, { 0, 0 }, { 130, 2 }, { 4, 1000 },
	    { 127, 128 }, { 1, 0 } };
	struct guard	 g = { NULL, 0 };
	uint8_t		 buf[4096];
	char		*names[NELEM(pairs)], *values[NELEM(pairs)];
	size_t		 ends[NELEM(pairs)];
	const uint8_t	*in;
	const char	*n, *v;
	size_t		 len = 0, i, p, off, nl, vl;
	ssize_t		 r;

	for (i = 0; i < NELEM(pairs); i++) {
		names[i] = nv_fill(pairs[i].nlen, (unsigned)i + 1);
		values[i] = nv_fill(pairs[i].vlen, (unsigned)i + 7);
		len += fcgi_nv_encode(buf + len, sizeof(buf) - len, names[i],
		    pairs[i].nlen, values[i], pairs[i].vlen);
		ends[i] = len;
	}
	for (p = 0; p <= len; p++) {
		in = (const uint8_t *)guard_copy(&g, buf, p);
		for (off = 0, i = 0; ; i++) {
			r = fcgi_nv_decode(in + off, p - off, &n, &nl, &v, &vl);
			if (r <= 0)
				break;
			EXPECT(nl == pairs[i].nlen);
			EXPECT(vl == pairs[i].vlen);
			EXPECT(memcmp(n, names[i], nl) == 0);
			EXPECT(memcmp(v, values[i], vl) == 0);
			off += (size_t)r;
			EXPECT(off == ends[i]);
		}
		EXPECT(r == 0);
		/* Stopped at the last pair that fits in the prefix. */
		EXPECT(i == NELEM(pairs) || ends[i] > p);
	}
	EXPECT(off == len);
	for (i = 0; i < NELEM(pairs); i++) {
		free(names[i]);
		free(values[i]);
	}
	guard_free(&g);
}
END_TEST

/* Lengths a pair cannot carry: fcgi_nv_size() and fcgi_nv_encode() say 0
   and write nothing, whatever the capacity. */
static const struct nv_limit_case {
	const char	*comment;
	size_t		 nlen;
	size_t		 vlen;
	size_t		 size;
} nv_limit_cases[] = {
	{ "max name", 0x7fffffff, 0, 0x7fffffffU + (size_t)5 },
	{ "max value", 1, 0x7fffffff, 0x7fffffffU + (size_t)6 },
	{ "name too long", 0x80000000U, 0, 0 },
	{ "value too long", 0, 0x80000000U, 0 },
	{ "both too long", SIZE_MAX, SIZE_MAX, 0 },
};

START_TEST(test_nv_limits)
{
	const struct nv_limit_case	*c = &nv_limit_cases[_i];
	uint8_t				 out[16];
	static const char		 small[16];

	ck_assert_msg(fcgi_nv_size(c->nlen, c->vlen) == c->size, "%s",
	    c->comment);
	/* The name and value are never read: the sizes alone decide. */
	memset(out, 0xee, sizeof(out));
	ck_assert_uint_eq(fcgi_nv_encode(out, sizeof(out), small, c->nlen,
	    small, c->vlen), 0);
	ck_assert_uint_eq(fcgi_nv_encode(out, SIZE_MAX, small, 0, small,
	    c->vlen > 0x7fffffff ? c->vlen : 0x80000000U), 0);
	ck_assert_uint_eq(out[0], 0xee);
}
END_TEST

/*
 * Fixed-size bodies
 */

START_TEST(test_bodies_encode)
{
	uint8_t	out[8];

	memset(out, 0xee, sizeof(out));
	fcgi_begin_request_encode(out, FCGI_RESPONDER, FCGI_KEEP_CONN);
	ck_assert(memcmp(out, "\0\1\1\0\0\0\0\0", 8) == 0);
	fcgi_begin_request_encode(out, 0xfffe, 0xff);
	ck_assert(memcmp(out, "\xff\xfe\xff\0\0\0\0\0", 8) == 0);

	memset(out, 0xee, sizeof(out));
	fcgi_end_request_encode(out, 0, FCGI_REQUEST_COMPLETE);
	ck_assert(memcmp(out, "\0\0\0\0\0\0\0\0", 8) == 0);
	fcgi_end_request_encode(out, 0x01020304, FCGI_UNKNOWN_ROLE);
	ck_assert(memcmp(out, "\1\2\3\4\3\0\0\0", 8) == 0);
	fcgi_end_request_encode(out, 0xffffffff, FCGI_CANT_MPX_CONN);
	ck_assert(memcmp(out, "\xff\xff\xff\xff\1\0\0\0", 8) == 0);

	memset(out, 0xee, sizeof(out));
	fcgi_unknown_type_encode(out, FERRY_CLOSE_NOTIFY);
	ck_assert(memcmp(out, "\100\0\0\0\0\0\0\0", 8) == 0);
}
END_TEST

enum body_kind { BEGIN, END, UNKNOWN, CLOSE, WINDOW };

static const struct body_case {
	const char	*comment;
	enum body_kind	 kind;
	const uint8_t	*in;
	size_t		 len;
	int		 result;
	uint32_t	 a;	/* role, app status, type or reason */
	uint8_t		 b;	/* flags or protocol status */
} body_cases[] = {
	{ "begin responder", BEGIN, S("\0\1\1\0\0\0\0\0"), 0, 1, 1 },
	/* Reserved bytes are ignored. */
	{ "begin reserved set", BEGIN, S("\0\3\0\xff\xff\xff\xff\xff"), 0,
	    3, 0 },
	{ "begin empty", BEGIN, S(""), -1, 0, 0 },
	{ "begin short", BEGIN, S("\0\1\1\0\0\0\0"), -1, 0, 0 },
	{ "begin long", BEGIN, S("\0\1\1\0\0\0\0\0\0"), -1, 0, 0 },
	{ "begin double", BEGIN, S("\0\1\1\0\0\0\0\0\0\1\1\0\0\0\0\0"), -1,
	    0, 0 },
	{ "end complete", END, S("\0\0\0\0\0\0\0\0"), 0, 0, 0 },
	{ "end status", END, S("\x80\0\0\1\2\xff\xff\xff"), 0, 0x80000001,
	    2 },
	{ "end short", END, S("\0\0\0\0\0"), -1, 0, 0 },
	{ "end long", END, S("\0\0\0\0\0\0\0\0\0"), -1, 0, 0 },
	{ "unknown type", UNKNOWN, S("\101\0\0\0\0\0\0\0"), 0, 65, 0 },
	{ "unknown reserved set", UNKNOWN, S("\14\1\2\3\4\5\6\7"), 0, 12, 0 },
	{ "unknown short", UNKNOWN, S("\101"), -1, 0, 0 },
	{ "unknown long", UNKNOWN, S("\101\0\0\0\0\0\0\0\0"), -1, 0, 0 },
	{ "close gone", CLOSE, S("\1"), 0, FERRY_REASON_GONE, 0 },
	{ "close pipelined", CLOSE, S("\2"), 0, FERRY_REASON_PIPELINED, 0 },
	/* A reason from the future is passed on. */
	{ "close future", CLOSE, S("\x7f"), 0, 127, 0 },
	{ "close empty", CLOSE, S(""), -1, 0, 0 },
	/* The padding is not content. */
	{ "close padded", CLOSE, S("\1\0\0\0\0\0\0\0"), -1, 0, 0 },
	{ "window one", WINDOW, S("\0\0\0\1"), 0, 1, 0 },
	{ "window big-endian", WINDOW, S("\1\2\3\4"), 0, 0x01020304, 0 },
	{ "window all bits", WINDOW, S("\xff\xff\xff\xff"), 0, 0xffffffff,
	    0 },
	/* Acknowledging nothing is a worker's bug, never sent. */
	{ "window zero", WINDOW, S("\0\0\0\0"), -1, 0, 0 },
	{ "window short", WINDOW, S("\0\0\1"), -1, 0, 0 },
	{ "window empty", WINDOW, S(""), -1, 0, 0 },
	/* The padding is not content. */
	{ "window padded", WINDOW, S("\0\0\0\1\0\0\0\0"), -1, 0, 0 },
};

START_TEST(test_bodies_decode)
{
	const struct body_case	*c = &body_cases[_i];
	struct guard		 g = { NULL, 0 };
	const uint8_t		*in;
	uint32_t		 a = 0xeeeeeeee;
	uint16_t		 a16 = 0xeeee;
	uint8_t			 a8 = 0xee, b = 0xee;
	int			 r = 0;

	in = (const uint8_t *)guard_copy(&g, c->in, c->len);
	switch (c->kind) {
	case BEGIN:
		r = fcgi_begin_request_decode(in, c->len, &a16, &b);
		a = a16;
		break;
	case END:
		r = fcgi_end_request_decode(in, c->len, &a, &b);
		break;
	case UNKNOWN:
		r = fcgi_unknown_type_decode(in, c->len, &a8);
		a = a8;
		break;
	case CLOSE:
		r = fcgi_close_notify_decode(in, c->len, &a8);
		a = a8;
		break;
	case WINDOW:
		r = fcgi_window_decode(in, c->len, &a);
		break;
	}
	ck_assert_msg(r == c->result, "%s: %d", c->comment, r);
	if (r == 0) {
		ck_assert_uint_eq(a, c->a);
		if (c->kind == BEGIN || c->kind == END)
			ck_assert_uint_eq(b, c->b);
	}
	guard_free(&g);
}
END_TEST

static const struct close_case {
	const char	*comment;
	uint16_t	 id;
	uint8_t		 reason;
	uint8_t		 bytes[FERRY_CLOSE_NOTIFY_LEN];
} close_cases[] = {
	{ "gone", 1, FERRY_REASON_GONE,
	    { 1, 64, 0, 1, 0, 1, 7, 0, 1, 0, 0, 0, 0, 0, 0, 0 } },
	{ "pipelined, big id", 0xfedc, FERRY_REASON_PIPELINED,
	    { 1, 64, 0xfe, 0xdc, 0, 1, 7, 0, 2, 0, 0, 0, 0, 0, 0, 0 } },
};

/* The whole record is written and parses back as itself. */
START_TEST(test_close_notify)
{
	const struct close_case	*c = &close_cases[_i];
	struct guard		 g = { NULL, 0 };
	struct fcgi_record	 rec;
	uint8_t			 out[FERRY_CLOSE_NOTIFY_LEN], reason;
	const uint8_t		*in;

	memset(out, 0xee, sizeof(out));
	fcgi_close_notify_encode(out, c->id, c->reason);
	ck_assert_msg(memcmp(out, c->bytes, sizeof(out)) == 0, "%s",
	    c->comment);
	in = (const uint8_t *)guard_copy(&g, out, sizeof(out));
	ck_assert_int_eq(fcgi_record_parse(in, sizeof(out), &rec),
	    FERRY_CLOSE_NOTIFY_LEN);
	ck_assert_uint_eq(rec.h.type, FERRY_CLOSE_NOTIFY);
	ck_assert_uint_eq(rec.h.request_id, c->id);
	ck_assert_int_eq(fcgi_close_notify_decode(rec.content,
	    rec.h.content_length, &reason), 0);
	ck_assert_uint_eq(reason, c->reason);
	guard_free(&g);
}
END_TEST

static const struct retire_case {
	const char	*comment;
	uint8_t		 reason;
	uint32_t	 grace_ms;
	uint8_t		 bytes[FERRY_RETIRE_LEN];
} retire_cases[] = {
	{ "recycled, no limit", FERRY_RETIRE_RECYCLE, FERRY_RETIRE_NO_LIMIT,
	    { 1, 69, 0, 0, 0, 5, 3, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0 } },
	{ "stopping, 30 s", FERRY_RETIRE_STOP, 30000,
	    { 1, 69, 0, 0, 0, 5, 3, 0, 3, 0, 0, 0x75, 0x30, 0, 0, 0 } },
	{ "idle, 0 ms", FERRY_RETIRE_IDLE, 0,
	    { 1, 69, 0, 0, 0, 5, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0 } },
};

/* The whole RETIRE record is written and parses back as itself; a
   content of another length is refused. */
START_TEST(test_retire)
{
	const struct retire_case *c = &retire_cases[_i];
	struct guard		 g = { NULL, 0 };
	struct fcgi_record	 rec;
	uint8_t			 out[FERRY_RETIRE_LEN], reason = 0xee;
	uint32_t		 grace = 0xeeeeeeee;
	const uint8_t		*in;

	memset(out, 0xee, sizeof(out));
	fcgi_retire_encode(out, c->reason, c->grace_ms);
	ck_assert_msg(memcmp(out, c->bytes, sizeof(out)) == 0, "%s",
	    c->comment);
	in = (const uint8_t *)guard_copy(&g, out, sizeof(out));
	ck_assert_int_eq(fcgi_record_parse(in, sizeof(out), &rec),
	    FERRY_RETIRE_LEN);
	ck_assert_uint_eq(rec.h.type, FERRY_RETIRE);
	ck_assert_uint_eq(rec.h.request_id, FCGI_NULL_REQUEST_ID);
	ck_assert_int_eq(fcgi_retire_decode(rec.content,
	    rec.h.content_length, &reason, &grace), 0);
	ck_assert_uint_eq(reason, c->reason);
	ck_assert_uint_eq(grace, c->grace_ms);
	ck_assert_int_eq(fcgi_retire_decode(rec.content, 4, &reason,
	    &grace), -1);
	ck_assert_int_eq(fcgi_retire_decode(rec.content, 6, &reason,
	    &grace), -1);
	guard_free(&g);
}
END_TEST

static const struct window_case {
	const char	*comment;
	uint16_t	 id;
	uint32_t	 count;
	uint8_t		 bytes[FERRY_WINDOW_LEN];
} window_cases[] = {
	{ "a quarter of 256 KiB", 1, 65536,
	    { 1, 68, 0, 1, 0, 4, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0 } },
	{ "big id, every byte differs", 0xfedc, 0x01020304,
	    { 1, 68, 0xfe, 0xdc, 0, 4, 4, 0, 1, 2, 3, 4, 0, 0, 0, 0 } },
};

/* The whole WINDOW record is written and parses back as itself. */
START_TEST(test_window)
{
	const struct window_case *c = &window_cases[_i];
	struct guard		 g = { NULL, 0 };
	struct fcgi_record	 rec;
	uint8_t			 out[FERRY_WINDOW_LEN];
	const uint8_t		*in;
	uint32_t		 count = 0;

	memset(out, 0xee, sizeof(out));
	fcgi_window_encode(out, c->id, c->count);
	ck_assert_msg(memcmp(out, c->bytes, sizeof(out)) == 0, "%s",
	    c->comment);
	in = (const uint8_t *)guard_copy(&g, out, sizeof(out));
	ck_assert_int_eq(fcgi_record_parse(in, sizeof(out), &rec),
	    FERRY_WINDOW_LEN);
	ck_assert_uint_eq(rec.h.type, FERRY_WINDOW);
	ck_assert_uint_eq(rec.h.request_id, c->id);
	ck_assert_int_eq(fcgi_window_decode(rec.content, rec.h.content_length,
	    &count), 0);
	ck_assert_uint_eq(count, c->count);
	guard_free(&g);
}
END_TEST

static const struct window_parse_case {
	const char	*comment;
	const char	*in;
	uint32_t	 want;	/* 0: not a window */
} window_parse_cases[] = {
	{ "libferry's", "262144", 262144 },
	{ "one byte", "1", 1 },
	{ "leading zeros are digits", "0008", 8 },
	{ "the largest", "67108864", 64U * 1024 * 1024 },
	{ "one past the largest", "67108865", 0 },
	{ "would wrap 32 bits", "4294967297", 0 },
	{ "zero", "0", 0 },
	{ "empty", "", 0 },
	{ "sign", "+8", 0 },
	{ "minus", "-8", 0 },
	{ "space", " 8", 0 },
	{ "trailing space", "8 ", 0 },
	{ "hex", "0x10", 0 },
};

/* FERRY_STDIN_WINDOW values, checked byte by byte against a guard page. */
START_TEST(test_window_parse)
{
	const struct window_parse_case *c = &window_parse_cases[_i];
	struct guard		 g = { NULL, 0 };
	const char		*in;

	in = guard_copy(&g, c->in, strlen(c->in));
	ck_assert_msg(fcgi_window_parse(in, strlen(c->in)) == c->want,
	    "%s: %u", c->comment, fcgi_window_parse(in, strlen(c->in)));
	guard_free(&g);
}
END_TEST

/*
 * GET_VALUES_RESULT lookups
 */

/* What a libferry worker answers: libfcgi's values plus ours. */
static const uint8_t gvr_body[] =
    "\16\1" "FCGI_MAX_CONNS" "1"
    "\17\1" "FCGI_MPXS_CONNS" "0"
    "\20\23" "FERRY_EXTENSIONS" "close-notify,hijack";
/* What the master asks: names with empty values. */
static const uint8_t gv_body[] =
    "\16\0" "FCGI_MAX_CONNS"
    "\20\0" "FERRY_EXTENSIONS";
/* A name twice: the first wins. */
static const uint8_t dup_body[] = "\1\1a1" "\1\1a2";
/* A good pair, then one cut short. */
static const uint8_t cut_body[] = "\1\1a1" "\1\5b12";
/* A pair, then a 4-byte length claiming more than there is. */
static const uint8_t huge_body[] = "\1\1a1" "\x80\0\1\0\0b";

static const struct find_case {
	const char	*comment;
	const uint8_t	*body;
	size_t		 len;
	const char	*name;
	int		 result;
	const char	*value;
} find_cases[] = {
	{ "max conns", gvr_body, sizeof(gvr_body) - 1, FCGI_MAX_CONNS, 1,
	    "1" },
	{ "mpxs conns", gvr_body, sizeof(gvr_body) - 1, FCGI_MPXS_CONNS, 1,
	    "0" },
	{ "extensions", gvr_body, sizeof(gvr_body) - 1, FERRY_EXTENSIONS, 1,
	    "close-notify,hijack" },
	/* libfcgi answers only what it knows. */
	{ "absent", gvr_body, sizeof(gvr_body) - 1, FCGI_MAX_REQS, 0, NULL },
	/* Names compare whole and case-sensitively. */
	{ "prefix", gvr_body, sizeof(gvr_body) - 1, "FCGI_MAX", 0, NULL },
	{ "longer", gvr_body, sizeof(gvr_body) - 1, "FCGI_MAX_CONNSX", 0,
	    NULL },
	{ "case", gvr_body, sizeof(gvr_body) - 1, "fcgi_max_conns", 0, NULL },
	{ "query", gv_body, sizeof(gv_body) - 1, FERRY_EXTENSIONS, 1, "" },
	{ "empty body", gv_body, 0, FCGI_MAX_CONNS, 0, NULL },
	{ "duplicate", dup_body, sizeof(dup_body) - 1, "a", 1, "1" },
	/* A malformed body is malformed wherever the name is. */
	{ "cut, found before", cut_body, sizeof(cut_body) - 1, "a", -1, NULL },
	{ "cut, absent", cut_body, sizeof(cut_body) - 1, "z", -1, NULL },
	{ "huge length", huge_body, sizeof(huge_body) - 1, "a", -1, NULL },
};

START_TEST(test_get_values_find)
{
	const struct find_case	*c = &find_cases[_i];
	struct guard		 g = { NULL, 0 };
	const uint8_t		*in;
	const char		*v = NULL;
	size_t			 vl = 99;
	int			 r;

	in = (const uint8_t *)guard_copy(&g, c->body, c->len);
	r = fcgi_get_values_find(in, c->len, c->name, &v, &vl);
	ck_assert_msg(r == c->result, "%s: %d", c->comment, r);
	if (r == 1) {
		ck_assert_uint_eq(vl, strlen(c->value));
		ck_assert(memcmp(v, c->value, vl) == 0);
		ck_assert(v >= (const char *)in &&
		    v + vl <= (const char *)in + c->len);
	} else
		ck_assert(v == NULL && vl == 99);
	guard_free(&g);
}
END_TEST

/* A body cut anywhere inside a pair is malformed; cut between pairs it is
   a shorter, well-formed body. */
START_TEST(test_get_values_truncated)
{
	static const size_t	 bounds[] = { 0, 17, 35, 72 };
	struct guard		 g = { NULL, 0 };
	const uint8_t		*in;
	const char		*v;
	size_t			 p, vl, i;
	int			 r, at_bound;

	ck_assert_uint_eq(sizeof(gvr_body) - 1, 72);
	for (p = 0; p <= sizeof(gvr_body) - 1; p++) {
		in = (const uint8_t *)guard_copy(&g, gvr_body, p);
		r = fcgi_get_values_find(in, p, FERRY_EXTENSIONS, &v, &vl);
		for (at_bound = 0, i = 0; i < NELEM(bounds); i++)
			if (bounds[i] == p)
				at_bound = 1;
		ck_assert_int_eq(r, !at_bound ? -1 : p == 72 ? 1 : 0);
	}
	guard_free(&g);
}
END_TEST

/*
 * Comma-separated lists
 */

static const struct list_case {
	const char	*comment;
	const char	*list;
	const char	*word;
	int		 result;
} list_cases[] = {
	{ "first", "close-notify,hijack", "close-notify", 1 },
	{ "last", "close-notify,hijack", "hijack", 1 },
	{ "space after comma", "close-notify, hijack", "hijack", 1 },
	{ "spaces around", "  close-notify  ,\thijack\t", "close-notify", 1 },
	{ "only", "hijack", "hijack", 1 },
	{ "empty elements", ",,hijack,,", "hijack", 1 },
	{ "absent", "close-notify", "hijack", 0 },
	{ "empty list", "", "hijack", 0 },
	{ "blank list", " , ", "hijack", 0 },
	/* Whole words only. */
	{ "prefix", "hijacked", "hijack", 0 },
	{ "suffix", "re-hijack", "hijack", 0 },
	{ "longer word", "hijack", "hijacked", 0 },
	/* An inner space is part of the element. */
	{ "inner space", "hi jack", "hijack", 0 },
	{ "case", "HIJACK", "hijack", 0 },
	/* The empty word is never in the list, even with empty elements. */
	{ "empty word", "a,,b", "", 0 },
};

START_TEST(test_list_has)
{
	const struct list_case	*c = &list_cases[_i];
	struct guard		 g = { NULL, 0 };
	const char		*in;
	size_t			 len = strlen(c->list);

	in = guard_copy(&g, c->list, len);
	ck_assert_msg(fcgi_list_has(in, len, c->word) == c->result, "%s",
	    c->comment);
	guard_free(&g);
}
END_TEST

/* The length bounds the list: no NUL is needed, none is looked for. */
START_TEST(test_list_has_len)
{
	ck_assert_int_eq(fcgi_list_has("hijackXYZ", 6, "hijack"), 1);
	ck_assert_int_eq(fcgi_list_has("a,hijack", 5, "hijack"), 0);
	ck_assert_int_eq(fcgi_list_has("a,hijack", 0, "a"), 0);
}
END_TEST

static void
add(Suite *s, const char *name, const TTest *t, int n)
{
	TCase	*tc = tcase_create(name);

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, t, 0, n);
	suite_add_tcase(s, tc);
}

int
main(void)
{
	Suite	*s = suite_create("fcgi");
	SRunner	*sr;
	int	 failed;

	add(s, "header", test_header_roundtrip, NELEM(header_cases));
	add(s, "bad version", test_header_bad_version,
	    NELEM(bad_version_cases));
	add(s, "libfcgi", test_libfcgi_crosscheck, 1);
	add(s, "padding", test_padding, NELEM(padding_cases));
	add(s, "record header", test_record_header,
	    NELEM(record_header_cases));
	add(s, "stream chunk", test_stream_chunk, NELEM(chunk_cases));
	add(s, "stream roundtrip", test_stream_roundtrip, 1);
	add(s, "record whole", test_record_whole, NELEM(record_cases));
	add(s, "record bytewise", test_record_bytewise, NELEM(record_cases));
	add(s, "record split", test_record_split, NELEM(record_cases));
	add(s, "nv encode", test_nv_encode, NELEM(nv_cases));
	add(s, "nv decode", test_nv_decode, NELEM(nv_cases));
	add(s, "nv raw", test_nv_raw, NELEM(nv_raw_cases));
	add(s, "nv sequence", test_nv_sequence, 1);
	add(s, "nv limits", test_nv_limits, NELEM(nv_limit_cases));
	add(s, "bodies encode", test_bodies_encode, 1);
	add(s, "bodies decode", test_bodies_decode, NELEM(body_cases));
	add(s, "close notify", test_close_notify, NELEM(close_cases));
	add(s, "window", test_window, NELEM(window_cases));
	add(s, "window parse", test_window_parse, NELEM(window_parse_cases));
	add(s, "retire", test_retire, NELEM(retire_cases));
	add(s, "get values", test_get_values_find, NELEM(find_cases));
	add(s, "get values cut", test_get_values_truncated, 1);
	add(s, "list", test_list_has, NELEM(list_cases));
	add(s, "list len", test_list_has_len, 1);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
