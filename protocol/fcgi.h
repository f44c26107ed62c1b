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
 */
#define FERRY_CLOSE_NOTIFY	64
#define FERRY_HIJACK		65
#define FERRY_HIJACKED		66
#define FERRY_HIJACK_REFUSED	67

#define FERRY_REASON_GONE	1	/* the client went away */
#define FERRY_REASON_PIPELINED	2	/* the client sent the next request */

/* GET_VALUES name and the extension words its value lists, comma-separated. */
#define FERRY_EXTENSIONS	"FERRY_EXTENSIONS"
#define FERRY_EXT_CLOSE_NOTIFY	"close-notify"
#define FERRY_EXT_HIJACK	"hijack"

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
   version is not FCGI_VERSION_1. */
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
 * bad version.  rec->content points into buf.
 */
ssize_t	fcgi_record_parse(const uint8_t *buf, size_t len, struct fcgi_record *rec);

/*
 * Writes the header of a record of type TYPE for request ID carrying len
 * bytes (len <= FCGI_MAX_LENGTH) of content, with the padding that aligns
 * it.  The caller sends out, the content, then fcgi_padding(len) zero bytes
 * (FCGI_PAD has enough).  Returns the padding length.
 */
uint8_t	fcgi_record_header(uint8_t out[FCGI_HEADER_LEN], uint8_t type,
	    uint16_t id, size_t len);
extern const uint8_t FCGI_PAD[8];

/*
 * Splits a stream (STDIN, STDOUT, PARAMS, HIJACKED...) of len bytes into
 * records: returns how many bytes the next record carries (at most
 * FCGI_MAX_LENGTH, rounded down to a multiple of 8 when it is split).
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
 */
ssize_t	fcgi_nv_decode(const uint8_t *buf, size_t len, const char **name,
	    size_t *nlen, const char **value, size_t *vlen);

/* Record bodies. */
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
 * malformed.
 */
int	fcgi_get_values_find(const uint8_t *body, size_t len, const char *name,
	    const char **value, size_t *vlen);

/* Returns 1 when the comma-separated LIST (as in FERRY_EXTENSIONS' value)
   names WORD. */
int	fcgi_list_has(const char *list, size_t len, const char *word);

#endif
