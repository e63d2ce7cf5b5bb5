/* report: findings -> text for people or JSON Lines for programs (schema: docs/json.md).
 * One descriptor per output format; the drivers never format by hand. Leaked bytes are
 * never part of any output here. */
#ifndef HC_REPORT_H
#define HC_REPORT_H

#include "probe/probe.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct finding {
    const char *target; /* as the user wrote it */
    const char *host;
    const char *ip;
    uint16_t port;
    const char *sni; /* NULL when none was sent */
    enum probe_transport transport;
    uint32_t elapsed_ms;
    const struct probe_result *result;
};

struct report_options {
    bool verbose;
    bool color;
};

enum { REPORT_VERDICTS = PROBE_INCONCLUSIVE + 1 };

struct report_summary {
    unsigned counts[REPORT_VERDICTS];
    unsigned total;
    double elapsed_s;
    double rate;      /* targets per second, shown when there are several */
    uint64_t resumed; /* skipped: already in the --resume file */
    bool interrupted;
};

struct report_format {
    const char *name;
    void (*finding)(FILE *out, const struct finding *f, const struct report_options *o);
    void (*summary)(FILE *out, const struct report_summary *s, const struct report_options *o);
};

extern const struct report_format report_text;
extern const struct report_format report_json;

void report_summary_add(struct report_summary *s, enum probe_verdict v);

/* Length of the valid UTF-8 sequence that starts at p: 1 to 4, or 0 when it is invalid (a
 * NUL ends any sequence). Overlong forms and surrogates are not told apart. */
size_t report_utf8_sequence(const unsigned char *p);

/* Prints text that a server or a file chose (certificate names, banners, paths) without
 * letting it drive the terminal: C0/C1 controls and invalid UTF-8 become '?'. */
void report_print_clean(FILE *out, const char *s);

/* A JSON string for text that may come from a server or a file: never NULL (jansson refuses
 * invalid UTF-8, and a NULL value would silently drop its key); broken bytes become '?'. */
json_t *report_json_text(const char *s);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void report_hex(const uint8_t *p, size_t n, char *out);

/* ---- `heartcheck clients` (clients.c): one finding per client connection ---- */

struct client_finding {
    const char *ip;     /* the client's address */
    uint16_t port;      /* its source port */
    const char *listen; /* our ADDR:PORT */
    uint32_t elapsed_ms;
    const char *exec; /* the --exec command that made the connection; NULL: none */
    bool exec_exited; /* the command ended (exec_status is set) */
    int exec_status;  /* its exit status, or 128 + signal */
    const struct lure_result *result;
};

struct client_report_format {
    void (*finding)(FILE *out, const struct client_finding *f, const struct report_options *o);
};

extern const struct client_report_format report_clients_text;
extern const struct client_report_format report_clients_json;

/* ---- dump.c: --dump, the only place leaked memory is ever written ---- */

/* Creates (or truncates) path with mode 0600, refusing a symlink; -1, with the reason on
 * stderr, when it cannot. */
int report_dump_open(const char *path);
/* Appends "# heartcheck leak HEADER\n", the len leaked bytes, then "\n": one entry per peer,
 * readable with tail -c and hexdump. Nothing when fd < 0 or there is nothing. */
void report_dump_leak(int fd, const char *header, const uint8_t *leak, size_t len);

#endif
