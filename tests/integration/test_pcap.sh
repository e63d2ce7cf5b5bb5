#!/usr/bin/env bash
# heartcheck pcap and watch:
# - golden outputs for tests/pcap/TESTLIST (the captures in ../shared/vectors and ours);
# - every capture rewritten by tests/pcap/mangle.py (other link types, IPv6, fragments, TCP
#   segments split, reordered, duplicated, overlapping, STARTTLS, DTLS) and re-read at several
#   snap lengths: the same events;
# - truncated, corrupt and hostile captures: a clear message, exit 2, no crash;
# - captures recorded here with tcpdump on loopback while `heartcheck scan` probes
#   build/targets/vulnserver (zero-leak, --leak 100, --leak 60000, SSLv3 to TLS 1.2; also
#   behind SMTP STARTTLS) and build/targets/vulndtls over DTLS, and
#   while gnutls-cli exchanges legitimate heartbeats with gnutls-serv (no event);
# - --extract files, standard input, pcapng, and `watch -i lo` live.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
PCAP_DIR=$HC_ROOT/tests/pcap
VECTORS=$HC_ROOT/../shared/vectors
MANGLE=$PCAP_DIR/mangle.py
cd "$HC_ROOT" || exit 2

# The events as comparable lines: what was seen, not when or on which ports.
events() { # heartcheck pcap arguments...
    timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json "$@" 2>/dev/null |
        jq -c 'select(.type=="pcap_event") |
               [.kind, .bytes_requested, .payload_sent, .bytes_leaked, .direction]'
}

capture_path() {
    case $1 in
    vectors/*) echo "$VECTORS/${1#vectors/}" ;;
    *) echo "$PCAP_DIR/$1" ;;
    esac
}

# ---- golden outputs ----

golden() {
    local name capture opts path expected got rc
    while read -r name capture opts; do
        case $name in '#'* | '') continue ;; esac
        path=$(capture_path "$capture")
        [ "$opts" = "-" ] && opts=
        expected=$PCAP_DIR/expected/$name.out
        # shellcheck disable=SC2086 # options are words
        got=$(
            cd "$(dirname "$path")" && timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap $opts "$(basename "$path")" 2>&1
            echo "exit $?"
        )
        if [ "${UPDATE:-0}" = 1 ]; then
            printf '%s\n' "$got" >"$expected"
        fi
        if [ "$got" = "$(cat "$expected" 2>/dev/null)" ]; then
            ok "golden $name"
        else
            fail "golden $name" "$(diff <(printf '%s\n' "$got") "$expected" | head -10)"
        fi
    done <"$PCAP_DIR/TESTLIST"
}

# ---- the same events, however the capture is written ----

mangled() {
    local f base m got modes="raw null loop sll sll2 vlan qinq ipv6 frag4 frag6 split reorder dup overlap starttls dtls"
    for f in "$VECTORS"/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap \
        "$VECTORS"/openssl-1.0.1f-client_tls12_zero-leak-probe.pcap; do
        base=$(events "$f")
        # The client-side capture (a server attacking its client) in the TCP and DTLS ways.
        case $f in *client*) modes="split reorder overlap starttls dtls" ;; esac
        for m in $modes; do
            if ! python3 "$MANGLE" "$m" "$f" "$WORK/m.pcap" 7; then
                fail "mangle $m $(basename "$f")" "mangle.py failed"
                continue
            fi
            got=$(events "$WORK/m.pcap")
            if [ -n "$base" ] && [ "$got" = "$base" ]; then
                ok "$m: $(basename "$f")"
            else
                fail "$m: $(basename "$f")" "$(diff <(echo "$base") <(echo "$got") | head -6)"
            fi
        done
    done
    editcap -F pcapng "$VECTORS/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap" "$WORK/n.pcapng" &&
        [ "$(events "$WORK/n.pcapng")" = "$(events "$VECTORS/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap")" ] &&
        ok "pcapng" || fail "pcapng" "other events than the pcap"
    got=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json - <"$VECTORS/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap" |
        jq -r 'select(.type=="pcap_event") | .source' | sort -u)
    [ "$got" = "(stdin)" ] && ok "standard input" || fail "standard input" "source '$got'"
}

# Each capture cut to several snap lengths: never a crash; from 128 bytes on (all headers
# and the heartbeat header kept) the events are the same.
snaplens() {
    local f base s got rc
    for f in "$VECTORS"/*.pcap; do
        base=$(events "$f")
        for s in 64 128 1514; do
            editcap -s "$s" "$f" "$WORK/s.pcap" >/dev/null 2>&1 || { fail "editcap -s $s" "failed"; continue; }
            timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json "$WORK/s.pcap" >"$WORK/s.out" 2>&1
            rc=$?
            got=$(jq -c 'select(.type=="pcap_event") |
                         [.kind, .bytes_requested, .payload_sent, .bytes_leaked, .direction]' \
                "$WORK/s.out" 2>/dev/null)
            if [ "$rc" -gt 2 ]; then
                fail "snaplen $s $(basename "$f")" "exit $rc"
            elif [ "$s" -ge 128 ] && [ "$got" != "$base" ]; then
                fail "snaplen $s $(basename "$f")" "$(diff <(echo "$base") <(echo "$got") | head -4)"
            else
                ok "snaplen $s $(basename "$f")"
            fi
        done
    done
}

# ---- hostile captures ----

hostile() {
    local src=$VECTORS/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap name out rc
    python3 - "$src" "$WORK" <<'EOF'
import struct, sys
src, work = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
hdr, body = data[:24], data[24:]
def w(name, b):
    open(f"{work}/h-{name}.pcap", "wb").write(b)
def rec(frame, caplen=None, wirelen=None):
    return struct.pack("<IIII", 1, 0, len(frame) if caplen is None else caplen,
                       len(frame) if wirelen is None else wirelen) + frame
eth = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00"
w("empty", b"")
w("bad-magic", b"\xde\xad\xbe\xef" + data[4:])
w("header-only", hdr)
w("cut-header", hdr[:13])
w("cut-record-header", data[:24 + 9])
w("cut-mid-frame", data[: len(data) // 2])
w("giant-snaplen", hdr[:16] + struct.pack("<I", 0xFFFFFFF0) + hdr[20:] + body)
w("huge-caplen", hdr + rec(b"x" * 64, caplen=0x7FFFFFF0))
w("zero-length", hdr + rec(b"") * 50 + body)
w("link-unknown", hdr[:20] + struct.pack("<I", 147) + body)
bad_ip = [
    eth + bytes([0x4F, 0, 0, 40]) + b"\0" * 36,                       # IHL 60, 40 bytes
    eth + bytes([0x43, 0, 0, 40]) + b"\0" * 36,                       # IHL 12 < 20
    eth + bytes([0x45, 0, 0xFF, 0xFF]) + b"\0" * 5 + b"\x06" + b"\0" * 26,  # total 65535
    eth + bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6]) + b"\0" * 10 + b"\0" * 12 + bytes([0xF0]) + b"\0" * 7,
    b"\x02" * 12 + b"\x86\xdd" + bytes([0x60]) + b"\0" * 5 + bytes([0, 64]) + b"\0" * 32 + bytes([0, 200]) + b"\0" * 6,
    b"\x02" * 12 + b"\x81\x00" * 20,                                  # VLAN tags without end
    eth[:12],                                                        # cut Ethernet
]
w("absurd-ip", hdr + b"".join(rec(f) for f in bad_ip * 20) + body)
frag = eth + bytes([0x45, 0, 0, 28, 0, 1, 0x20, 0, 64, 6, 0, 0]) + b"\x7f\0\0\1\x7f\0\0\1" + b"\0" * 8
w("fragments-only", hdr + b"".join(rec(frag[:18] + bytes([0x20 | (i >> 8 & 0x1F), i & 0xFF]) + frag[20:]) for i in range(3000)))
EOF
    for name in empty bad-magic header-only cut-header cut-record-header cut-mid-frame giant-snaplen \
        huge-caplen zero-length link-unknown absurd-ip fragments-only; do
        out=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap "$WORK/h-$name.pcap" 2>&1)
        rc=$?
        case $name in
        # The real frames after the bad ones still show the leak; libpcap takes a giant
        # snap length in the file header as its own maximum.
        zero-length | absurd-ip | giant-snaplen) want=1 ;;
        fragments-only | header-only) want=0 ;;
        *) want=2 ;; # cut-mid-frame: the attack is before the cut, the response after it
        esac
        if [ "$rc" -ne "$want" ]; then
            fail "hostile $name" "exit $rc, wanted $want: $(echo "$out" | tail -2)"
        elif [ "$want" -eq 2 ] && ! grep -q "heartcheck: " <<<"$out"; then
            fail "hostile $name" "no message: $out"
        elif [ "$name" = cut-mid-frame ] && ! grep -q "ends in the middle" <<<"$out"; then
            fail "hostile $name" "the cut is not reported: $out"
        else
            ok "hostile $name (exit $rc)"
        fi
    done
    out=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap "$WORK/does-not-exist.pcap" 2>&1)
    [ $? -eq 2 ] && grep -q "does-not-exist" <<<"$out" && ok "missing file" || fail "missing file" "$out"
    out=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap "$WORK" 2>&1)
    [ $? -eq 2 ] && ok "directory as capture" || fail "directory as capture" "$out"
    timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap >/dev/null 2>&1
    [ $? -eq 2 ] && ok "no file: usage error" || fail "no file: usage error" "not 2"
    timeout "$HC_RUN_LIMIT" "$HC_BIN" watch >/dev/null 2>&1
    [ $? -eq 2 ] && ok "watch without -i: usage error" || fail "watch without -i" "not 2"
    timeout "$HC_RUN_LIMIT" "$HC_BIN" watch -i lo 'this is not a filter' >"$WORK/w.out" 2>&1
    [ $? -eq 2 ] && grep -q "filter" "$WORK/w.out" && ok "watch: a bad filter is an error" ||
        fail "watch: bad filter" "$(cat "$WORK/w.out")"
    local cmd
    for cmd in pcap watch; do
        out=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" $cmd --help)
        [ $? -eq 0 ] && grep -q "Usage: heartcheck $cmd" <<<"$out" && ok "$cmd --help" ||
            fail "$cmd --help" "$out"
    done
}

# ---- --extract ----

extract() {
    local dir=$WORK/extract f mode size
    mkdir -p "$dir"
    timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --extract "$dir" \
        "$VECTORS/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap" >"$WORK/x.out" 2>&1
    f=$(find "$dir" -name '*-leak-*.bin' | head -1)
    if [ -z "$f" ]; then
        fail "extract" "no file: $(cat "$WORK/x.out")"
        return
    fi
    mode=$(stat -c %a "$f")
    size=$(stat -c %s "$f")
    [ "$mode" = 600 ] && [ "$size" = 16362 ] && ok "extract: 16362 bytes, mode 0600" ||
        fail "extract" "mode $mode size $size"
    # The leaked bytes never reach the terminal, and an existing name is never overwritten.
    if grep -q "$(head -c 12 "$f" | od -An -c | tr -d ' \n' | head -c 6)ZZ" "$WORK/x.out"; then
        fail "extract: nothing leaked printed" "leaked bytes in the output"
    fi
    rm -f "$f"
    ln -s "$WORK/target" "$f"
    timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --extract "$dir" \
        "$VECTORS/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap" >/dev/null 2>&1
    [ ! -e "$WORK/target" ] && ok "extract: a symbolic link is not followed" ||
        fail "extract: symlink" "followed"
    timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --extract "$WORK/nope" \
        "$VECTORS/openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap" >/dev/null 2>&1
    [ $? -eq 2 ] && ok "extract: missing directory is an error" || fail "extract: missing dir" "not 2"
}

# ---- recorded here ----

TCPDUMP_PID=
record_start() { # file, filter
    # Immediate mode: packets are written as they come, not when a kernel block fills.
    start_daemon "$WORK/tcpdump.log" tcpdump -i lo --immediate-mode -U -s 0 -w "$1" "$2"
    TCPDUMP_PID=$DAEMON_PID
    local i
    for ((i = 0; i < 50; i++)); do
        grep -q "listening on" "$WORK/tcpdump.log" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

record_stop() {
    sleep 0.5 # the last packets reach the capture
    stop_daemon "$TCPDUMP_PID"
}

scan_recorded() {
    local ver label rec got want
    if ! command -v tcpdump >/dev/null || [ ! -x "$VULNSERVER" ]; then
        skip "recorded scans" "tcpdump or vulnserver missing"
        return
    fi
    start_listener "$WORK/vs.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 --cert "$CERT_KEY" \
        --mode vulnerable || { fail "recorded scans" "vulnserver did not start"; return; }
    local port=$LISTEN_PORT vs=$DAEMON_PID
    for ver in ssl3 tls1.0 tls1.1 tls1.2; do
        rec=$WORK/rec-$ver.pcap
        record_start "$rec" "tcp port $port" || { fail "tcpdump $ver" "did not start"; continue; }
        timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q --max-version "$ver" "127.0.0.1:$port" >/dev/null
        timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q --leak 100 --max-version "$ver" "127.0.0.1:$port" >/dev/null
        record_stop
        got=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json "$rec" | jq -c 'select(.type=="pcap_event") | [.kind,.bytes_requested,.payload_sent,.bytes_leaked,.tls_version]')
        case $ver in ssl3) label=SSLv3 ;; tls1.0) label=TLSv1.0 ;; tls1.1) label=TLSv1.1 ;; tls1.2) label=TLSv1.2 ;; esac
        want=$(printf '%s\n' "[\"probe\",16381,16381,null,\"$label\"]" "[\"leak\",16381,16381,0,\"$label\"]" \
            "[\"attack\",16381,16281,null,\"$label\"]" "[\"leak\",16381,16281,100,\"$label\"]")
        [ "$got" = "$want" ] && ok "recorded $label: zero-leak probe and a 100-byte leak" ||
            fail "recorded $label" "$(diff <(echo "$want") <(echo "$got"))"
    done
    rec=$WORK/rec-64k.pcap
    record_start "$rec" "tcp port $port" && {
        timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q --leak 60000 "127.0.0.1:$port" >/dev/null
        record_stop
        got=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json "$rec" | jq -c 'select(.kind=="leak") | [.bytes_leaked, .response_records]')
        [ "$got" = "[60000,4]" ] && ok "recorded --leak 60000: 60000 bytes in 4 records" ||
            fail "recorded --leak 60000" "$got"
        # Live: the same attack seen by watch on the loopback interface.
        start_daemon "$WORK/watch.out" "$HC_BIN" watch -i lo --json "tcp port $port"
        local w=$DAEMON_PID
        sleep 1
        timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q --leak 1000 "127.0.0.1:$port" >/dev/null
        sleep 0.5
        kill -INT "$w" 2>/dev/null
        sleep 0.5
        stop_daemon "$w"
        got=$(jq -c 'select(.kind=="leak") | .bytes_leaked' "$WORK/watch.out" 2>/dev/null)
        [ "$got" = 1000 ] && grep -q pcap_summary "$WORK/watch.out" && ok "watch -i lo: a 1000-byte leak, then the summary" ||
            fail "watch -i lo" "$(head -c 300 "$WORK/watch.out")"
    }
    stop_daemon "$vs"
}

gnutls_recorded() {
    local rec=$WORK/gnutls.pcap port pr got
    if ! command -v gnutls-serv >/dev/null || ! command -v tcpdump >/dev/null; then
        skip "gnutls heartbeats" "gnutls-bin or tcpdump missing"
        return
    fi
    port=$(free_port)
    start_daemon "$WORK/gnutls-serv.log" gnutls-serv --heartbeat --echo -p "$port" \
        --x509certfile "$CERT" --x509keyfile "$KEY"
    local gs=$DAEMON_PID
    wait_for_port "$port" "$gs" || { fail "gnutls heartbeats" "gnutls-serv did not start"; return; }
    record_start "$rec" "tcp port $port" || { fail "gnutls heartbeats" "tcpdump"; return; }
    # TLS 1.3 has no heartbeats: 1.2 with AEAD, 1.2 with CBC, 1.0 with CBC. gnutls-cli sends a
    # heartbeat ping on the line **HEARTBEAT**.
    for pr in "NORMAL:-VERS-ALL:+VERS-TLS1.2" "NORMAL:-VERS-ALL:+VERS-TLS1.2:-AEAD" \
        "NORMAL:-VERS-ALL:+VERS-TLS1.0"; do
        (echo hello; sleep 0.3; echo "**HEARTBEAT**"; sleep 0.4; echo "**HEARTBEAT**"; sleep 0.4) |
            timeout 10 gnutls-cli --priority "$pr" --heartbeat --insecure -p "$port" 127.0.0.1 >/dev/null 2>&1
    done
    record_stop
    stop_daemon "$gs"
    got=$(tshark -r "$rec" -Y 'tls.record.content_type == 24' 2>/dev/null | wc -l)
    timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json "$rec" >"$WORK/gn.out" 2>&1
    local rc=$?
    if [ "$got" -ge 6 ] && [ "$rc" -eq 0 ] && ! grep -q pcap_event "$WORK/gn.out"; then
        ok "gnutls-cli/gnutls-serv: $got encrypted heartbeat records, no event"
    else
        fail "gnutls heartbeats" "records $got, exit $rc: $(head -c 300 "$WORK/gn.out")"
    fi
}

# After STARTTLS (smtp, in front of the test target) and over DTLS (vulndtls): the scanner's
# zero-leak probe and a 100-byte over-read, recorded here, read back as the same four events.
starttls_dtls_recorded() {
    local rec got want port server
    if ! command -v tcpdump >/dev/null || [ ! -x "$VULNSERVER" ] || [ ! -x "$HC_TARGETS/vulndtls" ]; then
        fail "recorded STARTTLS and DTLS scans" "tcpdump, vulnserver or vulndtls missing"
        return
    fi
    if start_listener "$WORK/vs-smtp.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
        --cert "$CERT_KEY" --mode vulnerable --starttls smtp; then
        port=$LISTEN_PORT server=$DAEMON_PID
        rec=$WORK/rec-smtp.pcap
        if record_start "$rec" "tcp port $port"; then
            timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q --starttls smtp "127.0.0.1:$port" >/dev/null
            timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q --starttls smtp --leak 100 "127.0.0.1:$port" >/dev/null
            record_stop
            got=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json "$rec" | jq -c 'select(.type=="pcap_event") | [.kind,.bytes_requested,.payload_sent,.bytes_leaked,.tls_version]')
            want=$(printf '%s\n' '["probe",16381,16381,null,"TLSv1.2"]' '["leak",16381,16381,0,"TLSv1.2"]' \
                '["attack",16381,16281,null,"TLSv1.2"]' '["leak",16381,16281,100,"TLSv1.2"]')
            [ "$got" = "$want" ] && ok "recorded after SMTP STARTTLS: zero-leak probe and a 100-byte leak" ||
                fail "recorded after SMTP STARTTLS" "$(diff <(echo "$want") <(echo "$got"))"
        else
            fail "recorded after SMTP STARTTLS" "tcpdump did not start"
        fi
        stop_daemon "$server"
    else
        fail "recorded after SMTP STARTTLS" "vulnserver did not start"
    fi
    if start_listener "$WORK/vd.log" "$HC_TARGETS/vulndtls" --port 0 --addr 127.0.0.1 \
        --cert "$CERT_KEY" --mode vulnerable; then
        port=$LISTEN_PORT server=$DAEMON_PID
        rec=$WORK/rec-dtls.pcap
        if record_start "$rec" "udp port $port"; then
            timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q "dtls://127.0.0.1:$port" >/dev/null
            timeout "$HC_RUN_LIMIT" "$HC_BIN" scan -q --leak 100 "dtls://127.0.0.1:$port" >/dev/null
            record_stop
            got=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" pcap --json "$rec" | jq -c 'select(.type=="pcap_event") | [.kind,.bytes_requested,.payload_sent,.bytes_leaked,.transport]')
            want=$(printf '%s\n' '["probe",16365,16365,null,"udp"]' '["leak",16365,16365,0,"udp"]' \
                '["attack",16365,16265,null,"udp"]' '["leak",16365,16265,100,"udp"]')
            [ "$got" = "$want" ] && ok "recorded DTLS: zero-leak probe (16365) and a 100-byte leak" ||
                fail "recorded DTLS" "$(diff <(echo "$want") <(echo "$got"))"
        else
            fail "recorded DTLS" "tcpdump did not start"
        fi
        stop_daemon "$server"
    else
        fail "recorded DTLS" "vulndtls did not start"
    fi
}

make_cert || { fail setup "cannot make a certificate"; summary; exit 1; }
t0=$SECONDS; golden; note "golden $((SECONDS-t0))s"
t0=$SECONDS; mangled; note "mangled $((SECONDS-t0))s"
t0=$SECONDS; snaplens; note "snaplens $((SECONDS-t0))s"
t0=$SECONDS; hostile; note "hostile $((SECONDS-t0))s"
extract
t0=$SECONDS; scan_recorded; note "scan $((SECONDS-t0))s"
t0=$SECONDS; gnutls_recorded; note "gnutls $((SECONDS-t0))s"
t0=$SECONDS; starttls_dtls_recorded; note "starttls/dtls $((SECONDS-t0))s"
summary
