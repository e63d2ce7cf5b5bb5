/* host/certs: the certificates and private keys this machine's TLS servers use (issue 3 item 5,
 * issue 8's key-rotation tracking).
 *
 * Two steps. tlsconf.c reads the configuration of nginx, Apache, Postfix, Dovecot and
 * MariaDB/MySQL and lists the certificate and key paths each one names (host_tls_ref).
 * certfiles.c reads those files and everything under /etc/ssl, /etc/pki and /etc/letsencrypt
 * with libcrypto and describes each certificate and key (host_tls_file) without keeping key
 * material: a key is known by the SHA-256 of its public SubjectPublicKeyInfo, the same value
 * tls_cert_info gives for a certificate, so equal spki_sha256 means "this key signs for this
 * certificate".
 *
 * Every path in these structures is the path as seen on the audited machine ("/etc/ssl/x.pem");
 * the files are read under ROOT ("/" normally, the mount point with --root), and symbolic
 * links are followed as if ROOT were "/" (host_root_resolve), so an image's absolute links do
 * not escape into the auditing machine. Nothing here is fatal except running out of memory:
 * missing or unreadable files are recorded, and every walk is bounded. */
#ifndef HC_HOST_CERTS_H
#define HC_HOST_CERTS_H

#include "base/base.h"
#include "tls/tls.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- paths under ROOT (tlsconf.c) ---- */

/* Resolves `path` (absolute, as on the audited machine) inside `root`, following symbolic links
 * as the kernel would if root were "/": absolute targets restart at root, ".." stops at root.
 * Writes the resolved machine path to out. A missing component ends the walk (the rest is
 * appended unresolved, so opening it fails with ENOENT). False, errno set, on a link loop
 * (ELOOP, more than 40 links), a relative path (EINVAL) or a result longer than cap
 * (ENAMETOOLONG). */
bool host_root_resolve(const char *root, const char *path, char *out, size_t cap);

/* root + path for open(2): "/" and "" leave path as it is. False when it does not fit. */
bool host_root_join(const char *root, const char *path, char *out, size_t cap);

/* ---- what the server configurations name (tlsconf.c) ---- */

/* One certificate/key pair a server configuration names: one per nginx server block or Apache
 * VirtualHost (one per pair when a block names several, e.g. RSA and ECDSA), per Postfix role,
 * per Dovecot section, one for MariaDB. Strings are owned by the list; NULL when absent. */
struct host_tls_ref {
    const char *service; /* "nginx", "apache", "postfix", "dovecot", "mariadb" (static) */
    char *config;        /* the file holding the directive (the certificate's, else the key's) */
    unsigned line;       /* its line, from 1 */
    char *cert;          /* absolute machine paths: relative ones resolved as the server would */
    char *key;           /* Postfix chain files hold both: cert and key name the same file */
    char *chain;         /* Apache SSLCertificateChainFile, MariaDB ssl-ca, Dovecot ssl_ca */
    char *name;          /* server_name / ServerName / Dovecot section / Postfix role */
    char *listen;        /* nginx listen lines ("443 ssl; [::]:443 ssl"), VirtualHost addresses */
};

struct host_tls_refs {
    struct host_tls_ref *items;
    size_t count, cap;
    /* Configuration files that exist but could not be read, and bounds that were hit
     * ("/etc/nginx/nginx.conf: Permission denied"): what the audit could not see. */
    char **skipped;
    size_t skipped_count;
};

enum host_tls_service {
    HOST_TLS_NGINX,
    HOST_TLS_APACHE,
    HOST_TLS_POSTFIX,
    HOST_TLS_DOVECOT,
    HOST_TLS_MARIADB,
    HOST_TLS_SERVICE_COUNT
};

/* "nginx", "apache", ...; NULL out of range. */
const char *host_tls_service_name(enum host_tls_service s);

/* Each parser reads its server's main configuration under root (paths in the comments are
 * machine paths), follows its includes (at most 8 deep and 256 files: include loops end
 * there) and appends what it finds to out. A missing configuration appends nothing.
 * Only HC_ERR_NOMEM fails; out is then left valid for host_tls_refs_free. */
/* /etc/nginx/nginx.conf; include globs; relative paths from the prefix /etc/nginx. */
HC_MUST_CHECK hc_result host_tlsconf_nginx(const char *root, struct host_tls_refs *out);
/* /etc/apache2/apache2.conf and /etc/httpd/conf/httpd.conf; Include, IncludeOptional. */
HC_MUST_CHECK hc_result host_tlsconf_apache(const char *root, struct host_tls_refs *out);
/* /etc/postfix/main.cf: smtpd_ and smtp_ cert/key/chain files, $name expansion. */
HC_MUST_CHECK hc_result host_tlsconf_postfix(const char *root, struct host_tls_refs *out);
/* /etc/dovecot/dovecot.conf; !include, !include_try; "ssl_cert = </path". */
HC_MUST_CHECK hc_result host_tlsconf_dovecot(const char *root, struct host_tls_refs *out);
/* /etc/mysql/my.cnf and /etc/my.cnf; !include, !includedir; [mysqld]/[mariadb]/[server]. */
HC_MUST_CHECK hc_result host_tlsconf_mariadb(const char *root, struct host_tls_refs *out);
/* All five, in the order of enum host_tls_service. */
HC_MUST_CHECK hc_result host_tlsconf_all(const char *root, struct host_tls_refs *out);

/* Parses text (len bytes, any content) as the main configuration file `name` of service s;
 * its includes are read under root. For the fuzzer and for tests of one file. */
HC_MUST_CHECK hc_result host_tlsconf_parse_text(enum host_tls_service s, const char *root,
                                                const char *name, const char *text, size_t len,
                                                struct host_tls_refs *out);

void host_tls_refs_free(struct host_tls_refs *refs);

/* ---- the certificate and key files (certfiles.c) ---- */

enum host_file_status {
    HOST_FILE_OK,         /* read; certs and keys describe what it holds (maybe nothing) */
    HOST_FILE_MISSING,    /* named by a configuration, not there */
    HOST_FILE_UNREADABLE, /* exists, cannot be read (not root?): err says why */
    HOST_FILE_TOO_BIG,    /* over 4 MiB: not a certificate or key file */
};

/* One certificate of a file; the first of a chain file is the leaf. */
struct host_cert {
    struct tls_cert_info info; /* subject, issuer, dates, sha256, spki_sha256 */
    bool is_ca;                /* basicConstraints CA:TRUE */
};

enum host_key_status {
    HOST_KEY_OK,        /* type, bits and spki_sha256 are set */
    HOST_KEY_ENCRYPTED, /* protected by a passphrase: not decrypted, never prompted */
    HOST_KEY_UNPARSED,  /* a private key block libcrypto could not read */
};

/* One private key of a file: what identifies it, never the key itself. */
struct host_key {
    enum host_key_status status;
    char type[16]; /* "RSA", "EC", "ED25519" */
    int bits;
    uint8_t spki_sha256[32]; /* of the matching public key: compare with the certificate's */
};

struct host_tls_file {
    char *path;      /* machine path as named (configuration, or found in a walk) */
    char *real_path; /* after symbolic links, e.g. letsencrypt live/ -> archive/ */
    bool referenced; /* named by some host_tls_ref */
    enum host_file_status status;
    int err;     /* errno for MISSING and UNREADABLE */
    mode_t mode; /* of the real file: a world-readable key is a finding of its own */
    uid_t uid;
    gid_t gid;
    time_t mtime;      /* key age: older than the library fix means rotate */
    char mtime_s[32];  /* ISO 8601 UTC */
    bool is_directory; /* an unreadable directory of the walk (its files unseen) */
    struct host_cert *certs;
    size_t cert_count;
    struct host_key *keys;
    size_t key_count;
};

struct host_tls_files {
    struct host_tls_file *items;
    size_t count, cap;
    /* CA certificates of the system store (/etc/ssl/certs, /etc/pki/ca-trust, /etc/pki/tls/certs)
     * counted, not listed: they are public and hundreds. */
    size_t ca_store_certs;
    bool truncated; /* a walk bound was hit (10000 files, 16 levels) */
};

/* Reads every file refs names, then walks /etc/letsencrypt/live, /etc/letsencrypt,
 * /etc/ssl and /etc/pki under root; one entry per real file (the first name wins, so
 * configured and live/ names are kept over archive/ ones). Walked files holding neither
 * certificate nor key are left out; unreadable ones are kept. refs may be NULL.
 * Only HC_ERR_NOMEM fails. */
HC_MUST_CHECK hc_result host_certfiles_scan(const char *root, const struct host_tls_refs *refs,
                                            struct host_tls_files *out);

/* Describes one file: machine path `path` read under root. For tests and the fuzzer;
 * HC_ERR_NOMEM only. out is freed with host_tls_file_free. */
HC_MUST_CHECK hc_result host_certfile_read(const char *root, const char *path,
                                           struct host_tls_file *out);

/* Describes certificates and keys in memory (PEM, several blocks, or one DER certificate or
 * key); appends to out->certs / out->keys. The buffer is not kept or changed. */
HC_MUST_CHECK hc_result host_certfile_parse(const uint8_t *data, size_t len,
                                            struct host_tls_file *out);

/* The entry whose path or real_path is `path` (a machine path); NULL when none. */
const struct host_tls_file *host_tls_files_find(const struct host_tls_files *files,
                                                const char *path);

enum host_key_match {
    HOST_MATCH_UNKNOWN, /* the certificate or key could not be read (or is encrypted) */
    HOST_MATCH_YES,     /* the key's public half is the leaf certificate's */
    HOST_MATCH_NO,      /* it is not: the server would refuse to start, or a stale file */
};

/* Whether ref's key belongs to ref's leaf certificate (both files looked up in files). */
enum host_key_match host_tls_ref_match(const struct host_tls_files *files,
                                       const struct host_tls_ref *ref);

void host_tls_file_free(struct host_tls_file *f);
void host_tls_files_free(struct host_tls_files *files);

#endif
