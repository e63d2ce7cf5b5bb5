/* FTP prelude: vsftpd 3.0.3 with and without ssl_enable (recorded), ProFTPD and Pure-FTPd-like
 * servers; curl and openssl s_client. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#define C         PRELUDE_CLIENT
#define S         PRELUDE_SERVER
#define TLS_BYTES "\x16\x03\x01\x01\x2c\x01" /* no NUL: dialogue_text uses strlen */
#define VSFTPD_FEAT                                                                                \
    "211-Features:\r\n AUTH SSL\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n PBSZ\r\n"     \
    " PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n"

static void test_client_vsftpd(void **state)
{
    (void)state;
    struct dialogue d =
        dialogue_text("ftp", C, "220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n" TLS_BYTES,
                      "AUTH TLS\r\n", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

/* Pure-FTPd: a long multi-line banner whose middle lines start with digits; a 120 first. */
static void test_client_multiline_banner(void **state)
{
    (void)state;
    struct dialogue d =
        dialogue_text("ftp", C,
                      "120 Service ready in 1 minutes.\r\n"
                      "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
                      "220-You are user number 1 of 50 allowed.\r\n"
                      "230 this line is inside the banner\r\n"
                      "220-Local time is now 17:00. Server port: 21.\r\n"
                      "220 You will be disconnected after 15 minutes of inactivity.\r\n"
                      "234 AUTH TLS OK.\r\n",
                      "AUTH TLS\r\n", PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    /* vsftpd without ssl_enable: "authentication required first". */
    struct dialogue d = dialogue_text(
        "ftp", C, "220 (vsFTPd 3.0.3)\r\n530 Please login with USER and PASS.\r\n", "AUTH TLS\r\n",
        PRELUDE_REFUSED, "AUTH TLS refused: \"530 Please login with USER and PASS.\"");
    dialogue_check(&d);

    d = dialogue_text("ftp", C,
                      "220 ProFTPD Server (Debian) [::ffff:192.0.2.1]\r\n"
                      "500 AUTH not understood\r\n",
                      "AUTH TLS\r\n", PRELUDE_REFUSED,
                      "AUTH TLS refused: \"500 AUTH not understood\"");
    dialogue_check(&d);

    d = dialogue_text("ftp", C, "421-Too many users\r\n421 try later\r\n", "", PRELUDE_REFUSED,
                      "greeting refused the session: \"421 try later\"");
    dialogue_check(&d);
}

static void test_client_garbage(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("ftp", C, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "",
                                      PRELUDE_FAILED, "not an FTP reply: \"SSH-2.0-OpenSSH");
    dialogue_check(&d);
    d = dialogue_text("ftp", C, "220 ok\r\n2345 no\r\n", "AUTH TLS\r\n", PRELUDE_FAILED,
                      "not an FTP reply");
    dialogue_check(&d);
}

/* curl asks for AUTH SSL first, openssl for AUTH TLS (recorded). */
static void test_server_clients(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text("ftp", S, "AUTH SSL\r\n" TLS_BYTES,
                                      "220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n",
                                      PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
    d = dialogue_text("ftp", S, "FEAT\r\nauth tls\r\n",
                      "220 (vsFTPd 3.0.3)\r\n" VSFTPD_FEAT "234 Proceed with negotiation.\r\n",
                      PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_server_commands(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "ftp", S, "USER anonymous\r\nAUTH KERBEROS\r\nSYST\r\nQUIT\r\n",
        "220 (vsFTPd 3.0.3)\r\n530 Non-anonymous sessions must use encryption.\r\n"
        "504 Unknown AUTH type.\r\n530 Please login with USER and PASS.\r\n221 Goodbye.\r\n",
        PRELUDE_FAILED, "the client quit before AUTH TLS");
    dialogue_check(&d);

    d = dialogue_text("ftp", S, "AUTH TLS\r\n",
                      "220 (vsFTPd 3.0.3)\r\n530 Please login with USER and PASS.\r\n",
                      PRELUDE_REFUSED, "refused as configured: \"AUTH TLS\"");
    d.params.refuse = true;
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_vsftpd),   cmocka_unit_test(test_client_multiline_banner),
        cmocka_unit_test(test_client_refusals), cmocka_unit_test(test_client_garbage),
        cmocka_unit_test(test_server_clients),  cmocka_unit_test(test_server_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
