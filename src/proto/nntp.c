/* NNTP STARTTLS (RFC 4642; CAPABILITIES from RFC 3977 §5.2).
 *
 * Client: the 200/201 greeting, CAPABILITIES, STARTTLS only when listed, then 382.
 * Server: INN-like greeting and answers. */
#include "proto/internal.h"

#include <string.h>

enum { STEP_GREETING, STEP_CAPS_STATUS, STEP_CAPS_LIST, STEP_STARTTLS };
enum { OFFERED_STARTTLS = 1 };

static void on_capability(struct prelude *st, const char *line)
{
    /* The list ends with a lone "." (RFC 3977 §3.1.1); each line is a capability. */
    if (strcmp(line, ".") != 0) {
        if (prelude_starts_word(line, "STARTTLS"))
            st->flags |= OFFERED_STARTTLS;
    } else if (st->flags & OFFERED_STARTTLS) {
        prelude_send_str(st, "STARTTLS\r\n");
        st->step = STEP_STARTTLS;
        st->awaiting = "the STARTTLS reply";
    } else
        prelude_refused(st, "STARTTLS not offered", NULL, 0);
}

static void client_line(struct prelude *st, const char *line, size_t len)
{
    unsigned code;
    char sep;
    if (st->step == STEP_CAPS_LIST) {
        on_capability(st, line);
        return;
    }
    if (!prelude_reply_code(line, len, &code, &sep) || sep == '-') {
        prelude_failed(st, "not an NNTP reply", line, len);
        return;
    }
    switch (st->step) {
    case STEP_GREETING:
        /* 200 posting allowed, 201 not: both can STARTTLS (RFC 3977 §5.1.1). */
        if (code != 200 && code != 201) {
            prelude_refused(st, "greeting refused the session", line, len);
            return;
        }
        prelude_send_str(st, "CAPABILITIES\r\n");
        st->step = STEP_CAPS_STATUS;
        st->awaiting = "the CAPABILITIES reply";
        return;
    case STEP_CAPS_STATUS:
        if (code != 101) {
            prelude_refused(st, "CAPABILITIES refused", line, len);
            return;
        }
        st->step = STEP_CAPS_LIST;
        st->awaiting = "the end of the capability list";
        return;
    default:
        if (code == 382)
            prelude_ready(st);
        else
            prelude_refused(st, "STARTTLS refused", line, len);
        return;
    }
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

static void send_greeting(struct prelude *st)
{
    prelude_sendf(st, "200 %s InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
                  st->domain);
}

static void server_start(struct prelude *st)
{
    send_greeting(st);
    st->awaiting = "a command";
}

static void server_line(struct prelude *st, const char *line, size_t len)
{
    if (!prelude_count_command(st))
        return;
    if (prelude_starts_word(line, "CAPABILITIES"))
        prelude_send_str(st, "101 Capability list:\r\nVERSION 2\r\nIMPLEMENTATION INN 2.7.1\r\n"
                             "AUTHINFO\r\nHDR\r\nLIST ACTIVE ACTIVE.TIMES COUNTS DISTRIB.PATS "
                             "HEADERS MOTD NEWSGROUPS OVERVIEW.FMT SUBSCRIPTIONS\r\nNEWNEWS\r\n"
                             "OVER\r\nPOST\r\nREADER\r\nSTARTTLS\r\n.\r\n");
    else if (prelude_starts_word(line, "STARTTLS") && st->refuse) {
        prelude_send_str(st, "580 Can not initiate TLS negotiation\r\n");
        prelude_refused(st, "refused as configured", line, len);
    } else if (prelude_starts_word(line, "STARTTLS")) {
        prelude_send_str(st, "382 Begin TLS negotiation now\r\n");
        prelude_ready(st);
    } else if (prelude_starts_word(line, "MODE"))
        send_greeting(st);
    else if (prelude_starts_word(line, "AUTHINFO"))
        prelude_send_str(st, "483 Encryption or stronger authentication required\r\n");
    else if (prelude_starts_word(line, "QUIT")) {
        prelude_send_str(st, "205 Bye!\r\n");
        prelude_failed(st, "the client quit before STARTTLS", NULL, 0);
    } else
        prelude_send_str(st, "500 What?\r\n");
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, server_line);
}

const struct prelude_desc proto_nntp = {
    .name = "nntp",
    .summary = "NNTP STARTTLS (RFC 4642): CAPABILITIES, then STARTTLS",
    .ports = {119},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
