/* libFuzzer target: the input as a TCP byte stream of TLS records. */
#include "tls/tls.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_reader stream = wire_reader_init(data, size);
    for (;;) {
        size_t before = stream.pos;
        struct tls_record_header hdr;
        struct wire_reader body;
        hc_result res = tls_record_next(&stream, &hdr, &body);
        if (!hc_ok(res)) {
            /* A failed take consumes nothing, so the caller can wait for more bytes. */
            if (stream.pos != before)
                abort();
            break;
        }
        if (hdr.length > TLS_MAX_RECORD_BODY || wire_remaining(&body) != hdr.length ||
            stream.pos != before + TLS_RECORD_HEADER_LEN + hdr.length)
            abort();
    }
    return 0;
}
