/* --exec command lines: {host}, {port}, {url} substituted, schemes per protocol, no overflow. */
#include "unit.h"

#include "clients/clients.h"

#include <string.h>

static void substitutes(void **state)
{
    (void)state;
    char out[256];
    assert_success(clients_exec_expand("curl -k {url} && nc {host} {port}", "127.0.0.1", 8443, NULL,
                                       out, sizeof out));
    assert_string_equal(out, "curl -k https://127.0.0.1:8443/ && nc 127.0.0.1 8443");
    assert_success(clients_exec_expand("{url}", "::1", 25, "smtp", out, sizeof out));
    assert_string_equal(out, "smtp://[::1]:25/");
    assert_success(clients_exec_expand("{url}", "127.0.0.1", 5432, "postgres", out, sizeof out));
    assert_string_equal(out, "postgresql://127.0.0.1:5432/");
    /* Braces that name nothing stay as they are. */
    assert_success(clients_exec_expand("{hosts} {} {port", "h", 1, NULL, out, sizeof out));
    assert_string_equal(out, "{hosts} {} {port");
}

static void no_space(void **state)
{
    (void)state;
    char out[16];
    assert_error(clients_exec_expand("{url}", "127.0.0.1", 8443, NULL, out, sizeof out),
                 HC_ERR_NO_SPACE);
    assert_error(clients_exec_expand("x", "h", 1, NULL, out, 0), HC_ERR_NO_SPACE);
    assert_success(clients_exec_expand("123456789012345", "h", 1, NULL, out, sizeof out));
    assert_error(clients_exec_expand("1234567890123456", "h", 1, NULL, out, sizeof out),
                 HC_ERR_NO_SPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(substitutes),
        cmocka_unit_test(no_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
