/* Synthetic root trees of tree.h. */
#include "unit.h"

#include "support/tree.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool tree_create(struct tree *t, const char *name)
{
    int n = snprintf(t->root, sizeof t->root, "/tmp/hc-%s-XXXXXX", name);
    return n > 0 && (size_t)n < sizeof t->root && mkdtemp(t->root) != NULL;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void tree_remove(struct tree *t)
{
    if (t->root[0])
        nftw(t->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    t->root[0] = '\0';
}

void tree_path(const struct tree *t, const char *rel, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", t->root, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

void tree_mkdirs(const struct tree *t, const char *rel)
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

static void make_parents(const struct tree *t, const char *rel)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", rel);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        tree_mkdirs(t, dir);
    }
}

void tree_write(const struct tree *t, const char *rel, const void *data, size_t n)
{
    make_parents(t, rel);
    char p[PATH_MAX];
    tree_path(t, rel, p, sizeof p);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

void tree_write_text(const struct tree *t, const char *rel, const char *text)
{
    tree_write(t, rel, text, strlen(text));
}

void tree_copy_file(const struct tree *t, const char *from, const char *rel)
{
    make_parents(t, rel);
    char p[PATH_MAX];
    tree_path(t, rel, p, sizeof p);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    assert_true(in >= 0);
    struct stat st;
    assert_int_equal(fstat(in, &st), 0);
    int out = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
    assert_true(out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    assert_int_equal(close(out), 0);
}

static size_t put_string(char *buf, size_t at, size_t cap, const char *s)
{
    size_t n = strlen(s) + 1;
    assert_true(at + n + 1 <= cap);
    buf[at++] = '\0';
    memcpy(buf + at, s, n);
    return at + n;
}

void tree_fake_openssl(const struct tree *t, const char *rel, const char *banner, bool library_code,
                       bool no_heartbeats)
{
    char buf[8192];
    memset(buf, 0x90, sizeof buf);
    memcpy(buf, "\177ELF\2\1\1", 7);
    size_t at = 4000;
    if (banner)
        at = put_string(buf, at, sizeof buf, banner);
    at = put_string(buf, at, sizeof buf,
                    no_heartbeats ? "compiler: gcc -fPIC -DOPENSSL_PIC -DOPENSSL_NO_HEARTBEATS -O3"
                                  : "compiler: gcc -fPIC -DOPENSSL_PIC -O3");
    if (library_code) {
        at = put_string(buf, at, sizeof buf, "OPENSSLDIR: \"/usr/lib/ssl\"");
        at = put_string(buf, at, sizeof buf, "built on: Mon Apr  7 15:08:30 UTC 2014");
    }
    buf[at] = '\0';
    tree_write(t, rel, buf, sizeof buf);
}
