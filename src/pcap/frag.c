/* IP fragment reassembly (RFC 791 section 3.2, RFC 8200 section 4.5) in bounded memory: a
 * fixed number of datagrams in progress, each at most 65535 bytes, covered in 8-byte units
 * (fragment offsets count 8-byte units in both IP versions). */
#include "pcap/internal.h"

#include <stdlib.h>
#include <string.h>

enum { UNITS = (FRAG_MAX_LEN + 7) / 8, UNIT_WORDS = (UNITS + 63) / 64 };

struct frag_datagram {
    bool used;
    struct frag_key key;
    int64_t first_us;
    size_t total; /* known once the last fragment (MF clear) arrived; 0 before */
    unsigned pieces;
    size_t covered_units;
    uint64_t covered[UNIT_WORDS];
    uint8_t *data; /* FRAG_MAX_LEN bytes */
};

struct frag_table {
    struct frag_datagram d[FRAG_MAX_DATAGRAMS];
};

struct frag_table *frag_table_new(void) { return calloc(1, sizeof(struct frag_table)); }

void frag_table_free(struct frag_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < FRAG_MAX_DATAGRAMS; i++)
        free(t->d[i].data);
    free(t);
}

static bool same_key(const struct frag_key *a, const struct frag_key *b)
{
    return a->version == b->version && a->proto == b->proto && a->id == b->id &&
           !memcmp(a->src, b->src, sizeof a->src) && !memcmp(a->dst, b->dst, sizeof a->dst);
}

static void reset(struct frag_datagram *d)
{
    uint8_t *data = d->data;
    memset(d, 0, sizeof *d);
    d->data = data;
}

/* The datagram for key: found, or a free slot, or the oldest (or expired) one recycled. */
static struct frag_datagram *slot_for(struct frag_table *t, const struct frag_key *key, int64_t ts)
{
    struct frag_datagram *free_slot = NULL, *oldest = &t->d[0];
    for (size_t i = 0; i < FRAG_MAX_DATAGRAMS; i++) {
        struct frag_datagram *d = &t->d[i];
        if (d->used && ts - d->first_us > FRAG_TIMEOUT_US)
            reset(d);
        if (d->used && same_key(&d->key, key))
            return d;
        if (!d->used && !free_slot)
            free_slot = d;
        if (d->used && d->first_us < oldest->first_us)
            oldest = d;
    }
    struct frag_datagram *d = free_slot ? free_slot : oldest;
    reset(d);
    if (!d->data && !(d->data = malloc(FRAG_MAX_LEN)))
        return NULL;
    d->used = true;
    d->key = *key;
    d->first_us = ts;
    return d;
}

static bool unit_set(const struct frag_datagram *d, size_t u)
{
    return d->covered[u / 64] >> (u % 64) & 1;
}

/* Units past the end a last fragment declared: a datagram that contradicts itself. */
static bool covers_past(const struct frag_datagram *d, size_t total)
{
    for (size_t u = (total + 7) / 8; u < UNITS; u++)
        if (unit_set(d, u))
            return true;
    return false;
}

bool frag_add(struct frag_table *t, const struct frag_key *key, size_t offset, bool more,
              const uint8_t *p, size_t n, int64_t ts_us, struct wire_reader *datagram)
{
    if (offset + n > FRAG_MAX_LEN || (more && n % 8) || n == 0)
        return false; /* a datagram that cannot exist; RFC 791: non-last fragments are 8k */
    struct frag_datagram *d = slot_for(t, key, ts_us);
    if (!d)
        return false;
    if (++d->pieces > FRAG_MAX_PIECES) {
        reset(d);
        return false;
    }
    if ((d->total && offset + n > d->total) || (!more && d->total && offset + n != d->total) ||
        (!more && !d->total && covers_past(d, offset + n))) {
        reset(d);
        return false;
    }
    if (!more)
        d->total = offset + n;
    for (size_t u = offset / 8; u * 8 < offset + n; u++) {
        if (unit_set(d, u))
            continue; /* the first copy of overlapping bytes stays */
        size_t from = u * 8, to = from + 8 < offset + n ? from + 8 : offset + n;
        memcpy(d->data + from, p + (from - offset), to - from);
        d->covered[u / 64] |= (uint64_t)1 << (u % 64);
        d->covered_units++;
    }
    if (!d->total || d->covered_units != (d->total + 7) / 8)
        return false;
    *datagram = wire_reader_init(d->data, d->total);
    d->used = false; /* its bytes stay valid until this slot is used again */
    return true;
}
