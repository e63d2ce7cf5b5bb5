/* libFuzzer target: one OpenVPN control channel fed a fuzzed peer.
 *
 * Input: one flags byte (bit 0: UDP framing instead of TCP; bit 1: the server role), then
 * chunks. A chunk is a length byte L and L bytes from the peer (over UDP, one datagram);
 * L = 0 is an event whose next byte c says: c < 0x80, time moves on by c * 10 ms; otherwise
 * (c & 0x7f) * 300 TLS bytes are queued to send. After every chunk or event every packet the
 * channel wants written is taken and checked: a well-formed packet of our session, key id 0,
 * at most 8 acks, within the sizes we promise; the retransmission timer lies ahead. */
#include "ovpn/ovpn.h"
#include "wire/wire.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static const uint8_t our_session[OVPN_SESSION_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};

struct run {
    struct ovpn *c;
    bool tcp;
    uint64_t now;
    size_t fed_payload_max; /* bytes the peer sent in all: delivery never exceeds them */
    size_t delivered;
};

static void deliver(void *ctx, const uint8_t *data, size_t len)
{
    struct run *run = ctx;
    CHECK(len > 0 && data != NULL);
    run->delivered += len;
    CHECK(run->delivered <= run->fed_payload_max);
    (void)*(volatile const uint8_t *)&data[len - 1]; /* readable, for ASan */
}

/* Our own packet, parsed with the same rules as the peer's. */
static void check_packet(const struct run *run, const uint8_t *p, size_t len)
{
    struct wire_reader r = wire_reader_init(p, len);
    if (run->tcp) {
        uint16_t n;
        CHECK(hc_ok(wire_read_u16(&r, &n)) && n == len - 2);
    }
    uint8_t op, acks;
    CHECK(hc_ok(wire_read_u8(&r, &op)) && (op & 7) == 0);
    uint8_t opcode = op >> OVPN_OPCODE_SHIFT;
    CHECK(opcode == OVPN_P_CONTROL_V1 || opcode == OVPN_P_ACK_V1 ||
          opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 ||
          opcode == OVPN_P_CONTROL_HARD_RESET_SERVER_V2);
    const uint8_t *session;
    CHECK(hc_ok(wire_read_bytes(&r, OVPN_SESSION_ID_LEN, &session)));
    CHECK(memcmp(session, our_session, OVPN_SESSION_ID_LEN) == 0);
    CHECK(hc_ok(wire_read_u8(&r, &acks)) && acks <= OVPN_MAX_ACKS);
    CHECK(opcode == OVPN_P_ACK_V1 ? acks > 0 : acks <= OVPN_ACKS_PER_CONTROL);
    CHECK(hc_ok(wire_skip(&r, acks * 4u + (acks ? OVPN_SESSION_ID_LEN : 0))));
    if (opcode == OVPN_P_ACK_V1) {
        CHECK(hc_ok(wire_reader_end(&r)));
        return;
    }
    uint32_t id;
    CHECK(hc_ok(wire_read_u32(&r, &id)));
    CHECK(wire_remaining(&r) <= OVPN_MAX_PAYLOAD);
}

static void drain(struct run *run)
{
    for (int i = 0; i < 64; i++) {
        const uint8_t *out;
        size_t len;
        ovpn_take_output(run->c, run->now, &out, &len);
        if (len == 0) {
            CHECK(ovpn_wakeup_at(run->c) > run->now);
            return;
        }
        check_packet(run, out, len);
    }
    __builtin_trap(); /* a channel that never stops writing */
}

static size_t step(struct run *run, const uint8_t *in, size_t n)
{
    static uint8_t tls[127 * 300];
    size_t len = in[0];
    if (len == 0) {
        uint8_t c = n > 1 ? in[1] : 0;
        if (c < 0x80)
            run->now += (uint64_t)c * 10;
        else
            (void)ovpn_send(run->c, tls, (size_t)(c & 0x7f) * 300);
        drain(run);
        return n > 1 ? 2 : 1;
    }
    len = len < n - 1 ? len : n - 1;
    run->fed_payload_max += len;
    run->now += 1;
    (void)ovpn_on_data(run->c, in + 1, len, deliver, run);
    drain(run);
    return 1 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct ovpn_config cfg = {
        .framing = data[0] & 1 ? OVPN_UDP : OVPN_TCP,
        .role = data[0] & 2 ? OVPN_SERVER : OVPN_CLIENT,
    };
    memcpy(cfg.session_id, our_session, sizeof our_session);
    struct run run = {.tcp = cfg.framing == OVPN_TCP, .now = 1000};
    if (!hc_ok(ovpn_new(&cfg, &run.c)))
        abort();
    drain(&run);
    for (size_t at = 1; at < size;)
        at += step(&run, data + at, size - at);
    ovpn_free(run.c);
    return 0;
}
