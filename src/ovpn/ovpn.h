/* ovpn: OpenVPN's control channel — the reliability layer that carries the TLS handshake —
 * in both roles, without sockets or clocks (times are passed in).
 *
 * Without tls-auth / tls-crypt a control packet is (OpenVPN's ssl_pkt.h, reliable.c; the
 * Wireshark "openvpn" dissector reads the same fields):
 *
 *   [u16 length]          TCP only: each packet is length-framed; over UDP a datagram is
 *                         exactly one packet
 *   u8  opcode << 3 | key_id
 *   8   session id        of the sender
 *   u8  ack count         at most OVPN_MAX_ACKS
 *   u32 packet id         x ack count: the peer's packets this one acknowledges
 *   8   remote session id only when ack count > 0: the session the acks belong to
 *   u32 message packet id absent in P_ACK_V1
 *   ... payload           TLS bytes (P_CONTROL_V1); empty in our hard resets
 *
 * The client sends P_CONTROL_HARD_RESET_CLIENT_V2, the server answers with
 * P_CONTROL_HARD_RESET_SERVER_V2; then both carry TLS in P_CONTROL_V1. Every packet but
 * P_ACK_V1 has a packet id and must be acknowledged; packets are numbered from the reset's
 * id up, and their payloads form the TLS byte stream in packet-id order.
 *
 * A server with tls-auth or tls-crypt drops every packet without a valid HMAC (or
 * encryption): a plain hard reset gets no answer, and ovpn_established() stays false.
 *
 * Driving a channel (either role):
 *   ovpn_on_data()      bytes from the socket: any piece of the TCP stream, or one whole
 *                       datagram. TLS bytes come out in order through the deliver callback,
 *                       which may call ovpn_send.
 *   ovpn_send()         queues TLS bytes; they leave in control packets as the send window
 *                       and the peer's acknowledgements allow.
 *   ovpn_take_output()  the next packet to write (one datagram over UDP): retransmissions
 *                       due, new control packets, acknowledgements. Call until it gives
 *                       nothing, after every event and at ovpn_wakeup_at. */
#ifndef HC_OVPN_H
#define HC_OVPN_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ovpn_opcode {
    OVPN_P_CONTROL_SOFT_RESET_V1 = 3,
    OVPN_P_CONTROL_V1 = 4,
    OVPN_P_ACK_V1 = 5,
    OVPN_P_DATA_V1 = 6,
    OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 = 7,
    OVPN_P_CONTROL_HARD_RESET_SERVER_V2 = 8,
    OVPN_P_DATA_V2 = 9,
    OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 = 10, /* tls-crypt-v2 */
    OVPN_P_CONTROL_WKC_V1 = 11,               /* tls-crypt-v2 */
};

enum {
    OVPN_OPCODE_SHIFT = 3, /* the low 3 bits are the key id: always 0 for the first key */
    OVPN_SESSION_ID_LEN = 8,
    /* RELIABLE_ACK_SIZE: OpenVPN rejects a packet acknowledging more. */
    OVPN_MAX_ACKS = 8,
    /* CONTROL_SEND_ACK_MAX: acks that ride on a P_CONTROL_V1; P_ACK_V1 carries up to 8. */
    OVPN_ACKS_PER_CONTROL = 4,
    /* TLS_RELIABLE_N_SEND_BUFFERS of OpenVPN 2.0-2.5 (2.6 has 6): packets in flight. A peer
     * drops, unacknowledged, packets beyond its receive window (8; 12 in 2.6), so more in
     * flight would be lost over TCP, where nothing is retransmitted. */
    OVPN_SEND_WINDOW = 4,
    /* Out-of-order packets kept; later ones are dropped unacknowledged and come again. Covers
     * the 6 packets an OpenVPN 2.6 peer keeps in flight. */
    OVPN_RECV_WINDOW = 8,
    /* TLS bytes per packet we send: with the header the packet stays within OpenVPN 2.6's
     * default --tls-mtu (1250), and far within the control buffers of older versions. */
    OVPN_MAX_PAYLOAD = 1200,
    /* The largest packet accepted: above what OpenVPN sends with any usual MTU. A TCP length
     * above it means the peer does not speak OpenVPN ("HT" of "HTTP/1.1" is 18516). */
    OVPN_MAX_PACKET = 4096,
    OVPN_MAX_QUEUED = 256 * 1024, /* TLS bytes waiting to leave (--leak answers are 64 KB) */
    /* Over UDP an unacknowledged packet is sent again after 1 s, then 2, 4, 8 s (OpenVPN
     * backs off exponentially from --tls-timeout, 2 s; a scan's deadline is shorter). */
    OVPN_RETRANSMIT_MS = 1000,
    OVPN_RETRANSMIT_MAX_MS = 8000,
};

enum ovpn_role { OVPN_CLIENT, OVPN_SERVER };
enum ovpn_framing { OVPN_TCP, OVPN_UDP };

struct ovpn_config {
    enum ovpn_role role;
    enum ovpn_framing framing;
    uint8_t session_id[OVPN_SESSION_ID_LEN]; /* ours: random, chosen by the caller */
};

/* Counters for tests and evidence. */
struct ovpn_stats {
    uint32_t packets_in;  /* well-formed packets received */
    uint32_t ignored;     /* not for this session: other session ids, key ids, data channel */
    uint32_t duplicates;  /* received again (acknowledged again) */
    uint32_t beyond;      /* beyond the receive window (dropped, not acknowledged) */
    uint32_t retransmits; /* our packets sent again */
};

/* TLS bytes of the peer, in order. */
typedef void (*ovpn_deliver_fn)(void *ctx, const uint8_t *data, size_t len);

struct ovpn;

HC_MUST_CHECK hc_result ovpn_new(const struct ovpn_config *cfg, struct ovpn **out);
void ovpn_free(struct ovpn *c);

/* HC_ERR_NOT_OPENVPN: a TCP length or an opcode OpenVPN never sends; HC_ERR_BAD_OPENVPN,
 * HC_ERR_SHORT, HC_ERR_TRAILING: a packet that breaks the format. The first error sticks and
 * ends the channel: later calls return it and deliver nothing. Packets of other sessions,
 * other keys and the data channel are ignored, not errors. */
HC_MUST_CHECK hc_result ovpn_on_data(struct ovpn *c, const uint8_t *data, size_t len,
                                     ovpn_deliver_fn deliver, void *ctx);
/* HC_ERR_NO_SPACE beyond OVPN_MAX_QUEUED bytes waiting. */
HC_MUST_CHECK hc_result ovpn_send(struct ovpn *c, const uint8_t *data, size_t len);
/* One packet (with its TCP length), valid until the next call; *len 0 when none is due. */
void ovpn_take_output(struct ovpn *c, uint64_t now_ms, const uint8_t **data, size_t *len);
/* When a retransmission falls due; UINT64_MAX when none can (TCP, or nothing in flight). */
uint64_t ovpn_wakeup_at(const struct ovpn *c);

/* The peer's hard reset arrived: for a client, the server answered. */
bool ovpn_established(const struct ovpn *c);
/* Every TLS byte given to ovpn_send has been acknowledged. */
bool ovpn_all_acked(const struct ovpn *c);
struct ovpn_stats ovpn_stats(const struct ovpn *c);

#endif
