/*
 * The value parsers behind ferry.conf(5) and ferryd's command line:
 * strict whole numbers, byte sizes and seconds, paths made absolute,
 * directories and programs checked on disk, word lists, user and group
 * names resolved to ids, and listen addresses.  They know nothing of keys
 * or sections (server/conf.c does); each refusal puts the message that
 * ferryd prints after "KEY: " in err.
 */
#ifndef FERRY_SERVER_CONFVAL_H
#define FERRY_SERVER_CONFVAL_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "server/conf-t.h"

/* A message about the settings: "ferryd: MESSAGE" on stderr, or to the
   sink confval_report_to set (a reload logs it; NULL: stderr again). */
void	confval_report(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	confval_report_to(void (*sink)(const char *msg));

/* snprintf into err; returns -1, so that a failure reads
   "return confval_errf(err, errlen, ...)". */
int	confval_errf(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Digits only (no sign or space), overflow-checked, in [min, max]: 0 with
   *out set, or -1 with a message in err. */
int	confval_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	    char *err, size_t errlen);
/* A byte count up to max: digits with an optional K, M or G (powers of
   1024).  0 with *out set, or -1 with a message in err. */
int	confval_size(const char *s, uint64_t max, uint64_t *out, char *err,
	    size_t errlen);
/* Seconds: digits, optionally '.' and 1 to 9 more digits; more than 0 and
   at most CONF_MAX_SECONDS.  0 with *out set, or -1 with a message. */
int	confval_seconds(const char *s, double *out, char *err, size_t errlen);

/* path made absolute against dir (NULL: the current directory), malloc'd,
   symbolic links not resolved; NULL on error (errno). */
char	*confval_abspath(const char *dir, const char *path);
/* Replaces *dst with a copy of v: 0, or -1 (errno) leaving *dst alone. */
int	confval_str(char **dst, const char *v);
/* Replaces *dst with the realpath of the directory path (relative to dir,
   NULL: the current one): 0, or -1 with a message in err. */
int	confval_dir(char **dst, const char *dir, const char *path, char *err,
	    size_t errlen);
/* Replaces *dst with the absolute path of the executable file path
   (relative to dir, as confval_dir): 0, or -1 with a message in err. */
int	confval_prog(char **dst, const char *dir, const char *path, char *err,
	    size_t errlen);
/* Appends the space-separated words of v to the NULL-ended *list; names = 1
   refuses a word that is not an environment variable name.  0, or -1 with
   a message in err (words appended before the bad one stay). */
int	confval_words(char ***list, const char *v, int names, char *err,
	    size_t errlen);

/* A URL path prefix: '/' first, printable ASCII without space, '?' and
   '#'; not the prefix of an app of c other than apps[self]: 0, or -1 with
   a message in err. */
int	confval_prefix(const struct conf *c, size_t self, const char *p,
	    char *err, size_t errlen);

/* Both log files of c can be opened for appending (created if need be):
   0, or -1 after reporting each that cannot (confval_report). */
int	confval_logs(const struct conf *c);

/* Appends the space-separated address ranges of v to list:
   "ADDR/BITS", "ADDR" (all its bits), or "unix" (clients of Unix
   sockets).  0, or -1 with a message in err. */
int	confval_cidrs(struct conf_cidrs *list, const char *v, char *err,
	    size_t errlen);
/* 1 when the address text addr ("unix" for a Unix socket's client, else
   numeric IPv4 or IPv6) is in one of the ranges of list. */
int	confval_cidr_match(const struct conf_cidrs *list, const char *addr);

/* The uid and primary gid of the user called name.  0, or -1 with errno 0
   when there is no such user, else the lookup's error. */
int	confval_user(const char *name, uid_t *uid, gid_t *gid);
/* The gid of the group called name; returns as confval_user. */
int	confval_group(const char *name, gid_t *gid);
/* Puts the message for a user or group (what) v that did not resolve, as
   confval_user or confval_group left errno, in err; returns -1. */
int	confval_ids_err(char *err, size_t errlen, const char *what,
	    const char *v);

/* Parses ADDR (HOST:PORT, [IPV6]:PORT, :PORT, unix:PATH) into *l; HOST
   is numeric or "localhost".  Returns 0 with l->spec a malloc'd copy of
   spec (the caller frees it), or -1 with a message in err. */
int	confval_listen(const char *spec, struct conf_listen *l,
	    char *err, size_t errlen);

/* Parses spec as confval_listen and appends it to the array *ls of *n:
   0, or -1 with a message in err (*ls unchanged). */
int	confval_listen_add(struct conf_listen **ls, size_t *n, const char *spec,
	    char *err, size_t errlen);

#endif
