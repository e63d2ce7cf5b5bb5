/* Private to src/probe: the probe over DTLS (RFC 6347), behind probe.c's public functions
 * when probe_config.transport is PROBE_DTLS. Same driver contract, verdicts and evidence;
 * each output is one datagram and each input one datagram.
 *
 * A vulnerable DTLS server ABORTS (OPENSSL_assert(len <= 16384) in dtls1_write_bytes) when
 * its heartbeat answer, 3 + payload_length + 16 bytes, would exceed 16384: every heartbeat
 * sent over DTLS claims at most DTLS_PROBE_CLAIM. */
#ifndef HC_PROBE_DTLS_PROBE_H
#define HC_PROBE_DTLS_PROBE_H

#include "probe/probe.h"

enum {
    DTLS_PROBE_CLAIM = TLS_MAX_PLAINTEXT - TLS_HEARTBEAT_HEADER_LEN - TLS_HEARTBEAT_MIN_PADDING,
    /* --leak N over DTLS sends DTLS_PROBE_CLAIM - N bytes: at least PROBE_MIN_SENT of ours. */
    DTLS_PROBE_MAX_LEAK = DTLS_PROBE_CLAIM - PROBE_MIN_SENT,
    DTLS_INITIAL_RTO_MS = 1000, /* RFC 6347 4.2.4.1: initial retransmission timer */
    DTLS_MAX_RTO_MS = 60000,
    DTLS_MAX_HELLO_SENDS = 6,    /* per ClientHello flight, retransmissions included */
    DTLS_SILENT_HELLO_SENDS = 2, /* unanswered DTLS 1.2 hellos before trying DTLS 1.0 */
    DTLS_PATCHED_ROUNDS = 2,     /* probe dropped while the follow-up is answered, twice */
    DTLS_MAX_HEARTBEAT_ROUNDS = 4,
};

struct dtls_probe;

HC_MUST_CHECK hc_result dtls_probe_new(const struct probe_config *cfg, uint64_t now_ms,
                                       struct dtls_probe **out);
void dtls_probe_free(struct dtls_probe *d);
void dtls_probe_on_connected(struct dtls_probe *d, uint64_t now_ms);
void dtls_probe_on_connect_failed(struct dtls_probe *d, uint64_t now_ms, const char *why);
void dtls_probe_on_data(struct dtls_probe *d, uint64_t now_ms, const uint8_t *data, size_t len);
void dtls_probe_on_tick(struct dtls_probe *d, uint64_t now_ms);
enum probe_state dtls_probe_state(const struct dtls_probe *d);
void dtls_probe_take_output(struct dtls_probe *d, const uint8_t **data, size_t *len);
uint64_t dtls_probe_wakeup_at(const struct dtls_probe *d);
const struct probe_result *dtls_probe_result(const struct dtls_probe *d);

#endif
