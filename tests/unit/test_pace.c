/* The token bucket behind --rate, on a simulated clock: bursts, continuous refill, waits that
 * are never early, and no overflow after a long idle. */
#include "unit.h"

#include "engine/engine.h"

static const uint64_t MS = 1000000; /* nanoseconds */

static void test_unlimited(void **state)
{
    (void)state;
    struct pace p;
    pace_init(&p, 0, 0);
    for (int i = 0; i < 100000; i++)
        assert_true(pace_take(&p, 0));
    assert_int_equal(pace_wait_ns(&p, 0), 0);
}

/* The burst is 1/100 s of the rate: ten tokens at 1000/s, then one per millisecond. */
static void test_burst_then_refill(void **state)
{
    (void)state;
    struct pace p;
    pace_init(&p, 1000, 5 * MS);
    for (int i = 0; i < 10; i++)
        assert_true(pace_take(&p, 5 * MS));
    assert_false(pace_take(&p, 5 * MS));
    assert_int_equal(pace_wait_ns(&p, 5 * MS), MS);
    assert_false(pace_take(&p, 5 * MS + MS / 2));
    assert_int_equal(pace_wait_ns(&p, 5 * MS + MS / 2), MS / 2);
    assert_true(pace_take(&p, 6 * MS));
    assert_false(pace_take(&p, 6 * MS));
}

/* Below 100/s the burst is still one connection. */
static void test_burst_at_least_one(void **state)
{
    (void)state;
    struct pace p;
    pace_init(&p, 50, 0);
    assert_true(pace_take(&p, 0));
    assert_false(pace_take(&p, 0));
    assert_int_equal(pace_wait_ns(&p, 0), 20 * MS);
    assert_true(pace_take(&p, 20 * MS));
}

/* Taking whenever allowed for 1 s at 100/s: 100 evenly spaced, no 100 ms window over 11. */
static void test_smooth(void **state)
{
    (void)state;
    struct pace p;
    pace_init(&p, 100, 0);
    uint64_t taken[200];
    size_t n = 0;
    for (uint64_t t = 0; t < 1000 * MS; t += MS / 4)
        if (pace_take(&p, t)) {
            assert_true(n < 200);
            taken[n++] = t;
        }
    assert_int_equal(n, 100);
    for (size_t i = 0; i < n; i++) {
        size_t in_window = 0;
        for (size_t k = i; k < n && taken[k] < taken[i] + 100 * MS; k++)
            in_window++;
        assert_true(in_window <= 11);
    }
}

/* A timer that wakes up 1 ms late does not slow the rate: the next token comes 1 ms sooner.
 * After a long idle, still a single connection at once (the slack is 0.2 of a token). */
static void test_late_timer_keeps_rate(void **state)
{
    (void)state;
    struct pace p;
    pace_init(&p, 100, 0);
    assert_true(pace_take(&p, 0));
    assert_true(pace_take(&p, 11 * MS));
    assert_int_equal(pace_wait_ns(&p, 11 * MS), 9 * MS);
    assert_true(pace_take(&p, 20 * MS));
    assert_true(pace_take(&p, 10000 * MS));
    assert_false(pace_take(&p, 10000 * MS));
    assert_int_equal(pace_wait_ns(&p, 10000 * MS), 8 * MS);
}

/* A wait rounds up: taking one nanosecond early fails. */
static void test_wait_never_early(void **state)
{
    (void)state;
    struct pace p;
    pace_init(&p, 3, 0);
    assert_true(pace_take(&p, 0));
    uint64_t wait = pace_wait_ns(&p, 0);
    assert_int_equal(wait, 333333334);
    struct pace early = p;
    assert_false(pace_take(&early, wait - 1));
    assert_true(pace_take(&p, wait));
}

/* Hours idle at the highest rate: the credit is capped, not wrapped around. */
static void test_long_idle_and_clock_backwards(void **state)
{
    (void)state;
    struct pace p;
    pace_init(&p, UINT32_MAX, 0);
    assert_int_equal(p.credit, (uint64_t)(UINT32_MAX / PACE_BURST_DIVISOR) * 1000000000ull);
    p.credit = 0;
    assert_true(pace_take(&p, UINT64_MAX / 2));
    assert_int_equal(p.credit, p.cap - 1000000000ull);
    p.credit = 0;
    assert_false(pace_take(&p, 1)); /* earlier than the last refill: nothing added */
    assert_int_equal(p.credit, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_burst_at_least_one),
        cmocka_unit_test(test_smooth),
        cmocka_unit_test(test_late_timer_keeps_rate),
        cmocka_unit_test(test_wait_never_early),
        cmocka_unit_test(test_long_idle_and_clock_backwards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
