#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "protocol/response.h"

/*
 * A response head as response_write_head() writes it:
 *
 *   HTTP/1.1 200 OK\r\n                      status line, always 1.1
 *   Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n  when a date is given
 *   Content-Length: 5\r\n                    or Transfer-Encoding: chunked
 *   Connection: close\r\n                    or keep-alive, when needed
 *   <extra>                                  caller's fields, verbatim
 *   \r\n
 */

/* Writes into out[0..cap) and remembers when something did not fit. */
struct response_out {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 full;
};

static void	response_put(struct response_out *, const char *, size_t);
static void	response_puts(struct response_out *, const char *);
static void	response_putu(struct response_out *, uint64_t);
static int	response_bodyless(int);
static void	response_put2(char *, int);

static const char response_days[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char response_months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

#define RESPONSE_DATE_EPOCH	"Thu, 01 Jan 1970 00:00:00 GMT"

static void
response_put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

const char *
response_date(struct response_date *d, time_t now)
{
	struct tm	 tm;
	char		*p = d->text;
	int		 year;

	if (d->text[0] != '\0' && d->when == now)
		return d->text;
	d->when = now;
	if (gmtime_r(&now, &tm) == NULL || tm.tm_year > 9999 - 1900 ||
	    tm.tm_year < -1900 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		/* Not representable as an IMF-fixdate: say the epoch. */
		memcpy(d->text, RESPONSE_DATE_EPOCH, sizeof(d->text));
		return d->text;
	}
	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	year = tm.tm_year + 1900;
	memcpy(p, response_days[tm.tm_wday], 3);
	memcpy(p + 3, ", ", 2);
	response_put2(p + 5, tm.tm_mday);
	p[7] = ' ';
	memcpy(p + 8, response_months[tm.tm_mon], 3);
	p[11] = ' ';
	response_put2(p + 12, year / 100);
	response_put2(p + 14, year % 100);
	p[16] = ' ';
	response_put2(p + 17, tm.tm_hour);
	p[19] = ':';
	response_put2(p + 20, tm.tm_min);
	p[22] = ':';
	response_put2(p + 23, tm.tm_sec);
	memcpy(p + 25, " GMT", 5);
	return d->text;
}

const char *
response_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 103: return "Early Hints";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 203: return "Non-Authoritative Information";
	case 204: return "No Content";
	case 205: return "Reset Content";
	case 206: return "Partial Content";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 305: return "Use Proxy";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 511: return "Network Authentication Required";
	}
	return "Unknown";
}

/* A status whose responses never have content: 1xx, 204, 304. */
static int
response_bodyless(int status)
{
	return (status >= 100 && status < 200) || status == 204 ||
	    status == 304;
}

void
response_frame(struct response_head *h)
{
	if (response_bodyless(h->status) || h->head_request)
		h->framing = RESPONSE_NO_BODY;
	else if (h->content_length >= 0)
		h->framing = RESPONSE_LENGTH;
	else if (h->minor >= 1)
		h->framing = RESPONSE_CHUNKED;
	else {
		h->framing = RESPONSE_CLOSE;
		h->keep_alive = 0;
	}
}

static void
response_put(struct response_out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	if (n > 0)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
response_puts(struct response_out *o, const char *s)
{
	response_put(o, s, strlen(s));
}

static void
response_putu(struct response_out *o, uint64_t v)
{
	char	 buf[20];
	size_t	 i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	response_put(o, buf + i, sizeof(buf) - i);
}

size_t
response_write_head(char *out, size_t cap, const struct response_head *h,
    const char *date, const char *extra, size_t extra_len)
{
	struct response_out	 o = { out, 0, cap, 0 };
	int			 length;

	if (h->status < 100 || h->status > 599)
		return 0;
	response_puts(&o, "HTTP/1.1 ");
	response_putu(&o, (uint64_t)h->status);
	response_puts(&o, " ");
	response_puts(&o, response_reason(h->status));
	response_puts(&o, "\r\n");
	if (date != NULL) {
		response_puts(&o, "Date: ");
		response_puts(&o, date);
		response_puts(&o, "\r\n");
	}

	switch (h->framing) {
	case RESPONSE_LENGTH:
		length = 1;
		break;
	case RESPONSE_NO_BODY:
		/* HEAD: the length a GET would have had, when known. */
		length = h->head_request && !response_bodyless(h->status) &&
		    h->content_length >= 0;
		break;
	default:
		length = 0;
		break;
	}
	if (length && h->content_length >= 0) {
		response_puts(&o, "Content-Length: ");
		response_putu(&o, (uint64_t)h->content_length);
		response_puts(&o, "\r\n");
	} else if (h->framing == RESPONSE_CHUNKED)
		response_puts(&o, "Transfer-Encoding: chunked\r\n");

	/*
	 * Interim responses and 101 carry no Connection of ours.  close is
	 * said to HTTP/1.0 clients too: it is their default, but a request
	 * too broken to tell its version gets minor 0 and must read it.
	 */
	if (h->status >= 200) {
		if (!h->keep_alive)
			response_puts(&o, "Connection: close\r\n");
		else if (h->minor == 0 && h->keep_alive)
			response_puts(&o, "Connection: keep-alive\r\n");
	}
	if (extra_len > 0)
		response_put(&o, extra, extra_len);
	response_puts(&o, "\r\n");
	return o.full ? 0 : o.len;
}

size_t
chunk_header(char out[CHUNK_HEADER_MAX], size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 buf[sizeof(size_t) * 2];
	size_t			 i = sizeof(buf), n;

	do {
		buf[--i] = hex[len & 0xf];
		len >>= 4;
	} while (len != 0);
	n = sizeof(buf) - i;
	memcpy(out, buf + i, n);
	memcpy(out + n, "\r\n", 3);
	return n + 2;
}
