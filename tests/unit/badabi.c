/* A plugin built for a future ABI: the loader must refuse it, naming the
 * file and both versions. */
#include <stddef.h>

#include <nlevd/plugin.h>

static int bad_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	(void)host;
	(void)inst;
	*priv = NULL;
	return 0;
}

static void bad_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	(void)inst;
	(void)priv;
	(void)ev;
}

static void bad_destroy(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	(void)priv;
}

const struct nlevd_plugin nlevd_plugin = {
	.abi_major = NLEVD_ABI_MAJOR + 1,
	.abi_minor = 0,
	.size = sizeof(struct nlevd_plugin),
	.name = "badabi",
	.version = "0",
	.create = bad_create,
	.event = bad_event,
	.destroy = bad_destroy,
};
