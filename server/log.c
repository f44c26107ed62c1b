/*
 * ferryd's error and access logs.
 *
 * The log functions take no context (OpenBSD's vocabulary), so the open
 * files and the threshold live in one file-static struct: the single
 * piece of mutable state of the server outside struct master, touched
 * only by log_open, log_reopen and log_close.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"

#define LOG_MODE	0644
#define LOG_FLAGS	(O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)

/* Output budgets of the access log's variable fields, escapes included. */
#define LOG_BUDGET_ADDR		256
#define LOG_BUDGET_METHOD	64
#define LOG_BUDGET_TARGET	4096
#define LOG_BUDGET_REFERER	1024
#define LOG_BUDGET_AGENT	1024

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
} log_state = {
	{ NULL, STDERR_FILENO }, { NULL, STDERR_FILENO }, LOG_LEVEL_INFO,
	0, 0, { 0 }
};

struct log_buf {
	char	*p;
	size_t	 len, cap;	/* cap excludes the room kept for the NUL */
};

static const char *const log_level_names[] = { "error", "warn", "info", "debug" };
static const char *const log_months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int	log_file_open(struct log_file *, const char *, int);
static void	log_file_close(struct log_file *);
static void	log_write(int, const char *, size_t);
static void	log_line_err(enum log_level, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	log_vline(enum log_level, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	log_buf_putc(struct log_buf *, char);
static void	log_buf_puts(struct log_buf *, const char *);
static void	log_buf_putu(struct log_buf *, uint64_t, int);
static int	log_needs_escape(unsigned char);
static void	log_buf_escaped(struct log_buf *, const char *, size_t, size_t);

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
	struct log_file	 e, a;
	int		 saved;

	if (log_file_open(&e, error_path, 0) == -1)
		return -1;
	if (log_file_open(&a, access_path, 1) == -1) {
		saved = errno;
		log_file_close(&e);
		errno = saved;
		return -1;
	}
	log_flush();
	log_file_close(&log_state.err);
	log_file_close(&log_state.acc);
	log_state.err = e;
	log_state.acc = a;
	log_state.level = lvl;
	return 0;
}

int
log_reopen(void)
{
	struct log_file	*files[2] = { &log_state.err, &log_state.acc };
	int		 i, fd, rc = 0, saved = 0;

	log_flush();
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

static void
log_buf_putc(struct log_buf *b, char ch)
{
	if (b->len < b->cap)
		b->p[b->len++] = ch;
}

static void
log_buf_puts(struct log_buf *b, const char *s)
{
	while (*s != '\0')
		log_buf_putc(b, *s++);
}

/* Writes v in decimal, zero-padded to at least width digits. */
static void
log_buf_putu(struct log_buf *b, uint64_t v, int width)
{
	char	tmp[24];
	int	n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < width && n < (int)sizeof(tmp))
		tmp[n++] = '0';
	while (n > 0)
		log_buf_putc(b, tmp[--n]);
}

static int
log_needs_escape(unsigned char ch)
{
	return ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\';
}

/* Writes s[0..len) escaped, in at most budget bytes; a field that does not
   fit is cut and ends in "...". */
static void
log_buf_escaped(struct log_buf *b, const char *s, size_t len, size_t budget)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, need = 0, used = 0, enc;
	unsigned char		 ch;

	for (i = 0; i < len; i++)
		need += log_needs_escape((unsigned char)s[i]) ? 4 : 1;
	if (need <= budget)
		budget = need + 3;	/* everything fits: no cut below */
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		enc = log_needs_escape(ch) ? 4 : 1;
		if (used + enc > budget - 3) {
			log_buf_puts(b, "...");
			return;
		}
		if (enc == 4) {
			log_buf_putc(b, '\\');
			log_buf_putc(b, 'x');
			log_buf_putc(b, hex[ch >> 4]);
			log_buf_putc(b, hex[ch & 0xf]);
		} else
			log_buf_putc(b, (char)ch);
		used += enc;
	}
}

size_t
log_format_access(char *buf, size_t cap, const struct log_access_entry *e,
    time_t now)
{
	struct log_buf	 b;
	struct tm	 tm;

	if (cap < LOG_ACCESS_LINE_MAX)
		return 0;
	b.p = buf;
	b.len = 0;
	b.cap = cap - 1;
	if (gmtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));

	if (e->remote_addr != NULL && e->remote_addr[0] != '\0')
		log_buf_escaped(&b, e->remote_addr, strlen(e->remote_addr),
		    LOG_BUDGET_ADDR);
	else
		log_buf_putc(&b, '-');
	log_buf_puts(&b, " - - [");
	log_buf_putu(&b, (uint64_t)tm.tm_mday, 2);
	log_buf_putc(&b, '/');
	log_buf_puts(&b, log_months[tm.tm_mon >= 0 && tm.tm_mon < 12 ? tm.tm_mon : 0]);
	log_buf_putc(&b, '/');
	log_buf_putu(&b, (uint64_t)tm.tm_year + 1900, 4);
	log_buf_putc(&b, ':');
	log_buf_putu(&b, (uint64_t)tm.tm_hour, 2);
	log_buf_putc(&b, ':');
	log_buf_putu(&b, (uint64_t)tm.tm_min, 2);
	log_buf_putc(&b, ':');
	log_buf_putu(&b, (uint64_t)tm.tm_sec, 2);
	log_buf_puts(&b, " +0000] \"");
	if (e->method != NULL) {
		log_buf_escaped(&b, e->method, e->method_len, LOG_BUDGET_METHOD);
		log_buf_putc(&b, ' ');
		if (e->target != NULL)
			log_buf_escaped(&b, e->target, e->target_len,
			    LOG_BUDGET_TARGET);
		else
			log_buf_putc(&b, '-');
		log_buf_puts(&b, " HTTP/1.");
		log_buf_putu(&b, e->minor == 0 ? 0 : 1, 1);
	} else
		log_buf_putc(&b, '-');
	log_buf_puts(&b, "\" ");
	log_buf_putu(&b, e->status > 0 ? (uint64_t)e->status : 0, 3);
	log_buf_putc(&b, ' ');
	log_buf_putu(&b, e->bytes, 1);
	log_buf_puts(&b, " \"");
	if (e->referer != NULL)
		log_buf_escaped(&b, e->referer, e->referer_len, LOG_BUDGET_REFERER);
	else
		log_buf_putc(&b, '-');
	log_buf_puts(&b, "\" \"");
	if (e->user_agent != NULL)
		log_buf_escaped(&b, e->user_agent, e->user_agent_len,
		    LOG_BUDGET_AGENT);
	else
		log_buf_putc(&b, '-');
	log_buf_puts(&b, "\" ");
	log_buf_putu(&b, e->duration_us, 1);
	log_buf_putc(&b, '\n');
	buf[b.len] = '\0';
	return b.len;
}

void
log_access(const struct log_access_entry *e)
{
	char	line[LOG_ACCESS_LINE_MAX];
	size_t	len;
	int	saved = errno;

	if (log_state.acc.fd == -1)
		return;		/* access_log = off */
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
	log_buf_putu(&b, (uint64_t)tm.tm_year + 1900, 4);
	log_buf_putc(&b, '-');
	log_buf_putu(&b, (uint64_t)tm.tm_mon + 1, 2);
	log_buf_putc(&b, '-');
	log_buf_putu(&b, (uint64_t)tm.tm_mday, 2);
	log_buf_putc(&b, 'T');
	log_buf_putu(&b, (uint64_t)tm.tm_hour, 2);
	log_buf_putc(&b, ':');
	log_buf_putu(&b, (uint64_t)tm.tm_min, 2);
	log_buf_putc(&b, ':');
	log_buf_putu(&b, (uint64_t)tm.tm_sec, 2);
	log_buf_puts(&b, "Z ferryd[");
	log_buf_putu(&b, (uint64_t)getpid(), 1);
	log_buf_puts(&b, "]: ");
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
	if (b.len == b.cap)		/* cut: keep room for the newline */
		b.len--;
	line[b.len++] = '\n';
	log_flush();	/* the access lines before it, in order */
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

void
log_err(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;
	char	msg[LOG_LINE_MAX];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line_err(LOG_LEVEL_ERROR, saved, "%s", msg);
	/* The one who started ferryd sees it too. */
	if (log_state.err.fd != STDERR_FILENO)
		fprintf(stderr, "ferryd: %s: %s\n", msg, strerror(saved));
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
