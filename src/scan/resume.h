/* Private to src/scan: the targets an interrupted scan already reported (--resume FILE).
 * Kept as 64-bit hashes of their "host:port", so a million finished targets cost 16 MB at
 * most; a false match (another target with the same hash) has odds of about n^2 / 2^65. */
#ifndef HC_SCAN_RESUME_H
#define HC_SCAN_RESUME_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct resume_set {
    uint64_t *slots; /* open addressing; 0 marks an empty slot */
    size_t cap;      /* a power of two */
    size_t count;
    size_t bad_lines; /* lines that were not a result (a line cut by the interruption) */
};

/* Reads the JSON Lines of an earlier run: every object with a "target" string counts as
 * done. A missing file is an empty set (the first run of a scan given --resume). */
HC_MUST_CHECK hc_result resume_load(const char *path, struct resume_set *out);
HC_MUST_CHECK hc_result resume_add(struct resume_set *s, const char *target);
bool resume_contains(const struct resume_set *s, const char *target);
void resume_free(struct resume_set *s);

#endif
