/*
 * The blind watch: a client's leaving, seen while the connection does not
 * read.  A connection stops reading when its input buffer is full (body
 * bytes the app has not taken yet, pipelined requests); from then on a
 * read would not show a FIN or a reset.  So such a socket joins a second
 * epoll set, owned here and watched by one ev_io, for EPOLLRDHUP (the
 * client's FIN, whatever is still unread before it) and EPOLLERR/EPOLLHUP
 * (a reset), edge-triggered: data arriving wakes nobody.  The socket
 * leaves the set as soon as the connection reads again, closes, goes idle
 * or is handed over by a hijack (conn_set_state).  A client that
 * half-closed and waits for its answer is not read either: it stays in the
 * set, so that a reset is seen before a write fails.
 *
 * What a FIN means is decided as conn_eof() would decide it after reading
 * everything: the bytes still in the kernel (SIOCINQ) count as received.
 * A Content-Length body they cannot complete is the client gone (rule 2);
 * a FIN behind a complete body (its rest and pipelined requests unread) is
 * a half-close, seen for what it is once those bytes are read.  A chunked
 * body's end is decoded ahead, in a copy of its decoder, over the bytes
 * peeked from the kernel (up to CONN_WATCH_PEEK_MAX of them, more than a
 * socket's receive buffer holds by default; beyond, the FIN waits for the
 * read).  Without epoll (not Linux) there is no blind
 * watch.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conn-int.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/util.h"

#ifdef __linux__

#define CONN_WATCH_EVENTS	32	/* epoll events taken per wake-up */
#define CONN_WATCH_PEEK_MAX	(8 * 1024 * 1024)	/* kernel bytes peeked
						   for a chunked body's end */

static void	conn_watch_cb(struct ev_loop *, ev_io *, int);
static void	conn_watch_fin(struct conn *);

int
conn_watch_init(struct master *m)
{
	struct conn_set	*cs = m->conns;

	if ((cs->watch_fd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warn("epoll_create1 (client watch)");
		return -1;
	}
	ev_io_init(&cs->watch, conn_watch_cb, cs->watch_fd, EV_READ);
	cs->watch.data = m;
	ev_io_start(m->loop, &cs->watch);
	return 0;
}

void
conn_watch_fini(struct master *m)
{
	struct conn_set	*cs = m->conns;

	if (cs == NULL || cs->watch_fd == -1)
		return;
	ev_io_stop(m->loop, &cs->watch);
	close(cs->watch_fd);
	cs->watch_fd = -1;
}

void
conn_watch_set(struct conn *c, int on)
{
	struct conn_set		*cs = c->m->conns;
	struct epoll_event	 ev;

	if (on == c->watched || cs->watch_fd == -1 || c->fd == -1)
		return;
	ev.events = EPOLLRDHUP | EPOLLET;	/* ERR and HUP always */
	ev.data.ptr = c;
	if (epoll_ctl(cs->watch_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
	    c->fd, &ev) == -1) {
		/* The socket stays registered with c as its pointer only if
		   a DEL failed, and DEL fails only on a bad fd. */
		log_warn("conn %d: epoll_ctl (client watch)", c->fd);
		return;
	}
	c->watched = on;
}

/* The watched sockets with news: a reset ends the request at once, a
   FIN as conn_watch_fin says. */
static void
conn_watch_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct master		*m = w->data;
	struct epoll_event	 evs[CONN_WATCH_EVENTS];
	struct conn		*c;
	socklen_t		 len;
	int			 i, n, err;

	(void)loop;
	(void)revents;
	n = epoll_wait(m->conns->watch_fd, evs, CONN_WATCH_EVENTS, 0);
	for (i = 0; i < n; i++) {
		c = evs[i].data.ptr;
		/* An earlier event of this round may have closed c: closed
		   connections are freed only by the reaper, after us. */
		if (!c->watched || c->state == CONN_CLOSED)
			continue;
		err = 0;
		len = sizeof(err);
		if ((evs[i].events & EPOLLERR) && getsockopt(c->fd, SOL_SOCKET,
		    SO_ERROR, &err, &len) == 0 && err != 0) {
			log_debug("conn %d: the client watch saw: %s", c->fd,
			    strerror(err));
			conn_gone(c, err == ECONNRESET ? "client reset" :
			    "read error");
			continue;
		}
		/* A FIN counts once: a half-closed client is watched on
		   for a reset only. */
		if ((evs[i].events & (EPOLLRDHUP | EPOLLHUP)) && !c->rd_eof)
			conn_watch_fin(c);
	}
}

/* The client's FIN came behind bytes not read yet. */
static void
conn_watch_fin(struct conn *c)
{
	struct reqbody	*b = &c->req.body;
	char		*peek = c->m->scratch;
	int		 inq = 0;
	ssize_t		 n;

	if (ioctl(c->fd, FIONREAD, &inq) == -1 || inq < 0)
		inq = 0;
	log_debug("conn %d: the client watch saw a FIN behind %d unread "
	    "bytes", c->fd, inq);
	if (inq == 0) {
		/* Nothing unread: exactly what a read would find. */
		c->rd_eof = 1;
		conn_eof(c);
		return;
	}
	switch (c->state) {
	case CONN_READ_BODY:
	case CONN_QUEUED:
	case CONN_DISPATCHED:
	case CONN_WRITE:
		break;
	default:
		return;
	}
	if (reqbody_unread(b) > 0) {
		/* Content-Length: the counts say it. */
		if (reqbody_unread(b) > conn_unconsumed(c) + (uint64_t)inq)
			conn_gone(c, "client gone during the request body");
		return;
	}
	/* A chunked body: its end is decoded ahead in a copy, over what is
	   buffered and then what the kernel holds (peeked, when it fits). */
	if (reqbody_wire_done(b) || (size_t)inq > CONN_WATCH_PEEK_MAX)
		return;
	if ((size_t)inq > MASTER_SCRATCH && (peek = malloc((size_t)inq)) ==
	    NULL)
		return;
	n = recv(c->fd, peek, (size_t)inq, MSG_PEEK | MSG_DONTWAIT);
	if (n == inq && !reqbody_received2(b, c->in + c->in_off,
	    conn_unconsumed(c), peek, (size_t)n))
		conn_gone(c, "client gone during the request body");
	if (peek != c->m->scratch)
		free(peek);
}

#else	/* !__linux__ */

int
conn_watch_init(struct master *m)
{
	m->conns->watch_fd = -1;
	return 0;
}

void
conn_watch_fini(struct master *m)
{
	(void)m;
}

void
conn_watch_set(struct conn *c, int on)
{
	(void)c;
	(void)on;
}

#endif
