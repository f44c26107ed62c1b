#include "config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proxy.h"

/*
 * Input: the bytes a client sends first.  They are parsed whole and at
 * every prefix (all of them for short inputs, a few for long ones), each in
 * a buffer of its exact size, so ASan sees a read past it.  A header must
 * need more at every shorter prefix and give the same length and fields at
 * every longer one; an error, once given, must stay the same.  A header's
 * spans must lie inside it, its addresses must print as inet_ntop prints
 * them, and a TCP4/TCP6 address printed and sent again as a v1 line must
 * read back the same.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALL_PREFIXES	600	/* inputs up to this size: every prefix */

static void
fuzz_check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* proxy_parse on a copy of buf[0..n) of its exact size; *copy keeps it
   (the caller frees it) so that h's spans can be read. */
static int
fuzz_parse(const uint8_t *buf, size_t n, struct proxy_hdr *h, char **copy)
{
	*copy = malloc(n > 0 ? n : 1);
	fuzz_check(*copy != NULL);
	if (n > 0)
		memcpy(*copy, buf, n);
	return proxy_parse(*copy, n, h);
}

/* Span s of a header parsed in base[0..len) lies inside it. */
static void
fuzz_span_in(const struct proxy_span *s, const char *base, int len)
{
	if (s->p == NULL)
		return;
	fuzz_check(s->p >= base && s->p + s->len <= base + len);
}

/* Span a in header base a, span b in header base b: the same bytes at the
   same offset, or both absent. */
static void
fuzz_span_same(const struct proxy_span *a, const char *abase,
    const struct proxy_span *b, const char *bbase)
{
	fuzz_check((a->p == NULL) == (b->p == NULL));
	if (a->p == NULL)
		return;
	fuzz_check(a->len == b->len && a->p - abase == b->p - bbase);
}

static void
fuzz_same(const struct proxy_hdr *a, const char *abase,
    const struct proxy_hdr *b, const char *bbase)
{
	fuzz_check(a->version == b->version && a->command == b->command &&
	    a->family == b->family && a->crc_checked == b->crc_checked);
	fuzz_check(memcmp(a->src.ip, b->src.ip, 16) == 0 &&
	    memcmp(a->dst.ip, b->dst.ip, 16) == 0);
	fuzz_check(a->src.port == b->src.port && a->dst.port == b->dst.port);
	fuzz_span_same(&a->src.path, abase, &b->src.path, bbase);
	fuzz_span_same(&a->dst.path, abase, &b->dst.path, bbase);
	fuzz_span_same(&a->alpn, abase, &b->alpn, bbase);
	fuzz_span_same(&a->authority, abase, &b->authority, bbase);
	fuzz_span_same(&a->unique_id, abase, &b->unique_id, bbase);
	fuzz_span_same(&a->ssl.version, abase, &b->ssl.version, bbase);
	fuzz_span_same(&a->ssl.cn, abase, &b->ssl.cn, bbase);
	fuzz_span_same(&a->ssl.cipher, abase, &b->ssl.cipher, bbase);
	fuzz_check(a->ssl.present == b->ssl.present &&
	    a->ssl.client == b->ssl.client && a->ssl.verify == b->ssl.verify);
}

/* Address a of family fam prints as libc's inet_ntop prints it. */
static void
fuzz_ntop(enum proxy_family fam, const struct proxy_addr *a, const char *ours)
{
	char	 libc[INET6_ADDRSTRLEN];

	fuzz_check(inet_ntop(fam == PROXY_FAM_TCP4 ? AF_INET : AF_INET6, a->ip,
	    libc, sizeof(libc)) != NULL);
	fuzz_check(strcmp(libc, ours) == 0);
}

/* A v1 line's address tokens (after "PROXY TCPx ") read as inet_pton
   reads them: the parser is stricter, never more lenient. */
static void
fuzz_pton(const struct proxy_hdr *h, const char *line, int len)
{
	char		 tok[64];
	uint8_t		 ip[16];
	const char	*p = line + 11, *sp;
	int		 i;

	for (i = 0; i < 2; i++) {
		sp = memchr(p, ' ', (size_t)(line + len - p));
		fuzz_check(sp != NULL && (size_t)(sp - p) < sizeof(tok));
		memcpy(tok, p, (size_t)(sp - p));
		tok[sp - p] = '\0';
		fuzz_check(inet_pton(h->family == PROXY_FAM_TCP4 ? AF_INET :
		    AF_INET6, tok, ip) == 1);
		fuzz_check(memcmp(ip, i == 0 ? h->src.ip : h->dst.ip,
		    h->family == PROXY_FAM_TCP4 ? 4 : 16) == 0);
		p = sp + 1;
	}
}

/* A parsed header's invariants, and the v1 round trip of its addresses. */
static void
fuzz_header(const struct proxy_hdr *h, const char *base, int len)
{
	struct proxy_hdr	 again;
	char			 src[PROXY_ADDRSTRLEN], dst[PROXY_ADDRSTRLEN];
	char			 line[256];
	int			 n;

	fuzz_check(h->version == 1 || h->version == 2);
	fuzz_check(h->version == 2 || len <= PROXY_V1_MAX);
	fuzz_check(h->version == 1 || len <= PROXY_V2_MAX);
	fuzz_check(h->command == PROXY_CMD_PROXY ||
	    h->family == PROXY_FAM_UNSPEC);
	fuzz_span_in(&h->src.path, base, len);
	fuzz_span_in(&h->dst.path, base, len);
	fuzz_span_in(&h->alpn, base, len);
	fuzz_span_in(&h->authority, base, len);
	fuzz_span_in(&h->unique_id, base, len);
	fuzz_span_in(&h->ssl.version, base, len);
	fuzz_span_in(&h->ssl.cn, base, len);
	fuzz_span_in(&h->ssl.cipher, base, len);
	fuzz_check(h->unique_id.len <= PROXY_UNIQUE_ID_MAX);
	fuzz_check(proxy_addr_str(h->family, &h->src, src, sizeof(src)) >= 0);
	fuzz_check(proxy_addr_str(h->family, &h->dst, dst, sizeof(dst)) >= 0);
	fuzz_check(proxy_family_name(h->family) != NULL &&
	    proxy_command_name(h->command) != NULL);
	if (h->family != PROXY_FAM_TCP4 && h->family != PROXY_FAM_TCP6)
		return;
	fuzz_ntop(h->family, &h->src, src);
	fuzz_ntop(h->family, &h->dst, dst);
	if (h->version == 1)
		fuzz_pton(h, base, len);
	n = snprintf(line, sizeof(line), "PROXY %s %s %s %u %u\r\n",
	    proxy_family_name(h->family), src, dst, h->src.port, h->dst.port);
	fuzz_check(n > 0 && n <= PROXY_V1_MAX);
	fuzz_check(proxy_parse(line, (size_t)n, &again) == n);
	fuzz_check(again.family == h->family);
	fuzz_check(memcmp(again.src.ip, h->src.ip, 16) == 0 &&
	    memcmp(again.dst.ip, h->dst.ip, 16) == 0);
	fuzz_check(again.src.port == h->src.port &&
	    again.dst.port == h->dst.port);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr	 whole, part;
	char			*wcopy, *pcopy;
	size_t			 k, first_err = SIZE_MAX;
	int			 r, rk;

	r = fuzz_parse(data, size, &whole, &wcopy);
	fuzz_check(proxy_error_str(r) != NULL);
	if (r > 0) {
		fuzz_check((size_t)r <= size);
		fuzz_header(&whole, wcopy, r);
	} else if (r == PROXY_NEED_MORE)
		fuzz_check(size < PROXY_V2_MAX);
	else
		fuzz_check(r >= PROXY_ERR_CHECKSUM);

	for (k = 0; k <= size; k++) {
		if (size > ALL_PREFIXES && k > 64 && k + 2 < size &&
		    !(r > 0 && (k + 1 == (size_t)r || k == (size_t)r)))
			continue;
		rk = fuzz_parse(data, k, &part, &pcopy);
		if (r > 0 && k < (size_t)r)
			fuzz_check(rk == PROXY_NEED_MORE);
		else if (r > 0) {
			fuzz_check(rk == r);
			fuzz_same(&whole, wcopy, &part, pcopy);
		} else if (r == PROXY_NEED_MORE)
			fuzz_check(rk == PROXY_NEED_MORE);
		else {
			fuzz_check(rk == PROXY_NEED_MORE || rk == r);
			if (rk == r && first_err == SIZE_MAX)
				first_err = k;
			fuzz_check(first_err == SIZE_MAX || rk == r);
		}
		free(pcopy);
	}
	free(wcopy);
	return 0;
}
