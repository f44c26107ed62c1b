/*
 * The client behind a trusted front (ferry.conf's trusted_proxies and
 * forwarded_header).  A front that cannot speak the PROXY protocol
 * (nginx's proxy_pass) names the client in headers instead; a client can
 * send the same headers itself, so they are believed only when the
 * connection's peer (the PROXY header's client, where one came) is in
 * trusted_proxies, and then only as far as protocol/forwarded.c's walk
 * from the right goes.  What they say is kept per request in c->req (a
 * kept-alive connection's next request carries its own headers) and
 * stands for the peer wherever the request's client is meant: the CGI
 * variables, the access log, status_allow.
 */
#include "config.h"

#include <string.h>

#include "protocol/cgienv.h"
#include "protocol/forwarded.h"
#include "server/conf-t.h"
#include "server/confval.h"
#include "server/conn-int.h"
#include "server/log.h"
#include "server/master-t.h"

static int
conn_fwd_trust(const void *arg, const struct forwarded_node *n)
{
	return confval_cidr_match(arg, n->text);
}

void
conn_forwarded(struct conn *c)
{
	const struct conf	*cf = c->m->conf;
	struct conn_req		*q = &c->req;

	memset(&q->fwd, 0, sizeof(q->fwd));
	q->fwd_on = 0;
	if (cf->trusted_proxies.n == 0 ||
	    !confval_cidr_match(&cf->trusted_proxies, c->peer_addr))
		return;
	q->fwd_on = 1;
	if (forwarded_pick(&q->r, (enum forwarded_format)cf->forwarded_header,
	    conn_fwd_trust, &cf->trusted_proxies, &q->fwd) > 0 &&
	    !q->fwd.found)
		log_debug("%s:%u: the forwarded client is %s, not an address: "
		    "the peer stands for it", c->peer_addr, c->peer_port,
		    forwarded_kind_name(q->fwd.client.kind));
}

const char *
conn_client_addr(const struct conn *c)
{
	return c->req.fwd_on && c->req.fwd.found ? c->req.fwd.client.text :
	    c->peer_addr;
}

unsigned int
conn_client_port(const struct conn *c)
{
	if (!c->req.fwd_on || !c->req.fwd.found)
		return c->peer_port;
	return c->req.fwd.client.has_port ? c->req.fwd.client.port : 0;
}

void
conn_forwarded_info(const struct conn *c, struct cgienv_info *info)
{
	const struct forwarded_result	*f = &c->req.fwd;

	info->remote_addr = conn_client_addr(c);
	info->remote_port = conn_client_port(c);
	if (!c->req.fwd_on)
		return;
	if (f->proto >= 0)
		info->https = f->proto;
	if (f->host.p != NULL)
		info->forwarded_host = f->host;
	if (f->has_port)
		info->server_port = f->port;
	else if (f->proto >= 0)
		info->server_port = f->proto ? 443 : 80;
}
