/*
 * ferryd's counters and their two renderings, JSON and the Prometheus
 * text format (stats.h; each figure is described in ferry-status(7)).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/stats.h"

const double	stats_bounds[STATS_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30
};

/* By enum worker_state (server/pool-t.h), without WORKER_DEAD. */
static const char *const stats_worker_states[] = {
	"starting", "idle", "busy", "aborting", "retiring", "stopping"
};
#define STATS_WORKER_STATES	6

static const char *const stats_class_names[STATS_CLASSES] = {
	"none", "1xx", "2xx", "3xx", "4xx", "5xx"
};
static const char *const stats_refusal_names[STATS_REFUSALS] = {
	"gone", "twice", "stale", "complete", "spooled"
};
static const char *const stats_rung_names[STATS_RUNGS] = {
	"notify", "abort", "kill", "finish"
};
/* By enum conf_app_type. */
static const char *const stats_type_names[] = { "cgi", "fastcgi", "status" };

struct stats_app *
stats_app(struct stats *s, const char *name, int type)
{
	struct stats_app	*a;

	for (a = s->apps; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			break;
	if (a == NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL ||
		    (a->name = strdup(name)) == NULL) {
			free(a);
			return NULL;
		}
		a->next = s->apps;
		s->apps = a;
	}
	a->type = type;
	return a;
}

void
stats_free(struct stats *s)
{
	struct stats_app	*a;

	while ((a = s->apps) != NULL) {
		s->apps = a->next;
		free(a->name);
		free(a);
	}
}

void
stats_observe(struct stats_hist *h, double seconds)
{
	size_t	i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < STATS_BUCKETS && seconds > stats_bounds[i]; i++)
		continue;
	h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

int
stats_class(int status)
{
	return status >= 100 && status < 600 ? status / 100 : 0;
}

static void
stats_printf(struct stats_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
stats_printf(struct stats_text *t, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	size_t	 cap;
	char	*p;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p != NULL ? t->p + t->len : NULL,
		    t->p != NULL ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->nomem = 1;
			return;
		}
		if (t->p != NULL && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		cap = t->cap == 0 ? 8192 : t->cap * 2;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		if ((p = realloc(t->p, cap)) == NULL) {
			t->nomem = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
}

void
stats_text_free(struct stats_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

/* s as a JSON string, or a Prometheus label value (quotes, backslashes,
   control bytes escaped; bytes above 0x7e too, in JSON, as \u00XX). */
static void
stats_quoted(struct stats_text *t, const char *s, int json)
{
	const unsigned char	*p;

	stats_printf(t, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			stats_printf(t, "\\%c", *p);
		else if (*p == '\n')
			stats_printf(t, "\\n");
		else if (*p < 0x20 || (json && *p > 0x7e))
			stats_printf(t, json ? "\\u%04x" : "\\x%02x", *p);
		else
			stats_printf(t, "%c", *p);
	}
	stats_printf(t, "\"");
}

/* JSON */

static void
stats_json_hist(struct stats_text *t, const char *name,
    const struct stats_hist *h, int last)
{
	uint64_t	cum = 0;
	size_t		i;

	stats_printf(t, "\"%s\":{\"count\":%llu,\"sum\":%.6f,\"buckets\":[",
	    name, (unsigned long long)h->count, h->sum);
	for (i = 0; i <= STATS_BUCKETS; i++) {
		cum += h->bucket[i];
		if (i < STATS_BUCKETS)
			stats_printf(t, "{\"le\":%g,\"count\":%llu},",
			    stats_bounds[i], (unsigned long long)cum);
		else
			stats_printf(t, "{\"le\":\"+Inf\",\"count\":%llu}]}",
			    (unsigned long long)cum);
	}
	stats_printf(t, "%s", last ? "" : ",");
}

static void
stats_json_classes(struct stats_text *t, const uint64_t *c)
{
	size_t	i;

	stats_printf(t, "\"responses\":{");
	for (i = 0; i < STATS_CLASSES; i++)
		stats_printf(t, "%s\"%s\":%llu", i ? "," : "",
		    stats_class_names[i], (unsigned long long)c[i]);
	stats_printf(t, "}");
}

static void
stats_json_app(struct stats_text *t, const struct stats_app *a)
{
	size_t	i;

	stats_printf(t, "{\"name\":");
	stats_quoted(t, a->name, 1);
	stats_printf(t, ",\"type\":\"%s\",\"workers\":{",
	    stats_type_names[a->type]);
	for (i = 0; i < STATS_WORKER_STATES; i++)
		stats_printf(t, "%s\"%s\":%u", i ? "," : "",
		    stats_worker_states[i], a->workers[i]);
	stats_printf(t, "},\"cgi_running\":%u,\"queue\":{\"length\":%u,"
	    "\"peak\":%u,\"full\":%llu},\"requests\":%llu,", a->cgi_running,
	    a->queued, a->queue_peak, (unsigned long long)a->queue_full,
	    (unsigned long long)a->requests);
	stats_json_classes(t, a->status);
	stats_printf(t, ",\"timeouts\":%llu,\"worker_spawns\":%llu,"
	    "\"worker_exits\":%llu,\"worker_crashes\":%llu,"
	    "\"backoff_seconds\":%.3f,\"close_notify\":{\"gone\":%llu,"
	    "\"pipelined\":%llu},\"client_gone\":{",
	    (unsigned long long)a->timeouts, (unsigned long long)a->spawns,
	    (unsigned long long)a->exits, (unsigned long long)a->crashes,
	    a->backoff, (unsigned long long)a->notify_gone,
	    (unsigned long long)a->notify_pipelined);
	for (i = 0; i < STATS_RUNGS; i++)
		stats_printf(t, "%s\"%s\":%llu", i ? "," : "",
		    stats_rung_names[i], (unsigned long long)a->rungs[i]);
	stats_printf(t, "},\"hijack\":{\"handovers\":%llu,\"held\":%u,"
	    "\"refused\":{", (unsigned long long)a->hijacks, a->hijacked_held);
	for (i = 0; i < STATS_REFUSALS; i++)
		stats_printf(t, "%s\"%s\":%llu", i ? "," : "",
		    stats_refusal_names[i],
		    (unsigned long long)a->refusals[i]);
	stats_printf(t, "}},\"cgi\":{\"user_cpu_seconds\":%.6f,"
	    "\"system_cpu_seconds\":%.6f,\"max_rss_kib\":%llu},"
	    "\"seccomp_denied\":%llu,\"histograms\":{",
	    a->cgi_utime_us / 1e6, a->cgi_stime_us / 1e6,
	    (unsigned long long)a->cgi_maxrss_kib,
	    (unsigned long long)a->seccomp_denied);
	stats_json_hist(t, "request_duration_seconds", &a->duration, 0);
	stats_json_hist(t, "queue_wait_seconds", &a->queue_wait, 0);
	stats_json_hist(t, "client_gone_notify_seconds", &a->gone_notify, 0);
	stats_json_hist(t, "client_gone_free_seconds", &a->gone_free, 1);
	stats_printf(t, "}}");
}

void
stats_json(const struct stats *s, const struct stats_now *n,
    struct stats_text *t)
{
	const struct stats_app	*a;
	size_t			 i;

	stats_printf(t, "{\"version\":");
	stats_quoted(t, n->version, 1);
	stats_printf(t, ",\"instance\":");
	stats_quoted(t, n->instance, 1);
	stats_printf(t, ",\"pid\":%ld,\"started\":%.3f,\"uptime_seconds\":"
	    "%.3f,\"generation\":%u,\"draining\":%s,\"connections\":{"
	    "\"open\":%u", n->pid, s->started, n->now - s->started,
	    s->generation, n->draining ? "true" : "false", n->conns);
	for (i = 0; i < n->nstates; i++)
		stats_printf(t, ",\"%s\":%u", n->state_names[i], n->states[i]);
	stats_printf(t, "},\"accepted\":%llu,\"accept_errors\":%llu,"
	    "\"proxy_refused\":%llu,"
	    "\"requests\":%llu,", (unsigned long long)s->accepted,
	    (unsigned long long)s->accept_errors,
	    (unsigned long long)s->proxy_refused,
	    (unsigned long long)s->requests);
	stats_json_classes(t, s->status);
	stats_printf(t, ",\"hijacks\":%llu,\"reloads\":%llu,"
	    "\"reloads_failed\":%llu,\"apps\":[",
	    (unsigned long long)s->hijacks,
	    (unsigned long long)s->reloads,
	    (unsigned long long)s->reloads_failed);
	for (a = s->apps; a != NULL; a = a->next) {
		stats_json_app(t, a);
		stats_printf(t, "%s", a->next != NULL ? "," : "");
	}
	stats_printf(t, "]}\n");
}

/* Prometheus */

/* A family's HELP and TYPE lines. */
static void
stats_family(struct stats_text *t, const char *name, const char *type,
    const char *help)
{
	stats_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* One sample: name{app="A"[,extra]} value. */
static void
stats_sample(struct stats_text *t, const char *name, const char *app,
    const char *extra, double v)
{
	stats_printf(t, "%s", name);
	if (app != NULL || extra != NULL) {
		stats_printf(t, "{");
		if (app != NULL) {
			stats_printf(t, "app=");
			stats_quoted(t, app, 0);
		}
		if (extra != NULL)
			stats_printf(t, "%s%s", app != NULL ? "," : "", extra);
		stats_printf(t, "}");
	}
	stats_printf(t, " %.17g\n", v);
}

static void
stats_prom_hist(struct stats_text *t, const char *name, const char *help,
    const struct stats *s, size_t off)
{
	const struct stats_app	*a;
	const struct stats_hist	*h;
	char			 le[48], n[96];
	uint64_t		 cum;
	size_t			 i;

	stats_family(t, name, "histogram", help);
	for (a = s->apps; a != NULL; a = a->next) {
		h = (const struct stats_hist *)(const void *)
		    ((const char *)a + off);
		cum = 0;
		snprintf(n, sizeof(n), "%s_bucket", name);
		for (i = 0; i <= STATS_BUCKETS; i++) {
			cum += h->bucket[i];
			if (i < STATS_BUCKETS)
				snprintf(le, sizeof(le), "le=\"%g\"",
				    stats_bounds[i]);
			else
				snprintf(le, sizeof(le), "le=\"+Inf\"");
			stats_sample(t, n, a->name, le, (double)cum);
		}
		snprintf(n, sizeof(n), "%s_sum", name);
		stats_sample(t, n, a->name, NULL, h->sum);
		snprintf(n, sizeof(n), "%s_count", name);
		stats_sample(t, n, a->name, NULL, (double)h->count);
	}
}

/* An app counter or gauge at offset off (an unsigned int when gauge is
   1, else a uint64_t), one sample per app. */
static void
stats_prom_app(struct stats_text *t, const char *name, const char *type,
    const char *help, const struct stats *s, size_t off)
{
	const struct stats_app	*a;
	const char		*p;

	stats_family(t, name, type, help);
	for (a = s->apps; a != NULL; a = a->next) {
		p = (const char *)a + off;
		stats_sample(t, name, a->name, NULL,
		    strcmp(type, "gauge") == 0 ?
		    (double)*(const unsigned int *)(const void *)p :
		    (double)*(const uint64_t *)(const void *)p);
	}
}

/* An app counter array at off with n named entries, as label key. */
static void
stats_prom_labelled(struct stats_text *t, const char *name, const char *help,
    const struct stats *s, size_t off, const char *key,
    const char *const *names, size_t n)
{
	const struct stats_app	*a;
	const uint64_t		*v;
	char			 l[64];
	size_t			 i;

	stats_family(t, name, "counter", help);
	for (a = s->apps; a != NULL; a = a->next) {
		v = (const uint64_t *)(const void *)((const char *)a + off);
		for (i = 0; i < n; i++) {
			snprintf(l, sizeof(l), "%s=\"%s\"", key, names[i]);
			stats_sample(t, name, a->name, l, (double)v[i]);
		}
	}
}

#define STATS_OFF(f)	offsetof(struct stats_app, f)

void
stats_prometheus(const struct stats *s, const struct stats_now *n,
    struct stats_text *t)
{
	const struct stats_app	*a;
	char			 l[192];
	size_t			 i;

	stats_family(t, "ferry_info", "gauge",
	    "ferryd's version, instance name and pid (labels).");
	/* Not "instance": the label Prometheus gives the scraped target. */
	snprintf(l, sizeof(l), "version=\"%s\",ferry_instance=\"%s\","
	    "pid=\"%ld\"", n->version, n->instance, n->pid);
	stats_sample(t, "ferry_info", NULL, l, 1);
	stats_family(t, "ferry_start_time_seconds", "gauge",
	    "When ferryd started, in seconds since the Unix epoch.");
	stats_sample(t, "ferry_start_time_seconds", NULL, NULL, s->started);
	stats_family(t, "ferry_uptime_seconds", "gauge",
	    "Seconds since ferryd started.");
	stats_sample(t, "ferry_uptime_seconds", NULL, NULL, n->now -
	    s->started);
	stats_family(t, "ferry_config_generation", "gauge",
	    "The configuration in use: 1 at start, one more per reload.");
	stats_sample(t, "ferry_config_generation", NULL, NULL, s->generation);
	stats_family(t, "ferry_draining", "gauge",
	    "1 once draining (SIGWINCH) or a graceful stop began.");
	stats_sample(t, "ferry_draining", NULL, NULL, n->draining);
	stats_family(t, "ferry_connections", "gauge",
	    "Open client connections by state.");
	for (i = 0; i < n->nstates; i++) {
		snprintf(l, sizeof(l), "state=\"%s\"", n->state_names[i]);
		stats_sample(t, "ferry_connections", NULL, l, n->states[i]);
	}
	stats_family(t, "ferry_connections_accepted_total", "counter",
	    "Connections accepted.");
	stats_sample(t, "ferry_connections_accepted_total", NULL, NULL,
	    (double)s->accepted);
	stats_family(t, "ferry_accept_errors_total", "counter",
	    "Accepts that failed for want of fds or memory.");
	stats_sample(t, "ferry_accept_errors_total", NULL, NULL,
	    (double)s->accept_errors);
	stats_family(t, "ferry_proxy_refused_total", "counter",
	    "Connections closed unserved on a proxy_protocol listener.");
	stats_sample(t, "ferry_proxy_refused_total", NULL, NULL,
	    (double)s->proxy_refused);
	stats_family(t, "ferry_requests_total", "counter",
	    "Requests ended, by the class of their status.");
	for (i = 0; i < STATS_CLASSES; i++) {
		snprintf(l, sizeof(l), "class=\"%s\"", stats_class_names[i]);
		stats_sample(t, "ferry_requests_total", NULL, l,
		    (double)s->status[i]);
	}
	stats_family(t, "ferry_hijacks_total", "counter",
	    "Client sockets handed to workers.");
	stats_sample(t, "ferry_hijacks_total", NULL, NULL, (double)s->hijacks);
	stats_family(t, "ferry_reloads_total", "counter",
	    "Reloads (SIGHUP), by result.");
	stats_sample(t, "ferry_reloads_total", NULL, "result=\"applied\"",
	    (double)s->reloads);
	stats_sample(t, "ferry_reloads_total", NULL, "result=\"failed\"",
	    (double)s->reloads_failed);

	stats_family(t, "ferry_app_workers", "gauge",
	    "An app's FastCGI workers by state.");
	for (a = s->apps; a != NULL; a = a->next)
		for (i = 0; i < STATS_WORKER_STATES; i++) {
			snprintf(l, sizeof(l), "state=\"%s\"",
			    stats_worker_states[i]);
			stats_sample(t, "ferry_app_workers", a->name, l,
			    a->workers[i]);
		}
	stats_prom_app(t, "ferry_app_cgi_processes", "gauge",
	    "An app's CGI processes not reaped yet.", s,
	    STATS_OFF(cgi_running));
	stats_prom_app(t, "ferry_app_queue_length", "gauge",
	    "Requests waiting in an app's queue.", s, STATS_OFF(queued));
	stats_prom_app(t, "ferry_app_queue_peak", "gauge",
	    "The longest an app's queue was.", s, STATS_OFF(queue_peak));
	stats_prom_app(t, "ferry_app_hijacked_sockets", "gauge",
	    "Client sockets an app's workers hold.", s,
	    STATS_OFF(hijacked_held));
	stats_family(t, "ferry_app_backoff_seconds", "gauge",
	    "The wait before an app's next worker start (0: none).");
	for (a = s->apps; a != NULL; a = a->next)
		stats_sample(t, "ferry_app_backoff_seconds", a->name, NULL,
		    a->backoff);
	stats_prom_app(t, "ferry_app_queue_full_total", "counter",
	    "Requests answered 503: the app's queue was full.", s,
	    STATS_OFF(queue_full));
	stats_prom_labelled(t, "ferry_app_requests_total",
	    "An app's requests ended, by the class of their status.", s,
	    STATS_OFF(status), "class", stats_class_names, STATS_CLASSES);
	stats_prom_app(t, "ferry_app_timeouts_total", "counter",
	    "An app's requests answered 504.", s, STATS_OFF(timeouts));
	stats_prom_app(t, "ferry_app_worker_spawns_total", "counter",
	    "Workers an app started.", s, STATS_OFF(spawns));
	stats_prom_app(t, "ferry_app_worker_exits_total", "counter",
	    "An app's workers that exited.", s, STATS_OFF(exits));
	stats_prom_app(t, "ferry_app_worker_crashes_total", "counter",
	    "An app's workers that died unasked (signal, or a status "
	    "other than 0).", s, STATS_OFF(crashes));
	stats_family(t, "ferry_app_close_notify_total", "counter",
	    "Close-notify records sent, by reason.");
	for (a = s->apps; a != NULL; a = a->next) {
		stats_sample(t, "ferry_app_close_notify_total", a->name,
		    "reason=\"gone\"", (double)a->notify_gone);
		stats_sample(t, "ferry_app_close_notify_total", a->name,
		    "reason=\"pipelined\"", (double)a->notify_pipelined);
	}
	stats_prom_labelled(t, "ferry_app_client_gone_total",
	    "Requests whose client left, by the on_client_gone rung taken.",
	    s, STATS_OFF(rungs), "rung", stats_rung_names, STATS_RUNGS);
	stats_prom_app(t, "ferry_app_hijacks_total", "counter",
	    "Client sockets handed to an app's workers.", s,
	    STATS_OFF(hijacks));
	stats_prom_labelled(t, "ferry_app_hijack_refusals_total",
	    "Hijacks the master refused, by reason.", s, STATS_OFF(refusals),
	    "reason", stats_refusal_names, STATS_REFUSALS);
	stats_family(t, "ferry_app_cgi_cpu_seconds_total", "counter",
	    "CPU time of an app's finished CGI scripts.");
	for (a = s->apps; a != NULL; a = a->next) {
		stats_sample(t, "ferry_app_cgi_cpu_seconds_total", a->name,
		    "mode=\"user\"", a->cgi_utime_us / 1e6);
		stats_sample(t, "ferry_app_cgi_cpu_seconds_total", a->name,
		    "mode=\"system\"", a->cgi_stime_us / 1e6);
	}
	stats_family(t, "ferry_app_cgi_max_rss_bytes", "gauge",
	    "The largest peak RSS of an app's finished CGI scripts.");
	for (a = s->apps; a != NULL; a = a->next)
		stats_sample(t, "ferry_app_cgi_max_rss_bytes", a->name, NULL,
		    (double)a->cgi_maxrss_kib * 1024);
	stats_prom_app(t, "ferry_app_seccomp_denied_total", "counter",
	    "System calls of an app's processes that syscall_filter denied.",
	    s, STATS_OFF(seccomp_denied));
	stats_prom_hist(t, "ferry_app_request_duration_seconds",
	    "An app's requests, from their head to their end.", s,
	    STATS_OFF(duration));
	stats_prom_hist(t, "ferry_app_queue_wait_seconds",
	    "Time requests waited in an app's queue.", s,
	    STATS_OFF(queue_wait));
	stats_prom_hist(t, "ferry_app_client_gone_notify_seconds",
	    "From a client's leaving to the close-notify sent.", s,
	    STATS_OFF(gone_notify));
	stats_prom_hist(t, "ferry_app_client_gone_free_seconds",
	    "From a client's leaving to its worker free (reused or exited).",
	    s, STATS_OFF(gone_free));
}
