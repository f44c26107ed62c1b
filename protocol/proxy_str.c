#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "protocol/proxy.h"

/*
 * The PROXY header's results as text, for logs and the CGI environment:
 * addresses as inet_ntop writes them, names of families, commands, errors.
 * Written by hand, byte by byte: protocol/ has no stdio.
 */

/* A text being written into a caller's buffer by proxy_addr_str. */
struct proxy_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 overflow;
};

static void	proxy_put(struct proxy_out *, char);
static void	proxy_put_num(struct proxy_out *, unsigned, unsigned);
static void	proxy_put_ip4(struct proxy_out *, const uint8_t *);
static void	proxy_put_ip6(struct proxy_out *, const uint8_t *);
static void	proxy_put_path(struct proxy_out *, const struct proxy_span *);

static void
proxy_put(struct proxy_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len++] = c;
	else
		o->overflow = 1;
}

/* v in base 10 or 16 (lowercase), no leading zeros. */
static void
proxy_put_num(struct proxy_out *o, unsigned v, unsigned base)
{
	char	 d[8];
	int	 n = 0;

	do {
		d[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v > 0);
	while (n > 0)
		proxy_put(o, d[--n]);
}

static void
proxy_put_ip4(struct proxy_out *o, const uint8_t *ip)
{
	int	 i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			proxy_put(o, '.');
		proxy_put_num(o, ip[i], 10);
	}
}

/* As glibc's inet_ntop: the first longest run of two or more zero groups
   becomes "::"; ::a.b.c.d and ::ffff:a.b.c.d keep their IPv4 dotted. */
static void
proxy_put_ip6(struct proxy_out *o, const uint8_t *ip)
{
	unsigned	 w[8];
	int		 i, base = -1, blen = 0, cur = -1, clen = 0;

	for (i = 0; i < 8; i++) {
		w[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				clen = 0;
			}
			if (++clen > blen) {
				base = cur;
				blen = clen;
			}
		} else
			cur = -1;
	}
	if (blen < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (i == base) {
			proxy_put(o, ':');
			i += blen - 1;
			if (i == 7)
				proxy_put(o, ':');
			continue;
		}
		if (i > 0)
			proxy_put(o, ':');
		if (i == 6 && base == 0 &&
		    (blen == 6 || (blen == 5 && w[5] == 0xffff))) {
			proxy_put_ip4(o, ip + 12);
			return;
		}
		proxy_put_num(o, w[i], 16);
	}
}

static void
proxy_put_path(struct proxy_out *o, const struct proxy_span *path)
{
	const uint8_t	*p = (const uint8_t *)path->p;
	size_t		 i = 0;

	if (p == NULL || path->len == 0)
		return;
	if (p[0] == 0) {
		proxy_put(o, '@');
		i = 1;
	}
	for (; i < path->len && p[i] != 0; i++)
		proxy_put(o, p[i] > 0x20 && p[i] < 0x7f ? (char)p[i] : '?');
}

int
proxy_addr_str(enum proxy_family fam, const struct proxy_addr *a, char *buf,
    size_t size)
{
	struct proxy_out	 o = { buf, size, 0, 0 };

	if (size == 0)
		return -1;
	switch (fam) {
	case PROXY_FAM_TCP4:
		proxy_put_ip4(&o, a->ip);
		break;
	case PROXY_FAM_TCP6:
		proxy_put_ip6(&o, a->ip);
		break;
	case PROXY_FAM_UNIX:
		proxy_put_path(&o, &a->path);
		break;
	case PROXY_FAM_UNSPEC:
		break;
	}
	if (o.overflow) {
		buf[0] = '\0';
		return -1;
	}
	buf[o.len] = '\0';
	return (int)o.len;
}

const char *
proxy_family_name(enum proxy_family fam)
{
	switch (fam) {
	case PROXY_FAM_UNSPEC:	return "UNSPEC";
	case PROXY_FAM_TCP4:	return "TCP4";
	case PROXY_FAM_TCP6:	return "TCP6";
	case PROXY_FAM_UNIX:	return "UNIX";
	}
	return "?";
}

const char *
proxy_command_name(enum proxy_command cmd)
{
	return cmd == PROXY_CMD_PROXY ? "PROXY" : "LOCAL";
}

const char *
proxy_error_str(int code)
{
	switch (code) {
	case PROXY_NEED_MORE:		return "incomplete PROXY header";
	case PROXY_ERR_NOT_PROXY:	return "not a PROXY header";
	case PROXY_ERR_SIGNATURE:	return "bad PROXY signature";
	case PROXY_ERR_VERSION:		return "bad PROXY v2 version";
	case PROXY_ERR_COMMAND:		return "bad PROXY v2 command";
	case PROXY_ERR_FAMILY:		return "bad PROXY address family";
	case PROXY_ERR_SYNTAX:		return "malformed PROXY v1 line";
	case PROXY_ERR_V1_TOO_LONG:	return "PROXY v1 line too long";
	case PROXY_ERR_V2_TOO_LONG:	return "PROXY v2 header too long";
	case PROXY_ERR_ADDRESS:		return "bad PROXY address";
	case PROXY_ERR_PORT:		return "bad PROXY port";
	case PROXY_ERR_LENGTH:		return "PROXY v2 length too short";
	case PROXY_ERR_TLV_BOUNDS:	return "PROXY v2 TLV out of bounds";
	case PROXY_ERR_TLV_VALUE:	return "bad PROXY v2 TLV value";
	case PROXY_ERR_TLV_DUPLICATE:	return "duplicate PROXY v2 TLV";
	case PROXY_ERR_CHECKSUM:	return "PROXY v2 CRC32C mismatch";
	}
	return code > 0 ? "PROXY header" : "unknown PROXY error";
}
