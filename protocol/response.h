/*
 * HTTP/1.1 response head writer, framing decision and chunk framing.
 * Pure: writes into caller-provided buffers.
 */
#ifndef FERRY_PROTOCOL_RESPONSE_H
#define FERRY_PROTOCOL_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RESPONSE_DATE_LEN	29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* A cached IMF-fixdate, refreshed at most once a second. */
struct response_date {
	time_t	when;
	char	text[RESPONSE_DATE_LEN + 1];
};

/*
 * Updates d for time now when the second changed (a zeroed d is empty) and
 * returns d->text, NUL-terminated.  A time whose year is not 0..9999 gives
 * the epoch's date.
 */
const char *response_date(struct response_date *d, time_t now);

/*
 * Reason phrase for a status code: RFC 9110 section 15, plus 103, 428, 429,
 * 431, 451 and 511; "Unknown" for codes it does not know.  Static storage.
 */
const char *response_reason(int status);

enum response_framing {
	RESPONSE_NO_BODY,	/* HEAD, 1xx, 204, 304: no body bytes follow */
	RESPONSE_LENGTH,	/* Content-Length */
	RESPONSE_CHUNKED,	/* Transfer-Encoding: chunked (1.1 only) */
	RESPONSE_CLOSE,		/* body ends when the connection closes */
};

struct response_head {
	int		status;
	int		minor;		/* client's HTTP minor version: 0 or 1 */
	int		head_request;	/* request method was HEAD */
	int		keep_alive;	/* in: caller wants keep-alive;
					   out: whether the connection stays */
	int64_t		content_length;	/* known body length, or -1 */
	enum response_framing framing;	/* out */
};

/*
 * Decides the framing for h and whether the connection can be kept:
 * 1xx, 204, 304 and HEAD get NO_BODY; otherwise a known length gives
 * Content-Length, an unknown one chunked for HTTP/1.1 or close-delimited
 * (keep_alive cleared) for HTTP/1.0.  Sets h->framing and may clear
 * h->keep_alive; never sets it.
 */
void	response_frame(struct response_head *h);

/*
 * Writes the status line (always HTTP/1.1), Date (omitted when date is
 * NULL), the framing field (Content-Length or Transfer-Encoding),
 * Connection when it is needed, then the caller's header block EXTRA
 * (complete "Name: value\r\n" lines, may be empty) and the final CRLF into
 * out.  Call response_frame() first.  Returns the bytes written, or 0 when
 * cap is too small or status is not 100..599; never writes past cap, but
 * may have written a part when it returns 0.  Not NUL-terminated.
 *
 * A HEAD response keeps Content-Length when content_length is known (the
 * length a GET would have, RFC 9110 section 8.6) unless the status is 1xx,
 * 204 or 304: those never get Content-Length.  1xx responses (101 too) get
 * no Connection field of ours: put "Connection: Upgrade" in EXTRA.
 * Connection: close is written whenever keep_alive is 0 (HTTP/1.0 too:
 * RFC 9112 section 9.6), Connection: keep-alive for HTTP/1.0 with it.
 */
size_t	response_write_head(char *out, size_t cap, const struct response_head *h,
	    const char *date, const char *extra, size_t extra_len);

#define CHUNK_HEADER_MAX	20	/* 16 hex digits + CRLF, and slack */

/*
 * Writes the chunk-size line "hex\r\n" (lowercase, no leading zeros) for a
 * chunk of len > 0 bytes, NUL-terminated; returns its length without NUL.
 */
size_t	chunk_header(char out[CHUNK_HEADER_MAX], size_t len);

#define CHUNK_TRAILER		"\r\n"		/* after each chunk's data */
#define CHUNK_LAST		"0\r\n\r\n"	/* last chunk, no trailers */

#endif
