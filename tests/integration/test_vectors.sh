#!/usr/bin/env bash
# Replays every server capture in shared/vectors against build/targets/vulnserver, configured
# like the server that was captured (tests/integration/vectors/server-vectors.conf), and checks
# with build/targets/pcap_replay that it answers record for record like the real one. The
# client capture is replayed to build/targets/vulnclient, which must answer as the real client.
#
# Prints "ok - VECTOR", "FAIL - VECTOR: DIFF" or "skip - VECTOR: REASON" per vector and, last,
# "N passed, N failed". Exit status 0 when nothing failed. Only 127.0.0.1 is used; every server
# started is stopped on exit; every wait is bounded.
set -u

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel) || exit 2
VECTORS=${HEARTCHECK_VECTORS:-$ROOT/../shared/vectors}
CONF=$ROOT/tests/integration/vectors/server-vectors.conf
SERVER=$ROOT/build/targets/vulnserver
REPLAY=$ROOT/build/targets/pcap_replay
CLIENT=$ROOT/build/targets/vulnclient
ADDR=127.0.0.1

for f in "$SERVER" "$REPLAY" "$CLIENT"; do
    [[ -x $f ]] || { echo "missing $f: run 'make targets'" >&2; exit 2; }
done
[[ -d $VECTORS ]] || { echo "no vectors in $VECTORS (set HEARTCHECK_VECTORS)" >&2; exit 2; }

TMP=$(mktemp -d) || exit 2
SERVER_PID=
PORT=

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    local pid=$SERVER_PID status
    SERVER_PID=
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    status=$?
    return "$status"
}

cleanup() {
    stop_server
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts vulnserver on a free port of 127.0.0.1; sets PORT from its "listening on PORT" line.
start_server() {
    : >"$TMP/server.out"
    # shellcheck disable=SC2086 # options are word lists from the configuration
    "$SERVER" --port 0 --addr "$ADDR" --cert "$TMP/cert.pem" $1 >"$TMP/server.out" \
        2>"$TMP/server.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^listening on \([0-9]\+\)$/\1/p' "$TMP/server.out")
        [[ -n $PORT ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    return 1
}

# run_one CAPTURE EXPECT SERVER_OPTIONS REPLAY_OPTIONS -> prints the result line
run_one() {
    local capture=$1 expect=$2 sopts=$3 ropts=$4 name rc want=0 why=
    name=${capture%.pcap}
    [[ $expect == mismatch ]] && { want=1; name="$name (negative: must differ with $sopts)"; }
    if ! start_server "$sopts"; then
        stop_server
        echo "FAIL - $name: vulnserver did not start: $(tr '\n' ' ' <"$TMP/server.err")"
        return 1
    fi
    # shellcheck disable=SC2086
    timeout 60 "$REPLAY" --pcap "$VECTORS/$capture" --addr "$ADDR" --port "$PORT" --quiet \
        $ropts >"$TMP/replay.out" 2>&1
    rc=$?
    if ! stop_server; then
        why="vulnserver did not exit cleanly: $(tr '\n' ' ' <"$TMP/server.err")"
    elif [[ $rc != "$want" ]]; then
        why="pcap_replay exit $rc, expected $want: $(paste -sd';' "$TMP/replay.out")"
        [[ $want == 1 && $rc == 0 ]] && why="the mismatch was not detected"
    fi
    if [[ -n $why ]]; then
        echo "FAIL - $name: $why"
        return 1
    fi
    echo "ok - $name"
}

if ! timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>"$TMP/openssl.err"; then
    echo "cannot make a certificate: $(cat "$TMP/openssl.err")" >&2
    exit 2
fi

passed=0
failed=0
count() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
trim() {
    local s=${1#"${1%%[![:space:]]*}"}
    printf '%s' "${s%"${s##*[![:space:]]}"}"
}

for path in "$VECTORS"/*.pcap; do
    capture=${path##*/}
    if [[ $capture == *-client_* ]]; then
        # The client capture: the test client must answer its server bytes as the real one.
        if "$CLIENT" --replay-pcap "$path" >"$TMP/client.out" 2>&1; then
            echo "ok - ${capture%.pcap}: vulnclient answers as the captured client"
            passed=$((passed + 1))
        else
            echo "FAIL - ${capture%.pcap}: $(paste -sd';' "$TMP/client.out")"
            failed=$((failed + 1))
        fi
        continue
    fi
    matched=0
    while IFS='|' read -r file expect sopts ropts; do
        [[ $(trim "$file") == "$capture" ]] || continue
        expect=$(trim "$expect")
        [[ $expect == match ]] && matched=1
        count run_one "$capture" "$expect" "$(trim "$sopts")" "$(trim "$ropts")"
    done <"$CONF"
    if [[ $matched == 0 ]]; then
        echo "FAIL - ${capture%.pcap}: no \"match\" line in ${CONF#"$ROOT"/}"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
