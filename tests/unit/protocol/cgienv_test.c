#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/cgienv.h"
#include "tests/unit/guard.h"

/*
 * Each case builds a struct http1_request by hand (no parser involved),
 * every span copied so that it ends right before a PROT_NONE page, runs
 * cgienv_build into a sink that collects "NAME=value" strings, and compares
 * them with the expected list, order included.
 */

#define MAXFIELDS	16
#define MAXVARS		48
#define MAXVAR		256
#define MAXSPANS	(4 + 2 * MAXFIELDS)

struct env_case {
	const char			*method;
	const char			*target;
	const char			*query;		/* NULL: no '?' */
	const char			*authority;	/* NULL: none */
	int				 minor;
	const char			*fields[2 * MAXFIELDS + 1]; /* name, value
								   pairs, NULL */
	const struct cgienv_info	*info;
	const char			*want[MAXVARS];	/* NULL-terminated */
};

struct collect {
	char	vars[MAXVARS][MAXVAR];
	size_t	n;
	size_t	stop_at;	/* return -1 for variable number stop_at */
};

struct built {
	struct http1_request	req;
	struct http1_field	fields[MAXFIELDS];
	struct guard		guards[MAXSPANS];
	size_t			nguards;
};

static int	collect_sink(void *, const char *, size_t, const char *,
		    size_t);
static struct http1_span built_span(struct built *, const char *);
static void	built_init(struct built *, const struct env_case *);
static void	built_free(struct built *);
static size_t	want_count(const struct env_case *);

/* A plain CGI script on port 80. */
static const struct cgienv_info info_basic = {
	.remote_addr = "192.0.2.7",
	.remote_port = 51234,
	.server_addr = "192.0.2.1",
	.server_port = 80,
	.server_name = "ferry.test",
	.server_software = "ferry/0.1.0",
	.https = 0,
	.script_name = "/cgi-bin/env.cgi",
	.script_filename = "/srv/cgi-bin/env.cgi",
	.path_info = NULL,
	.path_translated = NULL,
	.document_root = NULL,
	.content_length = -1,
};

/* Every optional fact set, over TLS. */
static const struct cgienv_info info_full = {
	.remote_addr = "2001:db8::7",
	.remote_port = 1,
	.server_addr = "2001:db8::1",
	.server_port = 443,
	.server_name = "ferry.test",
	.server_software = "ferry/0.1.0",
	.https = 1,
	.script_name = "/app",
	.script_filename = "/srv/www/app",
	.path_info = "/extra/path",
	.path_translated = "/srv/www/extra/path",
	.document_root = "/srv/www",
	.content_length = 11,
};

/* A POST body of 11 bytes. */
static const struct cgienv_info info_post = {
	.remote_addr = "192.0.2.7",
	.remote_port = 51234,
	.server_addr = "192.0.2.1",
	.server_port = 80,
	.server_name = "ferry.test",
	.server_software = "ferry/0.1.0",
	.script_name = "/cgi-bin/env.cgi",
	.content_length = 11,
};

/* HTTPS only. */
static const struct cgienv_info info_https = {
	.remote_addr = "192.0.2.7",
	.remote_port = 51234,
	.server_addr = "192.0.2.1",
	.server_port = 443,
	.server_name = "ferry.test",
	.server_software = "ferry/0.1.0",
	.https = 1,
	.script_name = "/s",
	.content_length = -1,
};

/*
 * Nothing optional: no server_name (so SERVER_NAME falls back to
 * server_addr), empty path_info, NULL strings where RFC 3875 wants a value.
 */
static const struct cgienv_info info_min = {
	.remote_addr = NULL,
	.remote_port = 0,
	.server_addr = "192.0.2.1",
	.server_port = 8080,
	.server_name = NULL,
	.server_software = NULL,
	.script_name = NULL,
	.path_info = "",
	.content_length = -1,
};

/* No name and no address at all: SERVER_NAME is "". */
static const struct cgienv_info info_none = {
	.remote_addr = "192.0.2.7",
	.remote_port = 65535,
	.server_port = 0,
	.script_name = "/s",
	.content_length = -1,
};

/* A de-chunked body of 5 bytes. */
static const struct cgienv_info info_dechunked = {
	.remote_addr = "192.0.2.7",
	.remote_port = 51234,
	.server_addr = "192.0.2.1",
	.server_port = 80,
	.server_software = "ferry/0.1.0",
	.script_name = "/s",
	.content_length = 5,
};

/* An empty body. */
static const struct cgienv_info info_empty_body = {
	.remote_addr = "192.0.2.7",
	.remote_port = 51234,
	.server_addr = "192.0.2.1",
	.server_port = 80,
	.server_software = "ferry/0.1.0",
	.script_name = "/s",
	.content_length = 0,
};

/* The largest body length: the number formatting at its widest. */
static const struct cgienv_info info_huge_body = {
	.remote_addr = "192.0.2.7",
	.remote_port = 4294967295u,
	.server_addr = "192.0.2.1",
	.server_port = 80,
	.server_software = "ferry/0.1.0",
	.script_name = "/s",
	.content_length = INT64_MAX,
};

/* A trusted front's host (server/connfwd.c): SERVER_NAME, before the
   request's own. */
static const struct cgienv_info info_forwarded = {
	.remote_addr = "192.0.2.7",
	.remote_port = 51234,
	.server_addr = "192.0.2.1",
	.server_port = 443,
	.server_name = "ferry.test",
	.server_software = "ferry/0.1.0",
	.https = 1,
	.script_name = "/s",
	.content_length = -1,
	.forwarded_host = { "front.example", 13 },
};

/* The common middle of the list for info_basic, after QUERY_STRING. */
#define BASIC_REMOTE	"REMOTE_ADDR=192.0.2.7", "REMOTE_PORT=51234"
#define BASIC_SCRIPT	"SCRIPT_NAME=/cgi-bin/env.cgi", \
			"SCRIPT_FILENAME=/srv/cgi-bin/env.cgi"
#define BASIC_SOFTWARE	"SERVER_SOFTWARE=ferry/0.1.0"
#define SIMPLE_SCRIPT	"SCRIPT_NAME=/s"

static const struct env_case env_cases[] = {
	/* 0: a GET with a query: the full set for a plain request. */
	{ "GET", "/cgi-bin/env.cgi?a=1&b=%20", "a=1&b=%20", "example.com", 1,
	  { "Host", "example.com", "User-Agent", "t/1", "Accept", "*/*",
	    NULL },
	  &info_basic,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=a=1&b=%20",
	    BASIC_REMOTE, "REQUEST_METHOD=GET",
	    "REQUEST_URI=/cgi-bin/env.cgi?a=1&b=%20", BASIC_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=example.com", "SERVER_PORT=80",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE, "REQUEST_SCHEME=http",
	    "HTTP_HOST=example.com", "HTTP_USER_AGENT=t/1",
	    "HTTP_ACCEPT=*/*", NULL } },
	/* 1: every variable at once, in the documented order. */
	{ "POST", "/app/extra/path?x", "x", "example.com", 1,
	  { "Host", "example.com", "Authorization", "Basic dXNlcjpwdw==",
	    "Content-Type", "text/plain", "Content-Length", "11", NULL },
	  &info_full,
	  { "AUTH_TYPE=Basic", "CONTENT_LENGTH=11", "CONTENT_TYPE=text/plain",
	    "GATEWAY_INTERFACE=CGI/1.1", "PATH_INFO=/extra/path",
	    "PATH_TRANSLATED=/srv/www/extra/path", "QUERY_STRING=x",
	    "REMOTE_ADDR=2001:db8::7", "REMOTE_PORT=1",
	    "REQUEST_METHOD=POST", "REQUEST_URI=/app/extra/path?x",
	    "SCRIPT_NAME=/app", "SCRIPT_FILENAME=/srv/www/app",
	    "SERVER_ADDR=2001:db8::1", "SERVER_NAME=example.com", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", "SERVER_SOFTWARE=ferry/0.1.0",
	    "REQUEST_SCHEME=https",
	    "HTTPS=on", "DOCUMENT_ROOT=/srv/www",
	    "HTTP_HOST=example.com",
	    "HTTP_AUTHORIZATION=Basic dXNlcjpwdw==", NULL } },
	/*
	 * 2: a POST: CONTENT_TYPE and CONTENT_LENGTH, never
	 * HTTP_CONTENT_TYPE or HTTP_CONTENT_LENGTH, whatever the case.
	 */
	{ "POST", "/cgi-bin/env.cgi", NULL, "example.com", 1,
	  { "Host", "example.com", "content-type",
	    "application/x-www-form-urlencoded", "CONTENT-LENGTH", "11",
	    NULL },
	  &info_post,
	  { "CONTENT_LENGTH=11",
	    "CONTENT_TYPE=application/x-www-form-urlencoded",
	    "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=POST", "REQUEST_URI=/cgi-bin/env.cgi",
	    "SCRIPT_NAME=/cgi-bin/env.cgi", "SERVER_ADDR=192.0.2.1", "SERVER_NAME=example.com",
	    "SERVER_PORT=80", "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=http",
	    "HTTP_HOST=example.com", NULL } },
	/*
	 * 3: repeated fields are joined into one variable at the place of
	 * the first, in order, "Accept", "accept" and "ACCEPT" alike.
	 */
	{ "GET", "/", NULL, "h", 1,
	  { "Accept", "text/html", "Host", "h", "accept", "*/*;q=0.1",
	    "X-Forwarded-For", "192.0.2.9", "ACCEPT", "image/png",
	    "x-forwarded-for", "198.51.100.1", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=h", "SERVER_PORT=443", "SERVER_PROTOCOL=HTTP/1.1",
	    BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_ACCEPT=text/html, */*;q=0.1, image/png", "HTTP_HOST=h",
	    "HTTP_X_FORWARDED_FOR=192.0.2.9, 198.51.100.1", NULL } },
	/* 4: httpoxy: a Proxy field, in any case, never becomes HTTP_PROXY;
	   nor does the Transfer-Encoding of a body the app gets de-chunked. */
	{ "GET", "/", NULL, "h", 1,
	  { "Host", "h", "Proxy", "http://evil.example:3128", "PROXY", "x",
	    "Proxy-Connection", "keep-alive", "Transfer-Encoding", "chunked",
	    NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=h", "SERVER_PORT=443", "SERVER_PROTOCOL=HTTP/1.1",
	    BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on", "HTTP_HOST=h",
	    "HTTP_PROXY_CONNECTION=keep-alive", NULL } },
	/*
	 * 5: a name with '_' (or any character but letters, digits, '-') is
	 * dropped, so "X_Foo" cannot pose as or join "X-Foo"; digits pass.
	 */
	{ "GET", "/", NULL, "h", 1,
	  { "X_Foo", "evil", "X-Foo", "good", "X.Bar", "evil", "x-foo",
	    "also", "X-1", "one", "x_foo", "evil", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=h", "SERVER_PORT=443", "SERVER_PROTOCOL=HTTP/1.1",
	    BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on", "HTTP_X_FOO=good, also",
	    "HTTP_X_1=one", NULL } },
	/* 6: no query: QUERY_STRING is still set, to "". */
	{ "GET", "/cgi-bin/env.cgi", NULL, "example.com", 1,
	  { "Host", "example.com", NULL },
	  &info_basic,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/cgi-bin/env.cgi",
	    BASIC_SCRIPT, "SERVER_ADDR=192.0.2.1", "SERVER_NAME=example.com", "SERVER_PORT=80",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE, "REQUEST_SCHEME=http",
	    "HTTP_HOST=example.com", NULL } },
	/* 7: an empty query ("/x?") is "" too; REQUEST_URI keeps the '?'. */
	{ "GET", "/cgi-bin/env.cgi?", "", "example.com", 1,
	  { "Host", "example.com", NULL },
	  &info_basic,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/cgi-bin/env.cgi?",
	    BASIC_SCRIPT, "SERVER_ADDR=192.0.2.1", "SERVER_NAME=example.com", "SERVER_PORT=80",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE, "REQUEST_SCHEME=http",
	    "HTTP_HOST=example.com", NULL } },
	/*
	 * 8: HTTP/1.0 without Host and without fields: SERVER_PROTOCOL is
	 * HTTP/1.0, SERVER_NAME is info->server_name, no HTTP_* at all.
	 */
	{ "HEAD", "/cgi-bin/env.cgi", NULL, NULL, 0,
	  { NULL },
	  &info_basic,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=HEAD", "REQUEST_URI=/cgi-bin/env.cgi",
	    BASIC_SCRIPT, "SERVER_ADDR=192.0.2.1", "SERVER_NAME=ferry.test", "SERVER_PORT=80",
	    "SERVER_PROTOCOL=HTTP/1.0", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=http", NULL } },
	/* 9: HTTPS=on comes right after SERVER_SOFTWARE. */
	{ "GET", "/s", NULL, "secure.example", 1,
	  { "Host", "secure.example", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/s", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=secure.example", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_HOST=secure.example", NULL } },
	/*
	 * 10: nothing optional: no AUTH_TYPE, CONTENT_*, PATH_INFO (empty),
	 * PATH_TRANSLATED, SCRIPT_FILENAME, HTTPS, DOCUMENT_ROOT; required
	 * values given as NULL go out as ""; no Host and no server_name:
	 * SERVER_NAME is server_addr.
	 */
	{ "GET", "/", NULL, NULL, 1,
	  { NULL },
	  &info_min,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", "REMOTE_ADDR=",
	    "REMOTE_PORT=0", "REQUEST_METHOD=GET", "REQUEST_URI=/",
	    "SCRIPT_NAME=", "SERVER_ADDR=192.0.2.1", "SERVER_NAME=192.0.2.1", "SERVER_PORT=8080",
	    "SERVER_PROTOCOL=HTTP/1.1", "SERVER_SOFTWARE=",
	    "REQUEST_SCHEME=http", NULL } },
	/* 11: SERVER_NAME from a Host with a port; SERVER_PORT from info. */
	{ "GET", "/", NULL, "example.com:8080", 1,
	  { "Host", "example.com:8080", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=example.com", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_HOST=example.com:8080", NULL } },
	/* 12: an IPv6 literal with a port keeps its brackets, loses the port. */
	{ "GET", "/", NULL, "[::1]:8080", 1,
	  { "Host", "[::1]:8080", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=[::1]", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_HOST=[::1]:8080", NULL } },
	/* 13: an IPv6 literal without a port is taken whole. */
	{ "GET", "/", NULL, "[2001:db8::1]", 1,
	  { "Host", "[2001:db8::1]", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=[2001:db8::1]", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_HOST=[2001:db8::1]", NULL } },
	/* 14: an empty Host (allowed by RFC 9112): info->server_name. */
	{ "GET", "/", NULL, "", 1,
	  { "Host", "", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=ferry.test", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_HOST=", NULL } },
	/* 15: a Host that is only a port has no host: info->server_name. */
	{ "GET", "/", NULL, ":8080", 1,
	  { "Host", ":8080", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=ferry.test", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_HOST=:8080", NULL } },
	/*
	 * 16: an absolute-form target: the authority names the server (the
	 * parser puts it in req->authority), userinfo is stripped.
	 */
	{ "GET", "http://u:p@abs.example:81/s?q", "q", "u:p@abs.example:81",
	  1,
	  { "Host", "other.example", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=q", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=http://u:p@abs.example:81/s?q",
	    SIMPLE_SCRIPT, "SERVER_ADDR=192.0.2.1", "SERVER_NAME=abs.example", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_HOST=other.example", NULL } },
	/* 17: no host, no server_name, no server_addr: SERVER_NAME="". */
	{ "GET", "/", NULL, NULL, 1,
	  { NULL },
	  &info_none,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=",
	    "REMOTE_ADDR=192.0.2.7", "REMOTE_PORT=65535",
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_NAME=", "SERVER_PORT=0", "SERVER_PROTOCOL=HTTP/1.1",
	    "SERVER_SOFTWARE=",
	    "REQUEST_SCHEME=http", NULL } },
	/*
	 * 18: AUTH_TYPE is the scheme alone ("Bearer" with no credentials);
	 * the first Authorization field decides; both are joined in HTTP_*.
	 */
	{ "GET", "/", NULL, "h", 1,
	  { "authorization", "Bearer", "Authorization", "Basic Zm9v", NULL },
	  &info_https,
	  { "AUTH_TYPE=Bearer", "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=",
	    BASIC_REMOTE, "REQUEST_METHOD=GET", "REQUEST_URI=/",
	    SIMPLE_SCRIPT, "SERVER_ADDR=192.0.2.1", "SERVER_NAME=h", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on",
	    "HTTP_AUTHORIZATION=Bearer, Basic Zm9v", NULL } },
	/* 19: an empty Authorization has no scheme: no AUTH_TYPE. */
	{ "GET", "/", NULL, "h", 1,
	  { "Authorization", "", NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=h", "SERVER_PORT=443", "SERVER_PROTOCOL=HTTP/1.1",
	    BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on", "HTTP_AUTHORIZATION=", NULL } },
	/*
	 * 20: a de-chunked body: CONTENT_LENGTH is what the caller passes;
	 * Transfer-Encoding is not passed on (the app gets the body
	 * de-chunked); the first of two
	 * Content-Type fields is CONTENT_TYPE.
	 */
	{ "PUT", "/s", NULL, NULL, 1,
	  { "Transfer-Encoding", "chunked", "Content-Type", "a/b",
	    "Content-Type", "c/d", NULL },
	  &info_dechunked,
	  { "CONTENT_LENGTH=5", "CONTENT_TYPE=a/b",
	    "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=PUT", "REQUEST_URI=/s", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=192.0.2.1", "SERVER_PORT=80",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=http", NULL } },
	/*
	 * 21: an empty body is CONTENT_LENGTH=0; an empty Content-Type is
	 * present, so CONTENT_TYPE=""; only excluded fields: no HTTP_*.
	 */
	{ "POST", "/s", NULL, NULL, 1,
	  { "Content-Length", "0", "Content-Type", "", NULL },
	  &info_empty_body,
	  { "CONTENT_LENGTH=0", "CONTENT_TYPE=", "GATEWAY_INTERFACE=CGI/1.1",
	    "QUERY_STRING=", BASIC_REMOTE, "REQUEST_METHOD=POST",
	    "REQUEST_URI=/s", SIMPLE_SCRIPT, "SERVER_ADDR=192.0.2.1", "SERVER_NAME=192.0.2.1",
	    "SERVER_PORT=80", "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=http",
	    NULL } },
	/* 22: the widest numbers: INT64_MAX and UINT_MAX. */
	{ "POST", "/s", NULL, NULL, 1,
	  { NULL },
	  &info_huge_body,
	  { "CONTENT_LENGTH=9223372036854775807", "GATEWAY_INTERFACE=CGI/1.1",
	    "QUERY_STRING=", "REMOTE_ADDR=192.0.2.7",
	    "REMOTE_PORT=4294967295", "REQUEST_METHOD=POST",
	    "REQUEST_URI=/s", SIMPLE_SCRIPT, "SERVER_ADDR=192.0.2.1", "SERVER_NAME=192.0.2.1",
	    "SERVER_PORT=80", "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=http",
	    NULL } },
	/*
	 * 23: two Cookie fields are joined with "; " (RFC 6265 allows one),
	 * other repeated fields with ", "; an empty value stays empty.
	 */
	{ "GET", "/", NULL, "h", 1,
	  { "Cookie", "a=1", "X-Empty", "", "cookie", "b=2", "X-Empty", "",
	    NULL },
	  &info_https,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=h", "SERVER_PORT=443", "SERVER_PROTOCOL=HTTP/1.1",
	    BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on", "HTTP_COOKIE=a=1; b=2",
	    "HTTP_X_EMPTY=, ", NULL } },
	/* 24: a trusted front's host is SERVER_NAME; Host passes as sent. */
	{ "GET", "/", NULL, "h:8080", 1,
	  { "Host", "h:8080", "X-Forwarded-Host", "front.example", NULL },
	  &info_forwarded,
	  { "GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", BASIC_REMOTE,
	    "REQUEST_METHOD=GET", "REQUEST_URI=/", SIMPLE_SCRIPT,
	    "SERVER_ADDR=192.0.2.1", "SERVER_NAME=front.example", "SERVER_PORT=443",
	    "SERVER_PROTOCOL=HTTP/1.1", BASIC_SOFTWARE,
	    "REQUEST_SCHEME=https", "HTTPS=on", "HTTP_HOST=h:8080",
	    "HTTP_X_FORWARDED_HOST=front.example", NULL } },
};

#define NCASES	(sizeof(env_cases) / sizeof(env_cases[0]))

static int
collect_sink(void *arg, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct collect	*c = arg;
	int		 len;

	if (c->n == c->stop_at)
		return -1;
	ck_assert_uint_lt(c->n, MAXVARS);
	ck_assert_uint_lt(nlen + 1 + vlen, MAXVAR);
	len = snprintf(c->vars[c->n], MAXVAR, "%.*s=%.*s", (int)nlen, name,
	    (int)vlen, value);
	ck_assert_int_eq(len, (int)(nlen + 1 + vlen));
	c->n++;
	return 0;
}

/* Copies s to the end of a fresh guarded mapping. */
static struct http1_span
built_span(struct built *b, const char *s)
{
	struct http1_span	sp;

	ck_assert_uint_lt(b->nguards, MAXSPANS);
	sp.len = strlen(s);
	sp.p = guard_copy(&b->guards[b->nguards++], s, sp.len);
	return sp;
}

static void
built_init(struct built *b, const struct env_case *tc)
{
	size_t	i;

	memset(b, 0, sizeof(*b));
	b->req.method = built_span(b, tc->method);
	b->req.target = built_span(b, tc->target);
	b->req.form = tc->target[0] == '/' ? HTTP1_TARGET_ORIGIN :
	    HTTP1_TARGET_ABSOLUTE;
	if (tc->authority != NULL)
		b->req.authority = built_span(b, tc->authority);
	if (tc->query != NULL)
		b->req.query = built_span(b, tc->query);
	b->req.minor = tc->minor;
	b->req.fields = b->fields;
	for (i = 0; tc->fields[2 * i] != NULL; i++) {
		ck_assert_uint_lt(i, MAXFIELDS);
		b->fields[i].name = built_span(b, tc->fields[2 * i]);
		b->fields[i].value = built_span(b, tc->fields[2 * i + 1]);
	}
	b->req.nfields = i;
}

static void
built_free(struct built *b)
{
	size_t	i;

	for (i = 0; i < b->nguards; i++)
		guard_free(&b->guards[i]);
}

static size_t
want_count(const struct env_case *tc)
{
	size_t	n;

	for (n = 0; tc->want[n] != NULL; n++)
		;
	return n;
}

/* Every case: the exact list of variables, in order. */
START_TEST(test_cgienv_cases)
{
	const struct env_case	*tc = &env_cases[_i];
	struct built		 b;
	struct collect		 c;
	size_t			 i, n;

	built_init(&b, tc);
	memset(&c, 0, sizeof(c));
	c.stop_at = SIZE_MAX;
	ck_assert_int_eq(cgienv_build(&b.req, tc->info, collect_sink, &c), 0);
	n = want_count(tc);
	for (i = 0; i < n && i < c.n; i++)
		ck_assert_msg(strcmp(c.vars[i], tc->want[i]) == 0,
		    "case %d var %zu: got \"%s\", want \"%s\"", _i, i,
		    c.vars[i], tc->want[i]);
	ck_assert_msg(c.n == n, "case %d: got %zu vars, want %zu (next %s)",
	    _i, c.n, n, c.n > n ? c.vars[n] : tc->want[c.n]);
	built_free(&b);
}
END_TEST

/*
 * Every case, with a sink that refuses the k-th variable for every k:
 * cgienv_build returns -1 at once, after exactly k variables, and frees
 * its scratch buffer (ASan's leak check would see it otherwise).
 */
START_TEST(test_cgienv_sink_stops)
{
	const struct env_case	*tc = &env_cases[_i];
	struct built		 b;
	struct collect		 c;
	size_t			 i, k, n;

	built_init(&b, tc);
	n = want_count(tc);
	for (k = 0; k < n; k++) {
		memset(&c, 0, sizeof(c));
		c.stop_at = k;
		ck_assert_int_eq(cgienv_build(&b.req, tc->info, collect_sink,
		    &c), -1);
		ck_assert_uint_eq(c.n, k);
		for (i = 0; i < k; i++)
			ck_assert_str_eq(c.vars[i], tc->want[i]);
	}
	built_free(&b);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cgienv");
	TCase	*tc = tcase_create("cgienv");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_cgienv_cases, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_cgienv_sink_stops, 0, (int)NCASES);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
