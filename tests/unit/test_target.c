/* target_parse: every spelling a user may give for a target, and every way to get one wrong. */
#include "unit.h"

#include "engine/engine.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct good_case {
    const char *spec;
    const char *host;
    uint16_t port;
    int family;
};

/* Parses spec with default port 443 and checks every field of the result. */
static void expect_good(const struct good_case *c)
{
    struct target t;
    char err[256] = "";
    memset(&t, 0x55, sizeof t);
    hc_result r = target_parse(c->spec, 443, &t, err, sizeof err);
    if (!hc_ok(r))
        fail_msg("'%s' rejected: %s", c->spec, err);
    assert_string_equal(t.spec, c->spec);
    assert_string_equal(t.host, c->host);
    assert_int_equal(t.port, c->port);
    assert_int_equal(t.family, c->family);
}

static void test_names(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        {"example.com", "example.com", 443, 0},
        {"example.com:8443", "example.com", 8443, 0},
        {"localhost", "localhost", 443, 0},
        {"example.com.", "example.com.", 443, 0}, /* fully qualified, trailing dot */
        {"example.com.:25", "example.com.", 25, 0},
        {"my_host.internal", "my_host.internal", 443, 0}, /* internal names have them */
        {"a-b.c-d.e", "a-b.c-d.e", 443, 0},
        {"x:1", "x", 1, 0},
        {"x:65535", "x", 65535, 0},
        {"X1.EXAMPLE.COM:00443", "X1.EXAMPLE.COM", 443, 0},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++)
        expect_good(&cases[i]);
}

static void test_addresses(void **state)
{
    (void)state;
    static const struct good_case cases[] = {
        {"127.0.0.1", "127.0.0.1", 443, AF_INET},
        {"192.0.2.1:993", "192.0.2.1", 993, AF_INET},
        {"[::1]:443", "::1", 443, AF_INET6},
        {"[2001:db8::1]:8443", "2001:db8::1", 8443, AF_INET6},
        {"[::1]", "::1", 443, AF_INET6},
        {"[::ffff:192.0.2.1]:25", "::ffff:192.0.2.1", 25, AF_INET6},
        /* Bare IPv6: every colon belongs to the address, so no port is possible. */
        {"::1", "::1", 443, AF_INET6},
        {"fe80::1", "fe80::1", 443, AF_INET6},
        {"2001:db8::443", "2001:db8::443", 443, AF_INET6},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++)
        expect_good(&cases[i]);
}

static void test_default_port(void **state)
{
    (void)state;
    struct target t;
    char err[128];
    assert_success(target_parse("mail.example", 993, &t, err, sizeof err));
    assert_int_equal(t.port, 993);
    assert_success(target_parse("[::1]", 636, &t, err, sizeof err));
    assert_int_equal(t.port, 636);
    assert_success(target_parse("mail.example:25", 993, &t, err, sizeof err));
    assert_int_equal(t.port, 25); /* an explicit port wins */
}

/* Rejected with HC_ERR_USAGE, err says something, and out is left untouched. */
static void expect_bad(const char *spec)
{
    struct target t;
    memset(&t, 0x55, sizeof t);
    struct target before = t;
    char err[512] = "";
    hc_result r = target_parse(spec, 443, &t, err, sizeof err);
    if (r.error != HC_ERR_USAGE)
        fail_msg("'%.40s' accepted (host '%s', port %u)", spec, t.host, t.port);
    if (strlen(err) < 10)
        fail_msg("'%.40s': error text '%s' says nothing", spec, err);
    assert_memory_equal(&t, &before, sizeof t);
}

static void test_bad_ports(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "host:",       "host:0",  "host:65536", "host:99999",  "host:-1",
        "host:+1",     "host:1x", "host: 1",    "host:1 ",     "host:0x10",
        "host:123456", "[::1]:",  "[::1]:0",    "[::1]:70000", "1.2.3.4:",
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++)
        expect_bad(bad[i]);
}

static void test_bad_brackets(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[::1", "[::1]x",        "[::1]443",          "[]:443",
        "[]",   "[1.2.3.4]:443", "[example.com]:443", "[::1]:443]",
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++)
        expect_bad(bad[i]);
}

static void test_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",    "a b",       "-bad.example", "bad-.example", "a..b",
        ".",   ".example",  "ex ample:443", ":443",         "a/b",
        "a@b", "exa\tmple", "host\n",       "::1:443:x",    "1.2.3.4:5:6",
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++)
        expect_bad(bad[i]);
}

/* A numeric last label is a mistyped address, never a name (no TLD is numeric): it must not
 * reach the resolver. Names may still start with digits. */
static void test_numeric_last_label(void **state)
{
    (void)state;
    expect_bad("127.2.0.300");
    expect_bad("10.0.0.256:443");
    expect_bad("1.2.3.4.5");
    expect_bad("300");
    expect_bad("10.0.0.300.");
    static const struct good_case ok[] = {
        {"9.example", "9.example", 443, 0},
        {"1.2.3.example:25", "1.2.3.example", 25, 0},
        {"host1", "host1", 443, 0},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(ok); i++)
        expect_good(&ok[i]);
}

/* RFC 1123 section 2.1: a label does not end with a hyphen, the last one included. */
static void test_trailing_hyphen_in_last_label(void **state)
{
    (void)state;
    expect_bad("example.bad-");
    expect_bad("bad-");
    expect_bad("bad-:443");
}

static void fill(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
}

static void test_lengths(void **state)
{
    (void)state;
    char spec[512];
    struct target t;
    char err[256];

    fill(spec, 'a', 63); /* the longest label */
    assert_success(target_parse(spec, 443, &t, err, sizeof err));
    fill(spec, 'a', 64);
    expect_bad(spec);
    strcpy(spec + 64, ".example");
    expect_bad(spec);

    /* 253 characters: 63.63.63.61, the longest name; with a trailing dot, 254 is fine. */
    fill(spec, 'a', 253);
    spec[63] = spec[127] = spec[191] = '.';
    assert_success(target_parse(spec, 443, &t, err, sizeof err));
    strcat(spec, ".");
    assert_success(target_parse(spec, 443, &t, err, sizeof err));
    fill(spec, 'a', 254);
    spec[63] = spec[127] = spec[191] = '.';
    expect_bad(spec);

    fill(spec, 'a', 300);
    expect_bad(spec);
    fill(spec, 'a', TARGET_SPEC_MAX - 1);
    expect_bad(spec); /* fits the spec field, but no host is that long */
}

/* An error never overruns err, even a tiny one, and a NULL/0 buffer is allowed. */
static void test_small_error_buffer(void **state)
{
    (void)state;
    struct target t;
    char err[8];
    memset(err, 'x', sizeof err);
    assert_error(target_parse("host:99999", 443, &t, err, 4), HC_ERR_USAGE);
    assert_int_equal(strlen(err), 3);
    assert_int_equal(err[4], 'x');
    assert_error(target_parse("a b", 443, &t, NULL, 0), HC_ERR_USAGE);
}

static void test_error_names_the_target(void **state)
{
    (void)state;
    struct target t;
    char err[256];
    assert_error(target_parse("host:99999", 443, &t, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, "host:99999"));
    assert_non_null(strstr(err, "port"));
    assert_error(target_parse("[::1", 443, &t, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, "]"));
    assert_error(target_parse("", 443, &t, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, "empty"));
}

/* "dtls://" names the transport; spec keeps it, host and port are as without it. */
static void test_dtls_scheme(void **state)
{
    (void)state;
    struct target t;
    char err[256] = "";
    assert_success(target_parse("dtls://vpn.example.com:4433", 443, &t, err, sizeof err));
    assert_string_equal(t.spec, "dtls://vpn.example.com:4433");
    assert_string_equal(t.host, "vpn.example.com");
    assert_int_equal(t.port, 4433);
    assert_int_equal(t.transport, PROBE_DTLS);
    assert_success(target_parse("dtls://[2001:db8::1]:4433", 443, &t, err, sizeof err));
    assert_string_equal(t.host, "2001:db8::1");
    assert_int_equal(t.family, AF_INET6);
    assert_success(target_parse("dtls://192.0.2.1", 443, &t, err, sizeof err));
    assert_int_equal(t.port, 443);
    assert_success(target_parse("192.0.2.1:4433", 443, &t, err, sizeof err));
    assert_int_equal(t.transport, PROBE_TCP);
    assert_error(target_parse("dtls://", 443, &t, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, "no host after the scheme"));
    assert_error(target_parse("udp://192.0.2.1", 443, &t, err, sizeof err), HC_ERR_USAGE);
    enum probe_transport tr;
    assert_int_equal(target_scheme("dtls://x", &tr), 7);
    assert_int_equal(tr, PROBE_DTLS);
    assert_int_equal(target_scheme("DTLS://x", &tr), 0); /* the scheme is lower-case */
    assert_int_equal(tr, PROBE_TCP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_numeric_last_label),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_default_port),
        cmocka_unit_test(test_bad_ports),
        cmocka_unit_test(test_bad_brackets),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_trailing_hyphen_in_last_label),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_error_names_the_target),
        cmocka_unit_test(test_dtls_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
