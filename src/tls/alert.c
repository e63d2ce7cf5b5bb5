#include "tls/tls.h"

hc_result tls_alert_parse(struct wire_reader *r, struct tls_alert *out)
{
    struct wire_reader a = *r;
    struct tls_alert alert;
    HC_TRY(wire_read_u8(&a, &alert.level));
    HC_TRY(wire_read_u8(&a, &alert.description));
    HC_ENSURE(alert.level == TLS_ALERT_WARNING || alert.level == TLS_ALERT_FATAL, HC_ERR_BAD_ALERT);
    *r = a;
    *out = alert;
    return HC_SUCCESS;
}

void tls_alert_write(struct wire_writer *w, uint16_t version, uint8_t level, uint8_t description)
{
    struct wire_mark rec = tls_record_open(w, TLS_CT_ALERT, version);
    wire_write_u8(w, level);
    wire_write_u8(w, description);
    wire_close(w, rec);
}
