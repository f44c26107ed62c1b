/*
 * rawwindow: a FastCGI worker written on the bare records (protocol/fcgi.h)
 * that checks the master's side of STDIN flow control.  It announces
 * "close-notify,window" with a window of WINDOW bytes (argv[1], default
 * 10000: not a multiple of 8, far below a record), serves one connection
 * at a time, and counts for each request the STDIN content bytes received
 * and not yet acknowledged.  Whenever they reach the window it stops for
 * RAWWINDOW_PAUSE_MS, takes in whatever came meanwhile (a master that
 * overshoots shows here), and only then acknowledges all of it with one
 * FERRY_WINDOW record.  At the end of STDIN it answers
 *
 *   body=BYTES max=MOST window=WINDOW fulls=STALLS offered=0|1 sum=FNV1A64
 *
 * MOST is the largest count of unacknowledged bytes seen (never above
 * WINDOW from a correct master), STALLS how often the window was full,
 * offered whether the request's FERRY_EXTENSIONS param named "window".
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol/fcgi.h"

#define RAWWINDOW_DEFAULT	10000
#define RAWWINDOW_PAUSE_MS	100

/* One request's counts. */
struct rawwindow {
	int		 fd;
	uint32_t	 window;
	uint16_t	 id;
	int		 offered;
	size_t		 body, unacked, most;
	int		 fulls;
	uint64_t	 sum;
	uint8_t		 content[FCGI_MAX_LENGTH + 255];
};

int		main(int, char *[]);
static int	rawwindow_read(int, void *, size_t);
static int	rawwindow_write(int, uint8_t, uint16_t, const void *, size_t);
static int	rawwindow_record(struct rawwindow *, struct fcgi_header *);
static int	rawwindow_handle(struct rawwindow *, const struct fcgi_header *);
static int	rawwindow_full(struct rawwindow *);
static int	rawwindow_answer(struct rawwindow *);
static void	rawwindow_params(struct rawwindow *, size_t);

/* Reads exactly n bytes: 0, or -1 at EOF or on an error. */
static int
rawwindow_read(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 k;

	while (n > 0) {
		k = read(fd, b, n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Writes one whole record of len <= FCGI_MAX_LENGTH bytes.  0 or -1. */
static int
rawwindow_write(int fd, uint8_t type, uint16_t id, const void *content,
    size_t len)
{
	static uint8_t	 rec[FCGI_RECORD_MAX_LEN];
	size_t		 n;
	ssize_t		 k;
	uint8_t		 pad;

	pad = fcgi_record_header(rec, type, id, len);
	if (len > 0)
		memcpy(rec + FCGI_HEADER_LEN, content, len);
	memset(rec + FCGI_HEADER_LEN + len, 0, pad);
	n = FCGI_HEADER_LEN + len + pad;
	while ((k = write(fd, rec, n)) == -1 && errno == EINTR)
		;
	return k == (ssize_t)n ? 0 : -1;
}

/* The next record: its header in *h, its content in rw->content.  0, or
   -1 at EOF or on a bad version. */
static int
rawwindow_record(struct rawwindow *rw, struct fcgi_header *h)
{
	uint8_t	 hdr[FCGI_HEADER_LEN];

	if (rawwindow_read(rw->fd, hdr, sizeof(hdr)) == -1 ||
	    fcgi_header_decode(hdr, h) == -1)
		return -1;
	return rawwindow_read(rw->fd, rw->content, (size_t)h->content_length +
	    h->padding_length);
}

/* Notes whether a PARAMS record of len bytes offers "window". */
static void
rawwindow_params(struct rawwindow *rw, size_t len)
{
	const char	*name, *value;
	size_t		 nlen, vlen, off;
	ssize_t		 k;

	for (off = 0; off < len; off += (size_t)k) {
		k = fcgi_nv_decode(rw->content + off, len - off, &name, &nlen,
		    &value, &vlen);
		if (k <= 0)
			return;
		if (nlen == strlen(FERRY_PARAM_EXTENSIONS) && memcmp(name,
		    FERRY_PARAM_EXTENSIONS, nlen) == 0 &&
		    fcgi_list_has(value, vlen, FERRY_EXT_WINDOW))
			rw->offered = 1;
	}
}

/* The answer at the end of STDIN: what the request saw. */
static int
rawwindow_answer(struct rawwindow *rw)
{
	uint8_t	 end[FCGI_END_REQUEST_LEN];
	char	 out[512];
	int	 n;

	n = snprintf(out, sizeof(out), "Content-Type: text/plain\r\n\r\n"
	    "body=%zu max=%zu window=%u fulls=%d offered=%d sum=%016llx\n",
	    rw->body, rw->most, rw->window, rw->fulls, rw->offered,
	    (unsigned long long)rw->sum);
	fcgi_end_request_encode(end, 0, FCGI_REQUEST_COMPLETE);
	if (rawwindow_write(rw->fd, FCGI_STDOUT, rw->id, out, (size_t)n) ==
	    -1 || rawwindow_write(rw->fd, FCGI_STDOUT, rw->id, NULL, 0) == -1)
		return -1;
	return rawwindow_write(rw->fd, FCGI_END_REQUEST, rw->id, end,
	    sizeof(end));
}

/* One record.  0, or -1 to drop the connection. */
static int
rawwindow_handle(struct rawwindow *rw, const struct fcgi_header *h)
{
	static const char	 ext[] = FERRY_EXT_CLOSE_NOTIFY ","
	    FERRY_EXT_WINDOW;
	uint8_t			 out[256];
	char			 win[16];
	size_t			 n, i;

	switch (h->type) {
	case FCGI_GET_VALUES:
		snprintf(win, sizeof(win), "%u", rw->window);
		n = fcgi_nv_encode(out, sizeof(out), FERRY_EXTENSIONS,
		    strlen(FERRY_EXTENSIONS), ext, strlen(ext));
		n += fcgi_nv_encode(out + n, sizeof(out) - n,
		    FERRY_STDIN_WINDOW, strlen(FERRY_STDIN_WINDOW), win,
		    strlen(win));
		return rawwindow_write(rw->fd, FCGI_GET_VALUES_RESULT, 0, out,
		    n);
	case FCGI_BEGIN_REQUEST:
		rw->id = h->request_id;
		rw->offered = rw->fulls = 0;
		rw->body = rw->unacked = rw->most = 0;
		rw->sum = 0xcbf29ce484222325ULL;
		return 0;
	case FCGI_PARAMS:
		rawwindow_params(rw, h->content_length);
		return 0;
	case FCGI_STDIN:
		if (h->request_id != rw->id)
			return 0;
		if (h->content_length == 0)
			return rawwindow_answer(rw);
		for (i = 0; i < h->content_length; i++)
			rw->sum = (rw->sum ^ rw->content[i]) *
			    0x100000001b3ULL;
		rw->body += h->content_length;
		rw->unacked += h->content_length;
		if (rw->unacked > rw->most)
			rw->most = rw->unacked;
		return 0;
	default:
		return 0;
	}
}

/*
 * The window is full: waits, takes in what came meanwhile (nothing, from
 * a correct master), then acknowledges everything.  0 or -1.
 */
static int
rawwindow_full(struct rawwindow *rw)
{
	struct fcgi_header	 h;
	struct timespec		 ts = { 0, RAWWINDOW_PAUSE_MS * 1000000L };
	struct pollfd		 pfd = { rw->fd, POLLIN, 0 };
	uint8_t			 rec[FERRY_WINDOW_LEN];
	ssize_t			 k;

	rw->fulls++;
	nanosleep(&ts, NULL);
	while (poll(&pfd, 1, 0) == 1) {
		if (rawwindow_record(rw, &h) == -1 ||
		    rawwindow_handle(rw, &h) == -1)
			return -1;
		if (h.type == FCGI_STDIN && h.content_length == 0)
			return 0;	/* answered */
	}
	fcgi_window_encode(rec, rw->id, (uint32_t)rw->unacked);
	rw->unacked = 0;
	while ((k = write(rw->fd, rec, sizeof(rec))) == -1 && errno == EINTR)
		;
	return k == (ssize_t)sizeof(rec) ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	static struct rawwindow	 rw;
	struct fcgi_header	 h;
	int			 cfd;

	rw.window = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) :
	    RAWWINDOW_DEFAULT;
	for (;;) {
		if ((cfd = accept(0, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return 1;
		}
		rw.fd = cfd;
		while (rawwindow_record(&rw, &h) == 0 &&
		    rawwindow_handle(&rw, &h) == 0)
			if (rw.unacked >= rw.window && rawwindow_full(&rw) == -1)
				break;
		close(cfd);
	}
}
