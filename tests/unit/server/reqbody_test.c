/*
 * server/reqbody.c alone: each kind of request body through peek,
 * consume and complete, a chunked body collected in memory and spilled
 * to a file past the memory bound, take-fd, detach and hijack-rest.  The
 * "input buffer" is a string; the tests move its offset as conn.c does.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/reqbody.h"

#define MAX	(1024 * 1024)

/* The connection's input: in[off..len). */
struct rb_in {
	const char	*in;
	size_t		 len, off;
};

static const char *
rb_at(const struct rb_in *x)
{
	return x->in + x->off;
}

static size_t
rb_have(const struct rb_in *x)
{
	return x->len - x->off;
}

/* Passes the body on k bytes at a time into out; returns its length. */
static size_t
rb_drain(struct reqbody *b, struct rb_in *x, char *out, size_t k)
{
	const char	*p;
	size_t		 len, n = 0;

	for (;;) {
		ck_assert_int_eq(reqbody_peek(b, rb_at(x), rb_have(x), &p,
		    &len), 0);
		if (len == 0)
			break;
		if (len > k)
			len = k;
		memcpy(out + n, p, len);
		n += len;
		x->off += reqbody_consume(b, rb_at(x), rb_have(x), len);
	}
	return n;
}

START_TEST(none)
{
	struct reqbody	 b;
	const char	*p;
	size_t		 len;

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_NONE, 0, MAX, 64);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_NONE);
	ck_assert_str_eq(reqbody_kind_name(reqbody_kind(&b)), "none");
	ck_assert_int_eq(reqbody_peek(&b, "GET / HTTP/1.1", 14, &p, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(reqbody_complete(&b), 1);
	ck_assert_int_eq(reqbody_wire_done(&b), 1);
	ck_assert_int_eq(reqbody_fd(&b), -1);
	reqbody_reset(&b);
}
END_TEST

/* A Content-Length body: only its own bytes, the pipelined rest stays. */
START_TEST(length)
{
	struct reqbody	 b;
	struct rb_in	 x = { "helloGET /next", 14, 0 };
	char		 out[16];

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_LENGTH, 5, MAX, 64);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_LENGTH);
	ck_assert_int_eq(reqbody_complete(&b), 0);
	ck_assert_int_eq(reqbody_wire_done(&b), 0);
	ck_assert_uint_eq(rb_drain(&b, &x, out, 2), 5);
	ck_assert_int_eq(memcmp(out, "hello", 5), 0);
	ck_assert_uint_eq(x.off, 5);
	ck_assert_int_eq(reqbody_complete(&b), 1);
	ck_assert_int_eq(reqbody_wire_done(&b), 1);
	reqbody_reset(&b);
}
END_TEST

/* A body split over reads: peek names only what arrived. */
START_TEST(length_partial)
{
	struct reqbody	 b;
	const char	*p;
	size_t		 len;

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_LENGTH, 10, MAX, 64);
	reqbody_peek(&b, "abc", 3, &p, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_uint_eq(reqbody_consume(&b, p, 3, 3), 3);
	ck_assert_int_eq(reqbody_complete(&b), 0);
	ck_assert_uint_eq(reqbody_unread(&b), 7);
	/* The app stopped: the connection reads past the rest. */
	ck_assert_uint_eq(reqbody_skip(&b, 4), 4);
	ck_assert_uint_eq(reqbody_skip(&b, 100), 3);
	ck_assert_uint_eq(reqbody_unread(&b), 0);
	ck_assert_int_eq(reqbody_wire_done(&b), 1);
	reqbody_reset(&b);
}
END_TEST

/* reqbody_received: has the client sent the whole body, by its framing,
   given the unconsumed input (whatever the app took of it so far)? */
static const struct {
	const char	*what;
	int		 framing;	/* HTTP1_BODY_* */
	uint64_t	 length;
	size_t		 taken;		/* bytes the app consumed first */
	const char	*in;		/* the unconsumed input after that */
	int		 want;
} received_cases[] = {
	{ "no body", HTTP1_BODY_NONE, 0, 0, "", 1 },
	{ "no body, a pipelined request", HTTP1_BODY_NONE, 0, 0,
	    "GET / HTTP/1.1\r\n", 1 },
	{ "length, nothing yet", HTTP1_BODY_LENGTH, 10, 0, "", 0 },
	{ "length, part buffered", HTTP1_BODY_LENGTH, 10, 0, "abcd", 0 },
	{ "length, all buffered", HTTP1_BODY_LENGTH, 10, 0, "abcdefghij", 1 },
	{ "length, all and more", HTTP1_BODY_LENGTH, 10, 0,
	    "abcdefghijGET", 1 },
	{ "length, part taken, rest buffered", HTTP1_BODY_LENGTH, 10, 4,
	    "efghij", 1 },
	{ "length, part taken, part buffered", HTTP1_BODY_LENGTH, 10, 4,
	    "efg", 0 },
	{ "length, all taken", HTTP1_BODY_LENGTH, 10, 10, "", 1 },
	{ "chunked, in the middle", HTTP1_BODY_CHUNKED, 0, 0,
	    "5\r\nhello\r\n6\r\n wo", 0 },
	{ "chunked, before the last CRLF", HTTP1_BODY_CHUNKED, 0, 0,
	    "5\r\nhello\r\n0\r\n", 0 },
	{ "chunked, whole", HTTP1_BODY_CHUNKED, 0, 0,
	    "5\r\nhello\r\n0\r\n\r\n", 1 },
	{ "chunked, whole and a pipelined request", HTTP1_BODY_CHUNKED, 0, 0,
	    "5\r\nhello\r\n0\r\n\r\nGET /", 1 },
	{ "chunked, malformed: nothing more to wait for",
	    HTTP1_BODY_CHUNKED, 0, 0, "zz\r\n", 1 },
};

START_TEST(received)
{
	struct reqbody	 b;
	char		 taken[16];

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, (enum http1_body)received_cases[_i].framing,
	    received_cases[_i].length, MAX, 64);
	reqbody_set_raw(&b);
	if (received_cases[_i].taken > 0) {
		memset(taken, 'a', sizeof(taken));
		ck_assert_uint_eq(reqbody_consume(&b, taken,
		    received_cases[_i].taken, received_cases[_i].taken),
		    received_cases[_i].taken);
	}
	ck_assert_msg(reqbody_received(&b, received_cases[_i].in,
	    strlen(received_cases[_i].in)) == received_cases[_i].want,
	    "%s: want %d", received_cases[_i].what, received_cases[_i].want);
	reqbody_reset(&b);
}
END_TEST

static const char chunked_in[] =
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET /next";

/* Raw chunked: the framing goes through, up to the body's end. */
START_TEST(raw_chunked)
{
	struct reqbody	 b;
	struct rb_in	 x = { chunked_in, sizeof(chunked_in) - 1, 0 };
	size_t		 k = (size_t)_i + 1, body = sizeof(chunked_in) - 10;
	char		 out[64];

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	reqbody_set_raw(&b);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_RAW_CHUNKED);
	ck_assert_uint_eq(rb_drain(&b, &x, out, k), body);
	ck_assert_int_eq(memcmp(out, chunked_in, body), 0);
	ck_assert_uint_eq(x.off, body);
	ck_assert_int_eq(reqbody_complete(&b), 1);
	ck_assert_int_eq(reqbody_wire_done(&b), 1);
	ck_assert_uint_eq(reqbody_total(&b), 11);
	reqbody_reset(&b);
}
END_TEST

/* A malformed or too large raw body shows as nothing more, once. */
START_TEST(raw_chunked_bad)
{
	struct reqbody	 b;
	const char	*p;
	size_t		 len;

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	reqbody_set_raw(&b);
	ck_assert_int_eq(reqbody_peek(&b, "3\r\nabc\r\nzz\r\n", 12, &p,
	    &len), 1);
	ck_assert_uint_eq(len, 6);	/* "3\r\nabc": up to the bad line */
	ck_assert_int_eq(reqbody_error(&b), 400);
	ck_assert_int_eq(reqbody_peek(&b, "3\r\nabc\r\nzz\r\n", 12, &p,
	    &len), 0);
	ck_assert_uint_eq(len, 0);
	reqbody_reset(&b);

	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, 4, 64);
	reqbody_set_raw(&b);
	ck_assert_int_eq(reqbody_peek(&b, "3\r\nabc\r\n3\r\ndef\r\n", 16,
	    &p, &len), 1);
	ck_assert_int_eq(reqbody_error(&b), 413);
	reqbody_reset(&b);
}
END_TEST

/* Collected in memory, fed in pieces of every size. */
START_TEST(memory)
{
	struct reqbody	 b;
	struct rb_in	 x = { chunked_in, sizeof(chunked_in) - 1, 0 };
	size_t		 k = (size_t)_i + 1, used, end;
	char		 out[64];
	int		 st = REQBODY_MORE;

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	while (st == REQBODY_MORE) {
		end = x.off + k < x.len ? x.off + k : x.len;
		st = reqbody_collect(&b, rb_at(&x), end - x.off, &used);
		x.off += used;
	}
	ck_assert_int_eq(st, REQBODY_DONE);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_MEMORY);
	ck_assert_uint_eq(x.off, sizeof(chunked_in) - 10);
	ck_assert_uint_eq(reqbody_total(&b), 11);
	ck_assert_int_eq(reqbody_complete(&b), 0);
	ck_assert_int_eq(reqbody_wire_done(&b), 1);
	ck_assert_uint_eq(rb_drain(&b, &x, out, 4), 11);
	ck_assert_int_eq(memcmp(out, "hello world", 11), 0);
	ck_assert_int_eq(reqbody_complete(&b), 1);
	ck_assert_int_eq(reqbody_fd(&b), -1);
	reqbody_reset(&b);
}
END_TEST

START_TEST(collect_errors)
{
	struct reqbody	 b;
	size_t		 used;

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	ck_assert_int_eq(reqbody_collect(&b, "x\r\n", 3, &used), 400);
	reqbody_reset(&b);
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, 5, 64);
	ck_assert_int_eq(reqbody_collect(&b, chunked_in,
	    sizeof(chunked_in) - 1, &used), 413);
	reqbody_reset(&b);
	/* issue 14 F: a size line over max is 413 before its data: the
	   size line alone is enough, its digits used up to the one over. */
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, 1000, 64);
	ck_assert_int_eq(reqbody_collect(&b, "ffffffffffffffff\r\n", 18,
	    &used), 413);
	reqbody_reset(&b);
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, 1000, 64);
	reqbody_set_raw(&b);
	{
		const char	*p;
		size_t		 len;

		ck_assert_int_eq(reqbody_peek(&b, "3\r\nabc\r\n3e6\r\n", 13,
		    &p, &len), 1);
		ck_assert_uint_eq(len, 6);	/* "3\r\nabc": up to that line */
		ck_assert_int_eq(reqbody_error(&b), 413);
	}
	reqbody_reset(&b);
}
END_TEST

/* Past mem_max the body goes to a temp file, rewound once whole; the
   reader takes the fd. */
START_TEST(spill)
{
	struct reqbody	 b;
	char		 in[512], out[256], buf[300];
	size_t		 used, n = 0, i;
	const char	*p;
	size_t		 len;
	int		 fd;

	/* Four chunks of 50 bytes, memory bound 64. */
	for (i = 0; i < 4; i++) {
		memcpy(in + n, "32\r\n", 4);
		memset(in + n + 4, 'a' + (int)i, 50);
		memcpy(in + n + 54, "\r\n", 2);
		n += 56;
	}
	memcpy(in + n, "0\r\n\r\n", 5);
	n += 5;
	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	ck_assert_int_eq(reqbody_collect(&b, in, 60, &used), REQBODY_MORE);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_MEMORY);
	ck_assert_int_eq(reqbody_collect(&b, in + used, n - used, &used),
	    REQBODY_DONE);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_FILE);
	ck_assert_uint_eq(reqbody_total(&b), 200);
	/* The app reads it from the file, not through peek. */
	reqbody_peek(&b, "", 0, &p, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(reqbody_complete(&b), 1);
	fd = reqbody_fd(&b);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(reqbody_spill_unread(&b), 1);
	ck_assert_int_eq(read(fd, out, 100), 100);
	ck_assert_int_eq(reqbody_spill_unread(&b), 1);
	ck_assert_int_eq(read(fd, out + 100, 156), 100);
	ck_assert_int_eq(reqbody_spill_unread(&b), 0);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(out[i], 'a' + (int)(i / 50));
	/* Taken: the caller closes it, reset does not. */
	ck_assert_int_eq(reqbody_take_fd(&b), fd);
	ck_assert_int_eq(reqbody_fd(&b), -1);
	ck_assert_int_eq(reqbody_take_fd(&b), -1);
	reqbody_reset(&b);
	ck_assert_int_eq(read(fd, buf, 1), 0);
	ck_assert_int_eq(close(fd), 0);
}
END_TEST

/* A local redirect: the app sees no body; the wire rest is still read. */
START_TEST(detach)
{
	struct reqbody	 b;
	const char	*p;
	size_t		 len, used;

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_LENGTH, 10, MAX, 64);
	reqbody_detach(&b);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_NONE);
	reqbody_peek(&b, "0123456789", 10, &p, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(reqbody_complete(&b), 1);
	ck_assert_int_eq(reqbody_wire_done(&b), 0);
	ck_assert_uint_eq(reqbody_unread(&b), 10);
	reqbody_reset(&b);

	/* A raw chunked body left half read. */
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	reqbody_set_raw(&b);
	reqbody_detach(&b);
	ck_assert_int_eq(reqbody_complete(&b), 1);
	ck_assert_int_eq(reqbody_wire_done(&b), 0);
	reqbody_reset(&b);

	/* A spilled body: its file is closed. */
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 2);
	ck_assert_int_eq(reqbody_collect(&b, chunked_in,
	    sizeof(chunked_in) - 1, &used), REQBODY_DONE);
	ck_assert_int_eq(reqbody_kind(&b), REQBODY_FILE);
	reqbody_detach(&b);
	ck_assert_int_eq(reqbody_fd(&b), -1);
	ck_assert_int_eq(reqbody_spill_unread(&b), 0);
	ck_assert_int_eq(reqbody_wire_done(&b), 1);
	reqbody_reset(&b);
}
END_TEST

/* What a hijacking app gets: the collected rest, then the input. */
START_TEST(hijack_rest)
{
	struct reqbody	 b;
	const char	*p;
	size_t		 len, used;
	char		*joined;

	memset(&b, 0, sizeof(b));
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	ck_assert_int_eq(reqbody_collect(&b, chunked_in,
	    sizeof(chunked_in) - 1, &used), REQBODY_DONE);
	reqbody_peek(&b, "", 0, &p, &len);
	reqbody_consume(&b, "", 0, 6);
	ck_assert_int_eq(reqbody_hijack_rest(&b, "PING", 4, &p, &len,
	    &joined), 0);
	ck_assert_ptr_nonnull(joined);
	ck_assert_uint_eq(len, 9);
	ck_assert_int_eq(memcmp(p, "worldPING", 9), 0);
	free(joined);
	/* All passed on: the input alone, not copied. */
	reqbody_consume(&b, "", 0, 5);
	ck_assert_int_eq(reqbody_hijack_rest(&b, "PING", 4, &p, &len,
	    &joined), 0);
	ck_assert_ptr_null(joined);
	ck_assert_uint_eq(len, 4);
	reqbody_reset(&b);

	/* Raw chunked: the rest goes as the client sent it. */
	reqbody_start(&b, HTTP1_BODY_CHUNKED, 0, MAX, 64);
	reqbody_set_raw(&b);
	ck_assert_int_eq(reqbody_hijack_rest(&b, chunked_in, 8, &p, &len,
	    &joined), 0);
	ck_assert_ptr_null(joined);
	ck_assert_ptr_eq(p, chunked_in);
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(reqbody_spill_unread(&b), 0);
	reqbody_reset(&b);
}
END_TEST

static Suite *
reqbody_suite(void)
{
	Suite	*s = suite_create("reqbody");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, none);
	tcase_add_test(tc, length);
	tcase_add_test(tc, length_partial);
	tcase_add_loop_test(tc, received, 0, (int)(sizeof(received_cases) /
	    sizeof(received_cases[0])));
	tcase_add_loop_test(tc, raw_chunked, 0, (int)sizeof(chunked_in));
	tcase_add_test(tc, raw_chunked_bad);
	tcase_add_loop_test(tc, memory, 0, (int)sizeof(chunked_in));
	tcase_add_test(tc, collect_errors);
	tcase_add_test(tc, spill);
	tcase_add_test(tc, detach);
	tcase_add_test(tc, hijack_rest);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(reqbody_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
