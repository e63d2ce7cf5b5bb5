/* scan: the `heartcheck scan` driver — targets in, one finding per target out. */
#ifndef HC_SCAN_H
#define HC_SCAN_H

#include "engine/engine.h"
#include "report/report.h"

#include <stdbool.h>
#include <stddef.h>

enum {
    EXIT_CLEAN = 0,        /* nothing vulnerable */
    EXIT_VULNERABLE = 1,   /* at least one target vulnerable */
    EXIT_ERROR = 2,        /* usage or runtime error, unresolvable names included */
    EXIT_INCONCLUSIVE = 3, /* nothing vulnerable, but some result inconclusive */
};

struct scan_options {
    char *const *targets;
    size_t target_count;
    uint16_t default_port;
    struct engine_config engine;
    const struct report_format *format;
    struct report_options report;
    bool quiet;
    const char *dump_path; /* leaked bytes go here (mode 0600), nowhere else */
};

/* Parses every target first (an error in any -> message on stderr, EXIT_ERROR, nothing
 * probed), then probes them and returns the exit status. */
int scan_run(const struct scan_options *o);

#endif
