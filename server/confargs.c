/*
 * ferryd's command line (ferryd(8)): the options, gathered before
 * ferry.conf is read and applied over it afterwards, and the usage text.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/conf-t.h"
#include "server/confargs.h"
#include "server/confval.h"

#define CONFARGS_ERR_MAX	512

static void	confargs_usage(FILE *, int);
static int	confargs_set(struct conf *, const struct confargs *,
		    const struct confargs_ops *);

static void
confargs_usage(FILE *fp, int full)
{
	fputs(
"usage: ferryd [-t] [-c FILE] [--listen ADDR]... [--cgi PREFIX=DIR]...\n"
"              [--app PREFIX=COMMAND]... [--workers N] [--user USER]\n"
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
"  -t, --test             check the configuration (files, directories,\n"
"                         programs, users, addresses, logs) and exit: 0 when\n"
"                         it is ok, 2 after printing each error\n"
"  -l, --listen ADDR      listen on HOST:PORT, [IPV6]:PORT, :PORT (0.0.0.0)\n"
"                         or unix:PATH; repeatable, replaces the file's list\n"
"                         (default 127.0.0.1:8080)\n"
"                         ADDR may end in flag words: 'ADDR proxy_protocol'\n"
"                         takes a PROXY header (v1/v2) before each connection,\n"
"                         'ADDR reuse_port' shares the port (SO_REUSEPORT)\n"
"      --cgi PREFIX=DIR   run executables in DIR as CGI scripts for URL paths\n"
"                         under PREFIX (repeatable; longest prefix wins)\n"
"      --app PREFIX=CMD   serve PREFIX with a pool of FastCGI workers running\n"
"                         the program CMD (a path, no arguments; repeatable)\n"
"      --workers N        workers in every --app pool (default 2)\n"
"      --user USER        run the --cgi and --app apps as USER (and its\n"
"                         group); as root one of them is needed: --user\n"
"                         root runs them as root\n"
"      --access-log PATH  write the access log to PATH, or off (default:\n"
"                         stderr)\n"
"      --error-log PATH   write the error log to PATH, or syslog (default:\n"
"                         stderr)\n"
"      --foreground       stay in the foreground (always the case)\n"
"  -V, --version          print the version and exit\n"
"  -h, --help             print this help and exit\n"
"\n"
"Signals: TERM stops gracefully, HUP reloads the configuration, USR2\n"
"upgrades the binary, USR1 reopens the logs.\n"
"See ferryd(8), ferry.conf(5) and ferry-status(7).\n", fp);
}

/* confargs_apply without the usage line. */
static int
confargs_set(struct conf *c, const struct confargs *ar,
    const struct confargs_ops *ops)
{
	struct conf_listen	*ls = NULL;
	struct conf_app		*a;
	char			 err[CONFARGS_ERR_MAX], *prefix;
	const char		*eq;
	size_t			 i, n = 0;
	uint64_t		 workers = 0;
	uid_t			 uid = 0;
	gid_t			 gid = 0;

	if (ar->nlistens > 0) {
		for (i = 0; i < ar->nlistens; i++) {
			if (confval_listen_add(&ls, &n, ar->listens[i], err,
			    sizeof(err)) == -1) {
				confval_report("--listen %s", err);
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
	if (c->nlistens == 0 && confval_listen_add(&c->listens, &c->nlistens,
	    CONF_DEFAULT_LISTEN, err, sizeof(err)) == -1) {
		confval_report("%s", err);
		return -1;
	}
	if ((ar->access_log != NULL &&
	    confval_str(&c->access_log, ar->access_log) == -1) ||
	    (ar->error_log != NULL &&
	    confval_str(&c->error_log, ar->error_log) == -1)) {
		confval_report("%s", strerror(errno));
		return -1;
	}
	if (ar->workers != NULL) {
		if (confval_u64(ar->workers, 1, CONF_MAX_WORKERS_LIMIT,
		    &workers, err, sizeof(err)) == -1) {
			confval_report("--workers %s", err);
			return -1;
		}
		for (i = 0; i < ar->napps; i++)
			if (ar->app_types[i] == CONF_APP_FASTCGI)
				break;
		if (i == ar->napps) {
			confval_report("--workers sizes the --app "
			    "pools, and no --app was given");
			return -1;
		}
	}
	if (ar->user != NULL) {
		errno = 0;
		if (*ar->user == '\0' || confval_user(ar->user, &uid,
		    &gid) == -1) {
			(void)confval_ids_err(err, sizeof(err), "user",
			    ar->user);
			confval_report("--user: %s", err);
			return -1;
		}
		if (ar->napps == 0) {
			confval_report("--user is the user of the --cgi and "
			    "--app apps, and none was given");
			return -1;
		}
	}
	for (i = 0; i < ar->napps; i++) {
		const char	*opt = ar->app_types[i] == CONF_APP_CGI ?
		    "--cgi" : "--app";

		if ((eq = strchr(ar->apps[i], '=')) == NULL) {
			confval_report("%s %s: expected %s", opt,
			    ar->apps[i], ar->app_types[i] == CONF_APP_CGI ?
			    "PREFIX=DIR" : "PREFIX=COMMAND");
			return -1;
		}
		if ((prefix = strndup(ar->apps[i], (size_t)(eq -
		    ar->apps[i]))) == NULL) {
			confval_report("%s", strerror(errno));
			return -1;
		}
		if (ops->check_prefix(c, (size_t)-1, prefix, err,
		    sizeof(err)) == -1) {
			confval_report("%s %s: %s", opt, ar->apps[i],
			    err);
			free(prefix);
			return -1;
		}
		if ((a = ops->app_add(c, prefix,
		    (enum conf_app_type)ar->app_types[i])) == NULL) {
			confval_report("%s", strerror(errno));
			free(prefix);
			return -1;
		}
		a->prefix = prefix;
		a->from_args = 1;
		if (ar->user != NULL) {
			if (confval_str(&a->user, ar->user) == -1) {
				confval_report("%s", strerror(errno));
				return -1;
			}
			a->uid = uid;
			a->gid = gid;
		}
		if ((a->type == CONF_APP_CGI ?
		    confval_dir(&a->root, NULL, eq + 1, err, sizeof(err)) :
		    confval_prog(&a->command, NULL, eq + 1, err,
		    sizeof(err))) == -1) {
			confval_report("%s %s: %s", opt, ar->apps[i],
			    err);
			return -1;
		}
		if (a->type == CONF_APP_FASTCGI && workers != 0)
			a->workers = a->min_workers = a->max_workers =
			    (int)workers;
		if (ops->app_finish(a, workers != 0, workers != 0,
		    workers != 0, err, sizeof(err)) == -1) {
			confval_report("%s %s: %s", opt, ar->apps[i],
			    err);
			return -1;
		}
	}
	return 0;
 fail:
	for (i = 0; i < n; i++)
		free(ls[i].spec);
	free(ls);
	return -1;
}

int
confargs_parse(struct confargs *ar, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "test",	no_argument,		NULL, 't' },
		{ "listen",	required_argument,	NULL, 'l' },
		{ "cgi",	required_argument,	NULL, 'C' },
		{ "app",	required_argument,	NULL, 'A' },
		{ "workers",	required_argument,	NULL, 'W' },
		{ "user",	required_argument,	NULL, 'U' },
		{ "access-log",	required_argument,	NULL, 'a' },
		{ "error-log",	required_argument,	NULL, 'e' },
		{ "foreground",	no_argument,		NULL, 'F' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	int	ch;

	memset(ar, 0, sizeof(*ar));
	ar->listens = calloc((size_t)argc + 1, sizeof(*ar->listens));
	ar->apps = calloc((size_t)argc + 1, sizeof(*ar->apps));
	ar->app_types = calloc((size_t)argc + 1, sizeof(*ar->app_types));
	if (ar->listens == NULL || ar->apps == NULL || ar->app_types == NULL) {
		confval_report("%s", strerror(errno));
		return -1;
	}

	/* "+": stop at the first operand; ":": report a missing argument
	   ourselves.  optind = 0 makes glibc start afresh on every call. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:l:tVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (ar->file != NULL) {
				confval_report("-c given twice");
				goto usage;
			}
			ar->file = optarg;
			break;
		case 'l':
			ar->listens[ar->nlistens++] = optarg;
			break;
		case 't':
			ar->test = 1;
			break;
		case 'C':
		case 'A':
			ar->app_types[ar->napps] = ch == 'C' ? CONF_APP_CGI :
			    CONF_APP_FASTCGI;
			ar->apps[ar->napps++] = optarg;
			break;
		case 'W':
			ar->workers = optarg;
			break;
		case 'U':
			ar->user = optarg;
			break;
		case 'a':
			ar->access_log = optarg;
			break;
		case 'e':
			ar->error_log = optarg;
			break;
		case 'F':
			break;
		case 'V':
			printf("ferryd %s\n", PACKAGE_VERSION);
			return 1;
		case 'h':
			confargs_usage(stdout, 1);
			return 1;
		case ':':
			confval_report("option %s needs an argument",
			    argv[optind - 1]);
			goto usage;
		default:
			if (optopt != 0)
				confval_report("unknown option -%c",
				    optopt);
			else
				confval_report("unknown option %s",
				    argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		confval_report("unexpected argument: %s",
		    argv[optind]);
		goto usage;
	}
	return 0;
 usage:
	confargs_usage(stderr, 0);
	return -1;
}

int
confargs_apply(struct conf *c, const struct confargs *ar,
    const struct confargs_ops *ops)
{
	if (confargs_set(c, ar, ops) == -1) {
		confargs_usage(stderr, 0);
		return -1;
	}
	return 0;
}

void
confargs_free(struct confargs *ar)
{
	free(ar->listens);
	free(ar->apps);
	free(ar->app_types);
	memset(ar, 0, sizeof(*ar));
}
