#include "verify/verify.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    enum verify_class class;
} verdicts[] = {
    [VERIFY_ROTATED] = {"rotated", VERIFY_CLASS_DONE},
    [VERIFY_NEVER_VULNERABLE] = {"never_vulnerable", VERIFY_CLASS_DONE},
    [VERIFY_STILL_VULNERABLE] = {"still_vulnerable", VERIFY_CLASS_ACTION},
    [VERIFY_NEWLY_VULNERABLE] = {"newly_vulnerable", VERIFY_CLASS_ACTION},
    [VERIFY_NOT_ROTATED] = {"not_rotated", VERIFY_CLASS_ACTION},
    [VERIFY_SAME_KEY] = {"same_key", VERIFY_CLASS_ACTION},
    [VERIFY_UNREACHABLE] = {"unreachable", VERIFY_CLASS_UNKNOWN},
    [VERIFY_INCONCLUSIVE] = {"inconclusive", VERIFY_CLASS_UNKNOWN},
    [VERIFY_NOT_TLS] = {"not_tls", VERIFY_CLASS_UNKNOWN},
    [VERIFY_NO_BASELINE_CERT] = {"no_baseline_cert", VERIFY_CLASS_UNKNOWN},
    [VERIFY_NO_CURRENT_CERT] = {"no_current_cert", VERIFY_CLASS_UNKNOWN},
    [VERIFY_BASELINE_UNDECIDED] = {"baseline_undecided", VERIFY_CLASS_UNKNOWN},
};

const char *verify_verdict_name(enum verify_verdict v)
{
    return (unsigned)v < HC_ARRAY_LEN(verdicts) ? verdicts[v].name : "unknown";
}

enum verify_class verify_verdict_class(enum verify_verdict v)
{
    return (unsigned)v < HC_ARRAY_LEN(verdicts) ? verdicts[v].class : VERIFY_CLASS_UNKNOWN;
}

static bool exposed_in_baseline(enum probe_verdict v) { return v == PROBE_VULNERABLE; }

/* Patched and not_vulnerable both mean "not exposed": a server moved to OpenSSL 1.1 or later
 * has no heartbeat at all, which is as good a fix as 1.0.1g. */
static bool not_exposed(enum probe_verdict v)
{
    return v == PROBE_PATCHED || v == PROBE_NOT_VULNERABLE;
}

/* Why the probe could not serve as evidence now, or VERIFY_ROTATED when it can. */
static enum verify_verdict undecided_now(enum probe_verdict v)
{
    switch (v) {
    case PROBE_UNREACHABLE: return VERIFY_UNREACHABLE;
    case PROBE_NOT_TLS: return VERIFY_NOT_TLS;
    case PROBE_INCONCLUSIVE: return VERIFY_INCONCLUSIVE;
    default: return VERIFY_ROTATED;
    }
}

/* A host baseline knows keys, not certificates: the key the server shows now either was one
 * in use while exposed or it is new. */
static enum verify_verdict against_old_keys(const struct verify_baseline *b, const char *spki,
                                            char *reason, size_t cap)
{
    for (size_t i = 0; i < b->old_key_count; i++)
        if (strcmp(b->old_keys[i].spki_sha256, spki) == 0) {
            snprintf(reason, cap,
                     "fixed, but it still uses the key of %s, which was in use while the "
                     "service was exposed: make a new key and re-issue",
                     b->old_keys[i].path[0] ? b->old_keys[i].path : "an exposed certificate");
            return VERIFY_SAME_KEY;
        }
    if (b->old_key_count == 0) {
        snprintf(reason, cap,
                 "fixed, but the baseline (a host audit) recorded no exposed "
                 "certificate to compare the one seen now with");
        return VERIFY_NO_BASELINE_CERT;
    }
    snprintf(reason, cap,
             "fixed, and its key is none of the %zu the baseline saw in use while "
             "exposed: rotated",
             b->old_key_count);
    return VERIFY_ROTATED;
}

static enum verify_verdict compare_certs(const struct verify_cert *then,
                                         const struct tls_cert_info *now, char *reason, size_t cap)
{
    char sha[VERIFY_HEX_SHA256 + 1], spki[VERIFY_HEX_SHA256 + 1];
    report_hex(now->sha256, sizeof now->sha256, sha);
    report_hex(now->spki_sha256, sizeof now->spki_sha256, spki);
    if (strcmp(sha, then->sha256) == 0) {
        snprintf(reason, cap,
                 "fixed, but it presents the very certificate of the baseline: its "
                 "key may have leaked; make a new key, re-issue and revoke the old "
                 "certificate");
        return VERIFY_NOT_ROTATED;
    }
    if (strcmp(spki, then->spki_sha256) == 0) {
        snprintf(reason, cap,
                 "fixed and re-issued, but the new certificate is for the old key "
                 "(spki_sha256 %.16s...), which may have leaked: make a new key",
                 spki);
        return VERIFY_SAME_KEY;
    }
    snprintf(reason, cap, "fixed, with a new certificate for a new key: rotated");
    return VERIFY_ROTATED;
}

enum verify_verdict verify_judge(const struct verify_entry *then, const struct verify_now *now,
                                 const struct verify_baseline *baseline, char *reason, size_t cap)
{
    bool was_exposed = exposed_in_baseline(then->verdict);
    if (now->verdict == PROBE_VULNERABLE) {
        snprintf(reason, cap, "%s: %s",
                 was_exposed ? "still vulnerable" : "vulnerable now, though not in the baseline",
                 now->reason);
        return was_exposed ? VERIFY_STILL_VULNERABLE : VERIFY_NEWLY_VULNERABLE;
    }
    if (not_exposed(then->verdict)) {
        snprintf(reason, cap, "%s in the baseline: no key to rotate",
                 probe_verdict_name(then->verdict));
        return VERIFY_NEVER_VULNERABLE;
    }
    if (!was_exposed) { /* unreachable, not_tls or inconclusive then */
        snprintf(reason, cap, "the baseline could not tell (%s), and now: %s",
                 probe_verdict_name(then->verdict), now->reason);
        return VERIFY_BASELINE_UNDECIDED;
    }
    enum verify_verdict undecided = undecided_now(now->verdict);
    if (undecided != VERIFY_ROTATED) {
        snprintf(reason, cap, "vulnerable in the baseline; now %s: %s",
                 probe_verdict_name(now->verdict), now->reason);
        return undecided;
    }
    if (!now->cert) {
        snprintf(reason, cap, "fixed, but no certificate was seen to compare (%s)", now->reason);
        return VERIFY_NO_CURRENT_CERT;
    }
    if (then->cert.present)
        return compare_certs(&then->cert, now->cert, reason, cap);
    if (then->from_host) {
        char spki[VERIFY_HEX_SHA256 + 1];
        report_hex(now->cert->spki_sha256, sizeof now->cert->spki_sha256, spki);
        return against_old_keys(baseline, spki, reason, cap);
    }
    snprintf(reason, cap, "fixed, but the baseline recorded no certificate to compare with");
    return VERIFY_NO_BASELINE_CERT;
}
