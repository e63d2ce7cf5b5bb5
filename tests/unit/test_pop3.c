/* POP3 prelude: Dovecot 2.3 (recorded) and older servers; curl and openssl s_client. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#define C                PRELUDE_CLIENT
#define S                PRELUDE_SERVER
#define TLS_BYTES        "\x16\x03\x01\x01\x2c\x01" /* no NUL: dialogue_text uses strlen */
#define DOVECOT_GREETING "+OK Dovecot (Debian) ready.\r\n"
#define DOVECOT_CAPA                                                                               \
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\n" \
    "SASL PLAIN\r\n.\r\n"

static void test_client_dovecot(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "pop3", C, DOVECOT_GREETING DOVECOT_CAPA "+OK Begin TLS negotiation now.\r\n" TLS_BYTES,
        "CAPA\r\nSTLS\r\n", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    /* Dovecot 2.3.19 with ssl = no (recorded). */
    struct dialogue nossl = dialogue_text(
        "pop3", C,
        DOVECOT_GREETING "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"
                         "AUTH-RESP-CODE\r\nUSER\r\nSASL PLAIN\r\n.\r\n",
        "CAPA\r\n", PRELUDE_REFUSED,
        "STLS not offered: \"CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE USER SASL PLAIN\"");
    dialogue_check(&nossl);
    /* No STLS in the list; a dot-stuffed line is not a capability. */
    struct dialogue d = dialogue_text(
        "pop3", C,
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n+OK Capability list follows\r\n"
        "TOP\r\nUSER\r\n..STLS\r\nSASL CRAM-MD5 KERBEROS_V4\r\nIMPLEMENTATION "
        "Shlemazle-Plotz-v302\r\n"
        ".\r\n",
        "CAPA\r\n", PRELUDE_REFUSED, "STLS not offered");
    dialogue_check(&d);

    d = dialogue_text("pop3", C, "+OK ready\r\n-ERR unknown command\r\n", "CAPA\r\n",
                      PRELUDE_REFUSED, "CAPA refused: \"-ERR unknown command\"");
    dialogue_check(&d);

    d = dialogue_text(
        "pop3", C, DOVECOT_GREETING DOVECOT_CAPA "-ERR TLS support isn't enabled.\r\n",
        "CAPA\r\nSTLS\r\n", PRELUDE_REFUSED, "STLS refused: \"-ERR TLS support isn't enabled.\"");
    dialogue_check(&d);

    d = dialogue_text("pop3", C, "-ERR [SYS/TEMP] Too many connections\r\n", "", PRELUDE_REFUSED,
                      "greeting refused the session: \"-ERR [SYS/TEMP] Too many connections\"");
    dialogue_check(&d);
}

static void test_client_garbage(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("pop3", C, "* OK IMAP4rev1 ready\r\n", "", PRELUDE_FAILED,
                                      "not a POP3 reply: \"* OK IMAP4rev1 ready\"");
    dialogue_check(&d);
    d = dialogue_text("pop3", C, "+OKAY\r\n", "", PRELUDE_FAILED, "not a POP3 reply");
    dialogue_check(&d);
}

/* curl pop3:// --ssl-reqd and openssl s_client -starttls pop3 (recorded). */
static void test_server_clients(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "pop3", S, "CAPA\r\nSTLS\r\n" TLS_BYTES,
        DOVECOT_GREETING DOVECOT_CAPA "+OK Begin TLS negotiation now.\r\n", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
    d = dialogue_text("pop3", S, "STLS\r\n", DOVECOT_GREETING "+OK Begin TLS negotiation now.\r\n",
                      PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_server_commands(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "pop3", S, "USER bob\r\nNOOP\r\nQUIT\r\n",
        DOVECOT_GREETING "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) "
                         "connections.\r\n-ERR Unknown command.\r\n+OK Logging out\r\n",
        PRELUDE_FAILED, "the client quit before STLS");
    dialogue_check(&d);

    d = dialogue_text("pop3", S, "STLS\r\n", DOVECOT_GREETING "-ERR TLS support isn't enabled.\r\n",
                      PRELUDE_REFUSED, "refused as configured: \"STLS\"");
    d.params.refuse = true;
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_dovecot),  cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_client_garbage),  cmocka_unit_test(test_server_clients),
        cmocka_unit_test(test_server_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
