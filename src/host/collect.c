#include "host/audit.h"
#include "host/behave.h"
#include "host/copies.h"
#include "host/pkgdb.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool audit_grow(void **items, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return true;
    size_t grown = *cap ? 2 * *cap : 16;
    void *p = realloc(*items, grown * sz);
    if (!p)
        return false;
    *items = p;
    *cap = grown;
    return true;
}

struct audit_copy *audit_add_copy(struct audit *a)
{
    struct audit_findings *f = &a->f;
    if (!audit_grow((void **)&f->copies, f->ncopies, &a->copies_cap, sizeof *f->copies))
        return NULL;
    struct audit_copy *c = &f->copies[f->ncopies++];
    memset(c, 0, sizeof *c);
    c->partner = -1;
    c->verdict = HOST_UNKNOWN;
    c->basis = BASIS_NONE;
    return c;
}

static void take_banner(struct audit_copy *c, const struct banner *b)
{
    if (!b->found)
        return;
    snprintf(c->version, sizeof c->version, "%s", b->version);
    snprintf(c->banner, sizeof c->banner, "%s", b->text);
    c->no_heartbeats = b->no_heartbeats;
}

void audit_package(struct audit *a, struct audit_copy *c)
{
    struct pkgdb_owner o;
    if (!a->db || !hc_ok(pkgdb_lookup(a->db, c->path, &o)) || o.kind == PKGDB_NONE)
        return;
    snprintf(c->package, sizeof c->package, "%s", o.name);
    snprintf(c->package_version, sizeof c->package_version, "%s", o.version);
    snprintf(c->package_manager, sizeof c->package_manager, "%s",
             o.kind == PKGDB_RPM ? "rpm" : "dpkg");
    struct backport_input in = {
        .package = o.name,
        .source = o.source,
        .version = o.version,
        .kind = o.kind,
        .upstream = c->version[0] ? c->version : NULL,
        .changelog_cve = o.changelog_cve,
    };
    enum backport_verdict v = backport_decide(&in, c->package_evidence, sizeof c->package_evidence);
    c->package_fixed = v == BACKPORT_FIXED;
}

/* libssl.so.1.0.0 and libcrypto.so.1.0.0 in one directory belong together. */
bool audit_partners(const struct audit_copy *ssl, const struct audit_copy *crypto)
{
    const char *s = strrchr(ssl->path, '/'), *c = strrchr(crypto->path, '/');
    if (!s || !c || s - ssl->path != c - crypto->path ||
        strncmp(ssl->path, crypto->path, (size_t)(s - ssl->path)) != 0)
        return false;
    const char *ss = strstr(s, ".so"), *cs = strstr(c, ".so");
    return ss && cs && strcmp(ss, cs) == 0;
}

static void pair_copies(struct audit_findings *f)
{
    for (size_t i = 0; i < f->ncopies; i++)
        for (size_t k = 0; k < f->ncopies && f->copies[i].is_libssl; k++)
            if (!f->copies[k].is_libssl && f->copies[k].kind == f->copies[i].kind &&
                f->copies[k].partner < 0 && audit_partners(&f->copies[i], &f->copies[k])) {
                f->copies[i].partner = (long)k;
                f->copies[k].partner = (long)i;
                break;
            }
}

hc_result audit_shared_copies(struct audit *a)
{
    struct libfind_result r;
    memset(&r, 0, sizeof r);
    hc_result res = libfind_run(a->opt->root, &r);
    for (size_t i = 0; hc_ok(res) && i < r.count; i++) {
        const struct libcopy *l = &r.copies[i];
        struct audit_copy *c = audit_add_copy(a);
        if (!c) {
            res = HC_RESULT(HC_ERR_NOMEM);
            break;
        }
        c->kind = COPY_SHARED;
        c->is_libssl = l->kind == LIBCOPY_LIBSSL;
        snprintf(c->path, sizeof c->path, "%s", l->path);
        snprintf(c->read_path, sizeof c->read_path, "%s%s",
                 strcmp(a->opt->root, "/") ? a->opt->root : "", l->path);
        c->dev = (unsigned long long)l->dev;
        c->ino = (unsigned long long)l->ino;
        take_banner(c, &l->banner);
        audit_package(a, c);
    }
    libfind_result_free(&r);
    pair_copies(&a->f);
    return res;
}

struct static_ctx {
    struct audit *a;
    hc_result res;
};

static void on_deep_hit(const struct deepscan_hit *hit, void *ctx)
{
    struct static_ctx *s = ctx;
    if (hit->event != DEEPSCAN_FOUND || !hit->is_static_copy || !hc_ok(s->res))
        return;
    struct audit_copy *c = audit_add_copy(s->a);
    if (!c) {
        s->res = HC_RESULT(HC_ERR_NOMEM);
        return;
    }
    c->kind = COPY_STATIC;
    c->is_libssl = true; /* a static copy carries both halves */
    snprintf(c->path, sizeof c->path, "%s", hit->path);
    take_banner(c, &hit->banner);
    audit_package(s->a, c);
}

hc_result audit_static_copies(struct audit *a)
{
    if (a->opt->ndeep == 0)
        return HC_SUCCESS;
    struct static_ctx s = {.a = a, .res = HC_SUCCESS};
    struct deepscan_stats stats;
    HC_TRY(deepscan_run(a->opt->root, (const char *const *)a->opt->deep, a->opt->ndeep, on_deep_hit,
                        &s, &stats));
    return s.res;
}

/* ---- behaviour ---- */

static enum host_verdict from_behaviour(enum behave_verdict v)
{
    switch (v) {
    case BEHAVE_VULNERABLE: return HOST_VULNERABLE;
    case BEHAVE_PATCHED: return HOST_PATCHED;
    case BEHAVE_NOT_VULNERABLE: return HOST_NOT_VULNERABLE;
    default: return HOST_UNKNOWN;
    }
}

static void probe_copy(struct audit *a, struct audit_copy *c)
{
    const struct audit_copy *crypto = c->partner >= 0 ? &a->f.copies[c->partner] : NULL;
    struct behave_request req = {
        .libssl = c->read_path,
        .libcrypto = crypto ? crypto->read_path : NULL,
        .keys = a->keys,
        .timeout_ms = a->opt->timeout_ms < 3000 ? a->opt->timeout_ms : 3000,
    };
    struct behave_result r;
    if (!hc_ok(behave_run(&req, &r)) && r.verdict != BEHAVE_ERROR)
        return;
    c->behaviour_ran = true;
    c->behaviour_verdict = from_behaviour(r.verdict);
    snprintf(c->behaviour, sizeof c->behaviour, "%.160s%s%.80s", r.reason,
             r.version_text[0] ? "; it says " : "", r.version_text);
    if (!c->version[0] && r.version_text[0]) {
        struct banner b;
        banner_find(r.version_text, strlen(r.version_text), &b);
        take_banner(c, &b);
    }
}

void audit_behaviour(struct audit *a)
{
    if (!a->keys)
        return;
    for (size_t i = 0; i < a->f.ncopies; i++) {
        struct audit_copy *c = &a->f.copies[i];
        if (c->is_libssl && c->kind != COPY_STATIC && c->read_path[0])
            probe_copy(a, c);
    }
}

/* ---- verdicts: behaviour, then build flags, then version, then the package ---- */

static void decide_by_evidence(struct audit_copy *c)
{
    if (c->behaviour_ran && c->behaviour_verdict != HOST_UNKNOWN) {
        c->verdict = c->behaviour_verdict;
        c->basis = BASIS_BEHAVIOUR;
        snprintf(c->reason, sizeof c->reason, "%s", c->behaviour);
        return;
    }
    if (c->no_heartbeats) {
        c->verdict = HOST_NOT_VULNERABLE;
        c->basis = BASIS_BUILD;
        snprintf(c->reason, sizeof c->reason, "built with OPENSSL_NO_HEARTBEATS: no heartbeats");
        return;
    }
    switch (banner_classify(c->version)) {
    case BANNER_CLASS_NOT_AFFECTED:
        c->verdict = HOST_NOT_VULNERABLE;
        c->basis = BASIS_VERSION;
        snprintf(c->reason, sizeof c->reason, "OpenSSL %s never had the bug", c->version);
        return;
    case BANNER_CLASS_FIXED:
        c->verdict = HOST_PATCHED;
        c->basis = BASIS_VERSION;
        snprintf(c->reason, sizeof c->reason, "OpenSSL %s carries the upstream fix", c->version);
        return;
    case BANNER_CLASS_AFFECTED:
        c->verdict = c->package_fixed ? HOST_PATCHED : HOST_VULNERABLE;
        c->basis = c->package[0] ? BASIS_PACKAGE : BASIS_VERSION;
        if (c->package_evidence[0])
            snprintf(c->reason, sizeof c->reason, "OpenSSL %s: %.200s", c->version,
                     c->package_evidence);
        else
            snprintf(c->reason, sizeof c->reason, "OpenSSL %s and no known back-port of the fix",
                     c->version);
        return;
    default:
        c->verdict = HOST_UNKNOWN;
        c->basis = BASIS_NONE;
        snprintf(c->reason, sizeof c->reason, "%s",
                 c->behaviour_ran ? c->behaviour : "no version banner and no behaviour test");
    }
}

/* OpenSSL 1.0.x keeps its build flags ("compiler: ... -DOPENSSL_NO_HEARTBEATS") and 3.x its
 * banner in libcrypto only: a libssl is judged with what its libcrypto says. */
static void inherit_from_crypto(struct audit_copy *ssl, const struct audit_copy *crypto)
{
    ssl->no_heartbeats |= crypto->no_heartbeats;
    if (!ssl->version[0]) {
        memcpy(ssl->version, crypto->version, sizeof ssl->version); /* same-size arrays */
        memcpy(ssl->banner, crypto->banner, sizeof ssl->banner);
    }
}

void audit_decide(struct audit *a)
{
    struct audit_findings *f = &a->f;
    for (size_t i = 0; i < f->ncopies; i++)
        if (f->copies[i].is_libssl && f->copies[i].partner >= 0)
            inherit_from_crypto(&f->copies[i], &f->copies[f->copies[i].partner]);
    for (size_t i = 0; i < f->ncopies; i++)
        if (f->copies[i].is_libssl || f->copies[i].partner < 0)
            decide_by_evidence(&f->copies[i]);
    /* The heartbeat code lives in libssl: a libcrypto stands or falls with its libssl. */
    for (size_t i = 0; i < f->ncopies; i++) {
        struct audit_copy *c = &f->copies[i];
        if (c->is_libssl || c->partner < 0)
            continue;
        const struct audit_copy *ssl = &f->copies[c->partner];
        c->verdict = ssl->verdict;
        c->basis = ssl->basis;
        snprintf(c->reason, sizeof c->reason, "the libcrypto of %.200s", ssl->path);
    }
}
