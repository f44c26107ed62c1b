/*
 * The request body as apps read it, in one of five kinds: none, a
 * Content-Length body in the connection's input buffer, a chunked body
 * passed on raw (still chunked, to a worker that decodes it itself), a
 * chunked body collected in memory, or one spilled to an unlinked temp
 * file.  A struct reqbody owns the collected bytes and the spill fd.
 *
 * It does not own the input buffer: the connection passes its unconsumed
 * bytes in (in, in_len) and moves its offset by what a call says it used.
 * So this file knows nothing of struct conn and is tested alone.
 *
 * The client's own framing is tracked apart from the kind: a local
 * redirect detaches the body from the app (kind none), but the connection
 * still has to read past its rest on the wire (reqbody_wire_done(),
 * reqbody_skip()).  A zeroed struct reqbody is a body of kind none.
 */
#ifndef FERRY_SERVER_REQBODY_H
#define FERRY_SERVER_REQBODY_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/chunked.h"
#include "protocol/http1.h"

enum reqbody_kind {
	REQBODY_NONE,		/* no body, or detached from the app */
	REQBODY_LENGTH,		/* Content-Length bytes in the input buffer */
	REQBODY_RAW_CHUNKED,	/* chunked, passed on raw from the input */
	REQBODY_MEMORY,		/* chunked or buffered, collected in memory
				   (or being) */
	REQBODY_FILE,		/* the same, spilled to fd */
};

/* reqbody_collect() results besides an HTTP status to fail with. */
#define REQBODY_MORE	0	/* every input byte used; call again */
#define REQBODY_DONE	1	/* the whole body is collected */

struct reqbody {
	enum reqbody_kind	 kind;
	uint64_t		 left;		/* Content-Length bytes not
						   read from the client yet */
	struct chunked_dec	 chunk;		/* the client's chunked framing;
						   done at once when not
						   chunked */
	int			 bad;		/* raw chunked: malformed (400)
						   or too large (413), the
						   status to fail with */
	uint64_t		 max;		/* decoded bytes allowed */
	size_t			 mem_max;	/* kept in memory up to this */
	uint64_t		 total;		/* decoded bytes so far */
	char			*mem;		/* REQBODY_MEMORY */
	size_t			 mem_len, mem_cap, mem_off;
	int			 fd;		/* REQBODY_FILE: the spill
						   file, -1 once taken */
};

const char *reqbody_kind_name(enum reqbody_kind k);

/*
 * Starts a request's body as its head frames it (HTTP1_BODY_*): chunked
 * (kind memory until reqbody_set_raw()), content_length bytes, or none.
 * max bounds the decoded bytes of a chunked body (a chunk-size line that
 * would pass it fails at once, before its data); a collected body stays
 * in memory up to mem_max bytes.  b must be zeroed or reset.
 */
void	reqbody_start(struct reqbody *b, enum http1_body framing,
	    uint64_t content_length, uint64_t max, size_t mem_max);
/* A chunked body not collected yet is passed on raw instead. */
void	reqbody_set_raw(struct reqbody *b);
/* A Content-Length body (not empty) is collected whole before dispatch,
   as a chunked one is (kind memory, then file past mem_max bytes). */
void	reqbody_set_buffered(struct reqbody *b, size_t mem_max);
/* Frees what b holds (memory, spill fd) and zeroes it. */
void	reqbody_reset(struct reqbody *b);
enum reqbody_kind reqbody_kind(const struct reqbody *b);

/*
 * Collects a body of kind memory (chunked, or a Content-Length one after
 * reqbody_set_buffered()) from in[0..in_len): decoded
 * bytes go to memory, and past mem_max to an unlinked temp file (kind
 * file; rewound once complete).  *used is set to the input bytes taken.
 * Returns REQBODY_MORE, REQBODY_DONE, or the status to fail with: 400
 * malformed, 413 over max, 500 out of memory or temp file error.
 */
int	reqbody_collect(struct reqbody *b, const char *in, size_t in_len,
	    size_t *used);

/*
 * Names the body bytes ready to pass on in *p, *len (0: none now), given
 * the connection's unconsumed input in[0..in_len).  For a raw chunked
 * body, returns 1 when it just turned out malformed or too large
 * (reqbody_error() has the status; the caller fails the request from
 * the loop); else 0.
 */
int	reqbody_peek(struct reqbody *b, const char *in, size_t in_len,
	    const char **p, size_t *len);
/* n bytes of what reqbody_peek() named were passed on.  Returns how many
   bytes of the input that used (the caller advances its offset). */
size_t	reqbody_consume(struct reqbody *b, const char *in, size_t in_len,
	    size_t n);
/* 1 once every body byte was passed on to the app (or it has none). */
int	reqbody_complete(const struct reqbody *b);
/* 1 once the client sent its whole body: the input holds no more of it. */
int	reqbody_wire_done(const struct reqbody *b);
/* 1 once the client has sent the whole body by its framing: the part the
   app has not taken yet is all in the unconsumed input in[0..in_len)
   (what the client sent, not what the app read). */
int	reqbody_received(const struct reqbody *b, const char *in,
	    size_t in_len);
/* The same with more[0..more_len) following in (bytes still in the
   kernel, peeked). */
int	reqbody_received2(const struct reqbody *b, const char *in,
	    size_t in_len, const char *more, size_t more_len);
/* The HTTP status a raw chunked body fails with, or 0. */
int	reqbody_error(const struct reqbody *b);
/* Decoded bytes of a chunked body so far (the whole body once done). */
uint64_t reqbody_total(const struct reqbody *b);

/* Content-Length bytes the client still has to send. */
uint64_t reqbody_unread(const struct reqbody *b);
/* Reads past an unread Content-Length rest: takes up to avail input bytes
   of it, returns how many. */
size_t	reqbody_skip(struct reqbody *b, size_t avail);

/* The app sees no body from now on (a local redirect): kind none; what
   was collected is freed. */
void	reqbody_detach(struct reqbody *b);

/* The spill file of a body of kind file (its offset is where the reader
   is), or -1. */
int	reqbody_fd(const struct reqbody *b);
/* Hands the spill file over: the caller owns and closes it; b has -1. */
int	reqbody_take_fd(struct reqbody *b);

/* 1 when the body is in a spill file not yet read to its end: its rest
   cannot go with a hijacked socket. */
int	reqbody_spill_unread(const struct reqbody *b);
/*
 * What a hijacking app gets: the collected body bytes not passed on yet,
 * then in[0..in_len).  Sets *p, *len; *joined is NULL or a buffer the
 * caller frees after using *p.  Returns -1 when out of memory.
 */
int	reqbody_hijack_rest(const struct reqbody *b, const char *in,
	    size_t in_len, const char **p, size_t *len, char **joined);

#endif
