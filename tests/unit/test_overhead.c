/* Record overhead per suite: the plaintext sizes a record length allows. */
#include "unit.h"

#include "tls/tls.h"

static void test_aead(void **state)
{
    (void)state;
    struct tls_record_overhead o;
    uint32_t lo, hi;
    assert_true(tls_record_overhead(0xc02f, TLS_VERSION_TLS12, &o)); /* AES-128-GCM */
    assert_int_equal(o.kind, TLS_CIPHER_AEAD);
    tls_plaintext_range(&o, 8 + 100 + 16, &lo, &hi);
    assert_int_equal(lo, 100);
    assert_int_equal(hi, 100);
    assert_true(tls_record_overhead(0xcca8, TLS_VERSION_TLS12, &o)); /* ChaCha20: no nonce */
    tls_plaintext_range(&o, 100 + 16, &lo, &hi);
    assert_int_equal(lo, 100);
    assert_true(tls_record_overhead(0xc0a0, TLS_VERSION_TLS12, &o)); /* CCM_8: 8-byte tag */
    assert_int_equal(o.tag_len, 8);
}

static void test_block(void **state)
{
    (void)state;
    struct tls_record_overhead o;
    uint32_t lo, hi;
    /* AES-128-CBC-SHA at TLS 1.2: IV 16, MAC 20, padding 1..256. */
    assert_true(tls_record_overhead(0x002f, TLS_VERSION_TLS12, &o));
    assert_int_equal(o.kind, TLS_CIPHER_BLOCK);
    assert_int_equal(o.explicit_iv, 16);
    tls_plaintext_range(&o, 16 + 64, &lo, &hi);
    assert_int_equal(hi, 64 - 20 - 1);
    assert_int_equal(lo, 0);
    /* TLS 1.0: no explicit IV; 3DES blocks are 8 bytes; SHA-384 MACs 48. */
    assert_true(tls_record_overhead(0x000a, TLS_VERSION_TLS10, &o));
    assert_int_equal(o.explicit_iv, 0);
    assert_int_equal(o.block_len, 8);
    assert_true(tls_record_overhead(0xc028, TLS_VERSION_TLS12, &o));
    assert_int_equal(o.mac_len, 48);
    /* SSLv3 pads to the block only. */
    assert_true(tls_record_overhead(0x002f, TLS_VERSION_SSL3, &o));
    tls_plaintext_range(&o, 16400, &lo, &hi);
    assert_int_equal(hi - lo, 15);
}

static void test_stream(void **state)
{
    (void)state;
    struct tls_record_overhead o;
    uint32_t lo, hi;
    assert_true(tls_record_overhead(0x0004, TLS_VERSION_TLS10, &o)); /* RC4-MD5 */
    tls_plaintext_range(&o, 116, &lo, &hi);
    assert_int_equal(lo, 100);
    assert_int_equal(hi, 100);
    assert_true(tls_record_overhead(0x0002, TLS_VERSION_TLS10, &o)); /* NULL-SHA */
    assert_int_equal(o.mac_len, 20);
}

static void test_unknown(void **state)
{
    (void)state;
    struct tls_record_overhead o;
    uint32_t lo, hi;
    assert_false(tls_record_overhead(0x1301, TLS_VERSION_TLS12, &o)); /* TLS 1.3: none here */
    tls_plaintext_range(NULL, 1000, &lo, &hi);
    assert_int_equal(hi, 1000);
    assert_true(lo < 1000 - 256);
    tls_plaintext_range(NULL, 10, &lo, &hi);
    assert_int_equal(lo, 0); /* never below zero */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aead),
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
