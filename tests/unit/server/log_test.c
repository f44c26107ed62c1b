/*
 * Tests of server/log.c and server/logfmt.c: the access line formats
 * (combined and JSON), error log lines, the log files and their
 * reopening, buffered access lines and "off", syslog and the journal.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
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

/* The JSON fields of an entry, after the combined ones. */
#define J(port, in, hasttfb, ttfb, app, pid, end, why, ru, u, sy, rss) \
	port, in, hasttfb, ttfb, app, pid, end, why, ru, u, sy, rss
/* none of them (the combined format's cases) */
#define J0	J(0, 0, 0, 0, NULL, 0, LOG_END_COMPLETE, NULL, 0, 0, 0, 0)

static const struct access_case {
	struct log_access_entry	 e;
	time_t			 now;
	const char		*line;
} access_cases[] = {
	/* every field, a CLF date with a two-digit day */
	{ { "127.0.0.1", "GET", 3, "/x", 2, 1, 200, 5, "http://r/", 9,
	    "curl/8", 6, 1234, J0 }, 1795934412,
	  "127.0.0.1 - - [29/Nov/2026:06:40:12 +0000] \"GET /x HTTP/1.1\" "
	  "200 5 \"http://r/\" \"curl/8\" 1234\n" },
	/* a one-digit day is zero-padded; HTTP/1.0 */
	{ { "10.0.0.1", "HEAD", 4, "/", 1, 0, 304, 0, NULL, 0, NULL, 0, 0, J0 },
	  946684800,
	  "10.0.0.1 - - [01/Jan/2000:00:00:00 +0000] \"HEAD / HTTP/1.0\" "
	  "304 0 \"-\" \"-\" 0\n" },
	/* no request line parsed (a 400 before the method) */
	{ { NULL, NULL, 0, NULL, 0, 1, 400, 11, NULL, 0, NULL, 0,
	    18446744073709551615ULL, J0 }, 1927857906,
	  "- - - [03/Feb/2031:04:05:06 +0000] \"-\" 400 11 \"-\" \"-\" "
	  "18446744073709551615\n" },
	/* quotes, backslashes, control and high bytes are escaped */
	{ { "::1", "GET", 3, "/a\"b\\c\n\x7f\xff", 9, 1, 200, 1,
	    "x\" 200", 6, "a\r\nb\tc", 6, 1, J0 }, 1795934412,
	  "::1 - - [29/Nov/2026:06:40:12 +0000] "
	  "\"GET /a\\x22b\\x5cc\\x0a\\x7f\\xff HTTP/1.1\" 200 1 "
	  "\"x\\x22 200\" \"a\\x0d\\x0ab\\x09c\" 1\n" },
	/* lengths are honoured: bytes after them are not logged */
	{ { "1.2.3.4", "POSTX", 4, "/abcdef", 3, 1, 201, 2, "refX", 3,
	    "uaX", 2, 7, J0 }, 1795934412,
	  "1.2.3.4 - - [29/Nov/2026:06:40:12 +0000] \"POST /ab HTTP/1.1\" "
	  "201 2 \"ref\" \"ua\" 7\n" },
};

/* t formatted by fmt: its line exactly; too small a buffer: nothing. */
static void
check_format(const struct access_case *t, size_t (*fmt)(char *, size_t,
    const struct log_access_entry *, time_t))
{
	char	buf[LOG_ACCESS_LINE_MAX];
	size_t	n;

	n = fmt(buf, sizeof(buf), &t->e, t->now);
	ck_assert_str_eq(buf, t->line);
	ck_assert_uint_eq(n, strlen(t->line));
	ck_assert_uint_eq(fmt(buf, sizeof(buf) - 1, &t->e, t->now), 0);
}

START_TEST(test_access_format)
{
	check_format(&access_cases[_i], log_format_access);
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


static const struct access_case json_cases[] = {
	/* every field, a CGI script's rusage */
	{ { "127.0.0.1", "GET", 3, "/x?a=1", 6, 1, 200, 5, "http://r/", 9,
	    "curl/8", 6, 1234, J(40000, 78, 1, 800, "hello", 4321,
	    LOG_END_COMPLETE, NULL, 1, 1500, 250, 2048) }, 1795934412,
	  "{\"time\":\"2026-11-29T06:40:12Z\",\"remote_addr\":\"127.0.0.1\","
	  "\"remote_port\":40000,\"method\":\"GET\",\"target\":\"/x?a=1\","
	  "\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes_in\":78,"
	  "\"bytes_out\":5,\"duration_us\":1234,\"ttfb_us\":800,"
	  "\"referer\":\"http://r/\",\"user_agent\":\"curl/8\","
	  "\"app\":\"hello\",\"pid\":4321,\"end\":\"complete\","
	  "\"end_reason\":null,\"cgi_user_us\":1500,\"cgi_sys_us\":250,"
	  "\"cgi_maxrss_kb\":2048}\n" },
	/* nothing known: nulls; no rusage keys; the end's reason ignored
	   for a complete request */
	{ { NULL, NULL, 0, "/x", 2, 0, 400, 11, NULL, 0, NULL, 0, 0,
	    J(0, 0, 0, 99, NULL, 0, LOG_END_COMPLETE, "ignored", 0, 1, 1,
	    1) }, 946684800,
	  "{\"time\":\"2000-01-01T00:00:00Z\",\"remote_addr\":null,"
	  "\"remote_port\":0,\"method\":null,\"target\":null,"
	  "\"protocol\":null,\"status\":400,\"bytes_in\":0,\"bytes_out\":11,"
	  "\"duration_us\":0,\"ttfb_us\":null,\"referer\":null,"
	  "\"user_agent\":null,\"app\":null,\"pid\":null,"
	  "\"end\":\"complete\",\"end_reason\":null}\n" },
	/* a client that left: 499 and its reason; HTTP/1.0 */
	{ { "::1", "POST", 4, "/up", 3, 0, 499, 0, NULL, 0, NULL, 0, 7,
	    J(1, 100, 0, 0, "fcgi", 9, LOG_END_GONE, "client reset", 0, 0,
	    0, 0) }, 1795934412,
	  "{\"time\":\"2026-11-29T06:40:12Z\",\"remote_addr\":\"::1\","
	  "\"remote_port\":1,\"method\":\"POST\",\"target\":\"/up\","
	  "\"protocol\":\"HTTP/1.0\",\"status\":499,\"bytes_in\":100,"
	  "\"bytes_out\":0,\"duration_us\":7,\"ttfb_us\":null,"
	  "\"referer\":null,\"user_agent\":null,\"app\":\"fcgi\",\"pid\":9,"
	  "\"end\":\"gone\",\"end_reason\":\"client reset\"}\n" },
	/* timeout and hijacked */
	{ { "h", "GET", 3, "/", 1, 1, 504, 0, NULL, 0, NULL, 0, 1,
	    J(2, 3, 1, 0, "a", 5, LOG_END_TIMEOUT, "request timeout", 0, 0,
	    0, 0) }, 1795934412,
	  "{\"time\":\"2026-11-29T06:40:12Z\",\"remote_addr\":\"h\","
	  "\"remote_port\":2,\"method\":\"GET\",\"target\":\"/\","
	  "\"protocol\":\"HTTP/1.1\",\"status\":504,\"bytes_in\":3,"
	  "\"bytes_out\":0,\"duration_us\":1,\"ttfb_us\":0,"
	  "\"referer\":null,\"user_agent\":null,\"app\":\"a\",\"pid\":5,"
	  "\"end\":\"timeout\",\"end_reason\":\"request timeout\"}\n" },
	{ { "h", "GET", 3, "/", 1, 1, 101, 0, NULL, 0, NULL, 0, 1,
	    J(2, 3, 1, 0, "a", 5, LOG_END_HIJACKED, NULL, 0, 0, 0, 0) },
	  1795934412,
	  "{\"time\":\"2026-11-29T06:40:12Z\",\"remote_addr\":\"h\","
	  "\"remote_port\":2,\"method\":\"GET\",\"target\":\"/\","
	  "\"protocol\":\"HTTP/1.1\",\"status\":101,\"bytes_in\":3,"
	  "\"bytes_out\":0,\"duration_us\":1,\"ttfb_us\":0,"
	  "\"referer\":null,\"user_agent\":null,\"app\":\"a\",\"pid\":5,"
	  "\"end\":\"hijacked\",\"end_reason\":null}\n" },
	/* hostile bytes: '"' is \", '\\' and bytes not UTF-8 the text
	   \xHH, control bytes \u00XX, valid UTF-8 (2, 3 and 4 bytes) kept;
	   overlong, surrogate, past U+10FFFF and cut sequences are not
	   UTF-8 */
	{ { "a\"b", "G\\T", 3, "/\"\\\n\x01\x7f\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80", 15, 1, 200, 0,
	    "\x80\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82", 12,
	    "\t}\"{", 4, 0,
	    J(0, 0, 0, 0, "x\ny", 0, LOG_END_GONE, "r\"", 0, 0, 0, 0) },
	  1795934412,
	  "{\"time\":\"2026-11-29T06:40:12Z\",\"remote_addr\":\"a\\\"b\","
	  "\"remote_port\":0,\"method\":\"G\\\\x5cT\","
	  "\"target\":\"/\\\"\\\\x5c\\u000a\\u0001\\u007f\xc3\xa9\xe2\x82\xac"
	  "\xf0\x9f\x98\x80\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
	  "\"bytes_in\":0,\"bytes_out\":0,\"duration_us\":0,"
	  "\"ttfb_us\":null,"
	  "\"referer\":\"\\\\x80\\\\xc0\\\\xaf\\\\xed\\\\xa0\\\\x80\\\\xf4"
	  "\\\\x90\\\\x80\\\\x80\\\\xe2\\\\x82\","
	  "\"user_agent\":\"\\u0009}\\\"{\",\"app\":\"x\\u000ay\","
	  "\"pid\":null,\"end\":\"gone\",\"end_reason\":\"r\\\"\"}\n" },
};

START_TEST(test_json_format)
{
	check_format(&json_cases[_i], log_format_json);
}
END_TEST

/* Huge fields of multi-byte units are cut between units, with "...",
   and the line stays bounded with one newline. */
START_TEST(test_json_long)
{
	struct log_access_entry	 e;
	char			*big, buf[LOG_ACCESS_LINE_MAX], *p;
	size_t			 n, i;

	ck_assert_ptr_nonnull(big = malloc(100001));
	for (i = 0; i + 3 <= 100000; i += 3)
		memcpy(big + i, i % 2 ? "\xe2\x82\xac" : "\x01\x80\"", 3);
	big[99999] = 'z';
	big[100000] = '\0';
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
	e.app = big + 99999;
	e.status = 200;
	n = log_format_json(buf, sizeof(buf), &e, 0);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), n);
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
	for (i = 0, p = buf; (p = strstr(p, "...\"")) != NULL; p += 3)
		i++;
	ck_assert_uint_eq(i, 4);
	ck_assert_ptr_nonnull(strstr(buf, "\"app\":\"z\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"end\":\"complete\","
	    "\"end_reason\":null}\n"));
	free(big);
}
END_TEST

/* A Unix datagram socket bound at tmpdir/log, as syslogd's /dev/log. */
static int
syslog_sink(char *path, size_t cap)
{
	struct sockaddr_un	sun;
	int			fd;

	snprintf(path, cap, "%s/log", tmpdir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* The next datagram, NUL-terminated, without waiting. */
static ssize_t
syslog_recv(int fd, char *buf, size_t cap)
{
	ssize_t	n = recv(fd, buf, cap - 1, MSG_DONTWAIT);

	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

/*
 * error_log = syslog: one RFC 3164 datagram a line with the facility and
 * level's priority, no newline; a restarted syslogd is found again; a
 * socket that is not there fails log_configure; back to a file.
 */
START_TEST(test_log_syslog)
{
	char		 spath[PATH_MAX + 32], epath[PATH_MAX + 32], buf[4096],
			 want[128];
	struct log_conf	 lc = { LOG_SYSLOG, LOG_OFF, LOG_LEVEL_INFO,
		LOG_FORMAT_COMBINED, LOG_FAC_LOCAL3 };
	int		 fd;
	const char	*p;

	make_tmpdir();
	fd = syslog_sink(spath, sizeof(spath));
	ck_assert_int_eq(setenv(LOG_SYSLOG_ENV, spath, 1), 0);
	ck_assert_int_eq(log_configure(&lc), 0);
	ck_assert_int_eq(log_error_fd(), 2);
	log_warnx("to syslog\n%d", 1);
	log_debug("not shown");
	ck_assert_int_gt(syslog_recv(fd, buf, sizeof(buf)), 0);
	/* local3 (19) * 8 + warning (4) */
	ck_assert_msg(strncmp(buf, "<156>", 5) == 0, "%s", buf);
	ck_assert_ptr_nonnull(p = strchr(buf, ' '));	/* Mmm dd hh:mm:ss */
	ck_assert_uint_eq(strlen(buf + 5) > 16, 1);
	ck_assert_int_eq(buf[5 + 15], ' ');
	snprintf(want, sizeof(want), "ferryd[%ld]: warn: to syslog\\x0a1",
	    (long)getpid());
	ck_assert_str_eq(buf + 5 + 16, want);
	ck_assert_int_eq(syslog_recv(fd, buf, sizeof(buf)), -1);

	/* syslogd restarts: a new socket at the same path */
	close(fd);
	unlink(spath);
	fd = syslog_sink(spath, sizeof(spath));
	log_info("after restart");
	ck_assert_int_gt(syslog_recv(fd, buf, sizeof(buf)), 0);
	ck_assert_msg(strncmp(buf, "<158>", 5) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "]: info: after restart"));
	ck_assert_int_eq(log_reopen(), 0);
	log_err("fatal at start-up");
	ck_assert_int_gt(syslog_recv(fd, buf, sizeof(buf)), 0);
	ck_assert_msg(strncmp(buf, "<155>", 5) == 0, "%s", buf);

	/* no socket there: the old logs stay */
	close(fd);
	unlink(spath);
	ck_assert_int_eq(log_configure(&lc), -1);
	ck_assert_int_eq(log_error_fd(), 2);

	/* a reload to a file: syslog is let go */
	snprintf(epath, sizeof(epath), "%s/e.log", tmpdir);
	lc.error_path = epath;
	ck_assert_int_eq(log_configure(&lc), 0);
	log_warnx("in the file");
	log_close();
	read_file(epath, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "]: warn: in the file\n"));
	unsetenv(LOG_SYSLOG_ENV);
}
END_TEST

/*
 * stderr is the journal (JOURNAL_STREAM names its device and inode):
 * error lines carry sd-daemon's <N> prefix and no time stamp; log_early
 * at <3>.  JOURNAL_STREAM naming another file: lines as usual.
 */
START_TEST(test_log_journal)
{
	static const char want[] = "<4>warn: w\n<6>info: i\n<7>debug: d\n"
	    "<3>error: e\n<3>ferryd: bad key\n";
	char		path[PATH_MAX + 32], js[64], buf[4096];
	struct stat	st;
	int		fd, saved;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/journal", tmpdir);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_ne(saved = dup(2), -1);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", js, 1), 0);
	ck_assert_int_eq(log_open(NULL, LOG_OFF, LOG_LEVEL_DEBUG), 0);
	log_warnx("w");
	log_info("i");
	log_debug("d");
	log_errx("e");
	log_early("bad key");
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + 1);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", js, 1), 0);
	ck_assert_int_eq(log_open(NULL, LOG_OFF, LOG_LEVEL_DEBUG), 0);
	log_warnx("plain");
	log_early("plain early");
	log_close();
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	read_file(path, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "Z ferryd["));
	ck_assert_ptr_nonnull(strstr(buf, "]: warn: plain\nferryd: plain "
	    "early\n"));
}
END_TEST

/* access_log_format = json through log_configure: JSON lines in the
   file; log_open keeps the format. */
START_TEST(test_log_json_file)
{
	char		 apath[PATH_MAX + 32], buf[4096];
	struct log_conf	 lc = { NULL, NULL, LOG_LEVEL_INFO, LOG_FORMAT_JSON,
		LOG_FAC_DAEMON };
	struct log_access_entry e;

	make_tmpdir();
	snprintf(apath, sizeof(apath), "%s/a.log", tmpdir);
	lc.access_path = apath;
	memset(&e, 0, sizeof(e));
	e.status = 204;
	ck_assert_int_eq(log_configure(&lc), 0);
	log_access(&e);
	ck_assert_int_eq(log_open(NULL, apath, LOG_LEVEL_INFO), 0);
	log_access(&e);
	lc.format = LOG_FORMAT_COMBINED;
	ck_assert_int_eq(log_configure(&lc), 0);
	log_access(&e);
	log_close();
	read_file(apath, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"status\":204,"));
	ck_assert_ptr_nonnull(strstr(strstr(buf, "\"status\":204,") + 1,
	    "\"status\":204,"));
	ck_assert_ptr_nonnull(strstr(buf, "}\n- - - ["));
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
	tcase_add_loop_test(tc, test_json_format, 0,
	    sizeof(json_cases) / sizeof(json_cases[0]));
	tcase_add_test(tc, test_json_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, NULL, rm_tmpdir);
	tcase_add_test(tc, test_log_files);
	tcase_add_test(tc, test_log_buffered);
	tcase_add_test(tc, test_log_syslog);
	tcase_add_test(tc, test_log_journal);
	tcase_add_test(tc, test_log_json_file);
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
