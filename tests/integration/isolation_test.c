/*
 * Per-app resource limits and no_new_privs (issue 17, part 1, and the
 * no_new_privs of part 2; server/spawn.c spawn_limits): a CGI script and a
 * FastCGI worker run with the limit_* of their app, soft and hard, and
 * with no_new_privs; a script that spins on the CPU or writes a file past
 * its limit is stopped by the kernel, the client gets 502, the error log
 * names the limit, and another app's client is served meanwhile.  And
 * syscall_filter (part 5, server/filter.c): a program under the default
 * filter gets EPERM from the calls it denies, one without it does not,
 * and a script and a FastCGI worker under it still serve; a reload that
 * changes it starts the workers anew.  Each denied call is named in the
 * error log with the app and the pid that made it (server/notif.c), a
 * few per process and then a count, and counted on the status page.
 * And root only by choice (part 2): as root, an app that names no user
 * is refused.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define IS_LIMITS	"limit_cpu = 2\nlimit_memory = 256M\nlimit_files = 64\n" \
			"limit_processes = 4096\nlimit_file_size = 1M\n" \
			"limit_core = 0\n"

/* Starts ferryd with a limited CGI app at /lim/, the same directory
   unlimited at /cgi-bin/ (the command line's), and the responder as a
   limited FastCGI app at /f. */
static void
is_start(struct ferryd *f, const char *cgi_limits)
{
	char	conf[2048];

	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app lim]\ntype = cgi\nprefix = /lim/\nroot = @CGI_BIN@\n%s"
	    "[app f]\ntype = fastcgi\nprefix = /f\ncommand = %s/responder\n"
	    "workers = 1\nlimit_files = 100\nlimit_core = 0\n", cgi_limits,
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* The soft and hard values of the limit named name ("Max cpu time") in
   a /proc/PID/limits text; -2 when the line is missing, -1 for
   "unlimited". */
static void
is_limit(const char *text, const char *name, long long *soft,
    long long *hard)
{
	const char	*l = harness_line_of(text, name);
	char		 s[32], h[32];

	*soft = *hard = -2;
	if (l == NULL || sscanf(l + strlen(name), "%31s %31s", s, h) != 2)
		return;
	*soft = strcmp(s, "unlimited") == 0 ? -1 : atoll(s);
	*hard = strcmp(h, "unlimited") == 0 ? -1 : atoll(h);
}

struct is_want {
	const char	*name;
	long long	 soft, hard;
};

static const struct is_want is_cgi_wants[] = {
	{ "Max cpu time", 2, 3 },	/* SIGXCPU first, SIGKILL a second on */
	{ "Max address space", 256LL << 20, 256LL << 20 },
	{ "Max open files", 64, 64 },
	{ "Max processes", 4096, 4096 },
	{ "Max file size", 1 << 20, 1 << 20 },
	{ "Max core file size", 0, 0 },
};

/* Every limit of the table in the body, and NoNewPrivs: 1. */
static void
is_expect(const struct ferryd *f, const char *what, const char *body,
    const struct is_want *w, size_t n)
{
	long long	soft, hard;
	size_t		i;

	for (i = 0; i < n; i++) {
		is_limit(body, w[i].name, &soft, &hard);
		HARNESS_ASSERT(f, soft == w[i].soft && hard == w[i].hard,
		    "%s: %s is %lld %lld, not %lld %lld", what, w[i].name, soft,
		    hard, w[i].soft, w[i].hard);
	}
	HARNESS_ASSERT(f, strstr(body, "NoNewPrivs:\t1") != NULL,
	    "%s: not running with no_new_privs:\n%s", what, body);
}

/* The limits reach a CGI script and a FastCGI worker; an app without
   them keeps ferryd's (no limit on CPU time) but not the privileges. */
START_TEST(test_limits_applied)
{
	static const struct is_want fcgi_wants[] = {
		{ "Max open files", 100, 100 },
		{ "Max core file size", 0, 0 },
	};
	static const struct is_want none[] = {
		{ "Max cpu time", -1, -1 },
	};
	struct ferryd		f;
	struct hc_response	r;

	is_start(&f, IS_LIMITS);
	hc_get(&f, "/lim/limits.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "limits.sh: %d", r.status);
	is_expect(&f, "the CGI script", r.body, is_cgi_wants,
	    sizeof(is_cgi_wants) / sizeof(is_cgi_wants[0]));
	hc_response_free(&r);
	hc_get(&f, "/f?limits", &r);
	HARNESS_ASSERT(&f, r.status == 200, "/f?limits: %d", r.status);
	is_expect(&f, "the FastCGI worker", r.body, fcgi_wants,
	    sizeof(fcgi_wants) / sizeof(fcgi_wants[0]));
	hc_response_free(&r);
	hc_get(&f, "/cgi-bin/limits.sh", &r);
	is_expect(&f, "the unlimited app", r.body, none, 1);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* A script that spins is stopped by limit_cpu (SIGXCPU): 502, the limit
   named in the error log; another app's client is served meanwhile. */
START_TEST(test_limit_cpu)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	long long		 t0 = harness_now_ms();

	is_start(&f, "limit_cpu = 1\n");
	hc_open(&c, &f);
	hc_send_get(&c, "/lim/spin.sh");
	hc_get(&f, "/cgi-bin/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "the other app during the spin: "
	    "%d", r.status);
	hc_response_free(&r);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 502, "the spinning script: %d",
	    r.status);
	hc_response_free(&r);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_now_ms() - t0 < 20000, "stopped after "
	    "%lld ms", harness_now_ms() - t0);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "limit_cpu: its CPU time ran "
	    "out", 1, 5000) == 1, "the CPU limit was not named");
	harness_stop_ok(&f);
}
END_TEST

/* A script that writes a file past limit_file_size is stopped (SIGXFSZ),
   the file holds the limit and no more, and the log says why. */
START_TEST(test_limit_file_size)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			 path[400], target[500];
	size_t			 len = 0;
	char			*data;

	is_start(&f, "limit_file_size = 64K\n");
	harness_path(path, sizeof(path), &f, "big");
	snprintf(target, sizeof(target), "/lim/bigfile.sh?%s", path);
	hc_get(&f, target, &r);
	HARNESS_ASSERT(&f, r.status == 502, "bigfile.sh: %d", r.status);
	hc_response_free(&r);
	data = harness_read_file(path, &len);
	HARNESS_ASSERT(&f, data != NULL && len == 64 * 1024, "the file has "
	    "%zu bytes, not 65536", len);
	free(data);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "limit_file_size: it wrote a "
	    "file past the limit", 1, 5000) == 1, "the file size limit was "
	    "not named");
	harness_stop_ok(&f);
}
END_TEST

/* Starts ferryd with tests/cgi-progs as a CGI app filtered at /sf/ and
   unfiltered (the default) at /so/, the test scripts filtered at /sh/,
   and the responder as a filtered FastCGI app at /f. */
static void
is_filter_start(struct ferryd *f)
{
	char	progs[600], conf[2048];

	snprintf(progs, sizeof(progs), "%s/../cgi-progs",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app sf]\ntype = cgi\nprefix = /sf/\nroot = %s\n"
	    "syscall_filter = default\n"
	    "[app so]\ntype = cgi\nprefix = /so/\nroot = %s\n"
	    "[app sh]\ntype = cgi\nprefix = /sh/\nroot = @CGI_BIN@\n"
	    "syscall_filter = default\n"
	    "[app f]\ntype = fastcgi\nprefix = /f\ncommand = %s/responder\n"
	    "workers = 1\nsyscall_filter = default\n", progs, progs,
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* The number after "NAME " on its line of sysprobe's body; -1 without
   the line. */
static int
is_probe(const char *body, const char *name)
{
	char		 key[32];
	const char	*l;

	snprintf(key, sizeof(key), "%s ", name);
	if ((l = harness_line_of(body, key)) == NULL)
		return -1;
	return atoi(l + strlen(key));
}

/* The calls sysprobe makes that the default filter denies. */
static const char *const is_denied[] = {
	"ptrace", "unshare", "mount", "pidfd_getfd"
};

/* The default filter answers EPERM to ptrace, unshare, mount and
   pidfd_getfd, and lets getpid through; without syscall_filter the same
   calls get the kernel's own answers (no such process; unshare(0)
   succeeds; as root, a copy of ferryd's fd). */
START_TEST(test_filter_denies)
{
	struct ferryd		 f;
	struct hc_response	 r;
	size_t			 i;
	int			 e;

	is_filter_start(&f);
	hc_get(&f, "/sf/sysprobe", &r);
	HARNESS_ASSERT(&f, r.status == 200, "filtered sysprobe: %d",
	    r.status);
	for (i = 0; i < sizeof(is_denied) / sizeof(is_denied[0]); i++) {
		e = is_probe(r.body, is_denied[i]);
		HARNESS_ASSERT(&f, e == EPERM, "filtered %s: errno %d, not "
		    "EPERM:\n%s", is_denied[i], e, r.body);
	}
	HARNESS_ASSERT(&f, is_probe(r.body, "getpid") == 0 &&
	    strstr(r.body, "Seccomp:\t2") != NULL, "filtered sysprobe:\n%s",
	    r.body);
	hc_response_free(&r);
	hc_get(&f, "/so/sysprobe", &r);
	HARNESS_ASSERT(&f, r.status == 200, "unfiltered sysprobe: %d",
	    r.status);
	HARNESS_ASSERT(&f, is_probe(r.body, "ptrace") == ESRCH &&
	    is_probe(r.body, "unshare") == 0 &&
	    strstr(r.body, "Seccomp:\t0") != NULL, "unfiltered sysprobe:\n%s",
	    r.body);
	/* Without CAP_SYS_ADMIN the kernel itself says EPERM. */
	if (geteuid() == 0)
		HARNESS_ASSERT(&f, is_probe(r.body, "mount") == ENOENT &&
		    is_probe(r.body, "pidfd_getfd") == 0,
		    "unfiltered mount and pidfd_getfd as root:\n%s", r.body);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* An ordinary script and a FastCGI worker under the filter serve as
   before, one request after another. */
START_TEST(test_filter_serves)
{
	struct ferryd		 f;
	struct hc_response	 r;
	int			 i;

	is_filter_start(&f);
	for (i = 0; i < 3; i++) {
		hc_get(&f, "/sh/hello.sh", &r);
		HARNESS_ASSERT(&f, r.status == 200 && strstr(r.body,
		    "hello") != NULL, "hello.sh under the filter: %d %s",
		    r.status, r.body);
		hc_response_free(&r);
		hc_get(&f, "/f?limits", &r);
		HARNESS_ASSERT(&f, r.status == 200 && strstr(r.body,
		    "Seccomp:\t2") != NULL, "the worker under the filter: "
		    "%d\n%s", r.status, r.body);
		hc_response_free(&r);
	}
	hc_get(&f, "/sh/limits.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strstr(r.body,
	    "NoNewPrivs:\t1") != NULL, "limits.sh under the filter: %d\n%s",
	    r.status, r.body);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* A reload that turns the filter off starts the FastCGI app's workers
   anew, unfiltered: the same configuration otherwise would keep them. */
START_TEST(test_filter_reload)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			 conf[1024];
	int			 i, off = 0;

	is_filter_start(&f);
	hc_get(&f, "/f?limits", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strstr(r.body, "Seccomp:\t2") !=
	    NULL, "before the reload: %d\n%s", r.status, r.body);
	hc_response_free(&r);
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app f]\ntype = fastcgi\nprefix = /f\ncommand = %s/responder\n"
	    "workers = 1\n", harness_env_path("FERRY_TEST_FCGI_APPS"));
	harness_write_conf(&f, conf);
	HARNESS_ASSERT(&f, kill(f.pid, SIGHUP) == 0, "SIGHUP: %s",
	    strerror(errno));
	for (i = 0; i < 100 && !off; i++) {
		hc_get(&f, "/f?limits", &r);
		off = r.status == 200 && strstr(r.body, "Seccomp:\t0") != NULL;
		hc_response_free(&r);
		if (!off)
			usleep(100 * 1000);
	}
	HARNESS_ASSERT(&f, off, "the worker still runs filtered 10 s after "
	    "the reload");
	harness_stop_ok(&f);
}
END_TEST

/* Starts ferryd with tests/cgi-progs as a filtered CGI app at /sd/ and
   an unfiltered one at /so/, f->dir as a filtered one at /sb/, and the
   responder as a filtered FastCGI app at /fd, each run as our own
   user. */
static void
is_notif_start(struct ferryd *f)
{
	const char	*me = harness_user();
	char		 progs[600], conf[2048];

	snprintf(progs, sizeof(progs), "%s/../cgi-progs",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "status_path = /ferry-status\n"
	    "[app sd]\ntype = cgi\nprefix = /sd/\nroot = %s\nuser = %s\n"
	    "syscall_filter = default\n"
	    "[app so]\ntype = cgi\nprefix = /so/\nroot = %s\nuser = %s\n"
	    "[app sb]\ntype = cgi\nprefix = /sb/\nroot = @DIR@\nuser = %s\n"
	    "syscall_filter = default\n"
	    "[app fd]\ntype = fastcgi\nprefix = /fd\ncommand = %s/responder\n"
	    "workers = 1\nuser = %s\nsyscall_filter = default\n", progs,
	    me, progs, me, me, harness_env_path("FERRY_TEST_FCGI_APPS"),
	    me);
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* Waits for the log line "[app APP] pid PID: seccomp denied CALL(2)"
   and fails the test unless it comes, once. */
static void
is_denied_logged(const struct ferryd *f, const char *app, int pid,
    const char *call)
{
	char	line[128];

	snprintf(line, sizeof(line), "[app %s] pid %d: seccomp denied %s(2)",
	    app, pid, call);
	HARNESS_ASSERT(f, harness_wait_log(f, line, 1, 5000) == 1 &&
	    harness_log_count(f, line) == 1, "\"%s\" not logged once", line);
}

/* What the error log says of app's denied calls: the calls named one to a
   line, the sum of N over its "N more calls" lines, and how many lines
   name the app's processes at all. */
struct is_denials {
	long	more;
	int	named;
	int	lines;
};

/* Reads the error log into d, over the "[app APP] pid PID: seccomp
   denied ..." lines of pid (0: any), until the calls it accounts for
   (the "more" ones, and the named ones too when with_named) reach want,
   or 15 s passed; returns that count. */
static long
is_denials_wait(const struct ferryd *f, const char *app, int pid,
    int with_named, long want, struct is_denials *d)
{
	static const char	 denied[] = ": seccomp denied ";
	char			 mine[64], *text, *num;
	const char		*p, *end, *x;
	long			 sum = 0;
	int			 i;

	snprintf(mine, sizeof(mine), "[app %s] pid ", app);
	for (i = 0; i < 150 && (i == 0 || sum < want); i++) {
		if (i > 0)
			harness_sleep_ms(100);
		text = harness_read_file(f->error_log, NULL);
		HARNESS_ASSERT(f, text != NULL, "no error log");
		memset(d, 0, sizeof(*d));
		d->lines = harness_count(text, mine);
		for (p = strstr(text, mine); p != NULL; p = strstr(p + 1,
		    mine)) {
			if ((end = strchr(p, '\n')) == NULL)
				break;
			if ((pid != 0 && strtol(p + strlen(mine), &num, 10) !=
			    pid) || (x = strstr(p, denied)) == NULL || x > end)
				continue;
			x += strlen(denied);
			if (end - x > 11 && strncmp(end - 11, " more calls",
			    11) == 0)
				d->more += atol(x);
			else if (strncmp(end - 3, "(2)", 3) == 0)
				d->named++;
		}
		free(text);
		sum = d->more + (with_named ? d->named : 0);
	}
	return sum;
}

/* The sum of N over the error log's "[app APP] pid PID: seccomp denied N
   more calls" lines, once it reaches want (or after 15 s); *lines is
   set to how many lines of the log name the app's denials. */
static long
is_denied_more(const struct ferryd *f, const char *app, int pid, long want,
    int *lines)
{
	struct is_denials	d;
	long			more;

	more = is_denials_wait(f, app, pid, 0, want, &d);
	*lines = d.lines;
	return more;
}

/* A filtered CGI program's and FastCGI worker's denied calls get EPERM
   and are each named in the error log with the app and the caller's
   pid; a permitted call is not, nor an unfiltered app's calls; the
   listener never reaches the program. */
START_TEST(test_filter_logged)
{
	struct ferryd		 f;
	struct hc_response	 r;
	size_t			 i;
	int			 pid;

	is_notif_start(&f);
	hc_get(&f, "/sd/sysprobe", &r);
	HARNESS_ASSERT(&f, r.status == 200, "filtered sysprobe: %d",
	    r.status);
	pid = is_probe(r.body, "self");
	HARNESS_ASSERT(&f, pid > 0 && is_probe(r.body, "listeners") == 0 &&
	    is_probe(r.body, "getpid") == 0, "filtered sysprobe:\n%s",
	    r.body);
	for (i = 0; i < sizeof(is_denied) / sizeof(is_denied[0]); i++) {
		HARNESS_ASSERT(&f, is_probe(r.body, is_denied[i]) == EPERM,
		    "filtered %s: not EPERM:\n%s", is_denied[i], r.body);
		is_denied_logged(&f, "sd", pid, is_denied[i]);
	}
	hc_response_free(&r);
	hc_get(&f, "/fd?pid&deny=1", &r);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "mount") ==
	    EPERM && is_probe(r.body, "ptrace") == EPERM &&
	    is_probe(r.body, "denied") == 1, "/fd?deny=1: %d\n%s", r.status,
	    r.body);
	pid = is_probe(r.body, "pid");
	is_denied_logged(&f, "fd", pid, "mount");
	is_denied_logged(&f, "fd", pid, "ptrace");
	hc_response_free(&r);
	hc_get(&f, "/fd?fds", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strstr(r.body, "seccomp") ==
	    NULL, "the worker holds a listener:\n%s", r.body);
	hc_response_free(&r);
	hc_get(&f, "/so/sysprobe", &r);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "ptrace") ==
	    ESRCH, "unfiltered sysprobe: %d\n%s", r.status, r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_log_count(&f, "[app so] pid") == 0 &&
	    harness_log_count(&f, "getpid(2)") == 0 &&
	    harness_log_count(&f, "seccomp denied") == 6, "denials logged "
	    "that were not made");
	harness_stop_ok(&f);
}
END_TEST

/* 10,000 denied calls from a CGI program and from a FastCGI worker are
   each answered (the program finishes), another app is served
   meanwhile, and the log names NOTIF_LOG_BURST (5) of them and counts
   the rest; the status page counts them all. */
START_TEST(test_filter_flood)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	long			 more;
	int			 i, pid, lines;

	is_notif_start(&f);
	hc_open(&c, &f);
	hc_send_get(&c, "/sd/sysprobe?flood=10000");
	for (i = 0; i < 5; i++) {
		hc_get(&f, "/so/sysprobe", &r);
		HARNESS_ASSERT(&f, r.status == 200, "the other app during the "
		    "flood: %d", r.status);
		hc_response_free(&r);
	}
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "flood") ==
	    10000, "the flood: %d\n%s", r.status, r.body);
	hc_close(&c);
	pid = is_probe(r.body, "self");
	hc_response_free(&r);
	more = is_denied_more(&f, "sd", pid, 9995, &lines);
	HARNESS_ASSERT(&f, more == 9995 && lines >= 6 && lines <= 8, "the "
	    "CGI flood: %ld more calls said, %d lines", more, lines);

	hc_get(&f, "/fd?pid&deny=10000", &r);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "denied") ==
	    10000, "the FastCGI flood: %d\n%s", r.status, r.body);
	pid = is_probe(r.body, "pid");
	hc_response_free(&r);
	/* The worker lives on: the count comes from the timer. */
	more = is_denied_more(&f, "fd", pid, 9996, &lines);
	HARNESS_ASSERT(&f, more == 9996 && lines >= 6 && lines <= 8, "the "
	    "FastCGI flood: %ld more calls said, %d lines", more, lines);
	hc_get(&f, "/fd?pid", &r);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "pid") == pid,
	    "the worker after its flood: %d\n%s", r.status, r.body);
	hc_response_free(&r);
	hc_get(&f, "/ferry-status?format=prometheus", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strstr(r.body,
	    "ferry_app_seccomp_denied_total{app=\"sd\"} 10000\n") != NULL &&
	    strstr(r.body, "ferry_app_seccomp_denied_total{app=\"fd\"} "
	    "10001\n") != NULL && strstr(r.body,
	    "ferry_app_seccomp_denied_total{app=\"so\"} 0\n") != NULL,
	    "the status page:\n%s", r.body);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* A script looping on a denied call is answered NOTIF_RATE (10,000)
   calls a second at most: 25,000 take two pauses (2 s at least), the log
   says so once, and another app is served meanwhile. */
START_TEST(test_filter_throttle)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	long long		 t0;
	int			 pid, lines;

	is_notif_start(&f);
	t0 = harness_now_ms();
	hc_open(&c, &f);
	hc_send_get(&c, "/sd/sysprobe?flood=25000");
	hc_get(&f, "/so/sysprobe", &r);
	HARNESS_ASSERT(&f, r.status == 200, "the other app during the "
	    "flood: %d", r.status);
	hc_response_free(&r);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "flood") ==
	    25000, "the flood: %d\n%s", r.status, r.body);
	HARNESS_ASSERT(&f, harness_now_ms() - t0 >= 2000, "25,000 denied "
	    "calls answered in %lld ms", harness_now_ms() - t0);
	hc_close(&c);
	pid = is_probe(r.body, "self");
	hc_response_free(&r);
	HARNESS_ASSERT(&f, is_denied_more(&f, "sd", pid, 24995, &lines) ==
	    24995 && harness_log_count(&f, "answered 10000 a second at "
	    "most") == 1, "the throttle was not logged once");
	harness_stop_ok(&f);
}
END_TEST

/* A listener is closed once its process is gone: ferryd's fds are as
   many after 40 filtered scripts, 10 whose exec failed after they sent
   their listener (a missing interpreter: 500) and a worker's restart as
   before. */
START_TEST(test_filter_fds_flat)
{
	static const char	 bad[] = "#!/nonexistent/interpreter\n";
	struct ferryd		 f;
	struct hc_response	 r;
	char			 path[400];
	int			 i, before, now = -1;

	is_notif_start(&f);
	harness_path(path, sizeof(path), &f, "bad.sh");
	harness_write_file(path, bad, strlen(bad), 0755);
	hc_get(&f, "/sd/sysprobe", &r);
	hc_response_free(&r);
	hc_get(&f, "/fd?deny=1", &r);
	hc_response_free(&r);
	/* Each filtered CGI app's spawner (its pair and its listener) is
	   started by its first request, and kept. */
	hc_get(&f, "/sb/bad.sh", &r);
	hc_response_free(&r);
	for (i = 0; i < 50 && (before = harness_count_fds(f.pid)) != now;
	    i++) {
		now = before;
		harness_sleep_ms(100);
	}
	for (i = 0; i < 40; i++) {
		hc_get(&f, "/sd/sysprobe", &r);
		HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body,
		    "ptrace") == EPERM, "sysprobe %d: %d", i, r.status);
		hc_response_free(&r);
	}
	for (i = 0; i < 10; i++) {
		hc_get(&f, "/sb/bad.sh", &r);
		HARNESS_ASSERT(&f, r.status == 500, "bad.sh: %d", r.status);
		hc_response_free(&r);
	}
	hc_get(&f, "/fd?deny=1&exit", &r);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "worker exited", 1, 5000) ==
	    1, "the worker did not exit");
	hc_get(&f, "/fd?deny=1", &r);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "denied") == 1,
	    "the new worker: %d\n%s", r.status, r.body);
	hc_response_free(&r);
	for (i = 0; i < 100 && (now = harness_count_fds(f.pid)) > before;
	    i++)
		harness_sleep_ms(100);
	HARNESS_ASSERT(&f, now == before, "ferryd has %d fds, %d before",
	    now, before);
	harness_stop_ok(&f);
}
END_TEST

/* The denied calls the error log accounts for app: each named one, and
   the N of each "N more calls", once they reach want (or after 15 s);
   *named is set to how many were named. */
static long
is_denied_all(const struct ferryd *f, const char *app, long want,
    int *named)
{
	struct is_denials	d;
	long			sum;

	sum = is_denials_wait(f, app, 0, 1, want, &d);
	*named = d.named;
	return sum;
}

/* A script whose 100 children make 10 denied calls each at once: every
   call is answered EPERM and accounted for in the log, and the script
   with its children has five of them named (NOTIF_LOG_BURST), the rest
   counted: a fork bomb making denied calls cannot flood the log. */
START_TEST(test_filter_callers)
{
	struct ferryd		 f;
	struct hc_response	 r;
	long			 sum;
	int			 named;

	is_notif_start(&f);
	hc_get(&f, "/sd/sysprobe?children=100", &r);
	HARNESS_ASSERT(&f, r.status == 200 && is_probe(r.body, "children") ==
	    1000, "children=100: %d\n%s", r.status, r.body);
	hc_response_free(&r);
	sum = is_denied_all(&f, "sd", 1000, &named);
	HARNESS_ASSERT(&f, sum == 1000 && named == 5, "%ld denied calls "
	    "logged, %d named", sum, named);
	hc_get(&f, "/so/sysprobe", &r);
	HARNESS_ASSERT(&f, r.status == 200, "another app: %d", r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

/* The pid of the n-th (1, 2...) "[app APP]: spawner started, pid N"
   line of the error log, waited for 5 s; -1 if none came. */
static int
is_spawner_pid(const struct ferryd *f, const char *app, int n)
{
	char		 needle[64], *text;
	const char	*p;
	int		 i;

	snprintf(needle, sizeof(needle), "[app %s]: spawner started, pid ",
	    app);
	if (harness_wait_log(f, needle, n, 5000) < n ||
	    (text = harness_read_file(f->error_log, NULL)) == NULL)
		return -1;
	for (i = 0, p = text; i < n && p != NULL; i++)
		if ((p = strstr(p, needle)) != NULL)
			p += strlen(needle);
	i = p != NULL ? atoi(p) : -1;
	free(text);
	return i;
}

/* GETs /sd/sysprobe: its parent's pid, the default filter asserted. */
static int
is_probe_parent(const struct ferryd *f)
{
	struct hc_response	r;
	int			ppid;

	hc_get(f, "/sd/sysprobe", &r);
	HARNESS_ASSERT(f, r.status == 200 && is_probe(r.body, "ptrace") ==
	    EPERM && strstr(r.body, "Seccomp:\t2") != NULL &&
	    is_probe(r.body, "listeners") == 0, "sysprobe: %d\n%s",
	    r.status, r.body);
	ppid = is_probe(r.body, "ppid");
	hc_response_free(&r);
	return ppid;
}

/* A filtered CGI app without a sandbox has its scripts started by its
   spawner, which installed the filter once (the scripts inherit it);
   a spawner killed is said, the next request is spawned by ferryd
   itself, filtered all the same, and a second later a new spawner
   takes over. */
START_TEST(test_filter_spawner)
{
	struct ferryd	f;
	int		sp1, sp2, ppid, i;

	is_notif_start(&f);
	ppid = is_probe_parent(&f);
	sp1 = is_spawner_pid(&f, "sd", 1);
	HARNESS_ASSERT(&f, sp1 > 0 && sp1 != f.pid && ppid == sp1,
	    "sysprobe's parent %d, the spawner %d, ferryd %d", ppid, sp1,
	    (int)f.pid);
	HARNESS_ASSERT(&f, kill(sp1, SIGKILL) == 0, "kill: %s",
	    strerror(errno));
	HARNESS_ASSERT(&f, harness_wait_log(&f, "[app sd]: spawner (pid", 1,
	    5000) == 1, "the spawner's death was not logged");
	for (i = 0; i < 3; i++) {
		ppid = is_probe_parent(&f);
		HARNESS_ASSERT(&f, ppid == f.pid || ppid != sp1, "sysprobe's "
		    "parent %d: the dead spawner", ppid);
	}
	harness_sleep_ms(1100);
	ppid = is_probe_parent(&f);
	sp2 = is_spawner_pid(&f, "sd", 2);
	HARNESS_ASSERT(&f, sp2 > 0 && sp2 != sp1 && ppid == sp2,
	    "sysprobe's parent %d, the new spawner %d", ppid, sp2);
	harness_stop_ok(&f);
	HARNESS_ASSERT(&f, harness_wait_pid_gone(sp2, 5000), "the spawner %d "
	    "outlived ferryd", sp2);
}
END_TEST

/* The fds ferryd checks for at start count a seccomp listener per
   filtered process: 420 fit 100 CGI processes and 10 connections
   (375 fds), not with the filter (475), and ferryd says so. */
START_TEST(test_filter_nofile)
{
	char		*dir, conf[512], text[512], *out = NULL;
	const char	*argv[] = { "/bin/sh", "-c", "ulimit -n 420 && "
	    "\"$0\" -t -c \"$1\" 2>&1 && exec \"$0\" -c \"$1\" 2>&1", NULL,
	    conf, NULL };
	int		 rc;

	argv[3] = harness_env_path("FERRYD");
	dir = harness_tmpdir("notif-nofile", 0);
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dir);
	snprintf(text, sizeof(text), "[server]\nlisten = 127.0.0.1:1\n"
	    "max_connections = 10\n[app sd]\ntype = cgi\nprefix = /sd/\n"
	    "root = %s\nuser = %s\nmax_processes = 100\n"
	    "syscall_filter = default\n", dir, harness_user());
	harness_write_file(conf, text, strlen(text), 0644);
	rc = harness_run(argv, &out, 10000);
	HARNESS_ASSERT(NULL, rc == 1 && out != NULL &&
	    strstr(out, "but 475 fds are needed") != NULL &&
	    strstr(out, "100 for the seccomp listeners of those filtered") !=
	    NULL, "exit %d, output: %s", rc, out != NULL ? out : "(none)");
	free(out);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* ferryd's output for a configuration whose app at /s/ names no user:
   checked (-t) when test, else started on an address it never binds.
   Returns the exit status; *out is malloc'd. */
static int
is_run_no_user(int test, char **out)
{
	const char	*argv[] = { "/bin/sh", "-c", "exec \"$0\" -c \"$1\" "
	    "--listen 127.0.0.1:1 $2 2>&1", NULL, NULL, "", NULL };
	char		*dir, conf[512], text[1024];
	int		 rc;

	argv[3] = harness_env_path("FERRYD");
	dir = harness_tmpdir("rootapp", 0);
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dir);
	snprintf(text, sizeof(text), "[app s]\ntype = cgi\nprefix = /s/\n"
	    "root = %s\n", harness_env_path("FERRY_TEST_CGI_BIN"));
	harness_write_file(conf, text, strlen(text), 0644);
	argv[4] = conf;
	if (test)
		argv[5] = "-t";
	*out = NULL;
	rc = harness_run(argv, out, 10000);
	harness_rmtree(dir);
	free(dir);
	return rc;
}

/* As root, an app that names no user is refused by -t and at start (exit
   2, the app named); not root, it runs as ferryd's user. */
START_TEST(test_root_refused)
{
	char	*out;
	int	 rc, test;

	for (test = 0; test < 2; test++) {
		rc = is_run_no_user(test, &out);
		if (geteuid() == 0)
			HARNESS_ASSERT(NULL, rc == 2 && out != NULL &&
			    strstr(out, "[app s]: its processes would run as "
			    "root: set user") != NULL, "%s: exit %d, output: "
			    "%s", test ? "-t" : "start", rc,
			    out != NULL ? out : "(none)");
		else if (test)
			HARNESS_ASSERT(NULL, rc == 0, "-t, not root: exit %d, "
			    "output: %s", rc, out != NULL ? out : "(none)");
		free(out);
	}
}
END_TEST

/* A limit above ferryd's own hard limit, for an app whose processes
   cannot raise it (they run as nobody): refused at start and by -t, the
   setting and both numbers named, never a failing spawn per request. */
START_TEST(test_limit_above_hard)
{
	const char	*argv[] = { "/bin/sh", "-c", "ulimit -n 4096 && exec "
	    "\"$0\" -c \"$1\" --listen 127.0.0.1:1 $2 2>&1", NULL, NULL,
	    "", NULL };
	char		*dir, conf[512], text[1024], *out;
	int		 rc, test;

	argv[3] = harness_env_path("FERRYD");
	dir = harness_tmpdir("hardlimit", 0);
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dir);
	snprintf(text, sizeof(text), "[app s]\ntype = cgi\nprefix = /s/\n"
	    "root = %s\nuser = nobody\nlimit_files = 5000\n",
	    harness_env_path("FERRY_TEST_CGI_BIN"));
	harness_write_file(conf, text, strlen(text), 0644);
	argv[4] = conf;
	for (test = 0; test < 2; test++) {
		argv[5] = test ? "-t" : "";
		out = NULL;
		rc = harness_run(argv, &out, 10000);
		HARNESS_ASSERT(NULL, rc == 2 && out != NULL && strstr(out,
		    "[app s]: limit_files = 5000 is above ferryd's own hard "
		    "limit (4096)") != NULL, "%s: exit %d, output: %s",
		    test ? "-t" : "start", rc, out != NULL ? out : "(none)");
		free(out);
	}
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* user = root: the scripts run as root, the error log says it was
   chosen; a reload to a configuration that forgets the user is refused
   and the app keeps serving. */
START_TEST(test_root_by_choice)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			 conf[1024];

	if (geteuid() != 0) {
		/* Not root: user = root cannot be; nothing to choose. */
		return;
	}
	snprintf(conf, sizeof(conf), "[app s]\ntype = cgi\nprefix = /s/\n"
	    "root = @CGI_BIN@\nuser = root\n");
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "[app s]: its processes run "
	    "as root, as its user = root says", 1, 5000) == 1,
	    "the choice of root was not logged");
	HARNESS_ASSERT(&f, harness_log_count(&f, "[app /cgi-bin/]: its "
	    "processes run as root, as its --user root says") == 1,
	    "the command line's choice of root was not logged");
	hc_get(&f, "/s/limits.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "/s/limits.sh: %d", r.status);
	hc_response_free(&r);
	/* The reload's text goes around harness_write_conf, which would
	   add the user. */
	snprintf(conf, sizeof(conf), "[app s]\ntype = cgi\nprefix = /s/\n"
	    "root = %s\n", f.cgi);
	harness_write_file(f.conf_path, conf, strlen(conf), 0644);
	HARNESS_ASSERT(&f, kill(f.pid, SIGHUP) == 0, "SIGHUP: %s",
	    strerror(errno));
	HARNESS_ASSERT(&f, harness_wait_log(&f, "[app s]: its processes would "
	    "run as root", 1, 5000) == 1, "the reload did not refuse an "
	    "app without user");
	hc_get(&f, "/s/hello.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200, "after the refused reload: %d",
	    r.status);
	hc_response_free(&r);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
isolation_suite(void)
{
	Suite	*s = suite_create("isolation");
	TCase	*tc = tcase_create("limits");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_limits_applied);
	tcase_add_test(tc, test_limit_cpu);
	tcase_add_test(tc, test_limit_file_size);
	suite_add_tcase(s, tc);
	tc = tcase_create("filter");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_filter_denies);
	tcase_add_test(tc, test_filter_serves);
	tcase_add_test(tc, test_filter_reload);
	tcase_add_test(tc, test_filter_logged);
	tcase_add_test(tc, test_filter_flood);
	tcase_add_test(tc, test_filter_fds_flat);
	tcase_add_test(tc, test_filter_throttle);
	tcase_add_test(tc, test_filter_nofile);
	tcase_add_test(tc, test_filter_callers);
	tcase_add_test(tc, test_filter_spawner);
	suite_add_tcase(s, tc);
	tc = tcase_create("root");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_root_refused);
	tcase_add_test(tc, test_root_by_choice);
	tcase_add_test(tc, test_limit_above_hard);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(isolation_suite(), "ferry-isolation");
}
