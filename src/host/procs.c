/* Running processes: identity, systemd unit and the TLS libraries each one maps.
 *
 * Everything under /proc can disappear between two reads (the process exits), and much of it
 * is root-only; both are counted, never fatal. Files are read with bounded buffers and maps is
 * streamed a line at a time, because a large process has tens of thousands of mappings. */
#include "host/procs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* PF_KTHREAD from the kernel's sched.h: the flags field of /proc/PID/stat. */
enum { PF_KTHREAD_FLAG = 0x00200000 };

/* Basename prefixes; the first two are OpenSSL's own names (also LibreSSL and BoringSSL,
 * which kept them). NSS's libssl3.so does not match "libssl.so". */
static const struct {
    const char *prefix;
    enum host_tls_kind kind;
} tls_names[] = {
    {"libssl.so", HOST_TLS_LIBSSL}, {"libcrypto.so", HOST_TLS_LIBCRYPTO},
    {"libgnutls", HOST_TLS_OTHER},  {"libnss3.so", HOST_TLS_OTHER},
    {"libwolfssl", HOST_TLS_OTHER}, {"libmbedtls", HOST_TLS_OTHER},
};

static enum host_tls_kind kind_of_basename(const char *base, size_t len)
{
    for (size_t i = 0; i < HC_ARRAY_LEN(tls_names); i++) {
        size_t n = strlen(tls_names[i].prefix);
        if (len >= n && memcmp(base, tls_names[i].prefix, n) == 0)
            return tls_names[i].kind;
    }
    return HOST_TLS_NONE;
}

static enum host_tls_kind kind_of_path(const char *path, size_t len)
{
    const char *base = path;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            base = path + i + 1;
    return kind_of_basename(base, len - (size_t)(base - path));
}

enum host_tls_kind host_tls_kind_of(const char *path) { return kind_of_path(path, strlen(path)); }

/* ---- maps lines ---------------------------------------------------------------------------- */

/* A cursor over one line: the parsers below never read past end. */
struct cursor {
    const char *p, *end;
};

static bool hex_field(struct cursor *c, unsigned long *out)
{
    unsigned long v = 0;
    const char *start = c->p;
    while (c->p < c->end) {
        char ch = *c->p;
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            break;
        if (v > (ULONG_MAX >> 4))
            return false;
        v = (v << 4) | d;
        c->p++;
    }
    *out = v;
    return c->p > start;
}

static bool dec_field(struct cursor *c, unsigned long *out)
{
    unsigned long v = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p - '0');
        if (v > (ULONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        c->p++;
    }
    *out = v;
    return c->p > start;
}

static bool expect_char(struct cursor *c, char ch)
{
    if (c->p >= c->end || *c->p != ch)
        return false;
    c->p++;
    return true;
}

static bool skip_spaces(struct cursor *c)
{
    const char *start = c->p;
    while (c->p < c->end && *c->p == ' ')
        c->p++;
    return c->p > start;
}

static bool perms_field(struct cursor *c, char perms[5])
{
    if (c->end - c->p < 4)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (!memchr("rwxsp-", c->p[i], 6))
            return false;
    memcpy(perms, c->p, 4);
    perms[4] = '\0';
    c->p += 4;
    return true;
}

static void path_field(struct cursor *c, struct host_maps_line *out)
{
    static const char deleted[] = " (deleted)";
    const size_t dlen = sizeof deleted - 1;
    size_t len = (size_t)(c->end - c->p);
    out->path = NULL;
    out->path_len = 0;
    out->deleted = false;
    if (len == 0)
        return;
    if (len > dlen && memcmp(c->end - dlen, deleted, dlen) == 0) {
        out->deleted = true;
        len -= dlen;
    }
    out->path = c->p;
    out->path_len = len;
}

bool host_maps_line_parse(const char *line, size_t len, struct host_maps_line *out)
{
    struct cursor c = {line, line + len};
    unsigned long maj, min;
    memset(out, 0, sizeof *out);
    if (len > 0 && line[len - 1] == '\n')
        c.end--;
    if (!hex_field(&c, &out->start) || !expect_char(&c, '-') || !hex_field(&c, &out->end) ||
        !skip_spaces(&c) || !perms_field(&c, out->perms) || !skip_spaces(&c) ||
        !hex_field(&c, &out->offset) || !skip_spaces(&c) || !hex_field(&c, &maj) ||
        !expect_char(&c, ':') || !hex_field(&c, &min) || !skip_spaces(&c) ||
        !dec_field(&c, &out->inode))
        return false;
    if (maj > UINT_MAX || min > UINT_MAX || out->end < out->start)
        return false;
    out->dev_major = (unsigned)maj;
    out->dev_minor = (unsigned)min;
    if (c.p < c.end && !skip_spaces(&c))
        return false; /* something glued to the inode */
    path_field(&c, out);
    return true;
}

/* ---- cgroup -> systemd unit ---------------------------------------------------------------- */

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* systemd's unit name alphabet (unit-name.c VALID_CHARS): anything else is not a unit. */
static bool unit_chars(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr(":-_.\\@", c))))
            return false;
    }
    return true;
}

static bool is_unit_name(const char *s, size_t len)
{
    static const char *const types[] = {".service", ".scope", ".socket", ".mount", ".swap"};
    if (!unit_chars(s, len))
        return false;
    for (size_t i = 0; i < HC_ARRAY_LEN(types); i++)
        if (has_suffix(s, len, types[i]) && len > strlen(types[i]))
            return true;
    return false;
}

static bool is_user_manager(const char *s, size_t len)
{
    return len > 13 && memcmp(s, "user@", 5) == 0 && has_suffix(s, len, ".service");
}

/* Walks a cgroup path ("/system.slice/nginx.service/...") past slices; see the header. */
static bool unit_from_path(const char *path, size_t len, char *unit, size_t cap, bool *user_unit)
{
    const char *p = path, *end = path + len;
    bool found = false;
    *user_unit = false;
    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *comp_end = slash ? slash : end;
        size_t n = (size_t)(comp_end - p);
        if (n > 0 && !has_suffix(p, n, ".slice")) {
            if (!is_unit_name(p, n))
                break; /* a delegated sub-cgroup: the unit above it stands */
            if (n >= cap)
                return false;
            memcpy(unit, p, n);
            unit[n] = '\0';
            *user_unit = found;
            if (found || !is_user_manager(p, n))
                return true;
            found = true; /* user@UID.service: its own units may follow */
        }
        p = comp_end + (slash ? 1 : 0);
    }
    return found;
}

/* The cgroup path of a line "ID:CONTROLLERS:PATH" whose controllers equal want. */
static bool cgroup_line_path(const char *line, size_t len, const char *want, const char **path,
                             size_t *path_len)
{
    const char *c1 = memchr(line, ':', len);
    if (!c1)
        return false;
    const char *rest = c1 + 1;
    size_t rest_len = len - (size_t)(rest - line);
    const char *c2 = memchr(rest, ':', rest_len);
    if (!c2 || (size_t)(c2 - rest) != strlen(want) || memcmp(rest, want, strlen(want)) != 0)
        return false;
    *path = c2 + 1;
    *path_len = len - (size_t)(*path - line);
    return true;
}

static bool find_cgroup_path(const char *text, size_t len, const char *want, const char **path,
                             size_t *path_len)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (cgroup_line_path(p, n, want, path, path_len))
            return true;
        p += n + 1;
    }
    return false;
}

bool host_cgroup_unit(const char *text, size_t len, char *unit, size_t unit_cap, bool *user_unit)
{
    /* name=systemd is the hierarchy systemd itself manages on v1 and hybrid systems. */
    static const char *const hierarchies[] = {"name=systemd", ""};
    const char *path;
    size_t path_len;
    *user_unit = false;
    if (unit_cap == 0)
        return false;
    unit[0] = '\0';
    for (size_t i = 0; i < HC_ARRAY_LEN(hierarchies); i++)
        if (find_cgroup_path(text, len, hierarchies[i], &path, &path_len) &&
            unit_from_path(path, path_len, unit, unit_cap, user_unit))
            return true;
    unit[0] = '\0';
    return false;
}

/* ---- reading one process -------------------------------------------------------------------- */

/* Reads at most cap-1 bytes of PROC/PID/name, terminated. -1 with errno on failure. */
static ssize_t read_small(const char *proc, pid_t pid, const char *name, char *buf, size_t cap)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%d/%s", proc, (int)pid, name) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
            }
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

static char *dup_printf_path(const char *proc, pid_t pid, const char *suffix)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s/%d/%s", proc, (int)pid, suffix) >= (int)sizeof buf)
        return NULL;
    return strdup(buf);
}

/* stat: "PID (COMM) S PPID PGRP SESSION TTY TPGID FLAGS ..."; comm may hold ')' and spaces. */
static bool parse_stat(const char *text, pid_t *ppid, unsigned long *flags)
{
    const char *close = strrchr(text, ')');
    unsigned long fields[7];
    if (!close)
        return false;
    struct cursor c = {close + 1, text + strlen(text)};
    if (!skip_spaces(&c) || c.p >= c.end)
        return false;
    c.p++; /* state letter */
    for (size_t i = 1; i < HC_ARRAY_LEN(fields); i++) {
        bool neg;
        if (!skip_spaces(&c))
            return false;
        neg = c.p < c.end && *c.p == '-'; /* tty_nr and tpgid may be -1 */
        c.p += neg;
        if (!dec_field(&c, &fields[i]))
            return false;
    }
    *ppid = (pid_t)fields[1];
    *flags = fields[6];
    return true;
}

static void parse_uid(const char *status, uid_t *uid)
{
    const char *line = strstr(status, "\nUid:");
    unsigned long v;
    if (!line)
        return;
    struct cursor c = {line + 5, status + strlen(status)};
    while (c.p < c.end && (*c.p == '\t' || *c.p == ' '))
        c.p++;
    if (dec_field(&c, &v))
        *uid = (uid_t)v;
}

/* Reads stat (to skip kernel threads and get ppid) and status (uid). false: vanished. */
static bool read_identity(const char *proc, pid_t pid, struct host_process *p, bool *kthread)
{
    char buf[2048];
    unsigned long flags = 0;
    if (read_small(proc, pid, "stat", buf, sizeof buf) < 0 || !parse_stat(buf, &p->ppid, &flags))
        return false;
    *kthread = (flags & PF_KTHREAD_FLAG) != 0;
    if (read_small(proc, pid, "status", buf, sizeof buf) >= 0)
        parse_uid(buf, &p->uid);
    if (read_small(proc, pid, "comm", p->comm, sizeof p->comm) > 0)
        p->comm[strcspn(p->comm, "\n")] = '\0';
    return true;
}

static hc_result read_exe(const char *proc, pid_t pid, struct host_process *p)
{
    static const char deleted[] = " (deleted)";
    char link[PATH_MAX], target[PATH_MAX];
    ssize_t n = -1;
    if (snprintf(link, sizeof link, "%s/%d/exe", proc, (int)pid) < (int)sizeof link)
        n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        n = 0; /* denied (not root) or a zombie: unknown, not fatal */
    target[n] = '\0';
    size_t dlen = sizeof deleted - 1;
    if ((size_t)n > dlen && strcmp(target + n - dlen, deleted) == 0) {
        p->exe_deleted = true;
        target[n - (ssize_t)dlen] = '\0';
    }
    p->exe = strdup(target);
    p->exe_proc = dup_printf_path(proc, pid, "exe");
    HC_ENSURE(p->exe && p->exe_proc, HC_ERR_NOMEM);
    return HC_SUCCESS;
}

static hc_result read_cmdline(const char *proc, pid_t pid, struct host_process *p)
{
    char *buf = malloc(HOST_CMDLINE_MAX + 1);
    HC_ENSURE(buf, HC_ERR_NOMEM);
    /* One byte more than we keep, to tell a cut command line from one that fits exactly. */
    ssize_t n = read_small(proc, pid, "cmdline", buf, HOST_CMDLINE_MAX + 1);
    if (n < 0)
        n = 0;
    p->cmdline_truncated = n > HOST_CMDLINE_MAX - 1;
    if (p->cmdline_truncated)
        n = HOST_CMDLINE_MAX - 1;
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[n] = '\0';
    p->cmdline = buf;
    return HC_SUCCESS;
}

static void read_unit(const char *proc, pid_t pid, struct host_process *p)
{
    char buf[8192];
    ssize_t n = read_small(proc, pid, "cgroup", buf, sizeof buf);
    if (n > 0)
        (void)host_cgroup_unit(buf, (size_t)n, p->unit, sizeof p->unit, &p->user_unit);
}

/* ---- libraries from maps ------------------------------------------------------------------- */

static struct host_mapping *find_lib(struct host_process *p, const struct host_maps_line *m)
{
    for (size_t i = 0; i < p->lib_count; i++) {
        struct host_mapping *lib = &p->libs[i];
        if (lib->inode == m->inode && lib->dev_major == m->dev_major &&
            lib->dev_minor == m->dev_minor && strlen(lib->path) == m->path_len &&
            memcmp(lib->path, m->path, m->path_len) == 0)
            return lib;
    }
    return NULL;
}

/* Whether the path, seen from the process's own root (its container or chroot), still names
 * the mapped file. */
static void check_disk(const char *proc, pid_t pid, struct host_mapping *lib)
{
    char path[PATH_MAX];
    struct stat st;
    if (lib->deleted ||
        snprintf(path, sizeof path, "%s/%d/root%s", proc, (int)pid, lib->path) >= (int)sizeof path)
        return;
    if (stat(path, &st) != 0)
        return;
    lib->disk_seen = true;
    lib->replaced = st.st_ino != lib->inode || major(st.st_dev) != lib->dev_major ||
                    minor(st.st_dev) != lib->dev_minor;
}

static hc_result add_lib(const char *proc, pid_t pid, struct host_process *p,
                         const struct host_maps_line *m, enum host_tls_kind kind)
{
    char mf[128];
    struct host_mapping *grown = realloc(p->libs, (p->lib_count + 1) * sizeof *grown);
    HC_ENSURE(grown, HC_ERR_NOMEM);
    p->libs = grown;
    struct host_mapping *lib = &p->libs[p->lib_count];
    memset(lib, 0, sizeof *lib);
    lib->kind = kind;
    lib->dev_major = m->dev_major;
    lib->dev_minor = m->dev_minor;
    lib->inode = m->inode;
    lib->deleted = m->deleted;
    lib->path = strndup(m->path, m->path_len);
    /* map_files names are "%lx-%lx", without the zero padding maps uses. */
    snprintf(mf, sizeof mf, "map_files/%lx-%lx", m->start, m->end);
    lib->map_files = dup_printf_path(proc, pid, mf);
    if (!lib->path || !lib->map_files) {
        free(lib->path);
        free(lib->map_files);
        return HC_RESULT(HC_ERR_NOMEM);
    }
    p->lib_count++;
    check_disk(proc, pid, lib);
    return HC_SUCCESS;
}

static hc_result maps_line(const char *proc, pid_t pid, struct host_process *p, const char *line,
                           size_t len)
{
    struct host_maps_line m;
    if (!host_maps_line_parse(line, len, &m) || !m.path || m.path[0] != '/')
        return HC_SUCCESS; /* anonymous, [heap], [stack], [vdso] */
    enum host_tls_kind kind = kind_of_path(m.path, m.path_len);
    if (kind == HOST_TLS_NONE || find_lib(p, &m))
        return HC_SUCCESS;
    return add_lib(proc, pid, p, &m, kind);
}

/* Streams maps; a line longer than the buffer (a path near PATH_MAX) is skipped whole. */
static hc_result read_maps(const char *proc, pid_t pid, struct host_process *p)
{
    char path[PATH_MAX], line[PATH_MAX + 256];
    if (snprintf(path, sizeof path, "%s/%d/maps", proc, (int)pid) >= (int)sizeof path)
        return HC_SUCCESS;
    FILE *f = fopen(path, "re");
    if (!f) {
        p->maps_unreadable = true;
        return HC_SUCCESS;
    }
    hc_result r = HC_SUCCESS;
    bool skipping = false;
    while (hc_ok(r) && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        bool whole = len > 0 && line[len - 1] == '\n';
        if (!skipping && whole)
            r = maps_line(proc, pid, p, line, len);
        skipping = !whole && !feof(f);
    }
    /* Reading maps of another user's process fails at the first read, not at open. */
    if (ferror(f) && p->lib_count == 0)
        p->maps_unreadable = true;
    fclose(f);
    return r;
}

void host_process_free(struct host_process *p)
{
    for (size_t i = 0; i < p->lib_count; i++) {
        free(p->libs[i].path);
        free(p->libs[i].map_files);
    }
    free(p->libs);
    free(p->exe);
    free(p->exe_proc);
    free(p->cmdline);
    memset(p, 0, sizeof *p);
}

hc_result host_process_read(const char *proc_root, pid_t pid, struct host_process *out,
                            bool *is_kthread)
{
    memset(out, 0, sizeof *out);
    out->pid = pid;
    out->uid = (uid_t)-1;
    *is_kthread = false;
    if (!read_identity(proc_root, pid, out, is_kthread) || *is_kthread)
        return HC_RESULT(HC_ERR_IO);
    hc_result r = read_exe(proc_root, pid, out);
    if (hc_ok(r))
        r = read_cmdline(proc_root, pid, out);
    if (hc_ok(r)) {
        read_unit(proc_root, pid, out);
        r = read_maps(proc_root, pid, out);
    }
    if (!hc_ok(r))
        host_process_free(out);
    return r;
}

/* ---- all processes -------------------------------------------------------------------------- */

bool host_pid_from_name(const char *name, pid_t *pid)
{
    unsigned long v;
    if (!hc_parse_uint(name, 1, INT_MAX, &v))
        return false;
    *pid = (pid_t)v;
    return true;
}

static int cmp_process(const void *a, const void *b)
{
    pid_t x = ((const struct host_process *)a)->pid, y = ((const struct host_process *)b)->pid;
    return (x > y) - (x < y);
}

static hc_result append_process(struct host_proc_list *l, size_t *cap, struct host_process *p)
{
    if (l->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct host_process *grown = realloc(l->items, ncap * sizeof *grown);
        if (!grown) {
            host_process_free(p);
            return HC_RESULT(HC_ERR_NOMEM);
        }
        l->items = grown;
        *cap = ncap;
    }
    l->items[l->count++] = *p;
    return HC_SUCCESS;
}

/* One /proc entry: a process to keep, a kernel thread or a vanished one to count. */
static hc_result scan_one(const char *proc_root, pid_t pid, struct host_proc_list *l, size_t *cap)
{
    struct host_process p;
    bool kthread;
    hc_result r = host_process_read(proc_root, pid, &p, &kthread);
    if (r.error == HC_ERR_IO) {
        if (kthread)
            l->kernel_threads++;
        else
            l->vanished++;
        return HC_SUCCESS;
    }
    HC_TRY(r);
    if (p.maps_unreadable)
        l->denied++;
    return append_process(l, cap, &p);
}

hc_result host_procs_scan(const char *proc_root, struct host_proc_list *out)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(proc_root);
    HC_ENSURE(d, HC_ERR_IO);
    size_t cap = 0;
    hc_result r = HC_SUCCESS;
    struct dirent *e;
    while (hc_ok(r) && (e = readdir(d)) != NULL) {
        pid_t pid;
        if ((e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) && host_pid_from_name(e->d_name, &pid))
            r = scan_one(proc_root, pid, out, &cap);
    }
    closedir(d);
    if (!hc_ok(r)) {
        host_procs_free(out);
        return r;
    }
    qsort(out->items, out->count, sizeof *out->items, cmp_process);
    return HC_SUCCESS;
}

void host_procs_free(struct host_proc_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        host_process_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}
