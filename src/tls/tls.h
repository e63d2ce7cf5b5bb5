/* tls: TLS 1.0-1.2 and SSLv3 records, handshake messages, alerts and heartbeats (RFC 5246,
 * RFC 6101, RFC 6520) as pure functions over wire readers and writers. No I/O, no clock.
 *
 * Builders write whole records. Parsers take the body of one record or one handshake
 * message and either fill their output or return a specific error. */
#ifndef HC_TLS_H
#define HC_TLS_H

#include "base/base.h"
#include "wire/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TLS_VERSION_SSL3 = 0x0300,
    TLS_VERSION_TLS10 = 0x0301,
    TLS_VERSION_TLS11 = 0x0302,
    TLS_VERSION_TLS12 = 0x0303,
};

enum tls_content_type {
    TLS_CT_CHANGE_CIPHER_SPEC = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APPLICATION_DATA = 23,
    TLS_CT_HEARTBEAT = 24, /* RFC 6520 section 3 */
};

enum tls_handshake_type {
    TLS_HS_HELLO_REQUEST = 0,
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_HS_CERTIFICATE = 11,
    TLS_HS_SERVER_KEY_EXCHANGE = 12,
    TLS_HS_CERTIFICATE_REQUEST = 13,
    TLS_HS_SERVER_HELLO_DONE = 14,
    TLS_HS_CERTIFICATE_STATUS = 22,
};

enum tls_extension_type {
    TLS_EXT_SERVER_NAME = 0,
    TLS_EXT_SUPPORTED_GROUPS = 10,
    TLS_EXT_EC_POINT_FORMATS = 11,
    TLS_EXT_SIGNATURE_ALGORITHMS = 13,
    TLS_EXT_HEARTBEAT = 15,
    TLS_EXT_PADDING = 21, /* RFC 7685 */
    TLS_EXT_SESSION_TICKET = 35,
    TLS_EXT_SUPPORTED_VERSIONS = 43, /* RFC 8446 section 4.2.1 */
    TLS_EXT_RENEGOTIATION_INFO = 0xff01,
};

enum tls_alert_level { TLS_ALERT_WARNING = 1, TLS_ALERT_FATAL = 2 };
enum tls_alert_description {
    TLS_ALERT_CLOSE_NOTIFY = 0,
    TLS_ALERT_UNEXPECTED_MESSAGE = 10,
    TLS_ALERT_HANDSHAKE_FAILURE = 40,
    TLS_ALERT_ILLEGAL_PARAMETER = 47,
    TLS_ALERT_DECODE_ERROR = 50,
    TLS_ALERT_PROTOCOL_VERSION = 70,
    TLS_ALERT_INTERNAL_ERROR = 80,
    TLS_ALERT_UNRECOGNIZED_NAME = 112,
};

enum tls_heartbeat_type { TLS_HEARTBEAT_REQUEST = 1, TLS_HEARTBEAT_RESPONSE = 2 };
enum tls_heartbeat_mode { TLS_HEARTBEAT_PEER_ALLOWED = 1, TLS_HEARTBEAT_PEER_NOT_ALLOWED = 2 };

enum {
    TLS_RECORD_HEADER_LEN = 5,
    TLS_MAX_PLAINTEXT = 16384,          /* 2^14, RFC 5246 section 6.2.1 */
    TLS_MAX_RECORD_BODY = 16384 + 2048, /* TLSCiphertext limit, section 6.2.3 */
    TLS_HANDSHAKE_HEADER_LEN = 4,
    TLS_HEARTBEAT_HEADER_LEN = 3,   /* type + payload_length */
    TLS_HEARTBEAT_MIN_PADDING = 16, /* RFC 6520 section 4 */
    TLS_RANDOM_LEN = 32,
    TLS_MAX_SESSION_ID = 32,
    TLS_MAX_EXTENSIONS = 32,
    TLS_MAX_CLIENT_CIPHERS = 128,
    TLS_MAX_CLIENT_GROUPS = 64,
    TLS_MAX_CLIENT_POINT_FORMATS = 8,
    TLS_MAX_CLIENT_VERSIONS = 16,
};

/* The cipher suite value a client sends for secure renegotiation without the extension
 * (RFC 5746 section 3.3). */
enum { TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff };

/* ---- records (record.c) ---- */

struct tls_record_header {
    uint8_t type;
    uint16_t version;
    uint16_t length;
};

/* Parses the 5-byte header. HC_ERR_SHORT when fewer than 5 bytes are there;
 * HC_ERR_NOT_TLS for an unknown content type or a major version other than 3;
 * HC_ERR_RECORD_TOO_LONG above TLS_MAX_RECORD_BODY. */
HC_MUST_CHECK hc_result tls_record_header_parse(struct wire_reader *r,
                                                struct tls_record_header *out);

/* Takes one whole record off the front of a byte stream: header checked, body as a reader.
 * HC_ERR_SHORT (and nothing consumed) while the record is incomplete. */
HC_MUST_CHECK hc_result tls_record_next(struct wire_reader *stream, struct tls_record_header *hdr,
                                        struct wire_reader *body);

/* Opens a record: write the body, then wire_close(w, mark). */
struct wire_mark tls_record_open(struct wire_writer *w, uint8_t type, uint16_t version);
/* Opens a handshake message (type + 24-bit length) inside an open record. */
struct wire_mark tls_handshake_open(struct wire_writer *w, uint8_t type);

/* ---- handshake reassembly (handshake.c) ----
 * Handshake messages may span records and one record may hold several (RFC 5246 6.2.1). */

struct tls_handshake_buffer {
    uint8_t *data;
    size_t start;       /* first byte not yet taken by tls_handshake_next */
    size_t len;         /* bytes held, taken ones included */
    size_t cap;         /* allocated */
    size_t max_message; /* largest message body accepted */
};

struct tls_handshake_message {
    uint8_t type;
    const uint8_t *body; /* valid until the next append or free */
    size_t len;
};

void tls_handshake_buffer_init(struct tls_handshake_buffer *b, size_t max_message);
void tls_handshake_buffer_free(struct tls_handshake_buffer *b);
/* Adds the body of a handshake record. HC_ERR_MESSAGE_TOO_LONG as soon as the header of the
 * first message not yet taken declares more than max_message (later messages are checked by
 * tls_handshake_next); HC_ERR_NOMEM. */
HC_MUST_CHECK hc_result tls_handshake_append(struct tls_handshake_buffer *b, const uint8_t *p,
                                             size_t n);
/* Takes the next complete message; HC_ERR_SHORT when none is complete yet. Bodies of taken
 * messages stay valid until the next append. */
HC_MUST_CHECK hc_result tls_handshake_next(struct tls_handshake_buffer *b,
                                           struct tls_handshake_message *out);

/* ---- ClientHello (client_hello.c) ---- */

struct tls_client_hello_params {
    uint16_t version;        /* client_version */
    uint16_t record_version; /* version in the record header */
    const char *server_name; /* SNI host name, or NULL */
    bool with_extensions;    /* false: a bare SSLv3-style hello */
    uint8_t random[TLS_RANDOM_LEN];
};

/* Writes one handshake record with a ClientHello offering every suite in tls_cipher_suites
 * plus TLS_EMPTY_RENEGOTIATION_INFO_SCSV, and (with_extensions) SNI, heartbeat
 * (peer_allowed_to_send), supported groups, EC point formats and signature algorithms.
 * The record body never has a length in 251..511: some load balancers hang on ClientHellos
 * of 256-511 bytes, so such hellos get an RFC 7685 padding extension up to 512. */
HC_MUST_CHECK hc_result tls_client_hello_write(struct wire_writer *w,
                                               const struct tls_client_hello_params *p);

struct tls_client_hello {
    uint16_t version;
    uint8_t random[TLS_RANDOM_LEN];
    uint8_t session_id_len;
    uint8_t session_id[TLS_MAX_SESSION_ID];
    size_t cipher_count; /* suites beyond TLS_MAX_CLIENT_CIPHERS are counted, not kept */
    uint16_t ciphers[TLS_MAX_CLIENT_CIPHERS];
    bool null_compression;
    size_t extension_count;
    uint16_t extensions[TLS_MAX_EXTENSIONS];
    bool heartbeat;
    uint8_t heartbeat_mode;
    char server_name[256]; /* "" when absent */
    /* Kept for fingerprints (JA3) and evidence; entries beyond the arrays are dropped. */
    size_t group_count;
    uint16_t groups[TLS_MAX_CLIENT_GROUPS]; /* supported_groups (RFC 8422 section 5.1.1) */
    size_t point_format_count;
    uint8_t point_formats[TLS_MAX_CLIENT_POINT_FORMATS];
    size_t version_count; /* supported_versions (RFC 8446 section 4.2.1); 0 when absent */
    uint16_t versions[TLS_MAX_CLIENT_VERSIONS];
    bool renegotiation_info; /* the extension or TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
};

/* Parses a ClientHello body (after the 4-byte handshake header). */
HC_MUST_CHECK hc_result tls_client_hello_parse(const uint8_t *body, size_t len,
                                               struct tls_client_hello *out);

/* ---- ServerHello (server_hello.c) ---- */

struct tls_server_hello {
    uint16_t version;
    uint8_t random[TLS_RANDOM_LEN];
    uint8_t session_id_len;
    uint8_t session_id[TLS_MAX_SESSION_ID];
    uint16_t cipher_suite;
    uint8_t compression;
    size_t extension_count;
    uint16_t extensions[TLS_MAX_EXTENSIONS];
    bool heartbeat;         /* heartbeat extension present */
    uint8_t heartbeat_mode; /* its mode when present */
};

/* HC_ERR_BAD_VERSION (not 3.0-3.3), HC_ERR_BAD_SESSION_ID, HC_ERR_BAD_COMPRESSION (not null),
 * HC_ERR_DUPLICATE_EXTENSION, HC_ERR_BAD_EXTENSION, HC_ERR_SHORT, HC_ERR_TRAILING. */
HC_MUST_CHECK hc_result tls_server_hello_parse(const uint8_t *body, size_t len,
                                               struct tls_server_hello *out);

struct tls_server_hello_params {
    uint16_t version;
    uint16_t cipher_suite;
    uint8_t random[TLS_RANDOM_LEN];
    uint8_t session_id_len;
    uint8_t session_id[TLS_MAX_SESSION_ID];
    bool heartbeat; /* add the heartbeat extension (mode peer_allowed_to_send) */
    /* Add an empty renegotiation_info extension (RFC 5746 section 3.6): OpenSSL 3 clients
     * refuse a server that does not show secure renegotiation. Only when the client asked. */
    bool renegotiation_info;
};

/* Writes the ServerHello handshake message (header included) into an open record. */
void tls_server_hello_write(struct wire_writer *w, const struct tls_server_hello_params *p);
/* Writes the empty ServerHelloDone handshake message into an open record. */
void tls_server_hello_done_write(struct wire_writer *w);

/* ---- Certificate (certificate.c) ---- */

struct tls_certificate_chain {
    size_t count;
    const uint8_t *leaf; /* DER of the first certificate, inside the parsed body */
    size_t leaf_len;
};

/* HC_ERR_EMPTY_CHAIN, HC_ERR_BAD_CERTIFICATE (an empty entry), HC_ERR_SHORT, HC_ERR_TRAILING. */
HC_MUST_CHECK hc_result tls_certificate_parse(const uint8_t *body, size_t len,
                                              struct tls_certificate_chain *out);
/* Writes a Certificate handshake message holding one DER certificate. */
void tls_certificate_write(struct wire_writer *w, const uint8_t *der, size_t der_len);

/* ServerHelloDone has an empty body: HC_ERR_TRAILING otherwise. */
HC_MUST_CHECK hc_result tls_server_hello_done_parse(const uint8_t *body, size_t len);

/* ---- alerts (alert.c) ---- */

struct tls_alert {
    uint8_t level;
    uint8_t description;
};

/* Reads one alert (two bytes). HC_ERR_BAD_ALERT for a level other than warning/fatal. */
HC_MUST_CHECK hc_result tls_alert_parse(struct wire_reader *r, struct tls_alert *out);
void tls_alert_write(struct wire_writer *w, uint16_t version, uint8_t level, uint8_t description);

/* ---- heartbeats (heartbeat.c) ---- */

struct tls_heartbeat_header {
    uint8_t type;
    uint16_t payload_length; /* as claimed by the sender */
};

/* Reads type and payload_length. HC_ERR_BAD_HEARTBEAT for a type other than 1 or 2. */
HC_MUST_CHECK hc_result tls_heartbeat_header_parse(struct wire_reader *r,
                                                   struct tls_heartbeat_header *out);

struct tls_heartbeat_params {
    uint16_t record_version;
    uint8_t type;
    uint16_t claimed_length; /* payload_length field; may exceed payload_len (an over-read) */
    const uint8_t *payload;  /* payload_len bytes */
    size_t payload_len;
    size_t padding_len; /* padding bytes after the payload (RFC 6520 wants >= 16) */
    uint8_t padding_byte;
};

/* Writes one heartbeat record. HC_ERR_LENGTH_TOO_BIG when the message exceeds one record. */
HC_MUST_CHECK hc_result tls_heartbeat_write(struct wire_writer *w,
                                            const struct tls_heartbeat_params *p);

/* ---- names (names.c) ---- */

struct tls_cipher_suite {
    uint16_t id;
    const char *name; /* IANA name */
    bool tls12_only;  /* AEAD and SHA-256/384 MAC suites */
    bool rsa_kx;      /* plain RSA key exchange: no ServerKeyExchange */
};

extern const struct tls_cipher_suite tls_cipher_suites[];
extern const size_t tls_cipher_suite_count;

const struct tls_cipher_suite *tls_cipher_suite_find(uint16_t id); /* NULL when unknown */
/* "TLSv1.2", "SSLv3", "DTLSv1.2", NULL when unknown */
const char *tls_version_name(uint16_t version);
/* "ssl3", "tls1.0" (or "tls1"), "tls1.1", "tls1.2" -> the version; false when unknown. */
bool tls_version_parse(const char *name, uint16_t *out);
const char *tls_alert_name(uint8_t description); /* "unexpected_message", NULL when unknown */

/* ---- JA3 client fingerprints (ja3.c) ---- */

enum { TLS_JA3_MAX = 2048, TLS_JA3_HASH_HEX = 33 };

/* The JA3 string of a ClientHello, "771,49195-49199,0-10-11,29-23,0": client_version,
 * ciphers, extensions, groups, point formats, each list dash-joined in the client's order,
 * GREASE values (RFC 8701) left out; and the MD5 of that string in lower-case hex, as JA3
 * defines it (via libcrypto EVP). Lists longer than the parser keeps are cut there.
 * HC_ERR_NO_SPACE when the string does not fit in cap; HC_ERR_NOMEM when MD5 fails. */
HC_MUST_CHECK hc_result tls_ja3(const struct tls_client_hello *ch, char *str, size_t cap,
                                char hash[TLS_JA3_HASH_HEX]);

/* ---- certificate details, parsed by libcrypto (cert_info.c) ---- */

enum { TLS_SERIAL_HEX_MAX = 128 }; /* 64 octets: three times what RFC 5280 allows */

struct tls_cert_info {
    char subject[512]; /* RFC 2253 */
    char issuer[512];
    char not_before[32]; /* ISO 8601 UTC, "2026-11-21T12:35:37Z" */
    char not_after[32];
    char key_type[16]; /* "RSA", "EC", ... */
    int key_bits;
    uint8_t sha256[32];      /* of the DER certificate */
    uint8_t spki_sha256[32]; /* of the DER SubjectPublicKeyInfo: same key, same value */
    /* serialNumber (RFC 5280 section 4.1.2.2) as lower-case hex of its content octets, "-"
     * first when negative; with the issuer it names the certificate in a CRL. "" when longer
     * than TLS_SERIAL_HEX_MAX digits (RFC 5280 allows 20 octets). */
    char serial[TLS_SERIAL_HEX_MAX + 2];
};

/* HC_ERR_BAD_CERTIFICATE when libcrypto rejects the DER or bytes follow it. */
HC_MUST_CHECK hc_result tls_cert_info_from_der(const uint8_t *der, size_t len,
                                               struct tls_cert_info *out);

struct asn1_string_st;
struct X509_name_st;
/* A serial number (an ASN1_INTEGER) in the form of tls_cert_info.serial. */
void tls_serial_hex(const struct asn1_string_st *serial, char *out, size_t cap);
/* A distinguished name (an X509_NAME) in the form of tls_cert_info.subject and .issuer, so
 * that names from other objects (a CRL's issuer) compare equal as strings. */
void tls_name_string(const struct X509_name_st *name, char *out, size_t cap);

/* Decoding a certificate with OpenSSL 3 costs far more than the rest of a probe (its public
 * key goes through the provider decoders), and a mass scan meets the same certificate on many
 * addresses. This cache remembers the last certificates by the SHA-256 of their DER: a repeat
 * is not decoded again. Direct-mapped, fixed size, single-threaded. */
struct tls_cert_cache;

struct tls_cert_cache *tls_cert_cache_new(void); /* NULL when out of memory */
void tls_cert_cache_free(struct tls_cert_cache *c);
/* tls_cert_info_from_der through the cache (cache may be NULL: no caching). */
HC_MUST_CHECK hc_result tls_cert_info_cached(struct tls_cert_cache *cache, const uint8_t *der,
                                             size_t len, struct tls_cert_info *out);

/* ==== DTLS 1.0 and 1.2 (dtls.c): RFC 4347, RFC 6347 ====
 * The same messages as TLS in a datagram record layer: every record carries an epoch and an
 * explicit 48-bit sequence number, handshake messages carry message_seq and may arrive in
 * fragments, in any order, more than once, or not at all. Versions count down (one's
 * complement of the TLS-like version): DTLS 1.2 is 0xfefd, DTLS 1.0 0xfeff. */

enum {
    DTLS_VERSION_10 = 0xfeff,
    DTLS_VERSION_12 = 0xfefd,
    DTLS_RECORD_HEADER_LEN = 13,    /* type, version, epoch, sequence_number(48), length */
    DTLS_HANDSHAKE_HEADER_LEN = 12, /* + message_seq, fragment_offset, fragment_length */
    DTLS_MAX_COOKIE = 255,          /* RFC 6347 4.2.1: opaque cookie<0..2^8-1> */
    TLS_HS_HELLO_VERIFY_REQUEST = 3,
};

bool dtls_version_known(uint16_t version); /* DTLS 1.0 or 1.2 */

struct dtls_record_header {
    uint8_t type;
    uint16_t version;
    uint16_t epoch;
    uint64_t sequence; /* 48 bits */
    uint16_t length;
};

/* Takes the next record off a datagram, which may hold several (RFC 6347 4.1): header
 * checked, body as a reader. HC_ERR_NOT_TLS for an unknown content type or a major version
 * other than 0xfe; HC_ERR_RECORD_TOO_LONG above TLS_MAX_RECORD_BODY; HC_ERR_SHORT when the
 * datagram ends inside the record (nothing consumed). */
HC_MUST_CHECK hc_result dtls_record_next(struct wire_reader *datagram,
                                         struct dtls_record_header *hdr, struct wire_reader *body);

/* Opens a record: write the body, then wire_close(w, mark). */
struct wire_mark dtls_record_open(struct wire_writer *w, uint8_t type, uint16_t version,
                                  uint16_t epoch, uint64_t sequence);

/* One handshake fragment (RFC 6347 4.2.2): bytes [fragment_offset, +fragment_length) of a
 * message of length bytes. */
struct dtls_fragment {
    uint8_t type;
    uint32_t length;
    uint16_t message_seq;
    uint32_t offset;
    const uint8_t *data; /* fragment_length bytes, inside the parsed record */
    uint32_t data_len;
};

/* Takes the next fragment off a handshake record's body (a record may hold several).
 * HC_ERR_BAD_FRAGMENT when the fragment reaches past the message's length. */
HC_MUST_CHECK hc_result dtls_fragment_next(struct wire_reader *record_body,
                                           struct dtls_fragment *out);

/* Writes one fragment (header and bytes) into an open handshake record. An unfragmented
 * message is the fragment at offset 0 that holds all of it. */
void dtls_fragment_write(struct wire_writer *w, const struct dtls_fragment *f);

struct dtls_hello_verify {
    uint16_t server_version;
    uint8_t cookie_len;
    uint8_t cookie[DTLS_MAX_COOKIE];
};

/* Parses a HelloVerifyRequest body (RFC 6347 4.2.1). HC_ERR_BAD_VERSION when the version is
 * not a DTLS one. */
HC_MUST_CHECK hc_result dtls_hello_verify_parse(const uint8_t *body, size_t len,
                                                struct dtls_hello_verify *out);
/* Writes a HelloVerifyRequest fragment (whole message) into an open handshake record. */
void dtls_hello_verify_write(struct wire_writer *w, uint16_t message_seq,
                             const struct dtls_hello_verify *hv);

struct dtls_client_hello_params {
    struct tls_client_hello_params hello; /* version is a DTLS one; record_version too */
    uint16_t epoch;
    uint64_t sequence;
    uint16_t message_seq;
    const uint8_t *cookie; /* from the HelloVerifyRequest; NULL with cookie_len 0 at first */
    size_t cookie_len;
};

/* Writes one record holding a whole ClientHello: tls_client_hello_write's suites and
 * extensions (heartbeat included) without RC4, which DTLS forbids (RFC 6347 4.1.2.2), and
 * with the cookie after the session id (RFC 6347 4.2.1). No F5 padding: that hang is a TCP
 * load balancer's. */
HC_MUST_CHECK hc_result dtls_client_hello_write(struct wire_writer *w,
                                                const struct dtls_client_hello_params *p);

/* Parses a DTLS ClientHello body (after the 12-byte handshake header): the cookie into
 * cookie/cookie_len (DTLS_MAX_COOKIE bytes), the rest as tls_client_hello_parse does. */
HC_MUST_CHECK hc_result dtls_client_hello_parse(const uint8_t *body, size_t len,
                                                struct tls_client_hello *out, uint8_t *cookie,
                                                size_t *cookie_len);

/* A ServerHello body as tls_server_hello_parse reads it, the version being a DTLS one. */
HC_MUST_CHECK hc_result dtls_server_hello_parse(const uint8_t *body, size_t len,
                                                struct tls_server_hello *out);

/* Writes one heartbeat record (epoch and sequence given; p->record_version a DTLS one).
 * HC_ERR_LENGTH_TOO_BIG when the message exceeds one record. */
HC_MUST_CHECK hc_result dtls_heartbeat_write(struct wire_writer *w,
                                             const struct tls_heartbeat_params *p, uint16_t epoch,
                                             uint64_t sequence);

/* Reassembly of the handshake messages of a flight: fragments arrive in any order, overlap,
 * repeat (retransmissions) or belong to messages before or after the one expected next
 * (RFC 6347 4.2.2). Messages come out whole and in message_seq order. Memory is bounded: a
 * window of DTLS_REASSEMBLY_WINDOW messages from the next expected one, each at most
 * max_message bytes; fragments outside the window are dropped (the peer retransmits). */
enum { DTLS_REASSEMBLY_WINDOW = 8 };

struct dtls_reassembly {
    uint16_t next_seq; /* message_seq of the next message to hand out */
    size_t max_message;
    struct dtls_partial {
        bool used;
        uint8_t type;
        uint32_t length;
        uint32_t have; /* bytes received so far */
        uint8_t *data;
        uint8_t *seen; /* one bit per byte of data */
    } slot[DTLS_REASSEMBLY_WINDOW];
    uint8_t *given; /* the body last handed out: kept until the next call */
};

void dtls_reassembly_init(struct dtls_reassembly *r, size_t max_message, uint16_t next_seq);
void dtls_reassembly_free(struct dtls_reassembly *r);
/* Adds a fragment. HC_ERR_BAD_FRAGMENT when it disagrees with earlier fragments of its
 * message on the type or the length; HC_ERR_MESSAGE_TOO_LONG; HC_ERR_NOMEM. */
HC_MUST_CHECK hc_result dtls_reassembly_add(struct dtls_reassembly *r,
                                            const struct dtls_fragment *f);
/* The next message when it is complete (its body valid until the next call on r);
 * HC_ERR_SHORT otherwise. */
HC_MUST_CHECK hc_result dtls_reassembly_next(struct dtls_reassembly *r,
                                             struct tls_handshake_message *out);
/* ---- record overhead per suite (overhead.c) ----
 * What encryption adds to a record, so that a record's length bounds its plaintext
 * (RFC 5246 section 6.2.3; RFC 6101 section 5.2.3 for SSLv3; RFC 5288, 6655, 7905). */

enum tls_cipher_kind { TLS_CIPHER_STREAM, TLS_CIPHER_BLOCK, TLS_CIPHER_AEAD };

struct tls_record_overhead {
    enum tls_cipher_kind kind;
    uint8_t mac_len;     /* stream and block: HMAC output */
    uint8_t block_len;   /* block: cipher block, also the explicit IV from TLS 1.1 on */
    uint8_t explicit_iv; /* bytes before the ciphertext: block IV (TLS >= 1.1), AEAD nonce */
    uint8_t tag_len;     /* AEAD */
    uint16_t max_padding;
};

/* false when the suite is unknown to heartcheck. */
bool tls_record_overhead(uint16_t suite, uint16_t version, struct tls_record_overhead *out);
/* The plaintext sizes a record body of record_len bytes can carry: [*lo, *hi]. o NULL: the
 * suite is unknown, and the widest overhead of any suite is assumed. */
void tls_plaintext_range(const struct tls_record_overhead *o, uint32_t record_len, uint32_t *lo,
                         uint32_t *hi);

#endif
