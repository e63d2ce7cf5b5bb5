/* PostgreSQL prelude: 'S', 'N', ErrorResponse from servers that do not know SSLRequest; psql
 * and openssl s_client -starttls postgres; GSSENCRequest first. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#include <string.h>

#define SSL_REQUEST    0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f
#define GSSENC_REQUEST 0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x30
#define TLS_RECORD     0x16, 0x03, 0x01, 0x00, 0xf4, 0x01

static const uint8_t ssl_request[] = {SSL_REQUEST};

static struct dialogue bin(enum prelude_role role, const void *peer, size_t peer_len,
                           const void *ours, size_t ours_len, enum prelude_status status,
                           const char *reason)
{
    return (struct dialogue){.desc = proto_find("postgres"),
                             .role = role,
                             .peer = peer,
                             .peer_len = peer_len,
                             .ours = ours,
                             .ours_len = ours_len,
                             .status = status,
                             .reason = reason};
}

static void test_client(void **state)
{
    (void)state;
    static const uint8_t yes[] = {'S', TLS_RECORD};
    struct dialogue d =
        bin(PRELUDE_CLIENT, yes, sizeof yes, ssl_request, sizeof ssl_request, PRELUDE_READY, NULL);
    d.leftover = 6;
    dialogue_check(&d);

    d = bin(PRELUDE_CLIENT, "N", 1, ssl_request, sizeof ssl_request, PRELUDE_REFUSED,
            "server does not do SSL (answered 'N')");
    dialogue_check(&d);
}

/* A server that does not know SSLRequest answers with an ErrorResponse (protocol 3.0). */
static void test_client_error_response(void **state)
{
    (void)state;
    static const char error[] = "E\x00\x00\x00\x89"
                                "SFATAL\0VFATAL\0C0A000\0"
                                "Munsupported frontend protocol 1234.5679: server supports 3.0 "
                                "to 3.0\0Fpostmaster.c\0L2180\0RProcessStartupPacket\0";
    struct dialogue d =
        bin(PRELUDE_CLIENT, error, sizeof error, ssl_request, sizeof ssl_request, PRELUDE_REFUSED,
            "SSLRequest refused with an error: \"FATAL: unsupported frontend "
            "protocol 1234.5679: server supports 3.0 to 3.0\"");
    dialogue_check(&d);
}

static void test_client_garbage(void **state)
{
    (void)state;
    struct dialogue d = bin(PRELUDE_CLIENT, "HTTP/1.1 400", 12, ssl_request, sizeof ssl_request,
                            PRELUDE_FAILED, "not a PostgreSQL answer to SSLRequest: \"H\"");
    dialogue_check(&d);
    static const char long_error[] = "E\x00\x01\x00\x00";
    d = bin(PRELUDE_CLIENT, long_error, sizeof long_error - 1, ssl_request, sizeof ssl_request,
            PRELUDE_FAILED, "ErrorResponse length out of bounds");
    dialogue_check(&d);
    static const char short_error[] = "E\x00\x00\x00\x04";
    d = bin(PRELUDE_CLIENT, short_error, sizeof short_error - 1, ssl_request, sizeof ssl_request,
            PRELUDE_FAILED, "ErrorResponse length out of bounds");
    dialogue_check(&d);
    /* a field without its NUL, and fields without the final 0 */
    static const char unterminated[] = "E\x00\x00\x00\x08Mabc";
    d = bin(PRELUDE_CLIENT, unterminated, sizeof unterminated - 1, ssl_request, sizeof ssl_request,
            PRELUDE_FAILED, "malformed ErrorResponse");
    dialogue_check(&d);
    static const char no_end[] = "E\x00\x00\x00\x09Mabc\0";
    d = bin(PRELUDE_CLIENT, no_end, sizeof no_end - 1, ssl_request, sizeof ssl_request,
            PRELUDE_FAILED, "malformed ErrorResponse");
    dialogue_check(&d);
    static const char trailing[] = "E\x00\x00\x00\x0bMabc\0\0xy";
    d = bin(PRELUDE_CLIENT, trailing, sizeof trailing - 1, ssl_request, sizeof ssl_request,
            PRELUDE_FAILED, "malformed ErrorResponse");
    dialogue_check(&d);
}

/* psql sslmode=require and openssl s_client -starttls postgres (recorded): the SSLRequest,
 * then the ClientHello; a libpq with GSSAPI asks for GSS encryption first. */
static void test_server(void **state)
{
    (void)state;
    static const uint8_t psql[] = {SSL_REQUEST, TLS_RECORD};
    struct dialogue d = bin(PRELUDE_SERVER, psql, sizeof psql, "S", 1, PRELUDE_READY, NULL);
    d.leftover = 6;
    dialogue_check(&d);

    static const uint8_t gss_first[] = {GSSENC_REQUEST, SSL_REQUEST};
    d = bin(PRELUDE_SERVER, gss_first, sizeof gss_first, "NS", 2, PRELUDE_READY, NULL);
    dialogue_check(&d);

    d = bin(PRELUDE_SERVER, ssl_request, sizeof ssl_request, "N", 1, PRELUDE_REFUSED,
            "refused as configured: \"SSLRequest\"");
    d.params.refuse = true;
    dialogue_check(&d);
}

static void test_server_other_packets(void **state)
{
    (void)state;
    /* StartupMessage, protocol 3.0, user=postgres: the client goes on without SSL. */
    static const char startup[] = "\x00\x00\x00\x17\x00\x03\x00\x00user\0postgres\0\0";
    struct dialogue d = bin(PRELUDE_SERVER, startup, sizeof startup - 1, NULL, 0, PRELUDE_REFUSED,
                            "startup message without asking for SSL");
    dialogue_check(&d);
    /* CancelRequest */
    static const uint8_t cancel[] = {0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2};
    d = bin(PRELUDE_SERVER, cancel, sizeof cancel, NULL, 0, PRELUDE_FAILED, "not an SSLRequest");
    dialogue_check(&d);
    static const char *const lengths[] = {"\x00\x00\x00\x04....", "\xff\xff\xff\xff....",
                                          "GET / HTTP/1.1\r\n"};
    for (size_t i = 0; i < HC_ARRAY_LEN(lengths); i++) {
        d = bin(PRELUDE_SERVER, lengths[i], 8, NULL, 0, PRELUDE_FAILED,
                "not a PostgreSQL startup packet");
        dialogue_check(&d);
    }
    /* GSSENCRequests without end hit the command bound. */
    static uint8_t many[40 * 8];
    for (size_t i = 0; i < sizeof many; i += 8)
        memcpy(many + i, (const uint8_t[]){GSSENC_REQUEST}, 8);
    static char ns[33];
    memset(ns, 'N', sizeof ns);
    d = bin(PRELUDE_SERVER, many, sizeof many, ns, sizeof ns, PRELUDE_FAILED,
            "more than 32 commands");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_client_error_response),
        cmocka_unit_test(test_client_garbage),
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_server_other_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
