#include "config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/forwarded.h"

/*
 * Input: field lines separated by '\n', each "K value" where K picks the
 * name (F Forwarded, X X-Forwarded-For, P -Proto, H -Host, O -Port, any
 * other byte a name nothing reads).  Each value is copied into a buffer
 * of its exact size, so ASan sees a read past it.  Both formats are
 * walked, trusting addresses whose first byte is odd, then nobody, then
 * everybody.  A client found must be an address whose text reads back the
 * same with inet_pton, with spans inside the values; and the
 * X-Forwarded-For lines joined into one line with commas must read the
 * same as the lines apart (RFC 9110 5.3).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXLINES	64

static void
fuzz_check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static int
trust_odd(const void *arg, const struct forwarded_node *n)
{
	(void)arg;
	return n->ip[0] & 1;
}

static int
trust_none(const void *arg, const struct forwarded_node *n)
{
	(void)arg;
	(void)n;
	return 0;
}

static int
trust_all(const void *arg, const struct forwarded_node *n)
{
	(void)arg;
	(void)n;
	return 1;
}

/* A span lies inside one of r's values. */
static void
fuzz_span_in(const struct http1_request *r, const struct http1_span *s)
{
	size_t	i;

	if (s->p == NULL)
		return;
	for (i = 0; i < r->nfields; i++)
		if (s->p >= r->fields[i].value.p &&
		    s->p + s->len <= r->fields[i].value.p + r->fields[i].value.len)
			return;
	fuzz_check(0);
}

static void
fuzz_result(const struct http1_request *r, const struct forwarded_result *o,
    int n)
{
	uint8_t	ip[16];

	fuzz_check(n == o->nelems && n >= 0);
	fuzz_check(o->proto >= -1 && o->proto <= 1);
	fuzz_span_in(r, &o->host);
	fuzz_check(o->host.p == NULL || o->host.len > 0);
	fuzz_check(forwarded_kind_name(o->client.kind) != NULL);
	if (!o->found)
		return;
	fuzz_check(n > 0);
	fuzz_check(o->client.kind == FORWARDED_IP4 ||
	    o->client.kind == FORWARDED_IP6);
	fuzz_check(inet_pton(o->client.kind == FORWARDED_IP4 ? AF_INET :
	    AF_INET6, o->client.text, ip) == 1);
	fuzz_check(memcmp(ip, o->client.ip,
	    o->client.kind == FORWARDED_IP4 ? 4 : 16) == 0);
}

static int
fuzz_pick(const struct http1_request *r, enum forwarded_format fmt,
    forwarded_trust trust, struct forwarded_result *o)
{
	int	n = forwarded_pick(r, fmt, trust, NULL, o);

	fuzz_result(r, o, n);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct { char k; const char *name; } names[] = {
		{ 'F', "Forwarded" }, { 'X', "X-Forwarded-For" },
		{ 'P', "X-Forwarded-Proto" }, { 'H', "X-Forwarded-Host" },
		{ 'O', "X-Forwarded-Port" },
	};
	struct http1_field	 fields[MAXLINES], joined[MAXLINES];
	struct http1_request	 r, rj;
	struct forwarded_result	 a, b;
	const uint8_t		*p = data, *end = data + size, *nl;
	char			*bufs[MAXLINES], *xff = NULL;
	size_t			 i, k, nf = 0, nj = 0, xlen = 0;
	int			 n, fmt, sep = 0;

	while (p < end && nf < MAXLINES) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		fields[nf].name.p = "Other";
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (p < nl && *p == names[k].k)
				fields[nf].name.p = names[k].name;
		fields[nf].name.len = strlen(fields[nf].name.p);
		if (p < nl)
			p++;
		if (p < nl && *p == ' ')
			p++;
		fields[nf].value.len = (size_t)(nl - p);
		bufs[nf] = malloc(nl > p ? (size_t)(nl - p) : 1);
		fuzz_check(bufs[nf] != NULL);
		memcpy(bufs[nf], p, (size_t)(nl - p));
		fields[nf].value.p = bufs[nf];
		nf++;
		p = nl + 1;
	}
	memset(&r, 0, sizeof(r));
	r.fields = fields;
	r.nfields = nf;
	for (fmt = 0; fmt < 2; fmt++) {
		fuzz_pick(&r, (enum forwarded_format)fmt, trust_odd, &a);
		fuzz_pick(&r, (enum forwarded_format)fmt, trust_none, &a);
		fuzz_pick(&r, (enum forwarded_format)fmt, trust_all, &a);
	}

	/* The X-Forwarded-For lines as one line, the others as they are. */
	for (i = 0; i < nf; i++)
		if (strcmp(fields[i].name.p, "X-Forwarded-For") == 0)
			xlen += fields[i].value.len + 1;
		else
			joined[nj++] = fields[i];
	if (xlen > 0) {
		xff = malloc(xlen);
		fuzz_check(xff != NULL);
		xlen = 0;
		for (i = 0; i < nf; i++) {
			if (strcmp(fields[i].name.p, "X-Forwarded-For") != 0)
				continue;
			if (sep++)
				xff[xlen++] = ',';
			memcpy(xff + xlen, fields[i].value.p,
			    fields[i].value.len);
			xlen += fields[i].value.len;
		}
		joined[nj].name.p = "X-Forwarded-For";
		joined[nj].name.len = 15;
		joined[nj].value.p = xff;
		joined[nj].value.len = xlen;
		nj++;
	}
	memset(&rj, 0, sizeof(rj));
	rj.fields = joined;
	rj.nfields = nj;
	n = fuzz_pick(&r, FORWARDED_XFF, trust_odd, &a);
	fuzz_check(fuzz_pick(&rj, FORWARDED_XFF, trust_odd, &b) == n);
	fuzz_check(a.found == b.found && a.client.kind == b.client.kind &&
	    strcmp(a.client.text, b.client.text) == 0 &&
	    a.client.has_port == b.client.has_port &&
	    a.client.port == b.client.port);
	free(xff);
	for (i = 0; i < nf; i++)
		free(bufs[i]);
	return 0;
}
