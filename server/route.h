/*
 * Routing: which app serves a URL path, and which script in a CGI
 * directory a path names.
 */
#ifndef FERRY_SERVER_ROUTE_H
#define FERRY_SERVER_ROUTE_H

#include <stddef.h>

#include "server/conf.h"

/* Returns the app with the longest prefix that path is under, or NULL:
   on a segment boundary, so "/app" takes "/app" and "/app/x", not
   "/apple".  path is the raw (not decoded) path of the request. */
struct conf_app *route_match(struct conf_app *apps, size_t napps,
	    const char *path, size_t len);

struct route_script {
	char	*script_name;		/* prefix + script segment (decoded) */
	char	*script_filename;	/* absolute, symlinks resolved */
	char	*path_info;		/* decoded rest, "" when none */
	char	*path_translated;	/* root + path_info, NULL when none */
};

/*
 * Resolves the part of path after prefix against root (a realpath):
 * the first segment names the script, the rest is PATH_INFO.  Percent-
 * decodes; refuses NUL, "." and ".." segments, encoded slashes, and any
 * script whose resolved path leaves root.  Returns 0 and fills *out (free
 * with route_script_free), or the HTTP status to answer: 400 (bad
 * encoding, NUL), 403 (traversal, not a regular executable file, outside
 * root), 404 (missing, empty script name, encoded slash, path not under
 * prefix), 500 (out of memory).  On error *out is zeroed, nothing held.
 */
#define ROUTE_EXEC	0x01	/* the script must be executable (CGI) */

int	route_script_resolve(const char *root, const char *prefix,
	    const char *path, size_t len, int flags, struct route_script *out);

/*
 * For a FastCGI app without a root: SCRIPT_NAME is the prefix (without its
 * trailing slash), SCRIPT_FILENAME the program, PATH_INFO the decoded rest
 * of the path ("/" and below), with the checks of route_script_resolve.
 * PATH_INFO is "" or starts with '/' (RFC 3875 4.1.5).  Returns 0, or 400
 * (bad encoding, NUL), 403 ("." or ".." segment), 404 (path not under
 * prefix on a segment boundary, encoded slash), 500 (out of memory).
 */
int	route_app_paths(const char *prefix, const char *command,
	    const char *path, size_t len, struct route_script *out);
void	route_script_free(struct route_script *s);

/* 1 when p[0..len) is a local-pathquery of RFC 3875 6.2.2 ("/path" and
   an optional "?query", URI characters only: no space, no '#'), the only
   Location a local redirect follows; else 0. */
int	route_local_location_valid(const char *p, size_t len);

#endif
