/*
 * ferryd's own pages, as an app type (CONF_APP_STATUS): the status page
 * at status_path (JSON, or the Prometheus text format; only to clients in
 * status_allow) and the health page at health_path (200 "ok" while
 * serving, 503 "draining" after SIGWINCH (a drain) or once a graceful
 * stop began).  Answered from
 * server/stats.c's counters, in O(apps), inside the loop.
 */
#ifndef FERRY_SERVER_STATUS_H
#define FERRY_SERVER_STATUS_H

struct conf;
struct conf_app;
struct conn;
struct master;

/* struct app_type's ops for the pages (app-t.h). */
void		status_request(struct conn *c);
unsigned int	status_running(struct master *m);
int		status_install(struct master *m, struct conf *cf);
int		status_commit(struct master *m, struct conf *cf);
void		status_collect(struct master *m);

#endif
