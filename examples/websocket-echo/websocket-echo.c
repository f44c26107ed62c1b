/*
 * websocket-echo: a WebSocket (RFC 6455) echo server as a libferry app.
 *
 * The handler checks the opening handshake (section 4.2.1), answers
 * 101 Switching Protocols with Sec-WebSocket-Accept, and takes over the
 * client socket with ferry_hijack().  A thread per connection then speaks
 * the framing (section 5): every text or binary message comes back as it
 * was sent, pings are answered with pongs, and a close is answered with a
 * close carrying the same status code.  The handler returns at once, so
 * one worker serves new handshakes while its threads hold the sockets.
 *
 * Retirement (ferry_on_retire): when ferryd retires the worker
 * (max_requests, idle_timeout, isolation = request, or its own stop) no
 * handshake comes any more and ferry_serve returns; the process ends
 * with its last WebSocket.  With no deadline the WebSockets live on
 * until their clients close them; with one (hijack_grace, or ferryd
 * stopping) each gets a close 1001 Going Away at once, so that its
 * client reconnects, to a new worker.
 *
 * What it enforces, and the close code it sends when a client breaks it:
 *   1002  an unmasked frame, RSV bits set (no extension is negotiated), an
 *         unknown opcode, a fragmented or too long (> 125) control frame,
 *         a continuation with no message to continue or a new message in
 *         the middle of one, a 64-bit length with its top bit set, a
 *         close with a 1-byte payload or a status code a peer may not send
 *   1007  a text message (or close reason) that is not valid UTF-8
 *   1009  a message larger than WS_MAX_MESSAGE (1 MiB)
 *   1011  no memory for a message
 *
 * SHA-1 and base64 come from nettle (Debian: nettle-dev).
 *
 *   cc websocket-echo.c $(pkg-config --cflags --libs ferry nettle) -pthread \
 *       -o websocket-echo
 *   ferryd --listen 127.0.0.1:8080 --app /ws=$PWD/websocket-echo
 *   wsdump ws://127.0.0.1:8080/ws       # Debian: python3-websocket
 */
#define _POSIX_C_SOURCE 200809L	/* built alone too: no config.h */

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include <ferry.h>

/* Section 1.3: appended to the client's key before hashing. */
#define WS_GUID			"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN		24	/* base64 of 16 bytes, with "==" */
#define WS_ACCEPT_LEN		BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)

#define WS_MAX_MESSAGE		(1024 * 1024)	/* larger: close 1009 */
#define WS_MAX_CONTROL		125	/* section 5.5 */
#define WS_LINGER_MS		2000	/* waiting for the client's close */

/* Opcodes (section 5.2). */
#define WS_OP_CONT		0x0
#define WS_OP_TEXT		0x1
#define WS_OP_BINARY		0x2
#define WS_OP_CLOSE		0x8
#define WS_OP_PING		0x9
#define WS_OP_PONG		0xa

/* Close status codes (section 7.4.1). */
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_INVALID_DATA	1007
#define WS_CLOSE_TOO_BIG	1009
#define WS_CLOSE_INTERNAL	1011
#define WS_GONE			(-1)	/* the client left: send nothing */

/* One hijacked connection, owned by its thread; in ws_live's list. */
struct ws_conn {
	struct ws_conn	*next;		/* (ws_live.mu) */
	pthread_mutex_t	 wmu;		/* one frame at a time on fd */
	int		 close_sent;	/* (wmu) no data frame after it */
	int		 fd;
	uint8_t		*pre;		/* ferryd's buffered bytes: read first */
	size_t		 prelen;
	size_t		 prepos;
	uint8_t		*msg;		/* the data message being reassembled */
	size_t		 msglen;
	int		 msgop;		/* its opcode; 0: no message open */
};

/* The live connections, so that a retirement reaches them and the
   process knows when the last one ended. */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a connection ended */
	struct ws_conn	*head;
	unsigned	 n;
} ws_live = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
	0 };

int		main(int, char *[]);
static int	ws_handler(struct ferry_req *, void *);
static void	ws_retire(int, int, void *);
static int	ws_send(struct ws_conn *, int, const uint8_t *, size_t);
static int	ws_has_token(const char *, const char *);
static int	ws_check_handshake(struct ferry_req *, const char **);
static int	ws_key_valid(const char *);
static void	ws_accept_value(const char *, char [WS_ACCEPT_LEN + 1]);
static void	*ws_thread(void *);
static int	ws_serve(struct ws_conn *);
static int	ws_read(struct ws_conn *, void *, size_t);
static int	ws_send_frame(int, int, const uint8_t *, size_t);
static void	ws_close(struct ws_conn *, int);
static void	ws_unmask(uint8_t *, size_t, const uint8_t [4]);
static int	ws_utf8_valid(const uint8_t *, size_t);
static int	ws_close_code_valid(unsigned);

/* ---- The opening handshake (section 4.2) ---- */

/* 1 when the comma-separated list contains token (case-insensitive). */
static int
ws_has_token(const char *list, const char *token)
{
	size_t	 n = strlen(token), len;

	while (list != NULL && *list != '\0') {
		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		for (len = 0; list[len] != '\0' && list[len] != ','; len++)
			continue;
		while (len > 0 && (list[len - 1] == ' ' ||
		    list[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(list, token, n) == 0)
			return 1;
		list += len;
		while (*list != '\0' && *list != ',')
			list++;
	}
	return 0;
}

/* 1 when key is base64 of exactly 16 bytes (section 4.1, item 7). */
static int
ws_key_valid(const char *key)
{
	struct base64_decode_ctx	 ctx;
	uint8_t				 raw[BASE64_DECODE_LENGTH(WS_KEY_LEN)];
	size_t				 n;

	if (key == NULL || strlen(key) != WS_KEY_LEN)
		return 0;
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &n, raw, WS_KEY_LEN, key) ||
	    !base64_decode_final(&ctx))
		return 0;
	return n == 16;
}

/* Sec-WebSocket-Accept: base64(SHA-1(key + GUID)), NUL-terminated. */
static void
ws_accept_value(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	struct sha1_ctx	 ctx;
	uint8_t		 digest[SHA1_DIGEST_SIZE];

	sha1_init(&ctx);
	sha1_update(&ctx, strlen(key), (const uint8_t *)key);
	sha1_update(&ctx, sizeof(WS_GUID) - 1, (const uint8_t *)WS_GUID);
	sha1_digest(&ctx, sizeof(digest), digest);
	base64_encode_raw(out, sizeof(digest), digest);
	out[WS_ACCEPT_LEN] = '\0';
}

/*
 * Checks the client's handshake.  Returns 0 when it is a valid WebSocket
 * opening, else the status to answer (400, or 426 for a version other than
 * 13) with *why saying what is wrong.
 */
static int
ws_check_handshake(struct ferry_req *req, const char **why)
{
	const char	*proto = ferry_param(req, "SERVER_PROTOCOL");
	const char	*version = ferry_header(req, "Sec-WebSocket-Version");

	if (strcmp(ferry_method(req), "GET") != 0)
		*why = "the method must be GET";
	else if (proto == NULL || strcmp(proto, "HTTP/1.1") != 0)
		*why = "the request must be HTTP/1.1";
	else if (!ws_has_token(ferry_header(req, "Upgrade"), "websocket"))
		*why = "no \"Upgrade: websocket\"";
	else if (!ws_has_token(ferry_header(req, "Connection"), "upgrade"))
		*why = "no \"Connection: Upgrade\"";
	else if (ferry_content_length(req) > 0)
		*why = "a handshake has no body";
	else if (version == NULL || strcmp(version, "13") != 0) {
		*why = "only Sec-WebSocket-Version 13 is spoken";
		return 426;
	} else if (!ws_key_valid(ferry_header(req, "Sec-WebSocket-Key")))
		*why = "Sec-WebSocket-Key must be base64 of 16 bytes";
	else
		return 0;
	return 400;
}

static int
ws_handler(struct ferry_req *req, void *arg)
{
	struct ws_conn	*c;
	char		 accept[WS_ACCEPT_LEN + 1];
	const char	*why;
	pthread_attr_t	 attr;
	pthread_t	 t;
	void		*pre;
	size_t		 prelen;
	int		 fd, rv, status;

	if ((status = ws_check_handshake(req, &why)) != 0) {
		ferry_status(req, status);
		/* Section 4.2.2: say which version we speak. */
		ferry_add_header(req, "Sec-WebSocket-Version", "13");
		ferry_printf(req, "%d: not a WebSocket handshake: %s\n",
		    status, why);
		return 0;
	}

	ws_accept_value(ferry_header(req, "Sec-WebSocket-Key"), accept);
	ferry_status(req, 101);
	ferry_add_header(req, "Upgrade", "websocket");
	ferry_add_header(req, "Connection", "Upgrade");
	ferry_add_header(req, "Sec-WebSocket-Accept", accept);
	/* The head must reach the client before the socket changes hands. */
	if (ferry_flush(req) == -1) {
		perror("websocket-echo: ferry_flush");
		return 1;
	}
	if ((fd = ferry_hijack(req, &pre, &prelen)) == -1) {
		fprintf(stderr, "websocket-echo: request %u: hijack: %s\n",
		    ferry_request_id(req), ferry_hijack_error(req));
		return 1;
	}

	/* From here on the socket is ours, whatever happens to req. */
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		free(pre);
		return 1;
	}
	c->fd = fd;
	c->pre = pre;
	c->prelen = prelen;
	pthread_mutex_init(&c->wmu, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Listed before its thread runs: the thread unlists it. */
	pthread_mutex_lock(&ws_live.mu);
	rv = pthread_create(&t, &attr, ws_thread, c);
	if (rv == 0) {
		c->next = ws_live.head;
		ws_live.head = c;
		ws_live.n++;
	}
	pthread_mutex_unlock(&ws_live.mu);
	pthread_attr_destroy(&attr);
	if (rv != 0) {
		fprintf(stderr, "websocket-echo: pthread_create: %s\n",
		    strerror(rv));
		close(fd);
		free(pre);
		pthread_mutex_destroy(&c->wmu);
		free(c);
		return 1;
	}
	return 0;
}

/*
 * ferryd retired the worker.  With a deadline, every WebSocket gets a
 * close 1001 Going Away now (its thread ends the connection when the
 * client answers); without one they are left to their clients.
 */
static void
ws_retire(int why, int grace_ms, void *arg)
{
	struct ws_conn	*c;
	uint8_t		 b[2] = { WS_CLOSE_GOING_AWAY >> 8,
			    WS_CLOSE_GOING_AWAY & 0xff };

	(void)why;
	(void)arg;
	if (grace_ms < 0)
		return;
	pthread_mutex_lock(&ws_live.mu);
	for (c = ws_live.head; c != NULL; c = c->next)
		(void)ws_send(c, WS_OP_CLOSE, b, sizeof(b));
	pthread_mutex_unlock(&ws_live.mu);
}

/* ---- Framing (section 5) ---- */

/*
 * Reads exactly len bytes: first the bytes ferryd had buffered, then the
 * socket.  Returns 0, or -1 when the client closed or the read failed.
 */
static int
ws_read(struct ws_conn *c, void *dst, size_t len)
{
	uint8_t	*p = dst;
	size_t	 take;
	ssize_t	 n;

	if (c->prepos < c->prelen) {
		take = c->prelen - c->prepos;
		if (take > len)
			take = len;
		memcpy(p, c->pre + c->prepos, take);
		c->prepos += take;
		p += take;
		len -= take;
	}
	while (len > 0) {
		if ((n = recv(c->fd, p, len, 0)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Sends one unfragmented, unmasked frame (a server never masks).  The
 * header, 2 to 10 bytes:
 *
 *   byte 0   FIN (0x80) | RSV1-3 (0x70, zero here) | opcode (0x0f)
 *   byte 1   MASK (0x80, zero here) | length: 0-125, or 126 or 127
 *   126:     2 more bytes of length, network byte order
 *   127:     8 more bytes of length, network byte order, top bit 0
 *
 * Returns 0, or -1 when the client cannot be written to.
 */
static int
ws_send_frame(int fd, int op, const uint8_t *payload, size_t len)
{
	uint8_t		 h[10];
	struct iovec	 iov[2];
	struct msghdr	 m;
	size_t		 hl, i;
	uint64_t	 n = len;
	ssize_t		 w;

	h[0] = 0x80 | (uint8_t)op;
	if (n <= 125) {
		h[1] = (uint8_t)n;
		hl = 2;
	} else if (n <= 0xffff) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)(n >> (56 - 8 * i));
		hl = 10;
	}
	iov[0].iov_base = h;
	iov[0].iov_len = hl;
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	while (iov[0].iov_len + iov[1].iov_len > 0) {
		/* MSG_NOSIGNAL: a client that left is EPIPE, not SIGPIPE. */
		if ((w = sendmsg(fd, &m, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < 2 && w > 0; i++) {
			n = (size_t)w < iov[i].iov_len ? (size_t)w :
			    iov[i].iov_len;
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
			w -= (ssize_t)n;
		}
	}
	return 0;
}

/*
 * Sends a frame on c, unless a close went out already: then a data or
 * control frame is dropped (section 5.5.1) and a second close is not
 * sent.  Returns 0, or -1 when the client cannot be written to.
 */
static int
ws_send(struct ws_conn *c, int op, const uint8_t *payload, size_t len)
{
	int	 rv = 0;

	pthread_mutex_lock(&c->wmu);
	if (!c->close_sent) {
		c->close_sent = op == WS_OP_CLOSE;
		rv = ws_send_frame(c->fd, op, payload, len);
	}
	pthread_mutex_unlock(&c->wmu);
	return rv;
}

/*
 * Sends a close frame with code (none when 0) and ends the connection.
 * Closing at once could reset it, and the reset could destroy our close
 * frame before the client read it, when unread bytes of the client remain.
 * So: shut our side, read and drop what comes until the client closes too
 * (it answers our close with its own) or WS_LINGER_MS passed, then close.
 */
static void
ws_close(struct ws_conn *c, int code)
{
	uint8_t		 b[2], sink[4096];
	struct pollfd	 pfd;
	struct timespec	 t0, now;
	long		 left;

	b[0] = (uint8_t)(code >> 8);
	b[1] = (uint8_t)code;
	if (ws_send(c, WS_OP_CLOSE, b, code != 0 ? 2 : 0) == 0 &&
	    shutdown(c->fd, SHUT_WR) == 0) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = WS_LINGER_MS - ((now.tv_sec - t0.tv_sec) *
			    1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 ||
			    recv(c->fd, sink, sizeof(sink), 0) <= 0)
				break;
		}
	}
	close(c->fd);
}

/* Undoes the client's mask on a frame's payload: byte i was XORed with
   byte i % 4 of the frame's key. */
static void
ws_unmask(uint8_t *p, size_t len, const uint8_t key[4])
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] ^= key[i & 3];
}

/*
 * 1 when p holds well-formed UTF-8 (RFC 3629): no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
static int
ws_utf8_valid(const uint8_t *p, size_t len)
{
	size_t		 i = 0, k, n;
	uint32_t	 cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;	/* a continuation byte, or 0xf8.. */
		if (len - i - 1 < n)
			return 0;	/* cut short */
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* 1 for the close codes a peer may send (section 7.4). */
static int
ws_close_code_valid(unsigned code)
{
	if (code >= 3000 && code <= 4999)
		return 1;	/* registered (3xxx) and private (4xxx) */
	return (code >= 1000 && code <= 1003) ||
	    (code >= 1007 && code <= 1011);
}

/*
 * The frame loop of one connection.  Returns when the connection is over:
 * WS_GONE when the client went away without a close (nothing more to
 * send), else the close code to answer with (0: a close without one).
 * Data messages may be fragmented; they are reassembled and echoed whole,
 * as one frame.  Control frames may come between fragments and are
 * answered at once.
 */
static int
ws_serve(struct ws_conn *c)
{
	uint8_t		 h[2], ext[8], key[4], ctl[WS_MAX_CONTROL];
	uint8_t		*grown;
	uint64_t	 len;
	unsigned	 code;
	int		 fin, op, i;

	for (;;) {
		if (ws_read(c, h, 2) == -1)
			return WS_GONE;
		fin = h[0] & 0x80;
		op = h[0] & 0x0f;
		len = h[1] & 0x7f;
		if (len == 126) {
			if (ws_read(c, ext, 2) == -1)
				return WS_GONE;
			len = (uint64_t)ext[0] << 8 | ext[1];
		} else if (len == 127) {
			if (ws_read(c, ext, 8) == -1)
				return WS_GONE;
			for (len = 0, i = 0; i < 8; i++)
				len = len << 8 | ext[i];
			if (len >> 63)
				return WS_CLOSE_PROTOCOL;
		}
		/* Section 5.1: every frame from a client is masked; no
		   extension was negotiated, so the RSV bits are 0. */
		if ((h[1] & 0x80) == 0 || (h[0] & 0x70) != 0)
			return WS_CLOSE_PROTOCOL;
		if (ws_read(c, key, 4) == -1)
			return WS_GONE;

		if (op & 0x8) {
			/* Control frames: short, unfragmented, known. */
			if (!fin || len > WS_MAX_CONTROL || (op != WS_OP_CLOSE &&
			    op != WS_OP_PING && op != WS_OP_PONG))
				return WS_CLOSE_PROTOCOL;
			if (ws_read(c, ctl, (size_t)len) == -1)
				return WS_GONE;
			ws_unmask(ctl, (size_t)len, key);
			if (op == WS_OP_PING) {
				if (ws_send(c, WS_OP_PONG, ctl,
				    (size_t)len) == -1)
					return WS_GONE;
				continue;
			}
			if (op == WS_OP_PONG)
				continue;	/* needs no answer */
			/* A close: echo its status code (none if none came);
			   a reason after the code must be UTF-8. */
			if (len == 0)
				return 0;
			code = (unsigned)ctl[0] << 8 | ctl[1];
			if (len == 1 || !ws_close_code_valid(code))
				return WS_CLOSE_PROTOCOL;
			if (!ws_utf8_valid(ctl + 2, (size_t)len - 2))
				return WS_CLOSE_INVALID_DATA;
			return (int)code;
		}

		/* Data frames: a message is TEXT or BINARY, then CONTs. */
		if (op != WS_OP_CONT && op != WS_OP_TEXT && op != WS_OP_BINARY)
			return WS_CLOSE_PROTOCOL;
		if ((op == WS_OP_CONT) != (c->msgop != 0))
			return WS_CLOSE_PROTOCOL;
		if (len > WS_MAX_MESSAGE - c->msglen)
			return WS_CLOSE_TOO_BIG;
		if (op != WS_OP_CONT)
			c->msgop = op;
		if (len > 0) {
			if ((grown = realloc(c->msg, c->msglen +
			    (size_t)len)) == NULL)
				return WS_CLOSE_INTERNAL;
			c->msg = grown;
			if (ws_read(c, c->msg + c->msglen, (size_t)len) == -1)
				return WS_GONE;
			ws_unmask(c->msg + c->msglen, (size_t)len, key);
			c->msglen += (size_t)len;
		}
		if (!fin)
			continue;
		if (c->msgop == WS_OP_TEXT && !ws_utf8_valid(c->msg,
		    c->msglen))
			return WS_CLOSE_INVALID_DATA;
		if (ws_send(c, c->msgop, c->msg, c->msglen) == -1)
			return WS_GONE;
		c->msglen = 0;
		c->msgop = 0;
	}
}

static void *
ws_thread(void *arg)
{
	struct ws_conn	*c = arg, **pp;
	int		 code;

	if ((code = ws_serve(c)) != WS_GONE)
		ws_close(c, code);
	else
		close(c->fd);
	pthread_mutex_lock(&ws_live.mu);
	for (pp = &ws_live.head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ws_live.n--;
	pthread_cond_broadcast(&ws_live.cv);
	pthread_mutex_unlock(&ws_live.mu);
	pthread_mutex_destroy(&c->wmu);
	free(c->msg);
	free(c->pre);
	free(c);
	return NULL;
}

int
main(int argc, char *argv[])
{
	ferry_on_retire(ws_retire, NULL);
	if (ferry_serve_args(argc, argv, ws_handler, NULL) == -1)
		return 1;
	/* Retired: no handshake comes any more; end with the last
	   WebSocket. */
	pthread_mutex_lock(&ws_live.mu);
	while (ws_live.n > 0)
		pthread_cond_wait(&ws_live.cv, &ws_live.mu);
	pthread_mutex_unlock(&ws_live.mu);
	return 0;
}
