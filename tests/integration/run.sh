#!/usr/bin/env bash
# Runs the integration suites (real servers on loopback) and sums their closing
# "N passed, N failed" lines; prints the total as the exact last line. A suite that ends
# without that line, or exits non-zero while reporting no failure, counts one failure.
# Exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
dir=tests/integration

# Build first (binaries and test targets); the suites report what is missing if this fails.
if ! flock /tmp/heartcheck-make.lock make -s >/dev/null 2>"${TMPDIR:-/tmp}/hc-integ-make.$$"; then
    echo "# make failed:"
    sed 's/^/#   /' "${TMPDIR:-/tmp}/hc-integ-make.$$" | tail -n 20
fi
rm -f "${TMPDIR:-/tmp}/hc-integ-make.$$"

suites=(test_peers.sh test_target.sh test_starttls_target.sh test_dtls.sh test_hostile.sh)
suites+=(test_openvpn.sh test_host.sh test_space.sh test_pcap.sh)
[ -f "$dir/test_vectors.sh" ] && suites+=(test_vectors.sh)
# STARTTLS and database preludes against real postfix, dovecot, vsftpd, prosody, slapd,
# postgresql and mariadb (servers.sh).
suites+=(test_preludes.sh)
# verify: baselines, real nginx and the test target restarted with old and new keys, CRLs.
suites+=(test_verify.sh)
# heartcheck clients: real Debian clients, the vulnclient target behind every prelude, hostile
# clients.
suites+=(test_clients.sh)
# Scale: 20,000 mixed loopback targets, and a 1,000,000-target input under 64 MB of memory.
suites+=(../scale/scale20k.sh ../scale/rss1m.sh)

total_pass=0
total_fail=0
lines=()
log=$(mktemp "${TMPDIR:-/tmp}/hc-integ-run.XXXXXX")
trap 'rm -f "$log"' EXIT

for s in "${suites[@]}"; do
    echo "=== $s"
    bash "$dir/$s" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        p=0
        f=1
        echo "FAIL - $s: ended without a \"N passed, N failed\" line (exit $rc)"
    else
        p=${line%% passed*}
        f=${line#*passed, }
        f=${f%% failed*}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            echo "FAIL - $s: exit status $rc although it reported no failure"
        fi
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    lines+=("$(printf '# %-16s %4d passed, %d failed' "$s" "$p" "$f")")
done

echo
printf '%s\n' "${lines[@]}"
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
