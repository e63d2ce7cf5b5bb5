/* scan_run end to end: targets in, findings on stdout, exit status, and the --dump file.
 * Servers are scripted threads on 127.0.0.1 ports this test opens; the only other name is
 * "no-such-host.invalid", which never resolves (RFC 6761 section 6.4), looked up inside a
 * network namespace of its own so that no query leaves the machine. */
#include "unit.h"

#include "scan/scan.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- a scripted TLS server ---- */

enum script {
    SRV_SILENT,     /* reads and never answers */
    SRV_VULNERABLE, /* OpenSSL 1.0.1f: echoes every heartbeat, over-reading what it claims */
    SRV_PATCHED,    /* 1.0.1g: drops a heartbeat without padding, answers a well-formed one */
};

enum { IDLE_LIMIT_MS = 3000, POLL_MS = 20, RECORD_MAX = 5 + 16384 + 2048 };

struct server {
    enum script script;
    int listener;
    uint16_t port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int connections;
    bool trickle; /* heartbeat responses in 1000-byte writes, 2 ms apart, as a slow link */
};

static uint8_t *cert_der;
static int cert_der_len;

/* A throw-away self-signed RSA certificate, made once: CN=localhost. */
static int make_cert(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_RSA_gen(1024);
    X509 *x = X509_new();
    if (!key || !x)
        return -1;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    int ok = X509_sign(x, key, EVP_sha256()) > 0;
    cert_der_len = ok ? i2d_X509(x, &cert_der) : -1;
    X509_free(x);
    EVP_PKEY_free(key);
    return cert_der_len > 0 ? 0 : -1;
}

static int free_cert(void **state)
{
    (void)state;
    OPENSSL_free(cert_der);
    return 0;
}

/* Reads exactly n bytes; false on EOF, error, stop, or IDLE_LIMIT_MS without a byte. */
static bool read_full(struct server *s, int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    int idle = 0;
    while (got < n) {
        if (atomic_load(&s->stop) || idle * POLL_MS > IDLE_LIMIT_MS)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, POLL_MS) == 0) {
            idle++;
            continue;
        }
        ssize_t k = read(fd, buf + got, n - got);
        if (k <= 0)
            return false;
        got += (size_t)k;
        idle = 0;
    }
    return true;
}

/* One whole record into buf; its body length, or -1. */
static long read_record(struct server *s, int fd, uint8_t *buf)
{
    if (!read_full(s, fd, buf, 5))
        return -1;
    size_t len = (size_t)(buf[3] << 8 | buf[4]);
    if (len > RECORD_MAX - 5 || !read_full(s, fd, buf + 5, len))
        return -1;
    return (long)len;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* The bytes in small writes with pauses: the reader gets one record in many pieces. */
static bool write_slowly(int fd, const uint8_t *p, size_t n)
{
    struct timespec pause = {.tv_nsec = 2 * 1000 * 1000};
    for (size_t at = 0; at < n; at += 1000) {
        if (!write_all(fd, p + at, n - at < 1000 ? n - at : 1000))
            return false;
        nanosleep(&pause, NULL);
    }
    return true;
}

/* ServerHello (TLS 1.2, TLS_RSA_WITH_AES_128_CBC_SHA, heartbeat extension), Certificate and
 * ServerHelloDone in one record, as OpenSSL 1.0.1f sends them. */
static bool send_flight(int fd)
{
    uint8_t buf[4096];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct wire_mark rec = tls_record_open(&w, TLS_CT_HANDSHAKE, TLS_VERSION_TLS12);
    struct tls_server_hello_params sh = {
        .version = TLS_VERSION_TLS12, .cipher_suite = 0x002f, .heartbeat = true};
    tls_server_hello_write(&w, &sh);
    tls_certificate_write(&w, cert_der, (size_t)cert_der_len);
    struct wire_mark done = tls_handshake_open(&w, TLS_HS_SERVER_HELLO_DONE);
    wire_close(&w, done);
    wire_close(&w, rec);
    return hc_ok(wire_writer_result(&w)) && write_all(fd, buf, w.len);
}

/* A heartbeat response as OpenSSL builds it: payload_length as claimed, that many bytes copied
 * from the request onwards (past its end: "server memory"), 16 bytes of padding, cut into
 * records of at most 16384 bytes. */
static bool send_heartbeat_response(const struct server *s, int fd, const uint8_t *req,
                                    size_t req_len)
{
    size_t claimed = (size_t)(req[1] << 8 | req[2]), sent = req_len - 3;
    size_t msg_len = 3 + claimed + 16;
    uint8_t *msg = malloc(msg_len);
    uint8_t *out = malloc(msg_len + 5 * (msg_len / 16384 + 1));
    if (!msg || !out) { /* no cmocka asserts here: this runs in the server thread */
        free(msg);
        free(out);
        return false;
    }
    msg[0] = TLS_HEARTBEAT_RESPONSE;
    msg[1] = req[1];
    msg[2] = req[2];
    for (size_t i = 0; i < claimed; i++)
        msg[3 + i] = i < sent ? req[3 + i] : (uint8_t) "SECRET-"[(i - sent) % 7];
    memset(msg + 3 + claimed, 0xee, 16);
    size_t n = 0;
    for (size_t at = 0; at < msg_len; at += 16384) {
        size_t part = msg_len - at < 16384 ? msg_len - at : 16384;
        uint8_t hdr[5] = {TLS_CT_HEARTBEAT, 3, 3, (uint8_t)(part >> 8), (uint8_t)part};
        memcpy(out + n, hdr, 5);
        memcpy(out + n + 5, msg + at, part);
        n += 5 + part;
    }
    bool ok = s->trickle ? write_slowly(fd, out, n) : write_all(fd, out, n);
    free(msg);
    free(out);
    return ok;
}

static void answer_heartbeats(struct server *s, int fd, uint8_t *buf)
{
    long len;
    while ((len = read_record(s, fd, buf)) >= 0) {
        if (buf[0] != TLS_CT_HEARTBEAT || len < 3 || buf[5] != TLS_HEARTBEAT_REQUEST)
            continue;
        size_t claimed = (size_t)(buf[6] << 8 | buf[7]);
        bool padded = 3 + claimed + 16 <= (size_t)len; /* the 1.0.1g check */
        if ((s->script == SRV_VULNERABLE || padded) &&
            !send_heartbeat_response(s, fd, buf + 5, (size_t)len))
            return;
    }
}

static void serve_connection(struct server *s, int fd)
{
    uint8_t *buf = malloc(RECORD_MAX);
    if (!buf)
        return;
    if (read_record(s, fd, buf) >= 0) { /* the ClientHello */
        if (s->script == SRV_SILENT) {
            while (read_record(s, fd, buf) >= 0)
                continue;
        } else if (send_flight(fd)) {
            answer_heartbeats(s, fd, buf);
        }
    }
    free(buf);
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->listener, .events = POLLIN};
        if (poll(&p, 1, POLL_MS) <= 0)
            continue;
        int fd = accept(s->listener, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->connections, 1);
        serve_connection(s, fd);
        close(fd);
    }
    return NULL;
}

/* A socket bound to 127.0.0.1 on a port the kernel picks; its port in *port. */
static int bound_socket(uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void server_start(struct server *s, enum script script, bool trickle)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    s->trickle = trickle;
    s->listener = bound_socket(&s->port);
    assert_int_equal(listen(s->listener, 16), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->listener);
}

/* A port nobody listens on: bound, then closed. */
static uint16_t refused_port(void)
{
    uint16_t port;
    close(bound_socket(&port));
    return port;
}

/* ---- running a scan ---- */

struct scan_out {
    int status;
    char *out; /* stdout */
    char *err; /* stderr */
};

static char *slurp(FILE *f)
{
    fflush(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    rewind(f);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static struct scan_options default_options(char **targets, size_t count)
{
    struct scan_options o = {
        .targets = targets,
        .target_count = count,
        .default_port = 443,
        .engine = {.timeout_ms = 2000,
                   .followup_ms = 100,
                   .max_version = TLS_VERSION_TLS12,
                   .concurrency = 4,
                   .sni = true},
        .format = &report_json,
    };
    return o;
}

/* scan_run with stdout and stderr sent to temporary files. */
static struct scan_out run_scan(const struct scan_options *o)
{
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    assert_true(saved_out >= 0 && saved_err >= 0);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    struct scan_out r = {.status = scan_run(o)};
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

static void free_out(struct scan_out *r)
{
    free(r->out);
    free(r->err);
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
static struct scan_out scan_server(enum script script, uint32_t timeout_ms)
{
    struct server s;
    server_start(&s, script, false);
    char t[32];
    target_for(t, sizeof t, s.port);
    char *targets[] = {t};
    struct scan_options o = default_options(targets, 1);
    o.engine.timeout_ms = timeout_ms;
    struct scan_out r = run_scan(&o);
    server_stop(&s);
    return r;
}

/* ---- the tests ---- */

static void test_vulnerable_exit_1(void **state)
{
    (void)state;
    struct scan_out r = scan_server(SRV_VULNERABLE, 2000);
    assert_int_equal(r.status, EXIT_VULNERABLE);
    json_t *o = only_line(r.out);
    assert_string_equal(verdict_of(o), "vulnerable");
    assert_string_equal(json_string_value(json_object_get(o, "tls_version")), "TLSv1.2");
    assert_int_equal(json_integer_value(json_object_get(o, "leaked_bytes")), 0);
    assert_string_equal(json_string_value(json_object_get(o, "ip")), "127.0.0.1");
    json_decref(o);
    assert_string_equal(r.err, ""); /* one JSON target: no summary */
    free_out(&r);
}

static void test_patched_exit_0(void **state)
{
    (void)state;
    struct scan_out r = scan_server(SRV_PATCHED, 5000);
    assert_int_equal(r.status, EXIT_CLEAN);
    json_t *o = only_line(r.out);
    assert_string_equal(verdict_of(o), "patched");
    assert_true(json_integer_value(json_object_get(o, "elapsed_ms")) < 1000);
    json_decref(o);
    free_out(&r);
}

static void test_silent_exit_3(void **state)
{
    (void)state;
    struct scan_out r = scan_server(SRV_SILENT, 300);
    assert_int_equal(r.status, EXIT_INCONCLUSIVE);
    json_t *o = only_line(r.out);
    assert_string_equal(verdict_of(o), "inconclusive");
    json_decref(o);
    free_out(&r);
}

/* docs/json.md: unreachable is not inconclusive; nothing vulnerable -> 0. */
static void test_refused_exit_0(void **state)
{
    (void)state;
    char t[32];
    target_for(t, sizeof t, refused_port());
    char *targets[] = {t};
    struct scan_options o = default_options(targets, 1);
    struct scan_out r = run_scan(&o);
    assert_int_equal(r.status, EXIT_CLEAN);
    json_t *j = only_line(r.out);
    assert_string_equal(verdict_of(j), "unreachable");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "connection refused");
    json_decref(j);
    free_out(&r);
}

/* Runs in a child inside a network namespace of its own: the name fails to resolve without
 * a query leaving the machine. Checks by hand (cmocka's asserts would unwind in the child). */
static int unresolvable_in_namespace(void)
{
    if (unshare(CLONE_NEWNET) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
        return 77;
    char *targets[] = {"no-such-host.invalid"};
    struct scan_options o = default_options(targets, 1);
    struct scan_out r = run_scan(&o);
    json_t *j = json_loads(r.out, 0, NULL);
    int bad = 0;
    bad |= (r.status != EXIT_ERROR) << 0;
    bad |= (!j || strcmp(verdict_of(j), "unreachable") != 0) << 1; /* still reported */
    bad |= (!j || !json_is_null(json_object_get(j, "ip"))) << 2;
    bad |= (!j || json_integer_value(json_object_get(j, "port")) != 443) << 3;
    bad |= (!strstr(r.err, "cannot resolve no-such-host.invalid")) << 4;
    json_decref(j);
    free_out(&r);
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
    struct server vuln, silent;
    server_start(&vuln, SRV_VULNERABLE, false);
    server_start(&silent, SRV_SILENT, false);
    char t1[32], t2[32];
    target_for(t1, sizeof t1, vuln.port);
    target_for(t2, sizeof t2, silent.port);
    char *targets[] = {t1, t2};
    struct scan_options o = default_options(targets, 2);
    o.format = &report_text;
    o.engine.timeout_ms = 300;
    struct scan_out r = run_scan(&o);
    assert_int_equal(r.status, EXIT_VULNERABLE);
    assert_non_null(strstr(r.out, "VULNERABLE"));
    assert_non_null(strstr(r.out, "INCONCLUSIVE"));
    assert_non_null(strstr(r.out, "2 targets in "));
    assert_non_null(strstr(r.out, "1 vulnerable, 1 inconclusive\n"));
    assert_null(strchr(r.out, '\033'));
    free_out(&r);

    o.quiet = true;
    r = run_scan(&o);
    assert_int_equal(r.status, EXIT_VULNERABLE);
    assert_null(strstr(r.out, "targets in"));
    free_out(&r);
    server_stop(&vuln);
    server_stop(&silent);
}

/* One bad target: message, EXIT_ERROR, and nothing probed, not even the good one. */
static void test_bad_target_probes_nothing(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, SRV_VULNERABLE, false);
    char t[32];
    target_for(t, sizeof t, s.port);
    char *targets[] = {t, "host:99999"};
    struct scan_options o = default_options(targets, 2);
    struct scan_out r = run_scan(&o);
    struct timespec settle = {.tv_nsec = 50 * 1000 * 1000};
    nanosleep(&settle, NULL);
    server_stop(&s);
    assert_int_equal(r.status, EXIT_ERROR);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "host:99999"));
    assert_int_equal(atomic_load(&s.connections), 0);
    free_out(&r);
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
    return slurp(f);
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
    struct server s;
    server_start(&s, SRV_VULNERABLE, trickle);
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
    struct scan_out r = run_scan(&o);
    server_stop(&s);
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
    free_out(&r);
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
    struct server s;
    server_start(&s, SRV_VULNERABLE, false);
    char t[32];
    target_for(t, sizeof t, s.port);
    char *targets[] = {t};
    struct scan_options o = default_options(targets, 1);
    o.engine.leak_bytes = LEAK;
    o.dump_path = link_path;
    struct scan_out r = run_scan(&o);
    server_stop(&s);
    assert_int_equal(r.status, EXIT_ERROR);
    assert_non_null(strstr(r.err, "dump"));
    assert_int_equal(atomic_load(&s.connections), 0);
    struct stat st;
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 0);
    unlink(link_path);
    unlink(victim);
    free_out(&r);
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
    return cmocka_run_group_tests(tests, make_cert, free_cert);
}
