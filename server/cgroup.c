/*
 * The apps' cgroups (cgroup.h).  Found once, on the first use: the
 * hierarchies mounted (/proc/self/mountinfo) and ferryd's cgroup in each
 * (/proc/self/cgroup).  Each controller is taken from cgroup v2 where its
 * cgroup.controllers lists it, else from the v1 hierarchy that has it;
 * the per-process cgroups live in the v2 hierarchy (cgroup.kill), else in
 * the v1 freezer's.
 *
 * With v1 controllers a process joins its app's cgroup in those
 * hierarchies (the limits hold for the app's processes together); with v2
 * ones its own cgroup lies below the app's, which holds no process (v2's
 * "no internal processes").  Enabling a v2 controller for ferryd's
 * cgroups needs ferryd's own cgroup to hold no process: ferryd moves
 * itself to OWN/master for that, as a systemd unit with Delegate=yes
 * allows.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/cgroup.h"
#include "server/conf.h"
#include "server/confval.h"
#include "server/log.h"

#define CGROUP_TREES	16	/* hierarchies looked at, at most */
#define CGROUP_READ	4096	/* bytes of a cgroup file read */
#define CGROUP_RETRY	0.1	/* s between attempts to remove a cgroup */
#define CGROUP_TRIES	100	/* of those, before giving up */
#define CGROUP_PERIOD	100000	/* us: cpu_max's period */

/* The controllers used, and the settings that need them. */
enum cgroup_ctl { CG_MEMORY, CG_PIDS, CG_CPU, CG_FREEZER, CG_NCTL };
static const char *const cgroup_ctl_names[CG_NCTL] = {
	"memory", "pids", "cpu", "freezer"
};
static const char *const cgroup_settings[CG_FREEZER] = {
	"memory_max", "pids_max", "cpu_max"
};

/* A hierarchy ferryd may use. */
struct cgroup_tree {
	char	own[PATH_MAX];		/* where ferryd's cgroup is */
	char	base[PATH_MAX];		/* own/ferry-PID */
	int	v2;
	int	has[CG_NCTL];		/* the controllers it offers */
	int	made;			/* base exists (ours) */
	int	enabled[CG_NCTL];	/* v2: in base's subtree_control */
};

/* A per-process cgroup still held by dying tasks. */
struct cgroup_dead {
	struct cgroup_dead	*next;
	char			*path;
	int			 v2;
	int			 tries;
};

static struct cgroup_tree	cgroup_trees[CGROUP_TREES];
static int		cgroup_ntrees, cgroup_probed, cgroup_cleaned;
static int		cgroup_ctl_tree[CG_NCTL] = { -1, -1, -1, -1 };
static int		cgroup_kill_tree = -1;
static unsigned long	cgroup_seq;
static struct cgroup_dead	*cgroup_dead;
static ev_timer		cgroup_dead_timer;
static struct ev_loop	*cgroup_loop;

int
cgroup_wanted(const struct conf_app *app)
{
	return app->cgroup || app->memory_max != CONF_LIMIT_UNSET ||
	    app->pids_max != CONF_LIMIT_UNSET || app->cpu_max != 0;
}

/* 1 when app sets the limit of controller ctl. */
static int
cgroup_app_sets(const struct conf_app *app, enum cgroup_ctl ctl)
{
	switch (ctl) {
	case CG_MEMORY:
		return app->memory_max != CONF_LIMIT_UNSET;
	case CG_PIDS:
		return app->pids_max != CONF_LIMIT_UNSET;
	case CG_CPU:
		return app->cpu_max != 0;
	default:
		return 0;
	}
}

/* 1 when word is one of the comma-separated words of list. */
static int
cgroup_has_word(const char *list, const char *word, size_t wlen)
{
	const char	*p = list, *e;

	for (;;) {
		e = strchr(p, ',');
		if ((e != NULL ? (size_t)(e - p) : strlen(p)) == wlen &&
		    memcmp(p, word, wlen) == 0)
			return 1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/* 1 when every comma-separated word of ctls is in opts. */
static int
cgroup_all_words(const char *ctls, const char *opts)
{
	const char	*p = ctls, *e;
	size_t		 n;

	if (*ctls == '\0')
		return 0;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (!cgroup_has_word(opts, p, n))
			return 0;
		if (e == NULL)
			return 1;
		p = e + 1;
	}
}

/* The first CGROUP_READ - 1 bytes of dir/file, NUL-ended, in buf: 0, or
   -1 with errno. */
static int
cgroup_read(const char *dir, const char *file, char *buf, size_t len)
{
	char	 path[PATH_MAX];
	ssize_t	 n;
	int	 fd, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* Writes s to dir/file: 0, or -1 with errno. */
static int
cgroup_write(const char *dir, const char *file, const char *s)
{
	char	 path[PATH_MAX];
	ssize_t	 n;
	int	 fd, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, s, strlen(s));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The number after "key " on a line of dir/file, or 0. */
static uint64_t
cgroup_counter(const char *dir, const char *file, const char *key)
{
	char		 buf[CGROUP_READ], *p = buf;
	size_t		 klen = strlen(key);

	if (dir == NULL || cgroup_read(dir, file, buf, sizeof(buf)) == -1)
		return 0;
	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

/* The OOM kills counted in the memory cgroup dir (NULL: 0). */
static uint64_t
cgroup_ooms(const char *dir)
{
	int	t = cgroup_ctl_tree[CG_MEMORY];

	if (dir == NULL || t == -1)
		return 0;
	return cgroup_counter(dir, cgroup_trees[t].v2 ? "memory.events" :
	    "memory.oom_control", "oom_kill");
}

/* A hierarchy of mountinfo's line (fields split in f), with ferryd's
   cgroup in it from the lines of /proc/self/cgroup. */
static void
cgroup_probe_mount(char **f, int nf, char cg[][2][PATH_MAX], int ncg)
{
	struct cgroup_tree	*t;
	const char		*fstype, *opts, *root = f[3], *path = NULL;
	char			 buf[CGROUP_READ];
	size_t			 rlen;
	int			 i, sep, c;

	for (sep = 6; sep < nf && strcmp(f[sep], "-") != 0; sep++)
		;
	if (sep + 3 >= nf)
		return;		/* no "- fstype source options" */
	fstype = f[sep + 1];
	opts = f[sep + 3];
	if (strcmp(fstype, "cgroup2") != 0 && strcmp(fstype, "cgroup") != 0)
		return;
	for (i = 0; i < ncg && path == NULL; i++)
		if (strcmp(fstype, "cgroup2") == 0 ? cg[i][0][0] == '\0' :
		    cgroup_all_words(cg[i][0], opts))
			path = cg[i][1];
	if (path == NULL || cgroup_ntrees == CGROUP_TREES)
		return;
	rlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(path, root, rlen) != 0)
		return;		/* ferryd's cgroup is not below the mount */
	t = &cgroup_trees[cgroup_ntrees];
	memset(t, 0, sizeof(*t));
	t->v2 = strcmp(fstype, "cgroup2") == 0;
	snprintf(t->own, sizeof(t->own), "%s%s", f[4],
	    strcmp(path + rlen, "/") == 0 ? "" : path + rlen);
	for (i = 0; i < cgroup_ntrees; i++)
		if (strcmp(cgroup_trees[i].own, t->own) == 0)
			return;		/* mounted twice */
	rlen = strlen(t->own);
	memcpy(t->base, t->own, rlen);
	snprintf(t->base + rlen, sizeof(t->base) - rlen, "/ferry-%ld",
	    (long)getpid());
	if (t->v2 && cgroup_read(t->own, "cgroup.controllers", buf,
	    sizeof(buf)) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		for (c = 0; c < CG_NCTL; c++) {
			char	*w, *save = NULL, tmp[CGROUP_READ];

			memcpy(tmp, buf, sizeof(tmp));
			for (w = strtok_r(tmp, " ", &save); w != NULL;
			    w = strtok_r(NULL, " ", &save))
				if (strcmp(w, cgroup_ctl_names[c]) == 0)
					t->has[c] = 1;
		}
	} else if (!t->v2)
		for (c = 0; c < CG_NCTL; c++)
			t->has[c] = cgroup_has_word(opts, cgroup_ctl_names[c],
			    strlen(cgroup_ctl_names[c]));
	cgroup_ntrees++;
}

/* Finds the hierarchies and picks one per controller (v2 first). */
static void
cgroup_probe(void)
{
	static char	 cg[CGROUP_TREES][2][PATH_MAX];
	char		*line = NULL, *f[32], *p, *save;
	size_t		 cap = 0;
	FILE		*fp;
	int		 ncg = 0, nf, i, c;

	if (cgroup_probed)
		return;
	cgroup_probed = 1;
	if ((fp = fopen("/proc/self/cgroup", "re")) != NULL) {
		while (ncg < CGROUP_TREES && getline(&line, &cap, fp) > 0) {
			line[strcspn(line, "\n")] = '\0';
			/* hierarchy-ID:controllers:path */
			if ((p = strchr(line, ':')) == NULL ||
			    (save = strchr(p + 1, ':')) == NULL)
				continue;
			*save = '\0';
			snprintf(cg[ncg][0], PATH_MAX, "%s", p + 1);
			snprintf(cg[ncg][1], PATH_MAX, "%s", save + 1);
			ncg++;
		}
		fclose(fp);
	}
	if ((fp = fopen("/proc/self/mountinfo", "re")) != NULL) {
		while (getline(&line, &cap, fp) > 0) {
			line[strcspn(line, "\n")] = '\0';
			nf = 0;
			for (p = strtok_r(line, " ", &save); p != NULL &&
			    nf < 32; p = strtok_r(NULL, " ", &save))
				f[nf++] = p;
			if (nf >= 10)
				cgroup_probe_mount(f, nf, cg, ncg);
		}
		fclose(fp);
	}
	free(line);
	for (c = 0; c < CG_NCTL; c++)
		for (i = 0; i < cgroup_ntrees && cgroup_ctl_tree[c] == -1; i++)
			if (cgroup_trees[i].v2 && cgroup_trees[i].has[c])
				cgroup_ctl_tree[c] = i;
	for (c = 0; c < CG_NCTL; c++)
		for (i = 0; i < cgroup_ntrees && cgroup_ctl_tree[c] == -1; i++)
			if (!cgroup_trees[i].v2 && cgroup_trees[i].has[c])
				cgroup_ctl_tree[c] = i;
	for (i = 0; i < cgroup_ntrees && cgroup_kill_tree == -1; i++)
		if (cgroup_trees[i].v2)
			cgroup_kill_tree = i;
	if (cgroup_kill_tree == -1)
		cgroup_kill_tree = cgroup_ctl_tree[CG_FREEZER];
}

/* The setting of app that puts it in cgroups, for messages. */
static const char *
cgroup_setting(const struct conf_app *app)
{
	int	c;

	if (app->cgroup)
		return "cgroup";
	for (c = 0; c < CG_FREEZER; c++)
		if (cgroup_app_sets(app, c))
			return cgroup_settings[c];
	return "cgroup";
}

/* Whether app's cgroups can be had here (write: ferryd's cgroups
   writable too): 0, or -1 with a message in err. */
static int
cgroup_app_check(const struct conf_app *app, int write, char *err,
    size_t errlen)
{
	int	c, t;

	cgroup_probe();
	for (c = 0; c < CG_FREEZER; c++)
		if (cgroup_app_sets(app, c) && cgroup_ctl_tree[c] == -1)
			return confval_errf(err, errlen, "[app %s]: %s needs "
			    "the %s cgroup controller, which is in no cgroup "
			    "hierarchy mounted here", app->name,
			    cgroup_settings[c], cgroup_ctl_names[c]);
	if (cgroup_kill_tree == -1)
		return confval_errf(err, errlen, "[app %s]: %s needs a cgroup2 "
		    "hierarchy or the v1 freezer controller, and neither is "
		    "mounted here", app->name, cgroup_setting(app));
	for (c = 0; c <= CG_FREEZER && write; c++) {
		t = c == CG_FREEZER ? cgroup_kill_tree : cgroup_ctl_tree[c];
		if (c < CG_FREEZER && !cgroup_app_sets(app, c))
			continue;
		if (access(cgroup_trees[t].own, W_OK) == -1)
			return confval_errf(err, errlen, "[app %s]: %s: "
			    "ferryd cannot write its cgroup %s: %s",
			    app->name, c < CG_FREEZER ? cgroup_settings[c] :
			    cgroup_setting(app), cgroup_trees[t].own,
			    strerror(errno));
	}
	return 0;
}

int
cgroup_check(const struct conf *cf)
{
	char	err[512];
	size_t	i;

	for (i = 0; i < cf->napps; i++) {
		if (!cgroup_wanted(&cf->apps[i]))
			continue;
		if (cgroup_app_check(&cf->apps[i], 1, err, sizeof(err)) == -1) {
			confval_report("%s", err);
			return -1;
		}
	}
	return 0;
}

/* Kills every process in the cgroup dir: cgroup.kill (v2), else freeze
   it (v1 freezer, waiting a second at most), SIGKILL each, thaw. */
static void
cgroup_kill_dir(const char *dir, int v2)
{
	struct timespec	 ms = { 0, 1000000 };
	char		 buf[CGROUP_READ], *p, *e;
	int		 i, frozen = 0;

	if (v2 && cgroup_write(dir, "cgroup.kill", "1") == 0)
		return;
	if (!v2 && cgroup_write(dir, "freezer.state", "FROZEN") == 0)
		for (i = 0; i < 1000 && !frozen; i++) {
			frozen = cgroup_read(dir, "freezer.state", buf,
			    sizeof(buf)) == 0 &&
			    strncmp(buf, "FROZEN", 6) == 0;
			if (!frozen)
				nanosleep(&ms, NULL);
		}
	/* Frozen, none can fork meanwhile; else (a kernel without
	   cgroup.kill) a few rounds catch the children of the dying. */
	for (i = 0; i < (frozen ? 1 : 8); i++) {
		if (cgroup_read(dir, "cgroup.procs", buf, sizeof(buf)) == -1 ||
		    buf[0] == '\0')
			break;
		for (p = buf; *p != '\0'; p = e) {
			long	pid = strtol(p, &e, 10);

			if (e == p)
				break;
			if (pid > 0 && pid != (long)getpid())
				kill((pid_t)pid, SIGKILL);
			e += strspn(e, "\n");
		}
	}
	if (!v2)
		(void)cgroup_write(dir, "freezer.state", "THAWED");
}

/* rmdir dir, waiting up to half a second for dying tasks: 0 or -1. */
static int
cgroup_rmdir_wait(const char *dir)
{
	struct timespec	ms = { 0, 1000000 };
	int		i;

	for (i = 0; i < 500; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* Removes dir and the cgroups below it, depth levels deep, killing what
   runs in them (kill: in the tree of the per-process cgroups). */
static void
cgroup_rmtree(const char *dir, int depth, int kill, int v2)
{
	char		 sub[PATH_MAX];
	DIR		*d;
	struct dirent	*de;

	if (depth > 0 && (d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			cgroup_rmtree(sub, depth - 1, kill, v2);
		}
		closedir(d);
	}
	if (kill)
		cgroup_kill_dir(dir, v2);
	if (cgroup_rmdir_wait(dir) == -1 && errno != ENOENT)
		log_warn("cgroup %s: cannot remove it", dir);
}

/* The first time: removes the cgroups of ferryds that are gone. */
static void
cgroup_clean_stale(void)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	char		*end;
	long		 pid;
	int		 i, kill_first;

	if (cgroup_cleaned)
		return;
	cgroup_cleaned = 1;
	/* The per-process cgroups first: that kills their processes. */
	for (kill_first = 1; kill_first >= 0; kill_first--)
		for (i = 0; i < cgroup_ntrees; i++) {
			if ((i == cgroup_kill_tree) != kill_first ||
			    (d = opendir(cgroup_trees[i].own)) == NULL)
				continue;
			while ((de = readdir(d)) != NULL) {
				if (strncmp(de->d_name, "ferry-", 6) != 0)
					continue;
				pid = strtol(de->d_name + 6, &end, 10);
				if (*end != '\0' || pid <= 0 ||
				    pid == (long)getpid() ||
				    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
					continue;
				snprintf(path, sizeof(path), "%s/%s",
				    cgroup_trees[i].own, de->d_name);
				log_info("cgroup %s: left by a ferryd that is "
				    "gone: removed", path);
				cgroup_rmtree(path, 2, kill_first,
				    cgroup_trees[i].v2);
			}
			closedir(d);
		}
}

/* v2: enables controller c for the cgroups below ferryd's: in own's
   subtree_control (moving ferryd into own/master when own holds
   processes) and base's.  0, or -1 with errno. */
static int
cgroup_enable(struct cgroup_tree *t, enum cgroup_ctl c)
{
	char	plus[32], master[PATH_MAX], pid[32];

	if (t->enabled[c])
		return 0;
	snprintf(plus, sizeof(plus), "+%s", cgroup_ctl_names[c]);
	if (cgroup_write(t->own, "cgroup.subtree_control", plus) == -1) {
		if (errno != EBUSY)
			return -1;
		snprintf(master, sizeof(master), "%s/master", t->own);
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		if ((mkdir(master, 0755) == -1 && errno != EEXIST) ||
		    cgroup_write(master, "cgroup.procs", pid) == -1)
			return -1;
		log_info("cgroup: ferryd moved itself to %s, so that %s may "
		    "be enabled below %s", master, cgroup_ctl_names[c],
		    t->own);
		if (cgroup_write(t->own, "cgroup.subtree_control", plus) == -1)
			return -1;
	}
	if (cgroup_write(t->base, "cgroup.subtree_control", plus) == -1)
		return -1;
	t->enabled[c] = 1;
	return 0;
}

/* Makes t's base; 0, or -1 with errno. */
static int
cgroup_base_make(struct cgroup_tree *t)
{
	if (t->made)
		return 0;
	if (mkdir(t->base, 0755) == -1 && errno != EEXIST)
		return -1;
	t->made = 1;
	return 0;
}

/* app's cgroup in tree t, in buf. */
static void
cgroup_app_dir(char *buf, size_t len, const struct cgroup_tree *t,
    const char *name)
{
	snprintf(buf, len, "%s/app-%s", t->base, name);
}

/* Writes the limit of controller c of app into its cgroup dir in t. */
static int
cgroup_limit(const struct cgroup_tree *t, const char *dir,
    const struct conf_app *app, enum cgroup_ctl c)
{
	char	v[64];
	int	rc;

	switch (c) {
	case CG_MEMORY:
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)app->memory_max);
		if (t->v2) {
			/* No swap to spill into past the limit. */
			(void)cgroup_write(dir, "memory.swap.max", "0");
			return cgroup_write(dir, "memory.max", v);
		}
		/* memsw (memory and swap) is never below the limit: set the
		   limit first when lowering, last when raising. */
		rc = cgroup_write(dir, "memory.limit_in_bytes", v);
		(void)cgroup_write(dir, "memory.memsw.limit_in_bytes", v);
		if (rc == -1)
			rc = cgroup_write(dir, "memory.limit_in_bytes", v);
		return rc;
	case CG_PIDS:
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)app->pids_max);
		return cgroup_write(dir, "pids.max", v);
	case CG_CPU:
		if (t->v2) {
			snprintf(v, sizeof(v), "%llu %d",
			    (unsigned long long)app->cpu_max *
			    (CGROUP_PERIOD / 100), CGROUP_PERIOD);
			return cgroup_write(dir, "cpu.max", v);
		}
		snprintf(v, sizeof(v), "%d", CGROUP_PERIOD);
		if (cgroup_write(dir, "cpu.cfs_period_us", v) == -1)
			return -1;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)app->cpu_max *
		    (CGROUP_PERIOD / 100));
		return cgroup_write(dir, "cpu.cfs_quota_us", v);
	default:
		return 0;
	}
}

/* Makes app's cgroups and writes its limits: 0, or -1 after logging. */
static int
cgroup_app_make(const struct conf_app *app)
{
	struct cgroup_tree	*t;
	char			 dir[PATH_MAX], v[CGROUP_READ];
	const char		*what = cgroup_setting(app);
	int			 c;

	for (c = 0; c <= CG_FREEZER; c++) {
		if (c < CG_FREEZER && !cgroup_app_sets(app, c))
			continue;
		t = &cgroup_trees[c == CG_FREEZER ? cgroup_kill_tree :
		    cgroup_ctl_tree[c]];
		if (c < CG_FREEZER)
			what = cgroup_settings[c];
		cgroup_app_dir(dir, sizeof(dir), t, app->name);
		if (cgroup_base_make(t) == -1 ||
		    (t->v2 && c < CG_FREEZER && cgroup_enable(t, c) == -1) ||
		    (mkdir(dir, 0755) == -1 && errno != EEXIST) ||
		    cgroup_limit(t, dir, app, c) == -1) {
			log_warn("[app %s]: %s: cgroup %s", app->name, what,
			    dir);
			return -1;
		}
		if (c == CG_FREEZER && t->v2 && cgroup_read(dir,
		    "cgroup.kill", v, sizeof(v)) == -1 && errno == ENOENT) {
			log_warnx("[app %s]: %s needs cgroup.kill (Linux "
			    "5.14), which %s lacks", app->name,
			    cgroup_setting(app), dir);
			return -1;
		}
		if (c == CG_FREEZER)
			log_info("[app %s]: cgroup %s", app->name, dir);
	}
	return 0;
}

int
cgroup_install(const struct conf *cf)
{
	char	err[512];
	size_t	i;

	for (i = 0; i < cf->napps; i++) {
		if (!cgroup_wanted(&cf->apps[i]))
			continue;
		if (cgroup_app_check(&cf->apps[i], 1, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
		cgroup_clean_stale();
		if (cgroup_app_make(&cf->apps[i]) == -1)
			return -1;
	}
	return 0;
}

void
cgroup_commit(const struct conf *cf)
{
	char		 dir[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	size_t		 j;
	int		 i;

	for (i = 0; i < cgroup_ntrees; i++) {
		if (!cgroup_trees[i].made ||
		    (d = opendir(cgroup_trees[i].base)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "app-", 4) != 0)
				continue;
			for (j = 0; j < cf->napps; j++)
				if (cgroup_wanted(&cf->apps[j]) &&
				    strcmp(cf->apps[j].name, de->d_name + 4) == 0)
					break;
			if (j < cf->napps)
				continue;
			/* Busy (its processes still run): at exit. */
			snprintf(dir, sizeof(dir), "%s/%s",
			    cgroup_trees[i].base, de->d_name);
			(void)rmdir(dir);
		}
		closedir(d);
	}
}

void
cgroup_fini(void)
{
	struct cgroup_dead	*dd;
	int			 i, kill_first;

	while ((dd = cgroup_dead) != NULL) {
		cgroup_dead = dd->next;
		free(dd->path);
		free(dd);
	}
	if (cgroup_loop != NULL)
		ev_timer_stop(cgroup_loop, &cgroup_dead_timer);
	for (kill_first = 1; kill_first >= 0; kill_first--)
		for (i = 0; i < cgroup_ntrees; i++)
			if (cgroup_trees[i].made &&
			    (i == cgroup_kill_tree) == kill_first) {
				cgroup_rmtree(cgroup_trees[i].base, 2,
				    kill_first, cgroup_trees[i].v2);
				cgroup_trees[i].made = 0;
			}
}

/* Opens dir/cgroup.procs into p's next fd: 0, or -1 with errno. */
static int
cgroup_proc_fd(struct cgroup_proc *p, const char *dir)
{
	char	path[PATH_MAX];
	int	fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	p->fds[p->nfds++] = fd;
	return 0;
}

int
cgroup_proc_open(struct cgroup_proc *p, const struct conf_app *app)
{
	struct cgroup_tree	*t;
	char			 dir[PATH_MAX];
	int			 c, i, joined[CGROUP_TREES] = { 0 }, saved;

	memset(p, 0, sizeof(*p));
	if (!cgroup_wanted(app))
		return 0;
	if (cgroup_kill_tree == -1) {
		errno = ENOTSUP;	/* never run it without */
		return -1;
	}
	t = &cgroup_trees[cgroup_kill_tree];
	cgroup_app_dir(dir, sizeof(dir), t, app->name);
	i = (int)strlen(dir);
	snprintf(dir + i, sizeof(dir) - (size_t)i, "/%lu", ++cgroup_seq);
	if (mkdir(dir, 0755) == -1 || (p->leaf = strdup(dir)) == NULL)
		goto fail;
	p->v2 = t->v2;
	joined[cgroup_kill_tree] = 1;
	if (cgroup_proc_fd(p, dir) == -1)
		goto fail;
	for (c = 0; c < CG_FREEZER; c++) {
		if (!cgroup_app_sets(app, c))
			continue;
		i = cgroup_ctl_tree[c];
		cgroup_app_dir(dir, sizeof(dir), &cgroup_trees[i], app->name);
		if (c == CG_MEMORY && (p->mem = strdup(dir)) == NULL)
			goto fail;
		if (c == CG_PIDS && (p->pids = strdup(dir)) == NULL)
			goto fail;
		if (joined[i] || p->nfds == CGROUP_JOIN_MAX)
			continue;
		joined[i] = 1;
		if (cgroup_proc_fd(p, dir) == -1)
			goto fail;
	}
	p->oom = cgroup_ooms(p->mem);
	p->forks = cgroup_counter(p->pids, "pids.events", "max");
	return 0;
fail:
	saved = errno;
	cgroup_proc_spawned(p);
	if (p->leaf != NULL)
		(void)rmdir(p->leaf);
	free(p->leaf);
	free(p->mem);
	free(p->pids);
	memset(p, 0, sizeof(*p));
	errno = saved;
	return -1;
}

void
cgroup_proc_spawned(struct cgroup_proc *p)
{
	int	i;

	for (i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	p->nfds = 0;
}

int
cgroup_child_join(const int *fds, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (write(fds[i], "0", 1) != 1)
			return -1;
	return 0;
}

void
cgroup_proc_kill(const struct cgroup_proc *p)
{
	if (p->leaf != NULL)
		cgroup_kill_dir(p->leaf, p->v2);
}

const char *
cgroup_proc_cause(struct cgroup_proc *p, int sig)
{
	uint64_t	n;

	if (sig != SIGKILL || p->mem == NULL)
		return "";
	n = cgroup_ooms(p->mem);
	if (n <= p->oom)
		return "";
	p->oom = n;
	return " (memory_max: killed by the OOM killer)";
}

/* Tries again to remove the cgroups still held by dying tasks. */
static void
cgroup_dead_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cgroup_dead	**pp, *dd;

	(void)revents;
	for (pp = &cgroup_dead; (dd = *pp) != NULL;) {
		cgroup_kill_dir(dd->path, dd->v2);
		if (rmdir(dd->path) == 0 || errno == ENOENT ||
		    ++dd->tries >= CGROUP_TRIES) {
			if (dd->tries >= CGROUP_TRIES)
				log_warn("cgroup %s: cannot remove it", dd->path);
			*pp = dd->next;
			free(dd->path);
			free(dd);
		} else
			pp = &dd->next;
	}
	if (cgroup_dead == NULL)
		ev_timer_stop(loop, w);
}

/* Leaves the cgroup at path (taken) to the timer that removes it. */
static void
cgroup_dead_add(char *path, int v2, struct ev_loop *loop)
{
	struct cgroup_dead	*dd;

	if ((dd = calloc(1, sizeof(*dd))) == NULL) {
		log_warn("cgroup %s: cannot remove it", path);
		free(path);
		return;
	}
	dd->path = path;
	dd->v2 = v2;
	dd->next = cgroup_dead;
	cgroup_dead = dd;
	if (cgroup_loop == NULL) {
		cgroup_loop = loop;
		ev_timer_init(&cgroup_dead_timer, cgroup_dead_cb, CGROUP_RETRY,
		    CGROUP_RETRY);
	}
	if (!ev_is_active(&cgroup_dead_timer))
		ev_timer_again(cgroup_loop, &cgroup_dead_timer);
}

void
cgroup_proc_end(struct cgroup_proc *p, struct ev_loop *loop,
    const char *name, pid_t pid)
{
	uint64_t	n;

	cgroup_proc_spawned(p);
	if (p->leaf == NULL)
		return;
	n = cgroup_counter(p->pids, "pids.events", "max");
	if (p->pids != NULL && n > p->forks)
		log_warnx("%s[%d]: pids_max: %llu forks refused", name, (int)pid,
		    (unsigned long long)(n - p->forks));
	/* An empty cgroup (the usual case) goes at once, with no kill. */
	if (rmdir(p->leaf) == -1 && errno != ENOENT) {
		cgroup_kill_dir(p->leaf, p->v2);
		if (rmdir(p->leaf) == -1 && errno != ENOENT) {
			cgroup_dead_add(p->leaf, p->v2, loop);
			p->leaf = NULL;
		}
	}
	free(p->leaf);
	free(p->mem);
	free(p->pids);
	memset(p, 0, sizeof(*p));
}
