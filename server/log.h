/*
 * ferryd's logging vocabulary (after OpenBSD's log.c).  The error log goes
 * to stderr unless log_open() named a file; the access log likewise.
 *
 * Error log line:  2026-11-29T06:40:12Z ferryd[PID]: warn: message
 *   on stderr when it is the journal (JOURNAL_STREAM names it, as
 *   sd-daemon(3) says): <4>warn: message (sd-daemon's priority prefix;
 *   journald stamps the time and pid);
 *   to syslog (error_log = syslog): one RFC 3164 datagram per line,
 *   <PRI>Mmm dd hh:mm:ss ferryd[PID]: warn: message, sent to /dev/log
 *   (FERRYD_TEST_SYSLOG_PATH, for the tests alone, names another socket)
 *   without waiting: a line the socket has no room for is dropped.
 * Access log line: Combined Log Format plus the duration in microseconds,
 *   or one JSON object (access_log_format = json; log_format_access).
 * Every line is written with one write(2), so that lines of concurrent
 * writers never interleave; once log_buffer(1) is set, access log lines
 * are gathered, up to LOG_ACCESS_BUF bytes (PIPE_BUF: a write that size is
 * atomic on a pipe too), until log_flush(): the master flushes before its
 * loop waits, so a batch of requests costs one write.  Bytes a client
 * controls are escaped as \xHH.
 */
#ifndef FERRY_SERVER_LOG_H
#define FERRY_SERVER_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#define LOG_LINE_MAX		4096	/* error log line, with '\n' */
#define LOG_ACCESS_LINE_MAX	8192	/* access log line, with '\n' and NUL */
#define LOG_ACCESS_BUF		4096	/* access log lines gathered */
#define LOG_OFF			"off"	/* access log path: no access log */
#define LOG_SYSLOG		"syslog" /* error log path: syslog */
#define LOG_SYSLOG_PATH		"/dev/log"
#define LOG_SYSLOG_ENV		"FERRYD_TEST_SYSLOG_PATH"

enum log_format { LOG_FORMAT_COMBINED, LOG_FORMAT_JSON };

/* syslog_facility's names, by value (NULL-ended); daemon is the default. */
enum log_facility {
	LOG_FAC_DAEMON, LOG_FAC_USER, LOG_FAC_LOCAL0, LOG_FAC_LOCAL1,
	LOG_FAC_LOCAL2, LOG_FAC_LOCAL3, LOG_FAC_LOCAL4, LOG_FAC_LOCAL5,
	LOG_FAC_LOCAL6, LOG_FAC_LOCAL7
};
extern const char *const log_facility_names[];

/* What log_configure opens. */
struct log_conf {
	const char	*error_path;	/* NULL: stderr; LOG_SYSLOG: syslog */
	const char	*access_path;	/* NULL: stderr; LOG_OFF: none */
	enum log_level	 level;
	enum log_format	 format;	/* the access log's */
	enum log_facility facility;	/* syslog's */
};

/* Opens the logs (NULL path: stderr; LOG_OFF for the access log: none)
   with the given threshold.  Files are opened O_APPEND|O_CREAT|O_CLOEXEC,
   mode 0644.  Returns 0, or -1 with errno when a file cannot be opened
   (the previous logs stay in use). */
int	log_open(const char *error_path, const char *access_path, enum log_level lvl);
/* log_open with every setting: lc->error_path LOG_SYSLOG connects to
   syslog's socket (-1 with errno when it cannot).  The access log is
   written in lc->format; log_open keeps the format and facility. */
int	log_configure(const struct log_conf *lc);
/* Reopens both files (SIGUSR1, after rotation), and syslog's socket.
   Returns 0, or -1 with errno; a log that cannot be reopened keeps its
   old file. */
int	log_reopen(void);
/* Closes the files (flushing first); later lines go to stderr. */
void	log_close(void);
/* 1: gather access log lines until log_flush(); 0: write each at once
   (the default; flushes what was gathered). */
void	log_buffer(int on);
/* Writes the access log lines gathered. */
void	log_flush(void);
enum log_level log_level_get(void);
/* Parses "error", "warn", "info", "debug"; -1 when unknown. */
int	log_level_parse(const char *s);
/* The fd error log lines go to (2 when it is stderr or syslog), e.g. for
   a child's stderr.  Valid until the next log_open/log_reopen/log_close. */
int	log_error_fd(void);

/* An error that stops ferryd (+ strerror(errno)): logged at error, and
   on stderr too when the error log is a file or syslog. */
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_err without strerror(errno). */
void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));	/* + strerror(errno) */
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));	/* + strerror(errno), exit 1 */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Before the logs are open (a configuration error): "ferryd: msg" on
   stderr, with the error priority prefix when stderr is the journal. */
void	log_early(const char *, ...) __attribute__((format(printf, 1, 2)));

/* What ended a request, for the JSON access log. */
enum log_end {
	LOG_END_COMPLETE,	/* the response went out whole */
	LOG_END_GONE,		/* the client left (status 499), or a write
				   failed */
	LOG_END_TIMEOUT,	/* a timeout ended it (queue, body, app,
				   write) */
	LOG_END_HIJACKED	/* the socket went to the app */
};

/* One access log line: Combined Log Format plus the duration in
   microseconds. Strings may be NULL ("-"; null in JSON).  The fields
   after duration_us are the JSON format's alone. */
struct log_access_entry {
	const char	*remote_addr;	/* NUL-terminated */
	const char	*method;	/* request line parts */
	size_t		 method_len;
	const char	*target;
	size_t		 target_len;
	int		 minor;
	int		 status;
	uint64_t	 bytes;		/* body bytes sent */
	const char	*referer;
	size_t		 referer_len;
	const char	*user_agent;
	size_t		 user_agent_len;
	uint64_t	 duration_us;

	unsigned int	 remote_port;
	uint64_t	 bytes_in;	/* head and body bytes read */
	int		 has_ttfb;	/* a byte of the response was queued */
	uint64_t	 ttfb_us;	/* ... this long after the request began */
	const char	*app;		/* the app's name; NULL: none */
	pid_t		 pid;		/* worker or CGI script; 0: none */
	enum log_end	 end;
	const char	*end_reason;	/* NULL-able, for GONE and TIMEOUT */
	int		 has_rusage;	/* CGI: the script was reaped */
	uint64_t	 cpu_user_us, cpu_sys_us;
	uint64_t	 maxrss_kb;	/* peak resident set size */
};
void	log_access(const struct log_access_entry *e);

/*
 * Formats e as one access log line stamped with now (UTC), ending in '\n',
 * NUL-terminated, into buf.  Returns the length without the NUL, or 0 when
 * cap < LOG_ACCESS_LINE_MAX.  Long fields are cut and end in "...".
 * '"', '\\', and bytes outside 0x20-0x7e are written as \xHH.
 */
size_t	log_format_access(char *buf, size_t cap, const struct log_access_entry *e,
	    time_t now);
/*
 * log_format_access for access_log_format = json: one JSON object (RFC
 * 8259) per line, keys in a fixed order.  Strings are UTF-8: a valid
 * UTF-8 sequence is kept, '"' is \", a control byte \u00XX, and a byte
 * that is not valid UTF-8 and '\\' itself are the text \xHH (JSON
 * "\\xHH"), so that the decoded string names every byte unambiguously.
 */
size_t	log_format_json(char *buf, size_t cap, const struct log_access_entry *e,
	    time_t now);

#endif
