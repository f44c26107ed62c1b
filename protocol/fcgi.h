/*
 * FastCGI record codec (FastCGI 1.0 specification) and ferry's extension
 * records.  Wire constants come from libfcgi's <fastcgi.h>.  Every field is
 * encoded and decoded byte by byte; no struct is ever cast over a buffer.
 *
 * Record layout (all integers big-endian):
 *
 *   0         1         2         3         4         5         6         7
 *   +---------+---------+---------+---------+---------+---------+---------+---------+
 *   | version |  type   |    request id     |  content length   | padding | reserved|
 *   +---------+---------+---------+---------+---------+---------+---------+---------+
 *   | content (content length bytes) ...    | padding (padding bytes) ...           |
 *   +---------------------------------------+---------------------------------------+
 *
 * The reserved header byte is written as 0 and ignored when read.  Padding
 * may be 0..255 bytes whatever the content length; ferry writes the least
 * padding that aligns the record to 8 bytes.
 *
 * Bodies (content) of the fixed-size records, 8 bytes each:
 *
 *                   0         1         2         3         4         5..7
 *                   +---------+---------+---------+---------+---------+-------------+
 *   BEGIN_REQUEST   |       role        |  flags  |   reserved (5 bytes) ...        |
 *                   +---------+---------+---------+---------+---------+-------------+
 *   END_REQUEST     |              app status               | protocol| reserved (3)|
 *                   +---------+---------+---------+---------+---------+-------------+
 *   UNKNOWN_TYPE    |  type   |   reserved (7 bytes) ...                            |
 *                   +---------+---------+---------+---------+---------+-------------+
 *
 * Name-value pair (PARAMS, GET_VALUES, GET_VALUES_RESULT content), each
 * length either 1 byte (0..127) or 4 bytes with the high bit of the first
 * set (a 31-bit value, 0..0x7fffffff):
 *
 *   | name length (1 or 4) | value length (1 or 4) | name ... | value ... |
 *
 * ferry's extension records, whole (see below for their meaning):
 *
 *   CLOSE_NOTIFY (16 bytes, as fcgi_close_notify_encode() writes it):
 *   +----+----+---------+---------+----+----+----+----+--------+--------------+
 *   | 1  | 64 | request id (2)    | 0  | 1  | 7  | 0  | reason | 0 (7 bytes)  |
 *   +----+----+---------+---------+----+----+----+----+--------+--------------+
 *   HIJACK (8 bytes: a header, no content, no padding):
 *   +----+----+---------+---------+----+----+----+----+
 *   | 1  | 65 | request id (2)    | 0  | 0  | 0  | 0  |
 *   +----+----+---------+---------+----+----+----+----+
 *   HIJACKED: records of type 66 like an FCGI_STDIN stream (see
 *   fcgi_stream_chunk()), ended by an 8-byte record with no content.
 *   HIJACK_REFUSED: one record of type 67, content the reason text.
 *   RETIRE (16 bytes, as fcgi_retire_encode() writes it; request id 0):
 *   +----+----+----+----+----+----+----+----+--------+---------------+-------------+
 *   | 1  | 69 | 0  | 0  | 0  | 5  | 3  | 0  | reason | grace ms (4)  | 0 (3 bytes) |
 *   +----+----+----+----+----+----+----+----+--------+---------------+-------------+
 *   WINDOW (16 bytes, as fcgi_window_encode() writes it):
 *   +----+----+---------+---------+----+----+----+----+-------------------+----+----+----+----+
 *   | 1  | 68 | request id (2)    | 0  | 4  | 4  | 0  | consumed (4)      | 0  | 0  | 0  | 0  |
 *   +----+----+---------+---------+----+----+----+----+-------------------+----+----+----+----+
 */
#ifndef FERRY_PROTOCOL_FCGI_H
#define FERRY_PROTOCOL_FCGI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <fastcgi.h>

/*
 * ferry's extension records.  Types 64 and up are unused by FastCGI 1.0;
 * a master sends them only to workers that announced FERRY_EXTENSIONS in
 * their FCGI_GET_VALUES_RESULT.
 *
 *  FERRY_CLOSE_NOTIFY   master -> worker  content: 1 byte, FERRY_REASON_*
 *  FERRY_HIJACK         worker -> master  content: empty
 *  FERRY_HIJACKED       master -> worker  a stream like FCGI_STDIN: the
 *                       unconsumed client bytes split over records of at
 *                       most FCGI_MAX_LENGTH bytes, ended by an empty
 *                       record; the first record carries the client socket
 *                       as SCM_RIGHTS
 *  FERRY_HIJACK_REFUSED master -> worker  content: reason text (no NUL)
 *  FERRY_RETIRE         master -> worker  request id 0; content: 1 byte
 *                       FERRY_RETIRE_* reason, then 4 bytes big-endian:
 *                       the milliseconds the worker has before it is
 *                       stopped (FERRY_RETIRE_NO_LIMIT: none).  The worker
 *                       gets no more requests: it should end once it is
 *                       done with the client sockets it hijacked.  Sent
 *                       once, only to a worker that announced hijack and
 *                       was handed a socket (libferry speaks it since
 *                       hijack_grace came; an older one answers
 *                       FCGI_UNKNOWN_TYPE).
 *  FERRY_WINDOW         worker -> master  content: 4 bytes, big-endian,
 *                       the STDIN content bytes the app consumed (read,
 *                       discarded or drained) since the last WINDOW of
 *                       the request; never 0, never after END_REQUEST
 *
 * Flow control of STDIN (the "window" extension).  A worker that can hold
 * a fixed number of STDIN content bytes per request ahead of its app
 * announces FERRY_EXT_WINDOW in FERRY_EXTENSIONS and that number as
 * FERRY_STDIN_WINDOW (decimal, 1..FERRY_STDIN_WINDOW_MAX) in the same
 * GET_VALUES_RESULT.  When the master offers "window" in a request's
 * FERRY_EXTENSIONS param, it keeps, for that request, the STDIN content
 * bytes it sent minus those the worker acknowledged with WINDOW records
 * at or below the window, and sends more as acknowledgements come (as
 * HTTP/2's WINDOW_UPDATE).  So the worker never has to stop reading
 * records for want of room, and a CLOSE_NOTIFY behind the body reaches it
 * at once.  Acknowledgements are batched (libferry sends one per quarter
 * window consumed); an empty STDIN record, padding and headers are not
 * counted.  A worker without the extension gets STDIN unbounded, as any
 * FastCGI app.
 */
#define FERRY_CLOSE_NOTIFY	64
#define FERRY_HIJACK		65
#define FERRY_HIJACKED		66
#define FERRY_HIJACK_REFUSED	67
#define FERRY_RETIRE		69
#define FERRY_WINDOW		68

#define FERRY_REASON_GONE	1	/* the client went away */
#define FERRY_REASON_PIPELINED	2	/* the client sent the next request */

/* FERRY_RETIRE reasons (a worker treats others as RECYCLE). */
#define FERRY_RETIRE_RECYCLE	1	/* max_requests, isolation = request */
#define FERRY_RETIRE_IDLE	2	/* idle_timeout */
#define FERRY_RETIRE_STOP	3	/* the server stops */
#define FERRY_RETIRE_RELOAD	4	/* a reload replaced the app's pool */
#define FERRY_RETIRE_NO_LIMIT	0xffffffffU	/* grace: none */

/*
 * HIJACK_REFUSED reason texts.  The word before the colon is for programs
 * (libferry maps it to an errno), the rest for people.
 */
#define FERRY_REFUSED_GONE	"gone: the client is gone"
#define FERRY_REFUSED_TWICE	"hijacked: the request was hijacked already"
#define FERRY_REFUSED_STALE	"stale: not the worker's current request"
#define FERRY_REFUSED_COMPLETE	"complete: the response is complete"
#define FERRY_REFUSED_SPOOLED	"spooled: the request body went to a temporary file"

/*
 * PARAMS ferryd adds for a worker that announced FERRY_EXTENSIONS: the
 * extensions it offers for this request (same syntax as the GET_VALUES
 * answer; "window" when it keeps this request's STDIN within the
 * worker's window), and, when STDIN carries the request body still in the chunked
 * coding (raw, as the client sent it, so that a hijack can hand the rest
 * over exactly), FERRY_STDIN_CHUNKED=1; no CONTENT_LENGTH is sent then.
 */
#define FERRY_PARAM_EXTENSIONS	"FERRY_EXTENSIONS"
#define FERRY_PARAM_CHUNKED	"FERRY_STDIN_CHUNKED"

/* The whole CLOSE_NOTIFY record: header, 1 byte reason, 7 bytes padding. */
#define FERRY_CLOSE_NOTIFY_LEN	16
/* The whole RETIRE record: header, 5 bytes content, 3 bytes padding. */
#define FERRY_RETIRE_LEN	16
#define FERRY_RETIRE_CONTENT	5
/* The whole WINDOW record: header, 4 bytes count, 4 bytes padding. */
#define FERRY_WINDOW_LEN	16

/* The largest record: header, FCGI_MAX_LENGTH content, 255 padding. */
#define FCGI_RECORD_MAX_LEN	(FCGI_HEADER_LEN + FCGI_MAX_LENGTH + 255)

/* The largest name or value length a pair can carry. */
#define FCGI_NV_MAX_LEN		0x7fffffffU

/* GET_VALUES name and the extension words its value lists, comma-separated. */
#define FERRY_EXTENSIONS	"FERRY_EXTENSIONS"
#define FERRY_EXT_CLOSE_NOTIFY	"close-notify"
#define FERRY_EXT_HIJACK	"hijack"
#define FERRY_EXT_WINDOW	"window"
/* GET_VALUES name: the STDIN window a "window" worker grants per request. */
#define FERRY_STDIN_WINDOW	"FERRY_STDIN_WINDOW"
#define FERRY_STDIN_WINDOW_MAX	(64U * 1024 * 1024)

struct fcgi_header {
	uint8_t		version;
	uint8_t		type;
	uint16_t	request_id;
	uint16_t	content_length;
	uint8_t		padding_length;
};

/* Encodes h into out[0..FCGI_HEADER_LEN). */
void	fcgi_header_encode(uint8_t out[FCGI_HEADER_LEN], const struct fcgi_header *h);
/* Decodes in[0..FCGI_HEADER_LEN) into *h.  Returns 0, or -1 when the
   version is not FCGI_VERSION_1 (*h is filled in either case). */
int	fcgi_header_decode(const uint8_t in[FCGI_HEADER_LEN], struct fcgi_header *h);

/* Padding that aligns a record of content length len to 8 bytes. */
uint8_t	fcgi_padding(size_t len);

struct fcgi_record {
	struct fcgi_header	 h;
	const uint8_t		*content;	/* points into the input */
};

/*
 * Parses one whole record from buf[0..len).  Returns the bytes it spans
 * (header + content + padding), 0 when more bytes are needed, or -1 on a
 * bad version.  rec->content points into buf.  A record counts only once
 * its padding is buffered too: until then the result is 0, even when the
 * content is complete.  The version is checked as soon as buf[0] is there,
 * so a bad version is -1 from len 1 on.  Any type is accepted; the caller
 * answers types it does not know with UNKNOWN_TYPE.  *rec is set only
 * when a record is returned.
 */
ssize_t	fcgi_record_parse(const uint8_t *buf, size_t len, struct fcgi_record *rec);

/*
 * Writes the header of a record of type TYPE for request ID carrying len
 * bytes (len <= FCGI_MAX_LENGTH, asserted) of content, with the padding
 * that aligns it.  The caller sends out, the content, then fcgi_padding(len)
 * zero bytes (FCGI_PAD has enough).  Returns the padding length.
 */
uint8_t	fcgi_record_header(uint8_t out[FCGI_HEADER_LEN], uint8_t type,
	    uint16_t id, size_t len);
extern const uint8_t FCGI_PAD[8];

/*
 * Splits a stream (STDIN, STDOUT, PARAMS, HIJACKED...) of len bytes into
 * records: returns how many bytes the next record carries.  That is len
 * when len <= FCGI_MAX_LENGTH (the last record, padded as usual), else
 * 65528 (FCGI_MAX_LENGTH rounded down to a multiple of 8), so that every
 * record but the last needs no padding.  0 for 0: the stream's end record.
 */
size_t	fcgi_stream_chunk(size_t len);

/* Name-value pairs (section 3.4): lengths < 128 in 1 byte, else 4 bytes
   with the high bit set. */

/* Bytes the encoded pair takes, or 0 when a length exceeds 0x7fffffff. */
size_t	fcgi_nv_size(size_t nlen, size_t vlen);
/* Encodes a pair into out; returns its size or 0 when cap is too small
   or a length is too large. */
size_t	fcgi_nv_encode(uint8_t *out, size_t cap, const char *name, size_t nlen,
	    const char *value, size_t vlen);
/*
 * Decodes one pair from buf[0..len), which is the content of one or more
 * records: returns the bytes it spans, 0 when the pair does not end within
 * len, or -1 when a length is malformed.  name and value point into buf.
 * Every length the two forms can express is valid (a 4-byte form of a
 * length under 128 too), so -1 is not returned today; a caller holding the
 * whole body must take 0 as a truncated, hence malformed, body.  The
 * outputs are set only when a pair is returned.
 */
ssize_t	fcgi_nv_decode(const uint8_t *buf, size_t len, const char **name,
	    size_t *nlen, const char **value, size_t *vlen);

/* Record bodies.  Encoders zero the reserved bytes; decoders ignore them
   and return 0, or -1 when len is not exactly the body's length. */
#define FCGI_BEGIN_REQUEST_LEN	8
#define FCGI_END_REQUEST_LEN	8
#define FCGI_UNKNOWN_TYPE_LEN	8

void	fcgi_begin_request_encode(uint8_t out[FCGI_BEGIN_REQUEST_LEN],
	    uint16_t role, uint8_t flags);
/* Returns 0, or -1 when len is not FCGI_BEGIN_REQUEST_LEN. */
int	fcgi_begin_request_decode(const uint8_t *in, size_t len, uint16_t *role,
	    uint8_t *flags);
void	fcgi_end_request_encode(uint8_t out[FCGI_END_REQUEST_LEN],
	    uint32_t app_status, uint8_t protocol_status);
int	fcgi_end_request_decode(const uint8_t *in, size_t len, uint32_t *app_status,
	    uint8_t *protocol_status);
void	fcgi_unknown_type_encode(uint8_t out[FCGI_UNKNOWN_TYPE_LEN], uint8_t type);
int	fcgi_unknown_type_decode(const uint8_t *in, size_t len, uint8_t *type);

/*
 * GET_VALUES / GET_VALUES_RESULT bodies are name-value pairs (empty values
 * in the query).  fcgi_get_values_find() looks NAME up in such a body:
 * returns 1 and sets value/vlen when found, 0 when not, -1 when the body is
 * malformed (a pair runs past len).  The whole body is checked first, so the
 * answer does not depend on where the name is; the first pair named NAME
 * (compared byte for byte, case-sensitive) wins.
 */
int	fcgi_get_values_find(const uint8_t *body, size_t len, const char *name,
	    const char **value, size_t *vlen);

/* Returns 1 when the comma-separated list[0..len) (as in FERRY_EXTENSIONS'
   value) names WORD, else 0.  Spaces and tabs around each element and empty
   elements are ignored; words compare case-sensitively; "" is never named. */
int	fcgi_list_has(const char *list, size_t len, const char *word);

/* Writes a whole CLOSE_NOTIFY record (layout above) for request ID. */
void	fcgi_close_notify_encode(uint8_t out[FERRY_CLOSE_NOTIFY_LEN],
	    uint16_t id, uint8_t reason);
/* Decodes a CLOSE_NOTIFY content: returns 0, or -1 when len is not 1.  The
   reason is not checked: a worker ignores reasons it does not know. */
int	fcgi_close_notify_decode(const uint8_t *in, size_t len, uint8_t *reason);

/* Writes a whole RETIRE record (layout above, request id 0). */
void	fcgi_retire_encode(uint8_t out[FERRY_RETIRE_LEN], uint8_t reason,
	    uint32_t grace_ms);
/* Decodes a RETIRE content: returns 0, or -1 when len is not
   FERRY_RETIRE_CONTENT.  Neither field is checked. */
int	fcgi_retire_decode(const uint8_t *in, size_t len, uint8_t *reason,
	    uint32_t *grace_ms);
/* Writes a whole WINDOW record (layout above) for request ID
   acknowledging count bytes. */
void	fcgi_window_encode(uint8_t out[FERRY_WINDOW_LEN], uint16_t id,
	    uint32_t count);
/* Decodes a WINDOW content: returns 0, or -1 when len is not 4 or the
   count is 0. */
int	fcgi_window_decode(const uint8_t *in, size_t len, uint32_t *count);
/* Parses a FERRY_STDIN_WINDOW value v[0..len): decimal digits only, no
   sign, no spaces, 1..FERRY_STDIN_WINDOW_MAX.  Returns the window, or 0
   when the value is not one. */
uint32_t fcgi_window_parse(const char *v, size_t len);

#endif
