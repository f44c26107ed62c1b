/*
 * server/app.c: the wait queue of an app's requests.
 *
 * The queue cases link real struct conn values (zeroed: the queue uses
 * only their links, through conn_qlink(); conn-int.h gives their size).
 * The waiting cases run real connections: a master with just a loop,
 * settings and the connections' state, a socketpair per client, and a
 * test app type in m->app_types whose request function waits in the
 * queue, so that conn.c dispatches to it as to CGI or a pool.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/app.h"
#include "server/conf.h"
#include "server/conn.h"
#include "server/conn-int.h"
#include "server/log.h"
#include "server/master-t.h"

#define NCONN	5

/* Queue cases. */

static struct conn	*qc;		/* NCONN zeroed connections */

static void
q_setup(void)
{
	qc = calloc(NCONN, sizeof(*qc));
	ck_assert_ptr_nonnull(qc);
}

static void
q_teardown(void)
{
	free(qc);
}

/* q holds exactly want[0..n) in that order, each knowing it is in q. */
static void
q_expect(struct app_queue *q, const int *want, unsigned int n)
{
	struct conn	*c = q->head;
	unsigned int	 i;

	ck_assert_uint_eq(q->n, n);
	for (i = 0; i < n; i++, c = conn_qlink(c)->next) {
		ck_assert_ptr_eq(c, &qc[want[i]]);
		ck_assert_ptr_eq(conn_qlink(c)->queue, q);
	}
	ck_assert_ptr_null(c);
	ck_assert_ptr_eq(q->tail, n > 0 ? &qc[want[n - 1]] : NULL);
}

START_TEST(test_fifo)
{
	struct app_queue	 q;
	int			 i, all[] = { 0, 1, 2, 3, 4 };

	memset(&q, 0, sizeof(q));
	ck_assert_ptr_null(app_queue_pop(&q));
	for (i = 0; i < NCONN; i++)
		app_queue_push(&q, &qc[i]);
	q_expect(&q, all, NCONN);
	for (i = 0; i < NCONN; i++) {
		ck_assert_ptr_eq(app_queue_pop(&q), &qc[i]);
		ck_assert_ptr_null(conn_qlink(&qc[i])->queue);
		ck_assert_ptr_null(conn_qlink(&qc[i])->next);
		q_expect(&q, all + i + 1, (unsigned int)(NCONN - i - 1));
	}
	ck_assert_ptr_null(app_queue_pop(&q));
	/* Empty again, it works as new. */
	app_queue_push(&q, &qc[3]);
	q_expect(&q, all + 3, 1);
}
END_TEST

START_TEST(test_push_front)
{
	struct app_queue	 q;
	struct conn		*c;
	int			 w1[] = { 0, 1, 2 }, w2[] = { 3, 0, 1, 2 };

	memset(&q, 0, sizeof(q));
	/* Into an empty queue: head and tail. */
	app_queue_push_front(&q, &qc[0]);
	q_expect(&q, w1, 1);
	app_queue_push(&q, &qc[1]);
	app_queue_push(&q, &qc[2]);
	/* Popped and put back (its worker went away): it keeps its place. */
	c = app_queue_pop(&q);
	app_queue_push_front(&q, c);
	q_expect(&q, w1, 3);
	/* A retry goes before all. */
	app_queue_push_front(&q, &qc[3]);
	q_expect(&q, w2, 4);
	/* The tail did not move: a push goes after it. */
	app_queue_push(&q, &qc[4]);
	ck_assert_ptr_eq(q.tail, &qc[4]);
	ck_assert_uint_eq(q.n, 5);
}
END_TEST

/* Removal from every position of a full queue. */
static const struct remove_case {
	const char	*what;
	int		 out;		/* which one leaves */
	int		 want[NCONN - 1];
} remove_cases[] = {
	{ "head", 0, { 1, 2, 3, 4 } },
	{ "second", 1, { 0, 2, 3, 4 } },
	{ "middle", 2, { 0, 1, 3, 4 } },
	{ "before the tail", 3, { 0, 1, 2, 4 } },
	{ "tail", 4, { 0, 1, 2, 3 } },
};

START_TEST(test_remove)
{
	const struct remove_case *rc = &remove_cases[_i];
	struct app_queue	 q;
	int			 i;

	memset(&q, 0, sizeof(q));
	for (i = 0; i < NCONN; i++)
		app_queue_push(&q, &qc[i]);
	app_queue_remove(&q, &qc[rc->out]);
	ck_assert_msg(q.n == NCONN - 1, "%s", rc->what);
	q_expect(&q, rc->want, NCONN - 1);
	ck_assert_ptr_null(conn_qlink(&qc[rc->out])->queue);
	/* Not queued any more: nothing happens. */
	app_queue_remove(&q, &qc[rc->out]);
	q_expect(&q, rc->want, NCONN - 1);
	/* The links still work at both ends. */
	app_queue_push(&q, &qc[rc->out]);
	ck_assert_ptr_eq(q.tail, &qc[rc->out]);
	ck_assert_ptr_eq(app_queue_pop(&q), &qc[rc->want[0]]);
}
END_TEST

START_TEST(test_remove_last)
{
	struct app_queue	 q;

	memset(&q, 0, sizeof(q));
	app_queue_remove(&q, &qc[0]);		/* empty: nothing */
	ck_assert_uint_eq(q.n, 0);
	app_queue_push(&q, &qc[0]);
	app_queue_remove(&q, &qc[0]);
	q_expect(&q, NULL, 0);
	ck_assert_ptr_null(q.head);
}
END_TEST

/* Waiting cases: a master of its own, real connections. */

static struct master	 tm;		/* large: its scratch buffer */
static struct conf	 tcf;
static struct conf_app	 tapp;
static struct app_queue	 tq;
static char		 tlog[64];	/* the error log's path */
static int		 tclient[NCONN];	/* our ends */
static struct conn	*tconn[NCONN];	/* as dispatched */
static unsigned int	 tndispatched, tnleft;
static struct conn	*tleft;

/* The test app: every request waits in tq. */
static void
t_request(struct conn *c)
{
	unsigned int	i = tndispatched++;

	if (i < NCONN)
		tconn[i] = c;
	(void)app_queue_wait(&tq, tapp.queue, c,
	    "%s: test app busy and %u waiting: 503", tapp.name, tq.n);
}

static unsigned int
t_running(struct master *m)
{
	return 0;
}

static const struct app_type t_type = {
	t_request, NULL, t_running, NULL, NULL, NULL, NULL, NULL, NULL
};

static void
t_left(struct app_queue *q, struct conn *c)
{
	ck_assert_ptr_eq(q, &tq);
	tnleft++;
	tleft = c;
}

/* What a running request needs of its app: nothing here. */
static void
t_body_ready(void *app)
{
}

static void
t_output_resume(void *app)
{
}

static void
t_detach(void *app, const char *why)
{
}

static const struct conn_app_ops t_ops = {
	t_body_ready, t_output_resume, t_detach, NULL, NULL, NULL, NULL
};

static void
w_setup(void)
{
	int	fd, i;

	snprintf(tlog, sizeof(tlog), "/tmp/app_test.XXXXXX");
	ck_assert_int_ne(fd = mkstemp(tlog), -1);
	close(fd);
	ck_assert_int_eq(log_open(tlog, LOG_OFF, LOG_LEVEL_INFO), 0);
	memset(&tm, 0, sizeof(tm));
	memset(&tcf, 0, sizeof(tcf));
	memset(&tapp, 0, sizeof(tapp));
	memset(&tq, 0, sizeof(tq));
	memset(tconn, 0, sizeof(tconn));
	for (i = 0; i < NCONN; i++)
		tclient[i] = -1;
	tndispatched = tnleft = 0;
	tleft = NULL;
	tq.left = t_left;
	tapp.name = "t";
	tapp.type = CONF_APP_FASTCGI;
	tapp.prefix = "/";
	tapp.command = "/bin/true";
	tapp.queue = 2;
	tapp.request_timeout = 0;	/* waits without a timeout */
	tcf.apps = &tapp;
	tcf.napps = 1;
	tcf.refs = 1;		/* the test's: never freed */
	tcf.max_conns = 100;
	tcf.max_body = 1 << 20;
	tm.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(tm.loop);
	tm.conf = &tcf;
	http1_limits_default(&tm.limits);
	snprintf(tm.software, sizeof(tm.software), "ferry/test");
	tm.app_types[CONF_APP_CGI] = &t_type;
	tm.app_types[CONF_APP_FASTCGI] = &t_type;
	ck_assert_int_eq(conn_init(&tm), 0);
}

static void
w_teardown(void)
{
	int	i;

	conn_close_all(&tm, "test over");
	conn_fini(&tm);
	ev_loop_destroy(tm.loop);
	for (i = 0; i < NCONN; i++)
		if (tclient[i] != -1)
			close(tclient[i]);
	log_close();
	unlink(tlog);
}

/* A client connects as client i and sends a GET. */
static void
w_client(int i)
{
	static const char	 req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	struct sockaddr_un	 peer;
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	memset(&peer, 0, sizeof(peer));
	peer.sun_family = AF_UNIX;
	conn_accept(&tm, sv[0], (struct sockaddr *)&peer, sizeof(peer), 0);
	tclient[i] = sv[1];
	ck_assert_int_eq(write(sv[1], req, sizeof(req) - 1),
	    (ssize_t)sizeof(req) - 1);
}

/* Runs the loop, without blocking, until *count reaches want (or 2 s
   pass). */
static void
w_run_until(const unsigned int *count, unsigned int want)
{
	struct timespec	ts = { 0, 1000 * 1000 };
	int		i;

	for (i = 0; i < 2000 && *count < want; i++) {
		ev_run(tm.loop, EVRUN_NOWAIT);
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_ge(*count, want);
}

/* Clients 0..n-1 send their requests one after the other, so that
   tconn[i] is client i's connection. */
static void
w_clients(int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		w_client(i);
		w_run_until(&tndispatched, (unsigned int)i + 1);
	}
}

/* What client i has received, after the loop ran a little. */
static char *
w_response(int i)
{
	static char	buf[4096];
	size_t		len = 0;
	ssize_t		n;
	int		k;

	for (k = 0; k < 200; k++) {
		ev_run(tm.loop, EVRUN_NOWAIT);
		n = read(tclient[i], buf + len, sizeof(buf) - 1 - len);
		if (n > 0)
			len += (size_t)n;
		else if (len > 0)
			break;
		usleep(1000);
	}
	buf[len] = '\0';
	return buf;
}

/* The error log holds line s. */
static int
w_logged(const char *s)
{
	char	buf[8192];
	ssize_t	n;
	int	fd;

	if ((fd = open(tlog, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

/* Each open connection counts in one state. */
static void
w_counts(unsigned int queued, unsigned int open)
{
	unsigned int	s, sum = 0;

	for (s = 0; s < CONN_NSTATES; s++)
		sum += conn_state_count(&tm, (enum conn_state)s);
	ck_assert_uint_eq(conn_count(&tm), open);
	ck_assert_uint_eq(sum, open);
	ck_assert_uint_eq(conn_state_count(&tm, CONN_QUEUED), queued);
	ck_assert_uint_eq(conn_state_count(&tm, CONN_CLOSED), 0);
}

START_TEST(test_wait_then_503)
{
	char	*r;

	w_clients(2);
	ck_assert_uint_eq(tq.n, 2);
	ck_assert_ptr_eq(tq.head, tconn[0]);
	ck_assert_ptr_eq(tq.tail, tconn[1]);
	w_counts(2, 2);
	/* Both wait and hear nothing. */
	ck_assert_str_eq(w_response(0), "");

	/* The queue is full: the third request is answered at once. */
	w_client(2);
	w_run_until(&tndispatched, 3);
	ck_assert_uint_eq(tq.n, 2);
	r = w_response(2);
	ck_assert_msg(strncmp(r, "HTTP/1.1 503 ", 13) == 0, "%s", r);
	ck_assert_msg(strstr(r, "\r\nRetry-After: 1\r\n") != NULL, "%s", r);
	ck_assert(w_logged("t: test app busy and 2 waiting: 503\n"));
	/* It is kept alive, idle; the other two still wait. */
	w_counts(2, 3);
	ck_assert_uint_eq(conn_state_count(&tm, CONN_IDLE), 1);
	ck_assert_uint_eq(tnleft, 0);
}
END_TEST

START_TEST(test_client_leaves_queue)
{
	tapp.queue = 3;
	w_clients(3);
	w_counts(3, 3);
	/* The middle one's client goes: it leaves the queue, the app hears
	   of it, the others keep their order. */
	close(tclient[1]);
	tclient[1] = -1;
	w_run_until(&tnleft, 1);
	ck_assert_ptr_eq(tleft, tconn[1]);
	ck_assert_uint_eq(tq.n, 2);
	ck_assert_ptr_eq(tq.head, tconn[0]);
	ck_assert_ptr_eq(conn_qlink(tq.head)->next, tconn[2]);
	ck_assert_ptr_eq(tq.tail, tconn[2]);
	w_counts(2, 2);
}
END_TEST

START_TEST(test_queue_timeout)
{
	char	*r;

	tapp.request_timeout = 0.05;
	w_client(0);
	w_run_until(&tndispatched, 1);
	ck_assert_uint_eq(tq.n, 1);
	/* Waited too long: out of the queue, answered 503. */
	w_run_until(&tnleft, 1);
	ck_assert_ptr_eq(tleft, tconn[0]);
	ck_assert_uint_eq(tq.n, 0);
	r = w_response(0);
	ck_assert_msg(strncmp(r, "HTTP/1.1 503 ", 13) == 0, "%s", r);
	ck_assert(w_logged("waited too long for a free process of t\n"));
	w_counts(0, 1);
}
END_TEST

START_TEST(test_pop_and_run)
{
	static const char	 out[] = "Content-Type: text/plain\r\n\r\nok";
	struct conn		*c;
	char			*r;
	int			 dummy;

	w_clients(2);
	/* A process is free: the first one runs, as cgi_next does. */
	c = app_queue_pop(&tq);
	ck_assert_ptr_eq(c, tconn[0]);
	conn_dequeued(c);
	w_counts(1, 2);
	ck_assert_uint_eq(conn_state_count(&tm, CONN_DISPATCHED), 1);
	conn_app_attach(c, &t_ops, &dummy);
	conn_dispatch_ready(c);
	ck_assert_int_eq(conn_app_output(c, out, sizeof(out) - 1), 1);
	conn_app_detached(c);
	conn_app_end(c, 1);
	r = w_response(0);
	ck_assert_msg(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	ck_assert_msg(strstr(r, "\r\n\r\nok") != NULL, "%s", r);
	/* It left by the front door: the app's left() is not called. */
	ck_assert_uint_eq(tnleft, 0);
	ck_assert_ptr_eq(tq.head, tconn[1]);
	w_counts(1, 2);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("app");
	TCase	*tq_case = tcase_create("queue");
	TCase	*tw = tcase_create("wait");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tq_case, q_setup, q_teardown);
	tcase_add_test(tq_case, test_fifo);
	tcase_add_test(tq_case, test_push_front);
	tcase_add_loop_test(tq_case, test_remove, 0,
	    (int)(sizeof(remove_cases) / sizeof(remove_cases[0])));
	tcase_add_test(tq_case, test_remove_last);
	tcase_add_checked_fixture(tw, w_setup, w_teardown);
	tcase_add_test(tw, test_wait_then_503);
	tcase_add_test(tw, test_client_leaves_queue);
	tcase_add_test(tw, test_queue_timeout);
	tcase_add_test(tw, test_pop_and_run);
	suite_add_tcase(s, tq_case);
	suite_add_tcase(s, tw);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
