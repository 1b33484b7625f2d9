// cxx: a test-only plugin written in C++, for tests/integration/cxx-plugin.sh.
// It appends each event it gets, as the host's text line, to the file
// `record`.  Built twice by make check: as C++11 with the descriptor made
// by a function (the pre-C++20 form of nlevd-plugin(3)), and as C++20 with
// designated initializers, both with -fvisibility=hidden so that only the
// header's declaration makes nlevd_plugin visible (and unmangled).
#include <cerrno>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include <nlevd/plugin.h>

namespace {

struct recorder {
	const struct nlevd_host *host;
	std::string record;
};

const char *const keys[] = {"record", NULL};

int cxx_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	const char *record = NULL;
	if (host->cfg_string(inst, "record", NULL, &record) < 0)
		return -EINVAL;
	if (!record) {
		host->cfg_error(inst, "record", "record = FILE is required");
		return -EINVAL;
	}
	// No exception may leave a callback: the daemon is C.
	try {
		recorder *r = new recorder();
		r->host = host;
		r->record = record;
		*priv = r;
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	}
	return 0;
}

void cxx_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	recorder *r = static_cast<recorder *>(priv);
	try {
		std::vector<char> buf(r->host->event_text(ev, NULL, 0) + 1);
		r->host->event_text(ev, buf.data(), buf.size());
		std::ofstream out(r->record.c_str(), std::ios::app);
		out << r->host->instance_name(inst) << ' ' << buf.data() << '\n';
	} catch (...) {
		r->host->log(inst, NLEVD_LOG_ERR, "cannot record an event");
	}
}

void cxx_destroy(struct nlevd_instance *, void *priv)
{
	delete static_cast<recorder *>(priv);
}

#if __cplusplus < 202002L
// Before C++20: fill the fields by name; the module's initialization sets
// the descriptor when it is loaded, before the daemon reads it.
struct nlevd_plugin describe()
{
	struct nlevd_plugin p = nlevd_plugin_base();
	p.name = "cxx";
	p.version = "11";
	p.keys = keys;
	p.create = cxx_create;
	p.event = cxx_event;
	p.destroy = cxx_destroy;
	return p;
}
#endif

} // namespace

#if __cplusplus < 202002L
const struct nlevd_plugin nlevd_plugin = describe();
#else
const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "cxx20",
	.version = "20",
	.keys = keys,
	.create = cxx_create,
	.event = cxx_event,
	.destroy = cxx_destroy,
};
#endif
