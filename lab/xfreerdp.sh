#!/usr/bin/env bash
# Run the reference client (xfreerdp 2) against a lab server, safely.
#
# usage: lab/xfreerdp.sh HOST PORT SEC [extra xfreerdp args...]
#   SEC: rdp | tls | nla | ext, or auto (no /sec: option, let the client negotiate)
#   Defaults, each dropped when an extra arg of the same kind is given:
#     /cert:ignore   (any extra /cert..., +cert... or -cert... replaces it)
#     /u:labuser     (an extra /u:...)
#     /p:<lab password from the password file>  (an extra /p:..., or --no-password)
#   Always: +auth-only, fresh HOME/XDG_CONFIG_HOME (no known_hosts2 carried over),
#   DISPLAY from the lab, SSL_CERT_FILE=lab CA, stdin </dev/null, and a timeout of
#   ${RDPDOCTOR_LAB_XFREERDP_TIMEOUT:-20} s.
# HOST must be loopback or in 10.77.0.0/24; for the latter the client runs inside
# netns rdplab-c (re-executing itself there), so traffic never leaves the lab.
#
# Prints xfreerdp's stdout/stderr unchanged and exits with its exit code (124 on
# timeout). Exit 125 means this wrapper itself failed (usage, lab not up, bad host).
# The password is in xfreerdp's argv: unavoidable for the reference client, and the
# lab password is not a secret. rdpdoctor itself must never take it in argv.
set -euo pipefail

LAB=${RDPDOCTOR_LAB_DIR:-/tmp/rdpdoctor-lab}
fail() {
    printf 'xfreerdp.sh: %s\n' "$*" >&2
    exit 125
}

(($# >= 3)) || fail "usage: xfreerdp.sh HOST PORT SEC [extra xfreerdp args...]"
host=$1 port=$2 sec=$3
shift 3
[[ $port =~ ^[0-9]+$ ]] || fail "bad port '$port'"
case $sec in
    rdp | tls | nla | ext | auto) ;;
    *) fail "SEC must be rdp|tls|nla|ext|auto, not '$sec'" ;;
esac

# Only lab destinations: loopback, or the lab veth subnet from inside rdplab-c.
in_ns=0
case $host in
    localhost | 127.*) ;;
    10.77.0.*) in_ns=1 ;;
    *) fail "refusing non-lab host '$host' (use localhost, 127.x.y.z or 10.77.0.x)" ;;
esac

[[ -f $LAB/env ]] || fail "lab is not up ($LAB/env missing): run lab/up.sh"
# KEY=VALUE lines without quoting, written by up.sh.
# shellcheck source=/dev/null
. "$LAB/env"

if ((in_ns)); then
    [[ ${RDPDOCTOR_LAB_NETNS:-0} == 1 ]] || fail "lab namespaces are not up (RDPDOCTOR_LAB_NETNS=0)"
    ns=$RDPDOCTOR_LAB_NETNS_CLIENT
    # Compare namespace inodes: are we already inside rdplab-c?
    if [[ $(stat -L -c %i /proc/self/ns/net) != "$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)" ]]; then
        exec ip netns exec "$ns" "$0" "$host" "$port" "$sec" "$@"
    fi
fi

want_cert=1 want_user=1 want_pass=1
extra=()
for a in "$@"; do
    case $a in
        --no-password)
            want_pass=0
            continue
            ;;
        /cert* | +cert* | -cert*) want_cert=0 ;;
        /u:*) want_user=0 ;;
        /p:*) want_pass=0 ;;
    esac
    extra+=("$a")
done

args=(/v:"$host:$port" +auth-only)
if [[ $sec != auto ]]; then args+=(/sec:"$sec"); fi
if ((want_cert)); then args+=(/cert:ignore); fi
if ((want_user)); then args+=(/u:"$RDPDOCTOR_LAB_USER"); fi
if ((want_pass)); then args+=(/p:"$(cat "$RDPDOCTOR_LAB_PASSWORD_FILE")"); fi
args+=("${extra[@]}")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdpdoctor-xfreerdp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
limit=${RDPDOCTOR_LAB_XFREERDP_TIMEOUT:-20}
rc=0
# xfreerdp needs an X display even for +auth-only; it hangs forever on a silent
# server (its /timeout does not help), hence timeout; -k in case TERM is ignored.
env DISPLAY="$DISPLAY" HOME="$tmp" XDG_CONFIG_HOME="$tmp/config" \
    SSL_CERT_FILE="$RDPDOCTOR_LAB_CA" \
    timeout -k 3 "$limit" xfreerdp "${args[@]}" </dev/null || rc=$?
if ((rc == 124 || rc == 137)); then
    printf 'xfreerdp.sh: xfreerdp timed out after %s s\n' "$limit" >&2
    rc=124
fi
exit "$rc"
