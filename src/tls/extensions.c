#include "tls/extensions.h"

static bool seen_before(const uint16_t *types, size_t count, uint16_t type)
{
    for (size_t i = 0; i < count && i < TLS_MAX_EXTENSIONS; i++)
        if (types[i] == type)
            return true;
    return false;
}

hc_result tls_extensions_parse(struct wire_reader *hello, uint16_t *types, size_t *count,
                               tls_extension_fn fn, void *ctx)
{
    *count = 0;
    if (wire_remaining(hello) == 0)
        return HC_SUCCESS;
    struct wire_reader block;
    HC_TRY(wire_read_vector(hello, 2, &block));
    while (wire_remaining(&block) > 0) {
        uint16_t type;
        struct wire_reader body;
        HC_TRY(wire_read_u16(&block, &type));
        HC_TRY(wire_read_vector(&block, 2, &body));
        /* Only the first TLS_MAX_EXTENSIONS are remembered, so duplicates are caught there. */
        HC_ENSURE(!seen_before(types, *count, type), HC_ERR_DUPLICATE_EXTENSION);
        if (*count < TLS_MAX_EXTENSIONS)
            types[*count] = type;
        (*count)++;
        HC_TRY(fn(ctx, type, &body));
        HC_ENSURE(wire_remaining(&body) == 0, HC_ERR_BAD_EXTENSION); /* body != its length */
    }
    if (*count > TLS_MAX_EXTENSIONS)
        *count = TLS_MAX_EXTENSIONS;
    return HC_SUCCESS;
}

hc_result tls_heartbeat_extension_parse(struct wire_reader *body, uint8_t *mode)
{
    uint8_t m;
    HC_ENSURE(wire_remaining(body) == 1, HC_ERR_BAD_EXTENSION);
    HC_TRY(wire_read_u8(body, &m));
    HC_ENSURE(m == TLS_HEARTBEAT_PEER_ALLOWED || m == TLS_HEARTBEAT_PEER_NOT_ALLOWED,
              HC_ERR_BAD_EXTENSION);
    *mode = m;
    return HC_SUCCESS;
}
