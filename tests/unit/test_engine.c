/* The engine against real sockets: scripted servers on 127.0.0.1 ports this test opens, in a
 * thread of this process. Every wait is bounded and every thread is joined. */
#include "unit.h"

#include "engine/engine.h"
#include "ovpn/ovpn.h"
#include "support/scripted_server.h"
#include "support/vectors.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- running the engine ---- */

enum { MAX_TARGETS = 8 };

struct outcome {
    char spec[TARGET_SPEC_MAX];
    char ip[64];
    bool sni_sent;
    char sni[256];
    bool resolve_failed;
    uint32_t elapsed_ms;
    unsigned tries;
    enum probe_transport transport;
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
    c->tries = o->tries;
    c->transport = o->transport;
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

/* ---- many targets: a counting source, our own listeners, the process's resources ---- */

struct bulk {
    uint16_t port;
    size_t count, next, results;
    size_t verdicts[ENGINE_VERDICTS];
    unsigned min_tries, max_tries;
    struct outcome last;
};

static bool bulk_source(void *ctx, struct target *t)
{
    struct bulk *b = ctx;
    if (b->next >= b->count)
        return false;
    memset(t, 0, sizeof *t);
    snprintf(t->spec, sizeof t->spec, "t%zu", b->next++);
    snprintf(t->host, sizeof t->host, "127.0.0.1");
    t->port = b->port;
    t->family = AF_INET;
    return true;
}

static void bulk_result(void *ctx, const struct engine_outcome *o)
{
    struct bulk *b = ctx;
    assert_true(b->results < b->next); /* once per target taken */
    b->results++;
    b->verdicts[o->result->verdict]++;
    if (b->results == 1 || o->tries < b->min_tries)
        b->min_tries = o->tries;
    if (o->tries > b->max_tries)
        b->max_tries = o->tries;
    snprintf(b->last.spec, sizeof b->last.spec, "%s", o->target->spec);
    b->last.elapsed_ms = o->elapsed_ms;
    b->last.result = *o->result;
    b->last.result.leak = NULL;
}

static struct engine_stats run_bulk(const struct engine_config *cfg, struct bulk *b)
{
    struct engine_stats st;
    bool interrupted;
    assert_success(engine_run_stats(cfg, bulk_source, b, bulk_result, b, &interrupted, &st));
    assert_false(interrupted);
    assert_int_equal(b->results, b->count);
    assert_int_equal(st.started, b->count);
    assert_int_equal(st.done, b->count);
    assert_int_equal(st.in_flight, 0);
    return st;
}

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int listen_loopback(int backlog, uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, backlog), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A listener thread that notes when each connection arrives, then answers a banner (not
 * TLS: one connection decides) or resets it before any byte. */
enum { STAMPS_MAX = 256 };

struct stamper {
    int listener;
    uint16_t port;
    bool reset;
    pthread_t thread;
    atomic_bool stop;
    atomic_int accepted;
    uint64_t at_ms[STAMPS_MAX];
};

static void *stamper_main(void *arg)
{
    struct stamper *s = arg;
    static const char banner[] = "500 OOPS: not a TLS server\r\n";
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->listener, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(s->listener, NULL, NULL);
        if (fd < 0)
            continue;
        int n = atomic_fetch_add(&s->accepted, 1);
        if (n < STAMPS_MAX)
            s->at_ms[n] = now_ms();
        if (s->reset) {
            struct linger hard = {.l_onoff = 1, .l_linger = 0}; /* close sends RST */
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        } else {
            assert_true(write(fd, banner, sizeof banner - 1) > 0);
        }
        close(fd);
    }
    return NULL;
}

static void stamper_start(struct stamper *s, bool reset)
{
    memset(s, 0, sizeof *s);
    s->reset = reset;
    s->listener = listen_loopback(SOMAXCONN, &s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, stamper_main, s), 0);
}

static void stamper_stop(struct stamper *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->listener);
}

/* A listener whose accept queue is full (backlog 0, one connection never accepted): the
 * kernel drops further SYNs, so a connect gets no SYN-ACK, like a lost packet. */
struct blackhole {
    int listener, filler;
    uint16_t port;
};

static void blackhole_open(struct blackhole *h)
{
    h->listener = listen_loopback(0, &h->port);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons(h->port)};
    h->filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(h->filler, (struct sockaddr *)&a, sizeof a), 0);
}

static void blackhole_close(struct blackhole *h)
{
    close(h->filler);
    close(h->listener);
}

struct progress_log {
    unsigned calls;
    uint64_t last_done, last_elapsed_ms;
    bool monotonic;
};

static void on_progress(void *ctx, const struct engine_stats *st)
{
    struct progress_log *p = ctx;
    if (st->done < p->last_done || st->elapsed_ms < p->last_elapsed_ms ||
        st->in_flight != st->started - st->done)
        p->monotonic = false;
    p->calls++;
    p->last_done = st->done;
    p->last_elapsed_ms = st->elapsed_ms;
}

/* --rate 100: 200 connections take about 2 s, evenly: no 100 ms window holds more than
 * twice its share (10), whatever the concurrency allows. Progress comes every 250 ms. */
static void test_rate_is_smooth(void **state)
{
    (void)state;
    struct stamper s;
    stamper_start(&s, false);
    struct bulk b = {.port = s.port, .count = 200};
    struct progress_log log = {.monotonic = true};
    struct engine_config cfg = default_config();
    cfg.concurrency = 1000;
    cfg.rate = 100;
    cfg.progress = on_progress;
    cfg.progress_ctx = &log;
    uint64_t t0 = now_ms();
    struct engine_stats st = run_bulk(&cfg, &b);
    uint64_t took = now_ms() - t0;
    stamper_stop(&s);
    assert_int_equal(atomic_load(&s.accepted), 200);
    assert_int_equal(b.verdicts[PROBE_NOT_TLS], 200);
    uint64_t span = s.at_ms[199] - s.at_ms[0];
    print_message("rate 100: 200 connections over %llu ms, run %llu ms, %.1f/s\n",
                  (unsigned long long)span, (unsigned long long)took, st.rate);
    assert_true(span >= 1850 && span <= 2400);
    unsigned worst = 0;
    for (size_t i = 0; i < 200; i++) {
        unsigned in_window = 0;
        for (size_t k = i; k < 200 && s.at_ms[k] < s.at_ms[i] + 100; k++)
            in_window++;
        worst = in_window > worst ? in_window : worst;
    }
    print_message("rate 100: at most %u connections in a 100 ms window\n", worst);
    assert_true(worst <= 20);
    assert_true(st.rate > 70 && st.rate < 110);
    assert_int_equal(st.concurrency, 1000);
    assert_true(log.monotonic);
    assert_true(log.calls >= 5 && log.calls <= 12);
}

static struct outcome probe_blackhole(unsigned retries, uint32_t timeout_ms,
                                      struct engine_stats *st)
{
    struct blackhole h;
    blackhole_open(&h);
    struct bulk b = {.port = h.port, .count = 1};
    struct engine_config cfg = default_config();
    cfg.timeout_ms = timeout_ms;
    cfg.retries = retries;
    *st = run_bulk(&cfg, &b);
    blackhole_close(&h);
    assert_int_equal(b.min_tries, retries + 1);
    return b.last;
}

/* No SYN-ACK: retried, each try with a fresh deadline; reported once. */
static void test_retry_connect_timeout(void **state)
{
    (void)state;
    struct engine_stats st;
    struct outcome o = probe_blackhole(2, 200, &st);
    assert_int_equal(o.result.verdict, PROBE_UNREACHABLE);
    assert_string_equal(o.result.reason, "no connection within 0.2s");
    assert_true(o.elapsed_ms >= 590 && o.elapsed_ms < 1500);
    assert_int_equal(st.retries, 2);
    assert_int_equal(st.verdicts[PROBE_UNREACHABLE], 1);
    o = probe_blackhole(0, 200, &st); /* the default: one try */
    assert_true(o.elapsed_ms < 590);
    assert_int_equal(st.retries, 0);
}

/* Reset before any byte (the probe itself falls back through the versions first). */
static void test_retry_reset_before_bytes(void **state)
{
    (void)state;
    struct stamper s;
    stamper_start(&s, true);
    struct bulk b = {.port = s.port, .count = 1};
    struct engine_config cfg = default_config();
    cfg.retries = 1;
    struct engine_stats st = run_bulk(&cfg, &b);
    stamper_stop(&s);
    assert_int_equal(b.max_tries, 2);
    assert_int_equal(st.retries, 1);
    assert_true(b.last.result.verdict == PROBE_INCONCLUSIVE ||
                b.last.result.verdict == PROBE_UNREACHABLE);
    assert_true(atomic_load(&s.accepted) >= 2);
}

/* A refusal is an answer; so is a server that accepted and stayed silent. */
static void test_no_retry_when_answered(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    cfg.retries = 3;
    cfg.timeout_ms = 300;
    struct bulk b = {.port = refused_port(), .count = 1};
    struct engine_stats st = run_bulk(&cfg, &b);
    assert_int_equal(b.max_tries, 1);
    assert_int_equal(st.retries, 0);
    assert_string_equal(b.last.result.reason, "connection refused");
    struct scripted_server s;
    scripted_server_start(&s, SRV_SILENT, false);
    struct bulk silent = {.port = s.port, .count = 1};
    st = run_bulk(&cfg, &silent);
    scripted_server_stop(&s);
    assert_int_equal(silent.max_tries, 1);
    assert_int_equal(st.retries, 0);
    assert_int_equal(silent.last.result.verdict, PROBE_INCONCLUSIVE);
    assert_int_equal(atomic_load(&s.connections), 1);
}

/* The final statistics count every verdict the caller was given. */
static void test_stats_per_verdict(void **state)
{
    (void)state;
    struct scripted_server s;
    scripted_server_start(&s, SRV_VULNERABLE, false);
    uint16_t closed = refused_port();
    struct run r = {0};
    for (int i = 0; i < 5; i++)
        add_target(&r, "t", i % 2 ? closed : s.port);
    struct engine_config cfg = default_config();
    struct engine_stats st;
    assert_success(engine_run_stats(&cfg, source, &r, on_result, &r, &r.interrupted, &st));
    scripted_server_stop(&s);
    assert_int_equal(st.started, 5);
    assert_int_equal(st.done, 5);
    assert_int_equal(st.in_flight, 0);
    assert_int_equal(st.verdicts[PROBE_VULNERABLE], 3);
    assert_int_equal(st.verdicts[PROBE_UNREACHABLE], 2);
    assert_int_equal(st.verdicts[PROBE_PATCHED] + st.verdicts[PROBE_NOT_TLS], 0);
    assert_int_equal(st.concurrency, 4);
    assert_true(st.elapsed_ms < 2000);
}

static void *send_one_sigint(void *arg)
{
    struct timespec wait = {.tv_nsec = *(long *)arg * 1000 * 1000};
    nanosleep(&wait, NULL);
    kill(getpid(), SIGINT);
    return NULL;
}

/* A first SIGINT lets the try in flight end, starts no retry, and reports the target. */
static void test_interrupt_stops_retries(void **state)
{
    (void)state;
    struct blackhole h;
    blackhole_open(&h);
    struct bulk b = {.port = h.port, .count = 3};
    struct engine_config cfg = default_config();
    cfg.concurrency = 1;
    cfg.timeout_ms = 300;
    cfg.retries = 10;
    pthread_t killer;
    long after_ms = 450;
    assert_int_equal(pthread_create(&killer, NULL, send_one_sigint, &after_ms), 0);
    struct engine_stats st;
    bool interrupted;
    uint64_t t0 = now_ms();
    assert_success(engine_run_stats(&cfg, bulk_source, &b, bulk_result, &b, &interrupted, &st));
    uint64_t took = now_ms() - t0;
    pthread_join(killer, NULL);
    blackhole_close(&h);
    assert_true(interrupted);
    assert_int_equal(b.next, 1);
    assert_int_equal(b.results, 1);
    assert_true(b.max_tries >= 1 && b.max_tries <= 3);
    assert_int_equal(st.retries, b.max_tries - 1);
    assert_true(took < 1500);
}

static unsigned effective_concurrency(unsigned wanted)
{
    struct engine_config cfg = default_config();
    cfg.concurrency = wanted;
    struct run r = {0};
    struct engine_stats st;
    bool interrupted;
    if (!hc_ok(engine_run_stats(&cfg, source, &r, on_result, &r, &interrupted, &st)))
        return 0;
    return st.concurrency;
}

/* Checks in a child process (a lowered hard limit cannot be raised again); 0 when all hold.
 * Valgrind emulates RLIMIT_NOFILE and refuses to change the hard limit: only the raise of
 * the soft limit is checked there. */
static int fd_limit_child(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1;
    rlim_t hard = RUNNING_ON_VALGRIND ? rl.rlim_max : 200;
    rl = (struct rlimit){.rlim_cur = 100, .rlim_max = hard};
    if (hard == RLIM_INFINITY || setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 2;
    /* The soft limit is raised to the hard one, and hard - 32 probes fit. */
    if (effective_concurrency(1000000) != hard - 32 || getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
        rl.rlim_cur != hard)
        return 3;
    if (effective_concurrency(10) != 10) /* fits: unchanged */
        return 4;
    if (RUNNING_ON_VALGRIND)
        return 0;
    rl.rlim_cur = rl.rlim_max = 100;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || effective_concurrency(1000) != 68)
        return 5;
    return 0;
}

static void test_concurrency_fits_fd_limit(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fd_limit_child());
    int status = 0;
    for (int waited = 0; waited < 200; waited++) { /* at most 10 s */
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        struct timespec wait = {.tv_nsec = 50 * 1000 * 1000};
        nanosleep(&wait, NULL);
        if (waited == 199) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &resident), 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* ASan's quarantine and valgrind's free list keep freed memory on purpose: there the RSS
 * says nothing, and the tool itself reports leaks. */
static bool rss_tells_growth(void) { return !UNDER_ASAN && !RUNNING_ON_VALGRIND; }

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Memory follows the probes in flight, not the targets: 5000 refused targets at
 * concurrency 1000 leave the RSS where it was, and no descriptor open. */
static void test_many_targets_no_growth(void **state)
{
    (void)state;
    struct engine_config cfg = default_config();
    cfg.concurrency = 1000;
    long rss_start = rss_kb();
    int fds_start = open_fds();
    struct bulk warm = {.port = refused_port(), .count = 5000};
    (void)run_bulk(&cfg, &warm); /* the allocator's arenas reach their working size */
    long rss0 = rss_kb();
    int fds0 = open_fds();
    struct bulk b = {.port = warm.port, .count = 5000};
    uint64_t t0 = now_ms();
    (void)run_bulk(&cfg, &b);
    uint64_t took = now_ms() - t0;
    long rss1 = rss_kb();
    int fds1 = open_fds();
    print_message("5000 refused targets at concurrency 1000: %llu ms; RSS %ld KB at first, "
                  "%ld -> %ld KB around the second run; fds %d -> %d\n",
                  (unsigned long long)took, rss_start, rss0, rss1, fds0, fds1);
    assert_int_equal(b.verdicts[PROBE_UNREACHABLE], 5000);
    assert_int_equal(fds0, fds_start);
    assert_int_equal(fds1, fds_start);
    if (rss_tells_growth())
        assert_true(rss1 - rss0 < 4 * 1024);
    assert_true(took < 10000);
}

/* ---- datagram transports ---- */

/* A UDP socket on 127.0.0.1 that keeps the first datagram it gets and answers it once with
 * reply (NULL: never answers). */
struct udp_peer {
    int fd;
    uint16_t port;
    const char *reply;
    uint8_t got[2048];
    ssize_t got_len;
    pthread_t thread;
};

static void *udp_peer_main(void *arg)
{
    struct udp_peer *u = arg;
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    u->got_len = recvfrom(u->fd, u->got, sizeof u->got, 0, (struct sockaddr *)&from, &len);
    if (u->got_len > 0 && u->reply)
        (void)sendto(u->fd, u->reply, strlen(u->reply), 0, (struct sockaddr *)&from, len);
    return NULL;
}

static void udp_peer_start(struct udp_peer *u, const char *reply)
{
    memset(u, 0, sizeof *u);
    u->reply = reply;
    u->fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    struct timeval tv = {.tv_sec = 5};
    assert_int_equal(setsockopt(u->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(bind(u->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(u->fd, (struct sockaddr *)&a, &len), 0);
    u->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&u->thread, NULL, udp_peer_main, u), 0);
}

static void udp_peer_stop(struct udp_peer *u)
{
    shutdown(u->fd, SHUT_RDWR); /* wakes a recvfrom still waiting */
    pthread_join(u->thread, NULL);
    close(u->fd);
}

/* One datagram out (a DTLS ClientHello), each datagram in handed to the probe. */
static void test_udp_datagrams(void **state)
{
    (void)state;
    struct udp_peer u;
    udp_peer_start(&u, "not DTLS");
    struct engine_config cfg = default_config();
    struct run r = {0};
    add_target(&r, "dtls://127.0.0.1", u.port);
    r.targets[0].transport = PROBE_DTLS;
    run_engine(&cfg, &r);
    udp_peer_stop(&u);
    assert_true(u.got_len > DTLS_RECORD_HEADER_LEN);
    assert_int_equal(u.got[0], TLS_CT_HANDSHAKE);
    assert_int_equal(u.got[1], 0xfe);
    assert_int_equal(u.got[DTLS_RECORD_HEADER_LEN], TLS_HS_CLIENT_HELLO);
    assert_int_equal(r.out[0].transport, PROBE_DTLS);
    assert_int_equal(r.out[0].result.verdict, PROBE_NOT_TLS);
    assert_non_null(strstr(r.out[0].result.reason, "not DTLS"));
}

/* ICMP port unreachable comes back as a refusal on the connected socket, at once. */
static void test_udp_refused(void **state)
{
    (void)state;
    struct udp_peer u;
    udp_peer_start(&u, NULL);
    uint16_t closed = u.port;
    udp_peer_stop(&u);
    struct engine_config cfg = default_config();
    cfg.transport = PROBE_DTLS; /* --udp */
    struct run r = {0};
    add_target(&r, "closed", closed);
    run_engine(&cfg, &r);
    assert_int_equal(r.out[0].transport, PROBE_DTLS);
    assert_int_equal(r.out[0].result.verdict, PROBE_UNREACHABLE);
    assert_non_null(strstr(r.out[0].result.reason, "refused"));
    assert_true(r.out[0].elapsed_ms < 1000);
    assert_int_equal(r.out[0].tries, 1); /* an answer: never retried */
}

/* No datagram back at all: unreachable, and --retries tries again. */
static void test_udp_silent_retried(void **state)
{
    (void)state;
    struct udp_peer u;
    udp_peer_start(&u, NULL);
    struct engine_config cfg = default_config();
    cfg.transport = PROBE_DTLS;
    cfg.timeout_ms = 300;
    cfg.retries = 1;
    struct run r = {0};
    add_target(&r, "silent", u.port);
    run_engine(&cfg, &r);
    udp_peer_stop(&u);
    assert_int_equal(r.out[0].result.verdict, PROBE_UNREACHABLE);
    assert_non_null(strstr(r.out[0].result.reason, "no DTLS answer"));
    assert_int_equal(r.out[0].tries, 2);
    assert_true(r.out[0].elapsed_ms >= 590);
}

/* ---- OpenVPN over TCP: the transport reaches the probe, a window leaves at once ---- */

/* An OpenVPN server on one connection: answers the reset, sends OpenSSL 1.0.1f's flight,
 * then acknowledges nothing and counts the control packets of the probe's heartbeat. */
struct ovpn_server {
    int listener;
    uint16_t port;
    pthread_t thread;
    bool got_hello;
    unsigned heartbeat_packets;
};

struct ovpn_server_io {
    struct ovpn_server *srv;
    size_t tls_seen;
};

static void ovpn_server_tls(void *ctx, const uint8_t *data, size_t len)
{
    struct ovpn_server_io *io = ctx;
    (void)data;
    if (io->tls_seen == 0)
        io->srv->got_hello = true;
    else if (io->srv->got_hello)
        io->srv->heartbeat_packets++; /* each control packet is one delivery */
    io->tls_seen += len;
}

static void ovpn_server_write(struct ovpn *ch, int fd)
{
    const uint8_t *out;
    size_t n;
    for (ovpn_take_output(ch, 0, &out, &n); n; ovpn_take_output(ch, 0, &out, &n))
        assert_int_equal(send(fd, out, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void *ovpn_server_main(void *arg)
{
    struct ovpn_server *srv = arg;
    struct pollfd pl = {.fd = srv->listener, .events = POLLIN};
    if (poll(&pl, 1, 2000) != 1)
        return NULL;
    int fd = accept(srv->listener, NULL, NULL);
    struct ovpn_config cfg = {.role = OVPN_SERVER, .framing = OVPN_TCP};
    struct ovpn *ch;
    if (fd < 0 || !hc_ok(ovpn_new(&cfg, &ch)))
        return NULL;
    struct ovpn_server_io io = {.srv = srv};
    bool flight_sent = false;
    /* Bounded: 2 s in all, 50 ms without bytes ends it once the heartbeat has begun. */
    for (int i = 0; i < 40; i++) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 50) != 1) {
            if (srv->heartbeat_packets)
                break;
            continue;
        }
        uint8_t buf[16384];
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got <= 0 || !hc_ok(ovpn_on_data(ch, buf, (size_t)got, ovpn_server_tls, &io)))
            break;
        if (srv->got_hello && !flight_sent) {
            flight_sent = true;
            assert_success(ovpn_send(ch, flight_openssl101f, sizeof flight_openssl101f));
        }
        if (!srv->heartbeat_packets)
            ovpn_server_write(ch, fd); /* the heartbeat's packets go unacknowledged */
    }
    ovpn_free(ch);
    close(fd);
    return NULL;
}

static void test_openvpn_window_at_once(void **state)
{
    (void)state;
    struct ovpn_server srv = {0};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    srv.listener = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(srv.listener >= 0);
    assert_int_equal(bind(srv.listener, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(srv.listener, 1), 0);
    assert_int_equal(getsockname(srv.listener, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(pthread_create(&srv.thread, NULL, ovpn_server_main, &srv), 0);
    struct engine_config cfg = default_config();
    cfg.transport = PROBE_OPENVPN_TCP;
    cfg.timeout_ms = 1000;
    struct run r = {0};
    add_target(&r, "openvpn", ntohs(a.sin_port));
    run_engine(&cfg, &r);
    pthread_join(srv.thread, NULL);
    close(srv.listener);
    assert_int_equal(r.out[0].transport, PROBE_OPENVPN_TCP);
    assert_true(r.out[0].result.evidence.server_hello); /* TLS went through the channel */
    assert_true(srv.got_hello);
    /* The flight's packets came in one event, the first window of the heartbeat left at once,
     * and no more without acknowledgements. */
    assert_int_equal(srv.heartbeat_packets, OVPN_SEND_WINDOW);
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
        cmocka_unit_test(test_rate_is_smooth),
        cmocka_unit_test(test_retry_connect_timeout),
        cmocka_unit_test(test_retry_reset_before_bytes),
        cmocka_unit_test(test_no_retry_when_answered),
        cmocka_unit_test(test_stats_per_verdict),
        cmocka_unit_test(test_interrupt_stops_retries),
        cmocka_unit_test(test_concurrency_fits_fd_limit),
        cmocka_unit_test(test_many_targets_no_growth),
        cmocka_unit_test(test_udp_datagrams),
        cmocka_unit_test(test_udp_refused),
        cmocka_unit_test(test_udp_silent_retried),
        cmocka_unit_test(test_openvpn_window_at_once),
    };
    return cmocka_run_group_tests(tests, scripted_server_make_cert, scripted_server_free_cert);
}
