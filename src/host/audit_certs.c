#include "host/audit.h"
#include "host/certs.h"
#include "host/pkgdb.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Process names that serve each configuration's service. */
static const struct {
    const char *service;
    const char *comms[4];
} service_processes[] = {
    {"nginx", {"nginx"}},
    {"apache", {"apache2", "httpd"}},
    {"postfix", {"master", "smtpd", "tlsmgr"}},
    {"dovecot", {"dovecot", "imap-login", "pop3-login"}},
    {"mariadb", {"mariadbd", "mysqld"}},
};

static bool serves(const char *service, const char *comm)
{
    for (size_t i = 0; i < sizeof service_processes / sizeof service_processes[0]; i++) {
        if (strcmp(service_processes[i].service, service) != 0)
            continue;
        for (size_t k = 0; k < 4 && service_processes[i].comms[k]; k++)
            if (strcmp(service_processes[i].comms[k], comm) == 0)
                return true;
    }
    return false;
}

/* A running nginx may name its configuration on its command line (nginx -c FILE). */
static void nginx_command_line_configs(struct audit *a, struct host_tls_refs *refs)
{
    for (size_t i = 0; i < a->f.nprocesses; i++) {
        const struct audit_process *p = &a->f.processes[i];
        const char *c = strstr(p->cmdline, " -c ");
        if (strcmp(p->comm, "nginx") != 0 || !c)
            continue;
        char path[PATH_MAX];
        if (sscanf(c + 4, "%4095s", path) != 1)
            continue;
        FILE *fp = fopen(path, "re");
        if (!fp)
            continue;
        static char text[1 << 20];
        size_t n = fread(text, 1, sizeof text, fp);
        fclose(fp);
        if (!hc_ok(host_tlsconf_parse_text(HOST_TLS_NGINX, "/", path, text, n, refs)))
            continue;
    }
}

static struct audit_cert *add_cert(struct audit *a)
{
    struct audit_findings *f = &a->f;
    if (!audit_grow((void **)&f->certs, f->ncerts, &a->certs_cap, sizeof *f->certs))
        return NULL;
    struct audit_cert *c = &f->certs[f->ncerts++];
    memset(c, 0, sizeof *c);
    return c;
}

static void describe(struct audit_cert *c, const struct host_tls_file *cert,
                     const struct host_tls_file *key)
{
    const struct host_tls_file *dated = key && key->status == HOST_FILE_OK ? key : cert;
    if (dated && dated->status == HOST_FILE_OK)
        c->key_mtime = dated->mtime; /* a key is as old as the file that holds it */
    if (cert && cert->cert_count > 0) {
        const struct tls_cert_info *info = &cert->certs[0].info;
        snprintf(c->subject, sizeof c->subject, "%s", info->subject);
        snprintf(c->not_before, sizeof c->not_before, "%s", info->not_before);
        report_hex(info->spki_sha256, sizeof info->spki_sha256, c->spki_sha256);
    } else if (key && key->key_count > 0 && key->keys[0].status == HOST_KEY_OK) {
        report_hex(key->keys[0].spki_sha256, sizeof key->keys[0].spki_sha256, c->spki_sha256);
    }
}

static hc_result add_referenced(struct audit *a, const struct host_tls_refs *refs,
                                const struct host_tls_files *files)
{
    for (size_t i = 0; i < refs->count; i++) {
        const struct host_tls_ref *r = &refs->items[i];
        struct audit_cert *c = add_cert(a);
        HC_ENSURE(c, HC_ERR_NOMEM);
        snprintf(c->service, sizeof c->service, "%s", r->service);
        snprintf(c->cert_path, sizeof c->cert_path, "%s", r->cert ? r->cert : "");
        snprintf(c->key_path, sizeof c->key_path, "%s", r->key ? r->key : "");
        describe(c, r->cert ? host_tls_files_find(files, r->cert) : NULL,
                 r->key ? host_tls_files_find(files, r->key) : NULL);
    }
    return HC_SUCCESS;
}

/* Files under /etc/ssl, /etc/pki, /etc/letsencrypt that no configuration names: listed too
 * (another service may use them), except the CA certificates of the trust store. */
static hc_result add_unreferenced(struct audit *a, const struct host_tls_files *files)
{
    for (size_t i = 0; i < files->count; i++) {
        const struct host_tls_file *file = &files->items[i];
        bool leaf = file->cert_count > 0 && !file->certs[0].is_ca;
        if (file->referenced || file->status != HOST_FILE_OK || (!leaf && file->key_count == 0))
            continue;
        struct audit_cert *c = add_cert(a);
        HC_ENSURE(c, HC_ERR_NOMEM);
        snprintf(leaf ? c->cert_path : c->key_path, sizeof c->cert_path, "%s", file->path);
        describe(c, leaf ? file : NULL, leaf ? NULL : file);
    }
    return HC_SUCCESS;
}

hc_result audit_certificates(struct audit *a)
{
    struct host_tls_refs refs;
    struct host_tls_files files;
    memset(&refs, 0, sizeof refs);
    memset(&files, 0, sizeof files);
    hc_result r = host_tlsconf_all(a->opt->root, &refs);
    if (hc_ok(r))
        nginx_command_line_configs(a, &refs);
    if (hc_ok(r))
        r = host_certfiles_scan(a->opt->root, &refs, &files);
    if (hc_ok(r))
        r = add_referenced(a, &refs, &files);
    if (hc_ok(r))
        r = add_unreferenced(a, &files);
    host_tls_files_free(&files);
    host_tls_refs_free(&refs);
    return r;
}

static bool exposed_vulnerable(const struct audit_process *p)
{
    if (!p->maps_vulnerable)
        return false;
    for (size_t i = 0; i < p->nsockets; i++)
        if (!p->sockets[i].loopback_only)
            return true;
    return false;
}

void audit_mark_certificates(struct audit *a)
{
    for (size_t i = 0; i < a->f.ncerts; i++) {
        struct audit_cert *c = &a->f.certs[i];
        for (size_t k = 0; c->service[0] && k < a->f.nprocesses; k++)
            if (serves(c->service, a->f.processes[k].comm) &&
                exposed_vulnerable(&a->f.processes[k]))
                c->exposed_while_vulnerable = true;
    }
}

/* ---- key ages against the fix ---- */

struct version_judge {
    const char *package;
    const char *source;
};

/* The upstream part of a Debian version: no epoch, no revision ("1:1.0.1e-2+deb7u5" -> "1.0.1e").
 */
static void upstream_of(const char *version, char *out, size_t cap)
{
    const char *colon = strchr(version, ':');
    const char *start = colon ? colon + 1 : version;
    const char *dash = strrchr(start, '-');
    size_t n = dash ? (size_t)(dash - start) : strlen(start);
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), start);
}

/* The back-port table first; an affected upstream version it knows no fix for is vulnerable. */
static enum dpkglog_state judge_version(const char *version, void *ctx)
{
    const struct version_judge *j = ctx;
    struct backport_input in = {
        .package = j->package, .source = j->source, .version = version, .kind = PKGDB_DPKG};
    char upstream[128];
    switch (backport_decide(&in, NULL, 0)) {
    case BACKPORT_FIXED:
    case BACKPORT_NOT_NEEDED: return DPKGLOG_VERSION_FIXED;
    case BACKPORT_NOT_FIXED: return DPKGLOG_VERSION_VULNERABLE;
    case BACKPORT_UNKNOWN: break;
    }
    upstream_of(version, upstream, sizeof upstream);
    return backport_upstream_affected(upstream) ? DPKGLOG_VERSION_VULNERABLE
                                                : DPKGLOG_VERSION_UNKNOWN;
}

static bool seen_package(const struct audit *a, size_t upto, const char *package)
{
    for (size_t i = 0; i < upto; i++)
        if (strcmp(a->f.copies[i].package, package) == 0)
            return true;
    return false;
}

/* One libssl package's fix: *pending when the logs show it vulnerable and not fixed since. */
static hc_result package_fix(struct audit *a, const struct audit_copy *c, bool *pending)
{
    const struct pkgdb_package *pkg = pkgdb_find(a->db, c->package);
    struct version_judge j = {.package = c->package, .source = pkg ? pkg->source : NULL};
    struct dpkglog_history h = {0};
    hc_result r = dpkglog_read(a->opt->root, c->package, &h);
    struct dpkglog_fix fix;
    dpkglog_find_fix(&h, judge_version, &j, &fix);
    dpkglog_history_free(&h);
    HC_TRY(r);
    *pending |= fix.vulnerable_seen && !fix.fixed_at;
    struct audit_fix *best = &a->f.fix;
    if (fix.fixed_at && (!best->known || fix.fixed_at > best->when)) {
        best->known = true;
        best->when = fix.fixed_at;
        snprintf(best->package, sizeof best->package, "%s", c->package);
        snprintf(best->version, sizeof best->version, "%s", fix.fixed_version);
    }
    return HC_SUCCESS;
}

hc_result audit_key_ages(struct audit *a)
{
    bool pending = false;
    for (size_t i = 0; a->db && i < a->f.ncopies; i++) {
        const struct audit_copy *c = &a->f.copies[i];
        if (c->is_libssl && c->package[0] && strcmp(c->package_manager, "dpkg") == 0 &&
            !seen_package(a, i, c->package))
            HC_TRY(package_fix(a, c, &pending));
    }
    if (pending) /* not fixed yet: every key is older than a fix to come; the upgrade is first */
        memset(&a->f.fix, 0, sizeof a->f.fix);
    for (size_t i = 0; a->f.fix.known && i < a->f.ncerts; i++) {
        struct audit_cert *c = &a->f.certs[i];
        if (c->service[0] && c->key_mtime) /* in use: named by a server's configuration */
            c->key_age = c->key_mtime < a->f.fix.when ? KEY_AGE_BEFORE_FIX : KEY_AGE_AFTER_FIX;
    }
    return HC_SUCCESS;
}
