#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/route.h"

/*
 * The tree every resolve case runs against, built once in a temp dir:
 *
 *	BASE/root/env.sh	executable script
 *	BASE/root/a b		executable, reached as "a%20b"
 *	BASE/root/data.txt	not executable
 *	BASE/root/sub/		directory (with an executable inner.sh)
 *	BASE/root/link.sh	-> env.sh (inside root)
 *	BASE/root/sh		-> /bin/sh (outside root)
 *	BASE/root/up		-> ../rootX/x.sh (sibling sharing root's name)
 *	BASE/root/dangling	-> nowhere
 *	BASE/root/loop		-> loop (ELOOP)
 *	BASE/rootX/x.sh		executable, outside root
 */
static char	base[PATH_MAX];
static char	root[PATH_MAX];

/* A copy of the input ending right before a PROT_NONE page. */
struct rt_guard {
	char	*map;
	size_t	 maplen;
};

static char	*rt_guard_copy(struct rt_guard *, const char *, size_t);
static void	 rt_guard_free(struct rt_guard *);
static void	 rt_write(const char *, const char *, mode_t);
static void	 rt_setup(void);
static void	 rt_teardown(void);
static char	*rt_join(const char *, const char *);

static char *
rt_guard_copy(struct rt_guard *g, const char *data, size_t len)
{
	size_t	 page = (size_t)sysconf(_SC_PAGESIZE);
	size_t	 pages = (len + page - 1) / page;

	rt_guard_free(g);
	if (pages == 0)
		pages = 1;
	g->maplen = (pages + 1) * page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(g->map, MAP_FAILED);
	ck_assert_int_eq(mprotect(g->map + pages * page, page, PROT_NONE), 0);
	if (len > 0)
		memcpy(g->map + pages * page - len, data, len);
	return g->map + pages * page - len;
}

static void
rt_guard_free(struct rt_guard *g)
{
	if (g->map != NULL)
		munmap(g->map, g->maplen);
	g->map = NULL;
	g->maplen = 0;
}

static void
rt_write(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1 || write(fd, text, strlen(text)) == -1 ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		perror(path);
		abort();
	}
}

static char *
rt_join(const char *a, const char *b)
{
	char	*s;

	if (asprintf(&s, "%s/%s", a, b) == -1)
		abort();
	return s;
}

static void
rt_setup(void)
{
	static const char	*links[][2] = {
		{ "link.sh", "env.sh" },
		{ "sh", "/bin/sh" },
		{ "up", "../rootX/x.sh" },
		{ "dangling", "nowhere" },
		{ "loop", "loop" },
	};
	char	 tmpl[] = "/tmp/ferry-route-XXXXXX", *p;
	size_t	 i;

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL) {
		perror("mkdtemp");
		abort();
	}
	p = rt_join(base, "root");
	if (mkdir(p, 0755) == -1 || realpath(p, root) == NULL)
		abort();
	free(p);
	p = rt_join(base, "rootX");
	if (mkdir(p, 0755) == -1)
		abort();
	free(p);
	p = rt_join(root, "sub");
	if (mkdir(p, 0755) == -1)
		abort();
	free(p);
	p = rt_join(root, "env.sh");
	rt_write(p, "#!/bin/sh\necho ok\n", 0755);
	free(p);
	p = rt_join(root, "a b");
	rt_write(p, "#!/bin/sh\n", 0755);
	free(p);
	p = rt_join(root, "data.txt");
	rt_write(p, "data\n", 0644);
	free(p);
	p = rt_join(root, "sub/inner.sh");
	rt_write(p, "#!/bin/sh\n", 0755);
	free(p);
	p = rt_join(base, "rootX/x.sh");
	rt_write(p, "#!/bin/sh\n", 0755);
	free(p);
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		p = rt_join(root, links[i][0]);
		if (symlink(links[i][1], p) == -1)
			abort();
		free(p);
	}
}

static void
rt_teardown(void)
{
	char	*cmd;

	if (base[0] == '\0')
		return;
	if (asprintf(&cmd, "rm -rf '%s'", base) == -1)
		abort();
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	free(cmd);
}

struct resolve_case {
	const char	*comment;
	const char	*prefix;
	const char	*path;
	size_t		 len;		/* 0: strlen(path) */
	int		 status;
	const char	*script_name;
	const char	*file;		/* relative to BASE */
	const char	*path_info;
	int		 translated;	/* path_translated == root + path_info */
};

static const struct resolve_case resolve_cases[] = {
	/* A plain script, nothing after it. */
	{ "plain", "/cgi-bin/", "/cgi-bin/env.sh", 0, 0,
	  "/cgi-bin/env.sh", "root/env.sh", "", 0 },
	/* PATH_INFO is the rest, from its slash on. */
	{ "path info", "/cgi-bin/", "/cgi-bin/env.sh/a/b", 0, 0,
	  "/cgi-bin/env.sh", "root/env.sh", "/a/b", 1 },
	/* A trailing slash stays in PATH_INFO. */
	{ "trailing slash", "/cgi-bin/", "/cgi-bin/env.sh/a/", 0, 0,
	  "/cgi-bin/env.sh", "root/env.sh", "/a/", 1 },
	/* A lone slash after the script is PATH_INFO "/". */
	{ "lone slash", "/cgi-bin/", "/cgi-bin/env.sh/", 0, 0,
	  "/cgi-bin/env.sh", "root/env.sh", "/", 1 },
	/* Empty segments inside PATH_INFO pass through. */
	{ "double slash in path info", "/cgi-bin/", "/cgi-bin/env.sh//x", 0, 0,
	  "/cgi-bin/env.sh", "root/env.sh", "//x", 1 },
	/* The script name is decoded: "a%20b" is the file "a b". */
	{ "encoded script name", "/cgi-bin/", "/cgi-bin/a%20b", 0, 0,
	  "/cgi-bin/a b", "root/a b", "", 0 },
	/* Hex digits in either case. */
	{ "hex case", "/cgi-bin/", "/cgi-bin/%65%6E%76.sh/%7e%7E", 0, 0,
	  "/cgi-bin/env.sh", "root/env.sh", "/~~", 1 },
	/* PATH_INFO is decoded too. */
	{ "encoded path info", "/cgi-bin/", "/cgi-bin/env.sh/x%20y%3F", 0, 0,
	  "/cgi-bin/env.sh", "root/env.sh", "/x y?", 1 },
	/* "%2e%2e" decodes to "..": traversal. */
	{ "%2e%2e traversal", "/cgi-bin/", "/cgi-bin/%2e%2e/rootX/x.sh", 0,
	  403, NULL, NULL, NULL, 0 },
	/* Upper-case escapes, same thing. */
	{ "%2E%2E traversal", "/cgi-bin/", "/cgi-bin/%2E%2E", 0,
	  403, NULL, NULL, NULL, 0 },
	/* Half encoded. */
	{ ".%2e traversal", "/cgi-bin/", "/cgi-bin/.%2e/x", 0,
	  403, NULL, NULL, NULL, 0 },
	/* A raw ".." segment. */
	{ "raw ..", "/cgi-bin/", "/cgi-bin/../rootX/x.sh", 0,
	  403, NULL, NULL, NULL, 0 },
	/* A "." segment in front of the script. */
	{ "raw .", "/cgi-bin/", "/cgi-bin/./env.sh", 0,
	  403, NULL, NULL, NULL, 0 },
	/* ".." inside PATH_INFO: PATH_TRANSLATED would leave root. */
	{ ".. in path info", "/cgi-bin/", "/cgi-bin/env.sh/a/../b", 0,
	  403, NULL, NULL, NULL, 0 },
	/* "." as the last PATH_INFO segment. */
	{ ". at the end", "/cgi-bin/", "/cgi-bin/env.sh/a/.", 0,
	  403, NULL, NULL, NULL, 0 },
	/* "..." and ".x" are ordinary names (here missing). */
	{ "three dots", "/cgi-bin/", "/cgi-bin/...", 0,
	  404, NULL, NULL, NULL, 0 },
	{ "dot file", "/cgi-bin/", "/cgi-bin/.x", 0,
	  404, NULL, NULL, NULL, 0 },
	/* An encoded slash in the script segment. */
	{ "%2F in script", "/cgi-bin/", "/cgi-bin/sub%2Finner.sh", 0,
	  404, NULL, NULL, NULL, 0 },
	/* An encoded slash in PATH_INFO. */
	{ "%2f in path info", "/cgi-bin/", "/cgi-bin/env.sh/a%2fb", 0,
	  404, NULL, NULL, NULL, 0 },
	/* An encoded NUL in the script segment. */
	{ "%00 in script", "/cgi-bin/", "/cgi-bin/env.sh%00.txt", 0,
	  400, NULL, NULL, NULL, 0 },
	/* An encoded NUL in PATH_INFO. */
	{ "%00 in path info", "/cgi-bin/", "/cgi-bin/env.sh/a%00", 0,
	  400, NULL, NULL, NULL, 0 },
	/* A raw NUL byte (the length covers it). */
	{ "raw NUL", "/cgi-bin/", "/cgi-bin/env.sh\0x", 17,
	  400, NULL, NULL, NULL, 0 },
	/* Not hex digits. */
	{ "%zz", "/cgi-bin/", "/cgi-bin/%zz", 0, 400, NULL, NULL, NULL, 0 },
	/* One hex digit, then the end. */
	{ "%4 at the end", "/cgi-bin/", "/cgi-bin/env.sh/%4", 0,
	  400, NULL, NULL, NULL, 0 },
	/* A lone percent sign. */
	{ "lone %", "/cgi-bin/", "/cgi-bin/%", 0, 400, NULL, NULL, NULL, 0 },
	/* Second digit bad. */
	{ "%6g", "/cgi-bin/", "/cgi-bin/%6gnv.sh", 0,
	  400, NULL, NULL, NULL, 0 },
	/* One hex digit, then a slash. */
	{ "%4/", "/cgi-bin/", "/cgi-bin/%4/x", 0, 400, NULL, NULL, NULL, 0 },
	/* Bad encoding wins over traversal. */
	{ "400 before 403", "/cgi-bin/", "/cgi-bin/../%zz", 0,
	  400, NULL, NULL, NULL, 0 },
	/* No such script. */
	{ "missing", "/cgi-bin/", "/cgi-bin/nope.sh", 0,
	  404, NULL, NULL, NULL, 0 },
	/* No such script, with PATH_INFO. */
	{ "missing with path info", "/cgi-bin/", "/cgi-bin/nope/x", 0,
	  404, NULL, NULL, NULL, 0 },
	/* A regular file without execute permission. */
	{ "not executable", "/cgi-bin/", "/cgi-bin/data.txt", 0,
	  403, NULL, NULL, NULL, 0 },
	/* A directory is no script. */
	{ "directory", "/cgi-bin/", "/cgi-bin/sub", 0,
	  403, NULL, NULL, NULL, 0 },
	/* Only the first segment names the script: "sub" is a directory. */
	{ "script in subdirectory", "/cgi-bin/", "/cgi-bin/sub/inner.sh", 0,
	  403, NULL, NULL, NULL, 0 },
	/* A symlink inside root resolves to its target. */
	{ "symlink inside", "/cgi-bin/", "/cgi-bin/link.sh/p", 0, 0,
	  "/cgi-bin/link.sh", "root/env.sh", "/p", 1 },
	/* A symlink out of root. */
	{ "symlink outside", "/cgi-bin/", "/cgi-bin/sh", 0,
	  403, NULL, NULL, NULL, 0 },
	/* BASE/rootX starts with BASE/root: the '/' boundary matters. */
	{ "sibling prefix", "/cgi-bin/", "/cgi-bin/up", 0,
	  403, NULL, NULL, NULL, 0 },
	/* A dangling symlink is missing. */
	{ "dangling symlink", "/cgi-bin/", "/cgi-bin/dangling", 0,
	  404, NULL, NULL, NULL, 0 },
	/* A symlink loop (ELOOP) is forbidden, not missing. */
	{ "symlink loop", "/cgi-bin/", "/cgi-bin/loop", 0,
	  403, NULL, NULL, NULL, 0 },
	/* The prefix itself: no directory listing. */
	{ "empty segment", "/cgi-bin/", "/cgi-bin/", 0,
	  404, NULL, NULL, NULL, 0 },
	/* An empty script segment before the rest. */
	{ "empty segment then name", "/cgi-bin/", "/cgi-bin//env.sh", 0,
	  404, NULL, NULL, NULL, 0 },
	/* A path that does not start with the prefix. */
	{ "not under prefix", "/cgi-bin/", "/other/env.sh", 0,
	  404, NULL, NULL, NULL, 0 },
	/* A prefix without a trailing slash gains one. */
	{ "prefix without slash", "/cgi", "/cgi/env.sh/x", 0, 0,
	  "/cgi/env.sh", "root/env.sh", "/x", 1 },
	/* ... and does not match inside a name. */
	{ "prefix without slash, glued", "/cgi", "/cgienv.sh", 0,
	  404, NULL, NULL, NULL, 0 },
	/* The root prefix. */
	{ "prefix /", "/", "/env.sh/x", 0, 0,
	  "/env.sh", "root/env.sh", "/x", 1 },
};

/* Invariants of any answer, whatever the input. */
static void
check_invariants(int status, const struct route_script *s)
{
	size_t	 rootlen = strlen(root);

	ck_assert(status == 0 || status == 400 || status == 403 ||
	    status == 404);
	if (status != 0) {
		ck_assert_ptr_null(s->script_name);
		ck_assert_ptr_null(s->script_filename);
		ck_assert_ptr_null(s->path_info);
		ck_assert_ptr_null(s->path_translated);
		return;
	}
	ck_assert_ptr_nonnull(s->script_name);
	ck_assert_ptr_nonnull(s->path_info);
	ck_assert_int_eq(strncmp(s->script_filename, root, rootlen), 0);
	ck_assert_int_eq(s->script_filename[rootlen], '/');
	ck_assert_int_eq(s->path_translated == NULL, s->path_info[0] == '\0');
}

START_TEST(test_resolve)
{
	const struct resolve_case	*c = &resolve_cases[_i];
	struct rt_guard			 g = { NULL, 0 };
	struct route_script		 s;
	size_t				 len, n;
	char				*p, *file, *pt;
	int				 status;

	len = c->len != 0 ? c->len : strlen(c->path);
	p = rt_guard_copy(&g, c->path, len);
	status = route_script_resolve(root, c->prefix, p, len, ROUTE_EXEC,
	    &s);
	ck_assert_msg(status == c->status, "%s: status %d, want %d",
	    c->comment, status, c->status);
	check_invariants(status, &s);
	if (c->status == 0) {
		file = rt_join(base, c->file);
		ck_assert_str_eq(s.script_name, c->script_name);
		ck_assert_str_eq(s.script_filename, file);
		ck_assert_str_eq(s.path_info, c->path_info);
		if (c->translated) {
			if (asprintf(&pt, "%s%s", root, c->path_info) == -1)
				abort();
			ck_assert_str_eq(s.path_translated, pt);
			free(pt);
		} else
			ck_assert_ptr_null(s.path_translated);
		free(file);
		route_script_free(&s);
		ck_assert_ptr_null(s.script_name);
		ck_assert_ptr_null(s.script_filename);
		ck_assert_ptr_null(s.path_info);
		ck_assert_ptr_null(s.path_translated);
	}

	/* Every shorter length: any answer, but no read past len. */
	for (n = 0; n < len; n++) {
		p = rt_guard_copy(&g, c->path, n);
		status = route_script_resolve(root, c->prefix, p, n,
		    ROUTE_EXEC, &s);
		check_invariants(status, &s);
		route_script_free(&s);
	}
	rt_guard_free(&g);
}
END_TEST

/* A root given with a trailing slash and the root "/" itself. */
START_TEST(test_resolve_roots)
{
	struct route_script	 s;
	char			*slashed, *file;
	const char		*path = "/cgi-bin/env.sh/q";

	if (asprintf(&slashed, "%s/", root) == -1)
		abort();
	ck_assert_int_eq(route_script_resolve(slashed, "/cgi-bin/", path,
	    strlen(path), ROUTE_EXEC, &s), 0);
	file = rt_join(root, "env.sh");
	ck_assert_str_eq(s.script_filename, file);
	free(file);
	file = rt_join(root, "q");
	ck_assert_str_eq(s.path_translated, file);
	free(file);
	route_script_free(&s);
	free(slashed);

	/* root "/": /bin is inside it, but a directory; /nope is missing. */
	path = "/cgi-bin/bin";
	ck_assert_int_eq(route_script_resolve("/", "/cgi-bin/", path,
	    strlen(path), ROUTE_EXEC, &s), 403);
	path = "/cgi-bin/nope-ferry-route";
	ck_assert_int_eq(route_script_resolve("/", "/cgi-bin/", path,
	    strlen(path), ROUTE_EXEC, &s), 404);
	ck_assert_ptr_null(s.script_filename);
}
END_TEST

struct match_case {
	const char	*comment;
	const char	*path;
	size_t		 len;		/* 0: strlen(path) */
	int		 want;		/* index into match_apps, -1: NULL */
};

static const char *match_prefixes[] = { "/", "/cgi-bin/", "/cgi-bin/admin/",
	"/app" };

static const struct match_case match_cases[] = {
	/* Only "/" matches. */
	{ "root", "/x", 0, 0 },
	/* "/" itself. */
	{ "slash", "/", 0, 0 },
	/* The CGI prefix beats "/". */
	{ "cgi", "/cgi-bin/x", 0, 1 },
	/* Without its trailing slash the CGI prefix does not match. */
	{ "cgi without slash", "/cgi-bin", 0, 0 },
	/* The longest prefix wins. */
	{ "admin", "/cgi-bin/admin/x", 0, 2 },
	/* "/cgi-bin/admin" is not under "/cgi-bin/admin/". */
	{ "admin without slash", "/cgi-bin/admin", 0, 1 },
	/* Byte compare: "adminx" is a script in /cgi-bin/. */
	{ "adminx", "/cgi-bin/adminx", 0, 1 },
	/* A prefix without a slash matches on a segment boundary only:
	   "/apple" and "/appXYZ/q" are not under "/app" (issue 14 F). */
	{ "app glued", "/apple", 0, 0 },
	{ "app glued, deeper", "/appXYZ/q", 0, 0 },
	/* "/app" itself, and what is below it. */
	{ "app itself", "/app", 0, 3 },
	{ "app below", "/app/x", 0, 3 },
	{ "app slash", "/app/", 0, 3 },
	/* len bounds it: "/app" of "/apple" is "/app" itself. */
	{ "app len", "/apple", 4, 3 },
	/* len bounds the path: only "/cgi-bin" of "/cgi-bin/x" is seen. */
	{ "len", "/cgi-bin/x", 8, 0 },
	/* Matching is case-sensitive. */
	{ "case", "/CGI-BIN/x", 0, 0 },
	/* Not even "/" matches an empty path. */
	{ "empty", "", 0, -1 },
	/* Nor a path that is no absolute path. */
	{ "relative", "cgi-bin/x", 0, -1 },
};

START_TEST(test_match)
{
	const struct match_case	*c = &match_cases[_i];
	const size_t		 napps = sizeof(match_prefixes) /
				    sizeof(match_prefixes[0]);
	struct conf_app		 apps[sizeof(match_prefixes) /
				    sizeof(match_prefixes[0])];
	struct conf_app		 rev[sizeof(apps) / sizeof(apps[0])];
	struct conf_app		*got;
	struct rt_guard		 g = { NULL, 0 };
	size_t			 i, len;
	char			*p;

	memset(apps, 0, sizeof(apps));
	memset(rev, 0, sizeof(rev));
	for (i = 0; i < napps; i++) {
		apps[i].prefix = (char *)(uintptr_t)match_prefixes[i];
		rev[napps - 1 - i].prefix = apps[i].prefix;
	}
	len = c->len != 0 ? c->len : strlen(c->path);
	p = rt_guard_copy(&g, c->path, len);

	got = route_match(apps, napps, p, len);
	if (c->want == -1)
		ck_assert_ptr_null(got);
	else
		ck_assert_ptr_eq(got, &apps[c->want]);
	/* The order of the apps does not matter. */
	got = route_match(rev, napps, p, len);
	if (c->want == -1)
		ck_assert_ptr_null(got);
	else
		ck_assert_ptr_eq(got, &rev[napps - 1 - c->want]);
	/* No apps, no match. */
	ck_assert_ptr_null(route_match(apps, 0, p, len));
	rt_guard_free(&g);
}
END_TEST

/* route_app_paths: PATH_INFO is "" or starts with '/'. */
struct app_case {
	const char	*comment;
	const char	*prefix;
	const char	*path;
	int		 want;		/* 0 or the status */
	const char	*script_name;
	const char	*path_info;
};

static const struct app_case app_cases[] = {
	/* The prefix itself: no PATH_INFO. */
	{ "itself", "/app", "/app", 0, "/app", "" },
	/* Below it: PATH_INFO from the slash on. */
	{ "below", "/app", "/app/x/y", 0, "/app", "/x/y" },
	/* A prefix with its slash keeps it in PATH_INFO. */
	{ "slashed", "/app/", "/app/x", 0, "/app", "/x" },
	{ "slashed itself", "/app/", "/app/", 0, "/app", "/" },
	/* issue 14 F: "/appXYZ/q" is not under "/app" (was PATH_INFO
	   "XYZ/q"). */
	{ "glued", "/app", "/appXYZ/q", 404, NULL, NULL },
	{ "glued short", "/app", "/apps", 404, NULL, NULL },
	/* Decoded, checked. */
	{ "decoded", "/app", "/app/a%20b", 0, "/app", "/a b" },
	{ "dots", "/app", "/app/../x", 403, NULL, NULL },
};

START_TEST(test_app_paths)
{
	const struct app_case	*c = &app_cases[_i];
	struct route_script	 s;
	struct rt_guard		 g = { NULL, 0 };
	const char		*p;
	int			 st;

	p = rt_guard_copy(&g, c->path, strlen(c->path));
	st = route_app_paths(c->prefix, "/bin/app", p, strlen(c->path), &s);
	ck_assert_msg(st == c->want, "%s: %d, want %d", c->comment, st,
	    c->want);
	if (st == 0) {
		ck_assert_str_eq(s.script_name, c->script_name);
		ck_assert_str_eq(s.script_filename, "/bin/app");
		ck_assert_str_eq(s.path_info, c->path_info);
		route_script_free(&s);
	} else
		ck_assert_ptr_null(s.path_info);
	rt_guard_free(&g);
}
END_TEST

/* route_local_location_valid: RFC 3875 6.2.2's local-pathquery. */
struct loc_case {
	const char	*loc;
	int		 want;
};

static const struct loc_case loc_cases[] = {
	{ "/", 1 },
	{ "/cgi-bin/query.sh?from-redirect", 1 },
	{ "/a/b;c/d%20e?x=1&y=[2]/?z", 1 },
	{ "/-_.!~*'():@&=+$,", 1 },
	/* issue 14 F: a space is no URI character (was followed). */
	{ "/a b", 0 },
	{ "/a?b c", 0 },
	/* A fragment is not in the grammar. */
	{ "/a#b", 0 },
	/* Brackets only in the query. */
	{ "/a[1]", 0 },
	/* Bad escapes. */
	{ "/a%2", 0 },
	{ "/a%zz", 0 },
	/* Not an abs-path. */
	{ "a/b", 0 },
	{ "", 0 },
	/* CTLs, DEL, quotes, backslash, non-ASCII. */
	{ "/a\tb", 0 },
	{ "/a\x7f", 0 },
	{ "/a\"b", 0 },
	{ "/a\\b", 0 },
	{ "/a<b>", 0 },
	{ "/\xc3\xa9", 0 },
};

START_TEST(test_local_location)
{
	const struct loc_case	*c = &loc_cases[_i];
	struct rt_guard		 g = { NULL, 0 };
	const char		*p;
	size_t			 len = strlen(c->loc);

	p = rt_guard_copy(&g, c->loc, len);
	ck_assert_msg(route_local_location_valid(p, len) == c->want,
	    "\"%s\": want %d", c->loc, c->want);
	/* A NUL inside is no URI character either. */
	if (c->want && len > 1) {
		char	*q = strdup(c->loc);

		q[len - 1] = '\0';
		ck_assert(!route_local_location_valid(q, len));
		free(q);
	}
	rt_guard_free(&g);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("route");
	TCase	*tc = tcase_create("resolve");
	TCase	*tm = tcase_create("match");
	SRunner	*sr;
	int	 failed;

	rt_setup();
	tcase_add_loop_test(tc, test_resolve, 0,
	    (int)(sizeof(resolve_cases) / sizeof(resolve_cases[0])));
	tcase_add_test(tc, test_resolve_roots);
	tcase_add_loop_test(tm, test_match, 0,
	    (int)(sizeof(match_cases) / sizeof(match_cases[0])));
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tm);
	{
		TCase	*ta = tcase_create("app_paths");

		tcase_add_loop_test(ta, test_app_paths, 0,
		    (int)(sizeof(app_cases) / sizeof(app_cases[0])));
		tcase_add_loop_test(ta, test_local_location, 0,
		    (int)(sizeof(loc_cases) / sizeof(loc_cases[0])));
		suite_add_tcase(s, ta);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rt_teardown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
