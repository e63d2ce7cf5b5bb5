/* collect.c: copies added to the audit, the verdict of each copy from its evidence (behaviour,
 * then build flags, then version, then package), shared copies found in a synthetic Debian 7
 * root with their dpkg owner and back-port evidence, static copies under --deep, and the
 * behavioural proof of this machine's own libssl. */
#include "unit.h"

#include "host/audit.h"
#include "host/behave.h"
#include "host/pkgdb.h"
#include "support/tree.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIBDIR      "/usr/lib/x86_64-linux-gnu"
#define SSL_PATH    LIBDIR "/libssl.so.1.0.0"
#define CRYPTO_PATH LIBDIR "/libcrypto.so.1.0.0"

/* ---- copies by hand ---------------------------------------------------------------------- */

static struct audit_copy *add(struct audit *a, const char *path, bool libssl, const char *version)
{
    struct audit_copy *c = audit_add_copy(a);
    assert_non_null(c);
    c->kind = COPY_SHARED;
    c->is_libssl = libssl;
    snprintf(c->path, sizeof c->path, "%s", path);
    snprintf(c->version, sizeof c->version, "%s", version);
    if (version[0])
        snprintf(c->banner, sizeof c->banner, "OpenSSL %s 6 Jan 2014", version);
    return c;
}

static void test_add_copy(void **state)
{
    (void)state;
    struct host_options opt = {.root = "/"};
    struct audit a = {.opt = &opt};
    for (int i = 0; i < 40; i++) {
        struct audit_copy *c = audit_add_copy(&a);
        assert_non_null(c);
        assert_ptr_equal(c, &a.f.copies[i]);
        assert_int_equal(a.f.ncopies, (size_t)i + 1);
        assert_int_equal(c->partner, -1);
        assert_int_equal(c->verdict, HOST_UNKNOWN);
        assert_int_equal(c->basis, BASIS_NONE);
        assert_string_equal(c->path, "");
        assert_false(c->behaviour_ran);
        snprintf(c->path, sizeof c->path, "/copy/%d", i);
    }
    /* Growing kept what was there. */
    assert_string_equal(a.f.copies[0].path, "/copy/0");
    assert_string_equal(a.f.copies[39].path, "/copy/39");
    audit_free(&a);
    assert_null(a.f.copies);
    assert_int_equal(a.f.ncopies, 0);
}

static void test_grow(void **state)
{
    (void)state;
    int *items = NULL;
    size_t cap = 0;
    assert_true(audit_grow((void **)&items, 0, &cap, sizeof *items));
    assert_int_equal(cap, 16);
    assert_true(audit_grow((void **)&items, 15, &cap, sizeof *items));
    assert_int_equal(cap, 16);
    assert_true(audit_grow((void **)&items, 16, &cap, sizeof *items));
    assert_int_equal(cap, 32);
    items[31] = 7;
    free(items);
}

/* Behaviour beats everything: build flags, version and package. */
static void test_decide_behaviour_first(void **state)
{
    (void)state;
    struct host_options opt = {.root = "/"};
    struct audit a = {.opt = &opt};
    struct audit_copy *c = add(&a, "/lib/libssl.so.1.0.0", true, "1.0.1f");
    c->no_heartbeats = true;
    snprintf(c->package, sizeof c->package, "libssl1.0.0");
    c->package_fixed = true;
    c->behaviour_ran = true;
    c->behaviour_verdict = HOST_VULNERABLE;
    snprintf(c->behaviour, sizeof c->behaviour, "echoed the heartbeat without padding");

    c = add(&a, "/lib/libssl.so.10", true, "1.0.1f");
    c->behaviour_ran = true;
    c->behaviour_verdict = HOST_PATCHED;
    snprintf(c->behaviour, sizeof c->behaviour, "dropped the heartbeat without padding");

    /* The child failed: the other evidence decides. */
    c = add(&a, "/lib/libssl.so.11", true, "1.0.1f");
    c->behaviour_ran = true;
    c->behaviour_verdict = HOST_UNKNOWN;
    snprintf(c->behaviour, sizeof c->behaviour, "child crashed");

    /* Nothing but a failed child: its words are the reason. */
    c = add(&a, "/lib/libssl.so.12", true, "");
    c->behaviour_ran = true;
    c->behaviour_verdict = HOST_UNKNOWN;
    snprintf(c->behaviour, sizeof c->behaviour, "dlopen failed: wrong ELF class");

    audit_decide(&a);
    const struct audit_copy *f = a.f.copies;
    assert_int_equal(f[0].verdict, HOST_VULNERABLE);
    assert_int_equal(f[0].basis, BASIS_BEHAVIOUR);
    assert_string_equal(f[0].reason, "echoed the heartbeat without padding");
    assert_int_equal(f[1].verdict, HOST_PATCHED);
    assert_int_equal(f[1].basis, BASIS_BEHAVIOUR);
    assert_int_equal(f[2].verdict, HOST_VULNERABLE);
    assert_int_equal(f[2].basis, BASIS_VERSION);
    assert_int_equal(f[3].verdict, HOST_UNKNOWN);
    assert_int_equal(f[3].basis, BASIS_NONE);
    assert_string_equal(f[3].reason, "dlopen failed: wrong ELF class");
    audit_free(&a);
}

/* OpenSSL 1.0.x keeps "compiler: ... -DOPENSSL_NO_HEARTBEATS" in libcrypto only; 3.x keeps its
 * banner there: the libssl is judged with its libcrypto's evidence. */
static void test_libssl_inherits_from_libcrypto(void **state)
{
    (void)state;
    struct host_options opt = {.root = "/"};
    struct audit a = {.opt = &opt};
    add(&a, "/lib/libssl.so.1.0.0", true, "1.0.1f");
    add(&a, "/lib/libcrypto.so.1.0.0", false, "1.0.1f")->no_heartbeats = true;
    a.f.copies[0].partner = 1; /* the array may have moved: index, don't keep pointers */
    a.f.copies[1].partner = 0;
    add(&a, "/lib3/libssl.so.3", true, "");
    add(&a, "/lib3/libcrypto.so.3", false, "3.0.19");
    a.f.copies[2].partner = 3;
    a.f.copies[3].partner = 2;
    audit_decide(&a);
    assert_int_equal(a.f.copies[0].verdict, HOST_NOT_VULNERABLE);
    assert_int_equal(a.f.copies[0].basis, BASIS_BUILD);
    assert_int_equal(a.f.copies[1].verdict, HOST_NOT_VULNERABLE);
    assert_int_equal(a.f.copies[2].verdict, HOST_NOT_VULNERABLE);
    assert_string_equal(a.f.copies[2].version, "3.0.19");
    audit_free(&a);
}

static void test_decide_evidence(void **state)
{
    (void)state;
    struct host_options opt = {.root = "/"};
    struct audit a = {.opt = &opt};
    struct audit_copy *c = add(&a, "/a/libssl.so", true, "1.0.1f");
    c->no_heartbeats = true;
    c = add(&a, "/b/libssl.so", true, "1.0.1f");
    snprintf(c->package, sizeof c->package, "libssl1.0.0");
    c->package_fixed = true;
    snprintf(c->package_evidence, sizeof c->package_evidence, "Debian 7 fixed in 1.0.1e-2+deb7u5");
    c = add(&a, "/c/libssl.so", true, "1.0.1f");
    snprintf(c->package, sizeof c->package, "libssl1.0.0");
    add(&a, "/d/libssl.so", true, "1.0.1f");
    add(&a, "/e/libssl.so", true, "1.0.1g");
    add(&a, "/f/libssl.so", true, "3.0.19");
    add(&a, "/g/libssl.so", true, "");
    add(&a, "/h/libssl.so", true, "1.0.2-beta1");
    add(&a, "/i/libssl.so", true, "1.0.2-beta2");
    add(&a, "/j/libssl.so", true, "1.0.1e-fips");
    audit_decide(&a);

    static const struct {
        enum host_verdict verdict;
        enum host_basis basis;
        const char *reason_has;
    } want[] = {
        {HOST_NOT_VULNERABLE, BASIS_BUILD, "OPENSSL_NO_HEARTBEATS"},
        {HOST_PATCHED, BASIS_PACKAGE, "Debian 7 fixed in 1.0.1e-2+deb7u5"},
        {HOST_VULNERABLE, BASIS_PACKAGE, "no known back-port"},
        {HOST_VULNERABLE, BASIS_VERSION, "OpenSSL 1.0.1f"},
        {HOST_PATCHED, BASIS_VERSION, "1.0.1g"},
        {HOST_NOT_VULNERABLE, BASIS_VERSION, "never had the bug"},
        {HOST_UNKNOWN, BASIS_NONE, "no version banner and no behaviour test"},
        {HOST_VULNERABLE, BASIS_VERSION, "1.0.2-beta1"},
        {HOST_PATCHED, BASIS_VERSION, "1.0.2-beta2"},
        {HOST_VULNERABLE, BASIS_VERSION, "1.0.1e-fips"},
    };
    assert_int_equal(a.f.ncopies, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < a.f.ncopies; i++) {
        const struct audit_copy *d = &a.f.copies[i];
        print_message("%s: %s (%s) %s\n", d->path, host_verdict_name(d->verdict),
                      host_basis_name(d->basis), d->reason);
        assert_int_equal(d->verdict, want[i].verdict);
        assert_int_equal(d->basis, want[i].basis);
        assert_non_null(strstr(d->reason, want[i].reason_has));
    }
    audit_free(&a);
}

/* The heartbeat code is in libssl: its libcrypto takes its verdict, whatever its own banner. */
static void test_decide_libcrypto_follows(void **state)
{
    (void)state;
    struct host_options opt = {.root = "/"};
    struct audit a = {.opt = &opt};
    add(&a, "/x/libcrypto.so.1.0.0", false, "1.0.1g"); /* 0: alone would be patched */
    add(&a, "/x/libssl.so.1.0.0", true, "1.0.1f");     /* 1 */
    add(&a, "/y/libcrypto.so.1.0.0", false, "1.0.1f"); /* 2: no partner, judged alone */
    a.f.copies[0].partner = 1;
    a.f.copies[1].partner = 0;
    audit_decide(&a);
    assert_int_equal(a.f.copies[1].verdict, HOST_VULNERABLE);
    assert_int_equal(a.f.copies[0].verdict, HOST_VULNERABLE);
    assert_int_equal(a.f.copies[0].basis, BASIS_VERSION);
    assert_string_equal(a.f.copies[0].reason, "the libcrypto of /x/libssl.so.1.0.0");
    assert_int_equal(a.f.copies[2].verdict, HOST_VULNERABLE);
    assert_int_equal(a.f.copies[2].basis, BASIS_VERSION);
    audit_free(&a);
}

/* ---- a synthetic Debian 7 root ------------------------------------------------------------ */

struct fixture {
    struct tree t;
    struct host_options opt;
    struct audit a;
};

static void write_debian7(const struct tree *t, const char *package_version)
{
    tree_write_text(t, "/etc/ld.so.conf", "# libraries\n" LIBDIR "\n");
    tree_fake_openssl(t, SSL_PATH, "TLSv1 part of OpenSSL 1.0.1e 11 Feb 2013", true, false);
    tree_fake_openssl(t, CRYPTO_PATH, "OpenSSL 1.0.1e 11 Feb 2013", true, false);
    char status[512];
    snprintf(status, sizeof status,
             "Package: libssl1.0.0\n"
             "Status: install ok installed\n"
             "Multi-Arch: same\n"
             "Source: openssl\n"
             "Version: %s\n"
             "Architecture: amd64\n"
             "Description: SSL shared libraries\n",
             package_version);
    tree_write_text(t, "/var/lib/dpkg/status", status);
    tree_write_text(t, "/var/lib/dpkg/info/libssl1.0.0:amd64.list",
                    "/.\n/usr\n/usr/lib\n" LIBDIR "\n" SSL_PATH "\n" CRYPTO_PATH "\n");
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !tree_create(&fx->t, "collect")) {
        free(fx);
        return -1;
    }
    fx->opt.root = fx->t.root;
    fx->opt.timeout_ms = 3000;
    fx->a.opt = &fx->opt;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    audit_free(&fx->a);
    tree_remove(&fx->t);
    free(fx);
    return 0;
}

static long copy_index(const struct audit *a, const char *path)
{
    for (size_t i = 0; i < a->f.ncopies; i++)
        if (strcmp(a->f.copies[i].path, path) == 0)
            return (long)i;
    return -1;
}

/* Finds both copies, pairs them, reads their banners and owners, keeps dev and inode. */
static void shared_copies(struct fixture *fx, const char *package_version)
{
    write_debian7(&fx->t, package_version);
    assert_success(pkgdb_open(fx->t.root, &fx->a.db));
    assert_success(audit_shared_copies(&fx->a));
    assert_int_equal(fx->a.f.ncopies, 2);
    long s = copy_index(&fx->a, SSL_PATH), c = copy_index(&fx->a, CRYPTO_PATH);
    assert_true(s >= 0 && c >= 0);
    const struct audit_copy *ssl = &fx->a.f.copies[s], *crypto = &fx->a.f.copies[c];
    assert_int_equal(ssl->kind, COPY_SHARED);
    assert_true(ssl->is_libssl);
    assert_false(crypto->is_libssl);
    assert_int_equal(ssl->partner, c);
    assert_int_equal(crypto->partner, s);
    char full[PATH_MAX];
    tree_path(&fx->t, SSL_PATH, full, sizeof full);
    assert_string_equal(ssl->read_path, full);
    struct stat st;
    assert_int_equal(stat(full, &st), 0);
    assert_int_equal(ssl->dev, (unsigned long long)st.st_dev);
    assert_int_equal(ssl->ino, (unsigned long long)st.st_ino);
    assert_string_equal(ssl->version, "1.0.1e");
    assert_string_equal(crypto->version, "1.0.1e");
    assert_string_equal(crypto->banner, "OpenSSL 1.0.1e 11 Feb 2013");
    assert_false(ssl->no_heartbeats);
    for (int i = 0; i < 2; i++) {
        const struct audit_copy *x = i ? crypto : ssl;
        assert_string_equal(x->package, "libssl1.0.0");
        assert_string_equal(x->package_manager, "dpkg");
        assert_string_equal(x->package_version, package_version);
        assert_non_null(strstr(x->package_evidence, "Debian 7"));
        assert_false(x->behaviour_ran);
    }
    /* Before the decision nothing is known. */
    assert_int_equal(ssl->verdict, HOST_UNKNOWN);
    audit_behaviour(&fx->a); /* no keys (--no-probe): nothing runs */
    assert_false(ssl->behaviour_ran);
    audit_decide(&fx->a);
}

static void test_shared_not_fixed(void **state)
{
    struct fixture *fx = *state;
    shared_copies(fx, "1.0.1e-2+deb7u4");
    for (size_t i = 0; i < fx->a.f.ncopies; i++) {
        const struct audit_copy *c = &fx->a.f.copies[i];
        print_message("%s: %s (%s) %s | %s\n", c->path, host_verdict_name(c->verdict),
                      host_basis_name(c->basis), c->reason, c->package_evidence);
        assert_false(c->package_fixed);
        assert_non_null(strstr(c->package_evidence, "is older"));
        assert_int_equal(c->verdict, HOST_VULNERABLE);
        assert_int_equal(c->basis, BASIS_PACKAGE);
    }
}

static void test_shared_fixed(void **state)
{
    struct fixture *fx = *state;
    shared_copies(fx, "1.0.1e-2+deb7u5");
    for (size_t i = 0; i < fx->a.f.ncopies; i++) {
        const struct audit_copy *c = &fx->a.f.copies[i];
        assert_true(c->package_fixed);
        assert_int_equal(c->verdict, HOST_PATCHED);
        assert_int_equal(c->basis, BASIS_PACKAGE);
    }
    long s = copy_index(&fx->a, SSL_PATH);
    assert_non_null(strstr(fx->a.f.copies[s].reason, "1.0.1e-2+deb7u5"));
}

/* No package database: the version alone decides. */
static void test_shared_without_database(void **state)
{
    struct fixture *fx = *state;
    write_debian7(&fx->t, "1.0.1e-2+deb7u5");
    assert_success(audit_shared_copies(&fx->a));
    assert_int_equal(fx->a.f.ncopies, 2);
    audit_decide(&fx->a);
    for (size_t i = 0; i < fx->a.f.ncopies; i++) {
        const struct audit_copy *c = &fx->a.f.copies[i];
        assert_string_equal(c->package, "");
        assert_false(c->package_fixed);
        assert_int_equal(c->verdict, HOST_VULNERABLE);
        assert_int_equal(c->basis, BASIS_VERSION);
    }
}

/* An empty root has no copies; a missing one is an error. */
static void test_shared_empty_and_missing(void **state)
{
    struct fixture *fx = *state;
    assert_success(audit_shared_copies(&fx->a));
    assert_int_equal(fx->a.f.ncopies, 0);
    struct host_options missing = {.root = "/does/not/exist/hc"};
    struct audit b = {.opt = &missing};
    assert_false(hc_ok(audit_shared_copies(&b)));
    assert_int_equal(b.f.ncopies, 0);
    audit_free(&b);
}

/* A program carrying the library code is a static copy; one that only quotes the headers'
 * banner is not. */
static void test_static_copies(void **state)
{
    struct fixture *fx = *state;
    tree_fake_openssl(&fx->t, "/usr/sbin/proxy", "OpenSSL 1.0.1f 6 Jan 2014", true, false);
    tree_fake_openssl(&fx->t, "/usr/sbin/quoter", "OpenSSL 1.0.1f 6 Jan 2014", false, false);
    tree_fake_openssl(&fx->t, "/usr/sbin/nohb", "OpenSSL 1.0.1f 6 Jan 2014", true, true);
    tree_write_text(&fx->t, "/usr/sbin/script", "#!/bin/sh\necho OpenSSL 1.0.1f 6 Jan 2014\n");

    /* No --deep: nothing searched. */
    assert_success(audit_static_copies(&fx->a));
    assert_int_equal(fx->a.f.ncopies, 0);

    char *const deep[] = {"/usr/sbin"};
    fx->opt.deep = deep;
    fx->opt.ndeep = 1;
    assert_success(audit_static_copies(&fx->a));
    assert_int_equal(fx->a.f.ncopies, 2);
    long p = copy_index(&fx->a, "/usr/sbin/proxy"), n = copy_index(&fx->a, "/usr/sbin/nohb");
    assert_true(p >= 0 && n >= 0);
    assert_int_equal(copy_index(&fx->a, "/usr/sbin/quoter"), -1);
    const struct audit_copy *c = &fx->a.f.copies[p];
    assert_int_equal(c->kind, COPY_STATIC);
    assert_true(c->is_libssl);
    assert_int_equal(c->partner, -1);
    assert_string_equal(c->version, "1.0.1f");
    assert_string_equal(c->banner, "OpenSSL 1.0.1f 6 Jan 2014");
    assert_string_equal(c->package, "");
    audit_decide(&fx->a);
    assert_int_equal(fx->a.f.copies[p].verdict, HOST_VULNERABLE);
    assert_int_equal(fx->a.f.copies[p].basis, BASIS_VERSION);
    assert_int_equal(fx->a.f.copies[n].verdict, HOST_NOT_VULNERABLE);
    assert_int_equal(fx->a.f.copies[n].basis, BASIS_BUILD);

    /* A relative --deep path is refused. */
    char *const relative[] = {"usr/sbin"};
    fx->opt.deep = relative;
    assert_false(hc_ok(audit_static_copies(&fx->a)));
    fx->opt.deep = NULL;
    fx->opt.ndeep = 0;
}

/* audit_package on a copy that no package owns, and without a database. */
static void test_package_unowned(void **state)
{
    struct fixture *fx = *state;
    write_debian7(&fx->t, "1.0.1e-2+deb7u4");
    struct audit_copy *c = add(&fx->a, "/opt/ssl/lib/libssl.so.1.0.0", true, "1.0.1e");
    audit_package(&fx->a, c);
    assert_string_equal(c->package, "");
    assert_success(pkgdb_open(fx->t.root, &fx->a.db));
    audit_package(&fx->a, c);
    assert_string_equal(c->package, "");
    assert_string_equal(c->package_evidence, "");
    c = add(&fx->a, SSL_PATH, true, "1.0.1e");
    audit_package(&fx->a, c);
    assert_string_equal(c->package, "libssl1.0.0");
    assert_false(c->package_fixed);
}

/* This machine's OpenSSL 3, loaded in a child: it refuses heartbeats. */
static void test_behaviour_system_openssl(void **state)
{
    struct fixture *fx = *state;
    static const char ssl[] = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
    static const char crypto[] = "/usr/lib/x86_64-linux-gnu/libcrypto.so.3";
    if (access(ssl, R_OK) != 0 || access(crypto, R_OK) != 0)
        skip();
    assert_success(behave_keys_new(&fx->a.keys));
    struct audit_copy *c = add(&fx->a, ssl, true, "");
    snprintf(c->read_path, sizeof c->read_path, "%s", ssl);
    c = add(&fx->a, crypto, false, "");
    snprintf(c->read_path, sizeof c->read_path, "%s", crypto);
    fx->a.f.copies[0].partner = 1;
    fx->a.f.copies[1].partner = 0;
    /* A static copy is never loaded. */
    c = add(&fx->a, "/usr/sbin/proxy", true, "1.0.1f");
    c->kind = COPY_STATIC;
    snprintf(c->read_path, sizeof c->read_path, "/nonexistent/proxy");
    audit_behaviour(&fx->a);
    const struct audit_copy *s = &fx->a.f.copies[0];
    print_message("behaviour: %s\n", s->behaviour);
    assert_true(s->behaviour_ran);
    assert_int_equal(s->behaviour_verdict, HOST_NOT_VULNERABLE);
    assert_false(fx->a.f.copies[1].behaviour_ran); /* libcrypto: loaded with its libssl */
    assert_false(fx->a.f.copies[2].behaviour_ran);
    /* The version the library told about itself fills the missing banner. */
    assert_int_equal(strncmp(s->version, "3.", 2), 0);
    audit_decide(&fx->a);
    assert_int_equal(fx->a.f.copies[0].verdict, HOST_NOT_VULNERABLE);
    assert_int_equal(fx->a.f.copies[0].basis, BASIS_BEHAVIOUR);
    assert_int_equal(fx->a.f.copies[1].verdict, HOST_NOT_VULNERABLE);
    assert_int_equal(fx->a.f.copies[1].basis, BASIS_BEHAVIOUR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_copy),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_decide_behaviour_first),
        cmocka_unit_test(test_libssl_inherits_from_libcrypto),
        cmocka_unit_test(test_decide_evidence),
        cmocka_unit_test(test_decide_libcrypto_follows),
        cmocka_unit_test_setup_teardown(test_shared_not_fixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_fixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_without_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_empty_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_package_unowned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_behaviour_system_openssl, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
