/* Benchmark driver for the deep scan (bench/deep): walks the given directories like
 * `heartcheck host --deep` will and prints one line per OpenSSL copy found, then a summary
 * on stderr. Usage: deepscan_bench [-q] PATH... */
#include "host/copies.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct totals {
    bool quiet;
    uint64_t static_copies;
};

static void print_hit(const struct deepscan_hit *hit, void *ctx)
{
    struct totals *t = ctx;
    if (hit->event == DEEPSCAN_ERROR)
        return;
    t->static_copies += hit->is_static_copy;
    if (!t->quiet)
        printf("%s\t%s\t%s%s\n", hit->path, hit->banner.text,
               hit->is_static_copy  ? "static"
               : hit->is_shared_lib ? "shared"
                                    : "quote",
               hit->banner.no_heartbeats ? "\tno-heartbeats" : "");
}

int main(int argc, char **argv)
{
    struct totals t = {0};
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-q") == 0) {
        t.quiet = true;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-q] PATH...\n", argv[0]);
        return 2;
    }
    struct deepscan_stats st;
    hc_result res = deepscan_run("/", (const char *const *)argv + first, (size_t)(argc - first),
                                 print_hit, &t, &st);
    if (!hc_ok(res)) {
        fprintf(stderr, "deepscan: %s\n", hc_error_message(res.error));
        return 2;
    }
    fprintf(stderr,
            "dirs %" PRIu64 " files %" PRIu64 " elf %" PRIu64 " found %" PRIu64 " static %" PRIu64
            " errors %" PRIu64 " skipped %" PRIu64 "\n",
            st.dirs, st.files, st.elf_files, st.found, t.static_copies, st.errors, st.skipped);
    return 0;
}
