/* Reading records from the primary (see query.h): one QUERY per question
 * on the owner's exchange, each accepted answer then held to the rules of
 * dns_rrq_from_answer, which is pure so it can be fuzzed. */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "verify.h"

const char *dns_rrq_status_name(enum dns_rrq_status s)
{
	switch (s) {
	case DNS_RRQ_FOUND: return "FOUND";
	case DNS_RRQ_NXDOMAIN: return "NXDOMAIN";
	case DNS_RRQ_NODATA: return "NODATA";
	case DNS_RRQ_CNAME: return "CNAME";
	case DNS_RRQ_UNREAD: break;
	}
	return "UNREAD";
}

static bool type_supported(uint16_t t)
{
	return t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA || t == LDNS_RR_TYPE_PTR ||
	       t == LDNS_RR_TYPE_DHCID;
}

static void type_str(uint16_t t, char *buf, size_t len)
{
	char *s = ldns_rr_type2str((ldns_rr_type)t);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

void dns_rrq_clear(struct dns_rrq *q)
{
	for (size_t i = 0; i < q->nrdata; i++)
		free(q->rdata[i]);
	free(q->rdata);
	q->rdata = NULL;
	q->nrdata = 0;
	q->ttl = 0;
	q->status = DNS_RRQ_UNREAD;
}

/* A name lower case, absolute: the one spelling a comparison can use. */
static char *name_str(const ldns_rdf *r)
{
	if (ldns_rdf_get_type(r) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	ldns_rdf *c = ldns_rdf_clone(r);
	if (!c)
		return NULL;
	ldns_dname2canonical(c);
	char *s = ldns_rdf2str(c);
	ldns_rdf_deep_free(c);
	return s;
}

/* The canonical presentation of rr's rdata (type t), or NULL: malformed
 * (*bad set) or out of memory. */
static char *rdata_str(const ldns_rr *rr, uint16_t t, bool *bad)
{
	*bad = true;
	if (ldns_rr_rd_count(rr) != 1)
		return NULL;
	const ldns_rdf *r = ldns_rr_rdf(rr, 0);
	size_t sz = ldns_rdf_size(r);
	char ip[INET6_ADDRSTRLEN];
	switch (t) {
	case LDNS_RR_TYPE_A:
		if (sz != 4 || !inet_ntop(AF_INET, ldns_rdf_data(r), ip, sizeof(ip)))
			return NULL;
		*bad = false;
		return strdup(ip);
	case LDNS_RR_TYPE_AAAA:
		if (sz != 16 || !inet_ntop(AF_INET6, ldns_rdf_data(r), ip, sizeof(ip)))
			return NULL;
		*bad = false;
		return strdup(ip);
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_CNAME:
		if (ldns_rdf_get_type(r) != LDNS_RDF_TYPE_DNAME)
			return NULL;
		*bad = false;
		return name_str(r);
	case LDNS_RR_TYPE_DHCID:
		/* RFC 4701: identifier type, digest type, digest */
		if (ldns_rdf_get_type(r) != LDNS_RDF_TYPE_B64 || sz < 3)
			return NULL;
		*bad = false;
		return ldns_rdf2str(r);
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dns_rrq_from_answer(const ldns_pkt *pkt, struct dns_rrq *q, char *detail, size_t len)
{
	char tn[16];
	dns_rrq_clear(q);
	type_str(q->type, tn, sizeof(tn));
	if (!type_supported(q->type)) {
		snprintf(detail, len, "type %s is not read", tn);
		return -EINVAL;
	}
	ldns_rdf *qn = ldns_dname_new_frm_str(q->owner);
	if (!qn) {
		snprintf(detail, len, "bad owner name %s", q->owner);
		return -EINVAL;
	}
	int rc = 0;
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(pkt);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		snprintf(detail, len, "%s", dns_rcode_name(rcode));
		rc = -EREMOTEIO;
		goto out;
	}
	/* Without AA the answer is not the primary's own (a resolver's
	 * cache, a forwarder): it says nothing of what the zone holds. */
	if (!ldns_pkt_aa(pkt)) {
		snprintf(detail, len, "not authoritative (AA not set)");
		rc = -EPROTO;
		goto out;
	}
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	size_t count = ldns_rr_list_rr_count(an), nset = 0;
	char **set = calloc(count ? count : 1, sizeof(*set));
	char *cname = NULL;
	uint32_t ttl = UINT32_MAX, cttl = UINT32_MAX;
	if (!set) {
		snprintf(detail, len, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < count && !rc; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    (t != q->type && t != LDNS_RR_TYPE_CNAME) ||
		    ldns_rdf_get_type(ldns_rr_owner(rr)) != LDNS_RDF_TYPE_DNAME ||
		    ldns_dname_compare(ldns_rr_owner(rr), qn) != 0)
			continue; /* another name of a chain, or not ours */
		bool bad;
		char *s = rdata_str(rr, t, &bad);
		if (!s) {
			char rt[16];
			type_str(t, rt, sizeof(rt));
			snprintf(detail, len, bad ? "malformed %s record" : "out of memory", rt);
			rc = bad ? -EPROTO : -ENOMEM;
			break;
		}
		if (t == LDNS_RR_TYPE_CNAME) {
			/* One CNAME per name (RFC 1034 3.6.2); two are a
			 * broken or forged answer. */
			if (cname && strcmp(cname, s)) {
				snprintf(detail, len, "two CNAMEs for one name");
				rc = -EPROTO;
			}
			free(cname);
			cname = s;
			if (ldns_rr_ttl(rr) < cttl)
				cttl = ldns_rr_ttl(rr);
			continue;
		}
		set[nset++] = s;
		if (ldns_rr_ttl(rr) < ttl)
			ttl = ldns_rr_ttl(rr);
	}
	if (!rc && cname && nset) {
		snprintf(detail, len, "a CNAME and %s records at one name", tn);
		rc = -EPROTO;
	}
	if (!rc && nset && rcode == LDNS_RCODE_NXDOMAIN) {
		snprintf(detail, len, "NXDOMAIN with %s records of the name", tn);
		rc = -EPROTO;
	}
	if (rc) {
		for (size_t i = 0; i < nset; i++)
			free(set[i]);
		free(set);
		free(cname);
		goto out;
	}
	if (cname) {
		/* A CNAME with NXDOMAIN is a chain to a name that does not
		 * exist (RFC 6604): the owner itself is still taken. */
		free(set);
		q->rdata = malloc(sizeof(*q->rdata));
		if (!q->rdata) {
			free(cname);
			snprintf(detail, len, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
		q->rdata[0] = cname;
		q->nrdata = 1;
		q->ttl = cttl;
		q->status = DNS_RRQ_CNAME;
		snprintf(detail, len, "CNAME");
		goto out;
	}
	if (!nset) {
		free(set);
		q->status = rcode == LDNS_RCODE_NXDOMAIN ? DNS_RRQ_NXDOMAIN : DNS_RRQ_NODATA;
		snprintf(detail, len, "%s", dns_rrq_status_name(q->status));
		goto out;
	}
	/* Sorted and without duplicates, so two sets compare as lists. */
	qsort(set, nset, sizeof(*set), cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < nset; i++) {
		if (k && !strcmp(set[k - 1], set[i])) {
			free(set[i]);
			continue;
		}
		set[k++] = set[i];
	}
	q->rdata = set;
	q->nrdata = k;
	q->ttl = ttl;
	q->status = DNS_RRQ_FOUND;
	snprintf(detail, len, "FOUND");
out:
	ldns_rdf_deep_free(qn);
	return rc;
}

/* ---- the read: one question after another on the exchange ---- */

static void q_finish(struct dns_query *q, int err)
{
	explicit_bzero(&q->key, sizeof(q->key)); /* not needed until the next read */
	q->have_key = false;
	if (q->starting) {
		q->err = err;
		ev_timer_set(&q->defer, 0., 0.);
		ev_timer_start(q->x->loop, &q->defer);
		return;
	}
	q->active = false;
	/* the owner may free or restart q in done: nothing after it */
	q->done(q->owner, err, q->detail);
}

static void q_defer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct dns_query *q = w->data;
	q->active = false;
	q->done(q->owner, q->err, q->detail);
}

static xchg_done_fn q_xchg_done;

/* The next question, or the end of the read. */
static void q_next(struct dns_query *q)
{
	if (q->next >= q->n) {
		snprintf(q->detail, sizeof(q->detail), "%zu RRsets read", q->n);
		q_finish(q, 0);
		return;
	}
	struct dns_rrq *r = &q->rr[q->next];
	ldns_rdf *name = ldns_dname_new_frm_str(r->owner);
	/* RD clear: the primary answers from its zone, never by recursion. */
	ldns_pkt *p = name ? ldns_pkt_query_new(name, (ldns_rr_type)r->type, LDNS_RR_CLASS_IN, 0)
			   : NULL;
	char tn[16];
	type_str(r->type, tn, sizeof(tn));
	if (!p) {
		snprintf(q->detail, sizeof(q->detail), "cannot build the query %s %s", r->owner, tn);
		q_finish(q, -ENOMEM);
		return;
	}
	/* xchg_start may end (all addresses failing at once) and call
	 * q_xchg_done before it returns: q is not touched after it. */
	int rc = xchg_start(q->x, p, q->targets, q->ntargets, r->owner, r->type,
			    q->have_key ? &q->key : NULL, q->tcp, q_xchg_done, q);
	if (rc < 0) {
		snprintf(q->detail, sizeof(q->detail), "cannot %s the query %s %s",
			 rc == -EINVAL ? "sign or encode" : "send", r->owner, tn);
		q_finish(q, rc);
	}
}

static void q_xchg_done(void *owner, int err, struct dns_answer *a)
{
	struct dns_query *q = owner;
	struct xchg *x = q->x;
	struct dns_rrq *r = &q->rr[q->next];
	char tn[16], where[INET6_ADDRSTRLEN + 8];
	type_str(r->type, tn, sizeof(tn));
	if (err == -EBADMSG) {
		q->rcode = x->unv_rcode;
		q->tsig_error = x->unv_tsig;
		snprintf(q->detail, sizeof(q->detail), "%s for the query %s %s", x->unv_detail,
			 r->owner, tn);
		q_finish(q, err);
		return;
	}
	if (err) {
		snprintf(q->detail, sizeof(q->detail), "no answer for the query %s %s (%s)",
			 r->owner, tn, x->last_err);
		q_finish(q, err);
		return;
	}
	/* done is called before the exchange moves on: ai is who answered */
	xchg_target_str(&x->addrs[x->ai < x->naddrs ? x->ai : 0], where, sizeof(where));
	ldns_pkt *p = a->pkt;
	if (a->tsig_error) { /* signed, but an error: BADTIME and the like */
		q->rcode = a->rcode;
		q->tsig_error = a->tsig_error;
		snprintf(q->detail, sizeof(q->detail), "%s from %s for the query %s %s", a->detail,
			 where, r->owner, tn);
		ldns_pkt_free(p);
		q_finish(q, -EREMOTEIO);
		return;
	}
	char why[200];
	int rc = dns_rrq_from_answer(p, r, why, sizeof(why));
	ldns_pkt_free(p);
	if (rc < 0) {
		if (rc == -EREMOTEIO)
			q->rcode = a->rcode;
		snprintf(q->detail, sizeof(q->detail), "%s from %s for the query %s %s", why, where,
			 r->owner, tn);
		q_finish(q, rc);
		return;
	}
	q->next++;
	q_next(q);
}

static void q_results_free(struct dns_query *q)
{
	for (size_t i = 0; i < q->n; i++)
		dns_rrq_clear(&q->rr[i]);
	free(q->rr);
	q->rr = NULL;
	q->n = q->next = 0;
}

void dns_query_init(struct dns_query *q)
{
	memset(q, 0, sizeof(*q));
}

int dns_query_start(struct dns_query *q, struct xchg *x, const char *zone,
		    const struct xchg_target *t, size_t nt, const struct tsig_key *key, bool tcp,
		    const struct dns_question *qs, size_t n, dns_query_done_fn *done, void *owner)
{
	if (q->active || (x && x->active))
		return -EBUSY;
	if (!x || !nt || !n || !zone || !done)
		return -EINVAL;
	q_results_free(q);
	q->detail[0] = 0;
	q->rcode = q->tsig_error = 0;
	ldns_rdf *z = ldns_dname_new_frm_str(zone);
	if (!z)
		return -EINVAL;
	int rc = 0;
	if (!(q->rr = calloc(n, sizeof(*q->rr))))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++) {
		ldns_rdf *o = qs[i].owner ? ldns_dname_new_frm_str(qs[i].owner) : NULL;
		char *os = o ? name_str(o) : NULL;
		/* a name outside the zone is not the primary's to answer */
		if (!os || strlen(os) >= sizeof(q->rr[i].owner) || !type_supported(qs[i].type) ||
		    (ldns_dname_compare(o, z) != 0 && !ldns_dname_is_subdomain(o, z)))
			rc = -EINVAL;
		else
			snprintf(q->rr[i].owner, sizeof(q->rr[i].owner), "%s", os);
		q->rr[i].type = qs[i].type;
		free(os);
		ldns_rdf_deep_free(o);
	}
	ldns_rdf_deep_free(z);
	if (rc) {
		free(q->rr);
		q->rr = NULL;
		return rc;
	}
	q->n = n;
	q->x = x;
	q->ntargets = nt > XCHG_MAX_ADDRS ? XCHG_MAX_ADDRS : nt;
	memcpy(q->targets, t, q->ntargets * sizeof(*t));
	q->have_key = key != NULL;
	if (key)
		q->key = *key;
	q->tcp = tcp;
	q->done = done;
	q->owner = owner;
	q->active = true;
	ev_timer_init(&q->defer, q_defer_cb, 0., 0.);
	q->defer.data = q;
	q->starting = true;
	q_next(q);
	q->starting = false;
	return 0;
}

void dns_query_cancel(struct dns_query *q)
{
	if (!q->active)
		return;
	xchg_cancel(q->x);
	ev_timer_stop(q->x->loop, &q->defer);
	q->active = false;
	explicit_bzero(&q->key, sizeof(q->key));
	q->have_key = false;
}

void dns_query_free(struct dns_query *q)
{
	dns_query_cancel(q);
	q_results_free(q);
	explicit_bzero(&q->key, sizeof(q->key));
}
