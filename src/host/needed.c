/* Programs and libraries that link libssl: DT_NEEDED from the program headers, over the usual
 * program and library directories.
 *
 * The walk must stay well inside the audit's one-second budget on a full server, cold page
 * cache included, so: entry types come from d_type (no stat per name), every directory and file
 * is visited once by device and inode (merged /usr makes /bin and /usr/bin the same directory),
 * and symlinks are only followed after the real files, so a program is listed under its own
 * name. Under a root other than "/" an absolute symlink must not lead out of the image: paths
 * are resolved with openat2(RESOLVE_IN_ROOT).
 *
 * One file costs two to four small reads, never the section header table at its end: the first
 * 4 KiB (ELF and program headers; a file that is not ELF costs nothing more), the PT_DYNAMIC
 * segment, and the DT_NEEDED strings in DT_STRTAB. Each read is a step of a resumable parse
 * (struct elf_job): the walk keeps RING_SIZE files open, announces each file's next read with
 * POSIX_FADV_WILLNEED, and runs the steps round-robin, so the disk sees many reads at once
 * instead of one random read per file in turn (8 s -> well under 1 s cold). Anything unusual
 * (no program headers, two PT_DYNAMIC, a dynamic segment outside the file, odd header sizes,
 * extended section numbering) is handed to libelf, which reads the section headers as before. */
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

/* -- the libelf path, for files the program-header parser leaves alone -- */

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

static hc_result scan_elf(Elf *elf, uint64_t file_size, struct host_elf_needs *out)
{
    GElf_Ehdr ehdr;
    size_t shnum;
    HC_ENSURE(elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &ehdr), HC_ERR_SHORT);
    HC_ENSURE(elf_getshdrnum(elf, &shnum) == 0, HC_ERR_SHORT);
    /* libelf reports a section table cut off by the end of the file as no sections at all,
     * which would pass a truncated program as one that needs nothing: trust the header. */
    size_t want = ehdr.e_shnum ? ehdr.e_shnum : shnum; /* 0 in e_shnum: extended numbering */
    HC_ENSURE(want == 0 || (ehdr.e_shentsize > 0 && ehdr.e_shoff <= file_size &&
                            want <= (file_size - ehdr.e_shoff) / ehdr.e_shentsize && shnum == want),
              HC_ERR_SHORT);
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        HC_ENSURE(gelf_getshdr(scn, &shdr), HC_ERR_SHORT);
        if (shdr.sh_type == SHT_DYNAMIC)
            return scan_dynamic(elf, scn, &shdr, out); /* there is only one */
    }
    return HC_SUCCESS; /* static executable, object file: needs nothing */
}

static hc_result needs_by_libelf(int fd, uint64_t file_size, struct host_elf_needs *out)
{
    memset(out, 0, sizeof *out);
    out->is_elf = true;
    HC_ENSURE(elf_version(EV_CURRENT) != EV_NONE, HC_ERR_IO);
    /* READ_MMAP: libelf touches only the headers and the dynamic section's pages. */
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    HC_ENSURE(elf, HC_ERR_SHORT);
    hc_result r = scan_elf(elf, file_size, out);
    elf_end(elf);
    return r;
}

/* -- the program-header parser -- */

enum {
    HEAD_READ = 4096,        /* Ehdr and, nearly always, every Phdr */
    SEGMENT_MAX = 1 << 20,   /* a larger PT_DYNAMIC or program header table: libelf */
    STRING_SLACK = 4096,     /* read past the last DT_NEEDED offset, for its name */
    EHDR32_SIZE = 52,        /* sizeof(Elf32_Ehdr) */
    EHDR64_SIZE = 64,        /* sizeof(Elf64_Ehdr) */
    PHDR32_SIZE = 32,        /* sizeof(Elf32_Phdr) */
    PHDR64_SIZE = 56,        /* sizeof(Elf64_Phdr) */
    SHDR32_SIZE = 40,        /* sizeof(Elf32_Shdr) */
    SHDR64_SIZE = 64,        /* sizeof(Elf64_Shdr) */
    PHNUM_EXTENDED = 0xffff, /* PN_XNUM: the count is in section 0 */
};

enum job_step { STEP_HEAD, STEP_PHDRS, STEP_DYNAMIC, STEP_STRINGS, STEP_DONE };

struct elf_load {
    uint64_t vaddr, offset, filesz;
};

/* One file's parse, resumable between reads: step says which read comes next (off, len). */
struct elf_job {
    int fd;
    uint64_t size; /* st_size */
    enum job_step step;
    uint64_t off;
    size_t len;
    bool is64, big_endian;
    bool has_sections; /* a section table libelf could consult instead */
    size_t phnum;
    struct elf_load *loads;
    size_t load_count;
    uint64_t *needed; /* DT_NEEDED string offsets, in order */
    size_t needed_count;
    uint64_t strings_off;   /* file offset of the first byte read in STEP_STRINGS */
    uint64_t strings_limit; /* file offset where the string table ends */
    struct host_elf_needs needs;
    hc_result result;
    /* the walk's bookkeeping */
    size_t seq;
    char *rel;
};

/* Reads n bytes at p, which the caller has bounds-checked. */
static uint64_t get_uint(const struct elf_job *j, const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[j->big_endian ? n - 1 - i : i] << (8 * i);
    return v;
}

/* A field of a 32- or 64-bit structure: (offset, size) in each class. */
static uint64_t get_field(const struct elf_job *j, const uint8_t *base, size_t off32, size_t n32,
                          size_t off64, size_t n64)
{
    return j->is64 ? get_uint(j, base + off64, n64) : get_uint(j, base + off32, n32);
}

static void job_finish(struct elf_job *j, hc_result r)
{
    j->result = r;
    j->step = STEP_DONE;
}

static void job_fall_back(struct elf_job *j)
{
    job_finish(j, needs_by_libelf(j->fd, j->size, &j->needs));
}

/* A dynamic segment the parser will not read: the section headers may still say where the
 * names are; without any, libelf would only report "needs nothing", which is not known. */
static void job_give_up(struct elf_job *j)
{
    if (j->has_sections)
        job_fall_back(j);
    else
        job_finish(j, HC_RESULT(HC_ERR_SHORT));
}

static void job_next(struct elf_job *j, enum job_step step, uint64_t off, size_t len, bool prefetch)
{
    j->step = step;
    j->off = off;
    j->len = len;
    if (prefetch)
        (void)posix_fadvise(j->fd, (off_t)off, (off_t)len, POSIX_FADV_WILLNEED);
}

/* Whether [off, off + len) lies inside a file of size bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* The file offset of the virtual address v through the PT_LOAD segments, and where the
 * segment's file bytes end. */
static bool map_vaddr(const struct elf_job *j, uint64_t v, uint64_t *off, uint64_t *end)
{
    for (size_t i = 0; i < j->load_count; i++) {
        const struct elf_load *l = &j->loads[i];
        if (v >= l->vaddr && v - l->vaddr < l->filesz) {
            *off = l->offset + (v - l->vaddr);
            *end = l->offset + l->filesz;
            return true;
        }
    }
    return false;
}

static void parse_phdrs(struct elf_job *j, const uint8_t *tab, bool prefetch)
{
    size_t entsize = j->is64 ? PHDR64_SIZE : PHDR32_SIZE;
    size_t dynamics = 0;
    uint64_t dyn_off = 0, dyn_size = 0;
    j->loads = calloc(j->phnum, sizeof *j->loads);
    if (!j->loads) {
        job_finish(j, HC_RESULT(HC_ERR_NOMEM));
        return;
    }
    for (size_t i = 0; i < j->phnum; i++) {
        const uint8_t *ph = tab + i * entsize;
        uint32_t type = (uint32_t)get_uint(j, ph, 4);
        uint64_t offset = get_field(j, ph, 4, 4, 8, 8);
        uint64_t vaddr = get_field(j, ph, 8, 4, 16, 8);
        uint64_t filesz = get_field(j, ph, 16, 4, 32, 8);
        if (type == PT_LOAD && filesz > 0 && in_file(offset, filesz, j->size) &&
            vaddr <= UINT64_MAX - filesz)
            j->loads[j->load_count++] = (struct elf_load){vaddr, offset, filesz};
        if (type == PT_DYNAMIC) {
            dynamics++;
            dyn_off = offset;
            dyn_size = filesz;
        }
    }
    if (dynamics == 0) {
        job_finish(j, HC_SUCCESS); /* static: needs nothing */
        return;
    }
    if (dyn_size == 0 && dynamics == 1 && !j->has_sections) {
        job_finish(j, HC_SUCCESS); /* an empty dynamic segment: needs nothing */
        return;
    }
    if (dynamics > 1 || dyn_size == 0 || dyn_size > SEGMENT_MAX ||
        !in_file(dyn_off, dyn_size, j->size)) {
        job_give_up(j); /* debug files keep PT_DYNAMIC with no bytes behind it */
        return;
    }
    job_next(j, STEP_DYNAMIC, dyn_off, (size_t)dyn_size, prefetch);
}

/* The first 4 KiB: magic, identification, ELF header, and the program headers when they fit. */
static void parse_head(struct elf_job *j, const uint8_t *buf, size_t n, bool prefetch)
{
    if (n < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0) {
        job_finish(j, HC_SUCCESS); /* not ELF */
        return;
    }
    j->needs.is_elf = true;
    if (n < EI_NIDENT || (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64) ||
        (buf[EI_DATA] != ELFDATA2LSB && buf[EI_DATA] != ELFDATA2MSB) ||
        buf[EI_VERSION] != EV_CURRENT) {
        job_fall_back(j); /* libelf decides what a strange identification means */
        return;
    }
    j->is64 = buf[EI_CLASS] == ELFCLASS64;
    j->big_endian = buf[EI_DATA] == ELFDATA2MSB;
    size_t ehsize = j->is64 ? EHDR64_SIZE : EHDR32_SIZE;
    if (n < ehsize) {
        job_finish(j, HC_RESULT(HC_ERR_SHORT));
        return;
    }
    uint64_t phoff = get_field(j, buf, 28, 4, 32, 8);
    uint64_t shoff = get_field(j, buf, 32, 4, 40, 8);
    uint64_t phentsize = get_field(j, buf, 42, 2, 54, 2);
    uint64_t phnum = get_field(j, buf, 44, 2, 56, 2);
    uint64_t shentsize = get_field(j, buf, 46, 2, 58, 2);
    uint64_t shnum = get_field(j, buf, 48, 2, 60, 2);
    /* A section table cut off by the end of the file: truncated, as libelf's path says. */
    if (shnum > 0 && (shentsize == 0 || shoff > j->size || shnum > (j->size - shoff) / shentsize)) {
        job_finish(j, HC_RESULT(HC_ERR_SHORT));
        return;
    }
    if ((shnum == 0 && shoff != 0) || (shnum > 0 && shoff < ehsize) ||
        (shnum > 0 && shentsize != (j->is64 ? SHDR64_SIZE : SHDR32_SIZE)) || phnum == 0 ||
        phnum == PHNUM_EXTENDED || phentsize != (j->is64 ? PHDR64_SIZE : PHDR32_SIZE)) {
        job_fall_back(j); /* object files, extended numbering, odd layouts */
        return;
    }
    uint64_t table = phnum * phentsize; /* at most 65534 * 56 */
    if (!in_file(phoff, table, j->size)) {
        job_finish(j, HC_RESULT(HC_ERR_SHORT));
        return;
    }
    j->phnum = (size_t)phnum;
    j->has_sections = shnum > 0;
    if (phoff <= n && table <= n - phoff)
        parse_phdrs(j, buf + phoff, prefetch);
    else
        job_next(j, STEP_PHDRS, phoff, (size_t)table, prefetch);
}

static void parse_dynamic(struct elf_job *j, const uint8_t *buf, size_t n, bool prefetch)
{
    size_t entsize = j->is64 ? 16 : 8, count = n / entsize;
    uint64_t strtab = 0, strsz = 0;
    bool has_strtab = false, has_strsz = false;
    j->needed = malloc((count ? count : 1) * sizeof *j->needed);
    if (!j->needed) {
        job_finish(j, HC_RESULT(HC_ERR_NOMEM));
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const uint8_t *d = buf + i * entsize;
        uint64_t tag = get_field(j, d, 0, 4, 0, 8);
        uint64_t val = get_field(j, d, 4, 4, 8, 8);
        if (tag == DT_NULL)
            break;
        if (tag == DT_NEEDED)
            j->needed[j->needed_count++] = val;
        else if (tag == DT_STRTAB && !has_strtab) {
            strtab = val;
            has_strtab = true;
        } else if (tag == DT_STRSZ && !has_strsz) {
            strsz = val;
            has_strsz = true;
        }
    }
    if (j->needed_count == 0) {
        job_finish(j, HC_SUCCESS);
        return;
    }
    uint64_t table_off, limit;
    if (!has_strtab || !map_vaddr(j, strtab, &table_off, &limit)) {
        job_finish(j, HC_RESULT(HC_ERR_SHORT)); /* names that are nowhere in the file */
        return;
    }
    if (has_strsz && strsz < limit - table_off)
        limit = table_off + strsz;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < j->needed_count; i++) {
        if (j->needed[i] >= limit - table_off) {
            job_finish(j, HC_RESULT(HC_ERR_SHORT)); /* a name offset past the table */
            return;
        }
        lo = j->needed[i] < lo ? j->needed[i] : lo;
        hi = j->needed[i] > hi ? j->needed[i] : hi;
    }
    uint64_t end = limit - table_off - hi > STRING_SLACK ? table_off + hi + STRING_SLACK : limit;
    if (end - (table_off + lo) > SEGMENT_MAX) {
        job_give_up(j);
        return;
    }
    j->strings_off = table_off + lo;
    j->strings_limit = limit;
    for (size_t i = 0; i < j->needed_count; i++)
        j->needed[i] -= lo; /* now offsets into the STEP_STRINGS buffer */
    job_next(j, STEP_STRINGS, j->strings_off, (size_t)(end - j->strings_off), prefetch);
}

static void parse_strings(struct elf_job *j, const char *buf, size_t n)
{
    bool read_to_limit = j->strings_off + n == j->strings_limit;
    for (size_t i = 0; i < j->needed_count; i++) {
        const char *name = buf + j->needed[i];
        if (!memchr(name, '\0', n - j->needed[i])) {
            if (read_to_limit)
                job_finish(j, HC_RESULT(HC_ERR_SHORT)); /* runs off the string table */
            else
                job_give_up(j); /* a name longer than 4 KiB: libelf reads all of it */
            return;
        }
    }
    for (size_t i = 0; i < j->needed_count; i++)
        note_needed(buf + j->needed[i], &j->needs);
    job_finish(j, HC_SUCCESS);
}

/* Reads up to len bytes at off; *got is short only at the end of the file. */
static bool read_at(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = pread(fd, (char *)buf + *got, len - *got, (off_t)(off + *got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return true;
}

static void job_start(struct elf_job *j, int fd, uint64_t size, bool prefetch)
{
    j->fd = fd;
    j->size = size;
    j->result = HC_SUCCESS;
    job_next(j, STEP_HEAD, 0, HEAD_READ, prefetch);
}

/* Does the pending read and parses it. With prefetch, the following read is announced to the
 * kernel, to be done while other files take their turn. */
static void job_advance(struct elf_job *j, bool prefetch)
{
    if (j->step == STEP_DONE)
        return;
    uint8_t *buf = malloc(j->len ? j->len : 1);
    size_t n;
    if (!buf) {
        job_finish(j, HC_RESULT(HC_ERR_NOMEM));
        return;
    }
    if (!read_at(j->fd, buf, j->len, j->off, &n))
        job_finish(j, HC_RESULT(HC_ERR_IO));
    else if (j->step == STEP_HEAD)
        parse_head(j, buf, n, prefetch);
    else if (n < j->len) /* the file shrank since fstat */
        job_finish(j, HC_RESULT(HC_ERR_SHORT));
    else if (j->step == STEP_PHDRS)
        parse_phdrs(j, buf, prefetch);
    else if (j->step == STEP_DYNAMIC)
        parse_dynamic(j, buf, n, prefetch);
    else
        parse_strings(j, (const char *)buf, n);
    free(buf);
}

static void job_release(struct elf_job *j)
{
    free(j->loads);
    free(j->needed);
    free(j->rel);
    j->loads = NULL;
    j->needed = NULL;
    j->rel = NULL;
}

hc_result host_elf_needs_read_fd(int fd, struct host_elf_needs *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    HC_ENSURE(fstat(fd, &st) == 0, HC_ERR_IO);
    struct elf_job j = {0};
    job_start(&j, fd, (uint64_t)st.st_size, false);
    while (j.step != STEP_DONE)
        job_advance(&j, false);
    *out = j.needs;
    job_release(&j);
    return j.result;
}

/* O_NOATIME when we may (the file's owner or CAP_FOWNER): an audit should not touch atimes,
 * and relatime would otherwise write back inodes of files not read for a day. Set after the
 * open, so that its EPERM is never taken for another open's. */
static void set_noatime(int fd)
{
    (void)fcntl(fd, F_SETFL, O_NONBLOCK | O_NOATIME); /* every fd here is O_RDONLY|O_NONBLOCK */
}

hc_result host_elf_needs_read(const char *path, struct host_elf_needs *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    HC_ENSURE(fd >= 0, HC_ERR_IO);
    set_noatime(fd);
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

/* Files in flight: enough reads queued to keep the disk busy, few enough open descriptors. */
enum { RING_SIZE = 128 };

struct walk {
    int rootfd;
    struct seen_set seen;
    char **deferred; /* symlinks, root-relative */
    size_t deferred_count, deferred_cap;
    struct host_linker_list *out;
    size_t out_cap;
    size_t *out_seq; /* walk position of each out->items[i]: results arrive out of order */
    struct elf_job *ring[RING_SIZE]; /* round-robin queue of files being read */
    size_t ring_head, ring_count;
    size_t next_seq;
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

/* Inserts in walk order (seq): a file that needed more reads may finish after later ones. */
static hc_result append_linker(struct walk *w, size_t seq, const char *rel,
                               const struct host_elf_needs *n)
{
    struct host_linker_list *l = w->out;
    if (l->count == w->out_cap) {
        size_t ncap = w->out_cap ? w->out_cap * 2 : 64;
        struct host_linker *grown = realloc(l->items, ncap * sizeof *grown);
        HC_ENSURE(grown, HC_ERR_NOMEM);
        l->items = grown;
        size_t *grown_seq = realloc(w->out_seq, ncap * sizeof *grown_seq);
        HC_ENSURE(grown_seq, HC_ERR_NOMEM);
        w->out_seq = grown_seq;
        w->out_cap = ncap;
    }
    char *path = malloc(strlen(rel) + 2);
    HC_ENSURE(path, HC_ERR_NOMEM);
    snprintf(path, strlen(rel) + 2, "/%s", rel[0] == '/' ? rel + 1 : rel);
    size_t at = l->count;
    while (at > 0 && w->out_seq[at - 1] > seq)
        at--;
    memmove(&l->items[at + 1], &l->items[at], (l->count - at) * sizeof *l->items);
    memmove(&w->out_seq[at + 1], &w->out_seq[at], (l->count - at) * sizeof *w->out_seq);
    l->items[at] = (struct host_linker){.path = path, .needs = *n};
    w->out_seq[at] = seq;
    l->count++;
    return HC_SUCCESS;
}

static void job_free(struct elf_job *j)
{
    close(j->fd);
    job_release(j);
    free(j);
}

/* Gives the file at the head of the ring its next read; a finished file leaves the ring and
 * is counted or listed, the others go to the back. */
static hc_result ring_turn(struct walk *w)
{
    struct elf_job *j = w->ring[w->ring_head];
    w->ring_head = (w->ring_head + 1) % RING_SIZE;
    w->ring_count--;
    job_advance(j, true);
    if (j->step != STEP_DONE) {
        w->ring[(w->ring_head + w->ring_count) % RING_SIZE] = j;
        w->ring_count++;
        return HC_SUCCESS;
    }
    hc_result r = HC_SUCCESS;
    if (!hc_ok(j->result))
        w->out->errors++;
    else if (j->needs.needs_ssl[0] || j->needs.needs_crypto[0])
        r = append_linker(w, j->seq, j->rel, &j->needs);
    job_free(j);
    return r;
}

static hc_result ring_drain(struct walk *w)
{
    while (w->ring_count > 0)
        HC_TRY(ring_turn(w));
    return HC_SUCCESS;
}

/* After an error: closes and frees what is still in flight. */
static void ring_discard(struct walk *w)
{
    for (; w->ring_count > 0; w->ring_count--) {
        job_free(w->ring[w->ring_head]);
        w->ring_head = (w->ring_head + 1) % RING_SIZE;
    }
}

/* Takes ownership of fd. rel is the root-relative name to report. The file joins the ring
 * (its first read announced to the kernel) once a place is free. */
static hc_result check_file(struct walk *w, int fd, const char *rel)
{
    struct stat st;
    bool fresh = false;
    hc_result r = HC_SUCCESS;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        r = seen_add(&w->seen, &st, &fresh);
    if (!fresh) {
        close(fd);
        return r;
    }
    w->out->files_checked++;
    set_noatime(fd);
    struct elf_job *j = calloc(1, sizeof *j);
    char *copy = strdup(rel);
    if (!j || !copy) {
        free(j);
        free(copy);
        close(fd);
        return HC_RESULT(HC_ERR_NOMEM);
    }
    j->seq = w->next_seq++;
    j->rel = copy;
    job_start(j, fd, (uint64_t)st.st_size, true);
    while (w->ring_count == RING_SIZE) {
        r = ring_turn(w);
        if (!hc_ok(r)) {
            job_free(j);
            return r;
        }
    }
    w->ring[(w->ring_head + w->ring_count) % RING_SIZE] = j;
    w->ring_count++;
    return HC_SUCCESS;
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
    HC_TRY(walk_deferred(w));
    return ring_drain(w);
}

hc_result host_linkers_scan(const char *root, struct host_linker_list *out)
{
    memset(out, 0, sizeof *out);
    struct walk w = {.out = out};
    w.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    HC_ENSURE(w.rootfd >= 0, HC_ERR_IO);
    hc_result r = walk_all(&w);
    ring_discard(&w);
    close(w.rootfd);
    for (size_t i = 0; i < w.deferred_count; i++)
        free(w.deferred[i]);
    free(w.deferred);
    free(w.seen.keys);
    free(w.out_seq);
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
