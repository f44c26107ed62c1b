/*
 * The status and health pages (status.h; the figures: ferry-status(7)).
 * A page is a response in CGI format fed to the connection like any
 * app's output, so that framing, HEAD and keep-alive are the same.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "protocol/cgienv.h"
#include "protocol/http1.h"
#include "server/conf.h"
#include "server/confval.h"
#include "server/conn.h"
#include "server/master-t.h"
#include "server/stats.h"
#include "server/status.h"

#define STATUS_PROMETHEUS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* One answer in progress: the connection tells it when the client is
   gone (a write failed: the connection closed), so that nothing more is
   given to it. */
struct status_call {
	int	gone;
};

static void
status_nothing(void *app)
{
	(void)app;
}

static void
status_detach(void *app, const char *why)
{
	struct status_call	*call = app;

	(void)why;
	call->gone = 1;
}

static const struct conn_app_ops status_ops = {
	status_nothing, status_nothing, status_detach, NULL, NULL, NULL, NULL
};

/* Answers c with status, content type and body (len bytes).  A client
   gone on the way (a health check that timed out and reset) ends it. */
static void
status_answer(struct conn *c, int status, const char *type,
    const char *extra, const char *body, size_t len)
{
	struct status_call	call = { 0 };
	char			head[256];
	int			n;

	/* With its length: framed with Content-Length whatever its size. */
	n = snprintf(head, sizeof(head), "Status: %d\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
	    status, type, len, extra != NULL ? extra : "");
	conn_app_attach(c, &status_ops, &call);
	conn_dispatch_ready(c);
	if (!call.gone)
		(void)conn_app_output(c, head, (size_t)n);
	if (len > 0 && !call.gone)
		(void)conn_app_output(c, body, len);
	if (!call.gone)
		conn_app_end(c, 1);	/* lets go of call */
}

static void
status_text(struct conn *c, int status, const char *extra, const char *text)
{
	status_answer(c, status, "text/plain; charset=utf-8", extra, text,
	    strlen(text));
}

/* 1 when the request asks for the Prometheus text format: ?format=
   prometheus, or an Accept naming openmetrics or text/plain's 0.0.4. */
static int
status_wants_prometheus(const struct http1_request *r)
{
	const char	*q = r->query.p, *end = q + r->query.len, *amp;
	size_t		 i, n;

	for (; q != NULL && q < end; q = amp + 1) {
		if ((amp = memchr(q, '&', (size_t)(end - q))) == NULL)
			amp = end;
		n = (size_t)(amp - q);
		if (n == 17 && memcmp(q, "format=prometheus", 17) == 0)
			return 1;
		if (n == 11 && memcmp(q, "format=json", 11) == 0)
			return 0;
	}
	for (i = 0; i < r->nfields; i++) {
		const struct http1_field *f = &r->fields[i];

		if (f->name.len != 6 ||
		    strncasecmp(f->name.p, "Accept", 6) != 0)
			continue;
		if (memmem(f->value.p, f->value.len, "openmetrics", 11) !=
		    NULL || memmem(f->value.p, f->value.len,
		    "version=0.0.4", 13) != NULL)
			return 1;
	}
	return 0;
}

/* 1 while the health page says "draining": SIGWINCH or a stop. */
static int
status_draining(const struct master *m)
{
	return m->draining || m->stopping;
}

/* The instance setting, or HOSTNAME:PID, into buf. */
static const char *
status_instance(const struct master *m, char *buf, size_t len)
{
	char	host[CONF_MAX_INSTANCE + 1];

	if (m->conf->instance != NULL)
		return m->conf->instance;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, len, "%s:%ld", host, (long)getpid());
	return buf;
}

static void
status_page(struct conn *c)
{
	struct master			*m = conn_master(c);
	const struct http1_request	*r = conn_request(c);
	char				 names[CONN_NSTATES][16], *p;
	char				 inst[CONF_MAX_INSTANCE + 24];
	const char			*ptrs[CONN_NSTATES];
	unsigned int			 states[CONN_NSTATES];
	struct cgienv_info		 info;
	struct stats_now		 now;
	struct stats_text		 t;
	int				 prom;
	size_t				 i;

	conn_cgienv_info(c, &info);
	if (!confval_cidr_match(&m->conf->status_allow, info.remote_addr)) {
		status_text(c, 403, NULL,
		    "403 Forbidden: not in status_allow\n");
		return;
	}
	memset(&now, 0, sizeof(now));
	now.now = ev_now(m->loop);
	now.pid = (long)getpid();
	now.version = PACKAGE_VERSION;
	now.conns = conn_count(m);
	for (i = 0; i + 1 < CONN_NSTATES; i++) {
		/* read-head as read_head: a name a JSON path can hold */
		snprintf(names[i], sizeof(names[i]), "%s",
		    conn_state_name((enum conn_state)i));
		for (p = names[i]; (p = strchr(p, '-')) != NULL;)
			*p = '_';
		ptrs[i] = names[i];
		states[i] = conn_state_count(m, (enum conn_state)i);
	}
	now.state_names = ptrs;
	now.states = states;
	now.nstates = CONN_NSTATES - 1;
	now.draining = status_draining(m);
	now.instance = status_instance(m, inst, sizeof(inst));
	m->stats.generation = m->conf->generation;
	memset(&t, 0, sizeof(t));
	prom = status_wants_prometheus(r);
	if (prom)
		stats_prometheus(&m->stats, &now, &t);
	else
		stats_json(&m->stats, &now, &t);
	if (t.nomem)
		conn_app_fail(c, 500);
	else
		status_answer(c, 200, prom ? STATUS_PROMETHEUS_TYPE :
		    "application/json", NULL, t.p, t.len);
	stats_text_free(&t);
}

void
status_request(struct conn *c)
{
	const struct conf_app		*app = conn_app_conf(c);
	const struct http1_request	*r = conn_request(c);
	struct master			*m = conn_master(c);

	/* The page's path alone, not what is below it. */
	if (r->path.len != strlen(app->prefix)) {
		status_text(c, 404, NULL, "404 Not Found\n");
		return;
	}
	if (!(r->method.len == 3 && memcmp(r->method.p, "GET", 3) == 0) &&
	    !(r->method.len == 4 && memcmp(r->method.p, "HEAD", 4) == 0)) {
		status_text(c, 405, "Allow: GET, HEAD\r\n",
		    "405 Method Not Allowed\n");
		return;
	}
	if (strcmp(app->name, CONF_HEALTH_APP) == 0) {
		if (status_draining(m))
			status_text(c, 503, NULL, "draining\n");
		else
			status_text(c, 200, NULL, "ok\n");
		return;
	}
	status_page(c);
}

unsigned int
status_running(struct master *m)
{
	(void)m;
	return 0;
}

int
status_install(struct master *m, struct conf *cf)
{
	(void)m;
	(void)cf;
	return 0;
}

int
status_commit(struct master *m, struct conf *cf)
{
	(void)m;
	(void)cf;
	return 0;
}

void
status_collect(struct master *m)
{
	(void)m;
}
