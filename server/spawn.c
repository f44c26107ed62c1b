#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/resource.h>
#endif

#include "server/cgroup.h"
#include "server/conf-t.h"
#include "server/filter.h"
#include "server/sandbox.h"
#include "server/spawn.h"

/*
 * What the child does to its fds before exec, worked out in the parent:
 * dup2(from, fd), or close(fd) when from is -1.
 */
#define SPAWN_MAX_OPS	9

struct spawn_plan {
	struct {
		int	 from;
		int	 fd;
	}		 ops[SPAWN_MAX_OPS];
	int		 n;
	pid_t		 parent;	/* the spawning process */
};

/* The RLIMIT_NOFILE a child gets (spawn_nofile_note). */
static struct rlimit	spawn_nofile;
static int	spawn_nofile_known;

/* The signals whose disposition is not the default (spawn_signals_note). */
static sigset_t	spawn_nondefault;
static int	spawn_nondefault_known;

static int	spawn_plan_stdio(const struct spawn_req *r, int avoid,
		    struct spawn_plan *p);
static void	spawn_plan_add(struct spawn_plan *p, int from, int fd);
static pid_t	spawn_fork(const struct spawn_req *r);
static pid_t	spawn_vfork(const struct spawn_req *r);
static void	spawn_child(const struct spawn_req *r,
		    const struct spawn_plan *p, int ids, int report,
		    volatile int *errp) __attribute__((noinline, noreturn));

static void
spawn_plan_add(struct spawn_plan *p, int from, int fd)
{
	p->ops[p->n].from = from;
	p->ops[p->n].fd = fd;
	p->n++;
}

/*
 * The stdio dance, run in the child before exec.  A source that is
 * itself one of 0, 1, 2 could be overwritten by an earlier dup2 onto that
 * number (fd_in = 1, fd_out = 0), and a source equal to its target keeps
 * its FD_CLOEXEC under a plain dup2 onto itself.  So every source in
 * 0..2 is first copied to a temporary above 2 that is none of the
 * sources (nor avoid, a fd the child still needs), then every target is
 * dup2'd from its source (or temporary), which always yields a fd without
 * FD_CLOEXEC, and the temporaries are closed.  Sources above 2 (the usual
 * pipes) need no temporary: they are never a target, and the same source
 * for two targets is fine.  Returns 0 or EBADF.
 */
static int
spawn_plan_stdio(const struct spawn_req *r, int avoid, struct spawn_plan *p)
{
	int	 src[3], from[3], tmp[3], i, t, next = 3;

	p->n = 0;
	src[0] = r->fd_in;
	src[1] = r->fd_out;
	src[2] = r->fd_err;
	for (i = 0; i < 3; i++) {
		if (src[i] < 0)
			return EBADF;
		tmp[i] = -1;
		from[i] = src[i];
	}
	for (i = 0; i < 3; i++) {
		if (src[i] > 2)
			continue;
		for (t = next; t == src[0] || t == src[1] || t == src[2] ||
		    t == avoid; t++)
			;
		next = t + 1;
		tmp[i] = from[i] = t;
		spawn_plan_add(p, src[i], t);
	}
	for (i = 0; i < 3; i++)
		spawn_plan_add(p, from[i], i);
	for (i = 0; i < 3; i++)
		if (tmp[i] != -1)
			spawn_plan_add(p, -1, tmp[i]);
	return 0;
}

/* The app's resource limits, in the child (async-signal-safe): 0, or -1
   with errno. */
static int
spawn_limits(const uint64_t *limits)
{
	struct rlimit		 rl;
	int			 i;

	for (i = 0; i < CONF_LIMITS; i++) {
		if (limits[i] == CONF_LIMIT_UNSET)
			continue;
		rl.rlim_cur = rl.rlim_max = (rlim_t)limits[i];
		if (i == CONF_LIMIT_CPU)
			rl.rlim_max++;	/* SIGXCPU first, then SIGKILL */
		if (setrlimit(conf_limit_rlimit[i], &rl) == -1)
			return -1;
	}
	return 0;
}

/*
 * The child of spawn_fork and spawn_vfork: what posix_spawn does (default
 * dispositions while every signal is still blocked, process group, stdio,
 * chdir, empty mask, exec), with the switch of ids before the chdir when
 * ids is set.  Only async-signal-safe calls.  A failure ends the child with
 * its errno written to report, or stored at *errp (vfork: our memory is
 * the parent's, which waits); a successful exec closes report
 * (close-on-exec) and leaves *errp alone.
 */
static void
spawn_child(const struct spawn_req *r, const struct spawn_plan *p, int ids,
    int report, volatile int *errp)
{
	sigset_t		 set;
	ssize_t			 n;
	int			 i, error;

	spawn_signals_default();
	if (cgroup_child_join(r->cgroup_fds, r->ncgroup_fds) == -1)
		goto fail;
	if (r->new_pgrp && setpgid(0, 0) == -1)
		goto fail;
	for (i = 0; i < p->n; i++) {
		if (p->ops[i].from == -1)
			(void)close(p->ops[i].fd);
		else if (dup2(p->ops[i].from, p->ops[i].fd) == -1)
			goto fail;
	}
	if (sandbox_enter(r->sandbox) == -1)
		goto fail;
	if (ids && (setgroups(1, &r->gid) == -1 ||
	    setgid(r->gid) == -1 || setuid(r->uid) == -1))
		goto fail;
#ifdef __linux__
	/* After the ids: changing them clears the setting. */
	if (r->death_sig > 0) {
		if (prctl(PR_SET_PDEATHSIG,
		    sandbox_death_sig(r->sandbox, r->death_sig)) == -1)
			goto fail;
		if (getppid() != p->parent)
			_exit(0);	/* the parent died meanwhile */
	}
#endif
	if (r->cwd != NULL && chdir(sandbox_inside(r->sandbox, r->cwd)) == -1)
		goto fail;
	/* Lowering a soft limit cannot fail: a refusal is left alone. */
	if (spawn_nofile_known)
		(void)setrlimit(RLIMIT_NOFILE, &spawn_nofile);
	if (r->limits != NULL && spawn_limits(r->limits) == -1)
		goto fail;
#ifdef __linux__
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		goto fail;
#endif
	sigemptyset(&set);
	if (sigprocmask(SIG_SETMASK, &set, NULL) == -1)
		goto fail;
#ifdef __linux__
	/* Last: the filter may deny a call made above. */
	if (r->filter != NULL && filter_install(r->filter, r->notify_filter,
	    r->notify_filter != NULL ? r->notify_fd : -1) == -1)
		goto fail;
#endif
	execve(sandbox_inside(r->sandbox, r->path), r->argv, r->envp);
fail:
	error = errno;
	if (errp != NULL)
		*errp = error;
	else {
		n = write(report, &error, sizeof(error));
		(void)n;	/* nobody left to tell */
	}
	_exit(127);
}

/*
 * The path for a child that changes its ids, which posix_spawn cannot do.
 * A plain fork, not vfork: glibc's setuid and setgid signal every thread
 * of the process (its setxid broadcast), which a vfork child, sharing our
 * memory, must not do.  Every signal stays blocked across the fork so that
 * no handler of ours runs in the child.  The child reports a failure on a
 * close-on-exec pipe, and a failed child is reaped here.
 */
static pid_t
spawn_fork(const struct spawn_req *r)
{
	struct spawn_plan	 plan;
	sigset_t		 all, old;
	pid_t			 pid;
	ssize_t			 n;
	int			 report[2], fd, error, saved;

	if (pipe2(report, O_CLOEXEC) == -1)
		return -1;
	/* The write end must not be one of the stdio targets. */
	if (report[1] <= 2) {
		if ((fd = fcntl(report[1], F_DUPFD_CLOEXEC, 3)) == -1) {
			saved = errno;
			close(report[0]);
			close(report[1]);
			errno = saved;
			return -1;
		}
		close(report[1]);
		report[1] = fd;
	}
	if ((error = spawn_plan_stdio(r, report[1], &plan)) != 0) {
		close(report[0]);
		close(report[1]);
		errno = error;
		return -1;
	}
	plan.parent = sandbox_parent(r->sandbox);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = sandbox_fork(r->sandbox);
	if (pid == 0)
		spawn_child(r, &plan, r->set_ids, report[1], NULL);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(report[1]);
	if (pid == -1) {
		close(report[0]);
		errno = saved;
		return -1;
	}
	do
		n = read(report[0], &error, sizeof(error));
	while (n == -1 && errno == EINTR);
	close(report[0]);
	if (n != (ssize_t)sizeof(error))
		return pid;		/* EOF: the exec happened */
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	errno = error;
	return -1;
}

/*
 * The path for every other child: vfork, which neither copies our page
 * tables nor maps a stack for the child (glibc's posix_spawn maps one per
 * call and unmaps it after, a TLB shootdown each time).  The child runs
 * on our stack, in our memory, while we wait for its exec or _exit: every
 * signal stays blocked across the vfork so that no handler of ours runs
 * in the child, and the child touches nothing of ours but error (and its
 * own frames below ours).  Its signal dispositions, process group, fds and
 * working directory are its own (vfork shares only memory).
 */
static pid_t
spawn_vfork(const struct spawn_req *r)
{
	struct spawn_plan	 plan;
	sigset_t		 all, old;
	volatile int		 error = 0;
	pid_t			 pid;
	int			 saved;

	if ((saved = spawn_plan_stdio(r, -1, &plan)) != 0) {
		errno = saved;
		return -1;
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0)
		spawn_child(r, &plan, 0, -1, &error);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		errno = saved;
		return -1;
	}
	if (error != 0) {
		/* The child ended before its exec: reap it here. */
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		errno = error;
		return -1;
	}
	return pid;
}

void
spawn_signals_default(void)
{
	struct sigaction	sa;
	int			sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* glibc's internal signals refuse with EINVAL: that is fine.  A
	   system call each is much of a spawn's cost on some machines: with
	   the parent's list, only the signals it changed. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP &&
		    (!spawn_nondefault_known ||
		    sigismember(&spawn_nondefault, sig) == 1))
			(void)sigaction(sig, &sa, NULL);
}

void
spawn_signals_note(void)
{
	struct sigaction	sa;
	int			sig;

	sigemptyset(&spawn_nondefault);
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			sigaddset(&spawn_nondefault, sig);
	spawn_nondefault_known = 1;
}

void
spawn_nofile_note(const struct rlimit *rl)
{
	spawn_nofile = *rl;
	spawn_nofile_known = 1;
}

pid_t
spawn_process(const struct spawn_req *r)
{
	if ((r->set_ids && (r->uid != geteuid() || r->gid != getegid())) ||
	    r->death_sig > 0 || sandbox_own_pids(r->sandbox))
		return spawn_fork(r);
	return spawn_vfork(r);
}
