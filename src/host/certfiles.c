/* Certificate and key files -> what they hold (see certs.h).
 *
 * Key material is handled as little as possible: a private key's DER is decoded once to learn
 * its public half, then the key object is freed (libcrypto clears private numbers on free) and
 * every buffer that held key bytes is wiped. Encrypted keys are recognised by their PEM label
 * or ASN.1 shape and never handed to a decoder, so nothing can prompt for a passphrase. */
#include "host/certs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX_BYTES (4u << 20) /* certificate bundles are under 1 MiB; keys a few KiB */
#define WALK_MAX_FILES 10000
#define WALK_MAX_DEPTH 16
#define FILE_MAX_CERTS 1024 /* per file: a CA bundle has a few hundred */
#define FILE_MAX_KEYS  16

/* ---- parsing ---- */

static hc_result add_cert(struct host_tls_file *f, const uint8_t *der, size_t len)
{
    struct host_cert c;
    memset(&c, 0, sizeof c);
    if (f->cert_count >= FILE_MAX_CERTS || !hc_ok(tls_cert_info_from_der(der, len, &c.info)))
        return HC_SUCCESS; /* not a certificate after all: nothing to describe */
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x) {
        c.is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0; /* basicConstraints CA:TRUE */
        X509_free(x);
    }
    struct host_cert *certs = realloc(f->certs, (f->cert_count + 1) * sizeof *certs);
    HC_ENSURE(certs, HC_ERR_NOMEM);
    f->certs = certs;
    f->certs[f->cert_count++] = c;
    return HC_SUCCESS;
}

static hc_result add_key(struct host_tls_file *f, const struct host_key *k)
{
    if (f->key_count >= FILE_MAX_KEYS)
        return HC_SUCCESS;
    struct host_key *keys = realloc(f->keys, (f->key_count + 1) * sizeof *keys);
    HC_ENSURE(keys, HC_ERR_NOMEM);
    f->keys = keys;
    f->keys[f->key_count++] = *k;
    return HC_SUCCESS;
}

/* The public half of a decoded key: type, size and SubjectPublicKeyInfo digest. */
static void describe_key(EVP_PKEY *pkey, struct host_key *k)
{
    const char *type = EVP_PKEY_get0_type_name(pkey);
    snprintf(k->type, sizeof k->type, "%s", type ? type : "unknown");
    k->bits = EVP_PKEY_get_bits(pkey);
    unsigned char *spki = NULL;
    int n = i2d_PUBKEY(pkey, &spki); /* the same DER a certificate carries for this key */
    if (n > 0 && EVP_Digest(spki, (size_t)n, k->spki_sha256, NULL, EVP_sha256(), NULL) == 1)
        k->status = HOST_KEY_OK;
    OPENSSL_free(spki);
}

/* Decodes an unencrypted private key in DER (PKCS#8 or the traditional RSA/EC/DSA forms) that
 * fills exactly len bytes, and describes its public half; false when it is not one. */
static bool decode_key(const uint8_t *der, size_t len, struct host_key *k)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = len <= INT32_MAX ? d2i_AutoPrivateKey(NULL, &p, (long)len) : NULL;
    bool whole = pkey && (size_t)(p - der) == len;
    if (whole)
        describe_key(pkey, k);
    EVP_PKEY_free(pkey); /* clears the private numbers */
    ERR_clear_error();
    return whole;
}

/* A block labelled as a private key: recorded even when libcrypto cannot read it. */
static hc_result add_key_der(struct host_tls_file *f, const uint8_t *der, size_t len)
{
    struct host_key k = {.status = HOST_KEY_UNPARSED};
    (void)decode_key(der, len, &k);
    return add_key(f, &k);
}

/* PKCS#8 EncryptedPrivateKeyInfo: recognised by shape, never decrypted. */
static bool is_encrypted_pkcs8(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509_SIG *sig = len <= INT32_MAX ? d2i_X509_SIG(NULL, &p, (long)len) : NULL;
    bool whole = sig && (size_t)(p - der) == len;
    X509_SIG_free(sig);
    ERR_clear_error();
    return whole;
}

static bool label_is(const char *name, const char *label) { return !strcmp(name, label); }

static bool label_ends(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && !strcmp(name + n - s, suffix);
}

/* One PEM block by its label. */
static hc_result pem_block(struct host_tls_file *f, const char *name, const char *header,
                           const uint8_t *der, size_t len)
{
    if (label_is(name, "CERTIFICATE") || label_is(name, "X509 CERTIFICATE"))
        return add_cert(f, der, len);
    if (label_is(name, "TRUSTED CERTIFICATE")) {
        /* OpenSSL's own form: the certificate followed by trust settings. */
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        hc_result r = x ? add_cert(f, der, (size_t)(p - der)) : HC_SUCCESS;
        X509_free(x);
        ERR_clear_error();
        return r;
    }
    if (!label_ends(name, "PRIVATE KEY"))
        return HC_SUCCESS; /* EC PARAMETERS, X509 CRL, CERTIFICATE REQUEST... */
    if (label_is(name, "ENCRYPTED PRIVATE KEY") || strstr(header, "ENCRYPTED")) {
        struct host_key k = {.status = HOST_KEY_ENCRYPTED}; /* PKCS#8 or Proc-Type: 4,ENCRYPTED */
        return add_key(f, &k);
    }
    return add_key_der(f, der, len);
}

static hc_result parse_pem(const uint8_t *data, size_t len, struct host_tls_file *f)
{
    BIO *bio = BIO_new_mem_buf(data, (int)len); /* reads our buffer in place, no copy */
    HC_ENSURE(bio, HC_ERR_NOMEM);
    hc_result r = HC_SUCCESS;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        if (PEM_read_bio(bio, &name, &header, &der, &dlen) != 1)
            break; /* the end, or a damaged block: what came before is kept */
        if (dlen > 0)
            r = pem_block(f, name, header ? header : "", der, (size_t)dlen);
        if (der)
            OPENSSL_cleanse(der, (size_t)(dlen > 0 ? dlen : 0));
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        if (!hc_ok(r))
            break;
    }
    BIO_free(bio);
    ERR_clear_error(); /* "no start line" at the end is how every read finishes */
    return r;
}

/* A lone DER object: certificate, encrypted key or plain key, tried in that order. */
static hc_result parse_der(const uint8_t *data, size_t len, struct host_tls_file *f)
{
    struct tls_cert_info info;
    if (hc_ok(tls_cert_info_from_der(data, len, &info)))
        return add_cert(f, data, len);
    if (len < 2 || data[0] != 0x30)
        return HC_SUCCESS; /* not an ASN.1 SEQUENCE: text, or something else entirely */
    if (is_encrypted_pkcs8(data, len)) {
        struct host_key k = {.status = HOST_KEY_ENCRYPTED};
        return add_key(f, &k);
    }
    struct host_key k = {.status = HOST_KEY_UNPARSED};
    return decode_key(data, len, &k) ? add_key(f, &k) : HC_SUCCESS;
}

hc_result host_certfile_parse(const uint8_t *data, size_t len, struct host_tls_file *out)
{
    if (!data || !len || len > FILE_MAX_BYTES)
        return HC_SUCCESS;
    static const char begin[] = "-----BEGIN ";
    if (memmem(data, len, begin, sizeof begin - 1))
        return parse_pem(data, len, out);
    return parse_der(data, len, out);
}

/* ---- one file ---- */

void host_tls_file_free(struct host_tls_file *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->real_path);
    free(f->certs);
    free(f->keys);
    memset(f, 0, sizeof *f);
}

static void set_stat(struct host_tls_file *f, const struct stat *st)
{
    f->mode = st->st_mode;
    f->uid = st->st_uid;
    f->gid = st->st_gid;
    f->mtime = st->st_mtime;
    struct tm tm;
    if (gmtime_r(&f->mtime, &tm))
        strftime(f->mtime_s, sizeof f->mtime_s, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads the whole regular file fd (size known) and parses it; the buffer is wiped: it may
 * hold a private key. */
static hc_result read_and_parse(int fd, size_t size, struct host_tls_file *f)
{
    uint8_t *buf = malloc(size ? size : 1);
    HC_ENSURE(buf, HC_ERR_NOMEM);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    hc_result r = HC_SUCCESS;
    if (got < size) {
        f->status = HOST_FILE_UNREADABLE;
        f->err = errno ? errno : EIO;
    } else {
        r = host_certfile_parse(buf, got, f);
    }
    hc_free_secret(buf, size ? size : 1);
    return r;
}

/* Fills status, stat fields and contents of f, whose real_path is set. */
static hc_result describe_file(const char *root, struct host_tls_file *f)
{
    char full[PATH_MAX];
    struct stat st;
    if (!host_root_join(root, f->real_path, full, sizeof full) || stat(full, &st) != 0) {
        f->status = errno == ENOENT || errno == ENOTDIR ? HOST_FILE_MISSING : HOST_FILE_UNREADABLE;
        f->err = errno;
        return HC_SUCCESS;
    }
    set_stat(f, &st);
    if (!S_ISREG(st.st_mode)) {
        f->status = HOST_FILE_UNREADABLE;
        f->err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL; /* no FIFO may block the audit */
        return HC_SUCCESS;
    }
    if ((unsigned long long)st.st_size > FILE_MAX_BYTES) {
        f->status = HOST_FILE_TOO_BIG;
        return HC_SUCCESS;
    }
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        f->status = HOST_FILE_UNREADABLE;
        f->err = errno;
        return HC_SUCCESS;
    }
    hc_result r = read_and_parse(fd, (size_t)st.st_size, f);
    close(fd);
    return r;
}

/* Sets path and real_path (the path itself when it cannot be resolved). */
static hc_result name_file(const char *root, const char *path, struct host_tls_file *f)
{
    char real[PATH_MAX];
    if (!host_root_resolve(root, path, real, sizeof real))
        snprintf(real, sizeof real, "%s", path);
    f->path = strdup(path);
    f->real_path = strdup(real);
    HC_ENSURE(f->path && f->real_path, HC_ERR_NOMEM);
    return HC_SUCCESS;
}

hc_result host_certfile_read(const char *root, const char *path, struct host_tls_file *out)
{
    memset(out, 0, sizeof *out);
    HC_TRY(name_file(root, path, out));
    if (path[0] != '/') {
        out->status = HOST_FILE_MISSING; /* "$ssl_server_name.crt" and the like */
        out->err = EINVAL;
        return HC_SUCCESS;
    }
    return describe_file(root, out);
}

/* ---- the list ---- */

void host_tls_files_free(struct host_tls_files *files)
{
    if (!files)
        return;
    for (size_t i = 0; i < files->count; i++)
        host_tls_file_free(&files->items[i]);
    free(files->items);
    memset(files, 0, sizeof *files);
}

/* Moves f into the list (f is emptied). */
static hc_result files_push(struct host_tls_files *files, struct host_tls_file *f)
{
    if (files->count == files->cap) {
        size_t cap = files->cap ? files->cap * 2 : 32;
        struct host_tls_file *items = realloc(files->items, cap * sizeof *items);
        HC_ENSURE(items, HC_ERR_NOMEM);
        files->items = items;
        files->cap = cap;
    }
    files->items[files->count++] = *f;
    memset(f, 0, sizeof *f);
    return HC_SUCCESS;
}

const struct host_tls_file *host_tls_files_find(const struct host_tls_files *files,
                                                const char *path)
{
    if (!files || !path)
        return NULL;
    for (size_t i = 0; i < files->count; i++)
        if (!strcmp(files->items[i].path, path))
            return &files->items[i];
    for (size_t i = 0; i < files->count; i++)
        if (!strcmp(files->items[i].real_path, path))
            return &files->items[i];
    return NULL;
}

static const struct host_key *first_key(const struct host_tls_file *f)
{
    for (size_t i = 0; f && i < f->key_count; i++)
        if (f->keys[i].status == HOST_KEY_OK)
            return &f->keys[i];
    return NULL;
}

enum host_key_match host_tls_ref_match(const struct host_tls_files *files,
                                       const struct host_tls_ref *ref)
{
    const struct host_tls_file *cf = host_tls_files_find(files, ref->cert);
    const struct host_tls_file *kf = host_tls_files_find(files, ref->key);
    const struct host_key *k = first_key(kf);
    if (!cf || !cf->cert_count || !k)
        return HOST_MATCH_UNKNOWN;
    return memcmp(cf->certs[0].info.spki_sha256, k->spki_sha256, 32) ? HOST_MATCH_NO
                                                                     : HOST_MATCH_YES;
}

/* ---- the walk ---- */

struct walk {
    const char *root;
    struct host_tls_files *out;
    char **seen; /* real paths already described: one entry per real file */
    size_t seen_count, seen_cap;
    size_t files;
};

static bool seen_has(const struct walk *w, const char *real)
{
    for (size_t i = 0; i < w->seen_count; i++)
        if (!strcmp(w->seen[i], real))
            return true;
    return false;
}

static hc_result seen_add(struct walk *w, const char *real)
{
    if (w->seen_count == w->seen_cap) {
        size_t cap = w->seen_cap ? w->seen_cap * 2 : 64;
        char **s = realloc(w->seen, cap * sizeof *s);
        HC_ENSURE(s, HC_ERR_NOMEM);
        w->seen = s;
        w->seen_cap = cap;
    }
    w->seen[w->seen_count] = strdup(real);
    HC_ENSURE(w->seen[w->seen_count], HC_ERR_NOMEM);
    w->seen_count++;
    return HC_SUCCESS;
}

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

/* The system's trusted CA store: public certificates, counted rather than listed. */
static bool in_ca_store(const char *path)
{
    return under(path, "/etc/ssl/certs") || under(path, "/etc/pki/ca-trust") ||
           under(path, "/etc/pki/tls/certs");
}

/* c_rehash/update-ca-certificates links ("9d04f354.0", CRLs "9d04f354.r0") and bundles that
 * repeat the store's individual files: skipped to count each CA once. */
static bool skip_name(const char *dir, const char *name)
{
    static const char *const bundles[] = {"ca-certificates.crt", "email-ca-bundle.pem",
                                          "objsign-ca-bundle.pem", "ca-bundle.trust.crt"};
    size_t hex = strspn(name, "0123456789abcdef");
    if (hex == 8 && name[8] == '.' &&
        strspn(name + 9 + (name[9] == 'r'), "0123456789") == strlen(name + 9 + (name[9] == 'r')))
        return true;
    for (size_t i = 0; i < HC_ARRAY_LEN(bundles); i++)
        if (!strcmp(name, bundles[i]))
            return in_ca_store(dir);
    return false;
}

static bool all_ca(const struct host_tls_file *f)
{
    for (size_t i = 0; i < f->cert_count; i++)
        if (!f->certs[i].is_ca)
            return false;
    return f->cert_count > 0 && f->key_count == 0;
}

/* A file met in the walk: described once per real file, kept when it holds something. */
static hc_result walk_file(struct walk *w, const char *path)
{
    struct host_tls_file f;
    memset(&f, 0, sizeof f);
    hc_result r = name_file(w->root, path, &f);
    if (hc_ok(r) && !seen_has(w, f.real_path)) {
        r = seen_add(w, f.real_path);
        if (hc_ok(r))
            r = describe_file(w->root, &f);
        bool holds = f.cert_count || f.key_count;
        if (hc_ok(r) && f.status == HOST_FILE_OK && holds && in_ca_store(path) && all_ca(&f))
            w->out->ca_store_certs += f.cert_count;
        else if (hc_ok(r) && (f.status != HOST_FILE_OK || holds))
            r = files_push(w->out, &f);
    }
    host_tls_file_free(&f);
    return r;
}

/* An unreadable directory: its files are unseen, which the report must say. */
static hc_result walk_unreadable_dir(struct walk *w, const char *path, int err)
{
    if (seen_has(w, path))
        return HC_SUCCESS; /* /etc/letsencrypt/live is walked twice */
    struct host_tls_file f = {.status = HOST_FILE_UNREADABLE, .err = err, .is_directory = true};
    hc_result r = seen_add(w, path);
    if (hc_ok(r))
        r = name_file(w->root, path, &f);
    if (hc_ok(r))
        r = files_push(w->out, &f);
    host_tls_file_free(&f);
    return r;
}

static hc_result walk_dir(struct walk *w, const char *dir, unsigned depth);

static hc_result walk_entry(struct walk *w, const char *dir, const char *name, unsigned depth)
{
    char path[PATH_MAX], full[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path || skip_name(dir, name))
        return HC_SUCCESS;
    if (!host_root_join(w->root, path, full, sizeof full))
        return HC_SUCCESS;
    struct stat st;
    if (lstat(full, &st) != 0)
        return HC_SUCCESS; /* gone since readdir */
    if (S_ISDIR(st.st_mode))
        return walk_dir(w, path, depth + 1);
    if (++w->files > WALK_MAX_FILES) {
        w->out->truncated = true;
        return HC_SUCCESS;
    }
    /* A link is followed to a file (letsencrypt live/ -> archive/), never to a directory:
     * the walk stays within the trees it was given and cannot loop. */
    if (S_ISLNK(st.st_mode)) {
        char real[PATH_MAX], rfull[PATH_MAX];
        if (!host_root_resolve(w->root, path, real, sizeof real) ||
            !host_root_join(w->root, real, rfull, sizeof rfull) || stat(rfull, &st) != 0 ||
            S_ISDIR(st.st_mode))
            return HC_SUCCESS;
    }
    if (!S_ISREG(st.st_mode))
        return HC_SUCCESS;
    return walk_file(w, path);
}

static hc_result walk_dir(struct walk *w, const char *dir, unsigned depth)
{
    if (depth > WALK_MAX_DEPTH) {
        w->out->truncated = true;
        return HC_SUCCESS;
    }
    char full[PATH_MAX];
    if (!host_root_join(w->root, dir, full, sizeof full))
        return HC_SUCCESS;
    struct dirent **names = NULL;
    int n = scandir(full, &names, NULL, alphasort); /* sorted: the same order every run */
    if (n < 0)
        return errno == ENOENT || errno == ENOTDIR ? HC_SUCCESS
                                                   : walk_unreadable_dir(w, dir, errno);
    hc_result r = HC_SUCCESS;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (hc_ok(r) && strcmp(name, ".") && strcmp(name, ".."))
            r = walk_entry(w, dir, name, depth);
        free(names[i]);
    }
    free(names);
    return r;
}

/* A path some configuration names: one entry per distinct name, read whatever it is. */
static hc_result add_referenced(struct walk *w, const char *path)
{
    if (!path)
        return HC_SUCCESS;
    for (size_t i = 0; i < w->out->count; i++)
        if (!strcmp(w->out->items[i].path, path))
            return HC_SUCCESS;
    struct host_tls_file f;
    hc_result r = host_certfile_read(w->root, path, &f);
    f.referenced = true;
    if (hc_ok(r))
        r = seen_add(w, f.real_path);
    if (hc_ok(r))
        r = files_push(w->out, &f);
    host_tls_file_free(&f);
    return r;
}

static hc_result scan_all(struct walk *w, const struct host_tls_refs *refs)
{
    for (size_t i = 0; refs && i < refs->count; i++) {
        HC_TRY(add_referenced(w, refs->items[i].cert));
        HC_TRY(add_referenced(w, refs->items[i].key));
        HC_TRY(add_referenced(w, refs->items[i].chain));
    }
    /* live/ first, so the names certbot tells servers to use win over archive/ ones. */
    static const char *const dirs[] = {"/etc/letsencrypt/live", "/etc/letsencrypt", "/etc/ssl",
                                       "/etc/pki"};
    for (size_t i = 0; i < HC_ARRAY_LEN(dirs); i++)
        HC_TRY(walk_dir(w, dirs[i], 0));
    return HC_SUCCESS;
}

hc_result host_certfiles_scan(const char *root, const struct host_tls_refs *refs,
                              struct host_tls_files *out)
{
    struct walk w = {.root = root, .out = out};
    hc_result r = scan_all(&w, refs);
    for (size_t i = 0; i < w.seen_count; i++)
        free(w.seen[i]);
    free(w.seen);
    return r;
}
