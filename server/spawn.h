/*
 * The one helper that starts every child process (CGI scripts, pool
 * workers): signal mask and dispositions reset, stdio from the given fds,
 * a new process group, the app's user and group, a working directory,
 * ferryd's RLIMIT_NOFILE as it was at start, exactly the given
 * environment.
 */
#ifndef FERRY_SERVER_SPAWN_H
#define FERRY_SERVER_SPAWN_H

#include <sys/types.h>

#include <stdint.h>

struct sock_fprog;
struct sandbox;

struct spawn_req {
	const char	*path;		/* executable, absolute */
	char *const	*argv;
	char *const	*envp;
	const char	*cwd;		/* NULL: inherit */
	int		 fd_in, fd_out, fd_err;	/* become 0, 1, 2 */
	int		 new_pgrp;	/* setpgid(0, 0) in the child */
	int		 set_ids;	/* run as uid and gid (see below) */
	uid_t		 uid;
	gid_t		 gid;
	int		 death_sig;	/* > 0: the child gets it when the
					   spawning process dies (Linux) */
	const uint64_t	*limits;	/* NULL, or CONF_LIMITS resource
					   limits by enum conf_limit
					   (CONF_LIMIT_UNSET: inherited) */
	const struct sock_fprog *filter;	/* NULL, or a seccomp
					   filter the child installs
					   right before its exec */
	const struct sock_fprog *notify_filter;	/* NULL, or filter's
					   twin that reports denied calls
					   (filter_install) ... */
	int		 notify_fd;	/* ... with its listener sent on
					   this socket (notif_prepare) */
	const int	*cgroup_fds;	/* cgroup.procs files the child
					   writes itself to first */
	int		 ncgroup_fds;
	const struct sandbox *sandbox;	/* NULL, or the namespaces and
					   filesystem view the child
					   enters (server/sandbox.h);
					   path and cwd as ferryd sees
					   them */
};

/*
 * Starts the process and returns its pid, or -1 with errno set (also when
 * the exec itself failed: the error is reported here, not as a child that
 * exits 127; EBADF for a negative fd).  The stdio fds may be any of 0, 1,
 * 2 and may repeat.  Every other fd of the caller must be close-on-exec.
 * With set_ids the child takes gid as its only group (setgroups, setgid)
 * and uid (setuid) before its chdir and exec, so cwd and path must be
 * reachable by them.  That needs root (EPERM otherwise); a caller whose
 * effective ids are uid and gid already is left as it is (its groups
 * too: root running an app as root).
 * death_sig (long-lived children: pool workers) is set after the ids
 * change, which clears it; such a child that finds its parent gone
 * already exits at once.  Every child runs with no_new_privs (a setuid
 * program it runs gains nothing) and, after the ids change, with the
 * limits set (soft and hard alike; RLIMIT_CPU's hard limit a second
 * above, so that SIGXCPU comes first): a limit the child may not set
 * (a hard limit above its own) fails the spawn (EPERM).  The filter is
 * installed last, after no_new_privs, so that it applies to the exec and
 * everything after it; the kernel's refusal of it fails the spawn.  With
 * notify_filter, that is installed instead and its listener sent on
 * notify_fd (server/filter.h's filter_install).
 * First of all the child writes itself into each of the cgroup_fds
 * (cgroup.procs files, server/cgroup.c); a refusal fails the spawn.
 * A sandbox is entered (sandbox_enter) before the ids change; failing to
 * enter it fails the spawn.
 */
pid_t	spawn_process(const struct spawn_req *r);

/*
 * Sets every signal ferryd caught or ignored (spawn_signals_note; before
 * its first call, every signal) back to its default: async-signal-safe,
 * for a child of ferryd's (a spawned process, the spawner, a new master
 * at an upgrade) before it runs code of its own.
 */
void	spawn_signals_default(void);

/*
 * Notes which signals are caught or ignored now, so that a child resets
 * only those to the default (one system call each) instead of every
 * signal.  Call it once the process's dispositions are set, and again
 * after any change; until the first call every signal is reset.
 */
void	spawn_signals_note(void);

/*
 * The RLIMIT_NOFILE every child gets from now on (ferryd's own, as it was
 * before the master raised its soft limit): a child is not handed a
 * limit it did not ask for.  Until the first call it inherits ferryd's.
 */
struct rlimit;
void	spawn_nofile_note(const struct rlimit *rl);

#endif
