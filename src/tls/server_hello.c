#include "tls/extensions.h"

#include <string.h>

static hc_result server_extension(void *ctx, uint16_t type, struct wire_reader *body)
{
    struct tls_server_hello *sh = ctx;
    if (type == TLS_EXT_HEARTBEAT) {
        HC_TRY(tls_heartbeat_extension_parse(body, &sh->heartbeat_mode));
        sh->heartbeat = true;
        return HC_SUCCESS;
    }
    return wire_skip(body, wire_remaining(body)); /* evidence records the type only */
}

static bool tls_version_ok(uint16_t v) { return v >= TLS_VERSION_SSL3 && v <= TLS_VERSION_TLS12; }

hc_result tls_server_hello_parse(const uint8_t *body, size_t len, struct tls_server_hello *out)
{
    return tls_server_hello_body_parse(body, len, tls_version_ok, out);
}

hc_result tls_server_hello_body_parse(const uint8_t *body, size_t len, bool (*version_ok)(uint16_t),
                                      struct tls_server_hello *out)
{
    struct wire_reader r = wire_reader_init(body, len);
    struct tls_server_hello sh;
    memset(&sh, 0, sizeof sh);
    HC_TRY(wire_read_u16(&r, &sh.version));
    HC_ENSURE(version_ok(sh.version), HC_ERR_BAD_VERSION);
    HC_TRY(wire_copy_bytes(&r, sh.random, sizeof sh.random));
    struct wire_reader sid;
    HC_TRY(wire_read_vector(&r, 1, &sid));
    HC_ENSURE(wire_remaining(&sid) <= TLS_MAX_SESSION_ID, HC_ERR_BAD_SESSION_ID);
    sh.session_id_len = (uint8_t)wire_remaining(&sid);
    HC_TRY(wire_copy_bytes(&sid, sh.session_id, sh.session_id_len));
    HC_TRY(wire_read_u16(&r, &sh.cipher_suite));
    HC_TRY(wire_read_u8(&r, &sh.compression));
    HC_ENSURE(sh.compression == 0, HC_ERR_BAD_COMPRESSION);
    HC_TRY(tls_extensions_parse(&r, sh.extensions, &sh.extension_count, server_extension, &sh));
    HC_TRY(wire_reader_end(&r));
    *out = sh;
    return HC_SUCCESS;
}

void tls_server_hello_write(struct wire_writer *w, const struct tls_server_hello_params *p)
{
    struct wire_mark msg = tls_handshake_open(w, TLS_HS_SERVER_HELLO);
    wire_write_u16(w, p->version);
    wire_write_bytes(w, p->random, TLS_RANDOM_LEN);
    struct wire_mark sid = wire_open(w, 1);
    wire_write_bytes(w, p->session_id, p->session_id_len);
    wire_close(w, sid);
    wire_write_u16(w, p->cipher_suite);
    wire_write_u8(w, 0); /* null compression */
    if (p->heartbeat || p->renegotiation_info) {
        struct wire_mark exts = wire_open(w, 2);
        if (p->renegotiation_info) {
            wire_write_u16(w, TLS_EXT_RENEGOTIATION_INFO);
            struct wire_mark ri = wire_open(w, 2);
            wire_write_u8(w, 0); /* renegotiated_connection: empty on a first handshake */
            wire_close(w, ri);
        }
        if (p->heartbeat) {
            wire_write_u16(w, TLS_EXT_HEARTBEAT);
            struct wire_mark hb = wire_open(w, 2);
            wire_write_u8(w, TLS_HEARTBEAT_PEER_ALLOWED);
            wire_close(w, hb);
        }
        wire_close(w, exts);
    }
    wire_close(w, msg);
}

void tls_server_hello_done_write(struct wire_writer *w)
{
    struct wire_mark msg = tls_handshake_open(w, TLS_HS_SERVER_HELLO_DONE);
    wire_close(w, msg); /* RFC 5246 section 7.4.5: struct { } ServerHelloDone */
}
