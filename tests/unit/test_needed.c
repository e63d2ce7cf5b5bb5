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

/* ---- hand-built images: the program-header parser on both classes and byte orders ---- */

/* Layout: Ehdr at 0, Phdrs right after it (or at phoff), the string table at STR_OFF, the
 * dynamic segment at DYN_OFF; one PT_LOAD maps the whole image at IMG_VADDR. */
enum { IMG_SIZE = 0x400, STR_OFF = 0x200, DYN_OFF = 0x300, IMG_VADDR = 0x10000, IMG_MAX = 0x2000 };

static const char img_strings[] = "\0libc.so.6\0libssl.so.1.0.0\0libcrypto.so.1.0.0\0";
enum { NAME_LIBC = 1, NAME_SSL = 11, NAME_CRYPTO = 27 };

struct img {
    uint8_t b[IMG_MAX];
    size_t size;
    bool is64, be;
};

static void put(struct img *im, size_t off, uint64_t v, size_t n)
{
    assert_true(off + n <= sizeof im->b);
    for (size_t i = 0; i < n; i++)
        im->b[off + (im->be ? n - 1 - i : i)] = (uint8_t)(v >> (8 * i));
}

/* A field at (32-bit offset, size) or (64-bit offset, size). */
static void put_field(struct img *im, size_t base, size_t o32, size_t n32, size_t o64, size_t n64,
                      uint64_t v)
{
    if (im->is64)
        put(im, base + o64, v, n64);
    else
        put(im, base + o32, v, n32);
}

struct dyn_entry {
    uint64_t tag, val;
};

/* An image needing libc, libssl and libcrypto unless told otherwise. */
static void img_build(struct img *im, bool is64, bool be, size_t phoff, const struct dyn_entry *dyn,
                      size_t ndyn)
{
    static const struct dyn_entry standard[] = {
        {1, NAME_LIBC},           {1, NAME_SSL}, {1, NAME_CRYPTO}, {5, IMG_VADDR + STR_OFF},
        {10, sizeof img_strings}, {0, 0},
    };
    if (!dyn) {
        dyn = standard;
        ndyn = HC_ARRAY_LEN(standard);
    }
    memset(im, 0, sizeof *im);
    im->is64 = is64;
    im->be = be;
    size_t phent = is64 ? 56 : 32, dynent = is64 ? 16 : 8;
    if (!phoff)
        phoff = is64 ? 64 : 52;
    im->size = phoff + 2 * phent > IMG_SIZE ? phoff + 2 * phent : IMG_SIZE;
    memcpy(im->b, "\177ELF", 4);
    im->b[4] = is64 ? 2 : 1;
    im->b[5] = be ? 2 : 1;
    im->b[6] = 1;
    put(im, 16, 3, 2);                              /* ET_DYN */
    put(im, 18, is64 ? 62 : 20, 2);                 /* x86-64, or PowerPC */
    put(im, 20, 1, 4);                              /* e_version */
    put_field(im, 0, 28, 4, 32, 8, phoff);          /* e_phoff */
    put_field(im, 0, 40, 2, 52, 2, is64 ? 64 : 52); /* e_ehsize */
    put_field(im, 0, 42, 2, 54, 2, phent);
    put_field(im, 0, 44, 2, 56, 2, 2); /* e_phnum; no sections */
    size_t load = phoff, dynph = phoff + phent;
    put(im, load, 1, 4); /* PT_LOAD over the whole image */
    put_field(im, load, 4, 4, 8, 8, 0);
    put_field(im, load, 8, 4, 16, 8, IMG_VADDR);
    put_field(im, load, 16, 4, 32, 8, im->size);
    put_field(im, load, 20, 4, 40, 8, im->size);
    put(im, dynph, 2, 4); /* PT_DYNAMIC */
    put_field(im, dynph, 4, 4, 8, 8, DYN_OFF);
    put_field(im, dynph, 8, 4, 16, 8, IMG_VADDR + DYN_OFF);
    put_field(im, dynph, 16, 4, 32, 8, ndyn * dynent);
    put_field(im, dynph, 20, 4, 40, 8, ndyn * dynent);
    memcpy(im->b + STR_OFF, img_strings, sizeof img_strings);
    for (size_t i = 0; i < ndyn; i++) {
        put_field(im, DYN_OFF + i * dynent, 0, 4, 0, 8, dyn[i].tag);
        put_field(im, DYN_OFF + i * dynent, 4, 4, 8, 8, dyn[i].val);
    }
}

/* Writes the first len bytes of the image to a temporary file and reads its needs. */
static hc_result img_read(const struct img *im, size_t len, struct host_elf_needs *n)
{
    char path[] = "/tmp/hc-elfimg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, im->b, len), (ssize_t)len);
    hc_result r = host_elf_needs_read_fd(fd, n);
    close(fd);
    unlink(path);
    return r;
}

static void assert_needs_openssl(const struct host_elf_needs *n)
{
    assert_true(n->is_elf);
    assert_string_equal(n->needs_ssl, "libssl.so.1.0.0");
    assert_string_equal(n->needs_crypto, "libcrypto.so.1.0.0");
    assert_int_equal(n->needed_count, 3);
}

static void test_img_classes(void **state)
{
    (void)state;
    static const struct {
        bool is64, be;
        size_t phoff; /* 0: after the ELF header; past 4 KiB: read on its own */
    } cases[] = {{true, false, 0},  {false, true, 0},    {true, true, 0},
                 {false, false, 0}, {true, false, 5000}, {false, true, 4090}};
    struct img im;
    struct host_elf_needs n;
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        img_build(&im, cases[i].is64, cases[i].be, cases[i].phoff, NULL, 0);
        assert_success(img_read(&im, im.size, &n));
        assert_needs_openssl(&n);
    }
}

/* Every prefix of a file without sections: not ELF (under 4 bytes) or HC_ERR_SHORT. */
static void test_img_truncated(void **state)
{
    (void)state;
    struct img im;
    struct host_elf_needs n;
    for (int c = 0; c < 2; c++) {
        img_build(&im, c == 0, c == 1, 0, NULL, 0);
        for (size_t len = 0; len < im.size; len++) {
            hc_result r = img_read(&im, len, &n);
            if (len < 4) {
                assert_success(r);
                assert_false(n.is_elf);
            } else {
                assert_error(r, HC_ERR_SHORT);
                assert_true(n.is_elf);
            }
        }
    }
}

static void test_img_corrupt(void **state)
{
    (void)state;
    static const struct dyn_entry unmapped[] = {{1, NAME_SSL}, {5, 0x900000}, {0, 0}};
    static const struct dyn_entry past_strsz[] = {{1, NAME_LIBC},
                                                  {1, sizeof img_strings},
                                                  {5, IMG_VADDR + STR_OFF},
                                                  {10, sizeof img_strings},
                                                  {0, 0}};
    static const struct dyn_entry unterminated[] = {
        {1, NAME_SSL}, {5, IMG_VADDR + STR_OFF}, {10, NAME_SSL + 4}, {0, 0}};
    static const struct dyn_entry no_strtab[] = {{1, NAME_SSL}, {0, 0}};
    static const struct dyn_entry past_load[] = {{1, IMG_SIZE}, {5, IMG_VADDR + STR_OFF}, {0, 0}};
    static const struct {
        const struct dyn_entry *dyn;
        size_t n;
    } cases[] = {
        {unmapped, HC_ARRAY_LEN(unmapped)},         {past_strsz, HC_ARRAY_LEN(past_strsz)},
        {unterminated, HC_ARRAY_LEN(unterminated)}, {no_strtab, HC_ARRAY_LEN(no_strtab)},
        {past_load, HC_ARRAY_LEN(past_load)},
    };
    struct img im;
    struct host_elf_needs n;
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        for (int c = 0; c < 2; c++) {
            img_build(&im, c == 0, c == 1, 0, cases[i].dyn, cases[i].n);
            assert_error(img_read(&im, im.size, &n), HC_ERR_SHORT);
        }
    }
}

/* No PT_DYNAMIC: a static program, needs nothing. DT_NULL ends the list early. */
static void test_img_static(void **state)
{
    (void)state;
    static const struct dyn_entry early_null[] = {
        {1, NAME_LIBC}, {5, IMG_VADDR + STR_OFF}, {0, 0}, {1, NAME_SSL}};
    struct img im;
    struct host_elf_needs n;
    img_build(&im, true, false, 0, NULL, 0);
    put(&im, 64 + 56, 4, 4); /* PT_DYNAMIC -> PT_NOTE */
    assert_success(img_read(&im, im.size, &n));
    assert_true(n.is_elf);
    assert_int_equal(n.needed_count, 0);
    img_build(&im, false, true, 0, early_null, HC_ARRAY_LEN(early_null));
    assert_success(img_read(&im, im.size, &n));
    assert_int_equal(n.needed_count, 1);
    assert_string_equal(n.needs_ssl, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_openssl),   cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_truncated_elf),  cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_walk_fake_root), cmocka_unit_test(test_walk_real_root),
        cmocka_unit_test(test_missing_root),   cmocka_unit_test(test_img_classes),
        cmocka_unit_test(test_img_truncated),  cmocka_unit_test(test_img_corrupt),
        cmocka_unit_test(test_img_static),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
