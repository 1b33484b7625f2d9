/* dns-read: read records from a zone's primary with plugins/dns/query.c,
 * as dnsupdate does before it updates, for the integration tests.
 *
 *   dns-read [-k KEYFILE] [-t] [-T TIMEOUT_MS] [-v] SERVER[:PORT][,...] ZONE OWNER/TYPE...
 *
 * SERVER is an IPv4 or IPv6 address ([::1]:PORT with a port); several,
 * comma-separated, are tried in turn as the primary's addresses; TYPE is A,
 * AAAA, PTR or DHCID.  With -k the queries are TSIG-signed with the file's
 * only key; -t: TCP; -T: per-address timeout (default 2000 ms); -v: the
 * exchange's debug lines too.  One line per question on stdout:
 *
 *   OWNER TYPE STATUS TTL RDATA...
 *
 * STATUS FOUND, NXDOMAIN, NODATA or CNAME (RDATA the target).  On error,
 * nothing on stdout, "dns-read: DETAIL" on stderr, exit status 1; a usage
 * error is 2.  Warnings of the exchange (ignored responses) go to stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../plugins/dns/keyfile.h"
#include "../plugins/dns/query.h"
#include "../plugins/dns/xchg.h"

static bool verbose;

static void cli_vlog(struct nlevd_instance *inst, int level, const char *fmt, va_list ap)
{
	(void)inst;
	if (level >= NLEVD_LOG_DEBUG && !verbose)
		return;
	fprintf(stderr, "dns-read: %s: ", level <= NLEVD_LOG_WARNING ? "warning" : "debug");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__attribute__((format(printf, 3, 4))) static void cli_log(struct nlevd_instance *inst, int level,
							  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vlog(inst, level, fmt, ap);
	va_end(ap);
}

struct run {
	int err;
	char detail[sizeof(((struct dns_query *)0)->detail)];
	bool ended;
};

static void read_done(void *owner, int err, const char *detail)
{
	struct run *r = owner;
	r->err = err;
	r->ended = true;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
}

static int usage(void)
{
	fprintf(stderr, "usage: dns-read [-k KEYFILE] [-t] [-T TIMEOUT_MS] [-v] SERVER[:PORT][,...] "
			"ZONE OWNER/TYPE...\n");
	return 2;
}

/* "ip", "ip:port", "[ip6]:port" */
static bool parse_server(const char *arg, struct xchg_target *t)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');
		if (!end || (size_t)(end - arg - 1) >= sizeof(host))
			return false;
		memcpy(host, arg + 1, (size_t)(end - arg - 1));
		host[end - arg - 1] = 0;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return false;
	} else {
		const char *c = strchr(arg, ':');
		bool one = c && !strchr(c + 1, ':'); /* one colon: v4 and a port */
		size_t hl = one ? (size_t)(c - arg) : strlen(arg);
		if (hl >= sizeof(host))
			return false;
		memcpy(host, arg, hl);
		host[hl] = 0;
		if (one)
			port = c + 1;
	}
	long p = 0;
	if (port) {
		char *e;
		p = strtol(port, &e, 10);
		if (!*port || *e || p < 1 || p > 65535)
			return false;
	}
	return xchg_target_from_ip(host, (uint16_t)p, t);
}

int main(int argc, char **argv)
{
	const char *keyfile = NULL;
	bool tcp = false;
	long timeout = 2000;
	int c;
	while ((c = getopt(argc, argv, "k:tT:v")) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 't': tcp = true; break;
		case 'T': {
			char *e;
			timeout = strtol(optarg, &e, 10);
			if (*e || e == optarg)
				return usage();
			break;
		}
		case 'v': verbose = true; break;
		default: return usage();
		}
	}
	if (argc - optind < 3 || timeout <= 0)
		return usage();
	struct xchg_target t[XCHG_MAX_ADDRS];
	size_t nt = 0;
	char *list = strdup(argv[optind]), *save = NULL;
	for (char *s = list ? strtok_r(list, ",", &save) : NULL; s; s = strtok_r(NULL, ",", &save)) {
		if (nt == XCHG_MAX_ADDRS || !parse_server(s, &t[nt])) {
			fprintf(stderr, "dns-read: bad server %s (an address, [v6]:port or v4:port; "
					"at most %d)\n", s, XCHG_MAX_ADDRS);
			return 2;
		}
		nt++;
	}
	free(list);
	const char *zone = argv[optind + 1];
	size_t n = (size_t)(argc - optind - 2);
	struct dns_question *qs = calloc(n, sizeof(*qs));
	char **owners = calloc(n, sizeof(*owners));
	if (!qs || !owners)
		return 1;
	for (size_t i = 0; i < n; i++) {
		const char *a = argv[optind + 2 + i], *slash = strrchr(a, '/');
		ldns_rr_type ty = slash ? ldns_get_rr_type_by_name(slash + 1) : 0;
		if (!slash || !ty) {
			fprintf(stderr, "dns-read: %s: not OWNER/TYPE\n", a);
			return 2;
		}
		owners[i] = strndup(a, (size_t)(slash - a));
		qs[i].owner = owners[i];
		qs[i].type = (uint16_t)ty;
	}
	struct tsig_key key;
	char err[600];
	if (keyfile) {
		int at_name = 0;
		if (keyfile_load(keyfile, NULL, &key, err, sizeof(err), &at_name) < 0) {
			fprintf(stderr, "dns-read: %s\n", err);
			return 1;
		}
	}

	struct ev_loop *loop = ev_default_loop(0);
	struct nlevd_host host = {
		.abi_major = NLEVD_ABI_MAJOR,
		.abi_minor = NLEVD_ABI_MINOR,
		.size = sizeof(host),
		.loop = loop,
		.log = cli_log,
		.vlog = cli_vlog,
	};
	struct xchg x;
	struct dns_query q;
	struct run r = {0};
	xchg_init(&x, &host, NULL, (uint64_t)timeout);
	dns_query_init(&q);
	int rc = dns_query_start(&q, &x, zone, t, nt, keyfile ? &key : NULL, tcp, qs, n, read_done,
				 &r);
	explicit_bzero(&key, sizeof(key));
	if (rc < 0) {
		fprintf(stderr, "dns-read: cannot start: %s\n", strerror(-rc));
		return 2;
	}
	while (!r.ended)
		ev_run(loop, EVRUN_ONCE);
	int status = 0;
	if (r.err) {
		fprintf(stderr, "dns-read: %s (%s)\n", r.detail, strerror(-r.err));
		status = 1;
	} else {
		for (size_t i = 0; i < q.n; i++) {
			const struct dns_rrq *rr = &q.rr[i];
			char *tn = ldns_rr_type2str((ldns_rr_type)rr->type);
			printf("%s %s %s %u", rr->owner, tn ? tn : "?", dns_rrq_status_name(rr->status),
			       rr->ttl);
			free(tn);
			for (size_t j = 0; j < rr->nrdata; j++)
				printf(" %s", rr->rdata[j]);
			putchar('\n');
		}
	}
	dns_query_free(&q);
	xchg_cancel(&x);
	for (size_t i = 0; i < n; i++)
		free(owners[i]);
	free(owners);
	free(qs);
	ev_loop_destroy(loop);
	return status;
}
