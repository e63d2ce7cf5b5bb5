#include "tls/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How many of the first n bytes of a cut UTF-8 string to keep so that no character is left
 * half: the last sequence is dropped when its lead byte announces more bytes than remain. */
static int utf8_boundary(const char *s, int n)
{
    int lead = n;
    while (lead > 0 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
        lead--; /* back over continuation bytes */
    if (lead == 0)
        return 0;
    lead--; /* the lead byte itself */
    unsigned char b = (unsigned char)s[lead];
    int need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return n - lead >= need ? n : lead;
}

void tls_name_string(const X509_NAME *name, char *out, size_t cap)
{
    out[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    /* RFC 2253 order and escaping, UTF-8 kept as is rather than \xx-escaped. */
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
        int n = BIO_read(bio, out, (int)cap - 1);
        n = n > 0 ? n : 0;
        if (BIO_pending(bio) > 0)
            n = utf8_boundary(out, n); /* truncated: keep the JSON and terminal output valid */
        out[n] = '\0';
    }
    BIO_free(bio);
}

void tls_serial_hex(const ASN1_INTEGER *serial, char *out, size_t cap)
{
    out[0] = '\0';
    if (!serial || cap == 0)
        return;
    const unsigned char *p = ASN1_STRING_get0_data(serial);
    int len = ASN1_STRING_length(serial);
    bool negative = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER;
    if (len < 0 || (size_t)len * 2 > TLS_SERIAL_HEX_MAX || (size_t)len * 2 + 2 > cap)
        return; /* not a serial any CA issues: better no name than a truncated one */
    int first = 0;
    while (first + 1 < len && p[first] == 0)
        first++; /* DER's sign octet: the value as `openssl x509 -serial` prints it */
    size_t o = 0;
    if (negative)
        out[o++] = '-';
    for (int i = first; i < len; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
    out[o] = '\0';
}

static void time_to_iso8601(const ASN1_TIME *t, char *out, size_t cap)
{
    struct tm tm;
    out[0] = '\0';
    if (t && ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static hc_result spki_digest(X509 *x, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    HC_ENSURE(n > 0, HC_ERR_BAD_CERTIFICATE);
    int ok = EVP_Digest(der, (size_t)n, out, NULL, EVP_sha256(), NULL);
    OPENSSL_free(der);
    HC_ENSURE(ok == 1, HC_ERR_BAD_CERTIFICATE);
    return HC_SUCCESS;
}

static void key_details(X509 *x, struct tls_cert_info *info)
{
    EVP_PKEY *key = X509_get0_pubkey(x);
    snprintf(info->key_type, sizeof info->key_type, "unknown");
    if (!key)
        return;
    const char *type = EVP_PKEY_get0_type_name(key); /* "RSA", "EC", "ED25519" */
    if (type)
        snprintf(info->key_type, sizeof info->key_type, "%s", type);
    info->key_bits = EVP_PKEY_get_bits(key);
}

hc_result tls_cert_info_from_der(const uint8_t *der, size_t len, struct tls_cert_info *out)
{
    HC_ENSURE(der && len > 0 && len <= (size_t)INT32_MAX, HC_ERR_BAD_CERTIFICATE);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) {
        ERR_clear_error();
        return HC_RESULT(HC_ERR_BAD_CERTIFICATE);
    }
    struct tls_cert_info info;
    memset(&info, 0, sizeof info);
    hc_result res = HC_RESULT(HC_ERR_BAD_CERTIFICATE);
    if ((size_t)(p - der) != len)
        goto done; /* bytes after the certificate: not one DER certificate */
    if (EVP_Digest(der, len, info.sha256, NULL, EVP_sha256(), NULL) != 1)
        goto done;
    res = spki_digest(x, info.spki_sha256);
    if (!hc_ok(res))
        goto done;
    tls_name_string(X509_get_subject_name(x), info.subject, sizeof info.subject);
    tls_name_string(X509_get_issuer_name(x), info.issuer, sizeof info.issuer);
    time_to_iso8601(X509_get0_notBefore(x), info.not_before, sizeof info.not_before);
    time_to_iso8601(X509_get0_notAfter(x), info.not_after, sizeof info.not_after);
    key_details(x, &info);
    tls_serial_hex(X509_get0_serialNumber(x), info.serial, sizeof info.serial);
    *out = info;
done:
    X509_free(x);
    if (!hc_ok(res))
        ERR_clear_error(); /* leave no failure behind for other users of the error queue */
    return res;
}

/* ---- the cache ---- */

enum { CERT_CACHE_SLOTS = 256 };

struct cert_slot {
    bool used;
    bool valid; /* libcrypto accepted it; a rejected certificate is remembered too */
    uint8_t der_sha256[32];
    struct tls_cert_info info;
};

struct tls_cert_cache {
    struct cert_slot slots[CERT_CACHE_SLOTS];
};

struct tls_cert_cache *tls_cert_cache_new(void) { return calloc(1, sizeof(struct tls_cert_cache)); }

void tls_cert_cache_free(struct tls_cert_cache *c) { free(c); }

hc_result tls_cert_info_cached(struct tls_cert_cache *cache, const uint8_t *der, size_t len,
                               struct tls_cert_info *out)
{
    uint8_t digest[32];
    if (!cache || !der || len == 0 || EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL) != 1)
        return tls_cert_info_from_der(der, len, out);
    struct cert_slot *slot = &cache->slots[digest[0]]; /* SHA-256 bits are uniform */
    if (!slot->used || memcmp(slot->der_sha256, digest, sizeof digest) != 0) {
        slot->used = true;
        memcpy(slot->der_sha256, digest, sizeof digest);
        slot->valid = hc_ok(tls_cert_info_from_der(der, len, &slot->info));
    }
    HC_ENSURE(slot->valid, HC_ERR_BAD_CERTIFICATE);
    *out = slot->info;
    return HC_SUCCESS;
}
