/* handshake reassembly: messages spanning records, several messages in one record. */
#include "unit.h"

#include "support/heap_copy.h"
#include "support/vectors.h"
#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

/* Where the record bodies sit in the flight. */
static const struct {
    size_t at, len;
} flight_bodies[] = {{5, 81}, {91, 791}, {887, 4}};

enum { HS_LEN = 81 + 791 + 4, MAX_MESSAGE = 1 << 16 };

struct expected_message {
    uint8_t type;
    size_t len;
    size_t body_at; /* in the handshake stream (record bodies joined) */
};

static const struct expected_message flight_messages[] = {
    {TLS_HS_SERVER_HELLO, 77, 4},
    {TLS_HS_CERTIFICATE, 787, 81 + 4},
    {TLS_HS_SERVER_HELLO_DONE, 0, 81 + 791 + 4},
};

static uint8_t hs[HS_LEN]; /* the handshake stream of the flight */

static int setup_stream(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < HC_ARRAY_LEN(flight_bodies); i++) {
        memcpy(hs + n, flight_openssl101f + flight_bodies[i].at, flight_bodies[i].len);
        n += flight_bodies[i].len;
    }
    assert_int_equal(n, HS_LEN);
    return 0;
}

/* Appends a heap copy of exactly n bytes that is freed at once: the buffer must copy. */
static hc_result append_copy(struct tls_handshake_buffer *b, const uint8_t *p, size_t n)
{
    uint8_t *c = exact_copy(p, n);
    hc_result res = tls_handshake_append(b, c, n);
    memset(c, 0xdd, n);
    free(c);
    return res;
}

/* Takes messages until an error, checking each against flight_messages from *index. */
static hc_result drain(struct tls_handshake_buffer *b, size_t *index)
{
    for (;;) {
        struct tls_handshake_message m;
        hc_result res = tls_handshake_next(b, &m);
        if (!hc_ok(res))
            return res;
        assert_true(*index < HC_ARRAY_LEN(flight_messages));
        const struct expected_message *e = &flight_messages[*index];
        assert_int_equal(m.type, e->type);
        assert_int_equal(m.len, e->len);
        assert_memory_equal(m.body, hs + e->body_at, e->len);
        (*index)++;
    }
}

/* How many messages of the flight are whole within its first n handshake bytes. */
static size_t whole_messages(size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < HC_ARRAY_LEN(flight_messages); i++)
        if (flight_messages[i].body_at + flight_messages[i].len <= n)
            count++;
    return count;
}

static void test_one_message_per_record(void **state)
{
    (void)state;
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, MAX_MESSAGE);
    size_t index = 0;
    for (size_t i = 0; i < HC_ARRAY_LEN(flight_bodies); i++) {
        assert_success(
            append_copy(&b, flight_openssl101f + flight_bodies[i].at, flight_bodies[i].len));
        assert_error(drain(&b, &index), HC_ERR_SHORT);
        assert_int_equal(index, i + 1);
    }
    tls_handshake_buffer_free(&b);
}

static void test_all_messages_in_one_record(void **state)
{
    (void)state;
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, MAX_MESSAGE);
    size_t index = 0;
    assert_success(append_copy(&b, hs, HS_LEN));
    assert_error(drain(&b, &index), HC_ERR_SHORT);
    assert_int_equal(index, 3);
    tls_handshake_buffer_free(&b);
}

static void test_one_byte_records(void **state)
{
    (void)state;
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, MAX_MESSAGE);
    size_t index = 0;
    for (size_t i = 0; i < HS_LEN; i++) {
        assert_success(append_copy(&b, hs + i, 1));
        assert_error(drain(&b, &index), HC_ERR_SHORT);
        assert_int_equal(index, whole_messages(i + 1));
    }
    assert_int_equal(index, 3);
    tls_handshake_buffer_free(&b);
}

/* Every prefix: the whole messages in it come out, then SHORT. */
static void test_byte_by_byte_prefixes(void **state)
{
    (void)state;
    for (size_t n = 0; n <= HS_LEN; n++) {
        struct tls_handshake_buffer b;
        tls_handshake_buffer_init(&b, MAX_MESSAGE);
        size_t index = 0;
        assert_success(append_copy(&b, hs, n));
        assert_error(drain(&b, &index), HC_ERR_SHORT);
        assert_int_equal(index, whole_messages(n));
        tls_handshake_buffer_free(&b);
    }
}

static void test_split_everywhere(void **state)
{
    (void)state;
    for (size_t k = 0; k <= HS_LEN; k++) {
        struct tls_handshake_buffer b;
        tls_handshake_buffer_init(&b, MAX_MESSAGE);
        size_t index = 0;
        assert_success(append_copy(&b, hs, k));
        assert_error(drain(&b, &index), HC_ERR_SHORT);
        assert_int_equal(index, whole_messages(k));
        assert_success(append_copy(&b, hs + k, HS_LEN - k));
        assert_error(drain(&b, &index), HC_ERR_SHORT);
        assert_int_equal(index, 3);
        tls_handshake_buffer_free(&b);
    }
}

/* The real Certificate (787 bytes) against a 786-byte limit. */
static void test_message_too_long_real(void **state)
{
    (void)state;
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, 786);
    struct tls_handshake_message m;
    /* Refused on append once the oversized header is at the front. */
    assert_success(append_copy(&b, flight_openssl101f + flight_bodies[0].at, flight_bodies[0].len));
    assert_success(tls_handshake_next(&b, &m));
    assert_int_equal(m.type, TLS_HS_SERVER_HELLO);
    assert_error(append_copy(&b, flight_openssl101f + flight_bodies[1].at, flight_bodies[1].len),
                 HC_ERR_MESSAGE_TOO_LONG);
    tls_handshake_buffer_free(&b);

    /* Behind a message not yet taken, it is refused when it reaches the front. */
    tls_handshake_buffer_init(&b, 786);
    assert_success(append_copy(&b, hs, HS_LEN));
    assert_success(tls_handshake_next(&b, &m));
    assert_int_equal(m.type, TLS_HS_SERVER_HELLO);
    assert_error(tls_handshake_next(&b, &m), HC_ERR_MESSAGE_TOO_LONG);
    tls_handshake_buffer_free(&b);

    /* At exactly the limit it is accepted. */
    tls_handshake_buffer_init(&b, 787);
    size_t index = 0;
    assert_success(append_copy(&b, hs, HS_LEN));
    assert_error(drain(&b, &index), HC_ERR_SHORT);
    assert_int_equal(index, 3);
    tls_handshake_buffer_free(&b);
}

/* A header declaring too much is refused as soon as its fourth byte arrives, long before
 * the body could. */
static void test_message_too_long_header_bytes(void **state)
{
    (void)state;
    static const uint8_t header[] = {TLS_HS_CERTIFICATE, 0xff, 0xff, 0xff};
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, 100);
    for (size_t i = 0; i < 3; i++)
        assert_success(tls_handshake_append(&b, header + i, 1));
    struct tls_handshake_message m;
    assert_error(tls_handshake_next(&b, &m), HC_ERR_SHORT);
    assert_error(tls_handshake_append(&b, header + 3, 1), HC_ERR_MESSAGE_TOO_LONG);
    assert_error(tls_handshake_next(&b, &m), HC_ERR_MESSAGE_TOO_LONG);
    tls_handshake_buffer_free(&b);

    static const uint8_t at_limit[] = {TLS_HS_CERTIFICATE, 0x00, 0x00, 100};
    static const uint8_t over[] = {TLS_HS_CERTIFICATE, 0x00, 0x00, 101};
    tls_handshake_buffer_init(&b, 100);
    assert_success(tls_handshake_append(&b, at_limit, sizeof at_limit));
    tls_handshake_buffer_free(&b);
    assert_int_equal(b.max_message, 100); /* kept for reuse */
    assert_error(tls_handshake_append(&b, over, sizeof over), HC_ERR_MESSAGE_TOO_LONG);
    tls_handshake_buffer_free(&b);
}

/* Bodies of taken messages stay valid while more are taken, until the next append. */
static void test_bodies_stay_valid(void **state)
{
    (void)state;
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, MAX_MESSAGE);
    assert_success(append_copy(&b, hs, HS_LEN));
    struct tls_handshake_message sh, cert, done;
    assert_success(tls_handshake_next(&b, &sh));
    assert_success(tls_handshake_next(&b, &cert));
    assert_success(tls_handshake_next(&b, &done));
    assert_memory_equal(sh.body, hs + 4, 77);
    assert_memory_equal(cert.body, hs + 85, 787);
    assert_int_equal(done.len, 0);
    assert_error(tls_handshake_next(&b, &done), HC_ERR_SHORT);
    tls_handshake_buffer_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.start, 0);
}

static void test_empty_input(void **state)
{
    (void)state;
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, MAX_MESSAGE);
    struct tls_handshake_message m;
    assert_error(tls_handshake_next(&b, &m), HC_ERR_SHORT);
    assert_success(tls_handshake_append(&b, NULL, 0));
    assert_error(tls_handshake_next(&b, &m), HC_ERR_SHORT);
    assert_int_equal(b.len, 0);
    tls_handshake_buffer_free(&b);
}

/* A message far larger than the initial allocation, in uneven pieces. */
static void test_large_message_grows(void **state)
{
    (void)state;
    enum { BODY = 70000 };
    uint8_t *msg = malloc(BODY + 4);
    assert_non_null(msg);
    msg[0] = TLS_HS_CERTIFICATE;
    msg[1] = (uint8_t)(BODY >> 16);
    msg[2] = (uint8_t)(BODY >> 8);
    msg[3] = (uint8_t)BODY;
    for (size_t i = 0; i < BODY; i++)
        msg[4 + i] = (uint8_t)(i * 7);
    struct tls_handshake_buffer b;
    tls_handshake_buffer_init(&b, 100000);
    struct tls_handshake_message m;
    size_t at = 0, piece = 1;
    while (at < BODY + 4) {
        size_t n = piece < BODY + 4 - at ? piece : BODY + 4 - at;
        assert_error(tls_handshake_next(&b, &m), HC_ERR_SHORT);
        assert_success(append_copy(&b, msg + at, n));
        at += n;
        piece = piece * 3 + 1;
    }
    assert_success(tls_handshake_next(&b, &m));
    assert_int_equal(m.type, TLS_HS_CERTIFICATE);
    assert_int_equal(m.len, BODY);
    assert_memory_equal(m.body, msg + 4, BODY);
    tls_handshake_buffer_free(&b);
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_message_per_record),
        cmocka_unit_test(test_all_messages_in_one_record),
        cmocka_unit_test(test_one_byte_records),
        cmocka_unit_test(test_byte_by_byte_prefixes),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_message_too_long_real),
        cmocka_unit_test(test_message_too_long_header_bytes),
        cmocka_unit_test(test_bodies_stay_valid),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_large_message_grows),
    };
    return cmocka_run_group_tests(tests, setup_stream, NULL);
}
