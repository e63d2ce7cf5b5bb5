/* Package databases under a ROOT: dpkg's status and file lists indexed once in memory, dpkg's
 * logs and changelogs read on demand, rpm asked through its own program. */
#include "host/pkgdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

enum {
    MAX_FILE = 512 * 1024 * 1024, /* larger than any real status or .list file */
    CHANGELOG_LIMIT = 4 << 20,    /* the CVE entry is near the top; old history is skipped */
    RPM_TIMEOUT_MS = 10000,
    RPM_QF_LIMIT = 64 << 10,
    MAX_SYMLINKS = 8,
};

/* ---- A string -> index hash table with open addressing. Keys point into the loaded files. */

struct slot {
    const char *key; /* NULL: empty */
    uint32_t len;
    uint32_t hash;
    uint32_t value;
};

struct map {
    struct slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

/* Eight bytes per step: the index hashes about 8 MB of paths on every start. */
static uint32_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ len;
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdu;
    return (uint32_t)(h >> 32);
}

static struct slot *map_probe(const struct map *m, const char *key, size_t len, uint32_t hash)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        struct slot *s = &m->slots[i];
        if (!s->key || (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

static hc_result map_resize(struct map *m, size_t cap)
{
    struct slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof(*m->slots));
    if (!m->slots) {
        m->slots = old;
        return HC_RESULT(HC_ERR_NOMEM);
    }
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *map_probe(m, old[i].key, old[i].len, old[i].hash) = old[i];
    free(old);
    return HC_SUCCESS;
}

/* Makes room for N more keys at most half full, so that probes stay short. */
static hc_result map_reserve(struct map *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 1024;
    while ((m->count + n) * 2 > cap)
        cap *= 2;
    return cap == m->cap ? HC_SUCCESS : map_resize(m, cap);
}

/* Inserts KEY unless present; *value gets the stored value either way. */
static hc_result map_put(struct map *m, const char *key, size_t len, uint32_t *value)
{
    HC_TRY(map_reserve(m, 1));
    uint32_t hash = hash_bytes(key, len);
    struct slot *s = map_probe(m, key, len, hash);
    if (s->key) {
        *value = s->value;
        return HC_SUCCESS;
    }
    *s = (struct slot){key, (uint32_t)len, hash, *value};
    m->count++;
    return HC_SUCCESS;
}

static const struct slot *map_get(const struct map *m, const char *key, size_t len)
{
    if (!m->cap)
        return NULL;
    const struct slot *s = map_probe(m, key, len, hash_bytes(key, len));
    return s->key ? s : NULL;
}

/* ---- The database ---- */

struct package_rec {
    struct pkgdb_package pub;
    uint32_t next_same_name; /* index + 1 of another architecture's record, 0 at the end */
};

struct pkgdb {
    char prefix[PATH_MAX]; /* ROOT without its trailing '/', "" for "/" */
    struct package_rec *packages;
    size_t npackages, cap_packages;
    struct map by_name; /* name -> first record with that name */
    struct map by_path; /* path -> record */
    char **blobs;       /* loaded files and copied strings, freed with the database */
    size_t nblobs, cap_blobs;
    bool rpm_present;
    bool log_loaded;
};

static hc_result keep_blob(struct pkgdb *db, char *blob)
{
    if (db->nblobs == db->cap_blobs) {
        size_t cap = db->cap_blobs ? db->cap_blobs * 2 : 64;
        char **b = realloc(db->blobs, cap * sizeof(*b));
        if (!b) {
            free(blob);
            return HC_RESULT(HC_ERR_NOMEM);
        }
        db->blobs = b;
        db->cap_blobs = cap;
    }
    db->blobs[db->nblobs++] = blob;
    return HC_SUCCESS;
}

/* A NUL-terminated copy of DATA owned by the database, with one spare byte so the last line
 * can be terminated even without a newline. */
static hc_result copy_blob(struct pkgdb *db, const char *data, size_t len, char **out)
{
    char *b = malloc(len + 1);
    if (!b)
        return HC_RESULT(HC_ERR_NOMEM);
    if (len)
        memcpy(b, data, len);
    b[len] = '\0';
    HC_TRY(keep_blob(db, b));
    *out = b;
    return HC_SUCCESS;
}

hc_result pkgdb_new(const char *root, struct pkgdb **out)
{
    HC_ENSURE(root && root[0] && out, HC_ERR_USAGE);
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    HC_ENSURE(n < PATH_MAX, HC_ERR_USAGE);
    struct pkgdb *db = calloc(1, sizeof(*db));
    HC_ENSURE(db, HC_ERR_NOMEM);
    memcpy(db->prefix, root, n);
    db->prefix[n] = '\0';
    *out = db;
    return HC_SUCCESS;
}

void pkgdb_free(struct pkgdb *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->nblobs; i++)
        free(db->blobs[i]);
    free(db->blobs);
    free(db->packages);
    free(db->by_name.slots);
    free(db->by_path.slots);
    free(db);
}

size_t pkgdb_package_count(const struct pkgdb *db) { return db->npackages; }
size_t pkgdb_path_count(const struct pkgdb *db) { return db->by_path.count; }
bool pkgdb_rpm_present(const struct pkgdb *db) { return db->rpm_present; }

static hc_result add_package(struct pkgdb *db, const struct pkgdb_package *p, size_t *index)
{
    HC_ENSURE(db->npackages < UINT32_MAX - 1, HC_ERR_NOMEM);
    if (db->npackages == db->cap_packages) {
        size_t cap = db->cap_packages ? db->cap_packages * 2 : 256;
        struct package_rec *r = realloc(db->packages, cap * sizeof(*r));
        HC_ENSURE(r, HC_ERR_NOMEM);
        db->packages = r;
        db->cap_packages = cap;
    }
    size_t i = db->npackages;
    uint32_t first = (uint32_t)i;
    HC_TRY(map_put(&db->by_name, p->name, strlen(p->name), &first));
    db->packages[i] = (struct package_rec){*p, 0};
    db->npackages++;
    if (first != i) { /* another architecture: append to that name's chain */
        size_t j = first;
        while (db->packages[j].next_same_name)
            j = db->packages[j].next_same_name - 1;
        db->packages[j].next_same_name = (uint32_t)i + 1;
    }
    *index = i;
    return HC_SUCCESS;
}

/* NAME[:ARCH] split into the record's index; ARCH NULL matches any, preferring installed. */
static struct package_rec *find_rec(const struct pkgdb *db, const char *name, size_t name_len,
                                    const char *arch)
{
    const struct slot *s = map_get(&db->by_name, name, name_len);
    if (!s)
        return NULL;
    struct package_rec *best = NULL;
    for (uint32_t i = s->value + 1; i; i = db->packages[i - 1].next_same_name) {
        struct package_rec *r = &db->packages[i - 1];
        if (arch && strcmp(r->pub.arch, arch) == 0)
            return r;
        if (!arch && (!best || (!best->pub.installed && r->pub.installed)))
            best = r;
    }
    return best;
}

const struct pkgdb_package *pkgdb_find(const struct pkgdb *db, const char *name)
{
    if (!db || !name)
        return NULL;
    const char *colon = strchr(name, ':');
    struct package_rec *r =
        find_rec(db, name, colon ? (size_t)(colon - name) : strlen(name), colon ? colon + 1 : NULL);
    return r ? &r->pub : NULL;
}

/* ---- status: RFC 822-like stanzas ---- */

static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Terminates the value of a "Field: value" line in place and returns it trimmed. */
static const char *field_value(char *colon, char *end)
{
    char *v = colon + 1;
    while (v < end && is_space(*v))
        v++;
    while (end > v && is_space(end[-1]))
        end--;
    *end = '\0';
    return v;
}

static bool field_is(const char *line, const char *colon, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(colon - line) == n && strncasecmp(line, name, n) == 0;
}

static bool status_installed(const char *status)
{
    const char *last = strrchr(status, ' ');
    return strcmp(last ? last + 1 : status, "installed") == 0;
}

static hc_result finish_stanza(struct pkgdb *db, struct pkgdb_package *p)
{
    if (p->name && p->name[0]) {
        if (!p->source || !p->source[0])
            p->source = p->name;
        p->installed = status_installed(p->status);
        size_t index;
        HC_TRY(add_package(db, p, &index));
    }
    *p = (struct pkgdb_package){
        .name = NULL, .arch = "", .version = "", .source = NULL, .status = ""};
    return HC_SUCCESS;
}

static void status_field(struct pkgdb_package *p, char *line, char *end)
{
    char *colon = memchr(line, ':', (size_t)(end - line));
    if (!colon)
        return;
    if (field_is(line, colon, "Package"))
        p->name = field_value(colon, end);
    else if (field_is(line, colon, "Version"))
        p->version = field_value(colon, end);
    else if (field_is(line, colon, "Architecture"))
        p->arch = field_value(colon, end);
    else if (field_is(line, colon, "Status"))
        p->status = field_value(colon, end);
    else if (field_is(line, colon, "Source")) {
        char *v = (char *)field_value(colon, end);
        v[strcspn(v, " (")] = '\0'; /* "openssl (3.0.11-1)": the binary's version differs */
        p->source = v;
    }
}

/* Parses the status in BUF (LEN bytes plus a spare byte), terminating values in place. */
static hc_result parse_status(struct pkgdb *db, char *buf, size_t len)
{
    struct pkgdb_package p = {.arch = "", .version = "", .status = ""};
    char *pos = buf, *end = buf + len;
    while (pos < end) {
        char *nl = memchr(pos, '\n', (size_t)(end - pos));
        char *line_end = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        char *e = line_end;
        while (e > pos && is_space(e[-1]))
            e--;
        if (e == pos)
            HC_TRY(finish_stanza(db, &p));
        else if (!is_space(*pos)) /* continuation lines belong to fields we do not read */
            status_field(&p, pos, line_end);
        pos = next;
    }
    return finish_stanza(db, &p);
}

hc_result pkgdb_add_status(struct pkgdb *db, const char *data, size_t len)
{
    char *buf;
    HC_TRY(copy_blob(db, data, len, &buf));
    return parse_status(db, buf, len);
}

/* ---- info/NAME.list: one path per line ---- */

static hc_result list_owner(struct pkgdb *db, const char *name, size_t *index)
{
    const char *colon = strchr(name, ':');
    size_t nlen = colon ? (size_t)(colon - name) : strlen(name);
    struct package_rec *r = find_rec(db, name, nlen, colon ? colon + 1 : NULL);
    if (!r && colon) /* "name:arch.list" for a stanza that did not say its architecture */
        r = find_rec(db, name, nlen, "");
    if (r) {
        *index = (size_t)(r - db->packages);
        return HC_SUCCESS;
    }
    char *copy;
    HC_TRY(copy_blob(db, name, strlen(name), &copy));
    if (colon)
        copy[nlen] = '\0';
    struct pkgdb_package p = {.name = copy,
                              .arch = colon ? copy + nlen + 1 : "",
                              .version = "",
                              .source = copy,
                              .status = ""};
    return add_package(db, &p, index);
}

static hc_result parse_list(struct pkgdb *db, size_t owner, char *buf, size_t len)
{
    char *pos = buf, *end = buf + len;
    while (pos < end) {
        char *nl = memchr(pos, '\n', (size_t)(end - pos));
        char *e = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        if (e > pos && e[-1] == '\r')
            e--;
        if (e > pos && *pos == '/') {
            *e = '\0';
            uint32_t v = (uint32_t)owner;
            HC_TRY(map_put(&db->by_path, pos, (size_t)(e - pos), &v));
        }
        pos = next;
    }
    return HC_SUCCESS;
}

hc_result pkgdb_add_list(struct pkgdb *db, const char *name, const char *data, size_t len)
{
    HC_ENSURE(name && name[0], HC_ERR_USAGE);
    size_t owner;
    HC_TRY(list_owner(db, name, &owner));
    char *buf;
    HC_TRY(copy_blob(db, data, len, &buf));
    return parse_list(db, owner, buf, len);
}

/* ---- Loading from ROOT ---- */

static hc_result rooted(const struct pkgdb *db, const char *path, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s", db->prefix, path);
    HC_ENSURE(n >= 0 && (size_t)n < size, HC_ERR_USAGE);
    return HC_SUCCESS;
}

/* Reads a whole file into a buffer kept by the database. *buf = NULL when it does not exist. */
static hc_result slurp(struct pkgdb *db, int dirfd, const char *path, char **buf, size_t *len)
{
    *buf = NULL;
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? HC_SUCCESS : HC_RESULT(HC_ERR_IO);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
        close(fd);
        return HC_RESULT(HC_ERR_IO);
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *b = malloc(size + 1);
    if (!b) {
        close(fd);
        return HC_RESULT(HC_ERR_NOMEM);
    }
    while (got < size) { /* a file that shrinks while read is read as far as it goes */
        ssize_t r = read(fd, b + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    b[got] = '\0';
    HC_TRY(keep_blob(db, b));
    *buf = b;
    *len = got;
    return HC_SUCCESS;
}

struct loaded_list {
    size_t owner;
    char *buf;
    size_t len;
};

struct loaded_lists {
    struct loaded_list *items;
    size_t n, cap;
    size_t lines;
};

static hc_result read_list(struct pkgdb *db, DIR *dir, const char *file, struct loaded_lists *all)
{
    size_t n = strlen(file);
    if (n <= 5 || strcmp(file + n - 5, ".list") != 0)
        return HC_SUCCESS;
    char name[NAME_MAX + 1];
    memcpy(name, file, n - 5);
    name[n - 5] = '\0';
    struct loaded_list l;
    HC_TRY(list_owner(db, name, &l.owner));
    HC_TRY(slurp(db, dirfd(dir), file, &l.buf, &l.len));
    if (!l.buf)
        return HC_SUCCESS;
    if (all->n == all->cap) {
        size_t cap = all->cap ? all->cap * 2 : 1024;
        struct loaded_list *items = realloc(all->items, cap * sizeof(*items));
        HC_ENSURE(items, HC_ERR_NOMEM);
        all->items = items;
        all->cap = cap;
    }
    all->items[all->n++] = l;
    for (const char *p = l.buf; (p = memchr(p, '\n', (size_t)(l.buf + l.len - p))); p++)
        all->lines++;
    return HC_SUCCESS;
}

/* Reads every .list first so the path table is sized once for all of them. */
static hc_result load_lists(struct pkgdb *db, const char *info_dir)
{
    DIR *dir = opendir(info_dir);
    if (!dir)
        return errno == ENOENT ? HC_SUCCESS : HC_RESULT(HC_ERR_IO);
    struct loaded_lists all = {0};
    hc_result res = HC_SUCCESS;
    struct dirent *de;
    while (hc_ok(res) && (de = readdir(dir)))
        res = read_list(db, dir, de->d_name, &all);
    closedir(dir);
    if (hc_ok(res))
        res = map_reserve(&db->by_path, all.lines + all.n);
    for (size_t i = 0; hc_ok(res) && i < all.n; i++)
        res = parse_list(db, all.items[i].owner, all.items[i].buf, all.items[i].len);
    free(all.items);
    return res;
}

static hc_result load(struct pkgdb *db)
{
    char path[PATH_MAX];
    struct stat st;
    HC_TRY(rooted(db, "/var/lib/rpm", path, sizeof(path)));
    db->rpm_present = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    HC_TRY(rooted(db, "/var/lib/dpkg/status", path, sizeof(path)));
    char *buf;
    size_t len;
    HC_TRY(slurp(db, AT_FDCWD, path, &buf, &len));
    if (!buf)
        return HC_SUCCESS;
    HC_TRY(parse_status(db, buf, len));
    HC_TRY(rooted(db, "/var/lib/dpkg/info", path, sizeof(path)));
    return load_lists(db, path);
}

hc_result pkgdb_open(const char *root, struct pkgdb **out)
{
    struct pkgdb *db;
    HC_TRY(pkgdb_new(root, &db));
    hc_result res = load(db);
    if (!hc_ok(res)) {
        pkgdb_free(db);
        return res;
    }
    *out = db;
    return HC_SUCCESS;
}

/* ---- Owners ---- */

static const char *const merged_dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

/* The other /usr-merge spelling of PATH in ALT, or false when there is none. */
static bool usr_merge_alternative(const char *path, char *alt, size_t size)
{
    const char *tail = strncmp(path, "/usr/", 5) == 0 ? path + 4 : path;
    for (size_t i = 0; i < HC_ARRAY_LEN(merged_dirs); i++) {
        size_t n = strlen(merged_dirs[i]);
        if (tail[0] != '/' || strncmp(tail + 1, merged_dirs[i], n) != 0 || tail[n + 1] != '/')
            continue;
        int w =
            tail == path ? snprintf(alt, size, "/usr%s", path) : snprintf(alt, size, "%s", tail);
        return w > 0 && (size_t)w < size;
    }
    return false;
}

const struct pkgdb_package *pkgdb_owner(const struct pkgdb *db, const char *path)
{
    if (!db || !path)
        return NULL;
    const struct slot *s = map_get(&db->by_path, path, strlen(path));
    char alt[PATH_MAX];
    if (!s && usr_merge_alternative(path, alt, sizeof(alt)))
        s = map_get(&db->by_path, alt, strlen(alt));
    return s ? &db->packages[s->value].pub : NULL;
}

/* ---- dpkg.log: "2024-01-31 12:00:00 upgrade libssl3:amd64 3.0.11-1 3.0.13-1" ---- */

static bool two_digits_at(const char *s, size_t i, int *out)
{
    if (s[i] < '0' || s[i] > '9' || s[i + 1] < '0' || s[i + 1] > '9')
        return false;
    *out = (s[i] - '0') * 10 + (s[i + 1] - '0');
    return true;
}

static bool parse_log_time(const char *line, time_t *out)
{
    int c, y, mo, d, h, mi, se;
    if (strlen(line) < 20 || line[4] != '-' || line[7] != '-' || line[10] != ' ' ||
        line[13] != ':' || line[16] != ':' || line[19] != ' ')
        return false;
    if (!two_digits_at(line, 0, &c) || !two_digits_at(line, 2, &y) ||
        !two_digits_at(line, 5, &mo) || !two_digits_at(line, 8, &d) ||
        !two_digits_at(line, 11, &h) || !two_digits_at(line, 14, &mi) ||
        !two_digits_at(line, 17, &se))
        return false;
    struct tm tm = {.tm_year = c * 100 + y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = se,
                    .tm_isdst = -1};
    *out = mktime(&tm);
    return *out != (time_t)-1;
}

static void log_line(struct pkgdb *db, char *line)
{
    time_t t;
    if (!parse_log_time(line, &t))
        return;
    char *action = line + 20;
    size_t alen = strcspn(action, " ");
    bool wanted = (alen == 7 && strncmp(action, "install", 7) == 0) ||
                  (alen == 7 && strncmp(action, "upgrade", 7) == 0);
    if (!wanted || action[alen] != ' ')
        return;
    char *name = action + alen + 1;
    size_t nlen = strcspn(name, " \n");
    name[nlen] = '\0';
    char *colon = strchr(name, ':');
    struct package_rec *r =
        find_rec(db, name, colon ? (size_t)(colon - name) : nlen, colon ? colon + 1 : NULL);
    if (r && t > r->pub.changed)
        r->pub.changed = t;
}

static void read_log(struct pkgdb *db, const char *path)
{
    gzFile gz = gzopen(path, "rb"); /* plain files are read as they are */
    if (!gz)
        return;
    char line[1024];
    while (gzgets(gz, line, sizeof(line)))
        log_line(db, line);
    gzclose(gz);
}

static hc_result load_logs(struct pkgdb *db)
{
    char dir_path[PATH_MAX], path[PATH_MAX];
    HC_TRY(rooted(db, "/var/log", dir_path, sizeof(dir_path)));
    DIR *dir = opendir(dir_path);
    if (!dir)
        return HC_SUCCESS; /* no logs: install times stay unknown */
    struct dirent *de;
    while ((de = readdir(dir)))
        if (strncmp(de->d_name, "dpkg.log", 8) == 0 &&
            snprintf(path, sizeof(path), "%s/%s", dir_path, de->d_name) < (int)sizeof(path))
            read_log(db, path);
    closedir(dir);
    return HC_SUCCESS;
}

hc_result pkgdb_install_time(struct pkgdb *db, const struct pkgdb_package *pkg, time_t *out)
{
    HC_ENSURE(db && pkg && out, HC_ERR_USAGE);
    if (!db->log_loaded) {
        HC_TRY(load_logs(db));
        db->log_loaded = true;
    }
    *out = pkg->changed;
    return HC_SUCCESS;
}

/* ---- Changelogs ---- */

/* Follows symlinks at the last component of PATH (inside ROOT) the way the kernel would if
 * ROOT were "/": absolute targets are taken relative to ROOT. */
static hc_result resolve_in_root(const struct pkgdb *db, char *path, size_t size)
{
    for (int i = 0; i < MAX_SYMLINKS; i++) {
        char full[PATH_MAX], target[PATH_MAX];
        HC_TRY(rooted(db, path, full, sizeof(full)));
        ssize_t n = readlink(full, target, sizeof(target) - 1);
        if (n < 0)
            return HC_SUCCESS; /* not a link (or missing): the caller's open decides */
        target[n] = '\0';
        if (target[0] == '/') {
            HC_ENSURE((size_t)n < size, HC_ERR_USAGE);
            memcpy(path, target, (size_t)n + 1);
            continue;
        }
        char *slash = strrchr(path, '/');
        size_t dir_len = slash ? (size_t)(slash - path) : 0;
        HC_ENSURE(dir_len + 1 + (size_t)n < size, HC_ERR_USAGE);
        path[dir_len] = '/';
        memcpy(path + dir_len + 1, target, (size_t)n + 1);
    }
    return HC_RESULT(HC_ERR_IO); /* a loop of links */
}

/* Searches the first CHANGELOG_LIMIT bytes of a (gzip or plain) file; chunks overlap by the
 * needle's length so a match across a chunk boundary is found. */
static hc_result gz_contains(const char *path, const char *needle, bool *exists, bool *found)
{
    size_t nlen = strlen(needle), keep = 0, total = 0;
    char buf[65536];
    HC_ENSURE(nlen > 0 && nlen < sizeof(buf) / 2, HC_ERR_USAGE);
    *found = false;
    *exists = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? HC_SUCCESS : HC_RESULT(HC_ERR_IO);
    *exists = true;
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return HC_RESULT(HC_ERR_NOMEM);
    }
    int r = 0;
    while (!*found && total < CHANGELOG_LIMIT &&
           (r = gzread(gz, buf + keep, (unsigned)(sizeof(buf) - keep))) > 0) {
        total += (size_t)r;
        size_t have = keep + (size_t)r;
        *found = memmem(buf, have, needle, nlen) != NULL;
        keep = have < nlen - 1 ? have : nlen - 1;
        memmove(buf, buf + have - keep, keep);
    }
    /* A truncated or corrupt stream may still hand out some bytes before failing. */
    int err = Z_OK;
    gzerror(gz, &err);
    gzclose(gz);
    return !*found && (r < 0 || (err != Z_OK && err != Z_STREAM_END)) ? HC_RESULT(HC_ERR_IO)
                                                                      : HC_SUCCESS;
}

static hc_result changelog_in_dir(const struct pkgdb *db, const char *dir, const char *needle,
                                  bool *exists, bool *found)
{
    char path[PATH_MAX], full[PATH_MAX];
    int n = snprintf(path, sizeof(path), "/usr/share/doc/%s", dir);
    HC_ENSURE(n > 0 && (size_t)n < sizeof(path) - 32 && !strchr(dir, '/'), HC_ERR_USAGE);
    HC_TRY(resolve_in_root(db, path, sizeof(path) - 32));
    strcat(path, "/changelog.Debian.gz");
    HC_TRY(resolve_in_root(db, path, sizeof(path)));
    HC_TRY(rooted(db, path, full, sizeof(full)));
    return gz_contains(full, needle, exists, found);
}

/* Searches the changelogs of PKG's candidate doc directories; *exists when one was read. */
static hc_result changelog_search(const struct pkgdb *db, const struct pkgdb_package *pkg,
                                  const char *needle, bool *exists, bool *found)
{
    char with_arch[256];
    const char *dirs[3] = {with_arch, pkg->name, pkg->source};
    int n = snprintf(with_arch, sizeof(with_arch), "%s:%s", pkg->name, pkg->arch);
    if (n < 0 || (size_t)n >= sizeof(with_arch) || !pkg->arch[0])
        dirs[0] = pkg->name;
    *exists = *found = false;
    for (size_t i = 0; i < HC_ARRAY_LEN(dirs) && !*exists; i++) {
        if (!dirs[i] || !dirs[i][0] || (i > 0 && strcmp(dirs[i], dirs[i - 1]) == 0))
            continue;
        HC_TRY(changelog_in_dir(db, dirs[i], needle, exists, found));
    }
    return HC_SUCCESS;
}

hc_result pkgdb_changelog_mentions(const struct pkgdb *db, const struct pkgdb_package *pkg,
                                   const char *needle, bool *found)
{
    HC_ENSURE(db && pkg && needle && found, HC_ERR_USAGE);
    bool exists;
    return changelog_search(db, pkg, needle, &exists, found);
}

/* ---- rpm, through its program ---- */

bool pkgdb_rpm_available(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    while (*path) {
        size_t n = strcspn(path, ":");
        char cand[PATH_MAX];
        if (n > 0 && n < sizeof(cand) - 5) {
            snprintf(cand, sizeof(cand), "%.*s/rpm", (int)n, path);
            if (access(cand, X_OK) == 0)
                return true;
        }
        path += n + (path[n] == ':');
    }
    return false;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_exec(char *const argv[], int out_fd)
{
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 2) < 0 || dup2(out_fd, 1) < 0)
        _exit(127);
    execvp(argv[0], argv);
    _exit(127);
}

/* Reads the child's output into OUT until EOF, CAP bytes or the deadline. */
static bool read_output(int fd, char *out, size_t cap, size_t *len)
{
    long long deadline = now_ms() + RPM_TIMEOUT_MS;
    *len = 0;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return false;
        if (*len == cap) /* bounded: the rest is not read, the child is stopped */
            return true;
        ssize_t r = read(fd, out + *len, cap - *len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0;
        *len += (size_t)r;
    }
}

/* Runs ARGV (no shell) and collects at most CAP bytes of its standard output; *status is the
 * exit status. HC_ERR_IO when it cannot start, is killed, or exceeds the time limit. */
static hc_result run_capture(char *const argv[], char *out, size_t cap, size_t *len, int *status)
{
    int fds[2];
    HC_ENSURE(pipe2(fds, O_CLOEXEC) == 0, HC_ERR_IO);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return HC_RESULT(HC_ERR_IO);
    }
    bool complete = read_output(fds[0], out, cap, len);
    close(fds[0]);
    if (!complete || *len == cap)
        kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    HC_ENSURE(complete, HC_ERR_IO);
    /* Killed by us after enough output counts as success: the answer is in the output. */
    HC_ENSURE(WIFEXITED(st) || *len == cap, HC_ERR_IO);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    HC_ENSURE(*status != 127, HC_ERR_IO);
    return HC_SUCCESS;
}

static void copy_field(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

bool pkgdb_rpm_parse_owner(const char *line, size_t len, struct pkgdb_rpm_owner *out)
{
    const char *end = memchr(line, '\n', len);
    end = end ? end : line + len;
    const char *space = memchr(line, ' ', (size_t)(end - line));
    if (!space || space == line || space + 1 >= end || memchr(line, '\0', (size_t)(end - line)))
        return false;
    const char *v = space + 1;
    if ((size_t)(end - v) > 7 && strncmp(v, "(none):", 7) == 0)
        v += 7; /* no epoch */
    if ((size_t)(space - line) >= sizeof(out->name) || (size_t)(end - v) >= sizeof(out->version) ||
        memchr(v, ' ', (size_t)(end - v)) || !memchr(v, '-', (size_t)(end - v)))
        return false;
    copy_field(out->name, sizeof(out->name), line, (size_t)(space - line));
    copy_field(out->version, sizeof(out->version), v, (size_t)(end - v));
    return true;
}

hc_result pkgdb_rpm_owner(const struct pkgdb *db, const char *path, struct pkgdb_rpm_owner *out,
                          bool *owned)
{
    HC_ENSURE(db && path && out && owned, HC_ERR_USAGE);
    *owned = false;
    char root[PATH_MAX];
    snprintf(root, sizeof(root), "%s", db->prefix[0] ? db->prefix : "/");
    char *argv[] = {"rpm",
                    "--root",
                    root,
                    "-qf",
                    "--queryformat",
                    "%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}\\n",
                    (char *)path,
                    NULL};
    char *buf = malloc(RPM_QF_LIMIT);
    HC_ENSURE(buf, HC_ERR_NOMEM);
    size_t len;
    int status;
    hc_result res = run_capture(argv, buf, RPM_QF_LIMIT, &len, &status);
    /* Exit status 1: "file ... is not owned by any package" or no such file. */
    if (hc_ok(res) && status == 0)
        *owned = pkgdb_rpm_parse_owner(buf, len, out);
    free(buf);
    return res;
}

hc_result pkgdb_rpm_changelog_mentions(const struct pkgdb *db, const char *name, const char *needle,
                                       bool *found)
{
    HC_ENSURE(db && name && needle && needle[0] && found, HC_ERR_USAGE);
    *found = false;
    char root[PATH_MAX];
    snprintf(root, sizeof(root), "%s", db->prefix[0] ? db->prefix : "/");
    char *argv[] = {"rpm", "--root", root, "-q", "--changelog", (char *)name, NULL};
    char *buf = malloc(CHANGELOG_LIMIT);
    HC_ENSURE(buf, HC_ERR_NOMEM);
    size_t len;
    int status;
    hc_result res = run_capture(argv, buf, CHANGELOG_LIMIT, &len, &status);
    if (hc_ok(res) && status == 0)
        *found = memmem(buf, len, needle, strlen(needle)) != NULL;
    free(buf);
    return res;
}

/* ---- One call per file ---- */

static void from_dpkg(struct pkgdb *db, const struct pkgdb_package *p, struct pkgdb_owner *out)
{
    out->kind = PKGDB_DPKG;
    snprintf(out->name, sizeof(out->name), "%s", p->name);
    snprintf(out->arch, sizeof(out->arch), "%s", p->arch);
    snprintf(out->source, sizeof(out->source), "%s", p->source);
    snprintf(out->version, sizeof(out->version), "%s", p->version);
    out->installed = p->installed;
    bool exists = false, found = false;
    if (!hc_ok(changelog_search(db, p, "CVE-2014-0160", &exists, &found)))
        snprintf(out->note, sizeof(out->note), "changelog of %s unreadable", p->name);
    out->changelog_searched = exists;
    out->changelog_cve = found;
}

static void from_rpm(struct pkgdb *db, const char *path, struct pkgdb_owner *out)
{
    if (!pkgdb_rpm_available()) {
        snprintf(out->note, sizeof(out->note), "rpm database present but rpm not installed");
        return;
    }
    struct pkgdb_rpm_owner o;
    bool owned = false;
    if (!hc_ok(pkgdb_rpm_owner(db, path, &o, &owned))) {
        snprintf(out->note, sizeof(out->note), "rpm -qf failed or timed out");
        return;
    }
    if (!owned) {
        snprintf(out->note, sizeof(out->note), "no rpm package owns it");
        return;
    }
    out->kind = PKGDB_RPM;
    out->installed = true;
    snprintf(out->name, sizeof(out->name), "%s", o.name);
    snprintf(out->source, sizeof(out->source), "%s", o.name);
    snprintf(out->version, sizeof(out->version), "%s", o.version);
    bool found = false;
    if (hc_ok(pkgdb_rpm_changelog_mentions(db, o.name, "CVE-2014-0160", &found)))
        out->changelog_searched = true;
    else
        snprintf(out->note, sizeof(out->note), "rpm -q --changelog failed or timed out");
    out->changelog_cve = found;
}

hc_result pkgdb_lookup(struct pkgdb *db, const char *path, struct pkgdb_owner *out)
{
    HC_ENSURE(db && path && out, HC_ERR_USAGE);
    *out = (struct pkgdb_owner){.kind = PKGDB_NONE};
    const struct pkgdb_package *p = pkgdb_owner(db, path);
    if (p)
        from_dpkg(db, p, out);
    else if (db->rpm_present)
        from_rpm(db, path, out);
    else
        snprintf(out->note, sizeof(out->note), "%s",
                 db->npackages ? "no dpkg package owns it" : "no package database");
    return HC_SUCCESS;
}
