/*
 * cgroups of the apps (cgroup, memory_max, pids_max, cpu_max): a cgroup
 * per app that holds its limits, and a cgroup per process (each CGI
 * request, each FastCGI worker) below it, so that everything a process
 * started, sessions of its own included, is killed with it.
 *
 * The hierarchies are found from /proc/self/mountinfo and ferryd's own
 * cgroups from /proc/self/cgroup, per controller: cgroup v2 where its
 * cgroup.controllers lists the controller, else the v1 hierarchy that has
 * it.  The per-process cgroups live in the v2 hierarchy (cgroup.kill), or
 * without one in the v1 freezer's.  ferryd's cgroups are
 * OWN/ferry-PID/app-NAME/N in each hierarchy it uses, OWN being ferryd's
 * own cgroup there.
 */
#ifndef FERRY_SERVER_CGROUP_H
#define FERRY_SERVER_CGROUP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#define CGROUP_JOIN_MAX	4	/* cgroup.procs a process writes itself to */

struct conf;
struct conf_app;

/* One process's cgroups, from cgroup_proc_open to cgroup_proc_end. */
struct cgroup_proc {
	int		 fds[CGROUP_JOIN_MAX];	/* cgroup.procs to join,
						   open until spawned */
	int		 nfds;
	char		*leaf;		/* its own cgroup; NULL: none */
	char		*mem;		/* its app's memory cgroup, or NULL */
	char		*pids;		/* its app's pids cgroup, or NULL */
	int		 v2;		/* leaf is a cgroup2 directory */
	uint64_t	 oom, forks;	/* the app's counters at the start */
};

/* 1 when app runs in cgroups (cgroup = yes, or any of the limits). */
int	cgroup_wanted(const struct conf_app *app);

/* ferryd -t: 0 when every app's cgroup settings can be applied here
   (the controllers mounted, ferryd's cgroups writable), else -1 after a
   message naming the app, the setting and what is missing. */
int	cgroup_check(const struct conf *cf);

/* At the start and at each reload: makes the app cgroups of cf's apps
   and writes their limits (cleaning up what a ferryd that is gone left
   behind, the first time).  0, or -1 after logging why. */
int	cgroup_install(const struct conf *cf);

/* After cf became the running configuration: removes the app cgroups of
   apps cf no longer has (or no longer in cgroups) once they are empty. */
void	cgroup_commit(const struct conf *cf);

/* At exit: kills what is left in ferryd's cgroups and removes them. */
void	cgroup_fini(void);

/* Before spawning one of app's processes: makes its cgroup and opens the
   cgroup.procs files it joins (p->fds, for spawn_req).  An app not in
   cgroups gets an empty p.  0, or -1 with errno (p empty). */
int	cgroup_proc_open(struct cgroup_proc *p, const struct conf_app *app);

/* After the spawn, whether it worked or not: closes p's fds.  A failed
   spawn then calls cgroup_proc_end too. */
void	cgroup_proc_spawned(struct cgroup_proc *p);

/* In the child, before its ids change (async-signal-safe): writes
   itself into each of the n cgroup.procs fds.  0, or -1 with errno. */
int	cgroup_child_join(const int *fds, int n);

/* Kills every process in p's cgroup (cgroup.kill, or freeze, SIGKILL
   each, thaw), setsid escapees included.  Nothing for an empty p. */
void	cgroup_proc_kill(const struct cgroup_proc *p);

/* Why a process of p died of sig, when its app's cgroup says so
   (" (memory_max: killed by the OOM killer)"), else "". */
const char *cgroup_proc_cause(struct cgroup_proc *p, int sig);

/* Logs "NAME[PID]: pids_max: N forks refused" when the app's count of
   refused forks rose since the process started or was last asked (a
   FastCGI worker, after each request). */
void	cgroup_proc_forks(struct cgroup_proc *p, const char *name, pid_t pid);

/* The process (name[pid], for the log) ended: kills what is left in its
   cgroup, logs "name[pid]: pids_max: N forks refused" when its app's
   pids cgroup refused forks meanwhile, and removes the cgroup (retried
   from a timer on loop while dying tasks hold it).  p is empty after. */
void	cgroup_proc_end(struct cgroup_proc *p, struct ev_loop *loop,
	    const char *name, pid_t pid);

#endif
