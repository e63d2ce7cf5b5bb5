/* Client findings as JSON Lines (every key of docs/json.md) and as text; hostile names. */
#include "unit.h"

#include "report/report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct lure_result sample(void)
{
    struct lure_result r = {.verdict = PROBE_VULNERABLE};
    snprintf(r.reason, sizeof r.reason, "answered");
    struct lure_evidence *ev = &r.evidence;
    ev->prelude = "smtp";
    ev->client_hello = true;
    ev->hello.version = TLS_VERSION_TLS12;
    ev->hello.version_count = 2;
    ev->hello.versions[0] = 0x0304;
    ev->hello.versions[1] = TLS_VERSION_TLS12;
    ev->hello.cipher_count = 2;
    ev->hello.ciphers[0] = 0x002f;
    ev->hello.ciphers[1] = 0xeeee;
    ev->hello.extension_count = 2;
    ev->hello.extensions[0] = 0;
    ev->hello.extensions[1] = 15;
    ev->hello.heartbeat = true;
    snprintf(ev->hello.server_name, sizeof ev->hello.server_name, "evil\x1b[2Jname");
    snprintf(ev->ja3, sizeof ev->ja3, "771,47,0-15,,");
    snprintf(ev->ja3_hash, sizeof ev->ja3_hash, "0123456789abcdef0123456789abcdef");
    ev->tls_version = TLS_VERSION_TLS12;
    ev->cipher = 0x002f;
    ev->alert_seen = true;
    ev->alert = (struct tls_alert){TLS_ALERT_FATAL, 48};
    ev->claimed_length = 16381;
    ev->sent_length = 16341;
    ev->leaked_bytes = 40;
    return r;
}

static char *render(const struct client_report_format *fmt, const struct client_finding *f,
                    bool verbose)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    struct report_options o = {.verbose = verbose};
    fmt->finding(out, f, &o);
    fclose(out);
    return buf;
}

static void json_has_every_key(void **state)
{
    (void)state;
    struct lure_result r = sample();
    struct client_finding f = {.ip = "::1",
                               .port = 40000,
                               .listen = "[::1]:8443",
                               .elapsed_ms = 12,
                               .exec = "curl -k https://[::1]:8443/",
                               .exec_exited = true,
                               .exec_status = 7,
                               .result = &r};
    char *line = render(&report_clients_json, &f, false);
    assert_non_null(strchr(line, '\n'));
    assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1); /* one line */
    json_error_t err;
    json_t *o = json_loads(line, 0, &err);
    assert_non_null(o);
    static const char *const keys[] = {
        "type",   "ip",           "port",  "listen", "proto",       "verdict",
        "reason", "leaked_bytes", "sni",   "hello",  "sslv2_hello", "tls_version",
        "cipher", "alert",        "probe", "exec",   "elapsed_ms"};
    assert_int_equal(json_object_size(o), HC_ARRAY_LEN(keys));
    for (size_t i = 0; i < HC_ARRAY_LEN(keys); i++)
        if (!json_object_get(o, keys[i]))
            fail_msg("no key %s", keys[i]);
    assert_string_equal(json_string_value(json_object_get(o, "verdict")), "vulnerable");
    assert_string_equal(json_string_value(json_object_get(o, "proto")), "smtp");
    assert_string_equal(json_string_value(json_object_get(o, "cipher")),
                        "TLS_RSA_WITH_AES_128_CBC_SHA");
    json_t *hello = json_object_get(o, "hello");
    assert_string_equal(json_string_value(json_array_get(json_object_get(hello, "ciphers"), 1)),
                        "0xeeee");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(hello, "offered_versions"), 0)), "0x0304");
    assert_true(json_is_true(json_object_get(hello, "heartbeat_extension")));
    assert_string_equal(json_string_value(json_object_get(hello, "ja3_hash")),
                        "0123456789abcdef0123456789abcdef");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "exec"), "exit_status")),
                     7);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "probe"), "kind")),
                        "over-read");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "alert"), "name")),
                        "unknown_ca");
    json_decref(o);
    free(line);
}

static void json_nulls_without_hello(void **state)
{
    (void)state;
    struct lure_result r = {.verdict = PROBE_NOT_TLS};
    snprintf(r.reason, sizeof r.reason, "what it sent is not TLS");
    struct client_finding f = {
        .ip = "127.0.0.1", .port = 1, .listen = "127.0.0.1:8443", .result = &r};
    char *line = render(&report_clients_json, &f, false);
    json_error_t err;
    json_t *o = json_loads(line, 0, &err);
    assert_non_null(o);
    static const char *const nulls[] = {"proto",  "sni",   "hello", "tls_version",
                                        "cipher", "alert", "probe", "exec"};
    for (size_t i = 0; i < HC_ARRAY_LEN(nulls); i++)
        assert_true(json_is_null(json_object_get(o, nulls[i])));
    json_decref(o);
    free(line);
}

static void text_verbose_and_clean(void **state)
{
    (void)state;
    struct lure_result r = sample();
    struct client_finding f = {.ip = "::1", .port = 40000, .listen = "[::1]:8443", .result = &r};
    char *text = render(&report_clients_text, &f, true);
    assert_non_null(strstr(text, "[::1]:40000"));
    assert_non_null(strstr(text, "VULNERABLE"));
    assert_non_null(strstr(text, "evil?[2Jname")); /* the client's name cannot drive the tty */
    assert_null(strchr(text, '\x1b'));
    assert_non_null(strstr(text, "0x0304 TLSv1.2"));
    assert_non_null(strstr(text, "ja3         0123456789abcdef0123456789abcdef 771,47,0-15,,"));
    assert_non_null(strstr(text, "alert       fatal unknown_ca (48)"));
    assert_non_null(strstr(text, "40 bytes of client memory (not shown"));
    free(text);
    text = render(&report_clients_text, &f, false);
    assert_null(strstr(text, "ja3"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_has_every_key),
        cmocka_unit_test(json_nulls_without_hello),
        cmocka_unit_test(text_verbose_and_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
