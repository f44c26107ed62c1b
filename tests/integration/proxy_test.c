/*
 * The PROXY protocol (v1 and v2) on proxy_protocol listeners, through a
 * real ferryd: headers written by hand on raw sockets (every family, LOCAL
 * and UNKNOWN, TLVs, split across writes, byte by byte, with the request
 * in the same write), what they change (REMOTE_ADDR and the rest of a CGI
 * script's environment, the access log, status_allow), what is refused
 * (a peer outside proxy_from, malformed and truncated headers, plain HTTP,
 * half a header then silence), and real HAProxy in front (send-proxy to a
 * TCP listener, send-proxy-v2 to a unix: one).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PP_ENV		"/cgi-bin/env.sh"
#define PP_GET		"GET " PP_ENV " HTTP/1.1\r\nHost: t\r\n\r\n"
/* A ferryd whose only TCP listener wants a PROXY header. */
#define PP_CONF		"[server]\nlisten = 127.0.0.1:@PORT@ proxy_protocol\n"
#define PP_UNIX		"listen = unix:@DIR@/pp.sock proxy_protocol\n"

static const unsigned char pp_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* A v2 header being built. */
struct pp2 {
	unsigned char	 b[1024];
	size_t		 len;
};

static void	 pp_start(struct ferryd *, const char *);
static void	 pp2_begin(struct pp2 *, int, int);
static void	 pp2_put(struct pp2 *, const void *, size_t);
static void	 pp2_inet(struct pp2 *, int, const char *, const char *,
		    unsigned int, unsigned int);
static void	 pp2_end(struct pp2 *);
static void	 pp_env_get(const struct ferryd *, struct hc *,
		    const void *, size_t, struct hc_response *);
static void	 pp_expect_closed(const struct ferryd *, struct hc *,
		    const char *);
static Suite	*proxy_suite(void);

/* Starts ferryd with PP_CONF and more lines of [server]. */
static void
pp_start(struct ferryd *f, const char *more)
{
	char	conf[2048];

	snprintf(conf, sizeof(conf), "%s%s", PP_CONF, more != NULL ? more : "");
	memset(f, 0, sizeof(*f));
	f->listen_in_conf = 1;
	harness_start(f, conf, NULL);
}

/* The 16 bytes of a v2 header: command (0 LOCAL, 1 PROXY) and family
   byte; the length is filled in by pp2_end. */
static void
pp2_begin(struct pp2 *h, int cmd, int fam)
{
	memcpy(h->b, pp_sig, sizeof(pp_sig));
	h->b[12] = (unsigned char)(0x20 | cmd);
	h->b[13] = (unsigned char)fam;
	h->len = 16;
}

static void
pp2_put(struct pp2 *h, const void *p, size_t len)
{
	ck_assert_uint_le(h->len + len, sizeof(h->b));
	memcpy(h->b + h->len, p, len);
	h->len += len;
}

/* The address block of TCP4 (af AF_INET) or TCP6. */
static void
pp2_inet(struct pp2 *h, int af, const char *src, const char *dst,
    unsigned int sport, unsigned int dport)
{
	unsigned char	a[16], ports[4];
	size_t		alen = af == AF_INET ? 4 : 16;

	ck_assert_int_eq(inet_pton(af, src, a), 1);
	pp2_put(h, a, alen);
	ck_assert_int_eq(inet_pton(af, dst, a), 1);
	pp2_put(h, a, alen);
	ports[0] = (unsigned char)(sport >> 8);
	ports[1] = (unsigned char)sport;
	ports[2] = (unsigned char)(dport >> 8);
	ports[3] = (unsigned char)dport;
	pp2_put(h, ports, 4);
}

static void
pp2_end(struct pp2 *h)
{
	h->b[14] = (unsigned char)((h->len - 16) >> 8);
	h->b[15] = (unsigned char)(h->len - 16);
}

/* Sends hdr and a GET of env.sh in one write on c (open), and reads the
   answer, which must be a 200. */
static void
pp_env_get(const struct ferryd *f, struct hc *c, const void *hdr, size_t len,
    struct hc_response *r)
{
	char	buf[2048];

	ck_assert_uint_le(len + sizeof(PP_GET), sizeof(buf));
	memcpy(buf, hdr, len);
	memcpy(buf + len, PP_GET, sizeof(PP_GET) - 1);
	hc_send(c, buf, len + sizeof(PP_GET) - 1);
	hc_expect_response(c, r, 0);
	HARNESS_ASSERT(f, r->status == 200, "status %d", r->status);
}

/* ferryd closes c without a byte of response. */
static void
pp_expect_closed(const struct ferryd *f, struct hc *c, const char *what)
{
	int	rc = hc_wait_closed(c, 10000);

	HARNESS_ASSERT(f, rc == 1, "%s: %s", what, rc == 0 ?
	    "answered instead of closed" : "still open after 10 s");
	HARNESS_ASSERT(f, c->len == 0, "%s: %zu bytes came", what, c->len);
}

/* The status page's proxy_refused, read on the unix socket at path
   (with no header) or on the TCP listener after the header hdr. */
static unsigned long
pp_refused(const struct ferryd *f, const char *path, const char *hdr)
{
	struct hc		 c;
	struct hc_response	 r;
	const char		*p;
	unsigned long		 n;

	if (path != NULL)
		hc_open_unix(&c, f, path);
	else
		hc_open(&c, f);
	if (hdr != NULL)
		hc_sendstr(&c, hdr);
	hc_sendstr(&c, "GET /status HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(f, r.status == 200 && (p = strstr(r.body,
	    "\"proxy_refused\":")) != NULL, "status %d: %s", r.status, r.body);
	n = strtoul(p + strlen("\"proxy_refused\":"), NULL, 10);
	hc_response_free(&r);
	hc_close(&c);
	return n;
}

/* One header and what the script must see. */
struct pp_case {
	const char	*what;
	const char	*v1;		/* a v1 line; NULL: build v2 */
	int		 cmd, fam;	/* v2 */
	int		 af;		/* v2 INET: AF_INET, AF_INET6 */
	const char	*src, *dst;
	unsigned int	 sport, dport;
	const char	*addr;		/* REMOTE_ADDR; NULL: 127.0.0.1 */
	const char	*port;		/* REMOTE_PORT; NULL: the socket's */
	const char	*sport_s;	/* SERVER_PORT; NULL: not checked */
	const char	*saddr;		/* SERVER_ADDR; NULL: 127.0.0.1 */
};

static const struct pp_case pp_cases[] = {
	{ .what = "v1 TCP4",
	  .v1 = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 8443\r\n",
	  .addr = "192.0.2.1", .port = "56324", .sport_s = "8443",
	  .saddr = "198.51.100.7" },
	{ .what = "v1 TCP6",
	  .v1 = "PROXY TCP6 2001:db8::1 2001:db8::2:7 40000 443\r\n",
	  .addr = "2001:db8::1", .port = "40000", .sport_s = "443",
	  .saddr = "2001:db8::2:7" },
	{ .what = "v1 UNKNOWN: the socket's own addresses",
	  .v1 = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535"
	      "\r\n" },
	{ .what = "v2 TCP4", .cmd = 1, .fam = 0x11, .af = AF_INET,
	  .src = "203.0.113.9", .dst = "198.51.100.1", .sport = 1234,
	  .dport = 80, .addr = "203.0.113.9", .port = "1234",
	  .sport_s = "80", .saddr = "198.51.100.1" },
	{ .what = "v2 TCP6", .cmd = 1, .fam = 0x21, .af = AF_INET6,
	  .src = "2001:db8:1::5", .dst = "2001:db8:2::6", .sport = 65535,
	  .dport = 8080, .addr = "2001:db8:1::5", .port = "65535",
	  .sport_s = "8080", .saddr = "2001:db8:2::6" },
	{ .what = "v2 LOCAL (a health check): the socket's own addresses",
	  .cmd = 0, .fam = 0x11, .af = AF_INET, .src = "203.0.113.9",
	  .dst = "198.51.100.1", .sport = 1, .dport = 2 },
	{ .what = "v2 UNIX", .cmd = 1, .fam = 0x31, .addr = "unix",
	  .port = "0", .sport_s = "0", .saddr = "unix" },
};

/* Builds the header of t into h (v1 or v2). */
static void
pp_case_header(const struct pp_case *t, struct pp2 *h)
{
	char	path[108];

	if (t->v1 != NULL) {
		h->len = 0;
		pp2_put(h, t->v1, strlen(t->v1));
		return;
	}
	pp2_begin(h, t->cmd, t->fam);
	if (t->fam == 0x31) {
		memset(path, 0, sizeof(path));
		snprintf(path, sizeof(path), "/run/front.sock");
		pp2_put(h, path, sizeof(path));
		pp2_put(h, path, sizeof(path));
	} else
		pp2_inet(h, t->af, t->src, t->dst, t->sport, t->dport);
	pp2_end(h);
}

/*
 * Each header of the table, with the request in the same write: the
 * script sees the header's addresses (or, for LOCAL and UNKNOWN, the
 * socket's), and no HTTPS without an SSL TLV.
 */
START_TEST(test_headers)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	struct pp2		 h;
	char			 port[16];
	const struct pp_case	*t;
	size_t			 i;

	pp_start(&f, NULL);
	for (i = 0; i < sizeof(pp_cases) / sizeof(pp_cases[0]); i++) {
		t = &pp_cases[i];
		pp_case_header(t, &h);
		hc_open(&c, &f);
		pp_env_get(&f, &c, h.b, h.len, &r);
		snprintf(port, sizeof(port), "%u", hc_local_port(&c));
		hc_expect_env(&f, &r, "REMOTE_ADDR",
		    t->addr != NULL ? t->addr : "127.0.0.1");
		hc_expect_env(&f, &r, "REMOTE_PORT",
		    t->port != NULL ? t->port : port);
		if (t->sport_s != NULL)
			hc_expect_env(&f, &r, "SERVER_PORT", t->sport_s);
		hc_expect_env(&f, &r, "SERVER_ADDR",
		    t->saddr != NULL ? t->saddr : "127.0.0.1");
		hc_expect_env(&f, &r, "HTTPS", NULL);
		hc_expect_env(&f, &r, "REQUEST_SCHEME", "http");
		hc_response_free(&r);
		hc_close(&c);
	}
	harness_stop_ok(&f);
}
END_TEST

/*
 * v2 with TLVs: an SSL TLV whose client flag says TLS makes HTTPS=on and
 * REQUEST_SCHEME=https for every request of the connection; one without
 * the flag (TLS not used) does not; ALPN and AUTHORITY TLVs are skipped.
 */
START_TEST(test_v2_ssl)
{
	static const unsigned char ssl_tls[] = { 0x20, 0x00, 0x0f,
	    0x01, 0, 0, 0, 0,			/* client SSL, verify 0 */
	    0x21, 0x00, 0x07, 'T', 'L', 'S', 'v', '1', '.', '3' };
	static const unsigned char ssl_plain[] = { 0x20, 0x00, 0x05,
	    0x00, 0, 0, 0, 0 };
	static const unsigned char others[] = { 0x01, 0x00, 0x02, 'h', '2',
	    0x02, 0x00, 0x05, 'a', '.', 'e', 'x', 'x' };
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	struct pp2		 h;

	pp_start(&f, NULL);
	pp2_begin(&h, 1, 0x11);
	pp2_inet(&h, AF_INET, "192.0.2.44", "192.0.2.1", 50000, 443);
	pp2_put(&h, others, sizeof(others));
	pp2_put(&h, ssl_tls, sizeof(ssl_tls));
	pp2_end(&h);
	hc_open(&c, &f);
	pp_env_get(&f, &c, h.b, h.len, &r);
	hc_expect_env(&f, &r, "HTTPS", "on");
	hc_expect_env(&f, &r, "REQUEST_SCHEME", "https");
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.44");
	hc_response_free(&r);
	/* The next request of the connection: still HTTPS. */
	hc_send_get(&c, PP_ENV);
	hc_expect_response(&c, &r, 0);
	hc_expect_env(&f, &r, "HTTPS", "on");
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.44");
	hc_response_free(&r);
	hc_close(&c);

	pp2_begin(&h, 1, 0x11);
	pp2_inet(&h, AF_INET, "192.0.2.45", "192.0.2.1", 50001, 80);
	pp2_put(&h, ssl_plain, sizeof(ssl_plain));
	pp2_end(&h);
	hc_open(&c, &f);
	pp_env_get(&f, &c, h.b, h.len, &r);
	hc_expect_env(&f, &r, "HTTPS", NULL);
	hc_expect_env(&f, &r, "REQUEST_SCHEME", "http");
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.45");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * A unix: listener with proxy_protocol: a v2 header's client, not "unix",
 * is REMOTE_ADDR; a v1 one likewise.
 */
START_TEST(test_unix_listener)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	struct pp2		 h;
	char			 sock[512];
	static const char	 v1[] =
	    "PROXY TCP4 192.0.2.8 192.0.2.9 7 8\r\n";

	pp_start(&f, PP_UNIX);
	harness_path(sock, sizeof(sock), &f, "pp.sock");
	pp2_begin(&h, 1, 0x11);
	pp2_inet(&h, AF_INET, "198.51.100.20", "198.51.100.21", 33333, 443);
	pp2_end(&h);
	hc_open_unix(&c, &f, sock);
	pp_env_get(&f, &c, h.b, h.len, &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "198.51.100.20");
	hc_expect_env(&f, &r, "REMOTE_PORT", "33333");
	hc_expect_env(&f, &r, "SERVER_PORT", "443");
	hc_expect_env(&f, &r, "SERVER_ADDR", "198.51.100.21");
	hc_response_free(&r);
	hc_close(&c);
	hc_open_unix(&c, &f, sock);
	pp_env_get(&f, &c, v1, sizeof(v1) - 1, &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.8");
	hc_expect_env(&f, &r, "REMOTE_PORT", "7");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * --listen 'unix:PATH proxy_protocol' on the command line: the flag word
 * in the same argument; the harness's own --listen (no flag) serves plain
 * HTTP beside it.
 */
START_TEST(test_cli_listen)
{
	static const char	 v1[] =
	    "PROXY TCP4 192.0.2.31 192.0.2.1 3131 80\r\n";
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			*dir, sock[512], arg[600];
	const char		*argv[3];

	dir = harness_tmpdir("cli", 0);
	snprintf(sock, sizeof(sock), "%s/pp.sock", dir);
	snprintf(arg, sizeof(arg), "unix:%s proxy_protocol", sock);
	argv[0] = "--listen";
	argv[1] = arg;
	argv[2] = NULL;
	memset(&f, 0, sizeof(f));
	harness_start(&f, NULL, argv);
	hc_open_unix(&c, &f, sock);
	pp_env_get(&f, &c, v1, sizeof(v1) - 1, &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.31");
	hc_response_free(&r);
	hc_close(&c);
	hc_open(&c, &f);
	pp_env_get(&f, &c, "", 0, &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "127.0.0.1");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
	free(dir);
}
END_TEST

/*
 * The header split across writes: byte by byte (v2, then v1), in two
 * pieces with a pause, and with its last byte in the request's write.
 */
START_TEST(test_split)
{
	static const char	 v1[] =
	    "PROXY TCP4 192.0.2.61 192.0.2.1 6100 80\r\n";
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	struct pp2		 h;
	char			 buf[2048];

	pp_start(&f, NULL);
	pp2_begin(&h, 1, 0x11);
	pp2_inet(&h, AF_INET, "192.0.2.60", "192.0.2.1", 6000, 80);
	pp2_end(&h);
	hc_open(&c, &f);
	hc_send_pieces(&c, h.b, h.len, 1, 5);
	hc_sendstr(&c, PP_GET);
	hc_expect_response(&c, &r, 0);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.60");
	hc_expect_env(&f, &r, "REMOTE_PORT", "6000");
	hc_response_free(&r);
	hc_close(&c);

	hc_open(&c, &f);
	hc_send_pieces(&c, v1, sizeof(v1) - 1, 1, 5);
	hc_sendstr(&c, PP_GET);
	hc_expect_response(&c, &r, 0);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.61");
	hc_response_free(&r);
	hc_close(&c);

	/* All of it but the last byte, then that byte with the request. */
	hc_open(&c, &f);
	hc_send(&c, h.b, h.len - 1);
	harness_sleep_ms(100);
	buf[0] = (char)h.b[h.len - 1];
	memcpy(buf + 1, PP_GET, sizeof(PP_GET) - 1);
	hc_send(&c, buf, sizeof(PP_GET));
	hc_expect_response(&c, &r, 0);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.60");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * Keep-alive: every request after the header sees the header's client,
 * and so does the access log; pipelined requests in the header's write
 * too.
 */
START_TEST(test_keepalive_and_log)
{
	static const char	 v1[] =
	    "PROXY TCP4 192.0.2.77 192.0.2.1 7777 80\r\n"
	    PP_GET PP_GET;
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			*log = NULL;
	long long		 deadline;
	int			 i;

	pp_start(&f, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, v1);
	for (i = 0; i < 4; i++) {
		if (i >= 2)
			hc_send_get(&c, PP_ENV "?again");
		hc_expect_response(&c, &r, 0);
		ck_assert_int_eq(r.status, 200);
		hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.77");
		hc_expect_env(&f, &r, "REMOTE_PORT", "7777");
		hc_response_free(&r);
	}
	hc_close(&c);
	deadline = harness_now_ms() + 10000;
	do {
		free(log);
		log = harness_read_file(f.access_log, NULL);
	} while ((log == NULL || harness_count(log, "?again") < 2) &&
	    harness_now_ms() < deadline && (harness_sleep_ms(20), 1));
	HARNESS_ASSERT(&f, log != NULL && harness_count(log, "192.0.2.77 ") ==
	    4, "access log:\n%s", log != NULL ? log : "(none)");
	HARNESS_ASSERT(&f, strstr(log, "127.0.0.1") == NULL,
	    "the proxy's address in the access log:\n%s", log);
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/*
 * status_allow judges the header's client: 10.1.2.3 gets 403 from a page
 * allowed to 127.0.0.1 only, 127.0.0.1 (v1) gets it, with proxy_refused
 * counted.
 */
START_TEST(test_status_allow)
{
	static const char	 far[] =
	    "PROXY TCP4 10.1.2.3 127.0.0.1 5555 80\r\n"
	    "GET /status HTTP/1.1\r\nHost: t\r\n\r\n";
	static const char	 near[] =
	    "PROXY TCP4 127.0.0.1 127.0.0.1 5556 80\r\n"
	    "GET /status HTTP/1.1\r\nHost: t\r\n\r\n";
	static const char	 bad[] = "PROXY TCP9 x\r\n";
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	pp_start(&f, "status_path = /status\nstatus_allow = 127.0.0.1\n");
	hc_open(&c, &f);
	hc_sendstr(&c, far);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 403, "far: status %d", r.status);
	hc_response_free(&r);
	hc_close(&c);
	hc_open(&c, &f);
	hc_sendstr(&c, bad);
	pp_expect_closed(&f, &c, "bad header");
	hc_close(&c);
	hc_open(&c, &f);
	hc_sendstr(&c, near);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "near: status %d", r.status);
	HARNESS_ASSERT(&f, strstr(r.body, "\"proxy_refused\":1,") != NULL,
	    "status: %s", r.body);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * A peer outside proxy_from (127.0.0.1 when proxy_from is 10.0.0.0/8) is
 * closed unserved, even with a valid header, and logged; a listener
 * without the flag serves it as before.
 */
START_TEST(test_proxy_from)
{
	static const char	 v1[] =
	    "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n";
	struct ferryd		 f;
	struct hc		 c;
	char			 sock[512], line[128];
	unsigned long		 refused;

	pp_start(&f, "proxy_from = 10.0.0.0/8\nlisten = unix:@DIR@/plain.sock\n"
	    "status_path = /status\n");
	harness_path(sock, sizeof(sock), &f, "plain.sock");
	/* harness_start's probe was refused too: count from here. */
	refused = pp_refused(&f, sock, NULL);
	hc_open(&c, &f);
	(void)hc_try_send(&c, v1, sizeof(v1) - 1);
	(void)hc_try_send(&c, PP_GET, sizeof(PP_GET) - 1);
	pp_expect_closed(&f, &c, "outside proxy_from");
	snprintf(line, sizeof(line), "127.0.0.1:%u: not in proxy_from",
	    hc_local_port(&c));
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_log(&f, line, 1, 10000) == 1,
	    "no log line %s", line);
	ck_assert_uint_eq(pp_refused(&f, sock, NULL), refused + 1);
	harness_stop_ok(&f);
}
END_TEST

/* A header ferryd must refuse: closed with no byte sent back. */
struct pp_bad {
	const char	*what;
	const char	*bytes;
	size_t		 len;
	int		 eof;		/* then the client half-closes */
};

#define PP_S(s)	s, sizeof(s) - 1
#define PP_SIG	"\r\n\r\n\0\r\nQUIT\n"

static const struct pp_bad pp_bads[] = {
	{ "plain HTTP", PP_S(PP_GET), 0 },
	{ "lowercase proxy", PP_S("proxy TCP4 1.2.3.4 1.2.3.5 1 2\r\n"), 0 },
	{ "v1 unknown family", PP_S("PROXY TCP5 1.2.3.4 1.2.3.5 1 2\r\n"), 0 },
	{ "v1 missing port", PP_S("PROXY TCP4 1.2.3.4 1.2.3.5 1\r\n"), 0 },
	{ "v1 bad address", PP_S("PROXY TCP4 1.2.3.256 1.2.3.5 1 2\r\n"), 0 },
	{ "v1 IPv6 as TCP4", PP_S("PROXY TCP4 ::1 ::1 1 2\r\n"), 0 },
	{ "v1 port over 65535", PP_S("PROXY TCP4 1.2.3.4 1.2.3.5 65536 2\r\n"),
	  0 },
	{ "v1 bare LF", PP_S("PROXY TCP4 1.2.3.4 1.2.3.5 1 2\n"), 0 },
	{ "v1 double space", PP_S("PROXY  TCP4 1.2.3.4 1.2.3.5 1 2\r\n"), 0 },
	{ "v1 no CRLF in 107 bytes", PP_S("PROXY UNKNOWN "
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	  0 },
	{ "v1 truncated, then EOF", PP_S("PROXY TCP4 1.2.3.4 1.2"), 1 },
	{ "v2 bad signature", PP_S("\r\n\r\n\0\r\nQUIX\n\x21\x11\0\x0c"), 0 },
	{ "v2 version 1", PP_S(PP_SIG "\x11\x11\0\x0c"), 0 },
	{ "v2 command 2", PP_S(PP_SIG "\x22\x11\0\x0c"), 0 },
	{ "v2 family 4", PP_S(PP_SIG "\x21\x41\0\x0c"), 0 },
	{ "v2 TCP4 with len 4", PP_S(PP_SIG "\x21\x11\0\x04" "abcd"), 0 },
	{ "v2 len over 4096", PP_S(PP_SIG "\x21\x11\x10\x00"), 0 },
	{ "v2 TLV past the end", PP_S(PP_SIG "\x21\x11\0\x0f"
	  "\1\2\3\4\5\6\7\x08\0\1\0\2" "\x04\0\x09"), 0 },
	{ "v2 truncated, then EOF", PP_S(PP_SIG "\x21\x11\0\x0c" "\1\2\3"), 1 },
	{ "v2 signature only, then EOF", PP_S(PP_SIG), 1 },
};

/*
 * Every malformed or truncated header of the table closes its connection
 * with no response (no HTTP byte was spoken), each logged and counted;
 * ferryd serves on.
 */
START_TEST(test_malformed)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	const struct pp_bad	*t;
	size_t			 i, n = sizeof(pp_bads) / sizeof(pp_bads[0]);

	pp_start(&f, "status_path = /status\n");
	for (i = 0; i < n; i++) {
		t = &pp_bads[i];
		hc_open(&c, &f);
		(void)hc_try_send(&c, t->bytes, t->len);
		if (t->eof)
			hc_shutdown_write(&c);
		pp_expect_closed(&f, &c, t->what);
		hc_close(&c);
	}
	HARNESS_ASSERT(&f, harness_wait_log(&f,
	    "closed without a valid PROXY header", (int)n, 10000) == (int)n,
	    "not every refusal logged");
	hc_open(&c, &f);
	pp_env_get(&f, &c, PP_S("PROXY TCP4 192.0.2.99 192.0.2.1 9 80\r\n"),
	    &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.99");
	hc_response_free(&r);
	hc_close(&c);
	ck_assert_uint_eq(pp_refused(&f, NULL,
	    "PROXY TCP4 127.0.0.1 127.0.0.1 9 80\r\n"), n);
	harness_stop_ok(&f);
}
END_TEST

/*
 * Half a header, then silence: closed by header_timeout (1 s here), with
 * no response; so is a connection that sends nothing at all.
 */
START_TEST(test_header_timeout)
{
	struct ferryd	 f;
	struct hc	 c, quiet;

	pp_start(&f, "header_timeout = 1\n");
	hc_open(&quiet, &f);
	hc_open(&c, &f);
	hc_sendstr(&c, "PROXY TCP4 192.0.2.1 ");
	/* A valid prefix: waited on, not refused (a close can only come
	   later than header_timeout under load, never sooner). */
	HARNESS_ASSERT(&f, hc_quiet(&c, 300), "half a header: closed at once");
	pp_expect_closed(&f, &c, "half a v1 header");
	pp_expect_closed(&f, &quiet, "nothing sent");
	hc_close(&c);
	hc_close(&quiet);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "closed without a valid "
	    "PROXY header: request head timeout", 2, 10000) == 2,
	    "no timeout logged");
	harness_stop_ok(&f);
}
END_TEST

/*
 * A hijacking libferry worker's view: the REMOTE_ADDR and REMOTE_PORT
 * params it got name the header's client (getpeername on the socket it
 * took names the proxy, here the test itself: X-Peer-Ok 0).
 */
START_TEST(test_hijack_view)
{
	static const char	 req[] =
	    "PROXY TCP4 192.0.2.5 192.0.2.1 4242 80\r\n"
	    "GET /h/hijack HTTP/1.1\r\nHost: t\r\n\r\n";
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 conf[1024];

	snprintf(conf, sizeof(conf), "[app hj]\ntype = fastcgi\nprefix = /h\n"
	    "command = %s\nworkers = 1\n",
	    harness_env_path("FERRY_TEST_HIJACK_APP"));
	pp_start(&f, conf);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	ck_assert_str_eq(hc_header(&r, "X-Addr"), "192.0.2.5:4242");
	ck_assert_str_eq(hc_header(&r, "X-Peer-Ok"), "0");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/*
 * A reload that adds proxy_protocol to a kept listener (the socket stays
 * open): new connections need the header from then on; proxy_from's
 * change applies too.
 */
START_TEST(test_reload_flag)
{
	static const char	 hdr[] =
	    "PROXY TCP4 192.0.2.70 192.0.2.1 7070 80\r\n";
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	memset(&f, 0, sizeof(f));
	f.listen_in_conf = 1;
	harness_start(&f, "[server]\nlisten = 127.0.0.1:@PORT@\n", NULL);
	hc_open(&c, &f);
	pp_env_get(&f, &c, "", 0, &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "127.0.0.1");
	hc_response_free(&r);
	hc_close(&c);
	harness_write_conf(&f, PP_CONF);
	HARNESS_ASSERT(&f, kill(f.pid, SIGHUP) == 0, "SIGHUP");
	HARNESS_ASSERT(&f, harness_wait_log(&f, "configuration 2 in use", 1,
	    10000) == 1, "no reload");
	hc_open(&c, &f);
	(void)hc_try_send(&c, PP_GET, sizeof(PP_GET) - 1);
	pp_expect_closed(&f, &c, "plain HTTP after the reload");
	hc_close(&c);
	hc_open(&c, &f);
	pp_env_get(&f, &c, hdr, sizeof(hdr) - 1, &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "192.0.2.70");
	hc_response_free(&r);
	hc_close(&c);
	/* proxy_from without 127.0.0.1: refused at accept. */
	harness_write_conf(&f, PP_CONF "proxy_from = 10.0.0.0/8\n");
	HARNESS_ASSERT(&f, kill(f.pid, SIGHUP) == 0, "SIGHUP");
	HARNESS_ASSERT(&f, harness_wait_log(&f, "configuration 3 in use", 1,
	    10000) == 1, "no reload");
	hc_open(&c, &f);
	(void)hc_try_send(&c, hdr, sizeof(hdr) - 1);
	pp_expect_closed(&f, &c, "outside proxy_from after the reload");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* HAProxy (Debian's, scripts/deps.sh) in the foreground with conf. */
static pid_t
pp_haproxy(const struct ferryd *f, const char *conf)
{
	char	path[512], out[512];
	pid_t	parent = getpid(), pid;
	int	fd;

	harness_path(path, sizeof(path), f, "haproxy.cfg");
	harness_write_file(path, conf, strlen(conf), 0644);
	harness_path(out, sizeof(out), f, "haproxy.log");
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(126);
		if ((fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) !=
		    -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl("/usr/sbin/haproxy", "haproxy", "-db", "-f", path,
		    (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Waits until 127.0.0.1:port accepts a connection (haproxy is up). */
static void
pp_wait_port(const struct ferryd *f, int port)
{
	long long	deadline = harness_now_ms() + 10000;

	while (!harness_port_accepts(port)) {
		if (harness_now_ms() > deadline)
			harness_fail(f, __FILE__, __LINE__,
			    "haproxy not on port %d", port);
		harness_sleep_ms(20);
	}
}

/* Waits until haproxy's stats (its stats socket in f->dir) show the
   server whose CSV line starts with line passing its HTTP check. */
static void
pp_wait_check(const struct ferryd *f, const char *line)
{
	struct hc	 c;
	char		 sock[512];
	const char	*l, *e;
	long long	 deadline = harness_now_ms() + 10000;

	harness_path(sock, sizeof(sock), f, "haproxy.sock");
	for (;;) {
		hc_open_unix(&c, f, sock);
		hc_sendstr(&c, "show stat\n");
		while (hc_fill(&c, 5000) > 0)
			;
		l = c.buf != NULL ? strstr(c.buf, line) : NULL;
		e = l != NULL ? strchr(l, '\n') : NULL;
		if (l != NULL && e != NULL &&
		    memmem(l, (size_t)(e - l), ",L7OK,", 6) != NULL) {
			hc_close(&c);
			return;
		}
		HARNESS_ASSERT(f, harness_now_ms() < deadline,
		    "%s: no passed check:\n%.*s", line, (int)c.len,
		    c.buf != NULL ? c.buf : "");
		hc_close(&c);
		harness_sleep_ms(100);
	}
}

/*
 * Real HAProxy in front: send-proxy (v1) to the TCP listener and
 * send-proxy-v2 to a unix: listener.  The script sees the test's own
 * socket to haproxy: 127.0.0.1 and its local port, not haproxy's.
 */
START_TEST(test_haproxy)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 conf[2048], port[16];
	int			 p1, p2, fport, st, i;
	pid_t			 hp;

	pp_start(&f, PP_UNIX);
	p1 = harness_free_port();
	p2 = harness_free_port();
	snprintf(conf, sizeof(conf),
	    "global\n"
	    "	maxconn 100\n"
	    "	stats socket %s/haproxy.sock\n"
	    "defaults\n"
	    "	mode http\n"
	    "	option httpchk GET /cgi-bin/hello.sh\n"
	    "	timeout connect 5s\n"
	    "	timeout client 30s\n"
	    "	timeout server 30s\n"
	    "frontend v1\n"
	    "	bind 127.0.0.1:%d\n"
	    "	default_backend ferry_v1\n"
	    "frontend v2\n"
	    "	bind 127.0.0.1:%d\n"
	    "	default_backend ferry_v2\n"
	    "backend ferry_v1\n"
	    "	server f1 127.0.0.1:%d send-proxy check inter 200\n"
	    "backend ferry_v2\n"
	    "	server f2 unix@%s/pp.sock send-proxy-v2 check inter 200\n",
	    f.dir, p1, p2, f.port, f.dir);
	hp = pp_haproxy(&f, conf);
	pp_wait_port(&f, p1);
	pp_wait_port(&f, p2);
	for (i = 0; i < 2; i++) {
		fport = f.port;
		f.port = i == 0 ? p1 : p2;	/* hc_open's port: haproxy's */
		hc_open(&c, &f);
		f.port = fport;
		hc_send_get(&c, PP_ENV);
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 200, "via haproxy %d: %d", i,
		    r.status);
		snprintf(port, sizeof(port), "%u", hc_local_port(&c));
		hc_expect_env(&f, &r, "REMOTE_ADDR", "127.0.0.1");
		hc_expect_env(&f, &r, "REMOTE_PORT", port);
		snprintf(port, sizeof(port), "%d", i == 0 ? p1 : p2);
		hc_expect_env(&f, &r, "SERVER_PORT", port);
		hc_response_free(&r);
		hc_close(&c);
	}
	/* haproxy's health checks carry the header too (v1 UNKNOWN, v2
	   LOCAL): both servers pass theirs. */
	pp_wait_check(&f, "ferry_v1,f1,");
	pp_wait_check(&f, "ferry_v2,f2,");
	HARNESS_ASSERT(&f, harness_log_count(&f, "without a valid PROXY") == 0,
	    "a check was refused");
	kill(hp, SIGTERM);
	ck_assert_int_eq(waitpid(hp, &st, 0), hp);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
proxy_suite(void)
{
	Suite	*s = suite_create("proxy");
	TCase	*tc = tcase_create("header");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_v2_ssl);
	tcase_add_test(tc, test_unix_listener);
	tcase_add_test(tc, test_cli_listen);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_keepalive_and_log);
	tcase_add_test(tc, test_hijack_view);
	suite_add_tcase(s, tc);
	tc = tcase_create("refused");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_status_allow);
	tcase_add_test(tc, test_proxy_from);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_header_timeout);
	tcase_add_test(tc, test_reload_flag);
	suite_add_tcase(s, tc);
	tc = tcase_create("haproxy");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_haproxy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(proxy_suite(), "ferry-proxy");
}
