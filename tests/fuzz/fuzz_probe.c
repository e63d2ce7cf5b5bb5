/* libFuzzer target: one probe driven through a whole conversation with a fuzzed server.
 *
 * Input: one flags byte (bit 0: over-read kit of 100 bytes instead of the zero-leak one;
 * bit 1: no server name; bits 2-7: the prelude, 0 for none, else the (n-1)th of proto_all,
 * so the server's side of every STARTTLS dialogue is fuzzed too), then chunks. A chunk is a length
 * byte L and L bytes from the server, delivered with probe_on_data 1 ms after the previous one; L =
 * 0 is an event whose next byte c says: c >= 0x80, the server closes (reset when c is odd);
 * otherwise time moves on by c * 10 ms. A tick follows every chunk. When the probe wants a
 * connection it gets one, at most 10 times. Whatever the input, a tick past the deadline must end
 * the probe with a valid verdict and a reason. */
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

/* The driver's side of every call: take what the probe wants written, and check it. */
static void drain(struct probe *p, bool prelude)
{
    const uint8_t *out;
    size_t len;
    probe_take_output(p, &out, &len);
    CHECK(len == 0 || out != NULL);
    CHECK(len <= KIT_RECORD_LEN);
    if (len > 0 && !prelude) /* a dialogue's words come before the records */
        CHECK(out[0] == TLS_CT_HANDSHAKE || out[0] == TLS_CT_HEARTBEAT);
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
static size_t step(struct probe *p, bool prelude, uint64_t *now, const uint8_t *in, size_t n)
{
    size_t len = in[0];
    if (len == 0) {
        uint8_t c = n > 1 ? in[1] : 0;
        if (c >= 0x80)
            probe_on_closed(p, *now, c & 1);
        else
            *now += (uint64_t)c * 10;
        drain(p, prelude);
        probe_on_tick(p, *now);
        drain(p, prelude);
        return n > 1 ? 2 : 1;
    }
    len = len < n - 1 ? len : n - 1;
    *now += 1;
    probe_on_data(p, *now, in + 1, len);
    drain(p, prelude);
    probe_on_tick(p, *now);
    drain(p, prelude);
    return 1 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t preludes;
    const struct prelude_desc *const *all = proto_all(&preludes);
    size_t which = (size_t)(data[0] >> 2) % (preludes + 1);
    bool prelude = which > 0;
    struct probe_config cfg = {
        .prelude = prelude ? all[which - 1] : NULL,
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
            drain(p, prelude);
            continue;
        }
        if (at >= size)
            break;
        at += step(p, prelude, &now, data + at, size - at);
    }
    uint64_t end = now > START_MS + TIMEOUT_MS ? now : START_MS + TIMEOUT_MS;
    CHECK(probe_state(p) == PROBE_DONE || probe_wakeup_at(p) <= end);
    probe_on_tick(p, end + 1);
    drain(p, prelude);
    check_result(p, &cfg);
    probe_free(p);
    return 0;
}
