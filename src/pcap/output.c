/* Events out: JSON Lines (docs/json.md, "pcap") or one text line each, a summary per victim,
 * and the leaked bytes of each event in its own --extract file. */
#include "pcap/output.h"

#include "report/report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_ATTACKERS = 16 }; /* addresses named per victim; more are counted */

/* A peer whose memory was at stake: a server (address and port) or a client (address). */
struct traffic_victim {
    struct traffic_endpoint ep; /* port 0 for clients */
    bool is_server;
    unsigned attempts, leaks;
    uint64_t leaked, leaked_estimate;
    int64_t first_us, last_us;
    struct traffic_endpoint attackers[MAX_ATTACKERS];
    size_t attacker_count;
    unsigned more_attackers;
};

void traffic_format_time(int64_t ts_us, char out[32])
{
    time_t secs = (time_t)(ts_us / 1000000);
    long us = (long)(ts_us % 1000000);
    if (us < 0) {
        us += 1000000;
        secs--;
    }
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, 32, "?");
        return;
    }
    size_t n = strlen(out);
    snprintf(out + n, 32 - n, ".%06ldZ", us);
}

void traffic_format_address(const struct traffic_endpoint *e, char out[64])
{
    if (!inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, out, 64))
        snprintf(out, 64, "?");
}

static void format_endpoint(const struct traffic_endpoint *e, char out[80])
{
    char a[64];
    traffic_format_address(e, a);
    snprintf(out, 80, e->family == 6 ? "[%s]:%u" : "%s:%u", a, e->port);
}

static const char *version_name(uint16_t v)
{
    switch (v) {
    case 0xfeff: return "DTLSv1.0";
    case 0xfefd: return "DTLSv1.2";
    default: return tls_version_name(v);
    }
}

static bool is_leak(enum traffic_kind k) { return k == TRAFFIC_LEAK || k == TRAFFIC_LIKELY_LEAK; }

bool traffic_output_init(struct traffic_output *o, FILE *out, const struct traffic_options *opt)
{
    memset(o, 0, sizeof *o);
    o->out = out;
    o->json = opt->json;
    o->quiet = opt->quiet;
    o->color = opt->color;
    o->extract_fd = -1;
    if (!opt->extract_dir)
        return true;
    o->extract_fd = open(opt->extract_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->extract_fd < 0) {
        fprintf(stderr, "heartcheck: --extract %s: %s\n", opt->extract_dir, strerror(errno));
        return false;
    }
    return true;
}

void traffic_output_free(struct traffic_output *o)
{
    if (o->extract_fd >= 0)
        close(o->extract_fd);
    free(o->victims);
    o->victims = NULL;
}

/* ---- --extract ---- */

/* Writes the event's leaked bytes to a new file (never over an existing one or through a
 * symbolic link); its name goes to name. false when there is nothing to write or it failed. */
static bool extract(struct traffic_output *o, const struct traffic_event *e, char name[128])
{
    if (o->extract_fd < 0 || !e->secret_len)
        return false;
    char server[80];
    format_endpoint(&e->server, server);
    snprintf(name, 128, "%06u-%s-%s.bin", o->events, traffic_kind_name(e->kind), server);
    int fd =
        openat(o->extract_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < e->secret_len;) {
        ssize_t n = write(fd, e->secret + done, e->secret_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        done += ok ? (size_t)n : 0;
    }
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, "heartcheck: --extract: %s: %s\n", name, strerror(errno));
        o->extract_failed = true;
    }
    return ok;
}

/* ---- one event ---- */

static json_t *endpoint_json(const struct traffic_endpoint *e)
{
    char a[64];
    traffic_format_address(e, a);
    json_t *j = json_object();
    json_object_set_new(j, "ip", json_string(a));
    json_object_set_new(j, "port", json_integer(e->port));
    return j;
}

static json_t *int_or_null(bool known, uint64_t v)
{
    return known ? json_integer((json_int_t)v) : json_null();
}

static json_t *cipher_json(const struct traffic_event *e)
{
    if (!e->cipher_known)
        return json_null();
    const struct tls_cipher_suite *cs = tls_cipher_suite_find(e->cipher);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%04x", e->cipher);
    return json_string(cs ? cs->name : hex);
}

static void event_json(struct traffic_output *o, const struct traffic_event *e, const char *file)
{
    char when[32];
    traffic_format_time(e->ts_us, when);
    const char *v = version_name(e->version);
    json_t *j = json_object();
    json_object_set_new(j, "type", json_string("pcap_event"));
    json_object_set_new(j, "kind", json_string(traffic_kind_name(e->kind)));
    json_object_set_new(j, "time", json_string(when));
    json_object_set_new(j, "source", report_json_text(o->source ? o->source : ""));
    json_object_set_new(j, "transport", json_string(e->udp ? "udp" : "tcp"));
    json_object_set_new(j, "client", endpoint_json(&e->client));
    json_object_set_new(j, "server", endpoint_json(&e->server));
    json_object_set_new(j, "roles_from", json_string(e->client_known ? "handshake" : "ports"));
    json_object_set_new(j, "direction", json_string(e->to_server ? "to_server" : "to_client"));
    json_object_set_new(j, "encrypted", json_boolean(e->encrypted));
    json_object_set_new(j, "tls_version", v ? json_string(v) : json_null());
    json_object_set_new(j, "cipher", cipher_json(e));
    json_object_set_new(j, "bytes_requested", int_or_null(e->claimed_known, e->claimed));
    json_object_set_new(j, "payload_sent", int_or_null(e->sent_known, e->sent));
    json_object_set_new(j, "bytes_leaked", int_or_null(e->leaked_known, e->leaked));
    json_object_set_new(
        j, "bytes_leaked_max",
        int_or_null(e->leaked_known && e->kind == TRAFFIC_LIKELY_LEAK, e->leaked_max));
    json_object_set_new(j, "response_records", int_or_null(is_leak(e->kind), e->records));
    json_object_set_new(j, "paired", json_boolean(e->paired));
    json_object_set_new(j, "extract", file ? report_json_text(file) : json_null());
    char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line) {
        fprintf(o->out, "%s\n", line);
        free(line);
    }
    json_decref(j);
}

static void event_detail(const struct traffic_event *e, char *out, size_t n)
{
    switch (e->kind) {
    case TRAFFIC_ATTACK:
        snprintf(out, n, "heartbeat request claims %" PRIu32 " bytes, carries %" PRIu32, e->claimed,
                 e->sent);
        return;
    case TRAFFIC_PROBE:
        snprintf(out, n,
                 "heartbeat request without 16 bytes of padding, no over-read (%" PRIu32
                 " bytes): harmless probe",
                 e->claimed);
        return;
    case TRAFFIC_MALFORMED:
        snprintf(out, n, "encrypted heartbeat request too small for 16 bytes of padding");
        return;
    case TRAFFIC_LEAK:
        if (e->leaked_known)
            snprintf(out, n,
                     "vulnerable: answered, %" PRIu64 " bytes of memory leaked in %u record%s",
                     e->leaked, e->records, e->records == 1 ? "" : "s");
        else
            snprintf(out, n,
                     "vulnerable: answered a heartbeat not in the capture with %" PRIu32
                     " bytes in %u records",
                     e->claimed, e->records);
        return;
    case TRAFFIC_LIKELY_LEAK:
        snprintf(out, n,
                 "encrypted response larger than its request: about %" PRIu64 "-%" PRIu64
                 " bytes leaked in %u record%s",
                 e->leaked, e->leaked_max, e->records, e->records == 1 ? "" : "s");
        return;
    }
    out[0] = '\0';
}

static void event_text(struct traffic_output *o, const struct traffic_event *e, const char *file)
{
    char when[32], client[80], server[80], detail[160];
    traffic_format_time(e->ts_us, when);
    format_endpoint(&e->client, client);
    format_endpoint(&e->server, server);
    event_detail(e, detail, sizeof detail);
    const char *v = version_name(e->version);
    char kind[16];
    size_t i = 0;
    for (const char *k = traffic_kind_name(e->kind); *k && i + 1 < sizeof kind; k++)
        kind[i++] = *k == '_' ? ' ' : (char)(*k - 32 * (*k >= 'a' && *k <= 'z'));
    kind[i] = '\0';
    bool red = o->color && is_leak(e->kind);
    fprintf(o->out, "%s  %s%-11s%s %s %s %s  %s%s, %s\n", when, red ? "\033[1;31m" : "", kind,
            red ? "\033[0m" : "", client, e->to_server ? "->" : "<-", server,
            e->encrypted ? "encrypted " : "", v ? v : "TLS", detail);
    if (file)
        fprintf(o->out, "    leaked bytes written to %s\n", file);
}

/* ---- the victims ---- */

static bool same_endpoint(const struct traffic_endpoint *a, const struct traffic_endpoint *b)
{
    return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

static struct traffic_victim *victim_for(struct traffic_output *o, const struct traffic_event *e)
{
    struct traffic_endpoint ep = e->to_server ? e->server : e->client;
    if (!e->to_server)
        ep.port = 0;
    for (size_t i = 0; i < o->victim_count; i++)
        if (o->victims[i].is_server == e->to_server && same_endpoint(&o->victims[i].ep, &ep))
            return &o->victims[i];
    if (o->victim_count == o->victim_cap) {
        size_t cap = o->victim_cap ? 2 * o->victim_cap : 16;
        struct traffic_victim *v = realloc(o->victims, cap * sizeof *v);
        if (!v)
            return NULL;
        o->victims = v;
        o->victim_cap = cap;
    }
    struct traffic_victim *v = &o->victims[o->victim_count++];
    *v = (struct traffic_victim){
        .ep = ep, .is_server = e->to_server, .first_us = e->ts_us, .last_us = e->ts_us};
    return v;
}

static void count_attacker(struct traffic_victim *v, const struct traffic_endpoint *attacker)
{
    struct traffic_endpoint a = *attacker;
    a.port = 0;
    for (size_t i = 0; i < v->attacker_count; i++)
        if (same_endpoint(&v->attackers[i], &a))
            return;
    if (v->attacker_count < MAX_ATTACKERS)
        v->attackers[v->attacker_count++] = a;
    else
        v->more_attackers++;
}

static void count(struct traffic_output *o, const struct traffic_event *e)
{
    struct traffic_victim *v = victim_for(o, e);
    if (!v)
        return;
    if (e->ts_us < v->first_us)
        v->first_us = e->ts_us;
    if (e->ts_us > v->last_us)
        v->last_us = e->ts_us;
    if (is_leak(e->kind)) {
        v->leaks++;
        if (e->kind == TRAFFIC_LEAK)
            v->leaked += e->leaked;
        else
            v->leaked_estimate += e->leaked;
        if (e->leaked_known)
            o->leak_found = true;
    } else {
        v->attempts++;
        count_attacker(v, e->to_server ? &e->client : &e->server);
    }
    if (is_leak(e->kind))
        o->leak_found = true;
}

void traffic_output_event(void *ctx, const struct traffic_event *e)
{
    struct traffic_output *o = ctx;
    o->events++;
    char name[128];
    bool wrote = extract(o, e, name);
    count(o, e);
    if (o->json)
        event_json(o, e, wrote ? name : NULL);
    else
        event_text(o, e, wrote ? name : NULL);
    fflush(o->out);
}

/* ---- summary ---- */

static void summary_json(struct traffic_output *o, const struct traffic_victim *v)
{
    char a[64], first[32], last[32];
    traffic_format_address(&v->ep, a);
    traffic_format_time(v->first_us, first);
    traffic_format_time(v->last_us, last);
    json_t *j = json_object();
    json_object_set_new(j, "type", json_string("pcap_summary"));
    json_object_set_new(j, "role", json_string(v->is_server ? "server" : "client"));
    json_object_set_new(j, "ip", json_string(a));
    json_object_set_new(j, "port", v->is_server ? json_integer(v->ep.port) : json_null());
    json_object_set_new(j, "attempts", json_integer(v->attempts));
    json_object_set_new(j, "leaks", json_integer(v->leaks));
    json_object_set_new(j, "bytes_leaked", json_integer((json_int_t)v->leaked));
    json_object_set_new(j, "bytes_leaked_estimated", json_integer((json_int_t)v->leaked_estimate));
    json_object_set_new(j, "first_seen", json_string(first));
    json_object_set_new(j, "last_seen", json_string(last));
    json_t *from = json_array();
    for (size_t i = 0; i < v->attacker_count; i++) {
        traffic_format_address(&v->attackers[i], a);
        json_array_append_new(from, json_string(a));
    }
    json_object_set_new(j, "attackers", from);
    json_object_set_new(j, "more_attackers", json_integer(v->more_attackers));
    char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line) {
        fprintf(o->out, "%s\n", line);
        free(line);
    }
    json_decref(j);
}

static void summary_text(struct traffic_output *o, const struct traffic_victim *v)
{
    char ep[80], first[32], last[32], a[64];
    if (v->is_server)
        format_endpoint(&v->ep, ep);
    else
        traffic_format_address(&v->ep, ep);
    traffic_format_time(v->first_us, first);
    traffic_format_time(v->last_us, last);
    fprintf(o->out, "%s %s\n", v->is_server ? "server" : "client", ep);
    fprintf(o->out, "    attempts %u, successful leaks %u, bytes leaked %" PRIu64, v->attempts,
            v->leaks, v->leaked);
    if (v->leaked_estimate)
        fprintf(o->out, " (+ about %" PRIu64 " encrypted)", v->leaked_estimate);
    fprintf(o->out, "\n    first seen %s, last seen %s\n", first, last);
    if (v->attacker_count) {
        fprintf(o->out, "    from");
        for (size_t i = 0; i < v->attacker_count; i++) {
            traffic_format_address(&v->attackers[i], a);
            fprintf(o->out, " %s", a);
        }
        if (v->more_attackers)
            fprintf(o->out, " and %u more", v->more_attackers);
        fprintf(o->out, "\n");
    }
}

void traffic_output_summary(struct traffic_output *o, const struct traffic_stats *s, unsigned files)
{
    for (size_t i = 0; i < o->victim_count; i++) {
        if (o->json)
            summary_json(o, &o->victims[i]);
        else if (!o->quiet)
            summary_text(o, &o->victims[i]);
    }
    if (!o->json && !o->quiet)
        fprintf(o->out,
                "%u event%s; %" PRIu64 " frames (%.1f MB) in %u capture%s, %zu flows at most%s\n",
                o->events, o->events == 1 ? "" : "s", s->frames, (double)s->bytes / 1e6, files,
                files == 1 ? "" : "s", s->flows_max,
                o->events ? "" : ": no Heartbleed attempt or leak");
    if (!o->json && s->flows_dropped)
        fprintf(stderr,
                "heartcheck: %" PRIu64 " frames of flows beyond --max-flows were not analysed\n",
                s->flows_dropped);
    fflush(o->out);
}
