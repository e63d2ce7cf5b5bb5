#include "tls/tls.h"

hc_result tls_certificate_parse(const uint8_t *body, size_t len, struct tls_certificate_chain *out)
{
    struct wire_reader msg = wire_reader_init(body, len);
    struct wire_reader list;
    HC_TRY(wire_read_vector(&msg, 3, &list));
    HC_TRY(wire_reader_end(&msg));
    struct tls_certificate_chain chain = {0};
    while (wire_remaining(&list) > 0) {
        struct wire_reader cert;
        HC_TRY(wire_read_vector(&list, 3, &cert));
        HC_ENSURE(wire_remaining(&cert) > 0, HC_ERR_BAD_CERTIFICATE);
        if (chain.count == 0) {
            chain.leaf = wire_peek(&cert);
            chain.leaf_len = wire_remaining(&cert);
        }
        chain.count++;
    }
    HC_ENSURE(chain.count > 0, HC_ERR_EMPTY_CHAIN);
    *out = chain;
    return HC_SUCCESS;
}

void tls_certificate_write(struct wire_writer *w, const uint8_t *der, size_t der_len)
{
    struct wire_mark msg = tls_handshake_open(w, TLS_HS_CERTIFICATE);
    struct wire_mark list = wire_open(w, 3);
    struct wire_mark cert = wire_open(w, 3);
    wire_write_bytes(w, der, der_len);
    wire_close(w, cert);
    wire_close(w, list);
    wire_close(w, msg);
}

hc_result tls_server_hello_done_parse(const uint8_t *body, size_t len)
{
    struct wire_reader r = wire_reader_init(body, len);
    return wire_reader_end(&r);
}
