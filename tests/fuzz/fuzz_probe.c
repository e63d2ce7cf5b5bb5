/* libFuzzer target: one probe driven through a whole conversation with a fuzzed server.
 *
 * Input: one flags byte (bit 0: over-read kit of 100 bytes instead of the zero-leak one;
 * bit 1: no server name; bits 2-3: the transport, 2 OpenVPN over TCP, 3 over UDP; bits 4-7,
 * over TCP: the prelude, 0 for none, else the (n-1)th of proto_all, so the server's side of
 * every STARTTLS dialogue is fuzzed too), then chunks. A chunk is a length byte L and L bytes from
 * the server, delivered with probe_on_data 1 ms after the previous one; L = 0 is an event whose
 * next byte c says: c >= 0x80, the server closes (reset when c is odd); otherwise time moves
 * on by c * 10 ms. A tick follows every chunk. When the probe wants a connection it gets
 * one, at most 10 times. Whatever the input, a tick past the deadline must end the probe
 * with a valid verdict and a reason. */
#include "ovpn/ovpn.h"
#include "probe/kit.h"
#include "proto/proto.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { TIMEOUT_MS = 5000, MAX_RECONNECTS = 10, START_MS = 1000 };

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* Built once: a kit is read-only and shared by every probe, as in a scan. */
static struct probe_kit *kit_for(bool over_read)
{
    static struct probe_kit *kits[2];
    if (!kits[over_read] && !hc_ok(probe_kit_new(over_read ? 100 : 0, &kits[over_read])))
        abort();
    return kits[over_read];
}

/* The driver's side of every call: take what the probe wants written, and check it. Over
 * OpenVPN each output is one control packet (its first byte is the length's high byte over
 * TCP), and the driver takes them until none is left. */
static bool openvpn; /* this input's transport is one of OpenVPN's */

static void drain(struct probe *p)
{
    bool words = probe_result(p)->evidence.prelude != NULL; /* a dialogue's, then records */
    for (int i = 0; i < 64; i++) {
        const uint8_t *out;
        size_t len;
        probe_take_output(p, &out, &len);
        CHECK(len == 0 || out != NULL);
        if (len == 0)
            return;
        if (openvpn) {
            CHECK(len <= 2 + 64 + OVPN_MAX_PAYLOAD);
            continue;
        }
        CHECK(len <= KIT_RECORD_LEN);
        CHECK(words || out[0] == TLS_CT_HANDSHAKE || out[0] == TLS_CT_HEARTBEAT);
        return;
    }
    __builtin_trap(); /* a probe that never stops writing */
}

static void check_result(const struct probe *p, const struct probe_config *cfg)
{
    CHECK(probe_state(p) == PROBE_DONE);
    const struct probe_result *r = probe_result(p);
    CHECK((unsigned)r->verdict <= PROBE_INCONCLUSIVE);
    CHECK(memchr(r->reason, '\0', sizeof r->reason) != NULL);
    CHECK(r->reason[0] != '\0');
    const struct probe_evidence *ev = &r->evidence;
    CHECK(ev->attempts <= PROBE_MAX_ATTEMPTS);
    CHECK(ev->leaked_bytes <= cfg->kit->leak_bytes);
    CHECK(ev->leaked_bytes == 0 || (r->leak != NULL && r->verdict == PROBE_VULNERABLE));
    CHECK(!ev->sni_sent || cfg->server_name != NULL);
    for (size_t i = 0; i < ev->leaked_bytes; i++)
        (void)*(volatile const uint8_t *)&r->leak[i]; /* readable, for ASan */
}

/* One chunk or event; returns how many input bytes it used. */
static size_t step(struct probe *p, uint64_t *now, const uint8_t *in, size_t n)
{
    size_t len = in[0];
    if (len == 0) {
        uint8_t c = n > 1 ? in[1] : 0;
        if (c >= 0x80)
            probe_on_closed(p, *now, c & 1);
        else
            *now += (uint64_t)c * 10;
        drain(p);
        probe_on_tick(p, *now);
        drain(p);
        return n > 1 ? 2 : 1;
    }
    len = len < n - 1 ? len : n - 1;
    *now += 1;
    probe_on_data(p, *now, in + 1, len);
    drain(p);
    probe_on_tick(p, *now);
    drain(p);
    return 1 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const enum probe_transport transports[] = {PROBE_TCP, PROBE_TCP, PROBE_OPENVPN_TCP,
                                                      PROBE_OPENVPN_UDP};
    size_t preludes;
    const struct prelude_desc *const *all = proto_all(&preludes);
    enum probe_transport transport = transports[(data[0] >> 2) & 3];
    size_t which = transport == PROBE_TCP ? (size_t)(data[0] >> 4) % (preludes + 1) : 0;
    openvpn = transport != PROBE_TCP;
    struct probe_config cfg = {
        .transport = transport,
        .prelude = which ? all[which - 1] : NULL,
        .prelude_domain = "example.com",
        .kit = kit_for(data[0] & 1),
        .server_name = data[0] & 2 ? NULL : "example.com",
        .timeout_ms = TIMEOUT_MS,
        .followup_ms = 100,
        .max_version = TLS_VERSION_TLS12,
    };
    uint64_t now = START_MS;
    struct probe *p;
    if (!hc_ok(probe_new(&cfg, now, &p)))
        abort();
    unsigned connects = 0;
    size_t at = 1;
    while (probe_state(p) != PROBE_DONE) {
        if (probe_state(p) == PROBE_WANT_CONNECT) {
            if (connects++ == MAX_RECONNECTS) {
                probe_on_connect_failed(p, now, "fuzz: no more connections");
                CHECK(probe_state(p) == PROBE_DONE);
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
    check_result(p, &cfg);
    probe_free(p);
    return 0;
}
