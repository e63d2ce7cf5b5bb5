/* libFuzzer target: the input as a ClientHello body (and its JA3); then the builder, with the
 * input's first bytes as the server name, must produce a hello that parses back. */
#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parsed(const struct tls_client_hello *ch)
{
    if (ch->session_id_len > TLS_MAX_SESSION_ID || ch->extension_count > TLS_MAX_EXTENSIONS ||
        ch->cipher_count == 0 || !ch->null_compression ||
        strnlen(ch->server_name, sizeof ch->server_name) >= sizeof ch->server_name ||
        ch->group_count > TLS_MAX_CLIENT_GROUPS ||
        ch->point_format_count > TLS_MAX_CLIENT_POINT_FORMATS ||
        ch->version_count > TLS_MAX_CLIENT_VERSIONS)
        abort();
    /* Every parsed hello has a JA3 fingerprint that fits the documented maximum. */
    char ja3[TLS_JA3_MAX], hash[TLS_JA3_HASH_HEX];
    if (!hc_ok(tls_ja3(ch, ja3, sizeof ja3, hash)) || strlen(hash) != 32)
        abort();
}

/* Round trip and the 251..511 rule for a hello built with this server name. */
static void check_builder(const uint8_t *data, size_t size)
{
    char name[256];
    size_t n = size < 255 ? size : 255;
    memcpy(name, data, n);
    name[n] = '\0';
    struct tls_client_hello_params p = {
        .version = TLS_VERSION_TLS12,
        .record_version = TLS_VERSION_TLS10,
        .server_name = name,
        .with_extensions = !(size > 0 && data[0] == 0xff),
    };
    static uint8_t buf[2048];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    if (!hc_ok(tls_client_hello_write(&w, &p)))
        abort();
    size_t record = ((size_t)buf[3] << 8) | buf[4];
    if (record + 5 != w.len || (record >= 251 && record <= 511))
        abort();
    struct tls_client_hello ch;
    if (!hc_ok(tls_client_hello_parse(buf + 9, w.len - 9, &ch)))
        abort();
    if (ch.cipher_count != tls_cipher_suite_count + 1 || ch.heartbeat != p.with_extensions)
        abort();
    if (p.with_extensions && strcmp(ch.server_name, name) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_client_hello ch;
    if (hc_ok(tls_client_hello_parse(data, size, &ch)))
        check_parsed(&ch);
    check_builder(data, size);
    return 0;
}
