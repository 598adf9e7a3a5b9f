#!/usr/bin/env bash
# Build IronRDP's example server (a third, independent RDP server implementation for
# the ironrdp-* scenarios) into a cache outside the repository, keyed by version, and
# reuse it when present. Called by lab/install.sh; up.sh only checks that it exists.
#
#   usage: lab/build-ironrdp.sh [--print-path]
#
# The binary ends up in $RDPDOCTOR_LAB_CACHE/ironrdp-$IRONRDP_VERSION/bin/server
# (default cache /var/cache/rdpdoctor). The example lives in the meta crate `ironrdp`
# on crates.io (`--example server`); it needs libopus-dev (install.sh installs it).
# The crate ships its Cargo.lock, so the build is `--locked`. A debug build, as in
# lab-notes.md: the lab only needs the protocol, and release costs more build time.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ${1-} == --print-path ]]; then
    printf '%s\n' "$IRONRDP_BIN"
    exit 0
fi
[[ -z ${1-} ]] || die "usage: build-ironrdp.sh [--print-path]"

if [[ -x $IRONRDP_BIN ]]; then
    echo "lab: IronRDP example server $IRONRDP_VERSION cached ($IRONRDP_BIN)"
    exit 0
fi

CARGO=$(command -v cargo || true)
[[ -n $CARGO ]] || CARGO=${CARGO_HOME:-$HOME/.cargo}/bin/cargo
[[ -x $CARGO ]] || die "cargo not found: needed once to build the IronRDP example server"

mkdir -p "$LAB_CACHE"
# Two CI jobs or helpers building at once would race for the same directory.
exec 8>"$LAB_CACHE/.ironrdp-$IRONRDP_VERSION.lock"
flock -w 900 8 || die "could not lock $LAB_CACHE/.ironrdp-$IRONRDP_VERSION.lock within 900 s"
if [[ -x $IRONRDP_BIN ]]; then
    echo "lab: IronRDP example server $IRONRDP_VERSION cached ($IRONRDP_BIN, built meanwhile)"
    exit 0
fi

dest=$LAB_CACHE/ironrdp-$IRONRDP_VERSION
stage=$dest.tmp
# A kept target dir makes a retry after an interrupted build incremental; it is
# removed once the binary is in place (it holds about 1.5 GB).
build=$LAB_CACHE/.build-ironrdp-$IRONRDP_VERSION
rm -rf "$stage" "$dest"
echo "lab: building IronRDP example server $IRONRDP_VERSION (2-8 min, once per machine) ..."
T0=$EPOCHREALTIME
# --root: keeps it out of ~/.cargo/bin; --target-dir: out of any CARGO_TARGET_DIR.
"$CARGO" install --quiet "ironrdp@=$IRONRDP_VERSION" --locked --debug \
    --example server --features "cliprdr connector rdpsnd server" \
    --root "$stage" --target-dir "$build" ||
    die "building the IronRDP example server failed (is libopus-dev installed? run lab/install.sh)"
[[ -x $stage/bin/server ]] || die "cargo install left no $stage/bin/server"
mv "$stage" "$dest"
rm -rf "$build"
us=$((${EPOCHREALTIME//[!0-9]/} - ${T0//[!0-9]/}))
echo "lab: built IronRDP example server in $((us / 1000000)) s ($IRONRDP_BIN)"
