/*
 * A libferry test app for hijack, one behaviour per path (the tests in
 * tests/integration/hijack_test.c drive it through ferryd):
 *
 *   /addr         uses close-notify, answers "X-Addr: REMOTE_ADDR:PORT"
 *   /hijack       hijacks, checks the socket's peer is REMOTE_ADDR:PORT,
 *                 writes "HTTP/1.0 200 OK" with X-Addr and X-Peer-Ok and
 *                 closes
 *   /notify-hijack  asks for close-notify, then hijacks, as /hijack
 *   /echo         hijacks (after ?wait=pipelined: after PIPELINED came),
 *                 writes "HTTP/1.0 200 OK" with X-After (what ferry_read
 *                 and ferry_write say after the hijack), X-Notified, then
 *                 every byte it got (buffered, then the socket) to EOF
 *   /flush-hijack writes and flushes "Hello, ", hijacks, and writes the
 *                 rest of the chunked body itself
 *   /upgrade      101 with "Upgrade: raw", flushes, hijacks, echoes raw
 *   /upgrade-only 101 with "Upgrade: raw", flushes, and returns without
 *                 taking the socket
 *   /double       hijacks twice: the second answer goes on the socket
 *   /late?log=F   waits for GONE, then tries to hijack; appends the
 *                 result ("late: ENOTCONN ...") to file F
 *   /hold         hijacks and keeps the socket in a thread that echoes
 *                 lines; the handler returns at once.  When ferryd
 *                 retires the worker, every held socket gets the line
 *                 "retiring WHY GRACE_MS\n" (WHY: recycled, idle,
 *                 reloaded or stopping) and the app exits once the last
 *                 one closed
 *   /die          hijacks, then the worker exits holding the socket
 *   /body         answers "len=CONTENT_LENGTH body=BODY" (the body read
 *                 with ferry_read; len is ferry_content_length)
 *   /pid          answers its pid
 *
 * Query parameters are "name=value" pairs separated by '&', not decoded.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/ferry.h"

static int	hj_writeall(int, const void *, size_t);
static int	hj_peer_ok(struct ferry_req *, int);
static const char *hj_query(struct ferry_req *, const char *, char *,
		    size_t);
static const char *hj_errname(int);

/* The sockets /hold keeps, for the going-away line. */
#define HJ_HELD_MAX	64
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 fd[HJ_HELD_MAX];
	int		 n;
} hj_held = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 },
	0 };

static int
hj_writeall(int fd, const void *p, size_t len)
{
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, b, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1 when fd's peer is the request's REMOTE_ADDR:REMOTE_PORT. */
static int
hj_peer_ok(struct ferry_req *req, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 addr[64], port[16];
	const char		*ra = ferry_param(req, "REMOTE_ADDR");
	const char		*rp = ferry_param(req, "REMOTE_PORT");

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    ra == NULL || rp == NULL)
		return 0;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", ntohs(sin6->sin6_port));
	} else if (ss.ss_family == AF_UNIX)
		return strcmp(ra, "unix") == 0 || ra[0] == '\0';
	else
		return 0;
	return strcmp(addr, ra) == 0 && strcmp(port, rp) == 0;
}

/* The value of query parameter name, copied to buf, or NULL. */
static const char *
hj_query(struct ferry_req *req, const char *name, char *buf, size_t len)
{
	const char	*q = ferry_query(req), *end;
	size_t		 nlen = strlen(name), vlen;

	while (*q != '\0') {
		end = strchr(q, '&');
		if (end == NULL)
			end = q + strlen(q);
		if ((size_t)(end - q) > nlen && strncmp(q, name, nlen) == 0 &&
		    q[nlen] == '=') {
			vlen = (size_t)(end - q) - nlen - 1;
			if (vlen >= len)
				vlen = len - 1;
			memcpy(buf, q + nlen + 1, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		q = *end == '&' ? end + 1 : end;
	}
	return NULL;
}

static const char *
hj_errname(int e)
{
	switch (e) {
	case 0:			return "0";
	case EOPNOTSUPP:	return "EOPNOTSUPP";
	case EALREADY:		return "EALREADY";
	case ESHUTDOWN:		return "ESHUTDOWN";
	case ENOTCONN:		return "ENOTCONN";
	case ECONNREFUSED:	return "ECONNREFUSED";
	case EPIPE:		return "EPIPE";
	case EPERM:		return "EPERM";
	default:		return "other";
	}
}

/* Echoes lines on a hijacked socket until EOF, then closes it (and
   forgets it: the last one lets a retired worker end). */
static void *
hj_hold(void *arg)
{
	int	 fd = (int)(intptr_t)arg, i;
	char	 b[4096];
	ssize_t	 n;

	while ((n = read(fd, b, sizeof(b))) > 0) {
		pthread_mutex_lock(&hj_held.mu);	/* vs the retire line */
		n = hj_writeall(fd, b, (size_t)n);
		pthread_mutex_unlock(&hj_held.mu);
		if (n == -1)
			break;
	}
	pthread_mutex_lock(&hj_held.mu);
	for (i = 0; i < hj_held.n; i++)
		if (hj_held.fd[i] == fd) {
			hj_held.fd[i] = hj_held.fd[--hj_held.n];
			break;
		}
	close(fd);
	pthread_cond_broadcast(&hj_held.cv);
	pthread_mutex_unlock(&hj_held.mu);
	return NULL;
}

/* ferryd retired the worker: each held socket hears it. */
static void
hj_retire(int why, int grace_ms, void *arg)
{
	char	 line[64];
	int	 i, n;

	(void)arg;
	n = snprintf(line, sizeof(line), "retiring %s %d\n",
	    why == FERRY_RETIRED_IDLE ? "idle" : why == FERRY_RETIRED_STOPPING ?
	    "stopping" : why == FERRY_RETIRED_RELOADED ? "reloaded" :
	    "recycled", grace_ms);
	pthread_mutex_lock(&hj_held.mu);
	for (i = 0; i < hj_held.n; i++)
		(void)hj_writeall(hj_held.fd[i], line, (size_t)n);
	pthread_mutex_unlock(&hj_held.mu);
}

static int
handle(struct ferry_req *req, void *arg)
{
	const char	*path = ferry_path_info(req);
	char		 head[512], qv[256], b[65536];
	void		*buf;
	size_t		 len;
	ssize_t		 n;
	int		 fd, e1, e2, notified;

	(void)arg;
	if (strcmp(path, "/addr") == 0) {
		(void)ferry_notify_fd(req);
		snprintf(head, sizeof(head), "%s:%s",
		    ferry_param(req, "REMOTE_ADDR"),
		    ferry_param(req, "REMOTE_PORT"));
		ferry_add_header(req, "X-Addr", head);
		ferry_printf(req, "ok\n");
		return 0;
	}
	if (strcmp(path, "/hijack") == 0 ||
	    strcmp(path, "/notify-hijack") == 0) {
		if (strcmp(path, "/notify-hijack") == 0)
			(void)ferry_notify_fd(req);
		if ((fd = ferry_hijack(req, &buf, &len)) == -1) {
			ferry_status(req, 500);
			ferry_printf(req, "hijack: %s\n",
			    ferry_hijack_error(req));
			return 0;
		}
		n = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\n"
		    "X-Addr: %s:%s\r\nX-Peer-Ok: %d\r\nX-Buffered: %zu\r\n"
		    "Content-Length: 0\r\n\r\n",
		    ferry_param(req, "REMOTE_ADDR"),
		    ferry_param(req, "REMOTE_PORT"), hj_peer_ok(req, fd), len);
		(void)hj_writeall(fd, head, (size_t)n);
		free(buf);
		close(fd);
		return 0;
	}
	if (strcmp(path, "/echo") == 0) {
		if (hj_query(req, "wait", qv, sizeof(qv)) != NULL &&
		    strcmp(qv, "pipelined") == 0)
			(void)ferry_wait_notify(req, FERRY_PIPELINED, 5000);
		if ((fd = ferry_hijack(req, &buf, &len)) == -1) {
			ferry_status(req, 500);
			ferry_printf(req, "hijack: %s\n",
			    ferry_hijack_error(req));
			return 0;
		}
		errno = 0;
		e1 = ferry_read(req, b, 1) == -1 ? errno : 0;
		errno = 0;
		e2 = ferry_write(req, "x", 1) == -1 ? errno : 0;
		n = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\n"
		    "X-After: %s %s\r\nX-Buffered: %zu\r\n\r\n",
		    hj_errname(e1), hj_errname(e2), len);
		(void)hj_writeall(fd, head, (size_t)n);
		if (len > 0)
			(void)hj_writeall(fd, buf, len);
		free(buf);
		while ((n = read(fd, b, sizeof(b))) > 0)
			if (hj_writeall(fd, b, (size_t)n) == -1)
				break;
		notified = ferry_notified(req);
		close(fd);
		if (hj_query(req, "log", qv, sizeof(qv)) != NULL) {
			FILE	*f = fopen(qv, "a");

			if (f != NULL) {
				fprintf(f, "echo: notified=%d\n", notified);
				fclose(f);
			}
		}
		return 0;
	}
	if (strcmp(path, "/flush-hijack") == 0) {
		ferry_printf(req, "Hello, ");
		ferry_flush(req);
		if ((fd = ferry_hijack(req, &buf, &len)) == -1)
			return 1;
		free(buf);
		(void)hj_writeall(fd, "6\r\nworld!\r\n0\r\n\r\n", 17);
		close(fd);
		return 0;
	}
	if (strcmp(path, "/upgrade") == 0) {
		ferry_status(req, 101);
		ferry_add_header(req, "Upgrade", "raw");
		ferry_add_header(req, "Connection", "Upgrade");
		ferry_flush(req);
		if ((fd = ferry_hijack(req, &buf, &len)) == -1)
			return 1;
		if (len > 0)
			(void)hj_writeall(fd, buf, len);
		free(buf);
		while ((n = read(fd, b, sizeof(b))) > 0)
			if (hj_writeall(fd, b, (size_t)n) == -1)
				break;
		close(fd);
		return 0;
	}
	if (strcmp(path, "/upgrade-only") == 0) {
		ferry_status(req, 101);
		ferry_add_header(req, "Upgrade", "raw");
		ferry_add_header(req, "Connection", "Upgrade");
		ferry_flush(req);
		return 0;
	}
	if (strcmp(path, "/double") == 0) {
		if ((fd = ferry_hijack(req, &buf, &len)) == -1)
			return 1;
		free(buf);
		e1 = ferry_hijack(req, &buf, &len) == -1 ? errno : 0;
		n = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\n"
		    "X-Second: %s\r\nContent-Length: 0\r\n\r\n",
		    hj_errname(e1));
		(void)hj_writeall(fd, head, (size_t)n);
		close(fd);
		return 0;
	}
	if (strcmp(path, "/late") == 0) {
		(void)ferry_wait_notify(req, FERRY_GONE, 10000);
		fd = ferry_hijack(req, &buf, &len);
		e1 = fd == -1 ? errno : 0;
		if (fd != -1) {
			free(buf);
			close(fd);
		}
		if (hj_query(req, "log", qv, sizeof(qv)) != NULL) {
			FILE	*f = fopen(qv, "a");

			if (f != NULL) {
				fprintf(f, "late: %s %s\n", hj_errname(e1),
				    ferry_hijack_error(req));
				fclose(f);
			}
		}
		return 0;
	}
	if (strcmp(path, "/hold") == 0) {
		pthread_t	 t;

		if ((fd = ferry_hijack(req, &buf, &len)) == -1)
			return 1;
		if (len > 0)
			(void)hj_writeall(fd, buf, len);
		free(buf);
		(void)hj_writeall(fd, "held\n", 5);
		pthread_mutex_lock(&hj_held.mu);
		if (hj_held.n == HJ_HELD_MAX ||
		    pthread_create(&t, NULL, hj_hold, (void *)(intptr_t)fd) != 0)
			close(fd);
		else {
			hj_held.fd[hj_held.n++] = fd;
			pthread_detach(t);
		}
		pthread_mutex_unlock(&hj_held.mu);
		return 0;
	}
	if (strcmp(path, "/die") == 0) {
		if ((fd = ferry_hijack(req, &buf, &len)) == -1)
			return 1;
		(void)hj_writeall(fd, "dying\n", 6);
		_exit(3);
	}
	if (strcmp(path, "/body") == 0) {
		size_t	 got = 0;

		while (got < sizeof(b) &&
		    (n = ferry_read(req, b + got, sizeof(b) - got)) > 0)
			got += (size_t)n;
		if (n == -1) {
			ferry_status(req, 500);
			ferry_printf(req, "read: %s\n", strerror(errno));
			return 0;
		}
		ferry_printf(req, "len=%lld body=%.*s",
		    (long long)ferry_content_length(req), (int)got, b);
		return 0;
	}
	if (strcmp(path, "/pid") == 0) {
		ferry_printf(req, "%d\n", (int)getpid());
		return 0;
	}
	ferry_status(req, 404);
	ferry_printf(req, "no such test: %s\n", path);
	return 0;
}

int
main(int argc, char *argv[])
{
	ferry_on_retire(hj_retire, NULL);
	if (ferry_serve_args(argc, argv, handle, NULL) == -1)
		return 1;
	/* Retired: done once the held sockets are. */
	pthread_mutex_lock(&hj_held.mu);
	while (hj_held.n > 0)
		pthread_cond_wait(&hj_held.cv, &hj_held.mu);
	pthread_mutex_unlock(&hj_held.mu);
	return 0;
}
