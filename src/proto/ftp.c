/* FTP AUTH TLS (RFC 4217 §4).
 *
 * Client: the 220 greeting (after any 120 "ready in n minutes"), AUTH TLS, then 234. A
 * server that cannot do TLS says so to AUTH itself (vsftpd: "530 Please login with USER and
 * PASS."), which is what the refusal quotes.
 * Server: vsftpd-like greeting and answers. */
#include "proto/internal.h"

#include <string.h>

enum { STEP_GREETING, STEP_AUTH };

/* A multi-line reply runs from "ddd-" to the first line starting "ddd " with the same code;
 * the lines between are free text (RFC 959 §4.2). flags holds the open code, 0 for none. */
static void client_line(struct prelude *st, const char *line, size_t len)
{
    unsigned code;
    char sep;
    bool is_reply = prelude_reply_code(line, len, &code, &sep);
    if (st->flags) {
        if (is_reply && code == st->flags && sep != '-')
            st->flags = 0;
        else
            return;
    } else if (!is_reply) {
        prelude_failed(st, "not an FTP reply", line, len);
        return;
    } else if (sep == '-') {
        st->flags = code;
        return;
    }
    if (code / 100 == 1)
        return; /* preliminary: the real reply follows */
    if (st->step == STEP_GREETING) {
        if (code / 100 != 2) {
            prelude_refused(st, "greeting refused the session", line, len);
            return;
        }
        prelude_send_str(st, "AUTH TLS\r\n");
        st->step = STEP_AUTH;
        st->awaiting = "the AUTH TLS reply";
    } else if (code == 234)
        prelude_ready(st);
    else
        prelude_refused(st, "AUTH TLS refused", line, len);
}

static void client_start(struct prelude *st)
{
    st->step = STEP_GREETING;
    st->awaiting = "the greeting";
}

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, client_line);
}

static void server_start(struct prelude *st)
{
    prelude_send_str(st, "220 (vsFTPd 3.0.3)\r\n");
    st->awaiting = "a command";
}

static void on_auth(struct prelude *st, const char *line, size_t len)
{
    const char *mech = prelude_after_word(line, "AUTH");
    /* curl asks for "AUTH SSL" first; both mean TLS (RFC 4217 §4). */
    if (!prelude_starts_word(mech, "TLS") && !prelude_starts_word(mech, "SSL") &&
        !prelude_starts_word(mech, "TLS-C"))
        prelude_send_str(st, "504 Unknown AUTH type.\r\n");
    else if (st->refuse) {
        prelude_send_str(st, "530 Please login with USER and PASS.\r\n");
        prelude_refused(st, "refused as configured", line, len);
    } else {
        prelude_send_str(st, "234 Proceed with negotiation.\r\n");
        prelude_ready(st);
    }
}

static void server_line(struct prelude *st, const char *line, size_t len)
{
    if (!prelude_count_command(st))
        return;
    if (prelude_starts_word(line, "AUTH"))
        on_auth(st, line, len);
    else if (prelude_starts_word(line, "FEAT"))
        prelude_send_str(st,
                         "211-Features:\r\n AUTH SSL\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n"
                         " PASV\r\n PBSZ\r\n PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n"
                         " UTF8\r\n211 End\r\n");
    else if (prelude_starts_word(line, "USER") || prelude_starts_word(line, "PASS"))
        prelude_send_str(st, "530 Non-anonymous sessions must use encryption.\r\n");
    else if (prelude_starts_word(line, "QUIT")) {
        prelude_send_str(st, "221 Goodbye.\r\n");
        prelude_failed(st, "the client quit before AUTH TLS", NULL, 0);
    } else
        prelude_send_str(st, "530 Please login with USER and PASS.\r\n");
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, server_line);
}

const struct prelude_desc proto_ftp = {
    .name = "ftp",
    .summary = "FTP AUTH TLS (RFC 4217)",
    .ports = {21},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
