/* The lure (client role): the answer to real and built ClientHellos, every verdict, hellos
 * split anywhere, hostile input, the prelude, the over-read. */
#include "unit.h"

#include "probe/kit.h"
#include "probe/probe.h"
#include "proto/proto.h"

#include <stdlib.h>
#include <string.h>

/* The ClientHello record of OpenSSL 1.0.1f s_client, from
 * shared/vectors/openssl-1.0.1f-client_tls12_zero-leak-probe.pcap (frame 4). */
static const uint8_t hello_101f[] = {
    0x16, 0x03, 0x01, 0x01, 0x40, 0x01, 0x00, 0x01, 0x3c, 0x03, 0x03, 0x4b, 0xc0, 0x88, 0x97, 0xc7,
    0x2f, 0x0a, 0xf5, 0x23, 0xc0, 0xda, 0x28, 0x11, 0x97, 0xb0, 0x25, 0x20, 0x01, 0xa8, 0xe9, 0x64,
    0x9a, 0x16, 0x5d, 0x53, 0x17, 0xc0, 0xd8, 0x08, 0x17, 0x20, 0xf7, 0x00, 0x00, 0xa2, 0xc0, 0x30,
    0xc0, 0x2c, 0xc0, 0x28, 0xc0, 0x24, 0xc0, 0x14, 0xc0, 0x0a, 0xc0, 0x22, 0xc0, 0x21, 0x00, 0xa3,
    0x00, 0x9f, 0x00, 0x6b, 0x00, 0x6a, 0x00, 0x39, 0x00, 0x38, 0x00, 0x88, 0x00, 0x87, 0xc0, 0x32,
    0xc0, 0x2e, 0xc0, 0x2a, 0xc0, 0x26, 0xc0, 0x0f, 0xc0, 0x05, 0x00, 0x9d, 0x00, 0x3d, 0x00, 0x35,
    0x00, 0x84, 0xc0, 0x12, 0xc0, 0x08, 0xc0, 0x1c, 0xc0, 0x1b, 0x00, 0x16, 0x00, 0x13, 0xc0, 0x0d,
    0xc0, 0x03, 0x00, 0x0a, 0xc0, 0x2f, 0xc0, 0x2b, 0xc0, 0x27, 0xc0, 0x23, 0xc0, 0x13, 0xc0, 0x09,
    0xc0, 0x1f, 0xc0, 0x1e, 0x00, 0xa2, 0x00, 0x9e, 0x00, 0x67, 0x00, 0x40, 0x00, 0x33, 0x00, 0x32,
    0xe0, 0x11, 0x00, 0x9a, 0x00, 0x99, 0x00, 0x45, 0x00, 0x44, 0xc0, 0x31, 0xc0, 0x2d, 0xc0, 0x29,
    0xc0, 0x25, 0xc0, 0x0e, 0xc0, 0x04, 0x00, 0x9c, 0x00, 0x3c, 0x00, 0x2f, 0x00, 0x96, 0x00, 0x41,
    0x00, 0x07, 0xc0, 0x11, 0xc0, 0x07, 0xc0, 0x0c, 0xc0, 0x02, 0x00, 0x05, 0x00, 0x04, 0x00, 0x15,
    0x00, 0x12, 0x00, 0x09, 0x00, 0x14, 0x00, 0x11, 0x00, 0x08, 0x00, 0x06, 0x00, 0x03, 0x00, 0xff,
    0x01, 0x00, 0x00, 0x71, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x36,
    0x00, 0x34, 0x00, 0x0e, 0x00, 0x0d, 0x00, 0x19, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x18, 0x00, 0x09,
    0x00, 0x0a, 0x00, 0x1a, 0x00, 0x16, 0x00, 0x17, 0x00, 0x08, 0x00, 0x06, 0x00, 0x07, 0x00, 0x14,
    0x00, 0x15, 0x00, 0x04, 0x00, 0x05, 0x00, 0x12, 0x00, 0x13, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
    0x00, 0x0f, 0x00, 0x10, 0x00, 0x11, 0x00, 0x23, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x22, 0x00, 0x20,
    0x06, 0x01, 0x06, 0x02, 0x06, 0x03, 0x05, 0x01, 0x05, 0x02, 0x05, 0x03, 0x04, 0x01, 0x04, 0x02,
    0x04, 0x03, 0x03, 0x01, 0x03, 0x02, 0x03, 0x03, 0x02, 0x01, 0x02, 0x02, 0x02, 0x03, 0x07, 0x07,
    0x00, 0x0f, 0x00, 0x01, 0x01};
static const char ja3_101f_hash[] = "694125e96bd8a6198ea3fc8cb7b8683f"; /* computed independently */

static const uint8_t cert[] = {0x30, 0x03, 0x02, 0x01, 0x01}; /* never parsed by the lure */

enum { T0 = 1000, TIMEOUT = 5000, FOLLOWUP = 100 };

struct fixture {
    struct probe_kit *kit;
    struct lure *lure;
    uint8_t out[65536];
    size_t out_len;
};

static void drain(struct fixture *f);

static struct fixture *fixture_new(uint32_t leak, const struct prelude_desc *prelude)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_success(probe_kit_new(leak, &f->kit));
    struct lure_config cfg = {.kit = f->kit,
                              .prelude = prelude,
                              .cert_der = cert,
                              .cert_len = sizeof cert,
                              .cert_rsa = true,
                              .timeout_ms = TIMEOUT,
                              .followup_ms = FOLLOWUP};
    assert_success(lure_new(&cfg, T0, &f->lure));
    drain(f); /* a prelude's greeting */
    return f;
}

static void fixture_free(struct fixture *f)
{
    lure_free(f->lure);
    probe_kit_free(f->kit);
    free(f);
}

/* Collects what the lure wants written, as the driver would. */
static void drain(struct fixture *f)
{
    const uint8_t *data;
    size_t len;
    for (lure_take_output(f->lure, &data, &len); len > 0; lure_take_output(f->lure, &data, &len)) {
        assert_true(f->out_len + len <= sizeof f->out);
        memcpy(f->out + f->out_len, data, len);
        f->out_len += len;
    }
}

static void give(struct fixture *f, uint64_t now, const void *data, size_t len)
{
    lure_on_data(f->lure, now, data, len);
    drain(f);
}

static const struct lure_result *done(const struct fixture *f)
{
    assert_true(lure_done(f->lure));
    return lure_result(f->lure);
}

/* The records of what the lure sent, from offset at. */
static struct wire_reader sent(const struct fixture *f, size_t at)
{
    return wire_reader_init(f->out + at, f->out_len - at);
}

/* Checks the flight: ServerHello, the zero-leak heartbeat, Certificate (+ ServerHelloDone);
 * gives the ServerHello and the heartbeat record's payload. */
static void check_flight(const struct fixture *f, struct tls_server_hello *sh, bool with_done,
                         const uint8_t **payload)
{
    struct wire_reader s = sent(f, 0), body;
    struct tls_record_header h;
    assert_success(tls_record_next(&s, &h, &body));
    assert_int_equal(h.type, TLS_CT_HANDSHAKE);
    assert_int_equal(wire_peek(&body)[0], TLS_HS_SERVER_HELLO);
    assert_success(tls_server_hello_parse(wire_peek(&body) + 4, wire_remaining(&body) - 4, sh));
    assert_int_equal(h.version, sh->version);
    assert_success(tls_record_next(&s, &h, &body));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    assert_int_equal(h.version, sh->version); /* the negotiated version, or a protocol alert */
    assert_int_equal(h.length, TLS_HEARTBEAT_HEADER_LEN + f->kit->probe_sent); /* no padding */
    struct tls_heartbeat_header hb;
    assert_success(tls_heartbeat_header_parse(&body, &hb));
    assert_int_equal(hb.type, TLS_HEARTBEAT_REQUEST);
    /* The zero-leak probe claims exactly what it carries: 16381 bytes, a full record. */
    assert_int_equal(hb.payload_length, PROBE_PAYLOAD);
    assert_int_equal(wire_remaining(&body), f->kit->probe_sent);
    *payload = wire_peek(&body);
    assert_success(tls_record_next(&s, &h, &body));
    assert_int_equal(h.type, TLS_CT_HANDSHAKE);
    struct tls_handshake_buffer hs;
    tls_handshake_buffer_init(&hs, 65536);
    assert_success(tls_handshake_append(&hs, wire_peek(&body), wire_remaining(&body)));
    struct tls_handshake_message m;
    assert_success(tls_handshake_next(&hs, &m));
    assert_int_equal(m.type, TLS_HS_CERTIFICATE);
    struct tls_certificate_chain chain;
    assert_success(tls_certificate_parse(m.body, m.len, &chain));
    assert_memory_equal(chain.leaf, cert, sizeof cert);
    if (with_done) {
        assert_success(tls_handshake_next(&hs, &m));
        assert_int_equal(m.type, TLS_HS_SERVER_HELLO_DONE);
    }
    assert_error(tls_handshake_next(&hs, &m), HC_ERR_SHORT);
    tls_handshake_buffer_free(&hs);
    assert_int_equal(wire_remaining(&s), 0);
}

/* A heartbeat response echoing payload (claimed as claimed), with 16 bytes of padding. */
static size_t response(uint16_t version, const uint8_t *payload, size_t len, uint16_t claimed,
                       uint8_t *out, size_t cap)
{
    struct tls_heartbeat_params p = {.record_version = version,
                                     .type = TLS_HEARTBEAT_RESPONSE,
                                     .claimed_length = claimed,
                                     .payload = payload,
                                     .payload_len = len,
                                     .padding_len = TLS_HEARTBEAT_MIN_PADDING};
    struct wire_writer w = wire_writer_init(out, cap);
    assert_success(tls_heartbeat_write(&w, &p));
    return w.len;
}

static size_t alert(uint8_t level, uint8_t description, uint8_t *out, size_t cap)
{
    struct wire_writer w = wire_writer_init(out, cap);
    tls_alert_write(&w, TLS_VERSION_TLS12, level, description);
    assert_success(wire_writer_result(&w));
    return w.len;
}

/* A ClientHello built by the tool's own builder (extensions: heartbeat among others). */
static size_t built_hello(uint16_t version, bool extensions, uint8_t *out, size_t cap)
{
    struct tls_client_hello_params p = {.version = version,
                                        .record_version = TLS_VERSION_TLS10,
                                        .server_name = "client.test",
                                        .with_extensions = extensions};
    struct wire_writer w = wire_writer_init(out, cap);
    assert_success(tls_client_hello_write(&w, &p));
    return w.len;
}

/* A ClientHello record with the given suites and one extension (type 0xffff: none). */
static size_t custom_hello(const uint16_t *suites, size_t n, uint16_t ext_type, const uint8_t *ext,
                           size_t ext_len, uint8_t *out, size_t cap)
{
    struct wire_writer w = wire_writer_init(out, cap);
    struct wire_mark rec = tls_record_open(&w, TLS_CT_HANDSHAKE, TLS_VERSION_TLS10);
    struct wire_mark msg = tls_handshake_open(&w, TLS_HS_CLIENT_HELLO);
    wire_write_u16(&w, TLS_VERSION_TLS12);
    wire_write_fill(&w, 0x11, TLS_RANDOM_LEN);
    wire_write_u8(&w, 0);
    struct wire_mark list = wire_open(&w, 2);
    for (size_t i = 0; i < n; i++)
        wire_write_u16(&w, suites[i]);
    wire_close(&w, list);
    wire_write_u8(&w, 1);
    wire_write_u8(&w, 0);
    if (ext_type != 0xffff) {
        struct wire_mark exts = wire_open(&w, 2);
        wire_write_u16(&w, ext_type);
        struct wire_mark e = wire_open(&w, 2);
        wire_write_bytes(&w, ext, ext_len);
        wire_close(&w, e);
        wire_close(&w, exts);
    }
    wire_close(&w, msg);
    wire_close(&w, rec);
    assert_success(wire_writer_result(&w));
    return w.len;
}

/* ---- the answer ---- */

static void answers_openssl_101f(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, hello_101f, sizeof hello_101f);
    assert_false(lure_done(f->lure));
    struct tls_server_hello sh;
    const uint8_t *payload;
    check_flight(f, &sh, true, &payload);
    assert_int_equal(sh.version, TLS_VERSION_TLS12);
    assert_true(sh.heartbeat); /* the client offered it */
    assert_true(tls_cipher_suite_find(sh.cipher_suite)->rsa_kx);
    const struct lure_evidence *ev = &lure_result(f->lure)->evidence;
    assert_true(ev->client_hello);
    assert_true(ev->hello.heartbeat);
    assert_int_equal(ev->tls_version, TLS_VERSION_TLS12);
    assert_int_equal(ev->cipher, sh.cipher_suite);
    assert_string_equal(ev->ja3_hash, ja3_101f_hash);
    assert_int_equal(ev->claimed_length, PROBE_PAYLOAD);
    assert_int_equal(ev->sent_length, PROBE_PAYLOAD);
    assert_int_equal(lure_wakeup_at(f->lure), T0 + FOLLOWUP);
    fixture_free(f);
}

/* Any split of the hello gives the same answer. */
static void hello_split_anywhere(void **state)
{
    (void)state;
    for (size_t cut = 1; cut < sizeof hello_101f; cut++) {
        struct fixture *f = fixture_new(0, NULL);
        give(f, T0, hello_101f, cut);
        assert_int_equal(f->out_len, 0);
        give(f, T0, hello_101f + cut, sizeof hello_101f - cut);
        struct tls_server_hello sh;
        const uint8_t *payload;
        check_flight(f, &sh, true, &payload);
        fixture_free(f);
    }
    struct fixture *f = fixture_new(0, NULL);
    for (size_t i = 0; i < sizeof hello_101f; i++)
        give(f, T0, hello_101f + i, 1);
    struct tls_server_hello sh;
    const uint8_t *payload;
    check_flight(f, &sh, true, &payload);
    fixture_free(f);
}

/* Only extensions the client sent come back (RFC 5246 7.4.1.4); renegotiation_info when it
 * asked with the SCSV. */
static void echoes_only_offered_extensions(void **state)
{
    (void)state;
    uint8_t rec[2048];
    size_t n = built_hello(TLS_VERSION_TLS11, false, rec, sizeof rec);
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, rec, n);
    struct tls_server_hello sh;
    const uint8_t *payload;
    check_flight(f, &sh, true, &payload);
    assert_int_equal(sh.version, TLS_VERSION_TLS11);
    assert_false(sh.heartbeat);
    assert_int_equal(sh.extension_count, 1);
    assert_int_equal(sh.extensions[0], TLS_EXT_RENEGOTIATION_INFO);
    assert_false(tls_cipher_suite_find(sh.cipher_suite)->tls12_only);
    fixture_free(f);
}

/* Without an RSA suite no ServerHelloDone: the client waits for a ServerKeyExchange. */
static void ecdhe_only_client(void **state)
{
    (void)state;
    static const uint16_t suites[] = {0xc02f};
    uint8_t rec[512];
    size_t n = custom_hello(suites, 1, 0xffff, NULL, 0, rec, sizeof rec);
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, rec, n);
    struct tls_server_hello sh;
    const uint8_t *payload;
    check_flight(f, &sh, false, &payload);
    assert_int_equal(sh.cipher_suite, 0xc02f);
    fixture_free(f);
}

static void unknown_suites_inconclusive(void **state)
{
    (void)state;
    static const uint16_t suites[] = {0x1301, 0x0a0a};
    uint8_t rec[512];
    size_t n = custom_hello(suites, 2, 0xffff, NULL, 0, rec, sizeof rec);
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, rec, n);
    assert_int_equal(done(f)->verdict, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(done(f)->reason, "none of the"));
    assert_int_equal(f->out_len, 0);
    fixture_free(f);
}

static void tls13_only_not_vulnerable(void **state)
{
    (void)state;
    static const uint16_t suites[] = {0x1301, 0x002f};
    static const uint8_t versions[] = {2, 0x03, 0x04};
    uint8_t rec[512];
    size_t n = custom_hello(suites, 2, TLS_EXT_SUPPORTED_VERSIONS, versions, sizeof versions, rec,
                            sizeof rec);
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, rec, n);
    assert_int_equal(done(f)->verdict, PROBE_NOT_VULNERABLE);
    assert_non_null(strstr(done(f)->reason, "TLS 1.3 only"));
    fixture_free(f);
}

/* ---- verdicts ---- */

static struct fixture *probed(uint32_t leak, const uint8_t **payload)
{
    struct fixture *f = fixture_new(leak, NULL);
    give(f, T0, hello_101f, sizeof hello_101f);
    struct tls_server_hello sh;
    check_flight(f, &sh, true, payload);
    return f;
}

static void vulnerable_echo(void **state)
{
    (void)state;
    const uint8_t *payload;
    struct fixture *f = probed(0, &payload);
    static uint8_t rec[TLS_RECORD_HEADER_LEN + 3 + 65535 + 16];
    size_t n = response(TLS_VERSION_TLS12, payload, 16, PROBE_PAYLOAD, rec, sizeof rec);
    give(f, T0 + 5, rec, n); /* decided from the first bytes, not the whole record */
    const struct lure_result *r = done(f);
    assert_int_equal(r->verdict, PROBE_VULNERABLE);
    assert_int_equal(r->evidence.leaked_bytes, 0);
    assert_null(r->leak);
    fixture_free(f);
}

static void patched_followup_answered(void **state)
{
    (void)state;
    const uint8_t *payload;
    struct fixture *f = probed(0, &payload);
    size_t flight = f->out_len;
    lure_on_tick(f->lure, T0 + FOLLOWUP - 1);
    drain(f);
    assert_int_equal(f->out_len, flight);
    lure_on_tick(f->lure, T0 + FOLLOWUP);
    drain(f);
    struct wire_reader s = sent(f, flight), body;
    struct tls_record_header h;
    assert_success(tls_record_next(&s, &h, &body));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    struct tls_heartbeat_header hb;
    assert_success(tls_heartbeat_header_parse(&body, &hb));
    assert_int_equal(hb.payload_length, PROBE_FOLLOWUP_PAYLOAD);
    assert_int_equal(wire_remaining(&body), PROBE_FOLLOWUP_PAYLOAD + TLS_HEARTBEAT_MIN_PADDING);
    static uint8_t rec[TLS_RECORD_HEADER_LEN + 16384];
    size_t n = response(TLS_VERSION_TLS12, wire_peek(&body), PROBE_FOLLOWUP_PAYLOAD,
                        PROBE_FOLLOWUP_PAYLOAD, rec, sizeof rec);
    give(f, T0 + FOLLOWUP + 3, rec, n);
    assert_int_equal(done(f)->verdict, PROBE_PATCHED);
    assert_non_null(strstr(done(f)->reason, "well-formed"));
    fixture_free(f);
}

static void patched_silence_and_close(void **state)
{
    (void)state;
    const uint8_t *payload;
    struct fixture *f = probed(0, &payload);
    lure_on_tick(f->lure, T0 + TIMEOUT);
    assert_int_equal(done(f)->verdict, PROBE_PATCHED);
    fixture_free(f);
    f = probed(0, &payload);
    lure_on_closed(f->lure, T0 + 10, false);
    assert_int_equal(done(f)->verdict, PROBE_PATCHED);
    fixture_free(f);
}

static void alerts_after_the_probe(void **state)
{
    (void)state;
    static const struct {
        uint8_t description;
        enum probe_verdict verdict;
    } cases[] = {
        {TLS_ALERT_UNEXPECTED_MESSAGE, PROBE_NOT_VULNERABLE}, /* no heartbeats: refused */
        {48 /* unknown_ca */, PROBE_PATCHED},                 /* went past it to our cert */
        {TLS_ALERT_CLOSE_NOTIFY, PROBE_PATCHED},              /* silence, politely */
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        const uint8_t *payload;
        struct fixture *f = probed(0, &payload);
        uint8_t rec[16];
        size_t n = alert(TLS_ALERT_FATAL, cases[i].description, rec, sizeof rec);
        give(f, T0 + 1, rec, n);
        const struct lure_result *r = done(f);
        assert_int_equal(r->verdict, cases[i].verdict);
        assert_true(r->evidence.alert_seen);
        assert_int_equal(r->evidence.alert.description, cases[i].description);
        fixture_free(f);
    }
}

/* A warning alert does not end anything; a hello without heartbeat extension then silence
 * is not_vulnerable (OpenSSL 1.0.1 always offers it). */
static void no_heartbeat_extension_silence(void **state)
{
    (void)state;
    uint8_t rec[2048];
    size_t n = built_hello(TLS_VERSION_TLS12, false, rec, sizeof rec);
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, rec, n);
    n = alert(TLS_ALERT_WARNING, 112, rec, sizeof rec);
    give(f, T0 + 1, rec, n);
    assert_false(lure_done(f->lure));
    lure_on_closed(f->lure, T0 + 2, true);
    assert_int_equal(done(f)->verdict, PROBE_NOT_VULNERABLE);
    assert_non_null(strstr(done(f)->reason, "reset"));
    fixture_free(f);
}

/* After the client's ChangeCipherSpec records are encrypted: a heartbeat record then is the
 * follow-up's answer; an alert is unreadable. */
static void encrypted_records(void **state)
{
    (void)state;
    static const uint8_t ccs[] = {TLS_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1};
    uint8_t rec[64] = {TLS_CT_HEARTBEAT, 3, 3, 0, 40};
    const uint8_t *payload;
    struct fixture *f = probed(0, &payload);
    give(f, T0 + 1, ccs, sizeof ccs);
    lure_on_tick(f->lure, T0 + FOLLOWUP);
    drain(f);
    give(f, T0 + FOLLOWUP + 1, rec, 5 + 40);
    assert_int_equal(done(f)->verdict, PROBE_PATCHED);
    assert_non_null(strstr(done(f)->reason, "encrypted"));
    fixture_free(f);

    f = probed(0, &payload);
    give(f, T0 + 1, ccs, sizeof ccs);
    rec[0] = TLS_CT_ALERT;
    rec[4] = 26;
    give(f, T0 + 2, rec, 5 + 26);
    assert_int_equal(done(f)->verdict, PROBE_PATCHED);
    assert_true(done(f)->evidence.alert_encrypted);
    fixture_free(f);
}

static void over_read_collected(void **state)
{
    (void)state;
    enum { LEAK = 40 };
    const uint8_t *payload;
    struct fixture *f = probed(LEAK, &payload);
    /* The probe now carries 16381 - 40 bytes and claims 16381. */
    /* The answer (3 + 16381 + 16 bytes) spans two records; only the first has the header
     * (RFC 6520 section 4). */
    static uint8_t msg[3 + PROBE_PAYLOAD + 16], rec[sizeof msg + 2 * TLS_RECORD_HEADER_LEN];
    msg[0] = TLS_HEARTBEAT_RESPONSE;
    msg[1] = PROBE_PAYLOAD >> 8;
    msg[2] = PROBE_PAYLOAD & 0xff;
    memcpy(msg + 3, payload, PROBE_PAYLOAD - LEAK);
    memset(msg + 3 + PROBE_PAYLOAD - LEAK, 'S', LEAK); /* the client's "memory" */
    struct wire_writer w = wire_writer_init(rec, sizeof rec);
    for (size_t at = 0; at < sizeof msg; at += TLS_MAX_PLAINTEXT) {
        size_t len = sizeof msg - at < TLS_MAX_PLAINTEXT ? sizeof msg - at : TLS_MAX_PLAINTEXT;
        struct wire_mark m = tls_record_open(&w, TLS_CT_HEARTBEAT, TLS_VERSION_TLS12);
        wire_write_bytes(&w, msg + at, len);
        wire_close(&w, m);
    }
    assert_success(wire_writer_result(&w));
    for (size_t at = 0; at < w.len; at += 1000) /* in pieces */
        give(f, T0 + 2, rec + at, w.len - at < 1000 ? w.len - at : 1000);
    const struct lure_result *r = done(f);
    assert_int_equal(r->verdict, PROBE_VULNERABLE);
    assert_int_equal(r->evidence.leaked_bytes, LEAK);
    assert_int_equal(r->evidence.claimed_length, PROBE_PAYLOAD);
    assert_int_equal(r->evidence.sent_length, PROBE_PAYLOAD - LEAK);
    assert_non_null(r->leak);
    for (size_t i = 0; i < LEAK; i++)
        assert_int_equal(r->leak[i], 'S');
    fixture_free(f);
}

static void foreign_heartbeat_response(void **state)
{
    (void)state;
    const uint8_t *payload;
    struct fixture *f = probed(0, &payload);
    static const uint8_t other[20] = "not ours at all.....";
    uint8_t rec[128];
    size_t n = response(TLS_VERSION_TLS12, other, sizeof other, sizeof other, rec, sizeof rec);
    give(f, T0 + 1, rec, n);
    assert_int_equal(done(f)->verdict, PROBE_INCONCLUSIVE);
    fixture_free(f);
}

/* ---- hostile and broken clients ---- */

static void garbage_not_tls(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, "GET / HTTP/1.1\r\n", 16);
    assert_int_equal(done(f)->verdict, PROBE_NOT_TLS);
    assert_non_null(strstr(done(f)->reason, "GET / HTTP/1.1\\x0d\\x0a"));
    assert_int_equal(f->out_len, 0);
    fixture_free(f);
    f = fixture_new(0, NULL);
    give(f, T0, "hi", 2);
    lure_on_closed(f->lure, T0 + 1, false);
    assert_int_equal(done(f)->verdict, PROBE_NOT_TLS);
    fixture_free(f);
}

static void sslv2_hello_refused(void **state)
{
    (void)state;
    static const uint8_t v2[] = {0x80, 0x1c, 0x01, 0x03, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
                                 0x10, 0x00, 0x00, 0x2f, 1,    2,    3,    4,    5,    6,
                                 7,    8,    9,    10,   11,   12,   13,   14,   15,   16};
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, v2, sizeof v2);
    const struct lure_result *r = done(f);
    assert_int_equal(r->verdict, PROBE_INCONCLUSIVE);
    assert_true(r->evidence.sslv2_hello);
    assert_int_equal(r->evidence.sslv2_version, TLS_VERSION_TLS10);
    assert_int_equal(f->out_len, 0);
    fixture_free(f);
}

static void incomplete_hellos(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, hello_101f, 100);
    lure_on_tick(f->lure, T0 + TIMEOUT - 1);
    assert_false(lure_done(f->lure));
    lure_on_tick(f->lure, T0 + TIMEOUT);
    assert_int_equal(done(f)->verdict, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(done(f)->reason, "no complete ClientHello"));
    fixture_free(f);
    f = fixture_new(0, NULL);
    give(f, T0, hello_101f, 100);
    lure_on_closed(f->lure, T0 + 1, true);
    assert_non_null(strstr(done(f)->reason, "middle of its ClientHello"));
    fixture_free(f);
    f = fixture_new(0, NULL);
    lure_on_closed(f->lure, T0 + 1, false);
    assert_non_null(strstr(done(f)->reason, "before any byte"));
    fixture_free(f);
}

/* A handshake message declaring 16 MB is refused at its header, not buffered. */
static void huge_hello_refused(void **state)
{
    (void)state;
    static const uint8_t huge[] = {TLS_CT_HANDSHAKE,    3,    1,    0x40, 0x00,
                                   TLS_HS_CLIENT_HELLO, 0xff, 0xff, 0xff};
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, huge, sizeof huge);
    assert_int_equal(done(f)->verdict, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(done(f)->reason, "longer than we accept"));
    fixture_free(f);
}

static void other_first_messages(void **state)
{
    (void)state;
    static const uint8_t sh[] = {TLS_CT_HANDSHAKE, 3, 3, 0, 4, TLS_HS_SERVER_HELLO, 0, 0, 0};
    static const uint8_t app[] = {TLS_CT_APPLICATION_DATA, 3, 3, 0, 1, 0};
    struct fixture *f = fixture_new(0, NULL);
    give(f, T0, sh, sizeof sh);
    assert_non_null(strstr(done(f)->reason, "not a ClientHello"));
    fixture_free(f);
    f = fixture_new(0, NULL);
    give(f, T0, app, sizeof app);
    assert_non_null(strstr(done(f)->reason, "before its ClientHello"));
    fixture_free(f);
    uint8_t rec[16];
    size_t n = alert(TLS_ALERT_FATAL, TLS_ALERT_HANDSHAKE_FAILURE, rec, sizeof rec);
    f = fixture_new(0, NULL);
    give(f, T0, rec, n);
    assert_int_equal(done(f)->verdict, PROBE_INCONCLUSIVE);
    fixture_free(f);
}

/* ---- the prelude ---- */

static void smtp_prelude_then_tls(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, proto_find("smtp"));
    assert_true(f->out_len > 4 && memcmp(f->out, "220 ", 4) == 0); /* the greeting */
    give(f, T0, "EHLO client.test\r\n", 18);
    assert_non_null(memmem(f->out, f->out_len, "STARTTLS", 8));
    size_t before = f->out_len;
    give(f, T0, "STARTTLS\r\n", 10);
    assert_true(f->out_len > before && memcmp(f->out + before, "220", 3) == 0);
    size_t tls_at = f->out_len;
    give(f, T0, hello_101f, sizeof hello_101f);
    assert_true(f->out_len > tls_at);
    assert_int_equal(f->out[tls_at], TLS_CT_HANDSHAKE);
    assert_string_equal(lure_result(f->lure)->evidence.prelude, "smtp");
    fixture_free(f);
}

/* A MySQL client sends its SSL request and its ClientHello in one segment. */
static void prelude_hello_in_same_segment(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, proto_find("mysql"));
    assert_true(f->out_len > 0); /* the server's handshake packet */
    /* SSLRequest: 32-byte payload, sequence 1, CLIENT_SSL (0x0800) and CLIENT_PROTOCOL_41. */
    uint8_t seg[36 + sizeof hello_101f] = {32, 0, 0, 1, 0x00, 0x0a, 0, 0, 0, 0, 0, 1, 33};
    memcpy(seg + 36, hello_101f, sizeof hello_101f);
    size_t before = f->out_len;
    give(f, T0, seg, sizeof seg);
    if (lure_done(f->lure))
        fail_msg("%s", lure_result(f->lure)->reason);
    assert_true(f->out_len > before);
    assert_int_equal(f->out[before], TLS_CT_HANDSHAKE);
    fixture_free(f);
}

static void prelude_failures(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, proto_find("smtp"));
    lure_on_closed(f->lure, T0 + 1, false);
    assert_non_null(strstr(done(f)->reason, "during the smtp dialogue"));
    fixture_free(f);
    f = fixture_new(0, proto_find("smtp"));
    lure_on_tick(f->lure, T0 + TIMEOUT);
    assert_non_null(strstr(done(f)->reason, "did not reach TLS"));
    fixture_free(f);
}

static void config_checked(void **state)
{
    (void)state;
    struct lure *l;
    struct lure_config cfg = {.cert_der = cert, .cert_len = sizeof cert};
    assert_error(lure_new(&cfg, T0, &l), HC_ERR_USAGE); /* no kit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_openssl_101f),
        cmocka_unit_test(hello_split_anywhere),
        cmocka_unit_test(echoes_only_offered_extensions),
        cmocka_unit_test(ecdhe_only_client),
        cmocka_unit_test(unknown_suites_inconclusive),
        cmocka_unit_test(tls13_only_not_vulnerable),
        cmocka_unit_test(vulnerable_echo),
        cmocka_unit_test(patched_followup_answered),
        cmocka_unit_test(patched_silence_and_close),
        cmocka_unit_test(alerts_after_the_probe),
        cmocka_unit_test(no_heartbeat_extension_silence),
        cmocka_unit_test(encrypted_records),
        cmocka_unit_test(over_read_collected),
        cmocka_unit_test(foreign_heartbeat_response),
        cmocka_unit_test(garbage_not_tls),
        cmocka_unit_test(sslv2_hello_refused),
        cmocka_unit_test(incomplete_hellos),
        cmocka_unit_test(huge_hello_refused),
        cmocka_unit_test(other_first_messages),
        cmocka_unit_test(smtp_prelude_then_tls),
        cmocka_unit_test(prelude_hello_in_same_segment),
        cmocka_unit_test(prelude_failures),
        cmocka_unit_test(config_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
