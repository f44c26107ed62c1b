/*
 * FastCGI pool apps: supervised worker processes, each listening on its
 * own Unix socket in a private 0700 directory (its fd 0), one request at a
 * time per worker, a bounded FIFO per app when every worker is busy.
 * doc/ARCHITECTURE.md, "The channel to a pool worker".
 */
#ifndef FERRY_SERVER_POOL_H
#define FERRY_SERVER_POOL_H

struct conf;
struct conf_app;
struct conn;
struct master;

/* Sets up m->pool (its apps come with pool_install, which makes the
   private socket directory).  Returns 0, or -1 after logging why.
   on_ready (may be NULL) is called each time a new worker has
   answered FCGI_GET_VALUES, or its wait for the answer ended. */
int	pool_init(struct master *m, void (*on_ready)(struct master *m));
/* Stops every worker (SIGTERM, then SIGKILL after kill_grace), waiting
   for them synchronously, and removes the socket directory.  Called once
   the loop has ended (or after pool_init failed). */
void	pool_fini(struct master *m);
/* struct app_type's install, commit, release and collect (app-t.h): a
   FastCGI app keeps its workers across a reload while the settings of
   its processes (command, args, env, root, user, group) and its program
   file are unchanged,
   other settings applying at once; else its new workers start and the
   old ones finish the requests they hold, then go (retired, when they
   hold hijacked sockets). */
int	pool_install(struct master *m, struct conf *cf);
int	pool_commit(struct master *m, struct conf *cf);
void	pool_release(struct master *m, struct conf_app *app);
void	pool_collect(struct master *m);
/* Graceful stop begins: nothing is spawned any more; idle workers are
   stopped; busy ones are stopped after their request (and after the
   requests still queued).  A worker holding hijacked sockets is retired
   instead: it counts in pool_running until it exits or its grace ends. */
void	pool_stop(struct master *m);
/* Worker processes not reaped yet (for the end of a graceful stop). */
unsigned int pool_running(struct master *m);
/* Workers that have not yet answered FCGI_GET_VALUES (or timed out). */
unsigned int pool_starting(struct master *m);

/* Runs c's request (routed to a FastCGI app, paths resolved) on a free
   worker, or queues it; answers 503 itself when the queue is full. */
void	pool_request(struct conn *c);
/* 1 when c's app takes a chunked request body raw, still chunked, as
   STDIN (its workers announced hijack: see FERRY_PARAM_CHUNKED). */
int	pool_takes_raw_chunked(struct conn *c);

#endif
