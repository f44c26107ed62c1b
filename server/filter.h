/*
 * The system call filter of an app's processes (syscall_filter = default):
 * a seccomp BPF program that denies the calls no web app needs, built
 * once in the master with libseccomp and installed by spawn.c's child
 * right before its exec (filter_install).  Its twin hands each denied
 * call to a listener in the master (server/notif.c), which answers EPERM
 * and logs the call; the plain program answers EPERM itself.
 */
#ifndef FERRY_SERVER_FILTER_H
#define FERRY_SERVER_FILTER_H

#include <sys/types.h>

#include <stdint.h>

struct sock_fprog;

/* What a child sends the master (a datagram, with its listener as
   SCM_RIGHTS when error is 0).  No pid: in a new pid namespace the
   child's own would not be the master's; one spawn runs at a time. */
struct filter_msg {
	int	 error;		/* 0, or why it has no listener */
};

/*
 * The default filter, built on the first call and kept for good.  When
 * libseccomp fails (logged once) it is an empty program, which the
 * kernel refuses (EINVAL): a process meant to run filtered is then not
 * started at all rather than started without the filter.
 */
const struct sock_fprog	*filter_default(void);

/*
 * The filter an app with syscall_filter set to which (enum
 * conf_syscall_filter) runs under: NULL for off.
 */
const struct sock_fprog	*filter_for(int which);

/*
 * The twin of plain (a filter_for result) that hands the denied calls to
 * a listener (SECCOMP_RET_USER_NOTIF), or NULL when it has none.
 */
const struct sock_fprog	*filter_notifying(const struct sock_fprog *plain);

/* The name of system call nr of architecture arch (AUDIT_ARCH_*, as a
   seccomp notification gives them), in new memory; NULL when unknown. */
char	*filter_call_name(uint32_t arch, int nr);

/*
 * In a child (async-signal-safe; after no_new_privs): installs plain, or
 * with notify and sock >= 0 installs notify with a new listener, sends
 * the master a struct filter_msg with it on sock (non-blocking) and
 * closes its own copy.  When there is no listener or it cannot be sent,
 * plain goes on top, so a denied call still gets EPERM, never ENOSYS.
 * 0, or -1 with errno (the kernel refused plain).
 */
int	filter_install(const struct sock_fprog *plain,
	    const struct sock_fprog *notify, int sock);

#endif
