/* CRLs for `verify --crl`: made here with libcrypto (a throw-away CA, signed CRLs), read as
 * PEM (several in one file), DER and from files; looked up by issuer and serial. */
#include "unit.h"

#include "verify/verify.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static EVP_PKEY *ca_key;

static int make_key(void **state)
{
    (void)state;
    ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return ca_key ? 0 : -1;
}

static int free_key(void **state)
{
    (void)state;
    EVP_PKEY_free(ca_key);
    return 0;
}

/* A CRL of issuer CN=<cn> revoking the given serials, signed by the test key. */
static X509_CRL *make_crl(const char *cn, const long *serials, size_t n)
{
    X509_CRL *crl = X509_CRL_new();
    X509_NAME *name = X509_NAME_new();
    assert_non_null(crl);
    assert_non_null(name);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
        1);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, name), 1);
    ASN1_TIME *now = ASN1_TIME_set(NULL, 1397000000); /* April 2014 */
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, now), 1);
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        assert_int_equal(ASN1_INTEGER_set(s, serials[i]), 1);
        assert_int_equal(X509_REVOKED_set_serialNumber(r, s), 1);
        assert_int_equal(X509_REVOKED_set_revocationDate(r, now), 1);
        assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
        ASN1_INTEGER_free(s);
    }
    assert_true(X509_CRL_sign(crl, ca_key, EVP_sha256()) > 0);
    ASN1_TIME_free(now);
    X509_NAME_free(name);
    return crl;
}

/* The PEM of CRLs a (serials 0x1000, 0x8001) and b (0x2a), one after the other. */
static char *two_crls_pem(size_t *len)
{
    static const long a_serials[] = {0x1000, 0x8001};
    static const long b_serials[] = {0x2a};
    X509_CRL *a = make_crl("Test CA", a_serials, 2);
    X509_CRL *b = make_crl("Other CA", b_serials, 1);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509_CRL(bio, a), 1);
    assert_int_equal(PEM_write_bio_X509_CRL(bio, b), 1);
    char *p;
    long n = BIO_get_mem_data(bio, &p);
    char *copy = malloc((size_t)n);
    memcpy(copy, p, (size_t)n);
    *len = (size_t)n;
    BIO_free(bio);
    X509_CRL_free(a);
    X509_CRL_free(b);
    return copy;
}

static void test_pem_lookup(void **state)
{
    (void)state;
    size_t len;
    char *pem = two_crls_pem(&len);
    struct verify_crls *c;
    assert_success(verify_crls_parse((const uint8_t *)pem, len, &c));
    assert_int_equal(verify_crls_count(c), 2);
    assert_int_equal(verify_crls_lookup(c, "CN=Test CA", "1000"), VERIFY_REVOKED_YES);
    assert_int_equal(verify_crls_lookup(c, "CN=Test CA", "8001"), VERIFY_REVOKED_YES);
    assert_int_equal(verify_crls_lookup(c, "CN=Test CA", "2a"), VERIFY_REVOKED_NO);
    assert_int_equal(verify_crls_lookup(c, "CN=Other CA", "2a"), VERIFY_REVOKED_YES);
    assert_int_equal(verify_crls_lookup(c, "CN=Third CA", "1000"), VERIFY_REVOKED_UNKNOWN);
    assert_int_equal(verify_crls_lookup(c, "CN=Test CA", ""), VERIFY_REVOKED_UNKNOWN);
    assert_int_equal(verify_crls_lookup(c, NULL, "1000"), VERIFY_REVOKED_UNKNOWN);
    assert_int_equal(verify_crls_lookup(NULL, "CN=Test CA", "1000"), VERIFY_REVOKED_UNKNOWN);
    verify_crls_free(c);
    free(pem);
}

static void test_der(void **state)
{
    (void)state;
    static const long serials[] = {7};
    X509_CRL *x = make_crl("Test CA", serials, 1);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(x, &der);
    assert_true(n > 0);
    struct verify_crls *c;
    assert_success(verify_crls_parse(der, (size_t)n, &c));
    assert_int_equal(verify_crls_lookup(c, "CN=Test CA", "07"), VERIFY_REVOKED_YES);
    verify_crls_free(c);
    /* DER with a byte after it, or cut: not one CRL */
    uint8_t *more = malloc((size_t)n + 1);
    memcpy(more, der, (size_t)n);
    more[n] = 0;
    assert_error(verify_crls_parse(more, (size_t)n + 1, &c), HC_ERR_USAGE);
    assert_null(c);
    for (int cut = 0; cut < n; cut += 7)
        assert_error(verify_crls_parse(der, (size_t)cut, &c), HC_ERR_USAGE);
    free(more);
    OPENSSL_free(der);
    X509_CRL_free(x);
}

/* An empty CRL names its issuer: "not revoked", not "unknown". */
static void test_empty_crl(void **state)
{
    (void)state;
    X509_CRL *x = make_crl("Test CA", NULL, 0);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(x, &der);
    struct verify_crls *c;
    assert_success(verify_crls_parse(der, (size_t)n, &c));
    assert_int_equal(verify_crls_lookup(c, "CN=Test CA", "1000"), VERIFY_REVOKED_NO);
    verify_crls_free(c);
    OPENSSL_free(der);
    X509_CRL_free(x);
}

static void test_not_a_crl(void **state)
{
    (void)state;
    struct verify_crls *c;
    static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert_error(verify_crls_parse((const uint8_t *)cert_pem, sizeof cert_pem - 1, &c),
                 HC_ERR_USAGE);
    assert_error(verify_crls_parse((const uint8_t *)"", 0, &c), HC_ERR_USAGE);
    assert_error(verify_crls_parse((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &c), HC_ERR_USAGE);
}

static void test_files(void **state)
{
    (void)state;
    size_t len;
    char *pem = two_crls_pem(&len);
    char path[] = "/tmp/hc-crl-XXXXXX", junk[] = "/tmp/hc-crl-junk-XXXXXX";
    int fd = mkstemp(path), jfd = mkstemp(junk);
    assert_true(fd >= 0 && jfd >= 0);
    assert_int_equal(write(fd, pem, len), (ssize_t)len);
    assert_int_equal(write(jfd, "hello\n", 6), 6);
    close(fd);
    close(jfd);
    struct verify_crls *c;
    char err[VERIFY_ERR_MAX];
    char *one[] = {path};
    assert_success(verify_crls_load(one, 1, &c, err, sizeof err));
    assert_int_equal(verify_crls_count(c), 2);
    verify_crls_free(c);
    assert_success(verify_crls_load(NULL, 0, &c, err, sizeof err));
    assert_int_equal(verify_crls_count(c), 0);
    verify_crls_free(c);
    char *bad[] = {path, junk};
    assert_error(verify_crls_load(bad, 2, &c, err, sizeof err), HC_ERR_USAGE);
    assert_null(c);
    assert_non_null(strstr(err, junk));
    char *missing[] = {"/nonexistent/x.crl"};
    assert_error(verify_crls_load(missing, 1, &c, err, sizeof err), HC_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/x.crl"));
    unlink(path);
    unlink(junk);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_lookup), cmocka_unit_test(test_der),
        cmocka_unit_test(test_empty_crl),  cmocka_unit_test(test_not_a_crl),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, make_key, free_key);
}
