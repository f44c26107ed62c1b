/*
 * The one audited place that passes file descriptors (SCM_RIGHTS) over a
 * Unix socket, shared by ferryd and libferry.
 */
#ifndef FERRY_FDPASS_H
#define FERRY_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* The most descriptors one message carries (fdpass_sendv), and the room
   on receive: a peer's few extra fds arrive and are closed rather than
   make the message look truncated. */
#define FDPASS_MAX_FDS	8

/*
 * Sends buf[0..len) (len > 0) on the Unix socket sock with fd attached as
 * SCM_RIGHTS (fd < 0: none), with MSG_NOSIGNAL (EPIPE, no SIGPIPE).
 * Returns the bytes sent, which may be fewer than len on a non-blocking
 * socket (the fd went with the first byte), or -1 with errno set.  fd
 * stays open here: the caller closes its copy when it wants to.
 */
ssize_t	fdpass_send(int sock, const void *buf, size_t len, int fd);

/*
 * Receives up to len (> 0) bytes from sock into buf.  *fd is set to the
 * descriptor that came with them (close-on-exec), or -1; at most the first
 * is kept, extra ones are closed.  Returns the bytes read (0 at EOF, never
 * with an fd), or -1 with errno set.  Fails with EMSGSIZE, closing every
 * fd that arrived, when the control data was truncated (too many fds) or a
 * datagram/seqpacket record did not fit in len: the bytes are lost then,
 * so the caller should drop the connection.
 */
ssize_t	fdpass_recv(int sock, void *buf, size_t len, int *fd);

/* fdpass_send with fds[0..nfds) attached, nfds <= FDPASS_MAX_FDS (else
   EINVAL). */
ssize_t	fdpass_sendv(int sock, const void *buf, size_t len, const int *fds,
	    size_t nfds);

/* fdpass_recv keeping up to *nfds descriptors in fds (the rest closed);
   *nfds is set to how many were kept (0 with EOF or an error). */
ssize_t	fdpass_recvv(int sock, void *buf, size_t len, int *fds,
	    size_t *nfds);

#endif
