/*
 * hijack_client: the client side of the hijack benchmark (bench/run.sh).
 *
 *   hijack_client rate PORT SECONDS
 *       whole hijacks, one connection after the other, against
 *       hijack_app's /hijack behind ferryd on 127.0.0.1:PORT; prints
 *       "hijacks/s N"
 *   hijack_client echo PORT SECONDS SIZE
 *       one connection upgraded through ferryd (/echo), then SIZE-byte
 *       round trips on the hijacked socket for SECONDS; then the same
 *       against an echo served directly (a process forked from this
 *       program, like hijack_app a process of its own, with the same
 *       read/write loop, no ferryd); prints
 *       "echo-rtt/s hijacked N direct M ratio R"
 *
 * Round trips alternate hijacked and direct over several short rounds so
 * that both see the same machine.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS	6

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(int port)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
writeall(int fd, const void *p, size_t len)
{
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
readall(int fd, void *p, size_t len)
{
	char	*b = p;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, b, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One whole hijack: request, the app's answer, EOF. */
static int
one_hijack(int port)
{
	static const char req[] = "GET /h/hijack HTTP/1.1\r\nHost: b\r\n\r\n";
	char	 b[512];
	ssize_t	 n;
	int	 fd, got = 0;

	if ((fd = dial(port)) == -1)
		return -1;
	if (writeall(fd, req, sizeof(req) - 1) == -1) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, b, sizeof(b))) > 0)
		got += (int)n;
	close(fd);
	return got > 0 ? 0 : -1;
}

/* Upgrades a connection through ferryd: returns it after the 101 head. */
static int
upgrade(int port)
{
	static const char req[] = "GET /h/echo HTTP/1.1\r\nHost: b\r\n"
	    "Connection: Upgrade\r\nUpgrade: echo\r\n\r\n";
	char	 b[1024];
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = dial(port)) == -1)
		return -1;
	if (writeall(fd, req, sizeof(req) - 1) == -1)
		goto fail;
	/* The 101 head ends the bytes ferryd sends: read it to its end. */
	while (len < 4 || memcmp(b + len - 4, "\r\n\r\n", 4) != 0) {
		if (len == sizeof(b) || (n = read(fd, b + len, 1)) <= 0)
			goto fail;
		len++;
	}
	if (strncmp(b, "HTTP/1.1 101", 12) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void
direct_echo(int lfd)
{
	int	 fd, one = 1;
	char	 b[16384];
	ssize_t	 n;

	while ((fd = accept(lfd, NULL, NULL)) != -1) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		while ((n = read(fd, b, sizeof(b))) > 0)
			if (writeall(fd, b, (size_t)n) == -1)
				break;
		close(fd);
	}
}

/* Round trips of size bytes on fd for secs; returns their count. */
static long
trips(int fd, size_t size, double secs)
{
	char	*out = malloc(size), *in = malloc(size);
	double	 end = now() + secs;
	long	 n = 0;

	memset(out, 'x', size);
	while (now() < end) {
		if (writeall(fd, out, size) == -1 || readall(fd, in, size) == -1)
			break;
		n++;
	}
	free(out);
	free(in);
	return n;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	pid_t			 pid;
	double			 secs, t0, dt;
	long			 n, hj = 0, dr = 0;
	size_t			 size;
	int			 port, lfd, hfd, dfd, i;

	if (argc < 4) {
		fprintf(stderr, "usage: hijack_client rate PORT SECONDS | "
		    "echo PORT SECONDS SIZE\n");
		return 2;
	}
	port = atoi(argv[2]);
	secs = atof(argv[3]);
	if (strcmp(argv[1], "rate") == 0) {
		t0 = now();
		for (n = 0; (dt = now() - t0) < secs; n++)
			if (one_hijack(port) == -1) {
				fprintf(stderr, "hijack_client: a hijack "
				    "failed\n");
				return 1;
			}
		printf("hijacks/s %.0f\n", (double)n / dt);
		return 0;
	}
	if (strcmp(argv[1], "echo") != 0 || argc < 5)
		return 2;
	size = (size_t)atol(argv[4]);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 8) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1)
		return 1;
	if ((pid = fork()) == -1)
		return 1;
	if (pid == 0) {
		direct_echo(lfd);
		_exit(0);
	}
	close(lfd);
	if ((hfd = upgrade(port)) == -1 ||
	    (dfd = dial(ntohs(sin.sin_port))) == -1) {
		fprintf(stderr, "hijack_client: cannot connect\n");
		return 1;
	}
	for (i = 0; i < ROUNDS; i++) {
		hj += trips(hfd, size, secs / ROUNDS);
		dr += trips(dfd, size, secs / ROUNDS);
	}
	printf("echo-rtt/s hijacked %.0f direct %.0f ratio %.2f\n",
	    (double)hj / secs, (double)dr / secs,
	    dr > 0 ? (double)hj / (double)dr : 0.0);
	close(hfd);
	close(dfd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
}
