/*
 * The value parsers of ferry.conf(5) and the command line (see
 * confval.h): numbers, sizes, seconds, paths, word lists, user and group
 * names.  Strict hand-written parsers: every byte is checked.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conf.h"
#include "server/confval.h"

#define CONFVAL_PWBUF_MAX	(1024 * 1024)	/* getpwnam_r, getgrnam_r */

int
confval_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Digits only, no sign or space, overflow-checked, in [min, max]. */
int
confval_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
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
		return confval_errf(err, errlen,
		    "\"%s\": expected a whole number from %llu to %llu", s,
		    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* A byte count: digits with an optional K, M or G (powers of 1024). */
int
confval_size(const char *s, uint64_t max, uint64_t *out, char *err,
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
	if (confval_u64(digits, 0, max / mult, &v, tmp, sizeof(tmp)) == -1)
		goto bad;
	*out = v * mult;
	return 0;
 bad:
	return confval_errf(err, errlen, "\"%s\": expected a size in bytes "
	    "(digits with an optional K, M or G) up to %llu", s,
	    (unsigned long long)max);
}

/* Seconds: digits, optionally '.' and 1 to 9 more digits; > 0 and at most
   CONF_MAX_SECONDS. */
int
confval_seconds(const char *s, double *out, char *err, size_t errlen)
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
		return confval_errf(err, errlen, "\"%s\": expected seconds, more "
		    "than 0 and at most %d (e.g. 30 or 0.5)", s,
		    CONF_MAX_SECONDS);
	*out = (double)ip + (double)frac / (double)scale;
	return 0;
}

/* Returns path made absolute against dir (NULL: the current directory),
   malloc'd, without resolving symbolic links; NULL on error (errno). */
char *
confval_abspath(const char *dir, const char *path)
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

int
confval_str(char **dst, const char *v)
{
	char	*s;

	if ((s = strdup(v)) == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* *dst = realpath of the directory path (relative to dir). */
int
confval_dir(char **dst, const char *dir, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*abs, *real;

	if (*path == '\0')
		return confval_errf(err, errlen, "empty directory name");
	if ((abs = confval_abspath(dir, path)) == NULL)
		return confval_errf(err, errlen, "%s: %s", path, strerror(errno));
	real = realpath(abs, NULL);
	free(abs);
	if (real == NULL)
		return confval_errf(err, errlen, "%s: %s", path, strerror(errno));
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		free(real);
		return confval_errf(err, errlen, "%s: not a directory", path);
	}
	free(*dst);
	*dst = real;
	return 0;
}

/* *dst = absolute path of the executable path (relative to dir). */
int
confval_prog(char **dst, const char *dir, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*abs;

	if (*path == '\0')
		return confval_errf(err, errlen, "empty program name");
	if ((abs = confval_abspath(dir, path)) == NULL)
		return confval_errf(err, errlen, "%s: %s", path, strerror(errno));
	if (stat(abs, &st) == -1) {
		free(abs);
		return confval_errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || access(abs, X_OK) == -1) {
		free(abs);
		return confval_errf(err, errlen, "%s: not an executable file",
		    path);
	}
	free(*dst);
	*dst = abs;
	return 0;
}

/* Appends the space-separated words of v to the NULL-ended *list;
   names = 1 checks each is an environment variable name. */
int
confval_words(char ***list, const char *v, int names, char *err,
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
					return confval_errf(err, errlen, "\"%.*s\" "
					    "is not a variable name",
					    (int)len, w);
		}
		if ((word = strndup(w, len)) == NULL)
			return confval_errf(err, errlen, "%s", strerror(errno));
		if ((l = realloc(*list, (n + 2) * sizeof(*l))) == NULL) {
			free(word);
			return confval_errf(err, errlen, "%s", strerror(errno));
		}
		l[n++] = word;
		l[n] = NULL;
		*list = l;
	}
}

/* One getpwnam_r or getgrnam_r call: ent is its struct, *found its
   result pointer (NULL: no entry). */
typedef int confval_getent(const char *name, void *ent, char *buf,
    size_t size, void **found);

/*
 * Runs get for name with a buffer grown on ERANGE up to CONFVAL_PWBUF_MAX.
 * Returns 0 with *ent filled (its strings point into a freed buffer: only
 * its numbers may be read), or -1 with errno 0 when there is no such
 * entry, else the lookup's error.
 */
static int
confval_lookup(const char *name, confval_getent *get, void *ent)
{
	char	*buf = NULL, *nbuf;
	void	*found = NULL;
	size_t	 size = 1024;
	int	 error;

	for (;;) {
		if ((nbuf = realloc(buf, size)) == NULL) {
			free(buf);
			return -1;
		}
		buf = nbuf;
		error = get(name, ent, buf, size, &found);
		if (error != ERANGE || size >= CONFVAL_PWBUF_MAX)
			break;
		size *= 2;
	}
	free(buf);
	/* Not found is 0 and no entry; some NSS modules say ENOENT. */
	errno = error == ENOENT ? 0 : error;
	return error == 0 && found != NULL ? 0 : -1;
}

static int
confval_getpw(const char *name, void *ent, char *buf, size_t size,
    void **found)
{
	struct passwd	*res = NULL;
	int		 error;

	error = getpwnam_r(name, ent, buf, size, &res);
	*found = res;
	return error;
}

static int
confval_getgr(const char *name, void *ent, char *buf, size_t size,
    void **found)
{
	struct group	*res = NULL;
	int		 error;

	error = getgrnam_r(name, ent, buf, size, &res);
	*found = res;
	return error;
}

int
confval_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	pw;

	if (confval_lookup(name, confval_getpw, &pw) == -1)
		return -1;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int
confval_group(const char *name, gid_t *gid)
{
	struct group	gr;

	if (confval_lookup(name, confval_getgr, &gr) == -1)
		return -1;
	*gid = gr.gr_gid;
	return 0;
}

/* The message for a user or group (what) that did not resolve. */
int
confval_ids_err(char *err, size_t errlen, const char *what, const char *v)
{
	if (errno == 0 || *v == '\0')
		return confval_errf(err, errlen, "unknown %s \"%s\"", what, v);
	return confval_errf(err, errlen, "%s \"%s\": %s", what, v,
	    strerror(errno));
}
