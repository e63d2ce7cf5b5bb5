/* Programs and libraries that link libssl: DT_NEEDED through libelf, over the usual program
 * and library directories.
 *
 * The walk must stay well inside the audit's one-second budget on a full server, so: entry
 * types come from d_type (no stat per name), a file that is not ELF costs one 4-byte read,
 * every directory and file is visited once by device and inode (merged /usr makes /bin and
 * /usr/bin the same directory), and symlinks are only followed after the real files, so a
 * program is listed under its own name. Under a root other than "/" an absolute symlink must
 * not lead out of the image: paths are resolved with openat2(RESOLVE_IN_ROOT). */
#include "host/procs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- one ELF file -----------------------------------------------------------------------------
 */

static void note_needed(const char *name, struct host_elf_needs *out)
{
    char *slot = NULL;
    if (strncmp(name, "libssl.so", 9) == 0)
        slot = out->needs_ssl;
    else if (strncmp(name, "libcrypto.so", 12) == 0)
        slot = out->needs_crypto;
    if (slot && slot[0] == '\0')
        snprintf(slot, HOST_SONAME_MAX, "%s", name);
    out->needed_count++;
}

/* DT_NEEDED values are offsets into the string table the dynamic section links to. */
static hc_result scan_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr,
                              struct host_elf_needs *out)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    HC_ENSURE(data && shdr->sh_entsize > 0, HC_ERR_SHORT);
    size_t n = data->d_size / shdr->sh_entsize;
    for (size_t i = 0; i < n; i++) {
        GElf_Dyn dyn;
        HC_ENSURE(gelf_getdyn(data, (int)i, &dyn), HC_ERR_SHORT);
        if (dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag != DT_NEEDED)
            continue;
        const char *name = elf_strptr(elf, shdr->sh_link, dyn.d_un.d_val);
        HC_ENSURE(name, HC_ERR_SHORT);
        note_needed(name, out);
    }
    return HC_SUCCESS;
}

static hc_result scan_elf(Elf *elf, off_t file_size, struct host_elf_needs *out)
{
    GElf_Ehdr ehdr;
    size_t shnum;
    HC_ENSURE(elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &ehdr), HC_ERR_SHORT);
    HC_ENSURE(elf_getshdrnum(elf, &shnum) == 0, HC_ERR_SHORT);
    /* libelf reports a section table cut off by the end of the file as no sections at all,
     * which would pass a truncated program as one that needs nothing: trust the header. */
    size_t want = ehdr.e_shnum ? ehdr.e_shnum : shnum; /* 0 in e_shnum: extended numbering */
    HC_ENSURE(want == 0 || (ehdr.e_shentsize > 0 && ehdr.e_shoff <= (GElf_Off)file_size &&
                            want <= ((GElf_Off)file_size - ehdr.e_shoff) / ehdr.e_shentsize &&
                            shnum == want),
              HC_ERR_SHORT);
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        HC_ENSURE(gelf_getshdr(scn, &shdr), HC_ERR_SHORT);
        if (shdr.sh_type == SHT_DYNAMIC)
            return scan_dynamic(elf, scn, &shdr, out); /* there is only one */
    }
    return HC_SUCCESS; /* static executable, object file: needs nothing */
}

static bool read_magic(int fd, bool *is_elf)
{
    unsigned char magic[4];
    ssize_t n;
    do
        n = pread(fd, magic, sizeof magic, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return false;
    *is_elf = n == 4 && memcmp(magic, ELFMAG, SELFMAG) == 0;
    return true;
}

hc_result host_elf_needs_read_fd(int fd, struct host_elf_needs *out)
{
    memset(out, 0, sizeof *out);
    HC_ENSURE(read_magic(fd, &out->is_elf), HC_ERR_IO);
    if (!out->is_elf)
        return HC_SUCCESS;
    struct stat st;
    HC_ENSURE(fstat(fd, &st) == 0, HC_ERR_IO);
    HC_ENSURE(elf_version(EV_CURRENT) != EV_NONE, HC_ERR_IO);
    /* READ_MMAP: libelf touches only the headers and the dynamic section's pages. */
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    HC_ENSURE(elf, HC_ERR_SHORT);
    hc_result r = scan_elf(elf, st.st_size, out);
    elf_end(elf);
    return r;
}

hc_result host_elf_needs_read(const char *path, struct host_elf_needs *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    HC_ENSURE(fd >= 0, HC_ERR_IO);
    hc_result r = host_elf_needs_read_fd(fd, out);
    close(fd);
    return r;
}

/* ---- the walk ---------------------------------------------------------------------------------
 */

struct seen_set {
    struct seen_key {
        dev_t dev;
        ino_t ino;
    } * keys; /* open addressing, ino 0 = empty */
    size_t cap, used;
};

struct walk {
    int rootfd;
    struct seen_set seen;
    char **deferred; /* symlinks, root-relative */
    size_t deferred_count, deferred_cap;
    struct host_linker_list *out;
    size_t out_cap;
};

static size_t seen_hash(dev_t dev, ino_t ino, size_t cap)
{
    unsigned long long h =
        ((unsigned long long)ino * 0x9E3779B97F4A7C15ull) ^ (unsigned long long)dev;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static hc_result seen_grow(struct seen_set *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 4096;
    struct seen_key *keys = calloc(ncap, sizeof *keys);
    HC_ENSURE(keys, HC_ERR_NOMEM);
    for (size_t i = 0; i < s->cap; i++) {
        if (s->keys[i].ino == 0)
            continue;
        size_t j = seen_hash(s->keys[i].dev, s->keys[i].ino, ncap);
        while (keys[j].ino != 0)
            j = (j + 1) & (ncap - 1);
        keys[j] = s->keys[i];
    }
    free(s->keys);
    s->keys = keys;
    s->cap = ncap;
    return HC_SUCCESS;
}

/* Marks (dev, ino) seen; *fresh tells whether it was new. */
static hc_result seen_add(struct seen_set *s, const struct stat *st, bool *fresh)
{
    if ((s->used + 1) * 2 > s->cap)
        HC_TRY(seen_grow(s));
    size_t i = seen_hash(st->st_dev, st->st_ino, s->cap);
    *fresh = false;
    while (s->keys[i].ino != 0) {
        if (s->keys[i].ino == st->st_ino && s->keys[i].dev == st->st_dev)
            return HC_SUCCESS;
        i = (i + 1) & (s->cap - 1);
    }
    s->keys[i] = (struct seen_key){st->st_dev, st->st_ino ? st->st_ino : 1};
    s->used++;
    *fresh = true;
    return HC_SUCCESS;
}

/* Opens a root-relative path with every symlink resolved inside the root. Kernels before 5.6
 * lack openat2; plain openat is then used (correct for "/", may leave an image through an
 * absolute symlink). */
static int open_in_root(int rootfd, const char *rel, int flags)
{
    struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    while (*rel == '/')
        rel++;
    if (*rel == '\0')
        rel = ".";
    long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) /* EPERM: seccomp filters */
        fd = openat(rootfd, rel, flags | O_CLOEXEC);
    return (int)fd;
}

static hc_result append_linker(struct walk *w, const char *rel, const struct host_elf_needs *n)
{
    struct host_linker_list *l = w->out;
    if (l->count == w->out_cap) {
        size_t ncap = w->out_cap ? w->out_cap * 2 : 64;
        struct host_linker *grown = realloc(l->items, ncap * sizeof *grown);
        HC_ENSURE(grown, HC_ERR_NOMEM);
        l->items = grown;
        w->out_cap = ncap;
    }
    char *path = malloc(strlen(rel) + 2);
    HC_ENSURE(path, HC_ERR_NOMEM);
    snprintf(path, strlen(rel) + 2, "/%s", rel[0] == '/' ? rel + 1 : rel);
    l->items[l->count++] = (struct host_linker){.path = path, .needs = *n};
    return HC_SUCCESS;
}

/* Takes ownership of fd. rel is the root-relative name to report. */
static hc_result check_file(struct walk *w, int fd, const char *rel)
{
    struct stat st;
    struct host_elf_needs needs;
    bool fresh = false;
    hc_result r = HC_SUCCESS;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        r = seen_add(&w->seen, &st, &fresh);
    if (fresh) {
        w->out->files_checked++;
        hc_result e = host_elf_needs_read_fd(fd, &needs);
        if (!hc_ok(e))
            w->out->errors++;
        else if (needs.needs_ssl[0] || needs.needs_crypto[0])
            r = append_linker(w, rel, &needs);
    }
    close(fd);
    return r;
}

static hc_result defer_symlink(struct walk *w, const char *rel)
{
    if (w->deferred_count == w->deferred_cap) {
        size_t ncap = w->deferred_cap ? w->deferred_cap * 2 : 256;
        char **grown = realloc(w->deferred, ncap * sizeof *grown);
        HC_ENSURE(grown, HC_ERR_NOMEM);
        w->deferred = grown;
        w->deferred_cap = ncap;
    }
    w->deferred[w->deferred_count] = strdup(rel);
    HC_ENSURE(w->deferred[w->deferred_count], HC_ERR_NOMEM);
    w->deferred_count++;
    return HC_SUCCESS;
}

enum dir_filter {
    FILTER_ALL,       /* program directories: every file */
    FILTER_SO,        /* library directories: names containing ".so" */
    FILTER_LIB_PARENT /* /usr/lib: its .so files, and one level of subdirectories */
};

static hc_result walk_dir(struct walk *w, const char *rel, enum dir_filter filter);

/* Multiarch directories ("x86_64-linux-gnu") hold libraries; others (openssh, postgresql)
 * hold helper programs. */
static enum dir_filter subdir_filter(const char *name)
{
    return strstr(name, "-linux-") ? FILTER_SO : FILTER_ALL;
}

static unsigned char entry_type(int dfd, const struct dirent *e)
{
    struct stat st;
    if (e->d_type != DT_UNKNOWN)
        return e->d_type;
    if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return DT_UNKNOWN;
    return S_ISREG(st.st_mode)   ? DT_REG
           : S_ISDIR(st.st_mode) ? DT_DIR
           : S_ISLNK(st.st_mode) ? DT_LNK
                                 : DT_UNKNOWN;
}

static hc_result walk_entry(struct walk *w, int dfd, const char *dir, const struct dirent *e,
                            enum dir_filter filter)
{
    char rel[PATH_MAX];
    unsigned char type = entry_type(dfd, e);
    bool wanted = filter == FILTER_ALL || strstr(e->d_name, ".so") != NULL;
    if (e->d_name[0] == '.' ||
        snprintf(rel, sizeof rel, "%s/%s", dir, e->d_name) >= (int)sizeof rel)
        return HC_SUCCESS;
    if (type == DT_DIR && filter == FILTER_LIB_PARENT)
        return walk_dir(w, rel, subdir_filter(e->d_name));
    if (!wanted)
        return HC_SUCCESS;
    if (type == DT_LNK)
        return defer_symlink(w, rel);
    if (type != DT_REG)
        return HC_SUCCESS;
    int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        w->out->errors++;
        return HC_SUCCESS;
    }
    return check_file(w, fd, rel);
}

static hc_result walk_dir(struct walk *w, const char *rel, enum dir_filter filter)
{
    struct stat st;
    bool fresh = false;
    int dfd = open_in_root(w->rootfd, rel, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return HC_SUCCESS; /* this system has no such directory */
    hc_result r = fstat(dfd, &st) == 0 ? seen_add(&w->seen, &st, &fresh) : HC_SUCCESS;
    DIR *d = hc_ok(r) && fresh ? fdopendir(dfd) : NULL;
    if (!d) {
        close(dfd);
        return r;
    }
    struct dirent *e;
    while (hc_ok(r) && (e = readdir(d)) != NULL)
        r = walk_entry(w, dfd, rel, e, filter);
    closedir(d);
    return r;
}

static hc_result walk_deferred(struct walk *w)
{
    for (size_t i = 0; i < w->deferred_count; i++) {
        int fd = open_in_root(w->rootfd, w->deferred[i], O_RDONLY | O_NONBLOCK);
        if (fd >= 0)
            HC_TRY(check_file(w, fd, w->deferred[i]));
    }
    return HC_SUCCESS;
}

static hc_result walk_all(struct walk *w)
{
    static const struct {
        const char *dir;
        enum dir_filter filter;
    } dirs[] = {
        /* /usr first: on merged-/usr systems packages name their files there. */
        {"usr/bin", FILTER_ALL},        {"usr/sbin", FILTER_ALL},    {"usr/local/bin", FILTER_ALL},
        {"usr/local/sbin", FILTER_ALL}, {"usr/libexec", FILTER_ALL}, {"usr/lib", FILTER_LIB_PARENT},
        {"usr/lib64", FILTER_SO},       {"bin", FILTER_ALL},         {"sbin", FILTER_ALL},
        {"lib", FILTER_LIB_PARENT},     {"lib64", FILTER_SO},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(dirs); i++)
        HC_TRY(walk_dir(w, dirs[i].dir, dirs[i].filter));
    return walk_deferred(w);
}

hc_result host_linkers_scan(const char *root, struct host_linker_list *out)
{
    memset(out, 0, sizeof *out);
    struct walk w = {.out = out};
    w.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    HC_ENSURE(w.rootfd >= 0, HC_ERR_IO);
    hc_result r = walk_all(&w);
    close(w.rootfd);
    for (size_t i = 0; i < w.deferred_count; i++)
        free(w.deferred[i]);
    free(w.deferred);
    free(w.seen.keys);
    if (!hc_ok(r))
        host_linkers_free(out);
    return r;
}

void host_linkers_free(struct host_linker_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].path);
    free(l->items);
    memset(l, 0, sizeof *l);
}
