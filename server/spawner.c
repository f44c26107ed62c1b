/*
 * The spawner (see spawner.h): the master's end, then the spawner's own
 * loop, which runs in the forked process and never returns.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "fdpass/fdpass.h"
#include "server/cgroup.h"
#include "server/conf-t.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/notif.h"
#include "server/spawn.h"
#include "server/spawner.h"

#define SPAWNER_MSG_MAX		(64 * 1024)	/* a request, strings
						   included */
#define SPAWNER_FDS		(3 + CGROUP_JOIN_MAX)	/* in one record */
#define SPAWNER_ARGS		8	/* argv entries a request may have */
#define SPAWNER_BATCH		64	/* answers read per wake-up */

_Static_assert(SPAWNER_FDS <= FDPASS_MAX_FDS, "a request's fds fit a record");

/* A request: this header, then path, cwd (has_cwd), the nargv arguments
   and the nenv environment entries, each NUL-terminated; the fds
   (stdin, stdout, stderr, then the cgroup.procs files) as SCM_RIGHTS. */
struct spawner_req {
	uint32_t	 id;
	uint8_t		 new_pgrp, set_ids, has_limits, has_cwd;
	uint32_t	 uid, gid;
	uint32_t	 nfds, nargv, nenv;
	uint64_t	 limits[CONF_LIMITS];
};

enum {
	SPAWNER_LISTENER = 1,	/* the seccomp listener (or error) */
	SPAWNER_PID,		/* request id's pid (or error) */
	SPAWNER_EXIT		/* pid exited with status, ru */
};

struct spawner_ans {
	uint32_t	 type;
	uint32_t	 id;
	int32_t		 pid;
	int32_t		 error;
	int32_t		 status;
	struct rusage	 ru;
};

struct spawner_wait {
	struct spawner_wait	*next;
	uint32_t		 id;
	spawner_cb		 cb;
	void			*arg;
};

struct spawner {
	struct master		*m;
	const struct spawner_ops *ops;
	char			*app;
	struct stats_app	*stats;
	pid_t			 pid;
	int			 fd;
	int			 dead;
	ev_io			 io;
	struct spawner_wait	*head, **tail;	/* answers owed, in order */
	uint32_t		 next_id;
};

static void	spawner_read_cb(struct ev_loop *, ev_io *, int);
static void	spawner_lost(struct spawner *sp, const char *why);
static void	spawner_main(int sock, pid_t parent,
		    const struct sock_fprog *plain,
		    const struct sock_fprog *notify)
		    __attribute__((noreturn));

/* ---- the master's end ---- */

struct spawner *
spawner_start(struct master *m, const struct sock_fprog *plain,
    const struct sock_fprog *notify, const struct spawner_ops *ops,
    const char *app, struct stats_app *st)
{
	struct spawner	*sp;
	sigset_t	 all, old;
	pid_t		 parent = getpid();
	int		 sv[2], error;

	if ((sp = calloc(1, sizeof(*sp))) == NULL ||
	    (sp->app = strdup(app)) == NULL) {
		log_warn("[app %s]: spawner", app);
		free(sp);
		return NULL;
	}
	sp->stats = st;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("[app %s]: spawner: socketpair", app);
		free(sp->app);
		free(sp);
		return NULL;
	}
	/* No handler of ours may run in the child. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	sp->pid = fork();
	if (sp->pid == 0) {
		close(sv[0]);
		spawner_main(sv[1], parent, plain, notify);
	}
	error = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (sp->pid == -1 || fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		errno = sp->pid == -1 ? error : errno;
		log_warn("[app %s]: spawner: start", app);
		if (sp->pid > 0)
			kill(sp->pid, SIGKILL);
		close(sv[0]);
		free(sp->app);
		free(sp);
		return NULL;
	}
	sp->m = m;
	sp->ops = ops;
	sp->fd = sv[0];
	sp->tail = &sp->head;
	ev_io_init(&sp->io, spawner_read_cb, sp->fd, EV_READ);
	/* Its answers come before the output of the processes it names. */
	ev_set_priority(&sp->io, EV_MAXPRI);
	sp->io.data = sp;
	ev_io_start(m->loop, &sp->io);
	ev_unref(m->loop);	/* the processes keep the loop alive */
	log_info("[app %s]: spawner started, pid %d", app, (int)sp->pid);
	return sp;
}

int
spawner_alive(const struct spawner *sp)
{
	return !sp->dead;
}

/* Appends s (NUL included) at *off of buf: 0, or -1 when it does not
   fit. */
static int
spawner_put(char *buf, size_t *off, const char *s)
{
	size_t	len = strlen(s) + 1;

	if (len > SPAWNER_MSG_MAX - *off)
		return -1;
	memcpy(buf + *off, s, len);
	*off += len;
	return 0;
}

int
spawner_spawn(struct spawner *sp, const struct spawn_req *r, spawner_cb cb,
    void *arg)
{
	static union {
		struct spawner_req	 q;
		char			 b[SPAWNER_MSG_MAX];
	}			 u;
	struct spawner_req	*q = &u.q;
	char			*buf = u.b;
	struct spawner_wait	*w;
	int			 fds[SPAWNER_FDS], i;
	size_t			 nfds = 0, off = sizeof(*q);

	if (sp->dead) {
		errno = EPIPE;
		return -1;
	}
	if (r->sandbox != NULL || r->death_sig > 0 ||
	    r->ncgroup_fds > CGROUP_JOIN_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(q, 0, sizeof(*q));
	q->id = sp->next_id;
	q->new_pgrp = r->new_pgrp != 0;
	q->set_ids = r->set_ids != 0;
	q->uid = (uint32_t)r->uid;
	q->gid = (uint32_t)r->gid;
	if (r->limits != NULL) {
		q->has_limits = 1;
		memcpy(q->limits, r->limits, sizeof(q->limits));
	}
	if (spawner_put(buf, &off, r->path) == -1)
		goto big;
	if (r->cwd != NULL) {
		q->has_cwd = 1;
		if (spawner_put(buf, &off, r->cwd) == -1)
			goto big;
	}
	for (i = 0; r->argv[i] != NULL; i++)
		if (i == SPAWNER_ARGS - 1 ||
		    spawner_put(buf, &off, r->argv[i]) == -1)
			goto big;
	q->nargv = (uint32_t)i;
	for (i = 0; r->envp[i] != NULL; i++)
		if (spawner_put(buf, &off, r->envp[i]) == -1)
			goto big;
	q->nenv = (uint32_t)i;
	fds[nfds++] = r->fd_in;
	fds[nfds++] = r->fd_out;
	fds[nfds++] = r->fd_err;
	for (i = 0; i < r->ncgroup_fds; i++)
		fds[nfds++] = r->cgroup_fds[i];
	q->nfds = (uint32_t)nfds;
	if ((w = malloc(sizeof(*w))) == NULL)
		return -1;
	/* A record goes whole or not at all (the pair is non-blocking). */
	if (fdpass_sendv(sp->fd, buf, off, fds, nfds) == -1) {
		free(w);
		return -1;
	}
	w->next = NULL;
	w->id = sp->next_id++;
	w->cb = cb;
	w->arg = arg;
	*sp->tail = w;
	sp->tail = &w->next;
	return 0;

big:
	errno = EMSGSIZE;
	return -1;
}

static void
spawner_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct spawner		*sp = io->data;
	struct spawner_ans	 a;
	struct spawner_wait	*w;
	ssize_t			 n;
	int			 i, fd;

	(void)loop;
	(void)revents;
	for (i = 0; i < SPAWNER_BATCH; i++) {
		n = fdpass_recv(sp->fd, &a, sizeof(a), &fd);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n != (ssize_t)sizeof(a) || (fd != -1 &&
		    a.type != SPAWNER_LISTENER)) {
			if (fd != -1)
				close(fd);
			spawner_lost(sp, n == 0 ? "it exited" : n == -1 ?
			    strerror(errno) : "a garbled answer");
			return;		/* sp may be gone */
		}
		switch (a.type) {
		case SPAWNER_LISTENER:
			notif_take_shared(sp->m, fd, a.error, sp->app,
			    sp->stats);
			break;
		case SPAWNER_PID:
			if ((w = sp->head) == NULL || w->id != a.id) {
				spawner_lost(sp, "an answer out of order");
				return;
			}
			if ((sp->head = w->next) == NULL)
				sp->tail = &sp->head;
			w->cb(w->arg, a.pid > 0 ? (pid_t)a.pid : -1,
			    a.pid > 0 ? 0 : a.error);
			free(w);
			break;
		case SPAWNER_EXIT:
			sp->ops->exited(sp->m, (pid_t)a.pid, a.status, &a.ru);
			break;
		default:
			spawner_lost(sp, "an answer of unknown type");
			return;
		}
	}
}

/*
 * The spawner died (or spoke nonsense: killed): its user is told first,
 * then each pending spawn fails with ECHILD.  Nothing of sp is touched
 * after the first callback, which may free it (spawner_stop).
 */
static void
spawner_lost(struct spawner *sp, const char *why)
{
	struct master		*m = sp->m;
	const struct spawner_ops *ops = sp->ops;
	struct spawner_wait	*w, *next;

	log_warnx("[app %s]: spawner (pid %d) lost: %s; its processes are "
	    "killed, and a new one starts with the next request", sp->app,
	    (int)sp->pid, why);
	kill(sp->pid, SIGKILL);
	sp->dead = 1;
	ev_ref(m->loop);
	ev_io_stop(m->loop, &sp->io);
	close(sp->fd);
	sp->fd = -1;
	w = sp->head;
	sp->head = NULL;
	sp->tail = &sp->head;
	ops->lost(m, sp);
	for (; w != NULL; w = next) {
		next = w->next;
		w->cb(w->arg, -1, ECHILD);
		free(w);
	}
}

void
spawner_stop(struct spawner *sp)
{
	struct spawner_wait	*w;

	if (sp == NULL)
		return;
	if (!sp->dead) {
		ev_ref(sp->m->loop);
		ev_io_stop(sp->m->loop, &sp->io);
		close(sp->fd);	/* it exits at the EOF */
	}
	while ((w = sp->head) != NULL) {
		sp->head = w->next;
		free(w);
	}
	free(sp->app);
	free(sp);
}

/* ---- the spawner's process ---- */

static void
spawner_answer(int sock, const struct spawner_ans *a, int fd)
{
	if (fdpass_send(sock, a, sizeof(*a), fd) != (ssize_t)sizeof(*a))
		_exit(0);	/* the master is gone */
}

/* Tells the master of every child that exited. */
static void
spawner_reap(int sock, int sfd)
{
	struct signalfd_siginfo	 si[8];
	struct spawner_ans	 a;
	ssize_t			 n;
	pid_t			 pid;
	int			 st;

	while ((n = read(sfd, si, sizeof(si))) == (ssize_t)sizeof(si))
		;
	for (;;) {
		memset(&a, 0, sizeof(a));
		pid = wait4(-1, &st, WNOHANG, &a.ru);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		a.type = SPAWNER_EXIT;
		a.pid = (int32_t)pid;
		a.status = st;
		spawner_answer(sock, &a, -1);
	}
}

/* One request, spawned and answered: 0 at the master's EOF, else 1. */
static int
spawner_serve(int sock)
{
	static char		 buf[SPAWNER_MSG_MAX + 1];
	static char		*envp[SPAWNER_MSG_MAX / 2 + 1];
	char			*argv[SPAWNER_ARGS], *p, *end;
	struct spawner_req	 q;
	struct spawner_ans	 a;
	struct spawn_req	 r;
	int			 fds[SPAWNER_FDS], i, ok;
	size_t			 nfds = SPAWNER_FDS, k;
	ssize_t			 n;

	/* EOF, or a record cut short (the master sends none: its id is
	   lost, so the master sees us go). */
	if ((n = fdpass_recvv(sock, buf, SPAWNER_MSG_MAX, fds, &nfds)) <= 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.type = SPAWNER_PID;
	a.pid = -1;
	ok = (size_t)n >= sizeof(q);
	if (ok) {
		memcpy(&q, buf, sizeof(q));
		a.id = q.id;
		ok = q.nfds == (uint32_t)nfds && nfds >= 3 &&
		    q.nargv < SPAWNER_ARGS &&
		    q.nenv <= SPAWNER_MSG_MAX / 2;
	}
	/* The strings, each NUL-terminated inside what came. */
	buf[n] = '\0';
	p = buf + sizeof(q);
	end = buf + n;
	memset(&r, 0, sizeof(r));
	if (ok && p < end) {
		r.path = p;
		p += strlen(p) + 1;
	} else
		ok = 0;
	if (ok && q.has_cwd) {
		if (p < end) {
			r.cwd = p;
			p += strlen(p) + 1;
		} else
			ok = 0;
	}
	for (i = 0; ok && i < (int)q.nargv; i++) {
		if (p >= end)
			ok = 0;
		else {
			argv[i] = p;
			p += strlen(p) + 1;
		}
	}
	if (ok)
		argv[q.nargv] = NULL;
	for (i = 0; ok && i < (int)q.nenv; i++) {
		if (p >= end)
			ok = 0;
		else {
			envp[i] = p;
			p += strlen(p) + 1;
		}
	}
	if (ok) {
		envp[q.nenv] = NULL;
		r.argv = argv;
		r.envp = envp;
		r.fd_in = fds[0];
		r.fd_out = fds[1];
		r.fd_err = fds[2];
		r.cgroup_fds = fds + 3;
		r.ncgroup_fds = (int)nfds - 3;
		r.new_pgrp = q.new_pgrp;
		r.set_ids = q.set_ids;
		r.uid = (uid_t)q.uid;
		r.gid = (gid_t)q.gid;
		r.limits = q.has_limits ? q.limits : NULL;
		if ((a.pid = (int32_t)spawn_process(&r)) == -1)
			a.error = errno;
	} else
		a.error = EPROTO;
	/* Answered before its fds close here: the master reads the pid
	   before the EOF of the process's stdout. */
	spawner_answer(sock, &a, -1);
	for (k = 0; k < nfds; k++)
		close(fds[k]);
	return 1;
}

/*
 * The spawner: every signal blocked (as the fork left them) and at its
 * default, SIGCHLD read from a signalfd; no fd of the master's but
 * stdio and sock; killed with the master; no_new_privs and the filter
 * (notify with a listener sent to the master, else plain); then a loop
 * of requests and exits.  Its children start with every signal blocked
 * too, as spawn_process wants, and unblock them before their exec.
 */
static void
spawner_main(int sock, pid_t parent, const struct sock_fprog *plain,
    const struct sock_fprog *notify)
{
	struct spawner_ans	 a;
	struct pollfd		 pfd[2];
	sigset_t		 chld;
	int			 sfd, lfd = -1;

	spawn_signals_default();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(0);
	if (sock != 3) {
		if (dup2(sock, 3) == -1)
			_exit(1);
		sock = 3;
	}
	if (fcntl(sock, F_SETFD, FD_CLOEXEC) == -1 ||
	    syscall(SYS_close_range, 4U, ~0U, 0U) == -1)
		_exit(1);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if ((sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		_exit(1);
	memset(&a, 0, sizeof(a));
	a.type = SPAWNER_LISTENER;
	if (plain != NULL && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		_exit(1);
	if (plain == NULL)
		a.error = ENOSYS;	/* no filter: nothing to report */
	else if (notify != NULL) {
		lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_NEW_LISTENER, notify);
		a.error = lfd == -1 ? errno : 0;
	} else
		a.error = ENOSYS;
	if (plain != NULL && lfd == -1 && prctl(PR_SET_SECCOMP,
	    SECCOMP_MODE_FILTER, plain) == -1)
		_exit(1);
	spawner_answer(sock, &a, lfd);
	if (lfd != -1)
		close(lfd);
	for (;;) {
		pfd[0].fd = sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (pfd[1].revents & POLLIN)
			spawner_reap(sock, sfd);
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !spawner_serve(sock))
			_exit(0);
	}
}
