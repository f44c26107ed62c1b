/*
 * ferryd: read the settings, open the logs, run the master.
 */
#include "config.h"

#include <stdlib.h>

#include "server/conf.h"
#include "server/log.h"
#include "server/master.h"

int
main(int argc, char *argv[])
{
	struct conf	cf;
	int		rv;

	switch (conf_load(&cf, argc, argv)) {
	case 0:
		break;
	case 1:
		return 0;	/* --help, --version */
	default:
		return 2;
	}
	if (log_open(cf.error_log, cf.access_log, cf.log_level) == -1) {
		log_warn("opening the logs");
		conf_free(&cf);
		return 1;
	}
	rv = master_run(&cf);
	log_close();
	conf_free(&cf);
	return rv;
}
