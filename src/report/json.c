#include "report/report.h"

#include <jansson.h>
#include <time.h>

static json_t *string_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *cipher_json(const struct probe_evidence *ev)
{
    if (!ev->server_hello)
        return json_null();
    const struct tls_cipher_suite *cs = tls_cipher_suite_find(ev->cipher);
    if (cs)
        return json_string(cs->name);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%04x", ev->cipher);
    return json_string(hex);
}

static json_t *alert_json(const struct probe_evidence *ev)
{
    if (!ev->alert_seen)
        return json_null();
    return json_pack("{s:s, s:i, s:o}", "level",
                     ev->alert.level == TLS_ALERT_FATAL ? "fatal" : "warning", "description",
                     (int)ev->alert.description, "name",
                     string_or_null(tls_alert_name(ev->alert.description)));
}

static json_t *cert_json(const struct probe_evidence *ev)
{
    if (!ev->cert_seen)
        return json_null();
    char sha[65], spki[65];
    report_hex(ev->cert.sha256, sizeof ev->cert.sha256, sha);
    report_hex(ev->cert.spki_sha256, sizeof ev->cert.spki_sha256, spki);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i}", "subject", ev->cert.subject,
                     "issuer", ev->cert.issuer, "not_before", ev->cert.not_before, "not_after",
                     ev->cert.not_after, "key_type", ev->cert.key_type, "key_bits",
                     ev->cert.key_bits, "sha256", sha, "spki_sha256", spki, "chain_length",
                     (int)ev->chain_length);
}

static void now_iso8601(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *finding_json(const struct finding *f)
{
    const struct probe_result *r = f->result;
    const struct probe_evidence *ev = &r->evidence;
    char when[32];
    now_iso8601(when, sizeof when);
    json_t *o = json_object();
    json_object_set_new(o, "target", json_string(f->target));
    json_object_set_new(o, "host", json_string(f->host));
    json_object_set_new(o, "ip", f->ip && *f->ip ? json_string(f->ip) : json_null());
    json_object_set_new(o, "port", json_integer(f->port));
    json_object_set_new(o, "sni", string_or_null(f->sni));
    json_object_set_new(o, "verdict", json_string(probe_verdict_name(r->verdict)));
    json_object_set_new(o, "reason", json_string(r->reason));
    json_object_set_new(o, "leaked_bytes", json_integer((json_int_t)ev->leaked_bytes));
    json_object_set_new(
        o, "tls_version",
        string_or_null(ev->server_hello ? tls_version_name(ev->tls_version) : NULL));
    json_object_set_new(o, "cipher", cipher_json(ev));
    json_object_set_new(o, "heartbeat_extension", json_boolean(ev->heartbeat_extension));
    json_object_set_new(o, "alert", alert_json(ev));
    json_object_set_new(o, "cert", cert_json(ev));
    json_object_set_new(o, "probe",
                        json_pack("{s:s, s:i}", "kind",
                                  ev->claimed_length > PROBE_PAYLOAD ? "over-read" : "zero-leak",
                                  "claimed_length", (int)ev->claimed_length));
    json_object_set_new(o, "attempts", json_integer(ev->attempts));
    json_object_set_new(o, "elapsed_ms", json_integer(f->elapsed_ms));
    json_object_set_new(o, "time", json_string(when));
    return o;
}

static void json_finding(FILE *out, const struct finding *f, const struct report_options *opt)
{
    (void)opt;
    json_t *o = finding_json(f);
    /* jansson escapes every string: server-controlled text cannot break the line format. */
    json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    fflush(out); /* streamed: each result is out as soon as it is known */
    json_decref(o);
}

static void json_summary(FILE *out, const struct report_summary *s, const struct report_options *o)
{
    (void)out, (void)s, (void)o; /* JSON Lines carry findings only; the CLI prints to stderr */
}

const struct report_format report_json = {"json", json_finding, json_summary};
