#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/forwarded.h"
#include "tests/unit/guard.h"

/*
 * Each case builds a struct http1_request by hand from "Name: value"
 * lines, every value copied so that it ends right before a PROT_NONE
 * page, walks it with forwarded_pick and a trust list, and compares what
 * it found.  A case marked split is also run with its first line cut
 * into two lines of the same name at each of its commas: one list split
 * across lines reads the same (RFC 9110 5.3).
 */

#define MAXLINES	6

struct fcase {
	const char	*what;
	enum forwarded_format fmt;
	const char	*trusted;	/* space-separated; an entry ending in
					   '.' or ':' is a prefix of the text */
	const char	*lines[MAXLINES];	/* "Name: value", NULL-ended */
	int		 split;
	int		 nelems;
	int		 found;
	const char	*client;	/* found: its text; else the kind
					   where the walk stopped */
	int		 cport;		/* client port, -1: none */
	int		 proto;
	const char	*host;		/* NULL: none */
	int		 port;		/* the front's port, -1: none */
};

#define XFF		.fmt = FORWARDED_XFF
#define RFC		.fmt = FORWARDED_RFC7239
#define NONE		.cport = -1, .proto = -1, .port = -1
#define FOUND(a)	.found = 1, .client = a
#define KEPT(k)		.found = 0, .client = k

static const struct fcase cases[] = {
	/* --- X-Forwarded-For --- */
	{ "xff one, peer trusted", XFF, "127.0.0.1",
	    { "X-Forwarded-For: 203.0.113.7" }, 0, 1, FOUND("203.0.113.7"),
	    NONE },
	{ "xff right-most untrusted", XFF, "127.0.0.1",
	    { "X-Forwarded-For: 198.51.100.1, 203.0.113.7" }, 1, 2,
	    FOUND("203.0.113.7"), NONE },
	{ "xff a trusted hop skipped", XFF, "203.0.113.",
	    { "X-Forwarded-For: 198.51.100.1, 203.0.113.7" }, 1, 2,
	    FOUND("198.51.100.1"), NONE },
	{ "xff all trusted: left-most", XFF, "198.51.100. 203.0.113.",
	    { "X-Forwarded-For: 198.51.100.1,203.0.113.7" }, 1, 2,
	    FOUND("198.51.100.1"), NONE },
	{ "xff two lines are one list", XFF, "203.0.113.",
	    { "X-Forwarded-For: 192.0.2.9, 198.51.100.1",
	      "Host: x", "x-forwarded-for: 203.0.113.7" }, 1, 3,
	    FOUND("198.51.100.1"), NONE },
	{ "xff forged left part ignored", XFF, "127.0.0.1",
	    { "X-Forwarded-For: 192.0.2.9, 127.0.0.1" }, 1, 2,
	    FOUND("192.0.2.9"), NONE },
	{ "xff empty elements and tabs", XFF, "",
	    { "X-Forwarded-For: ,\t198.51.100.1 ,, 203.0.113.7\t," }, 1, 2,
	    FOUND("203.0.113.7"), NONE },
	{ "xff bare ipv6", XFF, "",
	    { "X-Forwarded-For: 2001:DB8::0:1" }, 0, 1, FOUND("2001:db8::1"),
	    NONE },
	{ "xff bracketed ipv6 with port", XFF, "",
	    { "X-Forwarded-For: [2001:db8::1]:4711" }, 0, 1,
	    FOUND("2001:db8::1"), .cport = 4711, .proto = -1, .port = -1 },
	{ "xff ipv4 with port", XFF, "",
	    { "X-Forwarded-For: 192.0.2.9:80" }, 0, 1, FOUND("192.0.2.9"),
	    .cport = 80, .proto = -1, .port = -1 },
	{ "xff garbage where the walk stops", XFF, "127.0.0.1",
	    { "X-Forwarded-For: 192.0.2.9, evil" }, 1, 2, KEPT("invalid"),
	    NONE },
	{ "xff garbage left of the client", XFF, "127.0.0.1",
	    { "X-Forwarded-For: evil, 192.0.2.9" }, 1, 2, FOUND("192.0.2.9"),
	    NONE },
	{ "xff unknown stops the walk", XFF, "",
	    { "X-Forwarded-For: 192.0.2.9, unknown" }, 1, 2, KEPT("unknown"),
	    NONE },
	{ "xff leading zero is garbage", XFF, "",
	    { "X-Forwarded-For: 192.0.2.09" }, 0, 1, KEPT("invalid"), NONE },
	{ "xff ipv4 out of range", XFF, "",
	    { "X-Forwarded-For: 256.0.0.1" }, 0, 1, KEPT("invalid"), NONE },
	{ "xff port out of range", XFF, "",
	    { "X-Forwarded-For: 192.0.2.9:65536" }, 0, 1, KEPT("invalid"),
	    NONE },
	{ "xff empty: no elements", XFF, "", { "X-Forwarded-For: " }, 0, 0,
	    KEPT("none"), NONE },
	{ "no header at all", XFF, "", { "Host: a" }, 0, 0, KEPT("none"),
	    NONE },
	{ "xff ignores Forwarded", XFF, "",
	    { "Forwarded: for=192.0.2.9" }, 0, 0, KEPT("none"), NONE },
	{ "xff proto host port", XFF, "",
	    { "X-Forwarded-For: 192.0.2.9", "X-Forwarded-Proto: https",
	      "X-Forwarded-Host: www.example.com:8443",
	      "X-Forwarded-Port: 443" }, 0, 1, FOUND("192.0.2.9"),
	    .cport = -1, .proto = 1, .host = "www.example.com", .port = 443 },
	{ "xff right-most proto, host port", XFF, "",
	    { "X-Forwarded-Proto: https, HTTP",
	      "X-Forwarded-Host: [2001:db8::2]:8443" }, 0, 0, KEPT("none"),
	    .cport = -1, .proto = 0, .host = "[2001:db8::2]", .port = 8443 },
	{ "xff bad proto host port", XFF, "",
	    { "X-Forwarded-Proto: ftp", "X-Forwarded-Host: a b",
	      "X-Forwarded-Port: 0443" }, 0, 0, KEPT("none"), NONE },

	/* --- Forwarded (RFC 7239) --- */
	{ "rfc one", RFC, "", { "Forwarded: for=192.0.2.60" }, 0, 1,
	    FOUND("192.0.2.60"), NONE },
	{ "rfc the RFC's example", RFC, "203.0.113.",
	    { "Forwarded: for=192.0.2.43, for=\"[2001:db8:cafe::17]\", "
	      "for=203.0.113.1" }, 1, 3, FOUND("2001:db8:cafe::17"), NONE },
	{ "rfc ipv6 with port", RFC, "",
	    { "Forwarded: for=\"[2001:db8::1]:4711\";proto=https" }, 0, 1,
	    FOUND("2001:db8::1"), .cport = 4711, .proto = 1, .port = -1 },
	{ "rfc pairs in any order, case", RFC, "",
	    { "Forwarded: Proto=HTTPS; Host=example.com ;FOR=192.0.2.1;"
	      "by=203.0.113.43" }, 0, 1, FOUND("192.0.2.1"), .cport = -1,
	    .proto = 1, .host = "example.com", .port = -1 },
	{ "rfc proto and host of the deciding element", RFC, "127.0.0.1",
	    { "Forwarded: for=192.0.2.1;proto=https;host=a.example, "
	      "for=127.0.0.1;proto=http;host=b" }, 1, 2, FOUND("192.0.2.1"),
	    .cport = -1, .proto = 1, .host = "a.example", .port = -1 },
	{ "rfc quoted host with port", RFC, "",
	    { "Forwarded: for=192.0.2.1;host=\"example.com:8443\"" }, 0, 1,
	    FOUND("192.0.2.1"), .cport = -1, .proto = -1,
	    .host = "example.com", .port = 8443 },
	{ "rfc comma inside quotes", RFC, "",
	    { "Forwarded: for=192.0.2.1;ext=\"a,b\"" }, 0, 1,
	    FOUND("192.0.2.1"), NONE },
	{ "rfc quoted-pair elsewhere is fine", RFC, "",
	    { "Forwarded: for=192.0.2.1;ext=\"a\\\"b\"" }, 0, 1,
	    FOUND("192.0.2.1"), NONE },
	{ "rfc quoted-pair in for=", RFC, "",
	    { "Forwarded: for=\"192.0.2.\\1\"" }, 0, 1, KEPT("invalid"), NONE },
	{ "rfc obfuscated stops the walk", RFC, "",
	    { "Forwarded: for=192.0.2.1, for=_hidden;proto=https" }, 1, 2,
	    KEPT("obfuscated"), .cport = -1, .proto = 1, .port = -1 },
	{ "rfc unknown stops the walk", RFC, "",
	    { "Forwarded: for=192.0.2.1, for=unknown" }, 1, 2,
	    KEPT("unknown"), NONE },
	{ "rfc obfuscated port", RFC, "",
	    { "Forwarded: for=\"192.0.2.1:_p1\"" }, 0, 1, FOUND("192.0.2.1"),
	    NONE },
	{ "rfc element without for", RFC, "",
	    { "Forwarded: for=192.0.2.1, proto=https" }, 1, 2, KEPT("none"),
	    .cport = -1, .proto = 1, .port = -1 },
	{ "rfc unquoted ipv6 is garbage", RFC, "",
	    { "Forwarded: for=[2001:db8::1]" }, 0, 1, KEPT("invalid"), NONE },
	{ "rfc unterminated quote", RFC, "",
	    { "Forwarded: for=192.0.2.1, for=\"192.0.2.2" }, 1, 2,
	    KEPT("invalid"), NONE },
	{ "rfc for twice", RFC, "",
	    { "Forwarded: for=192.0.2.1;for=192.0.2.2" }, 0, 1,
	    KEPT("invalid"), NONE },
	{ "rfc pair without value", RFC, "",
	    { "Forwarded: for=" }, 0, 1, KEPT("invalid"), NONE },
	{ "rfc space around =", RFC, "",
	    { "Forwarded: for = 192.0.2.1" }, 0, 1, KEPT("invalid"), NONE },
	{ "rfc two lines", RFC, "192.0.2.2",
	    { "Forwarded: for=192.0.2.1", "Forwarded: for=192.0.2.2" }, 0, 2,
	    FOUND("192.0.2.1"), NONE },
	{ "rfc ignores x-forwarded-*", RFC, "",
	    { "X-Forwarded-For: 192.0.2.1", "X-Forwarded-Proto: https" }, 0,
	    0, KEPT("none"), NONE },
	{ "rfc garbage right of trusted", RFC, "192.0.2.",
	    { "Forwarded: for=198.51.100.1, for=192.0.2.1, bogus" }, 1, 3,
	    KEPT("invalid"), NONE },
	{ "rfc empty elements and pairs", RFC, "",
	    { "Forwarded: , ;for=192.0.2.1; ,," }, 1, 1, FOUND("192.0.2.1"),
	    NONE },
};

/* Trust: node's text is in the space-separated list. */
static int
trust_list(const void *arg, const struct forwarded_node *n)
{
	const char	*list = arg, *p = list, *sp;
	size_t		 len, tl = strlen(n->text);

	ck_assert(n->kind == FORWARDED_IP4 || n->kind == FORWARDED_IP6);
	while (*p != '\0') {
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (len > 0 && ((p[len - 1] == '.' || p[len - 1] == ':') ?
		    len <= tl && memcmp(p, n->text, len) == 0 :
		    len == tl && memcmp(p, n->text, len) == 0))
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

struct built {
	struct http1_request	req;
	struct http1_field	fields[MAXLINES + 1];
	struct guard		guards[MAXLINES + 1];
	size_t			n;
};

static void
built_add(struct built *b, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	struct http1_field	*f = &b->fields[b->n];

	ck_assert_uint_lt(b->n, MAXLINES + 1);
	f->name.p = name;
	f->name.len = nlen;
	f->value.p = guard_copy(&b->guards[b->n], v, vlen);
	f->value.len = vlen;
	b->n++;
}

/* The case's lines as fields; with cut > 0 the first line's value is cut
   into two lines of its name before byte cut (a comma, dropped). */
static void
built_init(struct built *b, const struct fcase *t, size_t cut)
{
	const char	*l, *colon, *v;
	size_t		 i, vlen;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < MAXLINES && (l = t->lines[i]) != NULL; i++) {
		colon = strchr(l, ':');
		ck_assert_ptr_nonnull(colon);
		v = colon + 1;
		while (*v == ' ')
			v++;
		vlen = strlen(v);
		if (i == 0 && cut > 0) {
			built_add(b, l, (size_t)(colon - l), v, cut);
			built_add(b, l, (size_t)(colon - l), v + cut + 1,
			    vlen - cut - 1);
		} else
			built_add(b, l, (size_t)(colon - l), v, vlen);
	}
	b->req.fields = b->fields;
	b->req.nfields = b->n;
}

static void
built_free(struct built *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		guard_free(&b->guards[i]);
}

static void
check_case(const struct fcase *t, size_t cut)
{
	struct built		 b;
	struct forwarded_result	 res;
	int			 n;

	built_init(&b, t, cut);
	n = forwarded_pick(&b.req, t->fmt, trust_list, t->trusted,
	    &res);
	ck_assert_msg(n == t->nelems && res.nelems == n,
	    "%s (cut %zu): %d elements, want %d", t->what, cut, n, t->nelems);
	ck_assert_msg(res.found == t->found, "%s (cut %zu): found %d",
	    t->what, cut, res.found);
	if (t->found)
		ck_assert_msg(strcmp(res.client.text, t->client) == 0,
		    "%s (cut %zu): client %s", t->what, cut, res.client.text);
	else if (n > 0)
		ck_assert_msg(strcmp(forwarded_kind_name(res.client.kind),
		    t->client) == 0, "%s (cut %zu): stopped at %s", t->what,
		    cut, forwarded_kind_name(res.client.kind));
	if (t->found)
		ck_assert_msg(t->cport == -1 ? !res.client.has_port :
		    res.client.has_port && res.client.port == t->cport,
		    "%s: client port %d", t->what, res.client.port);
	ck_assert_msg(res.proto == t->proto, "%s: proto %d", t->what,
	    res.proto);
	if (t->host == NULL)
		ck_assert_msg(res.host.p == NULL, "%s: a host", t->what);
	else
		ck_assert_msg(res.host.p != NULL && res.host.len ==
		    strlen(t->host) && memcmp(res.host.p, t->host,
		    res.host.len) == 0, "%s: host", t->what);
	ck_assert_msg(t->port == -1 ? !res.has_port :
	    res.has_port && res.port == t->port, "%s: port %d", t->what,
	    res.port);
	built_free(&b);
}

START_TEST(test_pick)
{
	const struct fcase	*t = &cases[_i];
	const char		*v;
	size_t			 k;

	check_case(t, 0);
	if (!t->split)
		return;
	v = strchr(t->lines[0], ':') + 1;
	while (*v == ' ')
		v++;
	for (k = 1; v[k] != '\0'; k++)
		if (v[k] == ',')
			check_case(t, k);
}
END_TEST

/* Node texts read alone: kinds, ports, what is refused. */
struct ncase {
	const char	*in;
	int		 bare;
	enum forwarded_kind kind;
	const char	*text;
	int		 port;		/* -1: none */
};

static const struct ncase nodes[] = {
	{ "0.0.0.0", 0, FORWARDED_IP4, "0.0.0.0", -1 },
	{ "255.255.255.255:65535", 0, FORWARDED_IP4, "255.255.255.255",
	    65535 },
	{ "192.0.2.1:0", 0, FORWARDED_IP4, "192.0.2.1", 0 },
	{ "[::1]", 0, FORWARDED_IP6, "::1", -1 },
	{ "[::ffff:192.0.2.1]:1", 0, FORWARDED_IP6, "::ffff:192.0.2.1", 1 },
	{ "::1", 1, FORWARDED_IP6, "::1", -1 },
	{ "::1", 0, FORWARDED_INVALID, "", -1 },
	{ "UNKNOWN", 0, FORWARDED_UNKNOWN, "", -1 },
	{ "unknown:_x", 0, FORWARDED_UNKNOWN, "", -1 },
	{ "_a.b-c_d", 0, FORWARDED_OBFUSCATED, "", -1 },
	{ "_", 0, FORWARDED_INVALID, "", -1 },
	{ "_a!", 0, FORWARDED_INVALID, "", -1 },
	{ "192.0.2.1:", 0, FORWARDED_INVALID, "", -1 },
	{ "192.0.2.1:_", 0, FORWARDED_INVALID, "", -1 },
	{ "192.0.2.1:08", 0, FORWARDED_INVALID, "", -1 },
	{ "[::1]x", 0, FORWARDED_INVALID, "", -1 },
	{ "[::1", 0, FORWARDED_INVALID, "", -1 },
	{ "[192.0.2.1]", 0, FORWARDED_INVALID, "", -1 },
	{ "1.2.3", 0, FORWARDED_INVALID, "", -1 },
	{ "1.2.3.4.5", 0, FORWARDED_INVALID, "", -1 },
	{ " 1.2.3.4", 0, FORWARDED_INVALID, "", -1 },
	{ "", 0, FORWARDED_INVALID, "", -1 },
};

START_TEST(test_node)
{
	const struct ncase	*t = &nodes[_i];
	struct forwarded_node	 n;
	struct guard		 g;
	size_t			 len = strlen(t->in);
	const char		*in;
	int			 rc;

	memset(&g, 0, sizeof(g));
	in = guard_copy(&g, t->in, len);
	rc = forwarded_node_parse(in, len, t->bare, &n);
	ck_assert_msg(rc == (t->kind == FORWARDED_INVALID ? -1 : 0),
	    "%s: rc %d", t->in, rc);
	ck_assert_msg(n.kind == t->kind, "%s: kind %s", t->in,
	    forwarded_kind_name(n.kind));
	ck_assert_str_eq(n.text, t->text);
	ck_assert_msg(t->port == -1 ? !n.has_port :
	    n.has_port && n.port == t->port, "%s: port", t->in);
	guard_free(&g);
}
END_TEST

/* Every prefix of each node text reads without going past its end. */
START_TEST(test_node_prefixes)
{
	const struct ncase	*t = &nodes[_i];
	struct forwarded_node	 n;
	struct guard		 g;
	size_t			 k, len = strlen(t->in);

	memset(&g, 0, sizeof(g));
	for (k = 0; k <= len; k++)
		(void)forwarded_node_parse(guard_copy(&g, t->in, k), k, 1, &n);
	guard_free(&g);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("forwarded");
	TCase	*tc = tcase_create("pick");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_pick, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, test_node, 0,
	    (int)(sizeof(nodes) / sizeof(nodes[0])));
	tcase_add_loop_test(tc, test_node_prefixes, 0,
	    (int)(sizeof(nodes) / sizeof(nodes[0])));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
