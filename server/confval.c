/*
 * The value parsers of ferry.conf(5) and the command line (see
 * confval.h): numbers, sizes, seconds, paths, word lists, user and group
 * names, listen addresses.  Strict hand-written parsers: every byte is
 * checked.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conf-t.h"
#include "server/confval.h"
#include "server/log.h"

static int	confval_listen_addr(const char *, struct conf_listen *,
		    char *, size_t);

#define CONFVAL_PWBUF_MAX	(1024 * 1024)	/* getpwnam_r, getgrnam_r */

/* Where confval_report goes: NULL, stderr. */
static void	(*confval_sink)(const char *);

void
confval_report_to(void (*sink)(const char *))
{
	confval_sink = sink;
}

void
confval_report(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (confval_sink != NULL)
		confval_sink(msg);
	else
		log_early("%s", msg);
}

int
confval_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Digits only, no sign or space, overflow-checked, in [min, max]. */
int
confval_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	uint64_t	v = 0, d;
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			break;
		d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			v = UINT64_MAX;		/* out of range below */
			continue;
		}
		v = v * 10 + d;
	}
	if (p == s || *p != '\0' || v < min || v > max)
		return confval_errf(err, errlen,
		    "\"%s\": expected a whole number from %llu to %llu", s,
		    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* A byte count: digits with an optional K, M or G (powers of 1024). */
int
confval_size(const char *s, uint64_t max, uint64_t *out, char *err,
    size_t errlen)
{
	char		 digits[32], tmp[8];
	size_t		 len = strlen(s);
	uint64_t	 v = 0, mult = 1;

	if (len > 0) {
		switch (s[len - 1]) {
		case 'K': case 'k':
			mult = 1024;
			break;
		case 'M': case 'm':
			mult = 1024 * 1024;
			break;
		case 'G': case 'g':
			mult = 1024 * 1024 * 1024;
			break;
		}
	}
	if (mult != 1)
		len--;
	if (len == 0 || len >= sizeof(digits))
		goto bad;
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (confval_u64(digits, 0, max / mult, &v, tmp, sizeof(tmp)) == -1)
		goto bad;
	*out = v * mult;
	return 0;
 bad:
	return confval_errf(err, errlen, "\"%s\": expected a size in bytes "
	    "(digits with an optional K, M or G) up to %llu", s,
	    (unsigned long long)max);
}

/* Seconds: digits, optionally '.' and 1 to 9 more digits; > 0 and at most
   CONF_MAX_SECONDS. */
int
confval_seconds(const char *s, double *out, char *err, size_t errlen)
{
	uint64_t	 ip = 0, frac = 0, scale = 1;
	const char	*p = s;
	int		 nd = 0;

	while (*p >= '0' && *p <= '9' && ip <= CONF_MAX_SECONDS) {
		ip = ip * 10 + (uint64_t)(*p++ - '0');
		nd++;
	}
	if (nd > 0 && *p == '.') {
		p++;
		nd = 0;
		while (*p >= '0' && *p <= '9' && nd < 9) {
			frac = frac * 10 + (uint64_t)(*p++ - '0');
			scale *= 10;
			nd++;
		}
	}
	if (nd == 0 || *p != '\0' || ip > CONF_MAX_SECONDS ||
	    (ip == CONF_MAX_SECONDS && frac != 0) || (ip == 0 && frac == 0))
		return confval_errf(err, errlen,
		    "\"%s\": expected seconds, more "
		    "than 0 and at most %d (e.g. 30 or 0.5)", s,
		    CONF_MAX_SECONDS);
	*out = (double)ip + (double)frac / (double)scale;
	return 0;
}

/* Returns path made absolute against dir (NULL: the current directory),
   malloc'd, without resolving symbolic links; NULL on error (errno). */
char *
confval_abspath(const char *dir, const char *path)
{
	char	 cwd[PATH_MAX], *out;
	size_t	 dlen, plen;

	if (path[0] == '/')
		return strdup(path);
	if (dir == NULL) {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return NULL;
		dir = cwd;
	}
	dlen = strlen(dir);
	plen = strlen(path);
	if ((out = malloc(dlen + plen + 2)) == NULL)
		return NULL;
	memcpy(out, dir, dlen);
	out[dlen] = '/';
	memcpy(out + dlen + 1, path, plen + 1);
	return out;
}

int
confval_str(char **dst, const char *v)
{
	char	*s;

	if ((s = strdup(v)) == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* *dst = realpath of the directory path (relative to dir). */
int
confval_dir(char **dst, const char *dir, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*abs, *real;

	if (*path == '\0')
		return confval_errf(err, errlen, "empty directory name");
	if ((abs = confval_abspath(dir, path)) == NULL)
		return confval_errf(err, errlen,
		    "%s: %s", path, strerror(errno));
	real = realpath(abs, NULL);
	free(abs);
	if (real == NULL)
		return confval_errf(err, errlen,
		    "%s: %s", path, strerror(errno));
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		free(real);
		return confval_errf(err, errlen, "%s: not a directory", path);
	}
	free(*dst);
	*dst = real;
	return 0;
}

/* *dst = absolute path of the executable path (relative to dir). */
int
confval_prog(char **dst, const char *dir, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*abs;

	if (*path == '\0')
		return confval_errf(err, errlen, "empty program name");
	if ((abs = confval_abspath(dir, path)) == NULL)
		return confval_errf(err, errlen,
		    "%s: %s", path, strerror(errno));
	if (stat(abs, &st) == -1) {
		free(abs);
		return confval_errf(err, errlen,
		    "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || access(abs, X_OK) == -1) {
		free(abs);
		return confval_errf(err, errlen, "%s: not an executable file",
		    path);
	}
	free(*dst);
	*dst = abs;
	return 0;
}

/* The next space-separated word at *p (its length in *len), *p moved
   past it; NULL at the end. */
static const char *
confval_word(const char **p, size_t *len)
{
	const char	*w;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p == '\0')
		return NULL;
	for (w = *p; **p != '\0' && **p != ' ' && **p != '\t'; (*p)++)
		continue;
	*len = (size_t)(*p - w);
	return w;
}

/* Appends the space-separated words of v to the NULL-ended *list;
   names = 1 checks each is an environment variable name. */
int
confval_words(char ***list, const char *v, int names, char *err,
    size_t errlen)
{
	const char	*p = v, *w;
	char		**l, *word;
	size_t		 n, len, i;

	for (n = 0; *list != NULL && (*list)[n] != NULL; n++)
		continue;
	while ((w = confval_word(&p, &len)) != NULL) {
		if (names) {
			for (i = 0; i < len; i++)
				if (!(w[i] == '_' || (w[i] >= 'A' && w[i] <= 'Z') ||
				    (w[i] >= 'a' && w[i] <= 'z') ||
				    (i > 0 && w[i] >= '0' && w[i] <= '9')))
					return confval_errf(err, errlen,
					    "\"%.*s\" "
					    "is not a variable name",
					    (int)len, w);
		}
		if ((word = strndup(w, len)) == NULL)
			return confval_errf(err, errlen, "%s", strerror(errno));
		if ((l = realloc(*list, (n + 2) * sizeof(*l))) == NULL) {
			free(word);
			return confval_errf(err, errlen, "%s", strerror(errno));
		}
		l[n++] = word;
		l[n] = NULL;
		*list = l;
	}
	return 0;
}

/* One range of confval_cidrs: 0, or -1 with a message in err. */
static int
confval_cidr(const char *w, size_t len, struct conf_cidr *c, char *err,
    size_t errlen)
{
	char		 text[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long	 bits;
	unsigned int	 max;

	memset(c, 0, sizeof(*c));
	if (len == 4 && strncmp(w, "unix", 4) == 0) {
		c->family = AF_UNIX;
		return 0;
	}
	if (len >= sizeof(text))
		return confval_errf(err, errlen, "\"%.*s\": not an address "
		    "range", (int)len, w);
	memcpy(text, w, len);
	text[len] = '\0';
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, text, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, text, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return confval_errf(err, errlen, "\"%s\": not a numeric "
		    "address (ADDR/BITS, ADDR or unix)", text);
	c->bits = max;
	if (slash != NULL) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    errno != 0 || bits > max)
			return confval_errf(err, errlen, "\"%.*s\": the bits "
			    "after '/' must be 0 to %u", (int)len, w, max);
		c->bits = (unsigned int)bits;
	}
	return 0;
}

int
confval_cidrs(struct conf_cidrs *list, const char *v, char *err,
    size_t errlen)
{
	struct conf_cidr	 c, *l;
	const char		*p = v, *w;
	size_t			 len;

	while ((w = confval_word(&p, &len)) != NULL) {
		if (confval_cidr(w, len, &c, err, errlen) == -1)
			return -1;
		if ((l = realloc(list->v, (list->n + 1) * sizeof(*l))) == NULL)
			return confval_errf(err, errlen, "%s", strerror(errno));
		l[list->n++] = c;
		list->v = l;
	}
	return 0;
}

int
confval_cidr_match(const struct conf_cidrs *list, const char *addr)
{
	uint8_t		a[16];
	int		family;
	size_t		i;
	unsigned int	b, whole;

	if (strcmp(addr, "unix") == 0)
		family = AF_UNIX;
	else if (inet_pton(AF_INET, addr, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1)
		family = AF_INET6;
	else
		return 0;
	for (i = 0; i < list->n; i++) {
		const struct conf_cidr	*r = &list->v[i];

		if (r->family != family)
			continue;
		if (family == AF_UNIX)
			return 1;
		b = r->bits;
		whole = b / 8;
		if (memcmp(r->addr, a, whole) != 0)
			continue;
		if (b % 8 == 0 || ((r->addr[whole] ^ a[whole]) &
		    (0xff << (8 - b % 8))) == 0)
			return 1;
	}
	return 0;
}

/* One getpwnam_r or getgrnam_r call: ent is its struct, *found its
   result pointer (NULL: no entry). */
typedef int confval_getent(const char *name, void *ent, char *buf,
    size_t size, void **found);

/*
 * Runs get for name with a buffer grown on ERANGE up to CONFVAL_PWBUF_MAX.
 * Returns 0 with *ent filled (its strings point into a freed buffer: only
 * its numbers may be read), or -1 with errno 0 when there is no such
 * entry, else the lookup's error.
 */
static int
confval_lookup(const char *name, confval_getent *get, void *ent)
{
	char	*buf = NULL, *nbuf;
	void	*found = NULL;
	size_t	 size = 1024;
	int	 error;

	for (;;) {
		if ((nbuf = realloc(buf, size)) == NULL) {
			free(buf);
			return -1;
		}
		buf = nbuf;
		error = get(name, ent, buf, size, &found);
		if (error != ERANGE || size >= CONFVAL_PWBUF_MAX)
			break;
		size *= 2;
	}
	free(buf);
	/* Not found is 0 and no entry; some NSS modules say ENOENT. */
	errno = error == ENOENT ? 0 : error;
	return error == 0 && found != NULL ? 0 : -1;
}

static int
confval_getpw(const char *name, void *ent, char *buf, size_t size,
    void **found)
{
	struct passwd	*res = NULL;
	int		 error;

	error = getpwnam_r(name, ent, buf, size, &res);
	*found = res;
	return error;
}

static int
confval_getgr(const char *name, void *ent, char *buf, size_t size,
    void **found)
{
	struct group	*res = NULL;
	int		 error;

	error = getgrnam_r(name, ent, buf, size, &res);
	*found = res;
	return error;
}

int
confval_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	pw;

	if (confval_lookup(name, confval_getpw, &pw) == -1)
		return -1;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int
confval_group(const char *name, gid_t *gid)
{
	struct group	gr;

	if (confval_lookup(name, confval_getgr, &gr) == -1)
		return -1;
	*gid = gr.gr_gid;
	return 0;
}

/* The message for a user or group (what) that did not resolve. */
int
confval_ids_err(char *err, size_t errlen, const char *what, const char *v)
{
	if (errno == 0 || *v == '\0')
		return confval_errf(err, errlen, "unknown %s \"%s\"", what, v);
	return confval_errf(err, errlen, "%s \"%s\": %s", what, v,
	    strerror(errno));
}

static int
confval_port(const char *spec, const char *s, uint16_t *port, char *err,
    size_t errlen)
{
	uint64_t	v = 0;
	char		tmp[8];

	if (confval_u64(s, 1, 65535, &v, tmp, sizeof(tmp)) == -1)
		return confval_errf(err, errlen,
		    "%s: bad port \"%s\": expected 1 to 65535", spec, s);
	*port = (uint16_t)v;
	return 0;
}

/*
 * "ADDR [OPTION...]": the address as confval_listen_addr reads it, then
 * space-separated options: proxy_protocol (a PROXY protocol header opens
 * each connection), reuse_port (TCP only: SO_REUSEPORT), and mode=OCTAL,
 * owner=USER, group=GROUP (for unix:PATH only: the socket file's
 * permissions, so that a front server's user can connect).
 */
int
confval_listen(const char *spec, struct conf_listen *l, char *err,
    size_t errlen)
{
	char		*copy, *word, *save = NULL, *end;
	const char	*v;
	unsigned long	 mode;
	gid_t		 gid;
	int		 rc;

	if ((copy = strdup(spec)) == NULL)
		return confval_errf(err, errlen, "%s", strerror(ENOMEM));
	if ((word = strtok_r(copy, " \t", &save)) == NULL)
		word = copy;		/* the address parser says why */
	if (confval_listen_addr(word, l, err, errlen) == -1) {
		free(copy);
		return -1;
	}
	if (strcmp(word, spec) != 0) {
		/* The whole entry names it in logs. */
		free(l->spec);
		if ((l->spec = strdup(spec)) == NULL) {
			free(copy);
			return confval_errf(err, errlen, "%s",
			    strerror(ENOMEM));
		}
	}
	rc = 0;
	while (rc == 0 && (word = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strcmp(word, "proxy_protocol") == 0) {
			l->flags |= CONF_LISTEN_PROXY;
			continue;
		}
		if (strcmp(word, "reuse_port") == 0 && l->family != AF_UNIX) {
			l->flags |= CONF_LISTEN_REUSEPORT;
			continue;
		}
		if ((v = strchr(word, '=')) == NULL || l->family != AF_UNIX) {
			rc = confval_errf(err, errlen, "%s: unknown option "
			    "\"%s\" (the flags are proxy_protocol and "
			    "reuse_port; mode=, owner= and group= are for "
			    "unix:PATH)", l->spec, word);
			break;
		}
		v++;
		if (strncmp(word, "mode=", 5) == 0) {
			errno = 0;
			mode = strtoul(v, &end, 8);
			if (*v == '\0' || *end != '\0' || errno != 0 ||
			    mode > 07777)
				rc = confval_errf(err, errlen, "%s: mode=%s: "
				    "expected an octal mode", l->spec, v);
			else
				l->mode = (int)mode;
		} else if (strncmp(word, "owner=", 6) == 0) {
			if (confval_user(v, &l->uid, &gid) == -1)
				rc = confval_ids_err(err, errlen, "owner", v);
		} else if (strncmp(word, "group=", 6) == 0) {
			if (confval_group(v, &l->gid) == -1)
				rc = confval_ids_err(err, errlen, "group", v);
		} else
			rc = confval_errf(err, errlen, "%s: unknown option "
			    "\"%s\"", l->spec, word);
	}
	free(copy);
	if (rc == -1) {
		free(l->spec);
		l->spec = NULL;
	}
	return rc;
}

/* One address: HOST:PORT, [IPV6]:PORT, :PORT or unix:PATH. */
static int
confval_listen_addr(const char *spec, struct conf_listen *l, char *err,
    size_t errlen)
{
	struct conf_listen	 n;
	struct sockaddr_un	*sun;
	struct sockaddr_in	*sin;
	struct addrinfo		 hints, *res;
	char			 host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char		*colon, *portstr, *rbr;
	size_t			 hlen;
	uint16_t		 port;
	int			 rc;

	memset(&n, 0, sizeof(n));
	n.mode = -1;
	n.uid = (uid_t)-1;
	n.gid = (gid_t)-1;
	if (strncmp(spec, "unix:", 5) == 0) {
		const char	*path = spec + 5;

		sun = (struct sockaddr_un *)&n.addr;
		if (*path == '\0')
			return confval_errf(err, errlen,
			    "%s: empty socket path",
			    spec);
		if (strlen(path) >= sizeof(sun->sun_path))
			return confval_errf(err, errlen,
			    "%s: socket path longer "
			    "than %zu bytes", spec, sizeof(sun->sun_path) - 1);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path) + 1);
		n.family = AF_UNIX;
		n.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strlen(path) + 1);
	} else if (spec[0] == '[') {
		if ((rbr = strchr(spec, ']')) == NULL)
			return confval_errf(err, errlen,
			    "%s: missing ']'", spec);
		if (rbr[1] != ':')
			return confval_errf(err, errlen, "%s: expected "
			    "[IPV6]:PORT", spec);
		hlen = (size_t)(rbr - spec - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return confval_errf(err, errlen, "%s: bad IPv6 address",
			    spec);
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		if (confval_port(spec, rbr + 2, &port, err, errlen) == -1)
			return -1;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET6;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if ((rc = getaddrinfo(host, rbr + 2, &hints, &res)) != 0)
			return confval_errf(err, errlen, "%s: \"%s\" is not a "
			    "numeric IPv6 address (%s)", spec, host,
			    gai_strerror(rc));
		if (res->ai_addrlen > sizeof(n.addr)) {
			freeaddrinfo(res);
			return confval_errf(err, errlen,
			    "%s: bad address", spec);
		}
		memcpy(&n.addr, res->ai_addr, res->ai_addrlen);
		n.addrlen = res->ai_addrlen;
		n.family = AF_INET6;
		freeaddrinfo(res);
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			return confval_errf(err, errlen,
			    "%s: expected HOST:PORT, "
			    "[IPV6]:PORT, :PORT or unix:PATH", spec);
		portstr = colon + 1;
		hlen = (size_t)(colon - spec);
		if (memchr(spec, ':', hlen) != NULL)
			return confval_errf(err, errlen, "%s: write an IPv6 "
			    "address in brackets: [ADDR]:PORT", spec);
		if (hlen >= sizeof(host))
			return confval_errf(err, errlen, "%s: bad host", spec);
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		if (confval_port(spec, portstr, &port, err, errlen) == -1)
			return -1;
		sin = (struct sockaddr_in *)&n.addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (hlen == 0)
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (strcmp(host, "localhost") == 0)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return confval_errf(err, errlen, "%s: \"%s\" is not a "
			    "numeric IPv4 address (host names are not "
			    "resolved; use localhost or an address)", spec,
			    host);
		n.family = AF_INET;
		n.addrlen = sizeof(*sin);
	}
	if ((n.spec = strdup(spec)) == NULL)
		return confval_errf(err, errlen, "%s", strerror(ENOMEM));
	*l = n;
	return 0;
}

int
confval_listen_add(struct conf_listen **ls, size_t *n, const char *spec,
    char *err, size_t errlen)
{
	struct conf_listen	*a, l;

	if (confval_listen(spec, &l, err, errlen) == -1)
		return -1;
	if ((a = realloc(*ls, (*n + 1) * sizeof(*a))) == NULL) {
		free(l.spec);
		return confval_errf(err, errlen, "%s", strerror(errno));
	}
	a[(*n)++] = l;
	*ls = a;
	return 0;
}

/* The log file path (NULL: stderr, LOG_OFF: none) can be opened for
   appending, as log_open will; 0, or -1 after a message. */
static int
confval_log_check(const char *key, const char *path)
{
	int	fd;

	if (path == NULL || strcmp(path, LOG_OFF) == 0 ||
	    strcmp(path, LOG_SYSLOG) == 0)
		return 0;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1) {
		confval_report("%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int
confval_logs(const struct conf *c)
{
	int	rv = confval_log_check("error_log", c->error_log);

	if (confval_log_check("access_log", c->access_log) == -1)
		rv = -1;
	return rv;
}

/* A URL path prefix: '/' first, printable ASCII without space, '?', '#';
   not used by another app than apps[self]. */
int
confval_prefix(const struct conf *c, size_t self, const char *p,
    char *err, size_t errlen)
{
	size_t	i, len = strlen(p);

	if (p[0] != '/')
		return confval_errf(err, errlen,
		    "prefix \"%s\" must start with "
		    "'/'", p);
	if (len > CONF_MAX_PREFIX)
		return confval_errf(err, errlen, "prefix longer than %d bytes",
		    CONF_MAX_PREFIX);
	for (i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '?' || p[i] == '#')
			return confval_errf(err, errlen, "prefix \"%s\": only "
			    "printable ASCII without space, '?' and '#'", p);
	for (i = 0; i < c->napps; i++)
		if (i != self && c->apps[i].prefix != NULL &&
		    strcmp(c->apps[i].prefix, p) == 0)
			return confval_errf(err, errlen, "duplicate prefix %s "
			    "(app %s has it)", p, c->apps[i].name);
	return 0;
}
