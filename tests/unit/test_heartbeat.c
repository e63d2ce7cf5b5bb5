/* Heartbeats: the header of a received one, and building the probes that went on the wire. */
#include "unit.h"

#include "support/vectors.h"
#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

/* First bytes of the records in openssl-1.0.1f_tls12_zero-leak-probe.pcap: the probe's two
 * requests (frame 8; 4100 'A's with no padding, then 4100 'B's and 16 zero bytes), and the
 * server's response (frame 9: 4100 'A's echoed, then 16 bytes of random padding). */
static const uint8_t probe_a_head[] = {0x18, 0x03, 0x03, 0x10, 0x07, 0x01, 0x10, 0x04};
static const uint8_t probe_b_head[] = {0x18, 0x03, 0x03, 0x10, 0x17, 0x01, 0x10, 0x04};
static const uint8_t response_head[] = {0x18, 0x03, 0x03, 0x10, 0x17, 0x02, 0x10, 0x04};

enum { PROBE_PAYLOAD = 4100 };

static void test_parse_real_request(void **state)
{
    (void)state;
    struct wire_reader r =
        wire_reader_init(heartbeat_request_nmap + 5, sizeof heartbeat_request_nmap - 5);
    struct tls_heartbeat_header h;
    assert_success(tls_heartbeat_header_parse(&r, &h));
    assert_int_equal(h.type, TLS_HEARTBEAT_REQUEST);
    assert_int_equal(h.payload_length, 16384); /* far more than the 19 bytes sent */
    assert_int_equal(r.pos, TLS_HEARTBEAT_HEADER_LEN);
    assert_int_equal(wire_remaining(&r), 19);
}

static void test_parse_real_response(void **state)
{
    (void)state;
    struct wire_reader r = wire_reader_init(response_head + 5, sizeof response_head - 5);
    struct tls_heartbeat_header h;
    assert_success(tls_heartbeat_header_parse(&r, &h));
    assert_int_equal(h.type, TLS_HEARTBEAT_RESPONSE);
    assert_int_equal(h.payload_length, PROBE_PAYLOAD);
    assert_int_equal(wire_remaining(&r), 0);
}

static void test_short(void **state)
{
    (void)state;
    for (size_t n = 0; n < TLS_HEARTBEAT_HEADER_LEN; n++) {
        struct wire_reader r = wire_reader_init(response_head + 5, n);
        struct tls_heartbeat_header h = {.type = 9};
        assert_error(tls_heartbeat_header_parse(&r, &h), HC_ERR_SHORT);
        assert_int_equal(r.pos, 0);
        assert_int_equal(h.type, 9);
    }
}

static void test_types(void **state)
{
    (void)state;
    for (unsigned type = 0; type < 256; type++) {
        uint8_t b[3] = {(uint8_t)type, 0x00, 0x10};
        struct wire_reader r = wire_reader_init(b, sizeof b);
        struct tls_heartbeat_header h = {.type = 9, .payload_length = 9};
        hc_result res = tls_heartbeat_header_parse(&r, &h);
        if (type == TLS_HEARTBEAT_REQUEST || type == TLS_HEARTBEAT_RESPONSE) {
            assert_success(res);
            assert_int_equal(h.type, type);
            assert_int_equal(h.payload_length, 16);
        } else {
            assert_error(res, HC_ERR_BAD_HEARTBEAT);
            assert_int_equal(r.pos, 0);
            assert_int_equal(h.type, 9);
        }
    }
}

static hc_result write_hb(struct wire_writer *w, uint16_t version, uint16_t claimed,
                          const uint8_t *payload, size_t len, size_t padding)
{
    struct tls_heartbeat_params p = {
        .record_version = version,
        .type = TLS_HEARTBEAT_REQUEST,
        .claimed_length = claimed,
        .payload = payload,
        .payload_len = len,
        .padding_len = padding,
        .padding_byte = 0,
    };
    return tls_heartbeat_write(w, &p);
}

static void test_write_nmap_request(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    assert_success(
        write_hb(&w, TLS_VERSION_TLS10, 16384, (const uint8_t *)"Nmap ssl-heartbleed", 19, 0));
    assert_int_equal(w.len, sizeof heartbeat_request_nmap);
    assert_memory_equal(buf, heartbeat_request_nmap, sizeof heartbeat_request_nmap);
}

/* The zero-leak probe pair, rebuilt byte for byte. */
static void test_write_zero_leak_probe(void **state)
{
    (void)state;
    enum { CAP = 2 * (5 + 3 + PROBE_PAYLOAD + 16) };
    uint8_t *buf = malloc(CAP), payload[PROBE_PAYLOAD];
    assert_non_null(buf);
    struct wire_writer w = wire_writer_init(buf, CAP);
    memset(payload, 'A', sizeof payload);
    assert_success(write_hb(&w, TLS_VERSION_TLS12, PROBE_PAYLOAD, payload, sizeof payload, 0));
    size_t first = w.len;
    memset(payload, 'B', sizeof payload);
    assert_success(write_hb(&w, TLS_VERSION_TLS12, PROBE_PAYLOAD, payload, sizeof payload, 16));
    assert_int_equal(first, 5 + 3 + PROBE_PAYLOAD);
    assert_int_equal(w.len, first + 5 + 3 + PROBE_PAYLOAD + 16);
    assert_memory_equal(buf, probe_a_head, sizeof probe_a_head);
    for (size_t i = 0; i < PROBE_PAYLOAD; i++)
        assert_int_equal(buf[5 + 3 + i], 'A');
    assert_memory_equal(buf + first, probe_b_head, sizeof probe_b_head);
    for (size_t i = 0; i < PROBE_PAYLOAD; i++)
        assert_int_equal(buf[first + 5 + 3 + i], 'B');
    for (size_t i = 0; i < 16; i++)
        assert_int_equal(buf[first + 5 + 3 + PROBE_PAYLOAD + i], 0);
    free(buf);
}

/* One record holds at most 2^14 bytes of heartbeat message (header + payload + padding). */
static void test_length_too_big(void **state)
{
    (void)state;
    enum { CAP = 5 + TLS_MAX_PLAINTEXT + 64 };
    uint8_t *buf = malloc(CAP);
    static uint8_t payload[TLS_MAX_PLAINTEXT];
    assert_non_null(buf);
    memset(payload, 'A', sizeof payload);
    struct wire_writer w = wire_writer_init(buf, CAP);
    /* The 16381-byte probe that fills a record exactly (nginx captures). */
    assert_success(write_hb(&w, TLS_VERSION_TLS12, 16381, payload, 16381, 0));
    assert_int_equal(w.len, 5 + TLS_MAX_PLAINTEXT);
    assert_int_equal(buf[3], 0x40);
    assert_int_equal(buf[4], 0x00);

    w = wire_writer_init(buf, CAP);
    assert_error(write_hb(&w, TLS_VERSION_TLS12, 16382, payload, 16382, 0), HC_ERR_LENGTH_TOO_BIG);
    assert_int_equal(w.len, 0); /* nothing written */
    assert_error(write_hb(&w, TLS_VERSION_TLS12, 16365, payload, 16365, 17), HC_ERR_LENGTH_TOO_BIG);
    /* The failure sticks in the writer like a failed write: later writes do nothing. */
    assert_error(wire_writer_result(&w), HC_ERR_LENGTH_TOO_BIG);
    assert_error(write_hb(&w, TLS_VERSION_TLS12, 16365, payload, 16365, 16), HC_ERR_LENGTH_TOO_BIG);
    w = wire_writer_init(buf, CAP);
    assert_success(write_hb(&w, TLS_VERSION_TLS12, 16365, payload, 16365, 16));
    assert_int_equal(w.len, 5 + TLS_MAX_PLAINTEXT);
    /* A huge padding length must not wrap the size check around. */
    w = wire_writer_init(buf, CAP);
    assert_error(write_hb(&w, TLS_VERSION_TLS12, 0, payload, 1, SIZE_MAX - 1),
                 HC_ERR_LENGTH_TOO_BIG);
    free(buf);
}

static void test_write_no_space(void **state)
{
    (void)state;
    uint8_t buf[sizeof heartbeat_request_nmap];
    for (size_t cap = 0; cap < sizeof heartbeat_request_nmap; cap++) {
        struct wire_writer w = wire_writer_init(buf, cap);
        assert_error(
            write_hb(&w, TLS_VERSION_TLS10, 16384, (const uint8_t *)"Nmap ssl-heartbleed", 19, 0),
            HC_ERR_NO_SPACE);
    }
}

/* The response type and a padding byte of choice are written as given. */
static void test_write_response(void **state)
{
    (void)state;
    uint8_t buf[32];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct tls_heartbeat_params p = {
        .record_version = TLS_VERSION_TLS11,
        .type = TLS_HEARTBEAT_RESPONSE,
        .claimed_length = 2,
        .payload = (const uint8_t *)"hi",
        .payload_len = 2,
        .padding_len = TLS_HEARTBEAT_MIN_PADDING,
        .padding_byte = 0xcc,
    };
    assert_success(tls_heartbeat_write(&w, &p));
    static const uint8_t head[] = {0x18, 0x03, 0x02, 0x00, 0x15, 0x02, 0x00, 0x02, 'h', 'i'};
    assert_int_equal(w.len, sizeof head + 16);
    assert_memory_equal(buf, head, sizeof head);
    for (size_t i = 0; i < 16; i++)
        assert_int_equal(buf[sizeof head + i], 0xcc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_request),
        cmocka_unit_test(test_parse_real_response),
        cmocka_unit_test(test_short),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_write_nmap_request),
        cmocka_unit_test(test_write_zero_leak_probe),
        cmocka_unit_test(test_length_too_big),
        cmocka_unit_test(test_write_no_space),
        cmocka_unit_test(test_write_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
