/* libFuzzer target: the input as a dpkg.log, for the package named on its first line; its
 * history then goes through the fix search with a judge that reads the version's last byte.
 * Invariants: every event is of that package and has a version; a fix is never before the
 * last vulnerable moment, and is only found after one. */
#include "host/pkgdb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum dpkglog_state judge(const char *version, void *ctx)
{
    (void)ctx;
    char last = version[strlen(version) - 1];
    return last == 'v'   ? DPKGLOG_VERSION_VULNERABLE
           : last == 'f' ? DPKGLOG_VERSION_FIXED
                         : DPKGLOG_VERSION_UNKNOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    char package[128] = "libssl1.0.0";
    if (nl && (size_t)(nl - text) < sizeof package) {
        memcpy(package, text, (size_t)(nl - text));
        package[nl - text] = '\0';
    }
    struct dpkglog_history h = {0};
    if (!hc_ok(dpkglog_add_text(&h, package, text, size)))
        return 0;
    for (size_t i = 0; i < h.count; i++)
        if (strcmp(h.events[i].package, package) != 0 || !h.events[i].version[0])
            abort();
    struct dpkglog_fix fix;
    dpkglog_find_fix(&h, judge, NULL, &fix);
    if ((fix.fixed_at && (!fix.vulnerable_seen || fix.fixed_at < fix.vulnerable_until)))
        abort();
    for (size_t i = 1; i < h.count; i++)
        if (h.events[i - 1].when > h.events[i].when)
            abort();
    dpkglog_history_free(&h);
    return 0;
}
