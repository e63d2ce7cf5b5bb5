#include "verify/verify.h"

#include "proto/proto.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
    VERIFY_EXIT_DONE = 0,
    VERIFY_EXIT_ACTION = 1,
    VERIFY_EXIT_ERROR = 2,
    VERIFY_EXIT_UNKNOWN = 3,
};

/* One target to probe again, found by its spec when the engine reports it (in completion
 * order): a sorted array and bsearch, since a baseline can hold a whole network. */
struct pending {
    const char *spec;
    const struct verify_entry *entry;
};

struct run {
    const struct verify_options *opt;
    struct verify_baseline baseline;
    struct verify_crls *crls;
    const struct verify_entry **selected; /* the entries to probe, in baseline order */
    size_t nselected;
    struct pending *group; /* this engine run's targets, sorted by spec */
    size_t ngroup, next;   /* next: the source's position in group_order */
    const struct verify_entry **group_order;
    unsigned counts[VERIFY_BASELINE_UNDECIDED + 1];
    unsigned total;
};

static int by_spec(const void *a, const void *b)
{
    return strcmp(((const struct pending *)a)->spec, ((const struct pending *)b)->spec);
}

/* ---- selecting targets ---- */

static bool same_target(const struct verify_entry *e, const struct target *t)
{
    return e->port == t->port && strcasecmp(e->host, t->host) == 0;
}

static bool already_selected(const struct run *r, const struct verify_entry *e)
{
    for (size_t i = 0; i < r->nselected; i++)
        if (r->selected[i] == e)
            return true;
    return false;
}

/* Every baseline target, or those named on the command line; a named target the baseline does
 * not hold is an error: there is nothing to compare it with. */
static int select_targets(struct run *r)
{
    const struct verify_options *o = r->opt;
    r->selected = calloc(r->baseline.count, sizeof *r->selected);
    if (!r->selected) {
        fprintf(stderr, "heartcheck: out of memory\n");
        return VERIFY_EXIT_ERROR;
    }
    if (o->only_count == 0) {
        for (size_t i = 0; i < r->baseline.count; i++)
            r->selected[r->nselected++] = &r->baseline.entries[i];
        return -1;
    }
    for (size_t k = 0; k < o->only_count; k++) {
        struct target t;
        char why[256];
        if (!hc_ok(target_parse(o->only[k], 443, &t, why, sizeof why))) {
            fprintf(stderr, "heartcheck: %s: %s\n", o->only[k], why);
            return VERIFY_EXIT_ERROR;
        }
        bool found = false;
        for (size_t i = 0; i < r->baseline.count; i++) {
            const struct verify_entry *e = &r->baseline.entries[i];
            if (!same_target(e, &t))
                continue;
            found = true;
            if (!already_selected(r, e))
                r->selected[r->nselected++] = e;
        }
        if (!found) {
            fprintf(stderr, "heartcheck: %s is not in the baseline %s\n", o->only[k],
                    o->baseline_path);
            return VERIFY_EXIT_ERROR;
        }
    }
    return -1;
}

/* ---- output ---- */

static json_t *text_or_null(const char *s) { return s && *s ? report_json_text(s) : json_null(); }

static json_t *baseline_json(const struct verify_entry *e)
{
    json_t *o = json_object(), *c = json_null();
    json_object_set_new(o, "verdict", report_json_text(probe_verdict_name(e->verdict)));
    json_object_set_new(o, "time", text_or_null(e->time));
    json_object_set_new(o, "line", json_integer(e->line));
    if (e->cert.present) {
        c = json_object();
        json_object_set_new(c, "subject", text_or_null(e->cert.subject));
        json_object_set_new(c, "issuer", text_or_null(e->cert.issuer));
        json_object_set_new(c, "not_before", text_or_null(e->cert.not_before));
        json_object_set_new(c, "serial", text_or_null(e->cert.serial));
        json_object_set_new(c, "sha256", text_or_null(e->cert.sha256));
        json_object_set_new(c, "spki_sha256", text_or_null(e->cert.spki_sha256));
    }
    json_object_set_new(o, "cert", c);
    return o;
}

static json_t *now_json(const struct probe_result *res)
{
    const struct probe_evidence *ev = &res->evidence;
    json_t *o = json_object(), *c = json_null();
    json_object_set_new(o, "verdict", report_json_text(probe_verdict_name(res->verdict)));
    json_object_set_new(o, "reason", report_json_text(res->reason));
    if (ev->cert_seen) {
        char sha[65], spki[65];
        report_hex(ev->cert.sha256, sizeof ev->cert.sha256, sha);
        report_hex(ev->cert.spki_sha256, sizeof ev->cert.spki_sha256, spki);
        c = json_object();
        json_object_set_new(c, "subject", report_json_text(ev->cert.subject));
        json_object_set_new(c, "issuer", report_json_text(ev->cert.issuer));
        json_object_set_new(c, "not_before", report_json_text(ev->cert.not_before));
        json_object_set_new(c, "not_after", report_json_text(ev->cert.not_after));
        json_object_set_new(c, "serial", text_or_null(ev->cert.serial));
        json_object_set_new(c, "sha256", report_json_text(sha));
        json_object_set_new(c, "spki_sha256", report_json_text(spki));
    }
    json_object_set_new(o, "cert", c);
    return o;
}

static json_t *revoked_json(enum verify_revoked r)
{
    return r == VERIFY_REVOKED_UNKNOWN ? json_null() : json_boolean(r == VERIFY_REVOKED_YES);
}

/* Everything one verdict rests on. */
struct verdict_record {
    const struct verify_entry *entry;
    const struct engine_outcome *outcome;
    enum verify_verdict verdict;
    const char *reason;
    enum verify_revoked revoked;
};

static void print_json(const struct verdict_record *v)
{
    const struct engine_outcome *oc = v->outcome;
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *o = json_object();
    json_object_set_new(o, "target", report_json_text(v->entry->target));
    json_object_set_new(o, "host", report_json_text(v->entry->host));
    json_object_set_new(o, "ip", text_or_null(oc->ip));
    json_object_set_new(o, "port", json_integer(v->entry->port));
    json_object_set_new(o, "starttls", text_or_null(v->entry->starttls));
    json_object_set_new(o, "verify", report_json_text(verify_verdict_name(v->verdict)));
    json_object_set_new(o, "reason", report_json_text(v->reason));
    json_object_set_new(o, "revoked", revoked_json(v->revoked));
    json_object_set_new(o, "baseline", baseline_json(v->entry));
    json_object_set_new(o, "now", now_json(oc->result));
    json_object_set_new(o, "elapsed_ms", json_integer(oc->elapsed_ms));
    json_object_set_new(o, "time", report_json_text(when));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        free(line);
    }
    fflush(stdout);
    json_decref(o);
}

static const char *class_color(enum verify_class c)
{
    return c == VERIFY_CLASS_ACTION ? "\033[1;31m"
           : c == VERIFY_CLASS_DONE ? "\033[32m"
                                    : "\033[33m";
}

static const char *revoked_words(enum verify_revoked r)
{
    return r == VERIFY_REVOKED_YES  ? "revoked (listed in a given CRL of its issuer)"
           : r == VERIFY_REVOKED_NO ? "NOT revoked (absent from the given CRLs of its issuer)"
                                    : "unknown (no CRL of its issuer given)";
}

static void print_cert_line(const char *sha, const char *spki)
{
    printf("                cert %.16s... key %.16s...\n", sha, spki);
}

static void print_text(const struct verdict_record *v, bool verbose, bool color)
{
    char name[32];
    const char *n = verify_verdict_name(v->verdict);
    size_t i = 0;
    for (; n[i] && i + 1 < sizeof name; i++)
        name[i] = (char)toupper((unsigned char)n[i]);
    name[i] = '\0';
    enum verify_class c = verify_verdict_class(v->verdict);
    size_t width = strlen(v->entry->target);
    report_print_clean(stdout, v->entry->target); /* a host name from the baseline file */
    printf("%*s %s%-18s%s ", width < 28 ? (int)(28 - width) : 0, "", color ? class_color(c) : "",
           name, color ? "\033[0m" : "");
    report_print_clean(stdout, v->reason);
    fputc('\n', stdout);
    if (v->entry->cert.present && (verbose || v->revoked != VERIFY_REVOKED_UNKNOWN))
        printf("    old cert    %s\n", revoked_words(v->revoked));
    if (!verbose)
        return;
    printf("    baseline    %s (line %u%s%s)\n", probe_verdict_name(v->entry->verdict),
           v->entry->line, v->entry->time[0] ? ", " : "", v->entry->time);
    if (v->entry->cert.present)
        print_cert_line(v->entry->cert.sha256, v->entry->cert.spki_sha256);
    const struct probe_result *res = v->outcome->result;
    printf("    now         %s\n", probe_verdict_name(res->verdict));
    if (res->evidence.cert_seen) {
        char sha[65], spki[65];
        report_hex(res->evidence.cert.sha256, 32, sha);
        report_hex(res->evidence.cert.spki_sha256, 32, spki);
        print_cert_line(sha, spki);
    }
}

static void print_summary(const struct run *r, FILE *out)
{
    fprintf(out, "\n%u target%s:", r->total, r->total == 1 ? "" : "s");
    const char *sep = " ";
    for (int v = 0; v <= VERIFY_BASELINE_UNDECIDED; v++)
        if (r->counts[v]) {
            fprintf(out, "%s%u %s", sep, r->counts[v], verify_verdict_name((enum verify_verdict)v));
            sep = ", ";
        }
    fputc('\n', out);
}

/* ---- probing ---- */

static bool next_target(void *ctx, struct target *out)
{
    struct run *r = ctx;
    while (r->next < r->ngroup) {
        const struct verify_entry *e = r->group_order[r->next++];
        char why[256];
        if (hc_ok(target_parse(e->target, e->port, out, why, sizeof why)))
            return true;
        fprintf(stderr, "heartcheck: %s: %s\n", e->target, why); /* checked when parsed */
    }
    return false;
}

static void on_result(void *ctx, const struct engine_outcome *oc)
{
    struct run *r = ctx;
    struct pending key = {.spec = oc->target->spec};
    const struct pending *p = bsearch(&key, r->group, r->ngroup, sizeof *r->group, by_spec);
    if (!p)
        return; /* the engine reports only the targets the source gave */
    const struct verify_entry *e = p->entry;
    const struct probe_evidence *ev = &oc->result->evidence;
    struct verify_now now = {
        .verdict = oc->result->verdict,
        .reason = oc->result->reason,
        .cert = ev->cert_seen ? &ev->cert : NULL,
    };
    char reason[512];
    struct verdict_record v = {.entry = e, .outcome = oc, .reason = reason};
    v.verdict = verify_judge(e, &now, &r->baseline, reason, sizeof reason);
    v.revoked = e->cert.present ? verify_crls_lookup(r->crls, e->cert.issuer, e->cert.serial)
                                : VERIFY_REVOKED_UNKNOWN;
    if (r->opt->json)
        print_json(&v);
    else
        print_text(&v, r->opt->verbose, r->opt->color);
    r->counts[v.verdict]++;
    r->total++;
}

static bool same_way(const struct verify_entry *a, const struct verify_entry *b)
{
    return a->transport == b->transport && strcmp(a->starttls, b->starttls) == 0;
}

/* One engine run per recorded dialogue and transport: the engine applies one prelude and one
 * default transport to all its targets, and the baseline says which each target needed (null:
 * TLS at once, never by port). */
static int probe_group(struct run *r, const struct verify_entry *like)
{
    const char *starttls = like->starttls;
    r->ngroup = r->next = 0;
    for (size_t i = 0; i < r->nselected; i++) {
        const struct verify_entry *e = r->selected[i];
        if (!same_way(e, like))
            continue;
        r->group_order[r->ngroup] = e;
        r->group[r->ngroup++] = (struct pending){.spec = e->target, .entry = e};
    }
    if (r->ngroup == 0)
        return -1;
    qsort(r->group, r->ngroup, sizeof *r->group, by_spec);
    struct engine_config cfg = r->opt->engine;
    cfg.starttls = starttls[0] ? proto_find(starttls) : NULL;
    cfg.starttls_auto = false;
    cfg.transport = like->transport;
    bool interrupted = false;
    hc_result res = engine_run(&cfg, next_target, r, on_result, r, &interrupted);
    if (!hc_ok(res)) {
        fprintf(stderr, "heartcheck: %s\n", hc_error_message(res.error));
        return VERIFY_EXIT_ERROR;
    }
    return interrupted ? VERIFY_EXIT_ERROR : -1;
}

/* Each distinct dialogue and transport once, in the order the baseline first names it. */
static int probe_all(struct run *r)
{
    r->group = calloc(r->nselected, sizeof *r->group);
    r->group_order = calloc(r->nselected, sizeof *r->group_order);
    if (!r->group || !r->group_order) {
        fprintf(stderr, "heartcheck: out of memory\n");
        return VERIFY_EXIT_ERROR;
    }
    for (size_t i = 0; i < r->nselected; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = same_way(r->selected[k], r->selected[i]);
        int status = seen ? -1 : probe_group(r, r->selected[i]);
        if (status >= 0)
            return status;
    }
    return -1;
}

static int exit_status(const struct run *r)
{
    bool unknown = false;
    for (int v = 0; v <= VERIFY_BASELINE_UNDECIDED; v++) {
        if (!r->counts[v])
            continue;
        enum verify_class c = verify_verdict_class((enum verify_verdict)v);
        if (c == VERIFY_CLASS_ACTION)
            return VERIFY_EXIT_ACTION;
        unknown |= c == VERIFY_CLASS_UNKNOWN;
    }
    return unknown ? VERIFY_EXIT_UNKNOWN : VERIFY_EXIT_DONE;
}

static int load_inputs(struct run *r)
{
    char err[VERIFY_ERR_MAX];
    if (!hc_ok(verify_baseline_load(r->opt->baseline_path, &r->baseline, err, sizeof err)) ||
        !hc_ok(verify_crls_load(r->opt->crl_paths, r->opt->crl_count, &r->crls, err, sizeof err))) {
        fprintf(stderr, "heartcheck: %s\n", err);
        return VERIFY_EXIT_ERROR;
    }
    return -1;
}

int verify_run(const struct verify_options *o)
{
    struct run r = {.opt = o};
    int status = load_inputs(&r);
    if (status < 0)
        status = select_targets(&r);
    if (status < 0)
        status = probe_all(&r);
    if (status < 0) {
        if (!o->quiet && r.total > 1)
            print_summary(&r, o->json ? stderr : stdout);
        status = exit_status(&r);
    }
    free(r.group);
    free(r.group_order);
    free(r.selected);
    verify_crls_free(r.crls);
    verify_baseline_free(&r.baseline);
    return status;
}
