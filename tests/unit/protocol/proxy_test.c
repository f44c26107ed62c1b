#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proxy.h"
#include "tests/unit/guard.h"

/* A header followed by client bytes: the input, its length and the
   header's length (what proxy_parse must return). */
#define HDR(h, rest)	.in = h rest, .inlen = sizeof(h rest) - 1, \
			.want = (int)sizeof(h) - 1
/* An input proxy_parse must refuse with err. */
#define BAD(x, err)	.in = x, .inlen = sizeof(x) - 1, .want = err

#define REQ	"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
/* The v2 signature; "\0" is followed by a non-digit, so no escape grows. */
#define SIG	"\r\n\r\n\0\r\nQUIT\n"
/* v2 TCP4 addresses: 192.0.2.1:56324 -> 198.51.100.7:443. */
#define A4	"\xc0\x00\x02\x01" "\xc6\x33\x64\x07" "\xdc\x04" "\x01\xbb"
/* v2 TCP6 addresses: 2001:db8::1:1 -> ::ffff:192.0.2.7:80. */
#define A6	"\x20\x01\x0d\xb8\0\0\0\0" "\0\0\0\0\0\x01\0\x01" \
		"\0\0\0\0\0\0\0\0" "\0\0\xff\xff\xc0\x00\x02\x07" "\x12\x34" "\0\x50"

struct pcase {
	const char	*what;
	const char	*in;
	size_t		 inlen;
	int		 want;		/* header length or enum proxy_error */
	/* When want > 0: */
	enum proxy_command cmd;
	enum proxy_family fam;
	const char	*src, *dst;	/* proxy_addr_str, NULL for "" */
	unsigned	 sport, dport;
	const char	*alpn, *authority, *unique_id; /* NULL: absent */
	const char	*sslver, *cn;
	int		 tls;		/* proxy_hdr_tls */
	int		 crc;		/* crc_checked */
};

#define P4	.cmd = PROXY_CMD_PROXY, .fam = PROXY_FAM_TCP4
#define P6	.cmd = PROXY_CMD_PROXY, .fam = PROXY_FAM_TCP6
#define V2_4	.src = "192.0.2.1", .dst = "198.51.100.7", .sport = 56324, \
		.dport = 443

static const struct pcase cases[] = {
	/* v1 TCP4, the spec's example, a request after it. */
	{ "v1 tcp4", HDR("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
	    REQ), P4, .src = "192.168.0.1", .dst = "192.168.0.11",
	    .sport = 56324, .dport = 443 },
	/* The longest TCP4 line, nothing after it. */
	{ "v1 tcp4 longest", HDR("PROXY TCP4 255.255.255.255 255.255.255.255 "
	    "65535 65535\r\n", ""), P4, .src = "255.255.255.255",
	    .dst = "255.255.255.255", .sport = 65535, .dport = 65535 },
	/* Zeros are single digits. */
	{ "v1 tcp4 zeros", HDR("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n", "x"), P4,
	    .src = "0.0.0.0", .dst = "10.0.0.1" },
	/* TCP6 compressed, and v4-mapped as a sender's inet_ntop writes it. */
	{ "v1 tcp6", HDR("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.7 1 65535\r\n",
	    REQ), P6, .src = "2001:db8::1", .dst = "::ffff:192.0.2.7",
	    .sport = 1, .dport = 65535 },
	/* TCP6 in full, upper case: read, then written in RFC 5952 form. */
	{ "v1 tcp6 full", HDR("PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:"
	    "0001 FE80:0:0:0:1:0:0:0 80 8080\r\n", REQ), P6,
	    .src = "2001:db8::1", .dst = "fe80::1:0:0:0", .sport = 80,
	    .dport = 8080 },
	/* All-zero and loopback TCP6. */
	{ "v1 tcp6 :: ::1", HDR("PROXY TCP6 :: ::1 5 6\r\n", REQ), P6,
	    .src = "::", .dst = "::1", .sport = 5, .dport = 6 },
	/* The longest TCP6 line. */
	{ "v1 tcp6 longest", HDR("PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", REQ), P6,
	    .src = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    .dst = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", .sport = 65535,
	    .dport = 65535 },
	/* UNKNOWN, short form: LOCAL-like, no addresses. */
	{ "v1 unknown", HDR("PROXY UNKNOWN\r\n", REQ),
	    .cmd = PROXY_CMD_LOCAL, .fam = PROXY_FAM_UNSPEC },
	/* UNKNOWN's worst case, 107 bytes: the rest is ignored. */
	{ "v1 unknown 107", HDR("PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", REQ),
	    .cmd = PROXY_CMD_LOCAL, .fam = PROXY_FAM_UNSPEC },
	/* UNKNOWN with anything but CR/LF after a space. */
	{ "v1 unknown junk", HDR("PROXY UNKNOWN \x01 zz\t\x7f\r\n", REQ),
	    .cmd = PROXY_CMD_LOCAL, .fam = PROXY_FAM_UNSPEC },

	/* Not PROXY: the first byte already tells. */
	{ "plain http", BAD("GET / HTTP/1.1\r\n", PROXY_ERR_NOT_PROXY) },
	{ "lowercase proxy", BAD("proxy TCP4", PROXY_ERR_NOT_PROXY) },
	{ "nul first", BAD("\0PROXY", PROXY_ERR_NOT_PROXY) },
	{ "PUT looks like v1", BAD("PUT / HTTP/1.1\r\n", PROXY_ERR_SIGNATURE) },
	{ "PROXY without space", BAD("PROXY\r\n", PROXY_ERR_SIGNATURE) },
	{ "PROXY TAB", BAD("PROXY\tTCP4", PROXY_ERR_SIGNATURE) },
	/* Families. */
	{ "v1 tcp5", BAD("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_ERR_FAMILY) },
	{ "v1 tcp4 lower", BAD("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
	    PROXY_ERR_FAMILY) },
	{ "v1 udp4", BAD("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_ERR_FAMILY) },
	{ "v1 unknownx", BAD("PROXY UNKNOWNX\r\n", PROXY_ERR_FAMILY) },
	/* Spaces and line ends. */
	{ "v1 two spaces", BAD("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    PROXY_ERR_SYNTAX) },
	{ "v1 two spaces addr", BAD("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
	    PROXY_ERR_SYNTAX) },
	{ "v1 trailing space", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
	    PROXY_ERR_SYNTAX) },
	{ "v1 bare LF", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\nGET",
	    PROXY_ERR_SYNTAX) },
	{ "v1 bare CR", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rGET",
	    PROXY_ERR_SYNTAX) },
	{ "v1 CR CR LF", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
	    PROXY_ERR_SYNTAX) },
	{ "v1 missing port", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
	    PROXY_ERR_SYNTAX) },
	{ "v1 extra field", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
	    PROXY_ERR_SYNTAX) },
	{ "v1 tcp4 alone", BAD("PROXY TCP4\r\n", PROXY_ERR_SYNTAX) },
	{ "v1 unknown LF", BAD("PROXY UNKNOWN\n", PROXY_ERR_SYNTAX) },
	{ "v1 unknown junk LF", BAD("PROXY UNKNOWN junk\nGET",
	    PROXY_ERR_SYNTAX) },
	{ "v1 unknown junk CR", BAD("PROXY UNKNOWN junk\rGET",
	    PROXY_ERR_SYNTAX) },
	/* Addresses. */
	{ "v1 tab", BAD("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", PROXY_ERR_ADDRESS) },
	{ "v1 ip4 leading 0", BAD("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip4 3 parts", BAD("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip4 5 parts", BAD("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip4 256", BAD("PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip4 empty part", BAD("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip4 trailing dot", BAD("PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 in tcp4", BAD("PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip4 in tcp6", BAD("PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 7 groups", BAD("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 9 groups", BAD("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 :: for no group", BAD("PROXY TCP6 1:2:3:4::5:6:7:8 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 two ::", BAD("PROXY TCP6 1::2::3 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 5 digits", BAD("PROXY TCP6 12345:: ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 :::", BAD("PROXY TCP6 ::: ::1 1 2\r\n", PROXY_ERR_ADDRESS) },
	{ "v1 ip6 one colon first", BAD("PROXY TCP6 :1::2 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 one colon last", BAD("PROXY TCP6 1::2: ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 not hex", BAD("PROXY TCP6 g::1 ::1 1 2\r\n", PROXY_ERR_ADDRESS) },
	{ "v1 ip6 brackets", BAD("PROXY TCP6 [::1] ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 zone", BAD("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 dotted leading 0", BAD("PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n",
	    PROXY_ERR_ADDRESS) },
	{ "v1 ip6 dotted too late", BAD("PROXY TCP6 1:2:3:4:5:6:7:1.2.3.4 ::1 "
	    "1 2\r\n", PROXY_ERR_ADDRESS) },
	/* Ports. */
	{ "v1 port leading 0", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
	    PROXY_ERR_PORT) },
	{ "v1 port 00", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n",
	    PROXY_ERR_PORT) },
	{ "v1 port 65536", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
	    PROXY_ERR_PORT) },
	{ "v1 port 6 digits", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n",
	    PROXY_ERR_PORT) },
	{ "v1 port sign", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
	    PROXY_ERR_PORT) },
	{ "v1 port minus", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n",
	    PROXY_ERR_PORT) },
	{ "v1 port hex", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 0x1 2\r\n",
	    PROXY_ERR_PORT) },

	/* v2 TCP4, a request after it. */
	{ "v2 tcp4", HDR(SIG "\x21\x11\x00\x0c" A4, REQ), P4, V2_4 },
	/* v2 TCP6. */
	{ "v2 tcp6", HDR(SIG "\x21\x21\x00\x24" A6, REQ), P6,
	    .src = "2001:db8::1:1", .dst = "::ffff:192.0.2.7", .sport = 0x1234,
	    .dport = 80 },
	/* LOCAL (a health check): no addresses. */
	{ "v2 local", HDR(SIG "\x20\x00\x00\x00", REQ), .cmd = PROXY_CMD_LOCAL,
	    .fam = PROXY_FAM_UNSPEC },
	/* LOCAL with addresses: skipped, the family ignored. */
	{ "v2 local with addresses", HDR(SIG "\x20\x11\x00\x0c" A4, REQ),
	    .cmd = PROXY_CMD_LOCAL, .fam = PROXY_FAM_UNSPEC },
	{ "v2 local odd family", HDR(SIG "\x20\xff\x00\x03" "abc", REQ),
	    .cmd = PROXY_CMD_LOCAL, .fam = PROXY_FAM_UNSPEC },
	/* PROXY over UNSPEC or UDP: the spec's fallback to UNSPEC. */
	{ "v2 proxy unspec", HDR(SIG "\x21\x00\x00\x00", REQ),
	    .cmd = PROXY_CMD_PROXY, .fam = PROXY_FAM_UNSPEC },
	{ "v2 udp4", HDR(SIG "\x21\x12\x00\x0c" A4, REQ),
	    .cmd = PROXY_CMD_PROXY, .fam = PROXY_FAM_UNSPEC },
	{ "v2 unspec stream", HDR(SIG "\x21\x01\x00\x01" "z", REQ),
	    .cmd = PROXY_CMD_PROXY, .fam = PROXY_FAM_UNSPEC },
	/* TLVs of interest, a NOOP, a custom one skipped. */
	{ "v2 tlvs", HDR(SIG "\x21\x11\x00\x4b" A4
	    "\x01\x00\x02" "h2"
	    "\x02\x00\x0b" "example.com"
	    "\x04\x00\x00"
	    "\xe0\x00\x03" "xyz"
	    "\x05\x00\x04" "id-1"
	    "\x20\x00\x19" "\x07" "\0\0\0\0"
	    "\x21\x00\x07" "TLSv1.3" "\x22\x00\x01" "c" "\x25\x00\x03" "RSA", REQ),
	    P4, V2_4, .alpn = "h2", .authority = "example.com",
	    .unique_id = "id-1", .sslver = "TLSv1.3", .cn = "c", .tls = 1 },
	/* An SSL TLV without the SSL flag: not TLS. */
	{ "v2 ssl no tls", HDR(SIG "\x21\x11\x00\x14" A4
	    "\x20\x00\x05" "\x02" "\0\0\0\x01", REQ), P4, V2_4 },
	/* Empty ALPN and authority values are present, not absent. */
	{ "v2 empty tlvs", HDR(SIG "\x21\x11\x00\x12" A4
	    "\x01\x00\x00" "\x02\x00\x00", REQ), P4, V2_4, .alpn = "",
	    .authority = "" },
	/* CRC32C, computed apart (RFC 4960's algorithm, in Python). */
	{ "v2 crc32c", HDR(SIG "\x21\x11\x00\x13" A4 "\x03\x00\x04"
	    "\xd4\x5a\x11\xb9", REQ), P4, V2_4, .crc = 1 },

	{ "v2 bad sig", BAD("\r\n\r\n\x01", PROXY_ERR_SIGNATURE) },
	{ "v2 sig QUIX", BAD("\r\n\r\n\0\r\nQUIX\n\x21\x11", PROXY_ERR_SIGNATURE) },
	{ "v2 crlf then GET", BAD("\r\nGET / HTTP/1.1", PROXY_ERR_SIGNATURE) },
	{ "v2 version 1", BAD(SIG "\x11\x11\x00\x0c" A4, PROXY_ERR_VERSION) },
	{ "v2 version 3", BAD(SIG "\x31\x11\x00\x0c" A4, PROXY_ERR_VERSION) },
	{ "v2 command 2", BAD(SIG "\x22\x11\x00\x0c" A4, PROXY_ERR_COMMAND) },
	{ "v2 command f", BAD(SIG "\x2f\x11\x00\x0c" A4, PROXY_ERR_COMMAND) },
	{ "v2 family 4", BAD(SIG "\x21\x41\x00\x0c" A4, PROXY_ERR_FAMILY) },
	{ "v2 protocol 3", BAD(SIG "\x21\x13\x00\x0c" A4, PROXY_ERR_FAMILY) },
	{ "v2 tcp4 short", BAD(SIG "\x21\x11\x00\x0b" A4, PROXY_ERR_LENGTH) },
	{ "v2 tcp6 short", BAD(SIG "\x21\x21\x00\x23" A6, PROXY_ERR_LENGTH) },
	{ "v2 unix short", BAD(SIG "\x21\x31\x00\xd7", PROXY_ERR_LENGTH) },
	{ "v2 too long", BAD(SIG "\x21\x11\x0f\xf1", PROXY_ERR_V2_TOO_LONG) },
	{ "v2 len 65535", BAD(SIG "\x20\x00\xff\xff", PROXY_ERR_V2_TOO_LONG) },
	{ "v2 tlv head cut", BAD(SIG "\x21\x11\x00\x0e" A4 "\x01\x00",
	    PROXY_ERR_TLV_BOUNDS) },
	{ "v2 tlv value cut", BAD(SIG "\x21\x11\x00\x10" A4 "\x01\x00\x02" "h",
	    PROXY_ERR_TLV_BOUNDS) },
	{ "v2 ssl sub-tlv cut", BAD(SIG "\x21\x11\x00\x17" A4
	    "\x20\x00\x08" "\x01\0\0\0\0" "\x21\x00\x01", PROXY_ERR_TLV_BOUNDS) },
	{ "v2 ssl sub-tlv past ssl", BAD(SIG "\x21\x11\x00\x1a" A4
	    "\x20\x00\x08" "\x01\0\0\0\0" "\x21\x00\x03" "TLS",
	    PROXY_ERR_TLV_BOUNDS) },
	{ "v2 ssl short", BAD(SIG "\x21\x11\x00\x13" A4 "\x20\x00\x04" "\x01\0\0\0",
	    PROXY_ERR_TLV_VALUE) },
	{ "v2 crc 3 bytes", BAD(SIG "\x21\x11\x00\x12" A4 "\x03\x00\x03" "abc",
	    PROXY_ERR_TLV_VALUE) },
	{ "v2 two alpn", BAD(SIG "\x21\x11\x00\x15" A4 "\x01\x00\x02" "h2"
	    "\x01\x00\x01" "x", PROXY_ERR_TLV_DUPLICATE) },
	{ "v2 two ssl", BAD(SIG "\x21\x11\x00\x1c" A4 "\x20\x00\x05" "\x01\0\0\0\0"
	    "\x20\x00\x05" "\x01\0\0\0\0", PROXY_ERR_TLV_DUPLICATE) },
	{ "v2 two ssl versions", BAD(SIG "\x21\x11\x00\x1b" A4 "\x20\x00\x0c"
	    "\x01\0\0\0\0" "\x21\x00\x01" "a" "\x21\x00\x00",
	    PROXY_ERR_TLV_DUPLICATE) },
	{ "v2 two crc", BAD(SIG "\x21\x11\x00\x1a" A4 "\x03\x00\x04" "\0\0\0\0"
	    "\x03\x00\x04" "\0\0\0\0", PROXY_ERR_TLV_DUPLICATE) },
	{ "v2 crc mismatch", BAD(SIG "\x21\x11\x00\x13" A4 "\x03\x00\x04"
	    "\xd4\x5a\x11\xb8", PROXY_ERR_CHECKSUM) },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Fails unless span s holds the NUL-terminated want (NULL: absent). */
static void
check_span(const char *what, const char *field, const struct proxy_span *s,
    const char *want)
{
	if (want == NULL) {
		ck_assert_msg(s->p == NULL, "%s: %s present", what, field);
		return;
	}
	ck_assert_msg(s->p != NULL, "%s: %s absent", what, field);
	ck_assert_msg(s->len == strlen(want) && memcmp(s->p, want, s->len) == 0,
	    "%s: %s is \"%.*s\", want \"%s\"", what, field, (int)s->len, s->p,
	    want);
}

/* Fails unless address a of family fam reads as want (NULL: ""). */
static void
check_addr(const char *what, enum proxy_family fam, const struct proxy_addr *a,
    const char *want)
{
	char	 buf[PROXY_ADDRSTRLEN];
	int	 n;

	n = proxy_addr_str(fam, a, buf, sizeof(buf));
	ck_assert_msg(n >= 0, "%s: proxy_addr_str failed", what);
	ck_assert_msg(strcmp(buf, want != NULL ? want : "") == 0,
	    "%s: address %s, want %s", what, buf, want != NULL ? want : "");
}

static void
check_hdr(const struct pcase *c, const struct proxy_hdr *h)
{
	ck_assert_int_eq(h->version, c->in[0] == 'P' ? 1 : 2);
	ck_assert_msg(h->command == c->cmd, "%s: command %s", c->what,
	    proxy_command_name(h->command));
	ck_assert_msg(h->family == c->fam, "%s: family %s", c->what,
	    proxy_family_name(h->family));
	check_addr(c->what, h->family, &h->src, c->src);
	check_addr(c->what, h->family, &h->dst, c->dst);
	ck_assert_uint_eq(h->src.port, c->sport);
	ck_assert_uint_eq(h->dst.port, c->dport);
	check_span(c->what, "alpn", &h->alpn, c->alpn);
	check_span(c->what, "authority", &h->authority, c->authority);
	check_span(c->what, "unique_id", &h->unique_id, c->unique_id);
	check_span(c->what, "ssl version", &h->ssl.version, c->sslver);
	check_span(c->what, "ssl cn", &h->ssl.cn, c->cn);
	ck_assert_int_eq(proxy_hdr_tls(h), c->tls);
	ck_assert_int_eq(h->crc_checked, c->crc);
}

/*
 * Parses c->in whole, then every prefix of it, each ending at a guard page.
 * A header: every prefix shorter than it needs more, every longer one gives
 * the same length and fields (the client's bytes after it untouched).  An
 * error: prefixes need more until one gives the error, and every longer
 * one gives it too.
 */
static void
run_case(const struct pcase *c)
{
	struct guard		 g = { NULL, 0 };
	struct proxy_hdr	 h;
	const char		*p;
	size_t			 k;
	int			 r, failed = 0;

	p = guard_copy(&g, c->in, c->inlen);
	r = proxy_parse(p, c->inlen, &h);
	ck_assert_msg(r == c->want, "%s: got %d (%s), want %d (%s)", c->what,
	    r, proxy_error_str(r), c->want, proxy_error_str(c->want));
	if (r > 0)
		check_hdr(c, &h);
	for (k = 0; k < c->inlen; k++) {
		p = guard_copy(&g, c->in, k);
		r = proxy_parse(p, k, &h);
		if (c->want > 0 && k < (size_t)c->want)
			ck_assert_msg(r == PROXY_NEED_MORE,
			    "%s: %zu bytes gave %d", c->what, k, r);
		else if (c->want > 0)
			check_hdr(c, &h);
		else if (failed)
			ck_assert_msg(r == c->want, "%s: %zu bytes gave %d",
			    c->what, k, r);
		else
			ck_assert_msg(r == PROXY_NEED_MORE || r == c->want,
			    "%s: %zu bytes gave %d (%s)", c->what, k, r,
			    proxy_error_str(r));
		if (c->want > 0 && k >= (size_t)c->want)
			ck_assert_int_eq(r, c->want);
		failed = r < 0;
	}
	guard_free(&g);
}

START_TEST(test_table)
{
	run_case(&cases[_i]);
}
END_TEST

/* Writes a v2 header (ver_cmd, fam, body of blen bytes) into buf and
   returns its length. */
static size_t
build_v2(char *buf, uint8_t vc, uint8_t fam, const void *body, size_t blen)
{
	memcpy(buf, SIG, 12);
	buf[12] = (char)vc;
	buf[13] = (char)fam;
	buf[14] = (char)(blen >> 8);
	buf[15] = (char)blen;
	if (blen > 0)
		memcpy(buf + 16, body, blen);
	return 16 + blen;
}

/* A v1 line of exactly PROXY_V1_MAX bytes passes, one more fails, and so
   does a line without CRLF, as soon as PROXY_V1_MAX bytes are there. */
START_TEST(test_v1_length)
{
	static char	 buf[512];
	struct pcase	 c = { .cmd = PROXY_CMD_LOCAL, .fam = PROXY_FAM_UNSPEC };
	size_t		 n;

	n = PROXY_V1_MAX - strlen("PROXY UNKNOWN \r\n");
	memcpy(buf, "PROXY UNKNOWN ", 14);
	memset(buf + 14, 'x', n);
	memcpy(buf + 14 + n, "\r\n" REQ, sizeof("\r\n" REQ));
	c.what = "v1 107 bytes";
	c.in = buf;
	c.inlen = strlen(buf);
	c.want = PROXY_V1_MAX;
	run_case(&c);

	memset(buf + 14, 'x', n + 1);
	memcpy(buf + 15 + n, "\r\n" REQ, sizeof("\r\n" REQ));
	c.what = "v1 108 bytes";
	c.inlen = strlen(buf);
	c.want = PROXY_ERR_V1_TOO_LONG;
	run_case(&c);

	memcpy(buf, "PROXY TCP4 ", 11);
	memset(buf + 11, '1', 300);
	c.what = "v1 no CRLF";
	c.inlen = 311;
	run_case(&c);

	/* A long port: the line ends before the port is read. */
	memcpy(buf, "PROXY TCP4 1.2.3.4 5.6.7.8 1 ", 29);
	memset(buf + 29, '9', 100);
	c.what = "v1 long port";
	c.inlen = 129;
	run_case(&c);
}
END_TEST

/* v2 UNIX addresses (108 bytes each), a path and an abstract name, with a
   CRC32C over all of it; then the biggest header allowed. */
START_TEST(test_v2_unix_and_max)
{
	static char	 body[PROXY_V2_MAX], buf[PROXY_V2_MAX + 64];
	struct pcase	 c = { .cmd = PROXY_CMD_PROXY, .fam = PROXY_FAM_UNIX,
			    .src = "/run/haproxy.sock", .dst = "@ferry",
			    .alpn = "http/1.1", .crc = 1 };
	size_t		 blen, len;
	uint32_t	 crc;

	memset(body, 0, sizeof(body));
	memcpy(body, "/run/haproxy.sock", 17);
	memcpy(body + 109, "ferry", 5);
	blen = 216;
	memcpy(body + blen, "\x01\x00\x08" "http/1.1", 11);
	blen += 11;
	memcpy(body + blen, "\x03\x00\x04" "\0\0\0\0", 7);
	blen += 7;
	len = build_v2(buf, 0x21, 0x31, body, blen);
	crc = proxy_crc32c(buf, len);
	buf[len - 4] = (char)(crc >> 24);
	buf[len - 3] = (char)(crc >> 16);
	buf[len - 2] = (char)(crc >> 8);
	buf[len - 1] = (char)crc;
	memcpy(buf + len, REQ, sizeof(REQ) - 1);
	c.what = "v2 unix";
	c.in = buf;
	c.inlen = len + sizeof(REQ) - 1;
	c.want = (int)len;
	run_case(&c);

	/* The same with one bit of a path flipped: the CRC fails. */
	buf[20] ^= 1;
	c.what = "v2 unix crc";
	c.want = PROXY_ERR_CHECKSUM;
	run_case(&c);

	/* LOCAL with PROXY_V2_MAX bytes in all, then one more. */
	memset(&c, 0, sizeof(c));
	c.cmd = PROXY_CMD_LOCAL;
	len = build_v2(buf, 0x20, 0x00, body, PROXY_V2_MAX - 16);
	c.what = "v2 at max";
	c.in = buf;
	c.inlen = len;
	c.want = (int)len;
	run_case(&c);
	len = build_v2(buf, 0x20, 0x00, body, PROXY_V2_MAX - 15);
	c.what = "v2 over max";
	c.inlen = len;
	c.want = PROXY_ERR_V2_TOO_LONG;
	run_case(&c);
}
END_TEST

/* UNIQUE_ID: 128 bytes pass, 129 fail. */
START_TEST(test_unique_id)
{
	static char	 body[512], buf[600], id[PROXY_UNIQUE_ID_MAX + 2];
	struct pcase	 c = { P4, V2_4 };
	size_t		 len;

	memset(id, 'u', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	memcpy(body, A4, 12);
	memcpy(body + 12, "\x05\x00\x80", 3);
	memcpy(body + 15, id, 128);
	len = build_v2(buf, 0x21, 0x11, body, 15 + 128);
	id[128] = '\0';
	c.what = "unique id 128";
	c.in = buf;
	c.inlen = len;
	c.want = (int)len;
	c.unique_id = id;
	run_case(&c);

	memcpy(body + 12, "\x05\x00\x81", 3);
	body[15 + 128] = 'u';
	len = build_v2(buf, 0x21, 0x11, body, 15 + 129);
	c.what = "unique id 129";
	c.inlen = len;
	c.want = PROXY_ERR_TLV_VALUE;
	run_case(&c);
}
END_TEST

/* Faults are reported as soon as the bytes show them. */
START_TEST(test_early)
{
	struct proxy_hdr	 h;

	ck_assert_int_eq(proxy_parse("G", 1, &h), PROXY_ERR_NOT_PROXY);
	ck_assert_int_eq(proxy_parse("PROXY TCP5 ", 11, &h), PROXY_ERR_FAMILY);
	ck_assert_int_eq(proxy_parse("PROXY TCP4 1.2.3.400 ", 21, &h),
	    PROXY_ERR_ADDRESS);
	ck_assert_int_eq(proxy_parse(SIG "\x11", 13, &h), PROXY_ERR_VERSION);
	ck_assert_int_eq(proxy_parse(SIG "\x21\x51", 14, &h),
	    PROXY_ERR_FAMILY);
	ck_assert_int_eq(proxy_parse(SIG "\x21\x11\x0f\xf1", 16, &h),
	    PROXY_ERR_V2_TOO_LONG);
	ck_assert_int_eq(proxy_parse(SIG "\x21\x11\x00\x0b", 16, &h),
	    PROXY_ERR_LENGTH);
	ck_assert_int_eq(proxy_parse("", 0, &h), PROXY_NEED_MORE);
}
END_TEST

/* CRC32C's check value (RFC 3720 B.4: "123456789"). */
START_TEST(test_crc32c)
{
	ck_assert_uint_eq(proxy_crc32c("123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(proxy_crc32c("", 0), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("proxy");
	TCase	*tc = tcase_create("parse");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_table, 0, (int)NCASES);
	tcase_add_test(tc, test_v1_length);
	tcase_add_test(tc, test_v2_unix_and_max);
	tcase_add_test(tc, test_unique_id);
	tcase_add_test(tc, test_early);
	tcase_add_test(tc, test_crc32c);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
