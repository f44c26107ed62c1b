#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/spawn.h"

#define SH	"/bin/sh"

/* What one child printed, and how it ended. */
struct sp_result {
	char	out[4096];
	char	err[4096];
	int	status;		/* from waitpid */
};

static void	sp_init(struct spawn_req *, const char *, char *const *,
		    char *const *, int);
static void	sp_ids_setup(void);
static void	sp_read_all(int, char *, size_t);
static void	sp_cloexec_all(void);
static void	sp_run(struct spawn_req *, const char *, struct sp_result *);
static void	sp_write_file(const char *, const char *, mode_t);
static uint64_t	sp_sigset_hex(const char *);
static void	sp_expect_fail(const struct spawn_req *, int);
static void	sp_handler(int);

/*
 * Expects the child side (chdir, exec) of r to fail with error.  glibc
 * reports that from posix_spawn itself; valgrind turns the CLONE_VFORK
 * into a plain fork, where the child can only exit 127, so under
 * valgrind that is accepted too.
 */
static void
sp_expect_fail(const struct spawn_req *r, int error)
{
	const char	*preload = getenv("LD_PRELOAD");
	pid_t		 pid;
	int		 status;

	errno = 0;
	pid = spawn_process(r);
	if (pid > 0 && preload != NULL && strstr(preload, "vgpreload") != NULL) {
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 127);
		return;
	}
	ck_assert_msg(pid == -1, "%s: started, want %s", r->path,
	    strerror(error));
	ck_assert_msg(errno == error, "%s: %s, want %s", r->path,
	    strerror(errno), strerror(error));
}

/* The 16 hex digits of a /proc/PID/status signal mask, then a newline. */
static uint64_t
sp_sigset_hex(const char *s)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 16; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= (uint64_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= (uint64_t)(s[i] - 'a' + 10);
		else
			ck_abort_msg("bad mask digit in %.16s", s);
	}
	ck_assert_int_eq(s[16], '\n');
	return v;
}

/*
 * A request with no cwd and no stdio yet.  In the "ids" test case
 * (FERRY_SPAWN_TEST_IDS set) it also asks for our own ids, which as root
 * takes the fork path of set_ids: every test then checks that path too.
 */
static void
sp_init(struct spawn_req *r, const char *path, char *const *argv,
    char *const *envp, int new_pgrp)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->argv = argv;
	r->envp = envp;
	r->cwd = NULL;
	r->fd_in = r->fd_out = r->fd_err = -1;
	r->new_pgrp = new_pgrp;
	if (getenv("FERRY_SPAWN_TEST_IDS") != NULL) {
		r->set_ids = 1;
		r->uid = geteuid();
		r->gid = getegid();
	}
}

/* The checked fixture of the "ids" case: runs in each test's process. */
static void
sp_ids_setup(void)
{
	ck_assert_int_eq(setenv("FERRY_SPAWN_TEST_IDS", "1", 1), 0);
}

/* Reads fd to EOF into buf (NUL-terminated) and closes it. */
static void
sp_read_all(int fd, char *buf, size_t size)
{
	size_t	 off = 0;
	ssize_t	 n;

	for (;;) {
		ck_assert_uint_lt(off, size - 1);
		n = read(fd, buf + off, size - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
}

/*
 * Makes every fd above 2 close-on-exec, as every fd of ferryd is, so that
 * what Check or the sanitizers left open without it does not show up in
 * a child's /proc/self/fd listing.
 */
static void
sp_cloexec_all(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, flags;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd <= 2 || fd == dirfd(d))
			continue;
		if ((flags = fcntl(fd, F_GETFD)) != -1)
			fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	}
	closedir(d);
}

/*
 * Runs r with fresh close-on-exec pipes as stdio, feeds it input (may be
 * NULL), collects stdout and stderr and waits for it.
 */
static void
sp_run(struct spawn_req *r, const char *input, struct sp_result *res)
{
	int	 in[2], out[2], err[2];
	pid_t	 pid;

	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	r->fd_in = in[0];
	r->fd_out = out[1];
	r->fd_err = err[1];
	pid = spawn_process(r);
	ck_assert_msg(pid > 0, "spawn %s: %s", r->path, strerror(errno));
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input != NULL)
		ck_assert_int_eq(write(in[1], input, strlen(input)),
		    (ssize_t)strlen(input));
	close(in[1]);
	sp_read_all(out[0], res->out, sizeof(res->out));
	sp_read_all(err[0], res->err, sizeof(res->err));
	ck_assert_int_eq(waitpid(pid, &res->status, 0), pid);
}

static void
sp_write_file(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

/* stdin, stdout and stderr are the given pipes; argv arrives as given. */
START_TEST(test_stdio)
{
	char *const		 argv[] = { "sh", "-c",
	    "read x; echo \"out:$x $0 $1\"; echo \"err:$x\" >&2; exit 3",
	    "zero", "one", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;

	sp_init(&r, SH, argv, envp, 0);
	sp_run(&r, "hello\n", &res);
	ck_assert_str_eq(res.out, "out:hello zero one\n");
	ck_assert_str_eq(res.err, "err:hello\n");
	ck_assert(WIFEXITED(res.status));
	ck_assert_int_eq(WEXITSTATUS(res.status), 3);
}
END_TEST

/* The environment is exactly envp: nothing of ours leaks in. */
START_TEST(test_env)
{
	char *const		 argv[] = { "env", NULL };
	char *const		 envp[] = { "A=1", "B=two words", NULL };
	char *const		 none[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;

	sp_init(&r, "/usr/bin/env", argv, envp, 0);
	ck_assert_int_eq(setenv("FERRY_SPAWN_TEST_LEAK", "1", 1), 0);
	sp_run(&r, NULL, &res);
	ck_assert_str_eq(res.out, "A=1\nB=two words\n");
	ck_assert_str_eq(res.err, "");
	ck_assert(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);

	r.envp = none;
	sp_run(&r, NULL, &res);
	ck_assert_str_eq(res.out, "");
	ck_assert(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
}
END_TEST

/* cwd is applied; a missing cwd fails the spawn with ENOENT. */
START_TEST(test_cwd)
{
	char *const		 argv[] = { "sh", "-c", "pwd", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	char			 tmpl[] = "/tmp/ferry-spawn-XXXXXX";
	char			 real[PATH_MAX], want[PATH_MAX + 2];
	char			*missing;

	sp_init(&r, SH, argv, envp, 0);
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, real));
	snprintf(want, sizeof(want), "%s\n", real);
	r.cwd = tmpl;
	sp_run(&r, NULL, &res);
	ck_assert_str_eq(res.out, want);
	ck_assert(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);

	ck_assert_int_ne(asprintf(&missing, "%s/missing", real), -1);
	r.cwd = missing;
	r.fd_in = 0;
	r.fd_out = 1;
	r.fd_err = 2;
	sp_expect_fail(&r, ENOENT);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	free(missing);
	ck_assert_int_eq(rmdir(real), 0);
}
END_TEST

/*
 * With new_pgrp the child leads its own group (pgid == pid); without it,
 * it stays in ours.  The shell reads its own /proc/self/stat with a
 * builtin, so no other process is involved.
 */
START_TEST(test_pgrp)
{
	char *const		 argv[] = { "sh", "-c",
	    "read pid comm state ppid pgrp rest < /proc/self/stat; "
	    "echo $pid $pgrp", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	char			 want[64];
	pid_t			 pid;
	int			 in[2], out[2];

	sp_init(&r, SH, argv, envp, 1);
	/* Run by hand to know the pid. */
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	r.fd_in = in[0];
	r.fd_out = r.fd_err = out[1];
	pid = spawn_process(&r);
	ck_assert_int_gt(pid, 0);
	close(in[0]);
	close(in[1]);
	close(out[1]);
	sp_read_all(out[0], res.out, sizeof(res.out));
	ck_assert_int_eq(waitpid(pid, &res.status, 0), pid);
	snprintf(want, sizeof(want), "%ld %ld\n", (long)pid, (long)pid);
	ck_assert_str_eq(res.out, want);

	r.new_pgrp = 0;
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	r.fd_in = in[0];
	r.fd_out = r.fd_err = out[1];
	pid = spawn_process(&r);
	ck_assert_int_gt(pid, 0);
	close(in[0]);
	close(in[1]);
	close(out[1]);
	sp_read_all(out[0], res.out, sizeof(res.out));
	ck_assert_int_eq(waitpid(pid, &res.status, 0), pid);
	snprintf(want, sizeof(want), "%ld %ld\n", (long)pid, (long)getpgrp());
	ck_assert_str_eq(res.out, want);
}
END_TEST

/*
 * The parent blocks SIGTERM and SIGUSR1 and ignores SIGPIPE and SIGHUP;
 * the child starts with an empty mask and nothing ignored.
 */
START_TEST(test_signals)
{
	char *const		 argv[] = { "grep", "-E", "^Sig(Blk|Ign)",
	    "/proc/self/status", NULL };
	char *const		 yes_argv[] = { "yes", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	sigset_t		 set;
	uint64_t		 blk, ign;
	pid_t			 pid;
	int			 out[2], status, sig;

	sp_init(&r, "/usr/bin/grep", argv, envp, 1);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	ck_assert_ptr_ne(signal(SIGPIPE, SIG_IGN), SIG_ERR);
	ck_assert_ptr_ne(signal(SIGHUP, SIG_IGN), SIG_ERR);

	sp_run(&r, NULL, &res);
	ck_assert(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
	ck_assert_int_eq(strlen(res.out), 2 * (8 + 16 + 1));
	ck_assert_int_eq(strncmp(res.out, "SigBlk:\t", 8), 0);
	ck_assert_int_eq(strncmp(res.out + 25, "SigIgn:\t", 8), 0);
	blk = sp_sigset_hex(res.out + 8);
	ign = sp_sigset_hex(res.out + 25 + 8);
	ck_assert_msg(blk == 0, "SigBlk %016llx", (unsigned long long)blk);
	/*
	 * glibc's posix_spawn sets its own internal signals (SIGCANCEL 32,
	 * SIGSETXID 33: those between 31 and SIGRTMIN) to SIG_IGN in every
	 * child, on purpose, and no public API reaches them.  Every signal
	 * an application can name must be back to SIG_DFL.
	 */
	for (sig = 32; sig < SIGRTMIN; sig++)
		ign &= ~((uint64_t)1 << (sig - 1));
	ck_assert_msg(ign == 0, "SigIgn %016llx", (unsigned long long)ign);

	/* And so a writer to a closed pipe dies of SIGPIPE, as it should. */
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	r.path = "/usr/bin/yes";
	r.argv = yes_argv;
	r.fd_in = 0;
	r.fd_out = out[1];
	r.fd_err = out[1];
	close(out[0]);
	pid = spawn_process(&r);
	ck_assert_int_gt(pid, 0);
	close(out[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGPIPE);
}
END_TEST

static void
sp_handler(int sig)
{
	(void)sig;
}

/*
 * After spawn_signals_note() the child resets exactly the signals that
 * were caught or ignored then: nothing noted stays ignored, a handler
 * becomes the default, and (the point of the note: one system call per
 * noted signal, not per signal) a signal ignored after the note is not
 * looked at.
 */
START_TEST(test_signals_noted)
{
	char *const		 argv[] = { "grep", "-E", "^Sig(Blk|Ign)",
	    "/proc/self/status", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	struct sigaction	 sa;
	uint64_t		 blk, ign;
	int			 sig;

	sp_init(&r, "/usr/bin/grep", argv, envp, 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sp_handler;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR2, &sa, NULL), 0);
	ck_assert_ptr_ne(signal(SIGPIPE, SIG_IGN), SIG_ERR);
	ck_assert_ptr_ne(signal(SIGHUP, SIG_IGN), SIG_ERR);
	spawn_signals_note();
	ck_assert_ptr_ne(signal(SIGWINCH, SIG_IGN), SIG_ERR);

	sp_run(&r, NULL, &res);
	ck_assert(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
	ck_assert_int_eq(strlen(res.out), 2 * (8 + 16 + 1));
	blk = sp_sigset_hex(res.out + 8);
	ign = sp_sigset_hex(res.out + 25 + 8);
	ck_assert_msg(blk == 0, "SigBlk %016llx", (unsigned long long)blk);
	for (sig = 32; sig < SIGRTMIN; sig++)
		ign &= ~((uint64_t)1 << (sig - 1));	/* glibc's own */
	ck_assert_msg(ign == (uint64_t)1 << (SIGWINCH - 1), "SigIgn %016llx",
	    (unsigned long long)ign);

	/* Noted again: SIGWINCH is reset as well. */
	spawn_signals_note();
	sp_run(&r, NULL, &res);
	ign = sp_sigset_hex(res.out + 25 + 8);
	for (sig = 32; sig < SIGRTMIN; sig++)
		ign &= ~((uint64_t)1 << (sig - 1));
	ck_assert_msg(ign == 0, "SigIgn %016llx", (unsigned long long)ign);
}
END_TEST

/* exec failures come back as -1 and errno, with no child left behind. */
START_TEST(test_exec_fail)
{
	char *const		 argv[] = { "x", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	char			 tmpl[] = "/tmp/ferry-spawn-XXXXXX";
	char			*noexec, *noformat;

	sp_init(&r, NULL, argv, envp, 0);
	r.fd_in = 0;
	r.fd_out = 1;
	r.fd_err = 2;
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_ne(asprintf(&noexec, "%s/noexec", tmpl), -1);
	ck_assert_int_ne(asprintf(&noformat, "%s/noformat", tmpl), -1);
	sp_write_file(noexec, "#!/bin/sh\n", 0644);
	sp_write_file(noformat, "no shebang, no ELF\n", 0755);

	/* A path that does not exist. */
	r.path = "/nonexistent/ferry/x";
	sp_expect_fail(&r, ENOENT);
	/* A file without execute permission. */
	r.path = noexec;
	sp_expect_fail(&r, EACCES);
	/* Executable, but in no format the kernel runs (no shell fallback). */
	r.path = noformat;
	sp_expect_fail(&r, ENOEXEC);
	/* A negative fd. */
	r.path = SH;
	r.fd_err = -1;
	errno = 0;
	ck_assert_int_eq(spawn_process(&r), -1);
	ck_assert_int_eq(errno, EBADF);

	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	unlink(noexec);
	unlink(noformat);
	rmdir(tmpl);
	free(noexec);
	free(noformat);
}
END_TEST

/*
 * close-on-exec fds of the parent do not reach the child: ls sees 0, 1, 2
 * and the fd it opened for the listing (3).
 */
START_TEST(test_no_leak)
{
	char *const		 argv[] = { "ls", "/proc/self/fd", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	int			 fds[4], p[2], i;

	sp_init(&r, "/bin/ls", argv, envp, 1);
	sp_cloexec_all();
	for (i = 0; i < 4; i++)
		ck_assert_int_ge(fds[i] = open("/dev/null",
		    O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	sp_run(&r, NULL, &res);
	ck_assert_str_eq(res.out, "0\n1\n2\n3\n");
	ck_assert_str_eq(res.err, "");
	ck_assert(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	close(p[0]);
	close(p[1]);
}
END_TEST

/*
 * stdio fds that already sit on 0, 1 or 2, possibly on each other's
 * number, possibly the same fd twice, and close-on-exec: the child still
 * gets each on the right number, and no temporary fd is left open.
 */
struct stdio_case {
	const char	*comment;
	int		 in_at, out_at, err_at;	/* where the parent puts
						   each pipe end; -1: leave
						   it above 2 */
	int		 shared;		/* stderr is stdout's fd */
};

static const struct stdio_case stdio_cases[] = {
	/* Every one already on its own number. */
	{ "identity", 0, 1, 2, 0 },
	/* stdin's fd sits on 1, stdout's on 0: a naive dup2 order breaks. */
	{ "swapped", 1, 0, 2, 0 },
	/* A rotation: each on the next one's number. */
	{ "rotated", 2, 0, 1, 0 },
	/* Only stdin on 0, the rest above 2. */
	{ "stdin on 0", 0, -1, -1, 0 },
	/* stdin's fd on 2, the others above. */
	{ "stdin on 2", 2, -1, -1, 0 },
	/* stdout and stderr the same fd, above 2. */
	{ "shared above 2", -1, -1, -1, 1 },
	/* stdout and stderr the same fd, on 1. */
	{ "shared on 1", 0, 1, 1, 1 },
	/* stdout and stderr the same fd, on 0, stdin on 2. */
	{ "shared on 0", 2, 0, 0, 1 },
};

START_TEST(test_stdio_numbers)
{
	const struct stdio_case	*c = &stdio_cases[_i];
	char *const		 argv[] = { "sh", "-c",
	    "read x; echo \"out:$x\"; echo \"err:$x\" >&2; "
	    "exec /bin/ls /proc/self/fd", NULL };
	char *const		 envp[] = { NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	int			 saved[3], in[2], out[2], err[2], i;
	pid_t			 pid;

	sp_init(&r, SH, argv, envp, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_ge(saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10), 0);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	sp_cloexec_all();

	r.fd_in = in[0];
	r.fd_out = out[1];
	r.fd_err = c->shared ? out[1] : err[1];
	/* Place the ends; the dup2'd copies get FD_CLOEXEC back. */
	if (c->in_at != -1) {
		ck_assert_int_eq(dup2(in[0], c->in_at), c->in_at);
		r.fd_in = c->in_at;
	}
	if (c->out_at != -1) {
		ck_assert_int_eq(dup2(out[1], c->out_at), c->out_at);
		r.fd_out = c->out_at;
	}
	if (c->err_at != -1) {
		if (c->err_at != c->out_at)
			ck_assert_int_eq(dup2(r.fd_err, c->err_at), c->err_at);
		r.fd_err = c->err_at;
	}
	for (i = 0; i < 3; i++)
		fcntl(i, F_SETFD, FD_CLOEXEC);

	pid = spawn_process(&r);

	/* Put our own stdio back before asserting anything. */
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	ck_assert_msg(pid > 0, "%s: spawn: %s", c->comment, strerror(errno));
	close(in[0]);
	close(out[1]);
	close(err[1]);
	ck_assert_int_eq(write(in[1], "hi\n", 3), 3);
	close(in[1]);
	sp_read_all(out[0], res.out, sizeof(res.out));
	sp_read_all(err[0], res.err, sizeof(res.err));
	ck_assert_int_eq(waitpid(pid, &res.status, 0), pid);
	ck_assert(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
	if (c->shared) {
		ck_assert_str_eq(res.out, "out:hi\nerr:hi\n0\n1\n2\n3\n");
		ck_assert_str_eq(res.err, "");
	} else {
		ck_assert_str_eq(res.out, "out:hi\n0\n1\n2\n3\n");
		ck_assert_str_eq(res.err, "err:hi\n");
	}
}
END_TEST

/*
 * set_ids (as root): the child runs with the given real and effective
 * uid and gid and that gid as its only group; the switch happens before
 * chdir and exec, so a cwd or program the new user cannot reach fails
 * the spawn with EACCES, reported as errno.
 */
struct ids_case {
	const char	*comment;
	const char	*user;		/* uid from this user; NULL: root */
	const char	*group;		/* gid from this group; NULL: the
					   user's primary group */
	int		 closed;	/* 1: cwd is a 0700 dir of root;
					   2: the program is in one */
	int		 error;		/* expected errno, 0: runs */
};

static const struct ids_case ids_cases[] = {
	/* nobody in its primary group. */
	{ "nobody", "nobody", NULL, 0, 0 },
	/* root in another group: the group alone changes. */
	{ "root, group daemon", NULL, "daemon", 0, 0 },
	/* nobody in a group that is not its primary one. */
	{ "nobody, group daemon", "nobody", "daemon", 0, 0 },
	/* root as root: its supplementary groups go too. */
	{ "root", NULL, NULL, 0, 0 },
	/* A cwd nobody cannot enter: chdir runs after the switch. */
	{ "nobody, closed cwd", "nobody", NULL, 1, EACCES },
	/* A program nobody cannot reach: so does exec. */
	{ "nobody, closed program", "nobody", NULL, 2, EACCES },
	/* root may enter the same directory. */
	{ "root, closed cwd", NULL, NULL, 1, 0 },
};

START_TEST(test_ids)
{
	const struct ids_case	*c = &ids_cases[_i];
	char *const		 argv[] = { "sh", "-c",
	    "echo $(id -u) $(id -ru) $(id -g) $(id -rg) $(id -G)", NULL };
	char *const		 envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	struct passwd		*pw;
	struct group		*gr;
	char			 tmpl[] = "/tmp/ferry-spawn-XXXXXX";
	char			 want[128], prog[64];
	uid_t			 uid = 0;
	gid_t			 gid = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: test_ids %s: needs root\n", c->comment);
		return;
	}
	if (c->user != NULL) {
		if ((pw = getpwnam(c->user)) == NULL) {
			fprintf(stderr, "SKIP: test_ids %s: no user %s\n",
			    c->comment, c->user);
			return;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (c->group != NULL) {
		if ((gr = getgrnam(c->group)) == NULL) {
			fprintf(stderr, "SKIP: test_ids %s: no group %s\n",
			    c->comment, c->group);
			return;
		}
		gid = gr->gr_gid;
	}
	sp_init(&r, SH, argv, envp, 0);
	r.set_ids = 1;
	r.uid = uid;
	r.gid = gid;
	ck_assert_ptr_nonnull(mkdtemp(tmpl));	/* mode 0700 */
	if (c->closed == 1)
		r.cwd = tmpl;
	if (c->closed == 2) {
		snprintf(prog, sizeof(prog), "%s/sh", tmpl);
		ck_assert_int_eq(link(SH, prog) == 0 || symlink(SH, prog) == 0,
		    1);
		r.path = prog;
	}
	if (c->error != 0) {
		r.fd_in = 0;
		r.fd_out = 1;
		r.fd_err = 2;
		sp_expect_fail(&r, c->error);
		ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
		ck_assert_int_eq(errno, ECHILD);
	} else {
		sp_run(&r, NULL, &res);
		snprintf(want, sizeof(want), "%lu %lu %lu %lu %lu\n",
		    (unsigned long)uid, (unsigned long)uid, (unsigned long)gid,
		    (unsigned long)gid, (unsigned long)gid);
		ck_assert_msg(strcmp(res.out, want) == 0, "%s: \"%s\", want "
		    "\"%s\" (stderr \"%s\")", c->comment, res.out, want,
		    res.err);
		ck_assert(WIFEXITED(res.status) &&
		    WEXITSTATUS(res.status) == 0);
	}
	if (c->closed == 2)
		unlink(prog);
	ck_assert_int_eq(rmdir(tmpl), 0);
}
END_TEST

/*
 * Not root: set_ids with our own ids changes nothing (and works); with
 * any other uid or gid the spawn fails with EPERM.
 */
START_TEST(test_ids_unprivileged)
{
	char *const		 argv[] = { "sh", "-c", "id -u", NULL };
	char *const		 envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn_req	 r;
	struct sp_result	 res;
	struct passwd		*pw;
	char			 want[32];

	if (geteuid() == 0) {
		/* Become nobody for this test's process only. */
		if ((pw = getpwnam("nobody")) == NULL) {
			fprintf(stderr, "SKIP: test_ids_unprivileged: no user "
			    "nobody\n");
			return;
		}
		ck_assert_int_eq(setgroups(1, &pw->pw_gid), 0);
		ck_assert_int_eq(setgid(pw->pw_gid), 0);
		ck_assert_int_eq(setuid(pw->pw_uid), 0);
	}
	sp_init(&r, SH, argv, envp, 0);
	r.set_ids = 1;
	r.uid = geteuid();
	r.gid = getegid();
	sp_run(&r, NULL, &res);
	snprintf(want, sizeof(want), "%lu\n", (unsigned long)geteuid());
	ck_assert_str_eq(res.out, want);

	r.fd_in = 0;
	r.fd_out = 1;
	r.fd_err = 2;
	r.uid = geteuid() + 1;
	sp_expect_fail(&r, EPERM);
	r.uid = geteuid();
	r.gid = getegid() + 1;
	sp_expect_fail(&r, EPERM);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("spawn");
	TCase	*tc = tcase_create("spawn");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_stdio);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_cwd);
	tcase_add_test(tc, test_pgrp);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_signals_noted);
	tcase_add_test(tc, test_exec_fail);
	tcase_add_test(tc, test_no_leak);
	tcase_add_loop_test(tc, test_stdio_numbers, 0,
	    (int)(sizeof(stdio_cases) / sizeof(stdio_cases[0])));
	suite_add_tcase(s, tc);

	/* The same tests through set_ids with our own ids: as root, the
	   fork path must keep every promise of the posix_spawn one. */
	tc = tcase_create("ids");
	tcase_add_checked_fixture(tc, sp_ids_setup, NULL);
	tcase_add_test(tc, test_stdio);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_cwd);
	tcase_add_test(tc, test_pgrp);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_signals_noted);
	tcase_add_test(tc, test_exec_fail);
	tcase_add_test(tc, test_no_leak);
	tcase_add_loop_test(tc, test_stdio_numbers, 0,
	    (int)(sizeof(stdio_cases) / sizeof(stdio_cases[0])));
	tcase_add_loop_test(tc, test_ids, 0,
	    (int)(sizeof(ids_cases) / sizeof(ids_cases[0])));
	tcase_add_test(tc, test_ids_unprivileged);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* Each test changes signal state and fds: keep them in their own
	   process even when CK_FORK=no is set. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
