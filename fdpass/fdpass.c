#include "config.h"

#include <errno.h>

#include "fdpass/fdpass.h"

ssize_t
fdpass_send(int sock, const void *buf, size_t len, int fd)
{
	errno = ENOSYS;
	return -1;
}

ssize_t
fdpass_recv(int sock, void *buf, size_t len, int *fd)
{
	errno = ENOSYS;
	return -1;
}
