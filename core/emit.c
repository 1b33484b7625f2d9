/* Plugin events (host->emit): checked, copied, queued, and delivered from
 * the loop, never inside the emit call, so a plugin may emit from any
 * callback (its own event() included) without being re-entered.  Each event
 * carries a depth: one emitted while a plugin event of depth d is being
 * delivered has depth d + 1, and NLEVD_EMIT_DEPTH_MAX is refused, so two
 * instances that answer each other's events cannot keep the loop busy. */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit.h"
#include "event.h"
#include "util.h"

static struct {
	struct ev_loop *loop;
	emit_deliver_cb cb;
	void *arg;
	ev_timer timer;
	struct pevent *head, **tail;
	size_t queued;
	unsigned next_depth; /* what an event emitted now gets */
} bus;

/* Names the core or the exec plugin puts next to the fields: a field of
 * that name would be a second JSON key "time" or override NLEVD_INSTANCE. */
static const char *const reserved[] = {"event", "source", "time", "instance", "dropped"};

static bool field_name_ok(const char *n)
{
	if (!n || *n < 'a' || *n > 'z')
		return false;
	for (size_t len = 0; n[len]; len++) {
		char c = n[len];
		if (len >= NLEVD_EMIT_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strcmp(n, reserved[i]))
			return false;
	return true;
}

/* The bytes the fields' names and values take with their NULs, or 0 when
 * they are not acceptable.  Values are read no further than the bound. */
static size_t fields_size(const struct nlevd_field *fields, size_t n)
{
	size_t total = 0;
	if (n > NLEVD_EMIT_FIELDS_MAX || (n && !fields))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!field_name_ok(fields[i].name) || !fields[i].value)
			return 0;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(fields[k].name, fields[i].name))
				return 0;
		total += strlen(fields[i].name) + 1;
		total += strnlen(fields[i].value, NLEVD_EMIT_BYTES_MAX + 1) + 1;
		if (total > NLEVD_EMIT_BYTES_MAX)
			return 0;
	}
	return total + 1; /* never 0 for an acceptable set, even an empty one */
}

int pevent_new(const char *source, const char *event, const struct nlevd_field *fields,
	       size_t nfields, unsigned depth, struct pevent **out)
{
	*out = NULL;
	int id = event ? plugin_event_parse(event) : -1;
	size_t bytes = fields_size(fields, nfields);
	if (id < 0 || !bytes || !source)
		return -EINVAL;
	size_t slen = strlen(source) + 1;
	size_t nf = nfields + 1;
	struct pevent *pe = malloc(sizeof(*pe) + nf * sizeof(pe->f[0]) + slen + bytes);
	if (!pe)
		return -ENOMEM;
	memset(pe, 0, sizeof(*pe));
	char *s = (char *)(pe->f + nf);
	memcpy(s, source, slen);
	pe->source = s;
	pe->f[0].name = "source";
	pe->f[0].value = s;
	s += slen;
	for (size_t i = 0; i < nfields; i++) {
		size_t l = strlen(fields[i].name) + 1;
		memcpy(s, fields[i].name, l);
		pe->f[i + 1].name = s;
		s += l;
		/* fields_size() measured it: no longer than the bound */
		l = strlen(fields[i].value) + 1;
		memcpy(s, fields[i].value, l);
		pe->f[i + 1].value = s;
		s += l;
	}
	pe->refs = 1;
	pe->depth = depth;
	pe->id = id;
	pe->ev.type = NLEVD_EV_PLUGIN;
	clock_gettime(CLOCK_REALTIME, &pe->ev.time);
	pe->ev.name = plugin_event_name(id);
	pe->ev.fields = pe->f;
	pe->ev.nfields = nf;
	*out = pe;
	return 0;
}

void pevent_ref(struct pevent *pe)
{
	pe->refs++;
}

void pevent_unref(struct pevent *pe)
{
	if (pe && !--pe->refs)
		free(pe);
}

static void emit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	/* This batch only: what it emits waits for the next loop iteration,
	 * so netlink and children are served between the generations. */
	struct pevent *pe = bus.head;
	bus.head = NULL;
	bus.tail = &bus.head;
	bus.queued = 0;
	while (pe) {
		struct pevent *next = pe->next;
		pe->next = NULL;
		bus.cb(pe, bus.arg);
		pevent_unref(pe);
		pe = next;
	}
}

void emit_init(struct ev_loop *loop, emit_deliver_cb cb, void *arg)
{
	bus.loop = loop;
	bus.cb = cb;
	bus.arg = arg;
	bus.head = NULL;
	bus.tail = &bus.head;
	bus.queued = 0;
	bus.next_depth = 0;
	ev_timer_init(&bus.timer, emit_timer_cb, 0., 0.);
}

void emit_free(void)
{
	if (!bus.loop)
		return;
	ev_timer_stop(bus.loop, &bus.timer);
	while (bus.head) {
		struct pevent *pe = bus.head;
		bus.head = pe->next;
		pevent_unref(pe);
	}
	bus.tail = &bus.head;
	bus.queued = 0;
	bus.loop = NULL;
}

int emit_event(const char *source, const char *event, const struct nlevd_field *fields,
	       size_t nfields)
{
	if (!bus.loop)
		return -ENOTCONN;
	/* Checked before the depth: a bad call is -EINVAL wherever it is made. */
	if ((event ? plugin_event_parse(event) : -1) < 0 || !fields_size(fields, nfields))
		return -EINVAL;
	if (bus.next_depth >= NLEVD_EMIT_DEPTH_MAX)
		return -ELOOP;
	if (bus.queued >= NLEVD_EMIT_QUEUE_MAX)
		return -ENOBUFS;
	struct pevent *pe;
	int rc = pevent_new(source, event, fields, nfields, bus.next_depth, &pe);
	if (rc < 0)
		return rc;
	*bus.tail = pe;
	bus.tail = &pe->next;
	bus.queued++;
	if (!ev_is_active(&bus.timer)) {
		ev_timer_set(&bus.timer, 0., 0.);
		ev_timer_start(bus.loop, &bus.timer);
	}
	return 0;
}

unsigned emit_enter(const struct pevent *pe)
{
	unsigned saved = bus.next_depth;
	bus.next_depth = pe->depth + 1;
	return saved;
}

void emit_leave(unsigned saved)
{
	bus.next_depth = saved;
}

size_t emit_queued(void)
{
	return bus.queued;
}
