#include "host/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *host_plan_action_name(enum plan_action a)
{
    static const char *const names[] = {"upgrade", "rebuild", "restart",   "rotate_key",
                                        "revoke",  "reset",   "keep_logs", "verify"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "unknown";
}

const char *host_verdict_name(enum host_verdict v)
{
    static const char *const names[] = {"vulnerable", "patched", "not_vulnerable", "unknown"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "unknown";
}

const char *host_basis_name(enum host_basis b)
{
    static const char *const names[] = {"behaviour", "build", "version", "package", "none"};
    return (unsigned)b < sizeof names / sizeof names[0] ? names[b] : "none";
}

const char *host_key_age_name(enum key_age a)
{
    return a == KEY_AGE_BEFORE_FIX ? "before_fix" : a == KEY_AGE_AFTER_FIX ? "after_fix" : NULL;
}

/* ---- building ---- */

struct builder {
    struct host_plan *plan;
    size_t cap;
    bool failed;
};

static bool already(const struct host_plan *p, enum plan_action a, const char *subject)
{
    for (size_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].action == a && strcmp(p->steps[i].subject, subject) == 0)
            return true;
    return false;
}

/* Adds a step once per action and subject; the why of the first occurrence is kept. */
__attribute__((format(printf, 5, 6))) static void add(struct builder *b, enum plan_action a,
                                                      const char *subject, const char *command,
                                                      const char *why_fmt, ...)
{
    if (b->failed || already(b->plan, a, subject))
        return;
    if (b->plan->nsteps == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        struct plan_step *grown = realloc(b->plan->steps, cap * sizeof *grown);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->plan->steps = grown;
        b->cap = cap;
    }
    struct plan_step *s = &b->plan->steps[b->plan->nsteps++];
    memset(s, 0, sizeof *s);
    s->action = a;
    snprintf(s->subject, sizeof s->subject, "%s", subject);
    snprintf(s->command, sizeof s->command, "%s", command ? command : "");
    va_list ap;
    va_start(ap, why_fmt);
    vsnprintf(s->why, sizeof s->why, why_fmt, ap);
    va_end(ap);
}

static void upgrade_copy(struct builder *b, const struct audit_copy *c)
{
    char cmd[512];
    if (c->kind == COPY_STATIC) {
        add(b, PLAN_REBUILD, c->path, NULL,
            "carries %s statically: rebuild or update it against OpenSSL 1.0.1g or later",
            c->banner[0] ? c->banner : "a vulnerable OpenSSL");
    } else if (c->package[0]) {
        if (strcmp(c->package_manager, "rpm") == 0)
            snprintf(cmd, sizeof cmd, "yum update %s", c->package);
        else
            snprintf(cmd, sizeof cmd, "apt-get update && apt-get install --only-upgrade %s",
                     c->package);
        add(b, PLAN_UPGRADE, c->package, cmd, "%s %s provides the vulnerable %s", c->package,
            c->package_version, c->path);
    } else {
        add(b, PLAN_UPGRADE, c->path, NULL,
            "not from a package: replace it with OpenSSL 1.0.1g or later (%s)",
            c->banner[0] ? c->banner : "version unknown");
    }
}

/* A service that listened beyond loopback while a vulnerable library was loaded. */
static bool exposed(const struct audit_process *p)
{
    if (!p->maps_vulnerable)
        return false;
    for (size_t i = 0; i < p->nsockets; i++)
        if (!p->sockets[i].loopback_only)
            return true;
    return false;
}

static const char *process_name(const struct audit_process *p, char *buf, size_t cap)
{
    if (p->unit[0])
        snprintf(buf, cap, "%s", p->unit);
    else
        snprintf(buf, cap, "%s (pid %d)", p->comm, p->pid);
    return buf;
}

static void restart_process(struct builder *b, const struct audit_process *p)
{
    char name[256], cmd[512];
    process_name(p, name, sizeof name);
    if (p->answers_probe)
        add(b, PLAN_REBUILD, p->exe[0] ? p->exe : p->comm, NULL,
            "%s answers the Heartbleed probe though it maps no vulnerable shared OpenSSL: it "
            "carries its own TLS code (a static or bundled OpenSSL); update or rebuild it",
            name);
    if (p->unit[0])
        snprintf(cmd, sizeof cmd, "systemctl restart %s", p->unit);
    else
        snprintf(cmd, sizeof cmd, "restart %s (%.400s)", p->comm, p->exe);
    const char *why = p->answers_probe ? "after the update: the running process keeps its old code"
                      : p->maps_vulnerable ? "runs a vulnerable OpenSSL: an upgrade on disk does "
                                             "not reach it until it restarts"
                                           : "runs a deleted or replaced OpenSSL library: the "
                                             "fixed one on disk is not the one it runs";
    add(b, PLAN_RESTART, name, cmd, "%s", why);
}

static void rotate_cert(struct builder *b, const struct audit_cert *c)
{
    const char *what = c->cert_path[0] ? c->cert_path : c->key_path;
    add(b, PLAN_ROTATE_KEY, what, NULL,
        "used by %s while it was exposed with a vulnerable OpenSSL: its private key may have "
        "leaked; make a NEW key (not only a new certificate for the old key) and re-issue",
        c->service[0] ? c->service : "an exposed service");
    add(b, PLAN_REVOKE, what, NULL,
        "the old certificate (%s, key sha256 %.16s...) stays valid for an attacker who holds "
        "its key until it is revoked",
        c->subject[0] ? c->subject : "subject unknown", c->spki_sha256);
}

/* The dpkg logs date the fix: a key file older than it served while the library was vulnerable. */
static void rotate_old_key(struct builder *b, const struct audit_findings *f,
                           const struct audit_cert *c)
{
    const char *what = c->cert_path[0] ? c->cert_path : c->key_path;
    char fixed[32];
    struct tm tm;
    localtime_r(&f->fix.when, &tm);
    strftime(fixed, sizeof fixed, "%Y-%m-%d %H:%M", &tm);
    add(b, PLAN_ROTATE_KEY, what, NULL,
        "its key (used by %s) is older than the fix: %.64s %.64s was installed on %s; the key "
        "served while OpenSSL was vulnerable and may have leaked: make a NEW key and re-issue",
        c->service, f->fix.package, f->fix.version, fixed);
    add(b, PLAN_REVOKE, what, NULL,
        "the certificate for the old key (%s) stays valid for whoever holds that key until it is "
        "revoked",
        c->subject[0] ? c->subject : "subject unknown");
}

static void after_exposure(struct builder *b, const struct audit_process *p)
{
    char name[256];
    process_name(p, name, sizeof name);
    add(b, PLAN_RESET, name, NULL,
        "its memory (passwords, session cookies, tokens) could be read remotely: reset the "
        "passwords and invalidate the sessions it handled");
    add(b, PLAN_KEEP_LOGS, name, NULL,
        "keep its logs and any packet captures from the exposure; 'heartcheck pcap' on the "
        "captures tells whether it was attacked and what leaked");
}

/* Steps are gathered per finding; the plan lists them per action (upgrade before rebuild before
 * restart...), keeping the order within an action: a stable insertion sort of a short list. */
static void sort_by_action(struct host_plan *p)
{
    for (size_t i = 1; i < p->nsteps; i++) {
        struct plan_step s = p->steps[i];
        size_t k = i;
        for (; k > 0 && p->steps[k - 1].action > s.action; k--)
            p->steps[k] = p->steps[k - 1];
        p->steps[k] = s;
    }
}

int host_plan_build(const struct audit_findings *f, struct host_plan *out)
{
    memset(out, 0, sizeof *out);
    struct builder b = {.plan = out};
    /* Order: stop the bleeding (upgrade, restart), then clean up what may have leaked. */
    for (size_t i = 0; i < f->ncopies; i++)
        if (f->copies[i].verdict == HOST_VULNERABLE)
            upgrade_copy(&b, &f->copies[i]);
    for (size_t i = 0; i < f->nprocesses; i++)
        if (f->processes[i].maps_vulnerable || f->processes[i].maps_stale)
            restart_process(&b, &f->processes[i]);
    for (size_t i = 0; i < f->ncerts; i++)
        if (f->certs[i].exposed_while_vulnerable)
            rotate_cert(&b, &f->certs[i]);
    for (size_t i = 0; i < f->ncerts; i++)
        if (f->certs[i].key_age == KEY_AGE_BEFORE_FIX)
            rotate_old_key(&b, f, &f->certs[i]);
    for (size_t i = 0; i < f->nprocesses; i++)
        if (exposed(&f->processes[i]))
            after_exposure(&b, &f->processes[i]);
    sort_by_action(out);
    if (out->nsteps > 0)
        add(&b, PLAN_VERIFY, "this machine", "heartcheck host",
            "after the steps above: no vulnerable copy left, nothing to restart");
    if (b.failed) {
        host_plan_free(out);
        return -1;
    }
    return 0;
}

void host_plan_free(struct host_plan *p)
{
    free(p->steps);
    p->steps = NULL;
    p->nsteps = 0;
}
