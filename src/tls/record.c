#include "tls/tls.h"

static bool known_content_type(uint8_t t)
{
    return t >= TLS_CT_CHANGE_CIPHER_SPEC && t <= TLS_CT_HEARTBEAT;
}

hc_result tls_record_header_parse(struct wire_reader *r, struct tls_record_header *out)
{
    HC_ENSURE(wire_remaining(r) >= TLS_RECORD_HEADER_LEN, HC_ERR_SHORT);
    struct wire_reader h = *r;
    struct tls_record_header hdr;
    HC_TRY(wire_read_u8(&h, &hdr.type));
    HC_TRY(wire_read_u16(&h, &hdr.version));
    HC_TRY(wire_read_u16(&h, &hdr.length));
    /* SSLv3 and TLS share major version 3 (RFC 5246 appendix E); anything else is not ours. */
    HC_ENSURE(known_content_type(hdr.type) && (hdr.version >> 8) == 3, HC_ERR_NOT_TLS);
    HC_ENSURE(hdr.length <= TLS_MAX_RECORD_BODY, HC_ERR_RECORD_TOO_LONG);
    *r = h;
    *out = hdr;
    return HC_SUCCESS;
}

hc_result tls_record_next(struct wire_reader *stream, struct tls_record_header *hdr,
                          struct wire_reader *body)
{
    struct wire_reader s = *stream;
    HC_TRY(tls_record_header_parse(&s, hdr));
    const uint8_t *p;
    HC_TRY(wire_read_bytes(&s, hdr->length, &p));
    *body = wire_reader_init(p, hdr->length);
    *stream = s;
    return HC_SUCCESS;
}

struct wire_mark tls_record_open(struct wire_writer *w, uint8_t type, uint16_t version)
{
    wire_write_u8(w, type);
    wire_write_u16(w, version);
    return wire_open(w, 2);
}

struct wire_mark tls_handshake_open(struct wire_writer *w, uint8_t type)
{
    wire_write_u8(w, type);
    return wire_open(w, 3);
}
