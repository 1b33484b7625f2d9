/* One push with ptr = yes, timed: the DNS engine (public API only) on a
 * fake state table of N addresses and a transport that only counts.  Built
 * and run by bench/ptr-build. */
#include <arpa/inet.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "engine.h"

static struct nlevd_link link_ = {.ifindex = 2, .ifname = "eth0"};
static struct nlevd_addr *addrs;
static size_t naddrs;
static size_t msgs, ops;

static void b_log(struct nlevd_instance *i, int level, const char *fmt, ...)
{
	(void)i, (void)level, (void)fmt;
}
static int b_foreach(int ifindex, nlevd_addr_cb cb, void *arg)
{
	(void)ifindex;
	for (size_t i = 0; i < naddrs; i++)
		if (cb(&link_, &addrs[i], arg))
			return 1;
	return 0;
}
static bool b_selected(const struct nlevd_instance *i, const struct nlevd_link *l,
		       const struct nlevd_addr *a)
{
	(void)i, (void)l, (void)a;
	return true;
}
static void b_once(struct nlevd_instance *i, bool ok)
{
	(void)i, (void)ok;
}
static int b_send(void *ctx, const struct dns_batch *b)
{
	(void)ctx;
	msgs = b->nmsgs;
	ops = 0;
	for (size_t i = 0; i < b->nmsgs; i++)
		ops += b->msgs[i].nops;
	return 0;
}

/* Address k: IPv4 10.x.y.z and IPv6 2001:db8:x:y::z alternately, 16 per
 * reverse group. */
static void make_addr(struct nlevd_addr *a, size_t k)
{
	memset(a, 0, sizeof(*a));
	a->ifindex = 2;
	size_t g = k / 32, h = k % 32;
	if (h % 2 == 0) {
		a->family = AF_INET;
		a->prefixlen = 24;
		uint8_t v[4] = {10, (uint8_t)(g >> 8), (uint8_t)g, (uint8_t)(h / 2 + 1)};
		memcpy(a->addr, v, 4);
	} else {
		a->family = AF_INET6;
		a->prefixlen = 64;
		uint8_t v[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, (uint8_t)(g >> 8), (uint8_t)g};
		v[15] = (uint8_t)(h / 2 + 1);
		memcpy(a->addr, v, 16);
	}
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	naddrs = argc > 1 ? strtoul(argv[1], NULL, 10) : 4000;
	if (!naddrs || !(addrs = calloc(naddrs + 1, sizeof(*addrs))))
		return 1;
	for (size_t k = 0; k < naddrs; k++)
		make_addr(&addrs[k], k);
	struct nlevd_host host = {.log = b_log, .addr_foreach = b_foreach,
				  .selected = b_selected, .once_done = b_once};
	host.loop = ev_default_loop(0);
	static char *names[] = {"host.example.test."};
	struct dns_config c = {.names = names, .nnames = 1, .zone = "example.test.", .ttl = 300,
			       .ptr = true, .want4 = true, .want6 = true, .timeout_ms = 1000,
			       .retry_ms = 5000, .retry_max_ms = 600000};
	static const struct dns_transport t = {b_send, NULL};
	struct dns_engine *e = dns_engine_new(&host, NULL, &c, &t, NULL);
	/* first push: every group */
	double t0 = now();
	dns_engine_changed(e);
	double t1 = now();
	printf("addresses %zu: first push %.1f ms (%zu messages, %zu ops)\n", naddrs,
	       (t1 - t0) * 1e3, msgs, ops);
	dns_engine_result(e, DNS_OK, NULL);
	/* one address withdrawn, one added: one or two groups */
	make_addr(&addrs[0], naddrs);
	t0 = now();
	dns_engine_changed(e);
	t1 = now();
	printf("addresses %zu: one change  %.1f ms (%zu messages, %zu ops)\n", naddrs,
	       (t1 - t0) * 1e3, msgs, ops);
	dns_engine_result(e, DNS_OK, NULL);
	dns_engine_free(e);
	free(addrs);
	return 0;
}
