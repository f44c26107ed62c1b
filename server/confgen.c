/*
 * Configuration generations: a struct conf lives while the master runs it
 * or a request routed by it has not ended (confgen.h).
 */
#include "config.h"

#include <stdlib.h>

#include "server/app-t.h"
#include "server/conf.h"
#include "server/confgen.h"
#include "server/master-t.h"

void
confgen_hold(struct conf *cf)
{
	cf->refs++;
}

void
confgen_put(struct master *m, struct conf *cf)
{
	const struct app_type	*t;
	size_t			 i;

	if (cf == NULL || --cf->refs > 0)
		return;
	for (i = 0; i < cf->napps; i++) {
		t = m->app_types[cf->apps[i].type];
		if (cf->apps[i].rt != NULL && t->release != NULL)
			t->release(m, &cf->apps[i]);
	}
	conf_free(cf);
	free(cf);
}
