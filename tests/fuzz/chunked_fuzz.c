#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/chunked.h"

/*
 * Input: one byte choosing the split point, then the chunked body.  The
 * body is decoded whole, split in two at that point (the first piece in a
 * buffer of its exact size, so ASan sees a read past it), and byte by byte.
 * Every feeding must decode the same bytes and end the same way.  A body
 * that ends is decoded again with chunked_set_max() at its size (the same
 * result) and one byte under it (an error, after a prefix of the bytes
 * within the limit).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	char		*out;		/* decoded bytes */
	size_t		 outlen;
	size_t		 consumed;
	int		 result;	/* 0 need more, 1 done, -1 error */
};

static void	fuzz_check(int);
static int	fuzz_step(struct chunked_dec *, const char *, size_t,
		    struct run *, size_t *);
static void	fuzz_feed(const char *, size_t, const size_t *, size_t,
		    const uint64_t *, struct run *);
static void	fuzz_same(const struct run *, const struct run *);

static void
fuzz_check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/*
 * Calls the decoder on buf[0..n) until it needs more, ends or fails.  Adds
 * what it consumed to *used.  Returns the run's result so far.
 */
static int
fuzz_step(struct chunked_dec *d, const char *buf, size_t n, struct run *r,
    size_t *used)
{
	const char	*span;
	size_t		 pos = 0, slen;
	ssize_t		 got;

	for (;;) {
		got = chunked_decode(d, buf + pos, n - pos, &span, &slen);
		if (got == -400 || got == -413) {
			fuzz_check(chunked_decode(d, buf, n, &span, &slen) ==
			    got);
			return -1;
		}
		fuzz_check(got >= 0 && (size_t)got <= n - pos);
		if (slen > 0) {
			fuzz_check(span >= buf + pos &&
			    span + slen == buf + pos + got);
			memcpy(r->out + r->outlen, span, slen);
			r->outlen += slen;
		}
		pos += (size_t)got;
		*used += (size_t)got;
		if (d->done) {
			fuzz_check(chunked_decode(d, buf + pos, n - pos, &span,
			    &slen) == 0);
			return 1;
		}
		if (pos == n)
			return 0;
		/* Stopping short is only allowed after a data span. */
		fuzz_check(slen > 0);
	}
}

/*
 * Feeds buf[0..len) with the available bytes growing to ends[0], ...,
 * ends[nends - 1] == len; each window is copied to a buffer of its size.
 */
static void
fuzz_feed(const char *buf, size_t len, const size_t *ends, size_t nends,
    const uint64_t *max, struct run *r)
{
	struct chunked_dec	 d;
	char			*win;
	size_t			 pos = 0, used, e, n;

	chunked_init(&d);
	if (max != NULL)
		chunked_set_max(&d, *max);
	r->out = malloc(len + 1);
	fuzz_check(r->out != NULL);
	r->outlen = 0;
	r->result = 0;
	for (e = 0; e < nends && r->result == 0; e++) {
		n = ends[e] - pos;
		win = malloc(n + 1);
		fuzz_check(win != NULL);
		memcpy(win, buf + pos, n);
		used = 0;
		r->result = fuzz_step(&d, win, n, r, &used);
		free(win);
		pos += used;
		fuzz_check(r->result != 0 || pos == ends[e]);
	}
	r->consumed = pos;
	fuzz_check(r->consumed <= len && r->outlen <= r->consumed);
}

static void
fuzz_same(const struct run *a, const struct run *b)
{
	fuzz_check(a->result == b->result);
	fuzz_check(a->outlen == b->outlen);
	fuzz_check(memcmp(a->out, b->out, a->outlen) == 0);
	if (a->result != -1)
		fuzz_check(a->consumed == b->consumed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 whole, split, bytes, lim;
	const char	*buf;
	size_t		 len, ends[2], *each, i;
	uint64_t	 max;

	if (size < 1)
		return 0;
	buf = (const char *)data + 1;
	len = size - 1;

	ends[0] = len;
	fuzz_feed(buf, len, ends, 1, NULL, &whole);

	ends[0] = data[0] % (len + 1);
	ends[1] = len;
	fuzz_feed(buf, len, ends, 2, NULL, &split);
	fuzz_same(&whole, &split);

	if (whole.result == 1) {
		max = whole.outlen;
		fuzz_feed(buf, len, ends, 2, &max, &lim);
		fuzz_same(&whole, &lim);
		free(lim.out);
		if (max > 0) {
			max--;
			fuzz_feed(buf, len, ends, 2, &max, &lim);
			fuzz_check(lim.result == -1 && lim.outlen <= max &&
			    memcmp(lim.out, whole.out, lim.outlen) == 0);
			free(lim.out);
		}
	}

	if (len <= 4096) {
		each = malloc((len + 1) * sizeof(*each));
		fuzz_check(each != NULL);
		for (i = 0; i < len; i++)
			each[i] = i + 1;
		fuzz_feed(buf, len, each, len, NULL, &bytes);
		fuzz_same(&whole, &bytes);
		free(each);
		free(bytes.out);
	}

	free(whole.out);
	free(split.out);
	return 0;
}
