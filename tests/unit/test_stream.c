/* TCP reassembly of one direction: order, holes, retransmissions, overlaps, bounds. */
#include "unit.h"

#include "pcap/internal.h"

#include <string.h>

struct out {
    char bytes[4096];
    size_t len;
    uint64_t gaps;
};

static void on_data(void *ctx, const uint8_t *p, size_t n)
{
    struct out *o = ctx;
    memcpy(o->bytes + o->len, p, n);
    o->len += n;
}

static void on_gap(void *ctx, uint64_t n)
{
    struct out *o = ctx;
    o->gaps += n;
    memset(o->bytes + o->len, '_', n);
    o->len += n;
}

static void seg(struct stream *s, struct out *o, uint32_t seq, const char *text, uint8_t flags)
{
    struct packet p = {.seq = seq,
                       .tcp_flags = flags,
                       .payload = (const uint8_t *)text,
                       .payload_len = text ? strlen(text) : 0};
    struct stream_sink k = {on_data, on_gap, o};
    stream_segment(s, &p, &k);
}

static void test_in_order_and_retransmission(void **state)
{
    (void)state;
    struct stream s = {0};
    struct out o = {0};
    seg(&s, &o, 99, NULL, TCP_FLAG_SYN);
    seg(&s, &o, 100, "hello ", 0);
    seg(&s, &o, 100, "hello ", 0);   /* retransmitted */
    seg(&s, &o, 103, "lo world", 0); /* overlaps: only "world" is new */
    assert_string_equal(o.bytes, "hello world");
    seg(&s, &o, 111, NULL, TCP_FLAG_FIN);
    assert_true(s.closed);
    stream_free(&s);
}

static void test_out_of_order(void **state)
{
    (void)state;
    struct stream s = {0};
    struct out o = {0};
    seg(&s, &o, 0, NULL, TCP_FLAG_SYN);
    seg(&s, &o, 7, "ccc", 0);
    seg(&s, &o, 4, "bbb", 0);
    assert_int_equal(o.len, 0);
    seg(&s, &o, 10, NULL, TCP_FLAG_FIN); /* the FIN comes before the hole is filled */
    assert_false(s.closed);
    seg(&s, &o, 1, "aaa", 0);
    assert_string_equal(o.bytes, "aaabbbccc");
    assert_true(s.closed);
    stream_free(&s);
}

static void test_mid_stream_and_gaps(void **state)
{
    (void)state;
    struct stream s = {0};
    struct out o = {0};
    seg(&s, &o, 5000, "abc", 0); /* no SYN seen: starts here */
    struct packet cut = {
        .seq = 5003, .payload = (const uint8_t *)"de", .payload_len = 2, .missing = 3};
    struct stream_sink k = {on_data, on_gap, &o};
    stream_segment(&s, &cut, &k);
    seg(&s, &o, 5008, "fg", 0);
    assert_string_equal(o.bytes, "abcde___fg");
    assert_int_equal(o.gaps, 3);
    /* A hole never filled: the flush declares it. */
    seg(&s, &o, 5020, "zz", 0);
    stream_flush(&s, &k);
    assert_int_equal(o.gaps, 3 + 10);
    assert_int_equal(o.len, 22);
    stream_free(&s);
}

static void test_bounded(void **state)
{
    (void)state;
    struct stream s = {0};
    struct out o = {0};
    seg(&s, &o, 0, NULL, TCP_FLAG_SYN);
    /* More held segments than allowed: the first hole is given up, nothing is lost after. */
    for (uint32_t i = 0; i < STREAM_MAX_PENDING + 4; i++)
        seg(&s, &o, 10 + 2 * i, "x", 0);
    assert_true(s.pending_count <= STREAM_MAX_PENDING);
    assert_true(o.gaps >= 9);
    struct stream_sink k = {on_data, on_gap, &o};
    stream_flush(&s, &k);
    assert_int_equal(s.pending_count, 0);
    stream_free(&s);
}

static void test_wraparound_and_rst(void **state)
{
    (void)state;
    struct stream s = {0};
    struct out o = {0};
    seg(&s, &o, 0xfffffffe, NULL, TCP_FLAG_SYN);
    seg(&s, &o, 0xffffffff, "ab", 0);
    seg(&s, &o, 1, "cd", 0);
    assert_string_equal(o.bytes, "abcd");
    seg(&s, &o, 3, NULL, TCP_FLAG_RST);
    assert_true(s.closed);
    stream_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_and_retransmission), cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_mid_stream_and_gaps),         cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_wraparound_and_rst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
