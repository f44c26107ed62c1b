/*
 * ferryd: read the settings, check them (-t stops there), open the logs,
 * run the master.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/cgroup.h"
#include "server/conf.h"
#include "server/confval.h"
#include "server/log.h"
#include "server/master.h"
#include "server/upgrade.h"

static void	main_close_inherited(void);

/* Closes every fd ferryd inherited but 0-2, the sockets systemd's
   convention hands it (LISTEN_FDS from fd 3, when LISTEN_PID is ours) and
   an upgrading master's pipe right after them (FERRY_UPGRADE_FD): nothing
   of whoever started ferryd reaches scripts and workers. */
static void
main_close_inherited(void)
{
	const char	*pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	unsigned int	 from = 3;
	long		 v;
	char		*end;

	if (pid != NULL && n != NULL && strtol(pid, &end, 10) == getpid() &&
	    *end == '\0' && (v = strtol(n, &end, 10)) > 0 && *end == '\0' &&
	    v < 1024)
		from += (unsigned int)v;
	if (upgrade_env_fd() == (int)from)
		from++;
	if (close_range(from, ~0U, 0) == -1) {
		/* A kernel before 5.9: one by one. */
		if ((v = sysconf(_SC_OPEN_MAX)) < 0 || v > 65536)
			v = 65536;
		for (; from < (unsigned int)v; from++)
			(void)close((int)from);
	}
}

int
main(int argc, char *argv[])
{
	struct conf	*cf;
	struct log_conf	 lc;
	int		 rv, checked;

	main_close_inherited();
	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		perror("ferryd");
		return 1;
	}
	switch (conf_load(cf, argc, argv)) {
	case 0:
		break;
	case 1:
		free(cf);
		return 0;	/* --help, --version */
	default:
		free(cf);
		return 2;
	}
	checked = conf_apps_check(cf);
	if (checked == -1 && !cf->test) {
		conf_free(cf);	/* a configuration error, as conf_load's */
		free(cf);
		return 2;
	}
	rv = confval_logs(cf);
	if (checked == -1)
		rv = -1;
	if (rv == 0 && cf->test)
		rv = cgroup_check(cf);
	if (cf->test) {
		if (rv == 0)
			printf("ferryd: configuration %s is ok\n",
			    cf->file != NULL ? cf->file : "(command line)");
		conf_free(cf);
		free(cf);
		return rv == 0 ? 0 : 2;
	}
	lc = (struct log_conf){ cf->error_log, cf->access_log, cf->log_level,
	    cf->access_log_format, cf->syslog_facility };
	if (rv == -1 || log_configure(&lc) == -1) {
		if (rv == 0)
			log_early("opening the logs: %s", strerror(errno));
		conf_free(cf);
		free(cf);
		return 1;
	}
	/* The master owns cf from here (a reload replaces it). */
	rv = master_run(cf, argc, argv);
	log_close();
	return rv;
}
