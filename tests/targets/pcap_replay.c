/* pcap_replay: replays the client side of a captured TLS exchange against a live server and
 * compares the server's answer with the captured one, record by record.
 *
 *   pcap_replay --pcap FILE --port N [--addr A] [--quiet] [--heartbeat-only]
 *               [--skip-handshake TYPE]...
 *
 * The capture (libpcap, Ethernet, IPv4, TCP) may hold several connections: the one whose client
 * sends a heartbeat record is replayed. Each client segment with payload becomes one write, at
 * the capture's pace (gaps capped at 1 s). The server's bytes are collected until it closes or
 * stays silent for 2 s.
 *
 * What is compared, on both streams:
 * - the server's first flight: its handshake message types and its record count (not the
 *   bytes: random, session id and certificate differ from server to server);
 * - every later record: content type, record version and length; alerts by level and
 *   description; heartbeats by message type and payload_length, and whether a response's
 *   payload starts with the payload bytes of a request the client sent (never the bytes a
 *   server leaked);
 * - whether the server closed the connection before the client did.
 * Per-vector options, for servers that are not 1.0.1f: --skip-handshake TYPE leaves handshake
 * messages of that type out of the captured and replayed flights (OpenSSL 3.0 chose an ECDHE
 * suite and sent a ServerKeyExchange, 12; we only do RSA key exchange); --heartbeat-only
 * compares only what follows the flight (GnuTLS's flight differs in several messages).
 *
 * Prints one line per difference. Exit: 0 match, 1 mismatch, 2 error. */
#include "tls/tls.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_CONNS = 64,
    MAX_SKIP = 8,
    MAX_ITEMS = 256,
    MAX_REQUESTS = 64,
    MAX_FLIGHT_TYPES = 32,
    ITEM_TEXT = 160,
    ECHO_COMPARE = 64,        /* payload bytes compared to tell an echo */
    HB_RESPONSE_PADDING = 16, /* what OpenSSL adds to a response */
    MAX_STREAM = 16 << 20,    /* bytes kept per direction */
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_VLAN = 0x8100,
    ETHERTYPE_QINQ = 0x88a8,
    IPPROTO_TCP_NUM = 6,
    TCP_FIN = 0x01,
    TCP_SYN = 0x02,
    TCP_RST = 0x04,
    TCP_ACK = 0x10,
};

static const double MAX_GAP_S = 1.0; /* longest pause replayed between two writes */
static const double SILENCE_S = 2.0; /* the server is done after this much silence */
static const double CONNECT_S = 5.0;
static const double RUN_LIMIT_S = 120.0; /* bound on the whole replay */

struct options {
    const char *pcap;
    const char *addr;
    unsigned port;
    bool quiet;
    bool heartbeat_only;
    uint8_t skip[MAX_SKIP];
    size_t nskip;
};

struct bytes {
    uint8_t *data;
    size_t len, cap;
};

struct write_op {
    double ts;
    size_t off, len;
};

/* One direction of a TCP connection, reassembled. */
struct direction {
    struct bytes stream;
    uint32_t next_seq;
    bool seq_known;
    long close_at; /* packet number of the first FIN or RST, -1 */
    long first_payload_at;
    struct write_op *writes;
    size_t nwrites, writes_cap;
};

struct tcp_conn {
    uint32_t addr[2];
    uint16_t port[2];
    int client; /* index of the side that sent the SYN, -1 unknown */
    struct direction dir[2];
};

struct capture {
    struct tcp_conn conns[MAX_CONNS];
    size_t nconns;
};

struct tcp_packet {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags;
    const uint8_t *payload;
    size_t len;
};

/* ---- small helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool bytes_append(struct bytes *b, const uint8_t *p, size_t n)
{
    if (n == 0)
        return true;
    if (b->len + n > MAX_STREAM)
        return false;
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown)
            return false;
        b->data = grown;
        b->cap = cap;
    }
    struct wire_writer w = wire_writer_init(b->data + b->len, n);
    wire_write_bytes(&w, p, n);
    b->len += n;
    return true;
}

/* ---- reading the capture ---- */

static hc_result parse_ethernet(struct wire_reader *r)
{
    uint16_t type;
    HC_TRY(wire_skip(r, 12)); /* destination and source MAC */
    HC_TRY(wire_read_u16(r, &type));
    while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
        HC_TRY(wire_skip(r, 2));
        HC_TRY(wire_read_u16(r, &type));
    }
    HC_ENSURE(type == ETHERTYPE_IPV4, HC_ERR_USAGE);
    return HC_SUCCESS;
}

/* IPv4 header (RFC 791); leaves *r on the TCP segment, cut to the datagram's length. */
static hc_result parse_ipv4(struct wire_reader *r, struct tcp_packet *pk)
{
    uint8_t vihl, proto;
    uint16_t total, frag;
    HC_TRY(wire_read_u8(r, &vihl));
    size_t ihl = (size_t)(vihl & 0x0f) * 4;
    HC_ENSURE((vihl >> 4) == 4 && ihl >= 20, HC_ERR_USAGE);
    HC_TRY(wire_skip(r, 1));
    HC_TRY(wire_read_u16(r, &total));
    HC_TRY(wire_skip(r, 2));
    HC_TRY(wire_read_u16(r, &frag));
    HC_ENSURE((frag & 0x3fff) == 0, HC_ERR_USAGE); /* fragments: not in loopback captures */
    HC_TRY(wire_skip(r, 1));
    HC_TRY(wire_read_u8(r, &proto));
    HC_ENSURE(proto == IPPROTO_TCP_NUM && total >= ihl, HC_ERR_USAGE);
    HC_TRY(wire_skip(r, 2));
    HC_TRY(wire_read_u32(r, &pk->src));
    HC_TRY(wire_read_u32(r, &pk->dst));
    HC_TRY(wire_skip(r, ihl - 20));
    size_t body = total - ihl;
    if (body < wire_remaining(r)) /* Ethernet padding */
        *r = wire_reader_init(wire_peek(r), body);
    return HC_SUCCESS;
}

static hc_result parse_tcp(struct wire_reader *r, struct tcp_packet *pk)
{
    uint8_t off;
    HC_TRY(wire_read_u16(r, &pk->sport));
    HC_TRY(wire_read_u16(r, &pk->dport));
    HC_TRY(wire_read_u32(r, &pk->seq));
    HC_TRY(wire_skip(r, 4)); /* ack */
    HC_TRY(wire_read_u8(r, &off));
    HC_TRY(wire_read_u8(r, &pk->flags));
    size_t hlen = (size_t)(off >> 4) * 4;
    HC_ENSURE(hlen >= 20, HC_ERR_USAGE);
    HC_TRY(wire_skip(r, hlen - 14));
    pk->len = wire_remaining(r);
    return wire_read_bytes(r, pk->len, &pk->payload);
}

static struct tcp_conn *find_conn(struct capture *cap, const struct tcp_packet *pk, int *side)
{
    for (size_t i = 0; i < cap->nconns; i++) {
        struct tcp_conn *c = &cap->conns[i];
        for (int s = 0; s < 2; s++)
            if (c->addr[s] == pk->src && c->port[s] == pk->sport && c->addr[!s] == pk->dst &&
                c->port[!s] == pk->dport) {
                *side = s;
                return c;
            }
    }
    if (cap->nconns == MAX_CONNS)
        return NULL;
    struct tcp_conn *c = &cap->conns[cap->nconns++];
    *c =
        (struct tcp_conn){.addr = {pk->src, pk->dst}, .port = {pk->sport, pk->dport}, .client = -1};
    c->dir[0].close_at = c->dir[1].close_at = -1;
    c->dir[0].first_payload_at = c->dir[1].first_payload_at = -1;
    *side = 0;
    return c;
}

static bool add_write(struct direction *d, double ts, size_t off, size_t len)
{
    if (d->nwrites == d->writes_cap) {
        size_t cap = d->writes_cap ? d->writes_cap * 2 : 16;
        struct write_op *grown = realloc(d->writes, cap * sizeof *grown);
        if (!grown)
            return false;
        d->writes = grown;
        d->writes_cap = cap;
    }
    d->writes[d->nwrites++] = (struct write_op){.ts = ts, .off = off, .len = len};
    return true;
}

/* In-order reassembly: retransmitted bytes are dropped, a gap (truncated capture) is
 * bridged. Each segment that brings new bytes is one client write. */
static bool add_segment(struct direction *d, const struct tcp_packet *pk, double ts, long no)
{
    if (pk->flags & TCP_SYN) {
        d->next_seq = pk->seq + 1;
        d->seq_known = true;
    }
    if ((pk->flags & (TCP_FIN | TCP_RST)) && d->close_at < 0)
        d->close_at = no;
    if (pk->len == 0)
        return true;
    if (!d->seq_known) {
        d->next_seq = pk->seq;
        d->seq_known = true;
    }
    uint32_t skip = d->next_seq - pk->seq;
    if (skip >= pk->len && skip < 0x80000000u)
        return true; /* all old */
    if (skip >= 0x80000000u)
        skip = 0; /* a gap */
    if (d->first_payload_at < 0)
        d->first_payload_at = no;
    size_t off = d->stream.len, n = pk->len - skip;
    d->next_seq = pk->seq + (uint32_t)pk->len;
    return bytes_append(&d->stream, pk->payload + skip, n) && add_write(d, ts, off, n);
}

static bool add_packet(struct capture *cap, const struct pcap_pkthdr *h, const uint8_t *data,
                       long no)
{
    struct wire_reader r = wire_reader_init(data, h->caplen);
    struct tcp_packet pk;
    if (!hc_ok(parse_ethernet(&r)) || !hc_ok(parse_ipv4(&r, &pk)) || !hc_ok(parse_tcp(&r, &pk)))
        return true; /* not IPv4/TCP: not ours */
    int side;
    struct tcp_conn *c = find_conn(cap, &pk, &side);
    if (!c)
        return false;
    if ((pk.flags & TCP_SYN) && !(pk.flags & TCP_ACK))
        c->client = side;
    double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
    return add_segment(&c->dir[side], &pk, ts, no);
}

static bool read_capture(const char *path, struct capture *cap)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) {
        fprintf(stderr, "pcap_replay: %s\n", err);
        return false;
    }
    bool ok = pcap_datalink(p) == DLT_EN10MB;
    if (!ok)
        fprintf(stderr, "pcap_replay: %s: not an Ethernet capture\n", path);
    struct pcap_pkthdr *h;
    const u_char *data;
    int r;
    for (long no = 1; ok && (r = pcap_next_ex(p, &h, &data)) == 1; no++)
        ok = add_packet(cap, h, data, no);
    pcap_close(p);
    return ok;
}

static void free_capture(struct capture *cap)
{
    for (size_t i = 0; i < cap->nconns; i++)
        for (int s = 0; s < 2; s++) {
            free(cap->conns[i].dir[s].stream.data);
            free(cap->conns[i].dir[s].writes);
        }
}

/* ---- heartbeat requests the client sent ---- */

struct request {
    uint16_t payload_length;
    const uint8_t *payload; /* the payload bytes really in the record */
    size_t avail;
};

struct requests {
    struct request r[MAX_REQUESTS];
    size_t n;
};

static void find_requests(const struct bytes *client, struct requests *out)
{
    struct wire_reader s = wire_reader_init(client->data, client->len);
    struct tls_record_header h;
    struct wire_reader body;
    out->n = 0;
    while (out->n < MAX_REQUESTS && hc_ok(tls_record_next(&s, &h, &body))) {
        struct tls_heartbeat_header hb;
        if (h.type != TLS_CT_HEARTBEAT || !hc_ok(tls_heartbeat_header_parse(&body, &hb)) ||
            hb.type != TLS_HEARTBEAT_REQUEST)
            continue;
        size_t avail = wire_remaining(&body);
        struct request *q = &out->r[out->n++];
        q->payload_length = hb.payload_length;
        q->avail = avail < hb.payload_length ? avail : hb.payload_length;
        q->payload = wire_peek(&body);
    }
}

static bool has_heartbeat_request(const struct bytes *client)
{
    struct requests *q = malloc(sizeof *q);
    if (!q)
        return false;
    find_requests(client, q);
    bool found = q->n > 0;
    free(q);
    return found;
}

/* The connection to replay: the first whose client sends a heartbeat, else the first with
 * client data. Its client is the SYN's sender, else the first to send. */
static struct tcp_conn *pick_conn(struct capture *cap)
{
    struct tcp_conn *fallback = NULL;
    for (size_t i = 0; i < cap->nconns; i++) {
        struct tcp_conn *c = &cap->conns[i];
        if (c->client < 0) {
            long a = c->dir[0].first_payload_at, b = c->dir[1].first_payload_at;
            c->client = (a >= 0 && (b < 0 || a < b)) ? 0 : 1;
        }
        const struct bytes *client = &c->dir[c->client].stream;
        if (client->len == 0)
            continue;
        if (has_heartbeat_request(client))
            return c;
        if (!fallback)
            fallback = c;
    }
    return fallback;
}

/* ---- describing a server stream ---- */

struct summary {
    char flight[ITEM_TEXT];
    char items[MAX_ITEMS][ITEM_TEXT];
    size_t nitems;
    bool closed;
};

static bool skipped(const struct options *o, uint8_t type)
{
    for (size_t i = 0; i < o->nskip; i++)
        if (o->skip[i] == type)
            return true;
    return false;
}

struct flight {
    uint8_t types[MAX_FLIGHT_TYPES];
    size_t ntypes;
    size_t records;
};

/* One record of the first flight: its messages' types, and whether it counts - a record that
 * only carries skipped messages does not. */
static bool flight_record(const struct options *o, struct tls_handshake_buffer *hs,
                          struct wire_reader *body, struct flight *f)
{
    if (!hc_ok(tls_handshake_append(hs, wire_peek(body), wire_remaining(body))))
        return false;
    struct tls_handshake_message m;
    size_t kept = 0, taken = 0;
    while (hc_ok(tls_handshake_next(hs, &m))) {
        taken++;
        if (skipped(o, m.type))
            continue;
        kept++;
        if (f->ntypes < MAX_FLIGHT_TYPES)
            f->types[f->ntypes++] = m.type;
    }
    if (taken == 0 || kept > 0)
        f->records++;
    return true;
}

static void describe_flight(const struct flight *f, char *out)
{
    int n = snprintf(out, ITEM_TEXT, "%zu records, handshake types", f->records);
    for (size_t i = 0; i < f->ntypes && n > 0 && (size_t)n < ITEM_TEXT; i++)
        n += snprintf(out + n, ITEM_TEXT - (size_t)n, " %u", f->types[i]);
}

static bool echoes(const struct requests *q, uint16_t payload_length, struct wire_reader *payload)
{
    for (size_t i = 0; i < q->n; i++) {
        const struct request *r = &q->r[i];
        if (r->payload_length != payload_length)
            continue;
        size_t n = r->avail < wire_remaining(payload) ? r->avail : wire_remaining(payload);
        n = n < ECHO_COMPARE ? n : ECHO_COMPARE;
        if (n == 0 || memcmp(r->payload, wire_peek(payload), n) == 0)
            return true;
    }
    return false;
}

/* A heartbeat record: the first of a message has the header; a response longer than one
 * record goes on in records without one. *rest counts the message bytes still to come. */
static void describe_heartbeat(const struct requests *q, struct wire_reader *body, size_t *rest,
                               char *out, size_t prefix)
{
    char *p = out + prefix;
    size_t room = ITEM_TEXT - prefix, len = wire_remaining(body);
    if (*rest > 0) {
        *rest = *rest > len ? *rest - len : 0;
        snprintf(p, room, ": continuation");
        return;
    }
    struct tls_heartbeat_header hb;
    if (!hc_ok(tls_heartbeat_header_parse(body, &hb))) {
        snprintf(p, room, ": malformed heartbeat");
        return;
    }
    size_t total = TLS_HEARTBEAT_HEADER_LEN + (size_t)hb.payload_length + HB_RESPONSE_PADDING;
    *rest = hb.type == TLS_HEARTBEAT_RESPONSE && total > len ? total - len : 0;
    const char *kind = hb.type == TLS_HEARTBEAT_REQUEST ? "request" : "response";
    const char *echo = hb.type != TLS_HEARTBEAT_RESPONSE    ? ""
                       : echoes(q, hb.payload_length, body) ? ", echoes our payload"
                                                            : ", does not echo our payload";
    snprintf(p, room, ": %s, payload_length %u%s", kind, hb.payload_length, echo);
}

static void describe_record(const struct requests *q, const struct tls_record_header *h,
                            struct wire_reader *body, size_t *hb_rest, char *out)
{
    int n = snprintf(out, ITEM_TEXT, "record type %u version 0x%04x", h->type, h->version);
    size_t prefix = (size_t)n;
    struct tls_alert a;
    if (h->type == TLS_CT_HANDSHAKE) {
        snprintf(out + prefix, ITEM_TEXT - prefix, ": handshake"); /* lengths vary */
    } else if (h->type == TLS_CT_ALERT && wire_remaining(body) == 2 &&
               hc_ok(tls_alert_parse(body, &a))) {
        const char *name = tls_alert_name(a.description);
        snprintf(out + prefix, ITEM_TEXT - prefix, ": alert %s %u (%s)",
                 a.level == TLS_ALERT_FATAL ? "fatal" : "warning", a.description,
                 name ? name : "?");
    } else {
        size_t len = wire_remaining(body);
        prefix += (size_t)snprintf(out + prefix, ITEM_TEXT - prefix, " length %zu", len);
        if (h->type == TLS_CT_HEARTBEAT)
            describe_heartbeat(q, body, hb_rest, out, prefix);
    }
}

static void add_item(struct summary *s, const char *text)
{
    if (s->nitems < MAX_ITEMS)
        snprintf(s->items[s->nitems++], ITEM_TEXT, "%s", text);
}

static bool summarize(const struct options *o, const struct bytes *server, const struct requests *q,
                      bool closed, struct summary *s)
{
    struct wire_reader stream = wire_reader_init(server->data, server->len);
    struct tls_handshake_buffer hs;
    tls_handshake_buffer_init(&hs, 1 << 20);
    struct flight f = {0};
    bool in_flight = true, ok = true;
    size_t hb_rest = 0;
    s->nitems = 0;
    s->closed = closed;
    struct tls_record_header h;
    struct wire_reader body;
    hc_result r;
    while (hc_ok(r = tls_record_next(&stream, &h, &body))) {
        in_flight = in_flight && h.type == TLS_CT_HANDSHAKE;
        if (in_flight) {
            ok = flight_record(o, &hs, &body, &f);
            if (!ok)
                break;
            continue;
        }
        char text[ITEM_TEXT];
        describe_record(q, &h, &body, &hb_rest, text);
        add_item(s, text);
    }
    if (r.error == HC_ERR_SHORT && wire_remaining(&stream) > 0)
        add_item(s, "incomplete record at the end");
    else if (r.error != HC_ERR_SHORT)
        add_item(s, "bytes that are not TLS records");
    tls_handshake_buffer_free(&hs);
    describe_flight(&f, s->flight);
    return ok;
}

/* ---- the replay ---- */

struct replay {
    struct bytes got;
    bool closed;
    bool write_failed;
};

static int connect_to(const struct options *o)
{
    struct sockaddr_storage sa = {0};
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
    if (inet_pton(AF_INET, o->addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)o->port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, o->addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)o->port);
        len = sizeof *v6;
    } else {
        fprintf(stderr, "pcap_replay: bad address %s\n", o->addr);
        return -1;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, len) != 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t elen = sizeof err;
        if (poll(&p, 1, (int)(CONNECT_S * 1000)) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0)
            errno = err;
        else
            errno = ETIMEDOUT;
    }
    if (errno != 0 && errno != EINPROGRESS) {
        perror("pcap_replay: connect");
        close(fd);
        return -1;
    }
    return fd;
}

static void read_available(int fd, struct replay *rp, double *last)
{
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            if (!bytes_append(&rp->got, buf, (size_t)n))
                rp->closed = true; /* more than we keep: stop */
            *last = now_s();
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            rp->closed = true; /* FIN or RST */
        return;
    }
}

/* Sends (the rest of) client write *w once; false once the server refuses it. */
static bool write_some(int fd, const struct direction *d, size_t *w, size_t *done)
{
    const struct write_op *op = &d->writes[*w];
    ssize_t n = send(fd, d->stream.data + op->off + *done, op->len - *done, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    *done += (size_t)n;
    if (*done == op->len) {
        *done = 0;
        ++*w;
    }
    return true;
}

/* The capture's pause before write w, from the end of the previous one. */
static double gap_before(const struct direction *d, size_t w)
{
    double gap = d->writes[w].ts - d->writes[w - 1].ts;
    return gap < 0 ? 0 : gap > MAX_GAP_S ? MAX_GAP_S : gap;
}

static int poll_ms(double until)
{
    double ms = (until - now_s()) * 1000 + 1;
    return ms < 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
}

static bool replay(const struct options *o, const struct direction *client, struct replay *rp)
{
    int fd = connect_to(o);
    if (fd < 0)
        return false;
    double start = now_s(), last = start, due = start;
    size_t w = 0, done = 0;
    while (!rp->closed && now_s() - start < RUN_LIMIT_S) {
        bool writing = w < client->nwrites && !rp->write_failed;
        if (writing && now_s() >= due) {
            size_t before = w;
            rp->write_failed = !write_some(fd, client, &w, &done);
            if (w != before) {
                last = now_s();
                if (w < client->nwrites)
                    due = last + gap_before(client, w);
            }
            writing = w < client->nwrites && !rp->write_failed;
        }
        if (!writing && now_s() - last >= SILENCE_S)
            break;
        double until = !writing ? last + SILENCE_S : done ? now_s() + 0.1 : due;
        struct pollfd p = {.fd = fd, .events = POLLIN | (writing && done ? POLLOUT : 0)};
        if (poll(&p, 1, poll_ms(until)) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
            read_available(fd, rp, &last);
    }
    close(fd);
    return true;
}

/* ---- comparing ---- */

static void print_summary(const char *who, const struct summary *s, bool heartbeat_only)
{
    printf("# %s: first flight: %s%s\n", who, s->flight, heartbeat_only ? " (not compared)" : "");
    for (size_t i = 0; i < s->nitems; i++)
        printf("# %s: %s\n", who, s->items[i]);
    printf("# %s: server %s\n", who, s->closed ? "closed" : "kept the connection open");
}

static size_t compare(const struct options *o, const struct summary *want,
                      const struct summary *got)
{
    size_t diffs = 0;
    if (!o->heartbeat_only && strcmp(want->flight, got->flight) != 0) {
        printf("first flight: capture: %s; replay: %s\n", want->flight, got->flight);
        diffs++;
    }
    size_t n = want->nitems > got->nitems ? want->nitems : got->nitems;
    for (size_t i = 0; i < n; i++) {
        const char *a = i < want->nitems ? want->items[i] : "nothing";
        const char *b = i < got->nitems ? got->items[i] : "nothing";
        if (strcmp(a, b) != 0) {
            printf("record %zu after the flight: capture: %s; replay: %s\n", i + 1, a, b);
            diffs++;
        }
    }
    if (want->closed != got->closed) {
        printf("server closed: capture %s, replay %s\n", want->closed ? "yes" : "no",
               got->closed ? "yes" : "no");
        diffs++;
    }
    return diffs;
}

/* ---- main ---- */

static void usage(FILE *out)
{
    fputs("usage: pcap_replay --pcap FILE --port N [--addr 127.0.0.1] [--quiet]\n"
          "                   [--heartbeat-only] [--skip-handshake TYPE]...\n",
          out);
}

static bool parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {{"pcap", required_argument, NULL, 'f'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"addr", required_argument, NULL, 'a'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"heartbeat-only", no_argument, NULL, 'H'},
                                             {"skip-handshake", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *o = (struct options){.addr = "127.0.0.1"};
    bool have_port = false;
    unsigned long v;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f': o->pcap = optarg; break;
        case 'a': o->addr = optarg; break;
        case 'q': o->quiet = true; break;
        case 'H': o->heartbeat_only = true; break;
        case 'h': usage(stdout); exit(0);
        case 'p':
            if (!hc_parse_uint(optarg, 0, 65535, &v) || v == 0)
                return false;
            o->port = (unsigned)v;
            have_port = true;
            break;
        case 's':
            if (!hc_parse_uint(optarg, 0, 255, &v) || o->nskip == MAX_SKIP)
                return false;
            o->skip[o->nskip++] = (uint8_t)v;
            break;
        default: return false;
        }
    }
    return optind == argc && o->pcap && have_port;
}

static int run(const struct options *o, struct capture *cap, struct summary *want,
               struct summary *got, struct requests *q)
{
    if (!read_capture(o->pcap, cap))
        return 2;
    struct tcp_conn *c = pick_conn(cap);
    if (!c) {
        fprintf(stderr, "pcap_replay: %s: no TCP connection with client data\n", o->pcap);
        return 2;
    }
    const struct direction *client = &c->dir[c->client], *server = &c->dir[!c->client];
    find_requests(&client->stream, q);
    bool server_first =
        server->close_at >= 0 && (client->close_at < 0 || server->close_at < client->close_at);
    struct replay rp = {0};
    bool ok = summarize(o, &server->stream, q, server_first, want) && replay(o, client, &rp) &&
              summarize(o, &rp.got, q, rp.closed, got);
    free(rp.got.data);
    if (!ok) {
        fprintf(stderr, "pcap_replay: replay failed\n");
        return 2;
    }
    if (!o->quiet) {
        print_summary("capture", want, o->heartbeat_only);
        print_summary("replay", got, o->heartbeat_only);
    }
    return compare(o, want, got) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct options o;
    if (!parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    struct capture *cap = calloc(1, sizeof *cap);
    struct summary *want = calloc(1, sizeof *want), *got = calloc(1, sizeof *got);
    struct requests *q = calloc(1, sizeof *q);
    int status = 2;
    if (cap && want && got && q)
        status = run(&o, cap, want, got, q);
    if (cap)
        free_capture(cap);
    free(cap);
    free(want);
    free(got);
    free(q);
    return status;
}
