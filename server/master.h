/*
 * The master: starts every module, runs the loop, handles signals and the
 * graceful stop.  Its context, struct master, is in master-t.h.
 */
#ifndef FERRY_SERVER_MASTER_H
#define FERRY_SERVER_MASTER_H

#include "server/master-t.h"

struct conf;

/* Runs ferryd with settings cf until a stop; returns the exit status.
   argc and argv are main's: a reload reads them again, an upgrade
   starts ferryd with them. */
int	master_run(struct conf *cf, int argc, char *argv[]);

#endif
