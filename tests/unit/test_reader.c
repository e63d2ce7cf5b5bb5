/* wire reader: every read is bounds-checked and a failed read consumes nothing. */
#include "unit.h"

#include "wire/wire.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_init(void **state)
{
    (void)state;
    struct wire_reader r = wire_reader_init(bytes, sizeof bytes);
    assert_int_equal(wire_remaining(&r), 9);
    assert_ptr_equal(wire_peek(&r), bytes);
    /* No data means no length, whatever the caller claims. */
    struct wire_reader n = wire_reader_init(NULL, 5);
    assert_int_equal(wire_remaining(&n), 0);
    assert_null(wire_peek(&n));
    uint8_t v;
    assert_error(wire_read_u8(&n, &v), HC_ERR_SHORT);
    assert_success(wire_reader_end(&n));
}

static void test_read_integers_big_endian(void **state)
{
    (void)state;
    struct wire_reader r = wire_reader_init(bytes, sizeof bytes);
    uint8_t u8;
    uint16_t u16;
    uint32_t u24, u32;
    assert_success(wire_read_u8(&r, &u8));
    assert_int_equal(u8, 0x01);
    assert_success(wire_read_u16(&r, &u16));
    assert_int_equal(u16, 0x0203);
    assert_success(wire_read_u24(&r, &u24));
    assert_int_equal(u24, 0x040506);
    assert_error(wire_read_u32(&r, &u32), HC_ERR_SHORT);
    assert_int_equal(wire_remaining(&r), 3);
    assert_success(wire_read_u24(&r, &u24));
    assert_int_equal(u24, 0x070809);
    assert_success(wire_reader_end(&r));

    struct wire_reader r4 = wire_reader_init(bytes + 5, 4);
    assert_success(wire_read_u32(&r4, &u32));
    assert_int_equal(u32, 0x06070809);
    const uint8_t high[] = {0xff, 0xfe, 0xfd, 0xfc};
    r4 = wire_reader_init(high, 4);
    assert_success(wire_read_u32(&r4, &u32));
    assert_int_equal(u32, 0xfffefdfcu);
}

/* For each width, every shorter input is SHORT and leaves the cursor where it was. */
static void test_short_reads_consume_nothing(void **state)
{
    (void)state;
    for (unsigned width = 1; width <= 4; width++) {
        for (size_t have = 0; have < width; have++) {
            struct wire_reader r = wire_reader_init(bytes, have);
            uint8_t u8;
            uint16_t u16;
            uint32_t u32;
            hc_result res = width == 1   ? wire_read_u8(&r, &u8)
                            : width == 2 ? wire_read_u16(&r, &u16)
                            : width == 3 ? wire_read_u24(&r, &u32)
                                         : wire_read_u32(&r, &u32);
            assert_error(res, HC_ERR_SHORT);
            assert_int_equal(r.pos, 0);
        }
    }
}

static void test_read_bytes_copy_skip(void **state)
{
    (void)state;
    struct wire_reader r = wire_reader_init(bytes, sizeof bytes);
    const uint8_t *p;
    assert_success(wire_read_bytes(&r, 2, &p));
    assert_ptr_equal(p, bytes);
    uint8_t out[4] = {0};
    assert_success(wire_copy_bytes(&r, out, 3));
    assert_memory_equal(out, bytes + 2, 3);
    assert_int_equal(out[3], 0);
    assert_success(wire_skip(&r, 1));
    assert_int_equal(*wire_peek(&r), 0x07);
    assert_int_equal(wire_remaining(&r), 3);
    assert_error(wire_read_bytes(&r, 4, &p), HC_ERR_SHORT);
    assert_error(wire_copy_bytes(&r, out, 4), HC_ERR_SHORT);
    assert_error(wire_skip(&r, 4), HC_ERR_SHORT);
    assert_error(wire_skip(&r, SIZE_MAX), HC_ERR_SHORT);
    assert_int_equal(wire_remaining(&r), 3);
    assert_success(wire_read_bytes(&r, 0, &p));
    assert_success(wire_skip(&r, 3));
    assert_success(wire_reader_end(&r));
}

static void test_reader_end(void **state)
{
    (void)state;
    struct wire_reader r = wire_reader_init(bytes, 2);
    assert_error(wire_reader_end(&r), HC_ERR_TRAILING);
    uint8_t v;
    assert_success(wire_read_u8(&r, &v));
    assert_error(wire_reader_end(&r), HC_ERR_TRAILING);
    assert_success(wire_read_u8(&r, &v));
    assert_success(wire_reader_end(&r));
}

static void test_vector_each_width(void **state)
{
    (void)state;
    static const uint8_t v1[] = {0x02, 0xaa, 0xbb, 0xcc};
    static const uint8_t v2[] = {0x00, 0x02, 0xaa, 0xbb, 0xcc};
    static const uint8_t v3[] = {0x00, 0x00, 0x02, 0xaa, 0xbb, 0xcc};
    const uint8_t *vs[] = {v1, v2, v3};
    const size_t lens[] = {sizeof v1, sizeof v2, sizeof v3};
    for (unsigned w = 1; w <= 3; w++) {
        struct wire_reader r = wire_reader_init(vs[w - 1], lens[w - 1]), in;
        assert_success(wire_read_vector(&r, w, &in));
        assert_int_equal(wire_remaining(&in), 2);
        assert_int_equal(wire_peek(&in)[0], 0xaa);
        assert_int_equal(wire_peek(&in)[1], 0xbb);
        /* The outer reader moved past the vector only. */
        assert_int_equal(wire_remaining(&r), 1);
        assert_int_equal(*wire_peek(&r), 0xcc);
        /* The inner reader cannot see past its own end. */
        uint16_t u16;
        uint8_t u8;
        assert_success(wire_read_u8(&in, &u8));
        assert_error(wire_read_u16(&in, &u16), HC_ERR_SHORT);
        assert_error(wire_reader_end(&in), HC_ERR_TRAILING);
    }
}

static void test_vector_bad_width(void **state)
{
    (void)state;
    struct wire_reader r = wire_reader_init(bytes, sizeof bytes), in;
    assert_error(wire_read_vector(&r, 0, &in), HC_ERR_USAGE);
    assert_error(wire_read_vector(&r, 4, &in), HC_ERR_USAGE);
    assert_int_equal(r.pos, 0);
}

/* A vector fed one byte more at a time: SHORT, nothing consumed, until it is whole. */
static void test_vector_byte_by_byte(void **state)
{
    (void)state;
    static const uint8_t v[] = {0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0x99};
    const size_t whole = 8;
    for (size_t n = 0; n <= sizeof v; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan catches an over-read */
        assert_non_null(copy);
        memcpy(copy, v, n);
        struct wire_reader r = wire_reader_init(copy, n), in;
        hc_result res = wire_read_vector(&r, 3, &in);
        if (n < whole) {
            assert_error(res, HC_ERR_SHORT);
            assert_int_equal(r.pos, 0);
        } else {
            assert_success(res);
            assert_int_equal(wire_remaining(&in), 5);
            assert_memory_equal(wire_peek(&in), "hello", 5);
            assert_int_equal(wire_remaining(&r), n - whole);
        }
        free(copy);
    }
}

static void test_empty_vector(void **state)
{
    (void)state;
    static const uint8_t v[] = {0x00, 0x00};
    struct wire_reader r = wire_reader_init(v, sizeof v), in;
    assert_success(wire_read_vector(&r, 2, &in));
    assert_int_equal(wire_remaining(&in), 0);
    assert_success(wire_reader_end(&in));
    assert_success(wire_reader_end(&r));
}

static void test_nested_vectors(void **state)
{
    (void)state;
    /* An extension-like layout: u16 list { u8 kind, u16 name }. */
    static const uint8_t v[] = {0x00, 0x06, 0x00, 0x00, 0x03, 'a', 'b', 'c'};
    struct wire_reader r = wire_reader_init(v, sizeof v), list, name;
    uint8_t kind;
    assert_success(wire_read_vector(&r, 2, &list));
    assert_success(wire_reader_end(&r));
    assert_success(wire_read_u8(&list, &kind));
    assert_int_equal(kind, 0);
    assert_success(wire_read_vector(&list, 2, &name));
    assert_memory_equal(wire_peek(&name), "abc", 3);
    assert_success(wire_reader_end(&list));
    /* The inner length says 3 but the list has only 2 bytes left for it. */
    static const uint8_t bad[] = {0x00, 0x05, 0x00, 0x00, 0x03, 'a', 'b', 'c'};
    r = wire_reader_init(bad, sizeof bad);
    assert_success(wire_read_vector(&r, 2, &list));
    assert_success(wire_read_u8(&list, &kind));
    assert_error(wire_read_vector(&list, 2, &name), HC_ERR_SHORT);
    assert_int_equal(wire_remaining(&list), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_read_integers_big_endian),
        cmocka_unit_test(test_short_reads_consume_nothing),
        cmocka_unit_test(test_read_bytes_copy_skip),
        cmocka_unit_test(test_reader_end),
        cmocka_unit_test(test_vector_each_width),
        cmocka_unit_test(test_vector_bad_width),
        cmocka_unit_test(test_vector_byte_by_byte),
        cmocka_unit_test(test_empty_vector),
        cmocka_unit_test(test_nested_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
