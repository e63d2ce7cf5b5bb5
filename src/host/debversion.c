/* Debian version comparison, the algorithm of dpkg's lib/dpkg/version.c (dpkg_version_compare,
 * verrevcmp), on spans of the original string so nothing is copied. */
#include "host/pkgdb.h"

#include <string.h>

struct span {
    const char *p;
    const char *end;
};

struct debversion {
    unsigned long epoch;
    struct span upstream;
    struct span revision;
};

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* dpkg's order(): digits and the end weigh 0, '~' sorts first, letters before the other
 * characters (hence the +256). */
static int char_order(int c)
{
    if (is_digit(c))
        return 0;
    if (is_alpha(c))
        return c;
    if (c == '~')
        return -1;
    if (c)
        return c + 256;
    return 0;
}

static int at(const struct span *s) { return s->p < s->end ? (unsigned char)*s->p : 0; }

/* Compares the leading non-digit parts of A and B; advances both. */
static int cmp_nondigits(struct span *a, struct span *b)
{
    while ((at(a) && !is_digit(at(a))) || (at(b) && !is_digit(at(b)))) {
        int ac = char_order(at(a));
        int bc = char_order(at(b));
        if (ac != bc)
            return ac - bc;
        a->p++;
        b->p++;
    }
    return 0;
}

/* Compares the leading digit runs of A and B as numbers of any length; advances both. */
static int cmp_digits(struct span *a, struct span *b)
{
    int first_diff = 0;
    while (at(a) == '0')
        a->p++;
    while (at(b) == '0')
        b->p++;
    while (is_digit(at(a)) && is_digit(at(b))) {
        if (!first_diff)
            first_diff = at(a) - at(b);
        a->p++;
        b->p++;
    }
    if (is_digit(at(a)))
        return 1;
    if (is_digit(at(b)))
        return -1;
    return first_diff;
}

static int verrevcmp(struct span a, struct span b)
{
    while (at(&a) || at(&b)) {
        int r = cmp_nondigits(&a, &b);
        if (r)
            return r;
        r = cmp_digits(&a, &b);
        if (r)
            return r;
    }
    return 0;
}

/* dpkg's parseversion: the epoch ends at the first ':', the revision starts after the last
 * '-'. A missing revision is "" (which equals "0"). */
static struct debversion parse(const char *s)
{
    struct debversion v = {0};
    const char *end = s + strlen(s);
    const char *colon = strchr(s, ':');
    if (colon) {
        unsigned long e = 0;
        for (const char *p = s; p < colon && is_digit(*p) && e < 100000000UL; p++)
            e = e * 10 + (unsigned long)(*p - '0');
        v.epoch = e;
        s = colon + 1;
    }
    const char *dash = memrchr(s, '-', (size_t)(end - s));
    v.upstream = (struct span){s, dash ? dash : end};
    v.revision = (struct span){dash ? dash + 1 : end, end};
    return v;
}

int debversion_cmp(const char *a, const char *b)
{
    struct debversion va = parse(a ? a : "");
    struct debversion vb = parse(b ? b : "");
    if (va.epoch != vb.epoch)
        return va.epoch > vb.epoch ? 1 : -1;
    int r = verrevcmp(va.upstream, vb.upstream);
    if (r)
        return r;
    return verrevcmp(va.revision, vb.revision);
}
