/* targets/space.c: the permutation, shards, merging, exclusions and the size of the space. */
#include "unit.h"

#include "targets/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static uint8_t *bitmap_new(uint64_t n)
{
    uint8_t *b = calloc((size_t)(n / 8 + 1), 1);
    assert_non_null(b);
    return b;
}

/* Sets bit i; false when it was already set. */
static bool bitmap_set(uint8_t *b, uint64_t i)
{
    bool was = b[i / 8] >> (i % 8) & 1;
    b[i / 8] |= (uint8_t)(1u << (i % 8));
    return !was;
}

static void test_permutation_is_a_bijection(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {1, 2, 3, 255, 256, 257, 65536, 1000003};
    for (size_t s = 0; s < HC_ARRAY_LEN(sizes); s++) {
        uint64_t n = sizes[s];
        for (uint64_t seed = 0; seed < 3; seed++) {
            struct targets_perm p;
            targets_perm_init(&p, n, seed * 0x1234567ULL);
            uint8_t *seen = bitmap_new(n);
            for (uint64_t pos = 0; pos < n; pos++) {
                uint64_t v = targets_perm_at(&p, pos);
                if (v >= n || !bitmap_set(seen, v))
                    fail_msg("n=%llu seed=%llu: %llu out of range or twice", (unsigned long long)n,
                             (unsigned long long)seed, (unsigned long long)v);
            }
            free(seen); /* n values, each once, all below n: every index exactly once */
        }
    }
}

static void test_permutation_depends_on_seed_only(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {255, 256, 257, 65536, 1000003};
    for (size_t s = 0; s < HC_ARRAY_LEN(sizes); s++) {
        uint64_t n = sizes[s];
        struct targets_perm a, b, c;
        targets_perm_init(&a, n, 42);
        targets_perm_init(&b, n, 42);
        targets_perm_init(&c, n, 43);
        uint64_t same = 0, fixed = 0, agree = 0;
        for (uint64_t pos = 0; pos < n; pos++) {
            uint64_t v = targets_perm_at(&a, pos);
            same += v == targets_perm_at(&b, pos);
            fixed += v == pos;
            agree += v == targets_perm_at(&c, pos);
        }
        assert_int_equal(same, n);   /* same seed, same order */
        assert_true(fixed < n / 16); /* not the identity: about one fixed point expected */
        assert_true(agree < n / 16); /* another seed, another order */
    }
}

/* Builds finished targets from specs (NULL-terminated), ports, seed and shard. */
static struct targets *build(const char *const *specs, const char *ports, uint64_t seed,
                             unsigned index, unsigned count)
{
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_non_null(t);
    for (; *specs; specs++)
        if (!hc_ok(targets_add(t, *specs, err, sizeof err)))
            fail_msg("'%s': %s", *specs, err);
    if (ports)
        assert_success(targets_set_ports(t, ports, err, sizeof err));
    targets_set_seed(t, seed);
    assert_success(targets_set_shard(t, index, count, err, sizeof err));
    if (!hc_ok(targets_finish(t, err, sizeof err)))
        fail_msg("finish: %s", err);
    return t;
}

/* Iterates t and calls fn on each target. Returns the number of targets. */
static uint64_t each(const struct targets *t, void (*fn)(const struct target *, void *), void *ctx)
{
    struct target_source *s;
    char err[TARGETS_ERR_MAX];
    assert_success(target_source_open(t, &s, err, sizeof err));
    uint64_t n = 0;
    struct target tg;
    bool got;
    for (;;) {
        assert_success(target_source_next(s, &tg, &got, err, sizeof err));
        if (!got)
            break;
        fn(&tg, ctx);
        n++;
    }
    target_source_close(s);
    return n;
}

/* An IPv4 target of 10.0.0.0/16 x ports {1..4} as a bit number. */
static uint64_t bit_of(const struct target *tg)
{
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, tg->host, &a), 1);
    uint32_t v = ntohl(a.s_addr);
    assert_int_equal(v >> 16, 0x0a00);
    assert_true(tg->port >= 1 && tg->port <= 4);
    return (uint64_t)(v & 0xffff) * 4 + (tg->port - 1);
}

static void mark_once(const struct target *tg, void *ctx)
{
    if (!bitmap_set(ctx, bit_of(tg)))
        fail_msg("%s yielded twice", tg->spec);
}

static void test_shards_are_disjoint_and_complete(void **state)
{
    (void)state;
    static const unsigned counts[] = {1, 2, 3, 7, 16};
    const char *specs[] = {"10.0.0.0/17", "10.0.128.0-10.0.255.255", NULL};
    for (uint64_t seed = 1; seed <= 2; seed++) {
        for (size_t c = 0; c < HC_ARRAY_LEN(counts); c++) {
            uint8_t *seen = bitmap_new(65536 * 4);
            uint64_t total = 0;
            for (unsigned i = 1; i <= counts[c]; i++) {
                struct targets *t = build(specs, "1-4", seed, i, counts[c]);
                uint64_t want;
                assert_true(targets_count(t, &want));
                uint64_t got = each(t, mark_once, seen); /* fails on any repeat */
                assert_int_equal(got, want);
                total += got;
                targets_free(t);
            }
            assert_int_equal(total, 65536 * 4); /* and nothing missing */
            free(seen);
        }
    }
}

static void collect(const struct target *tg, void *ctx)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 4096 - n, "%s ", tg->spec);
}

static void test_small_spaces(void **state)
{
    (void)state;
    char got[4096] = "";
    const char *one[] = {"192.0.2.7", NULL};
    struct targets *t = build(one, NULL, 9, 1, 1);
    each(t, collect, got);
    assert_string_equal(got, "192.0.2.7:443 ");
    assert_int_equal(targets_space_size(t), 1);
    targets_free(t);

    const char *v6[] = {"2001:db8::/127", NULL};
    got[0] = '\0';
    t = build(v6, "443", 0, 1, 1);
    each(t, collect, got);
    assert_true(strcmp(got, "[2001:db8::]:443 [2001:db8::1]:443 ") == 0 ||
                strcmp(got, "[2001:db8::1]:443 [2001:db8::]:443 ") == 0);
    targets_free(t);
}

static void test_overlaps_merged(void **state)
{
    (void)state;
    const char *specs[] = {"10.0.0.0/24",    "10.0.0.128-10.0.1.9", "10.0.0.5",
                           "10.0.1.10",      "10.0.1.0/30",         "10.0.0.0/25",
                           "2001:db8::/120", "2001:db8::7",         NULL};
    struct targets *t = build(specs, "443,443,8443", 1, 1, 1);
    assert_int_equal(t->space_len, 2); /* 10.0.0.0-10.0.1.10 and 2001:db8::/120 */
    assert_int_equal(targets_space_size(t), (256 + 11 + 256) * 2);
    uint64_t n;
    assert_true(targets_count(t, &n));
    assert_int_equal(n, (256 + 11 + 256) * 2);
    targets_free(t);
}

static void test_exclusions(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add(t, "10.0.0.0/24", err, sizeof err));
    assert_success(targets_add(t, "10.0.0.1:8443", err, sizeof err)); /* excluded below */
    assert_success(targets_add(t, "10.0.0.2:443", err, sizeof err));  /* already in the space */
    assert_success(targets_add(t, "10.0.0.2:444", err, sizeof err));  /* not in the space */
    assert_success(targets_exclude(t, "10.0.0.0/30", err, sizeof err));
    assert_success(targets_exclude(t, "10.0.0.2", err, sizeof err));
    assert_success(targets_exclude(t, "10.0.0.250-10.0.0.255", err, sizeof err));
    assert_success(targets_exclude(t, "10.0.0.100-10.0.0.101", err, sizeof err));
    assert_success(targets_exclude(t, "2001:db8::/32", err, sizeof err));
    assert_success(targets_finish(t, err, sizeof err));
    /* 10.0.0.4-99 and 102-249; 10.0.0.2:444 goes too, 10.0.0.2 being excluded */
    assert_int_equal(targets_space_size(t), 96 + 148);
    uint8_t seen[256] = {0};
    struct target_source *s;
    assert_success(target_source_open(t, &s, err, sizeof err));
    struct target tg;
    bool more;
    uint64_t n = 0;
    for (;;) {
        assert_success(target_source_next(s, &tg, &more, err, sizeof err));
        if (!more)
            break;
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, tg.host, &a), 1);
        unsigned last = ntohl(a.s_addr) & 0xff;
        assert_false(last < 4 || last == 100 || last == 101 || last >= 250);
        assert_int_equal(seen[last]++, 0);
        n++;
    }
    target_source_close(s);
    assert_int_equal(n, 96 + 148);

    struct sockaddr_in in = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.0.0.3", &in.sin_addr);
    assert_true(targets_excluded(t, (struct sockaddr *)&in));
    inet_pton(AF_INET, "10.0.0.4", &in.sin_addr);
    assert_false(targets_excluded(t, (struct sockaddr *)&in));
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8:ffff::1", &in6.sin6_addr);
    assert_true(targets_excluded(t, (struct sockaddr *)&in6));
    inet_pton(AF_INET6, "2001:db9::1", &in6.sin6_addr);
    assert_false(targets_excluded(t, (struct sockaddr *)&in6));
    inet_pton(AF_INET6, "::ffff:10.0.0.101", &in6.sin6_addr); /* IPv4-mapped */
    assert_true(targets_excluded(t, (struct sockaddr *)&in6));
    targets_free(t);
}

static void test_everything_excluded(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add(t, "10.0.0.0/24", err, sizeof err));
    assert_success(targets_exclude(t, "10.0.0.0/8", err, sizeof err));
    assert_error(targets_finish(t, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, "no targets"));
    targets_free(t);
}

static void test_bad_exclusions(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_error(targets_exclude(t, "example.com", err, sizeof err), HC_ERR_USAGE);
    assert_string_equal(
        err, "--exclude 'example.com': an exclusion is an address, a network or a range");
    assert_error(targets_exclude(t, "10.0.0.1:443", err, sizeof err), HC_ERR_USAGE);
    assert_error(targets_exclude(t, "10.0.0.0/40", err, sizeof err), HC_ERR_USAGE);
    assert_string_equal(err,
                        "--exclude '10.0.0.0/40': prefix length must be a number from 0 to 32");
    targets_free(t);
}

static void test_space_too_large(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add(t, "0.0.0.0/0", err, sizeof err));
    for (int i = 0; i < 20000; i++) { /* 20000 x 2^32 addresses x 65535 ports > 2^62 */
        char spec[64];
        snprintf(spec, sizeof spec, "2001:db8::%x:0:0/96", i);
        assert_success(targets_add(t, spec, err, sizeof err));
    }
    assert_success(targets_set_ports(t, "1-65535", err, sizeof err));
    assert_error(targets_finish(t, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, "more than 2^62"));
    targets_free(t);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_slash8_starts_at_once(void **state)
{
    (void)state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *specs[] = {"10.0.0.0/8", NULL};
    struct targets *t = build(specs, "443,8443", 7, 1, 1);
    struct target_source *s;
    char err[TARGETS_ERR_MAX];
    assert_success(target_source_open(t, &s, err, sizeof err));
    struct target tg;
    bool got;
    for (int i = 0; i < 1000; i++) {
        assert_success(target_source_next(s, &tg, &got, err, sizeof err));
        assert_true(got);
        assert_int_equal(strncmp(tg.host, "10.", 3), 0);
    }
    double ms = ms_since(&t0);
    print_message("/8 x 2 ports: 1000 targets after %.3f ms\n", ms);
    assert_true(ms < 10);
    assert_int_equal(targets_space_size(t), (1ULL << 24) * 2);
    /* Nothing proportional to the space: one interval, one port range, a fixed-size iterator. */
    assert_int_equal(t->space_len, 1);
    assert_int_equal(t->ports.len, 2);
    assert_true(target_source_state_size() < 4096);
    print_message("iterator state: %zu bytes; permutation: %zu bytes\n", target_source_state_size(),
                  sizeof(struct targets_perm));
    target_source_close(s);
    targets_free(t);
}

static void test_finish_once(void **state)
{
    (void)state;
    const char *specs[] = {"10.0.0.1", NULL};
    struct targets *t = build(specs, NULL, 0, 1, 1);
    char err[TARGETS_ERR_MAX];
    assert_error(targets_add(t, "10.0.0.2", err, sizeof err), HC_ERR_USAGE);
    assert_error(targets_finish(t, err, sizeof err), HC_ERR_USAGE);
    targets_free(t);
    struct targets *u = targets_new();
    struct target_source *s;
    assert_error(target_source_open(u, &s, err, sizeof err), HC_ERR_USAGE);
    assert_error(targets_finish(u, err, sizeof err), HC_ERR_USAGE); /* nothing to scan */
    assert_error(targets_set_shard(u, 0, 3, err, sizeof err), HC_ERR_USAGE);
    assert_error(targets_set_shard(u, 4, 3, err, sizeof err), HC_ERR_USAGE);
    targets_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permutation_is_a_bijection),
        cmocka_unit_test(test_permutation_depends_on_seed_only),
        cmocka_unit_test(test_shards_are_disjoint_and_complete),
        cmocka_unit_test(test_small_spaces),
        cmocka_unit_test(test_overlaps_merged),
        cmocka_unit_test(test_exclusions),
        cmocka_unit_test(test_everything_excluded),
        cmocka_unit_test(test_bad_exclusions),
        cmocka_unit_test(test_space_too_large),
        cmocka_unit_test(test_slash8_starts_at_once),
        cmocka_unit_test(test_finish_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
