/* pcap internals: the layers between a captured frame and a heartbeat event, shared by the
 * files of src/pcap and their unit tests. Nothing here is part of the module's contract
 * (that is pcap.h). Prefixes: link_/ip_ (decode.c), frag_ (frag.c), stream_ (stream.c),
 * recscan_ (recscan.c), hb_ (pairing.c), flow_ (flow.c). libpcap owns the pcap_ prefix. */
#ifndef HC_PCAP_INTERNAL_H
#define HC_PCAP_INTERNAL_H

#include "pcap/pcap.h"
#include "tls/tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    IP_PROTO_TCP = 6,
    IP_PROTO_UDP = 17,
    TCP_FLAG_FIN = 0x01,
    TCP_FLAG_SYN = 0x02,
    TCP_FLAG_RST = 0x04,
    TCP_FLAG_ACK = 0x10,
    /* Link types, as pcap_datalink() reports them (pcap/dlt.h). */
    LINK_NULL = 0,
    LINK_ETHERNET = 1,
    LINK_RAW = 12,
    LINK_RAW_BSD = 14,
    LINK_RAW_LINKTYPE = 101,
    LINK_LOOP = 108,
    LINK_LINUX_SLL = 113,
    LINK_IPV4 = 228,
    LINK_IPV6 = 229,
    LINK_LINUX_SLL2 = 276,
};

/* ---- decode.c: link layer, IPv4/IPv6, TCP/UDP headers ---- */

struct packet {
    int64_t ts_us; /* capture time, microseconds since the epoch */
    struct traffic_endpoint src, dst;
    uint8_t proto; /* IP_PROTO_TCP or IP_PROTO_UDP */
    uint8_t tcp_flags;
    uint32_t seq;
    const uint8_t *payload; /* the captured part of the transport payload */
    size_t payload_len;
    size_t missing; /* payload bytes the IP header declares but the snap length cut off */
};

enum decode_status {
    DECODE_PACKET,   /* *out is a TCP segment or a UDP datagram */
    DECODE_HELD,     /* an IP fragment, kept until its datagram is whole */
    DECODE_IGNORED,  /* neither TCP nor UDP over IP (ARP, ICMP, other link types' control) */
    DECODE_MALFORMED /* headers that lie about their lengths, cut before the transport header */
};

struct frag_table;

/* The network-layer bytes inside one frame: ethertype-style protocol (0x0800, 0x86dd) and a
 * reader over them. false when the link layer is unknown, cut, or carries something else. */
bool link_network(int linktype, struct wire_reader frame, uint16_t *ethertype,
                  struct wire_reader *network);
/* Decodes one frame. Fragments go to frags (may be NULL: fragments are then ignored); a
 * reassembled datagram's payload points into frags' memory until the next call. */
enum decode_status ip_decode(int linktype, const uint8_t *frame, size_t caplen, size_t wirelen,
                             int64_t ts_us, struct frag_table *frags, struct packet *out);

/* ---- frag.c: IPv4 and IPv6 fragment reassembly, bounded ---- */

enum {
    FRAG_MAX_DATAGRAMS = 64, /* reassemblies in progress; the oldest is dropped for a new one */
    FRAG_MAX_PIECES = 8192,  /* fragments per datagram: one per 8-byte unit */
    FRAG_MAX_LEN = 65535,
    FRAG_TIMEOUT_US = 30 * 1000000, /* RFC 791's suggested 15 s upper bound, doubled */
};

struct frag_key {
    uint8_t version; /* 4 or 6 */
    uint8_t proto;   /* the transport protocol (IPv6: after the fragment header) */
    uint32_t id;
    uint8_t src[16], dst[16];
};

struct frag_table *frag_table_new(void);
void frag_table_free(struct frag_table *t);
/* Adds one fragment's payload at byte offset `offset`; `more` is the MF flag. Returns true and
 * points *datagram at the whole transport payload when this fragment completed it (valid until
 * the next call). Overlapping fragments keep the first bytes seen (RFC 5722 says drop the
 * datagram for IPv6; keeping the first copy never invents bytes either). */
bool frag_add(struct frag_table *t, const struct frag_key *key, size_t offset, bool more,
              const uint8_t *p, size_t n, int64_t ts_us, struct wire_reader *datagram);

/* ---- recscan.c: TLS and DTLS records in one direction's byte stream ---- */

/* What the record scanner tells its owner (pairing.c) about one record. */
struct record_info {
    uint8_t type;
    uint16_t version;
    uint32_t length; /* from the record header */
    bool encrypted;  /* after this direction's ChangeCipherSpec (DTLS: epoch > 0) */
    bool head_known; /* head[] holds the body's first head_len bytes */
    uint8_t head[3]; /* heartbeat type and payload_length */
    size_t head_len;
    uint32_t captured; /* body bytes that reached the scanner (gaps and snap length cut) */
    bool gap;          /* some body bytes were lost */
    bool trusted;      /* in sync with evidence (see recscan.c), not a guess */
};

struct record_sink {
    /* A whole record has gone by (its body bytes were passed to body() first). */
    void (*record)(void *ctx, const struct record_info *r);
    /* Body bytes of a heartbeat record, in order, from offset `at` in the body. */
    void (*heartbeat_body)(void *ctx, uint32_t at, const uint8_t *p, size_t n);
    /* The first handshake message of the direction, as far as it was kept. */
    void (*hello)(void *ctx, const uint8_t *msg, size_t n);
    void *ctx;
};

enum recscan_state { RECSCAN_START, RECSCAN_HUNT, RECSCAN_HEADER, RECSCAN_BODY, RECSCAN_OFF };

enum {
    RECSCAN_HELLO_KEEP = 96, /* ServerHello: version, random, session id and the suite fit */
    /* Bytes searched for a record header without finding TLS before a stream that never
     * carried TLS is left alone: STARTTLS dialogues are far shorter. */
    RECSCAN_GIVE_UP = 64 * 1024,
};

struct recscan {
    enum recscan_state state;
    uint8_t hdr[TLS_RECORD_HEADER_LEN];
    uint8_t hdr_len;
    struct record_info cur;
    uint32_t body_left;
    bool encrypted;     /* a ChangeCipherSpec went by */
    bool ever_synced;   /* TLS was seen in this direction */
    unsigned confirmed; /* consecutive well-formed records since the last (re)sync */
    bool trusted;       /* the current record's header came with evidence */
    bool hello_done;    /* the first handshake message was handed over */
    uint8_t hello[RECSCAN_HELLO_KEEP];
    size_t hello_len;
    uint64_t hunted; /* bytes searched without a sync, while never synced */
};

void recscan_init(struct recscan *s);
/* Bytes of the stream, in order. */
void recscan_data(struct recscan *s, const uint8_t *p, size_t n, const struct record_sink *k);
/* n bytes of the stream are missing (a gap the capture lost): the scanner skips them inside a
 * record body, or hunts for the next record header. */
void recscan_gap(struct recscan *s, uint64_t n, const struct record_sink *k);
/* A plausible TLS record header at p (5 bytes): a known content type, major version 3, minor
 * 0-3, a length TLS allows. */
bool recscan_plausible(const uint8_t *p);
/* One UDP datagram of DTLS records (RFC 6347 section 4.1): each record is reported whole. */
void recscan_datagram(struct recscan *s, const uint8_t *p, size_t n, const struct record_sink *k);
/* The first bytes of a datagram look like a DTLS 1.0/1.2 record. */
bool recscan_is_dtls(const uint8_t *p, size_t n);

/* ---- stream.c: one direction of a TCP connection, reassembled ---- */

enum {
    STREAM_MAX_PENDING = 32,            /* out-of-order segments held per direction */
    STREAM_MAX_PENDING_BYTES = 1 << 18, /* and their bytes */
};

struct stream_segment {
    uint32_t seq;
    uint32_t len;
    uint8_t *data;
};

struct stream {
    bool started; /* next_seq is known */
    bool closed;  /* RST, or FIN with every byte before it delivered */
    bool fin_seen;
    uint32_t fin_seq;  /* the sequence number of the FIN */
    uint32_t next_seq; /* the first byte not yet delivered */
    size_t pending_count;
    size_t pending_bytes;
    struct stream_segment pending[STREAM_MAX_PENDING];
};

/* Where a stream's bytes go. */
struct stream_sink {
    void (*data)(void *ctx, const uint8_t *p, size_t n);
    void (*gap)(void *ctx, uint64_t n);
    void *ctx;
};

/* One segment: SYN fixes the start; payload (with `missing` bytes cut by the snap length) is
 * delivered in order, out-of-order segments are held (bounded: past the bound, the hole
 * before them is declared a gap), retransmitted and overlapping bytes are delivered once. */
void stream_segment(struct stream *s, const struct packet *pkt, const struct stream_sink *k);
/* Delivers what is held, with gaps for the holes (end of capture, flow expiry). */
void stream_flush(struct stream *s, const struct stream_sink *k);
void stream_free(struct stream *s);

/* ---- ciphers: plaintext sizes from record sizes (tls/overhead.c) are in tls.h ---- */

/* ---- pairing.c: the heartbeat analysis of one flow ---- */

enum { HB_PENDING_MAX = 8, HB_PREFIX = 16 };

struct hb_request {
    bool encrypted;
    uint16_t claimed;  /* payload_length (plaintext) */
    uint32_t sent;     /* payload bytes really carried (plaintext) */
    uint32_t plain_lo; /* plaintext size range of the whole message (encrypted) */
    uint32_t plain_hi;
    uint8_t prefix[HB_PREFIX];
    size_t prefix_len;
    bool malformed; /* padding < 16 or an over-read: no legitimate peer answers it */
};

/* A response under assembly (it may span several records). */
struct hb_response {
    bool active;
    bool encrypted;
    int64_t ts_us;
    uint16_t claimed;
    uint64_t wire_len; /* body bytes of its records, from the record headers */
    uint64_t expect;   /* plaintext: 3 + payload_length + 16, the whole message */
    uint32_t plain_lo, plain_hi;
    unsigned records;
    bool last_full; /* encrypted: the last record was as large as a record gets */
    uint8_t *bytes; /* --extract: the captured message bytes */
    size_t bytes_len, bytes_cap;
    uint8_t prefix[HB_PREFIX];
    size_t prefix_len;
};

struct hb_side {
    struct hb_request pending[HB_PENDING_MAX]; /* requests sent this way, oldest first */
    size_t pending_count;
    struct hb_response response; /* a response sent this way, under assembly */
    /* The heartbeat record going by: its first bytes, and (--extract) its body. */
    uint8_t head[TLS_HEARTBEAT_HEADER_LEN + HB_PREFIX];
    size_t head_len;
    uint8_t *rec;
    size_t rec_len, rec_cap;
};

struct flow; /* flow.c */

/* The record scanner's report for direction `dir` of flow f. */
void hb_record(struct traffic_analyzer *a, struct flow *f, int dir, const struct record_info *r);
void hb_body(struct traffic_analyzer *a, struct flow *f, int dir, uint32_t at, const uint8_t *p,
             size_t n);
void hb_hello(struct traffic_analyzer *a, struct flow *f, int dir, const uint8_t *msg, size_t n);
/* Ends what is under way (the flow is closing or the capture ended). */
void hb_flush(struct traffic_analyzer *a, struct flow *f);
void hb_side_free(struct hb_side *s);

/* ---- flow.c: flows by address and port pair, bounded and expiring ---- */

struct flow {
    uint8_t proto;
    struct traffic_endpoint ep[2]; /* ep[d] sends the bytes of direction d */
    int client;                    /* index of the client in ep[], -1 while unknown */
    int64_t first_us, last_us;
    uint16_t version; /* negotiated (ServerHello), 0 unknown */
    uint16_t cipher;
    bool cipher_known;
    bool dtls;
    bool closed[2];
    struct stream tcp[2];
    struct recscan scan[2];
    struct hb_side hb[2];
    size_t slot; /* index in the table */
};

struct flow_table;

struct flow_table *flow_table_new(size_t max_flows);
void flow_table_free(struct flow_table *t);
/* The flow of this packet, created when new and `create` (NULL when not found, or the table
 * is full); *dir is the packet's direction in it. */
struct flow *flow_lookup(struct flow_table *t, const struct packet *pkt, bool create, int *dir);
void flow_remove(struct flow_table *t, struct flow *f);
size_t flow_count(const struct flow_table *t);
/* Calls fn on every flow idle since before `older_than_us` (or on every flow), which fn must
 * then remove. */
void flow_each_idle(struct flow_table *t, int64_t older_than_us,
                    void (*fn)(void *ctx, struct flow *f), void *ctx);

/* ---- analyzer.c: events out ---- */

void traffic_emit(struct traffic_analyzer *a, const struct traffic_event *e);
bool traffic_extracting(const struct traffic_analyzer *a);

#endif
