/* host.c: the host table: the core's services as plugins see them. */
#ifndef NLEVD_HOST_H
#define NLEVD_HOST_H

#include "nlevd/plugin.h"

extern struct nlevd_host host_table; /* .loop set by instances_create() */

#endif
