#include "wire/wire.h"

#include <string.h>

struct wire_writer wire_writer_init(void *buf, size_t cap)
{
    return (struct wire_writer){.buf = buf, .cap = buf ? cap : 0, .len = 0, .status = HC_SUCCESS};
}

/* Reserves n bytes and returns where they start, or NULL once the writer has failed. */
static uint8_t *reserve(struct wire_writer *w, size_t n)
{
    if (!hc_ok(w->status))
        return NULL;
    if (w->cap - w->len < n) {
        w->status = HC_RESULT(HC_ERR_NO_SPACE);
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

static void put_be(uint8_t *p, unsigned n, uint32_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void write_be(struct wire_writer *w, unsigned n, uint32_t v)
{
    uint8_t *p = reserve(w, n);
    if (p)
        put_be(p, n, v);
}

void wire_write_u8(struct wire_writer *w, uint8_t v) { write_be(w, 1, v); }
void wire_write_u16(struct wire_writer *w, uint16_t v) { write_be(w, 2, v); }
void wire_write_u24(struct wire_writer *w, uint32_t v) { write_be(w, 3, v & 0xffffffu); }
void wire_write_u32(struct wire_writer *w, uint32_t v) { write_be(w, 4, v); }

void wire_write_bytes(struct wire_writer *w, const void *src, size_t n)
{
    uint8_t *p = reserve(w, n);
    if (p && n)
        memcpy(p, src, n);
}

void wire_write_fill(struct wire_writer *w, uint8_t byte, size_t n)
{
    uint8_t *p = reserve(w, n);
    if (p && n)
        memset(p, byte, n);
}

struct wire_mark wire_open(struct wire_writer *w, unsigned len_bytes)
{
    struct wire_mark m = {.at = w->len, .len_bytes = len_bytes};
    /* TLS length prefixes are 1..3 bytes; more would shift past 32 bits in put_be. */
    if (len_bytes < 1 || len_bytes > 3) {
        if (hc_ok(w->status))
            w->status = HC_RESULT(HC_ERR_USAGE);
        return m;
    }
    write_be(w, len_bytes, 0);
    return m;
}

void wire_close(struct wire_writer *w, struct wire_mark m)
{
    if (!hc_ok(w->status))
        return;
    size_t body = w->len - m.at - m.len_bytes;
    uint64_t limit = (uint64_t)1 << (8 * m.len_bytes);
    if (m.len_bytes < 1 || m.len_bytes > 3 || body >= limit) {
        w->status = HC_RESULT(HC_ERR_LENGTH_TOO_BIG);
        return;
    }
    put_be(w->buf + m.at, m.len_bytes, (uint32_t)body);
}

hc_result wire_writer_result(const struct wire_writer *w) { return w->status; }

hc_result wire_writer_fail(struct wire_writer *w, enum hc_error e)
{
    if (hc_ok(w->status))
        w->status = HC_RESULT(e);
    return w->status;
}
