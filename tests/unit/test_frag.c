/* IP fragment reassembly: order, overlaps, contradictions, bounds, expiry. */
#include "unit.h"

#include "pcap/internal.h"

#include <string.h>

static const struct frag_key key = {.version = 4, .proto = 6, .id = 7, .src = {1}, .dst = {2}};
static uint8_t data[FRAG_MAX_LEN];

static void fill(void)
{
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
}

static void test_in_and_out_of_order(void **state)
{
    (void)state;
    fill();
    struct frag_table *t = frag_table_new();
    struct wire_reader r;
    assert_false(frag_add(t, &key, 16, true, data + 16, 16, 0, &r));
    assert_false(frag_add(t, &key, 32, false, data + 32, 5, 0, &r));
    assert_true(frag_add(t, &key, 0, true, data, 16, 0, &r));
    assert_int_equal(wire_remaining(&r), 37);
    assert_memory_equal(wire_peek(&r), data, 37);
    /* Done: the same id starts afresh. */
    assert_false(frag_add(t, &key, 16, false, data, 8, 0, &r));
    frag_table_free(t);
}

static void test_overlap_keeps_first(void **state)
{
    (void)state;
    fill();
    struct frag_table *t = frag_table_new();
    struct wire_reader r;
    static uint8_t other[64];
    memset(other, 0xff, sizeof other);
    assert_false(frag_add(t, &key, 0, true, data, 16, 0, &r));
    assert_false(frag_add(t, &key, 8, true, other, 16, 0, &r)); /* rewrites 8..15: ignored */
    assert_true(frag_add(t, &key, 24, false, data + 24, 4, 0, &r));
    assert_memory_equal(wire_peek(&r), data, 16);
    assert_int_equal(wire_peek(&r)[16], 0xff);
    frag_table_free(t);
}

static void test_contradictions(void **state)
{
    (void)state;
    fill();
    struct frag_table *t = frag_table_new();
    struct wire_reader r;
    assert_false(frag_add(t, &key, 0, true, data, 12, 0, &r));      /* not a multiple of 8 */
    assert_false(frag_add(t, &key, 65528, false, data, 16, 0, &r)); /* past 65535 */
    assert_false(frag_add(t, &key, 0, true, data, 0, 0, &r));
    /* Two different ends: the datagram is dropped. */
    assert_false(frag_add(t, &key, 8, false, data, 8, 0, &r));
    assert_false(frag_add(t, &key, 16, false, data, 8, 0, &r));
    assert_false(frag_add(t, &key, 0, true, data, 8, 0, &r));
    frag_table_free(t);
}

static void test_bounds_and_expiry(void **state)
{
    (void)state;
    fill();
    struct frag_table *t = frag_table_new();
    struct wire_reader r;
    /* More datagrams than slots: the oldest gives way, none completes wrongly. */
    for (uint32_t id = 0; id < FRAG_MAX_DATAGRAMS * 2; id++) {
        struct frag_key k = key;
        k.id = id;
        assert_false(frag_add(t, &k, 8, false, data, 8, id, &r));
    }
    struct frag_key k = key;
    k.id = FRAG_MAX_DATAGRAMS * 2 - 1;
    assert_true(frag_add(t, &k, 0, true, data, 8, 0, &r));
    /* A fragment older than the timeout is forgotten. */
    k.id = 5000;
    assert_false(frag_add(t, &k, 8, false, data, 8, 0, &r));
    assert_false(frag_add(t, &k, 0, true, data, 8, FRAG_TIMEOUT_US + 1, &r));
    frag_table_free(t);
    frag_table_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_and_out_of_order),
        cmocka_unit_test(test_overlap_keeps_first),
        cmocka_unit_test(test_contradictions),
        cmocka_unit_test(test_bounds_and_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
