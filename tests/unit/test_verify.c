/* verify_run end to end: a baseline made by scan_run against a scripted vulnerable server,
 * edited to point at a scripted server of another mode (or to record another certificate),
 * then verified: the verdict, the JSON keys, the text, the exit status and the errors. */
#include "unit.h"

#include "scan/scan.h"
#include "support/capture.h"
#include "support/scripted_server.h"
#include "verify/verify.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const verify_keys[] = {"target",   "host",   "ip",         "port",
                                          "starttls", "verify", "reason",     "revoked",
                                          "baseline", "now",    "elapsed_ms", "time"};

static struct engine_config engine(void)
{
    return (struct engine_config){.timeout_ms = 2000,
                                  .followup_ms = 100,
                                  .max_version = TLS_VERSION_TLS12,
                                  .concurrency = 4,
                                  .sni = true};
}

static int call_scan_run(const void *o) { return scan_run(o); }
static int call_verify_run(const void *o) { return verify_run(o); }

/* The scan --json line of a scripted vulnerable server: what an operator kept in 2014. */
static json_t *vulnerable_scan_line(void)
{
    struct scripted_server s;
    scripted_server_start(&s, SRV_VULNERABLE, false);
    char t[32];
    snprintf(t, sizeof t, "127.0.0.1:%u", s.port);
    char *targets[] = {t};
    struct scan_options o = {
        .targets = targets, .target_count = 1, .engine = engine(), .format = &report_json};
    struct captured_output r = capture_output(call_scan_run, &o);
    scripted_server_stop(&s);
    json_t *line = json_loads(r.out, 0, NULL);
    assert_non_null(line);
    assert_string_equal(json_string_value(json_object_get(line, "verdict")), "vulnerable");
    captured_output_free(&r);
    return line;
}

/* Points a baseline line at 127.0.0.1:port. */
static void retarget(json_t *line, uint16_t port)
{
    char t[32];
    snprintf(t, sizeof t, "127.0.0.1:%u", port);
    json_object_set_new(line, "target", json_string(t));
    json_object_set_new(line, "port", json_integer(port));
}

/* Replaces the first hex digit of cert.KEY: the baseline then recorded another value. */
static void change_hash(json_t *line, const char *key)
{
    json_t *cert = json_object_get(line, "cert");
    char hex[65];
    snprintf(hex, sizeof hex, "%s", json_string_value(json_object_get(cert, key)));
    hex[0] = hex[0] == '0' ? '1' : '0';
    json_object_set_new(cert, key, json_string(hex));
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/hc-verify-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static char *write_line(json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT);
    size_t n = strlen(text);
    char *with_nl = malloc(n + 2);
    memcpy(with_nl, text, n);
    memcpy(with_nl + n, "\n", 2);
    char *path = write_temp(with_nl);
    free(with_nl);
    free(text);
    return path;
}

/* verify with JSON output of the baseline in path. */
static struct captured_output verify_json(const char *path)
{
    struct verify_options o = {.baseline_path = path, .engine = engine(), .json = true};
    return capture_output(call_verify_run, &o);
}

static const char *verdict_of(json_t *o) { return json_string_value(json_object_get(o, "verify")); }

/* The baseline line, changed by edit, verified against a scripted server in mode. */
static json_t *verify_against(enum server_mode mode, void (*edit)(json_t *), int want_status)
{
    json_t *line = vulnerable_scan_line();
    struct scripted_server s;
    scripted_server_start(&s, mode, false);
    retarget(line, s.port);
    if (edit)
        edit(line);
    char *path = write_line(line);
    struct captured_output r = verify_json(path);
    scripted_server_stop(&s);
    assert_int_equal(r.status, want_status);
    json_t *o = json_loads(r.out, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_object_size(o), HC_ARRAY_LEN(verify_keys));
    for (size_t i = 0; i < HC_ARRAY_LEN(verify_keys); i++)
        assert_non_null(json_object_get(o, verify_keys[i]));
    captured_output_free(&r);
    unlink(path);
    free(path);
    json_decref(line);
    return o;
}

static void test_still_vulnerable(void **state)
{
    (void)state;
    json_t *o = verify_against(SRV_VULNERABLE, NULL, 1);
    assert_string_equal(verdict_of(o), "still_vulnerable");
    json_decref(o);
}

static void test_not_rotated(void **state)
{
    (void)state;
    json_t *o = verify_against(SRV_PATCHED, NULL, 1);
    assert_string_equal(verdict_of(o), "not_rotated");
    json_t *base = json_object_get(o, "baseline"), *now = json_object_get(o, "now");
    assert_string_equal(json_string_value(json_object_get(base, "verdict")), "vulnerable");
    assert_int_equal(json_integer_value(json_object_get(base, "line")), 1);
    assert_string_equal(json_string_value(json_object_get(now, "verdict")), "patched");
    assert_string_equal(json_string_value(json_object_get(json_object_get(base, "cert"), "sha256")),
                        json_string_value(json_object_get(json_object_get(now, "cert"), "sha256")));
    assert_true(json_is_null(json_object_get(o, "revoked"))); /* no --crl */
    json_decref(o);
}

static void other_cert(json_t *line) { change_hash(line, "sha256"); }

static void other_cert_and_key(json_t *line)
{
    change_hash(line, "sha256");
    change_hash(line, "spki_sha256");
}

static void test_same_key(void **state)
{
    (void)state;
    json_t *o = verify_against(SRV_NO_HEARTBEAT, other_cert, 1);
    assert_string_equal(verdict_of(o), "same_key");
    json_decref(o);
}

static void test_rotated_exit_0(void **state)
{
    (void)state;
    json_t *o = verify_against(SRV_PATCHED, other_cert_and_key, 0);
    assert_string_equal(verdict_of(o), "rotated");
    json_decref(o);
}

static void never_vulnerable(json_t *line)
{
    json_object_set_new(line, "verdict", json_string("not_vulnerable"));
}

static void test_never_vulnerable_exit_0(void **state)
{
    (void)state;
    json_t *o = verify_against(SRV_PATCHED, never_vulnerable, 0);
    assert_string_equal(verdict_of(o), "never_vulnerable");
    json_decref(o);
}

static void test_unreachable_exit_3(void **state)
{
    (void)state;
    json_t *line = vulnerable_scan_line();
    retarget(line, refused_port());
    char *path = write_line(line);
    struct captured_output r = verify_json(path);
    assert_int_equal(r.status, 3);
    json_t *o = json_loads(r.out, 0, NULL);
    assert_string_equal(verdict_of(o), "unreachable");
    json_decref(o);
    captured_output_free(&r);
    unlink(path);
    free(path);
    json_decref(line);
}

/* Two targets, only one named: only it is probed; text output; the summary line. */
static void test_named_target_and_text(void **state)
{
    (void)state;
    json_t *line = vulnerable_scan_line();
    struct scripted_server s;
    scripted_server_start(&s, SRV_PATCHED, false);
    retarget(line, s.port);
    char *first = json_dumps(line, JSON_COMPACT);
    retarget(line, refused_port());
    char *second = json_dumps(line, JSON_COMPACT);
    char text[8192];
    snprintf(text, sizeof text, "%s\n%s\n", first, second);
    char *path = write_temp(text);
    char named[32];
    snprintf(named, sizeof named, "127.0.0.1:%u", s.port);
    char *only[] = {named};
    struct verify_options o = {
        .baseline_path = path, .only = only, .only_count = 1, .engine = engine(), .verbose = true};
    struct captured_output r = capture_output(call_verify_run, &o);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, named));
    assert_non_null(strstr(r.out, "NOT_ROTATED"));
    assert_non_null(strstr(r.out, "baseline    vulnerable (line 1"));
    assert_null(strstr(r.out, "UNREACHABLE"));
    captured_output_free(&r);
    o.only_count = 0; /* both: a summary follows */
    r = capture_output(call_verify_run, &o);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "2 targets: 1 not_rotated, 1 unreachable"));
    captured_output_free(&r);
    scripted_server_stop(&s);
    unlink(path);
    free(path);
    free(first);
    free(second);
    json_decref(line);
}

static void test_errors_exit_2(void **state)
{
    (void)state;
    char *bad = write_temp("{\"target\":\"a:1\",\"port\":1,\"verdict\":\"vulnerable\"}\nnope\n");
    struct captured_output r = verify_json(bad);
    assert_int_equal(r.status, 2);
    char want[256];
    snprintf(want, sizeof want, "%s:2: not JSON", bad);
    assert_non_null(strstr(r.err, want));
    assert_string_equal(r.out, "");
    captured_output_free(&r);

    char *good = write_temp("{\"target\":\"127.0.0.1:1\",\"port\":1,\"verdict\":\"patched\"}\n");
    char *only[] = {"127.0.0.1:2"};
    struct verify_options o = {
        .baseline_path = good, .only = only, .only_count = 1, .engine = engine(), .json = true};
    r = capture_output(call_verify_run, &o);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "127.0.0.1:2 is not in the baseline"));
    captured_output_free(&r);

    char *crls[] = {"/nonexistent.crl"};
    o = (struct verify_options){
        .baseline_path = good, .crl_paths = crls, .crl_count = 1, .engine = engine()};
    r = capture_output(call_verify_run, &o);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--crl /nonexistent.crl"));
    captured_output_free(&r);

    o = (struct verify_options){.baseline_path = "/nonexistent.jsonl", .engine = engine()};
    r = capture_output(call_verify_run, &o);
    assert_int_equal(r.status, 2);
    captured_output_free(&r);
    unlink(bad);
    unlink(good);
    free(bad);
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_still_vulnerable),
        cmocka_unit_test(test_not_rotated),
        cmocka_unit_test(test_same_key),
        cmocka_unit_test(test_rotated_exit_0),
        cmocka_unit_test(test_never_vulnerable_exit_0),
        cmocka_unit_test(test_unreachable_exit_3),
        cmocka_unit_test(test_named_target_and_text),
        cmocka_unit_test(test_errors_exit_2),
    };
    return cmocka_run_group_tests(tests, scripted_server_make_cert, scripted_server_free_cert);
}
