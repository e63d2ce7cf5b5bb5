/* Private to src/probe: the prebuilt heartbeat records shared by every probe of a scan. */
#ifndef HC_PROBE_KIT_H
#define HC_PROBE_KIT_H

#include "probe/probe.h"

enum { KIT_VERSIONS = 4 }; /* SSLv3, TLS 1.0, 1.1, 1.2 */
enum kit_record { KIT_PROBE, KIT_FOLLOWUP };
enum { KIT_RECORD_LEN = TLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT };

/* With --leak N the probe sends fewer bytes rather than claiming more: sent + N = 16381 keeps
 * the answer's first record full (16384 bytes), so it bypasses any handshake write buffer and
 * carries the leaked bytes. Only N above 16365 claims more than 16381 (sent stays 16). */
struct probe_kit {
    uint32_t leak_bytes;
    uint16_t probe_sent;  /* payload bytes the probe carries */
    uint16_t probe_claim; /* its payload_length: probe_sent + leak_bytes */
    uint8_t records[2][KIT_VERSIONS][KIT_RECORD_LEN];
    size_t record_len[2];
    uint64_t hello_seed;  /* drawn once: ClientHello randoms derive from it */
    uint64_t hellos_made; /* so that no two ClientHellos of a scan share a random */
};

/* 32 bytes for a ClientHello random. It needs to differ between hellos, not to be secret:
 * a DRBG call per probe cost more than the rest of the probe's own work. */
void kit_hello_random(struct probe_kit *kit, uint8_t out[32]);

/* The record to send for a negotiated version (SSLv3..TLS 1.2). */
void kit_record(const struct probe_kit *kit, enum kit_record which, uint16_t version,
                const uint8_t **data, size_t *len);

/* The payload byte at offset i of the probe or the follow-up: what an echo must show. */
uint8_t kit_payload_byte(enum kit_record which, size_t i);

/* ---- what every probe (server, client, DTLS) does with an answer ---- */

/* Whether an answer's payload (len bytes so far) starts with our own bytes of `which`, up to
 * the `ours` we sent: beyond them lies the peer's memory. False when len is 0. */
bool kit_echoes(enum kit_record which, const uint8_t *payload, size_t len, size_t ours);

/* The same for an answer to this kit's TLS probe or follow-up: its payload_length (claimed)
 * must also be the one we claimed. */
bool kit_is_echo(const struct probe_kit *kit, enum kit_record which, const uint8_t *payload,
                 size_t len, uint16_t claimed);

/* Takes the next len payload bytes of an over-read echo: *seen counts the payload bytes so
 * far; those past kit->probe_sent (up to probe_claim) go to leak, kit->leak_bytes long.
 * Returns how many leaked bytes leak now holds. */
size_t kit_collect_leak(const struct probe_kit *kit, uint8_t *leak, size_t *seen,
                        const uint8_t *data, size_t len);

/* A peer's first bytes as quotable text: printable ASCII, the rest (and quotes) as \xNN. */
void kit_quote(const uint8_t *bytes, size_t n, char *out, size_t cap);

/* Names for reasons, never NULL. */
const char *kit_version_name(uint16_t version);
const char *kit_alert_name(uint8_t description);

#endif
