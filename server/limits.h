/*
 * The master's fixed limits, each named once.  The configurable ones are
 * in server/conf.h.
 */
#ifndef FERRY_SERVER_LIMITS_H
#define FERRY_SERVER_LIMITS_H

#define CONN_IN_MIN		(16 * 1024)	/* input buffer: at least this,
						   and room for a whole head */
#define CONN_SPARE_MAX		32		/* connection records kept for
						   reuse with their buffers */
#define CONN_OUT_KEEP		(16 * 1024)	/* a spare keeps an output
						   buffer up to this */
#define CONN_TRIM_IDLE		5.0		/* s after the last connection went
						   idle or closed: spares freed,
						   the heap trimmed */
#define CONN_OUT_HIGH		(64 * 1024)	/* stop reading the app above */
#define CONN_OUT_LOW		(16 * 1024)	/* resume below */
#define CONN_PEND_MAX		(32 * 1024)	/* app output held to give a
						   short response a length */
#define RESPOND_INTERIM_MAX	16		/* interim (1xx) blocks from an
						   app before its response */
#define CONN_COMMIT_DELAY	0.05		/* s: wait for the end of output before
						   choosing chunked framing */
#define CONN_DRAIN_MAX		(256 * 1024)	/* unread body discarded to keep
						   the connection; close beyond */
#define CONN_LINGER_TIME	1.0		/* s: drain after an error */
#define CONN_LINGER_BYTES	(64 * 1024)
#define CONN_BUFFER_MEM		(64 * 1024)	/* a buffered Content-Length
						   body in memory; a temp
						   file beyond */
#define CONN_CBODY_MEM		(1024 * 1024)	/* chunked body kept in memory;
						   beyond, an unlinked temp file */
#define CONN_MAX_REDIRECTS	10		/* local redirects per request */
#define ACCEPT_RETRY		0.5		/* s: retry after EMFILE */
#define CONNECT_RETRY		0.1		/* s: a request waiting for
						   an fd to reach a worker
						   tries again */
/* The master's fds, checked against RLIMIT_NOFILE at start. */
#define FD_RESERVE		64	/* logs, the loop, spawns in flight,
					   bodies spilled to files */
#define FD_PER_CONN		1	/* a client's socket */
#define FD_PER_WORKER		2	/* its channel and its output pipe */
#define FD_PER_CGI		3	/* a script's stdin, stdout, stderr */
#define FD_PER_FILTERED		1	/* a filtered process's seccomp
					   listener (server/notif.c) */
#define ACCEPT_BATCH		64		/* accepts per wake-up */
#define CHILD_LOG_LINE		1024		/* longest logged line of a child's
						   output (longer: in pieces) */
#define CHILD_LOG_BURST		100		/* lines a child may log at once */
#define CHILD_LOG_RATE		10		/* then lines per second; the
						   rest is dropped and counted */
#define NOTIF_LOG_BURST		5		/* denied calls of a filtered
						   process named in the log */
#define NOTIF_LOG_INTERVAL	5.0		/* s: then counted, the count
						   said at most this often */
#define NOTIF_BATCH		64		/* denied calls answered per
						   wake-up of a listener */
#define NOTIF_CALLERS		16		/* a spawner's listener:
						   callers whose denied calls
						   are named and counted
						   apart */
#define NOTIF_RATE		10000		/* and per second: a process
						   flooding ferryd with them
						   waits, not ferryd */
#define CGI_MAX_ENV		512		/* environment entries */
#define CGI_ERR_TAIL		(256 * 1024)	/* stderr read once a script
						   exited (a daemonised child
						   may hold it: no more) */
#define CGROUP_SPARE_MAX	16		/* empty per-process cgroups
						   an app keeps for its next
						   processes (server/cgroup.c) */
#define UPGRADE_TIMEOUT		60.0		/* s: a new master (SIGUSR2)
						   not ready by then is killed */
#define POOL_READY_TIMEOUT	3.0		/* s: a new worker's wait for
						   GET_VALUES_RESULT */

#endif
