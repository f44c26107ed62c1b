/*
 * HTTP/1.1 request head parser and body framing (RFC 9112).
 *
 * Pure: no I/O, no allocation, no globals.  The parser is stateless and is
 * simply called again with the grown buffer when it answered "need more"
 * (picohttpparser style).  Every span it fills points into the caller's
 * buffer, which must stay unchanged while the request is in use.
 */
#ifndef FERRY_PROTOCOL_HTTP1_H
#define FERRY_PROTOCOL_HTTP1_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Defaults for struct http1_limits. */
#define HTTP1_DEFAULT_MAX_TARGET	(8 * 1024)	/* 414 beyond */
#define HTTP1_DEFAULT_MAX_HEAD		(16 * 1024)	/* 431 beyond */
#define HTTP1_DEFAULT_MAX_FIELDS	100		/* 431 beyond */

struct http1_limits {
	size_t		max_target;	/* request-target bytes */
	size_t		max_head;	/* whole head: request line to CRLFCRLF,
					   the request-target not counted */
	size_t		max_fields;	/* header fields; also the capacity of
					   the caller's field array */
};

enum http1_target_form {
	HTTP1_TARGET_ORIGIN,		/* /path?query */
	HTTP1_TARGET_ABSOLUTE,		/* http://authority/path?query */
	HTTP1_TARGET_AUTHORITY,		/* host:port, CONNECT only */
	HTTP1_TARGET_ASTERISK,		/* *, OPTIONS only */
};

enum http1_body {
	HTTP1_BODY_NONE,		/* no body (no CL, no TE) */
	HTTP1_BODY_LENGTH,		/* content_length bytes */
	HTTP1_BODY_CHUNKED,		/* Transfer-Encoding: chunked */
};

/* Flags in http1_request.flags. */
#define HTTP1_F_CLOSE		0x01	/* Connection: close */
#define HTTP1_F_KEEPALIVE	0x02	/* Connection: keep-alive */
#define HTTP1_F_UPGRADE		0x04	/* Connection: upgrade */
#define HTTP1_F_EXPECT_CONTINUE	0x08	/* Expect: 100-continue */
#define HTTP1_F_EXPECT_OTHER	0x10	/* any other expectation: answer 417 */

struct http1_span {
	const char	*p;
	size_t		 len;
};

struct http1_field {
	struct http1_span	name;	/* token, case as sent */
	struct http1_span	value;	/* leading and trailing OWS removed */
};

struct http1_request {
	struct http1_span	method;
	struct http1_span	target;		/* raw request-target */
	enum http1_target_form	form;
	struct http1_span	authority;	/* absolute/authority form, else
						   the Host field value; may be
						   empty (p may be NULL) */
						/* p == NULL: no Host field;
						   len == 0 with p set: an
						   empty Host (origin and
						   asterisk form only) */
	struct http1_span	path;		/* origin/absolute form: path
						   part, raw (not decoded);
						   "*" for asterisk form; empty
						   for authority form */
						/* absolute form without a
						   path ("http://h?q") reads as
						   "/": then p points to a
						   static "/", not into buf */
	struct http1_span	query;		/* after '?', raw; p == NULL
						   when the target has no '?' */
	int			minor;		/* 0 or 1; HTTP/1.2+ is read as 1 */

	struct http1_field	*fields;	/* caller's array, capacity
						   limits->max_fields */
	size_t			nfields;

	enum http1_body		body;
	uint64_t		content_length;	/* HTTP1_BODY_LENGTH only; up
						   to 19 digits, so it may
						   exceed INT64_MAX */
	unsigned int		flags;		/* HTTP1_F_* */
};

/*
 * Parses one request head from buf[0..len).  req->fields must point to an
 * array of lim->max_fields entries.  Leading empty lines are skipped.
 * Returns the number of bytes of the head (including the final empty line
 * and any skipped leading CRLFs) when it is complete and valid,
 * 0 when more bytes are needed, or -STATUS (-400, -414, -431, -501, -505)
 * when the request must be answered with STATUS and the connection closed.
 * On success the body framing (RFC 9112 section 6) has also been checked
 * and req->body, req->content_length and req->flags are set.
 *
 * A prefix of an input gets 0 or the answer of the whole input, and 0 is
 * never returned once max_head bytes besides the request-target are in
 * without a complete head.  The target is bounded by max_target alone, so
 * that an overlong target is 414 even in a head that is also too long
 * (431), and its bytes do not count toward max_head (a head may be
 * max_head plus the target's length).  Leading empty lines count toward
 * max_head.  Only "Transfer-Encoding: chunked" (one field, one coding) is
 * accepted; any other Transfer-Encoding is 501, one together with
 * Content-Length or in an HTTP/1.0 request 400.  A '#' in the target is
 * 400 (RFC 9112 3.2).  lim must not be NULL; after a return <= 0, *req
 * (but for req->fields, the pointer) holds no meaningful values.
 */
ssize_t	http1_parse_request(const char *buf, size_t len, struct http1_request *req,
	    const struct http1_limits *lim);

/* Fills *lim with the HTTP1_DEFAULT_* values. */
void	http1_limits_default(struct http1_limits *lim);

/* Returns the first field named NAME (case-insensitive), or NULL. */
const struct http1_field *http1_find_field(const struct http1_request *req,
	    const char *name);

/* The value of the hex digit c, or -1. */
int	http1_hexval(unsigned char c);

/* Returns 1 when c is a tchar (RFC 9110 section 5.6.2). */
int	http1_is_tchar(unsigned char c);

#endif
