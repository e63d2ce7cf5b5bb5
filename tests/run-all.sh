#!/usr/bin/env bash
# Runs every test stage and prints one closing line "N passed, N failed".
# Each stage prints its own closing "N passed, N failed" line; a stage that dies without
# one counts as one failure. Stages: unit tests, unit tests under ASan+UBSan (clang),
# short libFuzzer runs, integration tests with real servers, valgrind on an integration run.
set -u
cd "$(dirname "$0")/.."
# Builds use every CPU: three variants (gcc, clang ASan+UBSan, libFuzzer) are most of the wait.
MAKE="flock /tmp/heartcheck-make.lock make -j$(nproc 2>/dev/null || echo 2)"
total_pass=0
total_fail=0
summary=()

count_stage() { # name, log file, exit status
    local name=$1 log=$2 rc=$3 line p f
    line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        p=0 f=1
    else
        p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
        f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    summary+=("$(printf '%-12s %5d passed, %d failed' "$name" "$p" "$f")")
}

run_stage() { # name, command...
    local name=$1
    shift
    local log
    log=$(mktemp)
    echo "=== $name"
    "$@" 2>&1 | tee "$log"
    count_stage "$name" "$log" "${PIPESTATUS[0]}"
    rm -f "$log"
}

run_unit() { # build dir: every test binary, counting cmocka's tests one by one
    local dir=$1 pass=0 fail=0 t log run failed
    log=$(mktemp)
    for t in "$dir"/tests/test_*; do
        [ -x "$t" ] || continue
        "$t" >"$log" 2>&1
        local rc=$?
        run=$(sed -nE 's/^\[=+\] ([0-9]+) test\(s\) run\./\1/p' "$log" | tail -n 1)
        failed=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test\(s\).*/\1/p' "$log" | tail -n 1)
        run=${run:-0} failed=${failed:-0}
        if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi # crashed or no summary
        pass=$((pass + run - failed)) fail=$((fail + failed))
        if [ "$failed" -ne 0 ]; then
            grep -E '^\[  (ERROR|FAILED) |LINE|Assertion|ERROR: ' "$log" | head -20
            echo "FAILED: $t"
        else
            echo "ok: $t ($run tests)"
        fi
    done
    rm -f "$log"
    echo "unit: $pass passed, $fail failed"
}

run_format() {
    if $MAKE -s check-format >/dev/null 2>&1; then
        echo "format: 1 passed, 0 failed"
    else
        $MAKE -s check-format 2>&1 | grep -E 'error:' | head -20
        echo "format: 0 passed, 1 failed"
    fi
}

only=${1:-all}
want() { [ "$only" = all ] || [ "$only" = "$1" ]; }

if want format; then
    run_stage format run_format
fi
if want unit; then
    $MAKE -s unit targets >/dev/null || { echo "build failed"; }
    run_stage unit run_unit build
fi
if want asan; then
    if $MAKE -s O=build/asan SANITIZE=1 CC=clang unit targets all >/dev/null; then
        ASAN_OPTIONS=detect_leaks=1 run_stage asan run_unit build/asan
    else
        echo "asan: 0 passed, 1 failed" >/tmp/hc-asan.log
        run_stage asan cat /tmp/hc-asan.log
    fi
fi
if want fuzz && [ -x tests/fuzz/run.sh ]; then
    run_stage fuzz tests/fuzz/run.sh
fi
if want integration && [ -x tests/integration/run.sh ]; then
    run_stage integration tests/integration/run.sh
fi
if want valgrind && [ -x tests/integration/valgrind.sh ]; then
    run_stage valgrind tests/integration/valgrind.sh
fi

echo
printf '%s\n' "${summary[@]}"
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
