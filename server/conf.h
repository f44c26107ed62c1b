/*
 * ferryd's settings: the command line and ferry.conf(5) (INI, read with
 * libinih) fill one struct conf.  Every limit and timeout has a named
 * default here.
 */
#ifndef FERRY_SERVER_CONF_H
#define FERRY_SERVER_CONF_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_LISTEN		"127.0.0.1:8080"
#define CONF_DEFAULT_MAX_CONNS	1024
#define CONF_DEFAULT_MAX_BODY		(64ULL * 1024 * 1024)	/* 413 beyond */
#define CONF_DEFAULT_MAX_PROCS	64	/* concurrent CGI processes, per app */
#define CONF_DEFAULT_QUEUE		256	/* requests waiting for a process */
#define CONF_DEFAULT_HEADER_TIMEOUT	10.0	/* s: whole request head */
#define CONF_DEFAULT_BODY_TIMEOUT	30.0	/* s: idle while reading a body */
#define CONF_DEFAULT_KEEPALIVE_TIMEOUT 15.0	/* s: idle between requests */
#define CONF_DEFAULT_WRITE_TIMEOUT	30.0	/* s: client not reading */
#define CONF_DEFAULT_REQUEST_TIMEOUT	60.0	/* s: script's response */
#define CONF_DEFAULT_SHUTDOWN_TIMEOUT	10.0	/* s: graceful stop */
#define CONF_DEFAULT_KILL_GRACE	2.0	/* s: SIGTERM to SIGKILL */

enum conf_app_type { CONF_APP_CGI, CONF_APP_FASTCGI };
enum conf_gone { CONF_GONE_DEFAULT, CONF_GONE_FINISH, CONF_GONE_ABORT,
	CONF_GONE_TERMINATE };

struct conf_listen {
	char			*spec;		/* as given, for logs */
	int			 family;	/* AF_INET, AF_INET6, AF_UNIX */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
};

struct conf_app {
	char			*name;		/* section name, or the prefix */
	enum conf_app_type	 type;
	char			*prefix;	/* URL path prefix, e.g. "/cgi-bin/" */
	char			*root;		/* CGI: script directory (realpath) */
	char			*command;	/* FastCGI: program */
	char			**args;		/* FastCGI: argv[1..], NULL-ended */
	char			**env;		/* names passed through from
						   ferryd's environment, NULL-ended */
	int			 workers, min_workers, max_workers;
	unsigned int		 max_requests;
	unsigned int		 max_procs;	/* CGI: concurrent processes */
	unsigned int		 queue;		/* waiting requests */
	double			 request_timeout;
	double			 idle_timeout;
	enum conf_gone	 on_client_gone;
	char			*user, *group;
	int			 isolation_request;
};

struct conf {
	struct conf_listen	*listens;
	size_t			 nlistens;
	struct conf_app	*apps;
	size_t			 napps;
	char			*access_log;	/* NULL: stderr */
	char			*error_log;	/* NULL: stderr */
	int			 log_level;	/* enum log_level */
	unsigned int		 max_conns;
	uint64_t		 max_body;
	size_t			 max_target, max_head, max_fields;
	double			 header_timeout, body_timeout, keepalive_timeout,
				 write_timeout, shutdown_timeout, kill_grace;
};

/*
 * Fills *c from the command line (argv as main got it), reading the file
 * of -c first when given.  Returns 0; 1 when --help or --version was
 * handled (the caller exits 0); -1 after printing a message on stderr
 * (the caller exits 2 on a usage error, as ferryd(8) documents).
 */
int	conf_load(struct conf *c, int argc, char *argv[]);

/* Parses ADDR (HOST:PORT, [IPV6]:PORT, :PORT, unix:PATH) into *l.
   Returns 0, or -1 with a message in err. */
int	conf_parse_listen(const char *spec, struct conf_listen *l,
	    char *err, size_t errlen);

void	conf_free(struct conf *c);

#endif
