/*
 * The master's SIGCHLD watcher: every exited child is reaped with
 * wait4(-1), and the watch waiting for its pid, if any, is told with its
 * status and rusage.  Children reaped elsewhere by pid (spawn.c's failed
 * start, the last waits after the loop) are simply not found here.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdlib.h>

#include <ev.h>

#include "server/log.h"
#include "server/master-t.h"
#include "server/reap.h"

struct reap_set {
	ev_signal		 sigchld;	/* data: the master */
	struct reap_watch	*head;		/* the active watches */
};

static void	reap_sigchld_cb(struct ev_loop *, ev_signal *, int);

int
reap_init(struct master *m)
{
	struct reap_set	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("reap_init");
		return -1;
	}
	ev_signal_init(&s->sigchld, reap_sigchld_cb, SIGCHLD);
	s->sigchld.data = m;
	ev_signal_start(m->loop, &s->sigchld);
	ev_unref(m->loop);	/* as libev's own child watcher */
	m->reap = s;
	return 0;
}

void
reap_fini(struct master *m)
{
	struct reap_set	*s = m->reap;

	if (s == NULL)
		return;
	ev_ref(m->loop);
	ev_signal_stop(m->loop, &s->sigchld);
	while (s->head != NULL)
		reap_stop(m, s->head);
	free(s);
	m->reap = NULL;
}

void
reap_start(struct master *m, struct reap_watch *w, pid_t pid, reap_cb cb)
{
	struct reap_set	*s = m->reap;

	reap_stop(m, w);
	w->pid = pid;
	w->cb = cb;
	w->active = 1;
	w->prev = NULL;
	w->next = s->head;
	if (s->head != NULL)
		s->head->prev = w;
	s->head = w;
}

void
reap_stop(struct master *m, struct reap_watch *w)
{
	struct reap_set	*s = m->reap;

	if (!w->active)
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		s->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->active = 0;
}

/* Reaps every child that exited; each watch found is stopped, then told
   (its callback may start or stop any watch). */
static void
reap_sigchld_cb(struct ev_loop *loop, ev_signal *sw, int revents)
{
	struct master		*m = sw->data;
	struct rusage		 ru;
	pid_t			 pid;
	int			 st;

	for (;;) {
		pid = wait4(-1, &st, WNOHANG, &ru);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		reap_deliver(m, pid, st, &ru);
	}
}

void
reap_deliver(struct master *m, pid_t pid, int status, const struct rusage *ru)
{
	struct reap_watch	*w;

	for (w = m->reap->head; w != NULL; w = w->next)
		if (w->pid == pid)
			break;
	if (w == NULL)
		return;
	reap_stop(m, w);
	w->cb(w, status, ru);
}
