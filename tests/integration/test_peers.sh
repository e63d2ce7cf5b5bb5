#!/usr/bin/env bash
# heartcheck scan against real servers from Debian's packages, all on loopback:
# OpenSSL 3 s_server (TLS 1.2, TLS 1.2 only, TLS 1.0, IPv6), gnutls-serv --heartbeat, nginx
# (TLS and plain HTTP), a closed port; JSON evidence fields; exit statuses 0/1/2/3.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }

# s_server NAME ADDR PORT [extra s_server args]: starts openssl s_server -www; sets DAEMON_PID.
s_server() {
    local name=$1 addr=$2 port=$3
    shift 3
    start_daemon "$WORK/s_server-$name.log" openssl s_server -accept "$addr:$port" \
        -cert "$CERT" -key "$KEY" -www "$@"
    wait_for_port "$port" "$DAEMON_PID" 10
}

# ---- OpenSSL 3 s_server, default settings ----
p=$(free_port)
if s_server default 127.0.0.1 "$p"; then
    if check "openssl s_server (OpenSSL 3) -> not_vulnerable" not_vulnerable "127.0.0.1:$p"; then
        expect_jq "openssl s_server: alert is unexpected_message" \
            '.alert.name == "unexpected_message" and .alert.description == 10'
        expect_jq "openssl s_server: target as given, ip, port" \
            ".target == \"127.0.0.1:$p\" and .ip == \"127.0.0.1\" and .port == $p"
        expect_jq "openssl s_server: tls_version non-null" '.tls_version == "TLSv1.2"'
        expect_jq "openssl s_server: cipher is an IANA name" '.cipher | type == "string" and startswith("TLS_")'
        expect_jq "openssl s_server: leaked_bytes 0, heartbeat_extension false" \
            '.leaked_bytes == 0 and .heartbeat_extension == false'
        expect_jq "openssl s_server: cert.subject contains CN=localhost" \
            '.cert.subject | contains("CN=localhost")'
        expect_jq "openssl s_server: cert.sha256 matches openssl x509 | sha256sum" \
            ".cert.sha256 == \"$(cert_sha256 "$CERT")\""
        spki=$(openssl x509 -in "$CERT" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)
        expect_jq "openssl s_server: cert.spki_sha256 matches the public key" ".cert.spki_sha256 == \"$spki\""
        expect_jq "openssl s_server: cert dates are ISO 8601 UTC" \
            '.cert.not_before | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")'
        expect_jq "openssl s_server: cert has issuer and not_after" \
            '(.cert.issuer | contains("CN=localhost")) and (.cert.not_after | type == "string")'
    fi
    expect_eq "openssl s_server: exit status 0" "$SCAN_RC" 0
    # Same server, human output with -v: one line per target, the verdict and the evidence.
    run_cmd timeout -k 2 "$HC_RUN_LIMIT" "$HC_BIN" scan -v --timeout 5 "127.0.0.1:$p"
    if [ "$SCAN_RC" -eq 0 ] && grep -qi 'not_vulnerable' <<<"$SCAN_OUT" && grep -q 'CN=localhost' <<<"$SCAN_OUT"; then
        ok "openssl s_server: text output with -v names the verdict and the subject"
    else
        fail "openssl s_server: text output with -v" "exit $SCAN_RC: $SCAN_OUT $SCAN_ERR"
    fi
    stop_daemon "$DAEMON_PID"
else
    fail "openssl s_server (OpenSSL 3)" "server did not start: $(cat "$WORK/s_server-default.log")"
fi

# ---- s_server, TLS 1.2 only ----
p=$(free_port)
if s_server tls12 127.0.0.1 "$p" -tls1_2; then
    check "openssl s_server -tls1_2 -> not_vulnerable" not_vulnerable "127.0.0.1:$p" &&
        expect_jq "openssl s_server -tls1_2: TLSv1.2, alert unexpected_message" \
            '.tls_version == "TLSv1.2" and .alert.name == "unexpected_message"'
    stop_daemon "$DAEMON_PID"
else
    fail "openssl s_server -tls1_2" "server did not start"
fi

# ---- s_server, TLS 1.0 only (if this OpenSSL still allows it at security level 0) ----
p=$(free_port)
if s_server tls10 127.0.0.1 "$p" -tls1 -cipher 'ALL:@SECLEVEL=0'; then
    if timeout 10 openssl s_client -connect "127.0.0.1:$p" -tls1 -cipher 'ALL:@SECLEVEL=0' </dev/null 2>/dev/null |
        grep -qE 'Protocol *: *TLSv1$'; then
        check "openssl s_server -tls1 -> not_vulnerable" not_vulnerable "127.0.0.1:$p" &&
            expect_jq "openssl s_server -tls1: TLSv1.0, alert unexpected_message" \
                '.tls_version == "TLSv1.0" and .alert.name == "unexpected_message"'
    else
        skip "openssl s_server -tls1" "this OpenSSL refuses TLS 1.0 even at SECLEVEL=0 (counted neither way)"
    fi
    stop_daemon "$DAEMON_PID"
else
    skip "openssl s_server -tls1" "s_server refused -tls1 -cipher ALL:@SECLEVEL=0 (counted neither way)"
fi

# ---- gnutls-serv with heartbeat support ----
if command -v gnutls-serv >/dev/null; then
    p=$(free_port)
    start_daemon "$WORK/gnutls.log" gnutls-serv --heartbeat --http --x509certfile "$CERT" \
        --x509keyfile "$KEY" -p "$p"
    if wait_for_port "$p" "$DAEMON_PID" 10; then
        check "gnutls-serv --heartbeat -> not_vulnerable" not_vulnerable "127.0.0.1:$p"
        expect_eq "gnutls-serv --heartbeat: exit status 0" "$SCAN_RC" 0
    else
        fail "gnutls-serv --heartbeat" "server did not start: $(cat "$WORK/gnutls.log")"
    fi
    stop_daemon "$DAEMON_PID"
else
    fail "gnutls-serv" "gnutls-serv not installed (gnutls-bin; scripts/install-deps.sh)"
fi

# ---- nginx: TLS on one port, plain HTTP on another ----
if command -v nginx >/dev/null; then
    ptls=$(free_port)
    phttp=$(free_port)
    while [ "$phttp" = "$ptls" ]; do phttp=$(free_port); done
    start_nginx "$WORK/nginx" 1 "$ptls" "$phttp"
    if wait_for_port "$ptls" "$DAEMON_PID" 10 && wait_for_port "$phttp" "$DAEMON_PID" 10; then
        check "nginx with TLS -> not_vulnerable" not_vulnerable "127.0.0.1:$ptls" &&
            expect_jq "nginx with TLS: tls_version and certificate" \
                '.tls_version != null and (.cert.subject | contains("CN=localhost"))'
        check "nginx plain HTTP -> not_tls" not_tls "127.0.0.1:$phttp"
        expect_eq "nginx plain HTTP: exit status 0" "$SCAN_RC" 0
    else
        fail "nginx" "server did not start: $(cat "$WORK/nginx.log" "$WORK/nginx/logs/error.log" 2>/dev/null)"
    fi
    stop_daemon "$DAEMON_PID"
else
    fail "nginx" "nginx not installed (nginx-light; scripts/install-deps.sh)"
fi

# ---- a closed port ----
p=$(free_port)
check "closed port -> unreachable" unreachable "127.0.0.1:$p" &&
    expect_jq "closed port: no TLS evidence" '.tls_version == null and .cert == null'
expect_eq "closed port: exit status 0" "$SCAN_RC" 0

# ---- IPv6 ----
if has_ipv6_loopback; then
    p=$(free_port)
    if s_server v6 '[::1]' "$p"; then
        check "[::1]:PORT openssl s_server -> not_vulnerable" not_vulnerable "[::1]:$p" &&
            expect_jq "[::1]:PORT: ip ::1, port, target as given" \
                ".ip == \"::1\" and .port == $p and .target == \"[::1]:$p\""
        stop_daemon "$DAEMON_PID"
    else
        fail "[::1]:PORT openssl s_server" "server did not start on ::1"
    fi
else
    note "this machine has no ::1: IPv6 test skipped (counted neither way)"
    skip "[::1]:PORT openssl s_server" "no IPv6 loopback"
fi

# ---- exit statuses ----
if [ -x "$VULNSERVER" ]; then
    if start_listener "$WORK/vs-patched.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
        --cert "$CERT_KEY" --mode patched; then
        pp=$LISTEN_PORT
        pp_pid=$DAEMON_PID
        run_scan "127.0.0.1:$pp"
        expect_eq "exit status 0: a patched-only run" "$SCAN_RC" 0
        if start_listener "$WORK/vs-vuln.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
            --cert "$CERT_KEY" --mode vulnerable; then
            vp=$LISTEN_PORT
            run_scan "127.0.0.1:$pp" "127.0.0.1:$vp"
            expect_eq "exit status 1: a run including a vulnerable server" "$SCAN_RC" 1
            if [ "$(printf '%s\n' "$SCAN_OUT" | jq -r .verdict 2>/dev/null | sort | tr '\n' ' ')" = "patched vulnerable " ]; then
                ok "two targets in one run: one line each, patched and vulnerable"
            else
                fail "two targets in one run" "got: $SCAN_OUT"
            fi
            stop_daemon "$DAEMON_PID"
        else
            fail "exit status 1" "vulnserver --mode vulnerable did not start"
        fi
        stop_daemon "$pp_pid"
    else
        fail "exit status 0/1" "vulnserver --mode patched did not start"
    fi
else
    fail "exit status 0/1" "missing $VULNSERVER"
fi

if [ -x "$HOSTILE" ]; then
    if start_listener "$WORK/hostile-silence.log" "$HOSTILE" --port 0 --mode silence; then
        run_scan --timeout 2 "127.0.0.1:$LISTEN_PORT"
        if [ "$SCAN_RC" -eq 3 ] && [ "$(jqr .verdict)" = inconclusive ]; then
            ok "exit status 3: a silent server is inconclusive"
        else
            fail "exit status 3: a silent server is inconclusive" "exit $SCAN_RC ($SCAN_JSON)"
        fi
        stop_daemon "$DAEMON_PID"
    else
        fail "exit status 3" "hostile --mode silence did not start"
    fi
else
    fail "exit status 3" "missing $HOSTILE"
fi

# Bad inputs: exit 2 and a message on stderr. Only loopback or unresolvable names: nothing
# here may reach a real host (the names either fail to parse or cannot resolve).
bad_input() { # NAME ARGS...
    local name=$1
    shift
    run_cmd timeout -k 2 "$HC_RUN_LIMIT" "$HC_BIN" scan --json --timeout 5 "$@"
    if [ "$SCAN_RC" -eq 2 ] && [ -n "$SCAN_ERR" ]; then
        ok "exit status 2: $name"
    else
        fail "exit status 2: $name" "exit $SCAN_RC, stderr '$SCAN_ERR', stdout '$SCAN_OUT'"
    fi
}
bad_input "port out of range (host:99999)" "host:99999"
bad_input "port zero (host:0)" "host:0"
bad_input "unclosed bracket ([::1)" "[::1"
bad_input "space in target (a b)" "a b"
bad_input "empty target" ""
bad_input "unknown option --bogus" --bogus 127.0.0.1
bad_input "no target at all"
# Looked up in a network namespace of its own, so that no DNS query leaves the machine.
netns=(unshare -n)
unshare -n true 2>/dev/null || netns=(unshare -rn)
run_cmd timeout -k 2 "$HC_RUN_LIMIT" "${netns[@]}" "$HC_BIN" scan --json --timeout 5 no-such-host.invalid
if [ "$SCAN_RC" -eq 2 ] && [ -n "$SCAN_ERR" ]; then
    ok "exit status 2: unresolvable name (no-such-host.invalid)"
else
    fail "exit status 2: unresolvable name" "exit $SCAN_RC, stderr '$SCAN_ERR', stdout '$SCAN_OUT'"
fi
# The unresolvable name still gets its result line, as unreachable (docs/json.md).
if [ "$(jqr .verdict)" = unreachable ] && [ "$(jqr .ip)" = null ]; then
    ok "unresolvable name: reported as unreachable with ip null"
else
    fail "unresolvable name: reported as unreachable with ip null" "$SCAN_OUT"
fi

summary
