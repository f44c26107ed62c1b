/*
 * ferryd's error and access logs.
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

#define LOG_MODE	0644
#define LOG_FLAGS	(O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)

/* Output budgets of the access log's variable fields, escapes included. */
#define LOG_BUDGET_ADDR		256
#define LOG_BUDGET_METHOD	64
#define LOG_BUDGET_TARGET	4096
#define LOG_BUDGET_REFERER	1024
#define LOG_BUDGET_AGENT	1024
#define LOG_BUDGET_APP		256
#define LOG_BUDGET_REASON	256

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
	int		 facility;		/* syslog's, its code */
	int		 journal;		/* stderr is the journal */
} log_state = {
	{ NULL, STDERR_FILENO }, { NULL, STDERR_FILENO }, LOG_LEVEL_INFO,
	0, 0, { 0 }, LOG_FORMAT_COMBINED, -1, 3 << 3, 0
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
static void	log_verr(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	log_line_err(enum log_level, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	log_vline(enum log_level, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	log_buf_putc(struct log_buf *, char);
static void	log_buf_puts(struct log_buf *, const char *);
static void	log_buf_putu(struct log_buf *, uint64_t, int);
static int	log_needs_escape(unsigned char);
static size_t	log_plain_run(const unsigned char *, size_t);
static void	log_buf_putn(struct log_buf *, const unsigned char *, size_t);
static void	log_buf_escaped(struct log_buf *, const char *, size_t, size_t,
		    int);
static size_t	log_utf8_len(const unsigned char *, size_t);
static size_t	log_unit(const unsigned char *, size_t, int, size_t *, char *);
static int	log_syslog_connect(void);
static int	log_stderr_is_journal(void);
static void	log_syslog_send(const char *, size_t);
static void	log_buf_iso(struct log_buf *, const struct tm *);
static int	log_buf_line(struct log_buf *, char *, size_t, time_t,
		    struct tm *);
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
		LOG_FAC_DAEMON };
	size_t		i;

	for (i = 0; log_facility_names[i] != NULL; i++)
		if (log_facility_codes[i] << 3 == log_state.facility)
			lc.facility = (enum log_facility)i;
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
	log_state.facility = log_facility_codes[lc->facility] << 3;
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

static void
log_buf_putc(struct log_buf *b, char ch)
{
	if (b->len < b->cap)
		b->p[b->len++] = ch;
}

static void
log_buf_puts(struct log_buf *b, const char *s)
{
	log_buf_putn(b, (const unsigned char *)s, strlen(s));
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

/* The bytes from s on that both formats write as they are. */
static size_t
log_plain_run(const unsigned char *s, size_t len)
{
	size_t	n = 0;

	while (n < len && !log_needs_escape(s[n]))
		n++;
	return n;
}

/* Writes s[0..n) as it is (as far as it fits). */
static void
log_buf_putn(struct log_buf *b, const unsigned char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* The length of the valid UTF-8 sequence (RFC 3629: no overlong forms,
   surrogates or code points past U+10FFFF) at s, of 2 to 4 bytes; 0 when
   s[0] does not start one. */
/* 2026-11-29T06:40:12Z */
static void
log_buf_iso(struct log_buf *b, const struct tm *tm)
{
	log_buf_putu(b, (uint64_t)tm->tm_year + 1900, 4);
	log_buf_putc(b, '-');
	log_buf_putu(b, (uint64_t)tm->tm_mon + 1, 2);
	log_buf_putc(b, '-');
	log_buf_putu(b, (uint64_t)tm->tm_mday, 2);
	log_buf_putc(b, 'T');
	log_buf_putu(b, (uint64_t)tm->tm_hour, 2);
	log_buf_putc(b, ':');
	log_buf_putu(b, (uint64_t)tm->tm_min, 2);
	log_buf_putc(b, ':');
	log_buf_putu(b, (uint64_t)tm->tm_sec, 2);
	log_buf_putc(b, 'Z');
}

/* RFC 3164's head, as syslog(3) sends it to /dev/log:
   "<PRI>Nov 29 06:40:12 ferryd[PID]: " (local time, the day
   space-padded). */
static void
log_buf_syslog_head(struct log_buf *b, enum log_level lvl, time_t now)
{
	struct tm	tm;

	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	log_buf_putc(b, '<');
	log_buf_putu(b, (uint64_t)(log_state.facility |
	    log_priorities[lvl]), 1);
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

static size_t
log_utf8_len(const unsigned char *s, size_t len)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Encodes the unit at s (len > 0): one byte, or in JSON a UTF-8 sequence
 * too, into out (8 bytes of room).  Returns the encoded length; *used is
 * the bytes of s it takes.
 */
static size_t
log_unit(const unsigned char *s, size_t len, int json, size_t *used,
    char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 ch = s[0];
	size_t			 n;

	*used = 1;
	if (json && ch >= 0x80 && (n = log_utf8_len(s, len)) > 0) {
		memcpy(out, s, n);	/* valid UTF-8: as it is */
		*used = n;
		return n;
	}
	if (json && ch == '"') {
		memcpy(out, "\\\"", 2);
		return 2;
	}
	if (json && (ch < 0x20 || ch == 0x7f)) {
		memcpy(out, "\\u00", 4);
		out[4] = hex[ch >> 4];
		out[5] = hex[ch & 0xf];
		return 6;
	}
	if (json ? ch == '\\' || ch >= 0x80 : log_needs_escape(ch)) {
		n = 0;
		out[n++] = '\\';
		if (json)
			out[n++] = '\\';	/* the text \xHH */
		out[n++] = 'x';
		out[n++] = hex[ch >> 4];
		out[n++] = hex[ch & 0xf];
		return n;
	}
	out[0] = (char)ch;
	return 1;
}

/* Writes s[0..len) escaped (json: for a JSON string, else as \xHH), in at
   most budget bytes; a field that does not fit is cut and ends in "...". */
static void
log_buf_escaped(struct log_buf *b, const char *s, size_t len, size_t budget,
    int json)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, need = 0, used = 0, enc, took, j;
	char			 out[8];

	for (i = 0; i < len; i += took)
		if ((took = log_plain_run(u + i, len - i)) > 0)
			need += took;
		else
			need += log_unit(u + i, len - i, json, &took, out);
	if (need <= budget) {		/* everything fits: no cut below */
		if (need == len) {
			log_buf_putn(b, u, len);
			return;
		}
		budget = need + 3;
	}
	for (i = 0; i < len; i += took) {
		enc = log_unit(u + i, len - i, json, &took, out);
		if (used + enc > budget - 3) {
			log_buf_puts(b, "...");
			return;
		}
		for (j = 0; j < enc; j++)
			log_buf_putc(b, out[j]);
		used += enc;
	}
}

/* Starts an access log line in buf (-1: cap < LOG_ACCESS_LINE_MAX), *tm
   now in UTC. */
static int
log_buf_line(struct log_buf *b, char *buf, size_t cap, time_t now,
    struct tm *tm)
{
	if (cap < LOG_ACCESS_LINE_MAX)
		return -1;
	b->p = buf;
	b->len = 0;
	b->cap = cap - 1;
	if (gmtime_r(&now, tm) == NULL)
		memset(tm, 0, sizeof(*tm));
	return 0;
}

size_t
log_format_access(char *buf, size_t cap, const struct log_access_entry *e,
    time_t now)
{
	struct log_buf	 b;
	struct tm	 tm;

	if (log_buf_line(&b, buf, cap, now, &tm) == -1)
		return 0;
	if (e->remote_addr != NULL && e->remote_addr[0] != '\0')
		log_buf_escaped(&b, e->remote_addr, strlen(e->remote_addr),
		    LOG_BUDGET_ADDR, 0);
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
		log_buf_escaped(&b, e->method, e->method_len,
		    LOG_BUDGET_METHOD, 0);
		log_buf_putc(&b, ' ');
		if (e->target != NULL)
			log_buf_escaped(&b, e->target, e->target_len,
			    LOG_BUDGET_TARGET, 0);
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
		log_buf_escaped(&b, e->referer, e->referer_len,
		    LOG_BUDGET_REFERER, 0);
	else
		log_buf_putc(&b, '-');
	log_buf_puts(&b, "\" \"");
	if (e->user_agent != NULL)
		log_buf_escaped(&b, e->user_agent, e->user_agent_len,
		    LOG_BUDGET_AGENT, 0);
	else
		log_buf_putc(&b, '-');
	log_buf_puts(&b, "\" ");
	log_buf_putu(&b, e->duration_us, 1);
	log_buf_putc(&b, '\n');
	buf[b.len] = '\0';
	return b.len;
}

static const char *const log_ends[] = { "complete", "gone", "timeout",
	"hijacked" };

/* ,"key": */
static void
log_buf_key(struct log_buf *b, const char *key)
{
	if (b->len > 1)
		log_buf_putc(b, ',');
	log_buf_putc(b, '"');
	log_buf_puts(b, key);
	log_buf_puts(b, "\":");
}

/* ,"key":"s" escaped, or null */
static void
log_buf_jstr(struct log_buf *b, const char *key, const char *s, size_t len,
    size_t budget)
{
	log_buf_key(b, key);
	if (s == NULL) {
		log_buf_puts(b, "null");
		return;
	}
	log_buf_putc(b, '"');
	log_buf_escaped(b, s, len, budget, 1);
	log_buf_putc(b, '"');
}

static void
log_buf_jnum(struct log_buf *b, const char *key, uint64_t v)
{
	log_buf_key(b, key);
	log_buf_putu(b, v, 1);
}

size_t
log_format_json(char *buf, size_t cap, const struct log_access_entry *e,
    time_t now)
{
	struct log_buf	 b;
	struct tm	 tm;
	char		 proto[] = "HTTP/1.1";
	const char	*why;

	if (log_buf_line(&b, buf, cap, now, &tm) == -1)
		return 0;
	log_buf_putc(&b, '{');
	log_buf_key(&b, "time");
	log_buf_putc(&b, '"');
	log_buf_iso(&b, &tm);
	log_buf_putc(&b, '"');
	log_buf_jstr(&b, "remote_addr", e->remote_addr, e->remote_addr ==
	    NULL ? 0 : strlen(e->remote_addr), LOG_BUDGET_ADDR);
	log_buf_jnum(&b, "remote_port", e->remote_port);
	log_buf_jstr(&b, "method", e->method, e->method_len,
	    LOG_BUDGET_METHOD);
	log_buf_jstr(&b, "target", e->method == NULL ? NULL : e->target,
	    e->target_len, LOG_BUDGET_TARGET);
	if (e->minor == 0)
		proto[7] = '0';
	log_buf_jstr(&b, "protocol", e->method == NULL ? NULL : proto,
	    sizeof(proto) - 1, sizeof(proto));
	log_buf_jnum(&b, "status", e->status > 0 ? (uint64_t)e->status : 0);
	log_buf_jnum(&b, "bytes_in", e->bytes_in);
	log_buf_jnum(&b, "bytes_out", e->bytes);
	log_buf_jnum(&b, "duration_us", e->duration_us);
	log_buf_key(&b, "ttfb_us");
	if (e->has_ttfb)
		log_buf_putu(&b, e->ttfb_us, 1);
	else
		log_buf_puts(&b, "null");
	log_buf_jstr(&b, "referer", e->referer, e->referer_len,
	    LOG_BUDGET_REFERER);
	log_buf_jstr(&b, "user_agent", e->user_agent, e->user_agent_len,
	    LOG_BUDGET_AGENT);
	log_buf_jstr(&b, "app", e->app, e->app == NULL ? 0 : strlen(e->app),
	    LOG_BUDGET_APP);
	log_buf_key(&b, "pid");
	if (e->pid > 0)
		log_buf_putu(&b, (uint64_t)e->pid, 1);
	else
		log_buf_puts(&b, "null");
	log_buf_jstr(&b, "end", log_ends[e->end <= LOG_END_HIJACKED ?
	    e->end : 0], strlen(log_ends[e->end <= LOG_END_HIJACKED ?
	    e->end : 0]), LOG_BUDGET_REASON);
	why = e->end == LOG_END_COMPLETE ? NULL : e->end_reason;
	log_buf_jstr(&b, "end_reason", why, why == NULL ? 0 : strlen(why),
	    LOG_BUDGET_REASON);
	if (e->has_rusage) {
		log_buf_jnum(&b, "cgi_user_us", e->cpu_user_us);
		log_buf_jnum(&b, "cgi_sys_us", e->cpu_sys_us);
		log_buf_jnum(&b, "cgi_maxrss_kb", e->maxrss_kb);
	}
	log_buf_puts(&b, "}\n");
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
