#include "host/model.h"
#include "report/report.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

/* ---- JSON Lines: one object per finding, "type" says which ---- */

static void emit(FILE *out, json_t *o)
{
    json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(o);
}

static json_t *str_or_null(const char *s) { return s && *s ? report_json_text(s) : json_null(); }

static json_t *copy_json(const struct audit_copy *c)
{
    static const char *const kinds[] = {"shared", "static", "mapped"};
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("copy"));
    json_object_set_new(o, "path", report_json_text(c->path));
    json_object_set_new(o, "kind", json_string(kinds[c->kind]));
    json_object_set_new(o, "library", json_string(c->is_libssl ? "libssl" : "libcrypto"));
    json_object_set_new(o, "version", str_or_null(c->version));
    json_object_set_new(o, "banner", str_or_null(c->banner));
    json_object_set_new(o, "no_heartbeats", json_boolean(c->no_heartbeats));
    json_object_set_new(o, "package", str_or_null(c->package));
    json_object_set_new(o, "package_version", str_or_null(c->package_version));
    json_object_set_new(o, "package_fixed", json_boolean(c->package_fixed));
    json_object_set_new(o, "package_evidence", str_or_null(c->package_evidence));
    json_object_set_new(o, "behaviour", str_or_null(c->behaviour_ran ? c->behaviour : NULL));
    json_object_set_new(o, "verdict", json_string(host_verdict_name(c->verdict)));
    json_object_set_new(o, "basis", json_string(host_basis_name(c->basis)));
    json_object_set_new(o, "reason", report_json_text(c->reason));
    return o;
}

static json_t *socket_json(const struct audit_socket *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "proto", json_string(s->tcp ? "tcp" : "udp"));
    json_object_set_new(o, "address", report_json_text(s->address));
    json_object_set_new(o, "port", json_integer(s->port));
    json_object_set_new(o, "loopback_only", json_boolean(s->loopback_only));
    json_object_set_new(o, "verdict", s->probed ? report_json_text(s->verdict) : json_null());
    json_object_set_new(o, "reason", s->probed ? report_json_text(s->reason) : json_null());
    return o;
}

static json_t *process_json(const struct audit_findings *f, const struct audit_process *p)
{
    json_t *o = json_object(), *libs = json_array(), *socks = json_array();
    json_object_set_new(o, "type", json_string("process"));
    json_object_set_new(o, "pid", json_integer(p->pid));
    json_object_set_new(o, "comm", report_json_text(p->comm));
    json_object_set_new(o, "exe", str_or_null(p->exe));
    json_object_set_new(o, "unit", str_or_null(p->unit));
    json_object_set_new(o, "cmdline", str_or_null(p->cmdline));
    for (size_t i = 0; i < p->ncopies; i++)
        json_array_append_new(libs, report_json_text(f->copies[p->copies[i]].path));
    json_object_set_new(o, "libraries", libs);
    json_object_set_new(o, "maps_vulnerable", json_boolean(p->maps_vulnerable));
    json_object_set_new(o, "restart_needed", json_boolean(p->maps_vulnerable || p->maps_stale));
    json_object_set_new(o, "stale_library", json_boolean(p->maps_stale));
    for (size_t i = 0; i < p->nsockets; i++)
        json_array_append_new(socks, socket_json(&p->sockets[i]));
    json_object_set_new(o, "listening", socks);
    return o;
}

/* Local time, as dpkg writes its log and as the operator reads file times. */
static void local_iso8601(time_t t, char *out, size_t cap)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static json_t *time_or_null(time_t t)
{
    char when[40];
    if (!t)
        return json_null();
    local_iso8601(t, when, sizeof when);
    return json_string(when);
}

static json_t *cert_json(const struct audit_cert *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("certificate"));
    json_object_set_new(o, "service", str_or_null(c->service));
    json_object_set_new(o, "cert_path", str_or_null(c->cert_path));
    json_object_set_new(o, "key_path", str_or_null(c->key_path));
    json_object_set_new(o, "subject", str_or_null(c->subject));
    json_object_set_new(o, "not_before", str_or_null(c->not_before));
    json_object_set_new(o, "spki_sha256", str_or_null(c->spki_sha256));
    json_object_set_new(o, "exposed_while_vulnerable", json_boolean(c->exposed_while_vulnerable));
    json_object_set_new(o, "key_mtime", time_or_null(c->key_mtime));
    json_object_set_new(o, "key_age", str_or_null(host_key_age_name(c->key_age)));
    return o;
}

static json_t *step_json(size_t n, const struct plan_step *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("plan"));
    json_object_set_new(o, "step", json_integer((json_int_t)n));
    json_object_set_new(o, "action", json_string(host_plan_action_name(s->action)));
    json_object_set_new(o, "subject", report_json_text(s->subject));
    json_object_set_new(o, "command", str_or_null(s->command));
    json_object_set_new(o, "why", report_json_text(s->why));
    return o;
}

static size_t count_verdict(const struct audit_findings *f, enum host_verdict v)
{
    size_t n = 0;
    for (size_t i = 0; i < f->ncopies; i++)
        n += f->copies[i].verdict == v;
    return n;
}

static size_t count_restarts(const struct audit_findings *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nprocesses; i++)
        n += f->processes[i].maps_vulnerable || f->processes[i].maps_stale;
    return n;
}

static void host_json(FILE *out, const struct audit_findings *f, const struct host_plan *plan)
{
    for (size_t i = 0; i < f->ncopies; i++)
        emit(out, copy_json(&f->copies[i]));
    for (size_t i = 0; i < f->nprocesses; i++)
        emit(out, process_json(f, &f->processes[i]));
    for (size_t i = 0; i < f->nunowned; i++) {
        json_t *o = socket_json(&f->unowned_sockets[i]);
        json_object_set_new(o, "type", json_string("socket"));
        emit(out, o);
    }
    for (size_t i = 0; i < f->nprograms; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string("program"));
        json_object_set_new(o, "path", report_json_text(f->programs[i].path));
        json_object_set_new(o, "package", str_or_null(f->programs[i].package));
        emit(out, o);
    }
    for (size_t i = 0; i < f->ncerts; i++)
        emit(out, cert_json(&f->certs[i]));
    for (size_t i = 0; i < plan->nsteps; i++)
        emit(out, step_json(i + 1, &plan->steps[i]));
    json_t *s = json_object();
    json_object_set_new(s, "type", json_string("summary"));
    json_object_set_new(s, "hostname", report_json_text(f->hostname));
    json_object_set_new(s, "root_dir", report_json_text(f->root_dir));
    json_object_set_new(s, "privileged", json_boolean(f->root));
    json_object_set_new(s, "copies", json_integer((json_int_t)f->ncopies));
    json_object_set_new(s, "vulnerable",
                        json_integer((json_int_t)count_verdict(f, HOST_VULNERABLE)));
    json_object_set_new(s, "restart_needed", json_integer((json_int_t)count_restarts(f)));
    json_object_set_new(s, "unseen_processes", json_integer(f->unseen_processes));
    json_object_set_new(s, "plan_steps", json_integer((json_int_t)plan->nsteps));
    json_t *fix = json_null();
    if (f->fix.known) {
        fix = json_object();
        json_object_set_new(fix, "package", report_json_text(f->fix.package));
        json_object_set_new(fix, "version", report_json_text(f->fix.version));
        json_object_set_new(fix, "installed", time_or_null(f->fix.when));
    }
    json_object_set_new(s, "fix", fix);
    emit(out, s);
}

/* ---- text: names from files, processes and certificates go through report_print_clean ---- */

/* Prints fmt where each "%s" is text to clean and "%%" a percent sign; nothing else. */
static void say(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (f[0] == '%' && f[1] == 's') {
            report_print_clean(out, va_arg(ap, const char *));
            f++;
        } else {
            fputc(*f, out);
        }
    }
    va_end(ap);
}

static const char *color_of(enum host_verdict v, bool on)
{
    if (!on)
        return "";
    return v == HOST_VULNERABLE ? "\033[1;31m" : v == HOST_UNKNOWN ? "\033[33m" : "\033[32m";
}

static void upper(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s[n] && n + 1 < cap; n++)
        out[n] = (char)toupper((unsigned char)s[n]);
    out[n] = '\0';
}

static void text_copy(FILE *out, const struct audit_copy *c, const struct host_output *o)
{
    char v[32];
    upper(host_verdict_name(c->verdict), v, sizeof v);
    fprintf(out, "  %s%-14s%s ", color_of(c->verdict, o->color), v, o->color ? "\033[0m" : "");
    say(out, "%s\n      %s", c->path, c->banner[0] ? c->banner : "no version banner");
    if (c->package[0])
        say(out, "; package %s %s", c->package, c->package_version);
    say(out, "\n      %s (", c->reason);
    fprintf(out, "%s)\n", host_basis_name(c->basis));
}

static void text_copies(FILE *out, const struct audit_findings *f, const struct host_output *o)
{
    fprintf(out, "OpenSSL copies (%zu)\n", f->ncopies);
    for (size_t i = 0; i < f->ncopies; i++) {
        const struct audit_copy *c = &f->copies[i];
        /* A libcrypto mirrors its libssl: shown with -v, or when it alone is in trouble. */
        if (o->verbose || c->is_libssl || c->partner < 0 || c->verdict == HOST_VULNERABLE)
            text_copy(out, c, o);
    }
}

static void text_process(FILE *out, const struct audit_process *p, const struct host_output *o)
{
    bool restart = p->maps_vulnerable || p->maps_stale;
    fprintf(out, "  %s%-8s%s ", restart && o->color ? "\033[1;31m" : "", restart ? "RESTART" : "ok",
            restart && o->color ? "\033[0m" : "");
    say(out, "%s", p->comm);
    fprintf(out, " (pid %d", p->pid);
    if (p->unit[0])
        say(out, ", %s", p->unit);
    fputs(")\n", out);
    if (p->maps_stale)
        fputs("      runs a deleted or replaced OpenSSL library\n", out);
    for (size_t k = 0; k < p->nsockets; k++) {
        const struct audit_socket *s = &p->sockets[k];
        bool v6 = strchr(s->address, ':') != NULL;
        fprintf(out, "      listens %s %s%s%s:%u%s", s->tcp ? "tcp" : "udp", v6 ? "[" : "",
                s->address, v6 ? "]" : "", s->port, s->loopback_only ? " (loopback only)" : "");
        if (s->probed)
            say(out, " -> %s", s->verdict);
        fputc('\n', out);
    }
}

static void text_processes(FILE *out, const struct audit_findings *f, const struct host_output *o)
{
    size_t shown = 0;
    for (size_t i = 0; i < f->nprocesses; i++) {
        const struct audit_process *p = &f->processes[i];
        bool restart = p->maps_vulnerable || p->maps_stale;
        if (!restart && !o->verbose && p->ncopies == 0)
            continue; /* listens, but runs no OpenSSL: shown with -v */
        if (shown++ == 0)
            fprintf(out, "\nProcesses using TLS libraries\n");
        text_process(out, p, o);
    }
    if (f->unseen_processes)
        fprintf(out, "  (%u process%s could not be inspected%s)\n", f->unseen_processes,
                f->unseen_processes == 1 ? "" : "es", f->root ? "" : ": run as root to see them");
}

static void text_certs(FILE *out, const struct audit_findings *f, const struct host_output *o)
{
    size_t shown = 0;
    for (size_t i = 0; i < f->ncerts; i++) {
        const struct audit_cert *c = &f->certs[i];
        if (!o->verbose && !c->service[0] && !c->exposed_while_vulnerable)
            continue; /* not named by a server's configuration: shown with -v */
        if (shown++ == 0)
            fprintf(out, "\nCertificates and keys in use\n");
        say(out, "  %s%s %s\n", c->exposed_while_vulnerable ? "ROTATE " : "",
            c->service[0] ? c->service : "-", c->cert_path[0] ? c->cert_path : c->key_path);
        say(out, "      %s, since %s, key sha256 ", c->subject[0] ? c->subject : "?",
            c->not_before[0] ? c->not_before : "?");
        fprintf(out, "%.16s...\n", c->spki_sha256);
        if (c->key_age != KEY_AGE_UNKNOWN) {
            char when[40];
            local_iso8601(c->key_mtime, when, sizeof when);
            fprintf(out, "      key file changed %s: %s the fix%s\n", when,
                    c->key_age == KEY_AGE_BEFORE_FIX ? "BEFORE" : "after",
                    c->key_age == KEY_AGE_BEFORE_FIX ? ", ROTATE" : "");
        }
    }
    if (shown && f->fix.known) {
        char when[40];
        local_iso8601(f->fix.when, when, sizeof when);
        say(out, "  (the fix: %s %s, installed ", f->fix.package, f->fix.version);
        fprintf(out, "%s, from the dpkg log)\n", when);
    }
}

static void text_plan(FILE *out, const struct host_plan *plan)
{
    if (plan->nsteps == 0) {
        fprintf(out, "\nNothing to do: no vulnerable OpenSSL in use on this machine.\n");
        return;
    }
    fprintf(out, "\nWhat to do, in this order\n");
    for (size_t i = 0; i < plan->nsteps; i++) {
        const struct plan_step *s = &plan->steps[i];
        fprintf(out, "  %zu. %s ", i + 1, host_plan_action_name(s->action));
        say(out, "%s\n      %s\n", s->subject, s->why);
        if (s->command[0])
            say(out, "      $ %s\n", s->command);
    }
}

static void host_text(FILE *out, const struct audit_findings *f, const struct host_plan *plan,
                      const struct host_output *o)
{
    bool image = strcmp(f->root_dir, "/") != 0;
    say(out, "heartcheck host: %s", f->hostname);
    if (image)
        say(out, " (image at %s)", f->root_dir);
    fputs("\n\n", out);
    text_copies(out, f, o);
    text_processes(out, f, o);
    if (f->nprograms)
        fprintf(out, "\nPrograms linking libssl or libcrypto: %zu%s\n", f->nprograms,
                o->verbose ? "" : " (list with -v)");
    for (size_t i = 0; o->verbose && i < f->nprograms; i++)
        say(out, "  %s%s%s\n", f->programs[i].path, f->programs[i].package[0] ? "  package " : "",
            f->programs[i].package);
    text_certs(out, f, o);
    text_plan(out, plan);
    if (!f->root && !image)
        fprintf(out, "\nNot run as root: other users' processes, sockets and keys were not "
                     "visible.\n");
}

void host_report(FILE *out, const struct audit_findings *f, const struct host_plan *plan,
                 const struct host_output *o)
{
    if (o->json)
        host_json(out, f, plan);
    else
        host_text(out, f, plan, o);
    fflush(out);
}
