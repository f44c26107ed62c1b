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
 * The window.  To a server that offers "window" in a request's
 * FERRY_EXTENSIONS (ferryd), STDIN comes at most FERRY_STDIN_MAX content
 * bytes ahead of what the app consumed, so it always fits in the body
 * buffer and the records behind it (CLOSE_NOTIFY above all) are handled
 * at once, whoever reads.  What the app consumes (ferry_read,
 * ferry_discard, a STDIN record dropped on arrival, the drain in
 * ferry_end) is counted in unacked and acknowledged with FERRY_WINDOW
 * records, FERRY_WINDOW_STEP bytes or more at a time, by the thread that
 * consumed (ferry_body_ack).  None goes out once the request is ENDED:
 * ferry_end waits for one being sent (wsending) before END_REQUEST.
 *
 * Locks, always taken in this order, never the other way round:
 *   req->omu  the response being built (status, headers, output buffer)
 *   conn->mu  everything the readers share (marked (mu) below)
 *   conn->wmu one whole record (or one stream's records) at a time on fd
 * and, a leaf taken under any of them, listen.c's retirement lock.
 * conn->mu and conn->wmu are never held together: the token holder handles
 * a record under mu and sends its reply after releasing mu.
 *
 * Files, one job each:
 *   listen.c    the listening socket, ferry_serve/open/accept/finish/close,
 *               retirement (ferry_on_retire)
 *   conn.c      the connection: the reading token, the background reader,
 *               a round of input, the writes of records and streams
 *   rec.c       each record from the server: one handler per type
 *   req.c       the request object, its PARAMS and their accessors
 *   body.c      ferry_read and ferry_discard
 *   response.c  status, headers, ferry_write .. ferry_end
 *   notify.c    close-notify: GONE, PIPELINED, the eventfd
 *   hijack.c    ferry_hijack and its buffer
 */
#ifndef FERRY_INT_H
#define FERRY_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/chunked.h"
#include "protocol/fcgi.h"

#define FERRY_RBUF		(FCGI_RECORD_MAX_LEN + 8192) /* socket input */
#define FERRY_STDIN_MAX		(256 * 1024)	/* body buffered ahead of ferry_read,
						   the window granted ("window") */
#define FERRY_STDIN_MAX_STR	"262144"	/* ... as FERRY_STDIN_WINDOW */
#define FERRY_WINDOW_STEP	(FERRY_STDIN_MAX / 4)	/* acknowledged at once */
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
#define FERRY_REPLY_MAX		512		/* a management reply the reader
						   builds */

/* ferry_conn_step() flags. */
#define FERRY_STEP_NOWAIT	0x1	/* read only what has arrived */
#define FERRY_STEP_PARSE	0x2	/* handle what is buffered, no read */

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
	int			 window;	/* the server keeps STDIN within
						   FERRY_STDIN_MAX ("window") */
	size_t			 unacked;	/* consumed, not acknowledged */
	int			 wsending;	/* a FERRY_WINDOW is being sent */

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

struct iovec;
struct timespec;

/* conn.c */

/* A connection on fd (taken: closed on failure) with its background reader
   started; NULL with errno. */
struct ferry_conn *ferry_conn_new(int fd);
/* Stops the background reader and frees c, its requests and its fd; with
   linger, first reads on (discarding) until the server's EOF, for up to
   FERRY_LINGER_MS. */
void		 ferry_conn_free(struct ferry_conn *c, int linger);
/* Waits for input that may change what the caller waits for (reading a
   round itself when the token is free); mu held.  0, or ETIMEDOUT once
   deadline (NULL: none) passed.  The caller re-checks, dead included. */
int		 ferry_conn_wait(struct ferry_conn *c,
		    const struct timespec *deadline);
/* Handles what came and nobody read yet, without waiting, when the token
   is free and no read returned within FERRY_PEEK_NS; mu held. */
void		 ferry_conn_peek(struct ferry_conn *c);
/* One round of input with the token (which must be free), FERRY_STEP_*
   flags; mu held, released in between.  0, ETIMEDOUT, or EAGAIN (the next
   record waits for room in a body buffer: wait on cv). */
int		 ferry_conn_step(struct ferry_conn *c,
		    const struct timespec *deadline, int flags);
/* Sends seg[0..nseg) (nseg <= 5) as records of stream type, then tail
   (whole records) in the same sendmsg; takes wmu.  0 or -1. */
int		 ferry_conn_send_stream(struct ferry_conn *c, uint8_t type,
		    uint16_t id, const struct iovec *seg, int nseg,
		    const void *tail, size_t tlen);
/* Sends one record (len <= FCGI_MAX_LENGTH), empty ones too; takes wmu.
   0 or -1. */
int		 ferry_conn_send_record(struct ferry_conn *c, uint8_t type,
		    uint16_t id, const void *content, size_t len);
/* *ts = CLOCK_MONOTONIC now + ms. */
void		 ferry_deadline(struct timespec *ts, int ms);

/* listen.c */

/* The server retired this process (FERRY_RETIRE: why, grace_ms): noted,
   once; ferry_accept then returns no more requests.  Any lock held. */
void		 ferry_retire_note(uint8_t why, uint32_t grace_ms);
/* 1 once the process was retired.  Any lock held. */
int		 ferry_retire_noted(void);

/* rec.c */

/* Handles one record, taking mu; a reply for the caller to send after
   releasing mu goes to reply (size in *rlen).  0, 1 when the record must
   wait (STDIN with no room: not handled, kept), -1 to stop reading. */
int		 ferry_rec_handle(struct ferry_conn *c,
		    const struct fcgi_record *rec, uint8_t *reply,
		    size_t *rlen);
/* Writes a whole record into out[0..cap): its size, 0 when it does not
   fit. */
size_t		 ferry_rec_reply(uint8_t *out, size_t cap, uint8_t type,
		    uint16_t id, const uint8_t *content, size_t len);

/* req.c */

/* A new request for BEGIN_REQUEST id: c's spare one when there is one;
   NULL when out of memory.  mu held. */
struct ferry_req *ferry_req_new(struct ferry_conn *c, uint16_t id,
		    int keep_conn);
/* Done with req: it becomes c's spare with its buffers, or is freed when
   c has one.  mu held. */
void		 ferry_req_recycle(struct ferry_conn *c, struct ferry_req *req);
/* Frees req, its buffers and its fds. */
void		 ferry_req_free(struct ferry_req *req);
/* Decodes the collected PARAMS into name/value strings (and the path, and
   raw chunking).  0, or -1 when malformed or out of memory. */
int		 ferry_req_params(struct ferry_req *req);
/* RFC 9110 tchar: 1 or 0. */
int		 ferry_is_tchar(int ch);
/* ASCII case-insensitive comparison: 0 when equal. */
int		 ferry_casecmp(const char *a, const char *b);

/* body.c */

/* Drops the body buffered and whatever of it comes later (mu held):
   ferry_discard and ferry_end.  The bytes dropped count as consumed. */
void		 ferry_body_discard(struct ferry_req *req);
/* Acknowledges what req's app consumed with FERRY_WINDOW records, when
   the server keeps a window and it is FERRY_WINDOW_STEP or more (all:
   anything), until STDIN ended or the request is ENDED.  mu held;
   returns 1 when it was released meanwhile (to send), else 0. */
int		 ferry_body_ack(struct ferry_req *req, int all);

/* notify.c */

/* Records reason bit for req, kicks its eventfd and wakes waiters; mu
   held.  Ignored once END_REQUEST is decided or after a hijack. */
void		 ferry_notify_set(struct ferry_req *req, int bit);

/* hijack.c */

/* Appends p[0..n) to req's hijack buffer; mu held.  0, or -1 (ENOMEM). */
int		 ferry_hj_add(struct ferry_req *req, const uint8_t *p,
		    size_t n);

#endif
