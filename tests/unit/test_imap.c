/* IMAP prelude: Dovecot, Cyrus and Exchange-like servers; curl and openssl s_client. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#include <string.h>

#define C         PRELUDE_CLIENT
#define S         PRELUDE_SERVER
#define TLS_BYTES "\x16\x03\x01\x01\x2c\x01" /* no NUL: dialogue_text uses strlen */
#define DOVECOT_CAPS                                                                               \
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED"
#define DOVECOT_GREETING "* OK [CAPABILITY " DOVECOT_CAPS "] Dovecot (Debian) ready.\r\n"

/* Dovecot lists its capabilities in the greeting: no CAPABILITY command needed. */
static void test_client_dovecot(void **state)
{
    (void)state;
    struct dialogue d =
        dialogue_text("imap", C, DOVECOT_GREETING "a1 OK Begin TLS negotiation now.\r\n" TLS_BYTES,
                      "a1 STARTTLS\r\n", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

/* Cyrus-like: a bare greeting, CAPABILITY with untagged noise around it. */
static void test_client_capability_command(void **state)
{
    (void)state;
    struct dialogue d =
        dialogue_text("imap", C,
                      "* OK imap.example.com Cyrus IMAP v3.6.1-Debian server ready\r\n"
                      "* CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN SASL-IR\r\n"
                      "* OK [ALERT] maintenance tonight\r\n"
                      "a0 OK Completed\r\n"
                      "a1 OK Begin TLS negotiation now\r\n",
                      "a0 CAPABILITY\r\na1 STARTTLS\r\n", PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "imap", C, "* OK [CAPABILITY IMAP4rev1 SASL-IR ID IDLE AUTH=PLAIN] Dovecot ready.\r\n", "",
        PRELUDE_REFUSED, "STARTTLS not offered");
    dialogue_check(&d);

    d = dialogue_text("imap", C,
                      "* OK Microsoft Exchange Server IMAP4 service is ready.\r\n"
                      "* CAPABILITY IMAP4 IMAP4rev1 AUTH=NTLM IDLE NAMESPACE LITERAL+\r\n"
                      "a0 OK CAPABILITY completed.\r\n",
                      "a0 CAPABILITY\r\n", PRELUDE_REFUSED,
                      "STARTTLS not offered: \"a0 OK CAPABILITY completed.\"");
    dialogue_check(&d);

    d = dialogue_text("imap", C, DOVECOT_GREETING "a1 BAD TLS support isn't enabled.\r\n",
                      "a1 STARTTLS\r\n", PRELUDE_REFUSED,
                      "STARTTLS refused: \"a1 BAD TLS support isn't enabled.\"");
    dialogue_check(&d);

    d = dialogue_text("imap", C, "* PREAUTH IMAP4rev1 server logged in as anonymous\r\n", "",
                      PRELUDE_REFUSED, "pre-authenticated");
    dialogue_check(&d);

    d = dialogue_text("imap", C, "* BYE Too many connections from your IP\r\n", "", PRELUDE_REFUSED,
                      "greeting refused the session: \"* BYE Too many connections from your IP\"");
    dialogue_check(&d);

    d = dialogue_text("imap", C, "* OK ready\r\n* BYE Autologout; idle for too long\r\n",
                      "a0 CAPABILITY\r\n", PRELUDE_REFUSED, "server ended the session");
    dialogue_check(&d);

    d = dialogue_text("imap", C, "* OK ready\r\na0 NO not now\r\n", "a0 CAPABILITY\r\n",
                      PRELUDE_REFUSED, "CAPABILITY refused: \"a0 NO not now\"");
    dialogue_check(&d);
}

static void test_client_garbage(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("imap", C, "+OK Dovecot ready.\r\n", "", PRELUDE_FAILED,
                                      "not an IMAP greeting: \"+OK Dovecot ready.\"");
    dialogue_check(&d);
    d = dialogue_text("imap", C, "* OK ready\r\n+ go on\r\n", "a0 CAPABILITY\r\n", PRELUDE_FAILED,
                      "not an IMAP response: \"+ go on\"");
    dialogue_check(&d);
    /* A capability line without a capability, and a bare OK: nothing offered. */
    d = dialogue_text("imap", C, "* OK\r\n* CAPABILITY\r\na0 OK\r\n", "a0 CAPABILITY\r\n",
                      PRELUDE_REFUSED, "STARTTLS not offered");
    dialogue_check(&d);
}

/* curl imap:// --ssl-reqd (recorded): CAPABILITY, then STARTTLS, then its ClientHello. */
static void test_server_curl(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "imap", S, "A001 CAPABILITY\r\nA002 STARTTLS\r\n" TLS_BYTES,
        DOVECOT_GREETING "* CAPABILITY " DOVECOT_CAPS
                         "\r\nA001 OK Pre-login capabilities listed, post-login capabilities "
                         "have more.\r\nA002 OK Begin TLS negotiation now.\r\n",
        PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

static void test_server_commands(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "imap", S,
        "x NOOP\r\ny ID (\"name\" \"curl\")\r\nz LOGIN a b\r\nw FROB\r\n\r\nlonely\r\n"
        ". STARTTLS\r\n",
        DOVECOT_GREETING "x OK NOOP completed.\r\n* ID NIL\r\ny OK ID completed.\r\n"
                         "z NO [PRIVACYREQUIRED] Plaintext authentication disallowed on "
                         "non-secure (SSL/TLS) connections.\r\n"
                         "w BAD Error in IMAP command received by server.\r\n"
                         "* BAD Error in IMAP command received by server.\r\n"
                         "* BAD Error in IMAP command received by server.\r\n"
                         ". OK Begin TLS negotiation now.\r\n",
        PRELUDE_READY, NULL);
    dialogue_check(&d);

    d = dialogue_text("imap", S, "a LOGOUT\r\n",
                      DOVECOT_GREETING "* BYE Logging out\r\na OK Logout completed.\r\n",
                      PRELUDE_FAILED, "the client logged out before STARTTLS");
    dialogue_check(&d);

    char tag[200] = "";
    for (int i = 0; i < 70; i++)
        strcat(tag, "t");
    strcat(tag, " STARTTLS\r\n");
    d = dialogue_text("imap", S, tag, DOVECOT_GREETING, PRELUDE_FAILED,
                      "IMAP tag longer than 64 bytes");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 1);
}

static void test_server_refuses(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("imap", S, "a STARTTLS\r\n",
                                      DOVECOT_GREETING "a BAD TLS support isn't enabled.\r\n",
                                      PRELUDE_REFUSED, "refused as configured: \"a STARTTLS\"");
    d.params.refuse = true;
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_dovecot),  cmocka_unit_test(test_client_capability_command),
        cmocka_unit_test(test_client_refusals), cmocka_unit_test(test_client_garbage),
        cmocka_unit_test(test_server_curl),     cmocka_unit_test(test_server_commands),
        cmocka_unit_test(test_server_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
