/* The probe state machine, fed real server flights (tests/unit/support/vectors.h) and the
 * answers a vulnerable, patched or heartbeat-less server gives — whole, byte by byte and
 * split at every offset. */
#include "unit.h"

#include "ovpn/ovpn.h"
#include "probe/kit.h"
#include "probe/probe.h"
#include "proto/proto.h"
#include "support/vectors.h"

#include <stdlib.h>
#include <string.h>

enum { T0 = 1000, TIMEOUT = 5000, MSG_MAX = 3 + 65535 + 16 };

static struct probe_kit *kit0, *kit100, *kit20000;

static int setup(void **state)
{
    (void)state;
    return hc_ok(probe_kit_new(0, &kit0)) && hc_ok(probe_kit_new(100, &kit100)) &&
                   hc_ok(probe_kit_new(20000, &kit20000))
               ? 0
               : -1;
}

static int teardown(void **state)
{
    (void)state;
    probe_kit_free(kit0);
    probe_kit_free(kit100);
    probe_kit_free(kit20000);
    return 0;
}

static struct probe *new_probe_max(struct probe_kit *kit, const char *sni, uint16_t max)
{
    struct probe_config cfg = {.kit = kit,
                               .server_name = sni,
                               .timeout_ms = TIMEOUT,
                               .followup_ms = 100,
                               .max_version = max};
    struct probe *p = NULL;
    assert_success(probe_new(&cfg, T0, &p));
    assert_int_equal(probe_state(p), PROBE_WANT_CONNECT);
    return p;
}

static struct probe *new_probe(struct probe_kit *kit, const char *sni)
{
    return new_probe_max(kit, sni, TLS_VERSION_TLS12);
}

/* Connects and checks that a ClientHello of the expected version goes out. */
static struct tls_client_hello connect_hello(struct probe *p, uint16_t version)
{
    probe_on_connected(p, T0);
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    struct wire_reader r = wire_reader_init(out, n), body;
    struct tls_record_header h;
    assert_success(tls_record_next(&r, &h, &body));
    assert_int_equal(h.type, TLS_CT_HANDSHAKE);
    assert_int_equal(wire_remaining(&r), 0);
    assert_true(h.length < 251 || h.length > 511); /* the F5 hang range */
    struct tls_client_hello ch;
    assert_int_equal(wire_peek(&body)[0], TLS_HS_CLIENT_HELLO);
    assert_success(tls_client_hello_parse(wire_peek(&body) + 4, wire_remaining(&body) - 4, &ch));
    assert_int_equal(ch.version, version);
    return ch;
}

static struct probe *connected(struct probe_kit *kit, const char *sni)
{
    struct probe *p = new_probe(kit, sni);
    connect_hello(p, TLS_VERSION_TLS12);
    return p;
}

/* The probe's own write after the server's flight: one heartbeat record of sent payload bytes
 * claiming claimed, nothing else. */
static void expect_heartbeat_out_sized(struct probe *p, enum kit_record which, uint16_t version,
                                       uint16_t claimed, size_t sent)
{
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    size_t padding = which == KIT_FOLLOWUP ? TLS_HEARTBEAT_MIN_PADDING : 0;
    assert_int_equal(n, TLS_RECORD_HEADER_LEN + TLS_HEARTBEAT_HEADER_LEN + sent + padding);
    struct wire_reader r = wire_reader_init(out, n), body;
    struct tls_record_header h;
    assert_success(tls_record_next(&r, &h, &body));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    assert_int_equal(h.version, version);
    struct tls_heartbeat_header hb;
    assert_success(tls_heartbeat_header_parse(&body, &hb));
    assert_int_equal(hb.type, TLS_HEARTBEAT_REQUEST);
    assert_int_equal(hb.payload_length, claimed);
    assert_int_equal(wire_peek(&body)[0], kit_payload_byte(which, 0));
}

/* The zero-leak probe or the follow-up: 16389 bytes, claiming exactly what they carry. */
static void expect_heartbeat_out(struct probe *p, enum kit_record which, uint16_t version,
                                 uint16_t claimed)
{
    expect_heartbeat_out_sized(p, which, version, claimed, claimed);
}

/* A heartbeat response as a server writes it: the message cut into records of 2^14. */
static size_t response(uint8_t *out, size_t cap, uint16_t version, enum kit_record which,
                       uint16_t claimed, size_t payload_sent, const uint8_t *extra,
                       size_t extra_len)
{
    static uint8_t msg[MSG_MAX];
    struct wire_writer m = wire_writer_init(msg, sizeof msg);
    wire_write_u8(&m, TLS_HEARTBEAT_RESPONSE);
    wire_write_u16(&m, claimed);
    for (size_t i = 0; i < payload_sent; i++)
        wire_write_u8(&m, kit_payload_byte(which, i));
    wire_write_bytes(&m, extra, extra_len);
    wire_write_fill(&m, 0xee, 16); /* the server's random padding */
    assert_success(wire_writer_result(&m));
    struct wire_writer w = wire_writer_init(out, cap);
    for (size_t at = 0; at < m.len; at += TLS_MAX_PLAINTEXT) {
        size_t n = m.len - at < TLS_MAX_PLAINTEXT ? m.len - at : TLS_MAX_PLAINTEXT;
        struct wire_mark rec = tls_record_open(&w, TLS_CT_HEARTBEAT, version);
        wire_write_bytes(&w, msg + at, n);
        wire_close(&w, rec);
    }
    assert_success(wire_writer_result(&w));
    return w.len;
}

static size_t echo_of_probe(uint8_t *out, size_t cap)
{
    return response(out, cap, TLS_VERSION_TLS12, KIT_PROBE, PROBE_PAYLOAD, PROBE_PAYLOAD, NULL, 0);
}

static const struct probe_result *done(struct probe *p, enum probe_verdict v)
{
    assert_int_equal(probe_state(p), PROBE_DONE);
    const struct probe_result *r = probe_result(p);
    if (r->verdict != v)
        fail_msg("verdict %s, want %s: %s", probe_verdict_name(r->verdict), probe_verdict_name(v),
                 r->reason);
    assert_true(r->reason[0] != '\0');
    return r;
}

static void feed(struct probe *p, const uint8_t *d, size_t n) { probe_on_data(p, T0 + 10, d, n); }

/* ---- vulnerable ---- */

static void check_vulnerable_101f(struct probe *p)
{
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    const struct probe_evidence *ev = &r->evidence;
    assert_int_equal(ev->leaked_bytes, 0);
    assert_int_equal(ev->tls_version, TLS_VERSION_TLS12);
    assert_int_equal(ev->cipher, 0x009c);
    assert_true(ev->heartbeat_extension);
    assert_true(ev->cert_seen);
    assert_string_equal(ev->cert.subject, "CN=localhost");
    assert_string_equal(ev->cert.not_before, "2026-11-21T12:35:37Z");
    assert_int_equal(ev->chain_length, 1);
    assert_int_equal(ev->attempts, 1);
    assert_null(r->leak);
}

static void vulnerable_whole(void **state)
{
    (void)state;
    static uint8_t answer[MSG_MAX + 64];
    struct probe *p = connected(kit0, NULL);
    feed(p, flight_openssl101f, sizeof flight_openssl101f);
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
    feed(p, answer, echo_of_probe(answer, sizeof answer));
    check_vulnerable_101f(p);
    probe_free(p);
}

/* Decided from the record header and the first bytes: the rest of 16 KB is not awaited. */
static void vulnerable_from_first_bytes(void **state)
{
    (void)state;
    static uint8_t answer[MSG_MAX + 64];
    struct probe *p = connected(kit0, NULL);
    feed(p, flight_openssl101f, sizeof flight_openssl101f);
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
    echo_of_probe(answer, sizeof answer);
    feed(p, answer, 5 + 3 + 15);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    feed(p, answer + 23, 1);
    check_vulnerable_101f(p);
    probe_free(p);
}

static void vulnerable_byte_by_byte(void **state)
{
    (void)state;
    static uint8_t stream[sizeof flight_openssl101f + 64];
    memcpy(stream, flight_openssl101f, sizeof flight_openssl101f);
    struct probe *p = connected(kit0, NULL);
    for (size_t i = 0; i < sizeof flight_openssl101f; i++) {
        assert_int_equal(probe_state(p), PROBE_RUNNING);
        feed(p, stream + i, 1);
    }
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
    static uint8_t answer[MSG_MAX + 64];
    echo_of_probe(answer, sizeof answer);
    for (size_t i = 0; i < 24 && probe_state(p) != PROBE_DONE; i++)
        feed(p, answer + i, 1);
    check_vulnerable_101f(p);
    probe_free(p);
}

/* The flight and the answer in one stream, split in two at every offset of the flight. */
static void vulnerable_split_everywhere(void **state)
{
    (void)state;
    static uint8_t answer[MSG_MAX + 64];
    size_t alen = echo_of_probe(answer, sizeof answer);
    for (size_t cut = 1; cut < sizeof flight_openssl101f; cut++) {
        struct probe *p = connected(kit0, NULL);
        feed(p, flight_openssl101f, cut);
        feed(p, flight_openssl101f + cut, sizeof flight_openssl101f - cut);
        expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
        feed(p, answer, alen);
        check_vulnerable_101f(p);
        probe_free(p);
    }
}

/* One record holding all three handshake messages, as other stacks write them. */
static void vulnerable_messages_in_one_record(void **state)
{
    (void)state;
    static uint8_t joined[sizeof flight_openssl101f];
    struct wire_reader in = wire_reader_init(flight_openssl101f, sizeof flight_openssl101f), body;
    struct wire_writer w = wire_writer_init(joined, sizeof joined);
    struct wire_mark rec = tls_record_open(&w, TLS_CT_HANDSHAKE, TLS_VERSION_TLS12);
    struct tls_record_header h;
    while (hc_ok(tls_record_next(&in, &h, &body)))
        wire_write_bytes(&w, wire_peek(&body), wire_remaining(&body));
    wire_close(&w, rec);
    assert_success(wire_writer_result(&w));
    static uint8_t answer[MSG_MAX + 64];
    struct probe *p = connected(kit0, NULL);
    feed(p, joined, w.len);
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
    feed(p, answer, echo_of_probe(answer, sizeof answer));
    check_vulnerable_101f(p);
    probe_free(p);
}

/* ---- patched, not vulnerable ---- */

static struct probe *probed(void)
{
    struct probe *p = connected(kit0, NULL);
    feed(p, flight_openssl101f, sizeof flight_openssl101f);
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
    return p;
}

static void patched_closes(void **state) /* OpenSSL 1.0.1g s_server */
{
    (void)state;
    struct probe *p = probed();
    probe_on_closed(p, T0 + 20, true);
    done(p, PROBE_PATCHED);
    probe_free(p);
}

/* Dovecot on OpenSSL 3, GnuTLS servers: no heartbeat extension in a TLS 1.2 ServerHello, and
 * the connection closed (or silent) instead of an alert: no heartbeat support, not a patch. */
static void no_extension_then_close_or_silence(void **state)
{
    (void)state;
    for (int silent = 0; silent < 2; silent++) {
        struct probe *p = connected(kit0, NULL);
        feed(p, flight_openssl30, sizeof flight_openssl30);
        expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
        if (silent)
            probe_on_tick(p, T0 + TIMEOUT);
        else
            probe_on_closed(p, T0 + 20, false);
        const struct probe_result *r = done(p, PROBE_NOT_VULNERABLE);
        assert_non_null(strstr(r->reason, "no heartbeat extension in the TLSv1.2 ServerHello"));
        assert_false(r->evidence.heartbeat_extension);
        probe_free(p);
    }
}

static void patched_followup_answered(void **state) /* nginx on 1.0.1g */
{
    (void)state;
    struct probe *p = probed();
    probe_on_tick(p, T0 + 50);
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    assert_int_equal(n, 0); /* not yet: the follow-up waits its 100 ms */
    assert_int_equal(probe_wakeup_at(p), T0 + 10 + 100);
    probe_on_tick(p, T0 + 110);
    expect_heartbeat_out(p, KIT_FOLLOWUP, TLS_VERSION_TLS12, PROBE_FOLLOWUP_PAYLOAD);
    static uint8_t answer[MSG_MAX + 64];
    size_t alen = response(answer, sizeof answer, TLS_VERSION_TLS12, KIT_FOLLOWUP,
                           PROBE_FOLLOWUP_PAYLOAD, PROBE_FOLLOWUP_PAYLOAD, NULL, 0);
    assert_int_equal(alen, 16389); /* exactly one full record */
    feed(p, answer, alen);
    const struct probe_result *r = done(p, PROBE_PATCHED);
    assert_non_null(strstr(r->reason, "well-formed"));
    probe_free(p);
}

static void patched_silence_until_deadline(void **state)
{
    (void)state;
    struct probe *p = probed();
    probe_on_tick(p, T0 + 110);
    expect_heartbeat_out(p, KIT_FOLLOWUP, TLS_VERSION_TLS12, PROBE_FOLLOWUP_PAYLOAD);
    assert_int_equal(probe_wakeup_at(p), T0 + TIMEOUT);
    probe_on_tick(p, T0 + TIMEOUT);
    done(p, PROBE_PATCHED);
    probe_free(p);
}

static void not_vulnerable_alert(const uint8_t *flight, size_t len)
{
    struct probe *p = connected(kit0, NULL);
    feed(p, flight, len);
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
    feed(p, alert_early_heartbeat, sizeof alert_early_heartbeat);
    const struct probe_result *r = done(p, PROBE_NOT_VULNERABLE);
    assert_true(r->evidence.alert_seen);
    assert_int_equal(r->evidence.alert.level, TLS_ALERT_FATAL);
    assert_int_equal(r->evidence.alert.description, TLS_ALERT_UNEXPECTED_MESSAGE);
    probe_free(p);
}

static void not_vulnerable_openssl3(void **state)
{
    (void)state;
    not_vulnerable_alert(flight_openssl30, sizeof flight_openssl30);
}

static void not_vulnerable_gnutls(void **state) /* ServerKeyExchange, CertificateRequest */
{
    (void)state;
    not_vulnerable_alert(flight_gnutls37, sizeof flight_gnutls37);
}

/* ---- SSLv3, fallback and SNI ---- */

static size_t ssl3_flight(uint8_t *out, size_t cap, bool heartbeat_ext)
{
    struct wire_writer w = wire_writer_init(out, cap);
    struct wire_mark rec = tls_record_open(&w, TLS_CT_HANDSHAKE, TLS_VERSION_SSL3);
    struct tls_server_hello_params sh = {
        .version = TLS_VERSION_SSL3, .cipher_suite = 0x002f, .heartbeat = heartbeat_ext};
    tls_server_hello_write(&w, &sh);
    struct wire_mark done_msg = tls_handshake_open(&w, TLS_HS_SERVER_HELLO_DONE);
    wire_close(&w, done_msg);
    wire_close(&w, rec);
    assert_success(wire_writer_result(&w));
    return w.len;
}

static void fatal_alert(struct probe *p, uint16_t version, uint8_t desc)
{
    uint8_t a[7] = {0x15, (uint8_t)(version >> 8), (uint8_t)version, 0, 2, 2, desc};
    feed(p, a, sizeof a);
}

/* OpenSSL 1.0.1f answers heartbeats on SSLv3, where its ServerHello has no extension. */
static void fallback_to_ssl3_vulnerable(void **state)
{
    (void)state;
    struct probe *p = connected(kit0, NULL);
    for (uint16_t v = TLS_VERSION_TLS12; v > TLS_VERSION_SSL3; v--) {
        fatal_alert(p, v, TLS_ALERT_PROTOCOL_VERSION);
        assert_int_equal(probe_state(p), PROBE_WANT_CONNECT);
        struct tls_client_hello ch = connect_hello(p, (uint16_t)(v - 1));
        assert_int_equal(ch.extension_count, v - 1 == TLS_VERSION_SSL3 ? 0 : ch.extension_count);
    }
    uint8_t flight[256];
    feed(p, flight, ssl3_flight(flight, sizeof flight, false));
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_SSL3, PROBE_PAYLOAD);
    static uint8_t answer[MSG_MAX + 64];
    feed(p, answer,
         response(answer, sizeof answer, TLS_VERSION_SSL3, KIT_PROBE, PROBE_PAYLOAD, PROBE_PAYLOAD,
                  NULL, 0));
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    assert_false(r->evidence.heartbeat_extension);
    assert_int_equal(r->evidence.tls_version, TLS_VERSION_SSL3);
    assert_int_equal(r->evidence.attempts, 4);
    assert_non_null(strstr(r->reason, "no heartbeat extension"));
    probe_free(p);
}

static void every_version_refused(void **state)
{
    (void)state;
    struct probe *p = connected(kit0, NULL);
    for (uint16_t v = TLS_VERSION_TLS12;; v--) {
        fatal_alert(p, v, TLS_ALERT_PROTOCOL_VERSION);
        if (v == TLS_VERSION_SSL3)
            break;
        connect_hello(p, (uint16_t)(v - 1));
    }
    done(p, PROBE_NOT_VULNERABLE);
    probe_free(p);
}

/* With --max-version below TLS 1.2, refusals prove nothing: TLS 1.2 was never tried. */
static void every_lower_version_refused(void **state)
{
    (void)state;
    struct probe *p = new_probe_max(kit0, NULL, TLS_VERSION_TLS10);
    connect_hello(p, TLS_VERSION_TLS10);
    fatal_alert(p, TLS_VERSION_TLS10, TLS_ALERT_PROTOCOL_VERSION);
    connect_hello(p, TLS_VERSION_SSL3);
    fatal_alert(p, TLS_VERSION_SSL3, TLS_ALERT_PROTOCOL_VERSION);
    done(p, PROBE_INCONCLUSIVE);
    probe_free(p);
}

/* The bare SSLv3 hello carries no extensions: a name target reached there sent no SNI. */
static void ssl3_attempt_sends_no_name(void **state)
{
    (void)state;
    struct probe *p = new_probe_max(kit0, "www.example.com", TLS_VERSION_TLS10);
    struct tls_client_hello ch = connect_hello(p, TLS_VERSION_TLS10);
    assert_string_equal(ch.server_name, "www.example.com");
    fatal_alert(p, TLS_VERSION_TLS10, TLS_ALERT_HANDSHAKE_FAILURE);
    ch = connect_hello(p, TLS_VERSION_SSL3);
    assert_string_equal(ch.server_name, "");
    uint8_t flight[256];
    feed(p, flight, ssl3_flight(flight, sizeof flight, false));
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_SSL3, PROBE_PAYLOAD);
    static uint8_t answer[MSG_MAX + 64];
    feed(p, answer,
         response(answer, sizeof answer, TLS_VERSION_SSL3, KIT_PROBE, PROBE_PAYLOAD, PROBE_PAYLOAD,
                  NULL, 0));
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    assert_false(r->evidence.sni_sent);
    probe_free(p);
}

static void every_handshake_closed(void **state)
{
    (void)state;
    struct probe *p = connected(kit0, "www.example.com");
    for (uint16_t v = TLS_VERSION_TLS12; v >= TLS_VERSION_SSL3; v--) {
        probe_on_closed(p, T0 + 5, false);
        if (v > TLS_VERSION_SSL3)
            connect_hello(p, (uint16_t)(v - 1));
    }
    /* A name target gets one more try without SNI before giving up. */
    struct tls_client_hello ch = connect_hello(p, TLS_VERSION_TLS12);
    assert_string_equal(ch.server_name, "");
    probe_on_closed(p, T0 + 5, true);
    const struct probe_result *r = done(p, PROBE_INCONCLUSIVE);
    assert_int_equal(r->evidence.attempts, 5);
    probe_free(p);
}

static void sni_refused_retries_without(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, "www.example.com");
    struct tls_client_hello ch = connect_hello(p, TLS_VERSION_TLS12);
    assert_string_equal(ch.server_name, "www.example.com");
    fatal_alert(p, TLS_VERSION_TLS12, TLS_ALERT_UNRECOGNIZED_NAME);
    ch = connect_hello(p, TLS_VERSION_TLS12); /* same version, no name */
    assert_string_equal(ch.server_name, "");
    feed(p, flight_openssl101f, sizeof flight_openssl101f);
    expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
    static uint8_t answer[MSG_MAX + 64];
    feed(p, answer, echo_of_probe(answer, sizeof answer));
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    assert_false(r->evidence.sni_sent);
    probe_free(p);
}

/* ---- the over-read, opt-in ---- */

/* --leak 100: 16281 bytes sent, 16381 claimed. The 100 leaked bytes come in the answer's
 * first record, full at 16384 bytes, so no handshake write buffer can hold them back. */
static void leak_collects_exactly_n_bytes(void **state)
{
    (void)state;
    uint8_t secret[100];
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (uint8_t)(0x80 + i);
    struct probe *p = connected(kit100, NULL);
    feed(p, flight_openssl101f, sizeof flight_openssl101f);
    expect_heartbeat_out_sized(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD, PROBE_PAYLOAD - 100);
    static uint8_t answer[MSG_MAX + 64];
    size_t alen = response(answer, sizeof answer, TLS_VERSION_TLS12, KIT_PROBE, PROBE_PAYLOAD,
                           PROBE_PAYLOAD - 100, secret, sizeof secret);
    assert_int_equal(alen, 16389 + 5 + 16); /* a full record, then the padding */
    feed(p, answer, 16389 - 30);            /* the leaked bytes arrive in pieces */
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    feed(p, answer + 16389 - 30, 30);
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    assert_int_equal(r->evidence.leaked_bytes, 100);
    assert_int_equal(r->evidence.sent_length, PROBE_PAYLOAD - 100);
    assert_memory_equal(r->leak, secret, 100);
    probe_free(p);
}

/* --leak 20000 must claim more than 16381: 16 bytes sent, 20016 claimed. The first record
 * brings 16365 leaked bytes; the tail of the answer stays in the server's buffer. */
static void leak_tail_never_arrives(void **state)
{
    (void)state;
    static uint8_t secret[20000];
    memset(secret, 0x42, sizeof secret);
    struct probe *p = connected(kit20000, NULL);
    feed(p, flight_openssl101f, sizeof flight_openssl101f);
    expect_heartbeat_out_sized(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_MIN_SENT + 20000,
                               PROBE_MIN_SENT);
    static uint8_t answer[MSG_MAX + 64];
    response(answer, sizeof answer, TLS_VERSION_TLS12, KIT_PROBE, PROBE_MIN_SENT + 20000,
             PROBE_MIN_SENT, secret, sizeof secret);
    feed(p, answer, 16389);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    probe_on_tick(p, probe_wakeup_at(p));
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    assert_int_equal(r->evidence.leaked_bytes, PROBE_PAYLOAD - PROBE_MIN_SENT);
    assert_int_equal(r->leak[0], 0x42);
    probe_free(p);
}

/* ---- hostile or broken servers ---- */

/* A fresh probe fed one reply from the server: it ends with verdict v and, when reason_part
 * is given, a reason containing it. */
static void expect_verdict_after_reply(const uint8_t *reply, size_t len, enum probe_verdict v,
                                       const char *reason_part)
{
    struct probe *p = connected(kit0, NULL);
    feed(p, reply, len);
    const struct probe_result *r = done(p, v);
    if (reason_part)
        assert_non_null(strstr(r->reason, reason_part));
    probe_free(p);
}

static void not_tls_banner(void **state)
{
    (void)state;
    static const char banner[] = "500 OOPS: vsftpd: not found\r\n";
    expect_verdict_after_reply((const uint8_t *)banner, strlen(banner), PROBE_NOT_TLS, "500 OOPS");
}

static void sslv2_reply(void **state)
{
    (void)state;
    static const uint8_t v2[] = {0x80, 0x2e, 0x04, 0x00, 0x01, 0x00, 0x02};
    expect_verdict_after_reply(v2, sizeof v2, PROBE_NOT_TLS, "SSLv2");
}

static void huge_record_length(void **state)
{
    (void)state;
    static const uint8_t rec[] = {0x16, 0x03, 0x03, 0xff, 0xff};
    expect_verdict_after_reply(rec, sizeof rec, PROBE_INCONCLUSIVE, NULL);
}

static void huge_handshake_message(void **state)
{
    (void)state;
    static const uint8_t rec[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x0b, 0xff, 0xff, 0xff};
    expect_verdict_after_reply(rec, sizeof rec, PROBE_INCONCLUSIVE, "longer");
}

static void alert_flood(void **state)
{
    (void)state;
    static const uint8_t warning[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70};
    struct probe *p = connected(kit0, NULL);
    for (int i = 0; i < 1000 && probe_state(p) == PROBE_RUNNING; i++)
        feed(p, warning, sizeof warning);
    const struct probe_result *r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, "flood"));
    probe_free(p);
}

static void answer_that_echoes_something_else(void **state)
{
    (void)state;
    struct probe *p = probed();
    static uint8_t answer[MSG_MAX + 64];
    size_t alen = response(answer, sizeof answer, TLS_VERSION_TLS12, KIT_PROBE, PROBE_PAYLOAD,
                           PROBE_PAYLOAD, NULL, 0);
    answer[5 + 3 + 2] ^= 0xff; /* one byte of "our" payload differs */
    feed(p, answer, alen);
    done(p, PROBE_INCONCLUSIVE);
    probe_free(p);
}

static void server_heartbeat_request_is_skipped(void **state)
{
    (void)state;
    struct probe *p = probed();
    static const uint8_t request[] = {0x18, 0x03, 0x03, 0x00, 0x14, 0x01, 0x00, 0x01, 0x42,
                                      0,    0,    0,    0,    0,    0,    0,    0,    0,
                                      0,    0,    0,    0,    0,    0,    0};
    feed(p, request, sizeof request);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    static uint8_t answer[MSG_MAX + 64];
    feed(p, answer, echo_of_probe(answer, sizeof answer));
    done(p, PROBE_VULNERABLE);
    probe_free(p);
}

static void silent_server(void **state)
{
    (void)state;
    struct probe *p = connected(kit0, NULL);
    probe_on_tick(p, T0 + TIMEOUT);
    const struct probe_result *r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, "no reply"));
    probe_free(p);
}

static void connect_refused_and_timeout(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, NULL);
    probe_on_connect_failed(p, T0 + 1, "connection refused");
    const struct probe_result *r = done(p, PROBE_UNREACHABLE);
    assert_string_equal(r->reason, "connection refused");
    probe_free(p);
    p = new_probe(kit0, NULL);
    probe_on_tick(p, T0 + TIMEOUT);
    done(p, PROBE_UNREACHABLE);
    probe_free(p);
}

static void data_after_done_is_ignored(void **state)
{
    (void)state;
    struct probe *p = probed();
    probe_on_closed(p, T0 + 20, false);
    done(p, PROBE_PATCHED);
    static uint8_t answer[MSG_MAX + 64];
    feed(p, answer, echo_of_probe(answer, sizeof answer));
    probe_on_tick(p, T0 + 2 * TIMEOUT);
    done(p, PROBE_PATCHED);
    probe_free(p);
}

/* ---- preludes: the dialogue before TLS, run again on every connection ---- */

static struct probe *new_prelude_probe(const struct prelude_desc *d)
{
    struct probe_config cfg = {.kit = kit0,
                               .prelude = d,
                               .prelude_domain = "example.com",
                               .timeout_ms = TIMEOUT,
                               .followup_ms = 100,
                               .max_version = TLS_VERSION_TLS12};
    struct probe *p = NULL;
    assert_success(probe_new(&cfg, T0, &p));
    return p;
}

/* Runs the probe's client side of d against the module's server side, in memory, until the
 * server starts TLS; returns the first TLS bytes the probe sent (its ClientHello record). */
static size_t talk_until_tls(struct probe *p, const struct prelude_desc *d, bool byte_by_byte,
                             uint8_t *hello, size_t cap)
{
    struct prelude *srv = NULL;
    struct prelude_params params = {0};
    assert_success(prelude_new(d, PRELUDE_SERVER, &params, &srv));
    probe_on_connected(p, T0);
    size_t hello_len = 0;
    for (int round = 0; round < 32 && hello_len == 0; round++) {
        const uint8_t *o;
        size_t n;
        prelude_take_output(srv, &o, &n);
        for (size_t i = 0; i < n;) {
            size_t step = byte_by_byte ? 1 : n;
            feed(p, o + i, step);
            i += step;
        }
        assert_int_equal(probe_state(p), PROBE_RUNNING);
        probe_take_output(p, &o, &n);
        if (prelude_status(srv) == PRELUDE_READY) {
            assert_true(n > 0 && n <= cap); /* the go-ahead came: TLS from the probe */
            memcpy(hello, o, n);
            hello_len = n;
        } else if (n > 0) {
            size_t used = prelude_on_data(srv, o, n);
            if (prelude_status(srv) == PRELUDE_READY && used < n) {
                /* MySQL: the ClientHello rides behind the SSL request */
                memcpy(hello, o + used, n - used);
                hello_len = n - used;
            }
        }
        assert_int_not_equal(prelude_status(srv), PRELUDE_FAILED);
    }
    prelude_free(srv);
    return hello_len;
}

static void check_client_hello(const uint8_t *hello, size_t n)
{
    struct wire_reader r = wire_reader_init(hello, n), body;
    struct tls_record_header h;
    assert_success(tls_record_next(&r, &h, &body));
    assert_int_equal(h.type, TLS_CT_HANDSHAKE);
    assert_int_equal(wire_remaining(&r), 0);
    assert_int_equal(wire_peek(&body)[0], TLS_HS_CLIENT_HELLO);
}

static void prelude_then_vulnerable(bool byte_by_byte)
{
    static uint8_t answer[MSG_MAX + 64];
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    assert_true(count >= 13);
    for (size_t i = 0; i < count; i++) {
        struct probe *p = new_prelude_probe(all[i]);
        uint8_t hello[2048];
        size_t n = talk_until_tls(p, all[i], byte_by_byte, hello, sizeof hello);
        if (n == 0)
            fail_msg("%s: the dialogue never reached TLS", all[i]->name);
        check_client_hello(hello, n);
        feed(p, flight_openssl101f, sizeof flight_openssl101f);
        expect_heartbeat_out(p, KIT_PROBE, TLS_VERSION_TLS12, PROBE_PAYLOAD);
        feed(p, answer, echo_of_probe(answer, sizeof answer));
        const struct probe_result *r = done(p, PROBE_VULNERABLE);
        assert_string_equal(r->evidence.prelude, all[i]->name);
        probe_free(p);
    }
}

static void prelude_every_protocol_then_vulnerable(void **state)
{
    (void)state;
    prelude_then_vulnerable(false);
}

static void prelude_byte_by_byte_then_vulnerable(void **state)
{
    (void)state;
    prelude_then_vulnerable(true);
}

/* A service that will not start TLS is not_tls, in its own words. */
static void prelude_refused_is_not_tls(void **state)
{
    (void)state;
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    for (size_t i = 0; i < count; i++) {
        struct probe *p = new_prelude_probe(all[i]);
        struct prelude *srv = NULL;
        struct prelude_params params = {.refuse = true};
        assert_success(prelude_new(all[i], PRELUDE_SERVER, &params, &srv));
        probe_on_connected(p, T0);
        for (int round = 0; round < 32 && probe_state(p) == PROBE_RUNNING; round++) {
            const uint8_t *o;
            size_t n;
            prelude_take_output(srv, &o, &n);
            feed(p, o, n);
            if (prelude_status(srv) != PRELUDE_WANT_READ && probe_state(p) == PROBE_RUNNING)
                probe_on_closed(p, T0 + 20, false); /* the server hangs up after refusing */
            probe_take_output(p, &o, &n);
            if (n > 0 && prelude_status(srv) == PRELUDE_WANT_READ)
                (void)prelude_on_data(srv, o, n);
        }
        const struct probe_result *r = done(p, PROBE_NOT_TLS);
        if (strncmp(r->reason, all[i]->name, strlen(all[i]->name)) != 0)
            fail_msg("%s: reason \"%s\"", all[i]->name, r->reason);
        assert_string_equal(r->evidence.prelude, all[i]->name);
        assert_int_equal(r->evidence.claimed_length, 0); /* no heartbeat was sent */
        prelude_free(srv);
        probe_free(p);
    }
}

static void prelude_silence_and_close(void **state)
{
    (void)state;
    const struct prelude_desc *smtp = proto_find("smtp");
    assert_non_null(smtp);
    struct probe *p = new_prelude_probe(smtp);
    probe_on_connected(p, T0);
    probe_on_tick(p, T0 + TIMEOUT);
    const struct probe_result *r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, "no smtp greeting"));
    probe_free(p);

    p = new_prelude_probe(smtp);
    probe_on_connected(p, T0);
    static const char greeting[] = "220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n";
    feed(p, (const uint8_t *)greeting, strlen(greeting));
    probe_on_closed(p, T0 + 20, true);
    r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, "during the smtp dialogue"));
    probe_free(p);
}

/* The version fallback reconnects: the dialogue starts again from the greeting. */
static void prelude_runs_again_after_fallback(void **state)
{
    (void)state;
    const struct prelude_desc *pop3 = proto_find("pop3");
    assert_non_null(pop3);
    struct probe *p = new_prelude_probe(pop3);
    uint8_t hello[2048];
    assert_true(talk_until_tls(p, pop3, false, hello, sizeof hello) > 0);
    static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46};
    feed(p, alert, sizeof alert); /* protocol_version: try TLS 1.1 */
    assert_int_equal(probe_state(p), PROBE_WANT_CONNECT);
    size_t n = talk_until_tls(p, pop3, false, hello, sizeof hello);
    assert_true(n > 0);
    check_client_hello(hello, n);
    assert_int_equal(probe_result(p)->evidence.attempts, 2);
    probe_free(p);
}

/* ---- OpenVPN: the same TLS inside the control channel (src/ovpn) ---- */

/* An OpenVPN server without tls-auth: a server-role channel that the test speaks TLS through. */
struct ovpn_peer {
    struct ovpn *ch;
    bool tcp;
    bool deaf;                /* drops everything from the probe: a tls-auth server */
    uint8_t tls[2 * MSG_MAX]; /* the TLS bytes the probe sent */
    size_t tls_len;
    unsigned datagrams; /* probe outputs seen */
};

static void peer_collect(void *ctx, const uint8_t *data, size_t len)
{
    struct ovpn_peer *peer = ctx;
    assert_true(peer->tls_len + len <= sizeof peer->tls);
    memcpy(peer->tls + peer->tls_len, data, len);
    peer->tls_len += len;
}

static struct ovpn_peer *ovpn_peer_new(bool tcp)
{
    struct ovpn_peer *peer = calloc(1, sizeof *peer);
    assert_non_null(peer);
    struct ovpn_config cfg = {.role = OVPN_SERVER,
                              .framing = tcp ? OVPN_TCP : OVPN_UDP,
                              .session_id = {0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58}};
    assert_success(ovpn_new(&cfg, &peer->ch));
    peer->tcp = tcp;
    return peer;
}

static void ovpn_peer_free(struct ovpn_peer *peer)
{
    ovpn_free(peer->ch);
    free(peer);
}

/* Moves packets both ways until both sides are quiet; the server's reach the probe in pieces
 * of piece bytes over TCP (0: whole). */
static void ovpn_move(struct probe *p, struct ovpn_peer *peer, uint64_t now, size_t piece)
{
    for (int round = 0; round < 200 && probe_state(p) == PROBE_RUNNING; round++) {
        bool moved = false;
        const uint8_t *out;
        size_t n;
        for (probe_take_output(p, &out, &n); n; probe_take_output(p, &out, &n)) {
            moved = true;
            peer->datagrams++;
            if (!peer->deaf)
                assert_success(ovpn_on_data(peer->ch, out, n, peer_collect, peer));
        }
        for (ovpn_take_output(peer->ch, now, &out, &n); n && probe_state(p) == PROBE_RUNNING;
             ovpn_take_output(peer->ch, now, &out, &n)) {
            moved = true;
            size_t step = piece && peer->tcp ? piece : n;
            for (size_t at = 0; at < n; at += step)
                probe_on_data(p, now, out + at, n - at < step ? n - at : step);
        }
        if (!moved)
            return;
    }
}

static struct probe *new_ovpn_probe(enum probe_transport t)
{
    struct probe_config cfg = {.transport = t,
                               .kit = kit0,
                               .timeout_ms = TIMEOUT,
                               .followup_ms = 100,
                               .max_version = TLS_VERSION_TLS12};
    struct probe *p = NULL;
    assert_success(probe_new(&cfg, T0, &p));
    probe_on_connected(p, T0);
    return p;
}

/* Connected, the hello exchanged, the server's flight sent: the probe's heartbeat arrived. */
static void ovpn_until_probe(struct probe *p, struct ovpn_peer *peer, size_t piece)
{
    ovpn_move(p, peer, T0, piece);
    assert_true(ovpn_established(peer->ch));
    struct wire_reader r = wire_reader_init(peer->tls, peer->tls_len), body;
    struct tls_record_header h;
    assert_success(tls_record_next(&r, &h, &body));
    assert_int_equal(h.type, TLS_CT_HANDSHAKE); /* the ClientHello */
    assert_int_equal(wire_peek(&body)[0], TLS_HS_CLIENT_HELLO);
    peer->tls_len = 0;
    assert_success(ovpn_send(peer->ch, flight_openssl101f, sizeof flight_openssl101f));
    ovpn_move(p, peer, T0 + 10, piece);
    /* 16389 bytes in 14 control packets, a window at a time: all arrived, one record. */
    assert_int_equal(peer->tls_len,
                     TLS_RECORD_HEADER_LEN + TLS_HEARTBEAT_HEADER_LEN + PROBE_PAYLOAD);
    assert_int_equal(peer->tls[0], TLS_CT_HEARTBEAT);
    peer->tls_len = 0;
}

static void openvpn_vulnerable(enum probe_transport t, size_t piece)
{
    static uint8_t answer[MSG_MAX + 64];
    struct ovpn_peer *peer = ovpn_peer_new(t == PROBE_OPENVPN_TCP);
    struct probe *p = new_ovpn_probe(t);
    ovpn_until_probe(p, peer, piece);
    assert_success(ovpn_send(peer->ch, answer, echo_of_probe(answer, sizeof answer)));
    ovpn_move(p, peer, T0 + 20, piece);
    check_vulnerable_101f(p);
    probe_free(p);
    ovpn_peer_free(peer);
}

static void openvpn_tcp_vulnerable(void **state)
{
    (void)state;
    openvpn_vulnerable(PROBE_OPENVPN_TCP, 0);
}

static void openvpn_tcp_byte_by_byte(void **state)
{
    (void)state;
    openvpn_vulnerable(PROBE_OPENVPN_TCP, 1);
    openvpn_vulnerable(PROBE_OPENVPN_TCP, 1000); /* packets split and joined */
}

static void openvpn_udp_vulnerable(void **state)
{
    (void)state;
    openvpn_vulnerable(PROBE_OPENVPN_UDP, 0);
}

/* The first packet is the hard reset, and nothing else goes before the server's answer. */
static void openvpn_reset_first(void **state)
{
    (void)state;
    struct probe *p = new_ovpn_probe(PROBE_OPENVPN_UDP);
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    assert_int_equal(n, 1 + OVPN_SESSION_ID_LEN + 1 + 4);
    assert_int_equal(out[0], OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 << OVPN_OPCODE_SHIFT);
    probe_take_output(p, &out, &n);
    assert_int_equal(n, 0);
    /* Over UDP it goes again on the timer. */
    assert_int_equal(probe_wakeup_at(p), T0 + OVPN_RETRANSMIT_MS);
    probe_on_tick(p, T0 + OVPN_RETRANSMIT_MS);
    probe_take_output(p, &out, &n);
    assert_int_equal(n, 1 + OVPN_SESSION_ID_LEN + 1 + 4);
    assert_int_equal(out[0], OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 << OVPN_OPCODE_SHIFT);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    probe_free(p);
}

static void openvpn_patched(void **state)
{
    (void)state;
    static uint8_t answer[MSG_MAX + 64];
    struct ovpn_peer *peer = ovpn_peer_new(true);
    struct probe *p = new_ovpn_probe(PROBE_OPENVPN_TCP);
    ovpn_until_probe(p, peer, 0);
    probe_on_tick(p, T0 + 110); /* the follow-up: the probe was dropped silently */
    ovpn_move(p, peer, T0 + 110, 0);
    assert_int_equal(peer->tls[0], TLS_CT_HEARTBEAT);
    size_t alen = response(answer, sizeof answer, TLS_VERSION_TLS12, KIT_FOLLOWUP,
                           PROBE_FOLLOWUP_PAYLOAD, PROBE_FOLLOWUP_PAYLOAD, NULL, 0);
    assert_success(ovpn_send(peer->ch, answer, alen));
    ovpn_move(p, peer, T0 + 120, 0);
    done(p, PROBE_PATCHED);
    probe_free(p);
    ovpn_peer_free(peer);
}

/* OpenVPN ends the session on a TLS error without sending the alert. */
static void openvpn_session_ended(void **state)
{
    (void)state;
    struct ovpn_peer *peer = ovpn_peer_new(true);
    struct probe *p = new_ovpn_probe(PROBE_OPENVPN_TCP);
    ovpn_until_probe(p, peer, 0);
    probe_on_closed(p, T0 + 30, false);
    const struct probe_result *r = done(p, PROBE_NOT_VULNERABLE);
    assert_non_null(strstr(r->reason, "ended the session"));
    assert_false(r->evidence.alert_seen);
    probe_free(p);
    ovpn_peer_free(peer);
}

/* Over UDP an ended session is silent: the follow-up is never acknowledged. */
static void openvpn_udp_followup_unacknowledged(void **state)
{
    (void)state;
    struct ovpn_peer *peer = ovpn_peer_new(false);
    struct probe *p = new_ovpn_probe(PROBE_OPENVPN_UDP);
    ovpn_until_probe(p, peer, 0);
    peer->deaf = true;
    probe_on_tick(p, T0 + 110);
    ovpn_move(p, peer, T0 + 110, 0);
    assert_true(peer->datagrams > 0);
    probe_on_tick(p, T0 + TIMEOUT);
    const struct probe_result *r = done(p, PROBE_NOT_VULNERABLE);
    assert_non_null(strstr(r->reason, "never acknowledged"));
    probe_free(p);
    ovpn_peer_free(peer);
}

static void openvpn_no_answer_to_reset(void **state)
{
    (void)state;
    static const char *const words = "tls-auth or tls-crypt protects the control channel";
    struct ovpn_peer *peer = ovpn_peer_new(true);
    peer->deaf = true;
    struct probe *p = new_ovpn_probe(PROBE_OPENVPN_TCP);
    ovpn_move(p, peer, T0, 0);
    probe_on_tick(p, T0 + TIMEOUT);
    const struct probe_result *r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, words));
    probe_free(p);
    /* A tls-auth server over TCP closes at once: the same, and no retry at other versions. */
    p = new_ovpn_probe(PROBE_OPENVPN_TCP);
    ovpn_move(p, peer, T0, 0);
    probe_on_closed(p, T0 + 5, false);
    r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, words));
    assert_int_equal(r->evidence.attempts, 1);
    probe_free(p);
    ovpn_peer_free(peer);
}

static void openvpn_reply_not_openvpn(void **state)
{
    (void)state;
    static const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    struct probe *p = new_ovpn_probe(PROBE_OPENVPN_TCP);
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    probe_on_data(p, T0 + 5, http, sizeof http - 1);
    const struct probe_result *r = done(p, PROBE_NOT_TLS);
    assert_non_null(strstr(r->reason, "not OpenVPN: \"HTTP/1.1 400"));
    probe_free(p);
    /* A plain TLS server's alert is no OpenVPN packet either. */
    p = new_ovpn_probe(PROBE_OPENVPN_TCP);
    probe_take_output(p, &out, &n);
    probe_on_data(p, T0 + 5, alert_early_heartbeat, sizeof alert_early_heartbeat);
    done(p, PROBE_NOT_TLS);
    probe_free(p);
}

/* Broken packets after the session opened end the probe, without a crash or a verdict. */
static void openvpn_bad_packet_after_reset(void **state)
{
    (void)state;
    struct ovpn_peer *peer = ovpn_peer_new(false);
    struct probe *p = new_ovpn_probe(PROBE_OPENVPN_UDP);
    ovpn_move(p, peer, T0, 0);
    static const uint8_t bad_ack[] = {
        OVPN_P_ACK_V1 << 3, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 200};
    probe_on_data(p, T0 + 5, bad_ack, sizeof bad_ack);
    const struct probe_result *r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, "bad OpenVPN packet"));
    probe_free(p);
    ovpn_peer_free(peer);
}

static void transport_names(void **state)
{
    (void)state;
    assert_string_equal(probe_transport_name(PROBE_TCP), "tcp");
    assert_string_equal(probe_transport_name(PROBE_DTLS), "dtls");
    assert_string_equal(probe_transport_name(PROBE_OPENVPN_TCP), "openvpn-tcp");
    assert_string_equal(probe_transport_name(PROBE_OPENVPN_UDP), "openvpn-udp");
    assert_false(probe_transport_is_datagram(PROBE_OPENVPN_TCP));
    assert_true(probe_transport_is_datagram(PROBE_OPENVPN_UDP));
    struct probe_config cfg = {
        .transport = (enum probe_transport)9, .kit = kit0, .max_version = TLS_VERSION_TLS12};
    struct probe *p = NULL;
    assert_error(probe_new(&cfg, T0, &p), HC_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vulnerable_whole),
        cmocka_unit_test(vulnerable_from_first_bytes),
        cmocka_unit_test(vulnerable_byte_by_byte),
        cmocka_unit_test(vulnerable_split_everywhere),
        cmocka_unit_test(vulnerable_messages_in_one_record),
        cmocka_unit_test(patched_closes),
        cmocka_unit_test(patched_followup_answered),
        cmocka_unit_test(no_extension_then_close_or_silence),
        cmocka_unit_test(patched_silence_until_deadline),
        cmocka_unit_test(not_vulnerable_openssl3),
        cmocka_unit_test(not_vulnerable_gnutls),
        cmocka_unit_test(fallback_to_ssl3_vulnerable),
        cmocka_unit_test(every_version_refused),
        cmocka_unit_test(every_lower_version_refused),
        cmocka_unit_test(ssl3_attempt_sends_no_name),
        cmocka_unit_test(every_handshake_closed),
        cmocka_unit_test(sni_refused_retries_without),
        cmocka_unit_test(leak_collects_exactly_n_bytes),
        cmocka_unit_test(leak_tail_never_arrives),
        cmocka_unit_test(not_tls_banner),
        cmocka_unit_test(sslv2_reply),
        cmocka_unit_test(huge_record_length),
        cmocka_unit_test(huge_handshake_message),
        cmocka_unit_test(alert_flood),
        cmocka_unit_test(answer_that_echoes_something_else),
        cmocka_unit_test(server_heartbeat_request_is_skipped),
        cmocka_unit_test(silent_server),
        cmocka_unit_test(connect_refused_and_timeout),
        cmocka_unit_test(data_after_done_is_ignored),
        cmocka_unit_test(prelude_every_protocol_then_vulnerable),
        cmocka_unit_test(prelude_byte_by_byte_then_vulnerable),
        cmocka_unit_test(prelude_refused_is_not_tls),
        cmocka_unit_test(prelude_silence_and_close),
        cmocka_unit_test(prelude_runs_again_after_fallback),
        cmocka_unit_test(openvpn_tcp_vulnerable),
        cmocka_unit_test(openvpn_tcp_byte_by_byte),
        cmocka_unit_test(openvpn_udp_vulnerable),
        cmocka_unit_test(openvpn_reset_first),
        cmocka_unit_test(openvpn_patched),
        cmocka_unit_test(openvpn_session_ended),
        cmocka_unit_test(openvpn_udp_followup_unacknowledged),
        cmocka_unit_test(openvpn_no_answer_to_reset),
        cmocka_unit_test(openvpn_reply_not_openvpn),
        cmocka_unit_test(openvpn_bad_packet_after_reset),
        cmocka_unit_test(transport_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
