/* proto, private: the prelude state and the driver's services that the protocol files share
 * (prelude.c implements them). Nothing outside src/proto includes this. */
#ifndef HC_PROTO_INTERNAL_H
#define HC_PROTO_INTERNAL_H

#include "proto/proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    /* Everything a prelude queues between two prelude_take_output calls. Server replies are
     * a few hundred bytes and PRELUDE_MAX_COMMANDS bounds how many one read can ask for. */
    PRELUDE_OUT_MAX = 65536,
    /* Commands a server answers (or PINGs a client answers) before TLS. Real clients send
     * two or three; the bound keeps a peer from making us write without end. */
    PRELUDE_MAX_COMMANDS = 32,
};

/* A buffer that grows on demand up to a cap, so that an idle prelude costs little. */
struct prelude_buf {
    uint8_t *data;
    size_t len, cap;
};

struct prelude {
    const struct prelude_desc *desc;
    const struct prelude_ops *ops; /* desc->client or desc->server */
    enum prelude_role role;
    enum prelude_status status;
    bool refuse;      /* server role: refuse the request for TLS */
    bool xmpp_server; /* jabber:server rather than jabber:client */
    char domain[PRELUDE_DOMAIN_MAX];
    unsigned step;          /* where the protocol's dialogue is: an enum of its own file */
    unsigned flags;         /* what the protocol file has seen so far: its own bits */
    unsigned depth;         /* xmpp: element nesting */
    size_t want;            /* binary protocols: the length of the packet being gathered */
    uint8_t quote;          /* xmpp: the quote that opened the attribute value being read */
    unsigned commands;      /* see PRELUDE_MAX_COMMANDS */
    size_t received;        /* bytes consumed from the peer: PRELUDE_MAX_BYTES bounds it */
    const char *awaiting;   /* what the next peer bytes should be, for the reason of a close */
    struct prelude_buf in;  /* the line, tag or packet being assembled (PRELUDE_LINE_MAX) */
    struct prelude_buf out; /* bytes for the next prelude_take_output (PRELUDE_OUT_MAX) */
    char reason[PRELUDE_REASON_MAX + 1];
};

/* The descriptors, one per protocol file. */
extern const struct prelude_desc proto_smtp, proto_lmtp, proto_imap, proto_pop3, proto_ftp,
    proto_xmpp, proto_xmpp_server, proto_ldap, proto_postgres, proto_mysql, proto_nntp, proto_irc,
    proto_sieve;

/* Output. A write that does not fit fails the prelude (never silently drops bytes). */
void prelude_send(struct prelude *st, const void *data, size_t len);
void prelude_send_str(struct prelude *st, const char *s);
void prelude_sendf(struct prelude *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Endings; the first one sticks. words (n bytes, may be NULL) are the peer's, quoted after
 * what, cleaned to printable ASCII and cut to PRELUDE_REASON_MAX. */
void prelude_ready(struct prelude *st);
void prelude_refused(struct prelude *st, const char *what, const void *words, size_t n);
void prelude_failed(struct prelude *st, const char *what, const void *words, size_t n);
static inline bool prelude_running(const struct prelude *st)
{
    return st->status == PRELUDE_WANT_READ;
}

/* Server role: counts a command; false (and FAILED) beyond PRELUDE_MAX_COMMANDS. */
bool prelude_count_command(struct prelude *st);

/* Text protocols: cuts data into lines ended by LF (a CR before it is dropped) and calls
 * on_line for each, NUL-terminated, until the prelude ends; returns the bytes consumed (up to
 * the end of the line that ended it). Lines longer than PRELUDE_LINE_MAX and NUL bytes fail
 * the prelude. */
typedef void prelude_line_fn(struct prelude *st, const char *line, size_t len);
size_t prelude_read_lines(struct prelude *st, const uint8_t *data, size_t len,
                          prelude_line_fn *on_line);

/* Appends n bytes to st->in; false (and FAILED, saying what) beyond PRELUDE_LINE_MAX. */
bool prelude_keep(struct prelude *st, const uint8_t *data, size_t n, const char *what);

/* Binary protocols: moves bytes from *data into st->in until it holds want bytes (want <=
 * PRELUDE_LINE_MAX); true when it does (at once when it already did). st->in.len = 0
 * starts the next packet. */
bool prelude_gather(struct prelude *st, const uint8_t **data, size_t *len, size_t want);

/* Text helpers. Case-insensitive (commands and capabilities are, RFC 5321 §2.4). */
/* line starts with word, followed by the end or a space. */
bool prelude_starts_word(const char *line, const char *word);
/* What follows a word that line starts with (prelude_starts_word) and its space; "" if none. */
const char *prelude_after_word(const char *line, const char *word);
/* word is one of the space-separated tokens of line. */
bool prelude_has_word(const char *line, const char *word);
/* A three-digit reply code 100..599 (SMTP, FTP, NNTP) and what follows it: ' ', '-' or '\0'. */
bool prelude_reply_code(const char *line, size_t len, unsigned *code, char *sep);

#endif
