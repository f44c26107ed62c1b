/*
 * The INI reading of ferry.conf(5) (see confread.h): the file, its line
 * numbers and directory, inih's reader and handler callbacks, section
 * headers noticed as inih sees them, and the first error, printed as
 * FILE:LINE: message.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "server/confread.h"
#include "server/confval.h"

/* The state of reading one file. */
struct confread {
	const struct confread_ops *ops;
	void		*arg;
	const char	*path;		/* as given, for messages */
	char		*dir;		/* its directory, absolute */
	FILE		*fp;
	int		 lineno;
	int		 done;		/* EOF or error: the reader stops */
	int		 errline;	/* 0: no error */
	char		 errmsg[CONFREAD_ERR_MAX];
	int		 key_seen;	/* a key since the header (inih's
					   prev_name: indented lines continue) */
};

static void	confread_header_scan(struct confread *, const char *);
static char	*confread_ini_reader(char *, int, void *);
static int	confread_ini_handler(void *, const char *, const char *,
		    const char *);

void
confread_error(struct confread *r, int line, const char *fmt, ...)
{
	va_list	ap;

	r->done = 1;
	if (r->errline != 0)
		return;
	r->errline = line;
	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
}

int
confread_line(const struct confread *r)
{
	return r->lineno;
}

const char *
confread_dir(const struct confread *r)
{
	return r->dir;
}

/*
 * Notices a section header the way inih reads one: after optional
 * leading space (and a BOM on line 1), '[' up to ']' or an inline
 * comment.  An indented '[' after a key continues that key's value.
 */
static void
confread_header_scan(struct confread *r, const char *line)
{
	const char	*s = line, *p;
	int		 was_space = 0;

	if (r->lineno == 1 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' ||
	    *s == '\v')
		s++;
	if (*s != '[' || (s != line && r->key_seen))
		return;
	for (p = s + 1; *p != '\0' && *p != ']' && !(was_space && *p == ';');
	    p++)
		was_space = *p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r' || *p == '\f' || *p == '\v';
	if (*p != ']') {
		confread_error(r, r->lineno, "missing ']' in section header");
		return;
	}
	if (r->ops->section_end(r->arg, r) == -1)
		return;
	r->key_seen = 0;
	r->ops->section_begin(r->arg, r, s + 1, (size_t)(p - s - 1));
}

static char *
confread_ini_reader(char *str, int num, void *stream)
{
	struct confread	*r = stream;
	size_t		 len;
	int		 ch;

	if (r->done)
		return NULL;
	if (fgets(str, num, r->fp) == NULL) {
		r->done = 1;
		if (ferror(r->fp))
			confread_error(r, r->lineno, "read error: %s",
			    strerror(errno));
		else
			r->ops->section_end(r->arg, r);
		return NULL;
	}
	r->lineno++;
	len = strlen(str);
	if (len + 1 == (size_t)num && str[len - 1] != '\n') {
		if ((ch = getc(r->fp)) != EOF) {
			confread_error(r, r->lineno, "line longer than %d "
			    "bytes", num - 3);
			return NULL;
		}
	}
	confread_header_scan(r, str);
	return r->done ? NULL : str;
}

static int
confread_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct confread	*r = user;

	r->key_seen = 1;
	if (r->done)
		return 0;
	return r->ops->key(r->arg, r, name, value) == 0;
}

int
confread_file(const char *path, const struct confread_ops *ops, void *arg)
{
	struct confread	 r;
	struct stat	 st;
	char		*slash, *copy;
	int		 rc;

	memset(&r, 0, sizeof(r));
	r.ops = ops;
	r.arg = arg;
	r.path = path;
	if ((copy = strdup(path)) == NULL) {
		confval_report("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((slash = strrchr(copy, '/')) != NULL)
		*(slash == copy ? slash + 1 : slash) = '\0';
	r.dir = realpath(slash != NULL ? copy : ".", NULL);
	free(copy);
	if (r.dir == NULL || (r.fp = fopen(path, "re")) == NULL) {
		confval_report("%s: %s", path, strerror(errno));
		free(r.dir);
		return -1;
	}
	if (fstat(fileno(r.fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		confval_report("%s: %s", path, strerror(EISDIR));
		fclose(r.fp);
		free(r.dir);
		return -1;
	}
	rc = ini_parse_stream(confread_ini_reader, &r, confread_ini_handler,
	    &r);
	fclose(r.fp);
	free(r.dir);
	if (rc > 0 && (r.errline == 0 || rc < r.errline))
		confval_report("%s:%d: syntax error: expected "
		    "[SECTION], NAME = VALUE or a comment", path, rc);
	else if (r.errline != 0)
		confval_report("%s:%d: %s", path, r.errline,
		    r.errmsg);
	else if (rc != 0)
		confval_report("%s: cannot parse (%d)", path, rc);
	else
		return 0;
	return -1;
}
