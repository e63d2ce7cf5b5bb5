/* Certificate and key files: a synthetic root with all five servers configured, certificates
 * and keys generated here with libcrypto, then every record checked end to end (service,
 * paths, subject, key <-> certificate match by spki_sha256). */
#include "unit.h"

#include "host/certs.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- files in a temporary root ---- */

static void make_parents(const char *full)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", full);
    for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(dir, 0755) != 0)
            assert_true(errno == EEXIST);
        *s = '/';
    }
}

static void put_bytes(const char *root, const char *path, const void *data, size_t len, mode_t mode)
{
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s%s", root, path);
    make_parents(full);
    FILE *f = fopen(full, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(full, mode), 0);
}

static void put(const char *root, const char *path, const char *text)
{
    put_bytes(root, path, text, strlen(text), 0644);
}

static void link_in(const char *root, const char *target, const char *path)
{
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s%s", root, path);
    make_parents(full);
    assert_int_equal(symlink(target, full), 0);
}

/* Writes what a BIO collected and frees it. */
static void put_bio(const char *root, const char *path, BIO *bio, mode_t mode)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    assert_true(n > 0);
    put_bytes(root, path, data, (size_t)n, mode);
    BIO_free(bio);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* ---- keys and certificates ---- */

static X509 *make_cert(const char *cn, EVP_PKEY *key, EVP_PKEY *signer, const char *issuer_cn,
                       bool ca)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(strlen(cn) * 31 + ca));
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 90);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)issuer_cn, -1, -1, 0);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
                                              ca ? "critical,CA:TRUE" : "CA:FALSE");
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
    return x;
}

struct keys {
    EVP_PKEY *rsa, *ca, *ec[6];
};

static struct keys K;

static int make_keys(void **state)
{
    (void)state;
    K.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    K.ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    for (size_t i = 0; i < HC_ARRAY_LEN(K.ec); i++)
        K.ec[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return K.rsa && K.ca && K.ec[5] ? 0 : -1;
}

static int free_keys(void **state)
{
    (void)state;
    EVP_PKEY_free(K.rsa);
    EVP_PKEY_free(K.ca);
    for (size_t i = 0; i < HC_ARRAY_LEN(K.ec); i++)
        EVP_PKEY_free(K.ec[i]);
    return 0;
}

static BIO *mem(void)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    return b;
}

static BIO *pem_certs(X509 *a, X509 *b)
{
    BIO *bio = mem();
    assert_int_equal(PEM_write_bio_X509(bio, a), 1);
    if (b)
        assert_int_equal(PEM_write_bio_X509(bio, b), 1);
    return bio;
}

static BIO *pem_key(EVP_PKEY *k) /* PKCS#8 "PRIVATE KEY" */
{
    BIO *bio = mem();
    assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
    return bio;
}

static BIO *pem_key_traditional(EVP_PKEY *k, const EVP_CIPHER *enc) /* "RSA/EC PRIVATE KEY" */
{
    BIO *bio = mem();
    unsigned char pass[] = "secret";
    assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, k, enc, enc ? pass : NULL,
                                                          enc ? 6 : 0, NULL, NULL),
                     1);
    return bio;
}

static BIO *pkcs8_encrypted(EVP_PKEY *k, bool pem)
{
    BIO *bio = mem();
    char pass[] = "secret";
    int ok = pem ? PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), pass, 6, NULL, NULL)
                 : i2d_PKCS8PrivateKey_bio(bio, k, EVP_aes_256_cbc(), pass, 6, NULL, NULL);
    assert_int_equal(ok, 1);
    return bio;
}

static BIO *der_cert(X509 *x)
{
    BIO *bio = mem();
    assert_int_equal(i2d_X509_bio(bio, x), 1);
    return bio;
}

static BIO *der_key(EVP_PKEY *k)
{
    BIO *bio = mem();
    assert_int_equal(i2d_PKCS8PrivateKey_bio(bio, k, NULL, NULL, 0, NULL, NULL), 1);
    return bio;
}

/* ---- the synthetic machine ---- */

static void write_configs(const char *root)
{
    put(root, "/etc/nginx/nginx.conf", "http {\n  include sites-enabled/*;\n}\n");
    put(root, "/etc/nginx/sites-enabled/example",
        "server { listen 443 ssl; server_name example.com;\n"
        "  ssl_certificate /etc/ssl/certs/example.pem;\n"
        "  ssl_certificate_key /etc/ssl/private/example.key; }\n"
        "server { listen 443 ssl; server_name mail.example.org;\n"
        "  ssl_certificate certs/mail.crt; ssl_certificate_key certs/mail.key; }\n");
    put(root, "/etc/nginx/sites-enabled/le",
        "server { listen 443 ssl; server_name le.example.net;\n"
        "  ssl_certificate /etc/letsencrypt/live/le.example.net/fullchain.pem;\n"
        "  ssl_certificate_key /etc/letsencrypt/live/le.example.net/privkey.pem; }\n");
    put(root, "/etc/apache2/apache2.conf", "IncludeOptional sites-enabled/*.conf\n");
    put(root, "/etc/apache2/sites-enabled/default-ssl.conf",
        "<VirtualHost *:443>\n ServerName www.example.com\n"
        " SSLCertificateFile /etc/ssl/certs/apache.pem\n"
        " SSLCertificateKeyFile /etc/ssl/private/apache.key\n"
        " SSLCertificateChainFile /etc/ssl/certs/Test_Root_CA.pem\n</VirtualHost>\n");
    put(root, "/etc/postfix/main.cf",
        "smtpd_tls_cert_file = /etc/postfix/missing.pem\n"
        "chains = $config_directory/ec.pem\n"
        "smtpd_tls_chain_files =\n  $chains\n");
    put(root, "/etc/dovecot/dovecot.conf", "!include conf.d/*.conf\n");
    put(root, "/etc/dovecot/conf.d/10-ssl.conf",
        "ssl_cert = </etc/dovecot/private/dovecot.pem\n"
        "ssl_key = </etc/dovecot/private/dovecot.key\n");
    put(root, "/etc/mysql/my.cnf", "[client]\n!includedir /etc/mysql/conf.d/\n");
    put(root, "/etc/mysql/conf.d/ssl.cnf",
        "[mariadb]\nssl-cert = /etc/mysql/server-cert.pem\n"
        "ssl-key = /etc/mysql/server-key.pem\n");
}

static void write_letsencrypt(const char *root, X509 *leaf, X509 *ca)
{
    const char *dir = "/etc/letsencrypt/archive/le.example.net";
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/cert1.pem", dir);
    put_bio(root, p, pem_certs(leaf, NULL), 0644);
    snprintf(p, sizeof p, "%s/chain1.pem", dir);
    put_bio(root, p, pem_certs(ca, NULL), 0644);
    snprintf(p, sizeof p, "%s/fullchain1.pem", dir);
    put_bio(root, p, pem_certs(leaf, ca), 0644);
    snprintf(p, sizeof p, "%s/privkey1.pem", dir);
    put_bio(root, p, pem_key(K.ec[2]), 0600);
    static const char *const names[] = {"cert", "chain", "fullchain", "privkey"};
    for (size_t i = 0; i < HC_ARRAY_LEN(names); i++) {
        char target[PATH_MAX], link[PATH_MAX];
        snprintf(target, sizeof target, "../../archive/le.example.net/%s1.pem", names[i]);
        snprintf(link, sizeof link, "/etc/letsencrypt/live/le.example.net/%s.pem", names[i]);
        link_in(root, target, link);
    }
    put(root, "/etc/letsencrypt/live/le.example.net/README", "This directory contains...\n");
    put(root, "/etc/letsencrypt/renewal/le.example.net.conf", "version = 2.1.0\n");
}

static void write_ca_store(const char *root, X509 *ca)
{
    put_bio(root, "/etc/ssl/certs/Test_Root_CA.pem", pem_certs(ca, NULL), 0644);
    put_bio(root, "/etc/ssl/certs/Other_CA.pem", pem_certs(ca, NULL), 0644);
    link_in(root, "Other_CA.pem", "/etc/ssl/certs/1a2b3c4d.0");
    put_bio(root, "/etc/ssl/certs/ca-certificates.crt", pem_certs(ca, ca), 0644);
}

static void write_tree(const char *root)
{
    const char *rca = "Test Root CA";
    X509 *ca = make_cert(rca, K.ca, K.ca, rca, true);
    X509 *example = make_cert("example.com", K.rsa, K.ca, rca, false);
    X509 *mail = make_cert("mail.example.org", K.ec[0], K.ca, rca, false);
    X509 *le = make_cert("le.example.net", K.ec[2], K.ca, rca, false);
    X509 *www = make_cert("www.example.com", K.rsa, K.ca, rca, false);
    X509 *smtp = make_cert("smtp.example.com", K.ec[3], K.ca, rca, false);
    X509 *imap = make_cert("imap.example.com", K.ec[4], K.ca, rca, false);
    X509 *db = make_cert("db.example.com", K.rsa, K.ca, rca, false);
    X509 *local = make_cert("localhost.localdomain", K.ec[5], K.ec[5], "localhost", false);
    write_configs(root);
    put_bio(root, "/etc/ssl/certs/example.pem", pem_certs(example, ca), 0644);
    put_bio(root, "/etc/ssl/private/example.key", pem_key(K.rsa), 0600);
    put_bio(root, "/etc/nginx/certs/mail.crt", pem_certs(mail, NULL), 0644);
    put_bio(root, "/etc/nginx/certs/mail.key", pem_key_traditional(K.ec[1], NULL), 0600);
    write_letsencrypt(root, le, ca);
    put_bio(root, "/etc/ssl/certs/apache.pem", pem_certs(www, NULL), 0644);
    put_bio(root, "/etc/ssl/private/apache.key", pkcs8_encrypted(K.rsa, true), 0600);
    write_ca_store(root, ca);
    BIO *ec = pem_key(K.ec[3]); /* Postfix chain file: key, then its chain */
    assert_int_equal(PEM_write_bio_X509(ec, smtp), 1);
    put_bio(root, "/etc/postfix/ec.pem", ec, 0600);
    put_bio(root, "/etc/dovecot/private/dovecot.pem", der_cert(imap), 0644);
    put_bio(root, "/etc/dovecot/private/dovecot.key", der_key(K.ec[4]), 0600);
    put_bio(root, "/etc/mysql/server-cert.pem", pem_certs(db, NULL), 0644);
    put_bio(root, "/etc/mysql/server-key.pem", pem_key_traditional(K.rsa, NULL), 0600);
    put_bio(root, "/etc/ssl/private/legacy-encrypted.key",
            pem_key_traditional(K.ec[0], EVP_aes_128_cbc()), 0600);
    put_bio(root, "/etc/pki/tls/certs/localhost.crt", pem_certs(local, NULL), 0644);
    put_bio(root, "/etc/pki/tls/private/encrypted.der", pkcs8_encrypted(K.ec[5], false), 0600);
    put(root, "/etc/ssl/README.txt", "nothing here\n");
    link_in(root, "/etc/ssl/private/example.key", "/etc/ssl/abs-link.key"); /* stays in root */
    X509 *all[] = {ca, example, mail, le, www, smtp, imap, db, local};
    for (size_t i = 0; i < HC_ARRAY_LEN(all); i++)
        X509_free(all[i]);
}

static int setup_root(void **state)
{
    char *root = strdup("/tmp/hc-certfiles-XXXXXX");
    if (!root || !mkdtemp(root))
        return -1;
    *state = root;
    return 0;
}

static int teardown_root(void **state)
{
    nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(*state);
    return 0;
}

/* ---- the end-to-end check ---- */

static const struct host_tls_ref *ref_for(const struct host_tls_refs *r, const char *service,
                                          const char *cert)
{
    for (size_t i = 0; i < r->count; i++)
        if (!strcmp(r->items[i].service, service) && r->items[i].cert &&
            !strcmp(r->items[i].cert, cert))
            return &r->items[i];
    fail_msg("no %s record for %s", service, cert);
    return NULL;
}

static const struct host_tls_file *file_ok(const struct host_tls_files *f, const char *path)
{
    const struct host_tls_file *x = host_tls_files_find(f, path);
    if (!x)
        fail_msg("%s not found", path);
    assert_int_equal(x->status, HOST_FILE_OK);
    return x;
}

struct expect {
    const char *service, *cert, *subject;
    enum host_key_match match;
};

static const struct expect expected[] = {
    {"nginx", "/etc/ssl/certs/example.pem", "CN=example.com", HOST_MATCH_YES},
    {"nginx", "/etc/nginx/certs/mail.crt", "CN=mail.example.org", HOST_MATCH_NO},
    {"nginx", "/etc/letsencrypt/live/le.example.net/fullchain.pem", "CN=le.example.net",
     HOST_MATCH_YES},
    {"apache", "/etc/ssl/certs/apache.pem", "CN=www.example.com", HOST_MATCH_UNKNOWN},
    {"postfix", "/etc/postfix/ec.pem", "CN=smtp.example.com", HOST_MATCH_YES},
    {"dovecot", "/etc/dovecot/private/dovecot.pem", "CN=imap.example.com", HOST_MATCH_YES},
    {"mariadb", "/etc/mysql/server-cert.pem", "CN=db.example.com", HOST_MATCH_YES},
};

static void check_refs(const struct host_tls_refs *refs, const struct host_tls_files *files)
{
    for (size_t i = 0; i < HC_ARRAY_LEN(expected); i++) {
        const struct expect *e = &expected[i];
        const struct host_tls_ref *ref = ref_for(refs, e->service, e->cert);
        const struct host_tls_file *f = file_ok(files, e->cert);
        assert_true(f->referenced);
        assert_true(f->cert_count >= 1);
        assert_string_equal(f->certs[0].info.subject, e->subject);
        assert_string_equal(f->certs[0].info.issuer, "CN=Test Root CA");
        assert_false(f->certs[0].is_ca);
        assert_int_equal(host_tls_ref_match(files, ref), e->match);
    }
}

static void check_keys(const struct host_tls_files *files)
{
    const struct host_tls_file *k = file_ok(files, "/etc/ssl/private/example.key");
    assert_int_equal(k->key_count, 1);
    assert_int_equal(k->keys[0].status, HOST_KEY_OK);
    assert_string_equal(k->keys[0].type, "RSA");
    assert_int_equal(k->keys[0].bits, 2048);
    assert_int_equal(k->mode & 0777, 0600);
    assert_int_equal(k->uid, geteuid());
    assert_true(k->mtime > 0 && strlen(k->mtime_s) == 20);
    const struct host_tls_file *c = file_ok(files, "/etc/ssl/certs/example.pem");
    assert_memory_equal(c->certs[0].info.spki_sha256, k->keys[0].spki_sha256, 32);
    assert_int_equal(c->cert_count, 2); /* leaf first, then its CA */
    assert_true(c->certs[1].is_ca);
    const struct host_tls_file *m = file_ok(files, "/etc/nginx/certs/mail.key");
    assert_string_equal(m->keys[0].type, "EC");
    assert_int_equal(m->keys[0].bits, 256);
    const struct host_tls_file *a = file_ok(files, "/etc/ssl/private/apache.key");
    assert_int_equal(a->keys[0].status, HOST_KEY_ENCRYPTED);
    const struct host_tls_file *l = file_ok(files, "/etc/ssl/private/legacy-encrypted.key");
    assert_false(l->referenced); /* found by the walk */
    assert_int_equal(l->keys[0].status, HOST_KEY_ENCRYPTED);
    const struct host_tls_file *d = file_ok(files, "/etc/pki/tls/private/encrypted.der");
    assert_int_equal(d->keys[0].status, HOST_KEY_ENCRYPTED);
    const struct host_tls_file *db = file_ok(files, "/etc/mysql/server-key.pem");
    assert_string_equal(db->keys[0].type, "RSA"); /* "RSA PRIVATE KEY" */
}

static void check_walk(const struct host_tls_files *files)
{
    const struct host_tls_file *le =
        file_ok(files, "/etc/letsencrypt/live/le.example.net/fullchain.pem");
    assert_string_equal(le->real_path, "/etc/letsencrypt/archive/le.example.net/fullchain1.pem");
    assert_int_equal(le->cert_count, 2);
    assert_true(le->certs[1].is_ca);
    /* Found by their live/ names; archive/ holds the same files and is not listed again. */
    file_ok(files, "/etc/letsencrypt/live/le.example.net/cert.pem");
    for (size_t i = 0; i < files->count; i++) {
        const char *p = files->items[i].path;
        assert_null(strstr(p, "/etc/letsencrypt/archive/"));
        assert_null(strstr(p, "README"));
        assert_null(strstr(p, "renewal"));
        assert_null(strstr(p, "1a2b3c4d"));
        assert_null(strstr(p, "Other_CA"));
        assert_null(strstr(p, "ca-certificates.crt"));
    }
    assert_int_equal(files->ca_store_certs, 1); /* Other_CA.pem: counted, not listed */
    const struct host_tls_file *ca = file_ok(files, "/etc/ssl/certs/Test_Root_CA.pem");
    assert_true(ca->referenced && ca->certs[0].is_ca); /* named by Apache: listed */
    const struct host_tls_file *lh = file_ok(files, "/etc/pki/tls/certs/localhost.crt");
    assert_string_equal(lh->certs[0].info.subject, "CN=localhost.localdomain");
    /* An absolute link to a file already described: the same real file, not listed twice. */
    assert_null(host_tls_files_find(files, "/etc/ssl/abs-link.key"));
    const struct host_tls_file *miss = host_tls_files_find(files, "/etc/postfix/missing.pem");
    assert_non_null(miss);
    assert_int_equal(miss->status, HOST_FILE_MISSING);
    assert_int_equal(miss->err, ENOENT);
    assert_false(files->truncated);
}

static void test_whole_machine(void **state)
{
    const char *root = *state;
    write_tree(root);
    struct host_tls_refs refs = {0};
    assert_success(host_tlsconf_all(root, &refs));
    assert_int_equal(refs.count, 8); /* 3 nginx, apache, postfix x2, dovecot, mariadb */
    struct host_tls_files files = {0};
    assert_success(host_certfiles_scan(root, &refs, &files));
    check_refs(&refs, &files);
    check_keys(&files);
    check_walk(&files);
    host_tls_files_free(&files);
    host_tls_refs_free(&refs);
}

/* An absolute link inside an image resolves inside the image, never on the auditing machine. */
static void test_absolute_link_in_root(void **state)
{
    const char *root = *state;
    put_bio(root, "/etc/ssl/private/example.key", pem_key(K.ec[0]), 0600);
    link_in(root, "/etc/ssl/private/example.key", "/etc/ssl/abs-link.key");
    struct host_tls_file f;
    assert_success(host_certfile_read(root, "/etc/ssl/abs-link.key", &f));
    assert_int_equal(f.status, HOST_FILE_OK);
    assert_string_equal(f.path, "/etc/ssl/abs-link.key");
    assert_string_equal(f.real_path, "/etc/ssl/private/example.key");
    assert_int_equal(f.key_count, 1);
    host_tls_file_free(&f);
    assert_success(host_certfile_read(root, "relative/x.pem", &f));
    assert_int_equal(f.status, HOST_FILE_MISSING);
    host_tls_file_free(&f);
    assert_success(host_certfile_read(root, "/etc/ssl", &f)); /* a directory */
    assert_int_equal(f.status, HOST_FILE_UNREADABLE);
    assert_int_equal(f.err, EISDIR);
    host_tls_file_free(&f);
}

/* What an unprivileged run sees: a key it cannot open (mode and owner still known) and a
 * directory it cannot list are recorded as unreadable; nothing fails. */
static int unreadable_checks(const char *root, mode_t key_mode)
{
    struct host_tls_file f;
    if (!hc_ok(host_certfile_read(root, "/etc/ssl/keys/secret.key", &f)))
        return 10;
    int rc = f.status != HOST_FILE_UNREADABLE ? 11 : f.err != EACCES ? 12 : 0;
    rc = rc ? rc : (f.mode & 0777) != key_mode ? 13 : 0;
    host_tls_file_free(&f);
    struct host_tls_files files = {0};
    if (!rc && !hc_ok(host_certfiles_scan(root, NULL, &files)))
        rc = 14;
    const struct host_tls_file *d = host_tls_files_find(&files, "/etc/ssl/private");
    if (!rc && (!d || !d->is_directory || d->status != HOST_FILE_UNREADABLE))
        rc = 15;
    const struct host_tls_file *k = host_tls_files_find(&files, "/etc/ssl/keys/secret.key");
    if (!rc && (!k || k->status != HOST_FILE_UNREADABLE))
        rc = 16;
    host_tls_files_free(&files);
    return rc;
}

static void test_unreadable(void **state)
{
    const char *root = *state;
    put_bio(root, "/etc/ssl/keys/secret.key", pem_key(K.ec[0]), 0600);
    put_bio(root, "/etc/ssl/private/hidden.key", pem_key(K.ec[1]), 0600);
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s/etc/ssl/private", root);
    assert_int_equal(chmod(full, geteuid() == 0 ? 0700 : 0300), 0);
    assert_int_equal(chmod(root, 0755), 0);
    if (geteuid() != 0) { /* the owner can always read 0600: a write-only key instead */
        snprintf(full, sizeof full, "%s/etc/ssl/keys/secret.key", root);
        assert_int_equal(chmod(full, 0200), 0);
        assert_int_equal(unreadable_checks(root, 0200), 0);
        snprintf(full, sizeof full, "%s/etc/ssl/private", root);
        assert_int_equal(chmod(full, 0700), 0); /* so that teardown can remove it */
        return;
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(20);
        _exit(unreadable_checks(root, 0600));
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- parsing in memory ---- */

static void parse(const void *data, size_t len, struct host_tls_file *f)
{
    memset(f, 0, sizeof *f);
    assert_success(host_certfile_parse(data, len, f));
}

static void test_parse_edges(void **state)
{
    (void)state;
    struct host_tls_file f;
    parse("", 0, &f);
    assert_int_equal(f.cert_count + f.key_count, 0);
    static const char junk[] = "-----BEGIN CERTIFICATE-----\nnot base64 !!!\n"
                               "-----END CERTIFICATE-----\n";
    parse(junk, strlen(junk), &f);
    assert_int_equal(f.cert_count, 0);
    static const char garbage_key[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                      "-----END PRIVATE KEY-----\n";
    parse(garbage_key, strlen(garbage_key), &f);
    assert_int_equal(f.key_count, 1); /* named a key: recorded as one that could not be read */
    assert_int_equal(f.keys[0].status, HOST_KEY_UNPARSED);
    host_tls_file_free(&f);
    static const char truncated[] = "-----BEGIN CERTIFICATE-----\nMIIB";
    parse(truncated, strlen(truncated), &f);
    assert_int_equal(f.cert_count, 0);
    uint8_t bin[4096];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (uint8_t)(i * 2654435761u >> 13);
    bin[0] = 0x30;
    parse(bin, sizeof bin, &f);
    assert_int_equal(f.cert_count + f.key_count, 0);
}

static void test_parse_chain_and_noise(void **state)
{
    (void)state;
    X509 *ca = make_cert("CA", K.ca, K.ca, "CA", true);
    X509 *leaf = make_cert("leaf", K.ec[0], K.ca, "CA", false);
    BIO *bio = mem();
    BIO_puts(bio, "Bag Attributes\n    friendlyName: leaf\n");
    assert_int_equal(PEM_write_bio_X509(bio, leaf), 1);
    BIO_puts(bio, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n");
    assert_int_equal(PEM_write_bio_PrivateKey(bio, K.ec[0], NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(PEM_write_bio_X509_AUX(bio, ca), 1); /* TRUSTED CERTIFICATE */
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    struct host_tls_file f;
    parse(data, (size_t)n, &f);
    assert_int_equal(f.cert_count, 2);
    assert_string_equal(f.certs[0].info.subject, "CN=leaf");
    assert_true(f.certs[1].is_ca);
    assert_int_equal(f.key_count, 1);
    assert_memory_equal(f.keys[0].spki_sha256, f.certs[0].info.spki_sha256, 32);
    host_tls_file_free(&f);
    BIO_free(bio);
    X509_free(ca);
    X509_free(leaf);
}

static void test_too_big_and_fifo(void **state)
{
    const char *root = *state;
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s/etc/ssl/big.pem", root);
    make_parents(full);
    FILE *fp = fopen(full, "w");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 5L << 20, SEEK_SET), 0);
    fputc('x', fp);
    assert_int_equal(fclose(fp), 0);
    snprintf(full, sizeof full, "%s/etc/ssl/fifo.pem", root);
    assert_int_equal(mkfifo(full, 0644), 0);
    struct host_tls_file f;
    assert_success(host_certfile_read(root, "/etc/ssl/big.pem", &f));
    assert_int_equal(f.status, HOST_FILE_TOO_BIG);
    host_tls_file_free(&f);
    assert_success(host_certfile_read(root, "/etc/ssl/fifo.pem", &f)); /* must not block */
    assert_int_equal(f.status, HOST_FILE_UNREADABLE);
    host_tls_file_free(&f);
    struct host_tls_files files = {0};
    assert_success(host_certfiles_scan(root, NULL, &files)); /* the walk skips both quietly */
    assert_int_equal(files.count, 1);
    assert_int_equal(files.items[0].status, HOST_FILE_TOO_BIG);
    host_tls_files_free(&files);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_machine, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_absolute_link_in_root, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_unreadable, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_too_big_and_fifo, setup_root, teardown_root),
        cmocka_unit_test(test_parse_edges),
        cmocka_unit_test(test_parse_chain_and_noise),
    };
    return cmocka_run_group_tests(tests, make_keys, free_keys);
}
