/* MySQL / MariaDB / Percona SSL request (client/server protocol: "Initial Handshake",
 * "SSLRequest"). Integers are little-endian; each packet has a 3-byte length and a
 * sequence id.
 *
 * Client: the server's greeting (protocol 10) or its error packet (0xff: "Host ... is not
 * allowed to connect"), CLIENT_SSL in its capabilities, then the 32-byte SSL request with
 * sequence id 1 and TLS at once: the server answers nothing before the ClientHello.
 * Server: a MariaDB 10.11-like greeting offering SSL (without it when refusing). */
#include "proto/internal.h"

#include "wire/wire.h"

#include <stdio.h>
#include <string.h>

enum {
    PACKET_HEADER_LEN = 4,
    SSL_REQUEST_LEN = 32,
    PROTOCOL_10 = 10,
    ERROR_PACKET = 0xff,
    CHARSET_UTF8 = 33, /* utf8_general_ci */
    MAX_PACKET = 1 << 24,
};

/* Capability flags. */
enum {
    CLIENT_LONG_PASSWORD = 1u << 0,
    CLIENT_LONG_FLAG = 1u << 2,
    CLIENT_PROTOCOL_41 = 1u << 9,
    CLIENT_SSL = 1u << 11,
    CLIENT_TRANSACTIONS = 1u << 13,
    CLIENT_SECURE_CONNECTION = 1u << 15,
    CLIENT_MULTI_RESULTS = 1u << 17,
    CLIENT_PLUGIN_AUTH = 1u << 19,
    /* What a plain client asks for; the SSL request only has to be well-formed. */
    CLIENT_WANTED = CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 |
                    CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS |
                    CLIENT_PLUGIN_AUTH,
    /* MariaDB 10.11's, SSL aside. */
    SERVER_CAPABILITIES = 0x81bff7feu,
};

static hc_result read_le(struct wire_reader *r, unsigned n, uint32_t *out)
{
    const uint8_t *p;
    HC_TRY(wire_read_bytes(r, n, &p));
    *out = 0;
    for (unsigned i = n; i-- > 0;)
        *out = *out << 8 | p[i];
    return HC_SUCCESS;
}

static void write_le(struct wire_writer *w, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        wire_write_u8(w, (uint8_t)(v >> (8 * i)));
}

/* A NUL-terminated string: *len without the NUL. */
static hc_result read_cstring(struct wire_reader *r, const uint8_t **s, size_t *len)
{
    *s = wire_peek(r);
    const uint8_t *nul = *s ? memchr(*s, '\0', wire_remaining(r)) : NULL;
    HC_ENSURE(nul, HC_ERR_SHORT);
    *len = (size_t)(nul - *s);
    return wire_skip(r, *len + 1);
}

/* Gathers one packet into st->in; true with its payload in *payload once complete. */
static bool gather_packet(struct prelude *st, const uint8_t **p, size_t *left,
                          struct wire_reader *payload)
{
    if (st->in.len < PACKET_HEADER_LEN) {
        if (!prelude_gather(st, p, left, PACKET_HEADER_LEN))
            return false;
        struct wire_reader r = wire_reader_init(st->in.data, PACKET_HEADER_LEN);
        uint32_t len;
        if (!hc_ok(read_le(&r, 3, &len)) || len == 0 ||
            len > PRELUDE_LINE_MAX - PACKET_HEADER_LEN) {
            prelude_failed(st, "not a MySQL packet (length out of bounds)", NULL, 0);
            return false;
        }
        st->want = PACKET_HEADER_LEN + len;
    }
    if (!prelude_gather(st, p, left, st->want))
        return false;
    *payload = wire_reader_init(st->in.data + PACKET_HEADER_LEN, st->want - PACKET_HEADER_LEN);
    return true;
}

/* ERR_Packet: 0xff, the error code, optionally '#' and a 5-character SQL state, the message.
 * Before the handshake there is no SQL state, but some servers send one anyway. */
static hc_result on_error_packet(struct prelude *st, struct wire_reader *r)
{
    uint32_t code;
    HC_TRY(read_le(r, 2, &code));
    if (wire_remaining(r) >= 6 && wire_peek(r)[0] == '#')
        HC_TRY(wire_skip(r, 6));
    char words[PRELUDE_REASON_MAX + 1];
    int n = snprintf(words, sizeof words, "%u %.*s", code, (int)wire_remaining(r),
                     (const char *)wire_peek(r));
    prelude_refused(st, "server refused the connection", words,
                    n < (int)sizeof words ? (size_t)n : sizeof words - 1);
    return HC_SUCCESS;
}

static void send_ssl_request(struct prelude *st, uint32_t server_caps)
{
    uint8_t packet[PACKET_HEADER_LEN + SSL_REQUEST_LEN];
    struct wire_writer w = wire_writer_init(packet, sizeof packet);
    write_le(&w, SSL_REQUEST_LEN, 3);
    wire_write_u8(&w, 1); /* sequence id: the greeting was 0 */
    write_le(&w, (CLIENT_WANTED & server_caps) | CLIENT_PROTOCOL_41 | CLIENT_SSL, 4);
    write_le(&w, MAX_PACKET, 4);
    wire_write_u8(&w, CHARSET_UTF8);
    wire_write_fill(&w, 0, 23); /* filler */
    if (hc_ok(wire_writer_result(&w)))
        prelude_send(st, packet, w.len);
    else
        prelude_failed(st, "internal: SSL request does not fit", NULL, 0);
}

/* Protocol::HandshakeV10: version, server version, thread id, 8 bytes of scramble, filler,
 * the low capability bytes, then (optionally) charset, status and the high capability bytes. */
static hc_result on_greeting(struct prelude *st, struct wire_reader *r)
{
    uint8_t protocol;
    HC_TRY(wire_read_u8(r, &protocol));
    if (protocol == ERROR_PACKET)
        return on_error_packet(st, r);
    if (protocol != PROTOCOL_10) {
        prelude_failed(st, "not a MySQL greeting (protocol version is not 10)", NULL, 0);
        return HC_SUCCESS;
    }
    const uint8_t *version;
    size_t version_len;
    uint32_t thread, caps, caps_high = 0;
    uint8_t filler;
    HC_TRY(read_cstring(r, &version, &version_len));
    HC_TRY(read_le(r, 4, &thread));
    HC_TRY(wire_skip(r, 8));
    HC_TRY(wire_read_u8(r, &filler));
    HC_TRY(read_le(r, 2, &caps));
    if (wire_remaining(r) >= 5) {
        HC_TRY(wire_skip(r, 3)); /* charset, status flags */
        HC_TRY(read_le(r, 2, &caps_high));
    }
    caps |= caps_high << 16;
    if (!(caps & CLIENT_SSL))
        prelude_refused(st, "server does not offer SSL", version, version_len);
    else if (!(caps & CLIENT_PROTOCOL_41))
        prelude_refused(st, "server predates protocol 4.1", version, version_len);
    else {
        send_ssl_request(st, caps);
        prelude_ready(st);
    }
    return HC_SUCCESS;
}

static void client_start(struct prelude *st) { st->awaiting = "the server greeting"; }

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    const uint8_t *p = data;
    size_t left = len;
    struct wire_reader payload;
    if (gather_packet(st, &p, &left, &payload) && !hc_ok(on_greeting(st, &payload)))
        prelude_failed(st, "malformed MySQL greeting", NULL, 0);
    return len - left;
}

static void server_start(struct prelude *st)
{
    /* The scramble is fixed: TLS starts before any authentication uses it. */
    static const uint8_t scramble[20] = "hc-prelude-scramble!";
    static const char version[] = "5.5.5-10.11.6-MariaDB-0+deb12u1";
    uint32_t caps = st->refuse ? SERVER_CAPABILITIES : SERVER_CAPABILITIES | CLIENT_SSL;
    uint8_t packet[128];
    struct wire_writer w = wire_writer_init(packet, sizeof packet);
    write_le(&w, 0, 3); /* filled below */
    wire_write_u8(&w, 0);
    wire_write_u8(&w, PROTOCOL_10);
    wire_write_bytes(&w, version, sizeof version); /* with its NUL */
    write_le(&w, 31, 4);                           /* thread id */
    wire_write_bytes(&w, scramble, 8);
    wire_write_u8(&w, 0);
    write_le(&w, caps & 0xffff, 2);
    wire_write_u8(&w, 45);   /* utf8mb4_general_ci */
    write_le(&w, 0x0002, 2); /* SERVER_STATUS_AUTOCOMMIT */
    write_le(&w, caps >> 16, 2);
    wire_write_u8(&w, sizeof scramble + 1);
    wire_write_fill(&w, 0, 10); /* reserved */
    wire_write_bytes(&w, scramble + 8, sizeof scramble - 8);
    wire_write_u8(&w, 0);
    wire_write_bytes(&w, "mysql_native_password", sizeof "mysql_native_password");
    if (!hc_ok(wire_writer_result(&w))) {
        prelude_failed(st, "internal: greeting does not fit", NULL, 0);
        return;
    }
    struct wire_writer header = wire_writer_init(packet, 3);
    write_le(&header, (uint32_t)(w.len - PACKET_HEADER_LEN), 3);
    prelude_send(st, packet, w.len);
    if (st->refuse)
        prelude_refused(st, "refused as configured: the greeting does not offer SSL", NULL, 0);
    st->awaiting = "the SSL request";
}

/* The SSL request is a HandshakeResponse41 cut after its 32 fixed bytes, with CLIENT_SSL. */
static hc_result on_response(struct prelude *st, struct wire_reader *r)
{
    uint32_t caps;
    HC_TRY(read_le(r, 4, &caps));
    size_t rest = wire_remaining(r);
    if (caps & CLIENT_SSL && rest == SSL_REQUEST_LEN - 4)
        prelude_ready(st);
    else if (!(caps & CLIENT_SSL) && rest > SSL_REQUEST_LEN - 4)
        prelude_refused(st, "the client went on without SSL", NULL, 0);
    else
        prelude_failed(st, "not a MySQL SSL request", NULL, 0);
    return HC_SUCCESS;
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    const uint8_t *p = data;
    size_t left = len;
    struct wire_reader payload;
    if (gather_packet(st, &p, &left, &payload) && !hc_ok(on_response(st, &payload)))
        prelude_failed(st, "not a MySQL SSL request", NULL, 0);
    return len - left;
}

const struct prelude_desc proto_mysql = {
    .name = "mysql",
    .summary = "MySQL/MariaDB/Percona SSL request",
    .ports = {3306},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
