/*
 * ferryd's settings: the command line and ferry.conf(5) (INI, read with
 * libinih) fill one struct conf.  Every limit and timeout has a named
 * default here.
 */
#ifndef FERRY_SERVER_CONF_H
#define FERRY_SERVER_CONF_H

#include <stddef.h>

#include "server/conf-t.h"

/*
 * Fills *c from the command line (argv as main got it), reading the file
 * of -c first when given.  Returns 0; 1 when --help or --version was
 * handled (the caller exits 0); -1 after printing a message on stderr
 * (the caller exits 2 on a usage error, as ferryd(8) documents).  Only
 * after 0 does *c hold anything to free; conf_free is harmless anyway.
 * After 0 every field holds the value to use, defaults included (every
 * timeout > 0, max_procs >= 1): readers need not re-default.
 */
int	conf_load(struct conf *c, int argc, char *argv[]);

/* For an app whose processes run as another user or group: 0 when ferryd
   can switch to them (it runs as root, or they are its own effective ids),
   else -1 with "[app NAME]: user = X needs ferryd to run as root" in err. */
int	conf_app_ids_check(const struct conf_app *a, char *err, size_t errlen);

/* What conf_load cannot check, as it depends on whom ferryd runs as: 0
   when, as root, every app names the user its processes run as (user, or
   --user for the command line's apps: root only by choice) and every
   app's processes can take its limit_* (none above ferryd's hard limits
   unless they keep root's privileges); else -1 after a message per
   fault through confval_report. */
int	conf_apps_check(const struct conf *c);

/* server/confapp.c: frees what a holds and zeroes it. */
void	conf_app_free(struct conf_app *a);
/* A copy of a that owns its own strings (rt is NULL); NULL when out of
   memory.  conf_app_destroy frees it. */
struct conf_app *conf_app_dup(const struct conf_app *a);
void	conf_app_destroy(struct conf_app *a);
/* Replaces every setting of the copy dst with src's, at the same address
   and keeping dst->name (the names are equal): 0, or -1 when out of
   memory (dst unchanged). */
int	conf_app_update(struct conf_app *dst, const struct conf_app *src);
/* 1 when a and b ask for the same namespaces and filesystem view
   (server/sandbox.c: the same sandbox), else 0. */
int	conf_app_same_sandbox(const struct conf_app *a,
	    const struct conf_app *b);
/* 1 when a and b start the same processes: type, command (and the
   program file: the same file, not modified since), args, env, root,
   user and group are equal, and so are their sandboxes. */
int	conf_app_same_process(const struct conf_app *a,
	    const struct conf_app *b);

/* 1 when every setting of a and b is equal (the names aside). */
int	conf_app_same(const struct conf_app *a, const struct conf_app *b);

/* Frees everything *c holds and zeroes it. */
void	conf_free(struct conf *c);

#endif
