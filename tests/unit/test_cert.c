/* The certificate `heartcheck clients` presents: made at start, or loaded with its key. */
#include "unit.h"

#include "clients/clients.h"
#include "tls/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void made_self_signed(void **state)
{
    (void)state;
    struct clients_cert c;
    assert_success(clients_cert_make("client-test.example", &c));
    assert_true(c.rsa);
    struct tls_cert_info info;
    assert_success(tls_cert_info_from_der(c.der, c.len, &info));
    assert_string_equal(info.subject, "CN=client-test.example");
    assert_string_equal(info.issuer, info.subject);
    assert_string_equal(info.key_type, "RSA");
    assert_int_equal(info.key_bits, 2048);
    clients_cert_free(&c);
    assert_null(c.der);
    assert_error(clients_cert_make("", &c), HC_ERR_USAGE);
}

/* Writes a certificate and a key (the certificate's, or another) as PEM files. */
static void write_pair(const char *cert_path, const char *key_path, bool matching)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    EVP_PKEY *other = EVP_EC_gen("P-256");
    assert_non_null(key);
    assert_non_null(other);
    X509 *x = X509_new();
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               (const unsigned char *)"ec.test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    FILE *f = fopen(cert_path, "w");
    assert_non_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key_path, "w");
    assert_non_null(f);
    PEM_write_PrivateKey(f, matching ? key : other, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

static void loaded_with_key(void **state)
{
    (void)state;
    char dir[] = "/tmp/hc-cert-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cert_path[64], key_path[64];
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    char err[256];
    struct clients_cert c;

    write_pair(cert_path, key_path, true);
    assert_success(clients_cert_load(cert_path, key_path, &c, err, sizeof err));
    assert_false(c.rsa); /* EC: the lure then prefers non-RSA key exchange */
    struct tls_cert_info info;
    assert_success(tls_cert_info_from_der(c.der, c.len, &info));
    assert_string_equal(info.subject, "CN=ec.test");
    clients_cert_free(&c);
    assert_success(clients_cert_load(cert_path, NULL, &c, err, sizeof err));
    clients_cert_free(&c);

    write_pair(cert_path, key_path, false);
    assert_error(clients_cert_load(cert_path, key_path, &c, err, sizeof err),
                 HC_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(err, "not the certificate's private key"));
    assert_error(clients_cert_load(key_path, NULL, &c, err, sizeof err), HC_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(err, "no PEM certificate"));
    assert_error(clients_cert_load(cert_path, cert_path, &c, err, sizeof err),
                 HC_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(err, "no PEM private key"));
    unlink(cert_path);
    assert_error(clients_cert_load(cert_path, NULL, &c, err, sizeof err), HC_ERR_IO);
    assert_non_null(strstr(err, "No such file"));
    unlink(key_path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(made_self_signed),
        cmocka_unit_test(loaded_with_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
