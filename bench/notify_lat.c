/*
 * notify_lat: close-notify latency, from the client's close() to the
 * worker's wake-up in ferry_wait_notify().
 *
 *   notify_lat [-n RUNS] [-r] [-b BYTES] PORT PATH LOG
 *
 * Each run connects to 127.0.0.1:PORT, sends "GET PATH?wait&id=I", reads
 * until bench/notify_ferry's "waiting" arrived (the handler is about to
 * block), reads the monotonic clock and closes: a FIN, or with -r a reset
 * (SO_LINGER 0).  notify_ferry appends "I NS" to LOG when it wakes; the
 * difference is the latency of that run (LOG is emptied first).  Runs
 * are sequential.  Prints one line: runs, p50, p99 and max in
 * microseconds, and runs lost (no wake-up within 5 s).
 *
 * With -b the client leaves from behind a full input buffer: it sends
 * "POST PATH?wait&id=I" with a Content-Length 4 x BYTES (the body is
 * never complete), and after "waiting" up to BYTES of it, each piece only
 * while ferryd's receive window has room for it and a quarter of the
 * widest window seen to spare, until the window stays
 * shut for LAT_STALL_MS: ferryd has stopped reading (its buffers and the
 * worker's are full, the handler reads nothing), and every byte sent is
 * in ferryd's hands, so the FIN that close() sends goes out at once.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <linux/sockios.h>
#include <linux/tcp.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAT_MAX_RUNS	100000
#define LAT_TIMEOUT_MS	5000
#define LAT_STALL_MS	100	/* -b: the window stays shut this long */
#define LAT_MIN_PIECE	4096	/* -b: a window below this is shut */

int		main(int, char *[]);
static long long lat_now_ns(void);
static void	lat_sleep_ms(int);
static int	lat_number(const char *, long long, long long *);
static int	lat_one(int, const char *, unsigned long, int, size_t,
		    long long *);
static int	lat_fill(int, size_t);
static int	lat_find(const char *, unsigned long, long long *);
static int	lat_cmp(const void *, const void *);
static void	lat_usage(void);

static long long
lat_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
lat_sleep_ms(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Decimal digits of s (all of it), at most max; 0 on success. */
static int
lat_number(const char *s, long long max, long long *out)
{
	long long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * Sends up to len body bytes while the peer's receive window has room for
 * each piece, waiting for each to be acknowledged, until the window stays
 * shut for LAT_STALL_MS.  Returns 0 once the peer stopped taking bytes,
 * -1 when it took all len (its buffers never filled) or on an error.
 */
static int
lat_fill(int fd, size_t len)
{
#ifdef __linux__
	static char	 buf[65536];
	struct tcp_info	 ti;
	socklen_t	 tl;
	size_t		 sent = 0, piece;
	unsigned	 max_wnd = 0;
	long long	 shut = -1, deadline;
	int		 outq;
	ssize_t		 n;

	memset(buf, 'x', sizeof(buf));
	while (sent < len) {
		tl = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == -1 ||
		    ioctl(fd, SIOCOUTQ, &outq) == -1)
			return -1;
		/* Room in the window for a piece, with a quarter of the
		   widest window seen left free: a window says what the
		   receiver offered, not what its memory still takes, and a
		   FIN sent into a receiver whose memory is full waits in our
		   kernel (the run would be lost, ferryd never told). */
		if (ti.tcpi_snd_wnd > max_wnd)
			max_wnd = ti.tcpi_snd_wnd;
		piece = ti.tcpi_snd_wnd > (unsigned)outq + max_wnd / 4 + 1 ?
		    ti.tcpi_snd_wnd - (unsigned)outq - max_wnd / 4 - 1 : 0;
		if (piece > sizeof(buf))
			piece = sizeof(buf);
		if (piece > len - sent)
			piece = len - sent;
		/* A receiver that stopped reading opens its window only by
		   the odd segment: that is shut too. */
		if (piece < LAT_MIN_PIECE && piece < len - sent) {
			if (shut == -1)
				shut = lat_now_ns();
			else if (lat_now_ns() - shut >= LAT_STALL_MS *
			    1000000LL)
				break;
			lat_sleep_ms(1);
			continue;
		}
		shut = -1;
		if ((n = send(fd, buf, piece, MSG_NOSIGNAL | MSG_DONTWAIT)) ==
		    -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			sent += (size_t)n;
	}
	if (sent == len)
		return -1;
	/* Everything sent is acknowledged: the FIN goes out at once. */
	deadline = lat_now_ns() + LAT_TIMEOUT_MS * 1000000LL;
	while (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq > 0) {
		if (lat_now_ns() >= deadline)
			return -1;
		lat_sleep_ms(1);
	}
	return 0;
#else
	(void)fd;
	(void)len;
	return -1;
#endif
}

/* One run: returns 0 with *closed set to the time of close(), -1. */
static int
lat_one(int port, const char *path, unsigned long id, int reset,
    size_t body, long long *closed)
{
	struct sockaddr_in	 sin;
	struct linger		 lg = { 1, 0 };
	struct pollfd		 pfd;
	char			 req[512], buf[4096];
	size_t			 len = 0;
	ssize_t			 n;
	int			 fd, rl;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto fail;
	if (body > 0)
		rl = snprintf(req, sizeof(req), "POST %s?wait&id=%lu "
		    "HTTP/1.1\r\nHost: bench\r\nContent-Length: %zu\r\n\r\n",
		    path, id, body * 4);
	else
		rl = snprintf(req, sizeof(req), "GET %s?wait&id=%lu "
		    "HTTP/1.1\r\nHost: bench\r\n\r\n", path, id);
	if (rl < 0 || (size_t)rl >= sizeof(req) ||
	    send(fd, req, (size_t)rl, MSG_NOSIGNAL) != rl)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, LAT_TIMEOUT_MS) != 1)
			goto fail;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			goto fail;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "waiting\n") != NULL)
			break;
		if (len == sizeof(buf) - 1)
			goto fail;
	}
	if (body > 0 && lat_fill(fd, body) == -1)
		goto fail;
	if (reset)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	*closed = lat_now_ns();
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

/* Looks for "ID NS" in the log; 1 and *ns when found, else 0. */
static int
lat_find(const char *log, unsigned long id, long long *ns)
{
	char		 buf[65536], *p, *nl, *sp;
	long long	 v, got;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, found = 0;

	if ((fd = open(log, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	/* The log grows by one short line per run: the tail is enough. */
	if (lseek(fd, 0, SEEK_END) > (off_t)sizeof(buf) - 1)
		lseek(fd, -(off_t)(sizeof(buf) - 1), SEEK_END);
	else
		lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		if ((sp = strchr(p, ' ')) == NULL)
			continue;
		*sp = '\0';
		if (lat_number(p, LAT_MAX_RUNS, &v) == 0 &&
		    (unsigned long)v == id &&
		    lat_number(sp + 1, 1LL << 62, &got) == 0) {
			*ns = got;
			found = 1;
		}
	}
	return found;
}

static int
lat_cmp(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void
lat_usage(void)
{
	fprintf(stderr, "usage: notify_lat [-n RUNS] [-r] [-b BYTES] PORT "
	    "PATH LOG\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	long long	 runs = 200, port, closed, woke, *lat, deadline, body = 0;
	unsigned long	 i;
	size_t		 ok = 0, lost = 0;
	int		 reset = 0, c, found;

	while ((c = getopt(argc, argv, "n:rb:")) != -1) {
		switch (c) {
		case 'b':
			if (lat_number(optarg, 1LL << 30, &body) == -1)
				lat_usage();
			break;
		case 'n':
			if (lat_number(optarg, LAT_MAX_RUNS, &runs) == -1 ||
			    runs == 0)
				lat_usage();
			break;
		case 'r':
			reset = 1;
			break;
		default:
			lat_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3 || lat_number(argv[0], 65535, &port) == -1)
		lat_usage();
	if ((lat = calloc((size_t)runs, sizeof(*lat))) == NULL)
		return 1;
	/* Ids restart at 1: lines of an earlier measurement must go. */
	if ((c = open(argv[2], O_WRONLY | O_TRUNC | O_CLOEXEC)) != -1)
		close(c);
	for (i = 1; i <= (unsigned long)runs; i++) {
		if (lat_one((int)port, argv[1], i, reset, (size_t)body,
		    &closed) == -1) {
			lost++;
			continue;
		}
		deadline = lat_now_ns() + LAT_TIMEOUT_MS * 1000000LL;
		while (!(found = lat_find(argv[2], i, &woke)) &&
		    lat_now_ns() < deadline)
			lat_sleep_ms(2);
		if (found)
			lat[ok++] = woke - closed;
		else
			lost++;
	}
	if (ok == 0) {
		printf("close-notify %s%s: %lld runs, all lost\n",
		    reset ? "RST" : "FIN", body > 0 ? " (full buffer)" : "",
		    runs);
		return 1;
	}
	qsort(lat, ok, sizeof(*lat), lat_cmp);
	printf("close-notify %s%s: %zu runs, p50 %.0f us, p99 %.0f us, "
	    "max %.0f us, lost %zu\n", reset ? "RST" : "FIN",
	    body > 0 ? " (full buffer)" : "", ok,
	    lat[(ok - 1) / 2] / 1000.0, lat[(ok * 99 + 99) / 100 - 1] / 1000.0,
	    lat[ok - 1] / 1000.0, lost);
	free(lat);
	return lost == 0 ? 0 : 1;
}
