/*
 * server/respond.c alone: an app's CGI-format output in, the exact
 * response bytes out, into a plain buffer standing for the connection's
 * output queue.  Table driven; each app output is fed whole, byte by
 * byte, and split in two at every point, and must give the same bytes.
 * The driver below does what conn.c does with the results.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/limits.h"
#include "server/log.h"
#include "server/respond.h"

#define D	"Sun, 06 Nov 1994 08:49:37 GMT"

/* The output queue. */
struct rt_out {
	char	*p;
	size_t	 len, cap;
	int	 fail;		/* reserve() fails: out of memory */
};

static char *
rt_reserve(void *arg, size_t n, size_t *room)
{
	struct rt_out	*o = arg;

	if (o->fail)
		return NULL;
	if (o->len + n > o->cap) {
		o->cap = o->len + n + 64;
		o->p = realloc(o->p, o->cap);
		ck_assert_ptr_nonnull(o->p);
	}
	*room = o->cap - o->len;
	return o->p + o->len;
}

static void
rt_wrote(void *arg, size_t n)
{
	struct rt_out	*o = arg;

	ck_assert_uint_le(o->len + n, o->cap);
	o->len += n;
}

static const char *
rt_date(void *arg)
{
	return D;
}

static const struct respond_sink rt_sink = { rt_reserve, rt_wrote, rt_date };

/* One request: the response, its output and its facts. */
struct rt {
	struct respond		 r;
	struct rt_out		 o;
	struct respond_req	 x;
	int			 keep_alive;
	int			 redirected;
	struct http1_request	 req;		/* for its Upgrade */
	struct http1_field	 upgrade;
};

/* The request asks to switch to the protocols of offer (Connection:
   upgrade and Upgrade: offer). */
static void
rt_offer(struct rt *t, const char *offer)
{
	t->upgrade.name.p = "Upgrade";
	t->upgrade.name.len = 7;
	t->upgrade.value.p = offer;
	t->upgrade.value.len = strlen(offer);
	t->req.fields = &t->upgrade;
	t->req.nfields = 1;
	t->req.flags = HTTP1_F_UPGRADE;
	t->x.request = &t->req;
}

static void
rt_init(struct rt *t, int minor, int is_head, int keep_alive)
{
	memset(t, 0, sizeof(*t));
	t->keep_alive = keep_alive;
	t->x.sink = &rt_sink;
	t->x.arg = &t->o;
	t->x.minor = minor;
	t->x.is_head = is_head;
	t->x.keep_alive = &t->keep_alive;
	t->x.name = "test.cgi";
}

static void
rt_free(struct rt *t)
{
	respond_reset(&t->r);
	free(t->o.p);
}

/* conn_app_fail. */
static void
rt_fail(struct rt *t, int status)
{
	if (respond_state(&t->r) == RESPOND_ENDED)
		return;
	if (respond_state(&t->r) != RESPOND_COMMITTED) {
		ck_assert_int_eq(respond_error(&t->r, &t->x, status,
		    status == 503 ? "Retry-After: 1\r\n" : NULL), RESPOND_OK);
		return;
	}
	respond_abort(&t->r);
}

static void
rt_result(struct rt *t, int st)
{
	ck_assert_int_ne(st, RESPOND_NOMEM);
	if (st != RESPOND_OK)
		rt_fail(t, st);
}

/* conn_app_output. */
static void
rt_output(struct rt *t, const char *p, size_t len)
{
	int	st;

	if (respond_state(&t->r) == RESPOND_ENDED || t->redirected)
		return;
	if (respond_state(&t->r) != RESPOND_HEAD) {
		rt_result(t, respond_body(&t->r, &t->x, p, len));
		return;
	}
	st = respond_head(&t->r, &t->x, p, len);
	if (st == RESPOND_MORE)
		return;
	if (st == RESPOND_REDIRECT) {
		t->redirected = 1;
		return;
	}
	if (st != RESPOND_OK) {
		rt_fail(t, st);
		return;
	}
	if (respond_commit_due(&t->r))
		rt_result(t, respond_commit(&t->r, &t->x, -1));
}

/* conn_commit_cb: the commit delay ran out. */
static void
rt_timer(struct rt *t)
{
	if (respond_state(&t->r) == RESPOND_HELD)
		rt_result(t, respond_commit(&t->r, &t->x, -1));
}

/* conn_app_end. */
static void
rt_end(struct rt *t, int clean)
{
	switch (respond_state(&t->r)) {
	case RESPOND_ENDED:
		return;
	case RESPOND_HEAD:
		rt_fail(t, 502);
		return;
	case RESPOND_HELD:
		if (!clean) {
			rt_fail(t, 502);
			return;
		}
		rt_result(t, respond_commit(&t->r, &t->x,
		    (int64_t)respond_held(&t->r)));
		break;
	default:
		break;
	}
	respond_end(&t->r, &t->x, clean);
}

/* The server's 502, kept alive. */
#define E502	"HTTP/1.1 502 Bad Gateway\r\nDate: " D			\
		"\r\nContent-Length: 16\r\n"				\
		"Content-Type: text/plain; charset=utf-8\r\n"		\
		"\r\n502 Bad Gateway\n"
#define R4(x)	x x x x
#define R16(x)	R4(R4(x))

struct tcase {
	const char	*what;
	int		 minor, is_head;
	const char	*out;		/* the app's output */
	int		 timer_at;	/* -1, or the commit delay runs out once
					   this many bytes were fed */
	int		 clean;		/* the app ends normally */
	const char	*want;		/* the response bytes */
	int		 keep_alive;	/* the connection stays */
	int		 status;	/* for the access log */
};

static const struct tcase cases[] = {
	{ "short document: held, given a Content-Length", 1, 0,
	  "Content-Type: text/plain\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "Content-Type: text/plain\r\n\r\nhello", 1, 200 },
	{ "LF line ends", 1, 0,
	  "Content-Type: text/plain\n\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "Content-Type: text/plain\r\n\r\nhello", 1, 200 },
	{ "the app's Content-Length", 1, 0,
	  "Content-Length: 5\r\nX-A: b\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "X-A: b\r\n\r\nhello", 1, 200 },
	{ "less than its Content-Length: closed", 1, 0,
	  "Content-Length: 9\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 9\r\n"
	  "\r\nhello", 0, 200 },
	{ "no length and slow: chunked on 1.1", 1, 0,
	  "X-A: b\r\n\r\nhello", 10, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nTransfer-Encoding: chunked\r\n"
	  "X-A: b\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 1, 200 },
	{ "chunked, the app fails: no last chunk, closed", 1, 0,
	  "X-A: b\r\n\r\nhello", 10, 0,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nTransfer-Encoding: chunked\r\n"
	  "X-A: b\r\n\r\n5\r\nhello\r\n", 0, 200 },
	{ "no length and slow on 1.0: until close", 0, 0,
	  "X-A: b\r\n\r\nhello", 10, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nConnection: close\r\n"
	  "X-A: b\r\n\r\nhello", 0, 200 },
	{ "1.0 keep-alive, held: a length", 0, 0,
	  "X-A: b\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "Connection: keep-alive\r\nX-A: b\r\n\r\nhello", 1, 200 },
	{ "HEAD: the length, no body", 1, 1,
	  "Content-Type: text/plain\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "Content-Type: text/plain\r\n\r\n", 1, 200 },
	{ "204: no length, no body", 1, 0,
	  "Status: 204 No Content\r\n\r\n", -1, 1,
	  "HTTP/1.1 204 No Content\r\nDate: " D "\r\n\r\n", 1, 204 },
	{ "304 with body bytes: dropped", 1, 0,
	  "Status: 304\r\nETag: \"x\"\r\n\r\nstale", -1, 1,
	  "HTTP/1.1 304 Not Modified\r\nDate: " D "\r\nETag: \"x\"\r\n\r\n",
	  1, 304 },
	{ "Status: 404", 1, 0,
	  "Status: 404 Gone Fishing\r\nContent-Type: text/plain\r\n\r\nno",
	  -1, 1,
	  "HTTP/1.1 404 Not Found\r\nDate: " D "\r\nContent-Length: 2\r\n"
	  "Content-Type: text/plain\r\n\r\nno", 1, 404 },
	{ "client redirect: 302 and its Location", 1, 0,
	  "Location: http://example.com/\r\n\r\n", -1, 1,
	  "HTTP/1.1 302 Found\r\nDate: " D "\r\nContent-Length: 0\r\n"
	  "Location: http://example.com/\r\n\r\n", 1, 302 },
	{ "hop-by-hop fields of the app dropped", 1, 0,
	  "Transfer-Encoding: chunked\r\nConnection: close\r\nX-A: b\r\n"
	  "\r\nhi", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 2\r\n"
	  "X-A: b\r\n\r\nhi", 1, 200 },
	{ "malformed head: 502", 1, 0,
	  "Bad Field: x\r\n\r\n", -1, 1,
	  "HTTP/1.1 502 Bad Gateway\r\nDate: " D "\r\nContent-Length: 16\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "\r\n502 Bad Gateway\n", 1, 502 },
	{ "ended without a head: 502", 1, 0,
	  "X-A: b\r\n", -1, 1,
	  "HTTP/1.1 502 Bad Gateway\r\nDate: " D "\r\nContent-Length: 16\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "\r\n502 Bad Gateway\n", 1, 502 },
	{ "failed before the head was committed: 502", 1, 0,
	  "X-A: b\r\n\r\nhello", -1, 0,
	  "HTTP/1.1 502 Bad Gateway\r\nDate: " D "\r\nContent-Length: 16\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "\r\n502 Bad Gateway\n", 1, 502 },

	/* Interim responses (RFC 9110 15.2, RFC 8297): a 103 goes out with
	   its fields and no Date, the final response follows it. */
	{ "103 Early Hints, then the response", 1, 0,
	  "Status: 103\r\nLink: </s.css>; rel=preload\r\n\r\n"
	  "Content-Type: text/plain\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "Content-Type: text/plain\r\n\r\nhello", 1, 200 },
	/* Two of them, LF line ends, the app's reason phrase replaced, its
	   hop-by-hop fields dropped. */
	{ "two 103s, then a 404", 1, 0,
	  "Status: 103 Hints\nLink: </a.js>\nConnection: close\n\n"
	  "Status: 103\nLink: </b.js>\n\n"
	  "Status: 404\n\nno", -1, 1,
	  "HTTP/1.1 103 Early Hints\r\nLink: </a.js>\r\n\r\n"
	  "HTTP/1.1 103 Early Hints\r\nLink: </b.js>\r\n\r\n"
	  "HTTP/1.1 404 Not Found\r\nDate: " D "\r\nContent-Length: 2\r\n"
	  "\r\nno", 1, 404 },
	/* An HTTP/1.0 client gets no 1xx at all. */
	{ "103 to HTTP/1.0: left out", 0, 0,
	  "Status: 103\r\nLink: </s.css>\r\n\r\nX-A: b\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "Connection: keep-alive\r\nX-A: b\r\n\r\nhello", 1, 200 },
	/* HEAD: the 103 all the same. */
	{ "103 to HEAD", 1, 1,
	  "Status: 103\r\nLink: </s.css>\r\n\r\nX-A: b\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "X-A: b\r\n\r\n", 1, 200 },
	/* 100 and 102 are dropped, whatever they hold. */
	{ "100 and 102 dropped", 1, 0,
	  "Status: 100 Continue\r\n\r\nStatus: 102\r\nX-P: 1\r\n\r\n"
	  "X-A: b\r\n\r\nhello", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 5\r\n"
	  "X-A: b\r\n\r\nhello", 1, 200 },
	/* The final block comes after the interim ones at any pace. */
	{ "103, the response by the timer", 1, 0,
	  "Status: 103\r\nLink: <x>\r\n\r\nX-A: b\r\n\r\nhello", 36, 1,
	  "HTTP/1.1 103 Early Hints\r\nLink: <x>\r\n\r\n"
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nTransfer-Encoding: chunked\r\n"
	  "X-A: b\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 1, 200 },
	/* Any other 1xx is 502, after the 103 that went out before it. */
	{ "104: 502", 1, 0,
	  "Status: 104\r\n\r\nX-A: b\r\n\r\nhello", -1, 1, E502, 1, 502 },
	{ "103, then 199: 502 after the 103", 1, 0,
	  "Status: 103\r\nLink: <x>\r\n\r\nStatus: 199\r\n\r\n", -1, 1,
	  "HTTP/1.1 103 Early Hints\r\nLink: <x>\r\n\r\n" E502, 1, 502 },
	/* A 1xx has no Content-Length (RFC 9110 8.6) and no Location. */
	{ "103 with Content-Length: 502", 1, 0,
	  "Status: 103\r\nContent-Length: 5\r\n\r\nhello", -1, 1,
	  E502, 1, 502 },
	{ "102 with Location: 502", 1, 0,
	  "Status: 102\r\nLocation: /x\r\n\r\nX-A: b\r\n\r\n", -1, 1,
	  E502, 1, 502 },
	/* The app ends after interim blocks only. */
	{ "103 only, then the end: 502", 1, 0,
	  "Status: 103\r\nLink: <x>\r\n\r\n", -1, 1,
	  "HTTP/1.1 103 Early Hints\r\nLink: <x>\r\n\r\n" E502, 1, 502 },
	/* A malformed block after a 103. */
	{ "103, then a malformed block: 502", 1, 0,
	  "Status: 103\r\nLink: <x>\r\n\r\nBad Field: y\r\n\r\n", -1, 1,
	  "HTTP/1.1 103 Early Hints\r\nLink: <x>\r\n\r\n" E502, 1, 502 },
	/* RESPOND_INTERIM_MAX interim blocks pass, one more does not. */
	{ "16 interim blocks", 1, 0,
	  R16("Status: 102\n\n") "X-A: b\n\nhi", -1, 1,
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 2\r\n"
	  "X-A: b\r\n\r\nhi", 1, 200 },
	{ "17 interim blocks: 502", 1, 0,
	  R16("Status: 102\n\n") "Status: 100\n\nX-A: b\n\nhi", -1, 1,
	  E502, 1, 502 },
};

/* Cases of a 101, with the protocols the request asks for (NULL: it asks
   for none; else Connection: upgrade and Upgrade: offer). */
struct scase {
	struct tcase	 c;
	const char	*offer;
};

static const struct scase switches[] = {
	{ { "101 with Upgrade: the switch, then closed", 1, 0,
	  "Status: 101\r\nUpgrade: websocket\r\n\r\n", -1, 1,
	  "HTTP/1.1 101 Switching Protocols\r\nDate: " D "\r\n"
	  "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 0, 101 },
	  "websocket" },
	/* RFC 9110 15.2.2: a 101 names its protocol in Upgrade. */
	{ { "101 without Upgrade: 502", 1, 0,
	  "Status: 101\r\nConnection: Upgrade\r\n\r\n", -1, 1,
	  E502, 1, 502 },
	  "websocket" },
	{ { "101 with an empty Upgrade: 502", 1, 0,
	  "Status: 101\r\nUpgrade: , \r\n\r\n", -1, 1, E502, 1, 502 },
	  "x" },
	{ { "101 with a bad Upgrade: 502", 1, 0,
	  "Status: 101\r\nUpgrade: web socket\r\n\r\n", -1, 1,
	  E502, 1, 502 },
	  "web socket" },
	{ { "101 with a bad protocol version: 502", 1, 0,
	  "Status: 101\r\nUpgrade: h2c/\r\n\r\n", -1, 1, E502, 1, 502 },
	  "h2c/" },
	{ { "101 with Content-Length: 502", 1, 0,
	  "Status: 101\r\nUpgrade: raw\r\nContent-Length: 0\r\n\r\n", -1, 1,
	  E502, 1, 502 },
	  "raw" },
	/* Nor a 101 to an HTTP/1.0 client (RFC 9110 15.2). */
	{ { "101 to HTTP/1.0: 502", 0, 0,
	  "Status: 101\r\nUpgrade: raw\r\n\r\n", -1, 1,
	  "HTTP/1.1 502 Bad Gateway\r\nDate: " D "\r\nContent-Length: 16\r\n"
	  "Connection: keep-alive\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "\r\n502 Bad Gateway\n", 1, 502 },
	  "raw" },
	/* A list of protocols, one with a version, empty elements. */
	{ { "101 with a list in Upgrade", 1, 0,
	  "Status: 101\r\nUpgrade: , HTTP/2.0 ,websocket\r\n\r\n", -1, 1,
	  "HTTP/1.1 101 Switching Protocols\r\nDate: " D "\r\n"
	  "Upgrade: , HTTP/2.0 ,websocket\r\nConnection: Upgrade\r\n\r\n",
	  0, 101 },
	  "WebSocket, h2c, http/2.0" },
	/* RFC 9110 7.8: only to a protocol the client asked for. */
	{ { "101 when the client asked for no upgrade: 502", 1, 0,
	  "Status: 101\r\nUpgrade: websocket\r\n\r\n", -1, 1,
	  E502, 1, 502 },
	  NULL },
	{ { "101 to another protocol than asked: 502", 1, 0,
	  "Status: 101\r\nUpgrade: websocket\r\n\r\n", -1, 1,
	  E502, 1, 502 },
	  "h2c" },
	{ { "101 to one protocol asked and one not: 502", 1, 0,
	  "Status: 101\r\nUpgrade: h2c, websocket\r\n\r\n", -1, 1,
	  E502, 1, 502 },
	  "h2c" },
};

/* Feeds t's case: out[0..len) in pieces of at most piece bytes (0:
   whole), the first ending at split when it is not 0.  What follows a
   commit by the timer goes whole (each piece would be a chunk). */
static void
rt_run(struct rt *t, const struct tcase *c, const char *offer, size_t piece,
    size_t split)
{
	size_t	len = strlen(c->out), at = 0, n, stop;

	rt_init(t, c->minor, c->is_head, 1);
	if (offer != NULL)
		rt_offer(t, offer);
	while (at < len) {
		stop = c->timer_at >= 0 && at < (size_t)c->timer_at ?
		    (size_t)c->timer_at : len;
		n = stop - at;
		if (c->timer_at < 0 || at < (size_t)c->timer_at) {
			if (piece > 0 && n > piece)
				n = piece;
			if (split > at && split < at + n)
				n = split - at;
		}
		rt_output(t, c->out + at, n);
		at += n;
		if (c->timer_at >= 0 && at == (size_t)c->timer_at)
			rt_timer(t);
	}
	rt_end(t, c->clean);
}

static void
rt_check(const struct rt *t, const struct tcase *c, const char *how)
{
	size_t	wlen = strlen(c->want);

	if (t->o.len != wlen || memcmp(t->o.p, c->want, wlen) != 0)
		ck_abort_msg("%s (%s): got \"%.*s\"", c->what, how,
		    (int)t->o.len, t->o.p);
	ck_assert_int_eq(respond_state(&t->r), RESPOND_ENDED);
	ck_assert_msg((t->keep_alive && !respond_must_close(&t->r)) ==
	    c->keep_alive, "%s (%s): keep-alive", c->what, how);
	ck_assert_int_eq(respond_status(&t->r), c->status);
}

/* A case fed whole, byte by byte, and split in two at every point. */
static void
rt_case(const struct tcase *c, const char *offer)
{
	struct rt		 t;
	size_t			 k, len = strlen(c->out);
	char			 how[32];

	for (k = 0; k <= len; k++) {
		if (k == len)
			rt_run(&t, c, offer, 1, 0);
		else
			rt_run(&t, c, offer, 0, k);
		if (k == len)
			snprintf(how, sizeof(how), "byte by byte");
		else if (k == 0)
			snprintf(how, sizeof(how), "whole");
		else
			snprintf(how, sizeof(how), "split at %zu", k);
		rt_check(&t, c, how);
		rt_free(&t);
	}
}

START_TEST(output)
{
	rt_case(&cases[_i], NULL);
}
END_TEST

START_TEST(switching)
{
	rt_case(&switches[_i].c, switches[_i].offer);
}
END_TEST

/* The head's bytes in the body count: HEAD bodies are counted, not sent. */
START_TEST(bytes_counted)
{
	struct rt	t;

	rt_init(&t, 1, 0, 1);
	rt_output(&t, "Content-Length: 5\r\n\r\nhel", 24);
	rt_output(&t, "lo", 2);
	ck_assert_uint_eq(respond_bytes(&t.r), 5);
	rt_end(&t, 1);
	rt_free(&t);

	rt_init(&t, 1, 1, 1);
	rt_output(&t, "Content-Length: 5\r\n\r\nhello", 26);
	ck_assert_uint_eq(respond_bytes(&t.r), 5);
	rt_end(&t, 1);
	ck_assert_uint_eq(t.o.len, strlen("HTTP/1.1 200 OK\r\nDate: " D
	    "\r\nContent-Length: 5\r\n\r\n"));
	rt_free(&t);
}
END_TEST

/* A local redirect is reported, and nothing is queued; restarting takes
   the new app's head. */
START_TEST(local_redirect)
{
	struct rt		 t;
	const struct cgiresp	*cr;

	rt_init(&t, 1, 0, 1);
	ck_assert_int_eq(respond_head(&t.r, &t.x,
	    "Location: /other?q=1\r\n\r\nbody", 28), RESPOND_REDIRECT);
	cr = respond_cgiresp(&t.r);
	ck_assert_int_eq(cr->kind, CGIRESP_LOCAL_REDIRECT);
	ck_assert_uint_eq(cr->location.len, 10);
	ck_assert_int_eq(memcmp(cr->location.p, "/other?q=1", 10), 0);
	ck_assert_uint_eq(t.o.len, 0);
	respond_restart(&t.r);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_HEAD);
	ck_assert_uint_eq(respond_held(&t.r), 0);
	ck_assert_int_eq(respond_head(&t.r, &t.x, "X-A: b\r\n\r\n", 10),
	    RESPOND_OK);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_HELD);
	rt_free(&t);
}
END_TEST

/* More than CONN_PEND_MAX held: the head goes out, chunked. */
START_TEST(held_too_much)
{
	struct rt	 t;
	char		*big = malloc(CONN_PEND_MAX + 1);
	const char	*head = "X-A: b\r\n\r\n";
	char		 want[64];

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', CONN_PEND_MAX + 1);
	rt_init(&t, 1, 0, 1);
	rt_output(&t, head, strlen(head));
	ck_assert_int_eq(respond_state(&t.r), RESPOND_HELD);
	rt_output(&t, big, CONN_PEND_MAX);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_HELD);
	rt_output(&t, big, 1);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_COMMITTED);
	snprintf(want, sizeof(want), "Transfer-Encoding: chunked\r\n"
	    "X-A: b\r\n\r\n%x\r\n", CONN_PEND_MAX + 1);
	ck_assert_ptr_nonnull(memmem(t.o.p, t.o.len, want, strlen(want)));
	rt_free(&t);
	free(big);
}
END_TEST

/* Fails unless the queue holds exactly want. */
static void
rt_expect(const struct rt *t, const char *want)
{
	if (t->o.len != strlen(want) || memcmp(t->o.p, want, t->o.len) != 0)
		ck_abort_msg("got \"%.*s\", want \"%s\"", (int)t->o.len,
		    t->o.p, want);
}

/*
 * More output than the app's Content-Length: the excess is cut and the
 * connection closes.  When the held body shows it before the head is
 * committed, the head says Connection: close; when it comes after, it
 * cannot, and only the close tells.
 */
START_TEST(overrun_content_length)
{
	struct rt	 t;
	const char	*head = "Content-Length: 3\r\n\r\n";

	rt_init(&t, 1, 0, 1);
	rt_output(&t, "Content-Length: 3\r\n\r\nhello", 26);
	rt_end(&t, 1);
	rt_expect(&t, "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 3\r\n"
	    "Connection: close\r\n\r\nhel");
	ck_assert(!t.keep_alive);
	ck_assert(respond_must_close(&t.r));
	ck_assert_int_eq(respond_status(&t.r), 200);
	rt_free(&t);

	rt_init(&t, 1, 0, 1);
	rt_output(&t, head, strlen(head));
	ck_assert_int_eq(respond_state(&t.r), RESPOND_COMMITTED);
	rt_output(&t, "hello", 5);
	rt_end(&t, 1);
	rt_expect(&t, "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 3\r\n"
	    "\r\nhel");
	ck_assert(t.keep_alive);
	ck_assert(respond_must_close(&t.r));
	rt_free(&t);

	/* Exactly the length: nothing to cut, kept alive. */
	rt_init(&t, 1, 0, 1);
	rt_output(&t, "Content-Length: 5\r\n\r\nhello", 26);
	rt_end(&t, 1);
	ck_assert(t.keep_alive && !respond_must_close(&t.r));
	rt_free(&t);
}
END_TEST

/* A 103 the queue has no room for is left out (it is advisory); the
   response after it goes out as usual. */
START_TEST(interim_no_room)
{
	struct rt	 t;
	const char	*hints = "Status: 103\r\nLink: <x>\r\n\r\n";

	rt_init(&t, 1, 0, 1);
	t.o.fail = 1;
	ck_assert_int_eq(respond_head(&t.r, &t.x, hints, strlen(hints)),
	    RESPOND_MORE);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_HEAD);
	ck_assert_uint_eq(t.o.len, 0);
	t.o.fail = 0;
	rt_output(&t, "X-A: b\r\n\r\nhi", 12);
	rt_end(&t, 1);
	rt_expect(&t, "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 2\r\n"
	    "X-A: b\r\n\r\nhi");
	rt_free(&t);
}
END_TEST

/* The server's own responses. */
struct ecase {
	const char	*what;
	int		 minor, is_head, keep_alive, status;
	const char	*extra;
	const char	*want;
	int		 keep;
};

static const struct ecase errors[] = {
	{ "404", 1, 0, 1, 404, NULL,
	  "HTTP/1.1 404 Not Found\r\nDate: " D "\r\nContent-Length: 14\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n\r\n404 Not Found\n", 1 },
	{ "413, closing", 1, 0, 0, 413, NULL,
	  "HTTP/1.1 413 Content Too Large\r\nDate: " D "\r\n"
	  "Content-Length: 22\r\nConnection: close\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	  "413 Content Too Large\n", 0 },
	{ "503 with Retry-After", 1, 0, 1, 503, "Retry-After: 1\r\n",
	  "HTTP/1.1 503 Service Unavailable\r\nDate: " D "\r\n"
	  "Content-Length: 24\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Retry-After: 1\r\n\r\n503 Service Unavailable\n", 1 },
	{ "OPTIONS *: 200 and no body", 1, 0, 1, 200,
	  "Allow: GET, HEAD, POST, OPTIONS\r\n",
	  "HTTP/1.1 200 OK\r\nDate: " D "\r\nContent-Length: 0\r\n"
	  "Allow: GET, HEAD, POST, OPTIONS\r\n\r\n", 1 },
	{ "HEAD: the length, no body", 1, 1, 1, 404, NULL,
	  "HTTP/1.1 404 Not Found\r\nDate: " D "\r\nContent-Length: 14\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n\r\n", 1 },
	{ "HTTP/1.0 without keep-alive", 0, 0, 0, 400, NULL,
	  "HTTP/1.1 400 Bad Request\r\nDate: " D "\r\nContent-Length: 16\r\n"
	  "Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "\r\n400 Bad Request\n", 0 },
	{ "HTTP/1.0 with keep-alive", 0, 0, 1, 404, NULL,
	  "HTTP/1.1 404 Not Found\r\nDate: " D "\r\nContent-Length: 14\r\n"
	  "Connection: keep-alive\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n\r\n404 Not Found\n", 1 },
};

START_TEST(error_response)
{
	const struct ecase	*e = &errors[_i];
	struct rt		 t;

	rt_init(&t, e->minor, e->is_head, e->keep_alive);
	ck_assert_int_eq(respond_error(&t.r, &t.x, e->status, e->extra),
	    RESPOND_OK);
	if (t.o.len != strlen(e->want) ||
	    memcmp(t.o.p, e->want, t.o.len) != 0)
		ck_abort_msg("%s: got \"%.*s\"", e->what, (int)t.o.len, t.o.p);
	ck_assert_int_eq(t.keep_alive, e->keep);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_ENDED);
	ck_assert_int_eq(respond_status(&t.r), e->status);
	rt_free(&t);
}
END_TEST

/* The server's answer replaces a held body; out of memory is reported. */
START_TEST(error_cases)
{
	struct rt	t;

	rt_init(&t, 1, 0, 1);
	rt_output(&t, "X-A: b\r\n\r\nheld", 14);
	ck_assert_uint_eq(respond_held(&t.r), 4);
	ck_assert_int_eq(respond_error(&t.r, &t.x, 500, NULL), RESPOND_OK);
	ck_assert_uint_eq(respond_held(&t.r), 0);
	ck_assert_ptr_null(memmem(t.o.p, t.o.len, "held", 4));
	rt_free(&t);

	rt_init(&t, 1, 0, 1);
	t.o.fail = 1;
	ck_assert_int_eq(respond_error(&t.r, &t.x, 500, NULL), RESPOND_NOMEM);
	rt_free(&t);

	rt_init(&t, 1, 0, 1);
	ck_assert_int_eq(respond_head(&t.r, &t.x, "X-A: b\r\n\r\n", 10),
	    RESPOND_OK);
	t.o.fail = 1;
	ck_assert_int_eq(respond_commit(&t.r, &t.x, -1), RESPOND_NOMEM);
	rt_free(&t);
}
END_TEST

/* A committed response that fails is cut and closes. */
START_TEST(abort_committed)
{
	struct rt	t;

	rt_init(&t, 1, 0, 1);
	rt_output(&t, "Content-Length: 9\r\n\r\nhel", 24);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_COMMITTED);
	rt_fail(&t, 502);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_ENDED);
	ck_assert_int_eq(respond_must_close(&t.r), 1);
	ck_assert_int_eq(respond_status(&t.r), 200);
	rt_free(&t);
}
END_TEST

/* The server is stopping: an app's response does not keep the
   connection. */
START_TEST(stopping)
{
	struct rt	t;

	rt_init(&t, 1, 0, 1);
	t.x.stopping = 1;
	rt_output(&t, "Content-Length: 2\r\n\r\nhi", 23);
	ck_assert_int_eq(t.keep_alive, 0);
	ck_assert_ptr_nonnull(memmem(t.o.p, t.o.len, "Connection: close", 17));
	rt_free(&t);
}
END_TEST

START_TEST(continue_once)
{
	struct rt	t;

	rt_init(&t, 1, 0, 1);
	respond_continue(&t.r, &t.x);
	respond_continue(&t.r, &t.x);
	ck_assert_uint_eq(t.o.len, 25);
	ck_assert_int_eq(memcmp(t.o.p, "HTTP/1.1 100 Continue\r\n\r\n", 25), 0);
	ck_assert_int_eq(respond_state(&t.r), RESPOND_HEAD);
	rt_free(&t);
}
END_TEST

START_TEST(state_names)
{
	ck_assert_str_eq(respond_state_name(RESPOND_HEAD), "head");
	ck_assert_str_eq(respond_state_name(RESPOND_HELD), "held");
	ck_assert_str_eq(respond_state_name(RESPOND_COMMITTED), "committed");
	ck_assert_str_eq(respond_state_name(RESPOND_ENDED), "ended");
}
END_TEST

static Suite *
respond_suite(void)
{
	Suite	*s = suite_create("respond");
	TCase	*tc = tcase_create("core");
	int	 n = (int)(sizeof(cases) / sizeof(cases[0]));

	tcase_add_loop_test(tc, output, 0, n);
	tcase_add_loop_test(tc, switching, 0,
	    (int)(sizeof(switches) / sizeof(switches[0])));
	tcase_add_test(tc, bytes_counted);
	tcase_add_test(tc, overrun_content_length);
	tcase_add_test(tc, interim_no_room);
	tcase_add_test(tc, local_redirect);
	tcase_add_test(tc, held_too_much);
	tcase_add_loop_test(tc, error_response, 0,
	    (int)(sizeof(errors) / sizeof(errors[0])));
	tcase_add_test(tc, error_cases);
	tcase_add_test(tc, abort_committed);
	tcase_add_test(tc, stopping);
	tcase_add_test(tc, continue_once);
	tcase_add_test(tc, state_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(respond_suite());
	int	 failed;

	/* The warnings the cases provoke are expected. */
	if (log_open(NULL, LOG_OFF, LOG_LEVEL_ERROR) == -1)
		return EXIT_FAILURE;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
