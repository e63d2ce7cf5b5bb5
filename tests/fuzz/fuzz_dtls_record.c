/* libFuzzer target: the input as one datagram of DTLS records. Handshake records go through
 * the fragment parser into a reassembly of bounded size, and every message that comes out
 * whole goes to the parser of its type (HelloVerifyRequest, ClientHello, ServerHello). */
#include "tls/tls.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_MESSAGE = 4096 };

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void parse_message(const struct tls_handshake_message *m)
{
    CHECK(m->len <= MAX_MESSAGE);
    struct dtls_hello_verify hv;
    struct tls_server_hello sh;
    struct tls_client_hello ch;
    uint8_t cookie[DTLS_MAX_COOKIE];
    size_t cookie_len;
    switch (m->type) {
    case TLS_HS_HELLO_VERIFY_REQUEST: (void)dtls_hello_verify_parse(m->body, m->len, &hv); break;
    case TLS_HS_SERVER_HELLO:
        if (hc_ok(dtls_server_hello_parse(m->body, m->len, &sh)))
            CHECK(dtls_version_known(sh.version));
        break;
    case TLS_HS_CLIENT_HELLO:
        if (hc_ok(dtls_client_hello_parse(m->body, m->len, &ch, cookie, &cookie_len)))
            CHECK(cookie_len <= DTLS_MAX_COOKIE);
        break;
    default: break;
    }
}

static void handshake_record(struct dtls_reassembly *rs, struct wire_reader *body)
{
    while (wire_remaining(body) > 0) {
        size_t before = body->pos;
        struct dtls_fragment f;
        if (!hc_ok(dtls_fragment_next(body, &f))) {
            CHECK(body->pos == before); /* a failed take consumes nothing */
            return;
        }
        CHECK(f.offset + (uint64_t)f.data_len <= f.length);
        if (!hc_ok(dtls_reassembly_add(rs, &f)))
            return;
        struct tls_handshake_message m;
        while (hc_ok(dtls_reassembly_next(rs, &m)))
            parse_message(&m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_reader dg = wire_reader_init(data, size);
    struct dtls_reassembly rs;
    dtls_reassembly_init(&rs, MAX_MESSAGE, 0);
    for (;;) {
        size_t before = dg.pos;
        struct dtls_record_header h;
        struct wire_reader body;
        if (!hc_ok(dtls_record_next(&dg, &h, &body))) {
            CHECK(dg.pos == before);
            break;
        }
        CHECK(wire_remaining(&body) == h.length && h.length <= TLS_MAX_RECORD_BODY);
        CHECK(dg.pos == before + DTLS_RECORD_HEADER_LEN + h.length);
        if (h.type == TLS_CT_HANDSHAKE)
            handshake_record(&rs, &body);
    }
    dtls_reassembly_free(&rs);
    return 0;
}
