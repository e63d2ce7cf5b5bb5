/* libFuzzer target: the input as a verify baseline (JSON Lines of scan and host results). Each
 * entry it yields is judged against a fixed probe result, so the verdict table sees whatever
 * the parser lets through. Invariants: a failure names FILE:LINE; every entry has a target,
 * a port and a known verdict, and a certificate it holds has 64-digit hashes. */
#include "verify/verify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const struct verify_baseline *b, const struct verify_entry *e)
{
    if (!e->target[0] || e->port == 0 || e->verdict > PROBE_INCONCLUSIVE || e->line == 0)
        abort();
    if (e->cert.present && (strlen(e->cert.sha256) != VERIFY_HEX_SHA256 ||
                            strlen(e->cert.spki_sha256) != VERIFY_HEX_SHA256))
        abort();
    struct tls_cert_info cert;
    memset(&cert, 0x5a, sizeof cert);
    cert.serial[0] = '\0';
    struct verify_now now = {.verdict = PROBE_PATCHED, .reason = "dropped", .cert = &cert};
    char reason[256];
    enum verify_verdict v = verify_judge(e, &now, b, reason, sizeof reason);
    if (strcmp(verify_verdict_name(v), "unknown") == 0 || !reason[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct verify_baseline b;
    memset(&b, 0, sizeof b);
    char err[VERIFY_ERR_MAX];
    hc_result r = verify_baseline_parse((const char *)data, size, "fuzz", &b, err, sizeof err);
    if (!hc_ok(r) && r.error != HC_ERR_NOMEM && strncmp(err, "fuzz:", 5) != 0)
        abort();
    for (size_t i = 0; hc_ok(r) && i < b.count; i++)
        check_entry(&b, &b.entries[i]);
    verify_baseline_free(&b);
    return 0;
}
