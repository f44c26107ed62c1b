#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdpass/fdpass.h"
#include "protocol/fcgi.h"
#include "protocol/response.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

/* What libferry answers to FCGI_GET_VALUES. */
static const struct {
	const char	*name;
	const char	*value;
} ferry_values[] = {
	{ FCGI_MAX_CONNS,	"1" },
	{ FCGI_MAX_REQS,	"1" },
	{ FCGI_MPXS_CONNS,	"0" },
	{ FERRY_EXTENSIONS,	FERRY_EXT_CLOSE_NOTIFY "," FERRY_EXT_HIJACK },
};

#define FERRY_DEFAULT_CTYPE	"Content-Type: text/plain; charset=utf-8\r\n"
#define FERRY_REPLY_MAX		512	/* a management reply the reader builds */
#define FERRY_KEEP_MAX		(64 * 1024) /* larger request buffers are
					   not kept for the next request */

/* ferry_conn_step() flags. */
#define FERRY_STEP_NOWAIT	0x1	/* read only what has arrived */
#define FERRY_STEP_PARSE	0x2	/* handle what is buffered, no read */

/* ferry_conn_parse() results. */
#define FERRY_P_NONE		0	/* no complete record left */
#define FERRY_P_FULL		1	/* the next one waits for body room */
#define FERRY_P_STOP		2	/* no more input: protocol error */

static struct ferry_conn *ferry_conn_new(int fd);
static void	ferry_conn_free(struct ferry_conn *c, int linger);
static void	*ferry_conn_bg(void *arg);
static int	ferry_conn_wait(struct ferry_conn *c,
		    const struct timespec *deadline);
static void	ferry_conn_peek(struct ferry_conn *c);
static uint64_t	ferry_now_ns(void);
static int	ferry_conn_step(struct ferry_conn *c,
		    const struct timespec *deadline, int flags);
static int	ferry_conn_parse(struct ferry_conn *c, int *handled);
static int	ferry_conn_fill(struct ferry_conn *c,
		    const struct timespec *deadline, int flags);
static void	ferry_conn_died(struct ferry_conn *c);
static int	ferry_conn_record(struct ferry_conn *c,
		    const struct fcgi_record *rec, uint8_t *reply, size_t *rlen);
static int	ferry_conn_stdin(struct ferry_conn *c, struct ferry_req *req,
		    const uint8_t *p, size_t n);
static int	ferry_conn_sendv(struct ferry_conn *c, struct iovec *iov, int n);
static int	ferry_conn_send_stream(struct ferry_conn *c, uint8_t type,
		    uint16_t id, const struct iovec *seg, int nseg,
		    const void *tail, size_t tlen);
static int	ferry_conn_send_record(struct ferry_conn *c, uint8_t type,
		    uint16_t id, const void *content, size_t len);
static size_t	ferry_reply_record(uint8_t *out, size_t cap, uint8_t type,
		    uint16_t id, const uint8_t *content, size_t len);
static size_t	ferry_get_values(const uint8_t *body, size_t len, uint8_t *out,
		    size_t cap);
static void	ferry_deadline(struct timespec *ts, int ms);
static int	ferry_ms_left(const struct timespec *deadline);
static int	ferry_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
		    const struct timespec *deadline);
static struct ferry_req *ferry_req_new(struct ferry_conn *c, uint16_t id,
		    int keep_conn);
static void	ferry_req_recycle(struct ferry_conn *c, struct ferry_req *req);
static void	ferry_req_free(struct ferry_req *req);
static int	ferry_req_params(struct ferry_req *req);
static void	*ferry_grow(void *p, size_t *cap, size_t need, size_t size);
static void	ferry_req_notify(struct ferry_req *req, int bit);
static void	ferry_kick(int efd);
static int	ferry_req_send(struct ferry_req *req, const void *extra,
		    size_t elen, const void *tail, size_t tlen);
static size_t	ferry_status_line(char *out, size_t cap, int status);
static void	ferry_req_failed(struct ferry_req *req);
static int	ferry_req_writable(struct ferry_req *req, int look);
static int	ferry_hj_add(struct ferry_req *req, const uint8_t *p,
		    size_t n);
static int	ferry_is_tchar(int ch);
static int	ferry_casecmp(const char *a, const char *b);
static int	ferry_listen_unix(const char *path);
static int	ferry_listen_inet(const char *addr);
static const char *ferry_listen_arg(int argc, char *const argv[], int *bad);

/* ---- Serving ---- */

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
		    !c->dead)
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
		/* The connection ended between requests: take the next one. */
		ferry_conn_free(c, 0);
		f->conn = NULL;
	}
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

/* ---- The connection and how it is read ---- */

static struct ferry_conn *
ferry_conn_new(int fd)
{
	struct ferry_conn	*c;
	pthread_condattr_t	 ca;
	sigset_t		 all, old;
	int			 rc;

	if ((c = malloc(sizeof(*c))) == NULL) {
		close(fd);
		return NULL;
	}
	/* Everything but the input buffer, which needs no zeroing. */
	memset(c, 0, offsetof(struct ferry_conn, rbuf));
	c->fd = fd;
	c->pending_fd = -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->wmu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_cond_init(&c->bgcv, &ca);
	pthread_condattr_destroy(&ca);
	/* Signals are for the app's threads, not for the reader. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->bg, NULL, ferry_conn_bg, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_cond_destroy(&c->bgcv);
		pthread_mutex_destroy(&c->mu);
		pthread_mutex_destroy(&c->wmu);
		close(fd);
		free(c);
		errno = rc;
		return NULL;
	}
	return c;
}

/*
 * Stops the background reader and closes the connection.  With linger
 * (input the request did not read is still coming), it first half-closes
 * and reads on a little, discarding, until the server's EOF, so that
 * closing with unread input does not reset the connection under the
 * response (TCP would).
 */
static void
ferry_conn_free(struct ferry_conn *c, int linger)
{
	struct timespec	 deadline;

	pthread_mutex_lock(&c->mu);
	c->closing = 1;
	pthread_cond_signal(&c->bgcv);
	pthread_cond_broadcast(&c->cv);
	if (linger && !c->dead) {
		(void)shutdown(c->fd, SHUT_WR);
		ferry_deadline(&deadline, FERRY_LINGER_MS);
		while (!c->dead && ferry_conn_wait(c, &deadline) == 0)
			;
	}
	pthread_mutex_unlock(&c->mu);
	/* Wakes a background reader blocked in recvmsg: it reads EOF. */
	(void)shutdown(c->fd, SHUT_RDWR);
	pthread_join(c->bg, NULL);
	if (c->cur != NULL)
		ferry_req_free(c->cur);
	if (c->next != NULL)
		ferry_req_free(c->next);
	if (c->spare != NULL)
		ferry_req_free(c->spare);
	if (c->pending_fd != -1)
		close(c->pending_fd);
	close(c->fd);
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->bgcv);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->wmu);
	free(c);
}

/*
 * The background reader.  It sleeps until it is wanted: by
 * ferry_notify_fd(), whose fd must turn readable with no app thread in the
 * library (after a grace of FERRY_BG_GRACE_MS), or by itself when a tick finds the same request running as at
 * the last tick and nobody reading (a handler that computes for long: its
 * management records, aborts and notifications are handled meanwhile).
 * Wanted, it reads whenever the token is free, until ferry_finish.
 */
static void *
ferry_conn_bg(void *arg)
{
	struct ferry_conn	*c = arg;
	struct timespec		 tick;
	unsigned		 seen = 0;

	pthread_mutex_lock(&c->mu);
	while (!c->closing) {
		if (c->bg_want && c->bg_grace) {
			/* A handler that ends within the grace needs no
			   reading from here: the socket stays with the app's
			   thread for the next request. */
			c->bg_grace = 0;
			ferry_deadline(&tick, FERRY_BG_GRACE_MS);
			(void)ferry_cond_wait(&c->bgcv, &c->mu, &tick);
			continue;
		}
		if (c->bg_want && !c->dead) {
			if (c->reading ||
			    ferry_conn_step(c, NULL, 0) == EAGAIN)
				pthread_cond_wait(&c->cv, &c->mu);
			continue;
		}
		ferry_deadline(&tick, FERRY_BG_TICK_MS);
		if (ferry_cond_wait(&c->bgcv, &c->mu, &tick) != ETIMEDOUT)
			continue;
		if (c->cur != NULL && c->cur->state == FERRY_REQ_RUNNING &&
		    c->seq == seen && !c->reading && !c->dead)
			c->bg_want = 1;
		seen = c->seq;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/*
 * Waits for input that may change what the caller waits for: this thread
 * reads a round itself when nobody holds the reading token, else it waits
 * for the holder's round (or for room in a body buffer).  mu held; the
 * caller re-checks its condition, dead included.  Returns 0, or ETIMEDOUT
 * once deadline (NULL: none) passed.
 */
static int
ferry_conn_wait(struct ferry_conn *c, const struct timespec *deadline)
{
	int	 rc;

	if (!c->reading && !c->dead) {
		rc = ferry_conn_step(c, deadline, 0);
		if (rc != EAGAIN)
			return rc;
	}
	return ferry_cond_wait(&c->cv, &c->mu, deadline);
}

/*
 * Handles what the server sent and nobody read yet, without waiting,
 * when no other thread is reading; mu held.  A read that returned less
 * than FERRY_PEEK_NS ago counts as the look (a poll costs microseconds,
 * and a handler that asks right after ferry_accept would pay one each
 * request).
 */
static void
ferry_conn_peek(struct ferry_conn *c)
{
	if (!c->reading && !c->dead &&
	    ferry_now_ns() - c->looked_ns >= FERRY_PEEK_NS)
		(void)ferry_conn_step(c, NULL, FERRY_STEP_NOWAIT);
}

/* CLOCK_MONOTONIC in nanoseconds. */
static uint64_t
ferry_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * One round of input by the calling thread, which takes the reading token
 * (it must be free): handles the complete records buffered and, when none
 * was (or with NOWAIT), reads the socket once (waiting until deadline,
 * NULL: no limit; NOWAIT: not at all; PARSE: no read) and handles what
 * came.  mu held on entry and on return, released in between.  Returns 0
 * (records handled, or bytes read; the connection may be dead now),
 * ETIMEDOUT (nothing came in time), or EAGAIN (the next record waits for
 * room in a body buffer: wait on cv).
 */
static int
ferry_conn_step(struct ferry_conn *c, const struct timespec *deadline,
    int flags)
{
	int	 p, n = 0, more = 0, got = 1, looked = 0;

	c->reading = 1;
	pthread_mutex_unlock(&c->mu);
	p = ferry_conn_parse(c, &n);
	if (p == FERRY_P_NONE && !(flags & FERRY_STEP_PARSE) &&
	    (n == 0 || (flags & FERRY_STEP_NOWAIT))) {
		got = ferry_conn_fill(c, deadline, flags);
		looked = got >= 0;
		if (got > 0) {
			p = ferry_conn_parse(c, &more);
			n += more;
		} else if (got < 0)
			p = FERRY_P_STOP;
	}
	pthread_mutex_lock(&c->mu);
	c->reading = 0;
	if (looked)
		c->looked_ns = ferry_now_ns();
	if (p == FERRY_P_STOP)
		ferry_conn_died(c);
	pthread_cond_broadcast(&c->cv);
	if (n > 0 || p == FERRY_P_STOP)
		return 0;
	if (p == FERRY_P_FULL)
		return EAGAIN;
	return got == 0 ? ETIMEDOUT : 0;
}

/*
 * Handles the complete records in rbuf, in order, each under mu, sending
 * their replies after releasing it.  *handled counts them.  Returns
 * FERRY_P_NONE (no complete record left), FERRY_P_FULL (the next is STDIN
 * that waits for room) or FERRY_P_STOP.  Token held, mu not.
 */
static int
ferry_conn_parse(struct ferry_conn *c, int *handled)
{
	struct fcgi_record	 rec;
	uint8_t			 reply[FERRY_REPLY_MAX];
	size_t			 rlen;
	ssize_t			 r;
	int			 x;

	*handled = 0;
	while ((r = fcgi_record_parse(c->rbuf + c->roff, c->rlen - c->roff,
	    &rec)) > 0) {
		rlen = 0;
		if ((x = ferry_conn_record(c, &rec, reply, &rlen)) == 1)
			return FERRY_P_FULL;
		c->roff += (size_t)r;
		(*handled)++;
		if (rlen > 0) {
			pthread_mutex_lock(&c->wmu);
			if (ferry_conn_sendv(c, &(struct iovec){ reply, rlen },
			    1) == -1)
				x = -1;
			pthread_mutex_unlock(&c->wmu);
		}
		if (x == -1)
			return FERRY_P_STOP;
	}
	return r < 0 ? FERRY_P_STOP : FERRY_P_NONE;
}

/*
 * Reads the socket once into rbuf: waits until deadline (NULL: no limit),
 * or not at all with NOWAIT.  Returns 1 (bytes came), 0 (nothing in time)
 * or -1 (EOF or an error: no more input).  Token held, mu not.
 */
static int
ferry_conn_fill(struct ferry_conn *c, const struct timespec *deadline,
    int flags)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 xfd, pr;

	if (c->roff > 0) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	/* What is left is less than a record: there is room. */
	if ((flags & FERRY_STEP_NOWAIT) || deadline != NULL) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		do {
			pr = poll(&pfd, 1, (flags & FERRY_STEP_NOWAIT) ? 0 :
			    ferry_ms_left(deadline));
		} while (pr == -1 && errno == EINTR);
		if (pr == 0)
			return 0;
		if (pr == -1)
			return -1;
	}
	n = fdpass_recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen,
	    &xfd);
	if (n <= 0)
		return -1;
	/*
	 * Only FERRY_HIJACKED carries a descriptor, on its first byte: the
	 * fd comes with a read that holds that byte, so it waits here until
	 * the record is parsed.  A stray one replaces the last and is closed.
	 */
	if (xfd != -1) {
		if (c->pending_fd != -1)
			close(c->pending_fd);
		c->pending_fd = xfd;
	}
	c->rlen += (size_t)n;
	return 1;
}

/* No more input: the requests learn it (GONE).  mu held. */
static void
ferry_conn_died(struct ferry_conn *c)
{
	c->dead = 1;
	if (c->cur != NULL && !c->closing) {
		c->cur->lost = 1;
		ferry_req_notify(c->cur, FERRY_GONE);
	}
	if (c->next != NULL && !c->closing) {
		c->next->lost = 1;
		ferry_req_notify(c->next, FERRY_GONE);
	}
}

/*
 * Handles one record, taking mu.  A reply to send (at most FERRY_REPLY_MAX
 * bytes) is written to reply (size in *rlen) and sent by the caller
 * without holding mu.  Returns 0, 1 when the record must wait (STDIN with
 * no room for it: it is not handled, the caller keeps it), or -1 to stop
 * reading (protocol error, connection to close).
 */
static int
ferry_conn_record(struct ferry_conn *c, const struct fcgi_record *rec,
    uint8_t *reply, size_t *rlen)
{
	const struct fcgi_header *h = &rec->h;
	struct ferry_req	*req;
	uint8_t			 body[FCGI_END_REQUEST_LEN];
	uint16_t		 role;
	uint8_t			 flags, reason;
	int			 rc = 0, mine, busy;

	pthread_mutex_lock(&c->mu);
	if (c->closing)
		goto out;
	/*
	 * The request a record is for: the current one until its
	 * END_REQUEST is decided, then the next one (the server may begin
	 * it as soon as it has END_REQUEST, before the app calls
	 * ferry_finish).  Ids are reused, so an ended request's id is the
	 * next one's.
	 */
	req = c->cur != NULL && c->cur->state != FERRY_REQ_ENDED ? c->cur :
	    c->next;
	mine = req != NULL && h->request_id == req->id;
	busy = c->cur != NULL && (c->cur->state != FERRY_REQ_ENDED ||
	    c->next != NULL);
	switch (h->type) {
	case FCGI_BEGIN_REQUEST:
		if (fcgi_begin_request_decode(rec->content, h->content_length,
		    &role, &flags) == -1) {
			rc = -1;
			break;
		}
		if (h->request_id == FCGI_NULL_REQUEST_ID)
			break;
		if (role != FCGI_RESPONDER || busy) {
			fcgi_end_request_encode(body, 0, role != FCGI_RESPONDER ?
			    FCGI_UNKNOWN_ROLE : FCGI_CANT_MPX_CONN);
			*rlen = ferry_reply_record(reply, FERRY_REPLY_MAX,
			    FCGI_END_REQUEST, h->request_id, body, sizeof(body));
			if (c->cur == NULL && !(flags & FCGI_KEEP_CONN)) {
				c->close_after = 1;
				rc = -1;
			}
			break;
		}
		if ((req = ferry_req_new(c, h->request_id,
		    (flags & FCGI_KEEP_CONN) != 0)) == NULL) {
			rc = -1;
			break;
		}
		if (c->cur == NULL)
			c->cur = req;
		else
			c->next = req;
		break;
	case FCGI_ABORT_REQUEST:
		if (!mine)
			break;
		if (req->state == FERRY_REQ_PARAMS) {
			/* Not handed to the app yet: end it here. */
			fcgi_end_request_encode(body, 0, FCGI_REQUEST_COMPLETE);
			*rlen = ferry_reply_record(reply, FERRY_REPLY_MAX,
			    FCGI_END_REQUEST, h->request_id, body, sizeof(body));
			if (c->cur == req)
				c->cur = NULL;
			else
				c->next = NULL;
			if (!req->keep_conn)
				rc = -1;
			ferry_req_recycle(c, req);
			break;
		}
		req->aborted = 1;
		ferry_req_notify(req, FERRY_GONE);
		break;
	case FCGI_PARAMS:
		if (!mine || req->state != FERRY_REQ_PARAMS)
			break;
		if (h->content_length == 0) {
			if (ferry_req_params(req) == -1) {
				rc = -1;
				break;
			}
			req->state = FERRY_REQ_READY;
			pthread_cond_broadcast(&c->cv);
			break;
		}
		if (req->prawlen + h->content_length > FERRY_PARAMS_MAX) {
			rc = -1;
			break;
		}
		if (req->prawlen + h->content_length > req->prawcap) {
			size_t	 ncap = req->prawcap == 0 ? 4096 : req->prawcap;
			uint8_t	*np;

			while (ncap < req->prawlen + h->content_length)
				ncap *= 2;
			if ((np = realloc(req->praw, ncap)) == NULL) {
				rc = -1;
				break;
			}
			req->praw = np;
			req->prawcap = ncap;
		}
		memcpy(req->praw + req->prawlen, rec->content,
		    h->content_length);
		req->prawlen += h->content_length;
		break;
	case FCGI_STDIN:
		if (mine)
			rc = ferry_conn_stdin(c, req, rec->content,
			    h->content_length);
		break;
	case FCGI_DATA:
		/* The filter role's second stream: not for a responder. */
		break;
	case FCGI_GET_VALUES:
		*rlen = ferry_get_values(rec->content, h->content_length,
		    reply, FERRY_REPLY_MAX);
		break;
	case FERRY_CLOSE_NOTIFY:
		/* Unknown reasons and other requests' ids are ignored. */
		if (!mine || fcgi_close_notify_decode(rec->content,
		    h->content_length, &reason) == -1)
			break;
		if (reason == FERRY_REASON_GONE)
			ferry_req_notify(req, FERRY_GONE);
		else if (reason == FERRY_REASON_PIPELINED)
			ferry_req_notify(req, FERRY_PIPELINED);
		break;
	case FERRY_HIJACKED:
		if (!mine || req->hijack != FERRY_HJ_PENDING) {
			/* Not asked for: its socket, if any, is dropped. */
			if (c->pending_fd != -1) {
				close(c->pending_fd);
				c->pending_fd = -1;
			}
			break;
		}
		if (req->hijack_fd == -1) {
			req->hijack_fd = c->pending_fd;
			c->pending_fd = -1;
		}
		if (req->hijack_fd == -1 || ferry_hj_add(req, rec->content,
		    h->content_length) == -1) {
			snprintf(req->herr, sizeof(req->herr), "%s",
			    req->hijack_fd == -1 ? "the server sent no socket" :
			    "out of memory for the client's bytes");
			if (req->hijack_fd != -1)
				close(req->hijack_fd);
			req->hijack_fd = -1;
			req->hijack = FERRY_HJ_REFUSED;
			rc = -1;	/* the stream is out of step now */
			pthread_cond_broadcast(&c->cv);
			break;
		}
		if (h->content_length == 0) {
			req->hijack = FERRY_HJ_DONE;
			req->stdin_ended = 1;
			pthread_cond_broadcast(&c->cv);
		}
		break;
	case FERRY_HIJACK_REFUSED:
		if (!mine || req->hijack != FERRY_HJ_PENDING)
			break;
		snprintf(req->herr, sizeof(req->herr), "%.*s",
		    (int)h->content_length, (const char *)rec->content);
		req->hijack = FERRY_HJ_REFUSED;
		pthread_cond_broadcast(&c->cv);
		break;
	default:
		fcgi_unknown_type_encode(body, h->type);
		*rlen = ferry_reply_record(reply, FERRY_REPLY_MAX,
		    FCGI_UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID, body,
		    FCGI_UNKNOWN_TYPE_LEN);
		break;
	}
out:
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/*
 * Moves a STDIN record's bytes into req's buffer.  Returns 1, taking
 * nothing, when they do not fit (ferry_read makes room), 0, or -1 (out of
 * memory).  Drops them when the app discards the body.  mu held.
 */
static int
ferry_conn_stdin(struct ferry_conn *c, struct ferry_req *req,
    const uint8_t *p, size_t n)
{
	size_t	 tail, first;

	if (n == 0) {
		req->stdin_ended = 1;
		pthread_cond_broadcast(&c->cv);
		return 0;
	}
	if (req->discard) {
		req->discarded += n;
		pthread_cond_broadcast(&c->cv);
		return 0;
	}
	/* Asked for the socket: the body's rest goes with it, so it is
	   kept whole, never waited on.  After a refusal, what was kept
	   aside is read first, and new bytes queue behind it. */
	if (req->hijack == FERRY_HJ_PENDING || req->hjoff < req->hjlen) {
		if (req->hijack != FERRY_HJ_PENDING &&
		    req->hjlen - req->hjoff >= FERRY_STDIN_MAX)
			return 1;
		if (ferry_hj_add(req, p, n) == -1)
			return -1;
		pthread_cond_broadcast(&c->cv);
		return 0;
	}
	if (req->in == NULL &&
	    (req->in = malloc(FERRY_STDIN_MAX)) == NULL)
		return -1;
	if (FERRY_STDIN_MAX - req->in_len < n)
		return 1;
	tail = (req->in_head + req->in_len) % FERRY_STDIN_MAX;
	first = FERRY_STDIN_MAX - tail;
	if (first > n)
		first = n;
	memcpy(req->in + tail, p, first);
	memcpy(req->in, p + first, n - first);
	req->in_len += n;
	pthread_cond_broadcast(&c->cv);
	return 0;
}

/* Sends all of iov[0..n) on c's socket; the caller holds wmu.  0 or -1. */
static int
ferry_conn_sendv(struct ferry_conn *c, struct iovec *iov, int n)
{
	struct msghdr	 msg;
	ssize_t		 w;
	size_t		 left;

	while (n > 0 && iov->iov_len == 0) {
		iov++;
		n--;
	}
	while (n > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		/* No SIGPIPE when the server went away: EPIPE. */
		w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		left = (size_t)w;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
			while (n > 0 && iov->iov_len == 0) {
				iov++;
				n--;
			}
		}
	}
	return 0;
}

/*
 * Sends the bytes of seg[0..nseg) (nseg <= 5) as records of stream TYPE,
 * as many as they need, none when they are empty, then tail[0..tlen)
 * (whole records already encoded) in the same sendmsg as the last of
 * them.  Takes wmu.  0 or -1.
 */
static int
ferry_conn_send_stream(struct ferry_conn *c, uint8_t type, uint16_t id,
    const struct iovec *seg, int nseg, const void *tail, size_t tlen)
{
	struct iovec	 iov[9];
	uint8_t		 hdr[FCGI_HEADER_LEN];
	size_t		 total = 0, chunk, take, segoff = 0;
	uint8_t		 pad;
	int		 i, si = 0, rc = 0, tail_left = tlen > 0;

	for (i = 0; i < nseg; i++)
		total += seg[i].iov_len;
	pthread_mutex_lock(&c->wmu);
	while (rc == 0 && (total > 0 || tail_left)) {
		i = 0;
		if (total > 0) {
			chunk = fcgi_stream_chunk(total);
			pad = fcgi_record_header(hdr, type, id, chunk);
			iov[i++] = (struct iovec){ hdr, sizeof(hdr) };
			total -= chunk;
			while (chunk > 0) {
				take = seg[si].iov_len - segoff;
				if (take > chunk)
					take = chunk;
				if (take > 0)
					iov[i++] = (struct iovec){
					    (uint8_t *)seg[si].iov_base + segoff,
					    take };
				chunk -= take;
				segoff += take;
				if (segoff == seg[si].iov_len) {
					si++;
					segoff = 0;
				}
			}
			iov[i++] = (struct iovec){ (void *)(uintptr_t)FCGI_PAD,
			    pad };
		}
		if (total == 0 && tail_left) {
			iov[i++] = (struct iovec){ (void *)(uintptr_t)tail, tlen };
			tail_left = 0;
		}
		rc = ferry_conn_sendv(c, iov, i);
	}
	pthread_mutex_unlock(&c->wmu);
	return rc;
}

/* Sends one record (len <= FCGI_MAX_LENGTH), empty ones too.  0 or -1. */
static int
ferry_conn_send_record(struct ferry_conn *c, uint8_t type, uint16_t id,
    const void *content, size_t len)
{
	struct iovec	 iov[3];
	uint8_t		 hdr[FCGI_HEADER_LEN];
	uint8_t		 pad;
	int		 rc;

	pad = fcgi_record_header(hdr, type, id, len);
	iov[0] = (struct iovec){ hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ (void *)(uintptr_t)content, len };
	iov[2] = (struct iovec){ (void *)(uintptr_t)FCGI_PAD, pad };
	pthread_mutex_lock(&c->wmu);
	rc = ferry_conn_sendv(c, iov, 3);
	pthread_mutex_unlock(&c->wmu);
	return rc;
}

/* Writes a whole record into out[0..cap); returns its size, 0 when it
   does not fit. */
static size_t
ferry_reply_record(uint8_t *out, size_t cap, uint8_t type, uint16_t id,
    const uint8_t *content, size_t len)
{
	uint8_t	 pad;

	if (FCGI_HEADER_LEN + len + 7 > cap)
		return 0;
	pad = fcgi_record_header(out, type, id, len);
	memcpy(out + FCGI_HEADER_LEN, content, len);
	memset(out + FCGI_HEADER_LEN + len, 0, pad);
	return FCGI_HEADER_LEN + len + pad;
}

/*
 * Builds the GET_VALUES_RESULT record answering the query body[0..len):
 * each name asked for that libferry knows, once, in the order asked.  A
 * malformed query gets an empty result.  Returns the record's size.
 */
static size_t
ferry_get_values(const uint8_t *body, size_t len, uint8_t *out, size_t cap)
{
	uint8_t		 content[FERRY_REPLY_MAX - FCGI_HEADER_LEN - 8];
	const char	*name, *value;
	size_t		 nlen, vlen, clen = 0, off = 0, k, i;
	ssize_t		 r;
	unsigned	 done = 0;

	while (off < len &&
	    (r = fcgi_nv_decode(body + off, len - off, &name, &nlen, &value,
	    &vlen)) > 0) {
		off += (size_t)r;
		for (i = 0; i < sizeof(ferry_values) / sizeof(ferry_values[0]);
		    i++) {
			if (strlen(ferry_values[i].name) != nlen ||
			    memcmp(ferry_values[i].name, name, nlen) != 0 ||
			    (done & (1U << i)))
				continue;
			k = fcgi_nv_encode(content + clen, sizeof(content) - clen,
			    ferry_values[i].name, nlen, ferry_values[i].value,
			    strlen(ferry_values[i].value));
			if (k > 0) {
				clen += k;
				done |= 1U << i;
			}
		}
	}
	return ferry_reply_record(out, cap, FCGI_GET_VALUES_RESULT,
	    FCGI_NULL_REQUEST_ID, content, clen);
}

/* *ts = CLOCK_MONOTONIC now + ms. */
static void
ferry_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The milliseconds from now to deadline, rounded up; 0 when passed. */
static int
ferry_ms_left(const struct timespec *deadline)
{
	struct timespec	 now;
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec + 999999L) / 1000000L;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Waits on cv until signalled or deadline (NULL: none): 0 or ETIMEDOUT. */
static int
ferry_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
    const struct timespec *deadline)
{
	if (deadline == NULL)
		return pthread_cond_wait(cv, mu);
	return pthread_cond_timedwait(cv, mu, deadline) == ETIMEDOUT ?
	    ETIMEDOUT : 0;
}

/* ---- The request ---- */

/* A new request: c's spare one when there is one.  mu held. */
static struct ferry_req *
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
static void
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

static void
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
static int
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
	if ((value = ferry_param(req, FERRY_PARAM_CHUNKED)) != NULL &&
	    strcmp(value, "1") == 0) {
		req->raw_chunked = 1;
		chunked_init(&req->chunk);
	}
	return 0;
}

/* Records reason bit for req and wakes its waiters; mu held.  Requests
   whose END_REQUEST is decided take no more notifications. */
static void
ferry_req_notify(struct ferry_req *req, int bit)
{
	if (req->state == FERRY_REQ_ENDED || req->hijack == FERRY_HJ_DONE ||
	    (req->notified & bit))
		return;
	req->notified |= bit;
	if (req->efd != -1)
		ferry_kick(req->efd);
	pthread_cond_broadcast(&req->conn->cv);
}

/* Makes the eventfd readable (it stays so: nobody reads it). */
static void
ferry_kick(int efd)
{
	uint64_t	 one = 1;
	ssize_t		 w;

	/* It cannot fail: the counter is far from overflowing. */
	w = write(efd, &one, sizeof(one));
	(void)w;
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
static int
ferry_is_tchar(int ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* ASCII case-insensitive comparison: 0 when equal. */
static int
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

/* ---- The body ---- */

/* The body bytes to read first, contiguous: the ring's, then those kept
   aside after a refused hijack.  Returns their length (0: none); mu. */
static size_t
ferry_body_span(struct ferry_req *req, const uint8_t **p)
{
	size_t	 k;

	if (req->in_len > 0) {
		*p = req->in + req->in_head;
		k = FERRY_STDIN_MAX - req->in_head;
		return k < req->in_len ? k : req->in_len;
	}
	if (req->hjoff < req->hjlen && req->hijack != FERRY_HJ_PENDING) {
		*p = req->hj + req->hjoff;
		return req->hjlen - req->hjoff;
	}
	return 0;
}

/* Drops k bytes of the span ferry_body_span() named; mu held. */
static void
ferry_body_drop(struct ferry_req *req, size_t k)
{
	if (req->in_len > 0) {
		req->in_head = (req->in_head + k) % FERRY_STDIN_MAX;
		req->in_len -= k;
	} else {
		req->hjoff += k;
		if (req->hjoff == req->hjlen)
			req->hjoff = req->hjlen = 0;
	}
	/* A STDIN record left waiting for room may go in now. */
	pthread_cond_broadcast(&req->conn->cv);
}

/*
 * Decodes the chunked body's raw bytes p[0..n) into buf (at most len
 * bytes), dropping what it used.  Returns the data bytes (0 when only
 * framing was used), or -1 (EBADMSG) on malformed chunking.  mu held.
 */
static ssize_t
ferry_dechunk(struct ferry_req *req, const uint8_t *p, size_t n, void *buf,
    size_t len)
{
	struct chunked_dec	 d = req->chunk;
	const char		*data;
	size_t			 dlen;
	ssize_t			 k;

	k = chunked_decode(&d, (const char *)p, n, &data, &dlen);
	if (k < 0) {
		errno = EBADMSG;
		return -1;
	}
	if (dlen > len) {
		/* Only len bytes fit: the framing and len bytes of data. */
		k = chunked_decode(&req->chunk, (const char *)p,
		    (size_t)k - dlen + len, &data, &dlen);
	} else
		req->chunk = d;
	if (dlen > 0)
		memcpy(buf, data, dlen);
	ferry_body_drop(req, (size_t)k);
	return (ssize_t)dlen;
}

ssize_t
ferry_read(struct ferry_req *req, void *buf, size_t len)
{
	struct ferry_conn	*c = req->conn;
	const uint8_t		*p;
	size_t			 k;
	ssize_t			 rc;

	if (len == 0)
		return 0;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		if (req->hijack == FERRY_HJ_DONE) {
			errno = EPERM;
			rc = -1;
			break;
		}
		if (req->raw_chunked && req->chunk.done) {
			rc = 0;
			break;
		}
		if ((k = ferry_body_span(req, &p)) > 0) {
			if (!req->raw_chunked) {
				if (k > len)
					k = len;
				memcpy(buf, p, k);
				ferry_body_drop(req, k);
				rc = (ssize_t)k;
				break;
			}
			if ((rc = ferry_dechunk(req, p, k, buf, len)) != 0)
				break;
			continue;
		}
		if (req->discard) {
			rc = 0;
			break;
		}
		if (req->stdin_ended) {
			if (req->raw_chunked) {
				/* The body ended before its last chunk. */
				errno = EPIPE;
				rc = -1;
			} else
				rc = 0;
			break;
		}
		if (req->aborted || req->lost || c->dead) {
			errno = req->aborted ? ECONNABORTED : EPIPE;
			rc = -1;
			break;
		}
		(void)ferry_conn_wait(c, NULL);
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
ferry_discard(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;

	pthread_mutex_lock(&c->mu);
	req->discard = 1;
	req->in_len = 0;
	req->hjoff = req->hjlen = 0;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* ---- The response ---- */

int
ferry_status(struct ferry_req *req, int code)
{
	int	 rc = 0;

	if (code < 100 || code > 999) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&req->omu);
	if (req->hijack == FERRY_HJ_DONE) {
		errno = EPERM;
		rc = -1;
	} else if (req->head_sent || req->ended) {
		errno = EALREADY;
		rc = -1;
	} else
		req->status = code;
	pthread_mutex_unlock(&req->omu);
	return rc;
}

int
ferry_add_header(struct ferry_req *req, const char *name, const char *value)
{
	const char	*q;
	size_t		 nlen, vlen, need, ncap;
	char		*p;
	int		 rc = 0;

	nlen = strlen(name);
	vlen = strlen(value);
	if (nlen == 0 || strpbrk(value, "\r\n") != NULL) {
		errno = EINVAL;
		return -1;
	}
	for (q = name; *q != '\0'; q++)
		if (!ferry_is_tchar((unsigned char)*q)) {
			errno = EINVAL;
			return -1;
		}
	pthread_mutex_lock(&req->omu);
	if (req->hijack == FERRY_HJ_DONE) {
		errno = EPERM;
		rc = -1;
		goto out;
	}
	if (req->head_sent || req->ended) {
		errno = EALREADY;
		rc = -1;
		goto out;
	}
	need = req->hlen + nlen + 2 + vlen + 2;
	if (need > req->hcap) {
		ncap = req->hcap == 0 ? 256 : req->hcap;
		while (ncap < need)
			ncap *= 2;
		if ((p = realloc(req->hdrs, ncap)) == NULL) {
			rc = -1;
			goto out;
		}
		req->hdrs = p;
		req->hcap = ncap;
	}
	p = req->hdrs + req->hlen;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, value, vlen);
	memcpy(p + nlen + 2 + vlen, "\r\n", 2);
	req->hlen = need;
	if (ferry_casecmp(name, "Content-Type") == 0)
		req->has_ctype = 1;
out:
	pthread_mutex_unlock(&req->omu);
	return rc;
}

/*
 * 0 when body output may go on, else -1 with errno; omu held.  With look,
 * it first handles what the server sent and nobody read yet (an abort, a
 * notification), without waiting: output is about to be sent.
 */
static int
ferry_req_writable(struct ferry_req *req, int look)
{
	struct ferry_conn	*c = req->conn;
	int			 aborted;

	if (req->hijack == FERRY_HJ_DONE) {
		errno = EPERM;
		return -1;
	}
	if (req->ended) {
		errno = ESHUTDOWN;
		return -1;
	}
	pthread_mutex_lock(&c->mu);
	if (look)
		ferry_conn_peek(c);
	aborted = req->aborted;
	pthread_mutex_unlock(&c->mu);
	if (aborted) {
		errno = ECONNABORTED;
		return -1;
	}
	return 0;
}

/*
 * Sends the head (the first time), the buffered body and extra[0..elen)
 * as STDOUT records, then tail[0..tlen) (whole records) in the same
 * sendmsg, and empties the buffer.  omu held.  0 or -1.
 */
static int
ferry_req_send(struct ferry_req *req, const void *extra, size_t elen,
    const void *tail, size_t tlen)
{
	struct iovec	 seg[5];
	char		 sline[64];
	int		 n = 0;

	if (!req->head_sent) {
		seg[n++] = (struct iovec){ sline,
		    ferry_status_line(sline, sizeof(sline), req->status) };
		seg[n++] = (struct iovec){ req->hdrs, req->hlen };
		/* Statuses without content get no default Content-Type. */
		if (req->has_ctype || (req->status >= 100 &&
		    req->status < 200) || req->status == 204 ||
		    req->status == 304)
			seg[n++] = (struct iovec){ (void *)(uintptr_t)"\r\n", 2 };
		else
			seg[n++] = (struct iovec){
			    (void *)(uintptr_t)FERRY_DEFAULT_CTYPE "\r\n",
			    sizeof(FERRY_DEFAULT_CTYPE "\r\n") - 1 };
	}
	seg[n++] = (struct iovec){ req->out, req->outlen };
	seg[n++] = (struct iovec){ (void *)(uintptr_t)extra, elen };
	req->head_sent = 1;
	req->outlen = 0;
	if (ferry_conn_send_stream(req->conn, FCGI_STDOUT, req->id, seg,
	    n, tail, tlen) == -1) {
		ferry_req_failed(req);
		return -1;
	}
	return 0;
}

/* "Status: 200 OK\r\n" for status (100..999) into out; returns its
   length.  The reason is cut to what fits. */
static size_t
ferry_status_line(char *out, size_t cap, int status)
{
	const char	*reason = response_reason(status);
	size_t		 rlen = strlen(reason), n = 0;

	memcpy(out, "Status: ", 8);
	n = 8;
	out[n++] = (char)('0' + status / 100);
	out[n++] = (char)('0' + status / 10 % 10);
	out[n++] = (char)('0' + status % 10);
	out[n++] = ' ';
	if (rlen > cap - n - 2)
		rlen = cap - n - 2;
	memcpy(out + n, reason, rlen);
	n += rlen;
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

/* The connection failed under a write: GONE, and EPIPE for the caller. */
static void
ferry_req_failed(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;

	pthread_mutex_lock(&c->mu);
	req->lost = 1;
	ferry_req_notify(req, FERRY_GONE);
	pthread_mutex_unlock(&c->mu);
	errno = EPIPE;
}

ssize_t
ferry_write(struct ferry_req *req, const void *buf, size_t len)
{
	ssize_t	 rc = (ssize_t)len;

	if (len > SSIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&req->omu);
	if (len == 0 && req->hijack == FERRY_HJ_DONE)
		rc = 0;
	else if (req->outlen + len <= sizeof(req->out)) {
		if (ferry_req_writable(req, 0) == -1)
			rc = -1;
		else {
			memcpy(req->out + req->outlen, buf, len);
			req->outlen += len;
		}
	} else if (ferry_req_writable(req, 1) == -1 ||
	    ferry_req_send(req, buf, len, NULL, 0) == -1)
		rc = -1;
	pthread_mutex_unlock(&req->omu);
	return rc;
}

int
ferry_printf(struct ferry_req *req, const char *fmt, ...)
{
	char	 small[512], *p = small;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(small)) {
		if ((p = malloc((size_t)n + 1)) == NULL)
			return -1;
		va_start(ap, fmt);
		(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (ferry_write(req, p, (size_t)n) == -1)
		n = -1;
	if (p != small)
		free(p);
	return n;
}

int
ferry_flush(struct ferry_req *req)
{
	int	 rc;

	pthread_mutex_lock(&req->omu);
	if ((rc = ferry_req_writable(req, 1)) == 0)
		rc = ferry_req_send(req, NULL, 0, NULL, 0);
	pthread_mutex_unlock(&req->omu);
	return rc;
}

/*
 * Ends the response.  Before END_REQUEST it skips what is left of the body
 * (up to FERRY_DRAIN_MAX bytes or FERRY_DRAIN_MS), so that the connection
 * is clean for the next request: a server such as ferryd keeps a
 * connection only when the worker consumed all it was sent.  When the
 * body did not end in time, the connection closes after this request.
 * In the common case the body has ended already, and the last STDOUT, the
 * empty STDOUT and END_REQUEST leave in one sendmsg.
 */
int
ferry_end(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;
	struct timespec		 deadline;
	uint8_t			 tail[2 * FCGI_HEADER_LEN + FCGI_END_REQUEST_LEN +
				    8];	/* ferry_reply_record's room for padding */
	uint8_t			 body[FCGI_END_REQUEST_LEN];
	size_t			 tlen = 0, elen;
	int			 rc = 0, out, settled;

	pthread_mutex_lock(&req->omu);
	if (req->ended) {
		pthread_mutex_unlock(&req->omu);
		errno = ESHUTDOWN;
		return -1;
	}
	req->ended = 1;
	pthread_mutex_lock(&c->mu);
	req->discard = 1;
	req->in_len = 0;
	req->hjoff = req->hjlen = 0;
	pthread_cond_broadcast(&c->cv);
	/* The body's end may be buffered already: handled, no read. */
	if (!req->stdin_ended && !c->reading && !c->dead)
		(void)ferry_conn_step(c, NULL, FERRY_STEP_PARSE);
	/* After a hijack the response is the app's own business, after an
	   abort nobody wants it: only END_REQUEST goes out. */
	out = !req->aborted && req->hijack != FERRY_HJ_DONE;
	settled = req->stdin_ended || req->lost || req->aborted || c->dead;
	if (settled) {
		req->keep = req->keep_conn && req->stdin_ended && !req->lost &&
		    !c->dead;
		req->state = FERRY_REQ_ENDED;
	}
	pthread_mutex_unlock(&c->mu);

	if (out) {
		(void)fcgi_record_header(tail, FCGI_STDOUT, req->id, 0);
		tlen = FCGI_HEADER_LEN;
	}
	fcgi_end_request_encode(body, (uint32_t)req->app_status,
	    FCGI_REQUEST_COMPLETE);
	elen = ferry_reply_record(tail + tlen, sizeof(tail) - tlen,
	    FCGI_END_REQUEST, req->id, body, sizeof(body));
	if (settled) {
		/* STDOUT, its end and END_REQUEST together. */
		if ((out ? ferry_req_send(req, NULL, 0, tail, tlen + elen) :
		    ferry_conn_send_stream(c, FCGI_STDOUT, req->id, NULL, 0,
		    tail, elen)) == -1) {
			req->keep = 0;
			errno = EPIPE;
			rc = -1;
		}
		pthread_mutex_unlock(&req->omu);
		return rc;
	}

	/* The response now, END_REQUEST once the body ended. */
	if (out && ferry_req_send(req, NULL, 0, tail, tlen) == -1)
		rc = -1;
	pthread_mutex_lock(&c->mu);
	ferry_deadline(&deadline, FERRY_DRAIN_MS);
	while (!req->stdin_ended && !req->lost && !req->aborted &&
	    !c->dead && req->discarded < FERRY_DRAIN_MAX &&
	    ferry_conn_wait(c, &deadline) == 0)
		;
	req->keep = req->keep_conn && req->stdin_ended && !req->lost &&
	    !c->dead;
	req->state = FERRY_REQ_ENDED;
	pthread_mutex_unlock(&c->mu);

	if (ferry_conn_send_stream(c, FCGI_STDOUT, req->id, NULL, 0,
	    tail + tlen, elen) == -1) {
		req->keep = 0;
		if (rc == 0) {
			errno = EPIPE;
			rc = -1;
		}
	}
	pthread_mutex_unlock(&req->omu);
	return rc;
}

/* ---- Close-notify ---- */

int
ferry_notified(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;
	int			 n;

	pthread_mutex_lock(&c->mu);
	/* Reasons that came while nobody read are handled now. */
	if (req->state == FERRY_REQ_RUNNING)
		ferry_conn_peek(c);
	n = req->notified;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int
ferry_gone(struct ferry_req *req)
{
	return (ferry_notified(req) & FERRY_GONE) != 0;
}

int
ferry_pipelined(struct ferry_req *req)
{
	return (ferry_notified(req) & FERRY_PIPELINED) != 0;
}

int
ferry_wait_notify(struct ferry_req *req, int mask, int timeout_ms)
{
	struct ferry_conn	*c = req->conn;
	struct timespec		 deadline;
	int			 n;

	if (mask == 0)
		mask = FERRY_GONE | FERRY_PIPELINED;
	if (timeout_ms >= 0)
		ferry_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&c->mu);
	while (!(req->notified & mask) &&
	    ferry_conn_wait(c, timeout_ms >= 0 ? &deadline : NULL) == 0)
		;
	n = (req->notified & mask) ? req->notified : 0;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int
ferry_notify_fd(struct ferry_req *req)
{
	struct ferry_conn	*c = req->conn;
	int			 fd;

	pthread_mutex_lock(&c->mu);
	if (req->efd == -1 &&
	    (req->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) != -1 &&
	    req->notified != 0)
		ferry_kick(req->efd);
	/* Nobody need call the library for the fd to turn readable: the
	   background reader reads while the request runs. */
	if (req->efd != -1 && !c->bg_want &&
	    req->state == FERRY_REQ_RUNNING) {
		c->bg_want = 1;
		c->bg_grace = 1;
		pthread_cond_signal(&c->bgcv);
	}
	fd = req->efd;
	pthread_mutex_unlock(&c->mu);
	return fd;
}

/* ---- Hijack ---- */

/* Appends n bytes to req's hijack buffer; mu held.  0, or -1 (ENOMEM). */
static int
ferry_hj_add(struct ferry_req *req, const uint8_t *p, size_t n)
{
	size_t	 ncap;
	uint8_t	*np;

	if (n == 0)
		return 0;
	if (req->hjoff > 0 && req->hjlen + n > req->hjcap) {
		memmove(req->hj, req->hj + req->hjoff, req->hjlen - req->hjoff);
		req->hjlen -= req->hjoff;
		req->hjoff = 0;
	}
	if (req->hjlen + n > req->hjcap) {
		ncap = req->hjcap == 0 ? 4096 : req->hjcap;
		while (ncap < req->hjlen + n)
			ncap *= 2;
		if ((np = realloc(req->hj, ncap)) == NULL)
			return -1;
		req->hj = np;
		req->hjcap = ncap;
	}
	memcpy(req->hj + req->hjlen, p, n);
	req->hjlen += n;
	return 0;
}

/* The errno for a HIJACK_REFUSED reason, by its first word. */
static int
ferry_refused_errno(const char *why)
{
	static const struct {
		const char	*word;
		int		 err;
	} map[] = {
		{ FERRY_REFUSED_GONE,		ENOTCONN },
		{ FERRY_REFUSED_TWICE,		EALREADY },
		{ FERRY_REFUSED_COMPLETE,	ESHUTDOWN },
	};
	const char	*colon;
	size_t		 i, n;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		colon = strchr(map[i].word, ':');
		n = (size_t)(colon - map[i].word) + 1;
		if (strncmp(why, map[i].word, n) == 0)
			return map[i].err;
	}
	return ECONNREFUSED;
}

int
ferry_hijack(struct ferry_req *req, void **buf, size_t *len)
{
	struct ferry_conn	*c = req->conn;
	const char		*ext;
	uint8_t			*out = NULL;
	size_t			 total = 0, first;
	int			 fd = -1, err = 0, fl;

	*buf = NULL;
	*len = 0;
	pthread_mutex_lock(&req->omu);
	ext = ferry_param(req, FERRY_PARAM_EXTENSIONS);
	pthread_mutex_lock(&c->mu);
	if (req->hijack == FERRY_HJ_DONE) {
		err = EALREADY;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the request was hijacked already");
	} else if (req->ended) {
		err = ESHUTDOWN;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the response is complete (ferry_end)");
	} else if (ext == NULL || !fcgi_list_has(ext, strlen(ext),
	    FERRY_EXT_HIJACK)) {
		err = EOPNOTSUPP;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the server does not offer hijack");
	} else if (req->lost || c->dead) {
		err = EPIPE;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the connection to the server is lost");
	} else {
		req->hijack = FERRY_HJ_PENDING;
		req->herr[0] = '\0';
		/* A STDIN record waiting for room in the body buffer goes
		   on (to the hijack buffer). */
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	if (err != 0)
		goto out;

	/* What was not flushed is not committed: dropped. */
	req->outlen = 0;
	if (ferry_conn_send_record(c, FERRY_HIJACK, req->id, NULL, 0) == -1) {
		pthread_mutex_lock(&c->mu);
		req->hijack = FERRY_HJ_NONE;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the connection to the server is lost");
		pthread_mutex_unlock(&c->mu);
		err = EPIPE;
		goto out;
	}

	pthread_mutex_lock(&c->mu);
	while (req->hijack == FERRY_HJ_PENDING && !c->dead)
		(void)ferry_conn_wait(c, NULL);
	switch (req->hijack) {
	case FERRY_HJ_DONE:
		/* The body bytes buffered and not read come first. */
		total = req->in_len + (req->hjlen - req->hjoff);
		if (total > 0 && (out = malloc(total)) == NULL) {
			err = ENOMEM;
			snprintf(req->herr, sizeof(req->herr), "%s",
			    "out of memory for the client's bytes");
			close(req->hijack_fd);
			req->hijack_fd = -1;
			total = 0;
			break;
		}
		if (req->in_len > 0) {
			first = FERRY_STDIN_MAX - req->in_head;
			if (first > req->in_len)
				first = req->in_len;
			memcpy(out, req->in + req->in_head, first);
			memcpy(out + first, req->in, req->in_len - first);
		}
		if (req->hjlen > req->hjoff)
			memcpy(out + req->in_len, req->hj + req->hjoff,
			    req->hjlen - req->hjoff);
		req->in_len = 0;
		free(req->hj);
		req->hj = NULL;
		req->hjoff = req->hjlen = req->hjcap = 0;
		fd = req->hijack_fd;
		req->hijack_fd = -1;
		break;
	case FERRY_HJ_REFUSED:
		err = ferry_refused_errno(req->herr);
		req->hijack = FERRY_HJ_NONE;
		break;
	default:
		err = EPIPE;
		req->hijack = FERRY_HJ_NONE;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the connection to the server is lost");
		break;
	}
	pthread_mutex_unlock(&c->mu);
	/* The socket is the app's, in blocking mode. */
	if (fd != -1 && (fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
out:
	pthread_mutex_unlock(&req->omu);
	if (err != 0) {
		free(out);
		errno = err;
		return -1;
	}
	*buf = out;
	*len = total;
	return fd;
}

const char *
ferry_hijack_error(const struct ferry_req *req)
{
	return req->herr;
}

int
ferry_hijacked(const struct ferry_req *req)
{
	return req->hijack == FERRY_HJ_DONE;
}
