/* libFuzzer target: the first byte picks a server configuration parser (nginx, Apache, Postfix,
 * Dovecot, MariaDB) or the certificate/key file parser; the rest is the file's text. Includes
 * resolve under a root that does not exist, so every input reads only itself. */
#include "host/certs.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refs(const struct host_tls_refs *r)
{
    for (size_t i = 0; i < r->count; i++) {
        const struct host_tls_ref *ref = &r->items[i];
        /* A record always names something, and every path it names is absolute. */
        if (!ref->service || !ref->config || (!ref->cert && !ref->key) ||
            (ref->cert && ref->cert[0] != '/') || (ref->key && ref->key[0] != '/'))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % (HOST_TLS_SERVICE_COUNT + 1);
    const char *text = (const char *)data + 1;
    if (which == HOST_TLS_SERVICE_COUNT) {
        struct host_tls_file f;
        memset(&f, 0, sizeof f);
        if (!hc_ok(host_certfile_parse(data + 1, size - 1, &f)))
            abort(); /* only out of memory may fail */
        host_tls_file_free(&f);
        ERR_clear_error();
        return 0;
    }
    struct host_tls_refs refs = {0};
    if (!hc_ok(host_tlsconf_parse_text((enum host_tls_service)which, "/nonexistent-hc-fuzz-root",
                                       "/etc/fuzz/fuzz.conf", text, size - 1, &refs)))
        abort();
    check_refs(&refs);
    host_tls_refs_free(&refs);
    return 0;
}
