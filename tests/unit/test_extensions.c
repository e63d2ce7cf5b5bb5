/* The extension block shared by both hellos (src/tls/extensions.h). */
#include "unit.h"

#include "tls/extensions.h"

#include <stdlib.h>
#include <string.h>

/* The extension block of OpenSSL 1.0.1f's ServerHello (heartbeat, mode 1) and of GnuTLS 3.7's
 * (ec_point_formats, heartbeat), from shared/vectors. */
static const uint8_t block_101f[] = {0x00, 0x05, 0x00, 0x0f, 0x00, 0x01, 0x01};
static const uint8_t block_gnutls[] = {0x00, 0x0b, 0x00, 0x0b, 0x00, 0x02, 0x01,
                                       0x00, 0x00, 0x0f, 0x00, 0x01, 0x01};

struct seen {
    size_t calls;
    uint16_t types[64];
    size_t lens[64];
    enum hc_error fail_on_call; /* HC_OK: never */
    size_t fail_at;
};

/* Records each call and consumes the body, as a real callback must. */
static hc_result record_ext(void *ctx, uint16_t type, struct wire_reader *body)
{
    struct seen *s = ctx;
    if (s->calls < 64) {
        s->types[s->calls] = type;
        s->lens[s->calls] = wire_remaining(body);
    }
    s->calls++;
    if (s->fail_on_call != HC_OK && s->calls == s->fail_at)
        return HC_RESULT(s->fail_on_call);
    return wire_skip(body, wire_remaining(body));
}

static hc_result parse(const uint8_t *p, size_t n, uint16_t *types, size_t *count, struct seen *s,
                       size_t *left)
{
    struct wire_reader r = wire_reader_init(p, n);
    hc_result res = tls_extensions_parse(&r, types, count, record_ext, s);
    *left = wire_remaining(&r);
    return res;
}

static void test_absent_block(void **state)
{
    (void)state;
    uint16_t types[TLS_MAX_EXTENSIONS];
    size_t count = 99, left;
    struct seen s = {0};
    assert_success(parse(NULL, 0, types, &count, &s, &left));
    assert_int_equal(count, 0);
    assert_int_equal(s.calls, 0);
}

static void test_real_blocks(void **state)
{
    (void)state;
    uint16_t types[TLS_MAX_EXTENSIONS];
    size_t count, left;
    struct seen s = {0};
    assert_success(parse(block_101f, sizeof block_101f, types, &count, &s, &left));
    assert_int_equal(count, 1);
    assert_int_equal(types[0], TLS_EXT_HEARTBEAT);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.lens[0], 1);
    assert_int_equal(left, 0);

    memset(&s, 0, sizeof s);
    assert_success(parse(block_gnutls, sizeof block_gnutls, types, &count, &s, &left));
    assert_int_equal(count, 2);
    assert_int_equal(types[0], TLS_EXT_EC_POINT_FORMATS);
    assert_int_equal(types[1], TLS_EXT_HEARTBEAT);
    assert_int_equal(s.lens[0], 2);
}

/* Prefix 0 is "no block"; every other prefix is SHORT until the block is whole. */
static void test_byte_by_byte(void **state)
{
    (void)state;
    for (size_t n = 1; n < sizeof block_gnutls; n++) {
        uint8_t *c = malloc(n);
        assert_non_null(c);
        memcpy(c, block_gnutls, n);
        uint16_t types[TLS_MAX_EXTENSIONS];
        size_t count, left;
        struct seen s = {0};
        assert_error(parse(c, n, types, &count, &s, &left), HC_ERR_SHORT);
        free(c);
    }
}

/* Bytes after the block are the caller's to judge (the hello parsers say TRAILING). */
static void test_bytes_after_block(void **state)
{
    (void)state;
    uint8_t b[sizeof block_101f + 2];
    memcpy(b, block_101f, sizeof block_101f);
    b[sizeof block_101f] = 0xaa;
    b[sizeof block_101f + 1] = 0xbb;
    uint16_t types[TLS_MAX_EXTENSIONS];
    size_t count, left;
    struct seen s = {0};
    assert_success(parse(b, sizeof b, types, &count, &s, &left));
    assert_int_equal(left, 2);
}

static void test_duplicate(void **state)
{
    (void)state;
    static const uint8_t dup[] = {0x00, 0x08, 0xff, 0x01, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00};
    uint16_t types[TLS_MAX_EXTENSIONS];
    size_t count, left;
    struct seen s = {0};
    assert_error(parse(dup, sizeof dup, types, &count, &s, &left), HC_ERR_DUPLICATE_EXTENSION);
    assert_int_equal(s.calls, 1); /* the second copy is refused before its callback */
}

static void test_malformed_lengths(void **state)
{
    (void)state;
    uint16_t types[TLS_MAX_EXTENSIONS];
    size_t count, left;
    struct seen s = {0};
    /* Block length beyond the data; extension body beyond the block; a lone type byte. */
    static const uint8_t long_block[] = {0x00, 0x06, 0x00, 0x0f, 0x00, 0x01, 0x01};
    static const uint8_t long_ext[] = {0x00, 0x05, 0x00, 0x0f, 0x00, 0x02, 0x01, 0x01};
    static const uint8_t stub[] = {0x00, 0x01, 0x00};
    static const uint8_t stub3[] = {0x00, 0x03, 0x00, 0x0f, 0x00};
    assert_error(parse(long_block, sizeof long_block, types, &count, &s, &left), HC_ERR_SHORT);
    assert_error(parse(long_ext, sizeof long_ext, types, &count, &s, &left), HC_ERR_SHORT);
    assert_error(parse(stub, sizeof stub, types, &count, &s, &left), HC_ERR_SHORT);
    assert_error(parse(stub3, sizeof stub3, types, &count, &s, &left), HC_ERR_SHORT);
    /* An empty block is a valid, empty list. */
    static const uint8_t empty[] = {0x00, 0x00};
    assert_success(parse(empty, sizeof empty, types, &count, &s, &left));
    assert_int_equal(count, 0);
}

static void test_callback_error_propagates(void **state)
{
    (void)state;
    uint16_t types[TLS_MAX_EXTENSIONS];
    size_t count, left;
    struct seen s = {.fail_on_call = HC_ERR_BAD_EXTENSION, .fail_at = 2};
    assert_error(parse(block_gnutls, sizeof block_gnutls, types, &count, &s, &left),
                 HC_ERR_BAD_EXTENSION);
    assert_int_equal(s.calls, 2);
}

/* More than TLS_MAX_EXTENSIONS: all are passed to the callback, the first ones are kept,
 * and a repeat of a kept one is still caught. */
static void test_many(void **state)
{
    (void)state;
    enum { N = 40 };
    uint8_t b[2 + 4 * (N + 1)];
    struct wire_writer w = wire_writer_init(b, sizeof b);
    struct wire_mark m = wire_open(&w, 2);
    for (uint16_t i = 0; i < N; i++) {
        wire_write_u16(&w, (uint16_t)(0x1000 + i));
        wire_write_u16(&w, 0);
    }
    wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    uint16_t types[TLS_MAX_EXTENSIONS + 1];
    types[TLS_MAX_EXTENSIONS] = 0xdead; /* a guard: nothing written past the array */
    size_t count, left;
    struct seen s = {0};
    assert_success(parse(b, w.len, types, &count, &s, &left));
    assert_int_equal(count, TLS_MAX_EXTENSIONS);
    assert_int_equal(s.calls, N);
    assert_int_equal(types[TLS_MAX_EXTENSIONS - 1], 0x1000 + TLS_MAX_EXTENSIONS - 1);
    assert_int_equal(types[TLS_MAX_EXTENSIONS], 0xdead);

    /* Append a repeat of the first type. */
    w = wire_writer_init(b, sizeof b);
    m = wire_open(&w, 2);
    for (uint16_t i = 0; i <= N; i++) {
        wire_write_u16(&w, (uint16_t)(0x1000 + (i == N ? 0 : i)));
        wire_write_u16(&w, 0);
    }
    wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    memset(&s, 0, sizeof s);
    assert_error(parse(b, w.len, types, &count, &s, &left), HC_ERR_DUPLICATE_EXTENSION);
}

static hc_result hb_mode(const uint8_t *p, size_t n, uint8_t *mode)
{
    struct wire_reader r = wire_reader_init(p, n);
    return tls_heartbeat_extension_parse(&r, mode);
}

static void test_heartbeat_extension(void **state)
{
    (void)state;
    uint8_t mode = 0;
    static const uint8_t m1[] = {1}, m2[] = {2}, m0[] = {0}, m3[] = {3}, two[] = {1, 1};
    assert_success(hb_mode(m1, 1, &mode));
    assert_int_equal(mode, TLS_HEARTBEAT_PEER_ALLOWED);
    assert_success(hb_mode(m2, 1, &mode));
    assert_int_equal(mode, TLS_HEARTBEAT_PEER_NOT_ALLOWED);
    mode = 7;
    assert_error(hb_mode(m0, 1, &mode), HC_ERR_BAD_EXTENSION);
    assert_error(hb_mode(m3, 1, &mode), HC_ERR_BAD_EXTENSION);
    assert_error(hb_mode(two, 2, &mode), HC_ERR_BAD_EXTENSION);
    assert_error(hb_mode(NULL, 0, &mode), HC_ERR_BAD_EXTENSION);
    assert_int_equal(mode, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent_block),
        cmocka_unit_test(test_real_blocks),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_bytes_after_block),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_malformed_lengths),
        cmocka_unit_test(test_callback_error_propagates),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_heartbeat_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
