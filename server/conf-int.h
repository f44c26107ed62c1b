/*
 * What server/conf.c (the key table, the sections, include) and
 * server/confset.c (one setter per kind of value) share: the keys, their
 * kinds and flags, a row of the key table, and the state of the file
 * being read.  Private to those two files.
 */
#ifndef FERRY_SERVER_CONF_INT_H
#define FERRY_SERVER_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "server/conf-t.h"

enum conf_key {
	/* [server] */
	K_LISTEN, K_ACCESS_LOG, K_ERROR_LOG, K_LOG_LEVEL, K_MAX_CONNECTIONS,
	K_MAX_BODY_SIZE, K_MAX_TARGET_LENGTH, K_MAX_HEADER_SIZE,
	K_MAX_HEADER_FIELDS, K_HEADER_TIMEOUT, K_BODY_TIMEOUT,
	K_KEEPALIVE_TIMEOUT, K_WRITE_TIMEOUT, K_SHUTDOWN_TIMEOUT, K_KILL_GRACE,
	K_ACCESS_LOG_FORMAT, K_SYSLOG_FACILITY,
	/* [app NAME] */
	K_TYPE, K_PREFIX, K_ROOT, K_COMMAND, K_ARGS, K_ENV, K_WORKERS,
	K_MIN_WORKERS, K_MAX_WORKERS, K_MAX_REQUESTS, K_MAX_PROCESSES, K_QUEUE,
	K_REQUEST_TIMEOUT, K_IDLE_TIMEOUT, K_ON_CLIENT_GONE, K_USER, K_GROUP,
	K_ISOLATION,
	K_HALF_CLOSE,
	K_HIJACK_GRACE,
	K_REQUEST_BUFFERING, K_BODY_MIN_RATE, K_PID_FILE,
	K_STATUS_PATH, K_STATUS_ALLOW, K_HEALTH_PATH,
	K_LIMIT_CPU, K_LIMIT_MEMORY, K_LIMIT_FILES, K_LIMIT_PROCESSES,
	K_LIMIT_FILE_SIZE, K_LIMIT_CORE, K_SYSCALL_FILTER,
	K_CGROUP, K_MEMORY_MAX, K_PIDS_MAX, K_CPU_MAX,
	K_PROXY_FROM,
	K_PRIVATE_NETWORK, K_PRIVATE_IPC, K_PRIVATE_UTS, K_PRIVATE_PIDS,
	K_READ_ONLY, K_PRIVATE_TMP, K_WRITABLE, K_HIDE_PATHS, K_CHROOT,
	K_TRUSTED_PROXIES, K_FORWARDED_HEADER,
	K_INSTANCE, K_DRAIN_DELAY,	/* [server]: which ferryd, its drain */
	K_COUNT
};

/* How a key's value is read and stored; confset_setters has one per
   kind. */
enum conf_kind {
	KIND_UINT,	/* whole number in [min, max] (an integer field) */
	KIND_BYTES,	/* size with K, M or G, in [min, max] */
	KIND_SECONDS,	/* seconds (a double) */
	KIND_ENUM,	/* one of names[], stored as its index */
	KIND_LEVEL,	/* a log level, as log_level_parse */
	KIND_PATH,	/* a file, made absolute against the file's dir */
	KIND_DIR,	/* a directory, its realpath */
	KIND_PROG,	/* an executable file, absolute */
	KIND_PREFIX,	/* a URL path prefix no other app has */
	KIND_WORDS,	/* space-separated words added to a list */
	KIND_LISTEN,	/* an address added to conf's listens */
	KIND_USER,	/* a user name, resolved to its ids */
	KIND_GROUP,	/* a group name, resolved to its id */
	KIND_BUFFERING,	/* on, off (0) or a size (BYTES); default AUTO */
	KIND_URLPATH,	/* a URL path ferryd answers itself */
	KIND_CIDRS,	/* address ranges added to a struct conf_cidrs */
	KIND_LIMIT,	/* a resource limit (BYTES syntax, in [min, max]);
			   default CONF_LIMIT_UNSET */
	KIND_PERCENT,	/* N% (an unsigned int), in [min, max]; default 0 */
	KIND_NAME,	/* a name of letters, digits and . _ - : @ (a string) */
	KIND_COUNT
};

#define KF_SERVER	0x01	/* belongs in [server] (a struct conf field) */
#define KF_APP		0x02	/* belongs in [app NAME] (struct conf_app) */
#define KF_REPEAT	0x04	/* each line adds to a list */
#define KF_CGI		0x08	/* type = cgi only */
#define KF_FCGI		0x10	/* type = fastcgi only */
#define KF_OFF		0x20	/* PATH: LOG_OFF is taken as it is */
#define KF_NAMES	0x40	/* WORDS: each an environment variable name */
#define KF_SYSLOG	0x80	/* PATH: LOG_SYSLOG is taken as it is */

struct conf_keydef {
	const char	*name;
	int		 flags;
	enum conf_kind	 kind;
	size_t		 off, size;	/* the field, in the section's struct */
	uint64_t	 min, max;	/* UINT, BYTES */
	double		 def;		/* UINT, BYTES, SECONDS, ENUM, LEVEL:
					   the value before any is read */
	const char *const *names;	/* ENUM: by value, NULL-ended; ""
					   is a value no one may write */
};

enum conf_sect { SECT_NONE, SECT_SERVER, SECT_APP };

/* What the sections of the file being read have set. */
struct conf_file {
	struct conf	*c;
	const char	*dir;		/* the file's, absolute */
	enum conf_sect	 sect;
	int		 sectline;
	size_t		 app;		/* index of the current app */
	int		 seen[K_COUNT];	/* line of each key in this section */
	int		 server_line;	/* line of [server], 0 before it */
	int		 depth;		/* include nesting */
};

/* Sets the field of key k in base (the section's struct) from v: 0, or -1
   with a message in err. */
typedef int conf_setter(struct conf_file *f, const struct conf_keydef *k,
    void *base, const char *v, char *err, size_t errlen);

/* The setter of each kind (server/confset.c). */
extern conf_setter *const confset_setters[KIND_COUNT];

/* Writes v into the integer field p of size bytes (4 or 8: int, unsigned
   int, an enum, size_t or uint64_t); any other size is a bad row. */
void	confset_store(void *p, size_t size, uint64_t v);

#endif
