#include "config.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>

#include "server/spawn.h"

static int	spawn_file_actions(const struct spawn_req *r,
		    posix_spawn_file_actions_t *fa);
static int	spawn_attr(const struct spawn_req *r, posix_spawnattr_t *sa);

/*
 * The stdio dance, run in the child before exec.  A source that is
 * itself one of 0, 1, 2 could be overwritten by an earlier dup2 onto that
 * number (fd_in = 1, fd_out = 0), and a source equal to its target keeps
 * its FD_CLOEXEC under a plain dup2 onto itself.  So every source in
 * 0..2 is first copied to a temporary above 2 that is none of the
 * sources, then every target is dup2'd from its source (or temporary),
 * which always yields a fd without FD_CLOEXEC, and the temporaries are
 * closed.  Sources above 2 (the usual pipes) need no temporary: they are
 * never a target, and the same source for two targets is fine.
 */
static int
spawn_file_actions(const struct spawn_req *r, posix_spawn_file_actions_t *fa)
{
	int	 src[3], from[3], tmp[3], i, t, next = 3, error;

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
		for (t = next; t == src[0] || t == src[1] || t == src[2]; t++)
			;
		next = t + 1;
		tmp[i] = from[i] = t;
		if ((error = posix_spawn_file_actions_adddup2(fa, src[i], t))
		    != 0)
			return error;
	}
	for (i = 0; i < 3; i++)
		if ((error = posix_spawn_file_actions_adddup2(fa, from[i], i))
		    != 0)
			return error;
	for (i = 0; i < 3; i++)
		if (tmp[i] != -1 &&
		    (error = posix_spawn_file_actions_addclose(fa, tmp[i])) != 0)
			return error;
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

pid_t
spawn_process(const struct spawn_req *r)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 sa;
	pid_t				 pid;
	int				 error;

	if ((error = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = error;
		return -1;
	}
	if ((error = posix_spawnattr_init(&sa)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = error;
		return -1;
	}
	if ((error = spawn_file_actions(r, &fa)) == 0 &&
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
