/*
 * The access log's two formats (log.h: log_format_access, Combined Log
 * Format, and log_format_json), and the bounded line buffer both they and
 * server/log.c's error lines are written into (log-int.h).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "server/log.h"
#include "server/log-int.h"

/* Output budgets of the access log's variable fields, escapes included. */
#define LOG_BUDGET_ADDR		256
#define LOG_BUDGET_METHOD	64
#define LOG_BUDGET_TARGET	4096
#define LOG_BUDGET_REFERER	1024
#define LOG_BUDGET_AGENT	1024
#define LOG_BUDGET_APP		256
#define LOG_BUDGET_REASON	256

const char *const log_months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int	log_needs_escape(unsigned char);
static size_t	log_plain_run(const unsigned char *, size_t);
static void	log_buf_putn(struct log_buf *, const unsigned char *, size_t);
static void	log_buf_escaped(struct log_buf *, const char *, size_t, size_t,
		    int);
static size_t	log_utf8_len(const unsigned char *, size_t);
static size_t	log_unit(const unsigned char *, size_t, int, size_t *, char *);
static int	log_buf_line(struct log_buf *, char *, size_t, time_t,
		    struct tm *);
static void	log_buf_key(struct log_buf *, const char *);
static void	log_buf_jstr(struct log_buf *, const char *, const char *,
		    size_t, size_t);
static void	log_buf_jnum(struct log_buf *, const char *, uint64_t);

void
log_buf_putc(struct log_buf *b, char ch)
{
	if (b->len < b->cap)
		b->p[b->len++] = ch;
}

void
log_buf_puts(struct log_buf *b, const char *s)
{
	log_buf_putn(b, (const unsigned char *)s, strlen(s));
}

/* Writes v in decimal, zero-padded to at least width digits. */
void
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

/* 2026-11-29T06:40:12Z */
void
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
