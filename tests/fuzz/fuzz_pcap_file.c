/* libFuzzer target: the input as a capture file (pcap or pcapng), read by libpcap as
 * `heartcheck pcap` reads it and fed to the analyzer. */
#include "pcap/internal.h"

#include <pcap.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *ctx, const struct traffic_event *e)
{
    (void)ctx;
    if (e->kind > TRAFFIC_LIKELY_LEAK)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_fopen_offline(f, err); /* takes f, closed by pcap_close */
    if (!p) {
        fclose(f);
        return 0;
    }
    struct traffic_limits l = {.max_flows = 8, .idle_us = 5000000};
    struct traffic_analyzer *a = traffic_analyzer_new(&l, on_event, NULL);
    int lt = pcap_datalink(p);
    struct pcap_pkthdr *h;
    const u_char *frame;
    while (a && traffic_linktype_supported(lt) && pcap_next_ex(p, &h, &frame) == 1)
        traffic_analyzer_frame(a, lt, (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec, frame,
                               h->caplen, h->len);
    if (a)
        traffic_analyzer_finish(a);
    traffic_analyzer_free(a);
    pcap_close(p);
    return 0;
}
