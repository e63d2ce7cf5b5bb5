/* Text findings for people: one line per target, details when verbose, and no terminal
 * control from text a server chose. */
#include "unit.h"

#include "report/report.h"
#include "support/findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A certificate from CN=Test CA, alone in its chain, hashes ab.. and cd.. */
static void add_cert(struct probe_result *r, const char *subject)
{
    result_add_cert(r, subject, "CN=Test CA", 1);
    memset(r->evidence.cert.sha256, 0xab, sizeof r->evidence.cert.sha256);
    memset(r->evidence.cert.spki_sha256, 0xcd, sizeof r->evidence.cert.spki_sha256);
}

/* The finding every test reports: example.com:8443, 42 ms. */
static struct finding make_finding(const struct probe_result *r) { return example_finding(r, 42); }

/* report_text's output for one finding (caller frees). */
static char *render(const struct finding *f, bool verbose, bool color)
{
    return render_finding(&report_text, f, verbose, color);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_one_line_per_verdict(void **state)
{
    (void)state;
    static const char *const upper[] = {"VULNERABLE", "PATCHED",     "NOT_VULNERABLE",
                                        "NOT_TLS",    "UNREACHABLE", "INCONCLUSIVE"};
    for (int v = PROBE_VULNERABLE; v <= PROBE_INCONCLUSIVE; v++) {
        struct probe_result r = result_with_reason((enum probe_verdict)v, "the reason");
        struct finding f = make_finding(&r);
        char *text = render(&f, false, false);
        assert_int_equal(count_lines(text), 1);
        assert_int_equal(text[strlen(text) - 1], '\n');
        assert_int_equal(strncmp(text, "example.com:8443", 16), 0);
        assert_non_null(strstr(text, upper[v]));
        assert_non_null(strstr(text, "the reason\n"));
        assert_null(strchr(text, '\033'));
        free(text);
    }
}

static void test_color_only_when_asked(void **state)
{
    (void)state;
    static const char *const colors[] = {"\033[1;31m", "\033[32m", "\033[32m",
                                         "\033[33m",   "\033[33m", "\033[33m"};
    for (int v = PROBE_VULNERABLE; v <= PROBE_INCONCLUSIVE; v++) {
        struct probe_result r = result_with_reason((enum probe_verdict)v, "why");
        struct finding f = make_finding(&r);
        char *text = render(&f, true, true);
        assert_non_null(strstr(text, colors[v]));
        assert_non_null(strstr(text, "\033[0m")); /* and reset after the verdict */
        free(text);
        text = render(&f, true, false);
        assert_null(strchr(text, '\033'));
        free(text);
    }
}

static void test_verbose_details(void **state)
{
    (void)state;
    struct probe_result r = result_with_reason(PROBE_NOT_VULNERABLE, "heartbeat refused");
    result_add_tls12(&r);
    add_cert(&r, "CN=example.com");
    r.evidence.alert_seen = true;
    r.evidence.alert = (struct tls_alert){TLS_ALERT_FATAL, TLS_ALERT_UNEXPECTED_MESSAGE};
    r.evidence.attempts = 3;
    r.evidence.prelude = "imap";
    struct finding f = make_finding(&r);
    char *text = render(&f, true, false);
    static const char *const want[] = {
        "192.0.2.7 port 8443, SNI example.com",
        "starttls    imap\n",
        "TLSv1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, heartbeat extension yes",
        "fatal unexpected_message (10)",
        "subject     CN=example.com\n",
        "issuer      CN=Test CA\n",
        "2026-11-21T12:35:37Z to 2027-11-21T12:35:37Z",
        "abababababababababababababababababababababababababababababababab",
        "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd (RSA 2048 bits)",
        "3 connections, 42 ms",
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(want); i++)
        if (!strstr(text, want[i]))
            fail_msg("missing '%s' in:\n%s", want[i], text);
    assert_null(strstr(text, "leaked")); /* zero-leak probe: nothing to say */
    free(text);

    text = render(&f, false, false);
    assert_int_equal(count_lines(text), 1);
    assert_null(strstr(text, "subject"));
    free(text);
}

static void test_verbose_minimal(void **state)
{
    (void)state;
    struct probe_result r = result_with_reason(PROBE_UNREACHABLE, "connection refused");
    struct finding f = make_finding(&r);
    f.ip = "";
    f.sni = NULL;
    char *text = render(&f, true, false);
    assert_non_null(strstr(text, "address     - port 8443\n"));
    assert_non_null(strstr(text, "1 connection, 42 ms"));
    assert_null(strstr(text, "transport")); /* plain TLS over TCP goes without saying */
    assert_null(strstr(text, "tls "));
    assert_null(strstr(text, "alert"));
    assert_null(strstr(text, "subject"));
    free(text);
}

static void test_verbose_openvpn(void **state)
{
    (void)state;
    struct probe_result r = result_with_reason(PROBE_NOT_VULNERABLE, "session ended");
    struct finding f = make_finding(&r);
    f.transport = PROBE_OPENVPN_TCP;
    char *text = render(&f, true, false);
    assert_non_null(strstr(text, "    transport   openvpn-tcp\n"));
    free(text);
    text = render(&f, false, false);
    assert_null(strstr(text, "openvpn")); /* one line: the verdict and its reason */
    free(text);
}

static void test_unknown_cipher_and_alert(void **state)
{
    (void)state;
    struct probe_result r = result_with_reason(PROBE_INCONCLUSIVE, "odd");
    result_add_tls12(&r);
    r.evidence.cipher = 0xabcd;
    r.evidence.heartbeat_extension = false;
    r.evidence.alert_seen = true;
    r.evidence.alert = (struct tls_alert){TLS_ALERT_WARNING, 199};
    struct finding f = make_finding(&r);
    char *text = render(&f, true, false);
    assert_non_null(strstr(text, "cipher 0xabcd, heartbeat extension no"));
    assert_non_null(strstr(text, "warning unknown (199)"));
    free(text);
}

/* Leaked bytes are counted, never shown, not even verbose. */
static void test_leak_not_shown(void **state)
{
    (void)state;
    static const uint8_t secret[] = "SECRET-PASSWORD";
    struct probe_result r = result_with_reason(PROBE_VULNERABLE, "over-read answered");
    r.evidence.leaked_bytes = sizeof secret - 1;
    r.leak = secret;
    struct finding f = make_finding(&r);
    char *text = render(&f, true, true);
    assert_null(strstr(text, "SECRET"));
    assert_non_null(strstr(text, "leaked      15 bytes of server memory"));
    free(text);
}

/* A certificate subject or a quoted reply may carry ESC, CR, newlines: printed as '?'. */
static void test_server_text_cleaned(void **state)
{
    (void)state;
    struct probe_result r = result_with_reason(PROBE_NOT_TLS, "reply \033[2J\r\nfake line\x7f");
    result_add_tls12(&r);
    add_cert(&r, "CN=\033]0;pwned\007evil\nVULNERABLE");
    snprintf(r.evidence.cert.issuer, sizeof r.evidence.cert.issuer, "CN=\033[31mred");
    struct finding f = make_finding(&r);
    char *text = render(&f, true, false);
    assert_null(strchr(text, '\033'));
    assert_null(strchr(text, '\r'));
    assert_null(strchr(text, '\007'));
    assert_null(strchr(text, '\x7f'));
    assert_non_null(strstr(text, "reply ?[2J??fake line?\n"));
    assert_non_null(strstr(text, "subject     CN=?]0;pwned?evil?VULNERABLE\n"));
    assert_non_null(strstr(text, "issuer      CN=?[31mred\n"));
    free(text);

    /* With colour on, the only ESC characters are our own colour codes. */
    text = render(&f, true, true);
    size_t esc = 0;
    for (const char *p = text; *p; p++)
        esc += *p == '\033';
    assert_int_equal(esc, 2);
    free(text);
}

static void test_long_target_and_reason(void **state)
{
    (void)state;
    struct probe_result r = result_with_reason(PROBE_INCONCLUSIVE, "");
    memset(r.reason, 'r', sizeof r.reason - 1);
    r.reason[sizeof r.reason - 1] = '\0';
    struct finding f = make_finding(&r);
    char target[300];
    memset(target, 't', sizeof target - 1);
    target[sizeof target - 1] = '\0';
    f.target = target;
    char *text = render(&f, false, false);
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, target));
    assert_int_equal(strlen(text), 299 + 1 + 14 + 1 + 255 + 1);
    free(text);
    assert_string_equal(report_text.name, "text");
}

/* Over DTLS the address line says UDP and the attempts count sockets. */
static void test_verbose_dtls(void **state)
{
    (void)state;
    struct probe_result r = result_with_reason(PROBE_VULNERABLE, "answered");
    result_add_tls12(&r);
    r.evidence.tls_version = DTLS_VERSION_10;
    r.evidence.attempts = 2;
    struct finding f = make_finding(&r);
    f.transport = PROBE_DTLS;
    char *text = render(&f, true, false);
    assert_non_null(strstr(text, "192.0.2.7 port 8443/udp"));
    assert_non_null(strstr(text, "tls         DTLSv1.0,"));
    assert_non_null(strstr(text, "2 sockets, 42 ms"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_line_per_verdict),
        cmocka_unit_test(test_color_only_when_asked),
        cmocka_unit_test(test_verbose_details),
        cmocka_unit_test(test_verbose_minimal),
        cmocka_unit_test(test_verbose_dtls),
        cmocka_unit_test(test_verbose_openvpn),
        cmocka_unit_test(test_unknown_cipher_and_alert),
        cmocka_unit_test(test_leak_not_shown),
        cmocka_unit_test(test_server_text_cleaned),
        cmocka_unit_test(test_long_target_and_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
