/*
 * notifyapp: a libferry app for the close-notify tests.  It reports what
 * each request observed by appending lines to a log file, one write(2)
 * per line (O_APPEND, so lines of several workers never mix), and in the
 * response body when there is still a client to read it.
 *
 *   notifyapp [--log FILE] [--listen ADDR]
 *
 * The log is FILE, else $NOTIFYAPP_LOG, else stderr.  The last segment of
 * the request path chooses the handler:
 *
 *   .../hello   answers "hello\n" (plain FastCGI: runs under any server)
 *   .../echo    reads the whole body and sends it back
 *   .../watch   ?tag=T&steps=S&ms=N: logs "T start N" (N: the reasons,
 *               FERRY_GONE | FERRY_PIPELINED, already set), then for each
 *               letter of S waits up to N ms (default 5000) for a reason:
 *               p PIPELINED, g GONE, a any; logs "T got p" or "T timeout
 *               p" and so on; then logs "T end N" and answers
 *               "start=N end=N\n".
 *   .../sit     ?tag=T&ms=N: neither reads nor discards its body; logs
 *               "T start N", waits up to N ms for GONE and logs "T got g"
 *               or "T timeout g" (the window: GONE is heard behind a
 *               body nobody reads)
 *   .../sum     ?ms=N: sleeps N ms, then reads the whole body; answers
 *               "SIZE FNV1A64\n" (16 hex digits)
 *   .../discard ?ms=N: drops its body at once, then sleeps N ms (the
 *               library's own reader consumes the body meanwhile);
 *               answers "discarded\n"
 *
 * Tags are letters and digits (at most 32); a tag is what the tests look
 * for in the log, so that requests never need the FastCGI request id.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "worker/ferry.h"

#define NOTIFYAPP_DEFAULT_MS	5000
#define NOTIFYAPP_MAX_MS	60000
#define NOTIFYAPP_MAX_TAG	32
#define NOTIFYAPP_MAX_STEPS	8
#define NOTIFYAPP_MAX_BODY	(4L * 1024 * 1024)

int		main(int, char *[]);
static void	notifyapp_log(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static const char *notifyapp_arg(const char *, const char *, char *,
		    size_t);
static int	notifyapp_number(const char *, int, int);
static int	notifyapp_hello(struct ferry_req *);
static int	notifyapp_echo(struct ferry_req *);
static int	notifyapp_watch(struct ferry_req *, const char *);
static int	notifyapp_sit(struct ferry_req *, const char *);
static int	notifyapp_sum(struct ferry_req *);
static int	notifyapp_discard(struct ferry_req *);
static int	notifyapp_ms(struct ferry_req *, int);
static void	notifyapp_sleep(int);
static int	notifyapp_handle(struct ferry_req *, void *);

/* Appends one formatted line to the log (stderr when path is NULL). */
static void
notifyapp_log(const char *path, const char *fmt, ...)
{
	char	line[256];
	va_list	ap;
	int	n, fd;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (path == NULL)
		fd = STDERR_FILENO;
	else if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return;
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "notifyapp: log: %s\n", strerror(errno));
	if (fd != STDERR_FILENO)
		close(fd);
}

/*
 * Copies the value of NAME=VALUE in the query q into out when it is made
 * of letters and digits only and fits; returns out, or NULL.
 */
static const char *
notifyapp_arg(const char *q, const char *name, char *out, size_t outlen)
{
	size_t		 nl = strlen(name), i;
	const char	*p;

	for (p = q; p != NULL && *p != '\0'; p = strchr(p, '&'), p =
	    p != NULL ? p + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		p += nl + 1;
		for (i = 0; p[i] != '\0' && p[i] != '&'; i++) {
			if (i + 1 >= outlen || !((p[i] >= 'a' && p[i] <= 'z') ||
			    (p[i] >= 'A' && p[i] <= 'Z') ||
			    (p[i] >= '0' && p[i] <= '9')))
				return NULL;
			out[i] = p[i];
		}
		out[i] = '\0';
		return out;
	}
	return NULL;
}

/* Decimal digits in s, at most max; def when s is NULL or not a number. */
static int
notifyapp_number(const char *s, int max, int def)
{
	int	v = 0;

	if (s == NULL || *s == '\0')
		return def;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return def;
		if (v > (max - (*s - '0')) / 10)
			return def;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int
notifyapp_hello(struct ferry_req *req)
{
	return ferry_write(req, "hello\n", 6) == -1 ? 1 : 0;
}

static int
notifyapp_echo(struct ferry_req *req)
{
	char	*buf;
	size_t	 len = 0, cap = 65536;
	ssize_t	 n;
	int	 rc = 0;

	if ((buf = malloc(cap)) == NULL)
		return 1;
	for (;;) {
		if (len == cap) {
			char	*nb;

			if (cap >= NOTIFYAPP_MAX_BODY ||
			    (nb = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				ferry_status(req, 413);
				return 0;
			}
			buf = nb;
			cap *= 2;
		}
		if ((n = ferry_read(req, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
	}
	if (n == -1) {
		free(buf);
		return 1;
	}
	ferry_add_header(req, "Content-Type", "application/octet-stream");
	if (ferry_write(req, buf, len) == -1)
		rc = 1;
	free(buf);
	return rc;
}

static int
notifyapp_watch(struct ferry_req *req, const char *log)
{
	const char	*q = ferry_query(req);
	char		 tag[NOTIFYAPP_MAX_TAG + 1];
	char		 steps[NOTIFYAPP_MAX_STEPS + 1];
	const char	*s;
	int		 ms, start, mask, got;

	if (notifyapp_arg(q, "tag", tag, sizeof(tag)) == NULL)
		snprintf(tag, sizeof(tag), "r%u", ferry_request_id(req));
	if (notifyapp_arg(q, "steps", steps, sizeof(steps)) == NULL)
		steps[0] = '\0';
	ms = notifyapp_ms(req, NOTIFYAPP_DEFAULT_MS);
	/* A GET has no body; without this a POST would hide notifications
	   until its body arrived. */
	ferry_discard(req);
	start = ferry_notified(req);
	notifyapp_log(log, "%s start %d", tag, start);
	for (s = steps; *s != '\0'; s++) {
		switch (*s) {
		case 'p':
			mask = FERRY_PIPELINED;
			break;
		case 'g':
			mask = FERRY_GONE;
			break;
		default:
			mask = 0;
			break;
		}
		got = ferry_wait_notify(req, mask, ms);
		notifyapp_log(log, "%s %s %c", tag, got != 0 ? "got" :
		    "timeout", *s);
	}
	notifyapp_log(log, "%s end %d", tag, ferry_notified(req));
	ferry_add_header(req, "Cache-Control", "no-store");
	return ferry_printf(req, "start=%d end=%d\n", start,
	    ferry_notified(req)) == -1 ? 1 : 0;
}

/* The request's ms=N, or def. */
static int
notifyapp_ms(struct ferry_req *req, int def)
{
	char	 msbuf[8];

	return notifyapp_number(notifyapp_arg(ferry_query(req), "ms", msbuf,
	    sizeof(msbuf)), NOTIFYAPP_MAX_MS, def);
}

static void
notifyapp_sleep(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
notifyapp_sit(struct ferry_req *req, const char *log)
{
	char	 tag[NOTIFYAPP_MAX_TAG + 1];
	int	 ms = notifyapp_ms(req, NOTIFYAPP_DEFAULT_MS), got;

	if (notifyapp_arg(ferry_query(req), "tag", tag, sizeof(tag)) == NULL)
		snprintf(tag, sizeof(tag), "r%u", ferry_request_id(req));
	notifyapp_log(log, "%s start %d", tag, ferry_notified(req));
	got = ferry_wait_notify(req, FERRY_GONE, ms);
	notifyapp_log(log, "%s %s g", tag, got != 0 ? "got" : "timeout");
	return ferry_printf(req, "gone=%d\n", got != 0) == -1 ? 1 : 0;
}

static int
notifyapp_sum(struct ferry_req *req)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	uint8_t		 buf[65536];
	size_t		 size = 0, i;
	ssize_t		 n;

	notifyapp_sleep(notifyapp_ms(req, 0));
	while ((n = ferry_read(req, buf, sizeof(buf))) > 0) {
		for (i = 0; i < (size_t)n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
		size += (size_t)n;
	}
	if (n == -1)
		return 1;
	return ferry_printf(req, "%zu %016llx\n", size,
	    (unsigned long long)h) == -1 ? 1 : 0;
}

static int
notifyapp_discard(struct ferry_req *req)
{
	ferry_discard(req);
	notifyapp_sleep(notifyapp_ms(req, 0));
	return ferry_write(req, "discarded\n", 10) == -1 ? 1 : 0;
}

static int
notifyapp_handle(struct ferry_req *req, void *arg)
{
	const char	*path = ferry_path(req), *last;

	last = strrchr(path, '/');
	last = last != NULL ? last + 1 : path;
	if (strcmp(last, "hello") == 0)
		return notifyapp_hello(req);
	if (strcmp(last, "echo") == 0)
		return notifyapp_echo(req);
	if (strcmp(last, "watch") == 0)
		return notifyapp_watch(req, arg);
	if (strcmp(last, "sit") == 0)
		return notifyapp_sit(req, arg);
	if (strcmp(last, "sum") == 0)
		return notifyapp_sum(req);
	if (strcmp(last, "discard") == 0)
		return notifyapp_discard(req);
	ferry_status(req, 404);
	return ferry_printf(req, "no handler for %s\n", path) == -1 ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	const char	*log = getenv("NOTIFYAPP_LOG");
	int		 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log = argv[++i];
		else if (strncmp(argv[i], "--log=", 6) == 0)
			log = argv[i] + 6;
	}
	if (log != NULL && *log == '\0')
		log = NULL;
	return ferry_serve_args(argc, argv, notifyapp_handle,
	    (void *)(uintptr_t)log) == -1 ? EXIT_FAILURE : EXIT_SUCCESS;
}
