/*
 * What a child process of the master needs, shared by server/cgi.c (a
 * process per request) and server/worker.c (FastCGI workers): its base
 * environment, its working directory, the process-group kill ladder and
 * the logger of its output, line by line.
 *
 * Nothing here knows connections or requests: results are returned, and
 * the end of a child's output is reported through a callback.
 */
#ifndef FERRY_SERVER_CHILD_H
#define FERRY_SERVER_CHILD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "server/limits.h"

struct conf_app;

/* An environment for execve: "NAME=value" strings, kept NULL-terminated. */
struct child_env {
	char	*v[CGI_MAX_ENV + 1];
	size_t	 n;
};

/* Makes e empty. */
void	child_env_init(struct child_env *e);
/* Appends "name=value" to the struct child_env arg (a cgienv_sink).
   Beyond CGI_MAX_ENV entries the rest is dropped and 0 returned; -1 when
   memory ran out. */
int	child_env_add(void *arg, const char *name, size_t nlen,
	    const char *value, size_t vlen);
/* Appends PATH (ferryd's, or a default) and the variables app->env passes
   through from ferryd's environment (PATH and unset ones skipped): nothing
   else of ferryd's reaches a child.  0, or -1 when memory ran out. */
int	child_env_base(struct child_env *e, const struct conf_app *app);
/* Frees the strings and makes e empty. */
void	child_env_free(struct child_env *e);

/* The directory to run the program at path in, in new memory: path up to
   its last '/' ("/" for a file at the root; path itself when it has no
   '/').  NULL when memory ran out. */
char	*child_dir(const char *path);

/* The kill ladder for the process group pid leads.  The first call
   (*killing 0) logs "name[pid]: verb: why", sets *killing and sends
   SIGTERM, and returns 1: the caller arms its kill-grace timer.  Later
   calls send SIGKILL and return 0. */
int	child_kill(pid_t pid, int *killing, const char *name,
	    const char *verb, const char *why);
/* Why the kernel sent sig to a process, when a limit of ferry.conf did
   (" (limit_cpu: its CPU time ran out)"), else "": SIGXCPU, SIGXFSZ, or
   the SIGKILL at limit_cpu's hard limit (which is all a pid 1 of a
   private_pids namespace gets) when its CPU time in ru reached limits'
   CPU limit. */
struct rusage;
const char *child_signal_cause(int sig, const struct rusage *ru,
	    const uint64_t *limits);
/* The kill grace ran out: logs "name[pid]: still running after SIGTERM:
   SIGKILL" and sends SIGKILL to the group. */
void	child_kill_late(pid_t pid, const char *name);

/*
 * A child's output to the error log, one log_warnx "name[pid]: line" per
 * line.  A line longer than CHILD_LOG_LINE is logged in pieces of that
 * size.  With an fd, a watcher reads it; without (fd -1), the owner feeds
 * bytes in (FastCGI's STDERR records).
 *
 * Rate-limited per child: CHILD_LOG_BURST lines at once, then
 * CHILD_LOG_RATE lines a second (a token bucket on the loop's clock).
 * Lines over that are dropped and counted; "name[pid]: ... dropped N
 * lines" is logged before the next line that passes, and at a flush.
 */
struct child_log {
	ev_io		 io;		/* the pipe's read end; fd -1: none */
	struct ev_loop	*loop;
	const char	*name;
	pid_t		 pid;
	int		 strip_cr;	/* a '\r' ending a line is dropped */
	void		(*closed)(void *);
	void		*arg;
	size_t		 len;		/* of the partial line held */
	double		 tokens;	/* lines that may pass now */
	ev_tstamp	 refilled;	/* when tokens was last topped up */
	unsigned long	 dropped;	/* lines dropped since last said */
	char		 line[CHILD_LOG_LINE];
};

/* Sets lg up; name must outlive it.  When fd is not -1, lg owns it (it
   must be non-blocking) and reads it from a watcher started on loop; at
   its end (or a read error) the partial line held is logged, the fd
   closed and closed(arg) called when closed is not NULL. */
void	child_log_init(struct child_log *lg, struct ev_loop *loop, int fd,
	    const char *name, pid_t pid, int strip_cr, void (*closed)(void *),
	    void *arg);
/* Logs the complete lines of p[0..len), holds the rest. */
void	child_log_feed(struct child_log *lg, const char *p, size_t len);
/* Logs the partial line held, if any, and the count of lines dropped
   since it was last said. */
void	child_log_flush(struct child_log *lg);
/* Forgets the partial line held. */
void	child_log_discard(struct child_log *lg);
/* Reads what the pipe holds now (the child has exited), then flushes.
   The fd stays open. */
void	child_log_drain(struct child_log *lg);
/* Stops the watcher and closes the fd, logging nothing and calling no
   callback.  Idempotent. */
void	child_log_close(struct child_log *lg);
/* 1 while lg has its fd open. */
int	child_log_is_open(const struct child_log *lg);

#endif
