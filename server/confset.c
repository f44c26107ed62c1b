/*
 * The setters of ferry.conf's values, one per kind of key (conf-int.h):
 * each parses a value (with server/confval.c) and stores it in the field
 * its key's row names, or says why not.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conf-int.h"
#include "server/confread.h"
#include "server/confval.h"
#include "server/log.h"

#define CONF_ERR_MAX	CONFREAD_ERR_MAX

static conf_setter confset_uint, confset_bytes, confset_urlpath,
		    confset_cidrs, confset_buffering, confset_seconds,
		    confset_enum, confset_level, confset_path, confset_dir,
		    confset_prog, confset_prefix, confset_words, confset_listen,
		    confset_user, confset_group, confset_limit, confset_percent;
static conf_setter confset_name;

conf_setter *const confset_setters[KIND_COUNT] = {
	[KIND_UINT] = confset_uint,
	[KIND_BYTES] = confset_bytes,
	[KIND_BUFFERING] = confset_buffering,
	[KIND_URLPATH] = confset_urlpath,
	[KIND_CIDRS] = confset_cidrs,
	[KIND_LIMIT] = confset_limit,
	[KIND_PERCENT] = confset_percent,
	[KIND_NAME] = confset_name,
	[KIND_SECONDS] = confset_seconds,
	[KIND_ENUM] = confset_enum,
	[KIND_LEVEL] = confset_level,
	[KIND_PATH] = confset_path,
	[KIND_DIR] = confset_dir,
	[KIND_PROG] = confset_prog,
	[KIND_PREFIX] = confset_prefix,
	[KIND_WORDS] = confset_words,
	[KIND_LISTEN] = confset_listen,
	[KIND_USER] = confset_user,
	[KIND_GROUP] = confset_group,
};

/* conf-int.h */
void
confset_store(void *p, size_t size, uint64_t v)
{
	uint32_t	v32 = (uint32_t)v;

	if (size == sizeof(v32))
		memcpy(p, &v32, sizeof(v32));
	else if (size == sizeof(v))
		memcpy(p, &v, sizeof(v));
	else
		abort();
}

static int
confset_uint(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	uint64_t	u = 0;

	if (confval_u64(v, k->min, k->max, &u, err, errlen) == -1)
		return -1;
	confset_store((char *)base + k->off, k->size, u);
	return 0;
}

static int
confset_bytes(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	uint64_t	u = 0;

	if (confval_size(v, k->max, &u, err, errlen) == -1)
		return -1;
	if (u < k->min)
		return confval_errf(err, errlen, "at least %llu bytes",
		    (unsigned long long)k->min);
	confset_store((char *)base + k->off, k->size, u);
	return 0;
}

/* A path as a prefix must be written (the apps are checked at the end:
   conf_pages). */
/* A number, with an optional K, M or G (powers of 1024). */
static int
confset_limit(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	uint64_t	u = 0;

	(void)f;
	if (confval_size(v, k->max, &u, err, errlen) == -1)
		return -1;
	if (u < k->min)
		return confval_errf(err, errlen, "at least %llu",
		    (unsigned long long)k->min);
	confset_store((char *)base + k->off, k->size, u);
	return 0;
}

/* Digits and a '%' sign. */
static int
confset_percent(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	char		 num[32];
	size_t		 len = strlen(v);
	uint64_t	 u = 0;

	(void)f;
	if (len < 2 || len >= sizeof(num) || v[len - 1] != '%')
		return confval_errf(err, errlen, "\"%s\" is not a percentage "
		    "(N%%)", v);
	memcpy(num, v, len - 1);
	num[len - 1] = '\0';
	if (confval_u64(num, k->min, k->max, &u, err, errlen) == -1)
		return -1;
	confset_store((char *)base + k->off, k->size, u);
	return 0;
}

/* 1 to CONF_MAX_INSTANCE letters, digits and . _ - : @: a name that a
   log line, a JSON string and a Prometheus label hold as it is. */
static int
confset_name(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	size_t	len = strlen(v);

	(void)f;
	if (len == 0 || len > CONF_MAX_INSTANCE ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-:@") != len)
		return confval_errf(err, errlen, "\"%s\" is not a name (1 to %d "
		    "letters, digits and . _ - : @)", v, CONF_MAX_INSTANCE);
	if (confval_str((char **)(void *)((char *)base + k->off), v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	return 0;
}

static int
confset_urlpath(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	struct conf	empty;

	memset(&empty, 0, sizeof(empty));
	(void)f;
	if (confval_prefix(&empty, 0, v, err, errlen) == -1)
		return -1;
	if (confval_str((char **)(void *)((char *)base + k->off), v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	return 0;
}

static int
confset_cidrs(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	(void)f;
	return confval_cidrs((struct conf_cidrs *)(void *)((char *)base +
	    k->off), v, err, errlen);
}

/* on, off or a size. */
static int
confset_buffering(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	char	why[256];

	if (strcmp(v, "on") == 0) {
		confset_store((char *)base + k->off, k->size, CONF_BUFFER_ON);
		return 0;
	}
	if (strcmp(v, "off") == 0) {
		confset_store((char *)base + k->off, k->size, 0);
		return 0;
	}
	if (confset_bytes(f, k, base, v, why, sizeof(why)) == -1)
		return confval_errf(err, errlen, "%s, or on or off", why);
	return 0;
}

static int
confset_seconds(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	double	d = 0;

	if (confval_seconds(v, &d, err, errlen) == -1)
		return -1;
	memcpy((char *)base + k->off, &d, sizeof(d));
	return 0;
}

/* One of k->names ("" never matches); the message lists them as
   "a, b or c". */
static int
confset_enum(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	char	list[CONF_ERR_MAX];
	size_t	i, n, last, len = 0;

	for (n = 0; k->names[n] != NULL; n++) {
		if (k->names[n][0] != '\0' && strcmp(v, k->names[n]) == 0) {
			confset_store((char *)base + k->off, k->size, n);
			return 0;
		}
	}
	list[0] = '\0';
	for (last = n; last > 0 && k->names[last - 1][0] == '\0'; last--)
		continue;
	for (i = 0; i < n; i++) {
		if (k->names[i][0] == '\0')
			continue;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    len == 0 ? "" : i == last - 1 ? " or " : ", ", k->names[i]);
		if (len >= sizeof(list))
			break;
	}
	return confval_errf(err, errlen, "\"%s\": expected %s", v, list);
}

static int
confset_level(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	int	lvl;

	if ((lvl = log_level_parse(v)) == -1)
		return confval_errf(err, errlen, "\"%s\": expected error, "
		    "warn, info or debug", v);
	confset_store((char *)base + k->off, k->size, (uint64_t)lvl);
	return 0;
}

static int
confset_path(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	char	**dst = (char **)(void *)((char *)base + k->off), *abs;

	if (*v == '\0')
		return confval_errf(err, errlen, "empty path");
	if (((k->flags & KF_OFF) && strcmp(v, LOG_OFF) == 0) ||
	    ((k->flags & KF_SYSLOG) && strcmp(v, LOG_SYSLOG) == 0))
		abs = strdup(v);	/* no access log; syslog */
	else
		abs = confval_abspath(f->dir, v);
	if (abs == NULL)
		return confval_errf(err, errlen, "%s", strerror(errno));
	free(*dst);
	*dst = abs;
	return 0;
}

static int
confset_dir(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	return confval_dir((char **)(void *)((char *)base + k->off), f->dir,
	    v, err, errlen);
}

static int
confset_prog(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	return confval_prog((char **)(void *)((char *)base + k->off), f->dir,
	    v, err, errlen);
}

static int
confset_prefix(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	if (confval_prefix(f->c, f->app, v, err, errlen) == -1)
		return -1;
	if (confval_str((char **)(void *)((char *)base + k->off), v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	return 0;
}

static int
confset_words(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	return confval_words((char ***)(void *)((char *)base + k->off), v,
	    (k->flags & KF_NAMES) != 0, err, errlen);
}

/* A relative unix:PATH is relative to the file's directory. */
static int
confset_listen(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	struct conf	*c = base;
	char		*abs, *spec;
	int		 rc;

	if (strncmp(v, "unix:", 5) != 0 || v[5] == '\0' || v[5] == '/')
		return confval_listen_add(&c->listens, &c->nlistens, v, err,
		    errlen);
	if ((abs = confval_abspath(f->dir, v + 5)) == NULL)
		return confval_errf(err, errlen, "%s", strerror(errno));
	spec = malloc(strlen(abs) + 6);
	if (spec == NULL) {
		free(abs);
		return confval_errf(err, errlen, "%s", strerror(errno));
	}
	memcpy(spec, "unix:", 5);
	memcpy(spec + 5, abs, strlen(abs) + 1);
	free(abs);
	rc = confval_listen_add(&c->listens, &c->nlistens, spec, err, errlen);
	free(spec);
	return rc;
}

/* Either key order gives the same ids: group, when set, wins over the
   user's primary group. */
static int
confset_user(struct conf_file *f, const struct conf_keydef *k, void *base,
    const char *v, char *err, size_t errlen)
{
	struct conf_app	*a = base;
	uid_t		 uid;
	gid_t		 gid;

	errno = 0;
	if (*v == '\0' || confval_user(v, &uid, &gid) == -1)
		return confval_ids_err(err, errlen, "user", v);
	if (confval_str(&a->user, v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	a->uid = uid;
	if (a->group == NULL)
		a->gid = gid;
	return 0;
}

static int
confset_group(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen)
{
	struct conf_app	*a = base;
	gid_t		 gid;

	errno = 0;
	if (*v == '\0' || confval_group(v, &gid) == -1)
		return confval_ids_err(err, errlen, "group", v);
	if (confval_str(&a->group, v) == -1)
		return confval_errf(err, errlen, "%s", strerror(errno));
	if (a->user == NULL)
		a->uid = geteuid();
	a->gid = gid;
	return 0;
}

