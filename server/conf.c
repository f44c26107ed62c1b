/*
 * ferryd's settings: the command line and ferry.conf(5).
 *
 * The file is read with libinih through our own line reader, which counts
 * lines (inih's handler gets no line number in Debian's build), notices
 * section headers as inih does, stops at the first error, and refuses
 * lines longer than inih's buffer instead of letting inih split them.
 * Every error names FILE:LINE; a section's missing keys name the line of
 * its header.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "server/conf.h"
#include "server/log.h"

#define CONF_ERR_MAX	512
#define CONF_PWBUF_MAX	(1024 * 1024)	/* getpwnam_r, getgrnam_r */

enum conf_key {
	/* [server] */
	K_LISTEN, K_ACCESS_LOG, K_ERROR_LOG, K_LOG_LEVEL, K_MAX_CONNECTIONS,
	K_MAX_BODY_SIZE, K_MAX_TARGET_LENGTH, K_MAX_HEADER_SIZE,
	K_MAX_HEADER_FIELDS, K_HEADER_TIMEOUT, K_BODY_TIMEOUT,
	K_KEEPALIVE_TIMEOUT, K_WRITE_TIMEOUT, K_SHUTDOWN_TIMEOUT, K_KILL_GRACE,
	/* [app NAME] */
	K_TYPE, K_PREFIX, K_ROOT, K_COMMAND, K_ARGS, K_ENV, K_WORKERS,
	K_MIN_WORKERS, K_MAX_WORKERS, K_MAX_REQUESTS, K_MAX_PROCESSES, K_QUEUE,
	K_REQUEST_TIMEOUT, K_IDLE_TIMEOUT, K_ON_CLIENT_GONE, K_USER, K_GROUP,
	K_ISOLATION,
	K_COUNT
};

#define CK_SERVER	0x01	/* belongs in [server] */
#define CK_APP		0x02	/* belongs in [app NAME] */
#define CK_REPEAT	0x04	/* each line adds to a list */
#define CK_CGI		0x08	/* type = cgi only */
#define CK_FCGI		0x10	/* type = fastcgi only */

static const struct conf_keydef {
	const char	*name;
	int		 flags;
} conf_keys[K_COUNT] = {
	[K_LISTEN] =		{ "listen",		CK_SERVER | CK_REPEAT },
	[K_ACCESS_LOG] =	{ "access_log",		CK_SERVER },
	[K_ERROR_LOG] =		{ "error_log",		CK_SERVER },
	[K_LOG_LEVEL] =		{ "log_level",		CK_SERVER },
	[K_MAX_CONNECTIONS] =	{ "max_connections",	CK_SERVER },
	[K_MAX_BODY_SIZE] =	{ "max_body_size",	CK_SERVER },
	[K_MAX_TARGET_LENGTH] =	{ "max_target_length",	CK_SERVER },
	[K_MAX_HEADER_SIZE] =	{ "max_header_size",	CK_SERVER },
	[K_MAX_HEADER_FIELDS] =	{ "max_header_fields",	CK_SERVER },
	[K_HEADER_TIMEOUT] =	{ "header_timeout",	CK_SERVER },
	[K_BODY_TIMEOUT] =	{ "body_timeout",	CK_SERVER },
	[K_KEEPALIVE_TIMEOUT] =	{ "keepalive_timeout",	CK_SERVER },
	[K_WRITE_TIMEOUT] =	{ "write_timeout",	CK_SERVER },
	[K_SHUTDOWN_TIMEOUT] =	{ "shutdown_timeout",	CK_SERVER },
	[K_KILL_GRACE] =	{ "kill_grace",		CK_SERVER },
	[K_TYPE] =		{ "type",		CK_APP },
	[K_PREFIX] =		{ "prefix",		CK_APP },
	[K_ROOT] =		{ "root",		CK_APP },
	[K_COMMAND] =		{ "command",		CK_APP | CK_FCGI },
	[K_ARGS] =		{ "args",		CK_APP | CK_FCGI | CK_REPEAT },
	[K_ENV] =		{ "env",		CK_APP | CK_REPEAT },
	[K_WORKERS] =		{ "workers",		CK_APP | CK_FCGI },
	[K_MIN_WORKERS] =	{ "min_workers",	CK_APP | CK_FCGI },
	[K_MAX_WORKERS] =	{ "max_workers",	CK_APP | CK_FCGI },
	[K_MAX_REQUESTS] =	{ "max_requests",	CK_APP | CK_FCGI },
	[K_MAX_PROCESSES] =	{ "max_processes",	CK_APP | CK_CGI },
	[K_QUEUE] =		{ "queue",		CK_APP },
	[K_REQUEST_TIMEOUT] =	{ "request_timeout",	CK_APP },
	[K_IDLE_TIMEOUT] =	{ "idle_timeout",	CK_APP | CK_FCGI },
	[K_ON_CLIENT_GONE] =	{ "on_client_gone",	CK_APP },
	[K_USER] =		{ "user",		CK_APP },
	[K_GROUP] =		{ "group",		CK_APP },
	[K_ISOLATION] =		{ "isolation",		CK_APP | CK_FCGI },
};

enum conf_sect { SECT_NONE, SECT_SERVER, SECT_APP };

/* The state of reading one file. */
struct conf_file {
	struct conf	*c;
	const char	*path;		/* as given, for messages */
	char		*dir;		/* its directory, absolute */
	FILE		*fp;
	int		 lineno;
	int		 done;		/* EOF or error: the reader stops */
	int		 errline;	/* 0: no error */
	char		 errmsg[CONF_ERR_MAX];
	int		 key_seen;	/* a key since the header (inih's
					   prev_name: indented lines continue) */
	enum conf_sect	 sect;
	int		 sectline;
	size_t		 app;		/* index of the current app */
	int		 type_set;
	int		 seen[K_COUNT];	/* line of each key in this section */
	int		 server_line;	/* line of [server], 0 before it */
};

/* The command line, gathered before the file is read. */
struct conf_args {
	const char	*file;
	const char	**listens;
	size_t		 nlistens;
	const char	**apps;		/* "PREFIX=DIR" or "PREFIX=COMMAND" */
	int		 *app_types;
	size_t		 napps;
	const char	*workers;
	const char	*access_log, *error_log;
};

static void	conf_usage(FILE *, int);
static void	conf_init(struct conf *);
static void	conf_app_init(struct conf_app *, enum conf_app_type);
static void	conf_app_free(struct conf_app *);
static struct conf_app *conf_app_add(struct conf *, const char *);
static int	conf_errf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	conf_parse_u64(const char *, uint64_t, uint64_t, uint64_t *,
		    char *, size_t);
static int	conf_parse_size(const char *, uint64_t, uint64_t *, char *,
		    size_t);
static int	conf_parse_seconds(const char *, double *, char *, size_t);
static int	conf_parse_port(const char *, const char *, uint16_t *, char *,
		    size_t);
static char	*conf_abspath(const char *, const char *);
static int	conf_set_str(char **, const char *);
static int	conf_set_dir(char **, const char *, const char *, char *, size_t);
static int	conf_set_prog(char **, const char *, const char *, char *,
		    size_t);
static int	conf_check_prefix(const struct conf *, size_t, const char *,
		    char *, size_t);
static int	conf_list_add(char ***, const char *, int, char *, size_t);
static int	conf_user_ids(const char *, uid_t *, gid_t *);
static int	conf_group_id(const char *, gid_t *);
static int	conf_ids_err(char *, size_t, const char *, const char *);
static int	conf_listen_add(struct conf_listen **, size_t *, const char *,
		    char *, size_t);
static int	conf_workers_resolve(struct conf_app *, int, int, int,
		    char *, size_t);
static int	conf_key_set(struct conf_file *, enum conf_key, const char *,
		    char *, size_t);
static void	conf_file_error(struct conf_file *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	conf_section_end(struct conf_file *);
static int	conf_section_begin(struct conf_file *, const char *, size_t);
static void	conf_header_scan(struct conf_file *, const char *);
static char	*conf_ini_reader(char *, int, void *);
static int	conf_ini_handler(void *, const char *, const char *,
		    const char *);
static int	conf_file_load(struct conf *, const char *);
static int	conf_args_apply(struct conf *, const struct conf_args *);

static void
conf_usage(FILE *fp, int full)
{
	fputs(
"usage: ferryd [-c FILE] [--listen ADDR]... [--cgi PREFIX=DIR]...\n"
"              [--app PREFIX=COMMAND]... [--workers N]\n"
"              [--access-log PATH] [--error-log PATH] [--foreground]\n"
"              [--version] [--help]\n", fp);
	if (!full) {
		fputs("Run 'ferryd --help' for the options.\n", fp);
		return;
	}
	fputs(
"\n"
"  -c, --config FILE      read settings from FILE (ferry.conf(5)); the flags\n"
"                         below are applied after it\n"
"  -l, --listen ADDR      listen on HOST:PORT, [IPV6]:PORT, :PORT (0.0.0.0)\n"
"                         or unix:PATH; repeatable, replaces the file's list\n"
"                         (default 127.0.0.1:8080)\n"
"      --cgi PREFIX=DIR   run executables in DIR as CGI scripts for URL paths\n"
"                         under PREFIX (repeatable; longest prefix wins)\n"
"      --app PREFIX=CMD   serve PREFIX with a pool of FastCGI workers running\n"
"                         the program CMD (a path, no arguments; repeatable)\n"
"      --workers N        workers in every --app pool (default 2)\n"
"      --access-log PATH  write the access log to PATH, or off (default:\n"
"                         stderr)\n"
"      --error-log PATH   write the error log to PATH (default: stderr)\n"
"      --foreground       stay in the foreground (always the case)\n"
"  -V, --version          print the version and exit\n"
"  -h, --help             print this help and exit\n"
"\n"
"See ferryd(8) and ferry.conf(5).\n", fp);
}

static void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_LEVEL_INFO;
	c->max_conns = CONF_DEFAULT_MAX_CONNS;
	c->max_body = CONF_DEFAULT_MAX_BODY;
	c->max_target = CONF_DEFAULT_MAX_TARGET;
	c->max_head = CONF_DEFAULT_MAX_HEAD;
	c->max_fields = CONF_DEFAULT_MAX_FIELDS;
	c->header_timeout = CONF_DEFAULT_HEADER_TIMEOUT;
	c->body_timeout = CONF_DEFAULT_BODY_TIMEOUT;
	c->keepalive_timeout = CONF_DEFAULT_KEEPALIVE_TIMEOUT;
	c->write_timeout = CONF_DEFAULT_WRITE_TIMEOUT;
	c->shutdown_timeout = CONF_DEFAULT_SHUTDOWN_TIMEOUT;
	c->kill_grace = CONF_DEFAULT_KILL_GRACE;
}

static void
conf_app_init(struct conf_app *a, enum conf_app_type type)
{
	a->type = type;
	a->workers = a->min_workers = a->max_workers =
	    type == CONF_APP_FASTCGI ? CONF_DEFAULT_WORKERS : 0;
	a->max_requests = CONF_DEFAULT_MAX_REQUESTS;
	a->max_procs = CONF_DEFAULT_MAX_PROCS;
	a->queue = CONF_DEFAULT_QUEUE;
	a->request_timeout = CONF_DEFAULT_REQUEST_TIMEOUT;
	a->idle_timeout = CONF_DEFAULT_IDLE_TIMEOUT;
	a->on_client_gone = type == CONF_APP_CGI ? CONF_GONE_TERMINATE :
	    CONF_GONE_FINISH;
	a->isolation_request = 0;
}

static void
conf_app_free(struct conf_app *a)
{
	char	**p;

	free(a->name);
	free(a->prefix);
	free(a->root);
	free(a->command);
	if (a->args != NULL)
		for (p = a->args; *p != NULL; p++)
			free(*p);
	free(a->args);
	if (a->env != NULL)
		for (p = a->env; *p != NULL; p++)
			free(*p);
	free(a->env);
	free(a->user);
	free(a->group);
	memset(a, 0, sizeof(*a));
}

/* Appends a zeroed app named name (copied), with empty args and env
   lists.  Returns it, or NULL when out of memory. */
static struct conf_app *
conf_app_add(struct conf *c, const char *name)
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
	memset(c, 0, sizeof(*c));
}

static int
conf_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Digits only, no sign or space, overflow-checked, in [min, max]. */
static int
conf_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	uint64_t	v = 0, d;
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			break;
		d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			v = UINT64_MAX;		/* out of range below */
			continue;
		}
		v = v * 10 + d;
	}
	if (p == s || *p != '\0' || v < min || v > max)
		return conf_errf(err, errlen,
		    "\"%s\": expected a whole number from %llu to %llu", s,
		    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* A byte count: digits with an optional K, M or G (powers of 1024). */
static int
conf_parse_size(const char *s, uint64_t max, uint64_t *out, char *err,
    size_t errlen)
{
	char		 digits[32], tmp[8];
	size_t		 len = strlen(s);
	uint64_t	 v = 0, mult = 1;

	if (len > 0) {
		switch (s[len - 1]) {
		case 'K': case 'k':
			mult = 1024;
			break;
		case 'M': case 'm':
			mult = 1024 * 1024;
			break;
		case 'G': case 'g':
			mult = 1024 * 1024 * 1024;
			break;
		}
	}
	if (mult != 1)
		len--;
	if (len == 0 || len >= sizeof(digits))
		goto bad;
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (conf_parse_u64(digits, 0, max / mult, &v, tmp, sizeof(tmp)) == -1)
		goto bad;
	*out = v * mult;
	return 0;
 bad:
	return conf_errf(err, errlen, "\"%s\": expected a size in bytes "
	    "(digits with an optional K, M or G) up to %llu", s,
	    (unsigned long long)max);
}

/* Seconds: digits, optionally '.' and 1 to 9 more digits; > 0 and at most
   CONF_MAX_SECONDS. */
static int
conf_parse_seconds(const char *s, double *out, char *err, size_t errlen)
{
	uint64_t	 ip = 0, frac = 0, scale = 1;
	const char	*p = s;
	int		 nd = 0;

	while (*p >= '0' && *p <= '9' && ip <= CONF_MAX_SECONDS) {
		ip = ip * 10 + (uint64_t)(*p++ - '0');
		nd++;
	}
	if (nd > 0 && *p == '.') {
		p++;
		nd = 0;
		while (*p >= '0' && *p <= '9' && nd < 9) {
			frac = frac * 10 + (uint64_t)(*p++ - '0');
			scale *= 10;
			nd++;
		}
	}
	if (nd == 0 || *p != '\0' || ip > CONF_MAX_SECONDS ||
	    (ip == CONF_MAX_SECONDS && frac != 0) || (ip == 0 && frac == 0))
		return conf_errf(err, errlen, "\"%s\": expected seconds, more "
		    "than 0 and at most %d (e.g. 30 or 0.5)", s,
		    CONF_MAX_SECONDS);
	*out = (double)ip + (double)frac / (double)scale;
	return 0;
}

static int
conf_parse_port(const char *spec, const char *s, uint16_t *port, char *err,
    size_t errlen)
{
	uint64_t	v = 0;
	char		tmp[8];

	if (conf_parse_u64(s, 1, 65535, &v, tmp, sizeof(tmp)) == -1)
		return conf_errf(err, errlen,
		    "%s: bad port \"%s\": expected 1 to 65535", spec, s);
	*port = (uint16_t)v;
	return 0;
}

int
conf_parse_listen(const char *spec, struct conf_listen *l, char *err,
    size_t errlen)
{
	struct conf_listen	 n;
	struct sockaddr_un	*sun;
	struct sockaddr_in	*sin;
	struct addrinfo		 hints, *res;
	char			 host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char		*colon, *portstr, *rbr;
	size_t			 hlen;
	uint16_t		 port;
	int			 rc;

	memset(&n, 0, sizeof(n));
	if (strncmp(spec, "unix:", 5) == 0) {
		const char	*path = spec + 5;

		sun = (struct sockaddr_un *)&n.addr;
		if (*path == '\0')
			return conf_errf(err, errlen, "%s: empty socket path",
			    spec);
		if (strlen(path) >= sizeof(sun->sun_path))
			return conf_errf(err, errlen, "%s: socket path longer "
			    "than %zu bytes", spec, sizeof(sun->sun_path) - 1);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path) + 1);
		n.family = AF_UNIX;
		n.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strlen(path) + 1);
	} else if (spec[0] == '[') {
		if ((rbr = strchr(spec, ']')) == NULL)
			return conf_errf(err, errlen, "%s: missing ']'", spec);
		if (rbr[1] != ':')
			return conf_errf(err, errlen, "%s: expected "
			    "[IPV6]:PORT", spec);
		hlen = (size_t)(rbr - spec - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return conf_errf(err, errlen, "%s: bad IPv6 address",
			    spec);
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		if (conf_parse_port(spec, rbr + 2, &port, err, errlen) == -1)
			return -1;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET6;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if ((rc = getaddrinfo(host, rbr + 2, &hints, &res)) != 0)
			return conf_errf(err, errlen, "%s: \"%s\" is not a "
			    "numeric IPv6 address (%s)", spec, host,
			    gai_strerror(rc));
		if (res->ai_addrlen > sizeof(n.addr)) {
			freeaddrinfo(res);
			return conf_errf(err, errlen, "%s: bad address", spec);
		}
		memcpy(&n.addr, res->ai_addr, res->ai_addrlen);
		n.addrlen = res->ai_addrlen;
		n.family = AF_INET6;
		freeaddrinfo(res);
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			return conf_errf(err, errlen, "%s: expected HOST:PORT, "
			    "[IPV6]:PORT, :PORT or unix:PATH", spec);
		portstr = colon + 1;
		hlen = (size_t)(colon - spec);
		if (memchr(spec, ':', hlen) != NULL)
			return conf_errf(err, errlen, "%s: write an IPv6 "
			    "address in brackets: [ADDR]:PORT", spec);
		if (hlen >= sizeof(host))
			return conf_errf(err, errlen, "%s: bad host", spec);
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		if (conf_parse_port(spec, portstr, &port, err, errlen) == -1)
			return -1;
		sin = (struct sockaddr_in *)&n.addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (hlen == 0)
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (strcmp(host, "localhost") == 0)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return conf_errf(err, errlen, "%s: \"%s\" is not a "
			    "numeric IPv4 address (host names are not "
			    "resolved; use localhost or an address)", spec,
			    host);
		n.family = AF_INET;
		n.addrlen = sizeof(*sin);
	}
	if ((n.spec = strdup(spec)) == NULL)
		return conf_errf(err, errlen, "%s", strerror(ENOMEM));
	*l = n;
	return 0;
}

/* Returns path made absolute against dir (NULL: the current directory),
   malloc'd, without resolving symbolic links; NULL on error (errno). */
static char *
conf_abspath(const char *dir, const char *path)
{
	char	 cwd[PATH_MAX], *out;
	size_t	 dlen, plen;

	if (path[0] == '/')
		return strdup(path);
	if (dir == NULL) {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return NULL;
		dir = cwd;
	}
	dlen = strlen(dir);
	plen = strlen(path);
	if ((out = malloc(dlen + plen + 2)) == NULL)
		return NULL;
	memcpy(out, dir, dlen);
	out[dlen] = '/';
	memcpy(out + dlen + 1, path, plen + 1);
	return out;
}

static int
conf_set_str(char **dst, const char *v)
{
	char	*s;

	if ((s = strdup(v)) == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* *dst = realpath of the directory path (relative to dir). */
static int
conf_set_dir(char **dst, const char *dir, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*abs, *real;

	if (*path == '\0')
		return conf_errf(err, errlen, "empty directory name");
	if ((abs = conf_abspath(dir, path)) == NULL)
		return conf_errf(err, errlen, "%s: %s", path, strerror(errno));
	real = realpath(abs, NULL);
	free(abs);
	if (real == NULL)
		return conf_errf(err, errlen, "%s: %s", path, strerror(errno));
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		free(real);
		return conf_errf(err, errlen, "%s: not a directory", path);
	}
	free(*dst);
	*dst = real;
	return 0;
}

/* *dst = absolute path of the executable path (relative to dir). */
static int
conf_set_prog(char **dst, const char *dir, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*abs;

	if (*path == '\0')
		return conf_errf(err, errlen, "empty program name");
	if ((abs = conf_abspath(dir, path)) == NULL)
		return conf_errf(err, errlen, "%s: %s", path, strerror(errno));
	if (stat(abs, &st) == -1) {
		free(abs);
		return conf_errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || access(abs, X_OK) == -1) {
		free(abs);
		return conf_errf(err, errlen, "%s: not an executable file",
		    path);
	}
	free(*dst);
	*dst = abs;
	return 0;
}

/* A URL path prefix: '/' first, printable ASCII without space, '?', '#';
   not used by another app than apps[self]. */
static int
conf_check_prefix(const struct conf *c, size_t self, const char *p,
    char *err, size_t errlen)
{
	size_t	i, len = strlen(p);

	if (p[0] != '/')
		return conf_errf(err, errlen, "prefix \"%s\" must start with "
		    "'/'", p);
	if (len > CONF_MAX_PREFIX)
		return conf_errf(err, errlen, "prefix longer than %d bytes",
		    CONF_MAX_PREFIX);
	for (i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '?' || p[i] == '#')
			return conf_errf(err, errlen, "prefix \"%s\": only "
			    "printable ASCII without space, '?' and '#'", p);
	for (i = 0; i < c->napps; i++)
		if (i != self && c->apps[i].prefix != NULL &&
		    strcmp(c->apps[i].prefix, p) == 0)
			return conf_errf(err, errlen, "duplicate prefix %s "
			    "(app %s has it)", p, c->apps[i].name);
	return 0;
}

/* Appends the space-separated words of v to the NULL-ended *list;
   names = 1 checks each is an environment variable name. */
static int
conf_list_add(char ***list, const char *v, int names, char *err,
    size_t errlen)
{
	const char	*p = v, *w;
	char		**l, *word;
	size_t		 n, len, i;

	for (n = 0; (*list)[n] != NULL; n++)
		continue;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		for (w = p; *p != '\0' && *p != ' ' && *p != '\t'; p++)
			continue;
		len = (size_t)(p - w);
		if (names) {
			for (i = 0; i < len; i++)
				if (!(w[i] == '_' || (w[i] >= 'A' && w[i] <= 'Z') ||
				    (w[i] >= 'a' && w[i] <= 'z') ||
				    (i > 0 && w[i] >= '0' && w[i] <= '9')))
					return conf_errf(err, errlen, "\"%.*s\" "
					    "is not a variable name",
					    (int)len, w);
		}
		if ((word = strndup(w, len)) == NULL)
			return conf_errf(err, errlen, "%s", strerror(errno));
		if ((l = realloc(*list, (n + 2) * sizeof(*l))) == NULL) {
			free(word);
			return conf_errf(err, errlen, "%s", strerror(errno));
		}
		l[n++] = word;
		l[n] = NULL;
		*list = l;
	}
}

/*
 * The uid and primary gid of the user called name.  Returns 0, or -1 with
 * errno 0 when there is no such user, else the lookup's error.
 */
static int
conf_user_ids(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	 pw, *res = NULL;
	char		*buf = NULL, *nbuf;
	size_t		 size = 1024;
	int		 error;

	for (;;) {
		if ((nbuf = realloc(buf, size)) == NULL) {
			free(buf);
			return -1;
		}
		buf = nbuf;
		error = getpwnam_r(name, &pw, buf, size, &res);
		if (error != ERANGE || size >= CONF_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (error == 0 && res != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
	}
	free(buf);
	/* Not found is 0 and no entry; some NSS modules say ENOENT. */
	errno = error == ENOENT ? 0 : error;
	return error == 0 && res != NULL ? 0 : -1;
}

/* The gid of the group called name, as conf_user_ids. */
static int
conf_group_id(const char *name, gid_t *gid)
{
	struct group	 gr, *res = NULL;
	char		*buf = NULL, *nbuf;
	size_t		 size = 1024;
	int		 error;

	for (;;) {
		if ((nbuf = realloc(buf, size)) == NULL) {
			free(buf);
			return -1;
		}
		buf = nbuf;
		error = getgrnam_r(name, &gr, buf, size, &res);
		if (error != ERANGE || size >= CONF_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (error == 0 && res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	errno = error == ENOENT ? 0 : error;
	return error == 0 && res != NULL ? 0 : -1;
}

/* The message for a user or group (what) that did not resolve. */
static int
conf_ids_err(char *err, size_t errlen, const char *what, const char *v)
{
	if (errno == 0 || *v == '\0')
		return conf_errf(err, errlen, "unknown %s \"%s\"", what, v);
	return conf_errf(err, errlen, "%s \"%s\": %s", what, v,
	    strerror(errno));
}

int
conf_app_ids_check(const struct conf_app *a, char *err, size_t errlen)
{
	if ((a->user == NULL && a->group == NULL) || geteuid() == 0 ||
	    (a->uid == geteuid() && a->gid == getegid()))
		return 0;
	if (a->user != NULL && (a->uid != geteuid() || a->group == NULL))
		conf_errf(err, errlen, "[app %s]: user = %s needs ferryd to "
		    "run as root", a->name, a->user);
	else
		conf_errf(err, errlen, "[app %s]: group = %s needs ferryd to "
		    "run as root", a->name, a->group);
	return -1;
}

static int
conf_listen_add(struct conf_listen **ls, size_t *n, const char *spec,
    char *err, size_t errlen)
{
	struct conf_listen	*a, l;

	if (conf_parse_listen(spec, &l, err, errlen) == -1)
		return -1;
	if ((a = realloc(*ls, (*n + 1) * sizeof(*a))) == NULL) {
		free(l.spec);
		return conf_errf(err, errlen, "%s", strerror(errno));
	}
	a[(*n)++] = l;
	*ls = a;
	return 0;
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
		return conf_errf(err, errlen, "max_workers must be at least 1");
	if (a->min_workers > a->workers || a->workers > a->max_workers)
		return conf_errf(err, errlen, "need min_workers (%d) <= workers "
		    "(%d) <= max_workers (%d)", a->min_workers, a->workers,
		    a->max_workers);
	return 0;
}

static int
conf_key_set(struct conf_file *f, enum conf_key k, const char *v, char *err,
    size_t errlen)
{
	struct conf	*c = f->c;
	struct conf_app	*a = f->sect == SECT_APP ? &c->apps[f->app] : NULL;
	uint64_t	 u = 0;
	double		 d = 0;
	char		*abs, *spec;
	uid_t		 uid;
	gid_t		 gid;
	int		 lvl, rc;

	switch (k) {
	case K_LISTEN:
		if (strncmp(v, "unix:", 5) == 0 && v[5] != '\0' &&
		    v[5] != '/') {
			if ((abs = conf_abspath(f->dir, v + 5)) == NULL)
				return conf_errf(err, errlen, "%s",
				    strerror(errno));
			spec = malloc(strlen(abs) + 6);
			if (spec == NULL) {
				free(abs);
				return conf_errf(err, errlen, "%s",
				    strerror(errno));
			}
			memcpy(spec, "unix:", 5);
			memcpy(spec + 5, abs, strlen(abs) + 1);
			free(abs);
			rc = conf_listen_add(&c->listens, &c->nlistens, spec,
			    err, errlen);
			free(spec);
			return rc;
		}
		return conf_listen_add(&c->listens, &c->nlistens, v, err,
		    errlen);
	case K_ACCESS_LOG:
	case K_ERROR_LOG:
		if (*v == '\0')
			return conf_errf(err, errlen, "empty path");
		if (k == K_ACCESS_LOG && strcmp(v, LOG_OFF) == 0)
			abs = strdup(v);	/* no access log */
		else
			abs = conf_abspath(f->dir, v);
		if (abs == NULL)
			return conf_errf(err, errlen, "%s", strerror(errno));
		free(k == K_ACCESS_LOG ? c->access_log : c->error_log);
		*(k == K_ACCESS_LOG ? &c->access_log : &c->error_log) = abs;
		return 0;
	case K_LOG_LEVEL:
		if ((lvl = log_level_parse(v)) == -1)
			return conf_errf(err, errlen, "\"%s\": expected error, "
			    "warn, info or debug", v);
		c->log_level = lvl;
		return 0;
	case K_MAX_CONNECTIONS:
		if (conf_parse_u64(v, 1, CONF_MAX_CONNS_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		c->max_conns = (unsigned int)u;
		return 0;
	case K_MAX_BODY_SIZE:
		if (conf_parse_size(v, CONF_MAX_BODY_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		c->max_body = u;
		return 0;
	case K_MAX_TARGET_LENGTH:
		if (conf_parse_size(v, CONF_MAX_HEAD_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		if (u < CONF_MIN_TARGET_LIMIT)
			return conf_errf(err, errlen, "at least %d bytes",
			    CONF_MIN_TARGET_LIMIT);
		c->max_target = (size_t)u;
		return 0;
	case K_MAX_HEADER_SIZE:
		if (conf_parse_size(v, CONF_MAX_HEAD_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		if (u < CONF_MIN_HEAD_LIMIT)
			return conf_errf(err, errlen, "at least %d bytes",
			    CONF_MIN_HEAD_LIMIT);
		c->max_head = (size_t)u;
		return 0;
	case K_MAX_HEADER_FIELDS:
		if (conf_parse_u64(v, 1, CONF_MAX_FIELDS_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		c->max_fields = (size_t)u;
		return 0;
	case K_HEADER_TIMEOUT:
	case K_BODY_TIMEOUT:
	case K_KEEPALIVE_TIMEOUT:
	case K_WRITE_TIMEOUT:
	case K_SHUTDOWN_TIMEOUT:
	case K_KILL_GRACE:
	case K_REQUEST_TIMEOUT:
	case K_IDLE_TIMEOUT:
		if (conf_parse_seconds(v, &d, err, errlen) == -1)
			return -1;
		switch (k) {
		case K_HEADER_TIMEOUT:	c->header_timeout = d; break;
		case K_BODY_TIMEOUT:	c->body_timeout = d; break;
		case K_KEEPALIVE_TIMEOUT: c->keepalive_timeout = d; break;
		case K_WRITE_TIMEOUT:	c->write_timeout = d; break;
		case K_SHUTDOWN_TIMEOUT: c->shutdown_timeout = d; break;
		case K_KILL_GRACE:	c->kill_grace = d; break;
		case K_REQUEST_TIMEOUT:	a->request_timeout = d; break;
		default:		a->idle_timeout = d; break;
		}
		return 0;
	case K_TYPE:
		if (strcmp(v, "cgi") == 0)
			a->type = CONF_APP_CGI;
		else if (strcmp(v, "fastcgi") == 0)
			a->type = CONF_APP_FASTCGI;
		else
			return conf_errf(err, errlen, "\"%s\": expected cgi or "
			    "fastcgi", v);
		f->type_set = 1;
		return 0;
	case K_PREFIX:
		if (conf_check_prefix(c, f->app, v, err, errlen) == -1)
			return -1;
		if (conf_set_str(&a->prefix, v) == -1)
			return conf_errf(err, errlen, "%s", strerror(errno));
		return 0;
	case K_ROOT:
		return conf_set_dir(&a->root, f->dir, v, err, errlen);
	case K_COMMAND:
		return conf_set_prog(&a->command, f->dir, v, err, errlen);
	case K_ARGS:
		return conf_list_add(&a->args, v, 0, err, errlen);
	case K_ENV:
		return conf_list_add(&a->env, v, 1, err, errlen);
	case K_WORKERS:
	case K_MIN_WORKERS:
	case K_MAX_WORKERS:
		if (conf_parse_u64(v, k == K_MAX_WORKERS ? 1 : 0,
		    CONF_MAX_WORKERS_LIMIT, &u, err, errlen) == -1)
			return -1;
		*(k == K_WORKERS ? &a->workers : k == K_MIN_WORKERS ?
		    &a->min_workers : &a->max_workers) = (int)u;
		return 0;
	case K_MAX_REQUESTS:
		if (conf_parse_u64(v, 0, CONF_MAX_REQUESTS_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		a->max_requests = (unsigned int)u;
		return 0;
	case K_MAX_PROCESSES:
		if (conf_parse_u64(v, 1, CONF_MAX_PROCS_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		a->max_procs = (unsigned int)u;
		return 0;
	case K_QUEUE:
		if (conf_parse_u64(v, 0, CONF_MAX_QUEUE_LIMIT, &u, err,
		    errlen) == -1)
			return -1;
		a->queue = (unsigned int)u;
		return 0;
	case K_ON_CLIENT_GONE:
		if (strcmp(v, "finish") == 0)
			a->on_client_gone = CONF_GONE_FINISH;
		else if (strcmp(v, "abort") == 0)
			a->on_client_gone = CONF_GONE_ABORT;
		else if (strcmp(v, "terminate") == 0)
			a->on_client_gone = CONF_GONE_TERMINATE;
		else
			return conf_errf(err, errlen, "\"%s\": expected finish, "
			    "abort or terminate", v);
		return 0;
	case K_USER:
		/* Either key order gives the same ids: group, when set, wins
		   over the user's primary group. */
		errno = 0;
		if (*v == '\0' || conf_user_ids(v, &uid, &gid) == -1)
			return conf_ids_err(err, errlen, "user", v);
		if (conf_set_str(&a->user, v) == -1)
			return conf_errf(err, errlen, "%s", strerror(errno));
		a->uid = uid;
		if (a->group == NULL)
			a->gid = gid;
		return 0;
	case K_GROUP:
		errno = 0;
		if (*v == '\0' || conf_group_id(v, &gid) == -1)
			return conf_ids_err(err, errlen, "group", v);
		if (conf_set_str(&a->group, v) == -1)
			return conf_errf(err, errlen, "%s", strerror(errno));
		if (a->user == NULL)
			a->uid = geteuid();
		a->gid = gid;
		return 0;
	case K_ISOLATION:
		if (strcmp(v, "worker") == 0)
			a->isolation_request = 0;
		else if (strcmp(v, "request") == 0)
			a->isolation_request = 1;
		else
			return conf_errf(err, errlen, "\"%s\": expected worker "
			    "or request", v);
		return 0;
	case K_COUNT:
		break;
	}
	return conf_errf(err, errlen, "internal error: key %d", (int)k);
}

/* Records the first error; the reader then ends the parse. */
static void
conf_file_error(struct conf_file *f, int line, const char *fmt, ...)
{
	va_list	ap;

	f->done = 1;
	if (f->errline != 0)
		return;
	f->errline = line;
	va_start(ap, fmt);
	vsnprintf(f->errmsg, sizeof(f->errmsg), fmt, ap);
	va_end(ap);
}

/* Checks the section that just ended: required keys, keys of the other
   app type, worker counts.  Returns 0 or -1 (error recorded). */
static int
conf_section_end(struct conf_file *f)
{
	struct conf_app	*a;
	char		 err[CONF_ERR_MAX];
	int		 k, line, want, fcgi;

	if (f->sect != SECT_APP)
		return 0;
	a = &f->c->apps[f->app];
	if (!f->type_set) {
		conf_file_error(f, f->sectline, "[app %s]: missing type "
		    "(cgi or fastcgi)", a->name);
		return -1;
	}
	fcgi = a->type == CONF_APP_FASTCGI;
	want = fcgi ? CK_CGI : CK_FCGI;
	for (k = 0; k < K_COUNT; k++) {
		if (f->seen[k] != 0 && (conf_keys[k].flags & want)) {
			conf_file_error(f, f->seen[k], "%s applies to %s apps "
			    "only", conf_keys[k].name, fcgi ? "cgi" : "fastcgi");
			return -1;
		}
	}
	if (a->prefix == NULL) {
		conf_file_error(f, f->sectline, "[app %s]: missing prefix",
		    a->name);
		return -1;
	}
	if (!fcgi && a->root == NULL) {
		conf_file_error(f, f->sectline, "[app %s]: missing root (the "
		    "directory of the scripts)", a->name);
		return -1;
	}
	if (fcgi && a->command == NULL) {
		conf_file_error(f, f->sectline, "[app %s]: missing command",
		    a->name);
		return -1;
	}
	if (!fcgi && a->on_client_gone == CONF_GONE_ABORT) {
		conf_file_error(f, f->seen[K_ON_CLIENT_GONE], "on_client_gone = "
		    "abort needs a fastcgi app (use finish or terminate)");
		return -1;
	}
	if (a->on_client_gone == CONF_GONE_DEFAULT)
		a->on_client_gone = fcgi ? CONF_GONE_FINISH :
		    CONF_GONE_TERMINATE;
	if (fcgi) {
		if (conf_workers_resolve(a, f->seen[K_WORKERS] != 0,
		    f->seen[K_MIN_WORKERS] != 0, f->seen[K_MAX_WORKERS] != 0,
		    err, sizeof(err)) == -1) {
			line = f->seen[K_WORKERS];
			if (f->seen[K_MIN_WORKERS] > line)
				line = f->seen[K_MIN_WORKERS];
			if (f->seen[K_MAX_WORKERS] > line)
				line = f->seen[K_MAX_WORKERS];
			conf_file_error(f, line, "%s", err);
			return -1;
		}
	} else
		a->workers = a->min_workers = a->max_workers = 0;
	return 0;
}

/* Starts the section named name[0..len): [server] or [app NAME]. */
static int
conf_section_begin(struct conf_file *f, const char *name, size_t len)
{
	struct conf	*c = f->c;
	struct conf_app	*a;
	char		 app[CONF_MAX_NAME + 1];
	size_t		 i, nlen;

	memset(f->seen, 0, sizeof(f->seen));
	f->key_seen = 0;
	f->type_set = 0;
	f->sectline = f->lineno;
	if (len == 6 && memcmp(name, "server", 6) == 0) {
		if (f->server_line != 0) {
			conf_file_error(f, f->lineno, "duplicate section "
			    "[server] (first on line %d)", f->server_line);
			return -1;
		}
		f->server_line = f->lineno;
		f->sect = SECT_SERVER;
		return 0;
	}
	if (len < 4 || memcmp(name, "app ", 4) != 0) {
		conf_file_error(f, f->lineno, "unknown section [%.*s] "
		    "(expected [server] or [app NAME])", (int)len, name);
		return -1;
	}
	nlen = len - 4;
	if (nlen == 0 || nlen > CONF_MAX_NAME) {
		conf_file_error(f, f->lineno, "app name: 1 to %d characters",
		    CONF_MAX_NAME);
		return -1;
	}
	for (i = 0; i < nlen; i++) {
		char	ch = name[4 + i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		    ch == '.')) {
			conf_file_error(f, f->lineno, "app name \"%.*s\": "
			    "only letters, digits, '_', '-' and '.'",
			    (int)nlen, name + 4);
			return -1;
		}
	}
	memcpy(app, name + 4, nlen);
	app[nlen] = '\0';
	for (i = 0; i < c->napps; i++) {
		if (strcmp(c->apps[i].name, app) == 0) {
			conf_file_error(f, f->lineno, "duplicate section "
			    "[app %s]", app);
			return -1;
		}
	}
	if ((a = conf_app_add(c, app)) == NULL) {
		conf_file_error(f, f->lineno, "%s", strerror(errno));
		return -1;
	}
	conf_app_init(a, CONF_APP_CGI);
	a->on_client_gone = CONF_GONE_DEFAULT;	/* resolved at the end */
	f->app = c->napps - 1;
	f->sect = SECT_APP;
	return 0;
}

/*
 * Notices a section header the way inih reads one: after optional
 * leading space (and a BOM on line 1), '[' up to ']' or an inline
 * comment.  An indented '[' after a key continues that key's value.
 */
static void
conf_header_scan(struct conf_file *f, const char *line)
{
	const char	*s = line, *p;
	int		 was_space = 0;

	if (f->lineno == 1 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' ||
	    *s == '\v')
		s++;
	if (*s != '[' || (s != line && f->key_seen))
		return;
	for (p = s + 1; *p != '\0' && *p != ']' && !(was_space && *p == ';');
	    p++)
		was_space = *p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r' || *p == '\f' || *p == '\v';
	if (*p != ']') {
		conf_file_error(f, f->lineno, "missing ']' in section header");
		return;
	}
	if (conf_section_end(f) == -1)
		return;
	conf_section_begin(f, s + 1, (size_t)(p - s - 1));
}

static char *
conf_ini_reader(char *str, int num, void *stream)
{
	struct conf_file	*f = stream;
	size_t			 len;
	int			 ch;

	if (f->done)
		return NULL;
	if (fgets(str, num, f->fp) == NULL) {
		f->done = 1;
		if (ferror(f->fp))
			conf_file_error(f, f->lineno, "read error: %s",
			    strerror(errno));
		else
			conf_section_end(f);
		return NULL;
	}
	f->lineno++;
	len = strlen(str);
	if (len + 1 == (size_t)num && str[len - 1] != '\n') {
		if ((ch = getc(f->fp)) != EOF) {
			conf_file_error(f, f->lineno, "line longer than %d "
			    "bytes", num - 3);
			return NULL;
		}
	}
	conf_header_scan(f, str);
	return f->done ? NULL : str;
}

static int
conf_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_file	*f = user;
	char			 err[CONF_ERR_MAX];
	int			 k, want;

	f->key_seen = 1;
	if (f->done)
		return 0;
	if (f->sect == SECT_NONE) {
		conf_file_error(f, f->lineno, "%s outside of a section "
		    "([server] or [app NAME])", name);
		return 0;
	}
	want = f->sect == SECT_SERVER ? CK_SERVER : CK_APP;
	for (k = 0; k < K_COUNT; k++)
		if ((conf_keys[k].flags & want) &&
		    strcmp(conf_keys[k].name, name) == 0)
			break;
	if (k == K_COUNT) {
		conf_file_error(f, f->lineno, "unknown key \"%s\" in [%s%s]",
		    name, f->sect == SECT_SERVER ? "server" : "app ",
		    f->sect == SECT_SERVER ? "" : f->c->apps[f->app].name);
		return 0;
	}
	if (f->seen[k] != 0 && !(conf_keys[k].flags & CK_REPEAT)) {
		conf_file_error(f, f->lineno, "duplicate key %s (first on line "
		    "%d)", name, f->seen[k]);
		return 0;
	}
	f->seen[k] = f->lineno;
	if (conf_key_set(f, (enum conf_key)k, value, err, sizeof(err)) == -1) {
		conf_file_error(f, f->lineno, "%s: %s", name, err);
		return 0;
	}
	return 1;
}

static int
conf_file_load(struct conf *c, const char *path)
{
	struct conf_file	 f;
	char			*slash, *copy;
	int			 rc;

	memset(&f, 0, sizeof(f));
	f.c = c;
	f.path = path;
	if ((copy = strdup(path)) == NULL) {
		fprintf(stderr, "ferryd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((slash = strrchr(copy, '/')) != NULL)
		*(slash == copy ? slash + 1 : slash) = '\0';
	f.dir = realpath(slash != NULL ? copy : ".", NULL);
	free(copy);
	if (f.dir == NULL || (f.fp = fopen(path, "re")) == NULL) {
		fprintf(stderr, "ferryd: %s: %s\n", path, strerror(errno));
		free(f.dir);
		return -1;
	}
	rc = ini_parse_stream(conf_ini_reader, &f, conf_ini_handler, &f);
	fclose(f.fp);
	free(f.dir);
	if (rc > 0 && (f.errline == 0 || rc < f.errline))
		fprintf(stderr, "ferryd: %s:%d: syntax error: expected "
		    "[SECTION], NAME = VALUE or a comment\n", path, rc);
	else if (f.errline != 0)
		fprintf(stderr, "ferryd: %s:%d: %s\n", path, f.errline,
		    f.errmsg);
	else if (rc != 0)
		fprintf(stderr, "ferryd: %s: cannot parse (%d)\n", path, rc);
	else
		return 0;
	return -1;
}

/* Applies the command line over what the file set. */
static int
conf_args_apply(struct conf *c, const struct conf_args *ar)
{
	struct conf_listen	*ls = NULL;
	struct conf_app		*a;
	char			 err[CONF_ERR_MAX], *prefix;
	const char		*eq;
	size_t			 i, n = 0;
	uint64_t		 workers = 0;

	if (ar->nlistens > 0) {
		for (i = 0; i < ar->nlistens; i++) {
			if (conf_listen_add(&ls, &n, ar->listens[i], err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "ferryd: --listen %s\n", err);
				goto fail;
			}
		}
		for (i = 0; i < c->nlistens; i++)
			free(c->listens[i].spec);
		free(c->listens);
		c->listens = ls;
		c->nlistens = n;
		ls = NULL;
	}
	if (c->nlistens == 0 && conf_listen_add(&c->listens, &c->nlistens,
	    CONF_DEFAULT_LISTEN, err, sizeof(err)) == -1) {
		fprintf(stderr, "ferryd: %s\n", err);
		return -1;
	}
	if ((ar->access_log != NULL &&
	    conf_set_str(&c->access_log, ar->access_log) == -1) ||
	    (ar->error_log != NULL &&
	    conf_set_str(&c->error_log, ar->error_log) == -1)) {
		fprintf(stderr, "ferryd: %s\n", strerror(errno));
		return -1;
	}
	if (ar->workers != NULL) {
		if (conf_parse_u64(ar->workers, 1, CONF_MAX_WORKERS_LIMIT,
		    &workers, err, sizeof(err)) == -1) {
			fprintf(stderr, "ferryd: --workers %s\n", err);
			return -1;
		}
		for (i = 0; i < ar->napps; i++)
			if (ar->app_types[i] == CONF_APP_FASTCGI)
				break;
		if (i == ar->napps) {
			fprintf(stderr, "ferryd: --workers sizes the --app "
			    "pools, and no --app was given\n");
			return -1;
		}
	}
	for (i = 0; i < ar->napps; i++) {
		const char	*opt = ar->app_types[i] == CONF_APP_CGI ?
		    "--cgi" : "--app";

		if ((eq = strchr(ar->apps[i], '=')) == NULL) {
			fprintf(stderr, "ferryd: %s %s: expected %s\n", opt,
			    ar->apps[i], ar->app_types[i] == CONF_APP_CGI ?
			    "PREFIX=DIR" : "PREFIX=COMMAND");
			return -1;
		}
		if ((prefix = strndup(ar->apps[i], (size_t)(eq -
		    ar->apps[i]))) == NULL) {
			fprintf(stderr, "ferryd: %s\n", strerror(errno));
			return -1;
		}
		if (conf_check_prefix(c, (size_t)-1, prefix, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "ferryd: %s %s: %s\n", opt, ar->apps[i],
			    err);
			free(prefix);
			return -1;
		}
		if ((a = conf_app_add(c, prefix)) == NULL) {
			fprintf(stderr, "ferryd: %s\n", strerror(errno));
			free(prefix);
			return -1;
		}
		conf_app_init(a, (enum conf_app_type)ar->app_types[i]);
		a->prefix = prefix;
		if ((a->type == CONF_APP_CGI ?
		    conf_set_dir(&a->root, NULL, eq + 1, err, sizeof(err)) :
		    conf_set_prog(&a->command, NULL, eq + 1, err,
		    sizeof(err))) == -1) {
			fprintf(stderr, "ferryd: %s %s: %s\n", opt, ar->apps[i],
			    err);
			return -1;
		}
		if (a->type == CONF_APP_FASTCGI && workers != 0)
			a->workers = a->min_workers = a->max_workers =
			    (int)workers;
	}
	return 0;
 fail:
	for (i = 0; i < n; i++)
		free(ls[i].spec);
	free(ls);
	return -1;
}

int
conf_load(struct conf *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "listen",	required_argument,	NULL, 'l' },
		{ "cgi",	required_argument,	NULL, 'C' },
		{ "app",	required_argument,	NULL, 'A' },
		{ "workers",	required_argument,	NULL, 'W' },
		{ "access-log",	required_argument,	NULL, 'a' },
		{ "error-log",	required_argument,	NULL, 'e' },
		{ "foreground",	no_argument,		NULL, 'F' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct conf_args	 ar;
	int			 ch, rc = -1;

	conf_init(c);
	memset(&ar, 0, sizeof(ar));
	ar.listens = calloc((size_t)argc + 1, sizeof(*ar.listens));
	ar.apps = calloc((size_t)argc + 1, sizeof(*ar.apps));
	ar.app_types = calloc((size_t)argc + 1, sizeof(*ar.app_types));
	if (ar.listens == NULL || ar.apps == NULL || ar.app_types == NULL) {
		fprintf(stderr, "ferryd: %s\n", strerror(errno));
		goto done;
	}

	/* "+": stop at the first operand; ":": report a missing argument
	   ourselves.  optind = 0 makes glibc start afresh on every call. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:l:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (ar.file != NULL) {
				fprintf(stderr, "ferryd: -c given twice\n");
				goto usage;
			}
			ar.file = optarg;
			break;
		case 'l':
			ar.listens[ar.nlistens++] = optarg;
			break;
		case 'C':
		case 'A':
			ar.app_types[ar.napps] = ch == 'C' ? CONF_APP_CGI :
			    CONF_APP_FASTCGI;
			ar.apps[ar.napps++] = optarg;
			break;
		case 'W':
			ar.workers = optarg;
			break;
		case 'a':
			ar.access_log = optarg;
			break;
		case 'e':
			ar.error_log = optarg;
			break;
		case 'F':
			break;
		case 'V':
			printf("ferryd %s\n", PACKAGE_VERSION);
			rc = 1;
			goto done;
		case 'h':
			conf_usage(stdout, 1);
			rc = 1;
			goto done;
		case ':':
			fprintf(stderr, "ferryd: option %s needs an argument\n",
			    argv[optind - 1]);
			goto usage;
		default:
			if (optopt != 0)
				fprintf(stderr, "ferryd: unknown option -%c\n",
				    optopt);
			else
				fprintf(stderr, "ferryd: unknown option %s\n",
				    argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ferryd: unexpected argument: %s\n",
		    argv[optind]);
		goto usage;
	}
	if (ar.file != NULL && conf_file_load(c, ar.file) == -1)
		goto done;
	if (conf_args_apply(c, &ar) == -1)
		goto usage;
	rc = 0;
	goto done;
 usage:
	conf_usage(stderr, 0);
 done:
	free(ar.listens);
	free(ar.apps);
	free(ar.app_types);
	if (rc != 0)
		conf_free(c);
	return rc;
}
