/*
 * The PROXY header (HAProxy's PROXY protocol, v1 or v2, protocol/proxy.h)
 * on a proxy_protocol listener: it comes before the first head, and its
 * addresses become the connection's (struct conn_sock's peer and local),
 * so REMOTE_ADDR, SERVER_ADDR, the logs and status_allow see the client,
 * not the proxy.
 *
 * The header is read before a struct conn is attached, and never a byte
 * past it: each readable event peeks at what the socket holds (at most
 * PROXY_V2_MAX bytes, a whole header: proxy.h), parses it behind the bytes
 * kept so far, and takes out of the socket only header bytes.  A complete
 * header leaves the client's first bytes in the socket for conn_read_cb;
 * a prefix is moved into sk->pp (allocated then, freed with the header),
 * so the watcher, level-triggered, does not fire again for bytes it has
 * seen.  The head timer armed at accept (header_timeout) covers the
 * header and the head after it.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/proxy.h"
#include "server/conf-t.h"
#include "server/confval.h"
#include "server/conn-int.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/util.h"

/* The peek and the header kept so far fit in m->scratch, with room for
   the bytes taken after them. */
_Static_assert(MASTER_SCRATCH >= 2 * PROXY_V2_MAX, "scratch too small");

static void	conn_proxy_apply(struct conn_sock *, const struct proxy_hdr *);
static void	conn_proxy_addr(struct conn_addr *, enum proxy_family,
		    const struct proxy_addr *);
static int	conn_proxy_take(struct conn_sock *, char *, size_t);

int
conn_proxy_allowed(struct master *m, const struct conn_addr *peer)
{
	char		 addr[64];
	unsigned int	 port;

	conn_addr_text(peer, addr, sizeof(addr), &port);
	if (confval_cidr_match(&m->conf->proxy_from, addr))
		return 1;
	log_info("%s:%u: not in proxy_from: closed", addr, port);
	m->stats.proxy_refused++;
	return 0;
}

void
conn_proxy_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn_sock	*sk = container_of(w, struct conn_sock, rio);
	struct master		*m = w->data;
	char			*buf = m->scratch;	/* >= PROXY_V2_MAX */
	struct proxy_hdr	 h;
	ssize_t			 n;
	size_t			 have;
	int			 rv;

	if (sk->pplen > 0)
		memcpy(buf, sk->pp, sk->pplen);
	n = recv(sk->fd, buf + sk->pplen, PROXY_V2_MAX - sk->pplen, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (sk->pplen == 0)	/* connected and left: a probe */
			sk->flags &= ~CONN_SOCK_PROXY;
		conn_idle_close(sk, n == 0 ? "closed during the PROXY header" :
		    "read error");
		return;
	}
	have = sk->pplen + (size_t)n;
	rv = proxy_parse(buf, have, &h);
	if (rv < 0) {
		conn_idle_close(sk, proxy_error_str(rv));
		return;
	}
	if (rv == 0) {
		/* A prefix: keep it, out of the socket. */
		if (sk->pp == NULL && (sk->pp = malloc(PROXY_V2_MAX)) == NULL) {
			log_warn("conn_proxy_read_cb");
			conn_idle_close(sk, "out of memory");
			return;
		}
		memcpy(sk->pp + sk->pplen, buf + sk->pplen, (size_t)n);
		if (conn_proxy_take(sk, buf + have, (size_t)n) == -1)
			return;
		sk->pplen = (uint16_t)have;
		return;
	}
	conn_proxy_apply(sk, &h);
	/* h's spans point into buf: applied, they are done with. */
	if (conn_proxy_take(sk, buf, (size_t)rv - sk->pplen) == -1)
		return;
	free(sk->pp);
	sk->pp = NULL;
	sk->pplen = 0;
	sk->flags &= ~CONN_SOCK_PROXY;
	ev_set_cb(&sk->rio, conn_read_cb);
	/* The client's first bytes came with the header: read them now. */
	if (have > (size_t)rv)
		conn_read_cb(loop, w, revents);
}

/* Reads len bytes the peek saw out of the socket into buf: 0, or -1 with
   the connection closed. */
static int
conn_proxy_take(struct conn_sock *sk, char *buf, size_t len)
{
	ssize_t	 n;

	if (len == 0)
		return 0;
	do
		n = read(sk->fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)len) {
		sk->flags &= ~CONN_SOCK_PROXY;
		conn_idle_close(sk, "read error");
		return -1;
	}
	return 0;
}

/* The header's addresses become sk's; LOCAL (v2), UNKNOWN (v1) and an
   unspecified family keep the socket's own. */
static void
conn_proxy_apply(struct conn_sock *sk, const struct proxy_hdr *h)
{
	if (proxy_hdr_tls(h))
		sk->flags |= CONN_SOCK_TLS;
	if (h->command != PROXY_CMD_PROXY || h->family == PROXY_FAM_UNSPEC) {
		log_debug("conn %d: PROXY v%d %s: the socket's addresses",
		    sk->fd, h->version, proxy_command_name(h->command));
		return;
	}
	conn_proxy_addr(&sk->peer, h->family, &h->src);
	conn_proxy_addr(&sk->local, h->family, &h->dst);
	log_debug("conn %d: PROXY v%d %s, client port %u", sk->fd,
	    h->version, proxy_family_name(h->family), sk->peer.port);
}

static void
conn_proxy_addr(struct conn_addr *a, enum proxy_family fam,
    const struct proxy_addr *pa)
{
	memset(a, 0, sizeof(*a));
	switch (fam) {
	case PROXY_FAM_TCP4:
		a->family = AF_INET;
		memcpy(a->a, pa->ip, 4);
		a->port = pa->port;
		break;
	case PROXY_FAM_TCP6:
		a->family = AF_INET6;
		memcpy(a->a, pa->ip, 16);
		a->port = pa->port;
		break;
	default:
		a->family = AF_UNIX;	/* "unix", as a Unix socket's client */
		break;
	}
}
