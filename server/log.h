/*
 * ferryd's logging vocabulary (after OpenBSD's log.c).  The error log goes
 * to stderr unless log_open() named a file; the access log likewise.
 */
#ifndef FERRY_SERVER_LOG_H
#define FERRY_SERVER_LOG_H

#include <stdint.h>
#include <sys/types.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Opens the logs (NULL path: stderr) with the given threshold.  Returns
   0, or -1 with errno when a file cannot be opened. */
int	log_open(const char *error_path, const char *access_path, enum log_level lvl);
/* Reopens both files (SIGUSR1, after rotation).  Returns 0 or -1. */
int	log_reopen(void);
void	log_close(void);
enum log_level log_level_get(void);
/* Parses "error", "warn", "info", "debug"; -1 when unknown. */
int	log_level_parse(const char *s);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));	/* + strerror(errno) */
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));	/* + strerror(errno), exit 1 */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* One access log line: Combined Log Format plus the duration in
   microseconds. Strings may be NULL ("-"). */
struct log_access_entry {
	const char	*remote_addr;
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

#endif
