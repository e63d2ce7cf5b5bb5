#include "wire/wire.h"

struct wire_reader wire_reader_init(const void *data, size_t len)
{
    return (struct wire_reader){.data = data, .len = data ? len : 0, .pos = 0};
}

size_t wire_remaining(const struct wire_reader *r) { return r->len - r->pos; }

const uint8_t *wire_peek(const struct wire_reader *r) { return r->data ? r->data + r->pos : NULL; }

static hc_result read_be(struct wire_reader *r, unsigned n, uint32_t *out)
{
    HC_ENSURE(wire_remaining(r) >= n, HC_ERR_SHORT);
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | r->data[r->pos + i];
    r->pos += n;
    *out = v;
    return HC_SUCCESS;
}

hc_result wire_read_u8(struct wire_reader *r, uint8_t *out)
{
    uint32_t v;
    HC_TRY(read_be(r, 1, &v));
    *out = (uint8_t)v;
    return HC_SUCCESS;
}

hc_result wire_read_u16(struct wire_reader *r, uint16_t *out)
{
    uint32_t v;
    HC_TRY(read_be(r, 2, &v));
    *out = (uint16_t)v;
    return HC_SUCCESS;
}

hc_result wire_read_u24(struct wire_reader *r, uint32_t *out) { return read_be(r, 3, out); }

hc_result wire_read_u32(struct wire_reader *r, uint32_t *out) { return read_be(r, 4, out); }

hc_result wire_read_bytes(struct wire_reader *r, size_t n, const uint8_t **out)
{
    HC_ENSURE(wire_remaining(r) >= n, HC_ERR_SHORT);
    *out = r->data + r->pos;
    r->pos += n;
    return HC_SUCCESS;
}

hc_result wire_copy_bytes(struct wire_reader *r, void *dst, size_t n)
{
    const uint8_t *src;
    HC_TRY(wire_read_bytes(r, n, &src));
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = src[i];
    return HC_SUCCESS;
}

hc_result wire_skip(struct wire_reader *r, size_t n)
{
    const uint8_t *ignored;
    return wire_read_bytes(r, n, &ignored);
}

hc_result wire_read_vector(struct wire_reader *r, unsigned len_bytes, struct wire_reader *inner)
{
    HC_ENSURE(len_bytes >= 1 && len_bytes <= 3, HC_ERR_USAGE);
    size_t saved = r->pos;
    uint32_t n;
    HC_TRY(read_be(r, len_bytes, &n));
    const uint8_t *body;
    hc_result res = wire_read_bytes(r, n, &body);
    if (!hc_ok(res)) {
        r->pos = saved; /* a failed read consumes nothing */
        return res;
    }
    *inner = wire_reader_init(body, n);
    return HC_SUCCESS;
}

hc_result wire_reader_end(const struct wire_reader *r)
{
    HC_ENSURE(wire_remaining(r) == 0, HC_ERR_TRAILING);
    return HC_SUCCESS;
}
