#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

void tls_handshake_buffer_init(struct tls_handshake_buffer *b, size_t max_message)
{
    *b = (struct tls_handshake_buffer){.max_message = max_message};
}

void tls_handshake_buffer_free(struct tls_handshake_buffer *b)
{
    free(b->data);
    *b = (struct tls_handshake_buffer){.max_message = b->max_message};
}

/* Declared body length of the first untaken message, if its header is complete. */
static bool front_length(const struct tls_handshake_buffer *b, size_t *len)
{
    if (b->len - b->start < TLS_HANDSHAKE_HEADER_LEN)
        return false;
    const uint8_t *h = b->data + b->start;
    *len = ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
    return true;
}

static hc_result make_room(struct tls_handshake_buffer *b, size_t n)
{
    /* Taken messages are dropped only here, which keeps their bodies valid until now.
     * Skipped when none were taken: before the first append data is NULL, and NULL + 0
     * is undefined behaviour in C. */
    if (b->start > 0) {
        memmove(b->data, b->data + b->start, b->len - b->start);
        b->len -= b->start;
        b->start = 0;
    }
    if (b->cap - b->len >= n)
        return HC_SUCCESS;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < n)
        cap *= 2;
    uint8_t *grown = realloc(b->data, cap);
    HC_ENSURE(grown, HC_ERR_NOMEM);
    b->data = grown;
    b->cap = cap;
    return HC_SUCCESS;
}

hc_result tls_handshake_append(struct tls_handshake_buffer *b, const uint8_t *p, size_t n)
{
    if (n == 0)
        return HC_SUCCESS;
    HC_TRY(make_room(b, n));
    memcpy(b->data + b->len, p, n);
    b->len += n;
    size_t declared;
    /* Refuse a huge declared length at once instead of buffering towards it. */
    HC_ENSURE(!front_length(b, &declared) || declared <= b->max_message, HC_ERR_MESSAGE_TOO_LONG);
    return HC_SUCCESS;
}

hc_result tls_handshake_next(struct tls_handshake_buffer *b, struct tls_handshake_message *out)
{
    size_t declared;
    HC_ENSURE(front_length(b, &declared), HC_ERR_SHORT);
    HC_ENSURE(declared <= b->max_message, HC_ERR_MESSAGE_TOO_LONG);
    HC_ENSURE(b->len - b->start - TLS_HANDSHAKE_HEADER_LEN >= declared, HC_ERR_SHORT);
    out->type = b->data[b->start];
    out->body = b->data + b->start + TLS_HANDSHAKE_HEADER_LEN;
    out->len = declared;
    b->start += TLS_HANDSHAKE_HEADER_LEN + declared;
    return HC_SUCCESS;
}
