/*
 * The binary upgrade on SIGUSR2, both sides: the old master starting the
 * new one and watching it until it is ready, and the new one telling the
 * old one.  See upgrade.h for the hand-over.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "server/limits.h"
#include "server/listen.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/reap.h"
#include "server/spawn.h"
#include "server/upgrade.h"
#include "server/util.h"

#define UPGRADE_ENV		"FERRY_UPGRADE_FD"
#define UPGRADE_READY		'R'	/* the new master accepts */
#define UPGRADE_EXEC_FAILED	'E'	/* then an int: exec's errno */
#define UPGRADE_PID_DIGITS	20	/* room for LISTEN_PID's value */

extern char	**environ;

/* m->upgrade: one upgrade at a time. */
struct upgrade {
	struct master	*m;
	upgrade_end_cb	 end;
	char		*exe;		/* ferryd's path, absolute; NULL:
					   not found, no upgrade */
	int		 tell_fd;	/* new side: the pipe to the old
					   master, until ready; else -1 */
	struct rlimit	 nofile;	/* RLIMIT_NOFILE before the master
					   raised it: the new master's */

	/* Old side, while a new master starts (pid > 0). */
	pid_t		 pid;
	int		 exec_errno;	/* its exec failed with it */
	int		 killed;	/* the timeout sent SIGKILL */
	ev_io		 ready;		/* the pipe's read end */
	struct reap_watch child;
	ev_timer	 timer;		/* UPGRADE_TIMEOUT */
};

/* What the child needs, prepared before the fork: it may only make
   async-signal-safe calls. */
struct upgrade_plan {
	const struct rlimit *nofile;
	const char	*exe;
	char *const	*argv;
	char		**envp;
	char		*pid_value;	/* LISTEN_PID's digits, filled in
					   the child */
	int		*from;		/* fds to become 3, 4, ... (the
					   pipe last) */
	int		*tmp;		/* room for n copies */
	int		 n;
};

static void	upgrade_ready_cb(struct ev_loop *, ev_io *, int);
static void	upgrade_child_cb(struct reap_watch *, int,
		    const struct rusage *);
static void	upgrade_timer_cb(struct ev_loop *, ev_timer *, int);

int
upgrade_env_fd(void)
{
	const char	*s = getenv(UPGRADE_ENV);
	char		*end;
	long		 v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 3 || v > INT_MAX)
		return -1;
	return (int)v;
}

/* path made absolute against the working directory, in new memory. */
static char *
upgrade_absolute(const char *path)
{
	char	 cwd[PATH_MAX], *s;
	size_t	 len;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	len = strlen(cwd) + 1 + strlen(path) + 1;
	if ((s = malloc(len)) != NULL)
		snprintf(s, len, "%s/%s", cwd, path);
	return s;
}

/*
 * The path ferryd was started from, absolute (argv[0], looked up in PATH
 * as execvp did when it has no '/'), without resolving symbolic links:
 * after an install replaced the binary, the path names the new one
 * (/proc/self/exe would be the old, deleted file).  NULL when not found.
 */
static char *
upgrade_exe(const char *argv0)
{
	const char	*path, *p, *colon;
	char		 buf[PATH_MAX];
	size_t		 dlen;

	if (argv0 == NULL || *argv0 == '\0')
		return NULL;
	if (strchr(argv0, '/') != NULL)
		return upgrade_absolute(argv0);
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = colon + 1) {
		colon = strchr(p, ':');
		dlen = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)dlen, p,
		    dlen > 0 ? "/" : "", argv0) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return upgrade_absolute(buf);
		if (colon == NULL)
			return NULL;
	}
}

int
upgrade_init(struct master *m, upgrade_end_cb end)
{
	struct upgrade	*u;
	struct stat	 st;
	int		 fd;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -1;
	m->upgrade = u;
	u->m = m;
	u->end = end;
	u->tell_fd = -1;
	if (getrlimit(RLIMIT_NOFILE, &u->nofile) == -1) {
		log_warn("getrlimit");
		return -1;
	}
	if ((u->exe = upgrade_exe(m->argc > 0 ? m->argv[0] : NULL)) == NULL)
		log_warnx("upgrade: ferryd's own path (%s) not found: "
		    "SIGUSR2 will not upgrade", m->argc > 0 ? m->argv[0] : "");
	/* An old master's pipe: a FIFO, kept close-on-exec. */
	if ((fd = upgrade_env_fd()) != -1) {
		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == 0)
			u->tell_fd = fd;
		else {
			log_warnx("upgrade: %s=%d is not a pipe: ignored",
			    UPGRADE_ENV, fd);
			close(fd);
		}
	}
	unsetenv(UPGRADE_ENV);
	ev_io_init(&u->ready, upgrade_ready_cb, -1, EV_READ);
	ev_init(&u->timer, upgrade_timer_cb);
	return 0;
}

int
upgrade_ready(struct master *m)
{
	struct upgrade	*u = m->upgrade;
	char		 b = UPGRADE_READY;
	ssize_t		 n;
	pid_t		 old = getppid();	/* before it may exit */

	if (u == NULL || u->tell_fd == -1)
		return 0;
	do
		n = write(u->tell_fd, &b, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		log_warn("upgrade: telling the old master [%ld] we are ready",
		    (long)old);
	else
		log_info("upgrade: told the old master [%ld] we are ready",
		    (long)old);
	close(u->tell_fd);
	u->tell_fd = -1;
	return n == 1;
}

/* A listen spec as a LISTEN_FDNAMES name: printable, no blank or ':',
   at most 255 bytes. */
static void
upgrade_fdname(char *out, size_t size, const char *spec)
{
	size_t	i;

	for (i = 0; spec[i] != '\0' && i + 1 < size && i < 255; i++)
		out[i] = spec[i] > ' ' && spec[i] < 0x7f && spec[i] != ':' ?
		    spec[i] : '_';
	out[i] = '\0';
}

/* 1 when the "NAME=value" entry is one the upgrade sets itself. */
static int
upgrade_own_var(const char *e)
{
	static const char *const own[] = { "LISTEN_FDS=", "LISTEN_PID=",
	    "LISTEN_FDNAMES=", UPGRADE_ENV "=" };
	size_t	i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strncmp(e, own[i], strlen(own[i])) == 0)
			return 1;
	return 0;
}

static void
upgrade_env_free(char **envp)
{
	size_t	i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}

/*
 * The new master's environment: ferryd's own, but for the hand-over's
 * variables, which are set from specs (n listen specs) and the pipe's fd.
 * LISTEN_PID's value is UPGRADE_PID_DIGITS spaces, *pid_value, for the
 * child to fill.  NULL when memory ran out.
 */
static char **
upgrade_env(const char **specs, int n, int pipe_fd, char **pid_value)
{
	char	**envp, *names, *s, buf[64];
	size_t	 ne = 0, i, len, k = 0;

	while (environ[ne] != NULL)
		ne++;
	if ((envp = calloc(ne + 5, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < ne; i++)
		if (!upgrade_own_var(environ[i]) &&
		    (envp[k++] = strdup(environ[i])) == NULL)
			goto fail;
	snprintf(buf, sizeof(buf), "LISTEN_FDS=%d", n);
	if ((envp[k++] = strdup(buf)) == NULL)
		goto fail;
	snprintf(buf, sizeof(buf), "%s=%d", UPGRADE_ENV, pipe_fd);
	if ((envp[k++] = strdup(buf)) == NULL)
		goto fail;
	snprintf(buf, sizeof(buf), "LISTEN_PID=%*s", UPGRADE_PID_DIGITS, "");
	if ((envp[k++] = strdup(buf)) == NULL)
		goto fail;
	*pid_value = envp[k - 1] + strlen("LISTEN_PID=");
	len = sizeof("LISTEN_FDNAMES=");
	for (i = 0; i < (size_t)n; i++)
		len += strlen(specs[i]) + 1;
	if ((envp[k++] = s = malloc(len)) == NULL)
		goto fail;
	names = s + snprintf(s, len, "LISTEN_FDNAMES=");
	for (i = 0; i < (size_t)n; i++) {
		if (i > 0)
			*names++ = ':';
		upgrade_fdname(names, len - (size_t)(names - s), specs[i]);
		names += strlen(names);
	}
	return envp;
fail:
	upgrade_env_free(envp);
	return NULL;
}

/*
 * The child, between fork and exec: default dispositions while every
 * signal is still blocked, a session of its own (a signal to the old
 * master's group does not reach it), the sockets at 3.. and the pipe
 * after them, LISTEN_PID its own pid, an empty mask, exec.  Only
 * async-signal-safe calls; a failure is written to the pipe.
 */
static void __attribute__((noreturn))
upgrade_child(const struct upgrade_plan *p)
{
	sigset_t		 none;
	char			 msg[1 + sizeof(int)];
	pid_t			 pid;
	int			 i, err, top = 3 + p->n;
	int			 report = p->from[p->n - 1];
	char			*d;

	spawn_signals_default();
	if (setsid() == -1)
		goto fail;
	/* Copies above every target first: a source may be a target. */
	for (i = 0; i < p->n; i++)
		if ((p->tmp[i] = fcntl(p->from[i], F_DUPFD_CLOEXEC, top)) ==
		    -1)
			goto fail;
	report = p->tmp[p->n - 1];
	for (i = 0; i < p->n; i++)
		if (dup2(p->tmp[i], 3 + i) == -1)
			goto fail;
	/* The digits, right-aligned, then the leading spaces dropped. */
	pid = getpid();
	d = p->pid_value + UPGRADE_PID_DIGITS;
	do
		*--d = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	memmove(p->pid_value, d, (size_t)(p->pid_value + UPGRADE_PID_DIGITS -
	    d) + 1);
	/* Lowering a soft limit cannot fail: a refusal is left alone. */
	(void)setrlimit(RLIMIT_NOFILE, p->nofile);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		goto fail;
	execve(p->exe, p->argv, p->envp);
fail:
	err = errno;
	msg[0] = UPGRADE_EXEC_FAILED;
	memcpy(msg + 1, &err, sizeof(err));
	if (write(report, msg, sizeof(msg)) == -1)
		_exit(126);
	_exit(127);
}

/* Forks and execs the new master per the plan; its pid, or -1. */
static pid_t
upgrade_fork(const struct upgrade_plan *p)
{
	sigset_t	all, old;
	pid_t		pid;
	int		saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		upgrade_child(p);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

void
upgrade_start(struct master *m)
{
	struct upgrade		*u = m->upgrade;
	struct upgrade_plan	 plan;
	const char		**specs = NULL;
	int			*fds = NULL, pfd[2] = { -1, -1 };
	size_t			 n;

	if (m->stopping) {
		log_warnx("SIGUSR2: stopping: no upgrade");
		return;
	}
	if (u->pid > 0) {
		log_warnx("SIGUSR2: the upgrade to [%ld] is under way: ignored",
		    (long)u->pid);
		return;
	}
	if (!m->ready) {
		log_warnx("SIGUSR2: not ready yet: no upgrade");
		return;
	}
	if (u->exe == NULL) {
		log_warnx("SIGUSR2: ferryd's own path is not known: no "
		    "upgrade");
		return;
	}
	n = listen_fds(m, NULL, NULL, 0);
	if ((fds = calloc(2 * (n + 1), sizeof(*fds))) == NULL ||
	    (specs = calloc(n + 1, sizeof(*specs))) == NULL) {
		log_warn("SIGUSR2: upgrade");
		goto out;
	}
	(void)listen_fds(m, fds, specs, n);
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		log_warn("SIGUSR2: upgrade: pipe");
		goto out;
	}
	fds[n] = pfd[1];
	plan.nofile = &u->nofile;
	plan.exe = u->exe;
	plan.argv = m->argv;
	plan.from = fds;
	plan.tmp = fds + n + 1;
	plan.n = (int)n + 1;
	if ((plan.envp = upgrade_env(specs, (int)n, 3 + (int)n,
	    &plan.pid_value)) == NULL) {
		log_warn("SIGUSR2: upgrade");
		goto out;
	}
	u->pid = upgrade_fork(&plan);
	upgrade_env_free(plan.envp);
	if (u->pid == -1) {
		u->pid = 0;
		log_warn("SIGUSR2: upgrade: fork");
		goto out;
	}
	u->exec_errno = 0;
	u->killed = 0;
	log_info("SIGUSR2: upgrade: started %s as [%ld] with %zu listening "
	    "sockets", u->exe, (long)u->pid, n);
	ev_io_set(&u->ready, pfd[0], EV_READ);
	ev_io_start(m->loop, &u->ready);
	pfd[0] = -1;
	reap_start(m, &u->child, u->pid, upgrade_child_cb);
	ev_timer_set(&u->timer, UPGRADE_TIMEOUT, 0);
	ev_timer_start(m->loop, &u->timer);
out:
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	free(fds);
	free(specs);
}

/* Stops reading the pipe and the timer. */
static void
upgrade_unwatch(struct upgrade *u)
{
	struct master	*m = u->m;

	if (u->ready.fd >= 0) {
		ev_io_stop(m->loop, &u->ready);
		close(u->ready.fd);
		ev_io_set(&u->ready, -1, EV_READ);
	}
	ev_timer_stop(m->loop, &u->timer);
}

/* The new master is ready: it is systemd's main process from now on,
   and this one drains.  It is never reaped or signalled by us again. */
static void
upgrade_handed(struct upgrade *u)
{
	struct master	*m = u->m;
	pid_t		 pid = u->pid;

	upgrade_unwatch(u);
	reap_stop(m, &u->child);
	u->pid = 0;
	(void)sd_notifyf(0, "MAINPID=%ld\nSTATUS=upgraded: serving as [%ld]",
	    (long)pid, (long)pid);
	log_info("upgrade: new master [%ld] ready, stopping", (long)pid);
	listen_handed(m);
	u->end(m, 1);
}

/* Reads what the new master wrote on the pipe (the caller knows it is
   readable, or the writer gone): 1 when it said it is ready; else 0,
   with a failed exec's errno noted, and the pipe closed at its end. */
static int
upgrade_pipe_read(struct upgrade *u)
{
	char	 msg[1 + sizeof(int)];
	ssize_t	 n;

	n = read(u->ready.fd, msg, sizeof(msg));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n >= 1 && msg[0] == UPGRADE_READY)
		return 1;
	if (n == (ssize_t)sizeof(msg) && msg[0] == UPGRADE_EXEC_FAILED)
		memcpy(&u->exec_errno, msg + 1, sizeof(int));
	/* EOF or a failure: its exit (upgrade_child_cb) says the rest. */
	ev_io_stop(u->m->loop, &u->ready);
	close(u->ready.fd);
	ev_io_set(&u->ready, -1, EV_READ);
	return 0;
}

static void
upgrade_ready_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct upgrade	*u = container_of(w, struct upgrade, ready);

	(void)loop;
	(void)revents;
	if (upgrade_pipe_read(u))
		upgrade_handed(u);
}

static void
upgrade_child_cb(struct reap_watch *w, int st, const struct rusage *ru)
{
	struct upgrade	*u = container_of(w, struct upgrade, child);
	char		 how[64];

	(void)ru;
	/* Its exit may come before what it wrote: a failed exec's errno.
	   Ready or not, a new master that is gone failed. */
	if (u->ready.fd >= 0)
		(void)upgrade_pipe_read(u);
	upgrade_unwatch(u);
	if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "was killed by signal %d%s",
		    WTERMSIG(st), u->killed ? " (not ready in time)" : "");
	else
		snprintf(how, sizeof(how), "ended (status 0x%x)", st);
	if (u->exec_errno != 0)
		log_warnx("upgrade failed: %s could not be started: %s; still "
		    "serving", u->exe, strerror(u->exec_errno));
	else
		log_warnx("upgrade failed: new master [%ld] %s before it was "
		    "ready (its errors are in the error log, or on stderr); "
		    "still serving", (long)u->pid, how);
	u->pid = 0;
	u->end(u->m, 0);
}

static void
upgrade_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct upgrade	*u = container_of(w, struct upgrade, timer);

	(void)loop;
	(void)revents;
	log_warnx("upgrade: new master [%ld] not ready within %.0f s: "
	    "killing it", (long)u->pid, (double)UPGRADE_TIMEOUT);
	u->killed = 1;
	(void)kill(u->pid, SIGKILL);
}

void
upgrade_abort(struct master *m)
{
	struct upgrade	*u = m->upgrade;

	if (u == NULL || u->pid <= 0)
		return;
	log_info("upgrade: stopping the new master [%ld], not ready yet",
	    (long)u->pid);
	upgrade_unwatch(u);
	reap_stop(m, &u->child);
	(void)kill(u->pid, SIGTERM);
	u->pid = 0;
}

void
upgrade_fini(struct master *m)
{
	struct upgrade	*u = m->upgrade;

	if (u == NULL)
		return;
	upgrade_unwatch(u);
	reap_stop(m, &u->child);
	if (u->tell_fd != -1)
		close(u->tell_fd);
	free(u->exe);
	free(u);
	m->upgrade = NULL;
}
