/*
 * HAProxy's PROXY protocol, versions 1 (text) and 2 (binary), as a receiver
 * (doc/proxy-protocol.txt in HAProxy's tree): the header a load balancer
 * sends before the client's bytes, naming the client's and the front's
 * addresses.
 *
 * Pure: no I/O, no allocation, no globals.  The parser is stateless: call
 * it again with the grown buffer when it answered "need more".  The version
 * is detected from the first bytes.  Every span it fills points into the
 * caller's buffer, which must stay unchanged while they are in use: copy
 * what you keep before consuming the header.
 *
 * Version 1 (one line, at most 107 bytes with its CRLF):
 *
 *   "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n"
 *   |sig | |fam| |source | |destination| |sp| |dp|
 *   "PROXY UNKNOWN[ anything]\r\n"
 *
 * Version 2 (16 bytes, then len bytes: addresses, then TLVs):
 *
 *   0                   12     13     14      16
 *   +-------------------+------+------+-------+----------------+------+
 *   | 0D0A0D0A000D0A51  | ver  | fam  | len   | addresses      | TLVs |
 *   | 5549540A          | cmd  | prot | (BE)  | 12, 36 or 216  |      |
 *   +-------------------+------+------+-------+----------------+------+
 *   ver = 2 (high nibble), cmd = 0 LOCAL, 1 PROXY (low nibble);
 *   fam = 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX; prot = 0 UNSPEC, 1 STREAM,
 *   2 DGRAM.  Addresses: source address, destination address, then for
 *   INET/INET6 the source and destination ports (2 bytes each, BE); UNIX
 *   addresses are 108 bytes each and carry no port.
 *
 *   TLV:  +------+---------+-------------+
 *         | type | len(BE) | len bytes   |
 *         +------+---------+-------------+
 *   SSL TLV value: client (1 byte) | verify (4 bytes, BE) | sub-TLVs
 *
 * Choices where the spec leaves one:
 * - v2 headers longer than PROXY_V2_MAX bytes in all are refused (room for
 *   every address block, the TLVs named below and a client certificate).
 * - A CRC32C TLV, if present, is verified: a mismatch fails the header.
 * - LOCAL (v2) and UNKNOWN (v1) mean "use the real connection's endpoints":
 *   family is then PROXY_FAM_UNSPEC and the rest of the header (addresses,
 *   TLVs) is skipped unread, as the spec says.
 * - PROXY with an UNSPEC address family or protocol, or with DGRAM, is
 *   reported as PROXY_FAM_UNSPEC with its block skipped unread (the spec's
 *   fallback); the caller decides whether to accept it (as LOCAL) or not.
 * - IPv6 in v1 is read as inet_pton does (1 to 4 hex digits a group, one
 *   "::", a dotted IPv4 tail), but strictly: no leading zeros in the dotted
 *   numbers or in ports, single spaces, a CRLF and nothing else ending it.
 * - The ALPN, AUTHORITY, UNIQUE_ID and SSL TLVs may appear once each: a
 *   second one fails the header.  Their values are raw bytes, unchecked
 *   (UNIQUE_ID at most 128 bytes, as the spec says).
 */
#ifndef FERRY_PROTOCOL_PROXY_H
#define FERRY_PROTOCOL_PROXY_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_V1_MAX		107	/* v1 line bytes, CRLF included */
#define PROXY_V2_MAX		4096	/* v2 header bytes: 16 + len */
#define PROXY_UNIX_PATH		108	/* v2 AF_UNIX address bytes */
#define PROXY_UNIQUE_ID_MAX	128	/* PP2_TYPE_UNIQUE_ID value bytes */
#define PROXY_ADDRSTRLEN	(PROXY_UNIX_PATH + 2) /* proxy_addr_str */

/* v2 TLV types (the spec's PP2_TYPE_* and PP2_SUBTYPE_SSL_*). */
#define PROXY_TLV_ALPN		0x01
#define PROXY_TLV_AUTHORITY	0x02
#define PROXY_TLV_CRC32C	0x03
#define PROXY_TLV_NOOP		0x04
#define PROXY_TLV_UNIQUE_ID	0x05
#define PROXY_TLV_SSL		0x20
#define PROXY_TLV_SSL_VERSION	0x21
#define PROXY_TLV_SSL_CN	0x22
#define PROXY_TLV_SSL_CIPHER	0x23
#define PROXY_TLV_NETNS		0x30

/* Bits of proxy_ssl.client (PP2_CLIENT_*). */
#define PROXY_SSL_CLIENT_SSL		0x01	/* the front used TLS */
#define PROXY_SSL_CLIENT_CERT_CONN	0x02	/* a client certificate on
						   this connection */
#define PROXY_SSL_CLIENT_CERT_SESS	0x04	/* ... in its TLS session */

/*
 * What proxy_parse() returns when it did not finish: 0 or a negative code,
 * one per kind of fault.  Any error means the connection must be closed.
 */
enum proxy_error {
	PROXY_NEED_MORE = 0,		/* a prefix of a header: call again */
	PROXY_ERR_NOT_PROXY = -1,	/* first byte starts no signature */
	PROXY_ERR_SIGNATURE = -2,	/* starts like "PROXY " or the v2
					   signature, then departs from it */
	PROXY_ERR_VERSION = -3,		/* v2 version nibble is not 2 */
	PROXY_ERR_COMMAND = -4,		/* v2 command neither LOCAL nor PROXY */
	PROXY_ERR_FAMILY = -5,		/* v1 not TCP4/TCP6/UNKNOWN; v2 family
					   above 3 or protocol above 2 */
	PROXY_ERR_SYNTAX = -6,		/* v1: a space, field or CRLF missing
					   or misplaced, a bare CR or LF */
	PROXY_ERR_V1_TOO_LONG = -7,	/* v1: no CRLF in PROXY_V1_MAX bytes */
	PROXY_ERR_V2_TOO_LONG = -8,	/* v2: 16 + len > PROXY_V2_MAX */
	PROXY_ERR_ADDRESS = -9,		/* v1 address not valid for the family */
	PROXY_ERR_PORT = -10,		/* v1 port not 0-65535 or leading 0 */
	PROXY_ERR_LENGTH = -11,		/* v2 len shorter than the addresses */
	PROXY_ERR_TLV_BOUNDS = -12,	/* a TLV or SSL sub-TLV runs past the
					   end of the header or of its SSL TLV */
	PROXY_ERR_TLV_VALUE = -13,	/* CRC32C not 4 bytes, SSL under 5,
					   UNIQUE_ID over 128 */
	PROXY_ERR_TLV_DUPLICATE = -14,	/* a TLV above (or an SSL sub-TLV
					   kept) appears twice */
	PROXY_ERR_CHECKSUM = -15,	/* CRC32C TLV does not match */
};

enum proxy_command {
	PROXY_CMD_LOCAL = 0,		/* v2 LOCAL, v1 UNKNOWN: use the real
					   connection's endpoints */
	PROXY_CMD_PROXY = 1,		/* relayed: the addresses below */
};

enum proxy_family {
	PROXY_FAM_UNSPEC = 0,		/* no addresses */
	PROXY_FAM_TCP4,			/* v1 TCP4, v2 0x11 */
	PROXY_FAM_TCP6,			/* v1 TCP6, v2 0x21 */
	PROXY_FAM_UNIX,			/* v2 0x31 (UNIX stream) */
};

struct proxy_span {
	const char	*p;		/* into the caller's buffer */
	size_t		 len;		/* p == NULL: absent */
};

struct proxy_addr {
	uint8_t		ip[16];		/* TCP4: ip[0..4), TCP6: ip[0..16),
					   network byte order */
	uint16_t	port;		/* TCP4/TCP6, host byte order */
	struct proxy_span path;		/* UNIX: the 108 bytes as sent (a
					   NUL ends a path; a NUL first is an
					   abstract name, NUL-padded) */
};

struct proxy_ssl {
	int		present;	/* an SSL TLV was sent */
	uint8_t		client;		/* PROXY_SSL_CLIENT_* bits */
	uint32_t	verify;		/* 0: client certificate verified */
	struct proxy_span version;	/* PP2_SUBTYPE_SSL_VERSION "TLSv1.3" */
	struct proxy_span cn;		/* PP2_SUBTYPE_SSL_CN */
	struct proxy_span cipher;	/* PP2_SUBTYPE_SSL_CIPHER */
};

struct proxy_hdr {
	int			version;	/* 1 or 2 */
	enum proxy_command	command;
	enum proxy_family	family;
	struct proxy_addr	src;		/* the client */
	struct proxy_addr	dst;		/* the address it connected to */
	/* v2 TLVs; absent ones have p == NULL (and ssl.present == 0). */
	struct proxy_span	alpn;
	struct proxy_span	authority;	/* SNI or host name */
	struct proxy_span	unique_id;
	struct proxy_ssl	ssl;
	int			crc_checked;	/* a CRC32C TLV matched */
};

/*
 * Parses the PROXY header at the start of buf[0..len).  Returns the
 * header's length (> 0): consume exactly that many bytes, the rest is the
 * client's data; PROXY_NEED_MORE (0) when buf is a prefix of a header that
 * may still be valid; or a negative enum proxy_error.  A fault is reported
 * as soon as the field showing it is complete (a v1 token at its space, a v2
 * field at its last byte), and an error returned for a prefix is the one
 * returned for any longer input.  Never reads past buf[len - 1].  Never
 * needs more once len >= PROXY_V2_MAX: a buffer that size is enough.  *out is
 * filled only when a length is returned; its spans point into buf.
 */
int		 proxy_parse(const char *buf, size_t len, struct proxy_hdr *out);

/* True when the front used TLS (an SSL TLV with PROXY_SSL_CLIENT_SSL). */
int		 proxy_hdr_tls(const struct proxy_hdr *h);

/*
 * Writes address a of family fam as text into buf (size bytes, at least
 * PROXY_ADDRSTRLEN for any address), NUL-terminated: TCP4 dotted decimal,
 * TCP6 as inet_ntop writes it (RFC 5952, "::ffff:a.b.c.d" for mapped),
 * UNIX the path ("@name" for an abstract one; bytes outside 0x21-0x7e
 * written as '?'), UNSPEC "".  Returns the text's length, or -1 (buf
 * holds "") when it does not fit.
 */
int		 proxy_addr_str(enum proxy_family fam,
		    const struct proxy_addr *a, char *buf, size_t size);

/* Names for logs: "TCP4"..., "LOCAL"/"PROXY", the text of an error. */
const char	*proxy_family_name(enum proxy_family fam);
const char	*proxy_command_name(enum proxy_command cmd);
const char	*proxy_error_str(int code);

/* Address text as the v1 line carries it (forwarded.c reads the same):
   IPv4 dotted decimal, exactly four numbers 0-255 without leading zeros;
   IPv6 as inet_pton reads it (a strict dotted IPv4 tail); a port in
   decimal 0-65535 without a leading zero.  Each reads s[0..n) whole and
   returns 0 with ip[0..4), ip[0..16) or *port filled, or -1. */
int		 proxy_ip4(const char *s, size_t n, uint8_t *ip);
int		 proxy_ip6(const char *s, size_t n, uint8_t *ip);
int		 proxy_port(const char *s, size_t n, uint16_t *port);

/* CRC32C (Castagnoli, RFC 4960 appendix B) of buf[0..len), as the
   PP2_TYPE_CRC32C TLV carries it. */
uint32_t	 proxy_crc32c(const void *buf, size_t len);

#endif
