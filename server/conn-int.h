/*
 * The connection's own types and the calls between its files, private to
 * server/conn*.c (and unit tests); everyone else uses conn.h, where
 * struct conn is opaque.
 *
 *   conn.c      the driver: the one writer of c->state (conn_set_state,
 *               with the counts by state), reading, timers, the request
 *               from its head to its end (route, local redirect,
 *               dispatch through the app table, done, reset)
 *   connsock.c  the lifecycle: struct conn_sock, accept, attach and
 *               detach of a struct conn, the spares, close, reap, stop
 *   connout.c   the output queue: respond.c's sink, flush, the write
 *               watcher, the server's own responses
 *   connwatch.c the blind watch: a FIN or reset seen while c does not
 *               read (its input buffer is full)
 *   connproxy.c the PROXY header (proxy_protocol listeners) read before
 *               the first head, its addresses made the connection's
 *   connapp.c   the apps' side (conn.h's "For apps" calls): attach and
 *               release, the request body, the app's output, hijack
 *   connfwd.c   the client behind a trusted front: its forwarding headers
 */
#ifndef FERRY_SERVER_CONN_INT_H
#define FERRY_SERVER_CONN_INT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "protocol/cgiresp.h"
#include "protocol/forwarded.h"
#include "protocol/http1.h"
#include "server/app-t.h"
#include "server/conn.h"
#include "server/reqbody.h"
#include "server/respond.h"
#include "server/route.h"

enum conn_timeout {
	T_NONE, T_HEADER, T_KEEPALIVE, T_BODY, T_QUEUE, T_WRITE, T_LINGER,
	T_RATE		/* T_BODY's body_min_rate deadline, sooner */
};

/* A socket address in binary, kept while the connection is idle. */
struct conn_addr {
	unsigned char	 a[16];		/* IPv4 in the first 4 bytes */
	uint16_t	 port;
	uint16_t	 family;	/* AF_INET, AF_INET6, AF_UNSPEC: unknown,
					   other: "unix" */
};

/* The socket of a connection, for its whole life (connsock.c); rio.data
   and timer.data are the master. */
struct conn_sock {
	struct conn_sock	*prev, *next;	/* idle list, while c is NULL */
	struct conn		*c;		/* attached while active */
	ev_io			 rio;
	ev_timer		 timer;
	int			 fd;
	unsigned int		 nreq;		/* 0: new (head timeout),
						   else kept alive */
	struct conn_addr	 peer, local;	/* a PROXY header's, if any */
	char			*pp;		/* PROXY header bytes read so
						   far (connproxy.c); NULL */
	uint16_t		 pplen;
	uint8_t			 flags;		/* CONN_SOCK_* */
};
#define CONN_SOCK_PROXY	0x01	/* a PROXY header is awaited: rio runs
				   conn_proxy_read_cb */
#define CONN_SOCK_TLS	0x02	/* the front's client used TLS (HTTPS=on) */

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
	ev_timer		 trim;		/* CONN_TRIM_IDLE after a struct
						   conn came back: spares freed,
						   heap trimmed; data: master */
	unsigned long		 nhijacked;	/* connections handed to apps */
	ev_prepare		 reaper;	/* data: the master */
	int			 watch_fd;	/* connwatch.c's epoll set */
	ev_io			 watch;		/* on watch_fd; data: the master */
};

/* The request in progress; zeroed between requests. */
struct conn_req {
	struct http1_request	 r;
	size_t			 head_len;	/* head bytes at c->in */
	int			 is_head;	/* method HEAD */
	int			 keep_alive;	/* the client allows it */
	ev_tstamp		 start;
	ev_tstamp		 dispatched;	/* the app got it */
	ev_tstamp		 wait_since;	/* the app waits on the client
						   for body bytes; 0: not */
	double			 waited;	/* ... for this long before */

	/* body from the client */
	struct reqbody		 body;
	int64_t			 body_len;	/* for CONTENT_LENGTH; -1 none */

	/* routing; a local redirect (RFC 3875 6.2.2) re-routes the request
	   as a GET of redirect, without the client's body */
	struct conf_app		*app;
	struct conf		*cf;		/* app's configuration, held
						   (confgen.h) until the
						   request ends */
	char			*redirect;
	unsigned int		 nredirects;
	struct http1_span	 log_method, log_target;
	struct route_script	 script;

	/* response from the app, or the server's own */
	struct respond		 resp;
	int			 pipelined_told;	/* app told of pipelining */
	int			 half_closed;	/* conn_half_closed kept it */

	/* for the access log's JSON fields (conn_access_log) */
	ev_tstamp		 first_byte;	/* the response's first byte
						   was queued; 0: not yet */
	pid_t			 app_pid;	/* conn_app_note_pid */
	int			 end;		/* enum log_end */
	const char		*end_reason;	/* a static string */
	int			 has_rusage;	/* conn_app_note_rusage */
	uint64_t		 cpu_user_us, cpu_sys_us, maxrss_kb;

	/* a trusted front's forwarding headers (connfwd.c) */
	int			 fwd_on;	/* the peer is in trusted_proxies:
						   fwd is what they said */
	struct forwarded_result	 fwd;
};

struct conn {
	struct master		*m;
	struct conn		*prev, *next;	/* m->conns */
	struct app_qlink	 ql;		/* in an app_queue: server/app.c's,
						   through conn_qlink() */
	enum conn_state		 state;		/* conn_set_state's alone */
	int			 fd;
	int			 given;		/* fd handed over by a hijack */
	struct conn_sock	*sock;		/* read watcher and timer */
	ev_io			 wio;

	char			 peer_addr[64];	/* peer and local as text */
	unsigned int		 peer_port;
	char			 local_addr[64];
	unsigned int		 local_port;
	int			 https;		/* CONN_SOCK_TLS: HTTPS=on */

	char			*in;		/* input buffer */
	size_t			 in_len, in_off, in_cap;
	int			 rd_eof;	/* client half-closed */
	int			 watched;	/* in the blind watch (connwatch.c) */

	char			*out;		/* output queue */
	size_t			 out_len, out_off, out_cap;

	struct conn_req		 req;
	const struct conn_app_ops *app_ops;	/* set by the app at dispatch */
	void			*app;		/* the app's handle, while it
						   runs the request */
	unsigned int		 nreq;		/* requests served */
	int			 tkind;		/* which timeout is armed */
	int			 linger;	/* half-close and drain when done */
	size_t			 lingered;
	ev_timer		 commit;	/* CONN_COMMIT_DELAY */
};

/* Body bytes and pipelined requests read and not consumed yet. */
static inline size_t
conn_unconsumed(const struct conn *c)
{
	return c->in_len - c->in_off;
}

/* 1 while c has a request past its head that has not ended. */
static inline int
conn_in_request(const struct conn *c)
{
	return c->state == CONN_READ_BODY || c->state == CONN_QUEUED ||
	    c->state == CONN_DISPATCHED || c->state == CONN_WRITE;
}

/* conn.c: the driver. */

/* The one writer of c->state: logs the transition, keeps the counts by
   state (CONN_CLOSED counts in none). */
void	conn_set_state(struct conn *c, enum conn_state s);
/* Arms the one timer for what c waits on in its state; activity pushes
   back a body or write timeout already armed. */
void	conn_timer_update(struct conn *c, int activity);
/* The watchers of a struct conn_sock (connsock.c sets them up). */
void	conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
void	conn_read_cb(struct ev_loop *loop, ev_io *w, int revents);
/* Reading on while there is room and the client has not half-closed
   (off while a hijack hands the socket over). */
void	conn_read_update(struct conn *c);
/* The app's head asks for a local redirect (RFC 3875 6.2.2): the app
   is released and the request re-routed as a GET of cr->location. */
void	conn_local_redirect(struct conn *c, const struct cgiresp *cr);
/* Writes the access log line of c's request, with status, or (0) the
   response's. */
void	conn_access_log(struct conn *c, int status);
/* The request ends by a timeout (reason, a static string): the access
   log says so; then c closes (close) with reason. */
void	conn_timed_out(struct conn *c, const char *reason, int close);
/* The client left (EOF where it is gone, a reset, a failed write): a
   request it left before its response was complete is logged with
   status 499, as nginx logs it (the bytes sent, the time until it left),
   then the connection closes with reason. */
void	conn_gone(struct conn *c, const char *reason);
/* The client closed its sending side (c->rd_eof): gone, or a half-close
   that waits for its answers, by the state and the body's framing. */
void	conn_eof(struct conn *c);
/* Frees and zeroes c's request (keeping its field array). */
void	conn_request_reset(struct conn *c);
/* Why the connection cannot stay after this request by its body alone
   (the rest the app left is over CONN_DRAIN_MAX, or a chunked body was
   not read to its end), or NULL. */
const char *conn_body_blocks_keep(const struct conn *c);
/* The response went out: log it, then linger, drain, the next request,
   detach or close. */
void	conn_request_done(struct conn *c);

/* connsock.c: the lifecycle. */

/* Closes a connection that has no struct conn, and frees sk. */
void	conn_idle_close(struct conn_sock *sk, const char *reason);
/* Gives sk a struct conn (a spare or new) in state CONN_IDLE; NULL when
   out of memory, the connection closed then. */
struct conn *conn_attach(struct conn_sock *sk);
/* c has nothing to do: its connection goes on idle with its struct
   conn_sock alone, and c is retired (state CONN_CLOSED). */
void	conn_detach(struct conn *c);

/* The text of a: numeric, "unix" for a Unix socket, "" when unknown;
   *port its port (0 for a Unix socket). */
void	conn_addr_text(const struct conn_addr *a, char *buf, size_t len,
	    unsigned int *port);

/* connproxy.c: the PROXY header before the head. */

/* 1 when a proxy_protocol listener may serve peer (it is in proxy_from);
   else logs and counts the refusal and returns 0 (the caller closes). */
int	conn_proxy_allowed(struct master *m, const struct conn_addr *peer);
/* The read watcher of a connection awaiting its PROXY header: reads no
   byte past it, applies its addresses to sk, then runs conn_read_cb; a
   bad or truncated header closes the connection (conn_idle_close). */
void	conn_proxy_read_cb(struct ev_loop *loop, ev_io *w, int revents);

/* connwatch.c: the blind watch. */

/* Opens the watch's epoll set (m->conns exists); -1 on error, logged. */
int	conn_watch_init(struct master *m);
void	conn_watch_fini(struct master *m);
/* Puts c's socket in the watch (on) or takes it out; c->fd must be open.
   Out before the fd closes or is handed over (conn_set_state does it). */
void	conn_watch_set(struct conn *c, int on);

/* connout.c: the output queue. */

/* Fills x: the request as respond.c sees it now, writing to c's queue. */
void	conn_respond_req(struct conn *c, struct respond_req *x);
/* 1 when the response is complete (or cut): nothing more is queued. */
int	conn_ended(const struct conn *c);
/* Sends what is queued; the write watcher takes the rest.  May close c. */
void	conn_flush(struct conn *c);
/* The write watcher (c->wio). */
void	conn_write_cb(struct ev_loop *loop, ev_io *w, int revents);
/* A response of the server's own (errors, 503, OPTIONS *): releases the
   app, queues it and flushes (state CONN_WRITE). */
/* conn.c's: picks the app and script for the request's path (or answers
   it); hands the routed request to its app (a local redirect does both
   again, connapp.c). */
void	conn_route(struct conn *c);
void	conn_dispatch(struct conn *c);
void	conn_respond(struct conn *c, int status, const char *extra,
	    int close);

/* connapp.c: the apps' side. */

/* The client half-closed after its whole request, in state queued or
   dispatched: 1 when the request goes on and is answered (the app's
   half_close, or GONE told to a close-notify worker), then closed; 0 for
   the client gone. */
int	conn_half_closed(struct conn *c);
/* Tells the app, once, that the client pipelined its next request. */
void	conn_tell_pipelined(struct conn *c);
/* The connection lets go of its app (ops->detach with why), if any. */
void	conn_app_release(struct conn *c, const char *why);
/* c's request leaves its app's wait queue when it waits in one (client
   gone, queue timeout, the server's own answer); nothing otherwise. */
void	conn_unqueue(struct conn *c);
/* 1 while the request's body waits on the client: more is due by its
   framing and nothing of it is buffered for the app. */
int	conn_body_starved(struct conn *c);
/* Sends 100 Continue when the client waits for it; returns 1 when sent
   (and flushed: c may be closed). */
int	conn_continue(struct conn *c);
/* The commit timer (c->commit, CONN_COMMIT_DELAY). */
void	conn_commit_cb(struct ev_loop *loop, ev_timer *w, int revents);
/* A hijack's response is out: the socket and the unconsumed bytes go
   to the app, and c closes without closing the fd. */
void	conn_hijack_finish(struct conn *c);

/* connfwd.c: the client behind a trusted front. */

/* Reads the forwarding headers of c's request (its head parsed) into
   c->req when c's peer is in trusted_proxies; nothing otherwise. */
void	conn_forwarded(struct conn *c);
/* The request's client: the address and port a trusted front named
   (port 0 when it named none), else the peer's. */
const char *conn_client_addr(const struct conn *c);
unsigned int conn_client_port(const struct conn *c);
/* Puts the request's client in info (remote_addr, remote_port), and what
   a trusted front said of the scheme, host and port (https, forwarded_host,
   server_port: its port, else the scheme's default when it said one). */
void	conn_forwarded_info(const struct conn *c, struct cgienv_info *info);

#endif
