# shellcheck shell=bash
# shellcheck disable=SC2034 # PORTS and XMPP_* are read by the scripts that source this
# shellcheck disable=SC2153 # DAEMON_PID, WORK, CERT, KEY come from lib.sh
# Real servers from Debian's packages for the STARTTLS and database tests; source it after
# lib.sh, and call make_cert before starting any.
#
# Every start_<server> runs one instance from its own configuration in a fresh directory under
# $WORK, with a copy of the throw-away certificate ($CERT, $KEY), listening on 127.0.0.1 and
# free ports only: no system configuration, default port, system socket or running system
# service is touched. It waits (bounded) until every port listens, records the ports in PORTS
# and the instance in SERVER_PIDS (and in lib.sh's DAEMON_PIDS, so its EXIT trap stops it
# too), and returns non-zero with the server's log on stderr when the server did not start.
#
# The refusing cases are the same servers configured not to offer TLS at all ("notls"
# instances), or, postfix-454, to offer it and then refuse it.
#
# PORTS keys, "<instance>.<service>":
#   start_postfix           postfix.smtp (STARTTLS offered), postfix.submission (STARTTLS
#                           required before anything else, the 587 behaviour of RFC 6409
#                           with RFC 3207's "530 Must issue a STARTTLS command first"),
#                           postfix-notls.smtp (no STARTTLS), postfix-454.smtp (STARTTLS
#                           offered, then "454 4.7.0 TLS not available due to local
#                           problem", RFC 3207 section 4) — one master, four smtpd
#   start_dovecot [notls]   dovecot.imap .pop3 .sieve .lmtp (STARTTLS), .imaps .pop3s
#                           (implicit TLS, 993/995-style); dovecot-notls.imap .pop3 .sieve
#                           .lmtp (ssl = no); sieve / lmtp only when managesieved / lmtpd
#                           are installed
#   start_vsftpd [notls]    vsftpd.ftp (AUTH TLS, RFC 4217), vsftpd-notls.ftp
#   start_prosody           prosody.c2s, prosody.s2s (STARTTLS, RFC 6120 section 5),
#                           prosody.c2s-tls (direct TLS, 5223-style); the domain $XMPP_DOMAIN
#                           offers TLS, $XMPP_NOTLS_DOMAIN (same ports) does not
#   start_slapd [notls]     slapd.ldap (StartTLS, RFC 4511 section 4.14), slapd.ldaps;
#                           slapd-notls.ldap
#   start_postgres [notls]  postgres.postgres (SSLRequest answered 'S'),
#                           postgres-notls.postgres ('N')
#   start_mariadb [notls]   mariadb.mysql (CLIENT_SSL offered), mariadb-notls.mysql
#   start_inspircd [notls]  inspircd.irc (IRCv3 STARTTLS), inspircd.ircs (implicit TLS,
#                           6697-style; GnuTLS, not OpenSSL); inspircd-notls.irc
# stop_servers stops every instance started so far.
#
# The servers need root: they drop to their own users (postfix, dovecot, prosody, postgres,
# irc) as their packages configure them; servers_can_run says whether this machine can run them.

declare -A PORTS=()
declare -A SERVER_START_MS=() # instance -> milliseconds from start_<server> to listening
SERVER_PIDS=()
XMPP_DOMAIN=localhost
XMPP_NOTLS_DOMAIN=notls.localhost
SERVER_WAIT=20 # seconds any one server may take to listen

# The servers' own users must reach their directories under $WORK (mktemp makes it 0700).
chmod 711 "$WORK"

# servers_can_run: prints why the servers cannot run here, returns non-zero; silent otherwise.
servers_can_run() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "the servers run as root and drop to their packages' users (run as root)"
        return 1
    fi
}

# server_port: a port nobody listens on and not handed out before in this run. Drawn at
# random below Linux's ephemeral range (32768 and up), so no outgoing connection holds it;
# no python per port (free_port's), which costs half a second on a busy machine.
declare -A SERVER_PORTS_GIVEN=()
server_port() {
    local p i
    for ((i = 0; i < 50; i++)); do
        p=$((20000 + RANDOM % 12768))
        if [ -z "${SERVER_PORTS_GIVEN[$p]:-}" ] && ! port_in_use "$p"; then
            SERVER_PORTS_GIVEN[$p]=1
            echo "$p"
            return 0
        fi
    done
    return 1
}

# server_dir INSTANCE [OWNER]: a new directory for one instance, holding the certificate and
# key, all owned by OWNER when given (servers that run as their own user). Sets SRV.
SRV=
server_dir() {
    local instance=$1 owner=${2:-root}
    SRV=$(mktemp -d "$WORK/$instance.XXXXXX") || return 1
    chmod 755 "$SRV"
    chown "$owner": "$SRV" &&
        install -m 0644 -o "$owner" "$CERT" "$SRV/cert.pem" &&
        install -m 0600 -o "$owner" "$KEY" "$SRV/key.pem"
}

# server_listening INSTANCE PID T0 LOG PORT...: waits until PID (or its process group)
# listens on every PORT; records the instance and its start time. On failure prints LOG and
# returns non-zero.
server_listening() {
    local instance=$1 pid=$2 t0=$3 log=$4 port
    shift 4
    SERVER_PIDS+=("$pid")
    [[ " ${DAEMON_PIDS[*]} " == *" $pid "* ]] || DAEMON_PIDS+=("$pid")
    for port in "$@"; do
        if ! wait_for_port "$port" "$pid" "$SERVER_WAIT"; then
            echo "# $instance did not listen on 127.0.0.1:$port within ${SERVER_WAIT}s:" >&2
            tail -n 30 "$log" 2>/dev/null | sed 's/^/#   /' >&2
            return 1
        fi
    done
    SERVER_START_MS[$instance]=$(($(ms_now) - t0))
}

stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do
        stop_daemon "$pid"
    done
    SERVER_PIDS=()
}

# as_user USER: sets AS_USER to the command prefix that runs a command with USER's uid, gid
# and groups. setpriv execs: the server's pid is the one start_daemon started.
AS_USER=()
as_user() {
    AS_USER=(setpriv --reuid="$1" --regid="$1" --init-groups --)
}

# ---- postfix (SMTP) ----

start_postfix() {
    local t0 smtp sub notls broken pid
    t0=$(ms_now)
    server_dir postfix || return 1
    smtp=$(server_port) && sub=$(server_port) && notls=$(server_port) && broken=$(server_port) ||
        return 1
    # Only what these services use: master's pid file, the private (anvil, proxymap, tlsmgr)
    # and public (postlog) sockets, tlsmgr's data; no mail queue.
    mkdir -p "$SRV/etc" "$SRV/queue/pid"
    install -d -o postfix -m 0700 "$SRV/data" "$SRV/queue/private"
    install -d -o postfix -g postdrop -m 0710 "$SRV/queue/public"
    # No aliases, no local delivery, no NIS, no DNS, no mail to the postmaster: only the SMTP
    # dialogue is needed. The log goes to a file (postlogd), which Postfix only writes under
    # maillog_file_prefixes.
    cat >"$SRV/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $SRV/queue
data_directory = $SRV/data
mail_owner = postfix
myhostname = localhost
mydestination =
alias_maps =
alias_database =
notify_classes =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file_prefixes = $SRV
maillog_file = $SRV/maillog
smtpd_tls_cert_file = $SRV/cert.pem
smtpd_tls_key_file = $SRV/key.pem
smtpd_tls_security_level = may
EOF
    # Unchrooted services; smtpd needs anvil (connection counts), proxymap (recipient maps)
    # and tlsmgr (TLS randomness). The 454 listener is pointed at a tlsmgr that does not
    # exist: it still offers STARTTLS, then gives up on TLS after about a second of retries.
    cat >"$SRV/etc/master.cf" <<EOF
127.0.0.1:$smtp inet n - n - - smtpd
127.0.0.1:$sub inet n - n - - smtpd -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt
127.0.0.1:$notls inet n - n - - smtpd -o syslog_name=postfix/notls -o smtpd_tls_security_level=none
127.0.0.1:$broken inet n - n - - smtpd -o syslog_name=postfix/454 -o tlsmgr_service_name=no-tlsmgr
anvil unix - - n - 1 anvil
proxymap unix - - n - - proxymap
tlsmgr unix - - n 1000? 1 tlsmgr
postlog unix-dgram n - n - 1 postlogd
EOF
    # master itself, not "postfix start": postfix-script's checks of a full installation take
    # seconds and need a whole queue. -w returns once master has bound its sockets; master
    # always makes itself a session leader, so its pid names the whole process group.
    if ! /usr/lib/postfix/sbin/master -c "$SRV/etc" -w >"$SRV/start.log" 2>&1 ||
        ! read -r pid <"$SRV/queue/pid/master.pid"; then
        echo "# postfix master did not start:" >&2
        cat "$SRV/start.log" "$SRV/maillog" 2>/dev/null | sed 's/^/#   /' >&2
        return 1
    fi
    server_listening postfix "$pid" "$t0" "$SRV/maillog" "$smtp" "$sub" "$notls" \
        "$broken" || return 1
    PORTS[postfix.smtp]=$smtp
    PORTS[postfix.submission]=$sub
    PORTS[postfix-notls.smtp]=$notls
    PORTS[postfix-454.smtp]=$broken
}

# ---- dovecot (IMAP, POP3, ManageSieve, LMTP) ----

# dovecot_listener SERVICE NAME PORT [ssl]: one inet_listener block (port 0: none). Every
# listener the built-in defaults know is written, so none falls back to its default port.
dovecot_listener() {
    printf 'service %s {\n  inet_listener %s {\n    address = 127.0.0.1\n    port = %s\n' "$1" "$2" "$3"
    [ "${4:-}" = ssl ] && printf '    ssl = yes\n'
    printf '  }\n}\n'
}

start_dovecot() {
    local mode=${1:-tls} instance=dovecot t0 imap pop3 imaps=0 pop3s=0 sieve=0 lmtp=0
    local protocols="imap pop3"
    [ "$mode" = notls ] && instance=dovecot-notls
    t0=$(ms_now)
    server_dir "$instance" || return 1
    imap=$(server_port) && pop3=$(server_port) || return 1
    if [ "$mode" = tls ]; then
        imaps=$(server_port) && pop3s=$(server_port) || return 1
    fi
    if [ -x /usr/lib/dovecot/managesieve-login ]; then
        sieve=$(server_port) || return 1
        protocols="$protocols sieve"
    fi
    if [ -x /usr/lib/dovecot/lmtp ]; then
        lmtp=$(server_port) || return 1
        protocols="$protocols lmtp"
    fi
    mkdir -p "$SRV/run" "$SRV/state" "$SRV/home"
    {
        cat <<EOF
instance_name = $instance-${SRV##*.}
base_dir = $SRV/run
state_dir = $SRV/state
log_path = $SRV/dovecot.log
listen = 127.0.0.1
protocols = $protocols
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$SRV/home
}
EOF
        if [ "$mode" = tls ]; then
            printf 'ssl = yes\nssl_cert = <%s\nssl_key = <%s\n' "$SRV/cert.pem" "$SRV/key.pem"
        else
            printf 'ssl = no\n'
        fi
        dovecot_listener imap-login imap "$imap"
        dovecot_listener imap-login imaps "$imaps" ssl
        dovecot_listener pop3-login pop3 "$pop3"
        dovecot_listener pop3-login pop3s "$pop3s" ssl
        [ "$sieve" != 0 ] && dovecot_listener managesieve-login sieve "$sieve"
        [ "$lmtp" != 0 ] && dovecot_listener lmtp lmtp "$lmtp"
    } >"$SRV/dovecot.conf"
    # -F: the master stays in the foreground, in start_daemon's process group.
    start_daemon "$SRV/stderr.log" dovecot -F -c "$SRV/dovecot.conf"
    local ports=("$imap" "$pop3")
    [ "$mode" = tls ] && ports+=("$imaps" "$pop3s")
    [ "$sieve" != 0 ] && ports+=("$sieve")
    [ "$lmtp" != 0 ] && ports+=("$lmtp")
    server_listening "$instance" "$DAEMON_PID" "$t0" "$SRV/dovecot.log" "${ports[@]}" || {
        sed 's/^/#   /' "$SRV/stderr.log" >&2
        return 1
    }
    PORTS[$instance.imap]=$imap
    PORTS[$instance.pop3]=$pop3
    if [ "$mode" = tls ]; then
        PORTS[$instance.imaps]=$imaps
        PORTS[$instance.pop3s]=$pop3s
    fi
    [ "$sieve" != 0 ] && PORTS[$instance.sieve]=$sieve
    [ "$lmtp" != 0 ] && PORTS[$instance.lmtp]=$lmtp
    return 0
}

# ---- vsftpd (FTP) ----

start_vsftpd() {
    local mode=${1:-tls} instance=vsftpd t0 port
    [ "$mode" = notls ] && instance=vsftpd-notls
    t0=$(ms_now)
    server_dir "$instance" || return 1
    port=$(server_port) || return 1
    mkdir -p "$SRV/empty"
    # Standalone in the foreground. vsftpd refuses to start with neither local nor anonymous
    # logins (nobody logs in here); secure_chroot_dir must exist and be root's (the package's
    # /var/run/vsftpd/empty may be missing on a tmpfs /run); its seccomp sandbox kills the
    # session on syscalls newer kernels and libcs make.
    {
        cat <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
secure_chroot_dir=$SRV/empty
seccomp_sandbox=NO
xferlog_enable=NO
vsftpd_log_file=$SRV/vsftpd.log
EOF
        if [ "$mode" = tls ]; then
            printf 'ssl_enable=YES\nrsa_cert_file=%s\nrsa_private_key_file=%s\n' \
                "$SRV/cert.pem" "$SRV/key.pem"
        else
            printf 'ssl_enable=NO\n'
        fi
    } >"$SRV/vsftpd.conf"
    start_daemon "$SRV/stderr.log" vsftpd "$SRV/vsftpd.conf"
    server_listening "$instance" "$DAEMON_PID" "$t0" "$SRV/stderr.log" "$port" || return 1
    PORTS[$instance.ftp]=$port
}

# ---- prosody (XMPP) ----

start_prosody() {
    local t0 c2s s2s c2s_tls
    t0=$(ms_now)
    server_dir prosody prosody || return 1
    c2s=$(server_port) && s2s=$(server_port) && c2s_tls=$(server_port) || return 1
    mkdir -p "$SRV/data"
    # One certificate for every host; the second host loads no tls module, so its stream
    # features carry no <starttls/> (RFC 6120 section 5.3.1).
    cat >"$SRV/prosody.cfg.lua" <<EOF
pidfile = "$SRV/prosody.pid"
data_path = "$SRV/data"
log = { info = "$SRV/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
s2s_ports = { $s2s }
c2s_direct_tls_ports = { $c2s_tls }
s2s_direct_tls_ports = {}
legacy_ssl_ports = {}
http_ports = {}
https_ports = {}
modules_enabled = { "tls", "saslauth", "disco", "dialback" }
certificates = "$SRV"
ssl = { certificate = "$SRV/cert.pem", key = "$SRV/key.pem" }
VirtualHost "$XMPP_DOMAIN"
VirtualHost "$XMPP_NOTLS_DOMAIN"
    modules_disabled = { "tls" }
EOF
    chown -R prosody: "$SRV"
    # As prosody from the start (it would otherwise switch after reading its files), in the
    # foreground (-F).
    as_user prosody
    start_daemon "$SRV/stderr.log" "${AS_USER[@]}" prosody --config "$SRV/prosody.cfg.lua" -F
    server_listening prosody "$DAEMON_PID" "$t0" "$SRV/prosody.log" "$c2s" "$s2s" "$c2s_tls" || return 1
    PORTS[prosody.c2s]=$c2s
    PORTS[prosody.s2s]=$s2s
    PORTS[prosody.c2s-tls]=$c2s_tls
}

# ---- slapd (LDAP) ----

start_slapd() {
    local mode=${1:-tls} instance=slapd t0 ldap ldaps urls
    [ "$mode" = notls ] && instance=slapd-notls
    t0=$(ms_now)
    server_dir "$instance" || return 1
    ldap=$(server_port) || return 1
    urls="ldap://127.0.0.1:$ldap/"
    if [ "$mode" = tls ]; then
        ldaps=$(server_port) || return 1
        urls="$urls ldaps://127.0.0.1:$ldaps/"
    fi
    # slapd.conf, not cn=config: nothing to load, and no database at all (the root DSE and
    # the StartTLS extended operation need none). Without TLSCertificateFile slapd answers
    # StartTLS with an error result.
    {
        printf 'include /etc/ldap/schema/core.schema\npidfile %s\nargsfile %s\n' \
            "$SRV/slapd.pid" "$SRV/slapd.args"
        if [ "$mode" = tls ]; then
            printf 'TLSCertificateFile %s\nTLSCertificateKeyFile %s\n' "$SRV/cert.pem" "$SRV/key.pem"
        fi
    } >"$SRV/slapd.conf"
    # -d 0: stay in the foreground (any -d does), logging nothing but errors.
    start_daemon "$SRV/stderr.log" slapd -f "$SRV/slapd.conf" -h "$urls" -d 0
    # shellcheck disable=SC2086 # the listener ports, one word each
    server_listening "$instance" "$DAEMON_PID" "$t0" "$SRV/stderr.log" "$ldap" ${ldaps:-} || return 1
    PORTS[$instance.ldap]=$ldap
    [ "$mode" = tls ] && PORTS[$instance.ldaps]=$ldaps
    return 0
}

# ---- PostgreSQL ----

PG_BIN= # the newest installed server's
for pg_bin_dir in /usr/lib/postgresql/*/bin; do
    [ -x "$pg_bin_dir/postgres" ] && PG_BIN=$pg_bin_dir
done
PG_TEMPLATE=

# One initdb per run (about a second); every instance starts from a copy.
postgres_template() {
    [ -n "$PG_TEMPLATE" ] && return 0
    local dir
    dir=$(mktemp -d "$WORK/postgres-template.XXXXXX") || return 1
    chown postgres: "$dir"
    as_user postgres
    if ! "${AS_USER[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        echo "# initdb failed:" >&2
        sed 's/^/#   /' "$dir/initdb.log" >&2
        return 1
    fi
    PG_TEMPLATE=$dir/data
}

start_postgres() {
    local mode=${1:-tls} instance=postgres t0 port ssl=on
    [ "$mode" = notls ] && instance=postgres-notls ssl=off
    t0=$(ms_now)
    if [ -z "$PG_BIN" ]; then
        echo "# no /usr/lib/postgresql/*/bin (postgresql)" >&2
        return 1
    fi
    postgres_template || return 1
    server_dir "$instance" postgres || return 1
    port=$(server_port) || return 1
    cp -a "$PG_TEMPLATE" "$SRV/data"
    # Its own socket directory (not /var/run/postgresql); small shared memory; the key must be
    # the server user's and 0600 or the server refuses it.
    as_user postgres
    start_daemon "$SRV/postgres.log" "${AS_USER[@]}" "$PG_BIN/postgres" -D "$SRV/data" \
        -c listen_addresses=127.0.0.1 -p "$port" -c unix_socket_directories="$SRV" \
        -c ssl=$ssl -c ssl_cert_file="$SRV/cert.pem" -c ssl_key_file="$SRV/key.pem" \
        -c fsync=off -c shared_buffers=16MB -c max_connections=10
    server_listening "$instance" "$DAEMON_PID" "$t0" "$SRV/postgres.log" "$port" || return 1
    PORTS[$instance.postgres]=$port
}

# ---- MariaDB ----

MARIADB_OPTS=(--no-defaults --user=root --skip-name-resolve --innodb-buffer-pool-size=8M
    --innodb-log-file-size=4M)
MARIADB_TEMPLATE=

# One mariadb-install-db per run (about two seconds); every instance starts from a copy.
mariadb_template() {
    [ -n "$MARIADB_TEMPLATE" ] && return 0
    local dir
    dir=$(mktemp -d "$WORK/mariadb-template.XXXXXX") || return 1
    if ! mariadb-install-db "${MARIADB_OPTS[@]}" --datadir="$dir/data" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1; then
        echo "# mariadb-install-db failed:" >&2
        tail -n 30 "$dir/install.log" | sed 's/^/#   /' >&2
        return 1
    fi
    MARIADB_TEMPLATE=$dir/data
}

start_mariadb() {
    local mode=${1:-tls} instance=mariadb t0 port tls
    [ "$mode" = notls ] && instance=mariadb-notls
    t0=$(ms_now)
    mariadb_template || return 1
    server_dir "$instance" || return 1
    port=$(server_port) || return 1
    cp -a "$MARIADB_TEMPLATE" "$SRV/data"
    if [ "$mode" = tls ]; then
        tls=(--ssl-cert="$SRV/cert.pem" --ssl-key="$SRV/key.pem")
    else
        tls=(--skip-ssl)
    fi
    # Its own socket and pid file (not /run/mysqld); root is fine with --user=root.
    start_daemon "$SRV/stderr.log" mariadbd "${MARIADB_OPTS[@]}" --datadir="$SRV/data" \
        --bind-address=127.0.0.1 --port="$port" --socket="$SRV/mysqld.sock" \
        --pid-file="$SRV/mysqld.pid" --log-error="$SRV/error.log" "${tls[@]}"
    server_listening "$instance" "$DAEMON_PID" "$t0" "$SRV/error.log" "$port" || return 1
    PORTS[$instance.mysql]=$port
}

# ---- InspIRCd (IRC) ----

start_inspircd() {
    local mode=${1:-tls} instance=inspircd t0 irc ircs
    [ "$mode" = notls ] && instance=inspircd-notls
    t0=$(ms_now)
    server_dir "$instance" irc || return 1
    irc=$(server_port) || return 1
    [ "$mode" = tls ] && { ircs=$(server_port) || return 1; }
    # No hostname lookups: their NOTICE lines come before the STARTTLS reply, and OpenSSL's
    # client gives up on the first line that is not a numeric reply.
    {
        cat <<EOF
<config format="xml">
<server name="irc.localhost" description="heartcheck test" network="heartcheck">
<admin name="test" nick="test" email="test@localhost">
<path configdir="$SRV" datadir="$SRV" logdir="$SRV" runtimedir="$SRV">
<pid file="$SRV/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$SRV/inspircd.log">
<connect name="main" allow="*" resolvehostnames="no" timeout="20" localmax="100" globalmax="100">
<class name="all" commands="*" privs="*" usermodes="*" chanmodes="*">
<bind address="127.0.0.1" port="$irc" type="clients">
EOF
        # Without a TLS provider the starttls module answers "691 STARTTLS is not enabled";
        # without the module STARTTLS gets no answer at all before registration.
        if [ "$mode" = tls ]; then
            cat <<EOF
<module name="ssl_gnutls">
<sslprofile name="main" provider="gnutls" certfile="$SRV/cert.pem" keyfile="$SRV/key.pem" requestclientcert="no">
<bind address="127.0.0.1" port="$ircs" type="clients" sslprofile="main">
<starttls enabled="yes" provider="main">
EOF
        fi
        echo '<module name="starttls">'
    } >"$SRV/inspircd.conf"
    chown irc: "$SRV/inspircd.conf"
    # As irc from the start (it refuses root), in the foreground. Debian 12's InspIRCd 3.15
    # with ssl_gnutls crashes (SIGSEGV) when it exits, after unloading its modules: a shell
    # in between keeps bash from announcing that crash when the test stops it.
    as_user irc
    start_daemon "$SRV/stderr.log" sh -c '"$@"; exit 0' inspircd "${AS_USER[@]}" \
        inspircd --config "$SRV/inspircd.conf" --nofork
    # shellcheck disable=SC2086 # the listener ports, one word each
    server_listening "$instance" "$DAEMON_PID" "$t0" "$SRV/stderr.log" "$irc" ${ircs:-} || return 1
    PORTS[$instance.irc]=$irc
    [ "$mode" = tls ] && PORTS[$instance.ircs]=$ircs
    return 0
}
