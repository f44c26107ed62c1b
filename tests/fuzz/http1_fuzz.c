/*
 * libFuzzer driver for protocol/http1.c.  Each input is parsed with three
 * sets of limits (small, default, and max_target above max_head), whole
 * and as prefixes, and every invariant of the API is checked: the answer is
 * need-more, a head length within the buffer or one of the documented
 * statuses; spans lie inside the head; a prefix answers need-more or the
 * same as the whole input; a complete head alone parses to the same length.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/http1.h"

#define FUZZ_FIELDS_MAX	HTTP1_DEFAULT_MAX_FIELDS
#define FUZZ_ALL_PREFIXES 128	/* try every prefix up to this length */
#define FUZZ_SAMPLES	16	/* else this many prefixes */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_assert(int);
static ssize_t	fuzz_parse(const char *, size_t, struct http1_request *,
		    struct http1_field *, const struct http1_limits *);
static int	fuzz_name_is(const struct http1_field *, const char *);
static void	fuzz_inside(struct http1_span, const char *, size_t);
static void	fuzz_check_good(const char *, ssize_t,
		    const struct http1_request *, const struct http1_limits *);
static void	fuzz_check_prefix(const char *, size_t, ssize_t,
		    const struct http1_limits *);
static void	fuzz_one(const char *, size_t, const struct http1_limits *);

static void
fuzz_assert(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* Parses buf[0..len) from an exact-size copy, so ASan sees any overread. */
static ssize_t
fuzz_parse(const char *buf, size_t len, struct http1_request *req,
    struct http1_field *fields, const struct http1_limits *lim)
{
	char	*copy;
	ssize_t	 rv;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, buf, len);
	req->fields = fields;
	rv = http1_parse_request(copy, len, req, lim);
	free(copy);
	return rv;
}

/* Returns 1 when f is named name (lowercase), ignoring ASCII case. */
static int
fuzz_name_is(const struct http1_field *f, const char *name)
{
	size_t	 i;
	int	 c;

	if (f->name.len != strlen(name))
		return 0;
	for (i = 0; i < f->name.len; i++) {
		c = (unsigned char)f->name.p[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != name[i])
			return 0;
	}
	return 1;
}

/* s must lie inside buf[0..len). */
static void
fuzz_inside(struct http1_span s, const char *buf, size_t len)
{
	if (s.p == NULL) {
		fuzz_assert(s.len == 0);
		return;
	}
	fuzz_assert(s.p >= buf && s.p <= buf + len);
	fuzz_assert(s.len <= (size_t)(buf + len - s.p));
}

/* Invariants of a complete, valid head of rv bytes at buf. */
static void
fuzz_check_good(const char *buf, ssize_t rv, const struct http1_request *req,
    const struct http1_limits *lim)
{
	const struct http1_field *f;
	size_t			 i, j, n = (size_t)rv;
	size_t			 nhost = 0, nte = 0, ncl = 0;
	unsigned char		 c;

	/* The request-target does not count toward max_head. */
	fuzz_assert(n <= lim->max_head + req->target.len);
	fuzz_assert(req->nfields <= lim->max_fields);
	fuzz_assert(req->minor == 0 || req->minor == 1);
	fuzz_assert((req->flags & ~(unsigned int)(HTTP1_F_CLOSE |
	    HTTP1_F_KEEPALIVE | HTTP1_F_UPGRADE | HTTP1_F_EXPECT_CONTINUE |
	    HTTP1_F_EXPECT_OTHER)) == 0);
	fuzz_assert(n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0);

	fuzz_inside(req->method, buf, n);
	fuzz_assert(req->method.len > 0);
	for (i = 0; i < req->method.len; i++)
		fuzz_assert(http1_is_tchar((unsigned char)req->method.p[i]));
	fuzz_inside(req->target, buf, n);
	fuzz_assert(req->target.len > 0 && req->target.len <= lim->max_target);
	for (i = 0; i < req->target.len; i++) {
		c = (unsigned char)req->target.p[i];
		fuzz_assert(c > 0x20 && c < 0x7f);
	}
	fuzz_inside(req->authority, buf, n);
	fuzz_inside(req->query, buf, n);
	if (req->form == HTTP1_TARGET_ABSOLUTE && req->path.len == 1 &&
	    !(req->path.p >= buf && req->path.p < buf + n))
		fuzz_assert(req->path.p[0] == '/');
	else
		fuzz_inside(req->path, buf, n);

	switch (req->form) {
	case HTTP1_TARGET_ORIGIN:
		fuzz_assert(req->path.len > 0 && req->path.p[0] == '/');
		break;
	case HTTP1_TARGET_ABSOLUTE:
		fuzz_assert(req->authority.len > 0);
		fuzz_assert(req->path.len > 0 && req->path.p[0] == '/');
		break;
	case HTTP1_TARGET_AUTHORITY:
		fuzz_assert(req->method.len == 7 &&
		    memcmp(req->method.p, "CONNECT", 7) == 0);
		fuzz_assert(req->authority.p == req->target.p &&
		    req->authority.len == req->target.len);
		fuzz_assert(req->path.p == NULL && req->query.p == NULL);
		break;
	case HTTP1_TARGET_ASTERISK:
		fuzz_assert(req->method.len == 7 &&
		    memcmp(req->method.p, "OPTIONS", 7) == 0);
		fuzz_assert(req->target.len == 1 && req->path.len == 1 &&
		    req->path.p[0] == '*');
		break;
	default:
		fuzz_assert(0);
	}
	if (req->query.p != NULL)
		fuzz_assert(req->query.p[-1] == '?');

	for (i = 0; i < req->nfields; i++) {
		f = &req->fields[i];
		fuzz_inside(f->name, buf, n);
		fuzz_inside(f->value, buf, n);
		fuzz_assert(f->name.len > 0);
		for (j = 0; j < f->name.len; j++)
			fuzz_assert(http1_is_tchar(
			    (unsigned char)f->name.p[j]));
		fuzz_assert(f->name.p[f->name.len] == ':');
		for (j = 0; j < f->value.len; j++) {
			c = (unsigned char)f->value.p[j];
			fuzz_assert(c == '\t' || (c >= 0x20 && c != 0x7f));
		}
		if (f->value.len > 0) {
			c = (unsigned char)f->value.p[0];
			fuzz_assert(c != ' ' && c != '\t');
			c = (unsigned char)f->value.p[f->value.len - 1];
			fuzz_assert(c != ' ' && c != '\t');
		}
		nhost += fuzz_name_is(f, "host");
		nte += fuzz_name_is(f, "transfer-encoding");
		ncl += fuzz_name_is(f, "content-length");
	}
	fuzz_assert(nhost <= 1);
	if (req->minor == 1 && req->form == HTTP1_TARGET_ORIGIN)
		fuzz_assert(nhost == 1 &&
		    http1_find_field(req, "HoSt") != NULL);
	switch (req->body) {
	case HTTP1_BODY_NONE:
		fuzz_assert(nte == 0 && ncl == 0);
		fuzz_assert(req->content_length == 0);
		break;
	case HTTP1_BODY_LENGTH:
		fuzz_assert(nte == 0 && ncl >= 1);
		break;
	case HTTP1_BODY_CHUNKED:
		fuzz_assert(nte == 1 && ncl == 0 && req->minor == 1);
		break;
	default:
		fuzz_assert(0);
	}
}

/* The prefix buf[0..k) of an input whose whole answer was full. */
static void
fuzz_check_prefix(const char *buf, size_t k, ssize_t full,
    const struct http1_limits *lim)
{
	struct http1_field	 fields[FUZZ_FIELDS_MAX];
	struct http1_request	 req;
	ssize_t			 rv;

	rv = fuzz_parse(buf, k, &req, fields, lim);
	if (full > 0)
		fuzz_assert(rv == (k < (size_t)full ? 0 : full));
	else
		fuzz_assert(rv == 0 || rv == full);
}

static void
fuzz_one(const char *buf, size_t len, const struct http1_limits *lim)
{
	struct http1_field	 fields[FUZZ_FIELDS_MAX];
	struct http1_request	 req;
	ssize_t			 rv, again;
	size_t			 k, j;

	rv = fuzz_parse(buf, len, &req, fields, lim);
	if (rv > 0) {
		fuzz_assert((size_t)rv <= len);
		/* check spans against the caller's buffer: parse in place */
		req.fields = fields;
		again = http1_parse_request(buf, len, &req, lim);
		fuzz_assert(again == rv);
		fuzz_check_good(buf, rv, &req, lim);
		/* the head alone is the same head */
		fuzz_assert(fuzz_parse(buf, (size_t)rv, &req, fields, lim) ==
		    rv);
	} else if (rv == 0) {
		/* need-more only while no limit can be proven exceeded */
		fuzz_assert(len <= lim->max_head + lim->max_target);
	} else {
		fuzz_assert(rv == -400 || rv == -414 || rv == -431 ||
		    rv == -501 || rv == -505);
	}

	if (len <= FUZZ_ALL_PREFIXES) {
		for (k = 0; k < len; k++)
			fuzz_check_prefix(buf, k, rv, lim);
	} else {
		for (j = 0; j < FUZZ_SAMPLES; j++)
			fuzz_check_prefix(buf, len * j / FUZZ_SAMPLES, rv,
			    lim);
		fuzz_check_prefix(buf, len - 1, rv, lim);
		if (rv > 0)
			fuzz_check_prefix(buf, (size_t)rv - 1, rv, lim);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http1_limits small = { 32, 128, 4 };
	static const struct http1_limits wide = { 200, 64, 8 };
	struct http1_limits	 def;
	const char		*buf = (const char *)data;

	http1_limits_default(&def);
	fuzz_one(buf, size, &small);
	fuzz_one(buf, size, &wide);
	fuzz_one(buf, size, &def);
	return 0;
}
