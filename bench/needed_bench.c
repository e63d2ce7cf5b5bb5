/* Benchmark driver for host_linkers_scan (bench/host, issue 3 item 9): walks the program and
 * library directories under ROOT (default "/") RUNS times (default 1) and prints, per run, the
 * wall time, files checked, errors and programs linking OpenSSL; with -l, the list itself
 * (path, needs_ssl, needs_crypto) on stdout, to compare two builds' results.
 * Usage: needed_bench [-l] [ROOT [RUNS]] */
#include "host/procs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    bool list = false;
    int arg = 1;
    if (arg < argc && strcmp(argv[arg], "-l") == 0) {
        list = true;
        arg++;
    }
    const char *root = arg < argc ? argv[arg++] : "/";
    long runs = arg < argc ? strtol(argv[arg], NULL, 10) : 1;
    for (long i = 0; i < (runs > 0 ? runs : 1); i++) {
        struct host_linker_list l;
        double t0 = seconds_now();
        hc_result r = host_linkers_scan(root, &l);
        double ms = (seconds_now() - t0) * 1e3;
        if (!hc_ok(r)) {
            fprintf(stderr, "host_linkers_scan %s: %s\n", root, hc_error_message(r.error));
            return 2;
        }
        fprintf(stderr, "run %ld: %.1f ms, %zu files checked, %zu errors, %zu link OpenSSL\n",
                i + 1, ms, l.files_checked, l.errors, l.count);
        if (list && i == 0)
            for (size_t j = 0; j < l.count; j++)
                printf("%s\t%s\t%s\t%zu\n", l.items[j].path, l.items[j].needs.needs_ssl,
                       l.items[j].needs.needs_crypto, l.items[j].needs.needed_count);
        host_linkers_free(&l);
    }
    return 0;
}
