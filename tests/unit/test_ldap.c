/* LDAP prelude: slapd 2.5 (recorded), Active Directory-like long-form lengths, Notices of
 * Disconnection, refusals, broken BER; openssl s_client -starttls ldap. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#include <string.h>

#define OID_BYTES                                                                                  \
    0x31, 0x2e, 0x33, 0x2e, 0x36, 0x2e, 0x31, 0x2e, 0x34, 0x2e, 0x31, 0x2e, 0x31, 0x34, 0x36,      \
        0x36, 0x2e, 0x32, 0x30, 0x30, 0x33, 0x37
#define TLS_RECORD 0x16, 0x03, 0x01, 0x00, 0xf4, 0x01

/* What openssl s_client -starttls ldap and our client send (recorded). */
static const uint8_t request[] = {0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, OID_BYTES};
static const uint8_t request_then_tls[] = {0x30, 0x1d, 0x02, 0x01,      0x01,      0x77,
                                           0x18, 0x80, 0x16, OID_BYTES, TLS_RECORD};
/* slapd 2.5 with TLS (recorded), then the start of its ServerHello. */
static const uint8_t slapd_success[] = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07,      0x0a,
                                        0x01, 0x00, 0x04, 0x00, 0x04, 0x00, TLS_RECORD};
/* slapd 2.5 without TLS configured (recorded). */
static const uint8_t slapd_unsupported[] = {
    0x30, 0x2a, 0x02, 0x01, 0x01, 0x78, 0x25, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x1e, 'u',
    'n',  's',  'u',  'p',  'p',  'o',  'r',  't',  'e',  'd',  ' ',  'e',  'x',  't',  'e',
    'n',  'd',  'e',  'd',  ' ',  'o',  'p',  'e',  'r',  'a',  't',  'i',  'o',  'n'};
/* Active Directory style: four-byte long-form lengths and the responseName. */
static const uint8_t ad_success[] = {0x30, 0x84, 0x00, 0x00, 0x00, 0x28, 0x02,     0x01, 0x01,
                                     0x78, 0x84, 0x00, 0x00, 0x00, 0x1f, 0x0a,     0x01, 0x00,
                                     0x04, 0x00, 0x04, 0x00, 0x8a, 0x16, OID_BYTES};
static const uint8_t ad_unwilling[] = {
    0x30, 0x60, 0x02, 0x01, 0x01, 0x78, 0x5b, 0x0a, 0x01, 0x35, 0x04, 0x00, 0x04, 0x54,
    '0',  '0',  '0',  '0',  '0',  '0',  '0',  '0',  ':',  ' ',  'L',  'd',  'a',  'p',
    'E',  'r',  'r',  ':',  ' ',  'D',  'S',  'I',  'D',  '-',  '0',  'C',  '0',  '9',
    '1',  '2',  '0',  'F',  ',',  ' ',  'c',  'o',  'm',  'm',  'e',  'n',  't',  ':',
    ' ',  'E',  'r',  'r',  'o',  'r',  ' ',  'i',  'n',  'i',  't',  'i',  'a',  'l',
    'i',  'z',  'i',  'n',  'g',  ' ',  'S',  'S',  'L',  '/',  'T',  'L',  'S',  ',',
    ' ',  'd',  'a',  't',  'a',  ' ',  '0',  ',',  ' ',  'v',  '4',  '5',  '6',  '3'};
/* RFC 4511 §4.4.1: messageID 0, unavailable, responseName ...20036. */
static const uint8_t notice_of_disconnection[] = {
    0x30, 0x3f, 0x02, 0x01, 0x00, 0x78, 0x3a, 0x0a, 0x01, 0x34, 0x04, 0x00, 0x04,
    0x1b, 'T',  'h',  'e',  ' ',  's',  'e',  'r',  'v',  'e',  'r',  ' ',  'i',
    's',  ' ',  's',  'h',  'u',  't',  't',  'i',  'n',  'g',  ' ',  'd',  'o',
    'w',  'n',  0x8a, 0x16, 0x31, 0x2e, 0x33, 0x2e, 0x36, 0x2e, 0x31, 0x2e, 0x34,
    0x2e, 0x31, 0x2e, 0x31, 0x34, 0x36, 0x36, 0x2e, 0x32, 0x30, 0x30, 0x33, 0x36};

static struct dialogue bin(enum prelude_role role, const uint8_t *peer, size_t peer_len,
                           const uint8_t *ours, size_t ours_len, enum prelude_status status,
                           const char *reason)
{
    return (struct dialogue){.desc = proto_find("ldap"),
                             .role = role,
                             .peer = peer,
                             .peer_len = peer_len,
                             .ours = ours,
                             .ours_len = ours_len,
                             .status = status,
                             .reason = reason};
}

static void test_client_goes_ahead(void **state)
{
    (void)state;
    struct dialogue d = bin(PRELUDE_CLIENT, slapd_success, sizeof slapd_success, request,
                            sizeof request, PRELUDE_READY, NULL);
    d.leftover = 6;
    dialogue_check(&d);
    d = bin(PRELUDE_CLIENT, ad_success, sizeof ad_success, request, sizeof request, PRELUDE_READY,
            NULL);
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    struct dialogue d =
        bin(PRELUDE_CLIENT, slapd_unsupported, sizeof slapd_unsupported, request, sizeof request,
            PRELUDE_REFUSED,
            "StartTLS refused: resultCode 2 (protocolError): \"unsupported extended operation\"");
    dialogue_check(&d);
    d = bin(PRELUDE_CLIENT, ad_unwilling, sizeof ad_unwilling, request, sizeof request,
            PRELUDE_REFUSED,
            "resultCode 53 (unwillingToPerform): \"00000000: LdapErr: DSID-0C09120F, comment: "
            "Error initializing SSL/TLS");
    dialogue_check(&d);
    d = bin(PRELUDE_CLIENT, notice_of_disconnection, sizeof notice_of_disconnection, request,
            sizeof request, PRELUDE_REFUSED,
            "server disconnected: resultCode 52 (unavailable): \"The server is shutting down\"");
    dialogue_check(&d);
}

static void test_client_broken_ber(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[24];
        size_t len;
        const char *reason;
    } cases[] = {
        {{'H', 'T', 'T', 'P', '/', '1', '.', '1'}, 8, "not an LDAP message"},
        {{0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00}, 7, "unusable length form"},
        {{0x30, 0x85, 1, 0, 0, 0, 0}, 7, "unusable length form"},
        {{0x30, 0x84, 0x00, 0x01, 0x00, 0x00}, 6, "longer than 4096 bytes"},
        /* messageID 2: not the answer to our request */
        {{0x30, 0x0c, 0x02, 0x01, 0x02, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00},
         14,
         "not an LDAP ExtendedResponse"},
        /* a BindResponse */
        {{0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00},
         14,
         "not an LDAP ExtendedResponse"},
        /* the inner length claims more than the message holds */
        {{0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x09, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00},
         14,
         "not an LDAP ExtendedResponse"},
        /* a negative, then a five-byte messageID */
        {{0x30, 0x05, 0x02, 0x01, 0x81, 0x78, 0x00}, 7, "not an LDAP ExtendedResponse"},
        {{0x30, 0x09, 0x02, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x78, 0x00},
         11,
         "not an LDAP ExtendedResponse"},
        /* a multi-byte tag */
        {{0x30, 0x06, 0x02, 0x01, 0x01, 0x7f, 0x78, 0x00}, 8, "not an LDAP ExtendedResponse"},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        struct dialogue d = bin(PRELUDE_CLIENT, cases[i].bytes, cases[i].len, request,
                                sizeof request, PRELUDE_FAILED, cases[i].reason);
        dialogue_check(&d);
    }
}

static const uint8_t slapd_answer[] = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07,
                                       0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00};

static void test_server_openssl(void **state)
{
    (void)state;
    struct dialogue d = bin(PRELUDE_SERVER, request_then_tls, sizeof request_then_tls, slapd_answer,
                            sizeof slapd_answer, PRELUDE_READY, NULL);
    d.leftover = 6;
    dialogue_check(&d);

    /* messageID 300 in two bytes and long-form lengths: echoed as the client wrote it. */
    static const uint8_t req300[] = {0x30, 0x84, 0x00, 0x00, 0x00, 0x22, 0x02, 0x02, 0x01,     0x2c,
                                     0x77, 0x84, 0x00, 0x00, 0x00, 0x18, 0x80, 0x16, OID_BYTES};
    static const uint8_t resp300[] = {0x30, 0x0d, 0x02, 0x02, 0x01, 0x2c, 0x78, 0x07,
                                      0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00};
    d = bin(PRELUDE_SERVER, req300, sizeof req300, resp300, sizeof resp300, PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_server_refusals_and_failures(void **state)
{
    (void)state;
    struct dialogue d =
        bin(PRELUDE_SERVER, request, sizeof request, slapd_unsupported, sizeof slapd_unsupported,
            PRELUDE_REFUSED, "refused as configured: \"StartTLS\"");
    d.params.refuse = true;
    dialogue_check(&d);

    static const uint8_t bind[] = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07,
                                   0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00};
    d = bin(PRELUDE_SERVER, bind, sizeof bind, NULL, 0, PRELUDE_FAILED,
            "expected the StartTLS extended request");
    dialogue_check(&d);

    static const uint8_t whoami[] = {0x30, 0x1e, 0x02, 0x01, 0x05, 0x77, 0x19, 0x80,
                                     0x17, 0x31, 0x2e, 0x33, 0x2e, 0x36, 0x2e, 0x31,
                                     0x2e, 0x34, 0x2e, 0x31, 0x2e, 0x34, 0x32, 0x30,
                                     0x33, 0x2e, 0x31, 0x2e, 0x31, 0x31, 0x2e, 0x33};
    d = bin(PRELUDE_SERVER, whoami, sizeof whoami, NULL, 0, PRELUDE_FAILED,
            "extended operation other than StartTLS: \"1.3.6.1.4.1.4203.1.11.3\"");
    dialogue_check(&d);

    static const uint8_t unbind[] = {0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00};
    d = bin(PRELUDE_SERVER, unbind, sizeof unbind, NULL, 0, PRELUDE_FAILED,
            "the client unbound before StartTLS");
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_goes_ahead),
        cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_client_broken_ber),
        cmocka_unit_test(test_server_openssl),
        cmocka_unit_test(test_server_refusals_and_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
