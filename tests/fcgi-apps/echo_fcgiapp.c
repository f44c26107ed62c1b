/*
 * echo_fcgiapp: a libfcgi program in the fcgiapp.h style (FCGX_InitRequest,
 * FCGX_Accept_r).  Echoes the request body back as the response body: it
 * reads FCGI_STDIN to its end (whatever CONTENT_LENGTH says), streaming in
 * pieces, and sends the header X-Content-Length with CONTENT_LENGTH as it
 * received it ("-" when unset).  After the body it needs no trailer: the
 * response is exactly the bytes it read.  The number of bytes echoed is also
 * written to FCGI_STDERR ("echoed N bytes"), for the error log.
 */
#include "config.h"

#include <fcgiapp.h>
#include <stdlib.h>

int	main(void);

int
main(void)
{
	FCGX_Request	 req;
	char		 buf[16384];
	const char	*cl;
	unsigned long long total;
	int		 n;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		cl = FCGX_GetParam("CONTENT_LENGTH", req.envp);
		FCGX_FPrintF(req.out, "Content-Type: application/octet-stream"
		    "\r\nX-Content-Length: %s\r\n\r\n", cl != NULL ? cl : "-");
		total = 0;
		while ((n = FCGX_GetStr(buf, sizeof(buf), req.in)) > 0) {
			if (FCGX_PutStr(buf, n, req.out) != n)
				break;
			total += (unsigned long long)n;
		}
		FCGX_FPrintF(req.err, "echoed %llu bytes\n", total);
		FCGX_Finish_r(&req);
	}
	return EXIT_SUCCESS;
}
