#!/usr/bin/env bash
# heartcheck scan against the test target build/targets/vulnserver, which imitates OpenSSL
# 1.0.1f (vulnerable), 1.0.1g (patched) and a stack without heartbeats (noheartbeat), in the
# style of openssl s_server (4 KB write buffer) and nginx (16 KB), at each protocol version.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
require_bin "$VULNSERVER"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }

# vs LABEL ARGS...: starts vulnserver on a free loopback port; sets DAEMON_PID and LISTEN_PORT.
vs() {
    local label=$1
    shift
    start_listener "$WORK/vs-$label.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
        --cert "$CERT_KEY" "$@"
}

version_name() {
    case $1 in
    ssl3) echo SSLv3 ;;
    tls1.0) echo TLSv1.0 ;;
    tls1.1) echo TLSv1.1 ;;
    tls1.2) echo TLSv1.2 ;;
    esac
}

styles=("sserver 4096" "nginx 16384")
for st in "${styles[@]}"; do
    read -r style wbuf <<<"$st"
    for ver in ssl3 tls1.0 tls1.1 tls1.2; do
        vname=$(version_name "$ver")
        for mode in vulnerable patched noheartbeat; do
            case $mode in
            vulnerable) want=vulnerable ;;
            patched) want=patched ;;
            noheartbeat) want=not_vulnerable ;;
            esac
            name="vulnserver --style $style --wbuf $wbuf $ver only, $mode -> $want"
            if ! vs "$style-$ver-$mode" --mode "$mode" --style "$style" --wbuf "$wbuf" \
                --min-version "$ver" --max-version "$ver"; then
                fail "$name" "vulnserver did not start: $(cat "$WORK/vs-$style-$ver-$mode.log")"
                continue
            fi
            if check "$name" "$want" "127.0.0.1:$LISTEN_PORT"; then
                expect_jq "  $style $ver $mode: tls_version $vname" ".tls_version == \"$vname\""
                case $mode in
                vulnerable)
                    expect_jq "  $style $ver $mode: leaked_bytes 0 (zero-leak probe), exit 1" \
                        ".leaked_bytes == 0 and $SCAN_RC == 1"
                    if [ "$ver" = ssl3 ]; then
                        expect_jq "  $style ssl3 vulnerable: heartbeat_extension false" \
                            '.heartbeat_extension == false'
                    else
                        expect_jq "  $style $ver vulnerable: heartbeat_extension true" \
                            '.heartbeat_extension == true'
                    fi
                    ;;
                patched)
                    expect_jq "  $style $ver patched: exit 0, leaked_bytes 0" \
                        ".leaked_bytes == 0 and $SCAN_RC == 0"
                    ;;
                noheartbeat)
                    expect_jq "  $style $ver noheartbeat: alert unexpected_message, exit 0" \
                        ".alert.name == \"unexpected_message\" and $SCAN_RC == 0"
                    ;;
                esac
                expect_jq "  $style $ver $mode: cert.subject CN=localhost" \
                    '.cert.subject | contains("CN=localhost")'
            fi
            stop_daemon "$DAEMON_PID"
        done
    done
done

# Default versions (server speaks SSLv3..TLS 1.2): heartcheck negotiates TLS 1.2.
if vs default-vuln --mode vulnerable; then
    check "vulnserver defaults, vulnerable -> vulnerable" vulnerable "127.0.0.1:$LISTEN_PORT" &&
        expect_jq "  defaults: TLSv1.2 negotiated, cipher named" \
            '.tls_version == "TLSv1.2" and (.cipher | type == "string")'
    stop_daemon "$DAEMON_PID"
else
    fail "vulnserver defaults, vulnerable" "vulnserver did not start"
fi

# A vulnerable server whose ServerHello carries no heartbeat extension still answers.
if vs noext --mode vulnerable --no-heartbeat-ext --min-version tls1.2 --max-version tls1.2; then
    check "vulnserver --no-heartbeat-ext TLS 1.2, vulnerable -> vulnerable" vulnerable \
        "127.0.0.1:$LISTEN_PORT" &&
        expect_jq "  --no-heartbeat-ext: heartbeat_extension false, TLSv1.2" \
            '.heartbeat_extension == false and .tls_version == "TLSv1.2"'
    stop_daemon "$DAEMON_PID"
else
    fail "vulnserver --no-heartbeat-ext" "vulnserver did not start"
fi

# Slow server: every write 300 ms late.
for style in sserver nginx; do
    if vs "delay-$style" --mode vulnerable --style "$style" --delay-ms 300; then
        check "vulnserver --delay-ms 300 --style $style, vulnerable -> vulnerable" vulnerable \
            "127.0.0.1:$LISTEN_PORT"
        stop_daemon "$DAEMON_PID"
    else
        fail "vulnserver --delay-ms 300 --style $style" "vulnserver did not start"
    fi
done
if vs delay-patched --mode patched --style nginx --wbuf 16384 --delay-ms 300; then
    check "vulnserver --delay-ms 300 nginx-style, patched -> patched" patched "127.0.0.1:$LISTEN_PORT"
    stop_daemon "$DAEMON_PID"
else
    fail "vulnserver --delay-ms 300 patched" "vulnserver did not start"
fi

# A patched nginx-style server keeps the connection and stays silent to the malformed
# heartbeat; the answer to the well-formed follow-up decides "patched" long before the
# 5 s timeout.
if vs fast-patched --mode patched --style nginx --wbuf 16384; then
    if check "vulnserver nginx-style patched -> patched" patched "127.0.0.1:$LISTEN_PORT"; then
        if [ "$SCAN_MS" -lt 2000 ]; then
            ok "  nginx-style patched decided in ${SCAN_MS} ms (< 2000 ms; timeout 5 s)"
        else
            fail "  nginx-style patched decided in < 2000 ms" "took ${SCAN_MS} ms ($SCAN_JSON)"
        fi
        expect_jq "  nginx-style patched: elapsed_ms < 2000" '.elapsed_ms < 2000'
    fi
    stop_daemon "$DAEMON_PID"
else
    fail "vulnserver nginx-style patched timing" "vulnserver did not start"
fi

# Same for s_server style, which closes after the first heartbeat.
if vs fast-patched-s --mode patched --style sserver --wbuf 4096; then
    if check "vulnserver s_server-style patched -> patched" patched "127.0.0.1:$LISTEN_PORT"; then
        if [ "$SCAN_MS" -lt 2000 ]; then
            ok "  s_server-style patched decided in ${SCAN_MS} ms (< 2000 ms)"
        else
            fail "  s_server-style patched decided in < 2000 ms" "took ${SCAN_MS} ms ($SCAN_JSON)"
        fi
    fi
    stop_daemon "$DAEMON_PID"
else
    fail "vulnserver s_server-style patched timing" "vulnserver did not start"
fi

# The opt-in over-read: the leaked bytes must arrive even through a 16 KB write buffer (they
# travel in the answer's first, full record), be counted, go only to the 0600 dump file, and
# never to stdout.
for st in "${styles[@]}"; do
    read -r style wbuf <<<"$st"
    if ! vs "leak-$style" --mode vulnerable --style "$style" --wbuf "$wbuf"; then
        fail "$style --leak" "vulnserver did not start"
        continue
    fi
    for n in 1 2000 16365; do
        dump="$WORK/leak-$style-$n.bin"
        if check "$style --leak $n -> vulnerable" vulnerable "127.0.0.1:$LISTEN_PORT" \
            --leak "$n" --dump "$dump"; then
            expect_jq "  $style --leak $n: leaked_bytes $n" ".leaked_bytes == $n"
            expect_jq "  $style --leak $n: probe over-read" '.probe.kind == "over-read"'
            expect_eq "  $style --leak $n: dump mode 0600" "$(stat -c %a "$dump" 2>/dev/null)" 600
            expect_eq "  $style --leak $n: dump holds the bytes" \
                "$(head -n 1 "$dump" | sed -E 's/.* bytes=([0-9]+)$/\1/')" "$n"
            if grep -q heartcheck-test-heap-secret <<<"$SCAN_OUT$SCAN_ERR"; then
                fail "  $style --leak $n: nothing leaked on stdout/stderr" "$SCAN_OUT"
            else
                ok "  $style --leak $n: nothing leaked on stdout/stderr"
            fi
        fi
    done
    if grep -q heartcheck-test-heap-secret "$WORK/leak-$style-16365.bin" 2>/dev/null; then
        ok "  $style --leak 16365: the dump holds the target's (fake) heap"
    else
        fail "  $style --leak 16365: the dump holds the target's (fake) heap" "no heap text"
    fi
    check "$style --confirm -> vulnerable" vulnerable "127.0.0.1:$LISTEN_PORT" --confirm &&
        expect_jq "  $style --confirm: one byte over-read" \
            '.leaked_bytes == 1 and .probe.claimed_length == 16381 and .probe.sent_length == 16380'
    stop_daemon "$DAEMON_PID"
done
if vs leak-patched --mode patched --style nginx --wbuf 16384; then
    check "patched --leak 2000 -> patched" patched "127.0.0.1:$LISTEN_PORT" --leak 2000 &&
        expect_jq "  patched --leak: leaked_bytes 0" '.leaked_bytes == 0'
    stop_daemon "$DAEMON_PID"
fi

# IPv6 loopback.
if has_ipv6_loopback; then
    if start_listener "$WORK/vs-v6.log" "$VULNSERVER" --port 0 --addr ::1 --cert "$CERT_KEY" \
        --mode vulnerable; then
        check "vulnserver on [::1], vulnerable -> vulnerable" vulnerable "[::1]:$LISTEN_PORT" &&
            expect_jq "  [::1]: ip ::1" '.ip == "::1"'
        stop_daemon "$DAEMON_PID"
    else
        fail "vulnserver on [::1]" "vulnserver did not start"
    fi
else
    skip "vulnserver on [::1]" "no IPv6 loopback (counted neither way)"
fi

summary
