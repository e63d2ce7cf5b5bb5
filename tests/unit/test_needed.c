/* needed.c: DT_NEEDED of real and broken files, and the directory walk over a fake root. */
#include "unit.h"

#include "host/procs.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char real_openssl[] = "/usr/bin/openssl";

/* Copies at most max bytes of src to dst (all of it when max is 0). */
static void copy_file(const char *src, const char *dst, size_t max)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (max && total + n > max)
            n = max - total;
        assert_int_equal(fwrite(buf, 1, n, out), n);
        total += n;
        if (max && total >= max)
            break;
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(chmod(dst, 0755), 0);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_real_openssl(void **state)
{
    (void)state;
    struct host_elf_needs n;
    assert_success(host_elf_needs_read(real_openssl, &n));
    assert_true(n.is_elf);
    assert_string_equal(n.needs_ssl, "libssl.so.3");
    assert_string_equal(n.needs_crypto, "libcrypto.so.3");
    assert_true(n.needed_count >= 3); /* and libc */
}

static void test_not_elf(void **state)
{
    (void)state;
    char dir[] = "/tmp/hc-needed-XXXXXX", path[PATH_MAX];
    struct host_elf_needs n;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/script", dir);
    write_text(path, "#!/bin/sh\necho libssl.so.3\n");
    assert_success(host_elf_needs_read(path, &n));
    assert_false(n.is_elf);
    assert_string_equal(n.needs_ssl, "");
    write_text(path, "\177E"); /* shorter than the magic */
    assert_success(host_elf_needs_read(path, &n));
    assert_false(n.is_elf);
    unlink(path);
    rmdir(dir);
}

/* Cut right after the ELF header, and inside it: libelf must refuse, we must not crash. */
static void test_truncated_elf(void **state)
{
    (void)state;
    static const size_t cuts[] = {4, 20, 64, 4096};
    char dir[] = "/tmp/hc-needed-XXXXXX", path[PATH_MAX];
    struct host_elf_needs n;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cut", dir);
    for (size_t i = 0; i < HC_ARRAY_LEN(cuts); i++) {
        copy_file(real_openssl, path, cuts[i]);
        assert_error(host_elf_needs_read(path, &n), HC_ERR_SHORT);
    }
    unlink(path);
    rmdir(dir);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct host_elf_needs n;
    assert_error(host_elf_needs_read("/nonexistent/hc-no-such-file", &n), HC_ERR_IO);
}

static const struct host_linker *find_linker(const struct host_linker_list *l, const char *path)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].path, path) == 0)
            return &l->items[i];
    return NULL;
}

static void mkdirs(const char *root, const char *const *dirs, size_t n)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        assert_int_equal(mkdir(path, 0755), 0);
    }
}

static void at(char *buf, size_t cap, const char *root, const char *rel)
{
    snprintf(buf, cap, "%s/%s", root, rel);
}

/* A merged-/usr image: bin -> usr/bin, a program, a library, a helper, symlinks. */
static void build_root(const char *root)
{
    static const char *const dirs[] = {"usr",     "usr/bin",        "usr/sbin",
                                       "usr/lib", "usr/lib/helper", "usr/lib/x86_64-linux-gnu"};
    char p[PATH_MAX];
    mkdirs(root, dirs, HC_ARRAY_LEN(dirs));
    at(p, sizeof p, root, "bin");
    assert_int_equal(symlink("usr/bin", p), 0);
    at(p, sizeof p, root, "usr/bin/prog");
    copy_file(real_openssl, p, 0);
    at(p, sizeof p, root, "usr/bin/notes.txt");
    write_text(p, "not a program\n");
    at(p, sizeof p, root, "usr/bin/alias"); /* same file through a symlink: listed once */
    assert_int_equal(symlink("/usr/bin/prog", p), 0);
    /* Resolved inside the root, this names nothing; outside it, the host's openssl. */
    at(p, sizeof p, root, "usr/sbin/escape");
    assert_int_equal(symlink("/usr/bin/openssl", p), 0);
    at(p, sizeof p, root, "usr/lib/x86_64-linux-gnu/libfoo.so.1");
    copy_file("/usr/lib/x86_64-linux-gnu/libssl.so.3", p, 0);
    at(p, sizeof p, root, "usr/lib/x86_64-linux-gnu/prog-data"); /* no ".so": not looked at */
    copy_file(real_openssl, p, 0);
    at(p, sizeof p, root, "usr/lib/helper/tool");
    copy_file(real_openssl, p, 0);
}

static void test_walk_fake_root(void **state)
{
    (void)state;
    char root[] = "/tmp/hc-root-XXXXXX", cmd[PATH_MAX + 16];
    struct host_linker_list l;
    assert_non_null(mkdtemp(root));
    build_root(root);
    assert_success(host_linkers_scan(root, &l));
    const struct host_linker *prog = find_linker(&l, "/usr/bin/prog");
    const struct host_linker *lib = find_linker(&l, "/usr/lib/x86_64-linux-gnu/libfoo.so.1");
    const struct host_linker *tool = find_linker(&l, "/usr/lib/helper/tool");
    assert_non_null(prog);
    assert_string_equal(prog->needs.needs_ssl, "libssl.so.3");
    assert_non_null(lib);
    assert_string_equal(lib->needs.needs_ssl, "");
    assert_string_equal(lib->needs.needs_crypto, "libcrypto.so.3");
    assert_non_null(tool);
    assert_null(find_linker(&l, "/usr/sbin/escape"));
    assert_int_equal(l.count, 3); /* no /bin/prog, no /usr/bin/alias, no prog-data */
    assert_int_equal(l.errors, 0);
    host_linkers_free(&l);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The machine's own directories: openssl is there; the time is printed for the record. */
static void test_walk_real_root(void **state)
{
    (void)state;
    struct host_linker_list l;
    double t0 = seconds_now();
    assert_success(host_linkers_scan("/", &l));
    double ms = (seconds_now() - t0) * 1e3;
    const struct host_linker *o = find_linker(&l, real_openssl);
    assert_non_null(o);
    assert_string_equal(o->needs.needs_ssl, "libssl.so.3");
    printf("linkers walk of /: %zu files, %zu link OpenSSL, %.1f ms\n", l.files_checked, l.count,
           ms);
    host_linkers_free(&l);
}

static void test_missing_root(void **state)
{
    (void)state;
    struct host_linker_list l;
    assert_error(host_linkers_scan("/nonexistent/hc-root", &l), HC_ERR_IO);
    assert_int_equal(l.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_openssl),   cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_truncated_elf),  cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_walk_fake_root), cmocka_unit_test(test_walk_real_root),
        cmocka_unit_test(test_missing_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
