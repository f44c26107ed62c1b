#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/http1.h"
#include "server/route.h"

static int	route_decode(const char *raw, size_t rawlen, char *dec,
		    size_t *declen, int *dots, int *encslash);
static char	*route_concat(const char *a, size_t alen, const char *b,
		    size_t blen, const char *c, size_t clen);
static int	route_check_file(const char *root, size_t rootlen,
		    const char *seg, size_t seglen, int flags, char **resolved);
static int	route_prefix_covers(const char *prefix, size_t plen,
		    const char *path, size_t len);

/*
 * 1 when path[0..len) is under prefix[0..plen) on a segment boundary: a
 * prefix ending in '/' covers what starts with it, one without ("/app")
 * covers "/app" itself and "/app/..." but not "/apple" (RFC 3875 4.1.5:
 * PATH_INFO, the rest, starts with '/').
 */
static int
route_prefix_covers(const char *prefix, size_t plen, const char *path,
    size_t len)
{
	if (plen > len || memcmp(path, prefix, plen) != 0)
		return 0;
	return plen == len || (plen > 0 && prefix[plen - 1] == '/') ||
	    path[plen] == '/';
}

struct conf_app *
route_match(struct conf_app *apps, size_t napps, const char *path,
    size_t len)
{
	struct conf_app	*best = NULL;
	size_t		 bestlen = 0, plen, i;

	for (i = 0; i < napps; i++) {
		if (apps[i].prefix == NULL)
			continue;
		plen = strlen(apps[i].prefix);
		if (!route_prefix_covers(apps[i].prefix, plen, path, len))
			continue;
		if (best == NULL || plen > bestlen) {
			best = &apps[i];
			bestlen = plen;
		}
	}
	return best;
}

/*
 * Percent-decodes the raw path rest[0..rawlen) into dec (room for rawlen
 * bytes), segment by segment: raw '/' are copied as they are.  Returns 0,
 * or 400 on a malformed escape or a NUL (raw or decoded).  Sets *dots when
 * a segment decodes to "." or "..", *encslash when one holds a %2F.
 */
static int
route_decode(const char *raw, size_t rawlen, char *dec, size_t *declen,
    int *dots, int *encslash)
{
	size_t	 i, o = 0, seg = 0;
	int	 hi, lo;
	char	 c;

	*dots = *encslash = 0;
	for (i = 0; i <= rawlen; i++) {
		if (i == rawlen || raw[i] == '/') {
			/* End of the segment that began at dec[seg]. */
			if ((o - seg == 1 && dec[seg] == '.') ||
			    (o - seg == 2 && dec[seg] == '.' &&
			    dec[seg + 1] == '.'))
				*dots = 1;
			if (i == rawlen)
				break;
			dec[o++] = '/';
			seg = o;
			continue;
		}
		c = raw[i];
		if (c == '%') {
			if (rawlen - i < 3)
				return 400;
			hi = http1_hexval((unsigned char)raw[i + 1]);
			lo = http1_hexval((unsigned char)raw[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = (char)(hi << 4 | lo);
			i += 2;
			if (c == '/')
				*encslash = 1;
		}
		if (c == '\0')
			return 400;
		dec[o++] = c;
	}
	*declen = o;
	return 0;
}

/* Returns a malloc'd a + b + c, NUL-terminated, or NULL. */
static char *
route_concat(const char *a, size_t alen, const char *b, size_t blen,
    const char *c, size_t clen)
{
	char	*s;

	if (alen > SIZE_MAX - blen - clen - 1)
		return NULL;
	if ((s = malloc(alen + blen + clen + 1)) == NULL)
		return NULL;
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen);
	memcpy(s + alen + blen, c, clen);
	s[alen + blen + clen] = '\0';
	return s;
}

/*
 * Resolves root/seg and checks that it stays inside root and is a regular
 * file that we may execute.  Returns 0 with *resolved malloc'd, or the
 * HTTP status.  root[0..rootlen) has no trailing slash.
 */
static int
route_check_file(const char *root, size_t rootlen, const char *seg,
    size_t seglen, int flags, char **resolved)
{
	struct stat	 st;
	char		*name, *real;
	int		 saved;

	*resolved = NULL;
	if ((name = route_concat(root, rootlen, "/", 1, seg, seglen)) == NULL)
		return 500;
	real = realpath(name, NULL);
	saved = errno;
	free(name);
	if (real == NULL) {
		if (saved == ENOENT || saved == ENOTDIR)
			return 404;
		if (saved == ENOMEM)
			return 500;
		return 403;
	}
	/* Inside root, on a '/' boundary: /srv/cgi-bin2 is not in /srv/cgi-bin. */
	if (strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
		goto forbidden;
	if (stat(real, &st) == -1 || !S_ISREG(st.st_mode))
		goto forbidden;
	if ((flags & ROUTE_EXEC) &&
	    faccessat(AT_FDCWD, real, X_OK, AT_EACCESS) == -1)
		goto forbidden;
	*resolved = real;
	return 0;
forbidden:
	free(real);
	return 403;
}

int
route_script_resolve(const char *root, const char *prefix, const char *path,
    size_t len, int flags, struct route_script *out)
{
	const char	*rest;
	char		*dec = NULL, *filename = NULL;
	size_t		 plen, restlen, declen, seglen, rootlen, namelen;
	int		 status, dots, encslash;

	memset(out, 0, sizeof(*out));
	plen = strlen(prefix);
	if (plen > len || memcmp(path, prefix, plen) != 0)
		return 404;
	rest = path + plen;
	restlen = len - plen;
	/* A prefix without its trailing slash ("/cgi") still needs one. */
	namelen = plen;
	if (plen == 0 || prefix[plen - 1] != '/') {
		if (restlen == 0 || rest[0] != '/')
			return 404;
		rest++;
		restlen--;
	} else
		namelen--;

	if ((dec = malloc(restlen + 1)) == NULL)
		return 500;
	if ((status = route_decode(rest, restlen, dec, &declen, &dots,
	    &encslash)) != 0)
		goto fail;
	if (dots) {
		status = 403;
		goto fail;
	}
	if (encslash) {
		status = 404;
		goto fail;
	}
	/* No encoded slash survived, so every '/' in dec was a raw one. */
	for (seglen = 0; seglen < declen && dec[seglen] != '/'; seglen++)
		;
	if (seglen == 0) {
		status = 404;
		goto fail;
	}

	rootlen = strlen(root);
	while (rootlen > 0 && root[rootlen - 1] == '/')
		rootlen--;
	if ((status = route_check_file(root, rootlen, dec, seglen, flags,
	    &filename)) != 0)
		goto fail;

	out->script_filename = filename;
	filename = NULL;
	out->script_name = route_concat(prefix, namelen, "/", 1, dec, seglen);
	out->path_info = route_concat(dec + seglen, declen - seglen, "", 0,
	    "", 0);
	if (out->script_name == NULL || out->path_info == NULL)
		goto nomem;
	if (declen > seglen) {
		out->path_translated = route_concat(root, rootlen,
		    dec + seglen, declen - seglen, "", 0);
		if (out->path_translated == NULL)
			goto nomem;
	}
	free(dec);
	return 0;
nomem:
	route_script_free(out);
	status = 500;
fail:
	free(filename);
	free(dec);
	return status;
}

void
route_script_free(struct route_script *s)
{
	free(s->script_name);
	free(s->script_filename);
	free(s->path_info);
	free(s->path_translated);
	memset(s, 0, sizeof(*s));
}

int
route_app_paths(const char *prefix, const char *command, const char *path,
    size_t len, struct route_script *out)
{
	char	*dec = NULL;
	size_t	 plen, namelen, declen;
	int	 status, dots, encslash;

	memset(out, 0, sizeof(*out));
	plen = strlen(prefix);
	if (!route_prefix_covers(prefix, plen, path, len))
		return 404;
	namelen = plen;
	if (namelen > 0 && prefix[namelen - 1] == '/')
		namelen--;
	/* PATH_INFO keeps the slash the prefix's own trailing one stood for. */
	if ((dec = malloc(len - namelen + 1)) == NULL)
		return 500;
	status = route_decode(path + namelen, len - namelen, dec, &declen,
	    &dots, &encslash);
	if (status == 0 && dots)
		status = 403;
	if (status == 0 && encslash)
		status = 404;
	if (status != 0) {
		free(dec);
		return status;
	}
	out->script_name = route_concat(prefix, namelen, "", 0, "", 0);
	out->script_filename = route_concat(command, strlen(command), "", 0,
	    "", 0);
	out->path_info = route_concat(dec, declen, "", 0, "", 0);
	free(dec);
	if (out->script_name == NULL || out->script_filename == NULL ||
	    out->path_info == NULL) {
		route_script_free(out);
		return 500;
	}
	return 0;
}

/*
 * A local redirect's Location (RFC 3875 6.2.2) is a local-pathquery:
 *
 *	local-pathquery = abs-path [ "?" query-string ]
 *	abs-path        = "/" path-segments      (pchar and "/")
 *	pchar           = unreserved | escaped | ":" "@" "&" "=" "+" "$" ","
 *	query-string    = *uric                  (pchar, "/", "?", ";", "[", "]")
 *
 * Also allowed, as RFC 3986 does: ";" in the path.  No space, no '#', no
 * CTL, no byte over 0x7e, and each '%' with two hex digits.
 */
int
route_local_location_valid(const char *p, size_t len)
{
	static const char	 path_extra[] = "-_.!~*'():@&=+$,;/";
	static const char	 query_extra[] = "?[]";
	size_t			 i;
	int			 query = 0;
	unsigned char		 c;

	if (len == 0 || p[0] != '/')
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			if (len - i < 3 || http1_hexval((unsigned char)p[i + 1])
			    < 0 || http1_hexval((unsigned char)p[i + 2]) < 0)
				return 0;
			i += 2;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (c == '?')
			query = 1;
		if (c == '\0' || (strchr(path_extra, c) == NULL &&
		    (!query || strchr(query_extra, c) == NULL)))
			return 0;
	}
	return 1;
}
