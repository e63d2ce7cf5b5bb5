/* scan_run end to end: targets in, findings on stdout, exit status, and the --dump file.
 * Servers are scripted threads on 127.0.0.1 ports this test opens; the only other name is
 * "no-such-host.invalid", which never resolves (RFC 6761 section 6.4), looked up inside a
 * network namespace of its own so that no query leaves the machine. */
#include "unit.h"

#include "scan/scan.h"
#include "support/capture.h"
#include "support/scripted_server.h"
#include "tls/tls.h"

#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- running a scan ---- */

static struct scan_options default_options(char **targets, size_t count)
{
    struct scan_options o = {
        .targets = targets,
        .target_count = count,

        .engine = {.timeout_ms = 2000,
                   .followup_ms = 100,
                   .max_version = TLS_VERSION_TLS12,
                   .concurrency = 4,
                   .sni = true},
        .format = &report_json,
    };
    return o;
}

/* scan_run's adapter for capture_output. */
static int call_scan_run(const void *options) { return scan_run(options); }

/* scan_run with stdout and stderr sent to temporary files. */
static struct captured_output run_scan(const struct scan_options *o)
{
    return capture_output(call_scan_run, o);
}

static void target_for(char *buf, size_t cap, uint16_t port)
{
    snprintf(buf, cap, "127.0.0.1:%u", port);
}

/* The JSON line of a one-target scan, parsed. */
static json_t *only_line(const char *out)
{
    const char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
    json_t *o = json_loads(out, 0, NULL);
    assert_non_null(o);
    return o;
}

static const char *verdict_of(json_t *o)
{
    return json_string_value(json_object_get(o, "verdict"));
}

/* A one-target JSON scan of a scripted server. */
static struct captured_output scan_server(enum server_mode mode, uint32_t timeout_ms)
{
    struct scripted_server s;
    scripted_server_start(&s, mode, false);
    char t[32];
    target_for(t, sizeof t, s.port);
    char *targets[] = {t};
    struct scan_options o = default_options(targets, 1);
    o.engine.timeout_ms = timeout_ms;
    struct captured_output r = run_scan(&o);
    scripted_server_stop(&s);
    return r;
}

/* ---- the tests ---- */

static void test_vulnerable_exit_1(void **state)
{
    (void)state;
    struct captured_output r = scan_server(SRV_VULNERABLE, 2000);
    assert_int_equal(r.status, EXIT_VULNERABLE);
    json_t *o = only_line(r.out);
    assert_string_equal(verdict_of(o), "vulnerable");
    assert_string_equal(json_string_value(json_object_get(o, "tls_version")), "TLSv1.2");
    assert_int_equal(json_integer_value(json_object_get(o, "leaked_bytes")), 0);
    assert_string_equal(json_string_value(json_object_get(o, "ip")), "127.0.0.1");
    json_decref(o);
    assert_string_equal(r.err, ""); /* one JSON target: no summary */
    captured_output_free(&r);
}

static void test_patched_exit_0(void **state)
{
    (void)state;
    struct captured_output r = scan_server(SRV_PATCHED, 5000);
    assert_int_equal(r.status, EXIT_CLEAN);
    json_t *o = only_line(r.out);
    assert_string_equal(verdict_of(o), "patched");
    assert_true(json_integer_value(json_object_get(o, "elapsed_ms")) < 1000);
    json_decref(o);
    captured_output_free(&r);
}

static void test_silent_exit_3(void **state)
{
    (void)state;
    struct captured_output r = scan_server(SRV_SILENT, 300);
    assert_int_equal(r.status, EXIT_INCONCLUSIVE);
    json_t *o = only_line(r.out);
    assert_string_equal(verdict_of(o), "inconclusive");
    json_decref(o);
    captured_output_free(&r);
}

/* docs/json.md: unreachable is not inconclusive; nothing vulnerable -> 0. */
static void test_refused_exit_0(void **state)
{
    (void)state;
    char t[32];
    target_for(t, sizeof t, refused_port());
    char *targets[] = {t};
    struct scan_options o = default_options(targets, 1);
    struct captured_output r = run_scan(&o);
    assert_int_equal(r.status, EXIT_CLEAN);
    json_t *j = only_line(r.out);
    assert_string_equal(verdict_of(j), "unreachable");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "connection refused");
    json_decref(j);
    captured_output_free(&r);
}

/* Runs in a child inside a network namespace of its own: the name fails to resolve without
 * a query leaving the machine. Checks by hand (cmocka's asserts would unwind in the child). */
static int unresolvable_in_namespace(void)
{
    if (unshare(CLONE_NEWNET) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
        return 77;
    char *targets[] = {"no-such-host.invalid"};
    struct scan_options o = default_options(targets, 1);
    struct captured_output r = run_scan(&o);
    json_t *j = json_loads(r.out, 0, NULL);
    int bad = 0;
    bad |= (r.status != EXIT_ERROR) << 0;
    bad |= (!j || strcmp(verdict_of(j), "unreachable") != 0) << 1; /* still reported */
    bad |= (!j || !json_is_null(json_object_get(j, "ip"))) << 2;
    bad |= (!j || json_integer_value(json_object_get(j, "port")) != 443) << 3;
    bad |= (!strstr(r.err, "cannot resolve no-such-host.invalid")) << 4;
    json_decref(j);
    captured_output_free(&r);
    return bad;
}

static void test_unresolvable_exit_2(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(unresolvable_in_namespace());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        fail_msg("no network namespace (needs root or user namespaces): cannot test offline");
    assert_int_equal(WEXITSTATUS(status), 0); /* bit set per failed check */
}

/* Vulnerable beats everything else; text with several targets ends with the summary. */
static void test_mixed_text(void **state)
{
    (void)state;
    struct scripted_server vuln, silent;
    scripted_server_start(&vuln, SRV_VULNERABLE, false);
    scripted_server_start(&silent, SRV_SILENT, false);
    char t1[32], t2[32];
    target_for(t1, sizeof t1, vuln.port);
    target_for(t2, sizeof t2, silent.port);
    char *targets[] = {t1, t2};
    struct scan_options o = default_options(targets, 2);
    o.format = &report_text;
    o.engine.timeout_ms = 300;
    struct captured_output r = run_scan(&o);
    assert_int_equal(r.status, EXIT_VULNERABLE);
    assert_non_null(strstr(r.out, "VULNERABLE"));
    assert_non_null(strstr(r.out, "INCONCLUSIVE"));
    assert_non_null(strstr(r.out, "2 targets in "));
    assert_non_null(strstr(r.out, "1 vulnerable, 1 inconclusive\n"));
    assert_null(strchr(r.out, '\033'));
    captured_output_free(&r);

    o.quiet = true;
    r = run_scan(&o);
    assert_int_equal(r.status, EXIT_VULNERABLE);
    assert_null(strstr(r.out, "targets in"));
    captured_output_free(&r);
    scripted_server_stop(&vuln);
    scripted_server_stop(&silent);
}

/* One bad target: message, EXIT_ERROR, and nothing probed, not even the good one. */
static void test_bad_target_probes_nothing(void **state)
{
    (void)state;
    struct scripted_server s;
    scripted_server_start(&s, SRV_VULNERABLE, false);
    char t[32];
    target_for(t, sizeof t, s.port);
    char *targets[] = {t, "host:99999"};
    struct scan_options o = default_options(targets, 2);
    struct captured_output r = run_scan(&o);
    struct timespec settle = {.tv_nsec = 50 * 1000 * 1000};
    nanosleep(&settle, NULL);
    scripted_server_stop(&s);
    assert_int_equal(r.status, EXIT_ERROR);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "host:99999"));
    assert_int_equal(atomic_load(&s.connections), 0);
    captured_output_free(&r);
}

/* ---- --leak and --dump ---- */

enum { LEAK = 64 };

static void temp_path(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/heartcheck-test-scan-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* Reads and removes the dump file first, so that a failed check leaves nothing in /tmp. */
static char *take_dump(const char *path, mode_t *mode)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    *mode = st.st_mode & 0777;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unlink(path);
    return read_and_close(f);
}

/* "# heartcheck leak ... bytes=64\n", the 64 bytes the server over-read, "\n". */
static void check_dump(const char *path, const char *target)
{
    mode_t mode;
    char *dump = take_dump(path, &mode);
    assert_int_equal(mode, 0600);
    char head[128];
    snprintf(head, sizeof head, "# heartcheck leak target=%s ip=127.0.0.1 port=%s bytes=%d\n",
             target, strchr(target, ':') + 1, LEAK);
    char want[sizeof head + LEAK + 2];
    size_t n = strlen(head);
    memcpy(want, head, n);
    for (int i = 0; i < LEAK; i++)
        want[n++] = "SECRET-"[i % 7];
    want[n++] = '\n';
    want[n] = '\0';
    bool same = strcmp(dump, want) == 0;
    free(dump);
    assert_true(same);
}

static void dump_scan(bool trickle, const struct report_format *fmt)
{
    struct scripted_server s;
    scripted_server_start(&s, SRV_VULNERABLE, trickle);
    char t[32], path[64];
    target_for(t, sizeof t, s.port);
    temp_path(path, sizeof path);
    chmod(path, 0644); /* an existing file is made private too */
    char *targets[] = {t};
    struct scan_options o = default_options(targets, 1);
    o.engine.leak_bytes = LEAK;
    o.dump_path = path;
    o.format = fmt;
    o.report.verbose = true;
    struct captured_output r = run_scan(&o);
    scripted_server_stop(&s);
    /* Decided first and freed before any assert, so a failure leaks nothing under ASan. */
    bool clean = !strstr(r.out, "SECRET") && !strstr(r.err, "SECRET");
    long leaked = -1;
    if (fmt == &report_json) {
        json_t *j = json_loads(r.out, 0, NULL);
        leaked = j ? (long)json_integer_value(json_object_get(j, "leaked_bytes")) : -1;
        json_decref(j);
    } else if (strstr(r.out, "leaked      64 bytes")) {
        leaked = LEAK;
    }
    int status = r.status;
    captured_output_free(&r);
    check_dump(path, t);
    assert_int_equal(status, EXIT_VULNERABLE);
    assert_true(clean); /* the bytes go to the dump only */
    assert_int_equal(leaked, LEAK);
}

static void test_dump_json(void **state)
{
    (void)state;
    dump_scan(false, &report_json);
}

static void test_dump_text(void **state)
{
    (void)state;
    dump_scan(false, &report_text);
}

/* The answer in 1000-byte pieces: the first 16 KB record reaches the probe in many reads. */
static void test_dump_trickled(void **state)
{
    (void)state;
    dump_scan(true, &report_json);
}

/* A symlink planted at the dump path is not followed: error, nothing written through it. */
static void test_dump_symlink_refused(void **state)
{
    (void)state;
    char victim[64], link_path[64];
    temp_path(victim, sizeof victim);
    temp_path(link_path, sizeof link_path);
    unlink(link_path);
    assert_int_equal(symlink(victim, link_path), 0);
    struct scripted_server s;
    scripted_server_start(&s, SRV_VULNERABLE, false);
    char t[32];
    target_for(t, sizeof t, s.port);
    char *targets[] = {t};
    struct scan_options o = default_options(targets, 1);
    o.engine.leak_bytes = LEAK;
    o.dump_path = link_path;
    struct captured_output r = run_scan(&o);
    scripted_server_stop(&s);
    assert_int_equal(r.status, EXIT_ERROR);
    assert_non_null(strstr(r.err, "dump"));
    assert_int_equal(atomic_load(&s.connections), 0);
    struct stat st;
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 0);
    unlink(link_path);
    unlink(victim);
    captured_output_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vulnerable_exit_1),
        cmocka_unit_test(test_patched_exit_0),
        cmocka_unit_test(test_silent_exit_3),
        cmocka_unit_test(test_refused_exit_0),
        cmocka_unit_test(test_unresolvable_exit_2),
        cmocka_unit_test(test_mixed_text),
        cmocka_unit_test(test_bad_target_probes_nothing),
        cmocka_unit_test(test_dump_json),
        cmocka_unit_test(test_dump_text),
        cmocka_unit_test(test_dump_trickled),
        cmocka_unit_test(test_dump_symlink_refused),
    };
    return cmocka_run_group_tests(tests, scripted_server_make_cert, scripted_server_free_cert);
}
