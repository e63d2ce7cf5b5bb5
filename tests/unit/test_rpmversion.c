/* rpmversion: rpm's version order. The expected results were produced by rpm 4.18
 * (`rpm --eval '%{lua: print(rpm.vercmp(a, b))}'` for segments, rpm.ver() objects for
 * epoch-version-release); most segment pairs are from rpm's own tests/rpmvercmp.at. */
#include "unit.h"

#include "host/pkgdb.h"

#include <stdio.h>

struct pair {
    const char *a, *b;
    int order;
};

static const struct pair segments[] = {
    {"1.0", "1.0", 0},
    {"1.0", "2.0", -1},
    {"2.0.1", "2.0.1", 0},
    {"2.0", "2.0.1", -1},
    {"2.0.1a", "2.0.1", 1},
    {"5.5p1", "5.5p2", -1},
    {"5.5p10", "5.5p1", 1},
    {"10xyz", "10.1xyz", -1},
    {"xyz10", "xyz10.1", -1},
    {"xyz.4", "8", -1},
    {"xyz.4", "2", -1},
    {"5.5p2", "5.6p1", -1},
    {"5.6p1", "6.5p1", -1},
    {"6.0.rc1", "6.0", 1},
    {"10b2", "10a1", 1},
    {"10a2", "10b2", -1},
    {"1.0aa", "1.0a", 1},
    {"10.0001", "10.1", 0},
    {"10.0001", "10.0039", -1},
    {"4.999.9", "5.0", -1},
    {"20101121", "20101122", -1},
    {"2_0", "2_0", 0},
    {"2.0", "2_0", 0},
    {"a", "b", -1},
    {"a+", "a_", 0},
    {"+a", "a", 0},
    {"1.0~rc1", "1.0", -1},
    {"1.0~rc1", "1.0~rc2", -1},
    {"1.0~rc1~git123", "1.0~rc1", -1},
    {"1.0^", "1.0", 1},
    {"1.0^git1", "1.0", 1},
    {"1.0^git1", "1.01", -1},
    {"1.0^git1~pre", "1.0^git1", -1},
    {"16.el6_5.7", "16.el6_5.4", 1},
    {"16.el6_5.7", "16.el6_5.10", -1},
    {"16.el6_5", "16.el6_5.7", -1},
    {"37.fc19.1", "37.fc19", 1},
    {"37.66.amzn1", "37.65.amzn1", 1},
    {"1.44.1", "1.40.1", 1},
    {"11.32.1", "11.4.1", 1},
    {"1.0.1e", "1.0.1f", -1},
    {"1.0.1", "1.0.1a", -1},
    {"1.0.1e-fips", "1.0.1e", 1},
};

/* Epoch, version and release, as rpm orders installed packages. */
static const struct pair evrs[] = {
    {"1.0.1e-16.el6_5.7", "1.0.1e-16.el6_5.4", 1},   {"1.0.1e-16.el6_5.7", "1.0.1e-15.el6", 1},
    {"1.0.1e-30.el6", "1.0.1e-16.el6_5.7", 1},       {"1:1.0.1e-16.el6", "1.0.1e-30.el6", 1},
    {"0:1.0.1e-16.el6", "1.0.1e-16.el6", 0},         {"1.0.1e-37.fc19.1", "1.0.1e-37.fc19", 1},
    {"1.0.1e-37.66.amzn1", "1.0.1e-37.65.amzn1", 1}, {"1.0.1e-1.44.1", "1.0.1e-1.40.1", 1},
    {"1.0.1e-11.32.1", "1.0.1e-11.4.1", 1},          {"1.0.1g-1", "1.0.1e-99", 1},
};

static int sign(int x) { return (x > 0) - (x < 0); }

static void check(const struct pair *p, size_t n, int (*cmp)(const char *, const char *))
{
    for (size_t i = 0; i < n; i++) {
        int got = sign(cmp(p[i].a, p[i].b));
        int back = sign(cmp(p[i].b, p[i].a));
        if (got != p[i].order || back != -p[i].order)
            fail_msg("%s vs %s: got %d/%d, rpm says %d", p[i].a, p[i].b, got, back, p[i].order);
    }
}

static void test_segments(void **state)
{
    (void)state;
    check(segments, HC_ARRAY_LEN(segments), rpmversion_segment_cmp);
}

static void test_epoch_version_release(void **state)
{
    (void)state;
    check(evrs, HC_ARRAY_LEN(evrs), rpmversion_cmp);
}

/* A missing release matches any release, as rpm does for "openssl >= 1.0.1e". */
static void test_missing_release(void **state)
{
    (void)state;
    assert_int_equal(rpmversion_cmp("1.0.1e", "1.0.1e-16.el6"), 0);
    assert_true(rpmversion_cmp("1.0.1f", "1.0.1e-16.el6") > 0);
    assert_int_equal(rpmversion_cmp(NULL, ""), 0);
    assert_int_equal(rpmversion_segment_cmp(NULL, ""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_epoch_version_release),
        cmocka_unit_test(test_missing_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
