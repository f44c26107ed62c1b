/*
 * hello_stdio: the smallest libfcgi program, in the fcgi_stdio.h style that
 * most legacy C FastCGI apps use: loop on FCGI_Accept() and printf the
 * response.  Answers every request with a text/plain "hello from fastcgi".
 */
#include "config.h"

#include <fcgi_stdio.h>
#include <stdlib.h>

int	main(void);

int
main(void)
{
	while (FCGI_Accept() >= 0)
		printf("Content-Type: text/plain\r\n\r\nhello from fastcgi\n");
	return EXIT_SUCCESS;
}
