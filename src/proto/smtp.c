/* SMTP STARTTLS (RFC 3207) and LMTP (RFC 2033, the same dialogue with LHLO).
 *
 * Client: the greeting, EHLO/LHLO, STARTTLS only when the EHLO reply lists it, then 220.
 * Server: a Postfix-like (SMTP) or Dovecot-like (LMTP) greeting and capability list. */
#include "proto/internal.h"

enum { STEP_GREETING, STEP_HELLO, STEP_STARTTLS };
enum { OFFERED_STARTTLS = 1 };

static bool is_lmtp(const struct prelude *st) { return st->desc == &proto_lmtp; }

/* "250-text" (more lines follow) or "250 text" / "250" (the last line), RFC 5321 §4.2.1. */
static bool parse_reply(const char *line, size_t len, unsigned *code, bool *more)
{
    char sep;
    if (!prelude_reply_code(line, len, code, &sep))
        return false;
    *more = sep == '-';
    return true;
}

static void client_start(struct prelude *st)
{
    st->step = STEP_GREETING;
    st->awaiting = "the greeting";
}

static void client_line(struct prelude *st, const char *line, size_t len)
{
    unsigned code;
    bool more;
    if (!parse_reply(line, len, &code, &more)) {
        prelude_failed(st, "not an SMTP reply", line, len);
        return;
    }
    const char *text = len > 4 ? line + 4 : "";
    switch (st->step) {
    case STEP_GREETING:
        if (more)
            return;
        if (code / 100 != 2) {
            prelude_refused(st, "greeting refused the session", line, len);
            return;
        }
        /* Our own name, not the server's domain (that is for XMPP): MTAs turn away a client
         * greeting them with their own name, and an address must be bracketed. */
        prelude_sendf(st, "%s heartcheck.invalid\r\n", is_lmtp(st) ? "LHLO" : "EHLO");
        st->step = STEP_HELLO;
        st->awaiting = is_lmtp(st) ? "the LHLO reply" : "the EHLO reply";
        return;
    case STEP_HELLO:
        /* Each line after the first is one extension keyword (RFC 5321 §4.1.1.1). */
        if (code / 100 == 2 && prelude_starts_word(text, "STARTTLS"))
            st->flags |= OFFERED_STARTTLS;
        if (more)
            return;
        if (code / 100 != 2)
            prelude_refused(st, is_lmtp(st) ? "LHLO refused" : "EHLO refused", line, len);
        else if (!(st->flags & OFFERED_STARTTLS))
            prelude_refused(st, "STARTTLS not offered", line, len);
        else {
            prelude_send_str(st, "STARTTLS\r\n");
            st->step = STEP_STARTTLS;
            st->awaiting = "the STARTTLS reply";
        }
        return;
    default:
        if (more)
            return;
        /* RFC 3207 §4: 220 is the go-ahead; 454 (TLS not available) and anything else is a no. */
        if (code == 220)
            prelude_ready(st);
        else
            prelude_refused(st, "STARTTLS refused", line, len);
        return;
    }
}

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, client_line);
}

static void server_start(struct prelude *st)
{
    if (is_lmtp(st))
        prelude_sendf(st, "220 %s Dovecot ready.\r\n", st->domain);
    else
        prelude_sendf(st, "220 %s ESMTP Postfix (Debian/GNU)\r\n", st->domain);
    st->awaiting = "a command";
}

static void send_capabilities(struct prelude *st)
{
    if (is_lmtp(st))
        prelude_sendf(st,
                      "250-%s\r\n250-8BITMIME\r\n250-CHUNKING\r\n250-ENHANCEDSTATUSCODES\r\n"
                      "250-PIPELINING\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n",
                      st->domain);
    else
        prelude_sendf(st,
                      "250-%s\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
                      "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
                      "250-SMTPUTF8\r\n250 CHUNKING\r\n",
                      st->domain);
}

/* Commands that need a session Postfix with smtpd_tls_security_level=encrypt turns away. */
static bool needs_tls_first(const char *line)
{
    static const char *const verbs[] = {"MAIL", "RCPT", "DATA", "BDAT", "AUTH", "VRFY", "ETRN"};
    for (size_t i = 0; i < HC_ARRAY_LEN(verbs); i++)
        if (prelude_starts_word(line, verbs[i]))
            return true;
    return false;
}

static void server_line(struct prelude *st, const char *line, size_t len)
{
    if (!prelude_count_command(st))
        return;
    if (prelude_starts_word(line, is_lmtp(st) ? "LHLO" : "EHLO"))
        send_capabilities(st);
    else if (!is_lmtp(st) && prelude_starts_word(line, "HELO"))
        prelude_sendf(st, "250 %s\r\n", st->domain);
    else if (prelude_starts_word(line, "STARTTLS") && st->refuse) {
        prelude_send_str(st, "454 4.7.0 TLS not available due to local problem\r\n");
        prelude_refused(st, "refused as configured", line, len);
    } else if (prelude_starts_word(line, "STARTTLS")) {
        prelude_send_str(st, "220 2.0.0 Ready to start TLS\r\n");
        prelude_ready(st);
    } else if (prelude_starts_word(line, "NOOP") || prelude_starts_word(line, "RSET"))
        prelude_send_str(st, "250 2.0.0 Ok\r\n");
    else if (prelude_starts_word(line, "QUIT")) {
        prelude_send_str(st, "221 2.0.0 Bye\r\n");
        prelude_failed(st, "the client quit before STARTTLS", NULL, 0);
    } else if (needs_tls_first(line))
        prelude_send_str(st, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    else
        prelude_send_str(st, "502 5.5.2 Error: command not recognized\r\n");
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, server_line);
}

const struct prelude_desc proto_smtp = {
    .name = "smtp",
    .summary = "SMTP STARTTLS (RFC 3207): EHLO, then STARTTLS",
    .ports = {25, 587},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};

const struct prelude_desc proto_lmtp = {
    .name = "lmtp",
    .summary = "LMTP STARTTLS (RFC 2033): LHLO, then STARTTLS",
    .ports = {24},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
