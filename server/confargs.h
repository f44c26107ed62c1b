/*
 * ferryd's command line (ferryd(8)): confargs_parse gathers the options
 * before ferry.conf is read, confargs_apply lays them over what the file
 * set (--listen replaces the file's list, --cgi and --app add apps).
 */
#ifndef FERRY_SERVER_CONFARGS_H
#define FERRY_SERVER_CONFARGS_H

#include <stddef.h>

#include "server/conf-t.h"

/* What conf.c lends confargs_apply to add the apps of --cgi and --app:
   check a prefix, add an app with its defaults, finish it (see conf.c's
   confval_prefix, conf_app_add, conf_app_finish). */
struct confargs_ops {
	int		 (*check_prefix)(const struct conf *c, size_t self,
			    const char *p, char *err, size_t errlen);
	struct conf_app	*(*app_add)(struct conf *c, const char *name,
			    enum conf_app_type type);
	int		 (*app_finish)(struct conf_app *a, int has_w,
			    int has_min, int has_max, char *err,
			    size_t errlen);
};

/* The options given; the strings point into argv. */
struct confargs {
	const char	*file;		/* -c */
	int		 test;		/* -t: check and exit */
	const char	**listens;
	size_t		 nlistens;
	const char	**apps;		/* "PREFIX=DIR" or "PREFIX=COMMAND" */
	int		 *app_types;	/* enum conf_app_type, by apps[] */
	size_t		 napps;
	const char	*workers;
	const char	*user;		/* --user: the --cgi/--app apps' */
	const char	*access_log, *error_log;
};

/*
 * Gathers argv into *ar.  Returns 0; 1 when --help or --version was
 * printed on stdout; -1 after a message (and the usage line, for a wrong
 * command line) on stderr.  Call confargs_free(ar) after any of them.
 */
int	confargs_parse(struct confargs *ar, int argc, char *argv[]);
/* Applies *ar over *c (and the default listen address when none is set),
   adding apps through ops.  Returns 0, or -1 after a message and the
   usage line on stderr. */
int	confargs_apply(struct conf *c, const struct confargs *ar,
	    const struct confargs_ops *ops);
/* Frees what confargs_parse allocated; harmless twice. */
void	confargs_free(struct confargs *ar);

#endif
