/* deepscan: static copies inside ELF files, symlinks never followed, depth bounded, virtual
 * filesystems skipped, errors on single files counted and the walk goes on. */
#include "unit.h"

#include "host/copies.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tree {
    char root[64];
};

struct seen {
    char paths[16][PATH_MAX];
    struct deepscan_hit hits[16];
    size_t n;
    size_t errors;
    int last_error;
};

static void collect(const struct deepscan_hit *hit, void *ctx)
{
    struct seen *s = ctx;
    if (hit->event == DEEPSCAN_ERROR) {
        s->errors++;
        s->last_error = hit->error;
        return;
    }
    assert_true(s->n < HC_ARRAY_LEN(s->hits));
    s->hits[s->n] = *hit;
    strcpy(s->paths[s->n], hit->path);
    s->hits[s->n].path = s->paths[s->n];
    s->n++;
}

static const struct deepscan_hit *hit_at(const struct seen *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->paths[i], path) == 0)
            return &s->hits[i];
    return NULL;
}

static void full_path(const struct tree *t, const char *rel, char *out)
{
    int n = snprintf(out, PATH_MAX, "%s%s", t->root, rel);
    assert_true(n > 0 && n < PATH_MAX);
}

static void make_dir(const struct tree *t, const char *rel)
{
    char p[PATH_MAX];
    full_path(t, rel, p);
    assert_int_equal(mkdir(p, 0755), 0);
}

/* ELF magic, padding, the banner somewhere in the middle, and cversion's OPENSSLDIR string
 * after it: what a static link leaves. */
static void write_file_with(const struct tree *t, const char *rel, const char *banner, bool elf,
                            bool code)
{
    char p[PATH_MAX];
    full_path(t, rel, p);
    static uint8_t buf[70000];
    memset(buf, 0xcc, sizeof buf);
    if (elf)
        memcpy(buf, "\177ELF\2\1\1", 7);
    if (banner) {
        buf[40000] = 0;
        memcpy(buf + 40001, banner, strlen(banner) + 1);
    }
    if (code)
        memcpy(buf + 50000, "OPENSSLDIR: \"/usr/lib/ssl\"", 27);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, sizeof buf, f), sizeof buf);
    fclose(f);
}

static void write_elf(const struct tree *t, const char *rel, const char *banner, bool elf)
{
    write_file_with(t, rel, banner, elf, banner != NULL);
}

static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    strcpy(t->root, "/tmp/hc-deepscan-XXXXXX");
    if (mkdtemp(t->root) == NULL)
        return -1;
    make_dir(t, "/usr");
    make_dir(t, "/usr/bin");
    make_dir(t, "/usr/lib");
    make_dir(t, "/outside");
    write_elf(t, "/usr/bin/static-app", "OpenSSL 1.0.1f 6 Jan 2014", true);
    write_elf(t, "/usr/bin/plain-app", NULL, true);
    write_elf(t, "/usr/bin/prose-app", "OpenSSL 1.0.1f is vulnerable", true);
    write_elf(t, "/usr/bin/script", "OpenSSL 1.0.1f 6 Jan 2014", false);
    write_elf(t, "/usr/lib/libcrypto.so.1.0.0", "OpenSSL 1.0.1e 11 Feb 2013", true);
    /* nginx: "built with OpenSSL ..." quotes its headers; the code is in libcrypto.so. */
    write_file_with(t, "/usr/bin/quote-app", "built with OpenSSL 3.0.22 25 Aug 2026", true, false);
    write_elf(t, "/outside/vendored.so", "OpenSSL 1.0.2-beta1 24 Feb 2014", true);
    char p[PATH_MAX];
    full_path(t, "/usr/lib/linked", p);
    assert_int_equal(symlink("../../outside", p), 0);
    full_path(t, "/usr/bin/linked-app", p);
    assert_int_equal(symlink("static-app", p), 0);
    full_path(t, "/usr/bin/fifo", p);
    assert_int_equal(mkfifo(p, 0600), 0);
    full_path(t, "/usr/bin/empty", p);
    FILE *f = fopen(p, "wb");
    fclose(f);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static void test_finds_static_copies(void **state)
{
    struct tree *t = *state;
    const char *paths[] = {"/usr"};
    struct seen s = {0};
    struct deepscan_stats st;
    assert_success(deepscan_run(t->root, paths, 1, collect, &s, &st));
    assert_int_equal(s.n, 3);
    assert_int_equal(s.errors, 0);

    const struct deepscan_hit *h = hit_at(&s, "/usr/bin/static-app");
    assert_non_null(h);
    assert_int_equal(h->event, DEEPSCAN_FOUND);
    assert_string_equal(h->banner.version, "1.0.1f");
    assert_true(h->is_static_copy);
    assert_false(h->is_shared_lib);
    assert_false(h->is_header_quote);
    assert_int_equal(h->size, 70000);

    h = hit_at(&s, "/usr/bin/quote-app");
    assert_non_null(h);
    assert_string_equal(h->banner.version, "3.0.22");
    assert_false(h->is_static_copy);
    assert_true(h->is_header_quote);

    h = hit_at(&s, "/usr/lib/libcrypto.so.1.0.0");
    assert_non_null(h);
    assert_true(h->is_shared_lib);
    assert_false(h->is_static_copy);

    /* Symlinked directory and symlinked file not followed; script is not ELF. */
    assert_null(hit_at(&s, "/usr/lib/linked/vendored.so"));
    assert_null(hit_at(&s, "/usr/bin/linked-app"));
    assert_null(hit_at(&s, "/usr/bin/script"));
    assert_int_equal(st.dirs, 3);
    assert_int_equal(st.files, 7); /* the six written files and the empty one */
    assert_int_equal(st.elf_files, 5);
    assert_int_equal(st.found, 3);
    assert_int_equal(st.errors, 0);
}

/* A file given directly, several paths, a missing path (an error, not a failure). */
static void test_paths(void **state)
{
    struct tree *t = *state;
    const char *paths[] = {"/outside/vendored.so", "/missing", "/usr/bin"};
    struct seen s = {0};
    struct deepscan_stats st;
    assert_success(deepscan_run(t->root, paths, 3, collect, &s, &st));
    assert_int_equal(s.n, 3);
    assert_non_null(hit_at(&s, "/outside/vendored.so"));
    assert_non_null(hit_at(&s, "/usr/bin/static-app"));
    assert_int_equal(s.errors, 1);
    assert_int_equal(st.errors, 1);

    const char *relative[] = {"usr"};
    assert_error(deepscan_run(t->root, relative, 1, collect, &s, NULL), HC_ERR_USAGE);
    /* No callback: counting only. */
    assert_success(deepscan_run(t->root, paths + 2, 1, NULL, NULL, &st));
    assert_int_equal(st.found, 2);
}

/* The starting path's own symlinks are resolved inside the root. */
static void test_top_symlink(void **state)
{
    struct tree *t = *state;
    char p[PATH_MAX];
    full_path(t, "/bin", p);
    assert_int_equal(symlink("/usr/bin", p), 0);
    const char *paths[] = {"/bin"};
    struct seen s = {0};
    assert_success(deepscan_run(t->root, paths, 1, collect, &s, NULL));
    assert_int_equal(s.n, 2);
    assert_non_null(hit_at(&s, "/usr/bin/static-app"));
}

static void test_depth_bound(void **state)
{
    struct tree *t = *state;
    char rel[PATH_MAX] = "/deep";
    make_dir(t, rel);
    for (int i = 0; i < DEEPSCAN_MAX_DEPTH + 2; i++) {
        strcat(rel, "/d");
        make_dir(t, rel);
    }
    strcat(rel, "/buried");
    write_elf(t, rel, "OpenSSL 1.0.1f 6 Jan 2014", true);
    const char *paths[] = {"/deep"};
    struct seen s = {0};
    struct deepscan_stats st;
    assert_success(deepscan_run(t->root, paths, 1, collect, &s, &st));
    assert_int_equal(s.n, 0);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.dirs, DEEPSCAN_MAX_DEPTH + 1);
}

/* Unreadable files are errors (only visible without root: root reads everything). */
static void test_unreadable(void **state)
{
    struct tree *t = *state;
    if (geteuid() == 0)
        skip();
    char p[PATH_MAX];
    full_path(t, "/usr/bin/static-app", p);
    assert_int_equal(chmod(p, 0), 0);
    const char *paths[] = {"/usr/bin"};
    struct seen s = {0};
    assert_success(deepscan_run(t->root, paths, 1, collect, &s, NULL));
    assert_null(hit_at(&s, "/usr/bin/static-app"));
    assert_non_null(hit_at(&s, "/usr/bin/quote-app")); /* the walk went on */
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.last_error, EACCES);
}

/* /proc is skipped as a whole: nothing under it is opened. */
static void test_skips_proc(void **state)
{
    (void)state;
    const char *paths[] = {"/proc"};
    struct deepscan_stats st;
    assert_success(deepscan_run("/", paths, 1, NULL, NULL, &st));
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.files, 0);
    assert_int_equal(st.dirs, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_finds_static_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_top_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
        cmocka_unit_test(test_skips_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
