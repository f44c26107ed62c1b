/*
 * Listening sockets and accepting.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conn.h"
#include "server/limits.h"
#include "server/listen.h"
#include "server/log.h"
#include "server/master.h"
#include "server/util.h"

static void	listen_accept_cb(struct ev_loop *, ev_io *, int);
static void	listen_retry_cb(struct ev_loop *, ev_timer *, int);

static int
listen_one(struct listener *l)
{
	const struct conf_listen *cl = l->cl;
	int		 one = 1, fd;
	struct stat	 st;

	fd = socket(cl->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket", cl->spec);
		return -1;
	}
	if (cl->family == AF_UNIX) {
		const struct sockaddr_un *sun = (const void *)&cl->addr;

		/* Replace a stale socket, never any other file. */
		if (lstat(sun->sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sun->sun_path);
	} else
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cl->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (const struct sockaddr *)&cl->addr, cl->addrlen) == -1) {
		log_warn("%s: bind", cl->spec);
		close(fd);
		return -1;
	}
	if (listen(fd, 511) == -1) {
		log_warn("%s: listen", cl->spec);
		close(fd);
		return -1;
	}
	l->fd = fd;
	ev_io_init(&l->io, listen_accept_cb, fd, EV_READ);
	return 0;
}

int
listen_open(struct master *m)
{
	size_t	i;

	m->listeners = calloc(m->conf->nlistens, sizeof(*m->listeners));
	if (m->listeners == NULL)
		return -1;
	for (i = 0; i < m->conf->nlistens; i++) {
		m->listeners[i].m = m;
		m->listeners[i].cl = &m->conf->listens[i];
		m->listeners[i].fd = -1;
		m->nlisteners = i + 1;
		if (listen_one(&m->listeners[i]) == -1)
			return -1;
		log_info("listening on %s", m->conf->listens[i].spec);
	}
	ev_init(&m->accept_retry, listen_retry_cb);
	return 0;
}

void
listen_resume(struct master *m)
{
	size_t	i;

	m->accept_paused = 0;
	for (i = 0; i < m->nlisteners; i++)
		if (m->listeners[i].fd != -1)
			ev_io_start(m->loop, &m->listeners[i].io);
}

void
listen_pause(struct master *m)
{
	size_t	i;

	m->accept_paused = 1;
	for (i = 0; i < m->nlisteners; i++)
		ev_io_stop(m->loop, &m->listeners[i].io);
}

void
listen_close(struct master *m)
{
	size_t	i;

	ev_timer_stop(m->loop, &m->accept_retry);
	for (i = 0; i < m->nlisteners; i++) {
		struct listener	*l = &m->listeners[i];

		if (l->fd == -1)
			continue;
		ev_io_stop(m->loop, &l->io);
		close(l->fd);
		l->fd = -1;
		if (l->cl->family == AF_UNIX)
			unlink(((const struct sockaddr_un *)(const void *)
			    &l->cl->addr)->sun_path);
	}
	m->accept_paused = 1;
}

static void
listen_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener		*l = container_of(w, struct listener, io);
	struct master		*m = l->m;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (m->nconns >= m->conf->max_conns) {
			log_warnx("%u connections: not accepting until one "
			    "closes", m->nconns);
			listen_pause(m);
			return;
		}
		len = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
			case EINTR:
			case ECONNABORTED:
				return;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/* Out of resources: retry from a timer. */
				log_warn("accept");
				listen_pause(m);
				ev_timer_set(&m->accept_retry, ACCEPT_RETRY, 0);
				ev_timer_start(loop, &m->accept_retry);
				return;
			default:
				log_warn("accept");
				return;
			}
		}
		conn_accept(m, fd, (struct sockaddr *)&ss, len);
	}
}

static void
listen_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = container_of(w, struct master, accept_retry);

	if (!m->stopping)
		listen_resume(m);
}
