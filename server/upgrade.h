/*
 * The binary upgrade (SIGUSR2).  The old master starts the ferryd binary
 * again (the path it was started from, its arguments), handing it every
 * listening socket by systemd's convention (fds 3.., LISTEN_FDS,
 * LISTEN_PID, LISTEN_FDNAMES) and the write end of a pipe at the fd after
 * them (FERRY_UPGRADE_FD).  The new master writes one byte there once it
 * accepts; the old one then names it to systemd (MAINPID=) and drains.  A
 * new master that exits first, or is not ready within UPGRADE_TIMEOUT
 * (then killed), leaves the old one serving.
 */
#ifndef FERRY_SERVER_UPGRADE_H
#define FERRY_SERVER_UPGRADE_H

struct master;

/* The end of an upgrade, to master.c: handed 1 when the new master is
   ready (the old one must drain and exit: never reap or signal the new
   one), 0 when it failed (the old one serves on, and may try again). */
typedef void	(*upgrade_end_cb)(struct master *m, int handed);

/* Before anything of the master starts (RLIMIT_NOFILE not raised yet:
   the new master gets it as it was): ferryd's own path from m->argv[0]
   (made absolute now), and the hand-over pipe when this ferryd was
   started by an upgrade.  0, or -1 after logging. */
int	upgrade_init(struct master *m, upgrade_end_cb end);
/* SIGUSR2: starts the new master (logged and ignored while an upgrade is
   under way, before ready, or during a stop).  end runs later, from the
   loop, never from inside this call. */
void	upgrade_start(struct master *m);
/* A stop begins: a new master not ready yet is stopped (SIGTERM); end is
   not called. */
void	upgrade_abort(struct master *m);
/* This master is ready: when an upgrade started it, tells the old master
   and returns 1 (the old one names this one to systemd); else 0. */
int	upgrade_ready(struct master *m);
/* Frees what upgrade_init allocated; stops watching a new master. */
void	upgrade_fini(struct master *m);

/* The fd FERRY_UPGRADE_FD names (3 or above), or -1: for main's closing
   of inherited fds, before anything else runs. */
int	upgrade_env_fd(void);

#endif
