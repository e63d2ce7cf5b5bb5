/* The summary: counting verdicts, its wording in text, and the hex helper of the reports. */
#include "unit.h"

#include "report/report.h"
#include "support/findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_add_counts(void **state)
{
    (void)state;
    struct report_summary s;
    memset(&s, 0, sizeof s);
    report_summary_add(&s, PROBE_VULNERABLE);
    report_summary_add(&s, PROBE_PATCHED);
    report_summary_add(&s, PROBE_PATCHED);
    report_summary_add(&s, PROBE_INCONCLUSIVE);
    assert_int_equal(s.total, 4);
    assert_int_equal(s.counts[PROBE_VULNERABLE], 1);
    assert_int_equal(s.counts[PROBE_PATCHED], 2);
    assert_int_equal(s.counts[PROBE_NOT_VULNERABLE], 0);
    assert_int_equal(s.counts[PROBE_INCONCLUSIVE], 1);
}

/* A verdict out of range is still a target (total) but overruns no counter. */
static void test_add_out_of_range(void **state)
{
    (void)state;
    struct {
        struct report_summary s;
        unsigned guard;
    } g;
    memset(&g, 0, sizeof g);
    report_summary_add(&g.s, (enum probe_verdict)REPORT_VERDICTS);
    report_summary_add(&g.s, (enum probe_verdict) - 1);
    assert_int_equal(g.s.total, 2);
    for (unsigned v = 0; v < REPORT_VERDICTS; v++)
        assert_int_equal(g.s.counts[v], 0);
    assert_int_equal(g.guard, 0);
}

static void test_text_wording(void **state)
{
    (void)state;
    struct report_summary s;
    memset(&s, 0, sizeof s);
    report_summary_add(&s, PROBE_VULNERABLE);
    report_summary_add(&s, PROBE_PATCHED);
    report_summary_add(&s, PROBE_PATCHED);
    report_summary_add(&s, PROBE_UNREACHABLE);
    s.elapsed_s = 2.345;
    char *text = render_summary(&report_text, &s);
    assert_string_equal(text, "4 targets in 2.3s: 1 vulnerable, 2 patched, 1 unreachable\n");
    assert_null(strchr(text, '\033')); /* no colour in the summary */
    free(text);
}

static void test_text_every_verdict(void **state)
{
    (void)state;
    struct report_summary s;
    memset(&s, 0, sizeof s);
    for (int v = PROBE_VULNERABLE; v <= PROBE_INCONCLUSIVE; v++)
        report_summary_add(&s, (enum probe_verdict)v);
    char *text = render_summary(&report_text, &s);
    assert_string_equal(text, "6 targets in 0.0s: 1 vulnerable, 1 patched, 1 not_vulnerable, "
                              "1 not_tls, 1 unreachable, 1 inconclusive\n");
    free(text);
}

static void test_text_singular_and_empty(void **state)
{
    (void)state;
    struct report_summary s;
    memset(&s, 0, sizeof s);
    report_summary_add(&s, PROBE_NOT_TLS);
    s.elapsed_s = 0.05;
    char *text = render_summary(&report_text, &s);
    assert_string_equal(text, "1 target in 0.1s: 1 not_tls\n");
    free(text);

    memset(&s, 0, sizeof s);
    text = render_summary(&report_text, &s);
    assert_string_equal(text, "0 targets in 0.0s\n");
    free(text);
}

static void test_text_interrupted(void **state)
{
    (void)state;
    struct report_summary s;
    memset(&s, 0, sizeof s);
    report_summary_add(&s, PROBE_PATCHED);
    report_summary_add(&s, PROBE_PATCHED);
    s.elapsed_s = 12;
    s.interrupted = true;
    char *text = render_summary(&report_text, &s);
    assert_string_equal(
        text, "2 targets in 12.0s: 2 patched (interrupted: remaining targets not probed)\n");
    free(text);
}

/* JSON Lines hold findings only: the summary writes nothing there. */
static void test_json_summary_silent(void **state)
{
    (void)state;
    struct report_summary s;
    memset(&s, 0, sizeof s);
    report_summary_add(&s, PROBE_VULNERABLE);
    s.interrupted = true;
    char *text = render_summary(&report_json, &s);
    assert_string_equal(text, "");
    free(text);
}

static void test_hex(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof bytes + 2];
    memset(out, 'x', sizeof out);
    report_hex(bytes, sizeof bytes, out);
    assert_string_equal(out, "00017f80abff");
    assert_int_equal(out[sizeof out - 1], 'x');
    report_hex(bytes, 0, out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_counts),
        cmocka_unit_test(test_add_out_of_range),
        cmocka_unit_test(test_text_wording),
        cmocka_unit_test(test_text_every_verdict),
        cmocka_unit_test(test_text_singular_and_empty),
        cmocka_unit_test(test_text_interrupted),
        cmocka_unit_test(test_json_summary_silent),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
