/*
 * Hostile scripts (issue 17's acceptance): tests/cgi-progs/hostile, a real
 * program, runs each attack as a CGI script and, where the attack applies
 * to a long-lived process, as a FastCGI worker, in apps sandboxed with
 * every isolation setting (HS_SANDBOX).  For each attack: it is contained
 * (the attempt fails, or the process is stopped), the cause is reported
 * (in the answer the program gives, or in the error log when ferryd
 * stopped it), and a well-behaved client of another app is served
 * meanwhile, every request answered (p99 measured and printed).  After
 * each test nothing the attack started is left running.
 *
 * Runs as root (the sandbox needs it, as CI does): not root, each test
 * checks that ferryd refuses the sandbox at start instead.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/integration/harness.h"

/* Every isolation setting.  The programs sit in a directory under /dev/shm
   (private_tmp hides /tmp).  memory_max lies under limit_memory so that a
   process that touches too much memory meets the cgroup's OOM killer. */
#define HS_SANDBOX							\
	"user = nobody\n"						\
	"limit_cpu = 2\n"						\
	"limit_memory = 1G\n"						\
	"limit_files = 64\n"						\
	"limit_core = 0\n"						\
	"syscall_filter = default\n"					\
	"private_network = yes\n"					\
	"private_pids = yes\n"						\
	"private_ipc = yes\n"						\
	"private_uts = yes\n"						\
	"read_only = yes\n"						\
	"private_tmp = yes\n"						\
	"hide_paths = /root /home\n"					\
	"pids_max = 64\n"						\
	"memory_max = 256M\n"						\
	"request_timeout = 20\n"

#define HS_ATTACK_MS	30000	/* the longest an attack may take */

struct hs {
	struct ferryd	 f;
	char		*dir;		/* the programs' directory */
	char		 prog[600];	/* the hostile program in it */
};

static void
hs_start(struct hs *h)
{
	char	 src[600], conf[4096], *prog;

	memset(h, 0, sizeof(*h));
	(void)unlink("/tmp/ferry-hostile");	/* see hs_cases */
	h->dir = harness_shm_dir("hostile");
	snprintf(src, sizeof(src), "%s/../cgi-progs/hostile",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	prog = harness_shm_copy(h->dir, src);
	snprintf(h->prog, sizeof(h->prog), "%s", prog);
	free(prog);
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app h]\ntype = cgi\nprefix = /h/\nroot = %s\n" HS_SANDBOX
	    "[app hf]\ntype = fastcgi\nprefix = /hf\ncommand = %s\n"
	    "workers = 1\n" HS_SANDBOX
	    "[app ok]\ntype = cgi\nprefix = /ok/\nroot = @CGI_BIN@\n",
	    h->dir, h->prog);
	harness_start(&h->f, conf, NULL);
}

static int
hs_cmp(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * GET target (an attack) and, while it runs, GETs of another app's script
 * one after another, each of which must be answered 200.  Returns the
 * attack's response in *r (status 0 when it was no complete response) and
 * prints the other client's count and latencies.
 */
static void
hs_attack(struct hs *h, const char *target, struct hc_response *r)
{
	static long long	 lat[20000];
	struct hc		 c;
	struct hc_response	 ok;
	struct pollfd		 p;
	long long		 t0, deadline = harness_now_ms() + HS_ATTACK_MS;
	size_t			 n = 0;

	hc_open(&c, &h->f);
	c.timeout_ms = HS_ATTACK_MS;
	hc_send_get(&c, target);
	for (;;) {
		p.fd = c.fd;
		p.events = POLLIN;
		if (poll(&p, 1, 0) == 1)
			break;
		HARNESS_ASSERT(&h->f, harness_now_ms() < deadline, "%s: no "
		    "answer within %d ms", target, HS_ATTACK_MS);
		t0 = harness_now_ms();
		hc_get(&h->f, "/ok/hello.sh", &ok);
		HARNESS_ASSERT(&h->f, ok.status == 200 &&
		    strcmp(ok.body, "hello\n") == 0, "during %s another app's "
		    "client got %d", target, ok.status);
		hc_response_free(&ok);
		if (n < sizeof(lat) / sizeof(lat[0]))
			lat[n++] = harness_now_ms() - t0;
	}
	if (hc_read_response(&c, r, 0) == -1)
		r->status = 0;
	hc_close(&c);
	if (n > 0) {
		qsort(lat, n, sizeof(lat[0]), hs_cmp);
		fprintf(stderr, "hostile %s: another app served %zu requests "
		    "meanwhile, p50 %lld ms, p99 %lld ms, max %lld ms\n",
		    target, n, lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
	} else
		fprintf(stderr, "hostile %s: answered before another app's "
		    "first request\n", target);
}

/* The body of a complete 200 to an attack, for its checks. */
static const char *
hs_body(struct hs *h, const char *target, const struct hc_response *r)
{
	HARNESS_ASSERT(&h->f, r->status == 200 && r->body != NULL, "%s: "
	    "status %d, body %s", target, r->status,
	    r->body != NULL ? r->body : "(none)");
	return r->body;
}

/* Processes whose command line holds needle (our own excepted): their
   count. */
static int
hs_running(const char *needle)
{
	char		 path[300], *cmd;
	struct dirent	*de;
	size_t		 len, i;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    atoi(de->d_name) == (int)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((cmd = harness_read_file(path, &len)) == NULL)
			continue;
		for (i = 0; i < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		if (len > 0 && strstr(cmd, needle) != NULL)
			n++;
		free(cmd);
	}
	closedir(d);
	return n;
}

/* Waits up to 5 s for every process of needle to be gone. */
static void
hs_gone(struct hs *h, const char *needle, const char *what)
{
	int	i, n = 0;

	for (i = 0; i < 100 && (n = hs_running(needle)) != 0; i++)
		harness_sleep_ms(50);
	HARNESS_ASSERT(&h->f, n == 0, "%s: %d processes of %s still run",
	    what, n, needle);
}

static void
hs_stop(struct hs *h)
{
	harness_stop_ok(&h->f);
	hs_gone(h, h->prog, "after ferryd stopped");
	harness_rmtree(h->dir);
	free(h->dir);
}

/* Not root: ferryd refuses the sandbox at start, naming a setting. */
static int
hs_not_root(void)
{
	const char	*argv[] = { "/bin/sh", "-c", "printf '[app h]\\ntype = "
	    "cgi\\nprefix = /h/\\nroot = /\\nprivate_network = yes\\n' > "
	    "\"$1/f.conf\" && exec \"$0\" -t -c \"$1/f.conf\" 2>&1", NULL,
	    NULL, NULL };
	char		*dir, *out = NULL;
	int		 rc;

	if (geteuid() == 0)
		return 0;
	argv[3] = harness_env_path("FERRYD");
	argv[4] = dir = harness_tmpdir("hostile", 0);
	rc = harness_run(argv, &out, 10000);
	HARNESS_ASSERT(NULL, rc != 0 && out != NULL && strstr(out,
	    "private_network") != NULL, "not root: -t exit %d, output %s",
	    rc, out != NULL ? out : "(none)");
	free(out);
	harness_rmtree(dir);
	free(dir);
	return 1;
}

/* A fork bomb: forks refused past pids_max, reported; every child gone
   once the script is. */
START_TEST(test_forkbomb)
{
	static const char *const targets[] = { "/h/hostile?forkbomb",
	    "/hf?forkbomb" };
	struct hs		 h;
	struct hc_response	 r;
	const char		*b;
	size_t			 i;

	if (hs_not_root())
		return;
	hs_start(&h);
	for (i = 0; i < 2; i++) {
		hs_attack(&h, targets[i], &r);
		b = hs_body(&h, targets[i], &r);
		HARNESS_ASSERT(&h.f, strstr(b, "then Resource temporarily "
		    "unavailable") != NULL && atoi(b + 10) < 64, "%s: %s",
		    targets[i], b);
		hc_response_free(&r);
		HARNESS_ASSERT(&h.f, harness_wait_log(&h.f, "pids_max", (int)i +
		    1, 5000) >= (int)i + 1, "%s: the refused forks were not "
		    "logged", targets[i]);
	}
	/* The CGI's children die with it; the worker's once it is
	   stopped. */
	hs_stop(&h);
}
END_TEST

/*
 * The attacks ferryd's limits stop: 4 GiB (memory_max's OOM killer) and a
 * busy loop (limit_cpu).  Each gets 502 and its cause logged, as CGI and
 * as FastCGI, whose worker is replaced and serves again.
 */
static const struct {
	const char	*query;
	const char	*log;		/* the cause in the error log */
} hs_stopped[] = {
	{ "alloc", "memory_max: killed by the OOM killer" },
	{ "spin", "limit_cpu: its CPU time ran out" },
};

START_TEST(test_stopped)
{
	static const char *const path[] = { "/h/hostile", "/hf" };
	struct hs		 h;
	struct hc_response	 r;
	char			 target[64];
	int			 i;

	if (hs_not_root())
		return;
	hs_start(&h);
	for (i = 0; i < 2; i++) {
		snprintf(target, sizeof(target), "%s?%s", path[i],
		    hs_stopped[_i].query);
		hs_attack(&h, target, &r);
		HARNESS_ASSERT(&h.f, r.status == 502, "%s: status %d, body %s",
		    target, r.status, r.body != NULL ? r.body : "");
		hc_response_free(&r);
		HARNESS_ASSERT(&h.f, harness_wait_log(&h.f, hs_stopped[_i].log,
		    i + 1, 5000) >= i + 1, "%s: \"%s\" was not logged",
		    target, hs_stopped[_i].log);
	}
	hs_attack(&h, "/hf?ok", &r);
	(void)hs_body(&h, "/hf?ok after the worker was stopped", &r);
	hc_response_free(&r);
	hs_stop(&h);
}
END_TEST

/*
 * The attacks that fail inside the program, each answered with what it
 * got: a connection out (to ferryd's own port and off the host), a
 * secret, a write outside the writable paths, ptrace, mount, every fd.
 */
struct hs_case {
	const char	*query;		/* QUERY_STRING; one that ends in '='
					   takes ferryd's port */
	const char	*want;		/* in the answer */
	const char	*log;		/* in the error log, or NULL */
	int		 fcgi;		/* the worker too */
};

static const struct hs_case hs_cases[] = {
	{ "connect=", "Connection refused; 192.0.2.1:80 Network is "
	  "unreachable", NULL, 1 },
	{ "shadow", "shadow: Permission denied", NULL, 1 },
	{ "write=/usr/ferry-hostile", "write: Read-only file system", NULL,
	  1 },
	{ "write=/tmp/ferry-hostile", "write: ok", NULL, 1 },
	{ "ptrace", "ptrace: Operation not permitted", "ptrace", 1 },
	{ "mount", "mount: Operation not permitted", "mount", 1 },
	{ "files", "then Too many open files", NULL, 0 },
};

START_TEST(test_denied)
{
	const struct hs_case	*tc = &hs_cases[_i];
	struct hs		 h;
	struct hc_response	 r;
	char			 q[64], target[128];
	int			 i, logged;

	if (hs_not_root())
		return;
	hs_start(&h);
	if (tc->query[strlen(tc->query) - 1] == '=')
		snprintf(q, sizeof(q), "%s%d", tc->query, h.f.port);
	else
		snprintf(q, sizeof(q), "%s", tc->query);
	for (i = 0; i < 1 + tc->fcgi; i++) {
		snprintf(target, sizeof(target), "%s%s", i == 0 ?
		    "/h/hostile?" : "/hf?", q);
		hs_attack(&h, target, &r);
		HARNESS_ASSERT(&h.f, strstr(hs_body(&h, target, &r),
		    tc->want) != NULL, "%s: %s, want %s", target, r.body,
		    tc->want);
		hc_response_free(&r);
		if (tc->log != NULL) {
			logged = harness_wait_log(&h.f, tc->log, i + 1, 5000);
			HARNESS_ASSERT(&h.f, logged >= i + 1 &&
			    harness_log_count(&h.f, "seccomp") >= i + 1,
			    "%s: the denied %s was not logged", target,
			    tc->log);
		}
	}
	/* The private /tmp was the app's: nothing reached the host's. */
	HARNESS_ASSERT(&h.f, access("/tmp/ferry-hostile", F_OK) == -1,
	    "a script's /tmp write reached the host's /tmp");
	hs_stop(&h);
}
END_TEST

/* kill -9 to ferryd's pid and to every pid in sight: ferryd lives, the
   other app serves (the pid namespace shows the script only itself). */
START_TEST(test_kill)
{
	static const char *const path[] = { "/h/hostile", "/hf" };
	struct hs		 h;
	struct hc_response	 r;
	char			 target[64];
	size_t			 i;

	if (hs_not_root())
		return;
	hs_start(&h);
	for (i = 0; i < 2; i++) {
		snprintf(target, sizeof(target), "%s?kill=%d", path[i],
		    (int)h.f.pid);
		hs_attack(&h, target, &r);
		HARNESS_ASSERT(&h.f, strstr(hs_body(&h, target, &r),
		    "kill: ferryd No such process; all: No such process") !=
		    NULL, "%s: %s", target, r.body);
		hc_response_free(&r);
		HARNESS_ASSERT(&h.f, kill(h.f.pid, 0) == 0, "ferryd is gone");
	}
	hs_stop(&h);
}
END_TEST

/* setsid and a daemon that would outlive the request: gone with it. */
START_TEST(test_daemon)
{
	struct hs		 h;
	struct hc_response	 r;
	char			 tag[64], target[128];

	if (hs_not_root())
		return;
	hs_start(&h);
	snprintf(tag, sizeof(tag), "ferry-hostile-daemon-%d", (int)getpid());
	snprintf(target, sizeof(target), "/h/hostile?daemon=%s", tag);
	hs_attack(&h, target, &r);
	HARNESS_ASSERT(&h.f, strstr(hs_body(&h, target, &r),
	    "daemon: started") != NULL, "%s: %s", target, r.body);
	hc_response_free(&r);
	hs_gone(&h, tag, "the daemon of a finished request");
	hs_stop(&h);
}
END_TEST

static Suite *
hostile_suite(void)
{
	Suite	*s = suite_create("hostile");
	TCase	*tc = tcase_create("contained");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_forkbomb);
	tcase_add_loop_test(tc, test_stopped, 0,
	    (int)(sizeof(hs_stopped) / sizeof(hs_stopped[0])));
	tcase_add_loop_test(tc, test_denied, 0,
	    (int)(sizeof(hs_cases) / sizeof(hs_cases[0])));
	tcase_add_test(tc, test_kill);
	tcase_add_test(tc, test_daemon);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(hostile_suite(), "ferry-hostile");
}
