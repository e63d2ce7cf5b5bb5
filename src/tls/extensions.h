/* Private to src/tls: the extension block shared by both hellos (RFC 5246 section 7.4.1.4). */
#ifndef HC_TLS_EXTENSIONS_H
#define HC_TLS_EXTENSIONS_H

#include "tls/tls.h"

/* Called once per extension with a reader over its body; what it leaves unread is an error
 * (HC_ERR_BAD_EXTENSION). */
typedef hc_result (*tls_extension_fn)(void *ctx, uint16_t type, struct wire_reader *body);

/* Parses an optional extension block at the end of a hello: nothing left is fine (SSLv3
 * hellos have none); otherwise a 16-bit vector of extensions, each at most once
 * (HC_ERR_DUPLICATE_EXTENSION). Types are recorded in types[] up to TLS_MAX_EXTENSIONS;
 * a repeat among extensions past that many is not detected. */
HC_MUST_CHECK hc_result tls_extensions_parse(struct wire_reader *hello, uint16_t *types,
                                             size_t *count, tls_extension_fn fn, void *ctx);

/* The heartbeat extension body: one mode byte, 1 or 2 (RFC 6520 section 2). */
HC_MUST_CHECK hc_result tls_heartbeat_extension_parse(struct wire_reader *body, uint8_t *mode);

#endif
