/* behave: real OpenSSL 3, copies of it, libraries that are not OpenSSL, and libraries built
 * here at run time from tests/host/ (a 1.0.x ABI shim, a 1.0.1f emulation, and libraries that
 * crash, hang or scribble on the result pipe). */
#include "host/behave.h"
#include "unit.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SYSTEM_LIBS    "/usr/lib/x86_64-linux-gnu/"
#define SYSTEM_SSL     SYSTEM_LIBS "libssl.so.3"
#define SYSTEM_CRYPTO  SYSTEM_LIBS "libcrypto.so.3"
#define FIXTURE_CFLAGS "-std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -shared -fPIC"

enum { SHORT_TIMEOUT_MS = 1000 };

struct env {
    struct behave_keys *keys;
    char tmp[64];            /* scratch directory, removed at the end */
    char src[PATH_MAX + 16]; /* tests/host */
};

static struct env env;

/* tests/host, from the working directory or above the test binary (build/.../tests/). */
static bool find_sources(void)
{
    char dir[PATH_MAX];
    if (!getcwd(dir, sizeof dir))
        return false;
    for (int pass = 0; pass < 2; pass++) {
        for (;;) {
            snprintf(env.src, sizeof env.src, "%s/tests/host", dir);
            char probe[PATH_MAX + 32];
            snprintf(probe, sizeof probe, "%s/fake_ssl.c", env.src);
            if (access(probe, R_OK) == 0)
                return true;
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                break;
            *slash = '\0';
        }
        if (!realpath("/proc/self/exe", dir))
            return false;
    }
    return false;
}

static int setup(void **state)
{
    (void)state;
    snprintf(env.tmp, sizeof env.tmp, "/tmp/hc-behave-XXXXXX");
    if (!find_sources() || !mkdtemp(env.tmp) || !hc_ok(behave_keys_new(&env.keys)))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    behave_keys_free(env.keys);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", env.tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in_tmp(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", env.tmp, name);
}

/* cc -shared SRC with EXTRA flags into tmp/OUT. */
static void build(const char *src, const char *out, const char *extra)
{
    char cmd[3 * PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "cc " FIXTURE_CFLAGS " -o '%s/%s' '%s/%s' %s", env.tmp, out, env.src,
             src, extra);
    assert_int_equal(system(cmd), 0);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[3 * PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

static struct behave_result run(const char *ssl, const char *crypto, uint32_t timeout_ms)
{
    struct behave_request req = {
        .libssl = ssl, .libcrypto = crypto, .keys = env.keys, .timeout_ms = timeout_ms};
    struct behave_result r;
    assert_success(behave_run(&req, &r));
    return r;
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("\"%s\" not in \"%s\"", part, text);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- real OpenSSL 3 ---- */

static void assert_openssl3(const struct behave_result *r)
{
    assert_int_equal(r->verdict, BEHAVE_NOT_VULNERABLE);
    assert_contains(r->reason, "unexpected_message");
    assert_string_equal(r->api, "1.1+");
    assert_contains(r->version_text, "OpenSSL 3.");
    assert_int_equal(r->tls_version, 0x0303);
    assert_int_not_equal(r->cipher, 0);
    assert_false(r->heartbeat_extension);
}

static void test_system_openssl3(void **state)
{
    (void)state;
    struct behave_result r = run(SYSTEM_SSL, SYSTEM_CRYPTO, 0);
    assert_openssl3(&r);
}

static void test_libcrypto_found_by_the_linker(void **state)
{
    (void)state;
    struct behave_result r = run(SYSTEM_SSL, NULL, 0);
    assert_openssl3(&r);
}

/* What a deleted library looks like when read through /proc/PID/map_files: the same bytes
 * under a name the linker has never seen. */
static void test_copy_under_another_name(void **state)
{
    (void)state;
    char ssl[PATH_MAX], crypto[PATH_MAX];
    path_in_tmp(ssl, sizeof ssl, "7f00-7f80 (deleted ssl)");
    path_in_tmp(crypto, sizeof crypto, "7e00-7e80 (deleted crypto)");
    copy_file(SYSTEM_SSL, ssl);
    copy_file(SYSTEM_CRYPTO, crypto);
    struct behave_result r = run(ssl, crypto, 0);
    assert_openssl3(&r);
}

/* The first mapping of NAME in our own /proc/self/maps, as /proc/PID/map_files/START-END. */
static bool map_files_path(const char *name, char *out, size_t cap)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 128];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        char range[64];
        found = strstr(line, name) && sscanf(line, "%63s", range) == 1 &&
                snprintf(out, cap, "/proc/%d/map_files/%s", (int)getpid(), range) > 0;
    }
    if (f)
        fclose(f);
    return found && access(out, R_OK) == 0; /* map_files needs CAP_SYS_ADMIN */
}

static void test_map_files_of_a_process(void **state)
{
    (void)state;
    /* This test program may not need libssl itself: map it, as a server process would. */
    void *mapped = dlopen(SYSTEM_SSL, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(mapped);
    char ssl[PATH_MAX], crypto[PATH_MAX];
    if (!map_files_path("/libssl.so.3", ssl, sizeof ssl) ||
        !map_files_path("/libcrypto.so.3", crypto, sizeof crypto)) {
        dlclose(mapped);
        skip();
    }
    struct behave_result r = run(ssl, crypto, 0);
    assert_openssl3(&r);
    dlclose(mapped);
}

/* ---- not OpenSSL ---- */

static void test_missing_file(void **state)
{
    (void)state;
    struct behave_result r = run("/nonexistent/libssl.so.1.0.0", NULL, 0);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    assert_contains(r.reason, "cannot load libssl");
    assert_contains(r.reason, "No such file");
    assert_string_equal(r.api, "");
}

static void test_missing_libcrypto(void **state)
{
    (void)state;
    struct behave_result r = run(SYSTEM_SSL, "/nonexistent/libcrypto.so.3", 0);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    assert_contains(r.reason, "cannot load libcrypto");
}

static void test_not_a_library(void **state)
{
    (void)state;
    char path[PATH_MAX];
    path_in_tmp(path, sizeof path, "notes.txt");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("OpenSSL 1.0.1f 6 Jan 2014, but only as text\n", f);
    fclose(f);
    struct behave_result r = run(path, NULL, 0);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    assert_contains(r.reason, "cannot load libssl");
}

static void test_not_openssl(void **state)
{
    (void)state;
    struct behave_result r = run(SYSTEM_LIBS "libz.so.1", NULL, 0);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    assert_contains(r.reason, "not OpenSSL's libssl");
}

/* ---- misbehaving libraries ---- */

static void test_crash_in_handshake(void **state)
{
    (void)state;
    build("fake_ssl.c", "libssl-crash.so", "-DFAKE_CRASH -lcrypto");
    char ssl[PATH_MAX];
    path_in_tmp(ssl, sizeof ssl, "libssl-crash.so");
    struct behave_result r = run(ssl, SYSTEM_CRYPTO, SHORT_TIMEOUT_MS);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    /* A signal, or under ASan its SEGV report and exit status 1. */
    if (!strstr(r.reason, "crashed: signal 11"))
        assert_contains(r.reason, "exited with status");
    assert_contains(r.reason, "SSL_do_handshake");
}

static void test_hang_in_handshake(void **state)
{
    (void)state;
    build("fake_ssl.c", "libssl-hang.so", "-DFAKE_HANG -lcrypto");
    char ssl[PATH_MAX];
    path_in_tmp(ssl, sizeof ssl, "libssl-hang.so");
    uint64_t start = wall_ms();
    struct behave_result r = run(ssl, SYSTEM_CRYPTO, SHORT_TIMEOUT_MS);
    uint64_t took = wall_ms() - start;
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    assert_contains(r.reason, "hung: no result within 1000 ms");
    assert_contains(r.reason, "SSL_do_handshake");
    assert_true(took >= SHORT_TIMEOUT_MS && took < SHORT_TIMEOUT_MS + 750);
}

static void test_garbage_on_the_pipe(void **state)
{
    (void)state;
    build("fake_ssl.c", "libssl-garbage.so", "-DFAKE_GARBAGE -lcrypto");
    char ssl[PATH_MAX];
    path_in_tmp(ssl, sizeof ssl, "libssl-garbage.so");
    struct behave_result r = run(ssl, SYSTEM_CRYPTO, SHORT_TIMEOUT_MS);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    assert_contains(r.reason, "garbled result");
}

/* ---- the 1.0.x ABI ---- */

static void build_shim(void)
{
    char extra[PATH_MAX + 128];
    assert_int_equal(mkdir(env.tmp, 0700) == 0 || access(env.tmp, W_OK) == 0, 1);
    build("shim10.c", "libcrypto.so.1.0.0", "-DSHIM_CRYPTO -Wl,-soname,libcrypto.so.1.0.0 -ldl");
    snprintf(extra, sizeof extra,
             "-DSHIM_SSL -Wl,-soname,libssl.so.1.0.0 -L'%s' -Wl,--no-as-needed "
             "-l:libcrypto.so.1.0.0 -ldl",
             env.tmp);
    build("shim10.c", "libssl.so.1.0.0", extra);
}

static void test_api_10(void **state)
{
    (void)state;
    build_shim();
    char ssl[PATH_MAX], crypto[PATH_MAX];
    path_in_tmp(ssl, sizeof ssl, "libssl.so.1.0.0");
    path_in_tmp(crypto, sizeof crypto, "libcrypto.so.1.0.0");
    struct behave_result r = run(ssl, crypto, 0);
    assert_int_equal(r.verdict, BEHAVE_NOT_VULNERABLE);
    assert_string_equal(r.api, "1.0");
    assert_contains(r.version_text, "OpenSSL 3."); /* SSLeay_version, forwarded */
    assert_contains(r.reason, "unexpected_message");
    assert_int_equal(r.tls_version, 0x0303);

    /* Its libcrypto is not in any search path: libssl alone cannot load. */
    r = run(ssl, NULL, 0);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    assert_contains(r.reason, "libcrypto.so.1.0.0");
}

/* ---- OpenSSL 1.0.1f, emulated ---- */

static struct behave_result run_emulation(const char *mode, const char *extra)
{
    char name[64], flags[128], ssl[PATH_MAX];
    snprintf(name, sizeof name, "libssl-%s%s.so.1.0.0", mode, extra[0] ? "-refusing" : "");
    snprintf(flags, sizeof flags, "-DFAKE_%s %s -lcrypto", mode, extra);
    build("fake_ssl.c", name, flags);
    path_in_tmp(ssl, sizeof ssl, name);
    return run(ssl, SYSTEM_CRYPTO, 0);
}

static void test_vulnerable_emulation(void **state)
{
    (void)state;
    struct behave_result r = run_emulation("VULNERABLE", "");
    assert_int_equal(r.verdict, BEHAVE_VULNERABLE);
    assert_contains(r.reason, "echoing our 16381 bytes");
    assert_string_equal(r.api, "1.0");
    assert_contains(r.version_text, "OpenSSL 1.0.1f 6 Jan 2014");
    assert_int_equal(r.tls_version, 0x0303);
    assert_int_not_equal(r.cipher, 0);
    assert_true(r.heartbeat_extension);
    /* Its code ran as nobody: a library from an untrusted image gets no root rights. */
    if (geteuid() == 0)
        assert_contains(r.version_text, "euid=65534");
}

static void test_patched_emulation(void **state)
{
    (void)state;
    struct behave_result r = run_emulation("PATCHED", "");
    assert_int_equal(r.verdict, BEHAVE_PATCHED);
    assert_contains(r.reason, "answered the well-formed one");
    assert_string_equal(r.api, "1.0");
    assert_contains(r.version_text, "OpenSSL 1.0.1f");
}

/* A server refusing TLS 1.2 and 1.1 with an alert: each fallback gets a fresh SSL object. */
static void test_version_fallback(void **state)
{
    (void)state;
    struct behave_result r = run_emulation("VULNERABLE", "-DFAKE_REFUSE_ABOVE=0x0301");
    assert_int_equal(r.verdict, BEHAVE_VULNERABLE);
    assert_int_equal(r.tls_version, 0x0301);
}

/* ---- the API's edges ---- */

static void test_usage(void **state)
{
    (void)state;
    struct behave_result r;
    struct behave_request no_ssl = {.keys = env.keys};
    assert_error(behave_run(&no_ssl, &r), HC_ERR_USAGE);
    assert_int_equal(r.verdict, BEHAVE_ERROR);
    struct behave_request no_keys = {.libssl = SYSTEM_SSL};
    assert_error(behave_run(&no_keys, &r), HC_ERR_USAGE);
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(behave_verdict_name(BEHAVE_VULNERABLE), "vulnerable");
    assert_string_equal(behave_verdict_name(BEHAVE_PATCHED), "patched");
    assert_string_equal(behave_verdict_name(BEHAVE_NOT_VULNERABLE), "not_vulnerable");
    assert_string_equal(behave_verdict_name(BEHAVE_ERROR), "error");
    assert_string_equal(behave_verdict_name((enum behave_verdict)42), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_openssl3),
        cmocka_unit_test(test_libcrypto_found_by_the_linker),
        cmocka_unit_test(test_copy_under_another_name),
        cmocka_unit_test(test_map_files_of_a_process),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_missing_libcrypto),
        cmocka_unit_test(test_not_a_library),
        cmocka_unit_test(test_not_openssl),
        cmocka_unit_test(test_crash_in_handshake),
        cmocka_unit_test(test_hang_in_handshake),
        cmocka_unit_test(test_garbage_on_the_pipe),
        cmocka_unit_test(test_api_10),
        cmocka_unit_test(test_vulnerable_emulation),
        cmocka_unit_test(test_patched_emulation),
        cmocka_unit_test(test_version_fallback),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_verdict_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
