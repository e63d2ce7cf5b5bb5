/* targets/source.c: the iterator — the list after the space, files streamed line by line,
 * their validation pass, standard input, shards over streams, --dry-run, constant memory. */
#include "unit.h"

#include "targets/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A temporary file holding text; the caller unlinks and frees the path. */
static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/hc-test-targets-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static void drop_file(char *path)
{
    unlink(path);
    free(path);
}

/* Every target of t as "spec " joined, in order; fails on any error. */
static const char *all_specs(const struct targets *t)
{
    static char out[8192];
    out[0] = '\0';
    struct target_source *s;
    char err[TARGETS_ERR_MAX];
    assert_success(target_source_open(t, &s, err, sizeof err));
    struct target tg;
    bool got;
    size_t n = 0;
    for (;;) {
        hc_result r = target_source_next(s, &tg, &got, err, sizeof err);
        if (!hc_ok(r))
            fail_msg("next: %s", err);
        if (!got)
            break;
        n += (size_t)snprintf(out + n, sizeof out - n, "%s ", tg.spec);
    }
    target_source_close(s);
    return out;
}

static struct targets *from_file(const char *path, const char *ports)
{
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add_file(t, path, err, sizeof err));
    if (ports)
        assert_success(targets_set_ports(t, ports, err, sizeof err));
    if (!hc_ok(targets_finish(t, err, sizeof err)))
        fail_msg("finish: %s", err);
    return t;
}

static void test_zmap_output_comments_crlf(void **state)
{
    (void)state;
    char *path = temp_file("# zmap -p 443 output\n"
                           "192.0.2.1\n"
                           "\n"
                           "192.0.2.9\r\n"
                           "   \t\r\n"
                           "  198.51.100.7  # a comment\r\n"
                           "example.com:8443\n"
                           "[2001:db8::1]:25\n"
                           "203.0.113.0/31\n"
                           "203.0.113.10-11"); /* no newline at the end */
    struct targets *t = from_file(path, NULL);
    uint64_t n;
    assert_true(targets_count(t, &n));
    assert_int_equal(n, 9);
    assert_string_equal(all_specs(t), "192.0.2.1:443 192.0.2.9:443 198.51.100.7:443 "
                                      "example.com:8443 [2001:db8::1]:25 203.0.113.0:443 "
                                      "203.0.113.1:443 203.0.113.10:443 203.0.113.11:443 ");
    targets_free(t);
    drop_file(path);
}

static void test_ports_apply_to_lines_without_their_own(void **state)
{
    (void)state;
    char *path = temp_file("192.0.2.1\nexample.org\n192.0.2.2:25\n");
    struct targets *t = from_file(path, "443,8443");
    uint64_t n;
    assert_true(targets_count(t, &n));
    assert_int_equal(n, 5);
    assert_string_equal(all_specs(t), "192.0.2.1:443 192.0.2.1:8443 example.org:443 "
                                      "example.org:8443 192.0.2.2:25 ");
    targets_free(t);
    drop_file(path);
}

static void expect_bad_file(const char *text, const char *want)
{
    char *path = temp_file(text);
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX] = "", expect[TARGETS_ERR_MAX];
    assert_success(targets_add_file(t, path, err, sizeof err));
    assert_error(targets_finish(t, err, sizeof err), HC_ERR_USAGE);
    snprintf(expect, sizeof expect, "%s:%s", path, want);
    if (strcmp(err, expect) != 0)
        fail_msg("got '%s', want '%s'", err, expect);
    targets_free(t);
    drop_file(path);
}

static void test_bad_lines_name_file_and_line(void **state)
{
    (void)state;
    expect_bad_file("192.0.2.1\n# fine\n10.0.0.0/33\n192.0.2.2\n",
                    "3: '10.0.0.0/33': prefix length must be a number from 0 to 32");
    expect_bad_file("1.2.3.4\r\n1.2.3.4:0\r\n",
                    "2: '1.2.3.4:0': port must be a number from 1 to 65535");
    expect_bad_file("1.2.3.4 5.6.7.8\n",
                    "1: '1.2.3.4 5.6.7.8': '1.2.3.4 5.6.7.8' is neither an IP address nor a "
                    "host name");
    expect_bad_file("ok.example\n[::1\n", "2: '[::1': missing ']' after the IPv6 address");
    char big[TARGETS_LINE_MAX + 100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_bad_file(big, "1: line longer than the limit of 1023 characters");
    char nul[] = "1.2.3.4\n5.6.7.8\0junk\n";
    char *path = strdup("/tmp/hc-test-targets-XXXXXX");
    int fd = mkstemp(path);
    assert_int_equal(write(fd, nul, sizeof nul - 1), (ssize_t)(sizeof nul - 1));
    close(fd);
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add_file(t, path, err, sizeof err));
    assert_error(targets_finish(t, err, sizeof err), HC_ERR_USAGE);
    assert_non_null(strstr(err, ":2: NUL byte in line"));
    targets_free(t);
    drop_file(path);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_error(targets_add_file(t, "/nonexistent/targets.txt", err, sizeof err), HC_ERR_IO);
    assert_string_equal(err, "/nonexistent/targets.txt: cannot read target file");
    assert_error(targets_exclude_file(t, "/nonexistent/x", err, sizeof err), HC_ERR_IO);
    targets_free(t);
}

static void test_list_after_space_deduplicated(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    const char *specs[] = {"b.example",    "10.9.9.9",     "a.example:8443", "b.example",
                           "10.9.9.9:443", "10.9.9.9:444", "10.9.9.9:444"};
    for (size_t i = 0; i < HC_ARRAY_LEN(specs); i++)
        assert_success(targets_add(t, specs[i], err, sizeof err));
    assert_success(targets_finish(t, err, sizeof err));
    uint64_t n;
    assert_true(targets_count(t, &n));
    assert_int_equal(n, 4);
    /* the space first, then the list sorted: names, then addresses */
    assert_string_equal(all_specs(t), "10.9.9.9:443 a.example:8443 b.example:443 10.9.9.9:444 ");
    targets_free(t);
}

static void test_exclusions_apply_to_streams(void **state)
{
    (void)state;
    char *path = temp_file("192.0.2.0/29\n192.0.2.100\n192.0.2.101:8443\nname.example\n");
    char *excl = temp_file("# blocklist\n192.0.2.2-192.0.2.3 # two\n\n192.0.2.101\r\n"
                           "192.0.2.6/31\n");
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add_file(t, path, err, sizeof err));
    assert_success(targets_exclude_file(t, excl, err, sizeof err));
    assert_success(targets_finish(t, err, sizeof err));
    uint64_t n;
    assert_true(targets_count(t, &n));
    assert_int_equal(n, 6);
    assert_string_equal(all_specs(t), "192.0.2.0:443 192.0.2.1:443 192.0.2.4:443 "
                                      "192.0.2.5:443 192.0.2.100:443 name.example:443 ");
    targets_free(t);
    drop_file(path);
    drop_file(excl);
}

static void test_bad_exclude_file_line(void **state)
{
    (void)state;
    char *excl = temp_file("10.0.0.0/8\nexample.com\n");
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX], want[TARGETS_ERR_MAX];
    assert_error(targets_exclude_file(t, excl, err, sizeof err), HC_ERR_USAGE);
    snprintf(want, sizeof want,
             "%s:2: 'example.com': an exclusion is an address, a network or a range", excl);
    assert_string_equal(err, want);
    targets_free(t);
    drop_file(excl);
}

/* Counts the targets of every shard, checking each spec is seen once across all of them. */
static void test_shards_over_list_and_streams(void **state)
{
    (void)state;
    char *path = temp_file("198.51.100.0/28\nx.example\n198.51.100.200:25\n");
    static const unsigned counts[] = {1, 2, 3, 5, 64};
    for (size_t c = 0; c < HC_ARRAY_LEN(counts); c++) {
        char seen[8192] = " ";
        uint64_t total = 0;
        for (unsigned i = 1; i <= counts[c]; i++) {
            struct targets *t = targets_new();
            char err[TARGETS_ERR_MAX];
            assert_success(targets_add(t, "192.0.2.0/28", err, sizeof err));
            assert_success(targets_add(t, "a.example", err, sizeof err));
            assert_success(targets_add_file(t, path, err, sizeof err));
            assert_success(targets_set_ports(t, "443,8443", err, sizeof err));
            assert_success(targets_set_shard(t, i, counts[c], err, sizeof err));
            targets_set_seed(t, 5);
            assert_success(targets_finish(t, err, sizeof err));
            uint64_t want;
            assert_true(targets_count(t, &want));
            const char *got = all_specs(t);
            uint64_t n = 0;
            for (const char *p = got; *p; p = strchr(p, ' ') + 1) {
                char one[64];
                snprintf(one, sizeof one, " %.*s ", (int)(strchr(p, ' ') - p), p);
                if (strstr(seen, one))
                    fail_msg("%s in two shards", one);
                strcat(seen, one + 1);
                n++;
            }
            assert_int_equal(n, want);
            total += n;
            targets_free(t);
        }
        assert_int_equal(total, 32 + 2 + 32 + 2 + 1);
    }
    drop_file(path);
}

static void test_stdin_streams_and_reports_late(void **state)
{
    (void)state;
    char *path = temp_file("192.0.2.1\n192.0.2.2\nnot a target\n192.0.2.3\n");
    assert_non_null(freopen(path, "r", stdin));
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add(t, "-", err, sizeof err));
    assert_success(targets_add(t, "10.0.0.1", err, sizeof err));
    assert_success(targets_finish(t, err, sizeof err)); /* stdin cannot be validated first */
    uint64_t n;
    assert_false(targets_count(t, &n));
    assert_int_equal(n, 1);
    struct target_source *s;
    assert_success(target_source_open(t, &s, err, sizeof err));
    struct target tg;
    assert_true(target_source_engine_fn(s, &tg));
    assert_string_equal(tg.spec, "10.0.0.1:443");
    assert_true(target_source_engine_fn(s, &tg));
    assert_string_equal(tg.spec, "192.0.2.1:443");
    assert_true(target_source_engine_fn(s, &tg));
    assert_string_equal(tg.spec, "192.0.2.2:443");
    assert_false(target_source_engine_fn(s, &tg));
    const char *msg;
    assert_error(target_source_error(s, &msg), HC_ERR_USAGE);
    assert_string_equal(msg, "stdin:3: 'not a target': 'not a target' is neither an IP address "
                             "nor a host name");
    assert_false(target_source_engine_fn(s, &tg)); /* stays stopped */
    target_source_close(s);
    targets_free(t);
    drop_file(path);
}

static void test_dry_run(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add(t, "192.0.2.0/30", err, sizeof err));
    assert_success(targets_add(t, "[2001:db8::5]:8443", err, sizeof err));
    targets_set_seed(t, 11);
    assert_success(targets_finish(t, err, sizeof err));
    FILE *f = tmpfile();
    assert_non_null(f);
    uint64_t printed;
    assert_success(targets_dry_run(t, f, &printed, err, sizeof err));
    assert_int_equal(printed, 5);
    rewind(f);
    char line[128];
    bool seen[4] = {false};
    for (int i = 0; i < 4; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        unsigned last;
        assert_int_equal(sscanf(line, "192.0.2.%u:443\n", &last), 1);
        assert_true(last < 4 && !seen[last]);
        seen[last] = true;
    }
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "[2001:db8::5]:8443\n");
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    targets_free(t);
}

static long resident_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, rss = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &rss), 2);
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_million_lines_constant_memory(void **state)
{
    (void)state;
    char *path = temp_file("");
    FILE *w = fopen(path, "w");
    assert_non_null(w);
    for (unsigned i = 0; i < 1000000; i++)
        fprintf(w, "%u.%u.%u.%u\n", 10 + (i >> 24), (i >> 16) & 255, (i >> 8) & 255, i & 255);
    fclose(w);
    long before = resident_kb();
    struct targets *t = from_file(path, NULL); /* the validation pass streams it once */
    uint64_t n;
    assert_true(targets_count(t, &n));
    assert_int_equal(n, 1000000);
    struct target_source *s;
    char err[TARGETS_ERR_MAX];
    assert_success(target_source_open(t, &s, err, sizeof err));
    struct target tg;
    bool got;
    uint64_t yielded = 0;
    for (;;) {
        assert_success(target_source_next(s, &tg, &got, err, sizeof err));
        if (!got)
            break;
        yielded++;
    }
    assert_string_equal(tg.spec, "10.15.66.63:443"); /* the last line was the last yielded */
    target_source_close(s);
    long grown = resident_kb() - before;
    print_message("1,000,000 lines: validated and streamed, RSS grew by %ld kB\n", grown);
    assert_int_equal(yielded, 1000000);
    assert_true(grown < 4096);
    targets_free(t);
    drop_file(path);
}

/* DTLS specifications keep their own entries: a network of them is not merged into the TCP
 * space, and the same address:port over both transports is two targets. */
static void test_dtls_targets(void **state)
{
    (void)state;
    struct targets *t = targets_new();
    char err[TARGETS_ERR_MAX];
    assert_success(targets_add(t, "10.0.0.1:443", err, sizeof err));
    assert_success(targets_add(t, "dtls://10.0.0.1:443", err, sizeof err));
    assert_success(targets_add(t, "dtls://10.0.0.4/31", err, sizeof err));
    assert_success(targets_add(t, "dtls://10.0.0.4/31", err, sizeof err)); /* once */
    assert_success(targets_exclude(t, "10.0.0.5", err, sizeof err));
    assert_success(targets_set_ports(t, "4433", err, sizeof err));
    assert_success(targets_finish(t, err, sizeof err));
    uint64_t n = 0;
    assert_true(targets_count(t, &n));
    assert_int_equal(n, 3);
    assert_string_equal(all_specs(t), "10.0.0.1:443 dtls://10.0.0.1:443 dtls://10.0.0.4:4433 ");
    targets_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zmap_output_comments_crlf),
        cmocka_unit_test(test_ports_apply_to_lines_without_their_own),
        cmocka_unit_test(test_bad_lines_name_file_and_line),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_list_after_space_deduplicated),
        cmocka_unit_test(test_exclusions_apply_to_streams),
        cmocka_unit_test(test_bad_exclude_file_line),
        cmocka_unit_test(test_shards_over_list_and_streams),
        cmocka_unit_test(test_stdin_streams_and_reports_late),
        cmocka_unit_test(test_dry_run),
        cmocka_unit_test(test_dtls_targets),
        cmocka_unit_test(test_million_lines_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
