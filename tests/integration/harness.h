/*
 * The integration test harness: starts a real ferryd on a free loopback
 * port, talks to it over real sockets with a strict HTTP/1.1 response
 * reader, checks responses against a table row (struct hc_want), and
 * offers the helpers every suite shares: its main(), temp directories,
 * files, pids, logs, /proc figures and SHA-256.
 *
 * Every call that can wait has a deadline; every unexpected failure ends
 * the calling Check test with a message (and ferryd's logs when a ferryd
 * is involved), so a broken or hanging server fails a test, never hangs it.
 */
#ifndef FERRY_TESTS_HARNESS_H
#define FERRY_TESTS_HARNESS_H

#include <sys/types.h>
#include <check.h>
#include <stddef.h>

#define HARNESS_TIMEOUT_MS	10000	/* default deadline of one read */
#define HC_MAX_HEADERS		64
#define HC_MAX_INTERIM		8

struct ferryd {
	/* Optional input: zero the struct, then set before harness_start. */
	const char	*cgi_dir;	/* NULL: $FERRY_TEST_CGI_BIN */
	int		 nofile;	/* > 0: ferryd's RLIMIT_NOFILE */
	int		 nofile_soft;	/* > 0: with nofile, a lower soft
					   limit (ferryd may raise it) */
	int		 listen_in_conf;	/* no --listen: conf_text's
						   listen entries name
						   127.0.0.1:@PORT@ */
	int		 share_port;	/* > 0: @PORT@ is this port, which
					   a sibling ferryd's reuse_port
					   listener holds already: ready
					   once the error log says so */

	/* Filled by harness_start. */
	pid_t		 pid;
	int		 port;
	int		 reaped;	/* waitpid returned it */
	int		 wstatus;
	char		 dir[256];	/* private temp dir of this ferryd */
	char		 cgi[512];	/* the directory served at /cgi-bin/ */
	char		 conf_path[320];
	char		 error_log[320];
	char		 access_log[320];
	char		 stderr_log[320];
};

/*
 * Starts ferryd on a free 127.0.0.1 port serving /cgi-bin/ from the CGI
 * directory, with conf_text (may be NULL) as its ferry.conf, in which
 * "@CGI_BIN@" stands for the CGI directory, "@DIR@" for f->dir and "@PORT@"
 * for the port (see listen_in_conf).  Returns
 * when the port accepts connections; fails the test if ferryd exits first
 * or is not ready within 10 s.  ferryd dies with the test process.
 */
void	harness_start(struct ferryd *f, const char *conf_text,
	    const char *const extra_argv[]);

/* A malloc'd copy of the configuration text with "user = root" added to
   each [app] section that names no user, when the tests run as root
   (ferryd refuses an app that would run as root without saying so); the
   text unchanged otherwise.  harness_write_conf applies it, and
   harness_start gives --user (harness_user()) to its --cgi app. */
char	*harness_conf_users(const char *text);
/* The name of the user the tests run as (for --user). */
const char *harness_user(void);

/* Writes conf_text (substituted as harness_start does) to f->conf_path,
   replacing the file at once (rename): for a reload (SIGHUP). */
void	harness_write_conf(const struct ferryd *f, const char *conf_text);

/* SIGTERM, then waits up to timeout_ms (SIGKILL and fail after that).
   Returns the exit code, or 128 + the signal that ended ferryd. */
int	harness_stop_timeout(struct ferryd *f, int timeout_ms);
int	harness_stop(struct ferryd *f);

/* Stops ferryd and fails the test unless it exited 0. */
void	harness_stop_ok(struct ferryd *f);

/* Zeroes f and starts ferryd with conf_text (may be NULL) and one app,
   --app PREFIX=PROGRAM with one worker, also listening on listen (a
   --listen argument) when it is not NULL. */
void	harness_start_app(struct ferryd *f, const char *conf_text,
	    const char *prefix, const char *program, const char *listen);

/* Zeroes f and starts ferryd with server (may be NULL) as its [server]
   lines and one FastCGI app at prefix running program, with settings
   (may be NULL) as more lines of its section. */
void	harness_start_fcgi(struct ferryd *f, const char *server,
	    const char *prefix, const char *program, const char *settings);

/* Returns 1 once ferryd has exited (reaping it), 0 while it runs. */
int	harness_exited(struct ferryd *f);

/* Returns a malloc'd, NUL-terminated excerpt of ferryd's error log and
   stderr (the last few KiB of each), for failure messages. */
char	*harness_logs(const struct ferryd *f);

/* Fails the test with the formatted message followed by ferryd's logs
   (f may be NULL). */
void	harness_fail(const struct ferryd *f, const char *file, int line,
	    const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 4, 5)));

#define HARNESS_ASSERT(f, cond, ...) do {				\
	if (!(cond))							\
		harness_fail((f), __FILE__, __LINE__, __VA_ARGS__);	\
} while (0)

/* A client connection with its unconsumed input. */
struct hc {
	int	 fd;
	char	*buf;		/* received, not yet consumed */
	size_t	 len, cap;
	int	 eof;		/* the peer closed (read returned 0) */
	int	 reset;		/* a read failed (ECONNRESET and the like) */
	int	 timeout_ms;	/* deadline of one read; 0: the default */
	const struct ferryd *f;	/* for failure messages, may be NULL */
};

/* Connects to 127.0.0.1:f->port (fails the test on error). */
void	hc_open(struct hc *c, const struct ferryd *f);
/* Connects to a unix socket, or to [::1]:port. */
void	hc_open_unix(struct hc *c, const struct ferryd *f, const char *path);
void	hc_open_ipv6(struct hc *c, const struct ferryd *f, int port);
/* A free port on ::1, or -1 when this host has no IPv6 loopback. */
/* A free 127.0.0.1 TCP port (free when asked: bind it soon). */
int	harness_free_port(void);
int	harness_free_port6(void);
/* The local port of c's TCP socket: the client's port as the server
   sees it. */
unsigned int hc_local_port(const struct hc *c);
/* 1 when a connection to 127.0.0.1:port is accepted now (and closed at
   once), else 0. */
int	harness_port_accepts(int port);
/* A connection to 127.0.0.1:port, or -1 (errno set): for clients that
   count failures rather than fail the test. */
int	harness_connect(int port);
/* Wraps an already connected socket (the harness's own tests). */
void	hc_init_fd(struct hc *c, int fd);
void	hc_close(struct hc *c);

/* Sends everything within the deadline or fails the test. */
void	hc_send(struct hc *c, const void *data, size_t len);
void	hc_sendstr(struct hc *c, const char *s);
/* Returns 0 when everything was sent, -1 (errno set) when the peer
   refused it (reset, closed) or the deadline passed: for requests the
   server may answer before reading them whole. */
int	hc_try_send(struct hc *c, const void *data, size_t len);
/* Sends in pieces of `piece` bytes with delay_ms between them. */
void	hc_send_pieces(struct hc *c, const void *data, size_t len,
	    size_t piece, int delay_ms);
/* shutdown(SHUT_WR): the client's half-close. */
void	hc_shutdown_write(struct hc *c);
/* Sends up to len filler bytes ('x') until the peer stops taking them
   for stall_ms (its buffers full); returns the bytes sent. */
size_t	hc_send_until_stuck(struct hc *c, size_t len, int stall_ms);
/* Sends up to len filler bytes in pieces, each only while the peer's
   receive window has room for it with a quarter of the widest window seen
   to spare, and each acknowledged before the next: every byte sent is in
   the peer's hands (its kernel or its process), none waits in ours, and
   the peer's memory has room left, so a FIN sent next is not stuck behind
   them nor dropped.  Stops when the window stays short for stall_ms;
   returns the bytes sent. */
size_t	hc_send_absorbed(struct hc *c, size_t len, int stall_ms);
/* A body length that no server on this host can take in without reading
   it: over the largest receive buffer a TCP socket may have (autotuning
   grows it up to tcp_rmem's maximum while the server reads, whenever it
   reads fast: how far depends on scheduling; SO_RCVBUF up to twice
   rmem_max), and 8 MiB over, for what the server itself buffers. */
size_t	hc_unabsorbable_len(void);
/* Sends head (unless NULL) and then up to body_len filler body bytes until the
   server's buffers are full (failing the test unless they fill first:
   body_len is hc_unabsorbable_len(), or a server's grown receive buffer
   may take it all),
   and leaves: a reset (rst: the rest of the body is stuck in our own
   buffer) or a FIN (every byte sent is in the server's hands, and the FIN
   too when this returns: failing the test unless the server's kernel
   acknowledges it in 5 s).  Returns the body bytes sent; c stays open
   after a FIN. */
size_t	hc_upload_then_leave(const struct ferryd *f, struct hc *c,
	    const char *head, size_t body_len, int rst);
/* Half-closes c and waits until the server's kernel acknowledges the FIN
   (failing the test after 5 s, naming the sent body bytes): from then on
   ferryd can see it. */
void	hc_fin_taken(const struct ferryd *f, struct hc *c, size_t sent);
/* An abortive close: SO_LINGER 0, so the peer gets a reset, not a FIN. */
void	hc_reset(struct hc *c);
/* Sends 5 filler body bytes every 100 ms (50 bytes/s, a slow-POST
   client) until the server answers or refuses them, at most ms; returns
   1 when it did, 0 when ms passed. */
int	hc_trickle_until_answer(struct hc *c, int ms);

/* Reads until c's input starts with want (fails the test after 10 s or
   on a mismatch), and consumes it: a line a hijacked socket's app
   writes. */
void	hc_expect_text(struct hc *c, const struct ferryd *f, const char *want);

/* systemd's NOTIFY_SOCKET, played by a test: a Unix datagram socket
   bound at path (fails the test when it cannot be), and one datagram
   from it within ms ("" on none). */
int	harness_notify_socket(const char *path);
void	harness_notify_recv(int fd, char *buf, size_t len, int ms);

/* Reads what is available, waiting at most timeout_ms for something.
   Returns bytes added, 0 at EOF or reset, -1 on timeout. */
ssize_t	hc_fill(struct hc *c, int timeout_ms);

/* Waits until the peer closes: 1 closed (EOF or reset) with no unread
   byte left; 0 bytes arrived instead; -1 still open after timeout_ms. */
int	hc_wait_closed(struct hc *c, int timeout_ms);

/* Returns 1 when no byte arrives (and no EOF) within ms. */
int	hc_quiet(struct hc *c, int ms);

struct hc_header {
	char	*name;
	char	*value;
};

enum hc_framing {
	HC_NO_BODY,		/* HEAD, 1xx, 204, 304 */
	HC_LENGTH,		/* Content-Length */
	HC_CHUNKED,		/* Transfer-Encoding: chunked */
	HC_CLOSE		/* delimited by the connection's close */
};

struct hc_response {
	int		 status;
	int		 minor;		/* HTTP/1.minor */
	char		*reason;
	struct hc_header headers[HC_MAX_HEADERS];
	size_t		 nheaders;
	int		 interim[HC_MAX_INTERIM];	/* skipped 1xx codes */
	size_t		 ninterim;
	enum hc_framing	 framing;
	char		*body;		/* NUL-terminated, may hold NULs */
	size_t		 body_len;
	int		 head_done;	/* the head parsed */
	int		 complete;	/* the body ended as framed */
	char		 error[512];	/* why not, with the bytes at fault */
	char		*storage;	/* internal */
	size_t		 body_cap;	/* internal */
};

#define HC_HEAD		0x01	/* the request was HEAD: no body */
#define HC_INTERIM	0x02	/* return a 1xx as the response */

/*
 * Reads one response per RFC 9112 (strictly: CRLF line ends, field syntax,
 * chunk framing, no CL together with TE) within the connection's deadline.
 * Skips 1xx responses (recorded in interim[]) unless HC_INTERIM.  Returns 0
 * for a complete response, -1 otherwise with r->error set and whatever
 * parsed filled in.  Free with hc_response_free.
 */
int	hc_read_response(struct hc *c, struct hc_response *r, int flags);
void	hc_response_free(struct hc_response *r);

/* Reads one response and fails the test unless it is complete. */
void	hc_expect_response(struct hc *c, struct hc_response *r, int flags);

/* Sends "GET target" (Host: test, User-Agent: ferry-test) on c. */
void	hc_send_get(struct hc *c, const char *target);
/* One GET on a fresh connection; the complete response in *r. */
void	hc_get(const struct ferryd *f, const char *target,
	    struct hc_response *r);
/* Sends from a child process (its deadline timeout_ms), for bodies the
   server may not read while the test reads the response.  Reap the
   returned pid with waitpid: it exits 0 when everything was sent. */
pid_t	hc_send_background(struct hc *c, const void *data, size_t len,
	    int timeout_ms);
/* Sends raw on a fresh connection; fails the test unless the answer is
   status with Connection: close, and then the close with nothing more. */
void	hc_expect_error_close(const struct ferryd *f, const char *raw,
	    size_t rawlen, int status);

/* The value of the first field named name (case-insensitive), or NULL;
   hc_header_count counts the fields of that name. */
const char *hc_header(const struct hc_response *r, const char *name);
size_t	hc_header_count(const struct hc_response *r, const char *name);
/* 1 when the comma-separated field contains token (case-insensitive). */
int	hc_header_has_token(const struct hc_response *r, const char *name,
	    const char *token);

#define HC_FRAMING(x)	(1u << (x))	/* for hc_want.framing */

/* What a response must be, for tables of tests; a zero member is not
   checked. */
struct hc_want {
	int		 status;	/* exactly this, or from it... */
	int		 status_max;	/* ...to this when not 0 */
	const char	*reason;
	const char	*body;		/* the whole body */
	const char	*body_lacks;	/* a string the body must not hold */
	size_t		 body_len;
	unsigned	 framing;	/* one of these HC_FRAMING()s */
	int		 date;		/* one Date, an IMF-fixdate of now */
	struct {
		const char	*name;
		const char	*value;	/* NULL: the field must be absent */
	}		 fields[2];	/* fields with their exact values */
};

/* One row of a table of GETs: a target and what its answer must be. */
struct hc_get_case {
	const char	*what;		/* names the row in a failure */
	const char	*target;
	struct hc_want	 want;
};

/* Fails the test, naming what, unless r is as w wants. */
void	hc_check(const struct ferryd *f, const char *what,
	    const struct hc_response *r, const struct hc_want *w);
/* One GET of t->target on a fresh connection, checked as t->want. */
void	hc_get_check(const struct ferryd *f, const struct hc_get_case *t);

/* The value of NAME in a body that is an env(1) dump (a CGI script's
   environment), malloc'd, or NULL. */
char	*hc_env_value(const struct hc_response *r, const char *name);
/* Fails the test unless NAME is want in that dump (unset when NULL). */
void	hc_expect_env(const struct ferryd *f, const struct hc_response *r,
	    const char *name, const char *want);

/* Checks an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and returns
   its time, or -1 when the syntax is wrong. */
long long harness_parse_imf_fixdate(const char *s);

/* Files and processes. */
/* Returns the file's bytes (NUL-terminated, length in *len if not NULL)
   or NULL when it cannot be read. */
char	*harness_read_file(const char *path, size_t *len);
void	harness_write_file(const char *path, const void *data, size_t len,
	    mode_t mode);
/* Waits up to timeout_ms for path to exist. Returns 1 if it does. */
int	harness_wait_file(const char *path, int timeout_ms);
/* Waits for a pid file (a number and a newline) and returns the pid, or
   fails the test. */
pid_t	harness_read_pidfile(const char *path, int timeout_ms);
/* 1 when pid no longer runs (no such process, or a zombie). */
int	harness_pid_gone(pid_t pid);
/* Waits up to timeout_ms for harness_pid_gone. Returns 1 if gone. */
int	harness_wait_pid_gone(pid_t pid, int timeout_ms);
/* Lowercase hex SHA-256 of a buffer or a file, by sha256sum(1). */
void	harness_sha256(const void *data, size_t len, char out[65]);
void	harness_sha256_file(const char *path, char out[65]);
/* Fills buf with reproducible pseudo-random bytes. */
void	harness_random_bytes(void *buf, size_t len, unsigned long long seed);
/* Milliseconds of a monotonic clock. */
long long harness_now_ms(void);
void	harness_sleep_ms(int ms);
/* Runs argv (no shell), stdout into a malloc'd string; returns the exit
   status (as harness_stop does) and fails the test past timeout_ms. */
int	harness_run(const char *const argv[], char **out, int timeout_ms);
/* Copies every regular file of the test CGI directory into dir (which
   exists), keeping modes. */
void	harness_copy_cgi_dir(const char *dir);

/* Runs suite s (ignoring SIGPIPE) with every temp file of the run under
   one directory TAG.XXXXXX ($FERRY_TEST_TMP), removed afterwards unless
   $FERRY_TEST_KEEP is set.  Returns main()'s exit status. */
int	harness_main(Suite *s, const char *tag);
/* Makes a directory TAG.XXXXXX (mode 0700) under the run's directory, or
   under $TMPDIR or /tmp when shared (for one another user must reach);
   returns its malloc'd path.  harness_rmtree removes a tree. */
char	*harness_tmpdir(const char *tag, int shared);
void	harness_rmtree(const char *path);
/* A new directory (mode 0755) under /dev/shm, for programs an app with
   private_tmp runs (its /tmp, where the build may be, is hidden): named
   with the test process's pid, so that the next call removes those of
   processes that are gone; the caller removes its own (harness_rmtree).
   harness_shm_copy copies the file src into it (mode 0755) and returns
   the copy's path; both malloc'd. */
char	*harness_shm_dir(const char *tag);
char	*harness_shm_copy(const char *dir, const char *src);
/* The absolute path in environment variable name (make check sets it),
   or fails the test. */
const char *harness_env_path(const char *name);
/* Writes f->dir/name into buf: a file private to this ferryd. */
void	harness_path(char *buf, size_t len, const struct ferryd *f,
	    const char *name);

/* Logs and text. */
/* How often needle occurs in s. */
int	harness_count(const char *s, const char *needle);
/* The start of the line of text that holds needle's first occurrence,
   or NULL. */
const char *harness_line_of(const char *text, const char *needle);
/* How often needle occurs in ferryd's logs, the error log and stderr,
   whole (not harness_logs's excerpt, whose window a chattier log moves). */
int	harness_log_count(const struct ferryd *f, const char *needle);
/* Waits up to timeout_ms for needle to occur want times there; returns
   the count. */
int	harness_wait_log(const struct ferryd *f, const char *needle,
	    int want, int timeout_ms);
/* Waits up to timeout_ms for the file at path to hold needle; returns
   its malloc'd text (without needle after the timeout), or NULL when it
   could not be read. */
char	*harness_wait_text(const char *path, const char *needle,
	    int timeout_ms);

/* /proc figures of a process. */
/* VmRSS in KiB, or -1. */
long	harness_rss_kib(pid_t pid);
/* CPU time (utime + stime) in clock ticks, or -1. */
long long harness_cpu_ticks(pid_t pid);
/* The fds pid has open (from /proc/PID/fd), or -1. */
int	harness_count_fds(pid_t pid);
/* The lowest fd number that pid has free (from /proc/PID/fd); -1 when
   it cannot be read. */
int	harness_lowest_free_fd(pid_t pid);
/* 1 when the client connections (TCP, to f->port) ferryd holds open are
   exactly the server ends of the n connections cs[0..n-1]: each one
   accepted, and every other one closed on ferryd's side. */
int	harness_holds_only(const struct ferryd *f, const struct hc *cs,
	    size_t n);
/* Sets the running ferryd's soft RLIMIT_NOFILE (prlimit), its hard limit
   unchanged, so that it runs out of fds at will; returns the soft limit
   it had.  Fails the test when it cannot. */
long	harness_set_nofile(const struct ferryd *f, long soft);

#endif
