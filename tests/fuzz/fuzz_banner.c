/* libFuzzer target: arbitrary bytes as a file searched for OpenSSL's banner and as an
 * ld.so.cache. Both must stay inside the input; what they return must point into it. */
#include "host/copies.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_banner(const uint8_t *data, size_t size)
{
    struct banner b;
    banner_find(data, size, &b);
    if (!b.found)
        return;
    size_t n = strlen(b.text);
    if (b.offset + n > size || memcmp(data + b.offset, b.text, n) != 0 ||
        strncmp(b.text, "OpenSSL ", 8) != 0)
        abort();
    (void)banner_class_name(banner_classify(b.version));
}

static void check_cache(const uint8_t *data, size_t size)
{
    struct ldcache c;
    if (!hc_ok(ldcache_parse(data, size, &c))) {
        if (c.defect == NULL)
            abort();
        return;
    }
    const char *lo = (const char *)data, *hi = lo + size;
    for (uint32_t i = 0; i < c.count; i++) {
        struct ldcache_entry e = ldcache_entry_at(&c, i);
        if (e.soname < lo || e.path < lo || e.soname + strlen(e.soname) >= hi ||
            e.path + strlen(e.path) >= hi)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_banner(data, size);
    check_cache(data, size);
    return 0;
}
