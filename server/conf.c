/*
 * ferryd's settings: the command line and ferry.conf(5).
 *
 * Every key of the file is one row of conf_keys: the section it belongs
 * in, where it lands in struct conf or struct conf_app, its kind (one
 * setter per kind), its limits and its default.  conf_load applies the
 * defaults once, before anything is read, and resolves the ones that
 * depend on an app's type when its section ends, so that users of
 * struct conf read every field as it is.  server/confread.c reads the
 * INI file and reports sections and keys here, server/confval.c parses
 * the values, server/confargs.c the command line.  Every error names
 * FILE:LINE; a section's missing keys name the line of its header.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server/conf.h"
#include "server/conf-int.h"
#include "server/confargs.h"
#include "server/confread.h"
#include "server/confval.h"
#include "server/log.h"
#include "server/sandbox.h"

#define CONF_ERR_MAX	CONFREAD_ERR_MAX

static struct conf_app *conf_app_add(struct conf *, const char *,
		    enum conf_app_type);
static int	conf_app_finish(struct conf_app *, int, int, int, char *,
		    size_t);

/* What confargs_apply adds the apps of --cgi and --app with. */
static const struct confargs_ops conf_args_ops = {
	confval_prefix, conf_app_add, conf_app_finish
};

/* A row designates every member it sets (and no more). */
#define KEY(n, f, k)	.name = (n), .flags = (f), .kind = (k)
#define SRV(f)	.off = offsetof(struct conf, f), \
		.size = sizeof(((struct conf *)NULL)->f)
#define APP(f)	.off = offsetof(struct conf_app, f), \
		.size = sizeof(((struct conf_app *)NULL)->f)

static const char *const conf_types[] = { "cgi", "fastcgi", "", NULL };
static const char *const conf_gones[] = { "", "finish", "abort",
	"terminate", NULL };		/* by enum conf_gone */
static const char *const conf_isolations[] = { "worker", "request", NULL };
static const char *const conf_half_closes[] = { "gone", "answer", NULL };
/* By enum conf_syscall_filter. */
static const char *const conf_filters[] = { "off", "default", NULL };
static const char *const conf_yesno[] = { "no", "yes", NULL };
/* An app's yes/no key k named n, at field f (0: no). */
#define CONF_YESNO(k, n, f) [k] = { KEY(n, KF_APP, KIND_ENUM), APP(f), \
	    .def = 0, .names = conf_yesno }
static const char *const conf_log_formats[] = { "combined", "json", NULL };
static const char *const conf_no_yes[] = { "no", "yes", NULL };
/* By enum forwarded_format. */
static const char *const conf_forwarded_headers[] = { "x-forwarded-for",
	"forwarded", NULL };

static const struct conf_keydef conf_keys[K_COUNT] = {
	[K_LISTEN] = { KEY("listen", KF_SERVER | KF_REPEAT, KIND_LISTEN),
	    SRV(listens) },
	[K_ACCESS_LOG] = { KEY("access_log", KF_SERVER | KF_OFF, KIND_PATH),
	    SRV(access_log) },
	[K_ERROR_LOG] = { KEY("error_log", KF_SERVER | KF_SYSLOG, KIND_PATH),
	    SRV(error_log) },
	[K_LOG_LEVEL] = { KEY("log_level", KF_SERVER, KIND_LEVEL),
	    SRV(log_level), .def = LOG_LEVEL_INFO },
	[K_MAX_CONNECTIONS] = { KEY("max_connections", KF_SERVER, KIND_UINT),
	    SRV(max_conns), .min = 1, .max = CONF_MAX_CONNS_LIMIT,
	    .def = CONF_DEFAULT_MAX_CONNS },
	[K_MAX_BODY_SIZE] = { KEY("max_body_size", KF_SERVER, KIND_BYTES),
	    SRV(max_body), .max = CONF_MAX_BODY_LIMIT,
	    .def = CONF_DEFAULT_MAX_BODY },
	[K_MAX_TARGET_LENGTH] = {
	    KEY("max_target_length", KF_SERVER, KIND_BYTES),
	    SRV(max_target), .min = CONF_MIN_TARGET_LIMIT,
	    .max = CONF_MAX_HEAD_LIMIT, .def = CONF_DEFAULT_MAX_TARGET },
	[K_MAX_HEADER_SIZE] = { KEY("max_header_size", KF_SERVER, KIND_BYTES),
	    SRV(max_head), .min = CONF_MIN_HEAD_LIMIT,
	    .max = CONF_MAX_HEAD_LIMIT, .def = CONF_DEFAULT_MAX_HEAD },
	[K_MAX_HEADER_FIELDS] = {
	    KEY("max_header_fields", KF_SERVER, KIND_UINT),
	    SRV(max_fields), .min = 1, .max = CONF_MAX_FIELDS_LIMIT,
	    .def = CONF_DEFAULT_MAX_FIELDS },
	[K_HEADER_TIMEOUT] = { KEY("header_timeout", KF_SERVER, KIND_SECONDS),
	    SRV(header_timeout), .def = CONF_DEFAULT_HEADER_TIMEOUT },
	[K_BODY_TIMEOUT] = { KEY("body_timeout", KF_SERVER, KIND_SECONDS),
	    SRV(body_timeout), .def = CONF_DEFAULT_BODY_TIMEOUT },
	[K_KEEPALIVE_TIMEOUT] = {
	    KEY("keepalive_timeout", KF_SERVER, KIND_SECONDS),
	    SRV(keepalive_timeout), .def = CONF_DEFAULT_KEEPALIVE_TIMEOUT },
	[K_WRITE_TIMEOUT] = { KEY("write_timeout", KF_SERVER, KIND_SECONDS),
	    SRV(write_timeout), .def = CONF_DEFAULT_WRITE_TIMEOUT },
	[K_SHUTDOWN_TIMEOUT] = {
	    KEY("shutdown_timeout", KF_SERVER, KIND_SECONDS),
	    SRV(shutdown_timeout), .def = CONF_DEFAULT_SHUTDOWN_TIMEOUT },
	[K_KILL_GRACE] = { KEY("kill_grace", KF_SERVER, KIND_SECONDS),
	    SRV(kill_grace), .def = CONF_DEFAULT_KILL_GRACE },
	[K_ACCESS_LOG_FORMAT] = {
	    KEY("access_log_format", KF_SERVER, KIND_ENUM),
	    SRV(access_log_format), .def = LOG_FORMAT_COMBINED,
	    .names = conf_log_formats },
	[K_SYSLOG_FACILITY] = {
	    KEY("syslog_facility", KF_SERVER, KIND_ENUM),
	    SRV(syslog_facility), .def = LOG_FAC_DAEMON,
	    .names = log_facility_names },

	[K_TYPE] = { KEY("type", KF_APP, KIND_ENUM), APP(type),
	    .def = CONF_APP_CGI, .names = conf_types },
	[K_PREFIX] = { KEY("prefix", KF_APP, KIND_PREFIX), APP(prefix) },
	[K_ROOT] = { KEY("root", KF_APP, KIND_DIR), APP(root) },
	[K_COMMAND] = { KEY("command", KF_APP | KF_FCGI, KIND_PROG),
	    APP(command) },
	[K_ARGS] = { KEY("args", KF_APP | KF_FCGI | KF_REPEAT, KIND_WORDS),
	    APP(args) },
	[K_ENV] = { KEY("env", KF_APP | KF_REPEAT | KF_NAMES, KIND_WORDS),
	    APP(env) },
	/* The worker counts left out are resolved at the section's end. */
	[K_WORKERS] = { KEY("workers", KF_APP | KF_FCGI, KIND_UINT),
	    APP(workers),
	    .max = CONF_MAX_WORKERS_LIMIT, .def = CONF_DEFAULT_WORKERS },
	[K_MIN_WORKERS] = { KEY("min_workers", KF_APP | KF_FCGI, KIND_UINT),
	    APP(min_workers), .max = CONF_MAX_WORKERS_LIMIT,
	    .def = CONF_DEFAULT_WORKERS },
	[K_MAX_WORKERS] = { KEY("max_workers", KF_APP | KF_FCGI, KIND_UINT),
	    APP(max_workers), .min = 1, .max = CONF_MAX_WORKERS_LIMIT,
	    .def = CONF_DEFAULT_WORKERS },
	[K_MAX_REQUESTS] = { KEY("max_requests", KF_APP | KF_FCGI, KIND_UINT),
	    APP(max_requests), .max = CONF_MAX_REQUESTS_LIMIT,
	    .def = CONF_DEFAULT_MAX_REQUESTS },
	[K_MAX_PROCESSES] = { KEY("max_processes", KF_APP | KF_CGI, KIND_UINT),
	    APP(max_procs), .min = 1, .max = CONF_MAX_PROCS_LIMIT,
	    .def = CONF_DEFAULT_MAX_PROCS },
	[K_QUEUE] = { KEY("queue", KF_APP, KIND_UINT), APP(queue),
	    .max = CONF_MAX_QUEUE_LIMIT, .def = CONF_DEFAULT_QUEUE },
	[K_REQUEST_TIMEOUT] = { KEY("request_timeout", KF_APP, KIND_SECONDS),
	    APP(request_timeout), .def = CONF_DEFAULT_REQUEST_TIMEOUT },
	[K_IDLE_TIMEOUT] = {
	    KEY("idle_timeout", KF_APP | KF_FCGI, KIND_SECONDS),
	    APP(idle_timeout), .def = CONF_DEFAULT_IDLE_TIMEOUT },
	/* CONF_GONE_DEFAULT: abort or terminate by type, at the end. */
	[K_ON_CLIENT_GONE] = { KEY("on_client_gone", KF_APP, KIND_ENUM),
	    APP(on_client_gone), .def = CONF_GONE_DEFAULT,
	    .names = conf_gones },
	[K_USER] = { KEY("user", KF_APP, KIND_USER), APP(user) },
	[K_GROUP] = { KEY("group", KF_APP, KIND_GROUP), APP(group) },
	[K_ISOLATION] = { KEY("isolation", KF_APP | KF_FCGI, KIND_ENUM),
	    APP(isolation_request), .def = 0, .names = conf_isolations },
	[K_HALF_CLOSE] = { KEY("half_close", KF_APP, KIND_ENUM),
	    APP(half_close_answer), .def = 0, .names = conf_half_closes },
	/* 0 (no line): no limit, and shutdown_timeout at a stop. */
	[K_HIJACK_GRACE] = {
	    KEY("hijack_grace", KF_APP | KF_FCGI, KIND_SECONDS),
	    APP(hijack_grace), .def = 0 },
	[K_REQUEST_BUFFERING] = {
	    KEY("request_buffering", KF_APP, KIND_BUFFERING),
	    APP(request_buffering), .min = 1, .max = CONF_MAX_BODY_LIMIT },
	[K_BODY_MIN_RATE] = { KEY("body_min_rate", KF_SERVER, KIND_BYTES),
	    SRV(body_min_rate), .max = CONF_MAX_BODY_LIMIT, .def = 0 },
	[K_PID_FILE] = { KEY("pid_file", KF_SERVER, KIND_PATH),
	    SRV(pid_file) },
	[K_STATUS_PATH] = { KEY("status_path", KF_SERVER, KIND_URLPATH),
	    SRV(status_path) },
	[K_STATUS_ALLOW] = {
	    KEY("status_allow", KF_SERVER | KF_REPEAT, KIND_CIDRS),
	    SRV(status_allow) },
	[K_HEALTH_PATH] = { KEY("health_path", KF_SERVER, KIND_URLPATH),
	    SRV(health_path) },
	/* setrlimit in the app's processes (soft and hard limit) */
	[K_LIMIT_CPU] = { KEY("limit_cpu", KF_APP, KIND_LIMIT),
	    APP(limits[CONF_LIMIT_CPU]), .min = 1, .max = CONF_MAX_SECONDS },
	[K_LIMIT_MEMORY] = { KEY("limit_memory", KF_APP, KIND_LIMIT),
	    APP(limits[CONF_LIMIT_MEMORY]), .min = 1024 * 1024,
	    .max = CONF_MAX_BODY_LIMIT },
	[K_LIMIT_FILES] = { KEY("limit_files", KF_APP, KIND_LIMIT),
	    APP(limits[CONF_LIMIT_FILES]), .min = 4, .max = 1 << 20 },
	[K_LIMIT_PROCESSES] = { KEY("limit_processes", KF_APP, KIND_LIMIT),
	    APP(limits[CONF_LIMIT_PROCESSES]), .min = 1, .max = 1 << 22 },
	[K_LIMIT_FILE_SIZE] = { KEY("limit_file_size", KF_APP, KIND_LIMIT),
	    APP(limits[CONF_LIMIT_FILE_SIZE]), .min = 0,
	    .max = CONF_MAX_BODY_LIMIT },
	[K_LIMIT_CORE] = { KEY("limit_core", KF_APP, KIND_LIMIT),
	    APP(limits[CONF_LIMIT_CORE]), .min = 0,
	    .max = CONF_MAX_BODY_LIMIT },
	[K_SYSCALL_FILTER] = { KEY("syscall_filter", KF_APP, KIND_ENUM),
	    APP(syscall_filter), .def = CONF_FILTER_OFF,
	    .names = conf_filters },
	/* cgroups (server/cgroup.c) */
	[K_CGROUP] = { KEY("cgroup", KF_APP, KIND_ENUM), APP(cgroup),
	    .def = 0, .names = conf_no_yes },
	[K_MEMORY_MAX] = { KEY("memory_max", KF_APP, KIND_LIMIT),
	    APP(memory_max), .min = 1024 * 1024, .max = CONF_MAX_BODY_LIMIT },
	[K_PIDS_MAX] = { KEY("pids_max", KF_APP, KIND_LIMIT), APP(pids_max),
	    .min = 1, .max = 1 << 22 },
	[K_CPU_MAX] = { KEY("cpu_max", KF_APP, KIND_PERCENT), APP(cpu_max),
	    .min = 1, .max = 100000 },
	/* who may send a PROXY header (a proxy_protocol listen entry) */
	[K_PROXY_FROM] = {
	    KEY("proxy_from", KF_SERVER | KF_REPEAT, KIND_CIDRS),
	    SRV(proxy_from) },
	/* namespaces and filesystem (server/sandbox.c) */
	CONF_YESNO(K_PRIVATE_NETWORK, "private_network", private_network),
	CONF_YESNO(K_PRIVATE_IPC, "private_ipc", private_ipc),
	CONF_YESNO(K_PRIVATE_UTS, "private_uts", private_uts),
	CONF_YESNO(K_PRIVATE_PIDS, "private_pids", private_pids),
	CONF_YESNO(K_READ_ONLY, "read_only", read_only),
	CONF_YESNO(K_PRIVATE_TMP, "private_tmp", private_tmp),
	[K_WRITABLE] = { KEY("writable", KF_APP | KF_REPEAT, KIND_WORDS),
	    APP(writable) },
	[K_HIDE_PATHS] = { KEY("hide_paths", KF_APP | KF_REPEAT, KIND_WORDS),
	    APP(hide_paths) },
	[K_CHROOT] = { KEY("chroot", KF_APP, KIND_DIR), APP(chroot) },
	/* a front's forwarding headers (server/connfwd.c) */
	[K_TRUSTED_PROXIES] = {
	    KEY("trusted_proxies", KF_SERVER | KF_REPEAT, KIND_CIDRS),
	    SRV(trusted_proxies) },
	[K_FORWARDED_HEADER] = {
	    KEY("forwarded_header", KF_SERVER, KIND_ENUM),
	    SRV(forwarded_header), .def = 0,
	    .names = conf_forwarded_headers },
	/* several instances behind a load balancer (server/master.c) */
	[K_INSTANCE] = { KEY("instance", KF_SERVER, KIND_NAME),
	    SRV(instance) },
	[K_DRAIN_DELAY] = { KEY("drain_delay", KF_SERVER, KIND_SECONDS),
	    SRV(drain_delay), .def = 0 },
};

static void	conf_defaults(void *, int);
static int	conf_workers_resolve(struct conf_app *, int, int, int,
		    char *, size_t);
static int	conf_section_end(void *, struct confread *);
static int	conf_include(struct conf_file *, struct confread *,
		    const char *);
static int	conf_section_begin(void *, struct confread *, const char *,
		    size_t);
static int	conf_key(void *, struct confread *, const char *,
		    const char *);

static const struct confread_ops conf_file_ops = {
	conf_section_begin, conf_section_end, conf_key
};

/* Appends an app of type type named name (copied), with the defaults of
   conf_keys and empty args and env lists.  Returns it, or NULL when out
   of memory. */
static struct conf_app *
conf_app_add(struct conf *c, const char *name, enum conf_app_type type)
{
	struct conf_app	*apps, *a;

	apps = realloc(c->apps, (c->napps + 1) * sizeof(*apps));
	if (apps == NULL)
		return NULL;
	c->apps = apps;
	a = &apps[c->napps];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	a->args = calloc(1, sizeof(char *));
	a->env = calloc(1, sizeof(char *));
	if (a->name == NULL || a->args == NULL || a->env == NULL) {
		conf_app_free(a);
		return NULL;
	}
	conf_defaults(a, KF_APP);
	a->type = type;
	c->napps++;
	return a;
}

void
conf_free(struct conf *c)
{
	size_t	i;

	for (i = 0; i < c->nlistens; i++)
		free(c->listens[i].spec);
	free(c->listens);
	for (i = 0; i < c->napps; i++)
		conf_app_free(&c->apps[i]);
	free(c->apps);
	free(c->access_log);
	free(c->error_log);
	free(c->pid_file);
	free(c->status_path);
	free(c->health_path);
	free(c->status_allow.v);
	free(c->proxy_from.v);
	free(c->trusted_proxies.v);
	free(c->instance);
	memset(c, 0, sizeof(*c));
}

int
conf_app_ids_check(const struct conf_app *a, char *err, size_t errlen)
{
	if ((a->user == NULL && a->group == NULL) || geteuid() == 0 ||
	    (a->uid == geteuid() && a->gid == getegid()))
		return 0;
	if (a->user != NULL && (a->uid != geteuid() || a->group == NULL))
		confval_errf(err, errlen, "[app %s]: user = %s needs ferryd to "
		    "run as root", a->name, a->user);
	else
		confval_errf(err, errlen,
		    "[app %s]: group = %s needs ferryd to "
		    "run as root", a->name, a->group);
	return -1;
}

/* 0 when a's processes can take its limits, else -1 after a message: a
   process without root's privileges cannot raise a hard limit, and it
   sets its limits after its switch to the app's user. */
static int
conf_app_limits_check(const struct conf *c, const struct conf_app *a)
{
	struct rlimit	rl;
	uint64_t	want;
	int		i, rc = 0;

	if (geteuid() == 0 && a->uid == 0 && (a->user != NULL ||
	    a->group == NULL))
		return 0;
	for (i = 0; i < CONF_LIMITS; i++) {
		if ((want = a->limits[i]) == CONF_LIMIT_UNSET ||
		    getrlimit(conf_limit_rlimit[i], &rl) == -1 ||
		    rl.rlim_max == RLIM_INFINITY)
			continue;
		if (i == CONF_LIMIT_CPU)
			want++;		/* spawn_limits' hard limit */
		if (want <= (uint64_t)rl.rlim_max)
			continue;
		confval_report("%s: [app %s]: %s = %llu is above ferryd's own "
		    "hard limit (%llu), which only root may raise",
		    c->file != NULL ? c->file : "ferryd", a->name,
		    conf_limit_key[i], (unsigned long long)a->limits[i],
		    (unsigned long long)rl.rlim_max);
		rc = -1;
	}
	return rc;
}

int
conf_apps_check(const struct conf *c)
{
	const struct conf_app	*a;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < c->napps; i++) {
		a = &c->apps[i];
		if (a->type == CONF_APP_STATUS)
			continue;
		if (conf_app_limits_check(c, a) == -1)
			rc = -1;
		if (geteuid() != 0 || a->user != NULL)
			continue;
		if (a->from_args)
			confval_report("%s %s=%s: its processes would run as "
			    "root: give --user USER (--user root to run them "
			    "as root)", a->type == CONF_APP_CGI ? "--cgi" :
			    "--app", a->prefix, a->type == CONF_APP_CGI ?
			    a->root : a->command);
		else
			confval_report("%s: [app %s]: its processes would run "
			    "as root: set user (user = root to run them as "
			    "root)", c->file != NULL ? c->file : "ferryd",
			    a->name);
		rc = -1;
	}
	return rc;
}

/*
 * Fills in the worker counts a FastCGI section left out (workers: 2, or
 * within the min/max given; min and max: workers) and checks
 * min_workers <= workers <= max_workers, max_workers >= 1.
 */
static int
conf_workers_resolve(struct conf_app *a, int has_w, int has_min, int has_max,
    char *err, size_t errlen)
{
	if (!has_w) {
		a->workers = CONF_DEFAULT_WORKERS;
		if (has_min && a->min_workers > a->workers)
			a->workers = a->min_workers;
		if (has_max && a->max_workers < a->workers)
			a->workers = a->max_workers;
	}
	if (!has_min)
		a->min_workers = a->workers;
	if (!has_max)
		a->max_workers = a->workers;
	if (a->max_workers < 1)
		return confval_errf(err, errlen,
		    "max_workers must be at least 1");
	if (a->min_workers > a->workers || a->workers > a->max_workers)
		return confval_errf(err, errlen,
		    "need min_workers (%d) <= workers "
		    "(%d) <= max_workers (%d)", a->min_workers, a->workers,
		    a->max_workers);
	return 0;
}

/* Resolves the defaults that depend on a's type (on_client_gone, the
   worker counts: has_* say which the app set) and checks the counts. */
static int
conf_app_finish(struct conf_app *a, int has_w, int has_min, int has_max,
    char *err, size_t errlen)
{
	int		fcgi = a->type == CONF_APP_FASTCGI;

	if (a->on_client_gone == CONF_GONE_DEFAULT)
		a->on_client_gone = fcgi ? CONF_GONE_ABORT :
		    CONF_GONE_TERMINATE;
	struct stat	st;

	if (sandbox_conf_check(a, err, errlen) == -1)
		return -1;

	if (!fcgi) {
		a->workers = a->min_workers = a->max_workers = 0;
		return 0;
	}
	if (a->command != NULL && stat(a->command, &st) == 0) {
		a->command_dev = st.st_dev;
		a->command_ino = st.st_ino;
		a->command_mtime = st.st_mtim;
	}
	return conf_workers_resolve(a, has_w, has_min, has_max, err, errlen);
}

/* Sets the defaults of the keys of where (KF_SERVER or KF_APP) in base. */
static void
conf_defaults(void *base, int where)
{
	const struct conf_keydef	*k;
	char				*field;

	for (k = conf_keys; k < conf_keys + K_COUNT; k++) {
		if (!(k->flags & where))
			continue;
		field = (char *)base + k->off;
		switch (k->kind) {
		case KIND_UINT:
		case KIND_BYTES:
		case KIND_ENUM:
		case KIND_LEVEL:
			confset_store(field, k->size, (uint64_t)k->def);
			break;
		case KIND_SECONDS:
			memcpy(field, &k->def, sizeof(k->def));
			break;
		case KIND_BUFFERING:
			confset_store(field, k->size, CONF_BUFFER_AUTO);
			break;
		case KIND_LIMIT:
			confset_store(field, k->size, CONF_LIMIT_UNSET);
			break;
		default:
			break;		/* strings and lists: none */
		}
	}
}

/*
 * After the file and the command line: ferryd's own pages become apps
 * (CONF_APP_STATUS) at their paths, which no app may have; status_allow
 * and proxy_from get their defaults.  0, or -1 after a message.
 */
static int
conf_pages(struct conf *c)
{
	const char	*paths[2] = { c->status_path, c->health_path };
	const char	*names[2] = { CONF_STATUS_APP, CONF_HEALTH_APP };
	char		 err[256];
	struct conf_app	*a;
	size_t		 i;

	if (c->status_allow.n == 0 && confval_cidrs(&c->status_allow,
	    CONF_DEFAULT_STATUS_ALLOW, err, sizeof(err)) == -1) {
		confval_report("status_allow: %s", err);
		return -1;
	}
	if (c->proxy_from.n == 0 && confval_cidrs(&c->proxy_from,
	    CONF_DEFAULT_PROXY_FROM, err, sizeof(err)) == -1) {
		confval_report("proxy_from: %s", err);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (paths[i] == NULL)
			continue;
		if (confval_prefix(c, (size_t)-1, paths[i], err,
		    sizeof(err)) == -1) {
			confval_report("%s: %s", i == 0 ? "status_path" :
			    "health_path", err);
			return -1;
		}
		if ((a = conf_app_add(c, names[i], CONF_APP_STATUS)) == NULL ||
		    confval_str(&a->prefix, paths[i]) == -1) {
			confval_report("%s", strerror(errno));
			return -1;
		}
		a->queue = 0;
	}
	return 0;
}

/* A key's line: finds its row in the current section, refuses a repeated
   one, and calls the row's setter. */
/*
 * include = PATTERN: the current section ends, and the files the glob
 * PATTERN names (relative to this file's directory), in order, are read
 * where the line stands, each with its own sections; what follows needs
 * a section header again.  No match is fine for a pattern with a
 * wildcard (an empty conf.d/), an error for a plain path.
 */
static int
conf_include(struct conf_file *f, struct confread *r, const char *value)
{
	glob_t		 g;
	char		*pat;
	size_t		 i;
	int		 rc, line = confread_line(r);

	if (f->depth >= CONF_INCLUDE_DEPTH) {
		confread_error(r, line, "include nested deeper than %d (a "
		    "loop?)", CONF_INCLUDE_DEPTH);
		return -1;
	}
	if (conf_section_end(f, r) == -1)
		return -1;
	f->sect = SECT_NONE;
	if ((pat = confval_abspath(confread_dir(r), value)) == NULL) {
		confread_error(r, line, "include: %s", strerror(errno));
		return -1;
	}
	rc = glob(pat, 0, NULL, &g);
	if (rc == GLOB_NOMATCH && strpbrk(value, "*?[") != NULL) {
		free(pat);
		return 0;
	}
	if (rc != 0) {
		confread_error(r, line, "include %s: %s", value,
		    rc == GLOB_NOMATCH ? strerror(ENOENT) : "cannot read");
		free(pat);
		return -1;
	}
	free(pat);
	f->depth++;
	for (i = 0; i < g.gl_pathc; i++) {
		f->sect = SECT_NONE;
		memset(f->seen, 0, sizeof(f->seen));
		if (confread_file(g.gl_pathv[i], &conf_file_ops, f) == -1) {
			confread_error(r, line, "in the file included here");
			break;
		}
	}
	rc = i == g.gl_pathc ? 0 : -1;
	f->depth--;
	f->sect = SECT_NONE;
	globfree(&g);
	return rc;
}

static int
conf_key(void *arg, struct confread *r, const char *name, const char *value)
{
	struct conf_file	*f = arg;
	struct conf		*c = f->c;
	char			 err[CONF_ERR_MAX];
	int			 k, want, line = confread_line(r);

	if (strcmp(name, "include") == 0)
		return conf_include(f, r, value);
	if (f->sect == SECT_NONE) {
		confread_error(r, line, "%s outside of a section "
		    "([server] or [app NAME])", name);
		return -1;
	}
	want = f->sect == SECT_SERVER ? KF_SERVER : KF_APP;
	for (k = 0; k < K_COUNT; k++)
		if ((conf_keys[k].flags & want) &&
		    strcmp(conf_keys[k].name, name) == 0)
			break;
	if (k == K_COUNT) {
		confread_error(r, line, "unknown key \"%s\" in [%s%s]",
		    name, f->sect == SECT_SERVER ? "server" : "app ",
		    f->sect == SECT_SERVER ? "" : c->apps[f->app].name);
		return -1;
	}
	if (f->seen[k] != 0 && !(conf_keys[k].flags & KF_REPEAT)) {
		confread_error(r, line, "duplicate key %s (first on line "
		    "%d)", name, f->seen[k]);
		return -1;
	}
	f->seen[k] = line;
	f->dir = confread_dir(r);
	if (confset_setters[conf_keys[k].kind](f, &conf_keys[k],
	    f->sect == SECT_SERVER ? (void *)c : (void *)&c->apps[f->app],
	    value, err, sizeof(err)) == -1) {
		confread_error(r, line, "%s: %s", name, err);
		return -1;
	}
	return 0;
}

/* Checks the section that just ended: required keys, keys of the other
   app type, worker counts; then resolves the defaults that depend on the
   type.  Returns 0 or -1 (error recorded). */
static int
conf_section_end(void *arg, struct confread *r)
{
	struct conf_file	*f = arg;
	struct conf_app		*a;
	char			 err[CONF_ERR_MAX];
	int			 k, line, want, fcgi;

	if (f->sect != SECT_APP)
		return 0;
	a = &f->c->apps[f->app];
	if (f->seen[K_TYPE] == 0) {
		confread_error(r, f->sectline, "[app %s]: missing type "
		    "(cgi or fastcgi)", a->name);
		return -1;
	}
	fcgi = a->type == CONF_APP_FASTCGI;
	want = fcgi ? KF_CGI : KF_FCGI;
	for (k = 0; k < K_COUNT; k++) {
		if (f->seen[k] != 0 && (conf_keys[k].flags & want)) {
			confread_error(r, f->seen[k], "%s applies to %s apps "
			    "only", conf_keys[k].name, fcgi ? "cgi" : "fastcgi");
			return -1;
		}
	}
	if (a->prefix == NULL) {
		confread_error(r, f->sectline, "[app %s]: missing prefix",
		    a->name);
		return -1;
	}
	if (!fcgi && a->root == NULL) {
		confread_error(r, f->sectline, "[app %s]: missing root (the "
		    "directory of the scripts)", a->name);
		return -1;
	}
	if (fcgi && a->command == NULL) {
		confread_error(r, f->sectline, "[app %s]: missing command",
		    a->name);
		return -1;
	}
	if (!fcgi && a->on_client_gone == CONF_GONE_ABORT) {
		confread_error(r, f->seen[K_ON_CLIENT_GONE], "on_client_gone = "
		    "abort needs a fastcgi app (use finish or terminate)");
		return -1;
	}
	if (conf_app_finish(a, f->seen[K_WORKERS] != 0,
	    f->seen[K_MIN_WORKERS] != 0, f->seen[K_MAX_WORKERS] != 0, err,
	    sizeof(err)) == -1) {
		line = f->seen[K_WORKERS];
		if (f->seen[K_MIN_WORKERS] > line)
			line = f->seen[K_MIN_WORKERS];
		if (f->seen[K_MAX_WORKERS] > line)
			line = f->seen[K_MAX_WORKERS];
		if (line == 0)		/* not about the worker counts */
			line = f->sectline;
		confread_error(r, line, "%s", err);
		return -1;
	}
	return 0;
}

/* Starts the section named name[0..len): [server] or [app NAME]. */
static int
conf_section_begin(void *arg, struct confread *r, const char *name,
    size_t len)
{
	struct conf_file	*f = arg;
	struct conf		*c = f->c;
	char			 app[CONF_MAX_NAME + 1];
	size_t			 i, nlen;
	int			 line = confread_line(r);

	memset(f->seen, 0, sizeof(f->seen));
	f->sectline = line;
	if (len == 6 && memcmp(name, "server", 6) == 0) {
		if (f->server_line != 0) {
			confread_error(r, line, "duplicate section "
			    "[server] (first on line %d)", f->server_line);
			return -1;
		}
		f->server_line = line;
		f->sect = SECT_SERVER;
		return 0;
	}
	if (len < 4 || memcmp(name, "app ", 4) != 0) {
		confread_error(r, line, "unknown section [%.*s] "
		    "(expected [server] or [app NAME])", (int)len, name);
		return -1;
	}
	nlen = len - 4;
	if (nlen == 0 || nlen > CONF_MAX_NAME) {
		confread_error(r, line, "app name: 1 to %d characters",
		    CONF_MAX_NAME);
		return -1;
	}
	for (i = 0; i < nlen; i++) {
		char	ch = name[4 + i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		    ch == '.')) {
			confread_error(r, line, "app name \"%.*s\": "
			    "only letters, digits, '_', '-' and '.'",
			    (int)nlen, name + 4);
			return -1;
		}
	}
	memcpy(app, name + 4, nlen);
	app[nlen] = '\0';
	for (i = 0; i < c->napps; i++) {
		if (strcmp(c->apps[i].name, app) == 0) {
			confread_error(r, line, "duplicate section "
			    "[app %s]", app);
			return -1;
		}
	}
	if (conf_app_add(c, app, CONF_APP_CGI) == NULL) {
		confread_error(r, line, "%s", strerror(errno));
		return -1;
	}
	f->app = c->napps - 1;
	f->sect = SECT_APP;
	return 0;
}

int
conf_load(struct conf *c, int argc, char *argv[])
{
	struct confargs		 ar;
	struct conf_file	 f;
	int			 rc;

	memset(c, 0, sizeof(*c));
	conf_defaults(c, KF_SERVER);
	memset(&f, 0, sizeof(f));
	f.c = c;
	if ((rc = confargs_parse(&ar, argc, argv)) == 0 &&
	    ((ar.file != NULL && confread_file(ar.file, &conf_file_ops,
	    &f) == -1) || confargs_apply(c, &ar, &conf_args_ops) == -1 ||
	    conf_pages(c) == -1))
		rc = -1;
	c->file = ar.file;
	c->test = ar.test;
	confargs_free(&ar);
	if (rc != 0)
		conf_free(c);
	return rc;
}
