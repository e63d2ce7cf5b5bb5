/* Private to src/host: which package owns a file, its version, and whether that version carries
 * the distribution's back-ported Heartbleed fix (CVE-2014-0160).
 *
 * Distributions fixed Heartbleed without changing OpenSSL's version banner ("1.0.1e" stays
 * "1.0.1e"), so the banner alone cannot tell a patched library from a vulnerable one. The
 * package version can: each distribution published the first fixed package version, and its
 * changelog names the CVE. Everything here reads files under a ROOT prefix ("/" or a mounted
 * image), so an image is judged by its own databases, never by the host's. */
#ifndef HC_HOST_PKGDB_H
#define HC_HOST_PKGDB_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* ---- Version comparison (debversion.c, rpmversion.c) ---- */

/* dpkg's order of two version strings "[epoch:]upstream[-revision]": <0, 0 or >0, exactly as
 * `dpkg --compare-versions` (lib/dpkg/version.c: numeric epoch, then verrevcmp on upstream and
 * revision; '~' sorts before everything, even the end; letters before other characters).
 * Lenient: a malformed epoch counts as 0 instead of being rejected. */
int debversion_cmp(const char *a, const char *b);

/* rpm's rpmvercmp() on one version or release string: alphanumeric segments, numbers compare
 * as numbers and beat letters, '~' sorts before everything, '^' after the end only. */
int rpmversion_segment_cmp(const char *a, const char *b);

/* Two "[epoch:]version[-release]" strings as rpm orders packages: epoch (missing = 0), version,
 * then release; a missing release matches any release, as in rpm's dependency compare. */
int rpmversion_cmp(const char *a, const char *b);

/* ---- Package databases (pkgdb.c) ---- */

enum pkgdb_kind {
    PKGDB_NONE, /* no package owns the file, or no database */
    PKGDB_DPKG,
    PKGDB_RPM,
};

/* One dpkg package (a stanza of var/lib/dpkg/status). Strings are owned by the database; the
 * record itself stays valid until the next pkgdb_add_status/pkgdb_add_list or pkgdb_free. */
struct pkgdb_package {
    const char *name;    /* "libssl3", never with ":arch" */
    const char *arch;    /* "amd64", "all", "" when unknown */
    const char *version; /* "3.0.19-1~deb12u2", "" when the stanza had none */
    const char *source;  /* the source package ("openssl"), the name itself when not given */
    const char *status;  /* "install ok installed", "deinstall ok config-files"... */
    bool installed;      /* status ends in "installed": its files are really on disk */
    time_t changed;      /* last install/upgrade in dpkg.log*; 0 until pkgdb_install_time */
};

struct pkgdb; /* the index of one ROOT: dpkg packages, path -> package, rpm presence */

/* Loads ROOT's dpkg database (var/lib/dpkg/status and every info/ *.list) into an index; a ROOT
 * without a dpkg database gives an empty index, not an error, because rpm or no package manager
 * at all are normal. Also notes whether ROOT/var/lib/rpm exists. HC_ERR_IO when a file exists
 * but cannot be read, HC_ERR_NOMEM, HC_ERR_USAGE for a NULL or empty root. */
HC_MUST_CHECK hc_result pkgdb_open(const char *root, struct pkgdb **out);

/* An empty index for ROOT that reads nothing: pkgdb_add_status/pkgdb_add_list fill it (tests,
 * fuzzing). */
HC_MUST_CHECK hc_result pkgdb_new(const char *root, struct pkgdb **out);
void pkgdb_free(struct pkgdb *db);

/* Adds the stanzas of a status file's bytes (copied). Any bytes are accepted: malformed lines,
 * continuation lines, NUL bytes and missing final newlines are skipped or read as far as they
 * make sense; only HC_ERR_NOMEM fails. Add the status before the .list files that refer to it. */
HC_MUST_CHECK hc_result pkgdb_add_status(struct pkgdb *db, const char *data, size_t len);

/* Adds the paths of one info/NAME.list file (bytes copied). NAME may carry ":arch", like the
 * file name "libssl3:amd64.list"; a package missing from the status gets an empty record so
 * that its files still have an owner. A path already owned keeps its first owner. */
HC_MUST_CHECK hc_result pkgdb_add_list(struct pkgdb *db, const char *name, const char *data,
                                       size_t len);

size_t pkgdb_package_count(const struct pkgdb *db);
size_t pkgdb_path_count(const struct pkgdb *db); /* distinct paths in the index */

/* The dpkg package owning PATH (as seen inside ROOT, "/usr/lib/..."), or NULL. Tries the other
 * spelling of Debian's /usr-merge too (/lib/x <-> /usr/lib/x, also bin, sbin, lib32, lib64,
 * libx32), because a package lists the path it shipped, not the one the linker found. */
const struct pkgdb_package *pkgdb_owner(const struct pkgdb *db, const char *path);

/* The package called NAME ("libssl3" or "libssl3:amd64"), or NULL. Without ":arch" an installed
 * package is preferred to a removed one of another architecture. */
const struct pkgdb_package *pkgdb_find(const struct pkgdb *db, const char *name);

/* Last "install" or "upgrade" of PKG in ROOT/var/log/dpkg.log* (plain or .gz), read once on the
 * first call. Local time of this machine. *out = 0 and HC_OK when the logs do not mention it
 * (logs rotate away after a year). */
HC_MUST_CHECK hc_result pkgdb_install_time(struct pkgdb *db, const struct pkgdb_package *pkg,
                                           time_t *out);

/* Whether the Debian changelog of PKG, ROOT/usr/share/doc/<dir>/changelog.Debian.gz, contains
 * NEEDLE within its first 4 MiB (decompressed). <dir> is tried as "name:arch", "name", then the
 * source package, because library packages often share one doc directory; a symlinked doc
 * directory is followed inside ROOT, also when the link is absolute. *found = false and HC_OK
 * when no changelog exists; HC_ERR_IO when one exists but is unreadable or corrupt. */
HC_MUST_CHECK hc_result pkgdb_changelog_mentions(const struct pkgdb *db,
                                                 const struct pkgdb_package *pkg,
                                                 const char *needle, bool *found);

/* ---- rpm (pkgdb.c): queried through the `rpm` program, since its database format changed
 * several times (Berkeley DB, NDB, SQLite). ---- */

/* ROOT/var/lib/rpm exists. */
bool pkgdb_rpm_present(const struct pkgdb *db);

/* An executable `rpm` is on PATH (tests put a fake one first on PATH). */
bool pkgdb_rpm_available(void);

/* What `rpm --root ROOT -qf --queryformat '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}\n' PATH`
 * answers, parsed: *owned = false when no package owns PATH. The version is "1:1.0.1e-16.el6",
 * or without "N:" when the epoch is "(none)". Runs rpm without a shell, with bounded output and
 * a 10 s limit; HC_ERR_IO when rpm cannot run, fails otherwise, or takes too long. */
struct pkgdb_rpm_owner {
    char name[128];
    char version[128];
};
HC_MUST_CHECK hc_result pkgdb_rpm_owner(const struct pkgdb *db, const char *path,
                                        struct pkgdb_rpm_owner *out, bool *owned);

/* Parses one line of the query above into OUT (exposed for tests). False when malformed. */
bool pkgdb_rpm_parse_owner(const char *line, size_t len, struct pkgdb_rpm_owner *out);

/* Whether `rpm --root ROOT -q --changelog NAME` contains NEEDLE in its first 4 MiB. */
HC_MUST_CHECK hc_result pkgdb_rpm_changelog_mentions(const struct pkgdb *db, const char *name,
                                                     const char *needle, bool *found);

/* ---- The owner of a file, whichever database knows it: what the driver calls per copy ---- */

struct pkgdb_owner {
    enum pkgdb_kind kind; /* PKGDB_NONE: no owner found (see note) */
    char name[128];       /* "libssl1.0.0", "openssl" */
    char arch[32];        /* dpkg only */
    char source[128];     /* dpkg: source package; rpm: the name */
    char version[128];
    bool installed;          /* dpkg: status "installed"; rpm: always */
    bool changelog_cve;      /* the package changelog mentions CVE-2014-0160 */
    bool changelog_searched; /* a changelog was found and searched */
    char note[160]; /* why an answer is missing: "rpm database present but rpm not installed" */
};

/* Fills OUT for PATH: the dpkg index first, then rpm when ROOT has an rpm database, and the
 * changelog search for CVE-2014-0160. A missing owner is not an error (OUT->kind = PKGDB_NONE,
 * OUT->note says why when there is a reason); only HC_ERR_NOMEM and HC_ERR_USAGE fail, since
 * an unreadable changelog or a failing rpm should not hide the rest of the audit. */
HC_MUST_CHECK hc_result pkgdb_lookup(struct pkgdb *db, const char *path, struct pkgdb_owner *out);

/* ---- The distribution back-port table and the decision (backports.c) ---- */

enum backport_verdict {
    BACKPORT_UNKNOWN,    /* no matching distribution row and no changelog evidence */
    BACKPORT_FIXED,      /* fixed_by_backport: the distribution's fixed version or newer */
    BACKPORT_NOT_FIXED,  /* the distribution's row says this package version is older */
    BACKPORT_NOT_NEEDED, /* upstream version not affected (not 1.0.1-1.0.1f / 1.0.2-beta1) */
};

/* One distribution release: the first package version carrying the fix. Rows are matched by the
 * version's own distribution marker so that an Ubuntu version is never judged by Debian's row. */
struct backport_row {
    const char *distribution; /* "Debian 7", "Ubuntu 12.04" */
    enum pkgdb_kind kind;
    const char *upstream;       /* the upstream part of the package version: "1.0.1e" */
    const char *marker;         /* must occur in the revision/release: "+deb7", ".el6" */
    const char *release_prefix; /* the release must start with it (openSUSE: "1.", "11.") */
    const char *initial;        /* the release's first version, which carries no marker */
    const char *fixed;          /* "1.0.1e-2+deb7u5" */
};

extern const struct backport_row backport_rows[];
extern const size_t backport_row_count;

/* The row for VERSION from database KIND, or NULL. */
const struct backport_row *backport_match(enum pkgdb_kind kind, const char *version);

/* Whether an upstream OpenSSL version ("1.0.1f", "1.0.2-beta1", "3.0.13") has the Heartbleed
 * bug: 1.0.1 to 1.0.1f and 1.0.2-beta1. False for unparseable strings too; see
 * backport_upstream_known. */
bool backport_upstream_affected(const char *upstream);
bool backport_upstream_known(const char *upstream); /* parses as an OpenSSL version */

struct backport_input {
    const char *package;  /* binary package name, may carry ":arch" */
    const char *source;   /* source package, or NULL */
    const char *version;  /* package version */
    enum pkgdb_kind kind; /* which database the version comes from */
    const char *upstream; /* from the library's banner ("1.0.1e"), or NULL when unknown */
    bool changelog_cve;   /* the package changelog mentions CVE-2014-0160 */
};

/* The verdict on IN, and in EVIDENCE (always NUL-terminated when size > 0) the reason, e.g.
 * "Debian 7 fixed in 1.0.1e-2+deb7u5; installed 1.0.1e-2+deb7u4 is older". Only packages of
 * OpenSSL (source "openssl", names openssl*, libssl*, libcrypto*, libopenssl*) are judged by the
 * table: another package's version says nothing about an OpenSSL copy inside it. The changelog
 * wins over the table, since it is the installed package's own statement. */
enum backport_verdict backport_decide(const struct backport_input *in, char *evidence, size_t size);

const char *backport_verdict_name(enum backport_verdict v); /* "fixed_by_backport"... */

/* ---- When the fix arrived: one package's history in dpkg.log (dpkglog.c) ---- */

/* Keys that served while the library was vulnerable may have leaked; keys made after the fixed
 * package was installed did not, through Heartbleed. dpkg.log says when each version came:
 *   "2014-04-08 10:00:00 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u4 1.0.1e-2+deb7u5"
 *   "2014-04-08 10:00:01 status installed libssl1.0.0:amd64 1.0.1e-2+deb7u5"
 *   "2013-05-04 09:00:00 install libssl1.0.0:amd64 <none> 1.0.1e-2"
 * Times are the audited machine's local time, as dpkg wrote them, read with this process's
 * time zone (the same one file times are shown in). */

enum dpkglog_kind { DPKGLOG_INSTALL, DPKGLOG_UPGRADE, DPKGLOG_STATUS_INSTALLED };

struct dpkglog_event {
    time_t when;
    enum dpkglog_kind kind;
    char package[128];     /* without ":arch" */
    char old_version[128]; /* upgrade: the version it replaced; "" otherwise */
    char version[128];     /* the version installed */
};

/* One log line (len bytes, no newline needed; any bytes) as an event; false for every other
 * line ("status half-configured", "startup", "configure", "remove", malformed ones). */
bool dpkglog_parse_line(const char *line, size_t len, struct dpkglog_event *out);

struct dpkglog_history {
    struct dpkglog_event *events; /* of one package, in no particular order */
    size_t count, cap;
};

/* Adds the events of PACKAGE ("libssl1.0.0", no ":arch") found in a log's text. NOMEM only. */
HC_MUST_CHECK hc_result dpkglog_add_text(struct dpkglog_history *h, const char *package,
                                         const char *text, size_t len);
/* Reads ROOT/var/log/dpkg.log and its rotations (dpkg.log.1, dpkg.log.2.gz: zlib), in any
 * order; missing logs add nothing. NOMEM only: unreadable logs are logs we do not have. */
HC_MUST_CHECK hc_result dpkglog_read(const char *root, const char *package,
                                     struct dpkglog_history *h);
void dpkglog_history_free(struct dpkglog_history *h);

enum dpkglog_state { DPKGLOG_VERSION_VULNERABLE, DPKGLOG_VERSION_FIXED, DPKGLOG_VERSION_UNKNOWN };

/* What the history says about the fix, given a judge of versions (the back-port table). */
struct dpkglog_fix {
    bool vulnerable_seen;    /* a vulnerable version was installed at some point in the logs */
    time_t vulnerable_until; /* the last moment the logs show one installed */
    time_t fixed_at;         /* the first fixed version installed after that; 0: none yet */
    char fixed_version[128];
};

/* Sorts h's events by time first (stable: a log's own order decides ties). */
void dpkglog_find_fix(struct dpkglog_history *h,
                      enum dpkglog_state (*judge)(const char *version, void *ctx), void *ctx,
                      struct dpkglog_fix *out);

#endif
