/*
 * hello_ferry: the benchmark app of hello_fcgi written with libferry:
 * "hello" by default, "echo" sends the request body back after reading all
 * of it, "big=N" streams N MiB of 'x'.  Serves on the listening socket on
 * fd 0, as ferryd, spawn-fcgi and lighttpd give it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "worker/ferry.h"

#define HELLO_CHUNK	(64 * 1024)
#define HELLO_MAX_BODY	(256L * 1024 * 1024)

int		main(void);
static int	hello_number(const char *, unsigned long, unsigned long *);
static int	hello_echo(struct ferry_req *);
static int	hello_big(struct ferry_req *, unsigned long);
static int	hello_handle(struct ferry_req *, void *);

/* Parses decimal digits in s, at most max; 0 on success. */
static int
hello_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long	v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

static int
hello_echo(struct ferry_req *req)
{
	int64_t	 len = ferry_content_length(req);
	size_t	 got = 0;
	ssize_t	 n;
	char	*buf;

	if (len < 0 || len > HELLO_MAX_BODY)
		len = 0;
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL)
		return 1;
	while (got < (size_t)len) {
		n = ferry_read(req, buf + got, (size_t)len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	ferry_add_header(req, "Content-Type", "application/octet-stream");
	n = ferry_write(req, buf, got);
	free(buf);
	return n == -1 ? 1 : 0;
}

static int
hello_big(struct ferry_req *req, unsigned long mib)
{
	static char	buf[HELLO_CHUNK];
	unsigned long	i;

	memset(buf, 'x', sizeof(buf));
	ferry_add_header(req, "Content-Type", "text/plain");
	for (i = 0; i < mib * (1024 * 1024 / HELLO_CHUNK); i++)
		if (ferry_write(req, buf, sizeof(buf)) == -1)
			return 1;
	return 0;
}

static int
hello_handle(struct ferry_req *req, void *arg)
{
	const char	*q = ferry_query(req);
	unsigned long	 mib;

	(void)arg;
	if (q != NULL && strcmp(q, "echo") == 0)
		return hello_echo(req);
	if (q != NULL && strncmp(q, "big=", 4) == 0 &&
	    hello_number(q + 4, 4096, &mib) == 0)
		return hello_big(req, mib);
	ferry_add_header(req, "Content-Type", "text/plain");
	return ferry_write(req, "hello\n", 6) == -1 ? 1 : 0;
}

int
main(void)
{
	return ferry_serve(hello_handle, NULL) == -1 ? EXIT_FAILURE :
	    EXIT_SUCCESS;
}
