/*
 * Incremental decoder for the chunked transfer coding (RFC 9112 section 7.1).
 *
 * Non-destructive: the input is never modified, so the master can hand the
 * raw, not yet decoded bytes over with a hijack.  The decoder keeps a small
 * state between calls, so input may be split anywhere.
 */
#ifndef FERRY_PROTOCOL_CHUNKED_H
#define FERRY_PROTOCOL_CHUNKED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHUNKED_MAX_EXT		4096	/* chunk-extension bytes per chunk line */
#define CHUNKED_MAX_TRAILER	8192	/* trailer section bytes in total */
#define CHUNKED_MAX_DIGITS	32	/* chunk-size digits, leading zeros
					   included (at most 16 significant) */

struct chunked_dec {
	int		state;		/* private */
	uint64_t	remaining;	/* data bytes left in the current chunk
					   (the size so far in a size line) */
	int		limited;	/* private: chunked_set_max() called */
	uint64_t	max;		/* private: data bytes allowed */
	uint64_t	announced;	/* private: the sizes of the chunks
					   before the current one */
	size_t		count;		/* private: size digits, ext or
					   trailer bytes seen */
	int		done;		/* set once the last chunk and trailer
					   section ended; stop calling then */
};

/* Zeroes *d: ready for a new body, of any size.  A zeroed struct is
   the same. */
void	chunked_init(struct chunked_dec *d);
/* Bounds the body's data to max bytes in all: a chunk-size that would
   pass it fails (-413).  Call after chunked_init, before decoding. */
void	chunked_set_max(struct chunked_dec *d, uint64_t max);

/*
 * Strict grammar: chunk-size is 1*HEXDIG with no sign, prefix or whitespace;
 * extensions are ";name[=token|quoted-string]" with no BWS; trailer fields
 * are checked like header fields (no obs-fold); CRLF everywhere.
 *
 * Decodes from buf[0..len).  Consumes framing bytes (sizes, extensions,
 * CRLFs, trailers) into its state and stops after at most one span of body
 * data: *data and *data_len then name those bytes inside buf (*data_len is
 * 0 when the call ended without data).  Returns the bytes consumed
 * (data included), which is less than len only when data was found or the
 * body ended (d->done), -400 on malformed input, or -413 as soon as a
 * chunk-size digit makes the sizes announced so far exceed the max set
 * with chunked_set_max() (before the line ends, before any of that
 * chunk's data).  Call again with the rest of the input.  After an error
 * every call returns the same error; after done every call returns 0 and
 * the bytes that follow belong to the next request.  Trailer fields are
 * checked and skipped, not returned.
 */
ssize_t	chunked_decode(struct chunked_dec *d, const char *buf, size_t len,
	    const char **data, size_t *data_len);

/* Name of decoder state d->state, for logs and test failures. */
const char *chunked_state_name(int state);

#endif
