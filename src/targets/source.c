/* targets/source.c: the iterator over a shard's targets — the permuted space, then the list,
 * then the streams read line by line — and the validation pass over target files.
 *
 * Its state is a fixed-size struct: a position in the permutation, a cursor in the current
 * specification, and one line buffer. Nothing grows with the number of targets. */
#include "targets/internal.h"

#include <stdlib.h>
#include <string.h>

enum phase { PHASE_SPACE, PHASE_LIST, PHASE_STREAMS, PHASE_END };

struct target_source {
    const struct targets *t;
    enum phase phase;
    uint64_t pos;     /* next position in the permutation */
    uint64_t k;       /* running number of list and stream targets, for shards */
    size_t list_next; /* next list entry */
    size_t file_next; /* next stream to open */
    FILE *f;          /* the open stream, if any */
    const char *name; /* its name in messages */
    unsigned long line;
    bool have_spec; /* spec is being expanded */
    struct target_spec spec;
    uint64_t addr_off; /* cursor in spec: address, then port */
    uint32_t port_i;
    hc_result error; /* for target_source_engine_fn */
    char message[TARGETS_ERR_MAX];
    char buf[TARGETS_LINE_MAX];
};

size_t target_source_state_size(void) { return sizeof(struct target_source); }

hc_result target_source_open(const struct targets *t, struct target_source **out, char *err,
                             size_t err_cap)
{
    if (!t->finished)
        TARGETS_FAIL(HC_ERR_USAGE, "targets_finish must come before iteration");
    struct target_source *s = calloc(1, sizeof *s);
    if (!s)
        return HC_RESULT(HC_ERR_NOMEM);
    s->t = t;
    s->pos = t->shard_index;
    *out = s;
    return HC_SUCCESS;
}

static void close_stream(struct target_source *s)
{
    if (s->f && s->f != stdin)
        fclose(s->f);
    s->f = NULL;
}

void target_source_close(struct target_source *s)
{
    if (!s)
        return;
    close_stream(s);
    free(s);
}

static bool next_in_space(struct target_source *s, struct target *out)
{
    const struct targets *t = s->t;
    if (s->pos >= t->space_size)
        return false;
    int family;
    struct targets_addr addr;
    uint16_t port;
    targets_space_at(t, targets_perm_at(&t->perm, s->pos), &family, &addr, &port);
    targets_make_target(family, addr, NULL, port, out);
    s->pos += t->shard_count;
    return true;
}

/* The next target of the specification being expanded (its addresses, each with its ports)
 * that is not excluded and belongs to this shard. */
static bool next_in_spec(struct target_source *s, struct target *out)
{
    const struct targets *t = s->t;
    const struct target_spec *sp = &s->spec;
    uint32_t nports = sp->port ? 1 : t->ports.count;
    while (s->addr_off < sp->count) {
        struct targets_addr addr = taddr_add(sp->first, s->addr_off);
        bool skip = s->port_i >= nports ||
                    (s->port_i == 0 && sp->family && targets_addr_excluded(t, sp->family, addr));
        if (skip) {
            s->addr_off++;
            s->port_i = 0;
            continue;
        }
        uint16_t port = sp->port ? sp->port : targets_ports_at(&t->ports, s->port_i);
        s->port_i++;
        if (s->k++ % t->shard_count != t->shard_index)
            continue;
        targets_make_target(sp->family, addr, sp->host, port, out);
        targets_set_transport(out, sp->transport);
        return true;
    }
    s->have_spec = false;
    return false;
}

static void start_spec(struct target_source *s, const struct target_spec *sp)
{
    s->spec = *sp;
    s->have_spec = true;
    s->addr_off = 0;
    s->port_i = 0;
}

static hc_result open_next_stream(struct target_source *s, bool *opened, char *err, size_t err_cap)
{
    const struct targets *t = s->t;
    *opened = s->file_next < t->files_len;
    if (!*opened)
        return HC_SUCCESS;
    const char *path = t->files[s->file_next++].path;
    bool is_stdin = strcmp(path, "-") == 0;
    s->f = is_stdin ? stdin : fopen(path, "r");
    if (!s->f)
        TARGETS_FAIL(HC_ERR_IO, "%s: cannot read target file", path);
    s->name = is_stdin ? "stdin" : path;
    s->line = 0;
    return HC_SUCCESS;
}

/* Reads and parses one line; *spec is NULL for a comment or blank line. */
static hc_result read_spec(FILE *f, const char *name, unsigned long line, char *buf,
                           struct target_spec *out, bool *eof, bool *blank, char *err,
                           size_t err_cap)
{
    enum line_status st = targets_read_line(f, buf, TARGETS_LINE_MAX);
    *eof = st == LINE_EOF;
    *blank = true;
    if (st == LINE_EOF)
        return HC_SUCCESS;
    if (st == LINE_ERROR)
        TARGETS_FAIL(HC_ERR_IO, "%s:%lu: read error", name, line);
    if (st != LINE_OK)
        TARGETS_FAIL(HC_ERR_USAGE, "%s:%lu: %s", name, line,
                     st == LINE_NUL ? "NUL byte in line"
                                    : "line longer than the limit of 1023 characters");
    const char *text = targets_clean_line(buf);
    *blank = *text == '\0';
    if (*blank)
        return HC_SUCCESS;
    char why[TARGETS_ERR_MAX];
    if (!hc_ok(targets_spec_parse(text, out, why, sizeof why)))
        TARGETS_FAIL(HC_ERR_USAGE, "%s:%lu: %s", name, line, why);
    return HC_SUCCESS;
}

/* Loads the next specification from the open stream; *more is false at its end. */
static hc_result next_line(struct target_source *s, bool *more, char *err, size_t err_cap)
{
    struct target_spec sp;
    bool eof, blank = true;
    while (blank) {
        s->line++;
        HC_TRY(read_spec(s->f, s->name, s->line, s->buf, &sp, &eof, &blank, err, err_cap));
        if (eof) {
            close_stream(s);
            *more = false;
            return HC_SUCCESS;
        }
    }
    start_spec(s, &sp);
    *more = true;
    return HC_SUCCESS;
}

static hc_result next_in_streams(struct target_source *s, struct target *out, bool *got, char *err,
                                 size_t err_cap)
{
    for (;;) {
        if (s->have_spec && next_in_spec(s, out)) {
            *got = true;
            return HC_SUCCESS;
        }
        bool more = false;
        if (s->f)
            HC_TRY(next_line(s, &more, err, err_cap));
        if (!more && !s->f)
            HC_TRY(open_next_stream(s, &more, err, err_cap));
        if (!more && !s->f) {
            *got = false;
            return HC_SUCCESS;
        }
    }
}

static bool next_in_list(struct target_source *s, struct target *out)
{
    for (;;) {
        if (s->have_spec && next_in_spec(s, out))
            return true;
        if (s->list_next >= s->t->list_len)
            return false;
        start_spec(s, &s->t->list[s->list_next++]);
    }
}

hc_result target_source_next(struct target_source *s, struct target *out, bool *got, char *err,
                             size_t err_cap)
{
    *got = true;
    if (s->phase == PHASE_SPACE) {
        if (next_in_space(s, out))
            return HC_SUCCESS;
        s->phase = PHASE_LIST;
    }
    if (s->phase == PHASE_LIST) {
        if (next_in_list(s, out))
            return HC_SUCCESS;
        s->phase = PHASE_STREAMS;
    }
    if (s->phase == PHASE_STREAMS) {
        hc_result r = next_in_streams(s, out, got, err, err_cap);
        if (!hc_ok(r) || *got)
            return r;
        s->phase = PHASE_END;
    }
    *got = false;
    return HC_SUCCESS;
}

bool target_source_engine_fn(void *ctx, struct target *out)
{
    struct target_source *s = ctx;
    if (!hc_ok(s->error))
        return false;
    bool got = false;
    s->error = target_source_next(s, out, &got, s->message, sizeof s->message);
    return hc_ok(s->error) && got;
}

hc_result target_source_error(const struct target_source *s, const char **message)
{
    if (message)
        *message = hc_ok(s->error) ? "" : s->message;
    return s->error;
}

/* ---- the validation pass ---- */

static uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static hc_result count_lines(const struct targets *t, FILE *f, const char *path, uint64_t *count,
                             char *err, size_t err_cap)
{
    char buf[TARGETS_LINE_MAX];
    struct target_spec sp;
    bool eof = false, blank;
    for (unsigned long line = 1; !eof; line++) {
        HC_TRY(read_spec(f, path, line, buf, &sp, &eof, &blank, err, err_cap));
        if (eof || blank)
            continue;
        uint64_t kept = targets_spec_kept(t, &sp);
        uint64_t per = sp.port ? 1 : t->ports.count;
        *count = add_sat(*count, kept > UINT64_MAX / per ? UINT64_MAX : kept * per);
    }
    return HC_SUCCESS;
}

hc_result targets_validate_file(const struct targets *t, struct targets_file *file, char *err,
                                size_t err_cap)
{
    FILE *f = fopen(file->path, "r");
    if (!f)
        TARGETS_FAIL(HC_ERR_IO, "%s: cannot read target file", file->path);
    file->count = 0;
    hc_result r = count_lines(t, f, file->path, &file->count, err, err_cap);
    fclose(f);
    return r;
}

/* ---- --dry-run ---- */

static hc_result print_all(struct target_source *s, FILE *out, uint64_t *printed, char *err,
                           size_t err_cap)
{
    struct target tg;
    bool got;
    for (;;) {
        HC_TRY(target_source_next(s, &tg, &got, err, err_cap));
        if (!got)
            return HC_SUCCESS;
        if (fprintf(out, "%s\n", tg.spec) < 0)
            TARGETS_FAIL(HC_ERR_IO, "--dry-run: cannot write the target list");
        (*printed)++;
    }
}

hc_result targets_dry_run(const struct targets *t, FILE *out, uint64_t *printed, char *err,
                          size_t err_cap)
{
    uint64_t n = 0;
    struct target_source *s;
    HC_TRY(target_source_open(t, &s, err, err_cap));
    hc_result r = print_all(s, out, &n, err, err_cap);
    target_source_close(s);
    if (printed)
        *printed = n;
    if (hc_ok(r) && fflush(out) != 0)
        TARGETS_FAIL(HC_ERR_IO, "--dry-run: cannot write the target list");
    return r;
}
