/* procs.c: maps lines and cgroup paths as the kernel prints them, a fake proc tree (deleted,
 * replaced and other TLS libraries, kernel threads, vanished and unreadable processes), and
 * the test's own process in the real /proc, including a libcrypto copy it loads and deletes. */
#include "unit.h"

#include "host/procs.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- maps lines ---------------------------------------------------------------------------------
 */

static bool maps(const char *line, struct host_maps_line *m)
{
    return host_maps_line_parse(line, strlen(line), m);
}

static void test_maps_lines(void **state)
{
    (void)state;
    struct host_maps_line m;
    assert_true(maps("7f0105a44000-7f0105b9a000 r-xp 00026000 fe:00 332835                     "
                     "/usr/lib/x86_64-linux-gnu/libc.so.6\n",
                     &m));
    assert_int_equal(m.start, 0x7f0105a44000UL);
    assert_int_equal(m.end, 0x7f0105b9a000UL);
    assert_int_equal(m.offset, 0x26000);
    assert_string_equal(m.perms, "r-xp");
    assert_int_equal(m.dev_major, 0xfe);
    assert_int_equal(m.dev_minor, 0);
    assert_int_equal(m.inode, 332835);
    assert_int_equal(m.path_len, strlen("/usr/lib/x86_64-linux-gnu/libc.so.6"));
    assert_memory_equal(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6", m.path_len);
    assert_false(m.deleted);

    assert_true(
        maps("7f43021cb000-7f43021cf000 r--p 001cf000 08:01 4242 /tmp/my lib/libssl.so.1.0.0 "
             "(deleted)\n",
             &m));
    assert_true(m.deleted);
    assert_int_equal(m.dev_major, 8);
    assert_int_equal(m.dev_minor, 1);
    assert_memory_equal(m.path, "/tmp/my lib/libssl.so.1.0.0", m.path_len);
    assert_int_equal(m.path_len, strlen("/tmp/my lib/libssl.so.1.0.0"));

    assert_true(maps("7ffd1c5e9000-7ffd1c60a000 rw-p 00000000 00:00 0                          "
                     "[stack]\n",
                     &m));
    assert_memory_equal(m.path, "[stack]", m.path_len);
    assert_true(maps("08048000-08049000 rw-p 00000000 00:00 0 \n", &m)); /* anonymous, 32-bit */
    assert_null(m.path);
    assert_int_equal(m.start, 0x8048000);
}

static void test_maps_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "\n",
        "7f0105a44000",
        "7f0105a44000-7f0105b9a000",
        "7f0105a44000-7f0105b9a000 r-x",
        "7f0105a44000-7f0105b9a000 r-xp 00026000 fe00 332835 /lib",
        "7f0105a44000-7f0105b9a000 r-xp 00026000 fe:00 33x835 /lib",
        "7f0105b9a000-7f0105a44000 r-xp 00026000 fe:00 332835 /lib", /* end before start */
        "1ffffffffffffffff-2 r-xp 0 0:0 0",                          /* overflow */
    };
    struct host_maps_line m;
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++)
        if (maps(bad[i], &m))
            fail_msg("accepted '%s'", bad[i]);
}

static void test_tls_kinds(void **state)
{
    (void)state;
    assert_int_equal(host_tls_kind_of("/usr/lib/x86_64-linux-gnu/libssl.so.3"), HOST_TLS_LIBSSL);
    assert_int_equal(host_tls_kind_of("/opt/x/libcrypto.so.1.0.0"), HOST_TLS_LIBCRYPTO);
    assert_int_equal(host_tls_kind_of("libssl.so"), HOST_TLS_LIBSSL);
    assert_int_equal(host_tls_kind_of("/usr/lib/libgnutls.so.30"), HOST_TLS_OTHER);
    assert_int_equal(host_tls_kind_of("/usr/lib/libnss3.so"), HOST_TLS_OTHER);
    assert_int_equal(host_tls_kind_of("/usr/lib/libwolfssl.so.35"), HOST_TLS_OTHER);
    assert_int_equal(host_tls_kind_of("/usr/lib/libmbedtls.so.14"), HOST_TLS_OTHER);
    assert_int_equal(host_tls_kind_of("/usr/lib/libssl3.so"), HOST_TLS_NONE); /* NSS's */
    assert_int_equal(host_tls_kind_of("/libssl.so.3/libc.so.6"), HOST_TLS_NONE);
    assert_int_equal(host_tls_kind_of("/usr/lib/libcrypt.so.1"), HOST_TLS_NONE);
}

/* ---- cgroup -------------------------------------------------------------------------------------
 */

struct unit_case {
    const char *cgroup, *unit;
    bool user;
};

static void test_cgroup_units(void **state)
{
    (void)state;
    static const struct unit_case cases[] = {
        {"0::/system.slice/nginx.service\n", "nginx.service", false},
        {"0::/system.slice/postgresql@15-main.service/payload\n", "postgresql@15-main.service",
         false},
        {"12:pids:/system.slice/x.service\n1:name=systemd:/system.slice/dovecot.service\n"
         "0::/system.slice/dovecot.service\n",
         "dovecot.service", false},
        {"1:name=systemd:/system.slice/cron.service\n", "cron.service", false},
        {"0::/user.slice/user-1000.slice/user@1000.service/app.slice/syncthing.service\n",
         "syncthing.service", true},
        {"0::/user.slice/user-1000.slice/user@1000.service/init.scope\n", "init.scope", true},
        {"0::/user.slice/user-1000.slice/user@1000.service\n", "user@1000.service", false},
        {"0::/user.slice/user-1000.slice/session-3.scope\n", "session-3.scope", false},
        {"0::/init.scope\n", "init.scope", false},
        {"0::/\n", "", false},
        {"9:name=systemd:/\n0::/\n", "", false},
        {"4:memory:/process_api/dc13888751745bf2824f462ca0747168\n0::/\n", "", false},
        {"0::/docker/0123456789abcdef\n", "", false},
        {"", "", false},
        {"0::/system.slice/.service\n", "", false},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        char unit[HOST_UNIT_MAX];
        bool user = true;
        bool found =
            host_cgroup_unit(cases[i].cgroup, strlen(cases[i].cgroup), unit, sizeof unit, &user);
        if (strcmp(unit, cases[i].unit) != 0 || found != (cases[i].unit[0] != '\0') ||
            user != cases[i].user)
            fail_msg("'%s': got '%s' user=%d", cases[i].cgroup, unit, user);
    }
}

/* ---- fake proc tree
 * ------------------------------------------------------------------------------ */

static void path_at(char *buf, size_t cap, const char *root, const char *rel)
{
    snprintf(buf, cap, "%s/%s", root, rel);
}

static void put_bytes(const char *root, const char *rel, const char *data, size_t len)
{
    char path[PATH_MAX];
    path_at(path, sizeof path, root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void put(const char *root, const char *rel, const char *text)
{
    put_bytes(root, rel, text, strlen(text));
}

static void dir(const char *root, const char *rel)
{
    char path[PATH_MAX];
    path_at(path, sizeof path, root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void link_to(const char *root, const char *rel, const char *target)
{
    char path[PATH_MAX];
    path_at(path, sizeof path, root, rel);
    assert_int_equal(symlink(target, path), 0);
}

static struct stat stat_at(const char *root, const char *rel)
{
    char path[PATH_MAX];
    struct stat st;
    path_at(path, sizeof path, root, rel);
    assert_int_equal(stat(path, &st), 0);
    return st;
}

/* maps of process 100: libssl in two segments (still on disk), a libcrypto whose file was
 * replaced (other inode), a deleted GnuTLS, plus the usual anonymous lines. */
static void write_maps_100(const char *root)
{
    struct stat ssl = stat_at(root, "fs/usr/lib/libssl.so.1.0.0");
    struct stat crypto = stat_at(root, "fs/usr/lib/libcrypto.so.1.0.0");
    char text[2048];
    snprintf(text, sizeof text,
             "55d0c0a00000-55d0c0a20000 r-xp 00000000 08:01 100 /usr/sbin/nginx\n"
             "55d0c1a00000-55d0c1a21000 rw-p 00000000 00:00 0                          [heap]\n"
             "7f1000000000-7f1000040000 r--p 00000000 %02x:%02x %lu /usr/lib/libssl.so.1.0.0\n"
             "7f1000040000-7f1000090000 r-xp 00040000 %02x:%02x %lu /usr/lib/libssl.so.1.0.0\n"
             "7f2000000000-7f2000100000 r-xp 00000000 %02x:%02x %lu /usr/lib/libcrypto.so.1.0.0\n"
             "7f3000000000-7f3000010000 r-xp 00000000 08:01 777 /usr/lib/libgnutls.so.30 "
             "(deleted)\n"
             "7f4000000000-7f4000001000 rw-p 00000000 00:00 0 \n",
             major(ssl.st_dev), minor(ssl.st_dev), (unsigned long)ssl.st_ino, major(ssl.st_dev),
             minor(ssl.st_dev), (unsigned long)ssl.st_ino, major(crypto.st_dev),
             minor(crypto.st_dev), (unsigned long)crypto.st_ino + 1);
    put(root, "proc/100/maps", text);
}

static void build_proc_100(const char *root)
{
    static const char cmdline[] = "nginx: master process /usr/sbin/nginx\0-g\0daemon off;\0";
    char target[PATH_MAX];
    dir(root, "proc/100");
    put(root, "proc/100/stat", "100 (ng) x) S 1 100 100 0 -1 4194560 640 0 0 0 0 0 0 0 20 0 1\n");
    put(root, "proc/100/status",
        "Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\n"
        "Uid:\t33\t33\t33\t33\nGid:\t33\t33\t33\t33\n");
    put(root, "proc/100/comm", "nginx\n");
    put_bytes(root, "proc/100/cmdline", cmdline, sizeof cmdline - 1);
    put(root, "proc/100/cgroup", "0::/system.slice/nginx.service\n");
    link_to(root, "proc/100/exe", "/usr/sbin/nginx (deleted)");
    path_at(target, sizeof target, root, "fs");
    link_to(root, "proc/100/root", target);
    write_maps_100(root);
}

/* 200 a kernel thread; 300 vanished (no stat); 400 a user unit with a long command line;
 * 500 maps we cannot read (a directory fails at the first read, as EACCES does). */
static void build_others(const char *root)
{
    char *cmdline = malloc(HOST_CMDLINE_MAX + 100);
    dir(root, "proc/200");
    put(root, "proc/200/stat", "200 (kworker/0:1-events) I 2 0 0 0 -1 69238880 0 0\n");
    dir(root, "proc/300");
    dir(root, "proc/400");
    put(root, "proc/400/stat", "400 (sh) S 1 400 400 0 -1 4194304 0 0\n");
    put(root, "proc/400/comm", "sh\n");
    put(root, "proc/400/cgroup",
        "0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n");
    memset(cmdline, 'a', HOST_CMDLINE_MAX + 100);
    put_bytes(root, "proc/400/cmdline", cmdline, HOST_CMDLINE_MAX + 100);
    put(root, "proc/400/maps", "");
    free(cmdline);
    dir(root, "proc/500");
    put(root, "proc/500/stat", "500 (secret) S 1 500 500 0 -1 4194304 0 0\n");
    dir(root, "proc/500/maps");
    dir(root, "proc/self");
}

static void build_tree(const char *root)
{
    dir(root, "fs");
    dir(root, "fs/usr");
    dir(root, "fs/usr/lib");
    put(root, "fs/usr/lib/libssl.so.1.0.0", "ssl");
    put(root, "fs/usr/lib/libcrypto.so.1.0.0", "crypto");
    dir(root, "proc");
    build_proc_100(root);
    build_others(root);
}

static const struct host_process *find_pid(const struct host_proc_list *l, pid_t pid)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].pid == pid)
            return &l->items[i];
    return NULL;
}

static void check_process_100(const struct host_process *p, const char *proc)
{
    char expect[PATH_MAX + 64];
    assert_string_equal(p->comm, "nginx");
    assert_int_equal(p->ppid, 1);
    assert_int_equal(p->uid, 33);
    assert_string_equal(p->exe, "/usr/sbin/nginx");
    assert_true(p->exe_deleted);
    snprintf(expect, sizeof expect, "%s/100/exe", proc);
    assert_string_equal(p->exe_proc, expect);
    assert_string_equal(p->cmdline, "nginx: master process /usr/sbin/nginx -g daemon off;");
    assert_string_equal(p->unit, "nginx.service");
    assert_false(p->user_unit);
    assert_int_equal(p->lib_count, 3);
    const struct host_mapping *ssl = &p->libs[0], *crypto = &p->libs[1], *gnutls = &p->libs[2];
    assert_int_equal(ssl->kind, HOST_TLS_LIBSSL);
    assert_string_equal(ssl->path, "/usr/lib/libssl.so.1.0.0");
    assert_true(ssl->disk_seen);
    assert_false(ssl->replaced);
    assert_false(ssl->deleted);
    snprintf(expect, sizeof expect, "%s/100/map_files/7f1000000000-7f1000040000", proc);
    assert_string_equal(ssl->map_files, expect);
    assert_int_equal(crypto->kind, HOST_TLS_LIBCRYPTO);
    assert_true(crypto->replaced);
    assert_int_equal(gnutls->kind, HOST_TLS_OTHER);
    assert_true(gnutls->deleted);
    assert_int_equal(gnutls->dev_major, 8);
    assert_int_equal(gnutls->dev_minor, 1);
    assert_int_equal(gnutls->inode, 777);
    assert_string_equal(gnutls->path, "/usr/lib/libgnutls.so.30");
}

static void test_fake_tree(void **state)
{
    (void)state;
    char root[] = "/tmp/hc-procs-XXXXXX", proc[PATH_MAX], cmd[64];
    struct host_proc_list l;
    assert_non_null(mkdtemp(root));
    build_tree(root);
    path_at(proc, sizeof proc, root, "proc");
    assert_success(host_procs_scan(proc, &l));
    assert_int_equal(l.count, 3); /* 100, 400, 500 */
    assert_int_equal(l.kernel_threads, 1);
    assert_int_equal(l.vanished, 1);
    assert_int_equal(l.denied, 1);
    check_process_100(find_pid(&l, 100), proc);
    const struct host_process *sh = find_pid(&l, 400);
    assert_string_equal(sh->unit, "foo.service");
    assert_true(sh->user_unit);
    assert_true(sh->cmdline_truncated);
    assert_int_equal(strlen(sh->cmdline), HOST_CMDLINE_MAX - 1);
    assert_string_equal(sh->exe, "");
    assert_int_equal(sh->lib_count, 0);
    assert_int_equal(sh->uid, (uid_t)-1); /* no status: unknown */
    assert_true(find_pid(&l, 500)->maps_unreadable);
    host_procs_free(&l);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static void test_missing_proc(void **state)
{
    (void)state;
    struct host_proc_list l;
    assert_error(host_procs_scan("/nonexistent/hc-proc", &l), HC_ERR_IO);
    assert_int_equal(l.count, 0);
}

/* ---- the real /proc -----------------------------------------------------------------------------
 */

static const struct host_mapping *find_lib_path(const struct host_process *p, const char *path)
{
    for (size_t i = 0; i < p->lib_count; i++)
        if (strcmp(p->libs[i].path, path) == 0)
            return &p->libs[i];
    return NULL;
}

/* Reads the first 4 bytes through map_files: root only. */
static void expect_elf_through(const char *map_files)
{
    unsigned char magic[4];
    if (geteuid() != 0) {
        printf("note: not root, %s not read (CI runs as root)\n", map_files);
        return;
    }
    int fd = open(map_files, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, magic, 4, 0), 4);
    close(fd);
    assert_memory_equal(magic, "\177ELF", 4);
}

/* Where the dynamic linker really loaded libcrypto from: the library OPENSSL_cleanse is in. */
static const char *own_libcrypto(void)
{
    static Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, "OPENSSL_cleanse");
    assert_non_null(sym);
    assert_true(dladdr(sym, &info) != 0);
    return info.dli_fname;
}

static void test_own_process(void **state)
{
    (void)state;
    struct host_process p;
    bool kthread;
    struct stat st;
    char real[PATH_MAX];
    OPENSSL_cleanse(real, sizeof real); /* keeps the link to libcrypto */
    assert_non_null(realpath(own_libcrypto(), real));
    assert_int_equal(stat(real, &st), 0);
    assert_success(host_process_read("/proc", getpid(), &p, &kthread));
    const struct host_mapping *lib = NULL;
    for (size_t i = 0; i < p.lib_count; i++)
        if (p.libs[i].inode == st.st_ino && p.libs[i].kind == HOST_TLS_LIBCRYPTO)
            lib = &p.libs[i];
    if (!lib)
        fail_msg("libcrypto %s (inode %lu) not found in own maps", real, (unsigned long)st.st_ino);
    assert_int_equal(lib->dev_major, major(st.st_dev));
    assert_int_equal(lib->dev_minor, minor(st.st_dev));
    assert_false(lib->deleted);
    assert_false(lib->replaced);
    assert_true(lib->disk_seen);
    assert_int_equal(p.pid, getpid());
    assert_int_equal(p.uid, getuid());
    assert_string_equal(p.comm, "test_procs");
    expect_elf_through(lib->map_files);
    host_process_free(&p);
}

static void copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char buf[65536];
    size_t n;
    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* A second libcrypto, loaded from a temp dir and then deleted: the restart-needed case. */
static void test_deleted_copy(void **state)
{
    (void)state;
    char dir_path[] = "/tmp/hc-dl-XXXXXX", copy[PATH_MAX];
    struct host_process p;
    bool kthread;
    assert_non_null(mkdtemp(dir_path));
    snprintf(copy, sizeof copy, "%s/libcrypto.so.3", dir_path);
    copy_file(own_libcrypto(), copy);
    void *handle = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        fail_msg("dlopen %s: %s", copy, dlerror());
    assert_int_equal(unlink(copy), 0);
    assert_int_equal(rmdir(dir_path), 0);
    assert_success(host_process_read("/proc", getpid(), &p, &kthread));
    const struct host_mapping *lib = find_lib_path(&p, copy);
    if (!lib)
        fail_msg("deleted copy %s not in own maps", copy);
    assert_true(lib->deleted);
    assert_int_equal(lib->kind, HOST_TLS_LIBCRYPTO);
    assert_false(lib->disk_seen);
    expect_elf_through(lib->map_files);
    host_process_free(&p);
    dlclose(handle);
}

static void test_scan_real_proc(void **state)
{
    (void)state;
    struct host_proc_list l;
    assert_success(host_procs_scan("/proc", &l));
    const struct host_process *self = find_pid(&l, getpid());
    assert_non_null(self);
    assert_true(self->lib_count >= 1);
    for (size_t i = 1; i < l.count; i++)
        assert_true(l.items[i - 1].pid < l.items[i].pid);
    printf("real /proc: %zu processes, %zu kernel threads, %zu vanished, %zu unreadable\n", l.count,
           l.kernel_threads, l.vanished, l.denied);
    host_procs_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maps_lines),     cmocka_unit_test(test_maps_garbage),
        cmocka_unit_test(test_tls_kinds),      cmocka_unit_test(test_cgroup_units),
        cmocka_unit_test(test_fake_tree),      cmocka_unit_test(test_missing_proc),
        cmocka_unit_test(test_own_process),    cmocka_unit_test(test_deleted_copy),
        cmocka_unit_test(test_scan_real_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
