/* DTLS 1.0 / 1.2 records, handshake fragments and their reassembly, HelloVerifyRequest, and
 * the DTLS forms of the ClientHello, ServerHello and heartbeat (RFC 4347, RFC 6347). */
#include "tls/extensions.h"

#include <stdlib.h>
#include <string.h>

enum { DTLS_MAJOR = 0xfe };

bool dtls_version_known(uint16_t version)
{
    return version == DTLS_VERSION_10 || version == DTLS_VERSION_12;
}

/* ---- records (RFC 6347 4.1) ---- */

static hc_result read_u48(struct wire_reader *r, uint64_t *out)
{
    uint16_t hi;
    uint32_t lo;
    HC_TRY(wire_read_u16(r, &hi));
    HC_TRY(wire_read_u32(r, &lo));
    *out = (uint64_t)hi << 32 | lo;
    return HC_SUCCESS;
}

static void write_u48(struct wire_writer *w, uint64_t v)
{
    wire_write_u16(w, (uint16_t)(v >> 32));
    wire_write_u16(w, (uint16_t)(v >> 16));
    wire_write_u16(w, (uint16_t)v);
}

hc_result dtls_record_next(struct wire_reader *datagram, struct dtls_record_header *hdr,
                           struct wire_reader *body)
{
    struct wire_reader d = *datagram;
    struct dtls_record_header h;
    HC_ENSURE(wire_remaining(&d) >= DTLS_RECORD_HEADER_LEN, HC_ERR_SHORT);
    HC_TRY(wire_read_u8(&d, &h.type));
    HC_TRY(wire_read_u16(&d, &h.version));
    HC_TRY(wire_read_u16(&d, &h.epoch));
    HC_TRY(read_u48(&d, &h.sequence));
    HC_TRY(wire_read_u16(&d, &h.length));
    bool known_type = h.type >= TLS_CT_CHANGE_CIPHER_SPEC && h.type <= TLS_CT_HEARTBEAT;
    HC_ENSURE(known_type && (h.version >> 8) == DTLS_MAJOR, HC_ERR_NOT_TLS);
    HC_ENSURE(h.length <= TLS_MAX_RECORD_BODY, HC_ERR_RECORD_TOO_LONG);
    const uint8_t *p;
    HC_TRY(wire_read_bytes(&d, h.length, &p));
    *body = wire_reader_init(p, h.length);
    *hdr = h;
    *datagram = d;
    return HC_SUCCESS;
}

struct wire_mark dtls_record_open(struct wire_writer *w, uint8_t type, uint16_t version,
                                  uint16_t epoch, uint64_t sequence)
{
    wire_write_u8(w, type);
    wire_write_u16(w, version);
    wire_write_u16(w, epoch);
    write_u48(w, sequence);
    return wire_open(w, 2);
}

/* ---- handshake fragments (RFC 6347 4.2.2) ---- */

hc_result dtls_fragment_next(struct wire_reader *record_body, struct dtls_fragment *out)
{
    struct wire_reader r = *record_body;
    struct dtls_fragment f;
    HC_TRY(wire_read_u8(&r, &f.type));
    HC_TRY(wire_read_u24(&r, &f.length));
    HC_TRY(wire_read_u16(&r, &f.message_seq));
    HC_TRY(wire_read_u24(&r, &f.offset));
    HC_TRY(wire_read_u24(&r, &f.data_len));
    HC_ENSURE(f.offset <= f.length && f.data_len <= f.length - f.offset, HC_ERR_BAD_FRAGMENT);
    HC_TRY(wire_read_bytes(&r, f.data_len, &f.data));
    *out = f;
    *record_body = r;
    return HC_SUCCESS;
}

void dtls_fragment_write(struct wire_writer *w, const struct dtls_fragment *f)
{
    wire_write_u8(w, f->type);
    wire_write_u24(w, f->length);
    wire_write_u16(w, f->message_seq);
    wire_write_u24(w, f->offset);
    wire_write_u24(w, f->data_len);
    wire_write_bytes(w, f->data, f->data_len);
}

/* A whole message as one fragment; its body was built in body (of len bytes). */
static void write_whole(struct wire_writer *w, uint8_t type, uint16_t message_seq,
                        const uint8_t *body, size_t len)
{
    if (len > 0xffffff) {
        (void)wire_writer_fail(w, HC_ERR_LENGTH_TOO_BIG);
        return;
    }
    struct dtls_fragment f = {.type = type,
                              .length = (uint32_t)len,
                              .message_seq = message_seq,
                              .offset = 0,
                              .data = body,
                              .data_len = (uint32_t)len};
    dtls_fragment_write(w, &f);
}

/* ---- HelloVerifyRequest (RFC 6347 4.2.1) ---- */

hc_result dtls_hello_verify_parse(const uint8_t *body, size_t len, struct dtls_hello_verify *out)
{
    struct wire_reader r = wire_reader_init(body, len);
    struct dtls_hello_verify hv;
    HC_TRY(wire_read_u16(&r, &hv.server_version));
    HC_ENSURE((hv.server_version >> 8) == DTLS_MAJOR, HC_ERR_BAD_VERSION);
    struct wire_reader cookie;
    HC_TRY(wire_read_vector(&r, 1, &cookie));
    hv.cookie_len = (uint8_t)wire_remaining(&cookie);
    HC_TRY(wire_copy_bytes(&cookie, hv.cookie, hv.cookie_len));
    HC_TRY(wire_reader_end(&r));
    *out = hv;
    return HC_SUCCESS;
}

void dtls_hello_verify_write(struct wire_writer *w, uint16_t message_seq,
                             const struct dtls_hello_verify *hv)
{
    uint8_t body[2 + 1 + DTLS_MAX_COOKIE];
    struct wire_writer b = wire_writer_init(body, sizeof body);
    wire_write_u16(&b, hv->server_version);
    struct wire_mark c = wire_open(&b, 1);
    wire_write_bytes(&b, hv->cookie, hv->cookie_len);
    wire_close(&b, c);
    write_whole(w, TLS_HS_HELLO_VERIFY_REQUEST, message_seq, body, b.len);
}

/* ---- ClientHello and ServerHello ---- */

enum { HELLO_BODY_MAX = 2048 }; /* suites, SNI of 255 and the other extensions: about 600 */

hc_result dtls_client_hello_write(struct wire_writer *w, const struct dtls_client_hello_params *p)
{
    const struct tls_client_hello_params *h = &p->hello;
    if (h->server_name && strlen(h->server_name) > 255)
        return wire_writer_fail(w, HC_ERR_USAGE); /* RFC 6066: HostName is at most 255 */
    if (p->cookie_len > DTLS_MAX_COOKIE)
        return wire_writer_fail(w, HC_ERR_USAGE);
    uint8_t body[HELLO_BODY_MAX];
    struct wire_writer b = wire_writer_init(body, sizeof body);
    struct tls_hello_cookie cookie = {p->cookie, p->cookie_len};
    tls_client_hello_body_write(&b, h, &cookie, TLS_NO_PADDING);
    HC_TRY(wire_writer_result(&b));
    struct wire_mark rec =
        dtls_record_open(w, TLS_CT_HANDSHAKE, h->record_version, p->epoch, p->sequence);
    write_whole(w, TLS_HS_CLIENT_HELLO, p->message_seq, body, b.len);
    wire_close(w, rec);
    return wire_writer_result(w);
}

hc_result dtls_client_hello_parse(const uint8_t *body, size_t len, struct tls_client_hello *out,
                                  uint8_t *cookie, size_t *cookie_len)
{
    struct tls_hello_cookie c;
    HC_TRY(tls_client_hello_body_parse(body, len, out, &c));
    memcpy(cookie, c.data, c.len);
    *cookie_len = c.len;
    return HC_SUCCESS;
}

hc_result dtls_server_hello_parse(const uint8_t *body, size_t len, struct tls_server_hello *out)
{
    return tls_server_hello_body_parse(body, len, dtls_version_known, out);
}

/* ---- heartbeats (RFC 6520 section 3 over RFC 6347 records) ---- */

hc_result dtls_heartbeat_write(struct wire_writer *w, const struct tls_heartbeat_params *p,
                               uint16_t epoch, uint64_t sequence)
{
    const size_t room = TLS_MAX_PLAINTEXT - TLS_HEARTBEAT_HEADER_LEN;
    if (p->payload_len > room || p->padding_len > room - p->payload_len)
        return wire_writer_fail(w, HC_ERR_LENGTH_TOO_BIG);
    struct wire_mark rec =
        dtls_record_open(w, TLS_CT_HEARTBEAT, p->record_version, epoch, sequence);
    wire_write_u8(w, p->type);
    wire_write_u16(w, p->claimed_length);
    wire_write_bytes(w, p->payload, p->payload_len);
    wire_write_fill(w, p->padding_byte, p->padding_len);
    wire_close(w, rec);
    return wire_writer_result(w);
}

/* ---- reassembly ---- */

void dtls_reassembly_init(struct dtls_reassembly *r, size_t max_message, uint16_t next_seq)
{
    memset(r, 0, sizeof *r);
    r->max_message = max_message;
    r->next_seq = next_seq;
}

static void partial_free(struct dtls_partial *s)
{
    free(s->data);
    free(s->seen);
    memset(s, 0, sizeof *s);
}

void dtls_reassembly_free(struct dtls_reassembly *r)
{
    for (size_t i = 0; i < DTLS_REASSEMBLY_WINDOW; i++)
        partial_free(&r->slot[i]);
    free(r->given);
    r->given = NULL;
}

static hc_result partial_start(struct dtls_partial *s, const struct dtls_fragment *f)
{
    /* One byte more than needed: calloc(0) may give NULL, and an empty message is valid. */
    s->data = malloc((size_t)f->length + 1);
    s->seen = calloc((size_t)f->length / 8 + 1, 1);
    if (!s->data || !s->seen) {
        partial_free(s);
        return HC_RESULT(HC_ERR_NOMEM);
    }
    s->used = true;
    s->type = f->type;
    s->length = f->length;
    s->have = 0;
    return HC_SUCCESS;
}

/* Bytes already received are kept: a retransmission carries the same ones. */
static void partial_fill(struct dtls_partial *s, const struct dtls_fragment *f)
{
    for (uint32_t i = 0; i < f->data_len; i++) {
        uint32_t at = f->offset + i;
        uint8_t bit = (uint8_t)(1u << (at % 8));
        if (s->seen[at / 8] & bit)
            continue;
        s->seen[at / 8] |= bit;
        s->data[at] = f->data[i];
        s->have++;
    }
}

hc_result dtls_reassembly_add(struct dtls_reassembly *r, const struct dtls_fragment *f)
{
    uint16_t ahead = (uint16_t)(f->message_seq - r->next_seq);
    if (ahead >= DTLS_REASSEMBLY_WINDOW)
        return HC_SUCCESS; /* already handed out, or too far ahead: retransmitted later */
    HC_ENSURE(f->length <= r->max_message, HC_ERR_MESSAGE_TOO_LONG);
    struct dtls_partial *s = &r->slot[ahead];
    if (!s->used)
        HC_TRY(partial_start(s, f));
    HC_ENSURE(s->type == f->type && s->length == f->length, HC_ERR_BAD_FRAGMENT);
    partial_fill(s, f);
    return HC_SUCCESS;
}

hc_result dtls_reassembly_next(struct dtls_reassembly *r, struct tls_handshake_message *out)
{
    free(r->given);
    r->given = NULL;
    struct dtls_partial *s = &r->slot[0];
    HC_ENSURE(s->used && s->have == s->length, HC_ERR_SHORT);
    out->type = s->type;
    out->body = s->data;
    out->len = s->length;
    r->given = s->data;
    free(s->seen);
    memmove(&r->slot[0], &r->slot[1], sizeof r->slot[0] * (DTLS_REASSEMBLY_WINDOW - 1));
    memset(&r->slot[DTLS_REASSEMBLY_WINDOW - 1], 0, sizeof r->slot[0]);
    r->next_seq++;
    return HC_SUCCESS;
}
