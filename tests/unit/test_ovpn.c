/* OpenVPN's control channel: packets byte-exact, whole / byte by byte / split at every
 * offset, reordering, duplicates, losses and retransmission, the send window, and hostile
 * packets (other sessions, huge ack arrays, bad opcodes and lengths). */
#include "unit.h"

#include "ovpn/ovpn.h"
#include "wire/wire.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t client_sid[OVPN_SESSION_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t server_sid[OVPN_SESSION_ID_LEN] = {0xa1, 0xa2, 0xa3, 0xa4,
                                                        0xa5, 0xa6, 0xa7, 0xa8};
static const uint8_t other_sid[OVPN_SESSION_ID_LEN] = {9, 9, 9, 9, 9, 9, 9, 9};

enum { SINK_CAP = 64 * 1024, BIG = 16389 /* a 16384-byte record with its header */ };

/* What a channel delivered. */
struct sink {
    uint8_t data[SINK_CAP];
    size_t len;
    unsigned calls;
};

static void collect(void *ctx, const uint8_t *data, size_t len)
{
    struct sink *s = ctx;
    assert_true(len > 0 && s->len + len <= SINK_CAP);
    memcpy(s->data + s->len, data, len);
    s->len += len;
    s->calls++;
}

static struct ovpn *channel(enum ovpn_role role, enum ovpn_framing framing)
{
    struct ovpn_config cfg = {.role = role, .framing = framing};
    memcpy(cfg.session_id, role == OVPN_CLIENT ? client_sid : server_sid, OVPN_SESSION_ID_LEN);
    struct ovpn *c;
    assert_success(ovpn_new(&cfg, &c));
    return c;
}

/* ---- packets as a peer writes them ---- */

struct pkt {
    uint8_t opcode, key_id;
    const uint8_t *session;
    uint8_t ack_count;
    uint32_t acks[16];
    const uint8_t *remote; /* written when ack_count > 0 */
    uint32_t id;
    const uint8_t *payload;
    size_t payload_len;
};

static size_t write_pkt(const struct pkt *p, bool tcp, uint8_t *buf, size_t cap)
{
    struct wire_writer w = wire_writer_init(buf, cap);
    struct wire_mark m = {0};
    if (tcp)
        m = wire_open(&w, 2);
    wire_write_u8(&w, (uint8_t)(p->opcode << OVPN_OPCODE_SHIFT | p->key_id));
    wire_write_bytes(&w, p->session, OVPN_SESSION_ID_LEN);
    wire_write_u8(&w, p->ack_count);
    for (size_t i = 0; i < p->ack_count; i++)
        wire_write_u32(&w, p->acks[i]);
    if (p->ack_count)
        wire_write_bytes(&w, p->remote, OVPN_SESSION_ID_LEN);
    if (p->opcode != OVPN_P_ACK_V1) {
        wire_write_u32(&w, p->id);
        wire_write_bytes(&w, p->payload, p->payload_len);
    }
    if (tcp)
        wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    return w.len;
}

/* The server's answer to our client's reset: its reset, acknowledging packet 0. */
static struct pkt server_reset(void)
{
    return (struct pkt){.opcode = OVPN_P_CONTROL_HARD_RESET_SERVER_V2,
                        .session = server_sid,
                        .ack_count = 1,
                        .acks = {0},
                        .remote = client_sid,
                        .id = 0};
}

static struct pkt server_control(uint32_t id, const uint8_t *payload, size_t len)
{
    return (struct pkt){.opcode = OVPN_P_CONTROL_V1,
                        .session = server_sid,
                        .id = id,
                        .payload = payload,
                        .payload_len = len};
}

static hc_result feed_pkt(struct ovpn *c, const struct pkt *p, bool tcp, struct sink *s)
{
    uint8_t buf[OVPN_MAX_PACKET + 2];
    size_t n = write_pkt(p, tcp, buf, sizeof buf);
    return ovpn_on_data(c, buf, n, collect, s);
}

/* ---- packets as we wrote them ---- */

struct parsed {
    uint8_t opcode;
    uint8_t session[OVPN_SESSION_ID_LEN];
    uint8_t ack_count;
    uint32_t acks[OVPN_MAX_ACKS];
    uint8_t remote[OVPN_SESSION_ID_LEN];
    uint32_t id;
    size_t payload_len;
    const uint8_t *payload;
};

static struct parsed parse_out(const uint8_t *data, size_t len, bool tcp)
{
    struct wire_reader r = wire_reader_init(data, len);
    struct parsed p = {0};
    if (tcp) {
        uint16_t n;
        assert_success(wire_read_u16(&r, &n));
        assert_int_equal(n, len - 2);
    }
    uint8_t op;
    assert_success(wire_read_u8(&r, &op));
    assert_int_equal(op & 7, 0); /* key id 0 */
    p.opcode = op >> OVPN_OPCODE_SHIFT;
    assert_success(wire_copy_bytes(&r, p.session, OVPN_SESSION_ID_LEN));
    assert_success(wire_read_u8(&r, &p.ack_count));
    assert_true(p.ack_count <= OVPN_MAX_ACKS);
    for (size_t i = 0; i < p.ack_count; i++)
        assert_success(wire_read_u32(&r, &p.acks[i]));
    if (p.ack_count)
        assert_success(wire_copy_bytes(&r, p.remote, OVPN_SESSION_ID_LEN));
    if (p.opcode != OVPN_P_ACK_V1) {
        assert_success(wire_read_u32(&r, &p.id));
        p.payload_len = wire_remaining(&r);
        p.payload = wire_peek(&r);
    } else {
        assert_success(wire_reader_end(&r));
    }
    return p;
}

/* The next packet the channel writes at now; false when none. */
static bool next_out(struct ovpn *c, uint64_t now, bool tcp, struct parsed *out)
{
    const uint8_t *data;
    size_t len;
    ovpn_take_output(c, now, &data, &len);
    if (len == 0)
        return false;
    *out = parse_out(data, len, tcp);
    return true;
}

static void drain(struct ovpn *c, uint64_t now)
{
    const uint8_t *data;
    size_t len;
    do
        ovpn_take_output(c, now, &data, &len);
    while (len);
}

static struct ovpn *established_client(enum ovpn_framing framing)
{
    struct ovpn *c = channel(OVPN_CLIENT, framing);
    drain(c, 0); /* our reset */
    struct pkt sr = server_reset();
    struct sink s = {.len = 0};
    assert_success(feed_pkt(c, &sr, framing == OVPN_TCP, &s));
    assert_true(ovpn_established(c));
    assert_int_equal(s.len, 0);
    return c;
}

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* ---- the hard resets ---- */

static void test_client_reset_bytes(void **state)
{
    (void)state;
    struct ovpn *c = channel(OVPN_CLIENT, OVPN_TCP);
    const uint8_t *data;
    size_t len;
    ovpn_take_output(c, 0, &data, &len);
    static const uint8_t want[] = {0x00, 0x0e, 0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0x00, 0, 0, 0, 0};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(data, want, sizeof want);
    /* TLS bytes wait for the server's reset: they could not carry its session's acks. */
    assert_success(ovpn_send(c, (const uint8_t *)"hello", 5));
    ovpn_take_output(c, 5000, &data, &len);
    assert_int_equal(len, 0);
    assert_false(ovpn_established(c));
    assert_int_equal(ovpn_wakeup_at(c), UINT64_MAX); /* TCP: nothing is sent twice */
    ovpn_free(c);

    c = channel(OVPN_CLIENT, OVPN_UDP); /* one datagram: the same without the length */
    ovpn_take_output(c, 0, &data, &len);
    assert_int_equal(len, sizeof want - 2);
    assert_memory_equal(data, want + 2, sizeof want - 2);
    ovpn_free(c);
}

static void test_server_answers_reset(void **state)
{
    (void)state;
    struct ovpn *s = channel(OVPN_SERVER, OVPN_UDP);
    struct parsed p;
    assert_false(next_out(s, 0, false, &p)); /* a server waits */
    struct pkt cr = {.opcode = OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, .session = client_sid};
    struct sink sink = {.len = 0};
    assert_success(feed_pkt(s, &cr, false, &sink));
    assert_true(ovpn_established(s));
    assert_true(next_out(s, 0, false, &p));
    assert_int_equal(p.opcode, OVPN_P_CONTROL_HARD_RESET_SERVER_V2);
    assert_memory_equal(p.session, server_sid, OVPN_SESSION_ID_LEN);
    assert_int_equal(p.ack_count, 1);
    assert_int_equal(p.acks[0], 0);
    assert_memory_equal(p.remote, client_sid, OVPN_SESSION_ID_LEN);
    assert_int_equal(p.id, 0);
    assert_int_equal(p.payload_len, 0);
    assert_false(next_out(s, 0, false, &p));
    ovpn_free(s);
}

/* OpenVPN 2.6 clients number from EARLY_NEG_START: the numbering follows the reset. */
static void test_numbering_starts_at_the_reset(void **state)
{
    (void)state;
    struct ovpn *s = channel(OVPN_SERVER, OVPN_TCP);
    struct sink sink = {.len = 0};
    struct pkt cr = {
        .opcode = OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, .session = client_sid, .id = 0x0f000000};
    assert_success(feed_pkt(s, &cr, true, &sink));
    struct pkt data = {.opcode = OVPN_P_CONTROL_V1,
                       .session = client_sid,
                       .id = 0x0f000001,
                       .payload = (const uint8_t *)"abc",
                       .payload_len = 3};
    assert_success(feed_pkt(s, &data, true, &sink));
    assert_int_equal(sink.len, 3);
    assert_memory_equal(sink.data, "abc", 3);
    ovpn_free(s);
}

/* ---- both roles together ---- */

/* Moves every packet each way until both are quiet; returns the packets moved. With drop,
 * every drop-th packet from a to b is lost (UDP). Tracks a's most packets in flight. */
struct link {
    struct ovpn *a, *b;
    struct sink to_a, to_b;
    bool tcp;
    unsigned drop;
    unsigned moved;
    unsigned most_in_flight;
};

static void move_all(struct link *l, uint64_t now)
{
    for (int round = 0; round < 1000; round++) {
        unsigned before = l->moved;
        unsigned flight = 0;
        const uint8_t *data;
        size_t len;
        for (ovpn_take_output(l->a, now, &data, &len); len;
             ovpn_take_output(l->a, now, &data, &len)) {
            struct parsed p = parse_out(data, len, l->tcp);
            flight += p.opcode == OVPN_P_CONTROL_V1;
            l->moved++;
            if (l->drop && l->moved % l->drop == 0)
                continue;
            assert_success(ovpn_on_data(l->b, data, len, collect, &l->to_b));
        }
        if (flight > l->most_in_flight)
            l->most_in_flight = flight;
        for (ovpn_take_output(l->b, now, &data, &len); len;
             ovpn_take_output(l->b, now, &data, &len)) {
            l->moved++;
            assert_success(ovpn_on_data(l->a, data, len, collect, &l->to_a));
        }
        if (l->moved == before)
            return;
    }
    fail_msg("the channels never went quiet");
}

static void exchange(enum ovpn_framing framing)
{
    static uint8_t up[BIG], down[BIG + 11];
    fill_pattern(up, sizeof up, 1);
    fill_pattern(down, sizeof down, 2);
    struct link *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->a = channel(OVPN_CLIENT, framing);
    l->b = channel(OVPN_SERVER, framing);
    l->tcp = framing == OVPN_TCP;
    assert_success(ovpn_send(l->a, up, sizeof up));
    move_all(l, 0);
    assert_true(ovpn_established(l->a) && ovpn_established(l->b));
    assert_int_equal(l->to_b.len, sizeof up);
    assert_memory_equal(l->to_b.data, up, sizeof up);
    /* 16389 bytes in 14 packets of at most OVPN_MAX_PAYLOAD, never more than the window out. */
    assert_int_equal(l->to_b.calls, (sizeof up + OVPN_MAX_PAYLOAD - 1) / OVPN_MAX_PAYLOAD);
    assert_int_equal(l->most_in_flight, OVPN_SEND_WINDOW);
    assert_success(ovpn_send(l->b, down, sizeof down));
    move_all(l, 0);
    assert_int_equal(l->to_a.len, sizeof down);
    assert_memory_equal(l->to_a.data, down, sizeof down);
    assert_true(ovpn_all_acked(l->a) && ovpn_all_acked(l->b));
    assert_int_equal(ovpn_stats(l->a).ignored + ovpn_stats(l->b).ignored, 0);
    ovpn_free(l->a);
    ovpn_free(l->b);
    free(l);
}

static void test_exchange_tcp(void **state)
{
    (void)state;
    exchange(OVPN_TCP);
}

static void test_exchange_udp(void **state)
{
    (void)state;
    exchange(OVPN_UDP);
}

/* Every third datagram from the client is lost: retransmissions on the timer carry it all. */
static void test_losses_retransmitted(void **state)
{
    (void)state;
    static uint8_t up[5000];
    fill_pattern(up, sizeof up, 3);
    struct link *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->a = channel(OVPN_CLIENT, OVPN_UDP);
    l->b = channel(OVPN_SERVER, OVPN_UDP);
    l->drop = 3;
    assert_success(ovpn_send(l->a, up, sizeof up));
    uint64_t now = 0;
    for (int i = 0; i < 50 && !ovpn_all_acked(l->a); i++) {
        move_all(l, now);
        now = ovpn_wakeup_at(l->a);
        if (now == UINT64_MAX)
            break;
    }
    assert_true(ovpn_all_acked(l->a));
    assert_int_equal(l->to_b.len, sizeof up);
    assert_memory_equal(l->to_b.data, up, sizeof up);
    assert_true(ovpn_stats(l->a).retransmits > 0);
    assert_int_equal(ovpn_wakeup_at(l->a), UINT64_MAX); /* nothing left in flight */
    ovpn_free(l->a);
    ovpn_free(l->b);
    free(l);
}

/* ---- the send window and timers ---- */

static void test_window_limit(void **state)
{
    (void)state;
    struct ovpn *c = established_client(OVPN_TCP);
    static uint8_t data[10 * OVPN_MAX_PAYLOAD];
    fill_pattern(data, sizeof data, 4);
    assert_success(ovpn_send(c, data, sizeof data));
    struct parsed p;
    uint32_t ids[OVPN_SEND_WINDOW];
    for (size_t i = 0; i < OVPN_SEND_WINDOW; i++) {
        assert_true(next_out(c, 0, true, &p));
        assert_int_equal(p.opcode, OVPN_P_CONTROL_V1);
        assert_int_equal(p.id, i + 1); /* the reset was 0 */
        assert_int_equal(p.payload_len, OVPN_MAX_PAYLOAD);
        assert_memory_equal(p.payload, data + i * OVPN_MAX_PAYLOAD, OVPN_MAX_PAYLOAD);
        /* The first one carries the ack of the server's reset. */
        assert_int_equal(p.ack_count, i == 0);
        ids[i] = p.id;
    }
    assert_false(next_out(c, 0, true, &p)); /* the window is full */
    /* An ack of the second packet alone frees nothing: the first still holds the window. */
    struct sink s = {.len = 0};
    struct pkt ack = {.opcode = OVPN_P_ACK_V1,
                      .session = server_sid,
                      .ack_count = 1,
                      .acks = {ids[1]},
                      .remote = client_sid};
    assert_success(feed_pkt(c, &ack, true, &s));
    assert_false(next_out(c, 0, true, &p));
    ack.acks[0] = ids[0];
    assert_success(feed_pkt(c, &ack, true, &s));
    for (size_t i = 0; i < 2; i++) {
        assert_true(next_out(c, 0, true, &p));
        assert_int_equal(p.id, OVPN_SEND_WINDOW + 1 + i);
    }
    assert_false(next_out(c, 0, true, &p));
    assert_false(ovpn_all_acked(c));
    ovpn_free(c);
}

static void test_retransmission_backoff(void **state)
{
    (void)state;
    struct ovpn *c = channel(OVPN_CLIENT, OVPN_UDP);
    struct parsed p;
    assert_true(next_out(c, 100, false, &p));
    assert_int_equal(p.opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
    assert_int_equal(ovpn_wakeup_at(c), 100 + OVPN_RETRANSMIT_MS);
    assert_false(next_out(c, 100 + OVPN_RETRANSMIT_MS - 1, false, &p));
    uint64_t at = 100 + OVPN_RETRANSMIT_MS;
    uint32_t rto = OVPN_RETRANSMIT_MS;
    for (int i = 0; i < 6; i++) {
        assert_true(next_out(c, at, false, &p));
        assert_int_equal(p.opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
        assert_int_equal(p.id, 0);
        rto = rto * 2 < OVPN_RETRANSMIT_MAX_MS ? rto * 2 : OVPN_RETRANSMIT_MAX_MS;
        assert_int_equal(ovpn_wakeup_at(c), at + rto);
        assert_false(next_out(c, at, false, &p));
        at += rto;
    }
    assert_int_equal(ovpn_stats(c).retransmits, 6);
    /* The server's reset acknowledges it: no more timer. */
    struct pkt sr = server_reset();
    struct sink s = {.len = 0};
    assert_success(feed_pkt(c, &sr, false, &s));
    assert_int_equal(ovpn_wakeup_at(c), UINT64_MAX);
    assert_true(next_out(c, at, false, &p)); /* our ack of its reset */
    assert_int_equal(p.opcode, OVPN_P_ACK_V1);
    assert_int_equal(p.acks[0], 0);
    assert_memory_equal(p.remote, server_sid, OVPN_SESSION_ID_LEN);
    assert_true(ovpn_all_acked(c));
    ovpn_free(c);
}

/* At most 4 acks ride on a control packet (CONTROL_SEND_ACK_MAX); an ack packet takes 8. */
static void test_acks_per_packet(void **state)
{
    (void)state;
    struct ovpn *c = established_client(OVPN_UDP);
    struct sink s = {.len = 0};
    for (uint32_t id = 1; id <= 13; id++) {
        struct pkt pk = server_control(id, (const uint8_t *)"x", 1);
        assert_success(feed_pkt(c, &pk, false, &s));
    }
    assert_int_equal(s.len, 13);
    assert_success(ovpn_send(c, (const uint8_t *)"y", 1));
    struct parsed p;
    assert_true(next_out(c, 0, false, &p));
    assert_int_equal(p.opcode, OVPN_P_CONTROL_V1);
    assert_int_equal(p.ack_count, OVPN_ACKS_PER_CONTROL);
    assert_int_equal(p.acks[0], 0); /* the reset's first */
    assert_true(next_out(c, 0, false, &p));
    assert_int_equal(p.opcode, OVPN_P_ACK_V1);
    assert_int_equal(p.ack_count, OVPN_MAX_ACKS);
    assert_int_equal(p.acks[0], 4);
    assert_int_equal(p.acks[OVPN_MAX_ACKS - 1], 11);
    assert_true(next_out(c, 0, false, &p));
    assert_int_equal(p.ack_count, 2);
    assert_int_equal(p.acks[1], 13);
    assert_false(next_out(c, 0, false, &p));
    ovpn_free(c);
}

/* ---- receiving: order, duplicates, the window ---- */

static void test_reordered_packets(void **state)
{
    (void)state;
    struct ovpn *c = established_client(OVPN_UDP);
    struct sink s = {.len = 0};
    static const uint32_t order[] = {3, 1, 5, 2, 4, 7, 6};
    static const char *const text[] = {"",      "one ",  "two ", "three ",
                                       "four ", "five ", "six ", "seven"};
    for (size_t i = 0; i < HC_ARRAY_LEN(order); i++) {
        const char *t = text[order[i]];
        struct pkt pk = server_control(order[i], (const uint8_t *)t, strlen(t));
        assert_success(feed_pkt(c, &pk, false, &s));
    }
    s.data[s.len] = 0;
    assert_string_equal((const char *)s.data, "one two three four five six seven");
    /* Every one acknowledged, and the reset. */
    struct parsed p;
    unsigned acked = 0;
    while (next_out(c, 0, false, &p))
        acked += p.ack_count;
    assert_int_equal(acked, 8);
    ovpn_free(c);
}

static void test_duplicates_acked_again(void **state)
{
    (void)state;
    struct ovpn *c = established_client(OVPN_UDP);
    drain(c, 0);
    struct sink s = {.len = 0};
    struct pkt pk = server_control(1, (const uint8_t *)"abc", 3);
    assert_success(feed_pkt(c, &pk, false, &s));
    drain(c, 0);
    assert_success(feed_pkt(c, &pk, false, &s)); /* our ack was lost: it comes again */
    assert_int_equal(s.len, 3);
    assert_int_equal(ovpn_stats(c).duplicates, 1);
    struct parsed p;
    assert_true(next_out(c, 0, false, &p));
    assert_int_equal(p.opcode, OVPN_P_ACK_V1);
    assert_int_equal(p.ack_count, 1);
    assert_int_equal(p.acks[0], 1);
    /* A duplicate of a packet held out of order is not kept twice either. */
    struct pkt later = server_control(3, (const uint8_t *)"3", 1);
    assert_success(feed_pkt(c, &later, false, &s));
    assert_success(feed_pkt(c, &later, false, &s));
    assert_int_equal(ovpn_stats(c).duplicates, 2);
    struct pkt two = server_control(2, (const uint8_t *)"2", 1);
    assert_success(feed_pkt(c, &two, false, &s));
    assert_int_equal(s.len, 5);
    assert_memory_equal(s.data, "abc23", 5);
    ovpn_free(c);
}

static void test_beyond_receive_window(void **state)
{
    (void)state;
    struct ovpn *c = established_client(OVPN_UDP);
    drain(c, 0);
    struct sink s = {.len = 0};
    struct pkt far = server_control(1 + OVPN_RECV_WINDOW, (const uint8_t *)"far", 3);
    assert_success(feed_pkt(c, &far, false, &s));
    assert_int_equal(ovpn_stats(c).beyond, 1);
    struct parsed p;
    assert_false(next_out(c, 0, false, &p)); /* not acknowledged: it must come again */
    struct pkt edge = server_control(OVPN_RECV_WINDOW, (const uint8_t *)"edge", 4);
    assert_success(feed_pkt(c, &edge, false, &s)); /* the last id the window holds */
    assert_true(next_out(c, 0, false, &p));
    assert_int_equal(s.len, 0);
    ovpn_free(c);
}

/* ---- TCP streams: whole, byte by byte, split at every offset ---- */

static size_t server_stream(uint8_t *buf, size_t cap, uint8_t *tls, size_t *tls_len)
{
    static const size_t sizes[] = {0, 1, 300, OVPN_MAX_PAYLOAD};
    size_t n = 0, t = 0;
    struct pkt sr = server_reset();
    n += write_pkt(&sr, true, buf + n, cap - n);
    for (size_t i = 0; i < HC_ARRAY_LEN(sizes); i++) {
        fill_pattern(tls + t, sizes[i], (uint8_t)i);
        struct pkt pk = server_control((uint32_t)i + 1, tls + t, sizes[i]);
        n += write_pkt(&pk, true, buf + n, cap - n);
        t += sizes[i];
    }
    struct pkt ack = {.opcode = OVPN_P_ACK_V1,
                      .session = server_sid,
                      .ack_count = 1,
                      .acks = {0},
                      .remote = client_sid};
    n += write_pkt(&ack, true, buf + n, cap - n);
    *tls_len = t;
    return n;
}

static void check_split(const uint8_t *stream, size_t n, const uint8_t *tls, size_t tls_len,
                        size_t piece)
{
    struct ovpn *c = channel(OVPN_CLIENT, OVPN_TCP);
    drain(c, 0);
    struct sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    for (size_t off = 0; off < n; off += piece) {
        size_t len = n - off < piece ? n - off : piece;
        assert_success(ovpn_on_data(c, stream + off, len, collect, s));
    }
    assert_int_equal(s->len, tls_len);
    assert_memory_equal(s->data, tls, tls_len);
    assert_int_equal(ovpn_stats(c).packets_in, 6);
    free(s);
    ovpn_free(c);
}

static void test_stream_whole_and_byte_by_byte(void **state)
{
    (void)state;
    static uint8_t stream[4096], tls[2048];
    size_t tls_len, n = server_stream(stream, sizeof stream, tls, &tls_len);
    check_split(stream, n, tls, tls_len, n);
    check_split(stream, n, tls, tls_len, 1);
    check_split(stream, n, tls, tls_len, 7);
}

static void test_stream_split_at_every_offset(void **state)
{
    (void)state;
    static uint8_t stream[4096], tls[2048];
    size_t tls_len, n = server_stream(stream, sizeof stream, tls, &tls_len);
    for (size_t cut = 1; cut < n; cut++) {
        struct ovpn *c = channel(OVPN_CLIENT, OVPN_TCP);
        drain(c, 0);
        struct sink *s = calloc(1, sizeof *s);
        assert_non_null(s);
        assert_success(ovpn_on_data(c, stream, cut, collect, s));
        assert_success(ovpn_on_data(c, stream + cut, n - cut, collect, s));
        assert_int_equal(s->len, tls_len);
        assert_memory_equal(s->data, tls, tls_len);
        free(s);
        ovpn_free(c);
    }
}

/* ---- hostile and foreign packets ---- */

static void test_other_sessions_ignored(void **state)
{
    (void)state;
    struct ovpn *c = established_client(OVPN_UDP);
    drain(c, 0);
    struct sink s = {.len = 0};
    struct pkt pk = server_control(1, (const uint8_t *)"evil", 4);
    pk.session = other_sid; /* not the session the reset opened */
    assert_success(feed_pkt(c, &pk, false, &s));
    pk = server_control(1, (const uint8_t *)"evil", 4);
    pk.ack_count = 1; /* acks for someone else's session */
    pk.remote = other_sid;
    assert_success(feed_pkt(c, &pk, false, &s));
    pk = server_reset(); /* a second, new reset: a restart we do not follow */
    pk.id = 5;
    assert_success(feed_pkt(c, &pk, false, &s));
    assert_int_equal(s.len, 0);
    assert_int_equal(ovpn_stats(c).ignored, 3);
    struct parsed p;
    assert_false(next_out(c, 0, false, &p)); /* nothing acknowledged */
    pk = server_reset();                     /* a copy of the first reset is acknowledged again */
    assert_success(feed_pkt(c, &pk, false, &s));
    assert_true(next_out(c, 0, false, &p));
    assert_int_equal(p.acks[0], 0);
    ovpn_free(c);
}

static void test_nothing_before_the_reset(void **state)
{
    (void)state;
    struct ovpn *c = channel(OVPN_CLIENT, OVPN_UDP);
    drain(c, 0);
    struct sink s = {.len = 0};
    struct pkt pk = server_control(0, (const uint8_t *)"early", 5);
    assert_success(feed_pkt(c, &pk, false, &s));
    struct pkt cr = {.opcode = OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, .session = server_sid};
    assert_success(feed_pkt(c, &cr, false, &s)); /* a client's reset, sent to a client */
    struct pkt sr = server_reset();
    sr.remote = other_sid; /* it answers someone else's reset */
    assert_success(feed_pkt(c, &sr, false, &s));
    assert_false(ovpn_established(c));
    assert_int_equal(s.len, 0);
    assert_int_equal(ovpn_stats(c).ignored, 3);
    ovpn_free(c);
}

static void test_foreign_opcodes_and_keys_ignored(void **state)
{
    (void)state;
    struct ovpn *c = established_client(OVPN_UDP);
    struct sink s = {.len = 0};
    /* Data channel packets have another layout: skipped unparsed. */
    static const uint8_t data_v2[] = {OVPN_P_DATA_V2 << 3, 0, 0, 1, 0xde, 0xad};
    assert_success(ovpn_on_data(c, data_v2, sizeof data_v2, collect, &s));
    static const uint8_t data_v1[] = {OVPN_P_DATA_V1 << 3 | 1, 0xbe, 0xef};
    assert_success(ovpn_on_data(c, data_v1, sizeof data_v1, collect, &s));
    struct pkt pk = server_control(1, (const uint8_t *)"k", 1);
    pk.key_id = 1; /* a renegotiated key we never asked for */
    assert_success(feed_pkt(c, &pk, false, &s));
    pk = server_control(1, (const uint8_t *)"k", 1);
    pk.opcode = OVPN_P_CONTROL_SOFT_RESET_V1;
    assert_success(feed_pkt(c, &pk, false, &s));
    assert_int_equal(s.len, 0);
    assert_int_equal(ovpn_stats(c).ignored, 4);
    ovpn_free(c);
}

static void test_bad_opcodes(void **state)
{
    (void)state;
    static const uint8_t opcodes[] = {0, 1, 2, 12, 20, 31};
    for (size_t i = 0; i < HC_ARRAY_LEN(opcodes); i++) {
        struct ovpn *c = channel(OVPN_CLIENT, OVPN_UDP);
        struct sink s = {.len = 0};
        struct pkt pk = server_reset();
        pk.opcode = opcodes[i];
        assert_error(feed_pkt(c, &pk, false, &s), HC_ERR_NOT_OPENVPN);
        /* The first error sticks: even a good packet is refused now. */
        pk = server_reset();
        assert_error(feed_pkt(c, &pk, false, &s), HC_ERR_NOT_OPENVPN);
        assert_false(ovpn_established(c));
        const uint8_t *data;
        size_t len;
        ovpn_take_output(c, 0, &data, &len);
        assert_int_equal(len, 0);
        assert_error(ovpn_send(c, (const uint8_t *)"x", 1), HC_ERR_NOT_OPENVPN);
        ovpn_free(c);
    }
}

static void test_huge_ack_array(void **state)
{
    (void)state;
    for (uint8_t count = OVPN_MAX_ACKS; count <= OVPN_MAX_ACKS + 1; count++) {
        struct ovpn *c = established_client(OVPN_TCP);
        struct sink s = {.len = 0};
        struct pkt ack = {.opcode = OVPN_P_ACK_V1,
                          .session = server_sid,
                          .ack_count = count,
                          .remote = client_sid};
        hc_result r = feed_pkt(c, &ack, true, &s);
        assert_error(r, count <= OVPN_MAX_ACKS ? HC_OK : HC_ERR_BAD_OPENVPN);
        ovpn_free(c);
    }
    /* 255 acks claimed, the packet ends long before them. */
    struct ovpn *c = established_client(OVPN_UDP);
    uint8_t pkt[] = {OVPN_P_ACK_V1 << 3, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 255};
    struct sink s = {.len = 0};
    assert_error(ovpn_on_data(c, pkt, sizeof pkt, collect, &s), HC_ERR_BAD_OPENVPN);
    ovpn_free(c);
}

static void test_truncated_and_trailing(void **state)
{
    (void)state;
    struct sink s = {.len = 0};
    uint8_t buf[64];
    struct pkt sr = server_reset();
    size_t n = write_pkt(&sr, false, buf, sizeof buf);
    /* Every proper prefix of a reset is short (the id is the last field). */
    for (size_t cut = 0; cut < n; cut++) {
        struct ovpn *c = channel(OVPN_CLIENT, OVPN_UDP);
        assert_error(ovpn_on_data(c, buf, cut, collect, &s), HC_ERR_SHORT);
        ovpn_free(c);
    }
    struct ovpn *c = established_client(OVPN_UDP);
    struct pkt ack = {.opcode = OVPN_P_ACK_V1,
                      .session = server_sid,
                      .ack_count = 1,
                      .acks = {0},
                      .remote = client_sid};
    n = write_pkt(&ack, false, buf, sizeof buf);
    buf[n++] = 0; /* an ack has no payload */
    assert_error(ovpn_on_data(c, buf, n, collect, &s), HC_ERR_TRAILING);
    ovpn_free(c);
}

static void test_bad_tcp_lengths(void **state)
{
    (void)state;
    static const uint8_t zero[] = {0x00, 0x00, 0x40};
    static const uint8_t too_long[] = {0x10, 0x01};               /* 4097 */
    static const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n"; /* "HT": 18516 */
    static const uint8_t tls_alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28};
    const struct {
        const uint8_t *data;
        size_t len;
    } cases[] = {{zero, sizeof zero},
                 {too_long, sizeof too_long},
                 {http, sizeof http - 1},
                 {tls_alert, sizeof tls_alert}};
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        struct ovpn *c = channel(OVPN_CLIENT, OVPN_TCP);
        struct sink s = {.len = 0};
        /* Judged as soon as the length is there, byte by byte too. */
        hc_result r = HC_SUCCESS;
        for (size_t b = 0; b < cases[i].len && hc_ok(r); b++)
            r = ovpn_on_data(c, cases[i].data + b, 1, collect, &s);
        assert_error(r, HC_ERR_NOT_OPENVPN);
        ovpn_free(c);
    }
    /* The largest length accepted. */
    struct ovpn *c = established_client(OVPN_TCP);
    enum { CONTROL_HEADER = 1 + OVPN_SESSION_ID_LEN + 1 + 4 };
    static uint8_t payload[OVPN_MAX_PACKET - CONTROL_HEADER], big[OVPN_MAX_PACKET + 2];
    fill_pattern(payload, sizeof payload, 5);
    struct pkt pk = server_control(1, payload, sizeof payload);
    struct sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    size_t n = write_pkt(&pk, true, big, sizeof big);
    assert_int_equal(n, OVPN_MAX_PACKET + 2);
    assert_success(ovpn_on_data(c, big, n, collect, s));
    assert_int_equal(s->len, sizeof payload);
    assert_memory_equal(s->data, payload, sizeof payload);
    free(s);
    ovpn_free(c);
}

static void test_send_limits(void **state)
{
    (void)state;
    struct ovpn *c = channel(OVPN_CLIENT, OVPN_TCP);
    uint8_t *big = calloc(1, OVPN_MAX_QUEUED);
    assert_non_null(big);
    assert_success(ovpn_send(c, big, OVPN_MAX_QUEUED - 1));
    assert_success(ovpn_send(c, big, 1));
    assert_error(ovpn_send(c, big, 1), HC_ERR_NO_SPACE);
    assert_success(ovpn_send(c, big, 0));
    free(big);
    ovpn_free(c);
    struct ovpn_config bad = {.role = (enum ovpn_role)7};
    assert_error(ovpn_new(&bad, &c), HC_ERR_USAGE);
    bad = (struct ovpn_config){.framing = (enum ovpn_framing)7};
    assert_error(ovpn_new(&bad, &c), HC_ERR_USAGE);
    ovpn_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_reset_bytes),
        cmocka_unit_test(test_server_answers_reset),
        cmocka_unit_test(test_numbering_starts_at_the_reset),
        cmocka_unit_test(test_exchange_tcp),
        cmocka_unit_test(test_exchange_udp),
        cmocka_unit_test(test_losses_retransmitted),
        cmocka_unit_test(test_window_limit),
        cmocka_unit_test(test_retransmission_backoff),
        cmocka_unit_test(test_acks_per_packet),
        cmocka_unit_test(test_reordered_packets),
        cmocka_unit_test(test_duplicates_acked_again),
        cmocka_unit_test(test_beyond_receive_window),
        cmocka_unit_test(test_stream_whole_and_byte_by_byte),
        cmocka_unit_test(test_stream_split_at_every_offset),
        cmocka_unit_test(test_other_sessions_ignored),
        cmocka_unit_test(test_nothing_before_the_reset),
        cmocka_unit_test(test_foreign_opcodes_and_keys_ignored),
        cmocka_unit_test(test_bad_opcodes),
        cmocka_unit_test(test_huge_ack_array),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_bad_tcp_lengths),
        cmocka_unit_test(test_send_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
