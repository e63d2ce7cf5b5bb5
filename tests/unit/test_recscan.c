/* The record scanner: records whole, split at every offset, found after plaintext and gaps,
 * DTLS datagrams. */
#include "unit.h"

#include "pcap/internal.h"
#include "support/frames.h"
#include "support/vectors.h"

#include <string.h>

struct seen {
    struct record_info r[32];
    size_t n;
    uint8_t hello_type;
    size_t hb_bytes;
};

static void on_record(void *ctx, const struct record_info *r)
{
    struct seen *s = ctx;
    if (s->n < 32)
        s->r[s->n++] = *r;
}

static void on_hb(void *ctx, uint32_t at, const uint8_t *p, size_t n)
{
    (void)at;
    (void)p;
    ((struct seen *)ctx)->hb_bytes += n;
}

static void on_hello(void *ctx, const uint8_t *msg, size_t n)
{
    if (n)
        ((struct seen *)ctx)->hello_type = msg[0];
}

static uint8_t stream[40000];

/* OpenSSL 1.0.1f's flight, then nmap's heartbeat request, then an alert. */
static size_t sample(void)
{
    size_t n = 0;
    memcpy(stream, flight_openssl101f, sizeof flight_openssl101f);
    n += sizeof flight_openssl101f;
    memcpy(stream + n, heartbeat_request_nmap, sizeof heartbeat_request_nmap);
    n += sizeof heartbeat_request_nmap;
    n += record_opaque(stream + n, TLS_CT_ALERT, TLS_VERSION_TLS12, 2, 2);
    return n;
}

static void check(const struct seen *s)
{
    assert_int_equal(s->n, 5);
    assert_int_equal(s->hello_type, TLS_HS_SERVER_HELLO);
    assert_int_equal(s->r[3].type, TLS_CT_HEARTBEAT);
    assert_true(s->r[3].head_known);
    assert_int_equal(s->r[3].head[0], 1);
    assert_int_equal(s->r[3].head[1] << 8 | s->r[3].head[2], 16384);
    assert_int_equal(s->r[3].length, 22);
    assert_int_equal(s->hb_bytes, 22);
    assert_int_equal(s->r[4].type, TLS_CT_ALERT);
}

static void test_whole_and_split(void **state)
{
    (void)state;
    size_t n = sample();
    for (size_t cut = 0; cut <= n; cut++) {
        struct seen s = {0};
        struct record_sink k = {on_record, on_hb, on_hello, &s};
        struct recscan r;
        recscan_init(&r);
        recscan_data(&r, stream, cut, &k);
        recscan_data(&r, stream + cut, n - cut, &k);
        check(&s);
    }
    struct seen s = {0};
    struct record_sink k = {on_record, on_hb, on_hello, &s};
    struct recscan r;
    recscan_init(&r);
    for (size_t i = 0; i < n; i++)
        recscan_data(&r, stream + i, 1, &k);
    check(&s);
}

static void test_starttls_and_give_up(void **state)
{
    (void)state;
    static const char smtp[] = "220 mx ESMTP\r\n250 STARTTLS\r\n";
    struct seen s = {0};
    struct record_sink k = {on_record, on_hb, on_hello, &s};
    struct recscan r;
    recscan_init(&r);
    size_t n = sample();
    memmove(stream + sizeof smtp - 1, stream, n);
    memcpy(stream, smtp, sizeof smtp - 1);
    recscan_data(&r, stream, n + sizeof smtp - 1, &k);
    check(&s);
    /* A stream that never shows TLS is left alone after RECSCAN_GIVE_UP bytes. */
    recscan_init(&r);
    memset(stream, 'x', sizeof stream);
    for (int i = 0; i < 3; i++)
        recscan_data(&r, stream, sizeof stream, &k);
    assert_int_equal(r.state, RECSCAN_OFF);
}

static void test_gaps(void **state)
{
    (void)state;
    size_t n = sample();
    struct seen s = {0};
    struct record_sink k = {on_record, on_hb, on_hello, &s};
    struct recscan r;
    recscan_init(&r);
    /* A gap inside the certificate record: the boundaries hold. */
    recscan_data(&r, stream, 200, &k);
    recscan_gap(&r, 300, &k);
    recscan_data(&r, stream + 500, n - 500, &k);
    assert_int_equal(s.n, 5);
    assert_true(s.r[1].gap);
    /* A gap over a header: the scanner hunts, and the next segment's record is found. */
    memset(&s, 0, sizeof s);
    recscan_init(&r);
    recscan_data(&r, stream, 10, &k);
    recscan_gap(&r, 2000, &k);
    recscan_data(&r, heartbeat_request_nmap, sizeof heartbeat_request_nmap, &k);
    assert_int_equal(s.n, 2); /* the cut ServerHello record, then the heartbeat */
    assert_int_equal(s.r[1].type, TLS_CT_HEARTBEAT);
    /* Bytes that only look like a header in the middle of a segment are not trusted. */
    memset(&s, 0, sizeof s);
    recscan_init(&r);
    recscan_gap(&r, 1, &k);
    static const uint8_t noise[] = {'x', 'y', 0x18, 0x03, 0x03, 0x00, 0x40, 0x01, 0x40, 0x00};
    recscan_data(&r, noise, sizeof noise, &k);
    assert_int_equal(s.n, 0);
}

static void test_dtls(void **state)
{
    (void)state;
    /* Two DTLS 1.2 records in one datagram: a heartbeat at epoch 0, application data at 1. */
    static const uint8_t d[] = {24, 0xfe, 0xfd, 0,    0,    0,   0,   0,  0,    0,    1,
                                0,  5,    1,    0x40, 0x00, 'a', 'b', 23, 0xfe, 0xfd, 0,
                                1,  0,    0,    0,    0,    0,   0,   0,  2,    9,    9};
    struct seen s = {0};
    struct record_sink k = {on_record, on_hb, on_hello, &s};
    struct recscan r;
    recscan_init(&r);
    assert_true(recscan_is_dtls(d, sizeof d));
    assert_false(recscan_is_dtls(flight_openssl101f, sizeof flight_openssl101f));
    recscan_datagram(&r, d, sizeof d, &k);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[0].head[1] << 8 | s.r[0].head[2], 0x4000);
    assert_false(s.r[0].encrypted);
    assert_true(s.r[1].encrypted);
    /* Cut short: what is there is reported, marked as cut. */
    memset(&s, 0, sizeof s);
    recscan_datagram(&r, d, 15, &k);
    assert_int_equal(s.n, 1);
    assert_true(s.r[0].gap);
}

static void test_plausible(void **state)
{
    (void)state;
    static const uint8_t ok[] = {22, 3, 1, 0, 10}, big[] = {23, 3, 3, 0x48, 0x01},
                         type[] = {25, 3, 3, 0, 1}, empty[] = {23, 3, 3, 0, 0};
    assert_true(recscan_plausible(ok));
    assert_false(recscan_plausible(big));
    assert_false(recscan_plausible(type));
    assert_false(recscan_plausible(empty));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_and_split),
        cmocka_unit_test(test_starttls_and_give_up),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_dtls),
        cmocka_unit_test(test_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
