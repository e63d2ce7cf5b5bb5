/* JSON Lines findings (docs/json.md): one valid object per line, every key, for every verdict,
 * whatever text the server chose. */
#include "unit.h"

#include "report/report.h"
#include "support/findings.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema_keys[] = {
    "target",
    "host",
    "ip",
    "port",
    "transport",
    "sni",
    "starttls",
    "verdict",
    "reason",
    "leaked_bytes",
    "tls_version",
    "cipher",
    "heartbeat_extension",
    "alert",
    "cert",
    "probe",
    "attempts",
    "elapsed_ms",
    "time",
};

static const char *const cert_keys[] = {"subject",  "issuer",      "not_before", "not_after",
                                        "key_type", "key_bits",    "sha256",     "spki_sha256",
                                        "serial",   "chain_length"};

/* A TLS 1.2 result whose zero-leak probe claimed PROBE_PAYLOAD bytes. */
static struct probe_result tls12_result(enum probe_verdict v, const char *reason)
{
    struct probe_result r = result_with_reason(v, reason);
    result_add_tls12(&r);
    r.evidence.claimed_length = PROBE_PAYLOAD;
    r.evidence.sent_length = PROBE_PAYLOAD;
    return r;
}

/* A certificate from CN=Test CA,O=Example, second in a chain of two. */
static void add_cert(struct probe_result *r, const char *subject)
{
    result_add_cert(r, subject, "CN=Test CA,O=Example", 2);
}

/* The finding every test reports: example.com:8443, 123 ms. */
static struct finding make_finding(const struct probe_result *r) { return example_finding(r, 123); }

/* Writes one finding to memory and returns the text (caller frees). */
static char *render(const struct finding *f) { return render_finding(&report_json, f, true, true); }

/* One line, ending in '\n', holding one JSON object with every schema key in order. */
static json_t *render_object(const struct finding *f)
{
    char *text = render(f);
    size_t len = strlen(text);
    assert_true(len > 2);
    assert_int_equal(text[len - 1], '\n');
    assert_ptr_equal(strchr(text, '\n'), text + len - 1);
    json_error_t err;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!o)
        fail_msg("not JSON (%s): %s", err.text, text);
    free(text);
    bool complete = json_is_object(o) && json_object_size(o) == HC_ARRAY_LEN(schema_keys);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(o, key, value)
    {
        complete = complete && i < HC_ARRAY_LEN(schema_keys) && strcmp(key, schema_keys[i]) == 0;
        i++;
    }
    if (!complete) {
        json_decref(o);
        fail_msg("keys missing, extra or out of order (%zu keys)", i);
    }
    return o;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("'%s' is not a string", key);
    return json_string_value(v);
}

static json_int_t num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("'%s' is not an integer", key);
    return json_integer_value(v);
}

static void test_vulnerable_every_key(void **state)
{
    (void)state;
    struct probe_result r = tls12_result(PROBE_VULNERABLE, "answered a heartbeat");
    add_cert(&r, "CN=example.com,O=Example");
    r.evidence.alert_seen = true;
    r.evidence.alert = (struct tls_alert){TLS_ALERT_WARNING, TLS_ALERT_UNRECOGNIZED_NAME};
    r.evidence.attempts = 2;
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    assert_string_equal(str(o, "target"), "example.com:8443");
    assert_string_equal(str(o, "host"), "example.com");
    assert_string_equal(str(o, "ip"), "192.0.2.7");
    assert_int_equal(num(o, "port"), 8443);
    assert_string_equal(str(o, "transport"), "tcp");
    assert_string_equal(str(o, "sni"), "example.com");
    assert_string_equal(str(o, "verdict"), "vulnerable");
    assert_string_equal(str(o, "reason"), "answered a heartbeat");
    assert_int_equal(num(o, "leaked_bytes"), 0);
    assert_string_equal(str(o, "tls_version"), "TLSv1.2");
    assert_string_equal(str(o, "cipher"), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_true(json_is_true(json_object_get(o, "heartbeat_extension")));
    json_t *alert = json_object_get(o, "alert");
    assert_string_equal(str(alert, "level"), "warning");
    assert_int_equal(num(alert, "description"), 112);
    assert_string_equal(str(alert, "name"), "unrecognized_name");
    json_t *probe = json_object_get(o, "probe");
    assert_string_equal(str(probe, "kind"), "zero-leak");
    assert_int_equal(num(probe, "claimed_length"), 16381);
    assert_int_equal(num(probe, "sent_length"), 16381);
    assert_int_equal(num(o, "attempts"), 2);
    assert_int_equal(num(o, "elapsed_ms"), 123);
    const char *when = str(o, "time"); /* 2026-11-21T12:35:37Z */
    assert_int_equal(strlen(when), 20);
    assert_int_equal(when[10], 'T');
    assert_int_equal(when[19], 'Z');
    json_decref(o);
}

static void test_cert(void **state)
{
    (void)state;
    struct probe_result r = tls12_result(PROBE_PATCHED, "dropped");
    add_cert(&r, "CN=example.com,O=Example");
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    json_t *c = json_object_get(o, "cert");
    assert_true(json_is_object(c));
    assert_int_equal(json_object_size(c), HC_ARRAY_LEN(cert_keys));
    for (size_t i = 0; i < HC_ARRAY_LEN(cert_keys); i++)
        assert_non_null(json_object_get(c, cert_keys[i]));
    assert_string_equal(str(c, "subject"), "CN=example.com,O=Example");
    assert_string_equal(str(c, "issuer"), "CN=Test CA,O=Example");
    assert_string_equal(str(c, "not_before"), "2026-11-21T12:35:37Z");
    assert_string_equal(str(c, "not_after"), "2027-11-21T12:35:37Z");
    assert_string_equal(str(c, "key_type"), "RSA");
    assert_int_equal(num(c, "key_bits"), 2048);
    assert_string_equal(str(c, "sha256"),
                        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    assert_string_equal(str(c, "spki_sha256"),
                        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0");
    assert_string_equal(str(c, "serial"), "1000");
    assert_int_equal(num(c, "chain_length"), 2);
    json_decref(o);
}

/* A serial too long to name (tls_cert_info leaves it empty) is null, not "". */
static void test_cert_without_serial(void **state)
{
    (void)state;
    struct probe_result r = tls12_result(PROBE_PATCHED, "dropped");
    add_cert(&r, "CN=example.com");
    r.evidence.cert.serial[0] = '\0';
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    assert_true(json_is_null(json_object_get(json_object_get(o, "cert"), "serial")));
    json_decref(o);
}

/* Without a ServerHello, alert or certificate, those keys are there and null. */
/* The dialogue that led to TLS is named; a refusal in it is not_tls in the server's words. */
static void test_starttls(void **state)
{
    (void)state;
    struct probe_result r;
    memset(&r, 0, sizeof r);
    r.verdict = PROBE_NOT_TLS;
    r.evidence.prelude = "smtp";
    snprintf(r.reason, sizeof r.reason, "smtp: the server does not start TLS: \"454 4.7.0\"");
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    assert_string_equal(str(o, "starttls"), "smtp");
    assert_string_equal(str(o, "verdict"), "not_tls");
    assert_string_equal(str(o, "reason"), "smtp: the server does not start TLS: \"454 4.7.0\"");
    json_decref(o);
}

static void test_nothing_seen(void **state)
{
    (void)state;
    struct probe_result r;
    memset(&r, 0, sizeof r);
    r.verdict = PROBE_UNREACHABLE;
    snprintf(r.reason, sizeof r.reason, "connection refused");
    struct finding f = make_finding(&r);
    f.ip = "";
    f.sni = NULL;
    f.elapsed_ms = 0;
    json_t *o = render_object(&f);
    assert_string_equal(str(o, "verdict"), "unreachable");
    assert_string_equal(str(o, "reason"), "connection refused");
    assert_true(json_is_null(json_object_get(o, "ip")));
    assert_true(json_is_null(json_object_get(o, "sni")));
    assert_true(json_is_null(json_object_get(o, "starttls")));
    assert_true(json_is_null(json_object_get(o, "tls_version")));
    assert_true(json_is_null(json_object_get(o, "cipher")));
    assert_true(json_is_false(json_object_get(o, "heartbeat_extension")));
    assert_true(json_is_null(json_object_get(o, "alert")));
    assert_true(json_is_null(json_object_get(o, "cert")));
    assert_int_equal(num(o, "attempts"), 0);
    assert_int_equal(num(o, "elapsed_ms"), 0);
    json_decref(o);

    f.ip = NULL;
    o = render_object(&f);
    assert_true(json_is_null(json_object_get(o, "ip")));
    json_decref(o);
}

static void test_every_verdict(void **state)
{
    (void)state;
    static const char *const names[] = {"vulnerable", "patched",     "not_vulnerable",
                                        "not_tls",    "unreachable", "inconclusive"};
    for (int v = PROBE_VULNERABLE; v <= PROBE_INCONCLUSIVE; v++) {
        struct probe_result r = tls12_result((enum probe_verdict)v, "why");
        struct finding f = make_finding(&r);
        json_t *o = render_object(&f);
        assert_string_equal(str(o, "verdict"), names[v]);
        json_decref(o);
    }
}

static void test_versions_and_ciphers(void **state)
{
    (void)state;
    static const struct {
        uint16_t version;
        const char *name;
    } versions[] = {{TLS_VERSION_SSL3, "SSLv3"},
                    {TLS_VERSION_TLS10, "TLSv1.0"},
                    {TLS_VERSION_TLS11, "TLSv1.1"},
                    {TLS_VERSION_TLS12, "TLSv1.2"}};
    for (size_t i = 0; i < HC_ARRAY_LEN(versions); i++) {
        struct probe_result r = tls12_result(PROBE_PATCHED, "x");
        r.evidence.tls_version = versions[i].version;
        r.evidence.cipher = 0x002f;
        struct finding f = make_finding(&r);
        json_t *o = render_object(&f);
        assert_string_equal(str(o, "tls_version"), versions[i].name);
        assert_string_equal(str(o, "cipher"), "TLS_RSA_WITH_AES_128_CBC_SHA");
        json_decref(o);
    }
    struct probe_result r = tls12_result(PROBE_PATCHED, "x");
    r.evidence.cipher = 0x1234;
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    assert_string_equal(str(o, "cipher"), "0x1234");
    json_decref(o);
    r.evidence.cipher = 0xabcd; /* lower-case hex, four digits */
    assert_null(tls_cipher_suite_find(0xabcd));
    o = render_object(&f);
    assert_string_equal(str(o, "cipher"), "0xabcd");
    json_decref(o);
}

/* Over DTLS the result names the transport and the DTLS version. */
static void test_dtls(void **state)
{
    (void)state;
    static const struct {
        uint16_t version;
        const char *name;
    } versions[] = {{DTLS_VERSION_10, "DTLSv1.0"}, {DTLS_VERSION_12, "DTLSv1.2"}};
    for (size_t i = 0; i < HC_ARRAY_LEN(versions); i++) {
        struct probe_result r = tls12_result(PROBE_VULNERABLE, "x");
        r.evidence.tls_version = versions[i].version;
        struct finding f = make_finding(&r);
        f.transport = PROBE_DTLS;
        json_t *o = render_object(&f);
        assert_string_equal(str(o, "transport"), "dtls");
        assert_string_equal(str(o, "tls_version"), versions[i].name);
        json_decref(o);
    }
}

static void test_alerts(void **state)
{
    (void)state;
    struct probe_result r = tls12_result(PROBE_NOT_VULNERABLE, "refused");
    r.evidence.alert_seen = true;
    r.evidence.alert = (struct tls_alert){TLS_ALERT_FATAL, TLS_ALERT_UNEXPECTED_MESSAGE};
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    json_t *a = json_object_get(o, "alert");
    assert_int_equal(json_object_size(a), 3);
    assert_string_equal(str(a, "level"), "fatal");
    assert_int_equal(num(a, "description"), 10);
    assert_string_equal(str(a, "name"), "unexpected_message");
    json_decref(o);

    r.evidence.alert = (struct tls_alert){TLS_ALERT_FATAL, 199}; /* no name */
    o = render_object(&f);
    a = json_object_get(o, "alert");
    assert_int_equal(num(a, "description"), 199);
    assert_true(json_is_null(json_object_get(a, "name")));
    json_decref(o);
}

/* The transport is named for every kind: OpenVPN results must not read as plain TLS. */
static void test_transports(void **state)
{
    (void)state;
    static const struct {
        enum probe_transport transport;
        const char *name;
    } transports[] = {{PROBE_TCP, "tcp"},
                      {PROBE_DTLS, "dtls"},
                      {PROBE_OPENVPN_TCP, "openvpn-tcp"},
                      {PROBE_OPENVPN_UDP, "openvpn-udp"}};
    for (size_t i = 0; i < HC_ARRAY_LEN(transports); i++) {
        struct probe_result r = tls12_result(PROBE_VULNERABLE, "answered");
        struct finding f = make_finding(&r);
        f.transport = transports[i].transport;
        json_t *o = render_object(&f);
        assert_string_equal(str(o, "transport"), transports[i].name);
        json_decref(o);
    }
}

static void test_over_read_probe(void **state)
{
    (void)state;
    static const uint8_t secret[] = "SECRET-KEY-MATERIAL";
    struct probe_result r = tls12_result(PROBE_VULNERABLE, "over-read answered");
    r.evidence.claimed_length = 16381; /* --leak 100: 16281 bytes sent, 16381 claimed */
    r.evidence.sent_length = 16381 - 100;
    r.evidence.leaked_bytes = sizeof secret - 1;
    r.leak = secret;
    struct finding f = make_finding(&r);
    char *text = render(&f);
    assert_null(strstr(text, "SECRET")); /* only the size, never the bytes */
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    free(text);
    assert_int_equal(num(o, "leaked_bytes"), sizeof secret - 1);
    json_t *probe = json_object_get(o, "probe");
    assert_string_equal(str(probe, "kind"), "over-read");
    assert_int_equal(num(probe, "claimed_length"), 16381);
    assert_int_equal(num(probe, "sent_length"), 16281);
    json_decref(o);
}

/* Quotes, backslashes, newlines, ESC and DEL from a server stay inside one JSON string. */
static void test_hostile_strings(void **state)
{
    (void)state;
    static const char hostile[] = "a\"b\\c\nd\re\033[2J\tf\x01g\x7fh}{\"x\":1";
    struct probe_result r = tls12_result(PROBE_NOT_TLS, hostile);
    add_cert(&r, hostile);
    snprintf(r.evidence.cert.issuer, sizeof r.evidence.cert.issuer, "%s", hostile);
    struct finding f = make_finding(&r);
    char *text = render(&f);
    assert_null(strchr(text, '\033'));
    assert_null(strchr(text, '\r'));
    free(text);
    json_t *o = render_object(&f);
    assert_string_equal(str(o, "reason"), hostile);
    json_t *c = json_object_get(o, "cert");
    assert_string_equal(str(c, "subject"), hostile);
    assert_string_equal(str(c, "issuer"), hostile);
    json_decref(o);
}

/* The longest reason and subject the structs hold survive whole, UTF-8 included. */
static void test_long_utf8(void **state)
{
    (void)state;
    struct probe_result r = tls12_result(PROBE_INCONCLUSIVE, "");
    memset(r.reason, 'r', sizeof r.reason - 1);
    r.reason[sizeof r.reason - 1] = '\0';
    add_cert(&r, "");
    char *s = r.evidence.cert.subject;
    size_t n = 0;
    while (n + 2 < sizeof r.evidence.cert.subject - 1) {
        s[n++] = (char)0xc3; /* é */
        s[n++] = (char)0xa9;
    }
    s[n] = '\0';
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    assert_int_equal(strlen(str(o, "reason")), sizeof r.reason - 1);
    assert_string_equal(str(json_object_get(o, "cert"), "subject"), s);
    json_decref(o);
}

/* cert_info keeps the first 511 bytes of a distinguished name, which can end inside a UTF-8
 * character (a subject of many OU=ééé...). The line must still carry every key: a "cert"
 * key that vanishes breaks every consumer of the schema. */
static void test_subject_cut_inside_utf8(void **state)
{
    (void)state;
    struct probe_result r = tls12_result(PROBE_PATCHED, "dropped");
    add_cert(&r, "OU=x\xc3\xa9\xc3");
    struct finding f = make_finding(&r);
    json_t *o = render_object(&f);
    json_t *c = json_object_get(o, "cert");
    assert_true(json_is_object(c));
    assert_string_equal(str(c, "issuer"), "CN=Test CA,O=Example");
    assert_int_equal(strncmp(str(c, "subject"), "OU=x\xc3\xa9", 6), 0);
    json_decref(o);
}

/* Findings stream: each is written and flushed whole, one line after another. */
static void test_lines_concatenate(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    assert_non_null(out);
    struct report_options opt = {0};
    for (int v = PROBE_VULNERABLE; v <= PROBE_INCONCLUSIVE; v++) {
        struct probe_result r = tls12_result((enum probe_verdict)v, "line\nbreak");
        struct finding f = make_finding(&r);
        report_json.finding(out, &f, &opt);
    }
    struct report_summary s = {.total = 6, .elapsed_s = 1.0};
    report_json.summary(out, &s, &opt); /* JSON Lines carry findings only */
    rewind(out);
    char line[4096];
    int lines = 0;
    while (fgets(line, sizeof line, out)) {
        assert_int_equal(line[strlen(line) - 1], '\n');
        json_t *o = json_loads(line, 0, NULL);
        assert_non_null(o);
        json_decref(o);
        lines++;
    }
    assert_int_equal(lines, 6);
    fclose(out);
    assert_string_equal(report_json.name, "json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vulnerable_every_key),
        cmocka_unit_test(test_cert),
        cmocka_unit_test(test_cert_without_serial),
        cmocka_unit_test(test_nothing_seen),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_every_verdict),
        cmocka_unit_test(test_versions_and_ciphers),
        cmocka_unit_test(test_dtls),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_transports),
        cmocka_unit_test(test_over_read_probe),
        cmocka_unit_test(test_hostile_strings),
        cmocka_unit_test(test_long_utf8),
        cmocka_unit_test(test_subject_cut_inside_utf8),
        cmocka_unit_test(test_lines_concatenate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
