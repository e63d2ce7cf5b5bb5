#include "report/report.h"

#include <ctype.h>
#include <string.h>

static const char *verdict_color(enum probe_verdict v)
{
    switch (v) {
    case PROBE_VULNERABLE: return "\033[1;31m";
    case PROBE_PATCHED:
    case PROBE_NOT_VULNERABLE: return "\033[32m";
    default: return "\033[33m";
    }
}

static void upper(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        out[i] = (char)toupper((unsigned char)s[i]);
    out[i] = '\0';
}

static void details(FILE *out, const struct finding *f)
{
    const struct probe_evidence *ev = &f->result->evidence;
    fprintf(out, "    address     %s port %u%s%s%s\n", f->ip && *f->ip ? f->ip : "-", f->port,
            probe_transport_is_datagram(f->transport) ? "/udp" : "", f->sni ? ", SNI " : "",
            f->sni ? f->sni : "");
    if (f->transport != PROBE_TCP)
        fprintf(out, "    transport   %s\n", probe_transport_name(f->transport));
    if (ev->prelude)
        fprintf(out, "    starttls    %s\n", ev->prelude);
    if (ev->server_hello) {
        const struct tls_cipher_suite *cs = tls_cipher_suite_find(ev->cipher);
        fprintf(out, "    tls         %s, ", tls_version_name(ev->tls_version));
        if (cs)
            fprintf(out, "%s", cs->name);
        else
            fprintf(out, "cipher 0x%04x", ev->cipher);
        fprintf(out, ", heartbeat extension %s\n", ev->heartbeat_extension ? "yes" : "no");
    }
    if (ev->alert_seen) {
        const char *name = tls_alert_name(ev->alert.description);
        fprintf(out, "    alert       %s %s (%u)\n",
                ev->alert.level == TLS_ALERT_FATAL ? "fatal" : "warning", name ? name : "unknown",
                ev->alert.description);
    }
    if (ev->cert_seen) {
        char hex[65];
        fputs("    subject     ", out);
        report_print_clean(out, ev->cert.subject);
        fputs("\n    issuer      ", out);
        report_print_clean(out, ev->cert.issuer);
        fprintf(out, "\n    valid       %s to %s\n", ev->cert.not_before, ev->cert.not_after);
        report_hex(ev->cert.sha256, sizeof ev->cert.sha256, hex);
        fprintf(out, "    cert sha256 %s\n", hex);
        report_hex(ev->cert.spki_sha256, sizeof ev->cert.spki_sha256, hex);
        fprintf(out, "    key sha256  %s (%s %d bits)\n", hex, ev->cert.key_type,
                ev->cert.key_bits);
    }
    if (ev->leaked_bytes)
        fprintf(out, "    leaked      %zu bytes of server memory (not shown; see --dump)\n",
                ev->leaked_bytes);
    fprintf(out, "    attempts    %u %s%s, %u ms\n", ev->attempts,
            probe_transport_is_datagram(f->transport) ? "socket" : "connection",
            ev->attempts == 1 ? "" : "s", f->elapsed_ms);
}

static void text_finding(FILE *out, const struct finding *f, const struct report_options *o)
{
    char verdict[32];
    upper(probe_verdict_name(f->result->verdict), verdict, sizeof verdict);
    const char *on = o->color ? verdict_color(f->result->verdict) : "";
    const char *off = o->color ? "\033[0m" : "";
    fprintf(out, "%-28s %s%-14s%s ", f->target, on, verdict, off);
    report_print_clean(out, f->result->reason);
    fputc('\n', out);
    if (o->verbose)
        details(out, f);
    fflush(out);
}

static void text_summary(FILE *out, const struct report_summary *s, const struct report_options *o)
{
    (void)o;
    fprintf(out, "%u target%s in %.1fs", s->total, s->total == 1 ? "" : "s", s->elapsed_s);
    if (s->total > 1 && s->rate > 0)
        fprintf(out, " (%.0f/s)", s->rate);
    const char *sep = ": ";
    for (unsigned v = 0; v < REPORT_VERDICTS; v++) {
        if (!s->counts[v])
            continue;
        fprintf(out, "%s%u %s", sep, s->counts[v], probe_verdict_name((enum probe_verdict)v));
        sep = ", ";
    }
    if (s->resumed)
        fprintf(out, "; %llu already done before", (unsigned long long)s->resumed);
    fprintf(out, "%s\n", s->interrupted ? " (interrupted: remaining targets not probed)" : "");
    fflush(out);
}

const struct report_format report_text = {"text", text_finding, text_summary};
