/* report_host.c: the host audit's JSON Lines (docs/json.md, "host output": one object per line,
 * each with its type, in the documented order, closed by the summary) and its text sections,
 * with hostile paths and banners (newlines, escape sequences, quotes, invalid UTF-8). */
#include "unit.h"

#include "host/model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- findings by hand -------------------------------------------------------------------- */

struct world {
    struct audit_copy copies[3];
    struct audit_process procs[2];
    struct audit_socket socks[2];
    struct audit_socket unowned[1];
    struct audit_program programs[2];
    struct audit_cert certs[2];
    struct audit_findings f;
    struct host_plan plan;
};

static void set(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s); }
#define SET(field, s) set(field, sizeof(field), s)

/* A Debian 7 web server in April 2014: vulnerable libssl and libcrypto, nginx on 0.0.0.0:443
 * that answered the probe, an exposed certificate, curl linking libssl. */
static void world_init(struct world *w)
{
    memset(w, 0, sizeof *w);
    struct audit_copy *c = &w->copies[0];
    c->kind = COPY_SHARED;
    c->is_libssl = true;
    c->partner = 1;
    SET(c->path, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    SET(c->version, "1.0.1e");
    SET(c->banner, "OpenSSL 1.0.1e 11 Feb 2013");
    SET(c->package, "libssl1.0.0");
    SET(c->package_manager, "dpkg");
    SET(c->package_version, "1.0.1e-2+deb7u4");
    SET(c->package_evidence,
        "Debian 7 fixed in 1.0.1e-2+deb7u5; installed 1.0.1e-2+deb7u4 is older");
    c->verdict = HOST_VULNERABLE;
    c->basis = BASIS_PACKAGE;
    SET(c->reason, "OpenSSL 1.0.1e, no back-port known");
    w->copies[1] = *c;
    c = &w->copies[1];
    c->is_libssl = false;
    c->partner = 0;
    SET(c->path, "/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0");
    SET(c->reason, "the libcrypto of /usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    c = &w->copies[2];
    c->kind = COPY_SHARED;
    c->is_libssl = true;
    c->partner = -1;
    SET(c->path, "/usr/local/lib/libssl.so.3");
    SET(c->version, "3.0.19");
    SET(c->banner, "OpenSSL 3.0.19 27 Jan 2026");
    c->behaviour_ran = true;
    c->behaviour_verdict = HOST_NOT_VULNERABLE;
    SET(c->behaviour, "heartbeat refused with alert unexpected_message");
    c->verdict = HOST_NOT_VULNERABLE;
    c->basis = BASIS_BEHAVIOUR;
    SET(c->reason, "heartbeat refused with alert unexpected_message");

    struct audit_process *p = &w->procs[0];
    p->pid = 812;
    SET(p->comm, "nginx");
    SET(p->exe, "/usr/sbin/nginx");
    SET(p->unit, "nginx.service");
    p->copies[0] = 0;
    p->copies[1] = 1;
    p->ncopies = 2;
    p->maps_vulnerable = true;
    p->sockets = w->socks;
    p->nsockets = 2;
    w->socks[0] = (struct audit_socket){.tcp = true, .port = 443, .probed = true};
    SET(w->socks[0].address, "0.0.0.0");
    SET(w->socks[0].verdict, "vulnerable");
    SET(w->socks[0].reason, "heartbeat echoed 16384 bytes");
    w->socks[1] = (struct audit_socket){.tcp = true, .port = 8080, .loopback_only = true};
    SET(w->socks[1].address, "127.0.0.1");
    p = &w->procs[1];
    p->pid = 900;
    SET(p->comm, "sshd"); /* listens, runs no OpenSSL: hidden in text without -v */

    w->unowned[0] = (struct audit_socket){.tcp = false, .port = 53};
    SET(w->unowned[0].address, "::");
    SET(w->programs[0].path, "/usr/bin/curl");
    SET(w->programs[0].package, "curl");
    SET(w->programs[1].path, "/usr/bin/wget");

    struct audit_cert *k = &w->certs[0];
    SET(k->service, "nginx");
    SET(k->cert_path, "/etc/ssl/certs/site.pem");
    SET(k->key_path, "/etc/ssl/private/site.key");
    SET(k->subject, "CN=www.example.com");
    SET(k->not_before, "2014-01-02T00:00:00Z");
    SET(k->spki_sha256, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    k->exposed_while_vulnerable = true;
    k = &w->certs[1];
    SET(k->key_path, "/etc/ssl/private/old.key"); /* only found in /etc: hidden without -v */

    struct audit_findings *f = &w->f;
    SET(f->hostname, "web1");
    SET(f->root_dir, "/");
    f->root = true;
    f->unseen_processes = 3;
    f->copies = w->copies;
    f->ncopies = 3;
    f->processes = w->procs;
    f->nprocesses = 2;
    f->unowned_sockets = w->unowned;
    f->nunowned = 1;
    f->programs = w->programs;
    f->nprograms = 2;
    f->certs = w->certs;
    f->ncerts = 2;
}

/* What host_report writes, as a string the caller frees. */
static char *render(const struct world *w, bool json, bool verbose, bool color)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    struct host_output o = {.json = json, .verbose = verbose, .color = color};
    host_report(out, &w->f, &w->plan, &o);
    assert_int_equal(fclose(out), 0);
    return text;
}

struct lines {
    json_t *items[64];
    size_t count;
};

/* Every line must be exactly one JSON object, and the output must end with a newline. */
static void parse_lines(const char *text, struct lines *l)
{
    l->count = 0;
    size_t len = strlen(text);
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n');
    for (const char *s = text; *s;) {
        const char *nl = strchr(s, '\n');
        assert_non_null(nl);
        json_error_t err;
        json_t *o = json_loadb(s, (size_t)(nl - s), 0, &err);
        if (!o)
            print_message("line %zu not JSON (%s): %.*s\n", l->count + 1, err.text, (int)(nl - s),
                          s);
        assert_non_null(o);
        assert_true(json_is_object(o));
        assert_true(json_is_string(json_object_get(o, "type")));
        assert_true(l->count < sizeof l->items / sizeof l->items[0]);
        l->items[l->count++] = o;
        s = nl + 1;
    }
}

static void free_lines(struct lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        json_decref(l->items[i]);
    l->count = 0;
}

static const char *type_of(const json_t *o)
{
    return json_string_value(json_object_get(o, "type"));
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_int_t num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static int rank(const char *type)
{
    static const char *const order[] = {"copy",        "process", "socket", "program",
                                        "certificate", "plan",    "summary"};
    for (int i = 0; i < 7; i++)
        if (strcmp(order[i], type) == 0)
            return i;
    fail_msg("unknown type %s", type);
    return -1;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void test_json_lines(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    assert_int_equal(host_plan_build(&w.f, &w.plan), 0);
    char *text = render(&w, true, false, true);
    assert_null(strchr(text, '\033')); /* colour is for the terminal only */
    struct lines l;
    parse_lines(text, &l);
    size_t want = 3 + 2 + 1 + 2 + 2 + w.plan.nsteps + 1;
    assert_int_equal(l.count, want);
    for (size_t i = 1; i < l.count; i++)
        assert_true(rank(type_of(l.items[i - 1])) <= rank(type_of(l.items[i])));
    assert_string_equal(type_of(l.items[l.count - 1]), "summary");

    const json_t *c = l.items[0];
    assert_string_equal(type_of(c), "copy");
    assert_string_equal(str(c, "path"), "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    assert_string_equal(str(c, "kind"), "shared");
    assert_string_equal(str(c, "library"), "libssl");
    assert_string_equal(str(c, "version"), "1.0.1e");
    assert_string_equal(str(c, "banner"), "OpenSSL 1.0.1e 11 Feb 2013");
    assert_true(json_is_false(json_object_get(c, "no_heartbeats")));
    assert_string_equal(str(c, "package"), "libssl1.0.0");
    assert_string_equal(str(c, "package_version"), "1.0.1e-2+deb7u4");
    assert_true(json_is_false(json_object_get(c, "package_fixed")));
    assert_non_null(strstr(str(c, "package_evidence"), "Debian 7"));
    assert_true(json_is_null(json_object_get(c, "behaviour")));
    assert_string_equal(str(c, "verdict"), "vulnerable");
    assert_string_equal(str(c, "basis"), "package");
    assert_string_equal(str(l.items[1], "library"), "libcrypto");
    c = l.items[2];
    assert_true(json_is_null(json_object_get(c, "package")));
    assert_true(json_is_null(json_object_get(c, "package_version")));
    assert_true(json_is_null(json_object_get(c, "package_evidence")));
    assert_string_equal(str(c, "behaviour"), "heartbeat refused with alert unexpected_message");
    assert_string_equal(str(c, "verdict"), "not_vulnerable");
    assert_string_equal(str(c, "basis"), "behaviour");

    const json_t *p = l.items[3];
    assert_string_equal(type_of(p), "process");
    assert_int_equal(num(p, "pid"), 812);
    assert_string_equal(str(p, "comm"), "nginx");
    assert_string_equal(str(p, "exe"), "/usr/sbin/nginx");
    assert_string_equal(str(p, "unit"), "nginx.service");
    const json_t *libs = json_object_get(p, "libraries");
    assert_int_equal(json_array_size(libs), 2);
    assert_string_equal(json_string_value(json_array_get(libs, 1)),
                        "/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0");
    assert_true(json_is_true(json_object_get(p, "maps_vulnerable")));
    assert_true(json_is_true(json_object_get(p, "restart_needed")));
    assert_true(json_is_false(json_object_get(p, "stale_library")));
    const json_t *socks = json_object_get(p, "listening");
    assert_int_equal(json_array_size(socks), 2);
    const json_t *s = json_array_get(socks, 0);
    assert_string_equal(str(s, "proto"), "tcp");
    assert_string_equal(str(s, "address"), "0.0.0.0");
    assert_int_equal(num(s, "port"), 443);
    assert_true(json_is_false(json_object_get(s, "loopback_only")));
    assert_string_equal(str(s, "verdict"), "vulnerable");
    assert_string_equal(str(s, "reason"), "heartbeat echoed 16384 bytes");
    s = json_array_get(socks, 1);
    assert_true(json_is_true(json_object_get(s, "loopback_only")));
    assert_true(json_is_null(json_object_get(s, "verdict")));
    assert_true(json_is_null(json_object_get(s, "reason")));
    p = l.items[4];
    assert_true(json_is_null(json_object_get(p, "exe")));
    assert_true(json_is_null(json_object_get(p, "unit")));
    assert_int_equal(json_array_size(json_object_get(p, "libraries")), 0);
    assert_true(json_is_false(json_object_get(p, "restart_needed")));

    s = l.items[5];
    assert_string_equal(type_of(s), "socket");
    assert_string_equal(str(s, "proto"), "udp");
    assert_string_equal(str(s, "address"), "::");
    assert_int_equal(num(s, "port"), 53);
    assert_string_equal(type_of(l.items[6]), "program");
    assert_string_equal(str(l.items[6], "path"), "/usr/bin/curl");
    assert_string_equal(str(l.items[7], "path"), "/usr/bin/wget");

    const json_t *k = l.items[8];
    assert_string_equal(type_of(k), "certificate");
    assert_string_equal(str(k, "service"), "nginx");
    assert_string_equal(str(k, "cert_path"), "/etc/ssl/certs/site.pem");
    assert_string_equal(str(k, "key_path"), "/etc/ssl/private/site.key");
    assert_string_equal(str(k, "subject"), "CN=www.example.com");
    assert_string_equal(str(k, "not_before"), "2014-01-02T00:00:00Z");
    assert_int_equal(strlen(str(k, "spki_sha256")), 64);
    assert_true(json_is_true(json_object_get(k, "exposed_while_vulnerable")));
    k = l.items[9];
    assert_true(json_is_null(json_object_get(k, "service")));
    assert_true(json_is_null(json_object_get(k, "cert_path")));
    assert_true(json_is_false(json_object_get(k, "exposed_while_vulnerable")));

    for (size_t i = 0; i < w.plan.nsteps; i++) {
        const json_t *st = l.items[10 + i];
        assert_string_equal(type_of(st), "plan");
        assert_int_equal(num(st, "step"), (json_int_t)i + 1);
        assert_string_equal(str(st, "action"), host_plan_action_name(w.plan.steps[i].action));
        assert_string_equal(str(st, "subject"), w.plan.steps[i].subject);
        assert_string_equal(str(st, "why"), w.plan.steps[i].why);
        const json_t *cmd = json_object_get(st, "command");
        if (w.plan.steps[i].command[0])
            assert_string_equal(json_string_value(cmd), w.plan.steps[i].command);
        else
            assert_true(json_is_null(cmd));
    }
    assert_string_equal(str(l.items[10], "action"), "upgrade");
    assert_string_equal(str(l.items[10], "subject"), "libssl1.0.0");

    const json_t *sum = l.items[l.count - 1];
    assert_string_equal(str(sum, "hostname"), "web1");
    assert_string_equal(str(sum, "root_dir"), "/");
    assert_true(json_is_true(json_object_get(sum, "privileged")));
    assert_int_equal(num(sum, "copies"), 3);
    assert_int_equal(num(sum, "vulnerable"), 2);
    assert_int_equal(num(sum, "restart_needed"), 1);
    assert_int_equal(num(sum, "unseen_processes"), 3);
    assert_int_equal(num(sum, "plan_steps"), (json_int_t)w.plan.nsteps);
    free_lines(&l);
    free(text);
    host_plan_free(&w.plan);
}

/* Nothing found at all: the summary alone. */
static void test_json_empty(void **state)
{
    (void)state;
    struct world w;
    memset(&w, 0, sizeof w);
    SET(w.f.hostname, "img");
    SET(w.f.root_dir, "/mnt/img");
    char *text = render(&w, true, false, false);
    struct lines l;
    parse_lines(text, &l);
    assert_int_equal(l.count, 1);
    const json_t *sum = l.items[0];
    assert_string_equal(type_of(sum), "summary");
    assert_string_equal(str(sum, "root_dir"), "/mnt/img");
    assert_true(json_is_false(json_object_get(sum, "privileged")));
    assert_int_equal(num(sum, "copies"), 0);
    assert_int_equal(num(sum, "vulnerable"), 0);
    assert_int_equal(num(sum, "plan_steps"), 0);
    assert_true(json_is_null(json_object_get(sum, "fix")));
    free_lines(&l);
    free(text);
}

/* Key ages against the fix from the dpkg log: in the certificate lines, the summary and the
 * text (in UTC here). */
static void test_key_age(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    struct world w;
    memset(&w, 0, sizeof w);
    SET(w.f.hostname, "img");
    SET(w.f.root_dir, "/mnt/img");
    struct audit_cert *k = &w.certs[0];
    SET(k->service, "nginx");
    SET(k->cert_path, "/etc/ssl/site.pem");
    k->key_mtime = 1393632000; /* 2014-03-01 */
    k->key_age = KEY_AGE_BEFORE_FIX;
    SET(w.certs[1].key_path, "/etc/ssl/other.key");
    w.f.certs = w.certs;
    w.f.ncerts = 2;
    w.f.fix = (struct audit_fix){.known = true, .when = 1396951200};
    SET(w.f.fix.package, "libssl1.0.0");
    SET(w.f.fix.version, "1.0.1e-2+deb7u5");
    char *text = render(&w, true, false, false);
    struct lines l;
    parse_lines(text, &l);
    assert_int_equal(l.count, 3);
    assert_string_equal(str(l.items[0], "key_mtime"), "2014-03-01T00:00:00+0000");
    assert_string_equal(str(l.items[0], "key_age"), "before_fix");
    assert_true(json_is_null(json_object_get(l.items[1], "key_mtime")));
    assert_true(json_is_null(json_object_get(l.items[1], "key_age")));
    const json_t *fix = json_object_get(l.items[2], "fix");
    assert_string_equal(str(fix, "package"), "libssl1.0.0");
    assert_string_equal(str(fix, "version"), "1.0.1e-2+deb7u5");
    assert_string_equal(str(fix, "installed"), "2014-04-08T10:00:00+0000");
    free_lines(&l);
    free(text);
    text = render(&w, false, false, false);
    assert_non_null(
        strstr(text, "key file changed 2014-03-01T00:00:00+0000: BEFORE the fix, ROTATE"));
    assert_non_null(strstr(text, "(the fix: libssl1.0.0 1.0.1e-2+deb7u5, installed 2014-04-08"));
    free(text);
}

/* Text chosen by files: newline, ESC, quotes, backslash, invalid UTF-8. */
static const char hostile_path[] = "/tmp/x\n{\"type\":\"copy\"}\033[2J\"q\\/libssl.so.1.0.0";
static const char hostile_banner[] = "OpenSSL 1.0.1f \xff\xfe\xc3 6 Jan 2014\033]0;owned\a";
static const char bad_utf8_path[] = "/usr/bin/\xc3\x28prog\x80";

static void world_hostile(struct world *w)
{
    world_init(w);
    SET(w->copies[0].path, hostile_path);
    SET(w->copies[0].banner, hostile_banner);
    SET(w->copies[1].path, bad_utf8_path);
    SET(w->copies[2].reason, "reason with \xff byte");
    SET(w->procs[0].comm, "ngi\033[31mnx\n");
    SET(w->procs[0].exe, bad_utf8_path);
    SET(w->socks[0].reason, "server said \x01\x02\xfe");
    SET(w->programs[0].path, bad_utf8_path);
    SET(w->programs[1].path, hostile_path);
    SET(w->certs[0].subject, "CN=\xe9vil\n\033[1m");
    SET(w->certs[0].cert_path, bad_utf8_path);
    SET(w->f.hostname, "host\xff\033");
}

/* Every finding stays one JSON object on one line, with every key present (invalid UTF-8
 * replaced, never dropping the key or the object). */
static void test_json_hostile(void **state)
{
    (void)state;
    struct world w;
    world_hostile(&w);
    assert_int_equal(host_plan_build(&w.f, &w.plan), 0);
    char *text = render(&w, true, true, false);
    assert_null(strchr(text, '\033'));
    struct lines l;
    parse_lines(text, &l);
    assert_int_equal(l.count, 3 + 2 + 1 + 2 + 2 + w.plan.nsteps + 1);
    /* The newline-carrying path is one string, escaped. */
    assert_string_equal(str(l.items[0], "path"), hostile_path);
    assert_true(json_is_string(json_object_get(l.items[0], "banner")));
    assert_non_null(strstr(str(l.items[0], "banner"), "OpenSSL 1.0.1f"));
    assert_true(json_is_string(json_object_get(l.items[1], "path")));
    assert_true(json_is_string(json_object_get(l.items[2], "reason")));
    assert_true(json_is_string(json_object_get(l.items[3], "comm")));
    assert_true(json_is_string(json_object_get(l.items[3], "exe")));
    const json_t *libs = json_object_get(l.items[3], "libraries");
    assert_int_equal(json_array_size(libs), 2);
    assert_true(json_is_string(json_array_get(libs, 1)));
    const json_t *sock = json_array_get(json_object_get(l.items[3], "listening"), 0);
    assert_true(json_is_string(json_object_get(sock, "reason")));
    assert_string_equal(type_of(l.items[6]), "program");
    assert_true(json_is_string(json_object_get(l.items[6], "path")));
    assert_string_equal(str(l.items[7], "path"), hostile_path);
    assert_true(json_is_string(json_object_get(l.items[8], "subject")));
    assert_true(json_is_string(json_object_get(l.items[8], "cert_path")));
    for (size_t i = 0; i < w.plan.nsteps; i++)
        assert_true(json_is_string(json_object_get(l.items[10 + i], "why")));
    assert_true(json_is_string(json_object_get(l.items[l.count - 1], "hostname")));
    free_lines(&l);
    free(text);
    host_plan_free(&w.plan);
}

/* ---- text -------------------------------------------------------------------------------- */

static void test_text_sections(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    assert_int_equal(host_plan_build(&w.f, &w.plan), 0);
    char *text = render(&w, false, false, false);
    print_message("%s", text);
    assert_null(strchr(text, '\033'));
    assert_non_null(strstr(text, "heartcheck host: web1\n"));
    assert_null(strstr(text, "(image at"));
    assert_non_null(strstr(text, "OpenSSL copies (3)"));
    assert_non_null(strstr(text, "VULNERABLE"));
    assert_non_null(strstr(text, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0"));
    assert_non_null(strstr(text, "package libssl1.0.0 1.0.1e-2+deb7u4"));
    /* A vulnerable libcrypto is shown even without -v. */
    assert_non_null(strstr(text, "libcrypto.so.1.0.0"));
    assert_non_null(strstr(text, "Processes using TLS libraries"));
    assert_non_null(strstr(text, "RESTART"));
    assert_non_null(strstr(text, "nginx (pid 812, nginx.service)"));
    assert_non_null(strstr(text, "listens tcp 0.0.0.0:443 -> vulnerable"));
    assert_non_null(strstr(text, "listens tcp 127.0.0.1:8080 (loopback only)"));
    assert_null(strstr(text, "sshd")); /* no OpenSSL: shown with -v */
    assert_non_null(strstr(text, "3 processes could not be inspected"));
    assert_non_null(strstr(text, "Programs linking libssl or libcrypto: 2 (list with -v)"));
    assert_null(strstr(text, "/usr/bin/curl"));
    assert_non_null(strstr(text, "Certificates and keys in use"));
    assert_non_null(strstr(text, "ROTATE nginx /etc/ssl/certs/site.pem"));
    assert_null(strstr(text, "old.key"));
    assert_non_null(strstr(text, "What to do, in this order"));
    assert_non_null(strstr(text, "1. upgrade libssl1.0.0"));
    assert_non_null(strstr(text, "$ apt-get update && apt-get install --only-upgrade libssl1.0.0"));
    assert_null(strstr(text, "Nothing to do"));
    assert_null(strstr(text, "Not run as root"));
    free(text);

    text = render(&w, false, true, false);
    assert_non_null(strstr(text, "sshd (pid 900)"));
    assert_non_null(strstr(text, "Programs linking libssl or libcrypto: 2\n"));
    assert_non_null(strstr(text, "  /usr/bin/curl  package curl\n"));
    assert_non_null(strstr(text, "  /usr/bin/wget\n"));
    assert_non_null(strstr(text, "old.key"));
    free(text);

    /* IPv6 addresses in brackets. */
    SET(w.socks[1].address, "::1");
    text = render(&w, false, false, false);
    assert_non_null(strstr(text, "listens tcp [::1]:8080 (loopback only)"));
    free(text);

    /* Colour: verdicts and RESTART are coloured and reset. */
    text = render(&w, false, false, true);
    assert_non_null(strstr(text, "\033[1;31mVULNERABLE"));
    assert_non_null(strstr(text, "\033[0m"));
    free(text);
    host_plan_free(&w.plan);
}

/* A clean image: no processes, programs or certificates sections, "Nothing to do". */
static void test_text_clean(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    w.copies[0].verdict = HOST_PATCHED;
    w.copies[1].verdict = HOST_PATCHED;
    w.f.nprocesses = 0;
    w.f.nprograms = 0;
    w.f.ncerts = 0;
    w.f.nunowned = 0;
    w.f.unseen_processes = 0;
    w.f.root = false;
    SET(w.f.root_dir, "/mnt/img");
    assert_int_equal(host_plan_build(&w.f, &w.plan), 0);
    assert_int_equal(w.plan.nsteps, 0);
    char *text = render(&w, false, false, false);
    print_message("%s", text);
    assert_non_null(strstr(text, "heartcheck host: web1 (image at /mnt/img)\n"));
    assert_non_null(strstr(text, "PATCHED"));
    /* A libcrypto that mirrors its libssl is hidden without -v. */
    assert_null(strstr(text, "libcrypto.so.1.0.0"));
    assert_null(strstr(text, "Processes using TLS libraries"));
    assert_null(strstr(text, "Programs linking"));
    assert_null(strstr(text, "Certificates and keys"));
    assert_null(strstr(text, "What to do"));
    assert_non_null(strstr(text, "Nothing to do: no vulnerable OpenSSL in use on this machine."));
    /* An image is read whole: no warning about privileges. */
    assert_null(strstr(text, "Not run as root"));
    free(text);

    /* This machine, not as root: the warning. */
    SET(w.f.root_dir, "/");
    text = render(&w, false, false, false);
    assert_non_null(strstr(text, "heartcheck host: web1\n"));
    assert_non_null(strstr(text, "Not run as root"));
    free(text);
    host_plan_free(&w.plan);
}

/* Paths, banners, names and reasons from files and servers never reach the terminal raw: no
 * ESC, no C0 control other than the report's own newlines, no invalid UTF-8. */
static void test_text_hostile(void **state)
{
    (void)state;
    struct world w;
    world_hostile(&w);
    assert_int_equal(host_plan_build(&w.f, &w.plan), 0);
    char *text = render(&w, false, true, false);
    print_message("%s", text);
    assert_null(strchr(text, '\033'));
    assert_null(strchr(text, '\a'));
    assert_null(strchr(text, '\x01'));
    assert_null(strchr(text, '\xff'));
    /* The newline inside the path did not start a line of its own. */
    assert_null(strstr(text, "\n{\"type\":\"copy\"}"));
    free(text);
    host_plan_free(&w.plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_lines),   cmocka_unit_test(test_json_empty),
        cmocka_unit_test(test_json_hostile), cmocka_unit_test(test_text_sections),
        cmocka_unit_test(test_text_clean),   cmocka_unit_test(test_text_hostile),
        cmocka_unit_test(test_key_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
