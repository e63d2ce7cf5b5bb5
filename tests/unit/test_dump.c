/* --dump files: mode 0600, never through a symlink, one header line and the raw bytes. */
#include "unit.h"

#include "report/report.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/hc-test-dump.XXXXXX";

static int make_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_mode_and_content(void **state)
{
    (void)state;
    char path[96];
    snprintf(path, sizeof path, "%s/leak.bin", dir);
    mode_t old = umask(0);
    int fd = report_dump_open(path);
    umask(old);
    assert_true(fd >= 0);
    static const uint8_t secret[] = {0x00, 's', 'e', 'c', '\n', 0xff};
    report_dump_leak(fd, "target=a:1 bytes=6", secret, sizeof secret);
    report_dump_leak(fd, "nothing", secret, 0); /* nothing leaked: no entry */
    report_dump_leak(-1, "no file", secret, sizeof secret);
    close(fd);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char got[128];
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    static const char want[] = "# heartcheck leak target=a:1 bytes=6\n\0sec\n\xff\n";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(got, want, n);
}

static void test_symlink_refused(void **state)
{
    (void)state;
    char target[96], link[96];
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    snprintf(link, sizeof link, "%s/planted", dir);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(report_dump_open(link), -1);
    assert_int_equal(access(target, F_OK), -1); /* nothing created through the link */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_and_content),
        cmocka_unit_test(test_symlink_refused),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
