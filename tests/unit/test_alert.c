/* Alerts: reading level and description, writing an alert record. */
#include "unit.h"

#include "support/vectors.h"
#include "tls/tls.h"

#include <string.h>

static void test_parse_real(void **state)
{
    (void)state;
    struct wire_reader s = wire_reader_init(alert_early_heartbeat, sizeof alert_early_heartbeat),
                       body;
    struct tls_record_header h;
    assert_success(tls_record_next(&s, &h, &body));
    assert_int_equal(h.type, TLS_CT_ALERT);
    struct tls_alert a;
    assert_success(tls_alert_parse(&body, &a));
    assert_int_equal(a.level, TLS_ALERT_FATAL);
    assert_int_equal(a.description, TLS_ALERT_UNEXPECTED_MESSAGE);
    assert_string_equal(tls_alert_name(a.description), "unexpected_message");
    assert_success(wire_reader_end(&body));
}

static void test_short(void **state)
{
    (void)state;
    static const uint8_t one[] = {TLS_ALERT_FATAL};
    struct tls_alert a = {.level = 9, .description = 9};
    for (size_t n = 0; n < 2; n++) {
        struct wire_reader r = wire_reader_init(one, n);
        assert_error(tls_alert_parse(&r, &a), HC_ERR_SHORT);
        assert_int_equal(r.pos, 0);
    }
    assert_int_equal(a.level, 9);
}

static void test_levels(void **state)
{
    (void)state;
    for (unsigned level = 0; level < 256; level++) {
        uint8_t b[2] = {(uint8_t)level, TLS_ALERT_CLOSE_NOTIFY};
        struct wire_reader r = wire_reader_init(b, sizeof b);
        struct tls_alert a = {.level = 9, .description = 9};
        hc_result res = tls_alert_parse(&r, &a);
        if (level == TLS_ALERT_WARNING || level == TLS_ALERT_FATAL) {
            assert_success(res);
            assert_int_equal(a.level, level);
            assert_int_equal(a.description, TLS_ALERT_CLOSE_NOTIFY);
            assert_int_equal(r.pos, 2);
        } else {
            assert_error(res, HC_ERR_BAD_ALERT);
            assert_int_equal(r.pos, 0); /* nothing consumed */
            assert_int_equal(a.level, 9);
        }
    }
}

/* Any description is passed on: unknown codes are for the caller to name. */
static void test_unknown_description(void **state)
{
    (void)state;
    static const uint8_t b[] = {TLS_ALERT_WARNING, 0xfe};
    struct wire_reader r = wire_reader_init(b, sizeof b);
    struct tls_alert a;
    assert_success(tls_alert_parse(&r, &a));
    assert_int_equal(a.description, 0xfe);
    assert_null(tls_alert_name(a.description));
}

/* Two alerts in one record are read one after the other. */
static void test_two_in_a_record(void **state)
{
    (void)state;
    static const uint8_t b[] = {TLS_ALERT_WARNING, TLS_ALERT_UNRECOGNIZED_NAME, TLS_ALERT_FATAL,
                                TLS_ALERT_HANDSHAKE_FAILURE, TLS_ALERT_FATAL};
    struct wire_reader r = wire_reader_init(b, sizeof b);
    struct tls_alert a;
    assert_success(tls_alert_parse(&r, &a));
    assert_int_equal(a.description, TLS_ALERT_UNRECOGNIZED_NAME);
    assert_success(tls_alert_parse(&r, &a));
    assert_int_equal(a.level, TLS_ALERT_FATAL);
    assert_int_equal(a.description, TLS_ALERT_HANDSHAKE_FAILURE);
    assert_error(tls_alert_parse(&r, &a), HC_ERR_SHORT);
    assert_int_equal(wire_remaining(&r), 1);
}

static void test_write_matches_real(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    tls_alert_write(&w, TLS_VERSION_TLS12, TLS_ALERT_FATAL, TLS_ALERT_UNEXPECTED_MESSAGE);
    assert_success(wire_writer_result(&w));
    assert_int_equal(w.len, sizeof alert_early_heartbeat);
    assert_memory_equal(buf, alert_early_heartbeat, sizeof alert_early_heartbeat);

    w = wire_writer_init(buf, sizeof buf);
    tls_alert_write(&w, TLS_VERSION_SSL3, TLS_ALERT_WARNING, TLS_ALERT_CLOSE_NOTIFY);
    static const uint8_t ssl3_close[] = {0x15, 0x03, 0x00, 0x00, 0x02, 0x01, 0x00};
    assert_memory_equal(buf, ssl3_close, sizeof ssl3_close);
}

static void test_write_no_space(void **state)
{
    (void)state;
    uint8_t buf[7];
    for (size_t cap = 0; cap < sizeof buf; cap++) {
        struct wire_writer w = wire_writer_init(buf, cap);
        tls_alert_write(&w, TLS_VERSION_TLS12, TLS_ALERT_FATAL, TLS_ALERT_DECODE_ERROR);
        assert_error(wire_writer_result(&w), HC_ERR_NO_SPACE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real),      cmocka_unit_test(test_short),
        cmocka_unit_test(test_levels),          cmocka_unit_test(test_unknown_description),
        cmocka_unit_test(test_two_in_a_record), cmocka_unit_test(test_write_matches_real),
        cmocka_unit_test(test_write_no_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
