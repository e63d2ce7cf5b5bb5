/* scan: the `heartcheck scan` driver — a target space in, one finding per target out. */
#ifndef HC_SCAN_H
#define HC_SCAN_H

#include "engine/engine.h"
#include "report/report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    EXIT_CLEAN = 0,        /* nothing vulnerable */
    EXIT_VULNERABLE = 1,   /* at least one target vulnerable */
    EXIT_ERROR = 2,        /* usage or runtime error, unresolvable names included */
    EXIT_INCONCLUSIVE = 3, /* nothing vulnerable, but some result inconclusive */
};

struct scan_options {
    char *const *targets; /* specifications (src/targets/targets.h); "-" is standard input */
    size_t target_count;
    const char *ports;        /* -p list for addresses without a port; NULL: 443 */
    char *const *input_files; /* -iL */
    size_t input_count;
    char *const *excludes; /* --exclude */
    size_t exclude_count;
    char *const *exclude_files; /* --exclude-file */
    size_t exclude_file_count;
    unsigned shard_index, shard_count; /* --shard I/N; 0/0: the whole space */
    uint64_t seed;
    bool seed_given; /* without it the order is random, and shards need one */
    bool dry_run;    /* print the targets, probe nothing */
    struct engine_config engine;
    const struct report_format *format;
    struct report_options report;
    bool quiet;
    bool progress;           /* a progress line on stderr (when it is a terminal) */
    const char *dump_path;   /* leaked bytes go here (mode 0600), nowhere else */
    const char *output_path; /* every result as JSON Lines, flushed one by one */
    const char *resume_path; /* results already in it are not probed again; appended to */
};

/* Checks every specification and file first (an error names the offending specification or
 * FILE:LINE on stderr: EXIT_ERROR, nothing probed), then probes the targets and returns the
 * exit status. */
int scan_run(const struct scan_options *o);

#endif
