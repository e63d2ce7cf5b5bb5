#!/usr/bin/env bash
# Issue 4, item 5: peak RSS at most 64 MB while working through a 1,000,000-target input.
# The input file holds 256 vulnerable targets (vulnserver on 127.0.2.0-127.0.2.255) and
# 999,744 closed ones (127.1.0.0 onwards, same port, nothing listening: they end at once
# with "connection refused"), shuffled with a fixed seed, and is given with
# `heartcheck scan -iL FILE` - the streaming target module (issue 4, item 1). Until it lands
# heartcheck cannot take this list (it holds command-line targets in memory, and a million
# of them exceed the argument size limit): the script says so and counts one failure.
# Environment: COUNT (1000000; a smaller COUNT with HC_TARGET_INPUT=args checks the script
# itself), CONCURRENCY (1000), TIMEOUT (2 s per target), RSS_LIMIT_KB (65536), SCALE_LIMIT
# (600 s for the scan), HC_TARGET_INPUT (args|il|auto, see lib.sh).
# Prints "ok - ..." / "FAIL - ..." and the closing "N passed, N failed"; exit 1 on a failure.
# shellcheck source=tests/scale/lib.sh
. "$(dirname "$0")/lib.sh"

count=${COUNT:-1000000}
concurrency=${CONCURRENCY:-1000}
timeout_s=${TIMEOUT:-2}
rss_limit=${RSS_LIMIT_KB:-65536}
nvuln=256

finish() {
    summary
    [ "$FAILED" -eq 0 ]
    exit $?
}

need_tools "$HC_BIN" "$VULNSERVER" jq openssl shuf timeout /usr/bin/time || finish
if [ "$HC_TARGET_INPUT" != il ] && [ "$count" -gt 20000 ]; then
    fail "heartcheck scan -iL FILE" "NOT SUPPORTED YET by $HC_BIN (it arrives with the \
streaming target module, issue 4 item 1), and $count targets cannot be given as arguments; \
rerun once -iL is in \`heartcheck scan --help\`"
    finish
fi
if [ "$count" -le "$nvuln" ]; then
    fail setup "COUNT must be above $nvuln"
    finish
fi
make_cert || {
    fail setup "openssl req failed"
    finish
}
start_server vulnerable "$VULNSERVER" --port 0 --addr-range 127.0.2.0-127.0.2.255 \
    --cert "$WORK/cert.pem" --mode vulnerable || finish
port=$PORT

# Closed targets from 127.1.0.0 (address number 65536) on: nothing of ours listens there.
{
    targets 127.0.2.0 127.0.2.255 "$port" vulnerable
    targets 127.1.0.0 "$(ip $((65536 + count - nvuln - 1)))" "$port" unreachable
} >"$WORK/expected"
cut -d' ' -f1 "$WORK/expected" | shuf --random-source=<(yes) >"$WORK/targets"
lines=$(wc -l <"$WORK/targets")
if [ "$lines" -eq "$count" ]; then
    ok "input file: $count targets ($nvuln vulnerable, the rest closed ports)"
else
    fail "input file: $count targets" "$lines"
fi

# The scan, its JSON reduced to "TARGET VERDICT" as it streams (a million JSON objects are
# a few hundred MB): heartcheck under timeout (its own process group) writes into a FIFO.
mkfifo "$WORK/fifo"
jq -r '"\(.target) \(.verdict)"' <"$WORK/fifo" >"$WORK/got.unsorted" 2>"$WORK/jq.err" &
jq_pid=$!
input=(-iL "$WORK/targets")
[ "$HC_TARGET_INPUT" = il ] || mapfile -t input <"$WORK/targets"
echo "# scanning $count targets (--concurrency $concurrency --timeout $timeout_s," \
    "targets as $([ "$HC_TARGET_INPUT" = il ] && echo "-iL FILE" || echo arguments))"
timeout -k 5 "$SCALE_LIMIT" /usr/bin/time -f '%e %M' -o "$WORK/time" \
    "$HC_BIN" scan --json --concurrency "$concurrency" --timeout "$timeout_s" "${input[@]}" \
    >"$WORK/fifo" 2>"$WORK/err" &
RUN_PID=$!
wait "$RUN_PID"
rc=$?
RUN_PID=
# jq ends when the FIFO closes; bounded anyway.
for ((i = 0; i < 600 && $(kill -0 "$jq_pid" 2>/dev/null && echo 1 || echo 0); i++)); do
    sleep 0.1
done
stop_pid "$jq_pid"
read -r wall rss < <(tail -n 1 "$WORK/time" 2>/dev/null)
echo "# heartcheck: exit $rc, ${wall:-?} s, peak RSS ${rss:-?} KB"

if [ "$rc" -eq 1 ]; then
    ok "heartcheck finished: exit 1 (something vulnerable)"
else
    fail "heartcheck finished: exit 1 (something vulnerable)" \
        "exit $rc$([ "$rc" -eq 124 ] && echo " (killed after $SCALE_LIMIT s)"): $(head -c 300 "$WORK/err")"
fi
if [[ ${rss:-} =~ ^[0-9]+$ ]] && [ "$rss" -le "$rss_limit" ]; then
    ok "peak RSS $rss KB <= $rss_limit KB"
else
    fail "peak RSS <= $rss_limit KB" "${rss:-unknown} KB"
fi
if [ ! -s "$WORK/jq.err" ]; then
    ok "output is JSON Lines with target and verdict"
else
    fail "output is JSON Lines with target and verdict" "$(head -c 200 "$WORK/jq.err")"
fi
sort "$WORK/got.unsorted" >"$WORK/got"
reported=$(wc -l <"$WORK/got")
distinct=$(cut -d' ' -f1 "$WORK/got" | uniq | wc -l)
sort -o "$WORK/expected" "$WORK/expected"
nmissing=$(join -v 1 "$WORK/expected" "$WORK/got" | wc -l)
if [ "$reported" -eq "$count" ] && [ "$distinct" -eq "$count" ] && [ "$nmissing" -eq 0 ]; then
    ok "every target reported exactly once ($count)"
else
    fail "every target reported exactly once ($count)" \
        "$reported results, $distinct distinct targets, $nmissing missing"
fi
for want in vulnerable unreachable; do
    n=$(awk -v w="$want" '$2 == w' "$WORK/expected" | wc -l)
    right=$(join "$WORK/expected" "$WORK/got" | awk -v w="$want" '$2 == w && $3 == w' | wc -l)
    if [ "$right" -eq "$n" ]; then
        ok "$want: $n/$n targets"
    else
        fail "$want: $right/$n targets" \
            "e.g. $(join "$WORK/expected" "$WORK/got" | awk -v w="$want" '$2 == w && $3 != w' |
                head -n 3 | tr '\n' ';')"
    fi
done
finish
