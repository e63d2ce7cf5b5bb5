/* targets/space.c: the configuration of a scan's targets, the address x port space with its
 * exclusions, and the permutation that visits it.
 *
 * The space is a sorted table of disjoint address intervals with their first index, so an
 * index maps to an address by binary search; memory grows with the number of specifications,
 * never with the number of addresses. */
#include "targets/internal.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* Past this the index arithmetic (position + shard count) could overflow. */
#define SPACE_MAX (1ULL << 62)

struct targets *targets_new(void)
{
    struct targets *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    char err[64];
    if (!hc_ok(targets_ports_parse("443", &t->ports, err, sizeof err))) {
        free(t);
        return NULL;
    }
    t->shard_count = 1;
    return t;
}

void targets_free(struct targets *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->files_len; i++)
        free(t->files[i].path);
    free(t->files);
    free(t->space);
    free(t->excl);
    free(t->list);
    free(t->ports.ranges);
    free(t);
}

/* Makes room for one more element in a growing array. */
static bool grow(void **items, size_t *cap, size_t len, size_t size)
{
    if (len < *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, n * size);
    if (!p)
        return false;
    *items = p;
    *cap = n;
    return true;
}

#define NOT_FINISHED(t)                                                                            \
    do {                                                                                           \
        if ((t)->finished)                                                                         \
            TARGETS_FAIL(HC_ERR_USAGE, "targets already finished");                                \
    } while (0)

hc_result targets_set_ports(struct targets *t, const char *list, char *err, size_t err_cap)
{
    NOT_FINISHED(t);
    return targets_ports_parse(list, &t->ports, err, err_cap);
}

void targets_set_seed(struct targets *t, uint64_t seed) { t->seed = seed; }

hc_result targets_set_shard(struct targets *t, unsigned index, unsigned count, char *err,
                            size_t err_cap)
{
    NOT_FINISHED(t);
    if (index < 1 || index > count)
        TARGETS_FAIL(HC_ERR_USAGE, "--shard %u/%u: expected I/N with 1 <= I <= N", index, count);
    t->shard_index = index - 1;
    t->shard_count = count;
    return HC_SUCCESS;
}

static hc_result push_interval(struct targets_interval **v, size_t *len, size_t *cap,
                               const struct target_spec *s)
{
    if (!grow((void **)v, cap, *len, sizeof **v))
        return HC_RESULT(HC_ERR_NOMEM);
    (*v)[(*len)++] = (struct targets_interval){s->family, s->first, s->last, 0};
    return HC_SUCCESS;
}

static hc_result add_file(struct targets *t, const char *path, char *err, size_t err_cap)
{
    struct stat st;
    bool is_stdin = strcmp(path, "-") == 0;
    if (!is_stdin && stat(path, &st) != 0)
        TARGETS_FAIL(HC_ERR_IO, "%s: cannot read target file", path);
    if (!grow((void **)&t->files, &t->files_cap, t->files_len, sizeof *t->files))
        return HC_RESULT(HC_ERR_NOMEM);
    char *copy = strdup(path);
    if (!copy)
        return HC_RESULT(HC_ERR_NOMEM);
    /* A pipe (or <(cmd)) cannot be read twice: it is validated while it streams. */
    bool stream_only = is_stdin || !S_ISREG(st.st_mode);
    t->files[t->files_len++] = (struct targets_file){copy, stream_only, 0};
    return HC_SUCCESS;
}

hc_result targets_add(struct targets *t, const char *spec, char *err, size_t err_cap)
{
    NOT_FINISHED(t);
    if (spec && strcmp(spec, "-") == 0)
        return add_file(t, spec, err, err_cap);
    struct target_spec s;
    HC_TRY(targets_spec_parse(spec, &s, err, err_cap));
    /* The space is one set of TCP addresses: DTLS specifications keep their own entry. */
    if (s.family && !s.port && s.transport == PROBE_TCP)
        return push_interval(&t->space, &t->space_len, &t->space_cap, &s);
    if (!grow((void **)&t->list, &t->list_cap, t->list_len, sizeof *t->list))
        return HC_RESULT(HC_ERR_NOMEM);
    t->list[t->list_len++] = s;
    return HC_SUCCESS;
}

hc_result targets_add_file(struct targets *t, const char *path, char *err, size_t err_cap)
{
    NOT_FINISHED(t);
    if (!path || !*path)
        TARGETS_FAIL(HC_ERR_USAGE, "-iL: empty file name");
    return add_file(t, path, err, err_cap);
}

static hc_result exclude_spec(struct targets *t, const char *spec, const char *where, char *err,
                              size_t err_cap)
{
    struct target_spec s;
    char why[TARGETS_ERR_MAX];
    if (!hc_ok(targets_spec_parse_flags(spec, SPEC_ANY_SIZE, &s, why, sizeof why)))
        TARGETS_FAIL(HC_ERR_USAGE, "%s%s", where, why);
    if (!s.family || s.port)
        TARGETS_FAIL(HC_ERR_USAGE, "%s'%s': an exclusion is an address, a network or a range",
                     where, spec);
    return push_interval(&t->excl, &t->excl_len, &t->excl_cap, &s);
}

hc_result targets_exclude(struct targets *t, const char *spec, char *err, size_t err_cap)
{
    NOT_FINISHED(t);
    return exclude_spec(t, spec, "--exclude ", err, err_cap);
}

static hc_result exclude_lines(struct targets *t, FILE *f, const char *path, char *err,
                               size_t err_cap)
{
    char buf[TARGETS_LINE_MAX], where[TARGETS_ERR_MAX / 2];
    for (unsigned long line = 1;; line++) {
        enum line_status st = targets_read_line(f, buf, sizeof buf);
        if (st == LINE_EOF)
            return HC_SUCCESS;
        if (st == LINE_ERROR)
            TARGETS_FAIL(HC_ERR_IO, "%s:%lu: read error", path, line);
        if (st != LINE_OK)
            TARGETS_FAIL(HC_ERR_USAGE, "%s:%lu: %s", path, line,
                         st == LINE_NUL ? "NUL byte in line" : "line too long");
        const char *spec = targets_clean_line(buf);
        snprintf(where, sizeof where, "%s:%lu: ", path, line);
        if (*spec)
            HC_TRY(exclude_spec(t, spec, where, err, err_cap));
    }
}

hc_result targets_exclude_file(struct targets *t, const char *path, char *err, size_t err_cap)
{
    NOT_FINISHED(t);
    FILE *f = fopen(path, "r");
    if (!f)
        TARGETS_FAIL(HC_ERR_IO, "%s: cannot read exclude file", path);
    hc_result r = exclude_lines(t, f, path, err, err_cap);
    fclose(f);
    return r;
}

/* ---- merging and subtracting intervals ---- */

static int interval_cmp(const void *a, const void *b)
{
    const struct targets_interval *x = a, *y = b;
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    return taddr_cmp(x->first, y->first);
}

static bool touches(const struct targets_interval *a, const struct targets_interval *b)
{
    if (a->family != b->family)
        return false;
    struct targets_addr next = taddr_add(a->last, 1);
    bool wrapped = next.hi == 0 && next.lo == 0; /* a ends at the family's last address */
    return wrapped || taddr_cmp(b->first, next) <= 0;
}

/* Sorts and merges overlapping and adjacent intervals: an address given twice is one. */
static size_t merge(struct targets_interval *v, size_t len)
{
    if (len == 0)
        return 0;
    qsort(v, len, sizeof *v, interval_cmp);
    size_t out = 0;
    for (size_t i = 1; i < len; i++) {
        if (touches(&v[out], &v[i])) {
            if (taddr_cmp(v[i].last, v[out].last) > 0)
                v[out].last = v[i].last;
        } else {
            v[++out] = v[i];
        }
    }
    return out + 1;
}

/* The last interval that starts at or before (family, addr); len when there is none. */
static size_t find_interval(const struct targets_interval *v, size_t len, int family,
                            struct targets_addr addr)
{
    struct targets_interval key = {family, addr, addr, 0};
    size_t lo = 0, hi = len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (interval_cmp(&v[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? len : lo - 1;
}

/* The parts of one interval outside every exclusion, appended to out. */
static hc_result subtract_one(const struct targets *t, struct targets_interval a,
                              struct targets_interval **out, size_t *len, size_t *cap)
{
    size_t i = find_interval(t->excl, t->excl_len, a.family, a.first);
    for (i = i < t->excl_len ? i : 0; i < t->excl_len; i++) {
        const struct targets_interval *x = &t->excl[i];
        if (x->family != a.family || taddr_cmp(x->last, a.first) < 0)
            continue;
        if (taddr_cmp(x->first, a.last) > 0)
            break; /* sorted: nothing further overlaps */
        if (taddr_cmp(x->first, a.first) > 0) {
            struct targets_interval before = a;
            before.last = taddr_sub(x->first, (struct targets_addr){0, 1});
            if (!grow((void **)out, cap, *len, sizeof **out))
                return HC_RESULT(HC_ERR_NOMEM);
            (*out)[(*len)++] = before;
        }
        if (taddr_cmp(x->last, a.last) >= 0)
            return HC_SUCCESS; /* the rest is excluded */
        a.first = taddr_add(x->last, 1);
    }
    if (!grow((void **)out, cap, *len, sizeof **out))
        return HC_RESULT(HC_ERR_NOMEM);
    (*out)[(*len)++] = a;
    return HC_SUCCESS;
}

static hc_result subtract_exclusions(struct targets *t)
{
    struct targets_interval *out = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < t->space_len; i++) {
        hc_result r = subtract_one(t, t->space[i], &out, &len, &cap);
        if (!hc_ok(r)) {
            free(out);
            return r;
        }
    }
    free(t->space);
    t->space = out;
    t->space_len = t->space_cap = len;
    return HC_SUCCESS;
}

/* Numbers the intervals and sizes the space; refuses a space too large to index. */
static hc_result index_space(struct targets *t, char *err, size_t err_cap)
{
    uint64_t total = 0;
    for (size_t i = 0; i < t->space_len; i++) {
        struct targets_addr span = taddr_sub(t->space[i].last, t->space[i].first);
        t->space[i].start = total;
        if (span.hi || span.lo >= SPACE_MAX - total)
            TARGETS_FAIL(HC_ERR_USAGE, "the target space holds more than 2^62 addresses");
        total += span.lo + 1;
    }
    if (total && t->ports.count > SPACE_MAX / total)
        TARGETS_FAIL(HC_ERR_USAGE, "the target space holds more than 2^62 address x port pairs");
    t->space_addrs = total;
    t->space_size = total * t->ports.count;
    return HC_SUCCESS;
}

/* ---- the list: names and address:port targets ---- */

static int spec_cmp(const void *a, const void *b)
{
    const struct target_spec *x = a, *y = b;
    if (x->transport != y->transport)
        return x->transport < y->transport ? -1 : 1;
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    int c = x->family ? taddr_cmp(x->first, y->first) : strcmp(x->host, y->host);
    if (!c && x->family)
        c = taddr_cmp(x->last, y->last); /* DTLS networks share a first address with others */
    if (c)
        return c;
    return x->port < y->port ? -1 : x->port > y->port;
}

/* Drops duplicates, excluded addresses and address:port targets the space already yields. */
static void tidy_list(struct targets *t)
{
    if (t->list_len)
        qsort(t->list, t->list_len, sizeof *t->list, spec_cmp);
    size_t out = 0;
    for (size_t i = 0; i < t->list_len; i++) {
        const struct target_spec *s = &t->list[i];
        if (out && spec_cmp(&t->list[out - 1], s) == 0)
            continue;
        bool in_space = s->transport == PROBE_TCP && targets_space_has(t, s->family, s->first) &&
                        targets_ports_has(&t->ports, s->port);
        if (s->family && s->count == 1 &&
            (targets_addr_excluded(t, s->family, s->first) || in_space))
            continue;
        t->list[out++] = *s;
    }
    t->list_len = out;
}

static uint64_t list_count(const struct targets *t)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->list_len; i++)
        n += targets_spec_kept(t, &t->list[i]) * (t->list[i].port ? 1 : t->ports.count);
    return n;
}

hc_result targets_finish(struct targets *t, char *err, size_t err_cap)
{
    NOT_FINISHED(t);
    t->excl_len = merge(t->excl, t->excl_len);
    t->space_len = merge(t->space, t->space_len);
    HC_TRY(subtract_exclusions(t));
    HC_TRY(index_space(t, err, err_cap));
    tidy_list(t);
    t->stream_total = list_count(t);
    t->count_known = true;
    for (size_t i = 0; i < t->files_len; i++) {
        if (t->files[i].stream_only) {
            t->count_known = false;
            continue;
        }
        HC_TRY(targets_validate_file(t, &t->files[i], err, err_cap));
        t->stream_total += t->files[i].count;
    }
    if (t->space_size == 0 && t->stream_total == 0 && t->count_known)
        TARGETS_FAIL(HC_ERR_USAGE, "no targets to scan (all excluded, or none given)");
    targets_perm_init(&t->perm, t->space_size, t->seed);
    t->finished = true;
    return HC_SUCCESS;
}

/* The k with k % count == index among [0, n). */
static uint64_t share(uint64_t n, unsigned index, unsigned count)
{
    return n > index ? (n - index - 1) / count + 1 : 0;
}

bool targets_count(const struct targets *t, uint64_t *count)
{
    *count = share(t->space_size, t->shard_index, t->shard_count) +
             share(t->stream_total, t->shard_index, t->shard_count);
    return t->count_known;
}

uint64_t targets_space_size(const struct targets *t) { return t->space_size; }

/* ---- lookups ---- */

static bool in_intervals(const struct targets_interval *v, size_t len, int family,
                         struct targets_addr addr)
{
    size_t i = find_interval(v, len, family, addr);
    return i < len && v[i].family == family && taddr_cmp(addr, v[i].last) <= 0;
}

bool targets_space_has(const struct targets *t, int family, struct targets_addr addr)
{
    return in_intervals(t->space, t->space_len, family, addr);
}

bool targets_addr_excluded(const struct targets *t, int family, struct targets_addr addr)
{
    return in_intervals(t->excl, t->excl_len, family, addr);
}

bool targets_excluded(const struct targets *t, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return targets_addr_excluded(
            t, AF_INET, targets_addr_from_bytes(AF_INET, (const unsigned char *)&in->sin_addr));
    }
    if (sa->sa_family != AF_INET6)
        return false;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    const unsigned char *b = in6->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) /* ::ffff:a.b.c.d is an IPv4 peer */
        return targets_addr_excluded(t, AF_INET, targets_addr_from_bytes(AF_INET, b + 12));
    return targets_addr_excluded(t, AF_INET6, targets_addr_from_bytes(AF_INET6, b));
}

uint64_t targets_spec_kept(const struct targets *t, const struct target_spec *s)
{
    if (!s->family)
        return s->count;
    uint64_t gone = 0;
    size_t i = find_interval(t->excl, t->excl_len, s->family, s->first);
    for (i = i < t->excl_len ? i : 0; i < t->excl_len; i++) {
        const struct targets_interval *x = &t->excl[i];
        if (x->family != s->family || taddr_cmp(x->last, s->first) < 0)
            continue;
        if (taddr_cmp(x->first, s->last) > 0)
            break;
        struct targets_addr a = taddr_cmp(x->first, s->first) > 0 ? x->first : s->first;
        struct targets_addr b = taddr_cmp(x->last, s->last) < 0 ? x->last : s->last;
        gone += taddr_sub(b, a).lo + 1; /* within s, so at most its 2^32 addresses */
    }
    return s->count - gone;
}

void targets_space_at(const struct targets *t, uint64_t index, int *family,
                      struct targets_addr *addr, uint16_t *port)
{
    uint64_t a = index / t->ports.count;
    size_t lo = 0, hi = t->space_len; /* the last interval whose start <= a */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->space[mid].start <= a)
            lo = mid;
        else
            hi = mid;
    }
    *family = t->space[lo].family;
    *addr = taddr_add(t->space[lo].first, a - t->space[lo].start);
    *port = targets_ports_at(&t->ports, (uint32_t)(index % t->ports.count));
}

/* ---- the permutation ---- */

/* splitmix64: a strong 64-bit mixer, the Feistel round function and the key schedule. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void targets_perm_init(struct targets_perm *p, uint64_t n, uint64_t seed)
{
    unsigned bits = 2;
    while (bits < 64 && (1ULL << bits) < n)
        bits += 2; /* even, so that both Feistel halves have the same width */
    p->n = n;
    p->half = bits / 2;
    p->mask = (1ULL << p->half) - 1;
    uint64_t k = seed;
    for (int i = 0; i < 4; i++)
        p->keys[i] = k = mix64(k ^ (uint64_t)i);
}

/* A 4-round balanced Feistel network: a bijection on [0, 2^(2*half)) for any round function. */
static uint64_t feistel(const struct targets_perm *p, uint64_t x)
{
    uint64_t l = x >> p->half, r = x & p->mask;
    for (int i = 0; i < 4; i++) {
        uint64_t f = mix64(r ^ p->keys[i]) & p->mask;
        uint64_t nl = r;
        r = l ^ f;
        l = nl;
    }
    return l << p->half | r;
}

uint64_t targets_perm_at(const struct targets_perm *p, uint64_t pos)
{
    /* Cycle walking: the domain is under 4n, so under 4 steps on average; the cycle through
     * pos returns below n, which keeps the restriction to [0, n) a bijection. */
    uint64_t x = feistel(p, pos);
    while (x >= p->n)
        x = feistel(p, x);
    return x;
}
