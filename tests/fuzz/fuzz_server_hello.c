/* libFuzzer target: the input as a ServerHello body. A hello the builder could have written
 * (no extensions, or heartbeat mode 1 alone) must come out of it byte for byte. */
#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rebuild(const uint8_t *data, size_t size, const struct tls_server_hello *sh)
{
    bool hb_only = sh->extension_count == 1 && sh->heartbeat &&
                   sh->heartbeat_mode == TLS_HEARTBEAT_PEER_ALLOWED;
    /* An empty extension block is also "no extensions" but not what the builder writes. */
    bool none = sh->extension_count == 0 && size == 2 + 32 + 1 + sh->session_id_len + 3;
    if (!hb_only && !none)
        return;
    struct tls_server_hello_params p = {
        .version = sh->version,
        .cipher_suite = sh->cipher_suite,
        .session_id_len = sh->session_id_len,
        .heartbeat = sh->heartbeat,
    };
    memcpy(p.random, sh->random, TLS_RANDOM_LEN);
    memcpy(p.session_id, sh->session_id, sh->session_id_len);
    uint8_t buf[128];
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    tls_server_hello_write(&w, &p);
    if (!hc_ok(wire_writer_result(&w)) || w.len != size + 4 || memcmp(buf + 4, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_server_hello sh;
    if (!hc_ok(tls_server_hello_parse(data, size, &sh)))
        return 0;
    if (sh.session_id_len > TLS_MAX_SESSION_ID || sh.extension_count > TLS_MAX_EXTENSIONS ||
        sh.compression != 0 || sh.version < TLS_VERSION_SSL3 || sh.version > TLS_VERSION_TLS12)
        abort();
    check_rebuild(data, size, &sh);
    return 0;
}
