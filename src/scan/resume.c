#include "scan/resume.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, then a final mix so that similar addresses spread over the table. Never 0: that
 * marks an empty slot. */
static uint64_t key_of(const char *target)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)target; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1;
}

static size_t slot_of(const struct resume_set *s, uint64_t key)
{
    size_t i = (size_t)key & (s->cap - 1);
    while (s->slots[i] && s->slots[i] != key)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static hc_result grow(struct resume_set *s)
{
    size_t cap = s->cap ? 2 * s->cap : 1024;
    uint64_t *old = s->slots;
    size_t old_cap = s->cap;
    s->slots = calloc(cap, sizeof *s->slots);
    if (!s->slots) {
        s->slots = old;
        return HC_RESULT(HC_ERR_NOMEM);
    }
    s->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            s->slots[slot_of(s, old[i])] = old[i];
    free(old);
    return HC_SUCCESS;
}

hc_result resume_add(struct resume_set *s, const char *target)
{
    if (2 * (s->count + 1) > s->cap) /* at most half full: short probe chains */
        HC_TRY(grow(s));
    uint64_t key = key_of(target);
    size_t i = slot_of(s, key);
    if (!s->slots[i]) {
        s->slots[i] = key;
        s->count++;
    }
    return HC_SUCCESS;
}

bool resume_contains(const struct resume_set *s, const char *target)
{
    if (s->count == 0)
        return false;
    uint64_t key = key_of(target);
    return s->slots[slot_of(s, key)] == key;
}

static hc_result add_line(struct resume_set *s, const char *line)
{
    json_t *o = json_loads(line, 0, NULL);
    const char *target = json_string_value(json_object_get(o, "target"));
    hc_result r = HC_SUCCESS;
    if (target)
        r = resume_add(s, target);
    else
        s->bad_lines++;
    json_decref(o);
    return r;
}

hc_result resume_load(const char *path, struct resume_set *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "re");
    if (!fp)
        return errno == ENOENT ? HC_SUCCESS : HC_RESULT(HC_ERR_IO);
    char *line = NULL;
    size_t cap = 0;
    hc_result r = HC_SUCCESS;
    while (hc_ok(r) && getline(&line, &cap, fp) > 0)
        r = add_line(out, line);
    bool failed = ferror(fp);
    free(line);
    fclose(fp);
    if (hc_ok(r) && failed)
        r = HC_RESULT(HC_ERR_IO);
    if (!hc_ok(r))
        resume_free(out);
    return r;
}

void resume_free(struct resume_set *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}
