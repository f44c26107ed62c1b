/*
 * status_scrape: fetches ferryd's status page, paced as a scraper or back
 * to back, and times each fetch.
 *
 *   status_scrape [-f json|prometheus] [-r HZ] [-n FETCHES] [-t SECS]
 *       PORT PATH
 *
 * Each fetch connects to 127.0.0.1:PORT, sends "GET PATH" (the JSON page)
 * or "GET PATH?format=prometheus", in turn (-f: only that one), with
 * "Connection: close",
 * and reads the answer to its end; its time runs from connect() to the
 * end of the body.  A fetch fails on a connect or read error, after
 * SCRAPE_TIMEOUT_MS, on a status other than 200, a body shorter or longer
 * than its Content-Length or a chunked one not ended by its last chunk,
 * or a body that does not start as the format does ('{', '#').  With -r the fetches start HZ times a second on a fixed
 * schedule (a late one does not make the next ones early); without it
 * one follows the other.  It stops after FETCHES fetches (-n) or SECS
 * seconds (-t, default 10), whichever comes first.  Prints one line per
 * format fetched:
 *
 *   FORMAT fetches N failed F bytes B p50_us X p99_us Y max_us Z
 *
 * B is the body's size in the last fetch that succeeded; the times are
 * those of the fetches that succeeded.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SCRAPE_MAX_FETCHES	1000000
#define SCRAPE_TIMEOUT_MS	2000
#define SCRAPE_BUF		(4 * 1024 * 1024)

/* What one format's fetches gave. */
struct scrape_fmt {
	const char	*name;		/* "json", "prometheus" */
	const char	*query;		/* appended to PATH */
	char		 first;		/* the body's first byte */
	long long	*ns;		/* times of the fetches that succeeded */
	size_t		 nok;
	size_t		 failed;
	size_t		 bytes;		/* body of the last one that succeeded */
};

int		main(int, char *[]);
static long long scrape_now_ns(void);
static int	scrape_number(const char *, long long, long long *);
static long long scrape_one(int, const char *, struct scrape_fmt *);
static long long scrape_chunked(const char *, size_t, char *);
static long long scrape_body(const char *, size_t, struct scrape_fmt *);
static int	scrape_cmp(const void *, const void *);
static long long scrape_pct(const long long *, size_t, int);
static void	scrape_usage(void);

static char	scrape_buf[SCRAPE_BUF];

static long long
scrape_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Decimal digits of s (all of it), at most max; 0 on success. */
static int
scrape_number(const char *s, long long max, long long *out)
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
 * The size of the chunked body of len bytes at p, all of it up to the
 * last chunk's CRLF (no trailers); *first gets its first byte.  -1 when
 * it is malformed or incomplete.
 */
static long long
scrape_chunked(const char *p, size_t len, char *first)
{
	long long	total = 0, size;
	size_t		i = 0;
	int		d;

	for (;;) {
		size = 0;
		for (d = 0; i < len && d < 8; i++, d++) {
			if (p[i] >= '0' && p[i] <= '9')
				size = size * 16 + (p[i] - '0');
			else if (p[i] >= 'a' && p[i] <= 'f')
				size = size * 16 + (p[i] - 'a' + 10);
			else if (p[i] >= 'A' && p[i] <= 'F')
				size = size * 16 + (p[i] - 'A' + 10);
			else
				break;
		}
		if (d == 0 || len - i < 2 || memcmp(p + i, "\r\n", 2) != 0)
			return -1;
		i += 2;
		if (size == 0)
			return len - i == 2 && memcmp(p + i, "\r\n", 2) == 0 ?
			    total : -1;
		if ((size_t)size + 2 > len - i ||
		    memcmp(p + i + size, "\r\n", 2) != 0)
			return -1;
		if (total == 0)
			*first = p[i];
		total += size;
		i += (size_t)size + 2;
	}
}

/*
 * Checks a whole answer of len bytes in buf: status 200, a body of the
 * Content-Length, or chunked, starting with f->first.  Returns the body's
 * size, or -1.
 */
static long long
scrape_body(const char *buf, size_t len, struct scrape_fmt *f)
{
	const char	*end, *line, *eol;
	long long	 clen = -1, v;
	char		 num[24], first = '\0';
	size_t		 hlen, n;
	int		 chunked = 0;

	end = NULL;
	for (n = 0; n + 4 <= len; n++)
		if (memcmp(buf + n, "\r\n\r\n", 4) == 0) {
			end = buf + n;
			break;
		}
	if (end == NULL || len < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0)
		return -1;
	hlen = (size_t)(end - buf) + 4;
	for (line = buf; line < end; line = eol + 2) {
		eol = line;
		while (eol < end && !(eol[0] == '\r' && eol[1] == '\n'))
			eol++;
		if (eol - line > 15 &&
		    strncasecmp(line, "Content-Length:", 15) == 0) {
			line += 15;
			while (line < eol && *line == ' ')
				line++;
			n = (size_t)(eol - line);
			if (n == 0 || n >= sizeof(num))
				return -1;
			memcpy(num, line, n);
			num[n] = '\0';
			if (scrape_number(num, SCRAPE_BUF, &v) == -1)
				return -1;
			clen = v;
		} else if (eol - line == 26 && strncasecmp(line,
		    "Transfer-Encoding: chunked", 26) == 0)
			chunked = 1;
		if (eol >= end)
			break;
	}
	if (chunked)
		clen = scrape_chunked(buf + hlen, len - hlen, &first);
	else if (clen == (long long)(len - hlen) && clen > 0)
		first = buf[hlen];
	if (clen <= 0 || first != f->first)
		return -1;
	return clen;
}

/* One fetch of PATH in format f; returns its time in ns, or -1. */
static long long
scrape_one(int port, const char *path, struct scrape_fmt *f)
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	char			 req[1024];
	long long		 t0, left, body;
	size_t			 len = 0;
	ssize_t			 n = 0;
	int			 fd, rl, rc;

	rl = snprintf(req, sizeof(req), "GET %s%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", path, f->query);
	if (rl < 0 || (size_t)rl >= sizeof(req))
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t0 = scrape_now_ns();
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    write(fd, req, (size_t)rl) != rl) {
		close(fd);
		return -1;
	}
	for (;;) {
		left = SCRAPE_TIMEOUT_MS - (scrape_now_ns() - t0) / 1000000;
		pfd.fd = fd;
		pfd.events = POLLIN;
		rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc != 1) {
			close(fd);
			return -1;
		}
		n = read(fd, scrape_buf + len, sizeof(scrape_buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(scrape_buf))
			break;
	}
	close(fd);
	if (n < 0 || (body = scrape_body(scrape_buf, len, f)) == -1)
		return -1;
	f->bytes = (size_t)body;
	return scrape_now_ns() - t0;
}

static int
scrape_cmp(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The pct-th percentile of the n sorted values v (0 when n is 0). */
static long long
scrape_pct(const long long *v, size_t n, int pct)
{
	size_t	i;

	if (n == 0)
		return 0;
	i = (n * (size_t)pct + 99) / 100;
	return v[i == 0 ? 0 : i - 1];
}

static void
scrape_usage(void)
{
	fprintf(stderr, "usage: status_scrape [-f json|prometheus] [-r HZ] "
	    "[-n FETCHES] [-t SECS] PORT PATH\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct scrape_fmt	 fmts[2] = {
		{ "json", "", '{', NULL, 0, 0, 0 },
		{ "prometheus", "?format=prometheus", '#', NULL, 0, 0, 0 },
	};
	struct timespec		 ts;
	struct scrape_fmt	*f;
	long long		 hz = 0, max = SCRAPE_MAX_FETCHES, secs = 10;
	long long		 port, start, next, now, t, done = 0;
	int			 ch, i, only = -1;

	while ((ch = getopt(argc, argv, "f:n:r:t:")) != -1) {
		switch (ch) {
		case 'f':
			for (only = 1; only >= 0; only--)
				if (strcmp(optarg, fmts[only].name) == 0)
					break;
			if (only == -1)
				scrape_usage();
			break;
		case 'n':
			if (scrape_number(optarg, SCRAPE_MAX_FETCHES, &max) ==
			    -1 || max == 0)
				scrape_usage();
			break;
		case 'r':
			if (scrape_number(optarg, 1000, &hz) == -1 || hz == 0)
				scrape_usage();
			break;
		case 't':
			if (scrape_number(optarg, 86400, &secs) == -1 ||
			    secs == 0)
				scrape_usage();
			break;
		default:
			scrape_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || scrape_number(argv[0], 65535, &port) == -1 ||
	    argv[1][0] != '/')
		scrape_usage();
	for (i = 0; i < 2; i++)
		if ((fmts[i].ns = calloc((size_t)max, sizeof(long long))) ==
		    NULL) {
			perror("status_scrape: calloc");
			return 1;
		}
	start = next = scrape_now_ns();
	while (done < max) {
		now = scrape_now_ns();
		if (now - start >= secs * 1000000000LL)
			break;
		if (hz > 0) {
			if (now < next) {
				ts.tv_sec = next / 1000000000LL;
				ts.tv_nsec = next % 1000000000LL;
				while (clock_nanosleep(CLOCK_MONOTONIC,
				    TIMER_ABSTIME, &ts, NULL) == EINTR)
					;
				if (next - start >= secs * 1000000000LL)
					break;
			}
			next += 1000000000LL / hz;
			/* Late by more than a period: no burst to catch up. */
			if (next < scrape_now_ns())
				next = scrape_now_ns();
		}
		f = &fmts[only >= 0 ? only : done % 2];
		if ((t = scrape_one((int)port, argv[1], f)) == -1)
			f->failed++;
		else
			f->ns[f->nok++] = t;
		done++;
	}
	for (i = 0; i < 2; i++) {
		f = &fmts[i];
		if (only >= 0 && i != only)
			continue;
		qsort(f->ns, f->nok, sizeof(long long), scrape_cmp);
		printf("%s fetches %zu failed %zu bytes %zu p50_us %.1f "
		    "p99_us %.1f max_us %.1f\n", f->name, f->nok + f->failed,
		    f->failed, f->bytes, scrape_pct(f->ns, f->nok, 50) / 1e3,
		    scrape_pct(f->ns, f->nok, 99) / 1e3,
		    scrape_pct(f->ns, f->nok, 100) / 1e3);
		free(f->ns);
	}
	return 0;
}
