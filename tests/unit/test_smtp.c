/* SMTP and LMTP preludes: recorded dialogues with Postfix, Exim, Dovecot LMTP and the
 * clients (openssl s_client -starttls smtp, swaks), refusals and garbage. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#include <string.h>

#define POSTFIX_GREETING "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"
#define POSTFIX_EHLO                                                                               \
    "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"      \
    "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"       \
    "250 CHUNKING\r\n"
/* The start of a ClientHello/ServerHello: TLS, never the prelude's. */
#define TLS_BYTES "\x16\x03\x01\x00\xf4\x01"

static struct dialogue client(const char *peer, size_t peer_len, const char *ours,
                              enum prelude_status status, const char *reason)
{
    return (struct dialogue){
        .desc = proto_find("smtp"),
        .role = PRELUDE_CLIENT,
        .peer = (const uint8_t *)peer,
        .peer_len = peer_len,
        .ours = (const uint8_t *)ours,
        .ours_len = strlen(ours),
        .status = status,
        .reason = reason,
    };
}

static void test_client_postfix(void **state)
{
    (void)state;
    static const char peer[] = POSTFIX_GREETING POSTFIX_EHLO "220 2.0.0 Ready to start TLS\r\n";
    struct dialogue d = client(peer, sizeof peer - 1, "EHLO heartcheck.invalid\r\nSTARTTLS\r\n",
                               PRELUDE_READY, NULL);
    dialogue_check(&d);
}

/* Exim: a multi-line greeting, and its EHLO reply greets us by name. The domain (XMPP's) does
 * not change our EHLO name. */
static void test_client_exim_multiline_greeting(void **state)
{
    (void)state;
    static const char peer[] =
        "220-mx.example.com ESMTP Exim 4.96 Fri, 04 Dec 2026 17:00:00 +0000\r\n"
        "220 We do not authorize the use of this system to transport unsolicited mail\r\n"
        "250-mx.example.com Hello heartcheck.invalid [192.0.2.7]\r\n250-SIZE 52428800\r\n"
        "250-8BITMIME\r\n250-PIPELINING\r\n250-PIPE_CONNECT\r\n250-CHUNKING\r\n250-STARTTLS\r\n"
        "250-PRDR\r\n250 HELP\r\n220 TLS go ahead\r\n";
    struct dialogue d = client(peer, sizeof peer - 1, "EHLO heartcheck.invalid\r\nSTARTTLS\r\n",
                               PRELUDE_READY, NULL);
    d.params.domain = "mx.example.com";
    dialogue_check(&d);
}

/* Bytes behind the 220 are already TLS: left for the TLS layer. */
static void test_client_leaves_tls_bytes(void **state)
{
    (void)state;
    static const char peer[] =
        POSTFIX_GREETING POSTFIX_EHLO "220 2.0.0 Ready to start TLS\r\n" TLS_BYTES;
    struct dialogue d = client(peer, sizeof peer - 1, "EHLO heartcheck.invalid\r\nSTARTTLS\r\n",
                               PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    static const char no_starttls[] =
        POSTFIX_GREETING "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                         "250-8BITMIME\r\n250 SMTPUTF8\r\n";
    struct dialogue d = client(no_starttls, sizeof no_starttls - 1, "EHLO heartcheck.invalid\r\n",
                               PRELUDE_REFUSED, "STARTTLS not offered");
    dialogue_check(&d);

    static const char unavailable[] =
        POSTFIX_GREETING POSTFIX_EHLO "454 4.7.0 TLS not available due to local problem\r\n";
    d = client(unavailable, sizeof unavailable - 1, "EHLO heartcheck.invalid\r\nSTARTTLS\r\n",
               PRELUDE_REFUSED,
               "STARTTLS refused: \"454 4.7.0 TLS not available due to local problem\"");
    dialogue_check(&d);

    static const char rejected[] =
        "554 5.7.1 <unknown[192.0.2.7]>: Client host rejected: Access denied\r\n";
    d = client(rejected, sizeof rejected - 1, "", PRELUDE_REFUSED,
               "greeting refused the session: \"554 5.7.1 <unknown[192.0.2.7]>: Client host "
               "rejected: Access denied\"");
    dialogue_check(&d);

    static const char ehlo_refused[] = "220 old.example.com SMTP ready\r\n"
                                       "502 5.5.2 Error: command not recognized\r\n";
    d = client(ehlo_refused, sizeof ehlo_refused - 1, "EHLO heartcheck.invalid\r\n",
               PRELUDE_REFUSED, "EHLO refused: \"502 5.5.2");
    dialogue_check(&d);
}

static void test_client_garbage(void **state)
{
    (void)state;
    static const char http[] = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n";
    struct dialogue d =
        client(http, sizeof http - 1, "", PRELUDE_FAILED, "not an SMTP reply: \"HTTP/1.1 400");
    dialogue_check(&d);

    static const char tls[] = "\x15\x03\x01\x00\x02\x02\x46\n";
    d = client(tls, sizeof tls - 1, "", PRELUDE_FAILED, "NUL byte in a line");
    dialogue_check(&d);

    static const char bad_code[] = "220 ok\r\n25O-x\r\n";
    d = client(bad_code, sizeof bad_code - 1, "EHLO heartcheck.invalid\r\n", PRELUDE_FAILED,
               "not an SMTP reply: \"25O-x\"");
    dialogue_check(&d);

    static const char nul[] = "220 a\0b\r\n";
    d = client(nul, sizeof nul - 1, "", PRELUDE_FAILED, "NUL byte");
    dialogue_check(&d);
}

static void test_client_overlong_line(void **state)
{
    (void)state;
    static char peer[PRELUDE_LINE_MAX + 10];
    memcpy(peer, "220 ", 4);
    memset(peer + 4, 'x', sizeof peer - 4);
    struct dialogue d =
        client(peer, sizeof peer, "", PRELUDE_FAILED, "line longer than 4096 bytes: \"220 xxx");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 1);
    dialogue_check_chunked(&d, 1000);
    /* Exactly the longest line, CR LF included, is fine. */
    static char longest[PRELUDE_LINE_MAX + 1];
    memcpy(longest, "220 ", 4);
    memset(longest + 4, 'y', PRELUDE_LINE_MAX - 6);
    memcpy(longest + PRELUDE_LINE_MAX - 2, "\r\n", 3);
    d = client(longest, PRELUDE_LINE_MAX, "EHLO heartcheck.invalid\r\n", PRELUDE_WANT_READ, NULL);
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 7);
}

static struct dialogue server(const char *peer, size_t peer_len, const char *ours,
                              enum prelude_status status, const char *reason)
{
    struct dialogue d = client(peer, peer_len, ours, status, reason);
    d.role = PRELUDE_SERVER;
    d.params.domain = "mail.example.org";
    return d;
}

/* What openssl s_client -starttls smtp sends (recorded), then its ClientHello. */
static void test_server_openssl_client(void **state)
{
    (void)state;
    static const char peer[] = "EHLO mail.example.com\r\nSTARTTLS\r\n" TLS_BYTES;
    struct dialogue d = server(peer, sizeof peer - 1,
                               POSTFIX_GREETING POSTFIX_EHLO "220 2.0.0 Ready to start TLS\r\n",
                               PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

/* swaks: EHLO, STARTTLS; a careless client's MAIL first is turned away; HELO works too. */
static void test_server_commands(void **state)
{
    (void)state;
    static const char peer[] = "HELO client\r\nNOOP\r\nMAIL FROM:<a@example.com>\r\nXYZZY\r\n"
                               "EHLO client\r\nRSET\r\nSTARTTLS\r\n";
    struct dialogue d = server(peer, sizeof peer - 1,
                               POSTFIX_GREETING "250 mail.example.org\r\n250 2.0.0 Ok\r\n"
                                                "530 5.7.0 Must issue a STARTTLS command first\r\n"
                                                "502 5.5.2 Error: command not recognized\r\n" //
                               POSTFIX_EHLO "250 2.0.0 Ok\r\n220 2.0.0 Ready to start TLS\r\n",
                               PRELUDE_READY, NULL);
    dialogue_check(&d);

    static const char quit[] = "EHLO client\r\nQUIT\r\n";
    d = server(quit, sizeof quit - 1, POSTFIX_GREETING POSTFIX_EHLO "221 2.0.0 Bye\r\n",
               PRELUDE_FAILED, "the client quit before STARTTLS");
    dialogue_check(&d);
}

static void test_server_refuses(void **state)
{
    (void)state;
    static const char peer[] = "EHLO client\r\nSTARTTLS\r\n";
    struct dialogue d =
        server(peer, sizeof peer - 1,
               POSTFIX_GREETING POSTFIX_EHLO "454 4.7.0 TLS not available due to local problem\r\n",
               PRELUDE_REFUSED, "refused as configured: \"STARTTLS\"");
    d.params.refuse = true;
    dialogue_check(&d);
}

/* A client speaking implicit TLS to port 25 is told apart at once. */
static void test_server_tls_at_once(void **state)
{
    (void)state;
    static const char peer[] = TLS_BYTES "\x00\x00\xf0\x03\x03";
    struct dialogue d = server(peer, sizeof peer - 1, POSTFIX_GREETING, PRELUDE_FAILED,
                               "the client sent a TLS record");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 1);
}

static void test_server_command_limit(void **state)
{
    (void)state;
    char peer[40 * 6 + 1] = "";
    char ours[sizeof POSTFIX_GREETING + 32 * 16] = POSTFIX_GREETING;
    for (int i = 0; i < 40; i++)
        strcat(peer, "NOOP\r\n");
    for (int i = 0; i < 32; i++)
        strcat(ours, "250 2.0.0 Ok\r\n");
    struct dialogue d =
        server(peer, strlen(peer), ours, PRELUDE_FAILED, "more than 32 commands before TLS");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 1);
}

#define DOVECOT_LHLO                                                                               \
    "250-mail.example.org\r\n250-8BITMIME\r\n250-CHUNKING\r\n250-ENHANCEDSTATUSCODES\r\n"          \
    "250-PIPELINING\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n"

static void test_lmtp(void **state)
{
    (void)state;
    static const char peer[] =
        "220 mail.example.org Dovecot ready.\r\n" DOVECOT_LHLO "220 2.0.0 Begin TLS.\r\n";
    struct dialogue d = client(peer, sizeof peer - 1, "LHLO heartcheck.invalid\r\nSTARTTLS\r\n",
                               PRELUDE_READY, NULL);
    d.desc = proto_find("lmtp");
    dialogue_check(&d);

    static const char commands[] = "EHLO client\r\nLHLO client\r\nSTARTTLS\r\n";
    d = server(commands, sizeof commands - 1,
               "220 mail.example.org Dovecot ready.\r\n502 5.5.2 Error: command not "
               "recognized\r\n" DOVECOT_LHLO "220 2.0.0 Ready to start TLS\r\n",
               PRELUDE_READY, NULL);
    d.desc = proto_find("lmtp");
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_postfix),
        cmocka_unit_test(test_client_exim_multiline_greeting),
        cmocka_unit_test(test_client_leaves_tls_bytes),
        cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_client_garbage),
        cmocka_unit_test(test_client_overlong_line),
        cmocka_unit_test(test_server_openssl_client),
        cmocka_unit_test(test_server_commands),
        cmocka_unit_test(test_server_refuses),
        cmocka_unit_test(test_server_tls_at_once),
        cmocka_unit_test(test_server_command_limit),
        cmocka_unit_test(test_lmtp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
