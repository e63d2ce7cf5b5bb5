/* One direction of a TCP connection put back in order (RFC 9293 section 3.4: sequence
 * numbers count bytes, modulo 2^32). In-order bytes go straight to the sink without a copy;
 * only segments that arrive ahead of a hole are copied, and those are bounded. */
#include "pcap/internal.h"

#include <stdlib.h>
#include <string.h>

/* Signed distance from a to b in sequence space. */
static int64_t seq_diff(uint32_t b, uint32_t a) { return (int32_t)(b - a); }

/* Delivers bytes that start at seq; what lies before next_seq was delivered already, and a
 * hole before seq is a gap. */
static void deliver(struct stream *s, uint32_t seq, const uint8_t *p, size_t n, size_t missing,
                    const struct stream_sink *k)
{
    int64_t before = seq_diff(s->next_seq, seq);
    if (before < 0) {
        k->gap(k->ctx, (uint64_t)-before);
        s->next_seq = seq;
    }
    if (before > 0) { /* retransmitted or overlapping: the bytes already delivered win */
        size_t skip = (size_t)before;
        if (skip >= n + missing)
            return;
        if (skip >= n) {
            missing -= skip - n;
            n = 0;
        } else {
            p += skip;
            n -= skip;
        }
    }
    if (n)
        k->data(k->ctx, p, n);
    if (missing)
        k->gap(k->ctx, missing);
    s->next_seq += (uint32_t)(n + missing);
}

/* Takes segment i out of the held set; its data is the caller's to free. */
static void drop_pending_keep(struct stream *s, size_t i)
{
    s->pending_bytes -= s->pending[i].len;
    s->pending[i] = s->pending[--s->pending_count];
}

static void drop_pending(struct stream *s, size_t i)
{
    free(s->pending[i].data);
    drop_pending_keep(s, i);
}

/* Delivers held segments that have become next in line (or are wholly old). */
static void drain(struct stream *s, const struct stream_sink *k)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (size_t i = 0; i < s->pending_count; i++) {
            struct stream_segment *g = &s->pending[i];
            if (seq_diff(g->seq, s->next_seq) > 0)
                continue;
            struct stream_segment taken = *g;
            drop_pending_keep(s, i);
            deliver(s, taken.seq, taken.data, taken.len, 0, k);
            free(taken.data);
            progress = true;
            break;
        }
    }
}

/* The hole before the earliest held segment is given up as a gap. */
static void skip_to_earliest(struct stream *s, const struct stream_sink *k)
{
    size_t first = 0;
    for (size_t i = 1; i < s->pending_count; i++)
        if (seq_diff(s->pending[i].seq, s->pending[first].seq) < 0)
            first = i;
    struct stream_segment g = s->pending[first];
    drop_pending_keep(s, first);
    deliver(s, g.seq, g.data, g.len, 0, k);
    free(g.data);
    drain(s, k);
}

static void hold(struct stream *s, uint32_t seq, const uint8_t *p, size_t n,
                 const struct stream_sink *k)
{
    while (s->pending_count && (s->pending_count == STREAM_MAX_PENDING ||
                                s->pending_bytes + n > STREAM_MAX_PENDING_BYTES))
        skip_to_earliest(s, k);
    if (n > STREAM_MAX_PENDING_BYTES || seq_diff(seq, s->next_seq) <= 0) {
        deliver(s, seq, p, n, 0, k);
        return;
    }
    uint8_t *copy = malloc(n);
    if (!copy) { /* out of memory: the hole is a gap, the segment is delivered */
        deliver(s, seq, p, n, 0, k);
        return;
    }
    memcpy(copy, p, n);
    s->pending[s->pending_count++] =
        (struct stream_segment){.seq = seq, .len = (uint32_t)n, .data = copy};
    s->pending_bytes += n;
}

void stream_segment(struct stream *s, const struct packet *pkt, const struct stream_sink *k)
{
    size_t n = pkt->payload_len, missing = pkt->missing;
    uint32_t seq = pkt->seq;
    if (pkt->tcp_flags & TCP_FLAG_SYN) {
        s->started = true;
        s->next_seq = seq + 1; /* SYN takes one sequence number */
        seq++;
    } else if (!s->started) {
        if (!n && !missing)
            return;
        s->started = true; /* the capture began mid-stream */
        s->next_seq = seq;
    }
    if (pkt->tcp_flags & TCP_FLAG_RST)
        s->closed = true;
    if (pkt->tcp_flags & TCP_FLAG_FIN) { /* closed once every byte before the FIN is in */
        s->fin_seen = true;
        s->fin_seq = seq + (uint32_t)(n + missing);
    }
    if (n || missing) {
        int64_t ahead = seq_diff(seq, s->next_seq);
        if (ahead > 0 && !missing)
            hold(s, seq, pkt->payload, n, k);
        else /* in order, old, or cut by the snap length (not worth holding): a gap before */
            deliver(s, seq, pkt->payload, n, missing, k);
        drain(s, k);
    }
    if (s->fin_seen && seq_diff(s->next_seq, s->fin_seq) >= 0)
        s->closed = true;
}

void stream_flush(struct stream *s, const struct stream_sink *k)
{
    while (s->pending_count)
        skip_to_earliest(s, k);
}

void stream_free(struct stream *s)
{
    while (s->pending_count)
        drop_pending(s, 0);
}
