#include "clients/clients.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CERT_RSA_BITS = 2048, CERT_VALID_DAYS = 365 };

static hc_result keep_der(X509 *x, bool rsa, struct clients_cert *out)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    HC_ENSURE(len > 0 && der, HC_ERR_BAD_CERTIFICATE);
    out->der = malloc((size_t)len);
    if (out->der)
        memcpy(out->der, der, (size_t)len);
    OPENSSL_free(der);
    HC_ENSURE(out->der, HC_ERR_NOMEM);
    out->len = (size_t)len;
    out->rsa = rsa;
    return HC_SUCCESS;
}

static hc_result sign_self(EVP_PKEY *key, const char *cn, X509 *x)
{
    X509_NAME *name = X509_get_subject_name(x);
    HC_ENSURE(X509_set_version(x, 2) == 1 && /* v3 */
                  ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
                  X509_gmtime_adj(X509_getm_notAfter(x), 86400L * CERT_VALID_DAYS) &&
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
                                             -1, -1, 0) == 1 &&
                  X509_set_issuer_name(x, name) == 1 && X509_set_pubkey(x, key) == 1 &&
                  X509_sign(x, key, EVP_sha256()) > 0,
              HC_ERR_BAD_CERTIFICATE);
    return HC_SUCCESS;
}

hc_result clients_cert_make(const char *cn, struct clients_cert *out)
{
    HC_ENSURE(cn && *cn && strlen(cn) <= 64, HC_ERR_USAGE); /* X.520 ub-common-name */
    *out = (struct clients_cert){0};
    /* RSA: RSA key exchange needs no ServerKeyExchange, which we never sign. */
    EVP_PKEY *key = EVP_RSA_gen(CERT_RSA_BITS);
    HC_ENSURE(key, HC_ERR_NOMEM);
    X509 *x = X509_new();
    hc_result r = x ? sign_self(key, cn, x) : HC_RESULT(HC_ERR_NOMEM);
    if (hc_ok(r))
        r = keep_der(x, true, out);
    X509_free(x);
    EVP_PKEY_free(key);
    return r;
}

static hc_result read_cert(const char *path, X509 **out, char *err, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return HC_RESULT(HC_ERR_IO);
    }
    *out = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!*out) {
        snprintf(err, cap, "%s: no PEM certificate", path);
        return HC_RESULT(HC_ERR_BAD_CERTIFICATE);
    }
    return HC_SUCCESS;
}

static hc_result check_key(X509 *x, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return HC_RESULT(HC_ERR_IO);
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    bool match = key && X509_check_private_key(x, key) == 1;
    EVP_PKEY_free(key);
    if (!match) {
        snprintf(err, cap, "%s: %s", path,
                 key ? "not the certificate's private key" : "no PEM private key");
        return HC_RESULT(HC_ERR_BAD_CERTIFICATE);
    }
    return HC_SUCCESS;
}

hc_result clients_cert_load(const char *cert_path, const char *key_path, struct clients_cert *out,
                            char *err, size_t err_cap)
{
    *out = (struct clients_cert){0};
    X509 *x = NULL;
    HC_TRY(read_cert(cert_path, &x, err, err_cap));
    hc_result r = key_path ? check_key(x, key_path, err, err_cap) : HC_SUCCESS;
    if (hc_ok(r)) {
        EVP_PKEY *pub = X509_get0_pubkey(x);
        r = keep_der(x, pub && EVP_PKEY_base_id(pub) == EVP_PKEY_RSA, out);
    }
    X509_free(x);
    return r;
}

void clients_cert_free(struct clients_cert *c)
{
    free(c->der);
    *c = (struct clients_cert){0};
}
