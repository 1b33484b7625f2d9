/* nlevctl's human rendering of a status result as aligned tables.
 *
 * The daemon's status lines are printed as they come (the client does not
 * re-implement the status renderer); only the layout is made here.  Every
 * string from the daemon is shown with terminal controls as \xNN: an
 * interface name may hold any byte but '/' and NUL. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctltable.h"

#define COLS 8

enum row_kind { ROW_HEAD, ROW_MAIN, ROW_SUB, ROW_LINE };

struct row {
	enum row_kind kind;
	char *cell[COLS];
};

struct table {
	struct row *rows;
	size_t n, cap;
	bool oom;
};

/* A copy with C0, DEL and C1 controls as \xNN; NULL for no value. */
static char *safe(const char *s)
{
	if (!s)
		s = "-";
	size_t n = strlen(s);
	char *out = malloc(n * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
		if (c1)
			o += sprintf(o, "\\x%02x", *p++);
		if (*p < 0x20 || *p == 0x7f || c1) {
			o += sprintf(o, "\\x%02x", *p);
			continue;
		}
		*o++ = (char)*p;
	}
	*o = 0;
	return out;
}

/* A member as text: strings as they are, numbers in decimal, else "-". */
static char *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	char num[32];
	if (json_is_string(v))
		return safe(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return safe(num);
	}
	if (json_is_true(v) || json_is_false(v))
		return safe(json_is_true(v) ? "yes" : "no");
	return safe(NULL);
}

static void add(struct table *t, enum row_kind kind, char *cells[COLS])
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct row *r = realloc(t->rows, cap * sizeof(*r));
		if (!r) {
			t->oom = true;
			for (int i = 0; i < COLS; i++)
				free(cells[i]);
			return;
		}
		t->rows = r;
		t->cap = cap;
	}
	struct row *r = &t->rows[t->n++];
	r->kind = kind;
	for (int i = 0; i < COLS; i++) {
		r->cell[i] = cells[i];
		if (!cells[i] && i == 0)
			t->oom = true; /* every row has its first cell */
	}
}

/* Prints the table: ROW_HEAD and ROW_MAIN share column widths, ROW_SUB
 * rows (indented) have their own, ROW_LINE is its first cell indented. */
static void print(struct table *t, FILE *f)
{
	size_t w[2][COLS] = {{0}};
	for (size_t i = 0; i < t->n; i++) {
		int k = t->rows[i].kind == ROW_SUB;
		for (int c = 0; c < COLS && t->rows[i].kind != ROW_LINE; c++)
			if (t->rows[i].cell[c] && strlen(t->rows[i].cell[c]) > w[k][c])
				w[k][c] = strlen(t->rows[i].cell[c]);
	}
	for (size_t i = 0; i < t->n; i++) {
		struct row *r = &t->rows[i];
		int k = r->kind == ROW_SUB;
		if (r->kind == ROW_LINE) {
			fprintf(f, "    %s\n", r->cell[0] ? r->cell[0] : "");
			continue;
		}
		int last = COLS - 1;
		while (last > 0 && !r->cell[last])
			last--;
		fputs(k ? "    " : "", f);
		for (int c = 0; c <= last; c++) {
			const char *s = r->cell[c] ? r->cell[c] : "";
			if (c == last)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)w[k][c], s);
		}
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (int c = 0; c < COLS; c++)
			free(t->rows[i].cell[c]);
	free(t->rows);
}

static void uptime(json_int_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	if (d)
		snprintf(buf, len, "%lldd%02lldh%02lldm%02llds", d, h, m, sec);
	else if (h)
		snprintf(buf, len, "%lldh%02lldm%02llds", h, m, sec);
	else if (m)
		snprintf(buf, len, "%lldm%02llds", m, sec);
	else
		snprintf(buf, len, "%llds", sec);
}

static void daemon_lines(json_t *d, FILE *f)
{
	char up[64];
	char *ver = member(d, "version"), *conf = member(d, "config");
	uptime(json_integer_value(json_object_get(d, "uptime_s")), up, sizeof(up));
	fprintf(f, "nlevd %s  pid %" JSON_INTEGER_FORMAT "  up %s  config %s\n", ver ? ver : "-",
		json_integer_value(json_object_get(d, "pid")), up, conf ? conf : "-");
	free(ver);
	free(conf);
	static const char *const nl[] = {"messages", "malformed", "ignored",
					 "foreign",  "resyncs",	  "overruns"};
	json_t *n = json_object_get(d, "netlink");
	fputs("netlink", f);
	for (size_t i = 0; i < sizeof(nl) / sizeof(nl[0]); i++)
		fprintf(f, "  %s %" JSON_INTEGER_FORMAT, nl[i],
			json_integer_value(json_object_get(n, nl[i])));
	fputc('\n', f);
}

static void interfaces(json_t *ifs, struct table *t)
{
	size_t i, j;
	json_t *ifc, *a;
	add(t, ROW_HEAD, (char *[COLS]){safe("IFINDEX"), safe("IFNAME"), safe("STATE"), safe("MTU"),
					safe("MAC"), safe("FLAGS")});
	json_array_foreach(ifs, i, ifc) {
		add(t, ROW_MAIN, (char *[COLS]){member(ifc, "ifindex"), member(ifc, "ifname"),
						member(ifc, "operstate"), member(ifc, "mtu"),
						member(ifc, "mac"), member(ifc, "flags")});
		json_array_foreach(json_object_get(ifc, "addresses"), j, a) {
			char pfx[600];
			char *addr = member(a, "address"), *len = member(a, "prefixlen");
			snprintf(pfx, sizeof(pfx), "%s/%s", addr ? addr : "-", len ? len : "-");
			free(addr);
			free(len);
			char *valid = member(a, "valid_lft"), *pref = member(a, "preferred_lft");
			char v[128], p[128];
			snprintf(v, sizeof(v), "valid %s", valid ? valid : "-");
			snprintf(p, sizeof(p), "preferred %s", pref ? pref : "-");
			free(valid);
			free(pref);
			add(t, ROW_SUB, (char *[COLS]){member(a, "family"), safe(pfx), member(a, "scope"),
						       member(a, "flags"), safe(v), safe(p)});
		}
	}
}

static void instances(json_t *insts, struct table *t)
{
	size_t i, j;
	json_t *in, *l;
	add(t, ROW_HEAD, (char *[COLS]){safe("INSTANCE"), safe("PLUGIN"), safe("VERSION"),
					safe("SETTLING")});
	json_array_foreach(insts, i, in) {
		add(t, ROW_MAIN, (char *[COLS]){member(in, "name"), member(in, "plugin"),
						member(in, "version"), member(in, "settling")});
		json_array_foreach(json_object_get(in, "lines"), j, l)
			add(t, ROW_LINE, (char *[COLS]){safe(json_string_value(l))});
	}
}

void ctltable_status(json_t *result, FILE *f)
{
	struct table ift = {0}, int_ = {0};
	daemon_lines(json_object_get(result, "daemon"), f);
	interfaces(json_object_get(result, "interfaces"), &ift);
	instances(json_object_get(result, "instances"), &int_);
	fputc('\n', f);
	print(&ift, f);
	fputc('\n', f);
	print(&int_, f);
	if (ift.oom || int_.oom)
		fprintf(f, "(out of memory: the table is incomplete)\n");
	table_free(&ift);
	table_free(&int_);
}
