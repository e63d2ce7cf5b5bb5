/* Link layers, IPv4/IPv6 and TCP/UDP headers of one captured frame. */
#include "pcap/internal.h"

#include <string.h>

enum {
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_IPV6 = 0x86dd,
    ETHERTYPE_VLAN = 0x8100, /* IEEE 802.1Q */
    ETHERTYPE_QINQ = 0x88a8, /* IEEE 802.1ad */
    ETHERTYPE_QINQ_OLD = 0x9100,
    MAX_VLAN_TAGS = 4,
    IPV6_HOP_BY_HOP = 0,
    IPV6_ROUTING = 43,
    IPV6_FRAGMENT = 44,
    IPV6_DEST_OPTS = 60,
    IPV6_MAX_EXT_HEADERS = 8,
    /* BSD address families in DLT_NULL/DLT_LOOP headers: AF_INET is 2 everywhere, AF_INET6
     * is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
    BSD_AF_INET = 2,
};

static bool family_to_ethertype(uint32_t family, uint16_t *ethertype)
{
    switch (family) {
    case BSD_AF_INET: *ethertype = ETHERTYPE_IPV4; return true;
    case 10:
    case 24:
    case 28:
    case 30: *ethertype = ETHERTYPE_IPV6; return true;
    default: return false;
    }
}

static bool ethernet(struct wire_reader *r, uint16_t *ethertype)
{
    uint16_t type;
    if (!hc_ok(wire_skip(r, 12)) || !hc_ok(wire_read_u16(r, &type)))
        return false;
    /* 802.1Q tags, stacked for QinQ: each one 2 bytes of TCI then the next type. */
    for (int i = 0; i < MAX_VLAN_TAGS && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
                                          type == ETHERTYPE_QINQ_OLD);
         i++)
        if (!hc_ok(wire_skip(r, 2)) || !hc_ok(wire_read_u16(r, &type)))
            return false;
    *ethertype = type;
    return true;
}

/* DLT_NULL stores the family in the capturing host's byte order: both are tried. */
static bool null_header(struct wire_reader *r, bool network_order, uint16_t *ethertype)
{
    uint32_t family;
    if (!hc_ok(wire_read_u32(r, &family)))
        return false;
    if (network_order)
        return family_to_ethertype(family, ethertype);
    uint32_t swapped = __builtin_bswap32(family);
    return family_to_ethertype(family, ethertype) || family_to_ethertype(swapped, ethertype);
}

/* Raw IP: the version nibble says which. */
static bool raw_ip(const struct wire_reader *r, uint16_t *ethertype)
{
    if (wire_remaining(r) < 1)
        return false;
    unsigned v = wire_peek(r)[0] >> 4;
    *ethertype = v == 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
    return v == 4 || v == 6;
}

bool link_network(int linktype, struct wire_reader frame, uint16_t *ethertype,
                  struct wire_reader *network)
{
    struct wire_reader r = frame;
    bool ok;
    switch (linktype) {
    case LINK_ETHERNET: ok = ethernet(&r, ethertype); break;
    case LINK_NULL: ok = null_header(&r, false, ethertype); break;
    case LINK_LOOP: ok = null_header(&r, true, ethertype); break;
    case LINK_LINUX_SLL: /* packet type, ARPHRD, address length, 8 address bytes, protocol */
        ok = hc_ok(wire_skip(&r, 14)) && hc_ok(wire_read_u16(&r, ethertype));
        break;
    case LINK_LINUX_SLL2: /* protocol first, then 18 more header bytes */
        ok = hc_ok(wire_read_u16(&r, ethertype)) && hc_ok(wire_skip(&r, 18));
        break;
    case LINK_RAW:
    case LINK_RAW_BSD:
    case LINK_RAW_LINKTYPE: ok = raw_ip(&r, ethertype); break;
    case LINK_IPV4:
        *ethertype = ETHERTYPE_IPV4;
        ok = true;
        break;
    case LINK_IPV6:
        *ethertype = ETHERTYPE_IPV6;
        ok = true;
        break;
    default: ok = false;
    }
    if (ok)
        *network = wire_reader_init(wire_peek(&r), wire_remaining(&r));
    return ok;
}

bool traffic_linktype_supported(int linktype)
{
    switch (linktype) {
    case LINK_ETHERNET:
    case LINK_NULL:
    case LINK_LOOP:
    case LINK_LINUX_SLL:
    case LINK_LINUX_SLL2:
    case LINK_RAW:
    case LINK_RAW_BSD:
    case LINK_RAW_LINKTYPE:
    case LINK_IPV4:
    case LINK_IPV6: return true;
    default: return false;
    }
}

/* The transport header and payload. `declared` is the payload length the IP header claims;
 * what the capture holds may be less (snap length). */
static enum decode_status transport(struct wire_reader r, size_t declared, struct packet *out)
{
    size_t have = wire_remaining(&r) < declared ? wire_remaining(&r) : declared;
    r = wire_reader_init(wire_peek(&r), have);
    uint16_t sport, dport;
    if (!hc_ok(wire_read_u16(&r, &sport)) || !hc_ok(wire_read_u16(&r, &dport)))
        return DECODE_MALFORMED;
    size_t header;
    if (out->proto == IP_PROTO_TCP) {
        uint32_t seq, ack;
        uint8_t offset, flags;
        if (!hc_ok(wire_read_u32(&r, &seq)) || !hc_ok(wire_read_u32(&r, &ack)) ||
            !hc_ok(wire_read_u8(&r, &offset)) || !hc_ok(wire_read_u8(&r, &flags)))
            return DECODE_MALFORMED;
        header = (size_t)(offset >> 4) * 4; /* RFC 9293 section 3.1: data offset in words */
        if (header < 20 || header > declared || !hc_ok(wire_skip(&r, header - 14)))
            return DECODE_MALFORMED;
        out->seq = seq;
        out->tcp_flags = flags;
    } else {
        header = 8;
        if (declared < header || !hc_ok(wire_skip(&r, 4)))
            return DECODE_MALFORMED;
    }
    out->src.port = sport;
    out->dst.port = dport;
    out->payload = wire_peek(&r);
    out->payload_len = wire_remaining(&r);
    out->missing = declared - header - out->payload_len;
    return DECODE_PACKET;
}

static void set_addr(struct traffic_endpoint *e, uint8_t family, const uint8_t *a, size_t n)
{
    memset(e, 0, sizeof *e);
    e->family = family;
    memcpy(e->addr, a, n);
}

static enum decode_status ipv4(struct wire_reader r, int64_t ts, struct frag_table *frags,
                               struct packet *out)
{
    const uint8_t *h = wire_peek(&r);
    if (wire_remaining(&r) < 20)
        return DECODE_MALFORMED;
    size_t ihl = (size_t)(h[0] & 0x0f) * 4;
    size_t total = (size_t)h[2] << 8 | h[3];
    /* TCP segmentation offload on the capturing host leaves total length 0: trust the frame. */
    if (total == 0)
        total = wire_remaining(&r);
    if ((h[0] >> 4) != 4 || ihl < 20 || total < ihl || wire_remaining(&r) < ihl)
        return DECODE_MALFORMED;
    set_addr(&out->src, 4, h + 12, 4);
    set_addr(&out->dst, 4, h + 16, 4);
    out->proto = h[9];
    if (out->proto != IP_PROTO_TCP && out->proto != IP_PROTO_UDP)
        return DECODE_IGNORED;
    struct wire_reader body = r;
    if (!hc_ok(wire_skip(&body, ihl)))
        return DECODE_MALFORMED;
    size_t declared = total - ihl;
    unsigned frag = (unsigned)(h[6] & 0x3f) << 8 | h[7];
    bool more = frag & 0x2000;
    size_t offset = (size_t)(frag & 0x1fff) * 8;
    if (!more && offset == 0)
        return transport(body, declared, out);
    if (!frags || wire_remaining(&body) < declared)
        return DECODE_IGNORED; /* a fragment cut by the snap length cannot be rebuilt */
    struct frag_key key = {.version = 4, .proto = out->proto, .id = (uint32_t)h[4] << 8 | h[5]};
    memcpy(key.src, h + 12, 4);
    memcpy(key.dst, h + 16, 4);
    struct wire_reader whole;
    if (!frag_add(frags, &key, offset, more, wire_peek(&body), declared, ts, &whole))
        return DECODE_HELD;
    return transport(whole, wire_remaining(&whole), out);
}

static enum decode_status ipv6(struct wire_reader r, int64_t ts, struct frag_table *frags,
                               struct packet *out)
{
    const uint8_t *h = wire_peek(&r);
    if (wire_remaining(&r) < 40 || (h[0] >> 4) != 6)
        return DECODE_MALFORMED;
    size_t declared = (size_t)h[4] << 8 | h[5];
    uint8_t next = h[6];
    set_addr(&out->src, 6, h + 8, 16);
    set_addr(&out->dst, 6, h + 24, 16);
    struct wire_reader body = r;
    if (!hc_ok(wire_skip(&body, 40)))
        return DECODE_MALFORMED;
    if (declared == 0) /* jumbogram or offload: trust the frame */
        declared = wire_remaining(&body);
    bool fragment = false, more = false;
    size_t offset = 0;
    uint32_t id = 0;
    for (int i = 0; i < IPV6_MAX_EXT_HEADERS; i++) {
        if (next != IPV6_HOP_BY_HOP && next != IPV6_ROUTING && next != IPV6_FRAGMENT &&
            next != IPV6_DEST_OPTS)
            break;
        uint8_t nh, len8;
        const uint8_t *e = wire_peek(&body);
        if (!hc_ok(wire_read_u8(&body, &nh)) || !hc_ok(wire_read_u8(&body, &len8)))
            return DECODE_MALFORMED;
        size_t len = next == IPV6_FRAGMENT ? 8 : ((size_t)len8 + 1) * 8; /* RFC 8200 4.3-4.5 */
        if (len > declared || !hc_ok(wire_skip(&body, len - 2)))
            return DECODE_MALFORMED;
        if (next == IPV6_FRAGMENT) {
            fragment = true;
            offset = (size_t)((e[2] << 8 | e[3]) & 0xfff8);
            more = e[3] & 1;
            id = (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16 | (uint32_t)e[6] << 8 | e[7];
        }
        declared -= len;
        next = nh;
    }
    out->proto = next;
    if (next != IP_PROTO_TCP && next != IP_PROTO_UDP)
        return DECODE_IGNORED;
    if (!fragment || (!more && offset == 0))
        return transport(body, declared, out);
    if (!frags || wire_remaining(&body) < declared)
        return DECODE_IGNORED;
    struct frag_key key = {.version = 6, .proto = next, .id = id};
    memcpy(key.src, h + 8, 16);
    memcpy(key.dst, h + 24, 16);
    struct wire_reader whole;
    if (!frag_add(frags, &key, offset, more, wire_peek(&body), declared, ts, &whole))
        return DECODE_HELD;
    return transport(whole, wire_remaining(&whole), out);
}

enum decode_status ip_decode(int linktype, const uint8_t *frame, size_t caplen, size_t wirelen,
                             int64_t ts_us, struct frag_table *frags, struct packet *out)
{
    (void)wirelen; /* the IP header's lengths say what was cut */
    memset(out, 0, sizeof *out);
    out->ts_us = ts_us;
    uint16_t ethertype;
    struct wire_reader net;
    if (!link_network(linktype, wire_reader_init(frame, caplen), &ethertype, &net))
        return DECODE_IGNORED;
    if (ethertype == ETHERTYPE_IPV4)
        return ipv4(net, ts_us, frags, out);
    if (ethertype == ETHERTYPE_IPV6)
        return ipv6(net, ts_us, frags, out);
    return DECODE_IGNORED;
}
