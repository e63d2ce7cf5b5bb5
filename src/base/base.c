#include "base/base.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>

struct error_info {
    const char *name;
    enum hc_category category;
    const char *message;
};

#define HC_ERROR_INFO(n, cat, msg) {#n, cat, msg},
static const struct error_info error_table[HC_ERROR_COUNT] = {HC_ERROR_LIST(HC_ERROR_INFO)};
#undef HC_ERROR_INFO

static const struct error_info *error_info(enum hc_error e)
{
    static const struct error_info unknown = {"HC_ERR_UNKNOWN", HC_CAT_INTERNAL, "unknown error"};
    if ((unsigned)e >= HC_ERROR_COUNT)
        return &unknown;
    return &error_table[e];
}

const char *hc_error_name(enum hc_error e) { return error_info(e)->name; }
const char *hc_error_message(enum hc_error e) { return error_info(e)->message; }
enum hc_category hc_error_category(enum hc_error e) { return error_info(e)->category; }

void hc_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n); /* a store the optimiser must keep */
}

void hc_free_secret(void *p, size_t n)
{
    hc_wipe(p, n);
    free(p);
}

bool hc_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return false; /* strtoul would take a sign or leading spaces */
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}
