#!/bin/sh
# Installs what heartcheck needs to build and to run its tests, from Debian's packages.
# Idempotent; uses sudo when not run as root.
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
BUILD="build-essential clang pkg-config libssl-dev libuv1-dev libjansson-dev libcmocka-dev libpcap-dev libelf-dev zlib1g-dev"
# libclang-rt-*-dev: LeakSanitizer/libFuzzer runtimes for clang's sanitizer and fuzz builds.
CLANG_RT="libclang-rt-14-dev"
# tshark: decodes the DTLS and OpenVPN exchanges the suites capture on loopback; openvpn: its
# server on loopback ("--dev null", no tun device) for the OpenVPN suite.
PEERS="openssl gnutls-bin nginx-light curl jq valgrind clang-format procps iproute2 python3 time"
PEERS="$PEERS tshark openvpn"
# tcpdump, tshark (editcap) and bc: the traffic analyzer's recorded captures and bench/pcap.
PEERS="$PEERS tcpdump bc"

# Real servers for the STARTTLS and database tests (tests/integration/servers.sh), which run
# each one from its own configuration on a free loopback port. Their packages must not leave
# services behind on the default ports.
SERVERS="postfix dovecot-imapd dovecot-pop3d dovecot-managesieved dovecot-lmtpd vsftpd prosody slapd
    ldap-utils postgresql mariadb-server inspircd"
# Real TLS clients for `heartcheck clients` (tests/integration/test_clients.sh).
CLIENTS="wget git mariadb-client postgresql-client swaks"

want=""
for p in $BUILD $CLANG_RT $PEERS $SERVERS $CLIENTS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || want="$want $p"
done

# Maintainer scripts start services through invoke-rc.d or deb-systemd-invoke, and both ask
# /usr/sbin/policy-rc.d first: 101 means "action forbidden". One already there (containers
# ship one) is left alone; ours goes away when this script ends, however it ends.
POLICY_RC=/usr/sbin/policy-rc.d
forbid_service_starts() {
    [ -e "$POLICY_RC" ] && return 0
    trap '$SUDO rm -f "$POLICY_RC"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY_RC" >/dev/null
    $SUDO chmod 755 "$POLICY_RC"
}

if [ -n "$want" ]; then
    forbid_service_starts
    # No questions, no system-wide setup: postfix gets no main.cf and slapd no database; the
    # tests write their own.
    printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
        'slapd slapd/no_configuration boolean true' \
        'wireshark-common wireshark-common/install-setuid boolean false' |
        $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $want
fi
# nginx-light's package starts a service on port 80; the tests run their own instances.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    $SUDO systemctl stop nginx || true
fi
