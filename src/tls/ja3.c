#include "tls/tls.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>

/* RFC 8701 section 2: GREASE values are 0x0a0a, 0x1a1a ... 0xfafa. JA3 leaves them out so
 * that a client's fingerprint does not change with the values it draws. */
static bool grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

struct ja3_out {
    char *s;
    size_t cap, len;
    bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct ja3_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = true;
    else
        o->len += (size_t)n;
}

static void put_list(struct ja3_out *o, const uint16_t *v, size_t n, bool last)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (grease(v[i]))
            continue;
        put(o, "%s%u", first ? "" : "-", v[i]);
        first = false;
    }
    if (!last)
        put(o, ",");
}

hc_result tls_ja3(const struct tls_client_hello *ch, char *str, size_t cap,
                  char hash[TLS_JA3_HASH_HEX])
{
    HC_ENSURE(cap > 0, HC_ERR_NO_SPACE);
    struct ja3_out o = {.s = str, .cap = cap};
    uint16_t formats[TLS_MAX_CLIENT_POINT_FORMATS];
    for (size_t i = 0; i < ch->point_format_count; i++)
        formats[i] = ch->point_formats[i];
    size_t ciphers =
        ch->cipher_count < TLS_MAX_CLIENT_CIPHERS ? ch->cipher_count : TLS_MAX_CLIENT_CIPHERS;
    put(&o, "%u,", ch->version);
    put_list(&o, ch->ciphers, ciphers, false);
    put_list(&o, ch->extensions, ch->extension_count, false);
    put_list(&o, ch->groups, ch->group_count, false);
    put_list(&o, formats, ch->point_format_count, true);
    HC_ENSURE(!o.full, HC_ERR_NO_SPACE);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    HC_ENSURE(EVP_Digest(str, o.len, md, &md_len, EVP_md5(), NULL) == 1 && md_len == 16,
              HC_ERR_NOMEM);
    for (unsigned i = 0; i < md_len; i++)
        snprintf(hash + 2 * i, 3, "%02x", md[i]);
    return HC_SUCCESS;
}
