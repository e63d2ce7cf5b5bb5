#!/usr/bin/env bash
# Builds, then runs ONE `heartcheck scan --json` under valgrind against several loopback
# targets at once - vulnserver vulnerable, vulnserver patched (nginx style), openssl s_server,
# a closed port, a plain HTTP server - and checks: no memory errors, no definite or indirect
# leaks (valgrind exits 99 otherwise), every verdict right, exit status 1. Then ONE
# `heartcheck verify` with that scan as its baseline and a CRL, with the same checks. Then ONE
# `heartcheck host --root TREE --no-probe --json` of a synthetic tree, and ONE
# `heartcheck pcap --extract` of every capture, with the same checks.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

cd "$HC_ROOT" || exit 2
if ! flock /tmp/heartcheck-make.lock make -s >"$WORK/make.log" 2>&1; then
    note "make failed:"
    tail -n 20 "$WORK/make.log" | sed 's/^/#   /'
fi
require_bin "$HC_BIN"
require_bin "$VULNSERVER"
if ! command -v valgrind >/dev/null; then
    fail setup "valgrind not installed (scripts/install-deps.sh)"
    summary
    exit 1
fi
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }

declare -A want=()
targets=()
add_target() { # TARGET VERDICT
    targets+=("$1")
    want[$1]=$2
}

if start_listener "$WORK/vs-vuln.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 --cert "$CERT_KEY" \
    --mode vulnerable; then
    add_target "127.0.0.1:$LISTEN_PORT" vulnerable
else
    fail "vulnserver vulnerable" "did not start"
fi
if start_listener "$WORK/vs-patched.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 --cert "$CERT_KEY" \
    --mode patched --style nginx --wbuf 16384; then
    add_target "127.0.0.1:$LISTEN_PORT" patched
else
    fail "vulnserver patched nginx-style" "did not start"
fi
p=$(free_port)
start_daemon "$WORK/s_server.log" openssl s_server -accept "127.0.0.1:$p" -cert "$CERT" -key "$KEY" -www
if wait_for_port "$p" "$DAEMON_PID" 10; then
    add_target "127.0.0.1:$p" not_vulnerable
else
    fail "openssl s_server" "did not start: $(cat "$WORK/s_server.log")"
fi
p=$(free_port)
mkdir -p "$WORK/www"
start_daemon "$WORK/http.log" python3 -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$p"
if wait_for_port "$p" "$DAEMON_PID" 10; then
    add_target "127.0.0.1:$p" not_tls
else
    fail "python3 http.server" "did not start: $(cat "$WORK/http.log")"
fi
p=$(free_port)
add_target "127.0.0.1:$p" unreachable
# DTLS over UDP: a fragmented flight, a vulnerable and a patched target, a closed UDP port.
for mode in vulnerable patched; do
    if start_listener "$WORK/vd-$mode.log" "$HC_TARGETS/vulndtls" --port 0 --addr 127.0.0.1 \
        --cert "$CERT" --mode "$mode" --mtu 200; then
        add_target "dtls://127.0.0.1:$LISTEN_PORT" "$mode"
    else
        fail "vulndtls $mode" "did not start"
    fi
done
add_target "dtls://127.0.0.1:$(free_port)" unreachable

run_cmd timeout -k 2 180 valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    "$HC_BIN" scan --json --timeout 10 "${targets[@]}"

if [ "$SCAN_RC" -eq 99 ]; then
    fail "valgrind: no memory errors, no definite/indirect leaks" "$(tail -n 60 "$WORK/scan.err")"
elif [ "$SCAN_RC" -ge 124 ]; then
    fail "valgrind: no memory errors, no definite/indirect leaks" "run killed or crashed (exit $SCAN_RC): $(tail -n 20 "$WORK/scan.err")"
else
    ok "valgrind: no memory errors, no definite/indirect leaks (${SCAN_MS} ms)"
fi
expect_eq "exit status 1 (one target is vulnerable)" "$SCAN_RC" 1
expect_eq "one JSON line per target" "$(printf '%s' "$SCAN_OUT" | grep -c .)" "${#targets[@]}"
for t in "${targets[@]}"; do
    line=$(jq -c --arg t "$t" 'select(.target == $t)' <<<"$SCAN_OUT" 2>/dev/null | head -n 1)
    got=$(jq -r '.verdict' <<<"$line" 2>/dev/null)
    reason=$(jq -r '.reason // ""' <<<"$line" 2>/dev/null)
    if [ "$got" = "${want[$t]}" ] && [ -n "$reason" ]; then
        ok "$t -> ${want[$t]}"
    else
        fail "$t -> ${want[$t]}" "got ${got:-nothing} ($line)"
    fi
done

# ---- verify with that scan as its baseline, and a CRL (openssl ca -gencrl): the baseline
# parser, the verdict table, the CRL reader and the engine runs per dialogue, under valgrind ----
printf '%s\n' "$SCAN_OUT" >"$WORK/baseline.jsonl"
mkdir -p "$WORK/ca"
: >"$WORK/ca/index.txt"
echo 1000 >"$WORK/ca/crlnumber"
printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\ndefault_crl_days = 1\n' \
    "$WORK/ca/index.txt" "$WORK/ca/crlnumber" >"$WORK/ca/ca.cnf"
openssl ca -config "$WORK/ca/ca.cnf" -gencrl -keyfile "$KEY" -cert "$CERT" -out "$WORK/ca/x.crl" \
    >/dev/null 2>&1 || fail "openssl ca -gencrl" "could not make a CRL"
run_cmd timeout -k 2 180 valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    "$HC_BIN" verify --json --timeout 10 --baseline "$WORK/baseline.jsonl" --crl "$WORK/ca/x.crl"
if [ "$SCAN_RC" -eq 99 ] || [ "$SCAN_RC" -ge 124 ]; then
    fail "valgrind verify: no memory errors, no definite/indirect leaks" "exit $SCAN_RC: $(tail -n 60 "$WORK/scan.err")"
else
    ok "valgrind verify: no memory errors, no definite/indirect leaks (${SCAN_MS} ms)"
fi
expect_eq "verify: exit 1 (the vulnerable target still is), one line per target" \
    "$SCAN_RC $(printf '%s' "$SCAN_OUT" | grep -c .)" "1 ${#targets[@]}"
vulnerable_before=$(jq -s 'map(select(.verdict == "vulnerable")) | length' "$WORK/baseline.jsonl")
if [ "$vulnerable_before" -ge 2 ] && jq -e -s --argjson n "$vulnerable_before" \
    'map(select(.verify == "still_vulnerable" and .revoked == false)) | length == $n' \
    <<<"$SCAN_OUT" >/dev/null 2>&1; then
    ok "verify: the $vulnerable_before vulnerable targets (TCP and DTLS) still_vulnerable, their certificate absent from its issuer's CRL (revoked false)"
else
    fail "verify: still_vulnerable, revoked false" "$SCAN_OUT"
fi

# ---- the host audit of a synthetic root tree (tests/host/roots.sh): versions, packages, a
# changelog, a static copy; --root and --no-probe, so no process and no socket is touched ----
# shellcheck source=tests/host/roots.sh
. "$HC_ROOT/tests/host/roots.sh"
vroot=$WORK/root
root_linker_conf "$vroot" /opt/ssl/lib
root_fake_crypto "$vroot/opt/ssl/lib/libcrypto.so.1.0.0"
root_fake_ssl "$vroot/opt/ssl/lib/libssl.so.1.0.0"
root_dpkg "$vroot" libssl1.0.0 1.0.1e-2+deb7u4 /opt/ssl/lib/libssl.so.1.0.0 \
    /opt/ssl/lib/libcrypto.so.1.0.0
root_changelog "$vroot" libssl1.0.0 1.0.1e-2+deb7u4 no
root_static_copy "$vroot" /usr/local/bin/sslapp
run_cmd timeout -k 2 180 valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    "$HC_BIN" host --root "$vroot" --no-probe --json --deep /usr/local
if [ "$SCAN_RC" -eq 99 ]; then
    fail "valgrind host --root: no memory errors, no definite/indirect leaks" "$(tail -n 60 "$WORK/scan.err")"
elif [ "$SCAN_RC" -ge 124 ]; then
    fail "valgrind host --root: no memory errors, no definite/indirect leaks" "run killed or crashed (exit $SCAN_RC): $(tail -n 20 "$WORK/scan.err")"
else
    ok "valgrind host --root: no memory errors, no definite/indirect leaks (${SCAN_MS} ms)"
fi
expect_eq "host --root: exit status 1 (vulnerable copies)" "$SCAN_RC" 1
if jq -e -s 'map(select(.type == "copy")) | length == 3 and all(.verdict == "vulnerable")' \
    <<<"$SCAN_OUT" >/dev/null 2>&1 && [ "$(tail -n 1 <<<"$SCAN_OUT" | jq -r .type)" = summary ]; then
    ok "host --root: three vulnerable copies (two shared, one static) and the summary"
else
    fail "host --root: three vulnerable copies (two shared, one static) and the summary" "$SCAN_OUT"
fi


# ONE `heartcheck pcap` over every vector and committed capture, --extract on, the same checks.
mkdir -p "$WORK/extract"
pcaps=("$HC_ROOT"/../shared/vectors/*.pcap "$HC_ROOT"/tests/pcap/captures/*.pcap)
run_cmd timeout -k 2 180 valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    "$HC_BIN" pcap --json --extract "$WORK/extract" "${pcaps[@]}"
if [ "$SCAN_RC" -eq 99 ] || [ "$SCAN_RC" -ge 124 ]; then
    fail "valgrind pcap: no memory errors, no definite/indirect leaks" "exit $SCAN_RC: $(tail -n 40 "$WORK/scan.err")"
else
    ok "valgrind pcap: no memory errors, no definite/indirect leaks (${SCAN_MS} ms)"
fi
expect_eq "pcap: exit status 1 (leaks in the captures)" "$SCAN_RC" 1
n=$(jq -s 'map(select(.type == "pcap_event" and .kind == "leak")) | length' <<<"$SCAN_OUT")
[ "$n" -ge 10 ] && ok "pcap: $n leak events" || fail "pcap: leak events" "$n"

summary
