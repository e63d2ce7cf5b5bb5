#include "verify/verify.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A CRL (RFC 5280 section 5) is kept as its issuer's name, in tls_cert_info's form, and the
 * serials it revokes, in tls_cert_info.serial's form: the lookup is string comparison against
 * what the baseline recorded, without the X509_CRL objects. */
struct crl {
    char issuer[512];
    char **serials;
    size_t count;
};

struct verify_crls {
    struct crl *items;
    size_t count, cap;
};

enum { CRL_FILE_MAX = 64 << 20 }; /* large CAs published CRLs of tens of MB in 2014 */

static void crl_free(struct crl *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->serials[i]);
    free(c->serials);
}

static hc_result add_crl(struct verify_crls *set, X509_CRL *x)
{
    if (set->count == set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 4;
        struct crl *grown = realloc(set->items, cap * sizeof *grown);
        HC_ENSURE(grown, HC_ERR_NOMEM);
        set->items = grown;
        set->cap = cap;
    }
    struct crl *c = &set->items[set->count];
    memset(c, 0, sizeof *c);
    tls_name_string(X509_CRL_get_issuer(x), c->issuer, sizeof c->issuer);
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(x);
    int n = revoked ? sk_X509_REVOKED_num(revoked) : 0;
    c->serials = calloc(n > 0 ? (size_t)n : 1, sizeof *c->serials);
    HC_ENSURE(c->serials, HC_ERR_NOMEM);
    set->count++; /* from here crl_free cleans up whatever was added */
    for (int i = 0; i < n; i++) {
        char hex[TLS_SERIAL_HEX_MAX + 2];
        const X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);
        tls_serial_hex(X509_REVOKED_get0_serialNumber(r), hex, sizeof hex);
        if (!hex[0])
            continue; /* no certificate heartcheck recorded has such a serial */
        c->serials[c->count] = strdup(hex);
        HC_ENSURE(c->serials[c->count], HC_ERR_NOMEM);
        c->count++;
    }
    return HC_SUCCESS;
}

/* PEM may hold several CRLs (one per CA of a chain); anything else is tried as one DER CRL. */
static hc_result parse_into(struct verify_crls *set, const uint8_t *data, size_t len)
{
    HC_ENSURE(len > 0 && len <= CRL_FILE_MAX, HC_ERR_USAGE);
    size_t before = set->count;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    HC_ENSURE(bio, HC_ERR_NOMEM);
    hc_result r = HC_SUCCESS;
    X509_CRL *x;
    while (hc_ok(r) && (x = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL))) {
        r = add_crl(set, x);
        X509_CRL_free(x);
    }
    BIO_free(bio);
    if (hc_ok(r) && set->count == before) {
        const unsigned char *p = data;
        x = d2i_X509_CRL(NULL, &p, (long)len);
        if (x && (size_t)(p - data) == len)
            r = add_crl(set, x);
        else
            r = HC_RESULT(HC_ERR_USAGE);
        X509_CRL_free(x);
    }
    ERR_clear_error(); /* the end of PEM input and rejected DER leave errors behind */
    return r;
}

static hc_result new_set(struct verify_crls **out)
{
    *out = calloc(1, sizeof **out);
    HC_ENSURE(*out, HC_ERR_NOMEM);
    return HC_SUCCESS;
}

hc_result verify_crls_parse(const uint8_t *data, size_t len, struct verify_crls **out)
{
    HC_TRY(new_set(out));
    hc_result r = parse_into(*out, data, len);
    if (!hc_ok(r)) {
        verify_crls_free(*out);
        *out = NULL;
    }
    return r;
}

static hc_result read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *fp = fopen(path, "rbe");
    HC_ENSURE(fp, HC_ERR_IO);
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    hc_result r = buf ? HC_SUCCESS : HC_RESULT(HC_ERR_NOMEM);
    size_t got;
    while (hc_ok(r) && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n < cap)
            continue;
        uint8_t *grown = cap <= CRL_FILE_MAX ? realloc(buf, 2 * cap) : NULL;
        r = grown ? HC_SUCCESS : HC_RESULT(cap <= CRL_FILE_MAX ? HC_ERR_NOMEM : HC_ERR_USAGE);
        if (grown) {
            buf = grown;
            cap *= 2;
        }
    }
    if (hc_ok(r) && ferror(fp))
        r = HC_RESULT(HC_ERR_IO);
    fclose(fp);
    if (!hc_ok(r)) {
        free(buf);
        return r;
    }
    *data = buf;
    *len = n;
    return HC_SUCCESS;
}

static hc_result load_one(struct verify_crls *set, const char *path, char *err, size_t cap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    hc_result r = read_file(path, &data, &len);
    if (r.error == HC_ERR_IO) {
        snprintf(err, cap, "--crl %s: %s", path, strerror(errno));
        return r;
    }
    if (hc_ok(r))
        r = parse_into(set, data, len);
    free(data);
    if (r.error == HC_ERR_USAGE)
        snprintf(err, cap, "--crl %s: no CRL in it (PEM or DER X509 CRL expected)", path);
    else if (r.error == HC_ERR_NOMEM)
        snprintf(err, cap, "--crl %s: out of memory", path);
    return r;
}

hc_result verify_crls_load(char *const *paths, size_t count, struct verify_crls **out, char *err,
                           size_t cap)
{
    HC_TRY(new_set(out));
    for (size_t i = 0; i < count; i++) {
        hc_result r = load_one(*out, paths[i], err, cap);
        if (!hc_ok(r)) {
            verify_crls_free(*out);
            *out = NULL;
            return r;
        }
    }
    return HC_SUCCESS;
}

void verify_crls_free(struct verify_crls *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        crl_free(&c->items[i]);
    free(c->items);
    free(c);
}

size_t verify_crls_count(const struct verify_crls *c) { return c ? c->count : 0; }

/* Several CRLs of one issuer (an old and a new one, delta CRLs) are all asked: a listing in
 * any of them is evidence of revocation. */
enum verify_revoked verify_crls_lookup(const struct verify_crls *c, const char *issuer,
                                       const char *serial)
{
    enum verify_revoked answer = VERIFY_REVOKED_UNKNOWN;
    if (!c || !issuer || !issuer[0] || !serial || !serial[0])
        return answer;
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->items[i].issuer, issuer) != 0)
            continue;
        answer = VERIFY_REVOKED_NO;
        for (size_t k = 0; k < c->items[i].count; k++)
            if (strcmp(c->items[i].serials[k], serial) == 0)
                return VERIFY_REVOKED_YES;
    }
    return answer;
}
