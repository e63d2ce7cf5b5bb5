/* base: error table, guard macros, secret wiping. */
#include "unit.h"

#include "base/base.h"

#include <stdlib.h>
#include <string.h>

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(hc_error_name(HC_OK), "HC_OK");
    assert_string_equal(hc_error_name(HC_ERR_SHORT), "HC_ERR_SHORT");
    assert_string_equal(hc_error_name(HC_ERR_BAD_HEARTBEAT), "HC_ERR_BAD_HEARTBEAT");
    assert_string_equal(hc_error_name(HC_ERR_USAGE), "HC_ERR_USAGE");
    assert_string_equal(hc_error_message(HC_ERR_SHORT), "input ends before the field does");
    assert_string_equal(hc_error_message(HC_OK), "success");
}

/* Every error has a distinct name and a message: a test or a log line can tell them apart. */
static void test_error_table_complete(void **state)
{
    (void)state;
    for (int i = 0; i < HC_ERROR_COUNT; i++) {
        const char *name = hc_error_name((enum hc_error)i);
        assert_non_null(name);
        assert_int_equal(strncmp(name, "HC_", 3), 0);
        assert_true(strlen(hc_error_message((enum hc_error)i)) > 0);
        assert_string_not_equal(name, "HC_ERR_UNKNOWN");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(name, hc_error_name((enum hc_error)j));
    }
}

static void test_error_categories(void **state)
{
    (void)state;
    assert_int_equal(hc_error_category(HC_OK), HC_CAT_NONE);
    assert_int_equal(hc_error_category(HC_ERR_SHORT), HC_CAT_PROTOCOL);
    assert_int_equal(hc_error_category(HC_ERR_BAD_CERTIFICATE), HC_CAT_PROTOCOL);
    assert_int_equal(hc_error_category(HC_ERR_NO_SPACE), HC_CAT_INTERNAL);
    assert_int_equal(hc_error_category(HC_ERR_LENGTH_TOO_BIG), HC_CAT_INTERNAL);
    assert_int_equal(hc_error_category(HC_ERR_NOMEM), HC_CAT_INTERNAL);
    assert_int_equal(hc_error_category(HC_ERR_PEER_ALERT), HC_CAT_PEER_ALERT);
    assert_int_equal(hc_error_category(HC_ERR_PEER_CLOSED), HC_CAT_PEER_CLOSED);
    assert_int_equal(hc_error_category(HC_ERR_IO), HC_CAT_IO);
    assert_int_equal(hc_error_category(HC_ERR_USAGE), HC_CAT_USAGE);
    /* Only success is uncategorised. */
    for (int i = 1; i < HC_ERROR_COUNT; i++)
        assert_int_not_equal(hc_error_category((enum hc_error)i), HC_CAT_NONE);
}

static void test_error_out_of_range(void **state)
{
    (void)state;
    enum hc_error bad = (enum hc_error)HC_ERROR_COUNT;
    assert_string_equal(hc_error_name(bad), "HC_ERR_UNKNOWN");
    assert_string_equal(hc_error_message(bad), "unknown error");
    assert_int_equal(hc_error_category(bad), HC_CAT_INTERNAL);
    assert_string_equal(hc_error_name((enum hc_error) - 1), "HC_ERR_UNKNOWN");
}

static int steps;

static hc_result step(enum hc_error e)
{
    steps++;
    return HC_RESULT(e);
}

static hc_result try_chain(enum hc_error first, enum hc_error second)
{
    HC_TRY(step(first));
    HC_TRY(step(second));
    return HC_SUCCESS;
}

static hc_result ensure(int cond)
{
    HC_ENSURE(cond, HC_ERR_TRAILING);
    return HC_SUCCESS;
}

static void test_try_returns_first_error(void **state)
{
    (void)state;
    steps = 0;
    assert_error(try_chain(HC_ERR_SHORT, HC_ERR_NO_SPACE), HC_ERR_SHORT);
    assert_int_equal(steps, 1); /* the second step never ran */
    steps = 0;
    assert_error(try_chain(HC_OK, HC_ERR_NO_SPACE), HC_ERR_NO_SPACE);
    assert_int_equal(steps, 2);
    assert_success(try_chain(HC_OK, HC_OK));
}

static void test_ensure(void **state)
{
    (void)state;
    assert_success(ensure(1));
    assert_error(ensure(0), HC_ERR_TRAILING);
    assert_true(hc_ok(HC_SUCCESS));
    assert_false(hc_ok(HC_RESULT(HC_ERR_IO)));
}

static void test_wipe(void **state)
{
    (void)state;
    unsigned char buf[64];
    memset(buf, 0xa5, sizeof buf);
    hc_wipe(buf + 8, 32);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], (i >= 8 && i < 40) ? 0 : 0xa5);
    hc_wipe(NULL, 10); /* tolerated: nothing to wipe */
    hc_wipe(buf, 0);
    assert_int_equal(buf[0], 0xa5);
}

static void test_free_secret(void **state)
{
    (void)state;
    unsigned char *p = malloc(100);
    assert_non_null(p);
    memset(p, 0x5a, 100);
    hc_free_secret(p, 100); /* ASan reports a bad free or an overrun here */
    hc_free_secret(NULL, 0);
}

static void test_array_len(void **state)
{
    (void)state;
    uint16_t a[7];
    char b[3][5];
    assert_int_equal(HC_ARRAY_LEN(a), 7);
    assert_int_equal(HC_ARRAY_LEN(b), 3);
}

/* Numbers from the command line: digits only, inside the range, nothing around them. */
static void test_parse_uint(void **state)
{
    (void)state;
    unsigned long v = 7;
    assert_true(hc_parse_uint("443", 1, 65535, &v));
    assert_int_equal(v, 443);
    assert_true(hc_parse_uint("0", 0, 10, &v));
    assert_int_equal(v, 0);
    assert_true(hc_parse_uint("65535", 1, 65535, &v));
    static const char *const bad[] = {"",   "0",  "65536", "-1",   "+1",
                                      " 1", "1 ", "1x",    "0x10", "99999999999999999999999"};
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++) {
        v = 7;
        if (hc_parse_uint(bad[i], 1, 65535, &v))
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(v, 7); /* untouched on failure */
    }
    assert_false(hc_parse_uint(NULL, 0, 1, &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_parse_uint),
        cmocka_unit_test(test_error_table_complete),
        cmocka_unit_test(test_error_categories),
        cmocka_unit_test(test_error_out_of_range),
        cmocka_unit_test(test_try_returns_first_error),
        cmocka_unit_test(test_ensure),
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_free_secret),
        cmocka_unit_test(test_array_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
