/*
 * The denied system calls of an app's filtered processes, named in the
 * error log (syscall_filter = default).  A filtered child installs the
 * filter's reporting twin with a new seccomp listener and sends the
 * listener here, on a datagram socket pair made once, right before its
 * exec (server/filter.c's filter_install); the master watches it, answers
 * each denied call EPERM at once and logs "[app NAME] pid N: seccomp
 * denied CALL(2)", a few lines per process and then a count.  The
 * listener never reaches the app's program (close-on-exec, closed by the
 * child once sent): a process holding it could allow its own calls.
 */
#ifndef FERRY_SERVER_NOTIF_H
#define FERRY_SERVER_NOTIF_H

#include <sys/types.h>

struct master;
struct spawn_req;
struct stats_app;

/* Makes m->notif: the socket pair, and whether this kernel can say when
   a listener has no process left (Linux 5.8); without that, or when the
   pair cannot be made (logged), denied calls are answered by the plain
   filter and not logged.  0, or -1 when out of memory (logged). */
int	notif_init(struct master *m);
/* Stops watching and closes every listener (their processes' denied calls
   fail with ENOSYS from then on) and the pair.  Idempotent. */
void	notif_fini(struct master *m);

/* Before spawn_process(r): when r->filter has a reporting twin, sets
   r->notify_filter and r->notify_fd, so that the child sends its
   listener; the next notif_take picks it up. */
void	notif_prepare(struct master *m, struct spawn_req *r);
/* Right after that spawn_process returned pid (-1: it failed): watches
   the listener the child sent, for the app called app (copied) counting
   in st (NULL: none; it must outlive the listener, as stats_app's do),
   and drops anything else the pair holds.  A listener that did not come
   is logged: the process's denied calls are answered EPERM unlogged. */
void	notif_take(struct master *m, pid_t pid, const char *app,
	    struct stats_app *st);

/*
 * The listener of app's spawner (server/spawner.h), shared by every
 * process it starts, watched until none is left (the spawner died and
 * its processes are gone) or the master stops; fd -1: none, error says
 * why (ENOSYS: not asked for, said nothing of).  Its denied calls are
 * named and counted per calling process, NOTIF_CALLERS of them at a time.
 */
void	notif_take_shared(struct master *m, int fd, int error,
	    const char *app, struct stats_app *st);

#endif
