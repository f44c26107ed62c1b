/*
 * CGI apps (RFC 3875): one process per request, spawned by spawn.c, with
 * the body on a pipe to stdin, the response read from stdout, stderr to
 * the error log, and at most max_processes at once per app; further
 * requests wait in a bounded FIFO.
 */
#ifndef FERRY_SERVER_CGI_H
#define FERRY_SERVER_CGI_H

struct conf;
struct conf_app;
struct conn;
struct master;

/* Sets up m->cgi (its apps come with cgi_install).  Returns 0 or -1. */
int	cgi_init(struct master *m);
void	cgi_fini(struct master *m);
/* struct app_type's install, commit, release and collect (app-t.h):
   an app keeps its state by name across reloads; one no configuration
   uses is freed once its processes and queue are done. */
int	cgi_install(struct master *m, struct conf *cf);
int	cgi_commit(struct master *m, struct conf *cf);
void	cgi_release(struct master *m, struct conf_app *app);
void	cgi_collect(struct master *m);

/* Runs c's request (routed to a CGI app, script resolved) now or queues
   it; answers 503 itself when the queue is full. */
void	cgi_request(struct conn *c);
/* The connection reaches the running script through struct
   conn_app_ops: on detach (client gone, shutdown) the app's
   on_client_gone policy applies and the process is reaped in the
   background. */
/* Kills every running script (end of a graceful stop). */
void	cgi_kill_all(struct master *m);
/* Number of CGI processes still running or not yet reaped. */
unsigned int cgi_running(struct master *m);

#endif
