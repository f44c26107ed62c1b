/*
 * A CGI program for isolation_test: tries calls a syscall_filter denies,
 * each harmless whatever the answer, and prints one body line per call,
 * "NAME ERRNO" (0: it succeeded), then the Seccomp line of
 * /proc/self/status (2: running under a filter).
 *   ptrace   PTRACE_ATTACH to a pid above pid_max (ESRCH unfiltered)
 *   unshare  unshare(0), which changes nothing (0 unfiltered)
 *   mount    a tmpfs on a directory that does not exist (ENOENT
 *            unfiltered)
 *   getpid   allowed by every filter (0)
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <unistd.h>

static int
sysprobe_err(long rc)
{
	return rc == -1 ? errno : 0;
}

int
main(void)
{
	char	 line[256];
	FILE	*fp;

	printf("Content-Type: text/plain\r\n\r\n");
	printf("ptrace %d\n", sysprobe_err(ptrace(PTRACE_ATTACH,
	    (pid_t)0x7ffffffe, NULL, NULL)));
	printf("unshare %d\n", sysprobe_err(unshare(0)));
	printf("mount %d\n", sysprobe_err(mount("none",
	    "/nonexistent/ferry-sysprobe", "tmpfs", 0, NULL)));
	printf("getpid %d\n", sysprobe_err(getpid() > 0 ? 0 : -1));
	if ((fp = fopen("/proc/self/status", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (strncmp(line, "Seccomp:", 8) == 0)
				fputs(line, stdout);
		fclose(fp);
	}
	return 0;
}
