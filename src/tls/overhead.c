/* Record overhead per cipher suite, read off the suite's IANA name: the name says the bulk
 * cipher and the MAC, which fix the overhead (RFC 5246 appendix C). Suites heartcheck does not
 * offer but traffic may carry are listed here by name too. */
#include "tls/tls.h"

#include <string.h>

static const struct {
    uint16_t id;
    const char *name;
} extra_suites[] = {
    {0x0001, "TLS_RSA_WITH_NULL_MD5"},
    {0x0002, "TLS_RSA_WITH_NULL_SHA"},
    {0x003b, "TLS_RSA_WITH_NULL_SHA256"},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
    {0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
    {0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"},
    {0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"},
    {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
};

enum {
    AEAD_NONCE = 8, /* RFC 5288 section 3, RFC 6655 section 3: explicit nonce */
    AEAD_TAG = 16,
    CCM8_TAG = 8,
    TLS_MAX_PADDING = 256, /* padding plus its length byte, RFC 5246 section 6.2.3.2 */
    /* The widest overhead of any suite: explicit IV, SHA-384 MAC and the longest padding. */
    WORST_OVERHEAD = 16 + 48 + TLS_MAX_PADDING,
};

static const char *suite_name(uint16_t id)
{
    const struct tls_cipher_suite *s = tls_cipher_suite_find(id);
    if (s)
        return s->name;
    for (size_t i = 0; i < HC_ARRAY_LEN(extra_suites); i++)
        if (extra_suites[i].id == id)
            return extra_suites[i].name;
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static uint8_t mac_len(const char *name)
{
    if (ends_with(name, "_SHA384"))
        return 48;
    if (ends_with(name, "_SHA256"))
        return 32;
    if (ends_with(name, "_MD5"))
        return 16;
    return 20; /* _SHA */
}

bool tls_record_overhead(uint16_t suite, uint16_t version, struct tls_record_overhead *out)
{
    const char *name = suite_name(suite);
    if (!name)
        return false;
    memset(out, 0, sizeof *out);
    if (strstr(name, "_GCM_") || strstr(name, "_CCM")) {
        out->kind = TLS_CIPHER_AEAD;
        out->explicit_iv = AEAD_NONCE;
        out->tag_len = ends_with(name, "_CCM_8") ? CCM8_TAG : AEAD_TAG;
    } else if (strstr(name, "CHACHA20_POLY1305")) {
        out->kind = TLS_CIPHER_AEAD; /* RFC 7905: the nonce is implicit */
        out->tag_len = AEAD_TAG;
    } else if (strstr(name, "_RC4_") || strstr(name, "_WITH_NULL_")) {
        out->kind = TLS_CIPHER_STREAM;
        out->mac_len = mac_len(name);
    } else {
        out->kind = TLS_CIPHER_BLOCK;
        out->mac_len = mac_len(name);
        out->block_len = strstr(name, "DES_") || strstr(name, "_IDEA_") ? 8 : 16;
        /* RFC 4346 section 6.2.3.2: TLS 1.1 added an explicit IV to every record. */
        out->explicit_iv = version >= TLS_VERSION_TLS11 ? out->block_len : 0;
        /* SSLv3 pads to the block only (RFC 6101 section 5.2.3.2); TLS up to 256 bytes. */
        out->max_padding = version == TLS_VERSION_SSL3 ? out->block_len : TLS_MAX_PADDING;
    }
    return true;
}

static uint32_t minus(uint32_t a, uint32_t b) { return a > b ? a - b : 0; }

void tls_plaintext_range(const struct tls_record_overhead *o, uint32_t record_len, uint32_t *lo,
                         uint32_t *hi)
{
    if (!o) {
        *lo = minus(record_len, WORST_OVERHEAD);
        *hi = record_len;
        return;
    }
    switch (o->kind) {
    case TLS_CIPHER_STREAM: *lo = *hi = minus(record_len, o->mac_len); return;
    case TLS_CIPHER_AEAD: *lo = *hi = minus(record_len, o->explicit_iv + o->tag_len); return;
    case TLS_CIPHER_BLOCK:
        /* At least one byte of padding (the length byte itself). */
        *hi = minus(record_len, o->explicit_iv + o->mac_len + 1u);
        *lo = minus(record_len, o->explicit_iv + o->mac_len + o->max_padding);
        return;
    }
}
