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
 * changes it starts the workers anew.  And root only by choice (part 2):
 * as root, an app that names no user is refused.
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

/* The default filter answers EPERM to ptrace, unshare and mount, and
   lets getpid through; without syscall_filter the same calls get the
   kernel's own answers (no such process; unshare(0) succeeds). */
START_TEST(test_filter_denies)
{
	static const char *const denied[] = { "ptrace", "unshare", "mount" };
	struct ferryd		 f;
	struct hc_response	 r;
	size_t			 i;
	int			 e;

	is_filter_start(&f);
	hc_get(&f, "/sf/sysprobe", &r);
	HARNESS_ASSERT(&f, r.status == 200, "filtered sysprobe: %d",
	    r.status);
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		e = is_probe(r.body, denied[i]);
		HARNESS_ASSERT(&f, e == EPERM, "filtered %s: errno %d, not "
		    "EPERM:\n%s", denied[i], e, r.body);
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
		HARNESS_ASSERT(&f, is_probe(r.body, "mount") == ENOENT,
		    "unfiltered mount as root:\n%s", r.body);
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
