/*
 * server/notif.c with a real child: tests/cgi-progs/sysprobe spawned
 * under the default filter by both of spawn.c's paths (vfork, and fork
 * when death_sig asks for it), its listener taken by a loop of our own.
 * Each denied call gets EPERM, is counted and named in the error log, and
 * the listener is closed once the child is reaped, which ends the loop.
 * A child that cannot hand its listener over still gets EPERM.
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "server/filter.h"
#include "server/log.h"
#include "server/master-t.h"
#include "server/notif.h"
#include "server/spawn.h"
#include "server/stats.h"

/* One sysprobe run. */
struct nt_run {
	pid_t		 pid;
	int		 reaped;
	char		 out[4096];
	char		*log;		/* the error log after it */
	struct stats_app st;
};

static char	nt_dir[] = "/tmp/notif_test.XXXXXX";
static char	nt_logpath[64];

/* Reaps the child once it has exited; the loop ends when this timer and
   the listener are both stopped. */
static void
nt_reap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct nt_run	*run = w->data;

	(void)revents;
	if (waitpid(run->pid, NULL, WNOHANG) == run->pid) {
		run->reaped = 1;
		ev_timer_stop(loop, w);
	}
}

/*
 * Runs sysprobe with the default filter, by fork when use_fork, with its
 * listener sent on the master's pair, or on bad_fd instead when that is
 * not -1.  Fills run with its output, its counter and the log.
 */
static void
nt_run(struct nt_run *run, int use_fork, int bad_fd)
{
	static char *const	 envp[] = { NULL };
	struct master		 m;
	struct spawn_req	 r;
	ev_timer		 reap;
	char			 path[600], *argv[2];
	const char		*apps = getenv("FERRY_TEST_FCGI_APPS");
	int			 out[2], devnull;
	size_t			 got = 0;
	ssize_t			 n;
	FILE			*fp;

	memset(run, 0, sizeof(*run));
	ck_assert_ptr_nonnull(apps);
	/* Each run's log alone (the log's fd appends). */
	ck_assert_int_eq(log_open(nt_logpath, LOG_OFF, LOG_LEVEL_INFO), 0);
	ck_assert_int_eq(truncate(nt_logpath, 0), 0);
	snprintf(path, sizeof(path), "%s/../cgi-progs/sysprobe", apps);
	memset(&m, 0, sizeof(m));
	ck_assert_ptr_nonnull(m.loop = ev_loop_new(EVFLAG_AUTO));
	ck_assert_int_eq(notif_init(&m), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_ne(devnull = open("/dev/null", O_RDONLY | O_CLOEXEC),
	    -1);
	argv[0] = path;
	argv[1] = NULL;
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.argv = argv;
	r.envp = envp;
	r.fd_in = devnull;
	r.fd_out = r.fd_err = out[1];
	r.death_sig = use_fork ? SIGTERM : 0;	/* the fork path */
	ck_assert_ptr_nonnull(r.filter = filter_default());
	notif_prepare(&m, &r);
	ck_assert_ptr_nonnull(r.notify_filter);
	if (bad_fd != -1)
		r.notify_fd = bad_fd;
	run->pid = spawn_process(&r);
	ck_assert_int_gt(run->pid, 0);
	notif_take(&m, run->pid, "t", &run->st);
	close(out[1]);
	close(devnull);

	ev_timer_init(&reap, nt_reap_cb, 0.01, 0.01);
	reap.data = run;
	ev_timer_start(m.loop, &reap);
	ev_run(m.loop, 0);	/* until reaped and the listener closed */
	ck_assert(run->reaped);
	while (got < sizeof(run->out) - 1 && (n = read(out[0], run->out + got,
	    sizeof(run->out) - 1 - got)) > 0)
		got += (size_t)n;
	close(out[0]);
	notif_fini(&m);
	ev_loop_destroy(m.loop);

	ck_assert_ptr_nonnull(fp = fopen(nt_logpath, "r"));
	ck_assert_ptr_nonnull(run->log = calloc(1, 1 << 16));
	got = fread(run->log, 1, (1 << 16) - 1, fp);
	fclose(fp);
}

/* The errno sysprobe printed for call. */
static int
nt_errno(const struct nt_run *run, const char *call)
{
	char		 key[40];
	const char	*p;

	snprintf(key, sizeof(key), "\n%s ", call);
	ck_assert_msg((p = strstr(run->out, key)) != NULL, "no %s in:\n%s",
	    call, run->out);
	return atoi(p + strlen(key));
}

/* Each denied call of a child of either path: EPERM, counted, logged. */
static void
nt_expect_reported(int use_fork)
{
	static const char *const calls[] = { "ptrace", "unshare", "mount",
	    "pidfd_getfd" };
	struct nt_run	 run;
	char		 line[96];
	size_t		 i;

	nt_run(&run, use_fork, -1);
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		ck_assert_msg(nt_errno(&run, calls[i]) == EPERM, "%s:\n%s",
		    calls[i], run.out);
		snprintf(line, sizeof(line), "[app t] pid %d: seccomp denied "
		    "%s(2)\n", (int)run.pid, calls[i]);
		ck_assert_msg(strstr(run.log, line) != NULL, "no \"%s\" in:\n%s",
		    line, run.log);
	}
	ck_assert_int_eq(nt_errno(&run, "listeners"), 0);
	ck_assert_int_eq(run.st.seccomp_denied, 4);
	free(run.log);
}

START_TEST(test_vfork_path)
{
	nt_expect_reported(0);
}
END_TEST

START_TEST(test_fork_path)
{
	nt_expect_reported(1);
}
END_TEST

/* The listener cannot be sent (not a socket): the plain filter stacked
   on top answers EPERM, never ENOSYS, and the master says why nothing is
   logged. */
START_TEST(test_not_sent)
{
	struct nt_run	run;
	int		p[2], use_fork;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	for (use_fork = 0; use_fork < 2; use_fork++) {
		nt_run(&run, use_fork, p[1]);
		ck_assert_msg(nt_errno(&run, "ptrace") == EPERM &&
		    nt_errno(&run, "mount") == EPERM, "%s", run.out);
		ck_assert_int_eq(run.st.seccomp_denied, 0);
		ck_assert_msg(strstr(run.log, "no seccomp listener came; they "
		    "get EPERM") != NULL && strstr(run.log, "seccomp denied")
		    == NULL, "%s", run.log);
		free(run.log);
	}
	close(p[0]);
	close(p[1]);
}
END_TEST

static void
nt_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(nt_dir));
	snprintf(nt_logpath, sizeof(nt_logpath), "%s/error.log", nt_dir);
	ck_assert_int_eq(log_open(nt_logpath, LOG_OFF, LOG_LEVEL_INFO), 0);
}

static void
nt_teardown(void)
{
	log_close();
	unlink(nt_logpath);
	rmdir(nt_dir);
}

int
main(void)
{
	Suite	*s = suite_create("notif");
	TCase	*tc = tcase_create("listener");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_vfork_path);
	tcase_add_test(tc, test_fork_path);
	tcase_add_test(tc, test_not_sent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
