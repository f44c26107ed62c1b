/*
 * Close-notify across the process boundary (DESIGN.md, "Close-notify
 * semantics"), ported from Go's serve_test.go where named, against a real
 * ferryd and a real libferry app: examples/longpoll, which waits for an
 * event, its timeout, or a notification, and logs what it saw to stderr
 * (ferryd's error log): "request N: client left after ...", or answers
 * "pipelined" / "timeout".
 */
#include "config.h"

#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static void	notify_start(struct ferryd *);
static int	log_count(const struct ferryd *, const char *);
static int	wait_log(const struct ferryd *, const char *, int, int);

static void
notify_start(struct ferryd *f)
{
	const char	*ex = getenv("FERRY_TEST_EXAMPLES");
	static char	 app[1024];
	const char	*argv[5];

	ck_assert_msg(ex != NULL, "FERRY_TEST_EXAMPLES is not set: run with "
	    "make check");
	snprintf(app, sizeof(app), "/poll=%s/longpoll/longpoll", ex);
	argv[0] = "--app";
	argv[1] = app;
	argv[2] = "--workers";
	argv[3] = "1";
	argv[4] = NULL;
	memset(f, 0, sizeof(*f));
	harness_start(f, NULL, argv);
}

/* How often needle occurs in ferryd's logs. */
static int
log_count(const struct ferryd *f, const char *needle)
{
	char		*logs = harness_logs(f), *p;
	int		 n = 0;

	for (p = logs; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(logs);
	return n;
}

/* Waits up to ms for needle to occur want times; returns the count. */
static int
wait_log(const struct ferryd *f, const char *needle, int want, int ms)
{
	long long	 deadline = harness_now_ms() + ms;
	int		 n;

	while ((n = log_count(f, needle)) < want &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(20);
	return n;
}

/* TestCloseNotifier: the client sends a request and closes while the
   handler waits: the handler hears GONE, exactly once, long before its
   own 10 s timeout. */
START_TEST(test_close_notifier)
{
	struct ferryd	 f;
	struct hc	 c;

	notify_start(&f);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	harness_sleep_ms(300);
	hc_close(&c);
	HARNESS_ASSERT(&f, wait_log(&f, "request 1: client left", 1, 5000) ==
	    1, "the handler did not hear that its client left");
	harness_sleep_ms(300);
	HARNESS_ASSERT(&f, log_count(&f, ": client left after") == 1,
	    "GONE arrived more than once");
	HARNESS_ASSERT(&f, log_count(&f, "sending close-notify") == 1,
	    "the master sent close-notify %d times",
	    log_count(&f, "sending close-notify"));
	harness_stop_ok(&f);
}
END_TEST

/* TestCloseNotifierPipelined: two pipelined GETs from a client that
   stays: both are answered in order; the first handler hears PIPELINED
   (the second request was already waiting), the second does not, and
   neither hears GONE. */
START_TEST(test_close_notifier_pipelined)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	notify_start(&f);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /poll?wait=5 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /poll?wait=1 HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "pipelined\n") ==
	    0, "first: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "timeout\n") ==
	    0, "second: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, log_count(&f, ": client left after") == 0,
	    "a handler heard GONE from a client that stayed");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Beyond Go (golang/go#37145): after PIPELINED the master keeps
   watching the connection, so a reset of the client still reaches a
   handler as GONE.  (longpoll answers as soon as it hears PIPELINED, so
   the GONE is seen by the last request, which has nothing behind it.) */
START_TEST(test_pipelined_then_reset)
{
	struct ferryd		 f;
	struct hc		 c;
	struct linger		 lg = { 1, 0 };

	notify_start(&f);
	hc_open(&c, &f);
	/* The first is answered at once (pipelined); the second waits. */
	hc_sendstr(&c, "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	HARNESS_ASSERT(&f, wait_log(&f, "request 2: pipelined", 1, 5000) == 1,
	    "the second request did not hear of the third");
	harness_sleep_ms(200);
	/* An abortive close: RST instead of FIN. */
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	hc_close(&c);
	HARNESS_ASSERT(&f, wait_log(&f, "request 3: client left after", 1,
	    5000) == 1,
	    "a reset after pipelining did not reach the handler as GONE");
	harness_stop_ok(&f);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("close-notify");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_close_notifier);
	tcase_add_test(tc, test_close_notifier_pipelined);
	tcase_add_test(tc, test_pipelined_then_reset);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
