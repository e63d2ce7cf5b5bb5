# shellcheck shell=bash
# Synthetic root trees for `heartcheck host --root DIR` (tests/integration/test_host.sh and
# valgrind.sh); source it, do not run it. Every path given to these functions is inside ROOT
# ("/opt/ssl/lib"), as heartcheck reports it.
#
# The fake libraries carry what OpenSSL 1.0.1's shared objects carry as strings:
#   libcrypto.so.1.0.0  OPENSSL_VERSION_TEXT, cversion.c's "OPENSSLDIR: ", "built on: ",
#                       "platform: " and the "compiler: " string of the build's CFLAGS,
#                       and "SHA1 part of OpenSSL ..." module strings
#   libssl.so.1.0.0     SSL_version_str (OPENSSL_VERSION_TEXT) and the "SSLv3/TLSv1/DTLSv1
#                       part of OpenSSL ..." strings, but no build string: CFLAGS live in
#                       libcrypto only, so -DOPENSSL_NO_HEARTBEATS shows there
# Nothing in them is code: they are for --no-probe runs (a behavioural test cannot load them).

ROOTS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOTS_BANNER_DEFAULT="OpenSSL 1.0.1f 6 Jan 2014"
ROOTS_CFLAGS="gcc -fPIC -DOPENSSL_PIC -DZLIB -DOPENSSL_THREADS -D_REENTRANT -DDSO_DLFCN \
-DHAVE_DLFCN_H -m64 -DL_ENDIAN -DTERMIO -g -O2 -fstack-protector --param=ssp-buffer-size=4 \
-Wformat -Werror=format-security -D_FORTIFY_SOURCE=2 -Wl,-z,relro -Wa,--noexecstack -Wall \
-DMD32_REG_T=int -DOPENSSL_IA32_SSE2 -DOPENSSL_BN_ASM_MONT -DSHA1_ASM -DSHA256_ASM -DAES_ASM"
# What tests/unit/test_behave.c compiles the tests/host fixtures with.
ROOTS_FIXTURE_CFLAGS="-std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -shared -fPIC"

# The ELF header's first bytes, then filler: enough for anything that looks at the magic.
_roots_elf_head() {
    printf '\177ELF\002\001\001\000'
    head -c 4096 /dev/zero | tr '\0' '\220'
    printf '\000'
}

# _roots_build_strings BANNER NO_HB: libcrypto's cversion.c strings.
_roots_build_strings() {
    local banner=$1 no_hb=$2 cflags=$ROOTS_CFLAGS
    [ "$no_hb" = yes ] && cflags="$cflags -DOPENSSL_NO_HEARTBEATS"
    printf '%s\000' "$banner" 'OPENSSLDIR: "/usr/lib/ssl"' \
        'built on: Mon Apr  7 15:08:30 UTC 2014' 'platform: debian-amd64' "compiler: $cflags"
}

# root_fake_crypto FILE [BANNER] [NO_HB=yes|no]: a fake 1.0.x libcrypto.
root_fake_crypto() {
    local file=$1 banner=${2:-$ROOTS_BANNER_DEFAULT} no_hb=${3:-no}
    mkdir -p "$(dirname "$file")"
    {
        _roots_elf_head
        _roots_build_strings "$banner" "$no_hb"
        printf '%s\000' "SHA1 part of $banner" "RSA part of $banner"
        head -c 4096 /dev/zero | tr '\0' '\220'
    } >"$file"
}

# root_fake_ssl FILE [BANNER] [WITH_BUILD_STRING=no|yes|nohb]: a fake 1.0.x libssl; a real one
# has no build string, "yes"/"nohb" add one (without / with -DOPENSSL_NO_HEARTBEATS).
root_fake_ssl() {
    local file=$1 banner=${2:-$ROOTS_BANNER_DEFAULT} build=${3:-no}
    mkdir -p "$(dirname "$file")"
    {
        _roots_elf_head
        printf '%s\000' "$banner" "SSLv3 part of $banner" "TLSv1 part of $banner" \
            "DTLSv1 part of $banner"
        case $build in
        yes) printf '%s\000' "compiler: $ROOTS_CFLAGS" ;;
        nohb) printf '%s\000' "compiler: $ROOTS_CFLAGS -DOPENSSL_NO_HEARTBEATS" ;;
        esac
        head -c 4096 /dev/zero | tr '\0' '\220'
    } >"$file"
}

# root_linker_conf ROOT LIBDIR...: ROOT/etc/ld.so.conf including ld.so.conf.d/*.conf, one
# file there naming the directories (no ld.so.cache: found through the configuration).
root_linker_conf() {
    local root=$1 d
    shift
    mkdir -p "$root/etc/ld.so.conf.d"
    printf 'include /etc/ld.so.conf.d/*.conf\n' >"$root/etc/ld.so.conf"
    for d in "$@"; do
        printf '%s\n' "$d"
        mkdir -p "$root$d"
    done >"$root/etc/ld.so.conf.d/openssl.conf"
}

# root_dpkg ROOT PACKAGE VERSION PATH...: an installed dpkg package (amd64, source openssl)
# owning PATHs: a stanza in var/lib/dpkg/status and info/PACKAGE:amd64.list.
root_dpkg() {
    local root=$1 pkg=$2 version=$3 p d
    shift 3
    mkdir -p "$root/var/lib/dpkg/info"
    cat >>"$root/var/lib/dpkg/status" <<EOF
Package: $pkg
Status: install ok installed
Priority: important
Section: libs
Installed-Size: 2989
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@lists.alioth.debian.org>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: $version
Depends: libc6 (>= 2.7), zlib1g (>= 1:1.1.4), debconf (>= 0.5) | debconf-2.0
Description: SSL shared libraries
 libssl and libcrypto shared libraries needed by programs like
 apache-ssl, telnet-ssl and openssh.

EOF
    {
        printf '/.\n'
        for p in "$@"; do
            d=$(dirname "$p")
            printf '%s\n' "$d" "$p"
        done
        printf '/usr/share/doc/%s\n/usr/share/doc/%s/changelog.Debian.gz\n' "$pkg" "$pkg"
    } >"$root/var/lib/dpkg/info/$pkg:amd64.list"
}

# root_changelog ROOT PACKAGE VERSION MENTION(yes|no): usr/share/doc/PACKAGE/changelog.Debian.gz
# whose newest entry is VERSION, naming CVE-2014-0160 or not.
root_changelog() {
    local root=$1 pkg=$2 version=$3 mention=$4 dir
    dir=$root/usr/share/doc/$pkg
    mkdir -p "$dir"
    {
        printf 'openssl (%s) unstable; urgency=high\n\n' "$version"
        if [ "$mention" = yes ]; then
            printf '  * Enable checking for services that may need to be restarted\n'
            printf '  * Fix for CVE-2014-0160: Heartbleed, missing bounds check in the\n'
            printf '    TLS heartbeat extension.\n'
        else
            printf '  * Rebuild against the new toolchain.\n'
        fi
        printf '\n -- Kurt Roeckx <kurt@roeckx.be>  Mon, 07 Apr 2014 22:26:55 +0200\n\n'
        printf 'openssl (1.0.1e-2) unstable; urgency=low\n\n  * Older entry.\n\n'
        printf ' -- Kurt Roeckx <kurt@roeckx.be>  Sun, 05 May 2013 18:00:00 +0200\n'
    } | gzip -9n >"$dir/changelog.Debian.gz"
}

# root_static_copy ROOT PATH [BANNER] [NO_HB]: a real ELF program (a copy of true) that
# carries an OpenSSL's library strings, as a statically linked one does.
root_static_copy() {
    local root=$1 path=$2 banner=${3:-$ROOTS_BANNER_DEFAULT} no_hb=${4:-no}
    mkdir -p "$(dirname "$root$path")"
    cp /usr/bin/true "$root$path" || return 1
    {
        printf '\000'
        _roots_build_strings "$banner" "$no_hb"
        printf '%s\000' "TLSv1 part of $banner" "SHA1 part of $banner"
    } >>"$root$path"
}

# root_header_quote ROOT PATH: an ELF program that only quotes the banner of the headers it was
# built with (nginx -V's "built with OpenSSL ..."): it links a shared library, no copy of its own.
root_header_quote() {
    local root=$1 path=$2
    mkdir -p "$(dirname "$root$path")"
    cp /usr/bin/true "$root$path" || return 1
    printf '\000nginx version: nginx/1.4.6\000built with OpenSSL 1.0.1f 6 Jan 2014\000' \
        >>"$root$path"
}

# root_openssl3 ROOT [LIBDIR]: copies of this machine's OpenSSL 3 libssl.so.3 and libcrypto.so.3.
root_openssl3() {
    local root=$1 dir=${2:-/usr/lib/x86_64-linux-gnu} src
    src=$(roots_system_libdir) || return 1
    mkdir -p "$root$dir"
    cp "$src/libssl.so.3" "$src/libcrypto.so.3" "$root$dir/"
}

# The directory holding this machine's libssl.so.3.
roots_system_libdir() {
    local d
    for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
        if [ -f "$d/libssl.so.3" ] && [ -f "$d/libcrypto.so.3" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# root_emulation ROOT LIBDIR MODE SCRATCH: loadable libraries with the 1.0.x ABI in ROOT/LIBDIR,
# built from tests/host: libssl.so.1.0.0 = fake_ssl.c -DFAKE_MODE (VULNERABLE: 1.0.1f's
# heartbeat answer; PATCHED: 1.0.1g's), libcrypto.so.1.0.0 = shim10.c -DSHIM_CRYPTO (the 1.0
# names over this machine's OpenSSL 3). Compiler output goes to SCRATCH/cc.log.
root_emulation() {
    local root=$1 dir=$2 mode=$3 scratch=$4
    mkdir -p "$root$dir" "$scratch"
    # shellcheck disable=SC2086 # the flags are words
    cc $ROOTS_FIXTURE_CFLAGS -o "$root$dir/libcrypto.so.1.0.0" "$ROOTS_SRC/shim10.c" \
        -DSHIM_CRYPTO -Wl,-soname,libcrypto.so.1.0.0 -ldl >>"$scratch/cc.log" 2>&1 &&
        cc $ROOTS_FIXTURE_CFLAGS -o "$root$dir/libssl.so.1.0.0" "$ROOTS_SRC/fake_ssl.c" \
            "-DFAKE_$mode" -Wl,-soname,libssl.so.1.0.0 -lcrypto >>"$scratch/cc.log" 2>&1
}
