/*
 * The system call filter of an app's processes (syscall_filter = default):
 * a seccomp BPF program that answers EPERM to the calls no web app needs,
 * built once in the master with libseccomp and installed by spawn.c's
 * child with one prctl right before its exec.
 */
#ifndef FERRY_SERVER_FILTER_H
#define FERRY_SERVER_FILTER_H

struct sock_fprog;

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

#endif
