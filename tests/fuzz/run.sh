#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for FUZZ_SECONDS (default 5) on a copy of its
# seed corpus, so that inputs found during the run never land in the committed corpus.
# Prints "fuzz-<name>: ok" or "fuzz-<name>: FAILED" per target, and last "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=${FUZZ_SECONDS:-5}
passed=0
failed=0

if ! flock /tmp/heartcheck-make.lock make -s -j"$(nproc 2>/dev/null || echo 2)" fuzz; then
    echo "fuzz: build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    target=${name#fuzz_}
    corpus="$work/$target"
    mkdir -p "$corpus"
    if [ -d "tests/fuzz/corpus/$target" ]; then
        cp tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null
    fi
    # Crash files go to the temp dir too; their log is kept only when the target fails.
    if "build/fuzz/$name" -max_total_time="$seconds" -max_len=20000 -timeout=5 \
        -rss_limit_mb=2048 -artifact_prefix="$work/$name-" "$corpus" >"$work/$name.log" 2>&1; then
        echo "fuzz-$target: ok"
        passed=$((passed + 1))
    else
        echo "fuzz-$target: FAILED"
        tail -n 40 "$work/$name.log"
        for crash in "$work/$name"-*; do
            [ -f "$crash" ] && echo "  input: $(od -An -tx1 -v "$crash" | tr -d ' \n' | head -c 400)"
        done
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
