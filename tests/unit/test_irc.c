/* IRC prelude: InspIRCd/UnrealIRCd-like servers (notices, PING, 670/691, 421/451); openssl
 * s_client -starttls irc. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#include <string.h>

#define C         PRELUDE_CLIENT
#define S         PRELUDE_SERVER
#define TLS_BYTES "\x16\x03\x01\x01\x2c\x01" /* no NUL: dialogue_text uses strlen */

static void test_client_inspircd(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "irc", C,
        ":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"
        ":irc.example.net NOTICE * :*** Could not resolve your hostname; using your IP\r\n"
        "PING :8BC3F2A1\r\n"
        "@time=2026-12-04T17:00:00.000Z :irc.example.net 020 * :Please wait\r\n"
        "\r\n"
        ":irc.example.net 670 * :STARTTLS successful, go ahead with TLS handshake\r\n" TLS_BYTES,
        "STARTTLS\r\nPONG :8BC3F2A1\r\n", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    struct dialogue d =
        dialogue_text("irc", C, ":irc.example.net 691 * :STARTTLS failure\r\n", "STARTTLS\r\n",
                      PRELUDE_REFUSED, "STARTTLS refused: \":irc.example.net 691 * :STARTTLS");
    dialogue_check(&d);
    d = dialogue_text("irc", C, ":irc.example.net 421 * STARTTLS :Unknown command\r\n",
                      "STARTTLS\r\n", PRELUDE_REFUSED, "421 * STARTTLS :Unknown command");
    dialogue_check(&d);
    d = dialogue_text("irc", C, ":hub.example.net 451 STARTTLS :You have not registered\r\n",
                      "STARTTLS\r\n", PRELUDE_REFUSED, "You have not registered");
    dialogue_check(&d);
    d = dialogue_text("irc", C, "ERROR :Closing link: (unknown@192.0.2.7) [Z-lined]\r\n",
                      "STARTTLS\r\n", PRELUDE_REFUSED, "server closed the link");
    dialogue_check(&d);
}

static void test_client_garbage_and_pings(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("irc", C, "HTTP/1.0 400 Bad request\r\n", "STARTTLS\r\n",
                                      PRELUDE_FAILED, "not an IRC message");
    dialogue_check(&d);
    char peer[600] = "PING :";
    memset(peer + 6, 'p', 450);
    strcat(peer, "\r\n");
    d = dialogue_text("irc", C, peer, "STARTTLS\r\n", PRELUDE_FAILED, "PING token longer");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 1);
    /* Endless PINGs: answered up to the command bound, then the prelude gives up. */
    char pings[40 * 8 + 1] = "", pongs[10 + 32 * 8 + 1] = "STARTTLS\r\n";
    for (int i = 0; i < 40; i++)
        strcat(pings, "PING x\r\n");
    for (int i = 0; i < 32; i++)
        strcat(pongs, "PONG x\r\n");
    d = dialogue_text("irc", C, pings, pongs, PRELUDE_FAILED, "more than 32 commands");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 3);
}

/* openssl s_client -starttls irc sends STARTTLS at once (recorded). */
static void test_server(void **state)
{
    (void)state;
    struct dialogue d =
        dialogue_text("irc", S, "STARTTLS\r\n" TLS_BYTES,
                      ":localhost 670 * :STARTTLS successful, proceed with TLS handshake\r\n",
                      PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);

    d = dialogue_text("irc", S,
                      "CAP LS 302\r\nNICK hc\r\nUSER hc 0 * :hc\r\nPING :abc\r\nJOIN #x\r\n"
                      "@a=b :hc!u@h STARTTLS\r\n",
                      ":localhost CAP * LS :tls\r\n:localhost PONG localhost :abc\r\n"
                      ":localhost 451 * :You have not registered\r\n"
                      ":localhost 670 * :STARTTLS successful, proceed with TLS handshake\r\n",
                      PRELUDE_READY, NULL);
    dialogue_check(&d);

    d = dialogue_text("irc", S, "STARTTLS\r\n",
                      ":localhost 691 * :STARTTLS failed (Internal error)\r\n", PRELUDE_REFUSED,
                      "refused as configured: \"STARTTLS\"");
    d.params.refuse = true;
    dialogue_check(&d);

    d = dialogue_text("irc", S, "QUIT :bye\r\n", "ERROR :Closing link (Client Quit)\r\n",
                      PRELUDE_FAILED, "the client quit before STARTTLS");
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_inspircd),
        cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_client_garbage_and_pings),
        cmocka_unit_test(test_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
