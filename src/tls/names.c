#include "tls/tls.h"

#include <stddef.h>
#include <string.h>

#define T12      true /* TLS 1.2 only */
#define ANY      false
#define RSA_KX   true
#define OTHER_KX false

/* What we offer, in order: forward-secret AEAD first, then CBC, then the legacy RC4, 3DES,
 * CAMELLIA, SEED, IDEA and DES suites that 2014-era servers may be limited to. */
const struct tls_cipher_suite tls_cipher_suites[] = {
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", T12, OTHER_KX},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", T12, OTHER_KX},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", T12, OTHER_KX},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", T12, OTHER_KX},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", T12, OTHER_KX},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", T12, OTHER_KX},
    {0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", T12, OTHER_KX},
    {0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", T12, OTHER_KX},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", T12, OTHER_KX},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", T12, OTHER_KX},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", T12, OTHER_KX},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", T12, OTHER_KX},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", T12, OTHER_KX},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", T12, OTHER_KX},
    {0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", T12, OTHER_KX},
    {0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", T12, OTHER_KX},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", ANY, OTHER_KX},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", ANY, OTHER_KX},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", ANY, OTHER_KX},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", ANY, OTHER_KX},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", ANY, OTHER_KX},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", ANY, OTHER_KX},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", ANY, OTHER_KX},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", ANY, OTHER_KX},
    {0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", ANY, OTHER_KX},
    {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", ANY, OTHER_KX},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", T12, RSA_KX},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", T12, RSA_KX},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", T12, RSA_KX},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", T12, RSA_KX},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", ANY, RSA_KX},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", ANY, RSA_KX},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", ANY, RSA_KX},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", ANY, RSA_KX},
    {0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", ANY, RSA_KX},
    {0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", ANY, RSA_KX},
    {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", ANY, OTHER_KX},
    {0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", ANY, OTHER_KX},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", ANY, OTHER_KX},
    {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", ANY, OTHER_KX},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", ANY, RSA_KX},
    {0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", ANY, OTHER_KX},
    {0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", ANY, OTHER_KX},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA", ANY, RSA_KX},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5", ANY, RSA_KX},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", ANY, OTHER_KX},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA", ANY, RSA_KX},
};
const size_t tls_cipher_suite_count = HC_ARRAY_LEN(tls_cipher_suites);

const struct tls_cipher_suite *tls_cipher_suite_find(uint16_t id)
{
    for (size_t i = 0; i < tls_cipher_suite_count; i++)
        if (tls_cipher_suites[i].id == id)
            return &tls_cipher_suites[i];
    return NULL;
}

const char *tls_version_name(uint16_t version)
{
    switch (version) {
    case TLS_VERSION_SSL3: return "SSLv3";
    case TLS_VERSION_TLS10: return "TLSv1.0";
    case TLS_VERSION_TLS11: return "TLSv1.1";
    case TLS_VERSION_TLS12: return "TLSv1.2";
    case DTLS_VERSION_10: return "DTLSv1.0";
    case DTLS_VERSION_12: return "DTLSv1.2";
    default: return NULL;
    }
}

bool tls_version_parse(const char *name, uint16_t *out)
{
    static const struct {
        const char *name;
        uint16_t version;
    } names[] = {{"ssl3", TLS_VERSION_SSL3},
                 {"tls1.0", TLS_VERSION_TLS10},
                 {"tls1", TLS_VERSION_TLS10},
                 {"tls1.1", TLS_VERSION_TLS11},
                 {"tls1.2", TLS_VERSION_TLS12}};
    for (size_t i = 0; i < HC_ARRAY_LEN(names); i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].version;
            return true;
        }
    return false;
}

/* RFC 5246 section 7.2 and later registrations (IANA TLS Alerts registry). */
const char *tls_alert_name(uint8_t description)
{
    switch (description) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return NULL;
    }
}
