/* running.c: a child of the test that loads copies of this machine's libssl and libcrypto,
 * listens on 127.0.0.1 and then has those copies deleted is found by audit_processes (and only
 * it: the pid filter), with stale mapped copies and its loopback socket; the self-scan probes
 * that socket alone (the child answers like an FTP server, not TLS); processes are marked from
 * hand-made findings; programs linking libssl are found in a synthetic root.
 *
 * Network safety: the only socket probed is the child's own, on 127.0.0.1, and the pid filter
 * is checked to have left nothing else before the probe runs. */
#include "unit.h"

#include "host/audit.h"
#include "support/tree.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYSTEM_LIBS "/usr/lib/x86_64-linux-gnu/"

struct child {
    pid_t pid;
    int ctl;       /* closing it tells the child to exit */
    uint16_t port; /* where it listens on 127.0.0.1 */
    struct tree t; /* held the library copies, deleted once loaded */
    char ssl[PATH_MAX], crypto[PATH_MAX];
};

static struct child C = {.pid = -1, .ctl = -1};

/* The child: loads the copies, listens, reports its port, answers every connection with an
 * FTP greeting until ctl closes. Never returns. */
static void child_main(int report, int ctl)
{
    uint16_t port = 0;
    int l = -1;
    if (dlopen(C.crypto, RTLD_NOW | RTLD_LOCAL) && dlopen(C.ssl, RTLD_NOW | RTLD_LOCAL)) {
        l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        if (l >= 0 && bind(l, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(l, 8) == 0 &&
            getsockname(l, (struct sockaddr *)&sa, &len) == 0)
            port = ntohs(sa.sin_port);
    }
    if (write(report, &port, sizeof port) != sizeof port || port == 0)
        _exit(1);
    close(report);
    for (;;) {
        struct pollfd p[2] = {{.fd = l, .events = POLLIN}, {.fd = ctl, .events = POLLIN}};
        if (poll(p, 2, 30000) <= 0 || p[1].revents)
            _exit(0); /* the parent closed ctl, or is gone */
        int c = accept(l, NULL, NULL);
        if (c >= 0) {
            static const char greeting[] = "220 ftp.example.com FTP server ready\r\n";
            ssize_t n = write(c, greeting, sizeof greeting - 1);
            (void)n;
            close(c);
        }
    }
}

static int start_child(void **state)
{
    (void)state;
    if (access(SYSTEM_LIBS "libssl.so.3", R_OK) != 0 || !tree_create(&C.t, "running"))
        return 0; /* the tests that need the child skip */
    tree_copy_file(&C.t, SYSTEM_LIBS "libssl.so.3", "/lib/libssl.so.3");
    tree_copy_file(&C.t, SYSTEM_LIBS "libcrypto.so.3", "/lib/libcrypto.so.3");
    tree_path(&C.t, "/lib/libssl.so.3", C.ssl, sizeof C.ssl);
    tree_path(&C.t, "/lib/libcrypto.so.3", C.crypto, sizeof C.crypto);
    int report[2], ctl[2];
    if (pipe2(report, O_CLOEXEC) != 0 || pipe2(ctl, O_CLOEXEC) != 0)
        return -1;
    fflush(NULL);
    C.pid = fork();
    if (C.pid < 0)
        return -1;
    if (C.pid == 0) {
        close(report[0]);
        close(ctl[1]);
        child_main(report[1], ctl[0]);
    }
    close(report[1]);
    close(ctl[0]);
    C.ctl = ctl[1];
    struct pollfd p = {.fd = report[0], .events = POLLIN};
    uint16_t port = 0;
    if (poll(&p, 1, 10000) == 1 && read(report[0], &port, sizeof port) == sizeof port)
        C.port = port;
    close(report[0]);
    /* The copies stay mapped in the child; on disk they are gone. */
    tree_remove(&C.t);
    return C.port ? 0 : -1;
}

static int stop_child(void **state)
{
    (void)state;
    if (C.ctl >= 0)
        close(C.ctl);
    if (C.pid > 0) {
        int status;
        struct pollfd none = {.fd = -1};
        for (int i = 0; i < 100 && waitpid(C.pid, &status, WNOHANG) == 0; i++)
            poll(&none, 0, 20);
        if (waitpid(C.pid, &status, WNOHANG) == 0) {
            kill(C.pid, SIGKILL);
            waitpid(C.pid, &status, 0);
        }
    }
    tree_remove(&C.t);
    C.pid = -1;
    C.ctl = -1;
    return 0;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static long copy_ending(const struct audit *a, const struct audit_process *p, const char *tail)
{
    for (size_t i = 0; i < p->ncopies; i++)
        if (ends_with(a->f.copies[p->copies[i]].path, tail))
            return (long)p->copies[i];
    return -1;
}

/* Runs audit_processes for the child alone and checks what it saw. */
static void child_processes(struct audit *a)
{
    assert_success(audit_processes(a));
    assert_int_equal(a->f.nprocesses, 1);
    assert_int_equal(a->f.nunowned, 0); /* with a pid filter, no unowned sockets */
    const struct audit_process *p = &a->f.processes[0];
    assert_int_equal(p->pid, C.pid);
    assert_true(p->maps_stale);
    assert_false(p->maps_vulnerable); /* nothing decided yet */
    assert_int_equal(p->nsockets, 1);
    const struct audit_socket *s = &p->sockets[0];
    assert_true(s->tcp);
    assert_string_equal(s->address, "127.0.0.1");
    assert_int_equal(s->port, C.port);
    assert_true(s->loopback_only);
    assert_false(s->probed);
}

static void test_processes_child(void **state)
{
    (void)state;
    if (C.pid <= 0)
        skip();
    int pids[] = {C.pid};
    struct host_options opt = {.root = "/", .pids = pids, .npids = 1, .timeout_ms = 2000};
    struct audit a = {.opt = &opt};
    child_processes(&a);
    const struct audit_process *p = &a.f.processes[0];
    for (size_t i = 0; i < p->ncopies; i++) {
        const struct audit_copy *c = &a.f.copies[p->copies[i]];
        print_message("copy %zu: %s kind %d libssl %d partner %ld version %s read %s\n",
                      p->copies[i], c->path, c->kind, c->is_libssl, c->partner, c->version,
                      c->read_path);
    }
    char ssl_deleted[PATH_MAX + 16], crypto_deleted[PATH_MAX + 16];
    snprintf(ssl_deleted, sizeof ssl_deleted, "%s (deleted)", C.ssl);
    snprintf(crypto_deleted, sizeof crypto_deleted, "%s (deleted)", C.crypto);
    long s = copy_ending(&a, p, ssl_deleted), c = copy_ending(&a, p, crypto_deleted);
    assert_true(s >= 0 && c >= 0);
    const struct audit_copy *ssl = &a.f.copies[s], *crypto = &a.f.copies[c];
    assert_int_equal(ssl->kind, COPY_MAPPED);
    assert_int_equal(crypto->kind, COPY_MAPPED);
    assert_true(ssl->is_libssl);
    assert_false(crypto->is_libssl);
    assert_true(ssl->ino != 0);
    /* The deleted libssl goes with the deleted libcrypto it was loaded with. */
    assert_int_equal(ssl->partner, c);
    assert_int_equal(crypto->partner, s);
    if (geteuid() == 0) {
        /* map_files: the bytes the child runs, banner and all. */
        assert_non_null(strstr(crypto->read_path, "/map_files/"));
        assert_int_equal(strncmp(crypto->version, "3.", 2), 0);
    }
    /* The libraries the test binary itself links are mapped too, and not stale. */
    long sys = copy_ending(&a, p, SYSTEM_LIBS "libssl.so.3");
    if (sys >= 0)
        assert_int_equal(a.f.copies[sys].kind, COPY_MAPPED);

    /* Decided by version (OpenSSL 3): not vulnerable, yet the child must restart. */
    audit_decide(&a);
    audit_mark_processes(&a);
    assert_false(a.f.processes[0].maps_vulnerable);
    assert_true(a.f.processes[0].maps_stale);
    audit_free(&a);
}

/* A pid filter naming no process leaves nothing, and no unowned socket of anyone else. */
static void test_processes_filter(void **state)
{
    (void)state;
    int pids[] = {getpid(), 0x3ffffffe};
    struct host_options opt = {.root = "/", .pids = pids, .npids = 2};
    struct audit a = {.opt = &opt};
    assert_success(audit_processes(&a));
    assert_int_equal(a.f.nprocesses, 0); /* our own pid is skipped on purpose */
    assert_int_equal(a.f.nunowned, 0);
    audit_free(&a);
}

/* The child's socket, and only it, is probed: it is no TLS server. */
static void test_self_scan_child(void **state)
{
    (void)state;
    if (C.pid <= 0)
        skip();
    int pids[] = {C.pid};
    struct host_options opt = {.root = "/", .pids = pids, .npids = 1, .timeout_ms = 2000};
    struct audit a = {.opt = &opt};
    child_processes(&a);
    /* The targets the self-scan will offer: the child's single loopback socket. */
    size_t targets = 0;
    for (size_t i = 0; i < a.f.nprocesses; i++) {
        assert_int_equal(a.f.processes[i].pid, C.pid);
        for (size_t k = 0; k < a.f.processes[i].nsockets; k++) {
            const struct audit_socket *s = &a.f.processes[i].sockets[k];
            assert_int_equal(s->port, C.port);
            assert_true(s->loopback_only);
            targets++;
        }
    }
    assert_int_equal(targets, 1);
    assert_int_equal(a.f.nunowned, 0);
    assert_success(audit_self_scan(&a));
    const struct audit_socket *s = &a.f.processes[0].sockets[0];
    print_message("self-scan: %s: %s\n", s->verdict, s->reason);
    assert_true(s->probed);
    assert_true(strcmp(s->verdict, "not_tls") == 0 || strcmp(s->verdict, "inconclusive") == 0);
    assert_true(s->reason[0] != '\0');
    audit_mark_processes(&a);
    assert_false(a.f.processes[0].maps_vulnerable);
    assert_false(a.f.processes[0].answers_probe);
    audit_free(&a);
}

/* Nothing to probe: the scan returns at once. */
static void test_self_scan_nothing(void **state)
{
    (void)state;
    struct host_options opt = {.root = "/", .timeout_ms = 500};
    struct audit a = {.opt = &opt};
    assert_success(audit_self_scan(&a));
    audit_free(&a);
}

/* ---- marking processes from hand-made findings ------------------------------------------- */

static void test_mark_processes(void **state)
{
    (void)state;
    struct host_options opt = {.root = "/"};
    struct audit a = {.opt = &opt};
    struct audit_copy *c = audit_add_copy(&a);
    assert_non_null(c);
    c->verdict = HOST_VULNERABLE;
    c = audit_add_copy(&a);
    assert_non_null(c);
    c->verdict = HOST_PATCHED;
    static struct audit_socket vulnerable_socket = {
        .tcp = true, .port = 443, .probed = true, .verdict = "vulnerable"};
    static struct audit_socket refused_socket = {
        .tcp = true, .port = 25, .probed = true, .verdict = "not_vulnerable"};
    static struct audit_socket unprobed_socket = {
        .tcp = true, .port = 993, .verdict = "vulnerable"};
    struct audit_process procs[5];
    memset(procs, 0, sizeof procs);
    /* 0: maps the vulnerable copy */
    procs[0].copies[0] = 1;
    procs[0].copies[1] = 0;
    procs[0].ncopies = 2;
    /* 1: maps the patched copy, its socket answered vulnerable: its own TLS code */
    procs[1].copies[0] = 1;
    procs[1].ncopies = 1;
    procs[1].sockets = &vulnerable_socket;
    procs[1].nsockets = 1;
    /* 2: vulnerable copy and vulnerable socket: the copy explains it */
    procs[2].copies[0] = 0;
    procs[2].ncopies = 1;
    procs[2].sockets = &vulnerable_socket;
    procs[2].nsockets = 1;
    /* 3: patched copy, refused heartbeats */
    procs[3].copies[0] = 1;
    procs[3].ncopies = 1;
    procs[3].sockets = &refused_socket;
    procs[3].nsockets = 1;
    /* 4: a verdict that was never probed does not count */
    procs[4].sockets = &unprobed_socket;
    procs[4].nsockets = 1;
    a.f.processes = procs;
    a.f.nprocesses = 5;
    audit_mark_processes(&a);
    assert_true(procs[0].maps_vulnerable);
    assert_false(procs[0].answers_probe);
    assert_true(procs[1].maps_vulnerable);
    assert_true(procs[1].answers_probe);
    assert_true(procs[2].maps_vulnerable);
    assert_false(procs[2].answers_probe);
    assert_false(procs[3].maps_vulnerable);
    assert_false(procs[3].answers_probe);
    assert_false(procs[4].maps_vulnerable);
    a.f.processes = NULL; /* on the stack */
    a.f.nprocesses = 0;
    audit_free(&a);
}

/* ---- programs ----------------------------------------------------------------------------- */

static void test_programs(void **state)
{
    (void)state;
    if (access("/usr/bin/openssl", R_OK) != 0)
        skip();
    struct tree t;
    assert_true(tree_create(&t, "programs"));
    tree_copy_file(&t, "/usr/bin/openssl", "/usr/bin/openssl");
    tree_write_text(&t, "/usr/bin/script", "#!/bin/sh\nexec openssl \"$@\"\n");
    tree_fake_openssl(&t, "/usr/sbin/fake", "OpenSSL 1.0.1f 6 Jan 2014", true, false);
    struct host_options opt = {.root = t.root};
    struct audit a = {.opt = &opt};
    assert_success(audit_programs(&a));
    for (size_t i = 0; i < a.f.nprograms; i++)
        print_message("program: %s\n", a.f.programs[i].path);
    assert_int_equal(a.f.nprograms, 1);
    assert_string_equal(a.f.programs[0].path, "/usr/bin/openssl");
    audit_free(&a);

    /* An empty root: nothing; a missing one: an error. */
    tree_remove(&t);
    assert_true(tree_create(&t, "programs"));
    a = (struct audit){.opt = &opt};
    opt.root = t.root;
    assert_success(audit_programs(&a));
    assert_int_equal(a.f.nprograms, 0);
    audit_free(&a);
    tree_remove(&t);
    opt.root = "/does/not/exist/hc";
    a = (struct audit){.opt = &opt};
    assert_false(hc_ok(audit_programs(&a)));
    audit_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_processes_child),
        cmocka_unit_test(test_processes_filter),
        cmocka_unit_test(test_mark_processes),
        cmocka_unit_test(test_programs),
        cmocka_unit_test(test_self_scan_nothing),
        /* Last: the engine's threads start here, after the only fork. */
        cmocka_unit_test(test_self_scan_child),
    };
    return cmocka_run_group_tests(tests, start_child, stop_child);
}
