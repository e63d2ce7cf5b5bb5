/* deepscan: static OpenSSL copies inside any ELF file under some directories.
 *
 * It has to keep up with `grep -rlF OpenSSL` over the same tree (issue 3, item 9), so the
 * walk costs as few system calls as it can: directories are opened relative to their parent
 * (no path lookups), the entry type comes from readdir, a file is first judged by its first
 * four bytes (most files are not ELF), and only an ELF file is stat'ed and mapped. A mapped
 * file is searched once for "OpenSSL"; the full banner parse runs only when that hits. */
#include "host/copies.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* Filesystems with no files on disk, only the kernel's view (values from linux/magic.h,
 * spelled out so older headers do not matter). Reading them is slow or has side effects. */
static const unsigned long virtual_fs[] = {
    0x9fa0,     /* proc */
    0x62656572, /* sysfs */
    0x64626720, /* debugfs */
    0x1cd1,     /* devpts */
    0x27e0eb,   /* cgroup */
    0x63677270, /* cgroup2 */
    0x73636673, /* securityfs */
    0x74726163, /* tracefs */
    0xcafe4a11, /* bpf */
    0x6165676c, /* pstore */
    0x62656570, /* configfs */
    0x65735543, /* fusectl */
    0x19800202, /* mqueue */
    0xf97cff8c, /* selinuxfs */
    0xde5e81e4, /* efivarfs */
    0x42494e4d, /* binfmt_misc */
};

struct walker {
    const char *root;
    deepscan_fn fn;
    void *ctx;
    struct deepscan_stats st;
    bool try_noatime; /* O_NOATIME is refused (EPERM) on files we do not own, unless root */
    size_t plen;
    char path[PATH_MAX]; /* the entry being looked at, inside root */
};

static void report_error(struct walker *w, int err)
{
    w->st.errors++;
    if (w->fn) {
        struct deepscan_hit hit = {.event = DEEPSCAN_ERROR, .path = w->path, .error = err};
        w->fn(&hit, w->ctx);
    }
}

static bool is_virtual(int dirfd)
{
    struct statfs sf;
    if (fstatfs(dirfd, &sf) != 0)
        return false;
    for (size_t i = 0; i < HC_ARRAY_LEN(virtual_fs); i++)
        if ((unsigned long)sf.f_type == virtual_fs[i])
            return true;
    return false;
}

/* Appends "/name" to w->path; false (path unchanged) when it would not fit. */
static bool push_name(struct walker *w, const char *name)
{
    size_t n = strlen(name);
    bool at_root = w->plen == 1 && w->path[0] == '/';
    size_t start = at_root ? 1 : w->plen + 1;
    if (start + n >= sizeof w->path)
        return false;
    w->path[start - 1] = '/';
    memcpy(w->path + start, name, n + 1);
    w->plen = start + n;
    return true;
}

static void pop_name(struct walker *w, size_t saved)
{
    w->plen = saved;
    w->path[saved] = '\0';
}

static int open_file(struct walker *w, int dirfd, const char *name)
{
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
    if (w->try_noatime) {
        int fd = openat(dirfd, name, flags | O_NOATIME);
        if (fd >= 0 || errno != EPERM)
            return fd;
    }
    return openat(dirfd, name, flags);
}

static bool named_like_openssl(const char *name)
{
    return strncmp(name, "libssl", 6) == 0 || strncmp(name, "libcrypto", 9) == 0;
}

static void search_elf(struct walker *w, int fd, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        report_error(w, errno);
        return;
    }
    size_t n = (uint64_t)st.st_size < BANNER_MAP_MAX ? (size_t)st.st_size : BANNER_MAP_MAX;
    if (!S_ISREG(st.st_mode) || n == 0)
        return;
    void *map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        report_error(w, errno);
        return;
    }
    struct deepscan_hit hit = {.event = DEEPSCAN_FOUND, .path = w->path, .size = n};
    /* One fast pass decides for nearly every file; the banner parser makes several. */
    if (memmem(map, n, "OpenSSL", 7) != NULL)
        banner_find(map, n, &hit.banner);
    munmap(map, n);
    if (!hit.banner.found)
        return;
    hit.is_shared_lib = named_like_openssl(name);
    hit.is_static_copy = !hit.is_shared_lib && hit.banner.library_code;
    hit.is_header_quote = !hit.is_shared_lib && !hit.banner.library_code;
    w->st.found++;
    if (w->fn)
        w->fn(&hit, w->ctx);
}

/* Takes ownership of fd. */
static void scan_open_file(struct walker *w, int fd, const char *name)
{
    w->st.files++;
    unsigned char magic[4];
    ssize_t got = pread(fd, magic, sizeof magic, 0);
    if (got < 0)
        report_error(w, errno);
    else if (got == 4 && memcmp(magic, "\177ELF", 4) == 0) {
        w->st.elf_files++;
        search_elf(w, fd, name);
    }
    close(fd);
}

static void scan_file(struct walker *w, int dirfd, const char *name)
{
    int fd = open_file(w, dirfd, name);
    if (fd < 0)
        report_error(w, errno);
    else
        scan_open_file(w, fd, name);
}

static void walk_dir(struct walker *w, int dirfd, int depth);

static void enter_dir(struct walker *w, int dirfd, const char *name, int depth)
{
    if (depth >= DEEPSCAN_MAX_DEPTH) {
        w->st.skipped++;
        return;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        report_error(w, errno);
        return;
    }
    walk_dir(w, fd, depth + 1);
}

/* DT_UNKNOWN comes from filesystems that do not fill d_type (some network and old ones). */
static unsigned char entry_type(int dirfd, const struct dirent *e)
{
    if (e->d_type != DT_UNKNOWN)
        return e->d_type;
    struct stat st;
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return DT_UNKNOWN;
    return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
}

static void visit(struct walker *w, int dirfd, const struct dirent *e, int depth)
{
    size_t saved = w->plen;
    if (!push_name(w, e->d_name)) {
        w->st.skipped++;
        return;
    }
    switch (entry_type(dirfd, e)) {
    case DT_DIR: enter_dir(w, dirfd, e->d_name, depth); break;
    case DT_REG: scan_file(w, dirfd, e->d_name); break;
    default: break; /* symlinks are never followed; devices, fifos, sockets hold no code */
    }
    pop_name(w, saved);
}

/* Takes ownership of dirfd. */
static void walk_dir(struct walker *w, int dirfd, int depth)
{
    if (is_virtual(dirfd)) {
        w->st.skipped++;
        close(dirfd);
        return;
    }
    DIR *d = fdopendir(dirfd);
    if (d == NULL) {
        report_error(w, errno);
        close(dirfd);
        return;
    }
    w->st.dirs++;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        visit(w, dirfd, e, depth);
    }
    closedir(d);
}

/* One starting path: its own symlinks are resolved inside root (/lib -> usr/lib), then it is
 * walked if it is a directory or searched if it is a file. */
static hc_result walk_top(struct walker *w, const char *path)
{
    HC_ENSURE(path[0] == '/', HC_ERR_USAGE);
    char *real;
    hc_result res = libfind_resolve(w->root, path, &real);
    HC_ENSURE(res.error != HC_ERR_NOMEM, HC_ERR_NOMEM);
    size_t n = strlen(hc_ok(res) ? real : path);
    if (n >= sizeof w->path) {
        free(real);
        return HC_RESULT(HC_ERR_USAGE);
    }
    memcpy(w->path, hc_ok(res) ? real : path, n + 1);
    w->plen = n;
    free(real);
    if (!hc_ok(res)) {
        report_error(w, ENOENT);
        return HC_SUCCESS;
    }
    size_t rl = strlen(w->root);
    char *full = malloc(rl + n + 2);
    HC_ENSURE(full != NULL, HC_ERR_NOMEM);
    strcpy(full, w->root);
    strcat(full, w->path);
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(full);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        report_error(w, errno);
        if (fd >= 0)
            close(fd);
        return HC_SUCCESS;
    }
    if (S_ISDIR(st.st_mode)) {
        walk_dir(w, fd, 0);
        return HC_SUCCESS;
    }
    if (S_ISREG(st.st_mode)) {
        const char *slash = strrchr(w->path, '/');
        scan_open_file(w, fd, slash ? slash + 1 : w->path);
    } else {
        close(fd);
    }
    return HC_SUCCESS;
}

hc_result deepscan_run(const char *root, const char *const *paths, size_t npaths, deepscan_fn fn,
                       void *ctx, struct deepscan_stats *stats)
{
    struct walker *w = calloc(1, sizeof *w);
    HC_ENSURE(w != NULL, HC_ERR_NOMEM);
    /* "/" as root adds nothing in front of the paths. */
    w->root = root == NULL || strcmp(root, "/") == 0 ? "" : root;
    w->fn = fn;
    w->ctx = ctx;
    w->try_noatime = true;
    hc_result res = HC_SUCCESS;
    for (size_t i = 0; hc_ok(res) && i < npaths; i++)
        res = walk_top(w, paths[i]);
    if (stats)
        *stats = w->st;
    free(w);
    return res;
}
