/* The set of targets an interrupted scan already reported (--resume). */
#include "unit.h"

#include "scan/resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_add_contains(void **state)
{
    (void)state;
    struct resume_set s = {0};
    assert_false(resume_contains(&s, "10.0.0.1:443"));
    char t[32];
    for (int i = 0; i < 5000; i++) { /* several growths of the table */
        snprintf(t, sizeof t, "10.0.%d.%d:443", i / 256, i % 256);
        assert_success(resume_add(&s, t));
    }
    assert_success(resume_add(&s, "10.0.0.1:443")); /* twice counts once */
    assert_int_equal(s.count, 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(t, sizeof t, "10.0.%d.%d:443", i / 256, i % 256);
        assert_true(resume_contains(&s, t));
    }
    assert_false(resume_contains(&s, "10.0.0.1:8443"));
    assert_false(resume_contains(&s, "10.0.200.1:443"));
    resume_free(&s);
}

static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/hc-resume-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* The last line of an interrupted run may be cut in the middle: it is not a result. */
static void test_load(void **state)
{
    (void)state;
    char *path = temp_file("{\"target\":\"127.0.0.1:443\",\"verdict\":\"patched\"}\n"
                           "{\"target\":\"[::1]:8443\",\"verdict\":\"vulnerable\"}\n"
                           "not json\n"
                           "{\"verdict\":\"patched\"}\n"
                           "{\"target\":\"127.0.0.2:4");
    struct resume_set s;
    assert_success(resume_load(path, &s));
    assert_int_equal(s.count, 2);
    assert_int_equal(s.bad_lines, 3);
    assert_true(resume_contains(&s, "127.0.0.1:443"));
    assert_true(resume_contains(&s, "[::1]:8443"));
    assert_false(resume_contains(&s, "127.0.0.2:443"));
    resume_free(&s);
    unlink(path);
    free(path);
}

/* The first run of a scan given --resume has no file yet: nothing is done. */
static void test_missing_file(void **state)
{
    (void)state;
    struct resume_set s;
    assert_success(resume_load("/nonexistent/heartcheck-resume.jsonl", &s));
    assert_int_equal(s.count, 0);
    assert_error(resume_load("/", &s), HC_ERR_IO); /* a directory cannot be read as lines */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_contains),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
