#include "tls/extensions.h"

#include <string.h>

/* secp256r1, secp384r1, secp521r1, x25519, secp224r1: what 2014 servers (P-256 mostly) and
 * later ones accept. */
static const uint16_t offered_groups[] = {0x0017, 0x0018, 0x0019, 0x001d, 0x0015};
/* SHA-512/384/256/224/1 with RSA and ECDSA, SHA-256/1 with DSA (RFC 5246 7.4.1.4.1). */
static const uint16_t offered_sigalgs[] = {0x0601, 0x0603, 0x0501, 0x0503, 0x0401, 0x0403,
                                           0x0301, 0x0303, 0x0201, 0x0203, 0x0402, 0x0202};
enum {
    SCSV_RENEGOTIATION_INFO = 0x00ff, /* RFC 5746 section 3.3 */
    F5_LOW = 251,
    F5_HIGH = 511,
    F5_PADDED = 512
};

static void write_u16_list(struct wire_writer *w, const uint16_t *v, size_t n)
{
    struct wire_mark list = wire_open(w, 2);
    for (size_t i = 0; i < n; i++)
        wire_write_u16(w, v[i]);
    wire_close(w, list);
}

static void write_server_name(struct wire_writer *w, const char *name)
{
    wire_write_u16(w, TLS_EXT_SERVER_NAME);
    struct wire_mark ext = wire_open(w, 2);
    struct wire_mark list = wire_open(w, 2);
    wire_write_u8(w, 0); /* host_name, RFC 6066 section 3 */
    struct wire_mark host = wire_open(w, 2);
    wire_write_bytes(w, name, strlen(name));
    wire_close(w, host);
    wire_close(w, list);
    wire_close(w, ext);
}

static void write_extensions(struct wire_writer *w, const struct tls_client_hello_params *p)
{
    if (p->server_name && p->server_name[0])
        write_server_name(w, p->server_name);
    wire_write_u16(w, TLS_EXT_HEARTBEAT);
    struct wire_mark hb = wire_open(w, 2);
    wire_write_u8(w, TLS_HEARTBEAT_PEER_ALLOWED);
    wire_close(w, hb);
    wire_write_u16(w, TLS_EXT_SUPPORTED_GROUPS);
    struct wire_mark groups = wire_open(w, 2);
    write_u16_list(w, offered_groups, HC_ARRAY_LEN(offered_groups));
    wire_close(w, groups);
    wire_write_u16(w, TLS_EXT_EC_POINT_FORMATS);
    struct wire_mark pf = wire_open(w, 2);
    wire_write_u8(w, 1);
    wire_write_u8(w, 0); /* uncompressed */
    wire_close(w, pf);
    wire_write_u16(w, TLS_EXT_SIGNATURE_ALGORITHMS);
    struct wire_mark sa = wire_open(w, 2);
    write_u16_list(w, offered_sigalgs, HC_ARRAY_LEN(offered_sigalgs));
    wire_close(w, sa);
}

/* Pads the hello out of 251..511 bytes (RFC 7685; the "F5 bug"). An extension costs 4 bytes
 * of header, so the body is what is missing to 512 minus those 4. */
static void write_padding_if_needed(struct wire_writer *w, size_t hello_start)
{
    size_t so_far = w->len - hello_start + 4; /* + the padding extension's own header */
    if (so_far - 4 < F5_LOW || so_far - 4 > F5_HIGH)
        return;
    size_t pad = so_far >= F5_PADDED ? 0 : F5_PADDED - so_far;
    wire_write_u16(w, TLS_EXT_PADDING);
    struct wire_mark ext = wire_open(w, 2);
    wire_write_fill(w, 0, pad);
    wire_close(w, ext);
}

/* RFC 6347 4.1.2.2: RC4 cannot be decrypted out of order, so DTLS forbids it. */
static bool offered(const struct tls_cipher_suite *cs, bool dtls)
{
    return !dtls || !strstr(cs->name, "_RC4_");
}

void tls_client_hello_body_write(struct wire_writer *w, const struct tls_client_hello_params *p,
                                 const struct tls_hello_cookie *cookie, size_t pad_from)
{
    bool dtls = cookie != NULL;
    wire_write_u16(w, p->version);
    wire_write_bytes(w, p->random, TLS_RANDOM_LEN);
    wire_write_u8(w, 0); /* no session to resume */
    if (dtls) {
        struct wire_mark c = wire_open(w, 1);
        wire_write_bytes(w, cookie->data, cookie->len);
        wire_close(w, c);
    }
    struct wire_mark suites = wire_open(w, 2);
    for (size_t i = 0; i < tls_cipher_suite_count; i++)
        if (offered(&tls_cipher_suites[i], dtls))
            wire_write_u16(w, tls_cipher_suites[i].id);
    wire_write_u16(w, SCSV_RENEGOTIATION_INFO);
    wire_close(w, suites);
    wire_write_u8(w, 1);
    wire_write_u8(w, 0); /* null compression only */
    if (p->with_extensions) {
        struct wire_mark exts = wire_open(w, 2);
        write_extensions(w, p);
        if (pad_from != TLS_NO_PADDING)
            write_padding_if_needed(w, pad_from);
        wire_close(w, exts);
    }
}

hc_result tls_client_hello_write(struct wire_writer *w, const struct tls_client_hello_params *p)
{
    if (p->server_name && strlen(p->server_name) > 255)
        return wire_writer_fail(w, HC_ERR_USAGE); /* RFC 6066: HostName is at most 255 */
    struct wire_mark rec = tls_record_open(w, TLS_CT_HANDSHAKE, p->record_version);
    size_t hello_start = w->len; /* the record body: what the length field counts */
    struct wire_mark msg = tls_handshake_open(w, TLS_HS_CLIENT_HELLO);
    tls_client_hello_body_write(w, p, NULL, hello_start);
    wire_close(w, msg);
    wire_close(w, rec);
    return wire_writer_result(w);
}

static hc_result server_name_parse(struct wire_reader *body, char out[256])
{
    struct wire_reader list;
    HC_TRY(wire_read_vector(body, 2, &list));
    HC_TRY(wire_reader_end(body));
    while (wire_remaining(&list) > 0) {
        uint8_t kind;
        struct wire_reader name;
        HC_TRY(wire_read_u8(&list, &kind));
        HC_TRY(wire_read_vector(&list, 2, &name));
        size_t n = wire_remaining(&name);
        if (kind != 0 || out[0])
            continue; /* first host_name wins */
        HC_ENSURE(n > 0 && n <= 255 && !memchr(wire_peek(&name), 0, n), HC_ERR_BAD_EXTENSION);
        memcpy(out, wire_peek(&name), n);
        out[n] = '\0';
    }
    return HC_SUCCESS;
}

/* A vector of 16-bit values (supported_groups, supported_versions): kept up to max. */
static hc_result u16_list_parse(struct wire_reader *body, unsigned len_bytes, uint16_t *out,
                                size_t max, size_t *count)
{
    struct wire_reader list;
    HC_TRY(wire_read_vector(body, len_bytes, &list));
    HC_TRY(wire_reader_end(body));
    HC_ENSURE(wire_remaining(&list) % 2 == 0, HC_ERR_BAD_EXTENSION);
    while (wire_remaining(&list) > 0) {
        uint16_t v;
        HC_TRY(wire_read_u16(&list, &v));
        if (*count < max)
            out[(*count)++] = v;
    }
    return HC_SUCCESS;
}

static hc_result point_formats_parse(struct wire_reader *body, struct tls_client_hello *ch)
{
    struct wire_reader list;
    HC_TRY(wire_read_vector(body, 1, &list));
    HC_TRY(wire_reader_end(body));
    while (wire_remaining(&list) > 0) {
        uint8_t f;
        HC_TRY(wire_read_u8(&list, &f));
        if (ch->point_format_count < TLS_MAX_CLIENT_POINT_FORMATS)
            ch->point_formats[ch->point_format_count++] = f;
    }
    return HC_SUCCESS;
}

static hc_result client_extension(void *ctx, uint16_t type, struct wire_reader *body)
{
    struct tls_client_hello *ch = ctx;
    switch (type) {
    case TLS_EXT_SUPPORTED_GROUPS:
        return u16_list_parse(body, 2, ch->groups, TLS_MAX_CLIENT_GROUPS, &ch->group_count);
    case TLS_EXT_EC_POINT_FORMATS: return point_formats_parse(body, ch);
    case TLS_EXT_SUPPORTED_VERSIONS:
        return u16_list_parse(body, 1, ch->versions, TLS_MAX_CLIENT_VERSIONS, &ch->version_count);
    case TLS_EXT_RENEGOTIATION_INFO: ch->renegotiation_info = true; break;
    default: break;
    }
    if (type == TLS_EXT_HEARTBEAT) {
        HC_TRY(tls_heartbeat_extension_parse(body, &ch->heartbeat_mode));
        ch->heartbeat = true;
        return HC_SUCCESS;
    }
    if (type == TLS_EXT_SERVER_NAME && wire_remaining(body) > 0)
        return server_name_parse(body, ch->server_name);
    return wire_skip(body, wire_remaining(body));
}

static hc_result cipher_list_parse(struct wire_reader *r, struct tls_client_hello *ch)
{
    struct wire_reader suites;
    HC_TRY(wire_read_vector(r, 2, &suites));
    HC_ENSURE(wire_remaining(&suites) >= 2 && wire_remaining(&suites) % 2 == 0,
              HC_ERR_BAD_CIPHER_LIST);
    while (wire_remaining(&suites) > 0) {
        uint16_t id;
        HC_TRY(wire_read_u16(&suites, &id));
        if (ch->cipher_count < TLS_MAX_CLIENT_CIPHERS)
            ch->ciphers[ch->cipher_count] = id;
        ch->cipher_count++;
        ch->renegotiation_info |= (id == TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    }
    return HC_SUCCESS;
}

hc_result tls_client_hello_body_parse(const uint8_t *body, size_t len, struct tls_client_hello *out,
                                      struct tls_hello_cookie *cookie)
{
    struct wire_reader r = wire_reader_init(body, len);
    struct tls_client_hello hello, *ch = &hello;
    memset(ch, 0, sizeof *ch);
    HC_TRY(wire_read_u16(&r, &ch->version));
    uint8_t major = cookie ? 0xfe : 3;
    HC_ENSURE((ch->version >> 8) == major, HC_ERR_BAD_VERSION);
    HC_TRY(wire_copy_bytes(&r, ch->random, sizeof ch->random));
    struct wire_reader sid;
    HC_TRY(wire_read_vector(&r, 1, &sid));
    HC_ENSURE(wire_remaining(&sid) <= TLS_MAX_SESSION_ID, HC_ERR_BAD_SESSION_ID);
    ch->session_id_len = (uint8_t)wire_remaining(&sid);
    HC_TRY(wire_copy_bytes(&sid, ch->session_id, ch->session_id_len));
    if (cookie) {
        struct wire_reader c;
        HC_TRY(wire_read_vector(&r, 1, &c));
        cookie->len = wire_remaining(&c);
        cookie->data = wire_peek(&c);
    }
    HC_TRY(cipher_list_parse(&r, ch));
    struct wire_reader comp;
    HC_TRY(wire_read_vector(&r, 1, &comp));
    while (wire_remaining(&comp) > 0) {
        uint8_t m;
        HC_TRY(wire_read_u8(&comp, &m));
        ch->null_compression |= (m == 0);
    }
    HC_ENSURE(ch->null_compression, HC_ERR_BAD_COMPRESSION);
    HC_TRY(tls_extensions_parse(&r, ch->extensions, &ch->extension_count, client_extension, ch));
    HC_TRY(wire_reader_end(&r));
    *out = hello;
    return HC_SUCCESS;
}

hc_result tls_client_hello_parse(const uint8_t *body, size_t len, struct tls_client_hello *out)
{
    return tls_client_hello_body_parse(body, len, out, NULL);
}
