/*
 * rawhijack: a FastCGI worker written on the bare records (protocol/fcgi.h),
 * to drive the master's side of hijack where libferry would stop itself
 * first.  It announces "close-notify,hijack", serves one connection at a
 * time, and for each request runs the scenario named by QUERY_STRING,
 * writing what the master answered to stderr (ferryd's error log) as
 * "rawhijack: SCENARIO: ANSWER":
 *
 *   stale     HIJACK for another request id: expects HIJACK_REFUSED
 *   twice     HIJACK, then HIJACK again once the socket came: the second
 *             is refused; writes a response of its own on the socket
 *   complete  a whole response (STDOUT ended), then HIJACK: refused
 *
 * ANSWER is "refused <reason text>" or "hijacked <n> bytes, fd ok|none".
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdpass/fdpass.h"
#include "protocol/fcgi.h"

struct raw {
	int	 fd;
	uint8_t	 buf[FCGI_RECORD_MAX_LEN * 2];
	size_t	 len;
	int	 xfd;		/* an fd that came with the bytes */
};

static int	raw_next(struct raw *, struct fcgi_header *, uint8_t *);
static int	raw_send(int, uint8_t, uint16_t, const void *, size_t);
static int	raw_answer(struct raw *, uint16_t, const char *);
static void	raw_request(struct raw *, uint16_t, const char *);

/* The next whole record into *h and content; 0, or -1 at EOF/error. */
static int
raw_next(struct raw *r, struct fcgi_header *h, uint8_t *content)
{
	struct fcgi_record	 rec;
	ssize_t			 n;
	int			 xfd;

	for (;;) {
		n = fcgi_record_parse(r->buf, r->len, &rec);
		if (n < 0)
			return -1;
		if (n > 0) {
			*h = rec.h;
			if (rec.h.content_length > 0)
				memcpy(content, rec.content,
				    rec.h.content_length);
			memmove(r->buf, r->buf + n, r->len - (size_t)n);
			r->len -= (size_t)n;
			return 0;
		}
		n = fdpass_recv(r->fd, r->buf + r->len,
		    sizeof(r->buf) - r->len, &xfd);
		if (n <= 0)
			return -1;
		if (xfd != -1) {
			if (r->xfd != -1)
				close(r->xfd);
			r->xfd = xfd;
		}
		r->len += (size_t)n;
	}
}

static int
raw_send(int fd, uint8_t type, uint16_t id, const void *p, size_t len)
{
	uint8_t	 rec[FCGI_HEADER_LEN + 256 + 8];
	uint8_t	 pad;

	pad = fcgi_record_header(rec, type, id, len);
	if (len > 0)
		memcpy(rec + FCGI_HEADER_LEN, p, len);
	memset(rec + FCGI_HEADER_LEN + len, 0, pad);
	return write(fd, rec, FCGI_HEADER_LEN + len + pad) ==
	    (ssize_t)(FCGI_HEADER_LEN + len + pad) ? 0 : -1;
}

/*
 * Sends HIJACK for id and reads until its answer, skipping the request's
 * other records.  Logs the answer for scenario what.  Returns the socket
 * when it was handed over, else -1.
 */
static int
raw_answer(struct raw *r, uint16_t id, const char *what)
{
	struct fcgi_header	 h;
	uint8_t			 c[FCGI_MAX_LENGTH];
	size_t			 got = 0;
	int			 sock = -1;

	if (raw_send(r->fd, FERRY_HIJACK, id, NULL, 0) == -1)
		return -1;
	while (raw_next(r, &h, c) == 0) {
		if (h.request_id != id)
			continue;
		if (h.type == FERRY_HIJACK_REFUSED) {
			fprintf(stderr, "rawhijack: %s: refused %.*s\n", what,
			    (int)h.content_length, (const char *)c);
			return -1;
		}
		if (h.type != FERRY_HIJACKED)
			continue;
		if (sock == -1) {
			sock = r->xfd;
			r->xfd = -1;
		}
		got += h.content_length;
		if (h.content_length == 0) {
			fprintf(stderr, "rawhijack: %s: hijacked %zu bytes, "
			    "fd %s\n", what, got, sock != -1 ? "ok" : "none");
			return sock;
		}
	}
	return -1;
}

static void
raw_request(struct raw *r, uint16_t id, const char *q)
{
	static const char	 resp[] = "Content-Type: text/plain\r\n\r\nok\n";
	uint8_t			 end[FCGI_END_REQUEST_LEN];
	char			 line[128];
	int			 sock;

	if (strcmp(q, "stale") == 0) {
		(void)raw_answer(r, (uint16_t)(id + 1), "stale");
		(void)raw_send(r->fd, FCGI_STDOUT, id, resp, sizeof(resp) - 1);
	} else if (strcmp(q, "twice") == 0) {
		sock = raw_answer(r, id, "twice-1");
		(void)raw_answer(r, id, "twice-2");
		if (sock != -1) {
			snprintf(line, sizeof(line), "HTTP/1.0 200 OK\r\n"
			    "Content-Length: 3\r\n\r\nok\n");
			(void)write(sock, line, strlen(line));
			close(sock);
		}
	} else if (strcmp(q, "complete") == 0) {
		(void)raw_send(r->fd, FCGI_STDOUT, id, resp, sizeof(resp) - 1);
		(void)raw_send(r->fd, FCGI_STDOUT, id, NULL, 0);
		(void)raw_answer(r, id, "complete");
	} else
		(void)raw_send(r->fd, FCGI_STDOUT, id, resp, sizeof(resp) - 1);
	(void)raw_send(r->fd, FCGI_STDOUT, id, NULL, 0);
	fcgi_end_request_encode(end, 0, FCGI_REQUEST_COMPLETE);
	(void)raw_send(r->fd, FCGI_END_REQUEST, id, end, sizeof(end));
}

int
main(void)
{
	static const char	 values[] = FERRY_EXT_CLOSE_NOTIFY ","
	    FERRY_EXT_HIJACK;
	struct raw		 r;
	struct fcgi_header	 h;
	uint8_t			 c[FCGI_MAX_LENGTH], out[256];
	char			 query[256];
	const char		*name, *value;
	size_t			 nlen, vlen, off, n;
	ssize_t			 k;
	int			 cfd;

	r.xfd = -1;
	for (;;) {
		if ((cfd = accept(0, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return 1;
		}
		r.fd = cfd;
		r.len = 0;
		query[0] = '\0';
		while (raw_next(&r, &h, c) == 0) {
			switch (h.type) {
			case FCGI_GET_VALUES:
				n = fcgi_nv_encode(out, sizeof(out),
				    FERRY_EXTENSIONS, strlen(FERRY_EXTENSIONS),
				    values, strlen(values));
				(void)raw_send(cfd, FCGI_GET_VALUES_RESULT, 0,
				    out, n);
				break;
			case FCGI_PARAMS:
				for (off = 0; off < h.content_length;
				    off += (size_t)k) {
					k = fcgi_nv_decode(c + off,
					    h.content_length - off, &name,
					    &nlen, &value, &vlen);
					if (k <= 0)
						break;
					if (nlen == 12 && memcmp(name,
					    "QUERY_STRING", 12) == 0 &&
					    vlen < sizeof(query)) {
						memcpy(query, value, vlen);
						query[vlen] = '\0';
					}
				}
				if (h.content_length == 0)
					raw_request(&r, h.request_id, query);
				break;
			default:
				break;
			}
		}
		close(cfd);
		if (r.xfd != -1) {
			close(r.xfd);
			r.xfd = -1;
		}
	}
}
