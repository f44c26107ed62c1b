#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/chunked.h"
#include "protocol/http1.h"

/*
 * The chunked body (RFC 9112 section 7.1), as this decoder accepts it:
 *
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG                  (<= 16 significant digits)
 *   chunk-ext    = *( ";" ext-name [ "=" ext-val ] )   (no BWS)
 *   ext-val      = token / quoted-string
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *   trailer      = *( field-name ":" field-value CRLF ) CRLF
 *
 *   "5;a=b\r\n" "hello" "\r\n" "0\r\n" "X: y\r\n" "\r\n"
 *   |size|ext|   |data|   |CRLF| |last| |trailer| |end|
 *
 * Each state names the next byte the decoder expects.  The states before
 * CHUNKED_S_DATA keep the size being read in d->remaining and the count of
 * its digits in d->count; the extension states count extension bytes in
 * d->count; the trailer states count trailer bytes in d->count.
 */
enum chunked_state {
	CHUNKED_S_SIZE = 0,	/* hex digits of chunk-size (0 must be 0) */
	CHUNKED_S_EXT_NAME0,	/* first byte of an extension name */
	CHUNKED_S_EXT_NAME,	/* rest of an extension name */
	CHUNKED_S_EXT_VAL0,	/* first byte of an extension value */
	CHUNKED_S_EXT_TOKEN,	/* rest of a token value */
	CHUNKED_S_EXT_QUOTED,	/* inside a quoted-string value */
	CHUNKED_S_EXT_QPAIR,	/* byte after a backslash in it */
	CHUNKED_S_EXT_QEND,	/* after the closing quote */
	CHUNKED_S_SIZE_LF,	/* LF ending the chunk-size line */
	CHUNKED_S_DATA,		/* chunk-data, d->remaining bytes left */
	CHUNKED_S_DATA_CR,	/* CR after chunk-data */
	CHUNKED_S_DATA_LF,	/* LF after chunk-data */
	CHUNKED_S_TR_LINE,	/* start of a trailer line (or final CRLF) */
	CHUNKED_S_TR_NAME,	/* rest of a trailer field name */
	CHUNKED_S_TR_VALUE,	/* trailer field value */
	CHUNKED_S_TR_LF,	/* LF ending a trailer field line */
	CHUNKED_S_END_LF,	/* LF of the final empty line */
	CHUNKED_S_DONE,		/* body ended */
	CHUNKED_S_ERROR,	/* malformed: every call fails */
	CHUNKED_S_TOO_LARGE,	/* over d->max: every call fails (413) */
};

static void	chunked_set_state(struct chunked_dec *, enum chunked_state);
static int	chunked_isqdtext(unsigned char);
static int	chunked_isfieldvchar(unsigned char);
static int	chunked_byte(struct chunked_dec *, unsigned char);

void
chunked_init(struct chunked_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->state = CHUNKED_S_SIZE;
}

void
chunked_set_max(struct chunked_dec *d, uint64_t max)
{
	d->limited = 1;
	d->max = max;
}

const char *
chunked_state_name(int state)
{
	switch (state) {
	case CHUNKED_S_SIZE:		return "size";
	case CHUNKED_S_EXT_NAME0:	return "ext-name0";
	case CHUNKED_S_EXT_NAME:	return "ext-name";
	case CHUNKED_S_EXT_VAL0:	return "ext-val0";
	case CHUNKED_S_EXT_TOKEN:	return "ext-token";
	case CHUNKED_S_EXT_QUOTED:	return "ext-quoted";
	case CHUNKED_S_EXT_QPAIR:	return "ext-qpair";
	case CHUNKED_S_EXT_QEND:	return "ext-qend";
	case CHUNKED_S_SIZE_LF:		return "size-lf";
	case CHUNKED_S_DATA:		return "data";
	case CHUNKED_S_DATA_CR:		return "data-cr";
	case CHUNKED_S_DATA_LF:		return "data-lf";
	case CHUNKED_S_TR_LINE:		return "trailer-line";
	case CHUNKED_S_TR_NAME:		return "trailer-name";
	case CHUNKED_S_TR_VALUE:	return "trailer-value";
	case CHUNKED_S_TR_LF:		return "trailer-lf";
	case CHUNKED_S_END_LF:		return "end-lf";
	case CHUNKED_S_DONE:		return "done";
	case CHUNKED_S_ERROR:		return "error";
	case CHUNKED_S_TOO_LARGE:	return "too-large";
	}
	return "unknown";
}

static void
chunked_set_state(struct chunked_dec *d, enum chunked_state s)
{
	d->state = s;
	if (s == CHUNKED_S_DONE)
		d->done = 1;
}

/* qdtext (RFC 9110 section 5.6.4); obs-text included. */
static int
chunked_isqdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 ||
	    (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/* A byte of a field value: HTAB, SP, VCHAR or obs-text. */
static int
chunked_isfieldvchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80;
}

/*
 * Feeds one framing byte c (any state but DATA, DONE, ERROR, TOO_LARGE).
 * Returns 0, -1 when c is not allowed there, or -2 when it makes the body
 * announce more than its max data bytes.
 */
static int
chunked_byte(struct chunked_dec *d, unsigned char c)
{
	int	 v;

	switch (d->state) {
	case CHUNKED_S_SIZE:
		if ((v = http1_hexval(c)) >= 0) {
			if (d->count >= CHUNKED_MAX_DIGITS ||
			    d->remaining > (UINT64_MAX >> 4))
				return -1;
			d->remaining = (d->remaining << 4) | (uint64_t)v;
			d->count++;
			/* More digits only make it larger: judge it now. */
			if (d->limited && d->remaining > d->max - d->announced)
				return -2;
			return 0;
		}
		if (d->count == 0)
			return -1;
		if (c == ';') {
			d->count = 1;
			chunked_set_state(d, CHUNKED_S_EXT_NAME0);
			return 0;
		}
		if (c == '\r') {
			chunked_set_state(d, CHUNKED_S_SIZE_LF);
			return 0;
		}
		return -1;
	case CHUNKED_S_EXT_NAME0:
	case CHUNKED_S_EXT_NAME:
	case CHUNKED_S_EXT_VAL0:
	case CHUNKED_S_EXT_TOKEN:
	case CHUNKED_S_EXT_QUOTED:
	case CHUNKED_S_EXT_QPAIR:
	case CHUNKED_S_EXT_QEND:
		/* Every extension byte is counted, the CR ending them not. */
		if (c != '\r' && ++d->count > CHUNKED_MAX_EXT)
			return -1;
		break;
	case CHUNKED_S_TR_LINE:
		/* Every field line byte is counted, the final CRLF not. */
		if (c == '\r')
			break;
		/* FALLTHROUGH */
	case CHUNKED_S_TR_NAME:
	case CHUNKED_S_TR_VALUE:
	case CHUNKED_S_TR_LF:
		if (++d->count > CHUNKED_MAX_TRAILER)
			return -1;
		break;
	default:
		break;
	}

	switch (d->state) {
	case CHUNKED_S_EXT_NAME0:
		if (!http1_is_tchar(c))
			return -1;
		chunked_set_state(d, CHUNKED_S_EXT_NAME);
		return 0;
	case CHUNKED_S_EXT_NAME:
	case CHUNKED_S_EXT_TOKEN:
		if (http1_is_tchar(c))
			return 0;
		if (c == '=' && d->state == CHUNKED_S_EXT_NAME) {
			chunked_set_state(d, CHUNKED_S_EXT_VAL0);
			return 0;
		}
		break;
	case CHUNKED_S_EXT_VAL0:
		if (http1_is_tchar(c)) {
			chunked_set_state(d, CHUNKED_S_EXT_TOKEN);
			return 0;
		}
		if (c == '"') {
			chunked_set_state(d, CHUNKED_S_EXT_QUOTED);
			return 0;
		}
		return -1;
	case CHUNKED_S_EXT_QUOTED:
		if (c == '"')
			chunked_set_state(d, CHUNKED_S_EXT_QEND);
		else if (c == '\\')
			chunked_set_state(d, CHUNKED_S_EXT_QPAIR);
		else if (!chunked_isqdtext(c))
			return -1;
		return 0;
	case CHUNKED_S_EXT_QPAIR:
		/* quoted-pair: HTAB, SP, VCHAR, obs-text. */
		if (!chunked_isfieldvchar(c))
			return -1;
		chunked_set_state(d, CHUNKED_S_EXT_QUOTED);
		return 0;
	case CHUNKED_S_EXT_QEND:
		break;
	case CHUNKED_S_SIZE_LF:
		if (c != '\n')
			return -1;
		d->count = 0;
		if (d->limited)
			d->announced += d->remaining;	/* <= max: checked */
		if (d->remaining == 0)
			chunked_set_state(d, CHUNKED_S_TR_LINE);
		else
			chunked_set_state(d, CHUNKED_S_DATA);
		return 0;
	case CHUNKED_S_DATA_CR:
		if (c != '\r')
			return -1;
		chunked_set_state(d, CHUNKED_S_DATA_LF);
		return 0;
	case CHUNKED_S_DATA_LF:
		if (c != '\n')
			return -1;
		d->count = 0;
		d->remaining = 0;
		chunked_set_state(d, CHUNKED_S_SIZE);
		return 0;
	case CHUNKED_S_TR_LINE:
		if (c == '\r') {
			chunked_set_state(d, CHUNKED_S_END_LF);
			return 0;
		}
		/* A leading SP or HTAB would be obs-fold or bad whitespace. */
		if (!http1_is_tchar(c))
			return -1;
		chunked_set_state(d, CHUNKED_S_TR_NAME);
		return 0;
	case CHUNKED_S_TR_NAME:
		if (http1_is_tchar(c))
			return 0;
		if (c != ':')
			return -1;
		chunked_set_state(d, CHUNKED_S_TR_VALUE);
		return 0;
	case CHUNKED_S_TR_VALUE:
		if (chunked_isfieldvchar(c))
			return 0;
		if (c != '\r')
			return -1;
		chunked_set_state(d, CHUNKED_S_TR_LF);
		return 0;
	case CHUNKED_S_TR_LF:
		if (c != '\n')
			return -1;
		chunked_set_state(d, CHUNKED_S_TR_LINE);
		return 0;
	case CHUNKED_S_END_LF:
		if (c != '\n')
			return -1;
		chunked_set_state(d, CHUNKED_S_DONE);
		return 0;
	default:
		return -1;
	}

	/* After an extension name, token value or quoted-string value. */
	if (c == ';') {
		chunked_set_state(d, CHUNKED_S_EXT_NAME0);
		return 0;
	}
	if (c == '\r') {
		chunked_set_state(d, CHUNKED_S_SIZE_LF);
		return 0;
	}
	return -1;
}

ssize_t
chunked_decode(struct chunked_dec *d, const char *buf, size_t len,
    const char **data, size_t *data_len)
{
	size_t	 i, n;
	int	 r;

	*data = NULL;
	*data_len = 0;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	for (i = 0; i < len; i++) {
		switch (d->state) {
		case CHUNKED_S_DONE:
			return (ssize_t)i;
		case CHUNKED_S_ERROR:
			return -400;
		case CHUNKED_S_TOO_LARGE:
			return -413;
		case CHUNKED_S_DATA:
			n = len - i;
			if (d->remaining < n)
				n = (size_t)d->remaining;
			d->remaining -= n;
			if (d->remaining == 0)
				chunked_set_state(d, CHUNKED_S_DATA_CR);
			*data = buf + i;
			*data_len = n;
			return (ssize_t)(i + n);
		default:
			if ((r = chunked_byte(d, (unsigned char)buf[i])) == -2) {
				chunked_set_state(d, CHUNKED_S_TOO_LARGE);
				return -413;
			}
			if (r == -1) {
				chunked_set_state(d, CHUNKED_S_ERROR);
				return -400;
			}
			break;
		}
	}
	if (d->state == CHUNKED_S_ERROR)
		return -400;
	if (d->state == CHUNKED_S_TOO_LARGE)
		return -413;
	return (ssize_t)len;
}
