# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the scripts that source it
# Shared helpers for the integration tests; source it, do not run it.
#
# Gives: a temporary work dir (removed on exit), a throw-away certificate, free ports,
# bounded waits, background servers that are always stopped (trap on EXIT/INT/TERM), and
# "ok - NAME" / "FAIL - NAME: ..." counters closed by the exact line "N passed, N failed".
#
# Every server a test starts listens on 127.0.0.1 or ::1 only, and every scan goes to one of
# those servers: no test sends traffic anywhere else.

set -u

HC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HC_BIN=${HC_BIN:-$HC_ROOT/build/heartcheck}
HC_TARGETS=${HC_TARGETS:-$HC_ROOT/build/targets}
VULNSERVER=$HC_TARGETS/vulnserver
HOSTILE=$HC_TARGETS/hostile
# Hard bound on any single heartcheck run (seconds): a hang fails the test instead of the suite.
HC_RUN_LIMIT=${HC_RUN_LIMIT:-30}

PASS=0
FAIL=0
SKIP=0
DAEMON_PIDS=()

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hc-integ.XXXXXX")
CERT=$WORK/cert.pem
KEY=$WORK/key.pem
CERT_KEY=$WORK/cert-key.pem # certificate followed by its key, for servers that take one file

# ---- counters ----

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1: $2"; }
skip() { SKIP=$((SKIP + 1)); echo "skip - $1: $2"; }
note() { echo "# $*"; }

# Prints the closing line and returns non-zero when something failed.
summary() {
    echo "${PASS} passed, ${FAIL} failed"
    [ "$FAIL" -eq 0 ]
}

# ---- processes ----

stop_daemon() { # pid: TERM its process group, wait up to 3 s, then KILL it
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    # Children left in the group (nginx workers, forked handlers) go too.
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

stop_all() {
    local pid
    for pid in "${DAEMON_PIDS[@]}"; do
        stop_daemon "$pid"
    done
    DAEMON_PIDS=()
}

cleanup() {
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_daemon LOG CMD ARGS...: runs CMD in the background in its own session (so the
# process group can be stopped as a whole), stdout+stderr to LOG. Sets DAEMON_PID.
DAEMON_PID=
start_daemon() {
    local log=$1
    shift
    setsid "$@" >"$log" 2>&1 </dev/null &
    DAEMON_PID=$!
    DAEMON_PIDS+=("$DAEMON_PID")
}

# start_listener LOG CMD ARGS...: starts a server that prints "listening on PORT" when ready
# (vulnserver, hostile); waits up to 10 s for it. Sets DAEMON_PID and LISTEN_PORT.
LISTEN_PORT=
start_listener() {
    local log=$1 i line
    LISTEN_PORT=
    start_daemon "$@"
    for ((i = 0; i < 100; i++)); do
        line=$(grep -m1 -oE 'listening on [0-9]+' "$log" 2>/dev/null)
        if [ -n "$line" ]; then
            LISTEN_PORT=${line##* }
            return 0
        fi
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "# server did not start: $*" >&2
    sed 's/^/#   /' "$log" >&2
    return 1
}

# ---- ports ----

port_in_use() { # port: anything listening on it (any address)?
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# Prints a TCP port nobody listens on (on 127.0.0.1 and ::1). Bounded: 50 tries.
free_port() {
    local i p
    for ((i = 0; i < 50; i++)); do
        p=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null) ||
            p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        [ -n "$p" ] || continue
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# wait_for_port PORT PID [SECONDS]: waits until PID (or a process of its group) listens on
# PORT — not merely someone: another test on this machine may own a port we thought free.
wait_for_port() {
    local port=$1 pid=$2 secs=${3:-10} i
    for ((i = 0; i < secs * 10; i++)); do
        if ss -Hltnp "sport = :$port" 2>/dev/null | grep -qE "pid=($pid|$(pgrep -g "$pid" -d '|' 2>/dev/null || echo "$pid")),"; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# ---- nginx ----

# start_nginx DIR WORKERS TLS_PORT [HTTP_PORT]: nginx as a foreground daemon with everything
# (pid, logs, temp files) under DIR, TLS with $CERT/$KEY on 127.0.0.1:TLS_PORT and, when given,
# plain HTTP on 127.0.0.1:HTTP_PORT. Sets DAEMON_PID like start_daemon.
start_nginx() {
    local ngx=$1 workers=$2 ptls=$3 phttp=${4:-}
    mkdir -p "$ngx/logs" "$ngx/tmp"
    {
        [ "$(id -u)" -eq 0 ] && echo "user root;"
        cat <<EOF
worker_processes $workers;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log;
events { worker_connections 64; }
http {
    access_log $ngx/logs/access.log;
    client_body_temp_path $ngx/tmp/body;
    proxy_temp_path $ngx/tmp/proxy;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    server {
        listen 127.0.0.1:$ptls ssl;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        location / { return 200 "tls ok\n"; }
    }
EOF
        if [ -n "$phttp" ]; then
            cat <<EOF
    server {
        listen 127.0.0.1:$phttp;
        location / { return 200 "plain ok\n"; }
    }
EOF
        fi
        echo "}"
    } >"$ngx/nginx.conf"
    start_daemon "$WORK/nginx.log" nginx -p "$ngx" -e "$ngx/logs/error.log" -c "$ngx/nginx.conf" \
        -g 'daemon off;'
}

# ---- certificate ----

make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
        -keyout "$KEY" -out "$CERT" >/dev/null 2>&1 || return 1
    cat "$CERT" "$KEY" >"$CERT_KEY"
}

cert_sha256() { # pem file: lower-case hex SHA-256 of its DER
    openssl x509 -in "$1" -outform der | sha256sum | cut -d' ' -f1
}

# ---- scanning ----

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# run_scan ARGS...: heartcheck scan --json --timeout 5 ARGS (later options override).
# Sets SCAN_OUT (stdout), SCAN_ERR (stderr), SCAN_RC, SCAN_MS (wall time), SCAN_JSON (first line).
SCAN_OUT='' SCAN_ERR='' SCAN_RC='' SCAN_MS='' SCAN_JSON=''
run_scan() {
    run_cmd timeout -k 2 "$HC_RUN_LIMIT" "$HC_BIN" scan --json --timeout 5 "$@"
}

run_cmd() { # CMD ARGS...: like run_scan for any command line
    local t0 t1
    t0=$(ms_now)
    "$@" >"$WORK/scan.out" 2>"$WORK/scan.err" </dev/null
    SCAN_RC=$?
    t1=$(ms_now)
    SCAN_MS=$((t1 - t0))
    SCAN_OUT=$(cat "$WORK/scan.out")
    SCAN_ERR=$(cat "$WORK/scan.err")
    SCAN_JSON=$(head -n 1 "$WORK/scan.out")
}

# jq over the last result line; prints the value (raw).
jqr() { jq -r "$1" <<<"$SCAN_JSON" 2>/dev/null; }

# check NAME EXPECTED_VERDICT TARGET [extra scan args...]
# Scans TARGET; passes when the one JSON line has .verdict == EXPECTED and a non-empty .reason.
# Returns 0 on pass, so callers may chain field checks (expect_jq) on the same result.
check() {
    local name=$1 want=$2 target=$3 got reason lines
    shift 3
    run_scan "$@" "$target"
    lines=$(printf '%s' "$SCAN_OUT" | grep -c .)
    if [ "$lines" -ne 1 ] || ! jq -e 'type == "object"' <<<"$SCAN_JSON" >/dev/null 2>&1; then
        fail "$name" "got $lines JSON lines, exit $SCAN_RC (stdout: $SCAN_OUT) (stderr: $SCAN_ERR)"
        return 1
    fi
    got=$(jqr .verdict)
    reason=$(jqr '.reason // ""')
    if [ "$got" != "$want" ]; then
        fail "$name" "got $got, want $want, exit $SCAN_RC ($SCAN_JSON)"
        return 1
    fi
    if [ -z "$reason" ]; then
        fail "$name" "got $got with an empty reason ($SCAN_JSON)"
        return 1
    fi
    ok "$name"
}

# expect_jq NAME FILTER: passes when jq -e FILTER holds on the last result line.
expect_jq() {
    local name=$1 filter=$2
    if jq -e "$filter" <<<"$SCAN_JSON" >/dev/null 2>&1; then
        ok "$name"
    else
        fail "$name" "expected $filter ($SCAN_JSON)"
    fi
}

# expect_eq NAME GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

require_bin() { # path: the suite cannot run without it
    if [ ! -x "$1" ]; then
        fail "setup" "missing $1 (build it with: flock /tmp/heartcheck-make.lock make)"
        summary
        exit 1
    fi
}

has_ipv6_loopback() {
    python3 -c 'import socket
s = socket.socket(socket.AF_INET6); s.bind(("::1", 0)); s.close()' 2>/dev/null
}
