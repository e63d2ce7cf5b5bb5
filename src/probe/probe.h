/* probe: the Heartbleed probe, server role, as a state machine without sockets or clocks.
 *
 * The driver opens connections, moves bytes and keeps time; the probe decides what to send
 * and what the answers mean (DESIGN.md, "The probe"). After every call the driver asks:
 *   probe_state()       PROBE_WANT_CONNECT: (re)connect, then probe_on_connected or
 *                       probe_on_connect_failed; PROBE_RUNNING: keep the connection;
 *                       PROBE_DONE: read probe_result() and close.
 *   probe_take_output() bytes to write now, as one write (the follow-up heartbeat must not
 *                       share a write with the probe, or nginx-like servers never see it);
 *                       the driver calls it until it gives nothing. Over a datagram
 *                       transport each call gives one datagram.
 *   probe_wakeup_at()   when to call probe_on_tick, in the driver's milliseconds.
 *
 * The default probe is the zero-leak probe: a heartbeat with 16381 payload bytes, claiming
 * exactly those, no padding. A vulnerable OpenSSL echoes our own bytes (nothing of its memory)
 * in a record that bypasses even a 16 KB handshake write buffer; a patched one drops it. A
 * well-formed follow-up heartbeat 100 ms later tells "patched, heartbeat alive" at once. */
#ifndef HC_PROBE_H
#define HC_PROBE_H

#include "base/base.h"
#include "tls/tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_verdict {
    PROBE_VULNERABLE,
    PROBE_PATCHED,        /* malformed heartbeat dropped (heartbeat alive, or silence/close) */
    PROBE_NOT_VULNERABLE, /* no heartbeat support: the server refused it with an alert */
    PROBE_NOT_TLS,
    PROBE_UNREACHABLE,
    PROBE_INCONCLUSIVE,
};

enum probe_state { PROBE_WANT_CONNECT, PROBE_RUNNING, PROBE_DONE };

enum {
    PROBE_PAYLOAD = 16381,          /* 3 + 16381 = 16384: the largest heartbeat one record holds */
    PROBE_FOLLOWUP_PAYLOAD = 16365, /* + 16 padding: its answer is exactly one full record */
    PROBE_MIN_SENT = 16,            /* our own bytes an echo must show, even when over-reading */
    PROBE_MAX_LEAK = 65535 - PROBE_MIN_SENT, /* payload_length is 16 bits */
    PROBE_MAX_ATTEMPTS = 6,
};

/* The 16 KB heartbeat records are the same for every target of a scan: built once, shared,
 * read-only, so a probe in flight costs about 2 KB, not 50. */
struct probe_kit;

HC_MUST_CHECK hc_result probe_kit_new(uint32_t leak_bytes, struct probe_kit **out);
void probe_kit_free(struct probe_kit *kit);

/* What carries the TLS records. Datagram transports (probe_transport_is_datagram) run over
 * UDP: each probe_take_output is one datagram, each probe_on_data call one datagram. */
enum probe_transport {
    PROBE_TCP,         /* TLS over TCP, after the prelude when there is one */
    PROBE_DTLS,        /* DTLS 1.2 / 1.0 over UDP (RFC 6347) */
    PROBE_OPENVPN_TCP, /* TLS inside OpenVPN's control channel; packets length-framed */
    PROBE_OPENVPN_UDP, /* the same, one packet per datagram */
};

bool probe_transport_is_datagram(enum probe_transport t);
const char *probe_transport_name(enum probe_transport t); /* "tcp", "dtls", ... (JSON) */

struct prelude_desc;

struct probe_config {
    enum probe_transport transport;
    /* PROBE_TCP only: the dialogue that leads to TLS (src/proto); NULL: TLS at once. It runs
     * again on every connection the probe makes. */
    const struct prelude_desc *prelude;
    const char *prelude_domain;   /* XMPP to=, EHLO name; NULL: the prelude's default */
    struct probe_kit *kit;        /* shared by a scan's probes; they draw hello randoms from it */
    const char *server_name;      /* SNI; NULL for address targets */
    uint32_t timeout_ms;          /* deadline for the whole target, every attempt included */
    uint32_t followup_ms;         /* delay of the well-formed follow-up heartbeat (100) */
    uint16_t max_version;         /* highest version offered first (TLS 1.2) */
    struct tls_cert_cache *certs; /* shared by the probes of a scan; may be NULL */
};

struct probe_evidence {
    bool server_hello;    /* a ServerHello was parsed */
    uint16_t tls_version; /* negotiated */
    uint16_t cipher;
    bool heartbeat_extension; /* in the ServerHello */
    bool alert_seen;
    struct tls_alert alert; /* last alert that mattered */
    bool cert_seen;         /* a leaf certificate parsed by libcrypto */
    struct tls_cert_info cert;
    size_t chain_length;
    uint16_t claimed_length; /* payload_length of the probe (0: none sent) */
    uint16_t sent_length;    /* payload bytes it carried: fewer than claimed is an over-read */
    size_t leaked_bytes;     /* server memory bytes received beyond our payload */
    unsigned attempts;       /* connections made */
    bool sni_sent;           /* on the attempt that decided */
    const char *prelude;     /* name of the dialogue that led to TLS ("smtp"); NULL: none */
};

struct probe_result {
    enum probe_verdict verdict;
    char reason[256];
    struct probe_evidence evidence;
    const uint8_t *leak; /* leaked_bytes of server memory: a secret, owned by the probe */
};

struct probe;

HC_MUST_CHECK hc_result probe_new(const struct probe_config *cfg, uint64_t now_ms,
                                  struct probe **out);
void probe_free(struct probe *p); /* wipes leaked bytes */

void probe_on_connected(struct probe *p, uint64_t now_ms);
/* why: "connection refused", "no route to host"... Ends the probe: unreachable. */
void probe_on_connect_failed(struct probe *p, uint64_t now_ms, const char *why);
void probe_on_data(struct probe *p, uint64_t now_ms, const uint8_t *data, size_t len);
void probe_on_closed(struct probe *p, uint64_t now_ms, bool reset);
void probe_on_tick(struct probe *p, uint64_t now_ms);

enum probe_state probe_state(const struct probe *p);
/* Bytes to write now; valid until the next call into the probe. *len 0 when none. */
void probe_take_output(struct probe *p, const uint8_t **data, size_t *len);
uint64_t probe_wakeup_at(const struct probe *p);
/* Valid when probe_state() is PROBE_DONE, until probe_free. */
const struct probe_result *probe_result(const struct probe *p);

const char *probe_verdict_name(enum probe_verdict v); /* "vulnerable", "not_tls", ... */

/* ---- the client role (lure.c): `heartcheck clients` plays the server ----
 *
 * One lure per accepted connection. It runs the server side of the prelude when there is
 * one, reads the ClientHello (split anywhere), answers with a ServerHello (the client's
 * version up to TLS 1.2, a suite it offered, its own extensions echoed only when it sent
 * them) and, in the same write, the zero-leak heartbeat, then our Certificate and (for RSA key
 * exchange) ServerHelloDone. The heartbeat goes right behind the ServerHello, before the
 * Certificate: an OpenSSL 1.0.1 client answers heartbeats in any handshake state, but one
 * that verifies certificates would abort on ours before ever reading a heartbeat sent after
 * it. A well-formed follow-up goes out followup_ms later in its own write. Driving it:
 *   lure_take_output()  bytes to write now (one write); call until it gives nothing
 *   lure_done()         true: read lure_result() and close the connection
 *   lure_wakeup_at()    when to call lure_on_tick, in the driver's milliseconds */

struct lure_config {
    struct probe_kit *kit; /* the heartbeat records, shared */
    /* The dialogue before TLS, server role (src/proto); NULL: TLS at once. */
    const struct prelude_desc *prelude;
    const char *prelude_domain; /* the name in greetings; NULL: "localhost" */
    const uint8_t *cert_der;    /* our certificate, shared and read-only */
    size_t cert_len;
    bool cert_rsa; /* its key is RSA: RSA key exchange suites work without ServerKeyExchange */
    uint32_t timeout_ms; /* deadline for the whole connection */
    uint32_t followup_ms;
};

struct lure_evidence {
    const char *prelude;           /* name of the dialogue before TLS; NULL: none */
    bool client_hello;             /* a TLS ClientHello was parsed into hello */
    bool sslv2_hello;              /* an SSLv2-compatible hello was refused */
    uint16_t sslv2_version;        /* the highest version it offered */
    struct tls_client_hello hello; /* versions, ciphers, extensions, SNI, groups */
    char ja3[TLS_JA3_MAX];         /* "" when no hello */
    char ja3_hash[TLS_JA3_HASH_HEX];
    uint16_t tls_version; /* what the ServerHello chose (0: none sent) */
    uint16_t cipher;
    bool alert_seen;
    bool alert_encrypted; /* after the client's ChangeCipherSpec: level and code unknown */
    struct tls_alert alert;
    uint16_t claimed_length; /* payload_length of the probe (0: none sent) */
    uint16_t sent_length;
    size_t leaked_bytes; /* client memory bytes received beyond our payload */
};

struct lure_result {
    enum probe_verdict verdict; /* never PROBE_UNREACHABLE */
    char reason[256];
    struct lure_evidence evidence;
    const uint8_t *leak; /* leaked_bytes of client memory: a secret, owned by the lure */
};

struct lure;

HC_MUST_CHECK hc_result lure_new(const struct lure_config *cfg, uint64_t now_ms, struct lure **out);
void lure_free(struct lure *l); /* wipes leaked bytes */

void lure_on_data(struct lure *l, uint64_t now_ms, const uint8_t *data, size_t len);
void lure_on_closed(struct lure *l, uint64_t now_ms, bool reset);
void lure_on_tick(struct lure *l, uint64_t now_ms);

bool lure_done(const struct lure *l);
/* Bytes to write now; valid until the next call into the lure. *len 0 when none. */
void lure_take_output(struct lure *l, const uint8_t **data, size_t *len);
uint64_t lure_wakeup_at(const struct lure *l);
/* Valid when lure_done(), until lure_free. */
const struct lure_result *lure_result(const struct lure *l);

#endif
