/*
 * hello_fcgi: the FastCGI app the benchmarks run (libfcgi, fcgiapp.h style),
 * answering like hello_cgi: "hello" by default, "echo" sends the request
 * body back after reading all of it, "big=N" streams N MiB of 'x'.  It takes
 * its listening socket on fd 0, as spawn-fcgi and lighttpd give it.
 */
#include "config.h"

#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>

#define HELLO_CHUNK	(64 * 1024)
#define HELLO_MAX_BODY	(256UL * 1024 * 1024)

int		main(void);
static int	hello_number(const char *, unsigned long, unsigned long *);
static void	hello_echo(FCGX_Request *);
static void	hello_big(FCGX_Request *, unsigned long);

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

static void
hello_echo(FCGX_Request *r)
{
	unsigned long	 len = 0;
	size_t		 got = 0;
	int		 n;
	char		*buf;

	if (hello_number(FCGX_GetParam("CONTENT_LENGTH", r->envp),
	    HELLO_MAX_BODY, &len) == -1)
		len = 0;
	if ((buf = malloc(len > 0 ? len : 1)) == NULL) {
		FCGX_PutS("Status: 500\r\n\r\n", r->out);
		return;
	}
	while (got < len) {
		n = FCGX_GetStr(buf + got, (int)(len - got > 65536 ?
		    65536 : len - got), r->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	FCGX_PutS("Content-Type: application/octet-stream\r\n\r\n", r->out);
	FCGX_PutStr(buf, (int)got, r->out);
	free(buf);
}

static void
hello_big(FCGX_Request *r, unsigned long mib)
{
	static char	buf[HELLO_CHUNK];
	unsigned long	i;

	memset(buf, 'x', sizeof(buf));
	FCGX_PutS("Content-Type: text/plain\r\n\r\n", r->out);
	for (i = 0; i < mib * (1024 * 1024 / HELLO_CHUNK); i++)
		if (FCGX_PutStr(buf, (int)sizeof(buf), r->out) < 0)
			return;
}

int
main(void)
{
	FCGX_Request	 r;
	const char	*q;
	unsigned long	 mib;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&r) >= 0) {
		q = FCGX_GetParam("QUERY_STRING", r.envp);
		if (q != NULL && strcmp(q, "echo") == 0)
			hello_echo(&r);
		else if (q != NULL && strncmp(q, "big=", 4) == 0 &&
		    hello_number(q + 4, 4096, &mib) == 0)
			hello_big(&r, mib);
		else
			FCGX_PutS("Content-Type: text/plain\r\n\r\nhello\n",
			    r.out);
		FCGX_Finish_r(&r);
	}
	return EXIT_SUCCESS;
}
