/*
 * libferry: the server side of a FastCGI app.  It owns the listening
 * socket (fd 0 as a FastCGI server passes it, or --listen unix:PATH or
 * HOST:PORT), accepting connections one at a time, and the loop that
 * hands each request to the app: ferry_serve, ferry_open, ferry_accept,
 * ferry_finish and ferry_close; and the end of serving when ferryd
 * retires the process (FERRY_RETIRE): ferry_on_retire, ferry_retired.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/fcgi.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

/*
 * Retirement, for the whole process (ferryd retires a worker process,
 * not a connection).  mu is a leaf lock: taken under any other.
 */
static struct {
	pthread_mutex_t	 mu;
	ferry_retire_fn	 fn;
	void		*arg;
	int		 why;		/* FERRY_RETIRED_*, 0: not retired */
	int		 grace_ms;	/* -1: no limit */
	int		 told;		/* the app heard it (fn ran, if set) */
} ferry_retirement = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, -1, 0 };

static int	ferry_listen_unix(const char *path);
static int	ferry_listen_inet(const char *addr);
static const char *ferry_listen_arg(int argc, char *const argv[], int *bad);
static int	ferry_retire_tell(void);

int
ferry_serve(ferry_handler_fn handler, void *arg)
{
	return ferry_serve_args(0, NULL, handler, arg);
}

int
ferry_serve_args(int argc, char *const argv[], ferry_handler_fn handler,
    void *arg)
{
	struct ferry		*f;
	struct ferry_req	*req;
	int			 saved;

	if ((f = ferry_open_args(argc, argv)) == NULL)
		return -1;
	for (;;) {
		if ((req = ferry_accept(f)) == NULL) {
			if (errno == EINTR)
				continue;
			saved = errno;
			ferry_close(f);
			if (saved == ESHUTDOWN && ferry_retired())
				return 0;
			errno = saved;
			return -1;
		}
		req->app_status = handler(req, arg);
		(void)ferry_finish(req);
	}
}

struct ferry *
ferry_open(int lfd)
{
	struct ferry	*f;
	int		 v = 0;
	socklen_t	 vlen = sizeof(v);

	if (getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) == -1 ||
	    v == 0) {
		errno = ENOTSOCK;
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->lfd = lfd;
	return f;
}

struct ferry *
ferry_open_args(int argc, char *const argv[])
{
	struct ferry	*f;
	const char	*prog, *addr;
	int		 lfd, bad, saved;

	prog = argc > 0 && argv != NULL && argv[0] != NULL ? argv[0] : "app";
	addr = ferry_listen_arg(argc, argv, &bad);
	if (bad) {
		fprintf(stderr, "%s: --listen needs an address "
		    "(unix:PATH or HOST:PORT)\n", prog);
		errno = EINVAL;
		return NULL;
	}
	if (addr != NULL) {
		if ((lfd = ferry_listen(addr)) == -1) {
			saved = errno;
			fprintf(stderr, "%s: --listen %s: %s\n", prog, addr,
			    strerror(saved));
			errno = saved;
			return NULL;
		}
		if ((f = ferry_open(lfd)) == NULL) {
			saved = errno;
			close(lfd);
			errno = saved;
			return NULL;
		}
		f->own_lfd = 1;
		return f;
	}
	if ((f = ferry_open(FCGI_LISTENSOCK_FILENO)) != NULL)
		return f;
	saved = errno;
	if (saved == ENOTSOCK)
		fprintf(stderr,
		    "%s: fd 0 is not a listening socket.\n"
		    "This is a FastCGI application (libferry): run it under a "
		    "FastCGI server.\n"
		    "  under ferryd:       ferryd --listen 127.0.0.1:8080 "
		    "--app /app=%s\n"
		    "  on its own socket:  %s --listen unix:/tmp/app.sock  "
		    "(or --listen 127.0.0.1:9000)\n"
		    "                      then point nginx fastcgi_pass, "
		    "lighttpd or another FastCGI server at it.\n",
		    prog, prog, prog);
	else
		fprintf(stderr, "%s: %s\n", prog, strerror(saved));
	errno = saved;
	return NULL;
}

/* The value of --listen ADDR / --listen=ADDR in argv, or NULL; *bad when
   --listen lacks its value. */
static const char *
ferry_listen_arg(int argc, char *const argv[], int *bad)
{
	const char	*a, *addr = NULL;
	int		 i;

	*bad = 0;
	for (i = 1; i < argc && argv != NULL && argv[i] != NULL; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--listen") == 0) {
			if (i + 1 >= argc || argv[i + 1] == NULL ||
			    argv[i + 1][0] == '\0') {
				*bad = 1;
				return NULL;
			}
			addr = argv[++i];
		} else if (strncmp(a, "--listen=", 9) == 0) {
			if (a[9] == '\0') {
				*bad = 1;
				return NULL;
			}
			addr = a + 9;
		}
	}
	return addr;
}

int
ferry_listen(const char *addr)
{
	if (addr == NULL || addr[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (strncmp(addr, "unix:", 5) == 0)
		return ferry_listen_unix(addr + 5);
	return ferry_listen_inet(addr);
}

static int
ferry_listen_unix(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	size_t			 len = strlen(path);
	int			 fd, probe, saved;

	if (len == 0 || len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	/* Replace a stale socket (nobody accepts on it), never a live one. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe != -1) {
			if (connect(probe, (struct sockaddr *)&sun,
			    sizeof(sun)) == -1 && errno == ECONNREFUSED)
				(void)unlink(path);
			close(probe);
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
ferry_listen_inet(const char *addr)
{
	struct addrinfo	 hints, *res, *ai;
	const char	*colon, *p;
	char		 host[256], port[8];
	size_t		 hlen;
	unsigned	 pnum = 0;
	int		 fd = -1, one = 1, rc, saved = EADDRNOTAVAIL;

	if ((colon = strrchr(addr, ':')) == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* The port: 1 to 5 digits, 0..65535, checked by hand. */
	p = colon + 1;
	if (*p == '\0' || strlen(p) > 5) {
		errno = EINVAL;
		return -1;
	}
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			errno = EINVAL;
			return -1;
		}
		pnum = pnum * 10 + (unsigned)(*p - '0');
	}
	if (pnum > 65535) {
		errno = EINVAL;
		return -1;
	}
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	hlen = (size_t)(colon - addr);
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		addr++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(host, addr, hlen);
	host[hlen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hlen == 0 || strcmp(host, "*") == 0 ? NULL : host,
	    port, &hints, &res);
	if (rc != 0) {
		errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		errno = saved;
	return fd;
}

struct ferry_req *
ferry_accept(struct ferry *f)
{
	struct ferry_conn	*c;
	struct ferry_req	*req;
	int			 fd;

	if (f->req != NULL) {
		errno = EBUSY;
		return NULL;
	}
	for (;;) {
		if (ferry_retire_tell())
			return NULL;
		if (f->conn == NULL) {
			fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd == -1) {
				/* The peer gave up before we accepted: next. */
				if (errno == ECONNABORTED || errno == EPROTO)
					continue;
				return NULL;
			}
			if ((f->conn = ferry_conn_new(fd)) == NULL)
				return NULL;
		}
		c = f->conn;
		pthread_mutex_lock(&c->mu);
		/* This thread reads, unless the background reader still is. */
		while ((c->cur == NULL || c->cur->state != FERRY_REQ_READY) &&
		    !c->dead && !ferry_retire_noted())
			(void)ferry_conn_wait(c, NULL);
		if (c->cur != NULL && c->cur->state == FERRY_REQ_READY) {
			req = c->cur;
			req->state = FERRY_REQ_RUNNING;
			req->f = f;
			c->seq++;
			pthread_mutex_unlock(&c->mu);
			f->req = req;
			return req;
		}
		pthread_mutex_unlock(&c->mu);
		if (ferry_retire_noted())
			continue;	/* told at the top */
		/* The connection ended between requests: take the next one. */
		ferry_conn_free(c, 0);
		f->conn = NULL;
	}
}

void
ferry_retire_note(uint8_t why, uint32_t grace_ms)
{
	pthread_mutex_lock(&ferry_retirement.mu);
	if (ferry_retirement.why == 0) {
		ferry_retirement.why = why == FERRY_RETIRE_IDLE ?
		    FERRY_RETIRED_IDLE : why == FERRY_RETIRE_STOP ?
		    FERRY_RETIRED_STOPPING : why == FERRY_RETIRE_RELOAD ?
		    FERRY_RETIRED_RELOADED : FERRY_RETIRED_RECYCLED;
		ferry_retirement.grace_ms = grace_ms > INT_MAX ? -1 :
		    (int)grace_ms;
	}
	pthread_mutex_unlock(&ferry_retirement.mu);
}

int
ferry_retire_noted(void)
{
	return ferry_retired() != 0;
}

/* Once retired: runs the app's callback the first time (no lock held),
   sets errno to ESHUTDOWN and returns 1; else returns 0. */
static int
ferry_retire_tell(void)
{
	ferry_retire_fn	 fn = NULL;
	void		*arg = NULL;
	int		 why, grace_ms;

	pthread_mutex_lock(&ferry_retirement.mu);
	why = ferry_retirement.why;
	grace_ms = ferry_retirement.grace_ms;
	if (why != 0 && !ferry_retirement.told) {
		ferry_retirement.told = 1;
		fn = ferry_retirement.fn;
		arg = ferry_retirement.arg;
	}
	pthread_mutex_unlock(&ferry_retirement.mu);
	if (why == 0)
		return 0;
	if (fn != NULL)
		fn(why, grace_ms, arg);
	errno = ESHUTDOWN;
	return 1;
}

void
ferry_on_retire(ferry_retire_fn fn, void *arg)
{
	pthread_mutex_lock(&ferry_retirement.mu);
	ferry_retirement.fn = fn;
	ferry_retirement.arg = arg;
	pthread_mutex_unlock(&ferry_retirement.mu);
}

int
ferry_retired(void)
{
	int	 why;

	pthread_mutex_lock(&ferry_retirement.mu);
	why = ferry_retirement.why;
	pthread_mutex_unlock(&ferry_retirement.mu);
	return why;
}

int
ferry_finish(struct ferry_req *req)
{
	struct ferry		*f = req->f;
	struct ferry_conn	*c = req->conn;
	int			 rc = 0, close_conn, linger;

	pthread_mutex_lock(&req->omu);
	if (!req->ended) {
		pthread_mutex_unlock(&req->omu);
		rc = ferry_end(req);
	} else
		pthread_mutex_unlock(&req->omu);

	pthread_mutex_lock(&c->mu);
	/* A request that began after END_REQUEST went out moves up. */
	c->cur = c->next;
	c->next = NULL;
	close_conn = !req->keep || c->dead || c->close_after;
	linger = !req->stdin_ended && !c->dead;
	/* The background reader stops after its current round. */
	c->bg_want = c->bg_grace = 0;
	ferry_req_recycle(c, req);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);

	if (f != NULL) {
		f->req = NULL;
		if (close_conn) {
			ferry_conn_free(c, linger);
			f->conn = NULL;
		}
	}
	return rc;
}

void
ferry_close(struct ferry *f)
{
	if (f == NULL)
		return;
	if (f->req != NULL)
		(void)ferry_finish(f->req);
	if (f->conn != NULL)
		ferry_conn_free(f->conn, 0);
	if (f->own_lfd)
		close(f->lfd);
	free(f);
}
