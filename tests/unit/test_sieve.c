/* ManageSieve prelude: Dovecot 2.3 Pigeonhole (recorded) and Cyrus timsieved-like servers;
 * openssl s_client -starttls sieve. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#define C         PRELUDE_CLIENT
#define S         PRELUDE_SERVER
#define TLS_BYTES "\x16\x03\x01\x01\x2c\x01" /* no NUL: dialogue_text uses strlen */
#define PIGEONHOLE_CAPS                                                                            \
    "\"IMPLEMENTATION\" \"Dovecot (Debian) Pigeonhole\"\r\n"                                       \
    "\"SIEVE\" \"fileinto reject envelope encoded-character vacation subaddress "                  \
    "comparator-i;ascii-numeric relational regex imap4flags copy include variables body "          \
    "enotify environment mailbox date index ihave duplicate mime foreverypart extracttext\"\r\n"   \
    "\"NOTIFY\" \"mailto\"\r\n\"SASL\" \"\"\r\n\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\n"

static void test_client_pigeonhole(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "sieve", C,
        PIGEONHOLE_CAPS
        "OK \"Dovecot (Debian) ready.\"\r\nOK \"Begin TLS negotiation now.\"\r\n" TLS_BYTES,
        "STARTTLS\r\n", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
    /* Capability names are case-insensitive; a bare OK goes ahead too. */
    d = dialogue_text("sieve", C,
                      "\"IMPLEMENTATION\" \"Cyrus timsieved v3.6\"\r\n\"starttls\"\r\nOK\r\nOK\r\n",
                      "STARTTLS\r\n", PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    /* Dovecot 2.3.19 with ssl = no (recorded): no "STARTTLS" line. */
    struct dialogue nossl = dialogue_text(
        "sieve", C,
        "\"IMPLEMENTATION\" \"Dovecot (Debian) Pigeonhole\"\r\n\"SIEVE\" \"fileinto reject\"\r\n"
        "\"NOTIFY\" \"mailto\"\r\n\"SASL\" \"PLAIN\"\r\n\"VERSION\" \"1.0\"\r\n"
        "OK \"Dovecot (Debian) ready.\"\r\n",
        "", PRELUDE_REFUSED, "STARTTLS not offered: \"OK \"Dovecot (Debian) ready.\"\"");
    dialogue_check(&nossl);
    struct dialogue d = dialogue_text("sieve", C,
                                      "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"
                                      "\"SASL\" \"PLAIN\"\r\n\"STARTTLSX\"\r\nOK \"ready\"\r\n",
                                      "", PRELUDE_REFUSED, "STARTTLS not offered");
    dialogue_check(&d);
    d = dialogue_text(
        "sieve", C,
        PIGEONHOLE_CAPS "OK \"Dovecot (Debian) ready.\"\r\nNO \"TLS support isn't enabled.\"\r\n",
        "STARTTLS\r\n", PRELUDE_REFUSED, "STARTTLS refused: \"NO \"TLS support isn't enabled.\"\"");
    dialogue_check(&d);
    d = dialogue_text("sieve", C, "BYE \"Too many connections\"\r\n", "", PRELUDE_REFUSED,
                      "greeting refused the session");
    dialogue_check(&d);
}

static void test_client_garbage(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("sieve", C, "* OK IMAP\r\n", "", PRELUDE_FAILED,
                                      "not a ManageSieve response: \"* OK IMAP\"");
    dialogue_check(&d);
    d = dialogue_text("sieve", C, "\"STARTTLS\"\r\nOK\r\n+OK\r\n", "STARTTLS\r\n", PRELUDE_FAILED,
                      "not a ManageSieve response");
    dialogue_check(&d);
}

static void test_server(void **state)
{
    (void)state;
    /* openssl s_client -starttls sieve (recorded). */
    struct dialogue d = dialogue_text(
        "sieve", S, "STARTTLS\r\n" TLS_BYTES,
        PIGEONHOLE_CAPS "OK \"Dovecot (Debian) ready.\"\r\nOK \"Begin TLS negotiation now.\"\r\n",
        PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);

    d = dialogue_text("sieve", S,
                      "CAPABILITY\r\nNOOP\r\nAUTHENTICATE \"PLAIN\" \"AGJvYgBz\"\r\nHAVESPACE\r\n"
                      "LOGOUT\r\n",
                      PIGEONHOLE_CAPS
                      "OK \"Dovecot (Debian) ready.\"\r\n" PIGEONHOLE_CAPS
                      "OK \"Capability completed.\"\r\nOK \"NOOP Completed\"\r\n"
                      "NO \"Plaintext authentication disallowed on non-secure "
                      "(SSL/TLS) connections.\"\r\nNO \"Error in MANAGESIEVE "
                      "command received by server.\"\r\nOK \"Logout completed.\"\r\n",
                      PRELUDE_FAILED, "the client logged out before STARTTLS");
    dialogue_check(&d);

    d = dialogue_text("sieve", S, "STARTTLS\r\n",
                      PIGEONHOLE_CAPS
                      "OK \"Dovecot (Debian) ready.\"\r\nNO \"TLS support isn't enabled.\"\r\n",
                      PRELUDE_REFUSED, "refused as configured: \"STARTTLS\"");
    d.params.refuse = true;
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_pigeonhole),
        cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_client_garbage),
        cmocka_unit_test(test_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
