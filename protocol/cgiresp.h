/*
 * CGI response header block parser (RFC 3875 section 6), shared by CGI
 * scripts and FastCGI workers (whose STDOUT carries the same format).
 * Pure: spans point into the caller's buffer.
 */
#ifndef FERRY_PROTOCOL_CGIRESP_H
#define FERRY_PROTOCOL_CGIRESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol/http1.h"

#define CGIRESP_DEFAULT_MAX_HEAD	(16 * 1024)
#define CGIRESP_DEFAULT_MAX_FIELDS	100

enum cgiresp_kind {
	CGIRESP_DOCUMENT,		/* Content-Type and a body */
	CGIRESP_LOCAL_REDIRECT,		/* Location: /path, nothing else:
					   the server re-dispatches */
	CGIRESP_CLIENT_REDIRECT,	/* Location: absolute URI */
};

struct cgiresp {
	enum cgiresp_kind	kind;
	int			status;		/* Status: code, else 302 for a
						   client redirect, else 200 */
	struct http1_span	reason;		/* Status: reason phrase; len 0
						   when absent */
	struct http1_span	location;	/* p == NULL when absent */
	int64_t			content_length;	/* Content-Length, or -1 */
	struct http1_field	*fields;	/* caller's array: the fields
						   to pass to the client */
	size_t			nfields;
};

/*
 * Parses the header block at the start of buf[0..len) (lines end in LF or
 * CRLF; the block ends with an empty line).  r->fields must point to an
 * array of max_fields entries.  Status, Location and Content-Length are
 * taken out; hop-by-hop fields the server owns (Connection, Keep-Alive,
 * Transfer-Encoding, Trailer, Upgrade) are dropped; every other field is
 * kept in order.  Returns the bytes of the block (body starts there), 0
 * when more is needed, or -1 when the block is malformed or over a limit
 * (the server answers 502).
 */
ssize_t	cgiresp_parse(const char *buf, size_t len, struct cgiresp *r,
	    size_t max_fields, size_t max_head);

#endif
