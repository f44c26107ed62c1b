/*
 * Retiring, not killing, a worker that holds hijacked sockets (issue 13,
 * part 4; server/worker.c, "Retiring"): max_requests, idle_timeout,
 * isolation = request and ferryd's stop leave a socket the worker took
 * with ferry_hijack() alive; the worker is told (FERRY_RETIRE, libferry's
 * ferry_on_retire callback), gets no more requests, does not count
 * against the pool's size, and is stopped when it ends by itself or when
 * hijack_grace runs out.  The app is tests/ferry-apps/hijackapp.c: its
 * /hold keeps the socket in a thread that echoes lines, and at its
 * retirement writes "retiring WHY GRACE_MS" on every held socket.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

static void	rt_start(struct ferryd *, const char *, const char *);
static void	rt_hold(struct hc *, struct ferryd *);
static void	rt_held(struct ferryd *, struct hc *, const char *,
		    const char *);
static void	rt_echoes(struct hc *, const struct ferryd *, const char *);
static pid_t	rt_pid(struct ferryd *);
static void	rt_hold_and_stop(struct ferryd *, struct hc *, int);
static Suite	*retire_suite(void);

/* Starts ferryd with hijackapp at /h: server lines for
   [server], settings for its section. */
static void
rt_start(struct ferryd *f, const char *server, const char *settings)
{
	char	 srv[256];

	snprintf(srv, sizeof(srv), "kill_grace = 0.5\n%s",
	    server != NULL ? server : "");
	harness_start_fcgi(f, srv, "/h",
	    harness_env_path("FERRY_TEST_HIJACK_APP"), settings);
}

/* Opens c and has the worker hijack it and keep it (/h/hold). */
static void
rt_hold(struct hc *c, struct ferryd *f)
{
	hc_open(c, f);
	hc_sendstr(c, "GET /h/hold HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_text(c, f, "held\n");
}

/* Starts ferryd with settings for the app, has its worker hold socket
   held, and reads line there: the worker's retirement, as it heard it. */
static void
rt_held(struct ferryd *f, struct hc *held, const char *settings,
    const char *line)
{
	rt_start(f, NULL, settings);
	rt_hold(held, f);
	hc_expect_text(held, f, line);
}

/* The held socket c still echoes line. */
static void
rt_echoes(struct hc *c, const struct ferryd *f, const char *line)
{
	hc_sendstr(c, line);
	hc_expect_text(c, f, line);
}

/* A new request is answered (by a worker that is not retiring): its
   worker's pid. */
static pid_t
rt_pid(struct ferryd *f)
{
	struct hc_response	 r;
	pid_t			 pid;

	hc_get(f, "/h/pid", &r);
	HARNESS_ASSERT(f, r.status == 200, "/h/pid: status %d", r.status);
	pid = (pid_t)atoi(r.body);
	hc_response_free(&r);
	return pid;
}

/* max_requests = 1: the worker that took the socket is retired after
   that request, told so, and keeps echoing while a new worker (workers
   = 1: it does not count against the pool) serves the next requests;
   once the socket closes, the retired worker ends by itself. */
START_TEST(test_retire_max_requests)
{
	struct ferryd	 f;
	struct hc	 held;
	pid_t		 p1, p2;

	rt_held(&f, &held, "workers = 1\nmax_requests = 1\n",
	    "retiring recycled -1\n");
	p1 = rt_pid(&f);
	p2 = rt_pid(&f);
	ck_assert_int_ne(p1, p2);	/* max_requests = 1 goes on */
	rt_echoes(&held, &f, "still here\n");
	HARNESS_ASSERT(&f, harness_log_count(&f, "retired (served 1 "
	    "requests (max_requests))") == 1, "no retirement logged");
	ck_assert_int_eq(harness_log_count(&f, "retired worker exited"), 0);
	hc_close(&held);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "retired worker exited "
	    "(status 0)", 1, 10000) == 1, "the retired worker did not end "
	    "when its socket closed");
	rt_pid(&f);
	harness_stop_ok(&f);
}
END_TEST

/* idle_timeout = 1: the idle worker holding the socket is retired, not
   killed: the socket still echoes two seconds later, and a new request
   gets a new worker. */
START_TEST(test_retire_idle_timeout)
{
	struct ferryd	 f;
	struct hc	 held;

	rt_held(&f, &held, "workers = 1\nmin_workers = 0\nmax_workers = 2\n"
	    "idle_timeout = 1\n",
	    "retiring idle -1\n");
	harness_sleep_ms(2000);
	rt_echoes(&held, &f, "after 2 s\n");
	rt_pid(&f);
	rt_echoes(&held, &f, "and after a request\n");
	hc_close(&held);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "retired worker exited", 1,
	    10000) == 1, "the retired worker did not end");
	harness_stop_ok(&f);
}
END_TEST

/* isolation = request: the worker of the hijacking request is retired
   at once, the socket lives on, the next request gets a new worker. */
START_TEST(test_retire_isolation_request)
{
	struct ferryd	 f;
	struct hc	 held;

	rt_held(&f, &held, "workers = 1\nisolation = request\n",
	    "retiring recycled -1\n");
	rt_pid(&f);
	rt_pid(&f);
	rt_echoes(&held, &f, "isolated\n");
	hc_close(&held);
	harness_stop_ok(&f);
}
END_TEST

/* hijack_grace = 1: the worker is told its grace, echoes meanwhile, and
   is stopped when the grace ends: the socket dies with it. */
START_TEST(test_retire_hijack_grace)
{
	struct ferryd	 f;
	struct hc	 held;

	rt_held(&f, &held, "workers = 1\nmax_requests = 1\n"
	    "hijack_grace = 1\n",
	    "retiring recycled 1000\n");
	rt_echoes(&held, &f, "in grace\n");
	HARNESS_ASSERT(&f, hc_wait_closed(&held, 10000) == 1,
	    "the socket outlived hijack_grace");
	HARNESS_ASSERT(&f, harness_wait_log(&f, "still holds hijacked "
	    "sockets at the end of its grace", 1, 10000) == 1,
	    "no grace end logged");
	rt_pid(&f);
	hc_close(&held);
	harness_stop_ok(&f);
}
END_TEST

/* Starts ferryd with shutdown_timeout = secs, has its worker hold
   socket held, and stops ferryd: the worker is retired with that grace,
   hears it on the socket, which echoes on while ferryd waits. */
static void
rt_hold_and_stop(struct ferryd *f, struct hc *held, int secs)
{
	char	 server[64], line[64];

	snprintf(server, sizeof(server), "shutdown_timeout = %d\n", secs);
	snprintf(line, sizeof(line), "retiring stopping %d\n", secs * 1000);
	rt_start(f, server, "workers = 1\n");
	rt_hold(held, f);
	ck_assert_int_eq(kill(f->pid, SIGTERM), 0);
	hc_expect_text(held, f, line);
	rt_echoes(held, f, "while stopping\n");
}

/* ferryd's stop retires the idle worker with shutdown_timeout as its
   grace; ferryd ends as soon as the socket closes. */
START_TEST(test_retire_at_stop)
{
	struct ferryd	 f;
	struct hc	 held;

	rt_hold_and_stop(&f, &held, 30);
	ck_assert_int_eq(harness_exited(&f), 0);
	hc_close(&held);
	ck_assert_int_eq(harness_stop_timeout(&f, 10000), 0);
}
END_TEST

/* At the stop a socket that stays open is given shutdown_timeout, then
   the worker is stopped and ferryd ends. */
START_TEST(test_retire_stop_deadline)
{
	struct ferryd	 f;
	struct hc	 held;

	rt_hold_and_stop(&f, &held, 1);
	HARNESS_ASSERT(&f, hc_wait_closed(&held, 10000) == 1,
	    "the socket outlived shutdown_timeout");
	hc_close(&held);
	ck_assert_int_eq(harness_stop_timeout(&f, 10000), 0);
}
END_TEST

/* At the stop a hijack_grace shorter than shutdown_timeout is the grace
   (ferry.conf(5), hijack_grace): the worker hears 1 s, not 30, and is
   stopped when it runs out. */
START_TEST(test_retire_stop_hijack_grace)
{
	struct ferryd	 f;
	struct hc	 held;

	rt_start(&f, "shutdown_timeout = 30\n", "workers = 1\n"
	    "hijack_grace = 1\n");
	rt_hold(&held, &f);
	ck_assert_int_eq(kill(f.pid, SIGTERM), 0);
	hc_expect_text(&held, &f, "retiring stopping 1000\n");
	HARNESS_ASSERT(&f, hc_wait_closed(&held, 10000) == 1,
	    "the socket outlived hijack_grace at the stop");
	hc_close(&held);
	ck_assert_int_eq(harness_stop_timeout(&f, 10000), 0);
}
END_TEST

static Suite *
retire_suite(void)
{
	Suite	*s = suite_create("retire");
	TCase	*tc = tcase_create("retire");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_retire_max_requests);
	tcase_add_test(tc, test_retire_idle_timeout);
	tcase_add_test(tc, test_retire_isolation_request);
	tcase_add_test(tc, test_retire_hijack_grace);
	tcase_add_test(tc, test_retire_at_stop);
	tcase_add_test(tc, test_retire_stop_deadline);
	tcase_add_test(tc, test_retire_stop_hijack_grace);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(retire_suite(), "ferry-retire");
}
