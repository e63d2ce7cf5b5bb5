/* wire: the only code that touches raw packet memory.
 *
 * A reader is a bounds-checked cursor over bytes it does not own. Length-prefixed fields
 * open a nested reader that the caller must consume exactly (wire_reader_end), so a
 * length that disagrees with its content is always an error, never silently skipped.
 *
 * A writer appends into a caller-owned buffer. Length prefixes are reserved before the
 * body and filled in after it (wire_open / wire_close), so no length is counted by hand.
 * The first error sticks: once a write fails, later writes do nothing and wire_writer_result
 * reports the first failure. */
#ifndef HC_WIRE_H
#define HC_WIRE_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
};

struct wire_reader wire_reader_init(const void *data, size_t len);
size_t wire_remaining(const struct wire_reader *r);
/* Points at the unread bytes without consuming them (never NULL-dereferenced: len may be 0). */
const uint8_t *wire_peek(const struct wire_reader *r);

HC_MUST_CHECK hc_result wire_read_u8(struct wire_reader *r, uint8_t *out);
HC_MUST_CHECK hc_result wire_read_u16(struct wire_reader *r, uint16_t *out);
HC_MUST_CHECK hc_result wire_read_u24(struct wire_reader *r, uint32_t *out);
HC_MUST_CHECK hc_result wire_read_u32(struct wire_reader *r, uint32_t *out);
HC_MUST_CHECK hc_result wire_read_bytes(struct wire_reader *r, size_t n, const uint8_t **out);
HC_MUST_CHECK hc_result wire_copy_bytes(struct wire_reader *r, void *dst, size_t n);
HC_MUST_CHECK hc_result wire_skip(struct wire_reader *r, size_t n);
/* Reads a big-endian length of len_bytes (1..3) and opens a reader over that many bytes. */
HC_MUST_CHECK hc_result wire_read_vector(struct wire_reader *r, unsigned len_bytes,
                                         struct wire_reader *inner);
/* HC_ERR_TRAILING unless every byte was consumed. */
HC_MUST_CHECK hc_result wire_reader_end(const struct wire_reader *r);

struct wire_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    hc_result status;
};

/* Where an open length prefix sits, to be filled by wire_close. */
struct wire_mark {
    size_t at;
    unsigned len_bytes;
};

struct wire_writer wire_writer_init(void *buf, size_t cap);
void wire_write_u8(struct wire_writer *w, uint8_t v);
void wire_write_u16(struct wire_writer *w, uint16_t v);
void wire_write_u24(struct wire_writer *w, uint32_t v);
void wire_write_u32(struct wire_writer *w, uint32_t v);
void wire_write_bytes(struct wire_writer *w, const void *p, size_t n);
void wire_write_fill(struct wire_writer *w, uint8_t byte, size_t n);
struct wire_mark wire_open(struct wire_writer *w, unsigned len_bytes);
void wire_close(struct wire_writer *w, struct wire_mark m);
HC_MUST_CHECK hc_result wire_writer_result(const struct wire_writer *w);
/* Records a failure found by a builder, so that it sticks like a failed write; returns it. */
hc_result wire_writer_fail(struct wire_writer *w, enum hc_error e);

#endif
