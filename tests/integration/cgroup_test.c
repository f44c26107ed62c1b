/*
 * cgroups per app and per process (issue 17, part 6; server/cgroup.c):
 * everything a CGI script started dies with it (setsid daemons, double
 * forks) at its end, at on_client_gone = terminate and at the request
 * timeout; memory_max, pids_max and cpu_max hold and are reported; a
 * FastCGI worker runs in a cgroup of its own; the cgroups go when their
 * processes do (or are kept empty, CGROUP_SPARE_MAX at most, for the
 * app's next ones) and when ferryd stops; a setting ferryd cannot apply
 * stops it, with the setting named.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/limits.h"
#include "tests/integration/harness.h"

#define CG_BURST	(CGROUP_SPARE_MAX + 8)	/* requests at once */

/* Starts ferryd with the test scripts as a CGI app in cgroups at /c/,
   its settings plus app_extra, and a plain one at /cgi-bin/. */
static void
cg_start(struct ferryd *f, const char *app_extra)
{
	char	conf[2048];

	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app c]\ntype = cgi\nprefix = /c/\nroot = @CGI_BIN@\n"
	    "user = root\ncgroup = yes\n%s", app_extra);
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* The cgroup of app name, as ferryd logged it at start, into buf. */
static void
cg_app_dir(const struct ferryd *f, const char *name, char *buf, size_t len)
{
	char	 needle[128], *logs = harness_logs(f);
	char	*p;
	size_t	 n;

	snprintf(needle, sizeof(needle), "[app %s]: cgroup ", name);
	p = logs != NULL ? strstr(logs, needle) : NULL;
	HARNESS_ASSERT(f, p != NULL, "no \"%s\" in the log", needle);
	p += strlen(needle);
	n = strcspn(p, "\n");
	HARNESS_ASSERT(f, n > 0 && n < len, "a cgroup path of %zu bytes", n);
	memcpy(buf, p, n);
	buf[n] = '\0';
	free(logs);
}

/* The cgroups right below dir (-1: dir cannot be read). */
static int
cg_children(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_DIR && de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* 1 when the cgroup dir holds no process: its cgroup.procs is empty,
   and its cgroup.events (cgroup2) says "populated 0". */
static int
cg_is_empty(const char *dir)
{
	char	path[1300], *s;
	int	empty;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((s = harness_read_file(path, NULL)) == NULL)
		return 0;
	empty = s[0] == '\0';
	free(s);
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	if (empty && (s = harness_read_file(path, NULL)) != NULL) {
		empty = strstr(s, "populated 0\n") != NULL;
		free(s);
	}
	return empty;
}

/* The cgroups right below dir when all are empty; -1 when one is not
   (or dir cannot be read). */
static int
cg_spares(const char *dir)
{
	char		 sub[1200];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n != -1) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		n = cg_is_empty(sub) ? n + 1 : -1;
	}
	closedir(d);
	return n;
}

/* Waits up to ms for the cgroups below dir to be empty spares,
   CGROUP_SPARE_MAX at most: their number, or -1 when they are not. */
static int
cg_wait_spares(const char *dir, int ms)
{
	long long	deadline = harness_now_ms() + ms;
	int		n;

	while ((n = cg_spares(dir)) < 0 || n > CGROUP_SPARE_MAX) {
		if (harness_now_ms() >= deadline)
			return -1;
		harness_sleep_ms(20);
	}
	return n;
}

/* A script that starts a setsid daemon and exits: the daemon is dead
   right after, the only slot (max_processes = 1) is free, the script's
   cgroup is emptied (kept as a spare), and at the stop the app's cgroup
   is removed with it. */
START_TEST(test_daemon_killed)
{
	struct ferryd		f;
	struct hc_response	r;
	char			p[512], file[600], target[700], dir[1024];
	pid_t			child;

	cg_start(&f, "max_processes = 1\n");
	cg_app_dir(&f, "c", dir, sizeof(dir));
	HARNESS_ASSERT(&f, cg_children(dir) == 0, "cgroups in %s before any "
	    "request", dir);
	harness_path(p, sizeof(p), &f, "d");
	snprintf(target, sizeof(target), "/c/daemon.sh?%s", p);
	hc_get(&f, target, &r);
	HARNESS_ASSERT(&f, r.status == 200, "daemon.sh: %d", r.status);
	hc_response_free(&r);
	snprintf(file, sizeof(file), "%s.child", p);
	child = harness_read_pidfile(file, 5000);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(child, 5000), "the daemon "
	    "%d outlived its script by 5 s", (int)child);
	hc_get(&f, "/c/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "the next request: %d", r.status);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, cg_wait_spares(dir, 5000) >= 0, "%s still has "
	    "cgroups that are not empty spares (%d) 5 s after the requests",
	    dir, cg_children(dir));
	harness_stop_ok(&f);
	HARNESS_ASSERT(NULL, access(dir, F_OK) == -1 && errno == ENOENT,
	    "%s is left after the stop", dir);
}
END_TEST

/* Checks cgself.sh's answer r: the script was alone in its cgroup when
   it started.  Its cgroup's name into name; its daemon's pid, or 0. */
static pid_t
cg_self(const struct ferryd *f, const struct hc_response *r, char *name,
    size_t len)
{
	char		 alone[64];
	const char	*p;
	long		 pid;
	size_t		 n;

	HARNESS_ASSERT(f, r->status == 200 && sscanf(r->body, "pid %ld",
	    &pid) == 1 && (p = strstr(r->body, "\ncgroup ")) != NULL,
	    "cgself.sh: %d\n%s", r->status, r->body);
	p += strlen("\ncgroup ");
	n = strcspn(p, "\n");
	HARNESS_ASSERT(f, n > 0 && n < len, "cgself.sh found no cgroup of "
	    "its own:\n%s", r->body);
	memcpy(name, p, n);
	name[n] = '\0';
	snprintf(alone, sizeof(alone), "\nprocs %ld\n", pid);
	HARNESS_ASSERT(f, strstr(r->body, alone) != NULL, "cgself.sh was "
	    "not alone in its cgroup %s at its start:\n%s", name, r->body);
	p = strstr(r->body, "\ndaemon ");
	return p != NULL ? (pid_t)atol(p + strlen("\ndaemon ")) : 0;
}

/* A cgroup is reused only once empty: a script leaves a setsid daemon in
   its cgroup, and the app's next script (max_processes = 1) that gets
   that cgroup runs in it alone, the daemon dead; it happens within ten
   rounds (names are unique otherwise). */
START_TEST(test_spare_reused)
{
	struct ferryd		f;
	struct hc_response	r;
	char			dir[1024], target[1200], was[256], now[256];
	pid_t			daemon;
	int			round, reused = 0;

	cg_start(&f, "max_processes = 1\n");
	cg_app_dir(&f, "c", dir, sizeof(dir));
	for (round = 0; round < 10 && !reused; round++) {
		snprintf(target, sizeof(target), "/c/cgself.sh/daemon?%s",
		    dir);
		hc_get(&f, target, &r);
		daemon = cg_self(&f, &r, was, sizeof(was));
		HARNESS_ASSERT(&f, daemon > 0, "no daemon started:\n%s",
		    r.body);
		hc_response_free(&r);
		/* Time for the cgroup to empty and be kept (not asserted). */
		harness_sleep_ms(300);
		snprintf(target, sizeof(target), "/c/cgself.sh?%s", dir);
		hc_get(&f, target, &r);
		(void)cg_self(&f, &r, now, sizeof(now));
		hc_response_free(&r);
		HARNESS_ASSERT(&f, harness_wait_pid_gone(daemon, 5000), "the "
		    "daemon %d outlived its script by 5 s", (int)daemon);
		reused = strcmp(was, now) == 0;
	}
	HARNESS_ASSERT(&f, reused, "no cgroup was reused in 10 rounds (the "
	    "last: %s, then %s)", was, now);
	harness_stop_ok(&f);
	HARNESS_ASSERT(NULL, access(dir, F_OK) == -1 && errno == ENOENT,
	    "%s is left after the stop", dir);
}
END_TEST

/* CG_BURST requests at once: their cgroups end as empty spares below the
   app's, CGROUP_SPARE_MAX at most but some, which ferryd's stop removes
   with the app's. */
START_TEST(test_spares_bounded)
{
	struct ferryd		f;
	struct hc		c[CG_BURST];
	struct hc_response	r;
	char			dir[1024], target[1200], name[256];
	int			i, n;

	cg_start(&f, "max_processes = 32\n");
	cg_app_dir(&f, "c", dir, sizeof(dir));
	snprintf(target, sizeof(target), "/c/cgself.sh/sleep?%s", dir);
	for (i = 0; i < CG_BURST; i++) {
		hc_open(&c[i], &f);
		hc_send_get(&c[i], target);
	}
	for (i = 0; i < CG_BURST; i++) {
		hc_expect_response(&c[i], &r, 0);
		(void)cg_self(&f, &r, name, sizeof(name));
		hc_response_free(&r);
		hc_close(&c[i]);
	}
	n = cg_wait_spares(dir, 5000);
	HARNESS_ASSERT(&f, n >= 1 && n <= CGROUP_SPARE_MAX, "%s holds %d "
	    "cgroups 5 s after the requests (%d spares at most, empty)", dir,
	    n < 0 ? cg_children(dir) : n, CGROUP_SPARE_MAX);
	harness_stop_ok(&f);
	HARNESS_ASSERT(NULL, access(dir, F_OK) == -1 && errno == ENOENT,
	    "%s is left after the stop", dir);
}
END_TEST

/* Sends GET /c/escape.sh on c and returns the script's pid and its
   double-forked daemon's (in *daemon). */
static pid_t
cg_escape(struct ferryd *f, struct hc *c, pid_t *daemon)
{
	char	p[512], file[600], req[800];

	harness_path(p, sizeof(p), f, "e");
	snprintf(req, sizeof(req), "GET /c/escape.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(c, f);
	hc_sendstr(c, req);
	snprintf(file, sizeof(file), "%s.child", p);
	*daemon = harness_read_pidfile(file, 5000);
	snprintf(file, sizeof(file), "%s.pid", p);
	return harness_read_pidfile(file, 5000);
}

/* on_client_gone = terminate: the client leaves, and the script and the
   daemon it double-forked into a session of its own are killed. */
START_TEST(test_gone_kills_daemon)
{
	struct ferryd	f;
	struct hc	c;
	pid_t		sh, daemon;

	cg_start(&f, "on_client_gone = terminate\n");
	sh = cg_escape(&f, &c, &daemon);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 8000), "the script %d "
	    "still runs after its client left", (int)sh);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(daemon, 5000), "its daemon "
	    "%d still runs after the script was stopped", (int)daemon);
	harness_stop_ok(&f);
}
END_TEST

/* A ferryd killed with SIGKILL leaves its cgroups and what runs in them:
   the next ferryd with cgroups kills those processes and removes the
   cgroups. */
START_TEST(test_stale_removed)
{
	struct ferryd	f, g;
	struct hc	c;
	char		dir[1024];
	pid_t		sh, daemon;

	cg_start(&f, "");
	cg_app_dir(&f, "c", dir, sizeof(dir));
	sh = cg_escape(&f, &c, &daemon);
	kill(f.pid, SIGKILL);
	HARNESS_ASSERT(NULL, harness_stop(&f) == 128 + SIGKILL, "ferryd did "
	    "not die of SIGKILL");
	hc_close(&c);
	HARNESS_ASSERT(NULL, access(dir, F_OK) == 0 && !harness_pid_gone(sh) &&
	    !harness_pid_gone(daemon), "the killed ferryd left nothing to "
	    "clean");
	cg_start(&g, "");
	HARNESS_ASSERT(&g, harness_wait_pid_gone(sh, 5000) &&
	    harness_wait_pid_gone(daemon, 5000), "the processes of the killed "
	    "ferryd's cgroups still run");
	HARNESS_ASSERT(&g, access(dir, F_OK) == -1, "%s is still there", dir);
	HARNESS_ASSERT(&g, harness_log_count(&g, "left by a ferryd that is "
	    "gone: removed") >= 1, "the removal was not logged");
	harness_stop_ok(&g);
}
END_TEST

/* A reload that drops an app in cgroups removes its cgroup, and the new
   app in cgroups gets one. */
START_TEST(test_reload)
{
	struct ferryd		f;
	struct hc_response	r;
	char			conf[1024], dir[1024];
	int			i, gone = 0;

	cg_start(&f, "");
	cg_app_dir(&f, "c", dir, sizeof(dir));
	hc_get(&f, "/c/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "hello.sh: %d", r.status);
	hc_response_free(&r);
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app k]\ntype = cgi\nprefix = /k/\nroot = @CGI_BIN@\n"
	    "user = root\npids_max = 50\n");
	harness_write_conf(&f, conf);
	HARNESS_ASSERT(&f, kill(f.pid, SIGHUP) == 0, "SIGHUP: %s",
	    strerror(errno));
	HARNESS_ASSERT(&f, harness_wait_log(&f, "configuration 2 in use", 1,
	    5000) == 1, "the reload did not happen");
	for (i = 0; i < 100 && !gone; i++) {
		gone = access(dir, F_OK) == -1;
		if (!gone)
			harness_sleep_ms(50);
	}
	HARNESS_ASSERT(&f, gone, "%s is left after the reload dropped its "
	    "app", dir);
	hc_get(&f, "/k/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "the new app: %d", r.status);
	hc_response_free(&r);
	cg_app_dir(&f, "k", dir, sizeof(dir));
	HARNESS_ASSERT(&f, access(dir, F_OK) == 0, "%s: %s", dir,
	    strerror(errno));
	harness_stop_ok(&f);
}
END_TEST

/* request_timeout: 504, and the daemon goes with the script. */
START_TEST(test_timeout_kills_daemon)
{
	struct ferryd		f;
	struct hc		c;
	struct hc_response	r;
	pid_t			sh, daemon;

	cg_start(&f, "request_timeout = 1\n");
	sh = cg_escape(&f, &c, &daemon);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 504, "escape.sh: %d", r.status);
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 8000), "the script %d "
	    "still runs after the timeout", (int)sh);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(daemon, 5000), "its daemon "
	    "%d still runs after the timeout", (int)daemon);
	harness_stop_ok(&f);
}
END_TEST

/* memory_max = 32M and a program that touches 256 MiB: the OOM killer
   stops it, the client gets 502 and the log says why. */
START_TEST(test_memory_max)
{
	struct ferryd		f;
	struct hc_response	r;
	char			extra[1024];

	snprintf(extra, sizeof(extra), "[app m]\ntype = cgi\nprefix = /m/\n"
	    "root = %s/../cgi-progs\nuser = root\nmemory_max = 32M\n",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	cg_start(&f, extra);
	hc_get(&f, "/m/hog", &r);
	HARNESS_ASSERT(&f, r.status == 502, "hog: %d\n%s", r.status, r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "killed by signal 9 "
	    "(memory_max: killed by the OOM killer)", 1, 5000) == 1,
	    "the OOM kill was not named");
	hc_get(&f, "/c/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "another app: %d", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* pids_max = 10 and a fork bomb: forks are refused and counted in the
   log; ferryd and another app are served meanwhile and after. */
START_TEST(test_pids_max)
{
	struct ferryd		f;
	struct hc		c;
	struct hc_response	r;

	cg_start(&f, "pids_max = 10\n");
	hc_open(&c, &f);
	hc_send_get(&c, "/c/bomb.sh");
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "another app during the bomb: %d",
	    r.status);
	hc_response_free(&r);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strstr(r.body, "started 40") ==
	    NULL, "bomb.sh: %d\n%s", r.status, r.body);
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "forks refused", 1, 5000) ==
	    1 && harness_log_count(&f, "pids_max: ") >= 1, "the refused forks "
	    "were not logged");
	hc_get(&f, "/c/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "the app after the bomb: %d",
	    r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* cpu_max = 10%: a script that spins gets well under a second of CPU
   time in two seconds. */
START_TEST(test_cpu_max)
{
	struct ferryd	f;
	struct hc	c;
	char		p[512], file[600], req[800];
	long long	t0, t1, hz = sysconf(_SC_CLK_TCK);
	pid_t		sh;

	cg_start(&f, "cpu_max = 10%\n");
	harness_path(p, sizeof(p), &f, "s");
	snprintf(req, sizeof(req), "GET /c/spinpid.sh?%s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", p);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	snprintf(file, sizeof(file), "%s.pid", p);
	sh = harness_read_pidfile(file, 5000);
	t0 = harness_cpu_ticks(sh);
	harness_sleep_ms(2000);
	t1 = harness_cpu_ticks(sh);
	HARNESS_ASSERT(&f, t0 >= 0 && t1 >= 0 && t1 - t0 < hz / 2,
	    "the spinning script had %lld ticks of CPU (%lld a second) in "
	    "2 s", t1 - t0, hz);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sh, 8000), "the script %d "
	    "still runs after its client left", (int)sh);
	harness_stop_ok(&f);
}
END_TEST

/* A FastCGI worker runs in a cgroup of its own below its app's, and
   serves. */
START_TEST(test_worker_cgroup)
{
	struct ferryd		f;
	struct hc_response	r;
	char			extra[1024], dir[1024], path[1400], *procs;
	char			*logs, *p;
	int			pid;
	DIR			*d;
	struct dirent		*de;
	int			found = 0;

	snprintf(extra, sizeof(extra), "[app f]\ntype = fastcgi\nprefix = /f\n"
	    "command = %s/responder\nworkers = 1\nuser = root\n"
	    "cgroup = yes\npids_max = 100\n",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	cg_start(&f, extra);
	hc_get(&f, "/f?limits", &r);
	HARNESS_ASSERT(&f, r.status == 200, "/f?limits: %d", r.status);
	hc_response_free(&r);
	cg_app_dir(&f, "f", dir, sizeof(dir));
	logs = harness_logs(&f);
	p = logs != NULL ? strstr(logs, ": worker started") : NULL;
	HARNESS_ASSERT(&f, p != NULL, "no worker started");
	while (p > logs && p[-1] != '[')
		p--;
	pid = atoi(p);
	free(logs);
	HARNESS_ASSERT(&f, (d = opendir(dir)) != NULL, "%s: %s", dir,
	    strerror(errno));
	while ((de = readdir(d)) != NULL && !found) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/cgroup.procs", dir,
		    de->d_name);
		if ((procs = harness_read_file(path, NULL)) != NULL) {
			for (p = procs; *p != '\0'; p += strcspn(p, "\n"),
			    p += *p == '\n')
				if (atoi(p) == pid)
					found = 1;
			free(procs);
		}
	}
	closedir(d);
	HARNESS_ASSERT(&f, found, "worker %d is in no cgroup below %s", pid,
	    dir);
	harness_stop_ok(&f);
	HARNESS_ASSERT(NULL, access(dir, F_OK) == -1, "%s is left after the "
	    "stop", dir);
}
END_TEST

/* The pid of the worker of /f that answers now (its X-Pid). */
static long
cg_worker_pid(const struct ferryd *f)
{
	struct hc_response	r;
	const char		*v;
	long			pid;

	hc_get(f, "/f?pid", &r);
	v = hc_header(&r, "X-Pid");
	HARNESS_ASSERT(f, r.status == 200 && v != NULL, "/f?pid: %d",
	    r.status);
	pid = atol(v);
	hc_response_free(&r);
	return pid;
}

/* A reload that changes a FastCGI app's cgroup settings (pids_max)
   starts its workers anew. */
START_TEST(test_reload_worker)
{
	static const char app[] = "[app f]\ntype = fastcgi\nprefix = /f\n"
	    "command = %s/responder\nworkers = 1\nuser = root\n"
	    "pids_max = %d\n";
	struct ferryd	f;
	char		conf[1024];
	long		pid, now = 0;
	int		i;

	snprintf(conf, sizeof(conf), app,
	    harness_env_path("FERRY_TEST_FCGI_APPS"), 100);
	cg_start(&f, conf);
	pid = cg_worker_pid(&f);
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n");
	i = (int)strlen(conf);
	snprintf(conf + i, sizeof(conf) - (size_t)i, app,
	    harness_env_path("FERRY_TEST_FCGI_APPS"), 200);
	harness_write_conf(&f, conf);
	HARNESS_ASSERT(&f, kill(f.pid, SIGHUP) == 0, "SIGHUP: %s",
	    strerror(errno));
	for (i = 0; i < 100 && (now = cg_worker_pid(&f)) == pid; i++)
		harness_sleep_ms(100);
	HARNESS_ASSERT(&f, now != pid, "worker %ld still serves 10 s after "
	    "pids_max changed", pid);
	harness_stop_ok(&f);
}
END_TEST

/* Runs sh -c cmd with ferryd as $0 and a file holding text as $1, into
   *out (stdout and stderr); its exit status. */
static int
cg_run(const char *cmd, const char *text, char **out)
{
	char		*dir, conf[512];
	const char	*argv[] = { "/bin/sh", "-c", cmd, NULL, conf, NULL };
	int		 rc;

	argv[3] = harness_env_path("FERRYD");
	dir = harness_tmpdir("cgroup-conf", 0);
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dir);
	harness_write_file(conf, text, strlen(text), 0644);
	/* For a ferryd run as nobody: the directory and the one above. */
	chmod(dir, 0755);
	*strrchr(dir, '/') = '\0';
	chmod(dir, 0711);
	dir[strlen(dir)] = '/';
	*out = NULL;
	rc = harness_run(argv, out, 10000);
	harness_rmtree(dir);
	free(dir);
	return rc;
}

#define CG_TEST	"exec \"$0\" -t -c \"$1\" 2>&1"
#define CG_APP	"[server]\nlisten = 127.0.0.1:1\n[app c]\ntype = cgi\n" \
		"prefix = /c/\nroot = /\nuser = root\n"

/* The values refused at parsing, and ferryd -t's word on a good file. */
START_TEST(test_conf_values)
{
	static const struct {
		const char	*line, *want;
	} bad[] = {
		{ "cpu_max = 10\n", "not a percentage" },
		{ "cpu_max = 0%\n", "cpu_max" },
		{ "cpu_max = x%\n", "cpu_max" },
		{ "memory_max = 1K\n", "at least" },
		{ "pids_max = 0\n", "pids_max" },
		{ "cgroup = maybe\n", "cgroup" },
	};
	char	text[512], *out;
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", CG_APP, bad[i].line);
		rc = cg_run(CG_TEST, text, &out);
		HARNESS_ASSERT(NULL, rc == 2 && out != NULL &&
		    strstr(out, bad[i].want) != NULL, "%s: exit %d, output: "
		    "%s", bad[i].line, rc, out != NULL ? out : "(none)");
		free(out);
	}
	snprintf(text, sizeof(text), "%scgroup = yes\nmemory_max = 64M\n"
	    "pids_max = 50\ncpu_max = 150%%\n", CG_APP);
	rc = cg_run(CG_TEST, text, &out);
	HARNESS_ASSERT(NULL, rc == 0 && out != NULL && strstr(out, "is ok") !=
	    NULL, "a good file: exit %d, output: %s", rc, out != NULL ? out :
	    "(none)");
	free(out);
}
END_TEST

/* With no cgroup hierarchy mounted (a mount namespace of its own with
   them unmounted), -t and the start both refuse memory_max, naming it
   and what is missing. */
START_TEST(test_no_controller)
{
	/* Every cgroup mount unmounted, deepest first. */
	static const char cmd[2][400] = {
	    "exec unshare -m /bin/sh -c 'grep -E \" - cgroup2? \" "
	    "/proc/self/mountinfo | cut -d\" \" -f5 | sort -r | while read m; "
	    "do umount -l $m || exit 3; done && exec \"$0\" -c \"$1\" 2>&1' "
	    "\"$0\" \"$1\"",
	    "exec unshare -m /bin/sh -c 'grep -E \" - cgroup2? \" "
	    "/proc/self/mountinfo | cut -d\" \" -f5 | sort -r | while read m; "
	    "do umount -l $m || exit 3; done && exec \"$0\" -t -c \"$1\" "
	    "2>&1' \"$0\" \"$1\"",
	};
	char	text[512], *out;
	int	rc, test;

	snprintf(text, sizeof(text), "%smemory_max = 64M\n", CG_APP);
	for (test = 0; test < 2; test++) {
		rc = cg_run(cmd[test], text, &out);
		HARNESS_ASSERT(NULL, rc == (test ? 2 : 1) && out != NULL &&
		    strstr(out, "[app c]: memory_max needs the memory cgroup "
		    "controller, which is in no cgroup hierarchy mounted "
		    "here") != NULL, "%s: exit %d, output: %s",
		    test ? "-t" : "start", rc, out != NULL ? out : "(none)");
		free(out);
	}
}
END_TEST

/* ferryd run as nobody cannot write the cgroups: -t and the start both
   refuse pids_max, naming it and why. */
START_TEST(test_not_root)
{
	static const char *const cmd[2] = {
	    "exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" "
	    "-c \"$1\" 2>&1",
	    "exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" "
	    "-t -c \"$1\" 2>&1",
	};
	char	text[512], *out;
	int	rc, test;

	snprintf(text, sizeof(text), "[server]\nlisten = 127.0.0.1:%d\n"
	    "[app c]\ntype = cgi\nprefix = /c/\nroot = /\npids_max = 10\n",
	    harness_free_port());
	for (test = 0; test < 2; test++) {
		rc = cg_run(cmd[test], text, &out);
		HARNESS_ASSERT(NULL, rc == (test ? 2 : 1) && out != NULL &&
		    strstr(out, "[app c]: pids_max: ferryd cannot write its "
		    "cgroup ") != NULL && strstr(out, "Permission denied") !=
		    NULL, "%s: exit %d, output: %s", test ? "-t" : "start", rc,
		    out != NULL ? out : "(none)");
		free(out);
	}
}
END_TEST

static Suite *
cgroup_suite(void)
{
	Suite	*s = suite_create("cgroup");
	TCase	*tc = tcase_create("kill");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_daemon_killed);
	tcase_add_test(tc, test_spare_reused);
	tcase_add_test(tc, test_spares_bounded);
	tcase_add_test(tc, test_gone_kills_daemon);
	tcase_add_test(tc, test_timeout_kills_daemon);
	tcase_add_test(tc, test_worker_cgroup);
	tcase_add_test(tc, test_stale_removed);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_reload_worker);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_memory_max);
	tcase_add_test(tc, test_pids_max);
	tcase_add_test(tc, test_cpu_max);
	suite_add_tcase(s, tc);
	tc = tcase_create("conf");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_conf_values);
	tcase_add_test(tc, test_no_controller);
	tcase_add_test(tc, test_not_root);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(cgroup_suite(), "ferry-cgroup");
}
