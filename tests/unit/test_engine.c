/* The engine against real sockets: scripted servers on 127.0.0.1 ports this test opens, in a
 * thread of this process. Every wait is bounded and every thread is joined. */
#include "unit.h"

#include "engine/engine.h"
#include "support/scripted_server.h"
#include "tls/tls.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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
static struct outcome probe_one(enum server_mode mode, const struct engine_config *cfg)
{
    struct scripted_server s;
    scripted_server_start(&s, mode, false);
    struct run r = {0};
    add_target(&r, "target", s.port);
    run_engine(cfg, &r);
    scripted_server_stop(&s);
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
    assert_int_equal(o.result.evidence.claimed_length, PROBE_PAYLOAD);
    assert_int_equal(o.result.evidence.sent_length, PROBE_PAYLOAD - 40);
}

/* Concurrency 1: the next target is taken only after the previous one was reported. */
static void test_concurrency_one(void **state)
{
    (void)state;
    struct scripted_server s;
    scripted_server_start(&s, SRV_VULNERABLE, false);
    uint16_t closed = refused_port();
    struct run r = {0};
    static const char *const specs[] = {"t0", "t1", "t2", "t3", "t4"};
    for (size_t i = 0; i < HC_ARRAY_LEN(specs); i++)
        add_target(&r, specs[i], i % 2 ? closed : s.port);
    struct engine_config cfg = default_config();
    cfg.concurrency = 1;
    run_engine(&cfg, &r);
    scripted_server_stop(&s);
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
    struct scripted_server s;
    scripted_server_start(&s, SRV_VULNERABLE, false);
    struct run r = {0};
    for (int i = 0; i < 6; i++) {
        char spec[8];
        snprintf(spec, sizeof spec, "v%d", i);
        add_target(&r, spec, s.port);
    }
    struct engine_config cfg = default_config();
    cfg.concurrency = 3;
    run_engine(&cfg, &r);
    scripted_server_stop(&s);
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
    struct scripted_server s;
    scripted_server_start(&s, SRV_SILENT, false);
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
    scripted_server_stop(&s);
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
    return cmocka_run_group_tests(tests, scripted_server_make_cert, scripted_server_free_cert);
}
