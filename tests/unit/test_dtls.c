/* DTLS records, handshake fragments, their reassembly (whole, split at every offset, byte by
 * byte, reordered, repeated), HelloVerifyRequest and the DTLS hellos and heartbeats. */
#include "unit.h"

#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

/* ---- records ---- */

static const uint8_t two_records[] = {
    /* alert, DTLS 1.0, epoch 0, sequence 0x010203040506, length 2 */
    0x15, 0xfe, 0xff, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x02, 0x02, 0x28,
    /* heartbeat, DTLS 1.2, epoch 1, sequence 7, length 3 */
    0x18, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x03, 0x01, 0x00, 0x00};

static void test_records_in_one_datagram(void **state)
{
    (void)state;
    struct wire_reader dg = wire_reader_init(two_records, sizeof two_records), body;
    struct dtls_record_header h;
    assert_success(dtls_record_next(&dg, &h, &body));
    assert_int_equal(h.type, TLS_CT_ALERT);
    assert_int_equal(h.version, DTLS_VERSION_10);
    assert_int_equal(h.epoch, 0);
    assert_true(h.sequence == 0x010203040506ull);
    assert_int_equal(h.length, 2);
    assert_int_equal(wire_remaining(&body), 2);
    assert_success(dtls_record_next(&dg, &h, &body));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    assert_int_equal(h.version, DTLS_VERSION_12);
    assert_int_equal(h.epoch, 1);
    assert_true(h.sequence == 7);
    assert_int_equal(wire_remaining(&body), 3);
    assert_int_equal(wire_remaining(&dg), 0);
    assert_error(dtls_record_next(&dg, &h, &body), HC_ERR_SHORT);
}

/* A datagram cut anywhere inside a record: HC_ERR_SHORT and nothing consumed. */
static void test_record_cut_everywhere(void **state)
{
    (void)state;
    for (size_t n = 0; n < 15; n++) {
        struct wire_reader dg = wire_reader_init(two_records, n), body;
        struct dtls_record_header h;
        assert_error(dtls_record_next(&dg, &h, &body), HC_ERR_SHORT);
        assert_int_equal(dg.pos, 0);
    }
}

static void test_record_not_dtls(void **state)
{
    (void)state;
    uint8_t rec[sizeof two_records];
    memcpy(rec, two_records, sizeof rec);
    rec[1] = 0x03; /* a TLS version */
    struct wire_reader dg = wire_reader_init(rec, sizeof rec), body;
    struct dtls_record_header h;
    assert_error(dtls_record_next(&dg, &h, &body), HC_ERR_NOT_TLS);
    rec[1] = 0xfe;
    rec[0] = 25; /* unknown content type */
    dg = wire_reader_init(rec, sizeof rec);
    assert_error(dtls_record_next(&dg, &h, &body), HC_ERR_NOT_TLS);
    rec[0] = TLS_CT_ALERT;
    rec[11] = 0x48, rec[12] = 0x01; /* 18433 > 16384 + 2048 */
    dg = wire_reader_init(rec, sizeof rec);
    assert_error(dtls_record_next(&dg, &h, &body), HC_ERR_RECORD_TOO_LONG);
}

static void test_record_write(void **state)
{
    (void)state;
    uint8_t buf[32];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct wire_mark m = dtls_record_open(&w, TLS_CT_ALERT, DTLS_VERSION_10, 0, 0x010203040506ull);
    wire_write_u8(&w, 2);
    wire_write_u8(&w, 40);
    wire_close(&w, m);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, 15);
    assert_memory_equal(buf, two_records, 15);
}

/* ---- fragments ---- */

static void test_fragments(void **state)
{
    (void)state;
    static const uint8_t body[] = {
        /* ServerHelloDone, length 0, message_seq 3, offset 0, fragment 0 */
        14, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0,
        /* Certificate, length 5, message_seq 2, bytes 2..4 */
        11, 0, 0, 5, 0, 2, 0, 0, 2, 0, 0, 3, 'a', 'b', 'c'};
    struct wire_reader r = wire_reader_init(body, sizeof body);
    struct dtls_fragment f;
    assert_success(dtls_fragment_next(&r, &f));
    assert_int_equal(f.type, TLS_HS_SERVER_HELLO_DONE);
    assert_int_equal(f.length, 0);
    assert_int_equal(f.message_seq, 3);
    assert_int_equal(f.data_len, 0);
    assert_success(dtls_fragment_next(&r, &f));
    assert_int_equal(f.type, TLS_HS_CERTIFICATE);
    assert_int_equal(f.length, 5);
    assert_int_equal(f.offset, 2);
    assert_int_equal(f.data_len, 3);
    assert_memory_equal(f.data, "abc", 3);
    assert_int_equal(wire_remaining(&r), 0);
    /* Past the message's end, and cut short. */
    uint8_t bad[sizeof body];
    memcpy(bad, body, sizeof bad);
    bad[12 + 8] = 3; /* offset 3 + 3 bytes > 5 */
    r = wire_reader_init(bad + 12, sizeof bad - 12);
    assert_error(dtls_fragment_next(&r, &f), HC_ERR_BAD_FRAGMENT);
    for (size_t n = 0; n < sizeof body - 12; n++) {
        r = wire_reader_init(body + 12, n);
        assert_error(dtls_fragment_next(&r, &f), HC_ERR_SHORT);
        assert_int_equal(r.pos, 0);
    }
}

static void test_fragment_write_round_trip(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct dtls_fragment f = {.type = TLS_HS_CERTIFICATE,
                              .length = 1000,
                              .message_seq = 2,
                              .offset = 998,
                              .data = (const uint8_t *)"xy",
                              .data_len = 2};
    dtls_fragment_write(&w, &f);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, DTLS_HANDSHAKE_HEADER_LEN + 2);
    struct wire_reader r = wire_reader_init(buf, w.len);
    struct dtls_fragment g;
    assert_success(dtls_fragment_next(&r, &g));
    assert_int_equal(g.length, 1000);
    assert_int_equal(g.offset, 998);
    assert_int_equal(g.message_seq, 2);
    assert_memory_equal(g.data, "xy", 2);
}

/* ---- HelloVerifyRequest ---- */

static void test_hello_verify(void **state)
{
    (void)state;
    uint8_t buf[300];
    struct dtls_hello_verify hv = {.server_version = DTLS_VERSION_10, .cookie_len = 20};
    memset(hv.cookie, 0xc0, 20);
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    dtls_hello_verify_write(&w, 0, &hv);
    assert_success(wire_writer_result(&w));
    struct wire_reader r = wire_reader_init(buf, w.len);
    struct dtls_fragment f;
    assert_success(dtls_fragment_next(&r, &f));
    assert_int_equal(f.type, TLS_HS_HELLO_VERIFY_REQUEST);
    assert_int_equal(f.length, 23);
    struct dtls_hello_verify got;
    assert_success(dtls_hello_verify_parse(f.data, f.data_len, &got));
    assert_int_equal(got.server_version, DTLS_VERSION_10);
    assert_int_equal(got.cookie_len, 20);
    assert_memory_equal(got.cookie, hv.cookie, 20);
    for (size_t n = 0; n < f.data_len; n++)
        assert_error(dtls_hello_verify_parse(f.data, n, &got), HC_ERR_SHORT);
    uint8_t copy[32];
    memcpy(copy, f.data, f.data_len);
    copy[0] = 0x03; /* a TLS version */
    assert_error(dtls_hello_verify_parse(copy, f.data_len, &got), HC_ERR_BAD_VERSION);
    copy[0] = 0xfe;
    copy[f.data_len] = 0;
    assert_error(dtls_hello_verify_parse(copy, f.data_len + 1, &got), HC_ERR_TRAILING);
}

/* ---- ClientHello ---- */

static size_t write_hello(uint8_t *buf, size_t cap, uint16_t version, const char *sni,
                          const uint8_t *cookie, size_t cookie_len, hc_result *res)
{
    struct dtls_client_hello_params p = {
        .hello = {.version = version,
                  .record_version = DTLS_VERSION_10,
                  .server_name = sni,
                  .with_extensions = true},
        .sequence = 5,
        .message_seq = 1,
        .cookie = cookie,
        .cookie_len = cookie_len,
    };
    memset(p.hello.random, 0x11, sizeof p.hello.random);
    struct wire_writer w = wire_writer_init(buf, cap);
    *res = dtls_client_hello_write(&w, &p);
    return w.len;
}

static void test_client_hello(void **state)
{
    (void)state;
    uint8_t buf[2048], cookie[20];
    memset(cookie, 0xc0, sizeof cookie);
    hc_result res;
    size_t n = write_hello(buf, sizeof buf, DTLS_VERSION_12, "example.com", cookie, 20, &res);
    assert_success(res);
    struct wire_reader dg = wire_reader_init(buf, n), body;
    struct dtls_record_header h;
    assert_success(dtls_record_next(&dg, &h, &body));
    assert_int_equal(wire_remaining(&dg), 0);
    assert_int_equal(h.type, TLS_CT_HANDSHAKE);
    assert_int_equal(h.version, DTLS_VERSION_10);
    assert_true(h.sequence == 5);
    struct dtls_fragment f;
    assert_success(dtls_fragment_next(&body, &f));
    assert_int_equal(f.type, TLS_HS_CLIENT_HELLO);
    assert_int_equal(f.message_seq, 1);
    assert_int_equal(f.offset, 0);
    assert_int_equal(f.data_len, f.length);
    struct tls_client_hello ch;
    uint8_t got_cookie[DTLS_MAX_COOKIE];
    size_t got_len;
    assert_success(dtls_client_hello_parse(f.data, f.data_len, &ch, got_cookie, &got_len));
    assert_int_equal(ch.version, DTLS_VERSION_12);
    assert_int_equal(got_len, 20);
    assert_memory_equal(got_cookie, cookie, 20);
    assert_true(ch.heartbeat);
    assert_int_equal(ch.heartbeat_mode, TLS_HEARTBEAT_PEER_ALLOWED);
    assert_string_equal(ch.server_name, "example.com");
    /* RFC 6347 4.1.2.2: no RC4; every other suite of the TLS hello is there. */
    size_t rc4 = 0;
    for (size_t i = 0; i < tls_cipher_suite_count; i++)
        rc4 += strstr(tls_cipher_suites[i].name, "_RC4_") != NULL;
    assert_true(rc4 > 0);
    assert_int_equal(ch.cipher_count, tls_cipher_suite_count - rc4 + 1); /* + the SCSV */
    for (size_t i = 0; i < ch.cipher_count && i < TLS_MAX_CLIENT_CIPHERS; i++) {
        const struct tls_cipher_suite *cs = tls_cipher_suite_find(ch.ciphers[i]);
        assert_true(!cs || !strstr(cs->name, "_RC4_"));
    }
    for (size_t i = 0; i < ch.extension_count; i++)
        assert_int_not_equal(ch.extensions[i], TLS_EXT_PADDING);
    /* A TLS parser refuses it (major version 0xfe), and the first hello has no cookie. */
    assert_error(tls_client_hello_parse(f.data, f.data_len, &ch), HC_ERR_BAD_VERSION);
    n = write_hello(buf, sizeof buf, DTLS_VERSION_10, NULL, NULL, 0, &res);
    assert_success(res);
    dg = wire_reader_init(buf, n);
    assert_success(dtls_record_next(&dg, &h, &body));
    assert_success(dtls_fragment_next(&body, &f));
    assert_success(dtls_client_hello_parse(f.data, f.data_len, &ch, got_cookie, &got_len));
    assert_int_equal(got_len, 0);
    assert_int_equal(ch.version, DTLS_VERSION_10);
    assert_string_equal(ch.server_name, "");
}

static void test_client_hello_limits(void **state)
{
    (void)state;
    uint8_t buf[2048], cookie[DTLS_MAX_COOKIE + 1] = {0};
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    hc_result res;
    (void)write_hello(buf, sizeof buf, DTLS_VERSION_12, long_name, NULL, 0, &res);
    assert_error(res, HC_ERR_USAGE);
    (void)write_hello(buf, sizeof buf, DTLS_VERSION_12, NULL, cookie, sizeof cookie, &res);
    assert_error(res, HC_ERR_USAGE);
    (void)write_hello(buf, sizeof buf, DTLS_VERSION_12, NULL, cookie, DTLS_MAX_COOKIE, &res);
    assert_success(res);
    (void)write_hello(buf, 100, DTLS_VERSION_12, NULL, NULL, 0, &res);
    assert_error(res, HC_ERR_NO_SPACE);
}

/* ---- ServerHello ---- */

static size_t server_hello_body(uint8_t *buf, size_t cap, uint16_t version)
{
    struct tls_server_hello_params p = {
        .version = version, .cipher_suite = 0x002f, .heartbeat = true};
    struct wire_writer w = wire_writer_init(buf, cap);
    tls_server_hello_write(&w, &p);
    assert_success(wire_writer_result(&w));
    memmove(buf, buf + TLS_HANDSHAKE_HEADER_LEN, w.len - TLS_HANDSHAKE_HEADER_LEN);
    return w.len - TLS_HANDSHAKE_HEADER_LEN;
}

static void test_server_hello(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct tls_server_hello sh;
    size_t n = server_hello_body(buf, sizeof buf, DTLS_VERSION_10);
    assert_success(dtls_server_hello_parse(buf, n, &sh));
    assert_int_equal(sh.version, DTLS_VERSION_10);
    assert_int_equal(sh.cipher_suite, 0x002f);
    assert_true(sh.heartbeat);
    assert_error(tls_server_hello_parse(buf, n, &sh), HC_ERR_BAD_VERSION);
    n = server_hello_body(buf, sizeof buf, TLS_VERSION_TLS12);
    assert_error(dtls_server_hello_parse(buf, n, &sh), HC_ERR_BAD_VERSION);
    n = server_hello_body(buf, sizeof buf, 0xfefe); /* DTLS 1.1 never existed */
    assert_error(dtls_server_hello_parse(buf, n, &sh), HC_ERR_BAD_VERSION);
    assert_true(dtls_version_known(DTLS_VERSION_12));
    assert_false(dtls_version_known(TLS_VERSION_TLS12));
}

/* ---- heartbeats ---- */

static void test_heartbeat(void **state)
{
    (void)state;
    static uint8_t buf[DTLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT + 1];
    static uint8_t payload[TLS_MAX_PLAINTEXT];
    memset(payload, 'p', sizeof payload);
    struct tls_heartbeat_params hb = {.record_version = DTLS_VERSION_12,
                                      .type = TLS_HEARTBEAT_REQUEST,
                                      .claimed_length = 16365,
                                      .payload = payload,
                                      .payload_len = 16365};
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    assert_success(dtls_heartbeat_write(&w, &hb, 0, 9));
    assert_int_equal(w.len, DTLS_RECORD_HEADER_LEN + 3 + 16365);
    struct wire_reader dg = wire_reader_init(buf, w.len), body;
    struct dtls_record_header h;
    assert_success(dtls_record_next(&dg, &h, &body));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    assert_int_equal(h.version, DTLS_VERSION_12);
    assert_true(h.sequence == 9);
    struct tls_heartbeat_header hh;
    assert_success(tls_heartbeat_header_parse(&body, &hh));
    assert_int_equal(hh.payload_length, 16365);
    assert_int_equal(wire_remaining(&body), 16365);
    /* The well-formed one fills a record exactly; one byte more does not fit. */
    hb.padding_len = TLS_HEARTBEAT_MIN_PADDING;
    w = wire_writer_init(buf, sizeof buf);
    assert_success(dtls_heartbeat_write(&w, &hb, 0, 10));
    assert_int_equal(w.len, DTLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT);
    hb.padding_len++;
    w = wire_writer_init(buf, sizeof buf);
    assert_error(dtls_heartbeat_write(&w, &hb, 0, 11), HC_ERR_LENGTH_TOO_BIG);
    hb.payload_len = SIZE_MAX;
    w = wire_writer_init(buf, sizeof buf);
    assert_error(dtls_heartbeat_write(&w, &hb, 0, 11), HC_ERR_LENGTH_TOO_BIG);
}

/* ---- reassembly ---- */

enum { MSG_LEN = 300 };

static uint8_t message[MSG_LEN];

static int fill_message(void **state)
{
    (void)state;
    for (size_t i = 0; i < MSG_LEN; i++)
        message[i] = (uint8_t)(i * 7 + 3);
    return 0;
}

static struct dtls_fragment frag(uint8_t type, uint16_t seq, size_t len, size_t off, size_t n)
{
    return (struct dtls_fragment){.type = type,
                                  .length = (uint32_t)len,
                                  .message_seq = seq,
                                  .offset = (uint32_t)off,
                                  .data = message + off,
                                  .data_len = (uint32_t)n};
}

static void expect_message(struct dtls_reassembly *r, uint8_t type, size_t len)
{
    struct tls_handshake_message m;
    assert_success(dtls_reassembly_next(r, &m));
    assert_int_equal(m.type, type);
    assert_int_equal(m.len, len);
    if (len)
        assert_memory_equal(m.body, message, len);
}

static void expect_nothing(struct dtls_reassembly *r)
{
    struct tls_handshake_message m;
    assert_error(dtls_reassembly_next(r, &m), HC_ERR_SHORT);
}

static void test_reassembly_whole(void **state)
{
    (void)state;
    struct dtls_reassembly r;
    dtls_reassembly_init(&r, 1024, 1);
    expect_nothing(&r);
    struct dtls_fragment f = frag(TLS_HS_CERTIFICATE, 1, MSG_LEN, 0, MSG_LEN);
    assert_success(dtls_reassembly_add(&r, &f));
    expect_message(&r, TLS_HS_CERTIFICATE, MSG_LEN);
    expect_nothing(&r);
    /* A retransmission of a message already handed out is ignored. */
    assert_success(dtls_reassembly_add(&r, &f));
    expect_nothing(&r);
    f = frag(TLS_HS_SERVER_HELLO_DONE, 2, 0, 0, 0);
    assert_success(dtls_reassembly_add(&r, &f));
    expect_message(&r, TLS_HS_SERVER_HELLO_DONE, 0);
    assert_int_equal(r.next_seq, 3);
    dtls_reassembly_free(&r);
}

/* Two fragments split at every offset, in both orders, with the first repeated. */
static void test_reassembly_split_everywhere(void **state)
{
    (void)state;
    for (size_t k = 1; k < MSG_LEN; k++) {
        for (int order = 0; order < 2; order++) {
            struct dtls_reassembly r;
            dtls_reassembly_init(&r, 1024, 0);
            struct dtls_fragment a = frag(TLS_HS_CERTIFICATE, 0, MSG_LEN, 0, k);
            struct dtls_fragment b = frag(TLS_HS_CERTIFICATE, 0, MSG_LEN, k, MSG_LEN - k);
            assert_success(dtls_reassembly_add(&r, order ? &b : &a));
            assert_success(dtls_reassembly_add(&r, order ? &b : &a));
            expect_nothing(&r);
            assert_success(dtls_reassembly_add(&r, order ? &a : &b));
            expect_message(&r, TLS_HS_CERTIFICATE, MSG_LEN);
            dtls_reassembly_free(&r);
        }
    }
}

/* Byte by byte backwards, and overlapping fragments of another cut. */
static void test_reassembly_bytes_and_overlaps(void **state)
{
    (void)state;
    struct dtls_reassembly r;
    dtls_reassembly_init(&r, 1024, 0);
    for (size_t i = MSG_LEN; i-- > 1;) {
        struct dtls_fragment f = frag(TLS_HS_CERTIFICATE, 0, MSG_LEN, i, 1);
        assert_success(dtls_reassembly_add(&r, &f));
        expect_nothing(&r);
    }
    struct dtls_fragment f = frag(TLS_HS_CERTIFICATE, 0, MSG_LEN, 0, 1);
    assert_success(dtls_reassembly_add(&r, &f));
    expect_message(&r, TLS_HS_CERTIFICATE, MSG_LEN);
    dtls_reassembly_free(&r);
    dtls_reassembly_init(&r, 1024, 0);
    for (size_t off = 0; off < MSG_LEN; off += 50) {
        size_t n = off + 120 < MSG_LEN ? 120 : MSG_LEN - off;
        f = frag(TLS_HS_CERTIFICATE, 0, MSG_LEN, off, n);
        assert_success(dtls_reassembly_add(&r, &f));
    }
    expect_message(&r, TLS_HS_CERTIFICATE, MSG_LEN);
    dtls_reassembly_free(&r);
}

/* Later messages first; beyond the window they are dropped (the server sends them again). */
static void test_reassembly_reordered(void **state)
{
    (void)state;
    struct dtls_reassembly r;
    dtls_reassembly_init(&r, 1024, 1);
    struct dtls_fragment done = frag(TLS_HS_SERVER_HELLO_DONE, 3, 0, 0, 0);
    struct dtls_fragment cert = frag(TLS_HS_CERTIFICATE, 2, MSG_LEN, 0, MSG_LEN);
    struct dtls_fragment hello = frag(TLS_HS_SERVER_HELLO, 1, 70, 0, 70);
    struct dtls_fragment far = frag(TLS_HS_CERTIFICATE, 1 + DTLS_REASSEMBLY_WINDOW, 10, 0, 10);
    assert_success(dtls_reassembly_add(&r, &done));
    assert_success(dtls_reassembly_add(&r, &far));
    assert_success(dtls_reassembly_add(&r, &cert));
    expect_nothing(&r);
    assert_success(dtls_reassembly_add(&r, &hello));
    expect_message(&r, TLS_HS_SERVER_HELLO, 70);
    expect_message(&r, TLS_HS_CERTIFICATE, MSG_LEN);
    expect_message(&r, TLS_HS_SERVER_HELLO_DONE, 0);
    expect_nothing(&r); /* the far one was not kept */
    dtls_reassembly_free(&r);
}

static void test_reassembly_errors(void **state)
{
    (void)state;
    struct dtls_reassembly r;
    dtls_reassembly_init(&r, 200, 0);
    struct dtls_fragment big = frag(TLS_HS_CERTIFICATE, 0, 201, 0, 10);
    assert_error(dtls_reassembly_add(&r, &big), HC_ERR_MESSAGE_TOO_LONG);
    struct dtls_fragment a = frag(TLS_HS_CERTIFICATE, 0, 100, 0, 10);
    struct dtls_fragment other_len = frag(TLS_HS_CERTIFICATE, 0, 101, 10, 10);
    struct dtls_fragment other_type = frag(TLS_HS_SERVER_HELLO, 0, 100, 10, 10);
    assert_success(dtls_reassembly_add(&r, &a));
    assert_error(dtls_reassembly_add(&r, &other_len), HC_ERR_BAD_FRAGMENT);
    assert_error(dtls_reassembly_add(&r, &other_type), HC_ERR_BAD_FRAGMENT);
    dtls_reassembly_free(&r);
    dtls_reassembly_free(&r); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_in_one_datagram),
        cmocka_unit_test(test_record_cut_everywhere),
        cmocka_unit_test(test_record_not_dtls),
        cmocka_unit_test(test_record_write),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_fragment_write_round_trip),
        cmocka_unit_test(test_hello_verify),
        cmocka_unit_test(test_client_hello),
        cmocka_unit_test(test_client_hello_limits),
        cmocka_unit_test(test_server_hello),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_reassembly_whole),
        cmocka_unit_test(test_reassembly_split_everywhere),
        cmocka_unit_test(test_reassembly_bytes_and_overlaps),
        cmocka_unit_test(test_reassembly_reordered),
        cmocka_unit_test(test_reassembly_errors),
    };
    return cmocka_run_group_tests(tests, fill_message, NULL);
}
