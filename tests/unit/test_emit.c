/* Unit tests for core/emit.c: what host->emit accepts, that it copies, that
 * delivery waits for the loop, the depth bound on events emitted while a
 * plugin event is delivered, and the queue bound. */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "log.h"
#include "tap.h"
#include "util.h"

static struct ev_loop *loop;

static int try_new(const char *event, const struct nlevd_field *f, size_t n)
{
	struct pevent *pe;
	int rc = pevent_new("src", event, f, n, 0, &pe);
	pevent_unref(pe);
	return rc;
}

static void test_checks(void)
{
	struct nlevd_field f[NLEVD_EMIT_FIELDS_MAX + 1];
	char names[NLEVD_EMIT_FIELDS_MAX + 1][8];
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		snprintf(names[i], sizeof(names[i]), "f%zu", i);
		f[i].name = names[i];
		f[i].value = "v";
	}
	is_int(try_new("dns-published", NULL, 0), 0, "no fields");
	is_int(try_new("dns-failed", f, 3), 0, "dns-failed");
	is_int(try_new("dns-conflict", f, 3), 0, "dns-conflict");
	is_int(try_new("dns-publish", f, 1), -EINVAL, "unknown event name");
	is_int(try_new("addr-add", f, 1), -EINVAL, "a kernel event's name");
	is_int(try_new(NULL, f, 1), -EINVAL, "no event name");
	is_int(try_new("dns-published", NULL, 1), -EINVAL, "NULL fields with nfields 1");
	is_int(try_new("dns-published", f, NLEVD_EMIT_FIELDS_MAX), 0, "the most fields");
	is_int(try_new("dns-published", f, NLEVD_EMIT_FIELDS_MAX + 1), -EINVAL,
	       "one field too many");

	static const char *const bad[] = {"", "Zone", "1a", "_a", "a-b", "a b", "zone\n", "é",
					  "event", "source", "time", "instance", "dropped",
					  "abcdefghijklmnopqrstuvwxyz0123456"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct nlevd_field one = {bad[i], "x"};
		is_int(try_new("dns-published", &one, 1), -EINVAL, "field name '%s' refused", bad[i]);
	}
	static const char *const good[] = {"zone", "a", "a_1", "error_code",
					   "abcdefghijklmnopqrstuvwxyz012345"};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct nlevd_field one = {good[i], "x"};
		is_int(try_new("dns-published", &one, 1), 0, "field name '%s' accepted", good[i]);
	}
	struct nlevd_field nul = {NULL, "x"}, noval = {"zone", NULL};
	is_int(try_new("dns-published", &nul, 1), -EINVAL, "NULL name");
	is_int(try_new("dns-published", &noval, 1), -EINVAL, "NULL value");
	struct nlevd_field dup[] = {{"zone", "a"}, {"names", "b"}, {"zone", "c"}};
	is_int(try_new("dns-published", dup, 3), -EINVAL, "a name twice");

	/* The bound counts names and values with their NULs. */
	char *big = malloc(NLEVD_EMIT_BYTES_MAX + 2);
	if (!big)
		abort();
	memset(big, 'x', NLEVD_EMIT_BYTES_MAX + 1);
	big[NLEVD_EMIT_BYTES_MAX + 1] = 0;
	struct nlevd_field one = {"e", big};
	is_int(try_new("dns-published", &one, 1), -EINVAL, "a value past the bound");
	big[NLEVD_EMIT_BYTES_MAX - 3] = 0; /* "e\0" + value + "\0" = the bound */
	is_int(try_new("dns-published", &one, 1), 0, "a value up to the bound");
	struct nlevd_field two[] = {{"e", big}, {"f", "y"}};
	is_int(try_new("dns-published", two, 2), -EINVAL, "the bound is for all fields together");
	free(big);
	struct nlevd_field odd = {"error", "\"quotes\"\n\x01\x1b[31m\x7f\xff"};
	is_int(try_new("dns-published", &odd, 1), 0, "a value may hold any byte but NUL");
}

static void test_copy(void)
{
	char zone[] = "example.com.", name[] = "zone";
	struct nlevd_field f[] = {{name, zone}, {"names", "a.example.com. b.example.com."}};
	struct pevent *pe;
	is_int(pevent_new("dns1", "dns-published", f, 2, 2, &pe), 0, "created");
	if (!pe)
		return;
	zone[0] = 'X';
	name[0] = 'X';
	is_int(pe->ev.type, NLEVD_EV_PLUGIN, "type NLEVD_EV_PLUGIN");
	is_str(pe->ev.name, "dns-published", "ev.name");
	is_int((int)pe->ev.nfields, 3, "source and the two fields");
	is_str(pe->ev.fields[0].name, "source", "fields[0] is source");
	is_str(pe->ev.fields[0].value, "dns1", "the emitting instance");
	is_str(pe->source, "dns1", "pe->source");
	is_str(pe->ev.fields[1].name, "zone", "the caller's name was copied");
	is_str(pe->ev.fields[1].value, "example.com.", "the caller's value was copied");
	is_str(pe->ev.fields[2].value, "a.example.com. b.example.com.", "second field");
	is_int((int)pe->depth, 2, "depth kept");
	ok(pe->ev.time.tv_sec > 1600000000, "time set");
	ok(!pe->ev.initial && !pe->ev.link.ifindex && !pe->ev.link.ifname[0], "no interface");
	ok(pevent_of(&pe->ev) == pe, "pevent_of");
	is_int((int)pe->refs, 1, "one reference");
	pevent_ref(pe);
	pevent_unref(pe);
	is_int((int)pe->refs, 1, "ref and unref");
	pevent_unref(pe);
	pevent_unref(NULL);
}

/* ---- the queue ---- */

static struct {
	unsigned n;
	unsigned depth[64];
	char source[64][16];
	int rc[64];
	bool answer; /* re-emit from within delivery, as an instance would */
} seen;

static void deliver(struct pevent *pe, void *arg)
{
	(void)arg;
	unsigned i = seen.n++;
	if (i >= ARRAY_SIZE(seen.depth))
		return;
	seen.depth[i] = pe->depth;
	snprintf(seen.source[i], sizeof(seen.source[i]), "%s", pe->source);
	if (!seen.answer)
		return;
	/* Two instances a and b answering each other. */
	unsigned saved = emit_enter(pe);
	struct nlevd_field f = {"zone", pe->ev.fields[1].value};
	seen.rc[i] = emit_event(strcmp(pe->source, "a") ? "a" : "b", "dns-published", &f, 1);
	emit_leave(saved);
}

static void test_queue(void)
{
	struct nlevd_field f = {"zone", "example.com."};
	is_int(emit_event("a", "dns-published", &f, 1), -ENOTCONN, "before emit_init");

	emit_init(loop, deliver, NULL);
	memset(&seen, 0, sizeof(seen));
	is_int(emit_event("a", "dns-published", &f, 1), 0, "emitted");
	is_int(emit_event("a", "dns-bogus", &f, 1), -EINVAL, "unknown name: -EINVAL");
	is_int((int)seen.n, 0, "not delivered inside the emit call");
	is_int((int)emit_queued(), 1, "queued");
	ev_run(loop, 0); /* returns when nothing is left to do */
	is_int((int)seen.n, 1, "delivered from the loop");
	is_str(seen.source[0], "a", "its source");
	is_int((int)seen.depth[0], 0, "depth 0 outside a delivery");
	is_int((int)emit_queued(), 0, "the queue is empty");

	/* A loop between two instances ends at the depth bound. */
	memset(&seen, 0, sizeof(seen));
	seen.answer = true;
	is_int(emit_event("a", "dns-published", &f, 1), 0, "a loop starts");
	ev_run(loop, 0);
	is_int((int)seen.n, NLEVD_EMIT_DEPTH_MAX, "delivered depths 0 .. max - 1, then stopped");
	for (unsigned i = 0; i < seen.n && i < NLEVD_EMIT_DEPTH_MAX; i++) {
		is_int((int)seen.depth[i], (int)i, "delivery %u has depth %u", i, i);
		is_str(seen.source[i], i % 2 ? "b" : "a", "delivery %u alternates a and b", i);
		is_int(seen.rc[i], i + 1 < NLEVD_EMIT_DEPTH_MAX ? 0 : -ELOOP,
		       "answer %u: %s", i, i + 1 < NLEVD_EMIT_DEPTH_MAX ? "0" : "-ELOOP");
	}
	seen.answer = false;
	is_int(emit_event("a", "dns-published", &f, 1), 0, "after the loop: depth 0 again");
	ev_run(loop, 0);
	is_int((int)seen.depth[NLEVD_EMIT_DEPTH_MAX], 0, "depth 0");

	/* -EINVAL beats -ELOOP: a bad call is reported as such anywhere. */
	struct pevent *deep;
	if (pevent_new("b", "dns-published", &f, 1, NLEVD_EMIT_DEPTH_MAX - 1, &deep))
		abort();
	unsigned saved = emit_enter(deep);
	is_int(emit_event("a", "dns-published", &f, 1), -ELOOP, "too deep: -ELOOP");
	is_int(emit_event("a", "nope", &f, 1), -EINVAL, "too deep and bad: -EINVAL");
	emit_leave(saved);
	pevent_unref(deep);

	/* The queue is bounded. */
	memset(&seen, 0, sizeof(seen));
	int rc = 0;
	for (unsigned i = 0; i < NLEVD_EMIT_QUEUE_MAX && !rc; i++)
		rc = emit_event("a", "dns-failed", &f, 1);
	is_int(rc, 0, "NLEVD_EMIT_QUEUE_MAX events queued");
	is_int(emit_event("a", "dns-failed", &f, 1), -ENOBUFS, "one more: -ENOBUFS");
	ev_run(loop, 0);
	is_int((int)seen.n, NLEVD_EMIT_QUEUE_MAX, "all delivered");
	is_int(emit_event("a", "dns-failed", &f, 1), 0, "room again");

	/* emit_free drops what waits (ASan: no leak). */
	seen.n = 0;
	emit_free();
	ev_run(loop, 0);
	is_int((int)seen.n, 0, "nothing delivered after emit_free");
	is_int(emit_event("a", "dns-published", &f, 1), -ENOTCONN, "after emit_free");
}

int main(void)
{
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_ERR);
	loop = ev_loop_new(EVFLAG_AUTO);
	ok(loop != NULL, "ev_loop_new");
	test_checks();
	test_copy();
	test_queue();
	ev_loop_destroy(loop);
	return tap_done();
}
