/*
 * The apps' cgroups (cgroup.h), in the hierarchies server/cgroupfs.c
 * finds on the first use: each controller from cgroup v2 where v2 has
 * it, else from its v1 hierarchy; the per-process cgroups in the v2
 * hierarchy (cgroup.kill), else in the v1 freezer's.
 *
 * With v1 controllers a process joins its app's cgroup in those
 * hierarchies (the limits hold for the app's processes together); with v2
 * ones its own cgroup lies below the app's, which holds no process (v2's
 * "no internal processes").  Enabling a v2 controller for ferryd's
 * cgroups needs ferryd's own cgroup to hold no process: ferryd moves
 * itself to OWN/master for that, as a systemd unit with Delegate=yes
 * allows.
 *
 * A per-process cgroup found empty when its process ended (after the
 * kill) is not removed but kept, CGROUP_SPARE_MAX per app, for the app's
 * next process: mkdir and rmdir of a cgroup cost more than the process
 * itself.  It is checked empty again when taken.
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
#include "server/cgroupfs.h"
#include "server/conf.h"
#include "server/confval.h"
#include "server/limits.h"
#include "server/log.h"

#define CGROUP_RETRY	0.1	/* s between attempts to remove a cgroup */
#define CGROUP_TRIES	100	/* of those, before giving up */
#define CGROUP_PERIOD	100000	/* us: cpu_max's period */

/* The settings that need each controller. */
static const char *const cgroup_settings[CG_FREEZER] = {
	"memory_max", "pids_max", "cpu_max"
};

/* A per-process cgroup still held by dying tasks. */
struct cgroup_dead {
	struct cgroup_dead	*next;
	char			*path;
	int			 v2;
	int			 tries;
};

/* An app's empty per-process cgroups, kept for its next processes. */
struct cgroup_spares {
	struct cgroup_spares	*next;
	char			*app;	/* the app's cgroup (kill tree) */
	char			*leaf[CGROUP_SPARE_MAX];
	int			 n;
};

static struct cgroupfs	*cgroup_fs;	/* once an app asked for cgroups */
static unsigned long	cgroup_seq;
static struct cgroup_dead	*cgroup_dead;
static ev_timer		cgroup_dead_timer;
static struct ev_loop	*cgroup_loop;
static struct cgroup_spares	*cgroup_spares;

int
cgroup_wanted(const struct conf_app *app)
{
	return app->cgroup || app->memory_max != CONF_LIMIT_UNSET ||
	    app->pids_max != CONF_LIMIT_UNSET || app->cpu_max != 0;
}

/* 1 when app sets the limit of controller ctl. */
static int
cgroup_app_sets(const struct conf_app *app, enum cgroupfs_ctl ctl)
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

/* The OOM kills counted in the memory cgroup dir (NULL: 0). */
static uint64_t
cgroup_ooms(const char *dir)
{
	int	t;

	if (dir == NULL || (t = cgroup_fs->ctl_tree[CG_MEMORY]) == -1)
		return 0;
	return cgroupfs_counter(dir, cgroup_fs->trees[t].v2 ?
	    "memory.events" : "memory.oom_control", "oom_kill");
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

	cgroup_fs = cgroupfs_probe();
	for (c = 0; c < CG_FREEZER; c++)
		if (cgroup_app_sets(app, c) && cgroup_fs->ctl_tree[c] == -1)
			return confval_errf(err, errlen, "[app %s]: %s needs "
			    "the %s cgroup controller, which is in no cgroup "
			    "hierarchy mounted here", app->name,
			    cgroup_settings[c], cgroupfs_ctl_names[c]);
	if (cgroup_fs->kill_tree == -1)
		return confval_errf(err, errlen, "[app %s]: %s needs a cgroup2 "
		    "hierarchy or the v1 freezer controller, and neither is "
		    "mounted here", app->name, cgroup_setting(app));
	for (c = 0; c <= CG_FREEZER && write; c++) {
		t = c == CG_FREEZER ? cgroup_fs->kill_tree :
		    cgroup_fs->ctl_tree[c];
		if (c < CG_FREEZER && !cgroup_app_sets(app, c))
			continue;
		if (access(cgroup_fs->trees[t].own, W_OK) == -1)
			return confval_errf(err, errlen, "[app %s]: %s: "
			    "ferryd cannot write its cgroup %s: %s",
			    app->name, c < CG_FREEZER ? cgroup_settings[c] :
			    cgroup_setting(app), cgroup_fs->trees[t].own,
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

/* v2: enables controller c for the cgroups below ferryd's: in own's
   subtree_control (moving ferryd into own/master when own holds
   processes) and base's.  0, or -1 with errno. */
static int
cgroup_enable(struct cgroupfs_tree *t, enum cgroupfs_ctl c)
{
	char	plus[32], master[PATH_MAX], pid[32];

	if (t->enabled[c])
		return 0;
	snprintf(plus, sizeof(plus), "+%s", cgroupfs_ctl_names[c]);
	if (cgroupfs_write(t->own, "cgroup.subtree_control", plus) == -1) {
		if (errno != EBUSY)
			return -1;
		snprintf(master, sizeof(master), "%s/master", t->own);
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		if ((mkdir(master, 0755) == -1 && errno != EEXIST) ||
		    cgroupfs_write(master, "cgroup.procs", pid) == -1)
			return -1;
		log_info("cgroup: ferryd moved itself to %s, so that %s may "
		    "be enabled below %s", master, cgroupfs_ctl_names[c],
		    t->own);
		if (cgroupfs_write(t->own, "cgroup.subtree_control",
		    plus) == -1)
			return -1;
	}
	if (cgroupfs_write(t->base, "cgroup.subtree_control", plus) == -1)
		return -1;
	t->enabled[c] = 1;
	return 0;
}

/* Makes t's base; 0, or -1 with errno. */
static int
cgroup_base_make(struct cgroupfs_tree *t)
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
cgroup_app_dir(char *buf, size_t len, const struct cgroupfs_tree *t,
    const char *name)
{
	snprintf(buf, len, "%s/app-%s", t->base, name);
}

/* Writes the limit of controller c of app into its cgroup dir in t. */
static int
cgroup_limit(const struct cgroupfs_tree *t, const char *dir,
    const struct conf_app *app, enum cgroupfs_ctl c)
{
	char	v[64];
	int	rc;

	switch (c) {
	case CG_MEMORY:
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)app->memory_max);
		if (t->v2) {
			/* No swap to spill into past the limit. */
			(void)cgroupfs_write(dir, "memory.swap.max", "0");
			return cgroupfs_write(dir, "memory.max", v);
		}
		/* memsw (memory and swap) is never below the limit: set the
		   limit first when lowering, last when raising. */
		rc = cgroupfs_write(dir, "memory.limit_in_bytes", v);
		(void)cgroupfs_write(dir, "memory.memsw.limit_in_bytes", v);
		if (rc == -1)
			rc = cgroupfs_write(dir, "memory.limit_in_bytes", v);
		return rc;
	case CG_PIDS:
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)app->pids_max);
		return cgroupfs_write(dir, "pids.max", v);
	case CG_CPU:
		if (t->v2) {
			snprintf(v, sizeof(v), "%llu %d",
			    (unsigned long long)app->cpu_max *
			    (CGROUP_PERIOD / 100), CGROUP_PERIOD);
			return cgroupfs_write(dir, "cpu.max", v);
		}
		snprintf(v, sizeof(v), "%d", CGROUP_PERIOD);
		if (cgroupfs_write(dir, "cpu.cfs_period_us", v) == -1)
			return -1;
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)app->cpu_max * (CGROUP_PERIOD / 100));
		return cgroupfs_write(dir, "cpu.cfs_quota_us", v);
	default:
		return 0;
	}
}

/* Makes app's cgroups and writes its limits: 0, or -1 after logging. */
static int
cgroup_app_make(const struct conf_app *app)
{
	struct cgroupfs_tree	*t;
	char			 dir[PATH_MAX], v[CGROUPFS_READ];
	const char		*what = cgroup_setting(app);
	int			 c;

	for (c = 0; c <= CG_FREEZER; c++) {
		if (c < CG_FREEZER && !cgroup_app_sets(app, c))
			continue;
		t = &cgroup_fs->trees[c == CG_FREEZER ? cgroup_fs->kill_tree :
		    cgroup_fs->ctl_tree[c]];
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
		if (c == CG_FREEZER && t->v2 && cgroupfs_read(dir,
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
		cgroupfs_clean_stale();
		if (cgroup_app_make(&cf->apps[i]) == -1)
			return -1;
	}
	return 0;
}

/* The spares of the app whose cgroup is app; made when make is set and
   it has none yet.  NULL: none (or out of memory). */
static struct cgroup_spares *
cgroup_spares_find(const char *app, int make)
{
	struct cgroup_spares	*s;

	for (s = cgroup_spares; s != NULL; s = s->next)
		if (strcmp(s->app, app) == 0)
			return s;
	if (!make || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->app = strdup(app)) == NULL) {
		free(s);
		return NULL;
	}
	s->next = cgroup_spares;
	cgroup_spares = s;
	return s;
}

/* Frees s, its spares removed first when rm is set. */
static void
cgroup_spares_free(struct cgroup_spares *s, int rm)
{
	while (s->n > 0) {
		s->n--;
		if (rm && rmdir(s->leaf[s->n]) == -1 && errno != ENOENT)
			log_warn("cgroup %s: cannot remove it", s->leaf[s->n]);
		free(s->leaf[s->n]);
	}
	free(s->app);
	free(s);
}

/* Removes the spares of the apps cf no longer has in cgroups. */
static void
cgroup_spares_prune(const struct conf *cf)
{
	struct cgroup_spares	**pp, *s;
	char			  dir[PATH_MAX];
	size_t			  j;

	for (pp = &cgroup_spares; (s = *pp) != NULL;) {
		for (j = 0; j < cf->napps; j++) {
			if (!cgroup_wanted(&cf->apps[j]))
				continue;
			cgroup_app_dir(dir, sizeof(dir),
			    &cgroup_fs->trees[cgroup_fs->kill_tree],
			    cf->apps[j].name);
			if (strcmp(dir, s->app) == 0)
				break;
		}
		if (j < cf->napps) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		cgroup_spares_free(s, 1);
	}
}

/* A spare of the app whose cgroup is app (in a tree of version v2),
   checked empty again, taken; NULL: none. */
static char *
cgroup_spare_take(const char *app, int v2)
{
	struct cgroup_spares	*s = cgroup_spares_find(app, 1);
	char			*leaf;

	while (s != NULL && s->n > 0) {
		leaf = s->leaf[--s->n];
		if (cgroupfs_empty(leaf, v2))
			return leaf;
		/* Joined from outside since: not for a new process (the
		   stop removes it if this cannot). */
		log_warnx("cgroup %s: a spare cgroup is not empty: dropped",
		    leaf);
		cgroupfs_kill_dir(leaf, v2);
		(void)rmdir(leaf);
		free(leaf);
	}
	return NULL;
}

/* Keeps the per-process cgroup leaf (of a tree of version v2), if it is
   empty, for its app's next process: 1 when so (leaf taken), 0 when it
   is to be removed. */
static int
cgroup_spare_put(char *leaf, int v2)
{
	struct cgroup_spares	*s;
	char			*slash = strrchr(leaf, '/');

	if (slash == NULL)
		return 0;
	*slash = '\0';
	s = cgroup_spares_find(leaf, 0);
	*slash = '/';
	if (s == NULL || s->n == CGROUP_SPARE_MAX || !cgroupfs_empty(leaf, v2))
		return 0;
	s->leaf[s->n++] = leaf;
	return 1;
}

void
cgroup_commit(const struct conf *cf)
{
	char		 dir[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	size_t		 j;
	int		 i;

	cgroup_spares_prune(cf);
	for (i = 0; cgroup_fs != NULL && i < cgroup_fs->ntrees; i++) {
		if (!cgroup_fs->trees[i].made ||
		    (d = opendir(cgroup_fs->trees[i].base)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "app-", 4) != 0)
				continue;
			for (j = 0; j < cf->napps; j++)
				if (cgroup_wanted(&cf->apps[j]) &&
				    strcmp(cf->apps[j].name,
				    de->d_name + 4) == 0)
					break;
			if (j < cf->napps)
				continue;
			/* Busy (its processes still run): at exit. */
			snprintf(dir, sizeof(dir), "%s/%s",
			    cgroup_fs->trees[i].base, de->d_name);
			(void)rmdir(dir);
		}
		closedir(d);
	}
}

void
cgroup_fini(void)
{
	struct cgroup_dead	*dd;
	struct cgroup_spares	*s;
	int			 i, kill_first;

	/* Removed with the tree below. */
	while ((s = cgroup_spares) != NULL) {
		cgroup_spares = s->next;
		cgroup_spares_free(s, 0);
	}
	while ((dd = cgroup_dead) != NULL) {
		cgroup_dead = dd->next;
		free(dd->path);
		free(dd);
	}
	if (cgroup_loop != NULL)
		ev_timer_stop(cgroup_loop, &cgroup_dead_timer);
	if (cgroup_fs == NULL)
		return;
	for (kill_first = 1; kill_first >= 0; kill_first--)
		for (i = 0; i < cgroup_fs->ntrees; i++)
			if (cgroup_fs->trees[i].made &&
			    (i == cgroup_fs->kill_tree) == kill_first) {
				cgroupfs_rmtree(cgroup_fs->trees[i].base, 2,
				    kill_first, cgroup_fs->trees[i].v2);
				cgroup_fs->trees[i].made = 0;
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
	struct cgroupfs_tree	*t;
	char			 dir[PATH_MAX];
	int			 c, i, joined[CGROUPFS_TREES] = { 0 }, saved;

	memset(p, 0, sizeof(*p));
	if (!cgroup_wanted(app))
		return 0;
	if (cgroup_fs == NULL || cgroup_fs->kill_tree == -1) {
		errno = ENOTSUP;	/* never run it without */
		return -1;
	}
	t = &cgroup_fs->trees[cgroup_fs->kill_tree];
	cgroup_app_dir(dir, sizeof(dir), t, app->name);
	if ((p->leaf = cgroup_spare_take(dir, t->v2)) == NULL) {
		i = (int)strlen(dir);
		snprintf(dir + i, sizeof(dir) - (size_t)i, "/%lu",
		    ++cgroup_seq);
		if (mkdir(dir, 0755) == -1 || (p->leaf = strdup(dir)) == NULL)
			goto fail;
	}
	p->v2 = t->v2;
	joined[cgroup_fs->kill_tree] = 1;
	if (cgroup_proc_fd(p, p->leaf) == -1)
		goto fail;
	for (c = 0; c < CG_FREEZER; c++) {
		if (!cgroup_app_sets(app, c))
			continue;
		i = cgroup_fs->ctl_tree[c];
		cgroup_app_dir(dir, sizeof(dir), &cgroup_fs->trees[i],
		    app->name);
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
	p->forks = cgroupfs_counter(p->pids, "pids.events", "max");
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
		cgroupfs_kill_dir(p->leaf, p->v2);
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
		/* Emptied at last: kept for the app's next process, or
		   removed. */
		if (cgroup_spare_put(dd->path, dd->v2)) {
			*pp = dd->next;
			free(dd);
			continue;
		}
		cgroupfs_kill_dir(dd->path, dd->v2);
		if (rmdir(dd->path) == 0 || errno == ENOENT ||
		    ++dd->tries >= CGROUP_TRIES) {
			if (dd->tries >= CGROUP_TRIES)
				log_warn("cgroup %s: cannot remove it",
				    dd->path);
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
cgroup_proc_forks(struct cgroup_proc *p, const char *name, pid_t pid)
{
	uint64_t	n;

	if (p->pids == NULL)
		return;
	n = cgroupfs_counter(p->pids, "pids.events", "max");
	if (n > p->forks)
		log_warnx("%s[%d]: pids_max: %llu forks refused", name,
		    (int)pid, (unsigned long long)(n - p->forks));
	p->forks = n;
}

void
cgroup_proc_end(struct cgroup_proc *p, struct ev_loop *loop,
    const char *name, pid_t pid)
{
	cgroup_proc_spawned(p);
	if (p->leaf == NULL)
		return;
	cgroup_proc_forks(p, name, pid);
	/* An empty cgroup (the usual case) is kept for the app's next
	   process or goes at once, with no kill. */
	if (cgroup_spare_put(p->leaf, p->v2))
		p->leaf = NULL;
	else if (rmdir(p->leaf) == -1 && errno != ENOENT) {
		cgroupfs_kill_dir(p->leaf, p->v2);
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
