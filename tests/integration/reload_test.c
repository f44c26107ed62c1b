/*
 * Reload on SIGHUP (issue 15, part 2; server/master.c master_reload):
 * the configuration is read again; an invalid one is logged and the
 * running one stays; a valid one routes new connections and new requests
 * on kept-alive connections at once, while requests routed before finish
 * with theirs.  A FastCGI pool whose processes' settings changed gets new
 * workers and the old ones go after their requests (retired, when they
 * hold hijacked sockets); listeners are added and removed without closing
 * a kept one; the logs are opened again; sd_notify says RELOADING=1, then
 * READY=1.
 *
 * The pool app is tests/fcgi-apps/responder with one argument, "v1" or
 * "v2": its "arg" command answers "arg v1" or "arg v2", so a response
 * names the configuration that started its worker.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define RL_LOADERS	4	/* load clients: keep-alive and new */
#define RL_RELOADS	20

/* A configuration listening on the harness's port (start with
   listen_in_conf), with the pool app at /v started with argument arg,
   the CGI directory at /cgi-bin/ (from the command line), and more lines
   for [server]. */
static void
rl_conf(char *buf, size_t len, const char *arg, const char *server)
{
	snprintf(buf, len, "[server]\nlisten = 127.0.0.1:@PORT@\n"
	    "kill_grace = 0.5\n%s\n"
	    "[app v]\ntype = fastcgi\nprefix = /v\ncommand = %s/responder\n"
	    "args = %s\nworkers = 2\nuser = %s\n", server != NULL ? server :
	    "", harness_env_path("FERRY_TEST_FCGI_APPS"), arg,
	    harness_user());
}

/* The answer to /v?arg on a fresh connection: "arg v1", "arg v2"; the
   status when not 200. */
static void
rl_arg(const struct ferryd *f, char *out, size_t len)
{
	struct hc_response	r;

	hc_get(f, "/v?arg", &r);
	if (r.status == 200)
		snprintf(out, len, "%.*s", (int)strcspn(r.body, "\n"), r.body);
	else
		snprintf(out, len, "status %d", r.status);
	hc_response_free(&r);
}

/* SIGHUP, then waits up to ms for /v?arg to answer want; returns the
   milliseconds it took, or fails the test. */
static long long
rl_reload_to(struct ferryd *f, const char *want, int ms)
{
	long long	start = harness_now_ms();
	char		got[64];

	HARNESS_ASSERT(f, kill(f->pid, SIGHUP) == 0, "SIGHUP: %s",
	    strerror(errno));
	for (;;) {
		rl_arg(f, got, sizeof(got));
		if (strcmp(got, want) == 0)
			return harness_now_ms() - start;
		HARNESS_ASSERT(f, harness_now_ms() - start < ms, "%d ms after "
		    "SIGHUP /v?arg still answers \"%s\", not \"%s\"", ms, got,
		    want);
		harness_sleep_ms(10);
	}
}

/* ferryd's open fds (/proc/PID/fd), or -1. */
/* How many children ferryd has (/proc/PID/task/PID/children), its CGI
   apps' spawners (each "spawner started, pid N" of its log) aside, or
   -1. */
static int
rl_children(const struct ferryd *f)
{
	static const char	 started[] = "spawner started, pid ";
	char			 path[64], *text, *log, *p;
	const char		*s;
	int			 n = 0;
	long			 pid;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)f->pid,
	    (int)f->pid);
	if ((text = harness_read_file(path, NULL)) == NULL)
		return -1;
	log = harness_read_file(f->error_log, NULL);
	for (p = text; *p != '\0'; p++) {
		if (*p == ' ' || (p != text && p[-1] != ' '))
			continue;
		pid = strtol(p, NULL, 10);
		for (s = log != NULL ? strstr(log, started) : NULL; s != NULL;
		    s = strstr(s + 1, started))
			if (strtol(s + strlen(started), NULL, 10) == pid)
				break;
		if (s == NULL)
			n++;
	}
	free(log);
	free(text);
	return n;
}

/* Counts of the load clients, shared with them. */
struct rl_load {
	volatile int		 stop;
	volatile unsigned long	 ok[RL_LOADERS], failed[RL_LOADERS];
	char			 why[RL_LOADERS][160];
};

/* One exchange of GET target on the connected fd: 1 for a complete 200,
   0 else (why says what). */
static int
rl_exchange(int fd, const char *target, char *why, size_t len)
{
	struct hc		c;
	struct hc_response	r;
	char			req[128];
	int			n, ok;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
	    target);
	if (write(fd, req, (size_t)n) != n) {
		snprintf(why, len, "write: %s", strerror(errno));
		return 0;
	}
	hc_init_fd(&c, fd);
	c.timeout_ms = 10000;
	ok = hc_read_response(&c, &r, 0) == 0 && r.status == 200;
	if (!ok)
		snprintf(why, len, "GET %s: %d %.100s", target, r.status,
		    r.error);
	hc_response_free(&r);
	free(c.buf);	/* fd stays ours */
	return ok;
}

/* A socket listening on 127.0.0.1:port (fails the test when it cannot). */
static int
rl_listen_on(int port)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	return fd;
}

/* A load client (a child process): until ld->stop, GETs alternating the
   pool app and a CGI script, on one kept-alive connection (keep) or a
   new connection each time; every answer counted. */
static void
rl_loader(struct rl_load *ld, int i, int port, int keep)
{
	static const char *const targets[] = { "/v?arg", "/cgi-bin/hello.sh" };
	unsigned long	 n = 0;
	int		 fd = -1;

	while (!ld->stop) {
		if (fd == -1 && (fd = harness_connect(port)) == -1) {
			ld->failed[i]++;
			snprintf(ld->why[i], sizeof(ld->why[i]), "connect: %s",
			    strerror(errno));
			harness_sleep_ms(5);
			continue;
		}
		if (rl_exchange(fd, targets[n++ % 2], ld->why[i],
		    sizeof(ld->why[i])))
			ld->ok[i]++;
		else {
			ld->failed[i]++;
			close(fd);
			fd = -1;
		}
		if (!keep && fd != -1) {
			close(fd);
			fd = -1;
		}
	}
	_exit(0);
}

/*
 * Under a steady load of keep-alive and new-connection clients that count
 * every response, 20 reloads alternating two configurations whose pool
 * app answers "arg v1" / "arg v2" (the second also listening on a second
 * port), with an invalid configuration after every fourth: not one
 * request fails, each reload's answer comes within 1 s, the second port
 * is opened and closed, an invalid configuration changes nothing, the
 * workers of the old configurations are gone once their requests end,
 * and ferryd's fd count and RSS stay flat.
 */
START_TEST(test_reload_under_load)
{
	struct ferryd	 f;
	struct rl_load	*ld;
	char		 conf[2][1024], bad[1100], extra[64], got[64];
	pid_t		 kids[RL_LOADERS];
	unsigned long	 ok = 0, failed = 0;
	long long	 took, worst = 0;
	long		 rss0, rss1;
	int		 i, j, n = -1, fds0 = 0, fds1, st, fd, port2;
	const char	*asan = getenv("ASAN_OPTIONS");
	char		 opts[1024];

	/* Under ASan, freed memory waits in a quarantine: RSS would grow
	   with no leak.  LeakSanitizer checks leaks at ferryd's exit. */
	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0",
	    asan != NULL ? asan : "", asan != NULL && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	port2 = harness_free_port();
	snprintf(extra, sizeof(extra), "listen = 127.0.0.1:%d", port2);
	rl_conf(conf[0], sizeof(conf[0]), "v1", NULL);
	rl_conf(conf[1], sizeof(conf[1]), "v2", extra);
	memset(&f, 0, sizeof(f));
	f.listen_in_conf = 1;
	harness_start(&f, conf[0], NULL);
	rl_arg(&f, got, sizeof(got));
	HARNESS_ASSERT(&f, strcmp(got, "arg v1") == 0, "before: %s", got);

	ld = mmap(NULL, sizeof(*ld), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ld, MAP_FAILED);
	memset(ld, 0, sizeof(*ld));
	for (i = 0; i < RL_LOADERS; i++) {
		kids[i] = fork();
		ck_assert_int_ne(kids[i], -1);
		if (kids[i] == 0)
			rl_loader(ld, i, f.port, i % 2 == 0);
	}
	rss0 = 0;
	for (j = 1; j <= RL_RELOADS; j++) {
		harness_write_conf(&f, conf[j % 2]);
		took = rl_reload_to(&f, j % 2 ? "arg v2" : "arg v1", 1000);
		if (took > worst)
			worst = took;
		/* v2 adds a listener, v1 removes it. */
		fd = harness_connect(port2);
		HARNESS_ASSERT(&f, (fd != -1) == (j % 2), "reload %d: the "
		    "added port %s", j, fd != -1 ? "still accepts" :
		    "refuses");
		if (fd != -1)
			close(fd);
		if (j % 4 == 0) {
			/* An invalid configuration in between: kept. */
			snprintf(bad, sizeof(bad), "%sbogus_%d = 1\n",
			    conf[0], j);
			harness_write_conf(&f, bad);
			kill(f.pid, SIGHUP);
			snprintf(bad, sizeof(bad), "bogus_%d", j);
			HARNESS_ASSERT(&f, harness_wait_log(&f, bad, 1, 5000) ==
			    1, "reload %d: the invalid key was not logged", j);
			rl_arg(&f, got, sizeof(got));
			HARNESS_ASSERT(&f, strcmp(got, "arg v1") == 0, "after "
			    "an invalid reload: %s", got);
		}
		if (j == 2) {
			/* After the first round trip: what later reloads
			   must not add to. */
			harness_sleep_ms(300);
			fds0 = harness_count_fds(f.pid);
			rss0 = harness_rss_kib(f.pid);
		}
		harness_sleep_ms(100);
	}
	ld->stop = 1;
	for (i = 0; i < RL_LOADERS; i++) {
		waitpid(kids[i], &st, 0);
		ok += ld->ok[i];
		failed += ld->failed[i];
	}
	for (i = 0; i < RL_LOADERS; i++)
		HARNESS_ASSERT(&f, ld->failed[i] == 0, "client %d (%s): %lu "
		    "of %lu requests failed across %d reloads; the last: %s",
		    i, i % 2 == 0 ? "keep-alive" : "new connections",
		    ld->failed[i], ld->failed[i] + ld->ok[i], RL_RELOADS,
		    ld->why[i]);
	HARNESS_ASSERT(&f, ok > 100, "only %lu requests under load", ok);
	HARNESS_ASSERT(&f, harness_log_count(&f, "reload: configuration 21 "
	    "in use") == 1, "the 20th reload was not logged");

	/* The old workers go once their requests end: the two of the
	   configuration in use are ferryd's only children but for the CGI
	   app's spawner. */
	for (i = 0; i < 100 && (n = rl_children(&f)) != 2; i++)
		harness_sleep_ms(50);
	HARNESS_ASSERT(&f, n == 2, "ferryd has %d children, not the 2 "
	    "workers of the configuration in use", n);
	fds1 = harness_count_fds(f.pid);
	rss1 = harness_rss_kib(f.pid);
	HARNESS_ASSERT(&f, fds1 <= fds0, "ferryd had %d fds after 2 reloads "
	    "and %d after 20", fds0, fds1);
	HARNESS_ASSERT(&f, rss1 - rss0 < 2048, "ferryd's RSS grew from %ld "
	    "KiB after 2 reloads to %ld KiB after 20", rss0, rss1);
	munmap(ld, sizeof(*ld));
	harness_stop_ok(&f);
	fprintf(stderr, "reload under load: %lu requests, 0 failed, new "
	    "answer within %lld ms at worst\n", ok, worst);
}
END_TEST

/*
 * An invalid configuration: each error is logged with its FILE:LINE, the
 * running configuration stays (the same workers answer), and a valid one
 * afterwards applies.  A reload whose new listener cannot be bound fails
 * the same way.
 */
START_TEST(test_reload_invalid_kept)
{
	struct ferryd	f;
	char		conf[1024], bad[1200], more[64], got[64];
	int		busy, fd;

	rl_conf(conf, sizeof(conf), "v1", NULL);
	memset(&f, 0, sizeof(f));
	f.listen_in_conf = 1;
	harness_start(&f, conf, NULL);

	snprintf(bad, sizeof(bad), "%sno_such_key = 1\n", conf);
	harness_write_conf(&f, bad);
	kill(f.pid, SIGHUP);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "reload failed: "
	    "configuration 1 stays in use", 1, 5000) == 1, "no failure logged");
	HARNESS_ASSERT(&f, harness_log_count(&f, "ferry.conf:12: ") == 1 &&
	    harness_log_count(&f, "no_such_key") >= 1, "the error was not "
	    "logged with its FILE:LINE");
	rl_arg(&f, got, sizeof(got));
	HARNESS_ASSERT(&f, strcmp(got, "arg v1") == 0, "after an invalid "
	    "reload: %s", got);

	/* A listener that cannot be bound: the port is taken. */
	busy = harness_free_port();
	fd = rl_listen_on(busy);
	snprintf(more, sizeof(more), "listen = 127.0.0.1:%d", busy);
	rl_conf(bad, sizeof(bad), "v2", more);
	harness_write_conf(&f, bad);
	kill(f.pid, SIGHUP);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "reload failed: "
	    "configuration 1 stays in use", 2, 5000) == 2, "a reload with a "
	    "listener in use did not fail");
	rl_arg(&f, got, sizeof(got));
	HARNESS_ASSERT(&f, strcmp(got, "arg v1") == 0, "after a failed "
	    "bind: %s", got);
	close(fd);

	rl_conf(conf, sizeof(conf), "v2", NULL);
	harness_write_conf(&f, conf);
	rl_reload_to(&f, "arg v2", 2000);
	HARNESS_ASSERT(&f, harness_log_count(&f, "reload: configuration 2 "
	    "in use") == 1, "the valid reload was not logged");
	harness_stop_ok(&f);
}
END_TEST

/*
 * Listeners: a reload that adds a TCP port and a Unix socket serves on
 * both at once; a kept-alive connection on the kept port goes on across
 * both reloads (its listener is never closed); the reload that removes
 * them closes the port and unlinks the socket path.
 */
START_TEST(test_reload_listeners)
{
	struct ferryd		 f;
	struct hc		 keep, c;
	struct hc_response	 r;
	char			 conf[1024], more[1600], extra[500], sock[400];
	int			 port2, fd;

	rl_conf(conf, sizeof(conf), "v1", NULL);
	memset(&f, 0, sizeof(f));
	f.listen_in_conf = 1;
	harness_start(&f, conf, NULL);
	hc_open(&keep, &f);
	hc_send_get(&keep, "/cgi-bin/hello.sh");
	hc_expect_response(&keep, &r, 0);
	hc_response_free(&r);

	port2 = harness_free_port();
	snprintf(sock, sizeof(sock), "%s/added.sock", f.dir);
	snprintf(extra, sizeof(extra), "listen = 127.0.0.1:%d\n"
	    "listen = unix:%s mode=0660", port2, sock);
	rl_conf(more, sizeof(more), "v1", extra);
	harness_write_conf(&f, more);
	kill(f.pid, SIGHUP);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "reload: configuration 2 "
	    "in use", 1, 5000) == 1, "the reload was not applied");
	HARNESS_ASSERT(&f, harness_log_count(&f, "reload: listening on "
	    "unix:") == 1, "the added socket was not logged");
	fd = harness_connect(port2);
	HARNESS_ASSERT(&f, fd != -1, "the added port refuses: %s",
	    strerror(errno));
	hc_init_fd(&c, fd);
	hc_send_get(&c, "/cgi-bin/hello.sh");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "on the added port: %d", r.status);
	hc_response_free(&r);
	hc_close(&c);
	hc_open_unix(&c, &f, sock);
	hc_send_get(&c, "/v?arg");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "on the added socket: %d",
	    r.status);
	hc_response_free(&r);
	hc_close(&c);
	hc_send_get(&keep, "/cgi-bin/hello.sh");
	hc_expect_response(&keep, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "the kept-alive connection: %d",
	    r.status);
	hc_response_free(&r);

	harness_write_conf(&f, conf);
	kill(f.pid, SIGHUP);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "reload: configuration 3 "
	    "in use", 1, 5000) == 1, "the second reload was not applied");
	HARNESS_ASSERT(&f, harness_log_count(&f, "reload: no longer "
	    "listening on") == 2, "the removed listeners were not logged");
	fd = harness_connect(port2);
	HARNESS_ASSERT(&f, fd == -1, "the removed port still accepts");
	HARNESS_ASSERT(&f, access(sock, F_OK) == -1, "the removed socket's "
	    "path is still there");
	hc_send_get(&keep, "/v?arg");
	hc_expect_response(&keep, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "the kept-alive connection after "
	    "two reloads: %d", r.status);
	hc_response_free(&r);
	hc_close(&keep);
	harness_stop_ok(&f);
}
END_TEST

/*
 * A live WebSocket-style connection (hijacked by a libferry worker)
 * survives a reload that replaces its pool: its worker is retired with
 * the reason "reloaded" and keeps echoing, new requests go to the new
 * workers, and the retired worker ends once its socket closes.
 */
START_TEST(test_reload_hijacked_survives)
{
	struct ferryd		 f;
	struct hc		 held;
	struct hc_response	 r;
	char			 conf[2][1024];
	size_t			 i;

	for (i = 0; i < 2; i++)
		snprintf(conf[i], sizeof(conf[i]), "[server]\n"
		    "listen = 127.0.0.1:@PORT@\nkill_grace = 0.5\n[app h]\ntype = fastcgi\n"
		    "prefix = /h\ncommand = %s\nworkers = 1\nenv = %s\n",
		    harness_env_path("FERRY_TEST_HIJACK_APP"),
		    i == 0 ? "HOME" : "HOME PATH");
	memset(&f, 0, sizeof(f));
	f.listen_in_conf = 1;
	harness_start(&f, conf[0], NULL);
	hc_open(&held, &f);
	hc_sendstr(&held, "GET /h/hold HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_text(&held, &f, "held\n");

	harness_write_conf(&f, conf[1]);
	kill(f.pid, SIGHUP);
	hc_expect_text(&held, &f, "retiring reloaded -1\n");
	HARNESS_ASSERT(&f, harness_log_count(&f, "retired (reloaded)") == 1,
	    "the retirement was not logged");
	hc_sendstr(&held, "still here\n");
	hc_expect_text(&held, &f, "still here\n");
	hc_get(&f, "/h/pid", &r);
	HARNESS_ASSERT(&f, r.status == 200, "a new request: %d", r.status);
	hc_response_free(&r);
	hc_close(&held);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "retired worker exited",
	    1, 10000) == 1, "the retired worker did not end after its socket "
	    "closed");
	harness_stop_ok(&f);
}
END_TEST

/*
 * systemd's protocol: with NOTIFY_SOCKET set, ferryd says READY=1 once
 * serving, RELOADING=1 with MONOTONIC_USEC at SIGHUP and READY=1 when
 * the new configuration serves (also after a reload that failed), and
 * STOPPING=1 at SIGTERM.
 */
START_TEST(test_reload_sd_notify)
{
	struct ferryd		 f;
	char			 conf[1024], path[400], msg[512], *dir;
	int			 fd;

	memset(&f, 0, sizeof(f));
	dir = harness_tmpdir("rl", 0);
	snprintf(path, sizeof(path), "%s/notify", dir);
	free(dir);
	fd = harness_notify_socket(path);
	setenv("NOTIFY_SOCKET", path, 1);
	rl_conf(conf, sizeof(conf), "v1", NULL);
	f.listen_in_conf = 1;
	harness_start(&f, conf, NULL);
	unsetenv("NOTIFY_SOCKET");
	harness_notify_recv(fd, msg, sizeof(msg), 10000);
	HARNESS_ASSERT(&f, strncmp(msg, "READY=1", 7) == 0, "at start: "
	    "\"%s\"", msg);

	rl_conf(conf, sizeof(conf), "v2", NULL);
	harness_write_conf(&f, conf);
	kill(f.pid, SIGHUP);
	harness_notify_recv(fd, msg, sizeof(msg), 10000);
	HARNESS_ASSERT(&f, strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27)
	    == 0, "at SIGHUP: \"%s\"", msg);
	harness_notify_recv(fd, msg, sizeof(msg), 10000);
	HARNESS_ASSERT(&f, strncmp(msg, "READY=1", 7) == 0, "after the "
	    "reload: \"%s\"", msg);

	harness_write_conf(&f, "[server]\nlisten = 127.0.0.1:@PORT@\n"
	    "bogus = 1\n");
	kill(f.pid, SIGHUP);
	harness_notify_recv(fd, msg, sizeof(msg), 10000);
	HARNESS_ASSERT(&f, strncmp(msg, "RELOADING=1", 11) == 0, "at the "
	    "second SIGHUP: \"%s\"", msg);
	harness_notify_recv(fd, msg, sizeof(msg), 10000);
	HARNESS_ASSERT(&f, strncmp(msg, "READY=1", 7) == 0 &&
	    strstr(msg, "failed") != NULL, "after a failed reload: \"%s\"",
	    msg);

	kill(f.pid, SIGTERM);
	harness_notify_recv(fd, msg, sizeof(msg), 10000);
	HARNESS_ASSERT(&f, strncmp(msg, "STOPPING=1", 10) == 0, "at SIGTERM: "
	    "\"%s\"", msg);
	harness_stop_ok(&f);
	close(fd);
	unlink(path);
}
END_TEST

/*
 * CGI apps and the logs: a reload that adds a CGI app serves it at once
 * and one that changes a CGI app's root applies to the next request; the
 * error log, renamed away, is opened again at its path.
 */
START_TEST(test_reload_cgi_and_logs)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			 conf[1024], moved[400], want[400], *dir;

	dir = harness_tmpdir("rl-cgi", 0);
	harness_copy_cgi_dir(dir);
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:@PORT@\n"
	    "[app c]\ntype = cgi\nprefix = /c/\nroot = @CGI_BIN@\n");
	memset(&f, 0, sizeof(f));
	f.listen_in_conf = 1;
	harness_start(&f, conf, NULL);
	hc_get(&f, "/d/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 404, "/d/ before: %d", r.status);
	hc_response_free(&r);

	snprintf(moved, sizeof(moved), "%s.old", f.error_log);
	ck_assert_int_eq(rename(f.error_log, moved), 0);
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:@PORT@\n"
	    "[app c]\ntype = cgi\nprefix = /c/\nroot = %s\n"
	    "[app d]\ntype = cgi\nprefix = /d/\nroot = @CGI_BIN@\n", dir);
	harness_write_conf(&f, conf);
	kill(f.pid, SIGHUP);
	HARNESS_ASSERT(&f, harness_wait_file(f.error_log, 5000) &&
	    harness_wait_log(&f, "reload: configuration 2 in use", 1,
	    5000) == 1, "the error log was not opened again at its path");
	HARNESS_ASSERT(&f, harness_log_count(&f, "reload: [app d] added") ==
	    1 && harness_log_count(&f, "reload: [app c]: settings changed")
	    == 1, "the changes were not logged");
	hc_get(&f, "/d/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "the added app: %d", r.status);
	hc_response_free(&r);
	hc_get(&f, "/c/env.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "the changed app: %d", r.status);
	snprintf(want, sizeof(want), "%s/env.sh", dir);
	hc_expect_env(&f, &r, "SCRIPT_FILENAME", want);
	hc_response_free(&r);
	harness_stop_ok(&f);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* The pid of the worker that answers /P?pid (P the app's prefix). */
static long
rl_pid(const struct ferryd *f, const char *prefix)
{
	struct hc_response	 r;
	char			 target[64];
	const char		*p;
	long			 pid = -1;

	snprintf(target, sizeof(target), "%s?pid", prefix);
	hc_get(f, target, &r);
	if (r.status == 200 && (p = strstr(r.body, "pid ")) != NULL)
		pid = atol(p + 4);
	hc_response_free(&r);
	HARNESS_ASSERT(f, pid > 0, "%s: status %d", target, r.status);
	return pid;
}

/* A pool app at prefix /P running prog with one worker, and settings. */
static void
rl_app(char *buf, size_t len, const char *name, const char *prog,
    const char *settings)
{
	snprintf(buf, len, "[app %s]\ntype = fastcgi\nprefix = /%s\n"
	    "command = %s\nworkers = 1\n%s", name, name, prog, settings);
}

/*
 * Which reloads keep a pool's worker: one that changes only settings
 * that need no new process (queue, max_requests, request_timeout) keeps
 * it; one that replaces its program file (a new version installed at
 * the same path) starts a new one; an app removed stops answering and
 * its worker ends.
 */
START_TEST(test_reload_keeps_or_replaces)
{
	struct ferryd	 f;
	struct hc_response r;
	char		 conf[4096], a[1024], b[1024], prog[400], tmp[420];
	char		*bytes, *dir;
	size_t		 len;
	long		 pa, pb;

	dir = harness_tmpdir("rl-prog", 0);
	snprintf(prog, sizeof(prog), "%s/responder", dir);
	snprintf(tmp, sizeof(tmp), "%s.new", prog);
	snprintf(a, sizeof(a), "%s/responder",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	bytes = harness_read_file(a, &len);
	ck_assert_ptr_nonnull(bytes);
	harness_write_file(prog, bytes, len, 0755);

	rl_app(a, sizeof(a), "a", prog, "");
	rl_app(b, sizeof(b), "b", prog, "");
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:@PORT@\n"
	    "kill_grace = 0.5\n%s%s", a, b);
	memset(&f, 0, sizeof(f));
	f.listen_in_conf = 1;
	harness_start(&f, conf, NULL);
	pa = rl_pid(&f, "/a");
	pb = rl_pid(&f, "/b");

	/* Settings that need no new process. */
	rl_app(a, sizeof(a), "a", prog, "queue = 7\nmax_requests = 1000\n"
	    "request_timeout = 20\n");
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:@PORT@\n"
	    "kill_grace = 0.5\n%s%s", a, b);
	harness_write_conf(&f, conf);
	kill(f.pid, SIGHUP);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "reload: configuration 2 "
	    "in use", 1, 5000) == 1, "the first reload was not applied");
	HARNESS_ASSERT(&f, harness_log_count(&f, "reload: [app a]: settings "
	    "changed") == 1, "the change was not logged");
	ck_assert_int_eq(rl_pid(&f, "/a"), pa);
	ck_assert_int_eq(rl_pid(&f, "/b"), pb);

	/* A new version of the program at the same path, and app b gone. */
	harness_write_file(tmp, bytes, len, 0755);
	ck_assert_int_eq(rename(tmp, prog), 0);
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:@PORT@\n"
	    "kill_grace = 0.5\n%s", a);
	harness_write_conf(&f, conf);
	kill(f.pid, SIGHUP);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "reload: configuration 3 "
	    "in use", 1, 5000) == 1, "the second reload was not applied");
	HARNESS_ASSERT(&f, harness_log_count(&f, "reload: [app a]: new "
	    "workers") == 1 && harness_log_count(&f, "reload: [app b] "
	    "removed") == 1, "the changes were not logged");
	HARNESS_ASSERT(&f, rl_pid(&f, "/a") != pa, "the replaced program's "
	    "old worker still answers");
	hc_get(&f, "/b?pid", &r);
	HARNESS_ASSERT(&f, r.status == 404, "the removed app: %d", r.status);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_wait_pid_gone((pid_t)pa, 5000) &&
	    harness_wait_pid_gone((pid_t)pb, 5000), "an old worker still "
	    "runs");
	harness_stop_ok(&f);
	free(bytes);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
reload_suite(void)
{
	Suite	*s = suite_create("reload");
	TCase	*tc = tcase_create("reload");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reload_under_load);
	tcase_add_test(tc, test_reload_invalid_kept);
	tcase_add_test(tc, test_reload_listeners);
	tcase_add_test(tc, test_reload_hijacked_survives);
	tcase_add_test(tc, test_reload_sd_notify);
	tcase_add_test(tc, test_reload_cgi_and_logs);
	tcase_add_test(tc, test_reload_keeps_or_replaces);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(reload_suite(), "ferry-reload");
}
