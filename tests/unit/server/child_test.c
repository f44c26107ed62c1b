/*
 * server/child.c: the base environment of a child, its working directory,
 * the line logger over a real pipe in a real loop, and the kill ladder on
 * real child processes.
 */
#include "config.h"

#include <sys/types.h>
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

#include "server/child.h"
#include "server/conf.h"
#include "server/log.h"

#define CT_GRACE	0.3	/* s: the kill grace of the ladder tests */

static char	ct_dir[] = "/tmp/child_test.XXXXXX";
static char	ct_logpath[64];

static void	ct_log_setup(void);
static void	ct_log_teardown(void);
static char	*ct_log_text(void);
static int	ct_count(const char *, const char *);
static void	ct_expect(const char *, int);
static void	ct_log_pipe(struct child_log *, int[2], const char *, pid_t,
		    int, int *);
static void	ct_pipe(int[2]);
static void	ct_closed(void *);
static void	ct_run_until(struct ev_loop *, int *);

/* The error log goes to a file the test reads back. */
static void
ct_log_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(ct_dir));
	snprintf(ct_logpath, sizeof(ct_logpath), "%s/error.log", ct_dir);
	ck_assert_int_eq(log_open(ct_logpath, LOG_OFF, LOG_LEVEL_INFO), 0);
}

static void
ct_log_teardown(void)
{
	log_close();
	unlink(ct_logpath);
	rmdir(ct_dir);
}

/* The whole error log so far, NUL-terminated; the caller frees it. */
static char *
ct_log_text(void)
{
	FILE	*f;
	char	*s;
	size_t	 n;

	ck_assert_ptr_nonnull(f = fopen(ct_logpath, "r"));
	ck_assert_ptr_nonnull(s = calloc(1, 1 << 16));
	n = fread(s, 1, (1 << 16) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* How many times needle occurs in s. */
static int
ct_count(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* The error log holds needle n times. */
static void
ct_expect(const char *needle, int n)
{
	char	*s = ct_log_text();
	int	 got = ct_count(s, needle);

	free(s);
	ck_assert_msg(got == n, "\"%s\" logged %d times, not %d", needle, got,
	    n);
}

static void
ct_pipe(int fds[2])
{
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
}

/* The error log to a file, and lg reading a new pipe in the default
   loop, counting its closes in *closed. */
static void
ct_log_pipe(struct child_log *lg, int fds[2], const char *name, pid_t pid,
    int strip_cr, int *closed)
{
	ct_log_setup();
	ct_pipe(fds);
	child_log_init(lg, ev_default_loop(0), fds[0], name, pid, strip_cr,
	    ct_closed, closed);
}

static void
ct_closed(void *arg)
{
	(*(int *)arg)++;
}

/* Runs loop until *flag is set, for at most about five seconds. */
static void
ct_run_until(struct ev_loop *loop, int *flag)
{
	int	i;

	for (i = 0; i < 500 && !*flag; i++) {
		ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT);
		if (!*flag)
			usleep(10 * 1000);
	}
	ck_assert(*flag);
}

/* Environment. */

START_TEST(test_env_add)
{
	struct child_env	e;

	child_env_init(&e);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_ptr_null(e.v[0]);
	/* Lengths, not NUL terminators, delimit name and value. */
	ck_assert_int_eq(child_env_add(&e, "NAMEXX", 4, "valueXX", 5), 0);
	ck_assert_int_eq(child_env_add(&e, "EMPTY", 5, "", 0), 0);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.v[0], "NAME=value");
	ck_assert_str_eq(e.v[1], "EMPTY=");
	ck_assert_ptr_null(e.v[2]);		/* terminated after each add */
	child_env_free(&e);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_ptr_null(e.v[0]);
}
END_TEST

START_TEST(test_env_limit)
{
	struct child_env	e;
	char			name[16];
	int			i, n;

	child_env_init(&e);
	for (i = 0; i < CGI_MAX_ENV + 10; i++) {
		n = snprintf(name, sizeof(name), "V%d", i);
		/* Past the limit the rest is dropped, not an error. */
		ck_assert_int_eq(child_env_add(&e, name, (size_t)n, "x", 1), 0);
	}
	ck_assert_uint_eq(e.n, CGI_MAX_ENV);
	ck_assert_str_eq(e.v[0], "V0=x");
	snprintf(name, sizeof(name), "V%d=x", CGI_MAX_ENV - 1);
	ck_assert_str_eq(e.v[CGI_MAX_ENV - 1], name);
	ck_assert_ptr_null(e.v[CGI_MAX_ENV]);
	/* The base environment is dropped too, without failing. */
	ck_assert_int_eq(child_env_base(&e, &(struct conf_app){ 0 }), 0);
	ck_assert_uint_eq(e.n, CGI_MAX_ENV);
	child_env_free(&e);
}
END_TEST

START_TEST(test_env_base)
{
	static char		*pass[] = {
		"FOO", "PATH", "CT_UNSET", "EMPTY", NULL
	};
	struct conf_app		 app;
	struct child_env	 e;

	memset(&app, 0, sizeof(app));
	app.env = pass;
	ck_assert_int_eq(setenv("PATH", "/ct/bin", 1), 0);
	ck_assert_int_eq(setenv("FOO", "bar=baz", 1), 0);
	ck_assert_int_eq(setenv("EMPTY", "", 1), 0);
	ck_assert_int_eq(setenv("NOT_PASSED", "1", 1), 0);
	unsetenv("CT_UNSET");

	/* After what came first (the CGI meta-variables): PATH, then the
	   names passed through that are set, PATH not twice. */
	child_env_init(&e);
	ck_assert_int_eq(child_env_add(&e, "GATEWAY_INTERFACE", 17, "CGI/1.1",
	    7), 0);
	ck_assert_int_eq(child_env_base(&e, &app), 0);
	ck_assert_uint_eq(e.n, 4);
	ck_assert_str_eq(e.v[0], "GATEWAY_INTERFACE=CGI/1.1");
	ck_assert_str_eq(e.v[1], "PATH=/ct/bin");
	ck_assert_str_eq(e.v[2], "FOO=bar=baz");
	ck_assert_str_eq(e.v[3], "EMPTY=");
	ck_assert_ptr_null(e.v[4]);
	child_env_free(&e);

	/* No PATH in ferryd's environment: a default.  No names: nothing
	   else. */
	unsetenv("PATH");
	app.env = NULL;
	ck_assert_int_eq(child_env_base(&e, &app), 0);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.v[0], "PATH=/usr/local/bin:/usr/bin:/bin");
	ck_assert_ptr_null(e.v[1]);
	child_env_free(&e);
}
END_TEST

/* Working directory. */

static const struct {
	const char	*path;
	const char	*dir;
	const char	*what;
} dir_cases[] = {
	{ "/srv/cgi/hello.sh", "/srv/cgi", "the usual absolute path" },
	{ "/hello.sh", "/", "a program at the root runs in /" },
	{ "/srv/cgi/", "/srv/cgi", "a trailing slash is the last one" },
	{ "bin/app", "bin", "a relative path" },
	{ "app", "app", "no slash: the path itself, as before" },
	{ "/", "/", "the root itself" },
};

START_TEST(test_dir)
{
	char	*d;

	d = child_dir(dir_cases[_i].path);
	ck_assert_ptr_nonnull(d);
	ck_assert_msg(strcmp(d, dir_cases[_i].dir) == 0, "%s: %s gave %s",
	    dir_cases[_i].what, dir_cases[_i].path, d);
	free(d);
}
END_TEST

/* The line logger. */

START_TEST(test_log_pipe)
{
	struct ev_loop		*loop = ev_default_loop(0);
	struct child_log	 lg;
	char			 big[CHILD_LOG_LINE + 5 + 1];
	int			 fds[2], closed = 0;

	ct_log_pipe(&lg, fds, "app", 42, 0, &closed);
	ck_assert(child_log_is_open(&lg));

	/* Whole lines, and a partial one held until its end arrives. */
	ck_assert_int_eq(write(fds[1], "one\ntwo\r\npar", 12), 12);
	ev_run(loop, EVRUN_NOWAIT);
	ct_expect("app[42]: one\n", 1);
	ct_expect("app[42]: two\\x0d\n", 1);
	ct_expect("par", 0);
	ck_assert_int_eq(write(fds[1], "tial\n\n", 6), 6);
	ev_run(loop, EVRUN_NOWAIT);
	ct_expect("app[42]: partial\n", 1);
	ct_expect("app[42]: \n", 1);	/* empty line */

	/* Too long: logged in pieces of CHILD_LOG_LINE bytes. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	ck_assert_int_eq(write(fds[1], big, sizeof(big)), (ssize_t)sizeof(big));
	/* Exactly CHILD_LOG_LINE bytes: one line, no empty one after it. */
	memset(big, 'y', CHILD_LOG_LINE);
	big[CHILD_LOG_LINE] = '\n';
	ck_assert_int_eq(write(fds[1], big, CHILD_LOG_LINE + 1),
	    CHILD_LOG_LINE + 1);
	/* The end of output flushes the last partial line. */
	ck_assert_int_eq(write(fds[1], "last", 4), 4);
	close(fds[1]);
	ct_run_until(loop, &closed);
	ck_assert_int_eq(closed, 1);
	ck_assert(!child_log_is_open(&lg));

	memset(big, 'x', CHILD_LOG_LINE);
	big[CHILD_LOG_LINE] = '\n';
	big[CHILD_LOG_LINE + 1] = '\0';
	ct_expect(big, 1);
	ct_expect("app[42]: xxxxx\n", 1);
	memset(big, 'y', CHILD_LOG_LINE);
	ct_expect(big, 1);
	ct_expect("app[42]: last\n", 1);
	ct_expect("app[42]: ", 8);

	child_log_close(&lg);		/* idempotent */
	ck_assert_int_eq(closed, 1);
	ct_log_teardown();
}
END_TEST

START_TEST(test_log_strip_cr)
{
	struct ev_loop		*loop = ev_default_loop(0);
	struct child_log	 lg;
	int			 fds[2], closed = 0;

	ct_log_pipe(&lg, fds, "w", 7, 1, &closed);
	ck_assert_int_eq(write(fds[1], "crlf\r\nmid\rdle\n", 14), 14);
	close(fds[1]);
	ct_run_until(loop, &closed);
	ct_expect("w[7]: crlf\n", 1);
	ct_expect("w[7]: mid\\x0ddle\n", 1);
	ct_log_teardown();
}
END_TEST

/* drain reads what the pipe holds and flushes, but keeps the fd; close
   then logs nothing and calls no callback. */
START_TEST(test_log_drain)
{
	struct ev_loop		*loop = ev_default_loop(0);
	struct child_log	 lg;
	int			 fds[2], closed = 0;

	ct_log_pipe(&lg, fds, "d", 3, 1, &closed);
	ck_assert_int_eq(write(fds[1], "a\nb", 3), 3);
	child_log_drain(&lg);
	ck_assert(child_log_is_open(&lg));
	ct_expect("d[3]: a\n", 1);
	ct_expect("d[3]: b\n", 1);
	ck_assert_int_eq(write(fds[1], "held", 4), 4);
	ev_run(loop, EVRUN_NOWAIT);
	child_log_close(&lg);
	ck_assert(!child_log_is_open(&lg));
	ck_assert_int_eq(closed, 0);
	ct_expect("held", 0);
	child_log_drain(&lg);		/* closed: nothing */
	close(fds[1]);
	ct_log_teardown();
}
END_TEST

/* Without an fd: fed by the owner, as FastCGI STDERR records are. */
START_TEST(test_log_feed)
{
	struct child_log	 lg;

	ct_log_setup();
	child_log_init(&lg, ev_default_loop(0), -1, "f", 9, 1, NULL, NULL);
	ck_assert(!child_log_is_open(&lg));
	child_log_feed(&lg, "sp", 2);
	child_log_feed(&lg, "lit\nrest", 8);
	child_log_flush(&lg);
	child_log_flush(&lg);		/* nothing held: nothing logged */
	child_log_feed(&lg, "gone", 4);
	child_log_discard(&lg);
	child_log_feed(&lg, "next\n", 5);
	ct_expect("f[9]: split\n", 1);
	ct_expect("f[9]: rest\n", 1);
	ct_expect("f[9]: next\n", 1);
	ct_expect("gone", 0);
	ct_expect("f[9]: ", 3);
	child_log_close(&lg);
	ct_log_teardown();
}
END_TEST

/* issue 14 F: a child's flood of lines is rate-limited, and the lines
   dropped are counted.  The loop's clock stands still (no ev_run), so
   the bucket refills only when the test moves lg.refilled back. */
START_TEST(test_log_rate)
{
	struct child_log	 lg;
	char			 line[32];
	int			 i, n;

	ct_log_setup();
	child_log_init(&lg, ev_default_loop(0), -1, "f", 9, 0, NULL, NULL);
	/* The burst passes, the rest is dropped. */
	for (i = 0; i < CHILD_LOG_BURST + 50; i++) {
		n = snprintf(line, sizeof(line), "l%d\n", i);
		child_log_feed(&lg, line, (size_t)n);
	}
	ct_expect("f[9]: l", CHILD_LOG_BURST);
	ct_expect("dropped", 0);
	/* A flush says how many were dropped, once. */
	child_log_flush(&lg);
	ct_expect("f[9]: ... dropped 50 lines\n", 1);
	child_log_flush(&lg);
	ct_expect("dropped", 1);
	/* A second later CHILD_LOG_RATE more lines pass. */
	lg.refilled -= 1.0;
	for (i = 0; i < 2 * CHILD_LOG_RATE; i++)
		child_log_feed(&lg, "m\n", 2);
	ct_expect("f[9]: m\n", CHILD_LOG_RATE);
	/* The count of those dropped is said before the next line that
	   passes. */
	lg.refilled -= 1.0;
	child_log_feed(&lg, "n\n", 2);
	{
		char		*t = ct_log_text();
		const char	*d = strstr(t,
				    "f[9]: ... dropped 10 lines\n");

		ck_assert_ptr_nonnull(d);
		ck_assert_ptr_nonnull(strstr(d, "f[9]: n\n"));
		free(t);
	}
	/* The bucket holds no more than the burst, however long it was
	   quiet. */
	lg.refilled -= 3600.0;
	for (i = 0; i < CHILD_LOG_BURST + 1; i++)
		child_log_feed(&lg, "o\n", 2);
	child_log_flush(&lg);
	ct_expect("f[9]: o\n", CHILD_LOG_BURST);
	ct_expect("f[9]: ... dropped 1 lines\n", 1);
	child_log_close(&lg);
	ct_log_teardown();
}
END_TEST

/* The kill ladder, driven as cgi.c and pool.c drive it: the caller arms
   its grace timer, whose expiry calls child_kill_late. */

struct ct_ladder {
	pid_t		 pid;
	int		 killing;
	int		 reaped;
	int		 status;
	int		 late;		/* the grace ran out */
	ev_tstamp	 start, end;
	ev_child	 child;
	ev_timer	 grace;
};

static void
ct_ladder_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct ct_ladder	*l = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	ev_timer_stop(loop, &l->grace);
	l->status = w->rstatus;
	l->end = ev_time();
	l->reaped = 1;
}

static void
ct_ladder_grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ct_ladder	*l = w->data;

	(void)revents;
	l->late = 1;
	child_kill_late(l->pid, "ladder");
	ev_timer_stop(loop, w);
}

/* A child in its own process group that says it is ready; with
   ignore_term it survives SIGTERM. */
static pid_t
ct_child(int ignore_term)
{
	int	fds[2];
	pid_t	pid;
	char	c;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
		if (write(fds[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	setpgid(pid, pid);
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

static void
ct_ladder_start(struct ev_loop *loop, struct ct_ladder *l, int ignore_term)
{
	memset(l, 0, sizeof(*l));
	l->pid = ct_child(ignore_term);
	ev_child_init(&l->child, ct_ladder_child_cb, l->pid, 0);
	l->child.data = l;
	ev_child_start(loop, &l->child);
	ev_init(&l->grace, ct_ladder_grace_cb);
	l->grace.data = l;
	l->start = ev_time();
	ck_assert_int_eq(child_kill(l->pid, &l->killing, "ladder", "stopping",
	    "a test"), 1);
	ck_assert_int_eq(l->killing, 1);
	ev_timer_set(&l->grace, CT_GRACE, 0);
	ev_timer_start(loop, &l->grace);
}

START_TEST(test_kill_ignores_term)
{
	struct ev_loop		*loop = ev_default_loop(0);
	struct ct_ladder	 l;
	char			 want[64];

	ct_log_setup();
	ct_ladder_start(loop, &l, 1);
	ct_run_until(loop, &l.reaped);
	ck_assert(l.late);
	ck_assert(WIFSIGNALED(l.status));
	ck_assert_int_eq(WTERMSIG(l.status), SIGKILL);
	ck_assert(l.end - l.start >= CT_GRACE - 0.01);
	snprintf(want, sizeof(want), "info: ladder[%d]: stopping: a test\n",
	    (int)l.pid);
	ct_expect(want, 1);
	snprintf(want, sizeof(want), "warn: ladder[%d]: still running after "
	    "SIGTERM: SIGKILL\n", (int)l.pid);
	ct_expect(want, 1);
	ct_log_teardown();
}
END_TEST

START_TEST(test_kill_exits_on_term)
{
	struct ev_loop		*loop = ev_default_loop(0);
	struct ct_ladder	 l;

	ct_log_setup();
	ct_ladder_start(loop, &l, 0);
	ct_run_until(loop, &l.reaped);
	ck_assert(!l.late);
	ck_assert(WIFSIGNALED(l.status));
	ck_assert_int_eq(WTERMSIG(l.status), SIGTERM);
	ct_expect("stopping: a test", 1);
	ct_expect("still running", 0);
	ct_log_teardown();
}
END_TEST

/* A second child_kill before the grace ends goes straight to SIGKILL,
   logging nothing more. */
START_TEST(test_kill_again)
{
	struct ev_loop		*loop = ev_default_loop(0);
	struct ct_ladder	 l;

	ct_log_setup();
	ct_ladder_start(loop, &l, 1);
	ck_assert_int_eq(child_kill(l.pid, &l.killing, "ladder", "stopping",
	    "again"), 0);
	ck_assert_int_eq(l.killing, 1);
	ct_run_until(loop, &l.reaped);
	ck_assert(!l.late);
	ck_assert(WIFSIGNALED(l.status));
	ck_assert_int_eq(WTERMSIG(l.status), SIGKILL);
	ct_expect("ladder[", 1);
	ct_log_teardown();
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("child");
	TCase	*tc = tcase_create("child");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_env_add);
	tcase_add_test(tc, test_env_limit);
	tcase_add_test(tc, test_env_base);
	tcase_add_loop_test(tc, test_dir, 0,
	    (int)(sizeof(dir_cases) / sizeof(dir_cases[0])));
	tcase_add_test(tc, test_log_pipe);
	tcase_add_test(tc, test_log_strip_cr);
	tcase_add_test(tc, test_log_drain);
	tcase_add_test(tc, test_log_feed);
	tcase_add_test(tc, test_log_rate);
	tcase_add_test(tc, test_kill_ignores_term);
	tcase_add_test(tc, test_kill_exits_on_term);
	tcase_add_test(tc, test_kill_again);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
