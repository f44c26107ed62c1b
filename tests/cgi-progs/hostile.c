/*
 * A hostile program for hostile_test, as a CGI script and as a FastCGI
 * worker (libfcgi: FCGI_Accept answers once under CGI).  QUERY_STRING
 * names one attack, with an argument after '=' where it takes one; the
 * body says what the attack got, one line, "ATTACK: RESULT".  Each attack
 * is bounded in itself (so a sandbox that fails costs the machine
 * little), but the bounds lie far above what the sandbox allows:
 *   forkbomb    fork children that sleep, up to 2,000, until fork fails
 *   alloc       allocate and touch 4 GiB, 64 MiB at a time
 *   spin        a busy loop, forever
 *   connect=P   connect to 127.0.0.1:P, then to 192.0.2.1:80 (TEST-NET-1,
 *               never routed), 2 s each
 *   shadow      read /etc/shadow
 *   write=PATH  create PATH and write to it
 *   kill=PID    SIGKILL to PID (ferryd's), then to every pid it can see
 *               (kill(-1): only as pid 1 of a namespace, or not as root)
 *   daemon=TAG  setsid and a grandchild that runs "sleep 60" as argv[0]
 *               TAG; the script answers at once
 *   files       open /dev/null until it fails
 *   ptrace      PTRACE_ATTACH to its parent
 *   mount       a tmpfs on /tmp
 *   ok          nothing: "ok: PID"
 * Never sanitized: LeakSanitizer's check at exit needs ptrace.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <fcgi_stdio.h>

#define HOSTILE_FORKS	2000
#define HOSTILE_CHUNK	(64UL << 20)
#define HOSTILE_ALLOC	(4096UL << 20)

static void
hostile_forkbomb(void)
{
	pid_t	pid;
	int	n;

	for (n = 0; n < HOSTILE_FORKS; n++) {
		if ((pid = fork()) == -1)
			break;
		if (pid == 0) {
			sleep(30);
			_exit(0);
		}
	}
	if (n == HOSTILE_FORKS)
		printf("forkbomb: %d forks, none refused\n", n);
	else
		printf("forkbomb: %d forks, then %s\n", n, strerror(errno));
}

static void
hostile_alloc(void)
{
	unsigned long	 done;
	char		*p;

	for (done = 0; done < HOSTILE_ALLOC; done += HOSTILE_CHUNK) {
		p = mmap(NULL, HOSTILE_CHUNK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("alloc: %lu MiB, then %s\n", done >> 20,
			    strerror(errno));
			return;
		}
		memset(p, 1, HOSTILE_CHUNK);
	}
	printf("alloc: %lu MiB, none refused\n", done >> 20);
}

/* connect to addr:port within 2 s: "ok" or the error's text. */
static const char *
hostile_connect1(const char *addr, int port)
{
	struct sockaddr_in	 sin;
	struct pollfd		 p;
	socklen_t		 len = sizeof(int);
	int			 fd, err = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return strerror(errno);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS) {
			err = errno;
			close(fd);
			return strerror(err);
		}
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, 2000) != 1) {
			close(fd);
			return "timed out";
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	}
	close(fd);
	return err != 0 ? strerror(err) : "ok";
}

static void
hostile_connect(const char *arg)
{
	printf("connect: 127.0.0.1:%d %s; ", atoi(arg),
	    hostile_connect1("127.0.0.1", atoi(arg)));
	printf("192.0.2.1:80 %s\n", hostile_connect1("192.0.2.1", 80));
}

static void
hostile_shadow(void)
{
	char	buf[64];
	int	fd;

	if ((fd = open("/etc/shadow", O_RDONLY)) == -1) {
		printf("shadow: %s\n", strerror(errno));
		return;
	}
	printf("shadow: read %zd bytes\n", read(fd, buf, sizeof(buf)));
	close(fd);
}

static void
hostile_write(const char *path)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		printf("write: %s\n", strerror(errno));
		return;
	}
	if (write(fd, "x\n", 2) != 2)
		printf("write: %s\n", strerror(errno));
	else
		printf("write: ok\n");
	close(fd);
}

static void
hostile_kill(const char *arg)
{
	printf("kill: ferryd %s; ", kill((pid_t)atoi(arg), SIGKILL) == -1 ?
	    strerror(errno) : "killed");
	if (getpid() != 1 && geteuid() == 0) {
		printf("all: not tried (root outside a pid namespace)\n");
		return;
	}
	printf("all: %s\n", kill(-1, SIGKILL) == -1 ? strerror(errno) :
	    "signalled some");
}

static void
hostile_daemon(const char *tag)
{
	char	 name[64], sixty[] = "60", *argv[] = { name, sixty, NULL };
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == -1) {
		printf("daemon: %s\n", strerror(errno));
		return;
	}
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		snprintf(name, sizeof(name), "%s", tag);
		execv("/bin/sleep", argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	printf("daemon: started\n");
}

static void
hostile_files(void)
{
	int	n = 0;

	while (n < 100000 && open("/dev/null", O_RDONLY) != -1)
		n++;
	printf("files: %d opened, then %s\n", n, strerror(errno));
}

int
main(void)
{
	const char	*q, *arg;

	while (FCGI_Accept() >= 0) {
		if ((q = getenv("QUERY_STRING")) == NULL)
			q = "";
		arg = strchr(q, '=') != NULL ? strchr(q, '=') + 1 : "";
		printf("Content-Type: text/plain\r\n\r\n");
		if (strcmp(q, "forkbomb") == 0)
			hostile_forkbomb();
		else if (strcmp(q, "alloc") == 0)
			hostile_alloc();
		else if (strcmp(q, "spin") == 0)
			for (;;)
				;
		else if (strncmp(q, "connect=", 8) == 0)
			hostile_connect(arg);
		else if (strcmp(q, "shadow") == 0)
			hostile_shadow();
		else if (strncmp(q, "write=", 6) == 0)
			hostile_write(arg);
		else if (strncmp(q, "kill=", 5) == 0)
			hostile_kill(arg);
		else if (strncmp(q, "daemon=", 7) == 0)
			hostile_daemon(arg);
		else if (strcmp(q, "files") == 0)
			hostile_files();
		else if (strcmp(q, "ptrace") == 0)
			printf("ptrace: %s\n", ptrace(PTRACE_ATTACH, getppid(),
			    NULL, NULL) == -1 ? strerror(errno) : "attached");
		else if (strcmp(q, "mount") == 0)
			printf("mount: %s\n", mount("none", "/tmp", "tmpfs", 0,
			    NULL) == -1 ? strerror(errno) : "mounted");
		else
			printf("ok: %ld\n", (long)getpid());
	}
	return 0;
}
