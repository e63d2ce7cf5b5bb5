/* Synthetic root trees for the host audit's tests: a temporary directory that stands for a
 * machine's "/" (--root), files written into it by their path inside the root, and fake
 * OpenSSL libraries made of the strings the banner search looks for. */
#ifndef HC_TREE_H
#define HC_TREE_H
#include <stdbool.h>
#include <stddef.h>

struct tree {
    char root[64]; /* /tmp/hc-NAME-XXXXXX */
};

/* Creates /tmp/hc-NAME-XXXXXX; false when it cannot (for cmocka setups). */
bool tree_create(struct tree *t, const char *name);

/* Removes the whole tree, symlinks not followed. */
void tree_remove(struct tree *t);

/* root + rel ("/etc/hostname") into out. */
void tree_path(const struct tree *t, const char *rel, char *out, size_t cap);

/* Makes rel and its parents. */
void tree_mkdirs(const struct tree *t, const char *rel);

/* Writes n bytes to rel (parents made as needed). */
void tree_write(const struct tree *t, const char *rel, const void *data, size_t n);
void tree_write_text(const struct tree *t, const char *rel, const char *text);

/* Copies a real file (from, a machine path) to rel, keeping its permission bits. */
void tree_copy_file(const struct tree *t, const char *from, const char *rel);

/* An ELF-looking file holding the banner (NULL: none), a build string (with
 * -DOPENSSL_NO_HEARTBEATS when no_heartbeats) and, when library_code, the strings only the
 * library itself carries ("OPENSSLDIR: ", "built on: "). */
void tree_fake_openssl(const struct tree *t, const char *rel, const char *banner, bool library_code,
                       bool no_heartbeats);
#endif
