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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

#define HC_TCP_CLOSE	7	/* tcpi_state of a closed socket (Linux's
				   TCP_CLOSE, which linux/tcp.h lacks) */

size_t
hc_send_absorbed(struct hc *c, size_t len, int stall_ms)
{
	static char	 buf[65536];
	struct tcp_info	 ti;
	socklen_t	 tl;
	size_t		 sent = 0, piece;
	unsigned	 max_wnd = 0;
	long long	 short_since = -1, deadline;
	int		 outq;
	ssize_t		 n;

	memset(buf, 'x', sizeof(buf));
	while (sent < len) {
		tl = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == -1 ||
		    ioctl(c->fd, SIOCOUTQ, &outq) == -1)
			break;
		/* Room in the window for a piece, with a quarter of the
		   widest window seen left free: a receiver's window says
		   what it offered, not what its memory still takes, and a
		   receiver whose memory is full drops even a bare FIN (Linux
		   6.x, on loopback, under load).  A window that opens only
		   by the odd segment is a receiver that stopped reading:
		   shut. */
		if (ti.tcpi_snd_wnd > max_wnd)
			max_wnd = ti.tcpi_snd_wnd;
		piece = ti.tcpi_snd_wnd > (unsigned)outq + max_wnd / 4 + 1 ?
		    ti.tcpi_snd_wnd - (unsigned)outq - max_wnd / 4 - 1 : 0;
		if (piece > sizeof(buf))
			piece = sizeof(buf);
		if (piece > len - sent)
			piece = len - sent;
		if (piece < 4096 && piece < len - sent) {
			if (short_since == -1)
				short_since = harness_now_ms();
			else if (harness_now_ms() - short_since >= stall_ms)
				break;
			harness_sleep_ms(2);
			continue;
		}
		short_since = -1;
		n = send(c->fd, buf, piece, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	/* Everything sent is acknowledged: in the peer's hands. */
	deadline = harness_now_ms() + 5000;
	while (ioctl(c->fd, SIOCOUTQ, &outq) == 0 && outq > 0 &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(1);
	return sent;
}

size_t
hc_unabsorbable_len(void)
{
	unsigned long long	 tcp_max = 0, core_max = 0;
	char			*s;

	if ((s = harness_read_file("/proc/sys/net/ipv4/tcp_rmem",
	    NULL)) != NULL) {
		if (sscanf(s, "%*u %*u %llu", &tcp_max) != 1)
			tcp_max = 0;
		free(s);
	}
	if ((s = harness_read_file("/proc/sys/net/core/rmem_max",
	    NULL)) != NULL) {
		if (sscanf(s, "%llu", &core_max) != 1)
			core_max = 0;
		free(s);
	}
	if (tcp_max == 0 && core_max == 0)
		tcp_max = 64ULL << 20;		/* not Linux's /proc: plenty */
	if (tcp_max < 2 * core_max)
		tcp_max = 2 * core_max;
	return (size_t)tcp_max + (8 << 20);
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
		hc_fin_taken(f, c, sent);
	return sent;
}

void
hc_fin_taken(const struct ferryd *f, struct hc *c, size_t sent)
{
	struct tcp_info	 ti;
	socklen_t	 tl;
	long long	 deadline;
	int		 outq;

	hc_shutdown_write(c);
	deadline = harness_now_ms() + 5000;
	for (;;) {
		tl = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		/* Taken: acknowledged, or the server already closed (a
		   reset leaves the FIN counted in SIOCOUTQ). */
		if (ioctl(c->fd, SIOCOUTQ, &outq) == -1 || outq == 0 ||
		    getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == -1 ||
		    ti.tcpi_state == HC_TCP_CLOSE)
			return;
		HARNESS_ASSERT(f, harness_now_ms() < deadline, "the server's "
		    "kernel did not take our FIN in 5 s (%zu body bytes "
		    "sent, window %u): ferryd cannot see it; the test could "
		    "not set up", sent, ti.tcpi_snd_wnd);
		harness_sleep_ms(1);
	}
}

int
hc_trickle_until_answer(struct hc *c, int ms)
{
	long long	 deadline = harness_now_ms() + ms;

	while (harness_now_ms() < deadline)
		if (hc_try_send(c, "xxxxx", 5) == -1 || hc_fill(c, 100) >= 0)
			return 1;
	return 0;
}
