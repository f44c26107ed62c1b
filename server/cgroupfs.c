/*
 * The cgroup hierarchies (cgroupfs.h): found from /proc/self/mountinfo
 * and /proc/self/cgroup, each controller taken from cgroup v2 where its
 * cgroup.controllers lists it, else from the v1 hierarchy that has it;
 * the per-process cgroups go to the v2 hierarchy, else to the v1
 * freezer's.  And what is done to a cgroup directory.
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

#include "server/cgroupfs.h"
#include "server/log.h"

const char *const cgroupfs_ctl_names[CG_NCTL] = {
	"memory", "pids", "cpu", "freezer"
};

static struct cgroupfs	cgroupfs = {
	.ctl_tree = { -1, -1, -1, -1 }, .kill_tree = -1
};

/* 1 when word is one of the comma-separated words of list. */
static int
cgroupfs_has_word(const char *list, const char *word, size_t wlen)
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
cgroupfs_all_words(const char *ctls, const char *opts)
{
	const char	*p = ctls, *e;
	size_t		 n;

	if (*ctls == '\0')
		return 0;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (!cgroupfs_has_word(opts, p, n))
			return 0;
		if (e == NULL)
			return 1;
		p = e + 1;
	}
}

/* Opens dir/file with flags (close-on-exec): the fd, or -1 with errno. */
static int
cgroupfs_open(const char *dir, const char *file, int flags)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return open(path, flags | O_CLOEXEC);
}

int
cgroupfs_read(const char *dir, const char *file, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = cgroupfs_open(dir, file, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	saved = errno;
	close(fd);
	errno = saved;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int
cgroupfs_write(const char *dir, const char *file, const char *s)
{
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = cgroupfs_open(dir, file, O_WRONLY)) == -1)
		return -1;
	n = write(fd, s, strlen(s));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The number after "key " on a line of dir/file, or 0. */
uint64_t
cgroupfs_counter(const char *dir, const char *file, const char *key)
{
	char		 buf[CGROUPFS_READ], *p = buf;
	size_t		 klen = strlen(key);

	if (dir == NULL || cgroupfs_read(dir, file, buf, sizeof(buf)) == -1)
		return 0;
	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

/* A hierarchy of mountinfo's line (fields split in f), with ferryd's
   cgroup in it from the lines of /proc/self/cgroup. */
static void
cgroupfs_probe_mount(char **f, int nf, char cg[][2][PATH_MAX], int ncg)
{
	struct cgroupfs_tree	*t;
	const char		*fstype, *opts, *root = f[3], *path = NULL;
	char			 buf[CGROUPFS_READ];
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
		    cgroupfs_all_words(cg[i][0], opts))
			path = cg[i][1];
	if (path == NULL || cgroupfs.ntrees == CGROUPFS_TREES)
		return;
	rlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(path, root, rlen) != 0)
		return;		/* ferryd's cgroup is not below the mount */
	t = &cgroupfs.trees[cgroupfs.ntrees];
	memset(t, 0, sizeof(*t));
	t->v2 = strcmp(fstype, "cgroup2") == 0;
	snprintf(t->own, sizeof(t->own), "%s%s", f[4],
	    strcmp(path + rlen, "/") == 0 ? "" : path + rlen);
	for (i = 0; i < cgroupfs.ntrees; i++)
		if (strcmp(cgroupfs.trees[i].own, t->own) == 0)
			return;		/* mounted twice */
	rlen = strlen(t->own);
	memcpy(t->base, t->own, rlen);
	snprintf(t->base + rlen, sizeof(t->base) - rlen, "/ferry-%ld",
	    (long)getpid());
	if (t->v2 && cgroupfs_read(t->own, "cgroup.controllers", buf,
	    sizeof(buf)) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		for (c = 0; c < CG_NCTL; c++) {
			char	*w, *save = NULL, tmp[CGROUPFS_READ];

			memcpy(tmp, buf, sizeof(tmp));
			for (w = strtok_r(tmp, " ", &save); w != NULL;
			    w = strtok_r(NULL, " ", &save))
				if (strcmp(w, cgroupfs_ctl_names[c]) == 0)
					t->has[c] = 1;
		}
	} else if (!t->v2)
		for (c = 0; c < CG_NCTL; c++)
			t->has[c] = cgroupfs_has_word(opts,
			    cgroupfs_ctl_names[c],
			    strlen(cgroupfs_ctl_names[c]));
	cgroupfs.ntrees++;
}

/* Finds the hierarchies and picks one per controller (v2 first). */
struct cgroupfs *
cgroupfs_probe(void)
{
	static char	 cg[CGROUPFS_TREES][2][PATH_MAX];
	char		*line = NULL, *f[32], *p, *save;
	size_t		 cap = 0;
	FILE		*fp;
	struct cgroupfs	*fs = &cgroupfs;
	int		 ncg = 0, nf, i, c;

	if (fs->probed)
		return fs;
	fs->probed = 1;
	if ((fp = fopen("/proc/self/cgroup", "re")) != NULL) {
		while (ncg < CGROUPFS_TREES && getline(&line, &cap, fp) > 0) {
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
				cgroupfs_probe_mount(f, nf, cg, ncg);
		}
		fclose(fp);
	}
	free(line);
	for (c = 0; c < CG_NCTL; c++)
		for (i = 0; i < fs->ntrees && fs->ctl_tree[c] == -1; i++)
			if (fs->trees[i].v2 && fs->trees[i].has[c])
				fs->ctl_tree[c] = i;
	for (c = 0; c < CG_NCTL; c++)
		for (i = 0; i < fs->ntrees && fs->ctl_tree[c] == -1; i++)
			if (!fs->trees[i].v2 && fs->trees[i].has[c])
				fs->ctl_tree[c] = i;
	for (i = 0; i < fs->ntrees && fs->kill_tree == -1; i++)
		if (fs->trees[i].v2)
			fs->kill_tree = i;
	if (fs->kill_tree == -1)
		fs->kill_tree = fs->ctl_tree[CG_FREEZER];
	return fs;
}

/* Kills every process in the cgroup dir: cgroup.kill (v2), else freeze
   it (v1 freezer, waiting a second at most), SIGKILL each, thaw. */
void
cgroupfs_kill_dir(const char *dir, int v2)
{
	struct timespec	 ms = { 0, 1000000 };
	char		 buf[CGROUPFS_READ], *p, *e;
	int		 i, frozen = 0;

	if (v2 && cgroupfs_write(dir, "cgroup.kill", "1") == 0)
		return;
	if (!v2 && cgroupfs_write(dir, "freezer.state", "FROZEN") == 0)
		for (i = 0; i < 1000 && !frozen; i++) {
			frozen = cgroupfs_read(dir, "freezer.state", buf,
			    sizeof(buf)) == 0 &&
			    strncmp(buf, "FROZEN", 6) == 0;
			if (!frozen)
				nanosleep(&ms, NULL);
		}
	/* Frozen, none can fork meanwhile; else (a kernel without
	   cgroup.kill) a few rounds catch the children of the dying. */
	for (i = 0; i < (frozen ? 1 : 8); i++) {
		if (cgroupfs_read(dir, "cgroup.procs", buf,
		    sizeof(buf)) == -1 || buf[0] == '\0')
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
		(void)cgroupfs_write(dir, "freezer.state", "THAWED");
}

int
cgroupfs_empty(const char *dir, int v2)
{
	struct stat	st;
	char		buf[CGROUPFS_READ];

	/* kernfs: a directory's links are 2 and one per subdirectory. */
	if (stat(dir, &st) == -1 || st.st_nlink != 2)
		return 0;
	if (v2)
		return cgroupfs_read(dir, "cgroup.events", buf,
		    sizeof(buf)) == 0 && strstr(buf, "populated 0\n") != NULL &&
		    strstr(buf, "frozen 0\n") != NULL;
	return cgroupfs_read(dir, "tasks", buf, sizeof(buf)) == 0 &&
	    buf[0] == '\0' && cgroupfs_read(dir, "freezer.state", buf,
	    sizeof(buf)) == 0 && strncmp(buf, "THAWED", 6) == 0;
}

/* rmdir dir, waiting up to half a second for dying tasks: 0 or -1. */
static int
cgroupfs_rmdir_wait(const char *dir)
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
void
cgroupfs_rmtree(const char *dir, int depth, int kill, int v2)
{
	char		 sub[PATH_MAX];
	DIR		*d;
	struct dirent	*de;

	if (depth > 0 && (d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			cgroupfs_rmtree(sub, depth - 1, kill, v2);
		}
		closedir(d);
	}
	if (kill)
		cgroupfs_kill_dir(dir, v2);
	if (cgroupfs_rmdir_wait(dir) == -1 && errno != ENOENT)
		log_warn("cgroup %s: cannot remove it", dir);
}

/* The first time: removes the cgroups of ferryds that are gone. */
void
cgroupfs_clean_stale(void)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	char		*end;
	long		 pid;
	int		 i, kill_first;

	if (cgroupfs.cleaned)
		return;
	cgroupfs.cleaned = 1;
	/* The per-process cgroups first: that kills their processes. */
	for (kill_first = 1; kill_first >= 0; kill_first--)
		for (i = 0; i < cgroupfs.ntrees; i++) {
			if ((i == cgroupfs.kill_tree) != kill_first ||
			    (d = opendir(cgroupfs.trees[i].own)) == NULL)
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
				    cgroupfs.trees[i].own, de->d_name);
				log_info("cgroup %s: left by a ferryd that is "
				    "gone: removed", path);
				cgroupfs_rmtree(path, 2, kill_first,
				    cgroupfs.trees[i].v2);
			}
			closedir(d);
		}
}

