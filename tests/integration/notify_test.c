/*
 * Close-notify across the process boundary (doc/ARCHITECTURE.md,
 * "Close-notify rules"), ported from Go's serve_test.go where named, against a real
 * ferryd and a real libferry app: examples/longpoll, which waits for an
 * event, its timeout, or a notification, and logs what it saw to stderr
 * (ferryd's error log): "request N: client left after ...", or answers
 * "pipelined" / "timeout"; and tests/ferry-apps/notifyapp, whose /watch
 * handler waits for the reasons a test names, one after the other, and
 * writes what it saw, line by line and tagged per request, to a log file
 * of its own (the notifyapp_* helpers below read it).
 */
#include "config.h"

#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "worker/ferry.h"

static void	notify_start(struct ferryd *);
static void	notifyapp_start(struct ferryd *, char *, size_t);
static int	notifyapp_count(const char *, const char *);
static int	notifyapp_wait(const struct ferryd *, const char *,
		    const char *, int);
static void	expect_body(struct ferryd *, struct hc *, const char *,
		    const char *, const char *);
static Suite	*notify_suite(void);

static void
notify_start(struct ferryd *f)
{
	char	app[1024];

	snprintf(app, sizeof(app), "%s/longpoll/longpoll",
	    harness_env_path("FERRY_TEST_EXAMPLES"));
	harness_start_app(f, NULL, "/poll", app, NULL);
}

/* ferryd with one notifyapp worker at /n/, logging to f->dir/notify.log
   (its path in log). */
static void
notifyapp_start(struct ferryd *f, char *log, size_t loglen)
{
	const char	*apps = harness_env_path("FERRY_TEST_FERRY_APPS");
	char		 conf[2048];

	snprintf(conf, sizeof(conf),
	    "[server]\n"
	    "log_level = debug\n"
	    "[app notify]\n"
	    "type = fastcgi\n"
	    "prefix = /n/\n"
	    "command = %s/notifyapp\n"
	    "args = --log @DIR@/notify.log\n"
	    "workers = 1\n", apps);
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
	snprintf(log, loglen, "%s/notify.log", f->dir);
}

/* How many lines of notifyapp's log are exactly line. */
static int
notifyapp_count(const char *log, const char *line)
{
	char		*all = harness_read_file(log, NULL), *p, *nl;
	size_t		 ll = strlen(line);
	int		 n = 0;

	if (all == NULL)
		return 0;
	for (p = all; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if ((size_t)(nl - p) == ll && memcmp(p, line, ll) == 0)
			n++;
	}
	free(all);
	return n;
}

/* Waits up to ms for line in notifyapp's log; fails the test without it,
   showing the log. */
static int
notifyapp_wait(const struct ferryd *f, const char *log, const char *line,
    int ms)
{
	long long	 deadline = harness_now_ms() + ms;
	char		*all;

	while (notifyapp_count(log, line) == 0) {
		if (harness_now_ms() >= deadline) {
			all = harness_read_file(log, NULL);
			harness_fail(f, __FILE__, __LINE__, "no \"%s\" in "
			    "notifyapp's log within %d ms; it has:\n%s", line,
			    ms, all != NULL ? all : "(nothing)");
		}
		harness_sleep_ms(10);
	}
	return 1;
}

/* Reads one response and fails unless it is a 200 with body want, or
   with body alt when alt is not NULL. */
static void
expect_body(struct ferryd *f, struct hc *c, const char *what,
    const char *want, const char *alt)
{
	struct hc_response	r;

	hc_expect_response(c, &r, 0);
	HARNESS_ASSERT(f, r.status == 200 && (strcmp(r.body, want) == 0 ||
	    (alt != NULL && strcmp(r.body, alt) == 0)),
	    "%s: %d \"%s\", want 200 \"%s\"%s%s%s", what, r.status, r.body,
	    want, alt != NULL ? " or \"" : "", alt != NULL ? alt : "",
	    alt != NULL ? "\"" : "");
	hc_response_free(&r);
}

/* TestCloseNotifier: the client sends a request and closes while the
   handler waits: the handler hears GONE, exactly once, long before its
   own 10 s timeout. */
START_TEST(test_close_notifier)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	notify_start(&f);
	/* The worker must be serving, not still starting (a slow start
	   under load): a request that is still queued when its client
	   leaves never reaches a handler. */
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /poll?wait=1 HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	hc_response_free(&r);
	hc_close(&c);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	harness_sleep_ms(300);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_log(&f, ": client left after", 1,
	    5000) == 1, "the handler did not hear that its client left");
	harness_sleep_ms(300);
	HARNESS_ASSERT(&f, harness_log_count(&f, ": client left after") == 1,
	    "GONE arrived more than once");
	HARNESS_ASSERT(&f, harness_log_count(&f, "sending close-notify") == 1,
	    "the master sent close-notify %d times",
	    harness_log_count(&f, "sending close-notify"));
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
	HARNESS_ASSERT(&f, harness_log_count(&f, ": client left after") == 0,
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
	HARNESS_ASSERT(&f, harness_wait_log(&f, "request 2: pipelined", 1,
	    5000) == 1, "the second request did not hear of the third");
	harness_sleep_ms(200);
	/* An abortive close: RST instead of FIN. */
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_log(&f,
	    "request 3: client left after", 1, 5000) == 1,
	    "a reset after pipelining did not reach the handler as GONE");
	harness_stop_ok(&f);
}
END_TEST

/* Close-notify rule 5, in the handler itself: the handler that heard PIPELINED
   keeps waiting, now for GONE, and a reset of the client reaches it (Go
   stops watching at the first pipelined byte, golang/go#37145).  (A plain
   close() here would be a FIN after pipelined data: a half-close, not
   GONE; see test_pipelined_then_fin.) */
START_TEST(test_pipelined_then_reset_same_handler)
{
	struct ferryd	 f;
	struct hc	 c;
	struct linger	 lg = { 1, 0 };
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=pg&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n"
	    "GET /n/watch?tag=b&ms=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	notifyapp_wait(&f, log, "a got p", 5000);
	harness_sleep_ms(200);
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	hc_close(&c);
	notifyapp_wait(&f, log, "a got g", 4000);
	notifyapp_wait(&f, log, "a end 3", 1000);
	HARNESS_ASSERT(&f, notifyapp_count(log, "a timeout g") == 0,
	    "the handler timed out waiting for GONE");
	harness_stop_ok(&f);
}
END_TEST

/* The same behind 40 KiB of pipelined requests, more than ferryd's
   input buffer holds: ferryd stops reading the socket, and still sees the
   reset (Go does not, golang/go#37145). */
START_TEST(test_pipelined_40k_then_reset)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512];
	static const char next[] = "GET /n/watch?tag=b&ms=10 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n";
	char		*many;
	size_t		 i, n = 40 * 1024 / (sizeof(next) - 1) + 1;

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=pg&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	many = malloc(n * (sizeof(next) - 1));
	ck_assert_ptr_nonnull(many);
	for (i = 0; i < n; i++)
		memcpy(many + i * (sizeof(next) - 1), next, sizeof(next) - 1);
	hc_send(&c, many, n * (sizeof(next) - 1));
	free(many);
	notifyapp_wait(&f, log, "a got p", 5000);
	harness_sleep_ms(200);
	hc_reset(&c);
	notifyapp_wait(&f, log, "a got g", 1000);
	HARNESS_ASSERT(&f, notifyapp_count(log, "a timeout g") == 0,
	    "the handler timed out waiting for GONE");
	harness_stop_ok(&f);
}
END_TEST

/* Pipelined requests, then FIN (shutdown(SHUT_WR), the client of Go's
   TestServerHijackGetsBackgroundByte): a half-close.  The first handler
   hears PIPELINED (maybe already at its start: the second request came
   in the same segment) and, waiting on, no GONE; the second hears
   nothing; both answers arrive in order, then the connection closes. */
START_TEST(test_pipelined_then_fin)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=pg&ms=1500 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n"
	    "GET /n/watch?tag=b&steps=g&ms=1000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a got p", 5000);
	hc_shutdown_write(&c);
	expect_body(&f, &c, "first", "start=0 end=2\n",
	    "start=2 end=2\n");
	expect_body(&f, &c, "second", "start=0 end=0\n", NULL);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stayed open after the last answer");
	HARNESS_ASSERT(&f, notifyapp_count(log, "a timeout g") == 1 &&
	    notifyapp_count(log, "b timeout g") == 1,
	    "a half-close after pipelining was taken for GONE");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A half-close after a whole request (shutdown(SHUT_WR), netcat): the
   handler hears GONE, as Go's and nginx's cancel, and the answer it
   gives anyway is delivered, as Go delivers it; then the connection
   closes. */
START_TEST(test_half_close_gone_answered)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512], want[64];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=g&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	hc_shutdown_write(&c);
	notifyapp_wait(&f, log, "a got g", 2000);
	snprintf(want, sizeof(want), "start=0 end=%d\n", FERRY_GONE);
	expect_body(&f, &c, "the answer after GONE", want, NULL);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stayed open after the answer");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Close-notify rule 1, across requests on one worker: request a hears GONE
   (its client closed); request b, the worker's next, from another
   client, hears nothing, neither at its start nor while it waits. */
START_TEST(test_gone_not_inherited_by_next_request)
{
	struct ferryd	 f;
	struct hc	 c, d;
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=g&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	hc_close(&c);
	notifyapp_wait(&f, log, "a got g", 5000);
	notifyapp_wait(&f, log, "a end 1", 1000);
	hc_open(&d, &f);
	hc_sendstr(&d, "GET /n/watch?tag=b&steps=a&ms=1000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	expect_body(&f, &d, "the next request", "start=0 end=0\n", NULL);
	HARNESS_ASSERT(&f, notifyapp_count(log, "b timeout a") == 1,
	    "the next request on the worker heard a notification");
	hc_close(&d);
	harness_stop_ok(&f);
}
END_TEST

/* Close-notify rule 1, across requests on one connection: a hears PIPELINED
   (b waits behind it); b and then c, on the same kept connection and the
   same worker, hear nothing. */
START_TEST(test_pipelined_not_inherited_on_connection)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=p&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n"
	    "GET /n/watch?tag=b&steps=a&ms=800 HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_body(&f, &c, "first", "start=0 end=2\n",
	    "start=2 end=2\n");
	expect_body(&f, &c, "second", "start=0 end=0\n", NULL);
	hc_sendstr(&c, "GET /n/watch?tag=c&steps=a&ms=500 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	expect_body(&f, &c, "third", "start=0 end=0\n", NULL);
	HARNESS_ASSERT(&f, notifyapp_count(log, "a got p") == 1 &&
	    notifyapp_count(log, "b timeout a") == 1 &&
	    notifyapp_count(log, "c timeout a") == 1,
	    "a notification reached a later request of the connection");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("close-notify");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_close_notifier);
	tcase_add_test(tc, test_close_notifier_pipelined);
	tcase_add_test(tc, test_pipelined_then_reset);
	tcase_add_test(tc, test_pipelined_then_reset_same_handler);
	tcase_add_test(tc, test_pipelined_40k_then_reset);
	tcase_add_test(tc, test_pipelined_then_fin);
	tcase_add_test(tc, test_half_close_gone_answered);
	tcase_add_test(tc, test_gone_not_inherited_by_next_request);
	tcase_add_test(tc, test_pipelined_not_inherited_on_connection);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(notify_suite(), "ferry-notify");
}
