/* Hand-made findings and rendered reports of findings.h. */
#include "unit.h"

#include "support/findings.h"

#include <stdio.h>
#include <string.h>

/* A probe result with nothing but a verdict, a reason and one attempt. */
struct probe_result result_with_reason(enum probe_verdict v, const char *reason)
{
    struct probe_result r;
    memset(&r, 0, sizeof r);
    r.verdict = v;
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    r.evidence.attempts = 1;
    return r;
}

/* Adds a TLS 1.2 ServerHello with cipher 0xc02f and the heartbeat extension. */
void result_add_tls12(struct probe_result *r)
{
    r->evidence.server_hello = true;
    r->evidence.tls_version = TLS_VERSION_TLS12;
    r->evidence.cipher = 0xc02f;
    r->evidence.heartbeat_extension = true;
}

/* Adds a certificate with the given names and chain length, the rest fixed. */
void result_add_cert(struct probe_result *r, const char *subject, const char *issuer,
                     size_t chain_length)
{
    struct tls_cert_info *c = &r->evidence.cert;
    r->evidence.cert_seen = true;
    r->evidence.chain_length = chain_length;
    snprintf(c->subject, sizeof c->subject, "%s", subject);
    snprintf(c->issuer, sizeof c->issuer, "%s", issuer);
    snprintf(c->not_before, sizeof c->not_before, "2026-11-21T12:35:37Z");
    snprintf(c->not_after, sizeof c->not_after, "2027-11-21T12:35:37Z");
    snprintf(c->key_type, sizeof c->key_type, "RSA");
    c->key_bits = 2048;
    snprintf(c->serial, sizeof c->serial, "1000");
    for (size_t i = 0; i < 32; i++) {
        c->sha256[i] = (uint8_t)i;
        c->spki_sha256[i] = (uint8_t)(0xff - i);
    }
}

/* A finding for example.com:8443 holding r. */
struct finding example_finding(const struct probe_result *r, uint32_t elapsed_ms)
{
    struct finding f = {
        .target = "example.com:8443",
        .host = "example.com",
        .ip = "192.0.2.7",
        .port = 8443,
        .sni = "example.com",
        .elapsed_ms = elapsed_ms,
        .result = r,
    };
    return f;
}

/* What fmt writes for one finding, in memory. */
char *render_finding(const struct report_format *fmt, const struct finding *f, bool verbose,
                     bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    struct report_options o = {.verbose = verbose, .color = color};
    fmt->finding(out, f, &o);
    assert_int_equal(fclose(out), 0);
    return buf;
}

/* What fmt writes for a summary, in memory. */
char *render_summary(const struct report_format *fmt, const struct report_summary *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    struct report_options o = {.color = true};
    fmt->summary(out, s, &o);
    assert_int_equal(fclose(out), 0);
    return buf;
}
