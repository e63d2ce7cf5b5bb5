/* The DTLS probe (src/probe/dtls_probe.c through probe.h), against a scripted DTLS server whose
 * messages are OpenSSL 1.0.1f's real ServerHello and Certificate (support/vectors.h) in DTLS
 * records: flights whole, fragmented at every size, reordered, repeated and lost; cookie
 * exchange, retransmission timers, version fallback, and every verdict. */
#include "unit.h"

#include "probe/dtls_probe.h"
#include "probe/kit.h"
#include "probe/probe.h"
#include "support/vectors.h"

#include <stdlib.h>
#include <string.h>

enum { T0 = 1000, TIMEOUT = 5000, FOLLOWUP = 100, DGRAM_MAX = 65536 };

static struct probe_kit *kit0, *kit100, *kit20000;

/* The real messages (bodies, without handshake headers). */
static uint8_t hello_body[256], cert_body[2048];
static size_t hello_len, cert_len;

static void load_messages(void)
{
    struct tls_handshake_buffer hs;
    tls_handshake_buffer_init(&hs, 1 << 16);
    struct wire_reader s = wire_reader_init(flight_openssl101f, sizeof flight_openssl101f), body;
    struct tls_record_header h;
    while (hc_ok(tls_record_next(&s, &h, &body)))
        assert_success(tls_handshake_append(&hs, wire_peek(&body), wire_remaining(&body)));
    struct tls_handshake_message m;
    while (hc_ok(tls_handshake_next(&hs, &m))) {
        if (m.type == TLS_HS_SERVER_HELLO) {
            memcpy(hello_body, m.body, m.len);
            hello_len = m.len;
        } else if (m.type == TLS_HS_CERTIFICATE) {
            memcpy(cert_body, m.body, m.len);
            cert_len = m.len;
        }
    }
    tls_handshake_buffer_free(&hs);
    assert_int_equal(hello_len, 77);
    assert_int_equal(cert_len, 787);
}

static int setup(void **state)
{
    (void)state;
    load_messages();
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

/* ---- the scripted server ---- */

struct server {
    uint16_t version;
    uint64_t seq;
    uint8_t dgram[DGRAM_MAX];
    size_t len;
};

static void server_record_open(struct server *s, struct wire_writer *w, uint8_t type,
                               struct wire_mark *m)
{
    *m = dtls_record_open(w, type, s->version, 0, s->seq++);
}

/* One datagram holding one record with one fragment. */
static size_t fragment_datagram(struct server *s, uint8_t type, uint16_t mseq, const uint8_t *body,
                                size_t len, size_t off, size_t n)
{
    struct wire_writer w = wire_writer_init(s->dgram, sizeof s->dgram);
    struct wire_mark m;
    server_record_open(s, &w, TLS_CT_HANDSHAKE, &m);
    struct dtls_fragment f = {.type = type,
                              .length = (uint32_t)len,
                              .message_seq = mseq,
                              .offset = (uint32_t)off,
                              .data = body + off,
                              .data_len = (uint32_t)n};
    dtls_fragment_write(&w, &f);
    wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    s->len = w.len;
    return w.len;
}

static void server_hello_for(uint16_t version, uint8_t *out)
{
    memcpy(out, hello_body, hello_len);
    out[0] = (uint8_t)(version >> 8);
    out[1] = (uint8_t)version;
}

/* The flight, each message cut into pieces of at most piece bytes, one datagram each. */
struct datagrams {
    size_t count;
    uint8_t *data[2048];
    size_t len[2048];
};

static void add_datagram(struct datagrams *d, const struct server *s)
{
    assert_true(d->count < HC_ARRAY_LEN(d->data));
    d->data[d->count] = malloc(s->len);
    memcpy(d->data[d->count], s->dgram, s->len);
    d->len[d->count++] = s->len;
}

static void free_datagrams(struct datagrams *d)
{
    for (size_t i = 0; i < d->count; i++)
        free(d->data[i]);
    d->count = 0;
}

static void add_message(struct datagrams *d, struct server *s, uint8_t type, uint16_t mseq,
                        const uint8_t *body, size_t len, size_t piece)
{
    size_t off = 0;
    do {
        size_t n = len - off < piece ? len - off : piece;
        fragment_datagram(s, type, mseq, body, len, off, n);
        add_datagram(d, s);
        off += n;
    } while (off < len);
}

static void flight(struct datagrams *d, struct server *s, size_t piece)
{
    uint8_t sh[256];
    server_hello_for(s->version, sh);
    add_message(d, s, TLS_HS_SERVER_HELLO, 1, sh, hello_len, piece);
    add_message(d, s, TLS_HS_CERTIFICATE, 2, cert_body, cert_len, piece);
    static const uint8_t empty[1];
    add_message(d, s, TLS_HS_SERVER_HELLO_DONE, 3, empty, 0, piece);
}

/* The whole flight in one datagram: several records in it (RFC 6347 4.1). */
static size_t flight_in_one(struct server *s, uint8_t *out, size_t cap)
{
    struct datagrams d = {0};
    flight(&d, s, 1 << 16);
    size_t n = 0;
    for (size_t i = 0; i < d.count; i++) {
        assert_true(n + d.len[i] <= cap);
        memcpy(out + n, d.data[i], d.len[i]);
        n += d.len[i];
    }
    free_datagrams(&d);
    return n;
}

static size_t hello_verify(struct server *s, const uint8_t *cookie, size_t cookie_len)
{
    struct wire_writer w = wire_writer_init(s->dgram, sizeof s->dgram);
    struct wire_mark m = dtls_record_open(&w, TLS_CT_HANDSHAKE, DTLS_VERSION_10, 0, s->seq++);
    struct dtls_hello_verify hv = {.server_version = DTLS_VERSION_10,
                                   .cookie_len = (uint8_t)cookie_len};
    memcpy(hv.cookie, cookie, cookie_len);
    dtls_hello_verify_write(&w, 0, &hv);
    wire_close(&w, m);
    s->len = w.len;
    return w.len;
}

static size_t alert(struct server *s, uint8_t level, uint8_t description)
{
    struct wire_writer w = wire_writer_init(s->dgram, sizeof s->dgram);
    struct wire_mark m;
    server_record_open(s, &w, TLS_CT_ALERT, &m);
    wire_write_u8(&w, level);
    wire_write_u8(&w, description);
    wire_close(&w, m);
    s->len = w.len;
    return w.len;
}

/* A heartbeat response: claimed bytes, of which the first sent are ours, then extra (the
 * server's memory), then 16 bytes of padding. */
static size_t heartbeat_response(struct server *s, enum kit_record which, uint16_t claimed,
                                 size_t sent, const uint8_t *extra, size_t extra_len)
{
    struct wire_writer w = wire_writer_init(s->dgram, sizeof s->dgram);
    struct wire_mark m;
    server_record_open(s, &w, TLS_CT_HEARTBEAT, &m);
    wire_write_u8(&w, TLS_HEARTBEAT_RESPONSE);
    wire_write_u16(&w, claimed);
    for (size_t i = 0; i < sent; i++)
        wire_write_u8(&w, kit_payload_byte(which, i));
    wire_write_bytes(&w, extra, extra_len);
    wire_write_fill(&w, 0xab, TLS_HEARTBEAT_MIN_PADDING);
    wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    s->len = w.len;
    return w.len;
}

static void deliver(struct probe *p, uint64_t now, const struct server *s)
{
    probe_on_data(p, now, s->dgram, s->len);
}

/* ---- the probe's side ---- */

static struct probe *new_probe(struct probe_kit *kit, uint16_t max_version)
{
    struct probe_config cfg = {.transport = PROBE_DTLS,
                               .kit = kit,
                               .timeout_ms = TIMEOUT,
                               .followup_ms = FOLLOWUP,
                               .max_version = max_version};
    struct probe *p = NULL;
    assert_success(probe_new(&cfg, T0, &p));
    assert_int_equal(probe_state(p), PROBE_WANT_CONNECT);
    return p;
}

struct hello_seen {
    uint16_t version;
    uint64_t sequence;
    uint16_t message_seq;
    size_t cookie_len;
    uint8_t random[TLS_RANDOM_LEN];
};

/* The probe's next output must be one datagram holding one whole ClientHello. */
static struct hello_seen expect_hello(struct probe *p)
{
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    assert_true(n > 0);
    struct wire_reader dg = wire_reader_init(out, n), body;
    struct dtls_record_header h;
    assert_success(dtls_record_next(&dg, &h, &body));
    assert_int_equal(wire_remaining(&dg), 0);
    assert_int_equal(h.type, TLS_CT_HANDSHAKE);
    assert_int_equal(h.epoch, 0);
    struct dtls_fragment f;
    assert_success(dtls_fragment_next(&body, &f));
    assert_int_equal(f.type, TLS_HS_CLIENT_HELLO);
    assert_int_equal(f.data_len, f.length);
    struct tls_client_hello ch;
    uint8_t cookie[DTLS_MAX_COOKIE];
    struct hello_seen seen = {.sequence = h.sequence, .message_seq = f.message_seq};
    assert_success(dtls_client_hello_parse(f.data, f.data_len, &ch, cookie, &seen.cookie_len));
    assert_true(ch.heartbeat);
    seen.version = ch.version;
    memcpy(seen.random, ch.random, TLS_RANDOM_LEN);
    probe_take_output(p, &out, &n);
    assert_int_equal(n, 0); /* one datagram at a time */
    return seen;
}

static void expect_no_output(struct probe *p)
{
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    assert_int_equal(n, 0);
}

/* The probe's next output is one heartbeat record; returns its record sequence. */
static uint64_t expect_heartbeat(struct probe *p, enum kit_record which, uint16_t version,
                                 size_t sent)
{
    const uint8_t *out;
    size_t n;
    probe_take_output(p, &out, &n);
    size_t padding = which == KIT_FOLLOWUP ? TLS_HEARTBEAT_MIN_PADDING : 0;
    assert_int_equal(n, DTLS_RECORD_HEADER_LEN + TLS_HEARTBEAT_HEADER_LEN + sent + padding);
    struct wire_reader dg = wire_reader_init(out, n), body;
    struct dtls_record_header h;
    assert_success(dtls_record_next(&dg, &h, &body));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    assert_int_equal(h.version, version);
    assert_int_equal(h.epoch, 0);
    struct tls_heartbeat_header hb;
    assert_success(tls_heartbeat_header_parse(&body, &hb));
    assert_int_equal(hb.type, TLS_HEARTBEAT_REQUEST);
    /* Never more: a vulnerable DTLS server would abort on its answer (DESIGN.md). */
    assert_int_equal(hb.payload_length, DTLS_PROBE_CLAIM);
    assert_true(TLS_HEARTBEAT_HEADER_LEN + hb.payload_length + 16 <= TLS_MAX_PLAINTEXT);
    for (size_t i = 0; i < sent; i++)
        if (wire_peek(&body)[i] != kit_payload_byte(which, i))
            fail_msg("payload byte %zu", i);
    return h.sequence;
}

/* connect, hello, cookie, hello again: returns the server ready to send its flight. */
static void handshake_to_flight(struct probe *p, struct server *s, uint16_t offered)
{
    probe_on_connected(p, T0);
    struct hello_seen first = expect_hello(p);
    assert_int_equal(first.version, offered);
    assert_int_equal(first.cookie_len, 0);
    assert_int_equal(first.message_seq, 0);
    assert_true(first.sequence == 0);
    static const uint8_t cookie[20] = "cookie-of-20-bytes!";
    hello_verify(s, cookie, sizeof cookie);
    deliver(p, T0 + 1, s);
    struct hello_seen second = expect_hello(p);
    assert_int_equal(second.cookie_len, 20);
    assert_int_equal(second.message_seq, 1); /* RFC 6347 4.2.2 */
    assert_true(second.sequence == 1);       /* a new record */
    assert_memory_equal(second.random, first.random, TLS_RANDOM_LEN);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
}

static const struct probe_result *done(struct probe *p, enum probe_verdict v)
{
    assert_int_equal(probe_state(p), PROBE_DONE);
    const struct probe_result *r = probe_result(p);
    if (r->verdict != v)
        fail_msg("verdict %s (%s), expected %s", probe_verdict_name(r->verdict), r->reason,
                 probe_verdict_name(v));
    assert_true(r->reason[0] != '\0');
    return r;
}

/* ---- tests ---- */

static void test_vulnerable_whole_flight(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    struct server s = {.version = DTLS_VERSION_12};
    handshake_to_flight(p, &s, DTLS_VERSION_12);
    static uint8_t fl[4096];
    size_t n = flight_in_one(&s, fl, sizeof fl);
    probe_on_data(p, T0 + 2, fl, n);
    assert_true(expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_12, DTLS_PROBE_CLAIM) == 2);
    heartbeat_response(&s, KIT_PROBE, DTLS_PROBE_CLAIM, DTLS_PROBE_CLAIM, NULL, 0);
    deliver(p, T0 + 3, &s);
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    const struct probe_evidence *ev = &r->evidence;
    assert_true(ev->server_hello);
    assert_int_equal(ev->tls_version, DTLS_VERSION_12);
    assert_true(ev->heartbeat_extension);
    assert_true(ev->cert_seen);
    assert_int_equal(ev->claimed_length, DTLS_PROBE_CLAIM);
    assert_int_equal(ev->sent_length, DTLS_PROBE_CLAIM);
    assert_int_equal(ev->leaked_bytes, 0);
    assert_int_equal(ev->attempts, 1);
    probe_free(p);
}

/* Every message cut into pieces of every size from 1 byte to whole, one datagram each. */
static void test_flight_fragmented_every_size(void **state)
{
    (void)state;
    for (size_t piece = 1; piece <= cert_len; piece++) {
        struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
        struct server s = {.version = DTLS_VERSION_12};
        handshake_to_flight(p, &s, DTLS_VERSION_12);
        struct datagrams d = {0};
        flight(&d, &s, piece);
        for (size_t i = 0; i < d.count; i++) {
            assert_int_equal(probe_state(p), PROBE_RUNNING);
            expect_no_output(p);
            probe_on_data(p, T0 + 2, d.data[i], d.len[i]);
        }
        expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_12, DTLS_PROBE_CLAIM);
        free_datagrams(&d);
        probe_free(p);
    }
}

/* Reversed, every datagram twice, the HelloVerifyRequest repeated: one reaction each. */
static void test_flight_reordered_and_duplicated(void **state)
{
    (void)state;
    for (size_t piece = 50; piece <= 800; piece += 250) {
        struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
        struct server s = {.version = DTLS_VERSION_12};
        handshake_to_flight(p, &s, DTLS_VERSION_12);
        static const uint8_t cookie[20] = "cookie-of-20-bytes!";
        hello_verify(&s, cookie, sizeof cookie);
        deliver(p, T0 + 2, &s);
        expect_no_output(p); /* a repeat of the HelloVerifyRequest */
        struct datagrams d = {0};
        flight(&d, &s, piece);
        for (size_t i = d.count; i-- > 0;) {
            probe_on_data(p, T0 + 3, d.data[i], d.len[i]);
            if (i > 0) {
                expect_no_output(p);
                probe_on_data(p, T0 + 3, d.data[i], d.len[i]);
                expect_no_output(p);
            }
        }
        expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_12, DTLS_PROBE_CLAIM);
        for (size_t i = 0; i < d.count; i++) /* the server retransmits: ignored now */
            probe_on_data(p, T0 + 4, d.data[i], d.len[i]);
        expect_no_output(p);
        free_datagrams(&d);
        probe_free(p);
    }
}

/* RFC 6347 4.2.4: the last flight again when nothing comes, on a doubling timer, each time in
 * a new record. */
static void test_lost_datagrams_retransmitted(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    probe_on_connected(p, T0);
    expect_hello(p);
    assert_true(probe_wakeup_at(p) == T0 + DTLS_INITIAL_RTO_MS);
    probe_on_tick(p, T0 + 999);
    expect_no_output(p);
    probe_on_tick(p, T0 + 1000);
    struct hello_seen again = expect_hello(p);
    assert_true(again.sequence == 1);
    assert_int_equal(again.message_seq, 0);
    assert_true(probe_wakeup_at(p) == T0 + 1000 + 2 * DTLS_INITIAL_RTO_MS);
    struct server s = {.version = DTLS_VERSION_12};
    static const uint8_t cookie[8] = "cookie8";
    hello_verify(&s, cookie, sizeof cookie);
    deliver(p, T0 + 1500, &s);
    struct hello_seen second = expect_hello(p);
    assert_true(second.sequence == 2);
    assert_int_equal(second.message_seq, 1);
    /* The flight is lost: the hello with the cookie goes again, its timer starting afresh. */
    assert_true(probe_wakeup_at(p) == T0 + 2500);
    probe_on_tick(p, T0 + 2500);
    struct hello_seen third = expect_hello(p);
    assert_true(third.sequence == 3);
    assert_int_equal(third.message_seq, 1);
    assert_int_equal(third.cookie_len, 8);
    static uint8_t fl[4096];
    size_t n = flight_in_one(&s, fl, sizeof fl);
    probe_on_data(p, T0 + 2600, fl, n);
    assert_true(expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_12, DTLS_PROBE_CLAIM) == 4);
    probe_free(p);
}

/* No ServerHello to DTLS 1.2 twice: DTLS 1.0 on a new socket. */
static void test_silence_falls_back_to_dtls10(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    probe_on_connected(p, T0);
    expect_hello(p);
    probe_on_tick(p, T0 + 1000);
    expect_hello(p);
    probe_on_tick(p, T0 + 3000);
    assert_int_equal(probe_state(p), PROBE_WANT_CONNECT);
    probe_on_connected(p, T0 + 3000);
    struct hello_seen h = expect_hello(p);
    assert_int_equal(h.version, DTLS_VERSION_10);
    assert_true(h.sequence == 0); /* a new association */
    probe_on_tick(p, T0 + TIMEOUT);
    const struct probe_result *r = done(p, PROBE_UNREACHABLE);
    assert_non_null(strstr(r->reason, "no DTLS answer"));
    assert_int_equal(r->evidence.attempts, 2);
    probe_free(p);
}

static void test_protocol_version_alerts(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    struct server s = {.version = DTLS_VERSION_10};
    probe_on_connected(p, T0);
    expect_hello(p);
    alert(&s, TLS_ALERT_FATAL, TLS_ALERT_PROTOCOL_VERSION);
    deliver(p, T0 + 1, &s);
    assert_int_equal(probe_state(p), PROBE_WANT_CONNECT);
    probe_on_connected(p, T0 + 2);
    assert_int_equal(expect_hello(p).version, DTLS_VERSION_10);
    deliver(p, T0 + 3, &s);
    const struct probe_result *r = done(p, PROBE_NOT_VULNERABLE);
    assert_non_null(strstr(r->reason, "protocol_version"));
    probe_free(p);
    /* Another alert at DTLS 1.0: no conclusion. */
    p = new_probe(kit0, TLS_VERSION_TLS11);
    probe_on_connected(p, T0);
    assert_int_equal(expect_hello(p).version, DTLS_VERSION_10);
    alert(&s, TLS_ALERT_FATAL, TLS_ALERT_HANDSHAKE_FAILURE);
    deliver(p, T0 + 1, &s);
    r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, "handshake_failure"));
    probe_free(p);
}

/* DTLS 1.0 after a DTLS 1.2 hello, as OpenSSL 1.0.1f answers; then a patched server. */
static void test_patched(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    struct server s = {.version = DTLS_VERSION_10};
    handshake_to_flight(p, &s, DTLS_VERSION_12);
    static uint8_t fl[4096];
    probe_on_data(p, T0 + 2, fl, flight_in_one(&s, fl, sizeof fl));
    uint64_t seq = expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_10, DTLS_PROBE_CLAIM);
    for (unsigned round = 0; round < DTLS_PATCHED_ROUNDS; round++) {
        uint64_t at = probe_wakeup_at(p);
        probe_on_tick(p, at - 1);
        expect_no_output(p);
        probe_on_tick(p, at);
        uint64_t fseq = expect_heartbeat(p, KIT_FOLLOWUP, DTLS_VERSION_10, PROBE_FOLLOWUP_PAYLOAD);
        assert_true(fseq == seq + 1);
        heartbeat_response(&s, KIT_FOLLOWUP, PROBE_FOLLOWUP_PAYLOAD, PROBE_FOLLOWUP_PAYLOAD, NULL,
                           0);
        deliver(p, at + 1, &s);
        if (round + 1 < DTLS_PATCHED_ROUNDS) /* the probe again, at once */
            seq = expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_10, DTLS_PROBE_CLAIM);
    }
    const struct probe_result *r = done(p, PROBE_PATCHED);
    assert_int_equal(r->evidence.tls_version, DTLS_VERSION_10);
    probe_free(p);
}

static void test_no_heartbeat_support(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    struct server s = {.version = DTLS_VERSION_12};
    handshake_to_flight(p, &s, DTLS_VERSION_12);
    static uint8_t fl[4096];
    probe_on_data(p, T0 + 2, fl, flight_in_one(&s, fl, sizeof fl));
    expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_12, DTLS_PROBE_CLAIM);
    alert(&s, TLS_ALERT_WARNING, TLS_ALERT_UNRECOGNIZED_NAME); /* a warning goes on */
    deliver(p, T0 + 3, &s);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    alert(&s, TLS_ALERT_FATAL, TLS_ALERT_UNEXPECTED_MESSAGE);
    deliver(p, T0 + 4, &s);
    const struct probe_result *r = done(p, PROBE_NOT_VULNERABLE);
    assert_true(r->evidence.alert_seen);
    assert_int_equal(r->evidence.alert.description, TLS_ALERT_UNEXPECTED_MESSAGE);
    probe_free(p);
}

/* Silence to every heartbeat: rounds on the timer, bounded; DTLS 1.2 is not OpenSSL 1.0.1,
 * DTLS 1.0 may be one whose answers got lost. */
static void silent_heartbeats(uint16_t server_version, enum probe_verdict want)
{
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    struct server s = {.version = server_version};
    handshake_to_flight(p, &s, DTLS_VERSION_12);
    static uint8_t fl[4096];
    probe_on_data(p, T0 + 2, fl, flight_in_one(&s, fl, sizeof fl));
    unsigned heartbeats = 0;
    for (int guard = 0; guard < 100 && probe_state(p) != PROBE_DONE; guard++) {
        const uint8_t *out;
        size_t n;
        probe_take_output(p, &out, &n);
        heartbeats += n > 0;
        uint64_t at = probe_wakeup_at(p);
        assert_true(at <= T0 + TIMEOUT);
        probe_on_tick(p, at);
    }
    assert_true(heartbeats >= 2 && heartbeats <= 2 * DTLS_MAX_HEARTBEAT_ROUNDS);
    done(p, want);
    probe_free(p);
}

static void test_silence_after_heartbeats(void **state)
{
    (void)state;
    silent_heartbeats(DTLS_VERSION_12, PROBE_NOT_VULNERABLE);
    silent_heartbeats(DTLS_VERSION_10, PROBE_INCONCLUSIVE);
}

/* --leak N over DTLS: 16365 - N bytes claiming 16365, never more; the rest of the answer is
 * the server's memory. */
static void leak_case(struct probe_kit *kit, size_t sent)
{
    struct probe *p = new_probe(kit, TLS_VERSION_TLS12);
    struct server s = {.version = DTLS_VERSION_12};
    handshake_to_flight(p, &s, DTLS_VERSION_12);
    static uint8_t fl[4096];
    probe_on_data(p, T0 + 2, fl, flight_in_one(&s, fl, sizeof fl));
    expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_12, sent);
    size_t leak = DTLS_PROBE_CLAIM - sent;
    uint8_t *secret = malloc(leak);
    for (size_t i = 0; i < leak; i++)
        secret[i] = (uint8_t)(i ^ 0x5a);
    heartbeat_response(&s, KIT_PROBE, DTLS_PROBE_CLAIM, sent, secret, leak);
    deliver(p, T0 + 3, &s);
    const struct probe_result *r = done(p, PROBE_VULNERABLE);
    assert_int_equal(r->evidence.leaked_bytes, leak);
    assert_int_equal(r->evidence.sent_length, sent);
    assert_int_equal(r->evidence.claimed_length, DTLS_PROBE_CLAIM);
    assert_memory_equal(r->leak, secret, leak);
    free(secret);
    probe_free(p);
}

static void test_leak(void **state)
{
    (void)state;
    leak_case(kit100, DTLS_PROBE_CLAIM - 100);
    leak_case(kit20000, PROBE_MIN_SENT); /* 20000 is capped to 16349 */
}

static void test_unreachable_and_not_dtls(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    probe_on_connected(p, T0);
    expect_hello(p);
    probe_on_connect_failed(p, T0 + 1, "connection refused");
    const struct probe_result *r = done(p, PROBE_UNREACHABLE);
    assert_non_null(strstr(r->reason, "connection refused"));
    probe_free(p);

    p = new_probe(kit0, TLS_VERSION_TLS12);
    probe_on_connected(p, T0);
    expect_hello(p);
    static const char http[] = "HTTP/1.1 400 Bad Request\r\n";
    probe_on_data(p, T0 + 1, (const uint8_t *)http, sizeof http - 1);
    r = done(p, PROBE_NOT_TLS);
    assert_non_null(strstr(r->reason, "HTTP/1.1 400"));
    probe_free(p);

    /* Refused after the server answered: the server went away. */
    p = new_probe(kit0, TLS_VERSION_TLS12);
    struct server s = {.version = DTLS_VERSION_12};
    handshake_to_flight(p, &s, DTLS_VERSION_12);
    probe_on_connect_failed(p, T0 + 2, "connection refused");
    done(p, PROBE_INCONCLUSIVE);
    probe_free(p);
}

static void test_server_chose_higher_version(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS11);
    struct server s = {.version = DTLS_VERSION_12};
    handshake_to_flight(p, &s, DTLS_VERSION_10);
    static uint8_t fl[4096];
    probe_on_data(p, T0 + 2, fl, flight_in_one(&s, fl, sizeof fl));
    const struct probe_result *r = done(p, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(r->reason, "above"));
    probe_free(p);
}

/* Garbage after DTLS records is dropped with its datagram (RFC 6347 4.1.2.7). */
static void test_bad_datagram_dropped(void **state)
{
    (void)state;
    struct probe *p = new_probe(kit0, TLS_VERSION_TLS12);
    struct server s = {.version = DTLS_VERSION_12};
    handshake_to_flight(p, &s, DTLS_VERSION_12);
    static const uint8_t junk[] = {0x99, 0x01, 0x02};
    probe_on_data(p, T0 + 2, junk, sizeof junk);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    /* A handshake record holding half a fragment header. */
    static const uint8_t half[] = {TLS_CT_HANDSHAKE,    0xfe, 0xfd, 0,  0, 0, 0, 0, 0, 0, 9, 0, 5,
                                   TLS_HS_SERVER_HELLO, 0,    0,    77, 0};
    probe_on_data(p, T0 + 2, half, sizeof half);
    assert_int_equal(probe_state(p), PROBE_RUNNING);
    expect_no_output(p);
    static uint8_t fl[4096];
    probe_on_data(p, T0 + 3, fl, flight_in_one(&s, fl, sizeof fl));
    expect_heartbeat(p, KIT_PROBE, DTLS_VERSION_12, DTLS_PROBE_CLAIM);
    probe_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vulnerable_whole_flight),
        cmocka_unit_test(test_flight_fragmented_every_size),
        cmocka_unit_test(test_flight_reordered_and_duplicated),
        cmocka_unit_test(test_lost_datagrams_retransmitted),
        cmocka_unit_test(test_silence_falls_back_to_dtls10),
        cmocka_unit_test(test_protocol_version_alerts),
        cmocka_unit_test(test_patched),
        cmocka_unit_test(test_no_heartbeat_support),
        cmocka_unit_test(test_silence_after_heartbeats),
        cmocka_unit_test(test_leak),
        cmocka_unit_test(test_unreachable_and_not_dtls),
        cmocka_unit_test(test_server_chose_higher_version),
        cmocka_unit_test(test_bad_datagram_dropped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
