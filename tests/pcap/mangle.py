#!/usr/bin/env python3
"""Rewrites a libpcap capture (Ethernet, IPv4, TCP) the ways real captures differ, so that the
analyzer's results can be checked to stay the same:

  link types:  raw, null, loop, sll, sll2, vlan, qinq
  network:     ipv6 (IPv4 -> IPv6, same ports and payloads), frag4, frag6 (IP fragments,
               shuffled), ttl (nothing but a changed TTL: a control)
  TCP:         split (segments of at most 97 bytes), reorder (segments shuffled within a
               window of 6), dup (every segment sent twice), overlap (each segment also sent
               again with the next segment's first bytes)
  protocols:   starttls (an SMTP dialogue in plaintext before the TLS bytes of each
               direction), dtls (each TLS record as a DTLS 1.2 record in its own UDP datagram)

  mangle.py MODE IN OUT [SEED]

Only the standard library; deterministic for a given SEED."""
import random
import struct
import sys

LINK = {"raw": 101, "null": 0, "loop": 108, "sll": 113, "sll2": 276, "vlan": 1, "qinq": 1}


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    _, _, _, _, snaplen, linktype = struct.unpack(endian + "HHiIII", data[4:24])
    pos, packets = 24, []
    while pos + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack(endian + "IIII", data[pos:pos + 16])
        packets.append([sec, usec, data[pos + 16:pos + 16 + caplen]])
        pos += 16 + caplen
    return linktype, packets


def write_pcap(path, linktype, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for sec, usec, frame in packets:
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=0, frag=0, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, ttl, proto, 0,
                    src, dst)
    h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def v4_to_v6(a):
    return b"\x20\x01\x0d\xb8" + b"\0" * 8 + a


def ip6(src, dst, nxt, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nxt, 64, src, dst) + payload


def parse(frame):
    """Ethernet + IPv4 -> (src, dst, proto, l4 bytes), or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 15) * 4
    total = struct.unpack("!H", frame[16:18])[0]
    return frame[26:30], frame[30:34], frame[23], frame[14 + ihl:14 + total]


def eth(payload, ethertype=0x0800):
    return b"\x02" * 6 + b"\x04" * 6 + struct.pack("!H", ethertype) + payload


def relink(mode, frame):
    ip = frame[14:]
    et = frame[12:14]
    if mode == "raw":
        return ip
    if mode == "null":
        return struct.pack("<I", 2) + ip
    if mode == "loop":
        return struct.pack("!I", 2) + ip
    if mode == "sll":
        return struct.pack("!HHH8s", 0, 772, 6, b"\0" * 8) + et + ip
    if mode == "sll2":
        return et + b"\0\0" + struct.pack("!IHBB8s", 1, 772, 0, 6, b"\0" * 8) + ip
    if mode == "vlan":
        return frame[:12] + b"\x81\x00\x00\x64" + frame[12:]
    if mode == "qinq":
        return frame[:12] + b"\x88\xa8\x00\x0a\x81\x00\x00\x64" + frame[12:]
    raise ValueError(mode)


def tcp_parts(l4):
    off = (l4[12] >> 4) * 4
    return l4[:off], l4[off:]


def with_seq(header, seq):
    return header[:4] + struct.pack("!I", seq & 0xFFFFFFFF) + header[8:]


def segments(packets, fn):
    """Applies fn(header, seq, payload) -> [(header, payload)] to TCP segments with payload."""
    out = []
    for sec, usec, frame in packets:
        p = parse(frame)
        if not p or p[2] != 6:
            out.append([sec, usec, frame])
            continue
        src, dst, proto, l4 = p
        header, payload = tcp_parts(l4)
        if not payload:
            out.append([sec, usec, frame])
            continue
        seq = struct.unpack("!I", header[4:8])[0]
        for h, pl in fn(header, seq, payload):
            out.append([sec, usec, eth(ip4(src, dst, 6, h + pl))])
    return out


def split(header, seq, payload, size=97):
    return [(with_seq(header, seq + i), payload[i:i + size]) for i in range(0, len(payload), size)]


def overlap(header, seq, payload, size=97):
    parts = []
    for i in range(0, len(payload), size):
        parts.append((with_seq(header, seq + i), payload[i:i + size]))
        parts.append((with_seq(header, seq + i), payload[i:i + size + 13]))
    return parts


def reorder(packets, rng, window=6):
    """Shuffles segments that carry data within windows; SYNs, ACKs and FINs keep their place
    (a data segment never really travels before the handshake that allows it)."""
    flows = {}
    for i, (_, _, f) in enumerate(packets):
        p = parse(f)
        if p and p[2] == 6 and tcp_parts(p[3])[1]:
            flows.setdefault(tuple(sorted((p[3][:2], p[3][2:4]))), []).append(i)
    out = list(packets)
    for data in flows.values():
        for w in range(0, len(data), window):
            idx = data[w:w + window]
            moved = [packets[i] for i in idx]
            rng.shuffle(moved)
            for i, p in zip(idx, moved):
                out[i] = p
    return out


def fragment(packets, rng, v6):
    out = []
    ident = 1000
    for sec, usec, frame in packets:
        p = parse(frame)
        if not p:
            continue
        src, dst, proto, l4 = p
        ident += 1
        pieces = [l4[i:i + 96] for i in range(0, len(l4), 96)]
        frames = []
        for n, piece in enumerate(pieces):
            more = n < len(pieces) - 1
            if v6:
                fh = struct.pack("!BBHI", proto, 0, (n * 96) | more, ident)
                frames.append(eth(ip6(v4_to_v6(src), v4_to_v6(dst), 44, fh + piece), 0x86DD))
            else:
                frames.append(eth(ip4(src, dst, proto, piece, ident, (n * 12) | (more << 13))))
        if len(frames) > 1:
            rng.shuffle(frames)
        out.extend([sec, usec, f] for f in frames)
    return out


SMTP = {True: b"EHLO test\r\nSTARTTLS\r\n", False: b"220 mx ESMTP\r\n250 STARTTLS\r\n220 go\r\n"}


def starttls(packets):
    """Prepends a plaintext dialogue to the first data of each direction (client: the SYN
    sender) and shifts the later sequence numbers of that direction."""
    shift, client = {}, set()
    out = []
    for sec, usec, frame in packets:
        p = parse(frame)
        if not p or p[2] != 6:
            out.append([sec, usec, frame])
            continue
        src, dst, proto, l4 = p
        header, payload = tcp_parts(l4)
        key = (src, l4[:2], dst, l4[2:4])
        if header[13] & 0x12 == 0x02:
            client.add(key)
        seq = struct.unpack("!I", header[4:8])[0]
        if payload and key not in shift:
            prefix = SMTP[key in client]
            shift[key] = len(prefix)
            payload = prefix + payload
        elif key in shift and not header[13] & 0x02:
            seq += shift[key]
        out.append([sec, usec, eth(ip4(src, dst, 6, with_seq(header, seq) + payload))])
    return out


def udp(src_port, dst_port, payload):
    return struct.pack("!HHHH", src_port, dst_port, 8 + len(payload), 0) + payload


def dtls(packets):
    """Each direction's TLS records, in capture order (the captures are in order), become
    DTLS 1.2 records (epoch 1 after ChangeCipherSpec), one per datagram."""
    buf, epoch, seqno, out = {}, {}, {}, []
    for sec, usec, frame in packets:
        p = parse(frame)
        if not p or p[2] != 6:
            continue
        src, dst, proto, l4 = p
        header, payload = tcp_parts(l4)
        key = (src, dst, l4[:2], l4[2:4])
        b = buf.get(key, b"") + payload
        while len(b) >= 5 and len(b) >= 5 + struct.unpack("!H", b[3:5])[0]:
            n = struct.unpack("!H", b[3:5])[0]
            ctype, body, b = b[0], b[5:5 + n], b[5 + n:]
            e, q = epoch.get(key, 0), seqno.get(key, 0)
            seqno[key] = q + 1
            rec = struct.pack("!BHH", ctype, 0xFEFD, e) + q.to_bytes(6, "big") + \
                struct.pack("!H", n) + body
            if ctype == 22 and e == 0 and body[:1] in (b"\x01", b"\x02"):
                # DTLS handshake header: message_seq and fragment fields (RFC 6347 4.2.2).
                rec = rec[:11] + struct.pack("!H", n + 8) + body[:4] + b"\0\0" + \
                    b"\0\0\0" + body[1:4] + body[4:]
            out.append([sec, usec, eth(ip4(src, dst, 17, udp(
                struct.unpack("!H", l4[:2])[0], struct.unpack("!H", l4[2:4])[0], rec)))])
            if ctype == 20:
                epoch[key], seqno[key] = e + 1, 0
        buf[key] = b
    return out


def main():
    mode, src, dst = sys.argv[1:4]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    linktype, packets = read_pcap(src)
    if linktype != 1:
        sys.exit("mangle.py: Ethernet captures only")
    if mode in LINK:
        write_pcap(dst, LINK[mode], [[s, u, relink(mode, f)] for s, u, f in packets])
        return
    if mode == "ipv6":
        out = []
        for s, u, f in packets:
            p = parse(f)
            if p:
                out.append([s, u, eth(ip6(v4_to_v6(p[0]), v4_to_v6(p[1]), p[2], p[3]), 0x86DD)])
        packets = out
    elif mode in ("frag4", "frag6"):
        packets = fragment(packets, rng, mode == "frag6")
    elif mode == "ttl":
        packets = [[s, u, eth(ip4(p[0], p[1], p[2], p[3], ttl=7))] for s, u, f in packets
                   for p in [parse(f)] if p]
    elif mode == "split":
        packets = segments(packets, split)
    elif mode == "reorder":
        packets = reorder(segments(packets, split), rng)
    elif mode == "dup":
        packets = segments(packets, lambda h, s, p: [(h, p), (h, p)])
    elif mode == "overlap":
        packets = segments(packets, overlap)
    elif mode == "starttls":
        packets = starttls(packets)
    elif mode == "dtls":
        packets = dtls(packets)
    else:
        sys.exit("mangle.py: unknown mode " + mode)
    write_pcap(dst, 1, packets)


if __name__ == "__main__":
    main()
