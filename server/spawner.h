/*
 * The spawner: a process forked from the master that starts the CGI
 * scripts of an app without a sandbox.  Under syscall_filter it runs
 * under the filter (its reporting twin, with one seccomp listener sent to
 * the master), and the scripts inherit the filter from it: installing a
 * filter costs each process the kernel's check, translation and JIT
 * compilation of the program and a pass over every call number (about
 * 40 us of CPU a spawn); inheriting it costs a reference count.  And the
 * master does not wait for these spawns (a vfork waits for the exec; a
 * fork, for an app's user, copies the master's page tables): it sends
 * the request (the script's path, working directory, environment, ids,
 * limits, and its stdio and cgroup fds with SCM_RIGHTS) on a
 * SOCK_SEQPACKET pair and goes on; the spawner answers with the pid (or
 * the spawn's errno) and, later, each process's exit with its rusage
 * (wait4), in that order.
 *
 * A request that cannot be sent (the pair full, the request too large,
 * the spawner gone) is the caller's to spawn itself.  A spawner that dies
 * fails its pending spawns (ECHILD) and is started again at the next
 * request; the processes it started are the caller's to stop (their exits
 * will not come).
 */
#ifndef FERRY_SERVER_SPAWNER_H
#define FERRY_SERVER_SPAWNER_H

#include <sys/types.h>

struct master;
struct rusage;
struct sock_fprog;
struct spawn_req;
struct spawner;
struct stats_app;

/* The spawn's answer: pid, or -1 and error. */
typedef void	(*spawner_cb)(void *arg, pid_t pid, int error);

/* Callbacks of the spawner's user (server/cgi.c). */
struct spawner_ops {
	/* A process it started exited. */
	void	(*exited)(struct master *, pid_t, int status,
		    const struct rusage *);
	/* It died: none of its processes' exits will come. */
	void	(*lost)(struct master *, struct spawner *);
};

/*
 * Starts the spawner of the app called app (counting in st) under plain,
 * or its reporting twin notify with the listener handed to server/notif.c
 * (notif_take_shared); plain NULL: under no filter.  NULL after logging
 * why (the caller spawns itself then).
 */
struct spawner	*spawner_start(struct master *m,
		    const struct sock_fprog *plain,
		    const struct sock_fprog *notify,
		    const struct spawner_ops *ops, const char *app,
		    struct stats_app *st);

/* 1 while sp runs (a dead one waits for spawner_stop). */
int	spawner_alive(const struct spawner *sp);

/*
 * Sends spawn request r (no sandbox, no death signal; r's filter is
 * sp's, inherited, and is not installed again): 0, and cb(arg, ...) is called from
 * the loop once it is answered (cb is never called from here); or -1
 * with errno (EAGAIN, EMSGSIZE, EPIPE...): nothing was sent.  r's fds
 * stay the caller's.
 */
int	spawner_spawn(struct spawner *sp, const struct spawn_req *r,
	    spawner_cb cb, void *arg);

/* Stops sp (it exits when the pair closes) and frees it; pending
   spawns are not answered.  NULL: nothing. */
void	spawner_stop(struct spawner *sp);

#endif
