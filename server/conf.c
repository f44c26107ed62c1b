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
#include <unistd.h>

#include "server/conf.h"
#include "server/confargs.h"
#include "server/confread.h"
#include "server/confval.h"
#include "server/log.h"

#define CONF_ERR_MAX	CONFREAD_ERR_MAX

static struct conf_app *conf_app_add(struct conf *, const char *,
		    enum conf_app_type);
static int	conf_app_finish(struct conf_app *, int, int, int, char *,
		    size_t);

/* What confargs_apply adds the apps of --cgi and --app with. */
static const struct confargs_ops conf_args_ops = {
	confval_prefix, conf_app_add, conf_app_finish
};

enum conf_key {
	/* [server] */
	K_LISTEN, K_ACCESS_LOG, K_ERROR_LOG, K_LOG_LEVEL, K_MAX_CONNECTIONS,
	K_MAX_BODY_SIZE, K_MAX_TARGET_LENGTH, K_MAX_HEADER_SIZE,
	K_MAX_HEADER_FIELDS, K_HEADER_TIMEOUT, K_BODY_TIMEOUT,
	K_KEEPALIVE_TIMEOUT, K_WRITE_TIMEOUT, K_SHUTDOWN_TIMEOUT, K_KILL_GRACE,
	K_ACCESS_LOG_FORMAT, K_SYSLOG_FACILITY,
	/* [app NAME] */
	K_TYPE, K_PREFIX, K_ROOT, K_COMMAND, K_ARGS, K_ENV, K_WORKERS,
	K_MIN_WORKERS, K_MAX_WORKERS, K_MAX_REQUESTS, K_MAX_PROCESSES, K_QUEUE,
	K_REQUEST_TIMEOUT, K_IDLE_TIMEOUT, K_ON_CLIENT_GONE, K_USER, K_GROUP,
	K_ISOLATION,
	K_HALF_CLOSE,
	K_HIJACK_GRACE,
	K_REQUEST_BUFFERING, K_BODY_MIN_RATE, K_PID_FILE,
	K_STATUS_PATH, K_STATUS_ALLOW, K_HEALTH_PATH,
	K_COUNT
};

/* How a key's value is read and stored; conf_setters has one per kind. */
enum conf_kind {
	KIND_UINT,	/* whole number in [min, max] (an integer field) */
	KIND_BYTES,	/* size with K, M or G, in [min, max] */
	KIND_SECONDS,	/* seconds (a double) */
	KIND_ENUM,	/* one of names[], stored as its index */
	KIND_LEVEL,	/* a log level, as log_level_parse */
	KIND_PATH,	/* a file, made absolute against the file's dir */
	KIND_DIR,	/* a directory, its realpath */
	KIND_PROG,	/* an executable file, absolute */
	KIND_PREFIX,	/* a URL path prefix no other app has */
	KIND_WORDS,	/* space-separated words added to a list */
	KIND_LISTEN,	/* an address added to conf's listens */
	KIND_USER,	/* a user name, resolved to its ids */
	KIND_GROUP,	/* a group name, resolved to its id */
	KIND_BUFFERING,	/* on, off (0) or a size (BYTES); default AUTO */
	KIND_URLPATH,	/* a URL path ferryd answers itself */
	KIND_CIDRS,	/* address ranges added to status_allow */
	KIND_COUNT
};

#define KF_SERVER	0x01	/* belongs in [server] (a struct conf field) */
#define KF_APP		0x02	/* belongs in [app NAME] (struct conf_app) */
#define KF_REPEAT	0x04	/* each line adds to a list */
#define KF_CGI		0x08	/* type = cgi only */
#define KF_FCGI		0x10	/* type = fastcgi only */
#define KF_OFF		0x20	/* PATH: LOG_OFF is taken as it is */
#define KF_NAMES	0x40	/* WORDS: each an environment variable name */
#define KF_SYSLOG	0x80	/* PATH: LOG_SYSLOG is taken as it is */

struct conf_keydef {
	const char	*name;
	int		 flags;
	enum conf_kind	 kind;
	size_t		 off, size;	/* the field, in the section's struct */
	uint64_t	 min, max;	/* UINT, BYTES */
	double		 def;		/* UINT, BYTES, SECONDS, ENUM, LEVEL:
					   the value before any is read */
	const char *const *names;	/* ENUM: by value, NULL-ended; ""
					   is a value no one may write */
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
static const char *const conf_log_formats[] = { "combined", "json", NULL };

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
};

enum conf_sect { SECT_NONE, SECT_SERVER, SECT_APP };

/* What the sections of the file being read have set. */
struct conf_file {
	struct conf	*c;
	const char	*dir;		/* the file's, absolute */
	enum conf_sect	 sect;
	int		 sectline;
	size_t		 app;		/* index of the current app */
	int		 seen[K_COUNT];	/* line of each key in this section */
	int		 server_line;	/* line of [server], 0 before it */
	int		 depth;		/* include nesting */
};

/* Sets the field of key k in base (the section's struct) from v: 0, or -1
   with a message in err. */
typedef int conf_setter(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen);

static void	conf_store(void *, size_t, uint64_t);
static void	conf_defaults(void *, int);
static int	conf_workers_resolve(struct conf_app *, int, int, int,
		    char *, size_t);
static conf_setter conf_set_uint, conf_set_bytes, conf_set_seconds,
		    conf_set_enum, conf_set_level, conf_set_path, conf_set_dir,
		    conf_set_prog, conf_set_prefix, conf_set_words,
		    conf_set_listen, conf_set_user, conf_set_group,
		    conf_set_buffering, conf_set_urlpath, conf_set_cidrs;
static int	conf_section_end(void *, struct confread *);
static int	conf_include(struct conf_file *, struct confread *,
		    const char *);
static int	conf_section_begin(void *, struct confread *, const char *,
		    size_t);
static int	conf_key(void *, struct confread *, const char *,
		    const char *);

static conf_setter *const conf_setters[KIND_COUNT] = {
	[KIND_UINT] = conf_set_uint,
	[KIND_BYTES] = conf_set_bytes,
	[KIND_BUFFERING] = conf_set_buffering,
	[KIND_URLPATH] = conf_set_urlpath,
	[KIND_CIDRS] = conf_set_cidrs,
	[KIND_SECONDS] = conf_set_seconds,
	[KIND_ENUM] = conf_set_enum,
	[KIND_LEVEL] = conf_set_level,
	[KIND_PATH] = conf_set_path,
	[KIND_DIR] = conf_set_dir,
	[KIND_PROG] = conf_set_prog,
	[KIND_PREFIX] = conf_set_prefix,
	[KIND_WORDS] = conf_set_words,
	[KIND_LISTEN] = conf_set_listen,
	[KIND_USER] = conf_set_user,
	[KIND_GROUP] = conf_set_group,
};

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
	free(c->status_allow);
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

/* Writes v into the integer field p of size bytes (4 or 8: int, unsigned
   int, an enum, size_t or uint64_t); any other size is a bad row. */
static void
conf_store(void *p, size_t size, uint64_t v)
{
	uint32_t	v32 = (uint32_t)v;

	if (size == sizeof(v32))
		memcpy(p, &v32, sizeof(v32));
	else if (size == sizeof(v))
		memcpy(p, &v, sizeof(v));
	else
		abort();
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
			conf_store(field, k->size, (uint64_t)k->def);
			break;
		case KIND_SECONDS:
			memcpy(field, &k->def, sizeof(k->def));
			break;
		case KIND_BUFFERING:
			conf_store(field, k->size, CONF_BUFFER_AUTO);
			break;
		default:
			break;		/* strings and lists: none */
		}
	}
}

static int
conf_set_uint(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	uint64_t	u = 0;

	if (confval_u64(v, k->min, k->max, &u, err, errlen) == -1)
		return -1;
	conf_store((char *)base + k->off, k->size, u);
	return 0;
}

static int
conf_set_bytes(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	uint64_t	u = 0;

	if (confval_size(v, k->max, &u, err, errlen) == -1)
		return -1;
	if (u < k->min)
		return confval_errf(err, errlen, "at least %llu bytes",
		    (unsigned long long)k->min);
	conf_store((char *)base + k->off, k->size, u);
	return 0;
}

/* A path as a prefix must be written (the apps are checked at the end:
   conf_pages). */
static int
conf_set_urlpath(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	struct conf	empty;

	memset(&empty, 0, sizeof(empty));
	(void)f;
	if (confval_prefix(&empty, 0, v, err, errlen) == -1)
		return -1;
	if (confval_str((char **)(void *)((char *)base + k->off), v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	return 0;
}

static int
conf_set_cidrs(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	(void)k;
	(void)base;
	return confval_cidrs(&f->c->status_allow, &f->c->nstatus_allow, v, err,
	    errlen);
}

/*
 * After the file and the command line: ferryd's own pages become apps
 * (CONF_APP_STATUS) at their paths, which no app may have; status_allow
 * gets its default.  0, or -1 after a message.
 */
static int
conf_pages(struct conf *c)
{
	const char	*paths[2] = { c->status_path, c->health_path };
	const char	*names[2] = { CONF_STATUS_APP, CONF_HEALTH_APP };
	char		 err[256];
	struct conf_app	*a;
	size_t		 i;

	if (c->nstatus_allow == 0 && confval_cidrs(&c->status_allow,
	    &c->nstatus_allow, CONF_DEFAULT_STATUS_ALLOW, err,
	    sizeof(err)) == -1) {
		confval_report("status_allow: %s", err);
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

/* on, off or a size. */
static int
conf_set_buffering(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	char	why[256];

	if (strcmp(v, "on") == 0) {
		conf_store((char *)base + k->off, k->size, CONF_BUFFER_ON);
		return 0;
	}
	if (strcmp(v, "off") == 0) {
		conf_store((char *)base + k->off, k->size, 0);
		return 0;
	}
	if (conf_set_bytes(f, k, base, v, why, sizeof(why)) == -1)
		return confval_errf(err, errlen, "%s, or on or off", why);
	return 0;
}

static int
conf_set_seconds(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	double	d = 0;

	if (confval_seconds(v, &d, err, errlen) == -1)
		return -1;
	memcpy((char *)base + k->off, &d, sizeof(d));
	return 0;
}

/* One of k->names ("" never matches); the message lists them as
   "a, b or c". */
static int
conf_set_enum(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	char	list[CONF_ERR_MAX];
	size_t	i, n, last, len = 0;

	for (n = 0; k->names[n] != NULL; n++) {
		if (k->names[n][0] != '\0' && strcmp(v, k->names[n]) == 0) {
			conf_store((char *)base + k->off, k->size, n);
			return 0;
		}
	}
	list[0] = '\0';
	for (last = n; last > 0 && k->names[last - 1][0] == '\0'; last--)
		continue;
	for (i = 0; i < n; i++) {
		if (k->names[i][0] == '\0')
			continue;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    len == 0 ? "" : i == last - 1 ? " or " : ", ", k->names[i]);
		if (len >= sizeof(list))
			break;
	}
	return confval_errf(err, errlen, "\"%s\": expected %s", v, list);
}

static int
conf_set_level(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	int	lvl;

	if ((lvl = log_level_parse(v)) == -1)
		return confval_errf(err, errlen, "\"%s\": expected error, "
		    "warn, info or debug", v);
	conf_store((char *)base + k->off, k->size, (uint64_t)lvl);
	return 0;
}

static int
conf_set_path(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	char	**dst = (char **)(void *)((char *)base + k->off), *abs;

	if (*v == '\0')
		return confval_errf(err, errlen, "empty path");
	if (((k->flags & KF_OFF) && strcmp(v, LOG_OFF) == 0) ||
	    ((k->flags & KF_SYSLOG) && strcmp(v, LOG_SYSLOG) == 0))
		abs = strdup(v);	/* no access log; syslog */
	else
		abs = confval_abspath(f->dir, v);
	if (abs == NULL)
		return confval_errf(err, errlen, "%s", strerror(errno));
	free(*dst);
	*dst = abs;
	return 0;
}

static int
conf_set_dir(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	return confval_dir((char **)(void *)((char *)base + k->off), f->dir,
	    v, err, errlen);
}

static int
conf_set_prog(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	return confval_prog((char **)(void *)((char *)base + k->off), f->dir,
	    v, err, errlen);
}

static int
conf_set_prefix(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	if (confval_prefix(f->c, f->app, v, err, errlen) == -1)
		return -1;
	if (confval_str((char **)(void *)((char *)base + k->off), v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	return 0;
}

static int
conf_set_words(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	return confval_words((char ***)(void *)((char *)base + k->off), v,
	    (k->flags & KF_NAMES) != 0, err, errlen);
}

/* A relative unix:PATH is relative to the file's directory. */
static int
conf_set_listen(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	struct conf	*c = base;
	char		*abs, *spec;
	int		 rc;

	if (strncmp(v, "unix:", 5) != 0 || v[5] == '\0' || v[5] == '/')
		return confval_listen_add(&c->listens, &c->nlistens, v, err,
		    errlen);
	if ((abs = confval_abspath(f->dir, v + 5)) == NULL)
		return confval_errf(err, errlen, "%s", strerror(errno));
	spec = malloc(strlen(abs) + 6);
	if (spec == NULL) {
		free(abs);
		return confval_errf(err, errlen, "%s", strerror(errno));
	}
	memcpy(spec, "unix:", 5);
	memcpy(spec + 5, abs, strlen(abs) + 1);
	free(abs);
	rc = confval_listen_add(&c->listens, &c->nlistens, spec, err, errlen);
	free(spec);
	return rc;
}

/* Either key order gives the same ids: group, when set, wins over the
   user's primary group. */
static int
conf_set_user(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	struct conf_app	*a = base;
	uid_t		 uid;
	gid_t		 gid;

	errno = 0;
	if (*v == '\0' || confval_user(v, &uid, &gid) == -1)
		return confval_ids_err(err, errlen, "user", v);
	if (confval_str(&a->user, v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	a->uid = uid;
	if (a->group == NULL)
		a->gid = gid;
	return 0;
}

static int
conf_set_group(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	struct conf_app	*a = base;
	gid_t		 gid;

	errno = 0;
	if (*v == '\0' || confval_group(v, &gid) == -1)
		return confval_ids_err(err, errlen, "group", v);
	if (confval_str(&a->group, v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	if (a->user == NULL)
		a->uid = geteuid();
	a->gid = gid;
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
	if (conf_setters[conf_keys[k].kind](f, &conf_keys[k],
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
