/*
 * A CGI program for sandbox_test: what its process can see and do, one
 * body line per command of the query string (commands separated by '&',
 * each "NAME" or "NAME=ARG"; 0 for an errno: it succeeded).  Linked
 * statically, so that it runs alone in a chroot.
 *   ns=NAME        "ns NAME LINK": readlink of /proc/self/ns/NAME
 *   host           "host NAME": gethostname
 *   pid            "pid PID": getpid
 *   pids           "pids N P1 P2 ...": the pids listed in /proc
 *   connect=PORT   "connect PORT ERRNO": TCP to 127.0.0.1:PORT
 *   outside        "outside ERRNO": a non-blocking TCP connect to
 *                  192.0.2.1:80 (EINPROGRESS: a route out exists)
 *   write=PATH     "write PATH ERRNO": create and write PATH
 *   read=PATH      "read PATH ERRNO BYTES": open and read PATH
 *   ls=DIR         "ls DIR ERRNO N NAME...": DIR's entries but . and ..
 *   kill=PID       "kill PID ERRNO": kill(PID, 0)
 *   lo             "lo FLAGS": whether lo is up ("up" or "down")
 *   sleep=S        sleeps S seconds (no line)
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* errno of a call that returned rc (0 when it succeeded). */
static int
nsprobe_err(long rc)
{
	return rc == -1 ? errno : 0;
}

static int
nsprobe_connect(const char *addr, int port, int nonblock)
{
	struct sockaddr_in	sin;
	int			s, rc;

	if ((s = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK :
	    0), 0)) == -1)
		return errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	rc = nsprobe_err(connect(s, (struct sockaddr *)&sin, sizeof(sin)));
	close(s);
	return rc;
}

static void
nsprobe_ls(const char *dir, int numeric)
{
	struct dirent	*d;
	DIR		*dp;
	char		 names[4096];
	size_t		 len = 0;
	int		 n = 0;

	names[0] = '\0';
	if ((dp = opendir(dir)) == NULL) {
		if (numeric)
			printf("pids -1\n");
		else
			printf("ls %s %d 0\n", dir, errno);
		return;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (numeric && (d->d_name[0] < '0' || d->d_name[0] > '9'))
			continue;
		n++;
		if (len + strlen(d->d_name) + 2 < sizeof(names))
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, " %s", d->d_name);
	}
	closedir(dp);
	if (numeric)
		printf("pids %d%s\n", n, names);
	else
		printf("ls %s 0 %d%s\n", dir, n, names);
}

static void
nsprobe_run(char *cmd)
{
	char		*arg = strchr(cmd, '='), buf[256], path[64];
	struct ifreq	 ifr;
	ssize_t		 n;
	long		 total;
	int		 fd, s, e;

	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = "";
	if (strcmp(cmd, "ns") == 0) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", arg);
		n = readlink(path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		printf("ns %s %s\n", arg, n > 0 ? buf : "-");
	} else if (strcmp(cmd, "host") == 0) {
		if (gethostname(buf, sizeof(buf)) == -1)
			strcpy(buf, "-");
		printf("host %s\n", buf);
	} else if (strcmp(cmd, "pid") == 0)
		printf("pid %ld\n", (long)getpid());
	else if (strcmp(cmd, "pids") == 0)
		nsprobe_ls("/proc", 1);
	else if (strcmp(cmd, "connect") == 0)
		printf("connect %s %d\n", arg,
		    nsprobe_connect("127.0.0.1", atoi(arg), 0));
	else if (strcmp(cmd, "outside") == 0)
		printf("outside %d\n", nsprobe_connect("192.0.2.1", 80, 1));
	else if (strcmp(cmd, "write") == 0) {
		fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		e = nsprobe_err(fd);
		if (fd != -1) {
			e = nsprobe_err(write(fd, "x\n", 2));
			close(fd);
		}
		printf("write %s %d\n", arg, e);
	} else if (strcmp(cmd, "read") == 0) {
		total = 0;
		fd = open(arg, O_RDONLY | O_CLOEXEC);
		e = nsprobe_err(fd);
		while (fd != -1 && (n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		if (fd != -1 && n == -1)
			e = errno;
		if (fd != -1)
			close(fd);
		printf("read %s %d %ld\n", arg, e, total);
	} else if (strcmp(cmd, "ls") == 0)
		nsprobe_ls(arg, 0);
	else if (strcmp(cmd, "kill") == 0)
		printf("kill %s %d\n", arg, nsprobe_err(kill(atoi(arg), 0)));
	else if (strcmp(cmd, "lo") == 0) {
		memset(&ifr, 0, sizeof(ifr));
		strcpy(ifr.ifr_name, "lo");
		s = socket(AF_INET, SOCK_DGRAM, 0);
		printf("lo %s\n", s != -1 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
		    (ifr.ifr_flags & IFF_UP) ? "up" : "down");
		if (s != -1)
			close(s);
	} else if (strcmp(cmd, "sleep") == 0)
		sleep((unsigned int)atoi(arg));
	else
		printf("unknown %s\n", cmd);
}

int
main(void)
{
	const char	*q = getenv("QUERY_STRING");
	char		*copy, *p, *cmd;

	printf("Content-Type: text/plain\r\n\r\n");
	if (q == NULL || (copy = strdup(q)) == NULL)
		return 0;
	for (p = copy; (cmd = strsep(&p, "&")) != NULL;)
		if (*cmd != '\0')
			nsprobe_run(cmd);
	fflush(stdout);
	free(copy);
	return 0;
}
