/* pcap output: events as JSON Lines or text, the per-victim summary, and --extract files.
 * Leaked bytes only ever go to --extract files (mode 0600), never to stdout or stderr. */
#ifndef HC_PCAP_OUTPUT_H
#define HC_PCAP_OUTPUT_H

#include "pcap/pcap.h"

#include <stdio.h>

struct traffic_victim;

struct traffic_output {
    FILE *out;
    bool json, quiet, color;
    int extract_fd;     /* -1: no --extract */
    const char *source; /* the capture file or interface the events come from */
    unsigned events;
    bool leak_found;
    bool extract_failed;
    struct traffic_victim *victims;
    size_t victim_count, victim_cap;
};

/* extract_dir may be NULL. false (with a message on stderr) when it cannot be opened. */
bool traffic_output_init(struct traffic_output *o, FILE *out, const struct traffic_options *opt);
/* The traffic_event_fn for the analyzer: ctx is the traffic_output. */
void traffic_output_event(void *ctx, const struct traffic_event *e);
/* The per-victim summary (text: after the events; JSON: one object per victim). */
void traffic_output_summary(struct traffic_output *o, const struct traffic_stats *s,
                            unsigned files);
void traffic_output_free(struct traffic_output *o);

/* "2026-12-04T17:00:00.123456Z" */
void traffic_format_time(int64_t ts_us, char out[32]);
/* "192.0.2.1", "2001:db8::1" */
void traffic_format_address(const struct traffic_endpoint *e, char out[64]);

#endif
