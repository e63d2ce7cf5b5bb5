/* The verify verdict table: every baseline verdict against every verdict now, then the
 * certificate comparisons (same certificate, same key, new key) for scan and host baselines. */
#include "unit.h"

#include "verify/verify.h"

#include <string.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A certificate whose DER hashes to 0xaa... and whose key hashes to 0xbb... */
static struct tls_cert_info cert_ab(void)
{
    struct tls_cert_info c;
    memset(&c, 0, sizeof c);
    memset(c.sha256, 0xaa, sizeof c.sha256);
    memset(c.spki_sha256, 0xbb, sizeof c.spki_sha256);
    return c;
}

static struct verify_entry entry(enum probe_verdict v, bool with_cert)
{
    struct verify_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.target, sizeof e.target, "127.0.0.1:443");
    e.verdict = v;
    if (with_cert) {
        e.cert.present = true;
        snprintf(e.cert.sha256, sizeof e.cert.sha256, SHA_A);
        snprintf(e.cert.spki_sha256, sizeof e.cert.spki_sha256, SHA_B);
    }
    return e;
}

static enum verify_verdict judge(const struct verify_entry *e, enum probe_verdict now_v,
                                 const struct tls_cert_info *cert, char *reason, size_t cap)
{
    struct verify_now now = {.verdict = now_v, .reason = "what the probe said", .cert = cert};
    struct verify_baseline b = {0};
    return verify_judge(e, &now, &b, reason, cap);
}

/* Rows: the baseline verdict; columns: the verdict now (the certificate is the baseline's). */
static void test_table(void **state)
{
    (void)state;
    static const enum verify_verdict want[6][6] = {
        /* now: vulnerable, patched, not_vulnerable, not_tls, unreachable, inconclusive */
        [PROBE_VULNERABLE] = {VERIFY_STILL_VULNERABLE, VERIFY_NOT_ROTATED, VERIFY_NOT_ROTATED,
                              VERIFY_NOT_TLS, VERIFY_UNREACHABLE, VERIFY_INCONCLUSIVE},
        [PROBE_PATCHED] = {VERIFY_NEWLY_VULNERABLE, VERIFY_NEVER_VULNERABLE,
                           VERIFY_NEVER_VULNERABLE, VERIFY_NEVER_VULNERABLE,
                           VERIFY_NEVER_VULNERABLE, VERIFY_NEVER_VULNERABLE},
        [PROBE_NOT_VULNERABLE] = {VERIFY_NEWLY_VULNERABLE, VERIFY_NEVER_VULNERABLE,
                                  VERIFY_NEVER_VULNERABLE, VERIFY_NEVER_VULNERABLE,
                                  VERIFY_NEVER_VULNERABLE, VERIFY_NEVER_VULNERABLE},
        [PROBE_NOT_TLS] = {VERIFY_NEWLY_VULNERABLE, VERIFY_BASELINE_UNDECIDED,
                           VERIFY_BASELINE_UNDECIDED, VERIFY_BASELINE_UNDECIDED,
                           VERIFY_BASELINE_UNDECIDED, VERIFY_BASELINE_UNDECIDED},
        [PROBE_UNREACHABLE] = {VERIFY_NEWLY_VULNERABLE, VERIFY_BASELINE_UNDECIDED,
                               VERIFY_BASELINE_UNDECIDED, VERIFY_BASELINE_UNDECIDED,
                               VERIFY_BASELINE_UNDECIDED, VERIFY_BASELINE_UNDECIDED},
        [PROBE_INCONCLUSIVE] = {VERIFY_NEWLY_VULNERABLE, VERIFY_BASELINE_UNDECIDED,
                                VERIFY_BASELINE_UNDECIDED, VERIFY_BASELINE_UNDECIDED,
                                VERIFY_BASELINE_UNDECIDED, VERIFY_BASELINE_UNDECIDED},
    };
    struct tls_cert_info c = cert_ab();
    for (int then = 0; then <= PROBE_INCONCLUSIVE; then++)
        for (int now = 0; now <= PROBE_INCONCLUSIVE; now++) {
            struct verify_entry e = entry((enum probe_verdict)then, true);
            char reason[512] = "";
            enum verify_verdict got = judge(&e, (enum probe_verdict)now, &c, reason, sizeof reason);
            if (got != want[then][now])
                fail_msg("baseline %s, now %s: %s, want %s", probe_verdict_name(then),
                         probe_verdict_name(now), verify_verdict_name(got),
                         verify_verdict_name(want[then][now]));
            assert_true(reason[0] != '\0');
        }
}

static void test_certificates(void **state)
{
    (void)state;
    struct verify_entry e = entry(PROBE_VULNERABLE, true);
    struct tls_cert_info c = cert_ab();
    char reason[512];
    assert_int_equal(judge(&e, PROBE_PATCHED, &c, reason, sizeof reason), VERIFY_NOT_ROTATED);
    assert_non_null(strstr(reason, "very certificate"));
    c.sha256[31] ^= 1; /* re-issued: another certificate, the same key */
    assert_int_equal(judge(&e, PROBE_PATCHED, &c, reason, sizeof reason), VERIFY_SAME_KEY);
    assert_non_null(strstr(reason, "old key"));
    c.spki_sha256[0] ^= 1; /* and a new key */
    assert_int_equal(judge(&e, PROBE_NOT_VULNERABLE, &c, reason, sizeof reason), VERIFY_ROTATED);
    assert_int_equal(judge(&e, PROBE_PATCHED, NULL, reason, sizeof reason), VERIFY_NO_CURRENT_CERT);
    struct verify_entry bare = entry(PROBE_VULNERABLE, false);
    assert_int_equal(judge(&bare, PROBE_PATCHED, &c, reason, sizeof reason),
                     VERIFY_NO_BASELINE_CERT);
}

/* Host baselines compare the key seen now with the keys exposed back then. */
static void test_host_keys(void **state)
{
    (void)state;
    struct verify_entry e = entry(PROBE_VULNERABLE, false);
    e.from_host = true;
    struct verify_old_key keys[2] = {{.path = "/etc/ssl/old.pem"}, {.path = ""}};
    snprintf(keys[0].spki_sha256, sizeof keys[0].spki_sha256, SHA_A);
    snprintf(keys[1].spki_sha256, sizeof keys[1].spki_sha256, SHA_B);
    struct verify_baseline b = {.old_keys = keys, .old_key_count = 0};
    struct tls_cert_info c = cert_ab(); /* key 0xbb...: the second old key */
    struct verify_now now = {.verdict = PROBE_PATCHED, .reason = "dropped", .cert = &c};
    char reason[512];
    assert_int_equal(verify_judge(&e, &now, &b, reason, sizeof reason), VERIFY_NO_BASELINE_CERT);
    b.old_key_count = 1;
    assert_int_equal(verify_judge(&e, &now, &b, reason, sizeof reason), VERIFY_ROTATED);
    b.old_key_count = 2;
    assert_int_equal(verify_judge(&e, &now, &b, reason, sizeof reason), VERIFY_SAME_KEY);
    assert_non_null(strstr(reason, "an exposed certificate"));
    memset(c.spki_sha256, 0xaa, sizeof c.spki_sha256);
    assert_int_equal(verify_judge(&e, &now, &b, reason, sizeof reason), VERIFY_SAME_KEY);
    assert_non_null(strstr(reason, "/etc/ssl/old.pem"));
}

static void test_names_and_classes(void **state)
{
    (void)state;
    assert_string_equal(verify_verdict_name(VERIFY_ROTATED), "rotated");
    assert_string_equal(verify_verdict_name(VERIFY_NOT_ROTATED), "not_rotated");
    assert_string_equal(verify_verdict_name(VERIFY_SAME_KEY), "same_key");
    assert_string_equal(verify_verdict_name(VERIFY_NO_BASELINE_CERT), "no_baseline_cert");
    assert_string_equal(verify_verdict_name((enum verify_verdict)99), "unknown");
    assert_int_equal(verify_verdict_class(VERIFY_NEVER_VULNERABLE), VERIFY_CLASS_DONE);
    assert_int_equal(verify_verdict_class(VERIFY_STILL_VULNERABLE), VERIFY_CLASS_ACTION);
    assert_int_equal(verify_verdict_class(VERIFY_UNREACHABLE), VERIFY_CLASS_UNKNOWN);
    assert_int_equal(verify_verdict_class((enum verify_verdict)99), VERIFY_CLASS_UNKNOWN);
    for (int v = 0; v <= VERIFY_BASELINE_UNDECIDED; v++)
        assert_string_not_equal(verify_verdict_name((enum verify_verdict)v), "unknown");
}

/* A long reason from the probe is cut, never overrun. */
static void test_reason_bounds(void **state)
{
    (void)state;
    char long_reason[600];
    memset(long_reason, 'x', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    struct verify_entry e = entry(PROBE_VULNERABLE, true);
    struct verify_now now = {.verdict = PROBE_VULNERABLE, .reason = long_reason};
    struct verify_baseline b = {0};
    char reason[32];
    assert_int_equal(verify_judge(&e, &now, &b, reason, sizeof reason), VERIFY_STILL_VULNERABLE);
    assert_int_equal(strlen(reason), sizeof reason - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),         cmocka_unit_test(test_certificates),
        cmocka_unit_test(test_host_keys),     cmocka_unit_test(test_names_and_classes),
        cmocka_unit_test(test_reason_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
