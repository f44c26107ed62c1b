/*
 * sockpair_rtt: request/response round trips per second over a Unix stream
 * socket pair between two processes: the parent writes a small request, the
 * child reads it and writes a small response back, for a bounded time
 * (-t seconds, default 3).  Prints "socketpair round trips: RATE/s".
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RTT_REQ		64	/* bytes in a request */
#define RTT_RESP	128	/* bytes in a response */

int		main(int, char **);
static double	rtt_now(void);
static int	rtt_full(int, char *, size_t, int);
static void	rtt_echo(int);

static double
rtt_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads (wr == 0) or writes all len bytes; 0 on success, -1 on EOF/error. */
static int
rtt_full(int fd, char *p, size_t len, int wr)
{
	ssize_t	n;

	while (len > 0) {
		n = wr ? write(fd, p, len) : read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child: answers every request until EOF. */
static void
rtt_echo(int fd)
{
	char	req[RTT_REQ], resp[RTT_RESP];

	memset(resp, 'r', sizeof(resp));
	while (rtt_full(fd, req, sizeof(req), 0) == 0)
		if (rtt_full(fd, resp, sizeof(resp), 1) == -1)
			break;
	_exit(0);
}

int
main(int argc, char **argv)
{
	char		req[RTT_REQ], resp[RTT_RESP];
	unsigned long	n = 0;
	double		secs = 3, start, end, now;
	pid_t		pid;
	int		sv[2], status;

	if (argc == 3 && strcmp(argv[1], "-t") == 0 &&
	    strlen(argv[2]) == 1 && argv[2][0] >= '1' && argv[2][0] <= '9')
		secs = argv[2][0] - '0';
	else if (argc != 1) {
		fprintf(stderr, "usage: sockpair_rtt [-t 1..9]\n");
		return EXIT_FAILURE;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return EXIT_FAILURE;
	if ((pid = fork()) == -1)
		return EXIT_FAILURE;
	if (pid == 0) {
		close(sv[0]);
		rtt_echo(sv[1]);
	}
	close(sv[1]);
	memset(req, 'q', sizeof(req));
	start = rtt_now();
	end = start + secs;
	now = start;
	while (now < end) {
		if (rtt_full(sv[0], req, sizeof(req), 1) == -1 ||
		    rtt_full(sv[0], resp, sizeof(resp), 0) == -1)
			return EXIT_FAILURE;
		if ((++n & 255) == 0)
			now = rtt_now();
	}
	now = rtt_now();
	close(sv[0]);
	waitpid(pid, &status, 0);
	printf("socketpair round trips: %.1f/s\n", (double)n / (now - start));
	return EXIT_SUCCESS;
}
