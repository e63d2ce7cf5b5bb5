/* cli_main: every usage error exits 2 with a message on stderr and probes nothing; help and
 * version go to stdout. The only target ever given is a port this test listens on. */
#include "unit.h"

#include "cli/cli.h"
#include "support/capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listener = -1;
static char own_target[32]; /* "127.0.0.1:PORT", listening but never accepting */

static int open_listener(void **state)
{
    (void)state;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listener, 8) != 0 || getsockname(listener, (struct sockaddr *)&a, &len) != 0)
        return -1;
    snprintf(own_target, sizeof own_target, "127.0.0.1:%u", ntohs(a.sin_port));
    return 0;
}

static int close_listener(void **state)
{
    (void)state;
    close(listener);
    return 0;
}

struct cli_args {
    int argc;
    char **argv;
};

/* cli_main's adapter for capture_output. */
static int call_cli_main(const void *ctx)
{
    const struct cli_args *a = ctx;
    return cli_main(a->argc, a->argv);
}

/* Runs cli_main with stdout and stderr sent to temporary files. */
static struct captured_output run_cli(int argc, char **argv)
{
    struct cli_args a = {argc, argv};
    return capture_output(call_cli_main, &a);
}

/* argv from a NULL-terminated list; "@" stands for the test's own listening target. */
static void expect_usage_error(const char *const *args)
{
    char *argv[16];
    int argc = 0;
    for (; args[argc]; argc++) {
        assert_true(argc < 15);
        argv[argc] = strcmp(args[argc], "@") == 0 ? own_target : (char *)args[argc];
    }
    argv[argc] = NULL;
    struct captured_output r = run_cli(argc, argv);
    if (r.status != 2 || r.err[0] == '\0' || r.out[0] != '\0')
        fail_msg("'%s %s %s': status %d, stderr '%s', stdout '%s'", args[1] ? args[1] : "",
                 argc > 2 ? args[2] : "", argc > 3 ? args[3] : "", r.status, r.err, r.out);
    captured_output_free(&r);
}

#define USAGE_ERROR(...) expect_usage_error((const char *const[]){"heartcheck", __VA_ARGS__, NULL})

/* No command is the host audit. Run with options only, so that nothing is probed and only
 * this test's own process is looked at: other listeners on the machine are not ours. */
static void test_no_command_is_host_audit(void **state)
{
    (void)state;
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    char *argv[] = {"heartcheck", "--no-probe", "--pid", pid, "--json", "-q", NULL};
    struct captured_output r = run_cli(6, argv);
    assert_true(r.status == 0 || r.status == 1);
    assert_non_null(strstr(r.out, "\"type\":\"summary\""));
    assert_non_null(strstr(r.out, "\"type\":\"copy\""));
    captured_output_free(&r);
    USAGE_ERROR("--no-probe", "--bogus");
    USAGE_ERROR("--pid", "0");
    USAGE_ERROR("host", "--pid", "x");
    USAGE_ERROR("host", "extra-argument");
}

static void test_unknown_command(void **state)
{
    (void)state;
    USAGE_ERROR("frobnicate");
    USAGE_ERROR("--bogus");
    USAGE_ERROR("Scan", "@");
}

static void test_scan_without_targets(void **state)
{
    (void)state;
    USAGE_ERROR("scan");
    USAGE_ERROR("scan", "-t", "0.3");
    USAGE_ERROR("scan", "--json", "--verbose");
}

static void test_bad_options(void **state)
{
    (void)state;
    /* -t 0.3 first: should an error slip through, the probe of our own port ends fast. */
    USAGE_ERROR("scan", "-t", "0.3", "--bogus", "x", "@");
    USAGE_ERROR("scan", "-t", "0.3", "-Z", "@");
    USAGE_ERROR("scan", "--timeout", "abc", "@");
    USAGE_ERROR("scan", "--timeout", "0", "@");
    USAGE_ERROR("scan", "--timeout", "-1", "@");
    USAGE_ERROR("scan", "--timeout", "nan", "@");
    USAGE_ERROR("scan", "--timeout", "inf", "@");
    USAGE_ERROR("scan", "--timeout", "3601", "@");
    USAGE_ERROR("scan", "--timeout", "1s", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--port", "0", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--port", "65536", "@");
    USAGE_ERROR("scan", "-t", "0.3", "-p", "-443", "@");
    USAGE_ERROR("scan", "-t", "0.3", "-p", "+443", "@");
    USAGE_ERROR("scan", "-t", "0.3", "-p", "", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--concurrency", "0", "@");
    USAGE_ERROR("scan", "-t", "0.3", "-c", "100001", "@");
    USAGE_ERROR("scan", "-t", "0.3", "-c", "99999999999999999999999", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--leak", "0", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--leak", "65520", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--leak", "1k", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--max-version", "tls1.3", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--max-version", "TLS1.2", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--color", "sometimes", "@");
    USAGE_ERROR("scan", "-t", "0.3", "--sni", "", "@");
    USAGE_ERROR("scan", "-t", "0.3", "@", "--timeout"); /* missing argument */
}

/* The default probe leaks nothing, so a dump file could only ever be empty. */
static void test_dump_needs_leak(void **state)
{
    (void)state;
    char path[] = "/tmp/heartcheck-test-cli-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    USAGE_ERROR("scan", "-t", "0.3", "--dump", path, "@");
    assert_int_not_equal(access(path, F_OK), 0); /* not even created */
}

static void test_bad_targets(void **state)
{
    (void)state;
    USAGE_ERROR("scan", "-t", "0.3", "host:99999");
    USAGE_ERROR("scan", "-t", "0.3", "[::1");
    USAGE_ERROR("scan", "-t", "0.3", "a b");
    USAGE_ERROR("scan", "-t", "0.3", "");
    /* One bad target stops the whole scan before anything is probed, even a good one. */
    USAGE_ERROR("scan", "-t", "0.3", "@", "host:0");
}

static void expect_stdout(int argc, char **argv, const char *want)
{
    struct captured_output r = run_cli(argc, argv);
    assert_int_equal(r.status, 0);
    if (!strstr(r.out, want))
        fail_msg("'%s' not in stdout '%s'", want, r.out);
    assert_string_equal(r.err, "");
    captured_output_free(&r);
}

static void test_help_and_version(void **state)
{
    (void)state;
    char *help[] = {"heartcheck", "--help", NULL};
    expect_stdout(2, help, "Usage: heartcheck COMMAND");
    char *h[] = {"heartcheck", "-h", NULL};
    expect_stdout(2, h, "Usage: heartcheck COMMAND");
    char *word[] = {"heartcheck", "help", NULL};
    expect_stdout(2, word, "scan TARGET");
    char *scan_help[] = {"heartcheck", "scan", "--help", NULL};
    expect_stdout(3, scan_help, "Usage: heartcheck scan");
    char *scan_h[] = {"heartcheck", "scan", "-h", own_target, NULL};
    expect_stdout(4, scan_h, "--leak N"); /* help wins over probing */
    char *version[] = {"heartcheck", "--version", NULL};
    expect_stdout(2, version, "heartcheck ");
    char *v[] = {"heartcheck", "-V", NULL};
    expect_stdout(2, v, "heartcheck ");
}

/* verify: --baseline is required, its options are checked before anything is read or probed,
 * and --help wins. */
static void test_verify_options(void **state)
{
    (void)state;
    USAGE_ERROR("verify", "@");
    USAGE_ERROR("verify", "--baseline");
    USAGE_ERROR("verify", "--baseline", "/nonexistent.jsonl", "--timeout", "0");
    USAGE_ERROR("verify", "--baseline", "/nonexistent.jsonl", "--concurrency", "0");
    USAGE_ERROR("verify", "--baseline", "/nonexistent.jsonl", "--max-version", "tls1.3");
    USAGE_ERROR("verify", "--baseline", "/nonexistent.jsonl", "--color", "sometimes");
    USAGE_ERROR("verify", "--baseline", "/nonexistent.jsonl", "--xmpp-domain", "");
    USAGE_ERROR("verify", "--baseline", "/nonexistent.jsonl", "--leak", "1");
    USAGE_ERROR("verify", "--baseline", "/nonexistent.jsonl"); /* cannot be read: exit 2 */
    char *help[] = {"heartcheck", "verify", "--help", NULL};
    expect_stdout(3, help, "Usage: heartcheck verify --baseline FILE");
    char *main_help[] = {"heartcheck", "--help", NULL};
    expect_stdout(2, main_help, "verify --baseline FILE");
}

/* The whole path once: our listener accepts in the kernel and never answers -> inconclusive,
 * exit 3, one JSON line on stdout and nothing else there. */
static void test_scan_own_silent_port(void **state)
{
    (void)state;
    char *argv[] = {"heartcheck", "scan", "--json", "-t", "0.3", own_target, NULL};
    struct captured_output r = run_cli(6, argv);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.out, "\"verdict\":\"inconclusive\""));
    assert_int_equal(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out));
    captured_output_free(&r);

    char other[64]; /* the same port on another loopback address: nobody listens there */
    snprintf(other, sizeof other, "127.0.0.2%s", strchr(own_target, ':'));
    char *text[] = {"heartcheck", "scan", "--color", "never", "-t", "0.2", own_target, other, NULL};
    r = run_cli(8, text);
    assert_int_equal(r.status, 3);
    assert_null(strchr(r.out, '\033'));
    assert_non_null(strstr(r.out, "2 targets in")); /* several targets: summary on stdout */
    captured_output_free(&r);
}

/* --udp: every target over DTLS. Our TCP port has no UDP socket: the kernel's ICMP port
 * unreachable makes it unreachable at once. */
static void test_scan_udp(void **state)
{
    (void)state;
    char *argv[] = {"heartcheck", "scan", "--json", "--udp", "-t", "2", own_target, NULL};
    struct captured_output r = run_cli(7, argv);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"transport\":\"dtls\""));
    assert_non_null(strstr(r.out, "\"verdict\":\"unreachable\""));
    assert_non_null(strstr(r.out, "refused"));
    captured_output_free(&r);
    USAGE_ERROR("scan", "-t", "0.3", "dtls://");
    char *help[] = {"heartcheck", "scan", "--help", NULL};
    r = run_cli(3, help);
    assert_non_null(strstr(r.out, "--udp"));
    assert_non_null(strstr(r.out, "dtls://"));
    captured_output_free(&r);
}

/* --openvpn: OpenVPN's port for addresses without one, and the transport reaches the probe
 * through the engine: our silent listener never answers the hard reset. */
static void test_openvpn(void **state)
{
    (void)state;
    char *dry[] = {"heartcheck", "scan",          "--openvpn", "--dry-run",
                   "127.0.0.1",  "127.0.0.2:555", NULL};
    expect_stdout(6, dry, "127.0.0.1:1194\n127.0.0.2:555\n");
    char *argv[] = {"heartcheck", "scan", "--openvpn", "--json", "-t", "0.3", own_target, NULL};
    struct captured_output r = run_cli(7, argv);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.out, "\"transport\":\"openvpn-tcp\""));
    assert_non_null(strstr(r.out, "no answer to an OpenVPN hard reset"));
    captured_output_free(&r);
    char *help[] = {"heartcheck", "scan", "--help", NULL};
    expect_stdout(3, help, "--openvpn-udp");
}

/* heartcheck clients: help, and every bad option exits 2 before anything listens. */
static void test_clients_options(void **state)
{
    (void)state;
    char *help[] = {"heartcheck", "clients", "--help", NULL};
    expect_stdout(3, help, "Usage: heartcheck clients");
    char *main_help[] = {"heartcheck", "--help", NULL};
    expect_stdout(2, main_help, "clients ");
    USAGE_ERROR("clients", "--proto", "gopher");
    USAGE_ERROR("clients", "--timeout", "0");
    USAGE_ERROR("clients", "--max-connections", "0");
    USAGE_ERROR("clients", "--max-clients", "x");
    USAGE_ERROR("clients", "--duration", "-1");
    USAGE_ERROR("clients", "--leak", "70000");
    USAGE_ERROR("clients", "--dump", "/tmp/x");
    USAGE_ERROR("clients", "--key", "/tmp/key.pem");
    USAGE_ERROR("clients", "--name", "");
    USAGE_ERROR("clients", "--exec", "");
    USAGE_ERROR("clients", "--color", "sometimes");
    USAGE_ERROR("clients", "extra");
    USAGE_ERROR("clients", "--bogus");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_command_is_host_audit),
        cmocka_unit_test(test_unknown_command),
        cmocka_unit_test(test_scan_without_targets),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_dump_needs_leak),
        cmocka_unit_test(test_bad_targets),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_verify_options),
        cmocka_unit_test(test_clients_options),
        cmocka_unit_test(test_scan_own_silent_port),
        cmocka_unit_test(test_scan_udp),
        cmocka_unit_test(test_openvpn),
    };
    return cmocka_run_group_tests(tests, open_listener, close_listener);
}
