/*
 * The binary upgrade (issue 15, part 3; server/upgrade.c): SIGUSR2 starts
 * ferryd again with the listening sockets; once the new master is ready
 * the old one drains and exits, with no request lost; a new master that
 * fails leaves the old one serving; under systemd the old one names the
 * new one (MAINPID=).
 *
 * The test process is a child subreaper, so that a new master, orphaned
 * when the old one exits, becomes its child: every process a test starts
 * is stopped by its pid, the new master included (up_fail kills the ones
 * known before a failure ends the test).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define UP_CLIENTS	4	/* load: keep-alive and new-connection,
				   TCP and unix */
#define UP_MAX_PIDS	8

/* What one load client saw. */
struct up_count {
	unsigned long	ok;		/* complete 200 responses */
	unsigned long	failed;		/* anything else */
	unsigned long	retried;	/* a reused keep-alive connection
					   closed before any byte of the
					   answer: sent again on a new one,
					   as RFC 9112 9.3.1 lets a client */
	char		why[160];	/* the first failure */
};

/* A load client: where and how it asks. */
struct up_client {
	const char	*what;
	const char	*unix_path;	/* NULL: TCP */
	int		 keepalive;
	const char	*target;
	pid_t		 pid;
	int		 out;		/* its counts' pipe */
};

/* The processes a test started besides harness_start's ferryd. */
static pid_t	up_pids[UP_MAX_PIDS];

static void	up_track(pid_t);
static void	up_kill_all(void);
static void	up_fail(const struct ferryd *, const char *, int,
		    const char *, ...)
		    __attribute__((noreturn, format(printf, 4, 5)));
static pid_t	up_new_pid(struct ferryd *, const char *, pid_t);
static void	up_check_handover(struct ferryd *, pid_t, const char *);
static int	up_stop(pid_t, int);
static int	up_wait_exit(struct ferryd *, int);
static void	up_get(struct ferryd *, const char *, const char *,
		    const char *);
static void	up_start(struct ferryd *, const char *, const char *,
		    const char *);
static Suite	*upgrade_suite(void);

#define UP_ASSERT(f, cond, ...) do {					\
	if (!(cond))							\
		up_fail((f), __FILE__, __LINE__, __VA_ARGS__);		\
} while (0)

static void
up_track(pid_t pid)
{
	size_t	i;

	for (i = 0; i < UP_MAX_PIDS; i++)
		if (up_pids[i] == pid)
			return;
	for (i = 0; i < UP_MAX_PIDS; i++)
		if (up_pids[i] == 0) {
			up_pids[i] = pid;
			return;
		}
}

/* SIGKILL to every tracked process, and reaps them. */
static void
up_kill_all(void)
{
	size_t	i;

	for (i = 0; i < UP_MAX_PIDS; i++) {
		if (up_pids[i] <= 0)
			continue;
		kill(up_pids[i], SIGKILL);
		(void)waitpid(up_pids[i], NULL, 0);
		up_pids[i] = 0;
	}
}

static void
up_fail(const struct ferryd *f, const char *file, int line,
    const char *fmt, ...)
{
	char	msg[2048];
	va_list	ap;

	up_kill_all();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	harness_fail(f, file, line, "%s", msg);
}

/* Every test: a subreaper with nothing tracked yet. */
static void
up_setup(void)
{
	memset(up_pids, 0, sizeof(up_pids));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "PR_SET_CHILD_SUBREAPER: "
		    "%s", strerror(errno));
}

/* Waits up to 10 s for the pid file to name a process other than old:
   the new master (tracked). */
static pid_t
up_new_pid(struct ferryd *f, const char *pidfile, pid_t old)
{
	long long	 deadline = harness_now_ms() + 10000;
	char		*s;
	pid_t		 pid = 0;

	while (harness_now_ms() < deadline) {
		if ((s = harness_read_file(pidfile, NULL)) != NULL) {
			pid = (pid_t)strtol(s, NULL, 10);
			free(s);
			if (pid > 0 && pid != old) {
				up_track(pid);
				return pid;
			}
		}
		harness_sleep_ms(10);
	}
	UP_ASSERT(f, 0, "the pid file still names %ld 10 s after SIGUSR2",
	    (long)pid);
	return 0;
}

/* SIGTERM to a new master (our child: we are its subreaper), waits up
   to timeout_ms; its exit code, or -1 (then SIGKILL). */
static int
up_stop(pid_t pid, int timeout_ms)
{
	long long	deadline = harness_now_ms() + timeout_ms;
	int		st;
	size_t		i;
	pid_t		r;

	kill(pid, SIGTERM);
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(10);
	for (i = 0; i < UP_MAX_PIDS; i++)
		if (up_pids[i] == pid && r == pid)
			up_pids[i] = 0;
	if (r != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Waits up to timeout_ms, sending nothing, for the old master to exit
   after the hand-over; its exit code, or -1. */
static int
up_wait_exit(struct ferryd *f, int timeout_ms)
{
	long long	deadline = harness_now_ms() + timeout_ms;

	while (!harness_exited(f))
		if (harness_now_ms() >= deadline)
			return -1;
		else
			harness_sleep_ms(10);
	return WIFEXITED(f->wstatus) ? WEXITSTATUS(f->wstatus) : 128 +
	    WTERMSIG(f->wstatus);
}

/* 1 when the environment pid was started with holds the entry want
   ("NAME=value"). */
static int
up_environ_has(pid_t pid, const char *want)
{
	char	 path[64], *env, *p;
	size_t	 len;
	int	 found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if ((env = harness_read_file(path, &len)) == NULL)
		return 0;
	for (p = env; p < env + len; p += strlen(p) + 1)
		if (strcmp(p, want) == 0)
			found = 1;
	free(env);
	return found;
}

/* What pid's fd n is (readlink of /proc/PID/fd/N) in buf; "" when it is
   not open. */
static void
up_fd_target(pid_t pid, int n, char *buf, size_t len)
{
	char	path[64];
	ssize_t	r;

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, n);
	if ((r = readlink(path, buf, len - 1)) < 0)
		r = 0;
	buf[r] = '\0';
}

/*
 * The hand-over by systemd's convention, as the new master (pid) was
 * started: LISTEN_FDS, LISTEN_PID its own, LISTEN_FDNAMES the listen
 * specs (':' and blanks as '_'), the pipe named by FERRY_UPGRADE_FD;
 * sockets at fds 3 and 4, the pipe closed once it told the old master;
 * a session of its own.
 */
static void
up_check_handover(struct ferryd *f, pid_t pid, const char *sock)
{
	char	 want[600], got[256], path[64], *stat, *p;
	long	 sid = 0;
	int	 i;

	snprintf(want, sizeof(want), "LISTEN_PID=%ld", (long)pid);
	UP_ASSERT(f, up_environ_has(pid, "LISTEN_FDS=2") &&
	    up_environ_has(pid, want) &&
	    up_environ_has(pid, "FERRY_UPGRADE_FD=5"), "the new master's "
	    "environment lacks LISTEN_FDS=2, %s or FERRY_UPGRADE_FD=5", want);
	snprintf(want, sizeof(want), "LISTEN_FDNAMES=127.0.0.1_%d:unix_%s",
	    f->port, sock);
	UP_ASSERT(f, up_environ_has(pid, want), "the new master's environment "
	    "lacks %s", want);
	for (i = 3; i <= 4; i++) {
		up_fd_target(pid, i, got, sizeof(got));
		UP_ASSERT(f, strncmp(got, "socket:", 7) == 0, "the new master's "
		    "fd %d is \"%s\", not a socket", i, got);
	}
	up_fd_target(pid, 5, got, sizeof(got));
	UP_ASSERT(f, strncmp(got, "pipe:", 5) != 0, "the new master still "
	    "holds the hand-over pipe at fd 5");
	/* /proc/PID/stat: "pid (comm) state ppid pgrp session ..." */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	stat = harness_read_file(path, NULL);
	if (stat != NULL && (p = strrchr(stat, ')')) != NULL)
		(void)sscanf(p + 1, " %*c %*d %*d %ld", &sid);
	free(stat);
	UP_ASSERT(f, sid == (long)pid, "the new master's session is %ld, not "
	    "its own", sid);
}

/* Connects to the Unix socket at unix_path, or to 127.0.0.1:port when
   it is NULL; fd or -1. */
static int
up_connect(const char *unix_path, int port)
{
	struct sockaddr_in	 sin;
	struct sockaddr_un	 sun;
	int			 fd, rc;

	if (unix_path != NULL) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return -1;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", unix_path);
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	} else {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return -1;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	if (rc == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Notes a failure, the first one with its reason (what, then why). */
static void
up_failed(struct up_count *n, const char *what, const char *why)
{
	if (n->failed++ == 0)
		snprintf(n->why, sizeof(n->why), "%s%.120s", what, why);
}

/*
 * A load client (a child process): GETs one after another until the
 * stop pipe closes, on one keep-alive connection or a new connection
 * each time, and writes its counts to cl->out.  A request on a reused
 * connection that the server closed (a FIN, or a reset when the request
 * reached it as it closed) before any byte of its answer is sent again
 * on a new connection (what HTTP clients do for a GET, RFC 9112 9.3.1);
 * any other error, a status but 200 or a short body is a failure.
 */
static void __attribute__((noreturn))
up_client_run(const struct up_client *cl, int port, int stop)
{
	struct up_count		 n;
	struct hc		 c;
	struct hc_response	 r;
	struct pollfd		 pfd = { stop, POLLIN, 0 };
	char			 req[256];
	int			 open = 0, reused = 0, fd, sent;

	memset(&n, 0, sizeof(n));
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n",
	    cl->target, cl->keepalive ? "" : "Connection: close\r\n");
	while (poll(&pfd, 1, 0) == 0) {
		if (!open) {
			if ((fd = up_connect(cl->unix_path, port)) == -1) {
				up_failed(&n, "connect: ", strerror(errno));
				harness_sleep_ms(5);
				continue;
			}
			hc_init_fd(&c, fd);
			open = 1;
			reused = 0;
		}
		sent = hc_try_send(&c, req, strlen(req)) == 0;
		if (!sent || hc_read_response(&c, &r, 0) == -1) {
			if (reused && (!sent || (!r.head_done && c.len == 0 &&
			    (c.eof || c.reset))))
				n.retried++;
			else
				up_failed(&n, !sent ? "send failed" : "",
				    !sent ? "" : r.error);
			if (sent)
				hc_response_free(&r);
			hc_close(&c);
			open = 0;
			continue;
		}
		if (r.status != 200 || r.body_len == 0)
			up_failed(&n, "status ", r.status != 200 ? "not 200" :
			    "200 with an empty body");
		else
			n.ok++;
		reused = 1;
		if (!cl->keepalive || hc_header_has_token(&r, "Connection",
		    "close")) {
			hc_close(&c);
			open = 0;
		}
		hc_response_free(&r);
	}
	if (open)
		hc_close(&c);
	if (write(cl->out, &n, sizeof(n)) != (ssize_t)sizeof(n))
		_exit(1);
	_exit(0);
}

/* Starts the load clients; closing *stop (the write end) ends them. */
static void
up_load_start(struct up_client *cl, size_t ncl, int port, int *stop)
{
	int	sp[2], op[2];
	size_t	i;

	ck_assert_int_eq(pipe2(sp, O_CLOEXEC), 0);
	for (i = 0; i < ncl; i++) {
		ck_assert_int_eq(pipe2(op, O_CLOEXEC), 0);
		if ((cl[i].pid = fork()) == 0) {
			close(sp[1]);
			close(op[0]);
			cl[i].out = op[1];
			up_client_run(&cl[i], port, sp[0]);
		}
		ck_assert_int_gt(cl[i].pid, 0);
		up_track(cl[i].pid);
		close(op[1]);
		cl[i].out = op[0];
	}
	close(sp[0]);
	*stop = sp[1];
}

/* Ends the load and checks that no client saw a failure and each got
   answers; the total of retried requests in *retried. */
static void
up_load_check(struct ferryd *f, struct up_client *cl, size_t ncl, int stop,
    unsigned long *retried)
{
	struct up_count	n;
	size_t		i, k;

	close(stop);
	*retried = 0;
	for (i = 0; i < ncl; i++) {
		memset(&n, 0, sizeof(n));
		UP_ASSERT(f, read(cl[i].out, &n, sizeof(n)) ==
		    (ssize_t)sizeof(n), "load client %s: no counts",
		    cl[i].what);
		close(cl[i].out);
		(void)waitpid(cl[i].pid, NULL, 0);
		for (k = 0; k < UP_MAX_PIDS; k++)
			if (up_pids[k] == cl[i].pid)
				up_pids[k] = 0;
		UP_ASSERT(f, n.failed == 0, "load client %s: %lu of %lu "
		    "requests failed (first: %s)", cl[i].what, n.failed,
		    n.failed + n.ok, n.why);
		UP_ASSERT(f, n.ok >= 10, "load client %s: only %lu answers",
		    cl[i].what, n.ok);
		*retried += n.retried;
		fprintf(stderr, "upgrade load: %s: %lu answers, %lu sent "
		    "again on a new connection\n", cl[i].what, n.ok,
		    n.retried);
	}
}

/* One GET of target (by TCP, or on the Unix socket at unix_path) must be
   200 with body (any when NULL).  Every failure goes through up_fail. */
static void
up_get(struct ferryd *f, const char *unix_path, const char *target,
    const char *body)
{
	struct hc		 c;
	struct hc_response	 r;
	char			 req[256];
	int			 fd;

	fd = up_connect(unix_path, f->port);
	UP_ASSERT(f, fd != -1, "GET %s: connect%s: %s", target,
	    unix_path != NULL ? " (unix)" : "", strerror(errno));
	hc_init_fd(&c, fd);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n", target);
	if (hc_try_send(&c, req, strlen(req)) == -1) {
		hc_close(&c);
		UP_ASSERT(f, 0, "GET %s: send: %s", target, strerror(errno));
	}
	if (hc_read_response(&c, &r, 0) == -1) {
		hc_close(&c);
		UP_ASSERT(f, 0, "GET %s%s: %s", target, unix_path != NULL ?
		    " (unix)" : "", r.error);
	}
	hc_close(&c);
	UP_ASSERT(f, r.status == 200 && (body == NULL ||
	    strcmp(r.body, body) == 0), "GET %s: %d \"%s\"", target, r.status,
	    r.body);
	hc_response_free(&r);
}

/* Starts ferryd (f zeroed, but for its optional input) with a pid file,
   the responder pool at /f (its command program), and settings as more
   [server] lines; also listening on unix:sock when sock is not NULL.
   Returns once it is ready (its pool's workers answered). */
static void
up_start(struct ferryd *f, const char *program, const char *sock,
    const char *settings)
{
	char		 conf[2048], lsock[600];
	const char	*extra[3] = { NULL, NULL, NULL };

	snprintf(conf, sizeof(conf),
	    "[server]\n"
	    "pid_file = @DIR@/ferryd.pid\n"
	    "%s"
	    "[app f]\n"
	    "type = fastcgi\n"
	    "prefix = /f\n"
	    "command = %s\n"
	    "workers = 2\n", settings != NULL ? settings : "", program);
	if (sock != NULL) {
		snprintf(lsock, sizeof(lsock), "unix:%s", sock);
		extra[0] = "--listen";
		extra[1] = lsock;
	}
	harness_start(f, conf, extra);
	/* SIGUSR2 is ignored until then. */
	UP_ASSERT(f, harness_wait_log(f, "ferryd " PACKAGE_VERSION " ready", 1,
	    10000) == 1, "ferryd did not log that it is ready");
}

static const char *
up_responder(void)
{
	static char	path[600];

	snprintf(path, sizeof(path), "%s/responder",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	return path;
}

/*
 * Under a steady load (keep-alive and new connections, TCP and a Unix
 * socket, a FastCGI pool and CGI), one SIGUSR2: not one request fails,
 * the old master exits 0, the new one's pid is in the pid file, it
 * serves on both listeners, and the Unix socket's path is kept.
 */
START_TEST(test_upgrade_under_load)
{
	struct ferryd	 f = { 0 };
	struct up_client cl[UP_CLIENTS] = {
		{ "tcp keep-alive fastcgi", NULL, 1, "/f?pid", 0, -1 },
		{ "tcp new-connection cgi", NULL, 0, "/cgi-bin/hello.sh", 0, -1 },
		{ "unix keep-alive cgi", NULL, 1, "/cgi-bin/hello.sh", 0, -1 },
		{ "unix new-connection fastcgi", NULL, 0, "/f?pid", 0, -1 },
	};
	char		*d, sock[400], pidfile[400];
	pid_t		 newpid;
	unsigned long	 retried;
	int		 stop;

	up_setup();
	d = harness_tmpdir("up", 0);
	snprintf(sock, sizeof(sock), "%s/ferryd.sock", d);
	cl[2].unix_path = cl[3].unix_path = sock;
	up_start(&f, up_responder(), sock, NULL);
	harness_path(pidfile, sizeof(pidfile), &f, "ferryd.pid");
	up_get(&f, NULL, "/f?pid", NULL);

	up_load_start(cl, UP_CLIENTS, f.port, &stop);
	harness_sleep_ms(500);
	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	newpid = up_new_pid(&f, pidfile, f.pid);
	UP_ASSERT(&f, harness_wait_log(&f, "upgrade: new master [", 1, 10000)
	    == 1, "the old master did not log the hand-over");
	UP_ASSERT(&f, up_wait_exit(&f, 10000) == 0, "the old master "
	    "did not exit 0 after the hand-over");
	UP_ASSERT(&f, !harness_pid_gone(newpid), "the new master [%ld] is "
	    "gone", (long)newpid);
	harness_sleep_ms(500);		/* the new one alone under the load */
	up_load_check(&f, cl, UP_CLIENTS, stop, &retried);

	up_get(&f, NULL, "/cgi-bin/hello.sh", "hello\n");
	up_get(&f, sock, "/cgi-bin/hello.sh", "hello\n");
	up_get(&f, NULL, "/f?pid", NULL);
	UP_ASSERT(&f, access(sock, F_OK) == 0, "the Unix socket's path was "
	    "removed");
	UP_ASSERT(&f, harness_log_count(&f, "told the old master") == 1,
	    "the new master did not log telling the old one");
	up_check_handover(&f, newpid, sock);
	UP_ASSERT(&f, up_stop(newpid, 10000) == 0, "the new master did not "
	    "stop with 0 at SIGTERM");
	UP_ASSERT(&f, access(pidfile, F_OK) == -1, "the new master left its "
	    "pid file");
	harness_rmtree(d);
	free(d);
}
END_TEST

/*
 * A new master that fails (an invalid configuration: it exits 2) leaves
 * the old one serving, logging why, with its pid file; SIGUSR2 during an
 * upgrade under way is ignored; once the configuration is fixed an
 * upgrade works.  The pool's worker answers only after a while (a
 * script that sleeps, then runs the responder), so that the second
 * upgrade is still under way at the next SIGUSR2.
 */
START_TEST(test_upgrade_failed_then_fixed)
{
	struct ferryd	 f = { 0 };
	char		 pidfile[400], script[400], text[800], *conf, *pid;
	size_t		 len;
	pid_t		 newpid;

	up_setup();
	/* The script's directory is made before ferryd's: harness_start
	   fills f.dir, so the script lives in a directory of its own. */
	{
		char	*d = harness_tmpdir("upslow", 0);

		snprintf(script, sizeof(script), "%s/slow.sh", d);
		snprintf(text, sizeof(text), "#!/bin/sh\nsleep 1\nexec %s\n",
		    up_responder());
		harness_write_file(script, text, strlen(text), 0755);
		free(d);
	}
	up_start(&f, script, NULL, NULL);
	harness_path(pidfile, sizeof(pidfile), &f, "ferryd.pid");
	up_get(&f, NULL, "/f?pid", NULL);

	/* Broken: the new master exits 2 at its start. */
	conf = harness_read_file(f.conf_path, &len);
	UP_ASSERT(&f, conf != NULL, "cannot read %s", f.conf_path);
	harness_write_file(f.conf_path, "[server]\nbogus\n", 15, 0644);
	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	UP_ASSERT(&f, harness_wait_log(&f, "exited with status 2 before it "
	    "was ready", 1, 10000) == 1, "the failed upgrade was not logged");
	UP_ASSERT(&f, harness_log_count(&f, "syntax error") >= 1, "the new "
	    "master's error did not reach stderr");
	UP_ASSERT(&f, !harness_exited(&f), "the old master exited");
	up_get(&f, NULL, "/cgi-bin/hello.sh", "hello\n");
	up_get(&f, NULL, "/f?pid", NULL);
	pid = harness_read_file(pidfile, NULL);
	UP_ASSERT(&f, pid != NULL && strtol(pid, NULL, 10) == f.pid,
	    "the pid file holds %s, want the old master's %ld",
	    pid != NULL ? pid : "nothing", (long)f.pid);
	free(pid);

	/* Fixed: the next upgrade works; a SIGUSR2 meanwhile is ignored. */
	harness_write_file(f.conf_path, conf, len, 0644);
	free(conf);
	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	UP_ASSERT(&f, harness_wait_log(&f, "SIGUSR2: upgrade: started", 2,
	    5000) == 2, "the second upgrade did not start");
	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	UP_ASSERT(&f, harness_wait_log(&f, "is under way: ignored", 1, 5000) ==
	    1, "a SIGUSR2 during the upgrade was not ignored");
	newpid = up_new_pid(&f, pidfile, f.pid);
	UP_ASSERT(&f, up_wait_exit(&f, 10000) == 0, "the old master "
	    "did not exit 0 after the hand-over");
	UP_ASSERT(&f, harness_log_count(&f, "SIGUSR2: upgrade: started") == 2,
	    "more than two upgrades were started");
	up_get(&f, NULL, "/f?pid", NULL);
	up_get(&f, NULL, "/cgi-bin/hello.sh", "hello\n");
	UP_ASSERT(&f, up_stop(newpid, 10000) == 0, "the new master did not "
	    "stop with 0 at SIGTERM");
}
END_TEST

/* Receives one datagram within ms into buf (NUL-terminated), with its
   sender's pid in *pid; 0, or -1 on timeout. */
static int
up_notify_recv(int fd, char *buf, size_t len, pid_t *pid, int ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	}		 cm;
	struct iovec	 iov = { buf, len - 1 };
	struct msghdr	 msg;
	struct cmsghdr	*c;
	ssize_t		 n;

	buf[0] = '\0';
	*pid = 0;
	if (poll(&pfd, 1, ms) != 1)
		return -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	if ((n = recvmsg(fd, &msg, 0)) < 0)
		return -1;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred	uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			*pid = uc.pid;
		}
	return 0;
}

/*
 * Under NOTIFY_SOCKET: the old master says READY=1, and at the hand-over
 * MAINPID=<the new master> (no STOPPING=1: the service goes on); the new
 * master, not the main process until then, says nothing before it, and
 * STOPPING=1 at its own stop.
 */
START_TEST(test_upgrade_notify)
{
	struct ferryd		 f = { 0 };
	struct sockaddr_un	 sun;
	char			*d, notify[400], pidfile[400], msg[512], want[64];
	pid_t			 from, newpid;
	int			 nfd, one = 1;

	up_setup();
	d = harness_tmpdir("upsd", 0);
	snprintf(notify, sizeof(notify), "%s/notify", d);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(nfd, -1);
	ck_assert_int_eq(setsockopt(nfd, SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(notify), sizeof(sun.sun_path));
	memcpy(sun.sun_path, notify, strlen(notify) + 1);
	ck_assert_int_eq(bind(nfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", notify, 1);

	up_start(&f, up_responder(), NULL, NULL);
	harness_path(pidfile, sizeof(pidfile), &f, "ferryd.pid");
	UP_ASSERT(&f, up_notify_recv(nfd, msg, sizeof(msg), &from, 10000) ==
	    0 && strstr(msg, "READY=1") != NULL, "no READY=1 (got \"%s\")",
	    msg);
	UP_ASSERT(&f, from == f.pid, "READY=1 from %ld, not the master %ld",
	    (long)from, (long)f.pid);

	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	UP_ASSERT(&f, up_notify_recv(nfd, msg, sizeof(msg), &from, 10000) ==
	    0, "nothing on NOTIFY_SOCKET after SIGUSR2");
	newpid = up_new_pid(&f, pidfile, f.pid);
	snprintf(want, sizeof(want), "MAINPID=%ld\n", (long)newpid);
	UP_ASSERT(&f, strncmp(msg, want, strlen(want)) == 0 &&
	    strstr(msg, "READY=1") == NULL && strstr(msg, "STOPPING=1") ==
	    NULL, "after SIGUSR2: \"%s\", want \"%s\" first", msg, want);
	UP_ASSERT(&f, from == f.pid, "MAINPID= from %ld, not the old master "
	    "%ld", (long)from, (long)f.pid);
	UP_ASSERT(&f, up_wait_exit(&f, 10000) == 0, "the old master "
	    "did not exit 0 after the hand-over");
	UP_ASSERT(&f, up_notify_recv(nfd, msg, sizeof(msg), &from, 300) == -1,
	    "more after MAINPID=: \"%s\" from %ld", msg, (long)from);
	up_get(&f, NULL, "/f?pid", NULL);

	kill(newpid, SIGTERM);
	UP_ASSERT(&f, up_notify_recv(nfd, msg, sizeof(msg), &from, 5000) ==
	    0 && strstr(msg, "STOPPING=1") != NULL && from == newpid,
	    "no STOPPING=1 from the new master (got \"%s\" from %ld)", msg,
	    (long)from);
	UP_ASSERT(&f, up_stop(newpid, 10000) == 0, "the new master did not "
	    "stop with 0");
	unsetenv("NOTIFY_SOCKET");
	close(nfd);
	harness_rmtree(d);
	free(d);
}
END_TEST

/*
 * The new master gets RLIMIT_NOFILE as ferryd had it before raising its
 * soft limit, so that its children get that limit too, as the old
 * master's did.
 */
START_TEST(test_upgrade_nofile)
{
	struct ferryd		 f = { 0 };
	char			 pidfile[400];
	pid_t			 newpid;

	up_setup();
	f.nofile = 4096;
	f.nofile_soft = 64;
	up_start(&f, up_responder(), NULL, "max_connections = 1000\n");
	harness_path(pidfile, sizeof(pidfile), &f, "ferryd.pid");
	up_get(&f, NULL, "/cgi-bin/nofile.sh", "64 4096\n");
	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	newpid = up_new_pid(&f, pidfile, f.pid);
	UP_ASSERT(&f, up_wait_exit(&f, 10000) == 0, "the old master did not "
	    "exit 0 after the hand-over");
	up_get(&f, NULL, "/cgi-bin/nofile.sh", "64 4096\n");
	UP_ASSERT(&f, up_stop(newpid, 10000) == 0, "the new master did not "
	    "stop with 0 at SIGTERM");
}
END_TEST

/*
 * The new master is the binary at the path ferryd was started from as it
 * is at the upgrade (what make install put there), not the running file:
 * with nothing at the path the upgrade fails, the exec's error logged, and
 * the old master serves on; a new file there is what starts, with the
 * same arguments.
 */
START_TEST(test_upgrade_path)
{
	struct ferryd	 f = { 0 };
	char		*d, *real, *data, bin[400], marker[400], pidfile[400];
	char		 text[1200];
	size_t		 len;
	pid_t		 newpid;

	up_setup();
	real = strdup(harness_env_path("FERRYD"));
	d = harness_tmpdir("upbin", 0);
	snprintf(bin, sizeof(bin), "%s/ferryd", d);
	snprintf(marker, sizeof(marker), "%s/started", d);
	data = harness_read_file(real, &len);
	UP_ASSERT(NULL, real != NULL && data != NULL, "cannot read %s", real);
	harness_write_file(bin, data, len, 0755);
	free(data);
	setenv("FERRYD", bin, 1);
	up_start(&f, up_responder(), NULL, NULL);
	harness_path(pidfile, sizeof(pidfile), &f, "ferryd.pid");

	UP_ASSERT(&f, unlink(bin) == 0, "unlink %s: %s", bin, strerror(errno));
	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	UP_ASSERT(&f, harness_wait_log(&f, "could not be started: No such "
	    "file or directory; still serving", 1, 10000) == 1, "the failed "
	    "exec was not logged");
	up_get(&f, NULL, "/cgi-bin/hello.sh", "hello\n");

	/* The new binary: a script that notes its arguments, then runs
	   ferryd in its own process. */
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"$@\" > %s\n"
	    "exec %s \"$@\"\n", marker, real);
	harness_write_file(bin, text, strlen(text), 0755);
	UP_ASSERT(&f, kill(f.pid, SIGUSR2) == 0, "kill: %s", strerror(errno));
	newpid = up_new_pid(&f, pidfile, f.pid);
	UP_ASSERT(&f, up_wait_exit(&f, 10000) == 0, "the old master did not "
	    "exit 0 after the hand-over");
	data = harness_read_file(marker, NULL);
	UP_ASSERT(&f, data != NULL && strstr(data, "-c ") != NULL &&
	    strstr(data, f.conf_path) != NULL && strstr(data, f.error_log) !=
	    NULL, "the new binary ran with \"%s\"", data != NULL ? data :
	    "(it did not run)");
	free(data);
	up_get(&f, NULL, "/cgi-bin/hello.sh", "hello\n");
	UP_ASSERT(&f, up_stop(newpid, 10000) == 0, "the new master did not "
	    "stop with 0 at SIGTERM");
	setenv("FERRYD", real, 1);
	free(real);
	harness_rmtree(d);
	free(d);
}
END_TEST

static Suite *
upgrade_suite(void)
{
	Suite	*s = suite_create("upgrade");
	TCase	*tc;

	tc = tcase_create("upgrade");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_upgrade_under_load);
	tcase_add_test(tc, test_upgrade_failed_then_fixed);
	tcase_add_test(tc, test_upgrade_notify);
	tcase_add_test(tc, test_upgrade_nofile);
	tcase_add_test(tc, test_upgrade_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(upgrade_suite(), "ferry-upgrade");
}
