/*
 * report: a libferry app whose answer takes a slow computation in steps,
 * and that stops as soon as its client leaves instead of finishing work
 * nobody will read.
 *
 * Each step burns about 200 ms of CPU (a stand-in for a query, a render,
 * a model).  Between steps it asks ferry_gone(), which never blocks; when
 * the client is gone it logs that to stderr and returns.  A pipelined
 * request (FERRY_PIPELINED) is no reason to stop: that client is still
 * waiting for this answer.  The query string "steps=N" sets the number of
 * steps (default 20, at most 1000).
 *
 *   cc report.c $(pkg-config --cflags --libs ferry) -o report
 *   ferryd --listen 127.0.0.1:8080 --app /report=$PWD/report
 *   curl 'http://127.0.0.1:8080/report?steps=50'   # press ^C midway
 */
#define _POSIX_C_SOURCE 200809L	/* built alone too: no config.h */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <ferry.h>

#define REPORT_DEFAULT_STEPS	20
#define REPORT_MAX_STEPS	1000
#define REPORT_STEP_MS		200

int		main(int, char *[]);
static int	report_handler(struct ferry_req *, void *);
static int	report_steps_arg(const char *);
static uint64_t	report_step(uint64_t);

/* "steps=N" in the query, 1..REPORT_MAX_STEPS, else the default. */
static int
report_steps_arg(const char *q)
{
	const char	*p;
	int		 n = 0;

	for (p = q; (p = strstr(p, "steps=")) != NULL; p++) {
		if (p != q && p[-1] != '&')
			continue;
		for (p += 6; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > REPORT_MAX_STEPS)
				return REPORT_MAX_STEPS;
		}
		return n > 0 ? n : REPORT_DEFAULT_STEPS;
	}
	return REPORT_DEFAULT_STEPS;
}

/* About REPORT_STEP_MS of arithmetic, folded into a running value. */
static uint64_t
report_step(uint64_t x)
{
	struct timespec	 t0, now;
	long		 ms;
	int		 i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (i = 0; i < 100000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000;
	} while (ms < REPORT_STEP_MS);
	return x;
}

static int
report_handler(struct ferry_req *req, void *arg)
{
	uint64_t	 x = 1;
	int		 i, steps;

	(void)arg;
	steps = report_steps_arg(ferry_query(req));
	/* The body is of no interest: drop it, so notifications behind it
	   are seen at once. */
	ferry_discard(req);
	for (i = 0; i < steps; i++) {
		if (ferry_gone(req)) {
			fprintf(stderr, "report: request %u: client gone after "
			    "step %d of %d, stopping\n", ferry_request_id(req),
			    i, steps);
			return 0;
		}
		x = report_step(x);
	}
	fprintf(stderr, "report: request %u: all %d steps done\n",
	    ferry_request_id(req), steps);
	ferry_printf(req, "report: %d steps, result %016llx\n", steps,
	    (unsigned long long)x);
	return 0;
}

int
main(int argc, char *argv[])
{
	return ferry_serve_args(argc, argv, report_handler, NULL) == -1 ?
	    1 : 0;
}
