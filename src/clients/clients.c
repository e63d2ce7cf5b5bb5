#include "clients/clients.h"

#include "engine/engine.h"
#include "probe/probe.h"
#include "proto/proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

enum {
    READ_BUFFER = 65536,
    LISTEN_BACKLOG = 512,
    EXEC_START_MS = 2000,    /* a client command's start-up, beside its connection's deadline */
    EXEC_COMMAND_MAX = 4096, /* the command after substitution */
    MAX_KEPT = 64,           /* verdicts held for the --exec command's exit status */
};

enum { EXIT_CLEAN = 0, EXIT_VULNERABLE = 1, EXIT_ERROR = 2, EXIT_INCONCLUSIVE = 3 };

struct listener;

/* One client connection. Freed only when both handles have closed (libuv rules). */
struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct listener *owner;
    struct lure *lure;
    struct conn *prev, *next;
    char ip[INET6_ADDRSTRLEN];
    uint16_t port;
    uint64_t started;
    unsigned open_handles;
    bool closing;
};

/* A verdict kept until the --exec command's exit status is known. */
struct kept {
    struct lure_result result; /* leak not kept: dumped at once */
    char ip[INET6_ADDRSTRLEN];
    uint16_t port;
    uint32_t elapsed_ms;
};

struct write_req {
    uv_write_t req;
    uint8_t bytes[]; /* a copy: the lure's output is valid only until its next call */
};

struct listener {
    const struct clients_options *opt;
    uv_loop_t loop;
    uv_tcp_t server;
    uv_timer_t duration;
    uv_signal_t sigint, sigterm;
    uv_process_t child;
    uv_timer_t child_deadline;
    struct probe_kit *kit;
    struct clients_cert cert;
    struct conn *conns;
    unsigned active;
    unsigned results;
    unsigned counts[PROBE_INCONCLUSIVE + 1];
    unsigned refused; /* connections over the cap */
    char listen_name[TARGET_HOST_MAX + 10];
    char host[TARGET_HOST_MAX];
    uint16_t port;
    char command[EXEC_COMMAND_MAX];
    bool child_running, child_exited;
    int child_status;
    struct kept *kept;
    size_t kept_count;
    bool handles_ready; /* server, timers and signals initialised */
    bool stopping;
    bool error;
    int dump_fd;
    uint8_t read_buffer[READ_BUFFER]; /* shared: each read is handled before the next */
};

static void stop(struct listener *L);

/* The loop ends once stopping and nothing is left in flight. */
static void maybe_end(struct listener *L)
{
    if (L->stopping && L->active == 0 && !L->child_running)
        uv_stop(&L->loop);
}

/* ---- results ---- */

/* One text header line per client, then the raw bytes, as scan's --dump does. */
static void dump_leak(struct listener *L, const struct conn *c, const struct lure_result *r)
{
    if (L->dump_fd < 0 || !r->leak || r->evidence.leaked_bytes == 0)
        return;
    char head[256];
    snprintf(head, sizeof head, "client=%s port=%u bytes=%zu", c->ip, c->port,
             r->evidence.leaked_bytes);
    report_dump_leak(L->dump_fd, head, r->leak, r->evidence.leaked_bytes);
}

static void print_finding(struct listener *L, const struct lure_result *r, const char *ip,
                          uint16_t port, uint32_t elapsed_ms)
{
    struct client_finding f = {
        .ip = ip,
        .port = port,
        .listen = L->listen_name,
        .elapsed_ms = elapsed_ms,
        .exec = L->opt->exec ? L->command : NULL,
        .exec_exited = L->child_exited,
        .exec_status = L->child_status,
        .result = r,
    };
    L->opt->format->finding(stdout, &f, &L->opt->report);
}

static void count(struct listener *L, enum probe_verdict v)
{
    if ((unsigned)v < HC_ARRAY_LEN(L->counts))
        L->counts[v]++;
    L->results++;
}

static void keep(struct listener *L, const struct conn *c, const struct lure_result *r,
                 uint32_t elapsed)
{
    if (L->kept_count == MAX_KEPT)
        return; /* counted, not printed: one command makes a handful of connections */
    struct kept *k = &L->kept[L->kept_count++];
    k->result = *r;
    k->result.leak = NULL;
    snprintf(k->ip, sizeof k->ip, "%s", c->ip);
    k->port = c->port;
    k->elapsed_ms = elapsed;
}

static void report(struct listener *L, struct conn *c)
{
    const struct lure_result *r = lure_result(c->lure);
    uint32_t elapsed = (uint32_t)(uv_now(&L->loop) - c->started);
    count(L, r->verdict);
    dump_leak(L, c, r);
    if (L->opt->exec)
        keep(L, c, r, elapsed); /* printed with the command's exit status */
    else
        print_finding(L, r, c->ip, c->port, elapsed);
    unsigned limit = L->opt->once ? 1 : L->opt->max_clients;
    if (limit && L->results >= limit)
        stop(L);
}

/* ---- connections ---- */

static void conn_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    struct listener *L = c->owner;
    lure_free(c->lure);
    free(c);
    L->active--;
    maybe_end(L);
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    struct listener *L = c->owner;
    if (c->prev)
        c->prev->next = c->next;
    else
        L->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void write_done(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows as a closed or reset connection on read */
    free(req->data);
}

static void send_bytes(struct conn *c, const uint8_t *data, size_t len)
{
    struct write_req *w = malloc(sizeof *w + len);
    if (!w) {
        conn_close(c);
        return;
    }
    memcpy(w->bytes, data, len);
    w->req.data = w;
    uv_buf_t buf = uv_buf_init((char *)w->bytes, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, write_done) != 0) {
        free(w);
        conn_close(c);
    }
}

static void on_timer(uv_timer_t *t);

/* After every event: write what the lure says, report and close when it is done, else
 * sleep until it wants the clock. */
static void pump(struct conn *c)
{
    const uint8_t *data;
    size_t len;
    for (lure_take_output(c->lure, &data, &len); len > 0 && !c->closing;
         lure_take_output(c->lure, &data, &len))
        send_bytes(c, data, len);
    if (c->closing)
        return;
    if (lure_done(c->lure)) {
        report(c->owner, c);
        conn_close(c);
        return;
    }
    uint64_t now = uv_now(&c->owner->loop);
    uint64_t at = lure_wakeup_at(c->lure);
    uv_timer_start(&c->timer, on_timer, at > now ? at - now : 0, 0);
}

static void on_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    lure_on_tick(c->lure, uv_now(&c->owner->loop));
    pump(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct conn *c = h->data;
    *buf = uv_buf_init((char *)c->owner->read_buffer, READ_BUFFER);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    uint64_t now = uv_now(&c->owner->loop);
    if (n > 0)
        lure_on_data(c->lure, now, (const uint8_t *)buf->base, (size_t)n);
    else if (n < 0)
        lure_on_closed(c->lure, now, n == UV_ECONNRESET);
    if (n != 0)
        pump(c);
}

static void peer_name(struct conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    c->ip[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, c->ip, sizeof c->ip);
        c->port = ntohs(a->sin6_port);
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        uv_ip4_name(a, c->ip, sizeof c->ip);
        c->port = ntohs(a->sin_port);
    }
}

static void close_unwanted(uv_handle_t *h) { free(h); }

/* Accepted and closed at once: a flood must not cost more than the cap allows. */
static void refuse(struct listener *L)
{
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t)
        return;
    uv_tcp_init(&L->loop, t);
    if (uv_accept((uv_stream_t *)&L->server, (uv_stream_t *)t) == 0)
        L->refused++;
    uv_close((uv_handle_t *)t, close_unwanted);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct listener *L = server->data;
    if (status < 0)
        return; /* EMFILE and the like: the next connection may fare better */
    if (L->stopping || L->active >= L->opt->max_connections) {
        refuse(L);
        return;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        refuse(L);
        return;
    }
    c->owner = L;
    c->tcp.data = c;
    c->timer.data = c;
    uv_tcp_init(&L->loop, &c->tcp);
    uv_timer_init(&L->loop, &c->timer);
    c->open_handles = 2;
    L->active++;
    c->next = L->conns;
    if (L->conns)
        L->conns->prev = c;
    L->conns = c;
    c->started = uv_now(&L->loop);
    struct lure_config cfg = {
        .kit = L->kit,
        .prelude = L->opt->proto,
        .prelude_domain = L->opt->name,
        .cert_der = L->cert.der,
        .cert_len = L->cert.len,
        .cert_rsa = L->cert.rsa,
        .timeout_ms = L->opt->timeout_ms,
        .followup_ms = L->opt->followup_ms,
    };
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        !hc_ok(lure_new(&cfg, c->started, &c->lure))) {
        conn_close(c);
        return;
    }
    peer_name(c);
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    pump(c);
}

/* ---- the --exec command ---- */

static void close_quietly(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_child_exit(uv_process_t *p, int64_t status, int signal)
{
    struct listener *L = p->data;
    L->child_running = false;
    L->child_exited = true;
    L->child_status = signal ? 128 + signal : (int)status;
    close_quietly((uv_handle_t *)p);
    close_quietly((uv_handle_t *)&L->child_deadline);
    stop(L); /* its connections are closed or close now: each gets its verdict */
    maybe_end(L);
}

static void on_child_deadline(uv_timer_t *t)
{
    struct listener *L = t->data;
    if (L->child_running)
        uv_process_kill(&L->child, SIGKILL);
}

static bool start_child(struct listener *L)
{
    if (!hc_ok(clients_exec_expand(L->opt->exec, L->host, L->port,
                                   L->opt->proto ? L->opt->proto->name : NULL, L->command,
                                   sizeof L->command))) {
        fprintf(stderr, "heartcheck: --exec: the command is too long\n");
        return false;
    }
    char *args[] = {"/bin/sh", "-c", L->command, NULL};
    /* The client's own output would mix with ours: it goes to /dev/null. */
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_IGNORE}};
    uv_process_options_t po = {
        .file = args[0], .args = args, .exit_cb = on_child_exit, .stdio = stdio, .stdio_count = 3};
    L->child.data = L;
    int rc = uv_spawn(&L->loop, &L->child, &po);
    if (rc != 0) {
        fprintf(stderr, "heartcheck: --exec: %s\n", uv_strerror(rc));
        return false;
    }
    L->child_running = true;
    uv_timer_init(&L->loop, &L->child_deadline);
    L->child_deadline.data = L;
    uv_timer_start(&L->child_deadline, on_child_deadline, L->opt->timeout_ms + EXEC_START_MS, 0);
    return true;
}

static void print_kept(struct listener *L)
{
    for (size_t i = 0; i < L->kept_count; i++)
        print_finding(L, &L->kept[i].result, L->kept[i].ip, L->kept[i].port, L->kept[i].elapsed_ms);
    if (L->results > 0 || !L->child_exited)
        return;
    struct lure_result none = {.verdict = PROBE_INCONCLUSIVE};
    snprintf(none.reason, sizeof none.reason,
             "the command made no connection (exit status %d): no client to judge",
             L->child_status);
    count(L, PROBE_INCONCLUSIVE);
    print_finding(L, &none, "", 0, 0);
}

/* ---- start and stop ---- */

static void stop(struct listener *L)
{
    if (L->stopping)
        return;
    L->stopping = true;
    close_quietly((uv_handle_t *)&L->server);
    close_quietly((uv_handle_t *)&L->duration);
    close_quietly((uv_handle_t *)&L->sigint);
    close_quietly((uv_handle_t *)&L->sigterm);
    if (L->child_running)
        uv_process_kill(&L->child, SIGTERM); /* its exit ends the loop */
    /* Connections still in flight after --once or --max-clients are not waited for. */
    for (struct conn *c = L->conns, *next; c; c = next) {
        next = c->next;
        if (L->opt->exec && !L->child_running && !lure_done(c->lure)) {
            /* The command has ended: its connections end now, each with a verdict. */
            lure_on_closed(c->lure, uv_now(&L->loop), false);
            if (lure_done(c->lure))
                report(L, c);
        }
        conn_close(c);
    }
    maybe_end(L);
}

static void on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    stop(s->data);
}

static void on_duration(uv_timer_t *t) { stop(t->data); }

static bool bind_listener(struct listener *L)
{
    struct target t;
    char err[256];
    if (!hc_ok(target_parse(L->opt->listen, 8443, &t, err, sizeof err)) || t.family == 0) {
        fprintf(stderr, "heartcheck: --listen '%s': an address and port are needed (%s)\n",
                L->opt->listen, t.family == 0 ? "not an IP address" : err);
        return false;
    }
    struct sockaddr_storage ss;
    int rc = t.family == AF_INET6 ? uv_ip6_addr(t.host, t.port, (struct sockaddr_in6 *)&ss)
                                  : uv_ip4_addr(t.host, t.port, (struct sockaddr_in *)&ss);
    if (rc == 0)
        rc = uv_tcp_bind(&L->server, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&L->server, LISTEN_BACKLOG, on_connection);
    if (rc != 0) {
        fprintf(stderr, "heartcheck: cannot listen on %s: %s\n", L->opt->listen, uv_strerror(rc));
        return false;
    }
    snprintf(L->host, sizeof L->host, "%s", t.host);
    L->port = t.port;
    bool v6 = t.family == AF_INET6;
    snprintf(L->listen_name, sizeof L->listen_name, "%s%s%s:%u", v6 ? "[" : "", t.host,
             v6 ? "]" : "", t.port);
    return true;
}

static bool load_cert(struct listener *L)
{
    const struct clients_options *o = L->opt;
    char err[512] = "";
    hc_result r = o->cert_path
                      ? clients_cert_load(o->cert_path, o->key_path, &L->cert, err, sizeof err)
                      : clients_cert_make(o->name, &L->cert);
    if (!hc_ok(r))
        fprintf(stderr, "heartcheck: certificate: %s\n", *err ? err : hc_error_message(r.error));
    else if (L->cert.len > TLS_MAX_PLAINTEXT - 1024)
        fprintf(stderr, "heartcheck: certificate: %zu bytes, more than one record holds\n",
                L->cert.len);
    else
        return true;
    return false;
}

static bool start(struct listener *L)
{
    const struct clients_options *o = L->opt;
    uv_tcp_init(&L->loop, &L->server);
    L->server.data = L;
    uv_timer_init(&L->loop, &L->duration);
    L->duration.data = L;
    uv_signal_init(&L->loop, &L->sigint);
    uv_signal_init(&L->loop, &L->sigterm);
    L->sigint.data = L->sigterm.data = L;
    L->handles_ready = true;
    if (!bind_listener(L))
        return false;
    uv_update_time(&L->loop); /* making the key took a while: timers start from now */
    uv_signal_start(&L->sigint, on_signal, SIGINT);
    uv_signal_start(&L->sigterm, on_signal, SIGTERM);
    if (o->duration_ms)
        uv_timer_start(&L->duration, on_duration, o->duration_ms, 0);
    if (!o->quiet)
        fprintf(stderr, "heartcheck: listening on %s%s%s\n", L->listen_name,
                o->proto ? ", protocol " : "", o->proto ? o->proto->name : "");
    return !o->exec || start_child(L);
}

static int exit_status(const struct listener *L)
{
    if (L->error)
        return EXIT_ERROR;
    if (L->counts[PROBE_VULNERABLE])
        return EXIT_VULNERABLE;
    if (L->results > 0 && L->counts[PROBE_INCONCLUSIVE] == L->results)
        return EXIT_INCONCLUSIVE;
    return EXIT_CLEAN;
}

static void summary(const struct listener *L)
{
    if (L->opt->quiet)
        return;
    fprintf(stderr, "heartcheck: %u client%s", L->results, L->results == 1 ? "" : "s");
    const char *sep = ": ";
    for (unsigned v = 0; v < HC_ARRAY_LEN(L->counts); v++) {
        if (!L->counts[v])
            continue;
        fprintf(stderr, "%s%u %s", sep, L->counts[v], probe_verdict_name((enum probe_verdict)v));
        sep = ", ";
    }
    if (L->refused)
        fprintf(stderr, "; %u connection%s refused over the limit of %u", L->refused,
                L->refused == 1 ? "" : "s", L->opt->max_connections);
    fputc('\n', stderr);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    close_quietly(h);
}

int clients_run(const struct clients_options *o)
{
    struct listener *L = calloc(1, sizeof *L);
    if (!L)
        return EXIT_ERROR;
    L->opt = o;
    L->dump_fd = -1;
    L->kept = o->exec ? calloc(MAX_KEPT, sizeof *L->kept) : NULL;
    bool ready = (!o->exec || L->kept) && uv_loop_init(&L->loop) == 0;
    bool looped = ready;
    ready = ready && (!o->dump_path || (L->dump_fd = report_dump_open(o->dump_path)) >= 0);
    ready = ready && hc_ok(probe_kit_new(o->leak_bytes, &L->kit)) && load_cert(L);
    if (ready && start(L)) {
        uv_run(&L->loop, UV_RUN_DEFAULT);
        print_kept(L);
    } else {
        L->error = true;
    }
    summary(L);
    int status = exit_status(L);
    if (looped) {
        if (L->handles_ready)
            stop(L);
        uv_walk(&L->loop, close_walk, NULL);
        /* A uv_stop from stop() makes the first run return at once (and clears it); the
         * second runs the close callbacks. */
        for (int i = 0; i < 2 && uv_run(&L->loop, UV_RUN_DEFAULT) != 0; i++)
            continue;
        if (uv_loop_close(&L->loop) != 0)
            status = EXIT_ERROR;
    }
    if (L->dump_fd >= 0)
        close(L->dump_fd);
    probe_kit_free(L->kit);
    clients_cert_free(&L->cert);
    free(L->kept);
    free(L);
    return status;
}
