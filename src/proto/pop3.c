/* POP3 STLS (RFC 2595 §4; CAPA from RFC 2449).
 *
 * Client: the +OK greeting, CAPA, STLS only when listed, then +OK.
 * Server: a Dovecot-like greeting and answers. */
#include "proto/internal.h"

#include <string.h>

enum { STEP_GREETING, STEP_CAPA_STATUS, STEP_CAPA_LIST, STEP_STLS };
enum { OFFERED_STLS = 1 };

static void client_start(struct prelude *st)
{
    st->step = STEP_GREETING;
    st->awaiting = "the greeting";
}

static void client_line(struct prelude *st, const char *line, size_t len)
{
    bool ok = prelude_starts_word(line, "+OK"), err = prelude_starts_word(line, "-ERR");
    if (st->step == STEP_CAPA_LIST) {
        /* A multi-line response ends with a lone "."; ".." starts a dot-stuffed line
         * (RFC 1939 §3). Each line is one capability (RFC 2449 §5). */
        if (strcmp(line, ".") != 0) {
            if (prelude_starts_word(line, "STLS"))
                st->flags |= OFFERED_STLS;
        } else if (st->flags & OFFERED_STLS) {
            prelude_send_str(st, "STLS\r\n");
            st->step = STEP_STLS;
            st->awaiting = "the STLS reply";
        } else
            prelude_refused(st, "STLS not offered", NULL, 0);
        return;
    }
    if (!ok && !err) {
        prelude_failed(st, "not a POP3 reply", line, len);
        return;
    }
    switch (st->step) {
    case STEP_GREETING:
        if (err) {
            prelude_refused(st, "greeting refused the session", line, len);
            return;
        }
        prelude_send_str(st, "CAPA\r\n");
        st->step = STEP_CAPA_STATUS;
        st->awaiting = "the CAPA reply";
        return;
    case STEP_CAPA_STATUS:
        /* Without CAPA a server cannot announce STLS (RFC 2595 §4 requires it). */
        if (err)
            prelude_refused(st, "CAPA refused", line, len);
        else {
            st->step = STEP_CAPA_LIST;
            st->awaiting = "the end of the CAPA list";
        }
        return;
    default:
        if (ok)
            prelude_ready(st);
        else
            prelude_refused(st, "STLS refused", line, len);
        return;
    }
}

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, client_line);
}

static void server_start(struct prelude *st)
{
    prelude_send_str(st, "+OK Dovecot (Debian) ready.\r\n");
    st->awaiting = "a command";
}

static bool is_login(const char *line)
{
    return prelude_starts_word(line, "USER") || prelude_starts_word(line, "PASS") ||
           prelude_starts_word(line, "AUTH") || prelude_starts_word(line, "APOP");
}

static void server_line(struct prelude *st, const char *line, size_t len)
{
    if (!prelude_count_command(st))
        return;
    if (prelude_starts_word(line, "CAPA"))
        prelude_send_str(st, "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"
                             "AUTH-RESP-CODE\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n");
    else if (prelude_starts_word(line, "STLS") && st->refuse) {
        prelude_send_str(st, "-ERR TLS support isn't enabled.\r\n");
        prelude_refused(st, "refused as configured", line, len);
    } else if (prelude_starts_word(line, "STLS")) {
        prelude_send_str(st, "+OK Begin TLS negotiation now.\r\n");
        prelude_ready(st);
    } else if (prelude_starts_word(line, "QUIT")) {
        prelude_send_str(st, "+OK Logging out\r\n");
        prelude_failed(st, "the client quit before STLS", NULL, 0);
    } else if (is_login(line))
        prelude_send_str(st, "-ERR [AUTH] Plaintext authentication disallowed on non-secure "
                             "(SSL/TLS) connections.\r\n");
    else
        prelude_send_str(st, "-ERR Unknown command.\r\n");
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, server_line);
}

const struct prelude_desc proto_pop3 = {
    .name = "pop3",
    .summary = "POP3 STLS (RFC 2595): CAPA, then STLS",
    .ports = {110},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
