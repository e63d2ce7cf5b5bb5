/* The engine against real sockets: scripted servers on 127.0.0.1 ports this test opens, in a
 * thread of this process. Every wait is bounded and every thread is joined. */
#include "unit.h"

#include "engine/engine.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- a scripted TLS server ---- */

enum script {
    SRV_CLOSE,        /* reads the ClientHello and closes: a handshake failure at every version */
    SRV_SILENT,       /* reads and never answers */
    SRV_VULNERABLE,   /* OpenSSL 1.0.1f: echoes every heartbeat, over-reading what it claims */
    SRV_PATCHED,      /* 1.0.1g: drops a heartbeat without padding, answers a well-formed one */
    SRV_NO_HEARTBEAT, /* OpenSSL 3: fatal unexpected_message on any heartbeat */
    SRV_NOT_TLS,      /* an FTP server's refusal */
};

enum { IDLE_LIMIT_MS = 3000, POLL_MS = 20, RECORD_MAX = 5 + 16384 + 2048 };

struct server {
    enum script script;
    int listener;
    uint16_t port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int connections;
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
static bool send_heartbeat_response(int fd, const uint8_t *req, size_t req_len)
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
    bool ok = write_all(fd, out, n);
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
        if (s->script == SRV_NO_HEARTBEAT) {
            static const uint8_t alert[] = {TLS_CT_ALERT, 3, 3, 0, 2, 2, 10};
            write_all(fd, alert, sizeof alert);
            return;
        }
        if ((s->script == SRV_VULNERABLE || padded) &&
            !send_heartbeat_response(fd, buf + 5, (size_t)len))
            return;
    }
}

static void serve_connection(struct server *s, int fd)
{
    uint8_t *buf = malloc(RECORD_MAX);
    if (!buf)
        return;
    if (s->script == SRV_NOT_TLS) {
        static const char banner[] = "500 OOPS: vsftpd: not found\r\n";
        write_all(fd, (const uint8_t *)banner, sizeof banner - 1);
    } else if (read_record(s, fd, buf) >= 0) { /* the ClientHello */
        if (s->script == SRV_SILENT) {
            while (read_record(s, fd, buf) >= 0)
                continue;
        } else if (s->script != SRV_CLOSE && send_flight(fd)) {
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

static void server_start(struct server *s, enum script script)
{
    memset(s, 0, sizeof *s);
    s->script = script;
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

/* ---- running the engine ---- */

enum { MAX_TARGETS = 8 };

struct outcome {
    char spec[TARGET_SPEC_MAX];
    char ip[64];
    bool sni_sent;
    char sni[256];
    bool resolve_failed;
    uint32_t elapsed_ms;
    struct probe_result result; /* leak pointer cleared: it dies with the callback */
};

struct run {
    struct target targets[MAX_TARGETS];
    size_t count, next;
    struct outcome out[MAX_TARGETS];
    size_t results;
    size_t max_outstanding; /* targets taken but not reported yet, at most */
    bool interrupted;
};

static bool source(void *ctx, struct target *t)
{
    struct run *r = ctx;
    if (r->next >= r->count)
        return false;
    *t = r->targets[r->next++];
    size_t outstanding = r->next - r->results;
    if (outstanding > r->max_outstanding)
        r->max_outstanding = outstanding;
    return true;
}

static void on_result(void *ctx, const struct engine_outcome *o)
{
    struct run *r = ctx;
    assert_true(r->results < MAX_TARGETS);
    struct outcome *c = &r->out[r->results++];
    snprintf(c->spec, sizeof c->spec, "%s", o->target->spec);
    snprintf(c->ip, sizeof c->ip, "%s", o->ip);
    c->sni_sent = o->sni != NULL;
    snprintf(c->sni, sizeof c->sni, "%s", o->sni ? o->sni : "");
    c->resolve_failed = o->resolve_failed;
    c->elapsed_ms = o->elapsed_ms;
    c->result = *o->result;
    c->result.leak = NULL;
    assert_true(o->result->reason[0] != '\0');
    assert_non_null(memchr(o->result->reason, '\0', sizeof o->result->reason));
}

static struct engine_config default_config(void)
{
    struct engine_config c = {
        .timeout_ms = 2000,
        .followup_ms = 100,
        .max_version = TLS_VERSION_TLS12,
        .concurrency = 4,
        .sni = true,
    };
    return c;
}

static void add_target(struct run *r, const char *spec, uint16_t port)
{
    assert_true(r->count < MAX_TARGETS);
    struct target *t = &r->targets[r->count++];
    memset(t, 0, sizeof *t);
    snprintf(t->spec, sizeof t->spec, "%s", spec);
    snprintf(t->host, sizeof t->host, "127.0.0.1");
    t->port = port;
    t->family = AF_INET;
}

static void run_engine(const struct engine_config *cfg, struct run *r)
{
    assert_success(engine_run(cfg, source, r, on_result, r, &r->interrupted));
    assert_int_equal(r->results, r->count); /* every target yields exactly one result */
}

/* One target on a scripted server; its outcome. */
static struct outcome probe_one(enum script script, const struct engine_config *cfg)
{
    struct server s;
    server_start(&s, script);
    struct run r = {0};
    add_target(&r, "target", s.port);
    run_engine(cfg, &r);
    server_stop(&s);
    assert_false(r.interrupted);
    assert_string_equal(r.out[0].spec, "target");
    return r.out[0];
}

/* ---- the tests ---- */

static void test_close_after_client_hello(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    struct outcome o = probe_one(SRV_CLOSE, &cfg);
    /* TLS 1.2, 1.1, 1.0, SSLv3: each hello closed on, nothing left to try. */
    assert_int_equal(o.result.verdict, PROBE_INCONCLUSIVE);
    assert_int_equal(o.result.evidence.attempts, 4);
    assert_non_null(strstr(o.result.reason, "no handshake at any version"));
    assert_non_null(strstr(o.result.reason, "SSLv3: connection closed"));
    assert_false(o.result.evidence.server_hello);
    assert_string_equal(o.ip, "127.0.0.1");
    assert_false(o.sni_sent); /* never for an address */
}

/* With a server name, the versions are tried with SNI, then TLS 1.2 once more without. */
static void test_close_with_sni_override(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    cfg.sni_override = "example.com";
    struct outcome o = probe_one(SRV_CLOSE, &cfg);
    assert_int_equal(o.result.verdict, PROBE_INCONCLUSIVE);
    assert_int_equal(o.result.evidence.attempts, 5);
    assert_non_null(strstr(o.result.reason, "TLSv1.2: connection closed"));
    assert_false(o.sni_sent); /* the attempt that decided went without it */
}

static void test_refused(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    struct run r = {0};
    add_target(&r, "refused", refused_port());
    run_engine(&cfg, &r);
    assert_int_equal(r.out[0].result.verdict, PROBE_UNREACHABLE);
    assert_string_equal(r.out[0].result.reason, "connection refused");
    assert_int_equal(r.out[0].result.evidence.attempts, 0);
    assert_false(r.out[0].resolve_failed);
    assert_true(r.out[0].elapsed_ms < 1000);
}

static void test_silent(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    cfg.timeout_ms = 300;
    struct outcome o = probe_one(SRV_SILENT, &cfg);
    assert_int_equal(o.result.verdict, PROBE_INCONCLUSIVE);
    assert_non_null(strstr(o.result.reason, "no reply to the TLSv1.2 ClientHello"));
    assert_int_equal(o.result.evidence.attempts, 1);
    assert_true(o.elapsed_ms >= 290 && o.elapsed_ms < 1000);
}

static void test_vulnerable(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    struct outcome o = probe_one(SRV_VULNERABLE, &cfg);
    const struct probe_evidence *ev = &o.result.evidence;
    assert_int_equal(o.result.verdict, PROBE_VULNERABLE);
    assert_int_equal(ev->leaked_bytes, 0);
    assert_true(ev->server_hello);
    assert_int_equal(ev->tls_version, TLS_VERSION_TLS12);
    assert_int_equal(ev->cipher, 0x002f);
    assert_true(ev->heartbeat_extension);
    assert_int_equal(ev->claimed_length, PROBE_PAYLOAD);
    assert_int_equal(ev->attempts, 1);
    assert_true(ev->cert_seen);
    assert_string_equal(ev->cert.subject, "CN=localhost");
    assert_string_equal(ev->cert.key_type, "RSA");
    assert_int_equal(ev->cert.key_bits, 1024);
    assert_int_equal(ev->chain_length, 1);
    assert_false(ev->alert_seen);
    assert_true(o.elapsed_ms < 1000);
}

/* The probe is dropped; the follow-up, 100 ms later, is answered: patched without a timeout. */
static void test_patched_by_followup(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    cfg.timeout_ms = 5000;
    struct outcome o = probe_one(SRV_PATCHED, &cfg);
    assert_int_equal(o.result.verdict, PROBE_PATCHED);
    assert_non_null(strstr(o.result.reason, "answered the well-formed one"));
    assert_int_equal(o.result.evidence.leaked_bytes, 0);
    assert_true(o.elapsed_ms >= 90 && o.elapsed_ms < 1000);
}

static void test_no_heartbeat_support(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    struct outcome o = probe_one(SRV_NO_HEARTBEAT, &cfg);
    assert_int_equal(o.result.verdict, PROBE_NOT_VULNERABLE);
    assert_true(o.result.evidence.alert_seen);
    assert_int_equal(o.result.evidence.alert.level, TLS_ALERT_FATAL);
    assert_int_equal(o.result.evidence.alert.description, TLS_ALERT_UNEXPECTED_MESSAGE);
}

static void test_not_tls(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    struct outcome o = probe_one(SRV_NOT_TLS, &cfg);
    assert_int_equal(o.result.verdict, PROBE_NOT_TLS);
    assert_non_null(strstr(o.result.reason, "500 OOPS"));
}

/* An over-read against the vulnerable server: the leaked bytes are counted. */
static void test_over_read(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    cfg.leak_bytes = 40;
    struct outcome o = probe_one(SRV_VULNERABLE, &cfg);
    assert_int_equal(o.result.verdict, PROBE_VULNERABLE);
    assert_int_equal(o.result.evidence.leaked_bytes, 40);
    assert_int_equal(o.result.evidence.claimed_length, PROBE_PAYLOAD + 40);
}

/* Concurrency 1: the next target is taken only after the previous one was reported. */
static void test_concurrency_one(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, SRV_VULNERABLE);
    uint16_t closed = refused_port();
    struct run r = {0};
    static const char *const specs[] = {"t0", "t1", "t2", "t3", "t4"};
    for (size_t i = 0; i < HC_ARRAY_LEN(specs); i++)
        add_target(&r, specs[i], i % 2 ? closed : s.port);
    struct engine_config cfg = default_config();
    cfg.concurrency = 1;
    run_engine(&cfg, &r);
    server_stop(&s);
    assert_int_equal(r.results, 5);
    assert_int_equal(r.max_outstanding, 1);
    for (size_t i = 0; i < HC_ARRAY_LEN(specs); i++) {
        int seen = 0;
        for (size_t k = 0; k < r.results; k++)
            if (strcmp(r.out[k].spec, specs[i]) == 0) {
                seen++;
                assert_int_equal(r.out[k].result.verdict,
                                 i % 2 ? PROBE_UNREACHABLE : PROBE_VULNERABLE);
            }
        assert_int_equal(seen, 1);
    }
    assert_int_equal(atomic_load(&s.connections), 3);
}

/* Several at once against one server that serves connections one by one. */
static void test_concurrent_targets(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, SRV_VULNERABLE);
    struct run r = {0};
    for (int i = 0; i < 6; i++) {
        char spec[8];
        snprintf(spec, sizeof spec, "v%d", i);
        add_target(&r, spec, s.port);
    }
    struct engine_config cfg = default_config();
    cfg.concurrency = 3;
    run_engine(&cfg, &r);
    server_stop(&s);
    assert_true(r.max_outstanding <= 3);
    for (size_t k = 0; k < r.results; k++)
        assert_int_equal(r.out[k].result.verdict, PROBE_VULNERABLE);
}

static void test_no_targets_and_bad_config(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    struct run r = {0};
    run_engine(&cfg, &r);
    assert_int_equal(r.results, 0);
    cfg.concurrency = 0;
    bool interrupted;
    assert_error(engine_run(&cfg, source, &r, on_result, &r, &interrupted), HC_ERR_USAGE);
    cfg = default_config();
    cfg.leak_bytes = PROBE_MAX_LEAK + 1;
    assert_error(engine_run(&cfg, source, &r, on_result, &r, &interrupted), HC_ERR_USAGE);
}

static void *send_two_sigints(void *arg)
{
    (void)arg;
    struct timespec wait = {.tv_nsec = 200 * 1000 * 1000};
    nanosleep(&wait, NULL);
    kill(getpid(), SIGINT);
    nanosleep(&wait, NULL);
    kill(getpid(), SIGINT);
    return NULL;
}

/* First SIGINT: no new targets; second: those in flight are abandoned, unreported. */
static void test_interrupted_twice(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, SRV_SILENT);
    struct run r = {0};
    for (int i = 0; i < 4; i++)
        add_target(&r, "silent", s.port);
    struct engine_config cfg = default_config();
    cfg.concurrency = 2;
    cfg.timeout_ms = 3000;
    pthread_t killer;
    assert_int_equal(pthread_create(&killer, NULL, send_two_sigints, NULL), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_success(engine_run(&cfg, source, &r, on_result, &r, &r.interrupted));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(killer, NULL);
    server_stop(&s);
    assert_true(r.interrupted);
    assert_int_equal(r.results, 0);
    assert_int_equal(r.next, 2); /* the other two were never started */
    assert_true(t1.tv_sec - t0.tv_sec < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_after_client_hello),
        cmocka_unit_test(test_close_with_sni_override),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_silent),
        cmocka_unit_test(test_vulnerable),
        cmocka_unit_test(test_patched_by_followup),
        cmocka_unit_test(test_no_heartbeat_support),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_over_read),
        cmocka_unit_test(test_concurrency_one),
        cmocka_unit_test(test_concurrent_targets),
        cmocka_unit_test(test_no_targets_and_bad_config),
        cmocka_unit_test(test_interrupted_twice),
    };
    return cmocka_run_group_tests(tests, make_cert, free_cert);
}
