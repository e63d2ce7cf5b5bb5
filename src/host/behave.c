/* behave: a shared libssl, loaded in a forked child, answers the scan's own probe.
 *
 * The parent never loads the library: it forks, the child dlopens libcrypto then libssl,
 * binds the few functions every OpenSSL since 1.0 exports, loads a throw-away key and
 * certificate through the library's own PEM readers, and plays the probe (client side)
 * against a server SSL over two memory BIOs. The child reports through a pipe: one byte per
 * stage it enters (so a crash or hang can be placed), then one fixed-size result message. */
#include "host/behave.h"

#include "probe/probe.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* RTLD_DEEPBIND makes the loaded libssl and libcrypto resolve their own symbols first, not
 * the OpenSSL 3 this program links (an unversioned 1.0.1f build would otherwise call our
 * BIO_write). AddressSanitizer aborts on RTLD_DEEPBIND (its interceptors must come first), so
 * the ASan build loads without it: fine for our own test libraries, whose symbols are
 * versioned or forward on purpose, but production builds must keep it. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BEHAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BEHAVE_ASAN 1
#endif
#ifdef BEHAVE_ASAN
#define DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#else
#define DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

enum {
    /* The same values in every OpenSSL since 0.9.x: part of the ABI we rely on. */
    ABI_BIO_CTRL_PENDING = 10,
    ABI_SSL_ERROR_WANT_READ = 2,
    ABI_SSL_ERROR_WANT_WRITE = 3,
    ABI_VERSION_TEXT = 0, /* SSLEAY_VERSION, OPENSSL_VERSION */
    /* The probe runs on a synthetic clock: these are its milliseconds, not the wall's. */
    PROBE_CLOCK_TIMEOUT_MS = 5000,
    PROBE_CLOCK_FOLLOWUP_MS = 100,
    MAX_ROUNDS = 256,          /* a few per attempt; more means a library that loops without end */
    KILL_GRACE_MS = 250,       /* after the child's own timer: then the parent kills it */
    RESULT_MAGIC = 0x48434256, /* "HCBV" */
    STAGE_RESULT = 0xff,
    MAX_STAGE_BYTES = 32,
    CHILD_FD = 3,
};

_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym results are copied into "
                                                         "function pointers");

/* ---- the throw-away key and certificate (parent, our OpenSSL 3) ---- */

struct behave_keys {
    char *cert_pem;
    size_t cert_len;
    char *key_pem;
    size_t key_len;
};

static char *bio_text(BIO *b, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *copy = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!copy)
        return NULL;
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    return copy;
}

static X509 *self_signed(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    bool ok = name && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
              X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         (const unsigned char *)"heartcheck behavioural probe", -1,
                                         -1, 0) &&
              X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
              X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* The key in the traditional "RSA PRIVATE KEY" form: every PEM reader since 0.9.x takes it. */
static hc_result write_pems(struct behave_keys *k, EVP_PKEY *key, X509 *cert)
{
    BIO *cb = BIO_new(BIO_s_mem());
    BIO *kb = BIO_new(BIO_s_mem());
    bool ok = cb && kb && PEM_write_bio_X509(cb, cert) &&
              PEM_write_bio_PrivateKey_traditional(kb, key, NULL, NULL, 0, NULL, NULL);
    if (ok) {
        k->cert_pem = bio_text(cb, &k->cert_len);
        k->key_pem = bio_text(kb, &k->key_len);
    }
    BIO_free(cb);
    BIO_free(kb);
    if (!ok)
        return HC_RESULT(HC_ERR_IO);
    return k->cert_pem && k->key_pem ? HC_SUCCESS : HC_RESULT(HC_ERR_NOMEM);
}

hc_result behave_keys_new(struct behave_keys **out)
{
    *out = NULL;
    struct behave_keys *k = calloc(1, sizeof *k);
    HC_ENSURE(k, HC_ERR_NOMEM);
    EVP_PKEY *key = EVP_RSA_gen(2048);
    X509 *cert = key ? self_signed(key) : NULL;
    hc_result r = cert ? write_pems(k, key, cert) : HC_RESULT(HC_ERR_IO);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!hc_ok(r)) {
        behave_keys_free(k);
        return r;
    }
    *out = k;
    return HC_SUCCESS;
}

void behave_keys_free(struct behave_keys *keys)
{
    if (!keys)
        return;
    free(keys->cert_pem);
    if (keys->key_pem)
        hc_free_secret(keys->key_pem, keys->key_len + 1);
    free(keys);
}

const char *behave_verdict_name(enum behave_verdict v)
{
    static const char *const names[] = {"vulnerable", "patched", "not_vulnerable", "error"};
    return (unsigned)v < HC_ARRAY_LEN(names) ? names[v] : "error";
}

/* ---- what the child reports ---- */

enum stage {
    STAGE_NONE,
    STAGE_SETUP,
    STAGE_LOAD_CRYPTO,
    STAGE_LOAD_SSL,
    STAGE_SYMBOLS,
    STAGE_INIT,
    STAGE_KEYS,
    STAGE_PROBE,
    STAGE_COUNT,
};

static const char *const stage_names[STAGE_COUNT] = {
    [STAGE_NONE] = "the child's start",
    [STAGE_SETUP] = "the child's setup",
    [STAGE_LOAD_CRYPTO] = "dlopen of libcrypto",
    [STAGE_LOAD_SSL] = "dlopen of libssl",
    [STAGE_SYMBOLS] = "the symbol lookup",
    [STAGE_INIT] = "the library's initialisation",
    [STAGE_KEYS] = "loading the test key and certificate",
    [STAGE_PROBE] = "the handshake (SSL_do_handshake)",
};

enum api_flavour { API_NONE, API_10, API_11 };

static const char *api_name(uint32_t api)
{
    return api == API_10 ? "1.0" : api == API_11 ? "1.1+" : "";
}

/* Raw bytes between two processes of the same program: layout needs no care. */
struct child_msg {
    uint32_t magic;
    uint32_t verdict;
    uint32_t api;
    uint16_t tls_version;
    uint16_t cipher;
    uint8_t heartbeat_extension;
    char reason[BEHAVE_REASON_LEN];
    char version_text[BEHAVE_VERSION_TEXT_LEN];
};

__attribute__((format(printf, 2, 3))) static void set_reason(struct child_msg *m, const char *fmt,
                                                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->reason, sizeof m->reason, fmt, ap);
    va_end(ap);
}

/* ---- the child: the loaded library's API ---- */

/* Opaque pointers only: the library's structures differ between versions, its calls don't. */
struct ssl_api {
    int (*library_init)(void);                       /* 1.0: SSL_library_init */
    int (*init_ssl)(uint64_t opts, const void *set); /* 1.1+: OPENSSL_init_ssl */
    const void *(*server_method)(void);
    const char *(*version)(int type);
    void *(*ctx_new)(const void *method);
    void (*ctx_free)(void *ctx);
    int (*ctx_use_cert)(void *ctx, void *x509);
    int (*ctx_use_key)(void *ctx, void *pkey);
    void *(*ssl_new)(void *ctx);
    void (*ssl_free)(void *ssl);
    void (*set_bio)(void *ssl, void *rbio, void *wbio);
    void (*set_accept_state)(void *ssl);
    int (*do_handshake)(void *ssl);
    int (*get_error)(const void *ssl, int ret);
    void *(*bio_new)(const void *method);
    const void *(*bio_s_mem)(void);
    int (*bio_read)(void *bio, void *buf, int len);
    int (*bio_write)(void *bio, const void *buf, int len);
    long (*bio_ctrl)(void *bio, int cmd, long larg, void *parg);
    void *(*bio_new_mem_buf)(const void *buf, int len);
    int (*bio_free)(void *bio);
    void *(*pem_read_x509)(void *bio, void **x, void *cb, void *u);
    void *(*pem_read_key)(void *bio, void **x, void *cb, void *u);
    void (*x509_free)(void *x509);
    void (*pkey_free)(void *pkey);
};

struct symbol {
    const char *name;
    size_t offset;
};

#define SYM(name, field)                                                                           \
    {                                                                                              \
        name, offsetof(struct ssl_api, field)                                                      \
    }

static const struct symbol common_symbols[] = {
    SYM("SSL_CTX_new", ctx_new),
    SYM("SSL_CTX_free", ctx_free),
    SYM("SSL_CTX_use_certificate", ctx_use_cert),
    SYM("SSL_CTX_use_PrivateKey", ctx_use_key),
    SYM("SSL_new", ssl_new),
    SYM("SSL_free", ssl_free),
    SYM("SSL_set_bio", set_bio),
    SYM("SSL_set_accept_state", set_accept_state),
    SYM("SSL_do_handshake", do_handshake),
    SYM("SSL_get_error", get_error),
    SYM("BIO_new", bio_new),
    SYM("BIO_s_mem", bio_s_mem),
    SYM("BIO_read", bio_read),
    SYM("BIO_write", bio_write),
    SYM("BIO_ctrl", bio_ctrl),
    SYM("BIO_new_mem_buf", bio_new_mem_buf),
    SYM("BIO_free", bio_free),
    SYM("PEM_read_bio_X509", pem_read_x509),
    SYM("PEM_read_bio_PrivateKey", pem_read_key),
    SYM("X509_free", x509_free),
    SYM("EVP_PKEY_free", pkey_free),
};

/* 1.1.0 turned these into macros over new names: a library exports one set or the other. */
static const struct symbol symbols_10[] = {
    SYM("SSL_library_init", library_init),
    SYM("SSLv23_server_method", server_method),
    SYM("SSLeay_version", version),
};

static const struct symbol symbols_11[] = {
    SYM("OPENSSL_init_ssl", init_ssl),
    SYM("TLS_server_method", server_method),
    SYM("OpenSSL_version", version),
};

struct loaded {
    void *crypto;
    void *ssl;
};

/* libssl's handle first: dlsym searches its dependencies too, so a BIO function comes from
 * the libcrypto libssl itself is bound to, even when that is not the copy we loaded. */
static void *find_symbol(const struct loaded *l, const char *name)
{
    void *s = dlsym(l->ssl, name);
    if (!s && l->crypto)
        s = dlsym(l->crypto, name);
    return s;
}

static bool bind_symbols(const struct loaded *l, const struct symbol *syms, size_t n,
                         struct ssl_api *api, struct child_msg *m)
{
    for (size_t i = 0; i < n; i++) {
        void *s = find_symbol(l, syms[i].name);
        if (!s) {
            set_reason(m, "no %s: not an OpenSSL libssl/libcrypto pair", syms[i].name);
            return false;
        }
        memcpy((char *)api + syms[i].offset, &s, sizeof s);
    }
    return true;
}

static bool bind_api(const struct loaded *l, struct ssl_api *api, struct child_msg *m)
{
    if (find_symbol(l, "OPENSSL_init_ssl")) {
        m->api = API_11;
        if (!bind_symbols(l, symbols_11, HC_ARRAY_LEN(symbols_11), api, m))
            return false;
    } else if (find_symbol(l, "SSL_library_init")) {
        m->api = API_10;
        if (!bind_symbols(l, symbols_10, HC_ARRAY_LEN(symbols_10), api, m))
            return false;
    } else {
        set_reason(m, "neither OPENSSL_init_ssl nor SSL_library_init: not OpenSSL's libssl");
        return false;
    }
    return bind_symbols(l, common_symbols, HC_ARRAY_LEN(common_symbols), api, m);
}

/* The library's constructors run as soon as it loads, and it may come from an untrusted image
 * (--root): its files are opened with our privileges (map_files of a running process needs
 * root), then the child becomes nobody, never to regain privileges, and loads them through
 * the open descriptors. */
enum { NOBODY = 65534 };

static int open_library(const char *path, const char *what, struct child_msg *m)
{
    int fd = path ? open(path, O_RDONLY) : -1;
    if (path && fd < 0)
        set_reason(m, "cannot load %s: %s: %s", what, path, strerror(errno));
    return fd;
}

static bool drop_privileges(struct child_msg *m)
{
    if (geteuid() != 0)
        return true; /* nothing to give up */
    bool ok = setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0 &&
              /* setuid makes /proc/self root's: keep our own descriptors reachable */
              prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 &&
              prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
    if (!ok)
        set_reason(m, "cannot drop privileges before loading: %s", strerror(errno));
    return ok;
}

static void *load(int fd, const char *what, struct child_msg *m)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    void *h = dlopen(path, DLOPEN_FLAGS);
    if (!h) {
        const char *why = dlerror();
        set_reason(m, "cannot load %s: %s", what, why ? why : "dlopen failed");
    }
    return h;
}

/* Printable ASCII only: the text ends up on a terminal and in JSON. */
static void copy_printable(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (; src && *src && o + 1 < cap; src++)
        dst[o++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
    dst[o] = '\0';
}

static bool init_library(const struct ssl_api *api, struct child_msg *m)
{
    if (m->api == API_10)
        api->library_init();
    else if (api->init_ssl(0, NULL) != 1) {
        set_reason(m, "OPENSSL_init_ssl failed");
        return false;
    }
    copy_printable(m->version_text, sizeof m->version_text, api->version(ABI_VERSION_TEXT));
    return true;
}

static void *read_pem(const struct ssl_api *api, const char *pem, size_t len,
                      void *(*reader)(void *, void **, void *, void *))
{
    void *bio = api->bio_new_mem_buf(pem, (int)len);
    if (!bio)
        return NULL;
    void *obj = reader(bio, NULL, NULL, NULL);
    api->bio_free(bio);
    return obj;
}

static void *server_ctx(const struct ssl_api *api, const struct behave_keys *k, struct child_msg *m)
{
    void *ctx = api->ctx_new(api->server_method());
    if (!ctx) {
        set_reason(m, "SSL_CTX_new failed");
        return NULL;
    }
    void *cert = read_pem(api, k->cert_pem, k->cert_len, api->pem_read_x509);
    void *key = read_pem(api, k->key_pem, k->key_len, api->pem_read_key);
    bool ok = cert && key && api->ctx_use_cert(ctx, cert) == 1 && api->ctx_use_key(ctx, key) == 1;
    if (cert)
        api->x509_free(cert);
    if (key)
        api->pkey_free(key);
    if (!ok) {
        api->ctx_free(ctx);
        set_reason(m, "the library refused the test certificate or key");
        return NULL;
    }
    return ctx;
}

/* ---- the child: the probe against a server SSL on memory BIOs ---- */

/* One "connection": a fresh server SSL, as a reconnect meets a fresh server state. The SSL
 * owns both BIOs; rbio is what the server reads (our writes), wbio what it writes. */
struct conn {
    const struct ssl_api *api;
    void *ssl;
    void *rbio;
    void *wbio;
    bool dead; /* the SSL failed for good: the server closed the connection */
};

static void conn_close(struct conn *c)
{
    if (c->ssl)
        c->api->ssl_free(c->ssl);
    c->ssl = c->rbio = c->wbio = NULL;
}

static bool conn_open(struct conn *c, void *ctx)
{
    const struct ssl_api *api = c->api;
    conn_close(c);
    void *rbio = api->bio_new(api->bio_s_mem());
    void *wbio = api->bio_new(api->bio_s_mem());
    void *ssl = rbio && wbio ? api->ssl_new(ctx) : NULL;
    if (!ssl) {
        if (rbio)
            api->bio_free(rbio);
        if (wbio)
            api->bio_free(wbio);
        return false;
    }
    api->set_bio(ssl, rbio, wbio);
    api->set_accept_state(ssl);
    *c = (struct conn){.api = api, .ssl = ssl, .rbio = rbio, .wbio = wbio};
    return true;
}

/* The probe's bytes into the server's read BIO. True when there were any. */
static bool to_server(struct conn *c, struct probe *p)
{
    const uint8_t *data;
    size_t len;
    probe_take_output(p, &data, &len);
    bool moved = len > 0;
    while (len > 0 && !c->dead) {
        int n = c->api->bio_write(c->rbio, data, len > INT_MAX ? INT_MAX : (int)len);
        if (n <= 0)
            c->dead = true; /* a memory BIO only refuses when out of memory */
        else {
            data += n;
            len -= (size_t)n;
        }
    }
    return moved;
}

/* What the server wrote, to the probe, for as long as the probe wants it. */
static bool from_server(struct conn *c, struct probe *p, uint64_t now)
{
    static uint8_t buf[32768];
    bool moved = false;
    while (probe_state(p) == PROBE_RUNNING &&
           c->api->bio_ctrl(c->wbio, ABI_BIO_CTRL_PENDING, 0, NULL) > 0) {
        int n = c->api->bio_read(c->wbio, buf, (int)sizeof buf);
        if (n <= 0)
            break;
        probe_on_data(p, now, buf, (size_t)n);
        moved = true;
    }
    return moved;
}

/* One round: the probe's bytes in, the server's turn, its bytes out. A server that fails for
 * good is a closed connection, seen by the probe after everything it wrote. True when bytes
 * moved either way. */
static bool exchange(struct conn *c, struct probe *p, uint64_t now)
{
    bool moved = to_server(c, p);
    if (!c->dead) {
        int rc = c->api->do_handshake(c->ssl);
        int e = rc == 1 ? ABI_SSL_ERROR_WANT_READ : c->api->get_error(c->ssl, rc);
        c->dead = e != ABI_SSL_ERROR_WANT_READ && e != ABI_SSL_ERROR_WANT_WRITE;
    }
    moved |= from_server(c, p, now);
    if (c->dead && probe_state(p) == PROBE_RUNNING)
        probe_on_closed(p, now, false);
    return moved;
}

/* The scan's driver loop with memory for sockets and a synthetic clock: time moves only when
 * nothing else does, straight to the probe's next wakeup (its follow-up heartbeat, then its
 * deadline), so silence costs nothing. */
static void run_rounds(struct conn *c, void *ctx, struct probe *p)
{
    uint64_t now = 0;
    for (unsigned round = 0; round < MAX_ROUNDS && probe_state(p) != PROBE_DONE; round++) {
        if (probe_state(p) == PROBE_WANT_CONNECT) {
            if (conn_open(c, ctx))
                probe_on_connected(p, now);
            else
                probe_on_connect_failed(p, now, "SSL_new or BIO_new failed");
        } else if (!exchange(c, p, now)) {
            uint64_t at = probe_wakeup_at(p);
            now = at > now ? at : now + 1;
            probe_on_tick(p, now);
        }
    }
    conn_close(c);
}

static void report_probe(const struct probe_result *r, struct child_msg *m)
{
    m->tls_version = r->evidence.tls_version;
    m->cipher = r->evidence.cipher;
    m->heartbeat_extension = r->evidence.heartbeat_extension;
    switch (r->verdict) {
    case PROBE_VULNERABLE: m->verdict = BEHAVE_VULNERABLE; break;
    case PROBE_PATCHED: m->verdict = BEHAVE_PATCHED; break;
    case PROBE_NOT_VULNERABLE: m->verdict = BEHAVE_NOT_VULNERABLE; break;
    default: set_reason(m, "probe %s: %s", probe_verdict_name(r->verdict), r->reason); return;
    }
    copy_printable(m->reason, sizeof m->reason, r->reason);
}

static void run_probe(const struct ssl_api *api, void *ctx, struct child_msg *m)
{
    struct probe_kit *kit = NULL;
    struct probe *p = NULL;
    struct probe_config cfg = {.timeout_ms = PROBE_CLOCK_TIMEOUT_MS,
                               .followup_ms = PROBE_CLOCK_FOLLOWUP_MS,
                               .max_version = TLS_VERSION_TLS12};
    if (!hc_ok(probe_kit_new(0, &kit)) || (cfg.kit = kit, !hc_ok(probe_new(&cfg, 0, &p)))) {
        set_reason(m, "out of memory for the probe");
    } else {
        struct conn c = {.api = api};
        run_rounds(&c, ctx, p);
        if (probe_state(p) == PROBE_DONE)
            report_probe(probe_result(p), m);
        else
            set_reason(m, "no verdict after %d exchanges with the library", MAX_ROUNDS);
    }
    probe_free(p);
    probe_kit_free(kit);
}

/* ---- the child: its life ---- */

static void write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    while (len > 0) {
        ssize_t n = write(fd, b, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the parent gave up on us */
        b += n;
        len -= (size_t)n;
    }
}

static void enter_stage(enum stage s)
{
    uint8_t b = (uint8_t)s;
    write_all(CHILD_FD, &b, 1);
}

/* Nothing of the parent's but the result pipe (as fd 3): a library must not write into our
 * stdout (JSON output) nor keep the parent's sockets open. The timer ends a hang even if the
 * parent dies; SIGALRM's default action is to terminate. */
static void isolate(int fd, uint32_t timeout_ms)
{
    int keep = fcntl(fd, F_DUPFD, 10); /* above every fd dup2'ed to below */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
    }
    dup2(keep, CHILD_FD);
    if (close_range(CHILD_FD + 1, ~0U, 0) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        for (long i = CHILD_FD + 1; i < (max > 0 && max < 65536 ? max : 65536); i++)
            close((int)i);
    }
    /* A crash must end the child with its signal, whatever the parent installed (a test
     * framework's or a sanitizer's handler would try to go on in the wrong process). */
    static const int defaults[] = {SIGALRM, SIGPIPE, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < HC_ARRAY_LEN(defaults); i++)
        signal(defaults[i], SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    struct itimerval t = {.it_value = {.tv_sec = timeout_ms / 1000,
                                       .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &t, NULL);
}

static void child_work(const struct behave_request *req, struct child_msg *m)
{
    struct loaded l = {0};
    struct ssl_api api = {0};
    int crypto_fd = open_library(req->libcrypto, "libcrypto", m);
    int ssl_fd = crypto_fd >= 0 || !req->libcrypto ? open_library(req->libssl, "libssl", m) : -1;
    if (ssl_fd < 0 || !drop_privileges(m))
        return;
    enter_stage(STAGE_LOAD_CRYPTO);
    if (crypto_fd >= 0 && !(l.crypto = load(crypto_fd, "libcrypto", m)))
        return;
    enter_stage(STAGE_LOAD_SSL);
    if (!(l.ssl = load(ssl_fd, "libssl", m)))
        return;
    enter_stage(STAGE_SYMBOLS);
    if (!bind_api(&l, &api, m))
        return;
    enter_stage(STAGE_INIT);
    if (!init_library(&api, m))
        return;
    enter_stage(STAGE_KEYS);
    void *ctx = server_ctx(&api, req->keys, m);
    if (!ctx)
        return;
    enter_stage(STAGE_PROBE);
    run_probe(&api, ctx, m);
    api.ctx_free(ctx);
}

/* _exit: no atexit handler, stdio buffer or library destructor of the parent's runs twice. */
__attribute__((noreturn)) static void child_main(const struct behave_request *req, int fd,
                                                 uint32_t timeout_ms)
{
    isolate(fd, timeout_ms);
    enter_stage(STAGE_SETUP);
    struct child_msg m = {.magic = RESULT_MAGIC, .verdict = BEHAVE_ERROR};
    child_work(req, &m);
    uint8_t out[1 + sizeof m];
    out[0] = STAGE_RESULT;
    memcpy(out + 1, &m, sizeof m);
    write_all(CHILD_FD, out, sizeof out);
    _exit(0);
}

/* ---- the parent: collect, reap, interpret ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One byte more than a valid report holds, so that a longer one shows as garbage. */
struct collected {
    uint8_t buf[MAX_STAGE_BYTES + 1 + sizeof(struct child_msg) + 1];
    size_t len;
};

static void collect(int fd, uint64_t deadline, struct collected *c)
{
    while (c->len < sizeof c->buf) {
        uint64_t now = now_ms();
        if (now >= deadline)
            return;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        ssize_t n = read(fd, c->buf + c->len, sizeof c->buf - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* EOF: the child is done or dead */
        c->len += (size_t)n;
    }
}

/* Waits for the child until the deadline, then kills it. True when it had to be killed. */
static bool reap(pid_t pid, uint64_t deadline, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return false;
        if (r < 0 && errno != EINTR) {
            *status = 0; /* someone else reaped it (SIGCHLD ignored): judge by the pipe */
            return false;
        }
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return true;
        }
        struct timespec pause = {.tv_nsec = 1000000};
        nanosleep(&pause, NULL);
    }
}

/* The last stage the child entered, and its result message when there is a valid one. */
static bool parse_report(const struct collected *c, enum stage *last, struct child_msg *m)
{
    size_t i = 0;
    for (; i < c->len && c->buf[i] > STAGE_NONE && c->buf[i] < STAGE_COUNT; i++)
        *last = (enum stage)c->buf[i];
    if (i == c->len || c->buf[i] != STAGE_RESULT || c->len - i - 1 != sizeof *m)
        return false;
    memcpy(m, c->buf + i + 1, sizeof *m);
    m->reason[sizeof m->reason - 1] = '\0';
    m->version_text[sizeof m->version_text - 1] = '\0';
    return m->magic == RESULT_MAGIC && m->verdict <= BEHAVE_ERROR && m->api <= API_11;
}

static void from_message(const struct child_msg *m, struct behave_result *out)
{
    out->verdict = (enum behave_verdict)m->verdict;
    out->api = api_name(m->api);
    out->tls_version = m->tls_version;
    out->cipher = m->cipher;
    out->heartbeat_extension = m->heartbeat_extension != 0;
    snprintf(out->reason, sizeof out->reason, "%s", m->reason);
    snprintf(out->version_text, sizeof out->version_text, "%s", m->version_text);
}

/* No valid result: say how the child ended and where it was. */
static void explain_failure(const struct collected *c, enum stage last, bool killed, int status,
                            uint32_t timeout_ms, struct behave_result *out)
{
    const char *where = stage_names[last];
    if (killed || (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM))
        snprintf(out->reason, sizeof out->reason, "the library hung: no result within %u ms, in %s",
                 timeout_ms, where);
    else if (WIFSIGNALED(status))
        snprintf(out->reason, sizeof out->reason, "the library crashed: signal %d (%s) in %s",
                 WTERMSIG(status), strsignal(WTERMSIG(status)), where);
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        snprintf(out->reason, sizeof out->reason, "the child exited with status %d in %s",
                 WEXITSTATUS(status), where);
    else
        snprintf(out->reason, sizeof out->reason,
                 "garbled result from the child (%zu bytes) after %s", c->len, where);
}

static hc_result start_failed(struct behave_result *out, const char *what)
{
    snprintf(out->reason, sizeof out->reason, "cannot start the child: %s: %s", what,
             strerror(errno));
    return HC_RESULT(HC_ERR_IO);
}

hc_result behave_run(const struct behave_request *req, struct behave_result *out)
{
    *out = (struct behave_result){.verdict = BEHAVE_ERROR, .api = ""};
    HC_ENSURE(req && req->libssl && req->keys, HC_ERR_USAGE);
    uint32_t timeout_ms = req->timeout_ms ? req->timeout_ms : BEHAVE_DEFAULT_TIMEOUT_MS;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return start_failed(out, "pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return start_failed(out, "fork");
    }
    if (pid == 0)
        child_main(req, fds[1], timeout_ms);
    close(fds[1]);
    uint64_t deadline = now_ms() + timeout_ms + KILL_GRACE_MS;
    struct collected c = {.len = 0};
    collect(fds[0], deadline, &c);
    close(fds[0]); /* a child still writing now gets SIGPIPE */
    int status = 0;
    bool killed = reap(pid, deadline, &status);
    enum stage last = STAGE_NONE;
    struct child_msg m;
    if (parse_report(&c, &last, &m))
        from_message(&m, out);
    else
        explain_failure(&c, last, killed, status, timeout_ms, out);
    return HC_SUCCESS;
}
