/* pcap: `heartcheck pcap` and `heartcheck watch` — Heartbleed attacks and leaks in captured
 * or live traffic.
 *
 * A frame goes through the link layer, IPv4/IPv6 (fragments reassembled), TCP reassembly per
 * direction (or one UDP datagram of DTLS), a TLS record scanner that finds records at any
 * offset, and the heartbeat analysis of the flow, which pairs responses with requests:
 * - a plaintext request whose payload_length exceeds what its record carries is an attack;
 * - one with less than RFC 6520's 16 bytes of padding but no over-read is a harmless probe;
 * - a response to a malformed request, or one whose payload exceeds what the request
 *   carried, proves the peer vulnerable; leaked bytes = response payload beyond the request's;
 * - encrypted heartbeats are judged by record sizes for the negotiated suite: a response
 *   larger than its request, or spanning several records, is a likely leak.
 * Every event stands alone: no thresholds. The API prefix is traffic_, since libpcap owns
 * pcap_. */
#ifndef HC_PCAP_H
#define HC_PCAP_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct traffic_endpoint {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
    uint16_t port;
};

enum traffic_kind {
    TRAFFIC_ATTACK,      /* plaintext request that over-reads */
    TRAFFIC_PROBE,       /* plaintext request without enough padding, no over-read */
    TRAFFIC_MALFORMED,   /* encrypted request too small to hold 16 bytes of padding */
    TRAFFIC_LEAK,        /* plaintext response proving the peer vulnerable */
    TRAFFIC_LIKELY_LEAK, /* encrypted response larger than its request, or multi-record */
};

struct traffic_event {
    enum traffic_kind kind;
    int64_t ts_us;
    bool udp; /* DTLS */
    struct traffic_endpoint client, server;
    bool client_known; /* false: roles guessed from the ports */
    bool to_server;    /* the request went to the server (whose memory is at stake) */
    bool encrypted;
    uint16_t version; /* record version; 0 unknown */
    uint16_t cipher;  /* negotiated suite, when cipher_known */
    bool cipher_known;
    bool claimed_known;
    uint32_t claimed; /* payload_length of the request (or the response, unpaired) */
    bool sent_known;
    uint32_t sent; /* payload bytes the request carried */
    bool leaked_known;
    uint64_t leaked;       /* exact (leak) or estimated (likely_leak) */
    uint64_t leaked_max;   /* likely_leak: the upper end of the estimate */
    unsigned records;      /* records of the response */
    bool paired;           /* the response was matched with its request */
    const uint8_t *secret; /* leak: the leaked bytes the capture holds (never printed) */
    size_t secret_len;
};

const char *traffic_kind_name(enum traffic_kind k); /* "attack", "likely_leak", ... */

/* The analyzer: frames in, events out through a callback. No I/O of its own. */
struct traffic_limits {
    size_t max_flows;  /* flows tracked at once; new ones are ignored past it */
    int64_t idle_us;   /* a flow idle this long (capture time) is closed */
    bool keep_secrets; /* collect leaked bytes for --extract */
};

struct traffic_analyzer;
typedef void (*traffic_event_fn)(void *ctx, const struct traffic_event *e);

struct traffic_stats {
    uint64_t frames, bytes, malformed, ignored, flows_dropped;
    size_t flows_open, flows_max;
};

/* NULL when out of memory. */
struct traffic_analyzer *traffic_analyzer_new(const struct traffic_limits *l, traffic_event_fn fn,
                                              void *ctx);
/* One captured frame: caplen bytes of a wirelen-byte frame of this link type. */
void traffic_analyzer_frame(struct traffic_analyzer *a, int linktype, int64_t ts_us,
                            const uint8_t *frame, size_t caplen, size_t wirelen);
/* Ends every flow (responses under way are reported). */
void traffic_analyzer_finish(struct traffic_analyzer *a);
struct traffic_stats traffic_analyzer_stats(const struct traffic_analyzer *a);
void traffic_analyzer_free(struct traffic_analyzer *a);
/* Whether libpcap's link type is one the analyzer decodes. */
bool traffic_linktype_supported(int linktype);

/* The drivers. */
struct traffic_options {
    char *const *files; /* pcap or pcapng; "-" is standard input */
    size_t file_count;
    const char *interface; /* watch */
    const char *filter;    /* watch: BPF filter expression, or NULL */
    const char *extract_dir;
    bool json;
    bool quiet;
    bool color;
    size_t max_flows;
};

/* Returns the exit status: 1 a peer leaked (or proved vulnerable), else 2 when a capture
 * could not be read to its end (bad, unreadable or truncated: the results so far are
 * printed), else 0. */
int traffic_run(const struct traffic_options *o);
/* Live capture until SIGINT or SIGTERM; same statuses. */
int traffic_watch(const struct traffic_options *o);

#endif
