/* Flows by protocol, address and port pair: an open-addressing table (linear probing,
 * backward-shift deletion) of pointers, grown by doubling up to the flow limit. One malloc
 * per flow, none per packet. */
#include "pcap/internal.h"

#include <stdlib.h>
#include <string.h>

struct flow_table {
    struct flow **slots;
    uint64_t *hashes;
    size_t cap; /* a power of two */
    size_t count;
    size_t max_flows;
};

enum { INITIAL_CAP = 1024 };

struct flow_table *flow_table_new(size_t max_flows)
{
    struct flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cap = INITIAL_CAP;
    t->max_flows = max_flows;
    t->slots = calloc(t->cap, sizeof *t->slots);
    t->hashes = calloc(t->cap, sizeof *t->hashes);
    if (!t->slots || !t->hashes) {
        flow_table_free(t);
        return NULL;
    }
    return t;
}

void flow_table_free(struct flow_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->hashes);
    free(t);
}

size_t flow_count(const struct flow_table *t) { return t->count; }

static int endpoint_cmp(const struct traffic_endpoint *a, const struct traffic_endpoint *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int c = memcmp(a->addr, b->addr, sizeof a->addr);
    if (c)
        return c;
    return a->port == b->port ? 0 : a->port < b->port ? -1 : 1;
}

static bool endpoint_eq(const struct traffic_endpoint *a, const struct traffic_endpoint *b)
{
    return a->port == b->port && a->family == b->family && !memcmp(a->addr, b->addr, 16);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdu;
}

static uint64_t endpoint_hash(uint64_t h, const struct traffic_endpoint *e)
{
    uint64_t w[2];
    memcpy(w, e->addr, sizeof w);
    return mix(mix(mix(h, w[0]), w[1]), (uint64_t)e->port << 8 | e->family);
}

/* The same for both directions: the smaller endpoint goes first. */
static uint64_t key_hash(uint8_t proto, const struct traffic_endpoint *a,
                         const struct traffic_endpoint *b)
{
    if (endpoint_cmp(a, b) > 0) {
        const struct traffic_endpoint *t = a;
        a = b;
        b = t;
    }
    uint64_t h = endpoint_hash(endpoint_hash(proto, a), b);
    return h ^ (h >> 29);
}

static bool grow(struct flow_table *t)
{
    size_t cap = t->cap * 2;
    struct flow **slots = calloc(cap, sizeof *slots);
    uint64_t *hashes = calloc(cap, sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return false;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i])
            continue;
        size_t j = t->hashes[i] & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
        hashes[j] = t->hashes[i];
        slots[j]->slot = j;
    }
    free(t->slots);
    free(t->hashes);
    t->slots = slots;
    t->hashes = hashes;
    t->cap = cap;
    return true;
}

static struct flow *new_flow(struct flow_table *t, const struct packet *pkt, uint64_t h, size_t i)
{
    struct flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->proto = pkt->proto;
    f->ep[0] = pkt->src;
    f->ep[1] = pkt->dst;
    f->client = -1;
    f->first_us = pkt->ts_us;
    recscan_init(&f->scan[0]);
    recscan_init(&f->scan[1]);
    f->slot = i;
    t->slots[i] = f;
    t->hashes[i] = h;
    t->count++;
    return f;
}

struct flow *flow_lookup(struct flow_table *t, const struct packet *pkt, bool create, int *dir)
{
    uint64_t h = key_hash(pkt->proto, &pkt->src, &pkt->dst);
    size_t mask = t->cap - 1;
    size_t i = h & mask;
    for (; t->slots[i]; i = (i + 1) & mask) {
        struct flow *f = t->slots[i];
        if (t->hashes[i] != h || f->proto != pkt->proto)
            continue;
        if (endpoint_eq(&f->ep[0], &pkt->src) && endpoint_eq(&f->ep[1], &pkt->dst)) {
            *dir = 0;
            return f;
        }
        if (endpoint_eq(&f->ep[1], &pkt->src) && endpoint_eq(&f->ep[0], &pkt->dst)) {
            *dir = 1;
            return f;
        }
    }
    if (!create || t->count >= t->max_flows)
        return NULL;
    if (2 * (t->count + 1) > t->cap) {
        if (!grow(t))
            return NULL;
        for (i = h & (t->cap - 1); t->slots[i]; i = (i + 1) & (t->cap - 1))
            ;
    }
    *dir = 0;
    return new_flow(t, pkt, h, i);
}

void flow_remove(struct flow_table *t, struct flow *f)
{
    size_t mask = t->cap - 1, i = f->slot;
    t->slots[i] = NULL;
    t->count--;
    /* Backward shift: move later entries of the probe run into the hole when their home
     * slot lies at or before it, so that lookups never stop at a false empty slot. */
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t home = t->hashes[j] & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            t->hashes[i] = t->hashes[j];
            t->slots[i]->slot = i;
            t->slots[j] = NULL;
            i = j;
        }
    }
    for (int d = 0; d < 2; d++) {
        stream_free(&f->tcp[d]);
        hb_side_free(&f->hb[d]);
    }
    free(f);
}

void flow_each_idle(struct flow_table *t, int64_t older_than_us,
                    void (*fn)(void *ctx, struct flow *f), void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i] && t->slots[i]->last_us < older_than_us)
            n++;
    if (!n)
        return;
    struct flow **idle = malloc(n * sizeof *idle);
    if (!idle)
        return;
    size_t k = 0;
    for (size_t i = 0; i < t->cap && k < n; i++)
        if (t->slots[i] && t->slots[i]->last_us < older_than_us)
            idle[k++] = t->slots[i];
    for (size_t i = 0; i < k; i++)
        fn(ctx, idle[i]);
    free(idle);
}
