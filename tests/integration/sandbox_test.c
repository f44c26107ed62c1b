/*
 * Namespaces and filesystem of an app's processes (issue 17, parts 3 and
 * 4; server/sandbox.c): private_network, private_ipc, private_uts,
 * read_only with writable, private_tmp, hide_paths, chroot and
 * private_pids, each seen from inside a CGI program
 * (tests/cgi-progs/nsprobe) and, where it applies, a FastCGI worker
 * (the responder, its namespaces read from /proc/PID/ns), beside the same
 * program in an app without the setting; a reload that turns a setting
 * on; the refusal when ferryd is not root; no mount of the sandboxes
 * reaching the host, no fd of them reaching a script.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

/* The copies under /dev/shm of this test process (sb_progs). */
static char	*sb_dir;

static void
sb_dir_remove(void)
{
	harness_rmtree(sb_dir);
}

/* A directory with copies of nsprobe (tests/cgi-progs) and the responder
   (tests/fcgi-apps), made once per test process under /dev/shm: the
   build tree may lie under /tmp, which private_tmp hides. */
static const char *
sb_progs(void)
{
	char	src[600], *p;

	if (sb_dir != NULL)
		return sb_dir;
	sb_dir = harness_shm_dir("sandbox");
	atexit(sb_dir_remove);
	snprintf(src, sizeof(src), "%s/../cgi-progs/nsprobe",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	free(harness_shm_copy(sb_dir, src));
	snprintf(src, sizeof(src), "%s/responder",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	p = harness_shm_copy(sb_dir, src);
	free(p);
	return sb_dir;
}

/*
 * Starts ferryd with nsprobe's directory as CGI app "sb" at /sb/ with the
 * settings set, the same directory as app "plain" at /plain/ without
 * them, and, when fcgi_set is not NULL, the responder as FastCGI app "f"
 * at /f with fcgi_set.
 */
static void
sb_start(struct ferryd *f, const char *set, const char *fcgi_set)
{
	char	conf[4096], fcgi[1024] = "";

	if (fcgi_set != NULL)
		snprintf(fcgi, sizeof(fcgi), "[app f]\ntype = fastcgi\n"
		    "prefix = /f\ncommand = %s/responder\nworkers = 1\n"
		    "user = root\n%s", sb_progs(), fcgi_set);
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app sb]\ntype = cgi\nprefix = /sb/\nroot = %s\nuser = root\n%s"
	    "[app plain]\ntype = cgi\nprefix = /plain/\nroot = %s\n"
	    "user = root\n%s", sb_progs(), set, sb_progs(), fcgi);
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* GETs /APP/nsprobe?QUERY: 200, the body returned (the caller frees). */
static char *
sb_probe(const struct ferryd *f, const char *app, const char *query)
{
	struct hc_response	 r;
	char			 target[1024], *body;

	snprintf(target, sizeof(target), "/%s/nsprobe?%s", app, query);
	hc_get(f, target, &r);
	HARNESS_ASSERT(f, r.status == 200, "%s: %d", target, r.status);
	body = strdup(r.body);
	hc_response_free(&r);
	return body;
}

/* The text after "NAME " on its line of body, up to the line's end, in
   buf; "" without the line. */
static const char *
sb_field(const char *body, const char *name, char *buf, size_t len)
{
	char		 key[128];
	const char	*l;
	size_t		 n;

	snprintf(key, sizeof(key), "%s ", name);
	buf[0] = '\0';
	for (l = body; l != NULL && *l != '\0'; l = strchr(l, '\n'),
	    l = l != NULL ? l + 1 : NULL)
		if (strncmp(l, key, strlen(key)) == 0) {
			l += strlen(key);
			n = strcspn(l, "\n");
			if (n >= len)
				n = len - 1;
			memcpy(buf, l, n);
			buf[n] = '\0';
			break;
		}
	return buf;
}

/* The number after "NAME " in body; -1 without the line. */
static int
sb_num(const char *body, const char *name)
{
	char	buf[256];

	sb_field(body, name, buf, sizeof(buf));
	return buf[0] != '\0' ? atoi(buf) : -1;
}

/* The link of /proc/PID/ns/NAME ("self" for the test) in buf. */
static const char *
sb_ns(const char *pid, const char *name, char *buf, size_t len)
{
	char	path[128];
	ssize_t	n;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, name);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The FastCGI worker's pid (X-Pid of /f?pid), as a string in buf. */
static const char *
sb_worker_pid(const struct ferryd *f, char *buf, size_t len)
{
	struct hc_response	 r;
	const char		*v;

	hc_get(f, "/f?pid", &r);
	HARNESS_ASSERT(f, r.status == 200 && (v = hc_header(&r, "X-Pid")) !=
	    NULL, "/f?pid: %d", r.status);
	snprintf(buf, len, "%s", v);
	hc_response_free(&r);
	return buf;
}

/* That the CGI probe's namespace name differs from the test's (differ)
   or is the test's. */
static void
sb_expect_ns(const struct ferryd *f, const char *app, const char *name,
    int differ)
{
	char	 q[64], key[64], mine[128], theirs[256], *body;

	snprintf(q, sizeof(q), "ns=%s", name);
	snprintf(key, sizeof(key), "ns %s", name);
	body = sb_probe(f, app, q);
	sb_field(body, key, theirs, sizeof(theirs));
	sb_ns("self", name, mine, sizeof(mine));
	HARNESS_ASSERT(f, theirs[0] != '\0' && (strcmp(mine, theirs) != 0) ==
	    differ, "/%s: %s namespace %s, the test's %s", app, name, theirs,
	    mine);
	free(body);
}

/* private_network: only a loopback, which is up; neither ferryd's port
   nor an outside address can be reached.  Without it both can be tried
   (ferryd's port answers; the outside connect is under way). */
START_TEST(test_network)
{
	struct ferryd	 f;
	char		 q[128], key[64], pid[32], mine[128], theirs[128],
			*body;

	sb_start(&f, "private_network = yes\n", "private_network = yes\n");
	snprintf(q, sizeof(q), "connect=%d&outside&lo", f.port);
	snprintf(key, sizeof(key), "connect %d", f.port);
	body = sb_probe(&f, "sb", q);
	HARNESS_ASSERT(&f, sb_num(body, key) == ECONNREFUSED &&
	    sb_num(body, "outside") == ENETUNREACH &&
	    strstr(body, "lo up") != NULL, "private network:\n%s", body);
	free(body);
	body = sb_probe(&f, "plain", q);
	HARNESS_ASSERT(&f, sb_num(body, key) == 0 &&
	    sb_num(body, "outside") != ENETUNREACH, "host network:\n%s", body);
	free(body);
	sb_expect_ns(&f, "sb", "net", 1);
	sb_expect_ns(&f, "plain", "net", 0);
	/* The FastCGI worker too, and every request of the app shares one
	   namespace with it. */
	sb_worker_pid(&f, pid, sizeof(pid));
	sb_ns(pid, "net", theirs, sizeof(theirs));
	HARNESS_ASSERT(&f, strcmp(theirs, sb_ns("self", "net", mine,
	    sizeof(mine))) != 0, "the worker's network is the host's");
	harness_stop_ok(&f);
}
END_TEST

/* private_ipc and private_uts: namespaces of their own, the hostname the
   app's name; the plain app has the host's. */
START_TEST(test_ipc_uts)
{
	struct ferryd	 f;
	char		 host[256], name[256], pid[32], mine[128], theirs[128],
			*body;

	sb_start(&f, "private_ipc = yes\nprivate_uts = yes\n",
	    "private_ipc = yes\nprivate_uts = yes\n");
	body = sb_probe(&f, "sb", "host");
	HARNESS_ASSERT(&f, strcmp(sb_field(body, "host", name, sizeof(name)),
	    "sb") == 0, "private uts:\n%s", body);
	free(body);
	gethostname(host, sizeof(host));
	body = sb_probe(&f, "plain", "host");
	HARNESS_ASSERT(&f, strcmp(sb_field(body, "host", name, sizeof(name)),
	    host) == 0, "host uts:\n%s", body);
	free(body);
	sb_expect_ns(&f, "sb", "ipc", 1);
	sb_expect_ns(&f, "sb", "uts", 1);
	sb_expect_ns(&f, "plain", "ipc", 0);
	sb_expect_ns(&f, "plain", "uts", 0);
	sb_worker_pid(&f, pid, sizeof(pid));
	HARNESS_ASSERT(&f, strcmp(sb_ns(pid, "ipc", theirs, sizeof(theirs)),
	    sb_ns("self", "ipc", mine, sizeof(mine))) != 0 &&
	    strcmp(sb_ns(pid, "uts", theirs, sizeof(theirs)),
	    sb_ns("self", "uts", mine, sizeof(mine))) != 0,
	    "the worker's ipc or uts is the host's");
	harness_stop_ok(&f);
}
END_TEST

/* read_only: a write outside writable fails with EROFS, one inside
   works; the plain app writes both. */
START_TEST(test_read_only)
{
	struct ferryd	 f;
	char		*dir, set[1024], q[1024], key[600], pid[32], mine[128],
			 theirs[128], *body;

	dir = harness_tmpdir("sb-ro", 0);
	snprintf(q, sizeof(q), "%s/w", dir);
	HARNESS_ASSERT(NULL, mkdir(q, 0755) == 0, "%s: %s", q,
	    strerror(errno));
	snprintf(set, sizeof(set), "read_only = yes\nwritable = %s/w\n", dir);
	sb_start(&f, set, set);
	snprintf(q, sizeof(q), "write=%s/w/in&write=%s/out", dir, dir);
	body = sb_probe(&f, "sb", q);
	snprintf(key, sizeof(key), "write %s/w/in", dir);
	HARNESS_ASSERT(&f, sb_num(body, key) == 0, "writable:\n%s", body);
	snprintf(key, sizeof(key), "write %s/out", dir);
	HARNESS_ASSERT(&f, sb_num(body, key) == EROFS, "read-only:\n%s",
	    body);
	free(body);
	body = sb_probe(&f, "plain", q);
	HARNESS_ASSERT(&f, sb_num(body, key) == 0, "plain app:\n%s", body);
	free(body);
	sb_expect_ns(&f, "sb", "mnt", 1);
	sb_expect_ns(&f, "plain", "mnt", 0);
	/* The FastCGI worker too. */
	sb_worker_pid(&f, pid, sizeof(pid));
	HARNESS_ASSERT(&f, strcmp(sb_ns(pid, "mnt", theirs, sizeof(theirs)),
	    sb_ns("self", "mnt", mine, sizeof(mine))) != 0,
	    "the worker's mounts are the host's");
	harness_stop_ok(&f);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* private_tmp: /tmp starts empty, is shared by the app's requests and
   is not the host's. */
START_TEST(test_private_tmp)
{
	struct ferryd	 f;
	char		 q[256], name[64], key[128], *body;
	struct stat	 st;

	snprintf(name, sizeof(name), "ferry-sb-%ld", (long)getpid());
	sb_start(&f, "private_tmp = yes\n", NULL);
	body = sb_probe(&f, "sb", "ls=/tmp&ls=/var/tmp");
	HARNESS_ASSERT(&f, strstr(body, "ls /tmp 0 0\n") != NULL &&
	    strstr(body, "ls /var/tmp 0 0\n") != NULL, "not empty:\n%s", body);
	free(body);
	snprintf(q, sizeof(q), "write=/tmp/%s", name);
	body = sb_probe(&f, "sb", q);
	snprintf(key, sizeof(key), "write /tmp/%s", name);
	HARNESS_ASSERT(&f, sb_num(body, key) == 0, "private /tmp:\n%s", body);
	free(body);
	body = sb_probe(&f, "sb", "ls=/tmp");
	snprintf(key, sizeof(key), "ls /tmp 0 1 %s\n", name);
	HARNESS_ASSERT(&f, strstr(body, key) != NULL, "the next request:\n%s",
	    body);
	free(body);
	snprintf(q, sizeof(q), "/tmp/%s", name);
	HARNESS_ASSERT(&f, stat(q, &st) == -1 && errno == ENOENT, "%s is on "
	    "the host", q);
	body = sb_probe(&f, "plain", "ls=/tmp");
	HARNESS_ASSERT(&f, sb_num(body, "ls /tmp 0") > 0, "the host's /tmp:"
	    "\n%s", body);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

/* hide_paths: a hidden file cannot be read, a hidden directory shows
   nothing and takes no file; the plain app sees both. */
START_TEST(test_hide_paths)
{
	struct ferryd	 f;
	char		*dir, set[1024], q[1024], key[600], path[600], *body;

	dir = harness_tmpdir("sb-hide", 0);
	snprintf(path, sizeof(path), "%s/secret", dir);
	harness_write_file(path, "secret\n", 7, 0644);
	snprintf(path, sizeof(path), "%s/d", dir);
	HARNESS_ASSERT(NULL, mkdir(path, 0755) == 0, "%s", path);
	snprintf(path, sizeof(path), "%s/d/f", dir);
	harness_write_file(path, "x", 1, 0644);
	snprintf(set, sizeof(set), "hide_paths = %s/secret\n"
	    "hide_paths = %s/d\n", dir, dir);
	sb_start(&f, set, NULL);
	snprintf(q, sizeof(q), "read=%s/secret&ls=%s/d&write=%s/d/g", dir, dir,
	    dir);
	body = sb_probe(&f, "sb", q);
	snprintf(key, sizeof(key), "read %s/secret", dir);
	HARNESS_ASSERT(&f, sb_num(body, key) != 0, "hidden file:\n%s", body);
	snprintf(key, sizeof(key), "ls %s/d 0 0\n", dir);
	HARNESS_ASSERT(&f, strstr(body, key) != NULL, "hidden dir:\n%s", body);
	snprintf(key, sizeof(key), "write %s/d/g", dir);
	HARNESS_ASSERT(&f, sb_num(body, key) == EROFS, "hidden dir:\n%s",
	    body);
	free(body);
	body = sb_probe(&f, "plain", q);
	snprintf(key, sizeof(key), "read %s/secret 0 7\n", dir);
	HARNESS_ASSERT(&f, strstr(body, key) != NULL, "plain:\n%s", body);
	snprintf(key, sizeof(key), "ls %s/d 0 1 f\n", dir);
	HARNESS_ASSERT(&f, strstr(body, key) != NULL, "plain:\n%s", body);
	free(body);
	harness_stop_ok(&f);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* private_pids: the script is pid 1 and sees only itself in /proc,
   cannot see ferryd's pid; the worker is pid 1 too.  The plain app sees
   every process. */
START_TEST(test_pids)
{
	struct ferryd	 f;
	char		 q[128], key[64], pid[32], *body;

	sb_start(&f, "private_pids = yes\n", "private_pids = yes\n");
	snprintf(q, sizeof(q), "pid&pids&kill=%ld", (long)f.pid);
	snprintf(key, sizeof(key), "kill %ld", (long)f.pid);
	body = sb_probe(&f, "sb", q);
	HARNESS_ASSERT(&f, sb_num(body, "pid") == 1 &&
	    strstr(body, "pids 1 1\n") != NULL && sb_num(body, key) == ESRCH,
	    "private pids:\n%s", body);
	free(body);
	body = sb_probe(&f, "plain", q);
	HARNESS_ASSERT(&f, sb_num(body, "pid") > 1 &&
	    sb_num(body, "pids") > 2 && sb_num(body, key) == 0,
	    "host pids:\n%s", body);
	free(body);
	HARNESS_ASSERT(&f, strcmp(sb_worker_pid(&f, pid, sizeof(pid)), "1") ==
	    0, "the worker's pid: %s", pid);
	harness_stop_ok(&f);
}
END_TEST

/* The pid (as the test sees it) of a child of ferryd in a pid
   namespace of its own (a private_pids worker); -1 after 5 s without. */
static pid_t
sb_child_in_own_pids(const struct ferryd *f)
{
	char		 path[128], buf[4096], mine[128], theirs[128], pid[32];
	char		*p, *end;
	long long	 deadline = harness_now_ms() + 5000;
	size_t		 len;
	char		*text;

	sb_ns("self", "pid", mine, sizeof(mine));
	while (harness_now_ms() < deadline) {
		snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
		    (long)f->pid, (long)f->pid);
		text = harness_read_file(path, &len);
		snprintf(buf, sizeof(buf), "%s", text != NULL ? text : "");
		free(text);
		for (p = buf; *p != '\0'; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			snprintf(pid, sizeof(pid), "%ld", v);
			if (strcmp(sb_ns(pid, "pid", theirs, sizeof(theirs)),
			    mine) != 0 && theirs[0] != '\0')
				return (pid_t)v;
		}
		harness_sleep_ms(50);
	}
	return -1;
}

/* A worker that is pid 1 of its namespace ignores a SIGTERM it has no
   handler for (here: one that ignores SIGTERM, as the responder after
   noterm): it still ends when ferryd is killed (its death signal is
   SIGKILL). */
START_TEST(test_pids_worker_outlives_not)
{
	struct ferryd		 f;
	struct hc_response	 r;
	pid_t			 w;
	int			 gone;

	sb_start(&f, "", "private_pids = yes\n");
	hc_get(&f, "/f?noterm", &r);
	HARNESS_ASSERT(&f, r.status == 200, "/f?noterm: %d", r.status);
	hc_response_free(&r);
	w = sb_child_in_own_pids(&f);
	HARNESS_ASSERT(&f, w > 0, "no worker in a pid namespace of its own");
	HARNESS_ASSERT(&f, kill(f.pid, SIGKILL) == 0, "kill: %s",
	    strerror(errno));
	(void)harness_stop_timeout(&f, 5000);
	gone = harness_wait_pid_gone(w, 5000);
	if (!gone)
		kill(w, SIGKILL);	/* nothing left running */
	HARNESS_ASSERT(NULL, gone, "worker %ld outlived its killed ferryd",
	    (long)w);
}
END_TEST

/* The processes in a pid namespace other than the test's. */
static int
sb_pid_ns_count(const char *ns)
{
	char	 cmd[256], *out = NULL;
	int	 n;
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd), "for p in /proc/[0-9]*; do "
	    "[ \"$(readlink $p/ns/pid 2>/dev/null)\" = '%s' ] && echo x; "
	    "done | wc -l", ns);
	harness_run(argv, &out, 10000);
	n = out != NULL ? atoi(out) : -1;
	free(out);
	return n;
}

/* private_pids: a setsid escapee started by a script ends with the
   script (the kernel kills the namespace when its pid 1 exits). */
START_TEST(test_pids_escapee)
{
	struct ferryd		 f;
	struct hc_response	 r;
	char			 ns[128], conf[1024];
	long long		 deadline;
	int			 n;

	snprintf(conf, sizeof(conf), "[app esc]\ntype = cgi\nprefix = /esc/\n"
	    "root = %s\nuser = root\nprivate_pids = yes\n",
	    harness_env_path("FERRY_TEST_CGI_BIN"));
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	hc_get(&f, "/esc/setsid.sh", &r);
	HARNESS_ASSERT(&f, r.status == 200 && sscanf(r.body, "ns %127s",
	    ns) == 1, "setsid.sh: %d %s", r.status, r.body);
	hc_response_free(&r);
	deadline = harness_now_ms() + 5000;
	while ((n = sb_pid_ns_count(ns)) != 0 && harness_now_ms() < deadline)
		harness_sleep_ms(50);
	HARNESS_ASSERT(&f, n == 0, "%d processes of %s left", n, ns);
	harness_stop_ok(&f);
}
END_TEST

/* Copies the program src to dir/sub/name (sub made, mode 0755): a
   chroot's own copy. */
static void
sb_copy_prog(const char *src, const char *dir, const char *sub,
    const char *name)
{
	char	 path[700], *data;
	size_t	 len = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	HARNESS_ASSERT(NULL, mkdir(path, 0755) == 0, "%s", path);
	data = harness_read_file(src, &len);
	HARNESS_ASSERT(NULL, data != NULL, "%s", src);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	harness_write_file(path, data, len, 0755);
	free(data);
}

/* chroot: the program sees only the directory (and, with private_pids,
   its own /proc in it); paths in it are seen from inside. */
START_TEST(test_chroot)
{
	struct ferryd	 f;
	char		*dir, path[600], src[700], conf[2048], *body;

	dir = harness_tmpdir("sb-root", 0);
	snprintf(path, sizeof(path), "%s/proc", dir);
	HARNESS_ASSERT(NULL, mkdir(path, 0755) == 0, "%s", path);
	snprintf(src, sizeof(src), "%s/nsprobe", sb_progs());
	sb_copy_prog(src, dir, "cgi", "nsprobe");
	snprintf(conf, sizeof(conf), "[app sb]\ntype = cgi\nprefix = /sb/\n"
	    "root = %s/cgi\nuser = root\nchroot = %s\nprivate_pids = yes\n",
	    dir, dir);
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	body = sb_probe(&f, "sb", "ls=/&read=/etc/passwd&pids");
	HARNESS_ASSERT(&f, strstr(body, "ls / 0 2 ") != NULL &&
	    strstr(body, " cgi") != NULL && strstr(body, " proc") != NULL &&
	    sb_num(body, "read /etc/passwd") == ENOENT &&
	    strstr(body, "pids 1 1\n") != NULL, "chroot:\n%s", body);
	free(body);
	harness_stop_ok(&f);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* chroot for a FastCGI app: its (static) worker runs with the directory
   as its root and serves. */
START_TEST(test_chroot_fastcgi)
{
	struct ferryd	 f;
	char		*dir, path[600], src[700], conf[2048], pid[32],
			 root[600];
	ssize_t		 n;

	dir = harness_tmpdir("sb-froot", 0);
	snprintf(src, sizeof(src), "%s/responder-static",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	sb_copy_prog(src, dir, "bin", "responder");
	snprintf(conf, sizeof(conf), "[app f]\ntype = fastcgi\nprefix = /f\n"
	    "command = %s/bin/responder\nworkers = 1\nuser = root\n"
	    "chroot = %s\n", dir, dir);
	memset(&f, 0, sizeof(f));
	harness_start(&f, conf, NULL);
	sb_worker_pid(&f, pid, sizeof(pid));
	snprintf(path, sizeof(path), "/proc/%s/root", pid);
	n = readlink(path, root, sizeof(root) - 1);
	root[n > 0 ? n : 0] = '\0';
	HARNESS_ASSERT(&f, strcmp(root, dir) == 0, "the worker's root is %s, "
	    "not %s", root, dir);
	harness_stop_ok(&f);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* Every setting but chroot at once: the fds a script has are those of a
   plain app's (no namespace fd reaches it); no mount reaches the host;
   the plain app's answers are the host's. */
START_TEST(test_all_no_leaks)
{
	struct ferryd	 f;
	char		*before, *after, *body, *plain, *dir, set[1024],
			 pid[32];
	size_t		 len;

	dir = harness_tmpdir("sb-all", 0);
	before = harness_read_file("/proc/self/mountinfo", &len);
	snprintf(set, sizeof(set), "private_network = yes\nprivate_ipc = yes\n"
	    "private_uts = yes\nprivate_pids = yes\nread_only = yes\n"
	    "writable = %s\nprivate_tmp = yes\nhide_paths = /root\n", dir);
	sb_start(&f, set, set);
	body = sb_probe(&f, "sb", "ls=/proc/self/fd&pid&host");
	plain = sb_probe(&f, "plain", "ls=/proc/self/fd");
	HARNESS_ASSERT(&f, sb_num(body, "ls /proc/self/fd 0") ==
	    sb_num(plain, "ls /proc/self/fd 0") && sb_num(body, "pid") == 1,
	    "sandboxed:\n%s\nplain:\n%s", body, plain);
	free(body);
	free(plain);
	HARNESS_ASSERT(&f, strcmp(sb_worker_pid(&f, pid, sizeof(pid)), "1") ==
	    0, "the worker under every setting: pid %s", pid);
	harness_stop_ok(&f);
	after = harness_read_file("/proc/self/mountinfo", &len);
	HARNESS_ASSERT(NULL, before != NULL && after != NULL &&
	    strcmp(before, after) == 0, "the host's mounts changed:\n%s\n"
	    "now:\n%s", before, after);
	free(before);
	free(after);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* A reload that turns private_network on: the CGI app's next request and
   the FastCGI app's new worker run in a network namespace of their own. */
START_TEST(test_reload_on)
{
	struct ferryd	 f;
	char		 conf[2048], pid[32], mine[128], theirs[128];
	long long	 deadline;
	int		 on = 0;

	sb_start(&f, "", "");
	sb_expect_ns(&f, "sb", "net", 0);
	sb_worker_pid(&f, pid, sizeof(pid));
	HARNESS_ASSERT(&f, strcmp(sb_ns(pid, "net", theirs, sizeof(theirs)),
	    sb_ns("self", "net", mine, sizeof(mine))) == 0, "before");
	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app sb]\ntype = cgi\nprefix = /sb/\nroot = %s\nuser = root\n"
	    "private_network = yes\n"
	    "[app plain]\ntype = cgi\nprefix = /plain/\nroot = %s\n"
	    "user = root\n"
	    "[app f]\ntype = fastcgi\nprefix = /f\ncommand = %s/responder\n"
	    "workers = 1\nuser = root\nprivate_network = yes\n", sb_progs(),
	    sb_progs(), sb_progs());
	harness_write_conf(&f, conf);
	HARNESS_ASSERT(&f, kill(f.pid, SIGHUP) == 0, "SIGHUP: %s",
	    strerror(errno));
	deadline = harness_now_ms() + 10000;
	while (!on && harness_now_ms() < deadline) {
		sb_worker_pid(&f, pid, sizeof(pid));
		on = strcmp(sb_ns(pid, "net", theirs, sizeof(theirs)),
		    mine) != 0;
		if (!on)
			harness_sleep_ms(100);
	}
	HARNESS_ASSERT(&f, on, "the worker still has the host's network 10 s "
	    "after the reload");
	sb_expect_ns(&f, "sb", "net", 1);
	harness_stop_ok(&f);
}
END_TEST

/* The configuration of sb_start's apps with set for both the CGI and the
   FastCGI app, for a reload. */
static void
sb_write_conf(const struct ferryd *f, const char *set)
{
	char	conf[4096];

	snprintf(conf, sizeof(conf), "[server]\nkill_grace = 0.5\n"
	    "[app sb]\ntype = cgi\nprefix = /sb/\nroot = %s\nuser = root\n%s"
	    "[app plain]\ntype = cgi\nprefix = /plain/\nroot = %s\n"
	    "user = root\n"
	    "[app f]\ntype = fastcgi\nprefix = /f\ncommand = %s/responder\n"
	    "workers = 1\nuser = root\n%s", sb_progs(), set, sb_progs(),
	    sb_progs(), set);
	harness_write_conf(f, conf);
	HARNESS_ASSERT(f, kill(f->pid, SIGHUP) == 0, "SIGHUP: %s",
	    strerror(errno));
}

/* Reloads that change the sandboxes and change them back leave ferryd
   with the fds it had: the replaced sandboxes' namespace fds are closed
   (the CGI app's at the commit, the FastCGI app's with its old state). */
START_TEST(test_reload_fds)
{
	static const char on[] = "private_network = yes\nprivate_ipc = yes\n"
	    "private_uts = yes\nprivate_tmp = yes\n";
	struct ferryd	 f;
	char		 pid0[32], pid[32];
	long long	 deadline;
	int		 n0, n = -1, i;

	sb_start(&f, on, on);
	sb_worker_pid(&f, pid0, sizeof(pid0));
	free(sb_probe(&f, "sb", "host"));
	/* What it holds at rest: a connection it has not seen closed yet
	   goes in a moment. */
	n0 = harness_count_fds(f.pid);
	for (i = 0; i < 20; i++) {
		harness_sleep_ms(50);
		if ((n = harness_count_fds(f.pid)) < n0)
			n0 = n;
	}
	for (i = 0; i < 2; i++) {
		sb_write_conf(&f, i == 0 ? "private_network = yes\n" : on);
		/* the worker of the new configuration serves */
		deadline = harness_now_ms() + 10000;
		do {
			harness_sleep_ms(100);
			sb_worker_pid(&f, pid, sizeof(pid));
		} while (strcmp(pid, pid0) == 0 && harness_now_ms() < deadline);
		HARNESS_ASSERT(&f, strcmp(pid, pid0) != 0, "reload %d: the "
		    "worker was kept", i + 1);
		snprintf(pid0, sizeof(pid0), "%s", pid);
		free(sb_probe(&f, "sb", "host"));
	}
	/* The old worker and app state go within kill_grace. */
	deadline = harness_now_ms() + 5000;
	while ((n = harness_count_fds(f.pid)) > n0 &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(50);
	HARNESS_ASSERT(&f, n <= n0, "ferryd holds %d fds, %d before the "
	    "reloads", n, n0);
	harness_stop_ok(&f);
}
END_TEST

/* Not root: ferryd -t refuses each setting, naming it. */
START_TEST(test_not_root)
{
	static const char *const keys[] = { "private_network = yes",
		"private_ipc = yes", "private_uts = yes", "private_pids = yes",
		"read_only = yes", "private_tmp = yes", "hide_paths = /root",
		"chroot = /" };
	char		 dir[] = "/tmp/ferry-sb-nonroot.XXXXXX", conf[600],
			 text[1024], want[128], *out;
	const char	*argv[] = { "/bin/sh", "-c", "exec setpriv "
		"--reuid=nobody --regid=nogroup --clear-groups \"$0\" -t -c "
		"\"$1\" 2>&1", NULL, conf, NULL };
	size_t		 i;
	int		 rc;

	if (geteuid() != 0)
		return;		/* the refusal is what ferryd does anyway */
	argv[3] = harness_env_path("FERRYD");
	/* Outside the run's directory, which nobody cannot enter. */
	HARNESS_ASSERT(NULL, mkdtemp(dir) != NULL && chmod(dir, 0755) == 0,
	    "%s: %s", dir, strerror(errno));
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dir);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "[app a]\ntype = cgi\n"
		    "prefix = /a/\nroot = %s\n%s\n", sb_progs(), keys[i]);
		harness_write_file(conf, text, strlen(text), 0644);
		out = NULL;
		rc = harness_run(argv, &out, 10000);
		snprintf(want, sizeof(want), "[app a]: %.*s needs ferryd to run "
		    "as root", (int)strcspn(keys[i], " "), keys[i]);
		HARNESS_ASSERT(NULL, rc != 0 && out != NULL &&
		    strstr(out, want) != NULL, "%s: exit %d, output: %s",
		    keys[i], rc, out != NULL ? out : "(none)");
		free(out);
	}
	harness_rmtree(dir);
}
END_TEST

static Suite *
sandbox_suite(void)
{
	Suite	*s = suite_create("sandbox");
	TCase	*tc = tcase_create("namespaces");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_network);
	tcase_add_test(tc, test_ipc_uts);
	tcase_add_test(tc, test_pids);
	tcase_add_test(tc, test_pids_escapee);
	tcase_add_test(tc, test_pids_worker_outlives_not);
	suite_add_tcase(s, tc);
	tc = tcase_create("filesystem");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_private_tmp);
	tcase_add_test(tc, test_hide_paths);
	tcase_add_test(tc, test_chroot);
	tcase_add_test(tc, test_chroot_fastcgi);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_all_no_leaks);
	tcase_add_test(tc, test_reload_on);
	tcase_add_test(tc, test_reload_fds);
	tcase_add_test(tc, test_not_root);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(sandbox_suite(), "ferry-sandbox");
}
