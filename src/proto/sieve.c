/* ManageSieve STARTTLS (RFC 5804 §2.2).
 *
 * Client: the capability lines of the greeting, STARTTLS only when listed, then OK.
 * Server: Dovecot Pigeonhole's greeting and answers. */
#include "proto/internal.h"

#include <string.h>
#include <strings.h>

enum { STEP_GREETING, STEP_STARTTLS };
enum { OFFERED_STARTTLS = 1 };

#define CAPABILITIES                                                                               \
    "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"                                                \
    "\"SIEVE\" \"fileinto reject envelope encoded-character vacation subaddress "                  \
    "comparator-i;ascii-numeric relational regex imap4flags copy include variables body "          \
    "enotify environment mailbox date index ihave duplicate mime foreverypart extracttext\"\r\n"   \
    "\"NOTIFY\" \"mailto\"\r\n"                                                                    \
    "\"SASL\" \"\"\r\n"                                                                            \
    "\"STARTTLS\"\r\n"                                                                             \
    "\"VERSION\" \"1.0\"\r\n"

/* A capability line starts with its name as a quoted string (RFC 5804 §1.7). */
static bool names_capability(const char *line, const char *name)
{
    size_t n = strlen(name);
    return line[0] == '"' && strncasecmp(line + 1, name, n) == 0 && line[n + 1] == '"';
}

static void client_line(struct prelude *st, const char *line, size_t len)
{
    bool ok = prelude_starts_word(line, "OK");
    bool no = prelude_starts_word(line, "NO") || prelude_starts_word(line, "BYE");
    if (st->step == STEP_STARTTLS) {
        if (ok)
            prelude_ready(st);
        else if (no)
            prelude_refused(st, "STARTTLS refused", line, len);
        else
            prelude_failed(st, "not a ManageSieve response", line, len);
        return;
    }
    if (line[0] == '"') {
        if (names_capability(line, "STARTTLS"))
            st->flags |= OFFERED_STARTTLS;
    } else if (no)
        prelude_refused(st, "greeting refused the session", line, len);
    else if (!ok)
        prelude_failed(st, "not a ManageSieve response", line, len);
    else if (!(st->flags & OFFERED_STARTTLS))
        prelude_refused(st, "STARTTLS not offered", line, len);
    else {
        prelude_send_str(st, "STARTTLS\r\n");
        st->step = STEP_STARTTLS;
        st->awaiting = "the STARTTLS reply";
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

static void server_start(struct prelude *st)
{
    prelude_send_str(st, CAPABILITIES "OK \"Dovecot ready.\"\r\n");
    st->awaiting = "a command";
}

static void server_line(struct prelude *st, const char *line, size_t len)
{
    if (!prelude_count_command(st))
        return;
    if (prelude_starts_word(line, "STARTTLS") && st->refuse) {
        prelude_send_str(st, "NO \"TLS support isn't enabled.\"\r\n");
        prelude_refused(st, "refused as configured", line, len);
    } else if (prelude_starts_word(line, "STARTTLS")) {
        prelude_send_str(st, "OK \"Begin TLS negotiation now.\"\r\n");
        prelude_ready(st);
    } else if (prelude_starts_word(line, "CAPABILITY"))
        prelude_send_str(st, CAPABILITIES "OK \"Capability completed.\"\r\n");
    else if (prelude_starts_word(line, "NOOP"))
        prelude_send_str(st, "OK \"NOOP Completed\"\r\n");
    else if (prelude_starts_word(line, "LOGOUT")) {
        prelude_send_str(st, "OK \"Logout completed.\"\r\n");
        prelude_failed(st, "the client logged out before STARTTLS", NULL, 0);
    } else if (prelude_starts_word(line, "AUTHENTICATE"))
        prelude_send_str(st, "NO \"Plaintext authentication disallowed on non-secure (SSL/TLS) "
                             "connections.\"\r\n");
    else
        prelude_send_str(st, "NO \"Error in MANAGESIEVE command received by server.\"\r\n");
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, server_line);
}

const struct prelude_desc proto_sieve = {
    .name = "sieve",
    .summary = "ManageSieve STARTTLS (RFC 5804)",
    .ports = {4190},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
