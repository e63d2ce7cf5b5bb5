/* The distribution back-ports of the Heartbleed fix (DESIGN.md, host facts) as data, and the
 * decision whether an installed package version carries one. */
#include "host/pkgdb.h"

#include <stdio.h>
#include <string.h>

/* Each release kept OpenSSL's upstream version and fixed it in the package revision. The
 * marker is what that release puts in its revisions; openSUSE puts none, so its two releases
 * are told apart by the release numbers their builds had at the time (1.x for 12.3, 11.x for
 * 13.1). Debian 7's first version "1.0.1e-2" predates its security updates and their marker. */
const struct backport_row backport_rows[] = {
    {"Debian 7", PKGDB_DPKG, "1.0.1e", "+deb7", NULL, "1.0.1e-2", "1.0.1e-2+deb7u5"},
    {"Ubuntu 12.04", PKGDB_DPKG, "1.0.1", "ubuntu", NULL, NULL, "1.0.1-4ubuntu5.12"},
    {"Ubuntu 12.10", PKGDB_DPKG, "1.0.1c", "ubuntu", NULL, NULL, "1.0.1c-3ubuntu2.7"},
    {"Ubuntu 13.10", PKGDB_DPKG, "1.0.1e", "ubuntu", NULL, NULL, "1.0.1e-3ubuntu1.2"},
    {"RHEL/CentOS 6", PKGDB_RPM, "1.0.1e", ".el6", NULL, NULL, "1.0.1e-16.el6_5.7"},
    {"Fedora 19", PKGDB_RPM, "1.0.1e", ".fc19", NULL, NULL, "1.0.1e-37.fc19.1"},
    {"Fedora 20", PKGDB_RPM, "1.0.1e", ".fc20", NULL, NULL, "1.0.1e-37.fc20.1"},
    {"Amazon Linux", PKGDB_RPM, "1.0.1e", ".amzn1", NULL, NULL, "1.0.1e-37.66.amzn1"},
    {"openSUSE 12.3", PKGDB_RPM, "1.0.1e", "", "1.", NULL, "1.0.1e-1.44.1"},
    {"openSUSE 13.1", PKGDB_RPM, "1.0.1e", "", "11.", NULL, "1.0.1e-11.32.1"},
};
const size_t backport_row_count = HC_ARRAY_LEN(backport_rows);

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* Splits a package version into upstream and revision/release: epoch dropped, the revision
 * after the last '-' (Debian and rpm agree on this). */
static void split_version(const char *version, char *upstream, size_t usize, const char **rev)
{
    const char *colon = strchr(version, ':');
    const char *s = colon ? colon + 1 : version;
    const char *dash = strrchr(s, '-');
    size_t n = dash ? (size_t)(dash - s) : strlen(s);
    if (n >= usize)
        n = usize - 1;
    memcpy(upstream, s, n);
    upstream[n] = '\0';
    *rev = dash ? dash + 1 : "";
}

/* openSUSE's releases are only numbers and dots: any letter is another distribution's tag. */
static bool only_digits_and_dots(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!is_digit((unsigned char)*s) && *s != '.')
            return false;
    return true;
}

static bool row_matches(const struct backport_row *row, const char *version, const char *upstream,
                        const char *rev)
{
    if (strcmp(upstream, row->upstream) != 0)
        return false;
    if (row->initial && strcmp(version, row->initial) == 0)
        return true;
    if (row->marker[0] == '\0') {
        if (!only_digits_and_dots(rev))
            return false;
    } else if (!strstr(rev, row->marker)) {
        return false;
    }
    /* "+deb7" must not claim a derivative's "+deb7u1ubuntu1"-like revision. */
    if (row->kind == PKGDB_DPKG && strcmp(row->marker, "ubuntu") != 0 && strstr(rev, "ubuntu"))
        return false;
    return !row->release_prefix ||
           strncmp(rev, row->release_prefix, strlen(row->release_prefix)) == 0;
}

const struct backport_row *backport_match(enum pkgdb_kind kind, const char *version)
{
    if (!version || kind == PKGDB_NONE)
        return NULL;
    char upstream[128];
    const char *rev;
    split_version(version, upstream, sizeof(upstream), &rev);
    for (size_t i = 0; i < backport_row_count; i++)
        if (backport_rows[i].kind == kind && row_matches(&backport_rows[i], version, upstream, rev))
            return &backport_rows[i];
    return NULL;
}

struct openssl_version {
    unsigned major, minor, fix;
    char letter;    /* 0 when none; the first of "zh" */
    size_t letters; /* 0.9.8 went on to "zh" */
    bool beta;      /* "-betaN" */
    unsigned beta_n;
};

static bool parse_number(const char **s, unsigned *out)
{
    if (!is_digit((unsigned char)**s))
        return false;
    unsigned v = 0;
    while (is_digit((unsigned char)**s) && v < 100000)
        v = v * 10 + (unsigned)(*(*s)++ - '0');
    *out = v;
    return !is_digit((unsigned char)**s);
}

/* "1.0.1f", "1.0.2-beta1", "3.0.13", "1.1.1w": OpenSSL's own version syntax. Anything may
 * follow a space or '-' other than "-beta" ("1.0.1e-fips"). */
static bool parse_openssl_version(const char *s, struct openssl_version *v)
{
    *v = (struct openssl_version){0};
    if (!s || !parse_number(&s, &v->major) || *s++ != '.' || !parse_number(&s, &v->minor))
        return false;
    if (*s == '.' && (s++, !parse_number(&s, &v->fix)))
        return false;
    if (*s >= 'a' && *s <= 'z')
        v->letter = *s;
    while (*s >= 'a' && *s <= 'z')
        s++, v->letters++;
    if (strncmp(s, "-beta", 5) == 0) {
        s += 5;
        v->beta = true;
        if (!parse_number(&s, &v->beta_n))
            return false;
    }
    return *s == '\0' || *s == ' ' || *s == '-';
}

bool backport_upstream_known(const char *upstream)
{
    struct openssl_version v;
    return parse_openssl_version(upstream, &v);
}

bool backport_upstream_affected(const char *upstream)
{
    struct openssl_version v;
    if (!parse_openssl_version(upstream, &v) || v.major != 1 || v.minor != 0)
        return false;
    if (v.fix == 1)
        return !v.beta && v.letters <= 1 && (v.letter == 0 || v.letter <= 'f');
    return v.fix == 2 && v.beta && v.beta_n == 1 && v.letter == 0;
}

static bool prefixed(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The table speaks about OpenSSL's own packages; a package that bundles a copy has versions of
 * its own. */
static bool is_openssl_package(const struct backport_input *in)
{
    if (in->source && strcmp(in->source, "openssl") == 0)
        return true;
    return prefixed(in->package, "openssl") || prefixed(in->package, "libssl") ||
           prefixed(in->package, "libcrypto") || prefixed(in->package, "libopenssl");
}

static enum backport_verdict by_row(const struct backport_input *in, const struct backport_row *row,
                                    char *ev, size_t size)
{
    /* Advisories name versions without the epoch (Fedora's openssl has epoch 1): compare
     * without it unless the row gives one. */
    const char *colon = strchr(in->version, ':');
    const char *v = colon && !strchr(row->fixed, ':') ? colon + 1 : in->version;
    int c = row->kind == PKGDB_DPKG ? debversion_cmp(v, row->fixed) : rpmversion_cmp(v, row->fixed);
    if (c >= 0) {
        snprintf(ev, size, "%s fixed in %s; installed %s %s%s", row->distribution, row->fixed,
                 in->version, c == 0 ? "is that version" : "is newer",
                 in->changelog_cve ? "; changelog mentions CVE-2014-0160" : "");
        return BACKPORT_FIXED;
    }
    if (in->changelog_cve) {
        snprintf(ev, size,
                 "changelog mentions CVE-2014-0160 (although %s fixed in %s and installed %s is "
                 "older)",
                 row->distribution, row->fixed, in->version);
        return BACKPORT_FIXED;
    }
    snprintf(ev, size, "%s fixed in %s; installed %s is older", row->distribution, row->fixed,
             in->version);
    return BACKPORT_NOT_FIXED;
}

/* The upstream version the decision is about: the banner's when known, else the package's. */
static const char *effective_upstream(const struct backport_input *in, char *buf, size_t size)
{
    if (in->upstream && backport_upstream_known(in->upstream))
        return in->upstream;
    if (!in->version || !is_openssl_package(in))
        return NULL;
    const char *rev;
    split_version(in->version, buf, size, &rev);
    return backport_upstream_known(buf) ? buf : NULL;
}

enum backport_verdict backport_decide(const struct backport_input *in, char *evidence, size_t size)
{
    char scratch[256], upbuf[128];
    char *ev = size ? evidence : scratch;
    size_t evsize = size ? size : sizeof(scratch);
    ev[0] = '\0';
    const char *upstream = effective_upstream(in, upbuf, sizeof(upbuf));
    if (upstream && !backport_upstream_affected(upstream)) {
        snprintf(ev, evsize, "upstream OpenSSL %s is not affected (1.0.1-1.0.1f, 1.0.2-beta1 are)",
                 upstream);
        return BACKPORT_NOT_NEEDED;
    }
    if (in->version && in->version[0] && is_openssl_package(in)) {
        const struct backport_row *row = backport_match(in->kind, in->version);
        if (row)
            return by_row(in, row, ev, evsize);
    }
    if (in->changelog_cve) {
        snprintf(ev, evsize, "changelog mentions CVE-2014-0160");
        return BACKPORT_FIXED;
    }
    snprintf(ev, evsize, "no back-port known for %s %s and no changelog mention of CVE-2014-0160",
             in->package ? in->package : "(no package)", in->version ? in->version : "");
    return BACKPORT_UNKNOWN;
}

const char *backport_verdict_name(enum backport_verdict v)
{
    switch (v) {
    case BACKPORT_UNKNOWN: return "unknown";
    case BACKPORT_FIXED: return "fixed_by_backport";
    case BACKPORT_NOT_FIXED: return "not_fixed";
    case BACKPORT_NOT_NEEDED: return "not_needed";
    }
    return "unknown";
}
