/*
 * FastCGI pool apps.  Placeholder until the pool lands: every request to
 * a FastCGI app is answered 502.
 */
#include "config.h"

#include "server/conn.h"
#include "server/log.h"
#include "server/master.h"
#include "server/pool.h"

int
pool_init(struct master *m)
{
	return 0;
}

void
pool_fini(struct master *m)
{
}

void
pool_stop(struct master *m)
{
}

unsigned int
pool_running(struct master *m)
{
	return 0;
}

void
pool_request(struct conn *c)
{
	log_warnx("%s: FastCGI apps are not supported yet", c->req.app->name);
	conn_app_fail(c, 502);
}
