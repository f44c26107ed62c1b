#include "config.h"

#include "protocol/http1.h"

/* Placeholder until the module lands. */
ssize_t
http1_parse_request(const char *buf, size_t len, struct http1_request *req,
    const struct http1_limits *lim)
{
	return -400;
}
