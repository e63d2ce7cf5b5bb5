# Shared by the scale tests (sourced): results, servers on many loopback addresses, cleanup.
# Every server is started here and stopped by the EXIT trap; every wait is bounded.
# shellcheck shell=bash
set -u
export LC_ALL=C
SCALE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HC_BIN=${HC_BIN:-$SCALE_ROOT/build/heartcheck}
VULNSERVER=${VULNSERVER:-$SCALE_ROOT/build/targets/vulnserver}
# shellcheck disable=SC2034 # used by the scripts that source this
LISTENER=$SCALE_ROOT/tests/scale/listener.py
# Hard bound on one heartcheck run, seconds.
SCALE_LIMIT=${SCALE_LIMIT:-600}

PASSED=0
FAILED=0
ok() {
    PASSED=$((PASSED + 1))
    echo "ok - $1"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $1${2:+: $2}"
}
summary() { echo "$PASSED passed, $FAILED failed"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hc-scale.XXXXXX") || exit 2
SERVER_PIDS=()
RUN_PID=
stop_pid() { # TERM, up to 5 s, then KILL
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
scale_cleanup() {
    [ -n "$RUN_PID" ] && stop_pid "$RUN_PID"
    local p
    for p in "${SERVER_PIDS[@]}"; do stop_pid "$p"; done
    SERVER_PIDS=()
    rm -rf "$WORK"
}
trap scale_cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# need_tools CMD...: fails (and explains) when one is missing.
need_tools() {
    local t missing=()
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    fail "setup" "missing: ${missing[*]} (build with make; Debian packages: jq python3 time)"
    return 1
}

make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
        -days 30 -subj /CN=localhost >/dev/null 2>&1
}

# start_server LABEL CMD...: CMD prints "listening on PORT"; sets PORT (10 s at most).
start_server() {
    local label=$1 log=$WORK/$1.log i
    shift
    : >"$log" # before the child opens it: the loop below reads it at once
    "$@" >"$log" 2>&1 &
    SERVER_PIDS+=($!)
    PORT=
    for ((i = 0; i < 100; i++)); do
        PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$log")
        [ -n "$PORT" ] && return 0
        kill -0 "${SERVER_PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    fail "start $label" "$(head -c 300 "$log")"
    return 1
}

# ip N: the Nth address from 127.0.0.0 (N < 2^24).
ip() { echo "127.$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"; }
# ip_num A.B.C.D
ip_num() {
    local a b c d
    IFS=. read -r a b c d <<<"$1"
    echo $(((a << 24 | b << 16 | c << 8 | d) & 0xffffff))
}

# targets FIRST LAST PORT EXPECTED: "ADDR:PORT EXPECTED" lines for the inclusive range.
targets() {
    local lo hi
    lo=$(ip_num "$1")
    hi=$(ip_num "$2")
    awk -v lo="$lo" -v hi="$hi" -v port="$3" -v want="$4" 'BEGIN {
        for (i = lo; i <= hi; i++)
            printf "127.%d.%d.%d:%d %s\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256, port, want
    }'
}

# >>> HC_TARGET_INPUT: how heartcheck gets its targets: args (command-line arguments, works
# today), il (`heartcheck scan -iL FILE`, the streaming target module), auto (il when
# `heartcheck scan --help` mentions -iL).
HC_TARGET_INPUT=${HC_TARGET_INPUT:-auto}
if [ "$HC_TARGET_INPUT" = auto ]; then
    HC_TARGET_INPUT=args
    "$HC_BIN" scan --help 2>&1 | grep -q -- '-iL' && HC_TARGET_INPUT=il
fi
# <<<

# scan OUT TARGET_FILE ARGS...: heartcheck scan --json ARGS on the targets of TARGET_FILE,
# JSON Lines to OUT, "WALL_S PEAK_RSS_KB" in OUT.time, exit status in OUT.rc; bounded by
# SCALE_LIMIT (timeout signals the whole process group).
scan() {
    local out=$1 file=$2
    shift 2
    local input=(-iL "$file")
    if [ "$HC_TARGET_INPUT" != il ]; then
        mapfile -t input <"$file"
    fi
    timeout -k 5 "$SCALE_LIMIT" /usr/bin/time -f '%e %M' -o "$out.time" \
        "$HC_BIN" scan --json "$@" "${input[@]}" >"$out" 2>"$out.err" &
    RUN_PID=$!
    wait "$RUN_PID"
    echo $? >"$out.rc"
    RUN_PID=
}
