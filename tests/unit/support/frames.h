/* Frames for the traffic analyzer's tests: Ethernet + IPv4 + TCP around a payload, and TLS
 * heartbeat and handshake records to put in them. */
#ifndef HC_FRAMES_H
#define HC_FRAMES_H
#include <stddef.h>
#include <stdint.h>

enum { FRAME_HEADERS = 14 + 20 + 20, FRAME_MAX = FRAME_HEADERS + 70000 };

struct frame_tcp {
    uint8_t src[4], dst[4];
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags; /* TCP flags; ACK|PSH when 0 */
};

/* Writes the frame into out (FRAME_MAX bytes); returns its length. */
size_t frame_tcp(uint8_t *out, const struct frame_tcp *t, const uint8_t *payload, size_t n);

/* A heartbeat record: type 1 or 2, payload_length `claimed`, `sent` payload bytes of `fill`,
 * `padding` zero bytes. Returns its length (out must hold 5 + 3 + sent + padding). */
size_t record_heartbeat(uint8_t *out, uint16_t version, uint8_t type, uint16_t claimed, size_t sent,
                        uint8_t fill, size_t padding);
/* A record of any type whose body is `len` bytes of `fill`. */
size_t record_opaque(uint8_t *out, uint8_t type, uint16_t version, size_t len, uint8_t fill);
/* A ServerHello record choosing `suite` at `version`. */
size_t record_server_hello(uint8_t *out, uint16_t version, uint16_t suite);
/* A ClientHello-looking handshake record (type 1, a short body). */
size_t record_client_hello(uint8_t *out, uint16_t version);
#endif
