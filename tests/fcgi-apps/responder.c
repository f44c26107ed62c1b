/*
 * responder: a scriptable FastCGI worker for the pool tests (libfcgi,
 * fcgiapp.h style), in the spirit of lighttpd's tests/fcgi-responder.c.
 *
 * QUERY_STRING is a list of commands separated by '&', run left to right.
 * The response head (Content-Type: text/plain, plus the fields below) is
 * written just before the first byte of body, or at the end.  Commands:
 *
 *   sleep=MS     sleep MS milliseconds
 *   status=NNN   answer with status NNN (give it before any body output)
 *   interim=NNN  write an interim block "Status: NNN" with the field
 *                "Link: </hint.css>; rel=preload" at once (flushed),
 *                before the response head (give it before any body output)
 *   pid          field "X-Pid: PID" and body line "pid PID"
 *   limits       body lines: the worker's /proc/self/limits, and the
 *                NoNewPrivs and Seccomp lines of /proc/self/status
 *   arg          body line "arg ARG", ARG the worker's first argument
 *                ("-" without one): which configuration started it
 *   env          body lines "NAME=VALUE", one per FastCGI parameter
 *   fds          body lines, one per open fd (the listing's own fd left
 *                out): "fd N TARGET", TARGET as readlink(2) of
 *                /proc/self/fd/N shows it; for a Unix socket then
 *                " unix sock=PATH peer=PATH" (- when unnamed, @ for an
 *                abstract name) and " listening" when it accepts
 *                connections; for an IP socket " inet"
 *   read         read the request body to its end; body line "read N"
 *   stderr=TEXT  write TEXT and a newline to FCGI_STDERR
 *   big=N        N bytes of body, byte i being (i % 251), in 64 KiB writes
 *   partial      the head, body line "partial", 256 KiB of the big=
 *                pattern, a flush, then 300 ms for the server to pass it on
 *   crash        "responder PID: crash" to stderr, then abort() at once:
 *                with partial before it, mid-response
 *   exit         exit(0) after this response ends (between requests)
 *   hang         never answer (sleeps until a signal ends the process)
 *   noterm       ignore SIGTERM from now on (only SIGKILL ends it)
 *   spawn=P      start a child "sleep 30" (a grandchild of ferryd, in the
 *                worker's process group) and write its pid to P.child
 *   deny=N       calls a syscall_filter denies: a mount of a tmpfs on a
 *                directory that does not exist, then N (>= 1) times
 *                PTRACE_ATTACH to a pid above pid_max; body lines
 *                "mount E" (E its errno), "ptrace E" (the first's
 *                errno), "denied K" (K: how many failed with EPERM)
 *   redirect=P   answer "Location: P" alone (a local redirect when P is a
 *                path): the rest of the query is not run, the body unread
 *
 * An unknown command or a bad number is answered 400 before anything runs.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcgiapp.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESPONDER_MAX_QUERY	4096
#define RESPONDER_PIECE		65536

struct responder {
	FCGX_Request	*req;
	int		 status;	/* 0: 200 */
	int		 want_pid;	/* X-Pid in the head */
	int		 head_sent;
	int		 exit_after;
};

int		main(int, char *[]);
/* The worker's first argument (the "arg" command). */
static const char	*responder_arg = "-";

static int	responder_number(const char *s, unsigned long long max,
		    unsigned long long *out);
static int	responder_check(struct responder *r, char *query, char *err,
		    size_t errlen);
static void	responder_run(struct responder *r, char *query);
static void	responder_head(struct responder *r);
static void	responder_sleep(unsigned long long ms);
static void	responder_spawn(const char *path);
static void	responder_big(struct responder *r, unsigned long long n);
static void	responder_fds(struct responder *r);
static void	responder_deny(struct responder *r, unsigned long long n);
static void	responder_cat(struct responder *r, const char *path,
		    const char *prefix);
static void	responder_sockaddr(char *out, size_t outlen,
		    const struct sockaddr_un *sun, socklen_t len);

/* Decimal digits only, at most max; 0 on success. */
static int
responder_number(const char *s, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned long long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Validates every command of query (a copy: it is cut up) and records
   what the head needs.  0 when all are good. */
static int
responder_check(struct responder *r, char *query, char *err, size_t errlen)
{
	char			*cmd, *save = NULL, *arg;
	unsigned long long	 v;

	for (cmd = strtok_r(query, "&", &save); cmd != NULL;
	    cmd = strtok_r(NULL, "&", &save)) {
		if ((arg = strchr(cmd, '=')) != NULL)
			*arg++ = '\0';
		if (strcmp(cmd, "sleep") == 0 && arg != NULL &&
		    responder_number(arg, 3600000, &v) == 0)
			continue;
		if (strcmp(cmd, "big") == 0 && arg != NULL &&
		    responder_number(arg, 1ULL << 40, &v) == 0)
			continue;
		if (strcmp(cmd, "deny") == 0 && arg != NULL &&
		    responder_number(arg, 1000000, &v) == 0 && v >= 1)
			continue;
		if (strcmp(cmd, "status") == 0 && arg != NULL &&
		    responder_number(arg, 999, &v) == 0 && v >= 100) {
			r->status = (int)v;
			continue;
		}
		if (strcmp(cmd, "interim") == 0 && arg != NULL &&
		    responder_number(arg, 999, &v) == 0 && v >= 100)
			continue;
		if (strcmp(cmd, "stderr") == 0 && arg != NULL)
			continue;
		if (strcmp(cmd, "redirect") == 0 && arg != NULL &&
		    arg[0] == '/')
			continue;
		if (strcmp(cmd, "spawn") == 0 && arg != NULL && arg[0] == '/')
			continue;
		if (arg == NULL && (strcmp(cmd, "env") == 0 ||
		    strcmp(cmd, "fds") == 0 || strcmp(cmd, "read") == 0 ||
		    strcmp(cmd, "partial") == 0 || strcmp(cmd, "crash") == 0 ||
		    strcmp(cmd, "exit") == 0 || strcmp(cmd, "hang") == 0 ||
		    strcmp(cmd, "noterm") == 0 || strcmp(cmd, "arg") == 0 ||
		    strcmp(cmd, "limits") == 0))
			continue;
		if (arg == NULL && strcmp(cmd, "pid") == 0) {
			r->want_pid = 1;
			continue;
		}
		snprintf(err, errlen, "bad command \"%s%s%s\"", cmd,
		    arg != NULL ? "=" : "", arg != NULL ? arg : "");
		return -1;
	}
	return 0;
}

static void
responder_head(struct responder *r)
{
	if (r->head_sent)
		return;
	r->head_sent = 1;
	if (r->status != 0)
		FCGX_FPrintF(r->req->out, "Status: %d Test\r\n", r->status);
	if (r->want_pid)
		FCGX_FPrintF(r->req->out, "X-Pid: %ld\r\n", (long)getpid());
	FCGX_FPrintF(r->req->out, "Content-Type: text/plain\r\n\r\n");
}

static void
responder_sleep(unsigned long long ms)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		continue;
}

/* A child "sleep 30"; its pid goes to path.child (written whole, then
   renamed, so a reader never sees half of it). */
static void
responder_spawn(const char *path)
{
	char	tmp[PATH_MAX], dst[PATH_MAX];
	FILE	*fp;
	pid_t	 pid;

	if ((pid = fork()) == -1)
		return;
	if (pid == 0) {
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	snprintf(tmp, sizeof(tmp), "%s.child.tmp", path);
	snprintf(dst, sizeof(dst), "%s.child", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	fprintf(fp, "%ld\n", (long)pid);
	if (fclose(fp) == 0)
		rename(tmp, dst);
}

static void
responder_big(struct responder *r, unsigned long long n)
{
	char			buf[RESPONDER_PIECE];
	unsigned long long	i = 0;
	size_t			k, piece;

	responder_head(r);
	while (i < n) {
		piece = n - i < sizeof(buf) ? (size_t)(n - i) : sizeof(buf);
		for (k = 0; k < piece; k++)
			buf[k] = (char)((i + k) % 251);
		if (FCGX_PutStr(buf, (int)piece, r->req->out) != (int)piece)
			return;
		i += piece;
	}
}

static void
responder_sockaddr(char *out, size_t outlen, const struct sockaddr_un *sun,
    socklen_t len)
{
	size_t	plen;

	if (len <= offsetof(struct sockaddr_un, sun_path)) {
		snprintf(out, outlen, "-");
		return;
	}
	plen = len - offsetof(struct sockaddr_un, sun_path);
	if (sun->sun_path[0] == '\0')
		snprintf(out, outlen, "@%.*s", (int)(plen - 1),
		    sun->sun_path + 1);
	else
		snprintf(out, outlen, "%.*s", (int)strnlen(sun->sun_path,
		    plen), sun->sun_path);
}

static void
responder_fds(struct responder *r)
{
	DIR			*d;
	struct dirent		*de;
	struct stat		 st;
	struct sockaddr_un	 sun;
	socklen_t		 len;
	char			 link[PATH_MAX], path[64], sname[160], pname[160];
	ssize_t			 n;
	int			 fd, dfd, domain, acc;
	unsigned long long	 v;

	responder_head(r);
	if ((d = opendir("/proc/self/fd")) == NULL) {
		FCGX_FPrintF(r->req->out, "opendir failed\n");
		return;
	}
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (responder_number(de->d_name, INT_MAX, &v) != 0)
			continue;
		fd = (int)v;
		if (fd == dfd)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
			n = 0;
		link[n] = '\0';
		FCGX_FPrintF(r->req->out, "fd %d %s", fd, link);
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
			len = sizeof(domain);
			if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain,
			    &len) == -1)
				domain = -1;
			if (domain == AF_UNIX) {
				len = sizeof(sun);
				if (getsockname(fd, (struct sockaddr *)&sun,
				    &len) == -1)
					len = 0;
				responder_sockaddr(sname, sizeof(sname), &sun,
				    len);
				len = sizeof(sun);
				if (getpeername(fd, (struct sockaddr *)&sun,
				    &len) == -1)
					len = 0;
				responder_sockaddr(pname, sizeof(pname), &sun,
				    len);
				FCGX_FPrintF(r->req->out, " unix sock=%s "
				    "peer=%s", sname, pname);
			} else if (domain == AF_INET || domain == AF_INET6)
				FCGX_FPrintF(r->req->out, " inet");
			len = sizeof(acc);
			if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc,
			    &len) == 0 && acc)
				FCGX_FPrintF(r->req->out, " listening");
		}
		FCGX_FPrintF(r->req->out, "\n");
	}
	closedir(d);
}

/* Runs the commands of query (already checked) in order. */
static void
responder_deny(struct responder *r, unsigned long long n)
{
	unsigned long long	 i, eperm = 0;
	int			 first = 0;

	responder_head(r);
	FCGX_FPrintF(r->req->out, "mount %d\n", mount("none",
	    "/nonexistent/ferry-responder", "tmpfs", 0, NULL) == -1 ?
	    errno : 0);
	for (i = 0; i < n; i++) {
		errno = 0;
		if (ptrace(PTRACE_ATTACH, (pid_t)0x7ffffffe, NULL, NULL) != -1)
			errno = 0;
		if (i == 0)
			first = errno;
		if (errno == EPERM)
			eperm++;
	}
	FCGX_FPrintF(r->req->out, "ptrace %d\ndenied %llu\n", first, eperm);
}

static void
responder_run(struct responder *r, char *query)
{
	char			*cmd, *save = NULL, *arg, **e;
	char			 buf[16384];
	unsigned long long	 v = 0, total;
	int			 n;

	for (cmd = strtok_r(query, "&", &save); cmd != NULL;
	    cmd = strtok_r(NULL, "&", &save)) {
		if ((arg = strchr(cmd, '=')) != NULL)
			*arg++ = '\0';
		if (strcmp(cmd, "redirect") == 0) {
			FCGX_FPrintF(r->req->out, "Location: %s\r\n\r\n", arg);
			return;
		} else if (strcmp(cmd, "spawn") == 0) {
			responder_spawn(arg);
		} else if (strcmp(cmd, "sleep") == 0) {
			responder_number(arg, 3600000, &v);
			responder_sleep(v);
		} else if (strcmp(cmd, "deny") == 0) {
			responder_number(arg, 1000000, &v);
			responder_deny(r, v);
		} else if (strcmp(cmd, "big") == 0) {
			responder_number(arg, 1ULL << 40, &v);
			responder_big(r, v);
		} else if (strcmp(cmd, "interim") == 0) {
			FCGX_FPrintF(r->req->out, "Status: %s\r\nLink: "
			    "</hint.css>; rel=preload\r\n\r\n", arg);
			FCGX_FFlush(r->req->out);
		} else if (strcmp(cmd, "stderr") == 0) {
			FCGX_FPrintF(r->req->err, "%s\n", arg);
			FCGX_FFlush(r->req->err);
		} else if (strcmp(cmd, "pid") == 0) {
			responder_head(r);
			FCGX_FPrintF(r->req->out, "pid %ld\n",
			    (long)getpid());
		} else if (strcmp(cmd, "limits") == 0) {
			responder_head(r);
			responder_cat(r, "/proc/self/limits", NULL);
			responder_cat(r, "/proc/self/status", "NoNewPrivs");
			responder_cat(r, "/proc/self/status", "Seccomp:");
		} else if (strcmp(cmd, "arg") == 0) {
			responder_head(r);
			FCGX_FPrintF(r->req->out, "arg %s\n", responder_arg);
		} else if (strcmp(cmd, "env") == 0) {
			responder_head(r);
			for (e = r->req->envp; *e != NULL; e++)
				FCGX_FPrintF(r->req->out, "%s\n", *e);
		} else if (strcmp(cmd, "fds") == 0) {
			responder_fds(r);
		} else if (strcmp(cmd, "read") == 0) {
			total = 0;
			while ((n = FCGX_GetStr(buf, sizeof(buf),
			    r->req->in)) > 0)
				total += (unsigned long long)n;
			responder_head(r);
			FCGX_FPrintF(r->req->out, "read %llu\n", total);
		} else if (strcmp(cmd, "partial") == 0) {
			responder_head(r);
			FCGX_FPrintF(r->req->out, "partial\n");
			responder_big(r, 256 * 1024);
			FCGX_FFlush(r->req->out);
			responder_sleep(300);
		} else if (strcmp(cmd, "crash") == 0) {
			/* Counted by the tests: a crash runs once. */
			fprintf(stderr, "responder %d: crash\n", (int)getpid());
			abort();
		} else if (strcmp(cmd, "exit") == 0) {
			r->exit_after = 1;
		} else if (strcmp(cmd, "noterm") == 0) {
			signal(SIGTERM, SIG_IGN);
		} else if (strcmp(cmd, "hang") == 0) {
			for (;;)
				pause();
		}
	}
	responder_head(r);
}

/* Copies the file at path to the body, or only its lines that start with
   prefix (not NULL). */
static void
responder_cat(struct responder *r, const char *path, const char *prefix)
{
	char	 line[512];
	FILE	*fp;

	if ((fp = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (prefix == NULL || strncmp(line, prefix, strlen(prefix)) == 0)
			FCGX_PutS(line, r->req->out);
	fclose(fp);
}

int
main(int argc, char *argv[])
{
	FCGX_Request	 req;
	struct responder r;
	const char	*qs;
	char		 query[RESPONDER_MAX_QUERY], check[RESPONDER_MAX_QUERY];
	char		 err[256];

	if (argc > 1)
		responder_arg = argv[1];
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		memset(&r, 0, sizeof(r));
		r.req = &req;
		if ((qs = FCGX_GetParam("QUERY_STRING", req.envp)) == NULL)
			qs = "";
		if (strlen(qs) >= sizeof(query)) {
			FCGX_FPrintF(req.out, "Status: 400 Bad Request\r\n"
			    "Content-Type: text/plain\r\n\r\nquery too long\n");
			FCGX_Finish_r(&req);
			continue;
		}
		memcpy(check, qs, strlen(qs) + 1);
		memcpy(query, qs, strlen(qs) + 1);
		if (responder_check(&r, check, err, sizeof(err)) != 0) {
			FCGX_FPrintF(req.out, "Status: 400 Bad Request\r\n"
			    "Content-Type: text/plain\r\n\r\n%s\n", err);
			FCGX_Finish_r(&req);
			continue;
		}
		responder_run(&r, query);
		FCGX_Finish_r(&req);
		if (r.exit_after)
			exit(EXIT_SUCCESS);
	}
	return EXIT_SUCCESS;
}
