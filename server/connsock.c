/*
 * Client connections, the lifecycle: a connection's socket record, its
 * accept, the attach of a struct conn when it has work and the detach
 * when it has none, the spare list, and the one idempotent teardown
 * (conn_close -> retire -> reap), with the counts of open connections.
 *
 * Every connection has a struct conn_sock for its whole life: the fd,
 * the addresses, the read watcher and the timer, about 185 bytes.  A
 * connection with nothing to do (new, or kept alive between requests) has
 * only that.  Its first readable event attaches a struct conn taken from
 * the master's spare list, which keeps up to CONN_SPARE_MAX of them with
 * their input buffer, output buffer and field array; a connection going
 * idle or closing gives its struct conn back.  So memory for buffers
 * follows the connections active at one time, not the open ones, no
 * buffer is malloc'd and freed per connection (glibc would trim and grow
 * the heap top each time), and the watchers never move (no epoll_ctl).
 * After a burst, memory goes back: CONN_TRIM_IDLE seconds after the last
 * struct conn was given back, the spares are freed and the heap trimmed
 * (glibc keeps freed memory otherwise).
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conf-t.h"
#include "server/conn-int.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"

static void	conn_idle_add(struct master *, struct conn_sock *);
static void	conn_idle_remove(struct master *, struct conn_sock *);
static void	conn_retire(struct conn *);
static void	conn_reap(struct ev_loop *, ev_prepare *, int);
static void	conn_put(struct master *, struct conn *);
static void	conn_spares_free(struct conn_set *);
static void	conn_trim_cb(struct ev_loop *, ev_timer *, int);

int
conn_init(struct master *m)
{
	struct conn_set	*cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		log_warn("conn_init");
		return -1;
	}
	ev_prepare_init(&cs->reaper, conn_reap);
	cs->reaper.data = m;
	ev_init(&cs->trim, conn_trim_cb);
	cs->trim.repeat = CONN_TRIM_IDLE;
	cs->trim.data = m;
	cs->watch_fd = -1;
	m->conns = cs;
	return conn_watch_init(m);
}

unsigned int
conn_count(struct master *m)
{
	return m->conns->n;
}

unsigned int
conn_state_count(struct master *m, enum conn_state s)
{
	return s < CONN_NSTATES ? m->conns->nstate[s] : 0;
}

static void
conn_addr_set(struct conn_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint16_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		memcpy(a->a, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		memcpy(a->a, &sin6->sin6_addr, 16);
		a->port = ntohs(sin6->sin6_port);
	}
}

void
conn_addr_text(const struct conn_addr *a, char *buf, size_t len,
    unsigned int *port)
{
	*port = a->port;
	if (a->family == AF_INET)
		inet_ntop(AF_INET, a->a, buf, len);
	else if (a->family == AF_INET6)
		inet_ntop(AF_INET6, a->a, buf, len);
	else if (a->family == AF_UNSPEC)
		buf[0] = '\0';		/* getsockname failed */
	else
		snprintf(buf, len, "unix");
}

void
conn_accept(struct master *m, int fd, const struct sockaddr *peer,
    socklen_t peerlen, unsigned int lflags)
{
	struct conn_sock	*sk;
	struct sockaddr_storage	 ss;
	struct conn_addr	 pa;
	socklen_t		 sslen = sizeof(ss);
	int			 one = 1;

	(void)peerlen;
	conn_addr_set(&pa, peer);
	if ((lflags & CONF_LISTEN_PROXY) && !conn_proxy_allowed(m, &pa)) {
		close(fd);
		return;
	}
	if ((sk = malloc(sizeof(*sk))) == NULL) {
		log_warn("conn_accept");
		close(fd);
		return;
	}
	sk->c = NULL;
	sk->fd = fd;
	sk->nreq = 0;
	sk->pp = NULL;
	sk->pplen = 0;
	sk->flags = (lflags & CONF_LISTEN_PROXY) ? CONN_SOCK_PROXY : 0;
	if (peer->sa_family == AF_INET || peer->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sk->peer = pa;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		conn_addr_set(&sk->local, (struct sockaddr *)&ss);
	else
		memset(&sk->local, 0, sizeof(sk->local));	/* "" */
	m->conns->n++;
	m->conns->nstate[CONN_IDLE]++;
	conn_idle_add(m, sk);
	ev_io_init(&sk->rio, (sk->flags & CONN_SOCK_PROXY) ?
	    conn_proxy_read_cb : conn_read_cb, fd, EV_READ);
	sk->rio.data = m;
	ev_init(&sk->timer, conn_timer_cb);
	sk->timer.data = m;
	ev_io_start(m->loop, &sk->rio);
	/* A new connection gets the head timeout, not the keep-alive one. */
	if (m->conf->header_timeout > 0) {
		sk->timer.repeat = m->conf->header_timeout;
		ev_timer_again(m->loop, &sk->timer);
	}
}

static void
conn_idle_add(struct master *m, struct conn_sock *sk)
{
	struct conn_set	*cs = m->conns;

	sk->prev = NULL;
	sk->next = cs->idle;
	if (cs->idle != NULL)
		cs->idle->prev = sk;
	cs->idle = sk;
}

static void
conn_idle_remove(struct master *m, struct conn_sock *sk)
{
	if (sk->prev != NULL)
		sk->prev->next = sk->next;
	else
		m->conns->idle = sk->next;
	if (sk->next != NULL)
		sk->next->prev = sk->prev;
	sk->prev = sk->next = NULL;
}

/* Closes a connection that has no struct conn, and frees sk. */
void
conn_idle_close(struct conn_sock *sk, const char *reason)
{
	struct master	*m = sk->rio.data;
	char		 addr[64];
	unsigned int	 port;

	if (sk->flags & CONN_SOCK_PROXY) {
		/* Never served: its PROXY header was bad or did not come. */
		conn_addr_text(&sk->peer, addr, sizeof(addr), &port);
		log_info("%s:%u: closed without a valid PROXY header: %s",
		    addr, port, reason);
		m->stats.proxy_refused++;
	} else
		log_debug("conn %d: close from idle: %s", sk->fd, reason);
	ev_io_stop(m->loop, &sk->rio);
	ev_timer_stop(m->loop, &sk->timer);
	conn_idle_remove(m, sk);
	close(sk->fd);
	free(sk->pp);
	free(sk);
	m->conns->n--;
	m->conns->nstate[CONN_IDLE]--;
}

/*
 * Gives sk a struct conn, from the spare list or new, in state CONN_IDLE;
 * sk's watchers go on as they are (the timer, with what is left of the
 * head or keep-alive timeout, is c's now).  NULL when out of memory (the
 * connection is closed then).
 */
struct conn *
conn_attach(struct conn_sock *sk)
{
	struct master	*m = sk->rio.data;
	struct conn_set	*cs = m->conns;
	struct conn	*c;

	if ((c = cs->spare) != NULL) {
		cs->spare = c->next;
		cs->nspare--;
		c->next = NULL;
	} else if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("conn_attach");
		conn_idle_close(sk, "out of memory");
		return NULL;
	}
	conn_idle_remove(m, sk);
	sk->c = c;
	c->sock = sk;
	c->m = m;
	c->fd = sk->fd;
	c->nreq = sk->nreq;
	c->tkind = sk->nreq == 0 ? T_HEADER : T_KEEPALIVE;
	c->https = (sk->flags & CONN_SOCK_TLS) != 0;
	conn_addr_text(&sk->peer, c->peer_addr, sizeof(c->peer_addr),
	    &c->peer_port);
	conn_addr_text(&sk->local, c->local_addr, sizeof(c->local_addr),
	    &c->local_port);
	ev_io_init(&c->wio, conn_write_cb, c->fd, EV_WRITE);
	ev_init(&c->commit, conn_commit_cb);
	c->prev = NULL;
	c->next = cs->active;
	if (cs->active != NULL)
		cs->active->prev = c;
	cs->active = c;
	return c;
}

/*
 * c has nothing to do (its request is done and nothing is buffered): the
 * connection goes on with its struct conn_sock alone, reading, under the
 * keep-alive timeout.  c is retired (its state says CONN_CLOSED to
 * callers up the stack; the reaper makes it a spare).
 */
void
conn_detach(struct conn *c)
{
	struct master		*m = c->m;
	struct conn_sock	*sk = c->sock;

	ev_io_stop(m->loop, &c->wio);
	ev_timer_stop(m->loop, &c->commit);
	sk->c = NULL;
	sk->nreq = c->nreq;
	c->sock = NULL;
	/* c is done with; its connection goes on, idle. */
	conn_set_state(c, CONN_CLOSED);
	m->conns->nstate[CONN_IDLE]++;
	c->fd = -1;
	conn_retire(c);
	conn_idle_add(m, sk);
	if (!ev_is_active(&sk->rio))
		ev_io_start(m->loop, &sk->rio);
	if (m->conf->keepalive_timeout > 0) {
		sk->timer.repeat = m->conf->keepalive_timeout;
		ev_timer_again(m->loop, &sk->timer);
	} else
		ev_timer_stop(m->loop, &sk->timer);
}

/* Unlinks c from the active list and queues it for the reaper. */
static void
conn_retire(struct conn *c)
{
	struct master	*m = c->m;
	struct conn_set	*cs = m->conns;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		cs->active = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	/* Callers up the stack may still look at c (its state says
	   CONN_CLOSED): it is freed by conn_reap, before the loop blocks. */
	c->prev = NULL;
	c->next = cs->dead;
	cs->dead = c;
	if (!ev_is_active(&cs->reaper))
		ev_prepare_start(m->loop, &cs->reaper);
}

void
conn_close(struct conn *c, const char *reason)
{
	struct master	*m = c->m;

	if (c->state == CONN_CLOSED)
		return;
	log_debug("conn %d: close from %s: %s", c->fd,
	    conn_state_name(c->state), reason);
	conn_unqueue(c);
	conn_app_release(c, reason);
	conn_set_state(c, CONN_CLOSED);
	ev_io_stop(m->loop, &c->sock->rio);
	ev_io_stop(m->loop, &c->wio);
	ev_timer_stop(m->loop, &c->sock->timer);
	ev_timer_stop(m->loop, &c->commit);
	if (!c->given)
		close(c->fd);
	c->fd = -1;
	m->conns->n--;
	conn_retire(c);
}

void
conn_close_all(struct master *m, const char *reason)
{
	struct conn	*c;

	while ((c = m->conns->active) != NULL)
		conn_close(c, reason);
}

/* Before the loop blocks: closed connections become spares. */
static void
conn_reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct master	*m = w->data;
	struct conn_set	*cs = m->conns;
	struct conn	*c;

	while ((c = cs->dead) != NULL) {
		cs->dead = c->next;
		conn_put(m, c);
	}
	ev_prepare_stop(loop, w);
}

/* c is done with: a spare with its buffers, or freed when there are
   CONN_SPARE_MAX spares already. */
static void
conn_put(struct master *m, struct conn *c)
{
	struct conn_set		*cs = m->conns;
	struct http1_field	*fields;
	char			*in, *out;
	size_t			 in_cap, out_cap;

	conn_request_reset(c);
	free(c->sock);		/* closed, or NULL when detached */
	fields = c->req.r.fields;
	in = c->in;
	in_cap = c->in_cap;
	out = c->out;
	out_cap = c->out_cap;
	if (!m->stopping)
		ev_timer_again(m->loop, &cs->trim);
	if (cs->nspare >= CONN_SPARE_MAX || m->stopping) {
		free(fields);
		free(in);
		free(out);
		free(c);
		return;
	}
	if (out_cap > CONN_OUT_KEEP) {
		free(out);
		out = NULL;
		out_cap = 0;
	}
	memset(c, 0, sizeof(*c));
	c->req.r.fields = fields;
	c->in = in;
	c->in_cap = in_cap;
	c->out = out;
	c->out_cap = out_cap;
	c->next = cs->spare;
	cs->spare = c;
	cs->nspare++;
}

/* Frees the spare list. */
static void
conn_spares_free(struct conn_set *cs)
{
	struct conn	*c;

	while ((c = cs->spare) != NULL) {
		cs->spare = c->next;
		free(c->req.r.fields);
		free(c->in);
		free(c->out);
		free(c);
	}
	cs->nspare = 0;
}

/* Frees the spares and gives the heap's free memory back. */
static void
conn_trim_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = w->data;
	struct conn_set	*cs = m->conns;
	unsigned int	 n = cs->nspare;

	(void)revents;
	ev_timer_stop(loop, w);
	conn_spares_free(cs);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	log_debug("idle: %u spare connections released, heap trimmed", n);
}

void
conn_fini(struct master *m)
{
	struct conn_set		*cs = m->conns;
	struct conn_sock	*sk;

	if (cs == NULL)
		return;
	if (cs->dead != NULL)
		conn_reap(m->loop, &cs->reaper, 0);
	ev_timer_stop(m->loop, &cs->trim);
	conn_watch_fini(m);
	while ((sk = cs->idle) != NULL) {
		ev_io_stop(m->loop, &sk->rio);
		ev_timer_stop(m->loop, &sk->timer);
		conn_idle_remove(m, sk);
		close(sk->fd);
		free(sk->pp);
		free(sk);
		cs->n--;
		cs->nstate[CONN_IDLE]--;
	}
	conn_spares_free(cs);
	free(cs);
	m->conns = NULL;
}

void
conn_shutdown_idle(struct master *m)
{
	struct conn_sock	*sk, *skn;
	struct conn		*c, *next;

	/* A connection accepted but not yet read from has its first request
	   on the way (the client connected to send one): it is served, then
	   closed, within header_timeout.  Closing it could reset a request
	   the client already sent. */
	for (sk = m->conns->idle; sk != NULL; sk = skn) {
		skn = sk->next;
		if (sk->nreq > 0)
			conn_idle_close(sk, "shutting down");
	}
	for (c = m->conns->active; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_IDLE || (c->state == CONN_READ_HEAD &&
		    c->in_len == 0 && c->nreq > 0))
			conn_close(c, "shutting down");
		else
			c->req.keep_alive = 0;
	}
}
