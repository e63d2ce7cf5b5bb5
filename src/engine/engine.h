/* engine: the event loop that drives probes over TCP and UDP (libuv). It owns sockets, timers and
 * name resolution and never parses protocol bytes: every byte goes to the probe.
 *
 * Targets come from a source callback, one at a time, so a scan never holds more than the
 * probes in flight (bounded by the concurrency). Every target yields exactly one result. */
#ifndef HC_ENGINE_H
#define HC_ENGINE_H

#include "base/base.h"
#include "probe/probe.h"

#include <stdbool.h>
#include <stdint.h>

struct sockaddr;

enum { TARGET_SPEC_MAX = 300, TARGET_HOST_MAX = 256 };

struct target {
    char spec[TARGET_SPEC_MAX]; /* as the user wrote it */
    char host[TARGET_HOST_MAX]; /* name or address literal, without brackets */
    uint16_t port;
    int family; /* AF_INET or AF_INET6 for address literals, 0 for names */
    /* PROBE_DTLS for "dtls://" specifications; PROBE_TCP: engine_config.transport applies */
    enum probe_transport transport;
};

/* Parses host, host:port, [v6]:port, [v6], v4, bare v6, each optionally after "dtls://"
 * (spec keeps the scheme). On failure fills err with why. */
HC_MUST_CHECK hc_result target_parse(const char *spec, uint16_t default_port, struct target *out,
                                     char *err, size_t err_cap);
/* The transport a "dtls://" scheme names (else PROBE_TCP) and the length of the scheme. */
size_t target_scheme(const char *spec, enum probe_transport *out);

/* Gives the next target; false when there are no more. */
typedef bool (*engine_source_fn)(void *ctx, struct target *out);

struct engine_outcome {
    const struct target *target;
    const char *ip;                 /* "" when the name did not resolve */
    const char *sni;                /* NULL when none was sent */
    enum probe_transport transport; /* what carried the probe */
    bool resolve_failed;
    uint32_t elapsed_ms;               /* since the target was started, every try included */
    unsigned tries;                    /* probes run for it: 1 + the retries used */
    const struct probe_result *result; /* of the last try */
};

typedef void (*engine_result_fn)(void *ctx, const struct engine_outcome *o);

/* enum probe_verdict runs from 0 to PROBE_INCONCLUSIVE. */
enum { ENGINE_VERDICTS = PROBE_INCONCLUSIVE + 1, ENGINE_PROGRESS_MS = 250 };

struct engine_stats {
    uint64_t started;   /* targets taken from the source */
    uint64_t done;      /* results reported */
    uint64_t in_flight; /* started - done: after a second signal, the abandoned ones */
    uint64_t verdicts[ENGINE_VERDICTS]; /* results per enum probe_verdict */
    uint64_t retries;                   /* probes run again (--retries) */
    uint64_t elapsed_ms;                /* since engine_run began */
    double rate;                        /* results per second over elapsed_ms */
    unsigned concurrency; /* effective: the configured one, capped to fit RLIMIT_NOFILE */
};

/* Called from the event loop every ENGINE_PROGRESS_MS while the engine runs. */
typedef void (*engine_progress_fn)(void *ctx, const struct engine_stats *s);

struct engine_config {
    /* For targets that name no transport: PROBE_TCP, or PROBE_DTLS (--udp). A datagram
     * transport gets a connected UDP socket per attempt, one datagram per probe output. */
    enum probe_transport transport;
    uint32_t timeout_ms; /* per probe: each retry gets a fresh deadline */
    uint32_t followup_ms;
    uint32_t leak_bytes;
    uint16_t max_version;
    unsigned concurrency; /* probes in flight at most; capped to the fd limit */
    bool sni;             /* send SNI for name targets */
    /* The dialogue before TLS (src/proto) for every target; NULL: chosen by each target's
     * port when starttls_auto (25 -> smtp, 5432 -> postgres...), else none. */
    const struct prelude_desc *starttls;
    bool starttls_auto;
    const char *xmpp_domain;  /* XMPP to=; NULL: the target's name (or its address) */
    const char *sni_override; /* send this name for every target */
    /* New connections per second, paced evenly (a token bucket with a burst of 1/100 s);
     * 0: unlimited. A target's first connection and each retry take a token; a probe's own
     * reconnects to lower TLS versions do not, its deadline is already running. */
    uint32_t rate;
    /* Extra probes for a target whose connection got no SYN-ACK before the deadline (or
     * ETIMEDOUT), or was reset before any byte arrived: at Internet scale, mostly lost
     * packets and overloaded middleboxes. A refusal is an answer and is never retried. */
    unsigned retries;
    engine_progress_fn progress; /* NULL: no progress calls */
    void *progress_ctx;
    /* Asked for the address a name resolves to; true: not probed, reported unreachable with
     * that reason (--exclude applies to names too). NULL: nothing is excluded. */
    bool (*excluded)(void *ctx, const struct sockaddr *address);
    void *excluded_ctx;
};

/* Runs until every target has a result or the user interrupts (SIGINT/SIGTERM: no new
 * probes nor retries; a second signal abandons those in flight). *interrupted tells which.
 * At start, raises the soft RLIMIT_NOFILE to the hard one when the concurrency needs it. */
HC_MUST_CHECK hc_result engine_run(const struct engine_config *cfg, engine_source_fn source,
                                   void *source_ctx, engine_result_fn on_result, void *result_ctx,
                                   bool *interrupted);

/* engine_run that also gives the final statistics in *stats (for the summary). */
HC_MUST_CHECK hc_result engine_run_stats(const struct engine_config *cfg, engine_source_fn source,
                                         void *source_ctx, engine_result_fn on_result,
                                         void *result_ctx, bool *interrupted,
                                         struct engine_stats *stats);

/* ---- pace.c: the token bucket behind engine_config.rate, without clocks of its own ---- */

struct pace {
    uint64_t rate;    /* tokens per second; 0: unlimited */
    uint64_t cap;     /* the most credit: burst + slack, in nano-tokens */
    uint64_t credit;  /* nano-tokens available: 10^9 make one connection */
    uint64_t last_ns; /* when credit was last refilled */
};

enum {
    PACE_BURST_DIVISOR = 100, /* burst: 1/100 s of the rate, at least one token */
    PACE_SLACK_MS = 2,        /* credit kept beyond the burst for a late timer */
};

/* Starts with the burst at now_ns (any monotonic nanosecond clock). */
void pace_init(struct pace *p, uint32_t per_second, uint64_t now_ns);
/* Takes one token when there is one at now_ns. */
bool pace_take(struct pace *p, uint64_t now_ns);
/* Nanoseconds from now_ns until a token is there; 0 when one is. */
uint64_t pace_wait_ns(struct pace *p, uint64_t now_ns);

#endif
