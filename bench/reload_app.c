/*
 * reload_app: the app of the reload-under-load bench (bench/run.sh, the
 * "reload" workload), one program for both kinds of app, so that every
 * answer names the configuration that served it:
 *
 *   FastCGI (fd 0 a listening socket, as ferry's pool gives it; libfcgi):
 *     "pool ARG PID QUERY_STRING\n", ARG its first argument ("-" without
 *     one: the pool's args, which a reload changes to replace the pool),
 *     PID its own (which workers answer).
 *   CGI (anything else on fd 0):
 *     "cgi DIR - QUERY_STRING\n", DIR the last component of the directory
 *     the script was started from (argv[0]: the app's root, which a reload
 *     changes without touching the pool).
 *
 * The load generator's query carries a request id that comes back in the
 * answer, so a response is matched to its request.
 */
#include "config.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RELOAD_APP_MAX	512	/* longest answer body */

int		main(int, char *[]);
static void	reload_app_dir(const char *, char *, size_t);
static int	reload_app_cgi(const char *);
static int	reload_app_fcgi(const char *);

/* The last component of path's directory into out ("-" when none). */
static void
reload_app_dir(const char *path, char *out, size_t len)
{
	const char	*end, *start;

	snprintf(out, len, "-");
	if (path == NULL || (end = strrchr(path, '/')) == NULL || end == path)
		return;
	for (start = end; start > path && start[-1] != '/'; start--)
		continue;
	snprintf(out, len, "%.*s", (int)(end - start), start);
}

static int
reload_app_cgi(const char *argv0)
{
	const char	*q = getenv("QUERY_STRING");
	char		 dir[256], body[RELOAD_APP_MAX];
	int		 n;

	reload_app_dir(argv0, dir, sizeof(dir));
	n = snprintf(body, sizeof(body), "Content-Type: text/plain\r\n\r\n"
	    "cgi %s - %s\n", dir, q != NULL ? q : "");
	if (n < 0 || (size_t)n >= sizeof(body))
		return EXIT_FAILURE;
	return write(STDOUT_FILENO, body, (size_t)n) == n ? EXIT_SUCCESS :
	    EXIT_FAILURE;
}

static int
reload_app_fcgi(const char *arg)
{
	FCGX_Request	 r;
	const char	*q;
	long		 pid = (long)getpid();

	if (FCGX_InitRequest(&r, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&r) >= 0) {
		q = FCGX_GetParam("QUERY_STRING", r.envp);
		FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\n"
		    "pool %s %ld %s\n", arg, pid, q != NULL ? q : "");
		FCGX_Finish_r(&r);
	}
	return EXIT_SUCCESS;
}

int
main(int argc, char *argv[])
{
	if (FCGX_Init() != 0)
		return EXIT_FAILURE;
	if (FCGX_IsCGI())
		return reload_app_cgi(argc > 0 ? argv[0] : NULL);
	return reload_app_fcgi(argc > 1 ? argv[1] : "-");
}
