#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/fcgi.h"

/*
 * Parses the input as a stream of FastCGI records, whole and again split at
 * a point taken from the input, and decodes each record's body by type.
 * Invariants: spans stay inside the buffer, the header re-encodes to the
 * input's bytes, the split run finds the same records as the whole run.
 */

#define MAXREC	4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_body(const struct fcgi_record *, const uint8_t *, size_t);
static size_t	fuzz_stream(const uint8_t *, size_t, size_t *, ssize_t *);
static void	fuzz_split(const uint8_t *, size_t, size_t, size_t, size_t,
		    const ssize_t *);

static void
fuzz_body(const struct fcgi_record *rec, const uint8_t *buf, size_t len)
{
	const uint8_t	*c = rec->content, *end = buf + len;
	size_t		 clen = rec->h.content_length, off, nl, vl;
	const char	*n, *v;
	uint32_t	 app;
	uint16_t	 role;
	uint8_t		 b, body[8];
	ssize_t		 r;
	int		 found;

	if (c < buf || c + clen > end)
		__builtin_trap();
	switch (rec->h.type) {
	case FCGI_BEGIN_REQUEST:
		if ((fcgi_begin_request_decode(c, clen, &role, &b) == 0) !=
		    (clen == FCGI_BEGIN_REQUEST_LEN))
			__builtin_trap();
		if (clen == FCGI_BEGIN_REQUEST_LEN) {
			fcgi_begin_request_encode(body, role, b);
			if (memcmp(body, c, 3) != 0)
				__builtin_trap();
		}
		break;
	case FCGI_END_REQUEST:
		if ((fcgi_end_request_decode(c, clen, &app, &b) == 0) !=
		    (clen == FCGI_END_REQUEST_LEN))
			__builtin_trap();
		if (clen == FCGI_END_REQUEST_LEN) {
			fcgi_end_request_encode(body, app, b);
			if (memcmp(body, c, 5) != 0)
				__builtin_trap();
		}
		break;
	case FCGI_UNKNOWN_TYPE:
		if ((fcgi_unknown_type_decode(c, clen, &b) == 0) !=
		    (clen == FCGI_UNKNOWN_TYPE_LEN))
			__builtin_trap();
		if (clen == FCGI_UNKNOWN_TYPE_LEN && b != c[0])
			__builtin_trap();
		break;
	case FERRY_CLOSE_NOTIFY:
		if ((fcgi_close_notify_decode(c, clen, &b) == 0) != (clen == 1))
			__builtin_trap();
		break;
	case FCGI_PARAMS:
	case FCGI_GET_VALUES:
	case FCGI_GET_VALUES_RESULT:
		for (off = 0; off < clen; off += (size_t)r) {
			r = fcgi_nv_decode(c + off, clen - off, &n, &nl, &v,
			    &vl);
			if (r < 0)
				__builtin_trap();	/* never malformed */
			if (r == 0)
				break;
			if ((size_t)r > clen - off ||
			    (const uint8_t *)n < c + off ||
			    (const uint8_t *)v + vl > c + off + (size_t)r ||
			    fcgi_nv_size(nl, vl) > (size_t)r)
				__builtin_trap();
		}
		found = fcgi_get_values_find(c, clen, FERRY_EXTENSIONS, &v,
		    &vl);
		/* Malformed exactly when the pairs do not end with the body. */
		if ((found == -1) != (off < clen))
			__builtin_trap();
		if (found == 1) {
			if ((const uint8_t *)v < c ||
			    (const uint8_t *)v + vl > c + clen)
				__builtin_trap();
			(void)fcgi_list_has(v, vl, FERRY_EXT_HIJACK);
		}
		break;
	default:
		(void)fcgi_list_has((const char *)c, clen,
		    FERRY_EXT_CLOSE_NOTIFY);
		break;
	}
}

/* Parses buf[0..len) record by record, counting records in *nrec and
   storing their spans; returns the bytes consumed. */
static size_t
fuzz_stream(const uint8_t *buf, size_t len, size_t *nrec, ssize_t *spans)
{
	struct fcgi_record	rec;
	struct fcgi_header	h;
	uint8_t			hdr[FCGI_HEADER_LEN];
	size_t			off = 0;
	ssize_t			r;

	for (;;) {
		r = fcgi_record_parse(buf + off, len - off, &rec);
		if (r <= 0)
			break;
		if ((size_t)r > len - off || (size_t)r < FCGI_HEADER_LEN ||
		    (size_t)r != FCGI_HEADER_LEN + rec.h.content_length +
		    rec.h.padding_length || rec.content != buf + off + 8)
			__builtin_trap();
		fcgi_header_encode(hdr, &rec.h);
		if (memcmp(hdr, buf + off, FCGI_HEADER_LEN - 1) != 0)
			__builtin_trap();
		if (fcgi_header_decode(hdr, &h) != 0)
			__builtin_trap();
		fuzz_body(&rec, buf, len);
		if (*nrec < MAXREC)
			spans[*nrec] = r;
		(*nrec)++;
		off += (size_t)r;
	}
	if (r == -1 && (off >= len || buf[off] == FCGI_VERSION_1))
		__builtin_trap();
	if (r == 0 && off < len && buf[off] != FCGI_VERSION_1)
		__builtin_trap();
	return off;
}

/* Parses data[0..s) and then the unconsumed rest joined with the second
   piece, in exact-size copies; the result must match the whole run. */
static void
fuzz_split(const uint8_t *data, size_t size, size_t s, size_t off, size_t n1,
    const ssize_t *whole)
{
	static ssize_t	 split[MAXREC];
	uint8_t		*b;
	size_t		 n2 = 0, i;

	if ((b = malloc(s + 1)) == NULL)
		return;
	memcpy(b, data, s);
	i = fuzz_stream(b, s, &n2, split);
	free(b);
	if (i > off)
		__builtin_trap();
	if ((b = malloc(size - i + 1)) == NULL)
		return;
	memcpy(b, data + i, size - i);
	i += fuzz_stream(b, size - i, &n2, split);
	free(b);
	if (i != off || n1 != n2)
		__builtin_trap();
	for (i = 0; i < n1 && i < MAXREC; i++)
		if (whole[i] != split[i])
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ssize_t	 whole[MAXREC];
	uint8_t		*a;
	size_t		 n1 = 0, off, s, step;

	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((a = malloc(size + 1)) == NULL)
		return 0;
	memcpy(a, data, size);
	off = fuzz_stream(a, size, &n1, whole);
	free(a);

	/* Every split of a small input, about 40 of a large one. */
	step = size <= 128 ? 1 : size / 40;
	for (s = 0; s <= size; s += step)
		fuzz_split(data, size, s, off, n1, whole);
	return 0;
}
