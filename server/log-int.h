/*
 * Between server/log.c and server/logfmt.c: the bounded buffer a log
 * line is built in.  Private to them (and their unit test).
 */
#ifndef FERRY_SERVER_LOG_INT_H
#define FERRY_SERVER_LOG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A line being built: bytes past cap are dropped, so that a line is cut
   rather than overflow. */
struct log_buf {
	char	*p;
	size_t	 len, cap;	/* cap excludes the room kept for the NUL */
};

/* "Jan" ... "Dec", by struct tm's tm_mon. */
extern const char *const log_months[];

/* Append a byte, a string, v in decimal zero-padded to width digits, and
   tm as "2026-11-29T06:40:12Z". */
void	log_buf_putc(struct log_buf *b, char ch);
void	log_buf_puts(struct log_buf *b, const char *s);
void	log_buf_putu(struct log_buf *b, uint64_t v, int width);
void	log_buf_iso(struct log_buf *b, const struct tm *tm);

#endif
