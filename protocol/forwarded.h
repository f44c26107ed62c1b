/*
 * The headers a proxy in front adds to name the client it relays for:
 * RFC 7239 Forwarded, or the older X-Forwarded-For with X-Forwarded-Proto,
 * -Host and -Port.  Which client they name depends on whom the server
 * trusts, so the parser walks them with a trust test of the caller's.
 *
 * Pure: no I/O, no allocation, no globals.  Spans point into the
 * request's buffer.
 *
 * Forwarded (RFC 7239 section 4), one element per proxy, left to right in
 * the order the proxies added them:
 *
 *   Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8::1]:4711"
 *              |pair         |pair      |pair            | |next element
 *   element = [pair] *( ";" [pair] );  pair = token "=" ( token | quoted )
 *   node    = IPv4 | "[" IPv6 "]" | "unknown" | "_" obfuscated
 *             [ ":" ( port | "_" obfuscated ) ]    (quoted when it holds
 *                                                  ':' or '[')
 *
 * X-Forwarded-For: 198.51.100.1, 203.0.113.7
 *   a comma list of nodes as above, and also bare IPv6 ("2001:db8::1").
 *
 * Every field line of the same name is one list, in order (RFC 9110
 * 5.3); empty list elements (",,") are skipped; spaces and tabs around
 * ',' and ';' are allowed.
 *
 * The walk (forwarded_pick): from the right, an element naming an address
 * the caller trusts is skipped; the first other element decides.  When it
 * names an address, that is the client.  When it names none (garbage,
 * "unknown", an obfuscated node, no for=), the client stays the peer: a
 * front that does not know cannot vouch for anyone.  When every element
 * is trusted, the left-most one is the client.
 */
#ifndef FERRY_PROTOCOL_FORWARDED_H
#define FERRY_PROTOCOL_FORWARDED_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/http1.h"

#define FORWARDED_ADDRSTRLEN	46	/* INET6_ADDRSTRLEN */

/* Which header family a server believes (ferry.conf's forwarded_header). */
enum forwarded_format {
	FORWARDED_XFF = 0,	/* X-Forwarded-For, -Proto, -Host, -Port */
	FORWARDED_RFC7239 = 1,	/* Forwarded */
};

enum forwarded_kind {
	FORWARDED_NONE = 0,	/* an element without for= */
	FORWARDED_IP4,
	FORWARDED_IP6,
	FORWARDED_UNKNOWN,	/* "unknown" */
	FORWARDED_OBFUSCATED,	/* "_token" */
	FORWARDED_INVALID,	/* not a node, or a Forwarded element that
				   breaks the syntax */
};

/* One element's node: the address a proxy received a connection from. */
struct forwarded_node {
	enum forwarded_kind	 kind;
	uint8_t			 ip[16];	/* IP4: ip[0..4); IP6: ip[0..16) */
	int			 has_port;	/* a numeric port was given */
	uint16_t		 port;
	char			 text[FORWARDED_ADDRSTRLEN];
					/* IP4/IP6: as inet_ntop writes it;
					   else "" */
};

/* What forwarded_pick found. */
struct forwarded_result {
	int			 nelems;	/* elements seen; 0: no header */
	int			 found;		/* 1: client names the client;
						   0: keep the peer */
	struct forwarded_node	 client;	/* found: the client; else
						   the element the walk stopped
						   at (why the peer is kept) */
	int			 proto;		/* 1: https, 0: http, -1: not
						   said (or something else) */
	struct http1_span	 host;		/* the name the client asked
						   the front for, without its
						   port ("[v6]" bracketed);
						   p == NULL: not said */
	int			 has_port;	/* X-Forwarded-Port, else a
						   port in host: the front's */
	uint16_t		 port;
};

/* The caller's trust test: 1 when the address of node n (kind IP4 or IP6)
   belongs to a proxy it trusts. */
typedef int (*forwarded_trust)(const void *arg,
	    const struct forwarded_node *n);

/*
 * Walks r's headers of format fmt from the right (see above), with trust
 * called for each address element, and fills *out.  proto and host come
 * from the deciding element (Forwarded's proto= and host=), or for
 * X-Forwarded-For from the right-most X-Forwarded-Proto, -Host and -Port
 * values (whether or not X-Forwarded-For is there); a proto, host or
 * port that is not valid is left out.  Returns out->nelems (0: no
 * Forwarded or X-Forwarded-For element, found = 0).
 */
int	forwarded_pick(const struct http1_request *r,
	    enum forwarded_format fmt, forwarded_trust trust, const void *arg,
	    struct forwarded_result *out);

/*
 * Reads s[0..n) as a node (the grammar above; bare_ip6 also takes an
 * IPv6 address without brackets, as X-Forwarded-For carries them) into
 * *node.  Returns 0, or -1 with node->kind FORWARDED_INVALID.
 */
int	forwarded_node_parse(const char *s, size_t n, int bare_ip6,
	    struct forwarded_node *node);

/* "none", "ip4", ... for logs. */
const char *forwarded_kind_name(enum forwarded_kind k);

#endif
