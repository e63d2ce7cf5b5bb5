#include "probe/dtls_probe.h"
#include "probe/kit.h"
#include "proto/proto.h"

#include "ovpn/ovpn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase { PH_CONNECT, PH_PRELUDE, PH_HANDSHAKE, PH_PROBED, PH_FOLLOWED, PH_LEAKING, PH_DONE };

enum {
    MAX_HANDSHAKE_MESSAGE = 256 * 1024, /* OpenSSL 1.0.1 accepts certificate lists to 100 KB */
    MAX_WARNINGS = 64,                  /* more warning alerts than this is a flood */
    LEAK_IDLE_MS = 1000,                /* the tail of an over-read may never leave the server */
    JUDGE_BYTES = TLS_HEARTBEAT_HEADER_LEN + 16, /* enough of an answer to know whose it is */
    FIRST_BYTES = 48,                            /* kept to quote a non-TLS reply */
};

struct attempt {
    uint16_t version;
    bool sni;
};

/* Records are consumed as their bytes arrive: no record is ever buffered whole. */
struct record_in {
    uint8_t hdr[TLS_RECORD_HEADER_LEN];
    size_t hdr_len;
    struct tls_record_header cur;
    size_t body_seen;
    uint8_t head[JUDGE_BYTES]; /* first bytes of an alert or heartbeat body */
    size_t head_len;
    bool judged; /* heartbeat: decided on, the rest is skipped or collected */
};

struct probe {
    struct probe_config cfg;
    struct dtls_probe *dtls; /* PROBE_DTLS: every call goes to it (dtls_probe.c) */
    enum phase phase;
    uint64_t deadline;
    uint64_t followup_at;
    uint64_t leak_idle_at;
    struct attempt attempt;
    bool sni_refused;  /* the server refused our SNI (alert unrecognized_name) */
    bool tried_plain;  /* the no-SNI retry of a name target was made */
    unsigned failures; /* handshakes that failed */
    unsigned version_refusals;
    char failure[160]; /* why the last handshake failed */
    /* per connection */
    struct record_in rin;
    uint8_t first[FIRST_BYTES];
    size_t first_len;
    bool any_record;
    struct tls_handshake_buffer hs;
    unsigned warnings;
    struct prelude *prelude; /* the STARTTLS dialogue of this connection, until TLS starts */
    /* The ClientHello, behind the prelude's last words when TLS starts without waiting for
     * the server (MySQL's SSL request). */
    uint8_t hello[1024 + 64];
    const uint8_t *out;
    size_t out_len;
    /* OpenVPN transports: the control channel of this connection, and the time of the last
     * call into the probe, which stamps its packets for retransmission */
    struct ovpn *ovpn;
    uint64_t now;
    /* --leak */
    uint8_t *leak;
    size_t leak_payload_seen;
    struct probe_result result;
};

bool probe_transport_is_datagram(enum probe_transport t)
{
    return t == PROBE_DTLS || t == PROBE_OPENVPN_UDP;
}

const char *probe_transport_name(enum probe_transport t)
{
    static const char *const names[] = {"tcp", "dtls", "openvpn-tcp", "openvpn-udp"};
    return (unsigned)t < HC_ARRAY_LEN(names) ? names[t] : "tcp";
}

static bool over_openvpn(const struct probe *p)
{
    return p->cfg.transport == PROBE_OPENVPN_TCP || p->cfg.transport == PROBE_OPENVPN_UDP;
}

const char *probe_verdict_name(enum probe_verdict v)
{
    static const char *const names[] = {"vulnerable", "patched",     "not_vulnerable",
                                        "not_tls",    "unreachable", "inconclusive"};
    return (unsigned)v < HC_ARRAY_LEN(names) ? names[v] : "inconclusive";
}

/* ---- ending ---- */

__attribute__((format(printf, 3, 4))) static void finish(struct probe *p, enum probe_verdict v,
                                                         const char *fmt, ...)
{
    if (p->phase == PH_DONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->result.reason, sizeof p->result.reason, fmt, ap);
    va_end(ap);
    p->result.verdict = v;
    /* The bare SSLv3 hello has no extensions, so no name either. */
    p->result.evidence.sni_sent =
        p->attempt.sni && p->cfg.server_name && p->attempt.version != TLS_VERSION_SSL3;
    p->result.leak = p->leak;
    p->phase = PH_DONE;
    p->out = NULL;
    p->out_len = 0;
    tls_handshake_buffer_free(&p->hs);
    prelude_free(p->prelude);
    p->prelude = NULL;
}

static void fail(struct probe *p, hc_result r, const char *what)
{
    finish(p, PROBE_INCONCLUSIVE, "%s: %s", what, hc_error_message(r.error));
}

/* ---- attempts: TLS 1.2 -> 1.1 -> 1.0 -> SSLv3, SNI dropped when refused ---- */

static bool plan_next_attempt(struct probe *p, bool name_refused)
{
    if (p->result.evidence.attempts >= PROBE_MAX_ATTEMPTS)
        return false;
    if (name_refused && p->attempt.sni) {
        p->sni_refused = true;
        p->attempt.sni = false; /* same version, without the name it refused */
        return true;
    }
    if (p->tried_plain)
        return false; /* that was the last try */
    if (p->attempt.version > TLS_VERSION_SSL3) {
        p->attempt.version--;
        return true;
    }
    /* Some servers fail every hello that names them wrongly, without saying so. */
    if (p->cfg.server_name && !p->sni_refused) {
        p->tried_plain = true;
        p->attempt = (struct attempt){.version = p->cfg.max_version, .sni = false};
        return true;
    }
    return false;
}

static void attempts_exhausted(struct probe *p)
{
    /* Only when TLS 1.2 itself was refused: a lower --max-version proves nothing. */
    if (p->version_refusals == p->failures && p->cfg.max_version == TLS_VERSION_TLS12)
        finish(p, PROBE_NOT_VULNERABLE,
               "refuses SSLv3 to TLS 1.2 (alert protocol_version each time); OpenSSL 1.0.1 "
               "always speaks one of them");
    else
        finish(p, PROBE_INCONCLUSIVE, "no handshake at any version from %s to SSLv3; last: %s",
               kit_version_name(p->cfg.max_version), p->failure);
}

__attribute__((format(printf, 3, 4))) static void
handshake_failed(struct probe *p, bool name_refused, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(p->failure, sizeof p->failure, "%s: ", kit_version_name(p->attempt.version));
    vsnprintf(p->failure + n, sizeof p->failure - (size_t)n, fmt, ap);
    va_end(ap);
    p->failures++;
    if (plan_next_attempt(p, name_refused)) {
        p->phase = PH_CONNECT;
        p->out = NULL;
        p->out_len = 0;
    } else {
        attempts_exhausted(p);
    }
}

/* ---- sending ---- */

/* prefix: the prelude's last words, sent in the same write (may be empty). */
static void send_client_hello(struct probe *p, const uint8_t *prefix, size_t prefix_len)
{
    bool ssl3 = p->attempt.version == TLS_VERSION_SSL3;
    struct tls_client_hello_params params = {
        .version = p->attempt.version,
        /* TLS 1.0 in the record layer is what 2014 clients sent; some servers reject more. */
        .record_version = ssl3 ? TLS_VERSION_SSL3 : TLS_VERSION_TLS10,
        .server_name = p->attempt.sni ? p->cfg.server_name : NULL,
        /* SSLv3-only servers may choke on extensions; OpenSSL answers heartbeats without. */
        .with_extensions = !ssl3,
    };
    kit_hello_random(p->cfg.kit, params.random);
    struct wire_writer w = wire_writer_init(p->hello, sizeof p->hello);
    wire_write_bytes(&w, prefix, prefix_len);
    hc_result r = tls_client_hello_write(&w, &params);
    if (!hc_ok(r)) {
        fail(p, r, "cannot build the ClientHello");
        return;
    }
    p->out = p->hello;
    p->out_len = w.len;
}

static void send_heartbeat(struct probe *p, enum kit_record which)
{
    kit_record(p->cfg.kit, which, p->result.evidence.tls_version, &p->out, &p->out_len);
}

static void send_probe(struct probe *p, uint64_t now)
{
    tls_handshake_buffer_free(&p->hs); /* the handshake is over for us */
    p->result.evidence.claimed_length = p->cfg.kit->probe_claim;
    p->result.evidence.sent_length = p->cfg.kit->probe_sent;
    send_heartbeat(p, KIT_PROBE);
    p->phase = PH_PROBED;
    p->followup_at = now + p->cfg.followup_ms;
}

/* ---- the prelude: the application's dialogue up to the point where TLS starts ---- */

static void feed(struct probe *p, uint64_t now, const uint8_t *data, size_t len);

static void start_tls(struct probe *p)
{
    const uint8_t *last;
    size_t last_len;
    prelude_take_output(p->prelude, &last, &last_len);
    if (last_len > sizeof p->hello / 2) {
        finish(p, PROBE_INCONCLUSIVE, "the %s request for TLS is too long (%zu bytes)",
               p->result.evidence.prelude, last_len);
        return;
    }
    p->phase = PH_HANDSHAKE;
    p->first_len = 0; /* a non-TLS reply is quoted from where TLS should have started */
    send_client_hello(p, last, last_len);
    prelude_free(p->prelude);
    p->prelude = NULL;
}

/* After every step of the dialogue: send what it says, or leave it for TLS or a verdict. */
static void prelude_step(struct probe *p)
{
    const char *name = p->result.evidence.prelude;
    switch (prelude_status(p->prelude)) {
    case PRELUDE_WANT_READ: {
        const uint8_t *words;
        size_t len;
        prelude_take_output(p->prelude, &words, &len);
        if (len > 0) { /* else what the driver has not taken yet stays */
            p->out = words;
            p->out_len = len;
        }
        break;
    }
    case PRELUDE_READY: start_tls(p); break;
    case PRELUDE_REFUSED:
        /* A service that will not speak TLS here has no heartbeat to probe. */
        finish(p, PROBE_NOT_TLS, "%s: the server does not start TLS: %s", name,
               prelude_reason(p->prelude));
        break;
    case PRELUDE_FAILED:
        finish(p, PROBE_INCONCLUSIVE, "%s dialogue failed: %s", name, prelude_reason(p->prelude));
        break;
    }
}

static void start_prelude(struct probe *p)
{
    struct prelude_params params = {.domain = p->cfg.prelude_domain};
    p->result.evidence.prelude = p->cfg.prelude->name;
    hc_result r = prelude_new(p->cfg.prelude, PRELUDE_CLIENT, &params, &p->prelude);
    if (!hc_ok(r)) {
        fail(p, r, "cannot start the prelude");
        return;
    }
    p->phase = PH_PRELUDE;
    prelude_step(p);
}

static void prelude_data(struct probe *p, uint64_t now, const uint8_t *data, size_t len)
{
    size_t used = prelude_on_data(p->prelude, data, len);
    prelude_step(p);
    if (p->phase == PH_HANDSHAKE && used < len)
        feed(p, now, data + used, len - used); /* the server started TLS at once */
}

/* ---- handshake messages ---- */

static void on_server_hello(struct probe *p, const struct tls_handshake_message *m)
{
    struct probe_evidence *ev = &p->result.evidence;
    struct tls_server_hello sh;
    hc_result r = tls_server_hello_parse(m->body, m->len, &sh);
    if (ev->server_hello) {
        finish(p, PROBE_INCONCLUSIVE, "a second ServerHello");
    } else if (!hc_ok(r)) {
        fail(p, r, "malformed ServerHello");
    } else if (sh.version > p->attempt.version) {
        finish(p, PROBE_INCONCLUSIVE, "the server chose %s, above the %s we offered",
               kit_version_name(sh.version), kit_version_name(p->attempt.version));
    } else {
        ev->server_hello = true;
        ev->tls_version = sh.version;
        ev->cipher = sh.cipher_suite;
        ev->heartbeat_extension = sh.heartbeat;
    }
}

static void on_certificate(struct probe *p, const struct tls_handshake_message *m)
{
    struct probe_evidence *ev = &p->result.evidence;
    struct tls_certificate_chain chain;
    /* The certificate is evidence, not part of the test: a bad one does not stop the probe. */
    if (!hc_ok(tls_certificate_parse(m->body, m->len, &chain)))
        return;
    ev->chain_length = chain.count;
    ev->cert_seen =
        hc_ok(tls_cert_info_cached(p->cfg.certs, chain.leaf, chain.leaf_len, &ev->cert));
}

static void on_handshake_message(struct probe *p, uint64_t now,
                                 const struct tls_handshake_message *m)
{
    bool have_hello = p->result.evidence.server_hello;
    switch (m->type) {
    case TLS_HS_HELLO_REQUEST: return;
    case TLS_HS_SERVER_HELLO: on_server_hello(p, m); return;
    default: break;
    }
    if (!have_hello) {
        finish(p, PROBE_INCONCLUSIVE, "handshake message %u before the ServerHello", m->type);
    } else if (m->type == TLS_HS_CERTIFICATE) {
        on_certificate(p, m);
    } else if (m->type == TLS_HS_SERVER_HELLO_DONE) {
        hc_result r = tls_server_hello_done_parse(m->body, m->len);
        if (hc_ok(r))
            send_probe(p, now); /* heartbeat in plaintext, before our ClientKeyExchange */
        else
            fail(p, r, "malformed ServerHelloDone");
    }
    /* ServerKeyExchange, CertificateRequest, CertificateStatus: nothing we need. */
}

static void on_handshake_bytes(struct probe *p, uint64_t now, const uint8_t *data, size_t len)
{
    if (p->phase != PH_HANDSHAKE)
        return; /* after our probe, handshake records do not matter */
    hc_result r = tls_handshake_append(&p->hs, data, len);
    while (hc_ok(r) && p->phase == PH_HANDSHAKE) {
        struct tls_handshake_message m;
        r = tls_handshake_next(&p->hs, &m);
        if (hc_ok(r))
            on_handshake_message(p, now, &m);
    }
    if (r.error != HC_ERR_SHORT && !hc_ok(r))
        fail(p, r, "bad handshake message");
}

/* ---- alerts ---- */

static void on_alert_after_probe(struct probe *p, const struct tls_alert *a)
{
    if (a->description == TLS_ALERT_PROTOCOL_VERSION)
        finish(p, PROBE_INCONCLUSIVE,
               "the server refused the heartbeat's record version "
               "(alert protocol_version)");
    else if (a->description == TLS_ALERT_UNEXPECTED_MESSAGE)
        finish(p, PROBE_NOT_VULNERABLE,
               "heartbeat refused with alert unexpected_message: no "
               "heartbeat support");
    else
        finish(p, PROBE_NOT_VULNERABLE, "heartbeat refused with alert %s (%u)",
               kit_alert_name(a->description), a->description);
}

static void on_alert(struct probe *p, const struct tls_alert *a)
{
    struct probe_evidence *ev = &p->result.evidence;
    ev->alert_seen = true;
    ev->alert = *a;
    bool closing = a->level == TLS_ALERT_FATAL || a->description == TLS_ALERT_CLOSE_NOTIFY;
    if (!closing) {
        if (++p->warnings > MAX_WARNINGS)
            finish(p, PROBE_INCONCLUSIVE, "alert flood: more than %d warning alerts", MAX_WARNINGS);
        return;
    }
    if (p->phase == PH_HANDSHAKE) {
        if (a->description == TLS_ALERT_PROTOCOL_VERSION)
            p->version_refusals++;
        handshake_failed(p, a->description == TLS_ALERT_UNRECOGNIZED_NAME, "alert %s (%u)",
                         kit_alert_name(a->description), a->description);
    } else if (p->phase == PH_LEAKING) {
        finish(p, PROBE_VULNERABLE, "over-read answered: %zu bytes of server memory received",
               ev->leaked_bytes);
    } else {
        on_alert_after_probe(p, a);
    }
}

static void on_alert_bytes(struct probe *p, const uint8_t *data, size_t len)
{
    struct record_in *ri = &p->rin;
    for (size_t i = 0; i < len && p->phase != PH_DONE && p->phase != PH_CONNECT; i++) {
        ri->head[ri->head_len++] = data[i];
        if (ri->head_len < 2)
            continue;
        struct wire_reader r = wire_reader_init(ri->head, 2);
        struct tls_alert a;
        hc_result res = tls_alert_parse(&r, &a);
        ri->head_len = 0;
        if (hc_ok(res))
            on_alert(p, &a);
        else
            fail(p, res, "bad alert");
    }
}

/* ---- heartbeat answers ---- */

static void finish_leak(struct probe *p)
{
    finish(p, PROBE_VULNERABLE,
           "answered a heartbeat claiming %u byte(s) more than it carried: %zu byte(s) of "
           "server memory received",
           p->cfg.kit->leak_bytes, p->result.evidence.leaked_bytes);
}

static void collect_leak(struct probe *p, uint64_t now, const uint8_t *data, size_t len)
{
    p->result.evidence.leaked_bytes =
        kit_collect_leak(p->cfg.kit, p->leak, &p->leak_payload_seen, data, len);
    p->leak_idle_at = now + LEAK_IDLE_MS;
    if (p->leak_payload_seen >= p->cfg.kit->probe_claim)
        finish_leak(p);
}

static void vulnerable(struct probe *p, uint64_t now)
{
    const struct probe_evidence *ev = &p->result.evidence;
    if (p->cfg.kit->leak_bytes == 0) {
        finish(p, PROBE_VULNERABLE,
               "answered a heartbeat without padding, echoing our %d bytes: the 1.0.1g length "
               "check is missing (no server memory read)%s",
               PROBE_PAYLOAD,
               ev->heartbeat_extension ? "" : "; the ServerHello had no heartbeat extension");
        return;
    }
    p->leak = calloc(1, p->cfg.kit->leak_bytes);
    if (!p->leak) {
        finish(p, PROBE_VULNERABLE, "echoed the probe; out of memory for the over-read");
        return;
    }
    p->phase = PH_LEAKING;
    p->leak_payload_seen = p->rin.head_len - TLS_HEARTBEAT_HEADER_LEN;
    p->leak_idle_at = now + LEAK_IDLE_MS;
}

static void judge_heartbeat(struct probe *p, uint64_t now)
{
    struct record_in *ri = &p->rin;
    ri->judged = true;
    struct wire_reader r = wire_reader_init(ri->head, ri->head_len);
    struct tls_heartbeat_header hb;
    hc_result res = tls_heartbeat_header_parse(&r, &hb);
    if (!hc_ok(res)) {
        fail(p, res, "bad heartbeat record");
        return;
    }
    if (hb.type == TLS_HEARTBEAT_REQUEST)
        return; /* the server's own heartbeat: skip it */
    const uint8_t *payload = wire_peek(&r);
    size_t n = wire_remaining(&r);
    if (kit_is_echo(p->cfg.kit, KIT_PROBE, payload, n, hb.payload_length))
        vulnerable(p, now);
    else if (kit_is_echo(p->cfg.kit, KIT_FOLLOWUP, payload, n, hb.payload_length))
        finish(p, PROBE_PATCHED,
               "dropped the heartbeat without padding and answered the "
               "well-formed one: the 1.0.1g length check is there");
    else
        finish(p, PROBE_INCONCLUSIVE,
               "a heartbeat response that echoes neither of ours (payload_length %u)",
               hb.payload_length);
}

static void on_heartbeat_bytes(struct probe *p, uint64_t now, const uint8_t *data, size_t len)
{
    struct record_in *ri = &p->rin;
    if (p->phase == PH_LEAKING) {
        /* The rest of the first answer record, or a continuation record (RFC 6520 section 4
         * lets one message span records; only the first carries the header). */
        collect_leak(p, now, data, len);
        return;
    }
    if (p->phase != PH_PROBED && p->phase != PH_FOLLOWED)
        return; /* before our probe: a heartbeat request of the server's, ignored */
    size_t want = ri->cur.length < JUDGE_BYTES ? ri->cur.length : JUDGE_BYTES;
    size_t take = 0;
    while (!ri->judged && take < len && ri->head_len < want)
        ri->head[ri->head_len++] = data[take++];
    if (!ri->judged && ri->head_len == want)
        judge_heartbeat(p, now);
    if (p->phase == PH_LEAKING && take < len)
        collect_leak(p, now, data + take, len - take);
}

/* ---- records ---- */

static void not_tls(struct probe *p, hc_result r)
{
    if (p->any_record) {
        fail(p, r, "non-TLS bytes after TLS records");
        return;
    }
    char quoted[4 * FIRST_BYTES + 1];
    kit_quote(p->first, p->first_len, quoted, sizeof quoted);
    /* An SSLv2 SERVER-HELLO: two-byte header with the top bit set, message type 4. */
    if (p->first_len >= 3 && (p->first[0] & 0x80) && p->first[2] == 4)
        finish(p, PROBE_NOT_TLS, "SSLv2-only reply (no TLS, no heartbeats): \"%s\"", quoted);
    else
        finish(p, PROBE_NOT_TLS, "reply is not TLS: \"%s\"", quoted);
}

static void record_started(struct probe *p)
{
    struct record_in *ri = &p->rin;
    struct wire_reader r = wire_reader_init(ri->hdr, sizeof ri->hdr);
    hc_result res = tls_record_header_parse(&r, &ri->cur);
    if (res.error == HC_ERR_NOT_TLS) {
        not_tls(p, res);
    } else if (!hc_ok(res)) {
        fail(p, res, "bad record header");
    } else if (p->phase == PH_HANDSHAKE && (ri->cur.type == TLS_CT_CHANGE_CIPHER_SPEC ||
                                            ri->cur.type == TLS_CT_APPLICATION_DATA)) {
        finish(p, PROBE_INCONCLUSIVE, "unexpected record type %u during the handshake",
               ri->cur.type);
    }
    p->any_record = true;
    ri->body_seen = 0;
    ri->head_len = 0;
    ri->judged = false;
}

static void record_body(struct probe *p, uint64_t now, const uint8_t *data, size_t len)
{
    switch (p->rin.cur.type) {
    case TLS_CT_HANDSHAKE: on_handshake_bytes(p, now, data, len); break;
    case TLS_CT_ALERT: on_alert_bytes(p, data, len); break;
    case TLS_CT_HEARTBEAT: on_heartbeat_bytes(p, now, data, len); break;
    default: break; /* after the probe, other records do not matter */
    }
}

static void record_ended(struct probe *p, uint64_t now)
{
    struct record_in *ri = &p->rin;
    if (ri->cur.type == TLS_CT_HEARTBEAT && !ri->judged &&
        (p->phase == PH_PROBED || p->phase == PH_FOLLOWED))
        judge_heartbeat(p, now); /* shorter than JUDGE_BYTES */
    if (ri->cur.type == TLS_CT_ALERT && ri->head_len != 0 && p->phase != PH_DONE)
        fail(p, HC_RESULT(HC_ERR_BAD_ALERT), "bad alert record");
    ri->hdr_len = 0;
}

static bool reading(const struct probe *p) { return p->phase != PH_DONE && p->phase != PH_CONNECT; }

static void feed(struct probe *p, uint64_t now, const uint8_t *data, size_t len)
{
    struct record_in *ri = &p->rin;
    while (len > 0 && reading(p)) {
        if (ri->hdr_len < TLS_RECORD_HEADER_LEN) {
            size_t take = TLS_RECORD_HEADER_LEN - ri->hdr_len;
            take = take < len ? take : len;
            memcpy(ri->hdr + ri->hdr_len, data, take);
            ri->hdr_len += take;
            data += take;
            len -= take;
            if (ri->hdr_len < TLS_RECORD_HEADER_LEN)
                break;
            record_started(p);
        } else {
            size_t take = ri->cur.length - ri->body_seen;
            take = take < len ? take : len;
            record_body(p, now, data, take);
            ri->body_seen += take;
            data += take;
            len -= take;
        }
        if (reading(p) && ri->hdr_len == TLS_RECORD_HEADER_LEN && ri->body_seen == ri->cur.length)
            record_ended(p, now);
    }
}

static void capture_first(struct probe *p, const uint8_t *data, size_t len)
{
    size_t keep = FIRST_BYTES - p->first_len;
    keep = keep < len ? keep : len;
    if (keep == 0)
        return; /* data may be NULL with len 0 */
    memcpy(p->first + p->first_len, data, keep);
    p->first_len += keep;
}

/* TLS bytes from the server, straight from the socket or out of OpenVPN's channel. */
static void tls_in(struct probe *p, uint64_t now, const uint8_t *data, size_t len)
{
    if (!reading(p))
        return;
    capture_first(p, data, len);
    feed(p, now, data, len);
}

/* ---- OpenVPN: the TLS byte stream inside the control channel (src/ovpn) ---- */

/* The reset is the one packet a server without tls-auth/tls-crypt always answers; with
 * them it drops every packet lacking their HMAC, so silence proves neither verdict. */
static const char no_reset_answer[] =
    "no answer to an OpenVPN hard reset: tls-auth or tls-crypt protects the control channel "
    "(HMAC-signed packets required)";

/* OpenVPN reads TLS through memory BIOs and ends the session on any TLS error, dropping what
 * the library wrote: the unexpected_message alert of a stack without heartbeats never leaves,
 * the session just ends. OpenSSL 1.0.1f answers the probe and 1.0.1g drops it silently
 * (tls1_process_heartbeat returns 0, no error): neither ends the session. */
static const char session_ended[] =
    "heartbeat refused: the OpenVPN server ended the session on it (its TLS library rejected "
    "the record; OpenVPN drops the alert as it closes), where OpenSSL 1.0.1f answers and "
    "1.0.1g drops it and goes on";

static void ovpn_start(struct probe *p)
{
    ovpn_free(p->ovpn);
    p->ovpn = NULL;
    uint8_t random[32];
    kit_hello_random(p->cfg.kit, random); /* a session id must differ, not be secret */
    struct ovpn_config oc = {
        .role = OVPN_CLIENT,
        .framing = p->cfg.transport == PROBE_OPENVPN_UDP ? OVPN_UDP : OVPN_TCP,
    };
    memcpy(oc.session_id, random, sizeof oc.session_id);
    hc_result r = ovpn_new(&oc, &p->ovpn);
    if (!hc_ok(r))
        fail(p, r, "cannot open the OpenVPN channel");
}

static void ovpn_deliver(void *ctx, const uint8_t *data, size_t len)
{
    struct probe *p = ctx;
    tls_in(p, p->now, data, len);
}

static void ovpn_in(struct probe *p, const uint8_t *data, size_t len)
{
    bool answered = ovpn_established(p->ovpn);
    hc_result r = ovpn_on_data(p->ovpn, data, len, ovpn_deliver, p);
    if (hc_ok(r) || !reading(p))
        return;
    if (answered || ovpn_established(p->ovpn)) {
        fail(p, r, "bad OpenVPN packet");
        return;
    }
    char quoted[4 * FIRST_BYTES + 1];
    capture_first(p, data, len);
    kit_quote(p->first, p->first_len, quoted, sizeof quoted);
    finish(p, PROBE_NOT_TLS, "reply is not OpenVPN: \"%s\"", quoted);
}

/* Our TLS bytes enter the channel; its packets leave one per call (one datagram over UDP). */
static void ovpn_out(struct probe *p, const uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (p->out_len) {
        hc_result r = ovpn_send(p->ovpn, p->out, p->out_len);
        p->out = NULL;
        p->out_len = 0;
        if (!hc_ok(r)) {
            fail(p, r, "cannot queue TLS bytes for OpenVPN");
            return;
        }
    }
    if (reading(p))
        ovpn_take_output(p->ovpn, p->now, data, len);
}

/* ---- the driver's interface ---- */

hc_result probe_new(const struct probe_config *cfg, uint64_t now_ms, struct probe **out)
{
    HC_ENSURE(cfg->kit && cfg->max_version >= TLS_VERSION_SSL3 &&
                  cfg->max_version <= TLS_VERSION_TLS12 && cfg->transport <= PROBE_OPENVPN_UDP,
              HC_ERR_USAGE);
    struct probe *p = calloc(1, sizeof *p);
    HC_ENSURE(p, HC_ERR_NOMEM);
    p->cfg = *cfg;
    if (cfg->transport == PROBE_DTLS) {
        hc_result r = dtls_probe_new(cfg, now_ms, &p->dtls);
        if (!hc_ok(r)) {
            free(p);
            return r;
        }
    }
    p->phase = PH_CONNECT;
    p->deadline = now_ms + cfg->timeout_ms;
    p->attempt = (struct attempt){.version = cfg->max_version, .sni = cfg->server_name != NULL};
    tls_handshake_buffer_init(&p->hs, MAX_HANDSHAKE_MESSAGE);
    *out = p;
    return HC_SUCCESS;
}

void probe_free(struct probe *p)
{
    if (!p)
        return;
    dtls_probe_free(p->dtls);
    tls_handshake_buffer_free(&p->hs);
    prelude_free(p->prelude);
    ovpn_free(p->ovpn);
    if (p->leak)
        hc_free_secret(p->leak, p->cfg.kit->leak_bytes);
    hc_wipe(p, sizeof *p);
    free(p);
}

void probe_on_connected(struct probe *p, uint64_t now_ms)
{
    if (p->dtls) {
        dtls_probe_on_connected(p->dtls, now_ms);
        return;
    }
    p->now = now_ms;
    if (p->phase != PH_CONNECT)
        return;
    p->result.evidence.attempts++;
    memset(&p->rin, 0, sizeof p->rin);
    p->first_len = 0;
    p->any_record = false;
    p->warnings = 0;
    p->result.evidence.server_hello = false; /* evidence of a failed attempt is stale */
    p->result.evidence.heartbeat_extension = false;
    tls_handshake_buffer_free(&p->hs);
    if (p->cfg.prelude) {
        start_prelude(p); /* again on every connection: each one starts in plaintext */
        return;
    }
    p->phase = PH_HANDSHAKE;
    if (over_openvpn(p))
        ovpn_start(p); /* a new connection is a new session */
    if (p->phase == PH_HANDSHAKE)
        send_client_hello(p, NULL, 0);
}

void probe_on_connect_failed(struct probe *p, uint64_t now_ms, const char *why)
{
    if (p->dtls) {
        dtls_probe_on_connect_failed(p->dtls, now_ms, why);
        return;
    }
    (void)now_ms;
    if (p->result.evidence.attempts == 0)
        finish(p, PROBE_UNREACHABLE, "%s", why);
    else
        finish(p, PROBE_INCONCLUSIVE, "reconnecting after \"%s\" failed: %s", p->failure, why);
}

void probe_on_data(struct probe *p, uint64_t now_ms, const uint8_t *data, size_t len)
{
    if (p->dtls) {
        dtls_probe_on_data(p->dtls, now_ms, data, len);
        return;
    }
    p->now = now_ms;
    if (!reading(p))
        return;
    if (p->ovpn) {
        ovpn_in(p, data, len);
    } else if (p->phase == PH_PRELUDE) {
        capture_first(p, data, len);
        prelude_data(p, now_ms, data, len);
    } else {
        tls_in(p, now_ms, data, len);
    }
}

/* The heartbeat went unanswered. Was it dropped by a patched OpenSSL, or never understood?
 * OpenSSL 1.0.1 to 1.0.2 (heartbeats compiled in) always echo the heartbeat extension we offer
 * in a TLS ServerHello; a stack without heartbeats (OpenSSL 1.1+, GnuTLS by default, and
 * servers such as Dovecot that close on the error before its alert leaves) never does. Only
 * SSLv3, which has no extensions, leaves it open. Silence is never "vulnerable" either way. */
static bool heartbeats_unknown(const struct probe *p)
{
    const struct probe_evidence *ev = &p->result.evidence;
    return ev->server_hello && ev->tls_version > TLS_VERSION_SSL3 && !ev->heartbeat_extension;
}

void probe_on_closed(struct probe *p, uint64_t now_ms, bool reset)
{
    if (p->dtls) { /* UDP has no close: only an error on the socket ends it */
        dtls_probe_on_connect_failed(p->dtls, now_ms, reset ? "reset" : "closed");
        return;
    }
    (void)now_ms;
    const char *how = reset ? "reset" : "closed";
    switch (p->phase) {
    case PH_PRELUDE:
        prelude_on_closed(p->prelude);
        if (prelude_status(p->prelude) == PRELUDE_REFUSED)
            prelude_step(p);
        else
            finish(p, PROBE_INCONCLUSIVE, "connection %s during the %s dialogue: %s", how,
                   p->result.evidence.prelude, prelude_reason(p->prelude));
        break;
    case PH_HANDSHAKE:
        if (p->ovpn && !ovpn_established(p->ovpn)) {
            finish(p, PROBE_INCONCLUSIVE, "%s; the server %s the connection", no_reset_answer,
                   how); /* OpenVPN closes at once on a packet without a valid HMAC */
            break;
        }
        handshake_failed(p, false, "connection %s %s", how,
                         p->first_len ? "during the handshake" : "after the ClientHello");
        break;
    case PH_PROBED:
    case PH_FOLLOWED:
        if (p->ovpn)
            finish(p, PROBE_NOT_VULNERABLE, "%s", session_ended);
        else if (heartbeats_unknown(p))
            finish(p, PROBE_NOT_VULNERABLE,
                   "no heartbeat support: no heartbeat extension in the %s ServerHello, and the "
                   "server %s the connection instead of answering the heartbeat",
                   kit_version_name(p->result.evidence.tls_version), how);
        else
            finish(p, PROBE_PATCHED,
                   "no answer to the heartbeat without padding; the server %s the connection, "
                   "as OpenSSL 1.0.1g and later do",
                   how);
        break;
    case PH_LEAKING: finish_leak(p); break;
    default: break;
    }
}

static void deadline_passed(struct probe *p)
{
    double secs = p->cfg.timeout_ms / 1000.0;
    switch (p->phase) {
    case PH_CONNECT:
        if (p->result.evidence.attempts == 0)
            finish(p, PROBE_UNREACHABLE, "no connection within %gs", secs);
        else
            finish(p, PROBE_INCONCLUSIVE, "timed out reconnecting after \"%s\"", p->failure);
        break;
    case PH_PRELUDE:
        if (p->first_len == 0)
            finish(p, PROBE_INCONCLUSIVE, "connected, but no %s greeting in %gs",
                   p->result.evidence.prelude, secs);
        else
            finish(p, PROBE_INCONCLUSIVE, "the %s dialogue did not reach TLS in %gs",
                   p->result.evidence.prelude, secs);
        break;
    case PH_HANDSHAKE:
        if (p->ovpn && !ovpn_established(p->ovpn))
            finish(p, PROBE_INCONCLUSIVE, "%s", no_reset_answer);
        else if (p->first_len == 0)
            finish(p, PROBE_INCONCLUSIVE, "connected, but no reply to the %s ClientHello in %gs",
                   kit_version_name(p->attempt.version), secs);
        else
            finish(p, PROBE_INCONCLUSIVE, "handshake incomplete after %gs (no ServerHelloDone)",
                   secs);
        break;
    case PH_PROBED:
    case PH_FOLLOWED:
        /* Over UDP a session that ended sends nothing: the follow-up is never acknowledged. */
        if (p->ovpn && p->phase == PH_FOLLOWED && !ovpn_all_acked(p->ovpn))
            finish(p, PROBE_NOT_VULNERABLE, "%s (our follow-up heartbeat was never acknowledged)",
                   session_ended);
        else if (heartbeats_unknown(p))
            finish(p, PROBE_NOT_VULNERABLE,
                   "no heartbeat support: no heartbeat extension in the %s ServerHello, and no "
                   "answer to either heartbeat in %gs",
                   kit_version_name(p->result.evidence.tls_version), secs);
        else
            finish(p, PROBE_PATCHED,
                   "no answer to the heartbeat without padding nor to the well-formed one in %gs",
                   secs);
        break;
    case PH_LEAKING: finish_leak(p); break;
    default: break;
    }
}

void probe_on_tick(struct probe *p, uint64_t now_ms)
{
    if (p->dtls) {
        dtls_probe_on_tick(p->dtls, now_ms);
        return;
    }
    p->now = now_ms;
    if (p->phase == PH_DONE)
        return;
    if (now_ms >= p->deadline) {
        deadline_passed(p);
    } else if (p->phase == PH_PROBED && now_ms >= p->followup_at) {
        send_heartbeat(p, KIT_FOLLOWUP); /* its own write: nginx wakes up only on new bytes */
        p->phase = PH_FOLLOWED;
    } else if (p->phase == PH_LEAKING && now_ms >= p->leak_idle_at) {
        finish_leak(p);
    }
}

enum probe_state probe_state(const struct probe *p)
{
    if (p->dtls)
        return dtls_probe_state(p->dtls);
    if (p->phase == PH_DONE)
        return PROBE_DONE;
    return p->phase == PH_CONNECT ? PROBE_WANT_CONNECT : PROBE_RUNNING;
}

void probe_take_output(struct probe *p, const uint8_t **data, size_t *len)
{
    if (p->dtls) {
        dtls_probe_take_output(p->dtls, data, len);
        return;
    }
    if (p->ovpn) {
        ovpn_out(p, data, len);
        return;
    }
    *data = p->out;
    *len = p->out_len;
    p->out = NULL;
    p->out_len = 0;
}

uint64_t probe_wakeup_at(const struct probe *p)
{
    if (p->dtls)
        return dtls_probe_wakeup_at(p->dtls);
    uint64_t at = p->deadline;
    if (p->phase == PH_PROBED && p->followup_at < at)
        at = p->followup_at;
    if (p->phase == PH_LEAKING && p->leak_idle_at < at)
        at = p->leak_idle_at;
    if (p->ovpn && reading(p) && ovpn_wakeup_at(p->ovpn) < at)
        at = ovpn_wakeup_at(p->ovpn); /* a retransmission over UDP */
    return at;
}

const struct probe_result *probe_result(const struct probe *p)
{
    return p->dtls ? dtls_probe_result(p->dtls) : &p->result;
}
