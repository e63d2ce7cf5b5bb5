/* The flow table: both directions find one flow, growth, removal, the limit, idle flows. */
#include "unit.h"

#include "pcap/internal.h"

#include <stdlib.h>
#include <string.h>

static struct packet pkt(uint32_t client, uint16_t port)
{
    struct packet p = {.proto = IP_PROTO_TCP};
    p.src.family = p.dst.family = 4;
    memcpy(p.src.addr, &client, 4);
    p.dst.addr[0] = 10;
    p.src.port = port;
    p.dst.port = 443;
    return p;
}

static struct packet reverse(struct packet p)
{
    struct traffic_endpoint t = p.src;
    p.src = p.dst;
    p.dst = t;
    return p;
}

static void test_directions(void **state)
{
    (void)state;
    struct flow_table *t = flow_table_new(10);
    struct packet p = pkt(1, 5000);
    int dir = -1;
    struct flow *f = flow_lookup(t, &p, true, &dir);
    assert_non_null(f);
    assert_int_equal(dir, 0);
    struct packet r = reverse(p);
    assert_ptr_equal(flow_lookup(t, &r, false, &dir), f);
    assert_int_equal(dir, 1);
    struct packet other = pkt(1, 5001);
    assert_null(flow_lookup(t, &other, false, &dir));
    other.proto = IP_PROTO_UDP;
    other.src.port = 5000;
    assert_null(flow_lookup(t, &other, false, &dir)); /* same ports, other protocol */
    flow_remove(t, f);
    assert_int_equal(flow_count(t), 0);
    flow_table_free(t);
}

static void test_many_and_removal(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct flow_table *t = flow_table_new(N);
    static struct flow *flows[N];
    int dir;
    for (uint32_t i = 0; i < N; i++) {
        struct packet p = pkt(i, (uint16_t)(1000 + i % 7));
        flows[i] = flow_lookup(t, &p, true, &dir);
        assert_non_null(flows[i]);
    }
    struct packet extra = pkt(N + 1, 1);
    assert_null(flow_lookup(t, &extra, true, &dir)); /* the limit */
    /* Remove every other one: the rest are still found (backward-shift deletion). */
    for (uint32_t i = 0; i < N; i += 2)
        flow_remove(t, flows[i]);
    for (uint32_t i = 1; i < N; i += 2) {
        struct packet p = pkt(i, (uint16_t)(1000 + i % 7));
        assert_ptr_equal(flow_lookup(t, &p, false, &dir), flows[i]);
    }
    assert_int_equal(flow_count(t), N / 2);
    for (uint32_t i = 1; i < N; i += 2)
        flow_remove(t, flows[i]);
    flow_table_free(t);
}

static size_t swept;
static struct flow_table *sweeping;

static void remove_it(void *ctx, struct flow *f)
{
    (void)ctx;
    swept++;
    flow_remove(sweeping, f);
}

static void test_idle(void **state)
{
    (void)state;
    struct flow_table *t = flow_table_new(100);
    sweeping = t;
    int dir;
    for (uint32_t i = 0; i < 10; i++) {
        struct packet p = pkt(i, 1);
        flow_lookup(t, &p, true, &dir)->last_us = i;
    }
    swept = 0;
    flow_each_idle(t, 5, remove_it, NULL);
    assert_int_equal(swept, 5);
    flow_each_idle(t, INT64_MAX, remove_it, NULL);
    assert_int_equal(swept, 10);
    assert_int_equal(flow_count(t), 0);
    flow_table_free(t);
    flow_table_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_many_and_removal),
        cmocka_unit_test(test_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
