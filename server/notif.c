/*
 * The listeners of the filtered processes (see notif.h).  One listener
 * per spawned process, shared by every process it starts (they inherit
 * its filter); it reports POLLHUP once none of them is left, and is
 * closed then.  Or one listener per app, its spawner's
 * (server/spawner.c), shared by every process the spawner starts, kept
 * while the spawner lives; its denied calls are named and counted per calling
 * process (NOTIF_CALLERS of them at a time).  Each denied call waits in
 * the kernel until answered: the master answers at once, before it logs,
 * up to NOTIF_RATE a second per listener; past that the listener is not
 * read until the next second, so a process looping on a denied call costs
 * the master a bounded share.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "fdpass/fdpass.h"
#include "server/filter.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/notif.h"
#include "server/spawn.h"
#include "server/stats.h"
#include "server/util.h"

/* Whose denied calls are named and counted together: a spawned
   process and its children, or with an app's listener one process. */
struct notif_caller {
	pid_t			 pid;
	unsigned int		 named;	/* calls logged one by one */
	unsigned long		 more;	/* calls denied, not said yet */
	unsigned long		 used;	/* when last (n->clock) */
};

/* One listener: the process it came from and its children, or with a
   spawner every process of the app. */
struct notif {
	ev_io			 io;	/* the listener */
	ev_timer		 said;	/* the count of calls not named, said
					   NOTIF_LOG_INTERVAL after the first */
	ev_timer		 pause;	/* io stopped until the next second */
	ev_tstamp		 second;	/* when the current one began */
	unsigned long		 answered;	/* in it */
	int			 throttled;	/* said once */
	struct notif		*prev, *next;
	struct notif_set	*set;
	struct ev_loop		*loop;
	struct stats_app	*stats;
	char			*app;
	pid_t			 pid;	/* the spawned process; 0: an app's */
	int			 shared;	/* an app's spawner's */
	struct notif_caller	*callers;	/* one, or an app's
						   NOTIF_CALLERS */
	struct notif_caller	 one;
	unsigned long		 clock;
	unsigned int		 named_now;	/* this second (an app's) */
};

struct notif_set {
	int			 fd[2];	/* the pair: [0] ours, [1] the
					   children's; -1: not reporting */
	const char		*why;	/* why not, said once */
	int			 armed;	/* notif_prepare set a spawn up */
	int			 refused;	/* a child had no listener:
						   said */
	struct notif		*head;
	struct notif		*apps;	/* the apps' listeners */
	struct seccomp_notif	*req;	/* the kernel's sizes, or ours */
	struct seccomp_notif_resp *resp;
	size_t			 req_len, resp_len;
};

static int	notif_kernel_hup(void);
static void	notif_watch(struct master *m, int fd, pid_t pid,
		    const char *app, struct stats_app *st);
static void	notif_io_cb(struct ev_loop *, ev_io *, int);
static void	notif_said_cb(struct ev_loop *, ev_timer *, int);
static void	notif_pause_cb(struct ev_loop *, ev_timer *, int);
static int	notif_may_answer(struct notif *n);
static void	notif_answer(struct notif *n);
static void	notif_denied(struct notif *n, pid_t pid, pid_t group,
		    uint32_t arch, int nr);
static void	notif_say_more(struct notif *n);
static void	notif_say_caller(struct notif *n, struct notif_caller *c);
static struct notif_caller *notif_caller(struct notif *n, pid_t pid);
static struct notif *notif_new(struct master *m, pid_t pid, const char *app,
		    struct stats_app *st);
static void	notif_start(struct notif *n, int fd);
static void	notif_close(struct notif *n);

/* 1 when the kernel reports POLLHUP on a listener no process uses (Linux
   5.8): without it a listener could only be closed by guessing. */
static int
notif_kernel_hup(void)
{
	struct utsname	u;
	int		major = 0, minor = 0;

	if (uname(&u) == -1 || sscanf(u.release, "%d.%d", &major,
	    &minor) != 2)
		return 0;
	return major > 5 || (major == 5 && minor >= 8);
}

int
notif_init(struct master *m)
{
	struct seccomp_notif_sizes	 sizes;
	struct notif_set		*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("notif_init");
		return -1;
	}
	s->fd[0] = s->fd[1] = -1;
	m->notif = s;
	if (!notif_kernel_hup()) {
		s->why = "the kernel is older than Linux 5.8";
		return 0;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == -1) {
		s->why = "the kernel has no seccomp listeners";
		return 0;
	}
	s->req_len = sizes.seccomp_notif > sizeof(*s->req) ?
	    sizes.seccomp_notif : sizeof(*s->req);
	s->resp_len = sizes.seccomp_notif_resp > sizeof(*s->resp) ?
	    sizes.seccomp_notif_resp : sizeof(*s->resp);
	if ((s->req = calloc(1, s->req_len)) == NULL ||
	    (s->resp = calloc(1, s->resp_len)) == NULL) {
		log_warn("notif_init");
		notif_fini(m);
		return -1;
	}
	/* Non-blocking both: a child never waits on us, who wait on it. */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	    s->fd) == -1) {
		s->fd[0] = s->fd[1] = -1;
		s->why = "no socket pair for the listeners";
	}
	return 0;
}

void
notif_fini(struct master *m)
{
	struct notif_set	*s = m->notif;

	if (s == NULL)
		return;
	while (s->head != NULL)
		notif_close(s->head);
	while (s->apps != NULL)
		notif_close(s->apps);
	if (s->fd[0] != -1) {
		close(s->fd[0]);
		close(s->fd[1]);
	}
	free(s->req);
	free(s->resp);
	free(s);
	m->notif = NULL;
}

void
notif_prepare(struct master *m, struct spawn_req *r)
{
	struct notif_set	*s = m->notif;
	const struct sock_fprog	*notify;

	if (s == NULL || r->filter == NULL)
		return;
	notify = filter_notifying(r->filter);
	if (notify == NULL || s->fd[0] == -1) {
		if (s->why != NULL && notify != NULL)
			log_warnx("syscall_filter: denied calls are answered "
			    "EPERM but not logged: %s", s->why);
		s->why = NULL;
		return;
	}
	r->notify_filter = notify;
	r->notify_fd = s->fd[1];
	s->armed = 1;
}

void
notif_take(struct master *m, pid_t pid, const char *app,
    struct stats_app *st)
{
	struct notif_set	*s = m->notif;
	struct filter_msg	 msg;
	ssize_t			 n;
	int			 fd, got = 0, lost = 0;

	if (s == NULL || !s->armed)
		return;
	s->armed = 0;
	/* The child sent it before its exec, which spawn_process waited
	   for: it is here, and alone (one spawn at a time; a failed
	   spawn's, sent before its exec failed, is dropped by its own
	   take). */
	for (;;) {
		n = fdpass_recv(s->fd[0], &msg, sizeof(msg), &fd);
		if (n == -1 && errno == EMSGSIZE) {
			lost = 1;	/* out of fds: the kernel dropped it */
			continue;
		}
		if (n <= 0)
			break;
		if (n != (ssize_t)sizeof(msg) || pid == -1) {
			if (fd != -1)
				close(fd);
			continue;
		}
		got = 1;
		if (fd != -1)
			notif_watch(m, fd, pid, app, st);
		else if (!s->refused) {
			/* Likely for every process (a container's own
			   listener makes the kernel refuse ours): once. */
			s->refused = 1;
			log_warnx("[app %s] pid %d: its denied calls are "
			    "answered EPERM but not logged: no seccomp "
			    "listener: %s (said once)", app, (int)pid,
			    strerror(msg.error));
		}
		break;		/* ours: nothing can follow it */
	}
	if (pid != -1 && !got)
		log_warnx("[app %s] pid %d: its denied calls are not logged: "
		    "%s", app, (int)pid, lost ? "its seccomp listener was lost "
		    "(out of fds?); they fail with ENOSYS" : "no seccomp "
		    "listener came; they get EPERM");
}

/* A listener's record, not watching yet: NULL when out of memory. */
static struct notif *
notif_new(struct master *m, pid_t pid, const char *app,
    struct stats_app *st)
{
	struct notif	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->app = strdup(app)) == NULL) {
		free(n);
		return NULL;
	}
	n->set = m->notif;
	n->loop = m->loop;
	n->stats = st;
	n->pid = pid;
	n->one.pid = pid;
	n->callers = &n->one;
	return n;
}

/* n watches listener fd, on the list of its kind. */
static void
notif_start(struct notif *n, int fd)
{
	struct notif	**head = n->shared ? &n->set->apps :
			    &n->set->head;

	ev_io_init(&n->io, notif_io_cb, fd, EV_READ);
	ev_io_start(n->loop, &n->io);
	ev_timer_init(&n->said, notif_said_cb, NOTIF_LOG_INTERVAL, 0.);
	ev_init(&n->pause, notif_pause_cb);
	n->next = *head;
	if (*head != NULL)
		(*head)->prev = n;
	*head = n;
}

/* Watches listener fd of process pid (taking it: closed on failure). */
static void
notif_watch(struct master *m, int fd, pid_t pid, const char *app,
    struct stats_app *st)
{
	struct notif	*n;

	if ((n = notif_new(m, pid, app, st)) == NULL) {
		log_warn("[app %s] pid %d: its denied calls fail with ENOSYS, "
		    "unlogged", app, (int)pid);
		close(fd);
		return;
	}
	notif_start(n, fd);
}

void
notif_take_shared(struct master *m, int fd, int error, const char *app,
    struct stats_app *st)
{
	struct notif	*n = NULL;

	if (fd == -1) {
		if (error != ENOSYS)
			log_warnx("[app %s]: its denied calls are answered "
			    "EPERM but not logged: no seccomp listener: %s",
			    app, strerror(error));
		return;
	}
	if (m->notif == NULL || (n = notif_new(m, 0, app, st)) == NULL ||
	    (n->callers = calloc(NOTIF_CALLERS, sizeof(*n->callers))) ==
	    NULL) {
		log_warn("[app %s]: its denied calls fail with ENOSYS, "
		    "unlogged", app);
		if (n != NULL)
			free(n->app);
		free(n);
		close(fd);
		return;
	}
	n->shared = 1;
	notif_start(n, fd);
}

/*
 * Readable, or hung up: poll tells which, since a receive with nothing
 * pending would block.  A call pending is answered first; a hang-up with
 * none means no process uses the filter any more.
 */
static void
notif_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct notif	*n = container_of(w, struct notif, io);
	struct pollfd	 p;
	int		 i;

	(void)loop;
	(void)revents;
	for (i = 0; i < NOTIF_BATCH; i++) {
		p.fd = w->fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 0) != 1)
			return;
		if (!(p.revents & POLLIN)) {
			notif_close(n);
			return;
		}
		if (!notif_may_answer(n))
			return;
		notif_answer(n);
	}
}

/* 1 while n may answer another call this second; else its watcher is
   stopped until the next one. */
static int
notif_may_answer(struct notif *n)
{
	ev_tstamp	now = ev_now(n->loop);

	if (now - n->second >= 1.) {
		n->second = now;
		n->answered = 0;
		n->named_now = 0;
	}
	if (n->answered < NOTIF_RATE) {
		n->answered++;
		return 1;
	}
	if (!n->throttled) {
		n->throttled = 1;
		if (n->shared)
			log_warnx("[app %s]: seccomp denied calls are answered "
			    "%d a second at most", n->app, NOTIF_RATE);
		else
			log_warnx("[app %s] pid %d: seccomp denied calls are "
			    "answered %d a second at most", n->app, (int)n->pid,
			    NOTIF_RATE);
	}
	ev_io_stop(n->loop, &n->io);
	ev_timer_set(&n->pause, n->second + 1. - now, 0.);
	ev_timer_start(n->loop, &n->pause);
	return 0;
}

static void
notif_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct notif	*n = container_of(w, struct notif, pause);

	(void)revents;
	ev_io_start(loop, &n->io);
}

/* Receives one denied call, answers EPERM, counts and logs it.  A caller
   killed meanwhile is ENOENT on either step: nothing to do. */
static void
notif_answer(struct notif *n)
{
	struct notif_set	*s = n->set;
	pid_t			 group;

	memset(s->req, 0, s->req_len);
	if (ioctl(n->io.fd, SECCOMP_IOCTL_NOTIF_RECV, s->req) == -1)
		return;
	/* A spawner's caller is accounted with its process group, asked
	   while the caller waits for us (answered, it may be gone). */
	if (!n->shared || (group = getpgid((pid_t)s->req->pid)) <= 0)
		group = (pid_t)s->req->pid;
	memset(s->resp, 0, s->resp_len);
	s->resp->id = s->req->id;
	s->resp->error = -EPERM;
	(void)ioctl(n->io.fd, SECCOMP_IOCTL_NOTIF_SEND, s->resp);
	notif_denied(n, (pid_t)s->req->pid, group, s->req->data.arch,
	    s->req->data.nr);
}

/*
 * The record of caller pid: with a spawned process's listener its own
 * (every caller is it or its child); with a spawner's, that of pid (the
 * caller's process group: a CGI process leads its own, its children stay
 * in it, the same account as with a listener of its own), else a free
 * one, else the least recently used one, said and reused.
 */
static struct notif_caller *
notif_caller(struct notif *n, pid_t pid)
{
	struct notif_caller	*c, *old;
	int			 i;

	if (n->callers == &n->one)
		return &n->one;
	old = &n->callers[0];
	for (i = 0; i < NOTIF_CALLERS; i++) {
		c = &n->callers[i];
		if (c->pid == pid)
			break;
		if (c->used < old->used)
			old = c;
	}
	if (i == NOTIF_CALLERS) {
		c = old;
		notif_say_caller(n, c);
		memset(c, 0, sizeof(*c));
		c->pid = pid;
	}
	c->used = ++n->clock;
	return c;
}

/* The first NOTIF_LOG_BURST calls of each record are named (an app's
   listener: NOTIF_LOG_BURST * NOTIF_CALLERS a second at most), the rest
   counted and said NOTIF_LOG_INTERVAL after the first of them, or when
   the record is reused, or at the close. */
static void
notif_denied(struct notif *n, pid_t pid, pid_t group, uint32_t arch, int nr)
{
	struct notif_caller	*c = notif_caller(n, group);
	char			*name;

	if (n->stats != NULL)
		n->stats->seccomp_denied++;
	if (c->named < NOTIF_LOG_BURST && (!n->shared ||
	    n->named_now < NOTIF_LOG_BURST * NOTIF_CALLERS)) {
		c->named++;
		n->named_now++;
		if ((name = filter_call_name(arch, nr)) != NULL)
			log_warnx("[app %s] pid %d: seccomp denied %s(2)",
			    n->app, (int)pid, name);
		else
			log_warnx("[app %s] pid %d: seccomp denied system call "
			    "%d", n->app, (int)pid, nr);
		free(name);
		return;
	}
	if (c->more++ == 0)
		ev_timer_start(n->loop, &n->said);	/* or running */
}

static void
notif_said_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	notif_say_more(container_of(w, struct notif, said));
}

/* pid: the spawned process, the calls its or its children's; with an
   app's listener the caller. */
static void
notif_say_caller(struct notif *n, struct notif_caller *c)
{
	if (c->more == 0)
		return;
	log_warnx("[app %s] pid %d: seccomp denied %lu more calls", n->app,
	    (int)c->pid, c->more);
	c->more = 0;
}

static void
notif_say_more(struct notif *n)
{
	int	i;

	if (n->callers == &n->one)
		notif_say_caller(n, &n->one);
	else
		for (i = 0; i < NOTIF_CALLERS; i++)
			notif_say_caller(n, &n->callers[i]);
}

/* No process uses the listener any more, or the master stops (an app's:
   its thread ends first). */
static void
notif_close(struct notif *n)
{
	struct notif_set	*s = n->set;
	struct notif		**head = n->shared ? &s->apps :
				    &s->head;

	ev_io_stop(n->loop, &n->io);
	ev_timer_stop(n->loop, &n->said);
	ev_timer_stop(n->loop, &n->pause);
	notif_say_more(n);
	if (n->io.fd != -1)
		close(n->io.fd);
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		*head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	if (n->callers != &n->one)
		free(n->callers);
	free(n->app);
	free(n);
}
