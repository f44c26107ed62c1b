/*
 * libferry: the request object and what the app reads of it.  It owns a
 * request's life as memory (new, recycled as the connection's spare with
 * its buffers, freed), the decoding of the PARAMS stream into name/value
 * strings, and the accessors over them: ferry_param, ferry_header and the
 * CGI variables with a name of their own.
 */
#include "config.h"

#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/chunked.h"
#include "protocol/fcgi.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

#define FERRY_KEEP_MAX		(64 * 1024) /* larger request buffers are
					   not kept for the next request */

static void	*ferry_grow(void *p, size_t *cap, size_t need, size_t size);

/* A new request: c's spare one when there is one.  mu held. */
struct ferry_req *
ferry_req_new(struct ferry_conn *c, uint16_t id, int keep_conn)
{
	struct ferry_req	*req;

	if ((req = c->spare) != NULL)
		c->spare = NULL;
	else {
		if ((req = malloc(sizeof(*req))) == NULL)
			return NULL;
		/* All but the output buffer, which needs no zeroing. */
		memset(req, 0, offsetof(struct ferry_req, out));
		pthread_mutex_init(&req->omu, NULL);
	}
	req->conn = c;
	req->id = id;
	req->keep_conn = keep_conn;
	req->state = FERRY_REQ_PARAMS;
	req->efd = -1;
	req->hijack_fd = -1;
	req->status = 200;
	return req;
}

/*
 * Done with req: it becomes c's spare, keeping its buffers (up to
 * FERRY_KEEP_MAX each, and the body ring) for the next request, or is
 * freed when there is a spare already.  mu held.
 */
void
ferry_req_recycle(struct ferry_conn *c, struct ferry_req *req)
{
	uint8_t		*praw, *in;
	char		*pstore, *path, *hdrs;
	const char	**pv;
	size_t		 prawcap, pstorecap, pvcap, pathcap, hcap;

	if (c->spare != NULL) {
		ferry_req_free(req);
		return;
	}
	if (req->efd != -1)
		close(req->efd);
	if (req->hijack_fd != -1)
		close(req->hijack_fd);
	free(req->hj);
	if (req->prawcap > FERRY_KEEP_MAX) {
		free(req->praw);
		req->praw = NULL;
		req->prawcap = 0;
	}
	if (req->pstorecap > FERRY_KEEP_MAX) {
		free(req->pstore);
		free(req->pv);
		req->pstore = NULL;
		req->pv = NULL;
		req->pstorecap = req->pvcap = 0;
	}
	if (req->hcap > FERRY_KEEP_MAX) {
		free(req->hdrs);
		req->hdrs = NULL;
		req->hcap = 0;
	}
	praw = req->praw;
	prawcap = req->prawcap;
	pstore = req->pstore;
	pstorecap = req->pstorecap;
	pv = req->pv;
	pvcap = req->pvcap;
	path = req->path;
	pathcap = req->pathcap;
	hdrs = req->hdrs;
	hcap = req->hcap;
	in = req->in;
	pthread_mutex_destroy(&req->omu);
	memset(req, 0, offsetof(struct ferry_req, out));
	pthread_mutex_init(&req->omu, NULL);
	req->efd = -1;
	req->hijack_fd = -1;
	req->praw = praw;
	req->prawcap = prawcap;
	req->pstore = pstore;
	req->pstorecap = pstorecap;
	req->pv = pv;
	req->pvcap = pvcap;
	req->path = path;
	req->pathcap = pathcap;
	req->hdrs = hdrs;
	req->hcap = hcap;
	req->in = in;
	c->spare = req;
}

void
ferry_req_free(struct ferry_req *req)
{
	if (req->efd != -1)
		close(req->efd);
	if (req->hijack_fd != -1)
		close(req->hijack_fd);
	free(req->hj);
	pthread_mutex_destroy(&req->omu);
	free(req->praw);
	free(req->pstore);
	free(req->pv);
	free(req->path);
	free(req->in);
	free(req->hdrs);
	free(req);
}

/* p, of *cap units of size, grown to hold need units (> *cap): the new
   pointer, or NULL with p unchanged. */
static void *
ferry_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t	 ncap = *cap == 0 ? 64 : *cap;

	while (ncap < need)
		ncap *= 2;
	if ((p = realloc(p, ncap * size)) != NULL)
		*cap = ncap;
	return p;
}

/*
 * Decodes the collected PARAMS stream into NUL-terminated name/value
 * strings.  Returns 0, or -1 when it is malformed or memory runs out.
 */
int
ferry_req_params(struct ferry_req *req)
{
	const char	*name, *value, *sn, *pi, **pv;
	size_t		 nlen, vlen, off, n = 0, store = 0, i, snl, pil;
	ssize_t		 r;
	char		*p;

	for (off = 0; off < req->prawlen; off += (size_t)r, n++) {
		r = fcgi_nv_decode(req->praw + off, req->prawlen - off,
		    &name, &nlen, &value, &vlen);
		if (r <= 0)
			return -1;	/* a pair runs past the stream's end */
		store += nlen + vlen + 2;
	}
	if (store + 1 > req->pstorecap) {
		if ((p = ferry_grow(req->pstore, &req->pstorecap, store + 1,
		    1)) == NULL)
			return -1;
		req->pstore = p;
	}
	if (2 * n + 1 > req->pvcap) {
		if ((pv = ferry_grow(req->pv, &req->pvcap, 2 * n + 1,
		    sizeof(*pv))) == NULL)
			return -1;
		req->pv = pv;
	}
	req->pv[2 * n] = NULL;
	p = req->pstore;
	for (off = 0, i = 0; i < n; i++) {
		r = fcgi_nv_decode(req->praw + off, req->prawlen - off,
		    &name, &nlen, &value, &vlen);
		off += (size_t)r;
		req->pv[2 * i] = p;
		memcpy(p, name, nlen);
		p[nlen] = '\0';
		p += nlen + 1;
		req->pv[2 * i + 1] = p;
		memcpy(p, value, vlen);
		p[vlen] = '\0';
		p += vlen + 1;
	}
	req->np = n;
	req->prawlen = 0;	/* its buffer is kept for the next request */

	sn = ferry_script_name(req);
	pi = ferry_path_info(req);
	snl = strlen(sn);
	pil = strlen(pi);
	if (snl + pil + 1 > req->pathcap) {
		if ((p = ferry_grow(req->path, &req->pathcap, snl + pil + 1,
		    1)) == NULL)
			return -1;
		req->path = p;
	}
	memcpy(req->path, sn, snl);
	memcpy(req->path + snl, pi, pil + 1);
	if ((value = ferry_param(req, FERRY_PARAM_EXTENSIONS)) != NULL &&
	    fcgi_list_has(value, strlen(value), FERRY_EXT_WINDOW))
		req->window = 1;
	if ((value = ferry_param(req, FERRY_PARAM_CHUNKED)) != NULL &&
	    strcmp(value, "1") == 0) {
		req->raw_chunked = 1;
		chunked_init(&req->chunk);
	}
	return 0;
}

const char *
ferry_param(const struct ferry_req *req, const char *name)
{
	size_t	 i;

	for (i = 0; i < req->np; i++)
		if (strcmp(req->pv[2 * i], name) == 0)
			return req->pv[2 * i + 1];
	return NULL;
}

int
ferry_param_at(const struct ferry_req *req, size_t i, const char **name,
    const char **value)
{
	if (i >= req->np)
		return 0;
	*name = req->pv[2 * i];
	*value = req->pv[2 * i + 1];
	return 1;
}

const char *
ferry_method(const struct ferry_req *req)
{
	const char	*v = ferry_param(req, "REQUEST_METHOD");

	return v != NULL ? v : "";
}

const char *
ferry_script_name(const struct ferry_req *req)
{
	const char	*v = ferry_param(req, "SCRIPT_NAME");

	return v != NULL ? v : "";
}

const char *
ferry_path_info(const struct ferry_req *req)
{
	const char	*v = ferry_param(req, "PATH_INFO");

	return v != NULL ? v : "";
}

const char *
ferry_query(const struct ferry_req *req)
{
	const char	*v = ferry_param(req, "QUERY_STRING");

	return v != NULL ? v : "";
}

const char *
ferry_path(const struct ferry_req *req)
{
	return req->path != NULL ? req->path : "";
}

/* RFC 9110 tchar. */
int
ferry_is_tchar(int ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* ASCII case-insensitive comparison: 0 when equal. */
int
ferry_casecmp(const char *a, const char *b)
{
	int	 x, y;

	for (;; a++, b++) {
		x = (unsigned char)*a;
		y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y || x == '\0')
			return x - y;
	}
}

const char *
ferry_header(const struct ferry_req *req, const char *name)
{
	char	 key[5 + FERRY_HEADER_NAME_MAX + 1];
	size_t	 i, len = strlen(name);
	int	 ch;

	if (len == 0 || len > FERRY_HEADER_NAME_MAX)
		return NULL;
	if (ferry_casecmp(name, "Content-Type") == 0)
		return ferry_param(req, "CONTENT_TYPE");
	if (ferry_casecmp(name, "Content-Length") == 0)
		return ferry_param(req, "CONTENT_LENGTH");
	memcpy(key, "HTTP_", 5);
	for (i = 0; i < len; i++) {
		ch = (unsigned char)name[i];
		if (!ferry_is_tchar(ch))
			return NULL;
		if (ch >= 'a' && ch <= 'z')
			ch -= 'a' - 'A';
		else if (ch == '-')
			ch = '_';
		key[5 + i] = (char)ch;
	}
	key[5 + len] = '\0';
	return ferry_param(req, key);
}

int64_t
ferry_content_length(const struct ferry_req *req)
{
	const char	*p = ferry_param(req, "CONTENT_LENGTH");
	int64_t		 n = 0;

	if (p == NULL || *p == '\0')
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (n > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

unsigned
ferry_request_id(const struct ferry_req *req)
{
	return req->id;
}
