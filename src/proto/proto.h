/* proto: application preludes that lead to TLS — STARTTLS dialogues (SMTP, IMAP, POP3, FTP,
 * XMPP, LDAP, NNTP, IRC, ManageSieve, LMTP) and the database SSL requests (PostgreSQL,
 * MySQL/MariaDB/Percona) — each a small byte-in/byte-out machine without sockets or clocks.
 *
 * Both roles of every dialogue live here: the client role runs in front of the scanner's
 * ClientHello (`heartcheck scan --starttls PROTO`), the server role in front of the test
 * server's and `heartcheck clients`' ServerHello. Behaviour is data: one const descriptor
 * per protocol, all registered in one table (proto_all).
 *
 * Driving a prelude (either role):
 *   prelude_new(), then loop:
 *     prelude_take_output()  bytes to send now (one write); may be empty
 *     prelude_status()       PRELUDE_WANT_READ: feed more bytes with prelude_on_data;
 *                            PRELUDE_READY: send the pending output, then TLS starts on the
 *                            same connection; bytes prelude_on_data did not consume are
 *                            already TLS (a MySQL client sends its ClientHello right behind
 *                            its SSL request, often in the same segment);
 *                            PRELUDE_REFUSED: the peer answered but will not start TLS
 *                            (no STARTTLS offered, "454 TLS not available", 'N' to an
 *                            SSLRequest...): prelude_reason() quotes the peer's words;
 *                            PRELUDE_FAILED: the peer's bytes break the protocol or exceed
 *                            our limits (prelude_reason() says how).
 *   prelude_on_closed() when the peer closes: a READY/REFUSED prelude stays so, any other
 *                       becomes FAILED with a reason naming the step.
 * Output may be pending whatever the status: a server's go-ahead comes with READY, its
 * refusal with REFUSED ("454 4.7.0 ..."), its goodbye with FAILED ("221 Bye" to QUIT), and a
 * MySQL server that refuses is REFUSED from prelude_new on, its greeting (without SSL)
 * pending. Send it before starting TLS or closing.
 * A prelude never reads past the point where TLS starts. */
#ifndef HC_PROTO_H
#define HC_PROTO_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum prelude_role { PRELUDE_CLIENT, PRELUDE_SERVER };

enum prelude_status { PRELUDE_WANT_READ, PRELUDE_READY, PRELUDE_REFUSED, PRELUDE_FAILED };

enum {
    PRELUDE_MAX_PORTS = 4,
    PRELUDE_LINE_MAX = 4096,   /* longest line / packet / stanza a prelude buffers */
    PRELUDE_MAX_BYTES = 65536, /* total bytes a peer may send before TLS starts */
    PRELUDE_REASON_MAX = 200,  /* prelude_reason(): the peer's words, cleaned and cut */
    PRELUDE_DOMAIN_MAX = 256,
};

struct prelude;

/* One role of one protocol's dialogue; st is the prelude's state (src/proto/internal.h). */
struct prelude_ops {
    /* Called once at prelude_new: may queue output (a client that speaks first, a server's
     * greeting). */
    void (*start)(struct prelude *st);
    /* Consumes bytes up to the point where TLS starts; returns how many it took. */
    size_t (*on_data)(struct prelude *st, const uint8_t *data, size_t len);
};

/* One protocol. */
struct prelude_desc {
    const char *name;                  /* "smtp": --starttls, --proto and JSON "starttls" */
    const char *summary;               /* one line for --help */
    uint16_t ports[PRELUDE_MAX_PORTS]; /* chosen automatically for these ports; 0 ends */
    struct prelude_ops client, server;
};

struct prelude_params {
    /* Client role: the XMPP stream's to= (the target name or --xmpp-domain); SMTP and LMTP
     * greet with "heartcheck.invalid" whatever it is. Server role: the name in greetings.
     * NULL: a default ("heartcheck.invalid" for a client, "localhost" for a server). */
    const char *domain;
    /* xmpp: jabber:server (port 5269) instead of jabber:client; "xmpp-server" implies it. */
    bool xmpp_server;
    /* Server role only: answer the request for TLS with a refusal (to test that clients
     * and scanners report it), e.g. "454 4.7.0 TLS not available". */
    bool refuse;
};

/* The table, in a fixed order; *count gets its length. */
const struct prelude_desc *const *proto_all(size_t *count);
/* By name ("smtp", "xmpp-server"...); NULL when there is none. */
const struct prelude_desc *proto_find(const char *name);
/* The prelude a port implies; NULL for implicit-TLS ports (443, 465, 993...) and others. */
const struct prelude_desc *proto_for_port(uint16_t port);

/* HC_ERR_USAGE for a NULL descriptor, an unknown role, or a domain that could end the command
 * or attribute it goes into: empty, PRELUDE_DOMAIN_MAX bytes or more, spaces, controls,
 * quotes, '<', '>', '&', '\\' or non-ASCII. params may be NULL (the defaults). */
HC_MUST_CHECK hc_result prelude_new(const struct prelude_desc *d, enum prelude_role role,
                                    const struct prelude_params *params, struct prelude **out);
void prelude_free(struct prelude *p);

const struct prelude_desc *prelude_desc(const struct prelude *p);
enum prelude_status prelude_status(const struct prelude *p);
/* Bytes to send now; valid until the next call into the prelude. *len 0 when none; *data is
 * never NULL. */
void prelude_take_output(struct prelude *p, const uint8_t **data, size_t *len);
/* Returns how many of the bytes were consumed: all of them unless the prelude ended
 * (READY: the rest is TLS; REFUSED/FAILED: the rest does not matter). */
size_t prelude_on_data(struct prelude *p, const uint8_t *data, size_t len);
void prelude_on_closed(struct prelude *p);
/* Why it was refused or failed, with the peer's words (printable ASCII only); "" otherwise. */
const char *prelude_reason(const struct prelude *p);

#endif
