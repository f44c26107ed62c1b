/*
 * A client connection: its input buffer, the request in progress, the
 * output queue, its watchers, and the state machine that drives them.
 * Apps (server/cgi.c, server/pool.c) produce a CGI-format response
 * stream; server/respond.c parses its header block and frames the body.
 * The connection reaches an app only through m->app_types and struct
 * conn_app_ops (server/app-t.h), never by name; an app reaches the
 * connection only through the calls below: struct conn is private to
 * server/conn*.c (server/conn-int.h says which file owns what).
 *
 * A struct conn exists only while the connection has work: a connection
 * that waits for its first or next request is a small private record of
 * connsock.c (struct conn_sock: its fd, addresses, read watcher and
 * timer), and takes a struct conn, with its buffers, from the spare list
 * when bytes arrive.  So an app never sees an idle connection, and c is
 * valid from dispatch until the app is detached, as before.
 */
#ifndef FERRY_SERVER_CONN_H
#define FERRY_SERVER_CONN_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stddef.h>

#include "protocol/http1.h"
#include "server/route.h"

struct master;
struct conf_app;
struct conn;
struct app_queue;
struct app_qlink;
struct rusage;

/*
 * What an app running (or queued to run) a request offers its connection:
 * more body bytes are ready; the client drained its output; the
 * connection is done with the app (client gone, response failed or
 * finished); the connection leaves the app's wait queue.
 */
struct conn_app_ops {
	void	(*body_ready)(void *app);
	void	(*output_resume)(void *app);
	void	(*detach)(void *app, const char *why);
	/* Only in state CONN_QUEUED: server/app.c's, NULL elsewhere. */
	void	(*unqueue)(struct conn *c);
	/* The client pipelined its next request (doc/ARCHITECTURE.md,
	   close-notify rule 5): called at most once per request; may be
	   NULL. */
	void	(*pipelined)(void *app);
	/* The hand-over conn_app_hijack() started is done: the app owns fd
	   now, and p[0..len) are the client's bytes the connection read and
	   did not pass on (valid during the call).  The connection is gone
	   (detached, forgotten).  May be NULL for apps that never hijack. */
	void	(*hijacked)(void *app, int fd, const char *p, size_t len);
	/* The client half-closed after its whole request (a FIN, nothing
	   more buffered): 1 when the app keeps the request and its answer
	   goes out (the app was told GONE if it speaks close-notify, or its
	   half_close is answer), 0 for the client gone (detach follows).
	   May be NULL: gone. */
	int	(*half_closed)(void *app);
};

enum conn_state {
	CONN_IDLE,		/* keep-alive, nothing buffered */
	CONN_READ_HEAD,		/* reading a request head */
	CONN_READ_BODY,		/* collecting a chunked body before dispatch */
	CONN_QUEUED,		/* waiting in its app's queue (app.h) */
	CONN_DISPATCHED,	/* app running: body in, response out */
	CONN_WRITE,		/* app done: flushing the response */
	CONN_DRAIN,		/* discarding a body the app did not read */
	CONN_LINGER,		/* error sent, half-closed, draining */
	CONN_HIJACK,		/* flushing the response before a hijack */
	CONN_CLOSED,
};
#define CONN_NSTATES	(CONN_CLOSED + 1)

/* Sets up m->conns, the connections' own state.  Returns 0 or -1. */
int	conn_init(struct master *m);
/* Takes ownership of an accepted, non-blocking fd; lflags are its
   listener's CONF_LISTEN_* (CONF_LISTEN_PROXY: a PROXY header first). */
void	conn_accept(struct master *m, int fd, const struct sockaddr *peer,
	    socklen_t peerlen, unsigned int lflags);
/* Idempotent teardown with a reason for the log.  The memory stays valid
   (state CONN_CLOSED) until the reaper runs before the loop blocks. */
void	conn_close(struct conn *c, const char *reason);
/* Closes every connection with work (the graceful stop's deadline). */
void	conn_close_all(struct master *m, const char *reason);
/* At exit: frees closed connections, closes idle ones, frees the spare
   list and m->conns. */
void	conn_fini(struct master *m);
const char *conn_state_name(enum conn_state s);
/* Graceful stop: closes kept-alive idle connections; others close after
   their current request, a new one's first request included. */
void	conn_shutdown_idle(struct master *m);
/* Open connections: all of them, or those in state s (one waiting for a
   request without a struct conn counts as CONN_IDLE; CONN_CLOSED: 0). */
unsigned int conn_count(struct master *m);
unsigned int conn_state_count(struct master *m, enum conn_state s);

/* For apps: the master c belongs to, and the app its request was routed
   to (NULL before routing). */
struct master *conn_master(const struct conn *c);
struct conf_app *conn_app_conf(const struct conn *c);
/* For apps: c's parsed request (after a local redirect, the GET it
   became), and the script it was routed to; valid while c runs it. */
const struct http1_request *conn_request(const struct conn *c);
const struct route_script *conn_script(const struct conn *c);
/* For server/app.c: c's link in the app queue it waits in. */
struct app_qlink *conn_qlink(struct conn *c);
/* For server/app.c: c's request now waits in its app's queue (state
   CONN_QUEUED).  For apps: c's request leaves the queue to start (state
   CONN_DISPATCHED; conn_dispatch_ready follows once it runs). */
void	conn_queued(struct conn *c);
void	conn_dequeued(struct conn *c);

/* For apps: the request body.  conn_body_peek() names body bytes ready
   to pass on (len 0: none yet); conn_body_consume() marks n of them done.
   conn_body_complete() is 1 once every body byte was passed on. */
void	conn_body_peek(struct conn *c, const char **p, size_t *len);
void	conn_body_consume(struct conn *c, size_t n);
int	conn_body_complete(struct conn *c);
/* The spill file of a collected chunked body (read it from where it is,
   or hand it to a CGI as stdin), or -1: then read with conn_body_peek().
   conn_body_take_fd() gives it to the caller to close; c forgets it. */
int	conn_body_fd(struct conn *c);
int	conn_body_take_fd(struct conn *c);
/* 1 when the body is passed on raw, still chunked (the app decodes it). */
int	conn_body_raw_chunked(struct conn *c);

/* For apps: the response stream in CGI format.  conn_app_output() returns
   1 when the app may send more now, 0 when it must wait for
   app_output_resume (the client is slow).  conn_app_idle() says no more
   output is ready for now; conn_app_end() ends the response (clean: the
   app finished normally); conn_app_fail() answers status when nothing was
   sent yet, otherwise closes the connection. */
int	conn_app_output(struct conn *c, const char *p, size_t len);
void	conn_app_idle(struct conn *c);
void	conn_app_end(struct conn *c, int clean);
void	conn_app_fail(struct conn *c, int status);
/* For apps: the app starts running c's request (a 100 Continue goes out
   now); conn_app_attach() gives the handle the ops above are called with;
   conn_app_detached() says the app let go of it by itself. */
void	conn_dispatch_ready(struct conn *c);
/* Seconds the app has had the request: since dispatch, less the time it
   waited on the client for body bytes (request_timeout measures the app,
   not the client). */
double	conn_app_time(struct conn *c);
void	conn_app_attach(struct conn *c, const struct conn_app_ops *ops,
	    void *app);
void	conn_app_detached(struct conn *c);
/* For apps, for the access log: pid (a worker, a CGI script) runs c's
   request; a CGI script that was reaped used ru (user and system CPU,
   peak RSS), noted before the response ends to be logged. */
void	conn_app_note_pid(struct conn *c, pid_t pid);
void	conn_app_note_rusage(struct conn *c, const struct rusage *ru);
/* The connection and script facts for cgienv_build(), the same for CGI
   and FastCGI PARAMS. */
struct cgienv_info;
void	conn_cgienv_info(struct conn *c, struct cgienv_info *info);
/* Call once the app is attached: tells it of a request already
   pipelined behind this one. */
void	conn_dispatch_watch(struct conn *c);

/*
 * For apps: hand the client socket to the app (doc/ARCHITECTURE.md,
 * "Hijack rules").  The response head and body the app sent so far are
 * committed (a head not yet complete is dropped) and written out, reading
 * stops, and then, from the loop, ops->hijacked() gets the socket and the
 * unconsumed bytes.  Returns NULL when the hand-over started, else the
 * FERRY_REFUSED_* reason it cannot.  If the client fails meanwhile, the
 * connection closes and detaches the app as for any client gone.
 */
const char *conn_app_hijack(struct conn *c);

#endif
