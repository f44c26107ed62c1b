/*
 * The request body store (reqbody.h): one kind at a time, the bytes of a
 * collected body (chunked, or a Content-Length body the app's
 * request_buffering takes whole before dispatch), and the spill file it
 * owns.
 */
#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/log.h"
#include "server/reqbody.h"

const char *
reqbody_kind_name(enum reqbody_kind k)
{
	switch (k) {
	case REQBODY_NONE:		return "none";
	case REQBODY_LENGTH:		return "length";
	case REQBODY_RAW_CHUNKED:	return "raw-chunked";
	case REQBODY_MEMORY:		return "memory";
	case REQBODY_FILE:		return "file";
	}
	return "unknown";
}

void
reqbody_start(struct reqbody *b, enum http1_body framing,
    uint64_t content_length, uint64_t max, size_t mem_max)
{
	b->max = max;
	b->mem_max = mem_max;
	b->fd = -1;
	switch (framing) {
	case HTTP1_BODY_LENGTH:
		b->kind = REQBODY_LENGTH;
		b->left = content_length;
		b->chunk.done = 1;
		break;
	case HTTP1_BODY_CHUNKED:
		b->kind = REQBODY_MEMORY;
		chunked_init(&b->chunk);
		chunked_set_max(&b->chunk, max);	/* a size over it: 413 */
		break;
	default:
		b->kind = REQBODY_NONE;
		b->chunk.done = 1;
		break;
	}
}

void
reqbody_set_raw(struct reqbody *b)
{
	if (b->kind == REQBODY_MEMORY)
		b->kind = REQBODY_RAW_CHUNKED;
}

void
reqbody_set_buffered(struct reqbody *b, size_t mem_max)
{
	if (b->kind == REQBODY_LENGTH && b->left > 0) {
		b->kind = REQBODY_MEMORY;
		b->mem_max = mem_max;
	}
}

void
reqbody_reset(struct reqbody *b)
{
	free(b->mem);
	if (b->kind == REQBODY_FILE && b->fd != -1)
		close(b->fd);
	memset(b, 0, sizeof(*b));
}

enum reqbody_kind
reqbody_kind(const struct reqbody *b)
{
	return b->kind;
}

/* Moves the body collected so far to an unlinked temp file. */
static int
reqbody_spill(struct reqbody *b)
{
	int	fd;

	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	b->kind = REQBODY_FILE;
	b->fd = fd;
	if (write(fd, b->mem, b->mem_len) != (ssize_t)b->mem_len)
		return -1;
	free(b->mem);
	b->mem = NULL;
	b->mem_len = b->mem_cap = b->mem_off = 0;
	return 0;
}

/* Appends decoded bytes to the memory or the file.  0, or the status. */
static int
reqbody_store(struct reqbody *b, const char *data, size_t dlen)
{
	size_t	 cap;
	char	*p;

	if (b->kind == REQBODY_MEMORY && b->mem_len + dlen > b->mem_max &&
	    reqbody_spill(b) == -1) {
		log_warn("request body temp file");
		return 500;
	}
	if (b->kind == REQBODY_FILE) {
		if (write(b->fd, data, dlen) != (ssize_t)dlen) {
			log_warn("request body temp file");
			return 500;
		}
		return 0;
	}
	if (b->mem_len + dlen > b->mem_cap) {
		cap = b->mem_cap ? b->mem_cap : 4096;
		while (cap < b->mem_len + dlen)
			cap *= 2;
		if ((p = realloc(b->mem, cap)) == NULL)
			return 500;
		b->mem = p;
		b->mem_cap = cap;
	}
	memcpy(b->mem + b->mem_len, data, dlen);
	b->mem_len += dlen;
	return 0;
}

int
reqbody_collect(struct reqbody *b, const char *in, size_t in_len,
    size_t *used)
{
	const char	*data;
	size_t		 dlen;
	ssize_t		 n;
	int		 st;

	*used = 0;
	if (b->left > 0) {
		/* A Content-Length body, received whole before dispatch. */
		dlen = in_len < b->left ? in_len : (size_t)b->left;
		if (dlen > 0 && (st = reqbody_store(b, in, dlen)) != 0)
			return st;
		b->left -= dlen;
		b->total += dlen;
		*used = dlen;
		if (b->left > 0)
			return REQBODY_MORE;
	}
	while (!b->chunk.done && *used < in_len) {
		n = chunked_decode(&b->chunk, in + *used, in_len - *used,
		    &data, &dlen);
		if (n < 0)
			return (int)-n;		/* 400, or 413 */
		*used += (size_t)n;
		if (dlen == 0)
			continue;
		if (b->total + dlen > b->max)
			return 413;
		b->total += dlen;
		if ((st = reqbody_store(b, data, dlen)) != 0)
			return st;
	}
	if (!b->chunk.done)
		return REQBODY_MORE;
	if (b->kind == REQBODY_FILE && lseek(b->fd, 0, SEEK_SET) == -1)
		return 500;
	return REQBODY_DONE;
}

/*
 * The raw bytes of a chunked body ready to pass on: from in up to the
 * body's end or the input's, found by a copy of the decoder (the real
 * one moves in reqbody_consume, over the bytes passed on).  A malformed
 * or too large body shows as nothing more from there.
 */
static int
reqbody_raw_peek(struct reqbody *b, const char *in, size_t in_len,
    size_t *len)
{
	struct chunked_dec	 d = b->chunk;
	const char		*data;
	size_t			 dlen, off = 0;
	uint64_t		 total = b->total;
	ssize_t			 n;
	int			 turned = 0;

	if (b->bad) {
		*len = 0;
		return 0;
	}
	while (!d.done && off < in_len) {
		n = chunked_decode(&d, in + off, in_len - off, &data, &dlen);
		if (n < 0 || (total += dlen) > b->max) {
			b->bad = n < 0 ? (int)-n : 413;
			turned = 1;
			break;
		}
		off += (size_t)n;
	}
	*len = off;
	return turned;
}

int
reqbody_peek(struct reqbody *b, const char *in, size_t in_len,
    const char **p, size_t *len)
{
	switch (b->kind) {
	case REQBODY_LENGTH:
		*p = in;
		*len = in_len > b->left ? (size_t)b->left : in_len;
		return 0;
	case REQBODY_RAW_CHUNKED:
		*p = in;
		return reqbody_raw_peek(b, in, in_len, len);
	case REQBODY_MEMORY:
		*p = b->mem + b->mem_off;
		*len = b->mem_len - b->mem_off;
		return 0;
	default:
		*p = NULL;
		*len = 0;
		return 0;
	}
}

size_t
reqbody_consume(struct reqbody *b, const char *in, size_t in_len,
    size_t n)
{
	const char	*data;
	size_t		 dlen, used = 0;
	ssize_t		 k;

	switch (b->kind) {
	case REQBODY_LENGTH:
		b->left -= n;
		return n;
	case REQBODY_RAW_CHUNKED:
		if (n > in_len)
			n = in_len;
		while (n > 0 && !b->chunk.done) {
			k = chunked_decode(&b->chunk, in + used, n, &data,
			    &dlen);
			if (k <= 0)
				break;		/* reqbody_peek saw it whole */
			b->total += dlen;
			used += (size_t)k;
			n -= (size_t)k;
		}
		return used;
	case REQBODY_MEMORY:
		b->mem_off += n;
		return 0;
	default:
		return 0;
	}
}

int
reqbody_complete(const struct reqbody *b)
{
	switch (b->kind) {
	case REQBODY_LENGTH:
		return b->left == 0;
	case REQBODY_RAW_CHUNKED:
	case REQBODY_FILE:
		return b->chunk.done;
	case REQBODY_MEMORY:
		return b->chunk.done && b->mem_off == b->mem_len;
	default:
		return 1;
	}
}

int
reqbody_wire_done(const struct reqbody *b)
{
	return b->left == 0 && b->chunk.done;
}

int
reqbody_received(const struct reqbody *b, const char *in, size_t in_len)
{
	return reqbody_received2(b, in, in_len, NULL, 0);
}

/* Feeds in[0..len) to the decoder d; 1 once the body ended (or turned
   out malformed: nothing more to wait for), else 0. */
static int
reqbody_decode_end(struct chunked_dec *d, const char *in, size_t len)
{
	const char	*data;
	size_t		 dlen, off = 0;
	ssize_t		 n;

	while (!d->done && off < len) {
		if ((n = chunked_decode(d, in + off, len - off, &data,
		    &dlen)) < 0)
			return 1;
		off += (size_t)n;
	}
	return d->done;
}

int
reqbody_received2(const struct reqbody *b, const char *in, size_t in_len,
    const char *more, size_t more_len)
{
	struct chunked_dec	 d = b->chunk;

	if (b->left > 0)
		return in_len + more_len >= b->left;
	return reqbody_decode_end(&d, in, in_len) ||
	    reqbody_decode_end(&d, more, more_len);
}

int
reqbody_error(const struct reqbody *b)
{
	return b->bad;
}

uint64_t
reqbody_total(const struct reqbody *b)
{
	return b->total;
}

uint64_t
reqbody_unread(const struct reqbody *b)
{
	return b->left;
}

size_t
reqbody_skip(struct reqbody *b, size_t avail)
{
	size_t	take = avail;

	if (take > b->left)
		take = (size_t)b->left;
	b->left -= take;
	return take;
}

void
reqbody_detach(struct reqbody *b)
{
	if (b->kind == REQBODY_FILE && b->fd != -1)
		close(b->fd);
	b->fd = -1;
	free(b->mem);
	b->mem = NULL;
	b->mem_len = b->mem_cap = b->mem_off = 0;
	b->kind = REQBODY_NONE;
}

int
reqbody_fd(const struct reqbody *b)
{
	return b->kind == REQBODY_FILE ? b->fd : -1;
}

int
reqbody_take_fd(struct reqbody *b)
{
	int	fd = reqbody_fd(b);

	b->fd = -1;
	return fd;
}

int
reqbody_spill_unread(const struct reqbody *b)
{
	off_t	at;

	if (reqbody_fd(b) == -1)
		return 0;
	at = lseek(b->fd, 0, SEEK_CUR);
	return at == -1 || (uint64_t)at < b->total;
}

int
reqbody_hijack_rest(const struct reqbody *b, const char *in, size_t in_len,
    const char **p, size_t *len, char **joined)
{
	size_t	rest;

	*p = in;
	*len = in_len;
	*joined = NULL;
	/* A collected body not passed on comes first, decoded (its framing
	   is gone). */
	if (b->kind != REQBODY_MEMORY || b->mem_off >= b->mem_len)
		return 0;
	rest = b->mem_len - b->mem_off;
	if ((*joined = malloc(rest + in_len)) == NULL)
		return -1;
	memcpy(*joined, b->mem + b->mem_off, rest);
	if (in_len > 0)
		memcpy(*joined + rest, in, in_len);
	*p = *joined;
	*len = rest + in_len;
	return 0;
}
