/* ClientHello: the builder's bytes round-trip through the parser; real hellos parse. */
#include "unit.h"

#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

/* OpenSSL 1.0.1f s_client's ClientHello body (openssl-1.0.1f-client_tls12_zero-leak-probe.pcap,
 * frame 4, after the record and handshake headers): 81 suites, heartbeat mode 1. */
static const uint8_t ch_ossl_client[] = {
    0x03, 0x03, 0x4b, 0xc0, 0x88, 0x97, 0xc7, 0x2f, 0x0a, 0xf5, 0x23, 0xc0, 0xda, 0x28, 0x11, 0x97,
    0xb0, 0x25, 0x20, 0x01, 0xa8, 0xe9, 0x64, 0x9a, 0x16, 0x5d, 0x53, 0x17, 0xc0, 0xd8, 0x08, 0x17,
    0x20, 0xf7, 0x00, 0x00, 0xa2, 0xc0, 0x30, 0xc0, 0x2c, 0xc0, 0x28, 0xc0, 0x24, 0xc0, 0x14, 0xc0,
    0x0a, 0xc0, 0x22, 0xc0, 0x21, 0x00, 0xa3, 0x00, 0x9f, 0x00, 0x6b, 0x00, 0x6a, 0x00, 0x39, 0x00,
    0x38, 0x00, 0x88, 0x00, 0x87, 0xc0, 0x32, 0xc0, 0x2e, 0xc0, 0x2a, 0xc0, 0x26, 0xc0, 0x0f, 0xc0,
    0x05, 0x00, 0x9d, 0x00, 0x3d, 0x00, 0x35, 0x00, 0x84, 0xc0, 0x12, 0xc0, 0x08, 0xc0, 0x1c, 0xc0,
    0x1b, 0x00, 0x16, 0x00, 0x13, 0xc0, 0x0d, 0xc0, 0x03, 0x00, 0x0a, 0xc0, 0x2f, 0xc0, 0x2b, 0xc0,
    0x27, 0xc0, 0x23, 0xc0, 0x13, 0xc0, 0x09, 0xc0, 0x1f, 0xc0, 0x1e, 0x00, 0xa2, 0x00, 0x9e, 0x00,
    0x67, 0x00, 0x40, 0x00, 0x33, 0x00, 0x32, 0xe0, 0x11, 0x00, 0x9a, 0x00, 0x99, 0x00, 0x45, 0x00,
    0x44, 0xc0, 0x31, 0xc0, 0x2d, 0xc0, 0x29, 0xc0, 0x25, 0xc0, 0x0e, 0xc0, 0x04, 0x00, 0x9c, 0x00,
    0x3c, 0x00, 0x2f, 0x00, 0x96, 0x00, 0x41, 0x00, 0x07, 0xc0, 0x11, 0xc0, 0x07, 0xc0, 0x0c, 0xc0,
    0x02, 0x00, 0x05, 0x00, 0x04, 0x00, 0x15, 0x00, 0x12, 0x00, 0x09, 0x00, 0x14, 0x00, 0x11, 0x00,
    0x08, 0x00, 0x06, 0x00, 0x03, 0x00, 0xff, 0x01, 0x00, 0x00, 0x71, 0x00, 0x0b, 0x00, 0x04, 0x03,
    0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x36, 0x00, 0x34, 0x00, 0x0e, 0x00, 0x0d, 0x00, 0x19, 0x00,
    0x0b, 0x00, 0x0c, 0x00, 0x18, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x1a, 0x00, 0x16, 0x00, 0x17, 0x00,
    0x08, 0x00, 0x06, 0x00, 0x07, 0x00, 0x14, 0x00, 0x15, 0x00, 0x04, 0x00, 0x05, 0x00, 0x12, 0x00,
    0x13, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x0f, 0x00, 0x10, 0x00, 0x11, 0x00, 0x23, 0x00,
    0x00, 0x00, 0x0d, 0x00, 0x22, 0x00, 0x20, 0x06, 0x01, 0x06, 0x02, 0x06, 0x03, 0x05, 0x01, 0x05,
    0x02, 0x05, 0x03, 0x04, 0x01, 0x04, 0x02, 0x04, 0x03, 0x03, 0x01, 0x03, 0x02, 0x03, 0x03, 0x02,
    0x01, 0x02, 0x02, 0x02, 0x03, 0x07, 0x07, 0x00, 0x0f, 0x00, 0x01, 0x01,
};
enum { CH_OSSL_COMP_END = 201 }; /* where its compression methods end */

/* nmap ssl-heartbleed's second ClientHello body (openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap,
 * frame 17): TLS 1.0, 397 cipher suites, more than TLS_MAX_CLIENT_CIPHERS. */
static const uint8_t ch_nmap_many_ciphers[] = {
    0x03, 0x01, 0x6b, 0x01, 0x91, 0x79, 0x41, 0x9e, 0x92, 0x89, 0xbb, 0xeb, 0x47, 0xda, 0x4b, 0xf1,
    0xfb, 0xe5, 0x92, 0x5d, 0xd3, 0xe1, 0x54, 0xd6, 0xc4, 0xc7, 0x03, 0x35, 0x74, 0x8e, 0xc7, 0xe3,
    0x80, 0x18, 0x00, 0x03, 0x1a, 0x00, 0x8f, 0x00, 0x7d, 0x00, 0x95, 0xc0, 0x61, 0x00, 0x80, 0x00,
    0x1a, 0x00, 0x77, 0x00, 0x29, 0x00, 0x61, 0x00, 0xb9, 0x00, 0x15, 0x00, 0x69, 0xc0, 0x75, 0x13,
    0x05, 0xc0, 0xae, 0x00, 0xa4, 0x00, 0x85, 0xc0, 0x7b, 0x00, 0x27, 0x00, 0xa8, 0x00, 0x4b, 0xcc,
    0xa9, 0xc0, 0x04, 0x00, 0x82, 0x00, 0x1c, 0x00, 0x1d, 0x00, 0xb2, 0x00, 0x2a, 0xfe, 0xfe, 0x00,
    0x65, 0x00, 0xb4, 0x00, 0x0f, 0x00, 0x45, 0x00, 0x07, 0xc0, 0x0a, 0x00, 0x3b, 0x00, 0x12, 0xcc,
    0xac, 0xc0, 0xa0, 0x00, 0x2e, 0x00, 0x9c, 0x00, 0x66, 0xc0, 0x39, 0xc0, 0x99, 0xc1, 0x06, 0x00,
    0x89, 0x00, 0x40, 0xc0, 0x24, 0x00, 0x14, 0x00, 0x4f, 0xc0, 0xa5, 0x00, 0x86, 0x00, 0x48, 0x00,
    0x51, 0x00, 0x6d, 0x00, 0x98, 0x00, 0xa9, 0x00, 0x0b, 0x00, 0x43, 0xc0, 0x2c, 0xc0, 0xb5, 0xc0,
    0x3b, 0x00, 0xc7, 0x00, 0x25, 0x00, 0x56, 0xc0, 0x89, 0xc0, 0x46, 0x00, 0x23, 0x00, 0x87, 0x00,
    0x3c, 0x00, 0x11, 0x00, 0x0c, 0xc0, 0x73, 0xc0, 0xa8, 0x00, 0x06, 0xd0, 0x02, 0x00, 0x6b, 0xc0,
    0x30, 0x00, 0x4e, 0xc0, 0x88, 0xc0, 0x74, 0xc0, 0xa1, 0x00, 0x7c, 0xc0, 0x01, 0x00, 0x00, 0x00,
    0x26, 0xc0, 0x0b, 0x00, 0x13, 0x00, 0x16, 0x00, 0x62, 0x00, 0x9a, 0x00, 0x84, 0xc0, 0x08, 0xc0,
    0x62, 0xc0, 0x4a, 0x00, 0x3e, 0xc0, 0x86, 0x00, 0xa0, 0x00, 0x17, 0x00, 0xaa, 0x00, 0x0a, 0xc0,
    0x69, 0xc0, 0x0c, 0xc0, 0x7c, 0xc0, 0x1a, 0xc0, 0x3f, 0x00, 0x3d, 0x00, 0x5c, 0x00, 0x44, 0x00,
    0x9e, 0xc0, 0x25, 0x00, 0x05, 0x00, 0xab, 0x00, 0xac, 0x00, 0x55, 0xc0, 0x48, 0xc0, 0x33, 0x00,
    0x18, 0x00, 0xc6, 0x00, 0x99, 0x13, 0x04, 0x00, 0x8c, 0xc0, 0x4e, 0x00, 0x3a, 0x13, 0x02, 0x13,
    0x01, 0xc0, 0xad, 0x00, 0x28, 0xfe, 0xff, 0xd0, 0x05, 0xc0, 0x98, 0xc0, 0x7d, 0xcc, 0xae, 0xc0,
    0x0e, 0x00, 0x0e, 0x00, 0xbc, 0xc0, 0x92, 0x00, 0x63, 0xc0, 0x93, 0x00, 0xc0, 0x00, 0xa5, 0xc0,
    0x3d, 0xcc, 0xa8, 0xcc, 0x15, 0xcc, 0x14, 0xcc, 0x13, 0xc1, 0x05, 0xc0, 0x83, 0x00, 0x46, 0xc0,
    0x14, 0xc0, 0x4f, 0xc0, 0x42, 0xc0, 0x52, 0xc1, 0x03, 0x00, 0x04, 0xc0, 0x9f, 0xc0, 0x4b, 0xc0,
    0x26, 0xc1, 0x01, 0xc1, 0x00, 0x00, 0x92, 0x00, 0x47, 0xc0, 0xb3, 0xc0, 0x0d, 0x00, 0xaf, 0xc0,
    0xb2, 0x00, 0x6a, 0xc0, 0x12, 0x00, 0x1b, 0xc0, 0x72, 0xc0, 0xb0, 0xc0, 0xaf, 0x00, 0x32, 0xc0,
    0xac, 0x00, 0x4d, 0xc0, 0xab, 0xc0, 0x3a, 0xc0, 0x2d, 0xc0, 0xa9, 0xc0, 0xa7, 0xc0, 0x91, 0xc0,
    0x9d, 0xc0, 0xa4, 0xc0, 0x0f, 0x00, 0x1f, 0x00, 0xa6, 0xc0, 0x28, 0xc0, 0xb4, 0x00, 0x94, 0xc0,
    0x45, 0xc0, 0x1d, 0xc0, 0x2a, 0xc0, 0x5a, 0x00, 0x31, 0xc0, 0x9b, 0x00, 0xc5, 0xc0, 0x05, 0x00,
    0x74, 0xc0, 0x9a, 0x00, 0x8b, 0xd0, 0x03, 0xc0, 0x5e, 0xc0, 0x96, 0x00, 0x2d, 0xc0, 0x94, 0x00,
    0x67, 0xc0, 0xa6, 0x00, 0xa1, 0x00, 0x4a, 0xc0, 0x90, 0xc0, 0x8f, 0xc0, 0x8e, 0xc0, 0x8d, 0x00,
    0x53, 0x00, 0x08, 0xc0, 0x8c, 0xc0, 0x47, 0xc0, 0x8b, 0xc0, 0x17, 0xcc, 0xaa, 0xc0, 0x85, 0x00,
    0x1e, 0x00, 0x21, 0x00, 0x88, 0xc1, 0x04, 0xc0, 0x82, 0xc0, 0x81, 0xc0, 0x80, 0x00, 0x03, 0xc0,
    0x3e, 0xc0, 0x7e, 0xc0, 0x18, 0xd0, 0x01, 0xc0, 0x7a, 0xc0, 0x76, 0x00, 0xba, 0xc0, 0x1e, 0xc0,
    0x78, 0xc0, 0x63, 0x00, 0x81, 0x00, 0x10, 0x00, 0x2c, 0xc0, 0x79, 0xc0, 0xb1, 0x00, 0x42, 0x00,
    0x37, 0x00, 0x9d, 0xc0, 0x09, 0x00, 0x34, 0xc0, 0x71, 0xc0, 0x1c, 0xc0, 0x70, 0xc0, 0x6f, 0x00,
    0x68, 0xc0, 0x5f, 0xc0, 0x6d, 0xc0, 0x19, 0xc0, 0x6c, 0xc0, 0x6b, 0xc0, 0x6a, 0xc0, 0x49, 0xc0,
    0x67, 0x00, 0x2b, 0xc0, 0x66, 0x00, 0x09, 0xc0, 0x65, 0xc0, 0x64, 0x00, 0xc2, 0x00, 0x52, 0xc0,
    0x6e, 0xc0, 0x97, 0xc0, 0x5d, 0xc0, 0x5c, 0xc0, 0x5b, 0x00, 0x64, 0xc0, 0x59, 0xc0, 0x58, 0xc0,
    0x57, 0xc0, 0x56, 0x00, 0x59, 0xc0, 0x55, 0xc0, 0x54, 0x00, 0x57, 0xc0, 0x40, 0xcc, 0xad, 0xc0,
    0x95, 0x13, 0x03, 0x00, 0xbb, 0x00, 0xb1, 0xc0, 0x4d, 0xc0, 0x29, 0xcc, 0xab, 0xc1, 0x02, 0x00,
    0x6c, 0xc0, 0x68, 0x00, 0x02, 0xc0, 0x9c, 0xc0, 0x37, 0xc0, 0x44, 0x00, 0x19, 0x00, 0x60, 0x00,
    0x20, 0xc0, 0x43, 0xc0, 0x41, 0xc0, 0x53, 0xc0, 0x7f, 0xc0, 0x3c, 0xc0, 0x38, 0xc0, 0x36, 0x00,
    0x4c, 0x00, 0xae, 0xc0, 0x35, 0xc0, 0x34, 0x00, 0xc3, 0x00, 0x9b, 0xc0, 0x07, 0xc0, 0x32, 0x00,
    0xb6, 0xc0, 0x31, 0xc0, 0x2f, 0x00, 0x22, 0xc0, 0x2e, 0xc0, 0xaa, 0x00, 0x30, 0x00, 0x38, 0xc0,
    0x2b, 0x00, 0xbe, 0xc0, 0x23, 0x00, 0xb3, 0xc0, 0x22, 0x00, 0x01, 0x00, 0xc4, 0xc0, 0x20, 0xc0,
    0x1f, 0xc0, 0x1b, 0x00, 0x36, 0xc0, 0x13, 0xc0, 0x8a, 0xc0, 0x16, 0xc0, 0x15, 0x00, 0xbf, 0xc0,
    0x27, 0x00, 0xa7, 0xc0, 0x10, 0x00, 0xad, 0xc0, 0xa3, 0x00, 0x8e, 0xc0, 0x4c, 0xc0, 0x03, 0xc0,
    0x02, 0xc0, 0x21, 0xc0, 0x60, 0x00, 0xc1, 0xc0, 0x06, 0xc0, 0x11, 0x00, 0xbd, 0xc0, 0x51, 0x00,
    0xb8, 0x00, 0xb7, 0x00, 0xb5, 0x00, 0xb0, 0xc0, 0x87, 0x00, 0xa3, 0x00, 0xa2, 0x00, 0x9f, 0x00,
    0x97, 0x00, 0x96, 0x00, 0x3f, 0xc0, 0x9e, 0x00, 0x93, 0xc0, 0xa2, 0x00, 0x91, 0x00, 0x90, 0x00,
    0x8d, 0x00, 0x41, 0x00, 0x72, 0x00, 0x8a, 0xc0, 0x84, 0x00, 0x83, 0x00, 0x39, 0x00, 0x79, 0x00,
    0x78, 0x00, 0x73, 0x00, 0x5b, 0x00, 0x54, 0x00, 0x5a, 0x00, 0x58, 0x00, 0x50, 0x00, 0x49, 0x00,
    0x7e, 0x00, 0x33, 0x00, 0x35, 0x00, 0x2f, 0xc0, 0x50, 0xc0, 0x77, 0x00, 0x24, 0x00, 0x0d, 0x01,
    0x00, 0x00, 0x15, 0x00, 0x0a, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19, 0x00,
    0x1d, 0x01, 0x00, 0x00, 0x0f, 0x00, 0x01, 0x01,
};
enum { CH_NMAP_COMP_END = 833 };

enum { SCSV = 0x00ff, F5_LOW = 251, F5_HIGH = 511 };

struct built {
    uint8_t buf[1024];
    size_t len;
    struct tls_record_header rec;
    const uint8_t *body; /* ClientHello body */
    size_t body_len;
};

/* Writes a hello and checks its record and handshake framing. */
static hc_result build(struct built *b, const struct tls_client_hello_params *p)
{
    struct wire_writer w = wire_writer_init(b->buf, sizeof b->buf);
    hc_result res = tls_client_hello_write(&w, p);
    b->len = w.len;
    if (!hc_ok(res))
        return res;
    struct wire_reader r = wire_reader_init(b->buf, b->len), body;
    assert_success(tls_record_next(&r, &b->rec, &body));
    assert_int_equal(wire_remaining(&r), 0);
    assert_int_equal(b->rec.type, TLS_CT_HANDSHAKE);
    uint8_t type;
    uint32_t len;
    assert_success(wire_read_u8(&body, &type));
    assert_int_equal(type, TLS_HS_CLIENT_HELLO);
    assert_success(wire_read_u24(&body, &len));
    assert_int_equal(len, wire_remaining(&body));
    b->body = wire_peek(&body);
    b->body_len = len;
    return res;
}

static struct tls_client_hello_params params(const char *sni)
{
    struct tls_client_hello_params p = {
        .version = TLS_VERSION_TLS12,
        .record_version = TLS_VERSION_TLS10,
        .server_name = sni,
        .with_extensions = true,
    };
    for (size_t i = 0; i < TLS_RANDOM_LEN; i++)
        p.random[i] = (uint8_t)(0xa0 + i);
    return p;
}

static void assert_offers_every_suite(const struct tls_client_hello *ch)
{
    assert_int_equal(ch->cipher_count, tls_cipher_suite_count + 1);
    for (size_t i = 0; i < tls_cipher_suite_count; i++)
        assert_int_equal(ch->ciphers[i], tls_cipher_suites[i].id);
    assert_int_equal(ch->ciphers[tls_cipher_suite_count], SCSV);
    assert_true(ch->null_compression);
    assert_int_equal(ch->session_id_len, 0);
}

static bool has_extension(const struct tls_client_hello *ch, uint16_t type)
{
    for (size_t i = 0; i < ch->extension_count; i++)
        if (ch->extensions[i] == type)
            return true;
    return false;
}

static void test_round_trip(void **state)
{
    (void)state;
    static struct built b;
    struct tls_client_hello_params p = params("example.com");
    assert_success(build(&b, &p));
    assert_int_equal(b.rec.version, TLS_VERSION_TLS10);
    struct tls_client_hello ch;
    assert_success(tls_client_hello_parse(b.body, b.body_len, &ch));
    assert_int_equal(ch.version, TLS_VERSION_TLS12);
    assert_memory_equal(ch.random, p.random, TLS_RANDOM_LEN);
    assert_offers_every_suite(&ch);
    assert_string_equal(ch.server_name, "example.com");
    assert_true(ch.heartbeat);
    assert_int_equal(ch.heartbeat_mode, TLS_HEARTBEAT_PEER_ALLOWED);
    static const uint16_t order[] = {TLS_EXT_SERVER_NAME, TLS_EXT_HEARTBEAT,
                                     TLS_EXT_SUPPORTED_GROUPS, TLS_EXT_EC_POINT_FORMATS,
                                     TLS_EXT_SIGNATURE_ALGORITHMS};
    assert_int_equal(ch.extension_count, HC_ARRAY_LEN(order));
    for (size_t i = 0; i < HC_ARRAY_LEN(order); i++)
        assert_int_equal(ch.extensions[i], order[i]);
}

/* Some load balancers hang on hellos of 256..511 bytes: no SNI length may produce one. */
static void test_no_length_in_f5_range(void **state)
{
    (void)state;
    static struct built b;
    char name[256];
    size_t padded = 0;
    for (size_t n = 0; n <= 255; n++) {
        memset(name, 'a' + (int)(n % 26), n);
        name[n] = '\0';
        for (int ext = 0; ext <= 1; ext++) {
            struct tls_client_hello_params p = params(name);
            p.with_extensions = ext;
            assert_success(build(&b, &p));
            assert_int_equal(b.len, TLS_RECORD_HEADER_LEN + b.rec.length);
            assert_int_equal(b.rec.length, b.body_len + TLS_HANDSHAKE_HEADER_LEN);
            assert_true(b.rec.length < F5_LOW || b.rec.length > F5_HIGH);
            struct tls_client_hello ch;
            assert_success(tls_client_hello_parse(b.body, b.body_len, &ch));
            assert_offers_every_suite(&ch);
            assert_string_equal(ch.server_name, ext ? name : "");
            assert_int_equal(ch.heartbeat, ext);
            if (has_extension(&ch, TLS_EXT_PADDING)) {
                /* Padding, when there, is the last extension and lands on 512. */
                assert_int_equal(ch.extensions[ch.extension_count - 1], TLS_EXT_PADDING);
                assert_int_equal(b.rec.length, 512);
                padded++;
            }
        }
    }
    assert_true(padded > 0); /* long names did reach the range */
}

static void test_without_server_name(void **state)
{
    (void)state;
    static struct built b;
    const char *names[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        struct tls_client_hello_params p = params(names[i]);
        assert_success(build(&b, &p));
        struct tls_client_hello ch;
        assert_success(tls_client_hello_parse(b.body, b.body_len, &ch));
        assert_false(has_extension(&ch, TLS_EXT_SERVER_NAME));
        assert_string_equal(ch.server_name, "");
        assert_true(ch.heartbeat);
    }
}

static void test_server_name_too_long(void **state)
{
    (void)state;
    static struct built b;
    char name[257];
    memset(name, 'x', 256);
    name[256] = '\0';
    struct tls_client_hello_params p = params(name);
    assert_error(build(&b, &p), HC_ERR_USAGE);
    assert_int_equal(b.len, 0);
}

static void test_ssl3_bare_hello(void **state)
{
    (void)state;
    static struct built b;
    struct tls_client_hello_params p = params("ignored.example");
    p.version = TLS_VERSION_SSL3;
    p.record_version = TLS_VERSION_SSL3;
    p.with_extensions = false;
    assert_success(build(&b, &p));
    assert_int_equal(b.rec.version, TLS_VERSION_SSL3);
    /* version, random, empty session id, suites + SCSV, one compression method: no more. */
    assert_int_equal(b.body_len, 2 + 32 + 1 + 2 + 2 * (tls_cipher_suite_count + 1) + 2);
    struct tls_client_hello ch;
    assert_success(tls_client_hello_parse(b.body, b.body_len, &ch));
    assert_int_equal(ch.version, TLS_VERSION_SSL3);
    assert_int_equal(ch.extension_count, 0);
    assert_false(ch.heartbeat);
    assert_string_equal(ch.server_name, "");
    assert_offers_every_suite(&ch);
}

static void test_record_version_as_given(void **state)
{
    (void)state;
    static struct built b;
    for (uint16_t v = TLS_VERSION_SSL3; v <= TLS_VERSION_TLS12; v++) {
        struct tls_client_hello_params p = params("a.example");
        p.record_version = v;
        p.version = (uint16_t)(TLS_VERSION_TLS12 + TLS_VERSION_SSL3 - v);
        assert_success(build(&b, &p));
        assert_int_equal(b.buf[1], v >> 8);
        assert_int_equal(b.buf[2], v & 0xff);
        struct tls_client_hello ch;
        assert_success(tls_client_hello_parse(b.body, b.body_len, &ch));
        assert_int_equal(ch.version, p.version);
    }
}

static void test_write_no_space(void **state)
{
    (void)state;
    static uint8_t buf[1024];
    struct tls_client_hello_params p = params("b.example");
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    assert_success(tls_client_hello_write(&w, &p));
    size_t full = w.len;
    for (size_t cap = 0; cap < full; cap++) {
        w = wire_writer_init(buf, cap);
        assert_error(tls_client_hello_write(&w, &p), HC_ERR_NO_SPACE);
        assert_true(w.len <= cap);
    }
}

static void test_parse_real_openssl_client(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    assert_success(tls_client_hello_parse(ch_ossl_client, sizeof ch_ossl_client, &ch));
    assert_int_equal(ch.version, TLS_VERSION_TLS12);
    assert_memory_equal(ch.random, ch_ossl_client + 2, TLS_RANDOM_LEN);
    assert_int_equal(ch.session_id_len, 0);
    assert_int_equal(ch.cipher_count, 81);
    assert_int_equal(ch.ciphers[0], 0xc030);
    assert_int_equal(ch.ciphers[80], SCSV);
    assert_true(ch.null_compression);
    static const uint16_t exts[] = {11, 10, 35, 13, 15};
    assert_int_equal(ch.extension_count, HC_ARRAY_LEN(exts));
    for (size_t i = 0; i < HC_ARRAY_LEN(exts); i++)
        assert_int_equal(ch.extensions[i], exts[i]);
    assert_true(ch.heartbeat);
    assert_int_equal(ch.heartbeat_mode, TLS_HEARTBEAT_PEER_ALLOWED);
    assert_string_equal(ch.server_name, "");
    /* Kept for JA3: 26 groups (sect571r1 first), point formats 0-1-2; the SCSV asks for
     * secure renegotiation; no supported_versions. */
    assert_int_equal(ch.group_count, 26);
    assert_int_equal(ch.groups[0], 14);
    assert_int_equal(ch.groups[25], 17);
    assert_int_equal(ch.point_format_count, 3);
    assert_int_equal(ch.point_formats[2], 2);
    assert_true(ch.renegotiation_info);
    assert_int_equal(ch.version_count, 0);
}

/* A body with one extension after the suites, as the test gives it. */
static size_t hello_with_extension(uint16_t type, const uint8_t *ext, size_t ext_len, uint8_t *out,
                                   size_t cap)
{
    struct wire_writer w = wire_writer_init(out, cap);
    wire_write_u16(&w, TLS_VERSION_TLS12);
    wire_write_fill(&w, 7, TLS_RANDOM_LEN);
    wire_write_u8(&w, 0);
    wire_write_u16(&w, 2);
    wire_write_u16(&w, 0x002f);
    wire_write_u8(&w, 1);
    wire_write_u8(&w, 0);
    struct wire_mark exts = wire_open(&w, 2);
    wire_write_u16(&w, type);
    struct wire_mark e = wire_open(&w, 2);
    wire_write_bytes(&w, ext, ext_len);
    wire_close(&w, e);
    wire_close(&w, exts);
    assert_success(wire_writer_result(&w));
    return w.len;
}

static void test_versions_groups_formats(void **state)
{
    (void)state;
    uint8_t body[256];
    struct tls_client_hello ch;
    static const uint8_t versions[] = {6, 0x0a, 0x0a, 0x03, 0x04, 0x03, 0x03};
    size_t n = hello_with_extension(TLS_EXT_SUPPORTED_VERSIONS, versions, sizeof versions, body,
                                    sizeof body);
    assert_success(tls_client_hello_parse(body, n, &ch));
    assert_int_equal(ch.version_count, 3);
    assert_int_equal(ch.versions[1], 0x0304);
    assert_int_equal(ch.versions[2], TLS_VERSION_TLS12);
    static const uint8_t ri[] = {0};
    n = hello_with_extension(TLS_EXT_RENEGOTIATION_INFO, ri, sizeof ri, body, sizeof body);
    assert_success(tls_client_hello_parse(body, n, &ch));
    assert_true(ch.renegotiation_info);
    static const uint8_t bad[][4] = {
        {3, 0x03, 0x04, 0x03}, /* supported_versions: odd length */
        {4, 0x03, 0x04, 0x03}, /* longer than the extension */
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++) {
        n = hello_with_extension(TLS_EXT_SUPPORTED_VERSIONS, bad[i], sizeof bad[i], body,
                                 sizeof body);
        assert_false(hc_ok(tls_client_hello_parse(body, n, &ch)));
    }
    static const uint8_t groups_odd[] = {0, 3, 0, 29, 0};
    n = hello_with_extension(TLS_EXT_SUPPORTED_GROUPS, groups_odd, sizeof groups_odd, body,
                             sizeof body);
    assert_error(tls_client_hello_parse(body, n, &ch), HC_ERR_BAD_EXTENSION);
    static const uint8_t formats_trailing[] = {1, 0, 9};
    n = hello_with_extension(TLS_EXT_EC_POINT_FORMATS, formats_trailing, sizeof formats_trailing,
                             body, sizeof body);
    assert_error(tls_client_hello_parse(body, n, &ch), HC_ERR_TRAILING);
    /* More groups than kept: parsed, the first TLS_MAX_CLIENT_GROUPS kept. */
    uint8_t many[2 + 2 * (TLS_MAX_CLIENT_GROUPS + 5)];
    many[0] = 0;
    many[1] = (uint8_t)(sizeof many - 2);
    for (size_t i = 2; i < sizeof many; i++)
        many[i] = (uint8_t)i;
    n = hello_with_extension(TLS_EXT_SUPPORTED_GROUPS, many, sizeof many, body, sizeof body);
    assert_success(tls_client_hello_parse(body, n, &ch));
    assert_int_equal(ch.group_count, TLS_MAX_CLIENT_GROUPS);
}

static void test_parse_real_many_ciphers(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    assert_success(tls_client_hello_parse(ch_nmap_many_ciphers, sizeof ch_nmap_many_ciphers, &ch));
    assert_int_equal(ch.version, TLS_VERSION_TLS10);
    assert_int_equal(ch.cipher_count, 397); /* counted beyond what is kept */
    assert_int_equal(ch.ciphers[0], 0x008f);
    assert_int_equal(ch.ciphers[TLS_MAX_CLIENT_CIPHERS - 1], 0x0028);
    assert_int_equal(ch.extension_count, 2);
    assert_int_equal(ch.extensions[0], TLS_EXT_SUPPORTED_GROUPS);
    assert_int_equal(ch.extensions[1], TLS_EXT_HEARTBEAT);
    assert_int_equal(ch.heartbeat_mode, TLS_HEARTBEAT_PEER_ALLOWED);
}

/* Every prefix is SHORT, except the one ending right after the compression methods: that is
 * a complete hello without extensions (SSLv3 style). */
static void check_prefixes(const uint8_t *hello, size_t len, size_t comp_end)
{
    for (size_t n = 0; n < len; n++) {
        uint8_t *c = malloc(n ? n : 1);
        assert_non_null(c);
        memcpy(c, hello, n);
        struct tls_client_hello ch;
        hc_result res = tls_client_hello_parse(c, n, &ch);
        if (n == comp_end) {
            assert_success(res);
            assert_int_equal(ch.extension_count, 0);
            assert_false(ch.heartbeat);
        } else {
            assert_error(res, HC_ERR_SHORT);
        }
        free(c);
    }
}

static void test_parse_byte_by_byte(void **state)
{
    (void)state;
    check_prefixes(ch_ossl_client, sizeof ch_ossl_client, CH_OSSL_COMP_END);
    check_prefixes(ch_nmap_many_ciphers, sizeof ch_nmap_many_ciphers, CH_NMAP_COMP_END);
}

/* A hello body from parts; exts NULL leaves out the extension block. */
struct parts {
    uint16_t version;
    uint8_t sid_len;
    const char *suites; /* raw bytes of the suite list */
    size_t suites_len;
    const char *comp;
    size_t comp_len;
    const char *exts; /* raw bytes inside the extension block */
    size_t exts_len;
    const char *tail; /* bytes after the block */
    size_t tail_len;
};

static hc_result parse_parts(const struct parts *pt, struct tls_client_hello *ch)
{
    static uint8_t buf[2048];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_u16(&w, pt->version ? pt->version : TLS_VERSION_TLS12);
    wire_write_fill(&w, 0x11, TLS_RANDOM_LEN);
    wire_write_u8(&w, pt->sid_len);
    wire_write_fill(&w, 0x22, pt->sid_len);
    struct wire_mark m = wire_open(&w, 2);
    if (pt->suites)
        wire_write_bytes(&w, pt->suites, pt->suites_len);
    else
        wire_write_u16(&w, 0x002f);
    wire_close(&w, m);
    m = wire_open(&w, 1);
    if (pt->comp)
        wire_write_bytes(&w, pt->comp, pt->comp_len);
    else
        wire_write_u8(&w, 0);
    wire_close(&w, m);
    if (pt->exts) {
        m = wire_open(&w, 2);
        wire_write_bytes(&w, pt->exts, pt->exts_len);
        wire_close(&w, m);
    }
    if (pt->tail)
        wire_write_bytes(&w, pt->tail, pt->tail_len);
    assert_success(wire_writer_result(&w));
    return tls_client_hello_parse(buf, w.len, ch);
}

#define BYTES(s) s, sizeof s - 1

static void test_malformed(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    assert_success(parse_parts(&(struct parts){0}, &ch));
    assert_error(parse_parts(&(struct parts){.version = 0x0200}, &ch), HC_ERR_BAD_VERSION);
    assert_error(parse_parts(&(struct parts){.version = 0x0403}, &ch), HC_ERR_BAD_VERSION);
    assert_success(parse_parts(&(struct parts){.sid_len = 32}, &ch));
    assert_int_equal(ch.session_id_len, 32);
    assert_int_equal(ch.session_id[31], 0x22);
    assert_error(parse_parts(&(struct parts){.sid_len = 33}, &ch), HC_ERR_BAD_SESSION_ID);
    assert_error(parse_parts(&(struct parts){.suites = "", .suites_len = 0}, &ch),
                 HC_ERR_BAD_CIPHER_LIST);
    assert_error(parse_parts(&(struct parts){.suites = BYTES("\x00\x2f\x00")}, &ch),
                 HC_ERR_BAD_CIPHER_LIST);
    assert_error(parse_parts(&(struct parts){.suites = BYTES("\x00")}, &ch),
                 HC_ERR_BAD_CIPHER_LIST);
    assert_error(parse_parts(&(struct parts){.comp = "", .comp_len = 0}, &ch),
                 HC_ERR_BAD_COMPRESSION);
    assert_error(parse_parts(&(struct parts){.comp = BYTES("\x01")}, &ch), HC_ERR_BAD_COMPRESSION);
    assert_success(parse_parts(&(struct parts){.comp = BYTES("\x01\x00")}, &ch));
    assert_true(ch.null_compression);
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x0f\x00\x01\x01"
                                                           "\x00\x0f\x00\x01\x01")},
                             &ch),
                 HC_ERR_DUPLICATE_EXTENSION);
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x0f\x00\x01\x03")}, &ch),
                 HC_ERR_BAD_EXTENSION);
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x0f\x00\x02\x01\x01")}, &ch),
                 HC_ERR_BAD_EXTENSION);
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x0f\x00\x00")}, &ch),
                 HC_ERR_BAD_EXTENSION);
    /* An extension longer than its block, a block cut inside a type. */
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x0f\x00\x02\x01")}, &ch),
                 HC_ERR_SHORT);
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00")}, &ch), HC_ERR_SHORT);
    assert_error(parse_parts(&(struct parts){.exts = BYTES(""), .tail = BYTES("\x00")}, &ch),
                 HC_ERR_TRAILING);
    /* One byte after the compression methods cannot be an extension block length. */
    assert_error(parse_parts(&(struct parts){.tail = BYTES("\x00")}, &ch), HC_ERR_SHORT);
}

static void test_server_name_forms(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    /* host_name "a.b" */
    assert_success(parse_parts(&(struct parts){.exts = BYTES("\x00\x00\x00\x08\x00\x06\x00\x00\x03"
                                                             "a.b")},
                               &ch));
    assert_string_equal(ch.server_name, "a.b");
    /* Unknown name type first, then a host_name; then two host names, the first wins. */
    assert_success(parse_parts(
        &(struct parts){.exts = BYTES("\x00\x00\x00\x0e\x00\x0c\x01\x00\x03xyz\x00\x00\x03"
                                      "a.b")},
        &ch));
    assert_string_equal(ch.server_name, "a.b");
    assert_success(parse_parts(
        &(struct parts){.exts = BYTES("\x00\x00\x00\x0e\x00\x0c\x00\x00\x03one\x00\x00\x03"
                                      "two")},
        &ch));
    assert_string_equal(ch.server_name, "one");
    /* An empty server_name extension (as a server sends it) is no name, not an error. */
    assert_success(parse_parts(&(struct parts){.exts = BYTES("\x00\x00\x00\x00")}, &ch));
    assert_string_equal(ch.server_name, "");
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x00\x00\x05\x00\x03\x00\x00"
                                                           "\x00")},
                             &ch),
                 HC_ERR_BAD_EXTENSION);
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x00\x00\x08\x00\x06\x00\x00"
                                                           "\x03"
                                                           "a\x00"
                                                           "b")},
                             &ch),
                 HC_ERR_BAD_EXTENSION);
    assert_error(parse_parts(&(struct parts){.exts = BYTES("\x00\x00\x00\x09\x00\x06\x00\x00"
                                                           "\x03"
                                                           "a.b!")},
                             &ch),
                 HC_ERR_TRAILING);
}

/* More extensions than are remembered: all parsed, the first TLS_MAX_EXTENSIONS kept. */
static void test_many_extensions(void **state)
{
    (void)state;
    char exts[40 * 4];
    for (size_t i = 0; i < 40; i++) {
        exts[4 * i] = 0x7f;
        exts[4 * i + 1] = (char)i;
        exts[4 * i + 2] = 0;
        exts[4 * i + 3] = 0;
    }
    struct tls_client_hello ch;
    assert_success(parse_parts(&(struct parts){.exts = exts, .exts_len = sizeof exts}, &ch));
    assert_int_equal(ch.extension_count, TLS_MAX_EXTENSIONS);
    assert_int_equal(ch.extensions[TLS_MAX_EXTENSIONS - 1], 0x7f00 + TLS_MAX_EXTENSIONS - 1);
}

static void test_output_untouched_on_error(void **state)
{
    (void)state;
    struct tls_client_hello ch, before;
    memset(&ch, 0x5a, sizeof ch);
    before = ch;
    assert_error(tls_client_hello_parse(ch_ossl_client, sizeof ch_ossl_client - 1, &ch),
                 HC_ERR_SHORT);
    assert_memory_equal(&ch, &before, sizeof ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_no_length_in_f5_range),
        cmocka_unit_test(test_without_server_name),
        cmocka_unit_test(test_server_name_too_long),
        cmocka_unit_test(test_ssl3_bare_hello),
        cmocka_unit_test(test_record_version_as_given),
        cmocka_unit_test(test_write_no_space),
        cmocka_unit_test(test_parse_real_openssl_client),
        cmocka_unit_test(test_parse_real_many_ciphers),
        cmocka_unit_test(test_versions_groups_formats),
        cmocka_unit_test(test_parse_byte_by_byte),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_server_name_forms),
        cmocka_unit_test(test_many_extensions),
        cmocka_unit_test(test_output_untouched_on_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
