/* records: header checks and taking whole records off a byte stream. */
#include "unit.h"

#include "support/heap_copy.h"
#include "support/vectors.h"
#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

struct expected_record {
    uint8_t type;
    uint16_t version;
    uint16_t length;
    size_t body_at; /* offset of the body in flight_openssl101f */
};

static const struct expected_record flight_records[] = {
    {TLS_CT_HANDSHAKE, TLS_VERSION_TLS12, 81, 5},
    {TLS_CT_HANDSHAKE, TLS_VERSION_TLS12, 791, 5 + 81 + 5},
    {TLS_CT_HANDSHAKE, TLS_VERSION_TLS12, 4, 5 + 81 + 5 + 791 + 5},
};

/* Takes records off the stream until an error; checks each against flight_records starting
 * at *index. Returns the error that stopped it. */
static hc_result drain_flight(struct wire_reader *s, size_t *index)
{
    for (;;) {
        struct tls_record_header h;
        struct wire_reader body;
        hc_result res = tls_record_next(s, &h, &body);
        if (!hc_ok(res))
            return res;
        assert_true(*index < HC_ARRAY_LEN(flight_records));
        const struct expected_record *e = &flight_records[*index];
        assert_int_equal(h.type, e->type);
        assert_int_equal(h.version, e->version);
        assert_int_equal(h.length, e->length);
        assert_int_equal(wire_remaining(&body), e->length);
        assert_memory_equal(wire_peek(&body), flight_openssl101f + e->body_at, e->length);
        (*index)++;
    }
}

static void test_header_parse_real(void **state)
{
    (void)state;
    struct wire_reader r = wire_reader_init(flight_openssl101f, sizeof flight_openssl101f);
    struct tls_record_header h;
    assert_success(tls_record_header_parse(&r, &h));
    assert_int_equal(h.type, TLS_CT_HANDSHAKE);
    assert_int_equal(h.version, TLS_VERSION_TLS12);
    assert_int_equal(h.length, 81);
    assert_int_equal(r.pos, TLS_RECORD_HEADER_LEN); /* the header only */

    r = wire_reader_init(heartbeat_request_nmap, sizeof heartbeat_request_nmap);
    assert_success(tls_record_header_parse(&r, &h));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    assert_int_equal(h.version, TLS_VERSION_TLS10);
    assert_int_equal(h.length, 22);
}

static void test_header_byte_by_byte(void **state)
{
    (void)state;
    for (size_t n = 0; n < TLS_RECORD_HEADER_LEN; n++) {
        uint8_t *c = exact_copy(alert_early_heartbeat, n);
        struct wire_reader r = wire_reader_init(c, n);
        struct tls_record_header h;
        assert_error(tls_record_header_parse(&r, &h), HC_ERR_SHORT);
        assert_int_equal(r.pos, 0);
        free(c);
    }
}

static hc_result parse_header(uint8_t type, uint16_t version, uint16_t length,
                              struct tls_record_header *h, size_t *consumed)
{
    uint8_t b[5] = {type, (uint8_t)(version >> 8), (uint8_t)version, (uint8_t)(length >> 8),
                    (uint8_t)length};
    struct wire_reader r = wire_reader_init(b, sizeof b);
    hc_result res = tls_record_header_parse(&r, h);
    *consumed = r.pos;
    return res;
}

static void test_header_content_types(void **state)
{
    (void)state;
    struct tls_record_header h;
    size_t used;
    for (unsigned t = 0; t < 256; t++) {
        hc_result res = parse_header((uint8_t)t, TLS_VERSION_TLS12, 2, &h, &used);
        if (t >= TLS_CT_CHANGE_CIPHER_SPEC && t <= TLS_CT_HEARTBEAT) {
            assert_success(res);
            assert_int_equal(h.type, t);
            assert_int_equal(used, 5);
        } else {
            assert_error(res, HC_ERR_NOT_TLS);
            assert_int_equal(used, 0);
        }
    }
}

static void test_header_versions(void **state)
{
    (void)state;
    struct tls_record_header h;
    size_t used;
    /* Major version 3 is SSLv3/TLS; an HTTP reply ("HTTP/") or SSLv2 is not. */
    assert_success(parse_header(TLS_CT_ALERT, TLS_VERSION_SSL3, 2, &h, &used));
    assert_success(parse_header(TLS_CT_ALERT, 0x0304, 2, &h, &used));
    assert_success(parse_header(TLS_CT_ALERT, 0x03ff, 2, &h, &used));
    assert_int_equal(h.version, 0x03ff);
    assert_error(parse_header(TLS_CT_ALERT, 0x0203, 2, &h, &used), HC_ERR_NOT_TLS);
    assert_error(parse_header(TLS_CT_ALERT, 0x0403, 2, &h, &used), HC_ERR_NOT_TLS);
    assert_error(parse_header(TLS_CT_ALERT, 0x0000, 2, &h, &used), HC_ERR_NOT_TLS);
    static const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n";
    struct wire_reader r = wire_reader_init(http, sizeof http - 1);
    assert_error(tls_record_header_parse(&r, &h), HC_ERR_NOT_TLS);
    assert_int_equal(r.pos, 0);
}

static void test_header_length_limit(void **state)
{
    (void)state;
    struct tls_record_header h;
    size_t used;
    assert_success(
        parse_header(TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, TLS_MAX_RECORD_BODY, &h, &used));
    assert_int_equal(h.length, 18432);
    assert_error(
        parse_header(TLS_CT_HEARTBEAT, TLS_VERSION_TLS12, TLS_MAX_RECORD_BODY + 1, &h, &used),
        HC_ERR_RECORD_TOO_LONG);
    assert_int_equal(used, 0);
    assert_error(parse_header(TLS_CT_HANDSHAKE, TLS_VERSION_TLS12, 0xffff, &h, &used),
                 HC_ERR_RECORD_TOO_LONG);
    /* An empty record is a header matter of no concern here. */
    assert_success(parse_header(TLS_CT_HANDSHAKE, TLS_VERSION_TLS12, 0, &h, &used));
}

static void test_next_real_flight(void **state)
{
    (void)state;
    struct wire_reader s = wire_reader_init(flight_openssl101f, sizeof flight_openssl101f);
    size_t index = 0;
    assert_error(drain_flight(&s, &index), HC_ERR_SHORT);
    assert_int_equal(index, 3);
    assert_int_equal(wire_remaining(&s), 0);
}

/* Every prefix of the flight yields the records that are whole in it, then SHORT with the
 * stream left at the start of the incomplete one. */
static void test_next_byte_by_byte(void **state)
{
    (void)state;
    for (size_t n = 0; n <= sizeof flight_openssl101f; n++) {
        uint8_t *c = exact_copy(flight_openssl101f, n);
        struct wire_reader s = wire_reader_init(c, n);
        size_t index = 0;
        assert_error(drain_flight(&s, &index), HC_ERR_SHORT);
        size_t whole = 0, end = 0;
        for (size_t i = 0; i < HC_ARRAY_LEN(flight_records); i++) {
            size_t rec_end = flight_records[i].body_at + flight_records[i].length;
            if (rec_end <= n) {
                whole++;
                end = rec_end;
            }
        }
        assert_int_equal(index, whole);
        assert_int_equal(s.pos, end);
        free(c);
    }
}

/* The stream arrives in two reads split at every offset: same records either way. */
static void test_next_split_everywhere(void **state)
{
    (void)state;
    const size_t n = sizeof flight_openssl101f;
    for (size_t k = 0; k <= n; k++) {
        uint8_t *first = exact_copy(flight_openssl101f, k);
        struct wire_reader s = wire_reader_init(first, k);
        size_t index = 0;
        assert_error(drain_flight(&s, &index), HC_ERR_SHORT);
        size_t used = s.pos;
        free(first);
        /* What a receive buffer holds next: the unconsumed tail plus the second read. */
        uint8_t *rest = exact_copy(flight_openssl101f + used, n - used);
        s = wire_reader_init(rest, n - used);
        assert_error(drain_flight(&s, &index), HC_ERR_SHORT);
        assert_int_equal(index, 3);
        assert_int_equal(wire_remaining(&s), 0);
        free(rest);
    }
}

/* A bad header in the middle of a stream stops it there, good records before it kept. */
static void test_next_stops_at_bad_record(void **state)
{
    (void)state;
    uint8_t buf[sizeof alert_early_heartbeat + 8];
    memcpy(buf, alert_early_heartbeat, sizeof alert_early_heartbeat);
    memcpy(buf + sizeof alert_early_heartbeat, "GET / HT", 8);
    struct wire_reader s = wire_reader_init(buf, sizeof buf), body;
    struct tls_record_header h;
    assert_success(tls_record_next(&s, &h, &body));
    assert_int_equal(h.type, TLS_CT_ALERT);
    assert_int_equal(wire_remaining(&body), 2);
    assert_int_equal(wire_peek(&body)[0], TLS_ALERT_FATAL);
    assert_int_equal(wire_peek(&body)[1], TLS_ALERT_UNEXPECTED_MESSAGE);
    assert_error(tls_record_next(&s, &h, &body), HC_ERR_NOT_TLS);
    assert_int_equal(s.pos, sizeof alert_early_heartbeat);
    /* A too-long record is refused before its body arrives. */
    static const uint8_t huge[] = {0x17, 0x03, 0x03, 0x48, 0x01};
    s = wire_reader_init(huge, sizeof huge);
    assert_error(tls_record_next(&s, &h, &body), HC_ERR_RECORD_TOO_LONG);
    assert_int_equal(s.pos, 0);
}

static void test_next_heartbeat_record(void **state)
{
    (void)state;
    struct wire_reader s = wire_reader_init(heartbeat_request_nmap, sizeof heartbeat_request_nmap),
                       body;
    struct tls_record_header h;
    assert_success(tls_record_next(&s, &h, &body));
    assert_int_equal(h.type, TLS_CT_HEARTBEAT);
    assert_int_equal(wire_remaining(&body), 22);
    assert_memory_equal(wire_peek(&body), heartbeat_request_nmap + 5, 22);
    assert_int_equal(wire_remaining(&s), 0);
    assert_error(tls_record_next(&s, &h, &body), HC_ERR_SHORT);
}

/* The builders reproduce OpenSSL's bytes: the ServerHelloDone record and the alert. */
static void test_open_builders(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct wire_mark rec = tls_record_open(&w, TLS_CT_HANDSHAKE, TLS_VERSION_TLS12);
    struct wire_mark msg = tls_handshake_open(&w, TLS_HS_SERVER_HELLO_DONE);
    wire_close(&w, msg);
    wire_close(&w, rec);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, 9);
    assert_memory_equal(buf, flight_openssl101f + sizeof flight_openssl101f - 9, 9);

    w = wire_writer_init(buf, sizeof buf);
    rec = tls_record_open(&w, TLS_CT_ALERT, TLS_VERSION_TLS12);
    wire_write_u8(&w, TLS_ALERT_FATAL);
    wire_write_u8(&w, TLS_ALERT_UNEXPECTED_MESSAGE);
    wire_close(&w, rec);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, sizeof alert_early_heartbeat);
    assert_memory_equal(buf, alert_early_heartbeat, sizeof alert_early_heartbeat);
}

static void test_open_no_space(void **state)
{
    (void)state;
    uint8_t buf[6];
    struct wire_writer w = wire_writer_init(buf, 4);
    (void)tls_record_open(&w, TLS_CT_HANDSHAKE, TLS_VERSION_TLS12);
    assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
    w = wire_writer_init(buf, sizeof buf);
    struct wire_mark rec = tls_record_open(&w, TLS_CT_HANDSHAKE, TLS_VERSION_TLS12);
    (void)tls_handshake_open(&w, TLS_HS_CERTIFICATE);
    wire_close(&w, rec);
    assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_parse_real),
        cmocka_unit_test(test_header_byte_by_byte),
        cmocka_unit_test(test_header_content_types),
        cmocka_unit_test(test_header_versions),
        cmocka_unit_test(test_header_length_limit),
        cmocka_unit_test(test_next_real_flight),
        cmocka_unit_test(test_next_byte_by_byte),
        cmocka_unit_test(test_next_split_everywhere),
        cmocka_unit_test(test_next_stops_at_bad_record),
        cmocka_unit_test(test_next_heartbeat_record),
        cmocka_unit_test(test_open_builders),
        cmocka_unit_test(test_open_no_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
