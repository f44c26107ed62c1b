/*
 * The cgroup hierarchies as server/cgroup.c finds and handles them: which
 * are mounted (/proc/self/mountinfo) and where ferryd's own cgroup is in
 * each (/proc/self/cgroup), which controller each offers, and the file
 * operations on a cgroup directory (read, write, a counter, kill all,
 * remove a tree).  Found once, on the first call; kept for good.
 */
#ifndef FERRY_SERVER_CGROUPFS_H
#define FERRY_SERVER_CGROUPFS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUPFS_TREES	16	/* hierarchies looked at, at most */
#define CGROUPFS_READ	4096	/* bytes of a cgroup file read */

/* The controllers ferryd uses. */
enum cgroupfs_ctl { CG_MEMORY, CG_PIDS, CG_CPU, CG_FREEZER, CG_NCTL };
extern const char *const cgroupfs_ctl_names[CG_NCTL];

/* A hierarchy ferryd may use. */
struct cgroupfs_tree {
	char	own[PATH_MAX];		/* where ferryd's cgroup is */
	char	base[PATH_MAX];		/* own/ferry-PID */
	int	v2;
	int	has[CG_NCTL];		/* the controllers it offers */
	int	made;			/* base exists (server/cgroup.c) */
	int	enabled[CG_NCTL];	/* v2: in base's subtree_control */
};

struct cgroupfs {
	struct cgroupfs_tree	 trees[CGROUPFS_TREES];
	int			 ntrees;
	int			 ctl_tree[CG_NCTL];	/* the tree of each
							   controller: v2
							   first; -1: none */
	int			 kill_tree;	/* per-process cgroups: v2,
						   else the v1 freezer's; -1 */
	int			 probed, cleaned;
};

/* The hierarchies, found on the first call. */
struct cgroupfs	*cgroupfs_probe(void);

/* The first len - 1 bytes of dir/file, NUL-ended, in buf: 0, or -1 with
   errno. */
int	cgroupfs_read(const char *dir, const char *file, char *buf,
	    size_t len);
/* Writes s to dir/file: 0, or -1 with errno. */
int	cgroupfs_write(const char *dir, const char *file, const char *s);
/* The number after "key " on a line of dir/file; 0 when there is none
   (or dir is NULL). */
uint64_t cgroupfs_counter(const char *dir, const char *file,
	    const char *key);
/* Kills every process in the cgroup dir: cgroup.kill (v2), else freeze
   it (v1 freezer, a second at most), SIGKILL each, thaw. */
void	cgroupfs_kill_dir(const char *dir, int v2);
/* 1 when the cgroup dir verifiably holds no task and no cgroup below it,
   and is not frozen (v2: cgroup.events; v1: tasks, freezer.state); 0
   when it does or cannot be read. */
int	cgroupfs_empty(const char *dir, int v2);
/* Removes dir and the cgroups below it, depth levels deep, killing what
   runs in them first when kill is set (v2: a cgroup2 tree). */
void	cgroupfs_rmtree(const char *dir, int depth, int kill, int v2);
/* The first time: removes the OWN/ferry-PID trees of ferryds that are
   gone (the per-process tree first, which kills their processes). */
void	cgroupfs_clean_stale(void);

#endif
