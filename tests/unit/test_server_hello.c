/* ServerHello: real ones from three servers, every malformed field, the builder. */
#include "unit.h"

#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

/* ServerHello bodies (after the handshake header) from the captures in shared/vectors.
 * OpenSSL 1.0.1f s_server: TLS 1.2, 32-byte session id, 0x009c, heartbeat mode 1. */
static const uint8_t sh_101f[] = {
    0x03, 0x03, 0xfe, 0x4f, 0x9f, 0xc4, 0xd7, 0xca, 0x79, 0xd9, 0x33, 0x8e, 0x82, 0x39, 0xe6, 0x16,
    0x2a, 0x0c, 0x72, 0xb1, 0xac, 0x8a, 0xa6, 0x77, 0x89, 0xd3, 0xe0, 0x45, 0xbd, 0xfa, 0xb8, 0xa2,
    0x60, 0x06, 0x20, 0xd6, 0xd1, 0x2e, 0xf8, 0x74, 0x89, 0xb4, 0xc4, 0x0d, 0xbc, 0xdf, 0x27, 0xa5,
    0x6c, 0x4e, 0x88, 0x48, 0xf7, 0x85, 0x8b, 0xb0, 0x86, 0xa1, 0xce, 0xcd, 0xbc, 0x7d, 0x7c, 0x7a,
    0x95, 0x55, 0x31, 0x00, 0x9c, 0x00, 0x00, 0x05, 0x00, 0x0f, 0x00, 0x01, 0x01,
};
/* OpenSSL 3.0 s_server: 0xc02f, ec_point_formats only, no heartbeat. */
static const uint8_t sh_ossl3[] = {
    0x03, 0x03, 0xaf, 0x30, 0xae, 0xb3, 0xd5, 0xcf, 0x13, 0x4b, 0xc6, 0xdf, 0xa4, 0xdc, 0xe2, 0x70,
    0x90, 0xc4, 0x38, 0xb8, 0x9c, 0xfe, 0xf7, 0x75, 0xfb, 0x06, 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52,
    0x44, 0x01, 0x20, 0x3a, 0x0b, 0xd0, 0x6e, 0x1e, 0x0a, 0xa3, 0x1c, 0x5a, 0x73, 0x19, 0x91, 0x95,
    0x9d, 0x84, 0xe8, 0x70, 0x7f, 0x10, 0xc4, 0xe2, 0x77, 0xa8, 0xf8, 0xb5, 0x58, 0xab, 0xf5, 0xe8,
    0xea, 0x80, 0xd8, 0xc0, 0x2f, 0x00, 0x00, 0x08, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02,
};
/* GnuTLS 3.7 gnutls-serv --heartbeat: 0xc02f, ec_point_formats and heartbeat mode 1. */
static const uint8_t sh_gnutls[] = {
    0x03, 0x03, 0x91, 0xba, 0xc8, 0x5e, 0xf7, 0xfe, 0xb4, 0xb8, 0xae, 0xb8, 0x05, 0xa2,
    0xad, 0x54, 0x19, 0x84, 0xa7, 0x18, 0xd9, 0x4d, 0x78, 0x6f, 0xfd, 0xe2, 0x44, 0x4f,
    0x57, 0x4e, 0x47, 0x52, 0x44, 0x01, 0x20, 0x0d, 0x2b, 0x0d, 0xcc, 0x37, 0x25, 0x57,
    0x92, 0xb2, 0x27, 0x33, 0xf5, 0x95, 0xda, 0xf3, 0x2a, 0xf1, 0x2c, 0x26, 0xac, 0xf6,
    0x26, 0x72, 0x66, 0xb0, 0xa8, 0x2b, 0xd0, 0x06, 0xfb, 0xf2, 0x48, 0xc0, 0x2f, 0x00,
    0x00, 0x0b, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x0f, 0x00, 0x01, 0x01,
};
/* The test server in openssl-1.0.1f-client_tls12_zero-leak-probe.pcap: no session id. */
static const uint8_t sh_bare[] = {
    0x03, 0x03, 0xc1, 0x98, 0x20, 0xa7, 0x15, 0x26, 0xbe, 0x98, 0x5b, 0x0c, 0x28, 0x92, 0x9e,
    0xee, 0x1d, 0x5a, 0x42, 0x8a, 0x02, 0x64, 0x73, 0x08, 0xda, 0xff, 0xc3, 0x4e, 0xca, 0xaf,
    0x91, 0x43, 0x2e, 0xf7, 0x00, 0xc0, 0x30, 0x00, 0x00, 0x05, 0x00, 0x0f, 0x00, 0x01, 0x01,
};

enum { COMP_END_SID32 = 2 + 32 + 1 + 32 + 2 + 1, COMP_END_NO_SID = 2 + 32 + 1 + 2 + 1 };

static void test_parse_openssl_101f(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    assert_success(tls_server_hello_parse(sh_101f, sizeof sh_101f, &sh));
    assert_int_equal(sh.version, TLS_VERSION_TLS12);
    assert_memory_equal(sh.random, sh_101f + 2, TLS_RANDOM_LEN);
    assert_int_equal(sh.session_id_len, 32);
    assert_memory_equal(sh.session_id, sh_101f + 35, 32);
    assert_int_equal(sh.cipher_suite, 0x009c);
    assert_int_equal(sh.compression, 0);
    assert_int_equal(sh.extension_count, 1);
    assert_int_equal(sh.extensions[0], TLS_EXT_HEARTBEAT);
    assert_true(sh.heartbeat);
    assert_int_equal(sh.heartbeat_mode, TLS_HEARTBEAT_PEER_ALLOWED);
}

static void test_parse_openssl_3(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    assert_success(tls_server_hello_parse(sh_ossl3, sizeof sh_ossl3, &sh));
    assert_int_equal(sh.version, TLS_VERSION_TLS12);
    /* A TLS 1.3 server negotiating 1.2 ends its random with "DOWNGRD\1" (RFC 8446 4.1.3). */
    assert_memory_equal(sh.random + 24, "DOWNGRD\x01", 8);
    assert_int_equal(sh.session_id_len, 32);
    assert_int_equal(sh.cipher_suite, 0xc02f);
    assert_int_equal(sh.extension_count, 1);
    assert_int_equal(sh.extensions[0], TLS_EXT_EC_POINT_FORMATS);
    assert_false(sh.heartbeat);
}

static void test_parse_gnutls(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    assert_success(tls_server_hello_parse(sh_gnutls, sizeof sh_gnutls, &sh));
    assert_int_equal(sh.cipher_suite, 0xc02f);
    assert_int_equal(sh.extension_count, 2);
    assert_int_equal(sh.extensions[0], TLS_EXT_EC_POINT_FORMATS);
    assert_int_equal(sh.extensions[1], TLS_EXT_HEARTBEAT);
    assert_true(sh.heartbeat);
    assert_int_equal(sh.heartbeat_mode, TLS_HEARTBEAT_PEER_ALLOWED);
}

static void test_parse_no_session_id(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    assert_success(tls_server_hello_parse(sh_bare, sizeof sh_bare, &sh));
    assert_int_equal(sh.session_id_len, 0);
    assert_int_equal(sh.cipher_suite, 0xc030);
    assert_true(sh.heartbeat);
}

/* SHORT for every prefix but the one ending at the compression method: a hello without
 * extensions, as SSLv3 servers send. */
static void check_prefixes(const uint8_t *hello, size_t len, size_t comp_end)
{
    for (size_t n = 0; n < len; n++) {
        uint8_t *c = malloc(n ? n : 1);
        assert_non_null(c);
        memcpy(c, hello, n);
        struct tls_server_hello sh;
        hc_result res = tls_server_hello_parse(c, n, &sh);
        if (n == comp_end) {
            assert_success(res);
            assert_int_equal(sh.extension_count, 0);
            assert_false(sh.heartbeat);
        } else {
            assert_error(res, HC_ERR_SHORT);
        }
        free(c);
    }
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    check_prefixes(sh_101f, sizeof sh_101f, COMP_END_SID32);
    check_prefixes(sh_ossl3, sizeof sh_ossl3, COMP_END_SID32);
    check_prefixes(sh_gnutls, sizeof sh_gnutls, COMP_END_SID32);
    check_prefixes(sh_bare, sizeof sh_bare, COMP_END_NO_SID);
}

/* The 1.0.1f hello with one byte changed. */
static hc_result parse_patched(size_t at, uint8_t value, struct tls_server_hello *sh)
{
    uint8_t b[sizeof sh_101f];
    memcpy(b, sh_101f, sizeof b);
    b[at] = value;
    return tls_server_hello_parse(b, sizeof b, sh);
}

static void test_bad_version(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    assert_error(parse_patched(0, 0x02, &sh), HC_ERR_BAD_VERSION);
    assert_error(parse_patched(0, 0x04, &sh), HC_ERR_BAD_VERSION);
    assert_error(parse_patched(1, 0x04, &sh), HC_ERR_BAD_VERSION); /* TLS 1.3 is not ours */
    assert_success(parse_patched(1, 0x00, &sh));
    assert_int_equal(sh.version, TLS_VERSION_SSL3);
    assert_success(parse_patched(1, 0x01, &sh));
    assert_success(parse_patched(1, 0x02, &sh));
}

static void test_bad_session_id(void **state)
{
    (void)state;
    /* A 33-byte session id: the length byte says 33 and one more byte is there. */
    uint8_t b[sizeof sh_101f + 1];
    memcpy(b, sh_101f, 35);
    b[34] = 33;
    memcpy(b + 35, sh_101f + 35, 32);
    b[67] = 0x99;
    memcpy(b + 68, sh_101f + 67, sizeof sh_101f - 67);
    struct tls_server_hello sh;
    assert_error(tls_server_hello_parse(b, sizeof b, &sh), HC_ERR_BAD_SESSION_ID);
    assert_error(parse_patched(34, 0xff, &sh), HC_ERR_SHORT);
}

static void test_bad_compression(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    assert_error(parse_patched(COMP_END_SID32 - 1, 1, &sh), HC_ERR_BAD_COMPRESSION);
    assert_error(parse_patched(COMP_END_SID32 - 1, 0x40, &sh), HC_ERR_BAD_COMPRESSION);
}

static void test_bad_extensions(void **state)
{
    (void)state;
    struct tls_server_hello sh;
    /* The heartbeat mode byte is the last one. */
    assert_error(parse_patched(sizeof sh_101f - 1, 0, &sh), HC_ERR_BAD_EXTENSION);
    assert_error(parse_patched(sizeof sh_101f - 1, 3, &sh), HC_ERR_BAD_EXTENSION);
    assert_success(parse_patched(sizeof sh_101f - 1, 2, &sh));
    assert_int_equal(sh.heartbeat_mode, TLS_HEARTBEAT_PEER_NOT_ALLOWED);
    /* Block length one too long / one too short. */
    assert_error(parse_patched(COMP_END_SID32 + 1, 6, &sh), HC_ERR_SHORT);
    assert_error(parse_patched(COMP_END_SID32 + 1, 4, &sh), HC_ERR_SHORT);

    /* Two heartbeat extensions. */
    uint8_t b[COMP_END_SID32 + 2 + 10];
    memcpy(b, sh_101f, COMP_END_SID32);
    static const uint8_t dup[] = {0x00, 0x0a, 0x00, 0x0f, 0x00, 0x01,
                                  0x01, 0x00, 0x0f, 0x00, 0x01, 0x01};
    memcpy(b + COMP_END_SID32, dup, sizeof dup);
    assert_error(tls_server_hello_parse(b, sizeof b, &sh), HC_ERR_DUPLICATE_EXTENSION);
    /* A heartbeat extension two bytes long. */
    static const uint8_t two[] = {0x00, 0x06, 0x00, 0x0f, 0x00, 0x02, 0x01, 0x01};
    memcpy(b + COMP_END_SID32, two, sizeof two);
    assert_error(tls_server_hello_parse(b, COMP_END_SID32 + sizeof two, &sh), HC_ERR_BAD_EXTENSION);
}

static void test_trailing(void **state)
{
    (void)state;
    uint8_t b[sizeof sh_101f + 1];
    memcpy(b, sh_101f, sizeof sh_101f);
    b[sizeof sh_101f] = 0;
    struct tls_server_hello sh;
    assert_error(tls_server_hello_parse(b, sizeof b, &sh), HC_ERR_TRAILING);
}

static void test_output_untouched_on_error(void **state)
{
    (void)state;
    struct tls_server_hello sh, before;
    memset(&sh, 0x5a, sizeof sh);
    before = sh;
    assert_error(parse_patched(sizeof sh_101f - 1, 7, &sh), HC_ERR_BAD_EXTENSION);
    assert_memory_equal(&sh, &before, sizeof sh);
}

/* The builder reproduces the real hellos byte for byte from their fields. */
static void check_write_matches(const uint8_t *real, size_t len)
{
    struct tls_server_hello parsed;
    assert_success(tls_server_hello_parse(real, len, &parsed));
    struct tls_server_hello_params p = {
        .version = parsed.version,
        .cipher_suite = parsed.cipher_suite,
        .session_id_len = parsed.session_id_len,
        .heartbeat = parsed.heartbeat,
    };
    memcpy(p.random, parsed.random, TLS_RANDOM_LEN);
    memcpy(p.session_id, parsed.session_id, parsed.session_id_len);
    uint8_t buf[128];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    tls_server_hello_write(&w, &p);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, 4 + len);
    assert_int_equal(buf[0], TLS_HS_SERVER_HELLO);
    assert_int_equal(buf[1], 0);
    assert_int_equal(buf[2], 0);
    assert_int_equal(buf[3], len);
    assert_memory_equal(buf + 4, real, len);
}

static void test_write_matches_real(void **state)
{
    (void)state;
    check_write_matches(sh_101f, sizeof sh_101f);
    check_write_matches(sh_bare, sizeof sh_bare);
}

static void test_write_without_heartbeat(void **state)
{
    (void)state;
    struct tls_server_hello_params p = {.version = TLS_VERSION_TLS10, .cipher_suite = 0x002f};
    uint8_t buf[128];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    tls_server_hello_write(&w, &p);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, 4 + COMP_END_NO_SID);
    struct tls_server_hello sh;
    assert_success(tls_server_hello_parse(buf + 4, w.len - 4, &sh));
    assert_int_equal(sh.version, TLS_VERSION_TLS10);
    assert_int_equal(sh.extension_count, 0);
    assert_false(sh.heartbeat);

    for (size_t cap = 0; cap < 4 + COMP_END_NO_SID; cap++) {
        w = wire_writer_init(buf, cap);
        tls_server_hello_write(&w, &p);
        assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
    }
}

/* renegotiation_info (RFC 5746 3.6: empty renegotiated_connection) before the heartbeat. */
static void test_write_renegotiation_info(void **state)
{
    (void)state;
    struct tls_server_hello_params p = {.version = TLS_VERSION_TLS12,
                                        .cipher_suite = 0x009c,
                                        .heartbeat = true,
                                        .renegotiation_info = true};
    uint8_t buf[128];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    tls_server_hello_write(&w, &p);
    assert_success(wire_writer_result(&w));
    static const uint8_t exts[] = {0x00, 0x0a, 0xff, 0x01, 0x00, 0x01,
                                   0x00, 0x00, 0x0f, 0x00, 0x01, 0x01};
    assert_int_equal(w.len, 4 + COMP_END_NO_SID + sizeof exts);
    assert_memory_equal(buf + 4 + COMP_END_NO_SID, exts, sizeof exts);
    struct tls_server_hello sh;
    assert_success(tls_server_hello_parse(buf + 4, w.len - 4, &sh));
    assert_int_equal(sh.extension_count, 2);
    assert_true(sh.heartbeat);
}

static void test_write_server_hello_done(void **state)
{
    (void)state;
    uint8_t buf[8];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    tls_server_hello_done_write(&w);
    assert_success(wire_writer_result(&w));
    static const uint8_t done[] = {TLS_HS_SERVER_HELLO_DONE, 0, 0, 0};
    assert_int_equal(w.len, sizeof done);
    assert_memory_equal(buf, done, sizeof done);
    assert_success(tls_server_hello_done_parse(buf + 4, 0));
    w = wire_writer_init(buf, 3);
    tls_server_hello_done_write(&w);
    assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_openssl_101f),
        cmocka_unit_test(test_parse_openssl_3),
        cmocka_unit_test(test_parse_gnutls),
        cmocka_unit_test(test_parse_no_session_id),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_bad_session_id),
        cmocka_unit_test(test_bad_compression),
        cmocka_unit_test(test_bad_extensions),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_output_untouched_on_error),
        cmocka_unit_test(test_write_matches_real),
        cmocka_unit_test(test_write_without_heartbeat),
        cmocka_unit_test(test_write_renegotiation_info),
        cmocka_unit_test(test_write_server_hello_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
