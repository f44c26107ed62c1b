/*
 * The types of the boundary between connections and apps (see app.h):
 * conn.c dispatches through struct app_type and needs nothing else of
 * app.c, so it includes only this (conn-int.h too: struct conn embeds
 * its struct app_qlink).
 */
#ifndef FERRY_SERVER_APP_T_H
#define FERRY_SERVER_APP_T_H

struct conf;
struct conf_app;
struct conn;
struct master;
struct app_queue;

struct app_type {
	/* Runs c's request (routed to an app of this type, its script
	   resolved) now, or queues it; answers an error itself. */
	void		(*request)(struct conn *c);
	/* 1 when c's app takes a chunked request body raw, still chunked;
	   NULL: never. */
	int		(*takes_raw_chunked)(struct conn *c);
	/* Processes not reaped yet: a graceful stop ends at none. */
	unsigned int	(*running)(struct master *m);
	/* A graceful stop begins (may be NULL). */
	void		(*stop)(struct master *m);
	/* The graceful stop's deadline passed: kill the rest (may be NULL). */
	void		(*kill)(struct master *m);

	/*
	 * A configuration's apps of this type get their state (app->rt),
	 * in two steps.  install: an app kept from the current
	 * configuration shares its state, a new one (or one whose
	 * processes change) gets a new state, not started; nothing
	 * running changes, and a failure (-1, logged) is undone by
	 * release.  commit: cf is now m->conf: kept states take its
	 * settings, new ones start, states it does not use drain (no new
	 * requests come to them; their processes end after the requests
	 * they hold); -1 when a new app's first process could not start
	 * (logged: the start fails; after a reload the app retries).
	 */
	int		(*install)(struct master *m, struct conf *cf);
	int		(*commit)(struct master *m, struct conf *cf);
	/* A configuration that used app is freed (confgen_put). */
	void		(*release)(struct master *m, struct conf_app *app);
	/* Frees the drained states that nothing uses any more: called
	   before the loop blocks, never from inside a state's callback. */
	void		(*collect)(struct master *m);
};

/* A connection's link in an app_queue: part of the connection (reached
   through conn_qlink()), used by server/app.c alone. */
struct app_qlink {
	struct conn		*next;
	struct app_queue	*queue;		/* the one c waits in, or NULL */
	double			 since;		/* ev_now when it came in */
};

/* A FIFO of connections waiting for an app.  left, when set, hears of
   a connection taken out because its client left or it waited too long
   (not of those popped). */
struct app_queue {
	struct conn	*head, *tail;
	unsigned int	 n;
	void		(*left)(struct app_queue *q, struct conn *c);
};

#endif
