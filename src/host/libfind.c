/* libfind: the shared libssl and libcrypto copies the dynamic linker can load.
 *
 * The linker looks in its cache first, then in the directories it was configured with, then
 * in the standard ones; we look in the same order so that each file (device + inode) keeps
 * the path the linker would use. Everything is read under ROOT, never through the host's own
 * view of absolute symlinks, so that an image mounted elsewhere is seen as it would boot. */
#include "host/copies.h"
#include "wire/wire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- ld.so.cache ------------------------------------------------------------------------ */

/* glibc's elf/cache.h: the old table (magic, padding, nlibs, 12-byte entries) may come first;
 * the new header follows it, aligned like the new structure (8 bytes). */
static const char old_magic[] = "ld.so-1.7.0";
static const char new_magic[] = "glibc-ld.so.cache1.1";
enum {
    OLD_MAGIC_LEN = 11,
    OLD_HEADER_LEN = 16,
    OLD_ENTRY_LEN = 12,
    NEW_MAGIC_LEN = 17, /* "glibc-ld.so.cache", then the 3-byte version "1.1" */
    NEW_HEADER_LEN = 48,
    NEW_ENTRY_LEN = 24,
    NEW_FLAGS_AT = 28,
    ENDIAN_LITTLE = 2, /* cache_file_new_flags_endian_little; 0 is "unset" (older glibc) */
};

static hc_result defect(struct ldcache *c, enum hc_error e, const char *what)
{
    c->defect = what;
    return HC_RESULT(e);
}

/* The cache is in host byte order; only little-endian hosts are supported. */
static hc_result read_u32le(struct wire_reader *r, uint32_t *out)
{
    uint8_t b[4];
    HC_TRY(wire_copy_bytes(r, b, sizeof b));
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return HC_SUCCESS;
}

static bool has_prefix(const uint8_t *p, size_t len, const char *lit, size_t n)
{
    return len >= n && memcmp(p, lit, n) == 0;
}

/* Skips the old table, if any; leaves *at at the new header. */
static hc_result skip_old_table(const uint8_t *data, size_t len, size_t *at, struct ldcache *c)
{
    *at = 0;
    if (!has_prefix(data, len, old_magic, OLD_MAGIC_LEN))
        return HC_SUCCESS;
    struct wire_reader r = wire_reader_init(data, len);
    uint32_t nlibs;
    if (!hc_ok(wire_skip(&r, OLD_HEADER_LEN - 4)) || !hc_ok(read_u32le(&r, &nlibs)))
        return defect(c, HC_ERR_SHORT, "old header truncated");
    if ((uint64_t)nlibs * OLD_ENTRY_LEN > wire_remaining(&r))
        return defect(c, HC_ERR_SHORT, "old entries past end");
    size_t end = OLD_HEADER_LEN + (size_t)nlibs * OLD_ENTRY_LEN;
    size_t aligned = (end + 7) & ~(size_t)7;
    /* Writers disagreed on the padding over the years: accept the new header either way. */
    *at = has_prefix(data + end, len - end, new_magic, NEW_MAGIC_LEN) || aligned > len ? end
                                                                                       : aligned;
    return HC_SUCCESS;
}

static hc_result check_header(struct wire_reader *r, struct ldcache *c)
{
    const uint8_t *h = wire_peek(r);
    size_t len = wire_remaining(r);
    if (!has_prefix(h, len, new_magic, NEW_MAGIC_LEN))
        return defect(c, HC_ERR_BAD_VERSION, "no glibc-ld.so.cache header");
    if (!has_prefix(h, len, new_magic, sizeof new_magic - 1))
        return defect(c, HC_ERR_BAD_VERSION, "unknown cache version");
    if (len < NEW_HEADER_LEN)
        return defect(c, HC_ERR_SHORT, "header truncated");
    if (h[NEW_FLAGS_AT] != 0 && h[NEW_FLAGS_AT] != ENDIAN_LITTLE)
        return defect(c, HC_ERR_BAD_VERSION, "not a little-endian cache");
    HC_TRY(wire_skip(r, sizeof new_magic - 1));
    HC_TRY(read_u32le(r, &c->count));
    return wire_skip(r, NEW_HEADER_LEN - (sizeof new_magic - 1) - 4);
}

/* A string offset counts from the new header and must leave a NUL before the end. */
static hc_result check_string(const struct ldcache *c, uint32_t off, const char **what)
{
    if (off >= c->len) {
        *what = "string offset out of range";
        return HC_RESULT(HC_ERR_SHORT);
    }
    if (memchr(c->base + off, '\0', c->len - off) == NULL) {
        *what = "string not terminated";
        return HC_RESULT(HC_ERR_SHORT);
    }
    return HC_SUCCESS;
}

static hc_result check_entries(struct wire_reader *r, struct ldcache *c)
{
    if ((uint64_t)c->count * NEW_ENTRY_LEN > wire_remaining(r))
        return defect(c, HC_ERR_SHORT, "entries past end");
    for (uint32_t i = 0; i < c->count; i++) {
        uint32_t flags, key, value;
        HC_TRY(read_u32le(r, &flags));
        HC_TRY(read_u32le(r, &key));
        HC_TRY(read_u32le(r, &value));
        HC_TRY(wire_skip(r, NEW_ENTRY_LEN - 12)); /* osversion, hwcap */
        const char *what = NULL;
        hc_result res = check_string(c, key, &what);
        if (hc_ok(res))
            res = check_string(c, value, &what);
        if (!hc_ok(res))
            return defect(c, res.error, what);
    }
    return HC_SUCCESS;
}

hc_result ldcache_parse(const void *data, size_t len, struct ldcache *cache)
{
    *cache = (struct ldcache){0};
    static const uint8_t nothing[1];
    if (data == NULL) {
        data = nothing;
        len = 0;
    }
    size_t at;
    HC_TRY(skip_old_table(data, len, &at, cache));
    cache->base = (const uint8_t *)data + at;
    cache->len = len - at;
    struct wire_reader r = wire_reader_init(cache->base, cache->len);
    HC_TRY(check_header(&r, cache));
    return check_entries(&r, cache);
}

static uint32_t u32le_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct ldcache_entry ldcache_entry_at(const struct ldcache *cache, uint32_t i)
{
    /* Every offset was checked by ldcache_parse. */
    const uint8_t *e = cache->base + NEW_HEADER_LEN + (size_t)i * NEW_ENTRY_LEN;
    return (struct ldcache_entry){
        .flags = (int32_t)u32le_at(e),
        .soname = (const char *)cache->base + u32le_at(e + 4),
        .path = (const char *)cache->base + u32le_at(e + 8),
    };
}

/* ---- paths under ROOT ------------------------------------------------------------------- */

/* root + path, without doubling the slash; root "/" (or "") leaves path as it is. */
static char *under_root(const char *root, const char *path)
{
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    size_t pl = strlen(path);
    char *s = malloc(rl + pl + 2);
    if (s == NULL)
        return NULL;
    memcpy(s, root, rl);
    s[rl] = '/';
    memcpy(s + rl + (path[0] == '/' ? 0 : 1), path, pl + 1);
    return s;
}

enum { MAX_LINKS = 40 };

struct resolver {
    const char *root;
    char done[PATH_MAX]; /* resolved so far, inside root, "" = root itself */
    char todo[PATH_MAX]; /* what is left to walk */
    int links;
};

/* Replaces todo by target + "/" + rest; an absolute target starts again at root. */
static hc_result follow_link(struct resolver *rs, const char *target, const char *rest)
{
    HC_ENSURE(++rs->links <= MAX_LINKS, HC_ERR_IO);
    char next[PATH_MAX];
    int n = snprintf(next, sizeof next, "%s/%s", target, rest);
    HC_ENSURE(n > 0 && (size_t)n < sizeof next, HC_ERR_IO);
    if (target[0] == '/')
        rs->done[0] = '\0';
    memcpy(rs->todo, next, (size_t)n + 1);
    return HC_SUCCESS;
}

static hc_result step(struct resolver *rs, const char *comp, const char *rest)
{
    if (strcmp(comp, ".") == 0 || comp[0] == '\0')
        return HC_SUCCESS;
    if (strcmp(comp, "..") == 0) {
        char *slash = strrchr(rs->done, '/');
        if (slash != NULL)
            *slash = '\0'; /* ".." at root stays at root, as in a chroot */
        return HC_SUCCESS;
    }
    size_t dl = strlen(rs->done);
    HC_ENSURE(dl + 1 + strlen(comp) < sizeof rs->done, HC_ERR_IO);
    char *cand = rs->done;
    cand[dl] = '/';
    strcpy(cand + dl + 1, comp);
    char *full = under_root(rs->root, cand);
    HC_ENSURE(full != NULL, HC_ERR_NOMEM);
    struct stat st;
    char target[PATH_MAX];
    ssize_t tl = -1;
    int rc = lstat(full, &st);
    if (rc == 0 && S_ISLNK(st.st_mode))
        tl = readlink(full, target, sizeof target - 1);
    free(full);
    HC_ENSURE(rc == 0, HC_ERR_IO);
    if (!S_ISLNK(st.st_mode))
        return HC_SUCCESS;
    HC_ENSURE(tl > 0, HC_ERR_IO);
    target[tl] = '\0';
    cand[dl] = '\0'; /* the link itself is not part of the result */
    return follow_link(rs, target, rest);
}

hc_result libfind_resolve(const char *root, const char *path, char **out)
{
    *out = NULL;
    struct resolver *rs = calloc(1, sizeof *rs);
    HC_ENSURE(rs != NULL, HC_ERR_NOMEM);
    rs->root = root;
    hc_result res = HC_SUCCESS;
    if (strlen(path) >= sizeof rs->todo)
        res = HC_RESULT(HC_ERR_IO);
    else
        strcpy(rs->todo, path);
    while (hc_ok(res) && rs->todo[0] != '\0') {
        char comp[PATH_MAX];
        char rest[PATH_MAX];
        const char *slash = strchr(rs->todo, '/');
        size_t cl = slash ? (size_t)(slash - rs->todo) : strlen(rs->todo);
        memcpy(comp, rs->todo, cl);
        comp[cl] = '\0';
        strcpy(rest, slash ? slash + 1 : "");
        strcpy(rs->todo, rest);
        res = step(rs, comp, rest);
    }
    if (hc_ok(res)) {
        *out = strdup(rs->done[0] ? rs->done : "/");
        if (*out == NULL)
            res = HC_RESULT(HC_ERR_NOMEM);
    }
    free(rs);
    return res;
}

/* ---- small files ------------------------------------------------------------------------ */

/* Reads a whole file of at most max bytes (a larger one is an error: no cache or
 * configuration file comes near the limits used here). NUL-terminated for the text parsers. */
static hc_result read_small_file(const char *full, size_t max, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    HC_ENSURE(fd >= 0, HC_ERR_IO);
    struct stat st;
    hc_result res = HC_SUCCESS;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
        res = HC_RESULT(HC_ERR_IO);
    else if ((*buf = malloc((size_t)st.st_size + 1)) == NULL)
        res = HC_RESULT(HC_ERR_NOMEM);
    while (hc_ok(res) && *len < (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + *len, (size_t)st.st_size - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* shrank while we read: keep what we have */
        *len += (size_t)n;
    }
    close(fd);
    if (!hc_ok(res)) {
        free(*buf);
        *buf = NULL;
        return res;
    }
    (*buf)[*len] = '\0';
    return HC_SUCCESS;
}

/* ---- the list of copies ----------------------------------------------------------------- */

struct finder {
    const char *root;
    struct libfind_result *out;
    char **dirs; /* configured directories, in order, without duplicates */
    size_t ndirs;
    size_t dircap;
};

static bool name_kind(const char *base, enum libcopy_kind *kind)
{
    const char *rest;
    if (strncmp(base, "libssl.so", 9) == 0) {
        *kind = LIBCOPY_LIBSSL;
        rest = base + 9;
    } else if (strncmp(base, "libcrypto.so", 12) == 0) {
        *kind = LIBCOPY_LIBCRYPTO;
        rest = base + 12;
    } else {
        return false;
    }
    if (rest[0] == '\0')
        return true;
    if (rest[0] != '.')
        return false;
    /* "libssl.so.1.0.0", "libssl.so.10", "libssl.so.1.0.1e"; not ".hmac" or ".debug" files */
    for (const char *p = rest + 1; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || (*p >= 'a' && *p <= 'z' && p[1] == '\0')))
            return false;
    return true;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static struct libcopy *find_inode(struct libfind_result *r, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->copies[i].dev == dev && r->copies[i].ino == ino)
            return &r->copies[i];
    return NULL;
}

static hc_result grow(struct libfind_result *r)
{
    if (r->count < r->cap)
        return HC_SUCCESS;
    size_t cap = r->cap ? r->cap * 2 : 8;
    struct libcopy *n = realloc(r->copies, cap * sizeof *n);
    HC_ENSURE(n != NULL, HC_ERR_NOMEM);
    r->copies = n;
    r->cap = cap;
    return HC_SUCCESS;
}

/* The banner of an opened regular file, with its size and mtime. */
static hc_result read_copy(const char *full, struct libcopy *c)
{
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    HC_ENSURE(fd >= 0, HC_ERR_IO);
    struct stat st;
    hc_result res = HC_RESULT(HC_ERR_IO);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        c->size = (uint64_t)st.st_size;
        c->mtime = st.st_mtim;
        res = banner_find_fd(fd, c->size, &c->banner);
    }
    close(fd);
    return res;
}

/* Takes ownership of real, whatever happens. */
static hc_result add_new(struct finder *f, const char *path, char *real, const struct stat *st,
                         enum libcopy_kind kind, enum libcopy_source source)
{
    struct libcopy c = {.kind = kind, .source = source, .dev = st->st_dev, .ino = st->st_ino};
    char *full = under_root(f->root, real);
    hc_result res = full ? grow(f->out) : HC_RESULT(HC_ERR_NOMEM);
    if (hc_ok(res) && !hc_ok(read_copy(full, &c)))
        f->out->errors++; /* unreadable: counted, the search goes on */
    else if (hc_ok(res) && (c.path = strdup(path)) == NULL)
        res = HC_RESULT(HC_ERR_NOMEM);
    free(full);
    if (c.path == NULL) {
        free(real);
        return res;
    }
    c.real_path = real;
    f->out->copies[f->out->count++] = c;
    return HC_SUCCESS;
}

static bool unversioned(const char *path)
{
    const char *so = strstr(base_name(path), ".so");
    return so != NULL && so[3] == '\0';
}

/* Within one source, "libssl.so.3" beats the development link "libssl.so": the linker asks
 * for sonames. */
static hc_result maybe_rename(struct libcopy *c, const char *path, enum libcopy_source source)
{
    if (c->source != source || !unversioned(c->path) || unversioned(path))
        return HC_SUCCESS;
    char *p = strdup(path);
    HC_ENSURE(p != NULL, HC_ERR_NOMEM);
    free(c->path);
    c->path = p;
    return HC_SUCCESS;
}

/* One candidate path (inside root); missing files and dangling links are no copies. */
static hc_result consider(struct finder *f, const char *path, enum libcopy_source source)
{
    enum libcopy_kind kind;
    if (!name_kind(base_name(path), &kind))
        return HC_SUCCESS;
    char *real;
    hc_result res = libfind_resolve(f->root, path, &real);
    if (res.error == HC_ERR_NOMEM)
        return res;
    if (!hc_ok(res))
        return HC_SUCCESS;
    char *full = under_root(f->root, real);
    struct stat st;
    bool ok = full != NULL && lstat(full, &st) == 0 && S_ISREG(st.st_mode);
    free(full);
    struct libcopy *seen = ok ? find_inode(f->out, st.st_dev, st.st_ino) : NULL;
    if (!ok || seen != NULL) {
        free(real);
        return seen ? maybe_rename(seen, path, source) : HC_SUCCESS;
    }
    return add_new(f, path, real, &st, kind, source);
}

static hc_result scan_cache(struct finder *f)
{
    char *full = under_root(f->root, "/etc/ld.so.cache");
    HC_ENSURE(full != NULL, HC_ERR_NOMEM);
    uint8_t *buf;
    size_t len;
    hc_result res = read_small_file(full, (size_t)64 << 20, &buf, &len);
    free(full);
    if (!hc_ok(res)) {
        f->out->cache_status = res;
        return res.error == HC_ERR_NOMEM ? res : HC_SUCCESS;
    }
    struct ldcache cache;
    f->out->cache_status = ldcache_parse(buf, len, &cache);
    f->out->cache_defect = cache.defect;
    res = HC_SUCCESS;
    for (uint32_t i = 0; hc_ok(f->out->cache_status) && hc_ok(res) && i < cache.count; i++)
        res = consider(f, ldcache_entry_at(&cache, i).path, LIBCOPY_FROM_CACHE);
    free(buf);
    return res;
}

/* ---- ld.so.conf ------------------------------------------------------------------------- */

static hc_result add_dir(struct finder *f, const char *dir, size_t n)
{
    for (size_t i = 0; i < f->ndirs; i++)
        if (strlen(f->dirs[i]) == n && memcmp(f->dirs[i], dir, n) == 0)
            return HC_SUCCESS;
    if (f->ndirs == f->dircap) {
        size_t cap = f->dircap ? f->dircap * 2 : 16;
        char **d = realloc(f->dirs, cap * sizeof *d);
        HC_ENSURE(d != NULL, HC_ERR_NOMEM);
        f->dirs = d;
        f->dircap = cap;
    }
    f->dirs[f->ndirs] = strndup(dir, n);
    HC_ENSURE(f->dirs[f->ndirs] != NULL, HC_ERR_NOMEM);
    f->ndirs++;
    return HC_SUCCESS;
}

enum { MAX_INCLUDE_DEPTH = 8 };
static hc_result read_conf(struct finder *f, const char *path, int depth);

/* "include PATTERN": relative patterns are relative to the including file's directory. */
static hc_result include_glob(struct finder *f, const char *from, const char *pattern, int depth)
{
    char rel[PATH_MAX];
    if (pattern[0] != '/') {
        const char *slash = strrchr(from, '/');
        int dl = slash ? (int)(slash - from) : 0;
        int n = snprintf(rel, sizeof rel, "%.*s/%s", dl, from, pattern);
        HC_ENSURE(n > 0 && (size_t)n < sizeof rel, HC_ERR_IO);
        pattern = rel;
    }
    char *full = under_root(f->root, pattern);
    HC_ENSURE(full != NULL, HC_ERR_NOMEM);
    glob_t g;
    int rc = glob(full, 0, NULL, &g);
    size_t skip = strlen(full) - strlen(pattern); /* the root prefix, to strip again */
    free(full);
    if (rc != 0)
        return rc == GLOB_NOSPACE ? HC_RESULT(HC_ERR_NOMEM) : HC_SUCCESS;
    hc_result res = HC_SUCCESS;
    for (size_t i = 0; hc_ok(res) && i < g.gl_pathc; i++)
        res = read_conf(f, g.gl_pathv[i] + skip, depth + 1);
    globfree(&g);
    return res;
}

static hc_result conf_line(struct finder *f, const char *path, char *line, int depth)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    const char *sep = " \t\r,:=";
    char *save;
    char *word = strtok_r(line, sep, &save);
    if (word == NULL || strcmp(word, "hwcap") == 0)
        return HC_SUCCESS;
    if (strcmp(word, "include") == 0) {
        hc_result res = HC_SUCCESS;
        for (char *pat; hc_ok(res) && (pat = strtok_r(NULL, " \t\r", &save)) != NULL;)
            res = include_glob(f, path, pat, depth);
        return res;
    }
    /* Directories; the old "dir=libc5" type suffix is dropped by the '=' separator. */
    for (; word != NULL; word = strtok_r(NULL, sep, &save)) {
        if (word[0] != '/')
            continue;
        size_t n = strlen(word);
        while (n > 1 && word[n - 1] == '/')
            n--;
        HC_TRY(add_dir(f, word, n));
    }
    return HC_SUCCESS;
}

static hc_result read_conf(struct finder *f, const char *path, int depth)
{
    if (depth > MAX_INCLUDE_DEPTH)
        return HC_SUCCESS; /* an include loop: ldconfig would not terminate either */
    char *full = under_root(f->root, path);
    HC_ENSURE(full != NULL, HC_ERR_NOMEM);
    uint8_t *buf;
    size_t len;
    hc_result res = read_small_file(full, (size_t)1 << 20, &buf, &len);
    free(full);
    if (!hc_ok(res))
        return res.error == HC_ERR_NOMEM ? res : HC_SUCCESS;
    char *save;
    res = HC_SUCCESS;
    for (char *line = strtok_r((char *)buf, "\n", &save); hc_ok(res) && line != NULL;
         line = strtok_r(NULL, "\n", &save))
        res = conf_line(f, path, line, depth);
    free(buf);
    return res;
}

/* ---- directories ------------------------------------------------------------------------ */

/* dir inside root, opened through its resolved path so that an absolute link such as
 * /lib -> /usr/lib leads into the image, not into the host. */
static DIR *open_dir_in_root(const char *root, const char *dir, hc_result *res)
{
    char *real;
    *res = libfind_resolve(root, dir, &real);
    if (!hc_ok(*res)) {
        if (res->error != HC_ERR_NOMEM)
            *res = HC_SUCCESS; /* most standard directories do not exist everywhere */
        return NULL;
    }
    char *full = under_root(root, real);
    free(real);
    if (full == NULL) {
        *res = HC_RESULT(HC_ERR_NOMEM);
        return NULL;
    }
    DIR *d = opendir(full);
    free(full);
    return d;
}

static hc_result scan_dir(struct finder *f, const char *dir, enum libcopy_source source)
{
    hc_result res;
    DIR *d = open_dir_in_root(f->root, dir, &res);
    if (d == NULL)
        return res;
    struct dirent *e;
    while (hc_ok(res) && (e = readdir(d)) != NULL) {
        enum libcopy_kind kind;
        if (!name_kind(e->d_name, &kind))
            continue;
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
        if (n > 0 && (size_t)n < sizeof path)
            res = consider(f, path, source);
    }
    closedir(d);
    return res;
}

static const char *const standard_dirs[] = {
    "/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib", "/lib32", "/usr/lib32",
};

/* Debian-style multiarch directories: /usr/lib/x86_64-linux-gnu and its siblings. */
static hc_result scan_multiarch(struct finder *f, const char *parent)
{
    hc_result res;
    DIR *d = open_dir_in_root(f->root, parent, &res);
    if (d == NULL)
        return res;
    struct dirent *e;
    while (hc_ok(res) && (e = readdir(d)) != NULL) {
        if (strstr(e->d_name, "-linux-") == NULL || e->d_name[0] == '.')
            continue;
        char dir[PATH_MAX];
        int n = snprintf(dir, sizeof dir, "%s/%s", parent, e->d_name);
        if (n > 0 && (size_t)n < sizeof dir)
            res = scan_dir(f, dir, LIBCOPY_FROM_STANDARD);
    }
    closedir(d);
    return res;
}

static hc_result scan_standard(struct finder *f)
{
    for (size_t i = 0; i < HC_ARRAY_LEN(standard_dirs); i++)
        HC_TRY(scan_dir(f, standard_dirs[i], LIBCOPY_FROM_STANDARD));
    HC_TRY(scan_multiarch(f, "/lib"));
    return scan_multiarch(f, "/usr/lib");
}

/* OpenSSL 3's libssl has no banner of its own; its libcrypto (libssl.so.3 ->
 * libcrypto.so.3 in the same directory) says which release it belongs to. */
static const struct libcopy *partner(const struct libfind_result *r, const struct libcopy *ssl,
                                     bool by_real)
{
    const char *sp = by_real ? ssl->real_path : ssl->path;
    const char *sb = base_name(sp);
    for (size_t i = 0; i < r->count; i++) {
        const struct libcopy *c = &r->copies[i];
        const char *cp = by_real ? c->real_path : c->path;
        const char *cb = base_name(cp);
        if (c->kind == LIBCOPY_LIBCRYPTO && c->banner.found && cb - cp == sb - sp &&
            memcmp(cp, sp, (size_t)(sb - sp)) == 0 && strcmp(cb + 9, sb + 6) == 0)
            return c;
    }
    return NULL;
}

static void inherit_banners(struct libfind_result *r)
{
    for (size_t i = 0; i < r->count; i++) {
        struct libcopy *c = &r->copies[i];
        if (c->kind != LIBCOPY_LIBSSL || c->banner.found)
            continue;
        const struct libcopy *p = partner(r, c, true);
        if (p == NULL)
            p = partner(r, c, false);
        if (p == NULL)
            continue;
        bool compiler_seen = c->banner.compiler_seen, no_hb = c->banner.no_heartbeats;
        c->banner = p->banner;
        c->banner.compiler_seen |= compiler_seen;
        c->banner.no_heartbeats |= no_hb;
        c->banner_inherited = true;
    }
}

hc_result libfind_run(const char *root, struct libfind_result *out)
{
    *out = (struct libfind_result){0};
    struct stat st;
    HC_ENSURE(root != NULL && stat(root, &st) == 0 && S_ISDIR(st.st_mode), HC_ERR_IO);
    struct finder f = {.root = root, .out = out};
    hc_result res = scan_cache(&f);
    if (hc_ok(res))
        res = read_conf(&f, "/etc/ld.so.conf", 0);
    for (size_t i = 0; hc_ok(res) && i < f.ndirs; i++)
        res = scan_dir(&f, f.dirs[i], LIBCOPY_FROM_CONF);
    if (hc_ok(res))
        res = scan_standard(&f);
    for (size_t i = 0; i < f.ndirs; i++)
        free(f.dirs[i]);
    free(f.dirs);
    inherit_banners(out);
    return res;
}

void libfind_result_free(struct libfind_result *r)
{
    for (size_t i = 0; i < r->count; i++) {
        free(r->copies[i].path);
        free(r->copies[i].real_path);
    }
    free(r->copies);
    *r = (struct libfind_result){0};
}
