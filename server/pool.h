/*
 * FastCGI pool apps: supervised worker processes, each listening on its
 * own Unix socket in a private 0700 directory (its fd 0), one request at a
 * time per worker, a bounded FIFO per app when every worker is busy.
 * DESIGN.md, "The channel to a pool worker".
 */
#ifndef FERRY_SERVER_POOL_H
#define FERRY_SERVER_POOL_H

struct master;
struct conn;

/* Creates the private socket directory and starts every FastCGI app's
   initial workers.  Returns 0, or -1 after logging why. */
int	pool_init(struct master *m);
/* Stops every worker (SIGTERM, then SIGKILL after kill_grace) and removes
   the socket directory.  Called once the loop has ended. */
void	pool_fini(struct master *m);
/* Graceful stop begins: no new requests; idle workers are stopped. */
void	pool_stop(struct master *m);
/* Workers still alive (for the end of a graceful stop). */
unsigned int pool_running(struct master *m);

/* Runs c's request (routed to a FastCGI app, paths resolved) on a free
   worker, or queues it; answers 503 itself when the queue is full. */
void	pool_request(struct conn *c);

#endif
