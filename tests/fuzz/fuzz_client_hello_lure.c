/* libFuzzer target: the lure (`heartcheck clients`' server role) fed a client's bytes.
 * Input: byte 0 picks the prelude (0: none, k: the k-th of proto_all, wrapping), byte 1 the
 * size of the pieces the rest arrives in (1..64, or all at once for 0); the rest is what the
 * client sends: dialogue, ClientHello (any split), records after our probe. Then the follow-up
 * time, the deadline and a close. The lure must end with a verdict and a reason, never write
 * more than its flight and heartbeats, and free everything (ASan). */
#include "probe/probe.h"
#include "proto/proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { T0 = 1000, TIMEOUT = 5000 };

static struct probe_kit *kit;
static const uint8_t cert[600] = {0x30}; /* the lure never parses its own certificate */

static void drain(struct lure *l, size_t *total)
{
    const uint8_t *out;
    size_t len;
    for (lure_take_output(l, &out, &len); len > 0; lure_take_output(l, &out, &len)) {
        if (len > 2 * TLS_MAX_PLAINTEXT + sizeof cert)
            abort(); /* one write is at most the flight with the probe */
        *total += len;
    }
}

static const struct prelude_desc *pick_prelude(uint8_t b)
{
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    size_t k = (size_t)(b & 0x7f) % (count + 1); /* the top bit chooses the key type */
    return k == 0 ? NULL : all[k - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (!kit && !hc_ok(probe_kit_new(0, &kit)))
        abort();
    struct lure_config cfg = {.kit = kit,
                              .prelude = pick_prelude(data[0]),
                              .cert_der = cert,
                              .cert_len = sizeof cert,
                              .cert_rsa = data[0] & 0x80,
                              .timeout_ms = TIMEOUT,
                              .followup_ms = 100};
    size_t piece = data[1] % 65;
    data += 2;
    size -= 2;
    struct lure *l;
    if (!hc_ok(lure_new(&cfg, T0, &l)))
        abort();
    size_t total = 0;
    drain(l, &total);
    for (size_t at = 0; at < size && !lure_done(l);) {
        size_t n = piece == 0 || size - at < piece ? size - at : piece;
        lure_on_data(l, T0 + 1, data + at, n);
        drain(l, &total);
        at += n;
    }
    lure_on_tick(l, T0 + 100);
    drain(l, &total);
    lure_on_tick(l, T0 + TIMEOUT);
    lure_on_closed(l, T0 + TIMEOUT, false);
    drain(l, &total);
    if (!lure_done(l))
        abort();
    const struct lure_result *r = lure_result(l);
    if ((unsigned)r->verdict > PROBE_INCONCLUSIVE || r->verdict == PROBE_UNREACHABLE ||
        r->reason[0] == '\0' || (r->evidence.leaked_bytes && !r->leak))
        abort();
    lure_free(l);
    return 0;
}
