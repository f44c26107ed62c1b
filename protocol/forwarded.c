#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "protocol/forwarded.h"
#include "protocol/http1.h"
#include "protocol/proxy.h"

/* The elements of every field line named name, in order. */
struct forwarded_iter {
	const struct http1_request	*r;
	const char			*name;
	int				 quotes;	/* Forwarded: a ',' in a
							   quoted string splits
							   nothing */
	size_t				 field;		/* r->fields[field] */
	size_t				 off;		/* in its value */
};

/* One element as the walk keeps it. */
struct forwarded_elem {
	struct forwarded_node	 node;
	int			 proto;
	struct http1_span	 host;
	int			 has_port;
	uint16_t		 port;
};

static void	forwarded_iter_init(struct forwarded_iter *,
		    const struct http1_request *, const char *, int);
static int	forwarded_iter_next(struct forwarded_iter *,
		    struct http1_span *);
static size_t	forwarded_scan(const char *, size_t, char, int);
static void	forwarded_trim(struct http1_span *);
static int	forwarded_element(const char *, size_t,
		    struct forwarded_elem *);
static int	forwarded_value(const char *, size_t, struct http1_span *,
		    int *);
static int	forwarded_proto(const char *, size_t);
static int	forwarded_host(const char *, size_t, struct forwarded_elem *);
static int	forwarded_obf(const char *, size_t);
static void	forwarded_last(const struct http1_request *, const char *,
		    struct http1_span *);

static const char *const forwarded_kinds[] = {
	"none", "ip4", "ip6", "unknown", "obfuscated", "invalid"
};

const char *
forwarded_kind_name(enum forwarded_kind k)
{
	if ((unsigned)k >= sizeof(forwarded_kinds) / sizeof(*forwarded_kinds))
		return "?";
	return forwarded_kinds[k];
}

static void
forwarded_iter_init(struct forwarded_iter *it, const struct http1_request *r,
    const char *name, int quotes)
{
	memset(it, 0, sizeof(*it));
	it->r = r;
	it->name = name;
	it->quotes = quotes;
}

/* The length of s[0..n) up to the first sep outside a quoted string (when
   quotes), or n.  An unterminated quoted string runs to n. */
static size_t
forwarded_scan(const char *s, size_t n, char sep, int quotes)
{
	size_t	i;
	int	inq = 0;

	for (i = 0; i < n; i++) {
		if (inq) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				inq = 0;
		} else if (s[i] == sep)
			return i;
		else if (quotes && s[i] == '"')
			inq = 1;
	}
	return n;
}

/* Removes spaces and tabs at both ends of sp. */
static void
forwarded_trim(struct http1_span *sp)
{
	while (sp->len > 0 && (sp->p[0] == ' ' || sp->p[0] == '\t')) {
		sp->p++;
		sp->len--;
	}
	while (sp->len > 0 && (sp->p[sp->len - 1] == ' ' ||
	    sp->p[sp->len - 1] == '\t'))
		sp->len--;
}

/* The next non-empty element, trimmed: 1 with *el set, or 0 at the end. */
static int
forwarded_iter_next(struct forwarded_iter *it, struct http1_span *el)
{
	const struct http1_field	*f;
	size_t				 k;

	for (; it->field < it->r->nfields; it->field++, it->off = 0) {
		f = &it->r->fields[it->field];
		if (f->name.len != strlen(it->name) ||
		    strncasecmp(f->name.p, it->name, f->name.len) != 0)
			continue;
		while (it->off < f->value.len) {
			k = forwarded_scan(f->value.p + it->off,
			    f->value.len - it->off, ',', it->quotes);
			el->p = f->value.p + it->off;
			el->len = k;
			it->off += k + 1;
			forwarded_trim(el);
			if (el->len > 0)
				return 1;
		}
	}
	return 0;
}

int
forwarded_node_parse(const char *s, size_t n, int bare_ip6,
    struct forwarded_node *node)
{
	struct proxy_addr	 a;
	const char		*colon, *end = s + n, *rest;

	memset(node, 0, sizeof(*node));
	node->kind = FORWARDED_INVALID;
	if (n == 0)
		return -1;
	if (s[0] == '[') {
		colon = memchr(s, ']', n);
		if (colon == NULL || proxy_ip6(s + 1, (size_t)(colon - s - 1),
		    node->ip) == -1)
			return -1;
		node->kind = FORWARDED_IP6;
		rest = colon + 1;
	} else {
		colon = memchr(s, ':', n);
		if (bare_ip6 && colon != NULL &&
		    memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			if (proxy_ip6(s, n, node->ip) == -1)
				return -1;
			node->kind = FORWARDED_IP6;
			rest = end;
		} else {
			rest = colon != NULL ? colon : end;
			if (s[0] == '_' && forwarded_obf(s + 1,
			    (size_t)(rest - s - 1)) == 0)
				node->kind = FORWARDED_OBFUSCATED;
			else if (rest - s == 7 && strncasecmp(s, "unknown",
			    7) == 0)
				node->kind = FORWARDED_UNKNOWN;
			else if (proxy_ip4(s, (size_t)(rest - s),
			    node->ip) == 0)
				node->kind = FORWARDED_IP4;
			else
				return -1;
		}
	}
	if (rest < end) {
		if (*rest != ':' || ++rest == end)
			goto bad;
		if (*rest == '_') {
			if (forwarded_obf(rest + 1, (size_t)(end - rest - 1)))
				goto bad;
		} else if (proxy_port(rest, (size_t)(end - rest),
		    &node->port) == 0)
			node->has_port = 1;
		else
			goto bad;
	}
	if (node->kind == FORWARDED_IP4 || node->kind == FORWARDED_IP6) {
		memset(&a, 0, sizeof(a));
		memcpy(a.ip, node->ip, sizeof(a.ip));
		(void)proxy_addr_str(node->kind == FORWARDED_IP4 ?
		    PROXY_FAM_TCP4 : PROXY_FAM_TCP6, &a, node->text,
		    sizeof(node->text));
	}
	return 0;
bad:
	memset(node, 0, sizeof(*node));
	node->kind = FORWARDED_INVALID;
	return -1;
}

/* 0 when s[0..n) is an obfuscated identifier after its '_' (RFC 7239
   6.3: ALPHA, DIGIT, '.', '_', '-'; at least one), else -1. */
static int
forwarded_obf(const char *s, size_t n)
{
	size_t	i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return -1;
	}
	return 0;
}

/*
 * A pair's value s[0..n): a token, or a quoted string whose content is
 * put in *v (its quotes off; *escaped set when it holds a quoted-pair, so
 * *v is not the value itself).  0, or -1 when it is neither.
 */
static int
forwarded_value(const char *s, size_t n, struct http1_span *v, int *escaped)
{
	size_t	i;

	*escaped = 0;
	if (n == 0)
		return -1;
	if (s[0] != '"') {
		for (i = 0; i < n; i++)
			if (!http1_is_tchar((unsigned char)s[i]))
				return -1;
		v->p = s;
		v->len = n;
		return 0;
	}
	for (i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			*escaped = 1;
			if (++i >= n - 1)
				return -1;
			c = (unsigned char)s[i];
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				return -1;
		} else if (c == '"' || (c != '\t' && (c < 0x20 || c == 0x7f)))
			return -1;
	}
	if (n < 2 || s[n - 1] != '"')
		return -1;
	v->p = s + 1;
	v->len = n - 2;
	return 0;
}

/* 1 for "https", 0 for "http" (any case), else -1. */
static int
forwarded_proto(const char *s, size_t n)
{
	if (n == 5 && strncasecmp(s, "https", 5) == 0)
		return 1;
	if (n == 4 && strncasecmp(s, "http", 4) == 0)
		return 0;
	return -1;
}

/* Host "name[:port]" (name a reg-name of letters, digits, '-', '.', '_',
   '~', or an IPv6 literal in brackets) into e's host and port: 0, or
   -1 (e unchanged). */
static int
forwarded_host(const char *s, size_t n, struct forwarded_elem *e)
{
	uint8_t		 ip[16];
	uint16_t	 port = 0;
	size_t		 i = 0, name;
	int		 has_port = 0;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL ||
		    proxy_ip6(s + 1, (size_t)(close - s - 1), ip) == -1)
			return -1;
		i = (size_t)(close - s) + 1;
	} else {
		for (; i < n && s[i] != ':'; i++) {
			unsigned char c = (unsigned char)s[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			    c == '_' || c == '~'))
				return -1;
		}
	}
	name = i;
	if (name == 0)
		return -1;
	if (i < n) {
		if (s[i] != ':' || proxy_port(s + i + 1, n - i - 1, &port) == -1)
			return -1;
		has_port = 1;
	}
	e->host.p = s;
	e->host.len = name;
	e->has_port = has_port;
	e->port = port;
	return 0;
}

/*
 * A Forwarded element s[0..n) into *e: its for= node (FORWARDED_NONE
 * without one), proto= and host=.  A pair that breaks the syntax, a
 * quoted-pair in for= or a parameter given twice make the element
 * FORWARDED_INVALID (and nothing else of it is kept): -1.
 */
static int
forwarded_element(const char *s, size_t n, struct forwarded_elem *e)
{
	struct http1_span	 pair, name, v;
	size_t			 k, eq, off = 0;
	int			 escaped, seen = 0, bit;

	memset(e, 0, sizeof(*e));
	e->proto = -1;
	while (off < n) {
		k = forwarded_scan(s + off, n - off, ';', 1);
		pair.p = s + off;
		pair.len = k;
		off += k + 1;
		forwarded_trim(&pair);
		if (pair.len == 0)
			continue;
		eq = forwarded_scan(pair.p, pair.len, '=', 0);
		name.p = pair.p;
		name.len = eq;
		if (eq == 0 || eq == pair.len || forwarded_value(pair.p + eq +
		    1, pair.len - eq - 1, &v, &escaped) == -1)
			goto bad;
		for (k = 0; k < eq; k++)
			if (!http1_is_tchar((unsigned char)name.p[k]))
				goto bad;
		bit = 0;
		if (eq == 3 && strncasecmp(name.p, "for", 3) == 0)
			bit = 1;
		else if (eq == 5 && strncasecmp(name.p, "proto", 5) == 0)
			bit = 2;
		else if (eq == 4 && strncasecmp(name.p, "host", 4) == 0)
			bit = 4;
		else if (eq == 2 && strncasecmp(name.p, "by", 2) == 0)
			bit = 8;
		if (bit & seen)
			goto bad;
		seen |= bit;
		if (bit == 1 && (escaped ||
		    forwarded_node_parse(v.p, v.len, 0, &e->node) == -1))
			goto bad;
		if (bit == 2 && !escaped)
			e->proto = forwarded_proto(v.p, v.len);
		if (bit == 4 && !escaped)
			(void)forwarded_host(v.p, v.len, e);
	}
	return 0;
bad:
	memset(e, 0, sizeof(*e));
	e->proto = -1;
	e->node.kind = FORWARDED_INVALID;
	return -1;
}

/* The right-most element of the field lines named name into *v (p ==
   NULL: none). */
static void
forwarded_last(const struct http1_request *r, const char *name,
    struct http1_span *v)
{
	struct forwarded_iter	 it;
	struct http1_span	 el;

	v->p = NULL;
	v->len = 0;
	forwarded_iter_init(&it, r, name, 0);
	while (forwarded_iter_next(&it, &el))
		*v = el;
}

int
forwarded_pick(const struct http1_request *r, enum forwarded_format fmt,
    forwarded_trust trust, const void *arg, struct forwarded_result *out)
{
	struct forwarded_iter	 it;
	struct forwarded_elem	 e, first, stop, *decider;
	struct http1_span	 el, v;
	int			 rfc = fmt == FORWARDED_RFC7239, stopped = 0;
	uint16_t		 port;

	memset(out, 0, sizeof(*out));
	out->proto = -1;
	memset(&first, 0, sizeof(first));
	memset(&stop, 0, sizeof(stop));
	forwarded_iter_init(&it, r, rfc ? "Forwarded" : "X-Forwarded-For",
	    rfc);
	while (forwarded_iter_next(&it, &el)) {
		if (rfc)
			(void)forwarded_element(el.p, el.len, &e);
		else {
			memset(&e, 0, sizeof(e));
			e.proto = -1;
			(void)forwarded_node_parse(el.p, el.len, 1, &e.node);
		}
		if (out->nelems++ == 0)
			first = e;
		if ((e.node.kind != FORWARDED_IP4 &&
		    e.node.kind != FORWARDED_IP6) || !trust(arg, &e.node)) {
			stop = e;
			stopped = 1;
		}
	}
	if (out->nelems > 0) {
		decider = stopped ? &stop : &first;
		out->client = decider->node;
		out->found = decider->node.kind == FORWARDED_IP4 ||
		    decider->node.kind == FORWARDED_IP6;
		if (rfc) {
			out->proto = decider->proto;
			out->host = decider->host;
			out->has_port = decider->has_port;
			out->port = decider->port;
		}
	}
	if (rfc)
		return out->nelems;
	forwarded_last(r, "X-Forwarded-Proto", &v);
	if (v.p != NULL)
		out->proto = forwarded_proto(v.p, v.len);
	forwarded_last(r, "X-Forwarded-Host", &v);
	if (v.p != NULL && forwarded_host(v.p, v.len, &e) == 0) {
		out->host = e.host;
		out->has_port = e.has_port;
		out->port = e.port;
	}
	forwarded_last(r, "X-Forwarded-Port", &v);
	if (v.p != NULL && proxy_port(v.p, v.len, &port) == 0) {
		out->has_port = 1;
		out->port = port;
	}
	return out->nelems;
}
