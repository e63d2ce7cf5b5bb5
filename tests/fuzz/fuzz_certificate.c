/* libFuzzer target: the input as a Certificate message body; the leaf goes to libcrypto. */
#include "tls/tls.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_certificate_chain chain;
    struct tls_cert_info info;
    if (hc_ok(tls_certificate_parse(data, size, &chain))) {
        if (chain.count == 0 || chain.leaf_len == 0 || chain.leaf < data ||
            chain.leaf + chain.leaf_len > data + size)
            abort();
        if (hc_ok(tls_cert_info_from_der(chain.leaf, chain.leaf_len, &info))) {
            /* Strings are terminated within their arrays. */
            if (!memchr(info.subject, 0, sizeof info.subject) ||
                !memchr(info.not_after, 0, sizeof info.not_after) ||
                !memchr(info.key_type, 0, sizeof info.key_type))
                abort();
        }
    }
    /* The input itself as DER, too: the certificate parser is libcrypto's. */
    (void)tls_cert_info_from_der(data, size, &info);
    ERR_clear_error(); /* no stale libcrypto errors carried into the next input */
    return 0;
}
