#!/usr/bin/env bash
# heartcheck scan --openvpn / --openvpn-udp: TLS inside OpenVPN's control channel.
# - Debian's openvpn (OpenSSL 3) on loopback, peer-to-peer TLS server on "--dev null" (no tun
#   device needed: the tests never get past the TLS handshake): not_vulnerable, its session
#   ended on the heartbeat; the same with --tls-auth and --tls-crypt: inconclusive, protected.
#   Where a tun device works, also a multi-client server (--mode server).
# - build/targets/vulnserver --openvpn tcp|udp (OpenSSL 1.0.1f / 1.0.1g / no heartbeats
#   behind OpenVPN framing): vulnerable / patched / not_vulnerable.
# - With tshark: Wireshark's OpenVPN dissector reads our packets without a malformed one.
# Over UDP the same servers run when this build's engine has a UDP path (the DTLS work);
# until then those cases are skipped and say so.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
require_bin "$VULNSERVER"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }
if ! command -v openvpn >/dev/null 2>&1; then
    fail setup "openvpn is not installed (scripts/install-deps.sh installs it)"
    summary
    exit 1
fi
openvpn --genkey secret "$WORK/ta.key" >/dev/null 2>&1 ||
    openvpn --genkey --secret "$WORK/ta.key" >/dev/null 2>&1 # OpenVPN 2.4 spelling

PROTECTED="tls-auth or tls-crypt protects the control channel"

# wait_for_udp PORT PID: like wait_for_port, for a UDP socket.
wait_for_udp() {
    local port=$1 pid=$2 i
    for ((i = 0; i < 100; i++)); do
        ss -Hlunp "sport = :$port" 2>/dev/null | grep -q "pid=$pid," && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# ovpn_server NAME PROTO PORT [extra openvpn args]: a peer-to-peer TLS server on 127.0.0.1,
# without a tunnel device; sets DAEMON_PID. PROTO: tcp-server or udp.
ovpn_server() {
    local name=$1 proto=$2 port=$3
    shift 3
    start_daemon "$WORK/openvpn-$name.log" openvpn --tls-server --proto "$proto" \
        --local 127.0.0.1 --lport "$port" --dev null --ca "$CERT" --cert "$CERT" --key "$KEY" \
        --dh none --verb 3 "$@"
    if [ "$proto" = udp ]; then
        wait_for_udp "$port" "$DAEMON_PID"
    else
        wait_for_port "$port" "$DAEMON_PID" 10
    fi
}

# The default port is OpenVPN's.
run_cmd "$HC_BIN" scan --openvpn --dry-run 127.0.0.1 127.0.0.2:555
expect_eq "--openvpn: addresses without a port get 1194" "$SCAN_OUT" "127.0.0.1:1194
127.0.0.2:555"

# ---- real OpenVPN over TCP ----
p=$(free_port)
capture=
if command -v tshark >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    capture=$WORK/openvpn-tcp.pcap
    start_daemon "$WORK/tshark.log" tshark -q -i lo -f "tcp port $p" -w "$capture"
    tshark_pid=$DAEMON_PID
    for ((i = 0; i < 50; i++)); do
        grep -q "Capturing on" "$WORK/tshark.log" 2>/dev/null && break
        sleep 0.1
    done
    if ! grep -q "Capturing on" "$WORK/tshark.log" 2>/dev/null; then
        note "tshark cannot capture here: $(tail -n 1 "$WORK/tshark.log")"
        stop_daemon "$tshark_pid"
        capture=
    fi
fi
if ovpn_server tcp tcp-server "$p"; then
    if check "openvpn (OpenSSL 3) over TCP -> not_vulnerable" not_vulnerable "127.0.0.1:$p" --openvpn; then
        expect_jq "openvpn TCP: transport openvpn-tcp" '.transport == "openvpn-tcp"'
        expect_jq "openvpn TCP: the session ended on the heartbeat" \
            '(.reason | contains("ended the session")) and .probe.claimed_length == 16381'
        expect_jq "openvpn TCP: TLS 1.2 handshake through the control channel" \
            '.tls_version == "TLSv1.2" and (.cipher | startswith("TLS_"))'
        expect_jq "openvpn TCP: the server's certificate" ".cert.sha256 == \"$(cert_sha256 "$CERT")\""
    fi
    expect_eq "openvpn TCP: exit status 0" "$SCAN_RC" 0
    sleep 0.5 # the log line follows the close
    if grep -q "alert: unexpected_message" "$WORK/openvpn-tcp.log"; then
        ok "openvpn TCP: its OpenSSL refused our heartbeat record (server log)"
    else
        fail "openvpn TCP: server log" "no unexpected_message alert: $(tail -n 5 "$WORK/openvpn-tcp.log")"
    fi
    stop_daemon "$DAEMON_PID"
else
    fail "openvpn over TCP" "server did not start: $(tail -n 5 "$WORK/openvpn-tcp.log")"
fi
if [ -n "$capture" ]; then
    stop_daemon "$tshark_pid"
    fields=$(tshark -r "$capture" -d "tcp.port==$p,openvpn" -T fields -e openvpn.type 2>/dev/null |
        sort -u | tr '\n' ' ')
    malformed=$(tshark -r "$capture" -d "tcp.port==$p,openvpn" -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null | grep -c .)
    # 0x38: P_CONTROL_HARD_RESET_CLIENT_V2, 0x40: ..._SERVER_V2, 0x20: P_CONTROL_V1, 0x28: P_ACK_V1
    if [[ $fields == *0x38* && $fields == *0x40* && $fields == *0x20* && $fields == *0x28* ]] &&
        [ "$malformed" -eq 0 ]; then
        ok "tshark's OpenVPN dissector reads every packet (opcodes: $fields)"
    else
        fail "tshark's OpenVPN dissector" "opcodes: $fields; malformed or errors: $malformed"
    fi
else
    skip "tshark check" "needs tshark and root to capture on lo"
fi

# ---- a multi-client server ("--mode server"): it needs a tun device, skipped without ----
p=$(free_port)
if [ -c /dev/net/tun ] && ovpn_server multi tcp-server "$p" --mode server --dev tun \
    --server 10.231.0.0 255.255.255.0 --topology subnet; then
    check "openvpn --mode server over TCP -> not_vulnerable" not_vulnerable "127.0.0.1:$p" --openvpn &&
        expect_jq "openvpn --mode server: TLS 1.2 through the control channel" \
            '.tls_version == "TLSv1.2" and .transport == "openvpn-tcp"'
    stop_daemon "$DAEMON_PID"
else
    skip "openvpn --mode server" "no usable tun device: $(tail -n 1 "$WORK/openvpn-multi.log" 2>/dev/null)"
fi

# ---- tls-auth and tls-crypt: a plain hard reset gets no answer ----
for wrap in "tls-auth:--tls-auth $WORK/ta.key 0" "tls-crypt:--tls-crypt $WORK/ta.key"; do
    name=${wrap%%:*}
    read -ra args <<<"${wrap#*:}"
    p=$(free_port)
    if ovpn_server "$name" tcp-server "$p" "${args[@]}"; then
        check "openvpn --$name over TCP -> inconclusive" inconclusive "127.0.0.1:$p" --openvpn &&
            expect_jq "openvpn --$name: protected, in words" ".reason | contains(\"$PROTECTED\")" &&
            expect_jq "openvpn --$name: one connection, no version fallback" '.attempts == 1'
        expect_eq "openvpn --$name: exit status 3" "$SCAN_RC" 3
        stop_daemon "$DAEMON_PID"
    else
        fail "openvpn --$name" "server did not start: $(tail -n 5 "$WORK/openvpn-$name.log")"
    fi
done

# ---- the vulnerable test target behind OpenVPN framing ----
for mv in "vulnerable vulnerable" "patched patched" "noheartbeat not_vulnerable"; do
    read -r mode want <<<"$mv"
    if start_listener "$WORK/vs-$mode.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
        --cert "$CERT_KEY" --mode "$mode" --openvpn tcp; then
        check "vulnserver --openvpn tcp, $mode -> $want" "$want" "127.0.0.1:$LISTEN_PORT" --openvpn &&
            expect_jq "vulnserver --openvpn tcp, $mode: transport openvpn-tcp" \
                '.transport == "openvpn-tcp"'
        stop_daemon "$DAEMON_PID"
    else
        fail "vulnserver --openvpn tcp, $mode" "did not start"
    fi
done
# Plain TLS without the framing is no OpenVPN server.
if start_listener "$WORK/vs-plain.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
    --cert "$CERT_KEY" --mode vulnerable; then
    run_scan --openvpn "127.0.0.1:$LISTEN_PORT"
    got=$(jqr .verdict)
    if [ "$got" != vulnerable ] && [ "$got" != not_vulnerable ] && [ "$got" != patched ]; then
        ok "plain TLS scanned with --openvpn: no verdict on the heartbeat ($got)"
    else
        fail "plain TLS scanned with --openvpn" "got $got ($SCAN_JSON)"
    fi
    stop_daemon "$DAEMON_PID"
fi

# ---- valgrind: one --openvpn scan of several targets, no memory errors nor leaks ----
if command -v valgrind >/dev/null 2>&1; then
    declare -A want=()
    targets=()
    for mv in "vulnerable vulnerable" "patched patched" "noheartbeat not_vulnerable"; do
        read -r mode verdict <<<"$mv"
        if start_listener "$WORK/vg-$mode.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
            --cert "$CERT_KEY" --mode "$mode" --openvpn tcp; then
            targets+=("127.0.0.1:$LISTEN_PORT")
            want[127.0.0.1:$LISTEN_PORT]=$verdict
        fi
    done
    p=$(free_port)
    if ovpn_server vg-tls-auth tcp-server "$p" --tls-auth "$WORK/ta.key" 0; then
        targets+=("127.0.0.1:$p")
        want[127.0.0.1:$p]=inconclusive
    fi
    run_cmd timeout -k 2 120 valgrind -q --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        "$HC_BIN" scan --json --openvpn --timeout 10 "${targets[@]}"
    if [ "$SCAN_RC" -eq 99 ] || [ "$SCAN_RC" -ge 124 ]; then
        fail "valgrind --openvpn: no memory errors, no leaks" "exit $SCAN_RC: $(tail -n 40 "$WORK/scan.err")"
    else
        ok "valgrind --openvpn: no memory errors, no leaks (${#targets[@]} targets, ${SCAN_MS} ms)"
    fi
    for t in "${targets[@]}"; do
        got=$(jq -r --arg t "$t" 'select(.target == $t) | .verdict' <<<"$SCAN_OUT" 2>/dev/null)
        expect_eq "valgrind --openvpn: $t -> ${want[$t]}" "$got" "${want[$t]}"
    done
    stop_all
else
    skip "valgrind --openvpn" "valgrind is not installed"
fi

# ---- over UDP ----
run_cmd "$HC_BIN" scan --openvpn-udp --dry-run 127.0.0.1:1
if [ "$SCAN_RC" -ne 0 ]; then
    fail "openvpn over UDP" "--openvpn-udp refused: $SCAN_ERR"
else
    p=$(free_port)
    if ovpn_server udp udp "$p"; then
        check "openvpn (OpenSSL 3) over UDP -> not_vulnerable" not_vulnerable "127.0.0.1:$p" \
            --openvpn-udp &&
            expect_jq "openvpn UDP: transport openvpn-udp, TLS 1.2" \
                '.transport == "openvpn-udp" and .tls_version == "TLSv1.2"'
        stop_daemon "$DAEMON_PID"
    else
        fail "openvpn over UDP" "server did not start: $(tail -n 5 "$WORK/openvpn-udp.log")"
    fi
    for mv in "vulnerable vulnerable" "patched patched" "noheartbeat not_vulnerable"; do
        read -r mode want <<<"$mv"
        if start_listener "$WORK/vsu-$mode.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
            --cert "$CERT_KEY" --mode "$mode" --openvpn udp; then
            check "vulnserver --openvpn udp, $mode -> $want" "$want" "127.0.0.1:$LISTEN_PORT" \
                --openvpn-udp &&
                expect_jq "vulnserver --openvpn udp, $mode: transport openvpn-udp" \
                    '.transport == "openvpn-udp"'
            stop_daemon "$DAEMON_PID"
        else
            fail "vulnserver --openvpn udp, $mode" "did not start"
        fi
    done
    p=$(free_port)
    if ovpn_server udp-tls-auth udp "$p" --tls-auth "$WORK/ta.key" 0; then
        check "openvpn --tls-auth over UDP -> inconclusive" inconclusive "127.0.0.1:$p" \
            --openvpn-udp --timeout 3 &&
            expect_jq "openvpn --tls-auth over UDP: protected" ".reason | contains(\"$PROTECTED\")"
        stop_daemon "$DAEMON_PID"
    else
        fail "openvpn --tls-auth over UDP" "server did not start"
    fi
fi

summary
