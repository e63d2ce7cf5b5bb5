#!/usr/bin/env bash
# heartcheck scan through STARTTLS and database preludes against real servers from Debian's
# packages, each started here on loopback with a throw-away certificate (servers.sh): postfix
# (smtp), dovecot (imap, pop3, sieve, lmtp; implicit imaps and pop3s), vsftpd (ftp), prosody
# (xmpp, xmpp-server; direct TLS), slapd (ldap; ldaps), postgresql, mariadb (mysql), inspircd
# (irc; implicit TLS).
#
# For every TLS endpoint: (a) OpenSSL's own client completes a handshake through the same
# prelude (proves the server, not heartcheck); (b) heartcheck finds it not_vulnerable (these
# servers link OpenSSL 3 or GnuTLS, neither with heartbeats) and names the prelude in
# "starttls" (null on implicit-TLS ports). For every server that can be configured not to offer
# TLS: OpenSSL's client fails, and heartcheck says not_tls with the server's own words in the
# reason.
# Prints "ok - NAME" / "FAIL - NAME: ..." and the closing "N passed, N failed".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/servers.sh
. "$(dirname "$0")/servers.sh"

require_bin "$HC_BIN"
make_cert || { fail setup "cannot make a certificate with openssl req"; summary; exit 1; }
if ! why=$(servers_can_run); then
    skip "STARTTLS servers" "$why (counted neither way)"
    summary
    exit 0
fi

# ---- checks ----

# s_client PORT [options]: OpenSSL's client, bounded; sets SC_LABEL (the options, for test
# names) and SC_OUT (its output, NUL bytes dropped: some servers' greetings carry them).
SC_LABEL='' SC_OUT=''
s_client() {
    local port=$1
    shift
    SC_LABEL="openssl s_client${*:+ $*}"
    SC_OUT=$(timeout -k 2 15 openssl s_client -brief -connect "127.0.0.1:$port" "$@" </dev/null 2>&1 |
        tr -d '\0')
}

# handshake NAME PORT [s_client options]: OpenSSL's client completes a TLS handshake.
handshake() {
    local name=$1
    shift
    s_client "$@"
    if grep -q '^CONNECTION ESTABLISHED' <<<"$SC_OUT"; then
        ok "$name: $SC_LABEL completes a handshake"
    else
        fail "$name: $SC_LABEL" "no handshake: $(tail -n 3 <<<"$SC_OUT" | tr '\n' ' ')"
    fi
}

# no_handshake NAME PORT [s_client options]: OpenSSL's client gets no TLS (the refusing
# server really refuses).
no_handshake() {
    local name=$1
    shift
    s_client "$@"
    if grep -q '^CONNECTION ESTABLISHED' <<<"$SC_OUT"; then
        fail "$name: $SC_LABEL" "completed a handshake with a server that should refuse"
    else
        ok "$name: $SC_LABEL gets no TLS"
    fi
}

# scan_starttls NAME PROTO PORT [scan options]: not_vulnerable, and "starttls" names PROTO.
scan_starttls() {
    local name=$1 proto=$2 port=$3
    shift 3
    check "$name: heartcheck --starttls $proto -> not_vulnerable" not_vulnerable \
        "127.0.0.1:$port" --starttls "$proto" "$@" &&
        expect_jq "$name: starttls is \"$proto\"" ".starttls == \"$proto\""
}

# scan_implicit NAME PORT: TLS from the first byte: not_vulnerable, "starttls" null (no
# dialogue: docs/json.md).
scan_implicit() {
    local name=$1 port=$2
    check "$name: heartcheck (implicit TLS) -> not_vulnerable" not_vulnerable "127.0.0.1:$port" &&
        expect_jq "$name: starttls is null" '.starttls == null'
}

# scan_refused NAME PROTO PORT WORDS [scan options]: not_tls, and the reason matches WORDS
# (a regular expression, jq's test(), over what this server says where it refuses: the answer
# to the request for TLS, or the capabilities or greeting that do not offer it).
scan_refused() {
    local name=$1 proto=$2 port=$3 words=$4
    shift 4
    check "$name: heartcheck --starttls $proto -> not_tls" not_tls "127.0.0.1:$port" \
        --starttls "$proto" "$@" || return 1
    if jq -e --arg re "$words" '.reason | test($re)' <<<"$SCAN_JSON" >/dev/null 2>&1; then
        ok "$name: the reason quotes the server"
    else
        fail "$name: the reason quotes the server" "want /$words/ in the reason ($SCAN_JSON)"
    fi
}

# started NAME PACKAGE COMMAND START_FUNCTION [ARGS]: starts a server; passes when it listens.
started() {
    local name=$1 package=$2 command=$3 log
    shift 3
    if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "$command" ]; then
        fail "$name starts" "$command not installed ($package; scripts/install-deps.sh)"
        return 1
    fi
    log=$WORK/start-$name.log
    if "$@" 2>"$log"; then
        ok "$name starts (${SERVER_START_MS[$name]} ms)"
    else
        fail "$name starts" "$(tr '\n' ' ' <"$log")"
        return 1
    fi
}

port() { echo "${PORTS[$1]:-0}"; } # PORTS key -> port (0 when the server did not start)

t_start=$(ms_now)

# ---- postfix: SMTP STARTTLS (RFC 3207) ----
if started postfix postfix postfix start_postfix; then
    handshake "postfix smtp" "$(port postfix.smtp)" -starttls smtp
    scan_starttls "postfix smtp" smtp "$(port postfix.smtp)"
    handshake "postfix submission" "$(port postfix.submission)" -starttls smtp
    scan_starttls "postfix submission" smtp "$(port postfix.submission)"
    no_handshake "postfix without TLS" "$(port postfix-notls.smtp)" -starttls smtp
    scan_refused "postfix without TLS" smtp "$(port postfix-notls.smtp)" \
        '502 5\.5\.1 Error: command not implemented|250[ -]CHUNKING|250[ -]localhost'
    no_handshake "postfix 454" "$(port postfix-454.smtp)" -starttls smtp
    scan_refused "postfix 454" smtp "$(port postfix-454.smtp)" \
        '454 4\.7\.0 TLS not available due to local problem'
fi

# ---- dovecot: IMAP (RFC 3501 section 6.2.1), POP3 STLS (RFC 2595), ManageSieve (RFC 5804),
# LMTP (RFC 2033); implicit TLS on the imaps and pop3s ports (RFC 8314) ----
if started dovecot dovecot-imapd dovecot start_dovecot; then
    handshake "dovecot imap" "$(port dovecot.imap)" -starttls imap
    scan_starttls "dovecot imap" imap "$(port dovecot.imap)"
    handshake "dovecot pop3" "$(port dovecot.pop3)" -starttls pop3
    scan_starttls "dovecot pop3" pop3 "$(port dovecot.pop3)"
    handshake "dovecot imaps" "$(port dovecot.imaps)"
    scan_implicit "dovecot imaps" "$(port dovecot.imaps)"
    handshake "dovecot pop3s" "$(port dovecot.pop3s)"
    scan_implicit "dovecot pop3s" "$(port dovecot.pop3s)"
    if [ -n "${PORTS[dovecot.sieve]:-}" ]; then
        handshake "dovecot managesieve" "$(port dovecot.sieve)" -starttls sieve
        scan_starttls "dovecot managesieve" sieve "$(port dovecot.sieve)"
    else
        fail "dovecot managesieve" "not installed (dovecot-managesieved; scripts/install-deps.sh)"
    fi
    if [ -n "${PORTS[dovecot.lmtp]:-}" ]; then
        handshake "dovecot lmtp" "$(port dovecot.lmtp)" -starttls lmtp
        scan_starttls "dovecot lmtp" lmtp "$(port dovecot.lmtp)"
    else
        fail "dovecot lmtp" "not installed (dovecot-lmtpd; scripts/install-deps.sh)"
    fi
fi
if started dovecot-notls dovecot-imapd dovecot start_dovecot notls; then
    no_handshake "dovecot imap without TLS" "$(port dovecot-notls.imap)" -starttls imap
    scan_refused "dovecot imap without TLS" imap "$(port dovecot-notls.imap)" \
        "BAD TLS support isn't enabled|CAPABILITY IMAP4rev1"
    no_handshake "dovecot pop3 without TLS" "$(port dovecot-notls.pop3)" -starttls pop3
    scan_refused "dovecot pop3 without TLS" pop3 "$(port dovecot-notls.pop3)" \
        "-ERR TLS support isn't enabled|Dovecot \\(Debian\\) ready|SASL PLAIN|UIDL|RESP-CODES"
    if [ -n "${PORTS[dovecot-notls.sieve]:-}" ]; then
        no_handshake "dovecot managesieve without TLS" "$(port dovecot-notls.sieve)" -starttls sieve
        scan_refused "dovecot managesieve without TLS" sieve "$(port dovecot-notls.sieve)" \
            "TLS support isn't enabled|Dovecot \\(Debian\\)|IMPLEMENTATION"
    fi
    if [ -n "${PORTS[dovecot-notls.lmtp]:-}" ]; then
        no_handshake "dovecot lmtp without TLS" "$(port dovecot-notls.lmtp)" -starttls lmtp
        scan_refused "dovecot lmtp without TLS" lmtp "$(port dovecot-notls.lmtp)" \
            '502 5\.5\.1 TLS support is not enabled|250[ -](8BITMIME|PIPELINING)'
    fi
fi

# ---- vsftpd: FTP AUTH TLS (RFC 4217 section 4) ----
if started vsftpd vsftpd vsftpd start_vsftpd; then
    handshake "vsftpd ftp" "$(port vsftpd.ftp)" -starttls ftp
    scan_starttls "vsftpd ftp" ftp "$(port vsftpd.ftp)"
fi
if started vsftpd-notls vsftpd vsftpd start_vsftpd notls; then
    no_handshake "vsftpd without TLS" "$(port vsftpd-notls.ftp)" -starttls ftp
    scan_refused "vsftpd without TLS" ftp "$(port vsftpd-notls.ftp)" \
        '530 Please login with USER and PASS|vsFTPd'
fi

# ---- prosody: XMPP STARTTLS, client and server streams (RFC 6120 section 5); direct TLS
# (XEP-0368) ----
if started prosody prosody prosody start_prosody; then
    handshake "prosody c2s" "$(port prosody.c2s)" -starttls xmpp -xmpphost "$XMPP_DOMAIN"
    scan_starttls "prosody c2s" xmpp "$(port prosody.c2s)" --xmpp-domain "$XMPP_DOMAIN"
    handshake "prosody s2s" "$(port prosody.s2s)" -starttls xmpp-server -xmpphost "$XMPP_DOMAIN"
    scan_starttls "prosody s2s" xmpp-server "$(port prosody.s2s)" --xmpp-domain "$XMPP_DOMAIN"
    handshake "prosody direct TLS" "$(port prosody.c2s-tls)"
    scan_implicit "prosody direct TLS" "$(port prosody.c2s-tls)"
    no_handshake "prosody c2s without TLS" "$(port prosody.c2s)" -starttls xmpp \
        -xmpphost "$XMPP_NOTLS_DOMAIN"
    scan_refused "prosody c2s without TLS" xmpp "$(port prosody.c2s)" \
        'No stream features to proceed with|undefined-condition' --xmpp-domain "$XMPP_NOTLS_DOMAIN"
    no_handshake "prosody s2s without TLS" "$(port prosody.s2s)" -starttls xmpp-server \
        -xmpphost "$XMPP_NOTLS_DOMAIN"
    scan_refused "prosody s2s without TLS" xmpp-server "$(port prosody.s2s)" \
        'dialback|stream:error' --xmpp-domain "$XMPP_NOTLS_DOMAIN"
fi

# ---- slapd: LDAP StartTLS extended operation (RFC 4511 section 4.14); ldaps ----
if started slapd slapd slapd start_slapd; then
    handshake "slapd ldap" "$(port slapd.ldap)" -starttls ldap
    scan_starttls "slapd ldap" ldap "$(port slapd.ldap)"
    handshake "slapd ldaps" "$(port slapd.ldaps)"
    scan_implicit "slapd ldaps" "$(port slapd.ldaps)"
fi
if started slapd-notls slapd slapd start_slapd notls; then
    no_handshake "slapd without TLS" "$(port slapd-notls.ldap)" -starttls ldap
    scan_refused "slapd without TLS" ldap "$(port slapd-notls.ldap)" 'unsupported extended operation'
fi

# ---- PostgreSQL: SSLRequest (protocol 3.0, "SSL Session Encryption") ----
if started postgres postgresql "${PG_BIN:-/nonexistent}/postgres" start_postgres; then
    handshake "postgres" "$(port postgres.postgres)" -starttls postgres
    scan_starttls "postgres" postgres "$(port postgres.postgres)"
fi
if started postgres-notls postgresql "${PG_BIN:-/nonexistent}/postgres" start_postgres notls; then
    no_handshake "postgres without TLS" "$(port postgres-notls.postgres)" -starttls postgres
    # The refusal is one byte, 'N'.
    scan_refused "postgres without TLS" postgres "$(port postgres-notls.postgres)" "\\bN\\b|'N'|\"N\""
fi

# ---- MariaDB: SSL request after the handshake packet (CLIENT_SSL) ----
if started mariadb mariadb-server mariadbd start_mariadb; then
    handshake "mariadb" "$(port mariadb.mysql)" -starttls mysql
    scan_starttls "mariadb" mysql "$(port mariadb.mysql)"
fi
if started mariadb-notls mariadb-server mariadbd start_mariadb notls; then
    no_handshake "mariadb without TLS" "$(port mariadb-notls.mysql)" -starttls mysql
    # The greeting lacks CLIENT_SSL; its words are the server version.
    scan_refused "mariadb without TLS" mysql "$(port mariadb-notls.mysql)" 'MariaDB'
fi

# ---- InspIRCd: IRCv3 STARTTLS (reply 670); implicit TLS; GnuTLS rather than OpenSSL ----
if started inspircd inspircd inspircd start_inspircd; then
    handshake "inspircd irc" "$(port inspircd.irc)" -starttls irc
    scan_starttls "inspircd irc" irc "$(port inspircd.irc)"
    handshake "inspircd ircs" "$(port inspircd.ircs)"
    scan_implicit "inspircd ircs" "$(port inspircd.ircs)"
fi
if started inspircd-notls inspircd inspircd start_inspircd notls; then
    no_handshake "inspircd without TLS" "$(port inspircd-notls.irc)" -starttls irc
    scan_refused "inspircd without TLS" irc "$(port inspircd-notls.irc)" '691 .*STARTTLS is not enabled'
fi

note "servers started and checked in $(($(ms_now) - t_start)) ms"
t_stop=$(ms_now)
stop_servers
note "servers stopped in $(($(ms_now) - t_stop)) ms"
summary
