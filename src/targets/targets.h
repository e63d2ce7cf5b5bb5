/* targets: the target space of a mass scan, in constant memory.
 *
 * Specifications follow zmap/masscan/nmap conventions (targets_spec_parse):
 *   example.com  example.com:8443  1.2.3.4  1.2.3.4:8443  2001:db8::1  [2001:db8::1]:8443
 *   10.0.0.0/8   2001:db8::/120       networks; host bits are ignored (10.0.0.5/8 = 10.0.0.0/8)
 *   10.0.0.1-10.0.3.255  2001:db8::1-2001:db8::ff   inclusive ranges
 *   10.0.0.1-20          IPv4 only: the number after '-' replaces the last octet (nmap's
 *                        short form; a bare number cannot be mistaken for an address there)
 * An IPv6 network or range may hold at most 2^32 addresses (a /96 or longer): a larger one is
 * refused rather than scanned for centuries. Networks and ranges cannot carry a port.
 * Addresses without their own port get every port of the -p list (default 443).
 *
 * Targets are yielded in three parts, in this order:
 *   1. the space: every address given as an address, network or range on the command line,
 *      overlaps merged and exclusions removed, times every -p port. It is visited in a
 *      pseudo-random order fixed by the seed (a 4-round Feistel network with cycle walking:
 *      a few dozen bytes of state, nothing proportional to the space is ever built);
 *   2. the list: host names and address:port targets from the command line, each once,
 *      sorted (names first); an address:port already in the space is not repeated;
 *   3. the streams: -iL files and standard input, read one line at a time as the iterator
 *      advances, in file order (no shuffling, no de-duplication: that would need memory).
 * --shard I/N: shard I takes the space positions p with p % N == I-1 and, in parts 2 and 3,
 * the targets whose running number k (counted after exclusions) has k % N == I-1. With the
 * same seed and inputs the N shards are disjoint and together yield every target once.
 *
 * Every yielded target has family, host (an address literal or a name) and port set, and
 * spec set to the canonical "host:port" ("[v6]:port"): a network yields many targets, and a
 * report or a resume file needs one name per target.
 * Any specification may start with "dtls://" (UDP, DTLS): its targets keep the scheme in spec
 * and carry PROBE_DTLS. Such networks and ranges join the list (part 2) and are visited in
 * address order; exclusions ignore the scheme. Errors are HC_ERR_USAGE for a bad
 * specification (the message names it, and FILE:LINE for a file) and HC_ERR_IO for a file
 * that cannot be read; err receives the message (TARGETS_ERR_MAX is always enough). */
#ifndef HC_TARGETS_H
#define HC_TARGETS_H

#include "base/base.h"
#include "engine/engine.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sockaddr;

enum { TARGETS_ERR_MAX = 768 };

/* An IPv4 or IPv6 address as a 128-bit number (IPv4 in the low 32 bits of lo), so that
 * ranges are plain arithmetic and compare in address order. */
struct targets_addr {
    uint64_t hi, lo;
};

/* One parsed specification. */
struct target_spec {
    int family;                      /* AF_INET or AF_INET6; 0 for a host name */
    struct targets_addr first, last; /* inclusive; first == last for one address */
    uint64_t count;                  /* addresses from first to last; 1 for a name */
    uint16_t port;                   /* the specification's own port; 0: the -p ports apply */
    char host[TARGET_HOST_MAX];      /* the host name when family is 0, else "" */
    enum probe_transport transport;  /* PROBE_DTLS after "dtls://": its targets carry it */
};

/* Parses one specification (forms above). Pure: no I/O, no name resolution. */
HC_MUST_CHECK hc_result targets_spec_parse(const char *text, struct target_spec *out, char *err,
                                           size_t err_cap);

/* Parses "--shard I/N" (1 <= I <= N <= 2^32-1) into a 1-based index and a count. */
HC_MUST_CHECK hc_result targets_shard_parse(const char *text, unsigned *index, unsigned *count,
                                            char *err, size_t err_cap);

/* The whole target configuration of one scan. Build it with the calls below in any order
 * (the command line is not ordered), then targets_finish, then read it. */
struct targets;

/* A new, empty configuration: ports 443, seed 0, shard 1/1. NULL when out of memory. */
struct targets *targets_new(void);
void targets_free(struct targets *t);

/* -p: "443,8443,9000-9010". Duplicates and overlaps are merged; the last call wins. */
HC_MUST_CHECK hc_result targets_set_ports(struct targets *t, const char *list, char *err,
                                          size_t err_cap);

/* --seed: the permutation of the space. Shards of one scan must share it. */
void targets_set_seed(struct targets *t, uint64_t seed);

/* --shard I/N with index 1-based; fails unless 1 <= index <= count. */
HC_MUST_CHECK hc_result targets_set_shard(struct targets *t, unsigned index, unsigned count,
                                          char *err, size_t err_cap);

/* A target specification from the command line; "-" means standard input (as -iL -). */
HC_MUST_CHECK hc_result targets_add(struct targets *t, const char *spec, char *err, size_t err_cap);

/* -iL FILE, or "-" for standard input: one specification per line, '#' starts a comment,
 * blank lines and CR (CRLF files) are ignored; zmap's default output (one IPv4 address per
 * line) is accepted as is. A regular file is validated and counted once by targets_finish
 * and streamed again by the iterator. Standard input and pipes cannot be read twice: they
 * are validated as they are streamed, so a bad line there is reported by
 * target_source_next, after the targets before it were yielded (the caller stops). */
HC_MUST_CHECK hc_result targets_add_file(struct targets *t, const char *path, char *err,
                                         size_t err_cap);

/* --exclude: an address, network or range (IPv6 of any size). Never yielded; names are
 * checked by the engine after resolution with targets_excluded. */
HC_MUST_CHECK hc_result targets_exclude(struct targets *t, const char *spec, char *err,
                                        size_t err_cap);

/* --exclude-file: the same, one per line (comments and blank lines as for -iL). Read whole:
 * exclusion lists are small. */
HC_MUST_CHECK hc_result targets_exclude_file(struct targets *t, const char *path, char *err,
                                             size_t err_cap);

/* Merges the space, removes the exclusions, de-duplicates the list and runs the validation
 * pass over every regular -iL file: the first bad line fails with "FILE:LINE: why", before
 * any target is yielded. Fails with HC_ERR_USAGE when there is no target at all or the space
 * exceeds 2^62 targets. Nothing can be added afterwards. */
HC_MUST_CHECK hc_result targets_finish(struct targets *t, char *err, size_t err_cap);

/* How many targets this shard will yield (for progress and ETA); false when unknown because
 * standard input or a pipe is read (then *count is what the other sources hold). Called
 * after targets_finish. */
bool targets_count(const struct targets *t, uint64_t *count);

/* The number of addresses x ports in the permuted space (all shards together). */
uint64_t targets_space_size(const struct targets *t);

/* True when the address (AF_INET, AF_INET6, or IPv4-mapped IPv6) is excluded; the engine
 * asks this for every resolved name before probing it. */
bool targets_excluded(const struct targets *t, const struct sockaddr *addr);

/* The iterator over this shard's targets: about 2 kB (a line buffer and an error message;
 * the space cursor itself is one integer) plus one open file. It reads the targets
 * configuration, which must outlive it. */
struct target_source;

HC_MUST_CHECK hc_result target_source_open(const struct targets *t, struct target_source **out,
                                           char *err, size_t err_cap);
void target_source_close(struct target_source *s);

/* The next target: *got is false at the end. A bad line in a stream fails with
 * HC_ERR_USAGE ("FILE:LINE: why", "stdin:LINE: why"), a read error with HC_ERR_IO. */
HC_MUST_CHECK hc_result target_source_next(struct target_source *s, struct target *out, bool *got,
                                           char *err, size_t err_cap);

/* engine_source_fn over a target_source (ctx): false at the end and at the first error,
 * which target_source_error then gives (HC_OK after a clean end). */
bool target_source_engine_fn(void *ctx, struct target *out);
hc_result target_source_error(const struct target_source *s, const char **message);

/* The size of the iterator's state: constant, whatever the size of the space. */
size_t target_source_state_size(void);

/* --dry-run: writes what this shard would probe, one "host:port" per line ("[v6]:port"),
 * in scan order; *printed counts them (may be NULL). */
HC_MUST_CHECK hc_result targets_dry_run(const struct targets *t, FILE *out, uint64_t *printed,
                                        char *err, size_t err_cap);

#endif
