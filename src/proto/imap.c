/* IMAP STARTTLS (RFC 3501 §6.2.1, RFC 2595).
 *
 * Client: the greeting (its [CAPABILITY] code spares a CAPABILITY command, RFC 3501 §7.1),
 * else CAPABILITY; STARTTLS only when listed; then the tagged OK.
 * Server: a Dovecot-like greeting and answers. */
#include "proto/internal.h"

#include <string.h>

enum { STEP_GREETING, STEP_CAPABILITY, STEP_STARTTLS };
enum { OFFERED_STARTTLS = 1 };
enum { TAG_MAX = 64 };

#define CAPABILITIES                                                                               \
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED"

/* "a1 OK ..." for tag "a1": the status word after the tag, or NULL for another line. */
static const char *tagged_status(const char *line, const char *tag)
{
    size_t n = strlen(tag);
    return strncmp(line, tag, n) == 0 && line[n] == ' ' ? line + n + 1 : NULL;
}

/* The [CAPABILITY ...] response code of a greeting, RFC 3501 §7.1: true when it has one;
 * *starttls tells whether it lists STARTTLS. */
static bool greeting_capabilities(const char *text, bool *starttls)
{
    static const char code[] = "[CAPABILITY ";
    if (strncmp(text, code, sizeof code - 1) != 0)
        return false;
    const char *caps = text + sizeof code - 1;
    char list[PRELUDE_LINE_MAX];
    size_t n = strcspn(caps, "]");
    memcpy(list, caps, n);
    list[n] = '\0';
    *starttls = prelude_has_word(list, "STARTTLS");
    return true;
}

static void ask_starttls(struct prelude *st)
{
    prelude_send_str(st, "a1 STARTTLS\r\n");
    st->step = STEP_STARTTLS;
    st->awaiting = "the STARTTLS reply";
}

static void on_greeting(struct prelude *st, const char *line, size_t len)
{
    bool starttls;
    if (prelude_starts_word(line, "* OK")) {
        if (!greeting_capabilities(prelude_after_word(line, "* OK"), &starttls)) {
            prelude_send_str(st, "a0 CAPABILITY\r\n");
            st->step = STEP_CAPABILITY;
            st->awaiting = "the CAPABILITY reply";
        } else if (starttls)
            ask_starttls(st);
        else
            prelude_refused(st, "STARTTLS not offered", line, len);
    } else if (prelude_starts_word(line, "* PREAUTH"))
        /* STARTTLS is only valid before authentication (RFC 3501 §6.2.1). */
        prelude_refused(st, "session pre-authenticated, STARTTLS impossible", line, len);
    else if (prelude_starts_word(line, "* BYE"))
        prelude_refused(st, "greeting refused the session", line, len);
    else
        prelude_failed(st, "not an IMAP greeting", line, len);
}

static void client_line(struct prelude *st, const char *line, size_t len)
{
    if (st->step == STEP_GREETING) {
        on_greeting(st, line, len);
        return;
    }
    const char *tag = st->step == STEP_CAPABILITY ? "a0" : "a1";
    const char *status = tagged_status(line, tag);
    if (prelude_starts_word(line, "* BYE"))
        prelude_refused(st, "server ended the session", line, len);
    else if (prelude_starts_word(line, "* CAPABILITY")) {
        if (prelude_has_word(prelude_after_word(line, "* CAPABILITY"), "STARTTLS"))
            st->flags |= OFFERED_STARTTLS;
    } else if (strncmp(line, "* ", 2) == 0)
        return; /* other untagged data may come at any time (RFC 3501 §7) */
    else if (!status)
        prelude_failed(st, "not an IMAP response", line, len);
    else if (!prelude_starts_word(status, "OK"))
        prelude_refused(st, st->step == STEP_CAPABILITY ? "CAPABILITY refused" : "STARTTLS refused",
                        line, len);
    else if (st->step == STEP_STARTTLS)
        prelude_ready(st);
    else if (st->flags & OFFERED_STARTTLS)
        ask_starttls(st);
    else
        prelude_refused(st, "STARTTLS not offered", line, len);
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
    prelude_send_str(st, "* OK [CAPABILITY " CAPABILITIES "] Dovecot (Debian) ready.\r\n");
    st->awaiting = "a command";
}

static void server_line(struct prelude *st, const char *line, size_t len)
{
    if (!prelude_count_command(st))
        return;
    size_t tag_len = strcspn(line, " ");
    if (tag_len > TAG_MAX) {
        prelude_failed(st, "IMAP tag longer than 64 bytes", line, len);
        return;
    }
    const char *command = line[tag_len] ? line + tag_len + 1 : "";
    int t = (int)tag_len;
    if (tag_len == 0 || !command[0])
        prelude_send_str(st, "* BAD Error in IMAP command received by server.\r\n");
    else if (prelude_starts_word(command, "CAPABILITY"))
        prelude_sendf(st,
                      "* CAPABILITY " CAPABILITIES "\r\n%.*s OK Pre-login capabilities listed, "
                      "post-login capabilities have more.\r\n",
                      t, line);
    else if (prelude_starts_word(command, "STARTTLS") && st->refuse) {
        prelude_sendf(st, "%.*s BAD TLS support isn't enabled.\r\n", t, line);
        prelude_refused(st, "refused as configured", line, len);
    } else if (prelude_starts_word(command, "STARTTLS")) {
        prelude_sendf(st, "%.*s OK Begin TLS negotiation now.\r\n", t, line);
        prelude_ready(st);
    } else if (prelude_starts_word(command, "NOOP"))
        prelude_sendf(st, "%.*s OK NOOP completed.\r\n", t, line);
    else if (prelude_starts_word(command, "ID"))
        prelude_sendf(st, "* ID NIL\r\n%.*s OK ID completed.\r\n", t, line);
    else if (prelude_starts_word(command, "LOGOUT")) {
        prelude_sendf(st, "* BYE Logging out\r\n%.*s OK Logout completed.\r\n", t, line);
        prelude_failed(st, "the client logged out before STARTTLS", NULL, 0);
    } else if (prelude_starts_word(command, "LOGIN") ||
               prelude_starts_word(command, "AUTHENTICATE"))
        prelude_sendf(st,
                      "%.*s NO [PRIVACYREQUIRED] Plaintext authentication disallowed on "
                      "non-secure (SSL/TLS) connections.\r\n",
                      t, line);
    else
        prelude_sendf(st, "%.*s BAD Error in IMAP command received by server.\r\n", t, line);
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, server_line);
}

const struct prelude_desc proto_imap = {
    .name = "imap",
    .summary = "IMAP STARTTLS (RFC 3501): CAPABILITY, then STARTTLS",
    .ports = {143},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
