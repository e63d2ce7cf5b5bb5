/* vulnserver: a TLS server that reacts to heartbeats like OpenSSL 1.0.1f (CVE-2014-0160), like
 * 1.0.1f carrying the 1.0.1g fix, or like a stack without heartbeats - up to and including
 * that reaction. It never completes a handshake, so it needs a certificate but no key.
 *
 * The emulation follows the captures in shared/vectors and OpenSSL 1.0.1f's source:
 * - ssl3_accept pushes a buffering BIO (BIO_f_buffer) for the whole handshake: every record is
 *   written through it, and its content is lost when the connection closes (bio_write);
 * - tls1_process_heartbeat copies payload_length bytes without checking them against the
 *   record (answer_heartbeat reads from a fake heap: the record, then fake secret data);
 * - ssl3_read_bytes answers a heartbeat at any time after the ServerHello, then returns
 *   "retry read": s_server gives up on the connection, nginx waits for new bytes (pump).
 *
 * With --starttls the server side of a protocol's dialogue (src/proto) comes first, so the
 * same emulation stands behind SMTP, IMAP, PostgreSQL, MySQL... as it did in 2014.
 *
 * With --openvpn tcp|udp the same TLS runs inside OpenVPN's control channel (src/ovpn, server
 * role, no tls-auth), as in an OpenVPN server linked with 1.0.1f: the TLS bytes go through
 * the channel in both directions, and a close waits until the peer has acknowledged them.
 * Over UDP one socket serves every peer, a session per address, opened by a hard reset;
 * nothing is retransmitted (a test target on loopback loses no datagram).
 *
 * One libuv loop serves every connection; each connection is a small state machine over its
 * input buffer. Usage: see usage() below. */
#include "ovpn/ovpn.h"
#include "proto/proto.h"
#include "tls/tls.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

enum mode { MODE_VULNERABLE, MODE_PATCHED, MODE_NOHEARTBEAT };
enum style { STYLE_SSERVER, STYLE_NGINX };

enum {
    IDLE_TIMEOUT_MS = 30000,
    READ_CHUNK = 65536,
    /* nginx reads ahead; at most this much unprocessed input is kept per connection. */
    IN_MAX = 4 * (TLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT),
    /* Input is not processed while this much output waits for a slow reader. */
    OUT_MAX = 1 << 20,
    /* The fake heap holds at least the 3 + 65535 bytes a heartbeat header can claim. */
    FAKE_SECRET_LEN = 65536 + 16,
    MAX_HEARTBEAT_MESSAGE = TLS_HEARTBEAT_HEADER_LEN + 65535 + TLS_HEARTBEAT_MIN_PADDING,
    MAX_CLIENT_HELLO = 16384, /* ssl3_get_client_hello: SSL3_RT_MAX_PLAIN_LENGTH */
    ALERT_RECORD_OVERFLOW = 22,
    LISTEN_BACKLOG = 4096,
    MIN_FDS = 4096 + 64,
    /* --addr / --addr-range: at most this many listening addresses in all. */
    MAX_ADDRS = 1 << 20,
    /* --port 0 with several addresses: ports tried until one is free on all of them. */
    PORT_ATTEMPTS = 32,
};

struct options {
    unsigned port;
    struct sockaddr_storage *addrs; /* where to listen, all on the same port */
    size_t addr_count, addr_cap;
    bool addr_given; /* the first --addr or --addr-range replaces the default */
    const char *cert;
    enum mode mode;
    size_t wbuf;
    enum style style;
    uint16_t min_version;
    uint16_t max_version;
    uint64_t delay_ms;
    bool heartbeat_ext;
    const struct prelude_desc *starttls; /* the dialogue clients go through before TLS */
    bool refuse_tls;                     /* ... which ends in a refusal instead */
    bool openvpn;                        /* --openvpn tcp|udp */
    enum ovpn_framing openvpn_framing;
};

struct conn;

struct server {
    uv_loop_t loop;
    uv_tcp_t *listeners; /* one per address; the first listener_count are open */
    size_t listener_count;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    struct options opt;
    uint8_t *cert_der;
    size_t cert_len;
    struct conn *conns; /* every live connection, to close them all on SIGTERM */
    uv_udp_t udp;       /* --openvpn udp: the one socket, instead of the listeners */
    bool udp_open;
};

enum conn_state { ST_HELLO, ST_FLIGHT_SENT, ST_CLOSING };

/* One socket write, or the close after the last one, held until it is due (--delay-ms). */
struct out_chunk {
    uv_write_t req;
    struct out_chunk *next;
    struct conn *conn;
    uint64_t due;
    bool close;
    size_t len;
    uint8_t data[];
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    uv_timer_t delay;
    uv_shutdown_t shutdown_req;
    struct server *srv;
    struct conn *prev, *next;
    enum conn_state state;
    bool destroying;
    bool reading;
    bool paused;  /* too much output waiting: neither read nor process */
    bool arrival; /* nginx: new bytes arrived since the last post-flight record */
    int open_handles;
    uint8_t *in;
    size_t in_len, in_cap;
    struct tls_handshake_buffer hs;
    uint16_t version; /* negotiated; the record version of everything we send */
    uint8_t *wbuf_mem;
    struct wire_writer wbuf; /* the BIO_f_buffer content */
    struct out_chunk *delayed_head, *delayed_tail;
    size_t delayed_bytes;
    struct prelude *prelude; /* --starttls: the server side of the dialogue, until TLS */
    struct ovpn *ovpn;       /* --openvpn: the control channel around the TLS bytes */
    bool udp;                /* --openvpn udp: datagrams to peer on the server's socket */
    struct sockaddr_storage peer;
    bool ovpn_closing; /* close once the peer has acknowledged every TLS byte */
};

/* Single-threaded: one scratch area for reads and one for building records. */
static uint8_t read_scratch[READ_CHUNK];
static uint8_t record_scratch[TLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT];
static uint8_t fake_secret[FAKE_SECRET_LEN];

static void conn_destroy(struct conn *c);
static void pump(struct conn *c);
static void update_reading(struct conn *c);

/* ---- output: delayed socket writes ---- */

static bool output_full(struct conn *c)
{
    return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) + c->delayed_bytes > OUT_MAX;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    struct conn *c = req->handle->data;
    if (!c->destroying)
        conn_destroy(c);
}

/* s_server's SHUTDOWN(): shutdown(SHUT_WR) then close at once; input we never read makes the
 * kernel answer the close with RST, as the captures show (FIN, then RST). The two calls must
 * follow each other closely: once the client's FIN has come back, close() sends no RST. So
 * when all our bytes are with the kernel, do both now; else uv_shutdown waits for them. */
static void close_socket(struct conn *c)
{
    uv_os_fd_t fd;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0 &&
        uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0) {
        shutdown(fd, SHUT_WR);
        conn_destroy(c);
    } else if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        conn_destroy(c);
    }
}

static void on_write(uv_write_t *req, int status)
{
    struct out_chunk *chunk = req->data;
    struct conn *c = chunk->conn;
    free(chunk);
    if (c->destroying)
        return;
    if (status < 0) {
        conn_destroy(c);
        return;
    }
    if (c->paused && !output_full(c)) {
        c->paused = false;
        pump(c);
        update_reading(c);
    }
}

/* --openvpn udp: one packet, one datagram; the close just forgets the peer. */
static void start_datagram(struct conn *c, struct out_chunk *chunk)
{
    uv_buf_t buf = uv_buf_init((char *)chunk->data, (unsigned)chunk->len);
    bool close = chunk->close;
    if (!close)
        (void)uv_udp_try_send(&c->srv->udp, &buf, 1, (const struct sockaddr *)&c->peer);
    free(chunk);
    if (close)
        conn_destroy(c);
}

static void start_chunk(struct conn *c, struct out_chunk *chunk)
{
    if (c->udp) {
        start_datagram(c, chunk);
        return;
    }
    if (chunk->close) {
        free(chunk);
        close_socket(c);
        return;
    }
    chunk->req.data = chunk;
    uv_buf_t buf = uv_buf_init((char *)chunk->data, (unsigned)chunk->len);
    if (uv_write(&chunk->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) != 0) {
        free(chunk);
        conn_destroy(c);
    }
}

static void on_delay(uv_timer_t *t)
{
    struct conn *c = t->data;
    uint64_t now = uv_now(&c->srv->loop);
    while (c->delayed_head && c->delayed_head->due <= now && !c->destroying) {
        struct out_chunk *chunk = c->delayed_head;
        c->delayed_head = chunk->next;
        if (!c->delayed_head)
            c->delayed_tail = NULL;
        c->delayed_bytes -= chunk->len;
        start_chunk(c, chunk);
    }
    if (c->delayed_head && !c->destroying)
        uv_timer_start(&c->delay, on_delay, c->delayed_head->due - now, 0);
}

/* Hands bytes (or the close, when p is NULL) to the socket, --delay-ms after now: like a
 * distant host, without ever blocking the loop. */
static void emit_raw(struct conn *c, const uint8_t *p, size_t n)
{
    if (c->destroying)
        return;
    struct out_chunk *chunk = malloc(sizeof *chunk + n);
    if (!chunk) {
        conn_destroy(c);
        return;
    }
    *chunk = (struct out_chunk){.conn = c, .close = (p == NULL), .len = n};
    struct wire_writer w = wire_writer_init(chunk->data, n);
    wire_write_bytes(&w, p, n);
    if (c->srv->opt.delay_ms == 0 && !c->delayed_head) {
        start_chunk(c, chunk);
        return;
    }
    chunk->due = uv_now(&c->srv->loop) + c->srv->opt.delay_ms;
    if (c->delayed_tail)
        c->delayed_tail->next = chunk;
    else
        c->delayed_head = chunk;
    c->delayed_tail = chunk;
    c->delayed_bytes += n;
    if (!uv_is_active((uv_handle_t *)&c->delay))
        uv_timer_start(&c->delay, on_delay, c->srv->opt.delay_ms, 0);
}

/* ---- --openvpn: TLS bytes in OpenVPN control packets ---- */

/* Writes the packets the channel has for the peer (acks, resets, TLS bytes as its window
 * allows); the deferred close leaves after the last acknowledgement. */
static void ovpn_flush(struct conn *c)
{
    const uint8_t *pkt;
    size_t len;
    for (;;) {
        ovpn_take_output(c->ovpn, uv_now(&c->srv->loop), &pkt, &len);
        if (len == 0 || c->destroying)
            break;
        emit_raw(c, pkt, len);
    }
    if (c->ovpn_closing && ovpn_all_acked(c->ovpn) && !c->destroying) {
        c->ovpn_closing = false;
        emit_raw(c, NULL, 0);
    }
}

static void emit(struct conn *c, const uint8_t *p, size_t n)
{
    if (!c->ovpn) {
        emit_raw(c, p, n);
        return;
    }
    if (!p)
        c->ovpn_closing = true;
    else if (!hc_ok(ovpn_send(c->ovpn, p, n))) {
        conn_destroy(c);
        return;
    }
    ovpn_flush(c);
}

static bool append_input(struct conn *c, const uint8_t *p, size_t n);

static void ovpn_tls_in(void *ctx, const uint8_t *data, size_t len)
{
    struct conn *c = ctx;
    if (c->state != ST_CLOSING && !append_input(c, data, len))
        conn_destroy(c);
}

/* Socket bytes: acks are read even while closing, for the close waits for them. */
static bool ovpn_read(struct conn *c, const uint8_t *data, size_t len)
{
    if (!hc_ok(ovpn_on_data(c->ovpn, data, len, ovpn_tls_in, c)))
        return false;
    if (!c->destroying)
        ovpn_flush(c);
    return true;
}

/* ---- the handshake write buffer: BIO_f_buffer's buffer_write, exactly ---- */

static void bio_flush(struct conn *c)
{
    if (c->wbuf.len > 0)
        emit(c, c->wbuf.buf, c->wbuf.len);
    c->wbuf = wire_writer_init(c->wbuf_mem, c->srv->opt.wbuf);
}

/* What fits in the free space is only buffered. Otherwise the buffer is filled up and
 * flushed, a remainder of at least the buffer size is written directly, and the rest is
 * buffered. So a heartbeat answer smaller than the buffer never leaves unless something
 * flushes it - and nothing does before the connection closes. */
static void bio_write(struct conn *c, const uint8_t *p, size_t n)
{
    struct wire_writer *b = &c->wbuf;
    size_t room = b->cap - b->len;
    if (n <= room) {
        wire_write_bytes(b, p, n);
        return;
    }
    if (b->len > 0) {
        wire_write_bytes(b, p, room);
        p += room;
        n -= room;
        bio_flush(c);
    }
    if (n >= b->cap) {
        emit(c, p, n);
        return;
    }
    wire_write_bytes(b, p, n);
}

/* ssl3_write_bytes: records of at most max_send_fragment (16384) bytes, each written through
 * the buffer on its own. */
static void write_records(struct conn *c, uint8_t type, const uint8_t *data, size_t len)
{
    size_t off = 0;
    do {
        size_t n = len - off < TLS_MAX_PLAINTEXT ? len - off : TLS_MAX_PLAINTEXT;
        struct wire_writer w = wire_writer_init(record_scratch, sizeof record_scratch);
        struct wire_mark rec = tls_record_open(&w, type, c->version);
        wire_write_bytes(&w, data + off, n);
        wire_close(&w, rec);
        bio_write(c, record_scratch, w.len);
        off += n;
    } while (off < len && !c->destroying);
}

/* ---- connection life ---- */

static void on_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    struct server *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    while (c->delayed_head) {
        struct out_chunk *chunk = c->delayed_head;
        c->delayed_head = chunk->next;
        free(chunk);
    }
    tls_handshake_buffer_free(&c->hs);
    prelude_free(c->prelude);
    ovpn_free(c->ovpn);
    hc_free_secret(c->in, c->in_cap);
    hc_free_secret(c->wbuf_mem, srv->opt.wbuf);
    free(c);
}

/* Closes at once; queued and buffered output is dropped. Frees in the close callbacks. */
static void conn_destroy(struct conn *c)
{
    if (c->destroying)
        return;
    c->destroying = true;
    c->state = ST_CLOSING;
    c->open_handles = 3;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->idle, on_handle_closed);
    uv_close((uv_handle_t *)&c->delay, on_handle_closed);
}

/* The server gives up: what sits in the write buffer is lost (OpenSSL never flushes the
 * handshake buffer on an error path), what was written leaves, then FIN. */
static void conn_finish(struct conn *c)
{
    if (c->state == ST_CLOSING)
        return;
    c->state = ST_CLOSING;
    c->wbuf = wire_writer_init(c->wbuf_mem, c->srv->opt.wbuf);
    if (c->reading && !c->ovpn) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    emit(c, NULL, 0);
}

/* ssl3_send_alert -> ssl3_dispatch_alert: the alert goes through the buffer and a fatal one
 * is flushed at once (with whatever was buffered before it). */
static void send_fatal_alert(struct conn *c, uint16_t version, uint8_t description)
{
    uint8_t buf[TLS_RECORD_HEADER_LEN + 2];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    tls_alert_write(&w, version, TLS_ALERT_FATAL, description);
    if (hc_ok(wire_writer_result(&w))) {
        bio_write(c, buf, w.len);
        bio_flush(c);
    }
    conn_finish(c);
}

/* ---- the ClientHello and the server's flight ---- */

static bool random_bytes(uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

/* What 1.0.1f s_server picked in the captures: the client's first suite with RSA key
 * exchange (no ServerKeyExchange to sign) that the version allows. */
static const struct tls_cipher_suite *choose_suite(const struct tls_client_hello *ch,
                                                   uint16_t version)
{
    size_t n =
        ch->cipher_count < TLS_MAX_CLIENT_CIPHERS ? ch->cipher_count : TLS_MAX_CLIENT_CIPHERS;
    for (size_t i = 0; i < n; i++) {
        const struct tls_cipher_suite *s = tls_cipher_suite_find(ch->ciphers[i]);
        if (s && s->rsa_kx && (!s->tls12_only || version == TLS_VERSION_TLS12))
            return s;
    }
    return NULL;
}

static bool server_hello_params(const struct conn *c, const struct tls_client_hello *ch,
                                uint16_t suite, struct tls_server_hello_params *p)
{
    const struct options *opt = &c->srv->opt;
    *p = (struct tls_server_hello_params){.version = c->version, .cipher_suite = suite};
    /* ssl_fill_hello_random: gmt_unix_time, then 28 random bytes. */
    uint32_t now = (uint32_t)time(NULL);
    struct wire_writer r = wire_writer_init(p->random, sizeof p->random);
    wire_write_u16(&r, (uint16_t)(now >> 16));
    wire_write_u16(&r, (uint16_t)now);
    p->session_id_len = TLS_MAX_SESSION_ID;
    /* 1.0.1f sends no extensions at all on SSLv3; a stack without heartbeats never
     * acknowledges the extension. */
    p->heartbeat = ch->heartbeat && c->version > TLS_VERSION_SSL3 && opt->heartbeat_ext &&
                   opt->mode != MODE_NOHEARTBEAT;
    return random_bytes(p->random + 4, sizeof p->random - 4) &&
           random_bytes(p->session_id, TLS_MAX_SESSION_ID);
}

/* Builds one handshake message with build() and writes it as records through the buffer. */
static bool write_handshake(struct conn *c, size_t cap,
                            void (*build)(struct wire_writer *, const void *), const void *arg)
{
    uint8_t *msg = malloc(cap);
    if (!msg)
        return false;
    struct wire_writer w = wire_writer_init(msg, cap);
    build(&w, arg);
    bool ok = hc_ok(wire_writer_result(&w));
    if (ok)
        write_records(c, TLS_CT_HANDSHAKE, msg, w.len);
    free(msg);
    return ok;
}

static void build_server_hello(struct wire_writer *w, const void *arg)
{
    tls_server_hello_write(w, arg);
}

static void build_certificate(struct wire_writer *w, const void *arg)
{
    const struct server *srv = arg;
    tls_certificate_write(w, srv->cert_der, srv->cert_len);
}

static void build_server_hello_done(struct wire_writer *w, const void *arg)
{
    (void)arg;
    struct wire_mark m = tls_handshake_open(w, TLS_HS_SERVER_HELLO_DONE);
    wire_close(w, m);
}

/* ServerHello, Certificate, ServerHelloDone - three records, flushed together at the end of
 * the flight (ssl3_accept's SSL3_ST_SW_FLUSH), so they leave in one write. */
static void send_flight(struct conn *c, const struct tls_client_hello *ch, uint16_t suite)
{
    struct tls_server_hello_params sh;
    size_t cert_msg = TLS_HANDSHAKE_HEADER_LEN + 6 + c->srv->cert_len;
    bool ok = server_hello_params(c, ch, suite, &sh) &&
              write_handshake(c, 128, build_server_hello, &sh) &&
              write_handshake(c, cert_msg, build_certificate, c->srv) &&
              write_handshake(c, TLS_HANDSHAKE_HEADER_LEN, build_server_hello_done, NULL);
    if (!ok) {
        conn_destroy(c);
        return;
    }
    bio_flush(c);
    c->state = ST_FLIGHT_SENT;
}

static void answer_client_hello(struct conn *c, const struct tls_client_hello *ch)
{
    const struct options *opt = &c->srv->opt;
    uint16_t version = ch->version < opt->max_version ? ch->version : opt->max_version;
    if (version < opt->min_version) {
        /* ssl3_get_client_hello answers with the client's own version in the record. */
        send_fatal_alert(c, ch->version, TLS_ALERT_PROTOCOL_VERSION);
        return;
    }
    c->version = version;
    const struct tls_cipher_suite *suite = choose_suite(ch, version);
    if (!suite) {
        send_fatal_alert(c, version, TLS_ALERT_HANDSHAKE_FAILURE);
        return;
    }
    send_flight(c, ch, suite->id);
}

/* The ClientHello may be split over records and TCP segments: reassemble it first. */
static void client_hello_record(struct conn *c, struct wire_reader *body)
{
    if (!hc_ok(tls_handshake_append(&c->hs, wire_peek(body), wire_remaining(body)))) {
        conn_finish(c);
        return;
    }
    struct tls_handshake_message m;
    hc_result r = tls_handshake_next(&c->hs, &m);
    if (r.error == HC_ERR_SHORT)
        return;
    struct tls_client_hello ch;
    if (!hc_ok(r) || m.type != TLS_HS_CLIENT_HELLO ||
        !hc_ok(tls_client_hello_parse(m.body, m.len, &ch))) {
        conn_finish(c);
        return;
    }
    /* We never go on with the handshake: a message after the hello ends the connection. */
    bool more = c->hs.len > c->hs.start;
    tls_handshake_buffer_free(&c->hs);
    answer_client_hello(c, &ch);
    if (more)
        conn_finish(c);
}

/* ---- heartbeats ---- */

static void fill_fake_secret(void)
{
    struct wire_writer w = wire_writer_init(fake_secret, sizeof fake_secret);
    for (unsigned i = 0; w.len < w.cap; i++) {
        char line[96];
        int n = snprintf(line, sizeof line,
                         "heartcheck-test-heap-secret:session=%08x;password=fake-%06u\n",
                         i * 2654435761u, i);
        size_t left = w.cap - w.len;
        wire_write_bytes(&w, line, (size_t)n < left ? (size_t)n : left);
    }
}

/* Answers one heartbeat record. overread: 1.0.1f's tls1_process_heartbeat, which trusts
 * payload_length and copies past the record - here into the fake heap, never into real
 * memory. Otherwise 1.0.1g's: silently discard unless 1 + 2 + payload_length + 16 fits in the
 * record (RFC 6520 section 4). A response (type 2) is not answered. */
static void answer_heartbeat(struct conn *c, struct wire_reader *body, bool overread)
{
    size_t rec_len = wire_remaining(body);
    size_t heap_len = rec_len + FAKE_SECRET_LEN;
    uint8_t *heap = malloc(heap_len);
    uint8_t *msg = malloc(MAX_HEARTBEAT_MESSAGE);
    if (!heap || !msg) {
        free(heap);
        free(msg);
        conn_destroy(c);
        return;
    }
    struct wire_writer hw = wire_writer_init(heap, heap_len);
    wire_write_bytes(&hw, wire_peek(body), rec_len);
    wire_write_bytes(&hw, fake_secret, FAKE_SECRET_LEN);
    struct wire_reader r = wire_reader_init(heap, overread ? heap_len : rec_len);
    struct tls_heartbeat_header hb;
    const uint8_t *payload;
    size_t needed = TLS_HEARTBEAT_HEADER_LEN + TLS_HEARTBEAT_MIN_PADDING;
    if (hc_ok(tls_heartbeat_header_parse(&r, &hb)) && hb.type == TLS_HEARTBEAT_REQUEST &&
        (overread || needed + hb.payload_length <= rec_len) &&
        hc_ok(wire_read_bytes(&r, hb.payload_length, &payload))) {
        uint8_t padding[TLS_HEARTBEAT_MIN_PADDING];
        struct wire_writer w = wire_writer_init(msg, MAX_HEARTBEAT_MESSAGE);
        wire_write_u8(&w, TLS_HEARTBEAT_RESPONSE);
        wire_write_u16(&w, hb.payload_length);
        wire_write_bytes(&w, payload, hb.payload_length);
        if (random_bytes(padding, sizeof padding)) /* RAND_pseudo_bytes */
            wire_write_bytes(&w, padding, sizeof padding);
        if (hc_ok(wire_writer_result(&w)))
            write_records(c, TLS_CT_HEARTBEAT, msg, w.len);
    }
    hc_free_secret(heap, heap_len);
    hc_free_secret(msg, MAX_HEARTBEAT_MESSAGE);
}

static void heartbeat_record(struct conn *c, struct wire_reader *body)
{
    const struct options *opt = &c->srv->opt;
    if (opt->mode == MODE_NOHEARTBEAT) {
        /* OpenSSL >= 1.1 and builds without heartbeats: an unknown record type. OpenVPN ends
         * the session on that TLS error at once, without sending the alert. */
        if (c->ovpn)
            conn_destroy(c);
        else
            send_fatal_alert(c, c->version, TLS_ALERT_UNEXPECTED_MESSAGE);
        return;
    }
    answer_heartbeat(c, body, opt->mode == MODE_VULNERABLE);
    /* ssl3_read_bytes returns -1 "retry read" after a heartbeat; s_server's SSL_accept loop
     * treats that as an error and drops the connection. OpenVPN takes it as "no plaintext
     * yet" and keeps the session. */
    if (opt->style == STYLE_SSERVER && !c->destroying && !c->ovpn)
        conn_finish(c);
}

/* ---- input ---- */

/* ssl3_get_record's header checks. After the ServerHello every record must carry the
 * negotiated version, else protocol_version - "send back error using their minor version
 * number", i.e. in a record of the peer's version. Plaintext above 2^14: record_overflow. */
static bool record_header_ok(struct conn *c, hc_result parsed, const struct tls_record_header *h)
{
    bool too_long =
        parsed.error == HC_ERR_RECORD_TOO_LONG || (hc_ok(parsed) && h->length > TLS_MAX_PLAINTEXT);
    if (!hc_ok(parsed) && !too_long) {
        conn_finish(c); /* not TLS */
        return false;
    }
    if (c->state == ST_HELLO) {
        if (too_long)
            conn_finish(c);
        return !too_long;
    }
    if (hc_ok(parsed) && h->version != c->version) {
        send_fatal_alert(c, h->version, TLS_ALERT_PROTOCOL_VERSION);
        return false;
    }
    if (too_long) {
        send_fatal_alert(c, c->version, ALERT_RECORD_OVERFLOW);
        return false;
    }
    return true;
}

static void handle_record(struct conn *c, const struct tls_record_header *h,
                          struct wire_reader *body)
{
    if (c->state == ST_HELLO && h->type == TLS_CT_HANDSHAKE)
        client_hello_record(c, body);
    else if (c->state == ST_FLIGHT_SENT && h->type == TLS_CT_HEARTBEAT)
        heartbeat_record(c, body);
    else
        conn_finish(c); /* we never complete a handshake */
}

/* Whether the next complete record may be looked at now. nginx reads ahead, and its
 * edge-triggered epoll does not come back for records already read until new bytes arrive:
 * after the flight, at most one record per arrival. Before it, ssl3_accept goes on reading
 * the ClientHello (and, in the same call, the first record after the flight). */
static bool may_process(struct conn *c)
{
    if (c->state == ST_CLOSING || c->paused)
        return false;
    if (output_full(c)) {
        c->paused = true;
        return false;
    }
    return c->state == ST_HELLO || c->srv->opt.style == STYLE_SSERVER || c->arrival;
}

static void pump(struct conn *c)
{
    size_t off = 0;
    while (may_process(c)) {
        struct wire_reader stream = wire_reader_init(c->in + off, c->in_len - off);
        struct wire_reader peek = stream;
        struct tls_record_header h;
        hc_result parsed = tls_record_header_parse(&peek, &h);
        if (parsed.error == HC_ERR_SHORT || !record_header_ok(c, parsed, &h))
            break;
        struct wire_reader body;
        if (!hc_ok(tls_record_next(&stream, &h, &body)))
            break; /* body incomplete */
        off = c->in_len - wire_remaining(&stream);
        if (c->state == ST_FLIGHT_SENT)
            c->arrival = false;
        handle_record(c, &h, &body);
    }
    if (c->destroying)
        return;
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    if (c->in_len == 0) { /* idle connections hold no input memory */
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

/* How many bytes to ask the socket for. s_server has no read-ahead: ssl3_read_n reads the
 * 5-byte header, then exactly the body, so bytes after the record stay in the kernel (and
 * make it answer our close with RST). nginx reads ahead as far as its buffer goes. */
static size_t read_want(const struct conn *c)
{
    if (c->prelude)
        return READ_CHUNK; /* line-based dialogues: whatever has come */
    if (c->ovpn)
        return READ_CHUNK; /* the channel frames the TLS bytes, not the socket reads */
    if (c->srv->opt.style == STYLE_NGINX) {
        size_t room = IN_MAX - c->in_len;
        return room < READ_CHUNK ? room : READ_CHUNK;
    }
    if (c->in_len < TLS_RECORD_HEADER_LEN)
        return TLS_RECORD_HEADER_LEN - c->in_len;
    struct wire_reader r = wire_reader_init(c->in, c->in_len);
    struct tls_record_header h;
    if (!hc_ok(tls_record_header_parse(&r, &h)))
        return 0;
    size_t need = TLS_RECORD_HEADER_LEN + (size_t)h.length;
    return need > c->in_len ? need - c->in_len : 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    size_t want = read_want(h->data);
    *buf = uv_buf_init((char *)read_scratch, (unsigned)want);
}

static bool append_input(struct conn *c, const uint8_t *p, size_t n)
{
    if (c->in_cap - c->in_len < n) {
        size_t cap = c->in_len + n < 1024 ? 1024 : c->in_len + n;
        uint8_t *grown = realloc(c->in, cap);
        if (!grown)
            return false;
        c->in = grown;
        c->in_cap = cap;
    }
    struct wire_writer w = wire_writer_init(c->in + c->in_len, n);
    wire_write_bytes(&w, p, n);
    c->in_len += n;
    return true;
}

/* The server side of --starttls: its words go out unbuffered, as a real server's do before
 * TLS. Returns how many bytes it took; the rest are TLS. */
static size_t prelude_input(struct conn *c, const uint8_t *p, size_t n)
{
    size_t used = n ? prelude_on_data(c->prelude, p, n) : 0;
    const uint8_t *out;
    size_t out_len;
    prelude_take_output(c->prelude, &out, &out_len);
    if (out_len)
        emit(c, out, out_len);
    switch (prelude_status(c->prelude)) {
    case PRELUDE_WANT_READ: return n;
    case PRELUDE_READY:
        prelude_free(c->prelude);
        c->prelude = NULL;
        return used;
    default: conn_finish(c); return n;
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    if (nread == 0 || c->destroying)
        return;
    uv_buf_t rest = *buf;
    if (nread > 0 && c->prelude) {
        size_t used = prelude_input(c, (const uint8_t *)buf->base, (size_t)nread);
        if (c->destroying || c->prelude || c->state == ST_CLOSING)
            return;
        rest.base += used; /* a MySQL client's ClientHello follows its SSL request at once */
        nread -= (ssize_t)used;
        if (nread == 0) {
            update_reading(c);
            return;
        }
    }
    buf = &rest;
    if (nread < 0) {
        /* EOF: the client gave up; like both servers, close in turn. Errors: just close. */
        if (nread == UV_EOF && !c->ovpn)
            conn_finish(c);
        else
            conn_destroy(c);
        return;
    }
    bool taken = c->ovpn ? ovpn_read(c, (const uint8_t *)buf->base, (size_t)nread)
                         : append_input(c, (const uint8_t *)buf->base, (size_t)nread);
    if (!taken) {
        conn_destroy(c);
        return;
    }
    uv_timer_again(&c->idle);
    c->arrival = true;
    pump(c);
    update_reading(c);
}

static void update_reading(struct conn *c)
{
    if (c->destroying || (c->state == ST_CLOSING && !c->ovpn))
        return;
    bool want = !c->paused && read_want(c) > 0;
    if (want && !c->reading)
        c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
    else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void on_idle(uv_timer_t *t) { conn_destroy(t->data); }

static bool ovpn_accept(struct conn *c)
{
    struct ovpn_config oc = {.role = OVPN_SERVER, .framing = c->srv->opt.openvpn_framing};
    return random_bytes(oc.session_id, sizeof oc.session_id) && hc_ok(ovpn_new(&oc, &c->ovpn));
}

/* A connection's state, linked into the server's list; NULL when out of memory. */
static struct conn *conn_new(struct server *srv)
{
    struct conn *c = calloc(1, sizeof *c);
    uint8_t *wbuf = malloc(srv->opt.wbuf);
    if (!c || !wbuf) {
        free(c);
        free(wbuf);
        return NULL;
    }
    c->srv = srv;
    c->wbuf_mem = wbuf;
    c->wbuf = wire_writer_init(wbuf, srv->opt.wbuf);
    tls_handshake_buffer_init(&c->hs, MAX_CLIENT_HELLO);
    uv_tcp_init(&srv->loop, &c->tcp);
    uv_timer_init(&srv->loop, &c->idle);
    uv_timer_init(&srv->loop, &c->delay);
    c->tcp.data = c->idle.data = c->delay.data = c;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    return c;
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct server *srv = listener->data;
    struct conn *c = status < 0 ? NULL : conn_new(srv);
    if (!c)
        return;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_destroy(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_start(&c->idle, on_idle, IDLE_TIMEOUT_MS, IDLE_TIMEOUT_MS);
    if (srv->opt.starttls) {
        struct prelude_params params = {.refuse = srv->opt.refuse_tls};
        if (!hc_ok(prelude_new(srv->opt.starttls, PRELUDE_SERVER, &params, &c->prelude))) {
            conn_destroy(c);
            return;
        }
        (void)prelude_input(c, NULL, 0); /* the greeting */
        if (c->destroying)
            return;
    }
    if (srv->opt.openvpn && !ovpn_accept(c)) {
        conn_destroy(c);
        return;
    }
    update_reading(c);
}

/* ---- setup ---- */

static void on_signal(uv_signal_t *sig, int signum)
{
    (void)signum;
    struct server *srv = sig->data;
    for (size_t i = 0; i < srv->listener_count; i++)
        uv_close((uv_handle_t *)&srv->listeners[i], NULL);
    srv->listener_count = 0;
    if (srv->udp_open)
        uv_close((uv_handle_t *)&srv->udp, NULL);
    srv->udp_open = false;
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    for (struct conn *c = srv->conns; c; c = c->next)
        conn_destroy(c);
}

static bool load_cert(struct server *srv)
{
    FILE *f = fopen(srv->opt.cert, "r");
    if (!f) {
        perror(srv->opt.cert);
        return false;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    unsigned char *der = NULL;
    int len = x ? i2d_X509(x, &der) : -1;
    X509_free(x);
    if (len <= 0) {
        fprintf(stderr, "%s: no PEM certificate\n", srv->opt.cert);
        return false;
    }
    srv->cert_der = malloc((size_t)len);
    if (srv->cert_der) {
        struct wire_writer w = wire_writer_init(srv->cert_der, (size_t)len);
        wire_write_bytes(&w, der, (size_t)len);
        srv->cert_len = (size_t)len;
    }
    OPENSSL_free(der);
    return srv->cert_der != NULL;
}

/* At least 4096 connections at once, plus one listener per address, need more descriptors
 * than the usual soft limit: take the hard limit (a bounded one when it is unlimited). */
static void raise_fd_limit(size_t listeners)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = rl;
        want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) != 0 && rl.rlim_max == RLIM_INFINITY) {
            want.rlim_cur = 65536; /* above fs.nr_open */
            if (setrlimit(RLIMIT_NOFILE, &want) != 0)
                want.rlim_cur = rl.rlim_cur;
        }
        rl.rlim_cur = want.rlim_cur;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MIN_FDS + listeners)
        fprintf(stderr, "warning: only %lu file descriptors\n", (unsigned long)rl.rlim_cur);
}

static void set_port(struct sockaddr_storage *sa, int port)
{
    if (sa->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
}

static void print_addr(FILE *out, const struct sockaddr_storage *sa, int port)
{
    char name[64] = "?";
    if (sa->ss_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)sa, name, sizeof name);
    else
        uv_ip4_name((const struct sockaddr_in *)sa, name, sizeof name);
    fprintf(out, sa->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", name, port);
}

static void close_listeners(struct server *srv)
{
    for (size_t i = 0; i < srv->listener_count; i++)
        uv_close((uv_handle_t *)&srv->listeners[i], NULL);
    srv->listener_count = 0;
    uv_run(&srv->loop, UV_RUN_NOWAIT); /* the close callbacks: the handles are reused */
}

/* Opens listeners[i] on address i at port (0: any); returns the port it got, or a libuv
 * error (negative). */
static int listen_one(struct server *srv, size_t i, int port)
{
    struct sockaddr_storage sa = srv->opt.addrs[i];
    set_port(&sa, port);
    uv_tcp_t *l = &srv->listeners[i];
    int r = uv_tcp_init(&srv->loop, l);
    if (r != 0)
        return r;
    srv->listener_count++;
    l->data = srv;
    r = uv_tcp_bind(l, (const struct sockaddr *)&sa, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)l, LISTEN_BACKLOG, on_connection);
    int len = sizeof sa;
    if (r == 0)
        r = uv_tcp_getsockname(l, (struct sockaddr *)&sa, &len);
    if (r != 0)
        return r;
    return ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                          : ((struct sockaddr_in *)&sa)->sin_port);
}

/* One listening socket per address, all on one port. With --port 0 the first address gets
 * a free port from the kernel and the others take the same number; when one of them has it
 * in use already, everything is closed and another port is tried. */
static int start_listening(struct server *srv)
{
    size_t n = srv->opt.addr_count;
    srv->listeners = calloc(n, sizeof *srv->listeners);
    if (!srv->listeners)
        return UV_ENOMEM;
    int r = 0, port = 0;
    size_t i = 1;
    for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
        port = listen_one(srv, 0, (int)srv->opt.port);
        r = port < 0 ? port : 0;
        for (i = 1; i < n && r == 0; i++) {
            int got = listen_one(srv, i, port);
            r = got < 0 ? got : 0;
        }
        if (r == 0) {
            printf("listening on %d\n", port);
            fflush(stdout);
            return 0;
        }
        close_listeners(srv);
        if (srv->opt.port != 0 || r != UV_EADDRINUSE || n == 1)
            break;
    }
    size_t failed = i - 1; /* the loop stepped past the address that failed */
    fputs("vulnserver: ", stderr);
    print_addr(stderr, &srv->opt.addrs[failed], failed > 0 ? port : (int)srv->opt.port);
    fprintf(stderr, ": %s\n", uv_strerror(r));
    return r;
}

/* ---- --openvpn udp: sessions by peer address on one socket ---- */

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    size_t len =
        b->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    return a->ss_family == b->sa_family && memcmp(a, b, len) == 0;
}

/* The peer's session; a hard reset from a new address opens one (the conn keeps an unused
 * TCP handle so that it closes like any other). */
static struct conn *udp_session(struct server *srv, const struct sockaddr *from,
                                const uint8_t *data, size_t len)
{
    for (struct conn *c = srv->conns; c; c = c->next)
        if (c->udp && !c->destroying && same_peer(&c->peer, from))
            return c;
    if (len == 0 || data[0] != OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 << OVPN_OPCODE_SHIFT)
        return NULL;
    struct conn *c = conn_new(srv);
    if (!c)
        return NULL;
    c->udp = true;
    memcpy(&c->peer, from,
           from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    uv_timer_start(&c->idle, on_idle, IDLE_TIMEOUT_MS, IDLE_TIMEOUT_MS);
    if (!ovpn_accept(c)) {
        conn_destroy(c);
        return NULL;
    }
    return c;
}

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    *buf = uv_buf_init((char *)read_scratch, sizeof read_scratch);
}

static void on_datagram(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags)
{
    (void)flags;
    if (nread <= 0 || !from)
        return;
    const uint8_t *data = (const uint8_t *)buf->base;
    struct conn *c = udp_session(udp->data, from, data, (size_t)nread);
    if (!c)
        return;
    if (!ovpn_read(c, data, (size_t)nread)) {
        conn_destroy(c);
        return;
    }
    uv_timer_again(&c->idle);
    c->arrival = true;
    pump(c);
}

static int start_udp(struct server *srv)
{
    struct sockaddr_storage sa = srv->opt.addrs[0];
    set_port(&sa, (int)srv->opt.port);
    int len = sizeof sa;
    int r = uv_udp_init(&srv->loop, &srv->udp);
    if (r != 0)
        return r;
    srv->udp_open = true;
    srv->udp.data = srv;
    r = uv_udp_bind(&srv->udp, (const struct sockaddr *)&sa, 0);
    if (r == 0)
        r = uv_udp_getsockname(&srv->udp, (struct sockaddr *)&sa, &len);
    if (r == 0)
        r = uv_udp_recv_start(&srv->udp, on_udp_alloc, on_datagram);
    if (r != 0) {
        fprintf(stderr, "vulnserver: udp: %s\n", uv_strerror(r));
        uv_close((uv_handle_t *)&srv->udp, NULL);
        srv->udp_open = false;
        return r;
    }
    printf("listening on %d\n",
           ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                          : ((struct sockaddr_in *)&sa)->sin_port));
    fflush(stdout);
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: vulnserver --port N --cert FILE.pem --mode vulnerable|patched|noheartbeat\n"
          "         [--addr 127.0.0.1|::1]... [--addr-range 127.0.1.0-127.0.4.255]...\n"
          "         [--wbuf BYTES (4096)] [--style sserver|nginx]\n"
          "         [--min-version ssl3|tls1.0|tls1.1|tls1.2 (ssl3)] [--max-version V (tls1.2)]\n"
          "         [--delay-ms N (0)] [--no-heartbeat-ext] [--starttls PROTO [--refuse-tls]]\n"
          "         [--openvpn tcp|udp]\n"
          "--addr and --addr-range (inclusive, IPv4) may be repeated: one listening socket per\n"
          "address, all on the same port (--port 0: one port free on all of them, printed\n"
          "once as \"listening on PORT\"). Default: 127.0.0.1.\n"
          "--starttls: the server side of a dialogue before TLS (smtp, imap, pop3, ftp, xmpp,\n"
          "ldap, postgres, mysql, ...); --refuse-tls ends it with the protocol's refusal.\n",
          out);
}

static bool add_addr(struct options *o, const struct sockaddr_storage *sa)
{
    if (!o->addr_given) {
        o->addr_given = true;
        o->addr_count = 0;
    }
    if (o->addr_count == MAX_ADDRS)
        return false;
    if (o->addr_count == o->addr_cap) {
        size_t cap = o->addr_cap ? 2 * o->addr_cap : 16;
        struct sockaddr_storage *grown = realloc(o->addrs, cap * sizeof *grown);
        if (!grown)
            return false;
        o->addrs = grown;
        o->addr_cap = cap;
    }
    o->addrs[o->addr_count++] = *sa;
    return true;
}

static bool parse_addr(const char *arg, struct sockaddr_storage *sa)
{
    memset(sa, 0, sizeof *sa);
    return strchr(arg, ':') ? uv_ip6_addr(arg, 0, (struct sockaddr_in6 *)sa) == 0
                            : uv_ip4_addr(arg, 0, (struct sockaddr_in *)sa) == 0;
}

/* FIRST-LAST, two IPv4 addresses, both included. */
static bool add_addr_range(struct options *o, const char *arg)
{
    char first[INET_ADDRSTRLEN], last[INET_ADDRSTRLEN];
    const char *dash = strchr(arg, '-');
    if (!dash || (size_t)(dash - arg) >= sizeof first || strlen(dash + 1) >= sizeof last)
        return false;
    memcpy(first, arg, (size_t)(dash - arg));
    first[dash - arg] = '\0';
    strcpy(last, dash + 1);
    struct in_addr a, b;
    if (inet_pton(AF_INET, first, &a) != 1 || inet_pton(AF_INET, last, &b) != 1)
        return false;
    uint32_t lo = ntohl(a.s_addr), hi = ntohl(b.s_addr);
    if (lo > hi || hi - lo >= MAX_ADDRS)
        return false;
    for (uint64_t ip = lo; ip <= hi; ip++) {
        struct sockaddr_storage sa = {.ss_family = AF_INET};
        ((struct sockaddr_in *)&sa)->sin_addr.s_addr = htonl((uint32_t)ip);
        if (!add_addr(o, &sa))
            return false;
    }
    return true;
}

static bool parse_option(struct options *o, int opt, const char *arg)
{
    struct sockaddr_storage sa;
    unsigned long n;
    switch (opt) {
    case 'p': return hc_parse_uint(arg, 0, 65535, &n) && ((o->port = (unsigned)n), true);
    case 'a': return parse_addr(arg, &sa) && add_addr(o, &sa);
    case 'r': return add_addr_range(o, arg);
    case 'c': o->cert = arg; return true;
    case 'w': return hc_parse_uint(arg, 0, 1 << 20, &n) && n >= 512 && ((o->wbuf = n), true);
    case 'd': return hc_parse_uint(arg, 0, 3600000, &n) && ((o->delay_ms = n), true);
    case 'n': o->heartbeat_ext = false; return true;
    case 'S': return (o->starttls = proto_find(arg)) != NULL;
    case 'R': o->refuse_tls = true; return true;
    case 'o':
        o->openvpn = true;
        o->openvpn_framing = strcmp(arg, "udp") == 0 ? OVPN_UDP : OVPN_TCP;
        return strcmp(arg, "tcp") == 0 || strcmp(arg, "udp") == 0;
    case 'i': return tls_version_parse(arg, &o->min_version);
    case 'x': return tls_version_parse(arg, &o->max_version);
    case 'm':
        if (strcmp(arg, "vulnerable") == 0)
            o->mode = MODE_VULNERABLE;
        else if (strcmp(arg, "patched") == 0)
            o->mode = MODE_PATCHED;
        else if (strcmp(arg, "noheartbeat") == 0)
            o->mode = MODE_NOHEARTBEAT;
        else
            return false;
        return true;
    case 's':
        if (strcmp(arg, "sserver") == 0)
            o->style = STYLE_SSERVER;
        else if (strcmp(arg, "nginx") == 0)
            o->style = STYLE_NGINX;
        else
            return false;
        return true;
    default: return false;
    }
}

static bool parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {{"port", required_argument, NULL, 'p'},
                                             {"addr", required_argument, NULL, 'a'},
                                             {"addr-range", required_argument, NULL, 'r'},
                                             {"cert", required_argument, NULL, 'c'},
                                             {"mode", required_argument, NULL, 'm'},
                                             {"wbuf", required_argument, NULL, 'w'},
                                             {"style", required_argument, NULL, 's'},
                                             {"min-version", required_argument, NULL, 'i'},
                                             {"max-version", required_argument, NULL, 'x'},
                                             {"delay-ms", required_argument, NULL, 'd'},
                                             {"no-heartbeat-ext", no_argument, NULL, 'n'},
                                             {"starttls", required_argument, NULL, 'S'},
                                             {"refuse-tls", no_argument, NULL, 'R'},
                                             {"openvpn", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *o = (struct options){.wbuf = 4096,
                          .min_version = TLS_VERSION_SSL3,
                          .max_version = TLS_VERSION_TLS12,
                          .heartbeat_ext = true};
    struct sockaddr_storage loopback;
    if (!parse_addr("127.0.0.1", &loopback) || !add_addr(o, &loopback))
        return false;
    o->addr_given = false; /* the default, until an --addr or --addr-range replaces it */
    bool have_port = false, have_mode = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            exit(0);
        }
        if (!parse_option(o, opt, optarg)) {
            fprintf(stderr, "vulnserver: invalid argument: %s\n", argv[optind - 1]);
            return false;
        }
        have_port |= opt == 'p';
        have_mode |= opt == 'm';
    }
    if (optind != argc || !have_port || !have_mode || !o->cert) {
        fprintf(stderr, "vulnserver: --port, --cert and --mode are required\n");
        return false;
    }
    if (o->min_version > o->max_version) {
        fprintf(stderr, "vulnserver: --min-version above --max-version\n");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    static struct server srv;
    if (!parse_args(argc, argv, &srv.opt)) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(srv.opt.addr_count);
    if (!load_cert(&srv))
        return 2;
    fill_fake_secret();
    uv_loop_init(&srv.loop);
    uv_signal_init(&srv.loop, &srv.sigterm);
    uv_signal_init(&srv.loop, &srv.sigint);
    srv.sigterm.data = srv.sigint.data = &srv;
    uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv.sigint, on_signal, SIGINT);
    bool udp = srv.opt.openvpn && srv.opt.openvpn_framing == OVPN_UDP;
    int r = udp ? start_udp(&srv) : start_listening(&srv);
    if (r != 0) {
        uv_close((uv_handle_t *)&srv.sigterm, NULL);
        uv_close((uv_handle_t *)&srv.sigint, NULL);
    }
    uv_run(&srv.loop, UV_RUN_DEFAULT);
    uv_loop_close(&srv.loop);
    free(srv.cert_der);
    free(srv.listeners);
    free(srv.opt.addrs);
    return r == 0 ? 0 : 2;
}
