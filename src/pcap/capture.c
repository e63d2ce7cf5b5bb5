/* The drivers: capture files and live interfaces, fed to the analyzer frame by frame. Classic
 * pcap files are read in large blocks and walked in place; pcapng, standard input and live
 * interfaces go through libpcap (pcap_next_ex, pcap_dispatch: no allocation per frame). */
#include "pcap/output.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcap/internal.h"

enum {
    EXIT_NONE = 0,
    EXIT_LEAK = 1,
    EXIT_FAILED = 2,
    DEFAULT_MAX_FLOWS = 1 << 20,
    IDLE_SECONDS = 300, /* a TCP flow silent this long (capture time) is closed */
    LIVE_SNAPLEN = 262144,
    LIVE_TIMEOUT_MS = 200,
    PCAP_FILE_HEADER = 24,
    PCAP_RECORD_HEADER = 16,
    /* A frame longer than this in a classic pcap file means the file is damaged (libpcap's
     * own limit is 256 KB). */
    PCAP_MAX_FRAME = 1 << 20,
    READ_BUFFER = 4 << 20,
};

static struct traffic_limits limits_for(const struct traffic_options *o)
{
    return (struct traffic_limits){
        .max_flows = o->max_flows ? o->max_flows : DEFAULT_MAX_FLOWS,
        .idle_us = (int64_t)IDLE_SECONDS * 1000000,
        .keep_secrets = o->extract_dir != NULL,
    };
}

static int64_t timestamp_us(const struct pcap_pkthdr *h)
{
    return (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
}

static bool linktype_ok(pcap_t *p, const char *source)
{
    int lt = pcap_datalink(p);
    if (traffic_linktype_supported(lt))
        return true;
    const char *name = pcap_datalink_val_to_name(lt);
    fprintf(stderr, "heartcheck: %s: link type %s (%d) is not supported\n", source,
            name ? name : "unknown", lt);
    return false;
}

static void report_cut(const char *file, uint64_t frames, const char *why)
{
    fprintf(stderr,
            "heartcheck: %s: the capture ends in the middle of a frame or is damaged after "
            "%llu frames (%s); the results below cover what came before\n",
            file, (unsigned long long)frames, why);
}

/* The classic pcap format (the libpcap file format, draft-ietf-opsawg-pcap): a 24-byte header
 * whose magic number gives the byte order and the time unit, then 16-byte record headers. */
struct classic {
    bool swap; /* written little-endian: wire reads big-endian */
    bool nano;
    int linktype;
};

static uint32_t field(uint32_t v, bool swap) { return swap ? __builtin_bswap32(v) : v; }

static bool classic_header(struct wire_reader *r, struct classic *c)
{
    uint32_t magic, skip, linktype;
    if (!hc_ok(wire_read_u32(r, &magic)))
        return false;
    switch (magic) {
    case 0xa1b2c3d4: *c = (struct classic){.swap = false, .nano = false}; break;
    case 0xd4c3b2a1: *c = (struct classic){.swap = true, .nano = false}; break;
    case 0xa1b23c4d: *c = (struct classic){.swap = false, .nano = true}; break;
    case 0x4d3cb2a1: *c = (struct classic){.swap = true, .nano = true}; break;
    default: return false;
    }
    for (int i = 0; i < 4; i++) /* versions, thiszone, sigfigs, snaplen */
        if (!hc_ok(wire_read_u32(r, &skip)))
            return false;
    if (!hc_ok(wire_read_u32(r, &linktype)))
        return false;
    c->linktype = (int)(field(linktype, c->swap) & 0xffff); /* the upper bits hold FCS flags */
    return true;
}

/* A buffer of the file: frames are handed to the analyzer from it, read() refills it. One
 * copy per byte (the kernel's), no stdio and no per-frame copy as through libpcap's reader. */
struct file_buffer {
    int fd;
    uint8_t *buf;
    size_t have, pos;
    bool eof;
};

/* Makes at least n bytes available from pos; false at the end of the file. */
static bool fill(struct file_buffer *b, size_t n)
{
    if (b->have - b->pos >= n)
        return true;
    memmove(b->buf, b->buf + b->pos, b->have - b->pos);
    b->have -= b->pos;
    b->pos = 0;
    while (!b->eof && b->have < n) {
        ssize_t got = read(b->fd, b->buf + b->have, READ_BUFFER - b->have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            b->eof = true;
        else
            b->have += (size_t)got;
    }
    return b->have >= n;
}

/* Every frame of a classic pcap file after its header. false when the file ends inside a
 * record or a record is absurd (reported). */
static bool classic_frames(struct traffic_analyzer *a, const char *file, struct file_buffer *b,
                           const struct classic *c)
{
    uint64_t frames = 0;
    while (fill(b, 1)) {
        uint32_t h[4];
        if (!fill(b, PCAP_RECORD_HEADER)) {
            report_cut(file, frames, "a record header is cut");
            return false;
        }
        struct wire_reader r = wire_reader_init(b->buf + b->pos, PCAP_RECORD_HEADER);
        for (int i = 0; i < 4; i++)
            if (!hc_ok(wire_read_u32(&r, &h[i])))
                return false;
        uint32_t sec = field(h[0], c->swap), frac = field(h[1], c->swap);
        uint32_t caplen = field(h[2], c->swap), wirelen = field(h[3], c->swap);
        if (caplen > PCAP_MAX_FRAME || !fill(b, PCAP_RECORD_HEADER + (size_t)caplen)) {
            report_cut(file, frames, "a frame is longer than what follows");
            return false;
        }
        const uint8_t *data = b->buf + b->pos + PCAP_RECORD_HEADER;
        b->pos += PCAP_RECORD_HEADER + caplen;
        frames++;
        int64_t ts = (int64_t)sec * 1000000 + (c->nano ? frac / 1000 : frac);
        traffic_analyzer_frame(a, c->linktype, ts, data, caplen,
                               wirelen > caplen ? wirelen : caplen);
    }
    return true;
}

/* Reads a classic pcap file itself. Sets *handled false when the file is something else
 * (pcapng, standard input, not a regular file): libpcap reads those. */
static bool read_classic(struct traffic_analyzer *a, const char *file, bool *handled)
{
    *handled = false;
    if (!strcmp(file, "-"))
        return true;
    struct file_buffer b = {.fd = open(file, O_RDONLY | O_CLOEXEC)};
    struct stat st;
    if (b.fd < 0 || fstat(b.fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        !(b.buf = malloc(READ_BUFFER))) {
        if (b.fd >= 0)
            close(b.fd);
        return true;
    }
    posix_fadvise(b.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    struct classic c;
    bool ok = true;
    if (fill(&b, PCAP_FILE_HEADER)) {
        struct wire_reader r = wire_reader_init(b.buf, PCAP_FILE_HEADER);
        if (classic_header(&r, &c)) {
            *handled = true;
            b.pos = PCAP_FILE_HEADER;
            if (!traffic_linktype_supported(c.linktype)) {
                fprintf(stderr, "heartcheck: %s: link type %d is not supported\n", file,
                        c.linktype);
                ok = false;
            } else
                ok = classic_frames(a, file, &b, &c);
        }
    }
    free(b.buf);
    close(b.fd);
    return ok;
}

/* Reads one capture to its end. false (with a message) when it could not be opened or read
 * to the end; the frames read before go to the analyzer all the same. */
static bool read_capture(struct traffic_analyzer *a, const char *file)
{
    bool handled;
    bool ok = read_classic(a, file, &handled);
    if (handled)
        return ok;
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_MICRO, err);
    if (!p) {
        fprintf(stderr, "heartcheck: %s: not a readable pcap or pcapng capture: %s\n", file, err);
        return false;
    }
    if (!linktype_ok(p, file)) {
        pcap_close(p);
        return false;
    }
    int lt = pcap_datalink(p);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    uint64_t frames = 0;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        frames++;
        traffic_analyzer_frame(a, lt, timestamp_us(h), data, h->caplen, h->len);
    }
    ok = rc == PCAP_ERROR_BREAK;
    if (!ok)
        report_cut(file, frames, pcap_geterr(p));
    pcap_close(p);
    return ok;
}

static int status_of(const struct traffic_output *out, bool failed)
{
    if (out->leak_found)
        return EXIT_LEAK;
    return failed || out->extract_failed ? EXIT_FAILED : EXIT_NONE;
}

int traffic_run(const struct traffic_options *o)
{
    struct traffic_output out;
    if (!traffic_output_init(&out, stdout, o))
        return EXIT_FAILED;
    struct traffic_limits l = limits_for(o);
    struct traffic_analyzer *a = traffic_analyzer_new(&l, traffic_output_event, &out);
    if (!a) {
        fprintf(stderr, "heartcheck: out of memory\n");
        traffic_output_free(&out);
        return EXIT_FAILED;
    }
    bool failed = false;
    for (size_t i = 0; i < o->file_count; i++) {
        out.source = strcmp(o->files[i], "-") ? o->files[i] : "(stdin)";
        failed |= !read_capture(a, o->files[i]);
    }
    traffic_analyzer_finish(a);
    struct traffic_stats s = traffic_analyzer_stats(a);
    traffic_output_summary(&out, &s, (unsigned)o->file_count);
    traffic_analyzer_free(a);
    int status = status_of(&out, failed);
    traffic_output_free(&out);
    return status;
}

/* ---- live ---- */

static pcap_t *live_handle;
static volatile sig_atomic_t live_stop;

static void on_signal(int sig)
{
    (void)sig;
    live_stop = 1;
    if (live_handle)
        pcap_breakloop(live_handle);
}

struct live_ctx {
    struct traffic_analyzer *a;
    int linktype;
};

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct live_ctx *c = (struct live_ctx *)user;
    traffic_analyzer_frame(c->a, c->linktype, timestamp_us(h), data, h->caplen, h->len);
}

static pcap_t *open_live(const struct traffic_options *o)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(o->interface, err);
    if (!p) {
        fprintf(stderr, "heartcheck: watch %s: %s\n", o->interface, err);
        return NULL;
    }
    /* Immediate mode: an event is reported when its packet arrives, not when a buffer fills. */
    if (pcap_set_snaplen(p, LIVE_SNAPLEN) || pcap_set_immediate_mode(p, 1) ||
        pcap_set_timeout(p, LIVE_TIMEOUT_MS) || pcap_activate(p) < 0) {
        fprintf(stderr, "heartcheck: watch %s: %s\n", o->interface, pcap_geterr(p));
        pcap_close(p);
        return NULL;
    }
    if (!linktype_ok(p, o->interface)) {
        pcap_close(p);
        return NULL;
    }
    if (o->filter) {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) ||
            pcap_setfilter(p, &prog)) {
            fprintf(stderr, "heartcheck: watch: filter '%s': %s\n", o->filter, pcap_geterr(p));
            pcap_close(p);
            return NULL;
        }
        pcap_freecode(&prog);
    }
    return p;
}

int traffic_watch(const struct traffic_options *o)
{
    struct traffic_output out;
    if (!traffic_output_init(&out, stdout, o))
        return EXIT_FAILED;
    out.source = o->interface;
    struct traffic_limits l = limits_for(o);
    struct live_ctx c = {.a = traffic_analyzer_new(&l, traffic_output_event, &out)};
    pcap_t *p = c.a ? open_live(o) : NULL;
    if (!p) {
        traffic_analyzer_free(c.a);
        traffic_output_free(&out);
        return EXIT_FAILED;
    }
    c.linktype = pcap_datalink(p);
    live_handle = p;
    live_stop = 0;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    if (!o->quiet && !o->json)
        fprintf(stderr, "heartcheck: watching %s (Ctrl-C to stop)\n", o->interface);
    bool failed = false;
    while (!live_stop) {
        int rc = pcap_dispatch(p, -1, on_frame, (u_char *)&c);
        if (rc == PCAP_ERROR) {
            fprintf(stderr, "heartcheck: watch %s: %s\n", o->interface, pcap_geterr(p));
            failed = true;
            break;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    live_handle = NULL;
    traffic_analyzer_finish(c.a);
    struct traffic_stats s = traffic_analyzer_stats(c.a);
    traffic_output_summary(&out, &s, 0);
    traffic_analyzer_free(c.a);
    pcap_close(p);
    int status = status_of(&out, failed);
    traffic_output_free(&out);
    return status;
}
