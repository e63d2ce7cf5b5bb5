/* libFuzzer target: the input as a dpkg status file and as a .list file of the same index,
 * then its first two lines as versions for both comparisons and the back-port decision. */
#include "host/pkgdb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int x) { return (x > 0) - (x < 0); }

/* Every line of a .list that is a path (starts with '/', no NUL) must have an owner. */
static void check_paths(const struct pkgdb *db, const char *text, size_t size)
{
    const char *pos = text, *end = text + size;
    char path[4096];
    while (pos < end) {
        const char *nl = memchr(pos, '\n', (size_t)(end - pos));
        const char *e = nl ? nl : end;
        if (e > pos && e[-1] == '\r')
            e--;
        size_t n = (size_t)(e - pos);
        if (n > 0 && *pos == '/' && n < sizeof(path) && !memchr(pos, '\0', n)) {
            memcpy(path, pos, n);
            path[n] = '\0';
            if (!pkgdb_owner(db, path))
                abort();
        }
        pos = nl ? nl + 1 : end;
    }
}

/* Comparisons must be antisymmetric and reflexive whatever the strings. */
static void check_versions(const char *text, size_t size)
{
    char a[256] = "", b[256] = "";
    const char *nl = memchr(text, '\n', size);
    size_t alen = nl ? (size_t)(nl - text) : size;
    memcpy(a, text, alen < sizeof(a) - 1 ? alen : sizeof(a) - 1);
    a[strnlen(a, sizeof(a) - 1)] = '\0';
    if (nl) {
        size_t blen = size - alen - 1;
        memcpy(b, nl + 1, blen < sizeof(b) - 1 ? blen : sizeof(b) - 1);
    }
    if (sign(debversion_cmp(a, b)) != -sign(debversion_cmp(b, a)) || debversion_cmp(a, a) != 0)
        abort();
    if (sign(rpmversion_cmp(a, b)) != -sign(rpmversion_cmp(b, a)) || rpmversion_cmp(a, a) != 0)
        abort();
    struct backport_input in = {
        .package = "libssl1.0.0", .version = a, .kind = PKGDB_DPKG, .upstream = b};
    char ev[256];
    backport_decide(&in, ev, sizeof(ev));
    in.kind = PKGDB_RPM;
    backport_decide(&in, ev, sizeof(ev));
    struct pkgdb_rpm_owner o;
    pkgdb_rpm_parse_owner(text, size, &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct pkgdb *db;
    if (!hc_ok(pkgdb_new("/nonexistent", &db)))
        return 0;
    if (hc_ok(pkgdb_add_status(db, text, size)) &&
        hc_ok(pkgdb_add_list(db, "libssl1.0.0:amd64", text, size)))
        check_paths(db, text, size);
    pkgdb_find(db, "libssl1.0.0");
    pkgdb_free(db);
    check_versions(text, size);
    return 0;
}
