#include "config.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "protocol/fcgi.h"

/* The largest multiple of 8 a record can carry: a split stream's records
   need no padding. */
#define FCGI_STREAM_CHUNK	(FCGI_MAX_LENGTH & ~(size_t)7)

static void	fcgi_put16(uint8_t *, uint16_t);
static uint16_t	fcgi_get16(const uint8_t *);
static void	fcgi_put32(uint8_t *, uint32_t);
static uint32_t	fcgi_get32(const uint8_t *);
static size_t	fcgi_nv_len_size(size_t);
static size_t	fcgi_nv_len_put(uint8_t *, size_t);
static size_t	fcgi_nv_len_get(const uint8_t *, size_t, size_t *);
static int	fcgi_is_space(char);

const uint8_t FCGI_PAD[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };

static void
fcgi_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
fcgi_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void
fcgi_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
fcgi_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
fcgi_header_encode(uint8_t out[FCGI_HEADER_LEN], const struct fcgi_header *h)
{
	out[0] = h->version;
	out[1] = h->type;
	fcgi_put16(out + 2, h->request_id);
	fcgi_put16(out + 4, h->content_length);
	out[6] = h->padding_length;
	out[7] = 0;
}

int
fcgi_header_decode(const uint8_t in[FCGI_HEADER_LEN], struct fcgi_header *h)
{
	h->version = in[0];
	h->type = in[1];
	h->request_id = fcgi_get16(in + 2);
	h->content_length = fcgi_get16(in + 4);
	h->padding_length = in[6];
	return h->version == FCGI_VERSION_1 ? 0 : -1;
}

uint8_t
fcgi_padding(size_t len)
{
	return (uint8_t)((8 - (len & 7)) & 7);
}

ssize_t
fcgi_record_parse(const uint8_t *buf, size_t len, struct fcgi_record *rec)
{
	struct fcgi_header	h;
	size_t			span;

	if (len >= 1 && buf[0] != FCGI_VERSION_1)
		return -1;
	if (len < FCGI_HEADER_LEN)
		return 0;
	if (fcgi_header_decode(buf, &h) == -1)
		return -1;
	span = FCGI_HEADER_LEN + (size_t)h.content_length + h.padding_length;
	if (len < span)
		return 0;
	rec->h = h;
	rec->content = buf + FCGI_HEADER_LEN;
	return (ssize_t)span;
}

uint8_t
fcgi_record_header(uint8_t out[FCGI_HEADER_LEN], uint8_t type, uint16_t id,
    size_t len)
{
	struct fcgi_header	h;

	assert(len <= FCGI_MAX_LENGTH);
	h.version = FCGI_VERSION_1;
	h.type = type;
	h.request_id = id;
	h.content_length = (uint16_t)len;
	h.padding_length = fcgi_padding(len);
	fcgi_header_encode(out, &h);
	return h.padding_length;
}

size_t
fcgi_stream_chunk(size_t len)
{
	return len <= FCGI_MAX_LENGTH ? len : FCGI_STREAM_CHUNK;
}

/* Bytes the length field of a name or value of length len takes. */
static size_t
fcgi_nv_len_size(size_t len)
{
	return len < 128 ? 1 : 4;
}

/* Writes length len (<= FCGI_NV_MAX_LEN) in its shortest form. */
static size_t
fcgi_nv_len_put(uint8_t *p, size_t len)
{
	if (len < 128) {
		p[0] = (uint8_t)len;
		return 1;
	}
	fcgi_put32(p, (uint32_t)len | 0x80000000U);
	return 4;
}

/* Reads a length field from p[0..avail): returns its size, 0 when it does
   not fit in avail. */
static size_t
fcgi_nv_len_get(const uint8_t *p, size_t avail, size_t *len)
{
	if (avail < 1)
		return 0;
	if ((p[0] & 0x80) == 0) {
		*len = p[0];
		return 1;
	}
	if (avail < 4)
		return 0;
	*len = fcgi_get32(p) & FCGI_NV_MAX_LEN;
	return 4;
}

size_t
fcgi_nv_size(size_t nlen, size_t vlen)
{
	size_t	head;

	if (nlen > FCGI_NV_MAX_LEN || vlen > FCGI_NV_MAX_LEN)
		return 0;
	head = fcgi_nv_len_size(nlen) + fcgi_nv_len_size(vlen);
	/* Two 31-bit lengths overflow a 32-bit size_t. */
	if (nlen > SIZE_MAX - head || vlen > SIZE_MAX - head - nlen)
		return 0;
	return head + nlen + vlen;
}

size_t
fcgi_nv_encode(uint8_t *out, size_t cap, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	size_t	size, off;

	size = fcgi_nv_size(nlen, vlen);
	if (size == 0 || size > cap)
		return 0;
	off = fcgi_nv_len_put(out, nlen);
	off += fcgi_nv_len_put(out + off, vlen);
	if (nlen > 0)
		memcpy(out + off, name, nlen);
	off += nlen;
	if (vlen > 0)
		memcpy(out + off, value, vlen);
	return size;
}

ssize_t
fcgi_nv_decode(const uint8_t *buf, size_t len, const char **name,
    size_t *nlen, const char **value, size_t *vlen)
{
	size_t	off, n, nl, vl;

	/* Each step compares against what is left, so nothing overflows. */
	if ((n = fcgi_nv_len_get(buf, len, &nl)) == 0)
		return 0;
	off = n;
	if ((n = fcgi_nv_len_get(buf + off, len - off, &vl)) == 0)
		return 0;
	off += n;
	if (nl > len - off)
		return 0;
	if (vl > len - off - nl)
		return 0;
	*name = (const char *)(buf + off);
	*nlen = nl;
	*value = (const char *)(buf + off + nl);
	*vlen = vl;
	/* At most 8 + 2 * 0x7fffffff: fits, as off + nl + vl <= len. */
	return (ssize_t)(off + nl + vl);
}

void
fcgi_begin_request_encode(uint8_t out[FCGI_BEGIN_REQUEST_LEN], uint16_t role,
    uint8_t flags)
{
	memset(out, 0, FCGI_BEGIN_REQUEST_LEN);
	fcgi_put16(out, role);
	out[2] = flags;
}

int
fcgi_begin_request_decode(const uint8_t *in, size_t len, uint16_t *role,
    uint8_t *flags)
{
	if (len != FCGI_BEGIN_REQUEST_LEN)
		return -1;
	*role = fcgi_get16(in);
	*flags = in[2];
	return 0;
}

void
fcgi_end_request_encode(uint8_t out[FCGI_END_REQUEST_LEN], uint32_t app_status,
    uint8_t protocol_status)
{
	memset(out, 0, FCGI_END_REQUEST_LEN);
	fcgi_put32(out, app_status);
	out[4] = protocol_status;
}

int
fcgi_end_request_decode(const uint8_t *in, size_t len, uint32_t *app_status,
    uint8_t *protocol_status)
{
	if (len != FCGI_END_REQUEST_LEN)
		return -1;
	*app_status = fcgi_get32(in);
	*protocol_status = in[4];
	return 0;
}

void
fcgi_unknown_type_encode(uint8_t out[FCGI_UNKNOWN_TYPE_LEN], uint8_t type)
{
	memset(out, 0, FCGI_UNKNOWN_TYPE_LEN);
	out[0] = type;
}

int
fcgi_unknown_type_decode(const uint8_t *in, size_t len, uint8_t *type)
{
	if (len != FCGI_UNKNOWN_TYPE_LEN)
		return -1;
	*type = in[0];
	return 0;
}

int
fcgi_get_values_find(const uint8_t *body, size_t len, const char *name,
    const char **value, size_t *vlen)
{
	const char	*n, *v, *fv = NULL;
	size_t		 off, nl, vl, fvl = 0, want;
	ssize_t		 r;
	int		 found = 0;

	want = strlen(name);
	for (off = 0; off < len; off += (size_t)r) {
		r = fcgi_nv_decode(body + off, len - off, &n, &nl, &v, &vl);
		if (r <= 0)
			return -1;
		if (!found && nl == want && memcmp(n, name, want) == 0) {
			found = 1;
			fv = v;
			fvl = vl;
		}
	}
	if (found) {
		*value = fv;
		*vlen = fvl;
	}
	return found;
}

static int
fcgi_is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
fcgi_list_has(const char *list, size_t len, const char *word)
{
	size_t	wlen, i, start, end;

	wlen = strlen(word);
	if (wlen == 0)
		return 0;
	i = 0;
	while (i < len) {
		/* One element: list[start..end) without its spaces. */
		while (i < len && fcgi_is_space(list[i]))
			i++;
		start = i;
		while (i < len && list[i] != ',')
			i++;
		end = i;
		while (end > start && fcgi_is_space(list[end - 1]))
			end--;
		if (end - start == wlen && memcmp(list + start, word, wlen) == 0)
			return 1;
		i++;	/* past the comma */
	}
	return 0;
}

void
fcgi_close_notify_encode(uint8_t out[FERRY_CLOSE_NOTIFY_LEN], uint16_t id,
    uint8_t reason)
{
	uint8_t	pad;

	pad = fcgi_record_header(out, FERRY_CLOSE_NOTIFY, id, 1);
	out[FCGI_HEADER_LEN] = reason;
	memcpy(out + FCGI_HEADER_LEN + 1, FCGI_PAD, pad);
}

int
fcgi_close_notify_decode(const uint8_t *in, size_t len, uint8_t *reason)
{
	if (len != 1)
		return -1;
	*reason = in[0];
	return 0;
}

void
fcgi_retire_encode(uint8_t out[FERRY_RETIRE_LEN], uint8_t reason,
    uint32_t grace_ms)
{
	uint8_t	pad;

	pad = fcgi_record_header(out, FERRY_RETIRE, FCGI_NULL_REQUEST_ID,
	    FERRY_RETIRE_CONTENT);
	out[FCGI_HEADER_LEN] = reason;
	fcgi_put32(out + FCGI_HEADER_LEN + 1, grace_ms);
	memcpy(out + FCGI_HEADER_LEN + FERRY_RETIRE_CONTENT, FCGI_PAD, pad);
}

int
fcgi_retire_decode(const uint8_t *in, size_t len, uint8_t *reason,
    uint32_t *grace_ms)
{
	if (len != FERRY_RETIRE_CONTENT)
		return -1;
	*reason = in[0];
	*grace_ms = fcgi_get32(in + 1);
	return 0;
}

void
fcgi_window_encode(uint8_t out[FERRY_WINDOW_LEN], uint16_t id, uint32_t count)
{
	uint8_t	pad;

	pad = fcgi_record_header(out, FERRY_WINDOW, id, 4);
	fcgi_put32(out + FCGI_HEADER_LEN, count);
	memcpy(out + FCGI_HEADER_LEN + 4, FCGI_PAD, pad);
}

int
fcgi_window_decode(const uint8_t *in, size_t len, uint32_t *count)
{
	uint32_t	v;

	if (len != 4 || (v = fcgi_get32(in)) == 0)
		return -1;
	*count = v;
	return 0;
}

uint32_t
fcgi_window_parse(const char *v, size_t len)
{
	uint32_t	n = 0;
	size_t		i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		n = n * 10 + (uint32_t)(v[i] - '0');
		if (n > FERRY_STDIN_WINDOW_MAX)
			return 0;
	}
	return n;
}
