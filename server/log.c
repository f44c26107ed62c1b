/*
 * ferryd's error and access logs: the files, syslog and the journal, the
 * error lines, and writing the access lines (server/logfmt.c formats
 * them).
 *
 * The log functions take no context (OpenBSD's vocabulary), so the open
 * files and the threshold live in one file-static struct: the single
 * piece of mutable state of the server outside struct master, touched
 * only by log_open, log_reopen and log_close.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "server/log-int.h"

#define LOG_MODE	0644
#define LOG_FLAGS	(O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)

struct log_file {
	char	*path;		/* NULL: stderr */
	int	 fd;
};

static struct {
	struct log_file	 err, acc;
	enum log_level	 level;
	int		 buffered;		/* log_buffer(1) */
	size_t		 acc_len;		/* bytes in acc_buf */
	char		 acc_buf[LOG_ACCESS_BUF];
	enum log_format	 format;		/* the access log's */
	int		 syslog_fd;		/* error_log = syslog; else -1 */
	enum log_facility facility;		/* syslog's */
	int		 journal;		/* stderr is the journal */
} log_state = {
	{ NULL, STDERR_FILENO }, { NULL, STDERR_FILENO }, LOG_LEVEL_INFO,
	0, 0, { 0 }, LOG_FORMAT_COMBINED, -1, LOG_FAC_DAEMON, 0
};

const char *const log_facility_names[] = { "daemon", "user", "local0",
	"local1", "local2", "local3", "local4", "local5", "local6", "local7",
	NULL };
/* syslog(3)'s codes of log_facility_names (LOG_DAEMON is 3 << 3). */
static const int log_facility_codes[] = { 3, 1, 16, 17, 18, 19, 20, 21, 22,
	23 };
/* syslog and sd-daemon priorities by enum log_level: LOG_ERR (SD_ERR),
   LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int log_priorities[] = { 3, 4, 6, 7 };

static const char *const log_level_names[] = { "error", "warn", "info", "debug" };

static int	log_file_open(struct log_file *, const char *, int);
static void	log_file_close(struct log_file *);
static void	log_write(int, const char *, size_t);
static void	log_verr(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	log_line_err(enum log_level, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	log_vline(enum log_level, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static int	log_syslog_connect(void);
static int	log_stderr_is_journal(void);
static void	log_syslog_send(const char *, size_t);
static void	log_buf_syslog_head(struct log_buf *, enum log_level, time_t);

/* may_be_off: LOG_OFF means no file at all (fd -1). */
static int
log_file_open(struct log_file *f, const char *path, int may_be_off)
{
	char	*copy = NULL;
	int	 fd = STDERR_FILENO;

	if (path != NULL && may_be_off && strcmp(path, LOG_OFF) == 0)
		fd = -1;
	else if (path != NULL) {
		if ((copy = strdup(path)) == NULL)
			return -1;
		if ((fd = open(path, LOG_FLAGS, LOG_MODE)) == -1) {
			int	saved = errno;

			free(copy);
			errno = saved;
			return -1;
		}
	}
	f->path = copy;
	f->fd = fd;
	return 0;
}

static void
log_file_close(struct log_file *f)
{
	if (f->fd != STDERR_FILENO && f->fd != -1)
		close(f->fd);
	free(f->path);
	f->path = NULL;
	f->fd = STDERR_FILENO;
}

int
log_open(const char *error_path, const char *access_path, enum log_level lvl)
{
	struct log_conf	lc = { error_path, access_path, lvl, log_state.format,
		log_state.facility };

	return log_configure(&lc);
}

/* A datagram socket connected to syslog's (LOG_SYSLOG_ENV overrides the
   path, for the tests); -1 with errno. */
static int
log_syslog_connect(void)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv(LOG_SYSLOG_ENV);
	int			 fd, saved;

	if (path == NULL || *path == '\0')
		path = LOG_SYSLOG_PATH;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* 1 when fd 2 is the stream JOURNAL_STREAM ("DEV:INODE") names. */
static int
log_stderr_is_journal(void)
{
	const char		*js = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;
	char			 want[64];

	if (js == NULL || fstat(STDERR_FILENO, &st) == -1)
		return 0;
	dev = (unsigned long long)st.st_dev;
	ino = (unsigned long long)st.st_ino;
	snprintf(want, sizeof(want), "%llu:%llu", dev, ino);
	return strcmp(js, want) == 0;
}

int
log_configure(const struct log_conf *lc)
{
	struct log_file	 e, a;
	int		 saved, sfd = -1;
	const char	*epath = lc->error_path;

	if (epath != NULL && strcmp(epath, LOG_SYSLOG) == 0) {
		if ((sfd = log_syslog_connect()) == -1)
			return -1;
		epath = NULL;
	}
	if (log_file_open(&e, epath, 0) == -1)
		goto fail;
	if (log_file_open(&a, lc->access_path, 1) == -1) {
		saved = errno;
		log_file_close(&e);
		errno = saved;
		goto fail;
	}
	log_flush();
	log_file_close(&log_state.err);
	log_file_close(&log_state.acc);
	if (log_state.syslog_fd != -1)
		close(log_state.syslog_fd);
	log_state.err = e;
	log_state.acc = a;
	log_state.level = lc->level;
	log_state.format = lc->format;
	log_state.syslog_fd = sfd;
	log_state.facility = lc->facility;
	log_state.journal = log_stderr_is_journal();
	return 0;
fail:
	saved = errno;
	if (sfd != -1)
		close(sfd);
	errno = saved;
	return -1;
}

int
log_reopen(void)
{
	struct log_file	*files[2] = { &log_state.err, &log_state.acc };
	int		 i, fd, rc = 0, saved = 0;

	log_flush();
	if (log_state.syslog_fd != -1) {
		if ((fd = log_syslog_connect()) == -1) {
			saved = errno;
			rc = -1;
		} else {
			close(log_state.syslog_fd);
			log_state.syslog_fd = fd;
		}
	}
	for (i = 0; i < 2; i++) {
		if (files[i]->path == NULL)
			continue;
		if ((fd = open(files[i]->path, LOG_FLAGS, LOG_MODE)) == -1) {
			saved = errno;
			rc = -1;
			continue;
		}
		close(files[i]->fd);
		files[i]->fd = fd;
	}
	if (rc == -1)
		errno = saved;
	return rc;
}

void
log_close(void)
{
	log_flush();
	log_file_close(&log_state.err);
	log_file_close(&log_state.acc);
	if (log_state.syslog_fd != -1)
		close(log_state.syslog_fd);
	log_state.syslog_fd = -1;
}

enum log_level
log_level_get(void)
{
	return log_state.level;
}

int
log_level_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++)
		if (strcmp(s, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
log_buffer(int on)
{
	if (!on)
		log_flush();
	log_state.buffered = on;
}

void
log_flush(void)
{
	int	saved = errno;

	if (log_state.acc_len == 0)
		return;
	log_write(log_state.acc.fd, log_state.acc_buf, log_state.acc_len);
	log_state.acc_len = 0;
	errno = saved;
}

int
log_error_fd(void)
{
	return log_state.err.fd;
}

/* One write(2) per line; a short write is not retried, as a second write
   could interleave with another process's line. */
static void
log_write(int fd, const char *buf, size_t len)
{
	while (write(fd, buf, len) == -1 && errno == EINTR)
		continue;
}

/* The length of the valid UTF-8 sequence (RFC 3629: no overlong forms,
   surrogates or code points past U+10FFFF) at s, of 2 to 4 bytes; 0 when
   s[0] does not start one. */
/* RFC 3164's head, as syslog(3) sends it to /dev/log:
   "<PRI>Nov 29 06:40:12 ferryd[PID]: " (local time, the day
   space-padded). */
static void
log_buf_syslog_head(struct log_buf *b, enum log_level lvl, time_t now)
{
	struct tm	tm;
	int		pri;

	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	log_buf_putc(b, '<');
	pri = log_facility_codes[log_state.facility] << 3 | log_priorities[lvl];
	log_buf_putu(b, (uint64_t)pri, 1);
	log_buf_putc(b, '>');
	log_buf_puts(b, log_months[tm.tm_mon >= 0 && tm.tm_mon < 12 ?
	    tm.tm_mon : 0]);
	log_buf_putc(b, ' ');
	if (tm.tm_mday < 10)
		log_buf_putc(b, ' ');
	log_buf_putu(b, (uint64_t)tm.tm_mday, 1);
	log_buf_putc(b, ' ');
	log_buf_putu(b, (uint64_t)tm.tm_hour, 2);
	log_buf_putc(b, ':');
	log_buf_putu(b, (uint64_t)tm.tm_min, 2);
	log_buf_putc(b, ':');
	log_buf_putu(b, (uint64_t)tm.tm_sec, 2);
	log_buf_puts(b, " ferryd[");
	log_buf_putu(b, (uint64_t)getpid(), 1);
	log_buf_puts(b, "]: ");
}

/* One datagram, without waiting: a full socket drops the line.  A
   socket whose reader went away (syslogd restarted) is connected again
   once. */
static void
log_syslog_send(const char *msg, size_t len)
{
	int	fd;

	if (send(log_state.syslog_fd, msg, len, MSG_DONTWAIT |
	    MSG_NOSIGNAL) != -1 || (errno != ECONNREFUSED &&
	    errno != ENOTCONN && errno != ENOENT))
		return;
	if ((fd = log_syslog_connect()) == -1)
		return;
	close(log_state.syslog_fd);
	log_state.syslog_fd = fd;
	(void)send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void
log_access(const struct log_access_entry *e)
{
	char	line[LOG_ACCESS_LINE_MAX];
	size_t	len;
	int	saved = errno;

	if (log_state.acc.fd == -1)
		return;		/* access_log = off */
	if (log_state.format == LOG_FORMAT_JSON)
		len = log_format_json(line, sizeof(line), e, time(NULL));
	else
		len = log_format_access(line, sizeof(line), e, time(NULL));
	if (log_state.acc_len + len > sizeof(log_state.acc_buf))
		log_flush();
	if (!log_state.buffered || len > sizeof(log_state.acc_buf))
		log_write(log_state.acc.fd, line, len);
	else {
		memcpy(log_state.acc_buf + log_state.acc_len, line, len);
		log_state.acc_len += len;
	}
	errno = saved;
}

/*
 * Formats and writes one error log line.  Control bytes in the message
 * (a client's bytes may reach it) become \xHH so that no message can
 * start a line of its own.  errnum != 0 appends ": strerror(errnum)".
 */
static void
log_vline(enum log_level lvl, int errnum, const char *fmt, va_list ap)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 msg[LOG_LINE_MAX], line[LOG_LINE_MAX];
	struct log_buf		 b = { line, 0, sizeof(line) - 1 };
	struct tm		 tm;
	time_t			 now;
	unsigned char		 ch;
	size_t			 i;
	int			 n;

	if (lvl > log_state.level)
		return;
	now = time(NULL);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		msg[0] = '\0';
	if (gmtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (log_state.syslog_fd != -1)
		log_buf_syslog_head(&b, lvl, now);
	else if (log_state.journal && log_state.err.fd == STDERR_FILENO) {
		log_buf_putc(&b, '<');
		log_buf_putu(&b, (uint64_t)log_priorities[lvl], 1);
		log_buf_putc(&b, '>');
	} else {
		log_buf_iso(&b, &tm);
		log_buf_puts(&b, " ferryd[");
		log_buf_putu(&b, (uint64_t)getpid(), 1);
		log_buf_puts(&b, "]: ");
	}
	log_buf_puts(&b, log_level_names[lvl]);
	log_buf_puts(&b, ": ");
	for (i = 0; msg[i] != '\0'; i++) {
		ch = (unsigned char)msg[i];
		if (ch < 0x20 || ch == 0x7f) {
			log_buf_puts(&b, "\\x");
			log_buf_putc(&b, hex[ch >> 4]);
			log_buf_putc(&b, hex[ch & 0xf]);
		} else
			log_buf_putc(&b, (char)ch);
	}
	if (errnum != 0) {
		log_buf_puts(&b, ": ");
		log_buf_puts(&b, strerror(errnum));
	}
	log_flush();	/* the access lines before it, in order */
	if (log_state.syslog_fd != -1) {
		log_syslog_send(b.p, b.len);
		return;
	}
	if (b.len == b.cap)		/* cut: keep room for the newline */
		b.len--;
	line[b.len++] = '\n';
	log_write(log_state.err.fd, line, b.len);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

static void
log_line_err(enum log_level lvl, int errnum, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(lvl, errnum, fmt, ap);
	va_end(ap);
}

/* log_err and log_errx: at error, and on stderr too when the error log
   goes elsewhere (the one who started ferryd sees it). */
static void
log_verr(int errnum, const char *fmt, va_list ap)
{
	char	msg[LOG_LINE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_line_err(LOG_LEVEL_ERROR, errnum, "%s", msg);
	if (log_state.err.fd == STDERR_FILENO && log_state.syslog_fd == -1)
		return;
	if (errnum != 0)
		log_early("%s: %s", msg, strerror(errnum));
	else
		log_early("%s", msg);
}

void
log_err(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_verr(saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_errx(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_verr(0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_early(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;
	char	msg[LOG_LINE_MAX], pri[8] = "";

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_stderr_is_journal())
		snprintf(pri, sizeof(pri), "<%d>",
		    log_priorities[LOG_LEVEL_ERROR]);
	fprintf(stderr, "%sferryd: %s\n", pri, msg);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_WARN, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_INFO, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_DEBUG, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
