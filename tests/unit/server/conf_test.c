/*
 * Tests of server/conf.c (command line, ferry.conf, listen addresses);
 * log.c's are in log_test.c.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conf.h"
#include "server/confval.h"
#include "server/log.h"

#define OUT_MAX	8192

static char	*guarded(const char *);
static void	 guarded_free(void);
static void	 capture_begin(int, int *, char *);
static void	 capture_end(int, int, const char *, char *, size_t);
static int	 run_load(struct conf *, const char *const *, char *, char *);
static void	 make_tmpdir(void);
static void	 write_file(const char *, const char *);
static int	 rm_entry(const char *, const struct stat *, int, struct FTW *);
static void	 rm_tmpdir(void);
static void	 check_listen_in(const struct conf_listen *, int, const char *,
		    int);

static char	tmpdir[PATH_MAX];	/* per test: made by make_tmpdir */
static char	*guard_map;
static size_t	 guard_maplen;

/*
 * Copies the string s with its NUL so that the NUL is the last byte
 * before a PROT_NONE page: a parser reading past the end faults.
 */
static char *
guarded(const char *s)
{
	long	pg = sysconf(_SC_PAGESIZE);
	size_t	len = strlen(s) + 1, data;

	guarded_free();
	data = (len + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	guard_maplen = data + (size_t)pg;
	guard_map = mmap(NULL, guard_maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(guard_map, MAP_FAILED);
	ck_assert_int_eq(mprotect(guard_map + data, (size_t)pg, PROT_NONE), 0);
	memcpy(guard_map + data - len, s, len);
	return guard_map + data - len;
}

static void
guarded_free(void)
{
	if (guard_map != NULL)
		munmap(guard_map, guard_maplen);
	guard_map = NULL;
}

/* Sends fd (1 or 2) to a temp file until capture_end. */
static void
capture_begin(int fd, int *saved, char *path)
{
	int	tfd;

	fflush(fd == 1 ? stdout : stderr);
	strcpy(path, "/tmp/conf_test.XXXXXX");
	ck_assert_int_ne(tfd = mkstemp(path), -1);
	ck_assert_int_ne(*saved = dup(fd), -1);
	ck_assert_int_ne(dup2(tfd, fd), -1);
	close(tfd);
}

/* Restores fd and reads what was written into out (NUL-terminated). */
static void
capture_end(int fd, int saved, const char *path, char *out, size_t cap)
{
	FILE	*fp;
	size_t	 n;

	fflush(fd == 1 ? stdout : stderr);
	ck_assert_int_ne(dup2(saved, fd), -1);
	close(saved);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	n = fread(out, 1, cap - 1, fp);
	out[n] = '\0';
	fclose(fp);
	unlink(path);
}

/* conf_load on a NULL-ended argv, capturing stdout and stderr. */
static int
run_load(struct conf *c, const char *const *args, char *out, char *err)
{
	char	*argv[32], p1[64], p2[64];
	int	 argc, rc, s1, s2;

	for (argc = 0; args[argc] != NULL; argc++) {
		ck_assert_int_lt(argc, 31);
		argv[argc] = strdup(args[argc]);
	}
	argv[argc] = NULL;
	capture_begin(1, &s1, p1);
	capture_begin(2, &s2, p2);
	rc = conf_load(c, argc, argv);
	capture_end(2, s2, p2, err, OUT_MAX);
	capture_end(1, s1, p1, out, OUT_MAX);
	while (argc-- > 0)
		free(argv[argc]);
	return rc;
}

/* A fresh temp dir holding cgi/ (a directory), app.sh (executable) and
   plain.txt (not executable). */
static void
make_tmpdir(void)
{
	char	path[PATH_MAX + 32], *real;

	strcpy(tmpdir, "/tmp/conf_test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* /tmp may be a symlink: compare against realpaths */
	ck_assert_ptr_nonnull(real = realpath(tmpdir, NULL));
	strcpy(tmpdir, real);
	free(real);
	snprintf(path, sizeof(path), "%s/cgi", tmpdir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/app.sh", tmpdir);
	write_file(path, "#!/bin/sh\nexit 0\n");
	ck_assert_int_eq(chmod(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/plain.txt", tmpdir);
	write_file(path, "text\n");
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* Teardown of every test: removes the temp dir, if one was made. */
static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

static void
write_file(const char *path, const char *text)
{
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Asserts l is the IPv4/IPv6 address text:port (or the unix path). */
static void
check_listen_in(const struct conf_listen *l, int family, const char *addr,
    int port)
{
	char	buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(l->family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&l->addr;

		ck_assert_int_eq(sin->sin_family, AF_INET);
		ck_assert_int_eq(l->addrlen, sizeof(*sin));
		ck_assert_str_eq(inet_ntop(AF_INET, &sin->sin_addr, buf,
		    sizeof(buf)), addr);
		ck_assert_int_eq(ntohs(sin->sin_port), port);
	} else if (family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&l->addr;

		ck_assert_int_eq(sin6->sin6_family, AF_INET6);
		ck_assert_int_eq(l->addrlen, sizeof(*sin6));
		ck_assert_str_eq(inet_ntop(AF_INET6, &sin6->sin6_addr, buf,
		    sizeof(buf)), addr);
		ck_assert_int_eq(ntohs(sin6->sin6_port), port);
	} else {
		const struct sockaddr_un *sun = (const void *)&l->addr;

		ck_assert_int_eq(sun->sun_family, AF_UNIX);
		ck_assert_str_eq(sun->sun_path, addr);
		ck_assert_int_eq(l->addrlen, offsetof(struct sockaddr_un,
		    sun_path) + strlen(addr) + 1);
	}
}

/* ------------------------------------------------------------------ */
/* confval_listen */

static char	 long_unix_ok[5 + 107 + 1];	/* "unix:" + 107 bytes: fits */
static char	 long_unix_bad[5 + 108 + 1];	/* one more: no room for NUL */

static const struct listen_case {
	const char	*spec;		/* NULL: long_unix_ok/bad by index */
	int		 rc;
	int		 family;
	const char	*addr;		/* address text or unix path */
	int		 port;
	const char	*err;		/* substring of the message */
} listen_cases[] = {
	/* IPv4 address and port */
	{ "127.0.0.1:8080", 0, AF_INET, "127.0.0.1", 8080, NULL },
	/* :PORT is every IPv4 address */
	{ ":80", 0, AF_INET, "0.0.0.0", 80, NULL },
	/* localhost is the one name allowed */
	{ "localhost:80", 0, AF_INET, "127.0.0.1", 80, NULL },
	/* highest port */
	{ "10.1.2.3:65535", 0, AF_INET, "10.1.2.3", 65535, NULL },
	/* leading zeros are digits too */
	{ ":080", 0, AF_INET, "0.0.0.0", 80, NULL },
	/* IPv6 in brackets */
	{ "[::1]:80", 0, AF_INET6, "::1", 80, NULL },
	/* IPv6 wildcard */
	{ "[::]:443", 0, AF_INET6, "::", 443, NULL },
	/* full IPv6 address */
	{ "[2001:db8::5]:8080", 0, AF_INET6, "2001:db8::5", 8080, NULL },
	/* unix socket */
	{ "unix:/tmp/x", 0, AF_UNIX, "/tmp/x", 0, NULL },
	/* relative unix socket path, as written */
	{ "unix:run/s", 0, AF_UNIX, "run/s", 0, NULL },
	/* no port at all */
	{ "1.2.3.4", -1, 0, NULL, 0, "expected HOST:PORT" },
	/* port 0 */
	{ ":0", -1, 0, NULL, 0, "bad port \"0\"" },
	/* port too big */
	{ ":65536", -1, 0, NULL, 0, "bad port \"65536\"" },
	/* port with a letter */
	{ ":8x", -1, 0, NULL, 0, "bad port \"8x\"" },
	/* empty port */
	{ "127.0.0.1:", -1, 0, NULL, 0, "bad port \"\"" },
	/* signs and spaces are not digits */
	{ ":+80", -1, 0, NULL, 0, "bad port \"+80\"" },
	{ ": 80", -1, 0, NULL, 0, "bad port \"\"" },
	/* a port that overflows 64 bits */
	{ ":99999999999999999999999", -1, 0, NULL, 0, "bad port" },
	/* IPv6 without a port */
	{ "[::1]", -1, 0, NULL, 0, "expected [IPV6]:PORT" },
	/* IPv6 without the closing bracket */
	{ "[::1:80", -1, 0, NULL, 0, "missing ']'" },
	/* empty brackets */
	{ "[]:80", -1, 0, NULL, 0, "bad IPv6 address" },
	/* IPv4 in brackets is not IPv6 */
	{ "[1.2.3.4]:80", -1, 0, NULL, 0, "not a numeric IPv6 address" },
	/* IPv6 without brackets */
	{ "::1:80", -1, 0, NULL, 0, "in brackets" },
	/* host names are not resolved */
	{ "host.example:80", -1, 0, NULL, 0, "not a numeric IPv4 address" },
	/* inet_aton shorthands are refused */
	{ "127.1:80", -1, 0, NULL, 0, "not a numeric IPv4 address" },
	{ "0x7f.0.0.1:80", -1, 0, NULL, 0, "not a numeric IPv4 address" },
	/* IPv4 octet out of range */
	{ "256.0.0.1:80", -1, 0, NULL, 0, "not a numeric IPv4 address" },
	/* options: for unix:PATH only, each known and well-formed */
	{ "unix:/run/f.sock mode=0660 owner=root group=root", 0, AF_UNIX,
	  "/run/f.sock", 0, NULL },
	{ "unix:/run/f.sock mode=888", -1, 0, NULL, 0, "expected an octal" },
	{ "unix:/run/f.sock mode=", -1, 0, NULL, 0, "expected an octal" },
	{ "unix:/run/f.sock owner=no-such-user-here", -1, 0, NULL, 0,
	  "unknown owner" },
	{ "unix:/run/f.sock color=blue", -1, 0, NULL, 0, "unknown option" },
	{ "127.0.0.1:80 mode=0600", -1, 0, NULL, 0, "are for unix:PATH" },
	/* flags: proxy_protocol anywhere, reuse_port on TCP */
	{ "127.0.0.1:80 proxy_protocol reuse_port", 0, AF_INET, "127.0.0.1",
	  80, NULL },
	{ "unix:/run/f.sock proxy_protocol mode=0600", 0, AF_UNIX,
	  "/run/f.sock", 0, NULL },
	{ "unix:/run/f.sock reuse_port", -1, 0, NULL, 0, "unknown option" },
	{ "127.0.0.1:80 proxy", -1, 0, NULL, 0, "unknown option \"proxy\"" },
	/* empty unix path */
	{ "unix:", -1, 0, NULL, 0, "empty socket path" },
	/* empty spec */
	{ "", -1, 0, NULL, 0, "expected HOST:PORT" },
	/* the longest unix path that fits sun_path (index 30) */
	{ NULL, 0, AF_UNIX, NULL, 0, NULL },
	/* one byte longer (index 31) */
	{ NULL, -1, 0, NULL, 0, "socket path longer than 107 bytes" },
};

START_TEST(test_listen)
{
	const struct listen_case	*t = &listen_cases[_i];
	struct conf_listen		 l;
	char				 err[256], *spec, *p;
	const char			*in, *addr;
	size_t				 k, len;

	memset(long_unix_ok, 'a', sizeof(long_unix_ok) - 1);
	memcpy(long_unix_ok, "unix:", 5);
	long_unix_ok[sizeof(long_unix_ok) - 1] = '\0';
	memset(long_unix_bad, 'a', sizeof(long_unix_bad) - 1);
	memcpy(long_unix_bad, "unix:", 5);
	long_unix_bad[sizeof(long_unix_bad) - 1] = '\0';
	in = t->spec != NULL ? t->spec : t->rc == 0 ? long_unix_ok :
	    long_unix_bad;
	addr = t->addr != NULL ? t->addr : in + 5;

	/* whole, against the guard page */
	memset(&l, 0, sizeof(l));
	err[0] = '\0';
	spec = guarded(in);
	ck_assert_int_eq(confval_listen(spec, &l, err, sizeof(err)), t->rc);
	if (t->rc == 0) {
		ck_assert_str_eq(l.spec, in);
		check_listen_in(&l, t->family, addr, t->port);
		free(l.spec);
	} else {
		ck_assert_msg(strstr(err, t->err) != NULL, "%s: got \"%s\"",
		    in, err);
		ck_assert_ptr_null(l.spec);
	}

	/* every prefix, against the guard page: no read past the NUL, and
	   a prefix that parses keeps its own text */
	len = strlen(in);
	for (k = 0; k < len; k++) {
		p = strndup(in, k);
		spec = guarded(p);
		memset(&l, 0, sizeof(l));
		if (confval_listen(spec, &l, err, sizeof(err)) == 0) {
			ck_assert_str_eq(l.spec, p);
			free(l.spec);
		} else
			ck_assert_int_ne(err[0], '\0');
		free(p);
	}
	guarded_free();
}
END_TEST

/* The flag words after the address land in conf_listen's flags. */
static const struct {
	const char	*spec;
	unsigned int	 flags;
} listen_flag_cases[] = {
	{ "127.0.0.1:80", 0 },
	{ "127.0.0.1:80 proxy_protocol", CONF_LISTEN_PROXY },
	{ "[::1]:80 reuse_port", CONF_LISTEN_REUSEPORT },
	{ ":80 reuse_port proxy_protocol", CONF_LISTEN_PROXY |
	  CONF_LISTEN_REUSEPORT },
	{ "unix:/run/f.sock mode=0600 proxy_protocol", CONF_LISTEN_PROXY },
};

START_TEST(test_listen_flags)
{
	struct conf_listen	l;
	char			err[256];

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(confval_listen(listen_flag_cases[_i].spec, &l, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(l.flags, listen_flag_cases[_i].flags);
	ck_assert_str_eq(l.spec, listen_flag_cases[_i].spec);
	free(l.spec);
}
END_TEST

/* ------------------------------------------------------------------ */
/* conf_load: command line */

START_TEST(test_load_defaults)
{
	static const char *const args[] = { "ferryd", NULL };
	struct conf	c;
	char		out[OUT_MAX], err[OUT_MAX];

	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.nlistens, 1);
	ck_assert_str_eq(c.listens[0].spec, CONF_DEFAULT_LISTEN);
	check_listen_in(&c.listens[0], AF_INET, "127.0.0.1", 8080);
	ck_assert_uint_eq(c.napps, 0);
	ck_assert_ptr_null(c.access_log);
	ck_assert_ptr_null(c.error_log);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
	ck_assert_int_eq(c.access_log_format, LOG_FORMAT_COMBINED);
	ck_assert_int_eq(c.syslog_facility, LOG_FAC_DAEMON);
	ck_assert_uint_eq(c.max_conns, CONF_DEFAULT_MAX_CONNS);
	ck_assert_uint_eq(c.max_body, CONF_DEFAULT_MAX_BODY);
	ck_assert_uint_eq(c.max_target, CONF_DEFAULT_MAX_TARGET);
	ck_assert_uint_eq(c.max_head, CONF_DEFAULT_MAX_HEAD);
	ck_assert_uint_eq(c.max_fields, CONF_DEFAULT_MAX_FIELDS);
	ck_assert_double_eq(c.header_timeout, CONF_DEFAULT_HEADER_TIMEOUT);
	ck_assert_double_eq(c.body_timeout, CONF_DEFAULT_BODY_TIMEOUT);
	ck_assert_double_eq(c.keepalive_timeout, CONF_DEFAULT_KEEPALIVE_TIMEOUT);
	ck_assert_double_eq(c.write_timeout, CONF_DEFAULT_WRITE_TIMEOUT);
	ck_assert_double_eq(c.shutdown_timeout, CONF_DEFAULT_SHUTDOWN_TIMEOUT);
	ck_assert_double_eq(c.kill_grace, CONF_DEFAULT_KILL_GRACE);
	ck_assert_uint_eq(c.trusted_proxies.n, 0);	/* trust no one */
	ck_assert_int_eq(c.forwarded_header, 0);	/* x-forwarded-for */
	conf_free(&c);
	ck_assert_ptr_null(c.listens);
	conf_free(&c);		/* harmless twice */
}
END_TEST

START_TEST(test_load_listens)
{
	static const char *const args[] = { "ferryd", "--listen", ":80",
	    "-l", "unix:/tmp/s", "--listen=[::1]:81", "--foreground", NULL };
	struct conf	c;
	char		out[OUT_MAX], err[OUT_MAX];

	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_uint_eq(c.nlistens, 3);
	check_listen_in(&c.listens[0], AF_INET, "0.0.0.0", 80);
	check_listen_in(&c.listens[1], AF_UNIX, "/tmp/s", 0);
	check_listen_in(&c.listens[2], AF_INET6, "::1", 81);
	conf_free(&c);
}
END_TEST

START_TEST(test_load_cgi)
{
	struct conf	 c;
	char		 out[OUT_MAX], err[OUT_MAX], arg[PATH_MAX + 32],
			 want[PATH_MAX + 32];
	const char	*args[] = { "ferryd", "--cgi", arg, "--access-log",
	    "a.log", "--error-log", "/var/e.log", NULL };

	make_tmpdir();
	/* a path with a "." component: root is the realpath */
	snprintf(arg, sizeof(arg), "/cgi-bin/=%s/./cgi", tmpdir);
	snprintf(want, sizeof(want), "%s/cgi", tmpdir);
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.napps, 1);
	ck_assert_str_eq(c.apps[0].name, "/cgi-bin/");
	ck_assert_str_eq(c.apps[0].prefix, "/cgi-bin/");
	ck_assert_int_eq(c.apps[0].type, CONF_APP_CGI);
	ck_assert_str_eq(c.apps[0].root, want);
	ck_assert_ptr_null(c.apps[0].command);
	ck_assert_ptr_null(c.apps[0].args[0]);
	ck_assert_ptr_null(c.apps[0].env[0]);
	ck_assert_int_eq(c.apps[0].on_client_gone, CONF_GONE_TERMINATE);
	ck_assert_uint_eq(c.apps[0].max_procs, CONF_DEFAULT_MAX_PROCS);
	ck_assert_uint_eq(c.apps[0].queue, CONF_DEFAULT_QUEUE);
	ck_assert_double_eq(c.apps[0].request_timeout,
	    CONF_DEFAULT_REQUEST_TIMEOUT);
	ck_assert_str_eq(c.access_log, "a.log");
	ck_assert_str_eq(c.error_log, "/var/e.log");
	conf_free(&c);
}
END_TEST

START_TEST(test_load_app_workers)
{
	struct conf	 c;
	char		 out[OUT_MAX], err[OUT_MAX], arg[PATH_MAX + 32],
			 want[PATH_MAX + 32];
	const char	*args[] = { "ferryd", "--workers", "3", "--app", arg,
	    "--app", "/b/=/bin/sh", NULL };
	size_t		 i;

	make_tmpdir();
	snprintf(arg, sizeof(arg), "/=%s/app.sh", tmpdir);
	snprintf(want, sizeof(want), "%s/app.sh", tmpdir);
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.napps, 2);
	ck_assert_str_eq(c.apps[0].prefix, "/");
	ck_assert_str_eq(c.apps[0].command, want);
	ck_assert_str_eq(c.apps[1].prefix, "/b/");
	ck_assert_str_eq(c.apps[1].command, "/bin/sh");
	for (i = 0; i < 2; i++) {
		/* --workers applies to every --app, before or after it */
		ck_assert_int_eq(c.apps[i].type, CONF_APP_FASTCGI);
		ck_assert_int_eq(c.apps[i].workers, 3);
		ck_assert_int_eq(c.apps[i].min_workers, 3);
		ck_assert_int_eq(c.apps[i].max_workers, 3);
		ck_assert_int_eq(c.apps[i].on_client_gone, CONF_GONE_ABORT);
		ck_assert_ptr_null(c.apps[i].root);
		ck_assert_ptr_null(c.apps[i].args[0]);
		ck_assert_int_eq(c.apps[i].isolation_request, 0);
	}
	conf_free(&c);
}
END_TEST

START_TEST(test_load_app_default_workers)
{
	static const char *const args[] = { "ferryd", "--app", "/=/bin/sh",
	    NULL };
	struct conf	c;
	char		out[OUT_MAX], err[OUT_MAX];

	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_int_eq(c.apps[0].workers, CONF_DEFAULT_WORKERS);
	ck_assert_int_eq(c.apps[0].min_workers, CONF_DEFAULT_WORKERS);
	ck_assert_int_eq(c.apps[0].max_workers, CONF_DEFAULT_WORKERS);
	ck_assert_uint_eq(c.apps[0].max_requests, CONF_DEFAULT_MAX_REQUESTS);
	ck_assert_double_eq(c.apps[0].idle_timeout, CONF_DEFAULT_IDLE_TIMEOUT);
	conf_free(&c);
}
END_TEST

START_TEST(test_version_help)
{
	static const char *const v[] = { "ferryd", "--version", NULL };
	static const char *const v2[] = { "ferryd", "-V", "--bogus", NULL };
	static const char *const h[] = { "ferryd", "--listen", ":1", "-h",
	    NULL };
	struct conf	c;
	char		out[OUT_MAX], err[OUT_MAX];

	/* --version prints the version on stdout */
	ck_assert_int_eq(run_load(&c, v, out, err), 1);
	ck_assert_str_eq(out, "ferryd " PACKAGE_VERSION "\n");
	ck_assert_str_eq(err, "");
	ck_assert_ptr_null(c.listens);
	/* handled as soon as seen: a later bad option does not matter */
	ck_assert_int_eq(run_load(&c, v2, out, err), 1);
	ck_assert_str_eq(out, "ferryd " PACKAGE_VERSION "\n");
	/* --help: the usage on stdout */
	ck_assert_int_eq(run_load(&c, h, out, err), 1);
	ck_assert_ptr_nonnull(strstr(out, "usage: ferryd [-t] [-c FILE]"));
	ck_assert_ptr_nonnull(strstr(out, "--listen ADDR"));
	ck_assert_ptr_nonnull(strstr(out, "ferry.conf(5)"));
	ck_assert_str_eq(err, "");
}
END_TEST

/* Command lines that conf_load refuses: -1 and this message on stderr,
   followed by the usage hint. */
static const struct argv_case {
	const char	*args[12];
	const char	*err;
} bad_argv_cases[] = {
	/* unknown long option */
	{ { "ferryd", "--bogus", NULL }, "ferryd: unknown option --bogus\n" },
	/* unknown short option */
	{ { "ferryd", "-x", NULL }, "ferryd: unknown option -x\n" },
	/* missing argument */
	{ { "ferryd", "--listen", NULL },
	  "ferryd: option --listen needs an argument\n" },
	{ { "ferryd", "-c", NULL }, "ferryd: option -c needs an argument\n" },
	/* an operand */
	{ { "ferryd", "extra", NULL }, "ferryd: unexpected argument: extra\n" },
	/* a bad address */
	{ { "ferryd", "--listen", ":0", NULL },
	  "ferryd: --listen :0: bad port \"0\": expected 1 to 65535\n" },
	/* -c twice */
	{ { "ferryd", "-c", "a", "-c", "b", NULL }, "ferryd: -c given twice\n" },
	/* --cgi without '=' */
	{ { "ferryd", "--cgi", "/x/", NULL },
	  "ferryd: --cgi /x/: expected PREFIX=DIR\n" },
	/* --cgi with a missing directory */
	{ { "ferryd", "--cgi", "/x/=/nonexistent/dir", NULL },
	  "ferryd: --cgi /x/=/nonexistent/dir: /nonexistent/dir: No such "
	  "file or directory\n" },
	/* --cgi with a file, not a directory */
	{ { "ferryd", "--cgi", "/x/=/bin/sh", NULL },
	  "ferryd: --cgi /x/=/bin/sh: /bin/sh: not a directory\n" },
	/* a prefix must start with '/' */
	{ { "ferryd", "--cgi", "x/=/tmp", NULL },
	  "ferryd: --cgi x/=/tmp: prefix \"x/\" must start with '/'\n" },
	/* the same prefix twice */
	{ { "ferryd", "--cgi", "/x/=/tmp", "--app", "/x/=/bin/sh", NULL },
	  "ferryd: --app /x/=/bin/sh: duplicate prefix /x/ (app /x/ has it)\n" },
	/* --app with a missing program */
	{ { "ferryd", "--app", "/=/nonexistent", NULL },
	  "ferryd: --app /=/nonexistent: /nonexistent: No such file or "
	  "directory\n" },
	/* --app with a directory */
	{ { "ferryd", "--app", "/=/tmp", NULL },
	  "ferryd: --app /=/tmp: /tmp: not an executable file\n" },
	/* --workers without --app */
	{ { "ferryd", "--workers", "2", "--cgi", "/c/=/tmp", NULL },
	  "ferryd: --workers sizes the --app pools, and no --app was given\n" },
	/* --workers 0 and non-numbers */
	{ { "ferryd", "--workers", "0", "--app", "/=/bin/sh", NULL },
	  "ferryd: --workers \"0\": expected a whole number from 1 to 1024\n" },
	{ { "ferryd", "--workers", "-1", "--app", "/=/bin/sh", NULL },
	  "ferryd: --workers \"-1\": expected a whole number from 1 to 1024\n" },
	/* -c with a missing file: no usage hint, the file is named */
	{ { "ferryd", "-c", "/nonexistent.conf", NULL },
	  "ferryd: /nonexistent.conf: No such file or directory\n" },
};

START_TEST(test_bad_argv)
{
	const struct argv_case	*t = &bad_argv_cases[_i];
	struct conf		 c;
	char			 out[OUT_MAX], err[OUT_MAX];
	size_t			 n = strlen(t->err);

	ck_assert_int_eq(run_load(&c, t->args, out, err), -1);
	ck_assert_msg(strncmp(err, t->err, n) == 0, "want \"%s\" got \"%s\"",
	    t->err, err);
	/* the usage hint follows, except after a file error */
	if (strstr(t->err, "nonexistent.conf") == NULL)
		ck_assert_ptr_nonnull(strstr(err + n, "usage: ferryd"));
	else
		ck_assert_str_eq(err + n, "");
	ck_assert_str_eq(out, "");
	ck_assert_ptr_null(c.listens);
	ck_assert_ptr_null(c.apps);
}
END_TEST

/* ------------------------------------------------------------------ */
/* conf_load: ferry.conf */

START_TEST(test_file_full)
{
	struct conf	 c;
	char		 out[OUT_MAX], err[OUT_MAX], path[PATH_MAX + 32],
			 want[PATH_MAX + 64];
	const char	*args[] = { "ferryd", "-c", path, NULL };
	const struct conf_app *a;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/ferry.conf", tmpdir);
	write_file(path,
	    "\xEF\xBB\xBF# ferry.conf with every key\n"
	    "[server]\n"
	    "listen = 127.0.0.1:8081\n"
	    "listen = [::1]:8082   ; an inline comment\n"
	    "    unix:ferry.sock\n"			/* continuation line */
	    "access_log = logs/access.log\n"
	    "error_log = /var/log/ferry-error.log\n"
	    "log_level = debug\n"
	    "access_log_format = json\n"
	    "syslog_facility = local7\n"
	    "max_connections = 77\n"
	    "max_body_size = 2M\n"
	    "max_target_length = 4K\n"
	    "max_header_size = 32768\n"
	    "max_header_fields = 50\n"
	    "header_timeout = 1.5\n"
	    "body_timeout = 2\n"
	    "keepalive_timeout = 3.25\n"
	    "write_timeout = 4\n"
	    "shutdown_timeout = 5\n"
	    "kill_grace = 0.5\n"
	    "trusted_proxies = 10.0.0.0/8 unix\n"
	    "trusted_proxies = ::1\n"
	    "forwarded_header = forwarded\n"
	    "\n"
	    "; a CGI app\n"
	    "[app scripts]\n"
	    "type = cgi\n"
	    "prefix = /cgi-bin/\n"
	    "root = cgi\n"
	    "env = PATH TZ\n"
	    "env = LANG\n"
	    "max_processes = 9\n"
	    "queue = 0\n"
	    "request_timeout = 120\n"
	    "on_client_gone = finish\n"
	    "user = root\n"
	    "group = root\n"
	    "\n"
	    "[app hello]\n"
	    "type: fastcgi\n"
	    "prefix = /hello\n"
	    "command = app.sh\n"
	    "args = -v  --port 9\n"
	    "root = .\n"
	    "min_workers = 1\n"
	    "workers = 2\n"
	    "max_workers = 8\n"
	    "max_requests = 1000\n"
	    "idle_timeout = 30\n"
	    "on_client_gone = abort\n"
	    "isolation = request\n"
	    "half_close = answer\n"
	    "hijack_grace = 2.5\n"
	    "syscall_filter = default\n"
	    "\n"
	    "[app defaults]\n"
	    "type = fastcgi\n"
	    "prefix = /d/\n"
	    "command = /bin/sh\n"
	    "max_workers = 5\n");
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");

	ck_assert_uint_eq(c.nlistens, 3);
	check_listen_in(&c.listens[0], AF_INET, "127.0.0.1", 8081);
	check_listen_in(&c.listens[1], AF_INET6, "::1", 8082);
	snprintf(want, sizeof(want), "%s/ferry.sock", tmpdir);
	check_listen_in(&c.listens[2], AF_UNIX, want, 0);
	snprintf(want, sizeof(want), "%s/logs/access.log", tmpdir);
	ck_assert_str_eq(c.access_log, want);
	ck_assert_str_eq(c.error_log, "/var/log/ferry-error.log");
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(c.access_log_format, LOG_FORMAT_JSON);
	ck_assert_int_eq(c.syslog_facility, LOG_FAC_LOCAL7);
	ck_assert_uint_eq(c.max_conns, 77);
	ck_assert_uint_eq(c.max_body, 2 * 1024 * 1024);
	ck_assert_uint_eq(c.max_target, 4096);
	ck_assert_uint_eq(c.max_head, 32768);
	ck_assert_uint_eq(c.max_fields, 50);
	ck_assert_double_eq(c.header_timeout, 1.5);
	ck_assert_double_eq(c.body_timeout, 2.0);
	ck_assert_double_eq(c.keepalive_timeout, 3.25);
	ck_assert_double_eq(c.write_timeout, 4.0);
	ck_assert_double_eq(c.shutdown_timeout, 5.0);
	ck_assert_double_eq(c.kill_grace, 0.5);
	ck_assert_uint_eq(c.trusted_proxies.n, 3);
	ck_assert_int_eq(c.trusted_proxies.v[0].family, AF_INET);
	ck_assert_uint_eq(c.trusted_proxies.v[0].bits, 8);
	ck_assert_int_eq(c.trusted_proxies.v[1].family, AF_UNIX);
	ck_assert_int_eq(c.trusted_proxies.v[2].family, AF_INET6);
	ck_assert_int_eq(c.forwarded_header, 1);	/* forwarded */

	ck_assert_uint_eq(c.napps, 3);
	a = &c.apps[0];
	ck_assert_str_eq(a->name, "scripts");
	ck_assert_int_eq(a->type, CONF_APP_CGI);
	ck_assert_str_eq(a->prefix, "/cgi-bin/");
	snprintf(want, sizeof(want), "%s/cgi", tmpdir);
	ck_assert_str_eq(a->root, want);
	ck_assert_str_eq(a->env[0], "PATH");
	ck_assert_str_eq(a->env[1], "TZ");
	ck_assert_str_eq(a->env[2], "LANG");
	ck_assert_ptr_null(a->env[3]);
	ck_assert_ptr_null(a->args[0]);
	ck_assert_uint_eq(a->max_procs, 9);
	ck_assert_uint_eq(a->queue, 0);
	ck_assert_double_eq(a->request_timeout, 120.0);
	ck_assert_int_eq(a->on_client_gone, CONF_GONE_FINISH);
	ck_assert_str_eq(a->user, "root");
	ck_assert_str_eq(a->group, "root");
	ck_assert_int_eq(a->workers, 0);

	a = &c.apps[1];
	ck_assert_str_eq(a->name, "hello");
	ck_assert_int_eq(a->type, CONF_APP_FASTCGI);
	ck_assert_str_eq(a->prefix, "/hello");
	snprintf(want, sizeof(want), "%s/app.sh", tmpdir);
	ck_assert_str_eq(a->command, want);
	ck_assert_str_eq(a->args[0], "-v");
	ck_assert_str_eq(a->args[1], "--port");
	ck_assert_str_eq(a->args[2], "9");
	ck_assert_ptr_null(a->args[3]);
	ck_assert_str_eq(a->root, tmpdir);
	ck_assert_int_eq(a->min_workers, 1);
	ck_assert_int_eq(a->workers, 2);
	ck_assert_int_eq(a->max_workers, 8);
	ck_assert_uint_eq(a->max_requests, 1000);
	ck_assert_double_eq(a->idle_timeout, 30.0);
	ck_assert_double_eq(a->request_timeout, CONF_DEFAULT_REQUEST_TIMEOUT);
	ck_assert_int_eq(a->on_client_gone, CONF_GONE_ABORT);
	ck_assert_int_eq(a->isolation_request, 1);
	ck_assert_int_eq(a->half_close_answer, 1);
	ck_assert_double_eq(a->hijack_grace, 2.5);
	ck_assert_int_eq(a->syscall_filter, CONF_FILTER_DEFAULT);
	ck_assert_ptr_null(a->user);

	/* defaults of a FastCGI app; workers stay within max_workers */
	a = &c.apps[2];
	ck_assert_str_eq(a->command, "/bin/sh");
	ck_assert_int_eq(a->workers, CONF_DEFAULT_WORKERS);
	ck_assert_int_eq(a->min_workers, CONF_DEFAULT_WORKERS);
	ck_assert_int_eq(a->max_workers, 5);
	ck_assert_int_eq(a->on_client_gone, CONF_GONE_ABORT);
	ck_assert_uint_eq(a->queue, CONF_DEFAULT_QUEUE);
	ck_assert_int_eq(a->isolation_request, 0);
	ck_assert_int_eq(a->half_close_answer, 0);
	ck_assert_double_eq(a->hijack_grace, 0);	/* no limit */
	ck_assert(a->limits[CONF_LIMIT_CPU] == CONF_LIMIT_UNSET &&
	    a->limits[CONF_LIMIT_CORE] == CONF_LIMIT_UNSET);
	ck_assert_int_eq(a->syscall_filter, CONF_FILTER_OFF);
	conf_free(&c);
}
END_TEST

/* The sandbox's keys (as root: each needs it), the lists appending, and
   conf_app_same_sandbox telling a change. */
START_TEST(test_file_sandbox)
{
	struct conf	 c;
	char		 out[OUT_MAX], err[OUT_MAX], path[PATH_MAX + 32];
	const char	*args[] = { "ferryd", "-c", path, NULL };
	const struct conf_app *a, *b;

	if (geteuid() != 0)
		return;
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/ferry.conf", tmpdir);
	write_file(path,
	    "[app a]\ntype = cgi\nprefix = /a/\nroot = /usr/bin\n"
	    "private_network = yes\nprivate_ipc = yes\nprivate_uts = yes\n"
	    "private_pids = yes\nread_only = yes\nwritable = /tmp /var\n"
	    "writable = /usr\nprivate_tmp = yes\nhide_paths = /root\n"
	    "chroot = /\n"
	    "[app b]\ntype = cgi\nprefix = /b/\nroot = /usr/bin\n"
	    "read_only = no\n");
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	a = &c.apps[0];
	b = &c.apps[1];
	ck_assert(a->private_network && a->private_ipc && a->private_uts &&
	    a->private_pids && a->read_only && a->private_tmp);
	ck_assert_str_eq(a->writable[0], "/tmp");
	ck_assert_str_eq(a->writable[1], "/var");
	ck_assert_str_eq(a->writable[2], "/usr");
	ck_assert_ptr_null(a->writable[3]);
	ck_assert_str_eq(a->hide_paths[0], "/root");
	ck_assert_str_eq(a->chroot, "/");
	ck_assert(!b->private_network && !b->private_pids && !b->read_only &&
	    b->writable == NULL && b->hide_paths == NULL && b->chroot == NULL);
	ck_assert_int_eq(conf_app_same_sandbox(a, b), 0);
	ck_assert_int_eq(conf_app_same_sandbox(a, a), 1);
	ck_assert_int_eq(conf_app_same_sandbox(b, b), 1);
	conf_free(&c);

	/* chroot must hold the script directory */
	write_file(path, "[app a]\ntype = cgi\nprefix = /a/\nroot = /usr/bin\n"
	    "chroot = /var\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "[app a]: root /usr/bin is not "
	    "under chroot /var"));
	/* private_pids needs a /proc in the chroot */
	write_file(path, "[app a]\ntype = cgi\nprefix = /a/\nroot = /usr/bin\n"
	    "chroot = /usr\nprivate_pids = yes\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "[app a]: private_pids needs a "
	    "directory /usr/proc in chroot"));
	/* paths are absolute and exist */
	write_file(path, "[app a]\ntype = cgi\nprefix = /a/\nroot = /usr/bin\n"
	    "hide_paths = /no/such/path\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "hide_paths: /no/such/path: No such "
	    "file"));
	/* private_tmp would hide the scripts */
	write_file(path, "[app a]\ntype = cgi\nprefix = /a/\nroot = /var/tmp\n"
	    "private_tmp = yes\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "[app a]: private_tmp would hide "
	    "/var/tmp (under /var/tmp)"));
	write_file(path, "[app a]\ntype = cgi\nprefix = /a/\nroot = /usr/bin\n"
	    "read_only = yes\nwritable = tmp\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "writable: tmp is not an absolute "
	    "path"));
}
END_TEST

/* include = PATTERN: the files a glob names, relative to the including
   file, are read where the line stands, in order, each with its own
   sections (relative paths against their own directory); an empty glob
   is fine, a missing plain path and a loop are errors. */
START_TEST(test_file_include)
{
	struct conf	 c;
	char		 out[OUT_MAX], err[OUT_MAX], path[PATH_MAX + 32],
			 d[PATH_MAX + 32], f[PATH_MAX + 64];
	const char	*args[] = { "ferryd", "-c", path, NULL };

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/ferry.conf", tmpdir);
	snprintf(d, sizeof(d), "%s/conf.d", tmpdir);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	snprintf(f, sizeof(f), "%s/20-b.conf", d);
	write_file(f, "[app b]\ntype = cgi\nprefix = /b/\nroot = ../cgi\n");
	snprintf(f, sizeof(f), "%s/10-a.conf", d);
	write_file(f, "[app a]\ntype = cgi\nprefix = /a/\nroot = ../cgi\n");
	write_file(path,
	    "[server]\n"
	    "listen = :8001\n"
	    "include = conf.d/*.conf\n"
	    "include = empty.d/*.conf\n"
	    "[app z]\n"
	    "type = cgi\n"
	    "prefix = /z/\n"
	    "root = cgi\n");
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.napps, 3);
	ck_assert_str_eq(c.apps[0].name, "a");
	ck_assert_str_eq(c.apps[1].name, "b");
	ck_assert_str_eq(c.apps[2].name, "z");
	ck_assert_str_eq(c.apps[0].root + strlen(tmpdir), "/cgi");
	conf_free(&c);

	/* a key after an include needs a section header again */
	write_file(path, "[server]\ninclude = conf.d/*.conf\nlisten = :1\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "ferry.conf:3: listen outside of"));

	/* a plain path that is not there */
	write_file(path, "[server]\ninclude = nothere.conf\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "ferry.conf:2: include nothere.conf"));

	/* an error in an included file names that file, then the include */
	snprintf(f, sizeof(f), "%s/30-bad.conf", d);
	write_file(f, "[app c]\nno_such_key = 1\n");
	write_file(path, "include = conf.d/*.conf\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "30-bad.conf:2: unknown key"));
	ck_assert_ptr_nonnull(strstr(err, "ferry.conf:1: in the file "
	    "included here"));
	unlink(f);

	/* a file that includes itself */
	write_file(path, "include = ferry.conf\n");
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "include nested deeper than"));
}
END_TEST

START_TEST(test_file_flags_override)
{
	struct conf	 c;
	char		 out[OUT_MAX], err[OUT_MAX], path[PATH_MAX + 32],
			 cgi[PATH_MAX + 32];
	const char	*args[] = { "ferryd", "--listen", ":81",
	    "--access-log", "/tmp/a.log", "-c", path, "--cgi", cgi, NULL };
	const char	*args2[] = { "ferryd", "-c", path, NULL };
	const char	*args3[] = { "ferryd", "-c", path, "--cgi", "/x/=/tmp",
	    NULL };

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/ferry.conf", tmpdir);
	snprintf(cgi, sizeof(cgi), "/more/=%s", tmpdir);
	write_file(path,
	    "[server]\n"
	    "listen = :8001\n"
	    "listen = :8002\n"
	    "access_log = /var/a.log\n"
	    "error_log = e.log\n"
	    "[app one]\n"
	    "type = cgi\n"
	    "prefix = /x/\n"
	    "root = cgi\n");
	/* flags come after the file whatever their position */
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.nlistens, 1);
	check_listen_in(&c.listens[0], AF_INET, "0.0.0.0", 81);
	ck_assert_str_eq(c.access_log, "/tmp/a.log");
	ck_assert_str_eq(c.error_log + strlen(tmpdir), "/e.log");
	ck_assert_uint_eq(c.napps, 2);
	ck_assert_str_eq(c.apps[0].name, "one");
	ck_assert_str_eq(c.apps[1].name, "/more/");
	ck_assert_str_eq(c.apps[1].root, tmpdir);
	conf_free(&c);

	/* without --listen the file's list stays */
	ck_assert_int_eq(run_load(&c, args2, out, err), 0);
	ck_assert_uint_eq(c.nlistens, 2);
	check_listen_in(&c.listens[0], AF_INET, "0.0.0.0", 8001);
	check_listen_in(&c.listens[1], AF_INET, "0.0.0.0", 8002);
	conf_free(&c);

	/* a flag's prefix may not repeat the file's */
	ck_assert_int_eq(run_load(&c, args3, out, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "ferryd: --cgi /x/=/tmp: duplicate "
	    "prefix /x/ (app one has it)\n"));

	/* access_log = off is no path; ./off is a file named off */
	write_file(path,
	    "[server]\n"
	    "access_log = off\n"
	    "error_log = off\n");
	ck_assert_int_eq(run_load(&c, args2, out, err), 0);
	ck_assert_str_eq(c.access_log, LOG_OFF);
	ck_assert_str_eq(c.error_log + strlen(tmpdir), "/off");
	conf_free(&c);
	write_file(path,
	    "[server]\n"
	    "access_log = ./off\n");
	ck_assert_int_eq(run_load(&c, args2, out, err), 0);
	ck_assert_str_eq(c.access_log + strlen(tmpdir), "/./off");
	conf_free(&c);

	/* error_log = syslog is no path; ./syslog is a file; an access
	   log named syslog is a file too */
	write_file(path,
	    "[server]\n"
	    "error_log = syslog\n"
	    "access_log = syslog\n");
	ck_assert_int_eq(run_load(&c, args2, out, err), 0);
	ck_assert_str_eq(c.error_log, LOG_SYSLOG);
	ck_assert_str_eq(c.access_log + strlen(tmpdir), "/syslog");
	conf_free(&c);
	write_file(path,
	    "[server]\n"
	    "error_log = ./syslog\n");
	ck_assert_int_eq(run_load(&c, args2, out, err), 0);
	ck_assert_str_eq(c.error_log + strlen(tmpdir), "/./syslog");
	conf_free(&c);
}
END_TEST

/* Files conf_load refuses: the error names FILE:LINE. */
static const struct file_case {
	const char	*text;
	int		 line;
	const char	*err;		/* the message after "FILE:LINE: " */
} bad_file_cases[] = {
	/* unknown section */
	{ "[bogus]\n", 1, "unknown section [bogus] (expected [server] or "
	  "[app NAME])" },
	/* the old [NAME] style is not an app */
	{ "[server]\n[hello]\ntype = cgi\n", 2, "unknown section [hello]" },
	/* an app name with a space */
	{ "[app a b]\n", 1, "app name \"a b\": only letters" },
	/* an app without a name */
	{ "[app ]\n", 1, "app name: 1 to 64 characters" },
	/* unknown key in [server] */
	{ "[server]\nlisten = :1\nspeed = 9\n", 3,
	  "unknown key \"speed\" in [server]" },
	/* an app key in [server] */
	{ "[server]\nprefix = /\n", 2, "unknown key \"prefix\" in [server]" },
	/* a server key in an app */
	{ "[app a]\nlisten = :1\n", 2, "unknown key \"listen\" in [app a]" },
	/* a key before any section */
	{ "# top\nlisten = :80\n", 2, "listen outside of a section" },
	/* a bad listen address */
	{ "[server]\nlisten = host.example:80\n", 2,
	  "listen: host.example:80: \"host.example\" is not a numeric IPv4 "
	  "address" },
	/* numbers: letters, zero, overflow, signs */
	{ "[server]\nmax_connections = 12x\n", 2, "max_connections: \"12x\": "
	  "expected a whole number from 1 to 1000000" },
	{ "[server]\nmax_connections = 0\n", 2, "max_connections: \"0\": "
	  "expected a whole number from 1 to 1000000" },
	{ "[server]\nmax_header_fields = 18446744073709551617\n", 2,
	  "max_header_fields: \"18446744073709551617\": expected a whole "
	  "number" },
	{ "[server]\nmax_header_fields = +5\n", 2, "max_header_fields: \"+5\"" },
	/* instance: a name a status page and a label hold as it is */
	{ "[server]\ninstance = a/b\n", 2, "instance: \"a/b\" is not a name "
	  "(1 to 64 letters, digits and . _ - : @)" },
	{ "[server]\ninstance = x1234567890123456789012345678901234567890"
	  "123456789012345678901234\n", 2, "instance: \"x1234" },
	/* drain_delay: seconds, never 0 (no line: the listeners stay) */
	{ "[server]\ndrain_delay = 0\n", 2, "drain_delay: \"0\": expected "
	  "seconds, more than 0" },
	/* sizes: a bad suffix, too big after the suffix */
	{ "[server]\nmax_body_size = 10T\n", 2, "max_body_size: \"10T\": "
	  "expected a size in bytes" },
	{ "[server]\nmax_body_size = 9999999999G\n", 2,
	  "max_body_size: \"9999999999G\"" },
	{ "[server]\nmax_body_size = K\n", 2, "max_body_size: \"K\"" },
	{ "[server]\nmax_header_size = 100\n", 2,
	  "max_header_size: at least 256 bytes" },
	/* seconds: zero, two dots, no leading digit, too many decimals */
	{ "[server]\nheader_timeout = 0\n", 2, "header_timeout: \"0\": "
	  "expected seconds, more than 0 and at most 1000000" },
	{ "[server]\nheader_timeout = 0.000\n", 2, "header_timeout: \"0.000\"" },
	{ "[server]\nbody_timeout = 1.5.2\n", 2, "body_timeout: \"1.5.2\"" },
	{ "[server]\nbody_timeout = .5\n", 2, "body_timeout: \".5\"" },
	{ "[server]\nbody_timeout = 1.\n", 2, "body_timeout: \"1.\"" },
	{ "[server]\nkill_grace = 1.0000000001\n", 2,
	  "kill_grace: \"1.0000000001\"" },
	{ "[server]\nkill_grace = 1000001\n", 2, "kill_grace: \"1000001\"" },
	/* enumerations */
	{ "[server]\nlog_level = loud\n", 2, "log_level: \"loud\": expected "
	  "error, warn, info or debug" },
	{ "[server]\naccess_log_format = clf\n", 2, "access_log_format: "
	  "\"clf\": expected combined or json" },
	{ "[server]\nsyslog_facility = kern\n", 2, "syslog_facility: "
	  "\"kern\": expected daemon, user, local0, local1, local2, local3, "
	  "local4, local5, local6 or local7" },
	{ "[app a]\naccess_log_format = json\n", 2, "unknown key "
	  "\"access_log_format\" in [app a]" },
	{ "[app a]\ntype = scgi\n", 2, "type: \"scgi\": expected cgi or "
	  "fastcgi" },
	{ "[app a]\non_client_gone = later\n", 2, "on_client_gone: \"later\"" },
	{ "[app a]\nisolation = none\n", 2, "isolation: \"none\"" },
	{ "[app a]\nhalf_close = wait\n", 2, "half_close: \"wait\"" },
	{ "[app a]\ntype = fastcgi\nhijack_grace = 0\n", 3,
	  "hijack_grace: \"0\"" },
	/* resource limits: a number in range */
	{ "[app a]\nlimit_memory = 10\n", 2, "limit_memory: at least "
	  "1048576" },
	{ "[app a]\nlimit_cpu = 0\n", 2, "limit_cpu: at least 1" },
	{ "[app a]\nlimit_files = many\n", 2, "limit_files: " },
	{ "[server]\nlimit_core = 0\n", 2, "unknown key \"limit_core\" in "
	  "[server]" },
	{ "[app a]\nsyscall_filter = strict\n", 2, "syscall_filter: "
	  "\"strict\"" },
	/* the sandbox's settings (server/sandbox.c) */
	{ "[app a]\nprivate_network = maybe\n", 2, "private_network: "
	  "\"maybe\"" },
	{ "[app a]\ntype = cgi\nprefix = /a/\nroot = /\nwritable = /tmp\n", 1,
	  "[app a]: writable needs read_only = yes" },
	/* a duplicate key */
	{ "[server]\nlog_level = info\n\nlog_level = warn\n", 4,
	  "duplicate key log_level (first on line 2)" },
	/* a continuation line repeats a key that takes one value */
	{ "[server]\nlog_level = info\n  warn\n", 3,
	  "duplicate key log_level (first on line 2)" },
	/* [server] twice */
	{ "[server]\n[server]\n", 2, "duplicate section [server] (first on "
	  "line 1)" },
	/* the same app name twice */
	{ "[app a]\ntype = cgi\nprefix = /a/\nroot = cgi\n[app a]\n", 5,
	  "duplicate section [app a]" },
	/* the same prefix twice */
	{ "[app a]\ntype = cgi\nprefix = /a/\nroot = cgi\n"
	  "[app b]\ntype = cgi\nprefix = /a/\n", 7,
	  "prefix: duplicate prefix /a/ (app a has it)" },
	/* a prefix without its slash */
	{ "[app a]\nprefix = a/\n", 2, "prefix: prefix \"a/\" must start "
	  "with '/'" },
	/* missing keys: the line of the header, at the next section or EOF */
	{ "[app a]\ntype = cgi\nroot = cgi\n[server]\n", 1,
	  "[app a]: missing prefix" },
	{ "[server]\n[app a]\nprefix = /\nroot = cgi\n", 2,
	  "[app a]: missing type (cgi or fastcgi)" },
	{ "[app a]\n", 1, "[app a]: missing type" },
	{ "[app a]\ntype = cgi\nprefix = /\n", 1, "[app a]: missing root" },
	{ "[app a]\ntype = fastcgi\nprefix = /\n", 1,
	  "[app a]: missing command" },
	/* keys of the other app type, at their own line */
	{ "[app a]\ntype = fastcgi\nprefix = /\ncommand = /bin/sh\n"
	  "max_processes = 3\n", 5, "max_processes applies to cgi apps only" },
	{ "[app a]\ncommand = /bin/sh\ntype = cgi\nprefix = /\nroot = cgi\n",
	  2, "command applies to fastcgi apps only" },
	{ "[app a]\ntype = cgi\nprefix = /\nroot = cgi\non_client_gone = "
	  "abort\n", 5, "on_client_gone = abort needs a fastcgi app" },
	/* worker counts out of order */
	{ "[app a]\ntype = fastcgi\nprefix = /\ncommand = /bin/sh\n"
	  "workers = 4\nmax_workers = 3\n", 6,
	  "need min_workers (4) <= workers (4) <= max_workers (3)" },
	{ "[app a]\ntype = fastcgi\nprefix = /\ncommand = /bin/sh\n"
	  "max_workers = 0\n", 5, "max_workers: \"0\": expected a whole "
	  "number from 1 to 1024" },
	/* paths: a missing root, a file as root, a program not executable */
	{ "[app a]\ntype = cgi\nprefix = /\nroot = nope\n", 4,
	  "root: nope: No such file or directory" },
	{ "[app a]\ntype = cgi\nprefix = /\nroot = plain.txt\n", 4,
	  "root: plain.txt: not a directory" },
	{ "[app a]\ntype = fastcgi\nprefix = /\ncommand = plain.txt\n", 4,
	  "command: plain.txt: not an executable file" },
	/* env takes variable names */
	{ "[app a]\nenv = PATH 9X\n", 2, "env: \"9X\" is not a variable name" },
	/* a front's forwarding headers */
	{ "[server]\nforwarded_header = x-real-ip\n", 2, "forwarded_header: "
	  "\"x-real-ip\": expected x-forwarded-for or forwarded" },
	{ "[server]\ntrusted_proxies = 127.0.0.1\ntrusted_proxies = "
	  "nginx.local\n", 3, "trusted_proxies: \"nginx.local\": not a "
	  "numeric address" },
	{ "[server]\ntrusted_proxies = 10.0.0.0/33\n", 2, "trusted_proxies: "
	  "\"10.0.0.0/33\": the bits after '/' must be 0 to 32" },
	/* users and groups must exist */
	{ "[app a]\nuser = no-such-user-ferry\n", 2,
	  "user: unknown user \"no-such-user-ferry\"" },
	{ "[app a]\ngroup = no-such-group-ferry\n", 2,
	  "group: unknown group \"no-such-group-ferry\"" },
	/* syntax errors, reported by inih */
	{ "[server]\nlisten = :80\ngarbage\n", 3, "syntax error: expected "
	  "[SECTION], NAME = VALUE or a comment" },
	/* a syntax error before a later error wins */
	{ "[server]\ngarbage\nspeed = 1\n", 2, "syntax error" },
	/* a header without its bracket */
	{ "[server]\nlisten = :1\n[app x\n", 3, "missing ']' in section "
	  "header" },
	/* a line longer than inih's buffer */
	{ "[server]\n# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nlisten = :1\n", 2,
	  "line longer than 197 bytes" },
};

START_TEST(test_bad_file)
{
	const struct file_case	*t = &bad_file_cases[_i];
	struct conf		 c;
	char			 out[OUT_MAX], err[OUT_MAX],
				 path[PATH_MAX + 32], want[PATH_MAX + 512];
	const char		*args[] = { "ferryd", "-c", path, NULL };

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/ferry.conf", tmpdir);
	write_file(path, t->text);
	ck_assert_int_eq(run_load(&c, args, out, err), -1);
	snprintf(want, sizeof(want), "ferryd: %s:%d: %s", path, t->line,
	    t->err);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "want \"%s\" got \"%s\"", want, err);
	/* one line, no usage hint after a file error */
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
	ck_assert_ptr_null(c.apps);
}
END_TEST

/* A comment line as long as the buffer allows is fine; the last line may
   lack its newline. */
START_TEST(test_file_edges)
{
	struct conf	 c;
	char		 out[OUT_MAX], err[OUT_MAX], path[PATH_MAX + 32],
			 text[512];
	const char	*args[] = { "ferryd", "-c", path, NULL };

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/ferry.conf", tmpdir);
	memset(text, 'x', sizeof(text));
	memcpy(text, "[server]\n#", 10);
	/* 197 bytes of text + '\n' fill inih's 200-byte buffer with the NUL */
	snprintf(text + 9 + 197, sizeof(text) - 9 - 197, "\nlisten = :7");
	write_file(path, text);
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.nlistens, 1);
	check_listen_in(&c.listens[0], AF_INET, "0.0.0.0", 7);
	conf_free(&c);

	/* an empty file is a valid one */
	write_file(path, "");
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_uint_eq(c.nlistens, 1);
	ck_assert_str_eq(c.listens[0].spec, CONF_DEFAULT_LISTEN);
	conf_free(&c);
}
END_TEST

/* user and group resolve to ids at load, whatever the key order. */
static const struct ids_case {
	const char	*comment;
	const char	*lines;		/* of the [app a] section */
	const char	*user;		/* uid from; NULL: ferryd's own */
	const char	*user_gid;	/* gid is this user's primary... */
	const char	*group;		/* ...or this group's */
} ids_cases[] = {
	/* user alone: its primary group */
	{ "user", "user = nobody\n", "nobody", "nobody", NULL },
	/* group alone: ferryd's own user */
	{ "group", "group = daemon\n", NULL, NULL, "daemon" },
	/* both: group wins over the primary group */
	{ "user, group", "user = nobody\ngroup = daemon\n", "nobody", NULL,
	  "daemon" },
	/* the same, group first */
	{ "group, user", "group = daemon\nuser = nobody\n", "nobody", NULL,
	  "daemon" },
};

START_TEST(test_file_ids)
{
	const struct ids_case	*t = &ids_cases[_i];
	struct conf		 c;
	char			 out[OUT_MAX], err[OUT_MAX];
	char			 path[PATH_MAX + 32], text[512];
	const char		*args[] = { "ferryd", "-c", path, NULL };
	uid_t			 uid = geteuid();
	gid_t			 gid = 0;

	if (getpwnam("nobody") == NULL || getgrnam("daemon") == NULL) {
		fprintf(stderr, "SKIP: test_file_ids: no user nobody or no "
		    "group daemon\n");
		return;
	}
	if (t->user != NULL)
		uid = getpwnam(t->user)->pw_uid;
	if (t->user_gid != NULL)
		gid = getpwnam(t->user_gid)->pw_gid;
	if (t->group != NULL)
		gid = getgrnam(t->group)->gr_gid;
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/ferry.conf", tmpdir);
	snprintf(text, sizeof(text), "[app a]\ntype = cgi\nprefix = /\n"
	    "root = cgi\n%s", t->lines);
	write_file(path, text);
	ck_assert_int_eq(run_load(&c, args, out, err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.napps, 1);
	ck_assert_msg(c.apps[0].uid == uid && c.apps[0].gid == gid,
	    "%s: uid %lu gid %lu, want %lu %lu", t->comment,
	    (unsigned long)c.apps[0].uid, (unsigned long)c.apps[0].gid,
	    (unsigned long)uid, (unsigned long)gid);
	conf_free(&c);
}
END_TEST

/*
 * conf_app_ids_check: root may switch to anyone; another user only to
 * itself, else the message names the key at fault.  The unprivileged
 * half runs in a child that became nobody.
 */
START_TEST(test_app_ids_check)
{
	struct conf_app	 a;
	struct passwd	*p;
	char		 err[256];
	uid_t		 nobody_uid, daemon_uid;
	gid_t		 nobody_gid, daemon_gid;
	pid_t		 pid;
	int		 status;

	/* getpwnam's result is overwritten by the next call: copy it. */
	if ((p = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "SKIP: test_app_ids_check: no user nobody\n");
		return;
	}
	nobody_uid = p->pw_uid;
	nobody_gid = p->pw_gid;
	if ((p = getpwnam("daemon")) == NULL) {
		fprintf(stderr, "SKIP: test_app_ids_check: no user daemon\n");
		return;
	}
	daemon_uid = p->pw_uid;
	daemon_gid = p->pw_gid;
	memset(&a, 0, sizeof(a));
	a.name = "x";
	/* no user, no group: nothing to check */
	ck_assert_int_eq(conf_app_ids_check(&a, err, sizeof(err)), 0);
	if (geteuid() == 0) {
		a.user = "daemon";
		a.uid = daemon_uid;
		a.gid = daemon_gid;
		ck_assert_int_eq(conf_app_ids_check(&a, err, sizeof(err)), 0);
		if ((pid = fork()) == 0) {
			if (setgroups(1, &nobody_gid) == -1 ||
			    setgid(nobody_gid) == -1 ||
			    setuid(nobody_uid) == -1)
				_exit(10);
			/* someone else */
			if (conf_app_ids_check(&a, err, sizeof(err)) != -1 ||
			    strcmp(err, "[app x]: user = daemon needs ferryd "
			    "to run as root") != 0)
				_exit(11);
			/* itself */
			a.user = "nobody";
			a.uid = nobody_uid;
			a.gid = nobody_gid;
			if (conf_app_ids_check(&a, err, sizeof(err)) != 0)
				_exit(12);
			/* itself, in another group */
			a.group = "daemon";
			a.gid = daemon_gid;
			if (conf_app_ids_check(&a, err, sizeof(err)) != -1 ||
			    strcmp(err, "[app x]: group = daemon needs ferryd "
			    "to run as root") != 0)
				_exit(13);
			/* group alone, not its own */
			a.user = NULL;
			if (conf_app_ids_check(&a, err, sizeof(err)) != -1 ||
			    strcmp(err, "[app x]: group = daemon needs ferryd "
			    "to run as root") != 0)
				_exit(14);
			_exit(0);
		}
		ck_assert_int_gt(pid, 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the unprivileged child failed check %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	} else {
		a.user = "daemon";
		a.uid = daemon_uid == geteuid() ? nobody_uid : daemon_uid;
		a.gid = daemon_gid;
		ck_assert_int_eq(conf_app_ids_check(&a, err, sizeof(err)), -1);
		ck_assert_str_eq(err, "[app x]: user = daemon needs ferryd to "
		    "run as root");
	}
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("listen");
	tcase_add_loop_test(tc, test_listen_flags, 0,
	    sizeof(listen_flag_cases) / sizeof(listen_flag_cases[0]));
	tcase_add_loop_test(tc, test_listen, 0,
	    sizeof(listen_cases) / sizeof(listen_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("argv");
	tcase_add_checked_fixture(tc, NULL, rm_tmpdir);
	tcase_add_test(tc, test_load_defaults);
	tcase_add_test(tc, test_load_listens);
	tcase_add_test(tc, test_load_cgi);
	tcase_add_test(tc, test_load_app_workers);
	tcase_add_test(tc, test_load_app_default_workers);
	tcase_add_test(tc, test_version_help);
	tcase_add_loop_test(tc, test_bad_argv, 0,
	    sizeof(bad_argv_cases) / sizeof(bad_argv_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, NULL, rm_tmpdir);
	tcase_add_test(tc, test_file_full);
	tcase_add_test(tc, test_file_sandbox);
	tcase_add_test(tc, test_file_include);
	tcase_add_test(tc, test_file_flags_override);
	tcase_add_test(tc, test_file_edges);
	tcase_add_loop_test(tc, test_bad_file, 0,
	    sizeof(bad_file_cases) / sizeof(bad_file_cases[0]));
	tcase_add_loop_test(tc, test_file_ids, 0,
	    sizeof(ids_cases) / sizeof(ids_cases[0]));
	tcase_add_test(tc, test_app_ids_check);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(conf_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
