/* libFuzzer target: the TCP reassembly, record scanner and heartbeat analysis on a fuzzed
 * conversation.
 *
 * Input: chunks. A chunk is a control byte c, a length byte L and L payload bytes, sent as
 * one TCP segment of a connection between 10.0.0.1:40000 and 10.0.0.2:443: bit 0 of c says
 * from the server; bit 1 moves the segment 64 bytes back (a retransmission or overlap); bit 2
 * 64 bytes ahead (a hole); bits 3-5 are TCP flags (FIN, SYN, RST); bit 6 cuts the last 8
 * bytes off as a snap length would; bit 7 keeps the secrets (--extract). Every event must be
 * consistent, and nothing may crash or leak. */
#include "pcap/internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void on_event(void *ctx, const struct traffic_event *e)
{
    (void)ctx;
    CHECK(e->kind <= TRAFFIC_LIKELY_LEAK);
    CHECK(!e->secret_len || e->secret);
    CHECK(e->leaked_max >= e->leaked || e->kind != TRAFFIC_LIKELY_LEAK);
    if (e->kind == TRAFFIC_ATTACK)
        CHECK(e->claimed > e->sent);
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < e->secret_len; i++)
        sink ^= e->secret[i];
    (void)sink;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[40 + 255];
    struct traffic_limits l = {
        .max_flows = 4, .idle_us = 1000000, .keep_secrets = size && (data[0] & 0x80)};
    struct traffic_analyzer *a = traffic_analyzer_new(&l, on_event, NULL);
    if (!a)
        return 0;
    uint32_t seq[2] = {1000, 9000};
    int64_t ts = 0;
    for (size_t pos = 0; pos + 2 <= size;) {
        uint8_t c = data[pos], len = data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = (uint8_t)(size - pos);
        int server = c & 1;
        uint32_t s = seq[server] - ((c & 2) ? 64 : 0) + ((c & 4) ? 64 : 0);
        memset(frame, 0, 40);
        frame[0] = 0x45;
        put16(frame + 2, 40u + len);
        frame[9] = IP_PROTO_TCP;
        frame[12] = frame[16] = 10;
        frame[15] = (uint8_t)(server ? 2 : 1);
        frame[19] = (uint8_t)(server ? 1 : 2);
        put16(frame + 20, server ? 443 : 40000);
        put16(frame + 22, server ? 40000 : 443);
        put16(frame + 24, s >> 16);
        put16(frame + 26, s & 0xffff);
        frame[32] = 5 << 4;
        frame[33] = (uint8_t)(TCP_FLAG_ACK | ((c >> 3) & 7));
        memcpy(frame + 40, data + pos, len);
        size_t caplen = 40u + len - ((c & 0x40) && len >= 8 ? 8 : 0);
        traffic_analyzer_frame(a, LINK_RAW, ts += 1000, frame, caplen, 40u + len);
        seq[server] += len;
        pos += len;
    }
    traffic_analyzer_finish(a);
    traffic_analyzer_free(a);
    return 0;
}
