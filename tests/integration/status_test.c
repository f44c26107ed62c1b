/*
 * The status and health pages (issue 16; server/status.c, server/stats.c,
 * ferry-status(7)): the counters match, exactly, what the test drives
 * with real clients against real apps (CGI scripts, the libfcgi
 * responder, the libferry notifyapp and hijackapp); the JSON parses with
 * jq and the Prometheus text passes promtool's check; status_allow keeps
 * others out; the health page says ok, and draining once a graceful stop
 * began.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

/* The apps every test here runs. */
static void
st_start(struct ferryd *f, const char *server)
{
	char	conf[4096];

	snprintf(conf, sizeof(conf), "[server]\nstatus_path = /ferry-status\n"
	    "health_path = /ferry-health\nkill_grace = 0.5\n%s\n"
	    "[app c]\ntype = cgi\nprefix = /c/\nroot = @CGI_BIN@\n"
	    "max_processes = 1\nqueue = 1\n"
	    "[app f]\ntype = fastcgi\nprefix = /f\ncommand = %s/responder\n"
	    "workers = 1\n"
	    "[app n]\ntype = fastcgi\nprefix = /n\ncommand = %s/notifyapp\n"
	    "workers = 1\n"
	    "[app h]\ntype = fastcgi\nprefix = /h\ncommand = %s\n"
	    "workers = 1\n", server != NULL ? server : "",
	    harness_env_path("FERRY_TEST_FCGI_APPS"),
	    harness_env_path("FERRY_TEST_FERRY_APPS"),
	    harness_env_path("FERRY_TEST_HIJACK_APP"));
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* GET target; fails the test unless the status is want. */
static void
st_get(const struct ferryd *f, const char *target, int want)
{
	struct hc_response	r;

	hc_get(f, target, &r);
	HARNESS_ASSERT(f, r.status == want, "GET %s: %d, not %d", target,
	    r.status, want);
	hc_response_free(&r);
}

/* The status page as JSON, saved to f->dir/status.json; then jq's
   answer to expr on it (-c, one line, malloc'd). */
static char *
st_jq(const struct ferryd *f, const char *expr)
{
	struct hc_response	 r;
	char			 path[400], *out = NULL;
	const char		*argv[] = { "jq", "-c", expr, path, NULL };

	hc_get(f, "/ferry-status", &r);
	HARNESS_ASSERT(f, r.status == 200 && hc_header(&r, "Content-Type") !=
	    NULL && strcmp(hc_header(&r, "Content-Type"),
	    "application/json") == 0, "the status page: %d", r.status);
	harness_path(path, sizeof(path), f, "status.json");
	harness_write_file(path, r.body, r.body_len, 0644);
	hc_response_free(&r);
	HARNESS_ASSERT(f, harness_run(argv, &out, 10000) == 0, "jq %s: the "
	    "status page is not the JSON expected: %s", expr, out);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* Fails the test unless jq's answer to expr is want. */
static void
st_expect(const struct ferryd *f, const char *expr, const char *want)
{
	char	*got = st_jq(f, expr);

	HARNESS_ASSERT(f, strcmp(got, want) == 0, "%s: %s, not %s", expr, got,
	    want);
	free(got);
}

/* Waits up to 5 s for jq's answer to expr to be want. */
static void
st_wait(const struct ferryd *f, const char *expr, const char *want)
{
	long long	 deadline = harness_now_ms() + 5000;
	char		*got;

	for (;;) {
		got = st_jq(f, expr);
		if (strcmp(got, want) == 0 || harness_now_ms() > deadline)
			break;
		free(got);
		harness_sleep_ms(20);
	}
	HARNESS_ASSERT(f, strcmp(got, want) == 0, "%s: %s, not %s after 5 s",
	    expr, got, want);
	free(got);
}

#define APP(n)	".apps[] | select(.name == \"" n "\")"

/*
 * Requests of each kind: exact counts by app and status class, the
 * server's totals, and the workers by state.
 */
START_TEST(test_status_requests)
{
	struct ferryd	 f;
	char		*base, want[64];
	int		 i;

	st_start(&f, NULL);
	/* The harness's own connections before: how many it took to see
	   ferryd ready. */
	base = st_jq(&f, ".accepted");
	for (i = 0; i < 5; i++)
		st_get(&f, "/c/hello.sh", 200);
	st_get(&f, "/c/no-such-script", 404);
	for (i = 0; i < 3; i++)
		st_get(&f, "/f?pid", 200);
	st_get(&f, "/ferry-health", 200);
	/* The page counts requests that ended: not itself. */
	snprintf(want, sizeof(want), "[11,10,1,%d,1,1,1,false]", atoi(base) +
	    11);
	st_expect(&f, "[.requests, .responses.\"2xx\", .responses.\"4xx\", "
	    ".accepted, .connections.open, .connections.dispatched, "
	    ".generation, .draining]", want);
	free(base);
	st_expect(&f, "[" APP("c") " | .requests, .responses.\"2xx\", "
	    ".responses.\"4xx\", .type, .cgi_running, .queue.peak]",
	    "[6,5,1,\"cgi\",0,0]");
	st_expect(&f, "[" APP("f") " | .requests, .type, .workers.idle, "
	    ".workers.busy, .worker_spawns, .worker_exits]",
	    "[3,\"fastcgi\",1,0,1,0]");
	/* The scripts' rusage, from the reaper (measured: not exact). */
	st_wait(&f, "[" APP("c") " | .cgi.max_rss_kib > 0, "
	    ".cgi.user_cpu_seconds + .cgi.system_cpu_seconds > 0]",
	    "[true,true]");
	st_expect(&f, "[" APP("f") " | .histograms.request_duration_seconds"
	    " | .count, .buckets[-1].count]", "[3,3]");
	st_expect(&f, "[" APP("(status)") " | .requests]", "[6]");
	st_expect(&f, ".requests", "17");
	harness_stop_ok(&f);
}
END_TEST

/*
 * A CGI app with max_processes = 1 and queue = 1: one request runs, one
 * waits, the next is answered 503: the page shows the process, the queue
 * and its peak, and counts the 503 and the wait.
 */
START_TEST(test_status_queue)
{
	struct ferryd	 f;
	struct hc	 run, wait;
	struct hc_response r;
	char		 gate[400], target[500], go[420];

	st_start(&f, NULL);
	harness_path(gate, sizeof(gate), &f, "gate");
	snprintf(target, sizeof(target), "/c/gate.sh?%s", gate);
	hc_open(&run, &f);
	hc_send_get(&run, target);
	snprintf(go, sizeof(go), "%s.pid", gate);
	HARNESS_ASSERT(&f, harness_wait_file(go, 5000), "gate.sh did not run");
	hc_open(&wait, &f);
	hc_send_get(&wait, "/c/hello.sh");
	st_wait(&f, APP("c") " | .queue.length", "1");
	st_get(&f, "/c/hello.sh", 503);
	st_expect(&f, "[" APP("c") " | .cgi_running, .queue.length, "
	    ".queue.peak, .queue.full, .responses.\"5xx\"]", "[1,1,1,1,1]");
	snprintf(go, sizeof(go), "%s.go", gate);
	harness_write_file(go, "", 0, 0644);
	hc_expect_response(&run, &r, 0);
	hc_response_free(&r);
	hc_expect_response(&wait, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "the queued request: %d",
	    r.status);
	hc_response_free(&r);
	st_wait(&f, "[" APP("c") " | .cgi_running, .queue.length, "
	    ".queue.peak, .requests, .histograms.queue_wait_seconds.count]",
	    "[0,0,1,3,1]");
	hc_close(&run);
	hc_close(&wait);
	harness_stop_ok(&f);
}
END_TEST

/*
 * A worker that crashes mid-request: 502, one exit, one crash, and the
 * respawn counted; a client that leaves a libferry request: one
 * close-notify GONE, the notify rung, the time to it; a hijack: counted
 * for the server and the app, and the socket held.
 */
START_TEST(test_status_events)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	st_start(&f, NULL);
	st_get(&f, "/f?crash", 502);
	st_wait(&f, "[" APP("f") " | .worker_exits, .worker_crashes, "
	    ".worker_spawns, .workers.idle]", "[1,1,2,1]");

	hc_open(&c, &f);
	hc_send_get(&c, "/n/watch?tag=a&steps=g&ms=5000");
	st_wait(&f, ".connections.dispatched", "2");
	hc_close(&c);
	st_wait(&f, "[" APP("n") " | .close_notify.gone, "
	    ".client_gone.notify, .histograms.client_gone_notify_seconds."
	    "count]", "[1,1,1]");

	hc_open(&c, &f);
	hc_sendstr(&c, "GET /h/hijack HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	hc_response_free(&r);
	hc_close(&c);
	st_expect(&f, "[.hijacks, (" APP("h") " | .hijack.handovers, "
	    ".hijack.held)]", "[1,1,1]");
	harness_stop_ok(&f);
}
END_TEST

/* The Prometheus text format, asked for by the query or by Accept,
   passes promtool check metrics; HEAD has no body; POST is 405. */
START_TEST(test_status_prometheus)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 path[400], *out = NULL;
	const char		*argv[] = { "sh", "-c", "promtool check metrics "
				    "< \"$0\" 2>&1", path, NULL };
	int			 i;

	st_start(&f, NULL);
	st_get(&f, "/c/hello.sh", 200);
	st_get(&f, "/f?pid", 200);
	for (i = 0; i < 2; i++) {
		hc_open(&c, &f);
		hc_sendstr(&c, i == 0 ? "GET /ferry-status?format=prometheus "
		    "HTTP/1.1\r\nHost: t\r\n\r\n" : "GET /ferry-status HTTP/1.1"
		    "\r\nHost: t\r\nAccept: application/openmetrics-text;"
		    "version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n\r\n");
		hc_expect_response(&c, &r, 0);
		hc_close(&c);
		HARNESS_ASSERT(&f, r.status == 200 && strncmp(hc_header(&r,
		    "Content-Type"), "text/plain; version=0.0.4", 25) == 0,
		    "the Prometheus page: %d", r.status);
		/* Over 32 KiB with six apps, and still not chunked. */
		HARNESS_ASSERT(&f, r.body_len > 32768 && r.framing ==
		    HC_LENGTH, "the Prometheus page: %zu bytes, framing %d",
		    r.body_len, (int)r.framing);
		HARNESS_ASSERT(&f, strstr(r.body, "ferry_app_requests_total{"
		    "app=\"c\",class=\"2xx\"} 1\n") != NULL && strstr(r.body,
		    "ferry_app_requests_total{app=\"f\",class=\"2xx\"} 1\n") !=
		    NULL, "the counts: %s", r.body);
		harness_path(path, sizeof(path), &f, "metrics.txt");
		harness_write_file(path, r.body, r.body_len, 0644);
		hc_response_free(&r);
		HARNESS_ASSERT(&f, harness_run(argv, &out, 20000) == 0,
		    "promtool check metrics: %s", out);
		free(out);
		out = NULL;
	}
	hc_open(&c, &f);
	hc_sendstr(&c, "HEAD /ferry-status HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, HC_HEAD);
	HARNESS_ASSERT(&f, r.status == 200 && r.body_len == 0, "HEAD: %d",
	    r.status);
	hc_response_free(&r);
	hc_sendstr(&c, "POST /ferry-status HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 0\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 405 && hc_header(&r, "Allow") != NULL,
	    "POST: %d", r.status);
	hc_response_free(&r);
	hc_close(&c);
	st_get(&f, "/ferry-status/x", 404);
	harness_stop_ok(&f);
}
END_TEST

/* status_allow: 127.0.0.1 outside it gets 403; a Unix socket's client
   is let in by "unix"; the health page is for everyone. */
START_TEST(test_status_allow)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 server[600], sock[400];

	memset(&f, 0, sizeof(f));
	snprintf(sock, sizeof(sock), "/tmp/ferry-st-%d.sock", (int)getpid());
	snprintf(server, sizeof(server), "status_allow = 10.0.0.0/8\n"
	    "status_allow = unix\n");
	st_start(&f, server);
	st_get(&f, "/ferry-status", 403);
	st_get(&f, "/ferry-health", 200);
	harness_stop_ok(&f);

	/* Over a Unix socket. */
	{
		char		 conf[1024];
		const char	*argv[] = { "--listen", NULL, NULL };
		char		 l[420];

		snprintf(l, sizeof(l), "unix:%s", sock);
		argv[1] = l;
		snprintf(conf, sizeof(conf), "[server]\n"
		    "status_path = /ferry-status\nstatus_allow = unix\n");
		memset(&f, 0, sizeof(f));
		harness_start(&f, conf, argv);
		hc_open_unix(&c, &f, sock);
		hc_send_get(&c, "/ferry-status");
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 200, "over the Unix socket: %d",
		    r.status);
		hc_response_free(&r);
		hc_close(&c);
		harness_stop_ok(&f);
	}
}
END_TEST

/* The health page answers 503 draining once a graceful stop began,
   to a health check whose head was coming in at SIGTERM, while a request
   in flight finishes. */
START_TEST(test_health_draining)
{
	struct ferryd		 f;
	struct hc		 c, h;
	struct hc_response	 r;
	char			 gate[400], target[500], go[420];

	st_start(&f, NULL);
	harness_path(gate, sizeof(gate), &f, "gate");
	snprintf(target, sizeof(target), "/c/gate.sh?%s", gate);
	hc_open(&c, &f);
	hc_send_get(&c, target);
	snprintf(go, sizeof(go), "%s.pid", gate);
	HARNESS_ASSERT(&f, harness_wait_file(go, 5000), "gate.sh did not run");
	hc_open(&h, &f);
	hc_sendstr(&h, "GET /ferry-health HTTP/1.1\r\nHost: t\r\n");
	st_get(&f, "/ferry-health", 200);
	kill(f.pid, SIGTERM);
	harness_sleep_ms(100);
	hc_sendstr(&h, "\r\n");
	hc_expect_response(&h, &r, 0);
	HARNESS_ASSERT(&f, r.status == 503 && strcmp(r.body, "draining\n") ==
	    0, "the health page after SIGTERM: %d %s", r.status, r.body);
	hc_response_free(&r);
	hc_close(&h);
	snprintf(go, sizeof(go), "%s.go", gate);
	harness_write_file(go, "", 0, 0644);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200, "the request in flight: %d",
	    r.status);
	hc_response_free(&r);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Health checks that reset their connection before the answer is
   written (a load balancer's check that timed out): each ends its
   connection once, and ferryd serves on with its counts right. */
START_TEST(test_health_client_reset)
{
	struct ferryd	f;
	struct hc	c;
	int		i;

	st_start(&f, NULL);
	for (i = 0; i < 200; i++) {
		hc_open(&c, &f);
		hc_sendstr(&c, i % 2 ? "GET /ferry-health HTTP/1.0\r\n\r\n" :
		    "GET /ferry-status HTTP/1.0\r\n\r\n");
		hc_reset(&c);
	}
	st_get(&f, "/ferry-health", 200);
	st_wait(&f, "[.connections.open, .connections.dispatched]", "[1,1]");
	HARNESS_ASSERT(&f, harness_log_count(&f, "4294967295") == 0,
	    "the connection count went below 0");
	harness_stop_ok(&f);
}
END_TEST

static Suite *
status_suite(void)
{
	Suite	*s = suite_create("status");
	TCase	*tc = tcase_create("status");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_status_requests);
	tcase_add_test(tc, test_status_queue);
	tcase_add_test(tc, test_status_events);
	tcase_add_test(tc, test_status_prometheus);
	tcase_add_test(tc, test_status_allow);
	tcase_add_test(tc, test_health_draining);
	tcase_add_test(tc, test_health_client_reset);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(status_suite(), "ferry-status");
}
