/*
 * The access log a machine can read (access_log_format = json) and the
 * error log to syslog or the journal, through a real ferryd: real
 * clients, CGI scripts, FastCGI and libferry workers.  Every JSON line
 * is parsed by python3's json module (tests/integration/jsonlog.py), and
 * the fields a test drives are checked exactly.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define AL_JSON		"[server]\naccess_log_format = json\n"

static char	*al_fields(const struct ferryd *, const char *,
		    const char *const[]);
static void	 al_expect(const struct ferryd *, const char *,
		    const char *const[], const char *);
static Suite	*accesslog_suite(void);

/*
 * The keys of the last JSON line for target, as jsonlog.py prints them,
 * once the line is in the access log (every line of which must parse).
 */
static char *
al_fields(const struct ferryd *f, const char *target, const char *const keys[])
{
	const char	*argv[40];
	char		 script[1024], needle[512];
	const char	*top = getenv("top_srcdir");
	char		*out = NULL;
	size_t		 n = 0, i;
	int		 rc;

	snprintf(script, sizeof(script), "%s/tests/integration/jsonlog.py",
	    top != NULL ? top : ".");
	snprintf(needle, sizeof(needle), "\"target\":\"%s\"", target);
	free(harness_wait_text(f->access_log, needle, 10000));
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = f->access_log;
	argv[n++] = target;
	for (i = 0; keys[i] != NULL && n < 39; i++)
		argv[n++] = keys[i];
	argv[n] = NULL;
	rc = harness_run(argv, &out, 10000);
	HARNESS_ASSERT(f, rc == 0, "jsonlog.py %s: exit %d: %s", target, rc,
	    out != NULL ? out : "");
	return out;
}

/* The fields of target's line are exactly want. */
static void
al_expect(const struct ferryd *f, const char *target, const char *const keys[],
    const char *want)
{
	char	*got = al_fields(f, target, keys);

	HARNESS_ASSERT(f, strcmp(got, want) == 0, "%s: got\n%s\nwant\n%s",
	    target, got, want);
	free(got);
}

static const char *const al_common[] = { "remote_addr", "remote_port",
	"method", "target", "protocol", "status", "bytes_in", "bytes_out",
	"duration_us#", "ttfb_us#", "referer", "user_agent", "app", "pid",
	"end", "end_reason", "cgi_user_us#", "cgi_sys_us+", "cgi_maxrss_kb#",
	NULL };

/*
 * A CGI request: every field, the script's own pid, bytes in and out as
 * sent, and its rusage (it was reaped before its response ended).
 */
START_TEST(test_json_cgi)
{
	static const char	 req[] = "GET /cgi-bin/pid.sh HTTP/1.1\r\n"
	    "Host: t\r\nUser-Agent: al/1\r\nReferer: http://r/\r\n\r\n";
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 want[2048];
	long			 pid;

	memset(&f, 0, sizeof(f));
	harness_start(&f, AL_JSON, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(sscanf(r.body, "pid %ld", &pid), 1);
	snprintf(want, sizeof(want),
	    "remote_addr=\"127.0.0.1\"\nremote_port=%u\nmethod=\"GET\"\n"
	    "target=\"/cgi-bin/pid.sh\"\nprotocol=\"HTTP/1.1\"\nstatus=200\n"
	    "bytes_in=%zu\nbytes_out=%zu\nduration_us#=positive\n"
	    "ttfb_us#=positive\nreferer=\"http://r/\"\nuser_agent=\"al/1\"\n"
	    "app=\"/cgi-bin/\"\npid=%ld\nend=\"complete\"\nend_reason=null\n"
	    "cgi_user_us#=positive\ncgi_sys_us+=uint\n"
	    "cgi_maxrss_kb#=positive\n",
	    hc_local_port(&c), sizeof(req) - 1, r.body_len, pid);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
	al_expect(&f, "/cgi-bin/pid.sh", al_common, want);
}
END_TEST

/*
 * A FastCGI request: the worker's pid (the responder says it), the app's
 * name, a body in, no rusage keys; HTTP/1.0.
 */
START_TEST(test_json_fastcgi)
{
	static const char	 req[] = "POST /f/x?read&pid HTTP/1.0\r\n"
	    "Content-Length: 5\r\n\r\nhello";
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 want[2048], app[1024];

	snprintf(app, sizeof(app), "%s/responder",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	harness_start_fcgi(&f, "access_log_format = json\n", "/f", app,
	    "workers = 1\n");
	hc_open(&c, &f);
	hc_sendstr(&c, req);
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(hc_header(&r, "X-Pid"));
	snprintf(want, sizeof(want),
	    "remote_addr=\"127.0.0.1\"\nremote_port=%u\nmethod=\"POST\"\n"
	    "target=\"/f/x?read&pid\"\nprotocol=\"HTTP/1.0\"\nstatus=200\n"
	    "bytes_in=%zu\nbytes_out=%zu\nduration_us#=positive\n"
	    "ttfb_us#=positive\nreferer=null\nuser_agent=null\n"
	    "app=\"a\"\npid=%s\nend=\"complete\"\nend_reason=null\n"
	    "cgi_user_us# absent\ncgi_sys_us+ absent\n"
	    "cgi_maxrss_kb# absent\n",
	    hc_local_port(&c), sizeof(req) - 1, r.body_len,
	    hc_header(&r, "X-Pid"));
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
	al_expect(&f, "/f/x?read&pid", al_common, want);
}
END_TEST

/*
 * A client that leaves while its FastCGI worker works: 499, "gone" and
 * the reason ferryd closed it for; no byte of a response (ttfb null).
 */
START_TEST(test_json_client_gone)
{
	static const char *const keys[] = { "status", "bytes_out", "ttfb_us#",
		"end", "end_reason", "pid#", NULL };
	struct ferryd	 f;
	struct hc	 c;
	char		 app[1024];

	snprintf(app, sizeof(app), "%s/responder",
	    harness_env_path("FERRY_TEST_FCGI_APPS"));
	harness_start_fcgi(&f, "access_log_format = json\n", "/f", app,
	    "workers = 1\n");
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /f/gone?sleep=3000 HTTP/1.1\r\nHost: t\r\n\r\n");
	harness_sleep_ms(300);
	hc_close(&c);
	al_expect(&f, "/f/gone?sleep=3000", keys, "status=499\nbytes_out=0\n"
	    "ttfb_us#=null\nend=\"gone\"\nend_reason=\"client gone\"\n"
	    "pid#=positive\n");
	harness_stop_ok(&f);
}
END_TEST

/* A hijack: the socket went to the libferry app. */
START_TEST(test_json_hijack)
{
	static const char *const keys[] = { "status", "end", "end_reason",
		"app", "pid#", NULL };
	struct ferryd	 f;
	struct hc	 c;

	harness_start_app(&f, AL_JSON, "/h",
	    harness_env_path("FERRY_TEST_HIJACK_APP"), NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/hijack HTTP/1.1\r\nHost: t\r\n\r\n");
	while (!c.eof && !c.reset)
		HARNESS_ASSERT(&f, hc_fill(&c, 10000) >= 0, "no EOF");
	HARNESS_ASSERT(&f, c.len > 17 && strncmp(c.buf, "HTTP/1.0 200 OK\r\n",
	    17) == 0, "not the app's answer: %.*s", (int)c.len, c.buf);
	hc_close(&c);
	al_expect(&f, "/h/hijack", keys, "status=0\nend=\"hijacked\"\n"
	    "end_reason=null\napp=\"/h\"\npid#=positive\n");
	harness_stop_ok(&f);
}
END_TEST

/*
 * Timeouts: a CGI script past request_timeout (504; its line is written
 * before the script is reaped, so without its rusage), and a request
 * body that stops coming (408, body_timeout).
 */
START_TEST(test_json_timeouts)
{
	static const char *const keys[] = { "status", "end", "end_reason",
		"bytes_in", "cgi_user_us#", NULL };
	static const char slow[] = "GET /slow/work.sh?5 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n";
	static const char stalled[] = "POST /slow/work.sh?0 HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: 10\r\n\r\nab";
	struct ferryd	 f;
	struct hc	 c;
	struct hc_response r;
	char		 want[512];

	memset(&f, 0, sizeof(f));
	harness_start(&f, "[server]\naccess_log_format = json\n"
	    "body_timeout = 1\n[app slow]\ntype = cgi\nprefix = /slow/\n"
	    "root = @CGI_BIN@\nrequest_timeout = 1\n", NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, slow);
	hc_expect_response(&c, &r, 0);
	ck_assert_int_eq(r.status, 504);
	hc_response_free(&r);
	hc_close(&c);
	snprintf(want, sizeof(want), "status=504\nend=\"timeout\"\n"
	    "end_reason=\"request timeout\"\nbytes_in=%zu\n"
	    "cgi_user_us# absent\n", sizeof(slow) - 1);
	al_expect(&f, "/slow/work.sh?5", keys, want);

	hc_open(&c, &f);
	hc_sendstr(&c, stalled);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 10000), "not closed");
	hc_close(&c);
	snprintf(want, sizeof(want), "status=408\nend=\"timeout\"\n"
	    "end_reason=\"request body timeout\"\nbytes_in=%zu\n"
	    "cgi_user_us# absent\n", sizeof(stalled) - 1);
	al_expect(&f, "/slow/work.sh?0", keys, want);
	harness_stop_ok(&f);
}
END_TEST

/*
 * Hostile bytes in a field: quotes, backslashes, control and invalid
 * UTF-8 bytes, and valid UTF-8, each as jsonlog.py decodes them.
 */
START_TEST(test_json_hostile)
{
	static const char *const keys[] = { "user_agent", "referer", NULL };
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	memset(&f, 0, sizeof(f));
	harness_start(&f, AL_JSON, NULL);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: t\r\n"
	    "User-Agent: a\"b\\c\xff\x80\xc3\xa9}\r\n"
	    "Referer: x\ty\xe2\x82\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	hc_response_free(&r);
	hc_close(&c);
	al_expect(&f, "/cgi-bin/hello.sh", keys,
	    "user_agent=\"a\\\"b\\\\x5cc\\\\xff\\\\x80\\u00e9}\"\n"
	    "referer=\"x\\ty\\\\xe2\\\\x82\"\n");
	harness_stop_ok(&f);
}
END_TEST

/* A datagram socket bound at path, as syslogd's /dev/log. */
static int
al_syslog_sink(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	unlink(path);
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Waits up to 10 s for a datagram holding needle; returns 1 when one
   came (the ones before it are dropped). */
static int
al_syslog_wait(int fd, const char *needle, char *buf, size_t cap)
{
	long long	deadline = harness_now_ms() + 10000;
	ssize_t		n;

	while (harness_now_ms() < deadline) {
		n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
		if (n < 0) {
			harness_sleep_ms(20);
			continue;
		}
		buf[n] = '\0';
		if (strstr(buf, needle) != NULL)
			return 1;
	}
	return 0;
}

/*
 * error_log = syslog: ferryd's lines come as datagrams with the facility
 * and the level's priority; a reload (SIGHUP) to another facility is
 * heard at once.  The test's socket stands for /dev/log
 * (FERRYD_TEST_SYSLOG_PATH).
 */
START_TEST(test_syslog)
{
	static const char *const extra[] = { "--error-log", "syslog", NULL };
	struct ferryd	 f;
	char		 path[256], buf[4096], want[64];
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/ferry-al-syslog.%ld",
	    (long)getpid());
	fd = al_syslog_sink(path);
	ck_assert_int_eq(setenv("FERRYD_TEST_SYSLOG_PATH", path, 1), 0);
	memset(&f, 0, sizeof(f));
	harness_start(&f, "[server]\nsyslog_facility = local5\n", extra);
	/* local5 (21) * 8 + info (6) */
	HARNESS_ASSERT(&f, al_syslog_wait(fd, " ready", buf, sizeof(buf)),
	    "no ready line by syslog");
	snprintf(want, sizeof(want), " ferryd[%ld]: info: ", (long)f.pid);
	HARNESS_ASSERT(&f, strncmp(buf, "<174>", 5) == 0 &&
	    strstr(buf, want) != NULL && buf[strlen(buf) - 1] != '\n',
	    "datagram: %s", buf);
	harness_write_conf(&f, "[server]\nsyslog_facility = user\n");
	ck_assert_int_eq(kill(f.pid, SIGHUP), 0);
	/* user (1) * 8 + info (6) */
	HARNESS_ASSERT(&f, al_syslog_wait(fd, "reload: configuration 2 in use",
	    buf, sizeof(buf)), "no reload line by syslog");
	HARNESS_ASSERT(&f, strncmp(buf, "<14>", 4) == 0, "datagram: %s", buf);
	harness_stop_ok(&f);
	HARNESS_ASSERT(&f, al_syslog_wait(fd, "stopped", buf, sizeof(buf)),
	    "no stop line by syslog");
	unsetenv("FERRYD_TEST_SYSLOG_PATH");
	close(fd);
	unlink(path);
}
END_TEST

/*
 * stderr is the journal (JOURNAL_STREAM names it): a fatal start-up
 * error, of the configuration or of a listener, is logged at error (<3>),
 * and a start that failed once the logs were open ends with "not
 * started" at error.
 */
START_TEST(test_journal_startup_errors)
{
	static const char *const cases[][3] = {
		{ "[server]\naccess_log_format = xml\n",
		  "<3>ferryd: ", "access_log_format: \"xml\"" },
		{ "[server]\nlisten = 127.0.0.1:@PORT@\n",
		  "<3>error: 127.0.0.1:", "\n<3>error: not started\n" },
	};
	char		 dir[256], conf[300], err[300], js[64], *text, *body;
	char		 port[16];
	const char	*ferryd = getenv("FERRYD");
	struct stat	 st;
	struct sockaddr_in sin;
	socklen_t	 len = sizeof(sin);
	size_t		 i;
	pid_t		 pid;
	int		 fd, ws, busy;

	/* A port in use, for the listener that cannot bind. */
	ck_assert_int_ne(busy = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(busy, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(busy, 1), 0);
	ck_assert_int_eq(getsockname(busy, (struct sockaddr *)&sin, &len), 0);
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	ck_assert_ptr_nonnull(ferryd);
	text = harness_tmpdir("ferry-al", 0);
	snprintf(dir, sizeof(dir), "%s", text);
	free(text);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(conf, sizeof(conf), "%s/f%zu.conf", dir, i);
		snprintf(err, sizeof(err), "%s/stderr%zu", dir, i);
		body = strdup(cases[i][0]);
		if ((text = strstr(body, "@PORT@")) != NULL) {
			*text = '\0';
			if (asprintf(&text, "%s%s\n", body, port) == -1)
				abort();
			free(body);
			body = text;
		}
		harness_write_file(conf, body, strlen(body), 0644);
		free(body);
		ck_assert_int_ne(fd = open(err, O_WRONLY | O_CREAT | O_TRUNC,
		    0644), -1);
		ck_assert_int_eq(fstat(fd, &st), 0);
		snprintf(js, sizeof(js), "%llu:%llu",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
		if ((pid = fork()) == 0) {
			dup2(fd, 2);
			setenv("JOURNAL_STREAM", js, 1);
			execl(ferryd, ferryd, "-c", conf, "--access-log", "off",
			    (char *)NULL);
			_exit(127);
		}
		ck_assert_int_gt(pid, 0);
		close(fd);
		ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
		ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) != 0);
		text = harness_read_file(err, NULL);
		ck_assert_ptr_nonnull(text);
		ck_assert_msg(strncmp(text, cases[i][1], strlen(cases[i][1]))
		    == 0 && strstr(text, cases[i][2]) != NULL, "case %zu: %s",
		    i, text);
		free(text);
	}
	close(busy);
	harness_rmtree(dir);
}
END_TEST

static Suite *
accesslog_suite(void)
{
	Suite	*s = suite_create("accesslog");
	TCase	*tc = tcase_create("json");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_json_cgi);
	tcase_add_test(tc, test_json_fastcgi);
	tcase_add_test(tc, test_json_client_gone);
	tcase_add_test(tc, test_json_hijack);
	tcase_add_test(tc, test_json_timeouts);
	tcase_add_test(tc, test_json_hostile);
	suite_add_tcase(s, tc);
	tc = tcase_create("errorlog");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_syslog);
	tcase_add_test(tc, test_journal_startup_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(accesslog_suite(), "ferry-accesslog");
}
