/* The protocol table and the driver every prelude shares: buffers, lines, budgets, endings
 * and reasons. The protocol files hold only their dialogues. */
#include "proto/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct prelude_desc *const table[] = {
    &proto_smtp, &proto_lmtp,        &proto_imap,  &proto_pop3,     &proto_ftp,
    &proto_xmpp, &proto_xmpp_server, &proto_ldap,  &proto_postgres, &proto_mysql,
    &proto_nntp, &proto_irc,         &proto_sieve,
};

const struct prelude_desc *const *proto_all(size_t *count)
{
    *count = HC_ARRAY_LEN(table);
    return table;
}

const struct prelude_desc *proto_find(const char *name)
{
    for (size_t i = 0; name && i < HC_ARRAY_LEN(table); i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const struct prelude_desc *proto_for_port(uint16_t port)
{
    for (size_t i = 0; port && i < HC_ARRAY_LEN(table); i++)
        for (size_t k = 0; k < PRELUDE_MAX_PORTS && table[i]->ports[k]; k++)
            if (table[i]->ports[k] == port)
                return table[i];
    return NULL;
}

/* The name goes into commands and XML attributes, so it must not be able to end them: no
 * spaces, controls, quotes or markup. */
static bool domain_is_safe(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n >= PRELUDE_DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (d[i] <= ' ' || d[i] > '~' || strchr("\"'<>&\\", d[i]))
            return false;
    return true;
}

hc_result prelude_new(const struct prelude_desc *d, enum prelude_role role,
                      const struct prelude_params *params, struct prelude **out)
{
    *out = NULL;
    HC_ENSURE(d && (role == PRELUDE_CLIENT || role == PRELUDE_SERVER), HC_ERR_USAGE);
    const char *domain = params && params->domain
                             ? params->domain
                             : (role == PRELUDE_CLIENT ? "heartcheck.invalid" : "localhost");
    HC_ENSURE(domain_is_safe(domain), HC_ERR_USAGE);
    struct prelude *st = calloc(1, sizeof *st);
    HC_ENSURE(st, HC_ERR_NOMEM);
    st->desc = d;
    st->role = role;
    st->ops = role == PRELUDE_CLIENT ? &d->client : &d->server;
    st->status = PRELUDE_WANT_READ;
    st->refuse = params && params->refuse && role == PRELUDE_SERVER;
    st->xmpp_server = d == &proto_xmpp_server || (params && params->xmpp_server);
    memcpy(st->domain, domain, strlen(domain) + 1);
    st->awaiting = "the first bytes";
    st->ops->start(st);
    *out = st;
    return HC_SUCCESS;
}

void prelude_free(struct prelude *p)
{
    if (!p)
        return;
    free(p->in.data);
    free(p->out.data);
    free(p);
}

const struct prelude_desc *prelude_desc(const struct prelude *p) { return p->desc; }
enum prelude_status prelude_status(const struct prelude *p) { return p->status; }
const char *prelude_reason(const struct prelude *p) { return p->reason; }

void prelude_take_output(struct prelude *p, const uint8_t **data, size_t *len)
{
    static const uint8_t nothing[1];
    *data = p->out.data ? p->out.data : nothing; /* never NULL: callers memcpy from it */
    *len = p->out.len;
    p->out.len = 0; /* the bytes stay valid until the next call appends */
}

size_t prelude_on_data(struct prelude *p, const uint8_t *data, size_t len)
{
    if (!prelude_running(p) || len == 0)
        return 0;
    /* A client that speaks TLS at once (implicit TLS on a STARTTLS port) would otherwise wait
     * for a line or tag that never ends. 0x16 starts a TLS handshake record (RFC 5246 §6.2.1);
     * no prelude's first client byte can be it. */
    if (p->role == PRELUDE_SERVER && p->received == 0 && data[0] == 0x16) {
        prelude_failed(p, "the client sent a TLS record without asking for TLS first", NULL, 0);
        return 0;
    }
    /* The budget: the protocol never sees more than PRELUDE_MAX_BYTES in all. */
    size_t room = PRELUDE_MAX_BYTES - p->received;
    size_t offered = len < room ? len : room;
    size_t used = p->ops->on_data(p, data, offered);
    p->received += used;
    if (prelude_running(p) && used == offered && offered < len)
        prelude_failed(p, "more than 65536 bytes before TLS", NULL, 0);
    return used;
}

void prelude_on_closed(struct prelude *p)
{
    if (!prelude_running(p))
        return;
    char what[128];
    snprintf(what, sizeof what, "connection closed while waiting for %s", p->awaiting);
    prelude_failed(p, what, NULL, 0);
}

static bool buf_append(struct prelude_buf *b, const void *data, size_t n, size_t max)
{
    if (n > max - b->len)
        return false;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        cap = cap < max ? cap : max;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown)
            return false;
        b->data = grown;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    return true;
}

void prelude_send(struct prelude *st, const void *data, size_t len)
{
    if (!buf_append(&st->out, data, len, PRELUDE_OUT_MAX))
        prelude_failed(st, "internal: output does not fit", NULL, 0);
}

void prelude_send_str(struct prelude *st, const char *s) { prelude_send(st, s, strlen(s)); }

void prelude_sendf(struct prelude *st, const char *fmt, ...)
{
    char line[PRELUDE_LINE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        prelude_failed(st, "internal: output line too long", NULL, 0);
    else
        prelude_send(st, line, (size_t)n);
}

/* Appends n bytes to the reason as printable ASCII (others become '?'), as far as it fits;
 * false when it was cut. */
static bool reason_put(char *reason, size_t *at, const void *s, size_t n)
{
    const unsigned char *c = s;
    for (size_t i = 0; i < n; i++) {
        if (*at == PRELUDE_REASON_MAX)
            return false;
        reason[(*at)++] = c[i] >= ' ' && c[i] <= '~' ? (char)c[i] : '?';
    }
    return true;
}

static void end(struct prelude *st, enum prelude_status status, const char *what, const void *words,
                size_t n)
{
    if (!prelude_running(st))
        return;
    st->status = status;
    size_t at = 0;
    bool whole = reason_put(st->reason, &at, what, strlen(what));
    if (words && whole)
        whole = reason_put(st->reason, &at, ": \"", 3) && reason_put(st->reason, &at, words, n) &&
                reason_put(st->reason, &at, "\"", 1);
    if (!whole)
        memcpy(st->reason + PRELUDE_REASON_MAX - 3, "...", 3);
    st->reason[at] = '\0';
}

void prelude_ready(struct prelude *st) { end(st, PRELUDE_READY, "", NULL, 0); }

void prelude_refused(struct prelude *st, const char *what, const void *words, size_t n)
{
    end(st, PRELUDE_REFUSED, what, words, n);
}

void prelude_failed(struct prelude *st, const char *what, const void *words, size_t n)
{
    end(st, PRELUDE_FAILED, what, words, n);
}

void prelude_note_more(struct prelude *st, const void *words, size_t n)
{
    size_t room = PRELUDE_REASON_MAX - st->noted_len;
    n = n < room ? n : room;
    if (n)
        memcpy(st->noted + st->noted_len, words, n);
    st->noted_len += n;
}

void prelude_note(struct prelude *st, const void *words, size_t n)
{
    if (st->noted_len)
        prelude_note_more(st, " ", 1);
    prelude_note_more(st, words, n);
}

bool prelude_count_command(struct prelude *st)
{
    if (++st->commands <= PRELUDE_MAX_COMMANDS)
        return true;
    prelude_failed(st, "more than 32 commands before TLS", NULL, 0);
    return false;
}

size_t prelude_read_lines(struct prelude *st, const uint8_t *data, size_t len,
                          prelude_line_fn *on_line)
{
    size_t pos = 0;
    while (pos < len && prelude_running(st)) {
        const uint8_t *lf = memchr(data + pos, '\n', len - pos);
        size_t piece = lf ? (size_t)(lf - (data + pos)) : len - pos;
        if (memchr(data + pos, '\0', piece)) {
            prelude_failed(st, "NUL byte in a line", NULL, 0);
            return pos;
        }
        /* One byte more than the longest line, for the NUL terminator. */
        if (!buf_append(&st->in, data + pos, piece, PRELUDE_LINE_MAX)) {
            const uint8_t *start = st->in.len ? st->in.data : data + pos;
            size_t have = st->in.len ? st->in.len : piece;
            prelude_failed(st, "line longer than 4096 bytes", start,
                           have < PRELUDE_REASON_MAX ? have : PRELUDE_REASON_MAX);
            return pos;
        }
        pos += piece;
        if (!lf)
            break;
        pos++; /* the LF */
        size_t n = st->in.len;
        if (n && st->in.data[n - 1] == '\r')
            n--;
        uint8_t nul = 0;
        st->in.len = n;
        if (!buf_append(&st->in, &nul, 1, PRELUDE_LINE_MAX + 1)) {
            prelude_failed(st, "out of memory", NULL, 0);
            return pos;
        }
        st->in.len = 0;
        on_line(st, (const char *)st->in.data, n);
    }
    return pos;
}

bool prelude_keep(struct prelude *st, const uint8_t *data, size_t n, const char *what)
{
    if (buf_append(&st->in, data, n, PRELUDE_LINE_MAX))
        return true;
    prelude_failed(st, what, st->in.data, st->in.len);
    return false;
}

bool prelude_gather(struct prelude *st, const uint8_t **data, size_t *len, size_t want)
{
    size_t need = want > st->in.len ? want - st->in.len : 0;
    size_t take = need < *len ? need : *len;
    if (!buf_append(&st->in, *data, take, PRELUDE_LINE_MAX)) {
        prelude_failed(st, "out of memory", NULL, 0);
        return false;
    }
    *data += take;
    *len -= take;
    return st->in.len >= want;
}

bool prelude_starts_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(line, word, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

const char *prelude_after_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    return line[n] ? line + n + 1 : "";
}

bool prelude_has_word(const char *line, const char *word)
{
    for (const char *p = line; *p;) {
        while (*p == ' ')
            p++;
        if (prelude_starts_word(p, word))
            return true;
        p += strcspn(p, " ");
    }
    return false;
}

bool prelude_reply_code(const char *line, size_t len, unsigned *code, char *sep)
{
    if (len < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
        line[2] < '0' || line[2] > '9')
        return false;
    *sep = line[3]; /* the NUL when len is 3 */
    if (*sep != ' ' && *sep != '-' && *sep != '\0')
        return false;
    *code = (unsigned)((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
    return true;
}
