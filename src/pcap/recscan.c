/* TLS records in one direction of a stream (RFC 5246 section 6.2), found at any offset.
 *
 * In sync, the scanner reads a 5-byte header and skips the body, looking only at what the
 * analysis needs: the first bytes of heartbeats, the first handshake message (the hellos:
 * version and suite), ChangeCipherSpec (what follows is encrypted). Out of sync (a capture
 * that starts mid-stream, a gap, a STARTTLS dialogue before the handshake) it hunts for a
 * header and trusts one only with evidence: the next header where the length says, a hello
 * handshake message, a heartbeat message type, or a segment that starts with it. */
#include "pcap/internal.h"

#include <string.h>

enum {
    DTLS_HEADER_LEN = 13,       /* RFC 6347 section 4.1: type, version, epoch, sequence, length */
    DTLS_HANDSHAKE_HEADER = 12, /* section 4.2.2: type, length, message_seq, fragment */
};

void recscan_init(struct recscan *s)
{
    memset(s, 0, sizeof *s);
    s->state = RECSCAN_START;
}

bool recscan_plausible(const uint8_t *p)
{
    unsigned len = (unsigned)p[3] << 8 | p[4];
    return p[0] >= TLS_CT_CHANGE_CIPHER_SPEC && p[0] <= TLS_CT_HEARTBEAT && p[1] == 3 &&
           p[2] <= 3 && len >= 1 && len <= TLS_MAX_RECORD_BODY;
}

static void begin_record(struct recscan *s, const uint8_t *h, bool trusted)
{
    memset(&s->cur, 0, sizeof s->cur);
    s->cur.type = h[0];
    s->cur.version = (uint16_t)(h[1] << 8 | h[2]);
    s->cur.length = (uint32_t)(h[3] << 8 | h[4]);
    s->cur.encrypted = s->encrypted;
    s->body_left = s->cur.length;
    s->ever_synced = true;
    if (!trusted)
        s->confirmed = 0;
    s->trusted = trusted || s->confirmed > 0;
    s->state = RECSCAN_BODY;
}

/* Evidence for a header found by hunting at p (n bytes from p to the end of the chunk). */
static bool trustworthy(const uint8_t *p, size_t n, bool chunk_start)
{
    size_t len = (size_t)p[3] << 8 | p[4];
    if (n >= TLS_RECORD_HEADER_LEN + len + TLS_RECORD_HEADER_LEN)
        return recscan_plausible(p + TLS_RECORD_HEADER_LEN + len);
    if (n > TLS_RECORD_HEADER_LEN && p[0] == TLS_CT_HANDSHAKE)
        return p[5] == TLS_HS_CLIENT_HELLO || p[5] == TLS_HS_SERVER_HELLO;
    if (n > TLS_RECORD_HEADER_LEN && p[0] == TLS_CT_HEARTBEAT && chunk_start)
        return p[5] == TLS_HEARTBEAT_REQUEST || p[5] == TLS_HEARTBEAT_RESPONSE;
    return chunk_start && p[0] != TLS_CT_HEARTBEAT;
}

/* Searches the chunk for a record header; returns the bytes consumed before it (all of them
 * when none was found). */
static size_t hunt(struct recscan *s, const uint8_t *p, size_t n, bool chunk_start)
{
    /* Every header has major version 3 in its second byte: memchr finds those candidates far
     * faster than a byte-by-byte look at ciphertext. */
    for (const uint8_t *v = n > 1 ? memchr(p + 1, 3, n - 1) : NULL; v;
         v = (size_t)(v + 1 - p) < n ? memchr(v + 1, 3, n - (size_t)(v + 1 - p)) : NULL) {
        size_t i = (size_t)(v - 1 - p);
        if (i + TLS_RECORD_HEADER_LEN > n)
            break;
        if (recscan_plausible(p + i) && trustworthy(p + i, n - i, chunk_start && i == 0)) {
            s->state = RECSCAN_HEADER;
            s->confirmed = 1; /* the evidence stands for a record before it */
            return i;
        }
    }
    if (!s->ever_synced) {
        s->hunted += n;
        if (s->hunted > RECSCAN_GIVE_UP)
            s->state = RECSCAN_OFF; /* never TLS: its bytes are skipped from now on */
    }
    return n;
}

static void keep_hello(struct recscan *s, const uint8_t *p, size_t n)
{
    if (s->hello_done || s->encrypted || s->cur.type != TLS_CT_HANDSHAKE)
        return;
    size_t room = sizeof s->hello - s->hello_len;
    size_t take = n < room ? n : room;
    memcpy(s->hello + s->hello_len, p, take);
    s->hello_len += take;
}

static void body(struct recscan *s, const uint8_t *p, size_t n, const struct record_sink *k)
{
    uint32_t at = s->cur.captured;
    if (s->cur.type == TLS_CT_HEARTBEAT) {
        for (size_t i = 0; i < n && s->cur.head_len < sizeof s->cur.head; i++)
            if (at + i == s->cur.head_len)
                s->cur.head[s->cur.head_len++] = p[i];
        k->heartbeat_body(k->ctx, at, p, n);
    }
    keep_hello(s, p, n);
    s->cur.captured += (uint32_t)n;
}

static void end_record(struct recscan *s, const struct record_sink *k)
{
    s->cur.head_known = s->cur.head_len == sizeof s->cur.head;
    s->cur.trusted = s->trusted;
    if (s->trusted)
        k->record(k->ctx, &s->cur);
    if (s->cur.type == TLS_CT_HANDSHAKE && s->hello_len && !s->hello_done) {
        s->hello_done = true;
        k->hello(k->ctx, s->hello, s->hello_len);
    }
    /* RFC 5246 section 7.1: records after ChangeCipherSpec use the new keys. */
    if (s->cur.type == TLS_CT_CHANGE_CIPHER_SPEC)
        s->encrypted = true;
    s->confirmed++;
    s->trusted = true;
    s->state = RECSCAN_HEADER;
}

/* Header bytes, possibly split across chunks. Returns bytes consumed. */
static size_t header(struct recscan *s, const uint8_t *p, size_t n)
{
    size_t take = TLS_RECORD_HEADER_LEN - s->hdr_len;
    if (take > n)
        take = n;
    memcpy(s->hdr + s->hdr_len, p, take);
    s->hdr_len += (uint8_t)take;
    if (s->hdr_len < TLS_RECORD_HEADER_LEN)
        return take;
    s->hdr_len = 0;
    if (recscan_plausible(s->hdr))
        begin_record(s, s->hdr, s->state == RECSCAN_START || s->confirmed > 0);
    else
        s->state = RECSCAN_HUNT; /* out of sync: the header bytes are given up */
    return take;
}

void recscan_data(struct recscan *s, const uint8_t *p, size_t n, const struct record_sink *k)
{
    bool chunk_start = true;
    while (n) {
        size_t used;
        switch (s->state) {
        case RECSCAN_OFF: return;
        case RECSCAN_HUNT: used = hunt(s, p, n, chunk_start); break;
        case RECSCAN_START:
        case RECSCAN_HEADER: used = header(s, p, n); break;
        case RECSCAN_BODY:
            used = n < s->body_left ? n : s->body_left;
            body(s, p, used, k);
            s->body_left -= (uint32_t)used;
            if (!s->body_left)
                end_record(s, k);
            break;
        default: return;
        }
        p += used;
        n -= used;
        chunk_start = false;
    }
}

void recscan_gap(struct recscan *s, uint64_t n, const struct record_sink *k)
{
    if (s->state == RECSCAN_OFF)
        return;
    if (s->state == RECSCAN_BODY && n <= s->body_left) {
        /* Lost bytes inside a body: the record boundaries still hold. */
        s->body_left -= (uint32_t)n;
        s->cur.gap = true;
        if (!s->body_left)
            end_record(s, k);
        return;
    }
    if (s->state == RECSCAN_BODY) { /* the record ends inside the gap: what it showed counts */
        s->cur.gap = true;
        s->body_left = 0;
        end_record(s, k);
    }
    s->hdr_len = 0;
    s->state = RECSCAN_HUNT;
}

bool recscan_is_dtls(const uint8_t *p, size_t n)
{
    return n >= DTLS_HEADER_LEN && p[0] >= TLS_CT_CHANGE_CIPHER_SPEC && p[0] <= TLS_CT_HEARTBEAT &&
           p[1] == 0xfe && (p[2] == 0xff || p[2] == 0xfd);
}

/* The first DTLS handshake message, rewritten with a TLS 4-byte header for the hello parser
 * (its fragment fields dropped). */
static void dtls_hello(struct recscan *s, const uint8_t *b, size_t n, const struct record_sink *k)
{
    if (s->hello_done || n < DTLS_HANDSHAKE_HEADER)
        return;
    s->hello_done = true;
    uint8_t msg[RECSCAN_HELLO_KEEP];
    size_t body_len = n - DTLS_HANDSHAKE_HEADER;
    if (body_len > sizeof msg - TLS_HANDSHAKE_HEADER_LEN)
        body_len = sizeof msg - TLS_HANDSHAKE_HEADER_LEN;
    memcpy(msg, b, TLS_HANDSHAKE_HEADER_LEN);
    memcpy(msg + TLS_HANDSHAKE_HEADER_LEN, b + DTLS_HANDSHAKE_HEADER, body_len);
    k->hello(k->ctx, msg, TLS_HANDSHAKE_HEADER_LEN + body_len);
}

void recscan_datagram(struct recscan *s, const uint8_t *p, size_t n, const struct record_sink *k)
{
    struct wire_reader r = wire_reader_init(p, n);
    while (recscan_is_dtls(wire_peek(&r), wire_remaining(&r))) {
        uint8_t type;
        uint16_t version, epoch, len;
        const uint8_t *b;
        if (!hc_ok(wire_read_u8(&r, &type)) || !hc_ok(wire_read_u16(&r, &version)) ||
            !hc_ok(wire_read_u16(&r, &epoch)) || !hc_ok(wire_skip(&r, 6)) ||
            !hc_ok(wire_read_u16(&r, &len)))
            return;
        size_t have = len <= wire_remaining(&r) ? len : wire_remaining(&r);
        if (!hc_ok(wire_read_bytes(&r, have, &b)))
            return;
        struct record_info info = {.type = type,
                                   .version = version,
                                   .length = len,
                                   .encrypted = epoch > 0,
                                   .captured = (uint32_t)have,
                                   .trusted = true,
                                   .gap = have < len};
        info.head_len = have < sizeof info.head ? have : sizeof info.head;
        memcpy(info.head, b, info.head_len);
        info.head_known = info.head_len == sizeof info.head;
        if (type == TLS_CT_HEARTBEAT && have)
            k->heartbeat_body(k->ctx, 0, b, have);
        if (type == TLS_CT_HANDSHAKE && epoch == 0)
            dtls_hello(s, b, have, k);
        k->record(k->ctx, &info);
    }
}
