/*
 * libferry: the worker library of the ferry application server, for
 * FastCGI responder apps.  It speaks plain FastCGI 1.0, so an app runs
 * under ferryd, nginx (fastcgi_pass), lighttpd or spawn-fcgi alike, plus
 * ferry's extensions when the server offers them: close-notify (the
 * server tells the app that its client left or pipelined the next
 * request) and hijack (the app takes over the client socket).  See
 * ferry(3).
 *
 * Errors: every call that can fail returns -1 (or NULL) and sets errno;
 * the library never exits and never writes to stdout.  errno values with
 * a meaning of their own:
 *   ENOTSOCK      the listening fd is not a listening socket
 *   EBUSY         ferry_accept() while a request is still being served
 *   EALREADY      status or header after the response head was sent
 *   ESHUTDOWN     body output after ferry_end()
 *   ECONNABORTED  the server aborted the request (FCGI_ABORT_REQUEST)
 *   EPIPE         the connection to the server is lost
 *   EPERM         body or response call after ferry_hijack()
 *   ESHUTDOWN     ferry_accept() once the server retired the worker
 *
 * Threads: a request's calls may be made from any thread while the request
 * lives (each is serialised inside the library), so one thread may block
 * in ferry_wait_notify() or poll ferry_notify_fd() while another computes,
 * reads the body or writes the response.  ferry_finish() (and the return
 * of a ferry_serve() handler) ends the request's life: every other thread
 * must have stopped using the request, and its notify fd, before it.  The
 * calls on a struct ferry (ferry_accept, ferry_close) are for one thread.
 */
#ifndef FERRY_H
#define FERRY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FERRY_API	__attribute__((visibility("default")))
#define FERRY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FERRY_API
#define FERRY_PRINTF(f, a)
#endif

struct ferry;		/* a listening socket and its current connection */
struct ferry_req;	/* one FastCGI request, from BEGIN to END_REQUEST */

/*
 * A request handler.  Its return value becomes the FastCGI app status of
 * END_REQUEST (0: success).  When it returns, the library ends the response
 * (as ferry_end) and frees the request.
 */
typedef int	(*ferry_handler_fn)(struct ferry_req *req, void *arg);

/* Close-notify reasons, as bits (ferry_notified, ferry_wait_notify). */
#define FERRY_GONE		0x1	/* the client went away */
#define FERRY_PIPELINED		0x2	/* the client sent its next request */

/* ---- Serving ---- */

/*
 * Serves FastCGI requests on fd 0 (FCGI_LISTENSOCK_FILENO), one at a time,
 * calling handler for each.  Returns 0 once ferryd retired the worker
 * (see ferry_on_retire: sockets the app hijacked are still its own), or
 * -1 when it cannot go on: fd 0 is not a listening socket (ENOTSOCK; it
 * then prints to stderr how to run the app) or accept fails for good.
 */
FERRY_API int	ferry_serve(ferry_handler_fn handler, void *arg);

/*
 * As ferry_serve(), but "--listen ADDR" (or "--listen=ADDR") in argv makes
 * it serve on its own socket (see ferry_listen) instead of fd 0.  Other
 * arguments are left to the app.  argv[0] names the app in messages.
 */
FERRY_API int	ferry_serve_args(int argc, char *const argv[],
		    ferry_handler_fn handler, void *arg);

/*
 * Opens a listening socket on ADDR: "unix:PATH" (a stale socket file at
 * PATH is replaced) or "HOST:PORT" ("[V6]:PORT" for IPv6 literals).
 * Returns the fd (close-on-exec) or -1 with errno set.
 */
FERRY_API int	ferry_listen(const char *addr);

/* ---- Accept-style use, for apps with their own loop ---- */

/*
 * Wraps the listening socket lfd (usually 0).  Returns NULL with errno
 * ENOTSOCK when lfd is not a listening socket, ENOMEM.  Prints nothing.
 */
FERRY_API struct ferry *ferry_open(int lfd);

/*
 * As ferry_open() on --listen ADDR from argv, else on fd 0; on failure it
 * prints to stderr what went wrong and how to run the app.
 */
FERRY_API struct ferry *ferry_open_args(int argc, char *const argv[]);

/*
 * Blocks until the next request's parameters have all arrived and returns
 * it; NULL with errno set on failure (EINTR when a signal interrupted the
 * wait for a connection, EBUSY when the previous request is not finished,
 * ESHUTDOWN once ferryd retired the worker: no request will come).
 */
FERRY_API struct ferry_req *ferry_accept(struct ferry *f);

/*
 * Ends the response (as ferry_end, if not done) and frees req, closing its
 * notify fd.  Returns ferry_end()'s result, 0 when it was already ended.
 */
FERRY_API int	ferry_finish(struct ferry_req *req);

/* Closes the connection, if any, and frees f; lfd stays open. */
FERRY_API void	ferry_close(struct ferry *f);

/* ---- The request ---- */

/* The value of FastCGI parameter NAME (first one wins), or NULL. */
FERRY_API const char *ferry_param(const struct ferry_req *req, const char *name);
/* Parameter i (0-based, in arrival order): 1 and *name, *value set, or 0
   past the last. */
FERRY_API int	ferry_param_at(const struct ferry_req *req, size_t i,
		    const char **name, const char **value);

/* REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING: "" when absent. */
FERRY_API const char *ferry_method(const struct ferry_req *req);
FERRY_API const char *ferry_script_name(const struct ferry_req *req);
FERRY_API const char *ferry_path_info(const struct ferry_req *req);
FERRY_API const char *ferry_query(const struct ferry_req *req);
/* The decoded request path, SCRIPT_NAME followed by PATH_INFO. */
FERRY_API const char *ferry_path(const struct ferry_req *req);

/*
 * The request header field NAME (case-insensitive, e.g. "User-Agent"), as
 * the server passed it: HTTP_USER_AGENT, or CONTENT_TYPE / CONTENT_LENGTH
 * for those two.  NULL when absent or when NAME is not a field name.
 */
FERRY_API const char *ferry_header(const struct ferry_req *req, const char *name);

/* CONTENT_LENGTH as a number, or -1 when absent or not a decimal number. */
FERRY_API int64_t ferry_content_length(const struct ferry_req *req);

/* The FastCGI request id (for logs). */
FERRY_API unsigned ferry_request_id(const struct ferry_req *req);

/* ---- The request body ---- */

/*
 * Reads up to len bytes of the body (FCGI_STDIN) into buf, blocking until
 * some arrive.  Returns the bytes read, 0 at the end of the body, -1 with
 * errno: ECONNABORTED (aborted), EPIPE (connection lost before the end).
 */
FERRY_API ssize_t ferry_read(struct ferry_req *req, void *buf, size_t len);

/*
 * Drops the rest of the body without waiting: ferry_read returns 0 from
 * now on.  Returns 0.  Under ferryd (STDIN flow control, "window") a
 * handler hears notifications whether it reads its body or not; under
 * other servers, call it when the body is of no interest and the handler
 * will compute for long: until the body has arrived, the library cannot
 * see the notifications the server sends after it.
 */
FERRY_API int	ferry_discard(struct ferry_req *req);

/* ---- The response ---- */

/*
 * Sets the status (100..999, default 200).  Returns 0, or -1 with EINVAL
 * (bad code) or EALREADY (the head was sent).
 */
FERRY_API int	ferry_status(struct ferry_req *req, int code);

/*
 * Adds a response header field.  NAME must be an HTTP token, VALUE free of
 * CR, LF and NUL.  Returns 0, or -1 with EINVAL, EALREADY (head sent),
 * ENOMEM.  Without a Content-Type the library adds
 * "Content-Type: text/plain; charset=utf-8" (not for 1xx, 204, 304).
 */
FERRY_API int	ferry_add_header(struct ferry_req *req, const char *name,
		    const char *value);

/*
 * Appends len bytes to the response body.  Output is buffered (16 KiB);
 * a full buffer, ferry_flush() and ferry_end() send it as FCGI_STDOUT
 * records, the CGI response head first.  Returns len, or -1 with errno
 * (ESHUTDOWN, ECONNABORTED, EPIPE).
 */
FERRY_API ssize_t ferry_write(struct ferry_req *req, const void *buf, size_t len);
/* ferry_write() of a formatted string; returns its length or -1. */
FERRY_API int	ferry_printf(struct ferry_req *req, const char *fmt, ...)
		    FERRY_PRINTF(2, 3);
/* Sends the head, if not yet sent, and the buffered body now.  0 or -1. */
FERRY_API int	ferry_flush(struct ferry_req *req);

/*
 * Completes the response: flushes it, ends FCGI_STDOUT and sends
 * END_REQUEST.  The request stays readable (params, notifications) until
 * ferry_finish; later body output fails with ESHUTDOWN.  Returns 0 or -1
 * (ESHUTDOWN when called twice, EPIPE).  After an abort it still sends
 * END_REQUEST, as FastCGI wants.
 */
FERRY_API int	ferry_end(struct ferry_req *req);

/* ---- Close-notify ---- */

/*
 * The reasons that arrived so far for this request, as FERRY_GONE |
 * FERRY_PIPELINED bits; never blocks.  GONE also means the server aborted
 * the request (FCGI_ABORT_REQUEST) or its connection was lost.  Reasons
 * are kept: once set, a bit stays set for the request's life.
 */
FERRY_API int	ferry_notified(struct ferry_req *req);
/* ferry_notified() & FERRY_GONE, as 0 or 1. */
FERRY_API int	ferry_gone(struct ferry_req *req);
/* ferry_notified() & FERRY_PIPELINED, as 0 or 1. */
FERRY_API int	ferry_pipelined(struct ferry_req *req);

/*
 * Blocks until one of the reasons in mask (0: any) has arrived or
 * timeout_ms milliseconds passed (-1: no limit).  Returns ferry_notified()
 * when a reason in mask is set, 0 on timeout.
 */
FERRY_API int	ferry_wait_notify(struct ferry_req *req, int mask, int timeout_ms);

/*
 * A descriptor that becomes readable (poll, select, epoll, libev...) once
 * any reason has arrived, and stays readable; do not read or close it: it
 * belongs to the request and ferry_finish closes it.  Created on the first
 * call.  Returns the fd, or -1 with errno.
 */
FERRY_API int	ferry_notify_fd(struct ferry_req *req);

/* ---- Hijack ---- */

/*
 * Takes over the client connection: the server (ferryd) passes the client
 * socket itself, with every byte it read from the client and did not pass
 * on (request body bytes the handler did not read, chunk framing included
 * when the body was chunked, and whatever the client sent after the
 * request).  Response bytes already sent with ferry_flush() reach the
 * client before the hand-over; a head or body still buffered here is
 * dropped.
 *
 * Returns the client socket (blocking mode, close-on-exec), now owned by
 * the caller, who closes it whenever it likes (also after the handler
 * returned: the FastCGI request itself ends normally).  *buf is set to a
 * malloc'd copy of the unconsumed bytes (NULL when *len is 0), which the
 * caller reads before reading the socket and frees with free().
 *
 * Returns -1 with errno:
 *   EOPNOTSUPP    the server does not offer hijack (not ferryd, or a
 *                 ferryd that did not see this app announce it)
 *   EALREADY      the request was hijacked already
 *   ESHUTDOWN     after ferry_end(): the response is complete
 *   ENOTCONN      the client is gone (the server refused)
 *   ECONNREFUSED  the server refused for another reason
 *   EPIPE         the connection to the server is lost
 *   ENOMEM
 * ferry_hijack_error() then says why in words.
 *
 * After ferry_discard() the body bytes the server had passed on are gone;
 * those it still held come in *buf with the rest.
 *
 * After a successful hijack the request's body and response calls
 * (ferry_read, ferry_write, ferry_printf, ferry_flush, ferry_status,
 * ferry_add_header) fail with EPERM; a zero-length ferry_write returns 0.
 * No close-notify arrives for the request after it was hijacked.
 */
FERRY_API int	ferry_hijack(struct ferry_req *req, void **buf, size_t *len);

/* Why the last ferry_hijack() on req failed ("" when it did not). */
FERRY_API const char *ferry_hijack_error(const struct ferry_req *req);

/* 1 once req was hijacked, else 0. */
FERRY_API int	ferry_hijacked(const struct ferry_req *req);

/* ---- Retirement ---- */

/* Why ferryd retired the worker (ferry_on_retire, ferry_retired). */
#define FERRY_RETIRED_RECYCLED	1	/* max_requests, isolation = request */
#define FERRY_RETIRED_IDLE	2	/* idle_timeout */
#define FERRY_RETIRED_STOPPING	3	/* ferryd stops */
#define FERRY_RETIRED_RELOADED	4	/* a reload replaced the pool */

/*
 * The app's "going away" callback: why (FERRY_RETIRED_*) and the
 * milliseconds left before ferryd stops the process (-1: no limit).
 */
typedef void	(*ferry_retire_fn)(int why, int grace_ms, void *arg);

/*
 * ferryd retires, instead of stopping, a worker that took client sockets
 * with ferry_hijack(): it sends no more requests and tells the worker,
 * which should end once it is done with the sockets it holds (ferryd
 * stops it after hijack_grace).  Sets the callback run then, once per
 * process, from the thread in ferry_accept() (or ferry_serve()) before
 * that returns "no more requests"; fn NULL: none.  Process-wide: set it
 * before serving.
 */
FERRY_API void	ferry_on_retire(ferry_retire_fn fn, void *arg);

/* 0 while the worker serves, else why it was retired (FERRY_RETIRED_*). */
FERRY_API int	ferry_retired(void);

#ifdef __cplusplus
}
#endif

#endif
