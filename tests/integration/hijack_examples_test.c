/*
 * The hijack examples end to end: a real ferryd serving
 * examples/upgrade-echo at /echo and examples/websocket-echo at /ws, and
 * clients on real sockets: raw HTTP for the upgrade echo, a small
 * RFC 6455 client written here for the WebSocket echo, and a real
 * third-party one (Debian's python3-websocket, tests/integration/
 * ws_client.py).
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

/* RFC 6455 section 1.3's example key and its accept value. */
#define WS_KEY		"dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define WS_REQUEST(extra)						\
	"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"		\
	"Connection: keep-alive, Upgrade\r\n"				\
	"Sec-WebSocket-Key: " WS_KEY "\r\n" extra "\r\n"
#define WS_HANDSHAKE	WS_REQUEST("Sec-WebSocket-Version: 13\r\n")
#define ECHO_REQUEST							\
	"GET /echo HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"	\
	"Upgrade: echo\r\n\r\n"

/* A frame as the test client read it. */
struct frame {
	int		 fin;
	int		 op;
	uint8_t		*data;		/* malloc'd */
	size_t		 len;
};

static void	hx_start(struct ferryd *, const char *, int);
static void	hx_start_ws(struct ferryd *, const char *, const char *);
static void	hx_check_extensions(const struct ferryd *);
static void	hx_expect_101(struct hc *, const struct ferryd *,
		    const char *);
static void	hx_expect_bytes(struct hc *, const struct ferryd *,
		    const char *, size_t);
static void	ws_open(struct hc *, const struct ferryd *);
static void	ws_send(struct hc *, int, int, const void *, size_t, int);
static void	ws_send_raw_frame(struct hc *, int, int, const void *,
		    size_t, int, uint64_t);
static void	ws_read_frame(struct hc *, struct frame *);
static void	ws_expect(struct hc *, int, const void *, size_t);
static void	ws_expect_close(struct hc *, int);
static void	ws_echoes(struct hc *, const char *);
static char	*hx_find_python(const struct ferryd *);
static Suite	*hijack_examples_suite(void);

/* Starts ferryd with one worker of one example: "echo" (upgrade-echo at
   /echo) or "ws" (websocket-echo at /ws); hijack: the test needs it. */
static void
hx_start(struct ferryd *f, const char *which, int hijack)
{
	const char	*ex = harness_env_path("FERRY_TEST_EXAMPLES");
	char		 app[1024];

	if (strcmp(which, "echo") == 0) {
		snprintf(app, sizeof(app), "%s/upgrade-echo/upgrade-echo", ex);
		harness_start_app(f, NULL, "/echo", app, NULL);
	} else {
		snprintf(app, sizeof(app), "%s/websocket-echo/websocket-echo",
		    ex);
		harness_start_app(f, NULL, "/ws", app, NULL);
	}
	if (hijack)
		hx_check_extensions(f);
}

/* Starts ferryd with websocket-echo at /ws: server lines for
   [server], settings for its section. */
static void
hx_start_ws(struct ferryd *f, const char *server, const char *settings)
{
	char	 app[1024];

	snprintf(app, sizeof(app), "%s/websocket-echo/websocket-echo",
	    harness_env_path("FERRY_TEST_EXAMPLES"));
	harness_start_fcgi(f, server, "/ws", app, settings);
	hx_check_extensions(f);
}

/*
 * Waits for ferryd's "ready" (it comes once each pool's first worker said
 * which extensions it speaks) and fails with a clear message when a worker
 * was taken for a legacy one: hijack is then off for it, and every test
 * would fail in a less telling way.
 */
static void
hx_check_extensions(const struct ferryd *f)
{
	harness_wait_log(f, " ready", 1, 5000);
	HARNESS_ASSERT(f, harness_log_count(f, "a legacy worker") == 0,
	    "ferryd took an example worker for a legacy FastCGI worker (it "
	    "did not answer FCGI_GET_VALUES in time, a loaded machine?): "
	    "hijack is off for it");
}

/*
 * Reads a response head that must be exactly a 101 with "Upgrade: proto"
 * and "Connection: Upgrade", and no body framing; what follows it stays
 * unread in c.
 */
static void
hx_expect_101(struct hc *c, const struct ferryd *f, const char *proto)
{
	struct hc_response	 r;
	const char		*up;

	HARNESS_ASSERT(f, hc_read_response(c, &r, HC_INTERIM) == 0,
	    "no 101 head: %s", r.error);
	up = hc_header(&r, "Upgrade");
	HARNESS_ASSERT(f, r.status == 101 && r.minor == 1,
	    "status %d, HTTP/1.%d", r.status, r.minor);
	HARNESS_ASSERT(f, up != NULL && strcasecmp(up, proto) == 0,
	    "101 with Upgrade \"%s\", want \"%s\"", up ? up : "(none)",
	    proto);
	HARNESS_ASSERT(f, hc_header_has_token(&r, "Connection", "upgrade"),
	    "101 without \"Connection: Upgrade\"");
	HARNESS_ASSERT(f, hc_header(&r, "Content-Length") == NULL &&
	    hc_header(&r, "Transfer-Encoding") == NULL,
	    "101 with body framing");
	if (strcmp(proto, "websocket") == 0)
		HARNESS_ASSERT(f, hc_header(&r, "Sec-WebSocket-Accept") !=
		    NULL && strcmp(hc_header(&r, "Sec-WebSocket-Accept"),
		    WS_ACCEPT) == 0, "Sec-WebSocket-Accept \"%s\", want %s",
		    hc_header(&r, "Sec-WebSocket-Accept") ?
		    hc_header(&r, "Sec-WebSocket-Accept") : "(none)",
		    WS_ACCEPT);
	hc_response_free(&r);
}

/* Reads exactly want (len bytes) from c, and fails on anything else. */
static void
hx_expect_bytes(struct hc *c, const struct ferryd *f, const char *want,
    size_t len)
{
	while (c->len < len)
		HARNESS_ASSERT(f, hc_fill(c, HARNESS_TIMEOUT_MS) > 0,
		    "%zu of %zu echoed bytes came (\"%.*s\")", c->len, len,
		    (int)c->len, c->buf ? c->buf : "");
	HARNESS_ASSERT(f, memcmp(c->buf, want, len) == 0,
	    "echoed \"%.*s\", want \"%.*s\"", (int)len, c->buf, (int)len,
	    want);
	memmove(c->buf, c->buf + len, c->len - len);
	c->len -= len;
}

/* ---- upgrade-echo ---- */

/* TestWriteHeaderSwitchingProtocols: 101 flushed, hijack, raw echo.  The
   101 head is all that comes before the echo, line by line, until the
   client closes: then the server closes too. */
START_TEST(test_upgrade_echo_lines)
{
	struct ferryd	 f;
	struct hc	 c;

	hx_start(&f, "echo", 1);
	hc_open(&c, &f);
	hc_sendstr(&c, ECHO_REQUEST);
	hx_expect_101(&c, &f, "echo");
	HARNESS_ASSERT(&f, hc_quiet(&c, 300),
	    "bytes after the 101 head before any line was sent");
	hc_sendstr(&c, "hello\n");
	hx_expect_bytes(&c, &f, "hello\n", 6);
	/* A line in two pieces comes back once it is whole. */
	hc_sendstr(&c, "wor");
	harness_sleep_ms(100);
	hc_sendstr(&c, "ld\nagain\n");
	hx_expect_bytes(&c, &f, "world\nagain\n", 12);
	/* The last line needs no newline; EOF ends the echo. */
	hc_sendstr(&c, "bye");
	hc_shutdown_write(&c);
	hx_expect_bytes(&c, &f, "bye", 3);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the echo did not close after the client's EOF");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* TestServerHijackGetsBackgroundByte, as an example: lines sent in the
   same write as the request travel through the hijack's buffered bytes
   and are echoed first, in order, before the socket's. */
START_TEST(test_upgrade_echo_pipelined)
{
	struct ferryd	 f;
	struct hc	 c;

	hx_start(&f, "echo", 1);
	hc_open(&c, &f);
	hc_sendstr(&c, ECHO_REQUEST "hello\nsecond line\n");
	hx_expect_101(&c, &f, "echo");
	hx_expect_bytes(&c, &f, "hello\nsecond line\n", 18);
	hc_sendstr(&c, "third\n");
	hx_expect_bytes(&c, &f, "third\n", 6);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Two echoes at once on a one-worker pool: the worker serves the second
   handshake while its thread holds the first socket. */
START_TEST(test_upgrade_echo_two_at_once)
{
	struct ferryd	 f;
	struct hc	 a, b;

	hx_start(&f, "echo", 1);
	hc_open(&a, &f);
	hc_sendstr(&a, ECHO_REQUEST);
	hx_expect_101(&a, &f, "echo");
	hc_open(&b, &f);
	hc_sendstr(&b, ECHO_REQUEST);
	hx_expect_101(&b, &f, "echo");
	hc_sendstr(&b, "from b\n");
	hc_sendstr(&a, "from a\n");
	hx_expect_bytes(&a, &f, "from a\n", 7);
	hx_expect_bytes(&b, &f, "from b\n", 7);
	hc_close(&a);
	hc_close(&b);
	harness_stop_ok(&f);
}
END_TEST

/* Without the upgrade: 426 with a short text body, and the connection
   serves on (a plain response, no hijack). */
START_TEST(test_upgrade_echo_426)
{
	static const char *const reqs[] = {
		/* no Upgrade, no Connection */
		"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n",
		/* Upgrade without "Connection: Upgrade" */
		"GET /echo HTTP/1.1\r\nHost: t\r\nUpgrade: echo\r\n\r\n",
		/* another protocol */
		("GET /echo HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"
		"Upgrade: websocket\r\n\r\n"),
	};
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	size_t			 i;

	hx_start(&f, "echo", 0);
	hc_open(&c, &f);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		hc_sendstr(&c, reqs[i]);
		hc_expect_response(&c, &r, 0);
		HARNESS_ASSERT(&f, r.status == 426 && r.body_len > 0 &&
		    strstr(r.body, "Upgrade: echo") != NULL,
		    "case %zu: %d \"%s\"", i, r.status, r.body);
		hc_response_free(&r);
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- A small RFC 6455 client ---- */

/* Handshake on a new connection; the 101 must carry the right accept. */
static void
ws_open(struct hc *c, const struct ferryd *f)
{
	hc_open(c, f);
	hc_sendstr(c, WS_HANDSHAKE);
	hx_expect_101(c, f, "websocket");
}

/*
 * Sends a frame with the given length field (wire_len, which may lie
 * about len, for the 1009 case) and the payload, masked with a fixed key
 * when masked is set.  The length is encoded in the smallest form.
 */
static void
ws_send_raw_frame(struct hc *c, int fin, int op, const void *payload,
    size_t len, int masked, uint64_t wire_len)
{
	static const uint8_t	 key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t			*b;
	size_t			 n = 0, i;

	if ((b = malloc(len + 14)) == NULL)
		abort();
	b[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (wire_len <= 125)
		b[n++] = (uint8_t)((masked ? 0x80 : 0) | wire_len);
	else if (wire_len <= 0xffff) {
		b[n++] = (uint8_t)((masked ? 0x80 : 0) | 126);
		b[n++] = (uint8_t)(wire_len >> 8);
		b[n++] = (uint8_t)wire_len;
	} else {
		b[n++] = (uint8_t)((masked ? 0x80 : 0) | 127);
		for (i = 0; i < 8; i++)
			b[n++] = (uint8_t)(wire_len >> (56 - 8 * i));
	}
	if (masked) {
		memcpy(b + n, key, 4);
		n += 4;
	}
	for (i = 0; i < len; i++)
		b[n + i] = ((const uint8_t *)payload)[i] ^
		    (masked ? key[i & 3] : 0);
	hc_send(c, b, n + len);
	free(b);
}

static void
ws_send(struct hc *c, int fin, int op, const void *payload, size_t len,
    int masked)
{
	ws_send_raw_frame(c, fin, op, payload, len, masked, len);
}

/* Reads one server frame (unmasked, RSV 0) or fails the test. */
static void
ws_read_frame(struct hc *c, struct frame *fr)
{
	const uint8_t	*b;
	size_t		 hl, i;
	uint64_t	 len = 0;

	for (;;) {
		b = (const uint8_t *)c->buf;
		hl = 2;
		if (c->len >= 2) {
			len = b[1] & 0x7f;
			hl = len == 126 ? 4 : len == 127 ? 10 : 2;
			if (c->len >= hl) {
				if (len == 126)
					len = (uint64_t)b[2] << 8 | b[3];
				else if (len == 127)
					for (len = 0, i = 0; i < 8; i++)
						len = len << 8 | b[2 + i];
				if (c->len - hl >= len)
					break;
			}
		}
		HARNESS_ASSERT(c->f, hc_fill(c, HARNESS_TIMEOUT_MS) > 0,
		    "connection %s with %zu bytes of a frame",
		    c->eof ? "closed" : "silent", c->len);
	}
	HARNESS_ASSERT(c->f, (b[1] & 0x80) == 0, "a masked server frame");
	HARNESS_ASSERT(c->f, (b[0] & 0x70) == 0, "RSV bits set: 0x%02x",
	    b[0]);
	fr->fin = (b[0] & 0x80) != 0;
	fr->op = b[0] & 0x0f;
	fr->len = (size_t)len;
	if ((fr->data = malloc(fr->len + 1)) == NULL)
		abort();
	memcpy(fr->data, b + hl, fr->len);
	fr->data[fr->len] = 0;
	memmove(c->buf, c->buf + hl + len, c->len - hl - len);
	c->len -= hl + len;
}

/* Reads one frame and fails unless it is a final op frame holding data. */
static void
ws_expect(struct hc *c, int op, const void *data, size_t len)
{
	struct frame	 fr;

	ws_read_frame(c, &fr);
	HARNESS_ASSERT(c->f, fr.fin && fr.op == op && fr.len == len &&
	    memcmp(fr.data, data, len) == 0,
	    "frame fin %d op %d len %zu (want op %d len %zu): \"%.40s\"",
	    fr.fin, fr.op, fr.len, op, len, (const char *)fr.data);
	free(fr.data);
}

/* Reads a close frame with code, then the server's end of the stream. */
static void
ws_expect_close(struct hc *c, int code)
{
	uint8_t		 b[2] = { (uint8_t)(code >> 8), (uint8_t)code };

	ws_expect(c, 0x8, b, 2);
	HARNESS_ASSERT(c->f, hc_wait_closed(c, 5000) == 1,
	    "the server did not close after its close frame");
}

/* ---- websocket-echo, raw ---- */

/* Text, ping/pong, a fragmented message with a ping inside, the 16- and
   64-bit length forms, then the close handshake. */
START_TEST(test_ws_echo)
{
	struct ferryd	 f;
	struct hc	 c;
	uint8_t		*big;
	uint8_t		 mid[300], bye[5] = { 0x03, 0xe8, 'b', 'y', 'e' };
	size_t		 i;

	hx_start(&f, "ws", 1);
	ws_open(&c, &f);
	HARNESS_ASSERT(&f, hc_quiet(&c, 200), "bytes after the 101 head");

	/* A text frame comes back as it went, unmasked. */
	ws_send(&c, 1, 0x1, "hello", 5, 1);
	ws_expect(&c, 0x1, "hello", 5);
	/* Ping: a pong with the same payload; an empty ping too. */
	ws_send(&c, 1, 0x9, "ping!", 5, 1);
	ws_expect(&c, 0xa, "ping!", 5);
	ws_send(&c, 1, 0x9, "", 0, 1);
	ws_expect(&c, 0xa, "", 0);
	/* A pong from the client needs no answer: the next echo is next. */
	ws_send(&c, 1, 0xa, "unsolicited", 11, 1);
	/* Three fragments with a ping between: the pong first, then the
	   message whole. */
	ws_send(&c, 0, 0x1, "frag", 4, 1);
	ws_send(&c, 0, 0x0, "men", 3, 1);
	ws_send(&c, 1, 0x9, "mid", 3, 1);
	ws_send(&c, 1, 0x0, "ted", 3, 1);
	ws_expect(&c, 0xa, "mid", 3);
	ws_expect(&c, 0x1, "fragmented", 10);
	/* 300 bytes: the 16-bit length form. */
	for (i = 0; i < sizeof(mid); i++)
		mid[i] = (uint8_t)i;
	ws_send(&c, 1, 0x2, mid, sizeof(mid), 1);
	ws_expect(&c, 0x2, mid, sizeof(mid));
	/* 70000 bytes, more than 65535: the 64-bit length form. */
	if ((big = malloc(70000)) == NULL)
		abort();
	harness_random_bytes(big, 70000, 6455);
	ws_send(&c, 1, 0x2, big, 70000, 1);
	ws_expect(&c, 0x2, big, 70000);
	free(big);
	/* An empty text message. */
	ws_send(&c, 1, 0x1, "", 0, 1);
	ws_expect(&c, 0x1, "", 0);
	/* Close 1000 "bye": the close comes back with 1000, then EOF. */
	ws_send(&c, 1, 0x8, bye, sizeof(bye), 1);
	ws_expect_close(&c, 1000);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Frames sent in the same write as the handshake arrive through the
   hijack's buffered bytes: echoed, in order. */
START_TEST(test_ws_pipelined_frames)
{
	static const uint8_t	 frames[] = {
		/* "Hi" and ping "p", masked with key 00 00 00 00 */
		0x81, 0x82, 0, 0, 0, 0, 'H', 'i',
		0x89, 0x81, 0, 0, 0, 0, 'p',
	};
	struct ferryd		 f;
	struct hc		 c;
	char			 req[512];
	size_t			 n;

	hx_start(&f, "ws", 1);
	hc_open(&c, &f);
	n = strlen(WS_HANDSHAKE);
	memcpy(req, WS_HANDSHAKE, n);
	memcpy(req + n, frames, sizeof(frames));
	hc_send(&c, req, n + sizeof(frames));
	hx_expect_101(&c, &f, "websocket");
	ws_expect(&c, 0x1, "Hi", 2);
	ws_expect(&c, 0xa, "p", 1);
	ws_send(&c, 1, 0x1, "after", 5, 1);
	ws_expect(&c, 0x1, "after", 5);
	ws_send(&c, 1, 0x8, "", 0, 1);
	ws_expect(&c, 0x8, "", 0);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Each broken client gets its close code, then the server closes. */
START_TEST(test_ws_protocol_errors)
{
	static const uint8_t	 bad_utf8[] = { 'a', 0xc0, 0xaf };
	static const uint8_t	 surrogate[] = { 0xed, 0xa0, 0x80 };
	static const uint8_t	 bad_code[] = { 0x03, 0xec };	/* 1004 */
	struct ferryd		 f;
	struct hc		 c;

	hx_start(&f, "ws", 1);

	/* An unmasked frame: 1002. */
	ws_open(&c, &f);
	ws_send(&c, 1, 0x1, "plain", 5, 0);
	ws_expect_close(&c, 1002);
	hc_close(&c);

	/* Text that is not UTF-8 (an overlong '/'): 1007. */
	ws_open(&c, &f);
	ws_send(&c, 1, 0x1, bad_utf8, sizeof(bad_utf8), 1);
	ws_expect_close(&c, 1007);
	hc_close(&c);

	/* A UTF-16 surrogate encoded in UTF-8: 1007. */
	ws_open(&c, &f);
	ws_send(&c, 1, 0x1, surrogate, sizeof(surrogate), 1);
	ws_expect_close(&c, 1007);
	hc_close(&c);

	/* A frame announcing 1 MiB + 1 bytes, in the 64-bit form: 1009
	   before any payload is sent. */
	ws_open(&c, &f);
	ws_send_raw_frame(&c, 1, 0x2, "", 0, 1, 1024 * 1024 + 1);
	ws_expect_close(&c, 1009);
	hc_close(&c);

	/* A continuation with no message begun: 1002. */
	ws_open(&c, &f);
	ws_send(&c, 1, 0x0, "x", 1, 1);
	ws_expect_close(&c, 1002);
	hc_close(&c);

	/* A fragmented ping: 1002. */
	ws_open(&c, &f);
	ws_send(&c, 0, 0x9, "x", 1, 1);
	ws_expect_close(&c, 1002);
	hc_close(&c);

	/* A reserved opcode: 1002. */
	ws_open(&c, &f);
	ws_send(&c, 1, 0x3, "x", 1, 1);
	ws_expect_close(&c, 1002);
	hc_close(&c);

	/* A close with a code no peer may send (1004): 1002. */
	ws_open(&c, &f);
	ws_send(&c, 1, 0x8, bad_code, sizeof(bad_code), 1);
	ws_expect_close(&c, 1002);
	hc_close(&c);

	/* A client that leaves without a close: the next one is served. */
	ws_open(&c, &f);
	hc_close(&c);
	ws_open(&c, &f);
	ws_send(&c, 1, 0x1, "still here", 10, 1);
	ws_expect(&c, 0x1, "still here", 10);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* RFC 6455 section 4.2.2: a bad handshake is refused, 426 with
   Sec-WebSocket-Version: 13 when only the version is wrong. */
START_TEST(test_ws_handshake_refused)
{
	static const struct {
		const char	*req;
		int		 status;
	} cases[] = {
		/* no Sec-WebSocket-Key */
		{ "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  400 },
		/* a key of 15 bytes */
		{ "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n\r\n", 400 },
		/* a key that is not base64 */
		{ "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\n\r\n", 400 },
		/* version 8 */
		{ WS_REQUEST("Sec-WebSocket-Version: 8\r\n"), 426 },
		/* no version */
		{ WS_REQUEST(""), 426 },
		/* no "Connection: Upgrade" */
		{ "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
		  "Sec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Key: " WS_KEY "\r\n\r\n", 400 },
		/* no Upgrade: a plain GET */
		{ "GET /ws HTTP/1.1\r\nHost: t\r\n\r\n", 400 },
		/* POST */
		{ "POST /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Key: " WS_KEY "\r\nContent-Length: 0\r\n\r\n",
		  400 },
	};
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	const char		*v;
	size_t			 i;

	hx_start(&f, "ws", 0);
	hc_open(&c, &f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hc_sendstr(&c, cases[i].req);
		hc_expect_response(&c, &r, 0);
		v = hc_header(&r, "Sec-WebSocket-Version");
		HARNESS_ASSERT(&f, r.status == cases[i].status,
		    "case %zu: %d, want %d: \"%s\"", i, r.status,
		    cases[i].status, r.body);
		HARNESS_ASSERT(&f, v != NULL && strcmp(v, "13") == 0,
		    "case %zu: Sec-WebSocket-Version \"%s\"", i,
		    v ? v : "(none)");
		hc_response_free(&r);
	}
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- websocket-echo against a real client ---- */

/*
 * The first python3 in PATH that can import websocket (Debian's
 * python3-websocket installs it for /usr/bin/python3, which another
 * python3 earlier in PATH may hide).  Fails the test when there is none.
 */
static char *
hx_find_python(const struct ferryd *f)
{
	const char	*path = getenv("PATH");
	const char	*argv[4] = { NULL, "-c", "import websocket", NULL };
	char		*dirs, *dir, *save = NULL, *out, *py;
	struct stat	 st;
	int		 seen = 0;

	HARNESS_ASSERT(f, path != NULL, "PATH is not set");
	if ((dirs = strdup(path)) == NULL || (py = malloc(4096)) == NULL)
		abort();
	for (dir = strtok_r(dirs, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(py, 4096, "%s/python3", *dir ? dir : ".");
		if (stat(py, &st) == -1 || !S_ISREG(st.st_mode) ||
		    access(py, X_OK) == -1)
			continue;
		seen = 1;
		argv[0] = py;
		out = NULL;
		if (harness_run(argv, &out, 30000) == 0) {
			free(out);
			free(dirs);
			return py;
		}
		free(out);
	}
	free(dirs);
	free(py);
	harness_fail(f, __FILE__, __LINE__, "%s", seen ?
	    "no python3 in PATH can import websocket: install Debian's "
	    "python3-websocket (apt-get install python3-websocket)" :
	    "no python3 in PATH: install python3 and python3-websocket");
}

/* The WebSocket example passes with a real WebSocket client from
   Debian's packages: python3-websocket, tests/integration/ws_client.py. */
START_TEST(test_ws_python_client)
{
	struct ferryd	 f;
	const char	*srcdir = getenv("top_srcdir");
	const char	*argv[4];
	char		 script[1024], url[128], *py, *out = NULL;
	int		 rv;

	hx_start(&f, "ws", 1);
	py = hx_find_python(&f);
	snprintf(script, sizeof(script), "%s/tests/integration/ws_client.py",
	    srcdir != NULL ? srcdir : ".");
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", f.port);
	argv[0] = py;
	argv[1] = script;
	argv[2] = url;
	argv[3] = NULL;
	rv = harness_run(argv, &out, 60000);
	HARNESS_ASSERT(&f, rv == 0 && strstr(out, "all checks passed") != NULL,
	    "%s %s exited %d:\n%s", script, url, rv, out);
	free(out);
	free(py);
	harness_stop_ok(&f);
}
END_TEST

/* ---- websocket-echo, retired ---- */

/* A text message on c comes back. */
static void
ws_echoes(struct hc *c, const char *text)
{
	ws_send(c, 1, 0x1, text, strlen(text), 1);
	ws_expect(c, 0x1, text, strlen(text));
}

/* max_requests = 2 with one worker: the second handshake retires the
   worker, and both its WebSockets live on (issue 13: both died) while a
   new worker takes the third; once its last WebSocket closed, the
   retired worker ends by itself. */
START_TEST(test_ws_survives_max_requests)
{
	struct ferryd	 f;
	struct hc	 c1, c2, c3;
	uint8_t		 bye[2] = { 0x03, 0xe8 };

	hx_start_ws(&f, "", "workers = 1\nmax_requests = 2\n");
	ws_open(&c1, &f);
	ws_open(&c2, &f);
	ws_open(&c3, &f);
	ws_echoes(&c1, "one");
	ws_echoes(&c2, "two");
	ws_echoes(&c3, "three");
	HARNESS_ASSERT(&f, harness_log_count(&f, "retired (served 2 "
	    "requests (max_requests))") == 1, "no retirement logged");
	ck_assert_int_eq(harness_log_count(&f, "retired worker exited"), 0);
	ws_send(&c1, 1, 0x8, bye, 2, 1);
	ws_expect_close(&c1, 1000);
	ws_echoes(&c2, "still");
	ws_send(&c2, 1, 0x8, bye, 2, 1);
	ws_expect_close(&c2, 1000);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "retired worker exited "
	    "(status 0)", 1, 10000) == 1, "websocket-echo did not end after "
	    "its last WebSocket closed");
	ws_echoes(&c3, "new");
	hc_close(&c1);
	hc_close(&c2);
	hc_close(&c3);
	harness_stop_ok(&f);
}
END_TEST

/* The other two of issue 13's websocket-echo cases (idle_timeout = 1:
   the WebSocket died 1 s after its handler returned; isolation =
   request: at once): the worker is retired, the WebSocket echoes on past
   the point where it died, a new WebSocket goes to a new worker, and the
   retired worker ends by itself once its last one is closed. */
static const struct ws_retire_case {
	const char	*what;
	const char	*settings;
	const char	*logged;	/* in the retirement's log line */
	int		 wait_ms;	/* before the WebSocket is tried */
} ws_retire_cases[] = {
	{ "idle_timeout", "workers = 1\nmin_workers = 0\nmax_workers = 2\n"
	    "idle_timeout = 1\n", "retired (idle_timeout)", 2500 },
	{ "isolation = request", "workers = 1\nisolation = request\n",
	    "retired (isolation = request", 500 },
};

START_TEST(test_ws_survives_retirement)
{
	const struct ws_retire_case *t = &ws_retire_cases[_i];
	struct ferryd	 f;
	struct hc	 c1, c2;
	uint8_t		 bye[2] = { 0x03, 0xe8 };

	hx_start_ws(&f, "", t->settings);
	ws_open(&c1, &f);
	ws_echoes(&c1, "one");
	harness_sleep_ms(t->wait_ms);
	ws_echoes(&c1, "still");
	HARNESS_ASSERT(&f, harness_wait_log(&f, t->logged, 1, 5000) == 1,
	    "%s: no retirement logged", t->what);
	ws_open(&c2, &f);
	ws_echoes(&c2, "two");
	ws_echoes(&c1, "and still");
	ck_assert_int_eq(harness_log_count(&f, "retired worker exited"), 0);
	ws_send(&c1, 1, 0x8, bye, 2, 1);
	ws_expect_close(&c1, 1000);
	HARNESS_ASSERT(&f, harness_wait_log(&f, "retired worker exited "
	    "(status 0)", 1, 10000) == 1, "%s: websocket-echo did not end "
	    "after its last WebSocket closed", t->what);
	ws_echoes(&c2, "new");
	hc_close(&c1);
	hc_close(&c2);
	harness_stop_ok(&f);
}
END_TEST

/* ferryd's stop gives the worker a deadline: each WebSocket gets a close
   1001 Going Away at once, answers it, and ferryd ends as soon as the
   last one is closed, well before shutdown_timeout. */
START_TEST(test_ws_going_away_at_stop)
{
	struct ferryd	 f;
	struct hc	 c;
	uint8_t		 away[2] = { 0x03, 0xe9 };

	hx_start_ws(&f, "shutdown_timeout = 60\n", "workers = 1\n");
	ws_open(&c, &f);
	ws_echoes(&c, "hi");
	ck_assert_int_eq(kill(f.pid, SIGTERM), 0);
	ws_expect(&c, 0x8, away, 2);
	ws_send(&c, 1, 0x8, away, 2, 1);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the server did not close after the close handshake");
	hc_close(&c);
	ck_assert_int_eq(harness_stop_timeout(&f, 20000), 0);
}
END_TEST

/* hijack_grace = 30 with max_requests = 1: the retirement has a
   deadline, so the WebSocket gets 1001 Going Away at once; once it is
   closed the worker ends by itself, long before its grace. */
START_TEST(test_ws_going_away_with_grace)
{
	struct ferryd	 f;
	struct hc	 c;
	uint8_t		 away[2] = { 0x03, 0xe9 };

	hx_start_ws(&f, "", "workers = 1\nmax_requests = 1\n"
	    "hijack_grace = 30\n");
	ws_open(&c, &f);
	ws_expect(&c, 0x8, away, 2);
	/* After its close the server sends no data frame (RFC 6455, 5.5.1):
	   this message is not echoed. */
	ws_send(&c, 1, 0x1, "late", 4, 1);
	ws_send(&c, 1, 0x8, away, 2, 1);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the server did not close after the close handshake");
	HARNESS_ASSERT(&f, harness_wait_log(&f, "retired worker exited "
	    "(status 0)", 1, 10000) == 1, "websocket-echo did not end after "
	    "its last WebSocket closed");
	hc_close(&c);
	ws_open(&c, &f);		/* a new worker */
	ws_expect(&c, 0x8, away, 2);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
hijack_examples_suite(void)
{
	Suite	*s = suite_create("hijack_examples");
	TCase	*echo = tcase_create("upgrade-echo");
	TCase	*ws = tcase_create("websocket-echo");

	tcase_set_timeout(echo, 60);
	tcase_add_test(echo, test_upgrade_echo_lines);
	tcase_add_test(echo, test_upgrade_echo_pipelined);
	tcase_add_test(echo, test_upgrade_echo_two_at_once);
	tcase_add_test(echo, test_upgrade_echo_426);
	suite_add_tcase(s, echo);
	tcase_set_timeout(ws, 90);
	tcase_add_test(ws, test_ws_echo);
	tcase_add_test(ws, test_ws_pipelined_frames);
	tcase_add_test(ws, test_ws_protocol_errors);
	tcase_add_test(ws, test_ws_handshake_refused);
	tcase_add_test(ws, test_ws_python_client);
	tcase_add_test(ws, test_ws_survives_max_requests);
	tcase_add_loop_test(ws, test_ws_survives_retirement, 0,
	    (int)(sizeof(ws_retire_cases) / sizeof(ws_retire_cases[0])));
	tcase_add_test(ws, test_ws_going_away_at_stop);
	tcase_add_test(ws, test_ws_going_away_with_grace);
	suite_add_tcase(s, ws);
	return s;
}

int
main(void)
{
	return harness_main(hijack_examples_suite(), "ferry-hx");
}
