/*
 * The master's end of a FastCGI connection to one pool worker.
 *
 * Output is one contiguous queue of whole records, written with as few
 * send(2) calls as the socket allows; the owner keeps it small by
 * queueing STDIN only while wchan_pending() is below WCHAN_OUT_HIGH.
 * Input is a buffer that holds at most one record beyond those already
 * handed over, so a paused channel stops reading within one record.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdpass/fdpass.h"
#include "protocol/fcgi.h"
#include "server/util.h"
#include "server/wchan.h"

#define WCHAN_READS	4	/* reads per wake-up, for fairness */

static void	wchan_read_cb(struct ev_loop *, ev_io *, int);
static void	wchan_write_cb(struct ev_loop *, ev_io *, int);
static int	wchan_parse(struct wchan *);
static void	wchan_fail(struct wchan *, const char *);
static void	wchan_flush(struct wchan *);
static int	wchan_reserve(struct wchan *, size_t);

void
wchan_init(struct wchan *ch, struct ev_loop *loop, const struct wchan_ops *ops,
    void *arg)
{
	memset(ch, 0, sizeof(*ch));
	ch->loop = loop;
	ch->ops = ops;
	ch->arg = arg;
	ch->fd = -1;
	ch->pass_fd = -1;
	ev_io_init(&ch->rio, wchan_read_cb, -1, EV_READ);
	ev_io_init(&ch->wio, wchan_write_cb, -1, EV_WRITE);
}

int
wchan_connect(struct wchan *ch, const char *path)
{
	struct sockaddr_un	 sun;
	size_t			 len = strlen(path);
	int			 fd, saved;

	if (ch->fd != -1)
		wchan_close(ch);
	if (len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (ch->in == NULL) {
		if ((ch->in = malloc(FCGI_RECORD_MAX_LEN)) == NULL)
			return -1;
		ch->in_cap = FCGI_RECORD_MAX_LEN;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* A Unix stream connect completes at once, or fails: EAGAIN when
	   the backlog is full, ECONNREFUSED when nobody listens. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	ch->fd = fd;
	ch->paused = 0;
	ch->wfailed = 0;
	ch->in_len = 0;
	ch->out_off = ch->out_len = ch->out_next = 0;
	ev_io_set(&ch->rio, fd, EV_READ);
	ev_io_set(&ch->wio, fd, EV_WRITE);
	ev_io_start(ch->loop, &ch->rio);
	return 0;
}

void
wchan_close(struct wchan *ch)
{
	if (ch->fd == -1)
		return;
	ev_io_stop(ch->loop, &ch->rio);
	ev_io_stop(ch->loop, &ch->wio);
	close(ch->fd);
	ch->fd = -1;
	if (ch->pass_fd != -1) {
		close(ch->pass_fd);
		ch->pass_fd = -1;
	}
	ch->gen++;
	ch->paused = 0;
	ch->parsing = 0;
	ch->wfailed = 0;
	ch->in_len = 0;
	ch->out_off = ch->out_len = ch->out_next = 0;
}

void
wchan_free(struct wchan *ch)
{
	wchan_close(ch);
	free(ch->in);
	free(ch->out);
	ch->in = NULL;
	ch->out = NULL;
	ch->in_cap = ch->out_cap = 0;
}

int
wchan_is_open(const struct wchan *ch)
{
	return ch->fd != -1;
}

size_t
wchan_pending(const struct wchan *ch)
{
	return ch->out_len - ch->out_off;
}

static int
wchan_reserve(struct wchan *ch, size_t n)
{
	size_t	 cap;
	uint8_t	*p;

	if (ch->out_off == ch->out_len)
		ch->out_off = ch->out_len = ch->out_next = 0;
	if (ch->out_len + n <= ch->out_cap)
		return 0;
	if (ch->out_off > 0) {
		memmove(ch->out, ch->out + ch->out_off,
		    ch->out_len - ch->out_off);
		ch->out_len -= ch->out_off;
		ch->out_next -= ch->out_off;
		if (ch->pass_fd != -1)
			ch->pass_at -= ch->out_off;
		ch->out_off = 0;
		if (ch->out_len + n <= ch->out_cap)
			return 0;
	}
	cap = ch->out_cap ? ch->out_cap : 16 * 1024;
	while (cap < ch->out_len + n)
		cap *= 2;
	if ((p = realloc(ch->out, cap)) == NULL)
		return -1;
	ch->out = p;
	ch->out_cap = cap;
	return 0;
}

/* The size of the whole record (header, content, padding) at p. */
static size_t
wchan_rec_size(const uint8_t *p)
{
	struct fcgi_header	h;

	(void)fcgi_header_decode(p, &h);
	return FCGI_HEADER_LEN + h.content_length + h.padding_length;
}

/*
 * The queue from out_next on is whole records, none of them started, so
 * a record can be cut out of it; the one that out_off is inside is
 * finished first, whatever it is (the worker would lose its framing).
 */
size_t
wchan_drop(struct wchan *ch, uint8_t type, uint16_t id)
{
	struct fcgi_header	 h;
	size_t			 off = ch->out_next, size, dropped = 0;

	while (off < ch->out_len) {
		(void)fcgi_header_decode(ch->out + off, &h);
		size = FCGI_HEADER_LEN + h.content_length + h.padding_length;
		if (h.type != type || h.request_id != id ||
		    h.content_length == 0 || (ch->pass_fd != -1
		    && ch->pass_at >= off && ch->pass_at < off + size)) {
			off += size;
			continue;
		}
		memmove(ch->out + off, ch->out + off + size,
		    ch->out_len - off - size);
		ch->out_len -= size;
		if (ch->pass_fd != -1 && ch->pass_at > off)
			ch->pass_at -= size;
		dropped += h.content_length;
	}
	if (ch->out_off == ch->out_len) {
		ch->out_off = ch->out_len = ch->out_next = 0;
		ev_io_stop(ch->loop, &ch->wio);
	}
	return dropped;
}

/* Appends one record without writing it. */
static int
wchan_append(struct wchan *ch, uint8_t type, uint16_t id, const void *content,
    size_t len)
{
	uint8_t	 pad;

	if (wchan_reserve(ch, FCGI_HEADER_LEN + len + 8) == -1)
		return -1;
	pad = fcgi_record_header(ch->out + ch->out_len, type, id, len);
	ch->out_len += FCGI_HEADER_LEN;
	if (len > 0)
		memcpy(ch->out + ch->out_len, content, len);
	ch->out_len += len;
	memcpy(ch->out + ch->out_len, FCGI_PAD, pad);
	ch->out_len += pad;
	return 0;
}

int
wchan_record(struct wchan *ch, uint8_t type, uint16_t id, const void *content,
    size_t len)
{
	if (ch->fd == -1)
		return -1;
	if (ch->wfailed)
		return 0;	/* the reader reports the end */
	return wchan_append(ch, type, id, content, len);
}

int
wchan_record_fd(struct wchan *ch, uint8_t type, uint16_t id,
    const void *content, size_t len, int fd)
{
	if (ch->fd == -1 || ch->pass_fd != -1) {
		close(fd);
		errno = ch->fd == -1 ? ENOTCONN : EBUSY;
		return -1;
	}
	if (ch->wfailed) {
		close(fd);
		return 0;
	}
	if (wchan_reserve(ch, FCGI_HEADER_LEN + len + 8) == -1) {
		close(fd);
		return -1;
	}
	ch->pass_at = ch->out_len;
	ch->pass_fd = fd;
	return wchan_append(ch, type, id, content, len);
}

int
wchan_stream(struct wchan *ch, uint8_t type, uint16_t id, const void *p,
    size_t len)
{
	const uint8_t	*b = p;
	size_t		 n;

	if (ch->fd == -1)
		return -1;
	if (ch->wfailed)
		return 0;
	while (len > 0) {
		n = fcgi_stream_chunk(len);
		if (wchan_append(ch, type, id, b, n) == -1)
			return -1;
		b += n;
		len -= n;
	}
	return 0;
}

void
wchan_send(struct wchan *ch)
{
	if (ch->fd != -1 && !ch->wfailed)
		wchan_flush(ch);
}

/* Writes what the socket takes; the write watcher runs only while bytes
   are queued.  An error drops the queue: the worker is gone or broken,
   and the reader hands over what it sent before saying so. */
static void
wchan_flush(struct wchan *ch)
{
	ssize_t	n;
	size_t	len;

	while (ch->out_off < ch->out_len) {
		len = ch->out_len - ch->out_off;
		if (ch->pass_fd != -1 && ch->out_off == ch->pass_at) {
			/* The descriptor rides on the record's first byte. */
			n = fdpass_send(ch->fd, ch->out + ch->out_off, len,
			    ch->pass_fd);
			if (n > 0) {
				close(ch->pass_fd);
				ch->pass_fd = -1;
			}
		} else {
			if (ch->pass_fd != -1 && ch->pass_at > ch->out_off)
				len = ch->pass_at - ch->out_off;
			n = send(ch->fd, ch->out + ch->out_off, len,
			    MSG_NOSIGNAL);
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			ch->wfailed = 1;
			ch->out_off = ch->out_len = ch->out_next = 0;
			if (ch->pass_fd != -1) {
				close(ch->pass_fd);
				ch->pass_fd = -1;
			}
			ev_io_stop(ch->loop, &ch->wio);
			return;
		}
		ch->out_off += (size_t)n;
		while (ch->out_next < ch->out_off)
			ch->out_next += wchan_rec_size(ch->out + ch->out_next);
	}
	if (ch->out_off < ch->out_len) {
		if (!ev_is_active(&ch->wio))
			ev_io_start(ch->loop, &ch->wio);
		return;
	}
	ch->out_off = ch->out_len = ch->out_next = 0;
	ev_io_stop(ch->loop, &ch->wio);
}

static void
wchan_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct wchan	*ch = container_of(w, struct wchan, wio);

	wchan_flush(ch);
	if (ch->fd != -1 && !ch->wfailed && wchan_pending(ch) < WCHAN_OUT_LOW)
		ch->ops->drained(ch->arg);
}

void
wchan_pause(struct wchan *ch, int paused)
{
	ch->paused = paused;
	if (ch->fd == -1)
		return;
	if (paused) {
		ev_io_stop(ch->loop, &ch->rio);
		return;
	}
	if (!ev_is_active(&ch->rio))
		ev_io_start(ch->loop, &ch->rio);
	/* Inside wchan_parse the records left are handed over anyway. */
	if (ch->in_len > 0 && !ch->parsing)
		ev_feed_event(ch->loop, &ch->rio, EV_READ);
}

int
wchan_consumed(const struct wchan *ch, size_t tail, size_t unit)
{
	int	n;

	if (ch->fd == -1 || ch->wfailed || ch->out_off != ch->out_len)
		return 0;
#ifdef SIOCOUTQ
	if (ioctl(ch->fd, SIOCOUTQ, &n) == -1 || n < 0)
		return 0;
	return n == 0 || (unit > 0 && (size_t)n <= tail &&
	    (size_t)n % unit == 0);
#else
	(void)n;
	(void)tail;
	(void)unit;
	return 0;	/* cannot tell: reconnect */
#endif
}

static void
wchan_fail(struct wchan *ch, const char *why)
{
	wchan_close(ch);
	ch->ops->closed(ch->arg, why);
}

/* Hands over the whole records buffered.  Returns 0, or -1 when the
   owner paused, closed or reconnected the channel meanwhile. */
static int
wchan_parse(struct wchan *ch)
{
	struct fcgi_record	 rec;
	unsigned int		 gen = ch->gen;
	size_t			 off = 0;
	ssize_t			 n;

	while (!ch->paused && off < ch->in_len) {
		n = fcgi_record_parse(ch->in + off, ch->in_len - off, &rec);
		if (n == 0)
			break;
		if (n < 0) {
			wchan_fail(ch, "bad record version");
			return -1;
		}
		off += (size_t)n;
		ch->parsing = 1;
		ch->ops->record(ch->arg, rec.h.type, rec.h.request_id,
		    rec.content, rec.h.content_length);
		if (ch->gen != gen)
			return -1;
		ch->parsing = 0;
	}
	if (off > 0) {
		memmove(ch->in, ch->in + off, ch->in_len - off);
		ch->in_len -= off;
	}
	return ch->paused ? -1 : 0;
}

static void
wchan_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct wchan	*ch = container_of(w, struct wchan, rio);
	size_t		 room;
	ssize_t		 n;
	int		 i;

	if (ch->fd == -1 || wchan_parse(ch) == -1)
		return;
	for (i = 0; i < WCHAN_READS; i++) {
		room = ch->in_cap - ch->in_len;
		n = read(ch->fd, ch->in + ch->in_len, room);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ch->ops->idle(ch->arg);
				return;
			}
			wchan_fail(ch, errno == ECONNRESET ?
			    "connection reset by the worker" : "read error");
			return;
		}
		if (n == 0) {
			wchan_fail(ch, "connection closed by the worker");
			return;
		}
		ch->in_len += (size_t)n;
		if (wchan_parse(ch) == -1)
			return;
		/* A short read emptied the socket: another would only say
		   EAGAIN (the watcher is level-triggered). */
		if ((size_t)n < room) {
			ch->ops->idle(ch->arg);
			return;
		}
	}
}
