/* wire writer: bounded appends, length prefixes filled after the body, first error sticks. */
#include "unit.h"

#include "wire/wire.h"

#include <stdlib.h>
#include <string.h>

static void test_write_integers_big_endian(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_u8(&w, 0x01);
    wire_write_u16(&w, 0x0203);
    wire_write_u24(&w, 0xff040506); /* only the low 24 bits are written */
    wire_write_u32(&w, 0x0708090a);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, 10);
    static const uint8_t want[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};
    assert_memory_equal(buf, want, sizeof want);
}

static void test_write_bytes_and_fill(void **state)
{
    (void)state;
    uint8_t buf[8];
    memset(buf, 0xee, sizeof buf);
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_bytes(&w, "abc", 3);
    wire_write_fill(&w, 0x41, 4);
    wire_write_bytes(&w, NULL, 0); /* empty writes are no-ops */
    wire_write_fill(&w, 0, 0);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, 7);
    assert_memory_equal(buf, "abcAAAA", 7);
    assert_int_equal(buf[7], 0xee); /* nothing written past len */
}

static void test_no_space(void **state)
{
    (void)state;
    uint8_t buf[5];
    memset(buf, 0xee, sizeof buf);
    struct wire_writer w = wire_writer_init(buf, 3);
    wire_write_u16(&w, 0x0102);
    wire_write_u16(&w, 0x0304); /* needs 2, has 1 */
    assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
    assert_int_equal(w.len, 2);
    assert_int_equal(buf[2], 0xee); /* a failed write leaves no partial bytes */
    /* Every other kind of write overflows the same way. */
    uint8_t b2[2];
    struct wire_writer w2 = wire_writer_init(b2, 2);
    wire_write_u24(&w2, 1);
    assert_error(wire_writer_result(&w2), HC_ERR_NO_SPACE);
    w2 = wire_writer_init(b2, 2);
    wire_write_fill(&w2, 0, 3);
    assert_error(wire_writer_result(&w2), HC_ERR_NO_SPACE);
    w2 = wire_writer_init(b2, 2);
    wire_write_bytes(&w2, "abc", 3);
    assert_error(wire_writer_result(&w2), HC_ERR_NO_SPACE);
    w2 = wire_writer_init(b2, 2);
    (void)wire_open(&w2, 3);
    assert_error(wire_writer_result(&w2), HC_ERR_NO_SPACE);
    /* No buffer, no room. */
    struct wire_writer w3 = wire_writer_init(NULL, 100);
    assert_int_equal(w3.cap, 0);
    wire_write_u8(&w3, 1);
    assert_error(wire_writer_result(&w3), HC_ERR_NO_SPACE);
}

static void test_exact_fit(void **state)
{
    (void)state;
    uint8_t buf[3];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_u24(&w, 0x010203);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, 3);
    wire_write_bytes(&w, NULL, 0);
    assert_success(wire_writer_result(&w));
}

/* After the first failure nothing more is written, even what would now fit. */
static void test_first_error_sticks(void **state)
{
    (void)state;
    uint8_t buf[4];
    memset(buf, 0xee, sizeof buf);
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_u24(&w, 0x010203);
    wire_write_u16(&w, 0x0405); /* fails: 1 byte left */
    wire_write_u8(&w, 0x06);    /* would fit, must not be written */
    assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
    assert_int_equal(w.len, 3);
    assert_int_equal(buf[3], 0xee);

    /* LENGTH_TOO_BIG first, then NO_SPACE: the first one is reported. */
    uint8_t big[300];
    w = wire_writer_init(big, sizeof big);
    struct wire_mark m = wire_open(&w, 1);
    wire_write_fill(&w, 0x41, 256);
    wire_close(&w, m);
    assert_error(wire_writer_result(&w), HC_ERR_LENGTH_TOO_BIG);
    wire_write_fill(&w, 0x42, 1000);
    assert_error(wire_writer_result(&w), HC_ERR_LENGTH_TOO_BIG);
    assert_int_equal(w.len, 257);
}

static void test_open_close_fill_lengths(void **state)
{
    (void)state;
    uint8_t buf[32];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct wire_mark outer = wire_open(&w, 3);
    struct wire_mark mid = wire_open(&w, 2);
    struct wire_mark inner = wire_open(&w, 1);
    wire_write_bytes(&w, "xyz", 3);
    wire_close(&w, inner);
    wire_write_u8(&w, 0x7f);
    wire_close(&w, mid);
    struct wire_mark empty = wire_open(&w, 2);
    wire_close(&w, empty);
    wire_close(&w, outer);
    assert_success(wire_writer_result(&w));
    static const uint8_t want[] = {0x00, 0x00, 0x09, 0x00, 0x05, 0x03,
                                   'x',  'y',  'z',  0x7f, 0x00, 0x00};
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    /* The marks point at their prefixes. */
    assert_int_equal(outer.at, 0);
    assert_int_equal(outer.len_bytes, 3);
    assert_int_equal(mid.at, 3);
    assert_int_equal(inner.at, 5);
}

static void test_one_byte_length_limit(void **state)
{
    (void)state;
    uint8_t buf[300];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct wire_mark m = wire_open(&w, 1);
    wire_write_fill(&w, 0x41, 255);
    wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    assert_int_equal(buf[0], 255);

    w = wire_writer_init(buf, sizeof buf);
    m = wire_open(&w, 1);
    wire_write_fill(&w, 0x41, 256);
    wire_close(&w, m);
    assert_error(wire_writer_result(&w), HC_ERR_LENGTH_TOO_BIG);
}

static void test_two_byte_length_limit(void **state)
{
    (void)state;
    size_t cap = 65536 + 2;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    struct wire_writer w = wire_writer_init(buf, cap);
    struct wire_mark m = wire_open(&w, 2);
    wire_write_fill(&w, 0, 65535);
    wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    assert_int_equal(buf[0], 0xff);
    assert_int_equal(buf[1], 0xff);

    w = wire_writer_init(buf, cap);
    m = wire_open(&w, 2);
    wire_write_fill(&w, 0, 65536);
    wire_close(&w, m);
    assert_error(wire_writer_result(&w), HC_ERR_LENGTH_TOO_BIG);
    free(buf);
}

/* Prefixes are 1..3 bytes (TLS); other widths are a caller bug, reported, never written. */
static void test_open_bad_width(void **state)
{
    (void)state;
    static const unsigned widths[] = {0, 4, 5, 8};
    for (size_t i = 0; i < HC_ARRAY_LEN(widths); i++) {
        unsigned width = widths[i];
        uint8_t buf[16];
        memset(buf, 0xee, sizeof buf);
        struct wire_writer w = wire_writer_init(buf, sizeof buf);
        struct wire_mark m = wire_open(&w, width);
        wire_write_u8(&w, 1);
        wire_close(&w, m);
        assert_error(wire_writer_result(&w), HC_ERR_USAGE);
        assert_int_equal(w.len, 0);
        assert_int_equal(buf[0], 0xee);
    }
}

/* wire_close after a failure must not write a length into the buffer. */
static void test_close_after_failure(void **state)
{
    (void)state;
    uint8_t buf[4];
    memset(buf, 0xee, sizeof buf);
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct wire_mark m = wire_open(&w, 2);
    wire_write_bytes(&w, "abc", 3);
    wire_close(&w, m);
    assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_integers_big_endian),
        cmocka_unit_test(test_write_bytes_and_fill),
        cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_exact_fit),
        cmocka_unit_test(test_first_error_sticks),
        cmocka_unit_test(test_open_close_fill_lengths),
        cmocka_unit_test(test_one_byte_length_limit),
        cmocka_unit_test(test_two_byte_length_limit),
        cmocka_unit_test(test_open_bad_width),
        cmocka_unit_test(test_close_after_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
