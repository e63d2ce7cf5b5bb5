#!/bin/sh
# Installs what heartcheck needs to build and to run its tests, from Debian's packages.
# Idempotent; uses sudo when not run as root.
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
BUILD="build-essential clang pkg-config libssl-dev libuv1-dev libjansson-dev libcmocka-dev libpcap-dev libelf-dev zlib1g-dev"
# libclang-rt-*-dev: LeakSanitizer/libFuzzer runtimes for clang's sanitizer and fuzz builds.
CLANG_RT="libclang-rt-14-dev"
PEERS="openssl gnutls-bin nginx-light curl jq valgrind clang-format procps iproute2 python3 time tcpdump tshark bc"
want=""
for p in $BUILD $CLANG_RT $PEERS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || want="$want $p"
done
if [ -n "$want" ]; then
    # tshark's package asks whether non-root users may capture: no question, no.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $want
fi
# nginx-light's package starts a service on port 80; the tests run their own instances.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    $SUDO systemctl stop nginx || true
fi
