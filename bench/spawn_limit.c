/*
 * spawn_limit: how many times per second this machine can start a program
 * and wait for it, by fork+exec+wait, vfork+exec+wait and posix_spawn+wait,
 * in one process and in two processes in parallel.  Each measurement runs
 * for a bounded time (-t seconds, default 3).  The program's output goes to
 * /dev/null.  Prints one line per method:
 *	METHOD  1: RATE/s  2: RATE/s
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum spawn_method { SPAWN_FORK, SPAWN_VFORK, SPAWN_POSIX };

int		main(int, char **);
static double	spawn_now(void);
static int	spawn_once(enum spawn_method, char **);
static int	spawn_loop(enum spawn_method, char **, double, int);
static double	spawn_measure(enum spawn_method, char **, double, int);
static int	spawn_seconds(const char *, double *);

static char	*spawn_env[] = {
	"PATH=/usr/bin:/bin",
	"GATEWAY_INTERFACE=CGI/1.1",
	"REQUEST_METHOD=GET",
	"QUERY_STRING=",
	NULL
};

static double
spawn_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts argv[0] once by the method and waits for it; 0 if it exited 0. */
static int
spawn_once(enum spawn_method m, char **argv)
{
	pid_t	pid = -1;
	int	status;

	switch (m) {
	case SPAWN_FORK:
		pid = fork();
		if (pid == 0) {
			execve(argv[0], argv, spawn_env);
			_exit(127);
		}
		break;
	case SPAWN_VFORK:
		pid = vfork();
		if (pid == 0) {
			execve(argv[0], argv, spawn_env);
			_exit(127);
		}
		break;
	case SPAWN_POSIX:
		if (posix_spawn(&pid, argv[0], NULL, NULL, argv,
		    spawn_env) != 0)
			pid = -1;
		break;
	}
	if (pid == -1)
		return -1;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Spawns until the deadline, writes the count to fd; the process exits. */
static int
spawn_loop(enum spawn_method m, char **argv, double end, int fd)
{
	unsigned long	n = 0;
	int		null;

	if ((null = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(null, STDOUT_FILENO) == -1)
		return -1;
	close(null);
	while (spawn_now() < end) {
		if (spawn_once(m, argv) == -1)
			return -1;
		n++;
	}
	return write(fd, &n, sizeof(n)) == (ssize_t)sizeof(n) ? 0 : -1;
}

/* Runs procs spawning processes for secs; returns spawns per second or -1. */
static double
spawn_measure(enum spawn_method m, char **argv, double secs, int procs)
{
	unsigned long	total = 0, n;
	double		start, end;
	pid_t		pids[2];
	int		fds[2], i, status, ok = 1;

	if (pipe(fds) == -1)
		return -1;
	start = spawn_now();
	end = start + secs;
	for (i = 0; i < procs; i++) {
		if ((pids[i] = fork()) == -1)
			return -1;
		if (pids[i] == 0) {
			close(fds[0]);
			_exit(spawn_loop(m, argv, end, fds[1]) == 0 ? 0 : 1);
		}
	}
	close(fds[1]);
	for (i = 0; i < procs; i++) {
		if (read(fds[0], &n, sizeof(n)) != (ssize_t)sizeof(n))
			ok = 0;
		else
			total += n;
	}
	close(fds[0]);
	for (i = 0; i < procs; i++)
		if (waitpid(pids[i], &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
	if (!ok)
		return -1;
	return (double)total / (spawn_now() - start);
}

/* Parses "N" or "N.N" seconds, 0.1 to 600. */
static int
spawn_seconds(const char *s, double *out)
{
	double	v = 0, scale = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && scale == 0) {
			scale = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (scale == 0) {
			v = v * 10 + (*s - '0');
			if (v > 600)
				return -1;
		} else {
			scale /= 10;
			v += (*s - '0') * scale;
		}
	}
	if (v < 0.1)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		enum spawn_method	 m;
		const char		*name;
	} methods[] = {
		{ SPAWN_FORK,	"fork+exec+wait" },
		{ SPAWN_VFORK,	"vfork+exec+wait" },
		{ SPAWN_POSIX,	"posix_spawn+wait" },
	};
	double	secs = 3, r1, r2;
	size_t	i;
	int	ch;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		if (ch != 't' || spawn_seconds(optarg, &secs) == -1) {
			fprintf(stderr, "usage: spawn_limit [-t SECONDS] "
			    "PROGRAM [ARG...]\n");
			return EXIT_FAILURE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fprintf(stderr, "usage: spawn_limit [-t SECONDS] "
		    "PROGRAM [ARG...]\n");
		return EXIT_FAILURE;
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		r1 = spawn_measure(methods[i].m, argv, secs, 1);
		r2 = spawn_measure(methods[i].m, argv, secs, 2);
		if (r1 < 0 || r2 < 0) {
			printf("%-17s failed: could not run %s\n",
			    methods[i].name, argv[0]);
			continue;
		}
		printf("%-17s 1: %.1f/s 2: %.1f/s\n", methods[i].name, r1, r2);
		fflush(stdout);
	}
	return EXIT_SUCCESS;
}
