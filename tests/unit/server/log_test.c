/*
 * Tests of server/log.c: the access line format, error log lines, the
 * log files and their reopening, buffered access lines and "off".
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/log.h"

static void	 make_tmpdir(void);
static int	 rm_entry(const char *, const struct stat *, int, struct FTW *);
static void	 rm_tmpdir(void);
static size_t	 read_file(const char *, char *, size_t);

static char	tmpdir[PATH_MAX];	/* per test: made by make_tmpdir */

/* A fresh, empty temp dir (its realpath) in tmpdir. */
static void
make_tmpdir(void)
{
	char	*real;

	strcpy(tmpdir, "/tmp/log_test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_ptr_nonnull(real = realpath(tmpdir, NULL));
	strcpy(tmpdir, real);
	free(real);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* Teardown of every test: removes the temp dir, if one was made. */
static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

static const struct access_case {
	struct log_access_entry	 e;
	time_t			 now;
	const char		*line;
} access_cases[] = {
	/* every field, a CLF date with a two-digit day */
	{ { "127.0.0.1", "GET", 3, "/x", 2, 1, 200, 5, "http://r/", 9,
	    "curl/8", 6, 1234 }, 1795934412,
	  "127.0.0.1 - - [29/Nov/2026:06:40:12 +0000] \"GET /x HTTP/1.1\" "
	  "200 5 \"http://r/\" \"curl/8\" 1234\n" },
	/* a one-digit day is zero-padded; HTTP/1.0 */
	{ { "10.0.0.1", "HEAD", 4, "/", 1, 0, 304, 0, NULL, 0, NULL, 0, 0 },
	  946684800,
	  "10.0.0.1 - - [01/Jan/2000:00:00:00 +0000] \"HEAD / HTTP/1.0\" "
	  "304 0 \"-\" \"-\" 0\n" },
	/* no request line parsed (a 400 before the method) */
	{ { NULL, NULL, 0, NULL, 0, 1, 400, 11, NULL, 0, NULL, 0,
	    18446744073709551615ULL }, 1927857906,
	  "- - - [03/Feb/2031:04:05:06 +0000] \"-\" 400 11 \"-\" \"-\" "
	  "18446744073709551615\n" },
	/* quotes, backslashes, control and high bytes are escaped */
	{ { "::1", "GET", 3, "/a\"b\\c\n\x7f\xff", 9, 1, 200, 1,
	    "x\" 200", 6, "a\r\nb\tc", 6, 1 }, 1795934412,
	  "::1 - - [29/Nov/2026:06:40:12 +0000] "
	  "\"GET /a\\x22b\\x5cc\\x0a\\x7f\\xff HTTP/1.1\" 200 1 "
	  "\"x\\x22 200\" \"a\\x0d\\x0ab\\x09c\" 1\n" },
	/* lengths are honoured: bytes after them are not logged */
	{ { "1.2.3.4", "POSTX", 4, "/abcdef", 3, 1, 201, 2, "refX", 3,
	    "uaX", 2, 7 }, 1795934412,
	  "1.2.3.4 - - [29/Nov/2026:06:40:12 +0000] \"POST /ab HTTP/1.1\" "
	  "201 2 \"ref\" \"ua\" 7\n" },
};

START_TEST(test_access_format)
{
	const struct access_case	*t = &access_cases[_i];
	char				 buf[LOG_ACCESS_LINE_MAX];
	size_t				 n;

	n = log_format_access(buf, sizeof(buf), &t->e, t->now);
	ck_assert_str_eq(buf, t->line);
	ck_assert_uint_eq(n, strlen(t->line));
	/* too small a buffer: nothing */
	ck_assert_uint_eq(log_format_access(buf, sizeof(buf) - 1, &t->e,
	    t->now), 0);
}
END_TEST

/* A huge target and agent are cut with "..." and the line stays bounded
   and intact. */
START_TEST(test_access_long)
{
	struct log_access_entry	 e;
	char			*big, buf[LOG_ACCESS_LINE_MAX], *p;
	size_t			 n, i;

	ck_assert_ptr_nonnull(big = malloc(100000));
	for (i = 0; i < 100000; i++)
		big[i] = i % 2 ? 'a' : '\n';	/* half escaped */
	memset(&e, 0, sizeof(e));
	e.remote_addr = "127.0.0.1";
	e.method = big;
	e.method_len = 100000;
	e.target = big;
	e.target_len = 100000;
	e.referer = big;
	e.referer_len = 100000;
	e.user_agent = big;
	e.user_agent_len = 100000;
	e.status = 200;
	n = log_format_access(buf, sizeof(buf), &e, 0);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), n);
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
	/* 4 fields cut */
	for (i = 0, p = buf; (p = strstr(p, "...")) != NULL; p += 3)
		i++;
	ck_assert_uint_eq(i, 4);
	ck_assert_ptr_nonnull(strstr(buf, "... HTTP/1.0\" 200 0 \""));
	ck_assert_ptr_nonnull(strstr(buf, "...\" 0\n"));
	free(big);
}
END_TEST

START_TEST(test_log_files)
{
	char	path[PATH_MAX + 32], apath[PATH_MAX + 32], moved[PATH_MAX + 32],
		buf[4096], want[128];
	struct log_access_entry e;
	FILE	*fp;
	size_t	 n;
	struct stat st;
	mode_t	 mask;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/error.log", tmpdir);
	snprintf(apath, sizeof(apath), "%s/access.log", tmpdir);
	snprintf(moved, sizeof(moved), "%s/error.log.1", tmpdir);
	ck_assert_int_eq(log_level_parse("error"), LOG_LEVEL_ERROR);
	ck_assert_int_eq(log_level_parse("warn"), LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_parse("info"), LOG_LEVEL_INFO);
	ck_assert_int_eq(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_level_parse("Debug"), -1);

	ck_assert_int_eq(log_open(path, apath, LOG_LEVEL_INFO), 0);
	ck_assert_int_eq(log_level_get(), LOG_LEVEL_INFO);
	ck_assert_int_ne(log_error_fd(), 2);
	ck_assert_int_eq(stat(path, &st), 0);
	mask = umask(022);
	umask(mask);
	ck_assert_int_eq(st.st_mode & 0777, 0644 & ~mask);
	errno = ENOENT;
	log_warn("open %s", "x");
	ck_assert_int_eq(errno, ENOENT);	/* errno is kept */
	log_warnx("line\none");			/* cannot forge a line */
	log_info("info %d", 1);
	log_debug("not shown");
	memset(&e, 0, sizeof(e));
	e.status = 204;
	log_access(&e);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(log_reopen(), 0);
	log_warnx("after reopen");
	log_close();
	ck_assert_int_eq(log_error_fd(), 2);

	ck_assert_ptr_nonnull(fp = fopen(moved, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	/* 2026-11-29T06:40:12Z ferryd[PID]: warn: message */
	snprintf(want, sizeof(want), "Z ferryd[%ld]: warn: open x: %s\n",
	    (long)getpid(), strerror(ENOENT));
	ck_assert_msg(strncmp(buf + 19, want, strlen(want)) == 0, "%s", buf);
	ck_assert_int_eq(buf[4], '-');
	ck_assert_int_eq(buf[10], 'T');
	ck_assert_ptr_nonnull(strstr(buf, "]: warn: line\\x0aone\n"));
	ck_assert_ptr_nonnull(strstr(buf, "]: info: info 1\n"));
	ck_assert_ptr_null(strstr(buf, "not shown"));
	ck_assert_ptr_null(strstr(buf, "after reopen"));

	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "]: warn: after reopen\n"));

	ck_assert_ptr_nonnull(fp = fopen(apath, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "\"-\" 204 0 \"-\" \"-\" 0\n"));

	/* a file that cannot be opened: -1, the old logs stay */
	ck_assert_int_eq(log_open("/nonexistent/dir/e.log", NULL,
	    LOG_LEVEL_WARN), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(log_level_get(), LOG_LEVEL_INFO);
}
END_TEST

static size_t
read_file(const char *path, char *buf, size_t cap)
{
	FILE	*fp;
	size_t	 n;

	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return n;
}

/*
 * log_buffer(1): access lines wait for log_flush() (or a full buffer, in
 * whole lines), an error line goes after the access lines before it, and
 * log_close() writes what is left.  "off": no access log at all.
 */
START_TEST(test_log_buffered)
{
	char	epath[PATH_MAX + 32], apath[PATH_MAX + 32];
	static char buf[64 * 1024];
	struct log_access_entry e;
	const char *p;
	size_t	 n, lines, len;
	int	 i;

	make_tmpdir();
	snprintf(epath, sizeof(epath), "%s/e.log", tmpdir);
	snprintf(apath, sizeof(apath), "%s/a.log", tmpdir);
	memset(&e, 0, sizeof(e));
	e.status = 200;
	e.target = "/x";
	e.target_len = 2;

	/* Both logs in one file, as when both go to stderr. */
	ck_assert_int_eq(log_open(apath, apath, LOG_LEVEL_INFO), 0);
	log_buffer(1);
	log_access(&e);
	log_access(&e);
	ck_assert_uint_eq(read_file(apath, buf, sizeof(buf)), 0);
	log_warnx("after two");
	log_access(&e);
	ck_assert_uint_eq(read_file(apath, buf, sizeof(buf)) > 0, 1);
	ck_assert_ptr_nonnull(p = strstr(buf, "]: warn: after two\n"));
	for (lines = 0, p = buf; (p = strstr(p, " 200 0 ")) != NULL; p++)
		lines++;
	ck_assert_uint_eq(lines, 2);
	ck_assert_ptr_null(strstr(strstr(buf, "after two"), " 200 0 "));
	log_flush();
	read_file(apath, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(strstr(buf, "after two"), " 200 0 "));

	/* Many lines: only whole lines are ever written, none lost. */
	len = read_file(apath, buf, sizeof(buf));
	for (i = 0; i < 500; i++) {
		log_access(&e);
		n = read_file(apath, buf, sizeof(buf));
		ck_assert_msg(buf[n - 1] == '\n', "cut line");
	}
	ck_assert_uint_gt(n, len);	/* the buffer filled and went out */
	log_close();			/* flushes */
	n = read_file(apath, buf, sizeof(buf));
	for (lines = 0, p = buf; (p = strstr(p, " 200 0 ")) != NULL; p++)
		lines++;
	ck_assert_uint_eq(lines, 503);
	log_buffer(0);

	/* off: nothing written, the error log goes on. */
	ck_assert_int_eq(unlink(apath), 0);
	ck_assert_int_eq(log_open(epath, LOG_OFF, LOG_LEVEL_INFO), 0);
	log_access(&e);
	log_warnx("still here");
	log_close();
	ck_assert_int_eq(access(apath, F_OK), -1);
	read_file(epath, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "]: warn: still here\n"));
	ck_assert_ptr_null(strstr(buf, " 200 0 "));
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc;

	tc = tcase_create("access");
	tcase_add_loop_test(tc, test_access_format, 0,
	    sizeof(access_cases) / sizeof(access_cases[0]));
	tcase_add_test(tc, test_access_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, NULL, rm_tmpdir);
	tcase_add_test(tc, test_log_files);
	tcase_add_test(tc, test_log_buffered);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(log_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
