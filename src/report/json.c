#include "report/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* jansson refuses invalid UTF-8, and a NULL value would silently drop its key: such text (it
 * can only come from a server) keeps its valid characters, each broken byte becomes '?'. */
json_t *report_json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t len = strlen(s);
    char *fixed = malloc(len + 1);
    if (!fixed)
        return json_string("?");
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        size_t n = report_utf8_sequence(p);
        if (n == 0) {
            fixed[o++] = '?';
            p++;
        } else {
            memcpy(fixed + o, p, n);
            o += n;
            p += n;
        }
    }
    fixed[o] = '\0';
    j = json_string(fixed);
    free(fixed);
    return j ? j : json_string("?");
}

static json_t *text_or_null(const char *s) { return s ? report_json_text(s) : json_null(); }

static json_t *cipher_json(const struct probe_evidence *ev)
{
    if (!ev->server_hello)
        return json_null();
    const struct tls_cipher_suite *cs = tls_cipher_suite_find(ev->cipher);
    if (cs)
        return report_json_text(cs->name);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%04x", ev->cipher);
    return report_json_text(hex);
}

static json_t *alert_json(const struct probe_evidence *ev)
{
    if (!ev->alert_seen)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "level",
                        report_json_text(ev->alert.level == TLS_ALERT_FATAL ? "fatal" : "warning"));
    json_object_set_new(o, "description", json_integer(ev->alert.description));
    json_object_set_new(o, "name", text_or_null(tls_alert_name(ev->alert.description)));
    return o;
}

static json_t *cert_json(const struct probe_evidence *ev)
{
    if (!ev->cert_seen)
        return json_null();
    char sha[65], spki[65];
    report_hex(ev->cert.sha256, sizeof ev->cert.sha256, sha);
    report_hex(ev->cert.spki_sha256, sizeof ev->cert.spki_sha256, spki);
    json_t *o = json_object();
    json_object_set_new(o, "subject", report_json_text(ev->cert.subject));
    json_object_set_new(o, "issuer", report_json_text(ev->cert.issuer));
    json_object_set_new(o, "not_before", report_json_text(ev->cert.not_before));
    json_object_set_new(o, "not_after", report_json_text(ev->cert.not_after));
    json_object_set_new(o, "key_type", report_json_text(ev->cert.key_type));
    json_object_set_new(o, "key_bits", json_integer(ev->cert.key_bits));
    json_object_set_new(o, "sha256", report_json_text(sha));
    json_object_set_new(o, "spki_sha256", report_json_text(spki));
    json_object_set_new(o, "serial",
                        ev->cert.serial[0] ? report_json_text(ev->cert.serial) : json_null());
    json_object_set_new(o, "chain_length", json_integer((json_int_t)ev->chain_length));
    return o;
}

static json_t *probe_json(const struct probe_evidence *ev)
{
    json_t *o = json_object();
    bool over_read = ev->claimed_length > ev->sent_length;
    json_object_set_new(o, "kind", report_json_text(over_read ? "over-read" : "zero-leak"));
    json_object_set_new(o, "claimed_length", json_integer(ev->claimed_length));
    json_object_set_new(o, "sent_length", json_integer(ev->sent_length));
    return o;
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
    json_object_set_new(o, "target", report_json_text(f->target));
    json_object_set_new(o, "host", report_json_text(f->host));
    json_object_set_new(o, "ip", f->ip && *f->ip ? report_json_text(f->ip) : json_null());
    json_object_set_new(o, "port", json_integer(f->port));
    json_object_set_new(o, "transport", report_json_text(probe_transport_name(f->transport)));
    json_object_set_new(o, "sni", text_or_null(f->sni));
    json_object_set_new(o, "starttls", text_or_null(ev->prelude));
    json_object_set_new(o, "verdict", report_json_text(probe_verdict_name(r->verdict)));
    json_object_set_new(o, "reason", report_json_text(r->reason));
    json_object_set_new(o, "leaked_bytes", json_integer((json_int_t)ev->leaked_bytes));
    json_object_set_new(o, "tls_version",
                        text_or_null(ev->server_hello ? tls_version_name(ev->tls_version) : NULL));
    json_object_set_new(o, "cipher", cipher_json(ev));
    json_object_set_new(o, "heartbeat_extension", json_boolean(ev->heartbeat_extension));
    json_object_set_new(o, "alert", alert_json(ev));
    json_object_set_new(o, "cert", cert_json(ev));
    json_object_set_new(o, "probe", probe_json(ev));
    json_object_set_new(o, "attempts", json_integer(ev->attempts));
    json_object_set_new(o, "elapsed_ms", json_integer(f->elapsed_ms));
    json_object_set_new(o, "time", report_json_text(when));
    return o;
}

static void json_finding(FILE *out, const struct finding *f, const struct report_options *opt)
{
    (void)opt;
    json_t *o = finding_json(f);
    /* jansson escapes every string: server-controlled text cannot break the line format.
     * Dumped to memory and written at once: json_dumpf's small writes cost more than the
     * probe itself in a mass scan. */
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line) {
        fputs(line, out);
        fputc('\n', out);
        free(line);
    }
    fflush(out); /* streamed: each result is out as soon as it is known */
    json_decref(o);
}

static void json_summary(FILE *out, const struct report_summary *s, const struct report_options *o)
{
    (void)out, (void)s, (void)o; /* JSON Lines carry findings only; the CLI prints to stderr */
}

const struct report_format report_json = {"json", json_finding, json_summary};
