/* targets, private: what spec.c, space.c and source.c share and nothing else may use. */
#ifndef HC_TARGETS_INTERNAL_H
#define HC_TARGETS_INTERNAL_H

#include "targets/targets.h"

#include <stdint.h>
#include <stdio.h>

/* Formats an error into err and fails with code (snprintf truncates safely). */
#define TARGETS_FAIL(code, ...)                                                                    \
    do {                                                                                           \
        if (err_cap)                                                                               \
            snprintf(err, err_cap, __VA_ARGS__);                                                   \
        return HC_RESULT(code);                                                                    \
    } while (0)

/* The longest line a target file may hold: a specification plus spaces and a comment. */
enum { TARGETS_LINE_MAX = 1024 };

static inline int taddr_cmp(struct targets_addr a, struct targets_addr b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static inline struct targets_addr taddr_add(struct targets_addr a, uint64_t n)
{
    struct targets_addr r = {a.hi, a.lo + n};
    r.hi += r.lo < a.lo; /* carry */
    return r;
}

static inline struct targets_addr taddr_sub(struct targets_addr a, struct targets_addr b)
{
    struct targets_addr r = {a.hi - b.hi, a.lo - b.lo};
    r.hi -= a.lo < b.lo; /* borrow */
    return r;
}

/* A family's addresses as a run [first, last]; start is its first index in the space. */
struct targets_interval {
    int family;
    struct targets_addr first, last;
    uint64_t start;
};

struct targets_ports {
    struct targets_port_range {
        uint16_t first, last;
        uint32_t start; /* index of first among all ports */
    } * ranges;
    size_t len;
    uint32_t count;
};

/* A bijection on [0, n) keyed by a seed: balanced Feistel on 2^(2*half) >= n, cycle walking. */
struct targets_perm {
    uint64_t n;
    uint64_t mask;
    unsigned half;
    uint64_t keys[4];
};

struct targets_file {
    char *path;
    bool stream_only; /* standard input or a pipe: no validation pass, count unknown */
    uint64_t count;   /* after exclusions, from the validation pass */
};

struct targets {
    struct targets_interval *space, *excl;
    size_t space_len, space_cap, excl_len, excl_cap;
    struct target_spec *list; /* names and address:port */
    size_t list_len, list_cap;
    struct targets_file *files;
    size_t files_len, files_cap;
    struct targets_ports ports;
    struct targets_perm perm;
    uint64_t seed;
    unsigned shard_index; /* 0-based */
    unsigned shard_count;
    bool finished;
    bool count_known;
    uint64_t space_addrs;  /* addresses in the space */
    uint64_t space_size;   /* space_addrs x ports */
    uint64_t stream_total; /* targets in the list and the validated files, all shards */
};

/* spec.c */
enum { SPEC_ANY_SIZE = 1 }; /* exclusions: IPv6 networks of any size */
HC_MUST_CHECK hc_result targets_spec_parse_flags(const char *text, unsigned flags,
                                                 struct target_spec *out, char *err,
                                                 size_t err_cap);
HC_MUST_CHECK hc_result targets_ports_parse(const char *list, struct targets_ports *out, char *err,
                                            size_t err_cap);
uint16_t targets_ports_at(const struct targets_ports *p, uint32_t index);
bool targets_ports_has(const struct targets_ports *p, uint16_t port);

enum line_status { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_NUL, LINE_ERROR };
/* Reads one line (without its newline) into buf; the rest of a too long line is consumed. */
enum line_status targets_read_line(FILE *f, char *buf, size_t cap);
/* Strips a comment, CR and surrounding blanks in place; returns the specification, maybe "". */
char *targets_clean_line(char *line);
/* Fills a target from an address or name and a port, spec "host:port" or "[v6]:port". */
void targets_make_target(int family, struct targets_addr addr, const char *name, uint16_t port,
                         struct target *out);
struct targets_addr targets_addr_from_bytes(int family, const unsigned char *bytes);
/* Sets the target's transport; PROBE_DTLS puts "dtls://" before its spec. */
void targets_set_transport(struct target *t, enum probe_transport transport);

/* space.c */
void targets_perm_init(struct targets_perm *p, uint64_t n, uint64_t seed);
uint64_t targets_perm_at(const struct targets_perm *p, uint64_t pos);
/* The space's index-th address x port. */
void targets_space_at(const struct targets *t, uint64_t index, int *family,
                      struct targets_addr *addr, uint16_t *port);
bool targets_space_has(const struct targets *t, int family, struct targets_addr addr);
bool targets_addr_excluded(const struct targets *t, int family, struct targets_addr addr);
/* Non-excluded addresses of a specification. */
uint64_t targets_spec_kept(const struct targets *t, const struct target_spec *s);

/* source.c: the validation pass over one regular file; sets f->count. */
HC_MUST_CHECK hc_result targets_validate_file(const struct targets *t, struct targets_file *f,
                                              char *err, size_t err_cap);

#endif
