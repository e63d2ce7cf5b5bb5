/* copies: every OpenSSL copy on a machine, found by its bytes (issue 3, item 1).
 *
 * banner.c   pure functions over bytes: OpenSSL's version banner ("OpenSSL 1.0.1f 6 Jan 2014")
 *            and the "compiler: ..." build string, where -DOPENSSL_NO_HEARTBEATS shows that
 *            heartbeats were compiled out. Version numbers alone prove little (distributions
 *            back-ported the fix, DESIGN.md "host"), so the classification here is of the
 *            upstream version only.
 * libfind.c  shared libssl/libcrypto: the dynamic linker's cache (ROOT/etc/ld.so.cache),
 *            the directories of ROOT/etc/ld.so.conf (and its includes), the standard ones.
 * deepscan.c static copies: ELF files under given directories that carry a banner.
 *
 * Every path given to or returned by this module is the path inside ROOT ("/usr/lib/...");
 * ROOT is "/" for this machine or a mounted image for --root. */
#ifndef HC_HOST_COPIES_H
#define HC_HOST_COPIES_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- banner.c ---------------------------------------------------------------------------- */

enum {
    BANNER_VERSION_MAX = 32, /* "1.0.2-beta1", "0.9.8za", "1.0.1e-fips" + NUL */
    BANNER_DATE_MAX = 16,    /* "11 Sep 2023", or "xx XXX xxxx" for development builds */
    BANNER_TEXT_MAX = 72,    /* "OpenSSL " + version + two spaces + date */
};

/* Larger files are searched in their first 1 GiB only: no libcrypto comes near it. */
#define BANNER_MAP_MAX ((uint64_t)1 << 30)

struct banner {
    bool found;                       /* a dated banner was found; the fields below are set */
    char version[BANNER_VERSION_MAX]; /* "1.0.1f" */
    char date[BANNER_DATE_MAX];       /* "6 Jan 2014" */
    char text[BANNER_TEXT_MAX];       /* "OpenSSL 1.0.1f 6 Jan 2014", spaces as found */
    size_t offset;                    /* where text starts in the bytes searched */
    bool compiler_seen;               /* a "compiler: ..." build string is present */
    bool no_heartbeats;               /* the build flags carry -DOPENSSL_NO_HEARTBEATS */
    /* Strings only the library's own code carries ("OPENSSLDIR: ", "built on: ", 1.0.x's
     * "... part of OpenSSL" names). Without them a banner is a program quoting the
     * OPENSSL_VERSION_TEXT of the headers it was built with (nginx's "built with OpenSSL"),
     * and the code it runs is a shared libcrypto, not a copy of its own. */
    bool library_code;
};

/* Searches len bytes for the banner and the build string. Never reads outside [data,
 * data+len). Only "OpenSSL VERSION DATE" counts (prose such as "OpenSSL 1.0.1f is
 * vulnerable" has no date); of several banners the one standing as a string of its own is
 * preferred, then the first. out->found is false when there is none. */
void banner_find(const void *data, size_t len, struct banner *out);

/* Heartbleed status of an upstream OpenSSL version, by its number alone. */
enum banner_class {
    BANNER_CLASS_UNKNOWN,      /* not a version we can place ("1.0.2-dev", garbage) */
    BANNER_CLASS_AFFECTED,     /* 1.0.1 .. 1.0.1f (betas included), 1.0.2-beta1 */
    BANNER_CLASS_FIXED,        /* 1.0.1g and later 1.0.1, 1.0.2-beta2 and later 1.0.2 */
    BANNER_CLASS_NOT_AFFECTED, /* never had the bug: 0.9.x, 1.0.0*, 1.1.x, 3.x and later */
};

/* version as in struct banner ("1.0.1f", "1.0.1e-fips", "1.0.2-beta1"); suffixes after '-'
 * other than beta/pre/alpha numbers (e.g. "-fips") do not change the class. */
enum banner_class banner_classify(const char *version);
const char *banner_class_name(enum banner_class c); /* "affected", "fixed", ... */

/* Maps an open regular file of the given size read-only (at most its first BANNER_MAP_MAX
 * bytes) and runs banner_find over it; HC_ERR_IO if the map fails. The fd stays open. */
HC_MUST_CHECK hc_result banner_find_fd(int fd, uint64_t size, struct banner *out);

/* ---- libfind.c: ld.so.cache ------------------------------------------------------------- */

/* A parsed ld.so.cache ("glibc-ld.so.cache1.1", possibly after the old "ld.so-1.7.0" table).
 * Points into the caller's bytes, which must outlive it. */
struct ldcache {
    const uint8_t *base; /* the new-format header: string offsets count from here */
    size_t len;          /* bytes from base to the end of the file */
    uint32_t count;      /* entries, all checked by ldcache_parse */
    const char *defect;  /* after a failure: what exactly was wrong (for messages and tests) */
};

struct ldcache_entry {
    int32_t flags;      /* FLAG_ELF_LIBC6 | architecture (0x0303 = x86-64 libc6) */
    const char *soname; /* "libssl.so.3", NUL-terminated inside the cache */
    const char *path;   /* "/usr/lib/x86_64-linux-gnu/libssl.so.3" */
};

/* Checks the whole cache: header, every entry, every string (in range and terminated).
 * HC_ERR_BAD_VERSION: not an ld.so.cache we know (magic, version, big-endian);
 * HC_ERR_SHORT: truncated header or entries, string offset out of range, unterminated
 * string; cache->defect names which. */
HC_MUST_CHECK hc_result ldcache_parse(const void *data, size_t len, struct ldcache *cache);
/* Entry i < cache->count of a cache ldcache_parse accepted. */
struct ldcache_entry ldcache_entry_at(const struct ldcache *cache, uint32_t i);

/* ---- libfind.c: shared libraries -------------------------------------------------------- */

enum libcopy_kind { LIBCOPY_LIBSSL, LIBCOPY_LIBCRYPTO };
/* Where the copy was first found; lower values are what the linker uses first. */
enum libcopy_source { LIBCOPY_FROM_CACHE, LIBCOPY_FROM_CONF, LIBCOPY_FROM_STANDARD };

struct libcopy {
    enum libcopy_kind kind;
    enum libcopy_source source;
    char *path;      /* the path the linker would use (inside ROOT), owned */
    char *real_path; /* after every symlink, resolved inside ROOT, owned */
    dev_t dev;
    ino_t ino;
    uint64_t size;
    struct timespec mtime;
    struct banner banner;
    /* OpenSSL 3's libssl carries no banner: then banner is its libcrypto's (same directory,
     * same soname suffix) and this is true. */
    bool banner_inherited;
};

struct libfind_result {
    struct libcopy *copies; /* one per file (device + inode), owned */
    size_t count;
    size_t cap;
    unsigned errors;          /* files or directories that could not be read */
    hc_result cache_status;   /* ldcache_parse's answer (HC_ERR_IO: no cache file) */
    const char *cache_defect; /* its defect, or NULL */
};

/* Finds every libssl.so* and libcrypto.so* under root ("/" or an image) through the cache,
 * ld.so.conf (with include globs, relative to root) and the standard directories; one entry
 * per file, keeping the path the linker would use. Unreadable files count in errors. Fails
 * only for HC_ERR_NOMEM or an unusable root (HC_ERR_IO); free the result either way. */
HC_MUST_CHECK hc_result libfind_run(const char *root, struct libfind_result *out);
void libfind_result_free(struct libfind_result *r);

/* Resolves every symlink of path (inside root) the way a chroot would: absolute link targets
 * start again at root, ".." stops at root. Writes the resolved path inside root (malloc'd) to
 * *out. HC_ERR_IO if a component is missing or links loop (more than 40). */
HC_MUST_CHECK hc_result libfind_resolve(const char *root, const char *path, char **out);

/* ---- deepscan.c ------------------------------------------------------------------------- */

enum { DEEPSCAN_MAX_DEPTH = 64 };

enum deepscan_event {
    DEEPSCAN_FOUND, /* an ELF file carrying a banner */
    DEEPSCAN_ERROR, /* a file or directory that could not be read; the walk goes on */
};

struct deepscan_hit {
    enum deepscan_event event;
    const char *path;     /* inside root; valid during the callback only */
    int error;            /* errno, for DEEPSCAN_ERROR */
    struct banner banner; /* for DEEPSCAN_FOUND */
    uint64_t size;        /* for DEEPSCAN_FOUND */
    bool is_shared_lib;   /* named libssl* or libcrypto*: libfind's business */
    bool is_static_copy;  /* another ELF file carrying the library code: a static copy */
    bool is_header_quote; /* another ELF file with the banner only (banner.library_code
                             false): built against that version, links it dynamically */
};

typedef void (*deepscan_fn)(const struct deepscan_hit *hit, void *ctx);

struct deepscan_stats {
    uint64_t dirs;
    uint64_t files;     /* regular files opened */
    uint64_t elf_files; /* of those, starting with the ELF magic */
    uint64_t found;     /* DEEPSCAN_FOUND events */
    uint64_t errors;    /* DEEPSCAN_ERROR events */
    uint64_t skipped;   /* virtual filesystems (proc, sysfs...) and too-deep directories */
};

/* Walks each of paths[0..npaths) inside root recursively, never following symlinks, at most
 * DEEPSCAN_MAX_DEPTH levels, skipping proc-like virtual filesystems, and calls fn for every
 * ELF file with a banner and every file that could not be read. Errors on single files never
 * stop the walk; HC_ERR_USAGE for a path that is not absolute, HC_ERR_NOMEM. stats may be
 * NULL. */
HC_MUST_CHECK hc_result deepscan_run(const char *root, const char *const *paths, size_t npaths,
                                     deepscan_fn fn, void *ctx, struct deepscan_stats *stats);

#endif
