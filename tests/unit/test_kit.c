/* The probe kit: the two prebuilt heartbeat records, byte by byte, for every version. */
#include "unit.h"

#include "probe/kit.h"

#include <string.h>

static const uint16_t versions[KIT_VERSIONS] = {TLS_VERSION_SSL3, TLS_VERSION_TLS10,
                                                TLS_VERSION_TLS11, TLS_VERSION_TLS12};

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

struct expected_record {
    enum kit_record which;
    uint16_t version;
    uint16_t claimed;
    size_t payload_len;
    size_t padding_len;
};

/* Record header, heartbeat header, every payload byte, then exactly padding_len more bytes. */
static void check_record(const struct probe_kit *kit, const struct expected_record *e)
{
    const uint8_t *rec;
    size_t len;
    kit_record(kit, e->which, e->version, &rec, &len);
    size_t body = TLS_HEARTBEAT_HEADER_LEN + e->payload_len + e->padding_len;
    assert_int_equal(len, TLS_RECORD_HEADER_LEN + body);
    assert_int_equal(rec[0], TLS_CT_HEARTBEAT);
    assert_int_equal(be16(rec + 1), e->version);
    assert_int_equal(be16(rec + 3), body);
    assert_int_equal(rec[5], TLS_HEARTBEAT_REQUEST);
    assert_int_equal(be16(rec + 6), e->claimed);
    const uint8_t *payload = rec + TLS_RECORD_HEADER_LEN + TLS_HEARTBEAT_HEADER_LEN;
    for (size_t i = 0; i < e->payload_len; i++)
        if (payload[i] != kit_payload_byte(e->which, i))
            fail_msg("payload byte %zu of record %d, version %04x", i, e->which, e->version);
}

static void test_zero_leak_probe(void **state)
{
    (void)state;
    struct probe_kit *kit = NULL;
    assert_success(probe_kit_new(0, &kit));
    assert_int_equal(kit->leak_bytes, 0);
    assert_int_equal(kit->probe_claim, PROBE_PAYLOAD);
    for (size_t v = 0; v < KIT_VERSIONS; v++) {
        /* 16389 bytes: one full 16384-byte record that claims exactly what it carries. */
        struct expected_record e = {KIT_PROBE, versions[v], PROBE_PAYLOAD, PROBE_PAYLOAD, 0};
        check_record(kit, &e);
        const uint8_t *rec;
        size_t len;
        kit_record(kit, KIT_PROBE, versions[v], &rec, &len);
        assert_int_equal(len, 16389);
        assert_int_equal(be16(rec + 3), 16384);
        assert_int_equal(be16(rec + 6), 16381);
    }
    probe_kit_free(kit);
}

static void test_followup(void **state)
{
    (void)state;
    struct probe_kit *kit = NULL;
    assert_success(probe_kit_new(0, &kit));
    for (size_t v = 0; v < KIT_VERSIONS; v++) {
        /* Well-formed (RFC 6520 section 4): 16365 + 3 + 16 padding = 16384. */
        struct expected_record e = {KIT_FOLLOWUP, versions[v], PROBE_FOLLOWUP_PAYLOAD,
                                    PROBE_FOLLOWUP_PAYLOAD, TLS_HEARTBEAT_MIN_PADDING};
        check_record(kit, &e);
        const uint8_t *rec;
        size_t len;
        kit_record(kit, KIT_FOLLOWUP, versions[v], &rec, &len);
        assert_int_equal(be16(rec + 3), 16384);
        assert_int_equal(be16(rec + 6), 16365);
    }
    probe_kit_free(kit);
}

/* The two payloads differ from the first byte: an echo tells which heartbeat it answers. */
static void test_payloads_differ(void **state)
{
    (void)state;
    assert_int_not_equal(kit_payload_byte(KIT_PROBE, 11), kit_payload_byte(KIT_FOLLOWUP, 11));
    char tag[17];
    for (size_t i = 0; i < 16; i++)
        tag[i] = (char)kit_payload_byte(KIT_PROBE, i);
    tag[16] = '\0';
    assert_string_equal(tag, "heartcheck probe");
}

static void test_over_read(void **state)
{
    (void)state;
    struct probe_kit *kit = NULL;
    assert_success(probe_kit_new(100, &kit));
    assert_int_equal(kit->leak_bytes, 100);
    /* Sends 100 bytes fewer than the 16381 it claims: only an over-read fills the gap, and
     * the answer's first record stays full, so no write buffer holds the leaked bytes back. */
    assert_int_equal(kit->probe_sent, 16281);
    assert_int_equal(kit->probe_claim, 16381);
    for (size_t v = 0; v < KIT_VERSIONS; v++) {
        struct expected_record e = {KIT_PROBE, versions[v], 16381, 16281, 0};
        check_record(kit, &e);
        struct expected_record f = {KIT_FOLLOWUP, versions[v], PROBE_FOLLOWUP_PAYLOAD,
                                    PROBE_FOLLOWUP_PAYLOAD, TLS_HEARTBEAT_MIN_PADDING};
        check_record(kit, &f);
    }
    probe_kit_free(kit);
}

/* Every ClientHello of a scan gets its own random, and two scans do not share them. */
static void test_hello_randoms_differ(void **state)
{
    (void)state;
    struct probe_kit *a = NULL, *b = NULL;
    assert_success(probe_kit_new(0, &a));
    assert_success(probe_kit_new(0, &b));
    uint8_t r[3][32];
    kit_hello_random(a, r[0]);
    kit_hello_random(a, r[1]);
    kit_hello_random(b, r[2]);
    assert_memory_not_equal(r[0], r[1], 32);
    assert_memory_not_equal(r[0], r[2], 32);
    probe_kit_free(a);
    probe_kit_free(b);
}

static void test_limits(void **state)
{
    (void)state;
    struct probe_kit *kit = NULL;
    assert_success(probe_kit_new(PROBE_MAX_LEAK, &kit));
    assert_int_equal(kit->probe_claim, 65535); /* the largest 16-bit payload_length */
    struct expected_record e = {KIT_PROBE, TLS_VERSION_TLS12, 65535, PROBE_MIN_SENT, 0};
    check_record(kit, &e);
    probe_kit_free(kit);

    /* The last over-read that still claims 16381, and the first that must claim more. */
    assert_success(probe_kit_new(PROBE_PAYLOAD - PROBE_MIN_SENT, &kit));
    assert_int_equal(kit->probe_sent, PROBE_MIN_SENT);
    assert_int_equal(kit->probe_claim, PROBE_PAYLOAD);
    probe_kit_free(kit);
    assert_success(probe_kit_new(PROBE_PAYLOAD - PROBE_MIN_SENT + 1, &kit));
    assert_int_equal(kit->probe_sent, PROBE_MIN_SENT);
    assert_int_equal(kit->probe_claim, PROBE_PAYLOAD + 1);
    probe_kit_free(kit);

    struct probe_kit *untouched = (struct probe_kit *)&kit;
    kit = untouched;
    assert_error(probe_kit_new(PROBE_MAX_LEAK + 1, &kit), HC_ERR_USAGE);
    assert_ptr_equal(kit, untouched);
    assert_error(probe_kit_new(UINT32_MAX, &kit), HC_ERR_USAGE);
}

/* A version outside SSLv3..TLS 1.2 gets the TLS 1.2 record rather than nothing. */
static void test_unknown_version(void **state)
{
    (void)state;
    struct probe_kit *kit = NULL;
    assert_success(probe_kit_new(0, &kit));
    const uint8_t *rec, *tls12;
    size_t len, len12;
    kit_record(kit, KIT_PROBE, TLS_VERSION_TLS12, &tls12, &len12);
    kit_record(kit, KIT_PROBE, 0x0304, &rec, &len);
    assert_ptr_equal(rec, tls12);
    kit_record(kit, KIT_PROBE, 0, &rec, &len);
    assert_ptr_equal(rec, tls12);
    assert_int_equal(len, len12);
    probe_kit_free(kit);
    probe_kit_free(NULL);
}

/* An echo shows our own bytes, as many as came (up to what we sent), under our claim. */
static void test_echoes(void **state)
{
    (void)state;
    struct probe_kit *kit;
    assert_success(probe_kit_new(100, &kit));
    uint8_t answer[16381];
    for (size_t i = 0; i < sizeof answer; i++)
        answer[i] = kit_payload_byte(KIT_PROBE, i);
    assert_true(kit_echoes(KIT_PROBE, answer, 1, 16281));
    assert_false(kit_echoes(KIT_PROBE, answer, 0, 16281));
    assert_false(kit_echoes(KIT_FOLLOWUP, answer, 16, 16365)); /* the other heartbeat's bytes */
    answer[16300] = 0x00; /* past the 16281 sent: the peer's memory, anything goes */
    assert_true(kit_is_echo(kit, KIT_PROBE, answer, sizeof answer, 16381));
    assert_false(kit_is_echo(kit, KIT_PROBE, answer, sizeof answer, 16380)); /* not our claim */
    answer[5] ^= 1;
    assert_false(kit_is_echo(kit, KIT_PROBE, answer, sizeof answer, 16381));
    probe_kit_free(kit);
}

/* Leaked bytes are what follows our 16281 in the answer, collected whatever the pieces. */
static void test_collect_leak(void **state)
{
    (void)state;
    struct probe_kit *kit;
    assert_success(probe_kit_new(100, &kit));
    uint8_t payload[16381], leak[100];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    size_t seen = 0, got = 0;
    for (size_t at = 0; at < sizeof payload; at += 1000) {
        size_t n = sizeof payload - at < 1000 ? sizeof payload - at : 1000;
        got = kit_collect_leak(kit, leak, &seen, payload + at, n);
        assert_int_equal(got, seen > 16281 ? seen - 16281 : 0);
    }
    assert_int_equal(got, 100);
    assert_memory_equal(leak, payload + 16281, 100);
    assert_int_equal(kit_collect_leak(kit, leak, &seen, payload, 10), 100); /* past the claim */
    probe_kit_free(kit);
}

static void test_quote_and_names(void **state)
{
    (void)state;
    static const uint8_t reply[] = "500 \"x\"\\\r\n";
    char out[64];
    kit_quote(reply, sizeof reply - 1, out, sizeof out);
    assert_string_equal(out, "500 \\x22x\\x22\\x5c\\x0d\\x0a");
    kit_quote(reply, sizeof reply - 1, out, 8); /* cut, never past the buffer */
    assert_true(strlen(out) < 8);
    assert_string_equal(kit_version_name(0x1234), "an unknown version");
    assert_string_equal(kit_version_name(TLS_VERSION_TLS12), "TLSv1.2");
    assert_string_equal(kit_alert_name(255), "unknown");
    assert_string_equal(kit_alert_name(TLS_ALERT_UNEXPECTED_MESSAGE), "unexpected_message");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_leak_probe),      cmocka_unit_test(test_followup),
        cmocka_unit_test(test_payloads_differ),      cmocka_unit_test(test_over_read),
        cmocka_unit_test(test_hello_randoms_differ), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unknown_version),      cmocka_unit_test(test_echoes),
        cmocka_unit_test(test_collect_leak),         cmocka_unit_test(test_quote_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
