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
	int		 https;			/* HTTPS=on when set */
	const char	*script_name;		/* URL path of the script */
	const char	*script_filename;	/* file system path */
	const char	*path_info;		/* decoded; "" or NULL: none */
	const char	*path_translated;	/* NULL: not set */
	const char	*document_root;		/* NULL: not set */
	int64_t		 content_length;	/* body length; -1: no body */
};

/*
 * Called once per variable; name and value are not NUL-terminated and are
 * valid only during the call.  Returns 0, or -1 to stop the build.
 */
typedef int (*cgienv_sink)(void *arg, const char *name, size_t nlen,
    const char *value, size_t vlen);

/*
 * Emits every meta-variable for req and info: AUTH_TYPE, CONTENT_LENGTH,
 * CONTENT_TYPE, GATEWAY_INTERFACE, PATH_INFO, PATH_TRANSLATED, QUERY_STRING,
 * REMOTE_ADDR, REMOTE_PORT, REQUEST_METHOD, REQUEST_URI, SCRIPT_NAME,
 * SCRIPT_FILENAME, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL,
 * SERVER_SOFTWARE, HTTPS (when on), DOCUMENT_ROOT (when set), then HTTP_*
 * for the other fields: repeated fields joined with ", ", never
 * HTTP_PROXY (httpoxy), HTTP_CONTENT_LENGTH or HTTP_CONTENT_TYPE, and no
 * field whose name holds a character other than letters, digits and '-'
 * (so "X_Foo" cannot pose as "X-Foo").  Returns 0, or -1 when the sink
 * stopped it or memory ran out.
 */
int	cgienv_build(const struct http1_request *req, const struct cgienv_info *info,
	    cgienv_sink sink, void *arg);

#endif
