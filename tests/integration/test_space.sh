#!/usr/bin/env bash
# heartcheck scan over a target space: networks, ranges, port lists, -iL files and stdin,
# exclusions, shards, --dry-run, --output/--resume, --rate. Targets are loopback addresses
# only; probes go only to the listeners this suite starts, or to closed loopback ports.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
require_bin "$VULNSERVER"
make_cert || { fail setup "cannot make a certificate"; summary; exit 1; }

dry() { "$HC_BIN" scan --dry-run "$@" 2>"$WORK/dry.err"; }

# --dry-run: a /28 times three ports, each target exactly once, in a shuffled order.
dry --seed 7 -p 443,8443,9000 127.1.0.0/28 >"$WORK/all.txt"
expect_eq "dry-run: /28 x 3 ports" "$(wc -l <"$WORK/all.txt")" 48
expect_eq "dry-run: no duplicates" "$(sort "$WORK/all.txt" | uniq -d | wc -l)" 0
if [ "$(head -n 5 "$WORK/all.txt")" != "$(sort -V "$WORK/all.txt" | head -n 5)" ]; then
    ok "dry-run: not in address order"
else
    fail "dry-run: not in address order" "$(head -n 5 "$WORK/all.txt" | tr '\n' ' ')"
fi
expect_eq "dry-run: same seed, same order" "$(dry --seed 7 -p 443,8443,9000 127.1.0.0/28 | md5sum)" \
    "$(md5sum <"$WORK/all.txt")"

# Shards: disjoint, and together exactly the whole space.
: >"$WORK/shards.txt"
for i in 1 2 3 4; do
    dry --seed 7 --shard "$i/4" -p 443,8443,9000 127.1.0.0/28 >>"$WORK/shards.txt"
done
expect_eq "shards: disjoint" "$(sort "$WORK/shards.txt" | uniq -d | wc -l)" 0
expect_eq "shards: complete" "$(sort "$WORK/shards.txt" | md5sum)" "$(sort "$WORK/all.txt" | md5sum)"
"$HC_BIN" scan --dry-run --shard 1/2 127.1.0.0/28 >/dev/null 2>"$WORK/err"
expect_eq "shards: need --seed (exit 2)" "$?" 2

# Exclusions, ranges, files with comments, and standard input.
dry --seed 1 --exclude 127.1.0.4-127.1.0.7 127.1.0.0/29 >"$WORK/ex.txt"
expect_eq "exclude: 8 - 4 addresses" "$(wc -l <"$WORK/ex.txt")" 4
expect_eq "exclude: none of them" "$(grep -c '127\.1\.0\.[4-7]:' "$WORK/ex.txt")" 0
printf '# zmap output\n127.2.0.1\n\n127.2.0.2:8443\r\n' >"$WORK/list.txt"
expect_eq "-iL: comments, blank and CRLF lines" "$(dry -iL "$WORK/list.txt" | sort | tr '\n' ' ')" \
    "127.2.0.1:443 127.2.0.2:8443 "
expect_eq "stdin: one target per line" "$(printf '127.3.0.1\n127.3.0.2\n' | dry - | wc -l)" 2

# --exclude applies to the address a name resolves to (localhost: /etc/hosts, no DNS).
run_cmd "$HC_BIN" scan --json --exclude 127.0.0.0/8 --exclude ::1 localhost:9
if [ "$(jqr .verdict)" = unreachable ] && jqr .reason | grep -q excluded; then
    ok "--exclude: a name resolving into it is not probed"
else fail "--exclude: a name resolving into it is not probed" "$SCAN_OUT"; fi

# A bad line stops the scan before any probe: named by file and line, exit 2.
printf '127.2.0.1\n127.2.0.300\n' >"$WORK/bad.txt"
run_cmd "$HC_BIN" scan --json -iL "$WORK/bad.txt"
expect_eq "bad -iL line: exit 2" "$SCAN_RC" 2
expect_eq "bad -iL line: nothing probed" "$SCAN_OUT" ""
if grep -q "bad.txt:2" <<<"$SCAN_ERR"; then ok "bad -iL line: FILE:LINE named"; else
    fail "bad -iL line: FILE:LINE named" "$SCAN_ERR"; fi

# --output, then --resume: finished targets are not probed again, new ones are appended.
if start_listener "$WORK/vs.log" "$VULNSERVER" --port 0 --addr-range 127.4.0.1-127.4.0.3 \
    --cert "$CERT_KEY" --mode vulnerable; then
    port=$LISTEN_PORT
    out="$WORK/scan.jsonl"
    run_cmd "$HC_BIN" scan -q -o "$out" -p "$port" 127.4.0.1-2
    expect_eq "--output: two results" "$(wc -l <"$out")" 2
    expect_eq "--output: vulnerable, exit 1" "$SCAN_RC" 1
    run_cmd "$HC_BIN" scan --resume "$out" -p "$port" 127.4.0.1-3
    expect_eq "--resume: only the new target probed" "$(wc -l <"$out")" 3
    if grep -q "2 already done" <<<"$SCAN_OUT"; then ok "--resume: says what it skipped"; else
        fail "--resume: says what it skipped" "$SCAN_OUT"; fi
    expect_eq "--resume: every target once" "$(jq -r .target "$out" | sort -u | wc -l)" 3
    stop_daemon "$DAEMON_PID"
else
    fail "--output/--resume" "vulnserver did not start"
fi

# --rate: 60 connections at 30/s take about two seconds (closed loopback ports: refused).
t0=$(ms_now)
"$HC_BIN" scan -q --json --rate 30 -p 1-60 127.5.0.1 >"$WORK/rate.out" 2>&1
t1=$(ms_now)
took=$((t1 - t0))
expect_eq "--rate: every target reported" "$(wc -l <"$WORK/rate.out")" 60
if [ "$took" -ge 1700 ] && [ "$took" -le 6000 ]; then ok "--rate 30: 60 targets in ${took} ms"; else
    fail "--rate 30: 60 targets in about 2 s" "${took} ms"; fi

# Ctrl-C: no new probes, those in flight finish, results flushed, summary says so; --resume
# then completes the scan. Silent listeners keep 5 probes in flight when the signal comes.
port=$(free_port)
start_daemon "$WORK/silent.log" python3 "$(dirname "$0")/../scale/listener.py" silent \
    127.6.0.1-127.6.0.20 "$port"
if wait_for_port "$port" "$DAEMON_PID" 10; then
    silent_pid=$DAEMON_PID
    out="$WORK/interrupted.jsonl"
    setsid "$HC_BIN" scan --json -o "$out" --concurrency 5 --timeout 1 -p "$port" \
        127.6.0.1-20 >"$WORK/int.out" 2>"$WORK/int.err" </dev/null &
    scan_pid=$!
    sleep 0.5
    kill -INT "$scan_pid"
    wait "$scan_pid"
    rc=$?
    n=$(wc -l <"$out")
    expect_eq "Ctrl-C: exit 2" "$rc" 2
    if [ "$n" -ge 1 ] && [ "$n" -lt 20 ]; then ok "Ctrl-C: in-flight results flushed ($n of 20)"; else
        fail "Ctrl-C: in-flight results flushed" "$n lines"; fi
    if grep -q "interrupted" "$WORK/int.err"; then ok "Ctrl-C: the summary says interrupted"; else
        fail "Ctrl-C: the summary says interrupted" "$(cat "$WORK/int.err")"; fi
    if grep -q " done, " "$WORK/int.err"; then
        fail "progress: none when stderr is not a terminal" "$(head -c 200 "$WORK/int.err")"
    else ok "progress: none when stderr is not a terminal"; fi
    # On a terminal (script(1) gives one) the progress line shows done/total and the rate.
    script -qec "$HC_BIN scan --timeout 1 --concurrency 5 -p $port 127.6.0.1-20" /dev/null \
        >"$WORK/tty.out" 2>&1 </dev/null
    if grep -aqE "[0-9]+/20 done, [0-9]+/s" "$WORK/tty.out"; then ok "progress: on a terminal"; else
        fail "progress: on a terminal" "$(tr -d '\033' <"$WORK/tty.out" | head -c 300)"; fi
    "$HC_BIN" scan -q --resume "$out" --concurrency 20 --timeout 1 -p "$port" 127.6.0.1-20 \
        >/dev/null 2>&1 </dev/null
    expect_eq "--resume after Ctrl-C: each of the 20 targets once" \
        "$(jq -r .target "$out" | sort | uniq | wc -l) $(wc -l <"$out")" "20 20"
    stop_daemon "$silent_pid"
else
    fail "Ctrl-C" "the silent listener did not start"
fi

summary
