/*
 * libferry's internals: the connection to the server, how it is read, and
 * the request.  Nothing here is installed.
 *
 * Reading.  Exactly one thread at a time reads the socket and parses
 * records: the one that holds the reading token (conn->reading, taken and
 * given back under mu).  In the common case that is the app's own thread,
 * inside the call that needs input: ferry_accept (until PARAMS end),
 * ferry_read (STDIN), ferry_end (the drain), ferry_hijack, ferry_wait_notify,
 * and a look without waiting in ferry_notified and ferry_flush.  So a
 * request costs no thread switch.  Each connection also has a helper
 * thread (the background reader) that reads only while someone needs
 * reading with no app thread in the library: after ferry_notify_fd (its fd
 * must turn readable by itself; it waits FERRY_BG_GRACE_MS first, so that
 * a handler that asks for the fd and answers at once costs no hand-over of
 * the socket), or once a handler has run for FERRY_BG_TICK_MS without the
 * library reading (so that GET_VALUES, ABORT_REQUEST and close-notify are
 * handled while it computes).  Until then it sleeps, waking every
 * FERRY_BG_TICK_MS to look.  The holder reads
 * through fdpass_recv (a FERRY_HIJACKED record carries a descriptor),
 * handles every complete record buffered, and gives the token back; a
 * thread that needs input while another holds it waits on cv, which the
 * holder broadcasts after each round.  The input buffer (rbuf, rlen,
 * pending_fd) belongs to the token holder: records are never split
 * between threads.  A STDIN record that does not fit in the body buffer
 * stays in rbuf, unhandled, until ferry_read makes room.
 *
 * Locks, always taken in this order, never the other way round:
 *   req->omu  the response being built (status, headers, output buffer)
 *   conn->mu  everything the readers share (marked (mu) below)
 *   conn->wmu one whole record (or one stream's records) at a time on fd
 * conn->mu and conn->wmu are never held together: the token holder handles
 * a record under mu and sends its reply after releasing mu.
 */
#ifndef FERRY_INT_H
#define FERRY_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/chunked.h"
#include "protocol/fcgi.h"

#define FERRY_RBUF		(FCGI_RECORD_MAX_LEN + 8192) /* socket input */
#define FERRY_STDIN_MAX		(256 * 1024)	/* body buffered ahead of ferry_read */
#define FERRY_PARAMS_MAX	(1024 * 1024)	/* all PARAMS of one request */
#define FERRY_OUTBUF		(16 * 1024)	/* response body buffered */
#define FERRY_DRAIN_MAX		(256 * 1024)	/* unread body skipped at the end */
#define FERRY_DRAIN_MS		1000		/* ... or for this long at most */
#define FERRY_LINGER_MS		1000		/* wait for EOF when closing with input pending */
#define FERRY_HEADER_NAME_MAX	256		/* ferry_header()'s longest name */
#define FERRY_BG_TICK_MS	50		/* the background reader looks */
#define FERRY_BG_GRACE_MS	1		/* ... and waits after ferry_notify_fd */
#define FERRY_PEEK_NS		100000		/* a look without waiting is skipped
						   this soon after a read */

#define FERRY_HERR_MAX		128		/* ferry_hijack_error() text */

enum ferry_hijack_state {
	FERRY_HJ_NONE,		/* not asked, or refused (may ask again) */
	FERRY_HJ_PENDING,	/* HIJACK sent, the answer awaited */
	FERRY_HJ_DONE,		/* the socket came (HIJACKED ended) */
	FERRY_HJ_REFUSED,	/* HIJACK_REFUSED came: herr says why */
};

enum ferry_req_state {
	FERRY_REQ_PARAMS,	/* BEGIN_REQUEST seen, PARAMS arriving */
	FERRY_REQ_READY,	/* PARAMS complete, waiting for ferry_accept */
	FERRY_REQ_RUNNING,	/* handed to the app */
	FERRY_REQ_ENDED,	/* END_REQUEST decided: notifications ignored */
};

struct ferry_conn {
	int			 fd;
	pthread_t		 bg;		/* the background reader */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;	/* input handled, room in the body
					   buffer, token given back, dead */
	pthread_cond_t		 bgcv;	/* the background reader is wanted */
	pthread_mutex_t		 wmu;
	struct ferry_req	*cur;		/* (mu) from BEGIN_REQUEST to ferry_finish */
	struct ferry_req	*next;		/* (mu) begun after cur's END_REQUEST */
	struct ferry_req	*spare;		/* (mu) a finished request, for reuse */
	int			 reading;	/* (mu) a thread holds the reading token */
	int			 bg_want;	/* (mu) the background reader reads for
						   cur until ferry_finish */
	int			 bg_grace;	/* (mu) ... after FERRY_BG_GRACE_MS */
	unsigned		 seq;		/* (mu) requests handed to the app */
	uint64_t		 looked_ns;	/* (mu) when a read last returned */
	int			 closing;	/* (mu) being torn down: records ignored */
	int			 dead;		/* (mu) no more input: EOF, error */
	int			 close_after;	/* (mu) a rejected BEGIN without KEEP_CONN */
	int			 pending_fd;	/* token: an fd that came with the
						   bytes read, for a HIJACKED record */
	size_t			 roff, rlen;	/* token: rbuf[roff..rlen) unparsed */
	uint8_t			 rbuf[FERRY_RBUF];
};

struct ferry_req {
	struct ferry		*f;
	struct ferry_conn	*conn;
	uint16_t		 id;
	int			 keep_conn;	/* FCGI_KEEP_CONN */
	enum ferry_req_state	 state;		/* (mu) */

	/* Parameters: filled by the reader until READY, then read-only.
	   The buffers are kept, with their sizes, when the request is
	   reused (conn->spare). */
	uint8_t			*praw;		/* the PARAMS stream */
	size_t			 prawlen, prawcap;
	char			*pstore;	/* "name\0value\0" ... */
	size_t			 pstorecap;
	const char	       **pv;		/* name, value, name, value ... */
	size_t			 pvcap;		/* entries */
	size_t			 np;		/* pairs */
	char			*path;		/* SCRIPT_NAME PATH_INFO */
	size_t			 pathcap;

	/* The body (mu). */
	uint8_t			*in;		/* ring of FERRY_STDIN_MAX, lazily */
	size_t			 in_head, in_len;
	int			 stdin_ended;	/* the empty STDIN record arrived */
	int			 raw_chunked;	/* STDIN is the body still chunked
						   (FERRY_PARAM_CHUNKED) */
	struct chunked_dec	 chunk;		/* its decoder, in ferry_read */
	int			 discard;	/* drop the rest of the body */
	size_t			 discarded;

	/* Notifications (mu). */
	int			 notified;	/* FERRY_GONE | FERRY_PIPELINED */
	int			 aborted;	/* FCGI_ABORT_REQUEST */
	int			 lost;		/* the connection failed */
	int			 efd;		/* eventfd, -1 until asked for */

	/* Hijack (mu; changes only while omu is held by ferry_hijack). */
	enum ferry_hijack_state	 hijack;
	int			 hijack_fd;	/* -1 until HIJACKED brought it */
	uint8_t			*hj;		/* STDIN that came after HIJACK,
						   then the HIJACKED bytes; after
						   a refusal, body bytes read
						   after the ring's */
	size_t			 hjoff, hjlen, hjcap;
	char			 herr[FERRY_HERR_MAX];

	/* The response (omu). */
	pthread_mutex_t		 omu;
	int			 status;
	char			*hdrs;		/* "Name: value\r\n" ... */
	size_t			 hlen, hcap;
	int			 has_ctype;
	int			 head_sent;
	int			 ended;		/* ferry_end ran */
	int			 keep;		/* the connection may serve on */
	int			 app_status;
	size_t			 outlen;
	uint8_t			 out[FERRY_OUTBUF];
};

struct ferry {
	int			 lfd;
	int			 own_lfd;	/* opened by --listen: closed by ferry_close */
	struct ferry_conn	*conn;
	struct ferry_req	*req;		/* accepted, not yet finished */
};

#endif
