/* Recorded prelude dialogues, replayed against one role of a prelude (src/proto): the peer's
 * bytes fed whole, one byte at a time and split in two at every offset, and the connection
 * closed after every prefix. Whatever the chunking, the prelude must write the same bytes,
 * end the same way, and leave the same bytes unconsumed. */
#ifndef HC_DIALOGUE_H
#define HC_DIALOGUE_H

#include "proto/proto.h"

#include <stddef.h>
#include <stdint.h>

struct dialogue {
    const struct prelude_desc *desc;
    enum prelude_role role;
    struct prelude_params params;
    const uint8_t *peer; /* everything the peer sends, in order */
    size_t peer_len;
    const uint8_t *ours; /* everything the prelude must send, in order */
    size_t ours_len;
    enum prelude_status status;
    const char *reason; /* must appear in prelude_reason(); NULL: the reason is "" */
    size_t leftover;    /* bytes at the end of peer the prelude must not consume (READY) */
};

/* A string literal as bytes and length (without its NUL). */
#define DIALOGUE_TEXT(s) (const uint8_t *)(s), sizeof(s) - 1

/* A dialogue of text (NUL-terminated) with the default parameters. */
struct dialogue dialogue_text(const char *proto, enum prelude_role role, const char *peer,
                              const char *ours, enum prelude_status status, const char *reason);

/* Runs every chunking and every close of d, failing the test on any difference. */
void dialogue_check(const struct dialogue *d);

/* Runs d once with the peer's bytes in chunks of chunk bytes (0: all at once). */
void dialogue_check_chunked(const struct dialogue *d, size_t chunk);

#endif
