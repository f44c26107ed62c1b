/*
 * The channel to one pool worker: a non-blocking Unix stream connection
 * to the worker's listening socket, FastCGI records out of an output
 * queue (written in batches), records in through fcgi_record_parse.
 * doc/ARCHITECTURE.md, "The channel to a pool worker".
 *
 * Callbacks never run from inside a wchan_* call: a write error only
 * stops writing, and the reader reports the end from the loop (after
 * handing over every record the worker sent before it went).
 */
#ifndef FERRY_SERVER_WCHAN_H
#define FERRY_SERVER_WCHAN_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#define WCHAN_OUT_HIGH	(64 * 1024)	/* queue STDIN only below this */
#define WCHAN_OUT_LOW	(16 * 1024)	/* drained() once below this */

struct wchan_ops {
	/* One whole record.  The content points into the channel's buffer
	   and is valid during the call only. */
	void	(*record)(void *arg, uint8_t type, uint16_t id,
		    const uint8_t *content, size_t len);
	/* Every record that arrived was handed over; nothing more to read
	   for now. */
	void	(*idle)(void *arg);
	/* The output queue went below WCHAN_OUT_LOW. */
	void	(*drained)(void *arg);
	/* The worker closed the connection, or it failed; the channel is
	   closed already (wchan_connect may be called again). */
	void	(*closed)(void *arg, const char *why);
};

struct wchan {
	struct ev_loop		*loop;
	const struct wchan_ops	*ops;
	void			*arg;
	int			 fd;		/* -1: not connected */
	unsigned int		 gen;		/* bumped by every close */
	ev_io			 rio, wio;
	int			 paused;	/* reading stopped by the owner */
	int			 parsing;	/* handing over records now */
	int			 wfailed;	/* write error: output dropped */
	int			 pass_fd;	/* goes with the byte at pass_at */
	size_t			 pass_at;	/* offset in out; -1 fd: none */
	uint8_t			*in;		/* one record at most */
	size_t			 in_len, in_cap;
	uint8_t			*out;
	size_t			 out_off, out_len, out_cap;
	size_t			 out_next;	/* the first record not started:
						   out_off <= out_next <= out_len */
};

/* Sets up a closed channel reporting to ops with arg. */
void	wchan_init(struct wchan *ch, struct ev_loop *loop,
	    const struct wchan_ops *ops, void *arg);
/* Connects to the worker listening at path.  Returns 0, or -1 with errno
   (ECONNREFUSED, ENOENT: nobody listens; EAGAIN: its backlog is full). */
int	wchan_connect(struct wchan *ch, const char *path);
/* Closes the connection (idempotent), dropping queued bytes both ways. */
void	wchan_close(struct wchan *ch);
/* Closes and frees the buffers. */
void	wchan_free(struct wchan *ch);
int	wchan_is_open(const struct wchan *ch);

/* Queues one record of len <= FCGI_MAX_LENGTH bytes (wchan_send writes
   the queue).  Returns 0, or -1 when out of memory or not connected. */
int	wchan_record(struct wchan *ch, uint8_t type, uint16_t id,
	    const void *content, size_t len);
/* Queues a whole stream of len bytes (PARAMS, STDIN...) split into
   records, without its empty end record.  Returns 0 or -1. */
int	wchan_stream(struct wchan *ch, uint8_t type, uint16_t id,
	    const void *p, size_t len);
/* As wchan_record(), with fd passed (SCM_RIGHTS) along with the
   record's first byte.  The channel owns fd from now on, also on failure:
   it closes its copy once sent, or when the channel closes unsent.  One
   fd at a time: -1 (EBUSY) while another waits to go out. */
int	wchan_record_fd(struct wchan *ch, uint8_t type, uint16_t id,
	    const void *content, size_t len, int fd);
/* Writes what the socket takes of the queue now, in as few calls as it
   allows; the rest goes out as the socket drains. */
void	wchan_send(struct wchan *ch);
/* Bytes queued and not written yet. */
size_t	wchan_pending(const struct wchan *ch);
/* Drops the queued records of type TYPE for request ID that carry
   content and were not started (a record partly written is finished; an
   empty one, a stream's end, and one carrying an fd are kept).  Returns
   the content bytes dropped. */
size_t	wchan_drop(struct wchan *ch, uint8_t type, uint16_t id);

/* Stops (1) or resumes (0) handing over records; a resume continues
   with the records already buffered, from the loop. */
void	wchan_pause(struct wchan *ch, int paused);

/* 1 when every byte queued was written and the worker read all of it
   (SIOCOUTQ on our end reads 0), so that the connection can serve the
   next request; 0 otherwise.  Unread bytes are forgiven when they are a
   whole number of the last records, all unit bytes long and tail bytes
   in all (records the worker ignores once the request ended). */
int	wchan_consumed(const struct wchan *ch, size_t tail, size_t unit);

#endif
