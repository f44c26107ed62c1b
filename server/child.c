/*
 * A child process of the master, whatever runs it: its base environment,
 * its working directory, the SIGTERM-then-SIGKILL ladder for its process
 * group, and its output logged line by line.  Used by server/cgi.c and
 * server/worker.c; reports upward only through return values and the
 * child_log closed callback.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server/child.h"
#include "server/conf.h"
#include "server/log.h"
#include "server/util.h"

#define CHILD_DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"
#define CHILD_LOG_READ		4096	/* bytes read per wake-up */

static void	child_log_cb(struct ev_loop *, ev_io *, int);
static void	child_log_line(struct child_log *, size_t);
static void	child_log_dropped(struct child_log *);

void
child_env_init(struct child_env *e)
{
	e->n = 0;
	e->v[0] = NULL;
}

int
child_env_add(void *arg, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct child_env	*e = arg;
	char			*s;

	if (e->n >= CGI_MAX_ENV)
		return 0;	/* the rest is dropped, not fatal */
	if ((s = malloc(nlen + vlen + 2)) == NULL)
		return -1;
	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, value, vlen);
	s[nlen + vlen + 1] = '\0';
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
	return 0;
}

int
child_env_base(struct child_env *e, const struct conf_app *app)
{
	const char	*path, *val;
	char		**p;

	if ((path = getenv("PATH")) == NULL)
		path = CHILD_DEFAULT_PATH;
	if (child_env_add(e, "PATH", 4, path, strlen(path)) == -1)
		return -1;
	for (p = app->env; p != NULL && *p != NULL; p++) {
		if (strcmp(*p, "PATH") == 0 || (val = getenv(*p)) == NULL)
			continue;
		if (child_env_add(e, *p, strlen(*p), val, strlen(val)) == -1)
			return -1;
	}
	return 0;
}

void
child_env_free(struct child_env *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	child_env_init(e);
}

char *
child_dir(const char *path)
{
	char	*dir, *slash;

	if ((dir = strdup(path)) == NULL)
		return NULL;
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	return dir;
}

int
child_kill(pid_t pid, int *killing, const char *name, const char *verb,
    const char *why)
{
	if (*killing) {
		kill(-pid, SIGKILL);
		return 0;
	}
	log_info("%s[%d]: %s: %s", name, (int)pid, verb, why);
	*killing = 1;
	kill(-pid, SIGTERM);
	return 1;
}

const char *
child_signal_cause(int sig, const struct rusage *ru, const uint64_t *limits)
{
	uint64_t	cpu = limits[CONF_LIMIT_CPU];

	if (sig == SIGXCPU || (sig == SIGKILL && cpu != CONF_LIMIT_UNSET &&
	    (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) >= cpu))
		return " (limit_cpu: its CPU time ran out)";
	if (sig == SIGXFSZ)
		return " (limit_file_size: it wrote a file past the limit)";
	return "";
}

void
child_kill_late(pid_t pid, const char *name)
{
	log_warnx("%s[%d]: still running after SIGTERM: SIGKILL", name,
	    (int)pid);
	kill(-pid, SIGKILL);
}

void
child_log_init(struct child_log *lg, struct ev_loop *loop, int fd,
    const char *name, pid_t pid, int strip_cr, void (*closed)(void *),
    void *arg)
{
	lg->loop = loop;
	lg->name = name;
	lg->pid = pid;
	lg->strip_cr = strip_cr;
	lg->closed = closed;
	lg->arg = arg;
	lg->len = 0;
	lg->tokens = CHILD_LOG_BURST;
	lg->refilled = ev_now(loop);
	lg->dropped = 0;
	ev_io_init(&lg->io, child_log_cb, fd, EV_READ);
	if (fd != -1)
		ev_io_start(loop, &lg->io);
}

/* Says how many lines were dropped since it was last said, if any. */
static void
child_log_dropped(struct child_log *lg)
{
	if (lg->dropped == 0)
		return;
	log_warnx("%s[%d]: ... dropped %lu lines", lg->name, (int)lg->pid,
	    lg->dropped);
	lg->dropped = 0;
}

/* Logs line[0..len), or drops it when the child is over its rate. */
static void
child_log_line(struct child_log *lg, size_t len)
{
	ev_tstamp	now = ev_now(lg->loop);

	if (now > lg->refilled) {
		lg->tokens += (now - lg->refilled) * CHILD_LOG_RATE;
		if (lg->tokens > CHILD_LOG_BURST)
			lg->tokens = CHILD_LOG_BURST;
	}
	lg->refilled = now;
	if (lg->tokens < 1) {
		lg->dropped++;
		return;
	}
	lg->tokens -= 1;
	child_log_dropped(lg);
	if (lg->strip_cr && len > 0 && lg->line[len - 1] == '\r')
		len--;
	log_warnx("%s[%d]: %.*s", lg->name, (int)lg->pid, (int)len, lg->line);
}

void
child_log_feed(struct child_log *lg, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' || lg->len == sizeof(lg->line)) {
			child_log_line(lg, lg->len);
			lg->len = 0;
			if (p[i] == '\n')
				continue;
		}
		lg->line[lg->len++] = p[i];
	}
}

void
child_log_flush(struct child_log *lg)
{
	if (lg->len > 0)
		child_log_line(lg, lg->len);
	lg->len = 0;
	child_log_dropped(lg);
}

void
child_log_discard(struct child_log *lg)
{
	lg->len = 0;
}

void
child_log_drain(struct child_log *lg)
{
	char	buf[CHILD_LOG_READ];
	ssize_t	n;

	if (lg->io.fd == -1)
		return;
	while ((n = read(lg->io.fd, buf, sizeof(buf))) > 0)
		child_log_feed(lg, buf, (size_t)n);
	child_log_flush(lg);
}

void
child_log_close(struct child_log *lg)
{
	if (lg->io.fd == -1)
		return;
	ev_io_stop(lg->loop, &lg->io);
	close(lg->io.fd);
	ev_io_set(&lg->io, -1, EV_READ);
}

int
child_log_is_open(const struct child_log *lg)
{
	return lg->io.fd != -1;
}

static void
child_log_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct child_log	*lg = container_of(w, struct child_log, io);
	char			 buf[CHILD_LOG_READ];
	ssize_t			 n;

	n = read(w->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		child_log_flush(lg);
		child_log_close(lg);
		if (lg->closed != NULL)
			lg->closed(lg->arg);
		return;
	}
	child_log_feed(lg, buf, (size_t)n);
}
