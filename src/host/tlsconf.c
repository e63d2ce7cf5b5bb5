/* Server configurations -> the certificate and key paths they name (see certs.h).
 *
 * Each parser is a small state machine over the text of one file; includes re-enter it with
 * the same state, so a block opened in one file and closed in another still pairs up, as the
 * servers themselves see it. All text is a private NUL-terminated copy whose embedded NULs
 * are blanked, so hostile bytes cannot end a string early or be read past. */
#include "host/certs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_MAX_BYTES (4u << 20) /* no real server configuration file is larger */
#define CONF_MAX_DEPTH 8          /* includes within includes: loops end here */
#define CONF_MAX_FILES 256        /* files per parser run: fan-out loops end here */
#define REFS_MAX       4096       /* records per run */
#define SLOTS          4          /* certificate/key pairs per block (RSA + ECDSA + spare) */
#define WORD_MAX       PATH_MAX
#define LINK_MAX_HOPS  40 /* as Linux's own MAXSYMLINKS */

/* ---- paths under ROOT ---- */

static bool root_is_slash(const char *root) { return !root || !root[0] || !strcmp(root, "/"); }

bool host_root_join(const char *root, const char *path, char *out, size_t cap)
{
    size_t rl = root_is_slash(root) ? 0 : strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--; /* "/mnt/img/" + "/etc" must not give "//etc" (harmless, but ugly in messages) */
    int n = snprintf(out, cap, "%.*s%s", (int)rl, rl ? root : "", path);
    return n >= 0 && (size_t)n < cap;
}

/* Appends "/comp" to the resolved prefix. */
static bool append_component(char *done, size_t cap, const char *comp, size_t len)
{
    size_t dl = strlen(done);
    if (dl + 1 + len + 1 > cap)
        return false;
    done[dl] = '/';
    memcpy(done + dl + 1, comp, len);
    done[dl + 1 + len] = '\0';
    return true;
}

/* Replaces todo with target + "/" + rest of todo (from `rest`); resets done for an absolute
 * target. */
static bool splice_link(char *todo, size_t cap, const char *target, const char *rest, char *done)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s/%s", target, rest);
    if (n < 0 || (size_t)n >= sizeof tmp || (size_t)n >= cap)
        return false;
    memcpy(todo, tmp, (size_t)n + 1);
    if (target[0] == '/')
        done[0] = '\0';
    return true;
}

/* One step of host_root_resolve: the component [comp, comp+len) after prefix done. Returns
 * 1 when done grew or shrank, 0 when todo was replaced by a link target, -1 on error. */
static int resolve_step(const char *root, char *done, char *todo, const char *comp, size_t len,
                        const char *rest, unsigned *hops)
{
    if (len == 1 && comp[0] == '.')
        return 1;
    if (len == 2 && comp[0] == '.' && comp[1] == '.') {
        char *slash = strrchr(done, '/');
        if (slash)
            *slash = '\0'; /* ".." of "/" stays "/" */
        return 1;
    }
    char machine[PATH_MAX], full[PATH_MAX], target[PATH_MAX];
    snprintf(machine, sizeof machine, "%s", done);
    if (!append_component(machine, sizeof machine, comp, len) ||
        !host_root_join(root, machine, full, sizeof full)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    struct stat st;
    if (lstat(full, &st) != 0 || !S_ISLNK(st.st_mode)) {
        memcpy(done, machine, strlen(machine) + 1); /* missing: keep the name, open fails */
        return 1;
    }
    ssize_t n = readlink(full, target, sizeof target - 1);
    if (n <= 0 || ++*hops > LINK_MAX_HOPS) {
        errno = n <= 0 ? EINVAL : ELOOP;
        return -1;
    }
    target[n] = '\0';
    if (!splice_link(todo, PATH_MAX, target, rest, done)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

bool host_root_resolve(const char *root, const char *path, char *out, size_t cap)
{
    if (!path || path[0] != '/') {
        errno = EINVAL;
        return false;
    }
    char todo[PATH_MAX], done[PATH_MAX] = "";
    if (strlen(path) >= sizeof todo) {
        errno = ENAMETOOLONG;
        return false;
    }
    memcpy(todo, path, strlen(path) + 1);
    unsigned hops = 0;
    size_t pos = 0;
    for (;;) {
        while (todo[pos] == '/')
            pos++;
        if (!todo[pos])
            break;
        size_t len = strcspn(todo + pos, "/");
        const char *rest = todo + pos + len;
        int r = resolve_step(root, done, todo, todo + pos, len, rest, &hops);
        if (r < 0)
            return false;
        pos = r == 0 ? 0 : pos + len;
    }
    int n = snprintf(out, cap, "%s", done[0] ? done : "/");
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return false;
    }
    return true;
}

/* ---- the record list ---- */

const char *host_tls_service_name(enum host_tls_service s)
{
    static const char *const names[HOST_TLS_SERVICE_COUNT] = {
        [HOST_TLS_NGINX] = "nginx",     [HOST_TLS_APACHE] = "apache",
        [HOST_TLS_POSTFIX] = "postfix", [HOST_TLS_DOVECOT] = "dovecot",
        [HOST_TLS_MARIADB] = "mariadb",
    };
    return (unsigned)s < HOST_TLS_SERVICE_COUNT ? names[s] : NULL;
}

static void ref_free(struct host_tls_ref *r)
{
    free(r->config);
    free(r->cert);
    free(r->key);
    free(r->chain);
    free(r->name);
    free(r->listen);
}

void host_tls_refs_free(struct host_tls_refs *refs)
{
    if (!refs)
        return;
    for (size_t i = 0; i < refs->count; i++)
        ref_free(&refs->items[i]);
    for (size_t i = 0; i < refs->skipped_count; i++)
        free(refs->skipped[i]);
    free(refs->items);
    free(refs->skipped);
    memset(refs, 0, sizeof *refs);
}

/* strdup that tolerates NULL (absent stays absent). */
static char *dup_or_null(const char *s, bool *nomem)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *nomem = true;
    return d;
}

/* State shared by one parser run: where to read, what was found, how much was read. */
struct conf_ctx {
    const char *root;
    const char *service;
    struct host_tls_refs *out;
    unsigned files;
    bool nomem;
    bool bound_noted; /* the "bound hit" note is added once per run */
};

static void note_skipped(struct conf_ctx *c, const char *path, const char *why)
{
    char msg[PATH_MAX + 64];
    snprintf(msg, sizeof msg, "%s: %s", path, why);
    struct host_tls_refs *o = c->out;
    if (o->skipped_count >= 1024)
        return;
    char **grown = realloc(o->skipped, (o->skipped_count + 1) * sizeof *grown);
    char *copy = grown ? strdup(msg) : NULL;
    if (grown)
        o->skipped = grown;
    if (!copy) {
        c->nomem = true;
        return;
    }
    o->skipped[o->skipped_count++] = copy;
}

static void note_bound(struct conf_ctx *c, const char *path)
{
    if (c->bound_noted)
        return;
    c->bound_noted = true;
    note_skipped(c, path, "include depth or file count bound reached");
}

/* One pending certificate/key pair group of the block being parsed. */
struct pending {
    char *cert[SLOTS], *key[SLOTS];
    size_t ncert, nkey;
    char *chain;
    char *file; /* where the first certificate (else key) directive was */
    unsigned line;
    bool file_is_cert;
    char *name, *listen;
};

static void pending_free(struct pending *p)
{
    for (size_t i = 0; i < SLOTS; i++) {
        free(p->cert[i]);
        free(p->key[i]);
    }
    free(p->chain);
    free(p->file);
    free(p->name);
    free(p->listen);
    memset(p, 0, sizeof *p);
}

static void set_str(struct conf_ctx *c, char **slot, const char *value)
{
    char *d = strdup(value);
    if (!d) {
        c->nomem = true;
        return;
    }
    free(*slot);
    *slot = d;
}

/* Remembers where the directive is; a certificate's location wins over a key's. */
static void pending_where(struct conf_ctx *c, struct pending *p, const char *file, unsigned line,
                          bool is_cert)
{
    if (p->file && (p->file_is_cert || !is_cert))
        return;
    set_str(c, &p->file, file);
    p->line = line;
    p->file_is_cert = is_cert;
}

/* Appends a path to slot list (nginx/Apache: repeated directives are extra pairs). */
static void pending_add(struct conf_ctx *c, struct pending *p, bool is_cert, const char *path,
                        const char *file, unsigned line)
{
    char **slots = is_cert ? p->cert : p->key;
    size_t *n = is_cert ? &p->ncert : &p->nkey;
    if (*n >= SLOTS)
        return;
    set_str(c, &slots[*n], path);
    if (slots[*n])
        (*n)++;
    pending_where(c, p, file, line, is_cert);
}

/* Replaces the single pair (Postfix/Dovecot/MariaDB: the last definition wins). */
static void pending_set(struct conf_ctx *c, struct pending *p, bool is_cert, const char *path,
                        const char *file, unsigned line)
{
    char **slot = is_cert ? &p->cert[0] : &p->key[0];
    set_str(c, slot, path);
    if (*slot)
        *(is_cert ? &p->ncert : &p->nkey) = 1;
    if (p->file && p->file_is_cert == is_cert) {
        free(p->file);
        p->file = NULL; /* a later definition moves the location */
    }
    pending_where(c, p, file, line, is_cert);
}

static bool refs_grow(struct conf_ctx *c)
{
    struct host_tls_refs *o = c->out;
    if (o->count < o->cap)
        return true;
    size_t cap = o->cap ? o->cap * 2 : 16;
    struct host_tls_ref *items = realloc(o->items, cap * sizeof *items);
    if (!items) {
        c->nomem = true;
        return false;
    }
    o->items = items;
    o->cap = cap;
    return true;
}

/* Turns a pending group into records (pair i = i-th certificate with i-th key) and clears it. */
static void pending_emit(struct conf_ctx *c, struct pending *p)
{
    size_t n = p->ncert > p->nkey ? p->ncert : p->nkey;
    for (size_t i = 0; i < n && c->out->count < REFS_MAX && refs_grow(c); i++) {
        struct host_tls_ref r = {.service = c->service, .line = p->line};
        bool nomem = false;
        r.config = dup_or_null(p->file, &nomem);
        r.cert = dup_or_null(i < p->ncert ? p->cert[i] : NULL, &nomem);
        r.key = dup_or_null(i < p->nkey ? p->key[i] : NULL, &nomem);
        r.chain = dup_or_null(p->chain, &nomem);
        r.name = dup_or_null(p->name, &nomem);
        r.listen = dup_or_null(p->listen, &nomem);
        if (nomem) {
            ref_free(&r);
            c->nomem = true;
            break;
        }
        c->out->items[c->out->count++] = r;
    }
    pending_free(p);
}

/* ---- reading files ---- */

/* Blanks NULs so the text is one C string however hostile the bytes. */
static char *text_copy(const char *data, size_t len)
{
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    for (size_t i = 0; i < len; i++)
        t[i] = data[i] ? data[i] : ' ';
    t[len] = '\0';
    return t;
}

/* The whole file at machine path `path`, NULL when absent (silently), unreadable or too big
 * (noted). Counts against the run's file bound. */
static char *read_conf(struct conf_ctx *c, const char *path)
{
    char real[PATH_MAX], full[PATH_MAX];
    if (!host_root_resolve(c->root, path, real, sizeof real) ||
        !host_root_join(c->root, real, full, sizeof full))
        return NULL;
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            note_skipped(c, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CONF_MAX_BYTES) {
        note_skipped(c, path, "not a regular file or too big");
    } else if (c->files >= CONF_MAX_FILES) {
        note_bound(c, path);
    } else {
        c->files++;
        char *buf = malloc((size_t)st.st_size + 1);
        ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
        if (!buf)
            c->nomem = true;
        else if (n >= 0)
            text = text_copy(buf, (size_t)n);
        if (buf && n >= 0 && !text)
            c->nomem = true;
        free(buf);
    }
    close(fd);
    return text;
}

/* Backslashes before glob's special characters in root, so "/mnt/[x]" is taken literally. */
static bool glob_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s; s++) {
        if (o + 3 > cap)
            return false;
        if (strchr("*?[]\\", *s))
            out[o++] = '\\';
        out[o++] = *s;
    }
    out[o] = '\0';
    return true;
}

typedef void (*conf_file_fn)(struct conf_ctx *c, void *state, const char *path, unsigned depth);

/* Expands a machine-path glob under root and calls fn for every match (sorted, as nginx and
 * Apache read them), with the root prefix removed. Directories are expanded to their files
 * when dir_files is set (Apache "Include dir/", MariaDB "!includedir"), filtered by suffix. */
static void for_each_glob(struct conf_ctx *c, void *state, const char *pattern, unsigned depth,
                          bool dir_files, const char *suffix, conf_file_fn fn)
{
    char esc_root[PATH_MAX], full[PATH_MAX];
    size_t rl = root_is_slash(c->root) ? 0 : strlen(c->root);
    while (rl > 0 && c->root[rl - 1] == '/')
        rl--;
    char rootcopy[PATH_MAX];
    if (rl >= sizeof rootcopy)
        return;
    memcpy(rootcopy, c->root ? c->root : "", rl);
    rootcopy[rl] = '\0';
    if (!glob_escape(rootcopy, esc_root, sizeof esc_root))
        return;
    int n = snprintf(full, sizeof full, "%s%s", esc_root, pattern);
    if (n < 0 || (size_t)n >= sizeof full)
        return;
    glob_t g;
    int rc = glob(full, GLOB_MARK, NULL, &g);
    if (rc != 0) {
        if (rc != GLOB_NOMATCH)
            note_skipped(c, pattern, "cannot expand");
        globfree(&g);
        return;
    }
    for (size_t i = 0; i < g.gl_pathc && !c->nomem; i++) {
        const char *path = g.gl_pathv[i] + rl;
        size_t pl = strlen(path);
        if (pl > 0 && path[pl - 1] == '/') { /* GLOB_MARK: a directory */
            if (dir_files && depth < CONF_MAX_DEPTH) {
                char sub[PATH_MAX];
                int m = snprintf(sub, sizeof sub, "%s*%s", path, suffix ? suffix : "");
                if (m > 0 && (size_t)m < sizeof sub)
                    for_each_glob(c, state, sub, depth + 1, false, NULL, fn);
            }
            continue;
        }
        if (suffix && (pl < strlen(suffix) || strcmp(path + pl - strlen(suffix), suffix)))
            continue;
        fn(c, state, path, depth);
    }
    globfree(&g);
}

/* An include argument made absolute: relative ones are taken from base (a directory). */
static bool absolute_from(const char *base, const char *arg, char *out, size_t cap)
{
    int n = arg[0] == '/' ? snprintf(out, cap, "%s", arg) : snprintf(out, cap, "%s/%s", base, arg);
    return n > 0 && (size_t)n < cap;
}

/* The directory part of a machine path ("/etc/dovecot/conf.d/10-ssl.conf" -> ".../conf.d"). */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    snprintf(out, cap, "%.*s", (int)n, path);
}

/* ---- words: unquoted, '...' or "..." with backslash escapes ---- */

/* Reads one word from *p (skipping blanks, not newlines) into out; stops at any of `stops`
 * when unquoted. Returns false when the line has no more words. A word longer than cap is cut
 * (and then names no real file). */
static bool next_word(const char **p, const char *stops, char *out, size_t cap)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    if (!*s || *s == '\n' || strchr(stops, *s)) {
        *p = s;
        return false;
    }
    size_t o = 0;
    char quote = (*s == '"' || *s == '\'') ? *s++ : 0;
    for (; *s && *s != '\n'; s++) {
        if (quote && *s == quote) {
            s++;
            break;
        }
        if (!quote && (isspace((unsigned char)*s) || strchr(stops, *s)))
            break;
        if (*s == '\\' && s[1] && s[1] != '\n')
            s++;
        if (o + 1 < cap)
            out[o++] = *s;
    }
    out[o] = '\0';
    *p = s;
    return true;
}

static bool word_is(const char *w, const char *name) { return !strcasecmp(w, name); }

/* ---- nginx ---- */

enum ngx_block { NGX_OTHER, NGX_HTTP, NGX_SERVER };

#define NGX_WORDS       8
#define NGX_BLOCK_DEPTH 64

struct ngx_state {
    enum ngx_block stack[NGX_BLOCK_DEPTH];
    unsigned depth; /* blocks open; deeper ones than the stack holds are NGX_OTHER */
    struct pending server, http;
    char words[NGX_WORDS][WORD_MAX];
    unsigned nwords;
    unsigned line; /* of the directive's first word */
};

static void ngx_file(struct conf_ctx *c, void *state, const char *path, unsigned depth);
static void ngx_text(struct conf_ctx *c, struct ngx_state *s, const char *file, char *text,
                     unsigned depth);

/* Paths in nginx's configuration are relative to its prefix (the directory of nginx.conf). */
static void ngx_path(const char *arg, char *out, size_t cap)
{
    if (!absolute_from("/etc/nginx", arg, out, cap))
        out[0] = '\0';
}

static void ngx_join_words(struct conf_ctx *c, struct ngx_state *s, char **slot, const char *sep)
{
    char buf[1024] = "";
    size_t len = 0;
    if (*slot)
        len = (size_t)snprintf(buf, sizeof buf, "%s%s", *slot, sep);
    for (unsigned i = 1; i < s->nwords && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i > 1 ? " " : "", s->words[i]);
    set_str(c, slot, buf);
}

/* A directive ended by ';'. */
static void ngx_directive(struct conf_ctx *c, struct ngx_state *s, const char *file, unsigned depth)
{
    const char *d = s->words[0];
    enum ngx_block in =
        s->depth && s->depth <= NGX_BLOCK_DEPTH ? s->stack[s->depth - 1] : NGX_OTHER;
    struct pending *p = in == NGX_SERVER ? &s->server : &s->http;
    bool cert = !strcmp(d, "ssl_certificate"), key = !strcmp(d, "ssl_certificate_key");
    if (!strcmp(d, "include") && s->nwords == 2) {
        char pat[PATH_MAX];
        if (depth + 1 > CONF_MAX_DEPTH)
            note_bound(c, file);
        else if (absolute_from("/etc/nginx", s->words[1], pat, sizeof pat))
            for_each_glob(c, s, pat, depth + 1, false, NULL, ngx_file);
    } else if ((cert || key) && s->nwords == 2 && (in == NGX_SERVER || in == NGX_HTTP)) {
        char path[PATH_MAX];
        ngx_path(s->words[1], path, sizeof path);
        if (path[0])
            pending_add(c, p, cert, path, file, s->line);
    } else if (in == NGX_SERVER && !strcmp(d, "server_name")) {
        ngx_join_words(c, s, &s->server.name, " ");
    } else if (in == NGX_SERVER && !strcmp(d, "listen")) {
        ngx_join_words(c, s, &s->server.listen, "; ");
    }
}

/* http{}, stream{} (TLS-terminating TCP proxies) and mail{} (IMAP/POP3/SMTP proxies) all hold
 * server{} blocks that serve TLS with ssl_certificate. */
static bool ngx_top_block(const char *w)
{
    return !strcmp(w, "http") || !strcmp(w, "stream") || !strcmp(w, "mail");
}

static void ngx_open(struct conf_ctx *c, struct ngx_state *s)
{
    enum ngx_block kind = NGX_OTHER;
    if (s->nwords == 1 && ngx_top_block(s->words[0])) {
        kind = NGX_HTTP;
        char name[32];
        snprintf(name, sizeof name, "(%.8s default)", s->words[0]);
        pending_free(&s->http);
        set_str(c, &s->http.name, name);
    } else if (s->nwords == 1 && !strcmp(s->words[0], "server") && s->depth &&
               s->depth <= NGX_BLOCK_DEPTH && s->stack[s->depth - 1] == NGX_HTTP) {
        kind = NGX_SERVER;
        pending_free(&s->server);
    }
    if (s->depth < NGX_BLOCK_DEPTH)
        s->stack[s->depth] = kind;
    s->depth++;
}

static void ngx_close(struct conf_ctx *c, struct ngx_state *s)
{
    if (!s->depth)
        return; /* stray '}': nginx refuses to start; nothing to pair */
    s->depth--;
    enum ngx_block kind = s->depth < NGX_BLOCK_DEPTH ? s->stack[s->depth] : NGX_OTHER;
    if (kind == NGX_SERVER)
        pending_emit(c, &s->server);
    else if (kind == NGX_HTTP)
        pending_emit(c, &s->http);
}

/* Ends the current statement at ';', '{' or '}'. */
static void ngx_end(struct conf_ctx *c, struct ngx_state *s, const char *file, char ch,
                    unsigned depth)
{
    if (ch == ';' && s->nwords)
        ngx_directive(c, s, file, depth);
    else if (ch == '{')
        ngx_open(c, s);
    else if (ch == '}')
        ngx_close(c, s);
    s->nwords = 0;
}

static void ngx_text(struct conf_ctx *c, struct ngx_state *s, const char *file, char *text,
                     unsigned depth)
{
    const char *p = text;
    unsigned line = 1;
    s->nwords = 0;
    while (*p && !c->nomem) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (*p == '#') {
            p += strcspn(p, "\n");
        } else if (*p == ';' || *p == '{' || *p == '}') {
            ngx_end(c, s, file, *p++, depth);
        } else if (isspace((unsigned char)*p)) {
            p++;
        } else {
            char w[WORD_MAX];
            const char *start = p;
            if (!next_word(&p, ";{}", w, sizeof w) || p == start) {
                p++; /* cannot happen with the checks above; keep the loop moving regardless */
                continue;
            }
            if (!s->nwords)
                s->line = line;
            if (s->nwords < NGX_WORDS)
                memcpy(s->words[s->nwords++], w, strlen(w) + 1);
        }
    }
    s->nwords = 0; /* a statement does not continue into the including file */
}

static void ngx_file(struct conf_ctx *c, void *state, const char *path, unsigned depth)
{
    char *text = read_conf(c, path);
    if (!text)
        return;
    ngx_text(c, state, path, text, depth);
    free(text);
}

static void ngx_finish(struct conf_ctx *c, struct ngx_state *s)
{
    /* Unclosed blocks still name their files: report what was seen. */
    pending_emit(c, &s->server);
    pending_emit(c, &s->http);
}

/* ---- Apache ---- */

struct apache_state {
    char server_root[PATH_MAX];
    bool in_vhost;
    struct pending vhost, global;
};

static void apache_file(struct conf_ctx *c, void *state, const char *path, unsigned depth);

/* Joins backslash-continued lines in place (the joints become blanks, so line numbers of the
 * following lines are kept by the caller counting the newlines it blanked). Returns the end of
 * the logical line; *extra counts the joined newlines. */
static char *logical_line(char *p, unsigned *extra)
{
    *extra = 0;
    for (;;) {
        char *nl = strchr(p, '\n');
        char *end = nl ? nl : p + strlen(p);
        char *last = end;
        while (last > p && (last[-1] == '\r' || last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if (!nl || last == p || last[-1] != '\\')
            return end;
        last[-1] = ' ';
        *nl = ' ';
        (*extra)++;
        p = nl + 1;
    }
}

static void apache_path(const struct apache_state *s, const char *arg, char *out, size_t cap)
{
    if (!absolute_from(s->server_root, arg, out, cap))
        out[0] = '\0';
}

static void apache_section(struct conf_ctx *c, struct apache_state *s, const char *w,
                           const char *rest)
{
    if (word_is(w, "<VirtualHost")) {
        pending_free(&s->vhost);
        s->in_vhost = true;
        char addr[1024];
        snprintf(addr, sizeof addr, "%s", rest);
        char *gt = strrchr(addr, '>');
        if (gt)
            *gt = '\0';
        const char *a = addr;
        while (isspace((unsigned char)*a))
            a++;
        set_str(c, &s->vhost.listen, a);
    } else if (word_is(w, "</VirtualHost>") || word_is(w, "</VirtualHost")) {
        if (s->in_vhost)
            pending_emit(c, &s->vhost);
        s->in_vhost = false;
    }
}

static void apache_directive(struct conf_ctx *c, struct apache_state *s, const char *file,
                             unsigned line, const char *w, const char **rest, unsigned depth)
{
    char arg[WORD_MAX], path[PATH_MAX];
    if (!next_word(rest, "", arg, sizeof arg))
        return;
    struct pending *p = s->in_vhost ? &s->vhost : &s->global;
    if (word_is(w, "ServerRoot")) {
        if (arg[0] == '/') /* Apache refuses a relative one, and so do we */
            snprintf(s->server_root, sizeof s->server_root, "%s", arg);
    } else if (word_is(w, "Include") || word_is(w, "IncludeOptional")) {
        if (depth + 1 > CONF_MAX_DEPTH)
            note_bound(c, file);
        else if (absolute_from(s->server_root, arg, path, sizeof path))
            for_each_glob(c, s, path, depth + 1, true, NULL, apache_file);
    } else if (word_is(w, "SSLCertificateFile") || word_is(w, "SSLCertificateKeyFile")) {
        apache_path(s, arg, path, sizeof path);
        if (path[0])
            pending_add(c, p, word_is(w, "SSLCertificateFile"), path, file, line);
    } else if (word_is(w, "SSLCertificateChainFile")) {
        apache_path(s, arg, path, sizeof path);
        if (path[0])
            set_str(c, &p->chain, path);
    } else if (word_is(w, "ServerName") && s->in_vhost) {
        set_str(c, &p->name, arg);
    }
}

static void apache_text(struct conf_ctx *c, struct apache_state *s, const char *file, char *text,
                        unsigned depth)
{
    char *p = text;
    unsigned line = 1;
    while (*p && !c->nomem) {
        unsigned extra;
        char *end = logical_line(p, &extra);
        char saved = *end;
        *end = '\0';
        const char *q = p;
        char w[256];
        if (next_word(&q, "#", w, sizeof w)) {
            if (w[0] == '<')
                apache_section(c, s, w, q);
            else
                apache_directive(c, s, file, line, w, &q, depth);
        }
        *end = saved;
        line += 1 + extra;
        p = saved ? end + 1 : end;
    }
}

static void apache_file(struct conf_ctx *c, void *state, const char *path, unsigned depth)
{
    char *text = read_conf(c, path);
    if (!text)
        return;
    apache_text(c, state, path, text, depth);
    free(text);
}

static void apache_finish(struct conf_ctx *c, struct apache_state *s)
{
    if (s->in_vhost)
        pending_emit(c, &s->vhost);
    if (!s->global.name)
        set_str(c, &s->global.name, "(global)");
    pending_emit(c, &s->global);
    pending_free(&s->vhost);
}

/* ---- Postfix ---- */

#define PF_PARAMS 512

struct pf_param {
    char *name, *value;
    unsigned line;
};

struct pf_state {
    struct pf_param params[PF_PARAMS];
    size_t count;
};

static struct pf_param *pf_find(struct pf_state *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->count; i++)
        if (strlen(s->params[i].name) == len && !strncmp(s->params[i].name, name, len))
            return &s->params[i];
    return NULL;
}

/* The last definition wins, as in postconf. */
static void pf_define(struct conf_ctx *c, struct pf_state *s, const char *name, const char *value,
                      unsigned line)
{
    struct pf_param *p = pf_find(s, name, strlen(name));
    if (!p) {
        if (s->count >= PF_PARAMS)
            return;
        p = &s->params[s->count];
        p->name = strdup(name);
        if (!p->name) {
            c->nomem = true;
            return;
        }
        s->count++;
    }
    set_str(c, &p->value, value);
    p->line = line;
}

/* $name, ${name}, $(name) from main.cf (or config_directory's default), recursively up to
 * depth 8; unknown names stay as written so the record shows what was not understood. */
static void pf_expand(struct pf_state *s, const char *v, char *out, size_t cap, unsigned depth)
{
    size_t o = 0;
    while (*v && o + 1 < cap) {
        if (*v != '$' || depth >= 8) {
            out[o++] = *v++;
            continue;
        }
        const char *n = v + 1;
        char close = *n == '{' ? '}' : *n == '(' ? ')' : 0;
        if (close)
            n++;
        size_t len = 0;
        while (isalnum((unsigned char)n[len]) || n[len] == '_')
            len++;
        bool well_formed = len && (!close || n[len] == close);
        struct pf_param *p = well_formed ? pf_find(s, n, len) : NULL;
        const char *val = p ? p->value : NULL;
        if (!val && well_formed && len == 16 && !strncmp(n, "config_directory", len))
            val = "/etc/postfix";
        if (!val) {
            out[o++] = *v++;
            continue;
        }
        pf_expand(s, val, out + o, cap - o, depth + 1);
        o += strlen(out + o);
        v = n + len + (close ? 1 : 0);
    }
    out[o] = '\0';
}

/* A comment line inside a continuation is skipped without ending it (as postfix's readlline). */
static void pf_blank_comment(char *l)
{
    char *q = l + strspn(l, " \t\r");
    if (*q != '#')
        return;
    size_t n = strcspn(l, "\n");
    memset(l, ' ', n);
}

static void pf_text(struct conf_ctx *c, struct pf_state *s, char *text)
{
    char *p = text;
    unsigned line = 1;
    while (*p && !c->nomem) {
        /* A logical line goes on while the next physical line starts with blanks. */
        unsigned start = line;
        char *end = p;
        for (;;) {
            end += strcspn(end, "\n");
            if (*end != '\n' || (end[1] != ' ' && end[1] != '\t'))
                break;
            *end = ' ';
            line++;
            pf_blank_comment(end + 1);
        }
        char saved = *end;
        *end = '\0';
        char *q = p;
        while (isspace((unsigned char)*q))
            q++;
        char *eq = strchr(q, '=');
        if (*q && *q != '#' && eq && q == p) {
            char *ne = eq;
            while (ne > q && isspace((unsigned char)ne[-1]))
                ne--;
            *ne = '\0';
            char *v = eq + 1;
            while (isspace((unsigned char)*v))
                v++;
            size_t vl = strlen(v);
            while (vl && isspace((unsigned char)v[vl - 1]))
                v[--vl] = '\0';
            pf_define(c, s, q, v, start);
        }
        *end = saved;
        line++;
        p = saved ? end + 1 : end;
    }
}

/* A parameter's value expanded; relative paths taken from the configuration directory. */
static void pf_path(struct pf_state *s, const char *value, char *out, size_t cap)
{
    char exp[PATH_MAX];
    pf_expand(s, value, exp, sizeof exp, 0);
    if (!exp[0] || !absolute_from("/etc/postfix", exp, out, cap))
        out[0] = '\0';
}

/* One role's pair: cert and key parameters; the key defaults to the certificate file, as
 * postconf's defaults say. */
static void pf_pair(struct conf_ctx *c, struct pf_state *s, const char *file, const char *certp,
                    const char *keyp, const char *role)
{
    struct pf_param *cp = pf_find(s, certp, strlen(certp));
    struct pf_param *kp = pf_find(s, keyp, strlen(keyp));
    char cert[PATH_MAX] = "", key[PATH_MAX] = "";
    if (cp && cp->value)
        pf_path(s, cp->value, cert, sizeof cert);
    if (kp && kp->value)
        pf_path(s, kp->value, key, sizeof key);
    if (!key[0])
        memcpy(key, cert, sizeof key);
    if (!cert[0])
        return;
    struct pending p = {0};
    pending_set(c, &p, true, cert, file, cp->line);
    pending_set(c, &p, false, key, file, kp ? kp->line : cp->line);
    set_str(c, &p.name, role);
    pending_emit(c, &p);
}

/* smtpd_tls_chain_files: each file holds a key followed by its chain. */
static void pf_chain_files(struct conf_ctx *c, struct pf_state *s, const char *file,
                           const char *param, const char *role)
{
    struct pf_param *cp = pf_find(s, param, strlen(param));
    if (!cp || !cp->value)
        return;
    char list[PATH_MAX];
    pf_expand(s, cp->value, list, sizeof list, 0);
    for (char *save = NULL, *tok = strtok_r(list, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        char path[PATH_MAX];
        if (!absolute_from("/etc/postfix", tok, path, sizeof path))
            continue;
        struct pending p = {0};
        pending_set(c, &p, true, path, file, cp->line);
        pending_set(c, &p, false, path, file, cp->line);
        set_str(c, &p.name, role);
        pending_emit(c, &p);
    }
}

static void pf_finish(struct conf_ctx *c, struct pf_state *s, const char *file)
{
    pf_pair(c, s, file, "smtpd_tls_cert_file", "smtpd_tls_key_file", "smtpd");
    pf_pair(c, s, file, "smtpd_tls_eccert_file", "smtpd_tls_eckey_file", "smtpd (ECDSA)");
    pf_pair(c, s, file, "smtpd_tls_dcert_file", "smtpd_tls_dkey_file", "smtpd (DSA)");
    pf_chain_files(c, s, file, "smtpd_tls_chain_files", "smtpd");
    pf_pair(c, s, file, "smtp_tls_cert_file", "smtp_tls_key_file", "smtp (client)");
    pf_chain_files(c, s, file, "smtp_tls_chain_files", "smtp (client)");
    for (size_t i = 0; i < s->count; i++) {
        free(s->params[i].name);
        free(s->params[i].value);
    }
    s->count = 0;
}

/* ---- Dovecot ---- */

#define DC_DEPTH 16

struct dc_state {
    struct pending sections[DC_DEPTH + 1]; /* [0] is the top level */
    unsigned depth;                        /* sections open; deeper ones are not tracked */
};

static void dc_file(struct conf_ctx *c, void *state, const char *path, unsigned depth);

static struct pending *dc_top(struct dc_state *s)
{
    return s->depth <= DC_DEPTH ? &s->sections[s->depth] : NULL;
}

/* "ssl_cert = </etc/ssl/x.pem" (2.3: '<' reads the file) or "ssl_server_cert_file = /x" (2.4). */
static void dc_setting(struct conf_ctx *c, struct dc_state *s, const char *file, unsigned line,
                       const char *key, const char *value)
{
    struct pending *p = dc_top(s);
    if (!p || !value[0])
        return;
    const char *path = value[0] == '<' ? value + 1 : value;
    while (isspace((unsigned char)*path))
        path++;
    char abs[PATH_MAX];
    if (!absolute_from("/etc/dovecot", path, abs, sizeof abs))
        return;
    if (!strcmp(key, "ssl_cert") || !strcmp(key, "ssl_server_cert_file"))
        pending_set(c, p, true, abs, file, line);
    else if (!strcmp(key, "ssl_key") || !strcmp(key, "ssl_server_key_file"))
        pending_set(c, p, false, abs, file, line);
    else if (!strcmp(key, "ssl_ca") || !strcmp(key, "ssl_server_ca_file"))
        set_str(c, &p->chain, abs);
}

static void dc_section_open(struct conf_ctx *c, struct dc_state *s, const char *header)
{
    s->depth++;
    struct pending *p = dc_top(s);
    if (!p)
        return;
    pending_free(p);
    set_str(c, &p->name, header);
}

static void dc_section_close(struct conf_ctx *c, struct dc_state *s)
{
    if (!s->depth)
        return;
    struct pending *p = dc_top(s);
    if (p)
        pending_emit(c, p);
    s->depth--;
}

static void dc_include(struct conf_ctx *c, struct dc_state *s, const char *file, const char *arg,
                       unsigned depth)
{
    char dir[PATH_MAX], pat[PATH_MAX];
    dir_of(file, dir, sizeof dir);
    if (depth + 1 > CONF_MAX_DEPTH)
        note_bound(c, file);
    else if (absolute_from(dir, arg, pat, sizeof pat))
        for_each_glob(c, s, pat, depth + 1, false, NULL, dc_file);
}

/* Strips a comment: '#' at the start or after a blank, outside quotes. */
static void dc_strip_comment(char *l)
{
    char quote = 0;
    for (char *q = l; *q; q++) {
        if (quote) {
            quote = *q == quote ? 0 : quote;
        } else if (*q == '"' || *q == '\'') {
            quote = *q;
        } else if (*q == '#' && (q == l || isspace((unsigned char)q[-1]))) {
            *q = '\0';
            return;
        }
    }
}

static void dc_line(struct conf_ctx *c, struct dc_state *s, const char *file, unsigned line,
                    char *l, unsigned depth)
{
    dc_strip_comment(l);
    char w[256], arg[WORD_MAX];
    const char *q = l;
    if (!next_word(&q, "={}", w, sizeof w)) {
        if (*q == '}')
            dc_section_close(c, s);
        return;
    }
    if (!strcmp(w, "!include") || !strcmp(w, "!include_try")) {
        if (next_word(&q, "", arg, sizeof arg))
            dc_include(c, s, file, arg, depth);
        return;
    }
    while (isspace((unsigned char)*q))
        q++;
    if (*q == '=') {
        q++;
        if (!next_word(&q, "", arg, sizeof arg))
            arg[0] = '\0';
        dc_setting(c, s, file, line, w, arg);
    } else if (strchr(q, '{')) {
        char header[512];
        const char *brace = strchr(q, '{');
        snprintf(header, sizeof header, "%s %.*s", w, (int)(brace - q), q);
        size_t hl = strlen(header);
        while (hl && isspace((unsigned char)header[hl - 1]))
            header[--hl] = '\0';
        dc_section_open(c, s, header);
        if (strchr(brace, '}'))
            dc_section_close(c, s); /* "section { }" on one line */
    }
}

static void dc_text(struct conf_ctx *c, struct dc_state *s, const char *file, char *text,
                    unsigned depth)
{
    char *p = text;
    unsigned line = 1;
    while (*p && !c->nomem) {
        char *end = p + strcspn(p, "\n");
        char saved = *end;
        *end = '\0';
        dc_line(c, s, file, line, p, depth);
        *end = saved;
        line++;
        p = saved ? end + 1 : end;
    }
}

static void dc_file(struct conf_ctx *c, void *state, const char *path, unsigned depth)
{
    char *text = read_conf(c, path);
    if (!text)
        return;
    dc_text(c, state, path, text, depth);
    free(text);
}

static void dc_finish(struct conf_ctx *c, struct dc_state *s)
{
    while (s->depth)
        dc_section_close(c, s);
    if (!s->sections[0].name)
        set_str(c, &s->sections[0].name, "(global)");
    pending_emit(c, &s->sections[0]);
}

/* ---- MariaDB / MySQL ---- */

struct my_state {
    bool in_server; /* [mysqld], [mariadb], [server], [mysqld-8.0], [mariadbd] ... */
    char datadir[PATH_MAX];
    struct pending server;
};

static void my_file(struct conf_ctx *c, void *state, const char *path, unsigned depth);

static bool my_server_section(const char *name)
{
    static const char *const prefixes[] = {"mysqld", "mariadb", "server"};
    for (size_t i = 0; i < HC_ARRAY_LEN(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncasecmp(name, prefixes[i], n) &&
            (name[n] == ']' || (name[n] == 'd' && name[n + 1] == ']') ||
             (name[n] == '-' && isdigit((unsigned char)name[n + 1]))))
            return true;
    }
    return false;
}

/* "ssl-cert" and "ssl_cert" are the same option. */
static void my_normalize(char *key)
{
    for (; *key; key++)
        *key = *key == '-' ? '_' : (char)tolower((unsigned char)*key);
}

static void my_option(struct conf_ctx *c, struct my_state *s, const char *file, unsigned line,
                      char *key, const char *value)
{
    my_normalize(key);
    char path[PATH_MAX];
    if (!strcmp(key, "datadir")) {
        if (value[0] == '/') /* a relative one would make every path relative: ignored */
            snprintf(s->datadir, sizeof s->datadir, "%s", value);
        return;
    }
    /* Relative paths are taken from the data directory, where MySQL also writes its own. */
    if (!value[0] || !absolute_from(s->datadir, value, path, sizeof path))
        return;
    if (!strcmp(key, "ssl_cert"))
        pending_set(c, &s->server, true, path, file, line);
    else if (!strcmp(key, "ssl_key"))
        pending_set(c, &s->server, false, path, file, line);
    else if (!strcmp(key, "ssl_ca"))
        set_str(c, &s->server.chain, path);
}

static void my_line(struct conf_ctx *c, struct my_state *s, const char *file, unsigned line,
                    char *l, unsigned depth)
{
    char w[256], arg[WORD_MAX], path[PATH_MAX];
    const char *q = l;
    while (isspace((unsigned char)*q))
        q++;
    if (*q == '#' || *q == ';' || !*q)
        return;
    if (*q == '[') {
        s->in_server = my_server_section(q + 1);
        return;
    }
    if (!strncmp(q, "!include", 8)) {
        bool dir = !strncmp(q, "!includedir", 11);
        q += dir ? 11 : 8;
        if (!next_word(&q, "", arg, sizeof arg) ||
            !absolute_from("/etc/mysql", arg, path, sizeof path))
            return;
        if (depth + 1 > CONF_MAX_DEPTH)
            note_bound(c, file);
        else if (dir)
            for_each_glob(c, s, path, depth + 1, true, ".cnf", my_file);
        else
            for_each_glob(c, s, path, depth + 1, false, NULL, my_file);
        return;
    }
    if (!s->in_server || !next_word(&q, "=#", w, sizeof w))
        return;
    while (isspace((unsigned char)*q))
        q++;
    if (*q != '=')
        return;
    q++;
    if (!next_word(&q, "#", arg, sizeof arg))
        arg[0] = '\0';
    my_option(c, s, file, line, w, arg);
}

static void my_text(struct conf_ctx *c, struct my_state *s, const char *file, char *text,
                    unsigned depth)
{
    char *p = text;
    unsigned line = 1;
    bool was_server = s->in_server;
    s->in_server = false; /* each file starts outside any section */
    while (*p && !c->nomem) {
        char *end = p + strcspn(p, "\n");
        char saved = *end;
        *end = '\0';
        my_line(c, s, file, line, p, depth);
        *end = saved;
        line++;
        p = saved ? end + 1 : end;
    }
    s->in_server = was_server; /* the including file's section goes on after !include */
}

static void my_file(struct conf_ctx *c, void *state, const char *path, unsigned depth)
{
    char *text = read_conf(c, path);
    if (!text)
        return;
    my_text(c, state, path, text, depth);
    free(text);
}

static void my_finish(struct conf_ctx *c, struct my_state *s)
{
    if (s->server.ncert || s->server.nkey)
        set_str(c, &s->server.name, "mysqld");
    pending_emit(c, &s->server);
}

/* ---- entry points: one descriptor per service ---- */

union any_state {
    struct ngx_state ngx;
    struct apache_state apache;
    struct pf_state pf;
    struct dc_state dc;
    struct my_state my;
};

static void state_init(enum host_tls_service svc, union any_state *u)
{
    memset(u, 0, sizeof *u);
    if (svc == HOST_TLS_MARIADB)
        snprintf(u->my.datadir, sizeof u->my.datadir, "/var/lib/mysql");
}

/* Parses one main file's text (the copy is ours to modify) with the state of service svc. */
static void run_text(struct conf_ctx *c, enum host_tls_service svc, union any_state *u,
                     const char *name, char *text)
{
    switch (svc) {
    case HOST_TLS_NGINX: ngx_text(c, &u->ngx, name, text, 0); break;
    case HOST_TLS_APACHE: apache_text(c, &u->apache, name, text, 0); break;
    case HOST_TLS_POSTFIX: pf_text(c, &u->pf, text); break;
    case HOST_TLS_DOVECOT: dc_text(c, &u->dc, name, text, 0); break;
    case HOST_TLS_MARIADB: my_text(c, &u->my, name, text, 0); break;
    default: break;
    }
}

static void run_finish(struct conf_ctx *c, enum host_tls_service svc, union any_state *u,
                       const char *name)
{
    switch (svc) {
    case HOST_TLS_NGINX: ngx_finish(c, &u->ngx); break;
    case HOST_TLS_APACHE: apache_finish(c, &u->apache); break;
    case HOST_TLS_POSTFIX: pf_finish(c, &u->pf, name); break;
    case HOST_TLS_DOVECOT: dc_finish(c, &u->dc); break;
    case HOST_TLS_MARIADB: my_finish(c, &u->my); break;
    default: break;
    }
}

/* Runs service svc over the main file `name`: from text when given, else read under root. */
static hc_result run_service(enum host_tls_service svc, const char *root, const char *name,
                             const char *text, size_t len, const char *server_root,
                             struct host_tls_refs *out)
{
    HC_ENSURE(host_tls_service_name(svc), HC_ERR_USAGE);
    struct conf_ctx c = {.root = root, .service = host_tls_service_name(svc), .out = out};
    union any_state *u = malloc(sizeof *u); /* ~100 KiB of word buffers: not on the stack */
    HC_ENSURE(u, HC_ERR_NOMEM);
    state_init(svc, u);
    if (svc == HOST_TLS_APACHE)
        snprintf(u->apache.server_root, sizeof u->apache.server_root, "%s", server_root);
    char *copy = text ? text_copy(text, len) : read_conf(&c, name);
    if (text && !copy)
        c.nomem = true;
    if (copy) {
        run_text(&c, svc, u, name, copy);
        run_finish(&c, svc, u, name);
    }
    free(copy);
    free(u);
    return c.nomem ? HC_RESULT(HC_ERR_NOMEM) : HC_SUCCESS;
}

hc_result host_tlsconf_parse_text(enum host_tls_service s, const char *root, const char *name,
                                  const char *text, size_t len, struct host_tls_refs *out)
{
    HC_ENSURE(text || !len, HC_ERR_USAGE);
    const char *server_root = "/etc/apache2";
    if (name && !strncmp(name, "/etc/httpd/", 11))
        server_root = "/etc/httpd";
    return run_service(s, root, name ? name : "(text)", text ? text : "", len, server_root, out);
}

hc_result host_tlsconf_nginx(const char *root, struct host_tls_refs *out)
{
    return run_service(HOST_TLS_NGINX, root, "/etc/nginx/nginx.conf", NULL, 0, NULL, out);
}

hc_result host_tlsconf_apache(const char *root, struct host_tls_refs *out)
{
    /* Debian's layout, then Red Hat's: a machine rarely has both, both are read if so. */
    HC_TRY(run_service(HOST_TLS_APACHE, root, "/etc/apache2/apache2.conf", NULL, 0, "/etc/apache2",
                       out));
    return run_service(HOST_TLS_APACHE, root, "/etc/httpd/conf/httpd.conf", NULL, 0, "/etc/httpd",
                       out);
}

hc_result host_tlsconf_postfix(const char *root, struct host_tls_refs *out)
{
    return run_service(HOST_TLS_POSTFIX, root, "/etc/postfix/main.cf", NULL, 0, NULL, out);
}

hc_result host_tlsconf_dovecot(const char *root, struct host_tls_refs *out)
{
    return run_service(HOST_TLS_DOVECOT, root, "/etc/dovecot/dovecot.conf", NULL, 0, NULL, out);
}

hc_result host_tlsconf_mariadb(const char *root, struct host_tls_refs *out)
{
    /* Debian's /etc/mysql/my.cnf, else Red Hat's /etc/my.cnf (+ /etc/my.cnf.d). */
    size_t before = out->count;
    HC_TRY(run_service(HOST_TLS_MARIADB, root, "/etc/mysql/my.cnf", NULL, 0, NULL, out));
    if (out->count > before)
        return HC_SUCCESS;
    return run_service(HOST_TLS_MARIADB, root, "/etc/my.cnf", NULL, 0, NULL, out);
}

hc_result host_tlsconf_all(const char *root, struct host_tls_refs *out)
{
    HC_TRY(host_tlsconf_nginx(root, out));
    HC_TRY(host_tlsconf_apache(root, out));
    HC_TRY(host_tlsconf_postfix(root, out));
    HC_TRY(host_tlsconf_dovecot(root, out));
    return host_tlsconf_mariadb(root, out);
}
