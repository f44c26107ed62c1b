/*
 * CGI response header block parser (RFC 3875 section 6).
 *
 *	response     = header-block [ body ]
 *	header-block = 1*field-line NL
 *	field-line   = field-name ":" *( SP / HTAB ) field-value NL
 *	NL           = LF / CR LF		(chosen per line)
 *
 * The block is scanned once, left to right, one byte at a time through
 * cgiresp_at().  Every verdict depends only on the bytes already looked at,
 * and cgiresp_at() answers "too long" for a position at or past max_head
 * before it answers "need more" for a position past the end of the buffer.
 * So a prefix of the input either needs more bytes or gets the very answer
 * the whole input gets, and a buffer that already proves the block too long
 * is never told to wait.  Each field line is judged as soon as it is
 * complete (a repeated Status is an error at once); the kind of response is
 * decided once the empty line has been seen.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "protocol/cgiresp.h"

#define CGIRESP_NEED	(-1)	/* cgiresp_at(): byte not in the buffer yet */
#define CGIRESP_LONG	(-2)	/* cgiresp_at(): byte past max_head */

/* What one field line turned out to be. */
enum cgiresp_line {
	CGIRESP_LINE_FIELD,	/* a field line, *f filled */
	CGIRESP_LINE_END,	/* the empty line ending the block */
};

struct cgiresp_scan {
	const char	*buf;
	size_t		 len;
	size_t		 max_head;
};

static int	cgiresp_at(const struct cgiresp_scan *, size_t);
static int	cgiresp_is_ws(int);
static int	cgiresp_lower(int);
static int	cgiresp_name_is(const struct http1_span *, const char *);
static int	cgiresp_line(const struct cgiresp_scan *, size_t *,
		    struct http1_field *, enum cgiresp_line *);
static int	cgiresp_status(const struct http1_span *, struct cgiresp *);
static int	cgiresp_length(const struct http1_span *, int64_t *);
static int	cgiresp_hop_by_hop(const struct http1_span *);
static int	cgiresp_element(const char **, const char *, const char **,
		    const char **);
static int	cgiresp_listed(const struct http1_span *,
		    const struct http1_span *);
static void	cgiresp_drop_listed(const struct cgiresp_scan *,
		    struct cgiresp *);
static int	cgiresp_token(const char *, const char *);
static int	cgiresp_upgrade_ok(const struct http1_span *);

/*
 * Returns the byte at pos, CGIRESP_LONG when pos cannot belong to a block
 * of at most max_head bytes, or CGIRESP_NEED when it is not in the buffer.
 */
static int
cgiresp_at(const struct cgiresp_scan *s, size_t pos)
{
	if (pos >= s->max_head)
		return CGIRESP_LONG;
	if (pos >= s->len)
		return CGIRESP_NEED;
	return (unsigned char)s->buf[pos];
}

static int
cgiresp_is_ws(int c)
{
	return c == ' ' || c == '\t';
}

static int
cgiresp_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Compares a field name with NAME (lower case), ASCII case-insensitively. */
static int
cgiresp_name_is(const struct http1_span *n, const char *name)
{
	size_t	 i;

	if (n->len != strlen(name))
		return 0;
	for (i = 0; i < n->len; i++)
		if (cgiresp_lower((unsigned char)n->p[i]) !=
		    (unsigned char)name[i])
			return 0;
	return 1;
}

/*
 * Reads one line starting at *pos: either a field line (into *f) or the
 * empty line that ends the block.  Returns 1 and moves *pos past the line's
 * NL, 0 when more bytes are needed, -1 when the line is malformed or the
 * block would exceed max_head.
 */
static int
cgiresp_line(const struct cgiresp_scan *s, size_t *pos,
    struct http1_field *f, enum cgiresp_line *what)
{
	size_t	 i = *pos, start, vstart, vend;
	int	 c;

	/* Empty line: NL alone. */
	c = cgiresp_at(s, i);
	if (c == '\r') {
		c = cgiresp_at(s, ++i);
		if (c == CGIRESP_NEED)
			return 0;
		if (c != '\n')
			return -1;
	}
	if (c == '\n') {
		*pos = i + 1;
		*what = CGIRESP_LINE_END;
		return 1;
	}

	/*
	 * field-name ":"; a line starting with SP or HTAB is an obs-fold
	 * continuation (RFC 9112 section 5.2), which a CGI script has no
	 * reason to send and which we reject, as we do whitespace before
	 * the colon.
	 */
	start = i;
	while (c >= 0 && http1_is_tchar((unsigned char)c))
		c = cgiresp_at(s, ++i);
	if (c == CGIRESP_NEED)
		return 0;
	if (c != ':' || i == start)
		return -1;
	f->name.p = s->buf + start;
	f->name.len = i - start;

	/* field-value: VCHAR, obs-text, SP and HTAB; no other CTL. */
	vstart = ++i;
	for (;;) {
		c = cgiresp_at(s, i);
		if (c == CGIRESP_NEED)
			return 0;
		if (c == CGIRESP_LONG)
			return -1;
		if (c == '\r' || c == '\n')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
		i++;
	}
	vend = i;
	if (c == '\r') {
		c = cgiresp_at(s, ++i);
		if (c == CGIRESP_NEED)
			return 0;
		if (c != '\n')
			return -1;
	}
	*pos = i + 1;

	while (vstart < vend && cgiresp_is_ws((unsigned char)s->buf[vstart]))
		vstart++;
	while (vend > vstart && cgiresp_is_ws((unsigned char)s->buf[vend - 1]))
		vend--;
	f->value.p = s->buf + vstart;
	f->value.len = vend - vstart;
	*what = CGIRESP_LINE_FIELD;
	return 1;
}

/*
 * Status: 3DIGIT [ SP reason-phrase ], code 100 to 599.  Extra blanks
 * before the reason are skipped; an empty reason is left with p == NULL.
 * Returns 0, or -1 when the value is malformed.
 */
static int
cgiresp_status(const struct http1_span *v, struct cgiresp *r)
{
	size_t	 i;
	int	 code = 0;

	if (v->len < 3)
		return -1;
	for (i = 0; i < 3; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -1;
		code = code * 10 + (v->p[i] - '0');
	}
	if (code < 100 || code > 599)
		return -1;
	if (v->len > 3 && v->p[3] != ' ')
		return -1;
	r->status = code;
	r->reason.p = NULL;
	r->reason.len = 0;
	for (i = 3; i < v->len && cgiresp_is_ws((unsigned char)v->p[i]); i++)
		;
	if (i < v->len) {
		r->reason.p = v->p + i;
		r->reason.len = v->len - i;
	}
	return 0;
}

/* Content-Length: 1*DIGIT that fits an int64_t.  Returns 0 or -1. */
static int
cgiresp_length(const struct http1_span *v, int64_t *out)
{
	int64_t	 n = 0;
	size_t	 i;
	int	 d;

	if (v->len == 0)
		return -1;
	for (i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -1;
		d = v->p[i] - '0';
		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

/* Fields about the connection and framing, which the server owns. */
static int
cgiresp_hop_by_hop(const struct http1_span *n)
{
	return cgiresp_name_is(n, "connection") ||
	    cgiresp_name_is(n, "keep-alive") ||
	    cgiresp_name_is(n, "transfer-encoding") ||
	    cgiresp_name_is(n, "trailer") ||
	    cgiresp_name_is(n, "upgrade") ||
	    cgiresp_name_is(n, "proxy-connection");
}

/*
 * Steps through a comma-separated list at *p (up to end): sets [*b, *e)
 * to the next element, OWS trimmed (it may be empty), and moves *p past
 * it.  Returns 0 once the list is done.
 */
static int
cgiresp_element(const char **p, const char *end, const char **b,
    const char **e)
{
	if (*p >= end)
		return 0;
	for (*e = *p; *e < end && **e != ','; (*e)++)
		continue;
	*b = *p;
	*p = *e < end ? *e + 1 : *e;
	while (*b < *e && cgiresp_is_ws((unsigned char)**b))
		(*b)++;
	while (*e > *b && cgiresp_is_ws((unsigned char)(*e)[-1]))
		(*e)--;
	return 1;
}

/* 1 when name is one of the comma-separated options of list. */
static int
cgiresp_listed(const struct http1_span *list, const struct http1_span *name)
{
	const char	*p = list->p, *end = p + list->len, *b, *e;
	size_t		 i;

	while (cgiresp_element(&p, end, &b, &e)) {
		if ((size_t)(e - b) != name->len)
			continue;
		for (i = 0; i < name->len; i++)
			if (cgiresp_lower((unsigned char)b[i]) !=
			    cgiresp_lower((unsigned char)name->p[i]))
				break;
		if (i == name->len)
			return 1;
	}
	return 0;
}

int
cgiresp_upgrade_offered(const struct http1_span *offer,
    const struct http1_span *answer)
{
	const char		*p = answer->p, *end = p + answer->len, *b, *e;
	struct http1_span	 proto;
	int			 n = 0;

	if (answer->p == NULL)
		return 0;
	while (cgiresp_element(&p, end, &b, &e)) {
		if (b == e)
			continue;
		proto.p = b;
		proto.len = (size_t)(e - b);
		if (offer->p == NULL || !cgiresp_listed(offer, &proto))
			return 0;
		n++;
	}
	return n > 0;
}

/*
 * RFC 9110 section 7.6.1: the fields a Connection field names are about
 * this hop only.  Drops them from r->fields, for every Connection field of
 * the (whole, well-formed) block.
 */
static void
cgiresp_drop_listed(const struct cgiresp_scan *s, struct cgiresp *r)
{
	struct http1_field	 f;
	enum cgiresp_line	 what;
	size_t			 pos = 0, i, n;

	while (cgiresp_line(s, &pos, &f, &what) == 1 &&
	    what != CGIRESP_LINE_END) {
		if (!cgiresp_name_is(&f.name, "connection"))
			continue;
		for (i = n = 0; i < r->nfields; i++)
			if (!cgiresp_listed(&f.value, &r->fields[i].name))
				r->fields[n++] = r->fields[i];
		r->nfields = n;
	}
}

ssize_t
cgiresp_parse(const char *buf, size_t len, struct cgiresp *r,
    size_t max_fields, size_t max_head)
{
	struct cgiresp_scan	 s = { buf, len, max_head };
	struct http1_field	 f;
	enum cgiresp_line	 what;
	size_t			 pos = 0, nlines = 0;
	int64_t			 cl;
	int			 have_status = 0, rv;

	r->kind = CGIRESP_DOCUMENT;
	r->status = 200;
	r->reason.p = NULL;
	r->reason.len = 0;
	r->location.p = NULL;
	r->location.len = 0;
	r->content_length = -1;
	r->upgrade.p = r->connection.p = NULL;
	r->upgrade.len = r->connection.len = 0;
	r->nfields = 0;

	for (;;) {
		if ((rv = cgiresp_line(&s, &pos, &f, &what)) != 1)
			return rv;
		if (what == CGIRESP_LINE_END)
			break;
		nlines++;
		if (cgiresp_name_is(&f.name, "status")) {
			if (have_status || cgiresp_status(&f.value, r) == -1)
				return -1;
			have_status = 1;
		} else if (cgiresp_name_is(&f.name, "location")) {
			if (r->location.p != NULL || f.value.len == 0)
				return -1;
			r->location = f.value;
		} else if (cgiresp_name_is(&f.name, "content-length")) {
			if (cgiresp_length(&f.value, &cl) == -1)
				return -1;
			if (r->content_length != -1 && r->content_length != cl)
				return -1;
			r->content_length = cl;
		} else if (cgiresp_name_is(&f.name, "upgrade")) {
			if (r->upgrade.p == NULL)
				r->upgrade = f.value;
		} else if (cgiresp_name_is(&f.name, "connection")) {
			if (r->connection.p == NULL)
				r->connection = f.value;
		} else if (!cgiresp_hop_by_hop(&f.name)) {
			if (r->nfields >= max_fields)
				return -1;
			r->fields[r->nfields++] = f;
		}
	}

	/* RFC 3875 section 6.2: at least one CGI-field. */
	if (nlines == 0)
		return -1;
	if (r->connection.p != NULL)
		cgiresp_drop_listed(&s, r);
	if (r->location.p != NULL) {
		if (nlines == 1 && r->location.p[0] == '/')
			r->kind = CGIRESP_LOCAL_REDIRECT;
		else {
			r->kind = CGIRESP_CLIENT_REDIRECT;
			if (!have_status)
				r->status = 302;
		}
	}
	return (ssize_t)pos;
}

/* 1 when [b, e) is a non-empty token. */
static int
cgiresp_token(const char *b, const char *e)
{
	if (b == e)
		return 0;
	for (; b < e; b++)
		if (!http1_is_tchar((unsigned char)*b))
			return 0;
	return 1;
}

/*
 * Upgrade = #protocol, protocol = protocol-name ["/" protocol-version],
 * both tokens (RFC 9110 section 7.8).  Empty list elements are allowed
 * (section 5.6.1), but one protocol at least is needed.
 */
static int
cgiresp_upgrade_ok(const struct http1_span *v)
{
	const char	*p = v->p, *end = p + v->len, *b, *e, *slash;
	int		 n = 0;

	while (cgiresp_element(&p, end, &b, &e)) {
		if (b == e)
			continue;
		for (slash = b; slash < e && *slash != '/'; slash++)
			continue;
		if (!cgiresp_token(b, slash) ||
		    (slash < e && !cgiresp_token(slash + 1, e)))
			return 0;
		n++;
	}
	return n > 0;
}

enum cgiresp_class
cgiresp_class(const struct cgiresp *r)
{
	if (r->status >= 200)
		return CGIRESP_FINAL;
	/* A 1xx has no content (RFC 9110 section 8.6: no Content-Length),
	   and a Location means nothing on it: an app that sends either
	   expects something else of the block than an interim response,
	   and the bytes after it would be read wrongly. */
	if (r->content_length != -1 || r->location.p != NULL)
		return CGIRESP_BAD_STATUS;
	switch (r->status) {
	case 101:
		/* RFC 9110 section 15.2.2: a 101 names the protocol the
		   connection switches to. */
		if (r->upgrade.p == NULL || !cgiresp_upgrade_ok(&r->upgrade))
			return CGIRESP_BAD_STATUS;
		return CGIRESP_SWITCH;
	case 103:
		return CGIRESP_HINTS;
	case 100:
	case 102:
		return CGIRESP_DROPPED;
	default:
		return CGIRESP_BAD_STATUS;
	}
}

const char *
cgiresp_class_name(enum cgiresp_class c)
{
	switch (c) {
	case CGIRESP_FINAL:		return "final";
	case CGIRESP_SWITCH:		return "switch";
	case CGIRESP_HINTS:		return "hints";
	case CGIRESP_DROPPED:		return "dropped";
	case CGIRESP_BAD_STATUS:	return "bad status";
	}
	return "unknown";
}
