#!/usr/bin/env python3
"""Builds a large capture from a few real sessions: every TCP flow of SEED (libpcap,
Ethernet, IPv4) is cut into 1448-byte segments (an Ethernet MSS) and replayed many times
with new addresses and ports, 64 flows interleaved, until OUT holds SIZE_MB megabytes.
Flows of ATTACKS (same format) are mixed in COPIES times each, spread over the file.

  pcap_gen.py SEED ATTACKS OUT SIZE_MB COPIES

Prints the client addresses of the attack copies (ip:port, one a line) to stdout, so that
the bench can check every tool found the same ones. Only the standard library."""
import struct
import sys

MSS = 1448
INTERLEAVE = 64


def read_flows(path):
    data = open(path, "rb").read()
    if struct.unpack("<I", data[:4])[0] not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit("pcap_gen.py: little-endian pcap only")
    if struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit("pcap_gen.py: Ethernet only")
    pos, flows, order = 24, {}, []
    while pos + 16 <= len(data):
        caplen = struct.unpack("<I", data[pos + 8:pos + 12])[0]
        f = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        ihl = (f[14] & 15) * 4
        total = struct.unpack("!H", f[16:18])[0]
        tcp = f[14 + ihl:14 + total]
        off = (tcp[12] >> 4) * 4
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        key = tuple(sorted(((f[26:30], sport), (f[30:34], dport))))
        if key not in flows:
            flows[key] = {"client": (f[26:30], sport), "segs": [], "isn": {}}
            order.append(key)
        fl = flows[key]
        from_client = (f[26:30], sport) == fl["client"]
        fl["isn"].setdefault(from_client, seq)
        payload = tcp[off:]
        flags = tcp[13]
        rel = (seq - fl["isn"][from_client]) & 0xFFFFFFFF
        if not payload:
            fl["segs"].append((from_client, flags, rel, b""))
        for i in range(0, len(payload), MSS):
            fl["segs"].append((from_client, flags, rel + i, payload[i:i + MSS]))
    return [flows[k] for k in order if flows[k]["segs"]]


def frame(src, dst, sport, dport, seq, flags, payload):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0,
                     src, dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0, 0x50, flags, 65535,
                      0, 0)
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + tcp + payload


def main():
    seed, attacks, out, size_mb, copies = sys.argv[1:6]
    target = int(size_mb) * 1000 * 1000
    normal = read_flows(seed)
    bad = read_flows(attacks)
    bad_ids = {id(fl) for fl in bad}
    if not normal:
        sys.exit("pcap_gen.py: no TCP flow in " + seed)
    f = open(out, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    written, k, ts = 24, 0, 1700000000 * 1000000
    # Attack copies go at evenly spaced replica numbers.
    attack_at = {}
    active = []  # [flow, replica number, next segment index]

    def start(flow, n):
        active.append([flow, n, 0])

    attack_list = [(fl, c) for c in range(int(copies)) for fl in bad]
    avg = sum(len(s[3]) + 54 for fl in normal for s in fl["segs"]) / len(normal)
    total_replicas = int(target / avg) + 1
    for i, (fl, c) in enumerate(attack_list):
        attack_at[(i + 1) * total_replicas // (len(attack_list) + 1)] = fl
    while written < target or active:
        while len(active) < INTERLEAVE and written < target:
            flow = attack_at.pop(k, None)
            if flow is not None:
                cl = bytes([10, 99, (k >> 8) & 255, k & 255])
                print("%d.%d.%d.%d:%d" % (tuple(cl) + (20000 + k % 40000,)))
            start(flow or normal[k % len(normal)], k)
            k += 1
        if not active:
            break
        for a in list(active):
            flow, n, i = a
            if i >= len(flow["segs"]):
                active.remove(a)
                continue
            from_client, flags, rel, payload = flow["segs"][i]
            a[2] += 1
            cl = bytes([10, 99 if id(flow) in bad_ids else 1 + (n >> 16) % 90, (n >> 8) & 255, n & 255])
            sv = bytes([10, 200, 0, 1 + n % 7])
            cport, sport = 20000 + n % 40000, 443
            isn = (n * 2654435761) & 0xFFFFFFFF
            fr = frame(cl, sv, cport, sport, isn + rel, flags, payload) if from_client else \
                frame(sv, cl, sport, cport, isn * 3 + rel, flags, payload)
            ts += 7
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)))
            f.write(fr)
            written += 16 + len(fr)
    f.close()


if __name__ == "__main__":
    main()
