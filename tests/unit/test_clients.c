/* The `heartcheck clients` driver end to end on loopback, with bash clients from --exec:
 * non-TLS bytes, no connection, the connection cap, stop conditions, usage errors. The TLS
 * verdicts themselves are the lure's (test_lure.c) and the integration suite's (real clients,
 * tests/targets/vulnclient). */
#include "unit.h"

#include "clients/clients.h"
#include "support/capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char listen_spec[32];

/* A port nothing listens on right now, on 127.0.0.1. */
static const char *free_listen(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    snprintf(listen_spec, sizeof listen_spec, "127.0.0.1:%u", ntohs(a.sin_port));
    return listen_spec;
}

static int call_clients_run(const void *o) { return clients_run(o); }

static struct clients_options options(const char *exec)
{
    return (struct clients_options){.listen = free_listen(),
                                    .name = "localhost",
                                    .exec = exec,
                                    .timeout_ms = 2000,
                                    .followup_ms = 100,
                                    .max_connections = 8,
                                    .format = &report_clients_json};
}

static void not_tls_client(void **state)
{
    (void)state;
    struct clients_options o =
        options("bash -c 'exec 3<>/dev/tcp/$0/$1; printf \"HELO x\\r\\n\" >&3; "
                "sleep 0.3; exit 4' {host} {port}");
    struct captured_output r = capture_output(call_clients_run, &o);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"verdict\":\"not_tls\""));
    assert_non_null(strstr(r.out, "HELO x\\\\x0d\\\\x0a"));
    assert_non_null(strstr(r.out, "\"exit_status\":4"));
    assert_non_null(strstr(r.out, "\"ip\":\"127.0.0.1\""));
    assert_non_null(strstr(r.err, "1 client: 1 not_tls"));
    captured_output_free(&r);
}

static void no_connection_inconclusive(void **state)
{
    (void)state;
    struct clients_options o = options("exit 3");
    struct captured_output r = capture_output(call_clients_run, &o);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.out, "made no connection (exit status 3)"));
    captured_output_free(&r);
}

/* Over --max-connections, connections are closed at once and counted. */
static void connection_cap(void **state)
{
    (void)state;
    struct clients_options o = options("bash -c 'exec 3<>/dev/tcp/$0/$1; sleep 0.2; "
                                       "exec 4<>/dev/tcp/$0/$1; sleep 0.2' {host} {port}");
    o.max_connections = 1;
    o.format = &report_clients_text;
    struct captured_output r = capture_output(call_clients_run, &o);
    assert_int_equal(r.status, 3); /* one client, closed before any byte: inconclusive */
    assert_non_null(strstr(r.out, "INCONCLUSIVE"));
    assert_non_null(strstr(r.err, "1 connection refused over the limit of 1"));
    captured_output_free(&r);
}

static void duration_without_clients(void **state)
{
    (void)state;
    struct clients_options o = options(NULL);
    o.duration_ms = 200;
    struct captured_output r = capture_output(call_clients_run, &o);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "listening on 127.0.0.1:"));
    assert_non_null(strstr(r.err, "0 clients"));
    captured_output_free(&r);
}

static void errors_exit_2(void **state)
{
    (void)state;
    struct clients_options o = options(NULL);
    o.listen = "localhost:8443";
    struct captured_output r = capture_output(call_clients_run, &o);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "not an IP address"));
    captured_output_free(&r);

    o = options("true");
    o.cert_path = "/nonexistent/cert.pem";
    r = capture_output(call_clients_run, &o);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "certificate: /nonexistent/cert.pem"));
    captured_output_free(&r);

    o = options("true");
    o.leak_bytes = 10;
    o.dump_path = "/nonexistent/dir/dump";
    r = capture_output(call_clients_run, &o);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "cannot open dump file"));
    captured_output_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_tls_client), cmocka_unit_test(no_connection_inconclusive),
        cmocka_unit_test(connection_cap), cmocka_unit_test(duration_without_clients),
        cmocka_unit_test(errors_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
