#include "tls/tls.h"

hc_result tls_heartbeat_header_parse(struct wire_reader *r, struct tls_heartbeat_header *out)
{
    struct wire_reader h = *r;
    struct tls_heartbeat_header hb;
    HC_TRY(wire_read_u8(&h, &hb.type));
    HC_TRY(wire_read_u16(&h, &hb.payload_length));
    HC_ENSURE(hb.type == TLS_HEARTBEAT_REQUEST || hb.type == TLS_HEARTBEAT_RESPONSE,
              HC_ERR_BAD_HEARTBEAT);
    *r = h;
    *out = hb;
    return HC_SUCCESS;
}

hc_result tls_heartbeat_write(struct wire_writer *w, const struct tls_heartbeat_params *p)
{
    /* One record carries at most 2^14 plaintext bytes (RFC 6520 section 4). Checked term by
     * term so that a huge payload_len or padding_len cannot wrap the sum around. */
    const size_t room = TLS_MAX_PLAINTEXT - TLS_HEARTBEAT_HEADER_LEN;
    if (p->payload_len > room || p->padding_len > room - p->payload_len)
        return wire_writer_fail(w, HC_ERR_LENGTH_TOO_BIG);
    struct wire_mark rec = tls_record_open(w, TLS_CT_HEARTBEAT, p->record_version);
    wire_write_u8(w, p->type);
    wire_write_u16(w, p->claimed_length);
    wire_write_bytes(w, p->payload, p->payload_len);
    wire_write_fill(w, p->padding_byte, p->padding_len);
    wire_close(w, rec);
    return wire_writer_result(w);
}
