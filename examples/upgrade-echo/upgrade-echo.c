/*
 * upgrade-echo: the smallest use of ferry_hijack().  A request with
 * "Connection: Upgrade" and "Upgrade: echo" is answered 101 Switching
 * Protocols; then the app takes over the client socket and echoes every
 * line the client sends until the client closes.  Any other request is
 * answered 426 Upgrade Required.
 *
 * The echo runs in a thread of its own, so the handler returns at once and
 * the worker goes on serving requests while it holds the socket.
 *
 *   cc upgrade-echo.c $(pkg-config --cflags --libs ferry) -pthread -o upgrade-echo
 *   ferryd --listen 127.0.0.1:8080 --app /echo=$PWD/upgrade-echo
 *   printf '%s\r\n' 'GET /echo HTTP/1.1' 'Host: x' 'Connection: Upgrade' \
 *       'Upgrade: echo' '' 'hello' | nc -q 1 127.0.0.1 8080
 */
#define _POSIX_C_SOURCE 200809L	/* built alone too: no config.h */

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ferry.h>

#define ECHO_LINE_MAX	8192	/* a longer line is echoed in pieces */

/* One hijacked connection: the socket and the bytes read before it. */
struct echo_conn {
	int	 fd;
	char	*pre;		/* ferryd's buffered bytes, malloc'd */
	size_t	 prelen;
};

int		main(int, char *[]);
static int	echo_handler(struct ferry_req *, void *);
static int	echo_has_token(const char *, const char *);
static void	*echo_thread(void *);
static int	echo_send(int, const char *, size_t);
static size_t	echo_lines(int, char *, size_t, int);

/* 1 when the comma-separated list contains token (case-insensitive). */
static int
echo_has_token(const char *list, const char *token)
{
	size_t	 n = strlen(token), len;

	while (list != NULL && *list != '\0') {
		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		for (len = 0; list[len] != '\0' && list[len] != ','; len++)
			continue;
		while (len > 0 && (list[len - 1] == ' ' ||
		    list[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(list, token, n) == 0)
			return 1;
		list += len;
		while (*list != '\0' && *list != ',')
			list++;
	}
	return 0;
}

/* Writes all of buf; MSG_NOSIGNAL: a client that left is an error, not
   a SIGPIPE.  Returns 0 or -1. */
static int
echo_send(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Echoes the complete lines at the start of buf: everything when flush is
 * set or when buf is full without a newline.  Returns the bytes consumed,
 * or (size_t)-1 when the client cannot be written to.
 */
static size_t
echo_lines(int fd, char *buf, size_t len, int flush)
{
	size_t	 done = len;

	if (!flush) {
		while (done > 0 && buf[done - 1] != '\n')
			done--;
		if (done == 0 && len == ECHO_LINE_MAX)
			done = len;
	}
	if (done > 0 && echo_send(fd, buf, done) == -1)
		return (size_t)-1;
	return done;
}

/*
 * The echo loop of one hijacked connection.  The bytes ferryd had already
 * read from the client (a line sent together with the request, say) come
 * first, then the socket, until the client closes.
 */
static void *
echo_thread(void *arg)
{
	struct echo_conn	*c = arg;
	char			 buf[ECHO_LINE_MAX];
	size_t			 len = 0, used, take, pos = 0;
	ssize_t			 n;

	for (;;) {
		if (pos < c->prelen) {
			take = c->prelen - pos;
			if (take > sizeof(buf) - len)
				take = sizeof(buf) - len;
			memcpy(buf + len, c->pre + pos, take);
			pos += take;
			n = (ssize_t)take;
		} else if ((n = recv(c->fd, buf + len, sizeof(buf) - len,
		    0)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* the client closed (or failed) */
		len += (size_t)n;
		if ((used = echo_lines(c->fd, buf, len, 0)) == (size_t)-1)
			goto done;
		memmove(buf, buf + used, len - used);
		len -= used;
	}
	/* A last line without its newline is echoed as it is. */
	if (n == 0 && len > 0)
		echo_lines(c->fd, buf, len, 1);
done:
	close(c->fd);
	free(c->pre);
	free(c);
	return NULL;
}

static int
echo_handler(struct ferry_req *req, void *arg)
{
	struct echo_conn	*c;
	const char		*up = ferry_header(req, "Upgrade");
	pthread_attr_t		 attr;
	pthread_t		 t;
	void			*pre;
	size_t			 prelen;
	int			 fd, rv;

	if (!echo_has_token(ferry_header(req, "Connection"), "upgrade") ||
	    up == NULL || strcasecmp(up, "echo") != 0) {
		ferry_status(req, 426);
		ferry_add_header(req, "Upgrade", "echo");
		ferry_printf(req, "426 Upgrade Required: send \"Connection: "
		    "Upgrade\" and \"Upgrade: echo\"\n");
		return 0;
	}

	/* The 101 head must reach the client before the socket changes
	   hands: flush it.  A 101 has no body. */
	ferry_status(req, 101);
	ferry_add_header(req, "Upgrade", "echo");
	ferry_add_header(req, "Connection", "Upgrade");
	if (ferry_flush(req) == -1) {
		perror("upgrade-echo: ferry_flush");
		return 1;
	}
	if ((fd = ferry_hijack(req, &pre, &prelen)) == -1) {
		fprintf(stderr, "upgrade-echo: request %u: hijack: %s\n",
		    ferry_request_id(req), ferry_hijack_error(req));
		return 1;
	}

	/* From here on the socket is ours, whatever happens to req. */
	if ((c = malloc(sizeof(*c))) == NULL) {
		close(fd);
		free(pre);
		return 1;
	}
	c->fd = fd;
	c->pre = pre;
	c->prelen = prelen;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rv = pthread_create(&t, &attr, echo_thread, c);
	pthread_attr_destroy(&attr);
	if (rv != 0) {
		fprintf(stderr, "upgrade-echo: pthread_create: %s\n",
		    strerror(rv));
		close(fd);
		free(pre);
		free(c);
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	return ferry_serve_args(argc, argv, echo_handler, NULL) == -1 ? 1 : 0;
}
