/* LDAP StartTLS (RFC 4511 §4.14): the extended operation 1.3.6.1.4.1.1466.20037 in BER.
 *
 * Client: the ExtendedRequest as message 1; its ExtendedResponse's resultCode 0 goes ahead,
 * any other is a refusal quoting the diagnosticMessage (as is a Notice of Disconnection,
 * RFC 4511 §4.4.1).
 * Server: slapd's answers: success with the responseName, or unavailable (52) "Could not
 * initialize TLS" when refusing. */
#include "proto/internal.h"

#include "wire/wire.h"

#include <stdio.h>
#include <string.h>

#define STARTTLS_OID "1.3.6.1.4.1.1466.20037"

enum {
    BER_INTEGER = 0x02,
    BER_OCTET_STRING = 0x04,
    BER_ENUMERATED = 0x0a,
    BER_SEQUENCE = 0x30,
    LDAP_EXTENDED_REQUEST = 0x77,  /* [APPLICATION 23] constructed */
    LDAP_EXTENDED_RESPONSE = 0x78, /* [APPLICATION 24] constructed */
    LDAP_REQUEST_NAME = 0x80,      /* [0] */
    LDAP_RESPONSE_NAME = 0x8a,     /* [10] */
    LDAP_UNBIND_REQUEST = 0x42,    /* [APPLICATION 2] primitive */
    LDAP_SUCCESS = 0,
    LDAP_UNAVAILABLE = 52,
    MESSAGE_ID_MAX_LEN = 4, /* MessageID is INTEGER (0 .. 2^31-1), RFC 4511 §4.1.1 */
};

/* One element: a single-byte tag and a definite length, short or long form (X.690 §8.1.3;
 * LDAP forbids the indefinite form, RFC 4511 §5.1). content reads exactly its bytes. */
static hc_result ber_element(struct wire_reader *r, uint8_t *tag, struct wire_reader *content)
{
    uint8_t first;
    HC_TRY(wire_read_u8(r, tag));
    HC_ENSURE((*tag & 0x1f) != 0x1f, HC_ERR_UNEXPECTED_MESSAGE); /* multi-byte tags: not LDAP's */
    HC_TRY(wire_read_u8(r, &first));
    size_t len = first;
    if (first & 0x80) {
        unsigned n = first & 0x7f;
        HC_ENSURE(n >= 1 && n <= 4, HC_ERR_LENGTH_TOO_BIG);
        uint32_t v = 0;
        for (unsigned i = 0; i < n; i++) {
            uint8_t b;
            HC_TRY(wire_read_u8(r, &b));
            v = v << 8 | b;
        }
        len = v;
    }
    const uint8_t *p;
    HC_TRY(wire_read_bytes(r, len, &p));
    *content = wire_reader_init(p, len);
    return HC_SUCCESS;
}

static hc_result ber_expect(struct wire_reader *r, uint8_t tag, struct wire_reader *content)
{
    uint8_t got;
    HC_TRY(ber_element(r, &got, content));
    HC_ENSURE(got == tag, HC_ERR_UNEXPECTED_MESSAGE);
    return HC_SUCCESS;
}

static hc_result ber_small_int(struct wire_reader *r, uint8_t tag, uint32_t *out)
{
    struct wire_reader v;
    HC_TRY(ber_expect(r, tag, &v));
    size_t n = wire_remaining(&v);
    HC_ENSURE(n >= 1 && n <= MESSAGE_ID_MAX_LEN && !(wire_peek(&v)[0] & 0x80),
              HC_ERR_UNEXPECTED_MESSAGE);
    *out = 0;
    while (wire_remaining(&v)) {
        uint8_t b;
        HC_TRY(wire_read_u8(&v, &b));
        *out = *out << 8 | b;
    }
    return HC_SUCCESS;
}

/* Gathers one LDAPMessage into st->in: its header first (tag, length byte, then the long
 * form's length bytes), then its content; true once complete. */
static bool gather_message(struct prelude *st, const uint8_t **p, size_t *left)
{
    if (st->want == 0) {
        if (!prelude_gather(st, p, left, 2))
            return false;
        if (st->in.data[0] != BER_SEQUENCE) {
            prelude_failed(st, "not an LDAP message", st->in.data, 2);
            return false;
        }
        uint8_t first = st->in.data[1];
        unsigned n = first & 0x80 ? first & 0x7f : 0;
        if (first == 0x80 || n > 4) {
            prelude_failed(st, "LDAP message with an unusable length form", NULL, 0);
            return false;
        }
        if (!prelude_gather(st, p, left, 2 + n))
            return false;
        size_t len = first & 0x80 ? 0 : first;
        for (unsigned i = 0; i < n; i++)
            len = len << 8 | st->in.data[2 + i];
        if (len > PRELUDE_LINE_MAX - 2 - n) {
            prelude_failed(st, "LDAP message longer than 4096 bytes", NULL, 0);
            return false;
        }
        st->want = 2 + n + len;
    }
    return prelude_gather(st, p, left, st->want);
}

/* The ExtendedRequest for StartTLS as message 1 (RFC 4511 §4.14.1). */
static void client_start(struct prelude *st)
{
    static const uint8_t request[] = {BER_SEQUENCE, 0x1d,
                                      BER_INTEGER,  0x01,
                                      0x01,         LDAP_EXTENDED_REQUEST,
                                      0x18,         LDAP_REQUEST_NAME,
                                      0x16,         '1',
                                      '.',          '3',
                                      '.',          '6',
                                      '.',          '1',
                                      '.',          '4',
                                      '.',          '1',
                                      '.',          '1',
                                      '4',          '6',
                                      '6',          '.',
                                      '2',          '0',
                                      '0',          '3',
                                      '7'};
    prelude_send(st, request, sizeof request);
    st->awaiting = "the StartTLS response";
}

static const char *result_name(uint32_t code)
{
    switch (code) {
    case 1: return "operationsError";
    case 2: return "protocolError";
    case 51: return "busy";
    case 52: return "unavailable";
    case 53: return "unwillingToPerform";
    case 80: return "other";
    default: return "error";
    }
}

/* LDAPMessage { messageID, ExtendedResponse { resultCode, matchedDN, diagnosticMessage,
 * referral?, responseName?, responseValue? }, controls? }. */
static hc_result on_response(struct prelude *st)
{
    struct wire_reader r = wire_reader_init(st->in.data, st->in.len), message, op;
    uint32_t id, code;
    HC_TRY(ber_expect(&r, BER_SEQUENCE, &message));
    HC_TRY(ber_small_int(&message, BER_INTEGER, &id));
    HC_TRY(ber_expect(&message, LDAP_EXTENDED_RESPONSE, &op));
    HC_ENSURE(id == 0 || id == 1, HC_ERR_UNEXPECTED_MESSAGE);
    HC_TRY(ber_small_int(&op, BER_ENUMERATED, &code));
    struct wire_reader dn, diagnostic;
    HC_TRY(ber_expect(&op, BER_OCTET_STRING, &dn));
    HC_TRY(ber_expect(&op, BER_OCTET_STRING, &diagnostic));
    char what[96];
    if (id == 0)
        snprintf(what, sizeof what, "server disconnected: resultCode %u (%s)", (unsigned)code,
                 result_name(code));
    else
        snprintf(what, sizeof what, "StartTLS refused: resultCode %u (%s)", (unsigned)code,
                 result_name(code));
    if (id == 1 && code == LDAP_SUCCESS)
        prelude_ready(st);
    else
        prelude_refused(st, what, wire_peek(&diagnostic), wire_remaining(&diagnostic));
    return HC_SUCCESS;
}

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    const uint8_t *p = data;
    size_t left = len;
    if (gather_message(st, &p, &left) && prelude_running(st) && !hc_ok(on_response(st)))
        prelude_failed(st, "not an LDAP ExtendedResponse to StartTLS", NULL, 0);
    return len - left;
}

static void server_start(struct prelude *st) { st->awaiting = "the StartTLS request"; }

/* slapd's answer: the client's messageID, the result, an empty matchedDN, the diagnostic, and
 * on success the responseName. Every length fits the short form. */
static void send_response(struct prelude *st, const uint8_t *id, size_t id_len, uint8_t code,
                          const char *diagnostic)
{
    uint8_t buf[160];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_u8(&w, BER_SEQUENCE);
    struct wire_mark message = wire_open(&w, 1);
    wire_write_u8(&w, BER_INTEGER);
    wire_write_u8(&w, (uint8_t)id_len);
    wire_write_bytes(&w, id, id_len);
    wire_write_u8(&w, LDAP_EXTENDED_RESPONSE);
    struct wire_mark op = wire_open(&w, 1);
    wire_write_bytes(&w, (uint8_t[]){BER_ENUMERATED, 1, code, BER_OCTET_STRING, 0}, 5);
    wire_write_u8(&w, BER_OCTET_STRING);
    struct wire_mark text = wire_open(&w, 1);
    wire_write_bytes(&w, diagnostic, strlen(diagnostic));
    wire_close(&w, text);
    if (code == LDAP_SUCCESS) {
        wire_write_u8(&w, LDAP_RESPONSE_NAME);
        struct wire_mark name = wire_open(&w, 1);
        wire_write_bytes(&w, STARTTLS_OID, strlen(STARTTLS_OID));
        wire_close(&w, name);
    }
    wire_close(&w, op);
    wire_close(&w, message);
    if (hc_ok(wire_writer_result(&w)) && w.len < 0x80)
        prelude_send(st, buf, w.len);
    else
        prelude_failed(st, "internal: LDAP response does not fit", NULL, 0);
}

/* LDAPMessage { messageID, ExtendedRequest { requestName [0], requestValue [1]? }, controls? }.
 * Anything but StartTLS first is not what a client that wants TLS sends. */
static hc_result on_request(struct prelude *st)
{
    struct wire_reader r = wire_reader_init(st->in.data, st->in.len), message, id, op, name;
    uint8_t tag;
    HC_TRY(ber_expect(&r, BER_SEQUENCE, &message));
    HC_TRY(ber_expect(&message, BER_INTEGER, &id));
    HC_ENSURE(wire_remaining(&id) >= 1 && wire_remaining(&id) <= MESSAGE_ID_MAX_LEN,
              HC_ERR_UNEXPECTED_MESSAGE);
    HC_TRY(ber_element(&message, &tag, &op));
    if (tag == LDAP_UNBIND_REQUEST) {
        prelude_failed(st, "the client unbound before StartTLS", NULL, 0);
        return HC_SUCCESS;
    }
    HC_ENSURE(tag == LDAP_EXTENDED_REQUEST, HC_ERR_UNEXPECTED_MESSAGE);
    HC_TRY(ber_expect(&op, LDAP_REQUEST_NAME, &name));
    if (wire_remaining(&name) != strlen(STARTTLS_OID) ||
        memcmp(wire_peek(&name), STARTTLS_OID, strlen(STARTTLS_OID)) != 0) {
        prelude_failed(st, "extended operation other than StartTLS", wire_peek(&name),
                       wire_remaining(&name));
    } else if (st->refuse) {
        send_response(st, wire_peek(&id), wire_remaining(&id), LDAP_UNAVAILABLE,
                      "Could not initialize TLS");
        prelude_refused(st, "refused as configured", "StartTLS", 8);
    } else {
        send_response(st, wire_peek(&id), wire_remaining(&id), LDAP_SUCCESS, "");
        prelude_ready(st);
    }
    return HC_SUCCESS;
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    const uint8_t *p = data;
    size_t left = len;
    if (gather_message(st, &p, &left) && prelude_running(st) && !hc_ok(on_request(st)))
        prelude_failed(st, "expected the StartTLS extended request", NULL, 0);
    return len - left;
}

const struct prelude_desc proto_ldap = {
    .name = "ldap",
    .summary = "LDAP StartTLS extended operation (RFC 4511 §4.14)",
    .ports = {389},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
