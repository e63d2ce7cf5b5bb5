/* clients: the `heartcheck clients` driver — a TCP listener (libuv) that plays a TLS server
 * to every client that connects, runs the lure (src/probe, client role) on each connection
 * and reports which clients answer the zero-leak heartbeat, i.e. leak their memory. */
#ifndef HC_CLIENTS_H
#define HC_CLIENTS_H

#include "base/base.h"
#include "report/report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prelude_desc;

struct clients_options {
    const char *listen;               /* ADDR:PORT, [IPv6]:PORT */
    const struct prelude_desc *proto; /* the dialogue before TLS, server role; NULL: none */
    const char *name;                 /* certificate CN and greeting name ("localhost") */
    const char *cert_path, *key_path; /* PEM; NULL: a self-signed certificate made at start */
    const char *exec;                 /* a client command to run against the listener */
    bool once;                        /* stop after the first client's verdict */
    unsigned max_clients;             /* stop after this many verdicts; 0: no limit */
    uint32_t duration_ms;             /* stop listening after this long; 0: no limit */
    uint32_t timeout_ms;              /* deadline per connection */
    uint32_t followup_ms;             /* delay of the well-formed follow-up heartbeat */
    unsigned max_connections;         /* connections at once; more are closed at accept */
    uint32_t leak_bytes;              /* --leak */
    const char *dump_path;            /* leaked bytes go here (mode 0600), nowhere else */
    const struct client_report_format *format;
    struct report_options report;
    bool quiet;
};

/* Listens, judges clients until a stop condition (--once, --max-clients, --duration, the
 * --exec command's end, SIGINT/SIGTERM) and returns the exit status: 1 a vulnerable client
 * was seen, 3 every verdict was inconclusive, 2 an error, else 0. */
int clients_run(const struct clients_options *o);

/* ---- cert.c: the certificate we present ---- */

struct clients_cert {
    uint8_t *der;
    size_t len;
    bool rsa; /* RSA key: the lure can pick RSA key exchange suites */
};

/* A self-signed certificate for cn (RSA 2048, SHA-256, valid from an hour ago for a year). */
HC_MUST_CHECK hc_result clients_cert_make(const char *cn, struct clients_cert *out);
/* The first certificate of a PEM file; key_path (may be NULL) must hold its private key.
 * HC_ERR_IO with why in err when a file cannot be read; HC_ERR_BAD_CERTIFICATE when they do
 * not parse or do not match. */
HC_MUST_CHECK hc_result clients_cert_load(const char *cert_path, const char *key_path,
                                          struct clients_cert *out, char *err, size_t err_cap);
void clients_cert_free(struct clients_cert *c);

/* ---- exec.c: the --exec command line ---- */

/* Substitutes {host} (the address, no brackets), {port} and {url} ("https://127.0.0.1:8443/",
 * or the protocol's scheme with --proto: "smtp://...", "postgresql://...") in tmpl.
 * HC_ERR_NO_SPACE when the result does not fit. */
HC_MUST_CHECK hc_result clients_exec_expand(const char *tmpl, const char *host, uint16_t port,
                                            const char *proto, char *out, size_t cap);

#endif
