/*
 * Client connections: the HTTP/1.1 state machine of the master.
 *
 * The input buffer holds the current request's head at in[0..head_len)
 * for the whole request (the parsed spans point there), then the bytes not
 * consumed yet at in[in_off..in_len): body bytes for the app, then
 * pipelined requests.  Compaction only ever moves the unconsumed part
 * down to head_len, so the spans stay valid.
 *
 * Every connection has a struct conn_sock for its whole life: the fd,
 * the addresses, the read watcher and the timer, about 170 bytes.  A
 * connection with nothing to do (new, or kept alive between requests) has
 * only that.  Its first readable event attaches a struct conn taken from
 * the master's spare list, which keeps up to CONN_SPARE_MAX of them with
 * their input buffer, output buffer and field array; a connection going
 * idle or closing gives its struct conn back.  So memory for buffers
 * follows the connections active at one time, not the open ones, no
 * buffer is malloc'd and freed per connection (glibc would trim and grow
 * the heap top each time), and the watchers never move (no epoll_ctl).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/cgienv.h"
#include "protocol/fcgi.h"
#include "server/app-t.h"
#include "server/conn.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/util.h"

enum conn_timeout {
	T_NONE, T_HEADER, T_KEEPALIVE, T_BODY, T_QUEUE, T_WRITE, T_LINGER
};

/* A socket address in binary, kept while the connection is idle. */
struct conn_addr {
	unsigned char	 a[16];		/* IPv4 in the first 4 bytes */
	uint16_t	 port;
	uint16_t	 family;	/* AF_INET, AF_INET6, AF_UNSPEC: unknown,
					   other: "unix" */
};

/* The socket of a connection, for its whole life (see above); rio.data
   and timer.data are the master. */
struct conn_sock {
	struct conn_sock	*prev, *next;	/* idle list, while c is NULL */
	struct conn		*c;		/* attached while active */
	ev_io			 rio;
	ev_timer		 timer;
	int			 fd;
	unsigned int		 nreq;		/* 0: new (head timeout),
						   else kept alive */
	struct conn_addr	 peer, local;
};

/* The master's connections (m->conns). */
struct conn_set {
	struct conn		*active;	/* connections with work */
	struct conn_sock	*idle;		/* new and kept-alive ones
						   waiting for a request */
	unsigned int		 n;		/* both */
	unsigned int		 nstate[CONN_NSTATES];	/* n by state; idle
						   ones count as CONN_IDLE */
	struct conn		*dead;		/* closed, for the reaper */
	struct conn		*spare;		/* for reuse, with buffers */
	unsigned int		 nspare;	/* at most CONN_SPARE_MAX */
	unsigned long		 nhijacked;	/* connections handed to apps */
	ev_prepare		 reaper;	/* data: the master */
};

static void	conn_idle_add(struct master *, struct conn_sock *);
static void	conn_idle_remove(struct master *, struct conn_sock *);
static void	conn_idle_close(struct conn_sock *, const char *);
static struct conn *conn_attach(struct conn_sock *);
static void	conn_detach(struct conn *);
static void	conn_retire(struct conn *);
static void	conn_put(struct master *, struct conn *);
static void	conn_reap(struct ev_loop *, ev_prepare *, int);
static void	conn_read_cb(struct ev_loop *, ev_io *, int);
static void	conn_write_cb(struct ev_loop *, ev_io *, int);
static void	conn_timer_cb(struct ev_loop *, ev_timer *, int);
static void	conn_commit_cb(struct ev_loop *, ev_timer *, int);
static void	conn_set_state(struct conn *, enum conn_state);
static void	conn_timer_update(struct conn *, int);
static void	conn_advance(struct conn *);
static void	conn_request_start(struct conn *, size_t);
static void	conn_request_done(struct conn *);
static void	conn_request_reset(struct conn *);
static void	conn_read_chunked(struct conn *);
static void	conn_dispatch(struct conn *);
static int	conn_takes_raw_chunked(struct conn *);
static void	conn_eof(struct conn *);
static void	conn_flush(struct conn *);
static int	conn_out_reserve(struct conn *, size_t);
static int	conn_continue(struct conn *);
static void	conn_respond_req(struct conn *, struct respond_req *);
static int	conn_ended(const struct conn *);
static void	conn_respond(struct conn *, int, const char *, int);
static void	conn_commit(struct conn *, int64_t);
static void	conn_body_out(struct conn *, const char *, size_t);
static void	conn_read_update(struct conn *);
static void	conn_access_log(struct conn *);
static size_t	conn_unconsumed(const struct conn *);
static void	conn_route(struct conn *);
static void	conn_local_redirect(struct conn *, const struct cgiresp *);
static void	conn_app_release(struct conn *, const char *);
static void	conn_tell_pipelined(struct conn *);
static void	conn_hijack_finish(struct conn *);

const char *
conn_state_name(enum conn_state s)
{
	switch (s) {
	case CONN_IDLE:		return "idle";
	case CONN_READ_HEAD:	return "read-head";
	case CONN_READ_BODY:	return "read-body";
	case CONN_QUEUED:	return "queued";
	case CONN_DISPATCHED:	return "dispatched";
	case CONN_WRITE:	return "write";
	case CONN_DRAIN:	return "drain";
	case CONN_LINGER:	return "linger";
	case CONN_HIJACK:	return "hijack";
	case CONN_CLOSED:	return "closed";
	}
	return "unknown";
}

/*
 * The one writer of c->state: logs the transition and keeps the counts
 * by state.  A connection counts in its state while open; closed, in
 * none.  (A struct conn taken from the spares starts in CONN_IDLE, zeroed,
 * as its connection was.)
 */
static void
conn_set_state(struct conn *c, enum conn_state s)
{
	struct conn_set	*cs = c->m->conns;

	if (c->state == s)
		return;
	log_debug("conn %d: %s -> %s", c->fd, conn_state_name(c->state),
	    conn_state_name(s));
	if (c->state != CONN_CLOSED)
		cs->nstate[c->state]--;
	if (s != CONN_CLOSED)
		cs->nstate[s]++;
	c->state = s;
}

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
	m->conns = cs;
	return 0;
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

struct master *
conn_master(const struct conn *c)
{
	return c->m;
}

struct conf_app *
conn_app_conf(const struct conn *c)
{
	return c->req.app;
}

void
conn_queued(struct conn *c)
{
	conn_set_state(c, CONN_QUEUED);
}

void
conn_dequeued(struct conn *c)
{
	conn_set_state(c, CONN_DISPATCHED);
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

static void
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
    socklen_t peerlen)
{
	struct conn_sock	*sk;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	int			 one = 1;

	(void)peerlen;
	if ((sk = malloc(sizeof(*sk))) == NULL) {
		log_warn("conn_accept");
		close(fd);
		return;
	}
	sk->c = NULL;
	sk->fd = fd;
	sk->nreq = 0;
	if (peer->sa_family == AF_INET || peer->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_addr_set(&sk->peer, peer);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		conn_addr_set(&sk->local, (struct sockaddr *)&ss);
	else
		memset(&sk->local, 0, sizeof(sk->local));	/* "" */
	m->conns->n++;
	m->conns->nstate[CONN_IDLE]++;
	conn_idle_add(m, sk);
	ev_io_init(&sk->rio, conn_read_cb, fd, EV_READ);
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
static void
conn_idle_close(struct conn_sock *sk, const char *reason)
{
	struct master	*m = sk->rio.data;

	log_debug("conn %d: close from idle: %s", sk->fd, reason);
	ev_io_stop(m->loop, &sk->rio);
	ev_timer_stop(m->loop, &sk->timer);
	conn_idle_remove(m, sk);
	close(sk->fd);
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
static struct conn *
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
static void
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
	if (c->state == CONN_QUEUED && c->app_ops != NULL &&
	    c->app_ops->unqueue != NULL)
		c->app_ops->unqueue(c);
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

void
conn_fini(struct master *m)
{
	struct conn_set		*cs = m->conns;
	struct conn_sock	*sk;
	struct conn		*c;

	if (cs == NULL)
		return;
	if (cs->dead != NULL)
		conn_reap(m->loop, &cs->reaper, 0);
	while ((sk = cs->idle) != NULL) {
		ev_io_stop(m->loop, &sk->rio);
		ev_timer_stop(m->loop, &sk->timer);
		conn_idle_remove(m, sk);
		close(sk->fd);
		free(sk);
		cs->n--;
		cs->nstate[CONN_IDLE]--;
	}
	while ((c = cs->spare) != NULL) {
		cs->spare = c->next;
		free(c->req.r.fields);
		free(c->in);
		free(c->out);
		free(c);
	}
	free(cs);
	m->conns = NULL;
}

void
conn_shutdown_idle(struct master *m)
{
	struct conn	*c, *next;

	while (m->conns->idle != NULL)
		conn_idle_close(m->conns->idle, "shutting down");
	for (c = m->conns->active; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_IDLE ||
		    (c->state == CONN_READ_HEAD && c->in_len == 0))
			conn_close(c, "shutting down");
		else
			c->req.keep_alive = 0;
	}
}

/* Timeouts: one timer, armed for what the connection waits on now. */
static void
conn_timer_update(struct conn *c, int activity)
{
	struct conf	*cf = c->m->conf;
	int		 kind;
	double		 t = 0;

	if (c->state == CONN_CLOSED)
		return;		/* c->sock is gone, or not c's any more */
	switch (c->state) {
	case CONN_IDLE:
		kind = T_KEEPALIVE;
		break;
	case CONN_READ_HEAD:
		kind = T_HEADER;
		break;
	case CONN_READ_BODY:
	case CONN_DRAIN:
		kind = T_BODY;
		break;
	case CONN_QUEUED:
		kind = T_QUEUE;
		break;
	case CONN_DISPATCHED:
		if (c->out_len > c->out_off)
			kind = T_WRITE;
		else if (!conn_body_complete(c) && !c->rd_eof)
			kind = T_BODY;
		else
			kind = T_NONE;	/* the app's own timeout governs */
		break;
	case CONN_WRITE:
		kind = T_WRITE;
		break;
	case CONN_HIJACK:
		kind = c->out_len > c->out_off ? T_WRITE : T_NONE;
		break;
	case CONN_LINGER:
		kind = T_LINGER;
		break;
	default:
		kind = T_NONE;
		break;
	}
	/* The head timeout is for the whole head; the others are idle
	   timeouts, pushed back by activity. */
	if (kind == c->tkind && !(activity && (kind == T_BODY || kind == T_WRITE)))
		return;
	c->tkind = kind;
	switch (kind) {
	case T_HEADER:		t = cf->header_timeout; break;
	case T_KEEPALIVE:	t = cf->keepalive_timeout; break;
	case T_BODY:		t = cf->body_timeout; break;
	case T_WRITE:		t = cf->write_timeout; break;
	case T_LINGER:		t = CONN_LINGER_TIME; break;
	case T_QUEUE:
		t = c->req.app != NULL ? c->req.app->request_timeout :
		    CONF_DEFAULT_REQUEST_TIMEOUT;
		break;
	default:
		t = 0;
		break;
	}
	if (t <= 0) {
		ev_timer_stop(c->m->loop, &c->sock->timer);
		return;
	}
	c->sock->timer.repeat = t;
	ev_timer_again(c->m->loop, &c->sock->timer);
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn_sock	*sk = container_of(w, struct conn_sock, timer);
	struct conn		*c = sk->c;

	if (c == NULL) {
		conn_idle_close(sk, sk->nreq == 0 ? "request head timeout" :
		    "keep-alive timeout");
		return;
	}
	switch (c->tkind) {
	case T_KEEPALIVE:
		conn_close(c, "keep-alive timeout");
		break;
	case T_HEADER:
		if (c->in_len > 0) {
			c->req.keep_alive = 0;
			c->linger = 1;
			ev_timer_stop(loop, w);
			conn_respond(c, 408, NULL, 1);
		} else
			conn_close(c, "request head timeout");
		break;
	case T_QUEUE:
		if (c->app_ops != NULL && c->app_ops->unqueue != NULL)
			c->app_ops->unqueue(c);
		log_warnx("%s:%u: waited too long for a free process of %s",
		    c->peer_addr, c->peer_port, c->req.app != NULL ?
		    c->req.app->name : "its app");
		conn_set_state(c, CONN_DISPATCHED);
		conn_respond(c, 503, "Retry-After: 1\r\n", 0);
		break;
	case T_BODY:
		conn_close(c, "request body timeout");
		break;
	case T_WRITE:
		conn_close(c, "write timeout (client not reading)");
		break;
	default:
		conn_close(c, "linger done");
		break;
	}
}

/* Reading: on while there is room in the buffer and the client has not
   half-closed; it also watches for the client leaving while an app runs. */
static void
conn_read_update(struct conn *c)
{
	int	want;

	if (c->state == CONN_CLOSED)
		return;
	/* A connection being handed over reads nothing more: what the
	   client sends goes with the socket. */
	want = !c->rd_eof && c->state != CONN_HIJACK && (c->in == NULL ||
	    c->in_len < c->in_cap || c->in_off > c->req.head_len);
	if (want && !ev_is_active(&c->sock->rio))
		ev_io_start(c->m->loop, &c->sock->rio);
	else if (!want && ev_is_active(&c->sock->rio))
		ev_io_stop(c->m->loop, &c->sock->rio);
}

static size_t
conn_unconsumed(const struct conn *c)
{
	return c->in_len - c->in_off;
}

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn_sock	*sk = container_of(w, struct conn_sock, rio);
	struct conn		*c = sk->c;
	ssize_t			 n;

	if (c == NULL && (c = conn_attach(sk)) == NULL)
		return;
	if (c->state == CONN_CLOSED)
		return;
	if (c->in == NULL) {
		c->in_cap = c->m->limits.max_head + 4096;
		if (c->in_cap < CONN_IN_MIN)
			c->in_cap = CONN_IN_MIN;
		if ((c->in = malloc(c->in_cap)) == NULL) {
			conn_close(c, "out of memory");
			return;
		}
		c->in_len = c->in_off = 0;
	}
	if (reqbody_error(&c->req.body) && c->state == CONN_DISPATCHED) {
		/* Fed by conn_body_peek. */
		log_info("%s:%u: bad chunked request body", c->peer_addr,
		    c->peer_port);
		c->req.keep_alive = 0;
		c->linger = !c->rd_eof;
		conn_app_fail(c, reqbody_error(&c->req.body));
		return;
	}
	if (c->rd_eof) {
		/* Fed by conn_body_consume: the EOF seen earlier counts now. */
		conn_eof(c);
		return;
	}
	if (c->state == CONN_LINGER) {
		n = read(c->fd, c->m->scratch, sizeof(c->m->scratch));
		if (n > 0 && (c->lingered += (size_t)n) < CONN_LINGER_BYTES)
			return;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(c, "linger done");
		return;
	}
	if (c->in_len == c->in_cap && c->in_off > c->req.head_len) {
		memmove(c->in + c->req.head_len, c->in + c->in_off,
		    c->in_len - c->in_off);
		c->in_len -= c->in_off - c->req.head_len;
		c->in_off = c->req.head_len;
	}
	if (c->in_len == c->in_cap) {
		conn_read_update(c);
		return;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR) {
			/* A wake-up with nothing to read: nothing to do. */
			if (c->state == CONN_IDLE && c->in_len == 0 &&
			    c->out_off == c->out_len)
				conn_detach(c);
			return;
		}
		conn_close(c, errno == ECONNRESET ? "client reset" : "read error");
		return;
	}
	if (n == 0) {
		c->rd_eof = 1;
		ev_io_stop(loop, w);
		conn_eof(c);
		return;
	}
	c->in_len += (size_t)n;
	if (c->state == CONN_IDLE)
		conn_set_state(c, CONN_READ_HEAD);
	else if (c->state == CONN_READ_HEAD &&
	    memchr(c->in + c->in_len - n, '\n', (size_t)n) == NULL &&
	    !(c->in_len - n <= c->m->limits.max_target &&
	    c->in_len > c->m->limits.max_target) &&
	    c->in_len < c->m->limits.max_head) {
		/* The parser reads the whole head again on each call: call
		   it only when a line ended or a limit was crossed, so a
		   client sending a byte at a time costs linear work. */
		conn_timer_update(c, 1);
		return;
	}
	conn_advance(c);
	if (c->state != CONN_CLOSED) {
		conn_read_update(c);
		conn_timer_update(c, 1);
	}
}

/* The client closed its sending side. */
static void
conn_eof(struct conn *c)
{
	switch (c->state) {
	case CONN_IDLE:
		conn_close(c, "client closed");
		return;
	case CONN_READ_HEAD:
		conn_close(c, conn_unconsumed(c) > 0 ?
		    "client closed inside a request head" : "client closed");
		return;
	case CONN_DRAIN:
	case CONN_READ_BODY:
		conn_close(c, "client closed inside a request body");
		return;
	case CONN_WRITE:
		/* The response is complete and going out: a client that
		   half-closed still reads it; close once it is sent. */
		if (conn_body_complete(c))
			return;
		conn_close(c, "client gone during the request body");
		return;
	case CONN_QUEUED:
	case CONN_DISPATCHED:
		/* EOF with bytes buffered (the rest of the body, pipelined
		   requests) is a half-close: the client waits for its
		   answers.  Otherwise it is gone (close-notify rule 4). */
		if (conn_unconsumed(c) > 0 ||
		    (reqbody_kind(&c->req.body) == REQBODY_MEMORY &&
		    !conn_body_complete(c)))
			return;
		conn_close(c, conn_body_complete(c) ? "client gone" :
		    "client gone during the request body");
		return;
	default:
		return;
	}
}

/* Runs the state machine on the buffered input. */
static void
conn_advance(struct conn *c)
{
	ssize_t	n;

	switch (c->state) {
	case CONN_IDLE:
	case CONN_READ_HEAD:
		if (c->in_off > 0) {
			memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (c->in_len == 0)
			return;
		conn_set_state(c, CONN_READ_HEAD);
		c->req.r.fields = c->req.r.fields != NULL ? c->req.r.fields :
		    calloc(c->m->limits.max_fields, sizeof(struct http1_field));
		if (c->req.r.fields == NULL) {
			conn_close(c, "out of memory");
			return;
		}
		n = http1_parse_request(c->in, c->in_len, &c->req.r,
		    &c->m->limits);
		if (n == 0)
			return;
		if (n < 0) {
			log_info("%s:%u: bad request: %d", c->peer_addr,
			    c->peer_port, (int)-n);
			c->req.keep_alive = 0;
			c->linger = 1;
			conn_respond(c, (int)-n, NULL, 1);
			return;
		}
		conn_request_start(c, (size_t)n);
		return;
	case CONN_READ_BODY:
		conn_read_chunked(c);
		return;
	case CONN_DISPATCHED:
		if (c->app == NULL || conn_unconsumed(c) == 0)
			return;
		if (!conn_body_complete(c))
			c->app_ops->body_ready(c->app);
		else
			conn_tell_pipelined(c);
		return;
	case CONN_DRAIN:
		c->in_off += reqbody_skip(&c->req.body, conn_unconsumed(c));
		if (reqbody_unread(&c->req.body) == 0)
			conn_request_done(c);
		return;
	default:
		return;
	}
}

static const char *
conn_field(const struct conn *c, const char *name, size_t *len)
{
	const struct http1_field *f = http1_find_field(&c->req.r, name);

	if (f == NULL) {
		*len = 0;
		return NULL;
	}
	*len = f->value.len;
	return f->value.p;
}

static void
conn_request_start(struct conn *c, size_t head_len)
{
	struct conn_req	*q = &c->req;
	struct master	*m = c->m;
	const struct http1_request *r = &q->r;

	q->head_len = head_len;
	q->log_method = r->method;
	q->log_target = r->target;
	c->in_off = head_len;
	q->start = ev_now(m->loop);
	q->body_len = -1;
	q->is_head = r->method.len == 4 && memcmp(r->method.p, "HEAD", 4) == 0;
	if (r->minor >= 1)
		q->keep_alive = !(r->flags & HTTP1_F_CLOSE);
	else
		q->keep_alive = (r->flags & HTTP1_F_KEEPALIVE) != 0;
	if (m->stopping)
		q->keep_alive = 0;
	c->nreq++;
	conn_set_state(c, CONN_DISPATCHED);

	reqbody_start(&q->body, r->body, r->content_length,
	    m->conf->max_body, CONN_CBODY_MEM);
	if (r->body == HTTP1_BODY_LENGTH) {
		q->body_len = (int64_t)r->content_length;
		if (r->content_length > m->conf->max_body) {
			conn_respond(c, 413, NULL, 1);
			return;
		}
	}
	if (r->flags & HTTP1_F_EXPECT_OTHER) {
		conn_respond(c, 417, NULL, 1);
		return;
	}
	if (r->form == HTTP1_TARGET_ASTERISK) {
		conn_respond(c, 200, "Allow: GET, HEAD, POST, OPTIONS\r\n", 0);
		return;
	}
	if (r->form == HTTP1_TARGET_AUTHORITY) {
		conn_respond(c, 501, NULL, 0);
		return;
	}
	conn_route(c);
	if (c->state != CONN_DISPATCHED)
		return;		/* answered, or closed */
	if (r->body == HTTP1_BODY_CHUNKED && conn_takes_raw_chunked(c)) {
		/* Streamed raw: the worker decodes it, and a hijack hands
		   the rest over exactly as the client sent it. */
		reqbody_set_raw(&q->body);
		conn_dispatch(c);
		return;
	}
	if (r->body == HTTP1_BODY_CHUNKED) {
		conn_set_state(c, CONN_READ_BODY);
		if (conn_continue(c) && c->state == CONN_CLOSED)
			return;
		conn_read_chunked(c);
		return;
	}
	conn_dispatch(c);
}

/* Picks the app and the script for the request's path; answers the
   request itself when there is none. */
static void
conn_route(struct conn *c)
{
	struct conn_req	*q = &c->req;
	struct master	*m = c->m;
	int		 st;

	q->app = route_match(m->conf->apps, m->conf->napps, q->r.path.p,
	    q->r.path.len);
	if (q->app == NULL) {
		conn_respond(c, 404, NULL, 0);
		return;
	}
	if (q->app->type == CONF_APP_CGI)
		st = route_script_resolve(q->app->root, q->app->prefix,
		    q->r.path.p, q->r.path.len, ROUTE_EXEC, &q->script);
	else if (q->app->root != NULL)	/* php-cgi, fcgiwrap */
		st = route_script_resolve(q->app->root, q->app->prefix,
		    q->r.path.p, q->r.path.len, 0, &q->script);
	else
		st = route_app_paths(q->app->prefix, q->app->command,
		    q->r.path.p, q->r.path.len, &q->script);
	if (st != 0)
		conn_respond(c, st, NULL, 0);
}

/* RFC 3875 6.2.2: the server answers as for a GET of the new path. */
static void
conn_local_redirect(struct conn *c, const struct cgiresp *cr)
{
	struct conn_req	*q = &c->req;
	char		*qm;

	conn_app_release(c, "local redirect");
	if (++q->nredirects > CONN_MAX_REDIRECTS) {
		log_warnx("%s: more than %d local redirects",
		    q->script.script_name, CONN_MAX_REDIRECTS);
		conn_app_fail(c, 500);
		return;
	}
	free(q->redirect);
	if ((q->redirect = strndup(cr->location.p, cr->location.len)) == NULL) {
		conn_app_fail(c, 500);
		return;
	}
	log_debug("%s: local redirect to %s", q->script.script_name,
	    q->redirect);
	q->r.method.p = "GET";
	q->r.method.len = 3;
	q->r.target.p = q->redirect;
	q->r.target.len = cr->location.len;
	q->r.path.p = q->redirect;
	if ((qm = strchr(q->redirect, '?')) != NULL) {
		q->r.path.len = (size_t)(qm - q->redirect);
		q->r.query.p = qm + 1;
		q->r.query.len = strlen(qm + 1);
	} else {
		q->r.path.len = cr->location.len;
		q->r.query.p = NULL;
		q->r.query.len = 0;
	}
	q->r.body = HTTP1_BODY_NONE;
	reqbody_detach(&q->body);
	q->body_len = -1;
	respond_restart(&q->resp);
	route_script_free(&q->script);
	conn_route(c);
	if (c->state == CONN_DISPATCHED)
		conn_dispatch(c);
}

/* Collects a chunked body (CGI needs CONTENT_LENGTH), in memory up to
   CONN_CBODY_MEM and in an unlinked temp file beyond; dispatches it once
   whole. */
static void
conn_read_chunked(struct conn *c)
{
	struct conn_req	*q = &c->req;
	size_t		 used;
	int		 st;

	st = reqbody_collect(&q->body, c->in + c->in_off, conn_unconsumed(c),
	    &used);
	c->in_off += used;
	if (st == REQBODY_MORE)
		return;
	if (st != REQBODY_DONE) {
		if (st != 500) {
			q->keep_alive = 0;
			c->linger = 1;
		}
		conn_respond(c, st, NULL, 1);
		return;
	}
	q->body_len = (int64_t)reqbody_total(&q->body);
	conn_set_state(c, CONN_DISPATCHED);
	conn_dispatch(c);
}

/* The routed request goes to its app, through the app type table. */
static void
conn_dispatch(struct conn *c)
{
	conn_set_state(c, CONN_DISPATCHED);
	c->m->app_types[c->req.app->type]->request(c);
}

/* 1 when the routed request's app takes a chunked body raw. */
static int
conn_takes_raw_chunked(struct conn *c)
{
	const struct app_type	*t = c->m->app_types[c->req.app->type];

	return t->takes_raw_chunked != NULL && t->takes_raw_chunked(c);
}

void
conn_cgienv_info(struct conn *c, struct cgienv_info *info)
{
	memset(info, 0, sizeof(*info));
	info->remote_addr = c->peer_addr;
	info->remote_port = c->peer_port;
	info->server_addr = c->local_addr;
	info->server_port = c->local_port;
	info->server_software = c->m->software;
	info->script_name = c->req.script.script_name;
	info->script_filename = c->req.script.script_filename;
	info->path_info = c->req.script.path_info;
	info->path_translated = c->req.script.path_translated;
	info->document_root = c->req.app->root;
	info->content_length = c->req.body_len;
}

void
conn_app_attach(struct conn *c, const struct conn_app_ops *ops, void *app)
{
	c->app_ops = ops;
	c->app = app;
}

void
conn_app_detached(struct conn *c)
{
	c->app = NULL;
}

/* Bytes after the whole body of a running request are the next request:
   the app hears of it once (close-notify rule 5); the bytes stay
   buffered, and the watch goes on for a reset. */
static void
conn_tell_pipelined(struct conn *c)
{
	struct conn_req	*q = &c->req;

	if (q->pipelined_told || c->app == NULL ||
	    c->app_ops->pipelined == NULL || conn_ended(c))
		return;
	q->pipelined_told = 1;
	c->app_ops->pipelined(c->app);
}

/* The connection lets go of its app, which applies its policy (a CGI
   script is terminated, a worker finishes or is aborted). */
static void
conn_app_release(struct conn *c, const char *why)
{
	void	*app = c->app;

	if (app == NULL)
		return;
	c->app = NULL;
	c->app_ops->detach(app, why);
}

/* The app is starting: a client that waits for 100 Continue gets it now. */
void
conn_dispatch_ready(struct conn *c)
{
	if (c->state == CONN_QUEUED)
		conn_set_state(c, CONN_DISPATCHED);
	/* The wait in the queue is over: its timeout must not fire on the
	   running request. */
	conn_timer_update(c, 0);
	(void)conn_continue(c);
}

/* A client that waits for 100 Continue before it sends its body gets it
   (once), when none of the body came yet.  Returns 1 when it was sent
   (and flushed: c may be closed). */
static int
conn_continue(struct conn *c)
{
	const struct http1_request	*r = &c->req.r;
	struct respond_req		 x;

	if (!(r->flags & HTTP1_F_EXPECT_CONTINUE) || r->minor < 1 ||
	    c->req.resp.continued || reqbody_wire_done(&c->req.body) ||
	    conn_unconsumed(c) > 0)
		return 0;
	conn_respond_req(c, &x);
	respond_continue(&c->req.resp, &x);
	conn_flush(c);
	return 1;
}

/* For apps: the request now runs on a worker that can hear of
   pipelining; a next request already buffered counts at once. */
void
conn_dispatch_watch(struct conn *c)
{
	if (c->state == CONN_DISPATCHED && conn_body_complete(c) &&
	    conn_unconsumed(c) > 0)
		conn_tell_pipelined(c);
}

void
conn_body_peek(struct conn *c, const char **p, size_t *len)
{
	/* A raw chunked body that turned out bad fails the request from
	   the loop (conn_read_cb). */
	if (reqbody_peek(&c->req.body, c->in + c->in_off, conn_unconsumed(c),
	    p, len))
		ev_feed_event(c->m->loop, &c->sock->rio, EV_READ);
}

void
conn_body_consume(struct conn *c, size_t n)
{
	c->in_off += reqbody_consume(&c->req.body, c->in + c->in_off,
	    conn_unconsumed(c), n);
	/* A client that half-closed after its body left nothing behind
	   it once the body is passed on: it is gone now. */
	if (c->rd_eof && conn_unconsumed(c) == 0 &&
	    c->state == CONN_DISPATCHED) {
		/* From the loop: the app is in the middle of passing it on. */
		ev_feed_event(c->m->loop, &c->sock->rio, EV_READ);
		return;
	}
	conn_read_update(c);
}

int
conn_body_complete(struct conn *c)
{
	return reqbody_complete(&c->req.body);
}

int
conn_body_fd(struct conn *c)
{
	return reqbody_fd(&c->req.body);
}

int
conn_body_take_fd(struct conn *c)
{
	return reqbody_take_fd(&c->req.body);
}

int
conn_body_raw_chunked(struct conn *c)
{
	return reqbody_kind(&c->req.body) == REQBODY_RAW_CHUNKED;
}

/* Output queue. */
static int
conn_out_reserve(struct conn *c, size_t n)
{
	size_t	 cap;
	char	*p;

	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n <= c->out_cap)
		return 0;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + n <= c->out_cap)
			return 0;
	}
	cap = c->out_cap ? c->out_cap : 4096;
	while (cap < c->out_len + n)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		return -1;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/* The output queue as struct respond_sink. */
static char *
conn_sink_reserve(void *arg, size_t n, size_t *room)
{
	struct conn	*c = arg;

	if (conn_out_reserve(c, n) == -1)
		return NULL;
	*room = c->out_cap - c->out_len;
	return c->out + c->out_len;
}

static void
conn_sink_wrote(void *arg, size_t n)
{
	struct conn	*c = arg;

	c->out_len += n;
}

static const char *
conn_sink_date(void *arg)
{
	struct conn	*c = arg;

	return master_date(c->m);
}

static const struct respond_sink conn_sink = {
	conn_sink_reserve, conn_sink_wrote, conn_sink_date
};

/* The request as respond.c sees it now. */
static void
conn_respond_req(struct conn *c, struct respond_req *x)
{
	x->sink = &conn_sink;
	x->arg = c;
	x->minor = c->req.r.minor;
	x->is_head = c->req.is_head;
	x->keep_alive = &c->req.keep_alive;
	x->stopping = c->m->stopping;
	x->name = c->req.script.script_name;
}

/* The response is complete (or cut): nothing more will be queued. */
static int
conn_ended(const struct conn *c)
{
	return respond_state(&c->req.resp) == RESPOND_ENDED;
}

static void
conn_flush(struct conn *c)
{
	ssize_t	n;
	size_t	before = c->out_len - c->out_off;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_close(c, errno == EPIPE || errno == ECONNRESET ?
			    "client gone (write)" : "write error");
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off < c->out_len) {
		if (!ev_is_active(&c->wio))
			ev_io_start(c->m->loop, &c->wio);
		conn_timer_update(c, c->out_len - c->out_off < before);
		return;
	}
	c->out_off = c->out_len = 0;
	ev_io_stop(c->m->loop, &c->wio);
	if (c->state == CONN_HIJACK || conn_ended(c)) {
		/* The request is done, but callers up the stack may still
		   be in it: finish from the loop. */
		ev_feed_event(c->m->loop, &c->wio, EV_WRITE);
		return;
	}
	if (before >= CONN_OUT_HIGH && c->app != NULL)
		c->app_ops->output_resume(c->app);
	conn_timer_update(c, 1);
}

static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn	*c = container_of(w, struct conn, wio);
	size_t		 pending = c->out_len - c->out_off;

	if (pending == 0) {
		if (c->state == CONN_HIJACK)
			conn_hijack_finish(c);
		else if (conn_ended(c))
			conn_request_done(c);
		return;
	}
	conn_flush(c);
	if (c->state != CONN_CLOSED && c->app != NULL &&
	    pending >= CONN_OUT_LOW && c->out_len - c->out_off < CONN_OUT_LOW)
		c->app_ops->output_resume(c->app);
}

/* A response of the server's own: errors, 503, OPTIONS *. */
static void
conn_respond(struct conn *c, int status, const char *extra, int close)
{
	struct conn_req		*q = &c->req;
	struct respond_req	 x;

	conn_app_release(c, "server answered");
	if (close || !conn_body_complete(c))
		q->keep_alive = 0;
	conn_respond_req(c, &x);
	if (respond_error(&q->resp, &x, status, extra) == RESPOND_NOMEM) {
		conn_close(c, "out of memory");
		return;
	}
	if (q->start == 0)
		q->start = ev_now(c->m->loop);
	conn_set_state(c, CONN_WRITE);
	conn_flush(c);
}

/* Acts on what a respond_* call returned. */
static void
conn_respond_result(struct conn *c, int st)
{
	if (st == RESPOND_NOMEM)
		conn_close(c, "out of memory");
	else if (st != RESPOND_OK)
		conn_app_fail(c, st);
}

/* Queues the response head for the app's response; length is the body
   length when known, else -1. */
static void
conn_commit(struct conn *c, int64_t length)
{
	struct respond_req	 x;

	ev_timer_stop(c->m->loop, &c->commit);
	conn_respond_req(c, &x);
	conn_respond_result(c, respond_commit(&c->req.resp, &x, length));
}

/* Queues body bytes from the app, framed as the response head said, or
   held while it is not committed. */
static void
conn_body_out(struct conn *c, const char *p, size_t len)
{
	struct respond_req	 x;
	int			 st;

	conn_respond_req(c, &x);
	st = respond_body(&c->req.resp, &x, p, len);
	if (respond_state(&c->req.resp) != RESPOND_HELD)
		ev_timer_stop(c->m->loop, &c->commit);
	conn_respond_result(c, st);
}

int
conn_app_output(struct conn *c, const char *p, size_t len)
{
	struct conn_req	*q = &c->req;
	int		 st;

	if (conn_ended(c) || c->state == CONN_HIJACK)
		return 1;
	if (respond_state(&q->resp) == RESPOND_HEAD) {
		st = respond_head(&q->resp, p, len, q->script.script_name);
		if (st == RESPOND_MORE)
			return 1;
		if (st == RESPOND_REDIRECT) {
			conn_local_redirect(c, respond_cgiresp(&q->resp));
			return 0;
		}
		if (st != RESPOND_OK) {
			conn_app_fail(c, st);
			return 0;
		}
		if (respond_commit_due(&q->resp))
			conn_commit(c, -1);
	} else
		conn_body_out(c, p, len);
	if (c->state == CONN_CLOSED)
		return 0;
	conn_flush(c);
	if (c->state == CONN_CLOSED)
		return 0;
	return c->out_len - c->out_off < CONN_OUT_HIGH;
}

static void
conn_commit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn	*c = container_of(w, struct conn, commit);

	if (respond_state(&c->req.resp) == RESPOND_HELD) {
		conn_commit(c, -1);
		if (c->state != CONN_CLOSED)
			conn_flush(c);
	}
}

void
conn_app_idle(struct conn *c)
{
	if (respond_state(&c->req.resp) == RESPOND_HELD &&
	    !ev_is_active(&c->commit)) {
		ev_timer_set(&c->commit, CONN_COMMIT_DELAY, 0);
		ev_timer_start(c->m->loop, &c->commit);
	}
}

void
conn_app_end(struct conn *c, int clean)
{
	struct conn_req		*q = &c->req;
	struct respond_req	 x;

	c->app = NULL;
	switch (respond_state(&q->resp)) {
	case RESPOND_ENDED:
		return;
	case RESPOND_HEAD:
		log_warnx("%s: script ended without a response header block",
		    q->script.script_name);
		conn_app_fail(c, 502);
		return;
	case RESPOND_HELD:
		if (!clean) {
			conn_app_fail(c, 502);
			return;
		}
		conn_commit(c, (int64_t)respond_held(&q->resp));
		if (c->state == CONN_CLOSED)
			return;
		break;
	default:
		break;
	}
	conn_respond_req(c, &x);
	respond_end(&q->resp, &x, clean);
	conn_set_state(c, CONN_WRITE);
	conn_flush(c);
}

void
conn_app_fail(struct conn *c, int status)
{
	struct conn_req	*q = &c->req;

	if (conn_ended(c))
		return;
	if (respond_state(&q->resp) != RESPOND_COMMITTED) {
		conn_respond(c, status, status == 503 ? "Retry-After: 1\r\n" :
		    NULL, 0);
		return;
	}
	conn_app_release(c, "response failed");
	respond_abort(&q->resp);
	conn_set_state(c, CONN_WRITE);
	conn_flush(c);
}

static void
conn_access_log(struct conn *c)
{
	struct conn_req		*q = &c->req;
	struct log_access_entry	 e;

	memset(&e, 0, sizeof(e));
	e.remote_addr = c->peer_addr;
	e.method = q->log_method.p;
	e.method_len = q->log_method.len;
	e.target = q->log_target.p;
	e.target_len = q->log_target.len;
	e.minor = q->r.minor;
	e.status = respond_status(&q->resp);
	e.bytes = respond_bytes(&q->resp);
	if (q->r.method.p != NULL) {
		e.referer = conn_field(c, "Referer", &e.referer_len);
		e.user_agent = conn_field(c, "User-Agent", &e.user_agent_len);
	}
	e.duration_us = (uint64_t)((ev_now(c->m->loop) - q->start) * 1e6);
	log_access(&e);
}

static void
conn_request_reset(struct conn *c)
{
	struct conn_req		*q = &c->req;
	struct http1_field	*fields = q->r.fields;

	route_script_free(&q->script);
	reqbody_reset(&q->body);
	respond_reset(&q->resp);
	free(q->redirect);
	memset(q, 0, sizeof(*q));
	q->r.fields = fields;
}

/* The response went out: log it, then the next request or close. */
static void
conn_request_done(struct conn *c)
{
	struct conn_req	*q = &c->req;

	if (c->state != CONN_DRAIN) {
		if (q->r.method.p != NULL || respond_status(&q->resp) != 0)
			conn_access_log(c);
		conn_app_release(c, "response done");
		if (c->linger) {
			/* Half-close so the client reads the error instead
			   of a reset, then drain briefly. */
			shutdown(c->fd, SHUT_WR);
			conn_set_state(c, CONN_LINGER);
			conn_timer_update(c, 0);
			if (!c->rd_eof)
				conn_read_update(c);
			else
				conn_close(c, "error sent");
			return;
		}
		if (!q->keep_alive || respond_must_close(&q->resp) ||
		    c->m->stopping) {
			conn_close(c, "response done, not keeping alive");
			return;
		}
		if (reqbody_unread(&q->body) > 0) {
			c->in_off += reqbody_skip(&q->body, conn_unconsumed(c));
			if (reqbody_unread(&q->body) > CONN_DRAIN_MAX) {
				conn_close(c, "unread request body too large "
				    "to drain");
				return;
			}
			if (reqbody_unread(&q->body) > 0) {
				conn_set_state(c, CONN_DRAIN);
				conn_timer_update(c, 0);
				conn_read_update(c);
				return;
			}
		}
		if (!reqbody_wire_done(&q->body)) {
			conn_close(c, "unread chunked body");
			return;
		}
	}
	/* Move what is left (pipelined requests) to the buffer's start. */
	if (c->in != NULL) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	conn_request_reset(c);
	conn_set_state(c, c->in_len > 0 ? CONN_READ_HEAD : CONN_IDLE);
	if (c->in_len == 0) {
		if (c->rd_eof) {
			conn_close(c, "client closed after its requests");
			return;
		}
		/* An idle connection keeps no struct conn, nor buffers. */
		if (c->out_off == c->out_len) {
			conn_detach(c);
			return;
		}
	}
	c->tkind = -1;
	conn_timer_update(c, 0);
	conn_read_update(c);
	if (c->in_len > 0)
		conn_advance(c);
	/* A half-closed client whose last bytes are not a whole request
	   will send no more. */
	if (c->state == CONN_READ_HEAD && c->rd_eof)
		conn_close(c, "client closed inside a request head");
}

const char *
conn_app_hijack(struct conn *c)
{
	struct conn_req	*q = &c->req;

	if (c->state == CONN_CLOSED)
		return FERRY_REFUSED_GONE;
	if (c->state != CONN_DISPATCHED || conn_ended(c))
		return FERRY_REFUSED_COMPLETE;
	/* A collected body spilled to a file: its unsent rest cannot go
	   with the socket. */
	if (reqbody_spill_unread(&q->body))
		return FERRY_REFUSED_SPOOLED;
	ev_timer_stop(c->m->loop, &c->commit);
	if (respond_state(&q->resp) == RESPOND_HEAD) {
		/* Not a whole head: nothing of it was committed. */
		respond_drop_head(&q->resp);
	} else if (respond_state(&q->resp) == RESPOND_HELD) {
		/* Chosen now, with no length: chunked on HTTP/1.1 (the
		   app goes on with the chunks itself), none for a 101. */
		conn_commit(c, -1);
		if (c->state != CONN_DISPATCHED)
			return c->state == CONN_CLOSED ? FERRY_REFUSED_GONE :
			    FERRY_REFUSED_COMPLETE;
	}
	conn_set_state(c, CONN_HIJACK);
	conn_read_update(c);
	c->tkind = -1;
	conn_timer_update(c, 0);
	/* Completes from the loop once everything was written. */
	conn_flush(c);
	if (c->state == CONN_CLOSED)
		return FERRY_REFUSED_GONE;
	return NULL;
}

/* The response is out: the socket and the unconsumed bytes go to the
   app, and the connection forgets them. */
static void
conn_hijack_finish(struct conn *c)
{
	struct conn_req		*q = &c->req;
	const struct conn_app_ops *ops = c->app_ops;
	void			*app = c->app;
	const char		*p = NULL;
	char			*joined;
	size_t			 len = 0;
	int			 fd = c->fd;

	if (app == NULL || ops->hijacked == NULL) {
		conn_close(c, "the hijacking app went away");
		return;
	}
	if (c->in != NULL) {
		p = c->in + c->in_off;
		len = conn_unconsumed(c);
	}
	/* A collected chunked body not passed on comes first. */
	if (reqbody_hijack_rest(&q->body, p, len, &p, &len, &joined) == -1) {
		conn_close(c, "out of memory");
		return;
	}
	log_debug("conn %d: hijacked with %zu unconsumed bytes", fd, len);
	conn_access_log(c);
	c->app = NULL;
	c->given = 1;
	c->m->conns->nhijacked++;
	conn_close(c, "hijacked");
	ops->hijacked(app, fd, p, len);
	free(joined);
}
