/* The scripted TLS server of scripted_server.h: one thread per server, every wait bounded. */
#include "unit.h"

#include "support/scripted_server.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { IDLE_LIMIT_MS = 3000, POLL_MS = 20, RECORD_MAX = 5 + 16384 + 2048 };

static uint8_t *cert_der;
static int cert_der_len;

/* A throw-away self-signed RSA certificate, made once: CN=localhost. */
int scripted_server_make_cert(void **state)
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

/* Frees the certificate of scripted_server_make_cert. */
int scripted_server_free_cert(void **state)
{
    (void)state;
    OPENSSL_free(cert_der);
    return 0;
}

/* Reads exactly n bytes; false on EOF, error, stop, or IDLE_LIMIT_MS without a byte. */
static bool read_full(struct scripted_server *s, int fd, uint8_t *buf, size_t n)
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
static long read_record(struct scripted_server *s, int fd, uint8_t *buf)
{
    if (!read_full(s, fd, buf, 5))
        return -1;
    size_t len = (size_t)(buf[3] << 8 | buf[4]);
    if (len > RECORD_MAX - 5 || !read_full(s, fd, buf + 5, len))
        return -1;
    return (long)len;
}

/* Sends all n bytes; false when the peer is gone. */
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

/* The bytes in small writes with pauses: the reader gets one record in many pieces. */
static bool write_slowly(int fd, const uint8_t *p, size_t n)
{
    struct timespec pause = {.tv_nsec = 2 * 1000 * 1000};
    for (size_t at = 0; at < n; at += 1000) {
        if (!write_all(fd, p + at, n - at < 1000 ? n - at : 1000))
            return false;
        nanosleep(&pause, NULL);
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
static bool send_heartbeat_response(const struct scripted_server *s, int fd, const uint8_t *req,
                                    size_t req_len)
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
    bool ok = s->trickle ? write_slowly(fd, out, n) : write_all(fd, out, n);
    free(msg);
    free(out);
    return ok;
}

/* Answers heartbeat requests as the mode says until the client goes or the server stops. */
static void answer_heartbeats(struct scripted_server *s, int fd, uint8_t *buf)
{
    long len;
    while ((len = read_record(s, fd, buf)) >= 0) {
        if (buf[0] != TLS_CT_HEARTBEAT || len < 3 || buf[5] != TLS_HEARTBEAT_REQUEST)
            continue;
        size_t claimed = (size_t)(buf[6] << 8 | buf[7]);
        bool padded = 3 + claimed + 16 <= (size_t)len; /* the 1.0.1g check */
        if (s->mode == SRV_NO_HEARTBEAT) {
            static const uint8_t alert[] = {TLS_CT_ALERT, 3, 3, 0, 2, 2, 10};
            write_all(fd, alert, sizeof alert);
            return;
        }
        if ((s->mode == SRV_VULNERABLE || padded) &&
            !send_heartbeat_response(s, fd, buf + 5, (size_t)len))
            return;
    }
}

/* One connection, from the ClientHello to its end, as the mode says. */
static void serve_connection(struct scripted_server *s, int fd)
{
    uint8_t *buf = malloc(RECORD_MAX);
    if (!buf)
        return;
    if (s->mode == SRV_NOT_TLS) {
        static const char banner[] = "500 OOPS: vsftpd: not found\r\n";
        write_all(fd, (const uint8_t *)banner, sizeof banner - 1);
    } else if (read_record(s, fd, buf) >= 0) { /* the ClientHello */
        if (s->mode == SRV_SILENT) {
            while (read_record(s, fd, buf) >= 0)
                continue;
        } else if (s->mode != SRV_CLOSE && send_flight(fd)) {
            answer_heartbeats(s, fd, buf);
        }
    }
    free(buf);
}

/* The server thread: accepts and serves connections one by one until stopped. */
static void *server_main(void *arg)
{
    struct scripted_server *s = arg;
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

/* Listens on a fresh port and starts the server thread. */
void scripted_server_start(struct scripted_server *s, enum server_mode mode, bool trickle)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->trickle = trickle;
    s->listener = bound_socket(&s->port);
    assert_int_equal(listen(s->listener, 16), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

/* Stops the thread, joins it and closes the listener. */
void scripted_server_stop(struct scripted_server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->listener);
}

/* A port nobody listens on: bound, then closed. */
uint16_t refused_port(void)
{
    uint16_t port;
    close(bound_socket(&port));
    return port;
}
