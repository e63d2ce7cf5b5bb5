/* The analyzer: frames in, events out. Ties decode, fragments, flows, TCP reassembly, the
 * record scanner and the heartbeat analysis together; owns no I/O. */
#include "pcap/internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    SWEEP_EVERY_US = 10 * 1000000, /* capture time between two sweeps for idle flows */
};

struct traffic_analyzer {
    struct traffic_limits limits;
    traffic_event_fn fn;
    void *ctx;
    struct flow_table *flows;
    struct frag_table *frags;
    struct traffic_stats stats;
    int64_t last_sweep_us;
};

const char *traffic_kind_name(enum traffic_kind k)
{
    switch (k) {
    case TRAFFIC_ATTACK: return "attack";
    case TRAFFIC_PROBE: return "probe";
    case TRAFFIC_MALFORMED: return "malformed";
    case TRAFFIC_LEAK: return "leak";
    case TRAFFIC_LIKELY_LEAK: return "likely_leak";
    }
    return "unknown";
}

struct traffic_analyzer *traffic_analyzer_new(const struct traffic_limits *l, traffic_event_fn fn,
                                              void *ctx)
{
    struct traffic_analyzer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->limits = *l;
    a->fn = fn;
    a->ctx = ctx;
    a->flows = flow_table_new(l->max_flows);
    a->frags = frag_table_new();
    if (!a->flows || !a->frags) {
        traffic_analyzer_free(a);
        return NULL;
    }
    return a;
}

void traffic_emit(struct traffic_analyzer *a, const struct traffic_event *e) { a->fn(a->ctx, e); }

bool traffic_extracting(const struct traffic_analyzer *a) { return a->limits.keep_secrets; }

/* ---- one direction's bytes, through the scanner to the analysis ---- */

struct direction {
    struct traffic_analyzer *a;
    struct flow *f;
    int dir;
};

static void on_record(void *ctx, const struct record_info *r)
{
    struct direction *d = ctx;
    hb_record(d->a, d->f, d->dir, r);
}

static void on_heartbeat_body(void *ctx, uint32_t at, const uint8_t *p, size_t n)
{
    struct direction *d = ctx;
    hb_body(d->a, d->f, d->dir, at, p, n);
}

static void on_hello(void *ctx, const uint8_t *msg, size_t n)
{
    struct direction *d = ctx;
    hb_hello(d->a, d->f, d->dir, msg, n);
}

static struct record_sink record_sink(struct direction *d)
{
    return (struct record_sink){
        .record = on_record, .heartbeat_body = on_heartbeat_body, .hello = on_hello, .ctx = d};
}

struct stream_ctx {
    struct direction d;
    struct record_sink k;
};

static void on_stream_data(void *ctx, const uint8_t *p, size_t n)
{
    struct stream_ctx *s = ctx;
    recscan_data(&s->d.f->scan[s->d.dir], p, n, &s->k);
}

static void on_stream_gap(void *ctx, uint64_t n)
{
    struct stream_ctx *s = ctx;
    recscan_gap(&s->d.f->scan[s->d.dir], n, &s->k);
}

/* ---- flows ---- */

static void close_flow(void *ctx, struct flow *f)
{
    struct traffic_analyzer *a = ctx;
    for (int dir = 0; dir < 2; dir++) {
        struct stream_ctx s = {.d = {a, f, dir}};
        s.k = record_sink(&s.d);
        struct stream_sink k = {.data = on_stream_data, .gap = on_stream_gap, .ctx = &s};
        stream_flush(&f->tcp[dir], &k);
    }
    hb_flush(a, f);
    flow_remove(a->flows, f);
}

/* Frees a flow without reporting what is under way (the analyzer is going away). */
static void drop_flow(void *ctx, struct flow *f)
{
    struct traffic_analyzer *a = ctx;
    flow_remove(a->flows, f);
}

static void tcp_segment(struct traffic_analyzer *a, struct flow *f, int dir,
                        const struct packet *pkt)
{
    if ((pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
        f->client = dir; /* RFC 9293 section 3.5: the SYN without ACK opens */
    else if ((pkt->tcp_flags & TCP_FLAG_SYN) && f->client < 0)
        f->client = 1 - dir;
    struct stream_ctx s = {.d = {a, f, dir}};
    s.k = record_sink(&s.d);
    struct stream_sink k = {.data = on_stream_data, .gap = on_stream_gap, .ctx = &s};
    if ((pkt->tcp_flags & TCP_FLAG_SYN) && f->scan[dir].state != RECSCAN_START)
        recscan_init(&f->scan[dir]); /* a new connection on the same ports */
    stream_segment(&f->tcp[dir], pkt, &k);
    if ((pkt->tcp_flags & TCP_FLAG_RST) || (f->tcp[0].closed && f->tcp[1].closed))
        close_flow(a, f);
}

static void udp_datagram(struct traffic_analyzer *a, struct flow *f, int dir,
                         const struct packet *pkt)
{
    struct direction d = {a, f, dir};
    struct record_sink k = record_sink(&d);
    recscan_datagram(&f->scan[dir], pkt->payload, pkt->payload_len, &k);
}

static void sweep(struct traffic_analyzer *a, int64_t now)
{
    if (now - a->last_sweep_us < SWEEP_EVERY_US)
        return;
    a->last_sweep_us = now;
    flow_each_idle(a->flows, now - a->limits.idle_us, close_flow, a);
}

void traffic_analyzer_frame(struct traffic_analyzer *a, int linktype, int64_t ts_us,
                            const uint8_t *frame, size_t caplen, size_t wirelen)
{
    a->stats.frames++;
    a->stats.bytes += wirelen;
    sweep(a, ts_us); /* first: an idle flow's place may be needed for this frame's */
    struct packet pkt;
    switch (ip_decode(linktype, frame, caplen, wirelen, ts_us, a->frags, &pkt)) {
    case DECODE_PACKET: break;
    case DECODE_HELD: return;
    case DECODE_IGNORED: a->stats.ignored++; return;
    case DECODE_MALFORMED: a->stats.malformed++; return;
    }
    /* UDP is only followed once it carries DTLS: DNS and the like never make a flow. */
    bool udp = pkt.proto == IP_PROTO_UDP;
    bool create = !udp || recscan_is_dtls(pkt.payload, pkt.payload_len);
    int dir;
    struct flow *f = flow_lookup(a->flows, &pkt, create, &dir);
    if (!f) {
        if (create)
            a->stats.flows_dropped++;
        else
            a->stats.ignored++;
    } else {
        f->last_us = ts_us;
        if (udp)
            udp_datagram(a, f, dir, &pkt);
        else
            tcp_segment(a, f, dir, &pkt);
    }
    size_t open = flow_count(a->flows);
    if (open > a->stats.flows_max)
        a->stats.flows_max = open;
}

void traffic_analyzer_finish(struct traffic_analyzer *a)
{
    flow_each_idle(a->flows, INT64_MAX, close_flow, a);
}

struct traffic_stats traffic_analyzer_stats(const struct traffic_analyzer *a)
{
    struct traffic_stats s = a->stats;
    s.flows_open = flow_count(a->flows);
    return s;
}

void traffic_analyzer_free(struct traffic_analyzer *a)
{
    if (!a)
        return;
    if (a->flows) {
        flow_each_idle(a->flows, INT64_MAX, drop_flow, a);
        flow_table_free(a->flows);
    }
    frag_table_free(a->frags);
    free(a);
}
