#include "engine/engine.h"
#include "host/audit.h"
#include "host/copies.h"
#include "host/pkgdb.h"
#include "host/procs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static bool wanted_pid(const struct host_options *o, pid_t pid)
{
    if (o->npids == 0)
        return true;
    for (size_t i = 0; i < o->npids; i++)
        if (o->pids[i] == pid)
            return true;
    return false;
}

static bool same_file(const struct audit_copy *c, const struct host_mapping *m)
{
    return major((dev_t)c->dev) == m->dev_major && minor((dev_t)c->dev) == m->dev_minor &&
           c->ino == m->inode;
}

/* The copy a mapping runs: the one on disk when it is still that file, else a "mapped" copy
 * read through map_files (one per device and inode, however many processes run it). */
static long copy_of_mapping(struct audit *a, const struct host_mapping *m)
{
    bool stale = m->deleted || m->replaced;
    for (size_t i = 0; i < a->f.ncopies; i++) {
        const struct audit_copy *c = &a->f.copies[i];
        if (same_file(c, m) && (c->kind == COPY_MAPPED || !stale))
            return (long)i;
    }
    struct audit_copy *c = audit_add_copy(a);
    if (!c)
        return -1;
    c->kind = COPY_MAPPED;
    c->is_libssl = m->kind == HOST_TLS_LIBSSL;
    c->dev = makedev(m->dev_major, m->dev_minor);
    c->ino = m->inode;
    snprintf(c->path, sizeof c->path, "%s%s", m->path, m->deleted ? " (deleted)" : "");
    snprintf(c->read_path, sizeof c->read_path, "%s", m->map_files ? m->map_files : "");
    int fd = c->read_path[0] ? open(c->read_path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    struct banner b = {0};
    if (fd >= 0 && fstat(fd, &st) == 0 && hc_ok(banner_find_fd(fd, (uint64_t)st.st_size, &b)) &&
        b.found) {
        snprintf(c->version, sizeof c->version, "%s", b.version);
        snprintf(c->banner, sizeof c->banner, "%s", b.text);
        c->no_heartbeats = b.no_heartbeats;
    }
    if (fd >= 0)
        close(fd); /* not root: map_files cannot be opened; the copy is known by name only */
    return (long)(c - a->f.copies);
}

static void pair_mapped(struct audit *a, struct audit_process *ap)
{
    struct audit_copy *copies = a->f.copies;
    for (size_t i = 0; i < ap->ncopies; i++)
        for (size_t k = 0; k < ap->ncopies; k++) {
            struct audit_copy *s = &copies[ap->copies[i]], *c = &copies[ap->copies[k]];
            if (s->is_libssl && !c->is_libssl && s->kind == COPY_MAPPED && s->partner < 0 &&
                audit_partners(s, c)) {
                s->partner = (long)ap->copies[k];
                if (c->partner < 0)
                    c->partner = (long)ap->copies[i];
            }
        }
}

/* A listening program that maps no OpenSSL may carry one inside (node, a Go or Rust binary with
 * vendored OpenSSL, an appliance daemon): its executable is read through /proc/PID/exe, which
 * works even when it was replaced. Header quotes ("built with OpenSSL 3.0.x") are not copies. */
static long static_copy_of_exe(struct audit *a, const struct host_process *p)
{
    const char *path = p->exe && p->exe[0] ? p->exe : p->comm;
    for (size_t i = 0; i < a->f.ncopies; i++)
        if (a->f.copies[i].kind == COPY_STATIC && strcmp(a->f.copies[i].path, path) == 0)
            return (long)i;
    int fd = p->exe_proc ? open(p->exe_proc, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    struct banner b = {0};
    bool found = fd >= 0 && fstat(fd, &st) == 0 &&
                 hc_ok(banner_find_fd(fd, (uint64_t)st.st_size, &b)) && b.found && b.library_code;
    if (fd >= 0)
        close(fd);
    if (!found)
        return -1;
    struct audit_copy *c = audit_add_copy(a);
    if (!c)
        return -1;
    c->kind = COPY_STATIC;
    c->is_libssl = true; /* a static copy carries both halves */
    snprintf(c->path, sizeof c->path, "%s", path);
    snprintf(c->version, sizeof c->version, "%s", b.version);
    snprintf(c->banner, sizeof c->banner, "%s", b.text);
    c->no_heartbeats = b.no_heartbeats;
    audit_package(a, c);
    return (long)(c - a->f.copies);
}

static hc_result add_process(struct audit *a, const struct host_process *p, bool listening)
{
    struct audit_findings *f = &a->f;
    if (!audit_grow((void **)&f->processes, f->nprocesses, &a->processes_cap, sizeof *f->processes))
        return HC_RESULT(HC_ERR_NOMEM);
    struct audit_process *ap = &f->processes[f->nprocesses++];
    memset(ap, 0, sizeof *ap);
    ap->pid = p->pid;
    snprintf(ap->comm, sizeof ap->comm, "%s", p->comm);
    snprintf(ap->exe, sizeof ap->exe, "%s", p->exe ? p->exe : "");
    snprintf(ap->unit, sizeof ap->unit, "%s", p->unit);
    snprintf(ap->cmdline, sizeof ap->cmdline, "%s", p->cmdline ? p->cmdline : "");
    for (size_t i = 0; i < p->lib_count; i++) {
        const struct host_mapping *m = &p->libs[i];
        if (m->kind != HOST_TLS_LIBSSL && m->kind != HOST_TLS_LIBCRYPTO)
            continue;
        long idx = copy_of_mapping(a, m);
        if (idx < 0)
            return HC_RESULT(HC_ERR_NOMEM);
        ap = &f->processes[f->nprocesses - 1]; /* copies may have moved, processes not */
        ap->maps_stale |= m->deleted || m->replaced;
        if (ap->ncopies < sizeof ap->copies / sizeof ap->copies[0])
            ap->copies[ap->ncopies++] = (size_t)idx;
    }
    pair_mapped(a, ap);
    if (ap->ncopies == 0 && listening) {
        long idx = static_copy_of_exe(a, p);
        ap = &f->processes[f->nprocesses - 1];
        if (idx >= 0)
            ap->copies[ap->ncopies++] = (size_t)idx;
    }
    return HC_SUCCESS;
}

static struct audit_process *process_by_pid(struct audit *a, pid_t pid)
{
    for (size_t i = 0; i < a->f.nprocesses; i++)
        if (a->f.processes[i].pid == pid)
            return &a->f.processes[i];
    return NULL;
}

static void to_audit_socket(const struct host_socket *s, struct audit_socket *out)
{
    memset(out, 0, sizeof *out);
    out->tcp = s->proto == HOST_PROTO_TCP;
    snprintf(out->address, sizeof out->address, "%s", s->addr_text);
    out->port = s->port;
    out->loopback_only = s->loopback_only;
}

static hc_result append_socket(struct audit_socket **list, size_t *n, const struct host_socket *s)
{
    struct audit_socket *grown = realloc(*list, (*n + 1) * sizeof *grown);
    HC_ENSURE(grown, HC_ERR_NOMEM);
    *list = grown;
    to_audit_socket(s, &grown[(*n)++]);
    return HC_SUCCESS;
}

static hc_result attach_sockets(struct audit *a, const struct host_socket_list *sl)
{
    struct audit_findings *f = &a->f;
    for (size_t i = 0; i < sl->count; i++) {
        const struct host_socket *s = &sl->items[i];
        if (s->pid_count == 0) {
            if (a->opt->npids == 0) /* unowned sockets belong to no chosen process */
                HC_TRY(append_socket(&f->unowned_sockets, &f->nunowned, s));
            continue;
        }
        for (size_t k = 0; k < s->pid_count; k++) {
            struct audit_process *p = process_by_pid(a, s->pids[k]);
            if (p)
                HC_TRY(append_socket(&p->sockets, &p->nsockets, s));
        }
    }
    return HC_SUCCESS;
}

static bool listens(const struct host_socket_list *sl, pid_t pid)
{
    for (size_t i = 0; i < sl->count; i++)
        for (size_t k = 0; k < sl->items[i].pid_count; k++)
            if (sl->items[i].pids[k] == pid)
                return true;
    return false;
}

static bool maps_openssl(const struct host_process *p)
{
    for (size_t i = 0; i < p->lib_count; i++)
        if (p->libs[i].kind == HOST_TLS_LIBSSL || p->libs[i].kind == HOST_TLS_LIBCRYPTO)
            return true;
    return false;
}

hc_result audit_processes(struct audit *a)
{
    struct host_proc_list pl;
    struct host_socket_list sl;
    memset(&pl, 0, sizeof pl);
    memset(&sl, 0, sizeof sl);
    hc_result r = host_procs_scan("/proc", &pl);
    if (hc_ok(r))
        r = host_sockets_scan("/proc", &sl);
    a->f.unseen_processes = (unsigned)(pl.denied + pl.vanished);
    for (size_t i = 0; hc_ok(r) && i < pl.count; i++) {
        const struct host_process *p = &pl.items[i];
        if (p->pid == getpid())
            continue; /* heartcheck maps OpenSSL 3 itself */
        bool listening = listens(&sl, p->pid);
        if (wanted_pid(a->opt, p->pid) && (maps_openssl(p) || listening))
            r = add_process(a, p, listening);
    }
    if (hc_ok(r))
        r = attach_sockets(a, &sl);
    host_sockets_free(&sl);
    host_procs_free(&pl);
    return r;
}

/* ---- the self-scan: each listening TCP socket of a TLS process, probed like `scan` ---- */

struct self_scan {
    struct audit *a;
    size_t process, socket; /* the next socket to offer */
};

static bool should_probe(const struct audit *a, const struct audit_process *p,
                         const struct audit_socket *s)
{
    return s->tcp && (p->ncopies > 0 || a->opt->probe_all);
}

/* Wildcard sockets are reached on loopback: the probe never leaves the machine. */
static void socket_target(const struct audit_socket *s, struct target *t)
{
    memset(t, 0, sizeof *t);
    const char *host = s->address;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(t->host, sizeof t->host, "%s", host);
    t->family = strchr(host, ':') ? AF_INET6 : AF_INET;
    t->port = s->port;
    snprintf(t->spec, sizeof t->spec, t->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, s->port);
}

static bool already_probed(const struct self_scan *ss, const struct audit_socket *s)
{
    for (size_t i = 0; i <= ss->process && i < ss->a->f.nprocesses; i++) {
        const struct audit_process *p = &ss->a->f.processes[i];
        size_t end = i == ss->process ? ss->socket : p->nsockets;
        for (size_t k = 0; k < end; k++)
            if (should_probe(ss->a, p, &p->sockets[k]) && p->sockets[k].port == s->port &&
                strcmp(p->sockets[k].address, s->address) == 0)
                return true;
    }
    return false;
}

static bool next_socket(void *ctx, struct target *out)
{
    struct self_scan *ss = ctx;
    struct audit_findings *f = &ss->a->f;
    for (; ss->process < f->nprocesses; ss->process++, ss->socket = 0) {
        struct audit_process *p = &f->processes[ss->process];
        for (; ss->socket < p->nsockets; ss->socket++) {
            struct audit_socket *s = &p->sockets[ss->socket];
            if (should_probe(ss->a, p, s) && !already_probed(ss, s)) {
                socket_target(s, out);
                ss->socket++;
                return true;
            }
        }
    }
    return false;
}

/* Every socket on that address and port gets the result: processes share sockets. */
static void on_socket_result(void *ctx, const struct engine_outcome *o)
{
    struct self_scan *ss = ctx;
    struct audit_findings *f = &ss->a->f;
    for (size_t i = 0; i < f->nprocesses; i++)
        for (size_t k = 0; k < f->processes[i].nsockets; k++) {
            struct audit_socket *s = &f->processes[i].sockets[k];
            struct target t;
            socket_target(s, &t);
            if (!s->tcp || t.port != o->target->port || strcmp(t.host, o->target->host))
                continue;
            s->probed = true;
            snprintf(s->verdict, sizeof s->verdict, "%s", probe_verdict_name(o->result->verdict));
            snprintf(s->reason, sizeof s->reason, "%s", o->result->reason);
        }
}

hc_result audit_self_scan(struct audit *a)
{
    struct engine_config cfg = {
        .timeout_ms = a->opt->timeout_ms,
        .followup_ms = 100,
        .max_version = TLS_VERSION_TLS12,
        .concurrency = 64,
        .sni = false,
        .starttls_auto = true, /* a mail or database server's port speaks its own protocol */
    };
    struct self_scan ss = {.a = a};
    bool interrupted = false;
    return engine_run(&cfg, next_socket, &ss, on_socket_result, &ss, &interrupted);
}

void audit_mark_processes(struct audit *a)
{
    for (size_t i = 0; i < a->f.nprocesses; i++) {
        struct audit_process *p = &a->f.processes[i];
        for (size_t k = 0; k < p->ncopies; k++)
            p->maps_vulnerable |= a->f.copies[p->copies[k]].verdict == HOST_VULNERABLE;
        bool by_copy = p->maps_vulnerable;
        for (size_t k = 0; k < p->nsockets; k++)
            p->maps_vulnerable |=
                p->sockets[k].probed && !strcmp(p->sockets[k].verdict, "vulnerable");
        p->answers_probe = p->maps_vulnerable && !by_copy;
    }
}

hc_result audit_programs(struct audit *a)
{
    struct host_linker_list l;
    memset(&l, 0, sizeof l);
    hc_result r = host_linkers_scan(a->opt->root, &l);
    struct audit_findings *f = &a->f;
    for (size_t i = 0; hc_ok(r) && i < l.count; i++) {
        if (!audit_grow((void **)&f->programs, f->nprograms, &a->programs_cap,
                        sizeof *f->programs)) {
            r = HC_RESULT(HC_ERR_NOMEM);
            break;
        }
        struct audit_program *prog = &f->programs[f->nprograms++];
        snprintf(prog->path, sizeof prog->path, "%s", l.items[i].path);
        const struct pkgdb_package *pkg = a->db ? pkgdb_owner(a->db, prog->path) : NULL;
        snprintf(prog->package, sizeof prog->package, "%s", pkg ? pkg->name : "");
    }
    host_linkers_free(&l);
    return r;
}
