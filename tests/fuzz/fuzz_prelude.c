/* libFuzzer target: every prelude, both roles. The first byte picks the protocol, the second
 * the role and parameters (bit 0 server, bit 1 refuse, bit 2 xmpp_server, bit 3 close at the
 * end); the rest is fed in chunks, each a size byte then that many bytes. Whatever the bytes:
 * nothing is consumed beyond what was given, an ended prelude stays ended and takes nothing,
 * output stays bounded, and the reason is printable, cut, and there exactly when it should. */
#include "proto/proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void check_invariants(struct prelude *p)
{
    const uint8_t *out;
    size_t out_len;
    prelude_take_output(p, &out, &out_len);
    CHECK(out_len <= 65536);
    uint8_t *copy = malloc(out_len ? out_len : 1); /* ASan checks the whole output is readable */
    CHECK(copy != NULL);
    if (out_len)
        memcpy(copy, out, out_len);
    free(copy);
    const char *r = prelude_reason(p);
    size_t n = strlen(r);
    CHECK(n <= PRELUDE_REASON_MAX);
    for (size_t i = 0; i < n; i++)
        CHECK(r[i] >= ' ' && r[i] <= '~');
    enum prelude_status s = prelude_status(p);
    CHECK((s == PRELUDE_REFUSED || s == PRELUDE_FAILED) == (n > 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    const struct prelude_desc *d = all[data[0] % count];
    uint8_t mode = data[1];
    struct prelude_params params = {.refuse = mode & 2, .xmpp_server = mode & 4};
    struct prelude *p;
    if (!hc_ok(prelude_new(d, mode & 1 ? PRELUDE_SERVER : PRELUDE_CLIENT, &params, &p)))
        return 0;
    check_invariants(p);
    size_t at = 2;
    while (at < size) {
        size_t n = data[at++];
        n = n < size - at ? n : size - at;
        uint8_t *chunk = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
        if (!chunk)
            break;
        memcpy(chunk, data + at, n);
        enum prelude_status before = prelude_status(p);
        size_t used = prelude_on_data(p, chunk, n);
        free(chunk);
        at += n;
        CHECK(used <= n);
        if (before != PRELUDE_WANT_READ)
            CHECK(used == 0 && prelude_status(p) == before);
        if (used < n)
            CHECK(prelude_status(p) != PRELUDE_WANT_READ);
        check_invariants(p);
    }
    if (mode & 8) {
        enum prelude_status before = prelude_status(p);
        prelude_on_closed(p);
        CHECK(prelude_status(p) != PRELUDE_WANT_READ);
        CHECK(before == PRELUDE_WANT_READ || prelude_status(p) == before);
        check_invariants(p);
    }
    prelude_free(p);
    return 0;
}
