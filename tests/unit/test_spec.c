/* targets/spec.c: every form of target specification, -p and --shard, and every way to get
 * them wrong, each with the message that tells the user what to fix. */
#include "unit.h"

#include "targets/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Parses text and checks the family, the range as text, the count and the port. */
static void expect_range(const char *text, int family, const char *first, const char *last,
                         uint64_t count, uint16_t port)
{
    struct target_spec s;
    char err[TARGETS_ERR_MAX] = "";
    if (!hc_ok(targets_spec_parse(text, &s, err, sizeof err)))
        fail_msg("'%s' rejected: %s", text, err);
    assert_int_equal(s.family, family);
    struct target a, b;
    targets_make_target(family, s.first, NULL, 1, &a);
    targets_make_target(family, s.last, NULL, 1, &b);
    assert_string_equal(a.host, first);
    assert_string_equal(b.host, last);
    assert_int_equal(s.count, count);
    assert_int_equal(s.port, port);
    assert_string_equal(s.host, "");
}

/* Parses text, expects HC_ERR_USAGE and a message containing want. */
static void expect_bad(const char *text, const char *want)
{
    struct target_spec s;
    char err[TARGETS_ERR_MAX] = "";
    hc_result r = targets_spec_parse(text, &s, err, sizeof err);
    if (hc_ok(r))
        fail_msg("'%s' accepted", text);
    assert_int_equal(r.error, HC_ERR_USAGE);
    if (!strstr(err, want))
        fail_msg("'%s': message '%s' lacks '%s'", text, err, want);
}

static void test_single_addresses(void **state)
{
    (void)state;
    expect_range("10.1.2.3", AF_INET, "10.1.2.3", "10.1.2.3", 1, 0);
    expect_range("10.1.2.3:8443", AF_INET, "10.1.2.3", "10.1.2.3", 1, 8443);
    expect_range("2001:db8::1", AF_INET6, "2001:db8::1", "2001:db8::1", 1, 0);
    expect_range("[2001:db8::1]:25", AF_INET6, "2001:db8::1", "2001:db8::1", 1, 25);
    expect_range("[::1]", AF_INET6, "::1", "::1", 1, 0);
}

static void test_names(void **state)
{
    (void)state;
    struct target_spec s;
    char err[TARGETS_ERR_MAX];
    assert_success(targets_spec_parse("example.com", &s, err, sizeof err));
    assert_int_equal(s.family, 0);
    assert_string_equal(s.host, "example.com");
    assert_int_equal(s.port, 0);
    assert_int_equal(s.count, 1);
    assert_success(targets_spec_parse("my-host.example:993", &s, err, sizeof err));
    assert_string_equal(s.host, "my-host.example"); /* '-' in a name is not a range */
    assert_int_equal(s.port, 993);
    assert_success(targets_spec_parse("10-0-0-1.example.com", &s, err, sizeof err));
    assert_int_equal(s.family, 0);
}

static void test_networks(void **state)
{
    (void)state;
    expect_range("10.0.0.0/8", AF_INET, "10.0.0.0", "10.255.255.255", 1ULL << 24, 0);
    expect_range("192.168.1.77/24", AF_INET, "192.168.1.0", "192.168.1.255", 256, 0);
    expect_range("1.2.3.4/32", AF_INET, "1.2.3.4", "1.2.3.4", 1, 0);
    expect_range("1.2.3.4/31", AF_INET, "1.2.3.4", "1.2.3.5", 2, 0);
    expect_range("0.0.0.0/0", AF_INET, "0.0.0.0", "255.255.255.255", 1ULL << 32, 0);
    expect_range("2001:db8::/120", AF_INET6, "2001:db8::", "2001:db8::ff", 256, 0);
    expect_range("2001:db8::1234:5678/96", AF_INET6, "2001:db8::", "2001:db8::ffff:ffff",
                 1ULL << 32, 0);
    expect_range("::1/128", AF_INET6, "::1", "::1", 1, 0);
}

static void test_ranges(void **state)
{
    (void)state;
    expect_range("10.0.0.1-10.0.3.255", AF_INET, "10.0.0.1", "10.0.3.255", 1023, 0);
    expect_range("10.0.0.1-10.0.0.1", AF_INET, "10.0.0.1", "10.0.0.1", 1, 0);
    expect_range("10.0.0.1-20", AF_INET, "10.0.0.1", "10.0.0.20", 20, 0);
    expect_range("10.0.0.0-255", AF_INET, "10.0.0.0", "10.0.0.255", 256, 0);
    expect_range("0.0.0.0-255.255.255.255", AF_INET, "0.0.0.0", "255.255.255.255", 1ULL << 32, 0);
    expect_range("2001:db8::1-2001:db8::ff", AF_INET6, "2001:db8::1", "2001:db8::ff", 255, 0);
    expect_range("2001:db8::-2001:db8::ffff:ffff", AF_INET6, "2001:db8::", "2001:db8::ffff:ffff",
                 1ULL << 32, 0);
}

static void test_bad_specs(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad("10.0.0.0/33", "prefix length must be a number from 0 to 32");
    expect_bad("10.0.0.0/", "prefix length");
    expect_bad("10.0.0.0/-1", "prefix length");
    expect_bad("10.0.0.0/8/8", "prefix length");
    expect_bad("2001:db8::/129", "from 0 to 128");
    expect_bad("2001:db8::/64", "2^64 addresses; an IPv6 network may hold at most 2^32");
    expect_bad("2001:db8::/95", "2^33 addresses");
    expect_bad("example.com/24", "'example.com' is not an IP address");
    expect_bad("10.0.0.0/24:443", "a network cannot carry a port; use -p");
    expect_bad("10.0.0.5-10.0.0.1", "the range ends before it starts");
    expect_bad("10.0.0.5-3", "the range ends before it starts");
    expect_bad("10.0.0.1-256", "'256' is not a last octet from 0 to 255");
    expect_bad("10.0.0.1-", "'' is not an IP address");
    expect_bad("10.0.0.1-10.0.1", "'10.0.1' is not an IP address");
    expect_bad("10.0.0.1-10.0.0.9:443", "a range cannot carry a port; use -p");
    expect_bad("10.0.0.1-::1", "a range cannot mix IPv4 and IPv6");
    expect_bad("::1-10.0.0.1", "a range cannot mix IPv4 and IPv6");
    expect_bad("::1-ff", "'ff' is not an IP address"); /* no short form for IPv6 */
    expect_bad("2001:db8::-2001:db8::1:0:0", "more than 2^32 addresses");
    expect_bad("[::1", "missing ']'");
    expect_bad("1.2.3.4:0", "port must be a number from 1 to 65535");
    expect_bad("1.2.3.4:65536", "port must be a number from 1 to 65535");
    expect_bad("host name", "neither an IP address nor a host name");
    char longer[TARGET_SPEC_MAX + 10];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    expect_bad(longer, "longer than");
}

static void test_exclusion_flag_allows_big_ipv6(void **state)
{
    (void)state;
    struct target_spec s;
    char err[TARGETS_ERR_MAX];
    assert_success(targets_spec_parse_flags("2001:db8::/32", SPEC_ANY_SIZE, &s, err, sizeof err));
    assert_int_equal(s.count, UINT64_MAX); /* saturated: exclusions never use it */
    assert_success(targets_spec_parse_flags("::/0", SPEC_ANY_SIZE, &s, err, sizeof err));
    assert_int_equal(s.first.hi, 0);
    assert_int_equal(s.last.hi, UINT64_MAX);
    assert_int_equal(s.last.lo, UINT64_MAX);
}

/* Parses a -p list and returns its ports joined by ',' ("" when rejected: err says why). */
static const char *ports_of(const char *list, char *err)
{
    static char out[512];
    struct targets_ports p = {NULL, 0, 0};
    out[0] = '\0';
    if (!hc_ok(targets_ports_parse(list, &p, err, TARGETS_ERR_MAX)))
        return out;
    size_t n = 0;
    for (uint32_t i = 0; i < p.count && n < sizeof out - 8; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, i ? ",%u" : "%u",
                              (unsigned)targets_ports_at(&p, i));
    free(p.ranges);
    return out;
}

static void test_ports(void **state)
{
    (void)state;
    char err[TARGETS_ERR_MAX];
    assert_string_equal(ports_of("443", err), "443");
    assert_string_equal(ports_of("443,8443,9000-9003", err), "443,8443,9000,9001,9002,9003");
    assert_string_equal(ports_of("9003,9000-9002,443,443", err), "443,9000,9001,9002,9003");
    assert_string_equal(ports_of("5-7,6-9", err), "5,6,7,8,9"); /* overlapping ranges merged */
    assert_string_equal(ports_of("1,65535", err), "1,65535");
    struct targets_ports p = {NULL, 0, 0};
    assert_success(targets_ports_parse("1-65535", &p, err, sizeof err));
    assert_int_equal(p.count, 65535);
    assert_int_equal(p.len, 1);
    assert_true(targets_ports_has(&p, 1) && targets_ports_has(&p, 65535));
    assert_success(targets_ports_parse("22,80-81,443", &p, err, sizeof err));
    assert_true(targets_ports_has(&p, 81) && !targets_ports_has(&p, 82));
    assert_true(!targets_ports_has(&p, 21) && !targets_ports_has(&p, 444));
    free(p.ranges);
}

static void expect_bad_ports(const char *list, const char *want)
{
    char err[TARGETS_ERR_MAX] = "";
    struct targets_ports p = {NULL, 0, 0};
    assert_error(targets_ports_parse(list, &p, err, sizeof err), HC_ERR_USAGE);
    if (!strstr(err, want))
        fail_msg("-p '%s': message '%s' lacks '%s'", list, err, want);
    assert_null(p.ranges);
}

static void test_bad_ports(void **state)
{
    (void)state;
    expect_bad_ports("0", "-p '0': port '0' must be a number from 1 to 65535");
    expect_bad_ports("70000", "port '70000' must be a number from 1 to 65535");
    expect_bad_ports("5-3", "-p '5-3': range '5-3' ends before it starts");
    expect_bad_ports("", "empty port list");
    expect_bad_ports("443,", "port ''");
    expect_bad_ports(",443", "port ''");
    expect_bad_ports("443,,80", "port ''");
    expect_bad_ports("1-", "port ''");
    expect_bad_ports("-5", "port ''");
    expect_bad_ports("1-2-3", "port '2-3'");
    expect_bad_ports("+443", "port '+443'");
    expect_bad_ports("https", "port 'https'");
    expect_bad_ports("99999999999", "port '99999999999'");
}

static void test_shard(void **state)
{
    (void)state;
    unsigned i, n;
    char err[TARGETS_ERR_MAX];
    assert_success(targets_shard_parse("1/1", &i, &n, err, sizeof err));
    assert_true(i == 1 && n == 1);
    assert_success(targets_shard_parse("3/8", &i, &n, err, sizeof err));
    assert_true(i == 3 && n == 8);
    const char *bad[] = {"0/4", "5/4", "1/0", "1", "/4", "1/", "a/b", "1/4x", "-1/4", ""};
    for (size_t k = 0; k < HC_ARRAY_LEN(bad); k++) {
        assert_error(targets_shard_parse(bad[k], &i, &n, err, sizeof err), HC_ERR_USAGE);
        assert_non_null(strstr(err, "--shard"));
    }
    assert_error(targets_shard_parse("5/4", &i, &n, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, "shard 5 of 4 does not exist"));
}

static void test_clean_line(void **state)
{
    (void)state;
    char a[] = "  10.0.0.1  # a comment\r";
    assert_string_equal(targets_clean_line(a), "10.0.0.1");
    char b[] = "1.2.3.4\r";
    assert_string_equal(targets_clean_line(b), "1.2.3.4");
    char c[] = "# only a comment";
    assert_string_equal(targets_clean_line(c), "");
    char d[] = " \t \r";
    assert_string_equal(targets_clean_line(d), "");
}

static void test_canonical_spec(void **state)
{
    (void)state;
    struct target t;
    struct targets_addr a = {0, 0x0a000001};
    targets_make_target(AF_INET, a, NULL, 443, &t);
    assert_string_equal(t.spec, "10.0.0.1:443");
    assert_string_equal(t.host, "10.0.0.1");
    struct targets_addr b = {0x20010db800000000ULL, 1};
    targets_make_target(AF_INET6, b, NULL, 8443, &t);
    assert_string_equal(t.spec, "[2001:db8::1]:8443");
    assert_string_equal(t.host, "2001:db8::1");
    targets_make_target(0, a, "example.com", 25, &t);
    assert_string_equal(t.spec, "example.com:25");
    assert_int_equal(t.family, 0);
    /* every spec parses back to the same target */
    struct target back;
    char err[TARGETS_ERR_MAX];
    assert_success(target_parse(t.spec, 1, &back, err, sizeof err));
    assert_string_equal(back.host, "example.com");
    assert_int_equal(back.port, 25);
}

/* Any form may carry "dtls://"; the transport goes with the specification. */
static void test_dtls_scheme(void **state)
{
    (void)state;
    struct target_spec s;
    char err[TARGETS_ERR_MAX] = "";
    assert_success(targets_spec_parse("dtls://10.0.0.0/30", &s, err, sizeof err));
    assert_int_equal(s.transport, PROBE_DTLS);
    assert_int_equal(s.count, 4);
    assert_success(targets_spec_parse("dtls://vpn.example.com:4433", &s, err, sizeof err));
    assert_int_equal(s.transport, PROBE_DTLS);
    assert_string_equal(s.host, "vpn.example.com");
    assert_int_equal(s.port, 4433);
    assert_success(targets_spec_parse("10.0.0.1-3", &s, err, sizeof err));
    assert_int_equal(s.transport, PROBE_TCP);
    expect_bad("dtls://", "no target after the scheme");
    struct target t;
    targets_make_target(AF_INET, s.first, NULL, 4433, &t);
    targets_set_transport(&t, PROBE_DTLS);
    assert_string_equal(t.spec, "dtls://10.0.0.1:4433");
    assert_int_equal(t.transport, PROBE_DTLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_addresses),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_networks),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_exclusion_flag_allows_big_ipv6),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_bad_ports),
        cmocka_unit_test(test_shard),
        cmocka_unit_test(test_clean_line),
        cmocka_unit_test(test_canonical_spec),
        cmocka_unit_test(test_dtls_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
