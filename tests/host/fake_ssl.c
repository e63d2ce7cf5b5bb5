/* fake_ssl: stand-ins for a shared libssl, built at run time by tests/unit/test_behave.c.
 *
 * Each exposes the libssl calls src/host/behave.c makes (SSL_CTX_new ... SSL_do_handshake) on
 * real OpenSSL 3 memory BIOs (linked with -lcrypto), and misbehaves as the build asks:
 *   -DFAKE_CRASH       SSL_do_handshake dereferences NULL (1.1+ API)
 *   -DFAKE_HANG        SSL_do_handshake blocks every signal and sleeps for ever (1.1+ API)
 *   -DFAKE_GARBAGE     a constructor writes junk into fd 3, the behave child's result pipe
 *   -DFAKE_VULNERABLE  the server side of OpenSSL 1.0.1f up to its heartbeat answer (1.0 API)
 *   -DFAKE_PATCHED     the same with the 1.0.1g fix: short heartbeats are dropped (1.0 API)
 *   -DFAKE_REFUSE_ABOVE=V  with either: a ClientHello above version V gets a fatal
 *                      protocol_version alert (as some servers do), so the probe falls back
 *
 * The 1.0.1f emulation follows tests/targets/vulnserver.c (and 1.0.1f's source): ssl3_accept
 * writes the handshake through a 4096-byte BIO_f_buffer, flushed at the end of the flight;
 * tls1_process_heartbeat answers a heartbeat at any time after the ServerHello, in plaintext,
 * then ssl3_read_bytes returns "retry read" (SSL_ERROR_WANT_READ). It never reads memory
 * beyond the record: a claim longer than the record is answered with filler bytes. */
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    ERROR_SSL = 1, /* SSL_ERROR_SSL */
    ERROR_WANT_READ = 2,
    RECORD_HEADER = 5,
    MAX_PLAINTEXT = 16384,
    IN_CAP = 4 * (RECORD_HEADER + MAX_PLAINTEXT),
    WBUF = 4096, /* ssl3_accept's BIO_f_buffer */
    CT_ALERT = 21,
    CT_HANDSHAKE = 22,
    CT_HEARTBEAT = 24,
    ALERT_UNEXPECTED_MESSAGE = 10,
    ALERT_HANDSHAKE_FAILURE = 40,
    ALERT_PROTOCOL_VERSION = 70,
};

struct fake_ctx {
    unsigned char *cert;
    int cert_len;
};

struct fake_ssl {
    struct fake_ctx *ctx;
    BIO *rbio, *wbio;
    int last_error;
    int flight_sent;
    uint16_t version;
    uint8_t in[IN_CAP];
    size_t in_len;
    uint8_t wbuf[WBUF];
    size_t wbuf_len;
};

/* ---- the API every flavour shares ---- */

void *SSL_CTX_new(const void *method)
{
    (void)method;
    return calloc(1, sizeof(struct fake_ctx));
}

void SSL_CTX_free(void *c)
{
    struct fake_ctx *ctx = c;
    if (ctx)
        OPENSSL_free(ctx->cert);
    free(ctx);
}

int SSL_CTX_use_certificate(void *c, X509 *x)
{
    struct fake_ctx *ctx = c;
    ctx->cert_len = i2d_X509(x, &ctx->cert);
    return ctx->cert_len > 0;
}

int SSL_CTX_use_PrivateKey(void *c, EVP_PKEY *key)
{
    (void)c;
    return key != NULL; /* the handshake never gets as far as using it */
}

void *SSL_new(void *ctx)
{
    struct fake_ssl *s = calloc(1, sizeof *s);
    if (s)
        s->ctx = ctx;
    return s;
}

void SSL_free(void *p)
{
    struct fake_ssl *s = p;
    if (!s)
        return;
    BIO_free(s->rbio);
    BIO_free(s->wbio);
    free(s);
}

void SSL_set_bio(void *p, BIO *rbio, BIO *wbio)
{
    struct fake_ssl *s = p;
    s->rbio = rbio;
    s->wbio = wbio;
}

void SSL_set_accept_state(void *p) { (void)p; }

int SSL_get_error(const void *p, int ret)
{
    (void)ret;
    return ((const struct fake_ssl *)p)->last_error;
}

#if defined(FAKE_CRASH) || defined(FAKE_HANG) || defined(FAKE_GARBAGE)

/* ---- misbehaving libraries with the 1.1+ names ---- */

int OPENSSL_init_ssl(uint64_t opts, const void *settings)
{
    (void)opts;
    (void)settings;
    return 1;
}

const void *TLS_server_method(void) { return "fake method"; }

#ifdef FAKE_GARBAGE
__attribute__((constructor)) static void scribble(void)
{
    static const char junk[] = "\x01\x02junk that is not a behave report";
    if (write(3, junk, sizeof junk) < 0)
        return;
}
#endif

int SSL_do_handshake(void *p)
{
    struct fake_ssl *s = p;
#if defined(FAKE_CRASH)
    *(volatile int *)(uintptr_t)s->flight_sent = 1; /* address 0 */
#elif defined(FAKE_HANG)
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (;;)
        pause();
#endif
    s->last_error = ERROR_SSL;
    return -1;
}

#else

/* ---- OpenSSL 1.0.1f, server side, up to its heartbeat answer ---- */

int SSL_library_init(void) { return 1; }

const void *SSLv23_server_method(void) { return "fake method"; }

#undef SSLeay_version /* OpenSSL 3's headers make it a macro over OpenSSL_version */
/* Says whose privileges the loaded library runs with: the audit drops to nobody first. */
const char *SSLeay_version(int type)
{
    (void)type;
    static char text[128];
#ifdef FAKE_PATCHED
    const char *what = "heartcheck test emulation, with the 1.0.1g fix";
#else
    const char *what = "heartcheck test emulation";
#endif
    snprintf(text, sizeof text, "OpenSSL 1.0.1f 6 Jan 2014 (%s) euid=%u", what,
             (unsigned)geteuid());
    return text;
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    put16(p + 1, v);
}

static size_t get16(const uint8_t *p) { return (size_t)p[0] << 8 | p[1]; }

static void flush(struct fake_ssl *s)
{
    if (s->wbuf_len > 0)
        BIO_write(s->wbio, s->wbuf, (int)s->wbuf_len);
    s->wbuf_len = 0;
}

/* BIO_f_buffer's buffer_write: what fits is only buffered; otherwise the buffer is filled
 * and flushed, a remainder of at least the buffer size goes out directly, the rest waits. */
static void buffered_write(struct fake_ssl *s, const uint8_t *p, size_t n)
{
    size_t room = WBUF - s->wbuf_len;
    if (n <= room) {
        memcpy(s->wbuf + s->wbuf_len, p, n);
        s->wbuf_len += n;
        return;
    }
    if (s->wbuf_len > 0) {
        memcpy(s->wbuf + s->wbuf_len, p, room);
        s->wbuf_len = WBUF;
        p += room;
        n -= room;
        flush(s);
    }
    if (n >= WBUF) {
        BIO_write(s->wbio, p, (int)n);
        return;
    }
    memcpy(s->wbuf, p, n);
    s->wbuf_len = n;
}

/* ssl3_write_bytes: records of at most 16384 bytes, each through the buffer on its own. */
static void write_records(struct fake_ssl *s, uint8_t type, const uint8_t *data, size_t len)
{
    static uint8_t rec[RECORD_HEADER + MAX_PLAINTEXT];
    size_t off = 0;
    do {
        size_t n = len - off < MAX_PLAINTEXT ? len - off : MAX_PLAINTEXT;
        rec[0] = type;
        put16(rec + 1, s->version);
        put16(rec + 3, n);
        memcpy(rec + RECORD_HEADER, data + off, n);
        buffered_write(s, rec, RECORD_HEADER + n);
        off += n;
    } while (off < len);
}

/* A fatal alert is flushed at once; the SSL is finished. */
static int fatal(struct fake_ssl *s, uint16_t version, uint8_t description)
{
    uint8_t alert[RECORD_HEADER + 2] = {CT_ALERT, 0, 0, 0, 2, 2, description};
    put16(alert + 1, version);
    buffered_write(s, alert, sizeof alert);
    flush(s);
    s->last_error = ERROR_SSL;
    return -1;
}

/* The client's first suite with RSA key exchange (no ServerKeyExchange to sign). */
static int choose_suite(const uint8_t *list, size_t len, uint16_t version)
{
    static const uint16_t rsa_kx[] = {0x002f, 0x0035, 0x000a, 0x0005, 0x003c, 0x009c};
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t id = (uint16_t)get16(list + i);
        for (size_t k = 0; k < sizeof rsa_kx / sizeof rsa_kx[0]; k++)
            if (id == rsa_kx[k] && (k < 4 || version == 0x0303))
                return id;
    }
    return -1;
}

static void send_flight(struct fake_ssl *s, uint16_t suite)
{
    uint8_t hello[4 + 2 + 32 + 1 + 32 + 2 + 1 + 2 + 5] = {2};
    size_t n = 4;
    put16(hello + n, s->version);
    n += 2;
    memset(hello + n, 0x42, 32); /* random: any bytes do */
    n += 32;
    hello[n++] = 32;
    memset(hello + n, 0x53, 32);
    n += 32;
    put16(hello + n, suite);
    n += 3; /* and null compression */
    if (s->version > 0x0300) {
        static const uint8_t heartbeat_ext[] = {0, 5, 0, 0x0f, 0, 1, 1};
        memcpy(hello + n, heartbeat_ext, sizeof heartbeat_ext);
        n += sizeof heartbeat_ext;
    }
    put24(hello + 1, n - 4);
    write_records(s, CT_HANDSHAKE, hello, n);

    size_t der = (size_t)s->ctx->cert_len, cert_len = 4 + 3 + 3 + der;
    uint8_t *cert = malloc(cert_len);
    if (cert) {
        cert[0] = 11;
        put24(cert + 1, 3 + 3 + der);
        put24(cert + 4, 3 + der);
        put24(cert + 7, der);
        memcpy(cert + 10, s->ctx->cert, der);
        write_records(s, CT_HANDSHAKE, cert, cert_len);
        free(cert);
    }
    static const uint8_t done[] = {14, 0, 0, 0};
    write_records(s, CT_HANDSHAKE, done, sizeof done);
    flush(s); /* SSL3_ST_SW_FLUSH: the flight leaves in one write */
    s->flight_sent = 1;
}

/* One ClientHello in one record: all the probe ever sends. */
static int client_hello(struct fake_ssl *s, const uint8_t *b, size_t len)
{
    if (len < 4 + 2 + 32 + 1 || b[0] != 1)
        return fatal(s, 0x0301, ALERT_UNEXPECTED_MESSAGE);
    uint16_t offered = (uint16_t)get16(b + 4);
#ifdef FAKE_REFUSE_ABOVE
    if (offered > FAKE_REFUSE_ABOVE)
        return fatal(s, offered, ALERT_PROTOCOL_VERSION);
#endif
    s->version = offered < 0x0303 ? offered : 0x0303;
    if (s->version < 0x0300)
        return fatal(s, offered, ALERT_PROTOCOL_VERSION);
    size_t at = 4 + 2 + 32;
    at += 1 + b[at]; /* session id */
    if (at + 2 > len || at + 2 + get16(b + at) > len)
        return fatal(s, s->version, ALERT_UNEXPECTED_MESSAGE);
    int suite = choose_suite(b + at + 2, get16(b + at), s->version);
    if (suite < 0)
        return fatal(s, s->version, ALERT_HANDSHAKE_FAILURE);
    send_flight(s, (uint16_t)suite);
    return 0;
}

/* tls1_process_heartbeat, 1.0.1f or 1.0.1g, then "retry read". */
static int heartbeat(struct fake_ssl *s, const uint8_t *b, size_t len)
{
    size_t claim = len >= 3 ? get16(b + 1) : 0;
#ifdef FAKE_PATCHED
    int answer = len >= 3 && b[0] == 1 && 3 + claim + 16 <= len;
#else
    int answer = len >= 3 && b[0] == 1;
#endif
    uint8_t *msg = answer ? calloc(1, 3 + claim + 16) : NULL;
    if (msg) {
        msg[0] = 2;
        put16(msg + 1, claim);
        memcpy(msg + 3, b + 3, claim <= len - 3 ? claim : len - 3);
        write_records(s, CT_HEARTBEAT, msg, 3 + claim + 16);
        free(msg);
    }
    s->last_error = ERROR_WANT_READ;
    return -1;
}

static int record(struct fake_ssl *s, const uint8_t *rec, size_t len)
{
    uint16_t version = (uint16_t)get16(rec + 1);
    if (!s->flight_sent)
        return rec[0] == CT_HANDSHAKE ? client_hello(s, rec + RECORD_HEADER, len)
                                      : fatal(s, version, ALERT_UNEXPECTED_MESSAGE);
    if (version != s->version)
        return fatal(s, version, ALERT_PROTOCOL_VERSION);
    if (rec[0] == CT_HEARTBEAT)
        return heartbeat(s, rec + RECORD_HEADER, len);
    return fatal(s, s->version, ALERT_UNEXPECTED_MESSAGE); /* we never finish a handshake */
}

int SSL_do_handshake(void *p)
{
    struct fake_ssl *s = p;
    int n;
    while (s->in_len < IN_CAP &&
           (n = BIO_read(s->rbio, s->in + s->in_len, (int)(IN_CAP - s->in_len))) > 0)
        s->in_len += (size_t)n;
    while (s->in_len >= RECORD_HEADER) {
        size_t len = get16(s->in + 3);
        if (len > MAX_PLAINTEXT + 2048)
            return fatal(s, s->version, ALERT_UNEXPECTED_MESSAGE);
        if (s->in_len < RECORD_HEADER + len)
            break;
        int rc = record(s, s->in, len);
        memmove(s->in, s->in + RECORD_HEADER + len, s->in_len - RECORD_HEADER - len);
        s->in_len -= RECORD_HEADER + len;
        if (rc < 0)
            return rc;
    }
    s->last_error = ERROR_WANT_READ;
    return -1;
}

#endif
