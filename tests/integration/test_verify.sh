#!/usr/bin/env bash
# heartcheck verify against real servers restarted by the test between baseline and verify:
#  - nginx (OpenSSL 3 here, so its baseline line is rewritten to "vulnerable" with jq: the
#    nginx of April 2014) restarted with (a) the same certificate -> not_rotated, (b) a
#    certificate re-issued for the same key -> same_key, (c) a new key and certificate -> rotated;
#  - the test target vulnserver, scanned --mode vulnerable for the baseline, then on the same
#    port --mode patched with the same certificate -> not_rotated, with a new key -> rotated,
#    and --mode vulnerable again -> still_vulnerable; STARTTLS as recorded in the baseline;
#  - CRLs made with `openssl ca` (a tiny CA, one certificate revoked) -> revoked true/false/null;
#  - a host baseline (probed sockets and exposed keys), a named target, bad baselines;
#  - host --root: a key file older than the fixed libssl package in dpkg.log* is rotated.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_bin "$HC_BIN"
require_bin "$VULNSERVER"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }
command -v jq >/dev/null || { fail setup "jq is missing (scripts/install-deps.sh)"; summary; exit 1; }

# run_verify ARGS...: heartcheck verify --json --timeout 5 ARGS; sets SCAN_* like run_scan.
run_verify() {
    run_cmd timeout -k 2 "$HC_RUN_LIMIT" "$HC_BIN" verify --json --timeout 5 "$@"
}

# expect_verify NAME WANT WANT_RC ARGS...: one result line with .verify == WANT, exit WANT_RC.
expect_verify() {
    local name=$1 want=$2 want_rc=$3 got
    shift 3
    run_verify "$@"
    got=$(jqr .verify)
    if [ "$got" = "$want" ] && [ "$SCAN_RC" -eq "$want_rc" ] && [ -n "$(jqr .reason)" ]; then
        ok "$name"
        return 0
    fi
    fail "$name" "got $got exit $SCAN_RC, want $want exit $want_rc ($SCAN_OUT) ($SCAN_ERR)"
    return 1
}

# new_key_cert NAME: a new key and self-signed certificate in $WORK/NAME.{key,pem,both}.
new_key_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=localhost" -days 2 \
        -keyout "$WORK/$1.key" -out "$WORK/$1.pem" >/dev/null 2>&1 &&
        cat "$WORK/$1.pem" "$WORK/$1.key" >"$WORK/$1.both"
}

# reissue_cert KEY NAME: a new certificate (new serial, new dates) for an existing key.
reissue_cert() {
    openssl req -x509 -new -key "$1" -subj "/CN=localhost" -days 3 -set_serial "$RANDOM$RANDOM" \
        -out "$WORK/$2.pem" >/dev/null 2>&1 && cat "$WORK/$2.pem" "$1" >"$WORK/$2.both"
}

# ---- nginx: the three ways an operator can "fix" the certificate ----

nginx_with() { # CERT KEY PORT: (re)starts nginx on PORT with that pair; sets NGINX_PID
    CERT=$1 KEY=$2 start_nginx "$WORK/nginx" 1 "$3"
    NGINX_PID=$DAEMON_PID
    wait_for_port "$3" "$NGINX_PID"
}

if ! command -v nginx >/dev/null; then
    fail "nginx" "nginx is not installed (scripts/install-deps.sh installs nginx-light)"
else
    cp "$CERT" "$WORK/ngx-old.pem" && cp "$KEY" "$WORK/ngx-old.key"
    nport=$(free_port)
    if nginx_with "$WORK/ngx-old.pem" "$WORK/ngx-old.key" "$nport"; then
        run_scan "127.0.0.1:$nport"
        # This nginx runs OpenSSL 3 (no heartbeats): the baseline is what the 2014 one said.
        jq -c '.verdict = "vulnerable"' <<<"$SCAN_JSON" >"$WORK/nginx-base.jsonl"
        expect_eq "nginx baseline has the certificate" \
            "$(jq -r .cert.sha256 "$WORK/nginx-base.jsonl")" "$(cert_sha256 "$WORK/ngx-old.pem")"

        stop_daemon "$NGINX_PID"
        nginx_with "$WORK/ngx-old.pem" "$WORK/ngx-old.key" "$nport"
        expect_verify "nginx restarted, same certificate -> not_rotated, exit 1" not_rotated 1 \
            --baseline "$WORK/nginx-base.jsonl"
        expect_jq "  not_rotated: now not_vulnerable, same sha256 as the baseline" \
            '.now.verdict == "not_vulnerable" and .now.cert.sha256 == .baseline.cert.sha256'

        reissue_cert "$WORK/ngx-old.key" ngx-reissued
        stop_daemon "$NGINX_PID"
        nginx_with "$WORK/ngx-reissued.pem" "$WORK/ngx-old.key" "$nport"
        expect_verify "nginx restarted, certificate re-issued for the same key -> same_key" \
            same_key 1 --baseline "$WORK/nginx-base.jsonl"
        expect_jq "  same_key: new sha256, same spki_sha256" \
            '.now.cert.sha256 != .baseline.cert.sha256 and
             .now.cert.spki_sha256 == .baseline.cert.spki_sha256'

        new_key_cert ngx-new
        stop_daemon "$NGINX_PID"
        nginx_with "$WORK/ngx-new.pem" "$WORK/ngx-new.key" "$nport"
        expect_verify "nginx restarted, new key and certificate -> rotated, exit 0" rotated 0 \
            --baseline "$WORK/nginx-base.jsonl"
        stop_daemon "$NGINX_PID"
    else
        fail "nginx" "did not start: $(cat "$WORK/nginx/logs/error.log" 2>/dev/null)"
    fi
fi

# ---- vulnserver: vulnerable in the baseline, then patched on the same port ----

vs_on() { # PORT CERTKEY MODE [ARGS...]: vulnserver on a fixed port; sets VS_PID
    local port=$1 certkey=$2 mode=$3
    shift 3
    start_daemon "$WORK/vs-$mode-$port.log" "$VULNSERVER" --port "$port" --addr 127.0.0.1 \
        --cert "$certkey" --mode "$mode" "$@"
    VS_PID=$DAEMON_PID
    wait_for_port "$port" "$VS_PID"
}

vport=$(free_port)
if vs_on "$vport" "$CERT_KEY" vulnerable; then
    run_scan "127.0.0.1:$vport" -o "$WORK/vs-base.jsonl"
    expect_eq "vulnserver baseline: vulnerable" "$(jq -r .verdict "$WORK/vs-base.jsonl")" vulnerable
    expect_verify "vulnserver still --mode vulnerable -> still_vulnerable, exit 1" \
        still_vulnerable 1 --baseline "$WORK/vs-base.jsonl"
    stop_daemon "$VS_PID"

    vs_on "$vport" "$CERT_KEY" patched
    expect_verify "vulnserver switched to --mode patched, same certificate -> not_rotated" \
        not_rotated 1 --baseline "$WORK/vs-base.jsonl"
    expect_jq "  now patched" '.now.verdict == "patched" and .baseline.verdict == "vulnerable"'
    run_cmd timeout -k 2 "$HC_RUN_LIMIT" "$HC_BIN" verify --color never --baseline \
        "$WORK/vs-base.jsonl"
    if grep -q "NOT_ROTATED" <<<"$SCAN_OUT" && [ "$SCAN_RC" -eq 1 ]; then
        ok "text output: NOT_ROTATED, exit 1"
    else
        fail "text output: NOT_ROTATED, exit 1" "exit $SCAN_RC: $SCAN_OUT $SCAN_ERR"
    fi
    stop_daemon "$VS_PID"

    reissue_cert "$KEY" vs-reissued
    vs_on "$vport" "$WORK/vs-reissued.both" patched
    expect_verify "vulnserver patched, re-issued for the same key -> same_key" same_key 1 \
        --baseline "$WORK/vs-base.jsonl"
    stop_daemon "$VS_PID"

    new_key_cert vs-new
    vs_on "$vport" "$WORK/vs-new.both" patched
    expect_verify "vulnserver patched with a new key and certificate -> rotated, exit 0" rotated 0 \
        --baseline "$WORK/vs-base.jsonl"
    stop_daemon "$VS_PID"

    vs_on "$vport" "$WORK/vs-new.both" noheartbeat
    expect_verify "vulnserver without heartbeats now, new key -> rotated" rotated 0 \
        --baseline "$WORK/vs-base.jsonl"
    stop_daemon "$VS_PID"
    expect_verify "nothing listening now -> unreachable, exit 3" unreachable 3 \
        --baseline "$WORK/vs-base.jsonl"
else
    fail "vulnserver" "did not start on port $vport"
fi

# ---- STARTTLS: the dialogue the baseline recorded is spoken again ----

sport=$(free_port)
if vs_on "$sport" "$CERT_KEY" vulnerable --starttls smtp; then
    run_scan --starttls smtp "127.0.0.1:$sport" -o "$WORK/smtp-base.jsonl"
    expect_eq "smtp baseline: vulnerable through STARTTLS" \
        "$(jq -r '.starttls + " " + .verdict' "$WORK/smtp-base.jsonl")" "smtp vulnerable"
    stop_daemon "$VS_PID"
    vs_on "$sport" "$CERT_KEY" patched --starttls smtp
    expect_verify "smtp patched, same certificate -> not_rotated (STARTTLS from the baseline)" \
        not_rotated 1 --baseline "$WORK/smtp-base.jsonl"
    expect_jq "  starttls smtp" '.starttls == "smtp" and .now.verdict == "patched"'
    stop_daemon "$VS_PID"
else
    fail "vulnserver --starttls smtp" "did not start on port $sport"
fi

# ---- CRLs: a tiny CA, its certificate in the baseline, revoked or not ----

ca=$WORK/ca
mkdir -p "$ca"
: >"$ca/index.txt"
echo 1000 >"$ca/crlnumber"
cat >"$ca/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $ca/index.txt
crlnumber = $ca/crlnumber
default_md = sha256
default_crl_days = 30
EOF
make_ca() { # DIR NAME: a CA key and certificate in DIR
    openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$2/O=heartcheck tests" -days 2 \
        -keyout "$1/ca.key" -out "$1/ca.pem" >/dev/null 2>&1
}
gencrl() { # OUT
    openssl ca -config "$ca/ca.cnf" -gencrl -keyfile "$ca/ca.key" -cert "$ca/ca.pem" -out "$1" \
        >/dev/null 2>&1
}
if make_ca "$ca" "Test CA" &&
    openssl req -new -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$ca/leaf.key" \
        -out "$ca/leaf.csr" >/dev/null 2>&1 &&
    openssl x509 -req -in "$ca/leaf.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
        -set_serial 0x0a1b2c3d -days 2 -out "$ca/leaf.pem" >/dev/null 2>&1 &&
    cat "$ca/leaf.pem" "$ca/leaf.key" >"$ca/leaf.both" && gencrl "$ca/before.crl" &&
    openssl ca -config "$ca/ca.cnf" -keyfile "$ca/ca.key" -cert "$ca/ca.pem" \
        -revoke "$ca/leaf.pem" >/dev/null 2>&1 && gencrl "$ca/after.crl" &&
    openssl crl -in "$ca/after.crl" -outform der -out "$ca/after.der" 2>/dev/null &&
    mkdir -p "$WORK/other" && make_ca "$WORK/other" "Other CA" &&
    openssl ca -config "$ca/ca.cnf" -gencrl -keyfile "$WORK/other/ca.key" \
        -cert "$WORK/other/ca.pem" -out "$WORK/other.crl" >/dev/null 2>&1; then
    cport=$(free_port)
    vs_on "$cport" "$ca/leaf.both" vulnerable
    run_scan "127.0.0.1:$cport" -o "$WORK/ca-base.jsonl"
    expect_eq "scan JSON: cert.serial as openssl x509 -serial prints it" \
        "$(jq -r .cert.serial "$WORK/ca-base.jsonl")" \
        "$(openssl x509 -in "$ca/leaf.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')"
    stop_daemon "$VS_PID"
    vs_on "$cport" "$WORK/vs-new.both" patched
    expect_verify "--crl after the revocation (PEM) -> revoked true" rotated 0 \
        --baseline "$WORK/ca-base.jsonl" --crl "$ca/after.crl"
    expect_jq "  revoked true" '.revoked == true'
    expect_verify "--crl after the revocation (DER), with another CA's CRL -> revoked true" \
        rotated 0 --baseline "$WORK/ca-base.jsonl" --crl "$WORK/other.crl" --crl "$ca/after.der"
    expect_jq "  revoked true" '.revoked == true'
    expect_verify "--crl before the revocation -> revoked false" rotated 0 \
        --baseline "$WORK/ca-base.jsonl" --crl "$ca/before.crl"
    expect_jq "  revoked false" '.revoked == false'
    expect_verify "--crl of another CA only -> revoked null" rotated 0 \
        --baseline "$WORK/ca-base.jsonl" --crl "$WORK/other.crl"
    expect_jq "  revoked null" '.revoked == null'
    run_cmd timeout -k 2 "$HC_RUN_LIMIT" "$HC_BIN" verify --baseline "$WORK/ca-base.jsonl" \
        --crl "$ca/before.crl"
    if grep -q "NOT revoked" <<<"$SCAN_OUT"; then
        ok "text: the old certificate is NOT revoked"
    else
        fail "text: the old certificate is NOT revoked" "$SCAN_OUT"
    fi
    run_verify --baseline "$WORK/ca-base.jsonl" --crl "$ca/leaf.pem"
    if [ "$SCAN_RC" -eq 2 ] && grep -q "leaf.pem: no CRL" <<<"$SCAN_ERR"; then
        ok "--crl with a certificate instead of a CRL -> exit 2, named"
    else
        fail "--crl with a certificate instead of a CRL -> exit 2" "exit $SCAN_RC: $SCAN_ERR"
    fi

    # ---- a host baseline: the probed socket, and the key its service used while exposed ----
    spki=$(jq -r .cert.spki_sha256 "$WORK/ca-base.jsonl")
    {
        echo '{"type":"copy","path":"/usr/lib/libssl.so.1.0.0","verdict":"vulnerable"}'
        echo "{\"type\":\"process\",\"pid\":1,\"comm\":\"vulnserver\",\"listening\":[{\"proto\":\"tcp\",\"address\":\"0.0.0.0\",\"port\":$cport,\"loopback_only\":false,\"verdict\":\"vulnerable\",\"reason\":\"x\"}]}"
        echo "{\"type\":\"certificate\",\"service\":\"nginx\",\"cert_path\":\"$ca/leaf.pem\",\"spki_sha256\":\"$spki\",\"exposed_while_vulnerable\":true}"
        echo '{"type":"summary","hostname":"test"}'
    } >"$WORK/host-base.jsonl"
    expect_verify "host baseline, new key now -> rotated" rotated 0 \
        --baseline "$WORK/host-base.jsonl"
    stop_daemon "$VS_PID"
    vs_on "$cport" "$ca/leaf.both" patched
    expect_verify "host baseline, the exposed key still in use -> same_key" same_key 1 \
        --baseline "$WORK/host-base.jsonl"
    stop_daemon "$VS_PID"
else
    fail "CRL setup" "openssl ca could not make the test CA and CRLs"
fi

# ---- host --root: keys dated against the fix in the dpkg log (plain and gzip rotations) ----

# shellcheck source=tests/host/roots.sh
. "$HC_ROOT/tests/host/roots.sh"
img=$WORK/image
root_linker_conf "$img" /usr/lib/x86_64-linux-gnu
root_fake_crypto "$img/usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0" "OpenSSL 1.0.1e 11 Feb 2013"
root_fake_ssl "$img/usr/lib/x86_64-linux-gnu/libssl.so.1.0.0" "OpenSSL 1.0.1e 11 Feb 2013"
root_dpkg "$img" libssl1.0.0 1.0.1e-2+deb7u5 /usr/lib/x86_64-linux-gnu/libssl.so.1.0.0 \
    /usr/lib/x86_64-linux-gnu/libcrypto.so.1.0.0
mkdir -p "$img/var/log" "$img/etc/nginx" "$img/etc/ssl/private"
printf '%s\n' '2013-05-04 09:00:00 install libssl1.0.0:amd64 <none> 1.0.1e-2+deb7u4' \
    '2013-05-04 09:00:01 status installed libssl1.0.0:amd64 1.0.1e-2+deb7u4' |
    gzip >"$img/var/log/dpkg.log.2.gz"
printf '%s\n' '2014-04-08 10:00:00 upgrade libssl1.0.0:amd64 1.0.1e-2+deb7u4 1.0.1e-2+deb7u5' \
    '2014-04-08 10:00:01 status installed libssl1.0.0:amd64 1.0.1e-2+deb7u5' \
    >"$img/var/log/dpkg.log.1"
printf '2015-01-01 00:00:00 startup archives unpack\n' >"$img/var/log/dpkg.log"
cp "$CERT" "$img/etc/ssl/old.pem" && cp "$KEY" "$img/etc/ssl/private/old.key"
new_key_cert img-new && cp "$WORK/img-new.pem" "$img/etc/ssl/new.pem" &&
    cp "$WORK/img-new.key" "$img/etc/ssl/private/new.key"
touch -d '2014-03-01 12:00:00 UTC' "$img/etc/ssl/private/old.key"
{
    echo 'events {}'
    echo 'http {'
    echo '    server { listen 443 ssl; ssl_certificate /etc/ssl/old.pem;'
    echo '             ssl_certificate_key /etc/ssl/private/old.key; }'
    echo '    server { listen 8443 ssl; ssl_certificate /etc/ssl/new.pem;'
    echo '             ssl_certificate_key /etc/ssl/private/new.key; }'
    echo '}'
} >"$img/etc/nginx/nginx.conf"
run_cmd timeout -k 2 "$HC_RUN_LIMIT" env TZ=UTC "$HC_BIN" host --root "$img" --no-probe --json
host_out=$SCAN_OUT
SCAN_JSON=$(jq -c 'select(.type == "summary")' <<<"$host_out")
expect_jq "host --root: the fix from the dpkg log (rotated .1 and .2.gz)" \
    '.fix == {"package": "libssl1.0.0", "version": "1.0.1e-2+deb7u5",
              "installed": "2014-04-08T10:00:00+0000"}'
SCAN_JSON=$(jq -c 'select(.type == "certificate" and .cert_path == "/etc/ssl/old.pem")' \
    <<<"$host_out")
expect_jq "host --root: the key changed before the fix is before_fix" \
    '.key_age == "before_fix" and .key_mtime == "2014-03-01T12:00:00+0000"'
SCAN_JSON=$(jq -c 'select(.type == "certificate" and .cert_path == "/etc/ssl/new.pem")' \
    <<<"$host_out")
expect_jq "host --root: a key made since is after_fix" '.key_age == "after_fix"'
SCAN_JSON=$(jq -s -c 'map(select(.type == "plan") | [.action, .subject])' <<<"$host_out")
expect_jq "host --root: the plan rotates and revokes the old key only" \
    'index([["rotate_key", "/etc/ssl/old.pem"]]) != null and
     index([["revoke", "/etc/ssl/old.pem"]]) != null and
     index([["rotate_key", "/etc/ssl/new.pem"]]) == null'

# ---- named targets and bad baselines ----

printf '%s\n' '{"target":"127.0.0.1:1","port":1,"verdict":"patched"}' \
    '{"target":"127.0.0.1:2","port":2,"verdict":"vulnerable","cert":null}' >"$WORK/two.jsonl"
expect_verify "a named target only: never_vulnerable, exit 0" never_vulnerable 0 \
    --baseline "$WORK/two.jsonl" 127.0.0.1:1
expect_eq "  one line" "$(grep -c . <<<"$SCAN_OUT")" 1
run_verify --baseline "$WORK/two.jsonl" 127.0.0.1:3
expect_eq "a target not in the baseline -> exit 2" "$SCAN_RC $(grep -c 'not in the baseline' <<<"$SCAN_ERR")" "2 1"
printf '%s\n' '{"target":"127.0.0.1:1","port":1,"verdict":"patched"}' '{"target":' 'x' \
    >"$WORK/bad.jsonl"
run_verify --baseline "$WORK/bad.jsonl"
expect_eq "a bad baseline line -> exit 2, named FILE:LINE" \
    "$SCAN_RC $(grep -c "bad.jsonl:2: not JSON" <<<"$SCAN_ERR")" "2 1"
run_verify --baseline "$WORK/missing.jsonl"
expect_eq "a missing baseline -> exit 2" "$SCAN_RC" 2
run_cmd "$HC_BIN" verify 127.0.0.1:1
expect_eq "no --baseline -> exit 2" "$SCAN_RC $(grep -c 'baseline FILE is required' <<<"$SCAN_ERR")" "2 1"

summary
