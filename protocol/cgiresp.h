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
	CGIRESP_DOCUMENT,		/* no Location: status and body go to
					   the client */
	CGIRESP_LOCAL_REDIRECT,		/* the block is exactly one line,
					   "Location: /path[?query]": the
					   server re-dispatches and ignores
					   any body */
	CGIRESP_CLIENT_REDIRECT,	/* any other block with a Location */
};

struct cgiresp {
	enum cgiresp_kind	kind;
	int			status;		/* Status: code, else 302 for a
						   client redirect, else 200 */
	struct http1_span	reason;		/* Status: reason phrase; len 0
						   and p NULL when absent or
						   empty */
	struct http1_span	location;	/* p == NULL when absent */
	int64_t			content_length;	/* Content-Length, or -1 */
	struct http1_span	upgrade;	/* the first Upgrade and */
	struct http1_span	connection;	/* Connection fields, dropped
						   from fields but kept here for
						   a 101; p NULL when absent */
	struct http1_field	*fields;	/* caller's array: the fields
						   to pass to the client */
	size_t			nfields;
};

/*
 * Parses the header block at the start of buf[0..len) (lines end in LF or
 * CRLF; the block ends with an empty line).  r->fields must point to an
 * array of max_fields entries.  Status, Location and Content-Length are
 * taken out; hop-by-hop fields the server owns (Connection, Keep-Alive,
 * Transfer-Encoding, Trailer, Upgrade, Proxy-Connection) are dropped, and
 * so are the fields a Connection field names (RFC 9110 section 7.6.1);
 * every other field is kept in order.  Returns the bytes of the block (body
 * starts there), 0 when more is needed, or -1 when the block is malformed or
 * over a limit (the server answers 502).  Never 0 once buf holds max_head
 * bytes.
 *
 * Leniencies and choices (RFC 3875 section 6):
 * - a document without Content-Type is accepted (e.g. for 204 or 304); the
 *   server adds none.  A block needs at least one field line, though.
 * - "Status: 404" (no reason) is accepted; the code must be 100 to 599.
 * - "Location: /path" together with any other field line (Status included)
 *   is a client redirect, with status Status or 302, and its Location goes
 *   to the client as is.  A Location that does not start with '/' (absolute
 *   URI, or a relative reference as RFC 9110 allows) is a client redirect.
 * - Content-Length is 1*DIGIT; a repeat with the same value is accepted.
 * - Rejected: obs-fold, whitespace before ':', a bare CR, CTLs other than
 *   HTAB in values, a repeated Status or Location, an empty Location, more
 *   than max_fields kept fields, a block longer than max_head bytes.
 * On 0 or -1 the contents of *r are unspecified.
 */
ssize_t	cgiresp_parse(const char *buf, size_t len, struct cgiresp *r,
	    size_t max_fields, size_t max_head);

/*
 * What a parsed block's status makes of it (RFC 9110 section 15.2).  An
 * app may precede its response with interim (1xx) blocks; the server
 * passes on a 103, drops a 100 or 102, and reads on for the final block.
 */
enum cgiresp_class {
	CGIRESP_FINAL,		/* 200 to 599: the response */
	CGIRESP_SWITCH,		/* 101 with a well-formed Upgrade: the
				   response, the last on the connection */
	CGIRESP_HINTS,		/* 103 Early Hints: an interim response with
				   fields (Link...), to pass on */
	CGIRESP_DROPPED,	/* 100 or 102: an interim response the server
				   drops (100 Continue is the server's own,
				   102 Processing is obsolete) */
	CGIRESP_BAD_STATUS,	/* any other 1xx; a 101 without an Upgrade
				   that is a non-empty list of protocol
				   (token ["/" token]); a 1xx with
				   Content-Length or Location: the server
				   answers 502 */
};

/* Classifies a block cgiresp_parse() accepted (returned > 0). */
enum cgiresp_class cgiresp_class(const struct cgiresp *r);
/* The class's name, for log lines and tests. */
const char *cgiresp_class_name(enum cgiresp_class c);

/*
 * 1 when every protocol of answer (a 101's Upgrade) is one the client
 * offered in offer (its request's Upgrade), compared ASCII
 * case-insensitively, version included (RFC 9110 section 7.8: a server
 * switches only to a protocol the client indicated); 0 otherwise, and
 * for an answer with no protocol.
 */
int	cgiresp_upgrade_offered(const struct http1_span *offer,
	    const struct http1_span *answer);

#endif
