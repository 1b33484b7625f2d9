/* A plugin built against ABI 1.0: it loads, but cannot be given plugin
 * events (its struct nlevd_event has no name or fields). */
#include <stddef.h>

#include <nlevd/plugin.h>

static int old_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	(void)host;
	(void)inst;
	*priv = NULL;
	return 0;
}

static void old_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	(void)inst;
	(void)priv;
	(void)ev;
}

static void old_destroy(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	(void)priv;
}

const struct nlevd_plugin nlevd_plugin = {
	.abi_major = NLEVD_ABI_MAJOR,
	.abi_minor = 0,
	.size = sizeof(struct nlevd_plugin),
	.name = "oldabi",
	.version = "0",
	.create = old_create,
	.event = old_event,
	.destroy = old_destroy,
};
