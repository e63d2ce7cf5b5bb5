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

/* ---- the ClientHello body, shared by TLS (client_hello.c) and DTLS (dtls.c) ---- */

/* A DTLS hello's cookie (RFC 6347 4.2.1); a TLS hello has none (NULL). */
struct tls_hello_cookie {
    const uint8_t *data;
    size_t len;
};

enum { TLS_NO_PADDING = (size_t)-1 };

/* Writes the body from client_version to the extensions. With a cookie it is a DTLS hello:
 * the cookie follows the session id and RC4 suites are left out. pad_from is where the
 * record body started, for the F5 padding, or TLS_NO_PADDING. */
void tls_client_hello_body_write(struct wire_writer *w, const struct tls_client_hello_params *p,
                                 const struct tls_hello_cookie *cookie, size_t pad_from);

/* Parses the body; with cookie non-NULL a DTLS hello (major version 0xfe), whose cookie is
 * pointed at inside body. */
HC_MUST_CHECK hc_result tls_client_hello_body_parse(const uint8_t *body, size_t len,
                                                    struct tls_client_hello *out,
                                                    struct tls_hello_cookie *cookie);

/* Parses a ServerHello body whose version version_ok accepts. */
HC_MUST_CHECK hc_result tls_server_hello_body_parse(const uint8_t *body, size_t len,
                                                    bool (*version_ok)(uint16_t),
                                                    struct tls_server_hello *out);

#endif
