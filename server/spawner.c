/*
 * The filtered spawning thread (see spawner.h).  One request at a time
 * under a mutex: the master stores it, signals, and waits on the same
 * condition variable for the result.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/spawn.h"
#include "server/spawner.h"

enum spawner_state {
	SPAWNER_STARTING,
	SPAWNER_READY,		/* filtered, waiting for requests */
	SPAWNER_FAILED,		/* could not run filtered: gone */
	SPAWNER_STOPPING
};

struct spawner {
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	enum spawner_state	 state;
	const struct sock_fprog	*plain, *notify;
	int			 listener;	/* from the thread's start */
	int			 lerror;
	int			 error;		/* a start's or a spawn's */
	const struct spawn_req	*req;		/* the spawn to run, or NULL */
	pid_t			 pid;		/* its result */
};

static void	*spawner_main(void *arg);
static int	 spawner_filter_self(struct spawner *sp);

/* In the thread: no_new_privs and the filter, on this thread alone.
   0, or -1 with errno. */
static int
spawner_filter_self(struct spawner *sp)
{
	sp->listener = -1;
	sp->lerror = 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if (sp->notify != NULL) {
		sp->listener = (int)syscall(SYS_seccomp,
		    SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
		    sp->notify);
		if (sp->listener != -1)
			return 0;
		sp->lerror = errno;
	}
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, sp->plain);
}

static void *
spawner_main(void *arg)
{
	struct spawner	*sp = arg;
	int		 rc, error;

	rc = spawner_filter_self(sp);
	error = errno;
	pthread_mutex_lock(&sp->lock);
	sp->state = rc == 0 ? SPAWNER_READY : SPAWNER_FAILED;
	sp->error = rc == 0 ? 0 : error;
	pthread_cond_broadcast(&sp->cond);
	while (sp->state == SPAWNER_READY) {
		if (sp->req == NULL) {
			pthread_cond_wait(&sp->cond, &sp->lock);
			continue;
		}
		sp->pid = spawn_process(sp->req);
		sp->error = sp->pid == -1 ? errno : 0;
		sp->req = NULL;
		pthread_cond_broadcast(&sp->cond);
	}
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

struct spawner *
spawner_start(const struct sock_fprog *plain, const struct sock_fprog *notify,
    int *listener, int *lerror)
{
	struct spawner	*sp;
	sigset_t	 all, old;
	int		 error;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return NULL;
	sp->plain = plain;
	sp->notify = notify;
	sp->listener = -1;
	pthread_mutex_init(&sp->lock, NULL);
	pthread_cond_init(&sp->cond, NULL);
	/* Its signals are the master's to take, through the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&sp->thread, NULL, spawner_main, sp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		pthread_cond_destroy(&sp->cond);
		pthread_mutex_destroy(&sp->lock);
		free(sp);
		errno = error;
		return NULL;
	}
	pthread_mutex_lock(&sp->lock);
	while (sp->state == SPAWNER_STARTING)
		pthread_cond_wait(&sp->cond, &sp->lock);
	error = sp->state == SPAWNER_READY ? 0 : sp->error;
	pthread_mutex_unlock(&sp->lock);
	if (error != 0) {
		spawner_stop(sp);	/* the thread has ended */
		errno = error;
		return NULL;
	}
	*listener = sp->listener;
	*lerror = sp->lerror;
	return sp;
}

const struct sock_fprog *
spawner_filter(const struct spawner *sp)
{
	return sp->plain;
}

pid_t
spawner_spawn(struct spawner *sp, const struct spawn_req *r)
{
	struct spawn_req	 req = *r;
	pid_t			 pid;
	int			 error;

	req.filter = NULL;		/* inherited */
	req.notify_filter = NULL;
	req.notify_fd = -1;
	pthread_mutex_lock(&sp->lock);
	sp->req = &req;
	pthread_cond_broadcast(&sp->cond);
	while (sp->req != NULL)
		pthread_cond_wait(&sp->cond, &sp->lock);
	pid = sp->pid;
	error = sp->error;
	pthread_mutex_unlock(&sp->lock);
	if (pid == -1)
		errno = error;
	return pid;
}

void
spawner_stop(struct spawner *sp)
{
	if (sp == NULL)
		return;
	pthread_mutex_lock(&sp->lock);
	if (sp->state == SPAWNER_READY)
		sp->state = SPAWNER_STOPPING;
	pthread_cond_broadcast(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
	pthread_join(sp->thread, NULL);
	pthread_cond_destroy(&sp->cond);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}
