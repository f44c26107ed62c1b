/*
 * A thread of the master that runs under an app's seccomp filter and
 * starts the app's processes, which inherit the filter from it: installing
 * a filter costs each process the kernel's check, translation and JIT
 * compilation of the program and a pass over every call number (about
 * 40 us of CPU a spawn, most of a CGI hello's extra cost); inheriting it
 * costs a reference count.  The filter applies to the thread alone, never
 * to the master's other threads, and the thread makes none of the calls
 * it denies.  The master waits for each spawn as it waits for a vfork
 * child (spawn_process), so the thread never runs alongside it.
 *
 * Only for processes whose spawn makes none of the calls the filter
 * denies between the fork and the exec: no sandbox (setns, mount,
 * unshare, chroot).  A pool worker's death signal (spawn_req.death_sig)
 * comes when the spawning thread ends: the thread lives until
 * spawner_stop.
 */
#ifndef FERRY_SERVER_SPAWNER_H
#define FERRY_SERVER_SPAWNER_H

#include <sys/types.h>

struct sock_fprog;
struct spawn_req;
struct spawner;

/*
 * Starts a thread with every signal blocked that sets no_new_privs on
 * itself and installs notify (a filter_notifying twin) with a new
 * seccomp listener, stored in *listener (close-on-exec; the caller's to
 * watch and close); without notify, or when the kernel gives no listener
 * (its errno in *lerror, *listener -1), it installs plain instead.  NULL
 * with errno when the thread cannot start or run filtered (no thread is
 * left then).
 */
struct spawner	*spawner_start(const struct sock_fprog *plain,
		    const struct sock_fprog *notify, int *listener,
		    int *lerror);

/* The plain filter sp's processes run under (spawner_start's plain). */
const struct sock_fprog	*spawner_filter(const struct spawner *sp);

/*
 * spawn_process(r) run by sp's thread, whose filter the child inherits
 * (r's filter and notify_filter are not installed again): the pid, or -1
 * with errno.  r->sandbox must be NULL.
 */
pid_t	spawner_spawn(struct spawner *sp, const struct spawn_req *r);

/* Ends and joins sp's thread and frees sp (NULL: nothing).  Children it
   started with a death signal get it. */
void	spawner_stop(struct spawner *sp);

#endif
