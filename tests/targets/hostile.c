/* hostile: a TLS server that misbehaves on purpose, to prove that `heartcheck scan` survives
 * servers that lie about lengths, trickle bytes, flood, reset, or speak something else -
 * and never calls any of them "vulnerable".
 *
 * Usage: hostile --port N (0: any free port) --mode MODE [--addr 127.0.0.1|::1] [--cert FILE.pem]
 * Prints "listening on PORT" when ready; SIGTERM (or SIGINT) stops it and its children.
 * One child process per connection (at most MAX_CHILDREN at once), each killed after
 * CONN_LIFETIME_S seconds at the latest. It writes only to the connections it accepted.
 *
 * Modes:
 *   onebyte            a real-looking ServerHello/Certificate/ServerHelloDone flight, every byte
 *                      of handshake data in its own 1-byte record; then silence
 *   hugelen            a record header declaring 65535 bytes
 *   hugehs             a handshake message declaring 0xFFFFFF bytes, followed by filler records
 *   endless            a ServerHello and Certificate, then handshake records of garbage
 *                      messages (well framed, random types), until the client leaves
 *   silence            reads, never answers
 *   alertflood         thousands of warning alerts
 *   reset              half a record, then a TCP reset (SO_LINGER 0)
 *   banner             "500 OOPS: vsftpd: not found\r\n", then close
 *   sslv2              an SSLv2 SERVER-HELLO
 *   heartbeat-garbage  a normal flight with the heartbeat extension; every heartbeat is
 *                      answered with a response whose payload is not the one sent
 *   slowloris          a valid flight, one byte every 200 ms */
#include "tls/tls.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_CHILDREN = 32,
    CONN_LIFETIME_S = 30,     /* a child never lives longer than this */
    HELLO_TIMEOUT_MS = 10000, /* to receive the ClientHello */
    IN_CAP = 65536,
    FLIGHT_CAP = 32768,
    ALERT_COUNT = 5000,
    HUGEHS_RECORDS = 64, /* 1 MiB of filler after the 0xFFFFFF header */
    MAX_HB_ANSWERS = 16, /* heartbeat-garbage answers per connection */
    SLOWLORIS_GAP_MS = 200,
};

enum mode {
    MODE_ONEBYTE,
    MODE_HUGELEN,
    MODE_HUGEHS,
    MODE_ENDLESS,
    MODE_SILENCE,
    MODE_ALERTFLOOD,
    MODE_RESET,
    MODE_BANNER,
    MODE_SSLV2,
    MODE_HEARTBEAT_GARBAGE,
    MODE_SLOWLORIS,
};

static const char *const mode_names[] = {
    [MODE_ONEBYTE] = "onebyte",     [MODE_HUGELEN] = "hugelen",
    [MODE_HUGEHS] = "hugehs",       [MODE_ENDLESS] = "endless",
    [MODE_SILENCE] = "silence",     [MODE_ALERTFLOOD] = "alertflood",
    [MODE_RESET] = "reset",         [MODE_BANNER] = "banner",
    [MODE_SSLV2] = "sslv2",         [MODE_HEARTBEAT_GARBAGE] = "heartbeat-garbage",
    [MODE_SLOWLORIS] = "slowloris",
};

struct server {
    enum mode mode;
    uint8_t *cert_der;
    size_t cert_len;
};

struct conn {
    int fd;
    const struct server *srv;
    uint8_t in[IN_CAP];
    size_t in_len;
    uint16_t version; /* negotiated, once the ClientHello is in */
    struct tls_client_hello ch;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ---- small I/O helpers: blocking socket, bounded waits ---- */

static bool send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Reads what is there into c->in within timeout_ms. 1: got bytes, 0: peer closed, -1: error
 * or timeout. When the buffer is full, old bytes are dropped: only modes that ignore input
 * read that much. */
static int read_some(struct conn *c, int timeout_ms)
{
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int r = poll(&pfd, 1, timeout_ms);
    if (r <= 0)
        return -1;
    if (c->in_len == sizeof c->in)
        c->in_len = 0;
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
    if (n < 0)
        return errno == EINTR ? 1 : -1;
    if (n == 0)
        return 0;
    c->in_len += (size_t)n;
    return 1;
}

/* Reads and discards until the client closes (or the child's lifetime runs out). */
static void drain(struct conn *c)
{
    for (;;) {
        if (read_some(c, 1000) == 0)
            return;
        c->in_len = 0;
    }
}

static void drop_input(struct conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* ---- the ClientHello ---- */

/* Reassembles and parses the ClientHello; sets c->ch and c->version. */
static bool read_client_hello(struct conn *c)
{
    struct tls_handshake_buffer hs;
    tls_handshake_buffer_init(&hs, IN_CAP);
    bool done = false, failed = false;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!done && !failed) {
        struct wire_reader stream = wire_reader_init(c->in, c->in_len);
        struct tls_record_header h;
        struct wire_reader body;
        hc_result r = tls_record_next(&stream, &h, &body);
        if (r.error == HC_ERR_SHORT) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
            if (spent >= HELLO_TIMEOUT_MS || read_some(c, (int)(HELLO_TIMEOUT_MS - spent)) <= 0)
                failed = true;
            continue;
        }
        if (!hc_ok(r) || h.type != TLS_CT_HANDSHAKE ||
            !hc_ok(tls_handshake_append(&hs, wire_peek(&body), wire_remaining(&body)))) {
            failed = true;
            continue;
        }
        drop_input(c, c->in_len - wire_remaining(&stream));
        struct tls_handshake_message m;
        r = tls_handshake_next(&hs, &m);
        if (r.error == HC_ERR_SHORT)
            continue;
        failed = !hc_ok(r) || m.type != TLS_HS_CLIENT_HELLO ||
                 !hc_ok(tls_client_hello_parse(m.body, m.len, &c->ch));
        done = !failed;
    }
    tls_handshake_buffer_free(&hs);
    if (!done)
        return false;
    c->version = c->ch.version > TLS_VERSION_TLS12 ? TLS_VERSION_TLS12 : c->ch.version;
    if (c->version < TLS_VERSION_SSL3)
        c->version = TLS_VERSION_SSL3;
    return true;
}

/* ---- the server's flight ---- */

static uint16_t choose_suite(const struct conn *c)
{
    size_t n =
        c->ch.cipher_count < TLS_MAX_CLIENT_CIPHERS ? c->ch.cipher_count : TLS_MAX_CLIENT_CIPHERS;
    for (size_t i = 0; i < n; i++) {
        const struct tls_cipher_suite *s = tls_cipher_suite_find(c->ch.ciphers[i]);
        if (s && s->rsa_kx && (!s->tls12_only || c->version == TLS_VERSION_TLS12))
            return s->id;
    }
    return 0x002f; /* TLS_RSA_WITH_AES_128_CBC_SHA */
}

/* ServerHello, Certificate and (with_done) ServerHelloDone: one record each, into w. */
static bool write_flight(struct conn *c, struct wire_writer *w, bool heartbeat_ext, bool with_done)
{
    struct tls_server_hello_params sh = {.version = c->version, .cipher_suite = choose_suite(c)};
    sh.session_id_len = TLS_MAX_SESSION_ID;
    sh.heartbeat = heartbeat_ext;
    if (getrandom(sh.random, sizeof sh.random, 0) != (ssize_t)sizeof sh.random ||
        getrandom(sh.session_id, sizeof sh.session_id, 0) != (ssize_t)sizeof sh.session_id)
        return false;
    struct wire_mark rec = tls_record_open(w, TLS_CT_HANDSHAKE, c->version);
    tls_server_hello_write(w, &sh);
    wire_close(w, rec);
    rec = tls_record_open(w, TLS_CT_HANDSHAKE, c->version);
    tls_certificate_write(w, c->srv->cert_der, c->srv->cert_len);
    wire_close(w, rec);
    if (with_done) {
        rec = tls_record_open(w, TLS_CT_HANDSHAKE, c->version);
        struct wire_mark done = tls_handshake_open(w, TLS_HS_SERVER_HELLO_DONE);
        wire_close(w, done);
        wire_close(w, rec);
    }
    return hc_ok(wire_writer_result(w));
}

/* Writes a payload as records of at most max_fragment bytes each. */
static bool send_records(int fd, uint8_t type, uint16_t version, const uint8_t *p, size_t n,
                         size_t max_fragment)
{
    size_t cap = n + (n / max_fragment + 1) * TLS_RECORD_HEADER_LEN;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return false;
    struct wire_writer w = wire_writer_init(buf, cap);
    for (size_t off = 0; off < n; off += max_fragment) {
        size_t len = n - off < max_fragment ? n - off : max_fragment;
        struct wire_mark rec = tls_record_open(&w, type, version);
        wire_write_bytes(&w, p + off, len);
        wire_close(&w, rec);
    }
    bool ok = hc_ok(wire_writer_result(&w)) && send_all(fd, buf, w.len);
    free(buf);
    return ok;
}

/* A tiny PRNG for garbage (xorshift64): fast, no entropy wasted on junk. */
static uint64_t junk_state = 0x9e3779b97f4a7c15u;
static uint8_t junk(void)
{
    junk_state ^= junk_state << 13;
    junk_state ^= junk_state >> 7;
    junk_state ^= junk_state << 17;
    return (uint8_t)(junk_state >> 24);
}

/* ---- the modes ---- */

static void mode_onebyte(struct conn *c)
{
    uint8_t flight[FLIGHT_CAP];
    struct wire_writer w = wire_writer_init(flight, sizeof flight);
    if (!write_flight(c, &w, c->ch.heartbeat && c->version > TLS_VERSION_SSL3, true))
        return;
    /* The handshake bytes, taken out of their records, go out again one per record. */
    uint8_t hs[FLIGHT_CAP];
    struct wire_writer hw = wire_writer_init(hs, sizeof hs);
    struct wire_reader stream = wire_reader_init(flight, w.len);
    struct tls_record_header h;
    struct wire_reader body;
    while (hc_ok(tls_record_next(&stream, &h, &body)))
        wire_write_bytes(&hw, wire_peek(&body), wire_remaining(&body));
    if (!hc_ok(wire_writer_result(&hw)) ||
        !send_records(c->fd, TLS_CT_HANDSHAKE, c->version, hs, hw.len, 1))
        return;
    drain(c);
}

static void mode_hugelen(struct conn *c)
{
    uint8_t buf[TLS_RECORD_HEADER_LEN + 1024];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_u8(&w, TLS_CT_HANDSHAKE);
    wire_write_u16(&w, c->version);
    wire_write_u16(&w, 0xffff);
    wire_write_u8(&w, TLS_HS_SERVER_HELLO);
    wire_write_u24(&w, 0xfffb);
    wire_write_fill(&w, 0x41, sizeof buf - w.len);
    if (hc_ok(wire_writer_result(&w)) && send_all(c->fd, buf, w.len))
        drain(c);
}

static void mode_hugehs(struct conn *c)
{
    static uint8_t body[TLS_MAX_PLAINTEXT];
    struct wire_writer w = wire_writer_init(body, sizeof body);
    wire_write_u8(&w, TLS_HS_SERVER_HELLO);
    wire_write_u24(&w, 0xffffff);
    wire_write_u16(&w, c->version);
    wire_write_fill(&w, 0x42, sizeof body - w.len);
    if (!hc_ok(wire_writer_result(&w)))
        return;
    for (int i = 0; i < HUGEHS_RECORDS; i++) {
        if (!send_records(c->fd, TLS_CT_HANDSHAKE, c->version, body, sizeof body,
                          TLS_MAX_PLAINTEXT))
            return;
        memset(body, 0x42, sizeof body); /* later records: the message's filler */
    }
    drain(c);
}

static void mode_endless(struct conn *c)
{
    static uint8_t body[TLS_MAX_PLAINTEXT];
    /* A real ServerHello and Certificate, then garbage handshake messages - random types,
     * lengths and contents - framed correctly, so that a client which just keeps
     * reassembling never gets to the end. */
    uint8_t flight[FLIGHT_CAP];
    struct wire_writer fw = wire_writer_init(flight, sizeof flight);
    if (!write_flight(c, &fw, c->ch.heartbeat && c->version > TLS_VERSION_SSL3, false) ||
        !send_all(c->fd, flight, fw.len))
        return;
    for (;;) {
        struct wire_writer w = wire_writer_init(body, sizeof body);
        while (w.len < sizeof body) {
            size_t room = sizeof body - w.len - TLS_HANDSHAKE_HEADER_LEN;
            size_t len = ((size_t)junk() << 2 | (junk() & 3u)) % (room + 1);
            if (room - len <= TLS_HANDSHAKE_HEADER_LEN)
                len = room; /* no partial header at the end of the record */
            uint8_t type = junk();
            if (type == TLS_HS_SERVER_HELLO_DONE || type == TLS_HS_SERVER_HELLO)
                type = 0xee; /* no accidental progress in the handshake */
            struct wire_mark m = tls_handshake_open(&w, type);
            for (size_t i = 0; i < len; i++)
                wire_write_u8(&w, junk());
            wire_close(&w, m);
        }
        if (!hc_ok(wire_writer_result(&w)) ||
            !send_records(c->fd, TLS_CT_HANDSHAKE, c->version, body, w.len, TLS_MAX_PLAINTEXT))
            return; /* the client left */
    }
}

static void mode_alertflood(struct conn *c)
{
    static uint8_t buf[ALERT_COUNT * (TLS_RECORD_HEADER_LEN + 2)];
    static const uint8_t descriptions[] = {100 /* no_renegotiation */, 90 /* user_canceled */};
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    for (size_t i = 0; i < ALERT_COUNT; i++)
        tls_alert_write(&w, c->version, TLS_ALERT_WARNING, descriptions[i % 2]);
    if (hc_ok(wire_writer_result(&w)) && send_all(c->fd, buf, w.len))
        drain(c);
}

static void mode_reset(struct conn *c)
{
    uint8_t buf[TLS_RECORD_HEADER_LEN + 50];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    wire_write_u8(&w, TLS_CT_HANDSHAKE);
    wire_write_u16(&w, c->version);
    wire_write_u16(&w, 100); /* declares 100, carries 50 */
    wire_write_u8(&w, TLS_HS_SERVER_HELLO);
    wire_write_u24(&w, 96);
    wire_write_u16(&w, c->version);
    wire_write_fill(&w, 0x17, sizeof buf - w.len);
    if (!hc_ok(wire_writer_result(&w)) || !send_all(c->fd, buf, w.len))
        return;
    sleep_ms(50); /* let the half record leave before the reset */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void mode_banner(struct conn *c)
{
    static const char banner[] = "500 OOPS: vsftpd: not found\r\n";
    if (!send_all(c->fd, banner, sizeof banner - 1))
        return;
    shutdown(c->fd, SHUT_WR);
    /* Read briefly, so that our close does not turn into a reset over unread bytes. */
    for (int i = 0; i < 20 && read_some(c, 100) != 0; i++)
        c->in_len = 0;
}

/* SSLv2 SERVER-HELLO (draft-hickman-netscape-ssl-00, section "Server Only Protocol Messages").
 * Answered to whatever the client sent first. */
static void mode_sslv2(struct conn *c)
{
    uint8_t buf[FLIGHT_CAP];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    static const uint8_t cipher_spec[] = {0x01, 0x00, 0x80}; /* SSL_CK_RC4_128_WITH_MD5 */
    uint8_t connection_id[16];
    if (getrandom(connection_id, sizeof connection_id, 0) != (ssize_t)sizeof connection_id)
        return;
    size_t body_len = 11 + c->srv->cert_len + sizeof cipher_spec + sizeof connection_id;
    if (body_len > 0x7fff)
        return;
    wire_write_u16(&w, (uint16_t)(0x8000 | body_len)); /* 2-byte header, no padding */
    wire_write_u8(&w, 4);                              /* SSL2_MT_SERVER_HELLO */
    wire_write_u8(&w, 0);                              /* session id hit */
    wire_write_u8(&w, 1);                              /* SSL_CT_X509_CERTIFICATE */
    wire_write_u16(&w, 0x0002);                        /* SSL2_VERSION */
    wire_write_u16(&w, (uint16_t)c->srv->cert_len);
    wire_write_u16(&w, sizeof cipher_spec);
    wire_write_u16(&w, sizeof connection_id);
    wire_write_bytes(&w, c->srv->cert_der, c->srv->cert_len);
    wire_write_bytes(&w, cipher_spec, sizeof cipher_spec);
    wire_write_bytes(&w, connection_id, sizeof connection_id);
    if (hc_ok(wire_writer_result(&w)) && send_all(c->fd, buf, w.len))
        drain(c);
}

/* Answers a heartbeat request with a response of the claimed length whose payload is the
 * complement of the request's: the right shape, the wrong bytes. */
static bool answer_heartbeat_wrongly(struct conn *c, uint16_t record_version,
                                     struct wire_reader *body)
{
    struct tls_heartbeat_header hb;
    if (!hc_ok(tls_heartbeat_header_parse(body, &hb)) || hb.type != TLS_HEARTBEAT_REQUEST)
        return true; /* not a request: ignore it */
    size_t have = wire_remaining(body);
    const uint8_t *req = wire_peek(body);
    size_t msg_len = TLS_HEARTBEAT_HEADER_LEN + hb.payload_length + TLS_HEARTBEAT_MIN_PADDING;
    uint8_t *msg = malloc(msg_len);
    if (!msg)
        return false;
    struct wire_writer w = wire_writer_init(msg, msg_len);
    wire_write_u8(&w, TLS_HEARTBEAT_RESPONSE);
    wire_write_u16(&w, hb.payload_length);
    for (size_t i = 0; i < hb.payload_length; i++)
        wire_write_u8(&w, i < have ? (uint8_t)~req[i] : 0x5a);
    wire_write_fill(&w, 0xee, TLS_HEARTBEAT_MIN_PADDING);
    bool ok = hc_ok(wire_writer_result(&w)) &&
              send_records(c->fd, TLS_CT_HEARTBEAT, record_version, msg, w.len, TLS_MAX_PLAINTEXT);
    free(msg);
    return ok;
}

static void mode_heartbeat_garbage(struct conn *c)
{
    uint8_t flight[FLIGHT_CAP];
    struct wire_writer w = wire_writer_init(flight, sizeof flight);
    if (!write_flight(c, &w, c->version > TLS_VERSION_SSL3, true) ||
        !send_all(c->fd, flight, w.len))
        return;
    int answers = 0;
    while (answers < MAX_HB_ANSWERS) {
        struct wire_reader stream = wire_reader_init(c->in, c->in_len);
        struct tls_record_header h;
        struct wire_reader body;
        hc_result r = tls_record_next(&stream, &h, &body);
        if (r.error == HC_ERR_SHORT) {
            if (read_some(c, 10000) <= 0)
                return;
            continue;
        }
        if (!hc_ok(r))
            break;
        if (h.type == TLS_CT_HEARTBEAT) {
            if (!answer_heartbeat_wrongly(c, h.version, &body))
                return;
            answers++;
        }
        drop_input(c, c->in_len - wire_remaining(&stream));
    }
    drain(c);
}

static void mode_slowloris(struct conn *c)
{
    uint8_t flight[FLIGHT_CAP];
    struct wire_writer w = wire_writer_init(flight, sizeof flight);
    if (!write_flight(c, &w, c->ch.heartbeat && c->version > TLS_VERSION_SSL3, true))
        return;
    for (size_t i = 0; i < w.len; i++) {
        if (!send_all(c->fd, flight + i, 1))
            return;
        /* A closed client shows up as readable EOF: stop trickling then. */
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (poll(&pfd, 1, SLOWLORIS_GAP_MS) > 0) {
            if (read_some(c, 0) == 0)
                return;
            c->in_len = 0;
        }
    }
    drain(c);
}

static void serve(int fd, const struct server *srv)
{
    static struct conn c;
    c = (struct conn){.fd = fd, .srv = srv, .version = TLS_VERSION_TLS12};
    junk_state ^= (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
    switch (srv->mode) {
    case MODE_SILENCE: drain(&c); return;
    case MODE_BANNER: mode_banner(&c); return;
    case MODE_SSLV2:
        if (read_some(&c, HELLO_TIMEOUT_MS) > 0)
            mode_sslv2(&c);
        return;
    default: break;
    }
    if (!read_client_hello(&c))
        return;
    switch (srv->mode) {
    case MODE_ONEBYTE: mode_onebyte(&c); break;
    case MODE_HUGELEN: mode_hugelen(&c); break;
    case MODE_HUGEHS: mode_hugehs(&c); break;
    case MODE_ENDLESS: mode_endless(&c); break;
    case MODE_ALERTFLOOD: mode_alertflood(&c); break;
    case MODE_RESET: mode_reset(&c); break;
    case MODE_HEARTBEAT_GARBAGE: mode_heartbeat_garbage(&c); break;
    case MODE_SLOWLORIS: mode_slowloris(&c); break;
    default: break;
    }
}

/* ---- setup ---- */

static bool cert_from_x509(struct server *srv, X509 *x)
{
    unsigned char *der = NULL;
    int len = x ? i2d_X509(x, &der) : -1;
    if (len <= 0)
        return false;
    srv->cert_der = malloc((size_t)len);
    if (srv->cert_der) {
        memcpy(srv->cert_der, der, (size_t)len);
        srv->cert_len = (size_t)len;
    }
    OPENSSL_free(der);
    return srv->cert_der != NULL;
}

static bool load_cert(struct server *srv, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return false;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    bool ok = cert_from_x509(srv, x);
    X509_free(x);
    if (!ok)
        fprintf(stderr, "%s: no PEM certificate\n", path);
    return ok;
}

/* Without --cert: a fresh self-signed CN=localhost RSA certificate, made in memory. */
static bool make_cert(struct server *srv)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    X509 *x = X509_new();
    bool ok = key && x && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
              X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
              X509_gmtime_adj(X509_getm_notAfter(x), 2L * 86400) && X509_set_pubkey(x, key);
    X509_NAME *name = ok ? X509_get_subject_name(x) : NULL;
    ok = ok &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                                    -1, -1, 0) &&
         X509_set_issuer_name(x, name) && X509_sign(x, key, EVP_sha256()) > 0 &&
         cert_from_x509(srv, x);
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok)
        fprintf(stderr, "hostile: cannot make a certificate\n");
    return ok;
}

static int listen_on(const char *addr, unsigned port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
            return -1;
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
            return -1;
        len = sizeof *s4;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
        close(fd);
        return -1;
    }
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        close(fd);
        return -1;
    }
    unsigned bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                    : ((struct sockaddr_in *)&ss)->sin_port);
    printf("listening on %u\n", bound);
    fflush(stdout);
    return fd;
}

static pid_t children[MAX_CHILDREN];
static size_t child_count;

static void reap(bool block)
{
    for (size_t i = 0; i < child_count;) {
        pid_t r = waitpid(children[i], NULL, block ? 0 : WNOHANG);
        if (r == children[i] || (r < 0 && errno == ECHILD)) {
            children[i] = children[--child_count];
            continue;
        }
        i++;
    }
}

static void stop_children(void)
{
    for (size_t i = 0; i < child_count; i++)
        kill(children[i], SIGTERM);
    for (int t = 0; t < 20 && child_count > 0; t++) {
        reap(false);
        if (child_count > 0)
            sleep_ms(50);
    }
    for (size_t i = 0; i < child_count; i++)
        kill(children[i], SIGKILL);
    reap(true);
}

static void child_main(int fd, int listener, const struct server *srv, pid_t parent)
{
    close(listener);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    alarm(CONN_LIFETIME_S);
    serve(fd, srv);
    close(fd);
    _exit(0);
}

static void usage(FILE *out)
{
    fputs("usage: hostile --port N (0: any free port) --mode MODE [--addr 127.0.0.1|::1]\n"
          "               [--cert FILE.pem]\n"
          "modes: onebyte hugelen hugehs endless silence alertflood reset banner sslv2\n"
          "       heartbeat-garbage slowloris\n",
          out);
}

static bool parse_mode(const char *s, enum mode *out)
{
    for (size_t i = 0; i < HC_ARRAY_LEN(mode_names); i++) {
        if (strcmp(s, mode_names[i]) == 0) {
            *out = (enum mode)i;
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'}, {"mode", required_argument, NULL, 'm'},
        {"addr", required_argument, NULL, 'a'}, {"cert", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    struct server srv = {0};
    const char *addr = "127.0.0.1", *cert = NULL;
    long port = -1;
    bool have_mode = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'p':
            port = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || port < 0 || port > 65535)
                port = -2;
            break;
        case 'm': have_mode = parse_mode(optarg, &srv.mode); break;
        case 'a': addr = optarg; break;
        case 'c': cert = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || port < 0 || !have_mode) {
        fprintf(stderr, "hostile: --port (0-65535) and a known --mode are required\n");
        usage(stderr);
        return 2;
    }
    if (!(cert ? load_cert(&srv, cert) : make_cert(&srv)))
        return 1;

    struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: poll returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int listener = listen_on(addr, (unsigned)port);
    if (listener < 0) {
        perror("hostile: listen");
        free(srv.cert_der);
        return 1;
    }
    pid_t self = getpid();
    while (!stop_requested) {
        reap(false);
        if (child_count == MAX_CHILDREN) {
            sleep_ms(100);
            continue;
        }
        struct pollfd pfd = {.fd = listener, .events = POLLIN};
        if (poll(&pfd, 1, 200) <= 0)
            continue;
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        pid_t pid = fork();
        if (pid == 0)
            child_main(fd, listener, &srv, self);
        if (pid > 0)
            children[child_count++] = pid;
        close(fd);
    }
    close(listener);
    stop_children();
    free(srv.cert_der);
    return 0;
}
