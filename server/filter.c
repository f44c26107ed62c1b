/*
 * syscall_filter = default: libseccomp builds the filter once, here in
 * the master, and exports it as BPF, so that a child (perhaps a vfork
 * child on our stack) makes no libseccomp call, only the seccomp call
 * and the sendmsg of filter_install.  Two programs: the plain one answers
 * EPERM itself; its twin hands each denied call to a listener (in the
 * master, server/notif.c), which answers EPERM and logs it.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdpass/fdpass.h"
#include "server/conf-t.h"
#include "server/filter.h"
#include "server/log.h"

/* The calls denied with EPERM: debugging and tracing other processes
   (pidfd_getfd too: a copy of ferryd's fd of a seccomp listener would
   let a process answer its own denied calls),
   mounts and namespaces, the kernel's modules, keys, clock, swap,
   accounting and I/O ports.  A name the architecture lacks is skipped. */
static const char *const filter_denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"open_by_handle_at", "name_to_handle_at",
	"reboot", "kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module",
	"bpf", "perf_event_open", "userfaultfd", "lookup_dcookie",
	"keyctl", "add_key", "request_key",
	"swapon", "swapoff", "acct", "quotactl",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "iopl", "ioperm",
	NULL
};

static struct sock_fprog	filter_prog;
static struct sock_fprog	filter_notify_prog;	/* its twin */
static int			filter_built;

static int	filter_build(struct sock_fprog *prog, uint32_t action);
static int	filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog);

/* The filter's BPF, through a memfd (libseccomp 2.5 exports to a fd
   only): 0, or an errno. */
static int
filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	struct stat	 st;
	char		*buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, rc, error = 0;

	if ((fd = memfd_create("ferry-filter", MFD_CLOEXEC)) == -1)
		return errno;
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
		error = -rc;
	else if (fstat(fd, &st) == -1)
		error = errno;
	else if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter))
		error = EINVAL;
	else if ((buf = malloc((size_t)st.st_size)) == NULL)
		error = errno;
	else {
		while (got < (size_t)st.st_size && (n = pread(fd, buf + got,
		    (size_t)st.st_size - got, (off_t)got)) > 0)
			got += (size_t)n;
		if (got != (size_t)st.st_size) {
			free(buf);
			error = EIO;
		} else {
			prog->filter = (struct sock_filter *)(void *)buf;
			prog->len = (unsigned short)(got /
			    sizeof(struct sock_filter));
		}
	}
	close(fd);
	return error;
}

/* Allow everything but filter_denied, which get action: 0, or an
   errno. */
static int
filter_build(struct sock_fprog *prog, uint32_t action)
{
	scmp_filter_ctx	 ctx;
	int		 i, nr, rc = 0;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return ENOMEM;
	/* A binary tree of the denied numbers rather than a list: every
	   allowed call takes a few comparisons, not one per denied call.
	   That is most of what installing the filter costs a process too:
	   the kernel runs the filter over every call number then, to cache
	   which are always allowed (measured once: 58 us of CPU time a spawn
	   with the list, 38 with the tree). */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (i = 0; filter_denied[i] != NULL && rc == 0; i++) {
		nr = seccomp_syscall_resolve_name(filter_denied[i]);
		if (nr < 0)
			continue;	/* not on this architecture */
		rc = seccomp_rule_add(ctx, action, nr, 0);
	}
	if (rc == 0)
		rc = -filter_export(ctx, prog);
	seccomp_release(ctx);
	return -rc;
}

const struct sock_fprog *
filter_default(void)
{
	int	error;

	if (!filter_built) {
		filter_built = 1;
		if ((error = filter_build(&filter_prog,
		    SCMP_ACT_ERRNO(EPERM))) != 0) {
			memset(&filter_prog, 0, sizeof(filter_prog));
			log_warnx("syscall_filter: cannot build the filter "
			    "(libseccomp): %s; its apps' processes are not "
			    "started", strerror(error));
		} else if ((error = filter_build(&filter_notify_prog,
		    SCMP_ACT_NOTIFY)) != 0) {
			memset(&filter_notify_prog, 0,
			    sizeof(filter_notify_prog));
			log_warnx("syscall_filter: cannot build the filter "
			    "that reports denied calls (libseccomp): %s; they "
			    "are denied, not logged", strerror(error));
		}
	}
	return &filter_prog;
}

const struct sock_fprog *
filter_notifying(const struct sock_fprog *plain)
{
	if (plain != &filter_prog || filter_notify_prog.len == 0)
		return NULL;
	return &filter_notify_prog;
}

char *
filter_call_name(uint32_t arch, int nr)
{
	return seccomp_syscall_resolve_num_arch(arch, nr);
}

int
filter_install(const struct sock_fprog *plain,
    const struct sock_fprog *notify, int sock)
{
	struct filter_msg	 msg;
	int			 lfd;

	if (notify != NULL && sock >= 0) {
		memset(&msg, 0, sizeof(msg));
		lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_NEW_LISTENER, notify);
		msg.error = lfd == -1 ? errno : 0;
		/* sock is non-blocking: a full queue is a failure, never a
		   wait on the master, which waits on us. */
		if (fdpass_send(sock, &msg, sizeof(msg), lfd) ==
		    (ssize_t)sizeof(msg) && lfd != -1) {
			(void)close(lfd);	/* the master holds it now */
			return 0;
		}
		/* The master has no listener for this filter: without one
		   its denied calls would fail with ENOSYS.  The plain filter
		   on top answers EPERM first (ERRNO outranks USER_NOTIF). */
		if (lfd != -1)
			(void)close(lfd);
	}
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, plain);
}

const struct sock_fprog *
filter_for(int which)
{
	return which == CONF_FILTER_DEFAULT ? filter_default() : NULL;
}
