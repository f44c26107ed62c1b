/*
 * The integration test harness (see harness.h): ferryd as a child process,
 * a raw HTTP/1.1 client with a strict response reader, the checks of
 * table rows (hc_check), every suite's main(), and the helpers the suites
 * share.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define HC_MAX_HEAD	(64 * 1024)	/* a longer response head is an error */
#define HC_MAX_BODY	(1ULL << 31)	/* sanity cap of a Content-Length */
#define LOG_TAIL	2500		/* bytes of each log in a failure */

static const char *harness_tmp_base(void);
static char	*harness_subst(const char *text, const struct ferryd *f);
static pid_t	harness_spawn(struct ferryd *f, const char *const extra[]);
static int	harness_wait_ready(struct ferryd *f);
static int	harness_status_code(int wstatus);
static int	harness_rm_entry(const char *path, const struct stat *st,
		    int flag, struct FTW *ftw);
static char	*harness_tail(const char *path, size_t max);
static void	hc_escape(char *out, size_t outlen, const char *p, size_t len);
static int	hc_ensure(struct hc *c, size_t need, struct hc_response *r);
static int	hc_find_head(struct hc *c, size_t off, size_t *end,
		    struct hc_response *r);
static int	hc_parse_head(struct hc_response *r, const char *p,
		    size_t len);
static int	hc_body_length(struct hc *c, size_t *off,
		    struct hc_response *r, unsigned long long cl);
static int	hc_body_chunked(struct hc *c, size_t *off,
		    struct hc_response *r);
static int	hc_body_close(struct hc *c, size_t *off,
		    struct hc_response *r);
static int	hc_line(struct hc *c, size_t off, size_t *eol,
		    struct hc_response *r, const char *what);
static int	hc_append_body(struct hc_response *r, const char *p,
		    size_t len);
static void	hc_consume(struct hc *c, size_t n);
static int	hc_is_tchar(int ch);
static int	hc_parse_ulong(const char *p, size_t len, int base,
		    unsigned long long max, unsigned long long *out);
static char	*harness_unconst(const char *s);
static void	hc_error(struct hc_response *r, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* ---- ferryd ---- */

/* exec wants char *const argv[] of strings it does not modify. */
static char *
harness_unconst(const char *s)
{
	union {
		const char	*c;
		char		*p;
	} u;

	u.c = s;
	return u.p;
}

static const char *
harness_tmp_base(void)
{
	const char	*base;

	if ((base = getenv("FERRY_TEST_TMP")) != NULL && *base != '\0')
		return base;
	if ((base = getenv("TMPDIR")) != NULL && *base != '\0')
		return base;
	return "/tmp";
}

int
harness_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "socket: %s",
		    strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "bind port 0: %s",
		    strerror(errno));
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

int
harness_connect(int port)
{
	struct sockaddr_in	sin;
	int			fd, e;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Replaces @CGI_BIN@, @DIR@ and @PORT@ in text. */
static char *
harness_subst(const char *text, const struct ferryd *f)
{
	size_t		 cap = strlen(text) * 2 + 4096, n = 0;
	char		*out = malloc(cap);
	const char	*p, *rep;
	char		 port[16];
	size_t		 skip, rl;

	if (out == NULL)
		abort();
	for (p = text; *p != '\0'; p += skip) {
		rep = NULL;
		skip = 1;
		if (strncmp(p, "@CGI_BIN@", 9) == 0) {
			rep = f->cgi;
			skip = 9;
		} else if (strncmp(p, "@DIR@", 5) == 0) {
			rep = f->dir;
			skip = 5;
		} else if (strncmp(p, "@PORT@", 6) == 0) {
			snprintf(port, sizeof(port), "%d", f->port);
			rep = port;
			skip = 6;
		}
		rl = rep != NULL ? strlen(rep) : 1;
		if (n + rl + 1 > cap) {
			cap = (n + rl + 1) * 2;
			if ((out = realloc(out, cap)) == NULL)
				abort();
		}
		if (rep != NULL)
			memcpy(out + n, rep, rl);
		else
			out[n] = *p;
		n += rl;
	}
	out[n] = '\0';
	return out;
}

static pid_t
harness_spawn(struct ferryd *f, const char *const extra[])
{
	char		*argv[64];
	char		 listen[64], cgi[600];
	const char	*ferryd = getenv("FERRYD");
	size_t		 n = 0, i;
	pid_t		 parent = getpid(), pid;
	int		 fd;
	sigset_t	 none;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->port);
	snprintf(cgi, sizeof(cgi), "/cgi-bin/=%s", f->cgi);
	argv[n++] = harness_unconst(ferryd);
	if (f->conf_path[0] != '\0') {
		argv[n++] = "-c";
		argv[n++] = f->conf_path;
	}
	if (!f->listen_in_conf) {
		argv[n++] = "--listen";
		argv[n++] = listen;
	}
	argv[n++] = "--cgi";
	argv[n++] = cgi;
	argv[n++] = "--user";	/* as root: root by choice */
	argv[n++] = harness_unconst(harness_user());
	argv[n++] = "--error-log";
	argv[n++] = f->error_log;
	argv[n++] = "--access-log";
	argv[n++] = f->access_log;
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (n >= sizeof(argv) / sizeof(argv[0]) - 1)
			harness_fail(NULL, __FILE__, __LINE__,
			    "too many extra arguments");
		argv[n++] = harness_unconst(extra[i]);
	}
	argv[n] = NULL;

	if ((pid = fork()) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "fork: %s",
		    strerror(errno));
	if (pid != 0)
		return pid;

	/* The child: dies with the test process, logs to stderr_log. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(126);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	if ((fd = open(f->stderr_log, O_WRONLY | O_CREAT | O_APPEND,
	    0644)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	/* Only 0, 1 and 2 reach ferryd, whatever make check inherited, so
	   that an fd a script sees leaked from ferryd itself. */
	close_range(3, ~0U, 0);
	if (f->nofile > 0) {
		struct rlimit	rl;

		rl.rlim_cur = rl.rlim_max = (rlim_t)f->nofile;
		if (f->nofile_soft > 0)
			rl.rlim_cur = (rlim_t)f->nofile_soft;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			_exit(125);
	}
	/* A variable that must never reach a script (see test_env_exact). */
	setenv("FERRY_TEST_LEAK_CANARY", "leaked", 1);
	execv(ferryd, argv);
	fprintf(stderr, "harness: exec %s: %s\n", ferryd, strerror(errno));
	_exit(127);
}

/* 0 when ferryd accepts connections; -1 when it exited; -2 on timeout. */
static int
harness_wait_ready(struct ferryd *f)
{
	long long	 deadline = harness_now_ms() + 10000;

	while (harness_now_ms() < deadline) {
		if (harness_exited(f))
			return -1;
		if (f->share_port > 0) {
			/* The port answers already: the sibling's. */
			if (harness_log_count(f, "ready\n") > 0)
				return 0;
			harness_sleep_ms(10);
			continue;
		}
		if (harness_port_accepts(f->port)) {
			/* Another test's server may hold the port we picked
			   (make -j runs suites in parallel): ours then exits
			   on bind.  Make sure it is still there. */
			harness_sleep_ms(30);
			return harness_exited(f) ? -1 : 0;
		}
		harness_sleep_ms(10);
	}
	return -2;
}

int
harness_port_accepts(int port)
{
	int	fd;

	if ((fd = harness_connect(port)) == -1)
		return 0;
	close(fd);
	return 1;
}

unsigned int
hc_local_port(const struct hc *c)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	ck_assert_int_eq(getsockname(c->fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

const char *
harness_user(void)
{
	struct passwd	*pw = getpwuid(geteuid());

	if (pw == NULL)
		harness_fail(NULL, __FILE__, __LINE__, "no user has uid %ld",
		    (long)geteuid());
	return pw->pw_name;
}

/* 1 when the section whose body starts at p has a user line. */
static int
harness_section_user(const char *p)
{
	const char	*nl;

	while (*p != '\0' && *p != '[') {
		p += strspn(p, " \t");
		if (strncmp(p, "user", 4) == 0 && strspn(p + 4, " \t=") > 0)
			return 1;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

char *
harness_conf_users(const char *text)
{
	size_t		 cap = strlen(text) + 4096, n = 0, len;
	char		*out = malloc(cap);
	const char	*p, *end;

	if (out == NULL)
		abort();
	for (p = text; *p != '\0'; p = end) {
		end = strchr(p, '\n');
		end = end != NULL ? end + 1 : p + strlen(p);
		len = (size_t)(end - p);
		if (n + len + 16 > cap && (out = realloc(out,
		    cap = (n + len + 16) * 2)) == NULL)
			abort();
		memcpy(out + n, p, len);
		n += len;
		if (geteuid() == 0 && strncmp(p, "[app ", 5) == 0 &&
		    !harness_section_user(end)) {
			if (end[-1] != '\n')
				out[n++] = '\n';
			memcpy(out + n, "user = root\n", 12);
			n += 12;
		}
	}
	out[n] = '\0';
	return out;
}

void
harness_write_conf(const struct ferryd *f, const char *conf_text)
{
	char	*subst = harness_subst(conf_text, f);
	char	*conf = harness_conf_users(subst);
	char	 tmp[sizeof(f->conf_path) + 8];

	/* Whole or not at all: a reload never reads half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->conf_path);
	harness_write_file(tmp, conf, strlen(conf), 0644);
	if (rename(tmp, f->conf_path) == -1)
		harness_fail(f, __FILE__, __LINE__, "rename %s: %s", tmp,
		    strerror(errno));
	free(subst);
	free(conf);
}

void
harness_start(struct ferryd *f, const char *conf_text,
    const char *const extra_argv[])
{
	const char	*cgi = f->cgi_dir;
	int		 attempt, rc;

	if (getenv("FERRYD") == NULL)
		harness_fail(NULL, __FILE__, __LINE__,
		    "FERRYD is not set: run the suite with make check");
	if (cgi == NULL && (cgi = getenv("FERRY_TEST_CGI_BIN")) == NULL)
		harness_fail(NULL, __FILE__, __LINE__,
		    "FERRY_TEST_CGI_BIN is not set: run with make check");
	snprintf(f->cgi, sizeof(f->cgi), "%s", cgi);
	snprintf(f->dir, sizeof(f->dir), "%s/ferryd.XXXXXX",
	    harness_tmp_base());
	if (mkdtemp(f->dir) == NULL)
		harness_fail(NULL, __FILE__, __LINE__, "mkdtemp %s: %s",
		    f->dir, strerror(errno));
	snprintf(f->error_log, sizeof(f->error_log), "%s/error.log", f->dir);
	snprintf(f->access_log, sizeof(f->access_log), "%s/access.log",
	    f->dir);
	snprintf(f->stderr_log, sizeof(f->stderr_log), "%s/stderr.log",
	    f->dir);
	f->conf_path[0] = '\0';
	if (conf_text != NULL)
		snprintf(f->conf_path, sizeof(f->conf_path), "%s/ferry.conf",
		    f->dir);

	for (attempt = 0; attempt < 5; attempt++) {
		f->port = f->share_port > 0 ? f->share_port :
		    harness_free_port();
		if (conf_text != NULL)
			harness_write_conf(f, conf_text);
		f->reaped = 0;
		f->wstatus = 0;
		f->pid = harness_spawn(f, extra_argv);
		if ((rc = harness_wait_ready(f)) == 0)
			return;
		if (rc == -2) {
			harness_stop_timeout(f, 2000);
			harness_fail(f, __FILE__, __LINE__,
			    "ferryd did not accept connections on port %d "
			    "within 10 s", f->port);
		}
		/* Exited: retry only when someone took the port meanwhile. */
		{
			char	*logs = harness_logs(f);
			int	 inuse = strstr(logs, "in use") != NULL;

			free(logs);
			if (!inuse || attempt == 4)
				harness_fail(f, __FILE__, __LINE__,
				    "ferryd exited during startup with "
				    "status %d", harness_status_code(
				    f->wstatus));
		}
		unlink(f->error_log);
		unlink(f->stderr_log);
	}
}

static int
harness_status_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

int
harness_exited(struct ferryd *f)
{
	pid_t	r;

	if (f->reaped)
		return 1;
	if (f->pid <= 0)
		return 1;
	r = waitpid(f->pid, &f->wstatus, WNOHANG);
	if (r == f->pid) {
		f->reaped = 1;
		return 1;
	}
	return 0;
}

int
harness_stop_timeout(struct ferryd *f, int timeout_ms)
{
	long long	deadline;

	if (harness_exited(f))
		return harness_status_code(f->wstatus);
	kill(f->pid, SIGTERM);
	deadline = harness_now_ms() + timeout_ms;
	while (harness_now_ms() < deadline) {
		if (harness_exited(f))
			return harness_status_code(f->wstatus);
		harness_sleep_ms(10);
	}
	kill(f->pid, SIGKILL);
	waitpid(f->pid, &f->wstatus, 0);
	f->reaped = 1;
	harness_fail(f, __FILE__, __LINE__,
	    "ferryd did not exit within %d ms of SIGTERM", timeout_ms);
}

int
harness_stop(struct ferryd *f)
{
	return harness_stop_timeout(f, 20000);
}

void
harness_stop_ok(struct ferryd *f)
{
	int	code = harness_stop(f);

	if (code != 0)
		harness_fail(f, __FILE__, __LINE__,
		    "ferryd exited with status %d after SIGTERM", code);
}

void
harness_start_app(struct ferryd *f, const char *conf_text,
    const char *prefix, const char *program, const char *listen)
{
	char		 app[1024];
	const char	*argv[7];
	size_t		 n = 0;

	snprintf(app, sizeof(app), "%s=%s", prefix, program);
	argv[n++] = "--app";
	argv[n++] = app;
	argv[n++] = "--workers";
	argv[n++] = "1";
	if (listen != NULL) {
		argv[n++] = "--listen";
		argv[n++] = listen;
	}
	argv[n] = NULL;
	memset(f, 0, sizeof(*f));
	harness_start(f, conf_text, argv);
}

void
harness_start_fcgi(struct ferryd *f, const char *server, const char *prefix,
    const char *program, const char *settings)
{
	char	 conf[4096];

	snprintf(conf, sizeof(conf),
	    "[server]\n"
	    "%s"
	    "[app a]\n"
	    "type = fastcgi\n"
	    "prefix = %s\n"
	    "command = %s\n"
	    "%s", server != NULL ? server : "", prefix, program,
	    settings != NULL ? settings : "");
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

static char *
harness_tail(const char *path, size_t max)
{
	size_t	 len;
	char	*all = harness_read_file(path, &len), *out;

	if (all == NULL)
		return strdup("(none)\n");
	if (len <= max)
		return all;
	if ((out = malloc(max + 8)) == NULL)
		abort();
	memcpy(out, "[...]", 5);
	memcpy(out + 5, all + len - max, max);
	out[max + 5] = '\0';
	free(all);
	return out;
}

char *
harness_logs(const struct ferryd *f)
{
	char	*err, *std, *out;
	size_t	 n;

	if (f == NULL || f->dir[0] == '\0')
		return strdup("");
	err = harness_tail(f->error_log, LOG_TAIL);
	std = harness_tail(f->stderr_log, LOG_TAIL);
	n = strlen(err) + strlen(std) + 128;
	if ((out = malloc(n)) == NULL)
		abort();
	snprintf(out, n, "--- error log ---\n%s\n--- stderr ---\n%s", err, std);
	free(err);
	free(std);
	return out;
}

void
harness_fail(const struct ferryd *f, const char *file, int line,
    const char *fmt, ...)
{
	char	 msg[4096];
	char	*logs;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logs = harness_logs(f);
	_ck_assert_failed(file, line, "harness", "%s%s%s", msg,
	    logs[0] != '\0' ? "\n" : "", logs);
}

/* ---- client ---- */

void
hc_init_fd(struct hc *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void
hc_open(struct hc *c, const struct ferryd *f)
{
	struct sockaddr_in	 sin;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		harness_fail(f, __FILE__, __LINE__, "socket: %s",
		    strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(f->port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		harness_fail(f, __FILE__, __LINE__, "connect to port %d: %s",
		    f->port, strerror(errno));
	hc_init_fd(c, fd);
	c->f = f;
}

void
hc_open_unix(struct hc *c, const struct ferryd *f, const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		harness_fail(f, __FILE__, __LINE__, "path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		harness_fail(f, __FILE__, __LINE__, "connect to %s: %s", path,
		    strerror(errno));
	hc_init_fd(c, fd);
	c->f = f;
}

void
hc_open_ipv6(struct hc *c, const struct ferryd *f, int port)
{
	struct sockaddr_in6	sin6;
	int			fd;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	sin6.sin6_port = htons(port);
	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1)
		harness_fail(f, __FILE__, __LINE__, "connect to [::1]:%d: %s",
		    port, strerror(errno));
	hc_init_fd(c, fd);
	c->f = f;
}

int
harness_free_port6(void)
{
	struct sockaddr_in6	 sin6;
	socklen_t		 len = sizeof(sin6);
	int			 fd, port = -1;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin6, &len) == 0)
		port = ntohs(sin6.sin6_port);
	close(fd);
	return port;
}

void
hc_close(struct hc *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

size_t
hc_send_until_stuck(struct hc *c, size_t len, int stall_ms)
{
	char		 buf[16384];
	struct pollfd	 pfd;
	size_t		 sent = 0;
	ssize_t		 n;

	memset(buf, 'x', sizeof(buf));
	while (sent < len) {
		n = send(c->fd, buf, len - sent < sizeof(buf) ? len - sent :
		    sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, stall_ms) <= 0)
			break;
	}
	return sent;
}

void
hc_reset(struct hc *c)
{
	struct linger	 lg = { 1, 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	hc_close(c);
}

int
hc_try_send(struct hc *c, const void *data, size_t len)
{
	const char	*p = data;
	long long	 deadline;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 left, tmo = c->timeout_ms > 0 ? c->timeout_ms :
			    HARNESS_TIMEOUT_MS;

	deadline = harness_now_ms() + tmo;
	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			deadline = harness_now_ms() + tmo;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((left = (int)(deadline - harness_now_ms())) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		poll(&pfd, 1, left);
	}
	return 0;
}

void
hc_send(struct hc *c, const void *data, size_t len)
{
	if (hc_try_send(c, data, len) == -1)
		harness_fail(c->f, __FILE__, __LINE__,
		    "sending %zu bytes: %s", len, strerror(errno));
}

void
hc_sendstr(struct hc *c, const char *s)
{
	hc_send(c, s, strlen(s));
}

void
hc_send_pieces(struct hc *c, const void *data, size_t len, size_t piece,
    int delay_ms)
{
	const char	*p = data;
	size_t		 n;

	while (len > 0) {
		n = len < piece ? len : piece;
		hc_send(c, p, n);
		p += n;
		len -= n;
		if (len > 0 && delay_ms > 0)
			harness_sleep_ms(delay_ms);
	}
}

void
hc_shutdown_write(struct hc *c)
{
	if (shutdown(c->fd, SHUT_WR) == -1)
		harness_fail(c->f, __FILE__, __LINE__, "shutdown: %s",
		    strerror(errno));
}

ssize_t
hc_fill(struct hc *c, int timeout_ms)
{
	long long	 deadline = harness_now_ms() + timeout_ms;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 left;

	if (c->eof)
		return 0;
	for (;;) {
		if (c->cap - c->len < 65536) {
			c->cap = c->cap * 2 + 65536;
			if ((c->buf = realloc(c->buf, c->cap)) == NULL)
				abort();
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
		if (n > 0) {
			c->len += (size_t)n;
			c->buf[c->len] = '\0';
			return n;
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->eof = 1;
			c->reset = 1;
			return 0;
		}
		if ((left = (int)(deadline - harness_now_ms())) <= 0)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		poll(&pfd, 1, left);
	}
}

int
hc_wait_closed(struct hc *c, int timeout_ms)
{
	ssize_t	n;

	if (c->len > 0)
		return 0;
	n = hc_fill(c, timeout_ms);
	if (n == 0)
		return c->len > 0 ? 0 : 1;
	return n > 0 ? 0 : -1;
}

int
hc_quiet(struct hc *c, int ms)
{
	if (c->len > 0 || c->eof)
		return 0;
	return hc_fill(c, ms) == -1;
}

static void
hc_consume(struct hc *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	if (c->buf != NULL)
		c->buf[c->len] = '\0';
}

static void
hc_escape(char *out, size_t outlen, const char *p, size_t len)
{
	size_t	o = 0, i;

	for (i = 0; i < len && o + 8 < outlen; i++) {
		unsigned char	ch = (unsigned char)p[i];

		if (ch == '\r')
			o += (size_t)snprintf(out + o, outlen - o, "\\r");
		else if (ch == '\n')
			o += (size_t)snprintf(out + o, outlen - o, "\\n");
		else if (ch < 0x20 || ch >= 0x7f || ch == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    ch);
		else
			out[o++] = (char)ch;
	}
	if (i < len && o + 4 < outlen)
		o += (size_t)snprintf(out + o, outlen - o, "...");
	out[o] = '\0';
}

static void
hc_error(struct hc_response *r, const char *fmt, ...)
{
	va_list	ap;

	if (r->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

/* Makes sure c->buf holds need bytes. 0, or -1 (EOF, timeout) */
static int
hc_ensure(struct hc *c, size_t need, struct hc_response *r)
{
	int	tmo = c->timeout_ms > 0 ? c->timeout_ms : HARNESS_TIMEOUT_MS;
	ssize_t	n;

	while (c->len < need) {
		n = hc_fill(c, tmo);
		if (n == 0) {
			hc_error(r, "%s after %zu of %zu bytes",
			    c->reset ? "connection reset" : "EOF",
			    c->len, need);
			return -1;
		}
		if (n < 0) {
			hc_error(r, "no byte for %d ms (have %zu of %zu)",
			    tmo, c->len, need);
			return -1;
		}
	}
	return 0;
}

/* Finds the end of a head (after its empty line) from off. */
static int
hc_find_head(struct hc *c, size_t off, size_t *end, struct hc_response *r)
{
	size_t	i = off, ls = off;
	char	ex[200];

	for (;;) {
		for (; i < c->len; i++) {
			if (c->buf[i] != '\n')
				continue;
			if (i == ls || (i == ls + 1 && c->buf[ls] == '\r')) {
				*end = i + 1;
				return 0;
			}
			ls = i + 1;
		}
		if (i - off > HC_MAX_HEAD) {
			hc_error(r, "response head longer than %d bytes",
			    HC_MAX_HEAD);
			return -1;
		}
		if (hc_ensure(c, i + 1, r) == -1) {
			hc_escape(ex, sizeof(ex), c->buf + off, c->len - off);
			snprintf(r->error + strlen(r->error),
			    sizeof(r->error) - strlen(r->error),
			    " while reading a response head; got \"%s\"", ex);
			return -1;
		}
	}
}

static int
hc_is_tchar(int ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Parses len digits of the base (10 or 16); 0, or -1 if invalid. */
static int
hc_parse_ulong(const char *p, size_t len, int base, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long	v = 0;
	size_t			i;
	int			d;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (base == 16 && p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (base == 16 && p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		if (v > (max - (unsigned long long)d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Parses a head (status line, fields, empty line) into r. */
static int
hc_parse_head(struct hc_response *r, const char *p, size_t len)
{
	char			*s, *line, *next, *colon, *v, *e;
	char			 ex[200];
	unsigned long long	 code;
	size_t			 ll;

	free(r->storage);
	if ((r->storage = malloc(len + 1)) == NULL)
		abort();
	memcpy(r->storage, p, len);
	r->storage[len] = '\0';
	r->nheaders = 0;
	for (line = s = r->storage; *line != '\0'; line = next) {
		if ((e = strchr(line, '\n')) == NULL)
			break;
		next = e + 1;
		if (e == line || e[-1] != '\r' ||
		    memchr(line, '\r', (size_t)(e - 1 - line)) != NULL) {
			hc_escape(ex, sizeof(ex), line, (size_t)(next - line));
			hc_error(r, "line not ended by CRLF or holding a bare "
			    "CR: \"%s\"", ex);
			return -1;
		}
		e[-1] = '\0';
		ll = (size_t)(e - 1 - line);
		if (line == s) {
			/* status-line = HTTP-version SP status-code SP
			   [ reason-phrase ] */
			if (ll < 13 || strncmp(line, "HTTP/1.", 7) != 0 ||
			    line[7] < '0' || line[7] > '9' || line[8] != ' ' ||
			    hc_parse_ulong(line + 9, 3, 10, 999, &code) ||
			    line[12] != ' ' || code < 100) {
				hc_escape(ex, sizeof(ex), line, ll);
				hc_error(r, "bad status line \"%s\"", ex);
				return -1;
			}
			r->minor = line[7] - '0';
			r->status = (int)code;
			r->reason = line + 13;
			continue;
		}
		if (ll == 0)
			return 0;
		if (line[0] == ' ' || line[0] == '\t') {
			hc_escape(ex, sizeof(ex), line, ll);
			hc_error(r, "obs-fold in a response: \"%s\"", ex);
			return -1;
		}
		for (colon = line; hc_is_tchar((unsigned char)*colon); colon++)
			;
		if (*colon != ':' || colon == line) {
			hc_escape(ex, sizeof(ex), line, ll);
			hc_error(r, "bad header field \"%s\"", ex);
			return -1;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (e = v; *e != '\0'; e++) {
			if ((unsigned char)*e < 0x20 && *e != '\t') {
				hc_error(r, "control byte in field %s", line);
				return -1;
			}
			if (*e == 0x7f) {
				hc_error(r, "DEL in field %s", line);
				return -1;
			}
		}
		if (r->nheaders == HC_MAX_HEADERS) {
			hc_error(r, "more than %d header fields",
			    HC_MAX_HEADERS);
			return -1;
		}
		r->headers[r->nheaders].name = line;
		r->headers[r->nheaders].value = v;
		r->nheaders++;
	}
	hc_error(r, "response head without an empty line");
	return -1;
}

static int
hc_append_body(struct hc_response *r, const char *p, size_t len)
{
	char	*nb;
	size_t	 cap;

	if (r->body == NULL || r->body_len + len + 1 > r->body_cap) {
		cap = r->body_cap * 2 + len + 4096;
		if ((nb = realloc(r->body, cap)) == NULL)
			abort();
		r->body = nb;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return 0;
}

static int
hc_body_length(struct hc *c, size_t *off, struct hc_response *r,
    unsigned long long cl)
{
	if (hc_ensure(c, *off + cl, r) == -1) {
		/* Keep what came, for the tests of short bodies. */
		hc_append_body(r, c->buf + *off, c->len - *off);
		*off = c->len;
		snprintf(r->error + strlen(r->error),
		    sizeof(r->error) - strlen(r->error),
		    " (Content-Length %llu, got %zu body bytes)", cl,
		    r->body_len);
		return -1;
	}
	hc_append_body(r, c->buf + *off, cl);
	*off += cl;
	return 0;
}

/* Returns in *eol the index of the LF ending the line at off. */
static int
hc_line(struct hc *c, size_t off, size_t *eol, struct hc_response *r,
    const char *what)
{
	char	*lf;
	char	 ex[200];

	for (;;) {
		lf = memchr(c->buf + off, '\n', c->len - off);
		if (lf != NULL)
			break;
		if (c->len - off > 4096) {
			hc_error(r, "%s line longer than 4096 bytes", what);
			return -1;
		}
		if (hc_ensure(c, c->len + 1, r) == -1) {
			snprintf(r->error + strlen(r->error),
			    sizeof(r->error) - strlen(r->error),
			    " while reading a %s line", what);
			return -1;
		}
	}
	*eol = (size_t)(lf - c->buf);
	if (*eol == off || c->buf[*eol - 1] != '\r' ||
	    memchr(c->buf + off, '\r', *eol - 1 - off) != NULL) {
		hc_escape(ex, sizeof(ex), c->buf + off, *eol + 1 - off);
		hc_error(r, "%s line not ended by CRLF: \"%s\"", what, ex);
		return -1;
	}
	return 0;
}

static int
hc_body_chunked(struct hc *c, size_t *off, struct hc_response *r)
{
	unsigned long long	 size;
	size_t			 eol, hex;
	char			 ex[200];

	for (;;) {
		if (hc_line(c, *off, &eol, r, "chunk-size") == -1)
			return -1;
		for (hex = *off; hex < eol - 1 && c->buf[hex] != ';'; hex++)
			;
		if (hc_parse_ulong(c->buf + *off, hex - *off, 16,
		    HC_MAX_BODY, &size) == -1) {
			hc_escape(ex, sizeof(ex), c->buf + *off,
			    eol + 1 - *off);
			hc_error(r, "bad chunk-size line \"%s\" after %zu "
			    "body bytes", ex, r->body_len);
			return -1;
		}
		*off = eol + 1;
		if (size == 0)
			break;
		if (hc_ensure(c, *off + size + 2, r) == -1) {
			hc_append_body(r, c->buf + *off,
			    c->len - *off < size ? c->len - *off : size);
			*off = c->len;
			snprintf(r->error + strlen(r->error),
			    sizeof(r->error) - strlen(r->error),
			    " inside a chunk of %llu bytes (no last-chunk; "
			    "%zu body bytes)", size, r->body_len);
			return -1;
		}
		hc_append_body(r, c->buf + *off, size);
		*off += size;
		if (c->buf[*off] != '\r' || c->buf[*off + 1] != '\n') {
			hc_escape(ex, sizeof(ex), c->buf + *off,
			    c->len - *off < 40 ? c->len - *off : 40);
			hc_error(r, "chunk data of %llu bytes not followed by "
			    "CRLF but \"%s\"", size, ex);
			return -1;
		}
		*off += 2;
	}
	/* trailer-section CRLF */
	for (;;) {
		if (hc_line(c, *off, &eol, r, "trailer") == -1)
			return -1;
		if (eol == *off + 1) {
			*off = eol + 1;
			return 0;
		}
		*off = eol + 1;
	}
}

static int
hc_body_close(struct hc *c, size_t *off, struct hc_response *r)
{
	int	tmo = c->timeout_ms > 0 ? c->timeout_ms : HARNESS_TIMEOUT_MS;
	ssize_t	n;

	while ((n = hc_fill(c, tmo)) > 0)
		;
	hc_append_body(r, c->buf + *off, c->len - *off);
	*off = c->len;
	if (n < 0) {
		hc_error(r, "close-delimited body: no byte and no close for "
		    "%d ms (%zu body bytes)", tmo, r->body_len);
		return -1;
	}
	return 0;
}

int
hc_read_response(struct hc *c, struct hc_response *r, int flags)
{
	size_t			 off = 0, end, i;
	const char		*te, *cl;
	unsigned long long	 len = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		if (hc_find_head(c, 0, &end, r) == -1)
			return -1;
		if (hc_parse_head(r, c->buf, end) == -1) {
			hc_consume(c, end);
			return -1;
		}
		off = end;
		r->head_done = 1;
		if (r->status >= 200 || (flags & HC_INTERIM))
			break;
		if (r->ninterim < HC_MAX_INTERIM)
			r->interim[r->ninterim++] = r->status;
		hc_consume(c, off);
		r->head_done = 0;
	}

	te = hc_header(r, "Transfer-Encoding");
	cl = hc_header(r, "Content-Length");
	if (cl != NULL) {
		if (hc_header_count(r, "Content-Length") != 1) {
			hc_error(r, "%zu Content-Length fields",
			    hc_header_count(r, "Content-Length"));
			goto bad;
		}
		if (hc_parse_ulong(cl, strlen(cl), 10, HC_MAX_BODY, &len)) {
			hc_error(r, "bad Content-Length \"%s\"", cl);
			goto bad;
		}
	}
	if (te != NULL && cl != NULL) {
		hc_error(r, "both Transfer-Encoding and Content-Length");
		goto bad;
	}
	if (r->status < 200 || r->status == 204 || r->status == 304 ||
	    (flags & HC_HEAD)) {
		r->framing = HC_NO_BODY;
		if ((r->status < 200 || r->status == 204) &&
		    (te != NULL || cl != NULL)) {
			hc_error(r, "%d with a Content-Length or "
			    "Transfer-Encoding", r->status);
			goto bad;
		}
	} else if (te != NULL) {
		if (hc_header_count(r, "Transfer-Encoding") != 1 ||
		    strcasecmp(te, "chunked") != 0) {
			hc_error(r, "Transfer-Encoding other than one "
			    "\"chunked\": \"%s\"", te);
			goto bad;
		}
		r->framing = HC_CHUNKED;
		if (hc_body_chunked(c, &off, r) == -1)
			goto bad;
	} else if (cl != NULL) {
		r->framing = HC_LENGTH;
		if (hc_body_length(c, &off, r, len) == -1)
			goto bad;
	} else {
		r->framing = HC_CLOSE;
		if (hc_body_close(c, &off, r) == -1)
			goto bad;
	}
	if (r->body == NULL)
		hc_append_body(r, "", 0);
	hc_consume(c, off);
	r->complete = 1;
	return 0;
bad:
	if (r->body == NULL)
		hc_append_body(r, "", 0);
	hc_consume(c, off);
	i = strlen(r->error);
	snprintf(r->error + i, sizeof(r->error) - i, " [status %d]",
	    r->status);
	return -1;
}

void
hc_response_free(struct hc_response *r)
{
	free(r->storage);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void
hc_expect_response(struct hc *c, struct hc_response *r, int flags)
{
	if (hc_read_response(c, r, flags) == -1)
		harness_fail(c->f, __FILE__, __LINE__,
		    "incomplete response: %s", r->error);
}

const char *
hc_header(const struct hc_response *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

size_t
hc_header_count(const struct hc_response *r, const char *name)
{
	size_t	i, n = 0;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			n++;
	return n;
}

int
hc_header_has_token(const struct hc_response *r, const char *name,
    const char *token)
{
	size_t		 i, tl = strlen(token), l;
	const char	*p, *e;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) != 0)
			continue;
		for (p = r->headers[i].value; *p != '\0'; p = e) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			for (e = p; *e != '\0' && *e != ','; e++)
				;
			for (l = (size_t)(e - p); l > 0 && (p[l - 1] == ' ' ||
			    p[l - 1] == '\t'); l--)
				;
			if (l == tl && strncasecmp(p, token, tl) == 0)
				return 1;
		}
	}
	return 0;
}

long long
harness_parse_imf_fixdate(const char *s)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	unsigned long long	 d, y, hh, mm, ss;
	struct tm		 tm, chk;
	time_t			 t;
	int			 wday = -1, mon = -1, i;

	/* Sun, 06 Nov 1994 08:49:37 GMT */
	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    strcmp(s + 25, " GMT") != 0)
		return -1;
	for (i = 0; i < 7; i++)
		if (strncmp(s, days[i], 3) == 0)
			wday = i;
	for (i = 0; i < 12; i++)
		if (strncmp(s + 8, months[i], 3) == 0)
			mon = i;
	if (wday < 0 || mon < 0 ||
	    hc_parse_ulong(s + 5, 2, 10, 31, &d) ||
	    hc_parse_ulong(s + 12, 4, 10, 9999, &y) ||
	    hc_parse_ulong(s + 17, 2, 10, 23, &hh) ||
	    hc_parse_ulong(s + 20, 2, 10, 59, &mm) ||
	    hc_parse_ulong(s + 23, 2, 10, 60, &ss) || d < 1)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)hh;
	tm.tm_min = (int)mm;
	tm.tm_sec = (int)ss;
	t = timegm(&tm);
	if (gmtime_r(&t, &chk) == NULL || chk.tm_wday != wday ||
	    chk.tm_mday != (int)d || chk.tm_mon != mon)
		return -1;
	return (long long)t;
}

/* ---- files, processes ---- */

char *
harness_read_file(const char *path, size_t *lenp)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap * 2 + 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

void
harness_write_file(const char *path, const void *data, size_t len,
    mode_t mode)
{
	const char	*p = data;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "open %s: %s", path,
		    strerror(errno));
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			harness_fail(NULL, __FILE__, __LINE__, "write %s: %s",
			    path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || close(fd) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "close %s: %s", path,
		    strerror(errno));
}

int
harness_wait_file(const char *path, int timeout_ms)
{
	long long	deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		if (access(path, F_OK) == 0)
			return 1;
		if (harness_now_ms() >= deadline)
			return 0;
		harness_sleep_ms(10);
	}
}

pid_t
harness_read_pidfile(const char *path, int timeout_ms)
{
	long long		 deadline = harness_now_ms() + timeout_ms;
	unsigned long long	 pid;
	char			*s, *nl;

	for (;;) {
		if ((s = harness_read_file(path, NULL)) != NULL) {
			nl = strchr(s, '\n');
			if (nl != NULL && hc_parse_ulong(s, (size_t)(nl - s),
			    10, 4194304, &pid) == 0 && pid > 1) {
				free(s);
				return (pid_t)pid;
			}
			free(s);
		}
		if (harness_now_ms() >= deadline)
			harness_fail(NULL, __FILE__, __LINE__,
			    "no pid in %s after %d ms", path, timeout_ms);
		harness_sleep_ms(10);
	}
}

int
harness_pid_gone(pid_t pid)
{
	char	 path[64], *s, *p;
	int	 gone = 0;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((s = harness_read_file(path, NULL)) == NULL)
		return 1;
	if ((p = strrchr(s, ')')) != NULL && p[1] == ' ' &&
	    (p[2] == 'Z' || p[2] == 'X'))
		gone = 1;
	free(s);
	return gone;
}

int
harness_wait_pid_gone(pid_t pid, int timeout_ms)
{
	long long	deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		if (harness_pid_gone(pid))
			return 1;
		if (harness_now_ms() >= deadline)
			return 0;
		harness_sleep_ms(20);
	}
}

int
harness_run(const char *const argv[], char **outp, int timeout_ms)
{
	long long	 deadline = harness_now_ms() + timeout_ms;
	int		 pfd[2], ws, left, fd;
	char		*out = NULL;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	pid_t		 pid;
	struct pollfd	 p;
	char		*av[64];
	size_t		 i;

	for (i = 0; argv[i] != NULL && i < 63; i++)
		av[i] = harness_unconst(argv[i]);
	av[i] = NULL;
	if (pipe2(pfd, O_CLOEXEC) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "pipe: %s",
		    strerror(errno));
	if ((pid = fork()) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "fork: %s",
		    strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 1);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		execvp(av[0], av);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			if ((out = realloc(out, cap)) == NULL)
				abort();
		}
		if ((left = (int)(deadline - harness_now_ms())) <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			harness_fail(NULL, __FILE__, __LINE__,
			    "%s did not finish within %d ms", argv[0],
			    timeout_ms);
		}
		p.fd = pfd[0];
		p.events = POLLIN;
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(pfd[0], out + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &ws, 0) == -1 && errno == EINTR)
		;
	if (outp != NULL)
		*outp = out;
	else
		free(out);
	return harness_status_code(ws);
}

void
harness_sha256_file(const char *path, char out[65])
{
	const char *const argv[] = { "sha256sum", "-b", path, NULL };
	char	*s;
	int	 i;

	if (harness_run(argv, &s, 60000) != 0)
		harness_fail(NULL, __FILE__, __LINE__, "sha256sum %s failed",
		    path);
	for (i = 0; i < 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			harness_fail(NULL, __FILE__, __LINE__,
			    "sha256sum printed \"%.80s\"", s);
		out[i] = s[i];
	}
	out[64] = '\0';
	free(s);
}

void
harness_sha256(const void *data, size_t len, char out[65])
{
	char	path[512];
	int	fd;

	snprintf(path, sizeof(path), "%s/sha.XXXXXX", harness_tmp_base());
	if ((fd = mkstemp(path)) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "mkstemp %s: %s", path,
		    strerror(errno));
	close(fd);
	harness_write_file(path, data, len, 0600);
	harness_sha256_file(path, out);
	unlink(path);
}

void
harness_random_bytes(void *buf, size_t len, unsigned long long seed)
{
	unsigned char	*p = buf;
	uint64_t	 z = 0, x = seed;
	size_t		 i;

	/* splitmix64 */
	for (i = 0; i < len; i++) {
		if (i % 8 == 0) {
			x += 0x9e3779b97f4a7c15ULL;
			z = x;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			z ^= z >> 31;
		}
		p[i] = (unsigned char)(z >> (8 * (i % 8)));
	}
}

long long
harness_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
harness_sleep_ms(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
harness_copy_cgi_dir(const char *dir)
{
	const char	*src = getenv("FERRY_TEST_CGI_BIN");
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 from[1024], to[1024], *data;
	size_t		 len;

	if (src == NULL || (d = opendir(src)) == NULL)
		harness_fail(NULL, __FILE__, __LINE__,
		    "cannot open FERRY_TEST_CGI_BIN");
	while ((de = readdir(d)) != NULL) {
		snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
		if (stat(from, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((data = harness_read_file(from, &len)) == NULL)
			continue;
		snprintf(to, sizeof(to), "%s/%s", dir, de->d_name);
		harness_write_file(to, data, len, st.st_mode & 07777);
		free(data);
	}
	closedir(d);
}

/* ---- requests and checks ---- */

void
hc_send_get(struct hc *c, const char *target)
{
	char	req[8192];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n"
	    "User-Agent: ferry-test\r\n\r\n", target);
	hc_sendstr(c, req);
}

void
hc_get(const struct ferryd *f, const char *target, struct hc_response *r)
{
	struct hc	c;

	hc_open(&c, f);
	hc_send_get(&c, target);
	hc_expect_response(&c, r, 0);
	hc_close(&c);
}

pid_t
hc_send_background(struct hc *c, const void *data, size_t len,
    int timeout_ms)
{
	pid_t	pid;

	if ((pid = fork()) == -1)
		harness_fail(c->f, __FILE__, __LINE__, "fork: %s",
		    strerror(errno));
	if (pid == 0) {
		c->timeout_ms = timeout_ms;
		_exit(hc_try_send(c, data, len) == 0 ? 0 : 1);
	}
	return pid;
}

void
hc_expect_error_close(const struct ferryd *f, const char *raw,
    size_t rawlen, int status)
{
	struct hc		 c;
	struct hc_response	 r;
	int			 closed;

	hc_open(&c, f);
	hc_try_send(&c, raw, rawlen);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(f, r.status == status, "status %d, want %d for "
	    "\"%.200s\"", r.status, status, raw);
	HARNESS_ASSERT(f, hc_header_has_token(&r, "Connection", "close"),
	    "a %d must carry Connection: close", status);
	closed = hc_wait_closed(&c, 5000);
	HARNESS_ASSERT(f, closed == 1, "after the %d the connection must "
	    "close with nothing more sent (got %d, %zu bytes: \"%.100s\")",
	    status, closed, c.len, c.buf != NULL ? c.buf : "");
	hc_response_free(&r);
	hc_close(&c);
}

void
hc_check(const struct ferryd *f, const char *what,
    const struct hc_response *r, const struct hc_want *w)
{
	const char	*v;
	long long	 t;
	size_t		 i;

	if (w->status_max != 0)
		HARNESS_ASSERT(f, r->status >= w->status &&
		    r->status <= w->status_max, "%s: status %d, want %d to "
		    "%d", what, r->status, w->status, w->status_max);
	else if (w->status != 0)
		HARNESS_ASSERT(f, r->status == w->status, "%s: status %d, "
		    "want %d", what, r->status, w->status);
	if (w->reason != NULL)
		HARNESS_ASSERT(f, strcmp(r->reason, w->reason) == 0,
		    "%s: reason \"%s\", want \"%s\"", what, r->reason,
		    w->reason);
	if (w->body != NULL)
		HARNESS_ASSERT(f, strcmp(r->body, w->body) == 0, "%s: body "
		    "\"%s\", want \"%s\"", what, r->body, w->body);
	if (w->body_lacks != NULL)
		HARNESS_ASSERT(f, strstr(r->body, w->body_lacks) == NULL,
		    "%s: the body holds \"%s\"", what, w->body_lacks);
	if (w->body_len != 0)
		HARNESS_ASSERT(f, r->body_len == w->body_len, "%s: %zu body "
		    "bytes, want %zu", what, r->body_len, w->body_len);
	if (w->framing != 0)
		HARNESS_ASSERT(f, (HC_FRAMING(r->framing) & w->framing) != 0,
		    "%s: framing %d", what, r->framing);
	if (w->date) {
		v = hc_header(r, "Date");
		HARNESS_ASSERT(f, hc_header_count(r, "Date") == 1,
		    "%s: %zu Date fields", what, hc_header_count(r, "Date"));
		t = harness_parse_imf_fixdate(v);
		HARNESS_ASSERT(f, t != -1, "%s: Date \"%s\" is not an "
		    "IMF-fixdate", what, v);
		HARNESS_ASSERT(f, llabs(t - (long long)time(NULL)) < 60,
		    "%s: Date %s is not now", what, v);
	}
	for (i = 0; i < sizeof(w->fields) / sizeof(w->fields[0]); i++) {
		if (w->fields[i].name == NULL)
			continue;
		v = hc_header(r, w->fields[i].name);
		if (w->fields[i].value == NULL)
			HARNESS_ASSERT(f, v == NULL, "%s: a %s field (\"%s\")",
			    what, w->fields[i].name, v);
		else
			HARNESS_ASSERT(f, v != NULL &&
			    strcmp(v, w->fields[i].value) == 0,
			    "%s: %s \"%s\", want \"%s\"", what,
			    w->fields[i].name, v != NULL ? v : "(none)",
			    w->fields[i].value);
	}
}

void
hc_get_check(const struct ferryd *f, const struct hc_get_case *t)
{
	struct hc_response	r;

	hc_get(f, t->target, &r);
	hc_check(f, t->what, &r, &t->want);
	hc_response_free(&r);
}

char *
hc_env_value(const struct hc_response *r, const char *name)
{
	const char	*p = r->body, *e;
	size_t		 nl = strlen(name);

	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		if (strncmp(p, name, nl) == 0 && p[nl] == '=')
			return strndup(p + nl + 1, e != NULL ?
			    (size_t)(e - p - nl - 1) : strlen(p + nl + 1));
		p = e != NULL ? e + 1 : NULL;
	}
	return NULL;
}

void
hc_expect_env(const struct ferryd *f, const struct hc_response *r,
    const char *name, const char *want)
{
	char	*v = hc_env_value(r, name);

	if (want == NULL) {
		HARNESS_ASSERT(f, v == NULL, "%s must be unset, is \"%s\"; "
		    "environment:\n%s", name, v, r->body);
		return;
	}
	HARNESS_ASSERT(f, v != NULL && strcmp(v, want) == 0,
	    "%s is \"%s\", want \"%s\"; environment:\n%s", name,
	    v != NULL ? v : "(unset)", want, r->body);
	free(v);
}

/* ---- runs and temp directories ---- */

int
harness_main(Suite *s, const char *tag)
{
	SRunner	*sr;
	char	*base;
	int	 failed;

	base = harness_tmpdir(tag, 1);
	setenv("FERRY_TEST_TMP", base, 1);
	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (getenv("FERRY_TEST_KEEP") == NULL)
		harness_rmtree(base);
	else
		fprintf(stderr, "kept %s\n", base);
	free(base);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

char *
harness_tmpdir(const char *tag, int shared)
{
	const char	*base = shared ? getenv("TMPDIR") : harness_tmp_base();
	char		*p;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&p, "%s/%s.XXXXXX", base, tag) == -1)
		abort();
	if (mkdtemp(p) == NULL)
		harness_fail(NULL, __FILE__, __LINE__, "mkdtemp %s: %s", p,
		    strerror(errno));
	return p;
}

/* Removes /dev/shm/ferry-*.PID.* of test processes that are gone (a
   failed test ends without removing its own). */
static void
harness_shm_sweep(void)
{
	struct dirent	*de;
	char		 path[300];
	const char	*dot;
	DIR		*d;
	int		 pid;

	if ((d = opendir("/dev/shm")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "ferry-", 6) != 0 ||
		    (dot = strchr(de->d_name, '.')) == NULL ||
		    (pid = atoi(dot + 1)) <= 0 || kill(pid, 0) == 0 ||
		    errno == EPERM)
			continue;
		snprintf(path, sizeof(path), "/dev/shm/%s", de->d_name);
		harness_rmtree(path);
	}
	closedir(d);
}

char *
harness_shm_dir(const char *tag)
{
	char	*p;

	harness_shm_sweep();
	if (asprintf(&p, "/dev/shm/ferry-%s.%d.XXXXXX", tag,
	    (int)getpid()) == -1)
		abort();
	if (mkdtemp(p) == NULL || chmod(p, 0755) == -1)
		harness_fail(NULL, __FILE__, __LINE__, "%s: %s", p,
		    strerror(errno));
	return p;
}

char *
harness_shm_copy(const char *dir, const char *src)
{
	const char	*base = strrchr(src, '/');
	char		*data, *dst;
	size_t		 len;

	if ((data = harness_read_file(src, &len)) == NULL)
		harness_fail(NULL, __FILE__, __LINE__, "cannot read %s", src);
	if (asprintf(&dst, "%s/%s", dir, base != NULL ? base + 1 : src) == -1)
		abort();
	harness_write_file(dst, data, len, 0755);
	free(data);
	return dst;
}

static int
harness_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	remove(path);
	return 0;
}

void
harness_rmtree(const char *path)
{
	nftw(path, harness_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
harness_env_path(const char *name)
{
	const char	*v = getenv(name);

	if (v == NULL || *v != '/')
		harness_fail(NULL, __FILE__, __LINE__, "%s is not an absolute "
		    "path: run the suite with make check", name);
	return v;
}

void
harness_path(char *buf, size_t len, const struct ferryd *f,
    const char *name)
{
	snprintf(buf, len, "%s/%s", f->dir, name);
}

/* ---- logs and text ---- */

int
harness_count(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

const char *
harness_line_of(const char *text, const char *needle)
{
	const char	*p = strstr(text, needle);

	if (p == NULL)
		return NULL;
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

int
harness_log_count(const struct ferryd *f, const char *needle)
{
	const char	*paths[2];
	char		*text;
	int		 i, n = 0;

	if (f == NULL || f->dir[0] == '\0')
		return 0;
	paths[0] = f->error_log;
	paths[1] = f->stderr_log;
	for (i = 0; i < 2; i++)
		if ((text = harness_read_file(paths[i], NULL)) != NULL) {
			n += harness_count(text, needle);
			free(text);
		}
	return n;
}

int
harness_wait_log(const struct ferryd *f, const char *needle, int want,
    int timeout_ms)
{
	long long	deadline = harness_now_ms() + timeout_ms;
	int		n;

	while ((n = harness_log_count(f, needle)) < want &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(20);
	return n;
}

char *
harness_wait_text(const char *path, const char *needle, int timeout_ms)
{
	long long	 deadline = harness_now_ms() + timeout_ms;
	char		*s;

	for (;;) {
		s = harness_read_file(path, NULL);
		if ((s != NULL && strstr(s, needle) != NULL) ||
		    harness_now_ms() > deadline)
			return s;
		free(s);
		harness_sleep_ms(50);
	}
}

/* ---- /proc ---- */

long
harness_rss_kib(pid_t pid)
{
	char			 path[64], *s, *p;
	unsigned long long	 v;
	long			 kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((s = harness_read_file(path, NULL)) == NULL)
		return -1;
	if ((p = strstr(s, "\nVmRSS:")) != NULL) {
		p += 7;
		p += strspn(p, " \t");
		if (hc_parse_ulong(p, strspn(p, "0123456789"), 10, 1ULL << 40,
		    &v) == 0)
			kib = (long)v;
	}
	free(s);
	return kib;
}

long long
harness_cpu_ticks(pid_t pid)
{
	char			 path[64], *s, *p;
	unsigned long long	 v, sum = 0;
	int			 field;
	size_t			 len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((s = harness_read_file(path, NULL)) == NULL)
		return -1;
	if ((p = strrchr(s, ')')) == NULL) {
		free(s);
		return -1;
	}
	/* Fields after the name, counted from 3 (the state); utime is 14
	   and stime 15. */
	for (field = 3, p += 2; *p != '\0' && field <= 15; field++) {
		len = strcspn(p, " ");
		if (field >= 14 && hc_parse_ulong(p, len, 10, 1ULL << 60,
		    &v) == 0)
			sum += v;
		p += len;
		if (*p == ' ')
			p++;
	}
	free(s);
	return (long long)sum;
}

int
harness_lowest_free_fd(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*de;
	unsigned char	 used[4096];
	unsigned long long v;
	int		 i;

	memset(used, 0, sizeof(used));
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (hc_parse_ulong(de->d_name, strlen(de->d_name), 10,
		    sizeof(used) - 1, &v) == 0)
			used[v] = 1;
	closedir(d);
	for (i = 0; i < (int)sizeof(used) && used[i]; i++)
		;
	return i;
}

/* The port of a TCP socket's address (IPv4 or IPv6), host order. */
static unsigned int
harness_sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

int
harness_holds_only(const struct ferryd *f, const struct hc *cs, size_t n)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	unsigned int		 mine[8];
	size_t			 i, held = 0, ours = 0;
	char			 path[64], link[64], *end;
	struct dirent		*de;
	DIR			*d;
	ssize_t			 len;
	long			 fdnum;
	int			 pidfd, fd;

	if (n > sizeof(mine) / sizeof(mine[0]))
		return 0;
	for (i = 0; i < n; i++) {
		sl = sizeof(ss);
		if (getsockname(cs[i].fd, (struct sockaddr *)&ss, &sl) == -1)
			return 0;
		mine[i] = harness_sa_port(&ss);
	}
	/* Each socket ferryd holds, copied here (pidfd_getfd) and asked
	   itself: one connected on f->port is a client's, ours if its peer
	   is one of cs.  (/proc/net/tcp, read a page at a time while other
	   sockets come and go, may skip or repeat one.)  A connection still
	   in the listen queue has no fd: not held. */
	if ((pidfd = (int)syscall(SYS_pidfd_open, f->pid, 0)) == -1)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)f->pid);
	if ((d = opendir(path)) == NULL) {
		close(pidfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		fdnum = strtol(de->d_name, &end, 10);
		if (*end != '\0' || end == de->d_name)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)f->pid,
		    fdnum);
		if ((len = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, "socket:", 7) != 0 || (fd = (int)syscall(
		    SYS_pidfd_getfd, pidfd, (int)fdnum, 0)) == -1)
			continue;
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
		    harness_sa_port(&ss) == (unsigned int)f->port &&
		    (sl = sizeof(ss), getpeername(fd, (struct sockaddr *)&ss,
		    &sl)) == 0) {
			held++;
			for (i = 0; i < n; i++)
				if (harness_sa_port(&ss) == mine[i]) {
					ours++;
					break;
				}
		}
		close(fd);
	}
	closedir(d);
	close(pidfd);
	return held == n && ours == n;
}

long
harness_set_nofile(const struct ferryd *f, long soft)
{
	struct rlimit	 old, rl;

	if (prlimit(f->pid, RLIMIT_NOFILE, NULL, &old) == -1)
		harness_fail(f, __FILE__, __LINE__, "prlimit: %s",
		    strerror(errno));
	rl = old;
	rl.rlim_cur = (rlim_t)soft;
	if (prlimit(f->pid, RLIMIT_NOFILE, &rl, NULL) == -1)
		harness_fail(f, __FILE__, __LINE__, "prlimit %ld: %s", soft,
		    strerror(errno));
	return (long)old.rlim_cur;
}

int
harness_count_fds(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

void
hc_expect_text(struct hc *c, const struct ferryd *f, const char *want)
{
	size_t	 n = strlen(want);

	while (c->len < n)
		HARNESS_ASSERT(f, hc_fill(c, 10000) > 0, "waiting for \"%s\": "
		    "have \"%.*s\"%s", want, (int)c->len,
		    c->buf != NULL ? c->buf : "", c->eof || c->reset ?
		    " and the end" : "");
	HARNESS_ASSERT(f, memcmp(c->buf, want, n) == 0, "wanted \"%s\", got "
	    "\"%.*s\"", want, (int)c->len, c->buf);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

int
harness_notify_socket(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	HARNESS_ASSERT(NULL, fd != -1, "socket: %s", strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	HARNESS_ASSERT(NULL, strlen(path) < sizeof(sun.sun_path),
	    "%s: too long for a socket", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	HARNESS_ASSERT(NULL, bind(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0, "bind %s: %s", path, strerror(errno));
	return fd;
}

void
harness_notify_recv(int fd, char *buf, size_t len, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	ssize_t		n;

	buf[0] = '\0';
	if (poll(&pfd, 1, ms) != 1 || (n = recv(fd, buf, len - 1, 0)) < 0)
		return;
	buf[n] = '\0';
}
