#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

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

static int	spawn_plan_stdio(const struct spawn_req *r, int avoid,
		    struct spawn_plan *p);
static void	spawn_plan_add(struct spawn_plan *p, int from, int fd);
static int	spawn_file_actions(const struct spawn_req *r,
		    const struct spawn_plan *p, posix_spawn_file_actions_t *fa);
static int	spawn_attr(const struct spawn_req *r, posix_spawnattr_t *sa);
static pid_t	spawn_posix(const struct spawn_req *r);
static pid_t	spawn_fork(const struct spawn_req *r);
static void	spawn_child(const struct spawn_req *r,
		    const struct spawn_plan *p, int report)
		    __attribute__((noreturn));

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

static int
spawn_file_actions(const struct spawn_req *r, const struct spawn_plan *p,
    posix_spawn_file_actions_t *fa)
{
	int	 i, error;

	for (i = 0; i < p->n; i++) {
		if (p->ops[i].from == -1)
			error = posix_spawn_file_actions_addclose(fa,
			    p->ops[i].fd);
		else
			error = posix_spawn_file_actions_adddup2(fa,
			    p->ops[i].from, p->ops[i].fd);
		if (error != 0)
			return error;
	}
	if (r->cwd != NULL &&
	    (error = posix_spawn_file_actions_addchdir_np(fa, r->cwd)) != 0)
		return error;
	return 0;
}

/*
 * Empty signal mask; every signal back to its default action (an ignored
 * SIGPIPE would otherwise survive exec); the child's own process group.
 */
static int
spawn_attr(const struct spawn_req *r, posix_spawnattr_t *sa)
{
	sigset_t	 set;
	short		 flags;
	int		 error;

	flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (r->new_pgrp)
		flags |= POSIX_SPAWN_SETPGROUP;
	if ((error = posix_spawnattr_setflags(sa, flags)) != 0)
		return error;
	sigemptyset(&set);
	if ((error = posix_spawnattr_setsigmask(sa, &set)) != 0)
		return error;
	/* SIGKILL and SIGSTOP cannot be caught; the child skips them. */
	sigfillset(&set);
	sigdelset(&set, SIGKILL);
	sigdelset(&set, SIGSTOP);
	if ((error = posix_spawnattr_setsigdefault(sa, &set)) != 0)
		return error;
	if (r->new_pgrp &&
	    (error = posix_spawnattr_setpgroup(sa, 0)) != 0)
		return error;
	return 0;
}

/* The fast path, for a child that keeps our ids. */
static pid_t
spawn_posix(const struct spawn_req *r)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 sa;
	struct spawn_plan		 plan;
	pid_t				 pid;
	int				 error;

	if ((error = spawn_plan_stdio(r, -1, &plan)) != 0) {
		errno = error;
		return -1;
	}
	if ((error = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = error;
		return -1;
	}
	if ((error = posix_spawnattr_init(&sa)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = error;
		return -1;
	}
	if ((error = spawn_file_actions(r, &plan, &fa)) == 0 &&
	    (error = spawn_attr(r, &sa)) == 0)
		error = posix_spawn(&pid, r->path, &fa, &sa, r->argv, r->envp);
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	if (error != 0) {
		errno = error;
		return -1;
	}
	return pid;
}

/*
 * The child of spawn_fork: what posix_spawn does (default dispositions
 * while every signal is still blocked, process group, stdio, chdir, empty
 * mask, exec) with the switch of ids before the chdir.  Only
 * async-signal-safe calls.  Any failure is written to report as an errno
 * and ends the child; a successful exec closes report (close-on-exec).
 */
static void
spawn_child(const struct spawn_req *r, const struct spawn_plan *p, int report)
{
	struct sigaction	 sa;
	sigset_t		 set;
	ssize_t			 n;
	int			 sig, i, error;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* glibc's internal signals refuse with EINVAL: that is fine. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	if (r->new_pgrp && setpgid(0, 0) == -1)
		goto fail;
	for (i = 0; i < p->n; i++) {
		if (p->ops[i].from == -1)
			(void)close(p->ops[i].fd);
		else if (dup2(p->ops[i].from, p->ops[i].fd) == -1)
			goto fail;
	}
	if (r->set_ids && (setgroups(1, &r->gid) == -1 ||
	    setgid(r->gid) == -1 || setuid(r->uid) == -1))
		goto fail;
#ifdef __linux__
	/* After the ids: changing them clears the setting. */
	if (r->death_sig > 0) {
		if (prctl(PR_SET_PDEATHSIG, r->death_sig) == -1)
			goto fail;
		if (getppid() != p->parent)
			_exit(0);	/* the parent died meanwhile */
	}
#endif
	if (r->cwd != NULL && chdir(r->cwd) == -1)
		goto fail;
	sigemptyset(&set);
	if (sigprocmask(SIG_SETMASK, &set, NULL) == -1)
		goto fail;
	execve(r->path, r->argv, r->envp);
fail:
	error = errno;
	n = write(report, &error, sizeof(error));
	(void)n;		/* nobody left to tell */
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
	plan.parent = getpid();
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		spawn_child(r, &plan, report[1]);
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

pid_t
spawn_process(const struct spawn_req *r)
{
	if ((r->set_ids && (geteuid() == 0 || r->uid != geteuid() ||
	    r->gid != getegid())) || r->death_sig > 0)
		return spawn_fork(r);
	return spawn_posix(r);
}
