/* Frames and records for the traffic analyzer's tests (frames.h). */
#include "support/frames.h"

#include <string.h>

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

size_t frame_tcp(uint8_t *out, const struct frame_tcp *t, const uint8_t *payload, size_t n)
{
    memset(out, 0, FRAME_HEADERS);
    memset(out, 0x02, 12);
    put16(out + 12, 0x0800);
    uint8_t *ip = out + 14;
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(20 + 20 + n));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, t->src, 4);
    memcpy(ip + 16, t->dst, 4);
    uint8_t *tcp = ip + 20;
    put16(tcp, t->sport);
    put16(tcp + 2, t->dport);
    put32(tcp + 4, t->seq);
    tcp[12] = 5 << 4;
    tcp[13] = t->flags ? t->flags : 0x18;
    if (n) /* payload may be NULL for segments without one */
        memcpy(out + FRAME_HEADERS, payload, n);
    return FRAME_HEADERS + n;
}

size_t record_heartbeat(uint8_t *out, uint16_t version, uint8_t type, uint16_t claimed, size_t sent,
                        uint8_t fill, size_t padding)
{
    size_t body = 3 + sent + padding;
    out[0] = 24;
    put16(out + 1, version);
    put16(out + 3, (unsigned)body);
    out[5] = type;
    put16(out + 6, claimed);
    memset(out + 8, fill, sent);
    memset(out + 8 + sent, 0, padding);
    return 5 + body;
}

size_t record_opaque(uint8_t *out, uint8_t type, uint16_t version, size_t len, uint8_t fill)
{
    out[0] = type;
    put16(out + 1, version);
    put16(out + 3, (unsigned)len);
    memset(out + 5, fill, len);
    return 5 + len;
}

size_t record_server_hello(uint8_t *out, uint16_t version, uint16_t suite)
{
    /* version, random, empty session id, suite, null compression */
    size_t body = 2 + 32 + 1 + 2 + 1;
    out[0] = 22;
    put16(out + 1, version);
    put16(out + 3, (unsigned)(4 + body));
    out[5] = 2;
    out[6] = 0;
    put16(out + 7, (unsigned)body);
    put16(out + 9, version);
    memset(out + 11, 0x5a, 32);
    out[43] = 0;
    put16(out + 44, suite);
    out[46] = 0;
    return 5 + 4 + body;
}

size_t record_client_hello(uint8_t *out, uint16_t version)
{
    out[0] = 22;
    put16(out + 1, version);
    put16(out + 3, 8);
    out[5] = 1;
    out[6] = 0;
    put16(out + 7, 4);
    put16(out + 9, version);
    put16(out + 11, 0);
    return 13;
}
