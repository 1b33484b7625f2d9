/* section.c: an instance's copy of its [section]. */
#ifndef NLEVD_SECTION_H
#define NLEVD_SECTION_H

struct cfg_section;

/* A deep copy whose file names are interned: it outlives the cfg it came
 * from.  NULL when out of memory. */
struct cfg_section *section_copy(const struct cfg_section *s);
void section_free(struct cfg_section *s); /* in config.c: frees a parsed one too */
/* Malloc'd, NULL when out of memory; equal ones: unchanged by a reload. */
char *section_fingerprint(const char *type, const struct cfg_section *s);

#endif
