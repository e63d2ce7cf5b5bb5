#!/usr/bin/env bash
# Issue 4, item 5: 20,000 loopback targets in one scan, mixing every kind of endpoint; every
# target must be reported exactly once, with the right verdict.
#   vulnerable      vulnserver --mode vulnerable, 127.0.2.0-127.0.9.255, two ports
#                   (s_server style and nginx style with a 16 KB buffer)       4096
#   patched         vulnserver --mode patched, 127.0.10.0-127.0.17.255, two ports  4096
#   not_vulnerable  vulnserver --mode noheartbeat, 127.0.18.0-127.0.25.255         2048
#   not_tls         listener.py nottls (HTTP 400), 127.0.26.0-127.0.33.255         2048
#   inconclusive    listener.py silent (accepts, never answers), 127.0.34.0-...    2048
#   unreachable     closed: nothing listens, 127.0.42.0-127.0.64.31                5664
# The targets are shuffled (fixed seed). Environment: CONCURRENCY (1000), TIMEOUT (3 s per
# target), SCALE_LIMIT (600 s for the scan), HC_TARGET_INPUT (args|il|auto, see lib.sh).
# Prints "ok - ..." / "FAIL - ..." and the closing "N passed, N failed"; exit 1 on a failure.
# shellcheck source=tests/scale/lib.sh
. "$(dirname "$0")/lib.sh"

concurrency=${CONCURRENCY:-1000}
timeout_s=${TIMEOUT:-3}

finish() {
    summary
    [ "$FAILED" -eq 0 ]
    exit $?
}

need_tools "$HC_BIN" "$VULNSERVER" jq python3 openssl shuf timeout /usr/bin/time || finish
make_cert || {
    fail setup "openssl req failed"
    finish
}

cert=$WORK/cert.pem
expect=$WORK/expected
: >"$expect"
vs_start() { # LABEL RANGE EXPECTED ARGS...
    local label=$1 range=$2 want=$3
    shift 3
    start_server "$label" "$VULNSERVER" --port 0 --addr-range "$range" --cert "$cert" "$@" ||
        return 1
    targets "${range%-*}" "${range#*-}" "$PORT" "$want" >>"$expect"
}
py_start() { # MODE RANGE EXPECTED
    start_server "$1" python3 "$LISTENER" "$1" "$2" 0 || return 1
    targets "${2%-*}" "${2#*-}" "$PORT" "$3" >>"$expect"
}
if ! {
    vs_start vuln-sserver 127.0.2.0-127.0.9.255 vulnerable --mode vulnerable &&
        vuln_port=$PORT &&
        vs_start vuln-nginx 127.0.2.0-127.0.9.255 vulnerable --mode vulnerable --style nginx \
            --wbuf 16384 &&
        vs_start patched-sserver 127.0.10.0-127.0.17.255 patched --mode patched &&
        vs_start patched-nginx 127.0.10.0-127.0.17.255 patched --mode patched --style nginx \
            --wbuf 16384 &&
        vs_start noheartbeat 127.0.18.0-127.0.25.255 not_vulnerable --mode noheartbeat &&
        py_start nottls 127.0.26.0-127.0.33.255 not_tls &&
        py_start silent 127.0.34.0-127.0.41.255 inconclusive
}; then
    finish
fi
# Closed: addresses nothing of ours listens on, at the vulnerable servers' port.
targets 127.0.42.0 127.0.64.31 "$vuln_port" unreachable >>"$expect"

total=$(wc -l <"$expect")
if [ "$total" -eq 20000 ] && [ "$(cut -d' ' -f1 "$expect" | sort -u | wc -l)" -eq 20000 ]; then
    ok "20000 distinct targets prepared"
else
    fail "20000 distinct targets prepared" "$total lines"
fi
cut -d' ' -f1 "$expect" | shuf --random-source=<(yes) >"$WORK/targets"
sort -o "$expect" "$expect"

echo "# scanning $total targets (--concurrency $concurrency --timeout $timeout_s," \
    "targets as $([ "$HC_TARGET_INPUT" = il ] && echo "-iL FILE" || echo arguments))"
out=$WORK/scan.jsonl
scan "$out" "$WORK/targets" --concurrency "$concurrency" --timeout "$timeout_s"
rc=$(cat "$out.rc")
read -r wall rss < <(tail -n 1 "$out.time" 2>/dev/null)
echo "# heartcheck: exit $rc, ${wall:-?} s, peak RSS ${rss:-?} KB"
if [ "$rc" -eq 1 ]; then
    ok "heartcheck finished: exit 1 (something vulnerable)"
else
    fail "heartcheck finished: exit 1 (something vulnerable)" \
        "exit $rc$([ "$rc" -eq 124 ] && echo " (killed after $SCALE_LIMIT s)"): $(head -c 300 "$out.err")"
fi

if jq -r '"\(.target) \(.verdict)"' "$out" >"$WORK/got.unsorted" 2>"$WORK/jq.err"; then
    ok "output is JSON Lines with target and verdict ($(wc -l <"$out") lines)"
else
    fail "output is JSON Lines with target and verdict" "$(head -c 200 "$WORK/jq.err")"
fi
sort "$WORK/got.unsorted" >"$WORK/got"
cut -d' ' -f1 "$WORK/got" | uniq -d >"$WORK/dups"
cut -d' ' -f1 "$expect" >"$WORK/want.targets"
cut -d' ' -f1 "$WORK/got" | sort -u >"$WORK/got.targets"
comm -23 "$WORK/want.targets" "$WORK/got.targets" >"$WORK/missing"
comm -13 "$WORK/want.targets" "$WORK/got.targets" >"$WORK/extra"
if [ ! -s "$WORK/dups" ]; then
    ok "no target reported twice"
else
    fail "no target reported twice" "$(wc -l <"$WORK/dups") duplicated, e.g. $(head -n 3 "$WORK/dups" | tr '\n' ' ')"
fi
if [ ! -s "$WORK/missing" ]; then
    ok "every target reported"
else
    fail "every target reported" "$(wc -l <"$WORK/missing") missing, e.g. $(head -n 3 "$WORK/missing" | tr '\n' ' ')"
fi
if [ ! -s "$WORK/extra" ]; then
    ok "no target reported that was not asked for"
else
    fail "no target reported that was not asked for" "$(wc -l <"$WORK/extra"), e.g. $(head -n 3 "$WORK/extra" | tr '\n' ' ')"
fi

# Per kind: expected verdict against the first reported one.
sort -u -k1,1 "$WORK/got" | join -a 1 -e none -o 1.2,2.2,0 "$expect" - >"$WORK/joined"
for want in vulnerable patched not_vulnerable not_tls inconclusive unreachable; do
    n=$(awk -v w="$want" '$1 == w' "$WORK/joined" | wc -l)
    bad=$(awk -v w="$want" '$1 == w && $2 != w' "$WORK/joined")
    if [ -z "$bad" ]; then
        ok "$want: $n/$n targets"
    else
        nbad=$(wc -l <<<"$bad")
        fail "$want: $((n - nbad))/$n targets" \
            "got $(awk '{ print $2 }' <<<"$bad" | sort | uniq -c | tr -s ' ' | tr '\n' ','), e.g. $(head -n 3 <<<"$bad" | awk '{ print $3 " " $2 }' | tr '\n' ';')"
    fi
done
finish
