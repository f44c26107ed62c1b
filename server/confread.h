/*
 * Reading an INI file for ferry.conf(5): libinih parses, through our own
 * line reader, which counts lines (inih's handler gets no line number in
 * Debian's build), notices section headers as inih does, stops at the
 * first error, and refuses lines longer than inih's buffer instead of
 * letting inih split them.  What a section or key means is the caller's
 * (server/conf.c), through struct confread_ops.
 */
#ifndef FERRY_SERVER_CONFREAD_H
#define FERRY_SERVER_CONFREAD_H

#include <stddef.h>

#define CONFREAD_ERR_MAX	512	/* an error message, with its NUL */

struct confread;

/*
 * What the reader reports, in file order.  Each returns 0, or -1 after
 * confread_error (which ends the read).  section_end comes before each
 * header after the first and at the end of the file, also when no
 * section began.
 */
struct confread_ops {
	/* "[name]" (len bytes, not NUL-ended) on the current line. */
	int	(*section_begin)(void *arg, struct confread *r,
		    const char *name, size_t len);
	/* The section begun last (if any) ends. */
	int	(*section_end)(void *arg, struct confread *r);
	/* "name = value" on the current line (or continued there). */
	int	(*key)(void *arg, struct confread *r, const char *name,
		    const char *value);
};

/*
 * Reads the file at path, calling ops with arg.  Returns 0, or -1 after
 * printing "ferryd: PATH:LINE: message" (or "ferryd: PATH: error") on
 * stderr for the first error: the file's, inih's or one that a callback
 * recorded.
 */
int	confread_file(const char *path, const struct confread_ops *ops,
	    void *arg);
/* Records the first error, on line line, and ends the read. */
void	confread_error(struct confread *r, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The number of the line being read (1 for the first). */
int	confread_line(const struct confread *r);
/* The absolute directory of the file, for paths relative to it. */
const char *confread_dir(const struct confread *r);

#endif
