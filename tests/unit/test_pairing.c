/* The heartbeat analysis of one flow, fed records directly: pairing by payload_length and
 * bytes, unpaired responses, DTLS versions, the hellos. */
#include "unit.h"

#include "pcap/internal.h"

#include <string.h>

static struct traffic_event events[8];
static size_t nevents;

static void on_event(void *ctx, const struct traffic_event *e)
{
    (void)ctx;
    if (nevents < 8)
        events[nevents++] = *e;
}

static struct traffic_analyzer *analyzer(void)
{
    nevents = 0;
    struct traffic_limits l = {.max_flows = 4, .idle_us = 1};
    return traffic_analyzer_new(&l, on_event, NULL);
}

/* A heartbeat record from dir: its head through hb_body, then hb_record. */
static void heartbeat(struct traffic_analyzer *a, struct flow *f, int dir, uint8_t type,
                      uint16_t claimed, uint32_t length, uint8_t fill)
{
    uint8_t head[3 + HB_PREFIX] = {type, (uint8_t)(claimed >> 8), (uint8_t)claimed};
    memset(head + 3, fill, HB_PREFIX);
    hb_body(a, f, dir, 0, head, sizeof head);
    struct record_info r = {.type = TLS_CT_HEARTBEAT,
                            .version = TLS_VERSION_TLS11,
                            .length = length,
                            .head_known = true,
                            .trusted = true};
    memcpy(r.head, head, 3);
    hb_record(a, f, dir, &r);
}

static void test_pairs_by_length_and_bytes(void **state)
{
    (void)state;
    struct traffic_analyzer *a = analyzer();
    struct flow f = {.client = 0, .proto = IP_PROTO_TCP};
    /* The zero-leak probe (dropped by a patched peer), then the well-formed follow-up. */
    heartbeat(a, &f, 0, 1, 16381, 3 + 16381, 'A');
    heartbeat(a, &f, 0, 1, 16365, 3 + 16365 + 16, 'B');
    assert_int_equal(nevents, 1);
    heartbeat(a, &f, 1, 2, 16365, 16384, 'B'); /* the follow-up's answer: no leak, no event */
    hb_flush(a, &f);
    assert_int_equal(nevents, 1);
    assert_int_equal(events[0].kind, TRAFFIC_PROBE);
    assert_int_equal(events[0].version, TLS_VERSION_TLS11);
    hb_side_free(&f.hb[0]);
    hb_side_free(&f.hb[1]);
    traffic_analyzer_free(a);
}

static void test_unpaired_response(void **state)
{
    (void)state;
    struct traffic_analyzer *a = analyzer();
    struct flow f = {.client = -1, .proto = IP_PROTO_TCP};
    f.ep[0].port = 443;
    f.ep[1].port = 50000;
    /* A response within one record and no request seen: nothing shows a leak. */
    heartbeat(a, &f, 0, 2, 100, 119, 'x');
    hb_flush(a, &f);
    assert_int_equal(nevents, 0);
    /* Several records: no legitimate response is that long. */
    heartbeat(a, &f, 0, 2, 40000, 16384, 'x');
    struct record_info more = {.type = TLS_CT_HEARTBEAT, .length = 16384, .trusted = true};
    hb_record(a, &f, 0, &more);
    hb_flush(a, &f);
    assert_int_equal(nevents, 1);
    assert_int_equal(events[0].kind, TRAFFIC_LEAK);
    assert_false(events[0].paired);
    assert_false(events[0].leaked_known);
    /* Roles from the ports: the higher port is the client's. */
    assert_false(events[0].client_known);
    assert_int_equal(events[0].server.port, 443);
    assert_true(events[0].to_server); /* it answered the client's (unseen) request */
    hb_side_free(&f.hb[0]);
    traffic_analyzer_free(a);
}

static void test_hellos(void **state)
{
    (void)state;
    struct traffic_analyzer *a = analyzer();
    struct flow f = {.client = -1};
    static const uint8_t client_hello[] = {1, 0, 0, 2, 3, 3};
    hb_hello(a, &f, 1, client_hello, sizeof client_hello);
    assert_int_equal(f.client, 1);
    uint8_t sh[4 + 2 + 32 + 1 + 2] = {2, 0, 0, 37, 0xfe, 0xfd};
    sh[38] = 0;
    sh[39] = 0xc0;
    sh[40] = 0x2f;
    hb_hello(a, &f, 0, sh, sizeof sh);
    assert_true(f.cipher_known);
    assert_int_equal(f.cipher, 0xc02f);
    assert_int_equal(f.version, 0xfefd);
    /* Cut hellos change nothing. */
    struct flow g = {.client = -1};
    hb_hello(a, &g, 0, sh, 20);
    assert_false(g.cipher_known);
    assert_int_equal(g.client, 1);
    hb_hello(a, &g, 0, sh, 0);
    traffic_analyzer_free(a);
}

static void test_encrypted_dtls(void **state)
{
    (void)state;
    struct traffic_analyzer *a = analyzer();
    struct flow f = {.client = 0,
                     .proto = IP_PROTO_UDP,
                     .version = 0xfefd,
                     .cipher = 0x002f,
                     .cipher_known = true};
    struct record_info req = {.type = TLS_CT_HEARTBEAT, .length = 16 + 48, .encrypted = true};
    struct record_info resp = req;
    resp.length = 16 + 16400 + 20; /* far more than the request carried */
    hb_record(a, &f, 0, &req);
    hb_record(a, &f, 1, &resp);
    hb_flush(a, &f);
    assert_int_equal(nevents, 1);
    assert_int_equal(events[0].kind, TRAFFIC_LIKELY_LEAK);
    assert_true(events[0].udp);
    assert_true(events[0].leaked > 16000);
    traffic_analyzer_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs_by_length_and_bytes),
        cmocka_unit_test(test_unpaired_response),
        cmocka_unit_test(test_hellos),
        cmocka_unit_test(test_encrypted_dtls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
