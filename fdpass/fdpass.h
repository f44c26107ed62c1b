/*
 * The one audited place that passes file descriptors (SCM_RIGHTS) over a
 * Unix socket, shared by ferryd and libferry.
 */
#ifndef FERRY_FDPASS_H
#define FERRY_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Sends buf[0..len) (len > 0) on the Unix socket sock with fd attached as
 * SCM_RIGHTS (fd < 0: none), with MSG_NOSIGNAL.  Returns the bytes sent,
 * which may be fewer than len on a non-blocking socket (the fd went with
 * the first byte), or -1 with errno set.
 */
ssize_t	fdpass_send(int sock, const void *buf, size_t len, int fd);

/*
 * Receives up to len bytes from sock into buf.  *fd is set to the
 * descriptor that came with them (close-on-exec), or -1.  Extra
 * descriptors are closed; a truncated control message (MSG_CTRUNC) closes
 * what arrived and fails with EMSGSIZE.  Returns the bytes read (0 at
 * EOF), or -1 with errno set.
 */
ssize_t	fdpass_recv(int sock, void *buf, size_t len, int *fd);

#endif
