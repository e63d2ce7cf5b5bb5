#include "scan/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct scan {
    const struct scan_options *opt;
    struct target *targets;
    size_t next;
    struct report_summary summary;
    bool resolve_failed;
    int dump_fd;
};

static bool next_target(void *ctx, struct target *out)
{
    struct scan *s = ctx;
    if (s->next >= s->opt->target_count)
        return false;
    *out = s->targets[s->next++];
    return true;
}

static void write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "heartcheck: writing the dump: %s\n", strerror(errno));
            return;
        }
        b += w;
        n -= (size_t)w;
    }
}

/* One text header line per target, then the raw bytes: `tail -c` and hexdump friendly. */
static void dump_leak(struct scan *s, const struct engine_outcome *o)
{
    const struct probe_evidence *ev = &o->result->evidence;
    if (s->dump_fd < 0 || !o->result->leak || ev->leaked_bytes == 0)
        return;
    char head[512];
    int n = snprintf(head, sizeof head, "# heartcheck leak target=%s ip=%s port=%u bytes=%zu\n",
                     o->target->spec, o->ip, o->target->port, ev->leaked_bytes);
    write_all(s->dump_fd, head, (size_t)n < sizeof head ? (size_t)n : sizeof head - 1);
    write_all(s->dump_fd, o->result->leak, ev->leaked_bytes);
    write_all(s->dump_fd, "\n", 1);
}

static void on_result(void *ctx, const struct engine_outcome *o)
{
    struct scan *s = ctx;
    struct finding f = {
        .target = o->target->spec,
        .host = o->target->host,
        .ip = o->ip,
        .port = o->target->port,
        .sni = o->sni,
        .elapsed_ms = o->elapsed_ms,
        .result = o->result,
    };
    if (o->resolve_failed) {
        s->resolve_failed = true;
        fprintf(stderr, "heartcheck: %s\n", o->result->reason);
    }
    dump_leak(s, o);
    s->opt->format->finding(stdout, &f, &s->opt->report);
    report_summary_add(&s->summary, o->result->verdict);
}

static bool parse_targets(struct scan *s)
{
    const struct scan_options *o = s->opt;
    s->targets = calloc(o->target_count ? o->target_count : 1, sizeof *s->targets);
    if (!s->targets) {
        fprintf(stderr, "heartcheck: out of memory\n");
        return false;
    }
    for (size_t i = 0; i < o->target_count; i++) {
        char err[512];
        if (!hc_ok(target_parse(o->targets[i], o->default_port, &s->targets[i], err, sizeof err))) {
            fprintf(stderr, "heartcheck: bad target %s\n", err);
            return false;
        }
    }
    return true;
}

static int open_dump(const char *path)
{
    /* Leaked memory is a secret: owner-only, never through a symlink someone planted. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && fchmod(fd, 0600) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        fprintf(stderr, "heartcheck: cannot open dump file %s: %s\n", path, strerror(errno));
    return fd;
}

static int exit_status(const struct scan *s)
{
    if (s->summary.counts[PROBE_VULNERABLE])
        return EXIT_VULNERABLE;
    if (s->resolve_failed)
        return EXIT_ERROR;
    if (s->summary.counts[PROBE_INCONCLUSIVE])
        return EXIT_INCONCLUSIVE;
    return EXIT_CLEAN;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int scan_run(const struct scan_options *o)
{
    struct scan s = {.opt = o, .dump_fd = -1};
    if (!parse_targets(&s)) {
        free(s.targets);
        return EXIT_ERROR;
    }
    if (o->dump_path && (s.dump_fd = open_dump(o->dump_path)) < 0) {
        free(s.targets);
        return EXIT_ERROR;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool interrupted = false;
    hc_result r = engine_run(&o->engine, next_target, &s, on_result, &s, &interrupted);
    s.summary.elapsed_s = seconds_since(&t0);
    s.summary.interrupted = interrupted;
    if (s.dump_fd >= 0)
        close(s.dump_fd);
    free(s.targets);
    if (!hc_ok(r)) {
        fprintf(stderr, "heartcheck: %s\n", hc_error_message(r.error));
        return EXIT_ERROR;
    }
    bool to_stdout = o->format == &report_text && (o->target_count > 1 || interrupted);
    if (!o->quiet && (to_stdout || interrupted))
        report_text.summary(to_stdout ? stdout : stderr, &s.summary, &o->report);
    int status = exit_status(&s);
    return interrupted && status != EXIT_VULNERABLE ? EXIT_ERROR : status;
}
