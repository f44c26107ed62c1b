/*
 * libFuzzer driver for cgiresp_parse().  The input is parsed with the
 * default limits and with small ones, and every answer is checked: the
 * consumed length fits the input, every span lies inside the block, the
 * kind agrees with the fields, and the stateless re-parse is consistent
 * (the block alone gives the same answer, one byte less needs more, and
 * every prefix needs more or is malformed, never another length).  The
 * status class of an accepted block (cgiresp_class()) is checked against
 * what RFC 9110 section 15.2 allows an app: only 200 to 599 is final, a
 * 101 switches only with an Upgrade, a 103 is passed on, 100 and 102 are
 * dropped, and no 1xx goes on with a Content-Length or a Location.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/cgiresp.h"

#define FUZZ_FIELDS	CGIRESP_DEFAULT_MAX_FIELDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_span(const struct http1_span *, const char *, size_t, int);
static void	fuzz_check(const char *, size_t, size_t, size_t);
static void	fuzz_class(const struct cgiresp *);
static void	fuzz_offered(const char *, size_t);

/* Traps unless sp lies in buf[0..n); absent spans may be NULL. */
static void
fuzz_span(const struct http1_span *sp, const char *buf, size_t n,
    int may_be_null)
{
	if (sp->p == NULL) {
		if (!may_be_null || sp->len != 0)
			__builtin_trap();
		return;
	}
	if (sp->p < buf || sp->len > n || (size_t)(sp->p - buf) > n - sp->len)
		__builtin_trap();
}

/* Traps unless r's class is what its status and fields allow. */
static void
fuzz_class(const struct cgiresp *r)
{
	enum cgiresp_class	 c = cgiresp_class(r);
	int			 interim_ok;

	interim_ok = r->content_length == -1 && r->location.p == NULL;
	switch (c) {
	case CGIRESP_FINAL:
		if (r->status < 200)
			__builtin_trap();
		break;
	case CGIRESP_SWITCH:
		if (r->status != 101 || !interim_ok || r->upgrade.p == NULL ||
		    r->upgrade.len == 0)
			__builtin_trap();
		break;
	case CGIRESP_HINTS:
		if (r->status != 103 || !interim_ok)
			__builtin_trap();
		break;
	case CGIRESP_DROPPED:
		if ((r->status != 100 && r->status != 102) || !interim_ok)
			__builtin_trap();
		break;
	case CGIRESP_BAD_STATUS:
		if (r->status >= 200 || (interim_ok && (r->status == 100 ||
		    r->status == 102 || r->status == 103)))
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	if (cgiresp_class_name(c)[0] == 'u')
		__builtin_trap();
}

/*
 * cgiresp_upgrade_offered() on the two halves of the input as the offer
 * and the answer: no read outside them, and a list offers itself exactly
 * when it names a protocol (an element other than commas and OWS).
 */
static void
fuzz_offered(const char *buf, size_t len)
{
	struct http1_span	 a = { buf, len / 2 }, b = { buf + len / 2,
				    len - len / 2 };
	size_t			 i;
	int			 named = 0;

	(void)cgiresp_upgrade_offered(&a, &b);
	(void)cgiresp_upgrade_offered(&b, &a);
	for (i = 0; i < b.len; i++)
		if (b.p[i] != ',' && b.p[i] != ' ' && b.p[i] != '\t')
			named = 1;
	if (cgiresp_upgrade_offered(&b, &b) != named)
		__builtin_trap();
}

static void
fuzz_check(const char *buf, size_t len, size_t max_fields, size_t max_head)
{
	struct http1_field	 fields[FUZZ_FIELDS], f2[FUZZ_FIELDS];
	struct cgiresp		 r, r2;
	ssize_t			 n, m;
	size_t			 i, k;

	r.fields = fields;
	n = cgiresp_parse(buf, len, &r, max_fields, max_head);
	if (n < -1 || (n > 0 && (size_t)n > len))
		__builtin_trap();
	/* Need-more is never the answer once the limit is reached. */
	if (n == 0 && len >= max_head)
		__builtin_trap();
	if (n <= 0) {
		/* A prefix cannot succeed where the whole input does not. */
		r2.fields = f2;
		for (k = len; k > 0 && len - k < 4; k--)
			if (cgiresp_parse(buf, k - 1, &r2, max_fields,
			    max_head) > 0)
				__builtin_trap();
		return;
	}
	if ((size_t)n > max_head || r.nfields > max_fields)
		__builtin_trap();
	if (r.status < 100 || r.status > 599)
		__builtin_trap();
	if (r.content_length < -1)
		__builtin_trap();
	fuzz_span(&r.reason, buf, (size_t)n, 1);
	fuzz_span(&r.location, buf, (size_t)n, 1);
	for (i = 0; i < r.nfields; i++) {
		fuzz_span(&r.fields[i].name, buf, (size_t)n, 0);
		fuzz_span(&r.fields[i].value, buf, (size_t)n, 0);
		if (r.fields[i].name.len == 0)
			__builtin_trap();
	}
	switch (r.kind) {
	case CGIRESP_DOCUMENT:
		if (r.location.p != NULL)
			__builtin_trap();
		break;
	case CGIRESP_LOCAL_REDIRECT:
		if (r.location.p == NULL || r.location.p[0] != '/' ||
		    r.nfields != 0 || r.content_length != -1 ||
		    r.reason.p != NULL)
			__builtin_trap();
		break;
	case CGIRESP_CLIENT_REDIRECT:
		if (r.location.p == NULL || r.location.len == 0)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}

	fuzz_class(&r);

	/* The block alone gives the very same answer. */
	r2.fields = f2;
	m = cgiresp_parse(buf, (size_t)n, &r2, max_fields, max_head);
	if (m != n || r2.kind != r.kind || r2.status != r.status ||
	    r2.nfields != r.nfields || r2.content_length != r.content_length ||
	    r2.location.p != r.location.p || r2.location.len != r.location.len ||
	    r2.reason.p != r.reason.p || r2.reason.len != r.reason.len ||
	    memcmp(f2, fields, r.nfields * sizeof(fields[0])) != 0 ||
	    cgiresp_class(&r2) != cgiresp_class(&r))
		__builtin_trap();
	/* One byte less (and any split point before it) needs more. */
	if (cgiresp_parse(buf, (size_t)n - 1, &r2, max_fields, max_head) != 0)
		__builtin_trap();
	k = (size_t)n / 2;
	if (cgiresp_parse(buf, k, &r2, max_fields, max_head) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;

	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((buf = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	fuzz_check(buf, size, CGIRESP_DEFAULT_MAX_FIELDS,
	    CGIRESP_DEFAULT_MAX_HEAD);
	fuzz_check(buf, size, 3, 64);
	fuzz_check(buf, size, 0, 16);
	fuzz_offered(buf, size);
	free(buf);
	return 0;
}
