/* libcurl's multi-socket interface on the libev loop.  One multi handle per
 * instance: its connection cache keeps a provider's TLS session warm, and
 * an instance that goes takes every socket and timer of its own with it. */
#include <errno.h>
#include <stdlib.h>

#include "curlev.h"

struct curlev {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;
	int running;
	struct sock *socks; /* every watched socket, freed at the end whatever curl says */
};

/* The state of one transfer, in CURLOPT_PRIVATE. */
struct job {
	curlev_done_cb done;
	void *arg;
};

/* One socket curl waits on; curl_multi_assign() keeps it with the socket. */
struct sock {
	ev_io io;
	struct curlev *c;
	struct sock *next, **pprev;
};

static void sock_free(struct curlev *c, struct sock *s)
{
	ev_io_stop(c->loop, &s->io);
	if (s->next)
		s->next->pprev = s->pprev;
	*s->pprev = s->next;
	free(s);
}

static void finished(struct curlev *c)
{
	CURLMsg *m;
	int left;
	/* A done callback may add or remove transfers: curl allows both here,
	 * outside its own callbacks. */
	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		struct job *j = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
		curl_multi_remove_handle(c->multi, easy);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		if (j) {
			curlev_done_cb done = j->done;
			void *arg = j->arg;
			free(j);
			done(easy, rc, arg);
		}
	}
}

static void sock_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct sock *s = (struct sock *)w;
	struct curlev *c = s->c;
	int flags = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
		    (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);
	/* s may be freed inside (CURL_POLL_REMOVE): read what we need first. */
	curl_multi_socket_action(c->multi, w->fd, flags, &c->running);
	finished(c);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct curlev *c = w->data;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &c->running);
	finished(c);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	struct curlev *c = userp;
	struct sock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(c->multi, fd, NULL);
			sock_free(c, s);
		}
		return 0;
	}
	int ev = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1; /* curl fails the transfer */
		s->c = c;
		s->next = c->socks;
		if (s->next)
			s->next->pprev = &s->next;
		s->pprev = &c->socks;
		c->socks = s;
		ev_io_init(&s->io, sock_io_cb, fd, ev);
		curl_multi_assign(c->multi, fd, s);
	} else {
		ev_io_stop(c->loop, &s->io);
		ev_io_set(&s->io, fd, ev);
	}
	ev_io_start(c->loop, &s->io);
	return 0;
}

static int timer_set_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct curlev *c = userp;
	ev_timer_stop(c->loop, &c->timer);
	if (timeout_ms >= 0) {
		/* 0 means now: from the loop, not from inside curl. */
		ev_timer_set(&c->timer, (double)timeout_ms / 1000., 0.);
		ev_timer_start(c->loop, &c->timer);
	}
	return 0;
}

struct curlev *curlev_new(struct ev_loop *loop)
{
	struct curlev *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		return NULL;
	}
	ev_timer_init(&c->timer, timer_cb, 0., 0.);
	c->timer.data = c;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_set_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

int curlev_add(struct curlev *c, CURL *easy, curlev_done_cb done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->done = done;
	j->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, j);
	if (curl_multi_add_handle(c->multi, easy) != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(j);
		return -ENOMEM;
	}
	return 0; /* the timer callback has asked for a first kick */
}

void curlev_remove(struct curlev *c, CURL *easy)
{
	struct job *j = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
	curl_multi_remove_handle(c->multi, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(j);
}

void curlev_free(struct curlev *c)
{
	if (!c)
		return;
	/* The caller removed its transfers; removing closes curl's sockets,
	 * and the socket callback frees their watchers. */
	curl_multi_cleanup(c->multi);
	while (c->socks)
		sock_free(c, c->socks);
	ev_timer_stop(c->loop, &c->timer);
	free(c);
}
