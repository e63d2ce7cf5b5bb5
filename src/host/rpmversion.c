/* rpm version comparison: rpmvercmp() of rpm 4.x (rpmio/rpmvercmp.c) and the epoch-version-release
 * order built on it. */
#include "host/pkgdb.h"

#include <string.h>

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(int c) { return is_digit(c) || is_alpha(c); }

/* Skips separators: everything that is not alphanumeric, '~' or '^'. */
static const char *skip_separators(const char *s)
{
    while (*s && !is_alnum((unsigned char)*s) && *s != '~' && *s != '^')
        s++;
    return s;
}

static const char *segment_end(const char *s, bool numeric)
{
    while (*s && (numeric ? is_digit((unsigned char)*s) : is_alpha((unsigned char)*s)))
        s++;
    return s;
}

/* Compares one segment pair; numbers by value (leading zeros ignored, longer wins). */
static int cmp_segment(const char *one, const char *end1, const char *two, const char *end2,
                       bool numeric)
{
    if (numeric) {
        while (*one == '0' && one < end1)
            one++;
        while (*two == '0' && two < end2)
            two++;
        if (end1 - one != end2 - two)
            return end1 - one > end2 - two ? 1 : -1;
    }
    size_t n1 = (size_t)(end1 - one), n2 = (size_t)(end2 - two);
    int rc = memcmp(one, two, n1 < n2 ? n1 : n2);
    if (rc)
        return rc < 0 ? -1 : 1;
    return n1 == n2 ? 0 : (n1 < n2 ? -1 : 1);
}

/* '~' sorts before everything, even the end; '^' after the end but before anything else.
 * Returns 2 when neither applies. */
static int cmp_tilde_caret(const char **one, const char **two)
{
    if (**one == '~' || **two == '~') {
        if (**one != '~')
            return 1;
        if (**two != '~')
            return -1;
        (*one)++, (*two)++;
        return 0;
    }
    if (**one == '^' || **two == '^') {
        if (!**one)
            return -1;
        if (!**two)
            return 1;
        if (**one != '^')
            return 1;
        if (**two != '^')
            return -1;
        (*one)++, (*two)++;
        return 0;
    }
    return 2;
}

int rpmversion_segment_cmp(const char *a, const char *b)
{
    const char *one = a ? a : "", *two = b ? b : "";
    if (strcmp(one, two) == 0)
        return 0;
    while (*one || *two) {
        one = skip_separators(one);
        two = skip_separators(two);
        int r = cmp_tilde_caret(&one, &two);
        if (r == 0)
            continue;
        if (r != 2)
            return r;
        if (!(*one && *two))
            break;
        bool numeric = is_digit((unsigned char)*one);
        const char *end1 = segment_end(one, numeric);
        const char *end2 = segment_end(two, numeric);
        if (end2 == two) /* different kinds: a number is newer than letters */
            return numeric ? 1 : -1;
        r = cmp_segment(one, end1, two, end2, numeric);
        if (r)
            return r;
        one = end1;
        two = end2;
    }
    if (!*one && !*two)
        return 0;
    return *one ? 1 : -1;
}

struct evr {
    unsigned long epoch;
    char version[256];
    char release[256];
    bool has_release;
};

static void parse_evr(const char *s, struct evr *v)
{
    *v = (struct evr){0};
    const char *colon = strchr(s, ':');
    if (colon) {
        for (const char *p = s; p < colon && is_digit(*p) && v->epoch < 100000000UL; p++)
            v->epoch = v->epoch * 10 + (unsigned long)(*p - '0');
        s = colon + 1;
    }
    const char *dash = strrchr(s, '-');
    size_t vlen = dash ? (size_t)(dash - s) : strlen(s);
    if (vlen >= sizeof(v->version))
        vlen = sizeof(v->version) - 1;
    memcpy(v->version, s, vlen);
    if (dash) {
        v->has_release = true;
        size_t rlen = strlen(dash + 1);
        if (rlen >= sizeof(v->release))
            rlen = sizeof(v->release) - 1;
        memcpy(v->release, dash + 1, rlen);
    }
}

int rpmversion_cmp(const char *a, const char *b)
{
    struct evr va, vb;
    parse_evr(a ? a : "", &va);
    parse_evr(b ? b : "", &vb);
    if (va.epoch != vb.epoch)
        return va.epoch > vb.epoch ? 1 : -1;
    int r = rpmversion_segment_cmp(va.version, vb.version);
    if (r || !va.has_release || !vb.has_release)
        return r;
    return rpmversion_segment_cmp(va.release, vb.release);
}
