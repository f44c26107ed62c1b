/*
 * An app's namespaces and filesystem view (sandbox.h).
 *
 * Made once per app: sandbox_open forks a helper that unshare()s the
 * namespaces the app's processes share, sets them up (mount propagation
 * to slave first, so that nothing mounted here reaches the host; lo up;
 * the hostname; read-only, tmpfs, writable binds, hidden paths) and
 * reports on a pipe; the master opens the helper's /proc/PID/ns/ files,
 * which keep the namespaces alive without a process in them, and lets
 * the helper go.  A child enters them with setns (spawn.c, between fork
 * and exec, before it changes its ids: setns needs CAP_SYS_ADMIN).
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conf-t.h"
#include "server/confval.h"
#include "server/log.h"
#include "server/sandbox.h"

/* The shared namespaces, in the order a child enters them (the mount
   namespace last: entering it resets the root and working directory). */
enum sandbox_ns { SANDBOX_NET, SANDBOX_IPC, SANDBOX_UTS, SANDBOX_MNT,
	SANDBOX_NS };

static const struct {
	const char	*file;		/* in /proc/PID/ns/ */
	int		 flag;		/* CLONE_NEW* */
} sandbox_nss[SANDBOX_NS] = {
	[SANDBOX_NET] = { "net", CLONE_NEWNET },
	[SANDBOX_IPC] = { "ipc", CLONE_NEWIPC },
	[SANDBOX_UTS] = { "uts", CLONE_NEWUTS },
	[SANDBOX_MNT] = { "mnt", CLONE_NEWNS },
};

struct sandbox {
	int		 ns[SANDBOX_NS];	/* -1: the host's */
	int		 pids;			/* private_pids */
	char		*root;			/* chroot, or NULL */
	size_t		 rootlen;
};

/* What the helper tells the master: 0, or the errno of step. */
struct sandbox_report {
	int		 error;
	char		 step[200];
};

/* The directories private_tmp puts an empty tmpfs on (those that exist,
   under chroot when set). */
static const char *const sandbox_tmps[] = { "/tmp", "/var/tmp" };

/* Where private_tmp puts sandbox_tmps[i], as ferryd sees it. */
static void
sandbox_tmp_path(const struct conf_app *a, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", a->chroot != NULL &&
	    strcmp(a->chroot, "/") != 0 ? a->chroot : "", sandbox_tmps[i]);
}

/* Whether a asks for a mount namespace of its own. */
static int
sandbox_wants_mnt(const struct conf_app *a)
{
	return a->read_only || a->private_tmp ||
	    (a->hide_paths != NULL && a->hide_paths[0] != NULL);
}

/* The CLONE_NEW* flags of the namespaces a's processes share. */
static int
sandbox_flags(const struct conf_app *a)
{
	return (a->private_network ? CLONE_NEWNET : 0) |
	    (a->private_ipc ? CLONE_NEWIPC : 0) |
	    (a->private_uts ? CLONE_NEWUTS : 0) |
	    (sandbox_wants_mnt(a) ? CLONE_NEWNS : 0);
}

/* 1 when path lies in dir (both absolute and clean; dir "/" holds all). */
static int
sandbox_under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	if (n == 1)
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' ||
	    path[n] == '\0');
}

/* Each path of list absolute and there: 0, or -1 with a message. */
static int
sandbox_check_paths(const struct conf_app *a, const char *key, char **list,
    char *err, size_t errlen)
{
	struct stat	st;

	for (; list != NULL && *list != NULL; list++) {
		if ((*list)[0] != '/')
			return confval_errf(err, errlen, "[app %s]: %s: %s is "
			    "not an absolute path", a->name, key, *list);
		if (stat(*list, &st) == -1)
			return confval_errf(err, errlen, "[app %s]: %s: %s: %s",
			    a->name, key, *list, strerror(errno));
	}
	return 0;
}

/* private_tmp would hide the app's own program or directory: 0, or -1
   with a message. */
static int
sandbox_check_tmp(const struct conf_app *a, char *err, size_t errlen)
{
	const char	*mine[] = { a->root, a->command };
	char		 tmp[PATH_MAX];
	size_t		 i, j;

	for (i = 0; i < sizeof(sandbox_tmps) / sizeof(sandbox_tmps[0]); i++) {
		sandbox_tmp_path(a, i, tmp, sizeof(tmp));
		for (j = 0; j < 2; j++)
			if (mine[j] != NULL && sandbox_under(mine[j], tmp))
				return confval_errf(err, errlen, "[app %s]: "
				    "private_tmp would hide %s (under %s)",
				    a->name, mine[j], tmp);
	}
	return 0;
}

int
sandbox_conf_check(const struct conf_app *a, char *err, size_t errlen)
{
	static const char *const names[] = { "private_network",
		"private_ipc", "private_uts", "private_pids", "read_only",
		"private_tmp", "hide_paths", "chroot" };
	struct stat	 st;
	char		 proc[PATH_MAX];
	const int	 on[] = { a->private_network, a->private_ipc,
		a->private_uts, a->private_pids, a->read_only, a->private_tmp,
		a->hide_paths != NULL && a->hide_paths[0] != NULL,
		a->chroot != NULL };
	size_t		 i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (on[i] && geteuid() != 0)
			return confval_errf(err, errlen, "[app %s]: %s needs "
			    "ferryd to run as root", a->name, names[i]);
	if (a->writable != NULL && a->writable[0] != NULL && !a->read_only)
		return confval_errf(err, errlen, "[app %s]: writable needs "
		    "read_only = yes", a->name);
	if (sandbox_check_paths(a, "writable", a->writable, err,
	    errlen) == -1 || sandbox_check_paths(a, "hide_paths",
	    a->hide_paths, err, errlen) == -1)
		return -1;
	if (a->private_tmp && sandbox_check_tmp(a, err, errlen) == -1)
		return -1;
	if (a->chroot == NULL)
		return 0;
	if (a->root != NULL && !sandbox_under(a->root, a->chroot))
		return confval_errf(err, errlen, "[app %s]: root %s is not "
		    "under chroot %s", a->name, a->root, a->chroot);
	if (a->command != NULL && !sandbox_under(a->command, a->chroot))
		return confval_errf(err, errlen, "[app %s]: command %s is not "
		    "under chroot %s", a->name, a->command, a->chroot);
	/* Where private_pids mounts the process's own /proc. */
	snprintf(proc, sizeof(proc), "%s/proc", strcmp(a->chroot, "/") == 0 ?
	    "" : a->chroot);
	if (a->private_pids && (stat(proc, &st) == -1 || !S_ISDIR(st.st_mode)))
		return confval_errf(err, errlen, "[app %s]: private_pids needs "
		    "a directory %s in chroot", a->name, proc);
	return 0;
}

/* In the helper: notes the failed step, what and arg (the caller's
   errno kept).  Returns -1. */
static int
sandbox_fail(struct sandbox_report *rep, const char *what, const char *arg)
{
	rep->error = errno;
	snprintf(rep->step, sizeof(rep->step), "%s%s", what, arg);
	return -1;
}

/* In the helper, in a new network namespace: the loopback up. */
static int
sandbox_lo_up(struct sandbox_report *rep)
{
	struct ifreq	ifr;
	int		s, rc;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return sandbox_fail(rep, "lo: socket", "");
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (rc == -1)
		sandbox_fail(rep, "lo: bringing it up", "");
	close(s);
	return rc;
}

/* In the helper: mount_setattr(2) on path and every mount below it. */
static int
sandbox_setattr(const char *path, unsigned int set, unsigned int clr)
{
	struct mount_attr	attr;

	memset(&attr, 0, sizeof(attr));
	attr.attr_set = set;
	attr.attr_clr = clr;
	return mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr,
	    sizeof(attr));
}

/* In the helper, for private_tmp: an empty tmpfs on each of
   sandbox_tmps that exists (under a->chroot when set). */
static int
sandbox_tmp(const struct conf_app *a, struct sandbox_report *rep)
{
	struct stat	st;
	char		path[PATH_MAX];
	size_t		i;

	for (i = 0; i < sizeof(sandbox_tmps) / sizeof(sandbox_tmps[0]); i++) {
		sandbox_tmp_path(a, i, path, sizeof(path));
		if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
		    "mode=1777") == -1)
			return sandbox_fail(rep, "private_tmp: a tmpfs on ",
			    path);
	}
	return 0;
}

/* In the helper, for hide_paths: an empty read-only tmpfs of mode 000
   over a directory, /dev/null (read-only) over anything else. */
static int
sandbox_hide(const char *path, struct sandbox_report *rep)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return sandbox_fail(rep, "hide_paths: ", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID |
		    MS_NODEV | MS_NOEXEC, "mode=000,size=4k,nr_inodes=1") == -1)
			return sandbox_fail(rep, "hide_paths: a tmpfs on ",
			    path);
		return 0;
	}
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) == -1 ||
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		return sandbox_fail(rep, "hide_paths: /dev/null over ", path);
	return 0;
}

/* In the helper, once it unshared a's mount namespace. */
static int
sandbox_mounts(const struct conf_app *a, struct sandbox_report *rep)
{
	char	**p;

	/* Mounts of the host still reach us; ours never reach it. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == -1)
		return sandbox_fail(rep, "mount propagation of /", "");
	if (a->read_only && sandbox_setattr("/", MOUNT_ATTR_RDONLY, 0) == -1)
		return sandbox_fail(rep, "read_only: /", "");
	for (p = a->writable; p != NULL && *p != NULL; p++)
		if (mount(*p, *p, NULL, MS_BIND | MS_REC, NULL) == -1 ||
		    sandbox_setattr(*p, 0, MOUNT_ATTR_RDONLY) == -1)
			return sandbox_fail(rep, "writable: ", *p);
	/* After writable: a writable path under /tmp is covered too. */
	if (a->private_tmp && sandbox_tmp(a, rep) == -1)
		return -1;
	for (p = a->hide_paths; p != NULL && *p != NULL; p++)
		if (sandbox_hide(*p, rep) == -1)
			return -1;
	return 0;
}

/* The helper: makes a's shared namespaces, reports on fd, and stays in
   them until hold reads EOF. */
static void __attribute__((noreturn))
sandbox_helper(const struct conf_app *a, int flags, int fd, int hold)
{
	struct sandbox_report	rep;
	sigset_t		all;
	ssize_t			n;
	char			c;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	memset(&rep, 0, sizeof(rep));
	if (unshare(flags) == -1)
		sandbox_fail(&rep, "unshare", "");
	else if ((flags & CLONE_NEWNET) && sandbox_lo_up(&rep) == -1)
		;
	else if ((flags & CLONE_NEWUTS) &&
	    sethostname(a->name, strlen(a->name)) == -1)
		sandbox_fail(&rep, "private_uts: hostname ", a->name);
	else if (flags & CLONE_NEWNS)
		(void)sandbox_mounts(a, &rep);
	n = write(fd, &rep, sizeof(rep));
	(void)n;
	while (read(hold, &c, 1) == -1 && errno == EINTR)
		;
	_exit(0);
}

/* Runs the helper for a's shared namespaces (flags) and opens them into
   sb->ns: 0, or -1 after logging. */
static int
sandbox_make(const struct conf_app *a, int flags, struct sandbox *sb)
{
	struct sandbox_report	rep;
	char			path[64];
	ssize_t			n;
	pid_t			pid;
	int			rp[2], hp[2], i, rc = -1;

	if (pipe2(rp, O_CLOEXEC) == -1) {
		log_warn("[app %s]: sandbox", a->name);
		return -1;
	}
	if (pipe2(hp, O_CLOEXEC) == -1) {
		log_warn("[app %s]: sandbox", a->name);
		close(rp[0]);
		close(rp[1]);
		return -1;
	}
	if ((pid = fork()) == 0) {
		close(rp[0]);
		close(hp[1]);
		sandbox_helper(a, flags, rp[1], hp[0]);
	}
	close(rp[1]);
	close(hp[0]);
	if (pid == -1) {
		log_warn("[app %s]: sandbox: fork", a->name);
		goto out;
	}
	do
		n = read(rp[0], &rep, sizeof(rep));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep))
		log_warnx("[app %s]: sandbox: the helper ended early",
		    a->name);
	else if (rep.error != 0)
		log_warnx("[app %s]: sandbox: %s: %s", a->name, rep.step,
		    strerror(rep.error));
	else {
		rc = 0;
		for (i = 0; i < SANDBOX_NS && rc == 0; i++) {
			if (!(flags & sandbox_nss[i].flag))
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/ns/%s",
			    (long)pid, sandbox_nss[i].file);
			if ((sb->ns[i] = open(path, O_RDONLY |
			    O_CLOEXEC)) == -1) {
				log_warn("[app %s]: sandbox: %s", a->name,
				    path);
				rc = -1;
			}
		}
	}
out:
	close(rp[0]);
	close(hp[1]);		/* the helper's EOF */
	if (pid > 0)
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
	return rc;
}

int
sandbox_open(const struct conf_app *a, struct sandbox **out)
{
	struct sandbox	*sb;
	int		 flags = sandbox_flags(a), i;

	*out = NULL;
	if (flags == 0 && !a->private_pids && a->chroot == NULL)
		return 0;
	if ((sb = calloc(1, sizeof(*sb))) == NULL) {
		log_warn("[app %s]: sandbox", a->name);
		return -1;
	}
	for (i = 0; i < SANDBOX_NS; i++)
		sb->ns[i] = -1;
	sb->pids = a->private_pids;
	if (a->chroot != NULL) {
		if ((sb->root = strdup(a->chroot)) == NULL) {
			log_warn("[app %s]: sandbox", a->name);
			sandbox_close(sb);
			return -1;
		}
		sb->rootlen = strcmp(sb->root, "/") == 0 ? 0 :
		    strlen(sb->root);
	}
	if (flags != 0 && sandbox_make(a, flags, sb) == -1) {
		sandbox_close(sb);
		return -1;
	}
	log_info("[app %s]: sandbox:%s%s%s%s%s%s%s%s", a->name,
	    a->private_network ? " network" : "",
	    a->private_ipc ? " ipc" : "", a->private_uts ? " uts" : "",
	    a->private_pids ? " pids" : "", a->read_only ? " read_only" : "",
	    a->private_tmp ? " tmp" : "",
	    a->hide_paths != NULL && a->hide_paths[0] != NULL ?
	    " hide_paths" : "", a->chroot != NULL ? " chroot" : "");
	*out = sb;
	return 0;
}

void
sandbox_close(struct sandbox *sb)
{
	int	i;

	if (sb == NULL)
		return;
	for (i = 0; i < SANDBOX_NS; i++)
		if (sb->ns[i] != -1)
			close(sb->ns[i]);
	free(sb->root);
	free(sb);
}

pid_t
sandbox_fork(const struct sandbox *sb)
{
	/* No stack given: the child goes on on a copy of ours, as after
	   fork (glibc's fork handlers do not run; the child makes only
	   async-signal-safe calls). */
	if (sb != NULL && sb->pids)
		return (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL,
		    NULL, NULL, NULL);
	return fork();
}

int
sandbox_own_pids(const struct sandbox *sb)
{
	return sb != NULL && sb->pids;
}

pid_t
sandbox_parent(const struct sandbox *sb)
{
	return sb != NULL && sb->pids ? 0 : getpid();
}

int
sandbox_death_sig(const struct sandbox *sb, int sig)
{
	return sb != NULL && sb->pids ? SIGKILL : sig;
}

int
sandbox_enter(const struct sandbox *sb)
{
	int	i;

	if (sb == NULL)
		return 0;
	for (i = 0; i < SANDBOX_NS; i++)
		if (sb->ns[i] != -1 && setns(sb->ns[i],
		    sandbox_nss[i].flag) == -1)
			return -1;
	/* Its own /proc needs its own mount namespace, whose mounts stay
	   its own. */
	if (sb->pids && (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == -1))
		return -1;
	if (sb->root != NULL && (chroot(sb->root) == -1 || chdir("/") == -1))
		return -1;
	if (sb->pids && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL) == -1)
		return -1;
	return 0;
}

const char *
sandbox_inside(const struct sandbox *sb, const char *path)
{
	if (sb == NULL || sb->root == NULL || path == NULL)
		return path;
	return path[sb->rootlen] == '\0' ? "/" : path + sb->rootlen;
}
