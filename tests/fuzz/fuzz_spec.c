/* libFuzzer target: targets_spec_parse, the -p and --shard parsers on the input as a string,
 * then the input as an -iL file (validation pass and streaming, both bounded). Whatever the
 * bytes: no overrun, a parsed range is ordered and sized right, a failure says why. */
#include "targets/internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void check_error(hc_result r, const char *err, size_t cap)
{
    CHECK(r.error == HC_ERR_USAGE || r.error == HC_ERR_IO);
    CHECK(err[0] != '\0');
    CHECK(memchr(err, '\0', cap) != NULL);
}

static void fuzz_spec(const char *text)
{
    struct target_spec s;
    char err[TARGETS_ERR_MAX] = "";
    hc_result r = targets_spec_parse(text, &s, err, sizeof err);
    if (!hc_ok(r)) {
        check_error(r, err, sizeof err);
        return;
    }
    CHECK(s.family == 0 || s.family == AF_INET || s.family == AF_INET6);
    CHECK(taddr_cmp(s.first, s.last) <= 0);
    CHECK(s.count >= 1 && s.count <= 1ULL << 32);
    struct targets_addr span = taddr_sub(s.last, s.first);
    CHECK(span.hi == 0 && span.lo + 1 == s.count);
    CHECK(s.family ? s.host[0] == '\0' : s.host[0] != '\0' && s.count == 1);
    CHECK(s.family == AF_INET6 || s.family == 0 || (s.last.hi == 0 && s.last.lo <= 0xffffffffu));
}

static void fuzz_ports_and_shard(const char *text)
{
    struct targets_ports p = {NULL, 0, 0};
    char err[TARGETS_ERR_MAX] = "";
    hc_result r = targets_ports_parse(text, &p, err, sizeof err);
    if (hc_ok(r)) {
        CHECK(p.count >= 1 && p.count <= 65535 && p.len >= 1);
        CHECK(targets_ports_at(&p, 0) >= 1 && targets_ports_has(&p, targets_ports_at(&p, 0)));
        free(p.ranges);
    } else {
        check_error(r, err, sizeof err);
    }
    unsigned i, n;
    r = targets_shard_parse(text, &i, &n, err, sizeof err);
    CHECK(hc_ok(r) ? i >= 1 && i <= n : r.error == HC_ERR_USAGE);
}

/* The input as a target file: validated, then streamed for at most a few thousand targets. */
static void fuzz_file(const uint8_t *data, size_t size)
{
    int fd = memfd_create("targets", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char path[64], err[TARGETS_ERR_MAX] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct targets *t = targets_new();
    hc_result r = t ? targets_add_file(t, path, err, sizeof err) : HC_SUCCESS;
    if (t && hc_ok(r))
        r = targets_finish(t, err, sizeof err);
    if (t && hc_ok(r)) {
        struct target_source *s;
        if (hc_ok(target_source_open(t, &s, err, sizeof err))) {
            struct target tg;
            bool got = true;
            for (int k = 0; k < 4096 && got; k++) {
                r = target_source_next(s, &tg, &got, err, sizeof err);
                CHECK(hc_ok(r)); /* validated: the second pass cannot fail */
                CHECK(!got || (tg.port != 0 && tg.host[0] != '\0'));
            }
            target_source_close(s);
        }
    } else if (t) {
        check_error(r, err, sizeof err);
    }
    targets_free(t);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1); /* exact size: ASan sees any read past the NUL */
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fuzz_spec(text);
    fuzz_ports_and_shard(text);
    free(text);
    fuzz_file(data, size);
    return 0;
}
