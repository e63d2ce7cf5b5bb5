/* libFuzzer target: target_parse on the input as a string. On success the target is usable
 * (a host, a port); on failure the error says why; either way nothing is overrun. */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1); /* exact size: ASan sees any read past the NUL */
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    struct target t;
    char err[128];
    err[0] = '\0';
    hc_result r = target_parse(spec, 443, &t, err, sizeof err);
    if (hc_ok(r)) {
        CHECK(t.host[0] != '\0');
        CHECK(t.port != 0);
        CHECK(memchr(t.host, '\0', sizeof t.host) != NULL);
        CHECK(strcmp(t.spec, spec) == 0);
        CHECK(t.family == 0 || t.family == AF_INET || t.family == AF_INET6);
        CHECK(strchr(t.host, ' ') == NULL && strchr(t.host, '/') == NULL);
    } else {
        CHECK(r.error == HC_ERR_USAGE);
        CHECK(err[0] != '\0');
        CHECK(memchr(err, '\0', sizeof err) != NULL);
    }
    free(spec);
    return 0;
}
