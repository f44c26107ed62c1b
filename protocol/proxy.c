#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/http1.h"
#include "protocol/proxy.h"

/*
 * Both versions are parsed left to right, stopping with PROXY_NEED_MORE at
 * the end of the caller's bytes.  A fault is reported as soon as the field
 * that shows it is complete, and since a longer input holds the same bytes
 * first, a longer input gives the same fault: no state is kept between
 * calls.  The layouts are drawn in proxy.h.
 */

#define PROXY_V2_HEAD	16		/* signature, ver/cmd, fam, len */

static const uint8_t	proxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char	proxy_v1_sig[] = "PROXY ";

static int	proxy_v1(const char *, size_t, struct proxy_hdr *);
static int	proxy_v1_token(const char *, size_t, size_t, size_t *);
static int	proxy_v1_crlf(const char *, size_t, size_t);
static int	proxy_v1_unknown(const char *, size_t, size_t);
static int	proxy_v2(const uint8_t *, size_t, struct proxy_hdr *);
static int	proxy_tlvs(const uint8_t *, size_t, size_t, struct proxy_hdr *);
static int	proxy_ssl(const uint8_t *, size_t, struct proxy_ssl *);
static int	proxy_keep(struct proxy_span *, const uint8_t *, size_t);
static uint16_t	proxy_be16(const uint8_t *);
static uint32_t	proxy_crc_update(uint32_t, const uint8_t *, size_t);

int
proxy_parse(const char *buf, size_t len, struct proxy_hdr *out)
{
	if (len == 0)
		return PROXY_NEED_MORE;
	if (buf[0] == proxy_v1_sig[0])
		return proxy_v1(buf, len, out);
	if ((uint8_t)buf[0] == proxy_v2_sig[0])
		return proxy_v2((const uint8_t *)buf, len, out);
	return PROXY_ERR_NOT_PROXY;
}

/* ---- Version 1 ---------------------------------------------------------- */

/*
 * Scans the token starting at pos up to the next space, CR or LF, whose
 * position it stores in *end.  Returns 1, PROXY_NEED_MORE (0) when the bytes
 * end first, or PROXY_ERR_V1_TOO_LONG when the line passed PROXY_V1_MAX.
 */
static int
proxy_v1_token(const char *buf, size_t len, size_t pos, size_t *end)
{
	size_t	 i;

	for (i = pos; i < len && i < PROXY_V1_MAX; i++)
		if (buf[i] == ' ' || buf[i] == '\r' || buf[i] == '\n') {
			*end = i;
			return 1;
		}
	return i == PROXY_V1_MAX ? PROXY_ERR_V1_TOO_LONG : PROXY_NEED_MORE;
}

/* buf[cr] is the line's CR: returns the line's length (LF included), or
   PROXY_NEED_MORE, PROXY_ERR_V1_TOO_LONG, PROXY_ERR_SYNTAX (bare CR). */
static int
proxy_v1_crlf(const char *buf, size_t len, size_t cr)
{
	if (buf[cr] != '\r')
		return PROXY_ERR_SYNTAX;
	if (cr + 1 >= PROXY_V1_MAX)
		return PROXY_ERR_V1_TOO_LONG;
	if (cr + 1 >= len)
		return PROXY_NEED_MORE;
	if (buf[cr + 1] != '\n')
		return PROXY_ERR_SYNTAX;
	return (int)(cr + 2);
}

/* After "PROXY UNKNOWN" at pos: nothing or a space and any bytes but CR
   and LF, then CRLF.  Returns as proxy_v1_crlf. */
static int
proxy_v1_unknown(const char *buf, size_t len, size_t pos)
{
	size_t	 i;

	if (buf[pos] == ' ') {
		for (i = pos + 1; i < len && i < PROXY_V1_MAX; i++)
			if (buf[i] == '\r' || buf[i] == '\n')
				return proxy_v1_crlf(buf, len, i);
		return i == PROXY_V1_MAX ? PROXY_ERR_V1_TOO_LONG :
		    PROXY_NEED_MORE;
	}
	return proxy_v1_crlf(buf, len, pos);
}

static int
proxy_v1(const char *buf, size_t len, struct proxy_hdr *out)
{
	struct proxy_addr	 src, dst;
	enum proxy_family	 fam;
	size_t			 pos, end = 0, i, n;
	int			 r, field;

	for (i = 1; i < sizeof(proxy_v1_sig) - 1; i++) {
		if (i >= len)
			return PROXY_NEED_MORE;
		if (buf[i] != proxy_v1_sig[i])
			return PROXY_ERR_SIGNATURE;
	}
	pos = i;
	if ((r = proxy_v1_token(buf, len, pos, &end)) <= 0)
		return r;
	n = end - pos;
	if (n == 0)
		return PROXY_ERR_SYNTAX;
	if (n == 7 && memcmp(buf + pos, "UNKNOWN", 7) == 0) {
		if ((r = proxy_v1_unknown(buf, len, end)) <= 0)
			return r;
		memset(out, 0, sizeof(*out));
		out->version = 1;
		out->command = PROXY_CMD_LOCAL;
		out->family = PROXY_FAM_UNSPEC;
		return r;
	}
	if (n == 4 && memcmp(buf + pos, "TCP4", 4) == 0)
		fam = PROXY_FAM_TCP4;
	else if (n == 4 && memcmp(buf + pos, "TCP6", 4) == 0)
		fam = PROXY_FAM_TCP6;
	else
		return PROXY_ERR_FAMILY;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	/* Four fields, each after one space: addresses, then ports. */
	for (field = 0; field < 4; field++) {
		if (buf[end] != ' ')
			return PROXY_ERR_SYNTAX;
		pos = end + 1;
		if ((r = proxy_v1_token(buf, len, pos, &end)) <= 0)
			return r;
		n = end - pos;
		if (n == 0)
			return PROXY_ERR_SYNTAX;
		if (field < 2) {
			uint8_t	*ip = field == 0 ? src.ip : dst.ip;

			r = fam == PROXY_FAM_TCP4 ? proxy_ip4(buf + pos, n, ip) :
			    proxy_ip6(buf + pos, n, ip);
			if (r < 0)
				return PROXY_ERR_ADDRESS;
		} else if (proxy_port(buf + pos, n, field == 2 ? &src.port :
		    &dst.port) < 0)
			return PROXY_ERR_PORT;
	}
	if ((r = proxy_v1_crlf(buf, len, end)) <= 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->version = 1;
	out->command = PROXY_CMD_PROXY;
	out->family = fam;
	out->src = src;
	out->dst = dst;
	return r;
}

/* Dotted decimal, exactly four numbers 0-255 without leading zeros.
   Returns 0 and fills ip[0..4), or -1. */
int
proxy_ip4(const char *s, size_t n, uint8_t *ip)
{
	size_t		 i = 0, start;
	unsigned	 v;
	int		 part;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		start = i;
		v = 0;
		while (i < n && i - start < 3 && s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return -1;
		ip[part] = (uint8_t)v;
	}
	return i == n ? 0 : -1;
}

/*
 * IPv6 text as inet_pton reads it: groups of 1 to 4 hex digits, at most
 * one "::" standing for at least one zero group, an optional dotted IPv4
 * tail (strict, as proxy_ip4), 128 bits in all.  Returns 0 and fills
 * ip[0..16), or -1.
 */
int
proxy_ip6(const char *s, size_t n, uint8_t *ip)
{
	uint8_t		 tmp[16];
	size_t		 i = 0, k = 0, start, gap = SIZE_MAX;
	unsigned	 v;
	int		 h;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n >= 1 && s[0] == ':')
		return -1;
	while (i < n) {
		start = i;
		v = 0;
		while (i < n && i - start < 4 &&
		    (h = http1_hexval((unsigned char)s[i])) >= 0) {
			v = v * 16 + (unsigned)h;
			i++;
		}
		if (i == start)
			return -1;
		if (i < n && s[i] == '.') {
			/* A dotted IPv4 tail ends the address. */
			if (k + 4 > sizeof(tmp) ||
			    proxy_ip4(s + start, n - start, tmp + k) < 0)
				return -1;
			k += 4;
			break;
		}
		if (k + 2 > sizeof(tmp))
			return -1;
		tmp[k++] = (uint8_t)(v >> 8);
		tmp[k++] = (uint8_t)v;
		if (i == n)
			break;
		if (s[i++] != ':' || i == n)
			return -1;
		if (s[i] == ':') {
			if (gap != SIZE_MAX)
				return -1;
			gap = k;
			i++;
		}
	}
	if (gap == SIZE_MAX) {
		if (k != sizeof(tmp))
			return -1;
		memcpy(ip, tmp, sizeof(tmp));
		return 0;
	}
	if (k == sizeof(tmp))
		return -1;
	memset(ip, 0, 16);
	memcpy(ip, tmp, gap);
	memcpy(ip + 16 - (k - gap), tmp + gap, k - gap);
	return 0;
}

/* Decimal 0-65535, no leading zero but in "0".  Returns 0 or -1. */
int
proxy_port(const char *s, size_t n, uint16_t *port)
{
	unsigned	 v = 0;
	size_t		 i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* ---- Version 2 ---------------------------------------------------------- */

static uint16_t
proxy_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int
proxy_v2(const uint8_t *b, size_t len, struct proxy_hdr *out)
{
	enum proxy_family	 fam = PROXY_FAM_UNSPEC;
	const uint8_t		*a;
	size_t			 i, hlen, alen = 0, iplen;
	unsigned		 cmd, af, prot;
	int			 r;

	for (i = 1; i < sizeof(proxy_v2_sig); i++) {
		if (i >= len)
			return PROXY_NEED_MORE;
		if (b[i] != proxy_v2_sig[i])
			return PROXY_ERR_SIGNATURE;
	}
	if (len < 13)
		return PROXY_NEED_MORE;
	if (b[12] >> 4 != 2)
		return PROXY_ERR_VERSION;
	cmd = b[12] & 0x0f;
	if (cmd > PROXY_CMD_PROXY)
		return PROXY_ERR_COMMAND;
	if (len < 14)
		return PROXY_NEED_MORE;
	/* LOCAL ignores the family (the spec says so): not checked then. */
	af = b[13] >> 4;
	prot = b[13] & 0x0f;
	if (cmd == PROXY_CMD_PROXY) {
		if (af > 3 || prot > 2)
			return PROXY_ERR_FAMILY;
		if (prot == 1 && af == 1) {
			fam = PROXY_FAM_TCP4;
			alen = 2 * 4 + 2 * 2;
		} else if (prot == 1 && af == 2) {
			fam = PROXY_FAM_TCP6;
			alen = 2 * 16 + 2 * 2;
		} else if (prot == 1 && af == 3) {
			fam = PROXY_FAM_UNIX;
			alen = 2 * PROXY_UNIX_PATH;
		}
	}
	if (len < PROXY_V2_HEAD)
		return PROXY_NEED_MORE;
	hlen = proxy_be16(b + 14);
	if (PROXY_V2_HEAD + hlen > PROXY_V2_MAX)
		return PROXY_ERR_V2_TOO_LONG;
	if (hlen < alen)
		return PROXY_ERR_LENGTH;
	if (len < PROXY_V2_HEAD + hlen)
		return PROXY_NEED_MORE;

	memset(out, 0, sizeof(*out));
	out->version = 2;
	out->command = cmd;
	out->family = fam;
	a = b + PROXY_V2_HEAD;
	switch (fam) {
	case PROXY_FAM_TCP4:
	case PROXY_FAM_TCP6:
		/* Two addresses of alen / 2 - 2 bytes, then two ports. */
		iplen = alen / 2 - 2;
		memcpy(out->src.ip, a, iplen);
		memcpy(out->dst.ip, a + iplen, iplen);
		out->src.port = proxy_be16(a + 2 * iplen);
		out->dst.port = proxy_be16(a + 2 * iplen + 2);
		break;
	case PROXY_FAM_UNIX:
		out->src.path.p = (const char *)a;
		out->src.path.len = PROXY_UNIX_PATH;
		out->dst.path.p = (const char *)a + PROXY_UNIX_PATH;
		out->dst.path.len = PROXY_UNIX_PATH;
		break;
	case PROXY_FAM_UNSPEC:
		/* LOCAL, UNSPEC or DGRAM: the block is skipped unread. */
		return (int)(PROXY_V2_HEAD + hlen);
	}
	if ((r = proxy_tlvs(b, PROXY_V2_HEAD + alen, PROXY_V2_HEAD + hlen,
	    out)) < 0)
		return r;
	return (int)(PROXY_V2_HEAD + hlen);
}

/* Sets *s to p[0..n) unless it was set: returns 0 or a duplicate error. */
static int
proxy_keep(struct proxy_span *s, const uint8_t *p, size_t n)
{
	if (s->p != NULL)
		return PROXY_ERR_TLV_DUPLICATE;
	s->p = (const char *)p;
	s->len = n;
	return 0;
}

/*
 * Walks the TLVs in b[off..end), end being the header's length, keeps those
 * of interest in *h and checks a CRC32C TLV over b[0..end).  Returns 0 or a
 * PROXY_ERR_TLV_* or PROXY_ERR_CHECKSUM.
 */
static int
proxy_tlvs(const uint8_t *b, size_t off, size_t end, struct proxy_hdr *h)
{
	static const uint8_t	 zero[4];
	size_t			 v, tlen, crc_at = 0;
	uint32_t		 crc;
	int			 r;

	while (off < end) {
		if (end - off < 3)
			return PROXY_ERR_TLV_BOUNDS;
		tlen = proxy_be16(b + off + 1);
		v = off + 3;
		if (tlen > end - v)
			return PROXY_ERR_TLV_BOUNDS;
		r = 0;
		switch (b[off]) {
		case PROXY_TLV_ALPN:
			r = proxy_keep(&h->alpn, b + v, tlen);
			break;
		case PROXY_TLV_AUTHORITY:
			r = proxy_keep(&h->authority, b + v, tlen);
			break;
		case PROXY_TLV_UNIQUE_ID:
			if (tlen > PROXY_UNIQUE_ID_MAX)
				return PROXY_ERR_TLV_VALUE;
			r = proxy_keep(&h->unique_id, b + v, tlen);
			break;
		case PROXY_TLV_CRC32C:
			if (tlen != 4)
				return PROXY_ERR_TLV_VALUE;
			if (crc_at != 0)
				return PROXY_ERR_TLV_DUPLICATE;
			crc_at = v;
			break;
		case PROXY_TLV_SSL:
			if (h->ssl.present)
				return PROXY_ERR_TLV_DUPLICATE;
			r = proxy_ssl(b + v, tlen, &h->ssl);
			break;
		default:
			/* NOOP, NETNS and the unknown ones: skipped. */
			break;
		}
		if (r < 0)
			return r;
		off = v + tlen;
	}
	if (crc_at == 0)
		return 0;
	/* The checksum covers the header with its own field zeroed. */
	crc = proxy_crc_update(0xffffffffu, b, crc_at);
	crc = proxy_crc_update(crc, zero, sizeof(zero));
	crc = proxy_crc_update(crc, b + crc_at + 4, end - crc_at - 4);
	crc = ~crc;
	if (crc != ((uint32_t)proxy_be16(b + crc_at) << 16 |
	    proxy_be16(b + crc_at + 2)))
		return PROXY_ERR_CHECKSUM;
	h->crc_checked = 1;
	return 0;
}

/* The SSL TLV's value v[0..n): client, verify, then sub-TLVs filling it. */
static int
proxy_ssl(const uint8_t *v, size_t n, struct proxy_ssl *s)
{
	size_t	 off, tlen;
	int	 r;

	if (n < 5)
		return PROXY_ERR_TLV_VALUE;
	s->present = 1;
	s->client = v[0];
	s->verify = (uint32_t)proxy_be16(v + 1) << 16 | proxy_be16(v + 3);
	for (off = 5; off < n; off += 3 + tlen) {
		if (n - off < 3)
			return PROXY_ERR_TLV_BOUNDS;
		tlen = proxy_be16(v + off + 1);
		if (tlen > n - off - 3)
			return PROXY_ERR_TLV_BOUNDS;
		r = 0;
		switch (v[off]) {
		case PROXY_TLV_SSL_VERSION:
			r = proxy_keep(&s->version, v + off + 3, tlen);
			break;
		case PROXY_TLV_SSL_CN:
			r = proxy_keep(&s->cn, v + off + 3, tlen);
			break;
		case PROXY_TLV_SSL_CIPHER:
			r = proxy_keep(&s->cipher, v + off + 3, tlen);
			break;
		default:
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Bitwise CRC32C (reflected polynomial 0x82f63b78): headers are small. */
static uint32_t
proxy_crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	int	 k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
	}
	return crc;
}

uint32_t
proxy_crc32c(const void *buf, size_t len)
{
	return ~proxy_crc_update(0xffffffffu, buf, len);
}

int
proxy_hdr_tls(const struct proxy_hdr *h)
{
	return h->ssl.present && (h->ssl.client & PROXY_SSL_CLIENT_SSL);
}
