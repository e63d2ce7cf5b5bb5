/* banner: the version banner and build string of OpenSSL, found in raw bytes. */
#include "unit.h"

#include "host/copies.h"
#include "support/heap_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs banner_find over an exact heap copy (ASan sees any read past the end). */
static struct banner find_in(const void *p, size_t n)
{
    uint8_t *copy = exact_copy(p, n);
    struct banner b;
    banner_find(copy, n, &b);
    free(copy);
    return b;
}

#define FIND_LIT(lit) find_in(lit, sizeof(lit) - 1)

static void test_real_banners(void **state)
{
    (void)state;
    static const struct {
        const char *bytes, *version, *date, *text;
    } cases[] = {
        {"\0OpenSSL 1.0.1f 6 Jan 2014\0", "1.0.1f", "6 Jan 2014", "OpenSSL 1.0.1f 6 Jan 2014"},
        {"\0OpenSSL 1.0.2-beta1 24 Feb 2014\0", "1.0.2-beta1", "24 Feb 2014",
         "OpenSSL 1.0.2-beta1 24 Feb 2014"},
        {"\0OpenSSL 3.0.19 27 Jan 2026\0", "3.0.19", "27 Jan 2026", "OpenSSL 3.0.19 27 Jan 2026"},
        {"\0OpenSSL 1.1.1w  11 Sep 2023\0", "1.1.1w", "11 Sep 2023", "OpenSSL 1.1.1w  11 Sep 2023"},
        {"\0TLSv1 part of OpenSSL 1.0.1f 6 Jan 2014\0", "1.0.1f", "6 Jan 2014",
         "OpenSSL 1.0.1f 6 Jan 2014"},
        {"\0OpenSSL 1.0.1e-fips 11 Feb 2013\0", "1.0.1e-fips", "11 Feb 2013",
         "OpenSSL 1.0.1e-fips 11 Feb 2013"},
        {"\0OpenSSL 1.0.1g-dev xx XXX xxxx\0", "1.0.1g-dev", "xx XXX xxxx",
         "OpenSSL 1.0.1g-dev xx XXX xxxx"},
        {"OpenSSL 3.0.2 15 Mar 2022 (Library: OpenSSL 3.0.2 15 Mar 2022)", "3.0.2", "15 Mar 2022",
         "OpenSSL 3.0.2 15 Mar 2022"},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        size_t n = strlen(cases[i].bytes + 1) + 2; /* the leading NUL, the text, its NUL */
        if (cases[i].bytes[0] != '\0')
            n = strlen(cases[i].bytes);
        struct banner b = find_in(cases[i].bytes, n);
        assert_true(b.found);
        assert_string_equal(b.version, cases[i].version);
        assert_string_equal(b.date, cases[i].date);
        assert_string_equal(b.text, cases[i].text);
        assert_false(b.compiler_seen);
        assert_false(b.no_heartbeats);
        /* Only libssl's "part of" string is library code by itself. */
        assert_int_equal(b.library_code, strstr(cases[i].bytes + 1, "part of") != NULL);
    }
}

/* A program quoting its headers' version text is told from a copy of the library code. */
static void test_library_code(void **state)
{
    (void)state;
    static const char quote[] = "built with OpenSSL 3.0.22 25 Aug 2026\0OpenSSL 3.0.22 25 Aug 2026";
    struct banner b = FIND_LIT(quote);
    assert_true(b.found);
    assert_false(b.library_code);
    static const char code3[] = "\0OpenSSL 3.0.19 27 Jan 2026\0OPENSSLDIR: \"/usr/lib/ssl\"";
    b = FIND_LIT(code3);
    assert_true(b.library_code);
    static const char code1[] = "built on: Mon Apr  7 2014\0OpenSSL 1.0.1f 6 Jan 2014";
    b = FIND_LIT(code1);
    assert_true(b.library_code);
    /* No banner, no verdict on the code either. */
    b = FIND_LIT("OPENSSLDIR: \"/usr/lib/ssl\"");
    assert_false(b.library_code);
}

/* Without a date it is prose or a format string, not a banner. */
static void test_prose_is_not_a_banner(void **state)
{
    (void)state;
    static const char *const prose[] = {
        "OpenSSL 1.0.1f is vulnerable to Heartbleed",
        "OpenSSL 1.0.1f",
        "OpenSSL %s %s",
        "OpenSSL 1.0.1f 6 Jan",
        "OpenSSL 1.0.1f 6 Jan 20145",
        "OpenSSL 1.0.1f 6 Foo 2014",
        "OpenSSL 1.0.1f 123 Jan 2014",
        "OpenSSL  1.0.1f 6 Jan 2014",
        "OpenSSL 1.0.1f   6 Jan 2014",
        "OpenSSL 101 6 Jan 2014",
        "OpenSSL",
        "OpenSSL ",
        "",
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(prose); i++) {
        struct banner b = find_in(prose[i], strlen(prose[i]));
        assert_false(b.found);
        assert_string_equal(b.version, "");
    }
    struct banner b;
    banner_find(NULL, 100, &b);
    assert_false(b.found);
}

/* A program's message or libssl's "part of" string loses to the library's own banner. */
static void test_prefers_real_banner(void **state)
{
    (void)state;
    static const char bytes[] = "OpenSSL 1.0.1f is vulnerable\0"
                                "built with OpenSSL 1.0.1e 11 Feb 2013\0"
                                "SSLv3 part of OpenSSL 1.0.1e 11 Feb 2013\0"
                                "OpenSSL 1.0.1f 6 Jan 2014\0"
                                "OpenSSL 1.0.1g 7 Apr 2014\0";
    struct banner b = FIND_LIT(bytes);
    assert_true(b.found);
    assert_string_equal(b.version, "1.0.1f");
    const uint8_t *real = memmem(bytes, sizeof bytes, "\0OpenSSL 1.0.1f 6", 17);
    assert_non_null(real);
    assert_int_equal(b.offset, (size_t)(real + 1 - (const uint8_t *)bytes));

    /* Only dated mentions: the first one. */
    static const char only[] = "xx OpenSSL 1.0.1f 6 Jan 2014\0yy OpenSSL 1.0.1g 7 Apr 2014";
    b = FIND_LIT(only);
    assert_true(b.found);
    assert_string_equal(b.version, "1.0.1f");
    assert_int_equal(b.offset, 3);
}

/* A banner cut at every length is found only when whole; nothing reads past the end. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    static const char text[] = "\0OpenSSL 1.0.2-beta1 24 Feb 2014";
    size_t full = sizeof text - 1;
    for (size_t n = 0; n <= full; n++) {
        struct banner b = find_in(text, n);
        assert_int_equal(b.found, n == full);
    }
}

static void test_compiler_string(void **state)
{
    (void)state;
    static const char plain[] = "\0OpenSSL 1.0.1f 6 Jan 2014\0compiler: gcc -fPIC -DOPENSSL_PIC "
                                "-DZLIB -DOPENSSL_THREADS -D_REENTRANT -O3 -Wall\0";
    struct banner b = FIND_LIT(plain);
    assert_true(b.found);
    assert_true(b.compiler_seen);
    assert_false(b.no_heartbeats);

    static const char nohb[] = "\0OpenSSL 1.0.1f 6 Jan 2014\0compiler: gcc -fPIC -DOPENSSL_PIC "
                               "-DOPENSSL_NO_HEARTBEATS -O3\0";
    b = FIND_LIT(nohb);
    assert_true(b.compiler_seen);
    assert_true(b.no_heartbeats);

    /* At the very end of the bytes, no NUL after it. */
    static const char at_end[] = "compiler: cc -O2 -DOPENSSL_NO_HEARTBEATS";
    b = FIND_LIT(at_end);
    assert_false(b.found);
    assert_true(b.no_heartbeats);
}

/* 1.0.x formats "compiler: %s" at run time: the flags are a separate string. */
static void test_compiler_flags_separate(void **state)
{
    (void)state;
    static const char bytes[] = "\0compiler: %s\0gcc -fPIC -DOPENSSL_PIC -DOPENSSL_NO_HEARTBEATS "
                                "-DL_ENDIAN -O3\0OpenSSL 1.0.1f 6 Jan 2014\0";
    struct banner b = FIND_LIT(bytes);
    assert_true(b.found);
    assert_false(b.compiler_seen);
    assert_true(b.no_heartbeats);
}

/* The flag named in prose, or as part of a longer macro, is not a build flag. */
static void test_flag_mentions_do_not_count(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "rebuild with -DOPENSSL_NO_HEARTBEATS to be safe",
        "compiler: gcc -DOPENSSL_NO_HEARTBEATS_NOT",
        "gcc -O2 -Wall -DOPENSSL_NO_HEARTBEATSX",
        "-DOPENSSL_NO_HEARTBEAT -O2 -Wall -fPIC",
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        struct banner b = find_in(cases[i], strlen(cases[i]));
        assert_false(b.no_heartbeats);
    }
    static const char cmdline[] = "\0gcc -O2 -Wall -DOPENSSL_NO_HEARTBEATS\0";
    struct banner b = FIND_LIT(cmdline);
    assert_true(b.no_heartbeats);
}

static void test_classify(void **state)
{
    (void)state;
    static const struct {
        const char *version;
        enum banner_class c;
    } cases[] = {
        {"1.0.1", BANNER_CLASS_AFFECTED},
        {"1.0.1a", BANNER_CLASS_AFFECTED},
        {"1.0.1e", BANNER_CLASS_AFFECTED},
        {"1.0.1e-fips", BANNER_CLASS_AFFECTED},
        {"1.0.1f", BANNER_CLASS_AFFECTED},
        {"1.0.1-beta1", BANNER_CLASS_AFFECTED},
        {"1.0.1-beta3", BANNER_CLASS_AFFECTED},
        {"1.0.2-beta1", BANNER_CLASS_AFFECTED},
        {"1.0.1g", BANNER_CLASS_FIXED},
        {"1.0.1u", BANNER_CLASS_FIXED},
        {"1.0.2-beta2", BANNER_CLASS_FIXED},
        {"1.0.2-beta3", BANNER_CLASS_FIXED},
        {"1.0.2", BANNER_CLASS_FIXED},
        {"1.0.2u", BANNER_CLASS_FIXED},
        {"1.0.2k-fips", BANNER_CLASS_FIXED},
        {"0.9.8", BANNER_CLASS_NOT_AFFECTED},
        {"0.9.8y", BANNER_CLASS_NOT_AFFECTED},
        {"0.9.8za", BANNER_CLASS_NOT_AFFECTED},
        {"1.0.0", BANNER_CLASS_NOT_AFFECTED},
        {"1.0.0l", BANNER_CLASS_NOT_AFFECTED},
        {"1.1.0", BANNER_CLASS_NOT_AFFECTED},
        {"1.1.1w", BANNER_CLASS_NOT_AFFECTED},
        {"3.0.19", BANNER_CLASS_NOT_AFFECTED},
        {"3.5.0", BANNER_CLASS_NOT_AFFECTED},
        {"1.0.1g-dev", BANNER_CLASS_UNKNOWN},
        {"1.0.2-dev", BANNER_CLASS_UNKNOWN},
        {"1.0.2-pre1", BANNER_CLASS_UNKNOWN},
        {"1.0.3", BANNER_CLASS_UNKNOWN},
        {"1.0.1ab", BANNER_CLASS_UNKNOWN},
        {"1.0.1F", BANNER_CLASS_UNKNOWN},
        {"1.", BANNER_CLASS_UNKNOWN},
        {"x.y", BANNER_CLASS_UNKNOWN},
        {"", BANNER_CLASS_UNKNOWN},
        {"99999.0.0", BANNER_CLASS_UNKNOWN},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        if (banner_classify(cases[i].version) != cases[i].c)
            fail_msg("%s: %s", cases[i].version,
                     banner_class_name(banner_classify(cases[i].version)));
    }
    assert_int_equal(banner_classify(NULL), BANNER_CLASS_UNKNOWN);
    assert_string_equal(banner_class_name(BANNER_CLASS_AFFECTED), "affected");
    assert_string_equal(banner_class_name(BANNER_CLASS_NOT_AFFECTED), "not_affected");
}

/* The file path: a temporary file with padding around the banner. */
static void test_find_fd(void **state)
{
    (void)state;
    char path[] = "/tmp/hc-banner-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    uint8_t buf[20000];
    memset(buf, 0xa5, sizeof buf);
    static const char text[] = "OpenSSL 1.0.1f 6 Jan 2014";
    buf[15000] = 0;
    memcpy(buf + 15001, text, sizeof text);
    assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    struct banner b;
    assert_success(banner_find_fd(fd, sizeof buf, &b));
    assert_true(b.found);
    assert_int_equal(b.offset, 15001);
    assert_success(banner_find_fd(fd, 0, &b));
    assert_false(b.found);
    close(fd);
    assert_error(banner_find_fd(-1, 100, &b), HC_ERR_IO);
}

/* A file full of "OpenSSL " is still searched in linear time. */
static void test_many_hits(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i + 8 <= n; i += 8)
        memcpy(buf + i, "OpenSSL ", 8);
    struct banner b;
    banner_find(buf, n, &b);
    assert_false(b.found);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_banners),
        cmocka_unit_test(test_library_code),
        cmocka_unit_test(test_prose_is_not_a_banner),
        cmocka_unit_test(test_prefers_real_banner),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_compiler_string),
        cmocka_unit_test(test_compiler_flags_separate),
        cmocka_unit_test(test_flag_mentions_do_not_count),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_find_fd),
        cmocka_unit_test(test_many_hits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
