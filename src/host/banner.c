/* banner: OpenSSL's version banner and build string, found in raw bytes.
 *
 * Every position is checked against the end before it is read: the bytes are whole files
 * of unknown origin (mapped libraries, arbitrary ELF files, fuzz input). */
#include "host/copies.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char banner_magic[] = "OpenSSL ";
static const char compiler_magic[] = "compiler: ";
static const char no_hb_flag[] = "-DOPENSSL_NO_HEARTBEATS";

/* A build string longer than this is not one (OpenSSL's are under 1 KB). */
enum { BUILD_STRING_MAX = 8192 };
/* An adversarial file may repeat a magic string millions of times; the banner and the
 * build string sit among the first few hits in every real library. */
enum { MAX_FLAG_HITS = 64 };

struct span {
    const uint8_t *p;
    const uint8_t *end;
};

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool is_alnum(uint8_t c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_version_char(uint8_t c) { return is_alnum(c) || c == '.' || c == '-' || c == '_'; }

/* Takes n digits exactly; false (nothing taken) otherwise. */
static bool take_digits(struct span *s, size_t min, size_t max)
{
    size_t n = 0;
    while (n < max && s->p + n < s->end && is_digit(s->p[n]))
        n++;
    if (n < min || (s->p + n < s->end && is_digit(s->p[n])))
        return false;
    s->p += n;
    return true;
}

static bool take_literal(struct span *s, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

static bool take_month(struct span *s)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (size_t i = 0; i < HC_ARRAY_LEN(months); i++)
        if (take_literal(s, months[i]))
            return true;
    return false;
}

/* "6 Jan 2014", or the "xx XXX xxxx" that development snapshots carry instead. */
static bool take_date(struct span *s)
{
    struct span t = *s;
    if (take_literal(&t, "xx XXX xxxx")) {
        *s = t;
        return true;
    }
    if (!take_digits(&t, 1, 2) || !take_literal(&t, " ") || !take_month(&t) ||
        !take_literal(&t, " ") || !take_digits(&t, 4, 4))
        return false;
    *s = t;
    return true;
}

static void copy_text(char *dst, size_t cap, const uint8_t *from, const uint8_t *to)
{
    size_t n = (size_t)(to - from);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, from, n);
    dst[n] = '\0';
}

/* Parses "OpenSSL VERSION DATE" at at (which holds banner_magic). */
static bool parse_banner_at(const uint8_t *at, const uint8_t *end, struct banner *b)
{
    struct span s = {at + strlen(banner_magic), end};
    const uint8_t *ver = s.p;
    if (s.p >= end || !is_digit(*s.p))
        return false;
    while (s.p < end && s.p - ver < BANNER_VERSION_MAX - 1 && is_version_char(*s.p))
        s.p++;
    const uint8_t *ver_end = s.p;
    if (memchr(ver, '.', (size_t)(ver_end - ver)) == NULL)
        return false;
    /* 1.1.1 banners put two spaces before a one-digit day ("1.1.1w  11 Sep 2023" too). */
    if (!take_literal(&s, " "))
        return false;
    (void)take_literal(&s, " ");
    const uint8_t *date = s.p;
    if (!take_date(&s))
        return false;
    /* "2014" must end there: not "20145", not "2014abc". */
    if (s.p < end && is_alnum(*s.p))
        return false;
    copy_text(b->version, sizeof b->version, ver, ver_end);
    copy_text(b->date, sizeof b->date, date, s.p);
    copy_text(b->text, sizeof b->text, at, s.p);
    return true;
}

/* The real banner is a string of its own (OPENSSL_VERSION_TEXT); other dated mentions
 * ("TLSv1 part of OpenSSL ...", a program's own message) are kept only when it is absent. */
static int banner_score(const uint8_t *data, const uint8_t *at)
{
    return at == data || at[-1] == '\0' ? 2 : 1;
}

static void find_version(const uint8_t *data, size_t len, struct banner *out)
{
    const uint8_t *end = data + len;
    const uint8_t *p = data;
    int best = -1;
    size_t magic_len = strlen(banner_magic);
    while ((size_t)(end - p) >= magic_len) {
        const uint8_t *hit = memmem(p, (size_t)(end - p), banner_magic, magic_len);
        if (hit == NULL)
            break;
        struct banner b = {0};
        if (parse_banner_at(hit, end, &b)) {
            int score = banner_score(data, hit);
            if (score > best) {
                best = score;
                memcpy(out->version, b.version, sizeof out->version);
                memcpy(out->date, b.date, sizeof out->date);
                memcpy(out->text, b.text, sizeof out->text);
                out->offset = (size_t)(hit - data);
                out->found = true;
            }
            if (best >= 2)
                break; /* nothing scores higher; the first such one wins */
        }
        p = hit + 1;
    }
}

/* The NUL-delimited string around [at, at+n), at most BUILD_STRING_MAX each way. */
static struct span enclosing_string(const uint8_t *data, const uint8_t *end, const uint8_t *at)
{
    struct span s = {at, at};
    while (s.p > data && at - s.p < BUILD_STRING_MAX && s.p[-1] != '\0')
        s.p--;
    while (s.end < end && s.end - at < BUILD_STRING_MAX && *s.end != '\0')
        s.end++;
    return s;
}

/* Command-line shaped: several "-X..." words. Prose that mentions the flag has one. */
static unsigned count_options(struct span s)
{
    unsigned n = 0;
    for (const uint8_t *p = s.p; p + 1 < s.end; p++)
        if ((p == s.p || p[-1] == ' ') && p[0] == '-' && is_alnum(p[1]))
            n++;
    return n;
}

static bool starts_with(struct span s, const char *lit)
{
    struct span t = s;
    return take_literal(&t, lit);
}

/* The flag as a whole word: "-DOPENSSL_NO_HEARTBEATS" but not "..._HEARTBEATS_X". */
static bool flag_word_at(const uint8_t *at, const uint8_t *end)
{
    const uint8_t *after = at + strlen(no_hb_flag);
    return after >= end || *after == ' ' || *after == '\0' || *after == '=' || *after == '"';
}

static void find_build_flags(const uint8_t *data, size_t len, struct banner *out)
{
    const uint8_t *end = data + len;
    const uint8_t *p = data;
    for (int hits = 0; hits < MAX_FLAG_HITS && p < end; hits++) {
        const uint8_t *at = memmem(p, (size_t)(end - p), compiler_magic, strlen(compiler_magic));
        if (at == NULL)
            break;
        const uint8_t *text = at + strlen(compiler_magic);
        /* 1.0.x formats "compiler: %s" at run time; the flags are then a string of their
         * own, recognised below by their shape. */
        if (text < end && text[0] != '%' && text[0] >= 0x20 && text[0] < 0x7f)
            out->compiler_seen = true;
        p = at + 1;
    }
    p = data;
    for (int hits = 0; hits < MAX_FLAG_HITS && p < end; hits++) {
        const uint8_t *at = memmem(p, (size_t)(end - p), no_hb_flag, strlen(no_hb_flag));
        if (at == NULL)
            break;
        struct span s = enclosing_string(data, end, at);
        if (flag_word_at(at, end) && (starts_with(s, compiler_magic) || count_options(s) >= 3)) {
            out->no_heartbeats = true;
            return;
        }
        p = at + 1;
    }
}

static bool contains(const uint8_t *data, size_t len, const char *lit)
{
    return memmem(data, len, lit, strlen(lit)) != NULL;
}

/* cversion.c's OPENSSL_DIR and BUILT_ON answers, and 1.0.x's per-module version strings
 * ("SHA1 part of OpenSSL 1.0.1f 6 Jan 2014"); programs quoting the headers have none. */
static bool find_library_code(const uint8_t *data, size_t len)
{
    return contains(data, len, "OPENSSLDIR: ") || contains(data, len, "built on: ") ||
           contains(data, len, " part of OpenSSL ");
}

void banner_find(const void *data, size_t len, struct banner *out)
{
    *out = (struct banner){0};
    if (data == NULL)
        return;
    find_version(data, len, out);
    find_build_flags(data, len, out);
    if (out->found)
        out->library_code = find_library_code(data, len);
}

/* ---- classification --------------------------------------------------------------------- */

struct upstream_version {
    unsigned long major, minor, fix;
    unsigned letter; /* 0 none, 1 'a' .. 26 'z', 27+ 'za'.. (0.9.8za) */
    enum { PRE_NONE, PRE_BETA, PRE_OTHER } pre;
    unsigned long pre_n; /* beta number */
};

static bool parse_number(const char **s, unsigned long *out)
{
    if (!is_digit((uint8_t) * *s))
        return false;
    char *end;
    errno = 0;
    *out = strtoul(*s, &end, 10);
    if (errno != 0 || end - *s > 4)
        return false;
    *s = end;
    return true;
}

static bool parse_letters(const char **s, unsigned *letter)
{
    const char *p = *s;
    *letter = 0;
    if (*p >= 'a' && *p <= 'z') {
        *letter = (unsigned)(*p - 'a' + 1);
        p++;
        if (*p >= 'a' && *p <= 'z') {
            if (*letter != 26)
                return false;
            *letter = 26 + (unsigned)(*p - 'a' + 1);
            p++;
        }
    }
    *s = p;
    return true;
}

/* "-beta1": a pre-release; "-fips", "-freebsd": a vendor tag, same code; "-dev",
 * "-pre3", "-alpha1": a snapshot or pre-release we do not place. */
static bool parse_suffix(const char *s, struct upstream_version *v)
{
    v->pre = PRE_NONE;
    if (*s == '\0')
        return true;
    if (*s != '-')
        return false;
    s++;
    if (strncmp(s, "beta", 4) == 0 && is_digit((uint8_t)s[4])) {
        s += 4;
        v->pre = PRE_BETA;
        return parse_number(&s, &v->pre_n) && (*s == '\0' || *s == '-');
    }
    if (strncmp(s, "dev", 3) == 0 || strncmp(s, "pre", 3) == 0 || strncmp(s, "alpha", 5) == 0)
        v->pre = PRE_OTHER;
    return true;
}

static bool parse_upstream(const char *s, struct upstream_version *v)
{
    *v = (struct upstream_version){0};
    if (!parse_number(&s, &v->major) || *s++ != '.' || !parse_number(&s, &v->minor))
        return false;
    if (*s == '.') {
        s++;
        if (!parse_number(&s, &v->fix))
            return false;
    }
    return parse_letters(&s, &v->letter) && parse_suffix(s, v);
}

/* Only the 1.0.1 and 1.0.2 lines ever had the heartbeat code with the bug. */
static enum banner_class classify_101_102(const struct upstream_version *v)
{
    if (v->pre == PRE_OTHER)
        return BANNER_CLASS_UNKNOWN;
    if (v->fix == 1) {
        if (v->pre == PRE_BETA || v->letter <= 6) /* 1.0.1-betaN, 1.0.1 .. 1.0.1f */
            return BANNER_CLASS_AFFECTED;
        return BANNER_CLASS_FIXED;
    }
    if (v->pre == PRE_BETA && v->letter == 0)
        return v->pre_n <= 1 ? BANNER_CLASS_AFFECTED : BANNER_CLASS_FIXED;
    return BANNER_CLASS_FIXED; /* 1.0.2 release and its letters */
}

enum banner_class banner_classify(const char *version)
{
    struct upstream_version v;
    if (version == NULL || !parse_upstream(version, &v))
        return BANNER_CLASS_UNKNOWN;
    if (v.major == 1 && v.minor == 0 && (v.fix == 1 || v.fix == 2))
        return classify_101_102(&v);
    if (v.major == 0 || (v.major == 1 && v.minor == 0 && v.fix == 0))
        return BANNER_CLASS_NOT_AFFECTED;
    if (v.major > 1 || (v.major == 1 && v.minor >= 1))
        return BANNER_CLASS_NOT_AFFECTED;
    return BANNER_CLASS_UNKNOWN; /* 1.0.3+ never existed */
}

const char *banner_class_name(enum banner_class c)
{
    switch (c) {
    case BANNER_CLASS_AFFECTED: return "affected";
    case BANNER_CLASS_FIXED: return "fixed";
    case BANNER_CLASS_NOT_AFFECTED: return "not_affected";
    case BANNER_CLASS_UNKNOWN: break;
    }
    return "unknown";
}

/* ---- files ------------------------------------------------------------------------------ */

hc_result banner_find_fd(int fd, uint64_t size, struct banner *out)
{
    *out = (struct banner){0};
    if (size == 0)
        return HC_SUCCESS;
    size_t n = (size_t)(size < BANNER_MAP_MAX ? size : BANNER_MAP_MAX);
    void *map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    HC_ENSURE(map != MAP_FAILED, HC_ERR_IO);
    banner_find(map, n, out);
    munmap(map, n);
    return HC_SUCCESS;
}
