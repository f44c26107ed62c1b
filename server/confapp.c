/*
 * An app's settings as a value (conf.h): freed, copied, compared, and
 * updated in place, for the app states that outlive a configuration
 * (server/cgi.c, server/pool.c) and for a reload's report of what
 * changed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "server/conf.h"

const int conf_limit_rlimit[CONF_LIMITS] = {
	[CONF_LIMIT_CPU] = RLIMIT_CPU,
	[CONF_LIMIT_MEMORY] = RLIMIT_AS,
	[CONF_LIMIT_FILES] = RLIMIT_NOFILE,
	[CONF_LIMIT_PROCESSES] = RLIMIT_NPROC,
	[CONF_LIMIT_FILE_SIZE] = RLIMIT_FSIZE,
	[CONF_LIMIT_CORE] = RLIMIT_CORE,
};

const char *const conf_limit_key[CONF_LIMITS] = {
	[CONF_LIMIT_CPU] = "limit_cpu",
	[CONF_LIMIT_MEMORY] = "limit_memory",
	[CONF_LIMIT_FILES] = "limit_files",
	[CONF_LIMIT_PROCESSES] = "limit_processes",
	[CONF_LIMIT_FILE_SIZE] = "limit_file_size",
	[CONF_LIMIT_CORE] = "limit_core",
};

/* Frees the NULL-ended list v (NULL: nothing). */
static void
conf_words_free(char **v)
{
	char	**p;

	for (p = v; p != NULL && *p != NULL; p++)
		free(*p);
	free(v);
}

void
conf_app_free(struct conf_app *a)
{
	char	**p;

	free(a->name);
	free(a->prefix);
	free(a->root);
	free(a->command);
	if (a->args != NULL)
		for (p = a->args; *p != NULL; p++)
			free(*p);
	free(a->args);
	if (a->env != NULL)
		for (p = a->env; *p != NULL; p++)
			free(*p);
	free(a->env);
	free(a->user);
	free(a->group);
	conf_words_free(a->writable);
	conf_words_free(a->hide_paths);
	free(a->chroot);
	memset(a, 0, sizeof(*a));
}

/* A NULL-ended copy of the NULL-ended list v (NULL stays NULL); 0, or -1
   when out of memory. */
static int
conf_words_dup(char ***dst, char **v)
{
	size_t	n = 0, i;

	*dst = NULL;
	if (v == NULL)
		return 0;
	while (v[n] != NULL)
		n++;
	if ((*dst = calloc(n + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (((*dst)[i] = strdup(v[i])) == NULL)
			return -1;
	return 0;
}

/* NULL stays NULL; 0, or -1 when out of memory. */
static int
conf_str_dup(char **dst, const char *s)
{
	*dst = s != NULL ? strdup(s) : NULL;
	return s != NULL && *dst == NULL ? -1 : 0;
}

struct conf_app *
conf_app_dup(const struct conf_app *a)
{
	struct conf_app	*d;

	if ((d = malloc(sizeof(*d))) == NULL)
		return NULL;
	*d = *a;
	d->rt = NULL;
	/* Each copy below fails alone: every pointer is its own or NULL,
	   so conf_app_free frees exactly what was copied. */
	d->prefix = d->root = d->command = d->user = d->group = NULL;
	d->args = d->env = d->writable = d->hide_paths = NULL;
	d->chroot = NULL;
	if (conf_str_dup(&d->name, a->name) == -1 ||
	    conf_str_dup(&d->prefix, a->prefix) == -1 ||
	    conf_str_dup(&d->root, a->root) == -1 ||
	    conf_str_dup(&d->command, a->command) == -1 ||
	    conf_str_dup(&d->user, a->user) == -1 ||
	    conf_str_dup(&d->group, a->group) == -1 ||
	    conf_words_dup(&d->args, a->args) == -1 ||
	    conf_words_dup(&d->env, a->env) == -1 ||
	    conf_words_dup(&d->writable, a->writable) == -1 ||
	    conf_words_dup(&d->hide_paths, a->hide_paths) == -1 ||
	    conf_str_dup(&d->chroot, a->chroot) == -1) {
		conf_app_destroy(d);
		return NULL;
	}
	return d;
}

void
conf_app_destroy(struct conf_app *a)
{
	if (a == NULL)
		return;
	conf_app_free(a);
	free(a);
}

int
conf_app_update(struct conf_app *dst, const struct conf_app *src)
{
	struct conf_app	*d;
	char		*name;

	if ((d = conf_app_dup(src)) == NULL)
		return -1;
	name = dst->name;
	dst->name = NULL;
	conf_app_free(dst);
	free(d->name);
	*dst = *d;
	dst->name = name;
	free(d);
	return 0;
}

/* 1 when both lists hold the same words (NULL is empty). */
static int
conf_words_same(char **a, char **b)
{
	for (; a != NULL && *a != NULL; a++, b++)
		if (b == NULL || *b == NULL || strcmp(*a, *b) != 0)
			return 0;
	return b == NULL || *b == NULL;
}

static int
conf_str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
conf_app_same_sandbox(const struct conf_app *a, const struct conf_app *b)
{
	return a->private_network == b->private_network &&
	    a->private_ipc == b->private_ipc &&
	    a->private_uts == b->private_uts &&
	    a->private_pids == b->private_pids &&
	    a->read_only == b->read_only && a->private_tmp == b->private_tmp &&
	    conf_words_same(a->writable, b->writable) &&
	    conf_words_same(a->hide_paths, b->hide_paths) &&
	    conf_str_same(a->chroot, b->chroot) &&
	    /* the hostname of private_uts */
	    (!a->private_uts || strcmp(a->name, b->name) == 0);
}

int
conf_app_same_process(const struct conf_app *a, const struct conf_app *b)
{
	return a->type == b->type && conf_str_same(a->command, b->command) &&
	    a->command_dev == b->command_dev &&
	    a->command_ino == b->command_ino &&
	    a->command_mtime.tv_sec == b->command_mtime.tv_sec &&
	    a->command_mtime.tv_nsec == b->command_mtime.tv_nsec &&
	    conf_str_same(a->root, b->root) &&
	    conf_str_same(a->user, b->user) &&
	    conf_str_same(a->group, b->group) && a->uid == b->uid &&
	    a->gid == b->gid && conf_words_same(a->args, b->args) &&
	    conf_words_same(a->env, b->env) &&
	    memcmp(a->limits, b->limits, sizeof(a->limits)) == 0 &&
	    a->syscall_filter == b->syscall_filter &&
	    a->cgroup == b->cgroup && a->memory_max == b->memory_max &&
	    a->pids_max == b->pids_max && a->cpu_max == b->cpu_max &&
	    conf_app_same_sandbox(a, b);
}

int
conf_app_same(const struct conf_app *a, const struct conf_app *b)
{
	return conf_app_same_process(a, b) &&
	    conf_str_same(a->prefix, b->prefix) && a->workers == b->workers &&
	    a->min_workers == b->min_workers &&
	    a->max_workers == b->max_workers &&
	    a->max_requests == b->max_requests &&
	    a->max_procs == b->max_procs && a->queue == b->queue &&
	    a->request_timeout == b->request_timeout &&
	    a->idle_timeout == b->idle_timeout &&
	    a->on_client_gone == b->on_client_gone &&
	    a->isolation_request == b->isolation_request &&
	    a->request_buffering == b->request_buffering &&
	    a->half_close_answer == b->half_close_answer &&
	    a->hijack_grace == b->hijack_grace;
}
