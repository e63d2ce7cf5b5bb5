/* shim10: an OpenSSL 1.0.x ABI over the machine's OpenSSL 3, built at run time by
 * tests/unit/test_behave.c, to drive src/host/behave.c's "1.0" path without a 1.0 build.
 *
 *   -DSHIM_CRYPTO  libcrypto.so.1.0.0: SSLeay_version, and the BIO/PEM/X509/EVP calls
 *   -DSHIM_SSL     libssl.so.1.0.0: SSL_library_init, SSLv23_server_method and the SSL calls
 *
 * Each forwards to libcrypto.so.3 / libssl.so.3 through its own dlopen, never through
 * DT_NEEDED: dlsym on the shim's handle searches its dependencies, and must find the 1.0.x
 * names only (no OPENSSL_init_ssl, no TLS_server_method, no OpenSSL_version). The SSL shim
 * depends on libcrypto.so.1.0.0, as the real one does, so it loads only after that. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef SHIM_SSL
#define REAL_LIBRARY "libssl.so.3"
#else
#define REAL_LIBRARY "libcrypto.so.3"
#endif

static void *real(const char *name)
{
    static void *lib;
    if (!lib)
        lib = dlopen(REAL_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    void *sym = lib ? dlsym(lib, name) : NULL;
    if (!sym)
        abort();
    return sym;
}

/* ret name(params) calling real_name(args) in the OpenSSL 3 library. */
#define FORWARD(ret, name, real_name, params, args)                                                \
    ret name params                                                                                \
    {                                                                                              \
        ret(*f) params;                                                                            \
        void *sym = real(real_name);                                                               \
        memcpy(&f, &sym, sizeof f);                                                                \
        return f args;                                                                             \
    }

#define FORWARD_VOID(name, params, args)                                                           \
    void name params                                                                               \
    {                                                                                              \
        void(*f) params;                                                                           \
        void *sym = real(#name);                                                                   \
        memcpy(&f, &sym, sizeof f);                                                                \
        f args;                                                                                    \
    }

#ifdef SHIM_SSL

/* 1.0.x names for what 1.1.0 renamed */
int SSL_library_init(void)
{
    int (*f)(uint64_t, const void *);
    void *sym = real("OPENSSL_init_ssl");
    memcpy(&f, &sym, sizeof f);
    return f(0, NULL);
}
FORWARD(const void *, SSLv23_server_method, "TLS_server_method", (void), ())

FORWARD(void *, SSL_CTX_new, "SSL_CTX_new", (const void *m), (m))
FORWARD_VOID(SSL_CTX_free, (void *c), (c))
FORWARD(int, SSL_CTX_use_certificate, "SSL_CTX_use_certificate", (void *c, void *x), (c, x))
FORWARD(int, SSL_CTX_use_PrivateKey, "SSL_CTX_use_PrivateKey", (void *c, void *k), (c, k))
FORWARD(void *, SSL_new, "SSL_new", (void *c), (c))
FORWARD_VOID(SSL_free, (void *s), (s))
FORWARD_VOID(SSL_set_bio, (void *s, void *r, void *w), (s, r, w))
FORWARD_VOID(SSL_set_accept_state, (void *s), (s))
FORWARD(int, SSL_do_handshake, "SSL_do_handshake", (void *s), (s))
FORWARD(int, SSL_get_error, "SSL_get_error", (const void *s, int r), (s, r))

#else

FORWARD(const char *, SSLeay_version, "OpenSSL_version", (int t), (t))
FORWARD(void *, BIO_new, "BIO_new", (const void *m), (m))
FORWARD(const void *, BIO_s_mem, "BIO_s_mem", (void), ())
FORWARD(int, BIO_read, "BIO_read", (void *b, void *d, int n), (b, d, n))
FORWARD(int, BIO_write, "BIO_write", (void *b, const void *d, int n), (b, d, n))
FORWARD(long, BIO_ctrl, "BIO_ctrl", (void *b, int c, long l, void *p), (b, c, l, p))
FORWARD(void *, BIO_new_mem_buf, "BIO_new_mem_buf", (const void *d, int n), (d, n))
FORWARD(int, BIO_free, "BIO_free", (void *b), (b))
FORWARD(void *, PEM_read_bio_X509, "PEM_read_bio_X509", (void *b, void **x, void *c, void *u),
        (b, x, c, u))
FORWARD(void *, PEM_read_bio_PrivateKey, "PEM_read_bio_PrivateKey",
        (void *b, void **x, void *c, void *u), (b, x, c, u))
FORWARD_VOID(X509_free, (void *x), (x))
FORWARD_VOID(EVP_PKEY_free, (void *k), (k))

#endif
