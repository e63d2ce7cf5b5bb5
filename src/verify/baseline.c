#include "verify/verify.h"

#include "proto/proto.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One baseline line in the making: why it is refused goes to err as "NAME:LINE: why". */
struct line_ctx {
    const char *name;
    unsigned line;
    char *err;
    size_t cap;
};

__attribute__((format(printf, 2, 3))) static hc_result refuse(const struct line_ctx *c,
                                                              const char *fmt, ...)
{
    int n = snprintf(c->err, c->cap, "%s:%u: ", c->name, c->line);
    if (n >= 0 && (size_t)n < c->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return HC_RESULT(HC_ERR_USAGE);
}

/* ---- the entries, indexed by target ---- */

/* Open addressing over entry indexes + 1 (0: empty): a baseline of a whole network is
 * millions of lines, and each needs its earlier line found. Kept at most half full. */
struct index {
    size_t *slots;
    size_t cap;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static size_t *index_slot(const struct index *ix, const struct verify_baseline *b, const char *t)
{
    size_t i = (size_t)fnv1a(t) & (ix->cap - 1);
    while (ix->slots[i] && strcmp(b->entries[ix->slots[i] - 1].target, t) != 0)
        i = (i + 1) & (ix->cap - 1);
    return &ix->slots[i];
}

static hc_result index_grow(struct index *ix, const struct verify_baseline *b)
{
    size_t cap = ix->cap ? 2 * ix->cap : 64;
    size_t *slots = calloc(cap, sizeof *slots);
    HC_ENSURE(slots, HC_ERR_NOMEM);
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    for (size_t k = 0; k < b->count; k++)
        *index_slot(ix, b, b->entries[k].target) = k + 1;
    return HC_SUCCESS;
}

static hc_result grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return HC_SUCCESS;
    size_t n = *cap ? 2 * *cap : 16;
    void *p = realloc(*items, n * size);
    HC_ENSURE(p, HC_ERR_NOMEM);
    *items = p;
    *cap = n;
    return HC_SUCCESS;
}

/* The exposure is what verify checks: a vulnerable line is never replaced by a later line
 * that found the target fixed (a resumed or repeated scan appended after the fix). */
static hc_result keep_entry(struct verify_baseline *b, struct index *ix,
                            const struct verify_entry *e)
{
    if ((b->count + 1) * 2 > ix->cap)
        HC_TRY(index_grow(ix, b));
    size_t *slot = index_slot(ix, b, e->target);
    if (*slot) {
        struct verify_entry *old = &b->entries[*slot - 1];
        if (old->verdict != PROBE_VULNERABLE || e->verdict == PROBE_VULNERABLE)
            *old = *e;
        return HC_SUCCESS;
    }
    HC_TRY(grow((void **)&b->entries, &b->cap, b->count, sizeof *b->entries));
    b->entries[b->count] = *e;
    *slot = ++b->count;
    return HC_SUCCESS;
}

/* ---- fields ---- */

static bool copy_string(json_t *v, char *out, size_t cap)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= cap)
        return false;
    memcpy(out, s, strlen(s) + 1);
    return true;
}

/* An optional string: absent or null leaves out empty. */
static bool optional_string(json_t *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o, key);
    out[0] = '\0';
    return !v || json_is_null(v) || copy_string(v, out, cap);
}

static bool is_sha256_hex(const char *s)
{
    if (strlen(s) != VERIFY_HEX_SHA256)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static bool parse_verdict(json_t *v, enum probe_verdict *out)
{
    const char *s = json_string_value(v);
    for (int k = 0; s && k <= PROBE_INCONCLUSIVE; k++)
        if (strcmp(s, probe_verdict_name((enum probe_verdict)k)) == 0) {
            *out = (enum probe_verdict)k;
            return true;
        }
    return false;
}

static hc_result parse_cert(const struct line_ctx *c, json_t *j, struct verify_cert *out)
{
    memset(out, 0, sizeof *out);
    if (!j || json_is_null(j))
        return HC_SUCCESS;
    if (!json_is_object(j))
        return refuse(c, "\"cert\" is not an object");
    if (!copy_string(json_object_get(j, "sha256"), out->sha256, sizeof out->sha256) ||
        !is_sha256_hex(out->sha256))
        return refuse(c, "\"cert\" has no \"sha256\" of 64 lower-case hex digits");
    if (!copy_string(json_object_get(j, "spki_sha256"), out->spki_sha256,
                     sizeof out->spki_sha256) ||
        !is_sha256_hex(out->spki_sha256))
        return refuse(c, "\"cert\" has no \"spki_sha256\" of 64 lower-case hex digits");
    if (!optional_string(j, "serial", out->serial, sizeof out->serial) ||
        !optional_string(j, "issuer", out->issuer, sizeof out->issuer) ||
        !optional_string(j, "subject", out->subject, sizeof out->subject) ||
        !optional_string(j, "not_before", out->not_before, sizeof out->not_before))
        return refuse(c, "\"cert\" has a serial, issuer, subject or not_before that is not a "
                         "string of a sensible length");
    out->present = true;
    return HC_SUCCESS;
}

/* "starttls": null (TLS at once) or a dialogue heartcheck knows. */
static hc_result parse_starttls(const struct line_ctx *c, json_t *o, struct verify_entry *e)
{
    if (!optional_string(o, "starttls", e->starttls, sizeof e->starttls))
        return refuse(c, "\"starttls\" is not a string or null");
    if (e->starttls[0] && !proto_find(e->starttls))
        return refuse(c, "\"starttls\": unknown dialogue '%s'", e->starttls);
    return HC_SUCCESS;
}

/* "" (scans before transports were recorded) is TCP. */
static bool parse_transport(const char *name, enum probe_transport *out)
{
    static const enum probe_transport all[] = {PROBE_TCP, PROBE_DTLS, PROBE_OPENVPN_TCP,
                                               PROBE_OPENVPN_UDP};
    *out = PROBE_TCP;
    for (size_t i = 0; i < HC_ARRAY_LEN(all) && name[0]; i++)
        if (strcmp(name, probe_transport_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return name[0] == '\0';
}

/* A `heartcheck scan --json` result. */
static hc_result scan_line(const struct line_ctx *c, json_t *o, struct verify_entry *e)
{
    char why[256];
    struct target t;
    if (!copy_string(json_object_get(o, "target"), e->target, sizeof e->target))
        return refuse(c, "no \"target\" string: not a scan result");
    if (!hc_ok(target_parse(e->target, 443, &t, why, sizeof why)))
        return refuse(c, "\"target\" '%s': %s", e->target, why);
    /* The port is part of the target: "host:port" as scan writes it, never a default. */
    json_t *port = json_object_get(o, "port");
    if (!json_is_integer(port) || json_integer_value(port) != t.port)
        return refuse(c, "\"port\" does not match the target '%s'", e->target);
    snprintf(e->host, sizeof e->host, "%s", t.host);
    e->port = t.port;
    if (!parse_verdict(json_object_get(o, "verdict"), &e->verdict))
        return refuse(c, "\"verdict\" is not one of scan's verdicts");
    if (!optional_string(o, "time", e->time, sizeof e->time))
        return refuse(c, "\"time\" is not a string");
    /* Scans over DTLS and OpenVPN name their transport: the target is probed again the same
     * way (a UDP service probed over TCP would only look unreachable). */
    char transport[16];
    if (!optional_string(o, "transport", transport, sizeof transport) ||
        !parse_transport(transport, &e->transport))
        return refuse(c, "\"transport\" is not tcp, dtls, openvpn-tcp or openvpn-udp");
    HC_TRY(parse_starttls(c, o, e));
    return parse_cert(c, json_object_get(o, "cert"), &e->cert);
}

/* A probed listening socket of a host audit. Wildcard addresses are reached on loopback: the
 * host baseline describes the machine verify runs on. */
static hc_result socket_entry(const struct line_ctx *c, json_t *s, struct verify_entry *e)
{
    char address[64];
    json_t *port = json_object_get(s, "port");
    if (!copy_string(json_object_get(s, "address"), address, sizeof address) ||
        !json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
        return refuse(c, "a listening socket without \"address\" and \"port\"");
    if (!parse_verdict(json_object_get(s, "verdict"), &e->verdict))
        return refuse(c, "a probed socket's \"verdict\" is not one of scan's verdicts");
    const char *host = strcmp(address, "0.0.0.0") == 0 ? "127.0.0.1"
                       : strcmp(address, "::") == 0    ? "::1"
                                                       : address;
    bool v6 = strchr(host, ':') != NULL;
    e->port = (uint16_t)json_integer_value(port);
    snprintf(e->host, sizeof e->host, "%s", host);
    snprintf(e->target, sizeof e->target, v6 ? "[%s]:%u" : "%s:%u", host, e->port);
    e->from_host = true;
    return HC_SUCCESS;
}

/* Probed TCP sockets only: the others were never judged, so there is nothing to verify. */
static bool probed_tcp(json_t *s)
{
    json_t *proto = json_object_get(s, "proto");
    json_t *verdict = json_object_get(s, "verdict");
    return json_is_object(s) &&
           (!proto || (json_is_string(proto) && strcmp(json_string_value(proto), "tcp") == 0)) &&
           verdict && !json_is_null(verdict);
}

static hc_result add_socket(const struct line_ctx *c, json_t *s, struct verify_baseline *b,
                            struct index *ix)
{
    if (!probed_tcp(s))
        return HC_SUCCESS;
    struct verify_entry e;
    memset(&e, 0, sizeof e);
    e.line = c->line;
    HC_TRY(socket_entry(c, s, &e));
    return keep_entry(b, ix, &e);
}

static hc_result add_old_key(const struct line_ctx *c, json_t *o, struct verify_baseline *b)
{
    if (!json_is_true(json_object_get(o, "exposed_while_vulnerable")))
        return HC_SUCCESS;
    struct verify_old_key k;
    memset(&k, 0, sizeof k);
    if (!copy_string(json_object_get(o, "spki_sha256"), k.spki_sha256, sizeof k.spki_sha256) ||
        !is_sha256_hex(k.spki_sha256))
        return refuse(c, "an exposed certificate without \"spki_sha256\"");
    if (!optional_string(o, "cert_path", k.path, sizeof k.path) || !k.path[0])
        (void)optional_string(o, "key_path", k.path, sizeof k.path);
    HC_TRY(grow((void **)&b->old_keys, &b->old_key_cap, b->old_key_count, sizeof *b->old_keys));
    b->old_keys[b->old_key_count++] = k;
    return HC_SUCCESS;
}

/* The findings of `heartcheck host --json` that name targets or keys; the rest (copies,
 * programs, the plan, the summary) says nothing about a target's certificate. */
static hc_result host_line(const struct line_ctx *c, json_t *o, const char *type,
                           struct verify_baseline *b, struct index *ix)
{
    if (strcmp(type, "socket") == 0)
        return add_socket(c, o, b, ix);
    if (strcmp(type, "certificate") == 0)
        return add_old_key(c, o, b);
    if (strcmp(type, "process") != 0)
        return HC_SUCCESS;
    json_t *listening = json_object_get(o, "listening");
    if (listening && !json_is_array(listening))
        return refuse(c, "\"listening\" is not an array");
    size_t i;
    json_t *s;
    json_array_foreach(listening, i, s) HC_TRY(add_socket(c, s, b, ix));
    return HC_SUCCESS;
}

static hc_result one_line(const struct line_ctx *c, json_t *o, struct verify_baseline *b,
                          struct index *ix)
{
    json_t *type = json_object_get(o, "type");
    if (type) {
        if (!json_is_string(type))
            return refuse(c, "\"type\" is not a string");
        return host_line(c, o, json_string_value(type), b, ix);
    }
    struct verify_entry e;
    memset(&e, 0, sizeof e);
    e.line = c->line;
    HC_TRY(scan_line(c, o, &e));
    return keep_entry(b, ix, &e);
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

static hc_result parse_lines(const char *text, size_t len, struct line_ctx *c,
                             struct verify_baseline *out, struct index *ix)
{
    size_t at = 0;
    for (c->line = 1; at < len; c->line++) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        const char *p = text + at;
        at += n + (nl != NULL);
        if (blank(p, n))
            continue;
        json_error_t jerr;
        json_t *o = json_loadb(p, n, 0, &jerr);
        if (!o && !nl)
            break; /* cut mid-line by an interrupted scan: that target was never reported */
        if (!o)
            return refuse(c, "not JSON: %s", jerr.text);
        hc_result r = json_is_object(o) ? one_line(c, o, out, ix) : refuse(c, "not a JSON object");
        json_decref(o);
        HC_TRY(r);
    }
    return HC_SUCCESS;
}

hc_result verify_baseline_parse(const char *text, size_t len, const char *name,
                                struct verify_baseline *out, char *err, size_t cap)
{
    struct line_ctx c = {.name = name, .err = err, .cap = cap};
    struct index ix = {0};
    if (cap)
        err[0] = '\0';
    hc_result r = parse_lines(text, len, &c, out, &ix);
    free(ix.slots);
    if (r.error == HC_ERR_NOMEM)
        snprintf(err, cap, "%s: out of memory", name);
    return r;
}

/* ---- files ---- */

enum { BASELINE_MAX = 1 << 30 }; /* 1 GiB of JSON Lines: millions of targets */

static hc_result read_all(FILE *fp, char **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    HC_ENSURE(buf, HC_ERR_NOMEM);
    for (;;) {
        if (n == cap) {
            char *grown = cap < BASELINE_MAX ? realloc(buf, 2 * cap) : NULL;
            if (!grown) {
                free(buf);
                return HC_RESULT(cap < BASELINE_MAX ? HC_ERR_NOMEM : HC_ERR_IO);
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        free(buf);
        return HC_RESULT(HC_ERR_IO);
    }
    *out = buf;
    *len = n;
    return HC_SUCCESS;
}

hc_result verify_baseline_load(const char *path, struct verify_baseline *out, char *err, size_t cap)
{
    bool stdin_wanted = strcmp(path, "-") == 0;
    FILE *fp = stdin_wanted ? stdin : fopen(path, "re");
    if (!fp) {
        snprintf(err, cap, "cannot read the baseline %s: %s", path, strerror(errno));
        return HC_RESULT(HC_ERR_IO);
    }
    char *text = NULL;
    size_t len = 0;
    hc_result r = read_all(fp, &text, &len);
    int saved = errno;
    if (!stdin_wanted)
        fclose(fp);
    if (!hc_ok(r)) {
        snprintf(err, cap, "cannot read the baseline %s: %s", path,
                 r.error == HC_ERR_NOMEM ? "out of memory" : strerror(saved));
        return r;
    }
    r = verify_baseline_parse(text, len, stdin_wanted ? "(stdin)" : path, out, err, cap);
    free(text);
    if (hc_ok(r) && out->count == 0) {
        snprintf(err, cap,
                 "%s: no target in the baseline (scan --json results, or a host "
                 "--json audit with probed sockets)",
                 path);
        r = HC_RESULT(HC_ERR_USAGE);
    }
    return r;
}

void verify_baseline_free(struct verify_baseline *b)
{
    free(b->entries);
    free(b->old_keys);
    memset(b, 0, sizeof *b);
}
