#include "ovpn/ovpn.h"

#include "wire/wire.h"

#include <stdlib.h>
#include <string.h>

enum {
    TCP_LENGTH_LEN = 2,
    PACKET_ID_LEN = 4,
    ACK_QUEUE = 2 * OVPN_RECV_WINDOW, /* ids waiting to be acknowledged */
    /* length, opcode, session id, ack count, acks, remote session id, packet id */
    MAX_HEADER = TCP_LENGTH_LEN + 1 + OVPN_SESSION_ID_LEN + 1 + OVPN_MAX_ACKS * PACKET_ID_LEN +
                 OVPN_SESSION_ID_LEN + PACKET_ID_LEN,
    OUT_MAX = MAX_HEADER + OVPN_MAX_PAYLOAD,
    HALF_ID_SPACE = 0x80000000u, /* packet ids compare modulo 2^32 */
};

/* One of our packets, from the moment it gets an id until the peer acknowledges it. Its
 * payload stays in the send queue at off, for retransmission. */
struct sent_packet {
    uint32_t id;
    uint8_t opcode;
    size_t off, len;
    bool sent, acked;
    uint64_t resend_at;
    uint32_t rto;
};

/* A peer's packet that arrived before the ones it follows. */
struct held_packet {
    bool used;
    uint32_t id;
    uint8_t *data;
    size_t len;
};

struct ovpn {
    struct ovpn_config cfg;
    hc_result status; /* the first error: it ends the channel */
    bool established;
    uint8_t peer_session[OVPN_SESSION_ID_LEN];
    struct ovpn_stats stats;
    /* receiving */
    uint32_t recv_next; /* the peer's next packet id in order */
    struct held_packet held[OVPN_RECV_WINDOW];
    uint32_t acks[ACK_QUEUE];
    size_t ack_count;
    uint8_t frame[TCP_LENGTH_LEN + OVPN_MAX_PACKET]; /* TCP: one packet, reassembled */
    size_t frame_len;
    /* sending */
    uint8_t *queue; /* TLS bytes not yet acknowledged; the in-flight packets' first */
    size_t queue_len, queue_cap;
    size_t queue_in_packets; /* the first queue bytes already given to packets */
    struct sent_packet window[OVPN_SEND_WINDOW]; /* oldest first */
    size_t window_len;
    uint32_t next_id;
    uint8_t out[OUT_MAX];
};

static uint8_t peer_reset_opcode(const struct ovpn *c)
{
    return c->cfg.role == OVPN_CLIENT ? OVPN_P_CONTROL_HARD_RESET_SERVER_V2
                                      : OVPN_P_CONTROL_HARD_RESET_CLIENT_V2;
}

static void queue_packet(struct ovpn *c, uint8_t opcode, size_t len)
{
    c->window[c->window_len++] = (struct sent_packet){
        .id = c->next_id++,
        .opcode = opcode,
        .off = c->queue_in_packets,
        .len = len,
    };
    c->queue_in_packets += len;
}

hc_result ovpn_new(const struct ovpn_config *cfg, struct ovpn **out)
{
    HC_ENSURE(cfg->role == OVPN_CLIENT || cfg->role == OVPN_SERVER, HC_ERR_USAGE);
    HC_ENSURE(cfg->framing == OVPN_TCP || cfg->framing == OVPN_UDP, HC_ERR_USAGE);
    struct ovpn *c = calloc(1, sizeof *c);
    HC_ENSURE(c, HC_ERR_NOMEM);
    c->cfg = *cfg;
    c->status = HC_SUCCESS;
    /* The client speaks first: its hard reset is packet 0 (an id with EARLY_NEG_START's top
     * byte would announce OpenVPN 2.6's early negotiation, which we do not need). */
    if (cfg->role == OVPN_CLIENT)
        queue_packet(c, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, 0);
    *out = c;
    return HC_SUCCESS;
}

void ovpn_free(struct ovpn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < OVPN_RECV_WINDOW; i++)
        free(c->held[i].data);
    free(c->queue);
    free(c);
}

bool ovpn_established(const struct ovpn *c) { return c->established; }

bool ovpn_all_acked(const struct ovpn *c) { return c->window_len == 0 && c->queue_len == 0; }

struct ovpn_stats ovpn_stats(const struct ovpn *c) { return c->stats; }

/* ---- sending ---- */

hc_result ovpn_send(struct ovpn *c, const uint8_t *data, size_t len)
{
    HC_TRY(c->status);
    HC_ENSURE(len <= OVPN_MAX_QUEUED - c->queue_len, HC_ERR_NO_SPACE);
    if (c->queue_len + len > c->queue_cap) {
        size_t cap = c->queue_cap ? c->queue_cap : 4096;
        while (cap < c->queue_len + len)
            cap *= 2;
        uint8_t *q = realloc(c->queue, cap);
        HC_ENSURE(q, HC_ERR_NOMEM);
        c->queue = q;
        c->queue_cap = cap;
    }
    if (len)
        memcpy(c->queue + c->queue_len, data, len);
    c->queue_len += len;
    return HC_SUCCESS;
}

/* Acknowledged packets leave the window, and their bytes the queue, in order only: an
 * acknowledged packet behind an unacknowledged one keeps its place. */
static void release_acked(struct ovpn *c)
{
    size_t done = 0, bytes = 0;
    while (done < c->window_len && c->window[done].acked)
        bytes += c->window[done++].len;
    if (done == 0)
        return;
    memmove(c->window, c->window + done, (c->window_len - done) * sizeof c->window[0]);
    c->window_len -= done;
    for (size_t i = 0; i < c->window_len; i++)
        c->window[i].off -= bytes;
    if (bytes)
        memmove(c->queue, c->queue + bytes, c->queue_len - bytes);
    c->queue_len -= bytes;
    c->queue_in_packets -= bytes;
}

static void on_ack(struct ovpn *c, uint32_t id)
{
    for (size_t i = 0; i < c->window_len; i++)
        if (c->window[i].id == id && c->window[i].sent)
            c->window[i].acked = true;
}

/* The packet to send now: one never sent, or over UDP one whose retransmission is due. */
static struct sent_packet *due_packet(struct ovpn *c, uint64_t now)
{
    for (size_t i = 0; i < c->window_len; i++) {
        struct sent_packet *p = &c->window[i];
        if (!p->sent)
            return p;
        if (c->cfg.framing == OVPN_UDP && !p->acked && now >= p->resend_at) {
            c->stats.retransmits++;
            p->rto = p->rto * 2 < OVPN_RETRANSMIT_MAX_MS ? p->rto * 2 : OVPN_RETRANSMIT_MAX_MS;
            return p;
        }
    }
    /* TLS bytes go out only once the peer's reset gave us its session, and only as many
     * packets as the window holds: the rest waits for acknowledgements. */
    if (!c->established || c->window_len == OVPN_SEND_WINDOW || c->queue_in_packets == c->queue_len)
        return NULL;
    size_t len = c->queue_len - c->queue_in_packets;
    queue_packet(c, OVPN_P_CONTROL_V1, len < OVPN_MAX_PAYLOAD ? len : OVPN_MAX_PAYLOAD);
    return &c->window[c->window_len - 1];
}

/* Writes the acks a packet carries (at most max of the waiting ones) and forgets them. Acks
 * need the peer's session id, so none go before its reset. */
static void write_acks(struct ovpn *c, struct wire_writer *w, size_t max)
{
    size_t n = 0;
    if (c->established)
        n = c->ack_count < max ? c->ack_count : max;
    wire_write_u8(w, (uint8_t)n);
    for (size_t i = 0; i < n; i++)
        wire_write_u32(w, c->acks[i]);
    if (n)
        wire_write_bytes(w, c->peer_session, OVPN_SESSION_ID_LEN);
    memmove(c->acks, c->acks + n, (c->ack_count - n) * sizeof c->acks[0]);
    c->ack_count -= n;
}

/* One packet into c->out; p NULL: a P_ACK_V1. */
static size_t build_packet(struct ovpn *c, const struct sent_packet *p)
{
    struct wire_writer w = wire_writer_init(c->out, sizeof c->out);
    struct wire_mark frame = {0};
    if (c->cfg.framing == OVPN_TCP)
        frame = wire_open(&w, TCP_LENGTH_LEN);
    uint8_t opcode = p ? p->opcode : OVPN_P_ACK_V1;
    wire_write_u8(&w, (uint8_t)(opcode << OVPN_OPCODE_SHIFT)); /* key id 0 */
    wire_write_bytes(&w, c->cfg.session_id, OVPN_SESSION_ID_LEN);
    write_acks(c, &w, p ? OVPN_ACKS_PER_CONTROL : OVPN_MAX_ACKS);
    if (p) {
        wire_write_u32(&w, p->id);
        if (p->len) /* resets carry nothing, and may come before the queue exists */
            wire_write_bytes(&w, c->queue + p->off, p->len);
    }
    if (c->cfg.framing == OVPN_TCP)
        wire_close(&w, frame);
    /* OUT_MAX holds the largest packet we build: a failure here is a bug, and ends the
     * channel rather than sending a broken packet. */
    hc_result r = wire_writer_result(&w);
    if (!hc_ok(r)) {
        c->status = r;
        return 0;
    }
    return w.len;
}

void ovpn_take_output(struct ovpn *c, uint64_t now_ms, const uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (!hc_ok(c->status))
        return;
    struct sent_packet *p = due_packet(c, now_ms);
    if (!p && c->ack_count == 0)
        return;
    size_t n = build_packet(c, p);
    if (n == 0)
        return;
    if (p) {
        if (!p->sent)
            p->rto = OVPN_RETRANSMIT_MS;
        p->sent = true;
        p->resend_at = now_ms + p->rto;
    }
    *data = c->out;
    *len = n;
}

uint64_t ovpn_wakeup_at(const struct ovpn *c)
{
    uint64_t at = UINT64_MAX;
    if (c->cfg.framing != OVPN_UDP || !hc_ok(c->status))
        return at;
    for (size_t i = 0; i < c->window_len; i++) {
        const struct sent_packet *p = &c->window[i];
        if (p->sent && !p->acked && p->resend_at < at)
            at = p->resend_at;
    }
    return at;
}

/* ---- receiving ---- */

struct packet {
    uint8_t opcode;
    uint8_t session[OVPN_SESSION_ID_LEN];
    uint8_t ack_count;
    uint32_t acks[OVPN_MAX_ACKS];
    uint8_t remote_session[OVPN_SESSION_ID_LEN];
    uint32_t id; /* not in P_ACK_V1 */
    const uint8_t *payload;
    size_t payload_len;
};

/* The opcodes this role takes; every other valid one belongs to a feature we never ask for
 * (data channel, renegotiation, tls-crypt-v2) or to the other role. */
static bool taken(const struct ovpn *c, uint8_t opcode)
{
    return opcode == OVPN_P_CONTROL_V1 || opcode == OVPN_P_ACK_V1 || opcode == peer_reset_opcode(c);
}

static hc_result parse_packet(struct wire_reader *r, struct packet *pkt)
{
    HC_TRY(wire_copy_bytes(r, pkt->session, OVPN_SESSION_ID_LEN));
    HC_TRY(wire_read_u8(r, &pkt->ack_count));
    HC_ENSURE(pkt->ack_count <= OVPN_MAX_ACKS, HC_ERR_BAD_OPENVPN);
    for (size_t i = 0; i < pkt->ack_count; i++)
        HC_TRY(wire_read_u32(r, &pkt->acks[i]));
    if (pkt->ack_count)
        HC_TRY(wire_copy_bytes(r, pkt->remote_session, OVPN_SESSION_ID_LEN));
    if (pkt->opcode == OVPN_P_ACK_V1)
        return wire_reader_end(r);
    HC_TRY(wire_read_u32(r, &pkt->id));
    pkt->payload_len = wire_remaining(r);
    return wire_read_bytes(r, pkt->payload_len, &pkt->payload);
}

static void queue_ack(struct ovpn *c, uint32_t id)
{
    for (size_t i = 0; i < c->ack_count; i++)
        if (c->acks[i] == id)
            return;
    /* Full: this one goes unacknowledged, the peer sends it again. */
    if (c->ack_count < ACK_QUEUE)
        c->acks[c->ack_count++] = id;
}

static void deliver_in_order(struct ovpn *c, ovpn_deliver_fn deliver, void *ctx)
{
    for (;;) {
        struct held_packet *h = &c->held[c->recv_next % OVPN_RECV_WINDOW];
        if (!h->used || h->id != c->recv_next)
            return;
        c->recv_next++;
        h->used = false;
        if (h->len)
            deliver(ctx, h->data, h->len);
        free(h->data);
        h->data = NULL;
    }
}

static void hold(struct ovpn *c, const struct packet *pkt)
{
    struct held_packet *h = &c->held[pkt->id % OVPN_RECV_WINDOW];
    if (h->used) {
        c->stats.duplicates++;
        queue_ack(c, pkt->id);
        return;
    }
    uint8_t *copy = pkt->payload_len ? malloc(pkt->payload_len) : NULL;
    if (pkt->payload_len && !copy)
        return; /* dropped unacknowledged: it comes again */
    if (copy)
        memcpy(copy, pkt->payload, pkt->payload_len);
    *h = (struct held_packet){.used = true, .id = pkt->id, .data = copy, .len = pkt->payload_len};
    queue_ack(c, pkt->id);
}

/* Every packet with an id is acknowledged, duplicates again (our first ack may be lost);
 * payloads go out in id order (reliable.c: reliable_not_replay, ..._wont_break_sequentiality). */
static void on_reliable(struct ovpn *c, const struct packet *pkt, ovpn_deliver_fn deliver,
                        void *ctx)
{
    uint32_t ahead = pkt->id - c->recv_next;
    if (ahead >= HALF_ID_SPACE) {
        c->stats.duplicates++;
        queue_ack(c, pkt->id);
    } else if (ahead >= OVPN_RECV_WINDOW) {
        c->stats.beyond++;
    } else if (ahead > 0) {
        hold(c, pkt);
    } else {
        queue_ack(c, pkt->id);
        c->recv_next++;
        if (pkt->opcode == OVPN_P_CONTROL_V1 && pkt->payload_len)
            deliver(ctx, pkt->payload, pkt->payload_len);
        deliver_in_order(c, deliver, ctx);
    }
}

/* The peer's hard reset opens the session: its id and its packet numbering. A server
 * answers with its own reset. */
static void establish(struct ovpn *c, const struct packet *pkt)
{
    c->established = true;
    memcpy(c->peer_session, pkt->session, OVPN_SESSION_ID_LEN);
    c->recv_next = pkt->id;
    if (c->cfg.role == OVPN_SERVER)
        queue_packet(c, OVPN_P_CONTROL_HARD_RESET_SERVER_V2, 0);
}

static bool same_session(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, OVPN_SESSION_ID_LEN) == 0;
}

/* Whether the packet belongs to this session; the peer's reset opens it. */
static bool for_this_session(struct ovpn *c, const struct packet *pkt)
{
    /* Acks name the session they acknowledge: ours, or they are someone else's. */
    if (pkt->ack_count && !same_session(pkt->remote_session, c->cfg.session_id))
        return false;
    bool reset = pkt->opcode == peer_reset_opcode(c);
    if (!c->established) {
        if (!reset)
            return false; /* nothing comes before the peer's reset: it names the session */
        establish(c, pkt);
        return true;
    }
    if (!same_session(pkt->session, c->peer_session))
        return false;
    /* A copy of the first reset is acknowledged again; a new one restarts the peer's
     * session, which a probe does not follow. */
    return !reset || pkt->id - c->recv_next >= HALF_ID_SPACE;
}

static hc_result on_packet(struct ovpn *c, const uint8_t *data, size_t len, ovpn_deliver_fn deliver,
                           void *ctx)
{
    struct wire_reader r = wire_reader_init(data, len);
    uint8_t op_key;
    HC_TRY(wire_read_u8(&r, &op_key));
    struct packet pkt = {.opcode = op_key >> OVPN_OPCODE_SHIFT};
    HC_ENSURE(pkt.opcode >= OVPN_P_CONTROL_SOFT_RESET_V1 && pkt.opcode <= OVPN_P_CONTROL_WKC_V1,
              HC_ERR_NOT_OPENVPN);
    if (!taken(c, pkt.opcode) || (op_key & ((1u << OVPN_OPCODE_SHIFT) - 1)) != 0) {
        c->stats.ignored++;
        return HC_SUCCESS;
    }
    HC_TRY(parse_packet(&r, &pkt));
    c->stats.packets_in++;
    if (!for_this_session(c, &pkt)) {
        c->stats.ignored++;
        return HC_SUCCESS;
    }
    for (size_t i = 0; i < pkt.ack_count; i++)
        on_ack(c, pkt.acks[i]);
    release_acked(c);
    if (pkt.opcode != OVPN_P_ACK_V1)
        on_reliable(c, &pkt, deliver, ctx);
    return HC_SUCCESS;
}

/* TCP: the bytes the packet being reassembled needs in all, its length field included. */
static hc_result frame_want(const struct ovpn *c, size_t *want)
{
    *want = TCP_LENGTH_LEN;
    if (c->frame_len < TCP_LENGTH_LEN)
        return HC_SUCCESS;
    struct wire_reader r = wire_reader_init(c->frame, TCP_LENGTH_LEN);
    uint16_t packet_len;
    HC_TRY(wire_read_u16(&r, &packet_len));
    HC_ENSURE(packet_len > 0 && packet_len <= OVPN_MAX_PACKET, HC_ERR_NOT_OPENVPN);
    *want += packet_len;
    return HC_SUCCESS;
}

/* TCP: packets behind 16-bit lengths, split and joined anyhow by the stream. */
static hc_result on_stream(struct ovpn *c, const uint8_t *data, size_t len, ovpn_deliver_fn deliver,
                           void *ctx)
{
    while (len > 0) {
        size_t want;
        HC_TRY(frame_want(c, &want));
        size_t take = want - c->frame_len < len ? want - c->frame_len : len;
        memcpy(c->frame + c->frame_len, data, take);
        c->frame_len += take;
        data += take;
        len -= take;
        HC_TRY(frame_want(c, &want)); /* a bad length fails as soon as it is complete */
        if (c->frame_len == want) {
            c->frame_len = 0;
            HC_TRY(on_packet(c, c->frame + TCP_LENGTH_LEN, want - TCP_LENGTH_LEN, deliver, ctx));
        }
    }
    return HC_SUCCESS;
}

hc_result ovpn_on_data(struct ovpn *c, const uint8_t *data, size_t len, ovpn_deliver_fn deliver,
                       void *ctx)
{
    HC_TRY(c->status);
    hc_result r = c->cfg.framing == OVPN_TCP ? on_stream(c, data, len, deliver, ctx)
                                             : on_packet(c, data, len, deliver, ctx);
    if (!hc_ok(r))
        c->status = r;
    return r;
}
