#!/usr/bin/env bash
# heartcheck scan against build/targets/hostile, a server that misbehaves on purpose (lying
# lengths, floods, resets, trickles, non-TLS replies, wrong heartbeat answers). For each mode:
# the scan ends within its --timeout 3 plus 1 s, exits 0, 2 or 3 (never 1, never a signal),
# prints one JSON line whose verdict is not "vulnerable" and whose reason is not empty. Then
# each mode once more under valgrind: no memory errors, no definite leaks.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
require_bin "$HOSTILE"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }

MODES=(onebyte hugelen hugehs endless silence alertflood reset banner sslv2 heartbeat-garbage slowloris)
TIMEOUT=3
LIMIT_MS=$(((TIMEOUT + 1) * 1000))
have_valgrind=1
command -v valgrind >/dev/null || have_valgrind=0

# judge NAME: the common assertions on the last run (SCAN_*), as one test.
judge() {
    local name=$1 lines verdict reason problems=()
    lines=$(printf '%s' "$SCAN_OUT" | grep -c .)
    verdict=$(jqr .verdict)
    reason=$(jqr '.reason // ""')
    case $SCAN_RC in
    0 | 2 | 3) ;;
    1) problems+=("exit status 1 (vulnerable)") ;;
    124 | 137) problems+=("hung: killed after ${HC_RUN_LIMIT}s") ;;
    *) problems+=("exit status $SCAN_RC (crash or signal?)") ;;
    esac
    [ "$lines" -eq 1 ] || problems+=("$lines output lines")
    jq -e 'type == "object"' <<<"$SCAN_JSON" >/dev/null 2>&1 || problems+=("not a JSON object")
    [ -n "$verdict" ] && [ "$verdict" != null ] || problems+=("no verdict")
    [ "$verdict" != vulnerable ] || problems+=("verdict vulnerable")
    [ -n "$reason" ] || problems+=("empty reason")
    if [ "${#problems[@]}" -eq 0 ]; then
        ok "$name ($verdict, exit $SCAN_RC, ${SCAN_MS} ms)"
    else
        local IFS=';'
        fail "$name" "${problems[*]} (exit $SCAN_RC, ${SCAN_MS} ms) ($SCAN_OUT) (stderr: $SCAN_ERR)"
    fi
}

for mode in "${MODES[@]}"; do
    if ! start_listener "$WORK/hostile-$mode.log" "$HOSTILE" --port 0 --mode "$mode" --cert "$CERT"; then
        fail "hostile $mode" "server did not start: $(cat "$WORK/hostile-$mode.log")"
        continue
    fi
    port=$LISTEN_PORT
    pid=$DAEMON_PID
    run_scan --timeout "$TIMEOUT" "127.0.0.1:$port"
    judge "hostile $mode"
    # What the design promises beyond "not vulnerable" for some of them:
    case $mode in
    onebyte) # handshake messages spanning records: a flight of 1-byte records still parses
        expect_jq "hostile onebyte: flight of 1-byte records parsed (TLSv1.2, cert CN=localhost)" \
            '.tls_version == "TLSv1.2" and (.cert.subject | contains("CN=localhost"))' ;;
    banner) # a non-TLS reply is "not TLS"
        expect_jq "hostile banner: not_tls" '.verdict == "not_tls" and (.reason | contains("500 OOPS"))' ;;
    heartbeat-garbage) # a heartbeat answer that does not echo ours proves nothing
        expect_jq "hostile heartbeat-garbage: handshake seen, leaked_bytes 0" \
            '.tls_version == "TLSv1.2" and .leaked_bytes == 0' ;;
    esac
    if [ "$SCAN_MS" -le "$LIMIT_MS" ]; then
        ok "hostile $mode: finished in ${SCAN_MS} ms (limit ${LIMIT_MS} ms)"
    else
        fail "hostile $mode: finished in time" "took ${SCAN_MS} ms, limit ${LIMIT_MS} ms ($SCAN_JSON)"
    fi
    if [ "$have_valgrind" -eq 1 ]; then
        HC_RUN_LIMIT=60 run_cmd timeout -k 2 60 valgrind -q --error-exitcode=99 --leak-check=full \
            --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
            "$HC_BIN" scan --json --timeout "$TIMEOUT" "127.0.0.1:$port"
        if [ "$SCAN_RC" -eq 99 ]; then
            fail "hostile $mode under valgrind" "memory errors or leaks: $(tail -n 40 "$WORK/scan.err")"
        else
            judge "hostile $mode under valgrind"
        fi
    else
        fail "hostile $mode under valgrind" "valgrind not installed (scripts/install-deps.sh)"
    fi
    stop_daemon "$pid"
done

summary
