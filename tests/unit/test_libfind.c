/* libfind: ld.so.cache parsing, symlink resolution inside a root, and the search for shared
 * libssl/libcrypto in a synthetic root tree and on this machine. */
#include "unit.h"

#include "host/copies.h"
#include "support/heap_copy.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- an ld.so.cache writer in glibc's format -------------------------------------------- */

struct cache_lib {
    const char *soname, *path;
};

struct blob {
    uint8_t b[8192];
    size_t len;
};

static void put(struct blob *o, const void *p, size_t n)
{
    assert_true(o->len + n <= sizeof o->b);
    memcpy(o->b + o->len, p, n);
    o->len += n;
}

static void put_u32(struct blob *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(o, b, 4);
}

static void put_zero(struct blob *o, size_t n)
{
    static const uint8_t z[64];
    put(o, z, n);
}

/* with_old: the "ld.so-1.7.0" table first (one entry, unused), as ldconfig -c compat wrote. */
static void write_cache(struct blob *o, const struct cache_lib *libs, uint32_t n, bool with_old)
{
    o->len = 0;
    if (with_old) {
        put(o, "ld.so-1.7.0", 11);
        put_zero(o, 1);
        put_u32(o, 1);
        put_u32(o, 3), put_u32(o, 0), put_u32(o, 0);
        put_zero(o, 4); /* 16 + 12 = 28: pad to 32, the new header's alignment */
    }
    size_t base = o->len;
    size_t strings = 48 + (size_t)n * 24;
    size_t off = strings;
    put(o, "glibc-ld.so.cache1.1", 20);
    put_u32(o, n);
    size_t len_strings = 0;
    for (uint32_t i = 0; i < n; i++)
        len_strings += strlen(libs[i].soname) + 1 + strlen(libs[i].path) + 1;
    put_u32(o, (uint32_t)len_strings);
    uint8_t flags[4] = {2, 0, 0, 0}; /* little-endian */
    put(o, flags, 4);
    put_zero(o, 16);
    for (uint32_t i = 0; i < n; i++) {
        put_u32(o, 0x0303);
        put_u32(o, (uint32_t)off);
        off += strlen(libs[i].soname) + 1;
        put_u32(o, (uint32_t)off);
        off += strlen(libs[i].path) + 1;
        put_zero(o, 12);
    }
    assert_int_equal(o->len - base, strings);
    for (uint32_t i = 0; i < n; i++) {
        put(o, libs[i].soname, strlen(libs[i].soname) + 1);
        put(o, libs[i].path, strlen(libs[i].path) + 1);
    }
}

static const struct cache_lib two_libs[] = {
    {"libssl.so.1.0.0", "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0"},
    {"libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"},
};

static hc_result parse_exact(const struct blob *o, size_t n, struct ldcache *c)
{
    uint8_t *copy = exact_copy(o->b, n);
    hc_result r = ldcache_parse(copy, n, c);
    free(copy);
    return r;
}

static void test_cache_parse(void **state)
{
    (void)state;
    for (int old = 0; old <= 1; old++) {
        struct blob o;
        write_cache(&o, two_libs, 2, old);
        struct ldcache c;
        assert_success(ldcache_parse(o.b, o.len, &c));
        assert_int_equal(c.count, 2);
        assert_null(c.defect);
        struct ldcache_entry e = ldcache_entry_at(&c, 0);
        assert_int_equal(e.flags, 0x0303);
        assert_string_equal(e.soname, "libssl.so.1.0.0");
        assert_string_equal(e.path, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
        e = ldcache_entry_at(&c, 1);
        assert_string_equal(e.soname, "libc.so.6");
        assert_string_equal(e.path, "/lib/x86_64-linux-gnu/libc.so.6");
    }
    struct blob empty;
    write_cache(&empty, NULL, 0, false);
    struct ldcache c;
    assert_success(ldcache_parse(empty.b, empty.len, &c));
    assert_int_equal(c.count, 0);
}

/* Every prefix of a valid cache fails with a specific error, and reads nothing past its end. */
static void test_cache_truncated_everywhere(void **state)
{
    (void)state;
    for (int old = 0; old <= 1; old++) {
        struct blob o;
        write_cache(&o, two_libs, 2, old);
        for (size_t n = 0; n < o.len; n++) {
            struct ldcache c;
            hc_result r = parse_exact(&o, n, &c);
            assert_false(hc_ok(r));
            assert_true(r.error == HC_ERR_SHORT || r.error == HC_ERR_BAD_VERSION);
            assert_non_null(c.defect);
        }
    }
}

static void expect_defect(const struct blob *o, enum hc_error e, const char *what)
{
    struct ldcache c;
    assert_error(parse_exact(o, o->len, &c), e);
    assert_string_equal(c.defect, what);
}

static void set_u32(struct blob *o, size_t at, uint32_t v)
{
    o->b[at] = (uint8_t)v;
    o->b[at + 1] = (uint8_t)(v >> 8);
    o->b[at + 2] = (uint8_t)(v >> 16);
    o->b[at + 3] = (uint8_t)(v >> 24);
}

static void test_cache_malformed(void **state)
{
    (void)state;
    struct blob o;
    write_cache(&o, two_libs, 2, false);
    size_t strings_end = o.len;

    struct blob t = o;
    memcpy(t.b, "glibc-ld.so.cachf", 17);
    expect_defect(&t, HC_ERR_BAD_VERSION, "no glibc-ld.so.cache header");
    t = o;
    memcpy(t.b + 17, "1.0", 3);
    expect_defect(&t, HC_ERR_BAD_VERSION, "unknown cache version");
    t = o;
    t.b[28] = 3; /* big-endian */
    expect_defect(&t, HC_ERR_BAD_VERSION, "not a little-endian cache");
    t = o;
    t.len = 40;
    expect_defect(&t, HC_ERR_SHORT, "header truncated");
    t = o;
    set_u32(&t, 20, 3); /* one entry more than there is room for before the strings end */
    set_u32(&t, 20, 1000);
    expect_defect(&t, HC_ERR_SHORT, "entries past end");
    t = o;
    set_u32(&t, 20, 0xffffffffu); /* nlibs * 24 overflows 32 bits */
    expect_defect(&t, HC_ERR_SHORT, "entries past end");
    t = o;
    set_u32(&t, 48 + 4, (uint32_t)strings_end); /* key just past the end */
    expect_defect(&t, HC_ERR_SHORT, "string offset out of range");
    t = o;
    set_u32(&t, 48 + 24 + 8, 0xfffffff0u); /* second entry's path */
    expect_defect(&t, HC_ERR_SHORT, "string offset out of range");
    t = o;
    t.len--; /* the last string loses its NUL */
    expect_defect(&t, HC_ERR_SHORT, "string not terminated");

    struct blob old;
    write_cache(&old, two_libs, 2, true);
    t = old;
    set_u32(&t, 12, 5000);
    expect_defect(&t, HC_ERR_SHORT, "old entries past end");
    t = old;
    t.len = 14;
    expect_defect(&t, HC_ERR_SHORT, "old header truncated");
    t = old;
    t.len = 32; /* the old table alone: no new format after it */
    expect_defect(&t, HC_ERR_BAD_VERSION, "no glibc-ld.so.cache header");

    struct ldcache c;
    assert_error(ldcache_parse(NULL, 10, &c), HC_ERR_BAD_VERSION);
}

/* The machine's own cache parses and lists libc. */
static void test_cache_real(void **state)
{
    (void)state;
    FILE *f = fopen("/etc/ld.so.cache", "rb");
    if (f == NULL)
        skip();
    static uint8_t buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct ldcache c;
    assert_success(ldcache_parse(buf, n, &c));
    bool libc = false;
    for (uint32_t i = 0; i < c.count; i++)
        libc |= strcmp(ldcache_entry_at(&c, i).soname, "libc.so.6") == 0;
    assert_true(libc);
}

/* ---- a synthetic root ------------------------------------------------------------------- */

struct tree {
    char root[64];
};

static void tree_path(const struct tree *t, const char *rel, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", t->root, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

static void mkdirs(const struct tree *t, const char *rel)
{
    char p[PATH_MAX];
    tree_path(t, rel, p, sizeof p);
    for (char *s = p + strlen(t->root) + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

static void write_file(const struct tree *t, const char *rel, const void *data, size_t n)
{
    char p[PATH_MAX];
    tree_path(t, rel, p, sizeof p);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void write_text(const struct tree *t, const char *rel, const char *text)
{
    write_file(t, rel, text, strlen(text));
}

static void link_to(const struct tree *t, const char *target, const char *rel)
{
    char p[PATH_MAX];
    tree_path(t, rel, p, sizeof p);
    assert_int_equal(symlink(target, p), 0);
}

/* Some bytes, the banner, the build string, more bytes: a library as banner_find sees it. */
static void fake_lib(const struct tree *t, const char *rel, const char *banner, bool no_hb)
{
    uint8_t buf[6000];
    memset(buf, 0x90, sizeof buf);
    memcpy(buf, "\177ELF", 4);
    size_t at = 3000;
    buf[at++] = 0;
    if (banner) {
        memcpy(buf + at, banner, strlen(banner) + 1);
        at += strlen(banner) + 1;
    }
    const char *cflags = no_hb ? "compiler: gcc -fPIC -DOPENSSL_NO_HEARTBEATS -O3"
                               : "compiler: gcc -fPIC -DOPENSSL_PIC -O3";
    memcpy(buf + at, cflags, strlen(cflags) + 1);
    write_file(t, rel, buf, sizeof buf);
}

static void rm_tree(const char *root)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    strcpy(t->root, "/tmp/hc-libfind-XXXXXX");
    if (mkdtemp(t->root) == NULL)
        return -1;
    mkdirs(t, "/etc/ld.so.conf.d");
    mkdirs(t, "/usr/lib/x86_64-linux-gnu");
    mkdirs(t, "/opt/ssl/lib");
    mkdirs(t, "/usr/local/lib");
    mkdirs(t, "/srv/extra");
    /* Debian 7 style: 1.0.1e, reached through the cache. */
    fake_lib(t, "/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0", "OpenSSL 1.0.1e 11 Feb 2013",
             false);
    fake_lib(t, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0",
             "TLSv1 part of OpenSSL 1.0.1e 11 Feb 2013", false);
    link_to(t, "libssl.so.1.0.0", "/usr/lib/x86_64-linux-gnu/libssl.so");
    /* merged /usr: an absolute link that must resolve inside the root */
    link_to(t, "/usr/lib", "/lib");
    /* A private build without heartbeats, through ld.so.conf.d. */
    fake_lib(t, "/opt/ssl/lib/libcrypto.so.1.0.0", "OpenSSL 1.0.1f 6 Jan 2014", true);
    /* OpenSSL 3: libssl without a banner of its own. */
    fake_lib(t, "/usr/local/lib/libcrypto.so.3", "OpenSSL 3.0.19 27 Jan 2026", false);
    fake_lib(t, "/usr/local/lib/libssl.so.3", NULL, false);
    /* Named in a second-level include, relative to its file. */
    fake_lib(t, "/srv/extra/libssl.so.10", "TLSv1 part of OpenSSL 1.0.1e-fips 11 Feb 2013", false);
    write_text(t, "/usr/local/lib/libssl.so.3.hmac", "not a library");
    link_to(t, "missing.so.1", "/usr/local/lib/libcrypto.so.1");

    write_text(t, "/etc/ld.so.conf", "# comment\ninclude ld.so.conf.d/*.conf\n");
    write_text(t, "/etc/ld.so.conf.d/opt.conf",
               "/opt/ssl/lib   # private build\n"
               "include /etc/ld.so.conf.d/more/*.conf\n");
    mkdirs(t, "/etc/ld.so.conf.d/more");
    write_text(t, "/etc/ld.so.conf.d/more/x.conf", "/srv/extra/\n/does/not/exist\n");
    static const struct cache_lib libs[] = {
        {"libssl.so.1.0.0", "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0"},
        {"libcrypto.so.1.0.0", "/lib/x86_64-linux-gnu/libcrypto.so.1.0.0"},
        {"libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"},
    };
    struct blob o;
    write_cache(&o, libs, 3, false);
    write_file(t, "/etc/ld.so.cache", o.b, o.len);
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;
    rm_tree(t->root);
    free(t);
    return 0;
}

static const struct libcopy *by_path(const struct libfind_result *r, const char *path)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->copies[i].path, path) == 0)
            return &r->copies[i];
    return NULL;
}

static void test_synthetic_root(void **state)
{
    struct tree *t = *state;
    struct libfind_result r;
    assert_success(libfind_run(t->root, &r));
    assert_success(r.cache_status);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.count, 6);

    /* From the cache: the linker's path, the real path inside the root. */
    const struct libcopy *c = by_path(&r, "/lib/x86_64-linux-gnu/libcrypto.so.1.0.0");
    assert_non_null(c);
    assert_int_equal(c->source, LIBCOPY_FROM_CACHE);
    assert_int_equal(c->kind, LIBCOPY_LIBCRYPTO);
    assert_string_equal(c->real_path, "/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0");
    assert_string_equal(c->banner.version, "1.0.1e");
    assert_true(c->banner.compiler_seen);
    assert_false(c->banner.no_heartbeats);
    assert_int_equal(c->size, 6000);
    assert_true(c->mtime.tv_sec > 0);

    c = by_path(&r, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    assert_non_null(c);
    assert_int_equal(c->kind, LIBCOPY_LIBSSL);
    assert_string_equal(c->banner.version, "1.0.1e");
    assert_false(c->banner_inherited);

    c = by_path(&r, "/opt/ssl/lib/libcrypto.so.1.0.0");
    assert_non_null(c);
    assert_int_equal(c->source, LIBCOPY_FROM_CONF);
    assert_string_equal(c->banner.version, "1.0.1f");
    assert_true(c->banner.no_heartbeats);

    c = by_path(&r, "/srv/extra/libssl.so.10");
    assert_non_null(c);
    assert_int_equal(c->source, LIBCOPY_FROM_CONF);
    assert_string_equal(c->banner.version, "1.0.1e-fips");

    c = by_path(&r, "/usr/local/lib/libssl.so.3");
    assert_non_null(c);
    assert_int_equal(c->source, LIBCOPY_FROM_STANDARD);
    assert_true(c->banner.found);
    assert_true(c->banner_inherited);
    assert_string_equal(c->banner.version, "3.0.19");
    assert_non_null(by_path(&r, "/usr/local/lib/libcrypto.so.3"));

    /* The dev link and the /lib alias are the same inodes: no extra entries. */
    assert_null(by_path(&r, "/usr/lib/x86_64-linux-gnu/libssl.so"));
    libfind_result_free(&r);
    assert_int_equal(r.count, 0);
}

/* No cache, no ld.so.conf: the standard directories still count; the dev link alone names
 * the file until its soname shows up. */
static void test_without_cache(void **state)
{
    struct tree *t = *state;
    char p[PATH_MAX];
    tree_path(t, "/etc/ld.so.cache", p, sizeof p);
    assert_int_equal(unlink(p), 0);
    struct libfind_result r;
    assert_success(libfind_run(t->root, &r));
    assert_error(r.cache_status, HC_ERR_IO);
    assert_int_equal(r.count, 6);
    const struct libcopy *c = by_path(&r, "/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    if (c == NULL)
        c = by_path(&r, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    assert_non_null(c);
    assert_int_equal(c->source, LIBCOPY_FROM_STANDARD);
    libfind_result_free(&r);

    /* A broken cache is reported and the search goes on. */
    write_text(t, "/etc/ld.so.cache", "glibc-ld.so.cache1.1 but nothing else");
    assert_success(libfind_run(t->root, &r));
    assert_error(r.cache_status, HC_ERR_SHORT);
    assert_string_equal(r.cache_defect, "header truncated");
    assert_int_equal(r.count, 6);
    libfind_result_free(&r);

    assert_error(libfind_run("/does/not/exist", &r), HC_ERR_IO);
    libfind_result_free(&r);
}

static void test_resolve(void **state)
{
    struct tree *t = *state;
    char *out;
    assert_success(libfind_resolve(t->root, "/lib/x86_64-linux-gnu/libssl.so", &out));
    assert_string_equal(out, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0");
    free(out);
    assert_success(libfind_resolve(t->root, "/../../lib/./x86_64-linux-gnu/", &out));
    assert_string_equal(out, "/usr/lib/x86_64-linux-gnu");
    free(out);
    assert_success(libfind_resolve(t->root, "/", &out));
    assert_string_equal(out, "/");
    free(out);
    assert_error(libfind_resolve(t->root, "/usr/local/lib/libcrypto.so.1", &out), HC_ERR_IO);
    assert_null(out);
    link_to(t, "/loop-b", "/loop-a");
    link_to(t, "loop-a", "/loop-b");
    assert_error(libfind_resolve(t->root, "/loop-a", &out), HC_ERR_IO);
    /* An escape through ".." in a link target stays inside the root. */
    link_to(t, "../../../../usr", "/escape");
    assert_success(libfind_resolve(t->root, "/escape/local", &out));
    assert_string_equal(out, "/usr/local");
    free(out);
}

/* This machine (Debian 12): OpenSSL 3's libssl is found, with its libcrypto's version. */
static void test_real_machine(void **state)
{
    (void)state;
    static const char want[] = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
    if (access(want, R_OK) != 0)
        skip();
    struct libfind_result r;
    assert_success(libfind_run("/", &r));
    const struct libcopy *c = NULL;
    for (size_t i = 0; i < r.count; i++)
        if (strcmp(r.copies[i].real_path, want) == 0)
            c = &r.copies[i];
    assert_non_null(c);
    assert_int_equal(c->kind, LIBCOPY_LIBSSL);
    assert_true(c->banner.found);
    assert_memory_equal(c->banner.version, "3.0.", 4);
    assert_int_equal(banner_classify(c->banner.version), BANNER_CLASS_NOT_AFFECTED);
    libfind_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_parse),
        cmocka_unit_test(test_cache_truncated_everywhere),
        cmocka_unit_test(test_cache_malformed),
        cmocka_unit_test(test_cache_real),
        cmocka_unit_test_setup_teardown(test_synthetic_root, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_without_cache, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_resolve, tree_setup, tree_teardown),
        cmocka_unit_test(test_real_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
