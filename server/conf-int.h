/*
 * What server/conf.c lends the other conf files (confargs.c): making an
 * app with its defaults, finishing it, and checking a prefix.  Not for
 * use outside server/conf*.c.
 */
#ifndef FERRY_SERVER_CONF_INT_H
#define FERRY_SERVER_CONF_INT_H

#include <stddef.h>

#include "server/conf.h"

/* Appends an app of type type named name (copied), with the defaults of
   every app key and empty args and env lists.  Returns it (valid until
   the next conf_app_add), or NULL when out of memory. */
struct conf_app *conf_app_add(struct conf *c, const char *name,
	    enum conf_app_type type);
/* Resolves the defaults that depend on a's type (on_client_gone, the
   worker counts: has_* say which were set) and checks the counts.
   Returns 0, or -1 with a message in err. */
int	conf_app_finish(struct conf_app *a, int has_w, int has_min,
	    int has_max, char *err, size_t errlen);
/* A URL path prefix: '/' first, printable ASCII without space, '?', '#';
   used by no app but apps[self].  0, or -1 with a message in err. */
int	conf_check_prefix(const struct conf *c, size_t self, const char *p,
	    char *err, size_t errlen);

#endif
