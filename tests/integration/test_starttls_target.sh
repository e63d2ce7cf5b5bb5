#!/usr/bin/env bash
# heartcheck scan --starttls against the 1.0.1f test target behind the server side of every
# prelude (vulnserver --starttls PROTO): vulnerable, patched and refusing, in both styles; the
# JSON names the prelude; `--starttls auto` picks it by port; a prelude against a plain TLS
# server or a silent one is never called vulnerable.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
require_bin "$VULNSERVER"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }

protos=(smtp lmtp imap pop3 ftp xmpp xmpp-server ldap postgres mysql nntp irc sieve)

# vs LABEL ARGS...: vulnserver on a free loopback port; sets DAEMON_PID and LISTEN_PORT.
vs() {
    local label=$1
    shift
    start_listener "$WORK/vs-$label.log" "$VULNSERVER" --port 0 --addr 127.0.0.1 \
        --cert "$CERT_KEY" "$@"
}

for proto in "${protos[@]}"; do
    for style in sserver nginx; do
        wbuf=4096
        [ "$style" = nginx ] && wbuf=16384
        name="$proto ($style): vulnerable behind the prelude"
        if ! vs "$proto-$style" --mode vulnerable --style "$style" --wbuf "$wbuf" \
            --starttls "$proto"; then
            fail "$name" "vulnserver did not start: $(cat "$WORK/vs-$proto-$style.log")"
            continue
        fi
        if check "$name" vulnerable "127.0.0.1:$LISTEN_PORT" --starttls "$proto"; then
            expect_jq "  $proto ($style): starttls \"$proto\", TLSv1.2, exit 1" \
                ".starttls == \"$proto\" and .tls_version == \"TLSv1.2\" and $SCAN_RC == 1"
        fi
        stop_daemon "$DAEMON_PID"
    done
    name="$proto: patched behind the prelude"
    if vs "$proto-patched" --mode patched --starttls "$proto"; then
        check "$name" patched "127.0.0.1:$LISTEN_PORT" --starttls "$proto" &&
            expect_jq "  $proto patched: starttls \"$proto\"" ".starttls == \"$proto\""
        stop_daemon "$DAEMON_PID"
    else
        fail "$name" "vulnserver did not start"
    fi
    name="$proto: TLS refused in the dialogue -> not_tls with the server's words"
    if vs "$proto-refuse" --mode vulnerable --starttls "$proto" --refuse-tls; then
        check "$name" not_tls "127.0.0.1:$LISTEN_PORT" --starttls "$proto" &&
            expect_jq "  $proto refused: the reason names the prelude, exit 0" \
                "(.reason | startswith(\"$proto\")) and .starttls == \"$proto\" and $SCAN_RC == 0"
        stop_daemon "$DAEMON_PID"
    else
        fail "$name" "vulnserver did not start"
    fi
done

# A prelude is per connection: the version fallback runs it again on every reconnect.
name="smtp, server refusing TLS 1.1 and lower: the dialogue is repeated for every version"
if vs smtp-tls12 --mode vulnerable --starttls smtp --min-version tls1.2; then
    check "$name" inconclusive "127.0.0.1:$LISTEN_PORT" --starttls smtp --max-version tls1.1 &&
        expect_jq "  smtp fallback: three connections (TLS 1.1, 1.0, SSLv3), each refused" \
            '.attempts == 3 and .alert.name == "protocol_version"'
    stop_daemon "$DAEMON_PID"
fi

# The wrong prelude, or none, never makes a vulnerable verdict.
if vs plain --mode vulnerable; then
    check "--starttls smtp against a plain TLS server: no greeting -> inconclusive" \
        inconclusive "127.0.0.1:$LISTEN_PORT" --starttls smtp --timeout 1
    stop_daemon "$DAEMON_PID"
fi
if vs imap-as-smtp --mode vulnerable --starttls imap; then
    check "--starttls smtp against an IMAP server: inconclusive, quoting it" inconclusive \
        "127.0.0.1:$LISTEN_PORT" --starttls smtp --timeout 2 &&
        expect_jq "  the reason quotes the IMAP greeting" '.reason | contains("* OK")'
    check "--starttls none against an IMAP server: not TLS" not_tls \
        "127.0.0.1:$LISTEN_PORT" --starttls none --timeout 2
    stop_daemon "$DAEMON_PID"
fi

# --starttls auto (the default) picks the prelude by port. Well-known ports on a loopback
# address of their own, so no server of the machine is touched; skipped when taken.
auto_tested=0
for pp in postgres:5432 smtp:25 imap:143 mysql:3306; do
    proto=${pp%%:*} port=${pp#*:} addr=127.77.0.$((auto_tested + 1))
    port_in_use "$port" && continue
    start_listener "$WORK/auto-$proto.log" "$VULNSERVER" --port "$port" --addr "$addr" \
        --cert "$CERT_KEY" --mode vulnerable --starttls "$proto" || continue
    check "default --starttls auto: port $port -> $proto" vulnerable "$addr:$port" &&
        expect_jq "  port $port: starttls \"$proto\"" ".starttls == \"$proto\""
    stop_daemon "$DAEMON_PID"
    auto_tested=$((auto_tested + 1))
    [ "$auto_tested" -ge 2 ] && break
done
[ "$auto_tested" -ge 1 ] || fail "--starttls auto" "no well-known port was free to test it"

if "$HC_BIN" scan --starttls gopher 127.0.0.1:1 >/dev/null 2>"$WORK/bad.err"; then
    fail "--starttls gopher" "accepted"
else
    rc=$?
    if [ "$rc" -eq 2 ] && grep -q "smtp" "$WORK/bad.err"; then
        ok "--starttls gopher: exit 2, the known protocols listed"
    else
        fail "--starttls gopher" "exit $rc: $(cat "$WORK/bad.err")"
    fi
fi

summary
