#include "host/pkgdb.h"

#include "host/certs.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* ---- one line ---- */

/* The next space-separated word of [*p, end) into out; false when none or too long. */
static bool word(const char **p, const char *end, char *out, size_t cap)
{
    while (*p < end && **p == ' ')
        (*p)++;
    const char *start = *p;
    while (*p < end && **p != ' ' && **p != '\n' && **p != '\r' && **p != '\0')
        (*p)++;
    size_t n = (size_t)(*p - start);
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, start, n);
    out[n] = '\0';
    return true;
}

/* "YYYY-MM-DD HH:MM:SS" in local time. */
static bool parse_time(const char *date, const char *clock, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char both[40];
    snprintf(both, sizeof both, "%s %s", date, clock);
    const char *end = strptime(both, "%Y-%m-%d %H:%M:%S", &tm);
    if (!end || *end)
        return false;
    tm.tm_isdst = -1;
    *out = mktime(&tm);
    return *out != (time_t)-1;
}

static void strip_arch(char *package)
{
    char *colon = strchr(package, ':');
    if (colon)
        *colon = '\0';
}

bool dpkglog_parse_line(const char *line, size_t len, struct dpkglog_event *out)
{
    const char *p = line, *end = line + len;
    char date[16], clock[16], action[16], status[16];
    struct dpkglog_event e;
    memset(&e, 0, sizeof e);
    if (!word(&p, end, date, sizeof date) || !word(&p, end, clock, sizeof clock) ||
        !parse_time(date, clock, &e.when) || !word(&p, end, action, sizeof action))
        return false;
    if (strcmp(action, "status") == 0) {
        if (!word(&p, end, status, sizeof status) || strcmp(status, "installed") != 0)
            return false;
        e.kind = DPKGLOG_STATUS_INSTALLED;
    } else if (strcmp(action, "upgrade") == 0 || strcmp(action, "install") == 0) {
        e.kind = action[0] == 'u' ? DPKGLOG_UPGRADE : DPKGLOG_INSTALL;
    } else {
        return false;
    }
    if (!word(&p, end, e.package, sizeof e.package))
        return false;
    if (e.kind != DPKGLOG_STATUS_INSTALLED &&
        (!word(&p, end, e.old_version, sizeof e.old_version) ||
         strcmp(e.old_version, "<none>") == 0))
        e.old_version[0] = '\0';
    if (!word(&p, end, e.version, sizeof e.version) || strcmp(e.version, "<none>") == 0)
        return false;
    strip_arch(e.package);
    *out = e;
    return true;
}

/* ---- the history of one package ---- */

static hc_result add_event(struct dpkglog_history *h, const struct dpkglog_event *e)
{
    if (h->count == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        struct dpkglog_event *grown = realloc(h->events, cap * sizeof *grown);
        HC_ENSURE(grown, HC_ERR_NOMEM);
        h->events = grown;
        h->cap = cap;
    }
    h->events[h->count++] = *e;
    return HC_SUCCESS;
}

hc_result dpkglog_add_text(struct dpkglog_history *h, const char *package, const char *text,
                           size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct dpkglog_event e;
        if (dpkglog_parse_line(p, n, &e) && strcmp(e.package, package) == 0)
            HC_TRY(add_event(h, &e));
        p += n + (nl != NULL);
    }
    return HC_SUCCESS;
}

/* A log, plain or gzip (gzread passes plain files through), a line at a time. */
static hc_result read_log(struct dpkglog_history *h, const char *package, const char *path)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return HC_SUCCESS;
    char line[1024];
    hc_result r = HC_SUCCESS;
    while (hc_ok(r) && gzgets(gz, line, sizeof line))
        r = dpkglog_add_text(h, package, line, strlen(line));
    gzclose(gz);
    return r;
}

hc_result dpkglog_read(const char *root, const char *package, struct dpkglog_history *h)
{
    char dir_path[PATH_MAX], path[PATH_MAX];
    if (!host_root_join(root, "/var/log", dir_path, sizeof dir_path))
        return HC_SUCCESS;
    DIR *dir = opendir(dir_path);
    if (!dir)
        return HC_SUCCESS; /* no logs: the fix time stays unknown */
    hc_result r = HC_SUCCESS;
    struct dirent *de;
    while (hc_ok(r) && (de = readdir(dir)))
        if (strncmp(de->d_name, "dpkg.log", 8) == 0 &&
            snprintf(path, sizeof path, "%s/%s", dir_path, de->d_name) < (int)sizeof path)
            r = read_log(h, package, path);
    closedir(dir);
    return r;
}

void dpkglog_history_free(struct dpkglog_history *h)
{
    free(h->events);
    memset(h, 0, sizeof *h);
}

/* ---- the fix ---- */

/* Insertion sort: stable, and a package's history is a few dozen lines. */
static void sort_by_time(struct dpkglog_history *h)
{
    for (size_t i = 1; i < h->count; i++) {
        struct dpkglog_event e = h->events[i];
        size_t k = i;
        for (; k > 0 && h->events[k - 1].when > e.when; k--)
            h->events[k] = h->events[k - 1];
        h->events[k] = e;
    }
}

static void vulnerable_at(struct dpkglog_fix *f, time_t when)
{
    f->vulnerable_seen = true;
    f->vulnerable_until = when;
    f->fixed_at = 0; /* a downgrade undoes an earlier fix */
    f->fixed_version[0] = '\0';
}

void dpkglog_find_fix(struct dpkglog_history *h,
                      enum dpkglog_state (*judge)(const char *version, void *ctx), void *ctx,
                      struct dpkglog_fix *out)
{
    memset(out, 0, sizeof *out);
    sort_by_time(h);
    for (size_t i = 0; i < h->count; i++) {
        const struct dpkglog_event *e = &h->events[i];
        /* "upgrade OLD NEW": OLD was installed until this moment, even when the logs that saw
         * it installed have rotated away. */
        if (e->old_version[0] && judge(e->old_version, ctx) == DPKGLOG_VERSION_VULNERABLE)
            vulnerable_at(out, e->when);
        enum dpkglog_state s = judge(e->version, ctx);
        if (s == DPKGLOG_VERSION_VULNERABLE)
            vulnerable_at(out, e->when);
        else if (s == DPKGLOG_VERSION_FIXED && out->vulnerable_seen && !out->fixed_at) {
            out->fixed_at = e->when;
            snprintf(out->fixed_version, sizeof out->fixed_version, "%s", e->version);
        }
    }
}
