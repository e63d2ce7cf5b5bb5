/* plan.c: the remediation plan built from findings made by hand — one step per package, unit
 * and certificate, in the order upgrade < rebuild < restart < rotate_key < revoke < reset <
 * keep_logs < verify, and nothing at all when nothing is vulnerable. */
#include "unit.h"

#include "host/model.h"

#include <stdio.h>
#include <string.h>

/* ---- findings by hand -------------------------------------------------------------------- */

static struct audit_copy shared_copy(const char *path, bool libssl, enum host_verdict v,
                                     const char *package, const char *manager)
{
    struct audit_copy c;
    memset(&c, 0, sizeof c);
    c.kind = COPY_SHARED;
    c.partner = -1;
    c.is_libssl = libssl;
    snprintf(c.path, sizeof c.path, "%s", path);
    snprintf(c.version, sizeof c.version, "1.0.1e");
    snprintf(c.banner, sizeof c.banner, "OpenSSL 1.0.1e 11 Feb 2013");
    snprintf(c.package, sizeof c.package, "%s", package ? package : "");
    snprintf(c.package_manager, sizeof c.package_manager, "%s", manager ? manager : "");
    snprintf(c.package_version, sizeof c.package_version, "%s", package ? "1.0.1e-2+deb7u4" : "");
    c.verdict = v;
    c.basis = package ? BASIS_PACKAGE : BASIS_VERSION;
    return c;
}

static struct audit_process process(int pid, const char *comm, const char *unit)
{
    struct audit_process p;
    memset(&p, 0, sizeof p);
    p.pid = pid;
    snprintf(p.comm, sizeof p.comm, "%s", comm);
    snprintf(p.exe, sizeof p.exe, "/usr/sbin/%s", comm);
    snprintf(p.unit, sizeof p.unit, "%s", unit ? unit : "");
    return p;
}

static struct audit_socket listening(const char *address, uint16_t port, bool loopback)
{
    struct audit_socket s;
    memset(&s, 0, sizeof s);
    s.tcp = true;
    snprintf(s.address, sizeof s.address, "%s", address);
    s.port = port;
    s.loopback_only = loopback;
    return s;
}

static struct audit_cert cert(const char *service, const char *path, bool exposed)
{
    struct audit_cert c;
    memset(&c, 0, sizeof c);
    snprintf(c.service, sizeof c.service, "%s", service);
    snprintf(c.cert_path, sizeof c.cert_path, "%s", path);
    snprintf(c.key_path, sizeof c.key_path, "/etc/ssl/private/site.key");
    snprintf(c.subject, sizeof c.subject, "CN=www.example.com");
    snprintf(c.spki_sha256, sizeof c.spki_sha256, "%s",
             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    c.exposed_while_vulnerable = exposed;
    return c;
}

static struct audit_findings findings(void)
{
    struct audit_findings f;
    memset(&f, 0, sizeof f);
    snprintf(f.hostname, sizeof f.hostname, "web1");
    snprintf(f.root_dir, sizeof f.root_dir, "/");
    return f;
}

static struct host_plan build(const struct audit_findings *f)
{
    struct host_plan p;
    assert_int_equal(host_plan_build(f, &p), 0);
    return p;
}

/* The index of the step with that action (and subject, when given); -1 when there is none. */
static long step_of(const struct host_plan *p, enum plan_action a, const char *subject)
{
    for (size_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].action == a && (!subject || strcmp(p->steps[i].subject, subject) == 0))
            return (long)i;
    return -1;
}

static size_t count_of(const struct host_plan *p, enum plan_action a)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nsteps; i++)
        n += p->steps[i].action == a;
    return n;
}

/* Every plan is sorted by action and ends with one verify step. */
static void assert_well_formed(const struct host_plan *p)
{
    assert_true(p->nsteps > 0);
    for (size_t i = 1; i < p->nsteps; i++)
        assert_true(p->steps[i - 1].action <= p->steps[i].action);
    assert_int_equal(p->steps[p->nsteps - 1].action, PLAN_VERIFY);
    assert_int_equal(count_of(p, PLAN_VERIFY), 1);
    assert_string_equal(p->steps[p->nsteps - 1].command, "heartcheck host");
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(host_plan_action_name(PLAN_UPGRADE), "upgrade");
    assert_string_equal(host_plan_action_name(PLAN_REBUILD), "rebuild");
    assert_string_equal(host_plan_action_name(PLAN_RESTART), "restart");
    assert_string_equal(host_plan_action_name(PLAN_ROTATE_KEY), "rotate_key");
    assert_string_equal(host_plan_action_name(PLAN_REVOKE), "revoke");
    assert_string_equal(host_plan_action_name(PLAN_RESET), "reset");
    assert_string_equal(host_plan_action_name(PLAN_KEEP_LOGS), "keep_logs");
    assert_string_equal(host_plan_action_name(PLAN_VERIFY), "verify");
    assert_string_equal(host_plan_action_name((enum plan_action)99), "unknown");
    assert_string_equal(host_verdict_name(HOST_VULNERABLE), "vulnerable");
    assert_string_equal(host_verdict_name(HOST_PATCHED), "patched");
    assert_string_equal(host_verdict_name(HOST_NOT_VULNERABLE), "not_vulnerable");
    assert_string_equal(host_verdict_name(HOST_UNKNOWN), "unknown");
    assert_string_equal(host_verdict_name((enum host_verdict) - 1), "unknown");
    assert_string_equal(host_basis_name(BASIS_BEHAVIOUR), "behaviour");
    assert_string_equal(host_basis_name(BASIS_BUILD), "build");
    assert_string_equal(host_basis_name(BASIS_VERSION), "version");
    assert_string_equal(host_basis_name(BASIS_PACKAGE), "package");
    assert_string_equal(host_basis_name(BASIS_NONE), "none");
    assert_string_equal(host_basis_name((enum host_basis)42), "none");
}

static void test_upgrade_dpkg(void **state)
{
    (void)state;
    struct audit_copy copies[] = {shared_copy("/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0", true,
                                              HOST_VULNERABLE, "libssl1.0.0", "dpkg")};
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 1;
    struct host_plan p = build(&f);
    assert_int_equal(p.nsteps, 2);
    assert_int_equal(p.steps[0].action, PLAN_UPGRADE);
    assert_string_equal(p.steps[0].subject, "libssl1.0.0");
    assert_non_null(strstr(p.steps[0].command, "apt-get"));
    assert_non_null(strstr(p.steps[0].command, "--only-upgrade libssl1.0.0"));
    assert_non_null(strstr(p.steps[0].why, "1.0.1e-2+deb7u4"));
    assert_non_null(strstr(p.steps[0].why, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0"));
    assert_well_formed(&p);
    host_plan_free(&p);
    assert_null(p.steps);
    assert_int_equal(p.nsteps, 0);
}

static void test_upgrade_rpm(void **state)
{
    (void)state;
    struct audit_copy copies[] = {
        shared_copy("/usr/lib64/libssl.so.10", true, HOST_VULNERABLE, "openssl-libs", "rpm")};
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 1;
    struct host_plan p = build(&f);
    long i = step_of(&p, PLAN_UPGRADE, "openssl-libs");
    assert_int_equal(i, 0);
    assert_string_equal(p.steps[i].command, "yum update openssl-libs");
    assert_null(strstr(p.steps[i].command, "apt-get"));
    assert_well_formed(&p);
    host_plan_free(&p);
}

/* libssl and libcrypto of one package, and a second vulnerable libssl of the same package
 * elsewhere: still one upgrade. */
static void test_one_step_per_package(void **state)
{
    (void)state;
    struct audit_copy copies[] = {
        shared_copy("/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0", true, HOST_VULNERABLE,
                    "libssl1.0.0", "dpkg"),
        shared_copy("/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0", false, HOST_VULNERABLE,
                    "libssl1.0.0", "dpkg"),
        shared_copy("/lib/x86_64-linux-gnu/libssl.so.1.0.0", true, HOST_VULNERABLE, "libssl1.0.0",
                    "dpkg"),
    };
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 3;
    struct host_plan p = build(&f);
    assert_int_equal(count_of(&p, PLAN_UPGRADE), 1);
    assert_int_equal(p.nsteps, 2);
    /* The why of the first copy is kept. */
    assert_non_null(strstr(p.steps[0].why, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0"));
    assert_well_formed(&p);
    host_plan_free(&p);
}

/* Without a package the copy itself is the subject, and there is no command to give. */
static void test_upgrade_unpackaged(void **state)
{
    (void)state;
    struct audit_copy copies[] = {
        shared_copy("/opt/ssl/lib/libssl.so.1.0.0", true, HOST_VULNERABLE, NULL, NULL)};
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 1;
    struct host_plan p = build(&f);
    long i = step_of(&p, PLAN_UPGRADE, "/opt/ssl/lib/libssl.so.1.0.0");
    assert_int_equal(i, 0);
    assert_string_equal(p.steps[i].command, "");
    assert_non_null(strstr(p.steps[i].why, "OpenSSL 1.0.1e 11 Feb 2013"));
    assert_well_formed(&p);
    host_plan_free(&p);
}

static void test_static_copy_rebuild(void **state)
{
    (void)state;
    struct audit_copy copies[] = {
        shared_copy("/usr/local/bin/proxy", true, HOST_VULNERABLE, NULL, NULL)};
    copies[0].kind = COPY_STATIC;
    snprintf(copies[0].banner, sizeof copies[0].banner, "OpenSSL 1.0.1f 6 Jan 2014");
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 1;
    struct host_plan p = build(&f);
    assert_int_equal(count_of(&p, PLAN_UPGRADE), 0);
    long i = step_of(&p, PLAN_REBUILD, "/usr/local/bin/proxy");
    assert_int_equal(i, 0);
    assert_non_null(strstr(p.steps[i].why, "OpenSSL 1.0.1f 6 Jan 2014"));
    assert_well_formed(&p);
    host_plan_free(&p);
}

static void test_restart_unit(void **state)
{
    (void)state;
    struct audit_copy copies[] = {shared_copy("/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0", true,
                                              HOST_VULNERABLE, "libssl1.0.0", "dpkg")};
    struct audit_process procs[] = {process(812, "nginx", "nginx.service")};
    procs[0].copies[0] = 0;
    procs[0].ncopies = 1;
    procs[0].maps_vulnerable = true;
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 1;
    f.processes = procs;
    f.nprocesses = 1;
    struct host_plan p = build(&f);
    long i = step_of(&p, PLAN_RESTART, "nginx.service");
    assert_true(i > 0);
    assert_string_equal(p.steps[i].command, "systemctl restart nginx.service");
    assert_non_null(strstr(p.steps[i].why, "vulnerable"));
    /* No socket at all: nothing was exposed. */
    assert_int_equal(count_of(&p, PLAN_RESET), 0);
    assert_int_equal(count_of(&p, PLAN_KEEP_LOGS), 0);
    assert_well_formed(&p);
    host_plan_free(&p);
}

/* A process without a unit is named by comm and pid. */
static void test_restart_without_unit(void **state)
{
    (void)state;
    struct audit_process procs[] = {process(4242, "stunnel", NULL)};
    procs[0].maps_vulnerable = true;
    struct audit_findings f = findings();
    f.processes = procs;
    f.nprocesses = 1;
    struct host_plan p = build(&f);
    long i = step_of(&p, PLAN_RESTART, "stunnel (pid 4242)");
    assert_int_equal(i, 0);
    assert_non_null(strstr(p.steps[i].command, "stunnel"));
    assert_non_null(strstr(p.steps[i].command, "/usr/sbin/stunnel"));
    assert_well_formed(&p);
    host_plan_free(&p);
}

/* A deleted library, fixed on disk: a restart with the stale reason, nothing else. */
static void test_restart_stale(void **state)
{
    (void)state;
    struct audit_copy copies[] = {shared_copy("/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0", true,
                                              HOST_PATCHED, "libssl1.0.0", "dpkg")};
    struct audit_process procs[] = {process(900, "postfix", "postfix.service")};
    procs[0].maps_stale = true;
    struct audit_socket socks[] = {listening("0.0.0.0", 25, false)};
    procs[0].sockets = socks;
    procs[0].nsockets = 1;
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 1;
    f.processes = procs;
    f.nprocesses = 1;
    struct host_plan p = build(&f);
    assert_int_equal(p.nsteps, 2);
    assert_int_equal(p.steps[0].action, PLAN_RESTART);
    assert_string_equal(p.steps[0].subject, "postfix.service");
    assert_string_equal(p.steps[0].command, "systemctl restart postfix.service");
    assert_non_null(strstr(p.steps[0].why, "deleted or replaced"));
    /* Not vulnerable: nothing leaked, nothing to reset. */
    assert_int_equal(count_of(&p, PLAN_RESET), 0);
    assert_well_formed(&p);
    host_plan_free(&p);
}

/* A socket answered the probe with no vulnerable shared copy mapped: rebuild the program, then
 * restart it. */
static void test_answers_probe(void **state)
{
    (void)state;
    struct audit_process procs[] = {process(77, "haproxy", "haproxy.service")};
    procs[0].maps_vulnerable = true;
    procs[0].answers_probe = true;
    struct audit_socket socks[] = {listening("127.0.0.1", 8443, true)};
    procs[0].sockets = socks;
    procs[0].nsockets = 1;
    struct audit_findings f = findings();
    f.processes = procs;
    f.nprocesses = 1;
    struct host_plan p = build(&f);
    long rebuild = step_of(&p, PLAN_REBUILD, "/usr/sbin/haproxy");
    long restart = step_of(&p, PLAN_RESTART, "haproxy.service");
    assert_true(rebuild >= 0);
    assert_true(restart > rebuild);
    assert_non_null(strstr(p.steps[rebuild].why, "haproxy.service"));
    assert_non_null(strstr(p.steps[restart].why, "after the update"));
    assert_string_equal(p.steps[restart].command, "systemctl restart haproxy.service");
    /* Loopback only: not exposed. */
    assert_int_equal(count_of(&p, PLAN_RESET), 0);
    assert_int_equal(count_of(&p, PLAN_KEEP_LOGS), 0);
    assert_well_formed(&p);
    host_plan_free(&p);
}

static void test_rotate_then_revoke(void **state)
{
    (void)state;
    struct audit_cert certs[] = {cert("nginx", "/etc/ssl/site.pem", true),
                                 cert("postfix", "/etc/ssl/mail.pem", false)};
    struct audit_findings f = findings();
    f.certs = certs;
    f.ncerts = 2;
    struct host_plan p = build(&f);
    long rotate = step_of(&p, PLAN_ROTATE_KEY, "/etc/ssl/site.pem");
    long revoke = step_of(&p, PLAN_REVOKE, "/etc/ssl/site.pem");
    assert_int_equal(rotate, 0);
    assert_int_equal(revoke, 1);
    assert_non_null(strstr(p.steps[rotate].why, "nginx"));
    assert_non_null(strstr(p.steps[revoke].why, "CN=www.example.com"));
    assert_non_null(strstr(p.steps[revoke].why, "0011223344556677..."));
    /* The certificate that was not exposed stays. */
    assert_int_equal(step_of(&p, PLAN_ROTATE_KEY, "/etc/ssl/mail.pem"), -1);
    assert_int_equal(count_of(&p, PLAN_ROTATE_KEY), 1);
    assert_int_equal(count_of(&p, PLAN_REVOKE), 1);
    assert_well_formed(&p);
    host_plan_free(&p);

    /* A key found without its certificate is named by its key path. */
    certs[0].cert_path[0] = '\0';
    p = build(&f);
    assert_int_equal(step_of(&p, PLAN_ROTATE_KEY, "/etc/ssl/private/site.key"), 0);
    host_plan_free(&p);
}

/* A key older than the fix (dpkg log) is rotated even when no exposure was seen (an image,
 * or the service restarted since); a newer one is not; an exposed one keeps its first why. */
static void test_rotate_key_older_than_fix(void **state)
{
    (void)state;
    struct audit_cert certs[] = {cert("nginx", "/etc/ssl/old.pem", false),
                                 cert("postfix", "/etc/ssl/new.pem", false),
                                 cert("dovecot", "/etc/ssl/both.pem", true)};
    certs[0].key_age = KEY_AGE_BEFORE_FIX;
    certs[1].key_age = KEY_AGE_AFTER_FIX;
    certs[2].key_age = KEY_AGE_BEFORE_FIX;
    struct audit_findings f = findings();
    f.certs = certs;
    f.ncerts = 3;
    f.fix = (struct audit_fix){.known = true, .when = 1396951200}; /* 2014-04-08 10:00 UTC */
    snprintf(f.fix.package, sizeof f.fix.package, "libssl1.0.0");
    snprintf(f.fix.version, sizeof f.fix.version, "1.0.1e-2+deb7u5");
    struct host_plan p = build(&f);
    long rotate = step_of(&p, PLAN_ROTATE_KEY, "/etc/ssl/old.pem");
    assert_true(rotate >= 0);
    assert_non_null(strstr(p.steps[rotate].why, "older than the fix"));
    assert_non_null(strstr(p.steps[rotate].why, "libssl1.0.0 1.0.1e-2+deb7u5"));
    assert_true(step_of(&p, PLAN_REVOKE, "/etc/ssl/old.pem") > rotate);
    assert_int_equal(step_of(&p, PLAN_ROTATE_KEY, "/etc/ssl/new.pem"), -1);
    long both = step_of(&p, PLAN_ROTATE_KEY, "/etc/ssl/both.pem");
    assert_non_null(strstr(p.steps[both].why, "exposed with a vulnerable OpenSSL"));
    assert_int_equal(count_of(&p, PLAN_ROTATE_KEY), 2);
    assert_int_equal(count_of(&p, PLAN_REVOKE), 2);
    assert_well_formed(&p);
    host_plan_free(&p);
    assert_string_equal(host_key_age_name(KEY_AGE_BEFORE_FIX), "before_fix");
    assert_string_equal(host_key_age_name(KEY_AGE_AFTER_FIX), "after_fix");
    assert_null(host_key_age_name(KEY_AGE_UNKNOWN));
}

static void test_exposed_reset_and_logs(void **state)
{
    (void)state;
    struct audit_process procs[] = {process(812, "nginx", "nginx.service")};
    procs[0].maps_vulnerable = true;
    struct audit_socket socks[] = {listening("127.0.0.1", 8080, true),
                                   listening("0.0.0.0", 443, false)};
    procs[0].sockets = socks;
    procs[0].nsockets = 2;
    struct audit_findings f = findings();
    f.processes = procs;
    f.nprocesses = 1;
    struct host_plan p = build(&f);
    long reset = step_of(&p, PLAN_RESET, "nginx.service");
    long logs = step_of(&p, PLAN_KEEP_LOGS, "nginx.service");
    assert_true(reset >= 0);
    assert_int_equal(logs, reset + 1);
    assert_non_null(strstr(p.steps[logs].why, "heartcheck pcap"));
    assert_well_formed(&p);
    host_plan_free(&p);

    /* The same process listening on loopback only: restart, but no reset. */
    procs[0].nsockets = 1;
    p = build(&f);
    assert_true(step_of(&p, PLAN_RESTART, "nginx.service") >= 0);
    assert_int_equal(count_of(&p, PLAN_RESET), 0);
    assert_int_equal(count_of(&p, PLAN_KEEP_LOGS), 0);
    host_plan_free(&p);

    /* Listening beyond loopback but not vulnerable (stale only): no reset either. */
    procs[0].nsockets = 2;
    procs[0].maps_vulnerable = false;
    procs[0].maps_stale = true;
    p = build(&f);
    assert_int_equal(count_of(&p, PLAN_RESET), 0);
    host_plan_free(&p);
}

/* Everything at once, given in the reverse of the plan's order: the plan still sorts it. */
static void test_order(void **state)
{
    (void)state;
    struct audit_copy copies[] = {
        shared_copy("/usr/local/bin/proxy", true, HOST_VULNERABLE, NULL, NULL),
        shared_copy("/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0", true, HOST_VULNERABLE,
                    "libssl1.0.0", "dpkg"),
    };
    copies[0].kind = COPY_STATIC;
    struct audit_process procs[] = {process(812, "nginx", "nginx.service"),
                                    process(900, "postfix", "postfix.service")};
    struct audit_socket socks[] = {listening("0.0.0.0", 443, false)};
    procs[0].maps_vulnerable = true;
    procs[0].copies[0] = 1;
    procs[0].ncopies = 1;
    procs[0].sockets = socks;
    procs[0].nsockets = 1;
    procs[1].maps_stale = true;
    struct audit_cert certs[] = {cert("nginx", "/etc/ssl/site.pem", true)};
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 2;
    f.processes = procs;
    f.nprocesses = 2;
    f.certs = certs;
    f.ncerts = 1;
    struct host_plan p = build(&f);
    static const enum plan_action want[] = {
        PLAN_UPGRADE, PLAN_REBUILD, PLAN_RESTART,   PLAN_RESTART, PLAN_ROTATE_KEY,
        PLAN_REVOKE,  PLAN_RESET,   PLAN_KEEP_LOGS, PLAN_VERIFY,
    };
    for (size_t i = 0; i < p.nsteps; i++)
        print_message("step %zu: %s %s\n", i + 1, host_plan_action_name(p.steps[i].action),
                      p.steps[i].subject);
    assert_int_equal(p.nsteps, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < p.nsteps; i++)
        assert_int_equal(p.steps[i].action, want[i]);
    assert_string_equal(p.steps[0].subject, "libssl1.0.0");
    assert_string_equal(p.steps[1].subject, "/usr/local/bin/proxy");
    assert_well_formed(&p);
    host_plan_free(&p);
}

/* A process that carries its own TLS code, listed after one that maps a vulnerable library:
 * its rebuild still comes before every restart. */
static void test_rebuild_before_restarts(void **state)
{
    (void)state;
    struct audit_process procs[] = {process(812, "nginx", "nginx.service"),
                                    process(77, "haproxy", "haproxy.service")};
    procs[0].maps_vulnerable = true;
    procs[1].maps_vulnerable = true;
    procs[1].answers_probe = true;
    struct audit_findings f = findings();
    f.processes = procs;
    f.nprocesses = 2;
    struct host_plan p = build(&f);
    for (size_t i = 0; i < p.nsteps; i++)
        print_message("step %zu: %s %s\n", i + 1, host_plan_action_name(p.steps[i].action),
                      p.steps[i].subject);
    assert_int_equal(p.nsteps, 4);
    assert_int_equal(step_of(&p, PLAN_REBUILD, "/usr/sbin/haproxy"), 0);
    assert_well_formed(&p);
    host_plan_free(&p);
}

static void test_nothing_vulnerable(void **state)
{
    (void)state;
    struct audit_copy copies[] = {
        shared_copy("/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0", true, HOST_PATCHED, "libssl1.0.0",
                    "dpkg"),
        shared_copy("/usr/lib/x86_64-linux-gnu/libssl.so.3", true, HOST_NOT_VULNERABLE, NULL, NULL),
        shared_copy("/opt/x/libssl.so", true, HOST_UNKNOWN, NULL, NULL),
    };
    struct audit_process procs[] = {process(812, "nginx", "nginx.service")};
    struct audit_socket socks[] = {listening("0.0.0.0", 443, false)};
    procs[0].sockets = socks;
    procs[0].nsockets = 1;
    struct audit_cert certs[] = {cert("nginx", "/etc/ssl/site.pem", false)};
    struct audit_findings f = findings();
    f.copies = copies;
    f.ncopies = 3;
    f.processes = procs;
    f.nprocesses = 1;
    f.certs = certs;
    f.ncerts = 1;
    struct host_plan p = build(&f);
    assert_int_equal(p.nsteps, 0);
    host_plan_free(&p);

    struct audit_findings empty = findings();
    p = build(&empty);
    assert_int_equal(p.nsteps, 0);
    host_plan_free(&p);
}

/* Many processes: the steps array grows past its first allocation. */
static void test_many_steps(void **state)
{
    (void)state;
    enum { N = 40 };
    struct audit_process procs[N];
    for (int i = 0; i < N; i++) {
        procs[i] = process(1000 + i, "worker", NULL);
        procs[i].maps_stale = true;
    }
    struct audit_findings f = findings();
    f.processes = procs;
    f.nprocesses = N;
    struct host_plan p = build(&f);
    assert_int_equal(p.nsteps, N + 1);
    assert_string_equal(p.steps[N - 1].subject, "worker (pid 1039)");
    assert_well_formed(&p);
    host_plan_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_upgrade_dpkg),
        cmocka_unit_test(test_upgrade_rpm),
        cmocka_unit_test(test_one_step_per_package),
        cmocka_unit_test(test_upgrade_unpackaged),
        cmocka_unit_test(test_static_copy_rebuild),
        cmocka_unit_test(test_restart_unit),
        cmocka_unit_test(test_restart_without_unit),
        cmocka_unit_test(test_restart_stale),
        cmocka_unit_test(test_answers_probe),
        cmocka_unit_test(test_rotate_then_revoke),
        cmocka_unit_test(test_rotate_key_older_than_fix),
        cmocka_unit_test(test_exposed_reset_and_logs),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_rebuild_before_restarts),
        cmocka_unit_test(test_nothing_vulnerable),
        cmocka_unit_test(test_many_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
