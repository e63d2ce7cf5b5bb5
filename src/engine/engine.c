#include "engine/engine.h"
#include "proto/proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

/* FD_RESERVE: file descriptors kept for what is not a probe: stdio, the loop's epoll and
 * signal pipes, the resolver's sockets, the caller's output and resume files.
 * ENGINE_MAX_WRITES: writes or datagrams taken from a probe at once (an OpenVPN window is 4). */
enum { FD_RESERVE = 32, ENGINE_MAX_WRITES = 8 };

struct engine {
    uv_loop_t loop;
    const struct engine_config *cfg;
    struct probe_kit *kit;
    struct tls_cert_cache *certs; /* certificates seen in this scan, decoded once */
    engine_source_fn source;
    void *source_ctx;
    engine_result_fn on_result;
    void *result_ctx;
    unsigned in_flight;   /* jobs alive: slots taken, counted against concurrency */
    unsigned concurrency; /* cfg->concurrency capped to the fd limit */
    bool source_done;
    unsigned signals;
    uv_signal_t sigint, sigterm;
    struct job *jobs; /* in flight, for abandoning them on a second signal */
    /* Jobs whose probe ended in a retryable way, waiting for a token to probe again. */
    struct job *retry_head, *retry_tail;
    struct pace pace;
    uv_timer_t pace_timer; /* starts pending work when the bucket allows */
    uv_timer_t progress_timer;
    uint64_t started_ns;
    struct engine_stats stats;
    uint8_t read_buf[65536]; /* shared: reads are handed to the probe at once */
};

/* What ended the last connection, for deciding on a retry. */
enum end_cause {
    END_OTHER,           /* refused, closed, silent after connecting...: an answer */
    END_CONNECT_TIMEOUT, /* no SYN-ACK: maybe a lost packet */
    END_RESET,           /* reset by the peer or a middlebox */
};

struct job {
    struct engine *eng;
    struct job *next, *prev;
    struct job *retry_next;
    struct target target;
    char ip[INET6_ADDRSTRLEN];
    struct sockaddr_storage addr;
    uv_getaddrinfo_t gai;
    uv_timer_t timer;
    enum probe_transport transport;
    uv_tcp_t *tcp; /* current connection; old ones are closing on their own */
    uv_udp_t *udp; /* the same for datagram transports: a connected UDP socket */
    bool connecting;
    bool write_reset; /* a write on the current connection failed: it was reset */
    bool resolving;
    bool reported;
    bool resolve_failed;
    bool got_bytes; /* during the current probe */
    enum end_cause cause;
    unsigned tries;        /* probes started for the target */
    unsigned open_handles; /* handles and requests holding the job; freed at zero */
    uint64_t started;
    struct probe *probe;
};

struct write_req {
    uv_write_t req;
    uv_buf_t buf;
    uint8_t data[];
};

struct send_req {
    uv_udp_send_t req;
    uv_buf_t buf;
    uint8_t data[];
};

static void start_jobs(struct engine *eng);
static void job_step(struct job *j);
static void on_pace(uv_timer_t *t);

/* ---- freeing: a handle is given back only in its close callback (libuv rules) ---- */

static void job_release(struct job *j)
{
    if (--j->open_handles > 0)
        return;
    struct engine *eng = j->eng;
    probe_free(j->probe);
    free(j);
    eng->in_flight--;
    start_jobs(eng);
}

static void on_tcp_closed(uv_handle_t *h)
{
    struct job *j = h->data;
    free(h);
    job_release(j);
}

static void on_timer_closed(uv_handle_t *h) { job_release(h->data); }

static void close_tcp(struct job *j)
{
    if (j->udp)
        uv_close((uv_handle_t *)j->udp, on_tcp_closed);
    j->udp = NULL;
    if (!j->tcp)
        return;
    uv_close((uv_handle_t *)j->tcp, on_tcp_closed);
    j->tcp = NULL;
    j->connecting = false;
}

static void unlink_job(struct job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else if (j->eng->jobs == j)
        j->eng->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->next = j->prev = NULL;
}

static void job_close(struct job *j)
{
    unlink_job(j);
    close_tcp(j);
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
}

/* ---- results ---- */

static const char *sni_sent(const struct job *j, const struct probe_result *r)
{
    if (!r->evidence.sni_sent)
        return NULL;
    return j->eng->cfg->sni_override ? j->eng->cfg->sni_override : j->target.host;
}

/* Every result goes through here: the statistics count what the caller was given. */
static void deliver(struct engine *eng, const struct engine_outcome *o)
{
    eng->stats.done++;
    eng->stats.verdicts[o->result->verdict]++;
    eng->on_result(eng->result_ctx, o);
}

static void report(struct job *j, const struct probe_result *r)
{
    struct engine_outcome o = {
        .target = &j->target,
        .ip = j->ip,
        .sni = sni_sent(j, r),
        .transport = j->transport,
        .resolve_failed = j->resolve_failed,
        .elapsed_ms = (uint32_t)(uv_now(&j->eng->loop) - j->started),
        .tries = j->tries,
        .result = r,
    };
    j->reported = true;
    deliver(j->eng, &o);
}

static void report_failure(struct job *j, enum probe_verdict v, const char *why)
{
    struct probe_result failed = {.verdict = v};
    snprintf(failed.reason, sizeof failed.reason, "%.*s", (int)sizeof failed.reason - 1, why);
    report(j, &failed);
    job_close(j);
}

/* ---- I/O ---- */

/* A failed write shows up on the read side too, but a reset the write saw first (it takes
 * the socket's pending error) is only an EOF there: remember it for should_retry. */
static void on_written(uv_write_t *req, int status)
{
    struct job *j = req->handle->data;
    if ((uv_tcp_t *)req->handle == j->tcp && (status == UV_ECONNRESET || status == UV_EPIPE))
        j->write_reset = true;
    free(req->data);
}

static void on_sent(uv_udp_send_t *req, int status)
{
    (void)status; /* an ICMP error shows up on the receive side as well */
    free(req->data);
}

/* One datagram per output of the probe (probe.h). */
static void send_datagram(struct job *j, const uint8_t *out, size_t n)
{
    struct send_req *s = malloc(sizeof *s + n);
    if (!s)
        return; /* the probe's timers retransmit, its deadline ends it */
    memcpy(s->data, out, n);
    s->buf = uv_buf_init((char *)s->data, (unsigned)n);
    s->req.data = s;
    if (uv_udp_send(&s->req, j->udp, &s->buf, 1, NULL, on_sent) != 0)
        free(s);
}

/* Most writes go out at once (uv_try_write): no copy, no epoll change. Only what the socket
 * did not take is copied, since the probe may rewrite its buffer before libuv is done.
 * False when the connection cannot take more. */
static bool write_stream(struct job *j, const uint8_t *out, size_t n)
{
    uv_buf_t whole = uv_buf_init((char *)out, (unsigned)n);
    int sent = uv_try_write((uv_stream_t *)j->tcp, &whole, 1);
    if (sent == (int)n)
        return true;
    if (sent < 0 && sent != UV_EAGAIN) {
        j->write_reset = sent == UV_ECONNRESET || sent == UV_EPIPE; /* seen again on read */
        return false;
    }
    size_t done = sent > 0 ? (size_t)sent : 0;
    struct write_req *w = malloc(sizeof *w + (n - done));
    if (!w)
        return false; /* the probe's deadline turns this into a result */
    memcpy(w->data, out + done, n - done);
    w->buf = uv_buf_init((char *)w->data, (unsigned)(n - done));
    w->req.data = w;
    if (uv_write(&w->req, (uv_stream_t *)j->tcp, &w->buf, 1, on_written) != 0) {
        free(w);
        return false;
    }
    return true;
}

/* Every write or datagram the probe has now, each its own (probe.h): over OpenVPN a window
 * of packets. The count bounds a misbehaving probe. */
static void write_output(struct job *j)
{
    for (int i = 0; i < ENGINE_MAX_WRITES; i++) {
        const uint8_t *out;
        size_t n;
        probe_take_output(j->probe, &out, &n);
        if (n == 0)
            return;
        if (j->udp)
            send_datagram(j, out, n);
        else if (!j->tcp || j->connecting || !write_stream(j, out, n))
            return;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct job *j = h->data;
    buf->base = (char *)j->eng->read_buf;
    buf->len = sizeof j->eng->read_buf;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct job *j = s->data;
    if ((uv_tcp_t *)s != j->tcp || n == 0)
        return;
    uint64_t now = uv_now(&j->eng->loop);
    if (n > 0) {
        j->got_bytes = true;
        probe_on_data(j->probe, now, (const uint8_t *)buf->base, (size_t)n);
    } else {
        uv_read_stop(s);
        j->cause = n == UV_ECONNRESET || j->write_reset ? END_RESET : END_OTHER;
        probe_on_closed(j->probe, now, n != UV_EOF);
    }
    job_step(j);
}

static void on_connect(uv_connect_t *req, int status)
{
    uv_tcp_t *tcp = (uv_tcp_t *)req->handle;
    struct job *j = tcp->data;
    free(req);
    if (status == UV_ECANCELED || tcp != j->tcp)
        return; /* an abandoned connection */
    j->connecting = false;
    uint64_t now = uv_now(&j->eng->loop);
    if (status < 0) {
        /* A reset can beat the connect callback; a refusal is the host's answer. */
        j->cause = status == UV_ETIMEDOUT    ? END_CONNECT_TIMEOUT
                   : status == UV_ECONNRESET ? END_RESET
                                             : END_OTHER;
        probe_on_connect_failed(j->probe, now, uv_strerror(status));
    } else {
        uv_tcp_nodelay(tcp, 1); /* the probe and the follow-up must leave as separate writes */
        uv_read_start((uv_stream_t *)tcp, on_alloc, on_read);
        probe_on_connected(j->probe, now);
    }
    job_step(j);
}

static void on_datagram(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr,
                        unsigned flags)
{
    (void)flags; /* UV_UDP_PARTIAL cannot happen: the buffer holds the largest datagram */
    struct job *j = u->data;
    if (u != j->udp || (n == 0 && !addr))
        return;
    uint64_t now = uv_now(&j->eng->loop);
    if (n >= 0) {
        j->got_bytes = true;
        probe_on_data(j->probe, now, (const uint8_t *)buf->base, (size_t)n);
    } else {
        /* ICMP port unreachable and the like, reported on the connected socket: before any
         * answer the port is closed; after one, the server went away (an OpenVPN server in
         * peer-to-peer mode restarts when a TLS error ends its session). */
        uv_udp_recv_stop(u);
        j->cause = END_OTHER;
        if (j->got_bytes)
            probe_on_closed(j->probe, now, true);
        else
            probe_on_connect_failed(j->probe, now, uv_strerror((int)n));
    }
    job_step(j);
}

/* UDP has no handshake: "connected" means a socket bound to the target, at once. */
static void start_udp(struct job *j)
{
    close_tcp(j);
    uv_udp_t *udp = malloc(sizeof *udp);
    int rc = udp ? uv_udp_init(&j->eng->loop, udp) : UV_ENOMEM;
    if (rc != 0) {
        free(udp);
        j->cause = END_OTHER;
        probe_on_connect_failed(j->probe, uv_now(&j->eng->loop), uv_strerror(rc));
        return;
    }
    udp->data = j;
    j->udp = udp;
    j->open_handles++;
    rc = uv_udp_connect(udp, (const struct sockaddr *)&j->addr);
    if (rc == 0)
        rc = uv_udp_recv_start(udp, on_alloc, on_datagram);
    if (rc != 0) {
        close_tcp(j);
        j->cause = END_OTHER;
        probe_on_connect_failed(j->probe, uv_now(&j->eng->loop), uv_strerror(rc));
        return;
    }
    probe_on_connected(j->probe, uv_now(&j->eng->loop));
}

static void start_connect(struct job *j)
{
    if (probe_transport_is_datagram(j->transport)) {
        start_udp(j);
        return;
    }
    close_tcp(j);
    uv_tcp_t *tcp = malloc(sizeof *tcp);
    uv_connect_t *req = malloc(sizeof *req);
    int rc = tcp && req ? uv_tcp_init(&j->eng->loop, tcp) : UV_ENOMEM;
    if (rc != 0) {
        free(tcp);
        free(req);
        j->cause = END_OTHER;
        probe_on_connect_failed(j->probe, uv_now(&j->eng->loop), uv_strerror(rc));
        return;
    }
    tcp->data = j;
    j->tcp = tcp;
    j->open_handles++;
    j->connecting = true;
    j->write_reset = false;
    rc = uv_tcp_connect(req, tcp, (const struct sockaddr *)&j->addr, on_connect);
    if (rc != 0) {
        free(req);
        close_tcp(j);
        j->cause = END_OTHER;
        probe_on_connect_failed(j->probe, uv_now(&j->eng->loop), uv_strerror(rc));
    }
}

static void on_timer(uv_timer_t *t)
{
    struct job *j = t->data;
    /* Still connecting when the deadline passes: no SYN-ACK. Connected: the host answered.
     * Over UDP only a datagram is an answer. */
    bool silent = j->connecting || (probe_transport_is_datagram(j->transport) && !j->got_bytes);
    j->cause = silent ? END_CONNECT_TIMEOUT : END_OTHER;
    probe_on_tick(j->probe, uv_now(&j->eng->loop));
    job_step(j);
}

/* No byte at all means the probe learnt nothing about the server: a connection that got no
 * SYN-ACK or was reset is worth another try (and such a probe can only have ended
 * unreachable or inconclusive). After a first signal no new probe starts. */
static bool should_retry(const struct job *j)
{
    const struct engine *eng = j->eng;
    if (j->tries > eng->cfg->retries || eng->signals > 0 || j->got_bytes)
        return false;
    return j->cause == END_CONNECT_TIMEOUT || j->cause == END_RESET;
}

/* The job keeps its slot and its old probe (whose result is reported if no retry starts);
 * the pace timer starts the new probe when a token is there. */
static void schedule_retry(struct job *j)
{
    struct engine *eng = j->eng;
    close_tcp(j);
    uv_timer_stop(&j->timer);
    j->retry_next = NULL;
    if (eng->retry_tail)
        eng->retry_tail->retry_next = j;
    else
        eng->retry_head = j;
    eng->retry_tail = j;
    if (!uv_is_active((uv_handle_t *)&eng->pace_timer))
        uv_timer_start(&eng->pace_timer, on_pace, 0, 0);
}

/* After every event: write what the probe wants sent, (re)connect, re-arm the timer. */
static void job_step(struct job *j)
{
    for (int guard = 0; guard < PROBE_MAX_ATTEMPTS + 2; guard++) {
        write_output(j);
        enum probe_state st = probe_state(j->probe);
        if (st == PROBE_DONE) {
            if (should_retry(j)) {
                schedule_retry(j);
                return;
            }
            if (!j->reported)
                report(j, probe_result(j->probe));
            job_close(j);
            return;
        }
        if (st != PROBE_WANT_CONNECT || j->connecting)
            break;
        start_connect(j); /* may fail at once and change the state again */
    }
    uint64_t now = uv_now(&j->eng->loop), at = probe_wakeup_at(j->probe);
    uv_timer_start(&j->timer, on_timer, at > now ? at - now : 0, 0);
}

/* ---- starting a target ---- */

static void start_probe(struct job *j)
{
    struct engine *eng = j->eng;
    const struct engine_config *cfg = eng->cfg;
    const char *sni = NULL;
    if (cfg->sni_override)
        sni = cfg->sni_override;
    else if (cfg->sni && j->target.family == 0)
        sni = j->target.host; /* RFC 6066 section 3: names only, never literal addresses */
    const struct prelude_desc *prelude = cfg->starttls;
    if (!prelude && cfg->starttls_auto)
        prelude = proto_for_port(j->target.port);
    if (j->transport != PROBE_TCP)
        prelude = NULL; /* STARTTLS dialogues run over TCP only */
    struct probe_config pc = {
        .prelude = prelude,
        .prelude_domain = cfg->xmpp_domain ? cfg->xmpp_domain : j->target.host,
        .transport = j->transport,
        .kit = eng->kit,
        .certs = eng->certs,
        .server_name = sni,
        .timeout_ms = cfg->timeout_ms,
        .followup_ms = cfg->followup_ms,
        .max_version = cfg->max_version,
    };
    j->tries++;
    j->got_bytes = false;
    j->cause = END_OTHER;
    hc_result r = probe_new(&pc, uv_now(&eng->loop), &j->probe);
    if (!hc_ok(r)) {
        report_failure(j, PROBE_INCONCLUSIVE, hc_error_message(r.error));
        return;
    }
    job_step(j);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static void address_to_ip(struct job *j)
{
    const void *a = j->addr.ss_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)&j->addr)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)&j->addr)->sin_addr;
    inet_ntop(j->addr.ss_family, a, j->ip, sizeof j->ip);
}

static void resolve_failed(struct job *j, int status)
{
    char why[sizeof j->target.host + 64];
    snprintf(why, sizeof why, "cannot resolve %s: %s", j->target.host, uv_strerror(status));
    j->resolve_failed = true;
    report_failure(j, PROBE_UNREACHABLE, why);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct job *j = req->data;
    j->resolving = false;
    if (status == UV_ECANCELED || j->reported) { /* abandoned meanwhile */
        uv_freeaddrinfo(res);
        job_release(j);
        return;
    }
    j->open_handles--; /* the resolution is over; the timer still holds the job */
    if (status < 0 || !res) {
        uv_freeaddrinfo(res);
        resolve_failed(j, status < 0 ? status : UV_EAI_NONAME);
        return;
    }
    memcpy(&j->addr, res->ai_addr, res->ai_addrlen);
    uv_freeaddrinfo(res);
    set_port(&j->addr, j->target.port);
    address_to_ip(j);
    const struct engine_config *cfg = j->eng->cfg;
    if (cfg->excluded && cfg->excluded(cfg->excluded_ctx, (const struct sockaddr *)&j->addr)) {
        report_failure(j, PROBE_UNREACHABLE, "resolves to an excluded address (--exclude)");
        return;
    }
    start_probe(j);
}

static void resolve(struct job *j)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
    j->gai.data = j;
    j->resolving = true;
    j->open_handles++; /* a pending resolution holds the job like a handle */
    int rc = uv_getaddrinfo(&j->eng->loop, &j->gai, on_resolved, j->target.host, NULL, &hints);
    if (rc != 0) {
        j->resolving = false;
        j->open_handles--;
        resolve_failed(j, rc);
    }
}

static void job_start(struct engine *eng, const struct target *t)
{
    eng->stats.started++;
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        struct probe_result failed = {.verdict = PROBE_INCONCLUSIVE, .reason = "out of memory"};
        struct engine_outcome o = {.target = t, .ip = "", .result = &failed};
        deliver(eng, &o);
        return;
    }
    j->eng = eng;
    j->target = *t;
    j->transport = t->transport != PROBE_TCP ? t->transport : eng->cfg->transport;
    j->next = eng->jobs;
    if (eng->jobs)
        eng->jobs->prev = j;
    eng->jobs = j;
    eng->in_flight++;
    uv_timer_init(&eng->loop, &j->timer);
    j->timer.data = j;
    j->open_handles = 1;
    j->started = uv_now(&eng->loop);
    if (t->family == 0) {
        resolve(j);
        return;
    }
    /* target_parse has validated the literal. */
    if (t->family == AF_INET)
        (void)uv_ip4_addr(t->host, t->port, (struct sockaddr_in *)&j->addr);
    else
        (void)uv_ip6_addr(t->host, t->port, (struct sockaddr_in6 *)&j->addr);
    address_to_ip(j);
    start_probe(j);
}

/* ---- pacing: new probes start only when a slot is free and the bucket has a token ---- */

static struct job *pop_retry(struct engine *eng)
{
    struct job *j = eng->retry_head;
    eng->retry_head = j->retry_next;
    if (!eng->retry_head)
        eng->retry_tail = NULL;
    j->retry_next = NULL;
    return j;
}

static void retry_probe(struct job *j)
{
    j->eng->stats.retries++;
    probe_free(j->probe);
    j->probe = NULL;
    start_probe(j); /* a fresh probe: a fresh deadline */
}

static bool wants_target(const struct engine *eng)
{
    return !eng->source_done && eng->signals == 0 && eng->in_flight < eng->concurrency;
}

static void close_engine_handles(struct engine *eng)
{
    uv_close((uv_handle_t *)&eng->sigint, NULL);
    uv_close((uv_handle_t *)&eng->sigterm, NULL);
    uv_close((uv_handle_t *)&eng->pace_timer, NULL);
    uv_close((uv_handle_t *)&eng->progress_timer, NULL);
}

/* Retries first: their targets were taken long ago and hold a slot already. */
static void start_jobs(struct engine *eng)
{
    uint64_t now = uv_hrtime();
    while (eng->retry_head && pace_take(&eng->pace, now))
        retry_probe(pop_retry(eng));
    while (wants_target(eng) && pace_take(&eng->pace, now)) {
        struct target t;
        if (!eng->source(eng->source_ctx, &t)) {
            eng->source_done = true; /* the token is lost: only once, at the end */
            break;
        }
        job_start(eng, &t);
    }
    bool waiting = eng->retry_head || wants_target(eng);
    if (waiting && !uv_is_active((uv_handle_t *)&eng->pace_timer)) {
        uint64_t ms = (pace_wait_ns(&eng->pace, uv_hrtime()) + 999999) / 1000000;
        uv_timer_start(&eng->pace_timer, on_pace, ms ? ms : 1, 0);
    }
    bool finished = eng->source_done || eng->signals;
    if (finished && eng->in_flight == 0 && !uv_is_closing((uv_handle_t *)&eng->sigint))
        close_engine_handles(eng);
}

static void on_pace(uv_timer_t *t) { start_jobs(t->data); }

/* ---- progress and statistics ---- */

static void stats_now(const struct engine *eng, struct engine_stats *s)
{
    *s = eng->stats;
    s->in_flight = s->started - s->done;
    s->elapsed_ms = (uv_hrtime() - eng->started_ns) / 1000000;
    s->rate = s->elapsed_ms ? (double)s->done * 1000.0 / (double)s->elapsed_ms : 0.0;
    s->concurrency = eng->concurrency;
}

static void on_progress(uv_timer_t *t)
{
    struct engine *eng = t->data;
    struct engine_stats s;
    stats_now(eng, &s);
    eng->cfg->progress(eng->cfg->progress_ctx, &s);
}

/* ---- signals ---- */

/* A first signal ends the wait of the targets queued for a retry: their last result. */
static void report_retries(struct engine *eng)
{
    while (eng->retry_head) {
        struct job *j = pop_retry(eng);
        report(j, probe_result(j->probe));
        job_close(j);
    }
}

/* First signal: no new probes, those in flight finish. Second: abandon them unreported. */
static void on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    struct engine *eng = s->data;
    if (++eng->signals == 1) {
        report_retries(eng);
        start_jobs(eng);
        return;
    }
    eng->retry_head = eng->retry_tail = NULL; /* they are in eng->jobs too */
    for (struct job *j = eng->jobs, *next; j; j = next) {
        next = j->next;
        j->reported = true;
        if (j->resolving)
            uv_cancel((uv_req_t *)&j->gai);
        job_close(j);
    }
}

/* ---- running ---- */

/* Each probe in flight holds one socket: raise the soft limit when the concurrency needs
 * it (up to the hard one, which needs no privilege), and cap the concurrency to what fits. */
static unsigned fit_fd_limit(unsigned wanted)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return wanted;
    if (rl.rlim_cur < (rlim_t)wanted + FD_RESERVE && rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
        if (rl.rlim_cur == RLIM_INFINITY)
            return wanted;
    }
    rlim_t room = rl.rlim_cur > FD_RESERVE + 1 ? rl.rlim_cur - FD_RESERVE : 1;
    return room < wanted ? (unsigned)room : wanted;
}

static void init_handles(struct engine *eng)
{
    uv_signal_init(&eng->loop, &eng->sigint);
    uv_signal_init(&eng->loop, &eng->sigterm);
    eng->sigint.data = eng->sigterm.data = eng;
    uv_signal_start(&eng->sigint, on_signal, SIGINT);
    uv_signal_start(&eng->sigterm, on_signal, SIGTERM);
    uv_timer_init(&eng->loop, &eng->pace_timer);
    uv_timer_init(&eng->loop, &eng->progress_timer);
    eng->pace_timer.data = eng->progress_timer.data = eng;
    if (eng->cfg->progress)
        uv_timer_start(&eng->progress_timer, on_progress, ENGINE_PROGRESS_MS, ENGINE_PROGRESS_MS);
}

hc_result engine_run_stats(const struct engine_config *cfg, engine_source_fn source,
                           void *source_ctx, engine_result_fn on_result, void *result_ctx,
                           bool *interrupted, struct engine_stats *stats)
{
    HC_ENSURE(cfg->concurrency > 0, HC_ERR_USAGE);
    /* A server that resets while we write must not kill the scan: libuv leaves SIGPIPE on. */
    signal(SIGPIPE, SIG_IGN);
    struct engine *eng = calloc(1, sizeof *eng);
    HC_ENSURE(eng, HC_ERR_NOMEM);
    hc_result r = probe_kit_new(cfg->leak_bytes, &eng->kit);
    eng->certs = tls_cert_cache_new(); /* without it, every certificate is decoded */
    if (!hc_ok(r) || uv_loop_init(&eng->loop) != 0) {
        probe_kit_free(eng->kit);
        tls_cert_cache_free(eng->certs);
        free(eng);
        return hc_ok(r) ? HC_RESULT(HC_ERR_IO) : r;
    }
    eng->cfg = cfg;
    eng->source = source;
    eng->source_ctx = source_ctx;
    eng->on_result = on_result;
    eng->result_ctx = result_ctx;
    eng->concurrency = fit_fd_limit(cfg->concurrency);
    eng->started_ns = uv_hrtime();
    pace_init(&eng->pace, cfg->rate, eng->started_ns);
    init_handles(eng);
    start_jobs(eng);
    uv_run(&eng->loop, UV_RUN_DEFAULT);
    *interrupted = eng->signals > 0;
    if (stats)
        stats_now(eng, stats);
    int rc = uv_loop_close(&eng->loop);
    probe_kit_free(eng->kit);
    tls_cert_cache_free(eng->certs);
    free(eng);
    return rc == 0 ? HC_SUCCESS : HC_RESULT(HC_ERR_LOOP);
}

hc_result engine_run(const struct engine_config *cfg, engine_source_fn source, void *source_ctx,
                     engine_result_fn on_result, void *result_ctx, bool *interrupted)
{
    return engine_run_stats(cfg, source, source_ctx, on_result, result_ctx, interrupted, NULL);
}
