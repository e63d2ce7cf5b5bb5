/* vulnclient: a TLS client that reacts to heartbeats like an OpenSSL 1.0.1f client
 * (CVE-2014-0160), like 1.0.1f carrying the 1.0.1g fix, or like a stack without heartbeats -
 * the test target of `heartcheck clients`. It never completes a handshake.
 *
 * The emulation follows shared/vectors/openssl-1.0.1f-client_tls12_zero-leak-probe.pcap and
 * OpenSSL 1.0.1f's source:
 * - the ClientHello offers TLS 1.2, RSA/DHE/ECDHE suites and the heartbeat extension;
 * - ssl3_connect pushes a 4096-byte buffering BIO for the handshake: an answer that fits in it
 *   stays there and is lost when the client gives up; a larger one flushes it and leaves;
 * - tls1_process_heartbeat answers a plaintext heartbeat in any state after the ServerHello,
 *   copying payload_length bytes (vulnerable: past the record, into fake "memory"), or, with
 *   the 1.0.1g check, dropping one whose payload and 16 bytes of padding exceed the record.
 *
 *   vulnclient --connect HOST:PORT [--mode vulnerable|patched|noheartbeat]
 *              [--starttls PROTO] [--timeout SEC]
 *   vulnclient --replay-pcap FILE [--mode ...]
 *
 * --replay-pcap feeds the server side of a capture (libpcap, Ethernet, IPv4, TCP) to the
 * emulation, without sockets, and compares what it answers with what the real client sent
 * after its ClientHello: record types and lengths, heartbeat payload_length. Exit: 0 ran (or
 * matched), 1 mismatch, 2 error. */
#include "proto/proto.h"
#include "tls/tls.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_VULNERABLE, MODE_PATCHED, MODE_NOHEARTBEAT };

enum {
    HANDSHAKE_BUFFER = 4096, /* BIO_f_buffer's default size in OpenSSL 1.0.1 */
    MAX_ANSWER = 3 + 65535 + 16,
    MAX_OUT = MAX_ANSWER + 8 * TLS_RECORD_HEADER_LEN + HANDSHAKE_BUFFER,
};

/* The emulated client: bytes in, bytes out through the handshake buffer. */
struct client {
    enum mode mode;
    uint8_t pending[HANDSHAKE_BUFFER]; /* the buffering BIO's content */
    size_t pending_len;
    uint8_t *out; /* what leaves for the network since the last take */
    size_t out_len;
    uint8_t *stream; /* TLS bytes not yet consumed as whole records */
    size_t stream_len;
    bool server_hello;
    bool closed; /* gave up: sent a fatal alert */
};

static void emit(struct client *c, const uint8_t *p, size_t n)
{
    if (c->out_len + n > MAX_OUT)
        return; /* cannot happen: one answer at a time is taken */
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* BIO_f_buffer: small writes wait in the buffer; one that does not fit flushes it first and,
 * when still larger than the buffer, goes out directly. */
static void buffered_write(struct client *c, const uint8_t *p, size_t n)
{
    if (c->pending_len + n <= sizeof c->pending) {
        memcpy(c->pending + c->pending_len, p, n);
        c->pending_len += n;
        return;
    }
    emit(c, c->pending, c->pending_len);
    c->pending_len = 0;
    if (n > sizeof c->pending)
        emit(c, p, n);
    else
        buffered_write(c, p, n);
}

/* The process memory a vulnerable copy reads past the request: recognisable fake secrets. */
static uint8_t memory_byte(size_t i)
{
    static const char secret[] = "Cookie: session=vulnclient-secret; password=hunter2\n";
    return (uint8_t)secret[i % (sizeof secret - 1)];
}

/* tls1_process_heartbeat: the response carries payload_length bytes copied from the request
 * and 16 bytes of padding, in records of at most 2^14 bytes (ssl3_write_bytes splits). */
static void answer(struct client *c, uint16_t version, const uint8_t *payload, size_t have,
                   uint16_t claimed)
{
    static uint8_t msg[MAX_ANSWER];
    size_t len = 0;
    msg[len++] = TLS_HEARTBEAT_RESPONSE;
    msg[len++] = (uint8_t)(claimed >> 8);
    msg[len++] = (uint8_t)claimed;
    for (size_t i = 0; i < claimed; i++)
        msg[len++] = i < have ? payload[i] : memory_byte(i - have);
    for (size_t i = 0; i < TLS_HEARTBEAT_MIN_PADDING; i++)
        msg[len++] = (uint8_t)(0xa5 ^ i);
    for (size_t at = 0; at < len; at += TLS_MAX_PLAINTEXT) {
        size_t n = len - at < TLS_MAX_PLAINTEXT ? len - at : TLS_MAX_PLAINTEXT;
        uint8_t hdr[TLS_RECORD_HEADER_LEN] = {TLS_CT_HEARTBEAT, (uint8_t)(version >> 8),
                                              (uint8_t)version, (uint8_t)(n >> 8), (uint8_t)n};
        uint8_t rec[TLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT];
        memcpy(rec, hdr, sizeof hdr);
        memcpy(rec + sizeof hdr, msg + at, n);
        buffered_write(c, rec, sizeof hdr + n);
    }
}

static void fatal_alert(struct client *c, uint16_t version, uint8_t description)
{
    uint8_t rec[16];
    struct wire_writer w = wire_writer_init(rec, sizeof rec);
    tls_alert_write(&w, version, TLS_ALERT_FATAL, description);
    if (hc_ok(wire_writer_result(&w)))
        buffered_write(c, rec, w.len);
    emit(c, c->pending, c->pending_len); /* ssl3_send_alert flushes */
    c->pending_len = 0;
    c->closed = true;
}

static void on_heartbeat(struct client *c, const struct tls_record_header *h,
                         struct wire_reader *body)
{
    if (c->mode == MODE_NOHEARTBEAT) {
        fatal_alert(c, h->version, TLS_ALERT_UNEXPECTED_MESSAGE); /* like OpenSSL 1.1+ */
        return;
    }
    struct tls_heartbeat_header hb;
    if (!hc_ok(tls_heartbeat_header_parse(body, &hb)) || hb.type != TLS_HEARTBEAT_REQUEST)
        return;
    size_t have = wire_remaining(body);
    /* The 1.0.1g fix: "if (1 + 2 + payload + 16 > s->s3->rrec.length) return 0;" */
    if (c->mode == MODE_PATCHED &&
        TLS_HEARTBEAT_HEADER_LEN + (size_t)hb.payload_length + TLS_HEARTBEAT_MIN_PADDING >
            h->length)
        return;
    answer(c, h->version, wire_peek(body), have, hb.payload_length);
}

static void on_record(struct client *c, const struct tls_record_header *h, struct wire_reader *body)
{
    if (h->type == TLS_CT_HANDSHAKE && wire_remaining(body) > 0 &&
        wire_peek(body)[0] == TLS_HS_SERVER_HELLO)
        c->server_hello = true;
    else if (h->type == TLS_CT_ALERT)
        c->closed = true;
    else if (h->type == TLS_CT_HEARTBEAT && c->server_hello)
        on_heartbeat(c, h, body);
}

static bool client_feed(struct client *c, const uint8_t *data, size_t len)
{
    uint8_t *grown = realloc(c->stream, c->stream_len + len);
    if (!grown)
        return false;
    c->stream = grown;
    memcpy(c->stream + c->stream_len, data, len);
    c->stream_len += len;
    struct wire_reader r = wire_reader_init(c->stream, c->stream_len);
    struct tls_record_header h;
    struct wire_reader body;
    hc_result res;
    while (!c->closed && hc_ok(res = tls_record_next(&r, &h, &body)))
        on_record(c, &h, &body);
    if (!c->closed && res.error != HC_ERR_SHORT)
        return false; /* not TLS: a real client gives up too */
    memmove(c->stream, c->stream + r.pos, c->stream_len - r.pos);
    c->stream_len -= r.pos;
    return true;
}

static bool client_hello(uint8_t *buf, size_t cap, size_t *len)
{
    struct tls_client_hello_params p = {
        .version = TLS_VERSION_TLS12,
        .record_version = TLS_VERSION_TLS10,
        .server_name = NULL,
        .with_extensions = true, /* heartbeat mode peer_allowed_to_send, like 1.0.1f */
    };
    if (getentropy(p.random, sizeof p.random) != 0)
        return false;
    struct wire_writer w = wire_writer_init(buf, cap);
    if (!hc_ok(tls_client_hello_write(&w, &p)))
        return false;
    *len = w.len;
    return true;
}

/* ---- over a socket ---- */

struct options {
    const char *connect;
    enum mode mode;
    const struct prelude_desc *starttls;
    int timeout_ms;
    const char *pcap;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads what is there within the deadline: >0 bytes, 0 closed, -1 error or timeout. */
static ssize_t read_some(int fd, uint8_t *buf, size_t cap, uint64_t deadline)
{
    uint64_t now = now_ms();
    if (now >= deadline)
        return -1;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
        return -1;
    return recv(fd, buf, cap, 0);
}

static int dial(const char *spec)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        return -1;
    const char *h = spec;
    size_t hl = (size_t)(colon - spec);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* The client side of the dialogue before TLS; bytes read past it are TLS, left in *rest. */
static bool run_prelude(int fd, const struct prelude_desc *d, uint64_t deadline, uint8_t *rest,
                        size_t *rest_len)
{
    struct prelude *p;
    struct prelude_params params = {.domain = "localhost"};
    if (!hc_ok(prelude_new(d, PRELUDE_CLIENT, &params, &p)))
        return false;
    uint8_t buf[4096];
    bool ok = false;
    *rest_len = 0;
    for (;;) {
        const uint8_t *words;
        size_t len;
        prelude_take_output(p, &words, &len);
        if (len > 0 && !send_all(fd, words, len))
            break;
        enum prelude_status st = prelude_status(p);
        if (st != PRELUDE_WANT_READ) {
            ok = st == PRELUDE_READY;
            if (!ok)
                fprintf(stderr, "vulnclient: %s: %s\n", d->name, prelude_reason(p));
            break;
        }
        ssize_t n = read_some(fd, buf, sizeof buf, deadline);
        if (n <= 0)
            break;
        size_t used = prelude_on_data(p, buf, (size_t)n);
        if (prelude_status(p) == PRELUDE_READY) {
            memcpy(rest, buf + used, (size_t)n - used);
            *rest_len = (size_t)n - used;
        }
    }
    prelude_free(p);
    return ok;
}

static bool take_and_send(int fd, struct client *c)
{
    bool ok = c->out_len == 0 || send_all(fd, c->out, c->out_len);
    c->out_len = 0;
    return ok;
}

static int run_connect(const struct options *o, struct client *c)
{
    int fd = dial(o->connect);
    if (fd < 0) {
        fprintf(stderr, "vulnclient: cannot connect to %s\n", o->connect);
        return 2;
    }
    uint64_t deadline = now_ms() + (uint64_t)o->timeout_ms;
    uint8_t buf[65536];
    size_t rest = 0;
    if (o->starttls && !run_prelude(fd, o->starttls, deadline, buf, &rest)) {
        close(fd);
        return 2;
    }
    uint8_t hello[1100];
    size_t hello_len;
    bool ok = client_hello(hello, sizeof hello, &hello_len) && send_all(fd, hello, hello_len);
    if (ok && rest > 0)
        ok = client_feed(c, buf, rest) && take_and_send(fd, c);
    ssize_t n;
    while (ok && !c->closed && (n = read_some(fd, buf, sizeof buf, deadline)) > 0)
        ok = client_feed(c, buf, (size_t)n) && take_and_send(fd, c);
    take_and_send(fd, c);
    close(fd); /* what is still in the handshake buffer is lost, as in OpenSSL */
    return 0;
}

/* ---- against a capture ---- */

struct segment {
    bool from_client;
    uint8_t *data;
    size_t len;
};

struct capture {
    struct segment *segs;
    size_t count;
    uint16_t client_port;
};

/* Ethernet, IPv4, TCP: the payload and whether the client (the SYN's sender) sent it. */
static void add_packet(struct capture *cap, const uint8_t *p, size_t n)
{
    if (n < 14 + 20 || p[12] != 0x08 || p[13] != 0x00)
        return;
    const uint8_t *ip = p + 14;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = (size_t)ip[2] << 8 | ip[3];
    if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 || total > n - 14 || total < ihl + 20)
        return;
    const uint8_t *tcp = ip + ihl;
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    if (doff < 20 || ihl + doff > total)
        return;
    uint16_t sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
    bool syn_only = (tcp[13] & 0x12) == 0x02;
    if (syn_only && cap->client_port == 0)
        cap->client_port = sport;
    size_t len = total - ihl - doff;
    if (len == 0 || cap->client_port == 0)
        return;
    struct segment *grown = realloc(cap->segs, (cap->count + 1) * sizeof *grown);
    if (!grown)
        return;
    cap->segs = grown;
    struct segment *s = &cap->segs[cap->count];
    s->data = malloc(len);
    if (!s->data)
        return;
    memcpy(s->data, tcp + doff, len);
    s->len = len;
    s->from_client = sport == cap->client_port;
    cap->count++;
}

static bool read_capture(const char *path, struct capture *cap)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) {
        fprintf(stderr, "vulnclient: %s\n", err);
        return false;
    }
    bool ok = pcap_datalink(p) == DLT_EN10MB;
    struct pcap_pkthdr *h;
    const uint8_t *data;
    while (ok && pcap_next_ex(p, &h, &data) == 1)
        add_packet(cap, data, h->caplen);
    pcap_close(p);
    return ok;
}

/* Record type, length and (heartbeats) message type and payload_length, one line each. */
static void describe(const uint8_t *p, size_t n, char *out, size_t cap)
{
    struct wire_reader r = wire_reader_init(p, n);
    struct tls_record_header h;
    struct wire_reader body;
    size_t o = 0;
    out[0] = '\0';
    while (o < cap && hc_ok(tls_record_next(&r, &h, &body))) {
        struct tls_heartbeat_header hb = {0};
        if (h.type == TLS_CT_HEARTBEAT && !hc_ok(tls_heartbeat_header_parse(&body, &hb)))
            hb.type = 0;
        o += (size_t)snprintf(out + o, cap - o, "type %u length %u hb %u/%u\n", h.type, h.length,
                              hb.type, hb.payload_length);
    }
}

static int run_replay(const struct options *o, struct client *c)
{
    struct capture cap = {0};
    int status = 2;
    if (read_capture(o->pcap, &cap)) {
        /* The captured client's bytes after its ClientHello, and what we answer instead. */
        static uint8_t theirs[MAX_OUT], ours[MAX_OUT];
        size_t theirs_len = 0, ours_len = 0;
        bool hello_seen = false;
        for (size_t i = 0; i < cap.count; i++) {
            struct segment *s = &cap.segs[i];
            if (s->from_client && !hello_seen) {
                hello_seen = true;
            } else if (s->from_client && theirs_len + s->len <= sizeof theirs) {
                memcpy(theirs + theirs_len, s->data, s->len);
                theirs_len += s->len;
            } else if (!s->from_client && !c->closed && client_feed(c, s->data, s->len) &&
                       ours_len + c->out_len <= sizeof ours) {
                memcpy(ours + ours_len, c->out, c->out_len);
                ours_len += c->out_len;
                c->out_len = 0;
            }
        }
        static char want[4096], got[4096];
        describe(theirs, theirs_len, want, sizeof want);
        describe(ours, ours_len, got, sizeof got);
        status = strcmp(want, got) == 0 ? 0 : 1;
        printf("captured:\n%semulated:\n%s%s\n", want, got, status ? "MISMATCH" : "match");
    }
    for (size_t i = 0; i < cap.count; i++)
        free(cap.segs[i].data);
    free(cap.segs);
    return status;
}

/* ---- main ---- */

static int usage(void)
{
    fputs("usage: vulnclient --connect HOST:PORT [--mode vulnerable|patched|noheartbeat]\n"
          "                  [--starttls PROTO] [--timeout SEC]\n"
          "       vulnclient --replay-pcap FILE [--mode ...]\n",
          stderr);
    return 2;
}

static bool parse_mode(const char *s, enum mode *out)
{
    static const char *const names[] = {"vulnerable", "patched", "noheartbeat"};
    for (size_t i = 0; i < HC_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum mode)i;
            return true;
        }
    return false;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"connect", required_argument, NULL, 'c'},     {"mode", required_argument, NULL, 'm'},
        {"starttls", required_argument, NULL, 's'},    {"timeout", required_argument, NULL, 't'},
        {"replay-pcap", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0},
    };
    struct options o = {.mode = MODE_VULNERABLE, .timeout_ms = 5000};
    int ch;
    unsigned long secs;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'c': o.connect = optarg; break;
        case 'm':
            if (!parse_mode(optarg, &o.mode))
                return usage();
            break;
        case 's':
            if (!(o.starttls = proto_find(optarg)))
                return usage();
            break;
        case 't':
            if (!hc_parse_uint(optarg, 1, 600, &secs))
                return usage();
            o.timeout_ms = (int)secs * 1000;
            break;
        case 'r': o.pcap = optarg; break;
        default: return usage();
        }
    }
    if (!o.connect == !o.pcap)
        return usage();
    struct client c = {.mode = o.mode, .out = malloc(MAX_OUT)};
    if (!c.out)
        return 2;
    int status = o.pcap ? run_replay(&o, &c) : run_connect(&o, &c);
    free(c.out);
    free(c.stream);
    return status;
}
