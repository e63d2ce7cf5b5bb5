/* debversion: dpkg's version order. Every expected result below was produced by
 * `dpkg --compare-versions` (dpkg 1.21); the test also asks the real dpkg when it is installed,
 * so a disagreement shows up even for pairs added later. */
#include "unit.h"

#include "host/pkgdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct pair {
    const char *a, *b;
    int order; /* sign of a compared with b */
};

static const struct pair pairs[] = {
    {"1.0.1e-2+deb7u5", "1.0.1e-2+deb7u4", 1},
    {"1.0.1e-2+deb7u5", "1.0.1e-2+deb7u10", -1},
    {"1.0.1e-2+deb7u5", "1.0.1e-2+deb7u5", 0},
    {"1.0.1e-2", "1.0.1e-2+deb7u5", -1},
    {"1.0.1e-2+deb7u20", "1.0.1e-2+deb7u5", 1},
    {"1.0.1e-3ubuntu1.2", "1.0.1e-3ubuntu1.1", 1},
    {"1.0.1e-3ubuntu1.10", "1.0.1e-3ubuntu1.2", 1},
    {"1.0.1-4ubuntu5.12", "1.0.1-4ubuntu5.11", 1},
    {"1.0.1-4ubuntu5.12", "1.0.1-4ubuntu3", 1},
    {"1.0.1c-3ubuntu2.7", "1.0.1c-3ubuntu2.6", 1},
    {"1.0.1e", "1.0.1f", -1},
    {"1.0.1f", "1.0.1g", -1},
    {"1.0.1", "1.0.1a", -1},
    {"1.0.1g-1", "1.0.1f-1", 1},
    {"3.0.19-1~deb12u2", "3.0.19-1", -1},
    {"3.0.19-1~deb12u2", "3.0.19-1~deb12u1", 1},
    {"3.0.11-1~deb12u2", "3.0.19-1~deb12u2", -1},
    {"1.0~rc1", "1.0", -1},
    {"1.0~rc1", "1.0~rc2", -1},
    {"1.0~~", "1.0~", -1},
    {"1.0~", "1.0", -1},
    {"1.0", "1.0+", -1},
    {"1.0", "1.0.0", -1},
    {"1.0", "1.0-0", 0},
    {"1.0a", "1.0", 1},
    {"1.0a", "1.0.", -1},
    {"1.0a", "1.0+", -1},
    {"1.0-1", "1.0-1.1", -1},
    {"1:1.0", "2.0", 1},
    {"1:1.0", "1:1.0", 0},
    {"0:1.0", "1.0", 0},
    {"2:0.1", "1:9.9", 1},
    {"1.0-a", "1.0-b", -1},
    {"1.0-1a", "1.0-1b", -1},
    {"1.01", "1.1", 0},
    {"1.001", "1.1", 0},
    {"1.10", "1.9", 1},
    {"10", "9", 1},
    {"1.0.10", "1.0.9", 1},
    {"abc", "abd", -1},
    {"a", "b", -1},
    {"1.0-1+b1", "1.0-1", 1},
    {"1.0-1ubuntu1", "1.0-1", 1},
    {"1.0-1", "1.0-1deb", -1},
    {"1.2.3~beta1-1", "1.2.3-1", -1},
    {"1.2.3-1~bpo1", "1.2.3-1", -1},
    {"0.9.8zh-1", "1.0.1e-2", -1},
    {"1.0.1e-2+deb7u5", "1.0.1e-2+deb7u5a", -1},
    {"1.0.1e-2+rvt+deb7u5", "1.0.1e-2+deb7u5", 1},
    {"7.6p2-4", "7.6-0", 1},
    {"1.0.3-3", "1.0-1", 1},
    {"1.3", "1.2.2-2", 1},
    {"1.3", "1.2.2", 1},
    {"1.0+dfsg-1", "1.0-1", 1},
    {"1.0.0+git20140407-1", "1.0.0-1", 1},
    {"00001", "1", 0},
    {"1.0-0", "1.0", 0},
    {"1.0~a", "1.0~", 1},
    {"1.0-1-2", "1.0-1-10", -1}, /* the revision starts after the last '-' */
    {"99999999999999999999", "99999999999999999998", 1}, /* no overflow */
};

static int sign(int x) { return (x > 0) - (x < 0); }

static void test_known_pairs(void **state)
{
    (void)state;
    for (size_t i = 0; i < HC_ARRAY_LEN(pairs); i++) {
        int got = sign(debversion_cmp(pairs[i].a, pairs[i].b));
        int back = sign(debversion_cmp(pairs[i].b, pairs[i].a));
        if (got != pairs[i].order || back != -pairs[i].order)
            fail_msg("%s vs %s: got %d/%d, dpkg says %d", pairs[i].a, pairs[i].b, got, back,
                     pairs[i].order);
    }
}

/* `dpkg --compare-versions A OP B` run without a shell: 0 when true. */
static bool dpkg_says(const char *a, const char *op, const char *b)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("dpkg", "dpkg", "--compare-versions", a, op, b, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        skip();
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_agrees_with_real_dpkg(void **state)
{
    (void)state;
    if (access("/usr/bin/dpkg", X_OK) != 0) {
        printf("note: dpkg not installed, cross-check skipped\n");
        skip();
    }
    for (size_t i = 0; i < HC_ARRAY_LEN(pairs); i++) {
        const char *op = pairs[i].order < 0 ? "lt" : pairs[i].order > 0 ? "gt" : "eq";
        if (!dpkg_says(pairs[i].a, op, pairs[i].b))
            fail_msg("dpkg disagrees: %s %s %s", pairs[i].a, op, pairs[i].b);
    }
}

static void test_null_and_empty(void **state)
{
    (void)state;
    assert_int_equal(debversion_cmp(NULL, ""), 0);
    assert_true(debversion_cmp("1", NULL) > 0);
    assert_int_equal(debversion_cmp("x:1.0", "1.0"), 0); /* malformed epoch counts as 0 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_pairs),
        cmocka_unit_test(test_agrees_with_real_dpkg),
        cmocka_unit_test(test_null_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
