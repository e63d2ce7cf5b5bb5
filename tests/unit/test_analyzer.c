/* The analyzer end to end on built frames: pairing, leaks, probes, both directions, evasions,
 * encrypted heartbeats, limits. */
#include "unit.h"

#include "pcap/internal.h"
#include "support/frames.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_EVENTS = 16 };

struct seen {
    struct traffic_event e[MAX_EVENTS];
    size_t n;
    uint8_t secret[70000];
    size_t secret_len;
};

static void on_event(void *ctx, const struct traffic_event *e)
{
    struct seen *s = ctx;
    if (s->n < MAX_EVENTS)
        s->e[s->n++] = *e;
    if (e->secret_len) {
        memcpy(s->secret, e->secret, e->secret_len);
        s->secret_len = e->secret_len;
    }
}

/* One connection: client 10.0.0.1:40000, server 10.0.0.2:443, sequence numbers per side. */
struct conn {
    struct traffic_analyzer *a;
    uint32_t seq[2];
    int64_t ts;
    uint8_t frame[FRAME_MAX];
};

static void send_raw(struct conn *c, int from_server, const uint8_t *p, size_t n, uint8_t flags)
{
    struct frame_tcp t = {.src = {10, 0, 0, 1},
                          .dst = {10, 0, 0, 2},
                          .sport = 40000,
                          .dport = 443,
                          .seq = c->seq[from_server],
                          .flags = flags};
    if (from_server) {
        memcpy(t.src, (uint8_t[]){10, 0, 0, 2}, 4);
        memcpy(t.dst, (uint8_t[]){10, 0, 0, 1}, 4);
        t.sport = 443;
        t.dport = 40000;
    }
    size_t len = frame_tcp(c->frame, &t, p, n);
    traffic_analyzer_frame(c->a, LINK_ETHERNET, c->ts += 1000, c->frame, len, len);
    c->seq[from_server] += (uint32_t)n + ((flags & TCP_FLAG_SYN) ? 1 : 0);
}

static void send_bytes(struct conn *c, int from_server, const uint8_t *p, size_t n)
{
    send_raw(c, from_server, p, n, 0);
}

static struct conn *open_conn(struct seen *s, bool keep_secrets)
{
    struct conn *c = calloc(1, sizeof *c);
    struct traffic_limits l = {.max_flows = 16, .idle_us = 60000000, .keep_secrets = keep_secrets};
    c->a = traffic_analyzer_new(&l, on_event, s);
    c->seq[0] = 1000;
    c->seq[1] = 5000;
    send_raw(c, 0, NULL, 0, TCP_FLAG_SYN);
    send_raw(c, 1, NULL, 0, TCP_FLAG_SYN | TCP_FLAG_ACK);
    uint8_t rec[64];
    send_bytes(c, 0, rec, record_client_hello(rec, TLS_VERSION_TLS12));
    send_bytes(c, 1, rec, record_server_hello(rec, TLS_VERSION_TLS12, 0xc02f));
    return c;
}

static void close_conn(struct conn *c)
{
    traffic_analyzer_finish(c->a);
    traffic_analyzer_free(c->a);
    free(c);
}

static uint8_t buf[70000];

static void test_attack_and_leak(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    struct conn *c = open_conn(&s, true);
    /* nmap's request: 19 bytes claiming 16384; the answer: 16384 + 16 bytes in two records. */
    send_bytes(c, 0, buf, record_heartbeat(buf, TLS_VERSION_TLS12, 1, 16384, 19, 'A', 0));
    size_t n = record_heartbeat(buf, TLS_VERSION_TLS12, 2, 16384, 16381, 'S', 0);
    memset(buf + 8, 'A', 19);
    send_bytes(c, 1, buf, n);
    send_bytes(c, 1, buf, record_opaque(buf, TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, 19, 'S'));
    close_conn(c);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[0].kind, TRAFFIC_ATTACK);
    assert_int_equal(s.e[0].claimed, 16384);
    assert_int_equal(s.e[0].sent, 19);
    assert_true(s.e[0].to_server);
    assert_true(s.e[0].client_known);
    assert_int_equal(s.e[0].client.port, 40000);
    assert_int_equal(s.e[1].kind, TRAFFIC_LEAK);
    assert_true(s.e[1].paired);
    assert_int_equal(s.e[1].leaked, 16384 - 19);
    assert_int_equal(s.e[1].records, 2);
    assert_int_equal(s.e[1].cipher, 0xc02f);
    /* The extracted bytes are the server's, not the request's. */
    assert_int_equal(s.secret_len, 16384 - 19);
    assert_int_equal(s.secret[0], 'S');
}

static void test_probe_unanswered_and_legit(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    struct conn *c = open_conn(&s, false);
    /* A zero-leak probe (no padding) and a well-formed request, one segment (two records). */
    size_t n = record_heartbeat(buf, TLS_VERSION_TLS12, 1, 100, 100, 'A', 0);
    n += record_heartbeat(buf + n, TLS_VERSION_TLS12, 1, 100, 100, 'B', 16);
    send_bytes(c, 0, buf, n);
    /* A patched peer answers only the well-formed one. */
    n = record_heartbeat(buf, TLS_VERSION_TLS12, 2, 100, 100, 'B', 16);
    send_bytes(c, 1, buf, n);
    close_conn(c);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.e[0].kind, TRAFFIC_PROBE);
    assert_int_equal(s.e[0].sent, 100);
}

static void test_split_and_alert_before(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    struct conn *c = open_conn(&s, false);
    /* An alert record first, then the attack one byte per segment. */
    size_t n = record_opaque(buf, TLS_CT_ALERT, TLS_VERSION_TLS12, 2, 1);
    n += record_heartbeat(buf + n, TLS_VERSION_TLS12, 1, 4000, 1, 'A', 0);
    for (size_t i = 0; i < n; i++)
        send_bytes(c, 0, buf + i, 1);
    close_conn(c);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.e[0].kind, TRAFFIC_ATTACK);
    assert_int_equal(s.e[0].claimed, 4000);
}

static void test_server_attacks_client(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    struct conn *c = open_conn(&s, false);
    send_bytes(c, 1, buf, record_heartbeat(buf, TLS_VERSION_TLS12, 1, 4100, 4100, 'A', 0));
    send_bytes(c, 0, buf, record_heartbeat(buf, TLS_VERSION_TLS12, 2, 4100, 4100, 'A', 16));
    close_conn(c);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[0].kind, TRAFFIC_PROBE);
    assert_false(s.e[0].to_server);
    assert_int_equal(s.e[1].kind, TRAFFIC_LEAK);
    assert_false(s.e[1].to_server);
    assert_int_equal(s.e[1].leaked, 0);
}

static void encrypt_both(struct conn *c)
{
    uint8_t ccs[6];
    send_bytes(c, 0, ccs, record_opaque(ccs, TLS_CT_CHANGE_CIPHER_SPEC, TLS_VERSION_TLS12, 1, 1));
    send_bytes(c, 1, ccs, record_opaque(ccs, TLS_CT_CHANGE_CIPHER_SPEC, TLS_VERSION_TLS12, 1, 1));
}

static void test_encrypted(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    struct conn *c = open_conn(&s, false);
    encrypt_both(c);
    /* AES-128-GCM adds 24 bytes. A legitimate exchange: 3 + 18 + 16 both ways. */
    send_bytes(c, 0, buf, record_opaque(buf, TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, 37 + 24, 1));
    send_bytes(c, 1, buf, record_opaque(buf, TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, 37 + 24, 2));
    assert_int_equal(s.n, 0);
    /* An attack: 3 bytes, no padding; 16384 + 19 bytes back in two records. */
    send_bytes(c, 0, buf, record_opaque(buf, TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, 3 + 24, 3));
    send_bytes(c, 1, buf, record_opaque(buf, TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, 16384 + 24, 4));
    send_bytes(c, 1, buf, record_opaque(buf, TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, 19 + 24, 4));
    send_bytes(c, 1, buf, record_opaque(buf, TLS_CT_APPLICATION_DATA, TLS_VERSION_TLS12, 50, 4));
    close_conn(c);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[0].kind, TRAFFIC_MALFORMED);
    assert_true(s.e[0].encrypted);
    assert_int_equal(s.e[1].kind, TRAFFIC_LIKELY_LEAK);
    assert_int_equal(s.e[1].records, 2);
    assert_true(s.e[1].leaked <= 16384 && s.e[1].leaked_max >= 16384);
}

static void test_limits_and_stats(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    struct traffic_limits l = {.max_flows = 2, .idle_us = 1000000};
    struct traffic_analyzer *a = traffic_analyzer_new(&l, on_event, &s);
    uint8_t frame[FRAME_MAX];
    for (uint16_t p = 1; p <= 5; p++) {
        struct frame_tcp t = {.src = {10, 0, 0, 1},
                              .dst = {10, 0, 0, 2},
                              .sport = p,
                              .dport = 443,
                              .seq = 1,
                              .flags = TCP_FLAG_SYN};
        size_t len = frame_tcp(frame, &t, NULL, 0);
        traffic_analyzer_frame(a, LINK_ETHERNET, p, frame, len, len);
    }
    struct traffic_stats st = traffic_analyzer_stats(a);
    assert_int_equal(st.frames, 5);
    assert_int_equal(st.flows_open, 2);
    assert_int_equal(st.flows_dropped, 3);
    /* Much later: the idle flows are swept, a new one fits. */
    struct frame_tcp t = {.src = {10, 0, 0, 9},
                          .dst = {10, 0, 0, 2},
                          .sport = 9,
                          .dport = 443,
                          .seq = 1,
                          .flags = TCP_FLAG_SYN};
    size_t len = frame_tcp(frame, &t, NULL, 0);
    traffic_analyzer_frame(a, LINK_ETHERNET, 100000000, frame, len, len);
    st = traffic_analyzer_stats(a);
    assert_int_equal(st.flows_open, 1);
    /* Frames that are not IP, or broken, are counted, not followed. */
    traffic_analyzer_frame(a, LINK_ETHERNET, 100000001, frame, 10, 10);
    traffic_analyzer_frame(a, 9999, 100000002, frame, len, len);
    st = traffic_analyzer_stats(a);
    assert_int_equal(st.ignored, 2);
    traffic_analyzer_free(a);
    assert_string_equal(traffic_kind_name(TRAFFIC_LIKELY_LEAK), "likely_leak");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attack_and_leak),
        cmocka_unit_test(test_probe_unanswered_and_legit),
        cmocka_unit_test(test_split_and_alert_before),
        cmocka_unit_test(test_server_attacks_client),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_limits_and_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
