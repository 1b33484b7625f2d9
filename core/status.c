/* Structured status (host->status_*): a plugin builds a bounded tree of
 * objects, lists and values; the core renders it as log lines or JSON.
 *
 * The tree is the plugin's answer, so it is checked like input: keys must
 * be [a-z][a-z0-9_]* (they become JSON keys and metric labels), an object
 * member needs a key, a list element has none, the depth and the bytes are
 * bounded.  What breaks a rule is dropped and counted, never rendered, so a
 * buggy plugin cannot make the renderers emit broken JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "event.h"

enum snode_kind { SN_OBJECT, SN_LIST, SN_STRING, SN_UINT, SN_BOOL };

struct snode {
	enum snode_kind kind;
	char *key; /* NULL inside a list (and for the root) */
	char *str;
	uint64_t u;
	bool b;
	struct snode *parent, *first, *last, *next;
};

struct nlevd_status {
	struct snode root;
	struct snode *cur;
	unsigned depth;
	size_t bytes;
	unsigned dropped; /* calls that broke a rule or a bound */
	unsigned skip;    /* depth of an object/list being dropped */
};

struct nlevd_status *status_new(void)
{
	struct nlevd_status *st = calloc(1, sizeof(*st));
	if (st) {
		st->root.kind = SN_OBJECT;
		st->cur = &st->root;
	}
	return st;
}

static void snode_free(struct snode *n)
{
	for (struct snode *c = n->first, *next; c; c = next) {
		next = c->next;
		snode_free(c);
		free(c);
	}
	free(n->key);
	free(n->str);
}

void status_free(struct nlevd_status *st)
{
	if (!st)
		return;
	snode_free(&st->root);
	free(st);
}

unsigned status_dropped(const struct nlevd_status *st)
{
	return st->dropped;
}

static bool key_ok(const char *k)
{
	if (!k || k[0] < 'a' || k[0] > 'z')
		return false;
	size_t n = 0;
	for (const char *p = k; *p; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return n <= STATUS_KEY_MAX;
}

/* A new node under the current container, or NULL (dropped and counted). */
static struct snode *add(struct nlevd_status *st, enum snode_kind kind, const char *key,
			 size_t len)
{
	if (!st)
		return NULL;
	if (st->skip) {
		st->dropped++;
		return NULL;
	}
	bool in_list = st->cur->kind == SN_LIST;
	if (in_list ? key != NULL : !key_ok(key)) {
		st->dropped++;
		return NULL;
	}
	size_t klen = key ? strlen(key) : 0;
	if (st->bytes + klen + len + 16 > STATUS_BYTES_MAX) {
		st->dropped++;
		return NULL;
	}
	struct snode *n = calloc(1, sizeof(*n));
	if (!n || (key && !(n->key = strdup(key)))) {
		free(n);
		st->dropped++;
		return NULL;
	}
	st->bytes += klen + len + 16;
	n->kind = kind;
	n->parent = st->cur;
	if (st->cur->last)
		st->cur->last->next = n;
	else
		st->cur->first = n;
	st->cur->last = n;
	return n;
}

static void open_container(struct nlevd_status *st, enum snode_kind kind, const char *key)
{
	if (!st)
		return;
	if (!st->skip && st->depth >= STATUS_DEPTH_MAX) {
		st->dropped++;
		st->skip = 1;
		return;
	}
	struct snode *n = add(st, kind, key, 0);
	if (!n) {
		st->skip++; /* its members go with it; its end() closes nothing */
		return;
	}
	st->cur = n;
	st->depth++;
}

void status_object(struct nlevd_status *st, const char *key)
{
	open_container(st, SN_OBJECT, key);
}

void status_list(struct nlevd_status *st, const char *key)
{
	open_container(st, SN_LIST, key);
}

void status_end(struct nlevd_status *st)
{
	if (!st)
		return;
	if (st->skip) {
		st->skip--;
		return;
	}
	if (st->cur == &st->root) {
		st->dropped++; /* one end() too many */
		return;
	}
	st->cur = st->cur->parent;
	st->depth--;
}

void status_string(struct nlevd_status *st, const char *key, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int len = fmt ? vasprintf(&s, fmt, ap) : -1;
	va_end(ap);
	if (len < 0) {
		if (st)
			st->dropped++;
		return;
	}
	struct snode *n = add(st, SN_STRING, key, (size_t)len);
	if (n)
		n->str = s;
	else
		free(s);
}

void status_uint(struct nlevd_status *st, const char *key, uint64_t v)
{
	struct snode *n = add(st, SN_UINT, key, 20);
	if (n)
		n->u = v;
}

void status_bool(struct nlevd_status *st, const char *key, bool v)
{
	struct snode *n = add(st, SN_BOOL, key, 5);
	if (n)
		n->b = v;
}

const char *status_summary(const struct nlevd_status *st)
{
	for (const struct snode *n = st ? st->root.first : NULL; n; n = n->next)
		if (n->kind == SN_STRING && !strcmp(n->key, "summary"))
			return n->str;
	return NULL;
}

void status_metrics(const struct nlevd_status *st, status_metric_cb cb, void *arg)
{
	const struct snode *m = st ? st->root.first : NULL;
	while (m && !(m->kind == SN_OBJECT && !strcmp(m->key, "metrics")))
		m = m->next;
	for (const struct snode *k = m ? m->first : NULL; k; k = k->next) {
		if (k->kind == SN_UINT) {
			cb(k->key, NULL, NULL, k->u, arg);
			continue;
		}
		const struct snode *l = k->kind == SN_OBJECT ? k->first : NULL;
		if (!l || l->next || l->kind != SN_OBJECT)
			continue;
		for (const struct snode *v = l->first; v; v = v->next)
			if (v->kind == SN_UINT)
				cb(k->key, l->key, v->key, v->u, arg);
	}
}

/* ---- rendering ---- */

/* A growing buffer; a line is cut (with "...") at max, JSON never is (a
 * cut document is not JSON; the tree is bounded by STATUS_BYTES_MAX, and
 * escaping at most sextuples it). */
struct sbuf {
	char *p;
	size_t len, cap, max;
	bool cut;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->cut)
		return;
	if (b->len + n > b->max) {
		n = b->max - b->len;
		b->cut = true;
	}
	if (b->len + n + 4 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 4)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->cut = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	if (b->cut) {
		memcpy(b->p + b->len, "...", 3);
		b->len += 3;
	}
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_value(struct sbuf *b, const struct snode *n)
{
	char num[24];
	switch (n->kind) {
	case SN_STRING:
		sb_str(b, n->str);
		break;
	case SN_UINT:
		snprintf(num, sizeof(num), "%llu", (unsigned long long)n->u);
		sb_str(b, num);
		break;
	case SN_BOOL:
		sb_str(b, n->b ? "yes" : "no");
		break;
	case SN_LIST:
		if (!n->first)
			sb_str(b, "-");
		for (const struct snode *c = n->first; c; c = c->next) {
			if (c != n->first)
				sb_str(b, " ");
			if (c->kind == SN_OBJECT || c->kind == SN_LIST) {
				sb_str(b, "(");
				sb_value(b, c);
				sb_str(b, ")");
			} else {
				sb_value(b, c);
			}
		}
		break;
	case SN_OBJECT: /* inline: key value key value */
		for (const struct snode *c = n->first; c; c = c->next) {
			if (c != n->first)
				sb_str(b, " ");
			sb_str(b, c->key);
			sb_str(b, " ");
			sb_value(b, c);
		}
		break;
	}
}

/* Members from m on, "key value; key value". */
static void sb_members(struct sbuf *b, const struct snode *m)
{
	for (const struct snode *c = m; c; c = c->next) {
		if (c != m)
			sb_str(b, "; ");
		sb_str(b, c->key);
		sb_str(b, " ");
		sb_value(b, c);
	}
}

static void emit_line(struct sbuf *b, status_line_cb cb, void *arg)
{
	if (b->len)
		cb(b->p, arg);
	b->len = 0;
	b->cut = false;
	if (b->p)
		b->p[0] = '\0';
}

/* One line per root object, per element of a root list (labelled by its
 * first member when that is a value: "zone example.test.: state ..."),
 * and one for the root's values together; an empty root list has none. */
void status_text(const struct nlevd_status *st, status_line_cb cb, void *arg)
{
	struct sbuf b = {.max = STATUS_LINE_MAX}, top = {.max = STATUS_LINE_MAX};
	for (const struct snode *n = st->root.first; n; n = n->next) {
		if (n->kind == SN_OBJECT) {
			sb_str(&b, n->key);
			sb_str(&b, ": ");
			sb_members(&b, n->first);
			emit_line(&b, cb, arg);
		} else if (n->kind == SN_LIST && !n->first) {
			continue; /* "names: none" says nothing a log reader needs */
		} else if (n->kind == SN_LIST &&
			   (n->first->kind == SN_OBJECT || n->first->kind == SN_LIST)) {
			for (const struct snode *e = n->first; e; e = e->next) {
				const struct snode *f = e->kind == SN_OBJECT ? e->first : NULL;
				if (f && f->kind != SN_OBJECT && f->kind != SN_LIST) {
					sb_str(&b, f->key);
					sb_str(&b, " ");
					sb_value(&b, f);
					sb_str(&b, ": ");
					sb_members(&b, f->next);
				} else {
					sb_str(&b, n->key);
					sb_str(&b, ": ");
					sb_value(&b, e);
				}
				emit_line(&b, cb, arg);
			}
		} else {
			if (top.len)
				sb_str(&top, "; ");
			sb_str(&top, n->key);
			sb_str(&top, " ");
			sb_value(&top, n);
		}
	}
	if (st->dropped) {
		char d[64];
		snprintf(d, sizeof(d), "%sstatus_dropped %u", top.len ? "; " : "", st->dropped);
		sb_str(&top, d);
	}
	emit_line(&top, cb, arg);
	free(b.p);
	free(top.p);
}

/* The event encoder's JSON strings (event.c), so both speak one dialect. */
static void json_str(struct sbuf *b, const char *s)
{
	size_t n = json_quote(s, NULL, 0);
	char *q = malloc(n + 1);
	if (!q) {
		b->cut = true; /* out of memory: status_json() gives up */
		return;
	}
	json_quote(s, q, n + 1);
	sb_put(b, q, n);
	free(q);
}

static void json_node(struct sbuf *b, const struct snode *n)
{
	char num[24];
	switch (n->kind) {
	case SN_STRING:
		json_str(b, n->str);
		break;
	case SN_UINT:
		snprintf(num, sizeof(num), "%llu", (unsigned long long)n->u);
		sb_str(b, num);
		break;
	case SN_BOOL:
		sb_str(b, n->b ? "true" : "false");
		break;
	case SN_LIST:
	case SN_OBJECT:
		sb_str(b, n->kind == SN_LIST ? "[" : "{");
		for (const struct snode *c = n->first; c; c = c->next) {
			if (c != n->first)
				sb_str(b, ",");
			if (n->kind == SN_OBJECT) {
				json_str(b, c->key);
				sb_str(b, ":");
			}
			json_node(b, c);
		}
		sb_str(b, n->kind == SN_LIST ? "]" : "}");
		break;
	}
}

char *status_json(const struct nlevd_status *st)
{
	struct sbuf b = {.max = SIZE_MAX / 2};
	json_node(&b, &st->root);
	if (b.cut) { /* out of memory */
		free(b.p);
		return NULL;
	}
	return b.p;
}
