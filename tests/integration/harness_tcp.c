/*
 * The harness's one sender that needs the kernel's own TCP_INFO (the
 * peer's advertised window, tcpi_snd_wnd, which glibc's netinet/tcp.h
 * does not have): apart, since linux/tcp.h and netinet/tcp.h do not mix.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

#include <errno.h>
#include <string.h>

#include "tests/integration/harness.h"

size_t
hc_send_absorbed(struct hc *c, size_t len, int stall_ms)
{
	char		 buf[2048];
	struct tcp_info	 ti;
	socklen_t	 tl;
	size_t		 sent = 0, piece;
	long long	 short_since = -1, deadline;
	int		 outq;
	ssize_t		 n;

	memset(buf, 'x', sizeof(buf));
	while (sent < len) {
		piece = len - sent < sizeof(buf) ? len - sent : sizeof(buf);
		tl = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == -1 ||
		    ioctl(c->fd, SIOCOUTQ, &outq) == -1)
			break;
		if (ti.tcpi_snd_wnd < (unsigned)outq + piece + 1) {
			if (short_since == -1)
				short_since = harness_now_ms();
			else if (harness_now_ms() - short_since >= stall_ms)
				break;
			harness_sleep_ms(5);
			continue;
		}
		short_since = -1;
		n = send(c->fd, buf, piece, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		sent += (size_t)n;
		deadline = harness_now_ms() + 1000;
		while (ioctl(c->fd, SIOCOUTQ, &outq) == 0 && outq > 0 &&
		    harness_now_ms() < deadline)
			harness_sleep_ms(1);
	}
	return sent;
}

size_t
hc_upload_then_leave(const struct ferryd *f, struct hc *c, const char *head,
    size_t body_len, int rst)
{
	size_t	sent;

	if (head != NULL)
		hc_sendstr(c, head);
	sent = hc_send_absorbed(c, body_len, 300);
	HARNESS_ASSERT(f, sent > 96 * 1024 && sent < body_len, "%zu bytes of "
	    "the body went: the server's buffers did not fill", sent);
	if (rst) {
		sent += hc_send_until_stuck(c, body_len - sent, 300);
		hc_reset(c);
	} else
		hc_shutdown_write(c);
	return sent;
}
