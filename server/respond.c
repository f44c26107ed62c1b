/*
 * An app's CGI-format output to an HTTP response, and the server's own
 * responses (respond.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/limits.h"
#include "server/log.h"
#include "server/respond.h"

#define RESPOND_CONTINUE	"HTTP/1.1 100 Continue\r\n\r\n"

static char	*respond_fields(const struct cgiresp *, size_t *);

const char *
respond_state_name(enum respond_state s)
{
	switch (s) {
	case RESPOND_HEAD:	return "head";
	case RESPOND_HELD:	return "held";
	case RESPOND_COMMITTED:	return "committed";
	case RESPOND_ENDED:	return "ended";
	}
	return "unknown";
}

static void
respond_set_state(struct respond *r, enum respond_state s)
{
	if (r->state == s)
		return;
	log_debug("response: %s -> %s", respond_state_name(r->state),
	    respond_state_name(s));
	r->state = s;
}

enum respond_state
respond_state(const struct respond *r)
{
	return r->state;
}

void
respond_reset(struct respond *r)
{
	free(r->head);
	free(r->pend);
	free(r->cr.fields);
	memset(r, 0, sizeof(*r));
}

/* Queues p[0..n); when the queue cannot grow, the response is cut and
   the connection closes once the rest is out. */
static void
respond_append(struct respond *r, const struct respond_req *x,
    const char *p, size_t n)
{
	char	*w;
	size_t	 room;

	if ((w = x->sink->reserve(x->arg, n, &room)) == NULL) {
		r->close_after = 1;
		return;
	}
	memcpy(w, p, n);
	x->sink->wrote(x->arg, n);
}

/* Writes head h with the header lines extra[0..elen) into the queue,
   asking for reserve bytes of room; with a Date field unless the
   response is interim.  -1 when out of memory. */
static int
respond_write_head(const struct respond_req *x, const struct response_head *h,
    int interim, const char *extra, size_t elen, size_t reserve)
{
	char	*w;
	size_t	 room;

	if ((w = x->sink->reserve(x->arg, reserve, &room)) == NULL)
		return -1;
	x->sink->wrote(x->arg, response_write_head(w, room, h,
	    interim ? NULL : x->sink->date(x->arg), extra, elen));
	return 0;
}

/*
 * An app's interim block, parsed in r->cr: a 103 goes to the client with
 * its fields, an HTTP/1.1 client only (RFC 9110 section 15.2: none to an
 * HTTP/1.0 one).  100 and 102 go nowhere rather than failing the request:
 * an app that sends them goes on to answer, and the client loses nothing
 * (100 Continue is the server's to send, once, to a client that asked;
 * 102 Processing is obsolete and only says "wait").  An interim response
 * is advisory: one the queue has no room for is left out.  Returns
 * RESPOND_OK, or 502 past RESPOND_INTERIM_MAX blocks.
 */
static int
respond_interim(struct respond *r, const struct respond_req *x,
    enum cgiresp_class cls)
{
	struct response_head	 h;
	char			*extra;
	size_t			 elen;

	if (++r->ninterim > RESPOND_INTERIM_MAX) {
		log_warnx("%s: more than %d interim responses", x->name,
		    RESPOND_INTERIM_MAX);
		return 502;
	}
	if (cls != CGIRESP_HINTS || x->minor < 1)
		return RESPOND_OK;
	if ((extra = respond_fields(&r->cr, &elen)) == NULL)
		return RESPOND_OK;
	memset(&h, 0, sizeof(h));
	h.status = r->cr.status;
	h.minor = x->minor;
	h.keep_alive = 1;
	h.content_length = -1;
	response_frame(&h);
	(void)respond_write_head(x, &h, 1, extra, elen, elen + 64);
	free(extra);
	return RESPOND_OK;
}

/* 1 when the request asked to switch (Connection: upgrade) to every
   protocol of the app's Upgrade, answer. */
static int
respond_switch_asked(const struct respond_req *x,
    const struct http1_span *answer)
{
	const struct http1_field	*f;

	if (x->request == NULL || !(x->request->flags & HTTP1_F_UPGRADE) ||
	    (f = http1_find_field(x->request, "Upgrade")) == NULL)
		return 0;
	return cgiresp_upgrade_offered(&f->value, answer);
}

/*
 * Parses the block at the start of r->head.  Interim blocks are dealt
 * with and taken out of r->head as they complete, until the final one.
 * Returns the final block's length, 0 when it is not whole yet, or the
 * status to fail with.
 */
static ssize_t
respond_parse(struct respond *r, const struct respond_req *x)
{
	enum cgiresp_class	 cls;
	ssize_t			 n;
	int			 st;

	for (;;) {
		n = cgiresp_parse(r->head, r->head_len, &r->cr,
		    CGIRESP_DEFAULT_MAX_FIELDS, CGIRESP_DEFAULT_MAX_HEAD);
		if (n < 0) {
			log_warnx("%s: malformed response header block",
			    x->name);
			return -502;
		}
		if (n == 0)
			return 0;
		switch ((cls = cgiresp_class(&r->cr))) {
		case CGIRESP_FINAL:
			return n;
		case CGIRESP_SWITCH:
			/* Nor is a 101 for one (RFC 9110 section 15.2), and
			   it switches to a protocol the client asked for
			   (section 7.8): another would leave the client
			   waiting for a final response. */
			if (x->minor >= 1 && respond_switch_asked(x,
			    &r->cr.upgrade))
				return n;
			log_warnx("%s: status 101 %s", x->name, x->minor < 1 ?
			    "to an HTTP/1.0 client" : "to a protocol the "
			    "client did not ask for");
			return -502;
		case CGIRESP_BAD_STATUS:
			log_warnx("%s: status %d %s", x->name, r->cr.status,
			    r->cr.status == 101 ? "without a valid Upgrade" :
			    r->cr.content_length != -1 ||
			    r->cr.location.p != NULL ? "with Content-Length or "
			    "Location" : "is no status an app may send");
			return -502;
		case CGIRESP_HINTS:
		case CGIRESP_DROPPED:
			if ((st = respond_interim(r, x, cls)) != RESPOND_OK)
				return -st;
			r->head_len -= (size_t)n;
			memmove(r->head, r->head + n, r->head_len);
			break;
		}
	}
}

int
respond_head(struct respond *r, const struct respond_req *x, const char *p,
    size_t len)
{
	char	*np;
	ssize_t	 n;
	size_t	 off;

	if ((np = realloc(r->head, r->head_len + len)) == NULL)
		return 500;
	r->head = np;
	memcpy(r->head + r->head_len, p, len);
	r->head_len += len;
	if (r->cr.fields == NULL && (r->cr.fields = calloc(
	    CGIRESP_DEFAULT_MAX_FIELDS, sizeof(*r->cr.fields))) == NULL)
		return 500;
	/* The parser judges each line as it completes, and a bad one at
	   once: so it runs on every piece until the block is whole, and its
	   result is kept from then on. */
	if ((n = respond_parse(r, x)) < 0)
		return (int)-n;
	if (n == 0)
		return RESPOND_MORE;
	respond_set_state(r, RESPOND_HELD);
	off = (size_t)n;
	/* Keep the body bytes that came with the head apart. */
	if (off < r->head_len) {
		if ((r->pend = malloc(r->head_len - off)) == NULL)
			return 500;
		memcpy(r->pend, r->head + off, r->head_len - off);
		r->pend_len = r->head_len - off;
	}
	r->head_len = off;
	if (r->cr.kind == CGIRESP_LOCAL_REDIRECT)
		return RESPOND_REDIRECT;
	return RESPOND_OK;
}

const struct cgiresp *
respond_cgiresp(const struct respond *r)
{
	return &r->cr;
}

int
respond_commit_due(const struct respond *r)
{
	return r->cr.content_length >= 0 || r->pend_len > CONN_PEND_MAX;
}

size_t
respond_held(const struct respond *r)
{
	return r->pend_len;
}

void
respond_restart(struct respond *r)
{
	free(r->head);
	r->head = NULL;
	r->head_len = 0;
	free(r->pend);
	r->pend = NULL;
	r->pend_len = 0;
	respond_set_state(r, RESPOND_HEAD);
}

void
respond_drop_head(struct respond *r)
{
	free(r->head);
	r->head = NULL;
	r->head_len = 0;
}

/* Builds the header block to pass on from the app's fields. */
static char *
respond_fields(const struct cgiresp *cr, size_t *len)
{
	size_t	 n = 0, i;
	char	*p, *s;
	int	 upgrade;

	for (i = 0; i < cr->nfields; i++)
		n += cr->fields[i].name.len + cr->fields[i].value.len + 4;
	if (cr->location.p != NULL)
		n += cr->location.len + 12;
	/* A 101 switches to the protocol the app names: its Upgrade and
	   Connection fields are the switch itself (RFC 9110 15.2.2). */
	upgrade = cr->status == 101 && cr->upgrade.p != NULL;
	if (upgrade)
		n += cr->upgrade.len + 11 + (cr->connection.p != NULL ?
		    cr->connection.len : 7) + 14;
	if ((s = p = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < cr->nfields; i++) {
		memcpy(p, cr->fields[i].name.p, cr->fields[i].name.len);
		p += cr->fields[i].name.len;
		*p++ = ':';
		*p++ = ' ';
		memcpy(p, cr->fields[i].value.p, cr->fields[i].value.len);
		p += cr->fields[i].value.len;
		*p++ = '\r';
		*p++ = '\n';
	}
	if (cr->location.p != NULL) {
		memcpy(p, "Location: ", 10);
		p += 10;
		memcpy(p, cr->location.p, cr->location.len);
		p += cr->location.len;
		*p++ = '\r';
		*p++ = '\n';
	}
	if (upgrade) {
		memcpy(p, "Upgrade: ", 9);
		p += 9;
		memcpy(p, cr->upgrade.p, cr->upgrade.len);
		p += cr->upgrade.len;
		memcpy(p, "\r\nConnection: ", 14);
		p += 14;
		if (cr->connection.p != NULL) {
			memcpy(p, cr->connection.p, cr->connection.len);
			p += cr->connection.len;
		} else {
			memcpy(p, "Upgrade", 7);
			p += 7;
		}
		*p++ = '\r';
		*p++ = '\n';
	}
	*len = (size_t)(p - s);
	return s;
}

/* Queues body bytes from the app, framed as the response head said. */
static void
respond_frame(struct respond *r, const struct respond_req *x,
    const char *p, size_t len)
{
	char	 ch[CHUNK_HEADER_MAX];
	size_t	 n;

	switch (r->rh.framing) {
	case RESPONSE_NO_BODY:
		r->body_sent += len;
		return;
	case RESPONSE_LENGTH:
		if ((uint64_t)r->rh.content_length - r->body_sent < len) {
			len = (size_t)((uint64_t)r->rh.content_length -
			    r->body_sent);
			if (!r->close_after)
				log_warnx("%s: script wrote more than its "
				    "Content-Length; extra bytes dropped",
				    x->name);
			r->close_after = 1;
		}
		respond_append(r, x, p, len);
		break;
	case RESPONSE_CHUNKED:
		if (len == 0)
			return;
		n = chunk_header(ch, len);
		respond_append(r, x, ch, n);
		respond_append(r, x, p, len);
		respond_append(r, x, CHUNK_TRAILER, 2);
		break;
	case RESPONSE_CLOSE:
		respond_append(r, x, p, len);
		break;
	}
	r->body_sent += len;
}

int
respond_commit(struct respond *r, const struct respond_req *x,
    int64_t length)
{
	const struct cgiresp	*cr = &r->cr;
	char			*extra, *pend;
	size_t			 elen, plen;

	if ((extra = respond_fields(cr, &elen)) == NULL)
		return 502;
	memset(&r->rh, 0, sizeof(r->rh));
	r->rh.status = cr->status;
	r->rh.minor = x->minor;
	r->rh.head_request = x->is_head;
	r->rh.keep_alive = *x->keep_alive && !x->stopping;
	r->rh.content_length = cr->content_length >= 0 ? cr->content_length :
	    length;
	response_frame(&r->rh);
	/* Output past the app's Content-Length is cut and the connection
	   closed after it (respond_frame): when the held body shows it
	   already, the head says so (RFC 9112 section 9.6). */
	if (r->rh.framing == RESPONSE_LENGTH &&
	    (uint64_t)r->pend_len > (uint64_t)r->rh.content_length)
		r->rh.keep_alive = 0;
	*x->keep_alive = r->rh.keep_alive;
	r->status = cr->status;
	/* After a 101 the connection speaks another protocol: if the app
	   does not take it over, nothing else can, so it closes. */
	if (cr->status == 101)
		r->close_after = 1;
	if (respond_write_head(x, &r->rh, 0, extra, elen, elen + 512) == -1) {
		free(extra);
		return RESPOND_NOMEM;
	}
	free(extra);
	respond_set_state(r, RESPOND_COMMITTED);
	pend = r->pend;
	plen = r->pend_len;
	r->pend = NULL;
	r->pend_len = 0;
	if (plen > 0)
		respond_frame(r, x, pend, plen);
	free(pend);
	return RESPOND_OK;
}

int
respond_body(struct respond *r, const struct respond_req *x, const char *p,
    size_t len)
{
	char	*np;

	if (r->state == RESPOND_COMMITTED) {
		respond_frame(r, x, p, len);
		return RESPOND_OK;
	}
	if ((np = realloc(r->pend, r->pend_len + len)) == NULL)
		return 500;
	r->pend = np;
	memcpy(r->pend + r->pend_len, p, len);
	r->pend_len += len;
	if (r->pend_len > CONN_PEND_MAX)
		return respond_commit(r, x, -1);
	return RESPOND_OK;
}

void
respond_end(struct respond *r, const struct respond_req *x, int clean)
{
	if (r->state == RESPOND_COMMITTED) {
		switch (r->rh.framing) {
		case RESPONSE_CHUNKED:
			if (clean)
				respond_append(r, x, CHUNK_LAST, 5);
			else
				r->close_after = 1;
			break;
		case RESPONSE_LENGTH:
			if (r->body_sent < (uint64_t)r->rh.content_length)
				r->close_after = 1;
			break;
		case RESPONSE_CLOSE:
			r->close_after = 1;
			break;
		default:
			break;
		}
	}
	respond_set_state(r, RESPOND_ENDED);
}

void
respond_abort(struct respond *r)
{
	r->close_after = 1;
	respond_set_state(r, RESPOND_ENDED);
}

int
respond_error(struct respond *r, const struct respond_req *x, int status,
    const char *extra)
{
	struct response_head	 h;
	char			 body[128], hdr[512];
	size_t			 blen;

	free(r->pend);
	r->pend = NULL;
	r->pend_len = 0;
	if (status == 200)
		blen = 0;
	else
		blen = (size_t)snprintf(body, sizeof(body), "%d %s\n", status,
		    response_reason(status));
	snprintf(hdr, sizeof(hdr), "%s%s",
	    blen > 0 ? "Content-Type: text/plain; charset=utf-8\r\n" : "",
	    extra != NULL ? extra : "");
	memset(&h, 0, sizeof(h));
	h.status = status;
	h.minor = x->minor;
	h.head_request = x->is_head;
	h.keep_alive = *x->keep_alive;
	h.content_length = (int64_t)blen;
	response_frame(&h);
	*x->keep_alive = h.keep_alive;
	if (respond_write_head(x, &h, 0, hdr, strlen(hdr), 1024) == -1)
		return RESPOND_NOMEM;
	if (!x->is_head) {
		respond_append(r, x, body, blen);
		r->body_sent = blen;
	}
	r->status = status;
	respond_set_state(r, RESPOND_ENDED);
	return RESPOND_OK;
}

void
respond_continue(struct respond *r, const struct respond_req *x)
{
	if (r->continued)
		return;
	respond_append(r, x, RESPOND_CONTINUE, sizeof(RESPOND_CONTINUE) - 1);
	r->continued = 1;
}

int
respond_status(const struct respond *r)
{
	return r->status;
}

uint64_t
respond_bytes(const struct respond *r)
{
	return r->body_sent;
}

int
respond_must_close(const struct respond *r)
{
	return r->close_after;
}
