/* Private to src/host: the audit in progress, shared by the collectors (collect.c, running.c)
 * and the driver (host.c). */
#ifndef HC_HOST_AUDIT_H
#define HC_HOST_AUDIT_H

#include "base/base.h"
#include "host/host.h"
#include "host/model.h"

struct pkgdb;
struct behave_keys;

struct audit {
    const struct host_options *opt;
    struct audit_findings f;
    size_t copies_cap, processes_cap, programs_cap, certs_cap, unowned_cap;
    struct pkgdb *db;         /* NULL when the package database cannot be read */
    struct behave_keys *keys; /* NULL with --no-probe */
    unsigned warnings;
};

/* ---- collect.c: OpenSSL copies and their verdicts ---- */

/* A new copy appended to f.copies (zeroed, partner -1); NULL when out of memory. */
struct audit_copy *audit_add_copy(struct audit *a);
/* Shared libssl/libcrypto found through the linker's cache and directories. */
HC_MUST_CHECK hc_result audit_shared_copies(struct audit *a);
/* Static copies inside ELF files under the --deep paths. */
HC_MUST_CHECK hc_result audit_static_copies(struct audit *a);
/* A libssl and the libcrypto it belongs with: same directory, same ".so..." suffix. */
bool audit_partners(const struct audit_copy *ssl, const struct audit_copy *crypto);
/* Fills the package fields of a copy from the package database and the back-port table. */
void audit_package(struct audit *a, struct audit_copy *c);
/* Loads every libssl (with its libcrypto) in a child and gives it the zero-leak probe. */
void audit_behaviour(struct audit *a);
/* Verdict, basis and reason of every copy, from the evidence gathered. */
void audit_decide(struct audit *a);

/* ---- running.c: processes, their sockets, the self-scan, programs, certificates ---- */

/* Processes that map TLS libraries and their listening sockets (not with --root). Adds a
 * "mapped" copy for each library a process runs that is not the one on disk. */
HC_MUST_CHECK hc_result audit_processes(struct audit *a);
/* Probes the listening TCP sockets of processes with a TLS library, like `scan`. */
HC_MUST_CHECK hc_result audit_self_scan(struct audit *a);
/* Marks processes that run a vulnerable copy or a stale one. */
void audit_mark_processes(struct audit *a);
/* ELF programs and libraries that link libssl or libcrypto. */
HC_MUST_CHECK hc_result audit_programs(struct audit *a);

/* ---- certs.c glue (audit_certs.c): certificates and keys in use ---- */

/* Certificates and keys named by server configurations and kept under /etc/ssl, /etc/pki and
 * /etc/letsencrypt. */
HC_MUST_CHECK hc_result audit_certificates(struct audit *a);
/* Marks those whose service listened beyond loopback with a vulnerable library loaded. */
void audit_mark_certificates(struct audit *a);
/* Finds when libssl was fixed (dpkg logs under the root) and dates the keys of services
 * against it. NOMEM only. */
HC_MUST_CHECK hc_result audit_key_ages(struct audit *a);

void audit_free(struct audit *a);

/* Grows an array of n elements of size sz to hold one more; false when out of memory. */
bool audit_grow(void **items, size_t n, size_t *cap, size_t sz);

#endif
