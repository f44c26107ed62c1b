/*
 * The boundary between connections and apps.
 *
 * struct app_type: what the rest of ferryd calls an app type (CGI, a
 * FastCGI pool) for.  master.c fills m->app_types, indexed by enum
 * conf_app_type, at start; conn.c dispatches a request through it and
 * never names an app module.
 *
 * struct app_queue: the bounded FIFO of requests waiting for a process
 * or a worker of one app, linked through the connections themselves
 * (conn_qlink()), and the "wait or answer 503" decision, written once for
 * every app type.  While a request waits its connection belongs to the
 * queue (state CONN_QUEUED): when the client leaves or the queue timeout
 * fires, the connection takes itself out through the queue's ops.
 */
#ifndef FERRY_SERVER_APP_H
#define FERRY_SERVER_APP_H

#include <ev.h>

#include "server/app-t.h"

void	app_queue_push(struct app_queue *q, struct conn *c);
/* Puts c back in front (it keeps its place). */
void	app_queue_push_front(struct app_queue *q, struct conn *c);
/* Takes the first connection out, or returns NULL. */
struct conn *app_queue_pop(struct app_queue *q);
/* Takes c out wherever it is; nothing when it is not queued. */
void	app_queue_remove(struct app_queue *q, struct conn *c);

/*
 * c's request waits at the end of q (state CONN_QUEUED) until the app
 * pops it.  When q holds max already, it is answered 503 instead, after
 * the error log line fmt (which says why).  Returns 0 when queued, -1
 * when answered.
 */
int	app_queue_wait(struct app_queue *q, unsigned int max, struct conn *c,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* c's request, taken out of q to run and dropped unread, waits again at
   the head of q (a retry), whatever q holds. */
void	app_queue_wait_front(struct app_queue *q, struct conn *c);

/*
 * ferryd's own shortage of fds or memory (util_short) while an app starts
 * a request: not the fault of a worker or a script.  The app leaves its
 * requests waiting in its queue (whose timeout answers them 503) and
 * calls app_short_hit(); retry(arg) then runs every CONNECT_RETRY, from
 * the loop, until a run calls app_short_hit() no more.  The start of a
 * shortage and its end are logged once each ("name: out of fds to
 * what").
 */
struct app_short {
	ev_timer	 timer;
	struct ev_loop	*loop;
	const char	*name, *what;
	void		(*retry)(void *arg);
	void		*arg;
	int		 logged;
};

void	app_short_init(struct app_short *s, struct ev_loop *loop,
	    const char *name, const char *what, void (*retry)(void *),
	    void *arg);
/* A start failed short: retry from the timer (a no-op while it runs). */
void	app_short_hit(struct app_short *s);
/* 1 while a shortage lasts: start nothing, queue. */
int	app_short_active(struct app_short *s);
/* Stops the timer (at the end). */
void	app_short_stop(struct app_short *s);

#endif
