/*
 * hello_cgi: the CGI program the benchmarks run, kept as small as a CGI can
 * be.  With no QUERY_STRING it prints a header and "hello".  "echo" reads
 * the whole request body (CONTENT_LENGTH bytes) and then writes it back, so
 * that a server that copies all of stdin before reading stdout (fcgiwrap)
 * cannot deadlock.  "big=N" streams N MiB of 'x' in 64 KiB writes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HELLO_CHUNK	(64 * 1024)
#define HELLO_MAX_BODY	(256UL * 1024 * 1024)

int		main(void);
static int	hello_write(const char *, size_t);
static int	hello_number(const char *, unsigned long, unsigned long *);
static int	hello_echo(void);
static int	hello_big(unsigned long);

static int
hello_write(const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(STDOUT_FILENO, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

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
hello_echo(void)
{
	static const char	 head[] =
	    "Content-Type: application/octet-stream\r\n\r\n";
	unsigned long		 len = 0;
	size_t			 got = 0;
	ssize_t			 n;
	char			*buf;

	if (getenv("CONTENT_LENGTH") != NULL &&
	    hello_number(getenv("CONTENT_LENGTH"), HELLO_MAX_BODY, &len) == -1)
		return -1;
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	while (got < len) {
		n = read(STDIN_FILENO, buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (hello_write(head, sizeof(head) - 1) == -1 ||
	    hello_write(buf, got) == -1) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

static int
hello_big(unsigned long mib)
{
	static const char	head[] = "Content-Type: text/plain\r\n\r\n";
	static char		buf[HELLO_CHUNK];
	unsigned long		i;

	memset(buf, 'x', sizeof(buf));
	if (hello_write(head, sizeof(head) - 1) == -1)
		return -1;
	for (i = 0; i < mib * (1024 * 1024 / HELLO_CHUNK); i++)
		if (hello_write(buf, sizeof(buf)) == -1)
			return -1;
	return 0;
}

int
main(void)
{
	static const char	 hello[] =
	    "Content-Type: text/plain\r\n\r\nhello\n";
	const char		*q = getenv("QUERY_STRING");
	unsigned long		 mib;

	if (q == NULL || *q == '\0')
		return hello_write(hello, sizeof(hello) - 1) == -1 ?
		    EXIT_FAILURE : EXIT_SUCCESS;
	if (strcmp(q, "echo") == 0)
		return hello_echo() == -1 ? EXIT_FAILURE : EXIT_SUCCESS;
	if (strncmp(q, "big=", 4) == 0 &&
	    hello_number(q + 4, 4096, &mib) == 0)
		return hello_big(mib) == -1 ? EXIT_FAILURE : EXIT_SUCCESS;
	return hello_write(hello, sizeof(hello) - 1) == -1 ?
	    EXIT_FAILURE : EXIT_SUCCESS;
}
