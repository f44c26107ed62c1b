#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/fcgi.h"

/*
 * Decodes name-value pairs until the input ends, re-encodes each pair and
 * decodes that again: the name and value must come back (a non-minimal
 * 4-byte length re-encodes shorter, so values are compared, not bytes).
 * Every prefix of each pair must need more, and fcgi_get_values_find()
 * must agree with the loop on whether the body is well-formed.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_pair(const uint8_t *, size_t, const char *, size_t,
		    const char *, size_t);

static void
fuzz_pair(const uint8_t *at, size_t span, const char *n, size_t nl,
    const char *v, size_t vl)
{
	const char	*n2, *v2;
	uint8_t		*out;
	size_t		 size, nl2, vl2, p;

	size = fcgi_nv_size(nl, vl);
	if (size == 0 || size > span)
		__builtin_trap();
	if ((out = malloc(size)) == NULL)
		return;
	if (fcgi_nv_encode(out, size - 1, n, nl, v, vl) != 0 ||
	    fcgi_nv_encode(out, size, n, nl, v, vl) != size)
		__builtin_trap();
	if (fcgi_nv_decode(out, size, &n2, &nl2, &v2, &vl2) != (ssize_t)size ||
	    nl2 != nl || vl2 != vl || memcmp(n2, n, nl) != 0 ||
	    memcmp(v2, v, vl) != 0)
		__builtin_trap();
	/* A minimal encoding is the same bytes. */
	if (size == span && memcmp(out, at, size) != 0)
		__builtin_trap();
	free(out);
	/* Shorter prefixes of the input's pair need more. */
	for (p = span > 64 ? span - 64 : 0; p < span; p++)
		if (fcgi_nv_decode(at, p, &n2, &nl2, &v2, &vl2) != 0)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*n, *v;
	uint8_t		*buf;
	size_t		 off, nl, vl;
	ssize_t		 r = 0;
	int		 found;

	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	for (off = 0; off < size; off += (size_t)r) {
		r = fcgi_nv_decode(buf + off, size - off, &n, &nl, &v, &vl);
		if (r < 0)
			__builtin_trap();	/* nothing is malformed */
		if (r == 0)
			break;
		if ((size_t)r > size - off || (const uint8_t *)n < buf + off ||
		    (const uint8_t *)n + nl > (const uint8_t *)v ||
		    (const uint8_t *)v + vl != buf + off + (size_t)r)
			__builtin_trap();
		fuzz_pair(buf + off, (size_t)r, n, nl, v, vl);
	}
	found = fcgi_get_values_find(buf, size, "FCGI_MAX_CONNS", &v, &vl);
	if ((found == -1) != (off < size))
		__builtin_trap();
	if (found == 1 && ((const uint8_t *)v < buf ||
	    (const uint8_t *)v + vl > buf + size))
		__builtin_trap();
	free(buf);
	return 0;
}
