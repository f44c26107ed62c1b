/*
 * A CGI program for isolation_test: tries calls a syscall_filter denies,
 * each harmless whatever the answer, and prints one body line per call,
 * "NAME ERRNO" (0: it succeeded), then the Seccomp line of
 * /proc/self/status (2: running under a filter).
 *   ptrace   PTRACE_ATTACH to a pid above pid_max (ESRCH unfiltered)
 *   unshare  unshare(0), which changes nothing (0 unfiltered)
 *   mount    a tmpfs on a directory that does not exist (ENOENT
 *            unfiltered)
 *   pidfd_getfd  a copy of its parent's (ferryd's) fd 0 (0 unfiltered,
 *            as root; the copy is closed)
 *   getpid   allowed by every filter (0)
 * then "self PID" and "listeners N": its own pid, and how many of its fds
 * are seccomp listeners (0: ferryd's never reach it).  With the query
 * string "flood=N" it makes N ptrace calls instead and prints "flood E",
 * E how many failed with EPERM, and its pid.  With "children=N" it
 * forks N children that, all started, make 10 ptrace calls each, and
 * prints "children E", E how many of those failed with EPERM.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int
sysprobe_err(long rc)
{
	return rc == -1 ? errno : 0;
}

/* pidfd_getfd of our parent's fd 0: 0 or an errno. */
static int
sysprobe_getfd(void)
{
	long	pidfd, fd;
	int	error;

	if ((pidfd = syscall(SYS_pidfd_open, getppid(), 0)) == -1)
		return errno;
	fd = syscall(SYS_pidfd_getfd, (int)pidfd, 0, 0);
	error = fd == -1 ? errno : 0;
	if (fd != -1)
		close((int)fd);
	close((int)pidfd);
	return error;
}

/* How many of our fds are seccomp listeners. */
static int
sysprobe_listeners(void)
{
	char		 path[300], link[256];
	DIR		*d;
	struct dirent	*e;
	ssize_t		 n;
	int		 count = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			if (strstr(link, "seccomp") != NULL)
				count++;
		}
	}
	closedir(d);
	return count;
}

/* n children, released together, 10 denied calls each: how many got
   EPERM, or -1. */
static long
sysprobe_children(long n)
{
	int	 go[2], st;
	long	 i, k, eperm = 0;
	char	 c;
	pid_t	 pid;

	if (pipe(go) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == -1)
			break;
		if (pid == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) == -1)
				_exit(0);
			for (k = 0; k < 10; k++)
				if (ptrace(PTRACE_ATTACH, (pid_t)0x7ffffffe,
				    NULL, NULL) == -1 && errno == EPERM)
					eperm++;
			_exit((int)eperm);
		}
	}
	close(go[0]);
	close(go[1]);		/* go */
	while (wait(&st) > 0)
		if (WIFEXITED(st))
			eperm += WEXITSTATUS(st);
	return i == n ? eperm : -1;
}

int
main(void)
{
	char		 line[256];
	const char	*q = getenv("QUERY_STRING");
	FILE		*fp;
	long		 i, n, eperm = 0;

	printf("Content-Type: text/plain\r\n\r\n");
	if (q != NULL && strncmp(q, "flood=", 6) == 0) {
		n = strtol(q + 6, NULL, 10);
		for (i = 0; i < n; i++)
			if (ptrace(PTRACE_ATTACH, (pid_t)0x7ffffffe, NULL,
			    NULL) == -1 && errno == EPERM)
				eperm++;
		printf("flood %ld\nself %d\n", eperm, (int)getpid());
		return 0;
	}
	if (q != NULL && strncmp(q, "children=", 9) == 0) {
		printf("children %ld\n", sysprobe_children(strtol(q + 9,
		    NULL, 10)));
		return 0;
	}
	printf("ptrace %d\n", sysprobe_err(ptrace(PTRACE_ATTACH,
	    (pid_t)0x7ffffffe, NULL, NULL)));
	printf("unshare %d\n", sysprobe_err(unshare(0)));
	printf("mount %d\n", sysprobe_err(mount("none",
	    "/nonexistent/ferry-sysprobe", "tmpfs", 0, NULL)));
	printf("pidfd_getfd %d\n", sysprobe_getfd());
	printf("getpid %d\n", sysprobe_err(getpid() > 0 ? 0 : -1));
	printf("self %d\nppid %d\nlisteners %d\n", (int)getpid(),
	    (int)getppid(), sysprobe_listeners());
	if ((fp = fopen("/proc/self/status", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (strncmp(line, "Seccomp:", 8) == 0)
				fputs(line, stdout);
		fclose(fp);
	}
	return 0;
}
