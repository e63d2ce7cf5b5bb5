/* The verify baseline: scan and host JSON Lines in, entries and old keys out; every bad line
 * named FILE:LINE; hostile bytes (every cut, every flipped byte) never crash or leak. */
#include "unit.h"

#include "verify/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

#define CERT                                                                                       \
    "{\"subject\":\"CN=localhost\",\"issuer\":\"CN=Test CA\",\"not_before\":"                      \
    "\"2026-11-21T12:35:37Z\",\"sha256\":\"" SHA_A "\",\"spki_sha256\":\"" SHA_B "\","             \
    "\"serial\":\"1000\",\"chain_length\":1}"

/* A scan line for TARGET (port PORT) with verdict V and certificate C (JSON or null). */
#define SCAN(target, port, v, c)                                                                   \
    "{\"target\":\"" target "\",\"host\":\"x\",\"port\":" #port ",\"starttls\":null,"              \
    "\"verdict\":\"" v "\",\"time\":\"2014-04-08T00:00:00Z\",\"cert\":" c "}\n"

static hc_result parse(const char *text, struct verify_baseline *b, char *err, size_t cap)
{
    memset(b, 0, sizeof *b);
    return verify_baseline_parse(text, strlen(text), "base.jsonl", b, err, cap);
}

static void test_scan_line(void **state)
{
    (void)state;
    struct verify_baseline b;
    char err[VERIFY_ERR_MAX];
    assert_success(parse(SCAN("127.0.0.1:4433", 4433, "vulnerable", CERT), &b, err, sizeof err));
    assert_int_equal(b.count, 1);
    const struct verify_entry *e = &b.entries[0];
    assert_string_equal(e->target, "127.0.0.1:4433");
    assert_string_equal(e->host, "127.0.0.1");
    assert_int_equal(e->port, 4433);
    assert_int_equal(e->verdict, PROBE_VULNERABLE);
    assert_string_equal(e->starttls, "");
    assert_string_equal(e->time, "2014-04-08T00:00:00Z");
    assert_int_equal(e->line, 1);
    assert_false(e->from_host);
    assert_true(e->cert.present);
    assert_string_equal(e->cert.sha256, SHA_A);
    assert_string_equal(e->cert.spki_sha256, SHA_B);
    assert_string_equal(e->cert.serial, "1000");
    assert_string_equal(e->cert.issuer, "CN=Test CA");
    assert_string_equal(e->cert.subject, "CN=localhost");
    verify_baseline_free(&b);
}

/* IPv6 targets, STARTTLS, no certificate, blank and CRLF lines. */
static void test_variants(void **state)
{
    (void)state;
    const char *text = "\n"
                       "{\"target\":\"[::1]:25\",\"port\":25,\"starttls\":\"smtp\","
                       "\"transport\":\"tcp\",\"verdict\":\"patched\",\"cert\":null}\r\n"
                       "   \n" SCAN("example.com:443", 443, "unreachable", "null");
    struct verify_baseline b;
    char err[VERIFY_ERR_MAX];
    assert_success(parse(text, &b, err, sizeof err));
    assert_int_equal(b.count, 2);
    assert_string_equal(b.entries[0].host, "::1");
    assert_int_equal(b.entries[0].port, 25);
    assert_string_equal(b.entries[0].starttls, "smtp");
    assert_int_equal(b.entries[0].line, 2);
    assert_false(b.entries[0].cert.present);
    assert_string_equal(b.entries[1].host, "example.com");
    assert_int_equal(b.entries[1].verdict, PROBE_UNREACHABLE);
    assert_int_equal(b.entries[1].line, 4);
    verify_baseline_free(&b);
}

/* A later line replaces an earlier one for the same target, except a vulnerable one. */
static void test_duplicates(void **state)
{
    (void)state;
    const char *text = SCAN("a:1", 1, "vulnerable", CERT) SCAN("a:1", 1, "patched", "null")
        SCAN("b:2", 2, "inconclusive", "null") SCAN("b:2", 2, "not_vulnerable", "null")
            SCAN("c:3", 3, "patched", "null") SCAN("c:3", 3, "vulnerable", "null");
    struct verify_baseline b;
    char err[VERIFY_ERR_MAX];
    assert_success(parse(text, &b, err, sizeof err));
    assert_int_equal(b.count, 3);
    assert_int_equal(b.entries[0].verdict, PROBE_VULNERABLE);
    assert_true(b.entries[0].cert.present);
    assert_int_equal(b.entries[1].verdict, PROBE_NOT_VULNERABLE);
    assert_int_equal(b.entries[2].verdict, PROBE_VULNERABLE);
    assert_int_equal(b.entries[2].line, 6);
    verify_baseline_free(&b);
}

/* Many targets: the index grows and every one stays findable. */
static void test_many(void **state)
{
    (void)state;
    size_t cap = 3000 * 160, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 3000; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "{\"target\":\"10.0.%d.%d:443\",\"port\":443,\"verdict\":\"%s\"}\n",
                                i / 256, i % 256, i % 2 ? "patched" : "vulnerable");
    memcpy(text + len, text, len); /* every target twice */
    struct verify_baseline b;
    char err[VERIFY_ERR_MAX];
    memset(&b, 0, sizeof b);
    assert_success(verify_baseline_parse(text, 2 * len, "big", &b, err, sizeof err));
    assert_int_equal(b.count, 3000);
    assert_string_equal(b.entries[2999].target, "10.0.11.183:443");
    verify_baseline_free(&b);
    free(text);
}

/* `heartcheck host --json`: probed TCP sockets are targets (wildcards on loopback), exposed
 * certificates give old keys, the other types are skipped. */
static void test_host_lines(void **state)
{
    (void)state;
    const char *text =
        "{\"type\":\"copy\",\"path\":\"/usr/lib/libssl.so.1.0.0\",\"verdict\":\"vulnerable\"}\n"
        "{\"type\":\"process\",\"pid\":1,\"listening\":["
        "{\"proto\":\"tcp\",\"address\":\"0.0.0.0\",\"port\":443,\"verdict\":\"vulnerable\"},"
        "{\"proto\":\"tcp\",\"address\":\"::\",\"port\":8443,\"verdict\":\"patched\"},"
        "{\"proto\":\"tcp\",\"address\":\"10.1.2.3\",\"port\":993,\"verdict\":null},"
        "{\"proto\":\"udp\",\"address\":\"0.0.0.0\",\"port\":4433,\"verdict\":\"vulnerable\"}]}\n"
        "{\"type\":\"socket\",\"proto\":\"tcp\",\"address\":\"192.0.2.1\",\"port\":25,"
        "\"verdict\":\"not_vulnerable\"}\n"
        "{\"type\":\"certificate\",\"cert_path\":\"/etc/ssl/a.pem\",\"spki_sha256\":\"" SHA_A "\","
        "\"exposed_while_vulnerable\":true}\n"
        "{\"type\":\"certificate\",\"key_path\":\"/etc/ssl/b.key\",\"cert_path\":null,"
        "\"spki_sha256\":\"" SHA_B "\",\"exposed_while_vulnerable\":true}\n"
        "{\"type\":\"certificate\",\"spki_sha256\":null,\"exposed_while_vulnerable\":false}\n"
        "{\"type\":\"plan\",\"step\":1}\n{\"type\":\"summary\"}\n";
    struct verify_baseline b;
    char err[VERIFY_ERR_MAX];
    assert_success(parse(text, &b, err, sizeof err));
    assert_int_equal(b.count, 3);
    assert_string_equal(b.entries[0].target, "127.0.0.1:443");
    assert_true(b.entries[0].from_host);
    assert_int_equal(b.entries[0].verdict, PROBE_VULNERABLE);
    assert_false(b.entries[0].cert.present);
    assert_string_equal(b.entries[1].target, "[::1]:8443");
    assert_string_equal(b.entries[1].host, "::1");
    assert_string_equal(b.entries[2].target, "192.0.2.1:25");
    assert_int_equal(b.old_key_count, 2);
    assert_string_equal(b.old_keys[0].spki_sha256, SHA_A);
    assert_string_equal(b.old_keys[0].path, "/etc/ssl/a.pem");
    assert_string_equal(b.old_keys[1].path, "/etc/ssl/b.key");
    verify_baseline_free(&b);
}

/* Each bad line is refused with its file and line number. */
static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"{\"target\":\"a:1\"\n", "base.jsonl:1: not JSON"},
        {"\n[1,2]\n", "base.jsonl:2: not a JSON object"},
        {"{\"port\":1,\"verdict\":\"patched\"}\n", "base.jsonl:1: no \"target\""},
        {"{\"target\":\"a:1\",\"port\":2,\"verdict\":\"patched\"}\n", "base.jsonl:1: \"port\""},
        {"{\"target\":\"a:1\",\"port\":1,\"verdict\":\"broken\"}\n", "base.jsonl:1: \"verdict\""},
        {"{\"target\":\"a:99999\",\"port\":1,\"verdict\":\"patched\"}\n",
         "base.jsonl:1: \"target\" 'a:99999'"},
        {"{\"target\":\"a:1\",\"port\":1,\"verdict\":\"patched\",\"starttls\":\"gopher\"}\n",
         "base.jsonl:1: \"starttls\": unknown dialogue 'gopher'"},
        {"{\"target\":\"a:1\",\"port\":1,\"verdict\":\"patched\",\"cert\":{\"sha256\":\"AB\"}}\n",
         "base.jsonl:1: \"cert\" has no \"sha256\""},
        {"{\"target\":\"a:1\",\"port\":1,\"verdict\":\"patched\",\"cert\":{\"sha256\":\"" SHA_A
         "\"}}\n",
         "base.jsonl:1: \"cert\" has no \"spki_sha256\""},
        {"{\"target\":\"a:1\",\"port\":1,\"verdict\":\"patched\",\"cert\":7}\n",
         "base.jsonl:1: \"cert\" is not an object"},
        {"{\"target\":\"a:1\",\"port\":1,\"verdict\":\"patched\",\"transport\":\"sctp\"}\n",
         "base.jsonl:1: \"transport\" is not tcp, dtls, openvpn-tcp or openvpn-udp"},
        {"{\"type\":3}\n", "base.jsonl:1: \"type\" is not a string"},
        {"{\"type\":\"process\",\"listening\":{}}\n", "base.jsonl:1: \"listening\""},
        {"{\"type\":\"socket\",\"address\":\"::\",\"port\":0,\"verdict\":\"patched\"}\n",
         "base.jsonl:1: a listening socket"},
        {"{\"type\":\"socket\",\"address\":\"::\",\"port\":1,\"verdict\":\"maybe\"}\n",
         "base.jsonl:1: a probed socket"},
        {"{\"type\":\"certificate\",\"exposed_while_vulnerable\":true}\n",
         "base.jsonl:1: an exposed certificate"},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        struct verify_baseline b;
        char err[VERIFY_ERR_MAX];
        assert_error(parse(cases[i].text, &b, err, sizeof err), HC_ERR_USAGE);
        if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
            fail_msg("case %zu: '%s' does not start with '%s'", i, err, cases[i].err);
        verify_baseline_free(&b);
    }
}

/* An interrupted scan leaves a cut last line: ignored, like --resume does. */
static void test_cut_last_line(void **state)
{
    (void)state;
    const char *text = SCAN("a:1", 1, "vulnerable", "null") "{\"target\":\"b:2\",\"po";
    struct verify_baseline b;
    char err[VERIFY_ERR_MAX];
    assert_success(parse(text, &b, err, sizeof err));
    assert_int_equal(b.count, 1);
    verify_baseline_free(&b);
}

/* Every cut and every byte replaced by hostile ones: an answer, never a crash (ASan, valgrind
 * watch for overruns and leaks); a failure always says where. */
static void test_hostile_bytes(void **state)
{
    (void)state;
    const char *good =
        SCAN("a:1", 1, "vulnerable",
             CERT) "{\"type\":\"process\",\"listening\":[{\"address\":\"::\",\"port\":1,"
                   "\"verdict\":\"patched\"}]}\n";
    size_t len = strlen(good);
    char *copy = malloc(len);
    assert_non_null(copy);
    static const char hostile[] = {'\0', '"', '\\', '{', '\n', (char)0xff, '9'};
    for (size_t cut = 0; cut <= len; cut++) {
        struct verify_baseline b = {0};
        char err[VERIFY_ERR_MAX];
        memcpy(copy, good, cut);
        hc_result r = verify_baseline_parse(copy, cut, "f", &b, err, sizeof err);
        assert_true(hc_ok(r) || strncmp(err, "f:", 2) == 0);
        verify_baseline_free(&b);
    }
    for (size_t at = 0; at < len; at++)
        for (size_t h = 0; h < sizeof hostile; h++) {
            struct verify_baseline b = {0};
            char err[VERIFY_ERR_MAX];
            memcpy(copy, good, len);
            copy[at] = hostile[h];
            hc_result r = verify_baseline_parse(copy, len, "f", &b, err, sizeof err);
            assert_true(hc_ok(r) || strncmp(err, "f:", 2) == 0);
            verify_baseline_free(&b);
        }
    free(copy);
}

static void test_load(void **state)
{
    (void)state;
    struct verify_baseline b = {0};
    char err[VERIFY_ERR_MAX];
    assert_error(verify_baseline_load("/nonexistent/base.jsonl", &b, err, sizeof err), HC_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/base.jsonl"));
    char path[] = "/tmp/hc-baseline-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_error(verify_baseline_load(path, &b, err, sizeof err), HC_ERR_USAGE); /* empty */
    assert_non_null(strstr(err, "no target"));
    verify_baseline_free(&b);
    const char *text = SCAN("a:1", 1, "vulnerable", CERT);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_success(verify_baseline_load(path, &b, err, sizeof err));
    assert_int_equal(b.count, 1);
    verify_baseline_free(&b);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_line),     cmocka_unit_test(test_variants),
        cmocka_unit_test(test_duplicates),    cmocka_unit_test(test_many),
        cmocka_unit_test(test_host_lines),    cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cut_last_line), cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
