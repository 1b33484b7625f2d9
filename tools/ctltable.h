/* nlevctl's human rendering of a status result as aligned tables. */
#ifndef NLEVCTL_CTLTABLE_H
#define NLEVCTL_CTLTABLE_H

#include <jansson.h>
#include <stdio.h>

/* Writes the daemon line, the interfaces with their addresses, then each
 * instance with its status lines indented under it. */
void ctltable_status(json_t *result, FILE *f);

#endif
