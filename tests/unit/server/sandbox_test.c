/*
 * server/sandbox.c: what sandbox_open makes of an app's settings, the
 * paths seen inside a chroot, the parent and death signal of a pid 1,
 * and (as root) a child of sandbox_fork entering the app's namespaces; a
 * helper that fails leaves no fd and no process behind.
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conf-t.h"
#include "server/sandbox.h"

/* An app with every sandbox setting off. */
static void
sbt_app(struct conf_app *a)
{
	memset(a, 0, sizeof(*a));
	a->name = "t";
}

/* The fds this process holds. */
static int
sbt_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*e;
	int		 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The link of /proc/self/ns/name in buf. */
static void
sbt_ns(const char *name, char *buf, size_t len)
{
	char	path[64];
	ssize_t	n;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* No setting: no sandbox, and the NULL sandbox changes nothing. */
START_TEST(test_none)
{
	struct conf_app	 a;
	struct sandbox	*sb = (struct sandbox *)&a;

	sbt_app(&a);
	ck_assert_int_eq(sandbox_open(&a, &sb), 0);
	ck_assert_ptr_null(sb);
	ck_assert_int_eq(sandbox_enter(NULL), 0);
	ck_assert_str_eq(sandbox_inside(NULL, "/a/b"), "/a/b");
	ck_assert_int_eq(sandbox_parent(NULL), getpid());
	ck_assert_int_eq(sandbox_death_sig(NULL, SIGTERM), SIGTERM);
	sandbox_close(NULL);
}
END_TEST

/* chroot alone needs no helper: paths under it are seen from inside. */
START_TEST(test_chroot_paths)
{
	struct conf_app	 a;
	struct sandbox	*sb;

	sbt_app(&a);
	a.chroot = "/srv/jail";
	ck_assert_int_eq(sandbox_open(&a, &sb), 0);
	ck_assert_ptr_nonnull(sb);
	ck_assert_str_eq(sandbox_inside(sb, "/srv/jail/cgi/a.sh"),
	    "/cgi/a.sh");
	ck_assert_str_eq(sandbox_inside(sb, "/srv/jail"), "/");
	ck_assert_ptr_null(sandbox_inside(sb, NULL));
	ck_assert_int_eq(sandbox_parent(sb), getpid());
	sandbox_close(sb);
	a.chroot = "/";
	ck_assert_int_eq(sandbox_open(&a, &sb), 0);
	ck_assert_str_eq(sandbox_inside(sb, "/cgi/a.sh"), "/cgi/a.sh");
	sandbox_close(sb);
}
END_TEST

/* private_pids: the child's parent is outside (0) and its death signal
   SIGKILL. */
START_TEST(test_pids_signals)
{
	struct conf_app	 a;
	struct sandbox	*sb;

	sbt_app(&a);
	a.private_pids = 1;
	ck_assert_int_eq(sandbox_open(&a, &sb), 0);
	ck_assert_ptr_nonnull(sb);
	ck_assert_int_eq(sandbox_parent(sb), 0);
	ck_assert_int_eq(sandbox_death_sig(sb, SIGTERM), SIGKILL);
	sandbox_close(sb);
}
END_TEST

/* As root: a child of sandbox_fork that enters the sandbox has the app's
   network, IPC and UTS namespaces (the hostname the app's name) and, with
   private_pids, is pid 1 seeing only itself; its exit status says which
   check failed.  Opening and closing the sandbox leaves the fds as they
   were. */
START_TEST(test_enter)
{
	static const char *const names[] = { "net", "ipc", "uts" };
	struct conf_app	 a;
	struct sandbox	*sb;
	char		 mine[3][128], theirs[128], host[64];
	pid_t		 pid;
	int		 status, fds, i;
	DIR		*d;
	struct dirent	*e;

	if (geteuid() != 0)
		return;
	for (i = 0; i < 3; i++)
		sbt_ns(names[i], mine[i], sizeof(mine[i]));
	fds = sbt_fds();
	sbt_app(&a);
	a.private_network = a.private_ipc = a.private_uts = 1;
	a.private_pids = 1;
	ck_assert_int_eq(sandbox_open(&a, &sb), 0);
	ck_assert_ptr_nonnull(sb);
	ck_assert_int_eq(sbt_fds(), fds + 3);
	if ((pid = sandbox_fork(sb)) == 0) {
		if (sandbox_enter(sb) == -1)
			_exit(10);
		for (i = 0; i < 3; i++) {
			sbt_ns(names[i], theirs, sizeof(theirs));
			if (strcmp(theirs, mine[i]) == 0)
				_exit(11 + i);
		}
		if (gethostname(host, sizeof(host)) == -1 ||
		    strcmp(host, "t") != 0)
			_exit(14);
		if (getpid() != 1 || getppid() != sandbox_parent(sb))
			_exit(15);
		if ((d = opendir("/proc")) == NULL)
			_exit(16);
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
			    strcmp(e->d_name, "1") != 0)
				_exit(17);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %#x", status);
	sandbox_close(sb);
	ck_assert_int_eq(sbt_fds(), fds);
}
END_TEST

/* As root: a helper that fails (a path to hide that is not there) fails
   the open, leaving no fd and no child. */
START_TEST(test_helper_fails)
{
	char		*hide[] = { "/no/such/path", NULL };
	struct conf_app	 a;
	struct sandbox	*sb = (struct sandbox *)&a;
	int		 fds;

	if (geteuid() != 0)
		return;
	fds = sbt_fds();
	sbt_app(&a);
	a.hide_paths = hide;
	ck_assert_int_eq(sandbox_open(&a, &sb), -1);
	ck_assert_ptr_null(sb);
	ck_assert_int_eq(sbt_fds(), fds);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("sandbox");
	TCase	*tc = tcase_create("sandbox");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_chroot_paths);
	tcase_add_test(tc, test_pids_signals);
	tcase_add_test(tc, test_enter);
	tcase_add_test(tc, test_helper_fails);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
