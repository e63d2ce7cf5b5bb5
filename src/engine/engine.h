/* engine: the event loop that drives probes over TCP (libuv). It owns sockets, timers and
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

enum { TARGET_SPEC_MAX = 300, TARGET_HOST_MAX = 256 };

struct target {
    char spec[TARGET_SPEC_MAX]; /* as the user wrote it */
    char host[TARGET_HOST_MAX]; /* name or address literal, without brackets */
    uint16_t port;
    int family; /* AF_INET or AF_INET6 for address literals, 0 for names */
};

/* Parses host, host:port, [v6]:port, [v6], v4, bare v6. On failure fills err with why. */
HC_MUST_CHECK hc_result target_parse(const char *spec, uint16_t default_port, struct target *out,
                                     char *err, size_t err_cap);

/* Gives the next target; false when there are no more. */
typedef bool (*engine_source_fn)(void *ctx, struct target *out);

struct engine_outcome {
    const struct target *target;
    const char *ip;  /* "" when the name did not resolve */
    const char *sni; /* NULL when none was sent */
    bool resolve_failed;
    uint32_t elapsed_ms;
    const struct probe_result *result;
};

typedef void (*engine_result_fn)(void *ctx, const struct engine_outcome *o);

struct engine_config {
    uint32_t timeout_ms;
    uint32_t followup_ms;
    uint32_t leak_bytes;
    uint16_t max_version;
    unsigned concurrency;
    bool sni;                 /* send SNI for name targets */
    const char *sni_override; /* send this name for every target */
};

/* Runs until every target has a result or the user interrupts (SIGINT/SIGTERM: no new
 * probes; a second signal abandons those in flight). *interrupted tells which. */
HC_MUST_CHECK hc_result engine_run(const struct engine_config *cfg, engine_source_fn source,
                                   void *source_ctx, engine_result_fn on_result, void *result_ctx,
                                   bool *interrupted);

#endif
