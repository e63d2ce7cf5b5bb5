/* libFuzzer target: one DTLS probe driven through a whole exchange with a fuzzed server.
 *
 * Input: one flags byte (bit 0: over-read kit of 100 bytes instead of the zero-leak one;
 * bit 1: --max-version tls1.1, i.e. DTLS 1.0 only), then chunks. A chunk is a 16-bit length L
 * and L bytes: one datagram from the server, delivered 1 ms after the previous one; L = 0 is
 * an event whose next byte c says: c >= 0x80, an ICMP error on the socket; otherwise time
 * moves on by c * 10 ms. A tick follows every chunk. When the probe wants a new socket it
 * gets one, at most 10 times. Whatever the input, every heartbeat it sends claims at most
 * 16365 bytes (a vulnerable DTLS server aborts above), and a tick past the deadline ends it
 * with a valid verdict and a reason. */
#include "probe/dtls_probe.h"
#include "probe/kit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { TIMEOUT_MS = 5000, MAX_SOCKETS = 10, START_MS = 1000 };

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static struct probe_kit *kit_for(bool over_read)
{
    static struct probe_kit *kits[2];
    if (!kits[over_read] && !hc_ok(probe_kit_new(over_read ? 100 : 0, &kits[over_read])))
        abort();
    return kits[over_read];
}

/* Every datagram the probe sends: DTLS records, heartbeats within the abort bound. */
static void check_datagram(const uint8_t *out, size_t len)
{
    struct wire_reader dg = wire_reader_init(out, len);
    while (wire_remaining(&dg) > 0) {
        struct dtls_record_header h;
        struct wire_reader body;
        CHECK(hc_ok(dtls_record_next(&dg, &h, &body)));
        CHECK(h.type == TLS_CT_HANDSHAKE || h.type == TLS_CT_HEARTBEAT);
        CHECK(h.epoch == 0);
        if (h.type != TLS_CT_HEARTBEAT)
            continue;
        struct tls_heartbeat_header hb;
        CHECK(hc_ok(tls_heartbeat_header_parse(&body, &hb)));
        CHECK(hb.payload_length <= DTLS_PROBE_CLAIM);
    }
}

static void drain(struct probe *p)
{
    for (int i = 0; i < 8; i++) {
        const uint8_t *out;
        size_t len;
        probe_take_output(p, &out, &len);
        if (len == 0)
            return;
        check_datagram(out, len);
    }
}

static size_t step(struct probe *p, uint64_t *now, const uint8_t *in, size_t n)
{
    if (n < 2)
        return n;
    size_t len = (size_t)in[0] << 8 | in[1];
    if (len == 0) {
        uint8_t c = n > 2 ? in[2] : 0;
        if (c >= 0x80)
            probe_on_connect_failed(p, *now, "fuzz: connection refused");
        else
            *now += (uint64_t)c * 10;
        drain(p);
        probe_on_tick(p, *now);
        drain(p);
        return n > 2 ? 3 : 2;
    }
    len = len < n - 2 ? len : n - 2;
    *now += 1;
    probe_on_data(p, *now, in + 2, len);
    drain(p);
    probe_on_tick(p, *now);
    drain(p);
    return 2 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct probe_config cfg = {
        .transport = PROBE_DTLS,
        .kit = kit_for(data[0] & 1),
        .timeout_ms = TIMEOUT_MS,
        .followup_ms = 100,
        .max_version = data[0] & 2 ? TLS_VERSION_TLS11 : TLS_VERSION_TLS12,
    };
    uint64_t now = START_MS;
    struct probe *p;
    if (!hc_ok(probe_new(&cfg, now, &p)))
        abort();
    unsigned sockets = 0;
    size_t at = 1;
    while (probe_state(p) != PROBE_DONE) {
        if (probe_state(p) == PROBE_WANT_CONNECT) {
            if (sockets++ == MAX_SOCKETS) {
                probe_on_connect_failed(p, now, "fuzz: no more sockets");
                break;
            }
            probe_on_connected(p, now);
            drain(p);
            continue;
        }
        if (at >= size)
            break;
        at += step(p, &now, data + at, size - at);
    }
    uint64_t end = now > START_MS + TIMEOUT_MS ? now : START_MS + TIMEOUT_MS;
    CHECK(probe_state(p) == PROBE_DONE || probe_wakeup_at(p) <= end);
    probe_on_tick(p, end + 1);
    drain(p);
    CHECK(probe_state(p) == PROBE_DONE);
    const struct probe_result *r = probe_result(p);
    CHECK((unsigned)r->verdict <= PROBE_INCONCLUSIVE);
    CHECK(memchr(r->reason, '\0', sizeof r->reason) != NULL && r->reason[0] != '\0');
    CHECK(r->evidence.leaked_bytes <= cfg.kit->leak_bytes);
    CHECK(r->evidence.claimed_length <= DTLS_PROBE_CLAIM);
    for (size_t i = 0; i < r->evidence.leaked_bytes; i++)
        (void)*(volatile const uint8_t *)&r->leak[i];
    probe_free(p);
    return 0;
}
