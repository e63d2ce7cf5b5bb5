#include "report/report.h"

void report_summary_add(struct report_summary *s, enum probe_verdict v)
{
    if ((unsigned)v < REPORT_VERDICTS)
        s->counts[v]++;
    s->total++;
}

void report_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}
