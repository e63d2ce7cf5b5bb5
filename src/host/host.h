/* host: the audit of this machine (`heartcheck`, `heartcheck host`) — every OpenSSL copy and
 * its verdict, the processes that run one, their listening sockets (probed with the scanner),
 * the programs that link libssl, the certificates and keys in use, and the remediation plan. */
#ifndef HC_HOST_H
#define HC_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_options {
    const char *root;  /* "/" or a mounted image or container tree (no processes) */
    char *const *deep; /* --deep paths searched for static copies inside ELF files */
    size_t ndeep;
    const int *pids; /* only these processes (and their sockets), when npids > 0 */
    size_t npids;
    bool probe_all;      /* probe listening sockets of processes without a TLS library */
    bool no_probe;       /* neither the self-scan nor the behavioural proof */
    uint32_t timeout_ms; /* per probe */
    bool json;
    bool verbose;
    bool quiet;
    bool color;
};

/* Runs the audit, prints findings and plan; returns the exit status: 0 clean, 1 something
 * vulnerable or needing a restart, 2 error. */
int host_run(const struct host_options *o);

#endif
