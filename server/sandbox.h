/*
 * The namespaces and filesystem view of an app's processes (issue 17,
 * parts 3 and 4): private_network, private_ipc, private_uts, read_only
 * with writable, private_tmp, hide_paths, chroot and private_pids.
 *
 * The namespaces an app's processes share (network, IPC, UTS, mounts) are
 * made once per app, when the app is installed (start, reload), by a
 * short-lived helper process that unshares and sets them up; the master
 * keeps them as fds of /proc/PID/ns/ and each child setns()es into them
 * between its fork and its exec.  private_pids gives each process a pid
 * namespace of its own instead: the spawn is a clone(CLONE_NEWPID) and
 * the child mounts its own /proc.
 */
#ifndef FERRY_SERVER_SANDBOX_H
#define FERRY_SERVER_SANDBOX_H

#include <sys/types.h>

#include <stddef.h>

struct conf_app;
struct sandbox;

/*
 * At load (ferryd -t too): 0 when ferryd can apply a's settings, or -1
 * with a message in err naming the setting: one that needs root while
 * ferryd is not root, a path that is not absolute or does not exist,
 * writable without read_only, a root or program outside chroot.
 */
int	sandbox_conf_check(const struct conf_app *a, char *err,
	    size_t errlen);

/*
 * The sandbox of a's processes, its shared namespaces made now: *out is
 * NULL when a asks for none.  0, or -1 after logging why (nothing is
 * left behind then).  The caller owns *out (sandbox_close).
 */
int	sandbox_open(const struct conf_app *a, struct sandbox **out);

/* Closes sb's namespace fds and frees it (NULL: nothing).  Processes
   running in its namespaces keep them. */
void	sandbox_close(struct sandbox *sb);

/*
 * For spawn.c, in the parent: fork(), or with private_pids a raw
 * clone(CLONE_NEWPID) that returns like fork (the child is pid 1 of its
 * own pid namespace).  sb may be NULL (a plain fork).
 */
pid_t	sandbox_fork(const struct sandbox *sb);

/* 1 when a child must come from sandbox_fork (private_pids), 0 when a
   vfork child may enter sb too: setns, chroot and mounts change nothing
   of the parent's, whose memory alone it shares. */
int	sandbox_own_pids(const struct sandbox *sb);

/* What getppid() returns in a child of sandbox_fork while its parent
   lives: 0 in a pid namespace of its own, else the caller's pid. */
pid_t	sandbox_parent(const struct sandbox *sb);

/* The death signal (PR_SET_PDEATHSIG) a child of sandbox_fork gets for
   sig: SIGKILL for a pid 1, which ignores any other signal it has no
   handler for (from ferryd too), else sig. */
int	sandbox_death_sig(const struct sandbox *sb, int sig);

/*
 * In the child (of sandbox_fork, or of a vfork without private_pids),
 * before it changes its ids: enters the
 * app's namespaces, with private_pids a mount namespace of its own with
 * a fresh /proc, and chroot.  Only async-signal-safe calls.  0, or -1
 * with errno set.  sb may be NULL (nothing to do).
 */
int	sandbox_enter(const struct sandbox *sb);

/* path (absolute, as ferryd sees it) as the child sees it after
   sandbox_enter: without chroot path itself, else the part under it.
   sb may be NULL; path may be NULL (returned as it is). */
const char *sandbox_inside(const struct sandbox *sb, const char *path);

#endif
