/*
 * CGI/1.1 meta-variables (RFC 3875 section 4.1), built once from a parsed
 * request and connection facts and handed to a sink, so that the same code
 * feeds execve's environment and FastCGI PARAMS.
 */
#ifndef FERRY_PROTOCOL_CGIENV_H
#define FERRY_PROTOCOL_CGIENV_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/http1.h"

/* Facts about the connection and the script, from the server. */
struct cgienv_info {
	const char	*remote_addr;		/* numeric, e.g. "127.0.0.1" */
	unsigned int	 remote_port;
	const char	*server_addr;		/* local address, numeric */
	unsigned int	 server_port;
	const char	*server_name;		/* used when the request names
						   no host; NULL: server_addr */
	const char	*server_software;	/* "ferry/0.1.0" */
	int		 https;			/* HTTPS=on and REQUEST_SCHEME=https
						   when set */
	const char	*script_name;		/* URL path of the script */
	const char	*script_filename;	/* file system path */
	const char	*path_info;		/* decoded; "" or NULL: none */
	const char	*path_translated;	/* NULL: not set */
	const char	*document_root;		/* NULL: not set */
	int64_t		 content_length;	/* body length; -1: no body */
	struct http1_span forwarded_host;	/* p != NULL: SERVER_NAME, before
						   the request's own host (a
						   trusted front's word) */
};

/*
 * Called once per variable; name and value are not NUL-terminated and are
 * valid only during the call.  Returns 0, or -1 to stop the build.
 */
typedef int (*cgienv_sink)(void *arg, const char *name, size_t nlen,
    const char *value, size_t vlen);

/*
 * Emits every meta-variable for req and info, in this order:
 *   AUTH_TYPE          only with an Authorization field: its scheme token
 *   CONTENT_LENGTH     only when info->content_length >= 0 (pass the body
 *                      length, also of a de-chunked body)
 *   CONTENT_TYPE       only with a Content-Type field (the first one)
 *   GATEWAY_INTERFACE  "CGI/1.1"
 *   PATH_INFO          only when info->path_info is non-empty
 *   PATH_TRANSLATED    only when set
 *   QUERY_STRING       raw query, "" without one (RFC 3875: always set)
 *   REMOTE_ADDR, REMOTE_PORT, REQUEST_METHOD, REQUEST_URI (raw target),
 *   SCRIPT_NAME        always ("" for NULL)
 *   SCRIPT_FILENAME    only when set
 *   SERVER_ADDR        info->server_addr, when set and not "" (not in
 *                      RFC 3875; the address the client reached)
 *   SERVER_NAME        info->forwarded_host when set, else
 *                      host of req->authority, as sent, without userinfo
 *                      and port, an IPv6 literal with its brackets ("[::1]");
 *                      no host: info->server_name, else info->server_addr
 *   SERVER_PORT        info->server_port
 *   SERVER_PROTOCOL    "HTTP/1.0" or "HTTP/1.1" from req->minor
 *   SERVER_SOFTWARE    always ("" for NULL)
 *   REQUEST_SCHEME     always: "https" when info->https, else "http"
 *   HTTPS              "on", only when info->https
 *   DOCUMENT_ROOT      only when set
 *   HTTP_*             one per field name, in order of first appearance:
 *                      uppercased, '-' made '_', repeated fields (names
 *                      compared case-insensitively) joined with ", "
 *                      (Cookie: "; ").  Never HTTP_PROXY (httpoxy),
 *                      HTTP_CONTENT_LENGTH, HTTP_CONTENT_TYPE or
 *                      HTTP_TRANSFER_ENCODING (the body the app gets is
 *                      de-chunked, with CONTENT_LENGTH), and no
 *                      field whose name holds a character other than ASCII
 *                      letters, digits and '-' (so "X_Foo" cannot pose as
 *                      "X-Foo").  Authorization is passed (apps do their
 *                      own auth).
 * Allocates one scratch buffer, freed before returning.  Returns 0, or -1
 * when the sink returned -1 (nothing more is emitted) or memory ran out.
 */
int	cgienv_build(const struct http1_request *req, const struct cgienv_info *info,
	    cgienv_sink sink, void *arg);

#endif
