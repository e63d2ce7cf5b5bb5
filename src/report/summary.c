#include "report/report.h"

#include <stdbool.h>

void report_summary_add(struct report_summary *s, enum probe_verdict v)
{
    if ((unsigned)v < REPORT_VERDICTS)
        s->counts[v]++;
    s->total++;
}

size_t report_utf8_sequence(const unsigned char *p)
{
    size_t n = p[0] < 0x80                    ? 1
               : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
               : p[0] >= 0xe0 && p[0] <= 0xef ? 3
               : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
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

/* Server-chosen text (certificate names) must not drive the terminal: C0 and C1 control
 * characters and invalid UTF-8 are printed as '?'. */
void report_print_clean(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = report_utf8_sequence(p);
        bool c0 = n == 1 && (*p < 0x20 || *p == 0x7f);
        bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0; /* U+0080..U+009F */
        if (n == 0 || c0 || c1) {
            fputc('?', out);
            p++;
        } else {
            fwrite(p, 1, n, out);
            p += n;
        }
    }
}
