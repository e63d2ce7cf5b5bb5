/* Replays of dialogue.h. */
#include "unit.h"

#include "support/dialogue.h"
#include "support/heap_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct outcome {
    uint8_t *out;
    size_t out_len;
    size_t leftover;
    enum prelude_status status;
    char reason[PRELUDE_REASON_MAX + 1];
};

static void collect(struct prelude *p, struct outcome *o)
{
    const uint8_t *data;
    size_t len;
    prelude_take_output(p, &data, &len);
    if (!len)
        return;
    o->out = realloc(o->out, o->out_len + len);
    assert_non_null(o->out);
    memcpy(o->out + o->out_len, data, len);
    o->out_len += len;
}

static void check_reason(const struct prelude *p)
{
    const char *r = prelude_reason(p);
    size_t n = strlen(r);
    assert_true(n <= PRELUDE_REASON_MAX);
    for (size_t i = 0; i < n; i++)
        assert_true(r[i] >= ' ' && r[i] <= '~');
    enum prelude_status s = prelude_status(p);
    assert_true((s == PRELUDE_REFUSED || s == PRELUDE_FAILED) == (n > 0));
}

/* Feeds one chunk (a heap copy of exactly its size, so ASan sees any over-read). */
static void feed(struct prelude *p, const uint8_t *data, size_t len, struct outcome *o)
{
    uint8_t *copy = exact_copy(data, len);
    bool running = prelude_status(p) == PRELUDE_WANT_READ;
    size_t used = prelude_on_data(p, copy, len);
    free(copy);
    assert_true(used <= len);
    if (!running)
        assert_int_equal(used, 0); /* an ended prelude takes nothing more */
    if (used < len)
        assert_int_not_equal(prelude_status(p), PRELUDE_WANT_READ);
    o->leftover += len - used;
    collect(p, o);
    check_reason(p);
}

/* The peer's bytes: a first chunk of first bytes, then chunks of rest (0: all the others). */
static void run(const struct dialogue *d, size_t first, size_t rest, struct outcome *o)
{
    struct prelude *p = NULL;
    memset(o, 0, sizeof *o);
    assert_success(prelude_new(d->desc, d->role, &d->params, &p));
    collect(p, o);
    size_t at = 0;
    for (size_t n = first; at < d->peer_len; n = rest ? rest : d->peer_len) {
        n = n < d->peer_len - at ? n : d->peer_len - at;
        feed(p, d->peer + at, n, o);
        at += n;
    }
    o->status = prelude_status(p);
    snprintf(o->reason, sizeof o->reason, "%s", prelude_reason(p));
    prelude_free(p);
}

static void expect(const struct dialogue *d, const struct outcome *o, const char *how)
{
    if (o->out_len != d->ours_len || (d->ours_len && memcmp(o->out, d->ours, d->ours_len)))
        fail_msg("%s %s, %s: wrote %zu bytes \"%.*s\", expected %zu \"%.*s\"", d->desc->name,
                 d->role == PRELUDE_CLIENT ? "client" : "server", how, o->out_len, (int)o->out_len,
                 o->out ? (const char *)o->out : "", d->ours_len, (int)d->ours_len,
                 (const char *)d->ours);
    /* After a refusal or failure the rest does not matter: how much was read depends on the
     * chunks. */
    bool ended_badly = d->status == PRELUDE_REFUSED || d->status == PRELUDE_FAILED;
    if (o->status != d->status || (!ended_badly && o->leftover != d->leftover))
        fail_msg("%s %s, %s: status %d leftover %zu (\"%s\"), expected %d leftover %zu",
                 d->desc->name, d->role == PRELUDE_CLIENT ? "client" : "server", how, o->status,
                 o->leftover, o->reason, d->status, d->leftover);
    if (d->reason ? !strstr(o->reason, d->reason) : o->reason[0] != '\0')
        fail_msg("%s %s, %s: reason \"%s\", expected \"%s\"", d->desc->name,
                 d->role == PRELUDE_CLIENT ? "client" : "server", how, o->reason,
                 d->reason ? d->reason : "");
}

void dialogue_check_chunked(const struct dialogue *d, size_t chunk)
{
    struct outcome o;
    char how[64];
    snprintf(how, sizeof how, "chunks of %zu", chunk);
    run(d, chunk ? chunk : d->peer_len, chunk, &o);
    expect(d, &o, how);
    free(o.out);
}

/* After every prefix the peer closes: a prelude still waiting fails, naming the step. */
static void check_closes(const struct dialogue *d)
{
    for (size_t k = 0; k + d->leftover <= d->peer_len; k++) {
        struct prelude *p = NULL;
        struct outcome o = {0};
        assert_success(prelude_new(d->desc, d->role, &d->params, &p));
        collect(p, &o);
        if (k)
            feed(p, d->peer, k, &o);
        enum prelude_status before = prelude_status(p);
        prelude_on_closed(p);
        check_reason(p);
        if (before == PRELUDE_WANT_READ) {
            assert_int_equal(prelude_status(p), PRELUDE_FAILED);
            if (!strstr(prelude_reason(p), "closed while waiting for"))
                fail_msg("%s: close after %zu bytes: \"%s\"", d->desc->name, k, prelude_reason(p));
        } else
            assert_int_equal(prelude_status(p), before);
        free(o.out);
        prelude_free(p);
    }
}

void dialogue_check(const struct dialogue *d)
{
    dialogue_check_chunked(d, 0);
    dialogue_check_chunked(d, 1);
    struct outcome o;
    for (size_t k = 1; k < d->peer_len; k++) {
        char how[64];
        snprintf(how, sizeof how, "split at %zu", k);
        run(d, k, 0, &o);
        expect(d, &o, how);
        free(o.out);
    }
    check_closes(d);
}

struct dialogue dialogue_text(const char *proto, enum prelude_role role, const char *peer,
                              const char *ours, enum prelude_status status, const char *reason)
{
    const struct prelude_desc *desc = proto_find(proto);
    assert_non_null(desc);
    return (struct dialogue){
        .desc = desc,
        .role = role,
        .peer = (const uint8_t *)peer,
        .peer_len = strlen(peer),
        .ours = (const uint8_t *)ours,
        .ours_len = strlen(ours),
        .status = status,
        .reason = reason,
    };
}
