/*
 * Listening sockets and accepting.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "server/conn.h"
#include "server/limits.h"
#include "server/listen.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/util.h"

struct listener {
	ev_io			 io;
	struct master		*m;
	const struct conf_listen *cl;
	int			 fd;
	int			 passed;	/* by systemd: not ours to
						   unlink */
	int			 kept;		/* a reload keeps its socket */
	int			 reuseport;	/* the socket has SO_REUSEPORT
						   (it may differ from cl's
						   flag: listen_reuseport) */
};

/* The master's listeners (m->listen). */
struct listen_set {
	struct listener		*l;
	size_t			 n;
	int			 paused;	/* max_conns or out of fds */
	ev_timer		 retry;		/* EMFILE back-off; data: m */
	struct listener		*next;		/* a reload's, prepared */
	size_t			 next_n;
	int			 drained;	/* listen_drain closed the
						   reuse_port listeners: a
						   reload opens none again */
};

static void	listen_accept_cb(struct ev_loop *, ev_io *, int);
static void	listen_retry_cb(struct ev_loop *, ev_timer *, int);
static int	listen_passed(struct listen_set *);
static int	listen_same(const struct conf_listen *,
		    const struct sockaddr_storage *);
static void	listen_reuseport(struct listener *, const char *);
static void	listen_migrate_note(void);

/* listen_drain's accept rounds of ACCEPT_BATCH per listener, at most. */
#define LISTEN_DRAIN_ROUNDS	16

/* 1 when a server accepts connections on the Unix socket of cl. */
static int
listen_live(const struct conf_listen *cl)
{
	int	fd, live;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	live = connect(fd, (const struct sockaddr *)&cl->addr,
	    cl->addrlen) == 0;
	close(fd);
	return live;
}

/* The socket file's mode, owner and group, when the listen entry sets
   them; -1 after logging. */
static int
listen_unix_perms(const struct conf_listen *cl)
{
	const struct sockaddr_un *sun = (const void *)&cl->addr;

	if ((cl->uid != (uid_t)-1 || cl->gid != (gid_t)-1) &&
	    chown(sun->sun_path, cl->uid, cl->gid) == -1) {
		log_err("%s: chown", cl->spec);
		return -1;
	}
	if (cl->mode != -1 && chmod(sun->sun_path, (mode_t)cl->mode) == -1) {
		log_err("%s: chmod", cl->spec);
		return -1;
	}
	return 0;
}

static int
listen_one(struct listener *l)
{
	const struct conf_listen *cl = l->cl;
	int		 one = 1, fd;
	struct stat	 st;

	fd = socket(cl->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_err("%s: socket", cl->spec);
		return -1;
	}
	if (cl->family == AF_UNIX) {
		const struct sockaddr_un *sun = (const void *)&cl->addr;

		/* Replace a stale socket, never any other file, and never
		   one a live server answers on. */
		if (lstat(sun->sun_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			if (listen_live(cl)) {
				errno = EADDRINUSE;
				log_err("%s: a server answers there", cl->spec);
				close(fd);
				return -1;
			}
			unlink(sun->sun_path);
		}
	} else
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((cl->flags & CONF_LISTEN_REUSEPORT) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1) {
		log_err("%s: SO_REUSEPORT", cl->spec);
		close(fd);
		return -1;
	}
	l->reuseport = (cl->flags & CONF_LISTEN_REUSEPORT) != 0;
	if (cl->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (const struct sockaddr *)&cl->addr, cl->addrlen) == -1) {
		log_err("%s: bind", cl->spec);
		close(fd);
		return -1;
	}
	if (cl->family == AF_UNIX && listen_unix_perms(cl) == -1) {
		close(fd);
		return -1;
	}
	if (listen(fd, 511) == -1) {
		log_err("%s: listen", cl->spec);
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
	struct listen_set	*ls;
	size_t			 i;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return -1;
	m->listen = ls;
	ev_init(&ls->retry, listen_retry_cb);
	ls->retry.data = m;
	ls->l = calloc(m->conf->nlistens, sizeof(*ls->l));
	if (ls->l == NULL)
		return -1;
	for (i = 0; i < m->conf->nlistens; i++) {
		ls->l[i].m = m;
		ls->l[i].cl = &m->conf->listens[i];
		ls->l[i].fd = -1;
	}
	ls->n = m->conf->nlistens;
	if (listen_passed(ls) == -1)
		return -1;
	for (i = 0; i < ls->n; i++) {
		if (ls->l[i].passed) {
			log_info("listening on %s (a socket passed to ferryd)",
			    ls->l[i].cl->spec);
			continue;
		}
		if (listen_one(&ls->l[i]) == -1)
			return -1;
		log_info("listening on %s", m->conf->listens[i].spec);
	}
	for (i = 0; i < ls->n; i++)
		if (ls->l[i].reuseport) {
			listen_migrate_note();
			break;
		}
	return 0;
}

/* Closes l's socket (unlinking a Unix socket path that is ours). */
static void
listen_close_one(struct master *m, struct listener *l)
{
	if (l->fd == -1)
		return;
	ev_io_stop(m->loop, &l->io);
	close(l->fd);
	l->fd = -1;
	if (l->cl->family == AF_UNIX && !l->passed)
		unlink(((const struct sockaddr_un *)(const void *)
		    &l->cl->addr)->sun_path);
}

int
listen_prepare(struct master *m, const struct conf *cf)
{
	struct listen_set	*ls = m->listen;
	struct listener		*nl, *old;
	size_t			 i, j;

	listen_abort(m);
	if ((nl = calloc(cf->nlistens + 1, sizeof(*nl))) == NULL) {
		log_warn("listen");
		return -1;
	}
	for (j = 0; j < ls->n; j++)
		ls->l[j].kept = 0;
	for (i = 0; i < cf->nlistens; i++) {
		nl[i].m = m;
		nl[i].cl = &cf->listens[i];
		nl[i].fd = -1;
		for (j = 0, old = NULL; j < ls->n && old == NULL; j++)
			if (ls->l[j].fd != -1 && !ls->l[j].kept &&
			    listen_same(nl[i].cl, &ls->l[j].cl->addr))
				old = &ls->l[j];
		if (old != NULL) {
			/* Never closed and opened again: not one
			   connection refused. */
			old->kept = 1;
			nl[i].fd = old->fd;
			nl[i].passed = old->passed;
			nl[i].kept = 1;
			nl[i].reuseport = old->reuseport;
			listen_reuseport(&nl[i], "reload: ");
		} else if (ls->drained &&
		    (nl[i].cl->flags & CONF_LISTEN_REUSEPORT)) {
			/* Its siblings take the port's connections. */
			log_info("reload: draining: not listening on %s again",
			    nl[i].cl->spec);
		} else if (listen_one(&nl[i]) == -1) {
			ls->next = nl;
			ls->next_n = i;
			listen_abort(m);
			return -1;
		}
	}
	ls->next = nl;
	ls->next_n = cf->nlistens;
	return 0;
}

void
listen_abort(struct master *m)
{
	struct listen_set	*ls = m->listen;
	size_t			 i;

	if (ls == NULL || ls->next == NULL)
		return;
	for (i = 0; i < ls->next_n; i++)
		if (!ls->next[i].kept)
			listen_close_one(m, &ls->next[i]);
	free(ls->next);
	ls->next = NULL;
	ls->next_n = 0;
}

void
listen_commit(struct master *m)
{
	struct listen_set	*ls = m->listen;
	struct listener		*l;
	size_t			 i;

	if (ls->next == NULL)
		return;
	for (i = 0; i < ls->n; i++) {
		l = &ls->l[i];
		if (l->kept) {
			ev_io_stop(m->loop, &l->io);
			continue;
		}
		if (l->fd != -1)
			log_info("reload: no longer listening on %s",
			    l->cl->spec);
		listen_close_one(m, l);
	}
	free(ls->l);
	ls->l = ls->next;
	ls->n = ls->next_n;
	ls->next = NULL;
	ls->next_n = 0;
	for (i = 0; i < ls->n; i++) {
		l = &ls->l[i];
		if (l->fd == -1)
			continue;	/* drained */
		if (l->kept && l->cl->family == AF_UNIX)
			(void)listen_unix_perms(l->cl);
		if (!l->kept)
			log_info("reload: listening on %s", l->cl->spec);
		l->kept = 0;
		ev_io_init(&l->io, listen_accept_cb, l->fd, EV_READ);
		if (!ls->paused && m->ready && !m->stopping)
			ev_io_start(m->loop, &l->io);
	}
}

/* 1 when the bound address sa is the listen entry cl's. */
static int
listen_same(const struct conf_listen *cl, const struct sockaddr_storage *sa)
{
	const struct sockaddr_in	*a4 = (const void *)&cl->addr,
					*b4 = (const void *)sa;
	const struct sockaddr_in6	*a6 = (const void *)&cl->addr,
					*b6 = (const void *)sa;
	const struct sockaddr_un	*au = (const void *)&cl->addr,
					*bu = (const void *)sa;

	if (sa->ss_family != cl->family)
		return 0;
	switch (cl->family) {
	case AF_INET:
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	case AF_UNIX:
		return strncmp(au->sun_path, bu->sun_path,
		    sizeof(au->sun_path)) == 0;
	}
	return 0;
}

/*
 * The listening sockets passed by systemd's convention (LISTEN_FDS and
 * LISTEN_PID: socket activation, or an old ferryd handing over): each
 * goes to the listen entry with its address.  A passed socket that no
 * entry names is an error: it would be a port nobody serves.
 */
static int
listen_passed(struct listen_set *ls)
{
	struct sockaddr_storage	 sa;
	socklen_t		 len;
	size_t			 i;
	int			 n, fd, fl;

	if ((n = sd_listen_fds(1)) <= 0) {
		if (n < 0) {
			errno = -n;
			log_err("LISTEN_FDS");
			return -1;
		}
		return 0;
	}
	for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		len = sizeof(sa);
		memset(&sa, 0, sizeof(sa));
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
			errno = ENOTSOCK;
			log_err("passed fd %d: not a listening stream socket",
			    fd);
			return -1;
		}
		for (i = 0; i < ls->n; i++)
			if (!ls->l[i].passed && listen_same(ls->l[i].cl, &sa))
				break;
		if (i == ls->n) {
			errno = EADDRNOTAVAIL;
			log_err("passed fd %d: no listen entry has its address",
			    fd);
			return -1;
		}
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			log_err("passed fd %d", fd);
			return -1;
		}
		ls->l[i].fd = fd;
		ls->l[i].passed = 1;
		ev_io_init(&ls->l[i].io, listen_accept_cb, fd, EV_READ);
		listen_reuseport(&ls->l[i], "");
	}
	return 0;
}

/*
 * A kept or passed socket (a reload's, systemd's, an old master's) is
 * used as it was bound: SO_REUSEPORT cannot be added to or taken from a
 * bound socket (the port's other sockets would refuse the change), so
 * l->reuseport is read from the socket, and a listen entry whose
 * reuse_port says otherwise is logged, the socket kept as it is.
 */
static void
listen_reuseport(struct listener *l, const char *why)
{
	int		on = 0, want;
	socklen_t	len = sizeof(on);

	want = (l->cl->flags & CONF_LISTEN_REUSEPORT) != 0;
	if (l->cl->family == AF_UNIX)
		return;
	if (getsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &on, &len) == -1)
		on = 0;
	l->reuseport = on != 0;
	if (l->reuseport != want)
		log_warnx("%s%s: the socket is kept as it was bound, %s "
		    "SO_REUSEPORT: reuse_port applies when a new socket is "
		    "bound (a stop and start; a reload and an upgrade keep "
		    "the socket)%s", why, l->cl->spec, on ? "with" : "without",
		    l->passed && !*why ? "; under socket activation, "
		    "ReusePort= of the .socket unit sets it" : "");
}

/* Connections waiting in a reuse_port listener's queue when it closes
   are reset, unless the kernel migrates them to a sibling: said once. */
static void
listen_migrate_note(void)
{
	static int	 said;
	char		 buf[8] = "";
	FILE		*fp;

	if (said++)
		return;
	if ((fp = fopen("/proc/sys/net/ipv4/tcp_migrate_req", "re")) == NULL)
		return;
	if (fgets(buf, sizeof(buf), fp) != NULL && buf[0] == '0')
		log_info("reuse_port: net.ipv4.tcp_migrate_req is 0: a "
		    "connection the kernel queues for this instance as it "
		    "closes its listener is reset; set it to 1 to hand it to "
		    "a sibling");
	fclose(fp);
}

size_t
listen_drain(struct master *m, const char *why)
{
	struct listen_set	*ls = m->listen;
	struct listener		*l;
	size_t			 i, n = 0;
	int			 round;

	if (ls == NULL)
		return 0;
	ls->drained = 1;
	for (i = 0; i < ls->n; i++) {
		l = &ls->l[i];
		if (l->fd == -1 || !l->reuseport)
			continue;
		/* What waits in its queue is served, not reset: accept
		   until it is empty (or max_connections). */
		for (round = 0; round < LISTEN_DRAIN_ROUNDS && !ls->paused;
		    round++)
			listen_accept_cb(m->loop, &l->io, EV_READ);
		listen_close_one(m, l);	/* at once: see listen_migrate_note */
		log_info("%s: no longer listening on %s (the port's other "
		    "sockets take its connections)", why, l->cl->spec);
		n++;
	}
	return n;
}

void
listen_resume(struct master *m)
{
	struct listen_set	*ls = m->listen;
	size_t			 i;

	ls->paused = 0;
	for (i = 0; i < ls->n; i++)
		if (ls->l[i].fd != -1)
			ev_io_start(m->loop, &ls->l[i].io);
}

void
listen_pause(struct master *m)
{
	struct listen_set	*ls = m->listen;
	size_t			 i;

	ls->paused = 1;
	for (i = 0; i < ls->n; i++)
		ev_io_stop(m->loop, &ls->l[i].io);
}

void
listen_refill(struct master *m)
{
	struct listen_set	*ls = m->listen;

	if (ls->paused && conn_count(m) < m->conf->max_conns &&
	    !ev_is_active(&ls->retry))
		listen_resume(m);
}

void
listen_close(struct master *m)
{
	struct listen_set	*ls = m->listen;
	size_t			 i;

	if (ls == NULL)
		return;
	ev_timer_stop(m->loop, &ls->retry);
	listen_abort(m);
	for (i = 0; i < ls->n; i++)
		listen_close_one(m, &ls->l[i]);
	ls->paused = 1;
}

void
listen_fini(struct master *m)
{
	if (m->listen == NULL)
		return;
	free(m->listen->l);
	free(m->listen);
	m->listen = NULL;
}

static void
listen_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener		*l = container_of(w, struct listener, io);
	struct master		*m = l->m;
	struct listen_set	*ls = m->listen;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (conn_count(m) >= m->conf->max_conns) {
			log_warnx("%u connections: not accepting until one "
			    "closes", conn_count(m));
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
				m->stats.accept_errors++;
				log_warn("accept");
				listen_pause(m);
				ev_timer_set(&ls->retry, ACCEPT_RETRY, 0);
				ev_timer_start(loop, &ls->retry);
				return;
			default:
				log_warn("accept");
				return;
			}
		}
		m->stats.accepted++;
		conn_accept(m, fd, (struct sockaddr *)&ss, len, l->cl->flags);
	}
}

static void
listen_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = w->data;

	if (!m->stopping)
		listen_resume(m);
}

size_t
listen_fds(struct master *m, int *fds, const char **specs, size_t max)
{
	struct listen_set	*ls = m->listen;
	size_t			 i, n = 0;

	for (i = 0; ls != NULL && i < ls->n; i++) {
		if (ls->l[i].fd == -1)
			continue;
		if (n < max) {
			fds[n] = ls->l[i].fd;
			specs[n] = ls->l[i].cl->spec;
		}
		n++;
	}
	return n;
}

void
listen_handed(struct master *m)
{
	struct listen_set	*ls = m->listen;
	size_t			 i;

	for (i = 0; ls != NULL && i < ls->n; i++)
		ls->l[i].passed = 1;
}
