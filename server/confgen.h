/*
 * Configuration generations.  ferryd runs one struct conf at a time (the
 * master's m->conf); a reload makes a new one current, while requests
 * routed by an older one finish with it: each holds the configuration
 * that routed it, from routing until the request ends.  When the last
 * holder lets a configuration go, each of its apps is released through
 * its app type (struct app_type's release), then the configuration is
 * freed.
 */
#ifndef FERRY_SERVER_CONFGEN_H
#define FERRY_SERVER_CONFGEN_H

struct conf;
struct master;

/* One more holder of cf (heap-allocated, as confgen_put frees it). */
void	confgen_hold(struct conf *cf);
/* One holder fewer; the last one releases cf's apps and frees cf. */
void	confgen_put(struct master *m, struct conf *cf);

#endif
