#!/usr/bin/env bash
# heartcheck scan over DTLS (UDP): real servers (gnutls-serv --udp with and without
# --heartbeat, openssl s_server -dtls, -dtls1_2 and -dtls1) must be not_vulnerable, and the
# test target build/targets/vulndtls, which answers heartbeats like OpenSSL 1.0.1f's DTLS code
# (and exits with an assertion message when an answer would exceed 16384 bytes, as 1.0.1f
# aborts), must be vulnerable - and still running afterwards: the scanner never crashes a
# vulnerable DTLS server, --leak and --confirm included. Then patched and heartbeat-less
# targets, version fallback, lost datagrams, a fragmented flight, silence, a closed port, a
# mixed TCP/DTLS scan, and tshark's reading of the bytes heartcheck sends.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

VULNDTLS=$HC_TARGETS/vulndtls
require_bin "$HC_BIN"
require_bin "$VULNDTLS"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }

# A UDP port nobody uses on 127.0.0.1. Bounded: 50 tries.
free_udp_port() {
    local i p
    for ((i = 0; i < 50; i++)); do
        p=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1]); s.close()') || continue
        [ -z "$(ss -Hlun "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
    done
    return 1
}

# wait_for_udp PORT PID: until PID (or its group) has a UDP socket on PORT; 10 s at most.
wait_for_udp() {
    local port=$1 pid=$2 i
    for ((i = 0; i < 100; i++)); do
        if ss -Hlunp "sport = :$port" 2>/dev/null |
            grep -qE "pid=($pid|$(pgrep -g "$pid" -d '|' 2>/dev/null || echo "$pid")),"; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# vd LABEL ARGS...: vulndtls on a free loopback port; sets DAEMON_PID and LISTEN_PORT.
vd() {
    local label=$1
    shift
    start_listener "$WORK/vd-$label.log" "$VULNDTLS" --port 0 --addr 127.0.0.1 --cert "$CERT" "$@"
}

alive() { # NAME: the last vulndtls is still running, and never asserted
    if kill -0 "$DAEMON_PID" 2>/dev/null && ! grep -q "assertion failed" "$WORK"/vd-*.log; then
        ok "$1"
    else
        fail "$1" "vulndtls died: $(grep -h assertion "$WORK"/vd-*.log)"
    fi
}

claims_in_bound() { # NAME LOG: every heartbeat vulndtls saw claimed at most 16365
    local worst
    worst=$(grep -oE 'payload_length [0-9]+' "$2" | awk '{print $2}' | sort -n | tail -n 1)
    if [ -n "$worst" ] && [ "$worst" -le 16365 ]; then
        ok "$1"
    else
        fail "$1" "largest payload_length seen: '${worst:-none}'"
    fi
}

# ---- real servers: not vulnerable ----

real_server() { # NAME LOG CMD...: starts a UDP server on $PORT (set by the caller)
    local name=$1 log=$2
    shift 2
    start_daemon "$log" "$@"
    if ! wait_for_udp "$PORT" "$DAEMON_PID"; then
        fail "$name" "server did not start: $(head -c 400 "$log")"
        stop_daemon "$DAEMON_PID"
        return 1
    fi
}

if command -v gnutls-serv >/dev/null; then
    for hb in "" --heartbeat; do
        name="gnutls-serv --udp ${hb:-(no heartbeat)} -> not_vulnerable"
        PORT=$(free_udp_port)
        # shellcheck disable=SC2086 # $hb is empty or one word
        if real_server "$name" "$WORK/gnutls$hb.log" gnutls-serv --udp $hb -p "$PORT" \
            --x509certfile "$CERT" --x509keyfile "$KEY"; then
            if check "$name" not_vulnerable "dtls://127.0.0.1:$PORT" --timeout 3; then
                expect_jq "  gnutls-serv$hb: transport dtls, DTLSv1.2" \
                    '.transport == "dtls" and .tls_version == "DTLSv1.2"'
            fi
            stop_daemon "$DAEMON_PID"
        fi
    done
else
    skip "gnutls-serv --udp" "gnutls-bin is not installed"
fi

for variant in "-dtls DTLSv1.2" "-dtls1_2 DTLSv1.2" "-dtls1 DTLSv1.0"; do
    read -r flag vname <<<"$variant"
    name="openssl s_server $flag -> not_vulnerable"
    PORT=$(free_udp_port)
    # OpenSSL 3 signs DTLS 1.0 handshakes with SHA-1 only at security level 0.
    if real_server "$name" "$WORK/ossl$flag.log" openssl s_server "$flag" -accept "127.0.0.1:$PORT" \
        -cert "$CERT" -key "$KEY" -cipher 'DEFAULT:@SECLEVEL=0' -quiet; then
        if check "$name" not_vulnerable "127.0.0.1:$PORT" --udp; then
            expect_jq "  openssl $flag: $vname, alert unexpected_message, certificate" \
                ".tls_version == \"$vname\" and .alert.name == \"unexpected_message\" and
                 (.cert.subject | contains(\"CN=localhost\"))"
        fi
        stop_daemon "$DAEMON_PID"
    fi
done

# ---- the vulnerable target ----

if vd vuln --mode vulnerable; then
    if check "vulndtls vulnerable -> vulnerable" vulnerable "dtls://127.0.0.1:$LISTEN_PORT"; then
        expect_jq "  vulnerable: zero-leak probe of 16365 bytes, DTLSv1.2, exit 1" \
            ".probe.claimed_length == 16365 and .probe.sent_length == 16365 and
             .leaked_bytes == 0 and .tls_version == \"DTLSv1.2\" and .transport == \"dtls\" and
             .target == \"dtls://127.0.0.1:$LISTEN_PORT\" and $SCAN_RC == 1"
    fi
    alive "vulndtls vulnerable: still running after the probe"
    dump=$WORK/leak.bin
    if check "--leak 100 over DTLS -> vulnerable" vulnerable "127.0.0.1:$LISTEN_PORT" --udp \
        --leak 100 --dump "$dump"; then
        expect_jq "  --leak 100: 100 bytes leaked, claim 16365, 16265 sent" \
            '.leaked_bytes == 100 and .probe.claimed_length == 16365 and .probe.sent_length == 16265'
        if grep -aq "vulndtls-test-heap-secret" "$dump" 2>/dev/null; then
            ok "  --leak 100: the dump holds the fake heap"
        else
            fail "  --leak 100: the dump holds the fake heap" "$(head -c 200 "$dump" 2>/dev/null)"
        fi
    fi
    if check "--leak 65000 over DTLS -> vulnerable, capped" vulnerable \
        "127.0.0.1:$LISTEN_PORT" --udp --leak 65000; then
        expect_jq "  --leak 65000: capped to 16349 leaked, claim 16365" \
            '.leaked_bytes == 16349 and .probe.claimed_length == 16365 and .probe.sent_length == 16'
    fi
    check "--confirm over DTLS -> vulnerable" vulnerable "127.0.0.1:$LISTEN_PORT" --udp --confirm
    alive "vulndtls vulnerable: still running after --leak 100, --leak 65000, --confirm"
    claims_in_bound "vulndtls vulnerable: every claim <= 16365" "$WORK/vd-vuln.log"
    stop_daemon "$DAEMON_PID"
else
    fail "vulndtls vulnerable" "vulndtls did not start"
fi

# The target really aborts above the bound, like 1.0.1f: after a handshake, a heartbeat of
# 16365 bytes claiming 16365 is answered, one of 16366 claiming 16366 ends it with the
# assertion. So "still running" above means the scanner stayed within the bound.
bare_probe() { # PORT CLAIM: a minimal DTLS 1.2 hello, its cookie, then one heartbeat
    python3 - "$1" "$2" <<'PY'
import socket, struct, sys
port, claim = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
s.settimeout(2)
seq = 0
def record(ctype, body):
    global seq
    r = struct.pack(">BHHHIH", ctype, 0xfefd, 0, seq >> 32, seq & 0xffffffff, len(body)) + body
    seq += 1
    return r
def hello(mseq, cookie):
    body = (b"\xfe\xfd" + bytes(32) + b"\x00" + bytes([len(cookie)]) + cookie +
            b"\x00\x02\x00\x2f\x01\x00")
    hs = struct.pack(">B", 1) + len(body).to_bytes(3, "big") + struct.pack(">H", mseq)
    hs += bytes(3) + len(body).to_bytes(3, "big") + body
    return record(22, hs)
s.send(hello(0, b""))
hvr = s.recv(65536)
cookie = hvr[13 + 12 + 3:13 + 12 + 3 + hvr[13 + 12 + 2]]
s.send(hello(1, cookie))
done = False
while not done:  # the flight ends with ServerHelloDone (type 14)
    d = s.recv(65536)
    done = b"\x0e\x00\x00\x00\x00\x03" in d
s.send(record(24, b"\x01" + struct.pack(">H", claim) + bytes(claim)))
try:
    print("answered" if s.recv(65536)[0] == 24 else "other")
except (socket.timeout, ConnectionRefusedError):
    print("nothing")
PY
}
if vd abort --mode vulnerable; then
    expect_eq "vulndtls answers a claim of 16365 after a handshake" \
        "$(bare_probe "$LISTEN_PORT" 16365 2>&1)" answered
    bare_probe "$LISTEN_PORT" 16366 >/dev/null 2>&1
    sleep 0.2
    if ! kill -0 "$DAEMON_PID" 2>/dev/null && grep -q "assertion failed" "$WORK/vd-abort.log"; then
        ok "vulndtls exits with the assertion on a claim of 16366, as 1.0.1f aborts"
    else
        fail "vulndtls exits with the assertion on a claim of 16366" "$(tail -n 3 "$WORK/vd-abort.log")"
    fi
    rm -f "$WORK/vd-abort.log" # its assertion is expected: alive() looks at the others
    stop_daemon "$DAEMON_PID"
fi

dtls_case() { # NAME WANT VULNDTLS-ARGS... -- SCAN-ARGS...
    local name=$1 want=$2 label
    shift 2
    local vargs=() sargs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do vargs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    sargs=("$@")
    label=$(printf '%s' "$name" | tr -c 'a-zA-Z0-9' '-')
    if ! vd "$label" "${vargs[@]}"; then
        fail "$name" "vulndtls did not start"
        return 1
    fi
    check "$name" "$want" "dtls://127.0.0.1:$LISTEN_PORT" "${sargs[@]}"
    local rc=$?
    return $rc
}

if dtls_case "vulndtls patched -> patched" patched --mode patched; then
    expect_jq "  patched: exit 0, nothing leaked" ".leaked_bytes == 0 and $SCAN_RC == 0"
fi
stop_daemon "$DAEMON_PID"
if dtls_case "vulndtls noheartbeat -> not_vulnerable" not_vulnerable --mode noheartbeat; then
    expect_jq "  noheartbeat: alert unexpected_message" '.alert.name == "unexpected_message"'
fi
stop_daemon "$DAEMON_PID"
if dtls_case "vulndtls DTLS 1.0 only (1.0.1f) -> vulnerable" vulnerable --dtls1.0-only; then
    expect_jq "  DTLS 1.0 only: DTLSv1.0 on the first socket" \
        '.tls_version == "DTLSv1.0" and .attempts == 1'
fi
alive "vulndtls DTLS 1.0 only: still running"
stop_daemon "$DAEMON_PID"
if dtls_case "DTLS 1.2 refused with protocol_version -> DTLS 1.0, vulnerable" vulnerable \
    --dtls1.0-only --newer alert; then
    expect_jq "  fallback on alert: DTLSv1.0, two sockets" '.tls_version == "DTLSv1.0" and .attempts == 2'
fi
stop_daemon "$DAEMON_PID"
if dtls_case "DTLS 1.2 ignored -> DTLS 1.0, patched" patched --mode patched --dtls1.0-only \
    --newer ignore; then
    expect_jq "  fallback on silence: DTLSv1.0, two sockets" '.tls_version == "DTLSv1.0" and .attempts == 2'
fi
stop_daemon "$DAEMON_PID"
dtls_case "lossy vulndtls (first 2 datagrams lost) -> vulnerable" vulnerable --drop 2
alive "lossy vulndtls: still running"
stop_daemon "$DAEMON_PID"
dtls_case "lossy vulndtls (first 3 datagrams lost), patched -> patched" patched --mode patched --drop 3
stop_daemon "$DAEMON_PID"
dtls_case "flight fragmented into 100-byte datagrams -> vulnerable" vulnerable --mtu 100
stop_daemon "$DAEMON_PID"
if dtls_case "silent UDP port -> unreachable" unreachable --silent -- --timeout 2; then
    expect_jq "  silent: 'no DTLS answer', exit 0" \
        ".reason | contains(\"no DTLS answer\")"
fi
stop_daemon "$DAEMON_PID"

PORT=$(free_udp_port)
if check "closed UDP port (ICMP port unreachable) -> unreachable" unreachable \
    "dtls://127.0.0.1:$PORT"; then
    expect_jq "  closed: refused at once" ".elapsed_ms < 2000 and (.reason | contains(\"refused\"))"
fi

# ---- one scan, both transports ----

if [ -x "$VULNSERVER" ] && vd mixed --mode vulnerable; then
    udp_port=$LISTEN_PORT
    udp_pid=$DAEMON_PID
    if start_listener "$WORK/vs-mixed.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
        --cert "$CERT_KEY" --mode patched; then
        run_scan "127.0.0.1:$LISTEN_PORT" "dtls://127.0.0.1:$udp_port"
        got=$(printf '%s\n' "$SCAN_OUT" | jq -rs 'map("\(.transport) \(.verdict)") | sort | join(",")')
        expect_eq "mixed scan: TCP target patched, DTLS target vulnerable" "$got" \
            "dtls vulnerable,tcp patched"
        stop_daemon "$DAEMON_PID"
    fi
    stop_daemon "$udp_pid"
fi

# ---- what tshark reads in heartcheck's datagrams ----

if command -v tshark >/dev/null && [ "$(id -u)" -eq 0 ] && vd tshark --mode patched; then
    pcap=$WORK/dtls.pcap
    start_daemon "$WORK/tshark.log" tshark -i lo -f "udp port $LISTEN_PORT" -w "$pcap"
    tshark_pid=$DAEMON_PID
    for ((i = 0; i < 50; i++)); do
        grep -q "Capture started\|Capturing on" "$WORK/tshark.log" && break
        sleep 0.1
    done
    sleep 0.5
    run_scan "dtls://127.0.0.1:$LISTEN_PORT"
    sleep 0.5
    stop_daemon "$tshark_pid"
    decoded=$(tshark -r "$pcap" -d "udp.port==$LISTEN_PORT,dtls" -T fields \
        -e dtls.handshake.type -e dtls.heartbeat_message.type -e _ws.malformed 2>/dev/null)
    expect_eq "tshark: ClientHello, HelloVerifyRequest, ClientHello with cookie, flight" \
        "$(printf '%s\n' "$decoded" | awk '{print $1}' | grep -E '^[0-9,]+$' | head -n 4 | tr '\n' ' ')" \
        "1 3 1 2,11,14 "
    if tshark -r "$pcap" -d "udp.port==$LISTEN_PORT,dtls" 2>/dev/null | grep -q "Heartbeat"; then
        ok "tshark: heartbeat requests and responses decoded"
    else
        fail "tshark: heartbeat requests and responses decoded" "$(tshark -r "$pcap" 2>&1 | head)"
    fi
    if tshark -r "$pcap" -d "udp.port==$LISTEN_PORT,dtls" 2>/dev/null | grep -qi malformed; then
        fail "tshark: nothing malformed" "$(tshark -r "$pcap" -d "udp.port==$LISTEN_PORT,dtls" | grep -i malformed | head -3)"
    else
        ok "tshark: nothing malformed"
    fi
    stop_daemon "$DAEMON_PID"
else
    skip "tshark decoding" "tshark missing or not root"
fi

summary
