/*
 * A front's forwarding headers (issue 18 part 2; server/connfwd.c,
 * protocol/forwarded.c, ferry.conf(5) trusted_proxies and
 * forwarded_header): from a peer in trusted_proxies, X-Forwarded-For (or
 * Forwarded) names the client a CGI script sees as REMOTE_ADDR, the
 * access log writes and status_allow judges; X-Forwarded-Proto sets HTTPS
 * and REQUEST_SCHEME.  From any other peer the same headers change
 * nothing.  Then real nginx in front (examples/nginx-front.conf, over TCP
 * and over a Unix socket), with a client that forges its own
 * X-Forwarded-For.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define NGINX	"/usr/sbin/nginx"

/* The [server] lines of each configuration the table runs under. */
enum fwd_conf { TRUST_LO, TRUST_LO_DOC, TRUST_OTHER, TRUST_NONE,
	TRUST_RFC, NCONFS };

static const char *const confs[NCONFS] = {
	/* debug: the walk stopped at garbage is logged */
	[TRUST_LO] = "[server]\ntrusted_proxies = 127.0.0.1\n"
	    "log_level = debug\n",
	/* two lines add up; 203.0.113.0/24 is a trusted hop too */
	[TRUST_LO_DOC] = "[server]\ntrusted_proxies = 127.0.0.1\n"
	    "trusted_proxies = 203.0.113.0/24 unix\n",
	/* the test client (127.0.0.1) is not trusted */
	[TRUST_OTHER] = "[server]\ntrusted_proxies = 192.0.2.1 ::1 unix\n",
	[TRUST_NONE] = "[server]\n",
	[TRUST_RFC] = "[server]\ntrusted_proxies = 127.0.0.0/8\n"
	    "forwarded_header = forwarded\n",
};

/*
 * One request to env.sh from 127.0.0.1 with fields (lines ending in
 * CRLF) under confs[conf], and what the script must see.  NULL for https
 * means unset; 0 for server_port means ferryd's own; NULL for
 * remote_port means not checked (the test client's, some free port).
 */
struct fwd_case {
	const char	*what;
	enum fwd_conf	 conf;
	const char	*fields;
	const char	*remote_addr, *remote_port;
	const char	*https;		/* and REQUEST_SCHEME https, else http */
	const char	*server_name;	/* NULL: "test", the Host sent */
	int		 server_port;
	const char	*xff;		/* HTTP_X_FORWARDED_FOR, passed as
					   sent; NULL: unset */
};

#define XFF7	"X-Forwarded-For: 203.0.113.7\r\n"
#define XFF2	"X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\n"
#define XFFS	"X-Forwarded-For: 198.51.100.1\r\n" \
		"X-Forwarded-For: 203.0.113.7\r\n"
#define PROTO	"X-Forwarded-Proto: https\r\n"

static const struct fwd_case cases[] = {
	{ "one address from a trusted peer", TRUST_LO, XFF7, "203.0.113.7",
	    "0", NULL, NULL, 0, "203.0.113.7" },
	{ "the right-most untrusted", TRUST_LO, XFF2, "203.0.113.7", "0",
	    NULL, NULL, 0, "198.51.100.1, 203.0.113.7" },
	{ "a trusted hop skipped", TRUST_LO_DOC, XFF2, "198.51.100.1", "0",
	    NULL, NULL, 0, "198.51.100.1, 203.0.113.7" },
	{ "two lines are one list", TRUST_LO, XFFS, "203.0.113.7", "0", NULL,
	    NULL, 0, "198.51.100.1, 203.0.113.7" },
	{ "two lines, a trusted hop skipped", TRUST_LO_DOC, XFFS,
	    "198.51.100.1", "0", NULL, NULL, 0, "198.51.100.1, 203.0.113.7" },
	{ "proto https", TRUST_LO, XFF7 PROTO, "203.0.113.7", "0", "on", NULL,
	    443, "203.0.113.7" },
	{ "proto alone", TRUST_LO, PROTO, "127.0.0.1", NULL, "on", NULL, 443,
	    NULL },
	{ "host and port", TRUST_LO, XFF7 "X-Forwarded-Host: www.example.com"
	    "\r\nX-Forwarded-Port: 8443\r\n", "203.0.113.7", "0", NULL,
	    "www.example.com", 8443, "203.0.113.7" },
	{ "garbage: the peer", TRUST_LO, "X-Forwarded-For: 203.0.113.7, "
	    "not-an-address\r\n", "127.0.0.1", NULL, NULL, NULL, 0,
	    "203.0.113.7, not-an-address" },
	{ "unknown: the peer", TRUST_LO, "X-Forwarded-For: unknown\r\n",
	    "127.0.0.1", NULL, NULL, NULL, 0, "unknown" },
	{ "Forwarded ignored in x-forwarded-for mode", TRUST_LO,
	    "Forwarded: for=203.0.113.7\r\n", "127.0.0.1", NULL, NULL, NULL,
	    0, NULL },
	{ "Forwarded for= IPv6 with port", TRUST_RFC, "Forwarded: "
	    "for=\"[2001:db8::1]:4711\";proto=https;host=example.com\r\n",
	    "2001:db8::1", "4711", "on", "example.com", 443, NULL },
	{ "Forwarded, a trusted hop skipped", TRUST_RFC,
	    "Forwarded: for=192.0.2.9, for=127.0.0.2\r\n", "192.0.2.9", "0",
	    NULL, NULL, 0, NULL },
	{ "Forwarded obfuscated: the peer", TRUST_RFC,
	    "Forwarded: for=_gateway;proto=http\r\n", "127.0.0.1", NULL, NULL,
	    NULL, 80, NULL },
	{ "X-Forwarded-For ignored in forwarded mode", TRUST_RFC, XFF7 PROTO,
	    "127.0.0.1", NULL, NULL, NULL, 0, "203.0.113.7" },
	/* The same headers from a peer not trusted: nothing changes. */
	{ "untrusted peer", TRUST_OTHER, XFF7 PROTO "X-Forwarded-Host: a.b\r\n",
	    "127.0.0.1", NULL, NULL, NULL, 0, "203.0.113.7" },
	{ "untrusted peer, two lines", TRUST_OTHER, XFFS, "127.0.0.1", NULL,
	    NULL, NULL, 0, "198.51.100.1, 203.0.113.7" },
	{ "no trusted_proxies", TRUST_NONE, XFF7 PROTO, "127.0.0.1", NULL,
	    NULL, NULL, 0, "203.0.113.7" },
	{ "no trusted_proxies, Forwarded", TRUST_NONE,
	    "Forwarded: for=203.0.113.7;proto=https\r\n", "127.0.0.1", NULL,
	    NULL, NULL, 0, NULL },
};

/* GET env.sh on c with fields; the complete response in *r. */
static void
fwd_get(struct hc *c, const char *fields, struct hc_response *r)
{
	char	req[1024];

	snprintf(req, sizeof(req), "GET /cgi-bin/env.sh HTTP/1.1\r\n"
	    "Host: test\r\n%s\r\n", fields);
	hc_sendstr(c, req);
	hc_expect_response(c, r, 0);
}

static void
fwd_check(const struct ferryd *f, const struct fwd_case *t,
    const struct hc_response *r)
{
	char	port[16];

	HARNESS_ASSERT(f, r->status == 200, "%s: status %d", t->what,
	    r->status);
	hc_expect_env(f, r, "REMOTE_ADDR", t->remote_addr);
	if (t->remote_port != NULL)
		hc_expect_env(f, r, "REMOTE_PORT", t->remote_port);
	hc_expect_env(f, r, "HTTPS", t->https);
	hc_expect_env(f, r, "REQUEST_SCHEME", t->https != NULL ? "https" :
	    "http");
	hc_expect_env(f, r, "SERVER_NAME", t->server_name != NULL ?
	    t->server_name : "test");
	snprintf(port, sizeof(port), "%d", t->server_port != 0 ?
	    t->server_port : f->port);
	hc_expect_env(f, r, "SERVER_PORT", port);
	hc_expect_env(f, r, "HTTP_X_FORWARDED_FOR", t->xff);
}

/* Every case of the table under configuration _i, each on a connection
   of its own. */
START_TEST(test_table)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	size_t			 i;

	harness_start(&f, confs[_i], NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].conf != (enum fwd_conf)_i)
			continue;
		hc_open(&c, &f);
		fwd_get(&c, cases[i].fields, &r);
		fwd_check(&f, &cases[i], &r);
		hc_response_free(&r);
		hc_close(&c);
	}
	if (_i == TRUST_LO)
		HARNESS_ASSERT(&f, harness_wait_log(&f, "the forwarded client "
		    "is invalid", 1, 5000) == 1 && harness_wait_log(&f,
		    "the forwarded client is unknown", 1, 5000) == 1,
		    "the garbage where the walk stopped is not logged");
	harness_stop_ok(&f);
}
END_TEST

/* A FastCGI app gets the same client in its PARAMS (as a libferry worker
   that hijacks the connection does). */
START_TEST(test_fastcgi_params)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 prog[512];

	snprintf(prog, sizeof(prog), "%s/responder",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	harness_start_fcgi(&f, "trusted_proxies = 127.0.0.1\n", "/f", prog,
	    NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /f?env HTTP/1.1\r\nHost: test\r\n" XFF2 PROTO
	    "\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "status %d", r.status);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "203.0.113.7");
	hc_expect_env(&f, &r, "REMOTE_PORT", "0");
	hc_expect_env(&f, &r, "HTTPS", "on");
	hc_expect_env(&f, &r, "REQUEST_SCHEME", "https");
	hc_expect_env(&f, &r, "HTTP_X_FORWARDED_FOR",
	    "198.51.100.1, 203.0.113.7");
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* The client named is the request's: on a kept-alive connection the
   next request without the header is the peer's again, and one with
   another header names that client.  The access log writes each one's. */
START_TEST(test_keepalive_and_log)
{
	struct ferryd		 f = { 0 };
	struct hc		 c;
	struct hc_response	 r;
	char			*log;

	harness_start(&f, confs[TRUST_LO], NULL);
	hc_open(&c, &f);
	fwd_get(&c, XFF7 PROTO, &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "203.0.113.7");
	hc_expect_env(&f, &r, "HTTPS", "on");
	hc_response_free(&r);
	fwd_get(&c, "", &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "127.0.0.1");
	hc_expect_env(&f, &r, "HTTPS", NULL);
	hc_expect_env(&f, &r, "REQUEST_SCHEME", "http");
	hc_response_free(&r);
	fwd_get(&c, "X-Forwarded-For: 198.51.100.1\r\n", &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "198.51.100.1");
	hc_response_free(&r);
	hc_close(&c);
	log = harness_wait_text(f.access_log, "198.51.100.1 ", 5000);
	HARNESS_ASSERT(&f, log != NULL && strncmp(log, "203.0.113.7 ", 12) ==
	    0 && harness_line_of(log, "127.0.0.1 ") != NULL &&
	    harness_line_of(log, "198.51.100.1 ") != NULL &&
	    harness_count(log, "GET /cgi-bin/env.sh") == 3,
	    "the access log:\n%s", log != NULL ? log : "(none)");
	free(log);
	harness_stop_ok(&f);
}
END_TEST

/* GET /ferry-status from 127.0.0.1 with fields: the status. */
static int
fwd_status(const struct ferryd *f, const char *fields)
{
	struct hc		 c;
	struct hc_response	 r;
	char			 req[512];
	int			 status;

	hc_open(&c, f);
	snprintf(req, sizeof(req), "GET /ferry-status HTTP/1.1\r\n"
	    "Host: test\r\n%s\r\n", fields);
	hc_sendstr(&c, req);
	hc_expect_response(&c, &r, 0);
	status = r.status;
	hc_response_free(&r);
	hc_close(&c);
	return status;
}

/* status_allow judges the request's client: a client cannot get in by
   forging a header from a peer that is not trusted, and a trusted front's
   client from outside is kept out.  Both settings reload with SIGHUP: a
   step with other [server] lines reloads ferryd with them. */
#define ST_PAGE		"[server]\nstatus_path = /ferry-status\n"
#define ST_DOC		ST_PAGE "status_allow = 203.0.113.0/24\n"

static const struct {
	const char	*server;
	const char	*fields;
	int		 want;
	const char	*what;
} st_steps[] = {
	{ ST_DOC "trusted_proxies = 192.0.2.1\n", XFF7, 403,
	    "a forged header from an untrusted peer" },
	{ ST_DOC "trusted_proxies = 127.0.0.1\n", XFF7, 200,
	    "a trusted front's client in status_allow" },
	{ ST_DOC "trusted_proxies = 127.0.0.1\n", "", 403,
	    "the front itself, not in status_allow" },
	/* the default status_allow: loopback */
	{ ST_PAGE "trusted_proxies = 127.0.0.1\n", XFF7, 403,
	    "a trusted front's client from outside" },
	{ ST_PAGE "trusted_proxies = 127.0.0.1\n", "", 200,
	    "the front itself, on loopback" },
};

START_TEST(test_status_allow)
{
	struct ferryd	 f = { 0 };
	char		 gen[64];
	size_t		 i;
	int		 st, g = 1;

	for (i = 0; i < sizeof(st_steps) / sizeof(st_steps[0]); i++) {
		if (i == 0)
			harness_start(&f, st_steps[i].server, NULL);
		else if (strcmp(st_steps[i].server, st_steps[i - 1].server)) {
			harness_write_conf(&f, st_steps[i].server);
			kill(f.pid, SIGHUP);
			snprintf(gen, sizeof(gen), "configuration %d in use",
			    ++g);
			HARNESS_ASSERT(&f, harness_wait_log(&f, gen, 1, 5000) ==
			    1, "no reload to %d", g);
		}
		st = fwd_status(&f, st_steps[i].fields);
		HARNESS_ASSERT(&f, st == st_steps[i].want, "%s: %d, not %d",
		    st_steps[i].what, st, st_steps[i].want);
	}
	harness_stop_ok(&f);
}
END_TEST

/* ---- nginx in front ---------------------------------------------------- */

struct nginx {
	pid_t	pid;
	int	port;
	char	dir[400];
};

/* Replaces the first from in *text (malloc'd) with to, or fails. */
static void
fwd_replace(const struct ferryd *f, char **text, const char *from,
    const char *to)
{
	char	*p = strstr(*text, from), *n;
	size_t	 len;

	HARNESS_ASSERT(f, p != NULL, "examples/nginx-front.conf has no \"%s\"",
	    from);
	len = strlen(*text) - strlen(from) + strlen(to) + 1;
	n = malloc(len);
	HARNESS_ASSERT(f, n != NULL, "out of memory");
	snprintf(n, len, "%.*s%s%s", (int)(p - *text), *text, to,
	    p + strlen(from));
	free(*text);
	*text = n;
}

/* Starts nginx with examples/nginx-front.conf, its upstream server
   upstream, on a free port; returns when the port answers. */
static void
nginx_start(const struct ferryd *f, struct nginx *n, const char *upstream)
{
	const char	*src = getenv("top_srcdir");
	char		 path[512], pidf[512], errf[512], conf[8192], line[64];
	char		*text;
	struct hc	 c;
	struct ferryd	 at;
	int		 fd;

	HARNESS_ASSERT(f, access(NGINX, X_OK) == 0, NGINX " is missing: "
	    "install Debian's nginx-light (scripts/deps.sh)");
	snprintf(path, sizeof(path), "%s/examples/nginx-front.conf",
	    src != NULL ? src : ".");
	text = harness_read_file(path, NULL);
	HARNESS_ASSERT(f, text != NULL, "cannot read %s", path);
	n->port = harness_free_port();
	snprintf(line, sizeof(line), "listen 127.0.0.1:%d;", n->port);
	fwd_replace(f, &text, "listen 80;", line);
	fwd_replace(f, &text, "server unix:/run/ferry/ferry.sock;", upstream);
	harness_path(n->dir, sizeof(n->dir), f, "nginx");
	HARNESS_ASSERT(f, mkdir(n->dir, 0700) == 0, "mkdir %s", n->dir);
	snprintf(conf, sizeof(conf), "daemon off;\nmaster_process off;\n"
	    "worker_processes 1;\npid %s/nginx.pid;\n"
	    "error_log %s/error.log info;\nevents { worker_connections 64; }\n"
	    "http {\naccess_log off;\nclient_body_temp_path %s/body;\n"
	    "proxy_temp_path %s/proxy;\nfastcgi_temp_path %s/fastcgi;\n"
	    "uwsgi_temp_path %s/uwsgi;\nscgi_temp_path %s/scgi;\n%s\n}\n",
	    n->dir, n->dir, n->dir, n->dir, n->dir, n->dir, n->dir, text);
	free(text);
	snprintf(path, sizeof(path), "%s/nginx.conf", n->dir);
	harness_write_file(path, conf, strlen(conf), 0644);
	snprintf(pidf, sizeof(pidf), "%s/nginx.pid", n->dir);
	snprintf(errf, sizeof(errf), "%s/error.log", n->dir);
	n->pid = fork();
	HARNESS_ASSERT(f, n->pid >= 0, "fork");
	if (n->pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		execl(NGINX, "nginx", "-p", n->dir, "-c", path, "-e", errf,
		    (char *)NULL);
		_exit(127);
	}
	/* nginx writes its pid file once it listens. */
	HARNESS_ASSERT(f, harness_wait_file(pidf, 10000) &&
	    !harness_pid_gone(n->pid), "nginx did not start; see %s", n->dir);
	memset(&at, 0, sizeof(at));
	at.port = n->port;
	hc_open(&c, &at);
	hc_close(&c);
}

static void
nginx_stop(struct nginx *n)
{
	int	st;

	kill(n->pid, SIGTERM);
	if (!harness_wait_pid_gone(n->pid, 5000))
		kill(n->pid, SIGKILL);
	waitpid(n->pid, &st, 0);
}

/* Connects c from 127.0.0.2 to 127.0.0.1:port: a client whose address
   is not the front's own (nor a trusted one). */
static void
fwd_open_from2(const struct ferryd *f, struct hc *c, int port)
{
	struct sockaddr_in	 sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	HARNESS_ASSERT(f, fd >= 0, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000002);
	HARNESS_ASSERT(f, bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "bind 127.0.0.2");
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	HARNESS_ASSERT(f, connect(fd, (struct sockaddr *)&sin,
	    sizeof(sin)) == 0, "connect to nginx");
	hc_init_fd(c, fd);
}

/* Through nginx at n: the test client (127.0.0.2) forges
   X-Forwarded-For 192.0.2.9, nginx appends the address it saw: ferryd,
   trusting nginx alone, names 127.0.0.2, the first untrusted from the
   right, not the forged 192.0.2.9. */
static void
nginx_check(const struct ferryd *f, const struct nginx *n)
{
	struct hc		 c;
	struct hc_response	 r;
	char			 port[16];

	fwd_open_from2(f, &c, n->port);
	hc_sendstr(&c, "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: front.example\r\n"
	    "X-Forwarded-For: 192.0.2.9\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(f, r.status == 200, "through nginx: %d", r.status);
	hc_expect_env(f, &r, "REMOTE_ADDR", "127.0.0.2");
	hc_expect_env(f, &r, "REMOTE_PORT", "0");
	hc_expect_env(f, &r, "HTTP_X_FORWARDED_FOR", "192.0.2.9, 127.0.0.2");
	hc_expect_env(f, &r, "REQUEST_SCHEME", "http");
	hc_expect_env(f, &r, "HTTPS", NULL);
	hc_expect_env(f, &r, "SERVER_NAME", "front.example");
	snprintf(port, sizeof(port), "%d", n->port);
	hc_expect_env(f, &r, "SERVER_PORT", port);
	hc_response_free(&r);
	hc_close(&c);
}

/* nginx's proxy_pass over TCP, ferryd trusting 127.0.0.1. */
START_TEST(test_nginx_tcp)
{
	struct ferryd	 f = { 0 };
	struct nginx	 n;
	char		 up[64];

	harness_start(&f, confs[TRUST_LO], NULL);
	snprintf(up, sizeof(up), "server 127.0.0.1:%d;", f.port);
	nginx_start(&f, &n, up);
	nginx_check(&f, &n);
	nginx_stop(&n);
	harness_stop_ok(&f);
}
END_TEST

/* nginx's proxy_pass to a Unix socket, ferryd trusting "unix" alone: the
   test client's own X-Forwarded-For (192.0.2.9) is not believed, and its
   direct requests over TCP name nobody. */
START_TEST(test_nginx_unix)
{
	struct ferryd		 f = { 0 };
	struct nginx		 n;
	struct hc		 c;
	struct hc_response	 r;
	char			*d, listen[512], up[540];
	const char		*extra[3];

	d = harness_tmpdir("fwd-unix", 0);
	snprintf(listen, sizeof(listen), "unix:%s/ferry.sock", d);
	extra[0] = "--listen";
	extra[1] = listen;
	extra[2] = NULL;
	harness_start(&f, "[server]\ntrusted_proxies = unix\n", extra);
	snprintf(up, sizeof(up), "server %s;", listen);
	nginx_start(&f, &n, up);
	nginx_check(&f, &n);
	/* Direct over TCP: 127.0.0.1 is not trusted. */
	hc_open(&c, &f);
	fwd_get(&c, "X-Forwarded-For: 192.0.2.9\r\n", &r);
	hc_expect_env(&f, &r, "REMOTE_ADDR", "127.0.0.1");
	hc_expect_env(&f, &r, "HTTP_X_FORWARDED_FOR", "192.0.2.9");
	hc_response_free(&r);
	hc_close(&c);
	nginx_stop(&n);
	harness_stop_ok(&f);
	harness_rmtree(d);
	free(d);
}
END_TEST

static Suite *
forwarded_suite(void)
{
	Suite	*s = suite_create("forwarded");
	TCase	*tc = tcase_create("forwarded");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_table, 0, NCONFS);
	tcase_add_test(tc, test_keepalive_and_log);
	tcase_add_test(tc, test_fastcgi_params);
	tcase_add_test(tc, test_status_allow);
	tcase_add_test(tc, test_nginx_tcp);
	tcase_add_test(tc, test_nginx_unix);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(forwarded_suite(), "ferry-forwarded");
}
