#!/usr/bin/env bash
# Cross-builds the Windows x86_64 binary on Debian:
#
#   bash build/windows.sh        -> target/x86_64-pc-windows-gnu/release/rdpdoctor.exe (stripped)
#   bash build/windows.sh clippy -> clippy -D warnings for this target of the crates with
#                                   cfg(windows) code (rdpdoctor-host, rdpdoctor); CI runs it
#                                   after the build, so OpenSSL comes from the cache
#
# Idempotent: installs only missing Debian packages and the Rust target, and cargo
# rebuilds only what changed. Needs root for apt-get (CI and dev machines run as root).
#
# Toolchain: Debian's mingw-w64 (gcc-mingw-w64-x86-64) links the .exe and compiles C.
#
# TLS: the TLS 1.0/1.1 matrix (and the full cipher range) needs OpenSSL, as on Linux
# (rustls cannot speak TLS 1.0/1.1). Windows has no system OpenSSL to link against,
# and SChannel has TLS 1.0/1.1 switched off on current Windows, so the .exe carries
# its own: the `vendored-openssl` feature builds OpenSSL from source (the openssl-src
# crate, with the mingw compiler; it needs perl and make) and links it statically.
#
# Cache: that OpenSSL build takes minutes, so its result is kept outside the
# repository, keyed by the openssl-src version in Cargo.lock, like the IronRDP
# server (lab/build-ironrdp.sh), in $RDPDOCTOR_LAB_CACHE (default /var/cache/rdpdoctor).
# Later builds link the cached OpenSSL (OPENSSL_NO_VENDOR / OPENSSL_DIR, set for this
# target only). RDPDOCTOR_NO_OPENSSL_CACHE=1 always builds it from source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET=x86_64-pc-windows-gnu
T0=$EPOCHREALTIME
elapsed() { echo $(((${EPOCHREALTIME//[!0-9]/} - ${T0//[!0-9]/}) / 1000000)); }

# shellcheck source=../lab/lib.sh
. lab/lib.sh
apt_install_missing build/windows.sh gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 perl make

if [[ ! -d "$(rustc --print sysroot)/lib/rustlib/$TARGET" ]]; then
    rustup target add "$TARGET"
fi

# openssl-sys reads these with the target's prefix first: the Linux build is untouched.
ENV_PREFIX=X86_64_PC_WINDOWS_GNU
ossl_version=$(awk '/^name = "openssl-src"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[[ -n $ossl_version ]] || { echo "build/windows.sh: no openssl-src in Cargo.lock" >&2; exit 1; }
cache=$LAB_CACHE/openssl-$ossl_version-$TARGET
if [[ ${RDPDOCTOR_NO_OPENSSL_CACHE-} != 1 && -s $cache/lib/libssl.a ]]; then
    echo "build/windows.sh: OpenSSL $ossl_version for $TARGET cached ($cache)"
    export "${ENV_PREFIX}_OPENSSL_NO_VENDOR=1" "${ENV_PREFIX}_OPENSSL_DIR=$cache" \
        "${ENV_PREFIX}_OPENSSL_STATIC=1"
    cached=1
else
    echo "build/windows.sh: OpenSSL $ossl_version for $TARGET is built from source (minutes, once per machine)"
    cached=0
fi

if [[ ${1-} == clippy ]]; then
    # The code under cfg(windows) (src/win32.rs, the console code page) is
    # compiled by no Linux check: lint it for the target it is written for.
    # Without the cache, openssl-sys would build OpenSSL again (in debug/).
    ((cached)) || echo "build/windows.sh: no cached OpenSSL: run bash build/windows.sh first" >&2
    # The binary's tests drive the Linux binary and the lab: its lib and bin only.
    cargo clippy --locked --target "$TARGET" -p rdpdoctor-host --all-targets -- -D warnings
    cargo clippy --locked --target "$TARGET" -p rdpdoctor --features vendored-openssl --bins \
        -- -D warnings
    echo "build/windows.sh: clippy for $TARGET clean in $(elapsed) s"
    exit 0
fi

cargo build --release --locked --target "$TARGET" -p rdpdoctor --features vendored-openssl

tdir=${CARGO_TARGET_DIR:-target}
exe=$tdir/$TARGET/release/rdpdoctor.exe
if ((!cached)) && [[ ${RDPDOCTOR_NO_OPENSSL_CACHE-} != 1 ]]; then
    # The newest vendored install in the target dir is the one just linked.
    # shellcheck disable=SC2012
    built=$(ls -td "$tdir/$TARGET"/release/build/openssl-sys-*/out/openssl-build/install 2>/dev/null | head -1)
    if [[ -n $built && -s $built/lib/libssl.a ]]; then
        mkdir -p "$(dirname "$cache")"
        rm -rf "$cache.tmp"
        cp -r "$built" "$cache.tmp"
        rm -rf "$cache"
        mv "$cache.tmp" "$cache"
        echo "build/windows.sh: cached OpenSSL $ossl_version in $cache"
    fi
fi
# Strip the symbols and the debug info (most of it from the mingw and Rust
# standard libraries): 41 MB -> 29 MB. Done here rather than with the release
# profile's `strip`, which would change the Linux build too and rebuild every
# dependency for this target. Stripping twice is harmless (cargo leaves a fresh
# .exe alone, so this often finds it stripped already).
x86_64-w64-mingw32-strip --strip-all "$exe"
# The checksum beside the .exe, for whoever copies it to a Windows machine:
# there, `Get-FileHash rdpdoctor.exe` (SHA256 by default) must print the same.
(cd "$(dirname "$exe")" && sha256sum rdpdoctor.exe > rdpdoctor.exe.sha256)
echo "build/windows.sh: $exe ($(stat -c %s "$exe") bytes, stripped) in $(elapsed) s; sha256 $(cut -d' ' -f1 "$exe.sha256")"
