/* names: the cipher suite table and the version and alert names. */
#include "unit.h"

#include "tls/tls.h"

#include <string.h>

static void test_find_known_suites(void **state)
{
    (void)state;
    /* What OpenSSL 1.0.1f chose in the captures. */
    const struct tls_cipher_suite *s = tls_cipher_suite_find(0x009c);
    assert_non_null(s);
    assert_int_equal(s->id, 0x009c);
    assert_string_equal(s->name, "TLS_RSA_WITH_AES_128_GCM_SHA256");
    assert_true(s->tls12_only);
    assert_true(s->rsa_kx);
    s = tls_cipher_suite_find(0xc02f);
    assert_non_null(s);
    assert_string_equal(s->name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_false(s->rsa_kx);
    s = tls_cipher_suite_find(0xc014);
    assert_non_null(s);
    assert_string_equal(s->name, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
    assert_false(s->tls12_only);
    s = tls_cipher_suite_find(0x0004);
    assert_non_null(s);
    assert_string_equal(s->name, "TLS_RSA_WITH_RC4_128_MD5");
}

static void test_find_unknown(void **state)
{
    (void)state;
    assert_null(tls_cipher_suite_find(0x0000));
    assert_null(tls_cipher_suite_find(0x00ff)); /* the SCSV is a signal, not a suite */
    assert_null(tls_cipher_suite_find(0x1301)); /* TLS 1.3 */
    assert_null(tls_cipher_suite_find(0xffff));
}

/* Every suite is findable under its own id, once, and the hello can carry them all. */
static void test_table_ids(void **state)
{
    (void)state;
    assert_true(tls_cipher_suite_count > 0);
    assert_true(tls_cipher_suite_count + 1 <= TLS_MAX_CLIENT_CIPHERS);
    for (size_t i = 0; i < tls_cipher_suite_count; i++) {
        assert_ptr_equal(tls_cipher_suite_find(tls_cipher_suites[i].id), &tls_cipher_suites[i]);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(tls_cipher_suites[i].id, tls_cipher_suites[j].id);
    }
}

/* The flags follow from the IANA names: AEAD and SHA-2 MACs need TLS 1.2 (RFC 5246 A.5),
 * "TLS_RSA_WITH_" means RSA key transport (no ServerKeyExchange). */
static void test_table_flags_match_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < tls_cipher_suite_count; i++) {
        const struct tls_cipher_suite *s = &tls_cipher_suites[i];
        assert_int_equal(strncmp(s->name, "TLS_", 4), 0);
        assert_non_null(strstr(s->name, "_WITH_"));
        bool t12 =
            strstr(s->name, "_GCM_") || strstr(s->name, "_SHA256") || strstr(s->name, "_SHA384");
        assert_int_equal(s->tls12_only, t12);
        assert_int_equal(s->rsa_kx, strncmp(s->name, "TLS_RSA_WITH_", 13) == 0);
    }
}

static void test_version_names(void **state)
{
    (void)state;
    assert_string_equal(tls_version_name(TLS_VERSION_SSL3), "SSLv3");
    assert_string_equal(tls_version_name(TLS_VERSION_TLS10), "TLSv1.0");
    assert_string_equal(tls_version_name(TLS_VERSION_TLS11), "TLSv1.1");
    assert_string_equal(tls_version_name(TLS_VERSION_TLS12), "TLSv1.2");
    assert_null(tls_version_name(0x0304));
    assert_null(tls_version_name(0x0200));
    assert_null(tls_version_name(0x0000));
    assert_string_equal(tls_version_name(DTLS_VERSION_10), "DTLSv1.0");
    assert_string_equal(tls_version_name(DTLS_VERSION_12), "DTLSv1.2");
    assert_null(tls_version_name(0xfefe)); /* DTLS 1.1 never existed */
}

static void test_alert_names(void **state)
{
    (void)state;
    assert_string_equal(tls_alert_name(TLS_ALERT_CLOSE_NOTIFY), "close_notify");
    assert_string_equal(tls_alert_name(TLS_ALERT_UNEXPECTED_MESSAGE), "unexpected_message");
    assert_string_equal(tls_alert_name(TLS_ALERT_HANDSHAKE_FAILURE), "handshake_failure");
    assert_string_equal(tls_alert_name(TLS_ALERT_ILLEGAL_PARAMETER), "illegal_parameter");
    assert_string_equal(tls_alert_name(TLS_ALERT_DECODE_ERROR), "decode_error");
    assert_string_equal(tls_alert_name(TLS_ALERT_PROTOCOL_VERSION), "protocol_version");
    assert_string_equal(tls_alert_name(TLS_ALERT_INTERNAL_ERROR), "internal_error");
    assert_string_equal(tls_alert_name(TLS_ALERT_UNRECOGNIZED_NAME), "unrecognized_name");
    assert_string_equal(tls_alert_name(20), "bad_record_mac");
    assert_string_equal(tls_alert_name(86), "inappropriate_fallback");
    assert_null(tls_alert_name(1));
    assert_null(tls_alert_name(255));
}

/* Every named alert has a lower-case identifier as in the IANA registry. */
static void test_alert_names_well_formed(void **state)
{
    (void)state;
    size_t named = 0;
    for (unsigned d = 0; d < 256; d++) {
        const char *n = tls_alert_name((uint8_t)d);
        if (!n)
            continue;
        named++;
        assert_true(strlen(n) > 0);
        for (const char *c = n; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
    }
    assert_int_equal(named, 31);
}

static void test_version_parse(void **state)
{
    (void)state;
    uint16_t v = 0;
    assert_true(tls_version_parse("ssl3", &v));
    assert_int_equal(v, TLS_VERSION_SSL3);
    assert_true(tls_version_parse("tls1", &v));
    assert_int_equal(v, TLS_VERSION_TLS10);
    assert_true(tls_version_parse("tls1.0", &v));
    assert_int_equal(v, TLS_VERSION_TLS10);
    assert_true(tls_version_parse("tls1.1", &v));
    assert_int_equal(v, TLS_VERSION_TLS11);
    assert_true(tls_version_parse("tls1.2", &v));
    assert_int_equal(v, TLS_VERSION_TLS12);
    v = 0;
    assert_false(tls_version_parse("tls1.3", &v)); /* no heartbeats in TLS 1.3 */
    assert_false(tls_version_parse("TLSv1.2", &v));
    assert_false(tls_version_parse("", &v));
    assert_int_equal(v, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_known_suites),
        cmocka_unit_test(test_version_parse),
        cmocka_unit_test(test_find_unknown),
        cmocka_unit_test(test_table_ids),
        cmocka_unit_test(test_table_flags_match_names),
        cmocka_unit_test(test_version_names),
        cmocka_unit_test(test_alert_names),
        cmocka_unit_test(test_alert_names_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
