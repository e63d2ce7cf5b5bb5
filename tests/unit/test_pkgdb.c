/* pkgdb: dpkg index, owners, /usr-merge, changelogs, dpkg.log, rpm through a fake `rpm`, and
 * the real machine's dpkg database. Synthetic ROOT trees are built in a temporary directory. */
#include "unit.h"

#include "host/pkgdb.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- Building trees ---- */

struct tree {
    char root[256]; /* short, so that paths built under it always fit */
};

static void mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
    mkdir(buf, 0755);
}

static void tree_path(const struct tree *t, const char *rel, char *out)
{
    snprintf(out, PATH_MAX, "%s%s", t->root, rel);
}

static void parent_dirs(const char *full)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", full);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    mkdirs(dir);
}

static void write_file(const struct tree *t, const char *rel, const char *data, size_t len)
{
    char full[PATH_MAX];
    tree_path(t, rel, full);
    parent_dirs(full);
    FILE *f = fopen(full, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_text(const struct tree *t, const char *rel, const char *text)
{
    write_file(t, rel, text, strlen(text));
}

static void write_gz(const struct tree *t, const char *rel, const char *text)
{
    char full[PATH_MAX];
    tree_path(t, rel, full);
    parent_dirs(full);
    gzFile gz = gzopen(full, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    gzclose(gz);
}

static void make_link(const struct tree *t, const char *target, const char *rel)
{
    char full[PATH_MAX];
    tree_path(t, rel, full);
    parent_dirs(full);
    assert_int_equal(symlink(target, full), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));
    snprintf(t->root, sizeof(t->root), "/tmp/hc-pkgdb-XXXXXX");
    if (!mkdtemp(t->root))
        return -1;
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;
    nftw(t->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(t);
    return 0;
}

/* ---- A Debian 7 system as it was in April 2014 ---- */

static const char wheezy_status[] =
    "Package: libssl1.0.0\n"
    "Status: install ok installed\n"
    "Priority: important\n"
    "Multi-Arch: same\n"
    "Source: openssl\n"
    "Version: 1.0.1e-2+deb7u4\n"
    "Architecture: amd64\n"
    "Description: SSL shared libraries\n"
    " This package is part of the OpenSSL project's implementation.\n"
    " .\n"
    " Version: 9.9 in a continuation line is not the version\n"
    "\n"
    "Package: libssl1.0.0\n"
    "Status: deinstall ok config-files\n"
    "Source: openssl\n"
    "Version: 1.0.1e-2+deb7u3\n"
    "Architecture: i386\n"
    "\n"
    "Package: openssl\n"
    "Status: install ok installed\n"
    "Version: 1.0.1e-2+deb7u4\n"
    "Architecture: amd64\n"
    "\n"
    "Package: libgnutls26\n"
    "Status: install ok installed\n"
    "Source: gnutls26 (2.12.20-8+deb7u1)\n"
    "Version: 2.12.20-8+deb7u1\n"
    "Architecture: amd64\n"
    "\n"
    "Package: oldpkg\n"
    "Status: deinstall ok config-files\n"
    "Version: 1.0\n"
    "Architecture: all\n";

static void build_wheezy(const struct tree *t)
{
    write_text(t, "/var/lib/dpkg/status", wheezy_status);
    /* The library was shipped in /usr/lib (usr-merged spelling), libcrypto in /lib. */
    write_text(t, "/var/lib/dpkg/info/libssl1.0.0:amd64.list",
               "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n"
               "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0\n"
               "/lib/x86_64-linux-gnu/libcrypto.so.1.0.0\n"
               "/usr/share/doc/libssl1.0.0\n");
    write_text(t, "/var/lib/dpkg/info/openssl.list",
               "/.\n/usr/bin/openssl\n/usr/share/doc/openssl\n");
    write_text(t, "/var/lib/dpkg/info/libgnutls26:amd64.list",
               "/usr/lib/x86_64-linux-gnu/libgnutls.so.26\n");
    write_text(t, "/var/lib/dpkg/info/orphan.list", "/usr/bin/orphan\n");
    write_text(t, "/var/lib/dpkg/info/libssl1.0.0:amd64.md5sums", "ignored\n");
    /* Debian links a library's doc directory to its source's: absolute, so it must be
     * resolved inside ROOT. */
    make_link(t, "/usr/share/doc/openssl", "/usr/share/doc/libssl1.0.0");
    write_gz(t, "/usr/share/doc/openssl/changelog.Debian.gz",
             "openssl (1.0.1e-2+deb7u5) wheezy-security; urgency=high\n\n"
             "  * Non-maintainer upload by the Security Team.\n"
             "  * Add CVE-2014-0160.patch patch.\n"
             "    CVE-2014-0160: Fix TLS heartbeat read overrun.\n\n");
    write_gz(t, "/usr/share/doc/libgnutls26/changelog.Debian.gz",
             "gnutls26 (2.12.20-8+deb7u1) wheezy-security; urgency=high\n\n"
             "  * Fix CVE-2014-0092.\n");
}

static struct pkgdb *open_tree(const struct tree *t)
{
    struct pkgdb *db = NULL;
    assert_success(pkgdb_open(t->root, &db));
    return db;
}

static void test_status_stanzas(void **state)
{
    struct tree *t = *state;
    build_wheezy(t);
    struct pkgdb *db = open_tree(t);
    assert_int_equal(pkgdb_package_count(db), 6); /* five stanzas and the orphan list */
    const struct pkgdb_package *p = pkgdb_find(db, "libssl1.0.0");
    assert_non_null(p);
    assert_string_equal(p->arch, "amd64"); /* the installed one wins without ":arch" */
    assert_string_equal(p->version, "1.0.1e-2+deb7u4");
    assert_string_equal(p->source, "openssl");
    assert_true(p->installed);
    p = pkgdb_find(db, "libssl1.0.0:i386");
    assert_non_null(p);
    assert_false(p->installed);
    assert_string_equal(p->status, "deinstall ok config-files");
    assert_string_equal(p->version, "1.0.1e-2+deb7u3");
    assert_string_equal(pkgdb_find(db, "openssl")->source, "openssl");
    assert_string_equal(pkgdb_find(db, "libgnutls26")->source, "gnutls26");
    assert_false(pkgdb_find(db, "oldpkg")->installed);
    assert_null(pkgdb_find(db, "libssl1.0.0:armhf"));
    assert_null(pkgdb_find(db, "nosuch"));
    assert_false(pkgdb_rpm_present(db));
    pkgdb_free(db);
}

static void test_owner_and_usr_merge(void **state)
{
    struct tree *t = *state;
    build_wheezy(t);
    struct pkgdb *db = open_tree(t);
    const char *ssl_spellings[] = {"/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0",
                                   "/lib/x86_64-linux-gnu/libssl.so.1.0.0"};
    const char *crypto_spellings[] = {"/lib/x86_64-linux-gnu/libcrypto.so.1.0.0",
                                      "/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0"};
    for (size_t i = 0; i < 2; i++) {
        const struct pkgdb_package *p = pkgdb_owner(db, ssl_spellings[i]);
        assert_non_null(p);
        assert_string_equal(p->name, "libssl1.0.0");
        assert_string_equal(p->arch, "amd64");
        p = pkgdb_owner(db, crypto_spellings[i]);
        assert_non_null(p);
        assert_string_equal(p->name, "libssl1.0.0");
    }
    assert_string_equal(pkgdb_owner(db, "/usr/bin/openssl")->name, "openssl");
    assert_string_equal(pkgdb_owner(db, "/bin/openssl")->name, "openssl");
    /* A .list without a stanza still names an owner, with nothing known about it. */
    const struct pkgdb_package *orphan = pkgdb_owner(db, "/usr/bin/orphan");
    assert_non_null(orphan);
    assert_string_equal(orphan->version, "");
    assert_false(orphan->installed);
    assert_null(pkgdb_owner(db, "/usr/lib/x86_64-linux-gnu/libssl.so.1.0.2"));
    assert_null(pkgdb_owner(db, "/libx/libssl.so"));
    assert_null(pkgdb_owner(db, "/usr/libexec/x"));
    assert_null(pkgdb_owner(db, ""));
    assert_null(pkgdb_owner(db, NULL));
    pkgdb_free(db);
}

static void test_changelog_evidence(void **state)
{
    struct tree *t = *state;
    build_wheezy(t);
    struct pkgdb *db = open_tree(t);
    bool found = false;
    /* libssl1.0.0's doc dir is an absolute link to openssl's. */
    assert_success(
        pkgdb_changelog_mentions(db, pkgdb_find(db, "libssl1.0.0"), "CVE-2014-0160", &found));
    assert_true(found);
    assert_success(
        pkgdb_changelog_mentions(db, pkgdb_find(db, "libgnutls26"), "CVE-2014-0160", &found));
    assert_false(found);
    assert_success(
        pkgdb_changelog_mentions(db, pkgdb_find(db, "libgnutls26"), "CVE-2014-0092", &found));
    assert_true(found);
    assert_success(pkgdb_changelog_mentions(db, pkgdb_find(db, "oldpkg"), "CVE-2014-0160", &found));
    assert_false(found);

    struct pkgdb_owner o;
    assert_success(pkgdb_lookup(db, "/lib/x86_64-linux-gnu/libssl.so.1.0.0", &o));
    assert_int_equal(o.kind, PKGDB_DPKG);
    assert_string_equal(o.name, "libssl1.0.0");
    assert_string_equal(o.source, "openssl");
    assert_string_equal(o.version, "1.0.1e-2+deb7u4");
    assert_true(o.changelog_searched);
    assert_true(o.changelog_cve);
    assert_success(pkgdb_lookup(db, "/usr/lib/x86_64-linux-gnu/libgnutls.so.26", &o));
    assert_true(o.changelog_searched);
    assert_false(o.changelog_cve);
    assert_success(pkgdb_lookup(db, "/opt/app/libssl.so", &o));
    assert_int_equal(o.kind, PKGDB_NONE);
    assert_string_equal(o.note, "no dpkg package owns it");
    pkgdb_free(db);
}

/* A relative link, a link chain, the source package's directory as the last resort, a
 * corrupt gzip, and a needle split across the 64 KiB read chunks. */
static void test_changelog_paths(void **state)
{
    struct tree *t = *state;
    write_text(t, "/var/lib/dpkg/status",
               "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
               "Package: b\nStatus: install ok installed\nVersion: 1\nSource: bsrc (1)\n\n"
               "Package: c\nStatus: install ok installed\nVersion: 1\n\n"
               "Package: d\nStatus: install ok installed\nVersion: 1\n");
    make_link(t, "a2", "/usr/share/doc/a");
    make_link(t, "../doc/a3", "/usr/share/doc/a2");
    char big[70000 + 32];
    memset(big, 'x', sizeof(big));
    memcpy(big + 65536 - 5, "CVE-2014-0160", 13);
    big[sizeof(big) - 1] = '\0';
    write_gz(t, "/usr/share/doc/a3/changelog.Debian.gz", big);
    write_gz(t, "/usr/share/doc/bsrc/changelog.Debian.gz", "CVE-2014-0160\n");
    write_text(t, "/usr/share/doc/c/changelog.Debian.gz",
               "\x1f\x8b\x08\x00garbage that is no gzip");
    make_link(t, "d", "/usr/share/doc/d"); /* a loop */
    struct pkgdb *db = open_tree(t);
    bool found = false;
    assert_success(pkgdb_changelog_mentions(db, pkgdb_find(db, "a"), "CVE-2014-0160", &found));
    assert_true(found);
    assert_success(pkgdb_changelog_mentions(db, pkgdb_find(db, "b"), "CVE-2014-0160", &found));
    assert_true(found);
    assert_error(pkgdb_changelog_mentions(db, pkgdb_find(db, "c"), "CVE-2014-0160", &found),
                 HC_ERR_IO);
    assert_error(pkgdb_changelog_mentions(db, pkgdb_find(db, "d"), "CVE-2014-0160", &found),
                 HC_ERR_IO);
    pkgdb_free(db);
}

static time_t local_time(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s,
                    .tm_isdst = -1};
    return mktime(&tm);
}

static void test_install_time(void **state)
{
    struct tree *t = *state;
    build_wheezy(t);
    write_text(t, "/var/log/dpkg.log",
               "2014-04-08 10:00:00 startup archives unpack\n"
               "2014-04-08 10:00:01 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u3 1.0.1e-2+deb7u4\n"
               "2014-04-08 10:00:02 status installed libssl1.0.0:amd64 1.0.1e-2+deb7u4\n"
               "2014-04-09 11:00:00 configure openssl:amd64 1.0.1e-2+deb7u4 <none>\n"
               "garbage line\n2014-13-99 xx:00:00 upgrade openssl:amd64\n");
    write_gz(t, "/var/log/dpkg.log.2.gz",
             "2013-05-04 09:00:00 install libssl1.0.0:amd64 <none> 1.0.1e-2\n"
             "2013-05-04 09:00:00 install openssl:amd64 <none> 1.0.1e-2\n"
             "2013-05-04 09:00:00 install libssl1.0.0:i386 <none> 1.0.1e-2\n");
    write_text(t, "/var/log/dpkg.log.1", "2014-01-01 00:00:00 upgrade openssl:amd64 a b");
    struct pkgdb *db = open_tree(t);
    time_t when = 1;
    assert_success(pkgdb_install_time(db, pkgdb_find(db, "libssl1.0.0:amd64"), &when));
    assert_int_equal(when, local_time(2014, 4, 8, 10, 0, 1));
    assert_success(pkgdb_install_time(db, pkgdb_find(db, "openssl"), &when));
    assert_int_equal(when, local_time(2014, 1, 1, 0, 0, 0)); /* "configure" is no upgrade */
    assert_success(pkgdb_install_time(db, pkgdb_find(db, "libssl1.0.0:i386"), &when));
    assert_int_equal(when, local_time(2013, 5, 4, 9, 0, 0));
    assert_success(pkgdb_install_time(db, pkgdb_find(db, "libgnutls26"), &when));
    assert_int_equal(when, 0);
    pkgdb_free(db);
}

static void test_no_database(void **state)
{
    struct tree *t = *state;
    struct pkgdb *db = open_tree(t);
    assert_int_equal(pkgdb_package_count(db), 0);
    assert_int_equal(pkgdb_path_count(db), 0);
    struct pkgdb_owner o;
    assert_success(pkgdb_lookup(db, "/usr/lib/libssl.so", &o));
    assert_int_equal(o.kind, PKGDB_NONE);
    assert_string_equal(o.note, "no package database");
    time_t when = 1;
    assert_null(pkgdb_find(db, "x"));
    assert_error(pkgdb_install_time(db, NULL, &when), HC_ERR_USAGE);
    pkgdb_free(db);
    assert_error(pkgdb_open("", &db), HC_ERR_USAGE);
    assert_error(pkgdb_open(NULL, &db), HC_ERR_USAGE);
    /* A status that is a directory cannot be read: an error, not an empty database. */
    char full[PATH_MAX];
    tree_path(t, "/var/lib/dpkg/status", full);
    mkdirs(full);
    assert_error(pkgdb_open(t->root, &db), HC_ERR_IO);
}

/* ---- Malformed input ---- */

static void test_malformed_status(void **state)
{
    (void)state;
    struct pkgdb *db;
    assert_success(pkgdb_new("/nonexistent", &db));
    /* No trailing newline, CRLF, fields in odd case, a field without value. */
    const char s1[] = "package: a\r\nstatus: install ok installed\r\nversion: 1.0\r\n"
                      "Architecture:\n\nPackage: b\nVersion: 2";
    assert_success(pkgdb_add_status(db, s1, sizeof(s1) - 1));
    assert_string_equal(pkgdb_find(db, "a")->version, "1.0");
    assert_true(pkgdb_find(db, "a")->installed);
    assert_string_equal(pkgdb_find(db, "a")->arch, "");
    assert_string_equal(pkgdb_find(db, "b")->version, "2");
    assert_false(pkgdb_find(db, "b")->installed);
    /* Binary garbage with NUL bytes, stanzas without Package, lines without colon. */
    const char s2[] = "\x00\xff\xfe: \n\nVersion: 3\n\n:\n: :\nPackage:\n\nPackage: c\x00z\n"
                      "Status: x\x00installed\n\n \n\t\nPackage: d\n";
    assert_success(pkgdb_add_status(db, s2, sizeof(s2) - 1));
    assert_non_null(pkgdb_find(db, "c"));
    assert_non_null(pkgdb_find(db, "d"));
    /* A huge line. */
    size_t n = 4 << 20;
    char *huge = malloc(n);
    assert_non_null(huge);
    memset(huge, 'A', n);
    memcpy(huge, "Package: e\nDescription: ", 24);
    assert_success(pkgdb_add_status(db, huge, n));
    assert_non_null(pkgdb_find(db, "e"));
    assert_success(pkgdb_add_status(db, "", 0));
    /* .list files of the same kind. */
    memcpy(huge, "/x\n", 3);
    huge[n - 1] = '\0';
    assert_success(pkgdb_add_list(db, "e", huge, n));
    assert_non_null(pkgdb_owner(db, "/x"));
    const char l1[] = "relative\n/y\r\n\n\x00/z\n/w";
    assert_success(pkgdb_add_list(db, "c:amd64", l1, sizeof(l1) - 1));
    assert_string_equal(pkgdb_owner(db, "/y")->name, "c");
    /* "c:amd64.list" belongs to the stanza "c" that named no architecture. */
    assert_ptr_equal(pkgdb_owner(db, "/w"), pkgdb_find(db, "c"));
    assert_null(pkgdb_owner(db, "relative"));
    assert_error(pkgdb_add_list(db, "", "/q\n", 3), HC_ERR_USAGE);
    free(huge);
    pkgdb_free(db);
}

/* ---- rpm, with a fake `rpm` first on PATH ---- */

static const char fake_rpm[] =
    "#!/bin/sh\n"
    "# fake rpm for heartcheck's tests: records its arguments, answers two questions\n"
    "for a in \"$@\"; do printf '[%s]' \"$a\"; done >> \"$FAKE_RPM_LOG\"; echo >> "
    "\"$FAKE_RPM_LOG\"\n"
    "case \"$3\" in\n"
    "-qf) case \"$6\" in\n"
    "  /usr/lib64/libssl.so.10) echo 'openssl (none):1.0.1e-16.el6_5.4'; exit 0;;\n"
    "  /usr/lib64/libssl.so.1.0.1e) echo 'openssl 1:1.0.1e-37.fc19.1';\n"
    "                               echo 'openssl 1:1.0.1e-37.fc19.1'; exit 0;;\n"
    "  *) echo \"file $6 is not owned by any package\"; exit 1;;\n"
    "  esac;;\n"
    "-q) if [ \"$5\" = openssl ]; then\n"
    "      echo '* Mon Apr 07 2014 Tomas Mraz <tmraz@redhat.com> 1.0.1e-16.7'\n"
    "      echo '- fix CVE-2014-0160 - information disclosure in TLS heartbeat extension'\n"
    "    fi; exit 0;;\n"
    "esac\n"
    "exit 2\n";

struct saved_path {
    char *path;
};

static void put_fake_rpm(const struct tree *t, struct saved_path *saved)
{
    char bin[PATH_MAX], rpm[PATH_MAX], log[PATH_MAX], path[8192];
    tree_path(t, "/fakebin", bin);
    tree_path(t, "/fakebin/rpm", rpm);
    tree_path(t, "/fake-rpm.log", log);
    write_text(t, "/fakebin/rpm", fake_rpm);
    chmod(rpm, 0755);
    saved->path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    snprintf(path, sizeof(path), "%s:%s", bin, saved->path);
    setenv("PATH", path, 1);
    setenv("FAKE_RPM_LOG", log, 1);
}

static void restore_path(struct saved_path *saved)
{
    setenv("PATH", saved->path, 1);
    free(saved->path);
}

static void test_rpm_with_fake_program(void **state)
{
    struct tree *t = *state;
    char dir[PATH_MAX];
    tree_path(t, "/var/lib/rpm", dir);
    mkdirs(dir);
    struct saved_path saved;
    put_fake_rpm(t, &saved);
    struct pkgdb *db = open_tree(t);
    assert_true(pkgdb_rpm_present(db));
    assert_true(pkgdb_rpm_available());
    struct pkgdb_owner o;
    assert_success(pkgdb_lookup(db, "/usr/lib64/libssl.so.10", &o));
    if (o.kind != PKGDB_RPM)
        fail_msg("no rpm owner: %s", o.note);
    assert_string_equal(o.name, "openssl");
    assert_string_equal(o.version, "1.0.1e-16.el6_5.4"); /* "(none):" dropped */
    assert_true(o.installed);
    assert_true(o.changelog_searched);
    assert_true(o.changelog_cve);
    assert_success(pkgdb_lookup(db, "/usr/lib64/libssl.so.1.0.1e", &o));
    assert_string_equal(o.version, "1:1.0.1e-37.fc19.1"); /* first of two lines */
    assert_success(pkgdb_lookup(db, "/opt/x.so", &o));
    assert_int_equal(o.kind, PKGDB_NONE);
    assert_string_equal(o.note, "no rpm package owns it");

    /* The exact command line, argument by argument: no shell in between. */
    char log[PATH_MAX], line[1024];
    tree_path(t, "/fake-rpm.log", log);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    char want[4096];
    snprintf(want, sizeof(want),
             "[--root][%s][-qf][--queryformat][%%{NAME} %%{EPOCH}:%%{VERSION}-%%{RELEASE}\\n]"
             "[/usr/lib64/libssl.so.10]\n",
             t->root);
    assert_string_equal(line, want);
    assert_non_null(fgets(line, sizeof(line), f));
    snprintf(want, sizeof(want), "[--root][%s][-q][--changelog][openssl]\n", t->root);
    assert_string_equal(line, want);
    fclose(f);
    pkgdb_free(db);

    /* The same database without any rpm program. */
    setenv("PATH", "/nonexistent", 1);
    db = open_tree(t);
    assert_false(pkgdb_rpm_available());
    assert_success(pkgdb_lookup(db, "/usr/lib64/libssl.so.10", &o));
    assert_int_equal(o.kind, PKGDB_NONE);
    assert_string_equal(o.note, "rpm database present but rpm not installed");
    pkgdb_free(db);
    restore_path(&saved);
}

static void test_rpm_parse_owner(void **state)
{
    (void)state;
    struct pkgdb_rpm_owner o;
    const char ok[] = "openssl (none):1.0.1e-16.el6_5.7\n";
    assert_true(pkgdb_rpm_parse_owner(ok, sizeof(ok) - 1, &o));
    assert_string_equal(o.name, "openssl");
    assert_string_equal(o.version, "1.0.1e-16.el6_5.7");
    const char epoch[] = "openssl 1:1.0.1e-37.fc20.1";
    assert_true(pkgdb_rpm_parse_owner(epoch, sizeof(epoch) - 1, &o));
    assert_string_equal(o.version, "1:1.0.1e-37.fc20.1");
    const char *bad[] = {"",
                         "openssl",
                         " 1.0-1",
                         "openssl ",
                         "file /x is not owned by any package",
                         "openssl (none):",
                         "openssl 1.0"};
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++)
        if (pkgdb_rpm_parse_owner(bad[i], strlen(bad[i]), &o))
            fail_msg("accepted \"%s\"", bad[i]);
    assert_false(pkgdb_rpm_parse_owner("a\0b 1-1", 7, &o));
}

/* ---- The real machine ---- */

static bool run_line(const char *cmd, char *out, size_t size)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    bool got = fgets(out, (int)size, p) != NULL;
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return got;
}

static double ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static void test_real_dpkg(void **state)
{
    (void)state;
    const char *lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
    char owner[256], version[256];
    if (access("/var/lib/dpkg/status", R_OK) != 0 || access(lib, R_OK) != 0 ||
        !run_line("dpkg -S /usr/lib/x86_64-linux-gnu/libssl.so.3 2>/dev/null", owner,
                  sizeof(owner))) {
        printf("note: no dpkg-owned %s on this machine, real-database test skipped\n", lib);
        skip();
    }
    owner[strcspn(owner, ":")] = '\0'; /* "libssl3:amd64: /usr/lib/..." */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "dpkg-query -W -f '${Version}' %s:amd64 2>/dev/null", owner);
    assert_true(run_line(cmd, version, sizeof(version)));

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct pkgdb *db = NULL;
    assert_success(pkgdb_open("/", &db));
    double ms = ms_since(&start);
    printf("note: dpkg index of / : %zu packages, %zu paths, loaded in %.1f ms\n",
           pkgdb_package_count(db), pkgdb_path_count(db), ms);
    assert_true(ms < 2000); /* generous: sanitizers and busy machines; the target is 200 ms */

    const struct pkgdb_package *p = pkgdb_owner(db, lib);
    assert_non_null(p);
    assert_string_equal(p->name, owner);
    assert_string_equal(p->version, version);
    assert_true(p->installed);
    assert_non_null(pkgdb_owner(db, "/lib/x86_64-linux-gnu/libssl.so.3"));
    struct pkgdb_owner o;
    assert_success(pkgdb_lookup(db, lib, &o));
    assert_string_equal(o.source, "openssl");
    time_t when;
    assert_success(pkgdb_install_time(db, p, &when));
    printf("note: %s last installed or upgraded at %lld (0: not in dpkg.log*)\n", owner,
           (long long)when);
    pkgdb_free(db);
}

/* A few hundred thousand paths, as on a large server: the index must stay fast. */
static void test_large_index_speed(void **state)
{
    struct tree *t = *state;
    enum { PACKAGES = 2000, PATHS = 200 };
    size_t cap = (size_t)PACKAGES * 64 + 64;
    char *status = malloc(cap), *list = malloc((size_t)PATHS * 96);
    assert_non_null(status);
    assert_non_null(list);
    size_t len = 0;
    for (int i = 0; i < PACKAGES; i++)
        len += (size_t)snprintf(status + len, cap - len,
                                "Package: pkg%d\nStatus: install ok installed\nVersion: 1.%d\n\n",
                                i, i);
    write_file(t, "/var/lib/dpkg/status", status, len);
    for (int i = 0; i < PACKAGES; i++) {
        size_t l = 0;
        for (int j = 0; j < PATHS; j++)
            l += (size_t)sprintf(list + l, "/usr/share/pkg%d/some/longer/directory/file-%d.txt\n",
                                 i, j);
        char rel[128];
        snprintf(rel, sizeof(rel), "/var/lib/dpkg/info/pkg%d:amd64.list", i);
        write_file(t, rel, list, l);
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct pkgdb *db = open_tree(t);
    double ms = ms_since(&start);
    printf("note: synthetic dpkg index: %zu paths loaded in %.1f ms\n", pkgdb_path_count(db), ms);
    assert_int_equal(pkgdb_path_count(db), (size_t)PACKAGES * PATHS);
    assert_string_equal(
        pkgdb_owner(db, "/usr/share/pkg1234/some/longer/directory/file-77.txt")->version, "1.1234");
    pkgdb_free(db);
    free(status);
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_stanzas, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_owner_and_usr_merge, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_changelog_evidence, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_changelog_paths, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_install_time, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_no_database, tree_setup, tree_teardown),
        cmocka_unit_test(test_malformed_status),
        cmocka_unit_test_setup_teardown(test_rpm_with_fake_program, tree_setup, tree_teardown),
        cmocka_unit_test(test_rpm_parse_owner),
        cmocka_unit_test(test_real_dpkg),
        cmocka_unit_test_setup_teardown(test_large_index_speed, tree_setup, tree_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
