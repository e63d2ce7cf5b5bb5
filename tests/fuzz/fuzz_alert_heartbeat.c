/* libFuzzer target: the input as an alert record body and as a heartbeat message; then a
 * heartbeat built from it must stay within one record. */
#include "tls/tls.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_alerts(const uint8_t *data, size_t size)
{
    struct wire_reader r = wire_reader_init(data, size);
    struct tls_alert a;
    while (hc_ok(tls_alert_parse(&r, &a)))
        if (a.level != TLS_ALERT_WARNING && a.level != TLS_ALERT_FATAL)
            abort();
}

static void parse_heartbeat(const uint8_t *data, size_t size)
{
    struct wire_reader r = wire_reader_init(data, size);
    struct tls_heartbeat_header h;
    hc_result res = tls_heartbeat_header_parse(&r, &h);
    if (hc_ok(res) != (r.pos == TLS_HEARTBEAT_HEADER_LEN))
        abort();
}

/* The input's first two bytes choose the padding; the rest is the payload. */
static void build_heartbeat(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    static uint8_t buf[5 + TLS_MAX_PLAINTEXT];
    struct tls_heartbeat_params p = {
        .record_version = TLS_VERSION_TLS12,
        .type = TLS_HEARTBEAT_REQUEST,
        .claimed_length = (uint16_t)(size - 2),
        .payload = data + 2,
        .payload_len = size - 2,
        .padding_len = ((size_t)data[0] << 8) | data[1],
    };
    struct wire_writer w = wire_writer_init(buf, sizeof buf);
    hc_result res = tls_heartbeat_write(&w, &p);
    size_t message = TLS_HEARTBEAT_HEADER_LEN + p.payload_len + p.padding_len;
    if (hc_ok(res) != (message <= TLS_MAX_PLAINTEXT))
        abort();
    if (hc_ok(res) && w.len != 5 + message)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_alerts(data, size);
    parse_heartbeat(data, size);
    build_heartbeat(data, size);
    return 0;
}
