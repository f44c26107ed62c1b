/*
 * The response to one request: an app's CGI-format output (RFC 3875
 * section 6) turned into the HTTP response head and body framing, the
 * server's own responses (errors, 503, OPTIONS *), 100 Continue, and the
 * app's interim responses (a 103 passed on, RFC 9110 section 15.2).
 *
 * A response goes through four states, each only forward:
 *
 *	HEAD		reading the app's header block (interim blocks
 *			before it are passed on or dropped as they come)
 *	HELD		block complete and parsed (once); its body is held back
 *			so a short response can get a Content-Length
 *	COMMITTED	the HTTP head is queued; the body is framed as it says
 *	ENDED		the response is complete (or cut: respond_must_close())
 *
 * It writes into the connection's output queue through a struct
 * respond_sink, and knows the request through a struct respond_req the
 * connection fills for each call; it never includes conn.h, and it reports
 * failures as results (RESPOND_NOMEM, an HTTP status) for the connection
 * to act on.  Timers (the commit delay) and the connection's state stay
 * with the connection.
 */
#ifndef FERRY_SERVER_RESPOND_H
#define FERRY_SERVER_RESPOND_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/cgiresp.h"
#include "protocol/response.h"

enum respond_state {
	RESPOND_HEAD,
	RESPOND_HELD,
	RESPOND_COMMITTED,
	RESPOND_ENDED,
};

/* Results besides an HTTP status (>= 100) to fail the request with. */
#define RESPOND_OK		0
#define RESPOND_NOMEM		(-1)	/* the output queue could not grow:
					   close the connection */
#define RESPOND_MORE		1	/* respond_head(): the block goes on */
#define RESPOND_REDIRECT	2	/* respond_head(): a local redirect,
					   respond_cgiresp() has its Location */

/* The connection's output queue. */
struct respond_sink {
	/* Room for at least n more bytes at the queue's end: returns where
	   they go and sets *room to the bytes there, or NULL when out of
	   memory. */
	char		*(*reserve)(void *arg, size_t n, size_t *room);
	/* n bytes were written where reserve() said: they are queued. */
	void		 (*wrote)(void *arg, size_t n);
	/* The Date field's value now. */
	const char	*(*date)(void *arg);
};

/* The request being answered, as the connection sees it now. */
struct respond_req {
	const struct respond_sink *sink;
	void		*arg;		/* for the sink */
	int		 minor;		/* client's HTTP minor version */
	int		 is_head;	/* method HEAD */
	int		*keep_alive;	/* in: the connection may stay; out:
					   whether it does, once framed */
	int		 stopping;	/* stopping or draining: no keep-alive
					   for an app's response */
	const char	*name;		/* the app's script, for log lines */
	const struct http1_request *request; /* parsed, for its Upgrade
					   (NULL: none) */
};

struct respond {
	enum respond_state	 state;
	char			*head;		/* the app's header block */
	size_t			 head_len;
	struct cgiresp		 cr;		/* head, parsed (HELD on) */
	char			*pend;		/* body held back (HELD) */
	size_t			 pend_len;
	struct response_head	 rh;		/* the head queued */
	uint64_t		 body_sent;	/* body bytes queued */
	int			 close_after;	/* close once flushed */
	int			 continued;	/* 100 Continue sent */
	int			 ninterim;	/* interim blocks from the app */
	int			 status;	/* for the access log */
};

const char *respond_state_name(enum respond_state s);
enum respond_state respond_state(const struct respond *r);
/* Frees what r holds; r is a new response (a zeroed one is too). */
void	respond_reset(struct respond *r);

/*
 * State HEAD: appends the app's output p[0..len) to the header block and
 * parses it.  Interim (1xx) blocks before the final one are taken out as
 * they complete: a 103 is queued for an HTTP/1.1 client, 100 and 102 are
 * dropped (cgiresp_class()).  Returns RESPOND_MORE (incomplete; something
 * may have been queued), RESPOND_OK (state HELD; body bytes that came with
 * the block are held), RESPOND_REDIRECT (a local redirect, state HELD), or
 * 500/502 to fail with (502: a malformed block, a status that may not come
 * from an app, a 101 to an HTTP/1.0 client or for a protocol the request
 * did not ask to switch to, too many interim blocks).
 */
int	respond_head(struct respond *r, const struct respond_req *x,
	    const char *p, size_t len);
/* State HELD: the parsed block (spans valid until the next reset). */
const struct cgiresp *respond_cgiresp(const struct respond *r);
/* State HELD: 1 when the head should be committed now (the app gave a
   Content-Length, or more body is held than CONN_PEND_MAX). */
int	respond_commit_due(const struct respond *r);
/* State HELD: body bytes held back. */
size_t	respond_held(const struct respond *r);
/* Back to HEAD for a local redirect's new app: the block and held body
   are dropped. */
void	respond_restart(struct respond *r);
/* State HEAD, before a hijack: an incomplete block is dropped. */
void	respond_drop_head(struct respond *r);

/*
 * State HELD: queues the HTTP head (length: the body length when the app
 * gave none and it is known, else -1), then the held body.  Sets
 * *x->keep_alive.  Returns RESPOND_OK (COMMITTED), RESPOND_NOMEM, or 502.
 */
int	respond_commit(struct respond *r, const struct respond_req *x,
	    int64_t length);
/* States HELD and COMMITTED: body bytes from the app, held or framed.
   Held past CONN_PEND_MAX, the head is committed.  Returns as
   respond_commit(), or 500 when holding fails. */
int	respond_body(struct respond *r, const struct respond_req *x,
	    const char *p, size_t len);
/* The app finished (clean: normally): the body framing is ended, or the
   response marked to close.  State ENDED. */
void	respond_end(struct respond *r, const struct respond_req *x,
	    int clean);
/* The app failed after the head was committed: cut short, ENDED. */
void	respond_abort(struct respond *r);

/*
 * The server's own response (status, extra header lines, a short text
 * body for a status other than 200), replacing whatever the app sent.
 * Frames with *x->keep_alive and updates it.  RESPOND_OK (ENDED) or
 * RESPOND_NOMEM.
 */
int	respond_error(struct respond *r, const struct respond_req *x,
	    int status, const char *extra);
/* Queues "100 Continue" unless it went out already for this request. */
void	respond_continue(struct respond *r, const struct respond_req *x);

/* For the access log and the connection's keep-alive decision. */
int	respond_status(const struct respond *r);
uint64_t respond_bytes(const struct respond *r);
int	respond_must_close(const struct respond *r);

#endif
