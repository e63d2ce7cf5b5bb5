/* PostgreSQL SSLRequest (PostgreSQL protocol 3.0, "SSL Session Encryption").
 *
 * Client: the 8-byte SSLRequest; 'S' goes ahead, 'N' refuses, and a server that does not
 * know the request answers with an ErrorResponse whose message the refusal quotes.
 * Server: 'S' (or 'N' when refusing); a GSSENCRequest first gets 'N', as from a server built
 * without GSSAPI, and the client then asks for SSL. */
#include "proto/internal.h"

#include "wire/wire.h"

#include <stdio.h>
#include <string.h>

enum {
    SSL_REQUEST_CODE = 80877103,    /* 1234 << 16 | 5679 */
    GSSENC_REQUEST_CODE = 80877104, /* 1234 << 16 | 5680 */
    REQUEST_LEN = 8,
    STARTUP_MAX = 10000, /* the server's own limit on a startup packet */
};

enum { STEP_ANSWER, STEP_ERROR_LENGTH, STEP_ERROR_BODY };

static void client_start(struct prelude *st)
{
    static const uint8_t ssl_request[REQUEST_LEN] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    prelude_send(st, ssl_request, sizeof ssl_request);
    st->step = STEP_ANSWER;
    st->awaiting = "the answer to the SSLRequest";
}

/* ErrorResponse fields: a type byte and a NUL-terminated string each, then a 0 byte. The
 * refusal quotes the severity and the message ('S', 'M'). */
static hc_result quote_error(struct prelude *st, const uint8_t *body, size_t len)
{
    struct wire_reader r = wire_reader_init(body, len);
    char words[PRELUDE_REASON_MAX + 1] = "";
    size_t at = 0;
    for (;;) {
        uint8_t type;
        HC_TRY(wire_read_u8(&r, &type));
        if (type == 0)
            break;
        const uint8_t *text = wire_peek(&r);
        const uint8_t *nul = memchr(text, '\0', wire_remaining(&r));
        HC_ENSURE(nul, HC_ERR_SHORT);
        size_t n = (size_t)(nul - text);
        HC_TRY(wire_skip(&r, n + 1));
        if ((type == 'S' || type == 'M') && at < sizeof words - 1)
            at += (size_t)snprintf(words + at, sizeof words - at, "%s%.*s", at ? ": " : "",
                                   (int)(n < PRELUDE_REASON_MAX ? n : PRELUDE_REASON_MAX),
                                   (const char *)text);
    }
    HC_TRY(wire_reader_end(&r));
    at = at < sizeof words ? at : sizeof words - 1;
    prelude_refused(st, "SSLRequest refused with an error", words, at);
    return HC_SUCCESS;
}

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    const uint8_t *p = data;
    size_t left = len;
    while (left && prelude_running(st)) {
        if (st->step == STEP_ANSWER) {
            uint8_t answer = *p++;
            left--;
            if (answer == 'S')
                prelude_ready(st);
            else if (answer == 'N')
                prelude_refused(st, "server does not do SSL (answered 'N')", NULL, 0);
            else if (answer == 'E') {
                st->step = STEP_ERROR_LENGTH;
                st->awaiting = "the ErrorResponse";
            } else
                prelude_failed(st, "not a PostgreSQL answer to SSLRequest", &answer, 1);
        } else if (st->step == STEP_ERROR_LENGTH) {
            if (!prelude_gather(st, &p, &left, 4))
                continue;
            struct wire_reader r = wire_reader_init(st->in.data, 4);
            uint32_t n;
            if (!hc_ok(wire_read_u32(&r, &n)) || n < 5 || n > PRELUDE_LINE_MAX) {
                prelude_failed(st, "ErrorResponse length out of bounds", NULL, 0);
                continue;
            }
            st->want = n; /* the length counts itself */
            st->step = STEP_ERROR_BODY;
        } else if (prelude_gather(st, &p, &left, st->want)) {
            if (!hc_ok(quote_error(st, st->in.data + 4, st->want - 4)))
                prelude_failed(st, "malformed ErrorResponse", NULL, 0);
        }
    }
    return len - left;
}

static void server_start(struct prelude *st)
{
    st->step = 0;
    st->awaiting = "the SSLRequest";
}

static void on_request(struct prelude *st, uint32_t length, uint32_t code)
{
    st->in.len = 0;
    if (length == REQUEST_LEN && code == GSSENC_REQUEST_CODE) {
        prelude_send_str(st, "N");
        if (prelude_count_command(st))
            st->awaiting = "the SSLRequest after GSSENCRequest";
    } else if (length == REQUEST_LEN && code == SSL_REQUEST_CODE && st->refuse) {
        prelude_send_str(st, "N");
        prelude_refused(st, "refused as configured", "SSLRequest", 10);
    } else if (length == REQUEST_LEN && code == SSL_REQUEST_CODE) {
        prelude_send_str(st, "S");
        prelude_ready(st);
    } else if (length > REQUEST_LEN && code >> 16 == 3)
        prelude_refused(st, "the client sent its startup message without asking for SSL", NULL, 0);
    else
        prelude_failed(st, "not an SSLRequest", NULL, 0);
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    const uint8_t *p = data;
    size_t left = len;
    while (left && prelude_running(st) && prelude_gather(st, &p, &left, REQUEST_LEN)) {
        struct wire_reader r = wire_reader_init(st->in.data, REQUEST_LEN);
        uint32_t length, code;
        if (!hc_ok(wire_read_u32(&r, &length)) || !hc_ok(wire_read_u32(&r, &code)))
            prelude_failed(st, "internal: short request", NULL, 0);
        else if (length < REQUEST_LEN || length > STARTUP_MAX)
            prelude_failed(st, "not a PostgreSQL startup packet", NULL, 0);
        else
            on_request(st, length, code);
    }
    return len - left;
}

const struct prelude_desc proto_postgres = {
    .name = "postgres",
    .summary = "PostgreSQL SSLRequest",
    .ports = {5432},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
