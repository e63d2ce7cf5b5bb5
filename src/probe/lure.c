#include "probe/kit.h"
#include "proto/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase { PH_PRELUDE, PH_HELLO, PH_PROBED, PH_FOLLOWED, PH_LEAKING, PH_DONE };

enum {
    /* A ClientHello is at most a few KB (RFC 8446 caps extensions at 2^16 - 1 bytes): more
     * than this is a flood, and it bounds what one connection costs us. */
    MAX_HELLO = 65536 + 1024,
    LEAK_IDLE_MS = 1000,
    JUDGE_BYTES = TLS_HEARTBEAT_HEADER_LEN + 16,
    FIRST_BYTES = 48,
    /* ServerHello (at most ~110 bytes) and the records around it, beside the certificate. */
    FLIGHT_SLACK = 512,
};

/* Records are consumed as their bytes arrive: no record is ever buffered whole. */
struct record_in {
    uint8_t hdr[TLS_RECORD_HEADER_LEN];
    size_t hdr_len;
    struct tls_record_header cur;
    size_t body_seen;
    uint8_t head[JUDGE_BYTES];
    size_t head_len;
    bool judged;
};

struct lure {
    struct lure_config cfg;
    enum phase phase;
    uint64_t deadline;
    uint64_t followup_at;
    uint64_t leak_idle_at;
    struct prelude *prelude;
    struct record_in rin;
    uint8_t first[FIRST_BYTES]; /* where TLS should start, to quote what came instead */
    size_t first_len;
    bool any_record;
    bool client_ccs; /* the client's ChangeCipherSpec: its later records are encrypted */
    struct tls_handshake_buffer hs;
    uint8_t *flight; /* ServerHello, probe, Certificate, ServerHelloDone */
    const uint8_t *out;
    size_t out_len;
    uint8_t *leak;
    size_t leak_payload_seen;
    struct lure_result result;
};

/* ---- ending ---- */

__attribute__((format(printf, 3, 4))) static void finish(struct lure *l, enum probe_verdict v,
                                                         const char *fmt, ...)
{
    if (l->phase == PH_DONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->result.reason, sizeof l->result.reason, fmt, ap);
    va_end(ap);
    l->result.verdict = v;
    l->result.leak = l->leak;
    l->phase = PH_DONE;
    l->out = NULL;
    l->out_len = 0;
    tls_handshake_buffer_free(&l->hs);
    prelude_free(l->prelude);
    l->prelude = NULL;
}

static void fail(struct lure *l, hc_result r, const char *what)
{
    finish(l, PROBE_INCONCLUSIVE, "%s: %s", what, hc_error_message(r.error));
}

/* OpenSSL 1.0.1 to 1.0.2 put the heartbeat extension in every TLS ClientHello unless built
 * without heartbeats (then safe); SSLv3 hellos have no extensions, so they prove nothing. */
static bool heartbeats_absent(const struct lure *l)
{
    const struct tls_client_hello *ch = &l->result.evidence.hello;
    return ch->version > TLS_VERSION_SSL3 && !ch->heartbeat;
}

/* The heartbeat went unanswered and the connection ended or stalled: how. */
static void unanswered(struct lure *l, const char *how)
{
    if (heartbeats_absent(l))
        finish(l, PROBE_NOT_VULNERABLE,
               "no heartbeat support: no heartbeat extension in its ClientHello, and it %s "
               "instead of answering the heartbeat",
               how);
    else
        finish(l, PROBE_PATCHED,
               "offered heartbeats but did not answer the one without padding (it %s), as "
               "OpenSSL 1.0.1g and later do",
               how);
}

/* ---- the answer to the ClientHello ---- */

static bool offered(const struct tls_client_hello *ch, uint16_t suite)
{
    size_t n =
        ch->cipher_count < TLS_MAX_CLIENT_CIPHERS ? ch->cipher_count : TLS_MAX_CLIENT_CIPHERS;
    for (size_t i = 0; i < n; i++)
        if (ch->ciphers[i] == suite)
            return true;
    return false;
}

/* A suite from our table that the client offered, in our table's order: RSA key exchange
 * first (no ServerKeyExchange needed, so the client goes on to its own flight and a patched
 * one answers the follow-up), then any other. 0 when the client offered none we know. */
static uint16_t choose_cipher(const struct lure *l, uint16_t version)
{
    const struct tls_client_hello *ch = &l->result.evidence.hello;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < tls_cipher_suite_count; i++) {
            const struct tls_cipher_suite *cs = &tls_cipher_suites[i];
            bool rsa_pass = pass == 0;
            if (cs->rsa_kx != rsa_pass || (rsa_pass && !l->cfg.cert_rsa))
                continue;
            if (cs->tls12_only && version < TLS_VERSION_TLS12)
                continue;
            if (offered(ch, cs->id))
                return cs->id;
        }
    return 0;
}

/* The client's version, at most TLS 1.2: the heartbeat (RFC 6520) does not exist in 1.3. */
static uint16_t choose_version(const struct tls_client_hello *ch)
{
    if (ch->version_count == 0)
        return ch->version < TLS_VERSION_TLS12 ? ch->version : TLS_VERSION_TLS12;
    uint16_t best = 0;
    for (size_t i = 0; i < ch->version_count; i++)
        if (ch->versions[i] >= TLS_VERSION_SSL3 && ch->versions[i] <= TLS_VERSION_TLS12 &&
            ch->versions[i] > best)
            best = ch->versions[i];
    return best;
}

static void write_flight(struct lure *l, struct wire_writer *w, bool done)
{
    const struct tls_client_hello *ch = &l->result.evidence.hello;
    struct lure_evidence *ev = &l->result.evidence;
    struct tls_server_hello_params sh = {
        .version = ev->tls_version,
        .cipher_suite = ev->cipher,
        .heartbeat = ch->heartbeat, /* RFC 5246 7.4.1.4: only extensions the client sent */
        .renegotiation_info = ch->renegotiation_info,
    };
    kit_hello_random(l->cfg.kit, sh.random);
    struct wire_mark rec = tls_record_open(w, TLS_CT_HANDSHAKE, ev->tls_version);
    tls_server_hello_write(w, &sh);
    wire_close(w, rec);
    const uint8_t *probe;
    size_t probe_len;
    kit_record(l->cfg.kit, KIT_PROBE, ev->tls_version, &probe, &probe_len);
    wire_write_bytes(w, probe, probe_len);
    rec = tls_record_open(w, TLS_CT_HANDSHAKE, ev->tls_version);
    tls_certificate_write(w, l->cfg.cert_der, l->cfg.cert_len);
    /* Without RSA key exchange the client now waits for a ServerKeyExchange we do not send:
     * it keeps reading, and a patched client still answers the follow-up. */
    if (done)
        tls_server_hello_done_write(w);
    wire_close(w, rec);
}

static void answer_hello(struct lure *l, uint64_t now)
{
    struct lure_evidence *ev = &l->result.evidence;
    uint16_t version = choose_version(&ev->hello);
    if (version == 0) {
        finish(l, PROBE_NOT_VULNERABLE,
               "offers TLS 1.3 only (supported_versions): TLS 1.3 has no heartbeats");
        return;
    }
    uint16_t cipher = choose_cipher(l, version);
    if (cipher == 0) {
        finish(l, PROBE_INCONCLUSIVE,
               "offers none of the %zu cipher suites heartcheck knows for %s; not answered",
               tls_cipher_suite_count, kit_version_name(version));
        return;
    }
    const struct tls_cipher_suite *cs = tls_cipher_suite_find(cipher);
    ev->tls_version = version;
    ev->cipher = cipher;
    /* The prelude's last words, when the client sent its hello without waiting for them. */
    size_t pending = l->out_len;
    size_t cap = pending + l->cfg.cert_len + KIT_RECORD_LEN + FLIGHT_SLACK;
    l->flight = malloc(cap);
    if (!l->flight) {
        fail(l, HC_RESULT(HC_ERR_NOMEM), "cannot answer the ClientHello");
        return;
    }
    struct wire_writer w = wire_writer_init(l->flight, cap);
    wire_write_bytes(&w, l->out, pending);
    write_flight(l, &w, cs && cs->rsa_kx);
    hc_result r = wire_writer_result(&w);
    if (!hc_ok(r)) {
        fail(l, r, "cannot build the ServerHello");
        return;
    }
    tls_handshake_buffer_free(&l->hs); /* the client's hello was all we wanted to read */
    ev->claimed_length = l->cfg.kit->probe_claim;
    ev->sent_length = l->cfg.kit->probe_sent;
    l->out = l->flight;
    l->out_len = w.len;
    l->phase = PH_PROBED;
    l->followup_at = now + l->cfg.followup_ms;
}

static void on_client_hello(struct lure *l, uint64_t now, const struct tls_handshake_message *m)
{
    struct lure_evidence *ev = &l->result.evidence;
    if (m->type != TLS_HS_CLIENT_HELLO) {
        finish(l, PROBE_INCONCLUSIVE, "first handshake message is of type %u, not a ClientHello",
               m->type);
        return;
    }
    hc_result r = tls_client_hello_parse(m->body, m->len, &ev->hello);
    if (!hc_ok(r)) {
        fail(l, r, "malformed ClientHello");
        return;
    }
    ev->client_hello = true;
    if (!hc_ok(tls_ja3(&ev->hello, ev->ja3, sizeof ev->ja3, ev->ja3_hash))) {
        ev->ja3[0] = '\0'; /* evidence only: the probe goes on without it */
        ev->ja3_hash[0] = '\0';
    }
    answer_hello(l, now);
}

static void on_handshake_bytes(struct lure *l, uint64_t now, const uint8_t *data, size_t len)
{
    if (l->phase != PH_HELLO)
        return; /* the client's key exchange and Finished: nothing to judge */
    hc_result r = tls_handshake_append(&l->hs, data, len);
    if (!hc_ok(r)) {
        fail(l, r, "reading the ClientHello");
        return;
    }
    struct tls_handshake_message m;
    r = tls_handshake_next(&l->hs, &m);
    if (hc_ok(r))
        on_client_hello(l, now, &m);
    else if (r.error != HC_ERR_SHORT)
        fail(l, r, "reading the ClientHello");
}

/* ---- alerts ---- */

static void on_alert(struct lure *l, const struct tls_alert *a)
{
    struct lure_evidence *ev = &l->result.evidence;
    ev->alert_seen = true;
    ev->alert = *a;
    if (a->level == TLS_ALERT_WARNING && a->description != TLS_ALERT_CLOSE_NOTIFY)
        return; /* a warning does not end the handshake */
    char what[64];
    snprintf(what, sizeof what, "alert %s (%u)", kit_alert_name(a->description), a->description);
    switch (l->phase) {
    case PH_HELLO: finish(l, PROBE_INCONCLUSIVE, "sent %s before its ClientHello", what); break;
    case PH_LEAKING:
        finish(l, PROBE_VULNERABLE, "over-read answered: %zu byte(s) of client memory received",
               ev->leaked_bytes);
        break;
    default:
        if (a->description == TLS_ALERT_CLOSE_NOTIFY) {
            unanswered(l, "closed the connection (close_notify)");
            break;
        }
        /* unexpected_message is how stacks without heartbeats (OpenSSL 1.1+, GnuTLS before
         * the handshake ends) refuse one. Any other alert came after the client went past
         * our heartbeat without answering it: our certificate or key exchange failed. */
        if (a->description == TLS_ALERT_UNEXPECTED_MESSAGE || heartbeats_absent(l))
            finish(l, PROBE_NOT_VULNERABLE, "refused the heartbeat with %s", what);
        else
            finish(l, PROBE_PATCHED,
                   "went past the heartbeat without padding without answering it, then sent "
                   "%s: the 1.0.1g length check is there",
                   what);
        break;
    }
}

static void on_alert_bytes(struct lure *l, const uint8_t *data, size_t len)
{
    struct record_in *ri = &l->rin;
    if (l->client_ccs) {
        ri->judged = true; /* judged at the end of the record: its content is encrypted */
        return;
    }
    for (size_t i = 0; i < len && l->phase != PH_DONE; i++) {
        ri->head[ri->head_len++] = data[i];
        if (ri->head_len < 2)
            continue;
        struct wire_reader r = wire_reader_init(ri->head, 2);
        struct tls_alert a;
        hc_result res = tls_alert_parse(&r, &a);
        ri->head_len = 0;
        if (hc_ok(res))
            on_alert(l, &a);
        else
            fail(l, res, "bad alert");
    }
}

/* ---- heartbeat answers ---- */

static void finish_leak(struct lure *l)
{
    finish(l, PROBE_VULNERABLE,
           "answered a heartbeat claiming %u byte(s) more than it carried: %zu byte(s) of "
           "client memory received",
           l->cfg.kit->leak_bytes, l->result.evidence.leaked_bytes);
}

static void collect_leak(struct lure *l, uint64_t now, const uint8_t *data, size_t len)
{
    l->result.evidence.leaked_bytes =
        kit_collect_leak(l->cfg.kit, l->leak, &l->leak_payload_seen, data, len);
    l->leak_idle_at = now + LEAK_IDLE_MS;
    if (l->leak_payload_seen >= l->cfg.kit->probe_claim)
        finish_leak(l);
}

static void vulnerable(struct lure *l, uint64_t now)
{
    if (l->cfg.kit->leak_bytes == 0) {
        finish(l, PROBE_VULNERABLE,
               "answered a heartbeat without padding, echoing our %u bytes: the 1.0.1g length "
               "check is missing (no client memory read)",
               l->cfg.kit->probe_sent);
        return;
    }
    l->leak = calloc(1, l->cfg.kit->leak_bytes);
    if (!l->leak) {
        finish(l, PROBE_VULNERABLE, "echoed the probe; out of memory for the over-read");
        return;
    }
    l->phase = PH_LEAKING;
    l->leak_payload_seen = l->rin.head_len - TLS_HEARTBEAT_HEADER_LEN;
    l->leak_idle_at = now + LEAK_IDLE_MS;
}

static void judge_heartbeat(struct lure *l, uint64_t now)
{
    struct record_in *ri = &l->rin;
    ri->judged = true;
    struct wire_reader r = wire_reader_init(ri->head, ri->head_len);
    struct tls_heartbeat_header hb;
    hc_result res = tls_heartbeat_header_parse(&r, &hb);
    if (!hc_ok(res)) {
        fail(l, res, "bad heartbeat record");
        return;
    }
    if (hb.type == TLS_HEARTBEAT_REQUEST)
        return; /* the client's own heartbeat: skip it */
    const uint8_t *payload = wire_peek(&r);
    size_t n = wire_remaining(&r);
    if (kit_is_echo(l->cfg.kit, KIT_PROBE, payload, n, hb.payload_length))
        vulnerable(l, now);
    else if (kit_is_echo(l->cfg.kit, KIT_FOLLOWUP, payload, n, hb.payload_length))
        finish(l, PROBE_PATCHED,
               "dropped the heartbeat without padding and answered the well-formed one: the "
               "1.0.1g length check is there");
    else
        finish(l, PROBE_INCONCLUSIVE,
               "a heartbeat response that echoes neither of ours (payload_length %u)",
               hb.payload_length);
}

static void on_heartbeat_bytes(struct lure *l, uint64_t now, const uint8_t *data, size_t len)
{
    struct record_in *ri = &l->rin;
    if (l->phase == PH_LEAKING) {
        collect_leak(l, now, data, len); /* continuation records carry no header */
        return;
    }
    if (l->phase != PH_PROBED && l->phase != PH_FOLLOWED)
        return; /* before our probe: a heartbeat request of the client's, ignored */
    if (l->client_ccs) {
        /* Encrypted: only our follow-up, answered once the client switched to its keys, can
         * come this late; the probe's answer would have left before its key exchange. */
        if (l->phase == PH_FOLLOWED)
            finish(l, PROBE_PATCHED,
                   "dropped the heartbeat without padding and answered the well-formed one "
                   "(encrypted, after its ChangeCipherSpec): the 1.0.1g length check is there");
        return;
    }
    size_t want = ri->cur.length < JUDGE_BYTES ? ri->cur.length : JUDGE_BYTES;
    size_t take = 0;
    while (!ri->judged && take < len && ri->head_len < want)
        ri->head[ri->head_len++] = data[take++];
    if (!ri->judged && ri->head_len == want)
        judge_heartbeat(l, now);
    if (l->phase == PH_LEAKING && take < len)
        collect_leak(l, now, data + take, len - take);
}

/* ---- records ---- */

/* An SSLv2-compatible CLIENT-HELLO (RFC 6101 appendix E.1; RFC 5246 appendix E.2): a 2-byte
 * length with the top bit set, msg_type 1, then the highest version the client speaks. */
static bool sslv2_hello(struct lure *l)
{
    if (l->first_len < 5 || !(l->first[0] & 0x80) || l->first[2] != 1)
        return false;
    l->result.evidence.sslv2_hello = true;
    l->result.evidence.sslv2_version = (uint16_t)(l->first[3] << 8 | l->first[4]);
    return true;
}

static void not_tls(struct lure *l, hc_result r)
{
    if (l->any_record) {
        fail(l, r, "non-TLS bytes after TLS records");
        return;
    }
    char quoted[4 * FIRST_BYTES + 1];
    kit_quote(l->first, l->first_len, quoted, sizeof quoted);
    if (sslv2_hello(l))
        finish(l, PROBE_INCONCLUSIVE,
               "sent an SSLv2-compatible ClientHello (up to %s); heartcheck answers only TLS "
               "hellos, so its heartbeats were not tested",
               kit_version_name(l->result.evidence.sslv2_version));
    else
        finish(l, PROBE_NOT_TLS, "what it sent is not TLS: \"%s\"", quoted);
}

static void record_started(struct lure *l)
{
    struct record_in *ri = &l->rin;
    struct wire_reader r = wire_reader_init(ri->hdr, sizeof ri->hdr);
    hc_result res = tls_record_header_parse(&r, &ri->cur);
    if (res.error == HC_ERR_NOT_TLS)
        not_tls(l, res);
    else if (!hc_ok(res))
        fail(l, res, "bad record header");
    else if (l->phase == PH_HELLO && ri->cur.type != TLS_CT_HANDSHAKE &&
             ri->cur.type != TLS_CT_ALERT)
        finish(l, PROBE_INCONCLUSIVE, "record of type %u before its ClientHello", ri->cur.type);
    l->any_record = true;
    ri->body_seen = 0;
    ri->head_len = 0;
    ri->judged = false;
}

static void record_body(struct lure *l, uint64_t now, const uint8_t *data, size_t len)
{
    switch (l->rin.cur.type) {
    case TLS_CT_HANDSHAKE: on_handshake_bytes(l, now, data, len); break;
    case TLS_CT_ALERT: on_alert_bytes(l, data, len); break;
    case TLS_CT_HEARTBEAT: on_heartbeat_bytes(l, now, data, len); break;
    default: break; /* ChangeCipherSpec is noted when the record ends */
    }
}

static void record_ended(struct lure *l, uint64_t now)
{
    struct record_in *ri = &l->rin;
    struct lure_evidence *ev = &l->result.evidence;
    if (ri->cur.type == TLS_CT_CHANGE_CIPHER_SPEC)
        l->client_ccs = true;
    if (ri->cur.type == TLS_CT_HEARTBEAT && !ri->judged && !l->client_ccs &&
        (l->phase == PH_PROBED || l->phase == PH_FOLLOWED))
        judge_heartbeat(l, now); /* shorter than JUDGE_BYTES */
    if (ri->cur.type == TLS_CT_ALERT && ri->judged && l->phase != PH_DONE) {
        ev->alert_seen = true;
        ev->alert_encrypted = true;
        unanswered(l, "sent an encrypted alert");
    } else if (ri->cur.type == TLS_CT_ALERT && ri->head_len != 0 && l->phase != PH_DONE) {
        fail(l, HC_RESULT(HC_ERR_BAD_ALERT), "bad alert record");
    }
    ri->hdr_len = 0;
}

static bool reading(const struct lure *l) { return l->phase != PH_DONE; }

static void feed(struct lure *l, uint64_t now, const uint8_t *data, size_t len)
{
    struct record_in *ri = &l->rin;
    while (len > 0 && reading(l)) {
        if (ri->hdr_len < TLS_RECORD_HEADER_LEN) {
            size_t take = TLS_RECORD_HEADER_LEN - ri->hdr_len;
            take = take < len ? take : len;
            memcpy(ri->hdr + ri->hdr_len, data, take);
            ri->hdr_len += take;
            data += take;
            len -= take;
            if (ri->hdr_len < TLS_RECORD_HEADER_LEN)
                break;
            record_started(l);
        } else {
            size_t take = ri->cur.length - ri->body_seen;
            take = take < len ? take : len;
            record_body(l, now, data, take);
            ri->body_seen += take;
            data += take;
            len -= take;
        }
        if (reading(l) && ri->hdr_len == TLS_RECORD_HEADER_LEN && ri->body_seen == ri->cur.length)
            record_ended(l, now);
    }
}

/* ---- the prelude, server role ---- */

static void keep_first(struct lure *l, const uint8_t *data, size_t len)
{
    size_t keep = FIRST_BYTES - l->first_len;
    keep = keep < len ? keep : len;
    memcpy(l->first + l->first_len, data, keep);
    l->first_len += keep;
}

static void tls_data(struct lure *l, uint64_t now, const uint8_t *data, size_t len)
{
    keep_first(l, data, len);
    feed(l, now, data, len);
}

static void prelude_step(struct lure *l, uint64_t now, const uint8_t *rest, size_t rest_len)
{
    const char *name = l->result.evidence.prelude;
    const uint8_t *words;
    size_t len;
    prelude_take_output(l->prelude, &words, &len);
    if (len > 0) { /* the driver takes it before the next call, so nothing is overwritten */
        l->out = words;
        l->out_len = len;
    }
    switch (prelude_status(l->prelude)) {
    case PRELUDE_WANT_READ: break;
    case PRELUDE_READY:
        l->phase = PH_HELLO;
        if (rest_len > 0)
            tls_data(l, now, rest, rest_len); /* the ClientHello right behind the request */
        break;
    case PRELUDE_REFUSED:
    case PRELUDE_FAILED:
        finish(l, PROBE_INCONCLUSIVE, "the %s dialogue did not reach TLS: %s", name,
               prelude_reason(l->prelude));
        break;
    }
}

/* ---- the driver's interface ---- */

hc_result lure_new(const struct lure_config *cfg, uint64_t now_ms, struct lure **out)
{
    HC_ENSURE(cfg->kit && cfg->cert_der && cfg->cert_len > 0 &&
                  cfg->cert_len <= TLS_MAX_PLAINTEXT - FLIGHT_SLACK,
              HC_ERR_USAGE);
    struct lure *l = calloc(1, sizeof *l);
    HC_ENSURE(l, HC_ERR_NOMEM);
    l->cfg = *cfg;
    l->deadline = now_ms + cfg->timeout_ms;
    l->phase = PH_HELLO;
    tls_handshake_buffer_init(&l->hs, MAX_HELLO);
    if (cfg->prelude) {
        struct prelude_params params = {.domain = cfg->prelude_domain};
        hc_result r = prelude_new(cfg->prelude, PRELUDE_SERVER, &params, &l->prelude);
        if (!hc_ok(r)) {
            lure_free(l);
            return r;
        }
        l->phase = PH_PRELUDE;
        l->result.evidence.prelude = cfg->prelude->name;
        prelude_step(l, now_ms, NULL, 0); /* the server's greeting */
    }
    *out = l;
    return HC_SUCCESS;
}

void lure_free(struct lure *l)
{
    if (!l)
        return;
    tls_handshake_buffer_free(&l->hs);
    prelude_free(l->prelude);
    free(l->flight);
    if (l->leak)
        hc_free_secret(l->leak, l->cfg.kit->leak_bytes);
    hc_wipe(l, sizeof *l);
    free(l);
}

void lure_on_data(struct lure *l, uint64_t now_ms, const uint8_t *data, size_t len)
{
    if (l->phase == PH_PRELUDE) {
        size_t used = prelude_on_data(l->prelude, data, len);
        prelude_step(l, now_ms, data + used, len - used);
    } else if (reading(l)) {
        tls_data(l, now_ms, data, len);
    }
}

void lure_on_closed(struct lure *l, uint64_t now_ms, bool reset)
{
    (void)now_ms;
    const char *how = reset ? "reset" : "closed";
    switch (l->phase) {
    case PH_PRELUDE:
        finish(l, PROBE_INCONCLUSIVE, "connection %s during the %s dialogue", how,
               l->result.evidence.prelude);
        break;
    case PH_HELLO:
        if (l->first_len == 0)
            finish(l, PROBE_INCONCLUSIVE, "connection %s before any byte of TLS", how);
        else if (l->any_record && !l->result.evidence.client_hello)
            finish(l, PROBE_INCONCLUSIVE, "connection %s in the middle of its ClientHello", how);
        else
            not_tls(l, HC_RESULT(HC_ERR_NOT_TLS)); /* fewer bytes than a record header */
        break;
    case PH_PROBED:
    case PH_FOLLOWED:
        unanswered(l, reset ? "reset the connection" : "closed the connection");
        break;
    case PH_LEAKING: finish_leak(l); break;
    default: break;
    }
}

static void deadline_passed(struct lure *l)
{
    double secs = l->cfg.timeout_ms / 1000.0;
    switch (l->phase) {
    case PH_PRELUDE:
        finish(l, PROBE_INCONCLUSIVE, "the %s dialogue did not reach TLS in %gs",
               l->result.evidence.prelude, secs);
        break;
    case PH_HELLO:
        finish(l, PROBE_INCONCLUSIVE, "no complete ClientHello in %gs (%zu byte(s) received)", secs,
               l->first_len);
        break;
    case PH_PROBED:
    case PH_FOLLOWED: unanswered(l, "stayed silent"); break;
    case PH_LEAKING: finish_leak(l); break;
    default: break;
    }
}

void lure_on_tick(struct lure *l, uint64_t now_ms)
{
    if (l->phase == PH_DONE)
        return;
    if (now_ms >= l->deadline) {
        deadline_passed(l);
    } else if (l->phase == PH_PROBED && now_ms >= l->followup_at) {
        /* Its own write: a client that read our flight ahead looks again only on new bytes. */
        kit_record(l->cfg.kit, KIT_FOLLOWUP, l->result.evidence.tls_version, &l->out, &l->out_len);
        l->phase = PH_FOLLOWED;
    } else if (l->phase == PH_LEAKING && now_ms >= l->leak_idle_at) {
        finish_leak(l);
    }
}

bool lure_done(const struct lure *l) { return l->phase == PH_DONE; }

void lure_take_output(struct lure *l, const uint8_t **data, size_t *len)
{
    *data = l->out;
    *len = l->out_len;
    l->out = NULL;
    l->out_len = 0;
}

uint64_t lure_wakeup_at(const struct lure *l)
{
    uint64_t at = l->deadline;
    if (l->phase == PH_PROBED && l->followup_at < at)
        at = l->followup_at;
    if (l->phase == PH_LEAKING && l->leak_idle_at < at)
        at = l->leak_idle_at;
    return at;
}

const struct lure_result *lure_result(const struct lure *l) { return &l->result; }
