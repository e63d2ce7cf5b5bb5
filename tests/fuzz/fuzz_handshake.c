/* libFuzzer target: a server's flight as a record stream. Handshake records are reassembled
 * and each message goes to the parser for its type, as the probe does. */
#include "tls/tls.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_message(const struct tls_handshake_message *m)
{
    struct tls_server_hello sh;
    struct tls_certificate_chain chain;
    struct tls_cert_info info;
    switch (m->type) {
    case TLS_HS_SERVER_HELLO: (void)tls_server_hello_parse(m->body, m->len, &sh); break;
    case TLS_HS_CERTIFICATE:
        if (hc_ok(tls_certificate_parse(m->body, m->len, &chain))) {
            if (chain.count == 0 || chain.leaf < m->body ||
                chain.leaf + chain.leaf_len > m->body + m->len)
                abort();
            (void)tls_cert_info_from_der(chain.leaf, chain.leaf_len, &info);
        }
        break;
    case TLS_HS_SERVER_HELLO_DONE:
        if (hc_ok(tls_server_hello_done_parse(m->body, m->len)) != (m->len == 0))
            abort();
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_handshake_buffer hs;
    tls_handshake_buffer_init(&hs, 1 << 16);
    struct wire_reader stream = wire_reader_init(data, size);
    struct tls_record_header hdr;
    struct wire_reader body;
    while (hc_ok(tls_record_next(&stream, &hdr, &body))) {
        if (hdr.type != TLS_CT_HANDSHAKE)
            continue;
        if (!hc_ok(tls_handshake_append(&hs, wire_peek(&body), wire_remaining(&body))))
            break;
        struct tls_handshake_message m;
        while (hc_ok(tls_handshake_next(&hs, &m))) {
            if (m.len > hs.max_message)
                abort();
            parse_message(&m);
        }
    }
    tls_handshake_buffer_free(&hs);
    return 0;
}
