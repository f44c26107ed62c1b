/*
 * libferry's internals: the connection to the server, its reader thread and
 * the request.  Nothing here is installed.
 *
 * Threads.  Each connection has one reader thread that owns every read of
 * the socket (through fdpass_recv, so that a record carrying a descriptor,
 * FERRY_HIJACKED, can be received).  It collects PARAMS, copies STDIN into
 * the request's bounded body buffer, records CLOSE_NOTIFY and ABORT_REQUEST,
 * and answers management records (GET_VALUES, unknown types, rejected
 * BEGIN_REQUESTs) itself, so all of that happens while the handler
 * computes.  The app's threads write the response.
 *
 * Locks, always taken in this order, never the other way round:
 *   req->omu  the response being built (status, headers, output buffer)
 *   conn->mu  everything the reader shares (marked (mu) below)
 *   conn->wmu one whole record (or one stream's records) at a time on fd
 * conn->mu and conn->wmu are never held together: the reader builds a reply
 * under mu and sends it after releasing mu.
 */
#ifndef FERRY_INT_H
#define FERRY_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/chunked.h"
#include "protocol/fcgi.h"

#define FERRY_RBUF		(FCGI_RECORD_MAX_LEN + 8192) /* reader input */
#define FERRY_STDIN_MAX		(256 * 1024)	/* body buffered ahead of ferry_read */
#define FERRY_PARAMS_MAX	(1024 * 1024)	/* all PARAMS of one request */
#define FERRY_OUTBUF		(16 * 1024)	/* response body buffered */
#define FERRY_DRAIN_MAX		(256 * 1024)	/* unread body skipped at the end */
#define FERRY_DRAIN_MS		1000		/* ... or for this long at most */
#define FERRY_LINGER_MS		1000		/* wait for EOF when closing with input pending */
#define FERRY_HEADER_NAME_MAX	256		/* ferry_header()'s longest name */

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
	pthread_t		 reader;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;	/* app side: request ready, body, notify, drain, dead */
	pthread_cond_t		 space;	/* reader: room in the body buffer */
	pthread_mutex_t		 wmu;
	struct ferry_req	*cur;		/* (mu) from BEGIN_REQUEST to ferry_finish */
	struct ferry_req	*next;		/* (mu) begun after cur's END_REQUEST */
	int			 closing;	/* (mu) being torn down: records ignored */
	int			 dead;		/* (mu) the reader ended */
	int			 close_after;	/* (mu) a rejected BEGIN without KEEP_CONN */
	int			 pending_fd;	/* reader: an fd that came with the
						   bytes read, for a HIJACKED record */
	size_t			 rlen;		/* reader only */
	uint8_t			 rbuf[FERRY_RBUF];
};

struct ferry_req {
	struct ferry		*f;
	struct ferry_conn	*conn;
	uint16_t		 id;
	int			 keep_conn;	/* FCGI_KEEP_CONN */
	enum ferry_req_state	 state;		/* (mu) */

	/* Parameters: filled by the reader until READY, then read-only. */
	uint8_t			*praw;		/* the PARAMS stream */
	size_t			 prawlen, prawcap;
	char			*pstore;	/* "name\0value\0" ... */
	const char	       **pv;		/* name, value, name, value ... */
	size_t			 np;		/* pairs */
	char			*path;		/* SCRIPT_NAME PATH_INFO */

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
