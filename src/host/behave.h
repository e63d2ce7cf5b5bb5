/* behave: the behavioural proof of the host audit (issue 3, item 2).
 *
 * Version banners lie (distributions back-ported the fix without changing them), so the
 * strongest evidence about a shared libssl is what it does: behave_run loads it with dlopen in
 * a forked child, puts a server-side SSL object on two memory BIOs and drives it with the very
 * probe `heartcheck scan` uses (src/probe), on a synthetic clock. The probe's verdict is the
 * answer, whatever the version string says (DESIGN.md, host facts).
 *
 * Never in the parent: a foreign library's constructors, symbols and bugs stay in a child that
 * is killed when it hangs; a crash, a hang, a dlopen failure or a library that is not OpenSSL
 * becomes BEHAVE_ERROR with a reason, never a crash of the audit.
 *
 * Fork safety: behave_run forks and the child calls dlopen and malloc, so call it before the
 * process starts threads of its own (glibc keeps malloc and the loader usable after fork, but
 * locks held by another thread at fork time are not). */
#ifndef HC_HOST_BEHAVE_H
#define HC_HOST_BEHAVE_H

#include "base/base.h"

#include <stdbool.h>
#include <stdint.h>

enum behave_verdict {
    BEHAVE_VULNERABLE,     /* echoed the heartbeat without padding: the 1.0.1g check is missing */
    BEHAVE_PATCHED,        /* dropped it (and answered the well-formed follow-up) */
    BEHAVE_NOT_VULNERABLE, /* refused heartbeats altogether (alert unexpected_message) */
    BEHAVE_ERROR,          /* no proof either way: see the reason */
};

enum {
    BEHAVE_DEFAULT_TIMEOUT_MS = 3000,
    BEHAVE_REASON_LEN = 256,
    BEHAVE_VERSION_TEXT_LEN = 128,
};

/* The throw-away RSA-2048 key and self-signed certificate the server side needs to reach
 * ServerHelloDone, as PEM text: the child loads it with the loaded library's own PEM
 * functions, whose signatures every version shares. Generated once (about 0.1 s), reused for
 * every library. */
struct behave_keys;

/* Generates the key and certificate with the OpenSSL 3 we link. HC_ERR_NOMEM or HC_ERR_IO
 * (libcrypto refused). */
HC_MUST_CHECK hc_result behave_keys_new(struct behave_keys **out);

/* Wipes the key's PEM text and frees. NULL is fine. */
void behave_keys_free(struct behave_keys *keys);

struct behave_request {
    /* The libssl to test: a regular path, or /proc/PID/map_files/ADDR-ADDR for the deleted or
     * replaced copy a process still runs. */
    const char *libssl;
    /* Its libcrypto, loaded first: a copy outside the linker's search path (map_files) can
     * only satisfy libssl's dependency when it is already loaded. NULL: let the dynamic
     * linker find libssl's libcrypto itself. */
    const char *libcrypto;
    const struct behave_keys *keys;
    uint32_t timeout_ms; /* wall-clock limit for the child; 0 means BEHAVE_DEFAULT_TIMEOUT_MS */
};

struct behave_result {
    enum behave_verdict verdict;
    char reason[BEHAVE_REASON_LEN]; /* the probe's reason, or what went wrong and where */
    const char *api;                /* "1.0" or "1.1+"; "" when no OpenSSL API was found */
    /* SSLeay_version(0) / OpenSSL_version(0) of the loaded library, printable ASCII only;
     * "" when the child did not get that far. */
    char version_text[BEHAVE_VERSION_TEXT_LEN];
    uint16_t tls_version;     /* negotiated (0x0303 is TLS 1.2); 0 without a ServerHello */
    uint16_t cipher;          /* the suite the library chose; 0 without a ServerHello */
    bool heartbeat_extension; /* the library acknowledged the heartbeat extension */
};

/* Runs the probe against req->libssl in a child and fills *out. Everything that goes wrong in
 * the child is a BEHAVE_ERROR result with HC_OK. Returns HC_ERR_USAGE for a request without
 * libssl or keys, HC_ERR_IO when no child could be started (pipe, fork): *out is then a
 * BEHAVE_ERROR result saying so. Takes up to timeout_ms plus a few milliseconds. */
HC_MUST_CHECK hc_result behave_run(const struct behave_request *req, struct behave_result *out);

/* "vulnerable", "patched", "not_vulnerable", "error". */
const char *behave_verdict_name(enum behave_verdict v);

#endif
