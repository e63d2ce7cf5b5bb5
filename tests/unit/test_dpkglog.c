/* dpkglog.c: the lines of dpkg.log that install versions, one package's history from logs in
 * a synthetic root (plain and gzip-rotated), and when the fix arrived: the first fixed version
 * after the last vulnerable one, judged by a table given here. Run in UTC. */
#include "unit.h"

#include "host/pkgdb.h"
#include "support/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return timegm(&tm);
}

static int set_utc(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static bool parse(const char *line, struct dpkglog_event *e)
{
    return dpkglog_parse_line(line, strlen(line), e);
}

static void test_lines(void **state)
{
    (void)state;
    struct dpkglog_event e;
    assert_true(
        parse("2014-04-08 10:00:01 status installed libssl1.0.0:amd64 1.0.1e-2+deb7u5", &e));
    assert_int_equal(e.kind, DPKGLOG_STATUS_INSTALLED);
    assert_int_equal(e.when, utc(2014, 4, 8, 10, 0, 1));
    assert_string_equal(e.package, "libssl1.0.0");
    assert_string_equal(e.version, "1.0.1e-2+deb7u5");
    assert_string_equal(e.old_version, "");
    assert_true(parse("2014-04-08 10:00:00 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u4 "
                      "1.0.1e-2+deb7u5\n",
                      &e));
    assert_int_equal(e.kind, DPKGLOG_UPGRADE);
    assert_string_equal(e.old_version, "1.0.1e-2+deb7u4");
    assert_string_equal(e.version, "1.0.1e-2+deb7u5");
    assert_true(parse("2013-05-04 09:00:00 install libssl1.0.0 <none> 1.0.1e-2", &e));
    assert_int_equal(e.kind, DPKGLOG_INSTALL);
    assert_string_equal(e.old_version, "");
    static const char *const other[] = {
        "2014-04-08 10:00:01 status half-configured libssl1.0.0:amd64 1.0.1e-2+deb7u5",
        "2014-04-08 10:00:01 status not-installed libssl1.0.0:amd64 <none>",
        "2014-04-08 10:00:01 remove libssl1.0.0:amd64 1.0.1e-2 <none>",
        "2014-04-08 10:00:01 configure libssl1.0.0:amd64 1.0.1e-2 <none>",
        "2014-04-08 10:00:01 startup archives unpack",
        "2014-04-08 10:00:01 status installed libssl1.0.0:amd64",
        "2014-13-08 10:00:01 status installed libssl1.0.0:amd64 1",
        "2014-04-08 10:00 status installed libssl1.0.0:amd64 1",
        "2014-04-08 10:00:01",
        "",
        "garbage",
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(other); i++)
        if (parse(other[i], &e))
            fail_msg("accepted: %s", other[i]);
}

/* Every cut of a line and a word longer than the fields: false or an event, never overrun. */
static void test_hostile_lines(void **state)
{
    (void)state;
    const char *line =
        "2014-04-08 10:00:00 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u4 1.0.1e-2+deb7u5";
    struct dpkglog_event e;
    for (size_t n = 0; n <= strlen(line); n++)
        (void)dpkglog_parse_line(line, n, &e);
    char long_line[600];
    snprintf(long_line, sizeof long_line, "2014-04-08 10:00:00 status installed %0300d 1", 7);
    assert_false(parse(long_line, &e));
    assert_true(dpkglog_parse_line("2014-04-08 10:00:01 status installed a 1\0junk", 40, &e));
    assert_string_equal(e.version, "1");
}

/* Versions ending in 'v' are vulnerable, in 'f' fixed, anything else unknown. */
static enum dpkglog_state judge(const char *version, void *ctx)
{
    (void)ctx;
    size_t n = strlen(version);
    char last = n ? version[n - 1] : '\0';
    return last == 'v'   ? DPKGLOG_VERSION_VULNERABLE
           : last == 'f' ? DPKGLOG_VERSION_FIXED
                         : DPKGLOG_VERSION_UNKNOWN;
}

static struct dpkglog_fix fix_of(const char *text)
{
    struct dpkglog_history h = {0};
    assert_success(dpkglog_add_text(&h, "libssl", text, strlen(text)));
    struct dpkglog_fix f;
    dpkglog_find_fix(&h, judge, NULL, &f);
    dpkglog_history_free(&h);
    return f;
}

static void test_fix(void **state)
{
    (void)state;
    /* Installed vulnerable, upgraded to a fixed version, then to a newer fixed one: the fix is
     * the first fixed install; other packages do not count. */
    struct dpkglog_fix f = fix_of("2013-01-01 00:00:00 install libssl:amd64 <none> 1v\n"
                                  "2013-01-01 00:00:01 status installed libssl:amd64 1v\n"
                                  "2014-04-08 10:00:00 upgrade libssl-dev:amd64 1v 2f\n"
                                  "2014-04-08 10:00:00 upgrade libssl:amd64 1v 2f\n"
                                  "2014-04-08 10:00:01 status installed libssl:amd64 2f\n"
                                  "2015-01-01 00:00:00 status installed libssl:amd64 3f\n");
    assert_true(f.vulnerable_seen);
    assert_int_equal(f.vulnerable_until, utc(2014, 4, 8, 10, 0, 0));
    assert_int_equal(f.fixed_at, utc(2014, 4, 8, 10, 0, 0));
    assert_string_equal(f.fixed_version, "2f");

    /* Only the upgrade line remains (older logs rotated away): its old version counts. */
    f = fix_of("2014-04-09 12:00:00 upgrade libssl:i386 1v 2f\n");
    assert_true(f.vulnerable_seen);
    assert_int_equal(f.fixed_at, utc(2014, 4, 9, 12, 0, 0));

    /* Installed fixed from the start: never vulnerable, no fix time. */
    f = fix_of("2014-05-01 00:00:00 install libssl <none> 2f\n"
               "2014-05-01 00:00:01 status installed libssl 2f\n");
    assert_false(f.vulnerable_seen);
    assert_int_equal(f.fixed_at, 0);

    /* Still vulnerable at the end of the logs: pending. */
    f = fix_of("2014-01-01 00:00:00 status installed libssl 1v\n");
    assert_true(f.vulnerable_seen);
    assert_int_equal(f.fixed_at, 0);

    /* Fixed, downgraded to a vulnerable version, fixed again: the last fix counts. Lines out
     * of order (rotated logs read in any order) are put in order first. */
    f = fix_of("2014-06-01 00:00:00 status installed libssl 3f\n"
               "2014-04-08 00:00:00 status installed libssl 2f\n"
               "2014-05-01 00:00:00 status installed libssl 1v\n"
               "2014-01-01 00:00:00 status installed libssl 1v\n");
    assert_int_equal(f.vulnerable_until, utc(2014, 5, 1, 0, 0, 0));
    assert_int_equal(f.fixed_at, utc(2014, 6, 1, 0, 0, 0));
    assert_string_equal(f.fixed_version, "3f");

    /* Unknown versions neither open nor close the window. */
    f = fix_of("2014-01-01 00:00:00 status installed libssl 1v\n"
               "2014-02-01 00:00:00 status installed libssl 1x\n"
               "2014-03-01 00:00:00 status installed libssl 2f\n");
    assert_int_equal(f.fixed_at, utc(2014, 3, 1, 0, 0, 0));
}

static void write_gz(const struct tree *t, const char *rel, const char *text)
{
    char path[512];
    tree_path(t, rel, path, sizeof path);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(gz), Z_OK);
}

/* The current log, a plain rotation and a gzip one, read from a root. */
static void test_read_root(void **state)
{
    (void)state;
    struct tree t;
    assert_true(tree_create(&t, "dpkglog"));
    struct dpkglog_history h = {0};
    assert_success(dpkglog_read(t.root, "libssl", &h)); /* no /var/log at all */
    assert_int_equal(h.count, 0);
    tree_write_text(&t, "/var/log/dpkg.log", "2015-01-01 00:00:00 status installed libssl 3f\n");
    tree_write_text(&t, "/var/log/dpkg.log.1",
                    "2014-04-08 10:00:01 status installed libssl:amd64 2f\n");
    write_gz(&t, "/var/log/dpkg.log.2.gz",
             "2013-01-01 00:00:01 status installed libssl:amd64 1v\n"
             "2013-01-01 00:00:01 status installed other:amd64 1v\n");
    tree_write_text(&t, "/var/log/syslog", "2014-04-08 10:00:01 status installed libssl 0v\n");
    assert_success(dpkglog_read(t.root, "libssl", &h));
    assert_int_equal(h.count, 3);
    struct dpkglog_fix f;
    dpkglog_find_fix(&h, judge, NULL, &f);
    assert_int_equal(f.fixed_at, utc(2014, 4, 8, 10, 0, 1));
    assert_string_equal(f.fixed_version, "2f");
    dpkglog_history_free(&h);
    tree_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_hostile_lines),
        cmocka_unit_test(test_fix),
        cmocka_unit_test(test_read_root),
    };
    return cmocka_run_group_tests(tests, set_utc, NULL);
}
