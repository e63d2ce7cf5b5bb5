/* NNTP prelude: INN-like servers; openssl s_client -starttls nntp. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#define C         PRELUDE_CLIENT
#define S         PRELUDE_SERVER
#define TLS_BYTES "\x16\x03\x01\x01\x2c\x01" /* no NUL: dialogue_text uses strlen */
#define INN_GREETING                                                                               \
    "200 news.example.org InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"
#define INN_CAPS                                                                                   \
    "101 Capability list:\r\nVERSION 2\r\nIMPLEMENTATION INN 2.7.1\r\nAUTHINFO\r\nHDR\r\n"         \
    "LIST ACTIVE ACTIVE.TIMES COUNTS DISTRIB.PATS HEADERS MOTD NEWSGROUPS OVERVIEW.FMT "           \
    "SUBSCRIPTIONS\r\nNEWNEWS\r\nOVER\r\nPOST\r\nREADER\r\nSTARTTLS\r\n.\r\n"

static void test_client_inn(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "nntp", C, INN_GREETING INN_CAPS "382 Begin TLS negotiation now\r\n" TLS_BYTES,
        "CAPABILITIES\r\nSTARTTLS\r\n", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
    /* 201: posting prohibited, STARTTLS still possible. */
    d = dialogue_text("nntp", C,
                      "201 news.example.org ready (no posting)\r\n101 list\r\nVERSION 2\r\n"
                      "STARTTLS\r\n.\r\n382 go\r\n",
                      "CAPABILITIES\r\nSTARTTLS\r\n", PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "nntp", C, INN_GREETING "101 Capability list:\r\nVERSION 2\r\nREADER\r\n.\r\n",
        "CAPABILITIES\r\n", PRELUDE_REFUSED, "STARTTLS not offered: \"VERSION 2 READER\"");
    dialogue_check(&d);
    d = dialogue_text("nntp", C, INN_GREETING "500 What?\r\n", "CAPABILITIES\r\n", PRELUDE_REFUSED,
                      "CAPABILITIES refused: \"500 What?\"");
    dialogue_check(&d);
    d = dialogue_text("nntp", C, INN_GREETING INN_CAPS "580 Can not initiate TLS negotiation\r\n",
                      "CAPABILITIES\r\nSTARTTLS\r\n", PRELUDE_REFUSED,
                      "STARTTLS refused: \"580 Can not initiate TLS negotiation\"");
    dialogue_check(&d);
    d = dialogue_text("nntp", C, "502 You have no permission to talk.  Goodbye.\r\n", "",
                      PRELUDE_REFUSED, "greeting refused the session");
    dialogue_check(&d);
}

static void test_client_garbage(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("nntp", C, "220 smtp.example.org ESMTP\r\n", "",
                                      PRELUDE_REFUSED, "greeting refused the session");
    dialogue_check(&d);
    d = dialogue_text("nntp", C, "200-multi\r\n", "", PRELUDE_FAILED, "not an NNTP reply");
    dialogue_check(&d);
}

/* openssl s_client -starttls nntp (recorded). */
static void test_server_openssl(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "nntp", S, "CAPABILITIES\r\nSTARTTLS\r\n" TLS_BYTES,
        "200 localhost InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n" INN_CAPS
        "382 Begin TLS negotiation now\r\n",
        PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

static void test_server_commands(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "nntp", S, "MODE READER\r\nAUTHINFO USER x\r\nGROUP misc.test\r\nQUIT\r\n",
        "200 localhost InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"
        "200 localhost InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"
        "483 Encryption or stronger authentication required\r\n500 What?\r\n205 Bye!\r\n",
        PRELUDE_FAILED, "the client quit before STARTTLS");
    dialogue_check(&d);
    d = dialogue_text("nntp", S, "STARTTLS\r\n",
                      "200 localhost InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"
                      "580 Can not initiate TLS negotiation\r\n",
                      PRELUDE_REFUSED, "refused as configured: \"STARTTLS\"");
    d.params.refuse = true;
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_inn),      cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_client_garbage),  cmocka_unit_test(test_server_openssl),
        cmocka_unit_test(test_server_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
