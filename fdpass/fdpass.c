#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fdpass/fdpass.h"

ssize_t
fdpass_send(int sock, const void *buf, size_t len, int fd)
{
	return fdpass_sendv(sock, buf, len, &fd, fd >= 0 ? 1 : 0);
}

ssize_t
fdpass_sendv(int sock, const void *buf, size_t len, const int *fds,
    size_t nfds)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;	/* aligns the buffer for cmsghdr */
		char		buf[CMSG_SPACE(FDPASS_MAX_FDS * sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;

	/* On a stream socket, ancillary data with no byte is dropped. */
	if (len == 0 || nfds > FDPASS_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;	/* sendmsg does not write */
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	/*
	 * MSG_NOSIGNAL: a peer that went away is EPIPE, not a SIGPIPE that
	 * kills the process.  EINTR means nothing was sent: send again.
	 */
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
fdpass_recv(int sock, void *buf, size_t len, int *fd)
{
	size_t	nfds = 1;
	ssize_t	n;

	n = fdpass_recvv(sock, buf, len, fd, &nfds);
	if (nfds == 0)
		*fd = -1;
	return n;
}

ssize_t
fdpass_recvv(int sock, void *buf, size_t len, int *fds, size_t *nfds)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;	/* aligns the buffer for cmsghdr */
		char		buf[CMSG_SPACE(FDPASS_MAX_FDS * sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;
	size_t		 i, k, room = *nfds, got = 0;
	int		 fd;

	*nfds = 0;
	/* A read of 0 bytes would look like EOF. */
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	/*
	 * MSG_CMSG_CLOEXEC: the fds are close-on-exec from the moment they
	 * exist, so a fork+exec in another thread cannot leak them.
	 */
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			/* CMSG_DATA need not be aligned for int: copy. */
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			/* Keep room of them; nobody would close the others. */
			if (got < room)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	/*
	 * Truncated control data: the kernel closed the fds that did not fit
	 * and the sender broke the protocol, so drop the ones we kept and
	 * fail.  A truncated record (datagram or seqpacket socket) lost bytes:
	 * fail too rather than hand on half a record.  And no fd with EOF (or
	 * an empty record): the caller looks at n only.
	 */
	if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || n == 0) {
		while (got > 0)
			close(fds[--got]);
		if (n != 0) {
			errno = EMSGSIZE;
			return -1;
		}
	}
	*nfds = got;
	return n;
}
