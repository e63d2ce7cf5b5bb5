#!/usr/bin/env bash
# heartcheck clients against real TLS clients from Debian (openssl s_client 3.x, gnutls-cli
# --heartbeat, curl, wget, git, psql, the mariadb client, swaks) - each must be judged
# not_vulnerable or patched - and against build/targets/vulnclient, an OpenSSL 1.0.1f-like
# client: vulnerable over plain TLS, IPv6 and behind every prelude, patched with the 1.0.1g
# fix, not_vulnerable without heartbeats. Then hostile clients (garbage, an SSLv2 hello, a
# slow sender, a flood of 200 connections) while a vulnerable client must still be judged
# at once, and one run under valgrind. Every listener is on loopback, on a free port, and
# every client is started by heartcheck itself (--exec) or by this script.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

VULNCLIENT=$HC_TARGETS/vulnclient
require_bin "$HC_BIN"
require_bin "$VULNCLIENT"
# A certificate from lib.sh for most runs (an RSA key made per run costs up to a second);
# the first run makes its own, as the tool does by default.
CERT_OPTS=()
make_cert && CERT_OPTS=(--cert "$CERT" --key "$KEY")

# clients_run NAME [OPTIONS...] -- runs `heartcheck clients --json` on a free port; sets
# RUN_OUT (JSON Lines), RUN_ERR, RUN_RC. {host}/{port}/{url} in --exec are heartcheck's.
clients_run() {
    local port
    port=$(free_port) || return 1
    RUN_OUT=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" clients --json -q -t 5 -l "127.0.0.1:$port" \
        "${CERT_OPTS[@]}" "$@" 2>"$WORK/clients.err")
    RUN_RC=$?
    RUN_ERR=$(head -c 600 "$WORK/clients.err")
}

# expect NAME RC JQ: the last run exited RC and every JSON line satisfies JQ (one at least).
expect() {
    local name=$1 rc=$2 filter=$3 lines
    lines=$(printf '%s\n' "$RUN_OUT" | grep -c .)
    if [ "$RUN_RC" -ne "$rc" ]; then
        fail "$name" "exit $RUN_RC, expected $rc ($(printf '%s' "$RUN_OUT" | jq -c '[.verdict, .reason]' 2>/dev/null | head -3)) (stderr: $RUN_ERR)"
    elif [ "$lines" -lt 1 ]; then
        fail "$name" "no verdict (stderr: $RUN_ERR)"
    elif ! printf '%s\n' "$RUN_OUT" | jq -e "$filter" >/dev/null 2>&1 ||
        printf '%s\n' "$RUN_OUT" | jq -e "($filter) | not" 2>/dev/null | grep -q true; then
        fail "$name" "$(printf '%s' "$RUN_OUT" | jq -c '[.verdict, .reason]' | head -3)"
    else
        ok "$name: $(printf '%s\n' "$RUN_OUT" | jq -r '.verdict' | sort -u | paste -sd, -)"
    fi
}

SAFE='.verdict == "not_vulnerable" or .verdict == "patched"'

# ---- the test target ----

saved=("${CERT_OPTS[@]}")
CERT_OPTS=()
clients_run --exec "$VULNCLIENT --connect {host}:{port} --mode vulnerable"
CERT_OPTS=("${saved[@]}")
expect "vulnclient vulnerable (TLS, self-signed certificate made at start)" 1 '.verdict == "vulnerable" and .leaked_bytes == 0 and .hello.heartbeat_extension and (.hello.ja3_hash | length) == 32 and .exec.exit_status == 0'
clients_run --exec "$VULNCLIENT --connect {host}:{port} --mode patched"
expect "vulnclient patched" 0 '.verdict == "patched"'
clients_run --exec "$VULNCLIENT --connect {host}:{port} --mode noheartbeat"
expect "vulnclient noheartbeat" 0 '.verdict == "not_vulnerable" and .alert.name == "unexpected_message"'
clients_run --leak 64 --dump "$WORK/leak.bin" --exec "$VULNCLIENT --connect {host}:{port}"
expect "vulnclient --leak 64" 1 '.verdict == "vulnerable" and .leaked_bytes == 64 and .probe.kind == "over-read"'
if [ "$(stat -c %a "$WORK/leak.bin" 2>/dev/null)" = 600 ] && grep -q vulnclient-secret "$WORK/leak.bin" &&
    ! printf '%s' "$RUN_OUT" | grep -q vulnclient-secret; then
    ok "--dump: leaked bytes in a 0600 file only"
else
    fail "--dump" "mode $(stat -c %a "$WORK/leak.bin" 2>/dev/null) or content wrong, or leaked in the output"
fi
if port=$(free_port) && RUN_OUT=$(timeout "$HC_RUN_LIMIT" "$HC_BIN" clients --json -q -t 5 \
    -l "[::1]:$port" --exec "$VULNCLIENT --connect [::1]:{port}" 2>/dev/null); then
    RUN_RC=0
else
    RUN_RC=$?
fi
expect "vulnclient over IPv6" 1 '.verdict == "vulnerable" and .ip == "::1"'

for proto in smtp lmtp imap pop3 ftp xmpp xmpp-server ldap postgres mysql nntp irc sieve; do
    clients_run --proto "$proto" --exec "$VULNCLIENT --connect {host}:{port} --starttls $proto"
    expect "vulnclient vulnerable behind --proto $proto" 1 ".verdict == \"vulnerable\" and .proto == \"$proto\""
done

if "$VULNCLIENT" --replay-pcap "$HC_ROOT/../shared/vectors/openssl-1.0.1f-client_tls12_zero-leak-probe.pcap" \
    >"$WORK/replay.out" 2>&1; then
    ok "vulnclient answers the capture's server bytes as OpenSSL 1.0.1f did"
elif [ ! -e "$HC_ROOT/../shared/vectors/openssl-1.0.1f-client_tls12_zero-leak-probe.pcap" ]; then
    skip "vulnclient capture replay" "shared/vectors not there"
else
    fail "vulnclient capture replay" "$(paste -sd';' "$WORK/replay.out")"
fi

# ---- real clients: none of them may be vulnerable ----

real() { # NAME BINARY OPTIONS...
    local name=$1 bin=$2
    shift 2
    if ! command -v "$bin" >/dev/null; then
        skip "$name" "$bin not installed (scripts/install-deps.sh)"
        return
    fi
    clients_run "$@"
    expect "$name" 0 "$SAFE"
}

real "openssl s_client" openssl --exec 'openssl s_client -connect {host}:{port} -servername client.test </dev/null'
real "openssl s_client -tls1" openssl --exec 'openssl s_client -tls1 -cipher DEFAULT@SECLEVEL=0 -connect {host}:{port} </dev/null'
real "gnutls-cli --heartbeat" gnutls-cli --exec 'gnutls-cli --heartbeat --insecure --port {port} {host} </dev/null'
real "curl" curl --exec 'curl -sk --max-time 5 {url}'
real "wget" wget --exec 'wget -q -t 1 -T 5 --no-check-certificate -O /dev/null {url}'
real "git clone" git --exec "GIT_SSL_NO_VERIFY=1 GIT_TERMINAL_PROMPT=0 git clone -q {url}repo.git $WORK/git-clone"
real "psql sslmode=require" psql --proto postgres \
    --exec 'psql "host={host} port={port} sslmode=require user=hc dbname=hc connect_timeout=5" -c "select 1"'
real "mariadb --ssl" mariadb --proto mysql --exec 'mariadb --ssl -h {host} -P {port} -u hc -phc -e "select 1"'
real "swaks STARTTLS" swaks --proto smtp \
    --exec 'swaks --to a@client.test --from b@client.test --server {host} --port {port} --tls --timeout 5'
if command -v openssl >/dev/null; then
    clients_run --exec 'openssl s_client -connect {host}:{port} </dev/null'
    expect "JA3 and offered versions recorded" 0 '(.hello.ja3 | startswith("771,")) and (.hello.offered_versions | index("TLSv1.2")) != null and .tls_version == "TLSv1.2"'
fi

# ---- hostile clients ----

port=$(free_port)
start_daemon "$WORK/hostile.log" "$HC_BIN" clients --json -t 2 --duration 8 --max-connections 64 \
    -l "127.0.0.1:$port"
hostile_pid=$DAEMON_PID
wait_for_port "$port" "$hostile_pid" || fail "hostile listener" "did not listen: $(head -c 300 "$WORK/hostile.log")"
python3 - "$port" >"$WORK/hostile.py.out" 2>&1 <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=3)
s = conn(); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.recv(100); s.close()
# An SSLv2-compatible CLIENT-HELLO (RFC 5246 appendix E.2) offering TLS 1.0.
body = bytes([1, 3, 1, 0, 3, 0, 0, 0, 16, 0, 0, 0x2f]) + bytes(16)
s = conn(); s.sendall(bytes([0x80 | (len(body) >> 8), len(body) & 0xff]) + body); s.recv(100); s.close()
slow = conn(); slow.sendall(b"\x16\x03")  # a slow sender, then nothing
flood = [conn() for _ in range(200)]
print("flood open")
time.sleep(5)
for f in flood:
    f.close()
slow.close()
EOF
pyrc=$?
sleep 0.3
# With 200 idle connections open (the cap refuses most), a vulnerable client is still judged.
t0=$(date +%s%N)
"$VULNCLIENT" --connect "127.0.0.1:$port" --timeout 5 >/dev/null 2>&1
t1=$(date +%s%N)
for ((i = 0; i < 100; i++)); do
    kill -0 "$hostile_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$hostile_pid" 2>/dev/null; then
    fail "hostile clients" "listener still running after --duration 8"
    stop_daemon "$hostile_pid"
fi
wait "$hostile_pid" 2>/dev/null
hrc=$?
log=$WORK/hostile.log
if [ "$pyrc" -ne 0 ]; then
    fail "hostile clients" "the hostile script failed: $(head -c 300 "$WORK/hostile.py.out")"
elif [ "$hrc" -ne 1 ]; then
    fail "hostile clients" "listener exit $hrc, expected 1 (stderr: $(grep -v '^{' "$log" | head -c 300))"
else
    ok "hostile clients: the listener survived and exited 1"
fi
grep -q '"verdict":"not_tls"' "$log" && ok "garbage -> not_tls" || fail "garbage" "no not_tls verdict"
grep -q '"sslv2_hello":true' "$log" && ok "SSLv2 hello recognised and refused" ||
    fail "SSLv2 hello" "no sslv2_hello verdict"
grep -q 'no complete ClientHello in 2s' "$log" && ok "slow sender cut at its deadline" ||
    fail "slow sender" "no deadline verdict"
grep -q 'refused over the limit of 64' "$log" && ok "flood capped at --max-connections" ||
    fail "flood" "no refused connections reported"
ms=$(((t1 - t0) / 1000000))
if grep -q '"verdict":"vulnerable"' "$log" && [ "$ms" -lt 2000 ]; then
    ok "vulnerable client judged during the flood (${ms} ms)"
else
    fail "vulnerable client during the flood" "${ms} ms, verdict: $(grep -c vulnerable "$log")"
fi

# ---- valgrind: a vulnerable client and garbage, no errors, no definite leaks ----

if command -v valgrind >/dev/null && [ -s "$KEY" ]; then
    port=$(free_port)
    timeout 60 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        "$HC_BIN" clients -q --json -t 3 --max-clients 2 -l "127.0.0.1:$port" --cert "$CERT" --key "$KEY" \
        --exec "$VULNCLIENT --connect {host}:{port}; printf 'junk\r\n\r\n' | timeout 2 python3 -c 'import socket,sys; s=socket.create_connection((\"{host}\",{port})); s.sendall(sys.stdin.buffer.read()); s.recv(10)'" \
        >"$WORK/vg.out" 2>"$WORK/vg.err"
    vrc=$?
    if [ "$vrc" -eq 1 ] && [ "$(grep -c '"verdict"' "$WORK/vg.out")" -ge 1 ]; then
        ok "valgrind clean (exit $vrc)"
    else
        fail "valgrind" "exit $vrc: $(head -c 600 "$WORK/vg.err")"
    fi
else
    skip valgrind "not installed, or no certificate"
fi

summary
