/*
 * whoami: a libfcgi program that says who it runs as, for the tests of
 * user and group.  Answers every request with its pid in X-Pid and
 * text/plain lines:
 *
 *	uid=U euid=U gid=G egid=G
 *	groups=G1,G2,...	(getgroups; empty after "groups=" when none)
 *	cwd=PATH
 *	sockdir=N		(errno of opening the directory of the
 *				 listening socket's path; 0 when it opened)
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WHOAMI_MAX_GROUPS	256

int		main(void);
static int	whoami_sockdir(void);

/* Opens the directory of fd 0's socket path; returns 0 or the errno. */
static int
whoami_sockdir(void)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof(sun);
	char			*slash;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	if (getsockname(0, (struct sockaddr *)&sun, &len) == -1)
		return errno;
	if (sun.sun_family != AF_UNIX ||
	    len <= (socklen_t)offsetof(struct sockaddr_un, sun_path))
		return EINVAL;
	sun.sun_path[sizeof(sun.sun_path) - 1] = '\0';
	if ((slash = strrchr(sun.sun_path, '/')) == NULL ||
	    slash == sun.sun_path)
		return EINVAL;
	*slash = '\0';
	if ((fd = open(sun.sun_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return errno;
	close(fd);
	return 0;
}

int
main(void)
{
	FCGX_Request	 req;
	gid_t		 groups[WHOAMI_MAX_GROUPS];
	char		 cwd[PATH_MAX];
	int		 n, i;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_FPrintF(req.out, "Content-Type: text/plain\r\n"
		    "X-Pid: %ld\r\n\r\n"
		    "uid=%lu euid=%lu gid=%lu egid=%lu\ngroups=",
		    (long)getpid(),
		    (unsigned long)getuid(), (unsigned long)geteuid(),
		    (unsigned long)getgid(), (unsigned long)getegid());
		n = getgroups(WHOAMI_MAX_GROUPS, groups);
		for (i = 0; i < n; i++)
			FCGX_FPrintF(req.out, "%s%lu", i > 0 ? "," : "",
			    (unsigned long)groups[i]);
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			strcpy(cwd, "?");
		FCGX_FPrintF(req.out, "\ncwd=%s\nsockdir=%d\n", cwd,
		    whoami_sockdir());
		FCGX_Finish_r(&req);
	}
	return EXIT_SUCCESS;
}
