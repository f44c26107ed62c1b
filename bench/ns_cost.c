/*
 * ns_cost: what each namespace setting of ferry.conf(5) adds to starting
 * a process (issue 17), as root: a child that does the step and exits,
 * waited for, N times (-n, default 2000) per step.  Prints one line per
 * step, microseconds per process:
 *	STEP  US
 * fork                    fork + _exit + wait (the base)
 * setns net               + setns into one shared network namespace
 * setns net ipc uts mnt   + setns into four shared namespaces (ferry's
 *                         private_network, _ipc, _uts, read_only)
 * unshare net             + a network namespace of its own (what ferry
 *                         does not do per process)
 * newpid + mnt + /proc    clone(CLONE_NEWPID) + a mount namespace and a
 *                         /proc of its own (ferry's private_pids)
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum ns_step { NS_FORK, NS_SETNS_NET, NS_SETNS_ALL, NS_UNSHARE_NET,
	NS_PIDS, NS_STEPS };

static const char *const ns_names[NS_STEPS] = { "fork", "setns net",
	"setns net ipc uts mnt", "unshare net", "newpid + mnt + /proc" };
static const int ns_flags[4] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
	CLONE_NEWNS };
static int	ns_fds[4];

int		main(int, char **);
static double	ns_now(void);
static int	ns_child(enum ns_step);
static int	ns_shared(void);

static double
ns_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The step, in the child: 0, or 1 when it failed. */
static int
ns_child(enum ns_step step)
{
	int	i;

	switch (step) {
	case NS_SETNS_NET:
		return setns(ns_fds[0], CLONE_NEWNET) == -1;
	case NS_SETNS_ALL:
		for (i = 0; i < 4; i++)
			if (setns(ns_fds[i], ns_flags[i]) == -1)
				return 1;
		return 0;
	case NS_UNSHARE_NET:
		return unshare(CLONE_NEWNET) == -1;
	case NS_PIDS:
		return unshare(CLONE_NEWNS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == -1 ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, NULL) == -1;
	default:
		return 0;
	}
}

/* Four shared namespaces, as ferry makes them: a helper unshares them,
   their fds are kept, the helper goes.  0, or -1. */
static int
ns_shared(void)
{
	static const char *const files[4] = { "net", "ipc", "uts", "mnt" };
	char	path[64], c;
	int	ready[2], i;
	pid_t	pid;

	if (pipe(ready) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		close(ready[0]);
		if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
		    CLONE_NEWNS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == -1)
			_exit(1);
		(void)write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (pid == -1 || read(ready[0], &c, 1) != 1)
		return -1;
	close(ready[0]);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", (long)pid,
		    files[i]);
		if ((ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return -1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

int
main(int argc, char **argv)
{
	enum ns_step	 step;
	double		 t0;
	pid_t		 pid;
	int		 n = 2000, i, status, opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || (n = atoi(optarg)) <= 0) {
			fprintf(stderr, "usage: ns_cost [-n RUNS]\n");
			return 2;
		}
	}
	if (geteuid() != 0 || ns_shared() == -1) {
		fprintf(stderr, "ns_cost: needs root (namespaces)\n");
		return 1;
	}
	for (step = 0; step < NS_STEPS; step++) {
		t0 = ns_now();
		for (i = 0; i < n; i++) {
			pid = step == NS_PIDS ? (pid_t)syscall(SYS_clone,
			    CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL) :
			    fork();
			if (pid == 0)
				_exit(ns_child(step));
			if (pid == -1 || waitpid(pid, &status, 0) != pid ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "ns_cost: %s failed\n",
				    ns_names[step]);
				return 1;
			}
		}
		printf("%-22s %6.0f\n", ns_names[step],
		    (ns_now() - t0) / n * 1e6);
	}
	return 0;
}
