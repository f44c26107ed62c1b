#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/cgienv.h"

/* Room for the decimal digits of any uint64_t (20) and a spare. */
#define CGIENV_NUMLEN	24
/* Bound on the values' total and on one name, so sizes cannot overflow. */
#define CGIENV_MAXSCRATCH	(SIZE_MAX / 4)

static int	cgienv_emit(cgienv_sink, void *, const char *, const char *,
		    size_t);
static int	cgienv_emit_str(cgienv_sink, void *, const char *,
		    const char *);
static int	cgienv_emit_u64(cgienv_sink, void *, const char *, uint64_t);
static size_t	cgienv_utoa(char *, uint64_t);
static unsigned char cgienv_lower(unsigned char);
static int	cgienv_name_eq(const struct http1_span *, const char *);
static int	cgienv_same_name(const struct http1_span *,
		    const struct http1_span *);
static int	cgienv_name_ok(const struct http1_span *);
static const struct http1_field *cgienv_field(const struct http1_request *,
		    const char *);
static void	cgienv_server_name(const struct http1_request *,
		    const struct cgienv_info *, const char **, size_t *);
static int	cgienv_headers(const struct http1_request *, cgienv_sink,
		    void *);

/* Header fields never passed as HTTP_*: their own variables, httpoxy,
   and the transfer coding the server already removed from the body. */
static const char *const cgienv_skip[] = {
	"Content-Length",
	"Content-Type",
	"Proxy",
	"Transfer-Encoding",
};

/*
 * The order and the rules for each variable are documented in cgienv.h;
 * this function follows that list line by line.
 */
int
cgienv_build(const struct http1_request *req, const struct cgienv_info *info,
    cgienv_sink sink, void *arg)
{
	const struct http1_field	*f;
	const char			*p, *host;
	size_t				 i, hlen;

	if ((f = cgienv_field(req, "Authorization")) != NULL) {
		/* RFC 3875 4.1.1: the auth-scheme token, e.g. "Basic". */
		p = f->value.p;
		for (i = 0; i < f->value.len && p[i] != ' ' && p[i] != '\t';
		    i++)
			;
		if (i > 0 && cgienv_emit(sink, arg, "AUTH_TYPE", p, i) == -1)
			return -1;
	}
	if (info->content_length >= 0 && cgienv_emit_u64(sink, arg,
	    "CONTENT_LENGTH", (uint64_t)info->content_length) == -1)
		return -1;
	if ((f = cgienv_field(req, "Content-Type")) != NULL &&
	    cgienv_emit(sink, arg, "CONTENT_TYPE", f->value.p,
	    f->value.len) == -1)
		return -1;
	if (cgienv_emit_str(sink, arg, "GATEWAY_INTERFACE", "CGI/1.1") == -1)
		return -1;
	if (info->path_info != NULL && info->path_info[0] != '\0' &&
	    cgienv_emit_str(sink, arg, "PATH_INFO", info->path_info) == -1)
		return -1;
	if (info->path_translated != NULL && cgienv_emit_str(sink, arg,
	    "PATH_TRANSLATED", info->path_translated) == -1)
		return -1;
	/* RFC 3875 4.1.7: QUERY_STRING MUST be set, "" without a query. */
	if (cgienv_emit(sink, arg, "QUERY_STRING", req->query.p,
	    req->query.len) == -1)
		return -1;
	if (cgienv_emit_str(sink, arg, "REMOTE_ADDR", info->remote_addr) == -1)
		return -1;
	if (cgienv_emit_u64(sink, arg, "REMOTE_PORT", info->remote_port) == -1)
		return -1;
	if (cgienv_emit(sink, arg, "REQUEST_METHOD", req->method.p,
	    req->method.len) == -1)
		return -1;
	if (cgienv_emit(sink, arg, "REQUEST_URI", req->target.p,
	    req->target.len) == -1)
		return -1;
	if (cgienv_emit_str(sink, arg, "SCRIPT_NAME", info->script_name) == -1)
		return -1;
	if (info->script_filename != NULL && cgienv_emit_str(sink, arg,
	    "SCRIPT_FILENAME", info->script_filename) == -1)
		return -1;
	if (info->server_addr != NULL && info->server_addr[0] != '\0' &&
	    cgienv_emit_str(sink, arg, "SERVER_ADDR", info->server_addr) == -1)
		return -1;
	cgienv_server_name(req, info, &host, &hlen);
	if (cgienv_emit(sink, arg, "SERVER_NAME", host, hlen) == -1)
		return -1;
	if (cgienv_emit_u64(sink, arg, "SERVER_PORT", info->server_port) == -1)
		return -1;
	if (cgienv_emit_str(sink, arg, "SERVER_PROTOCOL",
	    req->minor == 0 ? "HTTP/1.0" : "HTTP/1.1") == -1)
		return -1;
	if (cgienv_emit_str(sink, arg, "SERVER_SOFTWARE",
	    info->server_software) == -1)
		return -1;
	if (cgienv_emit_str(sink, arg, "REQUEST_SCHEME",
	    info->https ? "https" : "http") == -1)
		return -1;
	if (info->https && cgienv_emit_str(sink, arg, "HTTPS", "on") == -1)
		return -1;
	if (info->document_root != NULL && cgienv_emit_str(sink, arg,
	    "DOCUMENT_ROOT", info->document_root) == -1)
		return -1;
	return cgienv_headers(req, sink, arg);
}

/*
 * One HTTP_* variable per distinct field name.  The name and the value
 * (every field of that name, case-insensitively, joined with ", " in
 * order, RFC 9110 section 5.3; Cookie with "; ") are built in one scratch
 * buffer, large enough for the longest name plus all values together.
 */
static int
cgienv_headers(const struct http1_request *req, cgienv_sink sink, void *arg)
{
	const struct http1_field	*f, *g;
	const char			*sep;
	char				*buf, *val;
	size_t				 i, j, k, maxname, total, vlen;
	unsigned char			 c;
	int				 rv;

	if (req->nfields == 0)
		return 0;
	maxname = 0;
	total = 0;
	for (i = 0; i < req->nfields; i++) {
		f = &req->fields[i];
		/* Spans lie in memory, but check rather than trust. */
		if (f->name.len > CGIENV_MAXSCRATCH ||
		    f->value.len > CGIENV_MAXSCRATCH ||
		    f->value.len + 2 > CGIENV_MAXSCRATCH - total)
			return -1;
		if (f->name.len > maxname)
			maxname = f->name.len;
		total += f->value.len + 2;
	}
	if ((buf = malloc(sizeof("HTTP_") - 1 + maxname + total)) == NULL)
		return -1;
	val = buf + sizeof("HTTP_") - 1 + maxname;

	rv = 0;
	for (i = 0; i < req->nfields && rv == 0; i++) {
		f = &req->fields[i];
		if (!cgienv_name_ok(&f->name))
			continue;
		for (k = 0; k < sizeof(cgienv_skip) / sizeof(cgienv_skip[0]);
		    k++)
			if (cgienv_name_eq(&f->name, cgienv_skip[k]))
				break;
		if (k < sizeof(cgienv_skip) / sizeof(cgienv_skip[0]))
			continue;
		/* An earlier field of this name already carried this one. */
		for (j = 0; j < i; j++)
			if (cgienv_same_name(&req->fields[j].name, &f->name))
				break;
		if (j < i)
			continue;

		memcpy(buf, "HTTP_", sizeof("HTTP_") - 1);
		for (k = 0; k < f->name.len; k++) {
			c = (unsigned char)f->name.p[k];
			if (c == '-')
				c = '_';
			else if (c >= 'a' && c <= 'z')
				c = c - 'a' + 'A';
			buf[sizeof("HTTP_") - 1 + k] = (char)c;
		}

		/*
		 * Cookie is no list: RFC 6265 5.4 allows one field, and a
		 * second is joined with "; " so that it still parses (as nginx
		 * and lighttpd do).
		 */
		sep = cgienv_name_eq(&f->name, "Cookie") ? "; " : ", ";
		vlen = 0;
		for (j = i; j < req->nfields; j++) {
			g = &req->fields[j];
			if (!cgienv_same_name(&g->name, &f->name))
				continue;
			if (j != i) {
				memcpy(val + vlen, sep, 2);
				vlen += 2;
			}
			/* memcpy wants a valid pointer even for 0 bytes. */
			if (g->value.len > 0)
				memcpy(val + vlen, g->value.p, g->value.len);
			vlen += g->value.len;
		}
		if (sink(arg, buf, sizeof("HTTP_") - 1 + f->name.len, val,
		    vlen) == -1)
			rv = -1;
	}
	free(buf);
	return rv;
}

/*
 * SERVER_NAME (RFC 3875 4.1.14) is the host of req->authority (the Host
 * field or the absolute-form target) without userinfo and port.  An IPv6
 * literal keeps its brackets ("[::1]"), as the RFC's grammar writes it.
 * The host is passed as sent (not lowercased).  With no host there:
 * info->server_name, else info->server_addr, else "".  A trusted front's
 * info->forwarded_host comes before all of them.
 */
static void
cgienv_server_name(const struct http1_request *req,
    const struct cgienv_info *info, const char **host, size_t *hlen)
{
	const char	*p;
	size_t		 i, len;

	if (info->forwarded_host.p != NULL) {
		*host = info->forwarded_host.p;
		*hlen = info->forwarded_host.len;
		return;
	}
	p = req->authority.p;
	len = req->authority.len;
	/* Userinfo: whatever precedes the last '@'. */
	for (i = len; i > 0; i--)
		if (p[i - 1] == '@') {
			p += i;
			len -= i;
			break;
		}
	if (len > 0 && p[0] == '[') {
		/* An IP literal ends at ']'; none: take it all as sent. */
		for (i = 0; i < len && p[i] != ']'; i++)
			;
		if (i < len)
			len = i + 1;
	} else {
		/* A reg-name or IPv4 address holds no ':'. */
		for (i = 0; i < len && p[i] != ':'; i++)
			;
		len = i;
	}
	if (len > 0) {
		*host = p;
		*hlen = len;
		return;
	}
	if (info->server_name != NULL && info->server_name[0] != '\0')
		*host = info->server_name;
	else if (info->server_addr != NULL)
		*host = info->server_addr;
	else
		*host = "";
	*hlen = strlen(*host);
}

/* Passes NAME=value[0..vlen) to the sink; value may be NULL when empty. */
static int
cgienv_emit(cgienv_sink sink, void *arg, const char *name, const char *value,
    size_t vlen)
{
	if (value == NULL) {
		value = "";
		vlen = 0;
	}
	return sink(arg, name, strlen(name), value, vlen) == -1 ? -1 : 0;
}

/* Passes NAME=value; a NULL value goes out as "". */
static int
cgienv_emit_str(cgienv_sink sink, void *arg, const char *name,
    const char *value)
{
	return cgienv_emit(sink, arg, name, value,
	    value == NULL ? 0 : strlen(value));
}

/* Passes NAME=n in decimal. */
static int
cgienv_emit_u64(cgienv_sink sink, void *arg, const char *name, uint64_t n)
{
	char	num[CGIENV_NUMLEN];
	size_t	len;

	len = cgienv_utoa(num, n);
	return cgienv_emit(sink, arg, name, num, len);
}

/* Writes n in decimal to buf (CGIENV_NUMLEN bytes), returns the length. */
static size_t
cgienv_utoa(char *buf, uint64_t n)
{
	char	tmp[CGIENV_NUMLEN];
	size_t	i, len;

	i = 0;
	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	len = i;
	while (i > 0) {
		buf[len - i] = tmp[i - 1];
		i--;
	}
	return len;
}

static unsigned char
cgienv_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Returns 1 when the field name equals NAME, ignoring ASCII case. */
static int
cgienv_name_eq(const struct http1_span *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->len; i++)
		if (name[i] == '\0' || cgienv_lower((unsigned char)s->p[i]) !=
		    cgienv_lower((unsigned char)name[i]))
			return 0;
	return name[i] == '\0';
}

/* Returns 1 when two field names are equal, ignoring ASCII case. */
static int
cgienv_same_name(const struct http1_span *a, const struct http1_span *b)
{
	size_t	i;

	if (a->len != b->len)
		return 0;
	for (i = 0; i < a->len; i++)
		if (cgienv_lower((unsigned char)a->p[i]) !=
		    cgienv_lower((unsigned char)b->p[i]))
			return 0;
	return 1;
}

/*
 * Returns 1 when the name is non-empty and holds only ASCII letters,
 * digits and '-'.  Any other character, '_' above all, would let one name
 * pose as another once '-' becomes '_' (RFC 3875 4.1.18).
 */
static int
cgienv_name_ok(const struct http1_span *s)
{
	size_t		i;
	unsigned char	c;

	if (s->len == 0)
		return 0;
	for (i = 0; i < s->len; i++) {
		c = (unsigned char)s->p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* Returns the first field named NAME (ASCII case-insensitive), or NULL. */
static const struct http1_field *
cgienv_field(const struct http1_request *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nfields; i++)
		if (cgienv_name_eq(&req->fields[i].name, name))
			return &req->fields[i];
	return NULL;
}
