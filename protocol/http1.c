/*
 * HTTP/1.1 request head parser and body framing checks (RFC 9112, RFC 9110).
 *
 * The head is scanned once, left to right, one byte at a time through
 * http1_at().  Every verdict depends only on the bytes already looked at,
 * and http1_at() answers "too long" (431) for a position past max_head
 * before it answers "need more" for a position past the end of the buffer.
 * This is what makes the stateless re-parse consistent: a prefix of the
 * input either needs more bytes or gets the very status the whole input
 * gets, and a buffer that already proves the head too long is never told
 * to wait.  The request-target alone is exempt from the max_head check and
 * bounded by max_target instead (414), so that an overlong target is
 * answered 414 even when the head is also over its limit; its bytes do
 * not count toward max_head either, so a target within max_target never
 * makes a head too long, whichever of the two limits is larger.
 *
 * The target form is judged as soon as the request line is complete, each
 * field (Host, Content-Length, Transfer-Encoding) as soon as its line is,
 * and what needs the whole head (is there a Host? which body?) at its end.
 *
 *	request-line = method SP request-target SP HTTP-version CRLF
 *	field-line   = field-name ":" OWS field-value OWS CRLF
 *	head         = *CRLF request-line *( field-line ) CRLF
 */
#include "config.h"

#include <string.h>

#include "protocol/http1.h"

#define HTTP1_NEED	(-1)	/* http1_at(): byte not in buf yet */
#define HTTP1_CL_DIGITS	19	/* at most 19 digits fit a uint64_t */
#define HTTP1_PORT_MAX	65535

struct http1_scan {
	const unsigned char		*buf;
	size_t				 len;
	const struct http1_limits	*lim;
	size_t				 exempt;	/* target bytes, once
							   read: not counted */
};

/* What the fields seen so far say about Host and the body. */
struct http1_framing {
	const struct http1_field *host;
	int			 has_te;
	int			 has_cl;
	uint64_t		 cl;
};

static int	http1_at(const struct http1_scan *, size_t);
static ssize_t	http1_stop(int);
static int	http1_is_ows(int);
static int	http1_is_digit(int);
static int	http1_is_hex(int);
static int	http1_lower(int);
static int	http1_eq_ci(const char *, size_t, const char *);
static void	http1_trim(const char **, const char **);
static ssize_t	http1_request_line(struct http1_scan *, size_t,
		    struct http1_request *);
static ssize_t	http1_fields(const struct http1_scan *, size_t,
		    struct http1_request *, struct http1_framing *);
static int	http1_target(struct http1_request *);
static int	http1_host_char(int);
static int	http1_port_valid(const char *, size_t, int);
static int	http1_host_valid(const char *, size_t, int);
static int	http1_content_length(const struct http1_field *,
		    struct http1_framing *);
static void	http1_connection(const struct http1_field *,
		    struct http1_request *);
static void	http1_expect(const struct http1_field *,
		    struct http1_request *);
static int	http1_field(struct http1_request *,
		    const struct http1_field *, struct http1_framing *);
static int	http1_framing(struct http1_request *,
		    const struct http1_framing *);

/*
 * Returns the byte at position i, -431 when a byte at i would make the head
 * longer than max_head (whether or not it has arrived yet; the target's
 * bytes not counted), or HTTP1_NEED.
 */
static int
http1_at(const struct http1_scan *s, size_t i)
{
	if (i >= s->exempt && i - s->exempt >= s->lim->max_head)
		return -431;
	if (i >= s->len)
		return HTTP1_NEED;
	return s->buf[i];
}

/* Turns a negative http1_at() answer into the parser's return value. */
static ssize_t
http1_stop(int c)
{
	return c == HTTP1_NEED ? 0 : c;
}

static int
http1_is_ows(int c)
{
	return c == ' ' || c == '\t';
}

static int
http1_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
http1_is_hex(int c)
{
	return http1_is_digit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* ASCII only, whatever the locale. */
static int
http1_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Returns 1 when p[0..len) equals the NUL-terminated s, ignoring ASCII case. */
static int
http1_eq_ci(const char *p, size_t len, const char *s)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0' ||
		    http1_lower((unsigned char)p[i]) !=
		    http1_lower((unsigned char)s[i]))
			return 0;
	}
	return s[len] == '\0';
}

/* Moves *b forward and *e backward over OWS. */
static void
http1_trim(const char **b, const char **e)
{
	while (*b < *e && http1_is_ows((unsigned char)**b))
		(*b)++;
	while (*e > *b && http1_is_ows((unsigned char)(*e)[-1]))
		(*e)--;
}

int
http1_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http1_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return 1;
	default:
		return 0;
	}
}

void
http1_limits_default(struct http1_limits *lim)
{
	lim->max_target = HTTP1_DEFAULT_MAX_TARGET;
	lim->max_head = HTTP1_DEFAULT_MAX_HEAD;
	lim->max_fields = HTTP1_DEFAULT_MAX_FIELDS;
}

const struct http1_field *
http1_find_field(const struct http1_request *req, const char *name)
{
	size_t	 i;

	for (i = 0; i < req->nfields; i++) {
		if (http1_eq_ci(req->fields[i].name.p, req->fields[i].name.len,
		    name))
			return &req->fields[i];
	}
	return NULL;
}

/*
 * Parses the request line starting at i (after any leading empty lines).
 * Returns the position after its CRLF, 0 or -STATUS.
 */
static ssize_t
http1_request_line(struct http1_scan *s, size_t i,
    struct http1_request *req)
{
	static const char	 version[] = "HTTP/d.d";
	size_t			 start, k;
	int			 c;

	/* method = token, then exactly one SP */
	start = i;
	for (;;) {
		if ((c = http1_at(s, i)) < 0)
			return http1_stop(c);
		if (c == ' ')
			break;
		if (!http1_is_tchar((unsigned char)c))
			return -400;
		i++;
	}
	if (i == start)
		return -400;
	req->method.p = (const char *)s->buf + start;
	req->method.len = i - start;
	i++;

	/*
	 * request-target: visible ASCII up to the next SP.  Bounded by
	 * max_target (414 as soon as it is exceeded), not by max_head.
	 */
	start = i;
	for (;;) {
		if (i >= s->len)
			return 0;
		c = s->buf[i];
		if (c == ' ')
			break;
		/* A fragment is no part of a request-target (RFC 9112
		   3.2): '#' is 400, not a path byte. */
		if (c <= 0x20 || c >= 0x7f || c == '#')
			return -400;
		if (i - start >= s->lim->max_target)
			return -414;
		i++;
	}
	if (i == start)
		return -400;
	req->target.p = (const char *)s->buf + start;
	req->target.len = i - start;
	s->exempt = req->target.len;
	i++;

	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive */
	for (k = 0; k < sizeof(version) - 1; k++) {
		if ((c = http1_at(s, i + k)) < 0)
			return http1_stop(c);
		if (version[k] == 'd' ? !http1_is_digit(c) : c != version[k])
			return -400;
	}
	if (s->buf[i + 5] != '1')
		return -505;
	req->minor = s->buf[i + 7] == '0' ? 0 : 1;
	i += k;

	if ((c = http1_at(s, i)) < 0)
		return http1_stop(c);
	if (c != '\r')
		return -400;
	if ((c = http1_at(s, i + 1)) < 0)
		return http1_stop(c);
	if (c != '\n')
		return -400;
	return (ssize_t)(i + 2);
}

/*
 * Parses field lines and the final empty line starting at i, judging each
 * field as soon as its line is complete.  Returns the position after the
 * head, 0 or -STATUS.
 */
static ssize_t
http1_fields(const struct http1_scan *s, size_t i, struct http1_request *req,
    struct http1_framing *fr)
{
	struct http1_field	*f;
	size_t			 start, vend;
	int			 c;

	for (;;) {
		if ((c = http1_at(s, i)) < 0)
			return http1_stop(c);
		if (c == '\r') {
			if ((c = http1_at(s, i + 1)) < 0)
				return http1_stop(c);
			if (c != '\n')
				return -400;
			return (ssize_t)(i + 2);
		}
		/*
		 * Anything but a tchar here is an error: SP or HTAB starts an
		 * obs-fold (or whitespace before the first field), ':' an
		 * empty name, LF a bare LF.
		 */
		if (!http1_is_tchar((unsigned char)c))
			return -400;
		if (req->nfields >= s->lim->max_fields)
			return -431;

		/* field-name = token, directly followed by ':' */
		start = i;
		for (;;) {
			if ((c = http1_at(s, i)) < 0)
				return http1_stop(c);
			if (c == ':')
				break;
			if (!http1_is_tchar((unsigned char)c))
				return -400;
			i++;
		}
		f = &req->fields[req->nfields];
		f->name.p = (const char *)s->buf + start;
		f->name.len = i - start;
		i++;

		/* OWS field-value OWS CRLF; obs-text allowed, CTLs not */
		for (;;) {
			if ((c = http1_at(s, i)) < 0)
				return http1_stop(c);
			if (!http1_is_ows(c))
				break;
			i++;
		}
		start = vend = i;
		for (;;) {
			if ((c = http1_at(s, i)) < 0)
				return http1_stop(c);
			if (c == '\r')
				break;
			if (!http1_is_ows(c)) {
				if (c < 0x20 || c == 0x7f)
					return -400;
				vend = i + 1;
			}
			i++;
		}
		if ((c = http1_at(s, i + 1)) < 0)
			return http1_stop(c);
		if (c != '\n')
			return -400;
		f->value.p = (const char *)s->buf + start;
		f->value.len = vend - start;
		req->nfields++;
		if ((c = http1_field(req, f, fr)) != 0)
			return c;
		i += 2;
	}
}

/*
 * Sorts the request-target into its form (RFC 9112 section 3.2) and fills
 * path, query and, for absolute and authority form, authority.  Returns 0
 * or -400.
 */
static int
http1_target(struct http1_request *req)
{
	const char	*p = req->target.p, *end = p + req->target.len;
	const char	*q;
	int		 is_connect, is_options;

	is_connect = req->method.len == 7 &&
	    memcmp(req->method.p, "CONNECT", 7) == 0;
	is_options = req->method.len == 7 &&
	    memcmp(req->method.p, "OPTIONS", 7) == 0;

	if (is_connect) {
		/* authority-form = uri-host ":" port */
		if (!http1_host_valid(p, req->target.len, 1))
			return -400;
		req->form = HTTP1_TARGET_AUTHORITY;
		req->authority = req->target;
		return 0;
	}
	if (req->target.len == 1 && *p == '*') {
		if (!is_options)
			return -400;
		req->form = HTTP1_TARGET_ASTERISK;
		req->path = req->target;
		return 0;
	}
	if (*p == '/') {
		req->form = HTTP1_TARGET_ORIGIN;
	} else {
		/* absolute-form, only for the http and https schemes */
		if (req->target.len >= 7 && http1_eq_ci(p, 7, "http://"))
			p += 7;
		else if (req->target.len >= 8 && http1_eq_ci(p, 8, "https://"))
			p += 8;
		else
			return -400;
		for (q = p; q < end && *q != '/' && *q != '?'; q++)
			continue;
		if (!http1_host_valid(p, (size_t)(q - p), 0))
			return -400;
		req->form = HTTP1_TARGET_ABSOLUTE;
		req->authority.p = p;
		req->authority.len = (size_t)(q - p);
		p = q;
	}

	for (q = p; q < end && *q != '?'; q++)
		continue;
	if (q > p) {
		req->path.p = p;
		req->path.len = (size_t)(q - p);
	} else {
		/* "http://host" or "http://host?q": the path is "/" */
		req->path.p = "/";
		req->path.len = 1;
	}
	if (q < end) {
		req->query.p = q + 1;
		req->query.len = (size_t)(end - q - 1);
	}
	return 0;
}

/* unreserved / sub-delims / "%" (RFC 3986 reg-name, IP-literal). */
static int
http1_host_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    http1_is_digit(c))
		return 1;
	switch (c) {
	case '-': case '.': case '_': case '~':
	case '!': case '$': case '&': case '\'': case '(': case ')':
	case '*': case '+': case ',': case ';': case '=': case '%':
		return 1;
	default:
		return 0;
	}
}

/* port = *DIGIT with a value up to 65535; 1*DIGIT when need is set. */
static int
http1_port_valid(const char *p, size_t len, int need)
{
	unsigned long	 v = 0;
	size_t		 i;

	if (len == 0)
		return !need;
	if (len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (!http1_is_digit((unsigned char)p[i]))
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= HTTP1_PORT_MAX;
}

/*
 * Returns 1 when p[0..len) is uri-host [ ":" port ] with a non-empty host
 * (RFC 9110 section 4.2.1); the port is required when need_port is set.
 */
static int
http1_host_valid(const char *p, size_t len, int need_port)
{
	size_t	 i = 0;

	if (len == 0)
		return 0;
	if (p[0] == '[') {
		/* IP-literal: IPv6address or IPvFuture, loosely */
		for (i = 1; i < len && p[i] != ']'; i++) {
			if (!http1_host_char((unsigned char)p[i]) &&
			    p[i] != ':')
				return 0;
		}
		if (i == len || i == 1)
			return 0;
		i++;
	} else {
		for (; i < len && p[i] != ':'; i++) {
			if (!http1_host_char((unsigned char)p[i]))
				return 0;
			if (p[i] == '%' && (i + 2 >= len ||
			    !http1_is_hex((unsigned char)p[i + 1]) ||
			    !http1_is_hex((unsigned char)p[i + 2])))
				return 0;
		}
		if (i == 0)
			return 0;
	}
	if (i == len)
		return !need_port;
	if (p[i] != ':')
		return 0;
	return http1_port_valid(p + i + 1, len - i - 1, need_port);
}

/*
 * Folds one Content-Length field (1#DIGIT, RFC 9110 section 8.6) into fr.
 * Returns 0, or -400 for a bad value or one that differs from an earlier.
 */
static int
http1_content_length(const struct http1_field *f, struct http1_framing *fr)
{
	const char	*p = f->value.p, *end = p + f->value.len;
	const char	*b, *e;
	uint64_t	 v;
	size_t		 n;

	for (;;) {
		for (e = p; e < end && *e != ','; e++)
			continue;
		b = p;
		http1_trim(&b, &e);
		if (b == e || (size_t)(e - b) > HTTP1_CL_DIGITS)
			return -400;
		for (v = 0, n = 0; b + n < e; n++) {
			if (!http1_is_digit((unsigned char)b[n]))
				return -400;
			if (v > (UINT64_MAX - (uint64_t)(b[n] - '0')) / 10)
				return -400;
			v = v * 10 + (uint64_t)(b[n] - '0');
		}
		if (fr->has_cl && fr->cl != v)
			return -400;
		fr->has_cl = 1;
		fr->cl = v;
		for (p = b + n; p < end && *p != ','; p++)
			continue;
		if (p == end)
			return 0;
		p++;
	}
}

/* Sets the HTTP1_F_* flags named in one Connection field. */
static void
http1_connection(const struct http1_field *f, struct http1_request *req)
{
	const char	*p = f->value.p, *end = p + f->value.len;
	const char	*b, *e;

	while (p < end) {
		for (e = p; e < end && *e != ','; e++)
			continue;
		b = p;
		p = e < end ? e + 1 : e;
		http1_trim(&b, &e);
		if (http1_eq_ci(b, (size_t)(e - b), "close"))
			req->flags |= HTTP1_F_CLOSE;
		else if (http1_eq_ci(b, (size_t)(e - b), "keep-alive"))
			req->flags |= HTTP1_F_KEEPALIVE;
		else if (http1_eq_ci(b, (size_t)(e - b), "upgrade"))
			req->flags |= HTTP1_F_UPGRADE;
	}
}

/* Sets the expectation flags from one Expect field; empty elements are void. */
static void
http1_expect(const struct http1_field *f, struct http1_request *req)
{
	const char	*p = f->value.p, *end = p + f->value.len;
	const char	*b, *e;

	while (p < end) {
		for (e = p; e < end && *e != ','; e++)
			continue;
		b = p;
		p = e < end ? e + 1 : e;
		http1_trim(&b, &e);
		if (b == e)
			continue;
		if (http1_eq_ci(b, (size_t)(e - b), "100-continue"))
			req->flags |= HTTP1_F_EXPECT_CONTINUE;
		else
			req->flags |= HTTP1_F_EXPECT_OTHER;
	}
}

/*
 * Judges one field as soon as its line is complete (RFC 9112 sections 3.2
 * and 6), so that a head that already proves an error is answered without
 * waiting for its end: a second Host, a bad Host value, a bad or different
 * Content-Length, Transfer-Encoding with Content-Length or in HTTP/1.0 are
 * 400; Transfer-Encoding but a single "chunked" is 501.  Connection and
 * Expect set flags.  Returns 0 or -STATUS.
 */
static int
http1_field(struct http1_request *req, const struct http1_field *f,
    struct http1_framing *fr)
{
	const char	*p = f->name.p;
	size_t		 len = f->name.len;

	if (http1_eq_ci(p, len, "host")) {
		if (fr->host != NULL)
			return -400;
		fr->host = f;
		if (f->value.len == 0)
			return req->form == HTTP1_TARGET_ABSOLUTE ||
			    req->form == HTTP1_TARGET_AUTHORITY ? -400 : 0;
		if (!http1_host_valid(f->value.p, f->value.len, 0))
			return -400;
	} else if (http1_eq_ci(p, len, "transfer-encoding")) {
		if (req->minor == 0 || fr->has_cl)
			return -400;
		if (fr->has_te ||
		    !http1_eq_ci(f->value.p, f->value.len, "chunked"))
			return -501;
		fr->has_te = 1;
	} else if (http1_eq_ci(p, len, "content-length")) {
		if (fr->has_te)
			return -400;
		return http1_content_length(f, fr);
	} else if (http1_eq_ci(p, len, "connection"))
		http1_connection(f, req);
	else if (http1_eq_ci(p, len, "expect") && req->minor >= 1)
		http1_expect(f, req);
	return 0;
}

/*
 * Judges the complete head: HTTP/1.1 needs a Host field but for CONNECT and
 * asterisk form; sets the authority from Host and the body framing.
 * Returns 0 or -400.
 */
static int
http1_framing(struct http1_request *req, const struct http1_framing *fr)
{
	if (fr->host == NULL) {
		if (req->minor >= 1 && req->form != HTTP1_TARGET_AUTHORITY &&
		    req->form != HTTP1_TARGET_ASTERISK)
			return -400;
	} else if (req->form == HTTP1_TARGET_ORIGIN ||
	    req->form == HTTP1_TARGET_ASTERISK)
		req->authority = fr->host->value;

	if (fr->has_te)
		req->body = HTTP1_BODY_CHUNKED;
	else if (fr->has_cl) {
		req->body = HTTP1_BODY_LENGTH;
		req->content_length = fr->cl;
	}
	return 0;
}

ssize_t
http1_parse_request(const char *buf, size_t len, struct http1_request *req,
    const struct http1_limits *lim)
{
	struct http1_scan	 s;
	struct http1_framing	 fr;
	struct http1_field	*fields = req->fields;
	ssize_t			 rv;
	size_t			 i = 0;
	int			 c;

	memset(req, 0, sizeof(*req));
	req->fields = fields;
	s.buf = (const unsigned char *)buf;
	s.len = len;
	s.lim = lim;
	s.exempt = 0;

	/* RFC 9112 section 2.2: skip empty lines before the request line */
	for (;;) {
		if ((c = http1_at(&s, i)) < 0)
			return http1_stop(c);
		if (c != '\r')
			break;
		if ((c = http1_at(&s, i + 1)) < 0)
			return http1_stop(c);
		if (c != '\n')
			return -400;
		i += 2;
	}

	if ((rv = http1_request_line(&s, i, req)) <= 0)
		return rv;
	if ((c = http1_target(req)) != 0)
		return c;
	memset(&fr, 0, sizeof(fr));
	if ((rv = http1_fields(&s, (size_t)rv, req, &fr)) <= 0)
		return rv;
	if ((c = http1_framing(req, &fr)) != 0)
		return c;
	return rv;
}
