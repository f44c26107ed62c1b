#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdpass/fdpass.h"

/*
 * Every test talks over a real socketpair to a forked child that sends
 * (with fdpass_send or fdpass_sendv, or with a raw sendmsg when it must
 * misbehave); the parent receives with fdpass_recv or fdpass_recvv and
 * checks what arrived and that no descriptor leaked into its table.
 */

#define FDSCAN		1024	/* fd numbers scanned for leaks */
#define MANYFDS		64	/* more than fdpass_recv has room for */

struct fdset {
	unsigned char	open[FDSCAN];
};

static void	fdset_take(struct fdset *);
static void	fdset_same(const struct fdset *, const struct fdset *, int);
static int	child_start(int, int (*)(int), int *, pid_t *);
static void	child_wait(pid_t);
static int	send_raw(int, const void *, size_t, const int *, int);
static int	pipe_with(const char *, int *);
static int	child_send_pipe(int);
static int	child_send_pieces(int);
static int	child_send_nofd(int);
static int	child_send_three(int);
static int	child_sendv_three(int);
static int	child_send_many(int);
static int	child_send_eof(int);
static int	child_send_long(int);
static int	child_send_late(int);
static void	on_alarm(int);

/* Socket types every transport test runs over. */
static const int sock_types[] = {
	SOCK_STREAM,		/* the FastCGI channel and hijack */
	SOCK_SEQPACKET,		/* records keep their boundaries */
};

#define NTYPES	((int)(sizeof(sock_types) / sizeof(sock_types[0])))

/* Marks which fd numbers are open now. */
static void
fdset_take(struct fdset *s)
{
	int	fd;

	for (fd = 0; fd < FDSCAN; fd++)
		s->open[fd] = fcntl(fd, F_GETFD) != -1;
}

/* Asserts that after holds what before held, plus extra (-1: nothing). */
static void
fdset_same(const struct fdset *before, const struct fdset *after, int extra)
{
	int	fd;

	for (fd = 0; fd < FDSCAN; fd++) {
		if (fd == extra) {
			ck_assert_msg(!before->open[fd] && after->open[fd],
			    "fd %d should be new", fd);
			continue;
		}
		ck_assert_msg(before->open[fd] == after->open[fd],
		    "fd %d was %s and is %s", fd,
		    before->open[fd] ? "open" : "closed",
		    after->open[fd] ? "open" : "closed");
	}
}

/*
 * Forks a child that runs fn on its end of a fresh socketpair of type
 * type and exits with fn's result; returns 0 and the parent's end.
 */
static int
child_start(int type, int (*fn)(int), int *sock, pid_t *pid)
{
	int	sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((*pid = fork()) == -1)
		return -1;
	if (*pid == 0) {
		close(sv[0]);
		_exit(fn(sv[1]));
	}
	close(sv[1]);
	*sock = sv[0];
	return 0;
}

/* Reaps the child and asserts that it exited with 0. */
static void
child_wait(pid_t pid)
{
	int	status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child did not exit");
	ck_assert_msg(WEXITSTATUS(status) == 0, "child failed at step %d",
	    WEXITSTATUS(status));
}

/* A sendmsg carrying nfds fds in one SCM_RIGHTS message. */
static int
send_raw(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(MANYFDS * sizeof(int))];
	} cmsgbuf;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, (size_t)nfds * sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Makes a pipe holding text, closes its write end, returns the read end. */
static int
pipe_with(const char *text, int *rd)
{
	int	p[2];

	if (pipe(p) == -1)
		return -1;
	if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(p[1]);
	*rd = p[0];
	return 0;
}

/* Sends "hello" with the read end of a pipe that holds "in the pipe". */
static int
child_send_pipe(int sock)
{
	int	rd;

	if (pipe_with("in the pipe", &rd) == -1)
		return 1;
	if (fdpass_send(sock, "hello", 5, rd) != 5)
		return 2;
	close(rd);
	return 0;
}

/* Sends "abcdefgh" with a pipe, in one message. */
static int
child_send_pieces(int sock)
{
	int	rd;

	if (pipe_with("x", &rd) == -1)
		return 1;
	if (fdpass_send(sock, "abcdefgh", 8, rd) != 8)
		return 2;
	return 0;
}

/* Sends "plain" and no fd. */
static int
child_send_nofd(int sock)
{
	return fdpass_send(sock, "plain", 5, -1) == 5 ? 0 : 1;
}

/* Sends "abc" with three pipes at once, holding "0", "1" and "2". */
static int
child_send_three(int sock)
{
	int	fds[3];

	if (pipe_with("0", &fds[0]) == -1 || pipe_with("1", &fds[1]) == -1 ||
	    pipe_with("2", &fds[2]) == -1)
		return 1;
	return send_raw(sock, "abc", 3, fds, 3) == 0 ? 0 : 2;
}

/* Sends "abc" with three pipes by fdpass_sendv, holding "0", "1" and
   "2", then the same again. */
static int
child_sendv_three(int sock)
{
	int	fds[3], round;

	for (round = 0; round < 2; round++) {
		if (pipe_with("0", &fds[0]) == -1 ||
		    pipe_with("1", &fds[1]) == -1 ||
		    pipe_with("2", &fds[2]) == -1)
			return 1;
		if (fdpass_sendv(sock, "abc", 3, fds, 3) != 3)
			return 2;
		close(fds[0]);
		close(fds[1]);
		close(fds[2]);
	}
	return 0;
}

/* Sends "many" with MANYFDS fds in one message, then "next" alone. */
static int
child_send_many(int sock)
{
	int	fds[MANYFDS], i;

	for (i = 0; i < MANYFDS; i++)
		if ((fds[i] = open("/dev/null", O_RDONLY)) == -1)
			return 1;
	if (send_raw(sock, "many", 4, fds, MANYFDS) == -1)
		return 2;
	if (fdpass_send(sock, "next", 4, -1) != 4)
		return 3;
	return 0;
}

/* Sends nothing: the parent sees EOF. */
static int
child_send_eof(int sock)
{
	return 0;
}

/* Sends a 10-byte record with a pipe, then "next" alone. */
static int
child_send_long(int sock)
{
	int	rd;

	if (pipe_with("x", &rd) == -1)
		return 1;
	if (fdpass_send(sock, "0123456789", 10, rd) != 10)
		return 2;
	if (fdpass_send(sock, "next", 4, -1) != 4)
		return 3;
	return 0;
}

/* Sends "late" with a pipe after 300 ms. */
static int
child_send_late(int sock)
{
	int	rd;

	usleep(300 * 1000);
	if (pipe_with("x", &rd) == -1)
		return 1;
	return fdpass_send(sock, "late", 4, rd) == 4 ? 0 : 2;
}

/* A signal handler can only leave its trace in a global. */
static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	alarms++;
}

/*
 * A record with a pipe: the bytes arrive whole, the fd is new,
 * close-on-exec, and reads what the child put in the pipe.
 */
START_TEST(test_fdpass_pipe)
{
	struct fdset	before, after;
	char		buf[64];
	ssize_t		n;
	pid_t		pid;
	int		sock, fd;

	ck_assert_int_eq(child_start(sock_types[_i], child_send_pipe, &sock,
	    &pid), 0);
	fdset_take(&before);
	n = fdpass_recv(sock, buf, sizeof(buf), &fd);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_ge(fd, 0);
	fdset_take(&after);
	fdset_same(&before, &after, fd);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 11);
	ck_assert_int_eq(memcmp(buf, "in the pipe", 11), 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	child_wait(pid);
	close(sock);
}
END_TEST

/*
 * A stream record read back one byte at a time: the fd comes with the
 * first byte, none with the others, all bytes in order, then EOF.
 */
START_TEST(test_fdpass_pieces)
{
	char	c;
	ssize_t	n;
	pid_t	pid;
	int	sock, fd, i;

	ck_assert_int_eq(child_start(SOCK_STREAM, child_send_pieces, &sock,
	    &pid), 0);
	child_wait(pid);	/* the whole record is queued before we read */
	for (i = 0; i < 8; i++) {
		n = fdpass_recv(sock, &c, 1, &fd);
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(c, "abcdefgh"[i]);
		if (i == 0) {
			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(read(fd, &c, 1), 1);
			ck_assert_int_eq(c, 'x');
			close(fd);
		} else
			ck_assert_int_eq(fd, -1);
	}
	ck_assert_int_eq(fdpass_recv(sock, &c, 1, &fd), 0);
	ck_assert_int_eq(fd, -1);
	close(sock);
}
END_TEST

/* A record without an fd: *fd is -1, whatever it held before. */
START_TEST(test_fdpass_nofd)
{
	struct fdset	before, after;
	char		buf[64];
	pid_t		pid;
	int		sock, fd;

	ck_assert_int_eq(child_start(sock_types[_i], child_send_nofd, &sock,
	    &pid), 0);
	fdset_take(&before);
	fd = 42;
	ck_assert_int_eq(fdpass_recv(sock, buf, sizeof(buf), &fd), 5);
	ck_assert_int_eq(memcmp(buf, "plain", 5), 0);
	ck_assert_int_eq(fd, -1);
	fdset_take(&after);
	fdset_same(&before, &after, -1);
	child_wait(pid);
	close(sock);
}
END_TEST

/*
 * Three fds in one message: the first is kept (it reads "0"), the other
 * two are closed, so exactly one new fd number is open.
 */
START_TEST(test_fdpass_three)
{
	struct fdset	before, after;
	char		buf[64];
	pid_t		pid;
	int		sock, fd;

	ck_assert_int_eq(child_start(sock_types[_i], child_send_three, &sock,
	    &pid), 0);
	fdset_take(&before);
	ck_assert_int_eq(fdpass_recv(sock, buf, sizeof(buf), &fd), 3);
	ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
	ck_assert_int_ge(fd, 0);
	fdset_take(&after);
	fdset_same(&before, &after, fd);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], '0');
	close(fd);
	child_wait(pid);
	close(sock);
}
END_TEST

/* fdpass_sendv's three fds arrive in order through fdpass_recvv; with
   room for two, the third is closed, not leaked. */
START_TEST(test_fdpass_vector)
{
	struct fdset	before, after;
	char		buf[64];
	pid_t		pid;
	size_t		nfds, i;
	int		sock, fds[3];

	ck_assert_int_eq(child_start(sock_types[_i], child_sendv_three, &sock,
	    &pid), 0);
	child_wait(pid);	/* both messages are queued */
	fdset_take(&before);
	nfds = 3;
	ck_assert_int_eq(fdpass_recvv(sock, buf, 3, fds, &nfds), 3);
	ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
	ck_assert_uint_eq(nfds, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(read(fds[i], buf, sizeof(buf)), 1);
		ck_assert_int_eq(buf[0], '0' + (int)i);
		close(fds[i]);
	}
	nfds = 2;
	ck_assert_int_eq(fdpass_recvv(sock, buf, 3, fds, &nfds), 3);
	ck_assert_uint_eq(nfds, 2);
	close(fds[0]);
	close(fds[1]);
	fdset_take(&after);
	fdset_same(&before, &after, -1);
	close(sock);
}
END_TEST

/*
 * More fds than the control buffer holds: MSG_CTRUNC, -1 with EMSGSIZE,
 * no fd kept and none leaked; the next message still arrives.
 */
START_TEST(test_fdpass_ctrunc)
{
	struct fdset	before, after;
	char		buf[64];
	pid_t		pid;
	int		sock, fd;

	ck_assert_int_eq(child_start(sock_types[_i], child_send_many, &sock,
	    &pid), 0);
	child_wait(pid);	/* both messages are queued */
	fdset_take(&before);
	errno = 0;
	ck_assert_int_eq(fdpass_recv(sock, buf, sizeof(buf), &fd), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(fd, -1);
	fdset_take(&after);
	fdset_same(&before, &after, -1);
	ck_assert_int_eq(fdpass_recv(sock, buf, sizeof(buf), &fd), 4);
	ck_assert_int_eq(memcmp(buf, "next", 4), 0);
	ck_assert_int_eq(fd, -1);
	close(sock);
}
END_TEST

/* The peer closed without sending: 0, no fd. */
START_TEST(test_fdpass_eof)
{
	char	buf[8];
	pid_t	pid;
	int	sock, fd;

	ck_assert_int_eq(child_start(sock_types[_i], child_send_eof, &sock,
	    &pid), 0);
	child_wait(pid);
	fd = 42;
	ck_assert_int_eq(fdpass_recv(sock, buf, sizeof(buf), &fd), 0);
	ck_assert_int_eq(fd, -1);
	close(sock);
}
END_TEST

/*
 * A seqpacket record longer than the buffer: MSG_TRUNC, -1 with
 * EMSGSIZE, its fd closed; the next record arrives whole.
 */
START_TEST(test_fdpass_record_trunc)
{
	struct fdset	before, after;
	char		buf[64];
	pid_t		pid;
	int		sock, fd;

	ck_assert_int_eq(child_start(SOCK_SEQPACKET, child_send_long, &sock,
	    &pid), 0);
	child_wait(pid);
	fdset_take(&before);
	errno = 0;
	ck_assert_int_eq(fdpass_recv(sock, buf, 4, &fd), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(fd, -1);
	fdset_take(&after);
	fdset_same(&before, &after, -1);
	ck_assert_int_eq(fdpass_recv(sock, buf, sizeof(buf), &fd), 4);
	ck_assert_int_eq(memcmp(buf, "next", 4), 0);
	ck_assert_int_eq(fd, -1);
	close(sock);
}
END_TEST

/*
 * A signal (no SA_RESTART) interrupts a blocked fdpass_recv: it retries
 * and returns the record that comes later.
 */
START_TEST(test_fdpass_eintr)
{
	struct sigaction	sa;
	struct itimerval	it;
	char			buf[64];
	pid_t			pid;
	int			sock, fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(child_start(SOCK_STREAM, child_send_late, &sock,
	    &pid), 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 50 * 1000;
	it.it_interval.tv_usec = 50 * 1000;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	alarms = 0;
	ck_assert_int_eq(fdpass_recv(sock, buf, sizeof(buf), &fd), 4);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_ge(alarms, 2);	/* it was interrupted, and retried */
	ck_assert_int_eq(memcmp(buf, "late", 4), 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	child_wait(pid);
	close(sock);
}
END_TEST

/*
 * Misuse and errors with no child: len 0 is EINVAL both ways, a bad fd
 * is EBADF, a closed peer is EPIPE and no SIGPIPE (the test would die).
 */
START_TEST(test_fdpass_errors)
{
	char	buf[8];
	int	sv[2], fd, many[FDPASS_MAX_FDS + 1] = { 0 };

	ck_assert_int_eq(socketpair(AF_UNIX, sock_types[_i] | SOCK_CLOEXEC,
	    0, sv), 0);
	errno = 0;
	ck_assert_int_eq(fdpass_send(sv[0], "x", 0, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	fd = 42;
	ck_assert_int_eq(fdpass_recv(sv[0], buf, 0, &fd), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(fd, -1);
	errno = 0;
	ck_assert_int_eq(fdpass_send(sv[0], "x", 1, FDSCAN + 7), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(fdpass_sendv(sv[0], "x", 1, many, FDPASS_MAX_FDS + 1),
	    -1);
	ck_assert_int_eq(errno, EINVAL);
	close(sv[1]);
	errno = 0;
	ck_assert_int_eq(fdpass_send(sv[0], "x", 1, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(sv[0]);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("fdpass");
	TCase	*tc = tcase_create("fdpass");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_fdpass_pipe, 0, NTYPES);
	tcase_add_test(tc, test_fdpass_pieces);
	tcase_add_loop_test(tc, test_fdpass_nofd, 0, NTYPES);
	tcase_add_loop_test(tc, test_fdpass_three, 0, NTYPES);
	tcase_add_loop_test(tc, test_fdpass_vector, 0, NTYPES);
	tcase_add_loop_test(tc, test_fdpass_ctrunc, 0, NTYPES);
	tcase_add_loop_test(tc, test_fdpass_eof, 0, NTYPES);
	tcase_add_test(tc, test_fdpass_record_trunc);
	tcase_add_test(tc, test_fdpass_eintr);
	tcase_add_loop_test(tc, test_fdpass_errors, 0, NTYPES);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
