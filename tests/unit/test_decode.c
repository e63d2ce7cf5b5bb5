/* Link layers, IPv4/IPv6 and transport headers. */
#include "unit.h"

#include "pcap/internal.h"
#include "support/frames.h"

#include <string.h>

static uint8_t frame[FRAME_MAX], out[FRAME_MAX];

static size_t sample(void)
{
    struct frame_tcp t = {
        .src = {192, 0, 2, 1}, .dst = {192, 0, 2, 2}, .sport = 1234, .dport = 443, .seq = 77};
    return frame_tcp(frame, &t, (const uint8_t *)"hello", 5);
}

static void assert_sample(enum decode_status st, const struct packet *p)
{
    assert_int_equal(st, DECODE_PACKET);
    assert_int_equal(p->proto, IP_PROTO_TCP);
    assert_int_equal(p->src.port, 1234);
    assert_int_equal(p->dst.port, 443);
    assert_int_equal(p->seq, 77);
    assert_int_equal(p->payload_len, 5);
    assert_memory_equal(p->payload, "hello", 5);
    assert_int_equal(p->missing, 0);
}

/* The sample frame under another link layer: header bytes, then the IP packet. */
static size_t relink(const uint8_t *hdr, size_t hn, size_t n)
{
    if (hn)
        memcpy(out, hdr, hn);
    memcpy(out + hn, frame + 14, n - 14);
    return hn + n - 14;
}

static void test_link_types(void **state)
{
    (void)state;
    size_t n = sample();
    struct packet p;
    assert_sample(ip_decode(LINK_ETHERNET, frame, n, n, 0, NULL, &p), &p);
    size_t m = relink(NULL, 0, n);
    assert_sample(ip_decode(LINK_RAW, out, m, m, 0, NULL, &p), &p);
    assert_sample(ip_decode(LINK_IPV4, out, m, m, 0, NULL, &p), &p);
    static const uint8_t null_le[] = {2, 0, 0, 0}, loop_be[] = {0, 0, 0, 2};
    m = relink(null_le, 4, n);
    assert_sample(ip_decode(LINK_NULL, out, m, m, 0, NULL, &p), &p);
    m = relink(loop_be, 4, n);
    assert_sample(ip_decode(LINK_NULL, out, m, m, 0, NULL, &p), &p); /* other byte order */
    assert_sample(ip_decode(LINK_LOOP, out, m, m, 0, NULL, &p), &p);
    static const uint8_t sll[16] = {[14] = 0x08, [15] = 0x00};
    m = relink(sll, 16, n);
    assert_sample(ip_decode(LINK_LINUX_SLL, out, m, m, 0, NULL, &p), &p);
    static const uint8_t sll2[20] = {0x08, 0x00};
    m = relink(sll2, 20, n);
    assert_sample(ip_decode(LINK_LINUX_SLL2, out, m, m, 0, NULL, &p), &p);
    static const uint8_t qinq[22] = {
        [12] = 0x88, [13] = 0xa8, [16] = 0x81, [17] = 0x00, [20] = 0x08, [21] = 0x00};
    m = relink(qinq, 22, n);
    assert_sample(ip_decode(LINK_ETHERNET, out, m, m, 0, NULL, &p), &p);
    assert_int_equal(ip_decode(12345, frame, n, n, 0, NULL, &p), DECODE_IGNORED);
    assert_true(traffic_linktype_supported(LINK_LINUX_SLL2));
    assert_false(traffic_linktype_supported(147));
}

static void test_snaplen(void **state)
{
    (void)state;
    size_t n = sample();
    struct packet p;
    assert_int_equal(ip_decode(LINK_ETHERNET, frame, n - 2, n, 0, NULL, &p), DECODE_PACKET);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(p.missing, 2);
    /* Cut inside the TCP header: nothing to follow. */
    assert_int_equal(ip_decode(LINK_ETHERNET, frame, 14 + 20 + 10, n, 0, NULL, &p),
                     DECODE_MALFORMED);
    /* Ethernet trailer bytes beyond the IP total length are not payload. */
    memset(frame + n, 0xee, 10);
    assert_sample(ip_decode(LINK_ETHERNET, frame, n + 10, n + 10, 0, NULL, &p), &p);
}

static void test_bad_ipv4(void **state)
{
    (void)state;
    struct packet p;
    size_t n = sample();
    frame[14] = 0x44; /* IHL 16 bytes */
    assert_int_equal(ip_decode(LINK_ETHERNET, frame, n, n, 0, NULL, &p), DECODE_MALFORMED);
    frame[14] = 0x4f; /* IHL 60 bytes, longer than the packet's headers say */
    frame[16] = 0;
    frame[17] = 40;
    assert_int_equal(ip_decode(LINK_ETHERNET, frame, n, n, 0, NULL, &p), DECODE_MALFORMED);
    n = sample();
    frame[14 + 20 + 12] = 0xf0; /* TCP data offset 60 > segment */
    assert_int_equal(ip_decode(LINK_ETHERNET, frame, n, n, 0, NULL, &p), DECODE_MALFORMED);
    n = sample();
    frame[14 + 9] = 1; /* ICMP */
    assert_int_equal(ip_decode(LINK_ETHERNET, frame, n, n, 0, NULL, &p), DECODE_IGNORED);
    n = sample();
    frame[14] = 0x65; /* version 6 in an IPv4 ethertype */
    assert_int_equal(ip_decode(LINK_ETHERNET, frame, n, n, 0, NULL, &p), DECODE_MALFORMED);
}

/* IPv6 with a hop-by-hop and a destination options header before TCP. */
static void test_ipv6(void **state)
{
    (void)state;
    size_t n = sample();
    const uint8_t *tcp = frame + 14 + 20;
    size_t tcp_len = n - 14 - 20;
    memset(out, 0, 14 + 40 + 16);
    out[12] = 0x86;
    out[13] = 0xdd;
    uint8_t *ip6 = out + 14;
    ip6[0] = 0x60;
    ip6[4] = 0;
    ip6[5] = (uint8_t)(16 + tcp_len);
    ip6[6] = 0; /* hop-by-hop */
    ip6[8 + 15] = 1;
    ip6[24 + 15] = 2;
    uint8_t *ext = ip6 + 40;
    ext[0] = 60; /* then destination options */
    ext[1] = 0;
    ext[8] = IP_PROTO_TCP;
    ext[9] = 0;
    memcpy(ext + 16, tcp, tcp_len);
    size_t m = 14 + 40 + 16 + tcp_len;
    struct packet p;
    assert_int_equal(ip_decode(LINK_ETHERNET, out, m, m, 0, NULL, &p), DECODE_PACKET);
    assert_int_equal(p.src.family, 6);
    assert_int_equal(p.src.addr[15], 1);
    assert_int_equal(p.payload_len, 5);
    ext[9] = 200; /* an extension header longer than the packet */
    assert_int_equal(ip_decode(LINK_ETHERNET, out, m, m, 0, NULL, &p), DECODE_MALFORMED);
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    struct frag_table *t = frag_table_new();
    size_t n = sample();
    /* The same TCP segment in two fragments: 16 bytes, then the rest. */
    uint8_t a[FRAME_MAX], b[FRAME_MAX];
    size_t tcp_len = n - 34;
    memcpy(a, frame, 34 + 16);
    a[14 + 3] = 20 + 16;
    a[14 + 6] = 0x20; /* MF */
    memcpy(b, frame, 34);
    memcpy(b + 34, frame + 34 + 16, tcp_len - 16);
    b[14 + 3] = (uint8_t)(20 + tcp_len - 16);
    b[14 + 7] = 2; /* offset 16 bytes */
    struct packet p;
    assert_int_equal(ip_decode(LINK_ETHERNET, b, 34 + tcp_len - 16, 0, 0, t, &p), DECODE_HELD);
    assert_sample(ip_decode(LINK_ETHERNET, a, 34 + 16, 0, 0, t, &p), &p);
    /* Without a table, fragments are ignored. */
    assert_int_equal(ip_decode(LINK_ETHERNET, a, 34 + 16, 0, 0, NULL, &p), DECODE_IGNORED);
    frag_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_types),     cmocka_unit_test(test_snaplen),
        cmocka_unit_test(test_bad_ipv4),       cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_ipv4_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
