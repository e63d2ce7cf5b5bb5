/* verify: `heartcheck verify` — was the remediation really done?
 *
 * After Heartbleed a patched server was only half fixed: its private key may have leaked, so
 * the key had to be replaced, the certificate re-issued for the NEW key and the old one
 * revoked. Many operators re-issued for the same key or kept the old certificate. verify
 * reads an earlier result (the baseline: `heartcheck scan --json` lines, or the sockets and
 * certificates of `heartcheck host --json`), probes every target again with the scan engine,
 * and tells per target what happened to its certificate and key (docs/json.md, "verify").
 *
 * Four parts: the baseline parser (baseline.c), the verdict table (judge.c), revocation in
 * CRLs (crl.c), and the driver with its text and JSON output (verify.c). */
#ifndef HC_VERIFY_H
#define HC_VERIFY_H

#include "base/base.h"
#include "engine/engine.h"
#include "probe/probe.h"
#include "report/report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- the baseline (baseline.c) ---- */

enum { VERIFY_HEX_SHA256 = 64, VERIFY_ERR_MAX = 512 };

/* The certificate a target presented in the baseline; strings as `scan --json` wrote them. */
struct verify_cert {
    bool present;
    char sha256[VERIFY_HEX_SHA256 + 1]; /* lower-case hex */
    char spki_sha256[VERIFY_HEX_SHA256 + 1];
    char serial[TLS_SERIAL_HEX_MAX + 2]; /* "" when the baseline had none */
    char issuer[512];
    char subject[512];
    char not_before[32];
};

struct verify_entry {
    char target[TARGET_SPEC_MAX]; /* "host:port", "[v6]:port": what is probed again */
    char host[TARGET_HOST_MAX];
    uint16_t port;
    char starttls[32];              /* the dialogue before TLS as recorded; "" for none */
    enum probe_transport transport; /* as recorded: TCP, DTLS or OpenVPN's */
    enum probe_verdict verdict;     /* in the baseline */
    char time[32];                  /* when the baseline decided; "" when not recorded */
    unsigned line;                  /* in the baseline file, from 1 */
    bool from_host;                 /* a listening socket of `heartcheck host --json` */
    struct verify_cert cert;        /* scan baselines */
};

/* The SubjectPublicKeyInfo hash of a certificate or key that `heartcheck host` found in use
 * by a service exposed with a vulnerable OpenSSL: a key that must not be seen again. */
struct verify_old_key {
    char spki_sha256[VERIFY_HEX_SHA256 + 1];
    char path[512]; /* the certificate (or key) file that held it */
};

struct verify_baseline {
    struct verify_entry *entries; /* one per target, in order of first appearance */
    size_t count, cap;
    struct verify_old_key *old_keys;
    size_t old_key_count, old_key_cap;
};

/* Parses JSON Lines text (any bytes). Scan lines (no "type") give one entry each; host lines
 * of "type" "process" (its "listening" sockets) and "socket" give an entry for every socket
 * that was probed, and "certificate" lines with "exposed_while_vulnerable" give old keys;
 * other host types are skipped. A target seen twice keeps one entry: a later line replaces an
 * earlier one, except that a "vulnerable" line is never replaced by a non-vulnerable one (the
 * exposure is what must be verified). Blank lines are skipped; a cut last line (no newline,
 * not JSON: an interrupted scan) is ignored.
 * HC_ERR_USAGE with err = "NAME:LINE: why" for any other line that is not such an object;
 * HC_ERR_NOMEM. out is left valid for verify_baseline_free either way. */
HC_MUST_CHECK hc_result verify_baseline_parse(const char *text, size_t len, const char *name,
                                              struct verify_baseline *out, char *err, size_t cap);

/* Reads and parses PATH ("-": standard input). HC_ERR_IO with err naming the file when it
 * cannot be read, HC_ERR_USAGE when it holds no target at all. */
HC_MUST_CHECK hc_result verify_baseline_load(const char *path, struct verify_baseline *out,
                                             char *err, size_t cap);

void verify_baseline_free(struct verify_baseline *b);

/* ---- the verdict table (judge.c) ---- */

enum verify_verdict {
    VERIFY_ROTATED,            /* new key and new certificate */
    VERIFY_NEVER_VULNERABLE,   /* the baseline found it patched or not vulnerable */
    VERIFY_STILL_VULNERABLE,   /* vulnerable then and now */
    VERIFY_NEWLY_VULNERABLE,   /* not vulnerable in the baseline, vulnerable now */
    VERIFY_NOT_ROTATED,        /* fixed, but the very certificate of the baseline */
    VERIFY_SAME_KEY,           /* fixed, a new certificate for the old (possibly leaked) key */
    VERIFY_UNREACHABLE,        /* could not tell: no connection now */
    VERIFY_INCONCLUSIVE,       /* could not tell: the probe could not decide now */
    VERIFY_NOT_TLS,            /* could not tell: it speaks no TLS now */
    VERIFY_NO_BASELINE_CERT,   /* could not tell: the baseline recorded no certificate */
    VERIFY_NO_CURRENT_CERT,    /* could not tell: no certificate seen now */
    VERIFY_BASELINE_UNDECIDED, /* could not tell: the baseline itself had no verdict */
};

enum verify_class {
    VERIFY_CLASS_DONE,    /* rotated or never vulnerable: exit 0 */
    VERIFY_CLASS_ACTION,  /* something still to do: exit 1 */
    VERIFY_CLASS_UNKNOWN, /* could not tell: exit 3 when nothing needs action */
};

const char *verify_verdict_name(enum verify_verdict v); /* "not_rotated", ... */
enum verify_class verify_verdict_class(enum verify_verdict v);

/* What the probe found now; cert is NULL when no certificate was seen. */
struct verify_now {
    enum probe_verdict verdict;
    const char *reason;
    const struct tls_cert_info *cert;
};

/* The verdict for one target, and in reason (always terminated) why, in words. old_keys are
 * the baseline's keys known to have been exposed (host baselines), checked when the entry
 * itself holds no certificate. */
enum verify_verdict verify_judge(const struct verify_entry *then, const struct verify_now *now,
                                 const struct verify_baseline *baseline, char *reason, size_t cap);

/* ---- revocation (crl.c) ---- */

struct verify_crls; /* CRLs read from files: issuer names and revoked serials */

enum verify_revoked {
    VERIFY_REVOKED_UNKNOWN, /* no CRL of that issuer was given (or no serial to look for) */
    VERIFY_REVOKED_YES,
    VERIFY_REVOKED_NO,
};

/* Reads every file (PEM, one or several CRLs, or one DER CRL) with libcrypto. HC_ERR_IO with
 * err naming a file that cannot be read, HC_ERR_USAGE naming one that holds no CRL;
 * HC_ERR_NOMEM. */
HC_MUST_CHECK hc_result verify_crls_load(char *const *paths, size_t count, struct verify_crls **out,
                                         char *err, size_t cap);
/* The same from memory, one buffer as one file; for tests and the fuzzer. */
HC_MUST_CHECK hc_result verify_crls_parse(const uint8_t *data, size_t len,
                                          struct verify_crls **out);
void verify_crls_free(struct verify_crls *c);
size_t verify_crls_count(const struct verify_crls *c);

/* Whether the certificate of ISSUER (RFC 2253, as tls_cert_info gives it) with SERIAL
 * (tls_cert_info.serial form) is listed as revoked by a CRL of that issuer. The CRL's
 * signature is not checked: the operator gives the files, heartcheck reads what they say. */
enum verify_revoked verify_crls_lookup(const struct verify_crls *c, const char *issuer,
                                       const char *serial);

/* ---- the driver (verify.c) ---- */

struct verify_options {
    const char *baseline_path;
    char *const *only; /* TARGETs named on the command line: only these (count 0: all) */
    size_t only_count;
    char *const *crl_paths;
    size_t crl_count;
    struct engine_config engine; /* timeout, concurrency... starttls comes from the baseline */
    bool json;
    bool verbose;
    bool color;
    bool quiet;
};

/* Exit status: 0 every target rotated or never vulnerable; 1 something still to do; 2 usage
 * or I/O error (a bad baseline line named FILE:LINE on stderr); 3 only "could not tell" left. */
int verify_run(const struct verify_options *o);

#endif
