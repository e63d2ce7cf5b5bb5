/* targets/spec.c: one target specification, the -p port list, --shard, and the lines of a
 * target file. Pure parsing: no I/O except reading a line from a FILE the caller opened. */
#include "targets/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct targets_addr targets_addr_from_bytes(int family, const unsigned char *b)
{
    struct targets_addr a = {0, 0};
    if (family == AF_INET) {
        a.lo = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
        return a;
    }
    for (int i = 0; i < 8; i++) {
        a.hi = a.hi << 8 | b[i];
        a.lo = a.lo << 8 | b[8 + i];
    }
    return a;
}

static void addr_to_bytes(int family, struct targets_addr a, unsigned char *b)
{
    if (family == AF_INET) {
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)(a.lo >> (24 - 8 * i));
        return;
    }
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(a.hi >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(a.lo >> (56 - 8 * i));
    }
}

/* The family of an address literal (0 when it is none) and its value. */
static int parse_addr(const char *s, struct targets_addr *out)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, s, b) == 1) {
        *out = targets_addr_from_bytes(AF_INET, b);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, s, b) == 1) {
        *out = targets_addr_from_bytes(AF_INET6, b);
        return AF_INET6;
    }
    return 0;
}

void targets_make_target(int family, struct targets_addr addr, const char *name, uint16_t port,
                         struct target *out)
{
    memset(out, 0, sizeof *out);
    out->family = family;
    out->port = port;
    if (family) {
        unsigned char b[16];
        addr_to_bytes(family, addr, b);
        inet_ntop(family, b, out->host, sizeof out->host);
    } else {
        snprintf(out->host, sizeof out->host, "%s", name);
    }
    if (family == AF_INET6) /* brackets keep the port apart from the address */
        snprintf(out->spec, sizeof out->spec, "[%s]:%u", out->host, (unsigned)port);
    else
        snprintf(out->spec, sizeof out->spec, "%s:%u", out->host, (unsigned)port);
}

void targets_set_transport(struct target *t, enum probe_transport transport)
{
    t->transport = transport;
    if (transport != PROBE_DTLS)
        return;
    char plain[sizeof t->spec];
    memcpy(plain, t->spec, sizeof plain);
    snprintf(t->spec, sizeof t->spec, "dtls://%.*s", (int)sizeof t->spec - 8, plain);
}

/* 2^bits addresses, saturated: only exclusions go past 2^64 and they never use the count. */
static uint64_t count_of_bits(unsigned bits) { return bits >= 64 ? UINT64_MAX : 1ULL << bits; }

/* The host-bits mask of a prefix within a family's width, as a 128-bit number. */
static struct targets_addr host_mask(unsigned width, unsigned prefix)
{
    unsigned bits = width - prefix;
    struct targets_addr m = {0, 0};
    if (bits >= 64) {
        m.lo = UINT64_MAX;
        m.hi = bits == 128 ? UINT64_MAX : (1ULL << (bits - 64)) - 1;
    } else {
        m.lo = bits ? (1ULL << bits) - 1 : 0;
    }
    return m;
}

static hc_result parse_network(const char *text, const char *slash, unsigned flags,
                               struct target_spec *s, char *err, size_t err_cap)
{
    char addr[TARGET_SPEC_MAX];
    size_t n = (size_t)(slash - text);
    memcpy(addr, text, n);
    addr[n] = '\0';
    s->family = parse_addr(addr, &s->first);
    if (!s->family)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': '%s' is not an IP address (a network is ADDRESS/PREFIX)",
                     text, addr);
    if (strchr(slash + 1, ':'))
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': a network cannot carry a port; use -p", text);
    unsigned width = s->family == AF_INET ? 32 : 128;
    unsigned long prefix;
    if (!hc_parse_uint(slash + 1, 0, width, &prefix) || strlen(slash + 1) > 3)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': prefix length must be a number from 0 to %u", text,
                     width);
    unsigned bits = width - (unsigned)prefix;
    if (s->family == AF_INET6 && bits > 32 && !(flags & SPEC_ANY_SIZE))
        TARGETS_FAIL(HC_ERR_USAGE,
                     "'%s': 2^%u addresses; an IPv6 network may hold at most 2^32 (/96 or longer)",
                     text, bits);
    struct targets_addr m = host_mask(width, (unsigned)prefix);
    s->first.hi &= ~m.hi; /* host bits ignored, as zmap and masscan do */
    s->first.lo &= ~m.lo;
    if (s->family == AF_INET)
        s->first.lo &= 0xffffffffu;
    s->last.hi = s->first.hi | m.hi;
    s->last.lo = s->first.lo | m.lo;
    if (s->family == AF_INET)
        s->last.lo &= 0xffffffffu;
    s->count = count_of_bits(bits);
    return HC_SUCCESS;
}

/* "10.0.0.1-20": the number replaces the last octet. */
static hc_result short_range_end(const char *text, const char *num, struct target_spec *s,
                                 char *err, size_t err_cap)
{
    unsigned long octet;
    if (!hc_parse_uint(num, 0, 255, &octet) || strlen(num) > 3)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': '%s' is not a last octet from 0 to 255", text, num);
    s->last.hi = 0;
    s->last.lo = (s->first.lo & ~0xffULL) | octet;
    return HC_SUCCESS;
}

static hc_result range_end(const char *text, const char *end, struct target_spec *s, char *err,
                           size_t err_cap)
{
    bool digits_only = *end && strspn(end, "0123456789") == strlen(end);
    if (s->family == AF_INET && digits_only)
        return short_range_end(text, end, s, err, err_cap);
    int family = parse_addr(end, &s->last);
    if (!family && strchr(end, ':') && s->family == AF_INET)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': a range cannot carry a port; use -p", text);
    if (!family)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': '%s' is not an IP address", text, end);
    if (family != s->family)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': a range cannot mix IPv4 and IPv6", text);
    return HC_SUCCESS;
}

static hc_result parse_range(const char *text, const char *dash, unsigned flags,
                             struct target_spec *s, char *err, size_t err_cap)
{
    HC_TRY(range_end(text, dash + 1, s, err, err_cap));
    if (taddr_cmp(s->last, s->first) < 0)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': the range ends before it starts", text);
    struct targets_addr span = taddr_sub(s->last, s->first);
    bool big = span.hi != 0 || span.lo >= 1ULL << 32;
    if (big && !(flags & SPEC_ANY_SIZE))
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': more than 2^32 addresses in one IPv6 range", text);
    s->count = span.hi || span.lo == UINT64_MAX ? UINT64_MAX : span.lo + 1;
    return HC_SUCCESS;
}

/* A range when what precedes the first '-' is an address: host names may contain '-'. */
static bool looks_like_range(const char *text, const char *dash, struct target_spec *s)
{
    char start[TARGET_SPEC_MAX];
    size_t n = (size_t)(dash - text);
    memcpy(start, text, n);
    start[n] = '\0';
    s->family = parse_addr(start, &s->first);
    return s->family != 0;
}

static hc_result parse_single(const char *text, struct target_spec *s, char *err, size_t err_cap)
{
    struct target t;
    HC_TRY(target_parse(text, 0, &t, err, err_cap)); /* default 0: "no port of its own" */
    s->port = t.port;
    s->family = t.family;
    s->count = 1;
    if (t.family)
        parse_addr(t.host, &s->first);
    else
        memcpy(s->host, t.host, sizeof s->host);
    s->last = s->first;
    return HC_SUCCESS;
}

hc_result targets_spec_parse_flags(const char *text, unsigned flags, struct target_spec *out,
                                   char *err, size_t err_cap)
{
    struct target_spec s;
    memset(&s, 0, sizeof s);
    if (!text || !*text)
        TARGETS_FAIL(HC_ERR_USAGE, "empty target");
    if (strlen(text) >= TARGET_SPEC_MAX)
        TARGETS_FAIL(HC_ERR_USAGE, "target longer than %d characters", TARGET_SPEC_MAX - 1);
    const char *whole = text;
    text += target_scheme(text, &s.transport);
    if (!*text)
        TARGETS_FAIL(HC_ERR_USAGE, "'%s': no target after the scheme", whole);
    const char *slash = strchr(text, '/');
    const char *dash = strchr(text, '-');
    if (slash)
        HC_TRY(parse_network(text, slash, flags, &s, err, err_cap));
    else if (dash && looks_like_range(text, dash, &s))
        HC_TRY(parse_range(text, dash, flags, &s, err, err_cap));
    else
        HC_TRY(parse_single(text, &s, err, err_cap));
    *out = s;
    return HC_SUCCESS;
}

hc_result targets_spec_parse(const char *text, struct target_spec *out, char *err, size_t err_cap)
{
    return targets_spec_parse_flags(text, 0, out, err, err_cap);
}

/* ---- -p: a list of ports and ranges ---- */

static hc_result parse_port(const char *list, const char *s, size_t n, unsigned long *out,
                            char *err, size_t err_cap)
{
    char num[8];
    if (n == 0 || n >= sizeof num)
        TARGETS_FAIL(HC_ERR_USAGE, "-p '%s': port '%.*s' must be a number from 1 to 65535", list,
                     (int)n, s);
    memcpy(num, s, n);
    num[n] = '\0';
    if (!hc_parse_uint(num, 1, 65535, out))
        TARGETS_FAIL(HC_ERR_USAGE, "-p '%s': port '%s' must be a number from 1 to 65535", list,
                     num);
    return HC_SUCCESS;
}

/* One element "P" or "A-B" of the list, marked in a 65536-bit set. */
static hc_result parse_port_item(const char *list, const char *s, size_t n, uint8_t *set, char *err,
                                 size_t err_cap)
{
    const char *dash = memchr(s, '-', n);
    unsigned long a, b;
    HC_TRY(parse_port(list, s, dash ? (size_t)(dash - s) : n, &a, err, err_cap));
    b = a;
    if (dash)
        HC_TRY(parse_port(list, dash + 1, n - (size_t)(dash + 1 - s), &b, err, err_cap));
    if (b < a)
        TARGETS_FAIL(HC_ERR_USAGE, "-p '%s': range '%.*s' ends before it starts", list, (int)n, s);
    for (unsigned long p = a; p <= b; p++)
        set[p / 8] |= (uint8_t)(1u << (p % 8));
    return HC_SUCCESS;
}

static bool set_has(const uint8_t *set, unsigned p) { return set[p / 8] >> (p % 8) & 1; }

/* The set as merged ranges: overlaps and duplicates disappear on the way. */
static hc_result ports_from_set(const uint8_t *set, struct targets_ports *out)
{
    size_t len = 0;
    for (unsigned p = 1; p <= 65535; p++)
        len += set_has(set, p) && !set_has(set, p - 1);
    struct targets_port_range *r = calloc(len, sizeof *r);
    if (!r)
        return HC_RESULT(HC_ERR_NOMEM);
    size_t i = 0;
    uint32_t count = 0;
    for (unsigned p = 1; p <= 65535; p++) {
        if (!set_has(set, p))
            continue;
        if (!set_has(set, p - 1))
            r[i++] = (struct targets_port_range){(uint16_t)p, (uint16_t)p, count};
        r[i - 1].last = (uint16_t)p;
        count++;
    }
    free(out->ranges);
    *out = (struct targets_ports){r, len, count};
    return HC_SUCCESS;
}

hc_result targets_ports_parse(const char *list, struct targets_ports *out, char *err,
                              size_t err_cap)
{
    if (!list || !*list)
        TARGETS_FAIL(HC_ERR_USAGE, "-p: empty port list");
    uint8_t *set = calloc(65536 / 8, 1);
    if (!set)
        return HC_RESULT(HC_ERR_NOMEM);
    hc_result r = HC_SUCCESS;
    for (const char *s = list; hc_ok(r);) {
        size_t n = strcspn(s, ",");
        r = parse_port_item(list, s, n, set, err, err_cap);
        if (!s[n])
            break;
        s += n + 1;
    }
    if (hc_ok(r))
        r = ports_from_set(set, out);
    free(set);
    return r;
}

uint16_t targets_ports_at(const struct targets_ports *p, uint32_t index)
{
    size_t lo = 0, hi = p->len; /* the last range whose start <= index */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->ranges[mid].start <= index)
            lo = mid;
        else
            hi = mid;
    }
    return (uint16_t)(p->ranges[lo].first + (index - p->ranges[lo].start));
}

bool targets_ports_has(const struct targets_ports *p, uint16_t port)
{
    size_t lo = 0, hi = p->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->ranges[mid].last < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->len && p->ranges[lo].first <= port;
}

hc_result targets_shard_parse(const char *text, unsigned *index, unsigned *count, char *err,
                              size_t err_cap)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    char num[16];
    unsigned long i, n;
    size_t len = slash ? (size_t)(slash - text) : 0;
    bool ok = slash && len < sizeof num;
    if (ok) {
        memcpy(num, text, len);
        num[len] = '\0';
        ok = hc_parse_uint(num, 1, UINT32_MAX, &i) && hc_parse_uint(slash + 1, 1, UINT32_MAX, &n);
    }
    if (!ok)
        TARGETS_FAIL(HC_ERR_USAGE, "--shard '%s': expected I/N with 1 <= I <= N", text ? text : "");
    if (i > n)
        TARGETS_FAIL(HC_ERR_USAGE, "--shard '%s': shard %lu of %lu does not exist", text, i, n);
    *index = (unsigned)i;
    *count = (unsigned)n;
    return HC_SUCCESS;
}

/* ---- lines of a target file ---- */

enum line_status targets_read_line(FILE *f, char *buf, size_t cap)
{
    size_t n = 0;
    int c;
    bool nul = false;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        nul |= c == '\0';
        if (n + 1 < cap)
            buf[n] = (char)c;
        n++;
    }
    buf[n + 1 < cap ? n : cap - 1] = '\0';
    if (ferror(f))
        return LINE_ERROR;
    if (c == EOF && n == 0)
        return LINE_EOF;
    if (n + 1 >= cap)
        return LINE_TOO_LONG;
    return nul ? LINE_NUL : LINE_OK;
}

char *targets_clean_line(char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1])) /* CR of CRLF files included */
        line[--n] = '\0';
    while (isspace((unsigned char)*line))
        line++;
    return line;
}
