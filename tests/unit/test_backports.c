/* backports: the table of distribution fixes and the decision on one package version. */
#include "unit.h"

#include "host/pkgdb.h"

#include <string.h>

struct row_case {
    enum pkgdb_kind kind;
    const char *version;
    const char *distribution; /* NULL: no row */
};

static void test_rows_match_by_marker(void **state)
{
    (void)state;
    static const struct row_case cases[] = {
        {PKGDB_DPKG, "1.0.1e-2+deb7u4", "Debian 7"},
        {PKGDB_DPKG, "1.0.1e-2+deb7u5", "Debian 7"},
        {PKGDB_DPKG, "1.0.1e-2", "Debian 7"}, /* wheezy as released */
        {PKGDB_DPKG, "1.0.1-4ubuntu5.11", "Ubuntu 12.04"},
        {PKGDB_DPKG, "1.0.1c-3ubuntu2.6", "Ubuntu 12.10"},
        {PKGDB_DPKG, "1.0.1e-3ubuntu1.1", "Ubuntu 13.10"}, /* same upstream as Debian 7 */
        {PKGDB_RPM, "1.0.1e-16.el6_5.4", "RHEL/CentOS 6"},
        {PKGDB_RPM, "1.0.1e-15.el6", "RHEL/CentOS 6"},
        {PKGDB_RPM, "1.0.1e-37.fc19", "Fedora 19"},
        {PKGDB_RPM, "1.0.1e-37.fc20", "Fedora 20"},
        {PKGDB_RPM, "1.0.1e-37.65.amzn1", "Amazon Linux"},
        {PKGDB_RPM, "1.0.1e-1.40.1", "openSUSE 12.3"},
        {PKGDB_RPM, "1.0.1e-11.4.1", "openSUSE 13.1"},
        {PKGDB_DPKG, "1.0.1e-16.el6_5.4", NULL}, /* an rpm version never meets a dpkg row */
        {PKGDB_RPM, "1.0.1e-2+deb7u4", NULL},
        /* Ubuntu appends its marker to a Debian version it takes over: Ubuntu's row. */
        {PKGDB_DPKG, "1.0.1e-2+deb7u5ubuntu1", "Ubuntu 13.10"},
        {PKGDB_DPKG, "1.0.1f-1", NULL},
        {PKGDB_DPKG, "1.0.1e-3", NULL},
        {PKGDB_RPM, "1.0.1e-2.mga3", NULL},
        {PKGDB_RPM, "1.0.1e-5.1", NULL}, /* release numbers of neither openSUSE row */
        {PKGDB_NONE, "1.0.1e-2+deb7u4", NULL},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        const struct backport_row *row = backport_match(cases[i].kind, cases[i].version);
        const char *got = row ? row->distribution : NULL;
        if ((got == NULL) != (cases[i].distribution == NULL) ||
            (got && strcmp(got, cases[i].distribution) != 0))
            fail_msg("%s: row %s, want %s", cases[i].version, got ? got : "none",
                     cases[i].distribution ? cases[i].distribution : "none");
    }
    assert_null(backport_match(PKGDB_DPKG, NULL));
}

/* Every row matches its own fixed version, and with its own comparison that is "fixed". */
static void test_every_row_matches_itself(void **state)
{
    (void)state;
    assert_int_equal(backport_row_count, 10);
    for (size_t i = 0; i < backport_row_count; i++) {
        const struct backport_row *r = &backport_rows[i];
        assert_ptr_equal(backport_match(r->kind, r->fixed), r);
        struct backport_input in = {.package = r->kind == PKGDB_DPKG ? "libssl1.0.0" : "openssl",
                                    .version = r->fixed,
                                    .kind = r->kind,
                                    .upstream = r->upstream};
        char ev[256];
        assert_int_equal(backport_decide(&in, ev, sizeof(ev)), BACKPORT_FIXED);
        assert_non_null(strstr(ev, r->distribution));
    }
}

static void test_upstream_range(void **state)
{
    (void)state;
    const char *affected[] = {"1.0.1",       "1.0.1a",      "1.0.1e",           "1.0.1f",
                              "1.0.2-beta1", "1.0.1e-fips", "1.0.1f 6 Jan 2014"};
    const char *unaffected[] = {"1.0.1g",  "1.0.1u", "1.0.2",  "1.0.2-beta2", "1.0.0", "1.0.0t",
                                "0.9.8zh", "1.1.1w", "3.0.13", "3.0",         "1.0.2k"};
    for (size_t i = 0; i < HC_ARRAY_LEN(affected); i++)
        if (!backport_upstream_affected(affected[i]))
            fail_msg("%s should be affected", affected[i]);
    for (size_t i = 0; i < HC_ARRAY_LEN(unaffected); i++) {
        if (backport_upstream_affected(unaffected[i]) || !backport_upstream_known(unaffected[i]))
            fail_msg("%s should be known and unaffected", unaffected[i]);
    }
    assert_false(backport_upstream_known("garbage"));
    assert_false(backport_upstream_known(""));
    assert_false(backport_upstream_known(NULL));
    assert_false(backport_upstream_known("1.0.1e+deb"));
    assert_false(backport_upstream_affected("1.0.2-betaX"));
}

static enum backport_verdict decide(const char *package, enum pkgdb_kind kind, const char *version,
                                    const char *upstream, bool cve, char *ev, size_t size)
{
    struct backport_input in = {.package = package,
                                .source = NULL,
                                .version = version,
                                .kind = kind,
                                .upstream = upstream,
                                .changelog_cve = cve};
    return backport_decide(&in, ev, size);
}

static void test_debian_evidence(void **state)
{
    (void)state;
    char ev[256];
    assert_int_equal(
        decide("libssl1.0.0:amd64", PKGDB_DPKG, "1.0.1e-2+deb7u4", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_NOT_FIXED);
    assert_string_equal(ev, "Debian 7 fixed in 1.0.1e-2+deb7u5; installed 1.0.1e-2+deb7u4 is "
                            "older");
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-2+deb7u10", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_FIXED);
    assert_string_equal(ev, "Debian 7 fixed in 1.0.1e-2+deb7u5; installed 1.0.1e-2+deb7u10 is "
                            "newer");
    assert_int_equal(decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-2", NULL, false, ev, sizeof(ev)),
                     BACKPORT_NOT_FIXED);
}

/* Ubuntu 13.10 shares Debian 7's upstream 1.0.1e but has its own fixed version. */
static void test_ubuntu_not_judged_by_debian(void **state)
{
    (void)state;
    char ev[256];
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-3ubuntu1.2", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_FIXED);
    assert_non_null(strstr(ev, "Ubuntu 13.10"));
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-3ubuntu1.1", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_NOT_FIXED);
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1-4ubuntu5.12", NULL, false, ev, sizeof(ev)),
        BACKPORT_FIXED);
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1c-3ubuntu2.6", NULL, false, ev, sizeof(ev)),
        BACKPORT_NOT_FIXED);
}

static void test_rpm_distributions(void **state)
{
    (void)state;
    char ev[256];
    assert_int_equal(
        decide("openssl", PKGDB_RPM, "1.0.1e-16.el6_5.4", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_NOT_FIXED);
    assert_int_equal(decide("openssl", PKGDB_RPM, "1.0.1e-30.el6", "1.0.1e", false, ev, sizeof(ev)),
                     BACKPORT_FIXED);
    assert_int_equal(
        decide("openssl", PKGDB_RPM, "1:1.0.1e-37.fc19", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_NOT_FIXED);
    assert_int_equal(
        decide("openssl", PKGDB_RPM, "1:1.0.1e-37.fc19.1", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_FIXED);
    assert_int_equal(
        decide("libopenssl1_0_0", PKGDB_RPM, "1.0.1e-11.32.1", NULL, false, ev, sizeof(ev)),
        BACKPORT_FIXED);
    assert_int_equal(
        decide("libopenssl1_0_0", PKGDB_RPM, "1.0.1e-1.40.1", NULL, false, ev, sizeof(ev)),
        BACKPORT_NOT_FIXED);
}

static void test_changelog_evidence(void **state)
{
    (void)state;
    char ev[256];
    /* No row for this distribution: the changelog decides. */
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-2+rpi9", "1.0.1e", true, ev, sizeof(ev)),
        BACKPORT_FIXED);
    assert_string_equal(ev, "changelog mentions CVE-2014-0160");
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-2+rpi9", "1.0.1e", false, ev, sizeof(ev)),
        BACKPORT_UNKNOWN);
    /* The installed package's own changelog beats the table. */
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-2+deb7u4", "1.0.1e", true, ev, sizeof(ev)),
        BACKPORT_FIXED);
    assert_non_null(strstr(ev, "changelog mentions CVE-2014-0160"));
    assert_non_null(strstr(ev, "older"));
}

static void test_not_needed_and_other_packages(void **state)
{
    (void)state;
    char ev[256];
    assert_int_equal(
        decide("libssl3", PKGDB_DPKG, "3.0.19-1~deb12u2", "3.0.19", false, ev, sizeof(ev)),
        BACKPORT_NOT_NEEDED);
    assert_non_null(strstr(ev, "3.0.19"));
    assert_int_equal(decide("libssl1.0.0", PKGDB_DPKG, "1.0.1g-1", NULL, false, ev, sizeof(ev)),
                     BACKPORT_NOT_NEEDED);
    /* A program bundling OpenSSL: its own version says nothing. */
    assert_int_equal(
        decide("nodejs", PKGDB_DPKG, "1.0.1e-2+deb7u4", "1.0.1f", false, ev, sizeof(ev)),
        BACKPORT_UNKNOWN);
    struct backport_input in = {
        .package = "libssl1.0.0", .source = "openssl", .version = "", .kind = PKGDB_DPKG};
    assert_int_equal(backport_decide(&in, ev, sizeof(ev)), BACKPORT_UNKNOWN);
    assert_int_equal(backport_decide(&in, NULL, 0), BACKPORT_UNKNOWN);
    char tiny[8];
    assert_int_equal(
        decide("libssl1.0.0", PKGDB_DPKG, "1.0.1e-2+deb7u4", NULL, false, tiny, sizeof(tiny)),
        BACKPORT_NOT_FIXED);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(backport_verdict_name(BACKPORT_FIXED), "fixed_by_backport");
    assert_string_equal(backport_verdict_name(BACKPORT_NOT_FIXED), "not_fixed");
    assert_string_equal(backport_verdict_name(BACKPORT_UNKNOWN), "unknown");
    assert_string_equal(backport_verdict_name(BACKPORT_NOT_NEEDED), "not_needed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_match_by_marker),
        cmocka_unit_test(test_every_row_matches_itself),
        cmocka_unit_test(test_upstream_range),
        cmocka_unit_test(test_debian_evidence),
        cmocka_unit_test(test_ubuntu_not_judged_by_debian),
        cmocka_unit_test(test_rpm_distributions),
        cmocka_unit_test(test_changelog_evidence),
        cmocka_unit_test(test_not_needed_and_other_packages),
        cmocka_unit_test(test_verdict_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
