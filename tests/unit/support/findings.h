/* Findings and probe results built by hand, and reports rendered to strings, for the tests of
 * the report formats. */
#ifndef HC_FINDINGS_H
#define HC_FINDINGS_H
#include "report/report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A probe result with nothing but a verdict, a reason and one attempt. */
struct probe_result result_with_reason(enum probe_verdict v, const char *reason);

/* Adds a TLS 1.2 ServerHello to r: cipher 0xc02f (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) and the
 * heartbeat extension. */
void result_add_tls12(struct probe_result *r);

/* Adds a certificate to r: valid 2026-11-21T12:35:37Z to 2027-11-21T12:35:37Z, RSA 2048 bits,
 * sha256 00 01 .. 1f and spki_sha256 ff fe .. e0. */
void result_add_cert(struct probe_result *r, const char *subject, const char *issuer,
                     size_t chain_length);

/* A finding for target example.com:8443 (ip 192.0.2.7, SNI example.com) holding r. */
struct finding example_finding(const struct probe_result *r, uint32_t elapsed_ms);

/* What fmt writes for one finding, as a string the caller frees. */
char *render_finding(const struct report_format *fmt, const struct finding *f, bool verbose,
                     bool color);

/* What fmt writes for a summary (colour allowed), as a string the caller frees. */
char *render_summary(const struct report_format *fmt, const struct report_summary *s);
#endif
