/*
 * One request on the channel to a pool worker: BEGIN_REQUEST and PARAMS,
 * the body pumped as STDIN (replayed first after a failed try), the
 * records that come back, END_REQUEST, the close-notify ladder and the
 * hijack of the client's socket.  doc/ARCHITECTURE.md, "The channel to a
 * pool worker", "Close-notify rules" and "Hijack rules".
 *
 * The worker's owner (server/worker.c) keeps the channel and the process;
 * it feeds the channel's records to fcgireq_record() and hears back
 * through struct fcgireq_ops.  This module never kills a process, frees
 * a worker or touches the app's queue: it says when the worker is free,
 * must go, or dropped the request, and the owner acts.
 */
#ifndef FERRY_SERVER_FCGIREQ_H
#define FERRY_SERVER_FCGIREQ_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#define FCGIREQ_EXT_CLOSE_NOTIFY 0x01	/* FERRY_EXTENSIONS words */
#define FCGIREQ_EXT_HIJACK	0x02
#define FCGIREQ_EXT_WINDOW	0x04	/* "window" with a FERRY_STDIN_WINDOW */
#define FCGIREQ_RETRIES		2	/* tries again of a request that a
					   worker dropped unread */
#define FCGIREQ_REPLAY_MAX	(64 * 1024)	/* larger bodies: no retry */

struct conn;
struct conf_app;
struct wchan;

#define FCGIREQ_REPLAY_NO	0	/* fcgireq_replayable() */
#define FCGIREQ_REPLAY_YES	1
#define FCGIREQ_REPLAY_IF_EXITED 2

/* What became of a worker whose channel closed under a request. */
enum fcgireq_worker {
	FCGIREQ_WORKER_LIVES,	/* it runs (or its end is not known) */
	FCGIREQ_WORKER_EXITED,	/* it exited by itself with status 0 */
	FCGIREQ_WORKER_DIED,	/* a signal or a non-zero exit (or we
				   stopped it): the request may be why */
};

enum fcgireq_state {
	FCGIREQ_IDLE,		/* no request runs on the channel */
	FCGIREQ_BODY,		/* running: the body goes out as STDIN */
	FCGIREQ_WAIT,		/* the end of STDIN was queued */
	FCGIREQ_HIJACKING,	/* HIJACK accepted, the client's socket not
				   handed over yet: the body stops */
	FCGIREQ_HIJACKED,	/* the socket went to the worker, the rest of
				   the body with it: STDIN is over */
};

/*
 * What the request tells its owner.  They run from the channel's
 * callbacks the owner passes on (fcgireq_record, fcgireq_closed) and from
 * the connection's, never from fcgireq_start (which returns its failure),
 * fcgireq_fail or fcgireq_drop.
 */
struct fcgireq_ops {
	/* FCGI_STDERR bytes of the request; (NULL, 0) once END_REQUEST
	   came, for a last line without its newline. */
	void	(*errout)(void *arg, const char *p, size_t len);
	/* END_REQUEST came and the client heard of it: the worker served
	   the request and is free (the channel is kept open only when the
	   worker can take the next request on it).  Its bookkeeping runs
	   after the client was answered; that is safe because
	   conn_app_end() never starts the connection's next request before
	   returning (it resumes from the loop). */
	void	(*served)(void *arg);
	/* The client left and FCGI_ABORT_REQUEST went out (on_client_gone
	   = abort): its END_REQUEST is awaited, within kill_grace. */
	void	(*aborting)(void *arg);
	/* The worker must go (on_client_gone = terminate); the request is
	   over. */
	void	(*kill)(void *arg, const char *why);
	/* The channel failed under the running request, whose client was
	   answered already: the worker must go, unless it exited. */
	void	(*lost)(void *arg, const char *why);
	/* The worker dropped the request before answering: c (detached)
	   goes back to the queue, with retries + 1 and the body bytes that
	   replay and copy hold (see fcgireq_body_drop). */
	void	(*retry)(void *arg, struct conn *c);
};

struct fcgireq {
	struct wchan		*ch;
	const struct conf_app	*app;
	pid_t			 pid;		/* for the log */
	const struct fcgireq_ops *ops;
	void			*arg;
	int			 extensions;	/* FCGIREQ_EXT_* the worker
						   announced (set by the
						   owner) */
	uint32_t		 window;	/* its FERRY_STDIN_WINDOW, with
						   FCGIREQ_EXT_WINDOW */

	enum fcgireq_state	 state;
	enum fcgireq_state	 before_hijack;	/* BODY or WAIT */
	struct conn		*c;		/* client; NULL once detached */
	uint16_t		 reqid;		/* of the request running */
	int			 reused;	/* it went on a kept
						   connection */
	int			 stdin_body;	/* body bytes went out */
	int			 spill_eof;	/* spilled body read to its end */
	int			 stdout_done;	/* its empty STDOUT arrived */
	int			 answered;	/* a record of it came back:
						   no retry from now on */
	size_t			 notify_tail;	/* CLOSE_NOTIFY bytes queued
						   after the end of STDIN */
	int			 gone_told;	/* GONE sent at a half-close */
	size_t			 unacked;	/* STDIN content bytes queued
						   and not acknowledged by a
						   FERRY_WINDOW: <= window */
	int			 window_full;	/* said so in the log */
	ev_tstamp		 gone_at;	/* client left; 0: not (the
						   owner resets it once it
						   counted the time) */
	unsigned int		 handed;	/* client sockets handed to
						   the worker (HIJACKED sent),
						   over its whole life */

	unsigned int		 retries;	/* tries failed before this */
	char			*copy;		/* body bytes sent, for a retry */
	size_t			 copy_len;
	int			 copy_over;	/* too large, or spilled: none */
	char			*replay;	/* copy from a failed try: sent
						   before the rest of the body */
	size_t			 replay_len, replay_off;
};

const char *fcgireq_state_name(enum fcgireq_state s);

/* Sets up an idle request slot on channel ch of worker pid running app,
   reporting to ops with arg. */
void	fcgireq_init(struct fcgireq *req, struct wchan *ch,
	    const struct conf_app *app, pid_t pid,
	    const struct fcgireq_ops *ops, void *arg);
/* Starts c's request on the connected channel (reused: it served a
   request before): attaches to c, queues BEGIN_REQUEST and PARAMS, pumps
   the body.  retries and replay[0..replay_len) (malloc'd, taken; may be
   NULL) come from failed tries.  Returns 0, or -1 when the request could
   not be queued: c was answered 500 and the channel closed. */
int	fcgireq_start(struct fcgireq *req, struct conn *c, int reused,
	    unsigned int retries, char *replay, size_t replay_len);
/* Reads the "window" extension and its FERRY_STDIN_WINDOW from the
   worker's GET_VALUES_RESULT body[0..len) into req's extensions and
   window; anything else there is the owner's. */
void	fcgireq_values(struct fcgireq *req, const uint8_t *body, size_t len);
/* 1 while a request runs (from fcgireq_start to its end). */
int	fcgireq_running(const struct fcgireq *req);

/* The channel's callbacks, for a record whose id is not
   FCGI_NULL_REQUEST_ID (FERRY_HIJACK always), a read that found nothing
   more, and a drained output queue. */
void	fcgireq_record(struct fcgireq *req, uint8_t type, uint16_t id,
	    const uint8_t *content, size_t len);
void	fcgireq_idle(struct fcgireq *req);
void	fcgireq_drained(struct fcgireq *req);
/* Whether the running request may go again if its worker dropped it now
   (RFC 9112 9.3.1; the top of server/fcgireq.c, "Retries"): NO when its
   client left, something came back, its body copy is incomplete or no
   tries are left; YES, unless the worker died of it, when it went on a
   kept connection, or is idempotent (GET, HEAD, OPTIONS without a body)
   and the worker had served before; IF_EXITED for another request to a
   worker that had served before: only when that worker exited with 0. */
int	fcgireq_replayable(const struct fcgireq *req, int served_before);
/* The channel closed under the running request (why), its worker's fate
   as its owner knows it.  A request that fcgireq_replayable() lets go
   again for that fate goes to ops->retry; otherwise its client gets 502
   and ops->lost is told. */
void	fcgireq_closed(struct fcgireq *req, const char *why,
	    int served_before, enum fcgireq_worker fate);
/* The client, if still attached, is let go and answered status (a
   connection that sent part of a response closes). */
void	fcgireq_fail(struct fcgireq *req, int status);
/* Drops the running request, if any, without a word to the worker (its
   channel is being closed): as fcgireq_fail, then the request is over. */
void	fcgireq_drop(struct fcgireq *req, int status);
/* Frees the body copies kept for a retry. */
void	fcgireq_body_drop(struct fcgireq *req);

#endif
