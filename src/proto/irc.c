/* IRC STARTTLS (the IRCv3 "tls" extension: numeric 670 RPL_STARTTLS, 691 ERR_STARTTLS).
 *
 * Client: STARTTLS at once (as openssl s_client does), answering PINGs and skipping notices
 * until 670; 691, an error numeric or ERROR is a refusal.
 * Server: 670 to STARTTLS, CAP LS listing "tls". */
#include "proto/internal.h"

#include <string.h>
#include <strings.h>

enum { PING_TOKEN_MAX = 400 }; /* an IRC line is at most 512 bytes (RFC 2812 §2.3) */

struct irc_message {
    const char *command; /* letters, or a three-digit numeric */
    size_t command_len;
    unsigned numeric; /* 0 for a command */
    const char *params;
};

static const char *skip_word(const char *p)
{
    p += strcspn(p, " ");
    return p + strspn(p, " ");
}

/* [@tags ][:prefix ]command params (RFC 2812 §2.3.1, IRCv3 message tags). */
static bool parse_message(const char *line, struct irc_message *m)
{
    const char *p = line;
    if (*p == '@')
        p = skip_word(p);
    if (*p == ':')
        p = skip_word(p);
    m->command = p;
    m->command_len = strcspn(p, " ");
    m->params = p + m->command_len + strspn(p + m->command_len, " ");
    m->numeric = 0;
    if (m->command_len == 3 && strspn(p, "0123456789") == 3) {
        m->numeric = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
        return true;
    }
    size_t letters = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    return m->command_len > 0 && letters == m->command_len;
}

static bool is_command(const struct irc_message *m, const char *name)
{
    return m->command_len == strlen(name) && strncasecmp(m->command, name, m->command_len) == 0;
}

static void client_start(struct prelude *st)
{
    prelude_send_str(st, "STARTTLS\r\n");
    st->awaiting = "the STARTTLS reply";
}

static void answer_ping(struct prelude *st, const struct irc_message *m)
{
    size_t n = strlen(m->params);
    if (n > PING_TOKEN_MAX)
        prelude_failed(st, "PING token longer than an IRC line allows", NULL, 0);
    else if (prelude_count_command(st))
        prelude_sendf(st, "PONG %s\r\n", m->params);
}

static void client_line(struct prelude *st, const char *line, size_t len)
{
    struct irc_message m;
    if (len == 0)
        return;
    if (!parse_message(line, &m))
        prelude_failed(st, "not an IRC message", line, len);
    else if (is_command(&m, "PING"))
        answer_ping(st, &m);
    else if (is_command(&m, "ERROR"))
        prelude_refused(st, "server closed the link", line, len);
    else if (m.numeric == 670)
        prelude_ready(st);
    else if (m.numeric == 691 || (m.numeric >= 400 && m.numeric < 600))
        /* 691 is STARTTLS failing; 421 (unknown command) and the like: not supported. */
        prelude_refused(st, "STARTTLS refused", line, len);
    /* Notices, welcome numerics and the rest come and go before the answer. */
}

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, client_line);
}

/* No "*** Looking up your hostname" notice at connect, unlike most ircds: openssl s_client
 * -starttls irc gives up on the first line whose second word is not a numeric. */
static void server_start(struct prelude *st) { st->awaiting = "a command"; }

static void server_line(struct prelude *st, const char *line, size_t len)
{
    struct irc_message m;
    if (len == 0 || !prelude_count_command(st))
        return;
    if (!parse_message(line, &m))
        prelude_sendf(st, ":%s 421 * :Unknown command\r\n", st->domain);
    else if (is_command(&m, "STARTTLS") && st->refuse) {
        prelude_sendf(st, ":%s 691 * :STARTTLS failed (Internal error)\r\n", st->domain);
        prelude_refused(st, "refused as configured", line, len);
    } else if (is_command(&m, "STARTTLS")) {
        prelude_sendf(st, ":%s 670 * :STARTTLS successful, proceed with TLS handshake\r\n",
                      st->domain);
        prelude_ready(st);
    } else if (is_command(&m, "CAP") && prelude_starts_word(m.params, "LS"))
        prelude_sendf(st, ":%s CAP * LS :tls\r\n", st->domain);
    else if (is_command(&m, "PING") && strlen(m.params) <= PING_TOKEN_MAX)
        prelude_sendf(st, ":%s PONG %s :%s\r\n", st->domain, st->domain, m.params);
    else if (is_command(&m, "QUIT")) {
        prelude_send_str(st, "ERROR :Closing link (Client Quit)\r\n");
        prelude_failed(st, "the client quit before STARTTLS", NULL, 0);
    } else if (!is_command(&m, "NICK") && !is_command(&m, "USER") && !is_command(&m, "CAP"))
        prelude_sendf(st, ":%s 451 * :You have not registered\r\n", st->domain);
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return prelude_read_lines(st, data, len, server_line);
}

const struct prelude_desc proto_irc = {
    .name = "irc",
    .summary = "IRC STARTTLS (IRCv3 tls): STARTTLS, then numeric 670",
    .ports = {6667},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
