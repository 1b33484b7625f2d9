#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

/* ---- configuration ---- */

const char *const dns_config_keys[] = {"name", "zone", "server", "key_file", "ttl", "ptr",
				       "on_empty", "timeout", "retry", "retry_max", "tcp", NULL};

int dns_name_normalize(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);
	if (n == 0 || n + 2 > len || n > 254)
		return -EINVAL;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '.') {
			if (label == 0)
				return -EINVAL; /* empty label */
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		out[i] = (char)tolower(c);
	}
	out[n] = 0;
	if (out[n - 1] != '.') {
		out[n] = '.';
		out[n + 1] = 0;
	}
	return 0;
}

bool dns_name_under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	if (!strcmp(zone, "."))
		return true;
	if (n < z || strcmp(name + n - z, zone))
		return false;
	return n == z || name[n - z - 1] == '.';
}

int dns_server_parse(const char *s, struct dns_server *out)
{
	memset(out, 0, sizeof(*out));
	const char *host = s, *port = NULL;
	size_t hlen;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (e[1] && e[1] != ':'))
			return -EINVAL;
		host = s + 1;
		hlen = (size_t)(e - host);
		if (e[1] == ':')
			port = e + 2;
	} else {
		const char *c = strchr(s, ':');
		if (c && !strchr(c + 1, ':')) { /* one colon: host:port */
			hlen = (size_t)(c - s);
			port = c + 1;
		} else {
			hlen = strlen(s); /* a bare IPv6 address or a name */
		}
	}
	if (hlen == 0 || hlen >= sizeof(out->host))
		return -EINVAL;
	memcpy(out->host, host, hlen);
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)out->host[i]) && !strchr(".-_:", out->host[i]))
			return -EINVAL;
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);
		if (!*port || *end || p < 1 || p > 65535)
			return -EINVAL;
		out->port = (uint16_t)p;
	}
	return 0;
}

int dns_server_host(const char *host, char *name, size_t len)
{
	struct in6_addr a;
	if (inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1)
		return DNS_HOST_IP;
	size_t n = strlen(host);
	if (n && host[n - 1] == '.')
		n--;
	/* 253 characters: 255 bytes in wire form, the most a name may have */
	if (n > 253 || dns_name_normalize(host, name, len) < 0)
		return -EINVAL;
	/* RFC 1123 labels: no hyphen at either end. */
	for (const char *l = name; *l; l = strchr(l, '.') + 1) {
		size_t ll = strcspn(l, ".");
		if (ll == 0 || l[0] == '-' || l[ll - 1] == '-') /* ll 0: the root, "." */
			return -EINVAL;
	}
	/* No top-level label is all digits (RFC 3696 2): "192.0.2.300" is a
	 * mistyped address, not a name to look up. */
	const char *last = name + strlen(name) - 1; /* the trailing dot */
	while (last > name && last[-1] != '.')
		last--;
	if (strspn(last, "0123456789") == strcspn(last, "."))
		return -EINVAL;
	return DNS_HOST_NAME;
}

int dns_config_read(const struct nlevd_host *host, struct nlevd_instance *inst,
		    struct dns_config *cfg)
{
	static const char *const empties[] = {"delete", "keep", NULL};
	const char *names, *zone, *servers, *family;
	uint64_t ttl;
	int on_empty = 0, rc = 0;
	memset(cfg, 0, sizeof(*cfg));
	host->cfg_string(inst, "name", NULL, &names);
	host->cfg_string(inst, "zone", NULL, &zone);
	host->cfg_string(inst, "server", NULL, &servers);
	host->cfg_string(inst, "key_file", NULL, &cfg->key_file);
	host->cfg_string(inst, "family", "ipv4 ipv6", &family);
	cfg->want4 = strstr(family, "ipv4") != NULL;
	cfg->want6 = strstr(family, "ipv6") != NULL;
	if (host->cfg_uint(inst, "ttl", 300, 0, 2147483647, &ttl) < 0 ||
	    host->cfg_bool(inst, "ptr", false, &cfg->ptr) < 0 ||
	    host->cfg_enum(inst, "on_empty", empties, 0, &on_empty) < 0 ||
	    host->cfg_duration_ms(inst, "timeout", 10000, &cfg->timeout_ms) < 0 ||
	    host->cfg_duration_ms(inst, "retry", 5000, &cfg->retry_ms) < 0 ||
	    host->cfg_duration_ms(inst, "retry_max", 600000, &cfg->retry_max_ms) < 0 ||
	    host->cfg_bool(inst, "tcp", false, &cfg->tcp) < 0)
		rc = -EINVAL;
	cfg->ttl = (uint32_t)ttl;
	cfg->keep_on_empty = on_empty == 1;
	if (cfg->timeout_ms < 100 || cfg->retry_ms < 100 || cfg->retry_max_ms < cfg->retry_ms) {
		host->cfg_error(inst, cfg->timeout_ms < 100 ? "timeout" : cfg->retry_ms < 100 ? "retry"
										     : "retry_max",
				"timeout and retry must be at least 100ms, retry_max at least retry");
		rc = -EINVAL;
	}
	char buf[DNS_NAME_MAX];
	if (zone) {
		if (dns_name_normalize(zone, buf, sizeof(buf)) < 0) {
			host->cfg_error(inst, "zone", "'%s' is not a domain name", zone);
			rc = -EINVAL;
		} else if (!(cfg->zone = strdup(buf))) {
			rc = -ENOMEM;
		}
	}
	if (!names) {
		host->cfg_error(inst, NULL, "'name' is required (the owner names to publish)");
		rc = -EINVAL;
	} else {
		const char *p = names;
		while (*p) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
			size_t n = strcspn(p, " \t");
			char word[DNS_NAME_MAX + 8];
			snprintf(word, sizeof(word), "%.*s", (int)(n < DNS_NAME_MAX ? n : DNS_NAME_MAX), p);
			p += n;
			if (n >= DNS_NAME_MAX || dns_name_normalize(word, buf, sizeof(buf)) < 0) {
				host->cfg_error(inst, "name", "'%s' is not a domain name", word);
				rc = -EINVAL;
				continue;
			}
			if (cfg->zone && !dns_name_under(buf, cfg->zone)) {
				host->cfg_error(inst, "name", "'%s' is not in zone %s", buf, cfg->zone);
				rc = -EINVAL;
				continue;
			}
			char **nv = realloc(cfg->names, (cfg->nnames + 1) * sizeof(*nv));
			if (!nv || !(nv[cfg->nnames] = strdup(buf))) {
				if (nv)
					cfg->names = nv;
				rc = -ENOMEM;
				break;
			}
			cfg->names = nv;
			cfg->nnames++;
		}
	}
	if (servers) {
		const char *p = servers;
		while (*p) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
			size_t n = strcspn(p, " \t");
			char word[300];
			snprintf(word, sizeof(word), "%.*s", (int)(n < 299 ? n : 299), p);
			p += n;
			struct dns_server sv;
			char name[DNS_NAME_MAX];
			if (dns_server_parse(word, &sv) < 0) {
				host->cfg_error(inst, "server", "'%s' is not host[:port] (IPv6: [addr]:port)",
						word);
				rc = -EINVAL;
				continue;
			}
			if (dns_server_host(sv.host, name, sizeof(name)) < 0) {
				host->cfg_error(inst, "server",
						"'%s' is neither an IP address nor a valid host name", sv.host);
				rc = -EINVAL;
				continue;
			}
			struct dns_server *ns = realloc(cfg->servers, (cfg->nservers + 1) * sizeof(*ns));
			if (!ns) {
				rc = -ENOMEM;
				break;
			}
			cfg->servers = ns;
			cfg->servers[cfg->nservers++] = sv;
		}
	}
	if (cfg->key_file) {
		struct stat st;
		int fd = open(cfg->key_file, O_RDONLY | O_CLOEXEC);
		if (cfg->key_file[0] != '/' || fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			host->cfg_error(inst, "key_file", "'%s' is not a readable file (absolute path)%s%s",
					cfg->key_file, fd < 0 ? ": " : "", fd < 0 ? strerror(errno) : "");
			rc = -EINVAL;
		} else if (st.st_mode & S_IROTH) {
			host->log(inst, NLEVD_LOG_WARNING,
				  "key_file %s is readable by everyone: the TSIG secret is exposed",
				  cfg->key_file);
		}
		if (fd >= 0)
			close(fd);
	}
	if (rc < 0)
		dns_config_free(cfg);
	return rc;
}

void dns_config_free(struct dns_config *cfg)
{
	for (size_t i = 0; i < cfg->nnames; i++)
		free(cfg->names[i]);
	free(cfg->names);
	free(cfg->zone);
	free(cfg->servers);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- pure helpers ---- */

uint64_t dns_backoff_ms(uint64_t retry, uint64_t retry_max, unsigned failures, bool permanent,
			double u)
{
	if (permanent)
		return retry_max;
	uint64_t d = retry;
	for (unsigned i = 1; i < failures && d < retry_max; i++)
		d *= 2;
	if (d > retry_max)
		d = retry_max;
	/* Jitter: 80% to 120%, never above retry_max. */
	double j = (double)d * (0.8 + 0.4 * u);
	d = (uint64_t)j;
	return d > retry_max ? retry_max : d;
}

int dns_ptr_owner(int family, const uint8_t *a, char *buf, size_t len)
{
	if (family == AF_INET)
		return snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa.", a[3], a[2], a[1], a[0]) <
				       (int)len
			       ? 0
			       : -1;
	size_t n = 0;
	static const char hex[] = "0123456789abcdef";
	if (len < 64 + 10)
		return -1;
	for (int i = 15; i >= 0; i--) {
		buf[n++] = hex[a[i] & 0xf];
		buf[n++] = '.';
		buf[n++] = hex[a[i] >> 4];
		buf[n++] = '.';
	}
	strcpy(buf + n, "ip6.arpa.");
	return 0;
}

int dns_ptr_group(int family, const uint8_t *a, char *buf, size_t len)
{
	char owner[DNS_NAME_MAX];
	if (dns_ptr_owner(family, a, owner, sizeof(owner)) < 0)
		return -1;
	/* Skip the host part: one label for IPv4 (/24), 16 nibbles for IPv6 (/64). */
	const char *p = owner;
	for (int i = family == AF_INET ? 1 : 16; i > 0; i--)
		p = strchr(p, '.') + 1;
	return snprintf(buf, len, "%s", p) < (int)len ? 0 : -1;
}

enum dns_result dns_rcode_class(const char *name)
{
	static const char *const permanent[] = {"REFUSED", "NOTAUTH", "BADKEY", "BADSIG",
						"NOTZONE", "YXDOMAIN", "YXRRSET", "NXRRSET",
						"NXDOMAIN", "FORMERR", "NOTIMP", "BADTRUNC",
						"BADMODE", "BADNAME", "BADALG", "BADVERS"};
	if (!strcmp(name, "NOERROR"))
		return DNS_OK;
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (!strcmp(name, permanent[i]))
			return DNS_PERMANENT;
	return DNS_TRANSIENT; /* SERVFAIL and anything unknown */
}

/* ---- address sets ---- */

struct addr {
	uint8_t family;
	uint8_t a[16];
};

struct aset {
	struct addr *v;
	size_t n, cap;
};

static int addr_cmp(const void *x, const void *y)
{
	const struct addr *a = x, *b = y;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, 16);
}

static int aset_add(struct aset *s, uint8_t family, const uint8_t *a)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct addr *nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	s->v[s->n].family = family;
	memcpy(s->v[s->n].a, a, family == AF_INET ? 4 : 16);
	s->n++;
	return 0;
}

static void aset_sort_unique(struct aset *s)
{
	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), addr_cmp);
	size_t w = 1;
	for (size_t r = 1; r < s->n; r++)
		if (addr_cmp(&s->v[r], &s->v[w - 1]))
			s->v[w++] = s->v[r];
	s->n = w;
}

/* dst |= src */
static int aset_union(struct aset *dst, const struct aset *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (aset_add(dst, src->v[i].family, src->v[i].a) < 0)
			return -ENOMEM;
	aset_sort_unique(dst);
	return 0;
}

static bool aset_has(const struct aset *s, const struct addr *a)
{
	return s->n && bsearch(a, s->v, s->n, sizeof(*s->v), addr_cmp) != NULL;
}

static bool aset_equal(const struct aset *x, const struct aset *y)
{
	return x->n == y->n && (!x->n || !memcmp(x->v, y->v, x->n * sizeof(*x->v)));
}

static int aset_copy(struct aset *dst, const struct aset *src)
{
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		if (aset_add(dst, src->v[i].family, src->v[i].a) < 0)
			return -ENOMEM;
	return 0;
}

static void aset_free(struct aset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void aset_str(const struct aset *s, int family, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < s->n && n < len; i++) {
		if (s->v[i].family != family)
			continue;
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(family, s->v[i].a, ip, sizeof(ip));
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", ip);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* ---- the engine ---- */

enum { ST_IDLE, ST_INFLIGHT, ST_BACKOFF };

struct dns_engine {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const struct dns_config *cfg;
	const struct dns_transport *t;
	void *tctx;
	int state;
	bool dirty;        /* changed while in flight */
	bool kicked;       /* credentials changed while in flight: no back-off */
	bool uncertain;    /* a batch failed in a way the server may still apply */
	bool confirm;      /* push everything again: a stale batch may have won */
	bool pushed_valid; /* the forward records are known to be `pushed` */
	struct aset pushed;    /* forward records last pushed successfully */
	struct aset ptr_pushed; /* addresses whose PTR we published (or may have) */
	struct aset sending;    /* what is in flight */
	struct aset attempted;  /* desired state of the last failed attempt */
	struct dns_batch batch;
	ev_timer timer;
	ev_timer confirm_timer; /* the re-push after a doubtful failure */
	unsigned failures;
	size_t server_idx, servers_tried;
	bool once_waiting;
	uint32_t rng;
	char last[160];
	time_t last_time;
	ev_tstamp next_retry;
	unsigned long long sent, ok, failed;
};

struct collect {
	struct dns_engine *e;
	struct aset *s;
	int err;
};

static int collect_cb(const struct nlevd_link *link, const struct nlevd_addr *a, void *arg)
{
	struct collect *c = arg;
	const struct dns_config *cfg = c->e->cfg;
	/* Usable as the core defines it: a deprecated address still is (it
	 * still works; the kernel just prefers others for new connections);
	 * a tentative or DAD-failed one is not. */
	if (a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;
	if ((a->family == AF_INET && !cfg->want4) || (a->family == AF_INET6 && !cfg->want6))
		return 0;
	if (!c->e->host->selected(c->e->inst, link, a))
		return 0;
	if (aset_add(c->s, a->family, a->addr) < 0)
		c->err = -ENOMEM;
	return 0;
}

static int desired(struct dns_engine *e, struct aset *s)
{
	struct collect c = {e, s, 0};
	s->n = 0;
	e->host->addr_foreach(0, collect_cb, &c);
	aset_sort_unique(s);
	return c.err;
}

static struct dns_op *msg_op(struct dns_msg *m)
{
	if (m->nops == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct dns_op *nv = realloc(m->ops, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		m->ops = nv;
		m->cap = cap;
	}
	struct dns_op *op = &m->ops[m->nops++];
	memset(op, 0, sizeof(*op));
	return op;
}

static int op_add(struct dns_msg *m, int kind, uint16_t type, const char *owner,
		  const char *rdata)
{
	struct dns_op *op = msg_op(m);
	if (!op)
		return -ENOMEM;
	op->kind = (uint8_t)kind;
	op->type = type;
	snprintf(op->owner, sizeof(op->owner), "%s", owner);
	snprintf(op->rdata, sizeof(op->rdata), "%s", rdata ? rdata : "");
	return 0;
}

static struct dns_msg *batch_msg(struct dns_batch *b, const char *zone)
{
	/* A zone is updated by one message; without a zone, each is its own. */
	for (size_t i = 0; zone && i < b->nmsgs; i++)
		if (b->msgs[i].zone && !strcmp(b->msgs[i].zone, zone))
			return &b->msgs[i];
	struct dns_msg *nv = realloc(b->msgs, (b->nmsgs + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	b->msgs = nv;
	struct dns_msg *m = &b->msgs[b->nmsgs++];
	memset(m, 0, sizeof(*m));
	if (zone && !(m->zone = strdup(zone))) {
		b->nmsgs--;
		return NULL;
	}
	return m;
}

void dns_batch_free(struct dns_batch *b)
{
	for (size_t i = 0; i < b->nmsgs; i++) {
		free(b->msgs[i].zone);
		free(b->msgs[i].ops);
	}
	free(b->msgs);
	b->msgs = NULL;
	b->nmsgs = 0;
}

static int forward_ops(struct dns_engine *e, struct dns_msg *m, const char *name,
		       const struct aset *want)
{
	const struct dns_config *cfg = e->cfg;
	int rc = 0;
	if (cfg->want4)
		rc |= op_add(m, DNS_OP_DELETE_RRSET, DNS_T_A, name, NULL);
	if (cfg->want6)
		rc |= op_add(m, DNS_OP_DELETE_RRSET, DNS_T_AAAA, name, NULL);
	for (size_t i = 0; i < want->n; i++) {
		char ip[INET6_ADDRSTRLEN];
		int af = want->v[i].family;
		inet_ntop(af, want->v[i].a, ip, sizeof(ip));
		rc |= op_add(m, DNS_OP_ADD, af == AF_INET ? DNS_T_A : DNS_T_AAAA, name, ip);
	}
	return rc ? -ENOMEM : 0;
}

/* The PTR part: publish each desired address, remove the withdrawn, one
 * message per reverse group that changed. */
static int reverse_ops(struct dns_engine *e, struct dns_batch *b, const struct aset *want)
{
	char group[DNS_NAME_MAX], owner[DNS_NAME_MAX];
	/* Groups that changed: any address added or withdrawn in it. */
	struct aset changed = {0};
	for (size_t i = 0; i < want->n; i++)
		if (!e->pushed_valid || !aset_has(&e->ptr_pushed, &want->v[i]))
			aset_add(&changed, want->v[i].family, want->v[i].a);
	for (size_t i = 0; i < e->ptr_pushed.n; i++)
		if (!aset_has(want, &e->ptr_pushed.v[i]))
			aset_add(&changed, e->ptr_pushed.v[i].family, e->ptr_pushed.v[i].a);
	int rc = 0;
	for (size_t i = 0; i < changed.n && !rc; i++) {
		const struct addr *a = &changed.v[i];
		dns_ptr_group(a->family, a->a, group, sizeof(group));
		/* every address of this group, desired or withdrawn, once */
		bool first = true;
		for (size_t k = 0; k < i; k++) {
			char g2[DNS_NAME_MAX];
			dns_ptr_group(changed.v[k].family, changed.v[k].a, g2, sizeof(g2));
			if (!strcmp(g2, group))
				first = false;
		}
		if (!first)
			continue;
		struct dns_msg *m = NULL;
		/* A reverse message has no known zone: a fresh one per group. */
		struct dns_msg *nv = realloc(b->msgs, (b->nmsgs + 1) * sizeof(*nv));
		if (!nv) {
			rc = -ENOMEM;
			break;
		}
		b->msgs = nv;
		m = &b->msgs[b->nmsgs++];
		memset(m, 0, sizeof(*m));
		for (size_t k = 0; k < e->ptr_pushed.n; k++) {
			const struct addr *w = &e->ptr_pushed.v[k];
			char g2[DNS_NAME_MAX];
			dns_ptr_group(w->family, w->a, g2, sizeof(g2));
			if (strcmp(g2, group) || aset_has(want, w))
				continue;
			dns_ptr_owner(w->family, w->a, owner, sizeof(owner));
			rc |= op_add(m, DNS_OP_DELETE_RRSET, DNS_T_PTR, owner, NULL);
		}
		for (size_t k = 0; k < want->n; k++) {
			const struct addr *w = &want->v[k];
			char g2[DNS_NAME_MAX];
			dns_ptr_group(w->family, w->a, g2, sizeof(g2));
			if (strcmp(g2, group))
				continue;
			dns_ptr_owner(w->family, w->a, owner, sizeof(owner));
			rc |= op_add(m, DNS_OP_DELETE_RRSET, DNS_T_PTR, owner, NULL);
			rc |= op_add(m, DNS_OP_ADD, DNS_T_PTR, owner, e->cfg->names[0]);
		}
	}
	aset_free(&changed);
	return rc ? -ENOMEM : 0;
}

static int build(struct dns_engine *e, const struct aset *want)
{
	const struct dns_config *cfg = e->cfg;
	struct dns_batch *b = &e->batch;
	dns_batch_free(b);
	b->ttl = cfg->ttl;
	b->server = cfg->nservers ? &cfg->servers[e->server_idx % cfg->nservers] : NULL;
	bool forward = !e->pushed_valid || !aset_equal(want, &e->pushed);
	if (forward) {
		for (size_t i = 0; i < cfg->nnames; i++) {
			/* Known zone: one message for every name; else one per name,
			 * each in the zone the transport finds for it. */
			struct dns_msg *m = cfg->zone ? batch_msg(b, cfg->zone) : batch_msg(b, NULL);
			if (!m || forward_ops(e, m, cfg->names[i], want) < 0)
				return -ENOMEM;
		}
	}
	if (cfg->ptr && reverse_ops(e, b, want) < 0)
		return -ENOMEM;
	return 0;
}

static double rnd(struct dns_engine *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 17;
	e->rng ^= e->rng << 5;
	return (double)(e->rng % 1000000) / 1000000.0;
}

static void once_check(struct dns_engine *e, bool ok)
{
	if (e->once_waiting) {
		e->once_waiting = false;
		e->host->once_done(e->inst, ok);
	}
}

/* How long after a success that followed a doubtful failure to push again. */
static uint64_t cfg_confirm_ms(const struct dns_config *cfg)
{
	return cfg->retry_ms < cfg->timeout_ms ? cfg->timeout_ms : cfg->retry_ms;
}

/* Nothing could be sent (out of memory): try again after retry, so that the
 * engine is never left waiting for a result that cannot come. */
static void attempt_later(struct dns_engine *e)
{
	snprintf(e->last, sizeof(e->last), "out of memory");
	e->host->log(e->inst, NLEVD_LOG_ERR, "out of memory; retrying in %.1f s",
		     (double)e->cfg->retry_ms / 1000.);
	e->state = ST_BACKOFF;
	ev_timer_set(&e->timer, (double)e->cfg->retry_ms / 1000., 0.);
	ev_timer_start(e->host->loop, &e->timer);
	e->next_retry = ev_now(e->host->loop) + (double)e->cfg->retry_ms / 1000.;
	once_check(e, false);
}

static void attempt(struct dns_engine *e)
{
	struct aset want = {0};
	ev_timer_stop(e->host->loop, &e->timer);
	if (e->confirm) {
		e->confirm = false;
		e->pushed_valid = false;
	}
	if (desired(e, &want) < 0) {
		aset_free(&want);
		attempt_later(e);
		return;
	}
	if (!want.n && e->cfg->keep_on_empty) {
		/* on_empty = keep: leave the records as they are */
		e->state = ST_IDLE;
		aset_free(&want);
		once_check(e, true);
		return;
	}
	if (build(e, &want) < 0) {
		aset_free(&want);
		attempt_later(e);
		return;
	}
	if (!e->batch.nmsgs) {
		e->state = ST_IDLE;
		aset_free(&want);
		once_check(e, true);
		return;
	}
	aset_copy(&e->sending, &want);
	aset_free(&want);
	e->state = ST_INFLIGHT;
	e->dirty = false;
	e->kicked = false;
	e->sent++;
	int rc = e->t->send(e->tctx, &e->batch);
	if (rc < 0) {
		char d[96];
		snprintf(d, sizeof(d), "cannot send: %s", strerror(-rc));
		dns_engine_result(e, DNS_TRANSIENT, d);
	}
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	attempt(w->data);
}

static void confirm_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns_engine *e = w->data;
	(void)loop;
	(void)revents;
	e->confirm = true; /* the next attempt pushes everything */
	if (e->state == ST_INFLIGHT)
		e->dirty = true;
	else if (e->state == ST_IDLE)
		attempt(e);
	/* in back-off: the retry does it */
}

void dns_engine_result(struct dns_engine *e, enum dns_result r, const char *detail)
{
	if (e->state != ST_INFLIGHT)
		return;
	e->last_time = time(NULL);
	if (r == DNS_OK) {
		e->ok++;
		aset_copy(&e->pushed, &e->sending);
		if (e->cfg->ptr)
			aset_copy(&e->ptr_pushed, &e->sending);
		e->pushed_valid = true;
		e->failures = 0;
		e->servers_tried = 0;
		e->state = ST_IDLE;
		snprintf(e->last, sizeof(e->last), "ok");
		e->host->log(e->inst, NLEVD_LOG_INFO, "updated: %s", detail ? detail : "ok");
		if (e->uncertain) {
			/* A batch that timed out may still sit in the server's
			 * queue (a stopped server, another of its addresses or
			 * threads) and be applied after this one, undoing it:
			 * once that has had time to happen, push it all again. */
			double after = (double)cfg_confirm_ms(e->cfg) / 1000.;
			e->uncertain = false;
			e->host->log(e->inst, NLEVD_LOG_INFO, "an earlier attempt may still be "
				     "applied late: pushing again in %.1f s to be sure", after);
			ev_timer_stop(e->host->loop, &e->confirm_timer);
			ev_timer_set(&e->confirm_timer, after, 0.);
			ev_timer_start(e->host->loop, &e->confirm_timer);
		}
		/* Changes made meanwhile go out now, coalesced. */
		if (e->dirty) {
			attempt(e);
			return;
		}
		once_check(e, true);
		return;
	}
	e->failed++;
	e->failures++;
	bool perm = r == DNS_PERMANENT;
	if (!perm) {
		/* The server may still apply this batch (it timed out, or its
		 * answer was lost): what it holds is no longer known.  The next
		 * batch replaces every RRset, also when the state is back to the
		 * one pushed before, and deletes the PTRs this one may have
		 * added. */
		e->uncertain = true;
		e->pushed_valid = false;
		if (e->cfg->ptr)
			aset_union(&e->ptr_pushed, &e->sending);
	}
	snprintf(e->last, sizeof(e->last), "%s: %s", perm ? "error" : "failed",
		 detail ? detail : "?");
	aset_copy(&e->attempted, &e->sending);
	const struct dns_config *cfg = e->cfg;
	/* Fail over: another server at once, until each was tried. */
	if (!perm && cfg->nservers > 1 && ++e->servers_tried < cfg->nservers) {
		e->server_idx++;
		e->host->log(e->inst, NLEVD_LOG_WARNING, "update failed (%s); trying %s",
			     detail ? detail : "?", cfg->servers[e->server_idx % cfg->nservers].host);
		attempt(e);
		return;
	}
	e->servers_tried = 0;
	if (cfg->nservers > 1)
		e->server_idx++;
	if (e->dirty) {
		/* Changed while the failed batch was in flight: a new state is
		 * tried at once, as it would be in back-off. */
		struct aset want = {0};
		bool same = desired(e, &want) == 0 && aset_equal(&want, &e->sending);
		aset_free(&want);
		if (!same) {
			e->host->log(e->inst, perm ? NLEVD_LOG_ERR : NLEVD_LOG_WARNING,
				     "update %s: %s; the state changed meanwhile: trying that at once",
				     perm ? "refused" : "failed", detail ? detail : "?");
			attempt(e);
			return;
		}
	}
	if (e->kicked) {
		/* The batch went out before the key file was replaced. */
		e->host->log(e->inst, NLEVD_LOG_WARNING, "update %s: %s; retrying at once with the "
			     "reloaded key", perm ? "refused" : "failed", detail ? detail : "?");
		attempt(e);
		return;
	}
	uint64_t d = dns_backoff_ms(cfg->retry_ms, cfg->retry_max_ms, e->failures, perm, rnd(e));
	e->host->log(e->inst, perm ? NLEVD_LOG_ERR : NLEVD_LOG_WARNING,
		     "update %s: %s; retrying in %.1f s", perm ? "refused" : "failed",
		     detail ? detail : "?", (double)d / 1000.);
	e->state = ST_BACKOFF;
	ev_timer_set(&e->timer, (double)d / 1000., 0.);
	ev_timer_start(e->host->loop, &e->timer);
	e->next_retry = ev_now(e->host->loop) + (double)d / 1000.;
	once_check(e, false);
}

void dns_engine_changed(struct dns_engine *e)
{
	if (e->state == ST_INFLIGHT) {
		e->dirty = true;
		return;
	}
	if (e->state == ST_BACKOFF) {
		/* A new change is tried at once; the same state waits. */
		struct aset want = {0};
		bool same = desired(e, &want) == 0 && aset_equal(&want, &e->attempted);
		aset_free(&want);
		if (same)
			return;
	}
	attempt(e);
}

void dns_engine_kick(struct dns_engine *e)
{
	if (e->state == ST_INFLIGHT)
		e->kicked = true;
	else if (e->state == ST_BACKOFF)
		attempt(e);
}

void dns_engine_start(struct dns_engine *e)
{
	/* After the core's start-up replay: push whatever the state is. */
	ev_timer_set(&e->timer, 0., 0.);
	ev_timer_start(e->host->loop, &e->timer);
}

int dns_engine_once(struct dns_engine *e)
{
	if (e->state != ST_INFLIGHT)
		attempt(e); /* --once: now, whatever back-off was pending */
	if (e->state == ST_INFLIGHT) {
		e->once_waiting = true;
		return NLEVD_ONCE_PENDING;
	}
	return e->state == ST_IDLE ? 0 : -1;
}

void dns_engine_status(struct dns_engine *e)
{
	struct aset want = {0};
	char w4[512], w6[512], p4[512], p6[512], when[64] = "never", next[64] = "";
	desired(e, &want);
	aset_str(&want, AF_INET, w4, sizeof(w4));
	aset_str(&want, AF_INET6, w6, sizeof(w6));
	aset_str(&e->pushed, AF_INET, p4, sizeof(p4));
	aset_str(&e->pushed, AF_INET6, p6, sizeof(p6));
	if (e->last_time) {
		struct tm tm;
		gmtime_r(&e->last_time, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (e->state == ST_BACKOFF)
		snprintf(next, sizeof(next), "; next retry in %.1f s",
			 e->next_retry - ev_now(e->host->loop));
	else if (ev_is_active(&e->confirm_timer))
		snprintf(next, sizeof(next), "; pushing again in %.1f s to be sure",
			 ev_timer_remaining(e->host->loop, &e->confirm_timer));
	for (size_t i = 0; i < e->cfg->nnames; i++)
		e->host->log(e->inst, NLEVD_LOG_NOTICE,
			     "%s: desired A %s AAAA %s; pushed A %s AAAA %s%s; last %s at %s%s",
			     e->cfg->names[i], w4, w6, e->pushed_valid ? p4 : "?",
			     e->pushed_valid ? p6 : "?", e->state == ST_INFLIGHT ? " (updating)" : "",
			     e->last[0] ? e->last : "-", when, next);
	e->host->log(e->inst, NLEVD_LOG_NOTICE, "%llu updates sent, %llu ok, %llu failed", e->sent,
		     e->ok, e->failed);
	aset_free(&want);
}

unsigned long long dns_engine_sent(const struct dns_engine *e)
{
	return e->sent;
}

struct dns_engine *dns_engine_new(const struct nlevd_host *host, struct nlevd_instance *inst,
				  const struct dns_config *cfg, const struct dns_transport *t,
				  void *tctx)
{
	struct dns_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->host = host;
	e->inst = inst;
	e->cfg = cfg;
	e->t = t;
	e->tctx = tctx;
	e->rng = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ (uint32_t)(uintptr_t)e;
	if (!e->rng)
		e->rng = 1;
	ev_timer_init(&e->timer, timer_cb, 0., 0.);
	e->timer.data = e;
	ev_timer_init(&e->confirm_timer, confirm_cb, 0., 0.);
	e->confirm_timer.data = e;
	return e;
}

void dns_engine_free(struct dns_engine *e)
{
	if (!e)
		return;
	ev_timer_stop(e->host->loop, &e->timer);
	ev_timer_stop(e->host->loop, &e->confirm_timer);
	if (e->state == ST_INFLIGHT && e->t->cancel)
		e->t->cancel(e->tctx);
	dns_batch_free(&e->batch);
	aset_free(&e->pushed);
	aset_free(&e->ptr_pushed);
	aset_free(&e->sending);
	aset_free(&e->attempted);
	free(e);
}
