/*
 * ferryd's logging vocabulary (after OpenBSD's log.c).  The error log goes
 * to stderr unless log_open() named a file; the access log likewise.
 *
 * Error log line:  2026-11-29T06:40:12Z ferryd[PID]: warn: message
 * Access log line: Combined Log Format plus the duration in microseconds.
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

/* Opens the logs (NULL path: stderr; LOG_OFF for the access log: none)
   with the given threshold.  Files are opened O_APPEND|O_CREAT|O_CLOEXEC,
   mode 0644.  Returns 0, or -1 with errno when a file cannot be opened
   (the previous logs stay in use). */
int	log_open(const char *error_path, const char *access_path, enum log_level lvl);
/* Reopens both files (SIGUSR1, after rotation).  Returns 0, or -1 with
   errno; a log that cannot be reopened keeps its old file. */
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
/* The fd error log lines go to (2 when it is stderr), e.g. for a child's
   stderr.  Valid until the next log_open/log_reopen/log_close. */
int	log_error_fd(void);

/* An error that stops ferryd (+ strerror(errno)): logged whatever
   log_level says, and on stderr too when the error log is a file. */
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));	/* + strerror(errno) */
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));	/* + strerror(errno), exit 1 */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* One access log line: Combined Log Format plus the duration in
   microseconds. Strings may be NULL ("-"). */
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

#endif
