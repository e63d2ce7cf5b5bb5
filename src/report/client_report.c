#include "report/report.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *text_or_null(const char *s) { return s ? report_json_text(s) : json_null(); }

static json_t *version_json(uint16_t v)
{
    const char *name = tls_version_name(v);
    if (name)
        return report_json_text(name);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%04x", v);
    return report_json_text(hex);
}

static json_t *cipher_json(uint16_t id)
{
    const struct tls_cipher_suite *cs = tls_cipher_suite_find(id);
    if (cs)
        return report_json_text(cs->name);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%04x", id);
    return report_json_text(hex);
}

/* supported_versions when the client sent it, else its client_version alone. */
static json_t *offered_versions_json(const struct tls_client_hello *ch)
{
    json_t *a = json_array();
    if (ch->version_count == 0)
        json_array_append_new(a, version_json(ch->version));
    for (size_t i = 0; i < ch->version_count; i++)
        json_array_append_new(a, version_json(ch->versions[i]));
    return a;
}

static json_t *ciphers_json(const struct tls_client_hello *ch)
{
    json_t *a = json_array();
    size_t n =
        ch->cipher_count < TLS_MAX_CLIENT_CIPHERS ? ch->cipher_count : TLS_MAX_CLIENT_CIPHERS;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, cipher_json(ch->ciphers[i]));
    return a;
}

static json_t *extensions_json(const struct tls_client_hello *ch)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ch->extension_count; i++)
        json_array_append_new(a, json_integer(ch->extensions[i]));
    return a;
}

static json_t *alert_json(const struct lure_evidence *ev)
{
    if (!ev->alert_seen)
        return json_null();
    json_t *o = json_object();
    if (ev->alert_encrypted) {
        json_object_set_new(o, "level", json_null());
        json_object_set_new(o, "description", json_null());
        json_object_set_new(o, "name", report_json_text("encrypted"));
        return o;
    }
    json_object_set_new(o, "level",
                        report_json_text(ev->alert.level == TLS_ALERT_FATAL ? "fatal" : "warning"));
    json_object_set_new(o, "description", json_integer(ev->alert.description));
    json_object_set_new(o, "name", text_or_null(tls_alert_name(ev->alert.description)));
    return o;
}

static json_t *hello_json(const struct lure_evidence *ev)
{
    if (!ev->client_hello)
        return json_null();
    const struct tls_client_hello *ch = &ev->hello;
    json_t *o = json_object();
    json_object_set_new(o, "client_version", version_json(ch->version));
    json_object_set_new(o, "offered_versions", offered_versions_json(ch));
    json_object_set_new(o, "cipher_count", json_integer((json_int_t)ch->cipher_count));
    json_object_set_new(o, "ciphers", ciphers_json(ch));
    json_object_set_new(o, "extensions", extensions_json(ch));
    json_object_set_new(o, "heartbeat_extension", json_boolean(ch->heartbeat));
    json_object_set_new(o, "ja3", report_json_text(ev->ja3));
    json_object_set_new(o, "ja3_hash", report_json_text(ev->ja3_hash));
    return o;
}

static json_t *exec_json(const struct client_finding *f)
{
    if (!f->exec)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "command", report_json_text(f->exec));
    json_object_set_new(o, "exit_status",
                        f->exec_exited ? json_integer(f->exec_status) : json_null());
    return o;
}

static json_t *probe_json(const struct lure_evidence *ev)
{
    if (ev->claimed_length == 0)
        return json_null();
    json_t *o = json_object();
    bool over_read = ev->claimed_length > ev->sent_length;
    json_object_set_new(o, "kind", report_json_text(over_read ? "over-read" : "zero-leak"));
    json_object_set_new(o, "claimed_length", json_integer(ev->claimed_length));
    json_object_set_new(o, "sent_length", json_integer(ev->sent_length));
    return o;
}

static json_t *client_json(const struct client_finding *f)
{
    const struct lure_result *r = f->result;
    const struct lure_evidence *ev = &r->evidence;
    json_t *o = json_object();
    json_object_set_new(o, "type", report_json_text("client"));
    json_object_set_new(o, "ip", report_json_text(f->ip));
    json_object_set_new(o, "port", json_integer(f->port));
    json_object_set_new(o, "listen", report_json_text(f->listen));
    json_object_set_new(o, "proto", text_or_null(ev->prelude));
    json_object_set_new(o, "verdict", report_json_text(probe_verdict_name(r->verdict)));
    json_object_set_new(o, "reason", report_json_text(r->reason));
    json_object_set_new(o, "leaked_bytes", json_integer((json_int_t)ev->leaked_bytes));
    json_object_set_new(o, "sni",
                        ev->client_hello && ev->hello.server_name[0]
                            ? report_json_text(ev->hello.server_name)
                            : json_null());
    json_object_set_new(o, "hello", hello_json(ev));
    json_object_set_new(o, "sslv2_hello", json_boolean(ev->sslv2_hello));
    json_object_set_new(o, "tls_version",
                        ev->tls_version ? version_json(ev->tls_version) : json_null());
    json_object_set_new(o, "cipher", ev->tls_version ? cipher_json(ev->cipher) : json_null());
    json_object_set_new(o, "alert", alert_json(ev));
    json_object_set_new(o, "probe", probe_json(ev));
    json_object_set_new(o, "exec", exec_json(f));
    json_object_set_new(o, "elapsed_ms", json_integer(f->elapsed_ms));
    return o;
}

static void json_client(FILE *out, const struct client_finding *f, const struct report_options *opt)
{
    (void)opt;
    json_t *o = client_json(f);
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line) {
        fputs(line, out);
        fputc('\n', out);
        free(line);
    }
    fflush(out);
    json_decref(o);
}

const struct client_report_format report_clients_json = {json_client};

/* ---- text ---- */

static const char *verdict_color(enum probe_verdict v)
{
    switch (v) {
    case PROBE_VULNERABLE: return "\033[1;31m";
    case PROBE_PATCHED:
    case PROBE_NOT_VULNERABLE: return "\033[32m";
    default: return "\033[33m";
    }
}

static void print_versions(FILE *out, const struct tls_client_hello *ch)
{
    if (ch->version_count == 0) {
        const char *n = tls_version_name(ch->version);
        fprintf(out, "%s", n ? n : "?");
    }
    for (size_t i = 0; i < ch->version_count; i++) {
        const char *n = tls_version_name(ch->versions[i]);
        if (n)
            fprintf(out, "%s%s", i ? " " : "", n);
        else
            fprintf(out, "%s0x%04x", i ? " " : "", ch->versions[i]);
    }
}

static void client_details(FILE *out, const struct client_finding *f)
{
    const struct lure_evidence *ev = &f->result->evidence;
    if (ev->prelude)
        fprintf(out, "    proto       %s\n", ev->prelude);
    if (ev->client_hello) {
        const struct tls_client_hello *ch = &ev->hello;
        fputs("    offered     ", out);
        print_versions(out, ch);
        fprintf(out, "; %zu cipher suites, %zu extensions, heartbeat extension %s\n",
                ch->cipher_count, ch->extension_count, ch->heartbeat ? "yes" : "no");
        if (ch->server_name[0]) {
            fputs("    sni         ", out);
            report_print_clean(out, ch->server_name);
            fputc('\n', out);
        }
        fprintf(out, "    ja3         %s %s\n", ev->ja3_hash, ev->ja3);
    }
    if (ev->tls_version) {
        const struct tls_cipher_suite *cs = tls_cipher_suite_find(ev->cipher);
        fprintf(out, "    answered    %s, %s\n", tls_version_name(ev->tls_version),
                cs ? cs->name : "?");
    }
    if (ev->alert_seen && ev->alert_encrypted)
        fputs("    alert       encrypted\n", out);
    else if (ev->alert_seen) {
        const char *name = tls_alert_name(ev->alert.description);
        fprintf(out, "    alert       %s %s (%u)\n",
                ev->alert.level == TLS_ALERT_FATAL ? "fatal" : "warning", name ? name : "unknown",
                ev->alert.description);
    }
    if (ev->leaked_bytes)
        fprintf(out, "    leaked      %zu bytes of client memory (not shown; see --dump)\n",
                ev->leaked_bytes);
    if (f->exec) {
        fputs("    exec        ", out);
        report_print_clean(out, f->exec);
        if (f->exec_exited)
            fprintf(out, " (exit status %d)", f->exec_status);
        fputc('\n', out);
    }
    fprintf(out, "    elapsed     %u ms\n", f->elapsed_ms);
}

static void text_client(FILE *out, const struct client_finding *f, const struct report_options *o)
{
    char who[80], verdict[32];
    snprintf(who, sizeof who, "%s%s%s:%u", strchr(f->ip, ':') ? "[" : "", f->ip,
             strchr(f->ip, ':') ? "]" : "", f->port);
    const char *name = probe_verdict_name(f->result->verdict);
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof verdict; i++)
        verdict[i] = (char)toupper((unsigned char)name[i]);
    verdict[i] = '\0';
    const char *on = o->color ? verdict_color(f->result->verdict) : "";
    const char *off = o->color ? "\033[0m" : "";
    fprintf(out, "%-28s %s%-14s%s ", who, on, verdict, off);
    report_print_clean(out, f->result->reason);
    fputc('\n', out);
    if (o->verbose)
        client_details(out, f);
    fflush(out);
}

const struct client_report_format report_clients_text = {text_client};
