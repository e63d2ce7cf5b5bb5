/* audit_certs.c: certificates and keys named by an nginx configuration in a synthetic root
 * (made by the test with libcrypto), the ones only kept under /etc/ssl, the configuration an
 * nginx names with -c on its command line, and which of them were exposed: their service
 * listened beyond loopback with a vulnerable library loaded. */
#include "unit.h"

#include "host/audit.h"
#include "host/pkgdb.h"
#include "support/tree.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

struct fixture {
    struct tree t;
    struct host_options opt;
    struct audit a;
};

static EVP_PKEY *make_key(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k);
    return k;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, bool ca)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
                                              ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

/* Writes a PEM certificate and/or key to a machine path. */
static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (x)
        assert_int_equal(PEM_write_X509(f, x), 1);
    if (k)
        assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(fclose(f), 0);
}

/* A site certificate and key named by nginx.conf, an unreferenced key and a CA certificate
 * under /etc/ssl. */
static void write_tree(const struct tree *t)
{
    tree_write_text(t, "/etc/nginx/nginx.conf",
                    "events {}\n"
                    "http {\n"
                    "    server {\n"
                    "        listen 443 ssl;\n"
                    "        server_name www.example.test;\n"
                    "        ssl_certificate /etc/ssl/example/site.pem;\n"
                    "        ssl_certificate_key /etc/ssl/example/site.key;\n"
                    "    }\n"
                    "}\n");
    tree_mkdirs(t, "/etc/ssl/example");
    tree_mkdirs(t, "/etc/ssl/private");
    tree_mkdirs(t, "/etc/ssl/certs");
    EVP_PKEY *site = make_key(), *other = make_key(), *ca = make_key();
    X509 *cert = make_cert(site, "www.example.test", false),
         *cacert = make_cert(ca, "Test CA", true);
    char p[PATH_MAX];
    tree_path(t, "/etc/ssl/example/site.pem", p, sizeof p);
    write_pem(p, cert, NULL);
    tree_path(t, "/etc/ssl/example/site.key", p, sizeof p);
    write_pem(p, NULL, site);
    tree_path(t, "/etc/ssl/private/other.key", p, sizeof p);
    write_pem(p, NULL, other);
    tree_path(t, "/etc/ssl/certs/ca.pem", p, sizeof p);
    write_pem(p, cacert, NULL);
    X509_free(cert);
    X509_free(cacert);
    EVP_PKEY_free(site);
    EVP_PKEY_free(other);
    EVP_PKEY_free(ca);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !tree_create(&fx->t, "certs")) {
        free(fx);
        return -1;
    }
    fx->opt.root = fx->t.root;
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

/* A process in the findings, owned by them (audit_free frees it and its sockets). */
static struct audit_process *add_process(struct audit *a, const char *comm, const char *address,
                                         bool loopback, bool vulnerable)
{
    struct audit_findings *f = &a->f;
    assert_true(
        audit_grow((void **)&f->processes, f->nprocesses, &a->processes_cap, sizeof *f->processes));
    struct audit_process *p = &f->processes[f->nprocesses++];
    memset(p, 0, sizeof *p);
    p->pid = 1000 + (int)f->nprocesses;
    snprintf(p->comm, sizeof p->comm, "%s", comm);
    snprintf(p->cmdline, sizeof p->cmdline, "%s", comm);
    p->maps_vulnerable = vulnerable;
    p->sockets = calloc(1, sizeof *p->sockets);
    assert_non_null(p->sockets);
    p->nsockets = 1;
    p->sockets[0].tcp = true;
    p->sockets[0].port = 443;
    p->sockets[0].loopback_only = loopback;
    snprintf(p->sockets[0].address, sizeof p->sockets[0].address, "%s", address);
    return p;
}

static const struct audit_cert *cert_at(const struct audit *a, const char *path)
{
    for (size_t i = 0; i < a->f.ncerts; i++)
        if (strcmp(a->f.certs[i].cert_path, path) == 0 ||
            (!a->f.certs[i].cert_path[0] && strcmp(a->f.certs[i].key_path, path) == 0))
            return &a->f.certs[i];
    return NULL;
}

static void list_certs(const struct audit *a)
{
    for (size_t i = 0; i < a->f.ncerts; i++) {
        const struct audit_cert *c = &a->f.certs[i];
        print_message("cert: [%s] %s | %s | %s | %s | exposed %d\n", c->service, c->cert_path,
                      c->key_path, c->subject, c->spki_sha256, c->exposed_while_vulnerable);
    }
}

static void test_nginx_config(void **state)
{
    struct fixture *fx = *state;
    write_tree(&fx->t);
    add_process(&fx->a, "nginx", "0.0.0.0", false, true);
    assert_success(audit_certificates(&fx->a));
    list_certs(&fx->a);
    const struct audit_cert *c = cert_at(&fx->a, "/etc/ssl/example/site.pem");
    assert_non_null(c);
    assert_string_equal(c->service, "nginx");
    assert_string_equal(c->key_path, "/etc/ssl/example/site.key");
    assert_non_null(strstr(c->subject, "CN=www.example.test"));
    assert_true(c->not_before[0] != '\0');
    assert_int_equal(strlen(c->spki_sha256), 64);
    assert_false(c->exposed_while_vulnerable);
    /* Kept in /etc/ssl, named by no configuration: listed without a service. */
    const struct audit_cert *k = cert_at(&fx->a, "/etc/ssl/private/other.key");
    assert_non_null(k);
    assert_string_equal(k->service, "");
    assert_string_equal(k->cert_path, "");
    assert_int_equal(strlen(k->spki_sha256), 64);
    assert_string_not_equal(k->spki_sha256, c->spki_sha256);
    /* The trust store's CA certificate is not a certificate in use; the referenced files are
     * listed once. */
    assert_null(cert_at(&fx->a, "/etc/ssl/certs/ca.pem"));
    assert_null(cert_at(&fx->a, "/etc/ssl/example/site.key"));
    assert_int_equal(fx->a.f.ncerts, 2);

    audit_mark_certificates(&fx->a);
    c = cert_at(&fx->a, "/etc/ssl/example/site.pem");
    assert_true(c->exposed_while_vulnerable);
    k = cert_at(&fx->a, "/etc/ssl/private/other.key");
    assert_false(k->exposed_while_vulnerable); /* no service known */
}

static bool exposed_with(struct fixture *fx, const char *comm, const char *address, bool loopback,
                         bool vulnerable)
{
    audit_free(&fx->a);
    fx->a = (struct audit){.opt = &fx->opt};
    add_process(&fx->a, comm, address, loopback, vulnerable);
    assert_success(audit_certificates(&fx->a));
    audit_mark_certificates(&fx->a);
    const struct audit_cert *c = cert_at(&fx->a, "/etc/ssl/example/site.pem");
    assert_non_null(c);
    return c->exposed_while_vulnerable;
}

static void test_exposure(void **state)
{
    struct fixture *fx = *state;
    write_tree(&fx->t);
    assert_true(exposed_with(fx, "nginx", "0.0.0.0", false, true));
    assert_true(exposed_with(fx, "nginx", "::", false, true));
    assert_false(exposed_with(fx, "nginx", "127.0.0.1", true, true));  /* loopback only */
    assert_false(exposed_with(fx, "nginx", "0.0.0.0", false, false));  /* not vulnerable */
    assert_false(exposed_with(fx, "apache2", "0.0.0.0", false, true)); /* another service */
    /* No process at all (an image): nothing exposed. */
    audit_free(&fx->a);
    fx->a = (struct audit){.opt = &fx->opt};
    assert_success(audit_certificates(&fx->a));
    audit_mark_certificates(&fx->a);
    for (size_t i = 0; i < fx->a.f.ncerts; i++)
        assert_false(fx->a.f.certs[i].exposed_while_vulnerable);
}

/* An nginx started with -c FILE: the certificate of that file is found. The running process
 * names machine paths, so this one reads this machine ("/"), as the live audit does; only the
 * files the test made are looked at. */
static void test_nginx_command_line(void **state)
{
    struct fixture *fx = *state;
    char conf[128], pem[128], key[128], text[1024];
    tree_path(&fx->t, "/custom/nginx.conf", conf, sizeof conf);
    tree_path(&fx->t, "/custom/site.pem", pem, sizeof pem);
    tree_path(&fx->t, "/custom/site.key", key, sizeof key);
    snprintf(text, sizeof text,
             "events {}\nhttp {\n  server {\n    listen 8443 ssl;\n"
             "    ssl_certificate %s;\n    ssl_certificate_key %s;\n  }\n}\n",
             pem, key);
    tree_write_text(&fx->t, "/custom/nginx.conf", text);
    EVP_PKEY *k = make_key();
    X509 *x = make_cert(k, "custom.example.test", false);
    write_pem(pem, x, NULL);
    write_pem(key, NULL, k);
    X509_free(x);
    EVP_PKEY_free(k);

    fx->opt.root = "/";
    struct audit_process *p = add_process(&fx->a, "nginx", "0.0.0.0", false, true);
    snprintf(p->cmdline, sizeof p->cmdline, "nginx: master process nginx -c %s -g daemon off;",
             conf);
    /* Another program's -c is not an nginx configuration. */
    p = add_process(&fx->a, "postgres", "0.0.0.0", false, false);
    snprintf(p->cmdline, sizeof p->cmdline, "postgres -c %s", conf);
    assert_success(audit_certificates(&fx->a));
    audit_mark_certificates(&fx->a);
    const struct audit_cert *c = cert_at(&fx->a, pem);
    if (!c)
        list_certs(&fx->a);
    assert_non_null(c);
    assert_string_equal(c->service, "nginx");
    assert_string_equal(c->key_path, key);
    assert_non_null(strstr(c->subject, "CN=custom.example.test"));
    assert_true(c->exposed_while_vulnerable);
    size_t n = 0;
    for (size_t i = 0; i < fx->a.f.ncerts; i++)
        n += strcmp(fx->a.f.certs[i].cert_path, pem) == 0;
    assert_int_equal(n, 1);
}

/* A missing root is an error; an empty one has no certificates. */
/* ---- key ages: a synthetic dpkg database and log, file times set by the test ---- */

static void set_mtime(const struct tree *t, const char *rel, time_t when)
{
    char p[PATH_MAX];
    tree_path(t, rel, p, sizeof p);
    struct timeval tv[2] = {{.tv_sec = when}, {.tv_sec = when}};
    assert_int_equal(utimes(p, tv), 0);
}

/* libssl1.0.0 from Debian 7 in the findings and the package database, the dpkg log given. */
static void dpkg_libssl(struct fixture *fx, const char *log)
{
    static const char status[] = "Package: libssl1.0.0\nStatus: install ok installed\n"
                                 "Architecture: amd64\nSource: openssl\n"
                                 "Version: 1.0.1e-2+deb7u5\n\n";
    struct audit *a = &fx->a;
    assert_success(pkgdb_new(fx->t.root, &a->db));
    assert_success(pkgdb_add_status(a->db, status, sizeof status - 1));
    struct audit_copy *c = audit_add_copy(a);
    assert_non_null(c);
    c->is_libssl = true;
    snprintf(c->path, sizeof c->path, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    snprintf(c->package, sizeof c->package, "libssl1.0.0");
    snprintf(c->package_manager, sizeof c->package_manager, "dpkg");
    snprintf(c->package_version, sizeof c->package_version, "1.0.1e-2+deb7u5");
    c->verdict = HOST_PATCHED;
    tree_write_text(&fx->t, "/var/log/dpkg.log", log);
}

static const char fixed_log[] =
    "2013-05-04 09:00:00 install libssl1.0.0:amd64 <none> 1.0.1e-2+deb7u4\n"
    "2014-04-08 10:00:00 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u4 1.0.1e-2+deb7u5\n"
    "2014-04-08 10:00:01 status installed libssl1.0.0:amd64 1.0.1e-2+deb7u5\n";

static void test_key_older_than_fix(void **state)
{
    struct fixture *fx = *state;
    setenv("TZ", "UTC", 1);
    tzset();
    write_tree(&fx->t);
    set_mtime(&fx->t, "/etc/ssl/example/site.key", 1393632000); /* 2014-03-01 */
    dpkg_libssl(fx, fixed_log);
    assert_success(audit_certificates(&fx->a));
    assert_success(audit_key_ages(&fx->a));
    const struct audit_fix *fix = &fx->a.f.fix;
    assert_true(fix->known);
    assert_int_equal(fix->when, 1396951200); /* 2014-04-08 10:00:00 UTC */
    assert_string_equal(fix->package, "libssl1.0.0");
    assert_string_equal(fix->version, "1.0.1e-2+deb7u5");
    const struct audit_cert *site = cert_at(&fx->a, "/etc/ssl/example/site.pem");
    assert_non_null(site);
    assert_int_equal(site->key_mtime, 1393632000);
    assert_int_equal(site->key_age, KEY_AGE_BEFORE_FIX);
    /* A key no server names is not dated: nothing says it was in use. */
    for (size_t i = 0; i < fx->a.f.ncerts; i++)
        if (!fx->a.f.certs[i].service[0])
            assert_int_equal(fx->a.f.certs[i].key_age, KEY_AGE_UNKNOWN);
    struct host_plan plan;
    assert_int_equal(host_plan_build(&fx->a.f, &plan), 0);
    bool rotate = false;
    for (size_t i = 0; i < plan.nsteps; i++)
        rotate |= plan.steps[i].action == PLAN_ROTATE_KEY &&
                  strcmp(plan.steps[i].subject, "/etc/ssl/example/site.pem") == 0;
    assert_true(rotate);
    host_plan_free(&plan);
}

static void test_key_newer_than_fix(void **state)
{
    struct fixture *fx = *state;
    write_tree(&fx->t); /* files made now: long after 2014 */
    dpkg_libssl(fx, fixed_log);
    assert_success(audit_certificates(&fx->a));
    assert_success(audit_key_ages(&fx->a));
    assert_int_equal(cert_at(&fx->a, "/etc/ssl/example/site.pem")->key_age, KEY_AGE_AFTER_FIX);
}

/* No fix in the logs (installed fixed from the start, or still vulnerable): no age. */
static void test_key_age_without_fix(void **state)
{
    struct fixture *fx = *state;
    write_tree(&fx->t);
    dpkg_libssl(fx, "2014-05-04 09:00:00 install libssl1.0.0:amd64 <none> 1.0.1e-2+deb7u5\n"
                    "2014-05-04 09:00:00 status installed libssl1.0.0:amd64 1.0.1e-2+deb7u5\n");
    assert_success(audit_certificates(&fx->a));
    assert_success(audit_key_ages(&fx->a));
    assert_false(fx->a.f.fix.known);
    assert_int_equal(cert_at(&fx->a, "/etc/ssl/example/site.pem")->key_age, KEY_AGE_UNKNOWN);
    /* Upgraded to a fixed version, then back to a vulnerable one: the fix is pending. */
    tree_write_text(&fx->t, "/var/log/dpkg.log.1",
                    "2014-06-01 00:00:00 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u5 "
                    "1.0.1e-2+deb7u4\n"
                    "2014-04-08 10:00:00 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u4 "
                    "1.0.1e-2+deb7u5\n");
    fx->a.f.fix = (struct audit_fix){0};
    assert_success(audit_key_ages(&fx->a));
    assert_false(fx->a.f.fix.known);
}

static void test_empty_and_missing(void **state)
{
    struct fixture *fx = *state;
    assert_success(audit_certificates(&fx->a));
    assert_int_equal(fx->a.f.ncerts, 0);
    struct host_options missing = {.root = "/does/not/exist/hc"};
    struct audit b = {.opt = &missing};
    hc_result r = audit_certificates(&b);
    print_message("missing root: %s\n", hc_error_message(r.error));
    assert_int_equal(b.f.ncerts, 0);
    audit_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nginx_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exposure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nginx_command_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_older_than_fix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_newer_than_fix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_age_without_fix, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
