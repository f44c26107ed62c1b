/*
 * ferryd's settings as types: the defaults and limits, struct conf and
 * its apps and listen addresses (conf.h has the functions).  The conf
 * files below conf.c (confval.c, confargs.c) need only these.
 */
#ifndef FERRY_SERVER_CONF_T_H
#define FERRY_SERVER_CONF_T_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "protocol/http1.h"

#define CONF_DEFAULT_LISTEN		"127.0.0.1:8080"
#define CONF_DEFAULT_MAX_CONNS	1024
#define CONF_DEFAULT_MAX_BODY		(64ULL * 1024 * 1024)	/* 413 beyond */
#define CONF_DEFAULT_MAX_PROCS	64	/* concurrent CGI processes, per app */
#define CONF_DEFAULT_QUEUE		256	/* requests waiting for a process */
#define CONF_DEFAULT_HEADER_TIMEOUT	10.0	/* s: whole request head */
#define CONF_DEFAULT_BODY_TIMEOUT	30.0	/* s: idle while reading a body */
/* request_buffering: the master receives a Content-Length body whole
   before dispatch, up to this many bytes (ON: max_body_size; 0: off);
   AUTO, the default, is ON for CGI and legacy FastCGI apps and off for
   apps whose workers speak ferry's extensions (libferry). */
#define CONF_INCLUDE_DEPTH	8	/* include inside include, at most */
#define CONF_BUFFER_ON		UINT64_MAX
#define CONF_BUFFER_AUTO	(UINT64_MAX - 1)
#define CONF_DEFAULT_KEEPALIVE_TIMEOUT 15.0	/* s: idle between requests */
#define CONF_DEFAULT_WRITE_TIMEOUT	30.0	/* s: client not reading */
#define CONF_DEFAULT_REQUEST_TIMEOUT	60.0	/* s: script's response */
#define CONF_DEFAULT_SHUTDOWN_TIMEOUT	10.0	/* s: graceful stop */
#define CONF_DEFAULT_KILL_GRACE	2.0	/* s: SIGTERM to SIGKILL */
#define CONF_DEFAULT_IDLE_TIMEOUT	60.0	/* s: idle worker above min_workers */
#define CONF_DEFAULT_MAX_TARGET	HTTP1_DEFAULT_MAX_TARGET	/* 414 beyond */
#define CONF_DEFAULT_MAX_HEAD		HTTP1_DEFAULT_MAX_HEAD	/* 431 beyond */
#define CONF_DEFAULT_MAX_FIELDS	HTTP1_DEFAULT_MAX_FIELDS	/* 431 beyond */
#define CONF_DEFAULT_WORKERS		2	/* FastCGI workers started */
#define CONF_DEFAULT_MAX_REQUESTS	0	/* per worker; 0: no recycling */

/* Ranges accepted for the settings (inclusive). */
#define CONF_MAX_SECONDS		1000000	/* any timeout */
#define CONF_MAX_CONNS_LIMIT		1000000
#define CONF_MAX_BODY_LIMIT		(1ULL << 50)
#define CONF_MIN_TARGET_LIMIT		64
#define CONF_MIN_HEAD_LIMIT		256
#define CONF_MAX_HEAD_LIMIT		(1024 * 1024)	/* also max_target */
#define CONF_MAX_FIELDS_LIMIT		10000
#define CONF_MAX_WORKERS_LIMIT		1024
#define CONF_MAX_PROCS_LIMIT		100000
#define CONF_MAX_QUEUE_LIMIT		1000000
#define CONF_MAX_REQUESTS_LIMIT	1000000000
#define CONF_MAX_NAME			64	/* app name in [app NAME] */
#define CONF_MAX_PREFIX		1024
#define CONF_MAX_INSTANCE		64	/* instance name, in bytes */

/* CONF_APP_STATUS: ferryd's own pages (status_path, health_path), as apps
   conf_load adds itself, named CONF_STATUS_APP and CONF_HEALTH_APP. */
enum conf_app_type { CONF_APP_CGI, CONF_APP_FASTCGI, CONF_APP_STATUS };
#define CONF_STATUS_APP		"(status)"
#define CONF_HEALTH_APP		"(health)"
#define CONF_DEFAULT_STATUS_ALLOW	"127.0.0.0/8 ::1 unix"
#define CONF_DEFAULT_PROXY_FROM		"127.0.0.0/8 ::1 unix"
enum conf_gone { CONF_GONE_DEFAULT, CONF_GONE_FINISH, CONF_GONE_ABORT,
	CONF_GONE_TERMINATE };

/* An address range of status_allow: family AF_INET or AF_INET6, the
   address's first bits bits; AF_UNIX: any client of a Unix socket. */
struct stats_app;

struct conf_cidr {
	int			 family;
	uint8_t			 addr[16];
	unsigned int		 bits;
};
/* A list of address ranges (a KIND_CIDRS setting; each line adds). */
struct conf_cidrs {
	struct conf_cidr	*v;
	size_t			 n;
};

struct conf_listen {
	char			*spec;		/* as given, for logs */
	int			 family;	/* AF_INET, AF_INET6, AF_UNIX */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	/* unix:PATH options (mode=, owner=, group=): applied after bind */
	int			 mode;		/* -1: as the umask leaves it */
	uid_t			 uid;		/* (uid_t)-1: ferryd's */
	gid_t			 gid;		/* (gid_t)-1: ferryd's */
	unsigned int		 flags;		/* CONF_LISTEN_* */
};
/* conf_listen flags, the words after the address. */
#define CONF_LISTEN_PROXY	0x01	/* proxy_protocol: a PROXY header first */
#define CONF_LISTEN_REUSEPORT	0x02	/* reuse_port: SO_REUSEPORT */

/* The resource limits of an app's processes (setrlimit before exec), in
   conf_app's limits[]; CONF_LIMIT_UNSET: ferryd's own, inherited. */
enum conf_limit {
	CONF_LIMIT_CPU,		/* seconds: RLIMIT_CPU */
	CONF_LIMIT_MEMORY,	/* bytes: RLIMIT_AS */
	CONF_LIMIT_FILES,	/* RLIMIT_NOFILE */
	CONF_LIMIT_PROCESSES,	/* RLIMIT_NPROC (of the app's user) */
	CONF_LIMIT_FILE_SIZE,	/* bytes: RLIMIT_FSIZE */
	CONF_LIMIT_CORE,	/* bytes: RLIMIT_CORE */
	CONF_LIMITS
};
#define CONF_LIMIT_UNSET	UINT64_MAX
/* By enum conf_limit: its RLIMIT_* resource and its key (server/confapp.c). */
extern const int	 conf_limit_rlimit[CONF_LIMITS];
extern const char *const conf_limit_key[CONF_LIMITS];

/* syscall_filter: the seccomp filter of an app's processes (server/filter.c). */
enum conf_syscall_filter {
	CONF_FILTER_OFF,	/* none */
	CONF_FILTER_DEFAULT	/* EPERM for the calls no web app needs */
};

struct conf_app {
	char			*name;		/* NAME of [app NAME], or the
						   prefix for --cgi/--app */
	int			 from_args;	/* 1: from --cgi or --app */
	enum conf_app_type	 type;
	char			*prefix;	/* URL path prefix, e.g. "/cgi-bin/" */
	char			*root;		/* CGI: script directory (realpath) */
	char			*command;	/* FastCGI: program */
	dev_t			 command_dev;	/* FastCGI: the program file */
	ino_t			 command_ino;	/* as it was when read: a */
	struct timespec		 command_mtime;	/* new one is a new program */
	char			**args;		/* FastCGI: argv[1..], NULL-ended */
	char			**env;		/* names passed through from
						   ferryd's environment, NULL-ended */
	int			 workers, min_workers, max_workers;
						/* FastCGI: started, kept,
						   at most; min <= workers <= max */
	unsigned int		 max_requests;	/* 0: no limit */
	unsigned int		 max_procs;	/* CGI: concurrent processes */
	unsigned int		 queue;		/* waiting requests */
	double			 request_timeout;
	double			 idle_timeout;	/* FastCGI */
	enum conf_gone	 on_client_gone;	/* never CONF_GONE_DEFAULT
						   after conf_load */
	char			*user, *group;	/* NULL: ferryd's own (when
						   ferryd is root, an app
						   must name its user:
						   conf_apps_check) */
	uid_t			 uid;		/* when user or group is set: */
	gid_t			 gid;		/* resolved at load; group
						   defaults to user's primary
						   one, user to ferryd's */
	int			 isolation_request;	/* 1: one request
							   per worker */
	uint64_t		 request_buffering;	/* CONF_BUFFER_* or
							   bytes; 0: off */
	int			 half_close_answer;	/* 1: a client's
							   half-close waits for
							   the answer */
	uint64_t		 limits[CONF_LIMITS];
	int			 syscall_filter;	/* enum
							   conf_syscall_filter */
	/* Namespaces and filesystem (server/sandbox.c); 0 and NULL: off. */
	int			 private_network, private_ipc, private_uts,
				 private_pids, read_only, private_tmp;
	char			**writable;	/* absolute paths, NULL-ended */
	char			**hide_paths;	/* absolute paths, NULL-ended */
	char			*chroot;	/* a directory (realpath) */
	double			 hijack_grace;	/* FastCGI: a retired worker
						   holding hijacked sockets
						   is stopped after it; 0:
						   not set (no limit) */
	/* cgroups (server/cgroup.c): any limit implies cgroup */
	int			 cgroup;	/* 1: a cgroup per process */
	uint64_t		 memory_max;	/* bytes; CONF_LIMIT_UNSET */
	uint64_t		 pids_max;	/* CONF_LIMIT_UNSET: none */
	unsigned int		 cpu_max;	/* % of one CPU; 0: none */

	/* Not a setting: the app type's state for this app while ferryd
	   runs this struct conf (server/cgi.c's struct cgi_app,
	   server/pool.c's struct pool_app), which may serve the same app
	   in an older or newer configuration too. */
	void			*rt;
	/* Not a setting: its counters (server/stats.c), by name. */
	struct stats_app	*stats;
};

struct conf {
	/* Not settings: while ferryd runs, which configuration this is
	   (1 at start, one more at each reload) and how many hold it
	   (server/app.c: the master while it is the current one, and each
	   request routed by it until the request ends). */
	unsigned int		 generation;
	unsigned int		 refs;

	const char		*file;		/* -c FILE (argv's), or NULL */
	int			 test;		/* -t: check, run nothing */
	struct conf_listen	*listens;
	size_t			 nlistens;
	struct conf_app	*apps;
	size_t			 napps;
	char			*access_log;	/* NULL: stderr */
	char			*error_log;	/* NULL: stderr; LOG_SYSLOG */
	int			 access_log_format;	/* enum log_format */
	int			 syslog_facility;	/* enum log_facility */
	char			*pid_file;	/* NULL: none */
	char			*status_path;	/* NULL: no status page */
	char			*health_path;	/* NULL: no health page */
	struct conf_cidrs	 status_allow;	/* who may read the status */
	int			 log_level;	/* enum log_level */
	unsigned int		 max_conns;
	uint64_t		 max_body;
	size_t			 max_target, max_head, max_fields;
	uint64_t		 body_min_rate;	/* bytes/s after body_timeout;
						   0: off */
	double			 header_timeout, body_timeout, keepalive_timeout,
				 write_timeout, shutdown_timeout, kill_grace;
	struct conf_cidrs	 proxy_from;	/* who may send a PROXY header */
	/* A front's forwarding headers (server/connfwd.c): believed from
	   these peers only; none by default. */
	struct conf_cidrs	 trusted_proxies;
	int			 forwarded_header;	/* enum
							   forwarded_format */
	char			*instance;	/* NULL: HOSTNAME:PID */
	double			 drain_delay;	/* s after SIGWINCH to close the
						   reuse_port listeners; 0:
						   keep them */
};

#endif
