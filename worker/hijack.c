/*
 * libferry: hijack, the client's socket handed to the app.  It owns the
 * request's hijack buffer (body bytes that come after HIJACK, then those
 * the server read from the client), the HIJACK request and the wait for
 * its answer, and what a refusal means as an errno.  The answers
 * themselves are read by worker/rec.c.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/fcgi.h"
#include "worker/ferry.h"
#include "worker/ferry-int.h"

/* Appends n bytes to req's hijack buffer; mu held.  0, or -1 (ENOMEM). */
int
ferry_hj_add(struct ferry_req *req, const uint8_t *p, size_t n)
{
	size_t	 ncap;
	uint8_t	*np;

	if (n == 0)
		return 0;
	if (req->hjoff > 0 && req->hjlen + n > req->hjcap) {
		memmove(req->hj, req->hj + req->hjoff, req->hjlen - req->hjoff);
		req->hjlen -= req->hjoff;
		req->hjoff = 0;
	}
	if (req->hjlen + n > req->hjcap) {
		ncap = req->hjcap == 0 ? 4096 : req->hjcap;
		while (ncap < req->hjlen + n)
			ncap *= 2;
		if ((np = realloc(req->hj, ncap)) == NULL)
			return -1;
		req->hj = np;
		req->hjcap = ncap;
	}
	memcpy(req->hj + req->hjlen, p, n);
	req->hjlen += n;
	return 0;
}

/* The errno for a HIJACK_REFUSED reason, by its first word. */
static int
ferry_refused_errno(const char *why)
{
	static const struct {
		const char	*word;
		int		 err;
	} map[] = {
		{ FERRY_REFUSED_GONE,		ENOTCONN },
		{ FERRY_REFUSED_TWICE,		EALREADY },
		{ FERRY_REFUSED_COMPLETE,	ESHUTDOWN },
	};
	const char	*colon;
	size_t		 i, n;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		colon = strchr(map[i].word, ':');
		n = (size_t)(colon - map[i].word) + 1;
		if (strncmp(why, map[i].word, n) == 0)
			return map[i].err;
	}
	return ECONNREFUSED;
}

int
ferry_hijack(struct ferry_req *req, void **buf, size_t *len)
{
	struct ferry_conn	*c = req->conn;
	const char		*ext;
	uint8_t			*out = NULL;
	size_t			 total = 0, first;
	int			 fd = -1, err = 0, fl;

	*buf = NULL;
	*len = 0;
	pthread_mutex_lock(&req->omu);
	ext = ferry_param(req, FERRY_PARAM_EXTENSIONS);
	pthread_mutex_lock(&c->mu);
	if (req->hijack == FERRY_HJ_DONE) {
		err = EALREADY;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the request was hijacked already");
	} else if (req->ended) {
		err = ESHUTDOWN;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the response is complete (ferry_end)");
	} else if (ext == NULL || !fcgi_list_has(ext, strlen(ext),
	    FERRY_EXT_HIJACK)) {
		err = EOPNOTSUPP;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the server does not offer hijack");
	} else if (req->lost || c->dead) {
		err = EPIPE;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the connection to the server is lost");
	} else {
		req->hijack = FERRY_HJ_PENDING;
		req->herr[0] = '\0';
		/* A STDIN record waiting for room in the body buffer goes
		   on (to the hijack buffer). */
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	if (err != 0)
		goto out;

	/* What was not flushed is not committed: dropped. */
	req->outlen = 0;
	if (ferry_conn_send_record(c, FERRY_HIJACK, req->id, NULL, 0) == -1) {
		pthread_mutex_lock(&c->mu);
		req->hijack = FERRY_HJ_NONE;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the connection to the server is lost");
		pthread_mutex_unlock(&c->mu);
		err = EPIPE;
		goto out;
	}

	pthread_mutex_lock(&c->mu);
	while (req->hijack == FERRY_HJ_PENDING && !c->dead)
		(void)ferry_conn_wait(c, NULL);
	switch (req->hijack) {
	case FERRY_HJ_DONE:
		/* The body bytes buffered and not read come first. */
		total = req->in_len + (req->hjlen - req->hjoff);
		if (total > 0 && (out = malloc(total)) == NULL) {
			err = ENOMEM;
			snprintf(req->herr, sizeof(req->herr), "%s",
			    "out of memory for the client's bytes");
			close(req->hijack_fd);
			req->hijack_fd = -1;
			total = 0;
			break;
		}
		if (req->in_len > 0) {
			first = FERRY_STDIN_MAX - req->in_head;
			if (first > req->in_len)
				first = req->in_len;
			memcpy(out, req->in + req->in_head, first);
			memcpy(out + first, req->in, req->in_len - first);
		}
		if (req->hjlen > req->hjoff)
			memcpy(out + req->in_len, req->hj + req->hjoff,
			    req->hjlen - req->hjoff);
		req->in_len = 0;
		free(req->hj);
		req->hj = NULL;
		req->hjoff = req->hjlen = req->hjcap = 0;
		fd = req->hijack_fd;
		req->hijack_fd = -1;
		break;
	case FERRY_HJ_REFUSED:
		err = ferry_refused_errno(req->herr);
		req->hijack = FERRY_HJ_NONE;
		break;
	default:
		err = EPIPE;
		req->hijack = FERRY_HJ_NONE;
		snprintf(req->herr, sizeof(req->herr), "%s",
		    "the connection to the server is lost");
		break;
	}
	pthread_mutex_unlock(&c->mu);
	/* The socket is the app's, in blocking mode. */
	if (fd != -1 && (fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
out:
	pthread_mutex_unlock(&req->omu);
	if (err != 0) {
		free(out);
		errno = err;
		return -1;
	}
	*buf = out;
	*len = total;
	return fd;
}

const char *
ferry_hijack_error(const struct ferry_req *req)
{
	return req->herr;
}

int
ferry_hijacked(const struct ferry_req *req)
{
	return req->hijack == FERRY_HJ_DONE;
}
