/*
 * libferry: close-notify, what the server tells a running request about
 * its client (GONE, PIPELINED) and the failures that count as GONE.  It
 * owns the request's notification bits and its eventfd: ferry_notified,
 * ferry_wait_notify and ferry_notify_fd, which wants the background
 * reader so that the fd turns readable with no app thread in the library.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "worker/ferry.h"
#include "worker/ferry-int.h"

static void	ferry_notify_kick(int efd);

/* Records reason bit for req and wakes its waiters; mu held.  Requests
   whose END_REQUEST is decided take no more notifications. */
void
ferry_notify_set(struct ferry_req *req, int bit)
{
	if (req->state == FERRY_REQ_ENDED || req->hijack == FERRY_HJ_DONE ||
	    (req->notified & bit))
		return;
	req->notified |= bit;
	if (req->efd != -1)
		ferry_notify_kick(req->efd);
	pthread_cond_broadcast(&req->conn->cv);
}

/* Makes the eventfd readable (it stays so: nobody reads it). */
static void
ferry_notify_kick(int efd)
{
	uint64_t	 one = 1;
	ssize_t		 w;

	/* It cannot fail: the counter is far from overflowing. */
	w = write(efd, &one, sizeof(one));
	(void)w;
}

int
ferry_notified(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;
	int			 n;

	pthread_mutex_lock(&c->mu);
	/* Reasons that came while nobody read are handled now. */
	if (req->state == FERRY_REQ_RUNNING)
		ferry_conn_peek(c);
	n = req->notified;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int
ferry_gone(struct ferry_req *req)
{
	return (ferry_notified(req) & FERRY_GONE) != 0;
}

int
ferry_pipelined(struct ferry_req *req)
{
	return (ferry_notified(req) & FERRY_PIPELINED) != 0;
}

int
ferry_wait_notify(struct ferry_req *req, int mask, int timeout_ms)
{
	struct ferry_conn	*c = req->conn;
	struct timespec		 deadline;
	int			 n;

	if (mask == 0)
		mask = FERRY_GONE | FERRY_PIPELINED;
	if (timeout_ms >= 0)
		ferry_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&c->mu);
	while (!(req->notified & mask) &&
	    ferry_conn_wait(c, timeout_ms >= 0 ? &deadline : NULL) == 0)
		;
	n = (req->notified & mask) ? req->notified : 0;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int
ferry_notify_fd(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;
	int			 fd;

	pthread_mutex_lock(&c->mu);
	if (req->efd == -1 &&
	    (req->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) != -1 &&
	    req->notified != 0)
		ferry_notify_kick(req->efd);
	/* Nobody need call the library for the fd to turn readable: the
	   background reader reads while the request runs. */
	if (req->efd != -1 && !c->bg_want &&
	    req->state == FERRY_REQ_RUNNING) {
		c->bg_want = 1;
		c->bg_grace = 1;
		pthread_cond_signal(&c->bgcv);
	}
	fd = req->efd;
	pthread_mutex_unlock(&c->mu);
	return fd;
}
