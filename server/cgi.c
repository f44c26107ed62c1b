/*
 * CGI processes: spawn, stdin/stdout/stderr pipes, exit status, timeouts,
 * the per-app process limit and wait queue.
 *
 * A struct cgi lives from the spawn until the process is reaped and its
 * stdout is closed (by then, or at the request timeout, whichever comes
 * first once the script has exited: a process that left its group may
 * hold a copy).  While attached to a connection it feeds it; once
 * detached (the client left, the response failed) it only waits for the
 * process to go, killing it first when the policy says so.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/cgienv.h"
#include "server/app.h"
#include "server/cgi.h"
#include "server/cgroup.h"
#include "server/child.h"
#include "server/conn.h"
#include "server/filter.h"
#include "server/notif.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/reap.h"
#include "server/sandbox.h"
#include "server/spawn.h"
#include "server/spawner.h"
#include "server/util.h"

/* A CGI app's state: kept by name across reloads (cgi_install). */
struct cgi_app {
	struct cgi_app		*next;		/* m->cgi's */
	struct conf_app		*conf;		/* its own copy of the newest
						   settings */
	unsigned int		 gens;		/* configurations using it */
	int			 current;	/* m->conf uses it */
	unsigned int		 running;
	struct app_queue	 queue;		/* waiting requests */
	struct app_short	 shortage;	/* out of fds: the queue
						   waits */
	struct sandbox		*sb;		/* NULL: none */
	struct sandbox		*sb_next;	/* a reload's, from install
						   to commit */
	int			 sb_pending;	/* sb_next replaces sb */
};

#define CGI_START_SHORT	(-1)	/* cgi_start: out of fds, c untouched */

/* The spawner of a CGI app without a sandbox, one per app name and
   filter (a reload may turn it on or off), kept until the master stops:
   its processes' exits come through it. */
struct cgi_spawner {
	struct cgi_spawner	*next;
	char			*app;
	const struct sock_fprog	*filter;	/* NULL: none */
	struct spawner		*sp;	/* NULL: none yet, or failed */
	ev_tstamp		 tried;	/* when last started */
};

/* The master's CGI apps and processes (m->cgi). */
struct cgi_set {
	struct cgi_app		*apps;		/* every CGI app's state */
	struct cgi_spawner	*spawners;
	struct cgi		*procs;		/* live CGI processes */
	unsigned int		 nprocs;
	int			 null_fd;	/* /dev/null: stdin of a
						   request without a body */
};

struct cgi {
	struct master	*m;
	struct cgi_app	*app;
	struct conn	*c;		/* NULL once detached */
	struct cgi	*next;		/* live processes of m->cgi */
	pid_t		 pid;
	char		 name[128];	/* script path for logs */
	struct reap_watch child;	/* its exit (server/reap.c) */
	ev_io		 in_w, out_r;
	struct child_log err;		/* stderr */
	ev_timer	 timer;		/* request timeout, then kill grace */
	int		 exited, status;
	int		 out_eof;
	int		 killing;	/* SIGTERM sent */
	int		 in_done;
	struct spawner	*remote;	/* its spawner, if one started it:
					   pid 0 until it answers */
	int		 kill_owed;	/* killed before that: SIGKILL then */
	/* the settings it started with (a reload changes later ones) */
	double		 timeout;
	int		 finish_gone;	/* on_client_gone = finish */
	int		 half_close;	/* half_close = answer */
	struct cgroup_proc cg;		/* its cgroups */
};

static int	cgi_start(struct conn *, int);
static void	cgi_short_retry(void *);
static void	cgi_in_cb(struct ev_loop *, ev_io *, int);
static void	cgi_out_cb(struct ev_loop *, ev_io *, int);
static void	cgi_child_cb(struct reap_watch *, int, const struct rusage *);
static void	cgi_timer_cb(struct ev_loop *, ev_timer *, int);
static void	cgi_kill(struct cgi *, const char *);
static void	cgi_signal(struct cgi *, int);
static struct spawner *cgi_spawner(struct master *, const struct conf_app *,
		    const struct spawn_req *);
static void	cgi_spawned(void *, pid_t, int);
static void	cgi_remote_exited(struct master *, pid_t, int,
		    const struct rusage *);
static void	cgi_spawner_lost(struct master *, struct spawner *);
static void	cgi_maybe_done(struct cgi *);
static void	cgi_err_finish(struct cgi *);
static void	cgi_close_in(struct cgi *);
static void	cgi_close_io(struct cgi *, ev_io *);
static void	cgi_next(struct cgi_app *);
static void	cgi_body_ready(void *);
static void	cgi_output_resume(void *);
static void	cgi_detach(void *, const char *);
static int	cgi_half_closed(void *);

static const struct conn_app_ops cgi_ops = {
	cgi_body_ready, cgi_output_resume, cgi_detach, NULL, NULL, NULL,
	cgi_half_closed
};

static const struct spawner_ops cgi_spawner_ops = {
	cgi_remote_exited, cgi_spawner_lost
};

int
cgi_init(struct master *m)
{
	struct cgi_set	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	m->cgi = s;
	/* Without it, such a request gets an empty pipe, as one with a
	   body does. */
	s->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

static void
cgi_app_free(struct cgi_app *a)
{
	app_short_stop(&a->shortage);
	sandbox_close(a->sb);
	sandbox_close(a->sb_next);
	conf_app_destroy(a->conf);
	free(a);
}

/* At a reload, a's new settings app: a sandbox of their own when they
   ask for another one (it replaces a's at commit).  0, or -1 logged. */
static int
cgi_sandbox_next(struct cgi_app *a, const struct conf_app *app)
{
	sandbox_close(a->sb_next);	/* an abandoned reload's */
	a->sb_next = NULL;
	a->sb_pending = !conf_app_same_sandbox(a->conf, app);
	return a->sb_pending ? sandbox_open(app, &a->sb_next) : 0;
}

int
cgi_install(struct master *m, struct conf *cf)
{
	struct cgi_set	*s = m->cgi;
	struct conf_app	*app;
	struct cgi_app	*a;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < cf->napps; i++) {
		app = &cf->apps[i];
		if (app->type != CONF_APP_CGI)
			continue;
		if (conf_app_ids_check(app, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
		/* A script has no process to restart: the app of the same
		   name keeps its processes, queue and count. */
		for (a = s->apps; a != NULL; a = a->next)
			if (a->current && strcmp(a->conf->name, app->name) == 0)
				break;
		if (a == NULL) {
			if ((a = calloc(1, sizeof(*a))) == NULL ||
			    (a->conf = conf_app_dup(app)) == NULL) {
				free(a);
				log_warn("%s", app->name);
				return -1;
			}
			app_short_init(&a->shortage, m->loop, a->conf->name,
			    "start a script", cgi_short_retry, a);
			a->next = s->apps;
			s->apps = a;
			if (sandbox_open(app, &a->sb) == -1)
				return -1;
		} else if (cgi_sandbox_next(a, app) == -1)
			return -1;
		a->gens++;
		app->rt = a;
	}
	return 0;
}

int
cgi_commit(struct master *m, struct conf *cf)
{
	struct cgi_app	*a;
	size_t		 i;

	for (a = m->cgi->apps; a != NULL; a = a->next)
		a->current = 0;
	for (i = 0; i < cf->napps; i++) {
		if (cf->apps[i].type != CONF_APP_CGI)
			continue;
		a = cf->apps[i].rt;
		a->current = 1;
		if (a->sb_pending) {
			sandbox_close(a->sb);
			a->sb = a->sb_next;
			a->sb_next = NULL;
			a->sb_pending = 0;
		}
		if (conf_app_update(a->conf, &cf->apps[i]) == -1)
			log_warn("%s: keeping its settings", a->conf->name);
		cgi_next(a);	/* max_processes may have grown */
	}
	return 0;
}

void
cgi_release(struct master *m, struct conf_app *app)
{
	struct cgi_app	*a = app->rt;

	if (m->cgi != NULL)	/* else cgi_fini freed a */
		a->gens--;
}

void
cgi_collect(struct master *m)
{
	struct cgi_app	**pp, *a;

	if (m->cgi == NULL)
		return;
	for (pp = &m->cgi->apps; (a = *pp) != NULL;) {
		if (a->gens == 0 && a->running == 0 && a->queue.n == 0) {
			*pp = a->next;
			cgi_app_free(a);
		} else
			pp = &a->next;
	}
}

void
cgi_fini(struct master *m)
{
	struct cgi_set		*s = m->cgi;
	struct cgi		*g;
	struct cgi_app		*a;
	struct cgi_spawner	*sc;

	if (s == NULL)
		return;
	while ((a = s->apps) != NULL) {
		s->apps = a->next;
		cgi_app_free(a);
	}
	/* Processes still running at exit were killed; forget them. */
	while ((g = s->procs) != NULL) {
		s->procs = g->next;
		reap_stop(m, &g->child);
		ev_timer_stop(m->loop, &g->timer);
		cgi_close_io(g, &g->in_w);
		cgi_close_io(g, &g->out_r);
		child_log_close(&g->err);
		cgroup_proc_end(&g->cg, m->loop, g->name, g->pid);
		free(g);
	}
	while ((sc = s->spawners) != NULL) {
		s->spawners = sc->next;
		spawner_stop(sc->sp);
		free(sc->app);
		free(sc);
	}
	if (s->null_fd != -1)
		close(s->null_fd);
	free(s);
	m->cgi = NULL;
}

unsigned int
cgi_running(struct master *m)
{
	return m->cgi != NULL ? m->cgi->nprocs : 0;
}

/* The state of c's app in the configuration that routed c. */
static struct cgi_app *
cgi_app_of(struct conn *c)
{
	return conn_app_conf(c)->rt;
}

void
cgi_request(struct conn *c)
{
	struct cgi_app	*a = cgi_app_of(c);
	unsigned int	 maxp = a->conf->max_procs;

	if (a->running < maxp && !app_short_active(&a->shortage)) {
		if (cgi_start(c, 0) == 0)
			return;
		app_short_hit(&a->shortage);
	}
	(void)app_queue_wait(&a->queue, a->conf->queue, c,
	    "%s: %u processes running and %u waiting: 503", a->conf->name,
	    a->running, a->queue.n);
}

static void
cgi_next(struct cgi_app *a)
{
	struct conn	*c;
	unsigned int	 maxp = a->conf->max_procs;

	while (a->running < maxp && !app_short_active(&a->shortage) &&
	    (c = app_queue_pop(&a->queue)) != NULL)
		if (cgi_start(c, 1) == CGI_START_SHORT) {
			/* Still queued: it keeps its place. */
			app_queue_push_front(&a->queue, c);
			app_short_hit(&a->shortage);
		}
}

/* Out of fds (or memory) to start a script: ferryd's shortage.  The
   queue is tried again. */
static void
cgi_short_retry(void *arg)
{
	cgi_next(arg);
}

/* The request's CGI meta-variables, then the app's base environment. */
static int
cgi_build_env(struct conn *c, struct child_env *e)
{
	struct cgienv_info	 info;

	conn_cgienv_info(c, &info);
	if (cgienv_build(conn_request(c), &info, child_env_add, e) == -1)
		return -1;
	return child_env_base(e, conn_app_conf(c));
}

static int
cgi_pipe(int fds[2], int master_end)
{
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if (fcntl(fds[master_end], F_SETFL, O_NONBLOCK) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

/* Starts c's script (queued: c waits in the app's queue, popped).
   Returns 0 when it runs or c was answered (500), or CGI_START_SHORT when
   fds or memory ran out: c is left as it was. */
static int
cgi_start(struct conn *c, int queued)
{
	struct master		*m = conn_master(c);
	struct cgi_app		*a = cgi_app_of(c);
	const struct conf_app	*app = conn_app_conf(c);
	struct cgi		*g;
	struct child_env	 env;
	struct spawn_req	 sr;
	struct spawner		*sp;
	char			*argv[2], *dir;
	const char		*body;
	size_t			 blen;
	int			 in[2] = { -1, -1 }, out[2] = { -1, -1 },
				 err[2] = { -1, -1 }, null_in = 0, error;
	pid_t			 pid;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return CGI_START_SHORT;
	child_env_init(&env);
	if (cgi_build_env(c, &env) == -1) {
		free(g);
		child_env_free(&env);
		if (queued)
			conn_dequeued(c);
		conn_app_fail(c, 500);
		return 0;
	}
	conn_body_peek(c, &body, &blen);
	if (conn_body_fd(c) != -1) {
		in[0] = conn_body_fd(c);	/* spilled chunked body */
	} else if (blen == 0 && conn_body_complete(c) &&
	    m->cgi->null_fd != -1) {
		in[0] = m->cgi->null_fd;	/* no body: no pipe */
		null_in = 1;
	} else if (cgi_pipe(in, 1) == -1)
		goto fail;
	if (cgi_pipe(out, 0) == -1 || cgi_pipe(err, 0) == -1)
		goto fail;

	dir = child_dir(conn_script(c)->script_filename);
	if (dir == NULL)
		goto fail;
	argv[0] = conn_script(c)->script_filename;
	argv[1] = NULL;
	memset(&sr, 0, sizeof(sr));
	sr.path = conn_script(c)->script_filename;
	sr.argv = argv;
	sr.envp = env.v;
	sr.cwd = dir;
	sr.fd_in = in[0];
	sr.fd_out = out[1];
	sr.fd_err = err[1];
	sr.new_pgrp = 1;
	sr.set_ids = app->user != NULL || app->group != NULL;
	sr.uid = app->uid;
	sr.gid = app->gid;
	sr.limits = app->limits;
	sr.filter = filter_for(app->syscall_filter);
	if (cgroup_proc_open(&g->cg, app) == -1) {
		error = errno;
		if (!util_short(error))
			log_warn("%s: cgroup", conn_script(c)->script_filename);
		errno = error;
		free(dir);
		goto fail;
	}
	sr.cgroup_fds = g->cg.fds;
	sr.ncgroup_fds = g->cg.nfds;
	sr.sandbox = a->sb;
	g->m = m;
	if ((sp = cgi_spawner(m, app, &sr)) != NULL &&
	    spawner_spawn(sp, &sr, cgi_spawned, g) == 0) {
		g->remote = sp;		/* its pid comes to cgi_spawned */
		pid = 0;
	} else {
		notif_prepare(m, &sr);
		pid = spawn_process(&sr);
		notif_take(m, pid, app->name, app->stats);
	}
	cgroup_proc_spawned(&g->cg);
	free(dir);
	if (pid == -1) {
		error = errno;
		if (!util_short(error))
			log_warn("%s: spawn", conn_script(c)->script_filename);
		errno = error;
		goto fail;
	}
	child_env_free(&env);
	if (conn_body_fd(c) != -1) {
		close(conn_body_take_fd(c));
		in[1] = -1;
	} else if (!null_in)
		close(in[0]);
	close(out[1]);
	close(err[1]);
	if (queued)
		conn_dequeued(c);

	g->app = a;
	g->c = c;
	g->timeout = app->request_timeout;
	g->finish_gone = app->on_client_gone == CONF_GONE_FINISH;
	g->half_close = app->half_close_answer;
	g->pid = pid;
	snprintf(g->name, sizeof(g->name), "%s", conn_script(c)->script_name);
	a->running++;
	if (app->stats != NULL)
		app->stats->cgi_running++;
	g->next = m->cgi->procs;
	m->cgi->procs = g;
	m->cgi->nprocs++;
	conn_app_attach(c, &cgi_ops, g);
	if (pid > 0) {
		conn_app_note_pid(c, pid);
		reap_start(m, &g->child, pid, cgi_child_cb);
	}
	ev_io_init(&g->out_r, cgi_out_cb, out[0], EV_READ);
	ev_io_start(m->loop, &g->out_r);
	child_log_init(&g->err, m->loop, err[0], g->name, pid, 0, NULL,
	    NULL);
	ev_io_init(&g->in_w, cgi_in_cb, in[1], EV_WRITE);
	if (in[1] == -1 || conn_body_complete(c)) {
		g->in_done = 1;
		if (in[1] != -1)
			close(in[1]);
		g->in_w.fd = -1;
	} else
		ev_io_start(m->loop, &g->in_w);
	ev_init(&g->timer, cgi_timer_cb);
	g->timer.repeat = g->timeout;
	ev_timer_again(m->loop, &g->timer);
	if (pid > 0)
		log_debug("%s: started pid %d", g->name, (int)pid);
	conn_dispatch_ready(c);
	return 0;

fail:
	error = errno;
	child_env_free(&env);
	if (conn_body_fd(c) == -1 && in[0] != -1 && !null_in)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (out[0] != -1) {
		close(out[0]);
		close(out[1]);
	}
	if (err[0] != -1) {
		close(err[0]);
		close(err[1]);
	}
	cgroup_proc_end(&g->cg, m->loop, conn_script(c)->script_name, 0);
	free(g);
	if (util_short(error))
		return CGI_START_SHORT;
	if (queued)
		conn_dequeued(c);
	conn_app_fail(c, 500);
	return 0;
}

static void
cgi_close_io(struct cgi *g, ev_io *w)
{
	if (w->fd == -1)
		return;
	ev_io_stop(g->m->loop, w);
	close(w->fd);
	w->fd = -1;
}

static void
cgi_close_in(struct cgi *g)
{
	g->in_done = 1;
	cgi_close_io(g, &g->in_w);
}

/* The request body to the script's stdin, as the client sends it. */
static void
cgi_in_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct cgi	*g = container_of(w, struct cgi, in_w);
	const char	*p;
	size_t		 len;
	ssize_t		 n;

	if (g->c == NULL) {
		cgi_close_in(g);
		return;
	}
	for (;;) {
		conn_body_peek(g->c, &p, &len);
		if (len == 0)
			break;
		n = write(w->fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			/* EPIPE: the script stopped reading; the rest of
			   the body is drained or the connection closed
			   when the response is done. */
			cgi_close_in(g);
			return;
		}
		conn_body_consume(g->c, (size_t)n);
	}
	if (conn_body_complete(g->c))
		cgi_close_in(g);
	else
		ev_io_stop(loop, w);	/* until more body arrives */
}

static void
cgi_body_ready(void *arg)
{
	struct cgi	*g = arg;

	if (!g->in_done && g->in_w.fd != -1 && !ev_is_active(&g->in_w))
		ev_io_start(g->m->loop, &g->in_w);
}

static void
cgi_out_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct cgi	*g = container_of(w, struct cgi, out_r);
	char		*buf = g->m->scratch;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < 4; i++) {
		n = read(w->fd, buf, sizeof(g->m->scratch));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (g->c != NULL)
					conn_app_idle(g->c);
				return;
			}
			log_warn("%s[%d]: stdout", g->name, (int)g->pid);
			n = 0;
		}
		if (n == 0) {
			g->out_eof = 1;
			cgi_close_io(g, w);
			cgi_maybe_done(g);
			return;
		}
		if (g->c == NULL)
			continue;	/* detached: discard */
		if (!conn_app_output(g->c, buf, (size_t)n)) {
			/* Client slow (or the response failed and we were
			   detached): wait for cgi_output_resume. */
			if (g->c != NULL)
				ev_io_stop(loop, w);
			return;
		}
		/* A short read emptied the pipe: another would say EAGAIN
		   (or EOF, which the watcher reports as well). */
		if ((size_t)n < sizeof(g->m->scratch)) {
			if (g->c != NULL)
				conn_app_idle(g->c);
			return;
		}
	}
}

static void
cgi_output_resume(void *arg)
{
	struct cgi	*g = arg;

	if (g->out_r.fd != -1 && !ev_is_active(&g->out_r))
		ev_io_start(g->m->loop, &g->out_r);
}

/* The script exited: its rusage goes to the access log of a request
   still attached (one the client left, or that timed out, was logged
   already). */
static void
cgi_child_cb(struct reap_watch *w, int st, const struct rusage *ru)
{
	struct cgi		*g = container_of(w, struct cgi, child);
	struct stats_app	*sa = g->app->conf->stats;

	if (g->c != NULL)
		conn_app_note_rusage(g->c, ru);
	if (sa != NULL) {
		sa->cgi_utime_us += (uint64_t)ru->ru_utime.tv_sec * 1000000 +
		    (uint64_t)ru->ru_utime.tv_usec;
		sa->cgi_stime_us += (uint64_t)ru->ru_stime.tv_sec * 1000000 +
		    (uint64_t)ru->ru_stime.tv_usec;
		if ((uint64_t)ru->ru_maxrss > sa->cgi_maxrss_kib)
			sa->cgi_maxrss_kib = (uint64_t)ru->ru_maxrss;
	}
	g->exited = 1;
	g->status = st;
	/* Grandchildren in the group go with it, and with a cgroup every
	   process it started. */
	kill(-g->pid, SIGKILL);
	cgroup_proc_kill(&g->cg);
	if (WIFSIGNALED(st) && !g->killing)
		log_warnx("%s[%d]: killed by signal %d%s%s", g->name,
		    (int)g->pid, WTERMSIG(st), child_signal_cause(WTERMSIG(st),
		    ru, g->app->conf->limits), cgroup_proc_cause(&g->cg,
		    WTERMSIG(st)));
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		log_warnx("%s[%d]: exited with status %d", g->name,
		    (int)g->pid, WEXITSTATUS(st));
	cgi_maybe_done(g);
}

/*
 * The response ends, and the process is forgotten (its slot freed), when
 * the script has exited and its stdout is closed.  Its stderr is read to
 * what it holds then: a process that is still writing to it left the
 * script's process group (setsid), and must not hold the slot.
 */
static void
cgi_maybe_done(struct cgi *g)
{
	struct master	*m = g->m;
	struct cgi	**pp;
	struct cgi_app	*a;

	if (!g->exited || !g->out_eof)
		return;
	if (g->c != NULL) {
		struct conn	*c = g->c;

		g->c = NULL;
		conn_app_detached(c);
		conn_app_end(c, WIFEXITED(g->status));
	}
	cgi_err_finish(g);
	cgi_close_in(g);
	ev_timer_stop(g->m->loop, &g->timer);
	for (pp = &m->cgi->procs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	m->cgi->nprocs--;
	a = g->app;
	a->running--;
	if (a->conf->stats != NULL)
		a->conf->stats->cgi_running--;
	cgroup_proc_end(&g->cg, m->loop, g->name, g->pid);
	free(g);
	cgi_next(a);
}

/* Logs what the script's stderr holds now, CGI_ERR_TAIL bytes at most
   (a process that left the group may write there without end), and
   closes it. */
static void
cgi_err_finish(struct cgi *g)
{
	char	*buf = g->m->scratch;
	size_t	 left = CGI_ERR_TAIL;
	ssize_t	 n;

	if (!child_log_is_open(&g->err))
		return;
	while (left > 0 && (n = read(g->err.io.fd, buf,
	    left < sizeof(g->m->scratch) ? left : sizeof(g->m->scratch))) > 0) {
		child_log_feed(&g->err, buf, (size_t)n);
		left -= (size_t)n;
	}
	child_log_flush(&g->err);
	child_log_close(&g->err);
}

static void
cgi_kill(struct cgi *g, const char *why)
{
	if (g->exited)
		return;
	if (g->pid <= 0) {
		/* Not started yet, as far as we know: killed as it is. */
		log_info("%s: killed as it starts: %s", g->name, why);
		g->killing = 1;
		g->kill_owed = 1;
		return;
	}
	if (child_kill(g->pid, &g->killing, g->name, "terminating", why)) {
		g->timer.repeat = g->m->conf->kill_grace;
		ev_timer_again(g->m->loop, &g->timer);
	}
}

static void
cgi_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cgi	*g = container_of(w, struct cgi, timer);
	struct conn	*c = g->c;

	double		 left;

	if (g->exited) {
		/* The script is gone, and a process that left its group
		   (setsid) still holds its stdout: stop waiting for it. */
		log_warnx("%s[%d]: stdout still open after the script's "
		    "exit: closed", g->name, (int)g->pid);
		if (c != NULL) {
			g->c = NULL;
			conn_app_detached(c);
			conn_app_fail(c, 504);
		}
		g->out_eof = 1;
		cgi_close_io(g, &g->out_r);
		cgi_maybe_done(g);
		return;
	}
	if (g->killing) {
		if (g->pid > 0)
			child_kill_late(g->pid, g->name);
		ev_timer_stop(loop, w);
		return;
	}
	/* Time spent waiting on a slow client is not the script's. */
	if (c != NULL && (left = g->timeout -
	    conn_app_time(c)) > 0.001) {
		w->repeat = left;
		ev_timer_again(loop, w);
		return;
	}
	log_warnx("%s[%d]: no response within the request timeout",
	    g->name, (int)g->pid);
	cgi_kill(g, "request timeout");
	if (c != NULL) {
		g->c = NULL;
		conn_app_detached(c);
		conn_app_fail(c, 504);
	}
	cgi_close_in(g);
}

static void
cgi_detach(void *arg, const char *why)
{
	struct cgi	*g = arg;
	struct conn	*c = g->c;

	if (c == NULL)
		return;
	g->c = NULL;
	conn_app_detached(c);
	cgi_close_in(g);
	if (g->exited)
		return;
	if (g->app->conf->stats != NULL)
		g->app->conf->stats->rungs[g->finish_gone ? STATS_RUNG_FINISH :
		    STATS_RUNG_KILL]++;
	if (g->finish_gone) {
		/* Let it run; its output is discarded. */
		cgi_output_resume(g);
		return;
	}
	cgi_kill(g, why);
	cgi_output_resume(g);
}

/* A script cannot be told: half_close decides. */
static int
cgi_half_closed(void *arg)
{
	struct cgi	*g = arg;

	return g->half_close;
}

void
cgi_kill_all(struct master *m)
{
	struct cgi	*g;

	for (g = m->cgi->procs; g != NULL; g = g->next) {
		if (g->c != NULL)
			cgi_detach(g, "shutdown");
		g->killing = 1;
		cgi_signal(g, SIGKILL);
	}
}

/* sig to g's process group, or owed until its spawner says its pid. */
static void
cgi_signal(struct cgi *g, int sig)
{
	if (g->pid > 0)
		kill(-g->pid, sig);
	else
		g->kill_owed = 1;
}

/*
 * The spawner of app, for request r, when there is one (started now if
 * need be, once a second at most after a failure or a death): r has no
 * sandbox.  NULL: the caller spawns itself.
 */
static struct spawner *
cgi_spawner(struct master *m, const struct conf_app *app,
    const struct spawn_req *r)
{
	struct cgi_set		*s = m->cgi;
	struct cgi_spawner	*sc;
	ev_tstamp		 now = ev_now(m->loop);

	/* A filter that could not be built fails the spawn, as ferryd's
	   own does. */
	if ((r->filter != NULL && r->filter->len == 0) || r->sandbox != NULL ||
	    r->death_sig > 0)
		return NULL;
	for (sc = s->spawners; sc != NULL; sc = sc->next)
		if (sc->filter == r->filter && strcmp(sc->app, app->name) == 0)
			break;
	if (sc == NULL) {
		if ((sc = calloc(1, sizeof(*sc))) == NULL)
			return NULL;
		if ((sc->app = strdup(app->name)) == NULL) {
			free(sc);
			return NULL;
		}
		sc->filter = r->filter;
		sc->tried = now - 2.;
		sc->next = s->spawners;
		s->spawners = sc;
	}
	if (sc->sp != NULL && spawner_alive(sc->sp))
		return sc->sp;
	if (now - sc->tried < 1.)
		return NULL;
	sc->tried = now;
	spawner_stop(sc->sp);	/* a dead one */
	sc->sp = spawner_start(m, r->filter, filter_notifying(r->filter),
	    &cgi_spawner_ops, app->name, app->stats);
	return sc->sp;
}

/* A spawner's answer for g: its pid, or why it did not start. */
static void
cgi_spawned(void *arg, pid_t pid, int error)
{
	struct cgi	*g = arg;
	struct conn	*c = g->c;

	if (pid == -1) {
		errno = error;
		log_warn("%s: spawn", g->name);
		g->exited = 1;
		g->status = 127 << 8;	/* as a shell says it */
		if (c != NULL) {
			g->c = NULL;
			conn_app_detached(c);
			conn_app_fail(c, 500);
		}
		cgi_maybe_done(g);	/* at its stdout's EOF */
		return;
	}
	g->pid = pid;
	g->err.pid = pid;
	if (c != NULL)
		conn_app_note_pid(c, pid);
	reap_start(g->m, &g->child, pid, cgi_child_cb);
	log_debug("%s: started pid %d (by its spawner)", g->name, (int)pid);
	if (g->kill_owed) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
}

static void
cgi_remote_exited(struct master *m, pid_t pid, int status,
    const struct rusage *ru)
{
	reap_deliver(m, pid, status, ru);
}

/* Spawner sp died: its processes' exits will not come, so they are
   killed and taken as killed now. */
static void
cgi_spawner_lost(struct master *m, struct spawner *sp)
{
	struct rusage	 ru;
	struct cgi	*g;

	memset(&ru, 0, sizeof(ru));
	for (;;) {
		for (g = m->cgi->procs; g != NULL; g = g->next)
			if (g->remote == sp && !g->exited && g->pid > 0 &&
			    g->child.active)
				break;
		if (g == NULL)
			return;
		kill(-g->pid, SIGKILL);
		kill(g->pid, SIGKILL);
		reap_stop(m, &g->child);
		cgi_child_cb(&g->child, SIGKILL, &ru);	/* may free g */
	}
}
