/*
 * exact_cl: a libfcgi program that reads exactly CONTENT_LENGTH bytes of
 * FCGI_STDIN and never asks for more, so it never reads the empty STDIN
 * record that ends the stream (doc/ARCHITECTURE.md, "The channel to a pool worker":
 * behind a server that keeps the connection anyway, such an app takes that
 * record for garbage at its next request).  Many real apps do exactly this.
 *
 * The body is "LENGTH FNV\n": the number of bytes it read and their 64-bit
 * FNV-1a hash in 16 lowercase hex digits.  Status 400 when CONTENT_LENGTH
 * is not a plain number, 500 when the stream ended early (the body then
 * says how many bytes came).  With QUERY_STRING "pause=MS" it sleeps MS
 * milliseconds before reading, to test back-pressure.
 */
#include "config.h"

#include <fcgiapp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int		main(void);
static int	exact_cl_number(const char *s, unsigned long long *out);

/* Decimal digits only, at most 18 of them; 0 on success. */
static int
exact_cl_number(const char *s, unsigned long long *out)
{
	unsigned long long	v = 0;
	size_t			i;

	if (s == NULL || *s == '\0' || strlen(s) > 18)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
main(void)
{
	FCGX_Request		 req;
	char			 buf[65536];
	const char		*qs;
	unsigned long long	 want, got, pause;
	uint64_t		 h;
	struct timespec		 ts;
	size_t			 i;
	int			 n, ask;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		qs = FCGX_GetParam("QUERY_STRING", req.envp);
		if (qs != NULL && strncmp(qs, "pause=", 6) == 0 &&
		    exact_cl_number(qs + 6, &pause) == 0) {
			ts.tv_sec = (time_t)(pause / 1000);
			ts.tv_nsec = (long)(pause % 1000) * 1000000L;
			nanosleep(&ts, NULL);
		}
		if (exact_cl_number(FCGX_GetParam("CONTENT_LENGTH", req.envp),
		    &want) != 0) {
			FCGX_FPrintF(req.out, "Status: 400 Bad Request\r\n"
			    "Content-Type: text/plain\r\n\r\n"
			    "no usable CONTENT_LENGTH\n");
			FCGX_Finish_r(&req);
			continue;
		}
		h = 0xcbf29ce484222325ULL;
		got = 0;
		while (got < want) {
			ask = want - got < sizeof(buf) ? (int)(want - got) :
			    (int)sizeof(buf);
			if ((n = FCGX_GetStr(buf, ask, req.in)) <= 0)
				break;
			for (i = 0; i < (size_t)n; i++) {
				h ^= (unsigned char)buf[i];
				h *= 0x100000001b3ULL;
			}
			got += (unsigned long long)n;
		}
		if (got != want)
			FCGX_FPrintF(req.out, "Status: 500 Short Body\r\n"
			    "Content-Type: text/plain\r\n\r\n"
			    "short body: %llu of %llu bytes\n", got, want);
		else
			FCGX_FPrintF(req.out, "Content-Type: text/plain\r\n"
			    "\r\n%llu %016llx\n", got, (unsigned long long)h);
		FCGX_Finish_r(&req);
	}
	return EXIT_SUCCESS;
}
