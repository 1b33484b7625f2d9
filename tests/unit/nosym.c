/* A module without the nlevd_plugin descriptor: the loader must refuse it. */
#include <nlevd/plugin.h>

extern const struct nlevd_plugin nlevd_plugin_misspelled;
const struct nlevd_plugin nlevd_plugin_misspelled = {
	NLEVD_PLUGIN_INIT,
	.name = "nosym",
};
