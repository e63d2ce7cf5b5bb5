#include "scan/scan.h"
#include "scan/resume.h"
#include "targets/targets.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct scan {
    const struct scan_options *opt;
    struct targets *targets;
    struct target_source *source;
    struct resume_set done; /* --resume: reported by an earlier run */
    uint64_t skipped;       /* targets not probed again thanks to it */
    uint64_t total;         /* targets this shard holds; 0 when unknown (stdin) */
    struct report_summary summary;
    bool resolve_failed;
    bool progress_shown;
    int dump_fd;
    FILE *output; /* --output / --resume: JSON Lines */
};

/* ---- targets ---- */

static int target_error(const char *err)
{
    fprintf(stderr, "heartcheck: %s\n", err);
    return EXIT_ERROR;
}

static hc_result add_all(struct targets *t, char *const *items, size_t n,
                         hc_result (*add)(struct targets *, const char *, char *, size_t),
                         char *err, size_t cap)
{
    for (size_t i = 0; i < n; i++)
        HC_TRY(add(t, items[i], err, cap));
    return HC_SUCCESS;
}

/* The order is random unless a seed is given: a scan of a network should not sweep it from
 * one end, and shards of one scan need the same seed to be disjoint. */
static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    if (RAND_bytes((unsigned char *)&seed, sizeof seed) != 1)
        seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
    return seed;
}

static hc_result build_targets(struct scan *s, char *err, size_t cap)
{
    const struct scan_options *o = s->opt;
    struct targets *t = targets_new();
    HC_ENSURE(t, HC_ERR_NOMEM);
    s->targets = t;
    if (o->ports)
        HC_TRY(targets_set_ports(t, o->ports, err, cap));
    targets_set_seed(t, o->seed_given ? o->seed : random_seed());
    if (o->shard_count)
        HC_TRY(targets_set_shard(t, o->shard_index, o->shard_count, err, cap));
    HC_TRY(add_all(t, o->targets, o->target_count, targets_add, err, cap));
    HC_TRY(add_all(t, o->input_files, o->input_count, targets_add_file, err, cap));
    HC_TRY(add_all(t, o->excludes, o->exclude_count, targets_exclude, err, cap));
    HC_TRY(add_all(t, o->exclude_files, o->exclude_file_count, targets_exclude_file, err, cap));
    return targets_finish(t, err, cap);
}

static bool excluded(void *ctx, const struct sockaddr *address)
{
    return targets_excluded(ctx, address);
}

static bool next_target(void *ctx, struct target *out)
{
    struct scan *s = ctx;
    while (target_source_engine_fn(s->source, out)) {
        if (!resume_contains(&s->done, out->spec))
            return true;
        s->skipped++; /* reported by the run this one resumes */
    }
    return false;
}

/* ---- results ---- */

/* One text header line per target, then the raw bytes: `tail -c` and hexdump friendly. */
static void dump_leak(struct scan *s, const struct engine_outcome *o)
{
    const struct probe_evidence *ev = &o->result->evidence;
    if (s->dump_fd < 0 || !o->result->leak || ev->leaked_bytes == 0)
        return;
    char head[512];
    snprintf(head, sizeof head, "target=%s ip=%s port=%u bytes=%zu", o->target->spec, o->ip,
             o->target->port, ev->leaked_bytes);
    report_dump_leak(s->dump_fd, head, o->result->leak, ev->leaked_bytes);
}

static void clear_progress(struct scan *s)
{
    if (s->progress_shown)
        fputs("\r\033[K", stderr);
    s->progress_shown = false;
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
        .transport = o->transport,
        .elapsed_ms = o->elapsed_ms,
        .result = o->result,
    };
    clear_progress(s);
    if (o->resolve_failed) {
        s->resolve_failed = true;
        fprintf(stderr, "heartcheck: %s\n", o->result->reason);
    }
    dump_leak(s, o);
    s->opt->format->finding(stdout, &f, &s->opt->report);
    if (s->output)
        report_json.finding(s->output, &f, &s->opt->report);
    report_summary_add(&s->summary, o->result->verdict);
}

/* "  1234/20000 done, 812/s, ETA 0:21, 3 vulnerable" on one line of a terminal. */
static void on_progress(void *ctx, const struct engine_stats *st)
{
    struct scan *s = ctx;
    char eta[32] = "";
    if (s->total && st->rate > 0 && st->done < s->total) {
        uint64_t left = (uint64_t)((double)(s->total - s->skipped - st->done) / st->rate);
        snprintf(eta, sizeof eta, ", ETA %llu:%02llu", (unsigned long long)(left / 60),
                 (unsigned long long)(left % 60));
    }
    fprintf(stderr, "\r\033[K  %llu", (unsigned long long)(st->done + s->skipped));
    if (s->total)
        fprintf(stderr, "/%llu", (unsigned long long)s->total);
    fprintf(stderr, " done, %.0f/s%s, %llu vulnerable", st->rate, eta,
            (unsigned long long)st->verdicts[PROBE_VULNERABLE]);
    fflush(stderr);
    s->progress_shown = true;
}

/* ---- files ---- */

/* --output starts the file afresh; --resume appends to the file it read. */
static bool open_outputs(struct scan *s)
{
    const struct scan_options *o = s->opt;
    if (o->dump_path && (s->dump_fd = report_dump_open(o->dump_path)) < 0)
        return false;
    const char *path = o->resume_path ? o->resume_path : o->output_path;
    if (!path)
        return true;
    if (o->resume_path && !hc_ok(resume_load(o->resume_path, &s->done))) {
        fprintf(stderr, "heartcheck: cannot read %s: %s\n", o->resume_path, strerror(errno));
        return false;
    }
    s->output = fopen(path, o->resume_path ? "ae" : "we");
    if (!s->output)
        fprintf(stderr, "heartcheck: cannot write %s: %s\n", path, strerror(errno));
    return s->output != NULL;
}

static void close_all(struct scan *s)
{
    if (s->dump_fd >= 0)
        close(s->dump_fd);
    if (s->output)
        fclose(s->output);
    target_source_close(s->source);
    targets_free(s->targets);
    resume_free(&s->done);
}

/* ---- the run ---- */

static int exit_status(const struct scan *s, bool interrupted, bool source_failed)
{
    if (s->summary.counts[PROBE_VULNERABLE])
        return EXIT_VULNERABLE;
    if (s->resolve_failed || interrupted || source_failed)
        return EXIT_ERROR;
    if (s->summary.counts[PROBE_INCONCLUSIVE])
        return EXIT_INCONCLUSIVE;
    return EXIT_CLEAN;
}

static void print_summary(const struct scan *s, const struct engine_stats *st, bool interrupted)
{
    const struct scan_options *o = s->opt;
    bool text = o->format == &report_text;
    if (o->quiet || (s->summary.total <= 1 && !interrupted && !s->skipped))
        return;                         /* one target: its line says it all */
    FILE *out = text ? stdout : stderr; /* JSON Lines on stdout carry findings only */
    struct report_summary sum = s->summary;
    sum.rate = st->rate;
    sum.resumed = s->skipped;
    report_text.summary(out, &sum, &o->report);
}

static int probe_all(struct scan *s, char *err, size_t cap)
{
    const struct scan_options *o = s->opt;
    if (!hc_ok(target_source_open(s->targets, &s->source, err, cap)))
        return target_error(err);
    targets_count(s->targets, &s->total);
    struct engine_config cfg = o->engine;
    cfg.excluded = excluded;
    cfg.excluded_ctx = s->targets;
    if (o->progress && isatty(STDERR_FILENO) && !o->quiet) {
        cfg.progress = on_progress;
        cfg.progress_ctx = s;
    }
    struct engine_stats st = {0};
    bool interrupted = false;
    hc_result r = engine_run_stats(&cfg, next_target, s, on_result, s, &interrupted, &st);
    clear_progress(s);
    const char *why = NULL;
    bool source_failed = !hc_ok(target_source_error(s->source, &why));
    if (source_failed)
        fprintf(stderr, "heartcheck: %s\n", why ? why : "cannot read the targets");
    if (!hc_ok(r)) {
        fprintf(stderr, "heartcheck: %s\n", hc_error_message(r.error));
        return EXIT_ERROR;
    }
    s->summary.elapsed_s = (double)st.elapsed_ms / 1000.0;
    s->summary.interrupted = interrupted;
    print_summary(s, &st, interrupted);
    return exit_status(s, interrupted, source_failed);
}

int scan_run(const struct scan_options *o)
{
    struct scan s = {.opt = o, .dump_fd = -1};
    char err[TARGETS_ERR_MAX];
    int status;
    if (!hc_ok(build_targets(&s, err, sizeof err)))
        status = target_error(err);
    else if (o->dry_run)
        status = hc_ok(targets_dry_run(s.targets, stdout, NULL, err, sizeof err))
                     ? EXIT_CLEAN
                     : target_error(err);
    else if (!open_outputs(&s))
        status = EXIT_ERROR;
    else
        status = probe_all(&s, err, sizeof err);
    close_all(&s);
    return status;
}
