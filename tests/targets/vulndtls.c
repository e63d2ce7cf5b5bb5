/* vulndtls: a DTLS server on UDP that reacts to heartbeats like OpenSSL 1.0.1f's DTLS code, like
 * 1.0.1g's, or like a stack without heartbeats - up to that reaction. It never completes a
 * handshake, so it needs a certificate but no key.
 *
 * What it imitates (OpenSSL 1.0.1f, d1_srvr.c, d1_both.c, d1_pkt.c):
 * - a HelloVerifyRequest (message_seq 0) with a cookie bound to the client's address, then
 *   ServerHello, Certificate, ServerHelloDone (message_seq 1, 2, 3) cut into records that fit
 *   --mtu, several records per datagram when they fit; a repeated ClientHello gets the flight
 *   again (RFC 6347 4.2.4);
 * - records from a replayed sequence number, or of another version than the negotiated one
 *   once it is known, are dropped silently (dtls1_get_record);
 * - dtls1_process_heartbeat copies payload_length bytes from the record onwards (here: from a
 *   fake heap) and writes 3 + payload_length + 16 bytes with dtls1_write_bytes, which
 *   OPENSSL_assert()s len <= 16384: a larger answer ABORTS the server. This one prints the
 *   assertion and exits, so a test can tell whether a scanner ever crashed it.
 * Usage: see usage() below. */
#include "tls/tls.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

enum mode { MODE_VULNERABLE, MODE_PATCHED, MODE_NOHEARTBEAT };
enum newer { NEWER_DOWNGRADE, NEWER_ALERT, NEWER_IGNORE }; /* a DTLS 1.2 hello, 1.0 only */

enum {
    MAX_PEERS = 32,
    DATAGRAM_MAX = 65536,
    DEFAULT_MTU = 1400,
    MIN_MTU = DTLS_RECORD_HEADER_LEN + DTLS_HANDSHAKE_HEADER_LEN + 1,
    COOKIE_LEN = 20, /* s_server's cookie: HMAC-SHA1 of the peer's address */
    FAKE_HEAP_LEN = 65536 + 16,
    FLIGHT_MAX = 3 * 65536,
    EXIT_ASSERT = 134, /* what SIGABRT would give the shell */
};

struct options {
    unsigned port;
    const char *addr;
    const char *cert;
    enum mode mode;
    bool dtls10_only;
    enum newer newer;
    unsigned long drop; /* the first datagrams received, never looked at */
    bool silent;
    size_t mtu;
};

struct peer {
    bool used;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    uint64_t last_use;
    uint16_t version; /* 0 until the ServerHello went out */
    uint64_t next_seq;
    uint64_t max_seen; /* replay window: the highest sequence seen and 64 below it */
    uint64_t seen_bits;
    bool any_seen;
};

static struct options opt = {.addr = "127.0.0.1", .mtu = DEFAULT_MTU, .newer = NEWER_DOWNGRADE};
static int sock = -1;
static struct peer peers[MAX_PEERS];
static uint64_t clock_ticks;
static uint8_t secret[32];
static uint8_t *cert_der;
static size_t cert_len;
static uint8_t fake_heap[FAKE_HEAP_LEN];

/* ---- peers ---- */

static struct peer *find_peer(const struct sockaddr_storage *a, socklen_t len)
{
    struct peer *oldest = &peers[0];
    for (size_t i = 0; i < MAX_PEERS; i++) {
        struct peer *p = &peers[i];
        if (p->used && p->addr_len == len && memcmp(&p->addr, a, len) == 0) {
            p->last_use = ++clock_ticks;
            return p;
        }
        if (!p->used || p->last_use < oldest->last_use)
            oldest = p;
    }
    memset(oldest, 0, sizeof *oldest);
    oldest->used = true;
    memcpy(&oldest->addr, a, len);
    oldest->addr_len = len;
    oldest->last_use = ++clock_ticks;
    return oldest;
}

/* dtls1_record_replay_check: a 64-record window below the highest sequence seen. */
static bool replayed(struct peer *p, uint64_t seq)
{
    if (!p->any_seen || seq > p->max_seen) {
        uint64_t shift = p->any_seen ? seq - p->max_seen : 64;
        p->seen_bits = shift >= 64 ? 1 : (p->seen_bits << shift) | 1;
        p->max_seen = seq;
        p->any_seen = true;
        return false;
    }
    uint64_t back = p->max_seen - seq;
    if (back >= 64 || (p->seen_bits >> back & 1))
        return true;
    p->seen_bits |= 1ull << back;
    return false;
}

/* ---- output ---- */

static void send_datagram(const struct peer *p, const uint8_t *d, size_t n)
{
    if (sendto(sock, d, n, 0, (const struct sockaddr *)&p->addr, p->addr_len) < 0)
        perror("vulndtls: sendto");
}

static void send_alert(struct peer *p, uint16_t version, uint8_t description)
{
    uint8_t buf[DTLS_RECORD_HEADER_LEN + 2];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct wire_mark rec = dtls_record_open(&w, TLS_CT_ALERT, version, 0, p->next_seq++);
    wire_write_u8(&w, TLS_ALERT_FATAL);
    wire_write_u8(&w, description);
    wire_close(&w, rec);
    send_datagram(p, buf, w.len);
    printf("alert %u sent\n", description);
}

/* Packs fragment records into datagrams of at most opt.mtu bytes. */
struct packer {
    struct peer *peer;
    uint8_t buf[DATAGRAM_MAX];
    size_t len;
};

static void pack_flush(struct packer *k)
{
    if (k->len)
        send_datagram(k->peer, k->buf, k->len);
    k->len = 0;
}

static void pack_message(struct packer *k, uint16_t version, uint8_t type, uint16_t message_seq,
                         const uint8_t *body, size_t len)
{
    size_t room = opt.mtu - DTLS_RECORD_HEADER_LEN - DTLS_HANDSHAKE_HEADER_LEN;
    size_t off = 0;
    do {
        size_t n = len - off < room ? len - off : room;
        size_t rec_len = DTLS_RECORD_HEADER_LEN + DTLS_HANDSHAKE_HEADER_LEN + n;
        if (k->len + rec_len > opt.mtu)
            pack_flush(k);
        struct wire_writer w = wire_writer_init(k->buf + k->len, sizeof k->buf - k->len);
        struct wire_mark rec =
            dtls_record_open(&w, TLS_CT_HANDSHAKE, version, 0, k->peer->next_seq++);
        struct dtls_fragment f = {.type = type,
                                  .length = (uint32_t)len,
                                  .message_seq = message_seq,
                                  .offset = (uint32_t)off,
                                  .data = body + off,
                                  .data_len = (uint32_t)n};
        dtls_fragment_write(&w, &f);
        wire_close(&w, rec);
        k->len += w.len;
        off += n;
    } while (off < len);
}

static void send_hello_verify(struct peer *p, const uint8_t *cookie)
{
    uint8_t buf[512];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    struct dtls_hello_verify hv = {.server_version = DTLS_VERSION_10, .cookie_len = COOKIE_LEN};
    memcpy(hv.cookie, cookie, COOKIE_LEN);
    /* RFC 6347 4.2.1: DTLS 1.0 in the HelloVerifyRequest, whatever comes next. */
    struct wire_mark rec =
        dtls_record_open(&w, TLS_CT_HANDSHAKE, DTLS_VERSION_10, 0, p->next_seq++);
    dtls_hello_verify_write(&w, 0, &hv);
    wire_close(&w, rec);
    send_datagram(p, buf, w.len);
}

static uint16_t choose_suite(const struct tls_client_hello *ch, uint16_t version)
{
    for (size_t i = 0; i < ch->cipher_count && i < TLS_MAX_CLIENT_CIPHERS; i++) {
        const struct tls_cipher_suite *cs = tls_cipher_suite_find(ch->ciphers[i]);
        bool usable = cs && (!cs->tls12_only || version == DTLS_VERSION_12);
        if (usable && cs->rsa_kx && !strstr(cs->name, "_RC4_"))
            return cs->id; /* plain RSA: no ServerKeyExchange to sign */
    }
    return 0x002f; /* TLS_RSA_WITH_AES_128_CBC_SHA */
}

/* The flight after the cookie: each message built TLS-style, sent without its 4-byte header. */
static void send_flight(struct peer *p, const struct tls_client_hello *ch)
{
    static uint8_t msgs[FLIGHT_MAX];
    struct wire_writer w = wire_writer_init(msgs, sizeof msgs);
    struct tls_server_hello_params sh = {
        .version = p->version, .cipher_suite = choose_suite(ch, p->version), .heartbeat = true};
    if (getrandom(sh.random, sizeof sh.random, 0) != sizeof sh.random)
        memset(sh.random, 0x5a, sizeof sh.random);
    tls_server_hello_write(&w, &sh);
    size_t cert_at = w.len;
    tls_certificate_write(&w, cert_der, cert_len);
    if (!hc_ok(wire_writer_result(&w))) {
        fprintf(stderr, "vulndtls: cannot build the flight\n");
        return;
    }
    struct packer *k = calloc(1, sizeof *k);
    if (!k)
        return;
    k->peer = p;
    size_t hdr = TLS_HANDSHAKE_HEADER_LEN;
    pack_message(k, p->version, TLS_HS_SERVER_HELLO, 1, msgs + hdr, cert_at - hdr);
    pack_message(k, p->version, TLS_HS_CERTIFICATE, 2, msgs + cert_at + hdr, w.len - cert_at - hdr);
    static const uint8_t empty[1]; /* ServerHelloDone has no body; NULL + 0 is undefined */
    pack_message(k, p->version, TLS_HS_SERVER_HELLO_DONE, 3, empty, 0);
    pack_flush(k);
    free(k);
    printf("flight sent (%s)\n", tls_version_name(p->version));
}

/* ---- input ---- */

static void make_cookie(const struct peer *p, uint8_t out[COOKIE_LEN])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    uint8_t in[sizeof secret + sizeof p->addr];
    memcpy(in, secret, sizeof secret);
    memcpy(in + sizeof secret, &p->addr, p->addr_len);
    EVP_Digest(in, sizeof secret + p->addr_len, md, &md_len, EVP_sha256(), NULL);
    memcpy(out, md, COOKIE_LEN);
}

/* 0 when the hello is to be ignored; the version otherwise. */
static uint16_t negotiate(struct peer *p, uint16_t offered)
{
    if (offered == DTLS_VERSION_12 && !opt.dtls10_only)
        return DTLS_VERSION_12;
    if (offered == DTLS_VERSION_12 && opt.newer == NEWER_ALERT) {
        send_alert(p, DTLS_VERSION_10, TLS_ALERT_PROTOCOL_VERSION);
        return 0;
    }
    if (offered == DTLS_VERSION_12 && opt.newer == NEWER_IGNORE)
        return 0;
    return DTLS_VERSION_10; /* 1.0.1f: any offer it can meet becomes DTLS 1.0 */
}

static void on_client_hello(struct peer *p, const struct dtls_fragment *f)
{
    if (f->offset != 0 || f->data_len != f->length)
        return; /* our client sends whole hellos; reassembly is the scanner's side */
    struct tls_client_hello ch;
    uint8_t cookie[DTLS_MAX_COOKIE], want[COOKIE_LEN];
    size_t cookie_len = 0;
    if (!hc_ok(dtls_client_hello_parse(f->data, f->data_len, &ch, cookie, &cookie_len))) {
        printf("bad ClientHello\n");
        return;
    }
    make_cookie(p, want);
    if (cookie_len != COOKIE_LEN || memcmp(cookie, want, COOKIE_LEN) != 0) {
        send_hello_verify(p, want);
        return;
    }
    uint16_t v = negotiate(p, ch.version);
    if (v == 0)
        return;
    p->version = v;
    send_flight(p, &ch); /* again for a repeated hello: our flight was lost */
}

static void on_heartbeat(struct peer *p, struct wire_reader *body)
{
    size_t rec_len = wire_remaining(body);
    struct tls_heartbeat_header hb;
    if (!p->version || !hc_ok(tls_heartbeat_header_parse(body, &hb)) ||
        hb.type != TLS_HEARTBEAT_REQUEST)
        return;
    if (opt.mode == MODE_NOHEARTBEAT) {
        printf("heartbeat: payload_length %u -> refused\n", hb.payload_length);
        send_alert(p, p->version, TLS_ALERT_UNEXPECTED_MESSAGE);
        return;
    }
    size_t answer = TLS_HEARTBEAT_HEADER_LEN + hb.payload_length + TLS_HEARTBEAT_MIN_PADDING;
    if (opt.mode == MODE_PATCHED && answer > rec_len) {
        printf("heartbeat: payload_length %u, record %zu -> dropped\n", hb.payload_length, rec_len);
        return; /* 1.0.1g: RFC 6520 section 4, silently discarded */
    }
    if (answer > TLS_MAX_PLAINTEXT) {
        printf("heartbeat: payload_length %u, record %zu -> abort\n", hb.payload_length, rec_len);
        fprintf(stderr,
                "vulndtls: d1_pkt.c: OpenSSL internal error, assertion failed: len <= "
                "SSL3_RT_MAX_PLAIN_LENGTH (answer of %zu bytes)\n",
                answer);
        fflush(NULL);
        _exit(EXIT_ASSERT);
    }
    /* 1.0.1f copies payload_length bytes from the payload on: past the record, the heap. */
    static uint8_t heap[DATAGRAM_MAX + FAKE_HEAP_LEN];
    size_t have = wire_remaining(body);
    memcpy(heap, wire_peek(body), have);
    memcpy(heap + have, fake_heap, FAKE_HEAP_LEN);
    uint8_t out[DTLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT];
    struct wire_writer w = wire_writer_init(out, sizeof out);
    struct wire_mark rec = dtls_record_open(&w, TLS_CT_HEARTBEAT, p->version, 0, p->next_seq++);
    wire_write_u8(&w, TLS_HEARTBEAT_RESPONSE);
    wire_write_u16(&w, hb.payload_length);
    wire_write_bytes(&w, heap, hb.payload_length);
    wire_write_fill(&w, 0xab, TLS_HEARTBEAT_MIN_PADDING);
    wire_close(&w, rec);
    send_datagram(p, out, w.len);
    printf("heartbeat: payload_length %u, record %zu -> answered\n", hb.payload_length, rec_len);
}

static void on_record(struct peer *p, const struct dtls_record_header *h, struct wire_reader *body)
{
    if (h->epoch != 0 || replayed(p, h->sequence))
        return;
    if (p->version && h->version != p->version && h->type != TLS_CT_HANDSHAKE)
        return; /* dtls1_get_record: wrong version, silently discarded */
    if (h->type == TLS_CT_HEARTBEAT) {
        on_heartbeat(p, body);
        return;
    }
    while (h->type == TLS_CT_HANDSHAKE && wire_remaining(body) > 0) {
        struct dtls_fragment f;
        if (!hc_ok(dtls_fragment_next(body, &f)))
            return;
        if (f.type == TLS_HS_CLIENT_HELLO)
            on_client_hello(p, &f);
    }
}

static void on_datagram(const struct sockaddr_storage *from, socklen_t from_len,
                        const uint8_t *data, size_t len)
{
    struct peer *p = find_peer(from, from_len);
    struct wire_reader dg = wire_reader_init(data, len);
    while (wire_remaining(&dg) > 0) {
        struct dtls_record_header h;
        struct wire_reader body;
        if (!hc_ok(dtls_record_next(&dg, &h, &body)))
            return; /* the rest of the datagram is dropped */
        on_record(p, &h, &body);
    }
}

/* ---- setup ---- */

static bool load_cert(void)
{
    FILE *f = fopen(opt.cert, "r");
    if (!f) {
        perror(opt.cert);
        return false;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    unsigned char *der = NULL;
    int len = x ? i2d_X509(x, &der) : -1;
    X509_free(x);
    if (len <= 0) {
        fprintf(stderr, "%s: no PEM certificate\n", opt.cert);
        return false;
    }
    cert_der = malloc((size_t)len);
    if (cert_der) {
        struct wire_writer w = wire_writer_init(cert_der, (size_t)len);
        wire_write_bytes(&w, der, (size_t)len);
        cert_len = (size_t)len;
    }
    OPENSSL_free(der);
    return cert_der != NULL;
}

static void fill_fake_heap(void)
{
    struct wire_writer w = wire_writer_init(fake_heap, sizeof fake_heap);
    for (unsigned i = 0; w.len < w.cap; i++) {
        char line[96];
        int n =
            snprintf(line, sizeof line, "vulndtls-test-heap-secret:session=%08x;key=fake-%06u\n",
                     i * 2654435761u, i);
        size_t left = w.cap - w.len;
        wire_write_bytes(&w, line, (size_t)n < left ? (size_t)n : left);
    }
}

static int open_socket(void)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, opt.addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)opt.port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, opt.addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)opt.port);
        len = sizeof *v6;
    } else {
        fprintf(stderr, "vulndtls: --addr %s is not an address\n", opt.addr);
        return -1;
    }
    int s = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&ss, len) != 0 ||
        getsockname(s, (struct sockaddr *)&ss, &len) != 0) {
        perror("vulndtls: bind");
        return -1;
    }
    unsigned port = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    printf("listening on %u\n", port);
    fflush(stdout);
    return s;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: vulndtls --cert PEM [--port N] [--addr ADDR] [--mode vulnerable|patched|\n"
        "       noheartbeat] [--dtls1.0-only [--newer downgrade|alert|ignore]] [--drop N]\n"
        "       [--silent] [--mtu BYTES]\n"
        "A DTLS server on UDP (127.0.0.1, port 0: any free one, printed as 'listening on N')\n"
        "that answers heartbeats like OpenSSL 1.0.1f (vulnerable: and exits with an assertion\n"
        "message when an answer would exceed 16384 bytes), 1.0.1g (patched) or not at all\n"
        "(noheartbeat: alert unexpected_message). --dtls1.0-only: a DTLS 1.2 hello is met with\n"
        "DTLS 1.0 (downgrade, as 1.0.1f), alert protocol_version, or ignored. --drop N: the\n"
        "first N datagrams are lost. --silent: nothing is ever answered. --mtu: largest\n"
        "datagram of the flight (default 1400; small values fragment the Certificate).\n");
}

static bool parse_options(int argc, char **argv)
{
    static const struct option longs[] = {{"port", required_argument, NULL, 'p'},
                                          {"addr", required_argument, NULL, 'a'},
                                          {"cert", required_argument, NULL, 'c'},
                                          {"mode", required_argument, NULL, 'm'},
                                          {"dtls1.0-only", no_argument, NULL, '1'},
                                          {"newer", required_argument, NULL, 'n'},
                                          {"drop", required_argument, NULL, 'd'},
                                          {"silent", no_argument, NULL, 's'},
                                          {"mtu", required_argument, NULL, 'u'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    unsigned long v;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!hc_parse_uint(optarg, 0, 65535, &v))
                return false;
            opt.port = (unsigned)v;
            break;
        case 'a': opt.addr = optarg; break;
        case 'c': opt.cert = optarg; break;
        case 'm':
            if (!strcmp(optarg, "vulnerable"))
                opt.mode = MODE_VULNERABLE;
            else if (!strcmp(optarg, "patched"))
                opt.mode = MODE_PATCHED;
            else if (!strcmp(optarg, "noheartbeat"))
                opt.mode = MODE_NOHEARTBEAT;
            else
                return false;
            break;
        case '1': opt.dtls10_only = true; break;
        case 'n':
            if (!strcmp(optarg, "downgrade"))
                opt.newer = NEWER_DOWNGRADE;
            else if (!strcmp(optarg, "alert"))
                opt.newer = NEWER_ALERT;
            else if (!strcmp(optarg, "ignore"))
                opt.newer = NEWER_IGNORE;
            else
                return false;
            break;
        case 'd':
            if (!hc_parse_uint(optarg, 0, 1000, &opt.drop))
                return false;
            break;
        case 's': opt.silent = true; break;
        case 'u':
            if (!hc_parse_uint(optarg, MIN_MTU, DATAGRAM_MAX, &v))
                return false;
            opt.mtu = v;
            break;
        case 'h': usage(stdout); exit(0);
        default: return false;
        }
    }
    return opt.cert && optind == argc;
}

int main(int argc, char **argv)
{
    if (!parse_options(argc, argv)) {
        usage(stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!load_cert() || getrandom(secret, sizeof secret, 0) != sizeof secret)
        return 1;
    fill_fake_heap();
    sock = open_socket();
    if (sock < 0)
        return 1;
    static uint8_t buf[DATAGRAM_MAX];
    unsigned long received = 0;
    for (;;) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            perror("vulndtls: recvfrom");
            continue;
        }
        if (++received <= opt.drop || opt.silent) {
            printf("datagram %lu dropped\n", received);
            continue;
        }
        on_datagram(&from, from_len, buf, (size_t)n);
    }
}
