/*
 * hijack_app: the libferry app of the hijack benchmark (bench/run.sh).
 *
 *   /hijack   takes the client socket, writes a small HTTP/1.0 response on
 *             it and closes it: one whole hijack per request
 *   /echo     answers 101, takes the socket and echoes everything on it in
 *             a thread of its own until the client closes (the handler
 *             returns at once, as a WebSocket server's would)
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry.h"

static int
writeall(int fd, const void *p, size_t len)
{
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *
echo(void *arg)
{
	int	 fd = (int)(intptr_t)arg;
	char	 b[16384];
	ssize_t	 n;

	while ((n = read(fd, b, sizeof(b))) > 0)
		if (writeall(fd, b, (size_t)n) == -1)
			break;
	close(fd);
	return NULL;
}

static int
handle(struct ferry_req *req, void *arg)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	const char	*path = ferry_path_info(req);
	pthread_t	 t;
	void		*buf;
	size_t		 len;
	int		 fd;

	(void)arg;
	if (strcmp(path, "/echo") == 0) {
		ferry_status(req, 101);
		ferry_add_header(req, "Upgrade", "echo");
		ferry_add_header(req, "Connection", "Upgrade");
		ferry_flush(req);
	}
	if ((fd = ferry_hijack(req, &buf, &len)) == -1) {
		ferry_status(req, 500);
		ferry_printf(req, "hijack: %s\n", ferry_hijack_error(req));
		return 0;
	}
	if (strcmp(path, "/echo") == 0) {
		if (len > 0)
			(void)writeall(fd, buf, len);
		free(buf);
		if (pthread_create(&t, NULL, echo, (void *)(intptr_t)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
		return 0;
	}
	free(buf);
	(void)writeall(fd, ok, sizeof(ok) - 1);
	close(fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	return ferry_serve_args(argc, argv, handle, NULL) == -1 ? 1 : 0;
}
