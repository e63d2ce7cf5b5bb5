#include "host/host.h"
#include "host/audit.h"
#include "host/behave.h"
#include "host/pkgdb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_NOTHING_TO_DO = 0, EXIT_ACTION_NEEDED = 1, EXIT_FAILED = 2 };

__attribute__((format(printf, 2, 3))) static void warn(struct audit *a, const char *fmt, ...)
{
    a->warnings++;
    if (a->opt->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("heartcheck: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool is_live(const struct host_options *o) { return strcmp(o->root, "/") == 0; }

/* The image's own name when auditing one, this machine's otherwise. */
static void find_hostname(struct audit *a)
{
    char *name = a->f.hostname;
    size_t cap = sizeof a->f.hostname;
    if (is_live(a->opt)) {
        if (gethostname(name, cap) != 0)
            snprintf(name, cap, "localhost");
        name[cap - 1] = '\0';
        return;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/etc/hostname", a->opt->root);
    FILE *fp = fopen(path, "re");
    if (!fp || !fgets(name, (int)cap, fp))
        snprintf(name, cap, "%s", a->opt->root);
    name[strcspn(name, "\r\n")] = '\0';
    if (fp)
        fclose(fp);
}

static hc_result start(struct audit *a)
{
    const struct host_options *o = a->opt;
    struct stat st;
    if (stat(o->root, &st) != 0) {
        fprintf(stderr, "heartcheck: --root %s: %s\n", o->root, strerror(errno));
        return HC_RESULT(HC_ERR_USAGE);
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "heartcheck: --root %s: not a directory\n", o->root);
        return HC_RESULT(HC_ERR_USAGE);
    }
    for (size_t i = 0; i < o->ndeep; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s%s", is_live(o) ? "" : o->root, o->deep[i]);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "heartcheck: --deep %s: not a directory%s%s\n", o->deep[i],
                    is_live(o) ? "" : " under ", is_live(o) ? "" : o->root);
            return HC_RESULT(HC_ERR_USAGE);
        }
    }
    snprintf(a->f.root_dir, sizeof a->f.root_dir, "%s", o->root);
    a->f.root = geteuid() == 0;
    find_hostname(a);
    if (!a->f.root && is_live(o))
        warn(a, "not running as root: other users' processes, sockets and keys stay unseen, "
                "and libraries that processes still run after deletion cannot be tested");
    if (!hc_ok(pkgdb_open(o->root, &a->db)))
        warn(a, "no package database under %s: packages and back-ports unknown", o->root);
    if (!o->no_probe && !hc_ok(behave_keys_new(&a->keys)))
        warn(a, "cannot make the throw-away key for the behavioural test; versions only");
    return HC_SUCCESS;
}

/* Each collector's failure is reported and the audit goes on with what the others found. */
static void collect(struct audit *a, hc_result r, const char *what)
{
    if (!hc_ok(r))
        warn(a, "%s: %s", what, hc_error_message(r.error));
}

static void run_collectors(struct audit *a)
{
    const struct host_options *o = a->opt;
    collect(a, audit_shared_copies(a), "shared libraries");
    collect(a, audit_static_copies(a), "--deep");
    if (is_live(o))
        collect(a, audit_processes(a), "processes");
    /* The behavioural test forks: before the self-scan starts libuv's threads. */
    audit_behaviour(a);
    audit_decide(a);
    collect(a, audit_programs(a), "programs");
    collect(a, audit_certificates(a), "certificates");
    if (is_live(o) && !o->no_probe)
        collect(a, audit_self_scan(a), "self-scan");
    audit_mark_processes(a);
    audit_mark_certificates(a);
    collect(a, audit_key_ages(a), "key ages");
}

static int exit_status(const struct audit_findings *f)
{
    for (size_t i = 0; i < f->ncopies; i++)
        if (f->copies[i].verdict == HOST_VULNERABLE)
            return EXIT_ACTION_NEEDED;
    for (size_t i = 0; i < f->nprocesses; i++)
        if (f->processes[i].maps_vulnerable || f->processes[i].maps_stale)
            return EXIT_ACTION_NEEDED;
    return EXIT_NOTHING_TO_DO;
}

void audit_free(struct audit *a)
{
    struct audit_findings *f = &a->f;
    for (size_t i = 0; i < f->nprocesses; i++)
        free(f->processes[i].sockets);
    free(f->processes);
    free(f->copies);
    free(f->programs);
    free(f->certs);
    free(f->unowned_sockets);
    pkgdb_free(a->db);
    behave_keys_free(a->keys);
    memset(a, 0, sizeof *a);
}

int host_run(const struct host_options *o)
{
    struct audit a = {.opt = o};
    if (!hc_ok(start(&a))) {
        audit_free(&a);
        return EXIT_FAILED;
    }
    run_collectors(&a);
    struct host_plan plan;
    int status = EXIT_FAILED;
    if (host_plan_build(&a.f, &plan) == 0) {
        struct host_output out = {.json = o->json, .verbose = o->verbose, .color = o->color};
        host_report(stdout, &a.f, &plan, &out);
        host_plan_free(&plan);
        status = exit_status(&a.f);
    } else {
        fprintf(stderr, "heartcheck: out of memory\n");
    }
    audit_free(&a);
    return status;
}
