/* libFuzzer target: frames of every supported link type into the analyzer (link layers,
 * IPv4/IPv6 headers and extension headers, fragments, TCP and UDP/DTLS).
 *
 * Input: frames, each a link-type selector byte, a 16-bit length and that many bytes. */
#include "pcap/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int link_types[] = {LINK_ETHERNET,  LINK_NULL,        LINK_LOOP, LINK_RAW,
                                 LINK_LINUX_SLL, LINK_LINUX_SLL2,  LINK_IPV4, LINK_IPV6,
                                 LINK_RAW_BSD,   LINK_RAW_LINKTYPE};

static void on_event(void *ctx, const struct traffic_event *e)
{
    (void)ctx;
    if (e->kind > TRAFFIC_LIKELY_LEAK)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct traffic_limits l = {.max_flows = 8, .idle_us = 5000000, .keep_secrets = true};
    struct traffic_analyzer *a = traffic_analyzer_new(&l, on_event, NULL);
    if (!a)
        return 0;
    int64_t ts = 0;
    for (size_t pos = 0; pos + 3 <= size;) {
        int lt = link_types[data[pos] % (sizeof link_types / sizeof link_types[0])];
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        traffic_analyzer_frame(a, lt, ts += 100000, data + pos, len, len + (data[0] & 7));
        pos += len;
    }
    traffic_analyzer_finish(a);
    traffic_analyzer_free(a);
    return 0;
}
